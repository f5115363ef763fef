"""The Simulation: the stateful shell that owns the arrays and runs the schedule."""
from __future__ import annotations

import logging
import math
import sys
import time

import numpy as np

from .._checks import check_real
from ..results import Results
from .backends import select_backend
from .compiled import compile_network
from .recorder import Recorder, resolve_record
from .schedule import SourceSchedule, StimulusSchedule

log = logging.getLogger("pyn_core")


class SimulationError(FloatingPointError):
    """The state of a population became NaN or infinite."""


class SpikeBatch:
    """The spikes of one ``advance`` window, in time order.

    Attributes
    ----------
    times : ndarray of float
        Spike times (ms).
    ids : ndarray of int
        Neuron index within its population.
    pop : ndarray of int
        Population index (position in ``Network.populations``).
    names : list of str
        Population names, indexed by ``pop``.
    """

    def __init__(self, times, ids, pop, names):
        self.times, self.ids, self.pop, self.names = times, ids, pop, names

    def __len__(self):
        return self.times.size

    def for_population(self, name) -> tuple[np.ndarray, np.ndarray]:
        """(ids, times) of the spikes of population ``name``."""
        try:
            i = self.names.index(name)
        except ValueError:
            raise LookupError(f"no population named {name!r}; populations: {', '.join(self.names)}") from None
        mask = self.pop == i
        return self.ids[mask], self.times[mask]

    def __repr__(self):
        return f"SpikeBatch({len(self)} spikes)"


def _text_bar(fraction, t_ms, width=30, stream=None):
    stream = stream or sys.stderr
    filled = int(round(width * fraction))
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:5.1f}%  t = {t_ms:.1f} ms")
    if fraction >= 1.0:
        stream.write("\n")
    stream.flush()


class Simulation:
    """A built network: preallocated arrays advanced by a backend.

    Made by :meth:`pyn_core.Network.build`; see there for the arguments.

    Examples
    --------
    >>> from pyn_core import Network, LIFPopulation
    >>> net = Network([LIFPopulation("n", N=2, v_rest=-65, v_thresh=-50)])
    >>> net.add_current("n", amplitude=20.0)
    <pyn_core.stimuli.CurrentStimulus object at ...>
    >>> sim = net.build(dt=0.1, seed=0, backend="numpy")
    >>> batch = sim.advance(50.0)
    >>> round(sim.t, 6), len(batch) > 0
    (50.0, True)
    """

    def __init__(self, net, dt, seed, backend="auto", stimuli=(), record=None, stdp=True,
                 record_every=None, experiment_name="experiment"):
        self.dt = check_real(dt, "dt", strictly_positive=True)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2 ** 32))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self.learning = bool(stdp)
        self.network = net
        self.experiment_name = experiment_name
        t0 = time.perf_counter()
        ss = np.random.SeedSequence(self.seed)
        rng_build, rng_run = (np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(2))
        self.rng_run = rng_run
        self.pops, self.receptors, self.projs, self.ring_len, receptor_for = compile_network(
            net, self.dt, rng_build, self.learning)
        by_name = {p.name: p for p in self.pops}
        for s in stimuli:
            if s.target not in by_name:
                raise LookupError(f"stimulus target {s.target!r} is not a population of the network; "
                                  f"populations: {', '.join(by_name)}")
        self.stimuli = StimulusSchedule(stimuli, by_name, self.dt, receptor_for)
        self.sources = SourceSchedule(self.pops, self.dt)
        if record_every is None:
            every = 1
        else:
            every = max(1, int(round(check_real(record_every, "record_every", strictly_positive=True) / self.dt)))
        self.record_spec = resolve_record(record, self.pops)
        self.recorder = Recorder(self.pops, self.record_spec, every)
        self.k = 0
        self._target = 0.0
        self.build_time = time.perf_counter() - t0
        self.backend = select_backend(backend, self)
        self.failure = None
        log.debug("built %s in %.3f s (%d synapses)", net.name, self.build_time, self.n_synapses)

    # -- properties --------------------------------------------------------
    @property
    def t(self) -> float:
        """Current simulated time in ms."""
        return self.k * self.dt

    @property
    def n_synapses(self) -> int:
        return int(sum(q.n for q in self.projs))

    @property
    def population_names(self) -> list[str]:
        return [p.name for p in self.pops]

    # -- running -----------------------------------------------------------
    def _steps_for(self, ms: float) -> int:
        ms = check_real(ms, "duration (ms)", minimum=0.0)
        self._target += ms
        return max(0, int(math.floor(self._target / self.dt + 1e-9)) - self.k)

    def run(self, ms: float, progress=None) -> Results:
        """Advance by ``ms`` milliseconds and return the results so far.

        Parameters
        ----------
        ms : float
            Duration; runs are resumable (two runs of 50 ms equal one of 100 ms).
        progress : None, True or callable
            ``True`` draws a text bar on stderr; a callable is called as
            ``progress(fraction_done, t_ms)`` about every percent.
        """
        n = self._steps_for(ms)
        self._run(n, progress)
        return self.results

    def advance(self, ms: float) -> SpikeBatch:
        """Advance by ``ms`` and return the spikes of that window (what a frame or tick calls)."""
        k0 = self.k
        n = self._steps_for(ms)
        counts = {p.index: len(self.recorder.spike_steps[p.index]) for p in self.pops}
        self._run(n, None)
        times, ids, pops = [], [], []
        for p in self.pops:
            chunks_s = self.recorder.spike_steps[p.index]
            chunks_i = self.recorder.spike_ids[p.index]
            if len(chunks_s) < counts[p.index]:   # chunks were merged: fall back to a search
                steps, allids = self.recorder.spike_arrays(p.index)
                lo = np.searchsorted(steps, k0)
                s, i = steps[lo:], allids[lo:]
            else:
                new_s, new_i = chunks_s[counts[p.index]:], chunks_i[counts[p.index]:]
                s = np.concatenate(new_s) if new_s else np.zeros(0, np.int64)
                i = np.concatenate(new_i) if new_i else np.zeros(0, np.int64)
            times.append(s * self.dt)
            ids.append(i)
            pops.append(np.full(s.size, p.index, dtype=np.int64))
        t, i, pp = np.concatenate(times), np.concatenate(ids), np.concatenate(pops)
        order = np.argsort(t, kind="stable")
        return SpikeBatch(t[order], i[order], pp[order], self.population_names)

    def _run(self, n: int, progress):
        if self.failure is not None:
            raise SimulationError(f"this simulation stopped earlier: {self.failure}")
        if n <= 0:
            return
        callback = _text_bar if progress is True else progress
        self.recorder.reserve(self.k, n)
        on_step = None
        if callback is not None:
            every = max(1, n // 100)
            start, done = self.k, [0]

            def on_step():
                done[0] += 1
                if done[0] % every == 0 or done[0] == n:
                    callback(done[0] / n, self.t)
        try:
            self.backend.run_steps(n, on_step)
        finally:
            self.recorder.close()

    def diverged(self, pop):
        """Stop with a clear error; what was recorded so far is kept."""
        bad = np.flatnonzero(~np.isfinite(pop.v))
        self.failure = (f"the membrane potential of population {pop.name!r} became NaN/inf at "
                        f"t = {self.t:.4g} ms (neurons {bad[:5].tolist()}{'...' if bad.size > 5 else ''}); "
                        f"try a smaller dt (now {self.dt} ms) or weaker inputs")
        raise SimulationError(self.failure)

    # -- weights and gating --------------------------------------------------
    def _proj(self, name_or_pre, post=None):
        for q in self.projs:
            if (post is None and q.name == name_or_pre) or (post is not None and q.pre.name == name_or_pre
                                                             and q.post.name == post):
                return q
        raise LookupError(f"no connection {name_or_pre!r}{'' if post is None else ' -> ' + repr(post)}; "
                          f"connections: {', '.join(q.name for q in self.projs) or 'none'}")

    def get_weights(self, name, post=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pre, post, weight) arrays of a connection (by name, or by pre and post names)."""
        q = self._proj(name, post)
        pre = np.repeat(np.arange(q.pre.N), np.diff(q.indptr))
        return pre, q.post_idx.astype(np.int64), q.weight.copy()

    def set_weights(self, name, weight, post=None):
        """Set the weights of a connection (a scalar or one value per synapse, CSR order)."""
        q = self._proj(name, post)
        w = np.broadcast_to(np.asarray(weight, dtype=float), q.weight.shape)
        if not np.all(np.isfinite(w)):
            raise ValueError("weights must be finite")
        q.weight[:] = w

    def disconnect(self, pre, post):
        """Stop transmission on ``pre -> post`` (weights kept, e.g. Go/NoGo gating)."""
        self._proj(pre, post).enabled = False

    def reconnect(self, pre, post):
        """Resume transmission on ``pre -> post``."""
        self._proj(pre, post).enabled = True

    # -- results -----------------------------------------------------------
    @property
    def results(self) -> Results:
        """What was recorded so far (a snapshot)."""
        return Results.from_simulation(self)
