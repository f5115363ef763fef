r"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005).

Parameter names, units and defaults are those of PyNN's
``EIF_cond_exp_isfa_ista`` (and the original pyN ``AdExPopulation``)::

    cm dv/dt = gL (v_rest - v) + gL delta_T exp((v - v_thresh)/delta_T) - w + I + i_offset + GE - G v
    tau_w dw/dt = a (v - v_rest) - w               (a in nS, so a*1e-3 µS)
    gL = cm / tau_m
    v >= v_spike:  v <- v_reset,  w <- w + b;  v held at v_reset for tau_refrac

Integrated with the classical fourth-order Runge-Kutta scheme over each step
(input held constant).  Inside the right-hand side ``v`` is taken as
``min(v, v_spike)``: once a Runge-Kutta stage has passed the cut-off the neuron
spikes in that step anyway, and the cap keeps the stages (and the adaptation
current fed by them) finite during the upswing.

Parameters
----------
==========  ========  =====  =====  ==========================================
name        default   unit   range  meaning
==========  ========  =====  =====  ==========================================
cm          0.281     nF     > 0    membrane capacitance
tau_m       9.3667    ms     > 0    membrane time constant (gL = cm/tau_m, µS)
v_rest      -70.6     mV     any    resting potential (leak reversal)
v_reset     -70.6     mV     any    reset potential after a spike
v_thresh    -50.4     mV     any    threshold of the exponential term (V_T)
delta_T     2.0       mV     > 0    slope factor
v_spike     -40.0     mV     any    spike detection / cut-off
tau_refrac  0.1       ms     >= 0   refractory period
a           4.0       nS     any    subthreshold adaptation
b           0.0805    nA     any    spike-triggered adaptation increment
tau_w       144.0     ms     > 0    adaptation time constant
i_offset    0.0       nA     any    constant injected current
e_rev_E     0.0       mV     any    excitatory reversal potential
tau_syn_E   5.0       ms     > 0    excitatory synaptic time constant
e_rev_I     -80.0     mV     any    inhibitory reversal potential
tau_syn_I   5.0       ms     > 0    inhibitory synaptic time constant
==========  ========  =====  =====  ==========================================

Input currents (stimuli, current synapses) are in nA; synaptic conductances in
µS.  Initial values: ``v = v_rest``, ``w = 0``.  The presets are the eight
firing patterns of Naud, Marcille, Clopath & Gerstner (2008), Table 1 (their
step current ``I`` is stored as ``i_offset``).

Examples
--------
>>> from pyn_core.models import get_model
>>> sorted(get_model("adex").presets)[:3]
['adapting', 'delayed_accelerating', 'delayed_regular_bursting']
"""
from __future__ import annotations

import numpy as np

from .base import NeuronModel, Param, non_negative, positive

PARAMS = {
    "cm": positive(0.281, "nF", "membrane capacitance"),
    "tau_m": positive(9.3667, "ms", "membrane time constant"),
    "v_rest": Param(-70.6, "mV", "resting potential"),
    "v_reset": Param(-70.6, "mV", "reset potential"),
    "v_thresh": Param(-50.4, "mV", "threshold of the exponential term"),
    "delta_T": positive(2.0, "mV", "slope factor"),
    "v_spike": Param(-40.0, "mV", "spike cut-off"),
    "tau_refrac": non_negative(0.1, "ms", "refractory period"),
    "a": Param(4.0, "nS", "subthreshold adaptation"),
    "b": Param(0.0805, "nA", "spike-triggered adaptation"),
    "tau_w": positive(144.0, "ms", "adaptation time constant"),
    "i_offset": Param(0.0, "nA", "constant injected current"),
    "e_rev_E": Param(0.0, "mV", "excitatory reversal potential"),
    "tau_syn_E": positive(5.0, "ms", "excitatory synaptic time constant"),
    "e_rev_I": Param(-80.0, "mV", "inhibitory reversal potential"),
    "tau_syn_I": positive(5.0, "ms", "inhibitory synaptic time constant"),
}


def _derivs(v, w, cm, tau_m, v_rest, v_thresh, delta_T, v_spike, a, tau_w, I_tot, G, GE):
    gL = cm / tau_m
    over = v - v_spike
    v = v - 0.5 * (over + np.abs(over))          # min(v, v_spike) without branches
    dv = (gL * (v_rest - v) + gL * delta_T * np.exp((v - v_thresh) / delta_T) - w + I_tot + GE - G * v) / cm
    dw = (1e-3 * a * (v - v_rest) - w) / tau_w
    return dv, dw


def step(v, w, cm, tau_m, v_rest, v_reset, v_thresh, delta_T, v_spike, tau_refrac, a, b, tau_w,
         i_offset, e_rev_E, tau_syn_E, e_rev_I, tau_syn_I, I, G, GE, dt):
    """One RK4 step of (v, w) with the input held constant."""
    I_tot = I + i_offset
    k1v, k1w = _derivs(v, w, cm, tau_m, v_rest, v_thresh, delta_T, v_spike, a, tau_w, I_tot, G, GE)
    k2v, k2w = _derivs(v + 0.5 * dt * k1v, w + 0.5 * dt * k1w, cm, tau_m, v_rest, v_thresh,
                       delta_T, v_spike, a, tau_w, I_tot, G, GE)
    k3v, k3w = _derivs(v + 0.5 * dt * k2v, w + 0.5 * dt * k2w, cm, tau_m, v_rest, v_thresh,
                       delta_T, v_spike, a, tau_w, I_tot, G, GE)
    k4v, k4w = _derivs(v + dt * k3v, w + dt * k3w, cm, tau_m, v_rest, v_thresh,
                       delta_T, v_spike, a, tau_w, I_tot, G, GE)
    v = v + dt / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
    w = w + dt / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)
    return v, w


def reset(v, w, v_reset, b):
    """After a spike: ``v = v_reset``, ``w += b``."""
    return v_reset + 0.0 * v, w + b


def initial(params, N, given):
    """``v = v_rest``, ``w = 0`` unless given."""
    return {"v": given.get("v", params["v_rest"]), "w": given.get("w", np.zeros(N))}


def _naud(C, gL, EL, VT, a, tau_w, b, Vr, I):
    """Naud et al. (2008) Table 1 row (pF, nS, mV, nS, ms, pA, mV, pA) in PyNN units."""
    return dict(cm=C * 1e-3, tau_m=C / gL, v_rest=EL, v_thresh=VT, delta_T=2.0, a=a,
                tau_w=tau_w, b=b * 1e-3, v_reset=Vr, i_offset=I * 1e-3, v_spike=0.0,
                tau_refrac=0.0)


#: Naud, Marcille, Clopath & Gerstner (2008), Biol. Cybern. 99:335, Table 1.
PRESETS = {
    "tonic": _naud(200, 10, -70, -50, 2, 30, 0, -58, 500),
    "adapting": _naud(200, 12, -70, -50, 2, 300, 60, -58, 500),
    "initial_burst": _naud(130, 18, -58, -50, 4, 150, 120, -50, 400),
    "regular_bursting": _naud(200, 10, -58, -50, 2, 120, 100, -46, 210),
    "delayed_accelerating": _naud(200, 12, -70, -50, -10, 300, 0, -58, 300),
    "delayed_regular_bursting": _naud(100, 10, -65, -50, -10, 90, 30, -47, 110),
    "transient": _naud(100, 10, -65, -50, 10, 90, 100, -47, 180),
    "irregular": _naud(100, 12, -60, -50, -11, 130, 30, -48, 160),
}

MODEL = NeuronModel(
    name="adex",
    params=PARAMS,
    state=("v", "w"),
    initial=initial,
    step=step,
    reset=reset,
    reset_state=("v", "w"),
    reset_params=("v_reset", "b"),
    threshold="v_spike",
    spike_kind="reset",
    refractory="tau_refrac",
    clamp_to="v_reset",
    input_unit="nA",
    conductance_unit="µS",
    presets=PRESETS,
    default_synapse={"kind": "cond_exp"},
    doc=__doc__,
)
