"""Synapse kinds declared by a user's own script run on every backend.

The kind under test is defined here, as a user would, without touching
``pyn_core``: a biexponential current (rise ``tau_rise``, decay
``tau_decay``), two exactly decaying states whose difference is the current,
normalised so that one spike peaks at ``w``.  It is checked against its closed
form; it must give the same spikes on every backend, round-trip through the
spec by name, be recorded in ``I_syn`` and take Poisson drive.  The built-in
``cond_alpha`` (``alpha``'s dynamics with a conductance output) is checked
against the closed form of the alpha conductance.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from pyn_core import (IzhikevichPopulation, LIFPopulation, Network, Param, PynError, PynValueError,
                      SpikeSourcePopulation, SynapseKind, get_synapse_kind, register_synapse, synapse_kinds)

TAU_RISE, TAU_DECAY = 1.0, 5.0


def _peak_time(tr, td):
    return tr * td / (td - tr) * math.log(td / tr)


def _norm(tr, td):
    """1 / the peak of exp(-t/td) - exp(-t/tr), so that a spike of weight w peaks at w."""
    t = _peak_time(tr, td)
    return 1.0 / (math.exp(-t / td) - math.exp(-t / tr))


def _arrive(a, b, w, tau_rise, tau_decay, norm, fa, fb):
    return a + w * norm, b + w * norm


def _decay(a, b, tau_rise, tau_decay, norm, fa, fb, dt):
    return a * fa, b * fb


def _value(a, b, tau_rise, tau_decay, norm, fa, fb):
    return a - b


BIEXP = SynapseKind(
    name="biexp_user",
    params={"tau_rise": Param(TAU_RISE, "ms", "rise time"), "tau_decay": Param(TAU_DECAY, "ms", "decay time")},
    state=("a", "b"),
    arrive=_arrive,
    decay=_decay,
    output="current",
    value=_value,
    constants={"norm": lambda tr, td, dt: _norm(tr, td),
               "fa": lambda tr, td, dt: math.exp(-dt / td),
               "fb": lambda tr, td, dt: math.exp(-dt / tr)},
    positive=("tau_rise", "tau_decay"),
    doc="biexponential current, peak w")
register_synapse(BIEXP)


def _closed_form(t, t_arrive, w, tr=TAU_RISE, td=TAU_DECAY):
    s = np.clip(t - t_arrive, 0.0, None)
    out = w * _norm(tr, td) * (np.exp(-s / td) - np.exp(-s / tr))
    return np.where(t >= t_arrive, out, 0.0)


def _one_spike(backend, w=2.0, dt=0.1, t_spike=1.0, delay=0.5, tr=TAU_RISE, td=TAU_DECAY, T=40.0):
    net = Network([SpikeSourcePopulation("src", [[t_spike]]), LIFPopulation("post", N=1, v_thresh=1e6)])
    net.connect("src", "post", rule="all_to_all", weight=w, delay=delay, std=0.0, plasticity=None,
                synapse={"kind": "biexp_user", "tau_rise": tr, "tau_decay": td})
    res = net.build(dt=dt, seed=0, backend=backend, record={"post": ["I_syn"]}).run(T)
    return res.t, res["post"].I_syn[:, 0]


def test_the_kind_is_registered_and_listed():
    assert "biexp_user" in synapse_kinds()
    assert get_synapse_kind("biexp_user") is BIEXP
    register_synapse(BIEXP)                         # the same object again: allowed
    with pytest.raises(PynValueError, match="already registered"):
        register_synapse(SynapseKind("biexp_user", {}, ("s",), _arrive, _decay, "current", _value))


def test_biexp_matches_its_closed_form(backend):
    """I_syn is the sampled difference of exponentials; tolerance 1e-12 (a few hundred exact-decay steps)."""
    t, I = _one_spike(backend)
    np.testing.assert_allclose(I, _closed_form(t, 1.5, 2.0), rtol=0, atol=1e-12)
    assert I[t < 1.5 - 1e-9].max() == 0.0


def test_biexp_peaks_at_w(backend):
    """With a fine step the sampled maximum is within (dt / tau_rise)^2 of w and never above it."""
    t, I = _one_spike(backend, w=3.0, dt=0.01, T=10.0)
    assert I.max() <= 3.0 + 1e-12
    assert I.max() >= 3.0 * (1 - 1e-3)
    assert abs(t[np.argmax(I)] - (1.5 + _peak_time(TAU_RISE, TAU_DECAY))) <= 0.01 + 1e-9


def test_biexp_parameters_matter(backend):
    """Another rise time gives another closed form (the parameters reach the compiled code)."""
    t, I = _one_spike(backend, tr=0.5, td=8.0)
    np.testing.assert_allclose(I, _closed_form(t, 1.5, 2.0, tr=0.5, td=8.0), rtol=0, atol=1e-12)


def _recurrent_net():
    rng = np.random.default_rng(3)
    exc = IzhikevichPopulation("exc", N=40, a=0.02, b=0.2, c=-65 + 15 * rng.random(40) ** 2, d=8.0, v0=-65.0)
    inh = IzhikevichPopulation("inh", N=10, a=0.1, b=0.2, c=-65.0, d=2.0, v0=-65.0)
    net = Network([exc, inh])
    syn = {"kind": "biexp_user", "tau_rise": 0.8, "tau_decay": 4.0}
    net.connect("exc", "exc", rule={"name": "pairwise_bernoulli", "p": 0.3},
                weight={"dist": "uniform", "low": 0, "high": 3.0}, synapse=syn, delay=1.0, std=0.5, plasticity=None)
    net.connect("exc", "inh", rule="all_to_all", weight=1.0, synapse=syn, delay=0.5, plasticity=None)
    net.connect("inh", "exc", rule={"name": "fixed_indegree", "k": 3}, weight=4.0, mode="inhibitory",
                synapse="exp", delay=0.3, plasticity=None)
    net.add_noise("exc", mean=4.0, std=3.0)
    net.add_poisson("inh", rate=800.0, weight=2.0, synapse={"kind": "biexp_user"})
    return net


@pytest.mark.requires_numba
def test_same_spikes_and_traces_on_every_backend():
    """Izhikevich with the user's kind (and Poisson drive through it): numpy and numba agree bit for bit.

    The kind uses only + - * on build-time constants, so the traces are equal
    exactly, not only the spikes.
    """
    runs = {}
    for backend in ("numpy", "numba"):
        sim = _recurrent_net().build(dt=0.1, seed=5, backend=backend, record={"exc": ["v", "I_syn"]})
        assert sim.backend.name == backend
        runs[backend] = sim.run(150.0)
    a, b = runs["numpy"], runs["numba"]
    total = 0
    for pop in ("exc", "inh"):
        np.testing.assert_array_equal(a[pop].spike_times, b[pop].spike_times)
        np.testing.assert_array_equal(a[pop].spike_ids, b[pop].spike_ids)
        total += a[pop].spike_times.size
    assert total > 50
    np.testing.assert_array_equal(a["exc"].v, b["exc"].v)
    np.testing.assert_array_equal(a["exc"].I_syn, b["exc"].I_syn)


def test_poisson_drive_through_the_kind_is_counts_times_the_arrival(backend):
    """A Poisson stimulus through the kind: I_syn stays the closed-form response summed over its events."""
    net = Network([LIFPopulation("post", N=3, v_thresh=1e6)])
    net.add_poisson("post", rate=400.0, weight=1.5, synapse={"kind": "biexp_user"})
    sim = net.build(dt=0.1, seed=2, backend=backend, record={"post": ["I_syn"]})
    res = sim.run(60.0)
    I = res["post"].I_syn
    assert I.max() > 0.0
    # the response to the drive is linear: a second stimulus with twice the weight doubles it
    net2 = Network([LIFPopulation("post", N=3, v_thresh=1e6)])
    net2.add_poisson("post", rate=400.0, weight=3.0, synapse={"kind": "biexp_user"})
    I2 = net2.build(dt=0.1, seed=2, backend=backend, record={"post": ["I_syn"]}).run(60.0)["post"].I_syn
    np.testing.assert_allclose(I2, 2.0 * I, rtol=1e-12, atol=1e-12)


def test_the_kind_round_trips_through_the_spec_by_name():
    net = _recurrent_net()
    spec = net.to_spec()
    syns = [p["synapse"] for p in spec["projections"]]
    assert {"kind": "biexp_user", "tau_rise": 0.8, "tau_decay": 4.0} in syns
    again = Network.from_spec(spec)
    assert again.to_spec() == spec
    spec["projections"][0]["synapse"] = {"kind": "biexp_nope"}
    with pytest.raises(PynError, match="synapse kind must be one of"):
        Network.from_spec(spec)


def test_bad_parameters_and_declarations_are_refused():
    with pytest.raises(PynValueError, match="synapse tau_rise must be > 0"):
        Network([LIFPopulation("a"), LIFPopulation("b")]).connect(
            "a", "b", synapse={"kind": "biexp_user", "tau_rise": 0.0})
    with pytest.raises(PynValueError, match=r"unknown synapse field\(s\) \['tau'\] for kind 'biexp_user'"):
        Network([LIFPopulation("a"), LIFPopulation("b")]).connect("a", "b", synapse={"kind": "biexp_user", "tau": 1})
    with pytest.raises(PynValueError, match="output must be one of"):
        SynapseKind("x", {}, ("s",), _arrive, _decay, "spikes", _value)
    with pytest.raises(PynValueError, match="needs a parameter 'E'"):
        SynapseKind("x", {}, ("s",), _arrive, _decay, "conductance", _value)
    with pytest.raises(PynError, match="state must be a non-empty tuple"):
        SynapseKind("x", {}, (), _arrive, _decay, "current", _value)


@pytest.mark.parametrize("E, mode, E_eff", [(None, "excitatory", 0.0), (None, "inhibitory", -80.0), (-70.0,
                                                                                                   "excitatory",
                                                                                                   -70.0)])
def test_cond_alpha_is_the_alpha_conductance(E, mode, E_eff, backend):
    """cond_alpha: g(t) = w (t/tau) exp(1 - t/tau) after arrival, current g (E - v); tolerance 1e-12."""
    tau, w, dt = 2.0, 0.05, 0.1
    syn = {"kind": "cond_alpha", "tau": tau} if E is None else {"kind": "cond_alpha", "tau": tau, "E": E}
    net = Network([SpikeSourcePopulation("src", [[1.0]]), LIFPopulation("post", N=1, v_thresh=1e6)])
    net.connect("src", "post", rule="all_to_all", weight=w, delay=0.5, std=0.0, plasticity=None, synapse=syn,
                mode=mode)
    res = net.build(dt=dt, seed=0, backend=backend, record={"post": ["I_syn", "v"]}).run(30.0)
    s = np.clip(res.t - 1.5, 0.0, None)
    g = np.where(res.t >= 1.5 - 1e-9, w * (s / tau) * np.exp(1 - s / tau), 0.0)
    np.testing.assert_allclose(res["post"].I_syn[:, 0], g * (E_eff - res["post"].v[:, 0]), rtol=0, atol=1e-12)
