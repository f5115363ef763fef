"""Spikes pyN did not simulate, played in 3D: a SONATA spike file written the way NEST writes it.

The scene writes two files into a temporary folder, as a NEST user's
simulation would leave them, then imports them with the add-on
(*Play Spikes from File*, here ``actions.import_spikes``):

* ``spikes.h5``: ``/spikes/E`` and ``/spikes/I`` with ``timestamps`` (ms) and
  ``node_ids``, spikes in thread order (``sorting = "none"``), as NEST's
  ``sonata`` recording backend writes them;
* ``nodes.h5``: a SONATA nodes file placing 800 excitatory and 200 inhibitory
  neurons in a flat cortical sheet (x, y within 30 units, a thin layer in z).

The spikes are synthetic but follow what a sheet of cortex does: twice (from
40 and from 240 ms) a wave of short bursts travels across the sheet in x at
0.6 units per ms, on top of irregular background firing (E 4 Hz, I 12 Hz;
inhibitory neurons follow the wave 2 ms late), about 15 Hz in E and 25 Hz in
I on average.  Drawn with numpy from a fixed seed, so the
scene is the same every time.  One frame shows 1 ms; frames 1-401.

Render a frame headlessly (needs ``pip install bpy h5py``)::

    python scripts/render_scene.py scenes/imported_spikes.py --frame 150 --out imported.png
"""
from __future__ import annotations

import importlib
import os
import sys
import tempfile

import numpy as np

FRAME_START, FRAME_END = 1, 401
T_MS = 400.0
SIZES = {"E": 800, "I": 200}


def _actions():
    """The add-on's actions module: from this repository, else the installed extension."""
    try:
        from blender_addon import actions
    except ImportError:
        name = next((n for n in sys.modules if n.endswith(".pyn_blender")), None)
        if name is None:
            raise ImportError("enable the pyN add-on (or run from the pyN repository)") from None
        actions = importlib.import_module(name + ".actions")
    return actions


def sheet_positions(rng) -> dict:
    """x, y uniform over a 60 x 40 sheet, z a thin layer (I slightly deeper)."""
    out = {}
    for name, n in SIZES.items():
        xy = rng.uniform([-30.0, -20.0], [30.0, 20.0], size=(n, 2))
        z = rng.normal(0.0 if name == "E" else -1.0, 0.6, size=n)
        out[name] = np.c_[xy, z]
    return out


def wave_spikes(xyz: dict, rng) -> dict:
    """{population: (times ms, node ids)}: background Poisson firing plus a wave travelling in x."""
    out = {}
    speed = 0.6                     # units per ms
    for name, pos in xyz.items():
        n = len(pos)
        base = 4.0 if name == "E" else 12.0
        count = rng.poisson(base * 1e-3 * T_MS * n)
        t = [rng.uniform(0.0, T_MS, count)]
        ids = [rng.integers(0, n, count)]
        for start in (40.0, 240.0):             # two waves, from the left edge
            arrive = start + (pos[:, 0] + 30.0) / speed + (2.0 if name == "I" else 0.0)
            fire = rng.random(n) < (0.9 if name == "I" else 0.7)
            for burst in range(3):              # a short burst as the wave passes
                jitter = rng.normal(0.0, 1.5, n) + 4.0 * burst
                t.append((arrive + jitter)[fire])
                ids.append(np.flatnonzero(fire))
        t, ids = np.concatenate(t), np.concatenate(ids)
        keep = (t >= 0.0) & (t < T_MS)
        order = rng.permutation(int(keep.sum()))        # thread order, as NEST leaves it
        out[name] = (np.round(t[keep], 1)[order], ids[keep][order])
    return out


def write_nest_files(folder: str, seed: int = 3) -> tuple:
    """Write ``spikes.h5`` and ``nodes.h5`` into ``folder`` as NEST would; returns their paths."""
    import h5py

    rng = np.random.default_rng(seed)
    xyz = sheet_positions(rng)
    spikes = wave_spikes(xyz, rng)
    spikes_path, nodes_path = os.path.join(folder, "spikes.h5"), os.path.join(folder, "nodes.h5")
    with h5py.File(spikes_path, "w") as f:
        for name, (t, ids) in spikes.items():
            g = f.create_group(f"spikes/{name}")
            g.attrs["sorting"] = "none"
            g.create_dataset("timestamps", data=t.astype(np.float64)).attrs["units"] = "ms"
            g.create_dataset("node_ids", data=ids.astype(np.uint64))
    with h5py.File(nodes_path, "w") as f:
        for name, pos in xyz.items():
            g = f.create_group(f"nodes/{name}")
            n = len(pos)
            g.create_dataset("node_type_id", data=np.zeros(n, dtype=np.int64))
            g.create_dataset("node_group_id", data=np.zeros(n, dtype=np.int64))
            g.create_dataset("node_group_index", data=np.arange(n, dtype=np.int64))
            for c, col in zip("xyz", pos.T):
                g.create_dataset(f"0/{c}", data=col)
    return spikes_path, nodes_path


def build_scene(scene) -> None:
    """Write the NEST-style files, import them into ``scene`` and set the look."""
    folder = tempfile.mkdtemp(prefix="pyn-nest-spikes-")
    spikes_path, nodes_path = write_nest_files(folder)
    scene.render.fps = 30
    scene.render.resolution_x, scene.render.resolution_y = 800, 500
    pyn = scene.pyn
    pyn.ms_per_frame = 1.0
    pyn.start_frame = FRAME_START
    pyn.glow_decay_frames = 6.0
    pyn.neuron_radius = 0.45
    actions = _actions()
    actions.import_spikes(scene, spikes_path, positions=nodes_path)
    for name, color in (("E", (0.15, 0.55, 1.0)), ("I", (1.0, 0.3, 0.1))):
        for pop in pyn.populations:
            if pop.name == name:
                pop.color = color
    actions.build(scene)           # the colours; the bake stays (same network)
    scene.frame_start, scene.frame_end = FRAME_START, FRAME_END
    scene.frame_set(FRAME_START)


if __name__ == "__main__":
    import bpy

    build_scene(bpy.context.scene)
