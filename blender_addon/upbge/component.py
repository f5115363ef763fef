"""A UPBGE component that runs a pyN network live and lights its neurons every logic tick.

Add it to any object of a UPBGE scene that also holds the population objects
made by the pyN add-on's Build button (``pyN.<view id>.<population>``, see
:mod:`blender_addon.naming`).  At game start it loads a network spec, builds
the core's simulation, and then, every logic tick, advances the simulation by
``ms per tick`` milliseconds and writes each neuron's glow into the
``activity`` attribute of its population object (the same numbers as in
Blender, from :mod:`blender_addon.glow`), and, when the spec's view colours by
voltage, each neuron's voltage level into the ``voltage`` attribute.

The component is a thin adapter: simulation, glow and spec reading are the
add-on's ``bpy``-free modules and the ``pyn_core`` package.  See
``docs/blender.md`` for the step-by-step use in UPBGE.
"""
from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from typing import Any

import bge
import numpy as np
import numpy.typing as npt
from pyn_core import PynValueError

from .. import naming
from ..glow import GlowParams
from ..runtime import NetworkRuntime
from ..spec_convert import panel_from_spec, view_settings

log = logging.getLogger(__name__)

ATTRIBUTE = "activity"
VOLTAGE = "voltage"


def _bpy() -> Any:
    """The ``bpy`` module (UPBGE runs it alongside ``bge``), or None outside Blender."""
    try:
        import bpy
    except ImportError:
        return None
    return bpy


def load_spec(source: str, blend_dir: str = "") -> dict[str, Any]:
    """A network spec from a Text datablock name, a JSON file path or the scene's pyN panel.

    Parameters
    ----------
    source : str
        Name of a Text datablock of the .blend holding the spec; else a path to
        a JSON file (``//`` means the folder of the .blend); empty: the network
        of the scene's pyN panel (needs the pyN add-on installed in UPBGE).
    blend_dir : str
        Folder of the .blend, for ``//`` paths.
    """
    bpy = _bpy()
    source = source.strip()
    if not source:
        if bpy is None or not hasattr(bpy.context.scene, "pyn"):
            raise PynValueError("no spec given and no pyN panel in this scene: set the component's Spec")
        from ..scene_data import scene_spec
        spec: dict[str, Any] = scene_spec(bpy.context.scene)
        return spec
    text = bpy.data.texts.get(source) if bpy is not None else None
    if text is not None:
        spec = json.loads(text.as_string())
    else:
        path = os.path.join(blend_dir, source[2:]) if source.startswith("//") else source
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    panel_from_spec(spec)  # checks format and version
    return spec


def write_activity(game_object: Any, values: npt.NDArray[np.float32], attribute: str = ATTRIBUTE,
                   object_color: bool = False) -> bool:
    """Light one population object: its mesh's ``activity`` attribute, else its colour.

    Returns True if the per-neuron attribute was written.  With another
    ``attribute`` (``voltage``) nothing falls back to the object colour.
    ``object_color`` sets the object colour to the mean glow even where the
    attribute was written (for UPBGE releases that do not re-evaluate
    Geometry Nodes at runtime, where the attribute changes nothing on
    screen); the add-on's material adds the colour's red channel to every
    neuron's glow.
    """
    blender_object = getattr(game_object, "blenderObject", None)
    mesh = getattr(blender_object, "data", None)
    attributes = getattr(mesh, "attributes", None)
    if mesh is not None and attributes is not None:
        attr = attributes.get(attribute)
        if attr is not None and len(attr.data) == len(values):
            attr.data.foreach_set("value", values)
            mesh.update_tag()
            if object_color and attribute == ATTRIBUTE:
                level = float(values.mean()) if len(values) else 0.0
                game_object.color = [level, level, level, 1.0]
            return True
    if attribute == ATTRIBUTE:
        level = float(values.mean()) if len(values) else 0.0
        game_object.color = [level, level, level, 1.0]
    return False


def find_object(objects: Any, population: str, prefix: str = "") -> Any:
    """The game object showing ``population``.

    With a ``prefix``, the object named ``prefix + population``.  Without, the
    name the pyN add-on gave it in this scene (``Scene.pyn.view_id``), else the
    only object named ``pyN.<view id>.<population>`` (or ``pyN.<population>``,
    from older add-on versions).
    """
    if prefix:
        return objects.get(prefix + population)
    bpy = _bpy()
    scene: Any = getattr(getattr(bpy, "context", None), "scene", None)
    view_id = str(getattr(getattr(scene, "pyn", None), "view_id", "") or "")
    if view_id:
        return objects.get(naming.object_name(view_id, population))
    found = [ob for ob in objects if naming.view_id_of(str(getattr(ob, "name", "")), population) is not None]
    if len(found) > 1:
        log.warning("pyN: %d objects show population %r; using %s (set the Object prefix to choose)",
                    len(found), population, found[0].name)
    return found[0] if found else None


class PynNetwork(bge.types.KX_PythonComponent):
    """Runs a pyN network and lights the neurons of its population objects.

    Arguments (shown in the component's panel):

    ``Spec``
        Text datablock name or JSON file (``//net.json`` beside the .blend);
        empty for the scene's pyN panel.
    ``ms per tick``
        Simulated milliseconds per logic tick.
    ``Glow decay (ticks)``
        Ticks for a flash to fade to 37 %.
    ``Object prefix``
        Population ``p`` is shown by the object named ``prefix + p``; empty:
        the names the pyN add-on gave (``pyN.<view id>.<p>``).
    ``Object colour glow``
        Also light each population object as a whole by its mean glow
        (through the object colour, which the add-on's material reads): for
        UPBGE releases that do not re-evaluate Geometry Nodes at runtime.
    """

    args = OrderedDict([
        ("Spec", "//network.json"),
        ("ms per tick", 1.0),
        ("Glow decay (ticks)", 3.0),
        ("Object prefix", ""),
        ("Object colour glow", False),
    ])

    def start(self, args: dict[str, Any]) -> None:
        """Load the spec, build the simulation and find the population objects."""
        bpy = _bpy()
        blend_dir = os.path.dirname(bpy.data.filepath) if bpy is not None and bpy.data.filepath else os.getcwd()
        spec = load_spec(str(args.get("Spec", "")), blend_dir)
        self.ms_per_tick = float(args.get("ms per tick", 1.0))
        self.params = GlowParams(decay_frames=float(args.get("Glow decay (ticks)", 3.0)),
                                 ms_per_frame=self.ms_per_tick)
        self.runtime = NetworkRuntime(spec)
        self.t_target = 0.0
        view = view_settings(spec)
        self.by_voltage = view["color_by"] == "voltage"
        self.voltage_range: tuple[Any, Any] = (None, None)
        if not view["voltage_auto"]:
            self.voltage_range = (float(view["voltage_min"]), float(view["voltage_max"]))
        self.object_color = bool(args.get("Object colour glow", False))
        prefix = str(args.get("Object prefix", ""))
        objects = self.object.scene.objects
        self.targets = [(name, find_object(objects, name, prefix)) for name in self.runtime.names]
        missing = [name for name, ob in self.targets if ob is None]
        if missing:
            log.warning("pyN: no game object for population(s) %s; build the network in Blender first",
                        ", ".join(missing))
        log.info("pyN: running %s (%d neurons) at %g ms per tick", spec.get("name"), self.runtime.n,
                 self.ms_per_tick)

    def update(self) -> None:
        """Advance one tick's worth of simulated time and light the neurons."""
        self.t_target += self.ms_per_tick
        rt = self.runtime
        rt.advance_to(self.t_target)
        levels = rt.voltage_level(*self.voltage_range) if self.by_voltage else None
        for i, (name, game_object) in enumerate(self.targets):
            if game_object is None:
                continue
            write_activity(game_object, rt.activity(name, self.params), object_color=self.object_color)
            if levels is not None:
                write_activity(game_object, levels[rt.offsets[i]:rt.offsets[i + 1]], VOLTAGE)
