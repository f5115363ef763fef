"""Synaptic plasticity rules (descriptions; the engine applies them).

Pair-based STDP with traces (no spike-history windows)::

    x_pre  decays with tau_plus,  jumps by 1 at each presynaptic spike
    y_post decays with tau_minus, jumps by 1 at each postsynaptic spike
    presynaptic spike:   w <- w - A_minus * w_max * y_post   (depression)
    postsynaptic spike:  w <- w + A_plus  * w_max * x_pre    (potentiation)
    w clipped to [w_min, w_max]

so an isolated pair with ``dt = t_post - t_pre`` changes the weight by
``A_plus*w_max*exp(-dt/tau_plus)`` if ``dt > 0`` and
``-A_minus*w_max*exp(dt/tau_minus)`` if ``dt < 0``.  Spike times are those of the
somata (emission times); the transmission delay does not enter the rule.

``w_max=None`` takes the largest initial weight of the connection (at least its
``scale``).
"""
from __future__ import annotations

from ._checks import check_real

STDP_DEFAULTS = {"rule": "stdp", "tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.01,
                 "A_minus": 0.0105, "w_min": 0.0, "w_max": None}


def normalise_plasticity(plasticity, where: str):
    """``None`` (static), ``"default"`` (STDP when the run has stdp=True), ``"stdp"`` or a dict."""
    if plasticity is None or plasticity is False:
        return None
    if plasticity == "default":
        return "default"
    if plasticity == "stdp" or plasticity is True:
        plasticity = {"rule": "stdp"}
    if not isinstance(plasticity, dict) or plasticity.get("rule") != "stdp":
        raise ValueError(f"{where}: plasticity must be None, 'default', 'stdp' or a dict with rule='stdp'")
    out = dict(STDP_DEFAULTS)
    unknown = set(plasticity) - set(STDP_DEFAULTS)
    if unknown:
        raise ValueError(f"{where}: unknown STDP parameter(s) {sorted(unknown)}; allowed: {', '.join(STDP_DEFAULTS)}")
    out.update(plasticity)
    for k in ("tau_plus", "tau_minus"):
        out[k] = check_real(out[k], f"{where}: {k}", strictly_positive=True)
    for k in ("A_plus", "A_minus", "w_min"):
        out[k] = check_real(out[k], f"{where}: {k}")
    out["w_max"] = check_real(out["w_max"], f"{where}: w_max", allow_none=True)
    return out
