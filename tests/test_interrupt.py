"""An interrupted run (Ctrl-C) stops at a step boundary, keeps what it recorded, runs nothing of the
interrupted request later, and continuing equals a run that was never interrupted (every backend)."""
import os
import signal
import threading
import time

import numpy as np
import pytest

from pyn_core import IzhikevichPopulation, LIFPopulation, Network, PoissonPopulation, load_results

RECORD = {"exc": ["v", "u", "I_syn"], "inh": ["v"]}


def network():
    exc = IzhikevichPopulation("exc", N=40, connectivity="sparse-random", scale=4.0)
    inh = LIFPopulation("inh", N=10)
    src = PoissonPopulation("src", N=10, rate=60.0)
    net = Network([exc, inh, src])
    net.connect("exc", "inh", synapses="full-random", scale=2.0, delay=1.0, std=0.3)
    net.connect("inh", "exc", synapses="full-random", mode="inhibitory", delay=0.5, std=0.1)
    net.connect("src", "exc", rule="pairwise_bernoulli", p=0.5, scale=20.0, delay=0.3, plasticity="stdp")
    net.add_noise("exc", mean=3.0, std=4.0)
    return net


def build(backend):
    return network().build(dt=0.1, seed=11, backend=backend, stdp=True, record=RECORD,
                           record_weights={"src->exc": 2.0})


def same(a, b):
    np.testing.assert_array_equal(a.t, b.t)
    for p in a:
        q = b[p.name]
        np.testing.assert_array_equal(p.spike_times, q.spike_times)
        np.testing.assert_array_equal(p.spike_ids, q.spike_ids)
        for var in p.traces:
            np.testing.assert_array_equal(p.traces[var], q.traces[var])
    for key, w in a.weights.items():
        np.testing.assert_array_equal(w.t, b.weights[key].t)
        np.testing.assert_array_equal(w.w, b.weights[key].w)


T = 200.0


@pytest.fixture(scope="module")
def reference(backend):
    return build(backend).run(T)


def interrupt_at(fraction):
    """A progress callback that sends this process SIGINT once the run is ``fraction`` done."""
    sent = []

    def progress(done, t_ms):
        if done >= fraction and not sent:
            sent.append(t_ms)
            os.kill(os.getpid(), signal.SIGINT)
    return progress, sent


def test_ctrl_c_stops_at_a_step_and_continuing_equals_an_uninterrupted_run(reference, backend):
    sim = build(backend)
    progress, sent = interrupt_at(0.4)
    with pytest.raises(KeyboardInterrupt, match=r"interrupted at t = .* ms"):
        sim.run(T, progress=progress)
    assert sent and 0 < sim.k < round(T / sim.dt)
    part = sim.results
    n = part.t.size
    assert n == sim.k                                       # every step so far recorded, none beyond
    np.testing.assert_array_equal(part["exc"].v, reference["exc"].v[:n])
    sim.run(0.0)                                            # the rest of the interrupted request is dropped
    assert sim.results.t.size == n
    sim.run(T - sim.t)
    same(sim.results, reference)


def test_ctrl_c_from_outside_the_progress_bar(reference, backend):
    """SIGINT from another thread at a random moment (no callback: the backend runs its longest pieces)."""
    sim = build(backend)
    sim.run(1.0)                                            # compiled and warm
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    try:
        sim.run(50 * T)
        pytest.skip("the run ended before the interruption arrived")
    except KeyboardInterrupt:
        pass
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < 5.0                   # it stopped soon after the signal
    k = sim.k
    if k < round(T / sim.dt):                               # compare on the part the reference covers
        sim.run(T - sim.t)
        same(sim.results, reference)


def test_interrupted_simulate_saves_what_it_recorded(tmp_path, backend):
    progress, sent = interrupt_at(0.5)
    net = network()
    with pytest.raises(KeyboardInterrupt):
        net.simulate(T=T, dt=0.1, seed=11, backend=backend, save_data=tmp_path, progress=progress,
                     properties_to_save=["v"])
    sim = net.last_simulation
    (folder,) = os.listdir(tmp_path)
    saved = load_results(tmp_path / folder)
    assert saved.duration == pytest.approx(sim.t) and 0 < saved.duration < T
    np.testing.assert_array_equal(saved["exc"].v, sim.results["exc"].v)


def test_other_handlers_are_left_alone(backend):
    """A program's own SIGINT handler keeps working during a run (the run does not replace it)."""
    calls = []
    previous = signal.signal(signal.SIGINT, lambda s, f: calls.append(s))
    try:
        sim = build(backend)
        progress, _ = interrupt_at(0.5)
        sim.run(20.0, progress=progress)
        assert calls == [signal.SIGINT] and sim.t == pytest.approx(20.0)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert signal.getsignal(signal.SIGINT) is previous


def test_the_default_handler_is_restored(backend):
    sim = build(backend)
    sim.run(5.0)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_failing_progress_callback_drops_the_rest_of_the_request(backend):
    sim = build(backend)

    def boom(done, t_ms):
        if done > 0.5:
            raise RuntimeError("stop here")
    with pytest.raises(RuntimeError):
        sim.run(20.0, progress=boom)
    k = sim.k
    sim.run(0.0)
    assert sim.k == k and 0 < k < 200
