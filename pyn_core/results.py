"""Results of a run, saved atomically in an open format and loaded back without pickle.

On disk a run is a folder holding ``meta.json`` (experiment name, dt, seed,
network spec, versions, the list of arrays) and ``arrays.npz`` (plain numeric
arrays).  The folder is written under a temporary name and renamed into place,
so a reader never sees a half-written run.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import shutil
import tempfile
import zipfile

import numpy as np

from .errors import NoSavedRun, NotRecorded, PynLookupError, PynTypeError, PynValueError

FORMAT = "pyn-results"
VERSION = 1


class PopulationResults:
    """What was recorded of one population.

    Attributes
    ----------
    name : str
    N : int
    spike_times : ndarray
        Spike times in ms, sorted.
    spike_ids : ndarray
        Neuron index of each spike.
    traces : dict of str to ndarray
        Recorded variables, each of shape ``(len(results.t), N)``; also
        available as attributes (``pop.v``).
    """

    def __init__(self, name, N, spike_times, spike_ids, traces):
        self.name, self.N = name, N
        self.spike_times, self.spike_ids = spike_times, spike_ids
        self.traces = traces

    def __getattr__(self, var):
        traces = self.__dict__.get("traces", {})
        if var in traces:
            return traces[var]
        if var in ("psc", "I_rec") and "I_syn" in traces:
            return traces["I_syn"]
        if var in ("I_syn", "I_rec") and "psc" in traces:
            return traces["psc"]
        raise NotRecorded(f"population {self.__dict__.get('name')!r} has no recorded {var!r}; "
                          f"recorded: {', '.join(traces) or 'spikes only'} (pass it in properties_to_save)")

    def rate(self, duration_ms: float) -> float:
        """Mean firing rate in Hz over ``duration_ms``."""
        return self.spike_times.size / self.N / (duration_ms * 1e-3) if duration_ms > 0 else 0.0

    def spike_trains(self) -> list[np.ndarray]:
        """Spike times of each neuron."""
        order = np.argsort(self.spike_ids, kind="stable")
        ids, times = self.spike_ids[order], self.spike_times[order]
        bounds = np.searchsorted(ids, np.arange(self.N + 1))
        return [times[bounds[i]:bounds[i + 1]] for i in range(self.N)]


class WeightRecord:
    """Weights of some synapses of one connection over time (a weight monitor).

    Attributes
    ----------
    name : str
        Connection name.
    t : ndarray
        Sample times (ms).
    pre, post : ndarray of int
        Pre and post neuron of each monitored synapse.
    synapses : ndarray of int
        Synapse indices (CSR order, as ``Simulation.get_weights``).
    w : ndarray
        Weights, shape ``(len(t), len(synapses))``.
    """

    def __init__(self, name, t, synapses, pre, post, w):
        self.name, self.t, self.synapses, self.pre, self.post, self.w = name, t, synapses, pre, post, w

    def __repr__(self):
        return f"WeightRecord({self.name!r}: {self.t.size} samples of {self.synapses.size} synapses)"


class Results:
    """Everything a run recorded.

    ``res.t`` are the trace sample times (ms); ``res[name]`` is a
    :class:`PopulationResults`; ``res.weights[connection]`` a
    :class:`WeightRecord` (weight monitors); ``res.path`` is the saved folder
    (or None).
    """

    def __init__(self, experiment_name, dt, seed, t, populations, duration, meta=None, path=None, weights=None):
        self.experiment_name = experiment_name
        self.dt, self.seed, self.t = dt, seed, t
        self.populations = populations     # dict name -> PopulationResults (ordered)
        self.duration = duration
        self.meta = meta or {}
        self.path = path
        self.weights = dict(weights or {})  # connection name -> WeightRecord

    def __getitem__(self, name) -> PopulationResults:
        try:
            return self.populations[name]
        except (KeyError, TypeError):   # TypeError: an unhashable name
            raise PynLookupError(f"no population named {name!r} in these results; populations: "
                                 f"{', '.join(self.populations)}") from None

    def __iter__(self):
        return iter(self.populations.values())

    def __contains__(self, name):
        return name in self.populations

    @property
    def names(self) -> list[str]:
        return list(self.populations)

    def summary(self) -> str:
        """One line per population: spikes and mean rate."""
        lines = [f"{self.experiment_name}: {self.duration:g} ms at dt = {self.dt:g} ms (seed {self.seed})"]
        for p in self:
            lines.append(f"  {p.name:<20} N={p.N:<6} spikes={p.spike_times.size:<8} "
                         f"rate={p.rate(self.duration):.2f} Hz")
        return "\n".join(lines)

    # -- construction ------------------------------------------------------
    @classmethod
    def from_simulation(cls, sim) -> "Results":
        steps, data = sim.recorder.traces()
        pops = {}
        for p in sim.pops:
            s, i = sim.recorder.spike_arrays(p.index)
            traces = {var: data[(p.index, var)] for var in sim.recorder.vars[p.index] if (p.index, var) in data}
            pops[p.name] = PopulationResults(p.name, p.N, s * sim.dt, i.copy(), traces)
        try:
            spec = sim.network.to_spec()
        except ValueError:
            spec = None
        from . import __version__
        meta = {"spec": spec, "backend": sim.backend.name, "build_s": sim.build_time,
                "versions": {"pyn_core": __version__, "numpy": np.__version__,
                             "python": platform.python_version()},
                "error": sim.failure}
        weights = {}
        for m in sim.recorder.weights:
            key = m.name if m.name not in weights else f"{m.name}#{len(weights)}"
            t, w = m.arrays()
            weights[key] = WeightRecord(m.name, t, m.idx.copy(), m.pre.copy(), m.post.copy(), w)
        return cls(sim.experiment_name, sim.dt, sim.seed, steps * sim.dt, pops, sim.t, meta, weights=weights)

    # -- saving ------------------------------------------------------------
    def save(self, directory) -> str:
        """Write the run atomically into a new folder under ``directory``; returns its path."""
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.experiment_name).strip("_") or "run"
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        final = os.path.join(directory, f"{slug}_{stamp}")
        tmp = tempfile.mkdtemp(prefix=".pyn-partial-", dir=directory)
        try:
            arrays = {"t": self.t}
            index = []
            for i, p in enumerate(self):
                arrays[f"p{i}.spike_times"] = p.spike_times
                arrays[f"p{i}.spike_ids"] = p.spike_ids
                for var, arr in p.traces.items():
                    arrays[f"p{i}.{var}"] = arr
                index.append({"name": p.name, "N": p.N, "traces": list(p.traces)})
            windex = []
            for j, (key, rec) in enumerate(self.weights.items()):
                for part in ("t", "synapses", "pre", "post", "w"):
                    arrays[f"w{j}.{part}"] = getattr(rec, part)
                windex.append({"key": key, "name": rec.name})
            with open(os.path.join(tmp, "arrays.npz"), "wb") as f:
                np.savez(f, **arrays)
            meta = {"format": FORMAT, "version": VERSION, "experiment_name": self.experiment_name,
                    "dt": self.dt, "seed": self.seed, "duration": self.duration, "populations": index,
                    "saved": _dt.datetime.now().isoformat(timespec="seconds"), **self.meta}
            if windex:
                meta["weights"] = windex
            with open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8") as f:
                json.dump(meta, f, indent=1, default=_json_default)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.path = final
        return final


def _json_default(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise PynTypeError(f"cannot write {type(o).__name__} to JSON")


def load_results(path) -> Results:
    """Load a run saved by :meth:`Results.save` (no pickle involved).

    Raises
    ------
    NoSavedRun
        ``path`` holds no ``meta.json`` (also a :class:`FileNotFoundError`).
    PynValueError
        The run is of another format or version, or its files are damaged.
    """
    path = os.fspath(path)
    meta_path = os.path.join(path, "meta.json")
    if not os.path.isfile(meta_path):
        raise NoSavedRun(f"{path!r} is not a saved pyN run (no meta.json)")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PynValueError(f"{path!r}: meta.json is damaged (not JSON: {exc})") from exc
    if not isinstance(meta, dict):
        raise PynValueError(f"{path!r}: meta.json is damaged (a JSON object is expected, got {type(meta).__name__})")
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise PynValueError(f"{path!r}: unsupported results format {meta.get('format')!r} "
                            f"version {meta.get('version')!r}")
    try:
        return _load(path, meta)
    except (KeyError, IndexError, TypeError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__
        raise PynValueError(f"{path!r} is a damaged pyN run ({detail}); meta.json and arrays.npz must be "
                            "as Results.save wrote them") from exc


def _load(path: str, meta: dict) -> Results:
    """The arrays of a run whose ``meta.json`` was read."""
    with np.load(os.path.join(path, "arrays.npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    pops = {}
    for i, p in enumerate(meta["populations"]):
        traces = {var: arrays[f"p{i}.{var}"] for var in p["traces"]}
        pops[p["name"]] = PopulationResults(p["name"], p["N"], arrays[f"p{i}.spike_times"],
                                            arrays[f"p{i}.spike_ids"], traces)
    weights = {}
    for j, w in enumerate(meta.get("weights", [])):
        weights[w["key"]] = WeightRecord(w["name"], *(arrays[f"w{j}.{part}"]
                                                      for part in ("t", "synapses", "pre", "post", "w")))
    extra = {k: meta[k] for k in ("spec", "backend", "build_s", "versions", "error") if k in meta}
    return Results(meta["experiment_name"], meta["dt"], meta["seed"], arrays["t"], pops,
                   meta["duration"], extra, path=path, weights=weights)
