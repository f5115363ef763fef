"""Hodgkin-Huxley neurons against an independent high-accuracy integration.

The reference writes out the Hodgkin & Huxley (1952) squid-axon equations
(rest at 0 mV, depolarisation positive, Cm = 1 µF/cm², gNa = 120, gK = 36,
gL = 0.3 mS/cm², ENa = 115, EK = -12, EL = 10.613 mV) and integrates them with
scipy's LSODA at rtol = atol = 1e-9, spikes being the events of an upward
crossing of 50 mV.  pyN integrates with RK4 at dt = 0.01 ms and stamps a
crossing detected during step k with t_k = k*dt, so each pyN spike time lies
one step or less before the exact crossing.

The tests that run pyN do so on each installed backend (the ``backend``
fixture) with the same bounds, which are set by the step and RK4, not by the
backend.  numba calls the C library's ``exp`` where numpy uses its own; they may
differ in the last bit, which moves v by less than 1e-10 mV over the 100 ms DC
runs (measured), far below what could move a crossing to another step.
"""
import functools

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from pyn_core import HHPopulation, Network

DT = 0.01
V_DETECT = 50.0


def _rates(v):
    am = 0.1 * (25.0 - v) / (np.exp((25.0 - v) / 10.0) - 1.0)
    bm = 4.0 * np.exp(-v / 18.0)
    ah = 0.07 * np.exp(-v / 20.0)
    bh = 1.0 / (np.exp((30.0 - v) / 10.0) + 1.0)
    an = 0.01 * (10.0 - v) / (np.exp((10.0 - v) / 10.0) - 1.0)
    bn = 0.125 * np.exp(-v / 80.0)
    return am, bm, ah, bh, an, bn


def _rhs(t, y, I):
    v, m, h, n = y
    am, bm, ah, bh, an, bn = _rates(v)
    i_ion = 120.0 * m ** 3 * h * (v - 115.0) + 36.0 * n ** 4 * (v + 12.0) + 0.3 * (v - 10.613)
    return [I - i_ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def _crossing(t, y, I):
    return y[0] - V_DETECT


_crossing.direction = 1


@functools.lru_cache(maxsize=None)
def reference_spikes(I, T):
    """Exact (to ~1e-9) spike times of an HH neuron at rest given a DC step I at t = 0."""
    am, bm, ah, bh, an, bn = _rates(0.0)
    y0 = [0.0, am / (am + bm), ah / (ah + bh), an / (an + bn)]
    sol = solve_ivp(_rhs, (0.0, T), y0, method="LSODA", rtol=1e-9, atol=1e-9,
                    events=_crossing, args=(I,))
    assert sol.status == 0
    return sol.t_events[0]


@functools.lru_cache(maxsize=None)
def pyn_spikes(levels, T, backend, dt=DT):
    """pyN spike trains of one HH population, neuron i driven by DC levels[i] from t = 0."""
    amps = np.asarray(levels, dtype=float)
    pop = HHPopulation("hh", N=amps.size)
    net = Network(populations=[pop])
    net.add_current("hh", amplitude=lambda t: np.tile(amps, (t.size, 1)), start=0.0, stop=T)
    sim = net.build(dt=dt, seed=0, backend=backend)
    assert sim.backend.name == backend
    res = sim.run(T)
    return res["hh"].spike_trains()


LEVELS = (5.0, 6.0, 7.0, 10.0, 20.0, 40.0)   # µA/cm²
T_DC = 100.0


@pytest.mark.parametrize("i", range(len(LEVELS)), ids=[f"I={x:g}" for x in LEVELS])
def test_spike_times_match_reference(i, backend):
    # Bound: the exact crossing lies in (t_k, t_k + dt] of the pyN stamp t_k, plus the RK4
    # error of the crossing time at dt = 0.01 (measured < 1e-3 ms) -> [-0.002, dt + 0.002] ms,
    # far inside the 0.1 ms a user would care about.  Measured max |error| 0.0099 ms.
    I = LEVELS[i]
    ref = reference_spikes(I, T_DC)
    got = pyn_spikes(LEVELS, T_DC, backend)[i]
    assert got.size == ref.size and ref.size >= 1
    lag = ref - got
    assert lag.min() >= -0.002 and lag.max() <= DT + 0.002


@pytest.mark.parametrize("i", range(len(LEVELS)), ids=[f"I={x:g}" for x in LEVELS])
def test_f_I_curve(i, backend):
    # Spike count over the 100 ms window within one spike, and the repetitive-firing rate
    # (1000 / mean ISI) within 1 Hz, as stated for the f-I curve.
    I = LEVELS[i]
    ref = reference_spikes(I, T_DC)
    got = pyn_spikes(LEVELS, T_DC, backend)[i]
    assert abs(got.size - ref.size) <= 1
    if ref.size >= 3:
        f_ref = 1000.0 / np.mean(np.diff(ref[1:]))
        f_got = 1000.0 / np.mean(np.diff(got[1:]))
        assert abs(f_got - f_ref) <= 1.0


def test_f_I_shape(backend):
    # Known HH behaviour: below the repetitive-firing onset (~6.2 µA/cm²) a DC step gives a
    # few spikes only; above it the neuron fires repetitively at 50-100 Hz, the rate rising
    # with the current.
    trains = pyn_spikes(LEVELS, T_DC, backend)
    counts = [t.size for t in trains]
    assert counts[0] <= 2 and counts[1] <= 3
    rates = [1000.0 / np.mean(np.diff(t[1:])) for t in trains[2:]]
    assert all(40.0 < r < 150.0 for r in rates)
    assert np.all(np.diff(rates) > 0)


T_RHEO = 40.0


def reference_rheobase():
    """Bisection on the solve_ivp model: smallest DC giving >= 1 spike within T_RHEO."""
    lo, hi = 1.0, 4.0
    assert reference_spikes(lo, T_RHEO).size == 0 and reference_spikes(hi, T_RHEO).size > 0
    while hi - lo > 0.002:
        mid = round(0.5 * (lo + hi), 6)
        if reference_spikes(mid, T_RHEO).size:
            hi = mid
        else:
            lo = mid
    return lo, hi


def pyn_rheobase(backend):
    """Multisection on pyN (one population, one current per neuron), checked on both sides."""
    lo, hi = 1.0, 4.0
    for n in (31, 21):
        grid = tuple(np.round(np.linspace(lo, hi, n), 6))
        fired = np.array([t.size > 0 for t in pyn_spikes(grid, T_RHEO, backend)])
        assert not fired[0] and fired[-1]
        first = int(np.argmax(fired))
        assert np.all(fired[first:]) and not np.any(fired[:first])    # monotone in I
        lo, hi = grid[first - 1], grid[first]
    return lo, hi


def test_rheobase_matches_reference(backend):
    # The reference's rheobase must be HH's known long-step value (2.2-2.3 µA/cm²), which checks
    # the transcription; pyN's bracket (0.007 wide) must lie within 0.02 µA/cm² of it — RK4 at
    # dt = 0.01 ms moves the threshold by far less (measured < 0.005), the 0.1 µA/cm² asked of
    # the model is met with a wide margin.
    ref_lo, ref_hi = reference_rheobase()
    assert 2.2 < ref_lo < ref_hi < 2.3
    lo, hi = pyn_rheobase(backend)
    assert hi - lo < 0.01
    assert abs(0.5 * (lo + hi) - 0.5 * (ref_lo + ref_hi)) <= 0.02
