"""Frame -> simulated time -> activity: the frame-change handler, bakes and Live mode.

At every frame change :func:`update_scene` maps the frame to simulated time
(``(frame - start_frame) * ms_per_frame``, where ``start_frame`` is the panel's
frame of time 0, independent of the scene's render range), takes the glow of every neuron from
the bake when one covers that time, or else advances the scene's
:class:`~.runtime.NetworkRuntime` (restarting it from 0 when the frame went
backwards), and writes the activities into the population objects.

A running simulation cannot be saved in a .blend, so runtimes live in a small
per-session cache keyed by the scene's ``session_uid``; it is emptied when a
file is loaded, and a runtime is rebuilt from ``Scene.pyn`` when first needed.
Bakes are saved with the .blend as an ID property of the scene
(:data:`BAKE_KEY`, int32 arrays as bytes).

With the view colouring by voltage, each neuron's membrane potential is
written as well: from the running simulation (``Simulation.state``), or from
the bake when it keeps potentials (else the bake shows spikes only).
"""
from __future__ import annotations

import logging
import uuid

import bpy
import numpy as np
from bpy.app.handlers import persistent

from . import view
from .glow import GlowParams
from .scene_data import scene_spec, upgrade
from .runtime import Bake, NetworkRuntime, frame_to_ms

log = logging.getLogger(__name__)

#: ID property of the scene holding the bake (hidden from the UI by its leading underscore).
BAKE_KEY = "_pyn_bake"
#: Seconds between two Live-mode steps.
LIVE_INTERVAL = 1.0 / 30.0


class RuntimeCache:
    """Simulations and decoded bakes of the open scenes (not saved; rebuilt on demand)."""

    def __init__(self) -> None:
        self.runtimes: dict[int, NetworkRuntime] = {}
        self.bakes: dict[int, tuple[str, Bake]] = {}
        #: the panel's last check of its network: (built hash, time, changed since built, problem or "")
        self.changed: dict[int, tuple[str, float, bool, str]] = {}

    def clear(self) -> None:
        self.runtimes.clear()
        self.bakes.clear()
        self.changed.clear()


CACHE = RuntimeCache()


def _key(scene) -> int:
    return int(scene.session_uid)


def glow_params(scene) -> GlowParams:
    """Glow settings of a scene's panel."""
    pyn = scene.pyn
    return GlowParams(decay_frames=pyn.glow_decay_frames, ms_per_frame=pyn.ms_per_frame)


def scene_time(scene, frame: float | None = None) -> float:
    """Simulated time (ms) shown at ``frame`` (default: the current frame)."""
    if frame is None:
        frame = scene.frame_current_final
    return frame_to_ms(frame, scene.pyn.start_frame, scene.pyn.ms_per_frame)


def install_runtime(scene, rt: NetworkRuntime) -> None:
    """Make ``rt`` the scene's simulation and mark its network as built."""
    CACHE.runtimes[_key(scene)] = rt
    scene.pyn.built_hash = rt.hash


def runtime(scene) -> NetworkRuntime:
    """The scene's simulation, built from ``Scene.pyn`` if there is none yet."""
    rt = CACHE.runtimes.get(_key(scene))
    if rt is None:
        rt = NetworkRuntime(scene_spec(scene))
        if scene.pyn.built_hash and rt.hash != scene.pyn.built_hash:
            log.warning("the pyN network of scene %r changed since it was built; press Build", scene.name)
        CACHE.runtimes[_key(scene)] = rt
    return rt


def drop_runtime(scene) -> None:
    """Forget the scene's simulation (it is rebuilt when next needed)."""
    CACHE.runtimes.pop(_key(scene), None)


# ---------------------------------------------------------------------------
# bakes
# ---------------------------------------------------------------------------

def store_bake(scene, bake: Bake) -> None:
    """Save a bake in the scene (and so in the .blend)."""
    data = bake.to_storage()
    data["token"] = uuid.uuid4().hex
    data["start_frame"] = int(scene.pyn.start_frame)
    data["ms_per_frame"] = float(scene.pyn.ms_per_frame)
    scene[BAKE_KEY] = data
    CACHE.bakes[_key(scene)] = (data["token"], bake)


def clear_bake(scene) -> bool:
    """Delete the scene's bake; True if there was one."""
    CACHE.bakes.pop(_key(scene), None)
    if BAKE_KEY in scene.keys():
        del scene[BAKE_KEY]
        return True
    return False


def stored_bake(scene) -> Bake | None:
    """The scene's bake, decoded once per session."""
    raw = scene.get(BAKE_KEY)
    if raw is None:
        return None
    token = raw.get("token", "")
    cached = CACHE.bakes.get(_key(scene))
    if cached is not None and cached[0] == token:
        return cached[1]
    try:
        bake = Bake.from_storage(raw.to_dict() if hasattr(raw, "to_dict") else dict(raw))
    except (ValueError, KeyError) as exc:
        log.error("ignoring the pyN bake of scene %r: %s", scene.name, exc)
        return None
    CACHE.bakes[_key(scene)] = (token, bake)
    return bake


def usable_bake(scene, t_ms: float | None = None) -> Bake | None:
    """The bake if it belongs to the built network (and covers ``t_ms`` when given)."""
    bake = stored_bake(scene)
    if bake is None or bake.spec_hash != scene.pyn.built_hash:
        return None
    if t_ms is not None and not bake.covers(t_ms):
        return None
    return bake


# ---------------------------------------------------------------------------
# per frame
# ---------------------------------------------------------------------------

def voltage_range(scene):
    """The (rest, peak) the view maps onto the voltage colours: None for each model's own range."""
    pyn = scene.pyn
    if pyn.voltage_auto:
        return None, None
    return float(pyn.voltage_min), float(pyn.voltage_max)


def _write_all(scene, names, offsets, activity, voltage=None) -> None:
    for i, name in enumerate(names):
        a, b = offsets[i], offsets[i + 1]
        if not view.write_activity(name, activity[a:b], scene):
            log.debug("no object (or a stale one) for population %r; press Build", name)
        elif voltage is not None:
            view.write_voltage(name, voltage[a:b], scene)


def update_scene(scene, frame: float | None = None) -> str | None:
    """Show the activity of ``frame`` (default: the current frame).

    Returns
    -------
    str or None
        ``"bake"`` or ``"simulation"``: where the activity came from; None if
        the scene has no built network.
    """
    pyn = scene.pyn
    if not pyn.built_hash or not len(pyn.populations):
        return None
    params = glow_params(scene)
    t = scene_time(scene, frame)
    by_voltage = pyn.color_by == "voltage"
    bake = usable_bake(scene, t)
    if bake is not None:
        voltage = None
        if by_voltage:  # a bake without potentials shows spikes only
            voltage = bake.voltage_level(t, *voltage_range(scene))
            if voltage is None:
                voltage = np.zeros(int(bake.offsets[-1]), dtype=np.float32)
        _write_all(scene, bake.names, bake.offsets, bake.activity(t, params), voltage)
        return "bake"
    rt = runtime(scene)
    rt.advance_to(t)
    _write_all(scene, rt.names, rt.offsets, rt.glow.activity(rt.t, params),
               rt.voltage_level(*voltage_range(scene)) if by_voltage else None)
    return "simulation"


def refresh(scene) -> None:
    """Show the current frame again after a view setting changed, if that costs no simulation.

    Only from a bake that covers the frame, or from a running simulation that
    is already at the frame's time; otherwise the next frame change shows it.
    """
    pyn = getattr(scene, "pyn", None)
    if pyn is None or not pyn.built_hash or pyn.live:
        return
    t = scene_time(scene)
    rt = CACHE.runtimes.get(_key(scene))
    at_frame = rt is not None and abs(rt.t - t) <= 0.5 * rt.dt
    if usable_bake(scene, t) is None and not at_frame:
        return
    try:
        update_scene(scene)
    except Exception:  # a property update must never fail
        log.exception("pyN could not show frame %s of scene %r again", scene.frame_current, scene.name)


@persistent
def on_frame_change(scene, depsgraph=None) -> None:
    """``frame_change_pre`` handler: runs before the frame is evaluated or rendered."""
    if getattr(scene, "pyn", None) is None or scene.pyn.live or not scene.pyn.built_hash:
        return
    try:
        update_scene(scene)
    except Exception:  # a handler must never break playback or rendering
        log.exception("pyN could not update frame %s of scene %r", scene.frame_current, scene.name)


@persistent
def on_load_post(*_args) -> None:
    """After a file is loaded: forget the simulations of the previous file."""
    CACHE.clear()
    for scene in bpy.data.scenes:
        pyn = getattr(scene, "pyn", None)
        if pyn is not None:
            upgrade(pyn)
            pyn.live = False


# ---------------------------------------------------------------------------
# Live mode
# ---------------------------------------------------------------------------

def live_step(scene) -> float:
    """Advance the scene's simulation by one frame's worth of time and show it.

    Returns the simulated time reached (ms).
    """
    rt = runtime(scene)
    n_steps = max(1, int(round(scene.pyn.ms_per_frame / rt.dt)))
    rt.advance(n_steps * rt.dt)
    voltage = rt.voltage_level(*voltage_range(scene)) if scene.pyn.color_by == "voltage" else None
    _write_all(scene, rt.names, rt.offsets, rt.glow.activity(rt.t, glow_params(scene)), voltage)
    return rt.t


def _redraw() -> None:
    wm = bpy.context.window_manager
    for window in getattr(wm, "windows", []):
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


def _live_tick():
    live = [s for s in bpy.data.scenes if getattr(s, "pyn", None) is not None and s.pyn.live]
    for scene in live:
        try:
            live_step(scene)
        except Exception:
            log.exception("pyN Live mode stopped in scene %r", scene.name)
            scene.pyn.live = False
    if not live:
        return None
    _redraw()
    return LIVE_INTERVAL


def start_live(scene) -> None:
    """Keep advancing the scene's simulation while the interface runs (a timer)."""
    scene.pyn.live = True
    if not bpy.app.timers.is_registered(_live_tick):
        bpy.app.timers.register(_live_tick, first_interval=0.0)


def stop_live(scene) -> None:
    """Stop Live mode; the next frame change shows the timeline's time again."""
    scene.pyn.live = False


# ---------------------------------------------------------------------------
# registration
# ---------------------------------------------------------------------------

def _remove_handler(handlers, name: str) -> None:
    for fn in list(handlers):
        if getattr(fn, "__name__", "") == name and getattr(fn, "__module__", "") == __name__:
            handlers.remove(fn)


@persistent
def on_render_init(scene, *_args) -> None:
    """Before a render: the pyN camera fits the network at the render's size (see :func:`.view.fit_camera`)."""
    try:
        view.fit_camera(scene)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:   # a camera edited by hand: left as it is
        log.warning("pyN: could not fit the camera of scene %r: %s", scene.name, exc)


def register() -> None:
    _remove_handler(bpy.app.handlers.frame_change_pre, "on_frame_change")
    _remove_handler(bpy.app.handlers.load_post, "on_load_post")
    _remove_handler(bpy.app.handlers.render_init, "on_render_init")
    bpy.app.handlers.frame_change_pre.append(on_frame_change)
    bpy.app.handlers.load_post.append(on_load_post)
    bpy.app.handlers.render_init.append(on_render_init)


def unregister() -> None:
    _remove_handler(bpy.app.handlers.frame_change_pre, "on_frame_change")
    _remove_handler(bpy.app.handlers.load_post, "on_load_post")
    _remove_handler(bpy.app.handlers.render_init, "on_render_init")
    if bpy.app.timers.is_registered(_live_tick):
        bpy.app.timers.unregister(_live_tick)
    CACHE.clear()
