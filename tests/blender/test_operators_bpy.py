"""Operators in real Blender: user mistakes come back as error reports, user synapse kinds work.

When an operator called through ``bpy.ops`` reports an error, Blender raises
it as ``RuntimeError("Error: <message>")``; an exception inside the operator
comes back as ``RuntimeError("Error: Python: Traceback ...")`` instead.  The
tests tell the two apart.
"""
import functools
import json
import types

import numpy as np

import pytest

pytestmark = pytest.mark.requires_bpy
bpy = pytest.importorskip("bpy")
pyn_core = pytest.importorskip("pyn_core")

import blender_addon  # noqa: E402
from blender_addon import actions, operators, properties, scene_data  # noqa: E402
from blender_addon import spec_convert as sc  # noqa: E402


def reported_error(op, **kw) -> str:
    """Run an operator that must fail: the message of its error report (never a traceback)."""
    with pytest.raises(RuntimeError) as info:
        op(**kw)
    text = str(info.value)
    assert text.startswith("Error: ") and "Traceback" not in text, text
    return text[len("Error: "):].strip()


def network_through_the_operators(scene):
    """A population (pop), a connection pop -> pop and a current on pop, all made by the operators."""
    assert bpy.ops.pyn.population_add() == {"FINISHED"}
    assert bpy.ops.pyn.projection_add() == {"FINISHED"}
    assert bpy.ops.pyn.stimulus_add(kind="current") == {"FINISHED"}
    pyn = scene.pyn
    assert (pyn.projections[0].pre, pyn.projections[0].post, pyn.stimuli[0].target) == ("pop",) * 3
    return pyn


def test_renaming_a_population_after_connecting_it_keeps_the_network_whole(scene):
    pyn = network_through_the_operators(scene)
    pyn.populations[0].name = "thalamus"  # the connection and the stimulus follow the new name
    assert (pyn.projections[0].pre, pyn.projections[0].post, pyn.stimuli[0].target) == ("thalamus",) * 3
    assert bpy.ops.pyn.build() == {"FINISHED"} and pyn.built_hash
    pyn.projections[0].pre = "pop"        # a name typed that is no population's: reported by field
    assert reported_error(bpy.ops.pyn.build) == ("connection 1 (pop -> thalamus): From 'pop' is not a population "
                                                 "of this network; choose one of: 'thalamus'")


@pytest.mark.parametrize("item, field, typo, words", [
    ("projections", "pre", "pop0", ["From 'pop0'", "choose one of: 'pop'"]),
    ("projections", "post", "Pop", ["To 'Pop'", "choose one of: 'pop'"]),
    ("stimuli", "target", "pop1", ["Target 'pop1'", "choose one of: 'pop'"]),
    ("populations", "model", "izhikevic", ["Model 'izhikevic'", "choose one of: adex, hh, izhikevich, lif"]),
    ("stimuli", "neurons", "0-9, 100", ["Neurons '0-9, 100'", "N = 100", "use indices 0-99"]),
    ("stimuli", "neurons", "3-1", ["Neurons", "write it as 1-3"]),
    ("projections", "synapse", "alpah", ["Synapse 'alpah'", "default, delta, pulse, exp, alpha, cond_exp"]),
])
def test_a_mistyped_field_is_reported_with_what_is_allowed(scene, item, field, typo, words):
    pyn = network_through_the_operators(scene)
    setattr(getattr(pyn, item)[0], field, typo)
    for op in (bpy.ops.pyn.build, lambda: bpy.ops.pyn.export_spec(filepath="/nonexistent/x.json")):
        message = reported_error(op)
        assert all(w in message for w in words), message
    assert not pyn.built_hash


def test_the_operator_reports_and_returns_cancelled_without_raising(scene):
    pyn = network_through_the_operators(scene)
    pyn.stimuli[0].neurons = "500"
    reports = []
    fake = types.SimpleNamespace(report=lambda kind, text: reports.append((kind, text)),
                                 run=lambda context: operators.PYN_OT_build.run(None, context))
    assert operators.PYN_OT_build.execute(fake, bpy.context) == {"CANCELLED"}
    assert reports == [({"ERROR"}, "stimulus 1 (current on 'pop'): Neurons '500' names neuron 500, but 'pop' "
                                   "has N = 100; use indices 0-99 (empty for all)")]
    with pytest.raises(pyn_core.PynIndexError):  # the action itself raises one of the core's family
        actions.build(scene)


def test_files_that_cannot_be_read_or_written_are_reported(scene, tmp_path):
    assert "cannot be read" in reported_error(bpy.ops.pyn.import_spec, filepath=str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{nope")
    assert "not valid JSON" in reported_error(bpy.ops.pyn.import_spec, filepath=str(tmp_path / "bad.json"))
    network_through_the_operators(scene)
    assert "cannot be written" in reported_error(bpy.ops.pyn.export_spec,
                                                 filepath=str(tmp_path / "no" / "dir" / "x.json"))


def test_the_panel_status_says_what_build_would_report(scene):
    pyn = network_through_the_operators(scene)
    assert actions.status(scene)["problem"] == ""
    pyn.projections[0].pre = "renamed"
    driver_cache = blender_addon.driver.CACHE.changed
    driver_cache.clear()
    assert actions.status(scene)["problem"].startswith("connection 1 (renamed -> pop): From 'renamed'")


# -- a synapse kind of the user's own ------------------------------------------------------------

def test_a_user_synapse_kind_is_selectable_and_its_params_round_trip(scene, user_synapse, tmp_path, monkeypatch):
    # the numpy backend: numba would compile the kind's functions, which takes a while
    monkeypatch.setattr(pyn_core.Network, "build", functools.partialmethod(pyn_core.Network.build, backend="numpy"))
    name = user_synapse.name
    pyn = network_through_the_operators(scene)
    pr = pyn.projections[0]
    offered = properties._search_synapses(pr, bpy.context, "")
    assert (name, user_synapse.doc) in offered and offered[0][0] == "default"
    found = [n for n, _ in properties._search_synapses(pr, bpy.context, "BIEXP")]
    assert name in found and all("biexp" in n.lower() for n in found)      # other scripts may register theirs
    assert "exp" not in found and "alpha" not in [n for n, _ in properties._search_synapses(pr, bpy.context, "bi")]
    pr.synapse = name  # as picking it in the list does: its parameters get rows, at their defaults
    assert [(q.name, q.value) for q in pr.synapse_params] == [("tau_rise", 1.0), ("tau_decay", 5.0)]
    pr.synapse_params[1].value = 7.5
    pyn.stimuli[0].kind = "poisson"
    pyn.stimuli[0].synapse = name
    assert bpy.ops.pyn.build() == {"FINISHED"}
    spec = scene_data.scene_spec(scene)
    assert spec["projections"][0]["synapse"] == {"kind": name, "tau_rise": 1.0, "tau_decay": 7.5}
    assert spec["stimuli"][0]["synapse"] == {"kind": name, "tau_rise": 1.0, "tau_decay": 5.0}
    # panel -> spec file -> another scene's panel -> spec: unchanged
    path = tmp_path / "net.json"
    assert bpy.ops.pyn.export_spec(filepath=str(path)) == {"FINISHED"}
    other = bpy.data.scenes.new("Other")
    actions.import_spec(other, path, build_view=False)
    assert [(q.name, q.value) for q in other.pyn.projections[0].synapse_params] == [("tau_rise", 1.0),
                                                                                    ("tau_decay", 7.5)]
    assert scene_data.scene_spec(other)["projections"] == spec["projections"]
    assert scene_data.scene_spec(other)["stimuli"] == spec["stimuli"]
    # back to a built-in kind: its own fields, no rows
    pr.synapse = "exp"
    assert len(pr.synapse_params) == 0 and sc.synapse_fields("exp") == ("synapse_tau",)


def test_a_user_synapse_kind_survives_save_and_reopen_even_unregistered(scene, user_synapse, tmp_path):
    network_through_the_operators(scene)
    actions.add_projection(scene, "pop", "pop", synapse=user_synapse.name)
    assert [q.name for q in scene.pyn.projections[1].synapse_params] == ["tau_rise", "tau_decay"]
    path = tmp_path / "user.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    pr = bpy.context.scene.pyn.projections[1]
    assert pr.synapse == user_synapse.name and len(pr.synapse_params) == 2  # stored by name, not by number


# -- how choices are stored in .blend files ------------------------------------------------------

def test_choices_keep_the_numbers_older_files_stored(scene):
    pyn = network_through_the_operators(scene)
    pr, st, pop = pyn.projections[0], pyn.stimuli[0], pyn.populations[0]
    for owner, field, key in ((pr, "rule", "rule"), (pr, "weight_dist", "weight_dist"), (pr, "mode", "mode"),
                              (pr, "plasticity", "plasticity"), (st, "kind", "stimulus"),
                              (pop, "layout", "layout")):
        for number, choice in enumerate(scene_data.STORED_CHOICES[key]):
            setattr(owner, field, choice)
            assert scene_data.stored_value(owner, field) == number, (field, choice)
            assert getattr(owner, field) == choice


def _store_as_older_files_did(item, number):
    """Save ``item.synapse`` as an add-on whose synapse was a fixed list did: the choice's number."""
    store = item.bl_system_properties_get(do_create=True) if hasattr(item, "bl_system_properties_get") else item
    if "synapse" in store:
        del store["synapse"]
    store["synapse"] = number


def test_synapses_stored_as_numbers_by_older_files_become_names(scene, tmp_path):
    pyn = network_through_the_operators(scene)
    actions.add_stimulus(scene, "pop", kind="poisson")
    _store_as_older_files_did(pyn.projections[0], 3)
    _store_as_older_files_did(pyn.stimuli[1], 5)
    path = tmp_path / "old.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))  # the load_post handler upgrades
    pyn = bpy.context.scene.pyn
    assert (pyn.projections[0].synapse, pyn.stimuli[1].synapse, pyn.stimuli[0].synapse) == \
        ("delta", "cond_exp", "default")
    assert scene_data.stored_value(pyn.projections[0], "synapse") == "delta"
    _store_as_older_files_did(pyn.projections[0], 1)
    scene_data.upgrade(pyn)
    assert pyn.projections[0].synapse == "alpha"


def test_a_spec_with_the_explicit_rule_loads_builds_and_exports_unchanged(scene, tmp_path):
    net = pyn_core.Network([pyn_core.LIFPopulation("a", N=3), pyn_core.LIFPopulation("b", N=3)], name="lists")
    net.connect("a", "b", rule={"name": "explicit", "pre": [0, 1, 2], "post": [2, 1, 0]}, weight=0.5)
    spec = net.to_spec()
    actions.load_spec(scene, spec)
    pr = scene.pyn.projections[0]
    assert pr.rule in sc.choices("rule") and sc.kept_rule({"extra_json": pr.extra_json}) == "explicit"
    pre, post, _ = blender_addon.driver.runtime(scene).sim.get_weights("a->b")
    assert sorted(zip(pre.tolist(), post.tolist())) == [(0, 2), (1, 1), (2, 0)]
    path = tmp_path / "lists.json"
    assert bpy.ops.pyn.export_spec(filepath=str(path)) == {"FINISHED"}
    assert json.loads(path.read_text())["projections"] == spec["projections"]


def test_connections_and_stimuli_follow_a_renamed_population(scene):
    actions.add_population(scene, "A")
    actions.add_population(scene, "B")
    actions.add_projection(scene, "A", "B")
    actions.add_projection(scene, "B", "B")
    actions.add_stimulus(scene, "A")
    pyn = scene.pyn
    pyn.populations[0].name = "thalamus"           # typed in the list
    assert [(pr.pre, pr.post) for pr in pyn.projections] == [("thalamus", "B"), ("B", "B")]
    assert pyn.stimuli[0].target == "thalamus"
    pyn.populations[1].name = "cortex"
    assert [(pr.pre, pr.post) for pr in pyn.projections] == [("thalamus", "cortex"), ("cortex", "cortex")]
    assert bpy.ops.pyn.build() == {"FINISHED"}     # no stale name left behind
    spec = pyn_core.Network.from_spec(scene_data.scene_spec(scene))
    assert [p.name for p in spec.populations] == ["thalamus", "cortex"]


def test_a_population_saved_before_renames_were_followed_is_followed_after_loading(scene):
    actions.add_population(scene, "A")
    actions.add_projection(scene, "A", "A")
    pop = scene.pyn.populations[0]
    pop.last_name = ""                     # as a file saved by an older add-on holds it
    scene_data.upgrade(scene.pyn)          # what the load_post handler runs
    pop.name = "B"
    assert (scene.pyn.projections[0].pre, scene.pyn.projections[0].post) == ("B", "B")


@pytest.mark.parametrize("model", ["izhikevich", "lif", "adex"])
def test_the_poisson_plus_makes_the_default_population_fire(scene, model):
    assert bpy.ops.pyn.population_add() == {"FINISHED"}
    scene.pyn.populations[0].model = model
    scene.pyn.populations[0].preset = "tonic_spiking" if model == "izhikevich" else ""
    assert bpy.ops.pyn.stimulus_add(kind="poisson") == {"FINISHED"}
    stim = scene.pyn.stimuli[0]
    assert stim.kind == "poisson" and stim.rate == 100.0
    res = pyn_core.Network.from_spec(scene_data.scene_spec(scene)).build(backend="numpy").run(100.0)
    rate = res["pop"].rate(stim.stop - stim.start)
    assert rate > 5.0, (model, rate)       # the default window drives spikes


def test_a_bake_of_no_frames_is_refused_with_the_reason(scene):
    network_through_the_operators(scene)
    scene.pyn.start_frame = 50
    scene.frame_end = 20
    message = reported_error(bpy.ops.pyn.bake)
    assert message.startswith("nothing to bake: the scene ends at frame 20, not after the start frame 50")
    assert blender_addon.driver.stored_bake(scene) is None
    scene.frame_end = 80
    assert bpy.ops.pyn.bake() == {"FINISHED"} and blender_addon.driver.stored_bake(scene).t_end > 0


def test_parameter_rows_are_unique(scene):
    actions.add_population(scene, "A", model="lif", preset="")
    for _ in range(3):
        assert bpy.ops.pyn.param_add() == {"FINISHED"}
    pop = scene.pyn.populations[0]
    model = pyn_core.get_model("lif")
    assert [q.name for q in pop.params] == list(model.params)[:3]          # the next parameter each time
    assert [q.value for q in pop.params] == pytest.approx([model.params[q.name].default for q in pop.params])
    pop.params[2].name = pop.params[0].name                               # a name typed twice
    assert reported_error(bpy.ops.pyn.build) == (f"population 'A': parameter {pop.params[0].name!r} is given "
                                                 "twice; remove one of the rows (only one value can apply)")
    assert actions.status(scene)["problem"].startswith("population 'A': parameter")


def test_build_from_the_general_template_renders_the_network_not_the_template(addon):
    from bpy_extras.object_utils import world_to_camera_view

    from blender_addon import view
    bpy.ops.wm.read_factory_settings(use_empty=False)          # Blender's General startup file
    scene = bpy.context.scene
    assert {"Camera", "Light", "Cube"} <= set(scene.objects.keys()) and scene.camera.name == "Camera"
    actions.add_population(scene, "exc", N=200)
    actions.add_population(scene, "inh", N=50)
    scene.pyn.populations[1].center = (12.0, 0.0, 0.0)          # beside the first: it must be in view too
    rt = actions.build(scene)
    assert rt.hidden_from_render == ["Camera", "Light", "Cube"]
    for name in ("Camera", "Light", "Cube"):                    # hidden from the render, not deleted
        assert scene.objects[name].hide_render
    assert view.is_own_camera(scene, scene.camera)
    assert (scene.render.resolution_x, scene.render.resolution_y) == (1920, 1080)   # the template's
    bpy.context.view_layer.update()                             # the camera's matrix as it was placed
    for name in ("exc", "inh"):
        for co in rt.positions(name):
            p = world_to_camera_view(scene, scene.camera, __import__("mathutils").Vector(co.tolist()))
            assert 0.0 < p.x < 1.0 and 0.0 < p.y < 1.0 and p.z > 0, (name, tuple(p))
    assert actions.build(scene).hidden_from_render == []          # already hidden: said once
    # a camera of the user's own stays the scene's camera
    cam = bpy.data.objects.new("MyCam", bpy.data.cameras.new("MyCam"))
    scene.collection.objects.link(cam)
    scene.camera = cam
    actions.build(scene)
    assert scene.camera is cam


@pytest.mark.parametrize("size", [(1920, 1080), (800, 500), (500, 800), (1000, 1000)])
def test_the_pyn_camera_frames_the_network_at_any_render_size(scene, size):
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    from blender_addon import driver, view
    actions.add_population(scene, "wide", N=300)
    scene.pyn.populations[0].layout = "box"
    scene.pyn.populations[0].size = (30.0, 4.0, 4.0)            # a long box: the aspect ratio matters
    rt = actions.build(scene)
    scene.render.resolution_x, scene.render.resolution_y = size   # changed after Build, as --size does
    assert driver.on_render_init in bpy.app.handlers.render_init   # kept across loading files (persistent)
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_percentage = 5                          # a tiny render: the handler runs before it
    bpy.ops.render.render()
    bpy.context.view_layer.update()
    p = np.array([tuple(world_to_camera_view(scene, scene.camera, Vector(co.tolist()))) for co in rt.positions("wide")])
    assert (p[:, 0] > 0).all() and (p[:, 0] < 1).all() and (p[:, 1] > 0).all() and (p[:, 1] < 1).all(), size
    assert max(np.ptp(p[:, 0]), np.ptp(p[:, 1])) > 0.35      # and not lost in the middle (a bounding sphere)
    assert view.FIT_KEY in scene.camera


@pytest.mark.parametrize("name", ["viridis", "magma", "coolwarm", "pyn"])
def test_the_voltage_colour_map_reaches_the_materials_and_the_spec(scene, name, tmp_path):
    from blender_addon import view
    actions.add_population(scene, "A", N=10)
    actions.build(scene)
    scene.pyn.color_by = "voltage"
    scene.pyn.colormap = name
    ramp = bpy.data.materials[view.object_name("A", scene)].node_tree.nodes["voltage_colors"]
    stops = view.COLORMAPS[name]
    assert len(ramp.color_ramp.elements) == len(stops)
    for element, (position, rgb) in zip(ramp.color_ramp.elements, stops):
        assert element.position == pytest.approx(position, abs=1e-6)
        assert tuple(element.color)[:3] == pytest.approx(rgb, abs=1e-6)
    # the colour map is a view setting: saved in the spec and read back
    actions.export_spec(scene, tmp_path / "net.json")
    assert json.loads((tmp_path / "net.json").read_text())["view"]["colormap"] == name
    scene.pyn.colormap = "pyn"
    actions.import_spec(scene, tmp_path / "net.json")
    assert scene.pyn.colormap == name
    assert len(bpy.data.materials[view.object_name("A", scene)].node_tree.nodes["voltage_colors"]
               .color_ramp.elements) == len(stops)                 # a build applies it to new materials


def test_build_reports_its_progress(scene):
    actions.add_population(scene, "A", N=50)
    actions.add_projection(scene, "A", "A")
    actions.add_population(scene, "B", N=20)
    actions.add_projection(scene, "A", "B")
    seen = []
    actions.build(scene, progress=seen.append)
    assert seen == [0.0, 0.5, 1.0]                # at the start, then after each of the two connections
    assert bpy.ops.pyn.build() == {"FINISHED"}    # the button, with Blender's progress cursor
