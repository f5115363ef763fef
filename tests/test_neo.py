"""Neo export: a Block whose spike trains, signals and groups are the run's, in quantities units."""
from __future__ import annotations

import sys

import numpy as np
import pytest

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")

from pyn_core import HHPopulation, IzhikevichPopulation, LIFPopulation, MissingPackage, Network  # noqa: E402


@pytest.fixture(scope="module")
def res():
    net = Network([LIFPopulation("exc", N=6), IzhikevichPopulation("izh", N=4), HHPopulation("hh", N=2),
                   LIFPopulation("silent", N=3)], name="neo run")
    net.add_current("exc", 25.0, neurons=[0, 1, 2])
    net.add_current("izh", 10.0)
    net.add_current("hh", 10.0)
    out = net.build(dt=0.05, seed=2, backend="numpy",
                    record={"exc": ["v", "I_ext"], "izh": ["u"], "hh": ["v", "I_ext", "m"]}).run(60.0)
    assert all(out[p].spike_times.size for p in ("exc", "izh", "hh")) and out["silent"].spike_times.size == 0
    return out


def test_one_spike_train_per_neuron_with_the_runs_spikes(res):
    block = res.to_neo()
    seg, = block.segments
    trains = seg.spiketrains
    assert len(trains) == sum(p.N for p in res)
    for st in trains:
        pop = res[st.annotations["population"]]
        i = st.annotations["index"]
        assert st.name == f"{pop.name}[{i}]" and st.units == pq.ms
        np.testing.assert_array_equal(st.magnitude, pop.spike_times[pop.spike_ids == i])
        assert st.t_start == 0 * pq.ms and st.t_stop == res.duration * pq.ms
    assert block.annotations["dt_ms"] == 0.05 and block.annotations["seed"] == 2


def test_signals_in_their_units_and_groups_per_population(res):
    block = res.to_neo()
    sigs = {s.name: s for s in block.segments[0].analogsignals}
    assert set(sigs) == {"exc.v", "exc.I_ext", "izh.u", "hh.v", "hh.I_ext", "hh.m"}
    units = {"exc.v": "mV", "exc.I_ext": "nA", "izh.u": "dimensionless", "hh.v": "mV", "hh.I_ext": "uA/cm**2",
             "hh.m": "dimensionless"}
    for name, sig in sigs.items():
        pop, var = name.split(".")
        assert sig.units == pq.Quantity(1.0, units[name]).units, name
        np.testing.assert_array_equal(sig.magnitude, res[pop].traces[var])
        assert sig.sampling_period.rescale("ms").magnitude == pytest.approx(res.t[1] - res.t[0])
        assert sig.t_start.rescale("ms").magnitude == pytest.approx(res.t[0])
        assert sig.annotations == {"population": pop, "variable": var}
    # the signal converts like any quantity: mV to V
    assert sigs["exc.v"][0, 0].rescale("V").magnitude == pytest.approx(res["exc"].v[0, 0] * 1e-3)
    groups = {g.name: g for g in block.groups}
    assert list(groups) == ["exc", "izh", "hh", "silent"]
    assert len(groups["exc"].spiketrains) == 6 and {s.name for s in groups["hh"].analogsignals} == {"hh.v", "hh.I_ext", "hh.m"}
    assert len(groups["silent"].analogsignals) == 0 and len(res.to_neo(include_traces=False).segments[0].analogsignals) == 0


def test_rates_from_the_block_agree_with_ours(res):
    # what an analysis on the Block computes: the mean rate of each population over the run
    block = res.to_neo()
    for g in block.groups:
        counts = sum(len(st) for st in g.spiketrains)
        rate = counts / len(g.spiketrains) / (res.duration * 1e-3)
        assert rate == pytest.approx(res[g.name].rate(res.duration))


def test_without_neo_a_clear_message(res, monkeypatch):
    monkeypatch.setitem(sys.modules, "neo", None)
    with pytest.raises(MissingPackage, match=r"the Neo format needs the 'neo' package: pip install 'pyn_core\[neo\]'"):
        res.to_neo()


def test_elephant_takes_the_block_as_it_is(res):
    # Elephant (numpy 2 only: the suite's numpy 2 run has it) computes the run's rates and counts
    es = pytest.importorskip("elephant.statistics")
    block = res.to_neo()
    for g in block.groups:
        for st in g.spiketrains:
            i = st.annotations["index"]
            want = (res[g.name].spike_ids == i).sum() / (res.duration * 1e-3)
            assert es.mean_firing_rate(st).rescale("Hz").magnitude == pytest.approx(want)
        hist = es.time_histogram(list(g.spiketrains), bin_size=5 * pq.ms)
        assert int(hist.magnitude.sum()) == res[g.name].spike_times.size
