"""Projections: the description of the synapses from one population to another."""
from __future__ import annotations

import numpy as np

from ._checks import check_bool, check_name, check_real, field_list, number_array, show
from .connectivity import check_rule_sizes, connect_indices, normalise_rule
from .errors import PynTypeError, PynValueError
from .plasticity import normalise_plasticity, normalise_stp
from .synapses import get_synapse_kind, normalise_synapse

MODES = ("excitatory", "inhibitory")
DISTRIBUTIONS = ("uniform", "normal", "lognormal")
#: The parameters of each distribution.
DIST_PARAMS = {"uniform": ("low", "high"), "normal": ("mean", "std"), "lognormal": ("mean", "std")}
#: Draws are checked at this many standard deviations from the mean: no draw may overflow.
SIGMAS = 40.0

#: The original pyN ``synapses=`` names.
LEGACY = {
    "sparse-random": ({"name": "pairwise_bernoulli", "p": 0.1}, {"dist": "uniform", "low": 0.0, "high": 1.0}),
    "full-random": ({"name": "all_to_all"}, {"dist": "uniform", "low": 0.0, "high": 1.0}),
    "none": ({"name": "all_to_all"}, 0.0),
}


def normalise_value(value, where: str):
    """A weight or delay given as a number, an array or a distribution dict.

    Examples
    --------
    >>> normalise_value({"dist": "uniform", "low": 0, "high": 1, "mean": 5}, "w")
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: w: unknown field(s) ['mean'] of a uniform distribution; allowed: dist, low, high
    """
    if isinstance(value, dict):
        dist = value.get("dist")
        if not isinstance(dist, str) or dist not in DISTRIBUTIONS:
            raise PynValueError(f"{where}: distribution must be one of {', '.join(DISTRIBUTIONS)}, got {show(dist)}")
        need = DIST_PARAMS[dist]
        unknown = [k for k in value if not isinstance(k, str) or k not in ("dist",) + need]
        if unknown:
            raise PynValueError(f"{where}: unknown field(s) {field_list(unknown)} of a {dist} distribution; "
                                f"allowed: {', '.join(('dist',) + need)}")
        out = {"dist": dist}
        for k in need:
            if k not in value:
                raise PynValueError(f"{where}: a {dist} distribution needs {', '.join(need)}")
            out[k] = check_real(value[k], f"{where}: {k}", minimum=0.0 if k == "std" else None)
        if dist == "uniform" and out["high"] < out["low"]:
            raise PynValueError(f"{where}: uniform high must be >= low")
        return out
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            arr = number_array(value, f"{where}: values")
        except PynTypeError:
            raise PynTypeError(f"{where}: values must be numbers (one per synapse), got {show(value)}") from None
        if arr.ndim != 1:
            raise PynValueError(f"{where}: values must be a flat list (one per synapse), got shape {arr.shape}")
        return arr
    return check_real(value, where)


def _largest(value, scale: float) -> float:
    """The largest magnitude ``scale * value`` can take (a draw: at SIGMAS standard deviations)."""
    with np.errstate(over="ignore"):
        if isinstance(value, dict):
            if value["dist"] == "uniform":
                big = max(abs(value["low"]), abs(value["high"]))
            elif value["dist"] == "normal":
                big = abs(value["mean"]) + SIGMAS * value["std"]
            else:
                big = float(np.exp(np.float64(value["mean"]) + SIGMAS * value["std"]))
        elif isinstance(value, np.ndarray):
            big = float(np.max(np.abs(value), initial=0.0))
        else:
            big = abs(float(value))
        return float(np.float64(big) * abs(scale))


def _smallest(value) -> float:
    """The smallest value a weight specification gives for sure (draws: the lower bound or the mean)."""
    if isinstance(value, dict):
        return value["low"] if value["dist"] == "uniform" else (value["mean"] if value["dist"] == "normal" else 0.0)
    if isinstance(value, np.ndarray):
        return float(np.min(value, initial=0.0))
    return float(value)


def _draw_note(value) -> str:
    if isinstance(value, dict) and value["dist"] == "lognormal":
        return f" (a lognormal draw reaches exp(mean + {SIGMAS:g} std): lower mean or std)"
    if isinstance(value, dict) and value["dist"] == "normal":
        return f" (a normal draw reaches mean + {SIGMAS:g} std)"
    return ""


def draw(value, n: int, rng) -> np.ndarray:
    """``n`` values of a normalised weight/delay specification."""
    if isinstance(value, dict):
        if value["dist"] == "uniform":
            return rng.uniform(value["low"], value["high"], n)
        if value["dist"] == "normal":
            return rng.normal(value["mean"], value["std"], n)
        return rng.lognormal(value["mean"], value["std"], n)
    if isinstance(value, np.ndarray):
        return value
    return np.full(n, float(value))


class Projection:
    """Synapses from population ``pre`` to ``post`` (a description: no state).

    See :meth:`pyn_core.Network.connect` for the parameters.
    """

    def __init__(self, pre, post, rule, weight, scale=1.0, delay=0.25, delay_std=0.0,
                 mode="excitatory", synapse=None, plasticity="default", enabled=True, name=None,
                 weight_matrix=None, delay_matrix=None, stp=None):
        where = f"connection {pre!r} -> {post!r}"
        self.pre, self.post = pre, post
        self.name = f"{pre}->{post}" if name is None or (isinstance(name, str) and name == "") else check_name(
            name, f"{where}: name")
        if not isinstance(mode, str) or mode not in MODES:
            raise PynValueError(f"{where}: mode must be one of {MODES}, got {show(mode)}")
        self.mode = mode
        self.rule = normalise_rule(rule, where)
        self.weight = normalise_value(weight, f"{where}: weight")
        self.scale = check_real(scale, f"{where}: scale")
        if isinstance(delay, dict):
            raise PynTypeError(f"{where}: delay must be a number (ms) or one number per synapse; a drawn delay "
                               "is delay= with std=, got a dict")
        self.delay = check_real(delay, f"{where}: delay", minimum=0.0) if not isinstance(
            delay, (list, tuple, np.ndarray)) else normalise_value(delay, f"{where}: delay")
        if isinstance(self.delay, np.ndarray) and np.any(self.delay < 0):
            raise PynValueError(f"{where}: delays must be >= 0 ms")
        self.delay_std = check_real(delay_std, f"{where}: std of the delay (delay_std)", minimum=0.0)
        self.synapse = None if synapse is None else normalise_synapse(synapse, where)
        self.plasticity = normalise_plasticity(plasticity, where)
        self.stp = normalise_stp(stp, where)
        self.enabled = check_bool(enabled, f"{where}: enabled")
        self.weight_matrix = weight_matrix
        self.delay_matrix = delay_matrix
        self.magnitudes = False     # weights are magnitudes (inhibitory or conductance): set by check_sizes
        if weight_matrix is None and not np.isfinite(_largest(self.weight, self.scale)):
            raise PynValueError(f"{where}: weight times scale ({self.scale:g}) exceeds the float range; weights "
                                f"must stay finite{_draw_note(self.weight)}")
        if weight_matrix is not None and not np.isfinite(_largest(np.asarray(weight_matrix), self.scale)):
            raise PynValueError(f"{where}: weight matrix times scale ({self.scale:g}) exceeds the float range; "
                                "weights must stay finite")
        if not isinstance(self.delay, np.ndarray) and not np.isfinite(self.delay + SIGMAS * self.delay_std):
            raise PynValueError(f"{where}: delay + {SIGMAS:g} std exceeds the float range; delays must stay finite")

    def check_sizes(self, pre_pop, post_pop, output: str):
        """Refuse, when the connection is made, what the population sizes or the synapse make impossible.

        ``output`` is the output of the connection's synapse kind.  Checks
        that the rule can be drawn (:func:`~pyn_core.connectivity.check_rule_sizes`),
        that arrays of weights or delays have one value per synapse, and that
        weights that are magnitudes (an inhibitory connection, or a
        conductance synapse) are not negative.
        """
        where = f"connection {self.pre!r} -> {self.post!r}"
        same = pre_pop is post_pop
        if self.weight_matrix is not None:
            n = pre_pop.N * post_pop.N - (pre_pop.N if same and not self.rule["allow_autapses"] else 0)
        else:
            n = check_rule_sizes(self.rule, pre_pop.N, post_pop.N, same, where)
        for what, value in (("weight", None if self.weight_matrix is not None else self.weight),
                            ("delay", self.delay)):
            if isinstance(value, np.ndarray):
                if n is None:
                    raise PynValueError(f"{where}: {what}s given one per synapse need a rule that makes a known "
                                        f"number of synapses, not {self.rule['name']} with p={self.rule['p']}")
                if value.size != n:
                    raise PynValueError(f"{where}: {value.size} {what}s given for {n} synapses")
        self.magnitudes = self.mode == "inhibitory" or output == "conductance"
        if not self.magnitudes:
            return
        why = ("a conductance synapse" if output == "conductance" else "an inhibitory connection") + \
            " (weights are magnitudes; the mode gives the sign)"
        if self.scale < 0:
            raise PynValueError(f"{where}: scale must be >= 0 on {why}, got {self.scale:g}")
        if self.weight_matrix is not None:
            low = float(np.min(self.weight_matrix, initial=0.0))
            if low < 0:
                raise PynValueError(f"{where}: weight matrix values must be >= 0 on {why}, got {low:g}")
        elif _smallest(self.weight) < 0:
            what = "weight" if not isinstance(self.weight, dict) else \
                f"weight {'low' if self.weight['dist'] == 'uniform' else 'mean'}"
            raise PynValueError(f"{where}: {what} must be >= 0 on {why}, got {_smallest(self.weight):g}")
        if isinstance(self.plasticity, dict) and self.plasticity["w_min"] < 0:
            raise PynValueError(f"{where}: plasticity w_min must be >= 0 on {why}, got {self.plasticity['w_min']:g}")

    def resolved_synapse(self, post_pop) -> dict:
        """The synapse dict, the post population's default where none was given."""
        syn = self.synapse
        if syn is None:
            syn = normalise_synapse(post_pop.default_synapse(self.mode), f"connection {self.name!r}")
        if "E" in get_synapse_kind(syn["kind"]).optional and "E" not in syn:
            syn = dict(syn, E=0.0 if self.mode == "excitatory" else -80.0)
        return syn

    def instantiate(self, pre_pop, post_pop, dt: float, rng):
        """Draw the synapses.

        Returns
        -------
        pre, post : int64 arrays, sorted by pre
        weight : float64 array (sign not applied: magnitude for rule-drawn weights)
        delay_steps : int64 array (>= 1)

        A weight or delay that is one number for every synapse comes back as a
        read-only view of that number (no memory per synapse).
        """
        same = pre_pop is post_pop
        if self.weight_matrix is not None:
            W = self.weight_matrix
            pre, post = np.nonzero(np.ones_like(W, dtype=bool))
            if same and not self.rule.get("allow_autapses", False):
                keep = pre != post
                pre, post = pre[keep], post[keep]
            w = W[pre, post] * self.scale
        else:
            pre, post = connect_indices(self.rule, pre_pop.N, post_pop.N, same, rng)
            if isinstance(self.weight, (dict, np.ndarray)):
                w = draw(self.weight, pre.size, rng)
                if isinstance(self.weight, np.ndarray) and w.size != pre.size:
                    raise PynValueError(f"connection {self.name!r}: {w.size} weights given for {pre.size} synapses")
                if self.magnitudes and isinstance(self.weight, dict) and self.weight["dist"] == "normal":
                    w = np.maximum(w, 0.0)      # a magnitude drawn below 0 is 0 (no sign flip)
                w = w * self.scale
            else:
                w = np.broadcast_to(np.float64(float(self.weight)) * self.scale, pre.shape)
        if self.delay_matrix is not None:
            d = np.asarray(self.delay_matrix, dtype=float)[pre, post]
        elif isinstance(self.delay, np.ndarray):
            if self.delay.size != pre.size:
                raise PynValueError(f"connection {self.name!r}: {self.delay.size} delays given for {pre.size} synapses")
            d = self.delay
        elif self.delay_std == 0:
            steps = np.broadcast_to(np.int64(max(1.0, np.rint(self.delay / dt))), pre.shape)
            return pre.astype(np.int64, copy=False), post.astype(np.int64, copy=False), np.asarray(w, dtype=float), steps
        else:
            d = rng.normal(self.delay, self.delay_std, pre.size)
        steps = np.maximum(1, np.rint(np.broadcast_to(d, pre.shape) / dt)).astype(np.int64)
        return pre.astype(np.int64, copy=False), post.astype(np.int64, copy=False), np.asarray(w, dtype=float), steps

    def to_spec(self) -> dict:
        """JSON-compatible description."""
        def plain(v):
            return v.tolist() if isinstance(v, np.ndarray) else v
        out = {"name": self.name, "pre": self.pre, "post": self.post, "rule": {
            k: plain(v) for k, v in self.rule.items()}, "weight": plain(self.weight),
            "scale": self.scale, "delay": plain(self.delay), "delay_std": self.delay_std,
            "mode": self.mode, "synapse": self.synapse, "plasticity": self.plasticity,
            "enabled": self.enabled}
        if self.stp is not None:
            out["stp"] = dict(self.stp)
        if self.weight_matrix is not None:
            out["weight_matrix"] = np.asarray(self.weight_matrix).tolist()
        if self.delay_matrix is not None:
            out["delay_matrix"] = np.asarray(self.delay_matrix).tolist()
        return out
