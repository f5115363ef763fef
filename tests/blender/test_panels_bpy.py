"""The panel's draw code against a recording layout (the interface itself needs a window)."""
import types

import pytest

pytestmark = pytest.mark.requires_bpy
bpy = pytest.importorskip("bpy")
pyn_core = pytest.importorskip("pyn_core")

from blender_addon import actions, panels, properties  # noqa: E402


class Recorder:
    """Stands in for ``UILayout``: checks every property and operator it is asked to show."""

    def __init__(self, log):
        self.log = log
        self.enabled = True

    def _child(self, *args, **kw):
        return Recorder(self.log)

    row = column = box = split = _child

    def label(self, text="", icon="NONE"):
        self.log.append(("label", text))

    def prop(self, data, name, **kw):
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name!r}"
        self.log.append(("prop", name))

    def operator(self, idname, **kw):
        module, _, op = idname.partition(".")
        assert hasattr(getattr(bpy.ops, module), op), f"no operator {idname}"
        self.log.append(("operator", idname))
        return types.SimpleNamespace()

    def template_list(self, listtype, listid, data, propname, active_data, active_propname, **kw):
        assert hasattr(bpy.types, listtype), listtype
        assert propname in data.bl_rna.properties and active_propname in active_data.bl_rna.properties
        lst = getattr(bpy.types, listtype)
        for i, item in enumerate(getattr(data, propname)):
            lst.draw_item(None, None, Recorder(self.log), data, item, 0, active_data, active_propname, i)


def draw_all(scene):
    log = []
    context = types.SimpleNamespace(scene=scene)
    for cls in panels.CLASSES:
        if issubclass(cls, bpy.types.Panel):
            cls.draw(types.SimpleNamespace(layout=Recorder(log)), context)
    return log


def test_every_panel_draws_empty_and_full(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    assert ("operator", "pyn.population_add") in draw_all(scene)
    actions.add_population(scene, "A")
    actions.add_population(scene, "B", layout="box")
    actions.add_projection(scene, "A", "B", synapse="cond_exp", plasticity="stdp")
    actions.add_stimulus(scene, "A", kind="current")
    actions.add_stimulus(scene, "B", kind="poisson", has_stop=False)
    actions.add_stimulus(scene, "B", kind="noise")
    actions.add_stimulus(scene, "A", kind="current", start=0.0, stop=20.0,
                         extra_json='{"amplitude": {"times": [0, 20], "values": [0, 5]}}')
    actions.add_param(scene, "d", 8.0)
    scene.pyn.color_by = "voltage"
    actions.build(scene)
    actions.bake(scene)
    log = []
    for i in range(len(scene.pyn.stimuli)):
        scene.pyn.active_stimulus = i
        log += draw_all(scene)
    names = {entry[1] for entry in log if entry[0] == "prop"}
    assert {"N", "preset", "delay_std", "synapse_E", "rate", "std", "glow_decay_frames", "color_by",
            "voltage_auto", "voltage_min"} <= names
    labels = [entry[1] for entry in log if entry[0] == "label"]
    assert any("Simulated to" in text for text in labels)
    assert any("table of 2 points" in text for text in labels) and any("A: table, 0–20 ms" == t for t in labels)
    assert any("potentials" in text for text in labels)


def test_search_callbacks_offer_models_presets_and_populations(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    pop = actions.add_population(scene, "thalamus")
    context = types.SimpleNamespace(scene=scene)
    assert "izhikevich" in properties._search_models(pop, context, "")
    assert properties._search_presets(pop, context, "burst") == [
        p for p in properties._search_presets(pop, context, "") if "burst" in p] != []
    assert properties._search_populations(None, context, "thal") == ["thalamus"]


def test_panels_draw_a_user_synapse_kind_a_kept_rule_and_a_problem(addon, user_synapse):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    actions.add_population(scene, "A", N=4)
    actions.add_projection(scene, "A", "A", synapse=user_synapse.name)
    actions.add_projection(scene, "A", "A", extra_json='{"rule": {"name": "explicit", "pre": [0], "post": [1]}}')
    actions.add_stimulus(scene, "A", kind="poisson", synapse="cond_exp")
    log = []
    for i in range(2):
        scene.pyn.active_projection = i
        log += draw_all(scene)
    props = [entry[1] for entry in log if entry[0] == "prop"]
    labels = [entry[1] for entry in log if entry[0] == "label"]
    assert props.count("value") >= 2  # the kind's tau_rise and tau_decay rows
    assert "synapse_E" in props and "synapse_tau" in props  # cond_exp of the Poisson drive
    assert "Rule: explicit (kept in the other fields)" in labels
    assert any(text.startswith("A → A  (+, explicit)") for text in labels)
    assert not any("is not a population" in text for text in labels)
    scene.pyn.projections[0].post = "B"
    from blender_addon import driver
    driver.CACHE.changed.clear()
    labels = [entry[1] for entry in draw_all(scene) if entry[0] == "label"]
    assert "connection 1 (A -> B): To 'B' is not a population of this network; choose one of: 'A'" in labels


def test_synapse_suggestions_are_the_registered_kinds(addon, user_synapse):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    actions.add_population(scene, "A")
    pr = actions.add_projection(scene, "A", "A")
    context = types.SimpleNamespace(scene=scene)
    names = [name for name, _ in properties._search_synapses(pr, context, "")]
    assert names == ["default"] + pyn_core.synapse_kinds() and user_synapse.name in names
    assert [name for name, _ in properties._search_synapses(pr, context, "_exp")] == ["cond_exp"]
