"""NWB files (Neurodata Without Borders, through pynwb): a run written for pynwb, DANDI, pynapple and
NWB Explorer, and the units table of any NWB file read back.

What goes where in the file :func:`to_nwb` writes:

* **units table** (``nwbfile.units``): one unit per neuron of every neuron
  and source population, neurons without spikes included, in the run's
  order; its spike times in seconds and its ``obs_intervals`` the whole
  run; columns ``population`` (name),
  ``index`` (the neuron's index in its population) and, where the network
  places its neurons, ``x``, ``y``, ``z`` (NaN for a population without
  positions).
* **acquisition**: one ``TimeSeries`` per recorded trace, named
  ``"<population>.<variable>"`` (a ``/`` in a name becomes ``_``), data of
  shape (samples, N) in pyN's units with the NWB ``unit`` and
  ``conversion`` that make them SI (``v`` in mV: unit ``volts``, conversion
  0.001; currents in nA: ``amperes``, 1e-9; a model's dimensionless or
  model-unit variables: ``n.a.``), the sampling ``rate`` and
  ``starting_time`` (or ``timestamps`` where samples are not regular).
* **metadata**: the ``subject`` is the simulated network (its name as
  ``subject_id``, age ``P0D`` since it is made when the session starts, sex
  ``U``, no species), as DANDI's checks want a subject; the units table's ``resolution`` is dt (spike times fall
  on steps); ``keywords``; ``session_description`` (the experiment's name unless
  given), ``identifier`` (unless given: a UUID made from the run's content,
  so exporting the same run twice gives the same identifier),
  ``session_start_time`` (unless given: when the run was saved, else now,
  with the time zone), and in ``notes`` a JSON object with
  ``pyn_version``, ``dt_ms``, ``seed``, ``duration_ms``,
  ``experiment_name`` and the network ``spec``.

Weight monitors and the run's recipe are not written (they stay in pyN's own
folder).

Examples
--------
>>> import os, tempfile
>>> from pyn_core import Network, LIFPopulation, read_nwb_spikes
>>> net = Network([LIFPopulation("exc", N=3)])
>>> _ = net.add_current("exc", 20.0)
>>> res = net.build(dt=0.1, seed=0, backend="numpy", record=["v"]).run(20.0)
>>> path = res.to_nwb(os.path.join(tempfile.mkdtemp(), "run.nwb"))
>>> back = read_nwb_spikes(path)
>>> back["exc"].N, bool((back["exc"].spike_times == res["exc"].spike_times).all())
(3, True)
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import uuid

import numpy as np

from ..errors import PynValueError
from ._files import atomic_output, need, positions_of, trace_unit

log = logging.getLogger(__name__)

#: Time step assumed for a file that does not state it (one not written by pyN).
DEFAULT_DT = 0.1


def _pynwb():
    return need("pynwb", "the NWB format")


def _identifier(results) -> str:
    """A UUID made from the run's content (names, sizes, spikes, dt, seed)."""
    h = hashlib.sha256()
    h.update(json.dumps([results.experiment_name, results.dt, results.seed, results.duration],
                        default=str).encode())
    for pop in results:
        h.update(pop.name.encode() + b"\0" + str(pop.N).encode())
        h.update(np.ascontiguousarray(pop.spike_times, dtype="<f8").tobytes())
        h.update(np.ascontiguousarray(pop.spike_ids, dtype="<i8").tobytes())
    return str(uuid.UUID(bytes=h.digest()[:16], version=4))


def _start_time(results, given):
    if given is not None:
        if not isinstance(given, _dt.datetime):
            raise PynValueError(f"session_start_time must be a datetime, got {given!r}")
        return given if given.tzinfo is not None else given.astimezone()
    saved = results.meta.get("saved") if isinstance(results.meta, dict) else None
    if isinstance(saved, str):
        try:
            return _dt.datetime.fromisoformat(saved).astimezone()
        except ValueError:
            pass
    return _dt.datetime.now(_dt.timezone.utc)


def _series_name(pop: str, var: str) -> str:
    return f"{pop}.{var}".replace("/", "_")


def _unit_columns(results):
    """``(ids, columns)`` of the units table, built whole (one row per neuron; a row at a time would cost
    about 0.5 ms per neuron)."""
    from hdmf.common import VectorData, VectorIndex
    pops = list(results)
    total = sum(int(p.N) for p in pops)
    times, ends, names, index = [], [], [], []
    count = 0
    for p in pops:
        order = np.argsort(p.spike_ids, kind="stable")         # by neuron; each neuron's in time order
        ids = np.asarray(p.spike_ids, dtype=np.int64)[order]
        times.append(np.asarray(p.spike_times, dtype=float)[order] * 1e-3)
        ends.append(count + np.searchsorted(ids, np.arange(p.N), side="right"))
        count += ids.size
        names += [p.name] * int(p.N)
        index.append(np.arange(p.N, dtype=np.int64))
    if not total:
        return np.zeros(0, np.int64), []
    spikes = VectorData(name="spike_times", data=np.concatenate(times), description="spike times of the neuron (s)")
    duration = float(results.duration) * 1e-3
    observed = VectorData(name="obs_intervals", data=np.tile([0.0, duration], (total, 1)),
                          description="the time the neuron was simulated (s)")
    columns = [spikes, VectorIndex(name="spike_times_index", data=np.concatenate(ends), target=spikes),
               observed, VectorIndex(name="obs_intervals_index", data=np.arange(1, total + 1), target=observed),
               VectorData(name="population", data=names,
                          description="name of the neuron's population in the pyN network"),
               VectorData(name="index", data=np.concatenate(index), description="index of the neuron in its population")]
    positions = positions_of(results)
    if positions:
        xyz = np.concatenate([positions.get(p.name, np.full((p.N, 3), np.nan)) for p in pops])
        for k, c in enumerate("xyz"):
            columns.append(VectorData(name=c, data=np.ascontiguousarray(xyz[:, k]),
                                      description=f"{c} position of the neuron in the network's space (pyN "
                                                  "units); NaN for a population without positions"))
    return np.arange(total, dtype=np.int64), columns


def to_nwb(results, path, *, overwrite: bool = False, session_description=None, identifier=None,
           session_start_time=None, institution=None, experimenter=None) -> str:
    """Write ``results`` as an NWB file (see the module's description of what goes where).

    Parameters
    ----------
    results : Results
    path : str or path
        The ``.nwb`` file (written atomically: under a temporary name, then renamed).
    overwrite : bool
        Replace ``path`` if it exists (otherwise that is refused).
    session_description, identifier : str, optional
    session_start_time : datetime, optional
        Without a time zone, the local one is assumed.
    institution : str, optional
    experimenter : str or list of str, optional

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    PynValueError
        ``path`` exists (without ``overwrite``) or cannot be written.
    MissingPackage
        pynwb is not installed (``pip install 'pyn_core[nwb]'``).
    """
    pynwb = _pynwb()
    from .. import __version__
    notes = {"pyn_version": __version__, "dt_ms": results.dt, "seed": results.seed,
             "duration_ms": results.duration, "experiment_name": results.experiment_name,
             "spec": results.meta.get("spec") if isinstance(results.meta, dict) else None}
    if isinstance(experimenter, str):
        experimenter = [experimenter]
    nwbfile = pynwb.NWBFile(
        session_description=session_description or f"pyN simulation: {results.experiment_name}",
        identifier=identifier or _identifier(results),
        session_start_time=_start_time(results, session_start_time),
        experiment_description=f"Spiking network simulation {results.experiment_name!r} run with pyN "
                               f"(dt = {results.dt:g} ms, seed {results.seed})",
        notes=json.dumps(notes, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)),
        institution=institution, experimenter=experimenter,
        source_script=f"pyn_core {__version__}", source_script_file_name="pyn_core",
        keywords=["simulation", "spiking neural network", "pyN"],
        subject=pynwb.file.Subject(subject_id=str(results.experiment_name), sex="U", age="P0D",
                                   description="a simulated spiking neural network (pyN), made at the start of "
                                               "the session (age 0); no animal, so sex unknown (U) and no "
                                               "species"))
    ids, columns = _unit_columns(results)
    if ids.size:
        nwbfile.units = pynwb.misc.Units(name="units", id=ids, columns=columns,
                                         resolution=float(results.dt) * 1e-3,     # spikes fall on steps
                                         description="the neurons of the network, one unit each, in the "
                                                     "run's population order")
    t = np.asarray(results.t, dtype=float)
    regular = t.size >= 2 and np.allclose(np.diff(t), t[1] - t[0], rtol=1e-9, atol=1e-12)
    for pop in results:
        for var, data in pop.traces.items():
            unit, si, factor = trace_unit(results, pop.name, var)
            data = np.asarray(data)
            timing = ({"rate": 1e3 / (t[1] - t[0]), "starting_time": t[0] * 1e-3} if regular
                      else {"timestamps": t * 1e-3})
            nwbfile.add_acquisition(pynwb.TimeSeries(
                name=_series_name(pop.name, var), data=data, unit=si, conversion=factor,
                description=f"{var} of the {pop.N} neurons of population {pop.name!r} (columns), "
                            f"in {unit} times the conversion",
                comments=json.dumps({"population": pop.name, "variable": var, "pyn_unit": unit}),
                **timing))
    with atomic_output(path, overwrite=overwrite, what="NWB file") as tmp:
        with pynwb.NWBHDF5IO(tmp, "w") as io:
            io.write(nwbfile)
    log.info("wrote %s (NWB: %d units)", path, sum(p.N for p in results))
    return os.fspath(path)


def read_nwb_spikes(path, *, dt=None):
    """The units table of an NWB file as a :class:`~pyn_core.Results`.

    Units are grouped by their ``population`` column (without one, all are
    population ``"units"``) and numbered by their ``index`` column (else in
    the table's order).  Spike times come back in ms.  ``x``, ``y``, ``z``
    columns become ``res.meta["positions"]``.  ``dt`` (ms) defaults to the
    one pyN wrote in the file's notes, else 0.1; the duration is pyN's, else
    the last spike time.

    Raises
    ------
    PynValueError
        Not an NWB file, or a file without a units table.
    MissingPackage
        pynwb is not installed.
    """
    from ..results import PopulationResults, Results
    pynwb = _pynwb()
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise PynValueError(f"cannot read {path!r}: no such file")
    try:
        io = pynwb.NWBHDF5IO(path, "r")
        nwbfile = io.read()
    except Exception as exc:     # noqa: BLE001 - h5py/hdmf raise many kinds for a file that is not NWB
        raise PynValueError(f"cannot read {path!r} as an NWB file: {' '.join(str(exc).split())[:200]}") from None
    with io:
        units = nwbfile.units
        if units is None or len(units) == 0:
            raise PynValueError(f"{path!r} has no units table (no spikes to read)")
        cols = set(units.colnames)
        n = len(units)
        pops = [str(p) for p in units["population"][:]] if "population" in cols else ["units"] * n
        idx = np.asarray(units["index"][:], dtype=np.int64) if "index" in cols else None
        xyz = (np.stack([np.asarray(units[c][:], dtype=float) for c in "xyz"], axis=1)
               if {"x", "y", "z"} <= cols else None)
        flat = np.asarray(units["spike_times"].target.data[:], dtype=float) * 1e3     # all units' spikes
        bounds = np.concatenate([[0], np.asarray(units["spike_times"].data[:], dtype=np.int64)])
        trains = [flat[bounds[i]:bounds[i + 1]] for i in range(n)]
        try:
            notes = json.loads(nwbfile.notes) if nwbfile.notes else {}
        except (TypeError, ValueError):
            notes = {}
        notes = notes if isinstance(notes, dict) and "pyn_version" in notes else {}
        name = notes.get("experiment_name") or nwbfile.session_description or os.path.basename(path)
    order = list(dict.fromkeys(pops))
    out, positions = {}, {}
    for p in order:
        rows = [i for i in range(n) if pops[i] == p]
        index = idx[rows] if idx is not None else np.arange(len(rows))
        if index.size and (index.min() < 0 or np.unique(index).size != index.size):
            raise PynValueError(f"{path!r}: the units of population {p!r} have repeated or negative indices")
        size = int(index.max()) + 1 if index.size else 0
        times = np.concatenate([trains[r] for r in rows]) if rows else np.zeros(0)
        ids = np.concatenate([np.full(trains[r].size, index[k], dtype=np.int64) for k, r in enumerate(rows)]) \
            if rows else np.zeros(0, np.int64)
        o = np.lexsort((ids, times))
        out[p] = PopulationResults(p, size, times[o], ids[o], {})
        if xyz is not None:
            pos = np.full((size, 3), np.nan)
            pos[index] = xyz[rows]
            if np.isfinite(pos).all():
                positions[p] = pos
    if dt is None:
        dt = float(notes.get("dt_ms") or DEFAULT_DT)
    last = max((float(p.spike_times[-1]) for p in out.values() if p.spike_times.size), default=0.0)
    duration = float(notes.get("duration_ms", last))
    meta = {"source": {"format": "nwb", "path": os.path.abspath(path)}}
    if notes.get("spec") is not None:
        meta["spec"] = notes["spec"]
    if positions:
        meta["positions"] = positions
    seed = notes.get("seed")
    return Results(name, dt, seed if isinstance(seed, int) else None, np.zeros(0), out, duration, meta=meta)
