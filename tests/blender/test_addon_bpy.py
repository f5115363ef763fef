"""The add-on inside real Blender (bpy as a Python module).

Skipped where ``bpy`` is not installed; CI installs bpy==5.0.1 so these run there.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.requires_bpy
bpy = pytest.importorskip("bpy")
pyn_core = pytest.importorskip("pyn_core")

from blender_addon import actions, driver, view  # noqa: E402
from blender_addon.scene_data import scene_spec  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FLOOR = 1.0 / 256.0


def small_spec(ms_per_frame=1.0, decay_frames=2.0):
    """20 thalamic and 10 cortical neurons, half the thalamus driven from 5 to 80 ms."""
    A = pyn_core.IzhikevichPopulation("thalamus", N=20, preset="tonic_spiking", color=[0.1, 0.5, 1.0],
                                      positions={"layout": "grid", "spacing": 1.0, "center": [0, 0, 0]})
    B = pyn_core.IzhikevichPopulation("cortex", N=10, preset="phasic_bursting", color=[1.0, 0.3, 0.1],
                                      positions={"layout": "sphere", "radius": 2.0, "center": [0, 0, 5]})
    net = pyn_core.Network([A, B], name="small")
    net.connect("thalamus", "cortex", scale=8.0)
    net.add_current("thalamus", amplitude=15.0, start=5.0, stop=80.0, neurons=list(range(10)))
    spec = net.to_spec()
    spec["settings"].update(dt=0.25, seed=1, stdp=False)
    spec["view"] = {"ms_per_frame": ms_per_frame, "glow_decay_frames": decay_frames}
    return spec


def reference_spikes(spec, t_end):
    """Spikes of an independent run of the core: {population: (times, ids)}."""
    res = pyn_core.Network.from_spec(spec).build().run(t_end)
    return {p["name"]: (np.asarray(res[p["name"]].spike_times), np.asarray(res[p["name"]].spike_ids))
            for p in spec["populations"]}


def expected_activity(t, times, ids, n, decay_frames, ms_per_frame):
    """exp(-age / decay) of each neuron's latest spike before t (0 below 1/256)."""
    out = np.zeros(n)
    for i in range(n):
        s = times[(ids == i) & (times < t - 1e-9)]
        if s.size:
            g = math.exp(-(t - s.max()) / (decay_frames * ms_per_frame))
            out[i] = g if g >= FLOOR else 0.0
    return out


def check_frames(scene, spec, frames, ref):
    view_ = spec["view"]
    for f in frames:
        scene.frame_set(f)
        t = max(0, f - scene.pyn.start_frame) * view_["ms_per_frame"]
        for p in spec["populations"]:
            times, ids = ref[p["name"]]
            want = expected_activity(t, times, ids, p["N"], view_["glow_decay_frames"], view_["ms_per_frame"])
            got = view.read_activity(p["name"])
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"frame {f}, {p['name']}")


def test_register_unregister_ten_times(addon):
    for _ in range(10):
        addon.unregister()
        assert not hasattr(bpy.types.Scene, "pyn")
        assert not hasattr(bpy.types, "PYN_OT_build")
        assert not any(getattr(h, "__name__", "") == "on_frame_change"
                       for h in bpy.app.handlers.frame_change_pre)
        addon.register()
        assert hasattr(bpy.types.Scene, "pyn") and hasattr(bpy.types, "PYN_PT_network")
        assert sum(getattr(h, "__name__", "") == "on_frame_change"
                   for h in bpy.app.handlers.frame_change_pre) == 1


def test_build_a_network_through_the_operators(scene):
    assert bpy.ops.pyn.population_add() == {"FINISHED"}
    thal = scene.pyn.populations[0]
    thal.name, thal.N, thal.preset = "thalamus", 27, "tonic_spiking"
    assert bpy.ops.pyn.population_add() == {"FINISHED"}
    ctx = scene.pyn.populations[1]
    ctx.name, ctx.N, ctx.preset, ctx.layout = "cortex", 12, "phasic_bursting", "sphere"
    ctx.center = (0.0, 0.0, 6.0)
    scene.pyn.active_population = 0
    assert bpy.ops.pyn.projection_add() == {"FINISHED"}
    scene.pyn.projections[0].post = "cortex"
    scene.pyn.projections[0].delay = 2.25
    assert bpy.ops.pyn.stimulus_add(kind="current") == {"FINISHED"}
    scene.pyn.stimuli[0].neurons = "0-2"
    assert bpy.ops.pyn.stimulus_add(kind="poisson") == {"FINISHED"}
    assert bpy.ops.pyn.param_add(name="d") == {"FINISHED"}
    scene.pyn.populations[0].params[0].value = 8.0
    assert bpy.ops.pyn.build() == {"FINISHED"}

    spec = scene_spec(scene)
    assert spec["projections"][0]["delay"] == 2.25 and spec["stimuli"][0]["neurons"] == [0, 1, 2]
    assert spec["populations"][0]["params"] == {"d": 8.0}
    net = pyn_core.Network.from_spec(spec)
    for pop in net.populations:
        ob = view.population_object(pop.name)
        assert ob is not None and ob.name in view.collection(scene).objects
        assert ob.name == f"pyN.{scene.name}.{pop.name}"
        co = np.empty(pop.N * 3, dtype=np.float32)
        ob.data.vertices.foreach_get("co", co)
        np.testing.assert_allclose(co.reshape(-1, 3), pop.positions, atol=1e-5)
        assert ob.modifiers[0].node_group.name == view.GROUP_SPHERES
        attr_node = bpy.data.materials[ob.name].node_tree.nodes["activity"]
        assert attr_node.attribute_type == "INSTANCER" and attr_node.attribute_name == "activity"
    assert scene.camera is not None and scene.view_settings.view_transform == "Standard"
    # removing a population takes its connection and stimuli with it
    scene.pyn.active_population = 1
    assert bpy.ops.pyn.population_remove() == {"FINISHED"}
    assert len(scene.pyn.projections) == 0 and len(scene.pyn.populations) == 1


def test_activity_reaches_the_instances_and_points(scene):
    spec = small_spec()
    spec["view"]["point_cloud_above"] = 15  # thalamus (20) as points, cortex (10) as spheres
    actions.load_spec(scene, spec)
    assert view.population_object("thalamus").modifiers[0].node_group.name == view.GROUP_POINTS
    values = np.linspace(0, 1, 20, dtype=np.float32)
    assert view.write_activity("thalamus", values)
    assert view.write_activity("cortex", values[:10])
    dg = bpy.context.evaluated_depsgraph_get()
    for name, want in (("thalamus", values), ("cortex", values[:10])):
        geometry = view.population_object(name).evaluated_get(dg).evaluated_geometry()  # keep alive
        points = geometry.pointcloud if name == "thalamus" else geometry.instances_pointcloud()
        got = np.empty(len(want), dtype=np.float32)
        points.attributes["activity"].data.foreach_get("value", got)
        np.testing.assert_array_equal(got, want)


def test_bake_then_frames_show_the_known_spikes(scene):
    spec = small_spec(ms_per_frame=1.0, decay_frames=2.0)
    actions.load_spec(scene, spec)
    scene.frame_start, scene.frame_end = 1, 61
    assert bpy.ops.pyn.bake() == {"FINISHED"}
    assert driver.usable_bake(scene) is not None
    ref = reference_spikes(spec, 60.0)
    assert ref["thalamus"][0].size > 10  # the driven neurons do spike
    check_frames(scene, spec, [1, 6, 12, 13, 30, 61, 20, 7], ref)


def test_time_zero_frame_is_the_panels_not_the_render_range(scene):
    spec = small_spec(ms_per_frame=1.0, decay_frames=2.0)
    spec["view"]["start_frame"] = 11
    actions.load_spec(scene, spec)
    scene.frame_start, scene.frame_end = 1, 71
    actions.bake(scene)
    assert driver.stored_bake(scene).t_end == pytest.approx(60.0)
    ref = reference_spikes(spec, 60.0)
    check_frames(scene, spec, [1, 11, 30, 50, 71], ref)
    scene.frame_start = 45  # rendering only part of the animation does not move time
    check_frames(scene, spec, [45, 50], ref)


def test_simulated_frames_match_the_bake_and_scrub_backwards(scene):
    spec = small_spec(ms_per_frame=2.0, decay_frames=3.0)
    actions.load_spec(scene, spec)
    scene.frame_start, scene.frame_end = 1, 41
    ref = reference_spikes(spec, 80.0)
    # without a bake: the frame handler advances the simulation (and restarts it backwards)
    check_frames(scene, spec, [1, 5, 6, 20, 41, 10, 11], ref)
    assert driver.runtime(scene).t == pytest.approx(20.0)
    # the bake shows the same
    actions.bake(scene)
    check_frames(scene, spec, [41, 5, 6, 20], ref)


def test_live_mode_advances_without_the_timeline(scene):
    spec = small_spec(ms_per_frame=5.0)
    actions.load_spec(scene, spec)
    t = 0.0
    for _ in range(4):
        t = driver.live_step(scene)
    assert t == pytest.approx(20.0)
    rt = driver.runtime(scene)
    np.testing.assert_array_equal(view.read_activity("thalamus"), rt.activity("thalamus", driver.glow_params(scene)))
    assert bpy.ops.pyn.live() == {"FINISHED"} and scene.pyn.live
    assert bpy.ops.pyn.live() == {"FINISHED"} and not scene.pyn.live


def test_save_and_reopen_gives_back_network_and_bake(scene, tmp_path):
    spec = small_spec()
    actions.load_spec(scene, spec)
    scene.frame_start, scene.frame_end = 1, 41
    actions.bake(scene)
    scene.frame_set(17)
    before = view.read_activity("thalamus").copy()
    path = tmp_path / "net.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    scene = bpy.context.scene
    again = scene_spec(scene)
    for key in ("populations", "projections", "stimuli", "settings"):
        assert again[key] == spec[key], key
    assert driver.usable_bake(scene) is not None
    scene.frame_set(3)
    scene.frame_set(17)
    np.testing.assert_array_equal(view.read_activity("thalamus"), before)
    actions.clear_bake(scene)
    scene.frame_set(17)  # now simulated again, rebuilt from the saved panel
    np.testing.assert_allclose(view.read_activity("thalamus"), before, rtol=1e-6)


def test_spec_files_import_and_export(scene, tmp_path):
    actions.load_spec(scene, small_spec())
    path = tmp_path / "net.json"
    assert bpy.ops.pyn.export_spec(filepath=str(path)) == {"FINISHED"}
    written = json.loads(path.read_text())
    assert [p["name"] for p in written["populations"]] == ["thalamus", "cortex"]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    assert bpy.ops.pyn.import_spec(filepath=str(path)) == {"FINISHED"}
    scene = bpy.context.scene
    assert scene.pyn.built_hash and view.population_object("cortex") is not None
    assert scene_spec(scene)["populations"] == written["populations"]


def test_operator_errors_are_reported_not_raised_as_tracebacks(scene):
    # bpy.ops raises an operator's error report as "Error: <message>", an exception as "Error: Python: Traceback"
    actions.add_population(scene, "A", preset="no_such_pattern")
    with pytest.raises(RuntimeError, match=r"^Error: populations\[0\]: unknown preset 'no_such_pattern'"):
        bpy.ops.pyn.build()
    assert not scene.pyn.built_hash
    scene.pyn.populations[0].preset = "tonic_spiking"
    actions.add_stimulus(scene, "A", neurons="3-1")
    with pytest.raises(RuntimeError, match="^Error: stimulus 1 .*Neurons: .*write it as 1-3"):
        bpy.ops.pyn.build()


def _render(scene, path):
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    img = bpy.data.images.load(str(path))
    px = np.array(img.pixels[:], dtype=np.float32).reshape(-1, 4)
    bpy.data.images.remove(img)
    return px[:, :3]


def test_render_shows_lit_pixels_when_neurons_spike(scene, tmp_path):
    net = pyn_core.Network([pyn_core.IzhikevichPopulation(
        "grid", N=8, preset="tonic_spiking", color=[0.2, 1.0, 0.3],
        positions={"layout": "grid", "spacing": 1.5, "center": [0, 0, 0]})], name="render")
    net.add_current("grid", amplitude=30.0, start=0.0, stop=100.0)
    spec = net.to_spec()
    spec["settings"].update(dt=0.25, seed=0, stdp=False)
    spec["view"] = {"ms_per_frame": 1.0, "glow_decay_frames": 2.0, "neuron_radius": 0.5, "base_strength": 0.0}
    actions.load_spec(scene, spec)
    scene.frame_start, scene.frame_end = 1, 40
    actions.bake(scene)
    ref = reference_spikes(spec, 39.0)["grid"]
    first = float(ref[0].min())
    lit_frame = 1 + int(math.floor(first)) + 1  # the frame right after the first spikes
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 4
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = 48
    scene.render.resolution_percentage = 100
    scene.frame_set(1)
    dark = _render(scene, tmp_path / "dark.png")
    scene.frame_set(lit_frame)
    assert view.read_activity("grid").max() > 0.5
    lit = _render(scene, tmp_path / "lit.png")
    n_dark = int((dark.max(axis=1) > 0.5).sum())
    n_lit = int((lit.max(axis=1) > 0.5).sum())
    assert n_lit > 20 and n_lit > 4 * max(n_dark, 1), (n_dark, n_lit)
    assert lit[:, 1].mean() > lit[:, 0].mean()  # glowing in the population's (green) colour


def test_built_zip_installs_and_enables_in_an_empty_user_folder(tmp_path):
    zips = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_addon.py"), "--out", str(tmp_path / "dist")],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    zip_path = Path(zips.stdout.strip().splitlines()[-1])
    assert zip_path.name.startswith("pyn_blender-") and zip_path.exists()
    user = tmp_path / "user"
    user.mkdir()
    script = (
        "import json, sys, bpy\n"
        "r = bpy.ops.extensions.package_install_files(filepath=sys.argv[-1], repo='user_default',"
        " enable_on_install=True)\n"
        "import pyn_core\n"
        "print(json.dumps({'result': sorted(r), 'addons': list(bpy.context.preferences.addons.keys()),"
        " 'scene': hasattr(bpy.types.Scene, 'pyn'), 'core': pyn_core.__file__}))\n")
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(user))
    env.pop("PYTHONPATH", None)
    run = subprocess.run([sys.executable, "-c", script, str(zip_path)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["result"] == ["FINISHED"] and out["scene"]
    assert "bl_ext.user_default.pyn_blender" in out["addons"]
    assert (user / "extensions" / "user_default" / "pyn_blender" / "__init__.py").exists()
    assert (user / "extensions" / ".local" / "lib").exists()  # the bundled pyn_core wheel, unpacked


def test_connections_are_drawn_from_the_built_synapses(scene):
    spec = small_spec()
    spec["view"].update(show_connections=True, max_connection_curves=5000)
    actions.load_spec(scene, spec)
    rt = driver.runtime(scene)
    pre, post, _ = rt.sim.get_weights("thalamus->cortex")
    ob = bpy.data.objects[view.helper_name("connections")]
    assert len(ob.data.edges) == len(pre) > 0
    co = np.empty(len(ob.data.vertices) * 3, dtype=np.float32)
    ob.data.vertices.foreach_get("co", co)
    starts = co.reshape(-1, 2, 3)[:, 0]
    np.testing.assert_allclose(starts, rt.positions("thalamus")[pre], atol=1e-5)
    # a cap on the number drawn
    scene.pyn.max_connection_curves = 7
    actions.build(scene)
    assert len(bpy.data.objects[view.helper_name("connections")].data.edges) == 7
    scene.pyn.show_connections = False
    actions.build(scene)
    assert view.helper_name("connections") not in bpy.data.objects


# -- colouring by membrane potential -------------------------------------------------------------

def reference_levels(spec, t_end):
    """Voltage level of every neuron after each step of an independent run: {population: (steps, N)}."""
    from blender_addon.voltage import model_range
    net = pyn_core.Network.from_spec(spec)
    res = net.build(record={p.name: ["v"] for p in net.populations}).run(t_end)
    out = {}
    for pop in net.populations:
        lo, hi = model_range(pop)
        out[pop.name] = np.clip((np.asarray(res[pop.name].v) - lo) / (hi - lo), 0.0, 1.0)
    return out


def check_voltage_frames(scene, spec, frames, levels, atol=1e-6):
    dt = spec["settings"]["dt"]
    for f in frames:
        scene.frame_set(f)
        t = max(0, f - scene.pyn.start_frame) * spec["view"]["ms_per_frame"]
        k = int(round(t / dt))
        for p in spec["populations"]:
            np.testing.assert_allclose(view.read_voltage(p["name"]), levels[p["name"]][k], rtol=0, atol=atol,
                                       err_msg=f"frame {f}, {p['name']}")


def test_voltage_colouring_follows_the_simulated_state(scene):
    spec = small_spec(ms_per_frame=2.0)
    spec["view"]["color_by"] = "voltage"
    actions.load_spec(scene, spec)
    assert scene.pyn.color_by == "voltage"
    mat = bpy.data.materials[view.object_name("thalamus")]
    assert mat.node_tree.nodes["voltage_mix"].outputs[0].default_value == 1.0
    assert mat.node_tree.nodes["voltage"].attribute_name == "voltage"
    scene.frame_start, scene.frame_end = 1, 41
    levels = reference_levels(spec, 82.0)
    assert levels["thalamus"].max() > 0.3 and levels["cortex"].max() > 0.05  # something to see
    check_voltage_frames(scene, spec, [1, 4, 9, 20, 33, 12], levels)  # simulated, and backwards
    # the level reaches the instances the material reads
    dg = bpy.context.evaluated_depsgraph_get()
    geometry = view.population_object("cortex").evaluated_get(dg).evaluated_geometry()
    got = np.empty(10, dtype=np.float32)
    geometry.instances_pointcloud().attributes["voltage"].data.foreach_get("value", got)
    np.testing.assert_array_equal(got, view.read_voltage("cortex"))
    # a range given in the panel for all neurons
    scene.pyn.voltage_auto = False
    scene.pyn.voltage_min, scene.pyn.voltage_max = -75.0, -45.0
    scene.frame_set(9)
    v = driver.runtime(scene).sim.state("thalamus", "v")
    np.testing.assert_allclose(view.read_voltage("thalamus"), np.clip((v + 75.0) / 30.0, 0, 1), atol=1e-6)
    # Live steps write it too
    scene.pyn.voltage_auto = True
    actions.reset(scene)  # back to 0, then on to the current frame (16 ms)
    for _ in range(3):
        t = driver.live_step(scene)
    assert t == pytest.approx(22.0)
    np.testing.assert_allclose(view.read_voltage("thalamus"), levels["thalamus"][int(round(t / 0.25))], atol=1e-6)
    # back to spikes: the material ignores the attribute again
    scene.pyn.color_by = "spikes"
    assert mat.node_tree.nodes["voltage_mix"].outputs[0].default_value == 0.0


def test_baked_playback_keeps_the_voltages(scene):
    spec = small_spec(ms_per_frame=1.0)
    spec["view"]["color_by"] = "voltage"
    actions.load_spec(scene, spec)
    scene.frame_start, scene.frame_end = 1, 51
    bake = actions.bake(scene)
    assert bake.voltage is not None and bake.voltage.values.shape == (51, 30)
    assert actions.status(scene)["bake"]["voltage"]
    levels = reference_levels(spec, 51.0)
    check_voltage_frames(scene, spec, [1, 7, 30, 51, 12], levels, atol=2e-3)  # float16 in the bake
    assert driver.update_scene(scene) == "bake"
    # changing the range shows at once (from the bake, no frame change needed)
    scene.pyn.voltage_min, scene.pyn.voltage_max = -75.0, -45.0
    scene.pyn.voltage_auto = False
    v = driver.stored_bake(scene).voltage.at(11.0)[:20]
    np.testing.assert_allclose(view.read_voltage("thalamus"), np.clip((v + 75.0) / 30.0, 0, 1), atol=1e-6)
    scene.pyn.voltage_auto = True
    # a bake without potentials shows spikes only
    driver.store_bake(scene, actions.bake_network(driver.runtime(scene).spec, 50.0, runtime=driver.runtime(scene)))
    scene.frame_set(20)
    assert driver.update_scene(scene) == "bake" and not view.read_voltage("thalamus").any()


# -- two scenes in one file ---------------------------------------------------------------------

def test_two_scenes_with_the_same_populations_keep_their_own_objects(scene):
    spec = small_spec()
    actions.load_spec(scene, spec)
    other = bpy.data.scenes.new("Other")
    actions.load_spec(other, small_spec(decay_frames=5.0))
    a, b = view.object_name("thalamus", scene), view.object_name("thalamus", other)
    assert (a, b) == ("pyN.Scene.thalamus", "pyN.Other.thalamus")
    assert a in scene.objects and a not in other.objects and b in other.objects and b not in scene.objects
    assert {ob.name for ob in view.population_objects(other)} == {b, view.object_name("cortex", other)}
    assert scene.camera != other.camera and view.collection(scene) != view.collection(other)
    for s, f in ((scene, 30), (other, 12)):
        s.frame_set(f)
    ref = reference_spikes(spec, 40.0)
    t, ids = ref["thalamus"]
    np.testing.assert_allclose(view.read_activity("thalamus", scene), expected_activity(29.0, t, ids, 20, 2.0, 1.0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(view.read_activity("thalamus", other), expected_activity(11.0, t, ids, 20, 5.0, 1.0),
                               rtol=1e-5, atol=1e-6)
    # rebuilding one scene, or renaming it, leaves the other alone
    actions.build(other)
    other.name = "Renamed"
    actions.build(other)
    assert view.population_object("thalamus", scene) is not None
    assert view.population_object("thalamus", other).name == b  # the view id stays
    scene.pyn.populations.remove(1)  # cortex (and its connection, stimuli stay on the thalamus)
    scene.pyn.projections.clear()
    actions.build(scene)
    assert view.population_object("cortex", scene) is None and view.population_object("cortex", other) is not None


def test_a_copied_scene_gets_its_own_names_when_built(scene):
    actions.load_spec(scene, small_spec())
    assert bpy.ops.scene.new(type="FULL_COPY") == {"FINISHED"}
    copy = bpy.context.scene
    assert copy != scene and copy.pyn.view_id == scene.pyn.view_id
    actions.build(copy)
    assert copy.pyn.view_id != scene.pyn.view_id
    mine = {ob.name for ob in view.population_objects(copy)}
    assert mine == {view.object_name("thalamus", copy), view.object_name("cortex", copy)}
    assert all(n in copy.objects and n not in scene.objects for n in mine)
    assert {ob.name for ob in view.population_objects(scene)} == {view.object_name("thalamus", scene),
                                                                  view.object_name("cortex", scene)}
    assert copy.camera is not None and copy.camera.name in copy.objects
    assert not [c for c in copy.collection.children if c.name.startswith("pyN") and c != view.collection(copy)]


# -- the Izhikevich gallery: published patterns as the scene's bake ------------------------------

def test_gallery_scene_plays_the_published_patterns(scene):
    import importlib.util
    spec_ = importlib.util.spec_from_file_location("gallery_scene", ROOT / "scenes" / "izhikevich_gallery.py")
    gallery = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(gallery)
    gallery.build_scene(scene)
    bake = driver.usable_bake(scene, 400.0)
    assert bake is not None and bake.note == gallery.BAKE_NOTE
    assert len(view.population_objects(scene)) == 20
    assert view.helper_name("label bistability", scene) in scene.objects
    from pyn_core.models.izhikevich import PROTOCOLS
    scene.pyn.color_by = "voltage"
    for frame in (60, 231, 302):
        scene.frame_set(frame)
        t = frame - 1.0
        for name in ("bistability", "inhibition_induced_bursting", "tonic_bursting", "resonator"):
            dt, duration, current = PROTOCOLS[name]
            pop = pyn_core.IzhikevichPopulation(name=name, preset=name, N=1)
            res = pyn_core.Network([pop]).build(
                dt=dt, seed=0, backend="numpy", record={name: ["v"]},
                I_ext={name: [{"start": 0, "stop": duration, "mV": current, "neurons": [0]}]}).run(duration)[name]
            want = expected_activity(t, np.asarray(res.spike_times), np.zeros(len(res.spike_times), int), 1,
                                     4.0, 1.0)
            np.testing.assert_allclose(view.read_activity(name), want, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name}, frame {frame}")
            k = int(round(t / dt))
            v_want = np.clip((res.v[k, 0] + 70.0) / 100.0, 0, 1) if t < duration else 0.0
            np.testing.assert_allclose(view.read_voltage(name), [v_want], atol=2e-3, err_msg=f"{name}, {frame}")


def test_scenes_built_with_the_old_names_play_and_rebuild(scene):
    spec = small_spec()
    actions.load_spec(scene, spec)
    vid = scene.pyn.view_id
    # the names an earlier version of the add-on gave: pyN.<population>, pyN.camera, collection pyN
    for ob in list(view.collection(scene).objects):
        del ob[view.VIEW_KEY]
        ob.name = "pyN." + (ob[view.POP_KEY] if view.POP_KEY in ob else ob.name.split(":")[1])
    coll = view.collection(scene)
    del coll[view.VIEW_KEY]
    coll.name = "pyN"
    scene.pyn.view_id = ""
    assert view.population_object("thalamus").name == "pyN.thalamus"
    scene.frame_set(30)
    ref = reference_spikes(spec, 40.0)
    np.testing.assert_allclose(view.read_activity("thalamus"),
                               expected_activity(29.0, *ref["thalamus"], 20, 2.0, 1.0), rtol=1e-5, atol=1e-6)
    actions.build(scene)
    assert scene.pyn.view_id == vid and "pyN" not in bpy.data.collections
    assert not [ob for ob in bpy.data.objects if ob.name in ("pyN.thalamus", "pyN.cortex", "pyN.camera")]
    assert scene.camera.name == f"pyN.{vid}:camera" and view.population_object("thalamus").name == f"pyN.{vid}.thalamus"


def test_the_object_colour_lights_the_whole_population(scene, tmp_path):
    # a game engine that cannot refresh the per-neuron attribute sets the object colour instead
    # (the UPBGE component's "Object colour glow"): the material adds its red channel to every neuron's glow
    actions.add_population(scene, "quiet", N=8)
    actions.build(scene)
    ob = view.population_object("quiet")
    assert tuple(ob.color) == (0.0, 0.0, 0.0, 1.0)             # as built: no glow of its own
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 1
    scene.cycles.device = "CPU"
    scene.render.resolution_x, scene.render.resolution_y = 48, 32
    dark = _render(scene, tmp_path / "dark.png").mean()
    ob.color = (0.8, 0.8, 0.8, 1.0)
    lit = _render(scene, tmp_path / "lit.png").mean()
    assert lit > 2 * dark + 0.01, (dark, lit)
