"""A saved run is its own recipe: ``rerun(run_dir)`` repeats it and gives the same spikes.

Every run saved by :meth:`~pyn_core.results.Results.save` carries a
``recipe`` in its ``meta.json`` (``{"format": "pyn-recipe", "version": 1,
...}``):

``network``
    The network spec without its stimuli, its ``settings`` holding the
    build's ``dt``, seed and learning switch.
``build``
    ``dt``, ``seed`` (the one used, also when it was drawn), ``learning``,
    ``record`` (the resolved ``{population: [variables]}``),
    ``record_every_steps``, ``stimuli`` (every stimulus the simulation was
    built with, the network's and the ``I_ext`` extras, in order; a current
    whose amplitude was a function as ``{"saved_table": name}``, the values
    it took on its steps, stored in ``arrays.npz`` under that name,
    ``recipe.stimulus<j>.table``) and ``network_stimuli`` (how many of them
    are the network's).
``record_weights``
    The weight monitors: connection name and index, ``every`` (ms and
    steps), ``synapses`` (indices, or null for all).
``steps``, ``duration``
    How far the run went (steps, ms).
``backend``, ``threads``
    The backend that ran it and its threads (numba).
``versions``
    pyN, numpy, Python and numba (null where not installed).
``interventions``
    The calls that changed the run between runs, by name (``reward``,
    ``set_weights``, ``disconnect``, ``reconnect``, ``monitor_weights`` after
    the start, ``load_checkpoint``); a run with any cannot be repeated from
    its recipe and :func:`rerun` refuses it.
``structure``
    The built structure (populations, receptors, a SHA-256 of each
    connection's synapses and delays, as a checkpoint holds it), against
    which the rebuilt network is checked.

Runs saved before recipes existed (results version 1 without ``recipe``)
load as before; :func:`rerun` refuses them with a message saying so.

Examples
--------
>>> import tempfile
>>> from pyn_core import Network, LIFPopulation, rerun
>>> net = Network([LIFPopulation("n", N=3)])
>>> _ = net.add_noise("n", mean=20.0, std=5.0)
>>> first = net.simulate(T=50, dt=0.1, save_data=tempfile.mkdtemp(), backend="numpy")
>>> again = rerun(first.path)
>>> compare_spikes(first, again) is None, again.seed == first.seed
(True, True)
"""
from __future__ import annotations

import logging
import os
import platform
import sys

import numpy as np

from .errors import PynError, PynValueError, SimulationError
from .results import RECIPE_PREFIX as ARRAY_PREFIX

log = logging.getLogger("pyn_core")

FORMAT = "pyn-recipe"
VERSION = 1


def _version(package: str):
    from importlib import metadata
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def make_recipe(sim) -> tuple[dict, dict]:
    """(recipe, arrays) of the run of ``sim`` so far (see the module docstring); nothing is written."""
    from . import __version__
    from .engine.buildspec import build_settings, network_spec
    from .engine.checkpoint import structure
    head = {"format": FORMAT, "version": VERSION}
    try:
        spec = network_spec(sim.network)
    except ValueError as exc:
        return {**head, "unavailable": f"the network cannot be written as a spec ({exc})"}, {}
    arrays = {}
    build = build_settings(sim, arrays, lambda j: f"{ARRAY_PREFIX}stimulus{j}.table")
    spec["settings"].update(dt=sim.dt, seed=sim.seed, stdp=sim.learning)
    monitors = []
    for m in sim.recorder.weights:
        q = m.proj
        every_synapse = m.idx.size == q.n and bool(np.all(m.idx == np.arange(q.n)))
        monitors.append({"connection": q.name, "index": int(q.index), "every": m.every * sim.dt,
                         "every_steps": int(m.every), "synapses": None if every_synapse else m.idx.tolist()})
    threads = getattr(sim.backend, "threads", None)
    recipe = {**head, "network": spec, "build": build, "record_weights": monitors,
              "steps": int(sim.k), "duration": sim.t,
              "backend": sim.backend.name, "threads": int(threads) if threads is not None else None,
              "versions": {"pyn_core": __version__, "numpy": np.__version__, "python": platform.python_version(),
                           "numba": _version("numba")},
              "interventions": dict(sim.interventions),
              "structure": structure(sim)}
    return recipe, arrays


# ---------------------------------------------------------------------------
# repeating a run
# ---------------------------------------------------------------------------
def _refuse(path, why: str):
    return PynValueError(f"{path!r} cannot be rerun: {why}")


def _field(recipe, dotted: str, kind, path):
    value = recipe
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise _refuse(path, f"its recipe is damaged: meta.json field 'recipe.{dotted}' is missing")
        value = value[part]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise _refuse(path, f"its recipe is damaged: meta.json field 'recipe.{dotted}' must be {names}, "
                            f"got {value!r}")
    return value


def recipe_of(results, path=None) -> dict:
    """The recipe of saved ``results``, checked to be one :func:`rerun` can repeat; a PynValueError says why not."""
    path = path or results.path
    recipe = results.meta.get("recipe")
    if recipe is None:
        raise _refuse(path, "it was saved without a recipe (by a pyN from before runs recorded how they were "
                            "made); run its script again instead")
    if not isinstance(recipe, dict) or recipe.get("format") != FORMAT:
        raise _refuse(path, f"its meta.json 'recipe' is not a {FORMAT!r} recipe")
    if recipe.get("version") != VERSION or isinstance(recipe.get("version"), bool):
        raise _refuse(path, f"its recipe has version {recipe.get('version')!r}; this pyN reads version {VERSION}")
    if "unavailable" in recipe:
        raise _refuse(path, str(recipe["unavailable"]))
    done = _field(recipe, "interventions", dict, path)
    calls = {k: v for k, v in done.items() if v}
    if calls:
        listed = ", ".join(f"{k} x{v}" for k, v in sorted(calls.items()))
        raise _refuse(path, f"the run was driven by calls between runs ({listed}); what such a loop did is "
                            "not in its recipe, so a rerun would not give its spikes: repeat it with the "
                            "script that made those calls")
    return recipe


def _choose_backend(saved: str, backend):
    from .engine.backend import available, backends
    if backend is not None:
        return backend
    if saved in backends() and available(saved):
        return saved
    log.info("the run was made on the %s backend, which is not installed here: rerunning on 'auto'", saved)
    return "auto"


def _table(results, path):
    def table(j, d):
        name = d["amplitude"]["saved_table"]
        t = results.recipe_tables.get(name) if isinstance(name, str) else None
        if t is None:
            raise _refuse(path, f"its recipe names the table {name!r} of stimulus {j}, which arrays.npz lacks")
        if not np.issubdtype(t.dtype, np.floating) or t.ndim not in (1, 2) or not np.all(np.isfinite(t)):
            raise _refuse(path, f"the table {name!r} of stimulus {j} in arrays.npz must be a finite 1-D or "
                                "2-D array of numbers")
        return np.asarray(t, dtype=np.float64)
    return table


def rebuild_run(results, backend=None, path=None, progress=None):
    """A fresh simulation (step 0) built from the recipe of ``results``, weight monitors included."""
    from .engine.buildspec import rebuild
    from .engine.checkpoint import _difference, structure
    from .engine.recorder import WeightMonitor
    path = path or results.path
    recipe = recipe_of(results, path)
    spec = _field(recipe, "network", dict, path)
    settings = _field(recipe, "network.settings", dict, path)
    build = {"dt": _field(recipe, "build.dt", (int, float), path),
             "seed": _field(recipe, "build.seed", int, path),
             "learning": _field(recipe, "build.learning", bool, path),
             "record": _field(recipe, "build.record", dict, path),
             "record_every_steps": _field(recipe, "build.record_every_steps", int, path),
             "stimuli": _field(recipe, "build.stimuli", list, path),
             "network_stimuli": _field(recipe, "build.network_stimuli", int, path)}
    saved_backend = _field(recipe, "backend", str, path)
    chosen = _choose_backend(saved_backend, backend)
    _check_versions(_field(recipe, "versions", dict, path))
    try:
        sim = rebuild(spec, settings, build, _table(results, path), backend=chosen,
                      experiment_name=results.experiment_name, progress=progress)
    except PynValueError as exc:
        if str(exc).startswith(repr(path)):
            raise
        raise _refuse(path, f"its recipe does not build: {exc}") from exc
    except PynError as exc:
        raise _refuse(path, f"its recipe does not build: {exc}") from exc
    diff = _difference(structure(sim), _field(recipe, "structure", dict, path))
    if diff:
        raise _refuse(path, f"the rebuilt network differs from the one that ran ({diff}); the run was made by "
                            "another pyN version, or the network changed after it was built")
    for n, m in enumerate(_field(recipe, "record_weights", list, path)):
        where = f"record_weights.{n}"
        if not isinstance(m, dict):
            raise _refuse(path, f"its recipe is damaged: meta.json field 'recipe.{where}' must be a dict")
        index = _field(m, "index", int, path) if "index" in m else -1
        every = _field(m, "every_steps", int, path) if "every_steps" in m else 0
        synapses = m.get("synapses")
        if not 0 <= index < len(sim.projs) or every < 1:
            raise _refuse(path, f"its recipe is damaged: meta.json field 'recipe.{where}' needs a connection "
                                f"index in 0..{len(sim.projs) - 1} and every_steps >= 1, got {m!r}")
        q = sim.projs[index]
        if synapses is None:
            idx = np.arange(q.n)
        else:
            from ._checks import check_indices
            try:
                idx = np.asarray(check_indices(synapses, q.n, f"recipe {where}.synapses"), dtype=np.int64)
            except PynError as exc:
                raise _refuse(path, f"its recipe is damaged: {exc}") from exc
        pre = np.repeat(np.arange(q.pre.N), np.diff(q.indptr))[idx]
        sim.recorder.weights.append(WeightMonitor(q, every, idx, pre, q.post_idx[idx].astype(np.int64), sim.dt))
    return sim


def _check_versions(saved: dict):
    from . import __version__
    here = {"pyn_core": __version__, "numpy": np.__version__, "numba": _version("numba")}
    for name, version in here.items():
        if name in saved and saved[name] != version and not (name == "numba" and version is None):
            log.warning("the run was made with %s %s, this is %s %s: the spikes may differ", name, saved[name],
                        name, version)


def rerun(run_dir, out=None, backend=None, progress=None):
    """Repeat a saved run from its recipe; returns the new :class:`~pyn_core.results.Results`.

    Parameters
    ----------
    run_dir : str or os.PathLike
        A folder written by :meth:`Results.save` (``Network.simulate(save_data=...)``).
    out : str or os.PathLike, optional
        Save the new run in a new folder under ``out`` (its path is
        ``results.path``); by default nothing is saved.
    backend : str, optional
        The backend to run on; by default the one that made the run, or
        ``"auto"`` (with a logged message) where that one is not installed.
        On the backend that made it the spikes are identical; on another
        wherever the two backends agree bit for bit (``docs/reliability.md``).
    progress : None, True or callable
        As :meth:`Simulation.run`.

    Raises
    ------
    NoSavedRun
        ``run_dir`` holds no saved run.
    PynValueError
        The run cannot be repeated: it has no recipe (saved by an older pyN),
        it was driven by calls between runs (``reward``, ``set_weights``, ...),
        or its recipe is damaged or no longer builds the same network.

    Examples
    --------
    >>> import tempfile
    >>> from pyn_core import Network, IzhikevichPopulation, rerun
    >>> net = Network([IzhikevichPopulation("c", N=10)])
    >>> _ = net.connect("c", "c", rule="fixed_indegree", k=3, weight=5.0)
    >>> stim = {"c": [{"start": 5, "stop": 40, "mV": lambda t: 10 + 0 * t, "neurons": [0, 1]}]}
    >>> first = net.simulate(T=50, dt=0.25, I_ext=stim, seed=2, save_data=tempfile.mkdtemp(), backend="numpy")
    >>> again = rerun(first.path, out=tempfile.mkdtemp())
    >>> bool((again["c"].spike_times == first["c"].spike_times).all()), again.path != first.path
    (True, True)
    """
    from .results import load_results
    path = os.fspath(run_dir)
    saved = load_results(path)
    sim = rebuild_run(saved, backend, path, progress=progress is True)
    recipe = saved.meta["recipe"]
    steps = _field(recipe, "steps", int, path)
    if steps < 0:
        raise _refuse(path, f"its recipe is damaged: meta.json field 'recipe.steps' must be >= 0, got {steps}")
    try:
        sim.run(steps * sim.dt, progress=progress)
        while sim.k < steps:                  # steps * dt / dt may round below steps: take the last one too
            sim.run(sim.dt / 2)
    except SimulationError:
        if saved.meta.get("error") is None:
            raise
    results = sim.results
    if out is not None:
        results.save(out)
    return results


def compare_spikes(saved, new):
    """``None`` when two results hold the same spikes, else where they first differ (a sentence).

    Examples
    --------
    >>> from pyn_core.results import PopulationResults, Results
    >>> def res(times):
    ...     p = PopulationResults("a", 2, np.array(times), np.zeros(len(times), dtype=np.int64), {})
    ...     return Results("x", 0.1, 1, np.zeros(0), {"a": p}, 10.0)
    >>> compare_spikes(res([1.0, 2.0]), res([1.0, 2.0])) is None
    True
    >>> compare_spikes(res([1.0, 2.0]), res([1.0, 2.5]))
    "population 'a': spike 1 differs (saved neuron 0 at 2 ms, rerun neuron 0 at 2.5 ms)"
    """
    if saved.names != new.names:
        return f"the populations differ (saved {saved.names}, rerun {new.names})"
    for a in saved:
        b = new[a.name]
        n = min(a.spike_times.size, b.spike_times.size)
        bad = np.flatnonzero((a.spike_times[:n] != b.spike_times[:n]) | (a.spike_ids[:n] != b.spike_ids[:n]))
        if bad.size:
            i = int(bad[0])
            return (f"population {a.name!r}: spike {i} differs (saved neuron {a.spike_ids[i]} at "
                    f"{a.spike_times[i]:g} ms, rerun neuron {b.spike_ids[i]} at {b.spike_times[i]:g} ms)")
        if a.spike_times.size != b.spike_times.size:
            return (f"population {a.name!r}: {a.spike_times.size} spikes saved, {b.spike_times.size} rerun "
                    f"(the first {n} agree)")
    return None


def command(args) -> int:
    """``pyn rerun RUN_DIR --out DIR [--backend B]``: 0 when the spikes are identical, 1 when not."""
    from .results import load_results
    saved = load_results(args.run_dir)
    new = rerun(args.run_dir, out=args.out, backend=args.backend, progress=True)
    diff = compare_spikes(saved, new)
    sys.stdout.write(new.summary() + f"\n  backend: {new.meta.get('backend')}\n  data:    {new.path}\n"
                     f"  spikes:  {'identical' if diff is None else 'differ: ' + diff}\n")
    return 0 if diff is None else 1
