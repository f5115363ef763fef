"""The run API: resumable and reproducible runs, advance windows, results, saving,
divergence handling, and the original pyN tutorial calls.

Every test that runs a network does so on each installed backend (the
``backend`` fixture; the tutorial calls are run as written plus ``backend=``).
Runs are compared only with runs on the same backend, so comparisons stay
exact; the divergence test compares with the published Izhikevich loop, which
each backend reproduces bit for bit (+ - * / only).
"""
import json
import math
import os

import numpy as np
import pytest

from pyn_core import *  # noqa: F401,F403  (the tutorial's import)
from pyn_core import (IzhikevichPopulation, LIFPopulation, Network, PoissonPopulation, SimulationError,
                      SpikeSourcePopulation, load_results)


def busy_network():
    """Recurrent Izhikevich network with noise, Poisson drive, a Poisson source and STDP."""
    exc = IzhikevichPopulation("exc", N=30, connectivity="sparse-random", scale=4.0)
    inh = LIFPopulation("inh", N=10)
    src = PoissonPopulation("src", N=8, rate=80.0)
    net = Network(populations=[exc, inh, src])
    net.connect("exc", "inh", synapses="full-random", scale=2.0, delay=1.0, std=0.3)
    net.connect("inh", "exc", synapses="full-random", mode="inhibitory", delay=0.5, std=0.1)
    net.connect("src", "exc", synapses="sparse-random", p=0.5, scale=20.0, delay=0.3, std=0.0)
    net.add_noise("exc", mean=3.0, std=4.0)
    net.add_poisson("inh", rate=300.0, weight=5.0)
    net.add_current("exc", amplitude=6.0, start=5.0, stop=60.0, neurons=[0, 1, 2])
    return net


RECORD = {"exc": ["v", "u", "I_syn", "I_ext"], "inh": ["v", "I_syn"]}


def build(backend, seed=7, **kw):
    sim = busy_network().build(dt=0.1, seed=seed, backend=backend, stdp=True, record=RECORD, **kw)
    assert sim.backend.name == backend
    return sim


def assert_results_equal(a, b):
    np.testing.assert_array_equal(a.t, b.t)
    assert a.names == b.names
    for p in a:
        q = b[p.name]
        np.testing.assert_array_equal(p.spike_times, q.spike_times)
        np.testing.assert_array_equal(p.spike_ids, q.spike_ids)
        assert sorted(p.traces) == sorted(q.traces)
        for var in p.traces:
            np.testing.assert_array_equal(p.traces[var], q.traces[var])


@pytest.fixture(scope="module")
def full_run(backend):
    """One 100 ms run of the busy network per backend, the reference of the tests below."""
    sim = build(backend)
    res = sim.run(100.0)
    return sim, res


def test_network_is_active(full_run):
    # the comparisons below are only meaningful if every population spikes
    _, res = full_run
    for name in ("exc", "inh", "src"):
        assert res[name].spike_times.size > 10, name


def test_resumed_run_is_bitwise_equal(full_run, backend):
    sim_full, res_full = full_run
    sim = build(backend)
    sim.run(50.0)
    res = sim.run(50.0)
    assert sim.t == pytest.approx(100.0)
    assert_results_equal(res, res_full)
    for q in ("exc->inh", "inh->exc", "src->exc", "exc->exc"):
        np.testing.assert_array_equal(sim.get_weights(q)[2], sim_full.get_weights(q)[2])


def test_uneven_pieces_are_bitwise_equal(full_run, backend):
    _, res_full = full_run
    sim = build(backend)
    for piece in (0.1, 12.3, 0.05, 37.65, 49.9):    # sums to 100 ms; 0.05 is half a step
        sim.run(piece)
    assert_results_equal(sim.results, res_full)


def test_same_seed_identical_different_seed_different(full_run, backend):
    _, res_full = full_run
    again = build(backend, seed=7).run(100.0)
    assert_results_equal(again, res_full)
    other = build(backend, seed=8).run(100.0)
    assert not np.array_equal(other["exc"].v, res_full["exc"].v)
    assert (other["src"].spike_times.size != res_full["src"].spike_times.size
            or not np.array_equal(other["src"].spike_times, res_full["src"].spike_times))
    assert res_full.seed == 7 and other.seed == 8


def test_advance_windows_concatenate_to_full_spike_train(full_run, backend):
    _, res_full = full_run
    sim = build(backend)
    names = sim.population_names
    times, ids, pops = [], [], []
    t0 = 0.0
    for window in [10.0] * 7 + [2.5, 27.5]:
        batch = sim.advance(window)
        assert np.all(np.diff(batch.times) >= 0)                       # time order
        assert np.all(batch.times >= t0 - 1e-9) and np.all(batch.times < t0 + window - 1e-9)
        for name in names:
            ids_p, times_p = batch.for_population(name)
            assert ids_p.size == np.sum(batch.pop == names.index(name))
        times.append(batch.times)
        ids.append(batch.ids)
        pops.append(batch.pop)
        t0 += window
    times, ids, pops = np.concatenate(times), np.concatenate(ids), np.concatenate(pops)
    for i, name in enumerate(names):
        m = pops == i
        np.testing.assert_array_equal(times[m], res_full[name].spike_times)
        np.testing.assert_array_equal(ids[m], res_full[name].spike_ids)
    assert_results_equal(sim.results, res_full)


def test_result_shapes_and_time_axis(full_run):
    _, res = full_run
    n = round(100.0 / 0.1)
    np.testing.assert_allclose(res.t, np.arange(n) * 0.1, rtol=0, atol=1e-9)
    assert res.t[0] == 0.0
    for name, variables in RECORD.items():
        for var in variables:
            assert getattr(res[name], var).shape == (n, res[name].N)
    for p in res:
        assert p.spike_times.shape == p.spike_ids.shape
        assert np.all(np.diff(p.spike_times) >= 0)
        assert p.spike_ids.min() >= 0 and p.spike_ids.max() < p.N
        # spike times lie on the step grid
        np.testing.assert_allclose(p.spike_times / 0.1, np.rint(p.spike_times / 0.1), atol=1e-9)
    assert res.duration == pytest.approx(100.0)


def test_record_every_subsamples_the_full_trace(full_run, backend):
    _, res_full = full_run
    res = build(backend, record_every=0.5).run(100.0)
    np.testing.assert_allclose(res.t, np.arange(200) * 0.5, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(res["exc"].v, res_full["exc"].v[::5])
    np.testing.assert_array_equal(res["exc"].spike_times, res_full["exc"].spike_times)


def test_ext_current_trace_and_window_inclusive(backend):
    # 'start' and 'stop' are both inclusive (the original I_ext): steps with t_k in [10, 20].
    pop = LIFPopulation("n", N=3)
    res = Network([pop]).simulate(backend=backend, T=30, dt=0.5, save_data=None, properties_to_save=["I_ext"], seed=0,
                                  I_ext={"n": [{"start": 10, "stop": 20, "mV": 2.5, "neurons": [1]},
                                               {"start": 15, "stop": 30, "mV": 1.0, "neurons": [1, 2]}]})
    t = res.t
    I = res["n"].I_ext
    np.testing.assert_array_equal(I[:, 0], 0.0)
    np.testing.assert_allclose(I[:, 1], 2.5 * ((t >= 10) & (t <= 20)) + 1.0 * (t >= 15), atol=1e-12)
    np.testing.assert_allclose(I[:, 2], 1.0 * (t >= 15), atol=1e-12)


# -- saving ----------------------------------------------------------------------------------

def test_save_and_load_roundtrip_without_pickle(tmp_path, backend):
    net = busy_network()
    res = net.simulate(backend=backend, experiment_name="save test", T=20.0, dt=0.1, save_data=str(tmp_path), seed=3,
                       properties_to_save=["v", "I_syn"], stdp=False)
    assert res.path is not None and os.path.isdir(res.path)
    assert os.path.dirname(res.path) == str(tmp_path)
    files = sorted(os.listdir(res.path))
    assert files == ["arrays.npz", "meta.json"]
    with np.load(os.path.join(res.path, "arrays.npz"), allow_pickle=False) as z:
        for key in z.files:
            assert z[key].dtype != object
    with open(os.path.join(res.path, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    assert meta["seed"] == 3 and meta["dt"] == 0.1
    loaded = load_results(res.path)
    assert_results_equal(loaded, res)
    assert loaded.dt == res.dt and loaded.seed == res.seed and loaded.experiment_name == "save test"
    assert loaded.duration == pytest.approx(20.0)
    # the saved spec rebuilds the same network
    again = Network.from_spec(loaded.meta["spec"]).simulate(backend=backend, T=20.0, dt=0.1, save_data=None, seed=3,
                                                               properties_to_save=["v", "I_syn"], stdp=False)
    assert_results_equal(again, res)
    # no half-written folders are left behind
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(res.path)]


def test_two_saves_do_not_overwrite(tmp_path):
    # the naming of result folders does not depend on the backend: numpy only
    net = Network([LIFPopulation("n", N=2)])
    a = net.simulate(backend="numpy", T=5, dt=0.1, save_data=str(tmp_path), seed=1)
    b = net.simulate(backend="numpy", T=5, dt=0.1, save_data=str(tmp_path), seed=2)
    assert a.path != b.path and os.path.isdir(a.path) and os.path.isdir(b.path)
    assert load_results(a.path).seed == 1 and load_results(b.path).seed == 2


# -- divergence --------------------------------------------------------------------------------

def first_nonfinite_step(I, dt, k_on, T):
    """Step at which the published Izhikevich Euler loop (a=0.02, b=0.2, c=-65, d=6, v0=-70)
    first produces a non-finite v, given current I from step k_on on, and the v samples
    (start of each step) up to and including that step."""
    V, u = -70.0, 0.2 * -70.0
    trace = []
    for k in range(round(T / dt)):
        trace.append(V)
        i = I if k >= k_on else 0.0
        V = V + dt * (0.04 * V * V + 5 * V + 140 - u + i)
        u = u + dt * 0.02 * (0.2 * V - u)
        if not math.isfinite(V):
            return k, np.array(trace)
        if V >= 30:
            V, u = -65.0, u + 6
    return None, np.array(trace)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_divergence_raises_and_keeps_results(backend):
    dt, amp = 1.0, -1000.0
    k_fail, v_ref = first_nonfinite_step(amp, dt, 5, 100.0)
    assert k_fail is not None
    net = Network([IzhikevichPopulation("wild one", N=2), LIFPopulation("calm", N=1)])
    sim = net.build(dt=dt, seed=0, backend=backend, record={"wild one": ["v"], "calm": ["v"]},
                    I_ext={"wild one": [{"start": 5, "stop": 100, "mV": amp, "neurons": [0]}]})
    with pytest.raises(SimulationError) as info:
        sim.run(100.0)
    msg = str(info.value)
    assert "'wild one'" in msg and "dt" in msg
    assert f"t = {k_fail * dt:g} ms" in msg
    assert isinstance(info.value, FloatingPointError)
    res = sim.results
    # samples are taken at the start of each step, so the failing step's sample is kept
    np.testing.assert_allclose(res.t, np.arange(k_fail + 1) * dt)
    assert res["wild one"].v.shape == (k_fail + 1, 2)
    assert np.all(np.isfinite(res["wild one"].v))
    # what was kept is the trajectory up to the failure (values up to ~1e179: relative 1e-9)
    np.testing.assert_allclose(res["wild one"].v[:, 0], v_ref, rtol=1e-9, atol=1e-9)
    assert res.meta["error"] == msg
    # a stopped simulation refuses to go on, with the same reason
    with pytest.raises(SimulationError, match="stopped earlier"):
        sim.run(1.0)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_diverging_simulate_still_saves_partial_results(tmp_path, backend):
    net = Network([IzhikevichPopulation("wild", N=1)])
    with pytest.raises(SimulationError, match="wild"):
        net.simulate(backend=backend, T=100, dt=1.0, save_data=str(tmp_path), properties_to_save=["v"], seed=0,
                     I_ext={"wild": [{"start": 5, "stop": 100, "mV": -1000.0, "neurons": [0]}]})
    (folder,) = os.listdir(tmp_path)
    loaded = load_results(os.path.join(tmp_path, folder))
    assert 5 < loaded.t.size < 100
    assert "wild" in loaded.meta["error"]
    assert net.last_simulation.results.t.size == loaded.t.size


# -- the original tutorial (README of pyN), run as written ---------------------------------------

@pytest.fixture
def in_tmp_cwd(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


def test_tutorial_single_neuron(in_tmp_cwd, backend):
    import matplotlib.pyplot as plt
    one_neurons = IzhikevichPopulation(name='Charly the Neuron', N=1)
    brain = Network(populations=[one_neurons])
    stim = [{'start': 10, 'stop': 100, 'mV': 14, 'neurons': [0]}]
    results = brain.simulate(experiment_name='Single Neuron exhibiting tonic spiking', T=100, dt=0.25,
                             I_ext={'Charly the Neuron': stim}, save_data='../data/',
                             properties_to_save=['v', 'u', 'psc', 'I_ext'], backend=backend)
    fig = show_data(results)  # noqa: F405
    plt.close("all")
    assert fig is not None
    pop = results['Charly the Neuron']
    assert pop.v.shape == (400, 1) and pop.u.shape == (400, 1) and pop.psc.shape == (400, 1)
    np.testing.assert_array_equal(pop.I_ext[:, 0], 14.0 * (results.t >= 10))
    assert pop.spike_times.size >= 4 and pop.spike_times[0] > 10
    assert os.path.realpath(os.path.dirname(results.path)) == os.path.realpath(in_tmp_cwd / "data")


def test_tutorial_thalamocortical_loop(in_tmp_cwd, backend):
    A = IzhikevichPopulation(name='thalamus', N=100, a=0.02, b=0.2, c=-65, d=6, v0=-70, u0=None)  # tonic spiking
    B = IzhikevichPopulation(name='cortex', N=50, a=0.02, b=0.25, c=-55, d=0.05, v0=-70, u0=None)  # phasic bursting
    brain = Network(populations=[A, B])
    brain.connect(pre='thalamus', post='cortex')
    brain.connect(pre='cortex', post='thalamus', delay=2.25, std=0.25)
    assert brain.get('thalamus') is A and brain.get('cortex') is B
    stim = [{'start': 10, 'stop': 200, 'mV': 20, 'neurons': [0]},
            {'start': 50, 'stop': 300, 'mV': 30, 'neurons': [i for i in range(3)]}]
    results = brain.simulate(experiment_name='Reentrant Thalamocortical Circuit', T=600, dt=0.25,
                             integration_time=30, I_ext={'thalamus': stim}, save_data='../data/',
                             properties_to_save=['v', 'u', 'psc', 'I_ext'], seed=5, backend=backend)
    th, cx = results['thalamus'], results['cortex']
    assert th.v.shape == (2400, 100) and cx.v.shape == (2400, 50)
    # stacked windows: neuron 0 gets 20 + 30 between 50 and 200 ms
    k = int(100 / 0.25)
    assert th.I_ext[k, 0] == 50.0 and th.I_ext[k, 1] == 30.0 and th.I_ext[k, 3] == 0.0
    assert set(np.unique(th.spike_ids)) >= {0, 1, 2}
    assert cx.spike_times.size > 0                       # driven through thalamus -> cortex
    assert cx.spike_times.min() > 10.0
    # delays normal(2.25, 0.25) rounded to the step, at least one step
    sim = brain.last_simulation
    assert sim.projs[1].max_delay * 0.25 <= 2.25 + 6 * 0.25
    assert os.path.isdir(results.path)


def test_tutorial_stdp_flag_and_nothing_saved_unless_asked(in_tmp_cwd, backend):
    A = IzhikevichPopulation(name='thalamus', N=20)
    B = IzhikevichPopulation(name='cortex', N=10)
    brain = Network(populations=[A, B])
    brain.connect(pre='thalamus', post='cortex')
    res = brain.simulate(stdp=False, backend=backend)     # defaults: T=50, dt=0.125, nothing saved
    assert res.duration == pytest.approx(50.0) and brain.last_simulation.k == 400
    assert res.t.size == 0                                # nothing asked for: spikes only
    assert res.path is None and os.listdir(".") == []     # the working directory is left alone
    res = brain.simulate(stdp=False, backend=backend, save_data="./")     # the original default, asked for
    assert os.path.realpath(os.path.dirname(res.path)) == os.path.realpath(".")
    assert os.listdir(".") == [os.path.basename(res.path)]
    stim = {'thalamus': [{'start': 0, 'stop': 50, 'mV': 25, 'neurons': list(range(20))}]}
    brain.simulate(backend=backend, stdp=False, I_ext=stim, save_data=None, seed=1)
    w_static = brain.last_simulation.get_weights("thalamus", "cortex")[2]
    brain.simulate(backend=backend, stdp=True, I_ext=stim, save_data=None, seed=1)
    w_learned = brain.last_simulation.get_weights("thalamus", "cortex")[2]
    assert w_static.size == w_learned.size > 0
    sim_static = brain.build(backend=backend, dt=0.125, seed=1, stdp=False)
    np.testing.assert_array_equal(sim_static.get_weights("thalamus", "cortex")[2], w_static)
    assert not np.array_equal(w_static, w_learned)        # STDP changed the weights


def test_tutorial_two_stimulated_populations(backend):
    A = IzhikevichPopulation(name='thalamus', N=5)
    B = IzhikevichPopulation(name='cortex', N=5)
    brain = Network(populations=[A, B])
    stim = [{'start': 10, 'stop': 40, 'mV': 20, 'neurons': [0]}]
    another_stim = [{'start': 0, 'stop': 40, 'mV': 10, 'neurons': [4]}]
    I_ext = {'thalamus': stim, 'cortex': another_stim}
    res = brain.simulate(T=50, dt=0.25, I_ext=I_ext, save_data=None, properties_to_save=['I_ext'], backend=backend)
    assert res['thalamus'].I_ext[100, 0] == 20.0 and res['cortex'].I_ext[100, 4] == 10.0


def test_recurrent_connectivity_option():
    # the connections are drawn at build time, whichever backend runs them: numpy only
    pop = IzhikevichPopulation(name='net', N=40, connectivity="sparse-random")
    brain = Network(populations=[pop])
    sim = brain.build(backend="numpy", dt=0.25, seed=2)
    pre, post, w = sim.get_weights("net", "net")
    assert pre.size > 0 and np.all(pre != post)          # no autapses
    assert 0.03 < pre.size / (40 * 39) < 0.2             # p = 0.1
    assert np.all((w >= 0) & (w < 1))
    assert "connectivity" in brain.to_spec()["populations"][0]


def test_legacy_synapse_options():
    # the weights are made at build time, whichever backend runs them: numpy only
    A = IzhikevichPopulation(name='a', N=4)
    B = IzhikevichPopulation(name='b', N=3)
    brain = Network(populations=[A, B])
    W = np.arange(12, dtype=float).reshape(4, 3) / 10.0
    brain.connect('a', 'b', synapses="none", name="learned")
    brain.connect('a', 'b', synapses="full-random", scale=2.0, name="random")
    brain.connect('a', 'b', synapses=W, name="given")
    sim = brain.build(backend="numpy", dt=0.25, seed=0)
    pre, post, w = sim.get_weights("learned")
    assert pre.size == 12 and np.all(w == 0.0)
    pre, post, w = sim.get_weights("random")
    assert pre.size == 12 and np.all((w >= 0) & (w < 2.0)) and np.unique(w).size == 12
    pre, post, w = sim.get_weights("given")
    np.testing.assert_array_equal(w, W[pre, post])


def test_inhibitory_mode_and_disconnect_reconnect(backend):
    # A driven source population onto a silent target: excitatory input is positive current,
    # inhibitory negative; disconnect() stops transmission, reconnect() resumes it.
    def run(mode, gate=None):
        src = SpikeSourcePopulation("src", [list(np.arange(1.0, 40.0, 2.0))] * 3)
        tgt = IzhikevichPopulation("tgt", N=2)
        brain = Network(populations=[src, tgt])
        brain.connect("src", "tgt", synapses="full-random", mode=mode, delay=1.0, std=0.0)
        if gate == "off":
            brain.disconnect("src", "tgt")
        elif gate == "off-on":
            brain.disconnect("src", "tgt")
            brain.reconnect("src", "tgt")
        return brain.simulate(backend=backend, T=40, dt=0.25, save_data=None, properties_to_save=["I_syn"], seed=4,
                              stdp=False)["tgt"].I_syn

    exc, inh = run("excitatory"), run("inhibitory")
    assert exc.max() > 0 and exc.min() >= 0
    np.testing.assert_array_equal(inh, -exc)
    np.testing.assert_array_equal(run("excitatory", "off"), 0.0)
    np.testing.assert_array_equal(run("excitatory", "off-on"), exc)


def test_gating_during_a_run(backend):
    src = SpikeSourcePopulation("src", [list(np.arange(0.0, 60.0, 1.0))])
    tgt = LIFPopulation("tgt", N=1, v_thresh=1e6)
    brain = Network(populations=[src, tgt])
    brain.connect("src", "tgt", synapses=np.array([[1.0]]), synapse={"kind": "pulse"}, delay=0.1, std=0.0,
                  plasticity=None)
    sim = brain.build(backend=backend, dt=0.1, seed=0, record={"tgt": ["I_syn"]})
    sim.run(20.0)
    sim.disconnect("src", "tgt")
    sim.run(20.0)
    sim.reconnect("src", "tgt")
    res = sim.run(20.0)
    I, t = res["tgt"].I_syn[:, 0], res.t
    arrivals = t[I > 0]
    # spikes emitted at 0..19 ms and 40..59 ms arrive one step later; those of 20..39 ms are dropped
    expected = np.concatenate([np.arange(0, 20), np.arange(40, 60)]) + 0.1
    expected = expected[expected < 60.0 - 1e-9]
    np.testing.assert_allclose(arrivals, expected, atol=1e-9)


def test_an_open_ended_tabulated_current_holds_its_last_value(backend):
    """A table with no stop time: interpolated over its span, then its last value for good, like np.interp."""
    def run(amplitude, stop):
        net = Network([LIFPopulation("a", N=1, v_rest=-65.0, v_thresh=0.0)])
        net.add_current("a", amplitude, start=1.0, stop=stop)
        return net.build(dt=0.1, seed=0, backend=backend, record=["I_ext"]).run(20.0)["a"].I_ext[:, 0]
    table = {"times": [2.0, 4.0], "values": [1.0, 3.0]}
    got = run(table, None)
    t = np.arange(200) * 0.1
    want = np.where(t >= 1.0 - 1e-9, np.interp(t, [2.0, 4.0], [1.0, 3.0]), 0.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(run(table, 1e9), got)     # the same as a stop beyond the run
