"""Parameter sweeps on a real Dask LocalCluster of 2 worker processes (pyn_core/sweeps.py)."""
from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from pyn_core import LIFPopulation, Network, PoissonPopulation, PynValueError, load_results, sweep  # noqa: E402
from pyn_core.sweeps import plan_sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
T = 200.0
GRID = {"exc.tau_m": [10.0, 20.0], "in2exc.weight": [3.0, 6.0]}


def small_spec() -> dict:
    net = Network(name="small")
    net.add(LIFPopulation("exc", N=20, tau_m=10.0), PoissonPopulation("inp", N=10, rate=50.0))
    net.connect("inp", "exc", rule={"name": "pairwise_bernoulli", "p": 0.5}, weight=3.0, name="in2exc")
    net.connect("exc", "exc", rule={"name": "pairwise_bernoulli", "p": 0.2}, weight=0.5, name="rec")
    net.add_current("exc", 10.0, start=0, stop=100)
    return net.to_spec()


def local_counts(spec: dict, seed: int) -> dict:
    """Spike counts of a run of ``spec`` in this process, the way a user would run it."""
    res = Network.from_spec(spec).build(seed=seed, backend="numpy").run(T)
    return {p.name: p.spike_times.size for p in res}


def read_summary(out) -> list:
    with open(os.path.join(out, "summary.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def cluster():
    # PYN_MEMORY_LIMIT: the memory check that makes the failing run fail stays on whatever the environment says
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env={"PYN_NUM_THREADS": "1", "PYN_MEMORY_LIMIT": "8G"}) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def done_sweep(client, tmp_path_factory):
    """A 2 x 2 grid x 2 seeds, run once for the tests that read it."""
    out = tmp_path_factory.mktemp("sweep") / "out"
    with distributed.get_task_stream(client) as tasks:
        rows = sweep(small_spec(), GRID, seeds=2, T=T, out=out, backend="numpy", client=client)
    return out, rows, tasks.data


def test_every_combination_and_seed_runs_on_the_workers_with_the_counts_of_a_local_run(done_sweep):
    out, rows, tasks = done_sweep
    table = read_summary(out)
    assert [r["run_id"] for r in table] == sorted(r["run_id"] for r in table) == [r["run_id"] for r in rows]
    assert list(table[0]) == ["run_id", "exc.tau_m", "in2exc.weight", "seed", "exc.spikes", "exc.rate_hz",
                              "inp.spikes", "inp.rate_hz", "wall_s", "status"]
    combos = {(float(r["exc.tau_m"]), float(r["in2exc.weight"]), int(r["seed"])) for r in table}
    assert combos == {(tau, w, s) for tau in (10.0, 20.0) for w in (3.0, 6.0) for s in (0, 1)}
    assert all(r["status"] == "ok" for r in table), table
    assert all(float(r["wall_s"]) > 0 for r in table)
    base = small_spec()
    for r in table:
        spec = copy.deepcopy(base)
        spec["populations"][0]["params"]["tau_m"] = float(r["exc.tau_m"])
        spec["projections"][0]["weight"] = float(r["in2exc.weight"])
        want = local_counts(spec, int(r["seed"]))
        assert {"exc": int(r["exc.spikes"]), "inp": int(r["inp.spikes"])} == want, r
        assert float(r["exc.rate_hz"]) == pytest.approx(want["exc"] / 20 / (T * 1e-3))
        saved = load_results(out / r["run_id"])
        assert saved.seed == int(r["seed"]) and saved["exc"].spike_times.size == want["exc"]
    assert len({r["exc.spikes"] for r in table}) > 2      # the swept values change the runs
    assert not (out / ".pyn-sweep-staging").exists()
    # one task per run, on both worker processes
    runs = [t for t in tasks if t["key"].startswith("pyn-sweep-")]
    assert sorted(t["key"][len("pyn-sweep-"):len("pyn-sweep-") + len(rows[0]["run_id"])] for t in runs) == \
        [r["run_id"] for r in rows]
    assert len({t["worker"] for t in runs}) == 2


def test_a_second_call_skips_complete_runs_and_reruns_a_deleted_one(done_sweep, cluster):
    out, first, _ = done_sweep
    stamps = {r["run_id"]: os.stat(out / r["run_id"] / "meta.json").st_mtime_ns for r in first}
    gone = first[3]["run_id"]
    shutil.rmtree(out / gone)
    # through the scheduler's address, as `--scheduler ADDRESS` does
    rows = sweep(small_spec(), GRID, seeds=2, T=T, out=out, backend="numpy", scheduler=cluster.scheduler_address)
    status = {r["run_id"]: r["status"] for r in rows}
    assert status[gone] == "ok"
    assert {s for k, s in status.items() if k != gone} == {"skipped (done)"}
    for r, old in zip(rows, first):
        assert (r["exc.spikes"], r["inp.spikes"], r["run_id"]) == (old["exc.spikes"], old["inp.spikes"], old["run_id"])
        if r["run_id"] != gone:
            assert os.stat(out / r["run_id"] / "meta.json").st_mtime_ns == stamps[r["run_id"]]
    assert [r["status"] for r in read_summary(out)] == [status[k] for k in sorted(status)]


def test_a_run_of_another_duration_in_the_same_folder_is_not_taken_as_done(done_sweep, client):
    out, first, _ = done_sweep
    grid = {"exc.tau_m": [10.0], "in2exc.weight": [3.0]}
    rows = sweep(small_spec(), grid, seeds=1, T=T / 2, out=out, backend="numpy", client=client)
    assert rows[0]["run_id"] == first[0]["run_id"] and rows[0]["status"] == "ok"
    assert load_results(out / rows[0]["run_id"]).duration == pytest.approx(T / 2)


def test_a_failing_run_is_reported_in_its_row_and_the_others_complete(client, tmp_path):
    # a million neurons all-to-all is a legal description that no machine can build (ResourceError)
    spec = small_spec()
    spec["projections"][1]["rule"] = {"name": "all_to_all"}
    rows = sweep(spec, {"exc.N": [1_000_000, 20]}, seeds=[0, 7], T=50.0, out=tmp_path, backend="numpy",
                 client=client)
    by_n = {}
    for r in read_summary(tmp_path):
        by_n.setdefault(r["exc.N"], []).append(r)
    assert [r["seed"] for r in by_n["20"]] == ["0", "7"] and all(r["status"] == "ok" for r in by_n["20"])
    for r in by_n["1000000"]:
        assert r["status"].startswith("failed: ResourceError: building network 'small'"), r
        assert r["exc.spikes"] == "" and "\n" not in r["status"]
        assert not (tmp_path / r["run_id"]).exists()
    # a failed run is not done: the next call runs it again, and skips the others
    again = sweep(spec, {"exc.N": [1_000_000, 20]}, seeds=[0, 7], T=50.0, out=tmp_path, backend="numpy",
                  client=client)
    assert [r["status"][:7] for r in again] == ["failed:", "failed:", "skipped", "skipped"]


@pytest.mark.parametrize("path, words", [
    ("exc.tau", "has no field or parameter 'tau'"),
    ("nobody.tau_m", "no population or connection of that name"),
    ("in2exc.wieght", "connection 'in2exc' has the fields"),
    ("in2exc.delay.x", "only one key below a dict field"),
    ("inp.tau_m", "source population 'inp'"),
    ("stimuli[3].amplitude", "the spec has 1 stimuli"),
    ("stimuli[0].rate", "a current stimulus has the fields"),
    ("settings.seed", "seeds are given by seeds="),
    ("settings.speed", "settings that may be swept"),
    ("exc.initial.q", "model 'lif' has the initial v"),
])
def test_a_bad_path_is_refused_before_anything_runs(path, words, tmp_path, client):
    grid = {"exc.tau_m": [10.0, 20.0], path: [1.0]}
    with pytest.raises(PynValueError) as err:
        sweep(small_spec(), grid, seeds=2, T=T, out=tmp_path / "out", backend="numpy", client=client)
    assert f"sweep path {path!r}" in str(err.value) and words in str(err.value)
    assert "allowed forms: POP.PARAM" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_a_value_the_network_refuses_is_reported_with_its_path_before_anything_runs(tmp_path, client):
    with pytest.raises(PynValueError, match=r"sweep: exc\.tau_m=-5\.0, in2exc\.rule\.p=0\.5: populations\[0\]"):
        sweep(small_spec(), {"exc.tau_m": [10.0, -5.0], "in2exc.rule.p": [0.5]}, T=T, out=tmp_path / "o",
              client=client)
    with pytest.raises(PynValueError, match=r"in2exc\.rule\.p=1\.5"):
        plan_sweep(small_spec(), {"in2exc.rule.p": [0.2, 1.5]})
    assert not (tmp_path / "o").exists()


def test_paths_reach_connections_stimuli_and_settings():
    runs = plan_sweep(small_spec(), {"rec.rule.p": [0.3], "stimuli[0].amplitude": [4.0], "settings.dt": [0.05],
                                     "inp.rate": [20.0], "exc.params.v_thresh": [-52.0]}, seeds=[5])
    s = runs[0].spec
    assert s["projections"][1]["rule"]["p"] == 0.3 and s["stimuli"][0]["amplitude"] == 4.0
    assert s["settings"] == {**small_spec()["settings"], "dt": 0.05, "seed": 5}
    assert s["populations"][1]["rate"] == 20.0 and s["populations"][0]["params"]["v_thresh"] == -52.0
    assert len({r.run_id for r in plan_sweep(small_spec(), GRID, seeds=3)}) == 12
    assert [r.run_id for r in plan_sweep(small_spec(), GRID, seeds=3)] == \
        [r.run_id for r in plan_sweep(json.dumps(small_spec()), GRID, seeds=3)]


def test_the_command_line_runs_a_sweep_on_its_own_local_cluster(tmp_path):
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps(small_spec()))
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "pyn_core", "sweep", str(spec), "--set", "exc.tau_m=10,20", "--seeds", "2",
           "--T", "100", "--out", str(out), "--workers", "2", "--backend", "numpy"]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr     # stdout names each failed run and its error
    assert done.stdout.startswith("4 runs: 4 ok, 0 skipped (done), 0 failed")
    table = read_summary(out)
    assert [(r["exc.tau_m"], r["seed"], r["status"]) for r in table] == \
        [("10", "0", "ok"), ("10", "1", "ok"), ("20", "0", "ok"), ("20", "1", "ok")]
    assert "run/s" not in done.stderr      # no bar when stderr is not a terminal
    bad = subprocess.run(cmd[:5] + ["--set", "exc.nope=1"] + cmd[7:], capture_output=True, text=True, env=env,
                         timeout=60)
    assert bad.returncode == 2 and "sweep path 'exc.nope'" in bad.stderr


def test_a_progress_bar_only_on_a_terminal_and_not_when_quiet(monkeypatch):
    import io

    from pyn_core.sweeps import _progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _progress(8, 2, quiet=False) is None
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert _progress(8, 2, quiet=True) is None
    bar = _progress(8, 2, quiet=False)
    bar.update(1)
    bar.close()
    assert "3/8" in sys.stderr.getvalue()


def test_runs_finishing_together_do_not_undo_one_another(tmp_path, monkeypatch):
    # two workers of a sweep save into the same folder at the same moment. The worst interleaving, made
    # to happen here: run B has made (or found) the folders above its staging folder, and run A finishes
    # and tidies up before B makes its own. Each run stages in a folder of its own directly under the
    # sweep's folder, so A has nothing of B's to remove.
    from pyn_core.sweeps import _save_run

    res = Network.from_spec(small_spec()).build(seed=0, backend="numpy").run(5.0)
    real_mkdir = os.mkdir
    interleaved = []

    def mkdir(path, *args, **kwargs):
        if not interleaved and os.path.basename(os.fspath(path)).endswith("run-b"):
            interleaved.append(_save_run(res, str(tmp_path), "run-a"))   # A finishes meanwhile
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    saved_b = _save_run(res, str(tmp_path), "run-b")
    assert interleaved == [str(tmp_path / "run-a")] and saved_b == str(tmp_path / "run-b")
    assert sorted(os.listdir(tmp_path)) == ["run-a", "run-b"]        # both in place, no staging folder left
    counts = [p.spike_times.size for p in res]
    assert [p.spike_times.size for p in load_results(saved_b)] == counts
