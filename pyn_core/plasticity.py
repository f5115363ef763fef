r"""Synaptic plasticity rules: what they compute (the engine applies them).

Three rules can be set per connection (:meth:`pyn_core.Network.connect`):
pair-based STDP and reward-modulated STDP change the weights
(``plasticity=``); Tsodyks–Markram short-term plasticity scales what each
spike transmits without touching the weights (``stp=``).  The equations are
below; ``docs/plasticity.md`` has the background and the validation.

Pair-based STDP (``plasticity="stdp"`` or a dict with ``rule="stdp"``)
---------------------------------------------------------------------

Every synapse sees a presynaptic trace ``x`` and a postsynaptic trace ``y``
(no spike-history windows)::

    x decays with tau_plus,  y decays with tau_minus
    presynaptic spike at the synapse:   w <- w - A_minus * F_minus(w) * y,  then x <- x + 1
    postsynaptic spike at the synapse:  w <- w + A_plus  * F_plus(w)  * x,  then y <- y + 1
    w clipped to [w_min, w_max]

``weight_dependence``:

* ``"additive"`` (Song, Miller & Abbott 2000): ``F_plus = F_minus = w_max``;
* ``"multiplicative"`` (soft bounds, Gütig et al. 2003 with mu = 1):
  ``F_plus = w_max - w``, ``F_minus = w - w_min``.

``pairing``:

* ``"all_to_all"``: each spike pairs with every earlier spike of the other
  side (the traces add up, ``x <- x + 1``);
* ``"nearest"``: each spike pairs only with the latest spike of the other
  side (the traces are reset, ``x <- 1``; symmetric nearest-spike pairing).

An isolated pair with ``dt = t_post - t_pre`` (times at the synapse) thus
changes the additive weight by ``A_plus*w_max*exp(-dt/tau_plus)`` for
``dt >= 0`` and by ``-A_minus*w_max*exp(dt/tau_minus)`` for ``dt < 0``
(see :func:`stdp_window`).  A pair at the same step counts as ``dt = 0``
(potentiation).

**Delays.**  A synapse with transmission delay ``d`` has an axonal part
``(1 - f) d`` (from the presynaptic soma to the synapse) and a dendritic part
``f d`` (from the synapse to the postsynaptic soma, which the
back-propagating postsynaptic spike also travels), with
``f = dendritic_fraction``.  The synapse therefore sees
``dt = t_post - t_pre - (1 - 2 f) d`` in soma spike times:

* ``f = 0`` (default): all axonal, ``dt = t_post - (t_pre + d)``: the
  arrival of the presynaptic spike (the onset of its postsynaptic potential)
  against the postsynaptic spike — how STDP windows are measured;
* ``f = 1``: all dendritic (NEST's convention), ``dt = t_post + d - t_pre``;
* ``f = 0.5``: the two parts cancel, ``dt = t_post - t_pre`` (emission
  times; the Brian2 examples with zero delay).

The shift ``(1 - 2 f) d`` is rounded to the time step per synapse and the
updates are made when the later of the two spikes reaches the synapse, so
the rule is exact for any mix of delays.  Synapses of a neuron onto itself
(autapses) never learn.

Parameters
~~~~~~~~~~

=====================  =============  =====  ==============================================
name                   default        unit   meaning
=====================  =============  =====  ==============================================
tau_plus               20.0           ms     decay of the presynaptic trace
tau_minus              20.0           ms     decay of the postsynaptic trace
A_plus                 0.01           1      potentiation per pair, in units of w_max
A_minus                0.0105         1      depression per pair, in units of w_max
w_min                  0.0            w      lower bound of the weight
w_max                  None           w      upper bound; None: the largest initial
                                             weight of the connection (at least
                                             ``abs(scale)``)
weight_dependence      "additive"            ``"additive"`` or ``"multiplicative"``
pairing                "all_to_all"          ``"all_to_all"`` or ``"nearest"``
dendritic_fraction     0.0            1      dendritic part of the delay, in [0, 1]
=====================  =============  =====  ==============================================

The defaults are Song, Miller & Abbott (2000): ``A_minus / A_plus = 1.05``,
``tau_plus = tau_minus = 20`` ms.  Weights are in the unit of the synapse
(current, conductance or mV); inhibitory connections learn on the magnitude.

Reward-modulated STDP (``plasticity="rstdp"``; Izhikevich 2007)
---------------------------------------------------------------

The same pairs change an eligibility trace ``c`` per synapse instead of the
weight, and a dopamine concentration ``d`` turns it into weight::

    c decays with tau_c;  at a pair: c <- c + A_plus*w_max*x  or  c - A_minus*w_max*y
    d decays with tau_d towards dopamine_baseline;  d <- d + amount at a reward
    dw/dt = c * d        (t in ms), w clipped to [w_min, w_max]

Dopamine comes from code — ``sim.reward(amount)`` between two
``sim.advance`` calls, the closed loop of a game or a Blender creature — or
from a dopaminergic population (``dopamine_from``), each of whose spikes adds
``dopamine_per_spike``.  Connections whose dopamine settings are equal share
one concentration.  The product ``c * d`` is integrated without visiting
every synapse at every step: each synapse is brought up to date when one of
its neurons spikes (or its weight is read), with a running integral of ``d``;
the result equals a step-by-step (Euler) integration exactly, the bounds
included whenever ``d`` stays >= 0.

Extra parameters (the STDP ones above also apply; additive only):

=====================  =============  =====  ==============================================
name                   default        unit   meaning
=====================  =============  =====  ==============================================
A_plus                 0.01           1      eligibility per causal pair, units of w_max
A_minus                0.015          1      eligibility per acausal pair (Izhikevich's
                                             ratio 1.5)
tau_c                  1000.0         ms     decay of the eligibility trace
tau_d                  200.0          ms     decay of dopamine
dopamine_baseline      0.0                   tonic dopamine level
dopamine_from          None                  population whose spikes release dopamine
dopamine_per_spike     0.5                   dopamine added per spike of that population
=====================  =============  =====  ==============================================

Short-term plasticity (``stp=``; Tsodyks & Markram 1997, Markram et al. 1998)
-----------------------------------------------------------------------------

Per presynaptic neuron a utilisation ``u`` and a fraction of available
resources ``x``::

    between spikes:  u decays to 0 with tau_facil,  x recovers to 1 with tau_rec
    at a spike:      u <- u + U (1 - u);  released r = u x;  x <- x - r
    transmitted weight: w * r

so the first spike of a rested synapse transmits ``U w``; ``tau_facil = 0``
gives pure depression (``u = U`` at every spike).  Short-term plasticity acts
whether or not the run learns (``stdp=False`` freezes weights, not
transmission dynamics).  For a regular train of period ``T`` the steady
state is (see :func:`tm_steady_state`)::

    u* = U / (1 - (1 - U) exp(-T/tau_facil))
    x* = (1 - exp(-T/tau_rec)) / (1 - (1 - u*) exp(-T/tau_rec))
    amplitude = w u* x*

=====================  =============  =====  ==============================================
name                   default        unit   meaning
=====================  =============  =====  ==============================================
U                      0.5            1      utilisation increment, in (0, 1]
tau_rec                800.0          ms     recovery of resources (> 0)
tau_facil              0.0            ms     decay of facilitation (0: none)
=====================  =============  =====  ==============================================

Presets: ``stp="depressing"`` (U = 0.5, tau_rec = 800 ms, tau_facil = 0) and
``stp="facilitating"`` (U = 0.15, tau_rec = 100 ms, tau_facil = 1000 ms).

Examples
--------
>>> p = normalise_plasticity({"rule": "stdp", "A_plus": 0.02}, "example")
>>> p["A_plus"], p["tau_plus"], p["weight_dependence"]
(0.02, 20.0, 'additive')
>>> round(float(stdp_window(10.0, p, w_max=1.0)), 6)
0.012131
>>> normalise_stp("depressing", "example")
{'U': 0.5, 'tau_rec': 800.0, 'tau_facil': 0.0}
>>> amp = tm_steady_state(20.0, U=0.5, tau_rec=800.0)
>>> round(amp, 4)
0.0571
"""
from __future__ import annotations

import math

import numpy as np

from ._checks import check_name, check_real, field_list, show
from .errors import PynTypeError, PynValueError

#: Rules that change weights.
RULES = ("stdp", "rstdp")
WEIGHT_DEPENDENCES = ("additive", "multiplicative")
PAIRINGS = ("all_to_all", "nearest")

STDP_DEFAULTS = {"rule": "stdp", "tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.01,
                 "A_minus": 0.0105, "w_min": 0.0, "w_max": None, "weight_dependence": "additive",
                 "pairing": "all_to_all", "dendritic_fraction": 0.0}

RSTDP_DEFAULTS = dict(STDP_DEFAULTS, rule="rstdp", A_minus=0.015, tau_c=1000.0, tau_d=200.0,
                      dopamine_baseline=0.0, dopamine_from=None, dopamine_per_spike=0.5)

DEFAULTS = {"stdp": STDP_DEFAULTS, "rstdp": RSTDP_DEFAULTS}

STP_DEFAULTS = {"U": 0.5, "tau_rec": 800.0, "tau_facil": 0.0}
STP_PRESETS = {"depressing": {"U": 0.5, "tau_rec": 800.0, "tau_facil": 0.0},
               "facilitating": {"U": 0.15, "tau_rec": 100.0, "tau_facil": 1000.0}}


def _choice(value, allowed, what):
    if not isinstance(value, str) or value not in allowed:
        raise PynValueError(f"{what} must be one of {', '.join(map(repr, allowed))}, got {show(value)}")
    return value


def normalise_plasticity(plasticity, where: str):
    """Validate a ``plasticity=`` value.

    Parameters
    ----------
    plasticity : None, False, "default", "stdp", "rstdp", True or dict
        ``None``/``False``: static; ``"default"``: STDP with the default
        parameters when the run has ``stdp=True``; ``"stdp"``/``True`` and
        ``"rstdp"``: the rule with its defaults; a dict with ``rule`` and any
        of the rule's parameters (see the module docstring).
    where : str
        Names the connection in error messages.

    Returns
    -------
    None, "default" or dict
        A dict holds every parameter of the rule.

    Examples
    --------
    >>> normalise_plasticity("rstdp", "c")["tau_c"]
    1000.0
    >>> normalise_plasticity({"rule": "stdp", "pairing": "closest"}, "c")
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: c: pairing must be one of 'all_to_all', 'nearest', got 'closest'
    """
    if plasticity is None or plasticity is False:
        return None
    if isinstance(plasticity, str) and plasticity == "default":
        return "default"
    if plasticity is True:
        plasticity = "stdp"
    if isinstance(plasticity, str):
        if plasticity not in RULES:
            raise PynValueError(f"{where}: plasticity must be None, 'default', 'stdp', 'rstdp' or a dict with "
                                f"rule='stdp' or 'rstdp', got {show(plasticity)}")
        plasticity = {"rule": plasticity}
    rule = plasticity.get("rule", "stdp") if isinstance(plasticity, dict) else None
    if not isinstance(rule, str) or rule not in RULES:
        raise PynValueError(f"{where}: plasticity must be None, 'default', 'stdp', 'rstdp' or a dict with "
                            f"rule='stdp' or 'rstdp', got {show(plasticity)}")
    defaults = DEFAULTS[rule]
    unknown = [k for k in plasticity if not isinstance(k, str) or k not in defaults]
    if unknown:
        raise PynValueError(f"{where}: unknown {rule} parameter(s) {field_list(unknown)}; "
                            f"allowed: {', '.join(defaults)}")
    out = dict(defaults)
    out.update(plasticity)
    out["rule"] = rule
    for k in ("tau_plus", "tau_minus") + (("tau_c", "tau_d") if rule == "rstdp" else ()):
        out[k] = check_real(out[k], f"{where}: {k}", strictly_positive=True)
    for k in ("A_plus", "A_minus"):
        out[k] = check_real(out[k], f"{where}: {k}", minimum=0.0)
    out["w_min"] = check_real(out["w_min"], f"{where}: w_min")
    out["w_max"] = check_real(out["w_max"], f"{where}: w_max", allow_none=True)
    if out["w_max"] is not None and out["w_max"] < out["w_min"]:
        raise PynValueError(f"{where}: plasticity w_max ({out['w_max']}) must be >= w_min ({out['w_min']})")
    _choice(out["weight_dependence"], WEIGHT_DEPENDENCES, f"{where}: weight_dependence")
    _choice(out["pairing"], PAIRINGS, f"{where}: pairing")
    f = out["dendritic_fraction"] = check_real(out["dendritic_fraction"], f"{where}: dendritic_fraction")
    if not 0.0 <= f <= 1.0:
        raise PynValueError(f"{where}: dendritic_fraction must be within [0, 1] (0: all axonal, 1: all "
                            f"dendritic), got {f}")
    if rule == "rstdp":
        if out["weight_dependence"] != "additive":
            raise PynValueError(f"{where}: rstdp supports weight_dependence='additive' only, "
                                f"got {out['weight_dependence']!r}")
        out["dopamine_baseline"] = check_real(out["dopamine_baseline"], f"{where}: dopamine_baseline")
        out["dopamine_per_spike"] = check_real(out["dopamine_per_spike"], f"{where}: dopamine_per_spike")
        if out["dopamine_from"] is not None:
            out["dopamine_from"] = check_name(out["dopamine_from"], f"{where}: dopamine_from")
    return out


def normalise_stp(stp, where: str):
    """Validate an ``stp=`` value: None, a preset name or a dict of U, tau_rec, tau_facil.

    Examples
    --------
    >>> normalise_stp({"U": 0.2, "tau_facil": 500}, "c")
    {'U': 0.2, 'tau_rec': 800.0, 'tau_facil': 500.0}
    >>> normalise_stp({"U": 0}, "c")
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: c: stp U must be within (0, 1], got 0.0
    """
    if stp is None or stp is False:
        return None
    if isinstance(stp, str):
        if stp not in STP_PRESETS:
            raise PynValueError(f"{where}: stp must be None, a dict of U, tau_rec, tau_facil or one of "
                                f"{', '.join(map(repr, STP_PRESETS))}, got {show(stp)}")
        return dict(STP_PRESETS[stp])
    if not isinstance(stp, dict):
        raise PynTypeError(f"{where}: stp must be None, a preset name or a dict of U, tau_rec, tau_facil, "
                           f"got {type(stp).__name__}")
    unknown = [k for k in stp if not isinstance(k, str) or k not in STP_DEFAULTS]
    if unknown:
        raise PynValueError(f"{where}: unknown stp parameter(s) {field_list(unknown)}; "
                            f"allowed: {', '.join(STP_DEFAULTS)}")
    out = dict(STP_DEFAULTS)
    out.update(stp)
    out["U"] = check_real(out["U"], f"{where}: stp U")
    if not 0.0 < out["U"] <= 1.0:
        raise PynValueError(f"{where}: stp U must be within (0, 1], got {out['U']}")
    out["tau_rec"] = check_real(out["tau_rec"], f"{where}: stp tau_rec", strictly_positive=True)
    out["tau_facil"] = check_real(out["tau_facil"], f"{where}: stp tau_facil", minimum=0.0)
    return out


def stdp_window(dt, params, w_max=None, w=None):
    """Weight change of one isolated pair against ``dt = t_post - t_pre`` (ms, at the synapse).

    Parameters
    ----------
    dt : float or array
    params : dict
        A normalised STDP dict (:func:`normalise_plasticity`).
    w_max : float, optional
        Overrides ``params["w_max"]`` (needed when that is None).
    w : float or array, optional
        The weight before the pair (multiplicative dependence only).

    Examples
    --------
    >>> p = normalise_plasticity("stdp", "c")
    >>> [round(float(v), 5) for v in stdp_window([-20.0, 0.0, 20.0], p, w_max=1.0)]
    [-0.00386, 0.01, 0.00368]
    """
    dt = np.asarray(dt, dtype=float)
    w_max = params["w_max"] if w_max is None else w_max
    if w_max is None:
        raise PynValueError("stdp_window needs w_max (the connection's w_max is None)")
    if params["weight_dependence"] == "multiplicative":
        if w is None:
            raise PynValueError("the multiplicative window depends on the weight: pass w")
        up, down = w_max - np.asarray(w, dtype=float), np.asarray(w, dtype=float) - params["w_min"]
    else:
        up = down = w_max
    return np.where(dt >= 0, params["A_plus"] * up * np.exp(-np.abs(dt) / params["tau_plus"]),
                    -params["A_minus"] * down * np.exp(-np.abs(dt) / params["tau_minus"]))


def tm_steady_state(rate_hz: float, U: float, tau_rec: float, tau_facil: float = 0.0, w: float = 1.0) -> float:
    """Steady-state amplitude ``w u* x*`` of a Tsodyks–Markram synapse driven at a regular rate.

    Examples
    --------
    >>> round(tm_steady_state(1e-6, U=0.4, tau_rec=500.0), 6)   # rested: U
    0.4
    """
    T = 1000.0 / rate_hz
    ef = math.exp(-T / tau_facil) if tau_facil > 0 else 0.0
    er = math.exp(-T / tau_rec)
    u = U / (1.0 - (1.0 - U) * ef)
    x = (1.0 - er) / (1.0 - (1.0 - u) * er)
    return w * u * x
