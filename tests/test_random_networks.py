"""Random networks of every feature, numpy against numba: the same spikes, weights and traces.

Each seed draws a network from :mod:`random_networks` (models, rules,
weights, delays, synapse kinds, STDP with every timing shift, R-STDP with
rewards between runs, short-term plasticity, current windows and tables,
noise, Poisson drive, spike sources, recorded traces) and runs it in three
pieces on both backends.  Spikes and weights must be identical; traces too
for the Izhikevich populations (no ``exp`` in its scheme) without
short-term plasticity onto them (its release uses ``exp``), to 1e-9 for the
others (numpy's vectorised ``exp`` and the C library's, which numba calls,
may differ in the last bit).  Ten seeds by default (each network compiles
its own kernels); ``PYN_LONG_TESTS=1`` runs 60.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))       # the generator beside this file
from random_networks import random_network, run_arrays  # noqa: E402

pytestmark = pytest.mark.requires_numba

SEEDS = range(60 if os.environ.get("PYN_LONG_TESTS") else 10)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_network_is_the_same_on_numpy_and_numba(seed):
    net = random_network(seed)[0]
    # bit-identical traces: Izhikevich populations (no exp in the scheme) whose inputs involve no exp either
    # (Tsodyks-Markram release factors use exp, whose last bit numpy and the C library may round differently)
    stp_targets = {q.post for q in net.projections if q.stp is not None}
    exact = {p.name for p in net.populations
             if getattr(p.model, "name", None) == "izhikevich" and p.name not in stp_targets}
    a, b = run_arrays(seed, "numpy"), run_arrays(seed, "numba")
    assert a.keys() == b.keys()
    for key in a:
        pop, what = key.split(".", 1)
        if what in ("spike_times", "spike_ids", "w") or pop in exact:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-9, atol=1e-9, err_msg=key)


def test_the_random_networks_exercise_the_engine():
    """The seeds above cover what they claim (so a generator change cannot empty the test)."""
    seen = set()
    spikes = 0
    for seed in SEEDS:
        net = random_network(seed)[0]
        for q in net.projections:
            kind = q.synapse["kind"] if isinstance(q.synapse, dict) else q.synapse
            seen.add(f"syn:{kind}")
            if isinstance(q.plasticity, dict):
                seen.add(q.plasticity["rule"])
            if q.stp is not None:
                seen.add("stp")
        for s in net.stimuli:
            seen.add(type(s).__name__)
        out = run_arrays(seed, "numpy")
        spikes += sum(v.size for k, v in out.items() if k.endswith("spike_times"))
    for want in ("stdp", "rstdp", "stp", "CurrentStimulus", "PoissonStimulus", "syn:exp"):
        assert want in seen, want
    assert spikes > 1000


def _pieces(rng, T: float, dt: float) -> list:
    """Random durations summing to ``T``: whole and half steps, zero-length ones included."""
    halves = int(round(T / dt * 2))
    cuts = np.sort(rng.integers(0, halves + 1, size=int(rng.integers(1, 8))))
    edges = np.concatenate([[0], cuts, [halves]])
    return [float(d) * dt / 2 for d in np.diff(edges)]


def _run_split(seed: int, backend: str, pieces) -> dict:
    net, T, dt, record, learning = random_network(seed)
    sim = net.build(dt=dt, seed=seed, backend=backend, record=record, learning=learning)
    rng = np.random.default_rng(seed + 2)
    spikes = []
    for ms in pieces:
        if rng.random() < 0.5:
            sim.run(ms)
        else:
            batch = sim.advance(ms)
            spikes.append(batch)
    res = sim.results
    out = {}
    for p in net.populations:
        out[f"{p.name}.spike_times"] = res[p.name].spike_times
        out[f"{p.name}.spike_ids"] = res[p.name].spike_ids
        for var, tr in res[p.name].traces.items():
            out[f"{p.name}.{var}"] = tr
    for q in net.projections:
        out[f"{q.name}.w"] = sim.get_weights(q.name)[2]
    out["t"] = np.array([sim.t])
    return out, spikes, sim


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("seed", SEEDS[:5] if not os.environ.get("PYN_LONG_TESTS") else SEEDS)
def test_split_runs_and_advance_windows_equal_one_run(seed, backend):
    """A run cut into random pieces (``run`` and ``advance`` mixed, half steps included) equals one run,
    bit for bit, and the ``advance`` windows hold exactly the spikes of their time spans."""
    net, T, dt, _, _ = random_network(seed)
    whole, _, _ = _run_split(seed, backend, [T])
    pieces = _pieces(np.random.default_rng(seed), T, dt)
    split, batches, sim = _run_split(seed, backend, pieces)
    assert whole.keys() == split.keys()
    for key in whole:
        np.testing.assert_array_equal(whole[key], split[key], err_msg=f"{key} after pieces {pieces}")
    names = [p.name for p in net.populations]
    for b in batches:                              # each window's spikes are in the full record
        for name in set(b.names[i] for i in b.pop):
            ids, times = b.for_population(name)
            full_t, full_i = whole[f"{name}.spike_times"], whole[f"{name}.spike_ids"]
            inside = [(t, i) for t, i in zip(full_t, full_i) if times.min() - 1e-9 <= t <= times.max() + 1e-9]
            assert sorted(zip(times.tolist(), ids.tolist())) == sorted((float(t), int(i)) for t, i in inside)
        assert list(b.names) == names
