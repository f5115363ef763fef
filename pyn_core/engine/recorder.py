"""Recording: spikes always, traces on request, in preallocated chunks."""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import PynLookupError, PynTypeError, PynValueError, PynWarning
from .elementwise import synaptic_current

#: Recordable names besides the models' state variables.
DERIVED = ("I_ext", "I_syn", "psc", "I_rec", "spike_raster")


def resolve_record(record, pops) -> dict[str, list[str]]:
    """``{population: [variables]}`` from a dict, or a list applied to every population."""
    if not record:
        return {}
    neuron_pops = [p for p in pops if not p.is_source]
    if isinstance(record, dict):
        names = {p.name for p in pops}
        out = {}
        for name, variables in record.items():
            if not isinstance(name, str) or name not in names:
                raise PynLookupError(f"cannot record population {name!r}: no such population; "
                                     f"populations: {', '.join(sorted(names))}")
            pop = next(p for p in pops if p.name == name)
            variables = _names(variables, f"record[{name!r}]")
            for v in variables:
                if pop.is_source and v != "spike_raster":
                    raise PynValueError(f"population {name!r} is a spike source: only spikes are recorded")
                if not pop.is_source and v not in pop.model.state and v not in DERIVED:
                    raise PynValueError(f"cannot record {v!r} of population {name!r}; allowed: "
                                        f"{', '.join(pop.model.state + DERIVED)}")
            out[name] = [v for v in variables if v != "spike_raster"]
        return out
    variables = _names(record, "record")
    allowed = set(DERIVED)
    for p in neuron_pops:
        allowed.update(p.model.state)
    for v in variables:
        if v not in allowed:
            raise PynValueError(f"unknown property to save {v!r}; allowed: {', '.join(sorted(allowed))}")
    out = {p.name: [v for v in variables if v != "spike_raster" and (v in DERIVED or v in p.model.state)]
           for p in neuron_pops}
    for v in variables:
        lacking = [p.name for p in neuron_pops if v not in DERIVED and v not in p.model.state]
        if lacking:
            warnings.warn(f"recording {v!r} where the model has it: population(s) {', '.join(lacking)} "
                          f"have no {v!r} and record none", PynWarning, stacklevel=4)
    return out


def _names(variables, what: str) -> list:
    """A name or a sequence of names as a list of str."""
    if isinstance(variables, str):
        return [variables]
    try:
        out = list(variables)
    except TypeError:
        out = None
    if out is not None and all(isinstance(v, str) for v in out):
        return out
    raise PynTypeError(f"{what} must be a variable name or a list of names (str), got {variables!r}")


class Recorder:
    """Holds what a simulation recorded; chunks are preallocated per run call.

    A chunk is one array, ``block``; ``chunk[(population, variable)]`` are
    (samples, N) views of it.
    """

    def __init__(self, pops, record, every: int):
        self.pops = pops
        self.every = every
        self.vars = {p.index: record.get(p.name, []) for p in pops}
        self.chunks: list[tuple[np.ndarray, dict]] = []   # (steps, {(pop, var): array})
        self.chunk_steps = None
        self.chunk = None
        self.block = None     # the array holding the chunk's traces (chunk: views of it)
        self.fill = 0
        self.spike_steps = {p.index: [] for p in pops}
        self.spike_ids = {p.index: [] for p in pops}
        self.weights: list[WeightMonitor] = []

    @property
    def any_traces(self) -> bool:
        return any(self.vars.values())

    def reserve(self, k0: int, n_steps: int):
        """Preallocate room for the samples of steps ``k0 .. k0+n_steps-1``."""
        self.close()
        if not self.any_traces or n_steps <= 0:
            return
        first = -(-k0 // self.every) * self.every
        steps = np.arange(first, k0 + n_steps, self.every, dtype=np.int64)
        self.chunk_steps = steps
        keys = [(p.index, v) for p in self.pops for v in self.vars[p.index]]
        sizes = [steps.size * self.pops[j].N for j, _ in keys]
        self.block = np.empty(max(sum(sizes), 1))      # every trace of the chunk in one array
        self.chunk, pos = {}, 0
        for (j, v), size in zip(keys, sizes):
            self.chunk[(j, v)] = self.block[pos:pos + size].reshape(steps.size, self.pops[j].N)
            pos += size
        self.fill = 0

    def sample(self, k: int):
        """Record the traces at the start of step ``k`` (if it is a sampling step)."""
        if self.chunk is None or self.fill >= self.chunk_steps.size or self.chunk_steps[self.fill] != k:
            return
        row = self.fill
        for (i, var), arr in self.chunk.items():
            p = self.pops[i]
            if var in p.state:
                arr[row] = p.state[var]
            elif var == "I_ext":
                arr[row] = p.I_ext
            else:   # I_syn, psc, I_rec: synaptic current
                arr[row] = synaptic_current(p.I, p.I_ext, p.G, p.GE, p.v)
        self.fill += 1

    def close(self):
        """Keep what the current chunk holds (also after an interruption)."""
        if self.chunk is not None and self.fill:
            self.chunks.append((self.chunk_steps[:self.fill],
                                {key: arr[:self.fill] for key, arr in self.chunk.items()}))
        self.chunk = None
        self.fill = 0

    def spikes(self, pop_index: int, k: int, ids: np.ndarray):
        self.spike_steps[pop_index].append(np.full(ids.size, k, dtype=np.int64))
        self.spike_ids[pop_index].append(ids.astype(np.int64))

    def spike_arrays(self, pop_index: int) -> tuple[np.ndarray, np.ndarray]:
        """(steps, ids) of every spike of a population, in time order."""
        steps, ids = self.spike_steps[pop_index], self.spike_ids[pop_index]
        if not steps:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if len(steps) > 1:
            self.spike_steps[pop_index] = [np.concatenate(steps)]
            self.spike_ids[pop_index] = [np.concatenate(ids)]
        return self.spike_steps[pop_index][0], self.spike_ids[pop_index][0]

    def traces(self) -> tuple[np.ndarray, dict]:
        """All recorded samples: (steps, {(pop, var): (n, N) array})."""
        pending = list(self.chunks)
        if self.chunk is not None and self.fill:
            pending.append((self.chunk_steps[:self.fill], {k: a[:self.fill] for k, a in self.chunk.items()}))
        if not pending:
            return np.zeros(0, np.int64), {}
        steps = np.concatenate([c[0] for c in pending])
        data = {key: np.concatenate([c[1][key] for c in pending]) for key in pending[0][1]}
        return steps, data

    # -- checkpoint --------------------------------------------------------
    def state_arrays(self) -> dict:
        """What was recorded so far, as named arrays (between runs).

        ``trace_steps``; ``trace.<pop>.<var>`` (samples, N) for every recorded
        trace; ``spikes.<pop>.steps`` and ``spikes.<pop>.ids``; per weight
        monitor ``n``: ``monitor.<n>.idx``, ``monitor.<n>.steps`` and
        ``monitor.<n>.values`` (samples, synapses).
        """
        steps, data = self.traces()
        out = {"trace_steps": steps}
        for p in self.pops:
            for var in self.vars[p.index]:
                out[f"trace.{p.index}.{var}"] = data.get((p.index, var), np.zeros((0, p.N)))
            out[f"spikes.{p.index}.steps"], out[f"spikes.{p.index}.ids"] = self.spike_arrays(p.index)
        for n, m in enumerate(self.weights):
            out[f"monitor.{n}.idx"] = np.asarray(m.idx, dtype=np.int64)
            out[f"monitor.{n}.steps"] = np.asarray(m.steps, dtype=np.int64)
            out[f"monitor.{n}.values"] = m.arrays()[1].astype(m.proj.weight.dtype)
        return out

    def load_state_arrays(self, arrays: dict, monitors, dt: float):
        """Replace what was recorded by :meth:`state_arrays` output (checked by the caller).

        ``monitors``: (connection arrays, every in steps) of each weight
        monitor, in the order of the arrays.
        """
        self.close()
        steps = arrays["trace_steps"]
        self.chunks = []
        if steps.size and self.any_traces:
            self.chunks.append((steps, {(p.index, var): arrays[f"trace.{p.index}.{var}"]
                                        for p in self.pops for var in self.vars[p.index]}))
        for p in self.pops:
            s, i = arrays[f"spikes.{p.index}.steps"], arrays[f"spikes.{p.index}.ids"]
            self.spike_steps[p.index] = [s] if s.size else []
            self.spike_ids[p.index] = [i] if i.size else []
        self.weights = []
        for n, (proj, every) in enumerate(monitors):
            idx = arrays[f"monitor.{n}.idx"]
            pre = np.repeat(np.arange(proj.pre.N), np.diff(proj.indptr))[idx]
            m = WeightMonitor(proj, every, idx, pre, proj.post_idx[idx].astype(np.int64), dt)
            m.steps = [int(k) for k in arrays[f"monitor.{n}.steps"]]
            m.values = list(arrays[f"monitor.{n}.values"])
            self.weights.append(m)


class WeightMonitor:
    """Weights of chosen synapses of one connection, sampled every ``every`` steps."""

    def __init__(self, proj, every: int, idx, pre, post, dt):
        self.proj, self.name = proj, proj.name
        self.every, self.idx, self.pre, self.post, self.dt = every, idx, pre, post, dt
        self.steps: list[int] = []
        self.values: list[np.ndarray] = []

    def due(self, k: int) -> bool:
        return k % self.every == 0 and (not self.steps or self.steps[-1] != k)

    def next_step(self, k: int) -> int:
        """The first sampling step after ``k``."""
        return (k // self.every + 1) * self.every

    def sample(self, k: int):
        self.steps.append(k)
        self.values.append(self.proj.weight[self.idx].copy())

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(times in ms, (samples, synapses) weights)."""
        t = np.asarray(self.steps, dtype=np.int64) * self.dt
        w = np.array(self.values) if self.values else np.zeros((0, self.idx.size))
        return t, w
