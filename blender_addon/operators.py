"""Operators of the pyN panel: each checks it can run, then calls :mod:`.actions`.

Every error a user can cause is a ``pyn_core.PynError``; an operator reports
it (``{'ERROR'}``, with its message) instead of raising.  Anything else is a
fault of the add-on and keeps its traceback.
"""

import contextlib
import logging
import os

import bpy
import pyn_core
from bpy.props import EnumProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from . import actions, driver
from .properties import enum_items

log = logging.getLogger(__name__)


def _has_scene(context) -> bool:
    return context.scene is not None and getattr(context.scene, "pyn", None) is not None


def _has_populations(context) -> bool:
    return _has_scene(context) and len(context.scene.pyn.populations) > 0


@contextlib.contextmanager
def _progress_cursor(context):
    """Blender's progress cursor for long work: yields ``progress(fraction)``."""
    wm = context.window_manager
    wm.progress_begin(0, 100)
    try:
        yield lambda fraction: wm.progress_update(int(100 * fraction))
    finally:
        wm.progress_end()


class _PynOperator(bpy.types.Operator):
    """Common error handling: the action's message goes to ``self.report``."""

    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return _has_scene(context)

    def execute(self, context):
        try:
            message = self.run(context)
        except pyn_core.PynError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if message:
            self.report({"INFO"}, message)
        return {"FINISHED"}

    def run(self, context):  # pragma: no cover - overridden
        raise NotImplementedError


class PYN_OT_population_add(_PynOperator):
    """Add a population of neurons"""

    bl_idname = "pyn.population_add"
    bl_label = "Add Population"

    def run(self, context):
        actions.add_population(context.scene)


class PYN_OT_population_remove(_PynOperator):
    """Remove the population (and the connections and stimuli that use it)"""

    bl_idname = "pyn.population_remove"
    bl_label = "Remove Population"
    index: IntProperty(default=-1, options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        return _has_populations(context)

    def run(self, context):
        pyn = context.scene.pyn
        index = self.index if self.index >= 0 else pyn.active_population
        n_proj, n_stim = actions.remove_population(context.scene, index)
        if n_proj or n_stim:
            return f"also removed {n_proj} connection(s) and {n_stim} stimulus(i)"


class PYN_OT_projection_add(_PynOperator):
    """Add a connection between populations"""

    bl_idname = "pyn.projection_add"
    bl_label = "Add Connection"

    @classmethod
    def poll(cls, context):
        return _has_populations(context)

    def run(self, context):
        actions.add_projection(context.scene)


class PYN_OT_projection_remove(_PynOperator):
    """Remove the connection"""

    bl_idname = "pyn.projection_remove"
    bl_label = "Remove Connection"
    index: IntProperty(default=-1, options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        return _has_scene(context) and len(context.scene.pyn.projections) > 0

    def run(self, context):
        pyn = context.scene.pyn
        actions.remove_projection(context.scene, self.index if self.index >= 0 else pyn.active_projection)


class PYN_OT_stimulus_add(_PynOperator):
    """Add a stimulus: a current window or Poisson drive"""

    bl_idname = "pyn.stimulus_add"
    bl_label = "Add Stimulus"
    kind: EnumProperty(items=enum_items("stimulus"), default="current")

    @classmethod
    def poll(cls, context):
        return _has_populations(context)

    def run(self, context):
        actions.add_stimulus(context.scene, kind=self.kind)


class PYN_OT_stimulus_remove(_PynOperator):
    """Remove the stimulus"""

    bl_idname = "pyn.stimulus_remove"
    bl_label = "Remove Stimulus"
    index: IntProperty(default=-1, options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        return _has_scene(context) and len(context.scene.pyn.stimuli) > 0

    def run(self, context):
        pyn = context.scene.pyn
        actions.remove_stimulus(context.scene, self.index if self.index >= 0 else pyn.active_stimulus)


class PYN_OT_param_add(_PynOperator):
    """Set a parameter of the population explicitly (overrides the preset)"""

    bl_idname = "pyn.param_add"
    bl_label = "Add Parameter"
    name: StringProperty(default="", description="Parameter to set; empty: the next one of the model not set yet")

    @classmethod
    def poll(cls, context):
        return _has_populations(context)

    def run(self, context):
        actions.add_param(context.scene, self.name or None)


class PYN_OT_param_remove(_PynOperator):
    """Remove the explicit parameter value"""

    bl_idname = "pyn.param_remove"
    bl_label = "Remove Parameter"

    @classmethod
    def poll(cls, context):
        if not _has_populations(context):
            return False
        pyn = context.scene.pyn
        return len(pyn.populations[pyn.active_population].params) > 0

    def run(self, context):
        pyn = context.scene.pyn
        actions.remove_param(context.scene, pyn.populations[pyn.active_population].active_param)


class PYN_OT_build(_PynOperator):
    """Build the network and show every neuron in the 3D scene"""

    bl_idname = "pyn.build"
    bl_label = "Build"

    @classmethod
    def poll(cls, context):
        return _has_populations(context)

    def run(self, context):
        with _progress_cursor(context) as progress:
            rt = actions.build(context.scene, progress=progress)
        message = f"built {len(rt.names)} population(s), {rt.n} neurons"
        hidden = getattr(rt, "hidden_from_render", [])
        if hidden:
            message += (f"; hid the template's {', '.join(hidden)} from the render (the camera icon in the "
                        "Outliner shows them again)")
        return message


class PYN_OT_bake(_PynOperator):
    """Simulate the frame range once and save the spikes in the .blend"""

    bl_idname = "pyn.bake"
    bl_label = "Bake"

    @classmethod
    def poll(cls, context):
        return _has_populations(context) and not context.scene.pyn.live

    def run(self, context):
        with _progress_cursor(context) as progress:
            result = actions.bake(context.scene, progress=progress)
        return f"baked {len(result.record)} spikes over {result.t_end:g} ms"


class PYN_OT_bake_clear(_PynOperator):
    """Delete the bake: frames are simulated again"""

    bl_idname = "pyn.bake_clear"
    bl_label = "Clear Bake"

    @classmethod
    def poll(cls, context):
        return _has_scene(context) and driver.BAKE_KEY in context.scene.keys()

    def run(self, context):
        actions.clear_bake(context.scene)


class PYN_OT_reset(_PynOperator):
    """Restart the simulation from time 0"""

    bl_idname = "pyn.reset"
    bl_label = "Reset"

    @classmethod
    def poll(cls, context):
        return _has_populations(context) and bool(context.scene.pyn.built_hash)

    def run(self, context):
        actions.reset(context.scene)


class PYN_OT_live(_PynOperator):
    """Keep simulating and lighting neurons while you watch (without the timeline)"""

    bl_idname = "pyn.live"
    bl_label = "Live"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        return _has_populations(context) and bool(context.scene.pyn.built_hash)

    def run(self, context):
        if context.scene.pyn.live:
            driver.stop_live(context.scene)
        else:
            driver.start_live(context.scene)


class PYN_OT_import_spec(_PynOperator, ImportHelper):
    """Load a network spec (JSON) into the panel and build it"""

    bl_idname = "pyn.import_spec"
    bl_label = "Import Network"
    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def run(self, context):
        spec = actions.import_spec(context.scene, self.filepath)
        return f"loaded network {spec.get('name')!r}"


class PYN_OT_export_spec(_PynOperator, ExportHelper):
    """Save the panel's network as a spec (JSON)"""

    bl_idname = "pyn.export_spec"
    bl_label = "Export Network"
    bl_options = {"REGISTER"}
    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return _has_populations(context)

    def run(self, context):
        actions.export_spec(context.scene, self.filepath)
        return f"saved {self.filepath}"


class PYN_OT_import_spikes(_PynOperator, ImportHelper):
    """Play spikes from a file: SONATA (NEST, BMTK), NWB, or a saved pyN run's folder (pick its meta.json)"""

    bl_idname = "pyn.import_spikes"
    bl_label = "Import Spikes"
    filename_ext = ""
    filter_glob: StringProperty(default="*.h5;*.hdf5;*.sonata;*.nwb;meta.json", options={"HIDDEN"})
    positions: StringProperty(name="Positions", subtype="FILE_PATH", default="",
                              description="Optional positions of the neurons: a CSV file population,index,x,y,z "
                                          "or a SONATA nodes file (.h5) with x, y, z")
    layout: EnumProperty(name="Layout", default="grid",
                         items=[("grid", "Grid", "neurons on a cubic grid"),
                                ("sphere", "Sphere", "neurons filling a ball"),
                                ("box", "Box", "neurons at random in a box")],
                         description="Where neurons go whose positions neither the file nor the CSV gives")

    def run(self, context):
        path = self.filepath
        if os.path.basename(path) == "meta.json":       # a pyN run: its folder
            path = os.path.dirname(path)
        positions = bpy.path.abspath(self.positions) if self.positions else None
        bake = actions.import_spikes(context.scene, path, positions=positions, layout=self.layout)
        return f"{bake.note}: {len(bake.names)} populations, {len(bake.record)} spikes"


CLASSES = (
    PYN_OT_population_add, PYN_OT_population_remove, PYN_OT_projection_add, PYN_OT_projection_remove,
    PYN_OT_stimulus_add, PYN_OT_stimulus_remove, PYN_OT_param_add, PYN_OT_param_remove,
    PYN_OT_build, PYN_OT_bake, PYN_OT_bake_clear, PYN_OT_reset, PYN_OT_live,
    PYN_OT_import_spec, PYN_OT_export_spec, PYN_OT_import_spikes,
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
