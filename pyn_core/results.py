"""Results of a run, saved atomically in an open format and loaded back without pickle.

On disk a run is a folder holding ``meta.json`` (experiment name, dt, seed,
network spec, versions, the list of arrays) and ``arrays.npz`` (plain numeric
arrays).  The folder is written under a temporary name (``.pyn-partial-<pid>-…``)
and renamed into place, so a reader never sees a half-written run; the
leftovers of a save that was killed are removed by the next save in the same
folder (:func:`clean_partial`) and refused by :func:`load_results`.  Folder
names are made of the experiment name, made safe for every file system
(:func:`safe_folder_name`), and chosen before a run starts (:func:`plan_save`).
``meta.json`` also holds the run's recipe (how it was built and run, see
:mod:`pyn_core.recipe`), whose arrays are in ``arrays.npz`` as ``recipe.*``.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import re
import reprlib
import shutil
import socket
import tempfile
import zipfile
import zlib

import numpy as np

from .errors import NoSavedRun, NotRecorded, PynLookupError, PynTypeError, PynValueError

FORMAT = "pyn-results"
VERSION = 1
#: The names in ``arrays.npz`` of the arrays of a run's recipe (see :mod:`pyn_core.recipe`).
RECIPE_PREFIX = "recipe."


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

    def __repr__(self):
        traces = f", traces: {', '.join(self.traces)}" if self.traces else ""
        return f"PopulationResults({self.name!r}: N={self.N}, {self.spike_times.size} spikes{traces})"

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
    (or None); ``res.meta["recipe"]`` how the run was made, which
    :func:`pyn_core.rerun` repeats (the values of currents given as functions
    are in ``res.recipe_tables``).

    Examples
    --------
    >>> from pyn_core import Network, LIFPopulation
    >>> net = Network([LIFPopulation("n", N=2)])
    >>> _ = net.add_current("n", amplitude=20.0)
    >>> res = net.simulate(T=30, dt=0.1, seed=0, save_data=None, backend="numpy")
    >>> res
    Results('My Experiment': 30 ms at dt = 0.1 ms, seed 0; n N=2 spikes=2; not saved)
    >>> res["n"]
    PopulationResults('n': N=2, 2 spikes)
    """

    def __init__(self, experiment_name, dt, seed, t, populations, duration, meta=None, path=None, weights=None,
                 recipe_tables=None):
        self.experiment_name = experiment_name
        self.dt, self.seed, self.t = dt, seed, t
        self.populations = populations     # dict name -> PopulationResults (ordered)
        self.duration = duration
        self.meta = meta or {}
        self.path = path
        self.weights = dict(weights or {})  # connection name -> WeightRecord
        self.recipe_tables = dict(recipe_tables or {})   # arrays.npz name -> table of the recipe

    def __repr__(self):
        pops = ", ".join(f"{p.name} N={p.N} spikes={p.spike_times.size}" for p in self)
        where = f"path={self.path!r}" if self.path else "not saved"
        return (f"Results({self.experiment_name!r}: {self.duration:g} ms at dt = {self.dt:g} ms, seed {self.seed}; "
                f"{pops or 'no populations'}; {where})")

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

    # -- other formats (pyn_core.formats, optional packages) --------------------
    def to_nwb(self, path, **options) -> str:
        """Write the run as an NWB file (needs ``pip install 'pyn_core[nwb]'``); returns its path.

        See :func:`pyn_core.formats.nwb.to_nwb` for the options and what goes where.
        """
        from .formats import to_nwb
        return to_nwb(self, path, **options)

    def to_sonata(self, path, **options) -> str:
        """Write the spikes as a SONATA spike file (needs ``pip install 'pyn_core[sonata]'``); returns its path.

        See :func:`pyn_core.formats.sonata.to_sonata`.
        """
        from .formats import to_sonata
        return to_sonata(self, path, **options)

    def to_neo(self, **options):
        """The run as a ``neo.Block`` (needs ``pip install 'pyn_core[neo]'``).

        See :func:`pyn_core.formats.neo_export.to_neo`.
        """
        from .formats import to_neo
        return to_neo(self, **options)

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
        from .recipe import make_recipe
        recipe, tables = make_recipe(sim)
        meta = {"spec": spec, "backend": sim.backend.name, "build_s": sim.build_time,
                "versions": {"pyn_core": __version__, "numpy": np.__version__,
                             "python": platform.python_version()},
                "error": sim.failure, "recipe": recipe}
        weights = {}
        for m in sim.recorder.weights:
            key = m.name if m.name not in weights else f"{m.name}#{len(weights)}"
            t, w = m.arrays()
            weights[key] = WeightRecord(m.name, t, m.idx.copy(), m.pre.copy(), m.post.copy(), w)
        return cls(sim.experiment_name, sim.dt, sim.seed, steps * sim.dt, pops, sim.t, meta, weights=weights,
                   recipe_tables=tables)

    # -- saving ------------------------------------------------------------
    def save(self, directory, *, folder=None) -> str:
        """Write the run atomically into a new folder under ``directory``; returns its path.

        Parameters
        ----------
        directory : str or path
            Where the run's folder goes (created if needed).
        folder : str, optional
            The folder's name, as :func:`plan_save` chose it before the run; by
            default a safe name made of the experiment name and the time.

        Folders that an earlier save left half-written (killed mid-way) under
        ``directory`` are removed.
        """
        directory = os.fspath(directory)
        if folder is None:
            folder = os.path.basename(plan_save(directory, self.experiment_name))
        final = os.path.join(directory, folder)
        _make_directory(directory)
        clean_partial(directory)
        try:
            tmp = tempfile.mkdtemp(prefix=partial_prefix(), dir=directory)
        except OSError as exc:
            raise PynValueError(f"cannot save the run under {directory!r}: {exc.strerror or exc}") from exc
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
            arrays.update(self.recipe_tables)
            with open(os.path.join(tmp, "arrays.npz"), "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            meta = {"format": FORMAT, "version": VERSION, "experiment_name": self.experiment_name,
                    "dt": self.dt, "seed": self.seed, "duration": self.duration, "populations": index,
                    "saved": _dt.datetime.now().isoformat(timespec="seconds"), **self.meta}
            if windex:
                meta["weights"] = windex
            with open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8") as f:
                json.dump(meta, f, indent=1, default=json_default)
                f.flush()
                os.fsync(f.fileno())
            if os.path.exists(final):
                raise PynValueError(f"cannot save the run: {final!r} exists already")
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.path = final
        return final


#: Name prefix of a folder being written by :meth:`Results.save` (see :func:`partial_prefix`).
PARTIAL_PREFIX = ".pyn-partial-"
#: The longest folder name :func:`plan_save` makes (most file systems allow 255 bytes).
MAX_FOLDER_NAME = 120


def safe_folder_name(name, stamp: str = "") -> str:
    """A folder name made of ``name`` that every file system takes: ASCII letters, digits, ``_ . -``,
    at most :data:`MAX_FOLDER_NAME` characters (with ``_stamp`` appended).

    Examples
    --------
    >>> safe_folder_name("My Experiment / 2 (a)")
    'My_Experiment_2_a'
    >>> len(safe_folder_name("x" * 10_000, "20260101-120000"))
    120
    >>> safe_folder_name("..", "t")
    'run_t'
    """
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_.") or "run"
    tail = f"_{stamp}" if stamp else ""
    return slug[:MAX_FOLDER_NAME - len(tail)].rstrip("_.") + tail


def _make_directory(directory: str):
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise PynValueError(f"cannot save runs under {directory!r}: {exc.strerror or exc}") from exc
    if not os.path.isdir(directory):
        raise PynValueError(f"cannot save runs under {directory!r}: it is not a folder")


def plan_save(directory, experiment_name) -> str:
    """The path a run named ``experiment_name`` will be saved to under ``directory``, checked now.

    Called before a run starts, so a folder that cannot be written is reported
    before the run rather than after it: ``directory`` is created, a test folder
    is made and removed in it, and the returned path does not exist yet.
    Leftover half-written folders of killed saves are removed.

    Raises
    ------
    PynValueError
        ``directory`` cannot be created or written.
    """
    directory = os.fspath(directory)
    _make_directory(directory)
    clean_partial(directory)
    try:
        probe = tempfile.mkdtemp(prefix=partial_prefix(), dir=directory)
        os.rmdir(probe)
    except OSError as exc:
        raise PynValueError(f"cannot save runs under {directory!r}: {exc.strerror or exc}") from exc
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    base = safe_folder_name(experiment_name, stamp)
    path, n = os.path.join(directory, base), 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(directory, f"{base}-{n}")
    return path


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", socket.gethostname()) or "host"


def partial_prefix(pid=None) -> str:
    """The name prefix of a folder being written by process ``pid`` (default: this one) of this machine:
    ``.pyn-partial-<host>-<pid>-``, so that only the machine that wrote it judges whether its writer is gone."""
    return f"{PARTIAL_PREFIX}{_host()}-{os.getpid() if pid is None else int(pid)}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_partial(directory, older_than_s: float = 24 * 3600) -> list:
    """Remove the half-written folders a killed :meth:`Results.save` left under ``directory``.

    A folder is removed when the process of this machine that wrote it (the
    machine's name and the process id are in the folder's name) is gone;
    one written on another machine (a shared file system) or named otherwise,
    when it is older than ``older_than_s``.  Returns the removed paths.  Such folders are never read
    as results (:func:`load_results` refuses them).
    """
    import time
    directory = os.fspath(directory)
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for e in entries:
        if not e.name.startswith(PARTIAL_PREFIX):
            continue
        m = re.fullmatch(re.escape(PARTIAL_PREFIX) + r"(.+)-(\d+)-[A-Za-z0-9_]+", e.name)
        mine = m is not None and m.group(1) == _host()
        try:
            stale = (not _alive(int(m.group(2)))) if mine else (time.time() - e.stat().st_mtime > older_than_s)
        except OSError:
            continue
        if stale:
            shutil.rmtree(e.path, ignore_errors=True)
            removed.append(e.path)
    return removed


def json_default(o):
    """``default=`` of :func:`json.dump` for pyN's files: numpy arrays and scalars as plain JSON."""
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise PynTypeError(f"cannot write {type(o).__name__} to JSON")


def load_results(path) -> Results:
    """Load a run saved by :meth:`Results.save` (no pickle involved).

    Everything is checked before a :class:`Results` is made: a damaged run is
    refused as a whole, never half-read.

    Raises
    ------
    NoSavedRun
        ``path`` holds no ``meta.json`` (also a :class:`FileNotFoundError`), or
        is the half-written folder of an interrupted save.
    PynValueError
        The run is of another format or version, or its files are damaged
        (the message says which file and what is wrong).
    """
    path = os.fspath(path)
    if os.path.basename(os.path.normpath(path)).startswith(PARTIAL_PREFIX):
        raise NoSavedRun(f"{path!r} is the folder of a save that did not finish, not a saved run")
    meta_path = os.path.join(path, "meta.json")
    if not os.path.isfile(meta_path):
        raise NoSavedRun(f"{path!r} is not a saved pyN run (no meta.json)")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else f"not JSON: {exc}"
        raise PynValueError(f"{path!r}: meta.json is damaged ({why})") from None
    except OSError as exc:
        raise PynValueError(f"{path!r}: meta.json cannot be read ({exc.strerror or exc})") from exc
    if not isinstance(meta, dict):
        raise PynValueError(f"{path!r}: meta.json is damaged (a JSON object is expected, got {type(meta).__name__})")
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise PynValueError(f"{path!r}: unsupported results format {meta.get('format')!r} "
                            f"version {meta.get('version')!r}; this pyN reads {FORMAT!r} version {VERSION}")
    _check_meta(meta, path)
    try:
        with np.load(os.path.join(path, "arrays.npz"), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise PynValueError(f"{path!r} is a damaged pyN run: arrays.npz is missing") from None
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise PynValueError(f"{path!r} is a damaged pyN run: arrays.npz cannot be read "
                            f"({str(exc) or type(exc).__name__})") from None
    return _assemble(path, meta, arrays)


def _damaged(path, what):
    return PynValueError(f"{path!r} is a damaged pyN run: {what}")


def _check_meta(meta: dict, path: str):
    """The fields of ``meta.json`` a run needs, with their types and ranges."""
    def need(key, ok, allowed):
        if key not in meta:
            raise _damaged(path, f"meta.json has no {key!r}")
        if not ok(meta[key]):
            raise _damaged(path, f"meta.json {key!r} must be {allowed}, got {_short(meta[key])}")

    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    need("experiment_name", lambda v: isinstance(v, str), "a string")
    need("dt", lambda v: number(v) and v > 0, "a number > 0 (ms)")
    need("seed", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
         "null or an integer >= 0")
    need("duration", lambda v: number(v) and v >= 0, "a number >= 0 (ms)")
    need("populations", lambda v: isinstance(v, list), "a list")
    names = set()
    for i, p in enumerate(meta["populations"]):
        where = f"meta.json populations[{i}]"
        if not isinstance(p, dict) or set(p) != {"name", "N", "traces"}:
            raise _damaged(path, f"{where} must be an object with name, N and traces, got {_short(p)}")
        if not isinstance(p["name"], str) or p["name"] in names:
            raise _damaged(path, f"{where}.name must be a string naming one population, got {_short(p['name'])}")
        names.add(p["name"])
        if not isinstance(p["N"], int) or isinstance(p["N"], bool) or p["N"] < 1:
            raise _damaged(path, f"{where}.N must be an integer >= 1, got {_short(p['N'])}")
        t = p["traces"]
        if not isinstance(t, list) or not all(isinstance(v, str) for v in t) or len(set(t)) != len(t):
            raise _damaged(path, f"{where}.traces must be a list of distinct names, got {_short(t)}")
    weights = meta.get("weights", [])
    if not isinstance(weights, list):
        raise _damaged(path, f"meta.json 'weights' must be a list, got {_short(weights)}")
    keys = set()
    for j, w in enumerate(weights):
        if (not isinstance(w, dict) or set(w) != {"key", "name"} or not isinstance(w["key"], str)
                or not isinstance(w["name"], str) or w["key"] in keys):
            raise _damaged(path, f"meta.json weights[{j}] must be an object with a distinct key and a name "
                                 f"(strings), got {_short(w)}")
        keys.add(w["key"])
    if "recipe" in meta and not isinstance(meta["recipe"], dict):
        raise _damaged(path, f"meta.json 'recipe' must be an object, got {_short(meta['recipe'])}")


def _short(value) -> str:
    return reprlib.repr(value)


def _array(arrays, key, path, kind, ndim):
    """``arrays[key]``, checked to be a ``kind`` ("f": real, "i": integer) array of ``ndim`` dimensions."""
    if key not in arrays:
        raise _damaged(path, f"arrays.npz has no array {key!r}")
    a = arrays[key]
    ok = (np.issubdtype(a.dtype, np.integer) if kind == "i" else
          (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)))
    if not ok or a.ndim != ndim:
        raise _damaged(path, f"array {key!r} must be {ndim}-D of {'integers' if kind == 'i' else 'numbers'}, "
                             f"got {a.ndim}-D {a.dtype}")
    return a


def _assemble(path: str, meta: dict, arrays: dict) -> Results:
    """The :class:`Results` of a run whose files were read, after checking every array against ``meta``."""
    t = _array(arrays, "t", path, "f", 1)
    pops = {}
    for i, p in enumerate(meta["populations"]):
        times = _array(arrays, f"p{i}.spike_times", path, "f", 1)
        ids = _array(arrays, f"p{i}.spike_ids", path, "i", 1)
        if times.size != ids.size:
            raise _damaged(path, f"population {p['name']!r} has {times.size} spike times but {ids.size} ids")
        if ids.size and (ids.min() < 0 or ids.max() >= p["N"]):
            raise _damaged(path, f"population {p['name']!r} has spike ids outside 0..{p['N'] - 1}")
        if times.size and not np.all(np.isfinite(times)):
            raise _damaged(path, f"population {p['name']!r} has spike times that are not finite")
        traces = {}
        for var in p["traces"]:
            a = _array(arrays, f"p{i}.{var}", path, "f", 2)
            if a.shape != (t.size, p["N"]):
                raise _damaged(path, f"trace {var!r} of population {p['name']!r} has shape {a.shape}, "
                                     f"expected ({t.size}, {p['N']}) (samples, neurons)")
            traces[var] = a
        pops[p["name"]] = PopulationResults(p["name"], p["N"], times, ids, traces)
    weights = {}
    for j, w in enumerate(meta.get("weights", [])):
        wt = _array(arrays, f"w{j}.t", path, "f", 1)
        parts = [_array(arrays, f"w{j}.{part}", path, "i", 1) for part in ("synapses", "pre", "post")]
        ww = _array(arrays, f"w{j}.w", path, "f", 2)
        n = parts[0].size
        if any(x.size != n for x in parts) or ww.shape != (wt.size, n):
            raise _damaged(path, f"weight record {w['key']!r} has arrays of inconsistent shapes")
        weights[w["key"]] = WeightRecord(w["name"], wt, *parts, ww)
    extra = {k: meta[k] for k in ("spec", "backend", "build_s", "versions", "error", "recipe") if k in meta}
    tables = {k: v for k, v in arrays.items() if k.startswith(RECIPE_PREFIX)}
    return Results(meta["experiment_name"], meta["dt"], meta["seed"], t, pops,
                   meta["duration"], extra, path=path, weights=weights, recipe_tables=tables)
