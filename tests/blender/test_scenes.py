"""The example scenes: their networks (no Blender needed) and a tiny headless render."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pyn_core = pytest.importorskip("pyn_core")

ROOT = Path(__file__).resolve().parents[2]


def load(name):
    spec = importlib.util.spec_from_file_location(f"scene_{name}", ROOT / "scenes" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_thalamocortical_is_the_readme_circuit():
    spec = load("thalamocortical").network_spec()
    net = pyn_core.Network.from_spec(spec)
    assert [(p.name, p.N) for p in net.populations] == [("thalamus", 100), ("cortex", 50)]
    pr = {(p["pre"], p["post"]): p for p in spec["projections"]}
    assert pr[("thalamus", "cortex")]["delay"] == 0.25 and pr[("thalamus", "cortex")]["delay_std"] == 0.05
    assert pr[("cortex", "thalamus")]["delay"] == 2.25 and pr[("cortex", "thalamus")]["delay_std"] == 0.25
    windows = sorted((s["start"], s["stop"], s["amplitude"], tuple(s["neurons"])) for s in spec["stimuli"])
    assert windows == [(10, 200, 20, (0,)), (50, 300, 30, (0, 1, 2))]
    assert spec["settings"]["dt"] == 0.25
    xyz = np.asarray(net.populations[0].positions)
    assert np.ptp(xyz[:, 2]) == 0 and np.ptp(xyz[:, 0]) == 9  # a flat 10 x 10 sheet
    # the cortex is the core's sphere layout: a ball of radius 3 above the sheet, filled evenly
    assert spec["populations"][1]["positions"]["layout"] == "sphere"
    ball = np.asarray(net.populations[1].positions) - [0.0, 0.0, 3.0]
    r = np.linalg.norm(ball, axis=1)
    assert r.max() <= 3.0 + 1e-9 and xyz[:, 2].max() < (ball[:, 2] + 3.0).min()
    assert 0.3 < np.mean(r < 3.0 * 0.5 ** (1 / 3)) < 0.7  # half the volume holds about half the neurons
    gaps = np.linalg.norm(ball[:, None] - ball[None], axis=2) + np.eye(50) * 99
    assert gaps.min() > 0.5  # no two neurons on top of each other
    res = net.build().run(100.0)
    assert res["thalamus"].spike_times.size > 0 and res["cortex"].spike_times.size > 0


def independent_run(name):
    """Pattern ``name`` alone with the published protocol (the callable) at its published step."""
    from pyn_core.models.izhikevich import PROTOCOLS
    dt, duration, current = PROTOCOLS[name]
    pop = pyn_core.IzhikevichPopulation(name=name, preset=name, N=1)
    sim = pyn_core.Network(populations=[pop]).build(
        dt=dt, seed=0, backend="numpy", record={name: ["v"]},
        I_ext={name: [{"start": 0, "stop": duration, "mV": current, "neurons": [0]}]})
    return sim.run(duration)[name], dt, duration


def test_gallery_tables_are_the_published_protocols():
    gallery = load("izhikevich_gallery")
    from pyn_core.models.izhikevich import PROTOCOLS
    spec = gallery.network_spec()
    names = [p["name"] for p in spec["populations"]]
    assert names == pyn_core.izhikevich_presets() and len(names) == 20
    assert all(p["N"] == 1 and p["preset"] == p["name"] for p in spec["populations"])
    assert len(spec["stimuli"]) == 20  # one table per pattern
    for s in spec["stimuli"]:
        dt, duration, current = PROTOCOLS[s["target"]]
        assert (s["start"], s["stop"]) == (0.0, duration)
        table = s["amplitude"]
        assert set(table) == {"times", "values"} and len(table["times"]) <= 25
        t = np.arange(int(round(duration / dt)) + 1) * dt
        want = np.asarray(np.broadcast_to(current(t), t.shape), dtype=float)
        np.testing.assert_allclose(np.interp(t, table["times"], table["values"]), want, rtol=0, atol=1e-12,
                                   err_msg=s["target"])
    assert pyn_core.Network.from_spec(spec).to_spec()["stimuli"] == spec["stimuli"]


def test_gallery_bake_is_each_pattern_run_alone_at_its_published_step():
    gallery = load("izhikevich_gallery")
    spec = gallery.network_spec()
    bake = gallery.published_bake(spec, "hash")
    assert bake.names == [p["name"] for p in spec["populations"]] and bake.t_end == 400.0
    assert bake.note and bake.voltage is not None and bake.voltage.values.shape == (401, 20)
    for gid, name in enumerate(bake.names):
        ref, dt, duration = independent_run(name)
        got = bake.record.times[bake.record.gids == gid]
        np.testing.assert_allclose(got, np.asarray(ref.spike_times), rtol=0, atol=1e-9, err_msg=name)
        # the potential at every frame of the protocol, NaN after its end
        frames = np.arange(401.0)
        inside = frames < duration
        k = np.rint(frames[inside] / dt).astype(int)
        np.testing.assert_allclose(bake.voltage.values[inside, gid], ref.v[k, 0], rtol=2e-3, atol=0.07,
                                   err_msg=name)
        assert np.isnan(bake.voltage.values[frames > duration, gid].astype(float)).all()
    # patterns that a single network step gets wrong come out as published
    count = {n: int((bake.record.gids == i).sum()) for i, n in enumerate(bake.names)}
    assert count["bistability"] == 5 and count["inhibition_induced_bursting"] == 12
    assert count["tonic_spiking"] == 5 and count["phasic_spiking"] == 1


@pytest.mark.requires_bpy
def test_render_scene_cli_renders_a_frame(tmp_path):
    pytest.importorskip("bpy")
    out = tmp_path / "tc.png"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_scene.py"), "scenes/thalamocortical.py",
                          "--frame", "40", "--out", str(out), "--size", "80x50", "--samples", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert out.exists() and out.stat().st_size > 1000


@pytest.mark.requires_bpy
def test_render_scene_cli_renders_an_animation_that_changes(tmp_path):
    pytest.importorskip("bpy")
    out = tmp_path / "frames"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_scene.py"), "scenes/izhikevich_gallery.py",
                          "--frames", "42-45", "--out", str(out), "--size", "60x52", "--samples", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    frames = sorted(out.glob("frame_*.png"))
    assert [f.name for f in frames] == [f"frame_{i:04d}.png" for i in range(42, 46)]
    # phasic spiking fires at 43.4 ms: frame 45 (44 ms) is brighter than frame 42 (41 ms)
    first, last = (_pixels(f) for f in (frames[0], frames[-1]))
    assert last.sum() > first.sum() + 1.0


def _pixels(path):
    import bpy
    img = bpy.data.images.load(str(path))
    px = np.array(img.pixels[:], dtype=np.float32)
    bpy.data.images.remove(img)
    return px


def test_imported_spikes_scene_files_are_nest_style_sonata(tmp_path):
    h5py = pytest.importorskip("h5py")
    scene = load("imported_spikes")
    spikes, nodes = scene.write_nest_files(str(tmp_path))
    with h5py.File(spikes, "r") as f:
        assert sorted(f["spikes"]) == ["E", "I"]
        g = f["spikes/E"]
        assert g.attrs["sorting"] == "none" and g["timestamps"].attrs["units"] == "ms"
        assert g["node_ids"].dtype == np.uint64 and np.any(np.diff(g["timestamps"][()]) < 0)   # thread order
    res = pyn_core.read_sonata_spikes(spikes, nodes=nodes)
    assert [res[p].N for p in ("E", "I")] == [800, 200]
    rates = {p: res[p].rate(scene.T_MS) for p in ("E", "I")}
    assert 10.0 < rates["E"] < 20.0 and rates["I"] > rates["E"]      # background plus two waves of bursts
    # the wave: neurons firing between 100 and 110 ms sit about 0.6 units/ms * (t - 40) from the left edge
    e = res["E"]
    window = (e.spike_times > 100.0) & (e.spike_times < 110.0)
    x = res.meta["positions"]["E"][e.spike_ids[window], 0]
    assert abs(np.median(x) - (-30.0 + 0.6 * (105.0 - 40.0))) < 4.0


@pytest.mark.requires_bpy
def test_imported_spikes_scene_plays_the_file(tmp_path):
    bpy = pytest.importorskip("bpy")
    pytest.importorskip("h5py")
    import blender_addon
    from blender_addon import driver, view
    blender_addon.register()
    try:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        scene = bpy.context.scene
        load("imported_spikes").build_scene(scene)
        bake = driver.usable_bake(scene)
        assert bake is not None and bake.note == "imported from spikes.h5 (sonata)" and bake.sizes == [800, 200]
        assert (scene.frame_start, scene.frame_end) == (1, 401)
        assert tuple(round(c, 2) for c in scene.pyn.populations[0].color) == (0.15, 0.55, 1.0)
        scene.frame_set(110)
        lit = view.read_activity("E") > 0.3
        co = np.empty(800 * 3, dtype=np.float32)
        view.population_object("E").data.vertices.foreach_get("co", co)
        x = co.reshape(-1, 3)[lit, 0]
        assert lit.sum() > 50 and abs(np.median(x) - (-30.0 + 0.6 * (105.0 - 40.0))) < 5.0   # the wave front
    finally:
        blender_addon.unregister()


def test_render_scene_movie_encodes_the_frames_it_rendered_once(tmp_path):
    bpy = pytest.importorskip("bpy")
    out = tmp_path / "frames"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_scene.py"), "scenes/izhikevich_gallery.py",
                          "--frames", "42-44", "--out", str(out), "--size", "60x52", "--samples", "1", "--movie"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    log = run.stdout + run.stderr
    assert log.count("Saved: ") == 3 and log.count("Video append frame") == 3
    movie, = out.glob("izhikevich_gallery_*.mp4")
    clip = bpy.data.movieclips.load(str(movie))
    assert clip.frame_duration == 3 and tuple(clip.size) == (60, 52)
    # the movie is made of those frames: only the sequencer of a scratch scene renders, not the 3D scene
    spec = importlib.util.spec_from_file_location("render_scene", ROOT / "scripts" / "render_scene.py")
    render_scene = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_scene)
    rendered = []

    def seen(scene, *_):
        rendered.append(scene.name)

    bpy.app.handlers.render_init.append(seen)
    try:
        scene = bpy.data.scenes.new("3d")
        scene.render.resolution_x, scene.render.resolution_y = 60, 52
        again = render_scene.encode_movie(scene, out, 42, 44, "again")
    finally:
        bpy.app.handlers.render_init.remove(seen)
    assert set(rendered) == {"pyN movie"} and "pyN movie" not in bpy.data.scenes
    assert bpy.data.movieclips.load(str(again)).frame_duration == 3
