"""The standard benchmark networks, built with pyn_core (definitions: shared BENCHMARKS.md, docs/performance.md).

Each builder returns ``(network, dt_ms, duration_ms)``; the same networks are
written for Brian2 and NEST in ``benchmarks/peers/``.

=================  ==========================================================
name               network
=================  ==========================================================
``izh1000``        Izhikevich (2003): 800 + 200 neurons, all-to-all, thalamic
                   noise, dt = 1 ms
``coba4000``       Vogels & Abbott (2005) as Brian2's COBA: 4000 conductance
                   LIF neurons, p = 0.02, forward Euler (``coba4000_exact``:
                   pyN's exactly integrated LIF)
``stdp_song``      Song, Miller & Abbott (2000): 1000 Poisson inputs, one LIF
                   neuron, additive pair STDP, 100 s
``brunel_scaled``  Brunel (2000) model A: 10,000 delta-synapse LIF neurons,
                   fixed in-degree 1000 + 250 (12.5 M synapses), Poisson drive
``cobahh``         Brian2's COBAHH: 4000 Traub-Miles Hodgkin-Huxley neurons
                   with exponential conductance synapses
``scale100k``      a Brunel-type network of 100,000 neurons with 1000 inputs
                   each (100 M synapses), float32 weights
=================  ==========================================================
"""
from __future__ import annotations

import numpy as np

from pyn_core import (IzhikevichPopulation, LIFPopulation, Network, PoissonPopulation,
                      SpikeSourcePopulation)
from pyn_core.models import NeuronModel, Param, get_model, register_model
from pyn_core.population import Population

#: Biological time of each benchmark (ms), as the peers use.
BIO_MS = {"izh1000": 1000.0, "coba4000": 1000.0, "stdp_song": 100_000.0, "brunel_scaled": 1000.0,
          "cobahh": 1000.0, "scale100k": 1000.0, "coba4000_exact": 1000.0}


def izh1000(seed: int = 1):
    """Izhikevich (2003) 'simple model' network: 800 excitatory + 200 inhibitory, all-to-all.

    Returns (network, dt_ms, duration_ms).
    """
    rng = np.random.default_rng(seed)
    re, ri = rng.random(800), rng.random(200)
    exc = IzhikevichPopulation("exc", N=800, a=0.02, b=0.2, c=-65 + 15 * re ** 2, d=8 - 6 * re ** 2,
                               v0=-65.0, v_substeps=2)
    inh = IzhikevichPopulation("inh", N=200, a=0.02 + 0.08 * ri, b=0.25 - 0.05 * ri, c=-65.0, d=2.0,
                               v0=-65.0, v_substeps=2)
    net = Network([exc, inh], name="izh1000")
    for pre, mode, high in (("exc", "excitatory", 0.5), ("inh", "inhibitory", 1.0)):
        for post in ("exc", "inh"):
            net.connect(pre, post, rule="all_to_all", weight={"dist": "uniform", "low": 0.0, "high": high},
                        mode=mode, delay=1.0, std=0.0, synapse="pulse", plasticity=None,
                        allow_autapses=True)
    net.add_noise("exc", std=5.0)
    net.add_noise("inh", std=2.0)
    return net, 1.0, BIO_MS["izh1000"]


def _lif_euler_step(v, tau_m, v_rest, v_reset, v_thresh, t_ref, I, G, GE, dt):
    """One forward-Euler step of ``tau_m dv/dt = (v_rest - v) + I + GE - G v`` (R = 1)."""
    return (v + dt * ((v_rest - v) + I + GE - G * v) / tau_m,)


def _lif_reset(v, v_reset):
    return (v_reset + 0.0 * v,)


def lif_euler_model() -> NeuronModel:
    """A LIF neuron integrated with forward Euler, as the coba4000 definition asks (``"lif_euler"``)."""
    try:
        return get_model("lif_euler")
    except LookupError:
        pass
    lif = get_model("lif")
    params = {k: v for k, v in lif.params.items() if k != "R"}
    return register_model(NeuronModel(
        name="lif_euler", params=params, state=("v",), initial=lif.initial, step=_lif_euler_step,
        reset=_lif_reset, reset_state=("v",), reset_params=("v_reset",), threshold="v_thresh",
        spike_kind="reset", refractory="t_ref", clamp_to="v_reset", input_unit="mV",
        conductance_unit="leak", default_synapse={"kind": "cond_exp", "tau": 5.0}, doc=_lif_euler_step.__doc__))


def coba4000(seed: int = 1, exact: bool = False):
    """Vogels & Abbott (2005) as Brian2's COBA example: conductances in units of the leak.

    LIF with R = 1 (a conductance of 1 is the leak), El = Vr = -60, Vt = -50 mV,
    tau_m = 20 ms, refractory 5 ms, a constant input of 20 mV; excitatory
    conductances (E = 0 mV) decay with 5 ms and jump by 0.6, inhibitory ones
    (E = -80 mV) with 10 ms by 6.7; every pair connected with p = 0.02
    (autapses allowed, as Brian2's ``connect(p=0.02)``).  The membrane is
    integrated with forward Euler as the definition (and Brian2) does, by a
    model registered here; ``exact=True`` (``coba4000_exact``) uses pyN's
    built-in LIF, which integrates each step exactly (one ``exp`` per neuron
    and step).
    """
    rng = np.random.default_rng(seed)
    params = dict(tau_m=20.0, v_rest=-60.0, v_reset=-60.0, v_thresh=-50.0, t_ref=5.0)
    v_e, v_i = -55.0 + 5.0 * rng.standard_normal(3200), -55.0 + 5.0 * rng.standard_normal(800)
    if exact:
        exc = LIFPopulation("exc", N=3200, v0=v_e, R=1.0, **params)
        inh = LIFPopulation("inh", N=800, v0=v_i, R=1.0, **params)
    else:
        model = lif_euler_model()
        exc = Population("exc", 3200, model, params=params, initial={"v": v_e})
        inh = Population("inh", 800, model, params=params, initial={"v": v_i})
    net = Network([exc, inh], name="coba4000")
    syn = {"exc": ({"kind": "cond_exp", "tau": 5.0, "E": 0.0}, 0.6),
           "inh": ({"kind": "cond_exp", "tau": 10.0, "E": -80.0}, 6.7)}
    for pre, (synapse, w) in syn.items():
        for post in ("exc", "inh"):
            net.connect(pre, post, rule={"name": "pairwise_bernoulli", "p": 0.02}, weight=w, synapse=synapse,
                        mode="excitatory" if pre == "exc" else "inhibitory", delay=0.1, std=0.0,
                        plasticity=None, allow_autapses=True)
    net.add_current("exc", amplitude=20.0)
    net.add_current("inh", amplitude=20.0)
    return net, 0.1, BIO_MS["coba4000"]


GMAX = 0.01                 # stdp_song: peak conductance, units of the leak
DRIVE = 60.0                # stdp_song: Ee - vr (mV), the constant driving force


def stdp_song(seed: int = 1):
    """Song, Miller & Abbott (2000) as Brian2's STDP example.

    ``tau_m dv/dt = ge (Ee - vr) + El - v`` has a constant driving force, so
    the synapses are exponential currents (5 ms) of weight ``w (Ee - vr)``
    onto a LIF neuron with R = 1: ``w_max = gmax * 60``.  Additive all-to-all
    pair STDP on the emission times (``dendritic_fraction = 0.5``; the delay
    is the shortest, one step).
    """
    w_max = GMAX * DRIVE
    inputs = PoissonPopulation("inputs", 1000, rate=15.0)
    neuron = LIFPopulation("neuron", 1, tau_m=10.0, v_rest=-74.0, v_reset=-60.0, v_thresh=-54.0,
                           t_ref=0.0, v0=-60.0)
    net = Network([inputs, neuron], name="stdp_song")
    net.connect("inputs", "neuron", rule="all_to_all", weight={"dist": "uniform", "low": 0.0, "high": w_max},
                synapse={"kind": "exp", "tau": 5.0}, delay=0.1, std=0.0,
                plasticity={"rule": "stdp", "A_plus": 0.01, "A_minus": 0.0105, "tau_plus": 20.0,
                            "tau_minus": 20.0, "w_min": 0.0, "w_max": w_max,
                            "weight_dependence": "additive", "pairing": "all_to_all",
                            "dendritic_fraction": 0.5})
    return net, 0.1, BIO_MS["stdp_song"]


def _brunel(n_exc, n_inh, c_exc, c_inh, name, seed, J=0.1, g=5.0, eta=2.0):
    """Brunel (2000) model A with delta synapses, fixed in-degree and Poisson drive."""
    rng = np.random.default_rng(seed)
    theta, tau = 20.0, 20.0
    params = dict(tau_m=tau, v_rest=0.0, v_reset=10.0, v_thresh=theta, t_ref=2.0, R=1.0)
    exc = LIFPopulation("exc", N=n_exc, v0=theta * rng.random(n_exc), **params)
    inh = LIFPopulation("inh", N=n_inh, v0=theta * rng.random(n_inh), **params)
    net = Network([exc, inh], name=name)
    for pre, k, w, mode in (("exc", c_exc, J, "excitatory"), ("inh", c_inh, g * J, "inhibitory")):
        for post in ("exc", "inh"):
            net.connect(pre, post, rule={"name": "fixed_indegree", "k": k}, weight=w, synapse="delta",
                        mode=mode, delay=1.5, std=0.0, plasticity=None, allow_autapses=True)
    nu_thr = theta / (J * c_exc * tau) * 1000.0           # Hz
    for pop in ("exc", "inh"):
        net.add_poisson(pop, rate=eta * nu_thr * c_exc, weight=J, synapse="delta")
    return net


def brunel_scaled(seed: int = 1):
    """Brunel (2000) model A: 8000 + 2000 neurons, in-degree 1000 + 250, J = 0.1 mV, g = 5, eta = 2.

    The external drive is 1000 independent Poisson inputs at 20 Hz per
    neuron, i.e. Poisson counts of mean 2 per step with weight J.  Input
    arriving during the refractory period is lost (the membrane is clamped).
    """
    return _brunel(8000, 2000, 1000, 250, "brunel_scaled", seed), 0.1, BIO_MS["brunel_scaled"]


def scale100k(seed: int = 1):
    """100,000 Brunel neurons with 800 + 200 inputs each: 100 M static synapses.

    Built with float32 weights (``settings["dtype"]``) so that a synapse takes
    8 bytes (int32 target, float32 weight; one delay for the connection).
    """
    net = _brunel(80_000, 20_000, 800, 200, "scale100k", seed)
    net.settings["dtype"] = "float32"
    return net, 0.1, BIO_MS["scale100k"]


# ---------------------------------------------------------------------------
# COBAHH: Traub-Miles Hodgkin-Huxley neurons (a model registered from here)
# ---------------------------------------------------------------------------
def _exprel(x):
    """``x / (exp(x) - 1)``, finite at 0."""
    x = x + 1e-9 * (x == 0)
    return x / np.expm1(x)


def _traub_step(v, m, h, n, C, gl, El, gNa, ENa, gK, EK, VT, v_detect, I, G, GE, dt):
    """Exponential Euler (Brian2's ``exponential_euler``) of the Traub-Miles equations (mV, ms, nS, pF)."""
    am = 1.28 * _exprel((13.0 - v + VT) / 4.0)
    bm = 1.4 * _exprel((v - VT - 40.0) / 5.0)
    ah = 0.128 * np.exp((17.0 - v + VT) / 18.0)
    bh = 4.0 / (1.0 + np.exp((40.0 - v + VT) / 5.0))
    an = 0.16 * _exprel((15.0 - v + VT) / 5.0)
    bn = 0.5 * np.exp((10.0 - v + VT) / 40.0)
    gna = gNa * m * m * m * h
    gk = gK * n * n * n * n
    g_tot = gl + gna + gk + G
    v_inf = (gl * El + gna * ENa + gk * EK + GE + I) / g_tot
    v_new = v_inf + (v - v_inf) * np.exp(-dt * g_tot / C)
    m_new = am / (am + bm) + (m - am / (am + bm)) * np.exp(-dt * (am + bm))
    h_new = ah / (ah + bh) + (h - ah / (ah + bh)) * np.exp(-dt * (ah + bh))
    n_new = an / (an + bn) + (n - an / (an + bn)) * np.exp(-dt * (an + bn))
    return v_new, m_new, h_new, n_new


def traub_hh_model() -> NeuronModel:
    """The Traub-Miles model of Brian2's COBAHH example, registered as ``"hh_traub"`` (once)."""
    try:
        return get_model("hh_traub")
    except LookupError:
        pass
    area = 20000e-8   # cm^2
    params = {
        "C": Param(1.0 * area * 1e6, "pF", "membrane capacitance (1 uF/cm2 x 20000 um2)"),
        "gl": Param(5e-5 * area * 1e9, "nS", "leak conductance"),
        "El": Param(-60.0, "mV", "leak reversal"),
        "gNa": Param(100e-3 * area * 1e9, "nS", "sodium conductance"),
        "ENa": Param(50.0, "mV", "sodium reversal"),
        "gK": Param(30e-3 * area * 1e9, "nS", "potassium conductance"),
        "EK": Param(-90.0, "mV", "potassium reversal"),
        "VT": Param(-63.0, "mV", "threshold offset of the rates"),
        "v_detect": Param(-20.0, "mV", "spike detection (upward crossing)"),
    }
    return register_model(NeuronModel(
        name="hh_traub", params=params, state=("v", "m", "h", "n"),
        initial=lambda p, N, given: {"v": given.get("v", p["El"]), "m": given.get("m", np.zeros(N)),
                                     "h": given.get("h", np.zeros(N)), "n": given.get("n", np.zeros(N))},
        step=_traub_step, reset=None, reset_state=(), reset_params=(), threshold="v_detect",
        spike_kind="crossing", input_unit="pA", conductance_unit="nS",
        default_synapse={"kind": "cond_exp", "tau": 5.0}, doc=_traub_step.__doc__))


def cobahh(seed: int = 1):
    """Brian2's COBAHH example: 3200 + 800 Traub-Miles neurons, p = 0.02, exponential conductances.

    we = 6 nS (5 ms, 0 mV), wi = 67 nS (10 ms, -80 mV); spikes are upward
    crossings of -20 mV; v starts at El + (5 randn - 5) mV, the gates at 0.
    The initial conductances (ge = 40 + 15 randn nS, gi = 200 + 120 randn nS,
    clipped at 0) arrive as one input spike per neuron in the first step.
    """
    model = traub_hh_model()
    rng = np.random.default_rng(seed)
    pops = {}
    for name, n in (("exc", 3200), ("inh", 800)):
        pops[name] = Population(name, n, model, initial={"v": -60.0 + 5.0 * rng.standard_normal(n) - 5.0})
    kick = SpikeSourcePopulation("kick", [[0.0]])
    net = Network([pops["exc"], pops["inh"], kick], name="cobahh")
    syn = {"exc": ({"kind": "cond_exp", "tau": 5.0, "E": 0.0}, 6.0),
           "inh": ({"kind": "cond_exp", "tau": 10.0, "E": -80.0}, 67.0)}
    for pre, (synapse, w) in syn.items():
        for post in ("exc", "inh"):
            net.connect(pre, post, rule={"name": "pairwise_bernoulli", "p": 0.02}, weight=w, synapse=synapse,
                        mode="excitatory" if pre == "exc" else "inhibitory", delay=0.1, std=0.0,
                        plasticity=None, allow_autapses=True)
    for post, n in (("exc", 3200), ("inh", 800)):
        ge0 = np.clip(40.0 + 15.0 * rng.standard_normal(n), 0.0, None)
        gi0 = np.clip(200.0 + 120.0 * rng.standard_normal(n), 0.0, None)
        for g0, (synapse, _), mode in ((ge0, syn["exc"], "excitatory"), (gi0, syn["inh"], "inhibitory")):
            net.connect("kick", post, rule="all_to_all", weight=g0, synapse=synapse, mode=mode, delay=0.1,
                        std=0.0, plasticity=None, name=f"kick->{post}:{mode[:3]}")
    return net, 0.1, BIO_MS["cobahh"]


def coba4000_exact(seed: int = 1):
    """coba4000 with pyN's built-in, exactly integrated LIF (see :func:`coba4000`)."""
    return coba4000(seed, exact=True)


NETWORKS = {"izh1000": izh1000, "coba4000": coba4000, "stdp_song": stdp_song, "brunel_scaled": brunel_scaled,
            "cobahh": cobahh, "scale100k": scale100k, "coba4000_exact": coba4000_exact}

#: Neurons counted as "the" population of a benchmark's rate (default: all but sources).
RATE_POPULATIONS = {"stdp_song": ("neuron",), "cobahh": ("exc", "inh")}
