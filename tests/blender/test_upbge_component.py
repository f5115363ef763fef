"""The UPBGE component, driven by a stand-in ``bge`` module (UPBGE cannot be installed here)."""
import importlib
import json
import math
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

pyn_core = pytest.importorskip("pyn_core")

ROOT = Path(__file__).resolve().parents[2]


class FakeComponent:
    """What UPBGE's KX_PythonComponent gives a component: its owner as ``self.object``."""

    def __init__(self, owner):
        self.object = owner


class FakeAttributeData(list):
    def foreach_set(self, name, values):
        assert name == "value"
        self[:] = list(np.asarray(values, dtype=float))


class FakeMesh:
    def __init__(self, n):
        attr = types.SimpleNamespace(data=FakeAttributeData([0.0] * n))
        self.attributes = {"activity": attr}
        self.tags = 0

    def update_tag(self):
        self.tags += 1


class FakeObjects(dict):
    """UPBGE's object list: looked up by name, iterated over the objects."""

    def __iter__(self):
        return iter(list(self.values()))


def game_object(name, n=None, scene=None):
    blender_object = types.SimpleNamespace(data=FakeMesh(n) if n else None)
    return types.SimpleNamespace(name=name, blenderObject=blender_object, color=[0, 0, 0, 1], scene=scene)


@pytest.fixture
def component(monkeypatch):
    fake_bge = types.ModuleType("bge")
    fake_bge.types = types.SimpleNamespace(KX_PythonComponent=FakeComponent)
    monkeypatch.setitem(sys.modules, "bge", fake_bge)
    sys.modules.pop("blender_addon.upbge.component", None)
    module = importlib.import_module("blender_addon.upbge.component")
    yield module
    sys.modules.pop("blender_addon.upbge.component", None)


def network_spec():
    A = pyn_core.IzhikevichPopulation("thalamus", N=12, preset="tonic_spiking")
    B = pyn_core.IzhikevichPopulation("cortex", N=6, preset="phasic_bursting")
    net = pyn_core.Network([A, B], name="game")
    net.connect("thalamus", "cortex", scale=8.0)
    net.add_current("thalamus", amplitude=15.0, start=2.0, stop=50.0, neurons=[0, 1, 2, 3])
    spec = net.to_spec()
    spec["settings"].update(dt=0.5, seed=2, stdp=False)
    return spec


def test_start_and_update_light_the_population_objects(component, tmp_path):
    spec = network_spec()
    path = tmp_path / "network.json"
    path.write_text(json.dumps(spec))
    scene = types.SimpleNamespace(objects=FakeObjects())
    scene.objects["pyN.thalamus"] = game_object("pyN.thalamus", 12, scene)
    scene.objects["pyN.cortex"] = game_object("pyN.cortex", None, scene)  # no attribute: colour only
    owner = game_object("Empty", None, scene)
    comp = component.PynNetwork(owner)
    args = dict(component.PynNetwork.args)
    args.update({"Spec": str(path), "ms per tick": 2.0, "Glow decay (ticks)": 2.0})
    comp.start(args)
    for _ in range(20):
        comp.update()
    assert comp.runtime.t == pytest.approx(40.0)
    mesh = scene.objects["pyN.thalamus"].blenderObject.data
    assert mesh.tags == 20
    got = np.array(mesh.attributes["activity"].data)
    res = pyn_core.Network.from_spec(spec).build().run(40.0)
    times, ids = res["thalamus"].spike_times, res["thalamus"].spike_ids
    assert times.size > 0
    want = np.zeros(12)
    for i in range(12):
        s = times[(ids == i) & (times < 40.0 - 1e-9)]
        if s.size:
            g = math.exp(-(40.0 - s.max()) / (2.0 * 2.0))
            want[i] = g if g >= 1 / 256 else 0.0
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    cortex_colour = scene.objects["pyN.cortex"].color
    assert len(cortex_colour) == 4 and 0.0 <= cortex_colour[0] <= 1.0


def test_missing_objects_are_skipped_and_bad_specs_refused(component, tmp_path):
    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_spec()))
    scene = types.SimpleNamespace(objects=FakeObjects())
    comp = component.PynNetwork(game_object("Empty", None, scene))
    comp.start({"Spec": str(path), "ms per tick": 1.0, "Glow decay (ticks)": 3.0, "Object prefix": "pyN."})
    comp.update()  # nothing to light, but the network runs
    assert comp.runtime.t == pytest.approx(1.0)
    path.write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not a pyN network spec"):
        comp.start({"Spec": str(path)})


def test_relative_spec_path_is_beside_the_blend(component, tmp_path):
    (tmp_path / "net.json").write_text(json.dumps(network_spec()))
    spec = component.load_spec("//net.json", str(tmp_path))
    assert spec["name"] == "game"


def test_component_type_checks_against_the_bge_stubs():
    pytest.importorskip("mypy")
    import importlib.util
    if importlib.util.find_spec("bge-stubs") is None and not any(
            (Path(p) / "bge-stubs").is_dir() for p in sys.path if p):
        pytest.skip("fake-bge-module (bge stubs) is not installed")
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                          "--no-error-summary", "blender_addon/upbge/component.py"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_default_names_and_voltage_levels(component, tmp_path):
    spec = network_spec()
    spec["view"] = {"color_by": "voltage"}
    path = tmp_path / "network.json"
    path.write_text(json.dumps(spec))
    scene = types.SimpleNamespace(objects=FakeObjects())
    for name, n in (("thalamus", 12), ("cortex", 6)):
        scene.objects[f"pyN.Scene.{name}"] = game_object(f"pyN.Scene.{name}", n, scene)
        mesh = scene.objects[f"pyN.Scene.{name}"].blenderObject.data
        mesh.attributes["voltage"] = types.SimpleNamespace(data=FakeAttributeData([0.0] * n))
    scene.objects["pyN.Scene:camera"] = game_object("pyN.Scene:camera", None, scene)
    comp = component.PynNetwork(game_object("Empty", None, scene))
    comp.start({"Spec": str(path), "ms per tick": 1.0, "Glow decay (ticks)": 3.0, "Object prefix": ""})
    assert [ob.name for _, ob in comp.targets] == ["pyN.Scene.thalamus", "pyN.Scene.cortex"]
    for _ in range(15):
        comp.update()
    got = np.array(scene.objects["pyN.Scene.thalamus"].blenderObject.data.attributes["voltage"].data)
    v = comp.runtime.sim.state("thalamus", "v")
    np.testing.assert_allclose(got, np.clip((v + 70.0) / 100.0, 0, 1), atol=1e-6)
    assert got.max() > 0.0
    # an explicit prefix still names the objects directly
    assert component.find_object(scene.objects, "cortex", "pyN.Scene.").name == "pyN.Scene.cortex"


def test_object_colour_glow_lights_objects_whose_attribute_the_game_cannot_show(component, tmp_path):
    spec = network_spec()
    path = tmp_path / "network.json"
    path.write_text(json.dumps(spec))
    scene = types.SimpleNamespace(objects=FakeObjects())
    scene.objects["pyN.thalamus"] = game_object("pyN.thalamus", 12, scene)
    scene.objects["pyN.cortex"] = game_object("pyN.cortex", 6, scene)
    before = list(scene.objects["pyN.thalamus"].color)
    comp = component.PynNetwork(game_object("Empty", None, scene))
    args = dict(component.PynNetwork.args)
    assert args["Object colour glow"] is False                   # off unless asked
    args.update({"Spec": str(path), "ms per tick": 2.0, "Object colour glow": True})
    comp.start(args)
    for _ in range(20):
        comp.update()
    thal = scene.objects["pyN.thalamus"]
    mean = float(np.mean(np.array(thal.blenderObject.data.attributes["activity"].data)))
    assert mean > 0 and thal.color == pytest.approx([mean, mean, mean, 1.0])   # the attribute, and the colour
    assert list(thal.color) != before
