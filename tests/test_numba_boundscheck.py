"""The numba backend's debugging mode: ``PYN_NUMBA_BOUNDSCHECK=1`` checks every array index.

Run in a subprocess, since the mode is read when pyN is imported.  The same
network must give the same spikes as the numpy reference with the checks on,
and a corrupted target index (past the end of the target population) or a
corrupted offset in a record table (past the end of its pool) must raise
``IndexError`` instead of writing outside the ring buffer.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.requires_numba

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from pyn_core import IzhikevichPopulation, LIFPopulation, Network, PoissonPopulation
    from pyn_core.engine.numba import jit

    def net():
        n = Network([IzhikevichPopulation("a", N=30, preset="tonic_spiking"), LIFPopulation("b", N=10),
                     PoissonPopulation("p", N=20, rate=50.0)])
        n.connect("a", "b", rule="all_to_all", weight=2.0, synapse="exp", delay=1.0, std=0.4, plasticity="stdp")
        n.connect("p", "a", rule={"name": "fixed_indegree", "k": 4}, weight=6.0, plasticity=None)
        n.connect("b", "a", rule="all_to_all", weight=1.0, mode="inhibitory", stp="depressing", plasticity=None)
        n.add_poisson("b", rate=500.0, weight=1.0, synapse={"kind": "alpha", "tau": 2.0})
        return n

    out = {"boundscheck": jit.BOUNDSCHECK}
    runs = {}
    for backend in ("numpy", "numba"):
        res = net().build(dt=0.1, seed=3, backend=backend).run(100.0)
        runs[backend] = [res[p].spike_times.tolist() for p in ("a", "b", "p")]
    out["same"] = runs["numpy"] == runs["numba"]
    out["spikes"] = sum(len(x) for x in runs["numba"])
    sim = net().build(dt=0.1, seed=3, backend="numba")
    q = sim.projs[0]
    q.post_idx[:] = 10 ** 6          # past the end of population b
    try:
        sim.run(50.0)
        out["error"] = None
    except IndexError as exc:
        out["error"] = type(exc).__name__
    sim = net().build(dt=0.1, seed=3, backend="numba")
    sim.backend.PRJS[0]["post"] = sim.backend.pools["I32"].size - 3    # an offset past its pool's end
    try:
        sim.run(50.0)
        out["offset_error"] = None
    except IndexError as exc:
        out["offset_error"] = type(exc).__name__
    print(json.dumps(out))
""")


def test_boundscheck_mode_gives_the_same_spikes_and_catches_a_bad_index():
    env = dict(os.environ, PYN_NUMBA_BOUNDSCHECK="1")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["boundscheck"] is True
    assert out["same"] is True and out["spikes"] > 50
    assert out["error"] == "IndexError"
    assert out["offset_error"] == "IndexError"
