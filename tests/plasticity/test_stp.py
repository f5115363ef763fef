"""Tsodyks–Markram short-term plasticity against its recursion and its analytic steady state.

A regular train drives a neuron through a delta synapse onto a membrane that
neither leaks (tau_m = 1e15 ms) nor fires, so each jump of v is exactly the
transmitted amplitude ``w u x``.  References: the spike-to-spike map of
Tsodyks & Markram (1997) / Markram et al. (1998) iterated here, and its fixed
point (written out in ``steady``).  Tolerances: 1e-9 relative for the
sequence (exact arithmetic), 1e-6 for the steady state after 150 spikes.
Every test runs on each installed backend (the ``backend`` fixture) with these
tolerances; the backends' ``exp`` (numba calls the C library's) may differ in
the last bit only, a relative 1e-16.
"""
import math

import numpy as np
import pytest

from pyn_core import LIFPopulation, Network, SpikeSourcePopulation

DT = 0.5
W = 2.0


def amplitudes(stp, period, n_spikes, backend, synapse="delta"):
    times = [10.0 + i * period for i in range(n_spikes)]
    net = Network([SpikeSourcePopulation("pre", [times]),
                   LIFPopulation("post", 1, tau_m=1e15, v_rest=0.0, v_reset=0.0, v_thresh=1e9, v0=0.0)])
    net.connect("pre", "post", rule="all_to_all", weight=W, synapse=synapse, delay=1.0, std=0.0,
                plasticity=None, stp=stp)
    sim = net.build(dt=DT, seed=0, backend=backend, record={"post": ["v"]}, stdp=False)
    assert sim.backend.name == backend
    res = sim.run(times[-1] + 20.0)
    jumps = np.diff(res["post"].v[:, 0])
    return jumps[jumps > 1e-6]


def recursion(U, tau_rec, tau_facil, period, n):
    """The spike-to-spike map: u decays to 0, x recovers to 1; u += U(1-u); r = u x; x -= r."""
    u, x, out = 0.0, 1.0, []
    for i in range(n):
        if i:
            u *= math.exp(-period / tau_facil) if tau_facil > 0 else 0.0
            x = 1.0 - (1.0 - x) * math.exp(-period / tau_rec)
        u += U * (1.0 - u)
        out.append(W * u * x)
        x -= u * x
    return np.array(out)


def steady(U, tau_rec, tau_facil, period):
    ef = math.exp(-period / tau_facil) if tau_facil > 0 else 0.0
    er = math.exp(-period / tau_rec)
    u = U / (1.0 - (1.0 - U) * ef)
    x = (1.0 - er) / (1.0 - (1.0 - u) * er)
    return W * u * x


CASES = {
    "depressing": ({"U": 0.5, "tau_rec": 800.0, "tau_facil": 0.0}, 25.0),
    "facilitating": ({"U": 0.15, "tau_rec": 100.0, "tau_facil": 1000.0}, 25.0),
    "mixed": ({"U": 0.3, "tau_rec": 300.0, "tau_facil": 200.0}, 50.0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sequence_and_steady_state(case, backend):
    stp, period = CASES[case]
    amp = amplitudes(stp, period, 150, backend)
    assert amp.size == 150
    assert amp[0] == pytest.approx(stp["U"] * W, rel=1e-9)      # a rested synapse transmits U w
    ref = recursion(stp["U"], stp["tau_rec"], stp["tau_facil"], period, 150)
    np.testing.assert_allclose(amp, ref, rtol=1e-9)
    ss = steady(stp["U"], stp["tau_rec"], stp["tau_facil"], period)
    assert amp[-1] == pytest.approx(ss, rel=1e-6)
    if case == "depressing":
        assert amp[-1] < 0.2 * amp[0]
    if case == "facilitating":
        assert amp[1] > amp[0]


def test_presets_and_library_formula(backend):
    from pyn_core.plasticity import STP_PRESETS, tm_steady_state
    stp = STP_PRESETS["depressing"]
    assert tm_steady_state(40.0, **stp, w=W) == pytest.approx(steady(stp["U"], stp["tau_rec"], 0.0, 25.0))
    amp = amplitudes("depressing", 25.0, 3, backend)
    np.testing.assert_allclose(amp, recursion(0.5, 800.0, 0.0, 25.0, 3), rtol=1e-9)


def test_recovery_after_a_pause(backend):
    """After a long pause the synapse is rested again: full amplitude U w."""
    times = [10.0 + 20.0 * i for i in range(10)] + [5000.0]
    net = Network([SpikeSourcePopulation("pre", [times]),
                   LIFPopulation("post", 1, tau_m=1e15, v_rest=0.0, v_reset=0.0, v_thresh=1e9, v0=0.0)])
    net.connect("pre", "post", rule="all_to_all", weight=W, synapse="delta", delay=1.0, std=0.0,
                plasticity=None, stp={"U": 0.4, "tau_rec": 200.0})
    res = net.build(dt=DT, seed=0, backend=backend, record={"post": ["v"]}).run(5010.0)
    jumps = np.diff(res["post"].v[:, 0])
    jumps = jumps[jumps > 1e-6]
    assert jumps.size == 11 and jumps[9] < 0.5 * jumps[0]
    # 4.8 s of recovery with tau_rec = 200 ms leaves 1 - x ~ exp(-24)
    assert jumps[-1] == pytest.approx(0.4 * W, rel=1e-9)
