r"""Leaky integrate-and-fire neuron, current- or conductance-based.

::

    tau_m dv/dt = (v_rest - v) + R (I + GE - G v)
    v >= v_thresh:  v <- v_reset, held there for t_ref

With the inputs held constant over a step the equation is linear in ``v`` and
is integrated exactly: with ``g = 1 + R G`` (total conductance in units of the
leak) and ``v_inf = (v_rest + R (I + GE)) / g``,
``v(t + dt) = v_inf + (v - v_inf) exp(-dt g / tau_m)``.

Current-based or conductance-based is a property of the synapses: ``exp``,
``alpha``, ``delta`` and ``pulse`` synapses give the current-based model,
``cond_exp`` the conductance-based one.

Parameters
----------
========  ========  =====  =====  ===================================
name      default   unit   range  meaning
========  ========  =====  =====  ===================================
tau_m     20.0      ms     > 0    membrane time constant
v_rest    -65.0     mV     any    resting potential
v_reset   -65.0     mV     any    reset potential
v_thresh  -50.0     mV     any    spike threshold
t_ref     2.0       ms     >= 0   refractory period
R         1.0       MΩ     > 0    membrane resistance (1/gL)
========  ========  =====  =====  ===================================

With ``R = 1`` MΩ an input current of 1 nA is worth 1 mV and a conductance of
1 µS equals the leak conductance ("conductance in units of the leak").
Initial value: ``v = v_rest``.

Examples
--------
>>> from pyn_core.models import get_model
>>> get_model("lif").params["tau_m"].unit
'ms'
"""
from __future__ import annotations

import numpy as np

from .base import NeuronModel, Param, non_negative, positive

PARAMS = {
    "tau_m": positive(20.0, "ms", "membrane time constant"),
    "v_rest": Param(-65.0, "mV", "resting potential"),
    "v_reset": Param(-65.0, "mV", "reset potential"),
    "v_thresh": Param(-50.0, "mV", "spike threshold"),
    "t_ref": non_negative(2.0, "ms", "refractory period"),
    "R": positive(1.0, "MΩ", "membrane resistance"),
}


def step(v, tau_m, v_rest, v_reset, v_thresh, t_ref, R, I, G, GE, dt):
    """Exact step of the linear membrane equation with inputs held constant."""
    g = 1.0 + R * G
    v_inf = (v_rest + R * (I + GE)) / g
    return (v_inf + (v - v_inf) * np.exp(-dt * g / tau_m),)


def reset(v, v_reset):
    """After a spike: ``v = v_reset``."""
    return (v_reset + 0.0 * v,)


def initial(params, N, given):
    """``v = v_rest`` unless given."""
    return {"v": given.get("v", params["v_rest"])}


MODEL = NeuronModel(
    name="lif",
    params=PARAMS,
    state=("v",),
    initial=initial,
    step=step,
    reset=reset,
    reset_state=("v",),
    reset_params=("v_reset",),
    threshold="v_thresh",
    spike_kind="reset",
    refractory="t_ref",
    clamp_to="v_reset",
    input_unit="nA",
    conductance_unit="µS",
    default_synapse={"kind": "exp", "tau": 5.0},
    doc=__doc__,
)
