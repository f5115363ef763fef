"""The numba backend against the numpy reference: same seed, same spikes.

Every test builds one small network twice, runs it on both backends and
compares.  Spikes must be identical.  Traces are compared exactly where the
model uses only + - * / (Izhikevich); models with ``exp`` (LIF, AdEx,
Hodgkin-Huxley) are compared with ``rtol=1e-9`` because numpy's vectorised
``exp`` and the C library's (which numba calls) may differ in the last bit.
"""
from __future__ import annotations

import logging

import numpy as np
import pytest

from pyn_core import (AdExPopulation, HHPopulation, IzhikevichPopulation, LIFPopulation, Network,
                      PoissonPopulation, SpikeSourcePopulation)
from pyn_core.engine.backend import select_backend

pytestmark = pytest.mark.requires_numba

EXACT = ("izhikevich",)


def _run(net, backend, T, dt=0.1, seed=7, record=None, split=None, stdp=False, **build):
    sim = net.build(dt=dt, seed=seed, backend=backend, record=record, stdp=stdp, **build)
    assert sim.backend.name == backend
    if split:
        for part in split:
            sim.run(part)
    else:
        sim.run(T)
    return sim


def _compare(net, T, dt=0.1, record=None, seed=7, exact=None, **kw):
    a = _run(net, "numpy", T, dt=dt, seed=seed, record=record, **kw)
    b = _run(net, "numba", T, dt=dt, seed=seed, record=record, **kw)
    ra, rb = a.results, b.results
    total = 0
    for p in net.populations:
        pa, pb = ra[p.name], rb[p.name]
        np.testing.assert_array_equal(pa.spike_times, pb.spike_times, err_msg=p.name)
        np.testing.assert_array_equal(pa.spike_ids, pb.spike_ids, err_msg=p.name)
        total += pa.spike_times.size
        model = getattr(p.model, "name", None)
        is_exact = exact if exact is not None else model in EXACT
        for var in pa.traces:
            if is_exact:
                np.testing.assert_array_equal(pa.traces[var], pb.traces[var], err_msg=f"{p.name}.{var}")
            else:
                np.testing.assert_allclose(pa.traces[var], pb.traces[var], rtol=1e-9, atol=1e-9,
                                           err_msg=f"{p.name}.{var}")
    np.testing.assert_array_equal(ra.t, rb.t)
    return a, b, total


# ---------------------------------------------------------------------------
# models and synapse kinds
# ---------------------------------------------------------------------------
def _izh_net(synapse, delay_std=0.0, substeps=1):
    rng = np.random.default_rng(0)
    exc = IzhikevichPopulation("exc", N=40, a=0.02, b=0.2, c=-65 + 15 * rng.random(40) ** 2, d=8.0,
                               v0=-65.0, v_substeps=substeps)
    inh = IzhikevichPopulation("inh", N=10, a=0.1, b=0.2, c=-65.0, d=2.0, v0=-65.0, v_substeps=substeps)
    net = Network([exc, inh])
    net.connect("exc", "exc", rule={"name": "pairwise_bernoulli", "p": 0.3}, weight={"dist": "uniform", "low": 0,
                "high": 2.0}, synapse=synapse, delay=1.0, std=delay_std, plasticity=None)
    net.connect("exc", "inh", rule="all_to_all", weight=1.5, synapse=synapse, delay=0.5, std=delay_std,
                plasticity=None)
    net.connect("inh", "exc", rule={"name": "fixed_indegree", "k": 3}, weight=3.0, mode="inhibitory",
                synapse=synapse, delay=0.3, std=delay_std, plasticity=None)
    net.add_noise("exc", mean=4.0, std=4.0)
    net.add_current("inh", amplitude=3.0, start=5.0, stop=60.0)
    return net


@pytest.mark.parametrize("synapse", ["delta", "pulse", "exp", "alpha", {"kind": "cond_exp", "tau": 4.0}])
def test_izhikevich_every_synapse_kind_is_bit_identical(synapse):
    net = _izh_net(synapse)
    _, _, n = _compare(net, 100.0, record={"exc": ["v", "u", "I_syn"], "inh": ["v", "I_ext"]})
    assert n > 20


def test_per_synapse_delays_and_substeps():
    net = _izh_net("exp", delay_std=0.6, substeps=2)
    a, _, n = _compare(net, 100.0, record={"exc": ["v"]})
    assert n > 20
    assert any(q.delay is not None for q in a.projs)


def _lif_net(synapse):
    rng = np.random.default_rng(1)
    e = LIFPopulation("e", N=60, tau_m=20.0, v_rest=-60.0, v_reset=-60.0, v_thresh=-50.0, t_ref=2.0,
                      v0=-60.0 + 10 * rng.random(60))
    i = LIFPopulation("i", N=15, tau_m=10.0, v_rest=-60.0, v_reset=-62.0, v_thresh=-50.0, t_ref=1.0)
    net = Network([e, i])
    inh_syn = dict(synapse, E=-80.0) if isinstance(synapse, dict) else synapse
    net.connect("e", "e", rule={"name": "pairwise_bernoulli", "p": 0.2}, weight=0.4, synapse=synapse, delay=1.0,
                std=0.0, plasticity=None)
    net.connect("e", "i", rule={"name": "pairwise_bernoulli", "p": 0.3}, weight=0.5, synapse=synapse, delay=0.7,
                std=0.3, plasticity=None)
    net.connect("i", "e", rule={"name": "pairwise_bernoulli", "p": 0.3}, weight=1.0, synapse=inh_syn,
                mode="inhibitory", delay=0.4, std=0.0, plasticity=None)
    net.add_current("e", amplitude=11.5)
    net.add_noise("i", mean=9.0, std=3.0)
    return net


@pytest.mark.parametrize("synapse", ["delta", "exp", "alpha", {"kind": "cond_exp", "tau": 5.0}])
def test_lif_every_synapse_kind(synapse):
    net = _lif_net(synapse)
    _, _, n = _compare(net, 80.0, record={"e": ["v", "I_syn"], "i": ["v"]})
    assert n > 20


def test_adex_conductance_network():
    e = AdExPopulation("e", N=30, preset="adapting")
    i = AdExPopulation("i", N=8, preset="tonic")
    net = Network([e, i])
    net.connect("e", "i", rule={"name": "pairwise_bernoulli", "p": 0.5}, weight=0.002, delay=1.0, std=0.2,
                plasticity=None)
    net.connect("i", "e", rule="all_to_all", weight=0.003, mode="inhibitory", delay=0.5, std=0.0,
                plasticity=None)
    net.add_noise("e", mean=0.0, std=0.05)
    _, _, n = _compare(net, 150.0, dt=0.05, record={"e": ["v", "w"], "i": ["v"]})
    assert n > 10


def test_hodgkin_huxley_crossing_detection():
    a = HHPopulation("a", N=12)
    b = HHPopulation("b", N=6)
    net = Network([a, b])
    net.connect("a", "b", rule="all_to_all", weight=0.4, synapse={"kind": "exp", "tau": 2.0}, delay=1.0,
                std=0.0, plasticity=None)
    net.add_current("a", amplitude=10.0, start=2.0, stop=40.0, neurons=list(range(0, 12, 2)))
    net.add_noise("a", mean=4.0, std=2.0)
    _, _, n = _compare(net, 50.0, dt=0.025, record={"a": ["v", "m"], "b": ["v", "n"]})
    assert n > 10


# ---------------------------------------------------------------------------
# stimuli and spike sources
# ---------------------------------------------------------------------------
def test_current_tables_subsets_and_poisson_drive():
    e = LIFPopulation("e", N=20, v_rest=-65.0, v_reset=-65.0, v_thresh=-55.0, t_ref=2.0)
    z = IzhikevichPopulation("z", N=10)
    net = Network([e, z])
    net.add_current("e", amplitude=lambda t: 6.0 + 5.0 * np.sin(t / 7.0), start=3.0, stop=70.0)
    net.add_current("e", amplitude=lambda t: np.outer(0.05 * t, np.arange(3)), start=10.0, stop=40.0,
                    neurons=[1, 5, 5])
    net.add_current("z", amplitude=3.0, neurons=[0, 3, 3, 9])
    net.add_poisson("e", rate=800.0, weight=2.0, synapse="delta")
    net.add_poisson("e", rate=300.0, weight=1.0, synapse={"kind": "cond_exp", "tau": 3.0, "E": 0.0},
                    neurons=[0, 2, 4])
    net.add_poisson("z", rate=9e5, weight=0.02, synapse="exp")          # Poisson mean above the table's limit
    net.add_poisson("z", rate=400.0, weight=3.0, synapse="alpha", start=20.0, stop=50.0, neurons=[1, 2])
    net.add_noise("z", mean=1.0, std=2.0, neurons=[4, 4, 7], start=5.0)
    _, _, n = _compare(net, 80.0, record={"e": ["v", "I_ext", "I_syn"], "z": ["v", "u", "I_ext"]})
    assert n > 10


def test_poisson_and_generator_sources():
    rates = np.linspace(0.0, 400.0, 30)
    src = PoissonPopulation("src", 30, rate=rates, start=5.0, stop=60.0)
    uni = PoissonPopulation("uni", 50, rate=150.0)
    gen = SpikeSourcePopulation("gen", [[1.0, 2.0, 2.0, 30.0], [], [2.0, 55.5]])
    post = LIFPopulation("post", N=10, v_thresh=-60.0)
    net = Network([src, uni, gen, post])
    for pre in ("src", "uni", "gen"):
        net.connect(pre, "post", rule="all_to_all", weight=0.5, synapse="exp", delay=0.5, std=0.0,
                    plasticity=None)
    a, _, n = _compare(net, 80.0, record={"post": ["v"]})
    assert a.results["src"].spike_times.size > 50
    assert a.results["gen"].spike_times.size == 5    # the repeated time counts once
    assert a.results["src"].spike_times.min() >= 5.0 and a.results["src"].spike_times.max() < 60.0
    assert not np.any(a.results["src"].spike_ids == 0)   # rate 0


def test_poisson_source_rate():
    src = PoissonPopulation("src", 200, rate=20.0)
    net = Network([src])
    sim = net.build(dt=0.1, seed=3, backend="numba")
    sim.run(2000.0)
    rate = sim.results["src"].spike_times.size / 200 / 2.0
    assert 18.0 < rate < 22.0


# ---------------------------------------------------------------------------
# the run API on the numba backend
# ---------------------------------------------------------------------------
def test_split_runs_equal_one_run():
    net = _izh_net("alpha")
    one = _run(net, "numba", 60.0, record={"exc": ["v"]})
    parts = _run(net, "numba", None, record={"exc": ["v"]}, split=(10.0, 0.05, 29.95, 20.0))
    ref = _run(net, "numpy", None, record={"exc": ["v"]}, split=(33.3, 26.7))
    for sim in (parts, ref):
        np.testing.assert_array_equal(one.results["exc"].spike_times, sim.results["exc"].spike_times)
        np.testing.assert_array_equal(one.results["exc"].v, sim.results["exc"].v)


def test_advance_batches_match_numpy():
    net = _izh_net("exp")
    sims = [net.build(dt=0.1, seed=5, backend=b, stdp=False) for b in ("numpy", "numba")]
    for _ in range(6):
        batches = [s.advance(10.0) for s in sims]
        np.testing.assert_array_equal(batches[0].times, batches[1].times)
        np.testing.assert_array_equal(batches[0].ids, batches[1].ids)
        np.testing.assert_array_equal(batches[0].pop, batches[1].pop)


def test_disconnect_set_weights_and_record_every():
    net = _lif_net("exp")
    sims = []
    for b in ("numpy", "numba"):
        sim = net.build(dt=0.1, seed=2, backend=b, stdp=False, record={"e": ["v"]}, record_every=0.5)
        sim.run(20.0)
        sim.disconnect("i", "e")
        sim.run(20.0)
        sim.reconnect("i", "e")
        pre, post, w = sim.get_weights("e->e")
        sim.set_weights("e->e", w * 1.5)
        sim.run(20.0)
        sims.append(sim)
    ra, rb = sims[0].results, sims[1].results
    np.testing.assert_array_equal(ra["e"].spike_times, rb["e"].spike_times)
    np.testing.assert_allclose(ra["e"].v, rb["e"].v, rtol=1e-9)
    assert ra.t.size == 120


def test_progress_callback_and_divergence():
    net = _izh_net("delta")
    seen = []
    sim = net.build(dt=0.1, seed=1, backend="numba", stdp=False)
    sim.run(50.0, progress=lambda f, t: seen.append((f, t)))
    assert seen and seen[-1][0] == 1.0 and abs(seen[-1][1] - 50.0) < 1e-9
    bad = Network([IzhikevichPopulation("x", N=3, v0=[-65.0, 1e200, -65.0])])
    for backend in ("numpy", "numba"):
        sim = bad.build(dt=0.1, seed=0, backend=backend)
        with pytest.raises(FloatingPointError, match="NaN/inf"):
            sim.run(5.0)
        assert sim.k == 0 and sim.results["x"].spike_times.size == 0


def test_threads_do_not_change_results():
    net = _lif_net("exp")
    net.add(PoissonPopulation("src", 20, rate=200.0))
    net.connect("src", "e", rule="all_to_all", weight=0.3, delay=0.2, std=0.1, plasticity={
        "rule": "stdp", "dendritic_fraction": 0.5, "w_max": 1.0}, stp="depressing")
    net.add_poisson("i", rate=500.0, weight=0.5, synapse="delta")
    results = []
    for threads in (1, 2):
        net.settings["threads"] = threads
        sim = _run(net, "numba", 60.0, record={"e": ["v"]}, record_every=0.3, stdp=True)
        assert sim.backend.threads == min(threads, sim.backend.threads)
        results.append((sim.results, sim.get_weights("src->e")[2]))
    net.settings.pop("threads")
    (ra, wa), (rb, wb) = results
    for pop in ("e", "i", "src"):
        np.testing.assert_array_equal(ra[pop].spike_times, rb[pop].spike_times)
        np.testing.assert_array_equal(ra[pop].spike_ids, rb[pop].spike_ids)
    np.testing.assert_array_equal(ra["e"].v, rb["e"].v)
    np.testing.assert_array_equal(wa, wb)


def test_user_registered_model_runs_on_numba():
    from pyn_core.models import NeuronModel, Param, register_model, get_model
    name = "test_quadratic_if"
    try:
        model = get_model(name)
    except LookupError:
        def helper(v, v_r, v_c):
            return (v - v_r) * (v - v_c)

        def step(v, tau, v_r, v_c, v_peak, v_reset, I, G, GE, dt):
            return (v + dt * (helper(v, v_r, v_c) / 10.0 + I + GE - G * v) / tau,)

        def reset(v, v_reset):
            return (v_reset + 0.0 * v,)

        model = register_model(NeuronModel(
            name=name, params={"tau": Param(10.0, "ms", "time constant"), "v_r": Param(-65.0, "mV", "rest"),
                               "v_c": Param(-50.0, "mV", "critical"), "v_peak": Param(20.0, "mV", "peak"),
                               "v_reset": Param(-70.0, "mV", "reset")},
            state=("v",), initial=lambda params, N, given: {"v": given.get("v", params["v_r"])},
            step=step, reset=reset, reset_state=("v",), reset_params=("v_reset",), threshold="v_peak",
            spike_kind="reset", default_synapse={"kind": "exp", "tau": 3.0}))
    from pyn_core.population import Population
    net = Network([Population("q", 10, model)])
    net.add_current("q", amplitude=12.0)
    net.connect("q", "q", rule="all_to_all", weight=0.2, delay=1.0, std=0.0, plasticity=None)
    _, _, n = _compare(net, 60.0, record={"q": ["v"]}, exact=True)
    assert n > 5


# ---------------------------------------------------------------------------
# backend selection
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("rule, delay, std", [
    ({"rule": "stdp", "A_plus": 0.02, "A_minus": 0.021, "dendritic_fraction": 0.5}, 0.1, 0.0),
    ({"rule": "stdp", "pairing": "nearest", "dendritic_fraction": 0.5, "w_max": 3.0}, 0.1, 0.0),
    ({"rule": "stdp", "weight_dependence": "multiplicative", "A_plus": 0.05, "A_minus": 0.05,
      "dendritic_fraction": 0.5, "w_max": 3.0}, 0.1, 0.0),
    ({"rule": "stdp", "A_plus": 0.02, "A_minus": 0.021}, 1.0, 0.0),                      # late pre, one lag
    ({"rule": "stdp", "A_plus": 0.02, "A_minus": 0.021}, 1.0, 0.6),                      # late pre, mixed lags
    ({"rule": "stdp", "pairing": "nearest", "dendritic_fraction": 1.0, "w_max": 3.0}, 0.8, 0.5),   # late post
    ({"rule": "stdp", "weight_dependence": "multiplicative", "A_plus": 0.05, "A_minus": 0.05,
      "dendritic_fraction": 0.9, "w_max": 3.0}, 1.2, 0.4),
])
def test_pair_stdp_matches_numpy(rule, delay, std):
    src = PoissonPopulation("src", 60, rate=np.linspace(5.0, 60.0, 60))
    e = IzhikevichPopulation("e", N=12, v0=-65.0)
    net = Network([src, e])
    net.connect("src", "e", rule={"name": "pairwise_bernoulli", "p": 0.5}, weight={"dist": "uniform", "low": 0,
                "high": 2.0}, synapse="exp", delay=delay, std=std, plasticity=rule)
    net.connect("e", "e", rule="all_to_all", weight=0.5, synapse="exp", delay=delay, std=std, plasticity=rule,
                allow_autapses=True)
    net.add_current("e", amplitude=2.0)
    a, b, n = _compare(net, 600.0, stdp=True, record={"e": ["v"]})
    assert n > 50
    for name in ("src->e", "e->e"):
        wa, wb = a.get_weights(name)[2], b.get_weights(name)[2]
        np.testing.assert_array_equal(wa, wb)
    w0 = _run(net, "numpy", 0.0, stdp=True).get_weights("src->e")[2]
    assert not np.array_equal(w0, a.get_weights("src->e")[2])     # it learned


@pytest.mark.parametrize("stp", ["depressing", "facilitating"])
def test_short_term_plasticity_matches_numpy(stp):
    src = PoissonPopulation("src", 30, rate=40.0)
    post = LIFPopulation("post", N=8, v_thresh=-60.0)
    net = Network([src, post])
    net.connect("src", "post", rule={"name": "pairwise_bernoulli", "p": 0.6}, weight=2.0, synapse="exp",
                delay=0.5, std=0.2, plasticity=None, stp=stp)
    _, _, n = _compare(net, 300.0, record={"post": ["v", "I_syn"]})
    assert n > 10


@pytest.mark.parametrize("delay, std, source", [(0.1, 0.0, None), (1.0, 0.5, "da")])
def test_reward_modulated_stdp_matches_numpy(delay, std, source):
    src = PoissonPopulation("src", 40, rate=np.linspace(10.0, 60.0, 40))
    e = IzhikevichPopulation("e", N=10, v0=-65.0)
    da = PoissonPopulation("da", 3, rate=20.0)
    net = Network([src, e, da])
    rule = {"rule": "rstdp", "tau_c": 200.0, "tau_d": 50.0, "w_max": 4.0, "dopamine_from": source,
            "dopamine_per_spike": 0.2}
    net.connect("src", "e", rule={"name": "pairwise_bernoulli", "p": 0.6}, weight={"dist": "uniform", "low": 0.5,
                "high": 2.5}, synapse="exp", delay=delay, std=std, plasticity=rule)
    net.add_current("e", amplitude=3.0)
    sims = [net.build(dt=0.1, seed=4, backend=b, stdp=True) for b in ("numpy", "numba")]
    for t in range(12):                   # a closed loop: reward between steps of 25 ms
        batches = [s.advance(25.0) for s in sims]
        np.testing.assert_array_equal(batches[0].times, batches[1].times)
        np.testing.assert_array_equal(batches[0].ids, batches[1].ids)
        if t % 3 == 1:
            for s in sims:
                s.reward(0.8 if t % 2 else -0.3)
        assert sims[0].dopamine() == sims[1].dopamine()
    wa, wb = (s.get_weights("src->e")[2] for s in sims)
    np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(*(s.get_eligibility("src->e") for s in sims))
    assert not np.array_equal(wa, _run(net, "numpy", 0.0, seed=4, stdp=True).get_weights("src->e")[2])


def test_auto_falls_back_to_numpy_for_what_numba_lacks(caplog):
    net = _izh_net("exp")
    sim = net.build(dt=0.1, seed=0, backend="auto", stdp=False)
    assert sim.backend.name == "numba"
    from pyn_core.models import NeuronModel, get_model
    izh = get_model("izhikevich")
    odd = NeuronModel(**{**{f: getattr(izh, f) for f in izh.__dataclass_fields__}, "name": "test_odd_spikes",
                         "spike_kind": "burst"})
    from pyn_core.population import Population
    net = Network([Population("a", 3, odd)])
    with caplog.at_level(logging.INFO, logger="pyn_core"):
        sim = net.build(dt=0.1, seed=0, backend="auto")
    assert sim.backend.name == "numpy"
    assert "spike kind 'burst'" in caplog.text
    with pytest.raises(NotImplementedError, match="spike kind 'burst'"):
        net.build(dt=0.1, seed=0, backend="numba")
    # every plasticity rule runs compiled, default STDP with delays included
    shifted = Network([IzhikevichPopulation("a", N=5), IzhikevichPopulation("b", N=5)])
    shifted.connect("a", "b", rule="all_to_all", weight=1.0, delay=2.0, std=0.5)
    shifted.connect("b", "a", rule="all_to_all", weight=1.0, plasticity="rstdp", stp="facilitating")
    assert shifted.build(dt=0.1, seed=0, backend="auto", stdp=True).backend.name == "numba"


def test_unknown_backend_name():
    net = _izh_net("exp")
    sim = net.build(dt=0.1, seed=0, backend="numpy")
    with pytest.raises(ValueError, match="unknown backend"):
        select_backend("cuda", sim)


def test_float32_weights_and_compact_delays():
    net = _izh_net("exp", delay_std=0.6)
    net.settings["dtype"] = "float32"
    a, b, n = _compare(net, 60.0, record={"exc": ["v"]})
    assert n > 10
    for sim in (a, b):
        q = sim.projs[0]
        assert q.weight.dtype == np.float32 and q.post_idx.dtype == np.int32 and q.delay.dtype == np.uint8
        assert sim.receptors[0].ring.dtype == np.float32


def test_weight_monitor_and_long_runs_in_pieces():
    src = PoissonPopulation("src", 30, rate=30.0)
    e = LIFPopulation("e", N=5, v_thresh=-60.0)
    net = Network([src, e])
    net.connect("src", "e", rule="all_to_all", weight=1.0, synapse="exp", delay=0.5, std=0.2,
                plasticity={"rule": "stdp", "w_max": 2.0})
    res = []
    for backend in ("numpy", "numba"):
        sim = net.build(dt=0.1, seed=9, backend=backend, stdp=True, record_weights={"src->e": 7.0})
        assert sim.backend.name == backend
        res.append(sim.run(100.0))
    wa, wb = res[0].weights["src->e"], res[1].weights["src->e"]
    np.testing.assert_array_equal(np.asarray(wa.t), np.asarray(wb.t))
    np.testing.assert_array_equal(np.asarray(wa.w), np.asarray(wb.w))
