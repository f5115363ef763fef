"""Named connection rules, generated as (pre, post) index arrays sorted by pre.

=====================  =========================================================
rule                   meaning
=====================  =========================================================
``all_to_all``         every pre to every post
``one_to_one``         pre i to post i (equal sizes)
``pairwise_bernoulli`` each pair independently with probability ``p``
``fixed_indegree``     each post neuron receives ``k`` connections (multapses
                       allowed unless ``allow_multapses=False``)
``fixed_outdegree``    each pre neuron makes ``k`` connections
``explicit``           given ``pre`` and ``post`` index lists
=====================  =========================================================

``allow_autapses`` (default False) only matters when a population connects to
itself.

Examples
--------
>>> import numpy as np
>>> pre, post = connect_indices({"name": "one_to_one"}, 3, 3, same=False, rng=np.random.default_rng(0))
>>> pre.tolist(), post.tolist()
([0, 1, 2], [0, 1, 2])
"""
from __future__ import annotations

import numpy as np

from ._checks import check_count, check_indices, check_real
from .errors import PynTypeError, PynValueError

RULES = ("all_to_all", "one_to_one", "pairwise_bernoulli", "fixed_indegree", "fixed_outdegree", "explicit")


def normalise_rule(rule, where: str) -> dict:
    """Validate a rule given as a name or a dict; returns a dict with its parameters."""
    if isinstance(rule, str):
        rule = {"name": rule}
    if not isinstance(rule, dict) or "name" not in rule:
        raise PynTypeError(f"{where}: a connection rule is a name or a dict with 'name'; "
                           f"allowed names: {', '.join(RULES)}")
    name = rule["name"]
    if name not in RULES:
        raise PynValueError(f"{where}: unknown connection rule {name!r}; allowed: {', '.join(RULES)}")
    out = dict(rule)
    out["allow_autapses"] = bool(out.get("allow_autapses", False))
    if name == "pairwise_bernoulli":
        p = check_real(out.get("p", 0.1), f"{where}: p")
        if not 0.0 <= p <= 1.0:
            raise PynValueError(f"{where}: p must be within [0, 1], got {p}")
        out["p"] = p
    elif name in ("fixed_indegree", "fixed_outdegree"):
        if "k" not in out:
            raise PynValueError(f"{where}: rule {name!r} needs k (connections per neuron)")
        out["k"] = check_count(out["k"], f"{where}: k", minimum=0)
        out["allow_multapses"] = bool(out.get("allow_multapses", True))
    elif name == "explicit":
        if "pre" not in out or "post" not in out:
            raise PynValueError(f"{where}: the explicit rule needs 'pre' and 'post' index lists")
        for key in ("pre", "post"):
            if isinstance(out[key], (str, bytes, dict)) or not hasattr(out[key], "__len__"):
                raise PynTypeError(f"{where}: explicit {key!r} must be a list of neuron indices, "
                                   f"got {out[key]!r}")
        if len(out["pre"]) != len(out["post"]):
            raise PynValueError(f"{where}: explicit 'pre' and 'post' must have equal lengths, "
                                f"got {len(out['pre'])} and {len(out['post'])}")
    return out


def _drop_autapses(pre, post):
    keep = pre != post
    return pre[keep], post[keep]


def connect_indices(rule: dict, n_pre: int, n_post: int, same: bool, rng) -> tuple[np.ndarray, np.ndarray]:
    """Synapse (pre, post) int64 index arrays for ``rule``, sorted by pre (stable)."""
    name = rule["name"]
    no_autapses = same and not rule.get("allow_autapses", False)
    if name == "all_to_all":
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        if no_autapses:
            pre, post = _drop_autapses(pre, post)
        return pre, post
    if name == "one_to_one":
        if n_pre != n_post:
            raise PynValueError(f"one_to_one needs populations of equal size, got {n_pre} and {n_post}")
        idx = np.arange(n_pre, dtype=np.int64)
        if no_autapses:
            return idx[:0], idx[:0]
        return idx, idx.copy()
    if name == "pairwise_bernoulli":
        total = n_pre * n_post
        count = rng.binomial(total, rule["p"])
        flat = np.sort(rng.choice(total, size=count, replace=False)) if count < total else np.arange(total)
        pre, post = np.divmod(flat.astype(np.int64), n_post)
        if no_autapses:
            pre, post = _drop_autapses(pre, post)
        return pre, post
    if name == "fixed_outdegree":
        k = rule["k"]
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), k)
        post = _draw(rng, n_pre, k, n_post, pre if no_autapses else None, rule["allow_multapses"])
        return pre, post.reshape(-1)
    if name == "fixed_indegree":
        k = rule["k"]
        post = np.repeat(np.arange(n_post, dtype=np.int64), k)
        pre = _draw(rng, n_post, k, n_pre, post if no_autapses else None, rule["allow_multapses"]).reshape(-1)
        # a stable sort by pre of pairs whose post increases is their lexicographic order: sort one key
        key = pre * n_post + post
        key.sort()
        pre = key // n_post
        return pre, key - pre * n_post
    pre = check_indices(rule["pre"], n_pre, "explicit rule 'pre'")
    post = check_indices(rule["post"], n_post, "explicit rule 'post'")
    order = np.argsort(pre, kind="stable")
    return pre[order], post[order]


def _draw(rng, rows: int, k: int, n: int, forbid, multapses: bool) -> np.ndarray:
    """``rows`` x ``k`` draws from ``range(n)``; ``forbid`` (flat, one per draw) excluded."""
    limit = n - (1 if forbid is not None else 0)
    if not multapses and k > limit:
        raise PynValueError(f"cannot draw {k} distinct partners out of {limit} without multapses")
    if k and limit < 1:
        raise PynValueError(f"cannot draw {k} partners out of {limit}: a population of {n} neuron(s) connected "
                            "to itself without autapses has none (allow_autapses=True or k=0)")
    if multapses:
        out = rng.integers(0, n, size=rows * k, dtype=np.int64)
        if forbid is not None:
            bad = np.flatnonzero(out == forbid)
            while bad.size:
                out[bad] = rng.integers(0, n, size=bad.size)
                bad = bad[out[bad] == forbid[bad]]
        return out
    out = np.empty((rows, k), dtype=np.int64)
    chunk = max(1, 2_000_000 // max(n, 1))
    for r0 in range(0, rows, chunk):
        r1 = min(rows, r0 + chunk)
        keys = rng.random((r1 - r0, n))
        if forbid is not None:
            keys[np.arange(r1 - r0), forbid.reshape(rows, k)[r0:r1, 0]] = 2.0
        out[r0:r1] = np.argpartition(keys, k - 1, axis=1)[:, :k] if k else keys[:, :0]
    return out.reshape(-1)


def to_csr(pre: np.ndarray, n_pre: int) -> np.ndarray:
    """Row pointer (length ``n_pre + 1``) of synapses already sorted by ``pre``."""
    indptr = np.zeros(n_pre + 1, dtype=np.int64)
    np.cumsum(np.bincount(pre, minlength=n_pre), out=indptr[1:])
    return indptr
