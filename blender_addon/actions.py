"""What the panel's buttons do, as plain functions of a scene.

Operators only check that they can run and call these; scripts, the example
scenes and the tests call them directly.  Every error a user can cause is a
``pyn_core.PynError`` (the add-on's own checks, :func:`.spec_convert.check_panel`,
and the core's), with a message fit to show the user: it names the item and
the field and says what to write instead.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np
import pyn_core

from . import driver, view
from . import spec_convert as sc
from .scene_data import refresh_synapse_params, scene_spec, set_scene_spec, write_fields
from .runtime import NetworkRuntime, bake_network, frame_to_ms
from . import spike_import
from .spike_import import IMPORTED

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# editing the network
# ---------------------------------------------------------------------------

def _unique(name: str, taken) -> str:
    taken = set(taken)
    if name not in taken:
        return name
    i = 1
    while f"{name}.{i:03d}" in taken:
        i += 1
    return f"{name}.{i:03d}"


def _append(owner, items: str, active: str, data: dict):
    """Add an item with ``data`` to ``owner.<items>`` and make it the active one."""
    collection = getattr(owner, items)
    item = collection.add()
    write_fields(item, data)
    if "synapse_params" in data:  # a row for each parameter of the synapse kind
        refresh_synapse_params(item)
    setattr(owner, active, len(collection) - 1)
    return item


def _clamp_active(owner, items: str, active: str, index: int | None = None) -> None:
    """Keep ``owner.<active>`` a valid index of ``owner.<items>`` (near ``index`` if given)."""
    want = getattr(owner, active) if index is None else index
    setattr(owner, active, max(0, min(want, len(getattr(owner, items)) - 1)))


def _active_population_name(pyn) -> str:
    return pyn.populations[pyn.active_population].name if len(pyn.populations) else ""


def add_population(scene, name: str = "pop", **fields):
    """Append a population with default settings (overridden by ``fields``)."""
    pyn = scene.pyn
    data = sc.default_population(len(pyn.populations))
    data["name"] = _unique(name, (p.name for p in pyn.populations))
    data.update(fields)
    return _append(pyn, "populations", "active_population", data)


def remove_population(scene, index: int) -> tuple[int, int]:
    """Remove a population and the connections and stimuli that use it.

    Returns
    -------
    (int, int)
        Number of connections and of stimuli removed with it.
    """
    pyn = scene.pyn
    name = pyn.populations[index].name
    n_proj = _remove_where(pyn.projections, lambda p: name in (p.pre, p.post))
    n_stim = _remove_where(pyn.stimuli, lambda s: s.target == name)
    pyn.populations.remove(index)
    _clamp_active(pyn, "populations", "active_population", index)
    _clamp_active(pyn, "projections", "active_projection")
    _clamp_active(pyn, "stimuli", "active_stimulus")
    return n_proj, n_stim


def add_projection(scene, pre: str | None = None, post: str | None = None, **fields):
    """Append a connection (from and to the active population unless given)."""
    pyn = scene.pyn
    default = _active_population_name(pyn)
    data = sc.default_projection(pre if pre is not None else default, post if post is not None else default)
    data.update(fields)
    return _append(pyn, "projections", "active_projection", data)


def remove_projection(scene, index: int) -> None:
    """Remove a connection."""
    scene.pyn.projections.remove(index)
    _clamp_active(scene.pyn, "projections", "active_projection", index)


#: A new Poisson drive runs at 100 Hz per neuron with a weight that makes the target model's default
#: neurons fire (at dt = 0.1 ms, 10-100 ms: Izhikevich about 33 Hz, LIF 27 Hz, AdEx 18 Hz); other models
#: (Hodgkin-Huxley, whose inputs diverge at dt = 0.1 ms before they drive it) keep weight 1.
NEW_POISSON = {"rate": 100.0, "weight": {"izhikevich": 5.0, "lif": 40.0, "adex": 0.02}}


def add_stimulus(scene, target: str | None = None, kind: str = "current", **fields):
    """Append a stimulus (to the active population unless given)."""
    pyn = scene.pyn
    data = sc.default_stimulus(target if target is not None else _active_population_name(pyn), kind)
    if kind == "poisson":
        model = next((p.model for p in pyn.populations if p.name == data["target"]), None)
        data["rate"] = NEW_POISSON["rate"]
        data["weight"] = NEW_POISSON["weight"].get(model, data["weight"])
    data.update(fields)
    return _append(pyn, "stimuli", "active_stimulus", data)


def remove_stimulus(scene, index: int) -> None:
    """Remove a stimulus."""
    scene.pyn.stimuli.remove(index)
    _clamp_active(scene.pyn, "stimuli", "active_stimulus", index)


def add_param(scene, name: str | None = None, value: float | None = None) -> None:
    """Give the active population an explicit parameter value.

    Without a name, the first of the model's parameters the population does
    not set yet, at its default value (the model's first one when it sets
    them all).
    """
    pop = scene.pyn.populations[scene.pyn.active_population]
    if name is None:
        taken = {q.name for q in pop.params}
        try:
            model = pyn_core.get_model(pop.model)
            names = list(model.params)
        except pyn_core.PynError:
            model, names = None, ["a"]
        name = next((n for n in names if n not in taken), names[0])
        if value is None and model is not None:
            default = model.params[name].default
            value = float(default) if isinstance(default, (int, float)) else 0.0
    value = 0.0 if value is None else value
    item = pop.params.add()
    item.name = name
    item.value = value
    pop.active_param = len(pop.params) - 1


def remove_param(scene, index: int) -> None:
    """Remove an explicit parameter value of the active population."""
    pop = scene.pyn.populations[scene.pyn.active_population]
    pop.params.remove(index)
    _clamp_active(pop, "params", "active_param", index)


def _remove_where(collection, predicate) -> int:
    doomed = [i for i, item in enumerate(collection) if predicate(item)]
    for i in reversed(doomed):
        collection.remove(i)
    return len(doomed)


# ---------------------------------------------------------------------------
# spec files
# ---------------------------------------------------------------------------

def load_spec(scene, spec: dict, build_view: bool = True) -> None:
    """Fill the panel from a network spec (checked by the core first) and optionally build it."""
    pyn_core.Network.from_spec(spec)  # raises with the core's message if invalid
    set_scene_spec(scene, spec)
    if build_view:
        build(scene)


def import_spec(scene, path, build_view: bool = True) -> dict:
    """Read a network spec (JSON) into the panel."""
    spec = sc.read_spec_file(path)
    load_spec(scene, spec, build_view)
    return spec


def export_spec(scene, path) -> dict:
    """Write the panel's network as a spec (JSON), after the core has checked it."""
    spec = scene_spec(scene)
    pyn_core.Network.from_spec(spec)
    sc.write_spec_file(spec, path)
    return spec


def import_spikes(scene, path, positions=None, layout: str = "grid"):
    """Play the spikes of a file (SONATA, NWB or a saved pyN run) in ``scene``, like a bake.

    The panel's network becomes one placeholder spike source per population
    of the file at the neurons' positions (see :mod:`.spike_import`), built
    as any network; the file's spikes become the scene's bake, and the frame
    range covers the run.  The scene's look (time per frame, glow) is kept.

    Returns
    -------
    Bake
    """
    pyn = scene.pyn
    view_now = {k: getattr(pyn, k) for k in sc.VIEW_DEFAULTS if hasattr(pyn, k)}
    results, spec, note = spike_import.prepare(path, positions, layout, view_now)
    load_spec(scene, spec, build_view=True)
    bake = spike_import.bake_of(results, pyn.built_hash, note)
    scene.frame_start = int(pyn.start_frame)
    scene.frame_end = max(scene.frame_start + 1,
                          int(pyn.start_frame + math.ceil(bake.t_end / float(pyn.ms_per_frame) - 1e-9)))
    # the bake covers every frame of the range (after the run's last spike: none)
    bake.t_end = max(bake.t_end, (scene.frame_end - pyn.start_frame) * float(pyn.ms_per_frame))
    driver.store_bake(scene, bake)
    driver.update_scene(scene)
    log.info("imported %s: %d populations, %d spikes", path, len(bake.names), len(bake.record))
    return bake


# ---------------------------------------------------------------------------
# building, baking, playing
# ---------------------------------------------------------------------------

def connection_segments(rt: NetworkRuntime, max_curves: int, seed: int = 0) -> np.ndarray:
    """Start and end points of up to ``max_curves`` synapses, shape (M, 2, 3).

    The synapses are the core's, as built (``Simulation.get_weights``); when
    there are more than ``max_curves``, a random sample is drawn.
    """
    getter = getattr(rt.sim, "get_weights", None)
    if getter is None or max_curves <= 0:
        return np.zeros((0, 2, 3))
    segs = []
    for pr in rt.spec.get("projections", []):
        try:
            pre_ids, post_ids = getter(pr.get("name") or pr["pre"], None if pr.get("name") else pr["post"])[:2]
        except LookupError as exc:
            log.debug("no synapse list for %s->%s: %s", pr.get("pre"), pr.get("post"), exc)
            continue
        a = rt.positions(pr["pre"])[np.asarray(pre_ids, dtype=np.intp)]
        b = rt.positions(pr["post"])[np.asarray(post_ids, dtype=np.intp)]
        segs.append(np.stack([a, b], axis=1))
    if not segs:
        return np.zeros((0, 2, 3))
    out = np.concatenate(segs)
    if len(out) > max_curves:
        pick = np.random.default_rng(seed).choice(len(out), max_curves, replace=False)
        out = out[np.sort(pick)]
    return out


def build(scene, frame_camera: bool | None = None, progress=None) -> NetworkRuntime:
    """Build the panel's network: the core's network, one object per population, the look.

    Parameters
    ----------
    scene : bpy.types.Scene
    frame_camera : bool, optional
        Aim the pyN camera at the network.  By default this happens when the
        scene has no camera or uses the pyN camera.  The General template's
        Camera, Light and Cube are hidden from the render (not deleted; see
        :func:`.view.hide_template_objects`), and its Camera gives way to the
        pyN camera; a camera of your own stays the scene's camera.
    progress : callable, optional
        ``progress(fraction)`` with a number in [0, 1] while the core draws
        the connections (the Build button drives Blender's progress cursor).

    Returns
    -------
    NetworkRuntime
        The scene's simulation, at time 0.
    """
    pyn = scene.pyn
    if not len(pyn.populations):
        raise pyn_core.PynValueError("the network has no population: add one first")
    spec = scene_spec(scene)
    core_progress = None
    if progress is not None:
        def core_progress(stage, done, total):
            if total:
                progress(done / total)
    rt = NetworkRuntime(spec, progress=core_progress)
    view.ensure_view_id(scene)
    view.drop_foreign_collections(scene)
    hidden = view.hide_template_objects(scene)
    cam = scene.camera
    if cam is not None and cam.name == "Camera" and cam.hide_render and not view.is_own_camera(scene, cam):
        scene.camera = None     # the template's camera, hidden from the render: the add-on's own, framed
    if frame_camera is None:
        frame_camera = scene.camera is None or view.is_own_camera(scene, scene.camera)
    keep = {view.object_name(n, scene) for n in rt.names}
    for ob in view.population_objects(scene):
        if ob.name not in keep:
            view.remove_from_scene(scene, ob)
    colors = {p["name"]: p.get("color") or (1.0, 1.0, 1.0) for p in spec["populations"]}
    points = []
    for name, n in zip(rt.names, rt.sizes):
        xyz = rt.positions(name)
        points.append(xyz)
        view.population_object_build(
            scene, name, xyz, colors[name], radius=pyn.neuron_radius, as_points=n > pyn.point_cloud_above,
            glow=pyn.glow_strength, idle=pyn.base_strength, by_voltage=pyn.color_by == "voltage")
    if pyn.show_connections:
        view.build_connections(scene, connection_segments(rt, pyn.max_connection_curves, pyn.seed))
    else:
        view.build_connections(scene, np.zeros((0, 2, 3)))
    view.setup_look(scene, np.concatenate(points) if frame_camera else None)
    view.refresh_materials(scene)          # the colour map of the voltage colouring
    driver.install_runtime(scene, rt)
    driver.update_scene(scene)
    #: The General template's objects this build hid from the render (the Build button says so).
    rt.hidden_from_render = hidden
    log.info("built %s: %d populations, %d neurons", spec.get("name"), len(rt.names), rt.n)
    return rt


def reset(scene) -> None:
    """Restart the simulation from time 0 and show the current frame."""
    driver.stop_live(scene)
    driver.runtime(scene).reset()
    driver.update_scene(scene)


def bake(scene, progress=None):
    """Simulate from the start frame to the scene's end frame once and save every spike in the .blend.

    The membrane potential of every neuron at every frame is kept as well
    (float16) unless that is more than ``runtime.MAX_BAKE_VOLTAGES`` values.

    Parameters
    ----------
    progress : callable, optional
        ``progress(fraction)`` with a number in [0, 1].

    Returns
    -------
    Bake
    """
    pyn = scene.pyn
    imported = driver.usable_bake(scene)
    if imported is not None and imported.note.startswith(IMPORTED):
        raise pyn_core.PynValueError(f"the scene plays spikes {imported.note}; its neurons are placeholders that "
                                     "do not spike, so baking would replace those spikes with silence (clear "
                                     "the bake first to do so, or import the file again)")
    if scene.frame_end <= pyn.start_frame:
        raise pyn_core.PynValueError(f"nothing to bake: the scene ends at frame {scene.frame_end}, not after the "
                                     f"start frame {pyn.start_frame} (the frame showing time 0); set End after "
                                     "Start frame")
    if not pyn.built_hash:
        build(scene)
    rt = driver.runtime(scene)
    t_end = frame_to_ms(scene.frame_end, pyn.start_frame, pyn.ms_per_frame)
    result = bake_network(rt.spec, t_end, progress=progress, runtime=rt, sample_ms=pyn.ms_per_frame)
    driver.store_bake(scene, result)
    driver.update_scene(scene)
    return result


def clear_bake(scene) -> bool:
    """Delete the bake; frames are simulated again."""
    found = driver.clear_bake(scene)
    if scene.pyn.built_hash:
        driver.update_scene(scene)
    return found


#: Seconds for which the panel reuses its "changed since build" check (it reads the whole panel).
STATUS_MAX_AGE = 1.0


def status(scene) -> dict:
    """What the panel shows about the network, the built one and the bake.

    ``problem`` is the message Build would report for the panel as it is
    (empty when the add-on's checks find nothing; the core checks more when
    it builds).
    """
    pyn = scene.pyn
    out = {"built": bool(pyn.built_hash), "changed": False, "problem": "", "bake": None, "t": None}
    if len(pyn.populations):
        key, now = int(scene.session_uid), time.monotonic()
        seen = driver.CACHE.changed.get(key)
        if seen is not None and seen[0] == pyn.built_hash and now - seen[1] < STATUS_MAX_AGE:
            out["changed"], out["problem"] = seen[2], seen[3]
        else:
            try:
                spec = scene_spec(scene)
                out["changed"] = bool(pyn.built_hash) and sc.spec_hash(spec) != pyn.built_hash
            except pyn_core.PynError as exc:
                out["changed"], out["problem"] = bool(pyn.built_hash), str(exc)
            driver.CACHE.changed[key] = (pyn.built_hash, now, out["changed"], out["problem"])
    bake_ = driver.stored_bake(scene)
    if bake_ is not None:
        out["bake"] = {"spikes": len(bake_.record), "t_end": bake_.t_end,
                       "valid": bake_.spec_hash == pyn.built_hash, "voltage": bake_.voltage is not None,
                       "note": bake_.note}
    rt = driver.CACHE.runtimes.get(int(scene.session_uid))
    if rt is not None:
        out["t"] = rt.t
    return out

