"""NWB export read back with pynwb itself (units table, traces and their units, metadata), checked by
pynwb's validator and nwbinspector, read back by our reader (ours and another's files); atomic writes."""
from __future__ import annotations

import datetime as dt
import json
import os
import sys

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb")

from pyn_core import (IzhikevichPopulation, LIFPopulation, MissingPackage, Network, PoissonPopulation,  # noqa: E402
                      PynValueError, read_nwb_spikes, read_spikes)
from pyn_core.formats import positions_of  # noqa: E402


def network():
    net = Network([LIFPopulation("exc", N=12, tau_m=10.0), IzhikevichPopulation("izh", N=5),
                   LIFPopulation("silent", N=3), PoissonPopulation("noise", N=8, rate=80.0)], name="four")
    net.add_current("exc", 25.0, neurons=list(range(8)))      # the last 4 neurons of exc stay silent
    net.add_current("izh", 10.0)
    net.connect("noise", "exc", rule="all_to_all", weight=1.0)
    return net


@pytest.fixture(scope="module")
def traced():
    res = network().build(dt=0.1, seed=7, backend="numpy",
                          record={"exc": ["v", "I_ext"], "izh": ["v", "u"]}).run(80.0)
    assert all(res[p].spike_times.size for p in ("exc", "izh", "noise")) and res["silent"].spike_times.size == 0
    return res


@pytest.fixture(scope="module")
def plain():
    return network().build(dt=0.25, seed=3, backend="numpy").run(60.0)


def read(path):
    io = pynwb.NWBHDF5IO(str(path), "r")
    return io, io.read()


@pytest.mark.parametrize("which", ["traced", "plain"])
def test_units_table_holds_every_neuron_and_its_spikes_in_seconds(which, request, tmp_path):
    res = request.getfixturevalue(which)
    path = res.to_nwb(tmp_path / "run.nwb")
    io, f = read(path)
    with io:
        units = f.units
        assert len(units) == sum(p.N for p in res)
        pops = list(units["population"][:])
        index = list(units["index"][:])
        positions = positions_of(res)
        for pop in res:
            rows = [i for i, p in enumerate(pops) if p == pop.name]
            assert [index[i] for i in rows] == list(range(pop.N))
            for n, row in enumerate(rows):
                np.testing.assert_allclose(units.get_unit_spike_times(row) * 1e3,
                                           pop.spike_times[pop.spike_ids == n], rtol=0, atol=1e-9)
                np.testing.assert_array_equal([units["x"][row], units["y"][row], units["z"][row]],
                                              positions[pop.name][n])
        assert units.resolution == pytest.approx(res.dt * 1e-3)


def test_traces_with_their_units_rate_and_the_run_in_the_metadata(traced, tmp_path):
    path = traced.to_nwb(tmp_path / "run.nwb", institution="Lab", experimenter="A. Person",
                         session_start_time=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    io, f = read(path)
    with io:
        assert set(f.acquisition) == {"exc.v", "exc.I_ext", "izh.v", "izh.u"}
        step = traced.t[1] - traced.t[0]
        for name, unit, conversion in (("exc.v", "volts", 1e-3), ("exc.I_ext", "amperes", 1e-9),
                                       ("izh.v", "volts", 1e-3), ("izh.u", "n.a.", 1.0)):
            ts = f.acquisition[name]
            pop, var = name.split(".")
            assert ts.unit == unit and ts.conversion == conversion
            np.testing.assert_array_equal(ts.data[:], traced[pop].traces[var])
            assert ts.rate == pytest.approx(1e3 / step) and ts.starting_time == pytest.approx(traced.t[0] * 1e-3)
        # a value in SI: the stored number times the conversion
        assert f.acquisition["exc.v"].data[0, 0] * 1e-3 == pytest.approx(traced["exc"].v[0, 0] * 1e-3)
        notes = json.loads(f.notes)
        assert notes["dt_ms"] == traced.dt and notes["seed"] == traced.seed
        assert notes["spec"] == traced.meta["spec"] and notes["pyn_version"]
        assert f.session_start_time == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        assert f.institution == "Lab" and list(f.experimenter) == ["A. Person"]
        assert f.identifier and f.subject.subject_id == "four"
    # the same run gives the same identifier; another run another
    again = traced.to_nwb(tmp_path / "again.nwb")
    other = network().build(dt=0.1, seed=8, backend="numpy").run(80.0).to_nwb(tmp_path / "other.nwb")
    ids = []
    for p in (path, again, other):
        io, f = read(p)
        with io:
            ids.append(f.identifier)
    assert ids[0] == ids[1] != ids[2]


def test_the_file_passes_pynwb_validation_and_nwbinspector(traced, tmp_path):
    nwbinspector = pytest.importorskip("nwbinspector")
    path = traced.to_nwb(tmp_path / "run.nwb")
    assert list(pynwb.validate(path=str(path))) == []
    messages = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(path)))
    critical = [m for m in messages if m.importance.name in ("CRITICAL", "ERROR")]
    assert not critical, [(m.check_function_name, m.message) for m in critical]


def test_our_reader_gives_back_the_spikes_populations_and_positions(traced, plain, tmp_path):
    for res in (traced, plain):
        path = res.to_nwb(tmp_path / f"{res.dt}.nwb")
        back = read_nwb_spikes(path)
        assert back.names == res.names and back.dt == res.dt and back.duration == res.duration
        assert back.seed == res.seed and back.meta["spec"] == res.meta["spec"]
        for pop in res:
            assert back[pop.name].N == pop.N
            order = np.lexsort((pop.spike_ids, pop.spike_times))
            np.testing.assert_allclose(back[pop.name].spike_times, pop.spike_times[order], rtol=0, atol=1e-9)
            np.testing.assert_array_equal(back[pop.name].spike_ids, pop.spike_ids[order])
            np.testing.assert_array_equal(back.meta["positions"][pop.name], positions_of(res)[pop.name])
        assert read_spikes(path).names == res.names


def test_a_units_table_written_by_another_tool(tmp_path):
    # no population or index column, no pyN notes: one population "units", in the table's order
    f = pynwb.NWBFile(session_description="recorded elsewhere", identifier="x",
                      session_start_time=dt.datetime(2025, 5, 1, tzinfo=dt.timezone.utc))
    trains = [[0.010, 0.020], [], [0.0155]]
    for t in trains:
        f.add_unit(spike_times=t)
    with pynwb.NWBHDF5IO(str(tmp_path / "other.nwb"), "w") as io:
        io.write(f)
    res = read_nwb_spikes(tmp_path / "other.nwb")
    assert res.names == ["units"] and res["units"].N == 3 and res.dt == 0.1 and res.seed is None
    np.testing.assert_allclose(res["units"].spike_times, [10.0, 15.5, 20.0])
    np.testing.assert_array_equal(res["units"].spike_ids, [0, 2, 0])
    assert res.duration == pytest.approx(20.0) and "positions" not in res.meta


def test_bad_files_and_no_silent_overwrite(traced, tmp_path, monkeypatch):
    (tmp_path / "text.nwb").write_text("not hdf5")
    with pytest.raises(PynValueError, match="cannot read .* as an NWB file"):
        read_nwb_spikes(tmp_path / "text.nwb")
    empty = pynwb.NWBFile(session_description="s", identifier="y",
                          session_start_time=dt.datetime(2025, 5, 1, tzinfo=dt.timezone.utc))
    with pynwb.NWBHDF5IO(str(tmp_path / "empty.nwb"), "w") as io:
        io.write(empty)
    with pytest.raises(PynValueError, match="has no units table"):
        read_nwb_spikes(tmp_path / "empty.nwb")

    path = traced.to_nwb(tmp_path / "run.nwb")
    before = open(path, "rb").read()
    with pytest.raises(PynValueError, match="exists already; pass overwrite=True"):
        traced.to_nwb(path)
    real = pynwb.NWBHDF5IO.write

    def fail(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise KeyboardInterrupt            # stopped once the data is written, before the file is in place

    monkeypatch.setattr(pynwb.NWBHDF5IO, "write", fail)
    with pytest.raises(KeyboardInterrupt):
        traced.to_nwb(path, overwrite=True)
    with pytest.raises(KeyboardInterrupt):
        traced.to_nwb(tmp_path / "new.nwb")
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["empty.nwb", "run.nwb", "text.nwb"]     # nothing half-written


def test_without_pynwb_a_clear_message(traced, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)
    with pytest.raises(MissingPackage, match=r"the NWB format needs the 'pynwb' package: pip install 'pyn_core\[nwb\]'"):
        traced.to_nwb(tmp_path / "run.nwb")
    assert not os.listdir(tmp_path)


def test_pyn_export_writes_nwb_and_sonata(traced, tmp_path, capsys):
    from pyn_core.__main__ import main
    folder = traced.save(tmp_path / "runs")
    assert main(["export", folder, "--nwb", str(tmp_path / "run.nwb"), "--sonata", str(tmp_path / "s.h5")]) == 0
    out = capsys.readouterr().out
    assert "nwb: " in out and "sonata: " in out
    assert read_nwb_spikes(tmp_path / "run.nwb")["exc"].spike_times.size == traced["exc"].spike_times.size
    with pytest.raises(SystemExit) as stop:
        main(["export", folder, "--nwb", str(tmp_path / "x.nwb"), "--sonata", str(tmp_path / "x.nwb")])
    assert stop.value.code == 2 and "name the same file" in capsys.readouterr().err
