r"""Izhikevich (2003, 2004) simple model.

Equations (forward Euler, exactly as the published scripts integrate them)::

    v <- v + dt * (k2*v**2 + k1*v + k0 - u + I)        (v_substeps times, dt/v_substeps each)
    u <- u + dt * a * (b*(v - v_u) - u_decay*u)         (with the *new* v)
    if v >= v_peak:  v <- c,  u <- u + d

``k2, k1, k0 = 0.04, 5, 140`` is the usual model; class 1 excitability and the
integrator of Izhikevich (2004) use ``0.04, 4.1, 108``; accommodation uses
``u' = a*b*(v + 65)`` (``v_u = -65``, ``u_decay = 0``).  Conductance synapses add
``GE - G*v`` to ``I``.

Parameters
----------
==========  ========  =====  ==========================================
name        default   unit   meaning
==========  ========  =====  ==========================================
a           0.02      1/ms   time scale of the recovery variable u
b           0.2       1      sensitivity of u to v
c           -65       mV     after-spike reset of v
d           6         1      after-spike increment of u (input units)
v_peak      30        mV     spike cut-off
k2          0.04      1/mV   quadratic coefficient of dv/dt
k1          5         1      linear coefficient of dv/dt
k0          140       mV/ms  constant term of dv/dt
v_u         0         mV     offset of v in the u equation
u_decay     1         1      weight of -u in the u equation
==========  ========  =====  ==========================================

No parameter is bounded: the published patterns use negative ``a``, ``b``
and ``d`` and ``u_decay = 0``.  The option ``v_substeps`` (Euler sub-steps of
``v`` per step) lies within 1..1000.

Initial values: ``v0 = -70`` mV, ``u0 = b*v0`` (the original pyN defaults).
Input ``I`` is in the model's dimensionless current units (the ``'mV'`` key of
the original ``I_ext`` stimuli).

Examples
--------
>>> from pyn_core.models import get_model
>>> m = get_model("izhikevich")
>>> m.params["a"].default
0.02
>>> len(m.presets)
20
"""
from __future__ import annotations

import numpy as np

from .base import NeuronModel, Param

PARAMS = {
    "a": Param(0.02, "1/ms", "time scale of the recovery variable u"),
    "b": Param(0.2, "1", "sensitivity of u to v"),
    "c": Param(-65.0, "mV", "after-spike reset of v"),
    "d": Param(6.0, "1", "after-spike increment of u"),
    "v_peak": Param(30.0, "mV", "spike cut-off"),
    "k2": Param(0.04, "1/mV", "quadratic coefficient of dv/dt"),
    "k1": Param(5.0, "1", "linear coefficient of dv/dt"),
    "k0": Param(140.0, "mV/ms", "constant term of dv/dt"),
    "v_u": Param(0.0, "mV", "offset of v in the u equation"),
    "u_decay": Param(1.0, "1", "weight of -u in the u equation"),
}


def step(v, u, a, b, c, d, v_peak, k2, k1, k0, v_u, u_decay, I, G, GE, dt, v_substeps):
    """One published Euler step: v (in ``v_substeps`` parts), then u with the new v."""
    h = dt / v_substeps
    for _ in range(v_substeps):
        v = v + h * (k2 * v * v + k1 * v + k0 - u + I + GE - G * v)
    u = u + dt * a * (b * (v - v_u) - u_decay * u)
    return v, u


def reset(v, u, c, d):
    """After a spike: ``v = c``, ``u += d``."""
    return c + 0.0 * v, u + d


def initial(params, N, given):
    """``v0 = -70`` mV unless given, and ``u0 = b*v0`` unless given."""
    v = given.get("v", np.full(N, -70.0))
    return {"v": v, "u": given.get("u", params["b"] * v)}


_CLASS1 = {"k2": 0.04, "k1": 4.1, "k0": 108.0}

#: The 20 patterns of Izhikevich (2004), "Which model to use for cortical
#: spiking neurons?", Fig. 1 and its MATLAB script: parameters, initial state
#: (``v0``; ``u0`` where it is not ``b*v0``) and equation variants.
PRESETS = {
    "tonic_spiking": dict(a=0.02, b=0.2, c=-65, d=6, v0=-70),
    "phasic_spiking": dict(a=0.02, b=0.25, c=-65, d=6, v0=-64),
    "tonic_bursting": dict(a=0.02, b=0.2, c=-50, d=2, v0=-70),
    "phasic_bursting": dict(a=0.02, b=0.25, c=-55, d=0.05, v0=-64),
    "mixed_mode": dict(a=0.02, b=0.2, c=-55, d=4, v0=-70),
    "spike_frequency_adaptation": dict(a=0.01, b=0.2, c=-65, d=8, v0=-70),
    "class1_excitable": dict(a=0.02, b=-0.1, c=-55, d=6, v0=-60, **_CLASS1),
    "class2_excitable": dict(a=0.2, b=0.26, c=-65, d=0, v0=-64),
    "spike_latency": dict(a=0.02, b=0.2, c=-65, d=6, v0=-70),
    "subthreshold_oscillations": dict(a=0.05, b=0.26, c=-60, d=0, v0=-62),
    "resonator": dict(a=0.1, b=0.26, c=-60, d=-1, v0=-62),
    "integrator": dict(a=0.02, b=-0.1, c=-55, d=6, v0=-60, **_CLASS1),
    "rebound_spike": dict(a=0.03, b=0.25, c=-60, d=4, v0=-64),
    "rebound_burst": dict(a=0.03, b=0.25, c=-52, d=0, v0=-64),
    "threshold_variability": dict(a=0.03, b=0.25, c=-60, d=4, v0=-64),
    "bistability": dict(a=0.1, b=0.26, c=-60, d=0, v0=-61),
    "depolarizing_after_potential": dict(a=1.0, b=0.2, c=-60, d=-21, v0=-70),
    "accommodation": dict(a=0.02, b=1.0, c=-55, d=4, v0=-65, u0=-16, v_u=-65.0, u_decay=0.0),
    "inhibition_induced_spiking": dict(a=-0.02, b=-1.0, c=-60, d=8, v0=-63.8),
    "inhibition_induced_bursting": dict(a=-0.026, b=-1.0, c=-45, d=-2, v0=-63.8),
}


def _window(t, lo, hi):
    """1.0 where ``lo < t < hi`` (open interval, as the published script)."""
    return ((t > lo) & (t < hi)).astype(float)


def _accommodation(t):
    ramp2 = (t >= 300) & (t < 312.5)
    return np.where(t < 200, t / 25.0, 0.0) + np.where(ramp2, (t - 300) / 12.5 * 4, 0.0)


#: The published protocols: (dt in ms, duration in ms, current as a function of
#: an array of times in ms).  Used by the tests and the Blender gallery scene.
PROTOCOLS = {
    "tonic_spiking": (0.25, 100.0, lambda t: 14.0 * (t > 10.0)),
    "phasic_spiking": (0.25, 200.0, lambda t: 0.5 * (t > 20.0)),
    "tonic_bursting": (0.25, 220.0, lambda t: 15.0 * (t > 22.0)),
    "phasic_bursting": (0.2, 200.0, lambda t: 0.6 * (t > 20.0)),
    "mixed_mode": (0.25, 160.0, lambda t: 10.0 * (t > 16.0)),
    "spike_frequency_adaptation": (0.25, 85.0, lambda t: 30.0 * (t > 8.5)),
    "class1_excitable": (0.25, 300.0, lambda t: np.where(t > 30.0, 0.075 * (t - 30.0), 0.0)),
    "class2_excitable": (0.25, 300.0, lambda t: np.where(t > 30.0, -0.5 + 0.015 * (t - 30.0), -0.5)),
    "spike_latency": (0.2, 100.0, lambda t: 7.04 * _window(t, 10.0, 13.0)),
    "subthreshold_oscillations": (0.25, 200.0, lambda t: 2.0 * _window(t, 20.0, 25.0)),
    "resonator": (0.25, 400.0, lambda t: 0.65 * np.clip(
        _window(t, 40, 44) + _window(t, 60, 64) + _window(t, 280, 284) + _window(t, 320, 324), 0, 1)),
    "integrator": (0.25, 100.0, lambda t: 9.0 * np.clip(
        _window(t, 100 / 11, 100 / 11 + 2) + _window(t, 100 / 11 + 5, 100 / 11 + 7)
        + _window(t, 70, 72) + _window(t, 80, 82), 0, 1)),
    "rebound_spike": (0.2, 200.0, lambda t: -15.0 * _window(t, 20, 25)),
    "rebound_burst": (0.2, 200.0, lambda t: -15.0 * _window(t, 20, 25)),
    "threshold_variability": (0.25, 100.0, lambda t: np.clip(_window(t, 10, 15) + _window(t, 80, 85), 0, 1)
                              - 6.0 * _window(t, 70, 75)),
    "bistability": (0.25, 300.0, lambda t: 0.24 + 1.0 * np.clip(_window(t, 37.5, 42.5) + _window(t, 216, 221), 0, 1)),
    "depolarizing_after_potential": (0.1, 50.0, lambda t: 20.0 * (np.abs(t - 10.0) < 1)),
    "accommodation": (0.5, 400.0, _accommodation),
    "inhibition_induced_spiking": (0.5, 350.0, lambda t: np.where((t < 50) | (t > 250), 80.0, 75.0)),
    "inhibition_induced_bursting": (0.5, 350.0, lambda t: np.where((t < 50) | (t > 250), 80.0, 75.0)),
}

MODEL = NeuronModel(
    name="izhikevich",
    params=PARAMS,
    state=("v", "u"),
    initial=initial,
    step=step,
    reset=reset,
    reset_state=("v", "u"),
    reset_params=("c", "d"),
    threshold="v_peak",
    spike_kind="reset",
    options={"v_substeps": 1},
    option_ranges={"v_substeps": (1, 1000)},
    input_unit="model current units",
    conductance_unit="1/ms",
    presets=PRESETS,
    default_synapse={"kind": "alpha", "tau": 5.0},
    doc=__doc__,
)
