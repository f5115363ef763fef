"""Checkpoint and restore: a restored simulation continues exactly as one never stopped.

Every comparison runs a network twice in the same pieces (rewards,
``set_weights``, ``disconnect`` between them): A straight through, B with a
checkpoint written and loaded at a cut (t = 0, mid-run, right after a
reward), on the same backend and on the other one, in this process and in a
subprocess.  Compared are the spikes, the recorded traces and weight
monitors, the final state of every shared array (``shared_state``), the
backend's own state (the late sides' spikes in flight), the random
generator's position and the final weights.  On the same backend all of it
must be identical; across backends too where the two backends are
bit-identical for the network (checked on A), else spikes, weights and
integers identical and floats to 1e-9, as in ``test_random_networks``.

Then the refusals: damaged checkpoints (each kind of damage a
``PynValueError`` naming it), unknown formats and versions, a rebuilt network
that differs; and the atomic write (a failure leaves nothing, an existing
checkpoint is replaced only on success).  ``PYN_LONG_TESTS=1`` runs every
seed of ``random_networks`` on every backend pair and cut.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))       # the generator beside this file
from random_networks import random_network  # noqa: E402

from pyn_core import (IzhikevichPopulation, LIFPopulation, Network, NoSavedRun, PoissonPopulation,  # noqa: E402
                      PynValueError, SimulationError, SpikeSourcePopulation, load_checkpoint)
from pyn_core.engine import checkpoint as ckpt  # noqa: E402
from pyn_core.engine.checkpoint import shared_state  # noqa: E402

LONG = bool(os.environ.get("PYN_LONG_TESTS"))
PAIRS = [("numpy", "numpy"), ("numba", "numba"), ("numba", "numpy"), ("numpy", "numba")]
#: seeds of random_networks: Izhikevich only with STP, R-STDP, a function current, a spike generator (36);
#: late postsynaptic STDP and R-STDP on Izhikevich and LIF (32); AdEx, HH, STDP, R-STDP, STP, noise (7);
#: Izhikevich only, bit-identical across backends (3)
SEEDS = range(60) if LONG else (3, 7, 32, 36)


def _pairs(pairs):
    return [pytest.param(a, b, id=f"{a}-{b}", marks=[pytest.mark.requires_numba] if "numba" in (a, b) else [])
            for a, b in pairs]


# ---------------------------------------------------------------------------
# running in pieces, with a checkpoint at a cut
# ---------------------------------------------------------------------------
def everything(sim) -> dict:
    """What a simulation produced and holds, as named arrays (weights last: reading them flushes R-STDP)."""
    out = {"t": np.array(sim.t), "k": np.array(sim.k)}
    res = sim.results
    out["res.t"] = res.t
    for p in res:
        out[f"{p.name}.spike_times"], out[f"{p.name}.spike_ids"] = p.spike_times, p.spike_ids
        for var, tr in p.traces.items():
            out[f"{p.name}.{var}"] = tr
    for key, rec in res.weights.items():
        out[f"monitor.{key}.t"], out[f"monitor.{key}.w"] = rec.t, rec.w
    out.update({f"state.{k}": v for k, v in shared_state(sim).items()})
    out.update({f"backend.{k}": v for k, v in sim.backend.export_state().items()})
    out["rng"] = np.array([repr(sim.rng_run.bit_generator.state)])
    for q in sim.projs:
        out[f"w.{q.name}"] = sim.get_weights(q.name)[2]
    return out


def _exact_key(key: str, value: np.ndarray) -> bool:
    """What must agree bit for bit even across backends that differ in the last bit of exp."""
    return (value.dtype.kind not in "fc" or key.startswith(("w.", "backend.")) or key.endswith("spike_times")
            or key in ("t", "res.t") or key.startswith("monitor.") and key.endswith(".t"))


def assert_same(got: dict, want: dict, exact: bool = True):
    assert sorted(got) == sorted(want)
    for key in want:
        if exact or _exact_key(key, want[key]):
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)
        else:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=1e-9, err_msg=key)


def _restore(sim, backend, folder, cut):
    path = sim.save_checkpoint(os.path.join(folder, f"cut{cut}"))
    return load_checkpoint(path, backend=backend)


# random networks: three pieces with rewards between them (as random_networks.run_arrays)
def _random_setup(seed):
    net, T, dt, record, learning = random_network(seed)
    rng = np.random.default_rng(seed + 1)
    rewarded = learning and any(isinstance(q.plasticity, dict) and q.plasticity.get("rule") == "rstdp"
                                for q in net.projections)
    rewards = [float(rng.uniform(-0.5, 1.0)) if rewarded and rng.random() < 0.7 else None for _ in range(3)]
    return net, T, dt, record, learning, rewards


def _random_build(seed, backend):
    net, T, dt, record, learning, rewards = _random_setup(seed)
    sim = net.build(dt=dt, seed=seed, backend=backend, record=record, learning=learning)
    learners = [q for q in sim.projs if q.plastic is not None]
    if learners:                                  # a weight monitor on the first learning connection
        sim.monitor_weights(learners[0].name, every=1.0, synapses=5)
    return sim


def _random_pieces(seed, sim, parts=range(3), cut=None, backend=None, folder=None):
    net, T, dt, record, learning, rewards = _random_setup(seed)
    for part in parts:
        if part == cut:
            sim = _restore(sim, backend, folder, cut)
        sim.advance(T / 3)
        if rewards[part] is not None:
            sim.reward(rewards[part])
    return sim


@functools.lru_cache(maxsize=None)
def _random_reference(seed, backend):
    return everything(_random_pieces(seed, _random_build(seed, backend)))


def _identical_across_backends(reference) -> bool:
    a, b = reference("numpy"), reference("numba")
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("saved_on, loaded_on", _pairs(PAIRS))
def test_random_network_continues_identically(seed, saved_on, loaded_on, tmp_path):
    cuts = range(3) if LONG else [seed % 3]
    for cut in cuts:
        got = everything(_random_pieces(seed, _random_build(seed, saved_on), cut=cut, backend=loaded_on,
                                        folder=tmp_path))
        want = _random_reference(seed, loaded_on)
        exact = saved_on == loaded_on or _identical_across_backends(functools.partial(_random_reference, seed))
        assert_same(got, want, exact)


# a network of every feature, Izhikevich only (bit-identical across backends without STP)
def featured_network(stp: bool = True) -> Network:
    exc = IzhikevichPopulation("exc", N=25, v0=-65.0 + 4 * np.sin(np.arange(25)))
    inh = IzhikevichPopulation("inh", N=10, a=0.1, d=2.0)
    src = PoissonPopulation("src", N=12, rate=np.linspace(30.0, 120.0, 12), start=1.0)
    gen = SpikeSourcePopulation("gen", [[1.0, 7.5, 20.0, 31.0], [3.0], [], [12.2, 30.1, 33.3]])
    net = Network([exc, inh, src, gen])
    net.connect("src", "exc", rule={"name": "pairwise_bernoulli", "p": 0.4}, weight=6.0, delay=1.0, std=0.6,
                plasticity={"rule": "stdp", "dendritic_fraction": 0.1, "w_max": 10.0}, name="late_pre")
    net.connect("exc", "exc", rule={"name": "fixed_indegree", "k": 3}, delay=1.5, std=0.8,
                weight={"dist": "uniform", "low": 0.5, "high": 3.0},
                plasticity={"rule": "stdp", "dendritic_fraction": 0.9, "pairing": "nearest", "w_max": 5.0},
                name="late_post")
    net.connect("gen", "inh", rule="all_to_all", weight=8.0, delay=0.5, std=0.0, plasticity=None, name="shared")
    net.connect("exc", "inh", rule="all_to_all", weight=1.5, delay=1.0, synapse={"kind": "exp", "tau": 3.0},
                plasticity={"rule": "rstdp", "dopamine_from": "src", "dopamine_per_spike": 0.05, "w_max": 4.0},
                name="rstdp")
    net.connect("inh", "exc", rule={"name": "pairwise_bernoulli", "p": 0.5}, weight=2.0, mode="inhibitory",
                delay=0.8, plasticity=None, stp="depressing" if stp else None, name="back")
    net.add_noise("exc", mean=4.0, std=3.0, neurons=[0, 3, 5, 7])
    net.add_poisson("exc", rate=400.0, weight=2.0, synapse={"kind": "exp", "tau": 3.0})
    net.add_poisson("inh", rate=9e5, weight=2e-5, synapse={"kind": "cond_exp", "tau": 2.0, "E": 0.0})
    net.add_current("inh", amplitude={"times": [0.0, 40.0], "values": [2.0, 6.0]}, start=2.0, stop=38.0)
    net.add_current("exc", amplitude=lambda t: 3.0 + np.cos(t / 4.0), start=0.5, stop=30.0)
    return net


def _featured_build(backend, stp=True):
    return featured_network(stp).build(
        dt=0.1, seed=11, backend=backend, learning=True, record_every=0.3,
        I_ext={"exc": [{"start": 5, "stop": 25, "mV": 8, "neurons": [1, 2]}]},
        record={"exc": ["v", "u", "I_syn"], "inh": ["v", "I_ext"]},
        record_weights={"late_pre": 2.0, "rstdp": {"every": 1.5, "synapses": 7}})


def _featured_pieces(sim, parts=range(3), cut=None, backend=None, folder=None):
    for part in parts:
        if part == cut:
            sim = _restore(sim, backend, folder, cut)
        sim.advance([11.2, 13.3, 14.7][part])
        if part == 0:
            sim.set_weights("shared", np.linspace(5.0, 9.0, 40))     # one shared value -> one per synapse
            sim.disconnect("exc", "inh")
            sim.reward(0.4)
        elif part == 1:
            sim.reconnect("exc", "inh")
            sim.reward(-0.2)
    return sim


@functools.lru_cache(maxsize=None)
def _featured_reference(backend, stp):
    return everything(_featured_pieces(_featured_build(backend, stp)))


@pytest.mark.parametrize("stp", [True, False], ids=["stp", "no-stp"])
@pytest.mark.parametrize("saved_on, loaded_on", _pairs(PAIRS))
def test_every_feature_continues_identically(saved_on, loaded_on, stp, tmp_path):
    same = saved_on == loaded_on
    if not same and not stp:      # the claim: this network is bit-identical across backends
        assert _identical_across_backends(functools.partial(_featured_reference, stp=False))
    for cut in range(3):
        got = everything(_featured_pieces(_featured_build(saved_on, stp), cut=cut, backend=loaded_on,
                                          folder=tmp_path))
        assert_same(got, _featured_reference(loaded_on, stp), exact=same or not stp)


def test_the_featured_network_has_what_it_claims():
    sim = _featured_pieces(_featured_build("numpy"), parts=range(1))
    by = {q.name: q for q in sim.projs}
    assert by["late_pre"].plastic.late == "pre" and by["late_post"].plastic.late == "post"
    assert by["late_pre"].plastic.uniform_lag is None and by["late_post"].plastic.uniform_lag is None
    assert by["rstdp"].plastic.reward_modulated and by["back"].stp_state is not None
    assert by["shared"].weight.flags.writeable                     # set_weights made it one value per synapse
    assert ckpt._shared(_featured_build("numpy").projs[2])         # ... from one shared value
    late = sim.backend.export_state()
    assert all(late[f"late.{q}.steps"].size for q in (0, 1, 3))      # spikes in flight at a cut
    assert sim.recorder.weights and sim.recorder.chunks and any(s.size for s in sim.recorder.spike_steps[2])
    assert len(sim.stimuli.given) == 6 and sim.stimuli.noises and len(sim.stimuli.poissons) == 2


@pytest.mark.requires_numba
def test_backends_export_the_same_spikes_in_flight():
    """Both backends keep the late side's spikes differently and export them in one form."""
    seen = set()
    for parts in (1, 2):
        a = _featured_pieces(_featured_build("numpy", stp=False), parts=range(parts))
        b = _featured_pieces(_featured_build("numba", stp=False), parts=range(parts))
        ea, eb = a.backend.export_state(), b.backend.export_state()
        assert sorted(ea) == sorted(eb) == [f"late.{q}.{x}" for q in (0, 1, 3) for x in ("ids", "steps")]
        for key in ea:
            np.testing.assert_array_equal(ea[key], eb[key], err_msg=key)
            if ea[key].size:
                seen.add(key)
    assert len(seen) == 6         # every late side had spikes in flight at one of the cuts


_CONTINUE = """
import sys, numpy as np
sys.path.insert(0, {tests!r})
import test_checkpoint as t
from pyn_core import load_checkpoint
sim = load_checkpoint({path!r}, backend={backend!r})
assert sim.backend.name == {backend!r}
sim = t._featured_pieces(sim, parts=range(1, 3))
np.savez({out!r}, **t.everything(sim))
"""


@pytest.mark.requires_numba
def test_continues_identically_in_another_process_and_backend(tmp_path):
    sim = _featured_pieces(_featured_build("numba", stp=False), parts=range(1))
    path = sim.save_checkpoint(tmp_path / "ckpt")
    out = tmp_path / "continued.npz"
    code = _CONTINUE.format(tests=str(Path(__file__).resolve().parent), path=str(path), backend="numpy",
                            out=str(out))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out, allow_pickle=False) as z:
        got = {k: z[k] for k in z.files}
    assert_same(got, _featured_reference("numba", False))


def test_results_of_a_restored_run_include_what_came_before(tmp_path):
    sim = _featured_pieces(_featured_build("numpy"), parts=range(2))
    before = sim.results
    again = load_checkpoint(sim.save_checkpoint(tmp_path / "c"), backend="numpy")
    res = again.results
    np.testing.assert_array_equal(res.t, before.t)
    for p in before:
        np.testing.assert_array_equal(res[p.name].spike_times, p.spike_times)
        for var in p.traces:
            np.testing.assert_array_equal(res[p.name].traces[var], p.traces[var])
    assert sorted(res.weights) == sorted(before.weights) and res.weights["rstdp"].w.shape[0] > 0
    assert again.t == sim.t and again.experiment_name == sim.experiment_name and again.seed == 11
    assert [q.enabled for q in again.projs] == [q.enabled for q in sim.projs]
    assert len(again.network.stimuli) == 5 and len(again.stimuli.given) == 6   # the I_ext extra kept apart


def test_float32_settings_and_a_checkpoint_of_a_restored_run(tmp_path):
    def build():
        net = Network([LIFPopulation("a", N=6, v_thresh=-55.0), LIFPopulation("b", N=4)])
        net.settings["dtype"] = "float32"
        net.connect("a", "b", rule="all_to_all", weight=3.0, delay=0.7, std=0.3)
        net.add_noise("a", mean=25.0, std=6.0)
        return net.build(dt=0.1, seed=2, backend="numpy", record=["v"])
    a = build()
    a.run(30.0)
    b = build()
    b.run(10.0)
    b = load_checkpoint(b.save_checkpoint(tmp_path / "one"), backend="numpy")
    assert b.receptors[0].ring.dtype == np.float32 and b.network.settings["dtype"] == "float32"
    b.run(10.0)
    b = load_checkpoint(b.save_checkpoint(tmp_path / "two"), backend="numpy")
    b.run(10.0)
    assert_same(everything(b), everything(a))


def test_a_checkpoint_is_taken_between_runs_only(tmp_path):
    sim = _featured_build("numpy")
    calls = []

    def progress(fraction, t):
        if not calls:
            with pytest.raises(SimulationError, match="between runs"):
                sim.save_checkpoint(tmp_path / "inside")
        calls.append(t)
    sim.run(5.0, progress=progress)
    assert calls and not (tmp_path / "inside").exists()


# ---------------------------------------------------------------------------
# refusals: damage, versions, a different network
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    sim = _featured_pieces(_featured_build("numpy"), parts=range(2))
    return sim.save_checkpoint(tmp_path_factory.mktemp("ckpt") / "good")


def _copy(saved, tmp_path):
    path = tmp_path / "damaged"
    shutil.copytree(saved, path)
    return path


def _edit_meta(path, edit):
    meta = json.loads((path / "meta.json").read_text())
    meta = edit(meta)
    (path / "meta.json").write_text(json.dumps(meta))


def _edit_arrays(path, edit):
    with np.load(path / "arrays.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    edit(arrays)
    with open(path / "arrays.npz", "wb") as f:
        np.savez(f, **arrays)


def _set(meta, dotted, value):
    *parents, last = dotted.split(".")
    d = meta
    for p in parents:
        d = d[p]
    d[last] = value
    return meta


def _add_member(path, name, data):
    with zipfile.ZipFile(path / "arrays.npz", "a") as z:
        z.writestr(name, data)


def _truncate(path):
    data = (path / "arrays.npz").read_bytes()
    (path / "arrays.npz").write_bytes(data[:len(data) // 2])


def _corrupt_member(path):
    data = bytearray((path / "arrays.npz").read_bytes())
    with zipfile.ZipFile(path / "arrays.npz") as z:
        info = z.getinfo("pop0.state.v.npy")
    at = info.header_offset + 30 + len(info.filename) + 200
    data[at:at + 8] = b"\xff" * 8
    (path / "arrays.npz").write_bytes(bytes(data))


DAMAGE = {
    "meta not JSON": (lambda p: (p / "meta.json").write_text("{\"format\": \"pyn-checkpoint\","), "not JSON"),
    "meta not a dict": (lambda p: (p / "meta.json").write_text("[1, 2]"), "JSON object"),
    "other format": (lambda p: _edit_meta(p, lambda m: _set(m, "format", "pyn-results")), "format"),
    "version 2": (lambda p: _edit_meta(p, lambda m: _set(m, "version", 2)), "version 2"),
    "version as text": (lambda p: _edit_meta(p, lambda m: _set(m, "version", "1")), "version '1'"),
    "no version": (lambda p: _edit_meta(p, lambda m: {k: v for k, v in m.items() if k != "version"}), "version"),
    "arrays.npz missing": (lambda p: (p / "arrays.npz").unlink(), "arrays.npz is missing"),
    "arrays.npz truncated": (_truncate, "arrays.npz cannot be read"),
    "arrays.npz member damaged": (_corrupt_member, "arrays.npz cannot be read"),
    "arrays.npz not a zip": (lambda p: (p / "arrays.npz").write_bytes(b"not a zip at all"), "cannot be read"),
    "array missing": (lambda p: _edit_arrays(p, lambda a: a.pop("receptor0.ring")), "no array 'receptor0.ring'"),
    "recorder array missing": (lambda p: _edit_arrays(p, lambda a: a.pop("recorder.trace.0.v")),
                               "no array 'recorder.trace.0.v'"),
    "backend array missing": (lambda p: _edit_arrays(p, lambda a: a.pop("backend.late.1.ids")),
                              "no array 'backend.late.1.ids'"),
    "wrong dtype": (lambda p: _edit_arrays(p, lambda a: a.update({"pop0.state.v": a["pop0.state.v"].astype(
        np.float32)})), "'pop0.state.v' is float32, float64 expected"),
    "wrong shape": (lambda p: _edit_arrays(p, lambda a: a.update({"pop1.state.u": a["pop1.state.u"][:3]})),
                    "'pop1.state.u' has shape"),
    "wrong weight shape": (lambda p: _edit_arrays(p, lambda a: a.update({"proj1.weight": a["proj1.weight"][1:]})),
                           "'proj1.weight' has shape"),
    "trace rows": (lambda p: _edit_arrays(p, lambda a: a.update({"recorder.trace.0.v": a["recorder.trace.0.v"][1:]})),
                   "recorder.trace.0.v"),
    "spike ids out of range": (lambda p: _edit_arrays(p, lambda a: a["recorder.spikes.0.ids"].__setitem__(0, 99)),
                               "indices outside"),
    "in-flight ids out of range": (lambda p: _edit_arrays(p, lambda a: a.update(
        {"backend.late.0.ids": np.full_like(a["backend.late.0.ids"], 1000)})), "indices outside"),
    "object array": (lambda p: _edit_arrays(p, lambda a: a.update({"pop0.I": np.array([{}], dtype=object)})),
                     "cannot be read"),
    "member not an array": (lambda p: _add_member(p, "pop0.I", b"12345678"), "not arrays"),
    "extra array": (lambda p: _edit_arrays(p, lambda a: a.update({"pop9.state.v": np.zeros(3)})),
                    "arrays this network does not have"),
    "field missing": (lambda p: _edit_meta(p, lambda m: (m["run"].pop("k"), m)[1]), "'run.k' is missing"),
    "field of wrong type": (lambda p: _edit_meta(p, lambda m: _set(m, "build.seed", "eleven")), "'build.seed'"),
    "rng damaged": (lambda p: _edit_meta(p, lambda m: _set(m, "run.rng.state.state", 12)), "run.rng.state.state"),
    "rng of another kind": (lambda p: _edit_meta(p, lambda m: _set(m, "run.rng.bit_generator", "MT19937")),
                            "run.rng.bit_generator"),
    "network changed": (lambda p: _edit_meta(p, lambda m: _set(m, "network.populations", [
        m["network"]["populations"][0], dict(m["network"]["populations"][1], N=11)]
        + m["network"]["populations"][2:])), "rebuilt network differs"),
    "network unbuildable": (lambda p: _edit_meta(p, lambda m: _set(m, "network.populations", [
        dict(m["network"]["populations"][0], N=26)] + m["network"]["populations"][1:])), "cannot be rebuilt"),
    "synapses changed": (lambda p: _edit_meta(p, lambda m: _set(m, "structure.connections", [
        dict(m["structure"]["connections"][0], sha256="0" * 64)] + m["structure"]["connections"][1:])),
        "connections\\[0\\].sha256"),
    "network spec damaged": (lambda p: _edit_meta(p, lambda m: _set(m, "network.format", "nope")), "rebuilt"),
    "monitors damaged": (lambda p: _edit_meta(p, lambda m: _set(m, "monitors", [{"connection": 40, "every": 1}])),
                         "monitors\\[0\\]"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_checkpoint_is_refused(damage, saved, tmp_path):
    path = _copy(saved, tmp_path)
    edit, message = DAMAGE[damage]
    edit(path)
    with pytest.raises(PynValueError, match=message):
        load_checkpoint(path, backend="numpy")


def test_the_undamaged_copy_loads(saved, tmp_path):
    """The damage tests above start from a checkpoint that loads (so each refusal is the damage's)."""
    sim = load_checkpoint(_copy(saved, tmp_path), backend="numpy")
    assert sim.t == pytest.approx(24.5)


def test_no_checkpoint_at_the_path(tmp_path):
    with pytest.raises(NoSavedRun, match="no meta.json"):
        load_checkpoint(tmp_path / "nothing")


# ---------------------------------------------------------------------------
# atomic writing
# ---------------------------------------------------------------------------
def _small(seed=1):
    net = Network([LIFPopulation("n", N=4)])
    net.add_noise("n", mean=22.0, std=5.0)
    sim = net.build(dt=0.1, seed=seed, backend="numpy")
    sim.run(10.0)
    return sim


def _failing_savez(exc):
    real = np.savez

    def savez(f, **arrays):
        f.write(b"PK\x03\x04 the first bytes of a zip")
        raise exc
    return real, savez


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_a_failed_write_leaves_nothing(exc, tmp_path, monkeypatch):
    _, savez = _failing_savez(exc)
    monkeypatch.setattr(ckpt.np, "savez", savez)
    with pytest.raises(type(exc)):
        _small().save_checkpoint(tmp_path / "ckpt")
    assert os.listdir(tmp_path) == []


def test_an_existing_checkpoint_is_replaced_on_success_only(tmp_path, monkeypatch):
    first = _small(seed=1)
    path = first.save_checkpoint(tmp_path / "ckpt")
    before = (Path(path) / "arrays.npz").read_bytes()
    second = _small(seed=2)
    second.run(5.0)
    real, savez = _failing_savez(OSError("disk full"))
    monkeypatch.setattr(ckpt.np, "savez", savez)
    with pytest.raises(OSError):
        second.save_checkpoint(path)
    assert os.listdir(tmp_path) == ["ckpt"] and (Path(path) / "arrays.npz").read_bytes() == before
    assert load_checkpoint(path, backend="numpy").t == pytest.approx(10.0)
    monkeypatch.setattr(ckpt.np, "savez", real)
    assert second.save_checkpoint(path) == path
    assert os.listdir(tmp_path) == ["ckpt"]
    assert load_checkpoint(path, backend="numpy").t == pytest.approx(15.0)


def test_a_path_that_is_not_a_checkpoint_is_never_replaced(tmp_path):
    other = tmp_path / "data"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    (tmp_path / "file").write_text("keep me too")
    sim = _small()
    for target in (other, tmp_path / "file"):
        with pytest.raises(PynValueError, match="not a pyN checkpoint"):
            sim.save_checkpoint(target)
    assert (other / "precious.txt").read_text() == "keep me" and sorted(os.listdir(tmp_path)) == ["data", "file"]


def test_the_files_are_open_formats(tmp_path):
    path = Path(_small().save_checkpoint(tmp_path / "c"))
    meta = json.loads((path / "meta.json").read_text())
    assert meta["format"] == "pyn-checkpoint" and meta["version"] == 1
    assert meta["run"]["k"] == 100 and isinstance(meta["run"]["rng"]["state"]["state"], str)
    with np.load(path / "arrays.npz", allow_pickle=False) as z:
        assert "pop0.state.v" in z.files and z["pop0.state.v"].dtype == np.float64
