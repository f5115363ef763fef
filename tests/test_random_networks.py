"""Random networks of every feature, numpy against numba: the same spikes, weights and traces.

Each seed draws a network from :mod:`random_networks` (models, rules,
weights, delays, synapse kinds, STDP with every timing shift, R-STDP with
rewards between runs, short-term plasticity, current windows and tables,
noise, Poisson drive, spike sources, recorded traces) and runs it in three
pieces on both backends.  Spikes and weights must be identical; traces too
for the Izhikevich populations (no ``exp`` in its scheme), to 1e-9 for the
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
    exact = {p.name for p in net.populations if getattr(p.model, "name", None) == "izhikevich"}
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
