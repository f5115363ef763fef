"""Spikes to per-neuron glow: a flash at each spike that decays over a few frames.

This module is free of ``bpy`` and ``bge``: Blender's frame handler, the bake
and the UPBGE component all compute the same numbers with it, and plain
pytest checks them.

The glow of neuron *i* at simulated time ``t`` depends only on its most recent
spike before ``t`` (a simulation advanced to ``t`` has made the spikes of the
steps that start before ``t``; the core stamps each with its step's start)::

    age      = (t - t_last_i) / ms_per_frame            # in frames
    activity = exp(-age / decay_frames)   if exp(-age / decay_frames) >= floor
             = 0                          otherwise (and when i never spiked)

so a neuron that spiked during the frame just shown has an activity between
``exp(-1/decay_frames)`` and 1, and the flash fades out after
``decay_frames * ln(1/floor)`` frames.  The decay is counted in frames, not in
milliseconds, so that a flash looks the same whatever the simulated time per
frame.

Examples
--------
>>> import numpy as np
>>> params = GlowParams(decay_frames=2.0, ms_per_frame=1.0)
>>> glow = SpikeGlow(3)
>>> glow.record(np.array([0, 2]), np.array([1.0, 3.0]))
>>> [round(float(x), 3) for x in glow.activity(3.0, params)]
[0.368, 0.0, 1.0]
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Glow below this is drawn as zero (1/256 is below one step of an 8-bit image).
DEFAULT_FLOOR = 1.0 / 256.0


@dataclass(frozen=True)
class GlowParams:
    """How a spike turns into light.

    Parameters
    ----------
    decay_frames : float
        e-folding time of the flash, in frames (> 0).
    ms_per_frame : float
        Simulated milliseconds shown per frame (> 0).
    floor : float
        Activity below this is set to 0, so a flash ends after a finite time.
    """

    decay_frames: float = 3.0
    ms_per_frame: float = 1.0
    floor: float = DEFAULT_FLOOR

    def __post_init__(self) -> None:
        if not self.decay_frames > 0:
            raise ValueError(f"decay_frames must be > 0, got {self.decay_frames}")
        if not self.ms_per_frame > 0:
            raise ValueError(f"ms_per_frame must be > 0, got {self.ms_per_frame}")
        if not 0 < self.floor < 1:
            raise ValueError(f"floor must lie in (0, 1), got {self.floor}")

    @property
    def tau_ms(self) -> float:
        """e-folding time of the flash in simulated milliseconds."""
        return self.decay_frames * self.ms_per_frame

    @property
    def horizon_ms(self) -> float:
        """How long after a spike its glow stays above ``floor``, in ms."""
        return self.tau_ms * math.log(1.0 / self.floor)


def glow_from_last_spike(t_now: float, last_spike: np.ndarray, params: GlowParams,
                         out: np.ndarray | None = None) -> np.ndarray:
    """Activity of each neuron given the time of its most recent spike.

    Parameters
    ----------
    t_now : float
        Current simulated time, ms.
    last_spike : ndarray of float
        Time of each neuron's most recent spike at or before ``t_now``;
        ``-inf`` for neurons that have not spiked.
    params : GlowParams
        Decay and frame rate.
    out : ndarray of float32, optional
        Buffer to write into (same shape as ``last_spike``).

    Returns
    -------
    ndarray of float32
        Activity in [0, 1].
    """
    if out is None:
        out = np.empty(last_spike.shape, dtype=np.float32)
    age = np.subtract(t_now, last_spike)
    np.maximum(age, 0.0, out=age)  # a spike stamped at t_now has age 0
    age *= -1.0 / params.tau_ms
    np.exp(age, out=age)
    age[age < params.floor] = 0.0
    out[...] = age
    return out


class SpikeGlow:
    """Remembers the most recent spike of every neuron of one or more populations.

    Neurons are numbered globally: population ``p`` occupies
    ``offsets[p]:offsets[p+1]`` (see :func:`population_offsets`).

    Parameters
    ----------
    n : int
        Total number of neurons.
    """

    def __init__(self, n: int) -> None:
        self.last_spike = np.full(int(n), -np.inf)

    @property
    def n(self) -> int:
        """Number of neurons tracked."""
        return int(self.last_spike.size)

    def reset(self) -> None:
        """Forget all spikes."""
        self.last_spike.fill(-np.inf)

    def record(self, ids: np.ndarray, times: np.ndarray) -> None:
        """Note spikes of neurons ``ids`` (global indices) at ``times`` (ms)."""
        if len(ids):
            np.maximum.at(self.last_spike, np.asarray(ids, dtype=np.intp), np.asarray(times, dtype=float))

    def activity(self, t_now: float, params: GlowParams, out: np.ndarray | None = None,
                 start: int = 0, stop: int | None = None) -> np.ndarray:
        """Glow of neurons ``start:stop`` at ``t_now`` (see :func:`glow_from_last_spike`)."""
        return glow_from_last_spike(t_now, self.last_spike[start:stop], params, out)


def population_offsets(sizes) -> np.ndarray:
    """Start of each population in the global numbering, plus the total at the end.

    >>> population_offsets([3, 2]).tolist()
    [0, 3, 5]
    """
    return np.concatenate([[0], np.cumsum(np.asarray(list(sizes), dtype=np.int64))]).astype(np.int64)


class SpikeRecord:
    """All spikes of a run, sorted by time, for random access by time (a bake).

    Spike times are kept as integer step indices (exact; time = step * dt) and
    neurons as global indices, both int32.

    Parameters
    ----------
    steps, gids : array_like of int
        Step index and global neuron index of each spike, in time order.
    dt : float
        Step of the simulation, ms.
    n : int
        Total number of neurons.
    """

    def __init__(self, steps, gids, dt: float, n: int) -> None:
        self.steps = np.ascontiguousarray(steps, dtype=np.int32)
        self.gids = np.ascontiguousarray(gids, dtype=np.int32)
        if self.steps.shape != self.gids.shape or self.steps.ndim != 1:
            raise ValueError("steps and gids must be 1-D arrays of the same length")
        if self.steps.size and np.any(np.diff(self.steps) < 0):
            order = np.argsort(self.steps, kind="stable")
            self.steps, self.gids = self.steps[order], self.gids[order]
        if self.gids.size and (self.gids.min() < 0 or self.gids.max() >= n):
            raise ValueError(f"neuron index out of range 0..{n - 1}")
        self.dt = float(dt)
        self.n = int(n)
        self._times = self.steps.astype(float) * self.dt

    def __len__(self) -> int:
        return int(self.steps.size)

    @property
    def times(self) -> np.ndarray:
        """Spike times, ms."""
        return self._times

    @classmethod
    def from_times(cls, times, gids, dt: float, n: int) -> "SpikeRecord":
        """Build from spike times in ms (rounded to the step ``dt``)."""
        steps = np.rint(np.asarray(times, dtype=float) / float(dt)).astype(np.int32)
        return cls(steps, gids, dt, n)

    def step_at(self, t_ms: float) -> int:
        """The step count a simulation reaches when advanced to ``t_ms`` in whole steps.

        The same rounding as :meth:`~blender_addon.runtime.NetworkRuntime.advance_to`.
        """
        return int(math.floor(t_ms / self.dt + 0.5))

    def last_spikes(self, k_now: int, window_steps: int, out: np.ndarray | None = None) -> np.ndarray:
        """Most recent spike time of each neuron among the steps ``k_now - window_steps .. k_now - 1``.

        These are the spikes a simulation has made once it has run ``k_now``
        steps.  Neurons without a spike there get ``-inf``.
        """
        if out is None:
            out = np.empty(self.n)
        out.fill(-np.inf)
        lo = np.searchsorted(self.steps, k_now - window_steps, side="left")
        hi = np.searchsorted(self.steps, k_now, side="left")
        if hi > lo:
            np.maximum.at(out, self.gids[lo:hi].astype(np.intp), self._times[lo:hi])
        return out

    def activity(self, t_ms: float, params: GlowParams, out: np.ndarray | None = None) -> np.ndarray:
        """Glow of all neurons once a simulation has been advanced to ``t_ms``.

        The same numbers as :class:`SpikeGlow` fed by that simulation gives:
        time is rounded to a whole step ``k`` and the spikes of steps before
        ``k`` count.
        """
        k = self.step_at(t_ms)
        window = int(math.ceil(params.horizon_ms / self.dt)) + 2
        last = self.last_spikes(k, window)
        return glow_from_last_spike(k * self.dt, last, params, out)
