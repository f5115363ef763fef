"""Another simulator's spikes (or pyN's own run) played in Blender exactly like a bake.

:func:`blender_addon.actions.import_spikes` reads a spike file with :func:`pyn_core.read_spikes` (a
SONATA spike file as NEST or BMTK write it, an NWB file's units table, or a
saved pyN run's folder) and turns it into what the add-on already plays: the
scene's network becomes one spike-source population per population of the
file, of its size and at the neurons' positions, built as any network (its
objects, colours and look), and the file's spikes become the scene's bake, so
scrubbing, colouring by spikes, rendering and movies work as for a network
pyN simulated.  The scene's frame range is set to cover the run.

Positions come from, in this order: a CSV file (``population,index,x,y,z``
with that header, one row per neuron, every neuron of a population it names)
or a SONATA nodes file (its ``x``, ``y``, ``z``), what the spike file holds (SONATA nodes, NWB ``x``/``y``/``z`` columns, a pyN run's
network), or a layout of the core (``grid`` by default), one population
beside the other.

Spike times are put on the file's time step (``round(t / dt)``: dt is the
file's own, 0.1 ms where it states none).  The spike sources hold no spikes of
their own: pressing Bake again would replace the imported spikes with silence,
so :func:`blender_addon.actions.bake` refuses that while the imported bake is
in place.
"""
from __future__ import annotations

import csv
import logging
import math
import os

import numpy as np
import pyn_core
from pyn_core import PynValueError
from pyn_core.formats import positions_of
from pyn_core.space import layout_positions

from . import driver
from .runtime import Bake, SpikeRecord, population_offsets

log = logging.getLogger(__name__)

#: The note a bake made by :func:`import_spikes` starts with.
IMPORTED = "imported from "
#: Gap between populations placed by a layout, in units of the neurons' spacing.
GAP = 3.0


def read_positions_csv(path, sizes: dict) -> dict:
    """``{population: (N, 3)}`` from a CSV file with the header ``population,index,x,y,z``.

    Every population the file names must be given whole (each index once,
    ``0..N-1``); populations it does not name are left out.

    Raises
    ------
    PynValueError
        A missing file or header, an unknown population, an index out of range
        or repeated, a value that is not a finite number, or a population
        given only in part; the message names the row.
    """
    path = os.fspath(path)
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise PynValueError(f"positions file {path!r}: {exc.strerror or exc}") from None
    out: dict = {}
    seen: dict = {}
    with f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader, [])]
        if header != ["population", "index", "x", "y", "z"]:
            raise PynValueError(f"positions file {path!r}: the first row must be population,index,x,y,z; "
                                f"got {','.join(header) or 'an empty file'}")
        for row_no, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            where = f"positions file {os.path.basename(path)!r}, row {row_no}"
            if len(row) != 5:
                raise PynValueError(f"{where}: 5 values (population,index,x,y,z) expected, got {len(row)}")
            name = row[0].strip()
            if name not in sizes:
                raise PynValueError(f"{where}: unknown population {name!r}; the spikes have: "
                                    f"{', '.join(sizes)}")
            try:
                index = int(row[1])
                xyz = [float(v) for v in row[2:]]
            except ValueError:
                raise PynValueError(f"{where}: index must be a whole number and x, y, z numbers; "
                                    f"got {','.join(row[1:])}") from None
            if not 0 <= index < sizes[name]:
                raise PynValueError(f"{where}: index {index} out of range for population {name!r} "
                                    f"(0..{sizes[name] - 1})")
            if not all(math.isfinite(v) for v in xyz):
                raise PynValueError(f"{where}: x, y, z must be finite numbers; got {','.join(row[2:])}")
            pos = out.setdefault(name, np.full((sizes[name], 3), np.nan))
            if index in seen.setdefault(name, set()):
                raise PynValueError(f"{where}: neuron {index} of population {name!r} is given twice")
            seen[name].add(index)
            pos[index] = xyz
    for name, got in seen.items():
        if len(got) != sizes[name]:
            missing = sorted(set(range(sizes[name])) - got)
            raise PynValueError(f"positions file {path!r}: population {name!r} has {sizes[name]} neurons but "
                                f"the file gives {len(got)} (first missing index: {missing[0]})")
    return out


def read_nodes_positions(path, sizes: dict) -> dict:
    """``{population: (N, 3)}`` from a SONATA nodes file's ``x``, ``y``, ``z`` (populations the spikes have).

    Raises
    ------
    PynValueError
        The file is not a nodes file, or a population's size differs from the spikes'.
    """
    from pyn_core.formats.sonata import read_sonata_nodes
    out = {}
    for name, info in read_sonata_nodes(path).items():
        if name not in sizes:
            continue
        if info["N"] < sizes[name]:
            raise PynValueError(f"nodes file {os.fspath(path)!r}: population {name!r} has {info['N']} nodes but "
                                f"the spikes name node {sizes[name] - 1}")
        if info["positions"] is not None and info["N"] == sizes[name]:
            out[name] = info["positions"]
    return out


def _placed(results, known: dict, layout: str) -> dict:
    """Positions of every population: ``known`` ones as given, the others by ``layout`` side by side."""
    if layout not in ("grid", "sphere", "box"):
        raise PynValueError(f"layout must be one of grid, sphere, box; got {layout!r}")
    out = {}
    x = 0.0
    for pop in results:
        if pop.N == 0:
            out[pop.name] = np.zeros((0, 3))
            continue
        if pop.name in known:
            out[pop.name] = np.asarray(known[pop.name], dtype=float)
            continue
        xyz = layout_positions({"layout": layout}, pop.N)
        lo, hi = xyz.min(axis=0), xyz.max(axis=0)
        xyz = xyz - np.array([lo[0] - x, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2])
        x += (hi[0] - lo[0]) + GAP
        out[pop.name] = xyz
    return out


def spikes_spec(results, positions: dict, name: str) -> dict:
    """The network spec that stands for an imported run: one silent spike source per population."""
    pops = []
    for pop in results:
        pops.append({"name": pop.name, "model": "spike_source", "N": int(pop.N),
                     "positions": {"layout": "explicit", "xyz": np.round(positions[pop.name], 6).tolist()},
                     "spike_times": [[] for _ in range(pop.N)]})
    return {"format": "pyn-network", "version": 1, "name": name, "populations": pops,
            "settings": {"dt": float(results.dt)}}


def bake_of(results, spec_hash: str, note: str) -> Bake:
    """The spikes of ``results`` as a bake (times put on the run's step)."""
    names = [p.name for p in results]
    sizes = [int(p.N) for p in results]
    offsets = population_offsets(sizes)
    steps, gids = [], []
    for i, pop in enumerate(results):
        steps.append(np.rint(np.asarray(pop.spike_times, dtype=float) / results.dt).astype(np.int64))
        gids.append(np.asarray(pop.spike_ids, dtype=np.int64) + offsets[i])
    steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
    gids = np.concatenate(gids) if gids else np.zeros(0, np.int64)
    if steps.size and (steps.min() < 0 or steps.max() >= 2 ** 31):
        raise PynValueError("the spikes' times must lie within 0 .. 2**31 steps of the run's dt")
    order = np.lexsort((gids, steps))
    record = SpikeRecord(steps[order], gids[order], float(results.dt), int(offsets[-1]))
    last = float(steps.max()) * results.dt if steps.size else 0.0
    return Bake(record, spec_hash, names, sizes, max(float(results.duration), last), None, note)


def prepare(path, positions=None, layout: str = "grid", view=None):
    """What :func:`blender_addon.actions.import_spikes` needs of a spike file: ``(results, spec, note)``.

    ``results`` is what :func:`pyn_core.read_spikes` read, ``spec`` the network
    of placeholder spike sources at the neurons' positions (with ``view`` as
    its view settings), ``note`` the bake's note.
    """
    path = os.fspath(path)
    nodes = positions if positions and os.fspath(positions).lower().endswith((".h5", ".hdf5", ".sonata")) else None
    sonata = not os.path.isdir(path) and not path.lower().endswith(".nwb")
    if nodes is not None and sonata:      # the nodes file gives the populations' sizes too
        results = pyn_core.read_sonata_spikes(path, nodes=nodes)
    else:
        results = pyn_core.read_spikes(path)
    if not results.populations or not any(p.N for p in results):
        raise PynValueError(f"{path!r} holds no neurons to show")
    known = positions_of(results)
    sizes = {p.name: p.N for p in results}
    if nodes is not None and not sonata:
        known.update(read_nodes_positions(nodes, sizes))
    elif positions and nodes is None:
        known.update(read_positions_csv(positions, sizes))
    xyz = _placed(results, known, layout)
    fmt = results.meta.get("source", {}).get("format", "pyn") if isinstance(results.meta, dict) else "pyn"
    name = os.path.basename(os.path.normpath(path))
    spec = spikes_spec(results, xyz, name)
    if view is not None:
        spec["view"] = dict(view, color_by="spikes")     # spike files hold no membrane potentials
    return results, spec, f"{IMPORTED}{name} ({fmt})"


def imported_bake(scene):
    """The scene's bake if it holds imported spikes for the built network, else None."""
    bake = driver.usable_bake(scene)
    return bake if bake is not None and bake.note.startswith(IMPORTED) else None
