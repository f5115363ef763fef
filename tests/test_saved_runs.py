"""Saved runs lose nothing: safe folder names chosen before the run, half-written folders of killed
saves cleaned and never read, damaged runs refused as a whole (generated damage included)."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pyn_core import LIFPopulation, Network, NoSavedRun, PoissonPopulation, PynError, PynValueError, load_results
from pyn_core.results import PARTIAL_PREFIX, clean_partial, partial_prefix, plan_save, safe_folder_name

LONG = os.environ.get("PYN_LONG_TESTS") == "1"


def small_network(name="run"):
    net = Network([LIFPopulation("a", N=4, v_rest=-60.0), LIFPopulation("b", N=3), PoissonPopulation("src", 5, 200.0)],
                  name=name)
    net.connect("src", "a", rule="all_to_all", weight=8.0)
    net.connect("a", "b", rule="all_to_all", weight=5.0, plasticity="stdp")
    return net


# -- folder names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["x" * 5000, "Ünïcödé ✓ run", "../../etc", "a/b\\c:d*e?f", "..", "", " "])
def test_any_experiment_name_saves(tmp_path, name):
    res = small_network().simulate(experiment_name=name, T=5.0, dt=0.1, save_data=tmp_path, seed=1, backend="numpy")
    assert os.path.dirname(res.path) == str(tmp_path)           # inside the folder asked for, never above it
    assert len(os.path.basename(res.path)) <= 120
    assert load_results(res.path).experiment_name == (name or "run")   # kept as it was ("": the network name)


def test_folder_names_are_safe_and_distinct(tmp_path):
    names = {safe_folder_name(n, "s") for n in ["a b", "a_b", "a/b"]}
    assert names == {"a_b_s"}
    first = plan_save(tmp_path, "same")
    os.mkdir(first)
    assert plan_save(tmp_path, "same") != first


def test_unwritable_folder_fails_before_the_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    net = small_network()
    with pytest.raises(PynValueError, match=r"cannot save runs under .*file"):
        net.simulate(T=10_000.0, dt=0.1, save_data=blocker / "runs", seed=1, backend="numpy")
    assert net.last_simulation is None                           # refused before anything was built or run


# -- half-written folders ------------------------------------------------------------------------

def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_partial_folders_of_dead_writers_are_cleaned_and_never_read(tmp_path):
    res = small_network().simulate(T=5.0, dt=0.1, save_data=tmp_path, seed=1, backend="numpy")
    stale = tmp_path / f"{partial_prefix(dead_pid())}abc"
    shutil.copytree(res.path, stale)                             # a complete-looking copy, still refused
    live = tmp_path / f"{partial_prefix()}xyz"                   # a save in progress in a live process
    live.mkdir()
    elsewhere = tmp_path / f"{PARTIAL_PREFIX}other-host-{dead_pid()}-abc"   # written by another machine
    elsewhere.mkdir()
    with pytest.raises(NoSavedRun, match=r"did not finish"):
        load_results(stale)
    assert clean_partial(tmp_path) == [str(stale)]
    assert not stale.exists() and live.exists() and elsewhere.exists()   # another machine's: by age only
    old = tmp_path / f"{PARTIAL_PREFIX}oldstyle"                 # no process id in the name: removed by age
    old.mkdir()
    assert clean_partial(tmp_path, older_than_s=3600) == []
    os.utime(old, (1, 1))
    assert clean_partial(tmp_path, older_than_s=3600) == [str(old)]


def test_a_killed_save_leaves_nothing_that_loads(tmp_path):
    """``kill -9`` during a save: the next save removes the leftover, and no result is half-read."""
    code = f"""
import os, signal, numpy as np
import pyn_core.results as r
from pyn_core import Network, LIFPopulation
res = Network([LIFPopulation('a', N=2)]).simulate(T=1.0, dt=0.1, save_data=None, seed=1, backend='numpy')
real = np.savez
def killed(f, **arrays):
    f.write(b'PK partial')
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)
r.np.savez = killed
res.save({str(tmp_path)!r})
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == -9
    left = [p for p in os.listdir(tmp_path) if p.startswith(PARTIAL_PREFIX)]
    assert len(left) == 1
    with pytest.raises(NoSavedRun):
        load_results(tmp_path / left[0])
    small_network().simulate(T=1.0, dt=0.1, save_data=tmp_path, seed=1, backend="numpy")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(PARTIAL_PREFIX)]


# -- damaged runs ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    net = small_network()
    res = net.simulate(T=20.0, dt=0.1, save_data=tmp_path_factory.mktemp("runs"), seed=3, backend="numpy",
                       properties_to_save=["v"], record_weights={"a->b": 5.0})
    assert sum(p.spike_times.size for p in res) > 0
    return res.path


def _rewrite_npz(path, arrays):
    with open(os.path.join(path, "arrays.npz"), "wb") as f:
        np.savez(f, **arrays)


def _arrays(path):
    with np.load(os.path.join(path, "arrays.npz")) as z:
        return {k: z[k] for k in z.files}


def _meta(path):
    with open(os.path.join(path, "meta.json")) as f:
        return json.load(f)


def _write_meta(path, meta_text):
    with open(os.path.join(path, "meta.json"), "w") as f:
        f.write(meta_text)


@pytest.mark.parametrize("how,match", [
    ("meta null", r"JSON object is expected"),
    ("meta a number", r"JSON object is expected"),
    ("meta nested deep", r"nested too deeply"),
    ("dt negative", r"'dt' must be a number > 0"),
    ("N a string", r"N must be an integer"),
    ("spike id beyond N", r"spike ids outside 0..3"),
    ("trace mis-shaped", r"trace 'v' of population 'a' has shape"),
    ("array dropped", r"has no array 'p1.spike_ids'"),
    ("times and ids differ", r"spike times but"),
    ("weights inconsistent", r"inconsistent shapes"),
    ("object array", r"cannot be read"),
])
def test_damage_is_refused_with_its_reason(saved, tmp_path, how, match):
    path = shutil.copytree(saved, tmp_path / "run")
    arrays = _arrays(path)
    if how == "meta null":
        _write_meta(path, "null")
    elif how == "meta a number":
        _write_meta(path, "3.5")
    elif how == "meta nested deep":
        _write_meta(path, "[" * 100_000 + "]" * 100_000)
    elif how == "dt negative":
        m = _meta(path)
        m["dt"] = -0.1
        _write_meta(path, json.dumps(m))
    elif how == "N a string":
        m = _meta(path)
        m["populations"][0]["N"] = "4"
        _write_meta(path, json.dumps(m))
    elif how == "spike id beyond N":
        ids = arrays["p0.spike_ids"]
        assert ids.size
        ids[0] = 4
        _rewrite_npz(path, arrays)
    elif how == "trace mis-shaped":
        arrays["p0.v"] = arrays["p0.v"][:, :2]
        _rewrite_npz(path, arrays)
    elif how == "array dropped":
        del arrays["p1.spike_ids"]
        _rewrite_npz(path, arrays)
    elif how == "times and ids differ":
        arrays["p0.spike_times"] = arrays["p0.spike_times"][1:]
        _rewrite_npz(path, arrays)
    elif how == "weights inconsistent":
        arrays["w0.pre"] = arrays["w0.pre"][1:]
        _rewrite_npz(path, arrays)
    elif how == "object array":
        arrays["t"] = np.array([None, 1.0], dtype=object)
        with open(os.path.join(path, "arrays.npz"), "wb") as f:
            np.savez(f, allow_pickle=True, **arrays)
    with pytest.raises(PynValueError, match=match):
        load_results(path)


def _json_values():
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False),
                     st.text(max_size=8))
    return st.recursive(leaf, lambda c: st.one_of(st.lists(c, max_size=3),
                                                  st.dictionaries(st.text(max_size=8), c, max_size=3)), max_leaves=8)


def _paths(meta):
    """Every (container, key) of a JSON value."""
    out = []

    def walk(v):
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, x in items:
            out.append((v, k))
            walk(x)
    walk(meta)
    return out


EXAMPLES = 3000 if LONG else 200


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_generated_damage_loads_whole_or_is_refused(saved, tmp_path_factory, data):
    """Random damage to either file: the run loads completely or a PynError says why; nothing else."""
    path = shutil.copytree(saved, tmp_path_factory.mktemp("fuzz") / "run")
    kind = data.draw(st.sampled_from(["truncate npz", "flip npz bytes", "meta value", "meta delete", "array"]))
    npz = os.path.join(path, "arrays.npz")
    if kind == "truncate npz":
        size = os.path.getsize(npz)
        cut = data.draw(st.integers(0, size - 1))
        with open(npz, "r+b") as f:
            f.truncate(cut)
    elif kind == "flip npz bytes":
        raw = bytearray(open(npz, "rb").read())
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] ^= data.draw(st.integers(1, 255))
        open(npz, "wb").write(bytes(raw))
    elif kind in ("meta value", "meta delete"):
        meta = _meta(path)
        container, key = data.draw(st.sampled_from(_paths(meta)))
        if kind == "meta delete":
            del container[key]
        else:
            container[key] = data.draw(_json_values())
        _write_meta(path, json.dumps(meta))
    else:
        arrays = _arrays(path)
        key = data.draw(st.sampled_from(sorted(arrays)))
        arrays[key] = data.draw(st.sampled_from([
            arrays[key][:0], arrays[key].astype(np.float32), arrays[key].reshape(-1)[:, None],
            np.full(3, -1, dtype=np.int64), np.array(["x"]), np.zeros((2, 2, 2))]))
        _rewrite_npz(path, arrays)
    try:
        res = load_results(path)
    except PynError:
        return
    for p in res:                         # loaded: every part is whole and consistent
        assert p.spike_times.shape == p.spike_ids.shape
        assert not p.spike_ids.size or 0 <= p.spike_ids.min() <= p.spike_ids.max() < p.N
        for var, a in p.traces.items():
            assert a.shape == (res.t.size, p.N)


def test_the_reference_run_loads_whole(saved):
    """The reference copy loads, with every part (so the damage tests start from a whole run)."""
    res = load_results(saved)
    assert res["a"].v.shape == (res.t.size, 4) and "a->b" in res.weights
    with zipfile.ZipFile(os.path.join(saved, "arrays.npz")) as z:
        assert all(name.endswith(".npy") for name in z.namelist())
