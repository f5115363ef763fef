"""Panel data <-> network spec, without Blender."""
import json

import pytest

pyn_core = pytest.importorskip("pyn_core")

from blender_addon import spec_convert as sc  # noqa: E402
from pyn_core import PynError, PynIndexError, PynLookupError, PynValueError  # noqa: E402

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
    with pytest.raises(PynValueError, match="0-9, 12"):
        sc.parse_index_list(text)


def test_refuses_other_formats_and_newer_versions():
    with pytest.raises(PynValueError, match="not a pyN network spec"):
        sc.panel_from_spec({"format": "something"})
    with pytest.raises(PynValueError, match="newer"):
        sc.panel_from_spec({"format": "pyn-network", "version": 99})


def test_bad_json_field_names_the_item():
    data = sc.panel_from_spec(FULL_SPEC)
    data["populations"][0]["params_json"] = "{oops"
    with pytest.raises(PynValueError, match="thalamus"):
        sc.spec_from_panel(data)
    data["populations"][0]["params_json"] = ""
    data["populations"][1]["extra_json"] = "[1, 2]"
    with pytest.raises(PynValueError, match="extra fields of population 'cortex': write a JSON object"):
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
    with pytest.raises(PynValueError, match="not valid JSON"):
        sc.read_spec_file(path)


def test_backwards_range_suggests_the_fix():
    with pytest.raises(PynValueError, match="write it as 1-3"):
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
    with pytest.raises(PynValueError, match="spikes, voltage"):
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
    with pytest.raises(PynValueError, match="unknown plasticity rule 'bcm'"):
        sc.panel_from_spec(spec)


# -- the panel's lists are the core's vocabularies -------------------------------------------------

def test_lists_are_the_cores_vocabularies_with_the_panels_own_differences():
    assert sc.choices("model") == pyn_core.models()
    assert sc.choices("layout") == pyn_core.layouts()
    assert sc.choices("mode") == pyn_core.connection_modes()
    assert sc.choices("stimulus") == pyn_core.stimulus_kinds()
    assert sc.choices("weight_dist") == ["constant"] + pyn_core.weight_distributions()
    assert sc.choices("synapse") == ["default"] + pyn_core.synapse_kinds()
    assert sc.choices("plasticity") == ["default", "none"] + pyn_core.plasticity_rules()
    assert sc.choices("rule") == [r for r in pyn_core.connection_rules() if r != "explicit"]
    assert sc.left_out("rule") == ["explicit"]
    assert all(sc.left_out(field) == [] for field in sc.CORE_LISTS if field != "rule")
    with pytest.raises(PynLookupError, match="lists: model"):
        sc.choices("colour")


def test_the_panel_invents_no_entries():
    """Every entry the panel has fields for is the core's (or one of the panel's own additions)."""
    for field, entries in sc.PANEL_FIELDS.items():
        core = getattr(pyn_core, sc.CORE_LISTS[field])()
        assert set(entries) <= set(core) | set(sc.PANEL_ADDS.get(field, ())), field
    for field, adds in sc.PANEL_ADDS.items():
        assert not set(adds) & set(getattr(pyn_core, sc.CORE_LISTS[field])()), field


def test_which_kinds_take_tau_and_E_comes_from_the_kinds_params():
    for name in pyn_core.synapse_kinds():
        params = pyn_core.get_synapse_kind(name).params
        fields = sc.synapse_fields(name)
        assert ("synapse_tau" in fields) == ("tau" in params), name
        assert ("synapse_E" in fields) == ("E" in params), name
    assert sc.synapse_fields("default") == () and sc.synapse_fields("no_such_kind") == ()


def test_a_spec_with_the_explicit_rule_keeps_it_whole():
    spec = json.loads(json.dumps(FULL_SPEC))
    rule = {"name": "explicit", "pre": [0, 1], "post": [1, 0]}
    spec["projections"][3]["rule"] = rule
    data = sc.panel_from_spec(spec)
    pr = data["projections"][3]
    assert pr["rule"] in sc.choices("rule") and sc.kept_rule(pr) == "explicit"
    assert sc.kept_rule(data["projections"][0]) is None
    assert sc.spec_from_panel(json.loads(json.dumps(data)))["projections"] == spec["projections"]


# -- synapse kinds of the user's own -------------------------------------------------------------

def test_a_user_synapse_kind_is_offered_and_its_params_get_rows(user_synapse):
    assert user_synapse.name in sc.choices("synapse")
    assert sc.synapse_fields(user_synapse.name) == ()
    assert sc.synapse_param_rows(user_synapse.name) == [{"name": "tau_rise", "value": 1.0},
                                                        {"name": "tau_decay", "value": 5.0}]
    # values already there stay, another kind's rows go
    rows = sc.synapse_param_rows(user_synapse.name, [{"name": "tau_decay", "value": 8.0},
                                                     {"name": "tau", "value": 3.0}])
    assert rows == [{"name": "tau_rise", "value": 1.0}, {"name": "tau_decay", "value": 8.0}]
    assert sc.synapse_param_rows("exp", rows) == [] and sc.synapse_param_rows("unregistered", rows) is None


def test_user_synapse_params_survive_panel_spec_panel(user_synapse):
    data = sc.default_panel()
    data["populations"] += [sc.default_population(0, "A"), sc.default_population(1, "B")]
    pr = sc.default_projection("A", "B")
    pr["synapse"] = user_synapse.name
    pr["synapse_params"] = [{"name": "tau_rise", "value": 0.5}, {"name": "tau_decay", "value": 7.5}]
    data["projections"].append(pr)
    st = sc.default_stimulus("B", "poisson")
    st["synapse"] = user_synapse.name
    st["synapse_params"] = [{"name": "tau_rise", "value": 2.0}, {"name": "tau_decay", "value": 4.0}]
    data["stimuli"].append(st)
    spec = sc.spec_from_panel(data)
    assert spec["projections"][0]["synapse"] == {"kind": user_synapse.name, "tau_rise": 0.5, "tau_decay": 7.5}
    assert spec["stimuli"][0]["synapse"] == {"kind": user_synapse.name, "tau_rise": 2.0, "tau_decay": 4.0}
    again = sc.panel_from_spec(json.loads(json.dumps(spec)))
    assert again["projections"][0] == pr and again["stimuli"][0] == st
    # and the core takes it, and gives it back unchanged
    core = pyn_core.Network.from_spec(spec).to_spec()
    assert core["projections"][0]["synapse"] == spec["projections"][0]["synapse"]
    assert sc.spec_from_panel(sc.panel_from_spec(core))["projections"] == core["projections"]


def test_an_unregistered_synapse_kind_is_named_with_what_to_do():
    data = sc.default_panel()
    data["populations"].append(sc.default_population(0, "A"))
    data["projections"].append(dict(sc.default_projection("A", "A"), synapse="alpah"))
    with pytest.raises(PynLookupError, match=r"Synapse 'alpah' is not a registered synapse kind; choose one of: "
                                             r"default, delta, .*register_synapse"):
        sc.spec_from_panel(data)


# -- what the fields refer to is checked, and the field named --------------------------------------

def _panel(**stimulus):
    data = sc.default_panel()
    data["populations"] += [sc.default_population(0, "thalamus"), sc.default_population(1, "cortex")]
    data["populations"][1]["N"] = 10
    data["projections"].append(sc.default_projection("thalamus", "cortex"))
    data["stimuli"].append(dict(sc.default_stimulus("cortex"), **stimulus))
    return data


@pytest.mark.parametrize("where, field, message", [
    ("projections", "pre", r"connection 1 \(pop0 -> cortex\): From 'pop0' is not a population of this network; "
                           r"choose one of: 'thalamus', 'cortex'"),
    ("projections", "post", r"connection 1 \(thalamus -> pop0\): To 'pop0' is not a population"),
    ("stimuli", "target", r"stimulus 1 \(current on 'pop0'\): Target 'pop0' is not a population of this "
                          r"network; choose one of: 'thalamus', 'cortex'"),
])
def test_a_renamed_population_is_named_by_the_field_that_still_uses_it(where, field, message):
    data = _panel()
    data[where][0][field] = "pop0"
    with pytest.raises(PynLookupError, match=message):
        sc.spec_from_panel(data)


def test_a_mistyped_model_says_which_models_there_are():
    data = _panel()
    data["populations"][0]["model"] = "izhikevic"
    with pytest.raises(PynLookupError, match=r"population 'thalamus': Model 'izhikevic' is not a registered neuron "
                                             r"model; choose one of: adex, hh, izhikevich, lif"):
        sc.spec_from_panel(data)


def test_neurons_beyond_N_say_which_indices_there_are():
    with pytest.raises(PynIndexError, match=r"Neurons '0-3, 10' names neuron 10, but 'cortex' has N = 10; "
                                            r"use indices 0-9"):
        sc.spec_from_panel(_panel(neurons="0-3, 10"))
    with pytest.raises(PynValueError, match=r"stimulus 1 \(current on 'cortex'\): Neurons: .*write it as 1-3"):
        sc.spec_from_panel(_panel(neurons="3-1"))
    assert sc.spec_from_panel(_panel(neurons="0-9"))["stimuli"][0]["neurons"] == list(range(10))


def test_every_error_is_one_of_the_cores_family(tmp_path):
    for bad in (lambda: sc.parse_index_list("x"), lambda: sc.read_spec_file(tmp_path / "missing.json"),
                lambda: sc.write_spec_file(FULL_SPEC, tmp_path / "no" / "such" / "dir.json"),
                lambda: sc.panel_from_spec({"format": "x"}), lambda: sc.spec_from_panel(_panel(target="x"))):
        with pytest.raises(PynError):
            bad()
    with pytest.raises(PynValueError, match="missing.json: cannot be read .*choose a network spec"):
        sc.read_spec_file(tmp_path / "missing.json")
