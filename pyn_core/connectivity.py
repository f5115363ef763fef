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
itself (an ``explicit`` rule then refuses a pair ``i -> i`` unless it is
True).  :func:`check_rule_sizes` refuses, when the connection is made, a rule
the population sizes cannot satisfy (``one_to_one`` between unequal sizes,
more distinct partners than there are).

Examples
--------
>>> import numpy as np
>>> pre, post = connect_indices({"name": "one_to_one"}, 3, 3, same=False, rng=np.random.default_rng(0))
>>> pre.tolist(), post.tolist()
([0, 1, 2], [0, 1, 2])
"""
from __future__ import annotations

import numpy as np

from ._checks import MAX_COUNT, check_bool, check_count, check_indices, check_keys, check_real, show
from .errors import PynTypeError, PynValueError

RULES = ("all_to_all", "one_to_one", "pairwise_bernoulli", "fixed_indegree", "fixed_outdegree", "explicit")

#: The parameters each rule takes (besides ``name``).
RULE_PARAMS = {
    "all_to_all": ("allow_autapses",),
    "one_to_one": ("allow_autapses",),
    "pairwise_bernoulli": ("p", "allow_autapses"),
    "fixed_indegree": ("k", "allow_autapses", "allow_multapses"),
    "fixed_outdegree": ("k", "allow_autapses", "allow_multapses"),
    "explicit": ("pre", "post", "allow_autapses"),
}


def normalise_rule(rule, where: str) -> dict:
    """Validate a rule given as a name or a dict; returns a dict with its parameters.

    Each rule takes only its own parameters (:data:`RULE_PARAMS`); the
    switches ``allow_autapses`` and ``allow_multapses`` must be booleans.

    Examples
    --------
    >>> normalise_rule({"name": "fixed_indegree", "k": 3}, "c")
    {'name': 'fixed_indegree', 'k': 3, 'allow_autapses': False, 'allow_multapses': True}
    >>> normalise_rule({"name": "all_to_all", "p": 0.1}, "c")
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: c: rule 'all_to_all': unknown parameter(s) ['p']; allowed: name, allow_autapses
    """
    if isinstance(rule, str):
        rule = {"name": rule}
    if not isinstance(rule, dict) or "name" not in rule:
        raise PynTypeError(f"{where}: a connection rule is a name or a dict with 'name'; "
                           f"allowed names: {', '.join(RULES)}")
    name = rule["name"]
    if not isinstance(name, str) or name not in RULES:
        raise PynValueError(f"{where}: unknown connection rule {show(name)}; allowed: {', '.join(RULES)}")
    check_keys(rule, ("name",) + RULE_PARAMS[name], f"{where}: rule {name!r}", "parameter(s)")
    out = dict(rule)
    out["allow_autapses"] = check_bool(out.get("allow_autapses", False), f"{where}: rule allow_autapses")
    if name == "pairwise_bernoulli":
        p = check_real(out.get("p", 0.1), f"{where}: p")
        if not 0.0 <= p <= 1.0:
            raise PynValueError(f"{where}: p must be within [0, 1], got {p}")
        out["p"] = p
    elif name in ("fixed_indegree", "fixed_outdegree"):
        if "k" not in out:
            raise PynValueError(f"{where}: rule {name!r} needs k (connections per neuron)")
        out["k"] = check_count(out["k"], f"{where}: k", minimum=0, maximum=MAX_COUNT)
        out["allow_multapses"] = check_bool(out.get("allow_multapses", True), f"{where}: rule allow_multapses")
    elif name == "explicit":
        if "pre" not in out or "post" not in out:
            raise PynValueError(f"{where}: the explicit rule needs 'pre' and 'post' index lists")
        for key in ("pre", "post"):
            if isinstance(out[key], (str, bytes, dict)) or not hasattr(out[key], "__len__") or (
                    isinstance(out[key], np.ndarray) and out[key].ndim != 1):
                raise PynTypeError(f"{where}: explicit {key!r} must be a list of neuron indices, "
                                   f"got {show(out[key])}")
            out[key] = check_indices(out[key], MAX_COUNT + 1, f"{where}: explicit {key!r}").tolist()
        if len(out["pre"]) != len(out["post"]):
            raise PynValueError(f"{where}: explicit 'pre' and 'post' must have equal lengths, "
                                f"got {len(out['pre'])} and {len(out['post'])}")
    return out


def check_rule_sizes(rule: dict, n_pre: int, n_post: int, same: bool, where: str):
    """Refuse a normalised rule that cannot be drawn between populations of these sizes.

    Called when a connection is made, so that an impossible rule fails at
    once (not at build, nor by sampling for ever); returns the number of
    synapses the rule makes, or None where it is random (``pairwise_bernoulli``
    with ``0 < p < 1``).
    """
    name = rule["name"]
    no_autapses = same and not rule["allow_autapses"]
    if name == "all_to_all":
        return n_pre * n_post - (n_pre if no_autapses else 0)
    if name == "one_to_one":
        if n_pre != n_post:
            raise PynValueError(f"{where}: one_to_one needs populations of equal size, got {n_pre} and {n_post}")
        return 0 if no_autapses else n_pre
    if name == "pairwise_bernoulli":
        if rule["p"] == 0.0:
            return 0
        return n_pre * n_post - (n_pre if no_autapses else 0) if rule["p"] == 1.0 else None
    if name in ("fixed_indegree", "fixed_outdegree"):
        k = rule["k"]
        rows, n = (n_post, n_pre) if name == "fixed_indegree" else (n_pre, n_post)
        limit = n - (1 if no_autapses else 0)
        side = "presynaptic" if name == "fixed_indegree" else "postsynaptic"
        if not rule["allow_multapses"] and k > limit:
            raise PynValueError(f"{where}: {name} cannot draw k={k} distinct {side} partners out of {limit} "
                                f"without multapses (k must be <= {limit}, or allow_multapses=True)")
        if k and limit < 1:
            raise PynValueError(f"{where}: {name} cannot draw {k} partners out of 0: a population of {n} neuron(s) "
                                "connected to itself without autapses has none (allow_autapses=True or k=0)")
        return rows * k
    pre = check_indices(rule["pre"], n_pre, f"{where}: explicit rule 'pre'")
    post = check_indices(rule["post"], n_post, f"{where}: explicit rule 'post'")
    if no_autapses and np.any(pre == post):
        i = int(pre[np.flatnonzero(pre == post)[0]])
        raise PynValueError(f"{where}: explicit pair {i} -> {i} is an autapse; allow_autapses=True makes it")
    return pre.size


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
    if k == 0 and forbid is not None:      # nothing to draw (and no autapse to forbid)
        return np.zeros(0, dtype=np.int64)
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
