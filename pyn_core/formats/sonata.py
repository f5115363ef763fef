"""SONATA spike files (HDF5 through h5py): written from a run, read from pyN, NEST or BMTK.

A SONATA spike file holds, for each population, the spike times and the
node id (the neuron's index in its population) of every spike::

    /spikes/<population>/timestamps   float64, attribute units = "ms"
    /spikes/<population>/node_ids     uint64
    /spikes/<population>              attribute sorting = "by_time", "by_id" or "none"

:func:`to_sonata` writes every population of a run, those without spikes
included (empty datasets), and adds what a spike file has no place for as
attributes other readers ignore: ``n_nodes`` on each population group (its
size, so a population's silent tail neurons are not lost) and ``pyn_dt_ms``,
``pyn_seed``, ``pyn_duration_ms`` and ``pyn_version`` on the file.

:func:`read_sonata_spikes` reads that layout as NEST (``record_to="sonata"``
and ``SonataNetwork``) and BMTK write it, with times in ``ms`` or ``s``, the
sorting attribute as text or as an HDF5 enum, and also BMTK's older layout
(``/spikes/gids`` and ``/spikes/timestamps``, one population).  A population's
size comes from its ``n_nodes`` attribute, a SONATA nodes file
(``nodes=``), or else its largest node id + 1.  A nodes file also gives the
neurons' positions (its ``x``, ``y``, ``z`` columns).

Examples
--------
>>> import os, tempfile
>>> from pyn_core import Network, LIFPopulation, read_sonata_spikes
>>> net = Network([LIFPopulation("exc", N=4), LIFPopulation("quiet", N=2)])
>>> _ = net.add_current("exc", 20.0)
>>> res = net.build(dt=0.1, seed=0, backend="numpy").run(30.0)
>>> path = res.to_sonata(os.path.join(tempfile.mkdtemp(), "spikes.h5"))
>>> back = read_sonata_spikes(path)
>>> back.names, back["exc"].N, back["quiet"].spike_times.size
(['exc', 'quiet'], 4, 0)
>>> bool((back["exc"].spike_times == res["exc"].spike_times).all())
True
"""
from __future__ import annotations

import logging
import os

import numpy as np

from ..errors import PynTypeError, PynValueError
from ._files import atomic_output, need

log = logging.getLogger(__name__)

SORTINGS = ("by_time", "by_id", "none")
#: Attributes SONATA's report files carry at their root.
MAGIC = 0x0A7A
#: The time step assumed for files that do not state one (NEST's default resolution).
DEFAULT_DT = 0.1
_UNITS = {"ms": 1.0, "msec": 1.0, "millisecond": 1.0, "milliseconds": 1.0,
          "s": 1e3, "sec": 1e3, "second": 1e3, "seconds": 1e3}


def _h5py():
    return need("h5py", "the SONATA format")


# -- writing -------------------------------------------------------------------------------------

def to_sonata(results, path, *, overwrite: bool = False, sorting: str = "by_time") -> str:
    """Write the spikes of ``results`` as a SONATA spike file; returns its path.

    Parameters
    ----------
    results : Results
        The run (every population is written, those without spikes as empty datasets).
    path : str or path
        The ``.h5`` file to write (atomically: under a temporary name, then renamed).
    overwrite : bool
        Replace ``path`` if it exists (otherwise that is refused).
    sorting : {"by_time", "by_id", "none"}
        Order of the spikes in each population: by time (ties by node id), by
        node id (then time), or as pyN recorded them (which is by time).

    Raises
    ------
    PynValueError
        ``path`` exists (without ``overwrite``) or cannot be written, or ``sorting`` is unknown.
    MissingPackage
        h5py is not installed (``pip install 'pyn_core[sonata]'``).
    """
    if sorting not in SORTINGS:
        raise PynValueError(f"sorting must be one of {', '.join(SORTINGS)}, got {sorting!r}")
    h5py = _h5py()
    from .. import __version__
    with atomic_output(path, overwrite=overwrite, what="SONATA spike file") as tmp:
        with h5py.File(tmp, "w", track_order=True) as f:
            f.attrs["magic"] = np.uint32(MAGIC)
            f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
            f.attrs["pyn_version"] = __version__
            f.attrs["pyn_dt_ms"] = float(results.dt)
            f.attrs["pyn_duration_ms"] = float(results.duration)
            if results.seed is not None:
                f.attrs["pyn_seed"] = int(results.seed)
            root = f.create_group("spikes", track_order=True)      # populations in the run's order
            for pop in results:
                times = np.asarray(pop.spike_times, dtype=np.float64)
                ids = np.asarray(pop.spike_ids, dtype=np.int64)
                if sorting == "by_time":
                    order = np.lexsort((ids, times))
                elif sorting == "by_id":
                    order = np.lexsort((times, ids))
                else:
                    order = np.arange(times.size)
                g = root.create_group(pop.name)
                g.attrs["sorting"] = sorting
                g.attrs["n_nodes"] = np.uint64(pop.N)
                ts = g.create_dataset("timestamps", data=times[order], dtype=np.float64)
                ts.attrs["units"] = "ms"
                g.create_dataset("node_ids", data=ids[order].astype(np.uint64), dtype=np.uint64)
    log.info("wrote %s (SONATA spikes of %d populations)", path, len(results.populations))
    return os.fspath(path)


# -- reading -------------------------------------------------------------------------------------

def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def _sorting(group, h5py) -> str:
    """The ``sorting`` attribute of ``group`` as text (it may be an HDF5 enum); ``"unknown"`` if absent."""
    if "sorting" not in group.attrs:
        return "unknown"
    raw = group.attrs["sorting"]
    mapping = h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype)
    if mapping:
        names = {v: k for k, v in mapping.items()}
        return names.get(int(np.asarray(raw)), "unknown")
    return _text(raw)


def _times(ds, where: str) -> np.ndarray:
    units = _text(ds.attrs["units"]).strip().lower() if "units" in ds.attrs else "ms"
    if units not in _UNITS:
        raise PynValueError(f"{where}: timestamps in units {units!r}; allowed: ms or s")
    t = np.asarray(ds[()], dtype=np.float64).reshape(-1) * _UNITS[units]
    if t.size and not np.all(np.isfinite(t)):
        raise PynValueError(f"{where}: timestamps must be finite numbers")
    return t


def _node_ids(ds, where: str) -> np.ndarray:
    raw = np.asarray(ds[()]).reshape(-1)
    if raw.size and raw.dtype.kind not in "iu":
        if raw.dtype.kind != "f" or not np.all(np.isfinite(raw) & (raw == np.round(raw))):
            raise PynValueError(f"{where}: node ids must be whole numbers, got dtype {raw.dtype}")
    ids = raw.astype(np.int64)
    if ids.size and (ids.min() < 0 or (raw.dtype.kind == "u" and raw.max() > np.iinfo(np.int64).max)):
        raise PynValueError(f"{where}: node ids must be >= 0")
    return ids


def read_sonata_nodes(path) -> dict:
    """Sizes and positions of the populations of a SONATA nodes file.

    Returns ``{population: {"N": int, "positions": (N, 3) array or None}}``;
    positions are the ``x``, ``y``, ``z`` columns of the population's node
    groups (taken in node order through ``node_group_id`` and
    ``node_group_index``), None where a population has none.
    """
    h5py = _h5py()
    path = os.fspath(path)
    out = {}
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise PynValueError(f"cannot read the SONATA nodes file {path!r}: not an HDF5 file ({exc})") from None
    with f:
        if "nodes" not in f or not isinstance(f["nodes"], h5py.Group):
            raise PynValueError(f"{path!r} is not a SONATA nodes file: it has no /nodes group")
        for name, g in f["nodes"].items():
            if not isinstance(g, h5py.Group):
                continue
            where = f"{path}:/nodes/{name}"
            key = next((k for k in ("node_type_id", "node_id", "node_group_id") if k in g), None)
            if key is None:
                raise PynValueError(f"{where}: no node_type_id dataset (how many nodes it has is unknown)")
            n = int(g[key].shape[0])
            xyz = None
            if "node_group_id" in g and "node_group_index" in g:
                gid = np.asarray(g["node_group_id"][()], dtype=np.int64)
                gidx = np.asarray(g["node_group_index"][()], dtype=np.int64)
                groups = {k: v for k, v in g.items() if isinstance(v, h5py.Group) and k.isdigit()}
                if groups and all(all(c in v for c in "xyz") for v in groups.values()):
                    xyz = np.full((n, 3), np.nan)
                    for k, v in groups.items():
                        sel = gid == int(k)
                        cols = np.stack([np.asarray(v[c][()], dtype=float) for c in "xyz"], axis=1)
                        if sel.any() and gidx[sel].max() >= cols.shape[0]:
                            raise PynValueError(f"{where}/{k}: node_group_index beyond its x, y, z columns")
                        xyz[sel] = cols[gidx[sel]]
            out[name] = {"N": n, "positions": xyz}
    return out


def read_sonata_spikes(path, *, nodes=None, populations=None, dt=None):
    """A SONATA spike file (pyN's, NEST's or BMTK's) as a :class:`~pyn_core.Results`.

    Parameters
    ----------
    path : str or path
        The spike file.
    nodes : str or path, optional
        A SONATA nodes file giving each population's size and the neurons' positions.
    populations : list of str, optional
        Read only these populations (default: all, in the file's order).
    dt : float, optional
        Time step of the run in ms (default: the file's ``pyn_dt_ms``, else 0.1, NEST's default).

    Returns
    -------
    Results
        ``res[pop].spike_times`` (ms, sorted by time) and ``spike_ids`` (node ids);
        ``res.duration`` is the file's ``pyn_duration_ms`` or its last spike
        time; ``res.meta["positions"]`` holds the nodes file's positions;
        ``res.meta["source"]`` says where the spikes came from.

    Raises
    ------
    PynValueError
        Not an HDF5 file, no ``/spikes`` group, datasets of different lengths,
        non-finite times, negative node ids, unknown time units, or a requested
        population the file lacks.
    """
    from ..results import PopulationResults, Results
    h5py = _h5py()
    path = os.fspath(path)
    if populations is not None and (isinstance(populations, str) or not all(isinstance(p, str) for p in populations)):
        raise PynTypeError(f"populations must be a list of population names, got {populations!r}")
    node_info = read_sonata_nodes(nodes) if nodes is not None else {}
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise PynValueError(f"cannot read {path!r} as a SONATA spike file: not an HDF5 file ({exc})") from None
    pops, sortings = {}, {}
    with f:
        root = f.get("spikes")
        if not isinstance(root, h5py.Group):
            raise PynValueError(f"{path!r} is not a SONATA spike file: it has no /spikes group")
        groups = [(k, v) for k, v in root.items() if isinstance(v, h5py.Group)]
        if not groups and "timestamps" in root and ("gids" in root or "node_ids" in root):
            groups = [("default", root)]        # the older single-population layout
        present = [name for name, _ in groups]
        for name, g in groups:
            if populations is not None and name not in populations:
                continue
            where = f"{path}:/spikes/{name}" if g is not root else f"{path}:/spikes"
            id_key = "node_ids" if "node_ids" in g else "gids"
            if "timestamps" not in g or id_key not in g:
                raise PynValueError(f"{where}: needs the datasets timestamps and node_ids")
            t = _times(g["timestamps"], where + "/timestamps")
            ids = _node_ids(g[id_key], f"{where}/{id_key}")
            if t.size != ids.size:
                raise PynValueError(f"{where}: {t.size} timestamps but {ids.size} node ids")
            order = np.lexsort((ids, t))
            if "n_nodes" in g.attrs:
                n = int(np.asarray(g.attrs["n_nodes"]))
            elif name in node_info:
                n = node_info[name]["N"]
            else:
                n = int(ids.max()) + 1 if ids.size else 0
            if ids.size and ids.max() >= n:
                raise PynValueError(f"{where}: node id {int(ids.max())} beyond the population's {n} nodes")
            pops[name] = PopulationResults(name, n, t[order], ids[order], {})
            sortings[name] = _sorting(g, h5py)
        attrs = {k: f.attrs[k] for k in ("pyn_dt_ms", "pyn_duration_ms", "pyn_seed") if k in f.attrs}
    if populations is not None:
        missing = [p for p in populations if p not in pops]
        if missing:
            raise PynValueError(f"{path!r} has no spikes of population(s) {missing}; it has: "
                                f"{', '.join(present) or 'none'}")
    if not pops:
        raise PynValueError(f"{path!r} holds no spike populations")
    if dt is None:
        dt = float(attrs.get("pyn_dt_ms", DEFAULT_DT))
    last = max((float(p.spike_times[-1]) for p in pops.values() if p.spike_times.size), default=0.0)
    duration = float(attrs.get("pyn_duration_ms", last))
    seed = int(attrs["pyn_seed"]) if "pyn_seed" in attrs else None
    positions = {k: v["positions"] for k, v in node_info.items()
                 if k in pops and v["positions"] is not None and v["N"] == pops[k].N}
    meta = {"source": {"format": "sonata", "path": os.path.abspath(path), "sorting": sortings}}
    if positions:
        meta["positions"] = positions
    name = os.path.splitext(os.path.basename(path))[0]
    return Results(name, dt, seed, np.zeros(0), pops, duration, meta=meta)
