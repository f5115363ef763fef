"""Spikes to glow, without Blender."""
import math

import numpy as np
import pytest

from blender_addon.glow import (GlowParams, SpikeGlow, SpikeRecord, glow_from_last_spike,
                                population_offsets)


def expected_glow(t, spike_times, params):
    """Reference: exp(-age/decay) of the latest spike before t, cut below the floor.

    A simulation advanced to t has run the steps that start before t; a spike is
    stamped with the start of its step, so exactly the spikes stamped before t exist.
    """
    past = [s for s in spike_times if s < t - 1e-9]
    if not past:
        return 0.0
    g = math.exp(-(t - max(past)) / params.tau_ms)
    return g if g >= params.floor else 0.0


def test_flash_decays_in_frames_not_ms():
    for mspf in (0.5, 1.0, 4.0):
        p = GlowParams(decay_frames=3.0, ms_per_frame=mspf)
        last = np.array([10.0])
        one_frame_later = glow_from_last_spike(10.0 + mspf, last, p)[0]
        assert one_frame_later == pytest.approx(math.exp(-1 / 3), rel=1e-6)


def test_never_spiked_is_dark_and_spike_now_is_full():
    p = GlowParams(2.0, 1.0)
    out = glow_from_last_spike(5.0, np.array([-np.inf, 5.0]), p)
    assert out.dtype == np.float32
    assert out.tolist() == [0.0, 1.0]


def test_floor_cuts_the_tail():
    p = GlowParams(decay_frames=1.0, ms_per_frame=1.0, floor=0.01)
    assert p.horizon_ms == pytest.approx(math.log(100))
    out = glow_from_last_spike(10.0, np.array([10.0 - 4.5, 10.0 - 4.7]), p)
    assert out[0] > 0.01 and out[1] == 0.0


def test_bad_params_are_refused():
    with pytest.raises(ValueError, match="decay_frames"):
        GlowParams(decay_frames=0)
    with pytest.raises(ValueError, match="ms_per_frame"):
        GlowParams(ms_per_frame=-1)


def test_spike_glow_keeps_latest_spike_even_with_repeats():
    g = SpikeGlow(3)
    g.record(np.array([1, 1, 0, 1]), np.array([2.0, 5.0, 3.0, 4.0]))
    assert g.last_spike.tolist() == [3.0, 5.0, -np.inf]
    g.reset()
    assert np.all(np.isneginf(g.last_spike))


def test_incremental_and_record_agree_with_reference():
    rng = np.random.default_rng(3)
    n, dt = 50, 0.25
    steps = np.sort(rng.integers(1, 400, size=300))
    gids = rng.integers(0, n, size=300)
    times = steps * dt
    p = GlowParams(decay_frames=2.5, ms_per_frame=1.0)
    rec = SpikeRecord(steps, gids, dt, n)
    live = SpikeGlow(n)
    done = 0
    for frame in range(0, 101):
        t = frame * 1.0
        new = np.searchsorted(times, t - 1e-9, side="right")
        live.record(gids[done:new], times[done:new])
        done = new
        a = live.activity(t, p)
        b = rec.activity(t, p)
        ref = np.array([expected_glow(t, times[gids == i].tolist(), p) for i in range(n)])
        np.testing.assert_allclose(a, ref, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(b, ref, rtol=1e-6, atol=1e-7)


def test_record_random_access_backwards():
    rec = SpikeRecord.from_times([1.0, 2.0, 3.0], [0, 1, 0], dt=0.5, n=2)
    p = GlowParams(1.0, 1.0)
    late = rec.activity(3.5, p).copy()
    early = rec.activity(1.5, p)
    assert early.tolist() == [pytest.approx(math.exp(-0.5)), 0.0]
    assert late[0] == pytest.approx(math.exp(-0.5)) and late[1] == pytest.approx(math.exp(-1.5), rel=1e-6)
    assert rec.activity(1.0, p).tolist() == [0.0, 0.0]  # the spike of step 2 is not made yet at t=1


def test_record_rounds_time_to_whole_steps():
    rec = SpikeRecord.from_times([1.0], [0], dt=0.5, n=1)
    p = GlowParams(1.0, 1.0)
    assert rec.step_at(1.2) == 2 and rec.step_at(1.3) == 3
    assert rec.activity(1.3, p)[0] == pytest.approx(math.exp(-0.5))


def test_record_sorts_and_checks():
    rec = SpikeRecord([5, 1, 3], [0, 1, 2], 0.1, 3)
    assert rec.steps.tolist() == [1, 3, 5] and rec.gids.tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match="out of range"):
        SpikeRecord([1], [3], 0.1, 3)


def test_offsets_and_slices():
    off = population_offsets([3, 2])
    g = SpikeGlow(int(off[-1]))
    g.record(np.array([off[1] + 1]), np.array([1.0]))
    p = GlowParams(1.0, 1.0)
    assert g.activity(1.0, p, start=int(off[1]), stop=int(off[2])).tolist() == [0.0, 1.0]
    assert g.activity(1.0, p, start=0, stop=int(off[1])).tolist() == [0.0, 0.0, 0.0]
