"""The pyN panel: 3D View > Sidebar > pyN.  Drawing only; buttons call operators."""
from __future__ import annotations

import bpy

from . import actions
from . import spec_convert as sc


class PYN_UL_populations(bpy.types.UIList):
    """Populations: name, size and colour."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        row.prop(item, "color", text="", emboss=True)
        row.prop(item, "name", text="", emboss=False)
        row.label(text=f"{item.N} {item.model}")


class PYN_UL_projections(bpy.types.UIList):
    """Connections as ``pre -> post``."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        sign = "−" if item.mode == "inhibitory" else "+"
        rule = sc.kept_rule({"extra_json": item.extra_json}) if item.extra_json else None
        layout.label(text=f"{item.pre} → {item.post}  ({sign}, {rule or item.rule})",
                     icon="CHECKBOX_HLT" if item.enabled else "CHECKBOX_DEHLT")


class PYN_UL_stimuli(bpy.types.UIList):
    """Stimuli as ``kind: target, window``."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        stop = f"{item.stop:g}" if item.has_stop else "∞"
        if "\"whole\"" in item.extra_json:
            layout.label(text=f"{item.target}: kept as JSON")
            return
        amplitude = "table" if item.kind == "current" and "\"amplitude\"" in item.extra_json else f"{item.amplitude:g}"
        what = {"current": amplitude, "noise": f"noise {item.mean:g}±{item.std:g}",
                "poisson": f"{item.rate:g} Hz"}.get(item.kind, item.kind)
        layout.label(text=f"{item.target}: {what}, {item.start:g}–{stop} ms")


class PYN_UL_params(bpy.types.UIList):
    """Explicit parameter values of a population."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        row.prop(item, "name", text="", emboss=False)
        row.prop(item, "value", text="")


def _draw_synapse(col, item) -> None:
    """The synapse kind, then the fields of its parameters (from the kind's own parameter list)."""
    col.prop(item, "synapse")
    fields = sc.synapse_fields(item.synapse)
    if "synapse_tau" in fields:
        col.prop(item, "synapse_tau")
    if "synapse_E" in fields:
        row = col.row(align=True)
        row.prop(item, "synapse_set_E", text="")
        sub = row.row(align=True)
        sub.enabled = item.synapse_set_E
        sub.prop(item, "synapse_E")
    for row in item.synapse_params:
        col.prop(row, "value", text=row.name)


def _draw_extra(layout, item) -> None:
    if item.extra_json:
        box = layout.box()
        box.label(text="Other spec fields (JSON)")
        box.prop(item, "extra_json", text="")


class _PynPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "pyN"


class PYN_PT_network(_PynPanel, bpy.types.Panel):
    bl_label = "pyN Network"
    bl_idname = "PYN_PT_network"

    def draw(self, context):
        layout = self.layout
        pyn = context.scene.pyn
        layout.prop(pyn, "network_name")
        col = layout.column(align=True)
        col.prop(pyn, "dt")
        col.prop(pyn, "seed")
        col.prop(pyn, "ms_per_frame")
        col.prop(pyn, "start_frame")
        layout.prop(pyn, "stdp")
        row = layout.row(align=True)
        row.operator("pyn.import_spec", icon="IMPORT", text="Import")
        row.operator("pyn.export_spec", icon="EXPORT", text="Export")
        layout.operator("pyn.import_spikes", icon="FILE_VOLUME", text="Play Spikes from File")


def _editable_list(layout, ui_list, owner, items, active, op_prefix, rows=3):
    """A list with add/remove buttons beside it; returns the button column."""
    row = layout.row()
    row.template_list(ui_list, "", owner, items, owner, active, rows=rows)
    col = row.column(align=True)
    col.operator(f"pyn.{op_prefix}_add", icon="ADD", text="")
    col.operator(f"pyn.{op_prefix}_remove", icon="REMOVE", text="")
    return col


class PYN_PT_populations(_PynPanel, bpy.types.Panel):
    bl_label = "Populations"
    bl_parent_id = "PYN_PT_network"

    def draw(self, context):
        layout = self.layout
        pyn = context.scene.pyn
        _editable_list(layout, "PYN_UL_populations", pyn, "populations", "active_population", "population")
        if not len(pyn.populations):
            return
        pop = pyn.populations[pyn.active_population]
        col = layout.column()
        col.prop(pop, "name")
        col.prop(pop, "model")
        col.prop(pop, "preset")
        col.prop(pop, "N")
        col.prop(pop, "color")
        col.prop(pop, "layout")
        fields = sc.layout_fields(pop.layout)
        for name in fields:
            col.prop(pop, name)
        if not fields:
            col.label(text="Positions given explicitly (imported)")
        _draw_extra(layout, pop)
        layout.label(text="Parameters (override the preset)")
        _editable_list(layout, "PYN_UL_params", pop, "params", "active_param", "param", rows=2)


class PYN_PT_connections(_PynPanel, bpy.types.Panel):
    bl_label = "Connections"
    bl_parent_id = "PYN_PT_network"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        pyn = context.scene.pyn
        _editable_list(layout, "PYN_UL_projections", pyn, "projections", "active_projection", "projection")
        if not len(pyn.projections):
            return
        pr = pyn.projections[pyn.active_projection]
        col = layout.column()
        col.prop(pr, "enabled")
        col.prop(pr, "pre")
        col.prop(pr, "post")
        kept = sc.kept_rule({"extra_json": pr.extra_json}) if pr.extra_json else None
        if kept is None:
            col.prop(pr, "rule")
            for name in sc.rule_fields(pr.rule):
                col.prop(pr, name)
            col.prop(pr, "allow_autapses")
        else:
            col.label(text=f"Rule: {kept} (kept in the other fields)")
        col.prop(pr, "weight_dist")
        sub = col.column(align=True)
        for name in sc.weight_fields(pr.weight_dist):
            sub.prop(pr, name)
        col.prop(pr, "scale")
        sub = col.row(align=True)
        sub.prop(pr, "delay")
        sub.prop(pr, "delay_std")
        col.prop(pr, "mode", expand=True)
        _draw_synapse(col, pr)
        col.prop(pr, "plasticity")
        if sc.plasticity_takes_params(pr.plasticity):
            col.prop(pr, "plasticity_json", text="")
        _draw_extra(layout, pr)


class PYN_PT_stimuli(_PynPanel, bpy.types.Panel):
    bl_label = "Stimuli"
    bl_parent_id = "PYN_PT_network"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        pyn = context.scene.pyn
        row = layout.row()
        row.template_list("PYN_UL_stimuli", "", pyn, "stimuli", pyn, "active_stimulus", rows=3)
        col = row.column(align=True)
        col.operator("pyn.stimulus_add", icon="ADD", text="").kind = "current"
        col.operator("pyn.stimulus_add", icon="FORCE_FORCE", text="").kind = "poisson"
        col.operator("pyn.stimulus_remove", icon="REMOVE", text="")
        if not len(pyn.stimuli):
            return
        st = pyn.stimuli[pyn.active_stimulus]
        col = layout.column()
        col.prop(st, "kind")
        col.prop(st, "target")
        col.prop(st, "neurons")
        sub = col.row(align=True)
        sub.prop(st, "start")
        sub.prop(st, "has_stop", text="")
        sub2 = sub.row(align=True)
        sub2.enabled = st.has_stop
        sub2.prop(st, "stop")
        if st.kind == "current":
            table = sc.amplitude_table({"extra_json": st.extra_json}) if st.extra_json else None
            if table is None:
                col.prop(st, "amplitude")
            else:
                col.label(text=f"Amplitude: table of {len(table['times'])} points (JSON below)")
        elif st.kind == "noise":
            col.prop(st, "mean")
            col.prop(st, "std")
        else:
            col.prop(st, "rate")
            col.prop(st, "weight")
            _draw_synapse(col, st)
        _draw_extra(layout, st)


class PYN_PT_view(_PynPanel, bpy.types.Panel):
    bl_label = "View"
    bl_parent_id = "PYN_PT_network"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        pyn = context.scene.pyn
        col = layout.column()
        col.prop(pyn, "glow_decay_frames")
        col.prop(pyn, "glow_strength")
        col.prop(pyn, "base_strength")
        col.prop(pyn, "neuron_radius")
        col.prop(pyn, "point_cloud_above")
        row = col.row()
        row.prop(pyn, "show_connections")
        sub = row.row()
        sub.enabled = pyn.show_connections
        sub.prop(pyn, "max_connection_curves", text="Max")
        col.prop(pyn, "color_by")
        if pyn.color_by == "voltage":
            col.prop(pyn, "colormap")
            col.prop(pyn, "voltage_auto")
            sub = col.row(align=True)
            sub.enabled = not pyn.voltage_auto
            sub.prop(pyn, "voltage_min")
            sub.prop(pyn, "voltage_max")


class PYN_PT_simulate(_PynPanel, bpy.types.Panel):
    bl_label = "Simulate"
    bl_parent_id = "PYN_PT_network"

    def draw(self, context):
        layout = self.layout
        scene = context.scene
        pyn = scene.pyn
        state = actions.status(scene)
        layout.operator("pyn.build", icon="OUTLINER_OB_POINTCLOUD",
                        text="Rebuild" if state["built"] else "Build")
        if state["problem"]:
            layout.label(text=state["problem"], icon="ERROR")
        elif state["changed"]:
            layout.label(text="Network changed since it was built", icon="ERROR")
        row = layout.row(align=True)
        row.operator("pyn.live", icon="PAUSE" if pyn.live else "PLAY", text="Stop" if pyn.live else "Live",
                     depress=pyn.live)
        row.operator("pyn.reset", icon="LOOP_BACK", text="Reset")
        row = layout.row(align=True)
        row.operator("pyn.bake", icon="REC")
        row.operator("pyn.bake_clear", icon="TRASH", text="")
        bake = state["bake"]
        if bake is not None:
            icon = "CHECKMARK" if bake["valid"] else "ERROR"
            text = f"Bake: {bake['spikes']} spikes, 0–{bake['t_end']:g} ms"
            if bake["voltage"]:
                text += ", potentials"
            layout.label(text=text if bake["valid"] else text + " (out of date)", icon=icon)
            if bake["note"]:
                layout.label(text=bake["note"], icon="INFO")
            if pyn.color_by == "voltage" and not bake["voltage"]:
                layout.label(text="The bake keeps no potentials: spikes only", icon="INFO")
        frames = max(0, scene.frame_end - pyn.start_frame)
        layout.label(text=f"Frames {pyn.start_frame}–{scene.frame_end}: 0–{frames * pyn.ms_per_frame:g} ms")
        if state["t"] is not None:
            layout.label(text=f"Simulated to t = {state['t']:.2f} ms")


CLASSES = (PYN_UL_populations, PYN_UL_projections, PYN_UL_stimuli, PYN_UL_params,
           PYN_PT_network, PYN_PT_populations, PYN_PT_connections, PYN_PT_stimuli,
           PYN_PT_view, PYN_PT_simulate)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
