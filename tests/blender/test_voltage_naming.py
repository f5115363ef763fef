"""Voltage levels, bakes that keep membrane potentials, and per-scene object names, without Blender."""
import doctest
import importlib

import numpy as np
import pytest

from blender_addon import naming
from blender_addon.voltage import VoltageSamples, model_range, network_ranges, voltage_level

pyn_core = pytest.importorskip("pyn_core")


@pytest.mark.parametrize("module", ["naming", "voltage", "glow", "spec_convert", "scene_data"])
def test_doctests_of_the_modules_without_blender(module):
    result = doctest.testmod(importlib.import_module(f"blender_addon.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# -- voltage levels ----------------------------------------------------------------------------

def test_model_ranges_are_rest_to_peak():
    izh = pyn_core.IzhikevichPopulation("i", N=2, preset="tonic_spiking")
    lo, hi = model_range(izh)
    assert lo.tolist() == [-70.0, -70.0] and hi.tolist() == [30.0, 30.0]
    lif = pyn_core.LIFPopulation("l", N=3, v_rest=-60.0, v_thresh=[-50.0, -45.0, -40.0])
    lo, hi = model_range(lif)
    assert lo.tolist() == [-60.0] * 3 and hi.tolist() == [-50.0, -45.0, -40.0]
    adex = pyn_core.AdExPopulation("a", N=1)
    lo, hi = model_range(adex)
    assert lo[0] == pytest.approx(-70.6) and hi[0] == pytest.approx(-40.0)
    lo, hi = model_range(pyn_core.HHPopulation("h", N=1))
    assert (lo[0], hi[0]) == (0.0, 100.0)
    src = pyn_core.PoissonPopulation("p", N=4, rate=10.0)
    lo, hi = model_range(src)
    assert np.isnan(lo).all() and np.isnan(hi).all()
    lo, hi = network_ranges([izh, src, lif])
    assert lo.size == 9 and np.isnan(lo[2:6]).all()


def test_voltage_level_clips_and_shows_missing_as_rest():
    lo, hi = np.full(5, -70.0), np.full(5, 30.0)
    level = voltage_level(np.array([-90.0, -70.0, -45.0, 80.0, np.nan]), lo, hi)
    assert level.dtype == np.float32
    np.testing.assert_allclose(level, [0.0, 0.0, 0.25, 1.0, 0.0])
    # a range given for all neurons
    np.testing.assert_allclose(voltage_level(np.array([-60.0]), -80.0, -40.0), [0.5])


def test_voltage_samples_round_trip_and_pick_the_nearest_frame():
    values = np.array([[-70.0, 0.0], [-65.0, 10.0], [-60.0, np.nan]])
    s = VoltageSamples(values, 2.0, [-70.0, -10.0], [30.0, 10.0])
    assert s.row(-5.0) == 0 and s.row(2.9) == 1 and s.row(3.1) == 2 and s.row(100.0) == 2
    np.testing.assert_allclose(s.level(2.0), [0.05, 1.0], atol=1e-3)
    np.testing.assert_allclose(s.level(4.0), [0.1, 0.0], atol=1e-3)  # NaN: shown as rest
    again = VoltageSamples.from_storage(s.to_storage(), 2)
    np.testing.assert_array_equal(again.values, s.values)
    assert again.every_ms == 2.0 and again.lo.tolist() == [-70.0, -10.0]
    with pytest.raises(ValueError, match="expected 3 x 3"):
        VoltageSamples.from_storage(s.to_storage(), 3)


def small_spec(dt=0.25):
    A = pyn_core.IzhikevichPopulation("A", N=6, preset="tonic_spiking")
    B = pyn_core.LIFPopulation("B", N=3)
    net = pyn_core.Network([A, B], name="v")
    net.connect("A", "B", scale=30.0)
    net.add_current("A", amplitude=15.0, start=5.0, stop=60.0, neurons=[0, 1, 2])
    spec = net.to_spec()
    spec["settings"].update(dt=dt, seed=1, stdp=False)
    return spec


def test_runtime_voltage_is_the_cores_state():
    from blender_addon.runtime import NetworkRuntime
    spec = small_spec()
    rt = NetworkRuntime(spec)
    rt.advance_to(23.0)
    v = rt.voltage()
    np.testing.assert_array_equal(v[:6], rt.sim.state("A", "v"))
    np.testing.assert_array_equal(v[6:], rt.sim.state("B", "v"))
    level = rt.voltage_level()
    np.testing.assert_allclose(level[:6], np.clip((v[:6] + 70.0) / 100.0, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(level[6:], np.clip((v[6:] + 65.0) / 15.0, 0, 1), rtol=1e-6)


def test_bake_keeps_the_potential_of_every_frame():
    from blender_addon.runtime import Bake, bake_network
    spec = small_spec()
    bake = bake_network(spec, 40.0, sample_ms=2.0, chunk_ms=7.0)
    assert bake.voltage is not None and bake.voltage.values.shape == (21, 9)
    res = pyn_core.Network.from_spec(spec).build(record={"A": ["v"], "B": ["v"]}).run(41.0)
    for i, t in enumerate(np.arange(21) * 2.0):
        k = int(round(t / 0.25))
        want = np.concatenate([res["A"].v[k], res["B"].v[k]])
        np.testing.assert_allclose(bake.voltage.values[i], want, atol=0.07)  # float16
    # spikes are the same as without samples, and the storage round trip keeps both
    plain = bake_network(spec, 40.0)
    assert plain.voltage is None
    np.testing.assert_array_equal(plain.record.steps, bake.record.steps)
    again = Bake.from_storage(bake.to_storage())
    np.testing.assert_array_equal(again.voltage.values, bake.voltage.values)
    np.testing.assert_array_equal(again.record.gids, bake.record.gids)
    # too many values: spikes only
    assert bake_network(spec, 40.0, sample_ms=2.0, max_voltages=100).voltage is None


def test_bakes_without_potentials_still_read():
    from blender_addon.runtime import Bake, bake_network
    data = bake_network(small_spec(), 10.0).to_storage()
    data.pop("note")
    assert Bake.from_storage(data).voltage is None


# -- names -------------------------------------------------------------------------------------

def test_view_ids_are_unique_and_names_unambiguous():
    taken = []
    for scene_name in ("Scene", "Scene", "Scene.001", "Scene_001", "a:b.c", ""):
        vid = naming.new_view_id(scene_name, taken)
        assert vid not in taken and "." not in vid and ":" not in vid and vid
        taken.append(vid)
    assert taken[:2] == ["Scene", "Scene_2"]
    names = {naming.object_name(v, p) for v in taken for p in ("x", "x.y", "camera", "Scene")}
    names |= {naming.helper_name(v, h) for v in taken for h in ("camera", "light", "connections")}
    assert len(names) == len(taken) * 7
    for v in taken:
        assert naming.view_id_of(naming.object_name(v, "x.y"), "x.y") == v
    assert naming.view_id_of("pyN.thalamus", "thalamus") == ""
    assert naming.view_id_of("pyN.Scene:camera", "camera") is None
