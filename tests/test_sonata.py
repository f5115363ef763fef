"""SONATA spike files: pyN's writer read back with h5py itself and with our reader; files written the way
NEST and BMTK write them; bad files refused with the dataset named; atomic, no silent overwrite."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from pyn_core import (IzhikevichPopulation, LIFPopulation, MissingPackage, Network, PoissonPopulation,  # noqa: E402
                      PynValueError, read_sonata_spikes, read_spikes)
from pyn_core.formats.sonata import read_sonata_nodes  # noqa: E402


@pytest.fixture(scope="module")
def run():
    net = Network([LIFPopulation("exc", N=12, tau_m=10.0), IzhikevichPopulation("izh", N=5),
                   LIFPopulation("silent", N=3), PoissonPopulation("noise", N=8, rate=80.0)], name="four")
    net.add_current("exc", 15.0, neurons=list(range(8)))      # the last 4 neurons of exc stay silent
    net.add_current("izh", 10.0)
    net.connect("noise", "exc", rule="all_to_all", weight=1.0)
    res = net.build(dt=0.1, seed=7, backend="numpy").run(80.0)
    assert res["exc"].spike_times.size and res["izh"].spike_times.size and res["noise"].spike_times.size
    assert res["silent"].spike_times.size == 0 and set(res["exc"].spike_ids) <= set(range(8))
    return res


def test_what_we_write_is_sonata_as_h5py_reads_it(run, tmp_path):
    path = run.to_sonata(tmp_path / "spikes.h5")
    with h5py.File(path, "r") as f:
        assert list(f["spikes"]) == ["exc", "izh", "silent", "noise"]
        assert f.attrs["magic"] == 0x0A7A
        for pop in run:
            g = f["spikes"][pop.name]
            assert g.attrs["sorting"] == "by_time" and int(g.attrs["n_nodes"]) == pop.N
            ts, ids = g["timestamps"], g["node_ids"]
            assert ts.dtype == np.float64 and ids.dtype == np.uint64 and ts.attrs["units"] == "ms"
            t, i = ts[()], ids[()].astype(np.int64)
            assert np.all(np.diff(t) >= 0)
            # the same spikes as the run, neuron by neuron
            for n in range(pop.N):
                np.testing.assert_array_equal(t[i == n], pop.spike_times[pop.spike_ids == n])


def test_round_trip_through_our_reader(run, tmp_path):
    back = read_sonata_spikes(run.to_sonata(tmp_path / "spikes.h5"))
    assert back.names == run.names and back.dt == run.dt and back.duration == run.duration
    assert back.seed == run.seed and back.meta["source"]["format"] == "sonata"
    for pop in run:
        assert back[pop.name].N == pop.N
        order = np.lexsort((pop.spike_ids, pop.spike_times))
        np.testing.assert_array_equal(back[pop.name].spike_times, pop.spike_times[order])
        np.testing.assert_array_equal(back[pop.name].spike_ids, pop.spike_ids[order])
    assert read_spikes(tmp_path / "spikes.h5")["izh"].spike_times.size == run["izh"].spike_times.size
    only = read_sonata_spikes(tmp_path / "spikes.h5", populations=["silent"])
    assert only.names == ["silent"] and only["silent"].N == 3


def test_sorted_by_node_id_when_asked(run, tmp_path):
    path = run.to_sonata(tmp_path / "by_id.h5", sorting="by_id")
    with h5py.File(path, "r") as f:
        g = f["spikes/exc"]
        ids, t = g["node_ids"][()].astype(np.int64), g["timestamps"][()]
        assert g.attrs["sorting"] == "by_id" and np.all(np.diff(ids) >= 0)
        assert all(np.all(np.diff(t[ids == n]) >= 0) for n in np.unique(ids))
    assert read_sonata_spikes(path)["exc"].spike_times.size == run["exc"].spike_times.size
    with pytest.raises(PynValueError, match="sorting must be one of by_time, by_id, none"):
        run.to_sonata(tmp_path / "x.h5", sorting="by_rate")


def nest_like_file(path, rng):
    """Spikes as NEST's SONATA output holds them: per population, unsorted (threads), ms, no pyN attributes."""
    spikes = {}
    with h5py.File(path, "w") as f:
        root = f.create_group("spikes")
        for name, n in (("E", 40), ("I", 10)):
            ids = rng.integers(0, n, size=300).astype(np.uint64)
            t = np.round(rng.uniform(0.0, 500.0, size=300), 1)
            g = root.create_group(name)
            g.attrs["sorting"] = "none"
            g.create_dataset("timestamps", data=t).attrs["units"] = "ms"
            g.create_dataset("node_ids", data=ids)
            spikes[name] = (t, ids.astype(np.int64))
    return spikes


def nodes_file(path, sizes, rng):
    """A SONATA nodes file: two node groups per population, positions in x, y, z."""
    xyz = {}
    with h5py.File(path, "w") as f:
        for name, n in sizes.items():
            g = f.create_group(f"nodes/{name}")
            g.create_dataset("node_type_id", data=np.zeros(n, dtype=np.int64))
            group_id = (np.arange(n) % 2).astype(np.int64)            # interleaved groups 0 and 1
            g.create_dataset("node_group_id", data=group_id)
            index = np.zeros(n, dtype=np.int64)
            for k in (0, 1):
                index[group_id == k] = np.arange((group_id == k).sum())
            g.create_dataset("node_group_index", data=index)
            pos = rng.normal(size=(n, 3)) * 100.0
            for k in (0, 1):
                sub = g.create_group(str(k))
                for c, col in zip("xyz", pos[group_id == k].T):
                    sub.create_dataset(c, data=col)
            xyz[name] = pos
    return xyz


def test_a_file_written_as_nest_writes_it(tmp_path):
    rng = np.random.default_rng(3)
    spikes = nest_like_file(tmp_path / "nest.h5", rng)
    res = read_sonata_spikes(tmp_path / "nest.h5")
    assert res.names == ["E", "I"] and res.dt == 0.1 and res.seed is None
    assert res.meta["source"]["sorting"] == {"E": "none", "I": "none"}
    for name, (t, ids) in spikes.items():
        pop = res[name]
        assert pop.N == ids.max() + 1          # without a nodes file: the largest node id + 1
        assert np.all(np.diff(pop.spike_times) >= 0)
        assert sorted(zip(pop.spike_times.tolist(), pop.spike_ids.tolist())) == sorted(zip(t.tolist(), ids.tolist()))
    assert res.duration == max(t.max() for t, _ in spikes.values())
    # with the network's nodes file: the sizes and positions of every population
    xyz = nodes_file(tmp_path / "nodes.h5", {"E": 50, "I": 12}, rng)
    res = read_sonata_spikes(tmp_path / "nest.h5", nodes=tmp_path / "nodes.h5", dt=0.25)
    assert res["E"].N == 50 and res["I"].N == 12 and res.dt == 0.25
    np.testing.assert_array_equal(res.meta["positions"]["E"], xyz["E"])
    from pyn_core.formats import positions_of
    np.testing.assert_array_equal(positions_of(res)["I"], xyz["I"])
    assert read_sonata_nodes(tmp_path / "nodes.h5")["I"]["N"] == 12


def test_the_older_bmtk_layout_seconds_and_an_enum_sorting(tmp_path):
    with h5py.File(tmp_path / "old.h5", "w") as f:
        root = f.create_group("spikes")
        enum = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="u1")
        root.attrs.create("sorting", 2, dtype=enum)
        root.create_dataset("gids", data=np.array([3, 0, 1], dtype=np.uint32))
        root.create_dataset("timestamps", data=np.array([0.0015, 0.002, 0.004])).attrs["units"] = "s"
    res = read_sonata_spikes(tmp_path / "old.h5")
    assert res.names == ["default"] and res["default"].N == 4
    np.testing.assert_allclose(res["default"].spike_times, [1.5, 2.0, 4.0])
    np.testing.assert_array_equal(res["default"].spike_ids, [3, 0, 1])
    assert res.meta["source"]["sorting"] == {"default": "by_time"}


def bad_file(path, **datasets):
    with h5py.File(path, "w") as f:
        g = f.create_group("spikes/p")
        for k, v in datasets.items():
            ds = g.create_dataset(k, data=v[0] if isinstance(v, tuple) else v)
            if isinstance(v, tuple):
                ds.attrs["units"] = v[1]
    return path


@pytest.mark.parametrize("datasets, message", [
    ({"timestamps": [1.0, 2.0], "node_ids": [0]}, "2 timestamps but 1 node ids"),
    ({"timestamps": [1.0, np.nan], "node_ids": [0, 1]}, "timestamps must be finite"),
    ({"timestamps": [1.0], "node_ids": [-1]}, "node ids must be >= 0"),
    ({"timestamps": [1.0], "node_ids": [0.5]}, "node ids must be whole numbers"),
    ({"timestamps": ([1.0], "minutes"), "node_ids": [0]}, "units 'minutes'; allowed: ms or s"),
    ({"timestamps": [1.0]}, "needs the datasets timestamps and node_ids"),
])
def test_bad_files_are_refused_naming_the_dataset(tmp_path, datasets, message):
    path = bad_file(tmp_path / "bad.h5", **datasets)
    with pytest.raises(PynValueError, match=message) as err:
        read_sonata_spikes(path)
    assert "/spikes/p" in str(err.value)


def test_files_that_are_not_spike_files(tmp_path, run):
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(PynValueError, match="not an HDF5 file"):
        read_sonata_spikes(tmp_path / "text.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_group("nodes")
    with pytest.raises(PynValueError, match="no /spikes group"):
        read_sonata_spikes(tmp_path / "other.h5")
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f.create_group("spikes")
    with pytest.raises(PynValueError, match="holds no spike populations"):
        read_sonata_spikes(tmp_path / "empty.h5")
    path = run.to_sonata(tmp_path / "s.h5")
    with pytest.raises(PynValueError, match=r"no spikes of population\(s\) \['inh'\]; it has: exc, izh"):
        read_sonata_spikes(path, populations=["inh"])
    with pytest.raises(PynValueError, match="no such file or folder"):
        read_spikes(tmp_path / "missing.h5")


def test_no_silent_overwrite_and_nothing_half_written(run, tmp_path, monkeypatch):
    path = tmp_path / "s.h5"
    run.to_sonata(path)
    before = path.read_bytes()
    with pytest.raises(PynValueError, match="exists already; pass overwrite=True"):
        run.to_sonata(path)
    assert path.read_bytes() == before
    run.to_sonata(path, overwrite=True, sorting="by_id")
    with h5py.File(path, "r") as f:
        assert f["spikes/exc"].attrs["sorting"] == "by_id"

    real = h5py.Group.create_dataset

    def fail_midway(self, name, *args, **kwargs):
        if self.name == "/spikes/silent":
            raise KeyboardInterrupt        # stopped while writing the third population
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", fail_midway)
    with pytest.raises(KeyboardInterrupt):
        run.to_sonata(tmp_path / "new.h5")
    with pytest.raises(KeyboardInterrupt):
        run.to_sonata(path, overwrite=True)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["s.h5"]           # no new file, no partial file left
    with h5py.File(path, "r") as f:                            # the old file is intact
        assert f["spikes/exc"].attrs["sorting"] == "by_id"


def test_without_h5py_a_clear_message(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(MissingPackage, match=r"the SONATA format needs the 'h5py' package: pip install 'pyn_core\[sonata\]'"):
        run.to_sonata(tmp_path / "s.h5")
    assert not os.listdir(tmp_path)


def test_pyn_export_writes_sonata_from_a_saved_run_and_converts_other_files(run, tmp_path, capsys):
    from pyn_core.__main__ import main
    folder = run.save(tmp_path / "runs")
    out = tmp_path / "spikes.h5"
    assert main(["export", folder, "--sonata", str(out)]) == 0
    assert f"sonata: {out}" in capsys.readouterr().out
    back = read_sonata_spikes(out)
    assert [p.spike_times.size for p in back] == [p.spike_times.size for p in run]
    # a file in place: refused, one line, status 2; --force replaces it
    with pytest.raises(SystemExit) as stop:
        main(["export", folder, "--sonata", str(out)])
    assert stop.value.code == 2 and "exists already; pass --force" in capsys.readouterr().err
    assert main(["export", folder, "--sonata", str(out), "--force", "--sorting", "by_id"]) == 0
    with h5py.File(out, "r") as f:
        assert f["spikes/exc"].attrs["sorting"] == "by_id"
    # another simulator's spike file converted
    nest_like_file(tmp_path / "nest.h5", np.random.default_rng(0))
    assert main(["export", str(tmp_path / "nest.h5"), "--sonata", str(tmp_path / "again.h5")]) == 0
    assert read_sonata_spikes(tmp_path / "again.h5").names == ["E", "I"]
    for bad, message in ((["export", folder], "give at least one of --nwb FILE, --sonata FILE"),
                         (["export", str(tmp_path / "nope"), "--sonata", str(tmp_path / "n.h5")],
                          "no such file or folder")):
        with pytest.raises(SystemExit) as stop:
            main(bad)
        assert stop.value.code == 2 and message in capsys.readouterr().err
