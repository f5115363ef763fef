"""Resources are checked before they are used: builds and recordings that cannot fit are refused with
the estimate and the memory available, run lengths are bounded, and the estimate is an honest bound."""
import time
import tracemalloc

import numpy as np
import pytest

from pyn_core import (IzhikevichPopulation, LIFPopulation, Network, PoissonPopulation, ResourceError,
                      SpikeSourcePopulation)
from pyn_core.engine.resources import (BUILD_BYTES_PER_SYNAPSE, MAX_STEPS, available_memory, estimate_build,
                                       format_bytes)


@pytest.fixture
def limit(monkeypatch):
    monkeypatch.setenv("PYN_MEMORY_LIMIT", "2G")


def quick(fn):
    """Run ``fn`` and return how long it took (a refusal must come before any large allocation)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def many_neurons():
    return Network([LIFPopulation("a", N=10 ** 9)])


def all_to_all_1e12():
    net = Network([LIFPopulation("a", N=10 ** 6), LIFPopulation("b", N=10 ** 6)])
    net.connect("a", "b", rule="all_to_all")
    return net


def bernoulli_5e9():
    net = Network([LIFPopulation("a", N=10 ** 5)])
    net.connect("a", "a", rule="pairwise_bernoulli", p=0.5)
    return net


@pytest.mark.parametrize("make", [many_neurons, all_to_all_1e12, bernoulli_5e9])
def test_builds_that_cannot_fit_are_refused_at_once(limit, make):
    def go():
        net = make()
        with pytest.raises(ResourceError, match=r"needs about .*iB.* but only 2\.0 GiB of memory is available"):
            net.build(dt=0.1, seed=0, backend="numpy")
    assert quick(go) < 5.0


def test_large_networks_refused_by_what_they_need(limit):
    net = Network([LIFPopulation("a", N=10 ** 6), LIFPopulation("b", N=10 ** 6)])
    net.connect("a", "b", rule="all_to_all")
    with pytest.raises(ResourceError) as info:
        net.build(dt=0.1, seed=0, backend="numpy")
    msg = str(info.value)
    assert "1,000,000,000,000 synapses" in msg and "synapses" in msg
    assert isinstance(info.value, MemoryError)


def test_a_long_delay_is_a_huge_ring_buffer(limit):
    net = Network([LIFPopulation("a", N=100), LIFPopulation("b", N=1000)])
    net.connect("a", "b", rule="all_to_all", delay=1e8)
    with pytest.raises(ResourceError, match=r"ring buffers"):
        net.build(dt=0.1, seed=0, backend="numpy")


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=pytest.mark.requires_numba)])
def test_delays_beyond_the_step_range_are_refused(backend):
    net = Network([LIFPopulation("a", N=2), LIFPopulation("b", N=2)])
    net.connect("a", "b", rule="all_to_all", delay=1e300)
    with pytest.raises(ValueError, match=r"a delay of 1e\+300 ms is .* steps .* at most 2147483647 steps"):
        net.build(dt=0.1, seed=0, backend=backend)


def test_a_recording_that_cannot_fit_is_refused_before_the_run(limit):
    sim = Network([LIFPopulation("a", N=1000)]).build(dt=1e-3, seed=0, backend="numpy", record=["v"])
    with pytest.raises(ResourceError, match=r"recording 1,000,000,000 steps"):
        sim.run(1e6)
    assert sim.k == 0
    sim.run(1.0)                                 # nothing was consumed by the refusal
    assert sim.k == 1000


def test_run_lengths_are_bounded():
    sim = Network([LIFPopulation("a", N=2)]).build(dt=0.1, seed=0, backend="numpy")
    for ms in (1e300, MAX_STEPS * 0.1 + 1):
        with pytest.raises(ValueError, match=r"at most 1,099,511,627,776 steps"):
            sim.run(ms)
    sim.run(1.0)                                 # a refused request leaves no debt behind
    assert sim.k == 10


def test_memory_limit_setting(monkeypatch):
    monkeypatch.setenv("PYN_MEMORY_LIMIT", "1.5G")
    assert available_memory() == 1.5 * 2 ** 30
    monkeypatch.setenv("PYN_MEMORY_LIMIT", "0")
    assert available_memory() is None
    net = Network([LIFPopulation("a", N=10 ** 9)])
    assert estimate_build(net, 0.1).total > 10 ** 11     # the check is off, but the estimate is not
    monkeypatch.setenv("PYN_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match=r"PYN_MEMORY_LIMIT must be a number of bytes"):
        available_memory()
    monkeypatch.delenv("PYN_MEMORY_LIMIT")
    have = available_memory()
    assert have is None or have > 2 ** 20


@pytest.mark.parametrize("learning", [False, True])
@pytest.mark.parametrize("rule", [dict(rule="all_to_all"), dict(rule="pairwise_bernoulli", p=0.3),
                                  dict(rule="fixed_indegree", k=60), dict(rule="fixed_outdegree", k=50)])
def test_the_estimate_bounds_the_real_peak(rule, learning):
    """tracemalloc sees numpy's allocations: the estimate is at least the peak and not wildly above it."""
    def make():
        net = Network([IzhikevichPopulation("a", N=600), LIFPopulation("b", N=500), PoissonPopulation("s", 100, 5.0)])
        net.connect("a", "b", delay=2.0, std=0.5, **rule)
        net.connect("s", "a", rule="all_to_all", weight={"dist": "normal", "mean": 1.0, "std": 0.2})
        return net
    net = make()
    est = estimate_build(net, 0.1, learning)
    tracemalloc.start()
    sim = net.build(dt=0.1, seed=0, backend="numpy", stdp=learning)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    real = sim.n_synapses
    assert abs(est.synapses - real) < 0.05 * real + 100
    assert peak <= est.total <= 6 * peak, (format_bytes(peak), format_bytes(est.total))
    assert BUILD_BYTES_PER_SYNAPSE * real <= est.total


def test_format_bytes():
    assert format_bytes(512) == "512 B" and format_bytes(1536) == "1.5 KiB" and format_bytes(2 ** 41) == "2.0 TiB"
    assert np.isfinite(estimate_build(Network([LIFPopulation("a", N=3)]), 0.1).total)


# -- times far beyond any run are "never" on every backend ------------------------------------------

def _driven(backend, **change):
    """A LIF population driven by a current window and a spike source; returns its spike times."""
    opts = dict(t_ref=2.0, start=5.0, stop=None, spike=[3.0, 8.0], source_start=0.0)
    opts.update(change)
    src = SpikeSourcePopulation("s", [opts["spike"]])
    gen = PoissonPopulation("g", 3, rate=200.0, start=opts["source_start"])
    cell = LIFPopulation("a", N=2, t_ref=opts["t_ref"], v_rest=-65.0, v_thresh=-64.0)
    net = Network([src, gen, cell])
    net.connect("s", "a", rule="all_to_all", weight=3.0)
    net.connect("g", "a", rule="all_to_all", weight=0.5)
    net.add_current("a", 2.0, start=opts["start"], stop=opts["stop"])
    res = net.build(dt=0.1, seed=3, backend=backend, stdp=False).run(30.0)
    return np.concatenate([r.spike_times for r in res]), res["a"].spike_times.size


@pytest.mark.parametrize("huge,same", [
    (dict(t_ref=1e300), dict(t_ref=1e6)),
    (dict(start=1e300), dict(start=1e6)),
    (dict(stop=1e300), dict(stop=None)),
    (dict(spike=[3.0, 1e300]), dict(spike=[3.0])),
    (dict(source_start=1e300), dict(source_start=1e6)),
])
def test_times_beyond_any_run_mean_never(backend, huge, same):
    got, n = _driven(backend, **huge)
    want, _ = _driven(backend, **same)
    np.testing.assert_array_equal(got, want)
    assert n > 0 or "t_ref" in huge


def test_poisson_stimulus_rates_are_bounded(backend):
    net = Network([LIFPopulation("a", N=2)])
    net.add_poisson("a", rate=1e300)
    with pytest.raises(ValueError, match=r"Poisson stimulus on 'a': a rate of 1e\+300 Hz .* at most 1e\+06"):
        net.build(dt=0.1, seed=0, backend=backend)


def test_a_tabulated_current_over_a_huge_window_is_refused(limit):
    net = Network([LIFPopulation("a", N=100)])
    net.add_current("a", lambda t: np.sin(t), start=0.0, stop=1e12)
    with pytest.raises(ResourceError, match=r"the table of the current stimulus on 'a'"):
        net.build(dt=0.1, seed=0, backend="numpy")
