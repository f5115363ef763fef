"""The numba backend's boundary: the simulation's arrays in typed pools, reached through record tables.

The backend moves every array its kernels use into one contiguous array per
element type and rebinds the engine's references (and views) to the moved
copies.  These tests check that nothing is left pointing at the old memory,
that the simulation and the compiled code see the same values, that arrays
the simulation replaces are taken in, and that the tables are typed records
with named fields.
"""
from __future__ import annotations

import numpy as np
import pytest

from pyn_core import IzhikevichPopulation, LIFPopulation, Network, PoissonPopulation, SpikeSourcePopulation

pytestmark = pytest.mark.requires_numba


def _net():
    a = IzhikevichPopulation("a", N=25, preset="tonic_spiking")
    b = LIFPopulation("b", N=12, t_ref=2.0)
    p = PoissonPopulation("p", N=15, rate=np.linspace(10.0, 60.0, 15))
    g = SpikeSourcePopulation("g", [[1.0, 5.0], [], [2.0]])
    net = Network([a, b, p, g])
    net.connect("a", "b", rule="all_to_all", weight=2.0, synapse="exp", delay=1.0, std=0.4,
                plasticity={"rule": "stdp", "dendritic_fraction": 0.2})
    net.connect("p", "a", rule={"name": "fixed_indegree", "k": 3}, weight=5.0, plasticity=None)
    net.connect("g", "b", rule="all_to_all", weight={"dist": "uniform", "low": 0.5, "high": 1.5},
                synapse={"kind": "cond_exp", "tau": 3.0, "E": 0.0}, plasticity=None)
    net.connect("b", "a", rule="all_to_all", weight=1.0, mode="inhibitory", stp="depressing", plasticity=None)
    net.connect("p", "b", rule="all_to_all", weight=0.8, synapse="alpha", plasticity={"rule": "rstdp"})
    net.add_poisson("b", rate=400.0, weight=1.0, synapse={"kind": "alpha", "tau": 2.0})
    return net


def test_no_reference_is_left_on_the_moved_arrays():
    from pyn_core.engine.numba.backend import NumbaBackend
    from pyn_core.engine.numba.pools import _root, reachable_arrays

    sim = _net().build(dt=0.1, seed=2, backend="numpy", learning=True, record={"a": ["v"]})
    before = reachable_arrays(sim)              # keeps the old arrays alive, so their ids stay unique
    backend = NumbaBackend(sim)
    moved = backend.pools.moved
    assert len(moved) > 30
    after = reachable_arrays(sim)
    stale = [path for path, a in after if id(a) in moved or id(_root(a)) in moved]
    assert not stale, stale
    assert len(before) > 0
    # what the kernels use lies in the pools, and the host's views are the same memory
    pools = backend.pools
    a = sim.pops[0]
    assert a.v is a.state["v"] is a.state_list[0]
    assert np.shares_memory(a.v, pools["F64"]) and np.shares_memory(a.spiked, pools["BOOL"])
    for rc in sim.receptors:
        assert all(np.shares_memory(row, rc.state) for row in rc.rows)
        assert np.shares_memory(rc.ring, pools["R"])
    for q in sim.projs:
        assert np.shares_memory(q.post_idx, pools["I32"]) and np.shares_memory(q.indptr, pools["I64"])
        if q.plastic is not None:
            assert q.plastic.w is q.weight


def test_the_simulation_and_the_compiled_code_share_the_state():
    net = _net()
    ref = net.build(dt=0.1, seed=5, backend="numpy", learning=True)
    sim = net.build(dt=0.1, seed=5, backend="numba", learning=True)
    for s in (ref, sim):
        s.advance(20.0)
        s.pops[0].v[:5] = -40.0                 # a write in place between calls reaches the kernels
        s.pops[0].state["u"][5:10] += 3.0
        s.advance(30.0)
    np.testing.assert_array_equal(ref.state("a", "v"), sim.state("a", "v"))
    for name in ("a", "b", "p", "g"):
        np.testing.assert_array_equal(ref.results[name].spike_times, sim.results[name].spike_times)
    np.testing.assert_array_equal(ref.get_weights("a->b")[2], sim.get_weights("a->b")[2])


def test_a_replaced_array_is_taken_in():
    net = _net()
    runs = []
    for backend in ("numpy", "numba"):
        sim = net.build(dt=0.1, seed=5, backend=backend, learning=True)
        sim.advance(15.0)
        assert not sim.projs[1].weight.flags.writeable       # one shared weight until now
        w = np.linspace(3.0, 7.0, sim.projs[1].n)
        sim.set_weights("p->a", w)                            # replaces the array: one value per synapse
        sim.pops[1].I_ext = sim.pops[1].I_ext.copy()          # a replaced (equal) array is taken in too
        sim.advance(35.0)
        runs.append(sim)
    a, b = runs
    for name in ("a", "b"):
        np.testing.assert_array_equal(a.results[name].spike_times, b.results[name].spike_times)
    np.testing.assert_array_equal(b.get_weights("p->a")[2], np.linspace(3.0, 7.0, b.projs[1].n))
    assert np.shares_memory(b.projs[1].weight, b.backend.pools["W"])


def test_connections_with_different_delay_types_run_on_numba():
    a = IzhikevichPopulation("a", N=20, preset="tonic_spiking")
    b = IzhikevichPopulation("b", N=10)
    net = Network([a, b])
    net.connect("a", "b", rule="all_to_all", weight=4.0, delay=1.0, std=0.3, plasticity=None)    # 1 byte
    net.connect("b", "a", rule="all_to_all", weight=0.5, delay=40.0, std=5.0, plasticity=None)   # 2 bytes
    net.add_current("a", amplitude=8.0)
    sims = [net.build(dt=0.1, seed=1, backend=backend) for backend in ("numpy", "numba")]
    assert {q.delay.dtype for q in sims[0].projs} == {np.dtype(np.uint8), np.dtype(np.int16)}
    res = [s.run(120.0) for s in sims]
    for name in ("a", "b"):
        np.testing.assert_array_equal(res[0][name].spike_times, res[1][name].spike_times)
    assert res[0]["b"].spike_times.size > 10


def test_the_tables_are_typed_records():
    from pyn_core.engine.numba import kernels as K

    sim = _net().build(dt=0.1, seed=2, backend="numba", learning=True)
    be = sim.backend
    for table, record in ((be.POPS, K.POPULATION), (be.RECS, K.RECEPTOR), (be.PRJS, K.PROJECTION),
                          (be.LRNS, K.LEARNER), (be.PSNS, K.POISSON), (be.MODS, K.MODULATOR)):
        assert table.dtype == record and table.dtype.isalignedstruct
    a = sim.pops[0]
    pop = be.POPS[0]
    assert pop["n"] == a.N and pop["model"] >= 0
    np.testing.assert_array_equal(be.pools["F64"][pop["v"]:pop["v"] + a.N], a.v)
    assert be.POPS[2]["model"] == K.SOURCE_POISSON and be.POPS[3]["model"] == K.SOURCE_EVENTS
    q = sim.projs[0]
    assert be.PRJS[0]["n_syn"] == q.n and be.LRNS[0]["late"] == K.LATE_PRE
