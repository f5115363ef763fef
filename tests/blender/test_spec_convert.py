"""Panel data <-> network spec, without Blender."""
import json

import pytest

from blender_addon import spec_convert as sc

FULL_SPEC = {
    "format": "pyn-network", "version": 1, "name": "loop",
    "populations": [
        {"name": "thalamus", "model": "izhikevich", "N": 100, "preset": "tonic_spiking",
         "params": {"d": 6.0, "c": [-65.0] * 100}, "initial": {"v": -70.0}, "options": {},
         "positions": {"layout": "grid", "spacing": 1.0, "center": [0.0, 0.0, -3.0]},
         "connectivity": None, "scale": 1.0, "color": [0.1, 0.5, 1.0]},
        {"name": "cortex", "model": "izhikevich", "N": 50, "preset": None, "params": {},
         "positions": {"layout": "box", "size": [4.0, 4.0, 1.0], "center": [0.0, 0.0, 4.0], "seed": 7},
         "synapse_defaults": {"kind": "exp", "tau": 3.0}, "color": [1.0, 0.3, 0.1]},
        {"name": "few", "model": "lif", "N": 2, "preset": None, "params": {},
         "positions": {"layout": "explicit", "xyz": [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]},
         "color": [1.0, 1.0, 1.0]},
    ],
    "projections": [
        {"name": "thalamus->cortex", "pre": "thalamus", "post": "cortex",
         "rule": {"name": "pairwise_bernoulli", "p": 0.1, "allow_autapses": False},
         "weight": {"dist": "uniform", "low": 0.0, "high": 1.0}, "scale": 1.0, "delay": 0.25,
         "delay_std": 0.05, "mode": "excitatory", "synapse": None, "plasticity": "default", "enabled": True},
        {"name": "feedback", "pre": "cortex", "post": "thalamus",
         "rule": {"name": "fixed_indegree", "k": 5, "allow_autapses": False},
         "weight": 0.5, "scale": 2.0, "delay": 2.25, "delay_std": 0.25, "mode": "inhibitory",
         "synapse": {"kind": "cond_exp", "tau": 10.0, "E": -80.0},
         "plasticity": {"rule": "stdp", "A_plus": 0.01, "w_max": None}, "enabled": False},
        {"name": "cortex->cortex", "pre": "cortex", "post": "cortex",
         "rule": {"name": "all_to_all", "allow_autapses": True},
         "weight": {"dist": "lognormal", "mean": 0.0, "std": 0.5}, "scale": 1.0, "delay": 1.0,
         "delay_std": 0.0, "mode": "excitatory", "synapse": {"kind": "delta"}, "plasticity": None,
         "enabled": True, "weight_matrix": [[1.0]]},
        {"name": "few->few", "pre": "few", "post": "few",
         "rule": {"name": "one_to_one", "allow_autapses": False},
         "weight": [0.1, 0.2], "scale": 1.0, "delay": [1.0, 2.0], "delay_std": 0.0, "mode": "excitatory",
         "synapse": {"kind": "cond_exp", "tau": 5.0}, "plasticity": "default", "enabled": True},
    ],
    "stimuli": [
        {"kind": "current", "target": "thalamus", "start": 10.0, "stop": 200.0, "neurons": [0],
         "amplitude": 20.0},
        {"kind": "current", "target": "thalamus", "start": 0.0, "stop": None, "neurons": None,
         "amplitude": 1.5},
        {"kind": "noise", "target": "cortex", "start": 0.0, "stop": 50.0, "neurons": [1, 2, 3],
         "mean": 0.5, "std": 2.0},
        {"kind": "poisson", "target": "cortex", "start": 0.0, "stop": None, "neurons": None,
         "rate": 40.0, "weight": 2.0, "synapse": {"kind": "exp", "tau": 2.0}},
        {"kind": "poisson", "target": "cortex", "start": 5.0, "stop": 6.0, "neurons": None,
         "rate": 40.0, "weight": 2.0, "synapse": None},
        {"kind": "spike_generator", "target": "cortex", "times": [1.0, 2.0]},
    ],
    "settings": {"dt": 0.25, "seed": 3, "stdp": True, "backend": "numpy"},
    "view": {"ms_per_frame": 2.0, "glow_decay_frames": 4.0, "camera_hint": "top"},
    "recording": {"thalamus": ["v"]},
}


def test_round_trip_is_exact_for_a_full_spec():
    data = sc.panel_from_spec(FULL_SPEC)
    back = sc.spec_from_panel(json.loads(json.dumps(data)))
    for key in ("populations", "projections", "stimuli", "settings", "recording", "name"):
        assert back[key] == FULL_SPEC[key], key
    assert back["view"]["camera_hint"] == "top"
    assert back["view"]["ms_per_frame"] == 2.0


def test_panel_fields_are_flat():
    data = sc.panel_from_spec(FULL_SPEC)
    pop = data["populations"][0]
    assert pop["N"] == 100 and pop["layout"] == "grid" and pop["center"] == [0.0, 0.0, -3.0]
    assert pop["params"] == [{"name": "d", "value": 6.0}]
    assert json.loads(pop["params_json"]) == {"c": [-65.0] * 100}
    pr = data["projections"][1]
    assert (pr["rule"], pr["k"], pr["mode"], pr["synapse"], pr["synapse_E"]) == \
        ("fixed_indegree", 5, "inhibitory", "cond_exp", -80.0)
    assert pr["plasticity"] == "stdp" and json.loads(pr["plasticity_json"]) == {"A_plus": 0.01, "w_max": None}
    assert not pr["enabled"] and json.loads(pr["extra_json"]) == {"name": "feedback"}
    assert data["projections"][0]["extra_json"] == ""  # the default name is not kept
    assert data["projections"][2]["weight_dist"] == "lognormal"
    st = data["stimuli"][3]
    assert st["kind"] == "poisson" and not st["has_stop"] and st["neurons"] == ""
    assert data["stimuli"][2]["neurons"] == "1-3"
    assert data["ms_per_frame"] == 2.0 and data["seed"] == 3


def test_panel_keys_match_defaults():
    data = sc.panel_from_spec(FULL_SPEC)
    assert set(data) == set(sc.default_panel())
    assert set(data["populations"][0]) == set(sc.default_population())
    assert set(data["projections"][0]) == set(sc.default_projection())
    assert set(data["stimuli"][0]) == set(sc.default_stimulus())


def test_new_items_make_a_valid_looking_spec():
    data = sc.default_panel()
    data["populations"].append(sc.default_population(0, "A"))
    data["projections"].append(sc.default_projection("A", "A"))
    data["stimuli"].append(sc.default_stimulus("A"))
    spec = sc.spec_from_panel(data)
    assert spec["format"] == "pyn-network" and spec["version"] == 1
    assert spec["projections"][0]["rule"] == {"name": "pairwise_bernoulli", "p": 0.1, "allow_autapses": False}
    assert spec["projections"][0]["plasticity"] == "default"
    assert spec["stimuli"][0] == {"kind": "current", "target": "A", "start": 10.0, "stop": 100.0,
                                  "amplitude": 10.0, "neurons": None}


@pytest.mark.parametrize("text, ids", [("", None), ("3", [3]), ("0-2, 5", [0, 1, 2, 5]),
                                       ("[1, 2]", [1, 2]), ("7-7", [7])])
def test_index_lists(text, ids):
    assert sc.parse_index_list(text) == ids
    if ids is not None:
        assert sc.parse_index_list(sc.format_index_list(ids)) == ids


@pytest.mark.parametrize("text", ["a", "-2", "1-2-3"])
def test_bad_index_lists_say_what_to_write(text):
    with pytest.raises(ValueError, match="0-9, 12"):
        sc.parse_index_list(text)


def test_refuses_other_formats_and_newer_versions():
    with pytest.raises(ValueError, match="not a pyN network spec"):
        sc.panel_from_spec({"format": "something"})
    with pytest.raises(ValueError, match="newer"):
        sc.panel_from_spec({"format": "pyn-network", "version": 99})


def test_bad_json_field_names_the_item():
    data = sc.panel_from_spec(FULL_SPEC)
    data["populations"][0]["params_json"] = "{oops"
    with pytest.raises(ValueError, match="thalamus"):
        sc.spec_from_panel(data)


def test_hash_ignores_view_and_colour_only():
    a = sc.spec_hash(FULL_SPEC)
    b = json.loads(json.dumps(FULL_SPEC))
    b["view"]["glow_decay_frames"] = 9
    b["populations"][0]["color"] = [0, 0, 0]
    assert sc.spec_hash(b) == a
    b["settings"]["seed"] = 4
    assert sc.spec_hash(b) != a


def test_spec_files(tmp_path):
    path = tmp_path / "net.json"
    sc.write_spec_file(FULL_SPEC, path)
    assert sc.read_spec_file(path) == FULL_SPEC
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        sc.read_spec_file(path)


def test_backwards_range_suggests_the_fix():
    with pytest.raises(ValueError, match="write it as 1-3"):
        sc.parse_index_list("3-1")


def _core_network():
    pyn_core = pytest.importorskip("pyn_core")
    A = pyn_core.IzhikevichPopulation(name="thalamus", N=20, a=0.02, b=0.2, c=-65, d=6, v0=-70,
                                      positions={"layout": "sphere", "radius": 3.0, "center": [0, 0, 1]})
    B = pyn_core.IzhikevichPopulation(name="cortex", N=10, preset="phasic_bursting",
                                      color=[1.0, 0.2, 0.1])
    C = pyn_core.LIFPopulation("lif", N=4)
    S = pyn_core.PoissonPopulation("drive", N=5, rate=30.0)
    net = pyn_core.Network(populations=[A, B, C, S], name="core-made")
    net.connect("thalamus", "cortex")
    net.connect("cortex", "thalamus", delay=2.25, std=0.25, mode="inhibitory", plasticity=None)
    net.connect("drive", "lif", rule="fixed_indegree", k=2, weight={"dist": "normal", "mean": 1, "std": 0.1},
                synapse={"kind": "cond_exp", "tau": 3.0})
    net.add_current("thalamus", amplitude=14.0, start=10, stop=100, neurons=[0, 1])
    net.add_poisson("cortex", rate=20.0, weight=0.5, start=0.0)
    net.add_noise("lif", mean=0.1, std=0.5, stop=20.0)
    return pyn_core, net


def test_core_spec_survives_the_panel():
    pyn_core, net = _core_network()
    spec = net.to_spec()
    back = sc.spec_from_panel(json.loads(json.dumps(sc.panel_from_spec(spec))))
    again = pyn_core.Network.from_spec(back).to_spec()
    # the panel fixes a missing seed (replays must give the same spikes) and gives every
    # population a display colour; all else is unchanged
    assert again["settings"] == dict(spec["settings"], seed=0)
    for key in ("projections", "stimuli", "name"):
        assert again[key] == spec[key], key
    for p, q in zip(again["populations"], spec["populations"]):
        q = dict(q)
        q.setdefault("color", p["color"])
        assert p == q


def test_tabulated_current_keeps_its_table_and_an_editable_window():
    table = {"times": [0.0, 10.0, 10.25, 100.0], "values": [0.0, 0.0, 14.0, 14.0]}
    spec = json.loads(json.dumps(FULL_SPEC))
    spec["stimuli"].append({"kind": "current", "target": "few", "start": 0.0, "stop": 100.0, "neurons": [1],
                            "amplitude": table})
    data = sc.panel_from_spec(spec)
    st = data["stimuli"][-1]
    assert (st["kind"], st["start"], st["stop"], st["neurons"]) == ("current", 0.0, 100.0, "1")
    assert sc.amplitude_table(st) == table
    assert sc.amplitude_table(data["stimuli"][0]) is None
    back = sc.spec_from_panel(json.loads(json.dumps(data)))
    assert back["stimuli"] == spec["stimuli"]
    st["stop"] = 50.0  # the window is edited in the panel, the table stays
    assert sc.spec_from_panel(data)["stimuli"][-1] == dict(spec["stimuli"][-1], stop=50.0)


def test_view_colouring_settings_travel_in_the_spec():
    spec = json.loads(json.dumps(FULL_SPEC))
    spec["view"].update(color_by="voltage", voltage_auto=False, voltage_min=-75.0, voltage_max=-45.0)
    data = sc.panel_from_spec(spec)
    assert (data["color_by"], data["voltage_auto"], data["voltage_min"]) == ("voltage", False, -75.0)
    view = sc.spec_from_panel(data)["view"]
    assert view["color_by"] == "voltage" and view["voltage_max"] == -45.0 and view["camera_hint"] == "top"
    assert sc.view_settings({"view": {}})["color_by"] == "spikes"
    spec["view"]["color_by"] = "rainbow"
    with pytest.raises(ValueError, match="spikes, voltage"):
        sc.panel_from_spec(spec)


def test_reward_modulated_and_short_term_plasticity_survive_the_panel():
    from pyn_core import LIFPopulation, Network
    net = Network([LIFPopulation("a", N=5), LIFPopulation("b", N=5)])
    net.connect("a", "b", plasticity={"rule": "rstdp", "tau_c": 500.0}, stp="depressing")
    spec = net.to_spec()
    data = sc.panel_from_spec(spec)
    assert data["projections"][0]["plasticity"] == "rstdp"
    back = sc.spec_from_panel(json.loads(json.dumps(data)))
    assert back["projections"] == spec["projections"]
    assert Network.from_spec(back).to_spec()["projections"] == spec["projections"]


def test_unknown_plasticity_rule_is_refused():
    spec = json.loads(json.dumps(FULL_SPEC))
    spec["projections"][0]["plasticity"] = {"rule": "bcm"}
    with pytest.raises(ValueError, match="unknown plasticity rule 'bcm'"):
        sc.panel_from_spec(spec)
