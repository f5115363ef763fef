"""The Simulation: the stateful shell that owns the arrays and runs the schedule."""
from __future__ import annotations

import logging
import math
import reprlib
import signal
import threading
import time

import numpy as np

from .._checks import check_real
from ..errors import PynLookupError, PynTypeError, PynValueError, SimulationError
from ..results import Results
from .backend import select_backend
from .build import compile_network
from .plasticity import PlasticityState
from .recorder import Recorder, WeightMonitor, resolve_record
from .resources import check_build, check_recording, check_steps
from .inputs import SourceSchedule, StimulusSchedule

log = logging.getLogger("pyn_core")


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
            raise PynLookupError(f"no population named {name!r}; populations: {', '.join(self.names)}") from None
        mask = self.pop == i
        return self.ids[mask], self.times[mask]

    def __repr__(self):
        return f"SpikeBatch({len(self)} spikes)"


try:        # the handler functions without signal's enum conversions (a tenth of the cost per advance call)
    import _signal as _signals
except ImportError:     # pragma: no cover - other Python implementations
    _signals = signal

#: Wall-clock seconds a piece of a run aims at: an interruption (Ctrl-C) takes effect between pieces.
PIECE_SECONDS = 0.2


class _Interrupted(Exception):
    """Raised at a step boundary to end the pieces of an interrupted run (never leaves :meth:`Simulation._run`)."""


class _DeferredInterrupt:
    """Within the block, SIGINT (Ctrl-C) only sets :attr:`requested`; the run then stops at a step boundary.

    It takes effect only in the main thread and where SIGINT has Python's default handler (elsewhere
    the handler in place is left alone).
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                if _signals.getsignal(signal.SIGINT) is signal.default_int_handler:
                    self._previous = _signals.signal(signal.SIGINT, self._handler)
            except (ValueError, OSError):   # no signals here (an embedded interpreter)
                self._previous = None
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            _signals.signal(signal.SIGINT, self._previous)
        return False


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

    def __init__(self, net, dt, seed, backend="auto", stimuli=(), record=None, learning=True,
                 record_every=None, experiment_name="experiment", *, stdp=None, progress=None):
        self.dt = check_real(dt, "dt", strictly_positive=True)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2 ** 32))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise PynTypeError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self.learning = bool(learning if stdp is None else stdp)   # stdp: the original name
        self.network = net
        self.experiment_name = experiment_name
        check_build(net, self.dt, self.learning)
        t0 = time.perf_counter()
        ss = np.random.SeedSequence(self.seed)
        rng_build, rng_run = (np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(2))
        self.rng_run = rng_run
        if progress is not None and not isinstance(progress, bool) and not callable(progress):
            raise PynTypeError(f"progress must be None, True, False or a callable(stage, done, total), "
                               f"got {progress!r}")
        from ..progress import BuildProgress
        #: The build's progress (stages drawn on a terminal or passed to a callback); backends show their
        #: own preparation (the numba compile) through it.
        self.build_progress = BuildProgress(progress)
        self.pops, self.receptors, self.projs, self.ring_len, receptor_for = compile_network(
            net, self.dt, rng_build, self.learning, self.build_progress)
        self.plasticity = PlasticityState(self.pops, self.projs, self.dt)
        by_name = {p.name: p for p in self.pops}
        for s in stimuli:
            if s.target not in by_name:
                raise PynLookupError(f"stimulus target {s.target!r} is not a population of the network; "
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
        self._piece = 256    # steps of the next piece of a run (see _run_pieces)
        self.build_time = time.perf_counter() - t0
        self.backend = select_backend(backend, self)
        self.failure = None
        #: Calls that changed the run from outside between runs (``reward``, ``set_weights``, ``disconnect``,
        #: ``reconnect``, ``monitor_weights`` after the start), by name: a run they drove cannot be repeated
        #: from its recipe (:func:`pyn_core.rerun`).
        self.interventions: dict[str, int] = {}
        log.debug("built %s in %.3f s (%d synapses)", net.name, self.build_time, self.n_synapses)

    # -- properties --------------------------------------------------------
    @property
    def t(self) -> float:
        """Current simulated time in ms."""
        return self.k * self.dt

    @property
    def n_synapses(self) -> int:
        return int(sum(q.n for q in self.projs))

    def state(self, population, variable: str = "v") -> np.ndarray:
        """A copy of the current values of a state variable of a population.

        Examples
        --------
        >>> from pyn_core import Network, LIFPopulation
        >>> sim = Network([LIFPopulation("n", N=3, v_rest=-70.0)]).build(dt=0.1, seed=0)
        >>> sim.state("n", "v").tolist()
        [-70.0, -70.0, -70.0]
        """
        names = self.population_names
        if population not in names:
            raise PynLookupError(f"no population named {population!r}; populations: {', '.join(names)}")
        pop = self.pops[names.index(population)]
        if not isinstance(variable, str) or variable not in pop.state:
            raise PynLookupError(f"population {population!r} has no state variable {variable!r}; "
                                 f"it has: {', '.join(pop.state) or 'none (a spike source)'}")
        return pop.state[variable].copy()

    @property
    def population_names(self) -> list[str]:
        return [p.name for p in self.pops]

    # -- running -----------------------------------------------------------
    def _steps_for(self, ms: float) -> int:
        """The steps a request of ``ms`` more milliseconds runs (checked before anything changes)."""
        ms = check_real(ms, "duration (ms)", minimum=0.0)
        target = self._target + ms
        end = target / self.dt + 1e-9
        check_steps(self.k, end - self.k, ms, self.dt)
        self._target = target
        return max(0, int(math.floor(end)) - self.k)

    def run(self, ms: float, progress=None) -> Results:
        """Advance by ``ms`` milliseconds and return the results so far.

        Parameters
        ----------
        ms : float
            Duration; runs are resumable (two runs of 50 ms equal one of 100 ms).
        progress : None, True or callable
            ``True`` draws a bar (elapsed time, simulated ms per second, time
            left) on standard error when it is a terminal, nothing otherwise
            (:mod:`pyn_core.progress`); a callable is called as
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
        try:
            if self.failure is not None:
                raise SimulationError(f"this simulation stopped earlier: {self.failure}")
            if n > 0:
                self._check_recording(n)
        except BaseException:
            self._target = self.t       # a refused request leaves nothing to run later
            raise
        if n <= 0:
            return
        bar = None
        if progress is True:
            from ..progress import ProgressBar
            bar = ProgressBar(n * self.dt, start_ms=self.t)
            callback = bar.update if bar.enabled else None
        elif progress is None or progress is False:
            callback = None
        elif callable(progress):
            callback = progress
        else:
            raise PynTypeError(f"progress must be None, True, False or a callable(fraction, t_ms), got {progress!r}")
        end = self.k + n
        with _DeferredInterrupt() as interrupt:
            on_step = None
            if callback is not None:
                every = max(1, n // 100)
                done = [0]

                def on_step():      # called at step boundaries: an interruption also takes effect here
                    if interrupt.requested:
                        raise _Interrupted
                    done[0] += 1
                    if done[0] % every == 0 or done[0] == n:
                        callback(done[0] / n, self.t)
            try:
                self._run_pieces(end, on_step, interrupt)
            except _Interrupted:
                pass
            except BaseException:
                self._target = self.t       # what was asked and not run is not run later
                raise
            finally:
                self.recorder.close()
                if bar is not None:
                    bar.close()
        if interrupt.requested:
            self._target = self.t
            raise KeyboardInterrupt(f"run interrupted at t = {self.t:g} ms (step {self.k}); the state is "
                                    "that of a step boundary, what was recorded is kept, and the next run "
                                    "continues from here")

    def _run_pieces(self, end: int, on_step, interrupt):
        """Steps up to ``end`` in pieces that stop where a weight monitor samples and about every
        :data:`PIECE_SECONDS` of wall-clock time (where an interruption takes effect)."""
        monitored = bool(self.recorder.weights)
        if monitored:
            self._sample_weights()
        while self.k < end and not interrupt.requested:
            stop = end
            if monitored:
                stop = min([end] + [m.next_step(self.k) for m in self.recorder.weights])
            piece = min(stop - self.k, self._piece)
            self.recorder.reserve(self.k, piece)
            t0 = time.perf_counter()
            self.backend.run_steps(piece, on_step)
            self.recorder.close()
            took = time.perf_counter() - t0
            if piece == self._piece:      # grow or shrink the next piece towards PIECE_SECONDS
                self._piece = int(min(max(16, piece * PIECE_SECONDS / max(took, 1e-6)), 2 ** 31))
            if monitored:
                self._sample_weights()

    def _check_recording(self, n: int):
        """Refuse a run whose recording cannot fit in memory (before anything runs)."""
        values = sum(self.pops[i].N * len(v) for i, v in self.recorder.vars.items())
        if values:
            check_recording(n // self.recorder.every + 1, values, f"recording {n:,} steps")
        for m in self.recorder.weights:
            check_recording(n // m.every + 1, m.idx.size, f"the weight monitor of {m.name!r}")

    def _sample_weights(self):
        due = [m for m in self.recorder.weights if m.due(self.k)]
        if due:
            self.plasticity.flush()
            for m in due:
                m.sample(self.k)

    def diverged(self, pop):
        """Stop with a clear error; what was recorded so far is kept."""
        bad = np.flatnonzero(~np.isfinite(pop.v))
        self.failure = (f"the membrane potential of population {pop.name!r} became NaN/inf at "
                        f"t = {self.t:.4g} ms (neurons {bad[:5].tolist()}{'...' if bad.size > 5 else ''}); "
                        f"try a smaller dt (now {self.dt} ms) or weaker inputs")
        raise SimulationError(self.failure)

    # -- weights and gating --------------------------------------------------
    def _intervened(self, what: str):
        self.interventions[what] = self.interventions.get(what, 0) + 1

    def _proj(self, name_or_pre, post=None):
        for q in self.projs:
            if (post is None and q.name == name_or_pre) or (post is not None and q.pre.name == name_or_pre
                                                             and q.post.name == post):
                return q
        raise PynLookupError(f"no connection {name_or_pre!r}{'' if post is None else ' -> ' + repr(post)}; "
                             f"connections: {', '.join(q.name for q in self.projs) or 'none'}")

    def get_weights(self, name, post=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pre, post, weight) arrays of a connection (by name, or by pre and post names).

        Weights are magnitudes (inhibitory current connections subtract them)
        and, for learning connections, up to date at :attr:`t`.
        """
        q = self._proj(name, post)
        if q.plastic is not None:
            q.plastic.flush()
        pre = np.repeat(np.arange(q.pre.N), np.diff(q.indptr))
        return pre, q.post_idx.astype(np.int64), q.weight.copy()

    def set_weights(self, name, weight, post=None):
        """Set the weights of a connection (a scalar or one value per synapse, CSR order).

        Learning connections keep their rule: weights outside ``[w_min,
        w_max]`` are clipped at their next update; a reward-modulated
        connection keeps its eligibility traces.
        """
        q = self._proj(name, post)
        try:
            w = np.broadcast_to(np.asarray(weight, dtype=float), q.weight.shape)
        except (TypeError, ValueError):
            raise PynValueError(f"weights of connection {q.name!r} must be a number or {q.n} numbers "
                                f"(one per synapse, CSR order), got {reprlib.repr(weight)}") from None
        if not np.all(np.isfinite(w)):
            raise PynValueError("weights must be finite")
        if q.plastic is not None:
            q.plastic.flush()
        if not q.weight.flags.writeable:          # one shared value until now: one per synapse from here on
            q.weight = np.array(q.weight)
        q.weight[:] = w
        if q.plastic is not None:
            q.plastic.weights_changed()
        self._intervened("set_weights")

    def get_eligibility(self, name, post=None) -> np.ndarray:
        """Eligibility trace ``c`` of every synapse of a reward-modulated connection (CSR order)."""
        q = self._proj(name, post)
        if q.plastic is None or not q.plastic.reward_modulated:
            raise PynValueError(f"connection {q.name!r} is not reward-modulated in this run (plasticity='rstdp' "
                                "and stdp=True are needed)")
        return q.plastic.eligibility(self.k)

    def _modulator(self, connection):
        if connection is None:
            return None
        q = self._proj(connection)
        if q.plastic is None or q.plastic.modulator is None:
            raise PynValueError(f"connection {q.name!r} is not reward-modulated in this run")
        return q.plastic.modulator

    def reward(self, amount: float, connection=None):
        """Deliver dopamine: ``amount`` is added now to the concentration ``d``.

        Call it between :meth:`advance` calls (a closed loop rewards while the
        network runs); the next step sees it.  ``connection`` limits it to
        the dopamine of that reward-modulated connection (default: every
        one).  A negative amount is a punishment (dips below the baseline).

        Examples
        --------
        >>> from pyn_core import Network, LIFPopulation, SpikeSourcePopulation
        >>> net = Network([SpikeSourcePopulation("pre", [[5.0]]), LIFPopulation("post")])
        >>> _ = net.connect("pre", "post", rule="all_to_all", weight=1.0, plasticity="rstdp")
        >>> sim = net.build(dt=0.1, seed=0, backend="numpy")
        >>> _ = sim.advance(10.0)
        >>> sim.reward(0.5)
        >>> sim.dopamine()
        0.5
        """
        amount = check_real(amount, "reward amount")
        if not self.plasticity.modulators:
            raise PynValueError("no reward-modulated connection learns in this run: connect with "
                                "plasticity='rstdp' and build with stdp=True")
        self.plasticity.reward(amount, self._modulator(connection))
        self._intervened("reward")

    def dopamine(self, connection=None) -> float:
        """Current dopamine concentration (of ``connection``'s modulator, or the only one)."""
        m = self._modulator(connection)
        if m is None:
            if len(self.plasticity.modulators) != 1:
                raise PynValueError(f"this run has {len(self.plasticity.modulators)} dopamine concentrations; "
                                    "name a reward-modulated connection")
            m = self.plasticity.modulators[0]
        return float(m.d)

    def monitor_weights(self, name, every: float, synapses=None, post=None):
        """Record the weights of a connection every ``every`` ms (from now on).

        Parameters
        ----------
        name : str
            Connection name (or pre population with ``post``).
        every : float
            Sampling interval in ms (rounded to the step; samples at
            multiples of it, the current time included).
        synapses : None, int or array of int
            All synapses (None), ``n`` of them evenly spread, or these
            indices (CSR order, as :meth:`get_weights`).

        The samples are in ``results.weights[name]`` (:class:`~pyn_core.results.WeightRecord`).
        """
        q = self._proj(name, post)
        every = check_real(every, "weight monitor every (ms)", strictly_positive=True)
        steps = max(1, int(round(every / self.dt)))
        if synapses is None:
            idx = np.arange(q.n)
        elif isinstance(synapses, (int, np.integer)) and not isinstance(synapses, bool):
            if synapses < 1:
                raise PynValueError(f"synapses must be >= 1 when a count, got {synapses}")
            idx = np.unique(np.linspace(0, q.n - 1, min(int(synapses), q.n)).round().astype(np.int64))
        else:
            from .._checks import check_indices
            idx = check_indices(synapses, q.n, f"weight monitor of {q.name!r}: synapses")
        pre = np.repeat(np.arange(q.pre.N), np.diff(q.indptr))[idx]
        m = WeightMonitor(q, steps, idx, pre, q.post_idx[idx].astype(np.int64), self.dt)
        self.recorder.weights.append(m)
        if self.k > 0:
            self._intervened("monitor_weights")
        return m

    def disconnect(self, pre, post):
        """Stop transmission on ``pre -> post`` (weights kept, e.g. Go/NoGo gating)."""
        self._proj(pre, post).enabled = False
        self._intervened("disconnect")

    def reconnect(self, pre, post):
        """Resume transmission on ``pre -> post``."""
        self._proj(pre, post).enabled = True
        self._intervened("reconnect")

    # -- results -----------------------------------------------------------
    @property
    def results(self) -> Results:
        """What was recorded so far (a snapshot)."""
        return Results.from_simulation(self)

    # -- checkpoint ----------------------------------------------------------
    def save_checkpoint(self, path) -> str:
        """Write the complete state of this simulation to the folder ``path``, atomically; returns its path.

        Everything a run needs to go on is saved: neuron, receptor and
        learning state, the spikes in flight, the weights, the positions of
        the random streams, what was recorded so far, the step counter, and
        the network and build settings to rebuild it from.
        :func:`pyn_core.load_checkpoint` continues from it bit for bit (in
        another process too, and on another backend wherever the two agree
        bit for bit).  Call it between runs (not from a progress callback).
        The format and the guarantees: ``docs/reliability.md`` and
        :mod:`pyn_core.engine.checkpoint`.

        Parameters
        ----------
        path : str or os.PathLike
            The checkpoint folder (``meta.json`` + ``arrays.npz``); a
            checkpoint already there is replaced only once the new one is
            complete, and a path holding anything else is refused.

        Examples
        --------
        >>> import os, tempfile
        >>> from pyn_core import Network, LIFPopulation, load_checkpoint
        >>> net = Network([LIFPopulation("n", N=2)])
        >>> _ = net.add_current("n", amplitude=20.0)
        >>> sim = net.build(dt=0.1, seed=0, backend="numpy")
        >>> _ = sim.run(30.0)
        >>> path = sim.save_checkpoint(os.path.join(tempfile.mkdtemp(), "ckpt"))
        >>> sorted(os.listdir(path))
        ['arrays.npz', 'meta.json']
        >>> load_checkpoint(path, backend="numpy").t
        30.0
        """
        from .checkpoint import save_checkpoint
        return save_checkpoint(self, path)
