"""Parameter sweeps: every combination of some spec values × every seed, each as its own run, on Dask.

:func:`sweep` takes a network spec, a *grid* ``{path: [values]}`` and seeds,
checks every combination's spec up front (a typo fails before anything
runs), and submits one task per run to a ``dask.distributed`` cluster: a
:class:`~distributed.LocalCluster` of worker processes by default, or any
cluster a :class:`~distributed.Client` can reach (``scheduler=``).  Each
task builds its network with :meth:`Network.from_spec`, runs it, and saves
it atomically in its own folder ``OUT/RUN_ID``; ``OUT/summary.csv`` has one
row per run and is rewritten as runs finish.  Calling the same sweep again
skips the runs already complete.  Guide: ``docs/sweeps.md``.

Paths into the spec (:func:`resolve_path`)
-------------------------------------------
========================  ===========================================================
``POP.PARAM``             a model parameter of population ``POP`` (``exc.tau_m``)
``POP.params.PARAM``      the same, written out
``POP.initial.VAR``       an initial value (``exc.initial.v``)
``POP.options.KEY``       a model option
``POP.N``                 population size (also ``POP.preset``, ``POP.scale``)
``SRC.rate``              of a source population: ``rate``, ``spike_times``, ``start``,
                          ``stop``, ``N``
``CONN.FIELD``            of the connection named ``CONN``: ``weight``, ``delay``,
                          ``delay_std``, ``scale``, ``mode``, ``enabled``, ``rule``,
                          ``synapse``, ``plasticity``, ``stp``
``CONN.FIELD.KEY``        a key of a dict field: ``CONN.rule.p``, ``CONN.synapse.tau``,
                          ``CONN.weight.high`` (a weight distribution), ``CONN.stp.U``
``stimuli[I].FIELD``      a field of the I-th stimulus (``stimuli[0].amplitude``)
``settings.KEY``          ``dt``, ``stdp``, ``dtype``, ``threads`` (seeds: ``seeds=``)
========================  ===========================================================

A name is matched whole (names may hold dots: the longest name that fits is
taken); a name that is both a population's and a connection's is refused as
ambiguous.  ``settings.`` and ``stimuli[`` are read as those forms first.
"""
from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from numbers import Integral


from ._checks import check_count, check_real, show
from .errors import BackendError, PynError, PynTypeError, PynValueError
from .results import PARTIAL_PREFIX, json_default, load_results, plan_save

log = logging.getLogger("pyn_core")

#: Name of the table of runs in the sweep's folder.
SUMMARY = "summary.csv"
#: Folder (under the sweep's folder) where a run is saved before it is moved to ``OUT/RUN_ID``.
STAGING = ".pyn-sweep-staging"
#: Settings a sweep may vary (the seed is given by ``seeds=``).
SWEPT_SETTINGS = ("dt", "stdp", "dtype", "threads")
#: Fields of a connection a sweep may vary; those in :data:`DICT_FIELDS` also by key (``CONN.rule.p``).
CONNECTION_FIELDS = ("weight", "delay", "delay_std", "scale", "mode", "enabled", "rule", "synapse", "plasticity",
                     "stp")
DICT_FIELDS = ("rule", "synapse", "plasticity", "stp", "weight")
#: Fields of a neuron population a sweep may vary directly (model parameters go by name or ``params.``).
NEURON_FIELDS = ("N", "preset", "scale")
NEURON_DICTS = ("params", "initial", "options")
#: Fields of a source population (``poisson_source``, ``spike_source``) a sweep may vary.
SOURCE_FIELDS = ("N", "rate", "spike_times", "start", "stop")
PATH_FORMS = ("POP.PARAM, POP.params.PARAM, POP.initial.VAR, POP.options.KEY, POP.N|preset|scale, "
              "SRC.rate|spike_times|start|stop|N, CONN.FIELD, CONN.FIELD.KEY (e.g. CONN.rule.p), "
              "stimuli[I].FIELD, settings.dt|stdp|dtype|threads")
#: Status of a run in ``summary.csv``.
OK, SKIPPED, PENDING, NOT_RUN = "ok", "skipped (done)", "pending", "not run (interrupted)"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _refuse(path, why: str) -> PynValueError:
    return PynValueError(f"sweep path {show(path)}: {why}; allowed forms: {PATH_FORMS} (see docs/sweeps.md)")


def _names(spec: dict):
    """``{population name: index}``, ``{connection name: index}`` of a spec (connections named as built)."""
    pops = {d.get("name"): i for i, d in enumerate(spec.get("populations", []))}
    conns = {}
    for i, d in enumerate(spec.get("projections", [])):
        name = d.get("name") or f"{d.get('pre')}->{d.get('post')}"
        conns[name] = i
    return pops, conns


def resolve_path(spec: dict, path) -> tuple:
    """Where ``path`` points in ``spec``: the keys from the top (see the module docstring for the forms).

    Raises
    ------
    PynValueError
        The path has none of the allowed forms, or names a population,
        connection, stimulus, parameter or field the spec does not have.

    Examples
    --------
    >>> from pyn_core import Network, LIFPopulation
    >>> net = Network([LIFPopulation("exc", N=3)])
    >>> _ = net.connect("exc", "exc", rule={"name": "pairwise_bernoulli", "p": 0.2}, name="rec")
    >>> spec = net.to_spec()
    >>> resolve_path(spec, "exc.tau_m"), resolve_path(spec, "rec.rule.p"), resolve_path(spec, "settings.dt")
    (('populations', 0, 'params', 'tau_m'), ('projections', 0, 'rule', 'p'), ('settings', 'dt'))
    >>> resolve_path(spec, "exc.tau")
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: sweep path 'exc.tau': population 'exc' (model 'lif') has no field or parameter 'tau'; ...
    """
    if not isinstance(path, str) or not path:
        raise PynTypeError(f"a sweep path must be a non-empty string, got {show(path)}; allowed forms: {PATH_FORMS}")
    if path.startswith("settings."):
        key = path[len("settings."):]
        if key == "seed":
            raise _refuse(path, "seeds are given by seeds= (--seeds), not swept as a setting")
        if key not in SWEPT_SETTINGS:
            raise _refuse(path, f"settings that may be swept: {', '.join(SWEPT_SETTINGS)}")
        return ("settings", key)
    if path.startswith("stimuli["):
        m = re.fullmatch(r"stimuli\[(\d+)\]\.([A-Za-z_]\w*)", path)
        if not m:
            raise _refuse(path, "a stimulus is written stimuli[I].FIELD (I from 0)")
        from .stimuli import FIELDS
        stimuli, i, field = spec.get("stimuli", []), int(m.group(1)), m.group(2)
        if i >= len(stimuli):
            raise _refuse(path, f"the spec has {len(stimuli)} stimuli (stimuli[0]..stimuli[{len(stimuli) - 1}])"
                          if stimuli else "the spec has no stimuli")
        kind = stimuli[i].get("kind")
        allowed = [f for f in FIELDS.get(kind, ()) if f != "kind"]
        if field not in allowed:
            raise _refuse(path, f"a {kind} stimulus has the fields {', '.join(allowed)}")
        return ("stimuli", i, field)
    pops, conns = _names(spec)
    fits = [(n, "population") for n in pops if isinstance(n, str) and path.startswith(n + ".")]
    fits += [(n, "connection") for n in conns if path.startswith(n + ".")]
    if not fits:
        raise _refuse(path, f"no population or connection of that name; populations: "
                      f"{', '.join(map(str, pops)) or 'none'}; connections: {', '.join(conns) or 'none'}")
    longest = max(len(n) for n, _ in fits)
    fits = [f for f in fits if len(f[0]) == longest]
    if len(fits) > 1:
        raise _refuse(path, f"{fits[0][0]!r} names both a population and a connection; rename one in the spec")
    name, kind = fits[0]
    rest = path[len(name) + 1:].split(".")
    if not all(_NAME.fullmatch(k) for k in rest):
        raise _refuse(path, f"{'.'.join(rest)!r} is not a field name (letters, digits and _ joined by dots)")
    if kind == "connection":
        field = rest[0]
        if field not in CONNECTION_FIELDS:
            raise _refuse(path, f"connection {name!r} has the fields {', '.join(CONNECTION_FIELDS)}")
        if len(rest) > 2 or (len(rest) == 2 and field not in DICT_FIELDS):
            raise _refuse(path, f"only one key below a dict field ({', '.join(DICT_FIELDS)}) may follow "
                          f"the connection {name!r}")
        return ("projections", conns[name], *rest)
    entry = spec["populations"][pops[name]]
    model = entry.get("model")
    from .spec import SOURCE_FIELDS as _SOURCES
    if model in _SOURCES:
        if len(rest) != 1 or rest[0] not in SOURCE_FIELDS:
            raise _refuse(path, f"source population {name!r} ({model}) has the fields {', '.join(SOURCE_FIELDS)}")
        return ("populations", pops[name], rest[0])
    from .models import get_model
    m = get_model(model)
    known = {"params": list(m.params), "initial": list(m.state), "options": list(m.options)}
    if len(rest) == 1 and rest[0] in NEURON_FIELDS:
        return ("populations", pops[name], rest[0])
    if len(rest) == 1 and rest[0] in known["params"]:
        return ("populations", pops[name], "params", rest[0])
    if len(rest) == 2 and rest[0] in NEURON_DICTS:
        if rest[1] not in known[rest[0]]:
            raise _refuse(path, f"model {model!r} has the {rest[0]} {', '.join(known[rest[0]]) or '(none)'}")
        return ("populations", pops[name], *rest)
    raise _refuse(path, f"population {name!r} (model {model!r}) has no field or parameter {'.'.join(rest)!r}; "
                  f"its fields: {', '.join(NEURON_FIELDS)}; parameters: {', '.join(known['params'])}")


def set_path(spec: dict, keys: tuple, value, path: str = "") -> None:
    """Set the entry at ``keys`` (from :func:`resolve_path`) of ``spec`` to ``value`` in place.

    Missing parameter dicts are created; a rule given by its name becomes
    ``{"name": ...}`` so that its parameters can be set.

    Examples
    --------
    >>> spec = {"projections": [{"rule": "all_to_all"}]}
    >>> set_path(spec, ("projections", 0, "rule", "allow_autapses"), True)
    >>> spec
    {'projections': [{'rule': {'name': 'all_to_all', 'allow_autapses': True}}]}
    """
    node = spec
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key) if isinstance(node, dict) else node[key]
        if child is None and isinstance(key, str):
            child = {}
        elif isinstance(child, str) and key == "rule":
            child = {"name": child}
        elif not isinstance(child, (dict, list)):
            where = ".".join(str(k) for k in keys[:depth + 1])
            raise _refuse(path or ".".join(map(str, keys)),
                          f"{where} is {show(child)}, not a dict of fields: write it as a dict in the spec "
                          "or sweep the whole field")
        node[key] = child
        node = child
    node[keys[-1]] = copy.deepcopy(value)


def _json_ready(obj):
    """``obj`` as plain JSON data (numpy arrays and scalars converted)."""
    return json.loads(json.dumps(obj, default=json_default, allow_nan=False))


def _digest(obj, n: int = 8) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:n]


def _load_spec(spec) -> dict:
    """The spec as a full dict (as :meth:`Network.to_spec` writes it) from a dict, Network, JSON text or file."""
    from .network import Network
    if isinstance(spec, Network):
        spec = spec.to_spec()
    elif isinstance(spec, os.PathLike) or (isinstance(spec, str) and not spec.lstrip().startswith("{")):
        try:
            with open(spec, encoding="utf-8") as f:
                spec = f.read()
        except OSError as exc:
            raise PynValueError(f"cannot read the network spec {os.fspath(spec)!r}: {exc.strerror or exc}") from exc
    return _json_ready(Network.from_spec(spec).to_spec())


def _seed_list(seeds) -> list:
    if isinstance(seeds, Integral) and not isinstance(seeds, bool):
        return list(range(check_count(seeds, "seeds (a number of seeds, 0, 1, ...; or a list of seeds)")))
    if not isinstance(seeds, (list, tuple, range)) or not seeds:
        raise PynTypeError(f"seeds must be a number of seeds or a non-empty list of seeds, got {show(seeds)}")
    out = [check_count(s, "each seed", minimum=0) for s in seeds]
    if len(set(out)) != len(out):
        raise PynValueError(f"seeds must be distinct, got {show(list(seeds))}")
    return out


class Run:
    """One run of a sweep: its id, the swept values, the seed and the full spec it runs."""

    def __init__(self, run_id, values, seed, spec):
        self.run_id, self.values, self.seed, self.spec = run_id, values, seed, spec

    def __repr__(self):
        return f"Run({self.run_id!r}, {self.values!r}, seed={self.seed})"


def plan_sweep(spec, grid: dict, seeds=1) -> list:
    """Every run of a sweep, each checked with :meth:`Network.from_spec` (nothing runs).

    Runs go through the grid's combinations in order (the last path varies
    fastest) and, within a combination, through the seeds.  A run's id is
    ``run-NNNN-HHHHHHHH``: its position and a hash of its swept values and
    seed, so that the same sweep gives the same ids again.

    Parameters
    ----------
    spec : dict, Network, JSON text or path of a JSON file
    grid : dict
        ``{path: [value, ...]}`` (paths: see the module docstring); values
        must be JSON data (numbers, strings, booleans, null, lists, dicts).
    seeds : int or list of int
        A number of seeds (0, 1, ...) or the seeds themselves.

    Returns
    -------
    list of Run

    Raises
    ------
    PynValueError, PynTypeError
        A path that is not allowed, or a value that makes a spec the network
        refuses (the message names the path, the value and the run).

    Examples
    --------
    >>> from pyn_core import Network, LIFPopulation
    >>> spec = Network([LIFPopulation("exc", N=3)]).to_spec()
    >>> runs = plan_sweep(spec, {"exc.tau_m": [10.0, 20.0]}, seeds=2)
    >>> [(r.values["exc.tau_m"], r.seed) for r in runs]
    [(10.0, 0), (10.0, 1), (20.0, 0), (20.0, 1)]
    >>> runs[0].run_id[:9], runs[0].spec["settings"]["seed"], runs[2].spec["populations"][0]["params"]
    ('run-0000-', 0, {'tau_m': 20.0})
    >>> plan_sweep(spec, {"exc.tau_m": [10.0, -1.0]})
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: sweep: exc.tau_m=-1.0: populations[0]: parameter 'tau_m' of population 'exc' must be > 0 ms, got -1
    """
    from .network import Network
    base = _load_spec(spec)
    if not isinstance(grid, dict):
        raise PynTypeError(f"grid must be a dict {{path: [values]}}, got {type(grid).__name__}")
    paths, where, lists = list(grid), {}, []
    for path in paths:
        keys = resolve_path(base, path)
        if keys in where.values():
            other = next(p for p, k in where.items() if k == keys)
            raise _refuse(path, f"it is the same entry as {other!r}; give each entry once")
        where[path] = keys
        values = grid[path]
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            raise PynTypeError(f"sweep path {path!r}: the values must be a list, got {show(values)}")
        values = list(values)
        if not values:
            raise PynValueError(f"sweep path {path!r}: the list of values is empty")
        try:
            values = _json_ready(values)
        except (PynError, TypeError, ValueError) as exc:
            raise PynTypeError(f"sweep path {path!r}: values must be JSON data (numbers, strings, booleans, "
                               f"null, lists, dicts) and finite: {exc}") from None
        lists.append(values)
    seeds = _seed_list(seeds)
    combos = list(itertools.product(*lists))
    width = max(4, len(str(len(combos) * len(seeds) - 1)))
    runs, checked = [], 0
    for combo in combos:
        values = dict(zip(paths, combo))
        run_spec = copy.deepcopy(base)
        for path, value in values.items():
            set_path(run_spec, where[path], value, path)
        try:
            run_spec = _json_ready(Network.from_spec(run_spec).to_spec())
        except PynError as exc:
            what = ", ".join(f"{p}={show(v)}" for p, v in values.items())
            raise type(exc)(f"sweep: {what}: {exc}") from exc
        checked += 1
        for seed in seeds:
            spec_s = copy.deepcopy(run_spec)
            spec_s["settings"]["seed"] = seed
            run_id = f"run-{len(runs):0{width}d}-{_digest({'values': values, 'seed': seed})}"
            runs.append(Run(run_id, values, seed, spec_s))
    log.debug("sweep: %d combinations checked, %d runs", checked, len(runs))
    return runs


# -- one run (what a worker calls) ----------------------------------------
def _one_line(exc) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= 300 else text[:297] + "..."


def _save_run(results, out: str, run_id: str) -> str:
    """Save ``results`` as ``out/run_id``: written under the run's own staging folder, then moved into
    place (a stale folder of the same id is replaced).

    Each run stages in a folder of its own directly under ``out`` (no staging folder is shared, so
    workers finishing at the same moment cannot remove one another's)."""
    staging = os.path.join(out, f"{STAGING}-{run_id}")
    shutil.rmtree(staging, ignore_errors=True)       # what a killed attempt at this run left
    saved = results.save(staging, folder="run")
    final = os.path.join(out, run_id)
    stale = None
    if os.path.lexists(final):
        stale = os.path.join(out, f"{PARTIAL_PREFIX}{os.getpid()}-stale-{run_id}")
        os.replace(final, stale)
    os.replace(saved, final)
    results.path = final
    if stale is not None:
        shutil.rmtree(stale, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(staging)
    return final


def run_one(task: dict) -> dict:
    """Build, run and save one run of a sweep; the function each Dask task calls.

    ``task`` holds plain data: ``spec`` (JSON text), ``seed``, ``T``,
    ``record``, ``backend``, ``out``, ``run_id`` and ``key`` (what
    identifies the run in its saved ``meta.json``).  Returns ``{"run_id",
    "status", "spikes", "rate_hz", "wall_s"}``: ``status`` is ``"ok"`` or
    ``"failed: <error>"`` (an error is reported, never raised, so that the
    other runs go on).
    """
    from .network import Network
    t0 = time.perf_counter()
    run_id = task["run_id"]
    try:
        net = Network.from_spec(task["spec"])
        sim = net.build(seed=task["seed"], backend=task["backend"], record=task["record"], experiment_name=run_id)
        res = sim.run(task["T"])
        wall = time.perf_counter() - t0
        res.meta["sweep"] = {**task["key"], "wall_s": wall}
        _save_run(res, task["out"], run_id)
        return {"run_id": run_id, "status": OK, "wall_s": wall,
                "spikes": {p.name: int(p.spike_times.size) for p in res},
                "rate_hz": {p.name: float(p.rate(res.duration)) for p in res}}
    except Exception as exc:    # noqa: BLE001 - a failed run is reported in its row; the others go on
        log.exception("sweep run %s failed", run_id)
        return {"run_id": run_id, "status": f"failed: {_one_line(exc)}", "wall_s": time.perf_counter() - t0}


def _key(run: Run, T: float, record) -> dict:
    """What a saved run must match to count as this run done."""
    return {"run_id": run.run_id, "values": run.values, "seed": run.seed, "T": T, "record": record,
            "spec_sha256": _digest(run.spec, 64)}


def _completed(out: str, run: Run, key: dict):
    """The result of ``run`` if ``out/run_id`` holds it complete (it loads and its meta matches), else None."""
    path = os.path.join(out, run.run_id)
    if not os.path.isdir(path):
        return None
    try:
        res = load_results(path)
        with open(os.path.join(path, "meta.json"), encoding="utf-8") as f:
            saved = json.load(f).get("sweep")
    except (PynError, OSError, ValueError) as exc:
        log.info("sweep: %s is not a complete run (%s); it runs again", path, exc)
        return None
    if not isinstance(saved, dict) or {k: v for k, v in saved.items() if k != "wall_s"} != key \
            or res.meta.get("error") is not None:
        log.info("sweep: %s holds another run (other spec, T, record or values); it runs again", path)
        return None
    return {"run_id": run.run_id, "status": SKIPPED, "wall_s": saved.get("wall_s"),
            "spikes": {p.name: int(p.spike_times.size) for p in res},
            "rate_hz": {p.name: float(p.rate(res.duration)) for p in res}}


# -- the table --------------------------------------------------------------
def _cell(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _row(run: Run, result: dict, populations) -> dict:
    row = {"run_id": run.run_id, **run.values, "seed": run.seed}
    for name in populations:
        row[f"{name}.spikes"] = result.get("spikes", {}).get(name)
        row[f"{name}.rate_hz"] = result.get("rate_hz", {}).get(name)
    row["wall_s"] = result.get("wall_s")
    row["status"] = result["status"]
    return row


def _write_summary(path: str, columns: list, rows: dict, paths) -> None:
    """Write ``summary.csv`` atomically (a temporary file renamed over it), rows sorted by run id."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for run_id in sorted(rows):
            row = rows[run_id]
            cells = []
            for c in columns:
                v = row.get(c)
                if v is None:
                    cells.append("")
                elif c in paths:
                    cells.append(_cell(v))
                elif c == "wall_s":
                    cells.append(f"{v:.3f}")
                else:
                    cells.append(str(v))
            w.writerow(cells)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise BackendError("parameter sweeps run on Dask, which is not installed; "
                           "pip install 'pyn_core[sweep]'") from exc
    return distributed


@contextlib.contextmanager
def _client(client, scheduler, workers, n_runs):
    """The Dask client to submit to: ``client``, one connected to ``scheduler``, or a new local cluster."""
    if client is not None:
        yield client
        return
    distributed = _distributed()
    if scheduler is not None:
        with distributed.Client(scheduler) as c:
            yield c
        return
    n = workers or max(1, min(os.cpu_count() or 1, n_runs))
    with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  env={"PYN_NUM_THREADS": "1"}) as cluster, distributed.Client(cluster) as c:
        log.info("sweep: a local Dask cluster of %d worker processes (dashboard: %s)", n, c.dashboard_link)
        yield c


def _progress(total, initial, quiet):
    """A bar over runs on a terminal (tqdm), or None."""
    if quiet or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        log.info("sweep: tqdm is not installed, so no progress bar (pip install 'pyn_core[sweep]')")
        return None
    return tqdm(total=total, initial=initial, unit="run", desc="sweep", file=sys.stderr)


def sweep(spec, grid: dict, *, seeds=1, T, out, record=None, backend="auto", workers=None, scheduler=None,
          client=None, quiet=False) -> list:
    """Run every combination of ``grid`` × every seed as its own run on a Dask cluster.

    Parameters
    ----------
    spec : dict, Network, JSON text or path of a JSON file
        The network spec (:meth:`Network.to_spec`) the grid changes.
    grid : dict
        ``{path: [value, ...]}``, e.g. ``{"exc.tau_m": [10, 20], "in2exc.rule.p": [0.1, 0.2]}``
        (paths: see the module docstring and ``docs/sweeps.md``); ``{}``
        runs the spec once per seed.
    seeds : int or list of int
        A number of seeds (0, 1, ...) or the seeds themselves.
    T : float
        Duration of each run in ms.
    out : str or path
        The sweep's folder: each run is saved as ``out/RUN_ID`` and the table
        of runs is ``out/summary.csv``.  With a cluster of several machines it
        must be a folder every worker and this process see (a shared file
        system).
    record : list or dict, optional
        Traces to record (as :meth:`Network.build`); spikes are always recorded.
    backend : str
        ``"auto"``, ``"numpy"`` or ``"numba"``, on the workers.
    workers : int, optional
        Worker processes of the local cluster (default: one per core, at
        most one per run).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) to use
        instead of a local cluster.
    client : distributed.Client, optional
        An existing client (e.g. of a ``dask_jobqueue.SLURMCluster``).
    quiet : bool
        No progress bar (there is none either when stderr is not a terminal).

    Returns
    -------
    list of dict
        The rows of ``summary.csv``, sorted by run id: ``run_id``, one
        entry per swept path, ``seed``, ``POP.spikes`` and ``POP.rate_hz``
        per population, ``wall_s`` (build and run on the worker) and
        ``status`` (``"ok"``, ``"skipped (done)"`` or ``"failed: <error>"``).

    Raises
    ------
    PynValueError, PynTypeError
        A bad path, value, seed, T or folder, before anything runs.
    BackendError
        Dask is not installed.

    Notes
    -----
    A run whose folder ``out/RUN_ID`` loads (:func:`load_results`) and
    whose saved sweep entry matches (values, seed, T, record and spec) is
    not run again but reported as ``"skipped (done)"``; a run that fails
    leaves no folder and runs again next time.  Run one sweep at a time in
    a folder.

    Examples
    --------
    >>> from pyn_core import Network, LIFPopulation, sweep
    >>> net = Network([LIFPopulation("exc", N=10)])
    >>> _ = net.add_current("exc", 2.0)
    >>> rows = sweep(net, {"exc.tau_m": [10, 20]}, seeds=2, T=100, out="sweep-out",
    ...              workers=2)                                   # doctest: +SKIP
    >>> [r["status"] for r in rows]                              # doctest: +SKIP
    ['ok', 'ok', 'ok', 'ok']
    """
    if client is not None and scheduler is not None:
        raise PynValueError("give client= or scheduler=, not both")
    if workers is not None:
        if scheduler is not None or client is not None:
            raise PynValueError("workers= sets the size of a local cluster; with scheduler= or client= the "
                                "cluster has the workers it has")
        workers = check_count(workers, "workers")
    T = check_real(T, "T (ms)", minimum=0.0)
    if not isinstance(backend, str):
        raise PynTypeError(f"backend must be a string, got {show(backend)}")
    from .engine.backend import backends
    if backend != "auto" and backend not in backends():
        raise PynValueError(f"unknown backend {backend!r}; allowed: auto, {', '.join(backends())}")
    if record is not None and not isinstance(record, (list, tuple, dict)):
        raise PynTypeError(f"record must be a list of variables or a dict {{population: [variables]}}, "
                           f"got {show(record)}")
    record = _json_ready(record)
    runs = plan_sweep(spec, grid, seeds)
    out = os.path.abspath(os.fspath(out))      # the workers may start elsewhere
    plan_save(out, "sweep")       # the folder is made and checked writable now
    paths = list(grid)
    populations = [p["name"] for p in runs[0].spec["populations"]]
    columns = ["run_id", *paths, "seed"] + [f"{p}.{c}" for p in populations for c in ("spikes", "rate_hz")] \
        + ["wall_s", "status"]
    summary = os.path.join(out, SUMMARY)
    rows, todo = {}, []
    for run in runs:
        done = _completed(out, run, _key(run, T, record))
        rows[run.run_id] = _row(run, done or {"status": PENDING}, populations)
        if done is None:
            todo.append(run)
    log.info("sweep: %d runs, %d done already, %d to run", len(runs), len(runs) - len(todo), len(todo))
    _write_summary(summary, columns, rows, paths)
    if todo:
        _submit(todo, T, record, backend, out, rows, populations, columns, paths, summary,
                (client, scheduler, workers), len(runs), quiet)
    _write_summary(summary, columns, rows, paths)
    failed = sum(1 for r in rows.values() if r["status"].startswith("failed"))
    log.info("sweep: %d runs, %d failed; table: %s", len(rows), failed, summary)
    return [rows[k] for k in sorted(rows)]


def _submit(todo, T, record, backend, out, rows, populations, columns, paths, summary, where, total, quiet):
    """Submit the runs in ``todo`` and fill their rows as they finish."""
    distributed = _distributed()
    by_id = {r.run_id: r for r in todo}
    tag = uuid.uuid4().hex[:8]
    with _client(*where, len(todo)) as client:
        futures = {}
        for run in todo:
            task = {"spec": json.dumps(run.spec), "seed": run.seed, "T": T, "record": record, "backend": backend,
                    "out": out, "run_id": run.run_id, "key": _key(run, T, record)}
            futures[client.submit(run_one, task, key=f"pyn-sweep-{run.run_id}-{tag}", pure=False)] = run.run_id
        bar = _progress(total, total - len(todo), quiet)
        written = time.monotonic()
        try:
            for fut in distributed.as_completed(list(futures)):
                run_id = futures[fut]
                if fut.status == "finished":
                    result = fut.result()
                else:           # the task itself failed: its worker died, or its data could not travel
                    try:
                        exc = fut.exception()
                    except Exception as e:   # noqa: BLE001 - e.g. the task was cancelled
                        exc = e
                    result = {"run_id": run_id, "status": f"failed: {_one_line(exc)}"}
                rows[run_id] = _row(by_id[run_id], result, populations)
                if bar is not None:
                    bar.update(1)
                if time.monotonic() - written > 2.0:     # a large sweep does not rewrite its table per run
                    _write_summary(summary, columns, rows, paths)
                    written = time.monotonic()
        except BaseException:
            client.cancel(list(futures))
            for run_id, row in rows.items():
                if row["status"] == PENDING:
                    row["status"] = NOT_RUN
            raise
        finally:
            if bar is not None:
                bar.close()
            _write_summary(summary, columns, rows, paths)


# -- the command line -------------------------------------------------------
def parse_set(text: str):
    """``(path, values)`` of a command-line ``PATH=V1,V2,...``; each value is read as JSON, else kept as text.

    Examples
    --------
    >>> parse_set("exc.tau_m=10,20.5")
    ('exc.tau_m', [10, 20.5])
    >>> parse_set("in2exc.mode=excitatory,inhibitory")
    ('in2exc.mode', ['excitatory', 'inhibitory'])
    >>> parse_set("exc.tau_m")
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: --set 'exc.tau_m': write PATH=V1,V2,... (e.g. exc.tau_m=10,20)
    """
    path, sep, rest = text.partition("=")
    if not sep or not path.strip() or not rest.strip():
        raise PynValueError(f"--set {text!r}: write PATH=V1,V2,... (e.g. exc.tau_m=10,20)")
    values = []
    for v in rest.split(","):
        v = v.strip()
        if not v:
            raise PynValueError(f"--set {text!r}: an empty value (between commas)")
        try:
            values.append(json.loads(v))
        except json.JSONDecodeError:
            values.append(v)
    return path.strip(), values


def parse_seeds(text: str):
    """``--seeds``: ``N`` (seeds 0..N-1) or a list ``1,5,9``.

    >>> parse_seeds("3"), parse_seeds("1,5,9")
    (3, [1, 5, 9])
    """
    try:
        if "," in text:
            return [int(s) for s in text.split(",") if s.strip()]
        return int(text)
    except ValueError:
        raise PynValueError(f"--seeds {text!r}: give a number of seeds (3) or the seeds (1,5,9)") from None


def add_parser(sub) -> None:
    """The ``pyn sweep`` sub-command (argparse)."""
    s = sub.add_parser("sweep", help="run a spec over a grid of values and seeds on Dask (docs/sweeps.md)")
    s.add_argument("spec", help="network spec (JSON file)")
    s.add_argument("--set", action="append", default=[], metavar="PATH=V1,V2,...", dest="grid",
                   help="a swept entry and its values (repeat for a grid), e.g. exc.tau_m=10,20")
    s.add_argument("--seeds", default="1", help="number of seeds (0..N-1) or a list 1,5,9 (default 1)")
    s.add_argument("--T", type=float, required=True, help="duration of each run in ms")
    s.add_argument("--out", default="pyn-sweep", help="folder of the runs and summary.csv (default ./pyn-sweep)")
    s.add_argument("--record", nargs="*", default=[], help="traces to record (spikes always)")
    s.add_argument("--backend", default="auto", help="auto (default), numpy or numba")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler")
    s.add_argument("--quiet", action="store_true", help="no progress bar")


def command(args) -> None:
    """Run ``pyn sweep`` from parsed ``args``; exits with status 1 when a run failed."""
    # Dask's loggers keep to their own handler (warnings and errors only while a local cluster runs)
    logging.getLogger("distributed").propagate = False
    grid = {}
    for text in args.grid:
        path, values = parse_set(text)
        if path in grid:
            raise PynValueError(f"--set {path}: given twice; give all its values in one --set")
        grid[path] = values
    rows = sweep(args.spec, grid, seeds=parse_seeds(args.seeds), T=args.T, out=args.out,
                 record=args.record or None, backend=args.backend, workers=args.workers,
                 scheduler=args.scheduler, quiet=args.quiet)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in (OK, SKIPPED)}
    failed = [r for r in rows if r["status"].startswith("failed")]
    sys.stdout.write(f"{len(rows)} runs: {counts[OK]} ok, {counts[SKIPPED]} skipped (done), {len(failed)} failed\n"
                     f"  table: {os.path.join(args.out, SUMMARY)}\n")
    for r in failed:
        sys.stdout.write(f"  {r['run_id']}: {r['status']}\n")
    if failed:
        raise SystemExit(1)
