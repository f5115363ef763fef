"""Stimuli and spike sources compiled into per-step schedules.

Random numbers
--------------
Random draws come from the simulation's run generator (``Simulation.rng_run``,
a numpy ``Generator``), consumed step after step in a fixed order: the noise
stimuli, then the Poisson stimuli with a large mean (in the order they were
given), then the Poisson source populations (in population order).  The
other Poisson stimuli use counter-based uniforms (below), which consume
nothing.  Consequently

* ``run(50); run(50)`` equals ``run(100)`` bit for bit, whatever the backend;
* the numba backend draws the very same numbers from the same ``Generator``
  inside its compiled loop, in the same order (numba implements numpy's
  generator algorithms bit for bit), so a seed gives the same spikes on both
  backends.

How each consumer turns draws into input (both backends do exactly this):

``noise``
    ``Generator.normal(mean, std)`` per target neuron and step.
``poisson`` (stimulus)
    a count per target neuron and step with mean ``lam = rate dt``: one
    uniform per neuron and step looked up in the table of the Poisson
    cumulative distribution (:func:`poisson_table`; exact to the resolution
    of the uniform), or ``Generator.poisson(lam)`` for ``lam > TABLE_MAX_LAM``.
    These uniforms are not drawn from the generator but computed, as
    :func:`hash_uniform` of the stimulus' key (from the seed) and the counter
    ``k n + t`` (step ``k``, target ``t`` of ``n``): a counter-based stream,
    the same whatever the order or the thread that asks, and cheap enough
    for the millions of inputs per second of a Brunel network.
Poisson source population
    a spike of neuron ``i`` at step ``k`` with probability ``p_i = rate_i dt``
    independently (a Bernoulli process over the cells ``(k, i)``).  The cells
    are visited in order ``(k - k0) N + i`` and the gaps between candidate
    cells are geometric (``Generator.geometric(p_max)``, ``p_max`` the largest
    ``p_i``); when the rates differ a candidate is kept if a uniform is below
    ``p_i / p_max`` (thinning; the uniform is drawn before the next gap).  The
    work per step is proportional to the number of spikes, not of sources.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import PynValueError
from ..stimuli import CurrentStimulus, NoiseStimulus, PoissonStimulus, _Table
from ..synapses import get_synapse_kind, normalise_synapse
from . import elementwise
from .resources import MAX_STEPS, check_recording, clamp_step, steps_of

#: The largest mean count per neuron and step of a Poisson stimulus (1e10 Hz at dt = 0.1 ms).
MAX_POISSON_MEAN = 1e6

#: Poisson means above this are drawn with ``Generator.poisson`` instead of a table.
TABLE_MAX_LAM = 50.0
#: Spawn key of the counter-based streams of the Poisson stimuli.
HASH_STREAM = 7

def hash_uniform(key_lo, key_hi, counter):
    """Uniforms in [0, 1) from 64-bit keys and uint64 counters (:func:`.elementwise.hash_uniform`).

    The numba backend compiles the same function and calls it on scalars.

    Examples
    --------
    >>> import numpy as np
    >>> u = hash_uniform(np.uint64(1), np.uint64(2), np.arange(100000, dtype=np.uint64))
    >>> bool(0.49 < u.mean() < 0.51), bool(u.min() >= 0.0), bool(u.max() < 1.0)
    (True, True, True)
    """
    with np.errstate(over="ignore"):
        return elementwise.hash_uniform(key_lo, key_hi, counter)


def stream_keys(rng, *key) -> tuple:
    """Two uint64 keys of a counter-based stream derived from ``rng``'s seed and ``key``."""
    bg = rng.bit_generator
    ss = getattr(bg, "seed_seq", None) or bg._seed_seq
    child = np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + tuple(int(x) for x in key),
                                   pool_size=ss.pool_size)
    lo, hi = child.generate_state(2, np.uint64)
    return np.uint64(lo), np.uint64(hi)


def poisson_table(lam: float):
    """Cumulative distribution of Poisson(``lam``) for drawing counts from uniforms.

    The count for a uniform ``u`` is the smallest ``c`` with ``u < table[c]``
    (``np.searchsorted(table, u, side="right")``); the last entry is ``inf``.
    Returns None when ``lam > TABLE_MAX_LAM`` (then counts come from
    ``Generator.poisson``).

    Examples
    --------
    >>> t = poisson_table(1.0)
    >>> round(float(t[0]), 6), bool(np.isinf(t[-1]))
    (0.367879, True)
    >>> poisson_table(0.0).tolist()
    [inf]
    """
    if lam > TABLE_MAX_LAM:
        return None
    if lam <= 0.0:
        return np.array([np.inf])
    kmax = int(lam + 12.0 * math.sqrt(lam) + 30.0)
    pmf = np.empty(kmax + 1)
    pmf[0] = math.exp(-lam)
    for c in range(1, kmax + 1):
        pmf[c] = pmf[c - 1] * lam / c
    cdf = np.cumsum(pmf)
    top = int(np.searchsorted(cdf, 1.0 - 2.0 ** -53))   # beyond: below the resolution of a uniform
    table = cdf[:top + 1].copy()
    table[-1] = np.inf
    return table


class _Window:
    def __init__(self, stim, pop, dt):
        self.pop = pop
        k0, k1 = stim.steps(dt)
        self.k0 = clamp_step(k0)
        self.k1 = None if k1 is None else clamp_step(k1)
        self.idx = None if stim.neurons is None else np.asarray(stim.neurons, dtype=np.int64)
        self.n = pop.N if self.idx is None else self.idx.size

    def active(self, k):
        return k >= self.k0 and (self.k1 is None or k <= self.k1)

    def add(self, target, values):
        if self.idx is None:
            target += values
        else:
            np.add.at(target, self.idx, values)


class StimulusSchedule:
    """All external input of a simulation, applied step by step.

    Attributes
    ----------
    currents, noises, poissons : list
        The compiled windows of each kind, in the order the stimuli were given
        (the order in which both backends add them up).
    given : list
        The stimulus descriptions as given (a checkpoint rebuilds the schedule from them).
    """

    def __init__(self, stimuli, pops_by_name, dt, receptor_for):
        self.currents, self.noises, self.poissons = [], [], []
        self.given = list(stimuli)       # the stimuli as given (what a checkpoint rebuilds them from)
        self.dt = dt
        self._bound = None
        for j, s in enumerate(stimuli):
            pop = pops_by_name[s.target]
            w = _Window(s, pop, dt)
            w.position = j
            pop.has_ext = pop.has_ext or not isinstance(s, PoissonStimulus)
            if isinstance(s, CurrentStimulus):
                w.amplitude = s.amplitude
                w.table = None
                tail = None
                if isinstance(s.amplitude, _Table):
                    # a table is tabulated over its own span only; after it, its last value holds
                    end = max(w.k0, math.floor(float(s.amplitude.times[-1]) / dt + 1e-9))
                    if w.k1 is None or w.k1 > end:
                        tail = _Window(s, pop, dt)
                        tail.k0, tail.k1, tail.position = end + 1, w.k1, j
                        tail.amplitude, tail.table = float(s.amplitude.values[-1]), None
                        w.k1 = end
                if callable(s.amplitude):
                    if w.k1 is None:
                        raise PynValueError(f"current stimulus on {s.target!r} with a callable amplitude "
                                            "needs a stop time")
                    check_recording(w.k1 - w.k0 + 1, w.n, f"the table of the current stimulus on {s.target!r} "
                                    f"(its amplitude is a function, tabulated over [start, stop])")
                    t = np.arange(w.k0, w.k1 + 1) * dt
                    table = np.asarray(s.amplitude(t), dtype=float)
                    if table.shape not in ((t.size,), (t.size, w.n)):
                        raise PynValueError(f"the amplitude callable of the current stimulus on {s.target!r} returned "
                                            f"shape {table.shape}; expected ({t.size},) or ({t.size}, {w.n})")
                    if not np.all(np.isfinite(table)):
                        raise PynValueError(f"the amplitude callable of the current stimulus on {s.target!r} "
                                            "returned NaN or inf")
                    w.table = table
                self.currents.append(w)
                if tail is not None:
                    self.currents.append(tail)
            elif isinstance(s, NoiseStimulus):
                w.mean, w.std = s.mean, s.std
                self.noises.append(w)
            else:
                syn = s.synapse or normalise_synapse(pop.desc.default_synapse("excitatory"), f"poisson on {s.target!r}")
                if "E" in get_synapse_kind(syn["kind"]).optional and "E" not in syn:
                    syn = dict(syn, E=0.0)
                w.receptor = receptor_for(pop, syn)
                w.lam = s.rate * dt * 1e-3
                if w.lam > MAX_POISSON_MEAN:
                    raise PynValueError(f"Poisson stimulus on {s.target!r}: a rate of {s.rate:g} Hz is {w.lam:.3g} "
                                        f"spikes per neuron and step of dt = {dt:g} ms; at most {MAX_POISSON_MEAN:g} "
                                        f"are allowed ({MAX_POISSON_MEAN / (dt * 1e-3):.3g} Hz at this dt)")
                w.cdf = poisson_table(w.lam)
                w.increments = w.receptor.increments(s.weight)   # per count, per state variable
                w.rows = tuple(z for z, x in enumerate(w.increments) if x != 0.0)   # the rows a count changes
                self.poissons.append(w)
        self.ext_pops = [p for p in pops_by_name.values() if p.has_ext]

    def bind(self, rng):
        """Derive the keys of the Poisson stimuli's counter-based streams from ``rng``'s seed (once)."""
        if self._bound is rng:
            return
        for w in self.poissons:
            w.key_lo, w.key_hi = stream_keys(rng, HASH_STREAM, w.position)
        self._bound = rng

    def apply(self, k, rng):
        """Set ``I_ext`` of every stimulated population for step ``k``; add Poisson drive."""
        self.bind(rng)
        for p in self.ext_pops:
            p.I_ext.fill(0.0)
        for w in self.currents:
            if w.active(k):
                w.add(w.pop.I_ext, w.amplitude if w.table is None else w.table[k - w.k0])
        for w in self.noises:
            if w.active(k):
                w.add(w.pop.I_ext, rng.normal(w.mean, w.std, w.n))
        for w in self.poissons:
            if w.active(k):
                if w.cdf is None:
                    counts = rng.poisson(w.lam, w.n)
                else:
                    counter = np.arange(k * w.n, (k + 1) * w.n, dtype=np.uint64)
                    counts = np.searchsorted(w.cdf, hash_uniform(w.key_lo, w.key_hi, counter), side="right")
                r = w.receptor
                if r.output == "voltage":
                    w.add(r.post.v, w.increments[0] * counts)
                    continue
                for z in w.rows:
                    w.add(r.rows[z], w.increments[z] * counts)


class PoissonSource:
    """The Bernoulli process of one Poisson source population (see the module docstring).

    Attributes
    ----------
    p_max : float
        Largest spike probability per step (at most 1).
    ratio : ndarray or None
        ``p_i / p_max`` per neuron when the rates differ (thinning), else None.
    k0, k1 : int
        Active for ``k0 <= k < k1`` (``k1 = -1``: no end).
    state : ndarray of int64, shape (1,)
        Cell ``(k - k0) N + i`` of the next candidate spike, ``-1`` before the
        first draw; the numba backend advances the same array.
    """

    def __init__(self, pop, dt):
        d = pop.desc
        p = np.broadcast_to(np.asarray(d.rate, dtype=float) * dt * 1e-3, (pop.N,))
        p = np.minimum(p, 1.0)
        self.N = pop.N
        self.p_max = float(p.max()) if p.size else 0.0
        self.ratio = None
        if self.p_max > 0.0 and not np.all(p == self.p_max):
            self.ratio = p / self.p_max
        self.k0 = clamp_step(math.ceil(d.start / dt - 1e-9))
        self.k1 = -1 if d.stop is None else clamp_step(math.ceil(d.stop / dt - 1e-9))
        self.state = np.full(1, -1, dtype=np.int64)

    def fire(self, spiked, k, rng):
        """Set ``spiked`` (cleared first) for step ``k``, drawing from ``rng``."""
        spiked.fill(False)
        if self.p_max <= 0.0 or k < self.k0 or (self.k1 >= 0 and k >= self.k1):
            return
        base = (k - self.k0) * self.N
        end = base + self.N
        nxt = int(self.state[0])
        if nxt < 0:
            nxt = int(rng.geometric(self.p_max)) - 1
        while nxt < end:
            i = nxt - base
            if self.ratio is None or rng.random() < self.ratio[i]:
                spiked[i] = True
            nxt += int(rng.geometric(self.p_max))
        self.state[0] = nxt


class SourceSchedule:
    """Spikes of Poisson and spike-generator populations.

    Attributes
    ----------
    poisson : dict
        Population index -> :class:`PoissonSource`.
    events : dict
        Population index -> (steps, ids) of a spike generator, sorted by step
        then neuron.
    """

    def __init__(self, pops, dt):
        self.dt = dt
        self.events = {}
        self.poisson = {}
        for p in pops:
            if not p.is_source:
                continue
            d = p.desc
            if d.rate is not None:
                self.poisson[p.index] = PoissonSource(p, dt)
            else:
                steps = np.concatenate([steps_of(t, dt) for t in d.spike_times] or [np.zeros(0, np.int64)])
                ids = np.concatenate([np.full(len(t), i, dtype=np.int64) for i, t in enumerate(d.spike_times)] or
                                     [np.zeros(0, np.int64)])
                keep = steps < MAX_STEPS            # later spikes never happen
                steps, ids = steps[keep], ids[keep]
                order = np.lexsort((ids, steps))
                self.events[p.index] = (steps[order], ids[order])

    def state_arrays(self) -> dict:
        """The sources' random-stream positions: ``"<population index>.next"`` -> copy of
        :attr:`PoissonSource.state` (spike generators keep none: their next event follows from ``k``)."""
        return {f"{j}.next": ps.state.copy() for j, ps in self.poisson.items()}

    def load_state_arrays(self, arrays: dict):
        """Write :meth:`state_arrays` back, in place."""
        for j, ps in self.poisson.items():
            ps.state[...] = arrays[f"{j}.next"]

    def fire(self, p, k, rng):
        """Set ``p.spiked`` for step ``k``."""
        if p.index in self.poisson:
            self.poisson[p.index].fire(p.spiked, k, rng)
            return
        steps, ids = self.events[p.index]
        lo, hi = np.searchsorted(steps, [k, k + 1])
        p.spiked.fill(False)
        if hi > lo:
            p.spiked[ids[lo:hi]] = True
