r"""Hodgkin-Huxley (1952) squid giant axon.

Classic formulation with the resting potential at 0 mV (depolarisation
positive), as in the original paper and the original pyN::

    Cm dV/dt = I + GE - G V - gNa m^3 h (V - ENa) - gK n^4 (V - EK) - gL (V - EL)
    dx/dt = alpha_x(V) (1 - x) - beta_x(V) x,     x in {m, h, n}

    alpha_m = 0.1 (25 - V) / (exp((25 - V)/10) - 1)     beta_m = 4 exp(-V/18)
    alpha_h = 0.07 exp(-V/20)                           beta_h = 1 / (exp((30 - V)/10) + 1)
    alpha_n = 0.01 (10 - V) / (exp((10 - V)/10) - 1)    beta_n = 0.125 exp(-V/80)

The whole system (V and the gates) is advanced with the classical fourth-order
Runge-Kutta scheme, input held constant over the step; it is stable and accurate
at dt = 0.01-0.025 ms.  A spike is an upward crossing of ``v_detect``; there is
no reset.

Parameters
----------
========  ========  =======  =====  =====================================
name      default   unit     range  meaning
========  ========  =======  =====  =====================================
Cm        1.0       µF/cm²   > 0    membrane capacitance
gNa       120.0     mS/cm²   >= 0   maximal sodium conductance
gK        36.0      mS/cm²   >= 0   maximal potassium conductance
gL        0.3       mS/cm²   >= 0   leak conductance
ENa       115.0     mV       any    sodium reversal potential
EK        -12.0     mV       any    potassium reversal potential
EL        10.613    mV       any    leak reversal potential
v_detect  50.0      mV       any    spike detection level (upward crossing)
========  ========  =======  =====  =====================================

Injected current is in µA/cm²; synaptic conductances in mS/cm².  Initial
state: ``V = 0`` with every gate at its steady state.

Examples
--------
>>> from pyn_core.models import get_model
>>> get_model("hh").state
('v', 'm', 'h', 'n')
"""
from __future__ import annotations

import numpy as np

from .base import NeuronModel, Param, expm1_ratio, non_negative, positive

PARAMS = {
    "Cm": positive(1.0, "µF/cm²", "membrane capacitance"),
    "gNa": non_negative(120.0, "mS/cm²", "maximal sodium conductance"),
    "gK": non_negative(36.0, "mS/cm²", "maximal potassium conductance"),
    "gL": non_negative(0.3, "mS/cm²", "leak conductance"),
    "ENa": Param(115.0, "mV", "sodium reversal potential"),
    "EK": Param(-12.0, "mV", "potassium reversal potential"),
    "EL": Param(10.613, "mV", "leak reversal potential"),
    "v_detect": Param(50.0, "mV", "spike detection level (upward crossing)"),
}


def rates(v):
    """Opening and closing rates (1/ms) of the m, h and n gates at ``v`` (mV)."""
    am = 0.1 * expm1_ratio(25.0 - v, 10.0)
    bm = 4.0 * np.exp(-v / 18.0)
    ah = 0.07 * np.exp(-v / 20.0)
    bh = 1.0 / (np.exp((30.0 - v) / 10.0) + 1.0)
    an = 0.01 * expm1_ratio(10.0 - v, 10.0)
    bn = 0.125 * np.exp(-v / 80.0)
    return am, bm, ah, bh, an, bn


def derivatives(v, m, h, n, Cm, gNa, gK, gL, ENa, EK, EL, I, G, GE):
    """Right-hand side of the four equations."""
    am, bm, ah, bh, an, bn = rates(v)
    i_ion = gNa * m * m * m * h * (v - ENa) + gK * n * n * n * n * (v - EK) + gL * (v - EL)
    dv = (I + GE - G * v - i_ion) / Cm
    return dv, am * (1.0 - m) - bm * m, ah * (1.0 - h) - bh * h, an * (1.0 - n) - bn * n


def step(v, m, h, n, Cm, gNa, gK, gL, ENa, EK, EL, v_detect, I, G, GE, dt):
    """One RK4 step of (V, m, h, n)."""
    p = (Cm, gNa, gK, gL, ENa, EK, EL, I, G, GE)
    a1, b1, c1, d1 = derivatives(v, m, h, n, *p)
    a2, b2, c2, d2 = derivatives(v + 0.5 * dt * a1, m + 0.5 * dt * b1, h + 0.5 * dt * c1, n + 0.5 * dt * d1, *p)
    a3, b3, c3, d3 = derivatives(v + 0.5 * dt * a2, m + 0.5 * dt * b2, h + 0.5 * dt * c2, n + 0.5 * dt * d2, *p)
    a4, b4, c4, d4 = derivatives(v + dt * a3, m + dt * b3, h + dt * c3, n + dt * d3, *p)
    s = dt / 6.0
    return (v + s * (a1 + 2 * a2 + 2 * a3 + a4), m + s * (b1 + 2 * b2 + 2 * b3 + b4),
            h + s * (c1 + 2 * c2 + 2 * c3 + c4), n + s * (d1 + 2 * d2 + 2 * d3 + d4))


def steady_state(v):
    """Steady-state open fractions (m, h, n) at ``v``."""
    am, bm, ah, bh, an, bn = rates(np.asarray(v, dtype=float))
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def initial(params, N, given):
    """``V = 0`` mV unless given, gates at their steady state at that V unless given."""
    v = given.get("v", np.zeros(N))
    m, h, n = steady_state(v)
    return {"v": v, "m": given.get("m", m), "h": given.get("h", h), "n": given.get("n", n)}


MODEL = NeuronModel(
    name="hh",
    params=PARAMS,
    state=("v", "m", "h", "n"),
    initial=initial,
    step=step,
    reset=None,
    reset_state=(),
    reset_params=(),
    threshold="v_detect",
    spike_kind="crossing",
    input_unit="µA/cm²",
    conductance_unit="mS/cm²",
    default_synapse={"kind": "exp", "tau": 2.0},
    doc=__doc__,
)
