"""The reentrant thalamocortical circuit of the original pyN README, in 3D.

100 tonic-spiking thalamic neurons (a flat 10 x 10 sheet, blue) and 50
phasic-bursting cortical neurons (the core's ``sphere`` layout: a ball above
the sheet, filled evenly; orange), connected both
ways as in the README (``connect(thalamus, cortex)`` with the default
sparse-random synapses and 0.25 ± 0.05 ms delays; ``connect(cortex, thalamus,
delay=2.25, std=0.25)``) and driven by its two current windows (20 on neuron 0
from 10 to 200 ms, 30 on neurons 0-2 from 50 to 300 ms), dt = 0.25 ms, STDP on.
One frame shows 1 ms: the README's 600 ms run is frames 1-601.

Render a frame headlessly (needs ``pip install bpy``)::

    python scripts/render_scene.py scenes/thalamocortical.py --frame 40 --out thalamocortical.png

In Blender with the pyN add-on enabled: open this file in the Text Editor and
press Run Script.
"""
from __future__ import annotations

import importlib
import sys

import numpy as np

FRAME_START, FRAME_END = 1, 601


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


def network_spec() -> dict:
    """The README's network as a pyN spec, with positions, colours and view settings."""
    from pyn_core import IzhikevichPopulation, Network

    ij = np.stack(np.meshgrid(np.arange(10), np.arange(10), indexing="ij"), -1).reshape(-1, 2) - 4.5
    sheet = np.c_[ij * 1.0, np.full(100, -3.0)]
    A = IzhikevichPopulation(name="thalamus", N=100, a=0.02, b=0.2, c=-65, d=6, v0=-70, u0=None,
                             positions=sheet, color=[0.08, 0.45, 1.0])
    B = IzhikevichPopulation(name="cortex", N=50, a=0.02, b=0.25, c=-55, d=0.05, v0=-70, u0=None,
                             positions={"layout": "sphere", "radius": 3.0, "center": [0.0, 0.0, 3.0]},
                             color=[1.0, 0.35, 0.05])
    brain = Network(populations=[A, B], name="Reentrant Thalamocortical Circuit")
    brain.connect(pre="thalamus", post="cortex")
    brain.connect(pre="cortex", post="thalamus", delay=2.25, std=0.25)
    brain.add_current("thalamus", amplitude=20, start=10, stop=200, neurons=[0])
    brain.add_current("thalamus", amplitude=30, start=50, stop=300, neurons=[0, 1, 2])
    spec = brain.to_spec()
    spec["settings"].update(dt=0.25, seed=1, stdp=True)
    spec["view"] = {"ms_per_frame": 1.0, "start_frame": FRAME_START, "glow_decay_frames": 4.0, "neuron_radius": 0.28,
                    "show_connections": True, "max_connection_curves": 2000}
    return spec


def build_scene(scene) -> None:
    """Fill ``scene`` with the circuit: panel, neurons, connections, camera and look."""
    scene.frame_start, scene.frame_end = FRAME_START, FRAME_END
    scene.render.fps = 30
    scene.render.resolution_x, scene.render.resolution_y = 800, 500
    _actions().load_spec(scene, network_spec())
    scene.frame_set(FRAME_START)


if __name__ == "__main__":
    import bpy

    build_scene(bpy.context.scene)
