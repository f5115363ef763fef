"""The 20 firing patterns of Izhikevich (2004), side by side and labelled, exactly as published.

One neuron per pattern (its preset: a, b, c, d, initial state and equation
variant), each driven by the current of its published protocol (Fig. 1 of
"Which model to use for cortical spiking neurons?" and its script), laid out
5 x 4 and watched through an orthographic camera.  One frame shows 1 ms; the
longest protocol lasts 400 ms (frames 1-401).

The published script integrates each pattern with its own step (0.1-0.5 ms),
and with forward Euler some patterns only come out right at that step
(*bistability* is not switched off by its second pulse at 0.2 ms,
*inhibition-induced bursting* keeps bursting after 250 ms, ...).  A network
has one step, so the scene does not simulate the gallery as one network:
:func:`published_bake` simulates every pattern alone, from its own part of the
gallery's spec, at its published step and for its published duration, and
stores the spikes (and the membrane potential at every frame) as the scene's
bake.  Playback and renders therefore show exactly the published patterns; a
pattern's recording ends with its protocol, after which its neuron stays dark.

The spec keeps each protocol's current as a table (``{"times", "values"}``,
linear in between): the protocol sampled at its own step times, reduced to
the points where it bends, so the table gives the published current at every
one of those steps; a jump becomes a ramp over one published step.  The spec
itself runs at the network step :data:`DT`; simulating it (after *clear
bake*, or after changing the network) is an approximation of the gallery,
not the published patterns, and the panel's *Bake* button replaces the exact
bake with such a simulation.

Render a frame headlessly (needs ``pip install bpy``)::

    python scripts/render_scene.py scenes/izhikevich_gallery.py --frame 60 --out gallery.png
"""
from __future__ import annotations

import importlib
import sys

import numpy as np

FRAME_START, FRAME_END = 1, 401
#: Simulated milliseconds per frame.
MS_PER_FRAME = 1.0
#: Step of the gallery as one network (used only when frames are simulated, not baked).
DT = 0.2
#: Step of the bake's spike times: every published step (0.1, 0.2, 0.25, 0.5 ms) is a multiple of it.
BAKE_DT = 0.05
COLUMNS = 5
SPACING = 4.0
#: Note stored with the bake (shown in the panel).
BAKE_NOTE = "Each pattern simulated alone at its published dt"

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


def _addon(module: str):
    """A module of the add-on: from this repository, else the installed extension."""
    try:
        return importlib.import_module(f"blender_addon.{module}")
    except ImportError:
        name = next((n for n in sys.modules if n.endswith(".pyn_blender")), None)
        if name is None:
            raise ImportError("enable the pyN add-on (or run from the pyN repository)") from None
        return importlib.import_module(f"{name}.{module}")


def _protocol(name: str):
    from pyn_core.models.izhikevich import PROTOCOLS
    return PROTOCOLS[name]


def protocol_table(name: str) -> dict:
    """The current of pattern ``name``'s protocol as a table ``{"times": [...], "values": [...]}``.

    The protocol is sampled at its own step times ``k * dt`` (0 to its
    duration), and a sample is left out where it lies on the straight line
    through its neighbours, so that interpolating the table gives the
    published current at each of those steps (ramps exactly up to rounding).

    >>> protocol_table("tonic_spiking")
    {'times': [0.0, 10.0, 10.25, 100.0], 'values': [0.0, 0.0, 14.0, 14.0]}
    """
    dt, duration, current = _protocol(name)
    t = np.arange(int(round(duration / dt)) + 1) * dt
    values = np.asarray(np.broadcast_to(current(t), t.shape), dtype=float)
    keep = np.ones(t.size, dtype=bool)
    if t.size > 2:
        middle = values[:-2] + (values[2:] - values[:-2]) * (t[1:-1] - t[:-2]) / (t[2:] - t[:-2])
        scale = np.maximum(1.0, np.abs(values[1:-1]))
        keep[1:-1] = np.abs(values[1:-1] - middle) > 1e-9 * scale
    return {"times": [float(x) for x in t[keep]], "values": [float(x) for x in values[keep]]}


def network_spec() -> dict:
    """The gallery network: 20 single neurons, their protocols as tables, positions and colours."""
    import pyn_core

    names = pyn_core.izhikevich_presets()
    rows = int(np.ceil(len(names) / COLUMNS))
    pops = []
    for i, name in enumerate(names):
        row, col = divmod(i, COLUMNS)
        x = (col - (COLUMNS - 1) / 2) * SPACING
        z = ((rows - 1) / 2 - row) * SPACING
        pops.append(pyn_core.IzhikevichPopulation(
            name, N=1, preset=name, positions={"layout": "grid", "spacing": 1.0, "center": [x, 0.0, z]},
            color=_hue_to_rgb(i / len(names))))
    net = pyn_core.Network(pops, name="Izhikevich (2004) gallery")
    for name in names:
        net.add_current(name, amplitude=protocol_table(name), start=0.0, stop=_protocol(name)[1])
    spec = net.to_spec()
    spec["settings"].update(dt=DT, seed=0, stdp=False)
    spec["view"] = {"ms_per_frame": MS_PER_FRAME, "start_frame": FRAME_START, "glow_decay_frames": 4.0,
                    "neuron_radius": 1.0, "glow_strength": 3.0, "base_strength": 0.04}
    return spec


def pattern_spec(spec: dict, name: str) -> dict:
    """The part of the gallery spec that is pattern ``name``, at its published step."""
    out = {k: v for k, v in spec.items() if k not in ("populations", "stimuli", "projections", "settings")}
    out["populations"] = [p for p in spec["populations"] if p["name"] == name]
    out["stimuli"] = [s for s in spec["stimuli"] if s["target"] == name]
    out["projections"] = []
    out["settings"] = dict(spec.get("settings") or {}, dt=_protocol(name)[0])
    return out


def simulate_pattern(spec: dict, name: str):
    """Simulate pattern ``name`` alone at its published step for its published duration.

    Returns
    -------
    (spike_times, v, dt, duration, v_end)
        Spike times (ms), v at the start of every step, the step, the
        duration (ms) and v after the last step.
    """
    import pyn_core

    dt, duration, _ = _protocol(name)
    sim = pyn_core.Network.from_spec(pattern_spec(spec, name)).build(
        dt=dt, seed=0, backend="numpy", stdp=False, record={name: ["v"]})
    res = sim.run(duration)
    return (np.asarray(res[name].spike_times, dtype=float), np.asarray(res[name].v, dtype=float)[:, 0],
            dt, duration, float(sim.state(name, "v")[0]))


def published_bake(spec: dict, spec_hash: str):
    """The scene's bake: every pattern simulated alone with its published protocol and step.

    Spike times are kept on a 0.05 ms grid (:data:`BAKE_DT`; exact for every
    published step) and the membrane potential at every frame until the end
    of the pattern's protocol (NaN, shown as rest, after it).
    """
    glow, runtime, voltage = _addon("glow"), _addon("runtime"), _addon("voltage")
    import pyn_core

    net = pyn_core.Network.from_spec(spec)
    names = [p.name for p in net.populations]
    t_end = (FRAME_END - FRAME_START) * MS_PER_FRAME
    frames = np.arange(int(round(t_end / MS_PER_FRAME)) + 1) * MS_PER_FRAME
    v_samples = np.full((frames.size, len(names)), np.nan)
    times, gids = [], []
    for gid, name in enumerate(names):
        spikes, v, dt, duration, v_end = simulate_pattern(spec, name)
        times.append(spikes)
        gids.append(np.full(spikes.size, gid))
        trace = np.append(v, v_end)  # v after k steps, k = 0 .. duration / dt
        k = np.floor(frames / dt + 0.5).astype(int)
        inside = k < trace.size
        v_samples[inside, gid] = trace[k[inside]]
    t_all, g_all = np.concatenate(times), np.concatenate(gids)
    order = np.argsort(t_all, kind="stable")
    record = glow.SpikeRecord.from_times(t_all[order], g_all[order], BAKE_DT, len(names))
    lo, hi = voltage.network_ranges(net.populations)
    samples = voltage.VoltageSamples(v_samples, MS_PER_FRAME, lo, hi)
    return runtime.Bake(record, spec_hash, names, [1] * len(names), float(t_end), samples, BAKE_NOTE)


def _hue_to_rgb(h: float) -> list:
    """A saturated colour of hue ``h`` in [0, 1) (linear RGB)."""
    import colorsys
    r, g, b = colorsys.hsv_to_rgb(h, 0.85, 1.0)
    return [round(r ** 2.2, 4), round(g ** 2.2, 4), round(b ** 2.2, 4)]


def add_labels(scene, spec: dict) -> None:
    """A text label under each neuron, in the scene's pyN collection."""
    import bpy

    view = _addon("view")
    mat = bpy.data.materials.get("pyN.label") or bpy.data.materials.new("pyN.label")
    if mat.node_tree is None:
        mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = (0.0, 0.0, 0.0, 1.0)
        bsdf.inputs["Emission Color"].default_value = (1.0, 1.0, 1.0, 1.0)
        bsdf.inputs["Emission Strength"].default_value = 0.8
    coll = view.collection(scene)
    for pop in spec["populations"]:
        name = view.helper_name(f"label {pop['name']}", scene)
        old = bpy.data.objects.get(name)
        if old is not None:
            bpy.data.objects.remove(old, do_unlink=True)
        curve = bpy.data.curves.get(name) or bpy.data.curves.new(name, "FONT")
        curve.body = TITLES.get(pop["name"], pop["name"])
        curve.align_x = "CENTER"
        curve.size = 0.36
        if not curve.materials:
            curve.materials.append(mat)
        ob = bpy.data.objects.new(name, curve)
        x, _, z = pop["positions"]["center"]
        ob.location = (x, 0.0, z - 1.75)
        ob.rotation_euler = (np.pi / 2, 0.0, 0.0)  # face the camera (looking along +y)
        coll.objects.link(ob)


def frame_front(scene) -> None:
    """An orthographic camera looking at the 5 x 4 grid from the front, fitting it at any render size."""
    cam = scene.camera
    cam.data.type = "ORTHO"
    cam.data.sensor_fit = "AUTO"
    cam.location = (0.0, -40.0, -0.3)
    cam.rotation_mode = "XYZ"
    cam.rotation_euler = (np.pi / 2, 0.0, 0.0)
    scene.render.resolution_x, scene.render.resolution_y = 1000, 860
    # what must stay in view: the 5 x 4 neurons and the labels under them (20.5 x 17.6 units), so another
    # --size shows the whole gallery rather than cropping it
    view = _addon("view")
    view.keep_in_view(cam, (0.0, 0.0, -0.3), (COLUMNS * SPACING + 0.5) / 2, (COLUMNS * SPACING + 0.5) * 0.43,
                      margin=1.0)
    view.fit_camera(scene, cam)


def build_scene(scene) -> None:
    """Fill ``scene`` with the gallery: panel, neurons, labels, camera, look and the published bake."""
    scene.frame_start, scene.frame_end = FRAME_START, FRAME_END
    scene.render.fps = 30
    spec = network_spec()
    _addon("actions").load_spec(scene, spec)
    add_labels(scene, spec)
    frame_front(scene)
    held = _addon("scene_data").scene_spec(scene)  # the network as the panel holds it
    _addon("driver").store_bake(scene, published_bake(held, scene.pyn.built_hash))
    scene.frame_set(FRAME_START)


if __name__ == "__main__":
    import bpy

    build_scene(bpy.context.scene)
