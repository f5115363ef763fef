"""A saved run is its own recipe: rerunning it gives the same spikes, or says clearly why it cannot."""
from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest

import pyn_core
from pyn_core import (IzhikevichPopulation, LIFPopulation, Network, PoissonPopulation, PynValueError,
                      load_checkpoint, load_results, rerun)
from pyn_core.__main__ import main
from pyn_core.demo import THALAMUS_STIMULI, thalamocortical_network
from pyn_core.recipe import compare_spikes


def assert_same_spikes(a, b):
    assert a.names == b.names
    for p in a:
        np.testing.assert_array_equal(p.spike_times, b[p.name].spike_times, err_msg=p.name)
        np.testing.assert_array_equal(p.spike_ids, b[p.name].spike_ids, err_msg=p.name)
    assert compare_spikes(a, b) is None


def rich_network():
    """Every kind of input and learning a recipe must carry (noise, Poisson drive and source, STDP)."""
    net = Network([IzhikevichPopulation("exc", N=30, preset="tonic_spiking"), LIFPopulation("inh", N=10),
                   PoissonPopulation("src", N=20, rate=30.0)], name="rich")
    net.connect("src", "exc", rule="fixed_indegree", k=4, weight={"dist": "uniform", "low": 2, "high": 6})
    net.connect("exc", "inh", rule={"name": "pairwise_bernoulli", "p": 0.3}, weight=8.0, delay=1.5, std=0.5,
                plasticity="stdp")
    net.connect("inh", "exc", rule="all_to_all", weight=1.0, mode="inhibitory")
    net.add_noise("exc", mean=2.0, std=3.0)
    net.add_poisson("inh", rate=400.0, weight=10.0, start=5.0)
    return net


def ramp(t):
    return 5.0 + 0.05 * t


def test_the_demo_run_reruns_with_its_dt_seed_and_stimuli(tmp_path):
    """The demo's run (dt 0.25, seed 1, current injection) reruns to the same spikes: its recipe holds them."""
    pytest.importorskip("matplotlib")
    from pyn_core.demo import run_demo
    res, png = run_demo(str(tmp_path / "demo"), seed=1)
    recipe = load_results(res.path).meta["recipe"]
    assert recipe["build"]["dt"] == 0.25 and recipe["build"]["seed"] == 1
    assert recipe["network"]["settings"]["dt"] == 0.25 and recipe["network"]["settings"]["seed"] == 1
    assert [s["amplitude"] for s in recipe["build"]["stimuli"]] == [s["mV"] for s in THALAMUS_STIMULI]
    assert recipe["steps"] == 2400 and recipe["backend"] == res.meta["backend"]
    again = rerun(res.path, out=tmp_path / "again")
    assert_same_spikes(res, again)
    assert os.path.dirname(again.path) == str(tmp_path / "again")
    assert_same_spikes(res, load_results(again.path))


@pytest.mark.parametrize("amplitude", [20.0, ramp], ids=["dict", "callable"])
def test_simulate_with_I_ext_reruns_identically(tmp_path, amplitude):
    stim = {"thalamus": [{"start": 10, "stop": 150, "mV": amplitude, "neurons": [0, 1]}]}
    res = thalamocortical_network().simulate(T=200, dt=0.25, I_ext=stim, seed=1, save_data=tmp_path,
                                             properties_to_save=["v", "I_ext"], backend="numpy")
    assert res["thalamus"].spike_times.size > 0
    loaded = load_results(res.path)
    if callable(amplitude):
        (name,) = loaded.recipe_tables
        np.testing.assert_array_equal(loaded.recipe_tables[name], ramp(np.arange(40, 601) * 0.25))
    again = rerun(res.path)
    assert_same_spikes(res, again)
    np.testing.assert_array_equal(res["thalamus"].I_ext, again["thalamus"].I_ext)
    np.testing.assert_array_equal(res["cortex"].v, again["cortex"].v)


def test_build_and_run_with_everything_reruns_identically(tmp_path):
    net = rich_network()
    sim = net.build(dt=0.1, backend="numpy", record={"exc": ["v", "u"], "inh": ["v"]}, record_every=0.5,
                    record_weights={"exc->inh": {"every": 5.0, "synapses": 7}},
                    I_ext={"exc": [{"start": 5, "stop": 60, "mV": ramp, "neurons": [0, 3, 5]}]})
    sim.monitor_weights("src->exc", every=10.0)                   # before the start: part of the recipe
    res = sim.run(80.0)
    path = res.save(tmp_path)
    recipe = load_results(path).meta["recipe"]
    assert recipe["build"]["seed"] == sim.seed                    # drawn, and kept
    assert recipe["build"]["record_every_steps"] == 5
    assert [m["connection"] for m in recipe["record_weights"]] == ["exc->inh", "src->exc"]
    assert recipe["build"]["learning"] is True and recipe["interventions"] == {}
    again = rerun(path)
    assert_same_spikes(res, again)
    assert sum(p.spike_times.size for p in res) > 100
    for key, rec in res.weights.items():
        np.testing.assert_array_equal(rec.w, again.weights[key].w, err_msg=key)
        np.testing.assert_array_equal(rec.synapses, again.weights[key].synapses)
    # it learned (the whole connection: its 7 monitored synapses may all sit between neurons that never pair,
    # for some of the seeds drawn here, 2 in 30)
    assert np.any(sim.get_weights("exc->inh")[2] != 8.0)
    np.testing.assert_array_equal(res.t, again.t)
    np.testing.assert_array_equal(res["exc"].u, again["exc"].u)


def test_an_advance_loop_reruns_identically(tmp_path):
    net = rich_network()
    sim = net.build(dt=0.1, seed=5, backend="numpy", stdp=False, record={"inh": ["v"]})
    for ms in (0.05, 3.3, 0.0, 17.25, 9.4):       # odd pieces, half steps carried over
        sim.advance(ms)
    res = sim.results
    path = res.save(tmp_path)
    assert load_results(path).meta["recipe"]["steps"] == sim.k
    again = rerun(path)
    assert again.duration == res.duration
    assert_same_spikes(res, again)
    np.testing.assert_array_equal(res["inh"].v, again["inh"].v)


def test_the_recipe_survives_loading(tmp_path):
    res = rich_network().simulate(T=20, dt=0.1, seed=2, save_data=tmp_path, backend="numpy",
                                  I_ext={"exc": [{"start": 0, "stop": 10, "mV": ramp}]})
    loaded = load_results(res.path)
    assert loaded.meta["recipe"] == json.loads(json.dumps(res.meta["recipe"]))
    assert loaded.recipe_tables.keys() == res.recipe_tables.keys() and loaded.recipe_tables
    for k, v in res.recipe_tables.items():
        np.testing.assert_array_equal(loaded.recipe_tables[k], v)
    # saved again from the loaded results, it still reruns
    path2 = loaded.save(tmp_path / "copy")
    assert_same_spikes(res, rerun(path2))


def _rstdp_sim():
    net = Network([PoissonPopulation("pre", N=10, rate=50.0), LIFPopulation("post", N=5)])
    net.connect("pre", "post", rule="all_to_all", weight=5.0, plasticity="rstdp")
    return net.build(dt=0.1, seed=1, backend="numpy")


@pytest.mark.parametrize("call", ["reward", "set_weights", "disconnect", "reconnect", "monitor_weights"])
def test_runs_driven_by_calls_between_runs_are_refused(tmp_path, call):
    sim = _rstdp_sim()
    sim.advance(10.0)
    if call == "reward":
        sim.reward(0.5)
    elif call == "set_weights":
        sim.set_weights("pre->post", 2.0)
    elif call == "disconnect":
        sim.disconnect("pre", "post")
    elif call == "reconnect":
        sim.reconnect("pre", "post")
    else:
        sim.monitor_weights("pre->post", every=1.0)
    sim.advance(10.0)
    path = sim.results.save(tmp_path)
    assert load_results(path).meta["recipe"]["interventions"] == {call: 1}
    with pytest.raises(PynValueError, match=rf"cannot be rerun: the run was driven by calls between runs \({call} x1\)"):
        rerun(path)


def test_an_untouched_loop_of_the_same_network_reruns(tmp_path):
    """The refusal above is for the calls, not the network: without them the same run reruns."""
    sim = _rstdp_sim()
    sim.advance(10.0)
    sim.advance(10.0)
    res = sim.results
    assert_same_spikes(res, rerun(res.save(tmp_path)))


def test_a_run_continued_from_a_checkpoint_is_refused(tmp_path):
    sim = rich_network().build(dt=0.1, seed=3, backend="numpy")
    sim.run(10.0)
    restored = load_checkpoint(sim.save_checkpoint(tmp_path / "ckpt"), backend="numpy")
    restored.run(10.0)
    path = restored.results.save(tmp_path / "runs")
    with pytest.raises(PynValueError, match=r"load_checkpoint x1"):
        rerun(path)


def _edit_meta(path, change):
    meta_path = os.path.join(path, "meta.json")
    with open(meta_path) as f:
        meta = json.load(f)
    change(meta)
    with open(meta_path, "w") as f:
        json.dump(meta, f)


@pytest.fixture
def saved_run(tmp_path):
    res = rich_network().simulate(T=30, dt=0.1, seed=4, save_data=tmp_path / "runs", backend="numpy",
                                  I_ext={"exc": [{"start": 0, "stop": 20, "mV": ramp}]})
    return res


def test_a_run_without_a_recipe_loads_but_is_refused(saved_run):
    _edit_meta(saved_run.path, lambda m: m.pop("recipe"))        # as pyN wrote runs before recipes
    loaded = load_results(saved_run.path)
    assert loaded["exc"].spike_times.size == saved_run["exc"].spike_times.size
    with pytest.raises(PynValueError, match=r"cannot be rerun: it was saved without a recipe"):
        rerun(saved_run.path)


@pytest.mark.parametrize("damage,match", [
    (lambda m: m["recipe"]["build"].update(seed=99), r"rebuilt network differs"),
    (lambda m: m["recipe"]["build"].pop("dt"), r"'recipe.build.dt' is missing"),
    (lambda m: m["recipe"].update(version=7), r"recipe has version 7"),
    (lambda m: m["recipe"]["build"]["stimuli"][-1]["amplitude"].update(saved_table="recipe.none"),
     r"table 'recipe.none' of stimulus 2"),
    (lambda m: m["recipe"]["network"]["populations"][0].update(N=-3), r"its recipe does not build"),
    (lambda m: m.update(recipe=[1]), r"meta.json 'recipe' must be an object"),
])
def test_a_damaged_recipe_is_refused_with_its_reason(saved_run, damage, match):
    _edit_meta(saved_run.path, damage)
    with pytest.raises(PynValueError, match=match):
        rerun(saved_run.path)


def test_a_missing_backend_falls_back_with_a_message(saved_run, caplog):
    _edit_meta(saved_run.path, lambda m: m["recipe"].update(backend="not-installed-here"))
    with caplog.at_level(logging.INFO, logger="pyn_core"):
        again = rerun(saved_run.path)
    assert "not-installed-here backend, which is not installed here" in caplog.text
    assert_same_spikes(saved_run, again)


def test_results_and_populations_have_a_readable_repr(saved_run):
    text = repr(saved_run)
    assert text.startswith("Results(")
    for p in saved_run:
        assert f"{p.name} N={p.N} spikes={p.spike_times.size}" in text
    assert f"{saved_run.duration:g} ms" in text and repr(saved_run.path) in text
    assert "not saved" in repr(rich_network().build(dt=0.1, seed=0, backend="numpy").results)
    p = saved_run["exc"]
    assert repr(p) == f"PopulationResults('exc': N=30, {p.spike_times.size} spikes)"
    assert "traces: v" in repr(thalamocortical_network().simulate(T=5, dt=0.25, save_data=None, seed=1,
                                                                  properties_to_save=["v"])["cortex"])
    assert "object at 0x" not in str(saved_run)


# -- the command line -------------------------------------------------------------------------------

def test_cli_rerun_reports_identical_spikes(saved_run, tmp_path, capsys):
    assert main(["rerun", saved_run.path, "--out", str(tmp_path / "again")]) == 0
    out = capsys.readouterr().out
    assert "spikes:  identical" in out
    (folder,) = os.listdir(tmp_path / "again")
    assert os.path.join(str(tmp_path / "again"), folder) in out
    assert_same_spikes(saved_run, load_results(tmp_path / "again" / folder))


def test_cli_rerun_reports_the_first_difference(saved_run, tmp_path, capsys):
    npz = os.path.join(saved_run.path, "arrays.npz")
    with np.load(npz) as z:
        arrays = {k: z[k] for k in z.files}
    i = saved_run.names.index("inh")
    assert arrays[f"p{i}.spike_times"].size > 3
    arrays[f"p{i}.spike_times"][3] += 0.1                           # the saved spikes no longer match
    with open(npz, "wb") as f:
        np.savez(f, **arrays)
    assert main(["rerun", saved_run.path, "--out", str(tmp_path / "again")]) == 1
    assert "spikes:  differ: population 'inh': spike 3 differs" in capsys.readouterr().out


def test_cli_rerun_user_errors_exit_2_with_one_line(saved_run, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["rerun", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "not a saved pyN run" in err and len(err.strip().splitlines()) == 1
    _edit_meta(saved_run.path, lambda m: m.pop("recipe"))
    with pytest.raises(SystemExit) as e:
        main(["rerun", saved_run.path, "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "saved without a recipe" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


# -- numba ------------------------------------------------------------------------------------------

@pytest.mark.requires_numba
def test_a_numba_run_reruns_identically_on_numba_and_numpy(tmp_path):
    """Izhikevich neurons without short-term plasticity: numpy and numba agree bit for bit."""
    pytest.importorskip("numba")
    res = thalamocortical_network().simulate(T=300, dt=0.25, seed=1, save_data=tmp_path, backend="numba",
                                             I_ext={"thalamus": THALAMUS_STIMULI}, record_weights={"thalamus->cortex": 50.0})
    assert res.meta["recipe"]["backend"] == "numba" and res.meta["recipe"]["threads"] >= 1
    again = rerun(res.path)
    assert again.meta["backend"] == "numba"
    assert_same_spikes(res, again)
    on_numpy = rerun(res.path, backend="numpy")
    assert on_numpy.meta["backend"] == "numpy"
    assert_same_spikes(res, on_numpy)
    np.testing.assert_array_equal(res.weights["thalamus->cortex"].w, on_numpy.weights["thalamus->cortex"].w)


def test_rerun_is_exported():
    assert pyn_core.rerun is rerun and "rerun" in pyn_core.__all__
