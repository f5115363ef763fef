"""The 20 firing patterns of Izhikevich (2004), side by side and labelled.

One neuron per pattern (its preset: a, b, c, d, initial state and equation
variant), each driven by the current of its published protocol (Fig. 1 of
"Which model to use for cortical spiking neurons?" and its script), laid out
5 x 4 and watched through an orthographic camera.  One frame shows 1 ms; the
longest protocol lasts 400 ms (frames 1-401).  A pattern's current stops at the
end of its own protocol.

The network has one integration step, dt = 0.2 ms, for all 20 neurons; the
published script used 0.1-0.5 ms depending on the pattern.  Forward Euler makes
two patterns depend on that step: at 0.2 ms *bistability* is not switched off
by its second pulse and *inhibition-induced bursting* keeps bursting after
250 ms (they need 0.25 and 0.5 ms, where other patterns fail instead).

Ramps are given as runs of constant current (a new window whenever the ramp
has moved by 0.05), since a network spec holds constant current windows.

Render a frame headlessly (needs ``pip install bpy``)::

    python scripts/render_scene.py scenes/izhikevich_gallery.py --frame 60 --out gallery.png
"""
from __future__ import annotations

import importlib
import sys

import numpy as np

FRAME_START, FRAME_END = 1, 401
DT = 0.2
COLUMNS = 5
SPACING = 4.0
#: Largest change of a ramp's current inside one constant window.
RAMP_TOLERANCE = 0.05

#: Letters and titles of Fig. 1 of Izhikevich (2004).
TITLES = {
    "tonic_spiking": "(A) tonic spiking", "phasic_spiking": "(B) phasic spiking",
    "tonic_bursting": "(C) tonic bursting", "phasic_bursting": "(D) phasic bursting",
    "mixed_mode": "(E) mixed mode", "spike_frequency_adaptation": "(F) spike freq. adapt.",
    "class1_excitable": "(G) Class 1 excitable", "class2_excitable": "(H) Class 2 excitable",
    "spike_latency": "(I) spike latency", "subthreshold_oscillations": "(J) subthreshold osc.",
    "resonator": "(K) resonator", "integrator": "(L) integrator", "rebound_spike": "(M) rebound spike",
    "rebound_burst": "(N) rebound burst", "threshold_variability": "(O) thresh. variability",
    "bistability": "(P) bistability", "depolarizing_after_potential": "(Q) DAP",
    "accommodation": "(R) accommodation", "inhibition_induced_spiking": "(S) inh.-induced spiking",
    "inhibition_induced_bursting": "(T) inh.-induced bursting",
}


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


def current_windows(current, duration: float, dt: float, tolerance: float = RAMP_TOLERANCE) -> list:
    """Constant current windows ``(start, stop, amplitude)`` following a protocol.

    ``current`` maps an array of step start times (ms) to the injected current.
    Consecutive steps share a window while the current stays within
    ``tolerance`` of the window's first value (exact for steps and pulses);
    a window's amplitude is the mean over its steps.  Windows cover whole steps:
    ``start`` and ``stop`` (inclusive) are step start times.

    >>> current_windows(lambda t: 5.0 * (t > 1.0), 3.0, 0.5)
    [(1.5, 2.5, 5.0)]
    """
    t = np.arange(int(round(duration / dt))) * dt
    values = np.asarray(np.broadcast_to(current(t), t.shape), dtype=float)
    out = []
    k = 0
    while k < t.size:
        j = k
        while j + 1 < t.size and abs(values[j + 1] - values[k]) <= tolerance \
                and (values[k] != 0.0) == (values[j + 1] != 0.0):
            j += 1
        amplitude = float(values[k:j + 1].mean())
        if amplitude != 0.0:
            out.append((round(k * dt, 6), round(j * dt, 6), round(amplitude, 6)))
        k = j + 1
    return out


def network_spec() -> dict:
    """The gallery network: 20 single neurons, their protocols, positions and colours."""
    import pyn_core
    from pyn_core.models.izhikevich import PROTOCOLS

    names = pyn_core.izhikevich_presets()
    rows = int(np.ceil(len(names) / COLUMNS))
    pops, net_stimuli = [], []
    for i, name in enumerate(names):
        row, col = divmod(i, COLUMNS)
        x = (col - (COLUMNS - 1) / 2) * SPACING
        z = ((rows - 1) / 2 - row) * SPACING
        hue = i / len(names)
        pops.append(pyn_core.IzhikevichPopulation(
            name, N=1, preset=name, positions={"layout": "grid", "spacing": 1.0, "center": [x, 0.0, z]},
            color=_hue_to_rgb(hue)))
        _dt, duration, current = PROTOCOLS[name]
        net_stimuli += [(name, a, b, v) for a, b, v in current_windows(current, duration, DT)]
    net = pyn_core.Network(pops, name="Izhikevich (2004) gallery")
    for name, a, b, v in net_stimuli:
        net.add_current(name, amplitude=v, start=a, stop=b)
    spec = net.to_spec()
    spec["settings"].update(dt=DT, seed=0, stdp=False)
    spec["view"] = {"ms_per_frame": 1.0, "start_frame": FRAME_START, "glow_decay_frames": 4.0,
                    "neuron_radius": 1.0,
                    "glow_strength": 3.0, "base_strength": 0.04}
    return spec


def _hue_to_rgb(h: float) -> list:
    """A saturated colour of hue ``h`` in [0, 1) (linear RGB)."""
    import colorsys
    r, g, b = colorsys.hsv_to_rgb(h, 0.85, 1.0)
    return [round(r ** 2.2, 4), round(g ** 2.2, 4), round(b ** 2.2, 4)]


def add_labels(scene, spec: dict) -> None:
    """A text label under each neuron."""
    import bpy

    mat = bpy.data.materials.get("pyN.label") or bpy.data.materials.new("pyN.label")
    if mat.node_tree is None:
        mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = (0.0, 0.0, 0.0, 1.0)
        bsdf.inputs["Emission Color"].default_value = (1.0, 1.0, 1.0, 1.0)
        bsdf.inputs["Emission Strength"].default_value = 0.8
    coll = bpy.data.collections.get("pyN labels") or bpy.data.collections.new("pyN labels")
    if coll.name not in scene.collection.children:
        scene.collection.children.link(coll)
    for pop in spec["populations"]:
        name = f"pyN.label.{pop['name']}"
        old = bpy.data.objects.get(name)
        if old is not None:
            bpy.data.objects.remove(old, do_unlink=True)
        curve = bpy.data.curves.new(name, "FONT")
        curve.body = TITLES.get(pop["name"], pop["name"])
        curve.align_x = "CENTER"
        curve.size = 0.36
        curve.materials.append(mat)
        ob = bpy.data.objects.new(name, curve)
        x, _, z = pop["positions"]["center"]
        ob.location = (x, 0.0, z - 1.75)
        ob.rotation_euler = (np.pi / 2, 0.0, 0.0)  # face the camera (looking along +y)
        coll.objects.link(ob)


def frame_front(scene) -> None:
    """An orthographic camera looking at the 5 x 4 grid from the front."""
    import bpy

    cam = scene.camera or bpy.data.objects.get("pyN.camera")
    cam.data.type = "ORTHO"
    cam.data.ortho_scale = COLUMNS * SPACING + 0.5
    cam.location = (0.0, -40.0, -0.3)
    cam.rotation_mode = "XYZ"
    cam.rotation_euler = (np.pi / 2, 0.0, 0.0)
    scene.render.resolution_x, scene.render.resolution_y = 1000, 860


def build_scene(scene) -> None:
    """Fill ``scene`` with the gallery: panel, neurons, labels, camera and look."""
    scene.frame_start, scene.frame_end = FRAME_START, FRAME_END
    scene.render.fps = 30
    spec = network_spec()
    _actions().load_spec(scene, spec)
    add_labels(scene, spec)
    frame_front(scene)
    scene.frame_set(FRAME_START)


if __name__ == "__main__":
    import bpy

    build_scene(bpy.context.scene)
