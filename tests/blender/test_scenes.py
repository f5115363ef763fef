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
    res = net.build().run(100.0)
    assert res["thalamus"].spike_times.size > 0 and res["cortex"].spike_times.size > 0


def test_gallery_follows_the_published_protocols():
    gallery = load("izhikevich_gallery")
    from pyn_core.models.izhikevich import PROTOCOLS
    spec = gallery.network_spec()
    names = [p["name"] for p in spec["populations"]]
    assert names == pyn_core.izhikevich_presets() and len(names) == 20
    assert all(p["N"] == 1 and p["preset"] == p["name"] for p in spec["populations"])
    # the windows reproduce each protocol's current at every step (ramps within the tolerance)
    dt = gallery.DT
    for name in names:
        _, duration, current = PROTOCOLS[name]
        t = np.arange(int(round(duration / dt))) * dt
        want = np.asarray(np.broadcast_to(current(t), t.shape), dtype=float)
        got = np.zeros_like(t)
        for s in spec["stimuli"]:
            if s["target"] == name:
                got[(t >= s["start"] - 1e-9) & (t <= s["stop"] + 1e-9)] += s["amplitude"]
        assert np.max(np.abs(got - want)) <= gallery.RAMP_TOLERANCE + 1e-9, name
    # and the neurons do what their names say where the shared step allows it
    res = pyn_core.Network.from_spec(spec).build().run(400.0)
    count = {n: res[n].spike_times.size for n in names}
    assert count["tonic_spiking"] >= 4 and count["phasic_spiking"] == 1 and count["rebound_burst"] >= 3


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
