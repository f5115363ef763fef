"""Another simulator's spikes played in real Blender: a pyN run's folder, a SONATA file as NEST writes it and an
NWB file become a bake of placeholder neurons at the right positions, lit at the right frames."""
import math
import os

import numpy as np
import pytest

pytestmark = pytest.mark.requires_bpy
bpy = pytest.importorskip("bpy")
pyn_core = pytest.importorskip("pyn_core")
h5py = pytest.importorskip("h5py")

from blender_addon import actions, driver, spike_import, view  # noqa: E402

FLOOR = 1.0 / 256.0


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A saved pyN run of two active populations."""
    net = pyn_core.Network([pyn_core.PoissonPopulation("inp", N=15, rate=60.0),
                            pyn_core.LIFPopulation("exc", N=10, tau_m=10.0,
                                                   positions={"layout": "sphere", "radius": 3.0,
                                                              "center": [0, 0, 8]})], name="to import")
    net.connect("inp", "exc", rule="all_to_all", weight=6.0)
    res = net.build(dt=0.1, seed=4, backend="numpy").run(60.0)
    assert res["inp"].spike_times.size and res["exc"].spike_times.size
    return res, res.save(tmp_path_factory.mktemp("runs"))


def activity_at(frame_ms, times, ids, n, decay_ms):
    out = np.zeros(n)
    for i in range(n):
        s = times[(ids == i) & (times < frame_ms - 1e-9)]
        if s.size:
            g = math.exp(-(frame_ms - s.max()) / decay_ms)
            out[i] = g if g >= FLOOR else 0.0
    return out


def check_playback(scene, res, frames):
    pyn = scene.pyn
    decay = pyn.glow_decay_frames * pyn.ms_per_frame
    for f in frames:
        scene.frame_set(f)
        t = (f - pyn.start_frame) * pyn.ms_per_frame
        for pop in res:
            times = np.rint(pop.spike_times / res.dt) * res.dt        # on the file's steps
            want = activity_at(t, times, pop.spike_ids, pop.N, decay)
            np.testing.assert_allclose(view.read_activity(pop.name), want, rtol=1e-5, atol=1e-6,
                                       err_msg=f"frame {f}, {pop.name}")


def positions(name, n):
    co = np.empty(n * 3, dtype=np.float32)
    view.population_object(name).data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def test_a_pyn_run_plays_like_its_bake(scene, run):
    res, folder = run
    bake = actions.import_spikes(scene, folder)
    assert bake.names == ["inp", "exc"] and bake.note == f"imported from {os.path.basename(folder)} (pyn)"
    assert driver.usable_bake(scene) is bake and spike_import.imported_bake(scene) is bake
    assert len(bake.record) == sum(p.spike_times.size for p in res)
    assert scene.frame_end >= scene.pyn.start_frame + res.duration / scene.pyn.ms_per_frame - 1
    # the run's own positions (from its saved network)
    np.testing.assert_allclose(positions("exc", 10), pyn_core.formats.positions_of(res)["exc"], atol=1e-5)
    check_playback(scene, res, [1, 5, 12, 30, 61, 20])
    # baking again would replace the spikes with the placeholders' silence: refused, with the reason
    with pytest.raises(RuntimeError, match="^Error: the scene plays spikes imported from"):
        bpy.ops.pyn.bake()           # an error report, not a traceback
    with pytest.raises(pyn_core.PynValueError, match="plays spikes imported from"):
        actions.bake(scene)
    assert driver.usable_bake(scene) is bake


def nest_file(path, rng):
    """Two populations as NEST's SONATA output holds them (thread order, sorting none, ms)."""
    truth = {}
    with h5py.File(path, "w") as f:
        for name, n, rate in (("E", 40, 30.0), ("I", 10, 60.0)):
            count = rng.poisson(n * rate * 0.2)
            t = np.round(rng.uniform(0.0, 200.0, count), 1)
            ids = rng.integers(0, n, count)
            g = f.create_group(f"spikes/{name}")
            g.attrs["sorting"] = "none"
            g.create_dataset("timestamps", data=t).attrs["units"] = "ms"
            g.create_dataset("node_ids", data=ids.astype(np.uint64))
            truth[name] = (t, ids, n)
    return truth


def test_a_sonata_file_as_nest_writes_it_with_positions_from_a_csv(scene, tmp_path):
    rng = np.random.default_rng(5)
    truth = nest_file(tmp_path / "spikes.h5", rng)
    sizes = {k: int(ids.max()) + 1 for k, (t, ids, n) in truth.items()}
    xyz = {k: rng.normal(size=(n, 3)) * 5 for k, n in sizes.items()}
    lines = ["population,index,x,y,z"] + [f"{k},{i},{x},{y},{z}" for k in xyz for i, (x, y, z) in enumerate(xyz[k])]
    (tmp_path / "pos.csv").write_text("\n".join(lines) + "\n")
    scene.pyn.ms_per_frame = 2.0
    bake = actions.import_spikes(scene, tmp_path / "spikes.h5", positions=tmp_path / "pos.csv")
    assert bake.note == "imported from spikes.h5 (sonata)" and bake.record.dt == pytest.approx(0.1)
    for k in xyz:
        np.testing.assert_allclose(positions(k, sizes[k]), xyz[k], atol=1e-4)
    res = pyn_core.read_sonata_spikes(tmp_path / "spikes.h5")
    check_playback(scene, res, [1, 10, 40, 101, 70])
    assert scene.frame_end == scene.pyn.start_frame + math.ceil(bake.t_end / 2.0)


def test_a_sonata_file_without_positions_gets_a_layout_side_by_side(scene, tmp_path):
    nest_file(tmp_path / "spikes.h5", np.random.default_rng(1))
    actions.import_spikes(scene, tmp_path / "spikes.h5", layout="grid")
    e, i = positions("E", 40), positions("I", 10)
    assert e[:, 0].max() < i[:, 0].min()            # the second population beside the first, not on it
    assert bpy.ops.pyn.import_spikes(filepath=str(tmp_path / "spikes.h5"), layout="sphere") == {"FINISHED"}
    assert driver.usable_bake(scene).note.startswith("imported from spikes.h5")


def test_an_nwb_file(scene, run, tmp_path):
    pytest.importorskip("pynwb")
    res, _ = run
    path = res.to_nwb(tmp_path / "run.nwb")
    bake = actions.import_spikes(scene, path)
    assert bake.note == "imported from run.nwb (nwb)" and bake.names == ["inp", "exc"]
    np.testing.assert_allclose(positions("exc", 10), pyn_core.formats.positions_of(res)["exc"], atol=1e-5)
    check_playback(scene, res, [3, 25, 50])


@pytest.mark.parametrize("rows, message", [
    (["population,index,x,y,z", "E,0,1,2"], "row 2: 5 values"),
    (["population,index,x,y,z", "X,0,1,2,3"], "row 2: unknown population 'X'"),
    (["population,index,x,y,z", "E,99,1,2,3"], r"row 2: index 99 out of range for population 'E' \(0..39\)"),
    (["population,index,x,y,z", "E,0,1,nan,3"], "row 2: x, y, z must be finite"),
    (["population,index,x,y,z", "E,0,1,2,3", "E,0,1,2,3"], "row 3: neuron 0 of population 'E' is given twice"),
    (["population,index,x,y,z", "E,0,1,2,3"], "population 'E' has 40 neurons but the file gives 1"),
    (["pop,i,x,y,z", "E,0,1,2,3"], "the first row must be population,index,x,y,z"),
])
def test_bad_positions_files_name_the_row(scene, tmp_path, rows, message):
    truth = nest_file(tmp_path / "spikes.h5", np.random.default_rng(2))
    assert int(truth["E"][1].max()) + 1 == 40
    (tmp_path / "pos.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(pyn_core.PynValueError, match=message):
        actions.import_spikes(scene, tmp_path / "spikes.h5", positions=tmp_path / "pos.csv")
    # through the operator: a message (bpy raises an error report as "Error: <message>"), not a traceback
    with pytest.raises(RuntimeError, match="^Error: positions file"):
        bpy.ops.pyn.import_spikes(filepath=str(tmp_path / "spikes.h5"), positions=str(tmp_path / "pos.csv"))


def test_files_that_hold_no_spikes_are_reported(scene, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(pyn_core.PynValueError, match="not an HDF5 file"):
        actions.import_spikes(scene, tmp_path / "notes.txt")
    with pytest.raises(pyn_core.PynValueError, match="no such file or folder"):
        actions.import_spikes(scene, tmp_path / "missing.h5")
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f.create_group("spikes")
    with pytest.raises(RuntimeError, match="^Error: .*holds no spike populations"):
        bpy.ops.pyn.import_spikes(filepath=str(tmp_path / "empty.h5"))
    assert driver.stored_bake(scene) is None


def test_positions_from_a_sonata_nodes_file(scene, tmp_path):
    truth = nest_file(tmp_path / "spikes.h5", np.random.default_rng(8))
    rng = np.random.default_rng(9)
    xyz = {}
    with h5py.File(tmp_path / "nodes.h5", "w") as f:
        for name, n in (("E", 45), ("I", 12)):     # more nodes than the spikes name: the silent ones too
            g = f.create_group(f"nodes/{name}")
            g.create_dataset("node_type_id", data=np.zeros(n, dtype=np.int64))
            g.create_dataset("node_group_id", data=np.zeros(n, dtype=np.int64))
            g.create_dataset("node_group_index", data=np.arange(n))
            xyz[name] = rng.uniform(-20, 20, size=(n, 3))
            for c, col in zip("xyz", xyz[name].T):
                g.create_dataset(f"0/{c}", data=col)
    bake = actions.import_spikes(scene, tmp_path / "spikes.h5", positions=tmp_path / "nodes.h5")
    assert bake.sizes == [45, 12] and len(bake.record) == sum(t.size for t, _, _ in truth.values())
    for name in xyz:
        np.testing.assert_allclose(positions(name, xyz[name].shape[0]), xyz[name], atol=1e-4)
