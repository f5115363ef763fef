"""Bad input is refused at the API boundary with a message that names the offending
parameter or name and says what is allowed."""
import re

import numpy as np
import pytest

import pyn_core
from pyn_core import (AdExPopulation, HHPopulation, IzhikevichPopulation, LIFPopulation, Network,
                      PoissonPopulation, Population, PynTypeError, PynValueError, SpikeSourcePopulation)


def two_pops():
    return Network(populations=[IzhikevichPopulation("a", N=4), IzhikevichPopulation("b", N=3)])


# -- populations -------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: IzhikevichPopulation("cells", N=0),
    lambda: LIFPopulation("cells", N=-3),
    lambda: AdExPopulation("cells", N=0),
    lambda: HHPopulation("cells", N=0),
    lambda: PoissonPopulation("cells", N=0, rate=5.0),
])
def test_population_size_below_one(make):
    with pytest.raises(ValueError, match=r"N of population 'cells' must be >= 1"):
        make()


def test_population_size_not_an_integer():
    with pytest.raises(TypeError, match=r"N of population 'cells' must be an integer"):
        LIFPopulation("cells", N=2.5)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_scalar_parameter(value):
    with pytest.raises(ValueError, match=r"parameter 'tau_m' of population 'cells' must be finite"):
        LIFPopulation("cells", N=2, tau_m=value)
    with pytest.raises(ValueError, match=r"parameter 'a' of population 'cells' must be finite"):
        IzhikevichPopulation("cells", N=2, a=value)


def test_non_finite_parameter_array():
    with pytest.raises(ValueError, match=r"parameter 'b' of population 'cells' contains NaN or inf"):
        AdExPopulation("cells", N=3, b=[0.1, np.nan, 0.2])


def test_parameter_array_of_wrong_length():
    with pytest.raises(ValueError, match=r"parameter 'tau_m' of population 'cells'.*length N=3.*\(2,\)"):
        LIFPopulation("cells", N=3, tau_m=[10.0, 20.0])


def test_non_finite_initial_value():
    with pytest.raises(ValueError, match=r"initial v of population 'cells' must be finite"):
        IzhikevichPopulation("cells", N=1, v0=float("nan"))


def test_unknown_parameter_lists_allowed():
    with pytest.raises(ValueError, match=r"unknown parameter 'tau' for model 'lif'; allowed: tau_m, v_rest"):
        LIFPopulation("cells", N=1, tau=5.0)


@pytest.mark.parametrize("model,make", [
    ("izhikevich", lambda: IzhikevichPopulation("cells", N=1, preset="tonic_spikin")),
    ("adex", lambda: AdExPopulation("cells", N=1, preset="bursty")),
])
def test_unknown_preset_lists_valid_ones(model, make):
    with pytest.raises(ValueError) as info:
        make()
    msg = str(info.value)
    assert "unknown preset" in msg and repr(model) in msg
    for name in pyn_core.presets(model):
        assert name in msg


def test_unknown_model_lists_known_models():
    with pytest.raises(LookupError, match=r"unknown neuron model 'hodgkin'; known models: adex, hh, izhikevich, lif"):
        Population("cells", 3, "hodgkin")


def test_bad_population_name():
    with pytest.raises(TypeError, match=r"population name must be a non-empty string"):
        LIFPopulation("", N=1)


def test_negative_poisson_rate():
    with pytest.raises(ValueError, match=r"rate of population 'drive' must be >= 0 Hz"):
        PoissonPopulation("drive", N=2, rate=-1.0)


def test_spike_times_per_source():
    with pytest.raises(ValueError, match=r"spike_times of population 'src' must be finite and >= 0 ms"):
        SpikeSourcePopulation("src", [[1.0, -2.0]])


# -- network -------------------------------------------------------------------------------------

def test_duplicate_population_names():
    with pytest.raises(ValueError, match=r"a population named 'a' is already in the network; .*unique"):
        Network(populations=[IzhikevichPopulation("a", N=2), LIFPopulation("a", N=2)])
    net = two_pops()
    with pytest.raises(ValueError, match=r"'b' is already in the network"):
        net.add(HHPopulation("b", N=1))


@pytest.mark.parametrize("pre,post", [("nope", "b"), ("a", "nope")])
def test_connect_unknown_population(pre, post):
    with pytest.raises(LookupError, match=r"no population named 'nope'; populations: a, b"):
        two_pops().connect(pre, post)


def test_get_unknown_population():
    with pytest.raises(LookupError, match=r"no population named 'c'; populations: a, b"):
        two_pops().get("c")


@pytest.mark.parametrize("kw", [{"synapses": "random-ish"}, {"rule": {"name": "bogus"}}, {"rule": "small_world"}])
def test_unknown_connection_rule(kw):
    with pytest.raises(ValueError, match=r"connection 'a' -> 'b': unknown connection rule '\w+(-ish)?'; "
                                         r"allowed: all_to_all, one_to_one, pairwise_bernoulli"):
        two_pops().connect("a", "b", **kw)


def test_weight_matrix_of_wrong_shape():
    with pytest.raises(ValueError, match=re.escape("weight matrix for 'a' -> 'b' must have shape (4, 3) (pre, post), "
                                                   "got (3, 4)")):
        two_pops().connect("a", "b", synapses=np.ones((3, 4)))


def test_weight_matrix_not_finite():
    W = np.ones((4, 3))
    W[1, 1] = np.inf
    with pytest.raises(ValueError, match=r"weight matrix values must be finite"):
        two_pops().connect("a", "b", synapses=W)


def test_negative_delay():
    with pytest.raises(ValueError, match=r"connection 'a' -> 'b': delay must be >= 0"):
        two_pops().connect("a", "b", delay=-1.0)
    with pytest.raises(ValueError, match=r"delay_matrix values must be finite and >= 0 ms"):
        two_pops().connect("a", "b", delay_matrix=-np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"std of the delay \(delay_std\) must be >= 0"):
        two_pops().connect("a", "b", delay=1.0, std=-0.5)


def test_delay_matrix_of_wrong_shape():
    with pytest.raises(ValueError, match=re.escape("delay_matrix must have shape (4, 3), got (2, 2)")):
        two_pops().connect("a", "b", delay_matrix=np.ones((2, 2)))


def test_unknown_mode():
    with pytest.raises(ValueError, match=r"mode must be one of \('excitatory', 'inhibitory'\), got 'shunting'"):
        two_pops().connect("a", "b", mode="shunting")


@pytest.mark.parametrize("syn", ["gap", {"kind": "nmda"}, {"tau": 3.0}])
def test_unknown_synapse_kind(syn):
    with pytest.raises(ValueError, match=r"synapse kind must be one of delta, pulse, exp, alpha, cond_exp"):
        two_pops().connect("a", "b", synapse=syn)


def test_bad_synapse_time_constant_and_field():
    with pytest.raises(ValueError, match=r"synapse tau must be > 0"):
        two_pops().connect("a", "b", synapse={"kind": "exp", "tau": 0.0})
    with pytest.raises(ValueError, match=r"unknown synapse field\(s\) \['g'\] for kind 'exp'; allowed: kind, tau"):
        two_pops().connect("a", "b", synapse={"kind": "exp", "g": 1.0})


def test_connection_into_a_source():
    net = Network(populations=[SpikeSourcePopulation("src", [[1.0]]), LIFPopulation("n", N=1)])
    with pytest.raises(ValueError, match=r"population 'src' is a spike source and cannot receive connections"):
        net.connect("n", "src")


# -- running ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", [0.0, -0.1, float("nan")])
def test_bad_time_step(dt):
    with pytest.raises(ValueError, match=r"dt must be (> 0|finite)"):
        two_pops().build(dt=dt, seed=0, backend="numpy")
    with pytest.raises(ValueError, match=r"dt must be (> 0|finite)"):
        two_pops().simulate(T=10, dt=dt, save_data=None, seed=0, backend="numpy")


def test_negative_duration():
    with pytest.raises(ValueError, match=r"T must be >= 0"):
        two_pops().simulate(T=-5, dt=0.1, save_data=None, seed=0, backend="numpy")
    sim = two_pops().build(dt=0.1, seed=0, backend="numpy")
    with pytest.raises(ValueError, match=r"duration \(ms\) must be >= 0"):
        sim.run(-1.0)
    with pytest.raises(ValueError, match=r"duration \(ms\) must be >= 0"):
        sim.advance(-1.0)


def test_bad_seed():
    with pytest.raises(TypeError, match=r"seed must be a non-negative integer, got -1"):
        two_pops().build(dt=0.1, seed=-1, backend="numpy")


def test_unknown_backend():
    with pytest.raises(ValueError, match=r"unknown backend 'cuda'; allowed: auto, numpy, numba"):
        two_pops().build(dt=0.1, seed=0, backend="cuda")


def test_stimulus_for_unknown_population():
    with pytest.raises(LookupError, match=r"no population named 'c'; populations: a, b"):
        two_pops().build(dt=0.1, seed=0, backend="numpy",
                         I_ext={"c": [{"start": 0, "stop": 10, "mV": 5, "neurons": [0]}]})
    with pytest.raises(LookupError, match=r"no population named 'c'"):
        two_pops().add_current("c", amplitude=1.0)


def test_stimulus_stop_before_start():
    with pytest.raises(ValueError, match=r"current stimulus on 'a': stop \(5(\.0)? ms\) must be >= start \(10(\.0)? ms\)"):
        two_pops().build(dt=0.1, seed=0, backend="numpy",
                         I_ext={"a": [{"start": 10, "stop": 5, "mV": 5, "neurons": [0]}]})
    with pytest.raises(ValueError, match=r"noise stimulus on 'a': stop"):
        two_pops().add_noise("a", start=10, stop=5)


def test_stimulus_negative_start():
    with pytest.raises(ValueError, match=r"current stimulus on 'a': start must be >= 0"):
        two_pops().add_current("a", amplitude=1.0, start=-1.0)


@pytest.mark.parametrize("bad", [4, -1, 100])
def test_stimulus_neuron_out_of_range(bad):
    with pytest.raises(IndexError, match=rf"neuron index {bad} out of range; allowed 0\.\.3"):
        two_pops().build(dt=0.1, seed=0, backend="numpy",
                         I_ext={"a": [{"start": 0, "stop": 10, "mV": 5, "neurons": [0, bad]}]})
    with pytest.raises(IndexError, match=rf"stimulus on 'a': neurons: neuron index {bad} out of range; allowed 0\.\.3"):
        two_pops().add_current("a", amplitude=1.0, neurons=[bad])


def test_stimulus_bad_keys_and_amplitude():
    with pytest.raises(ValueError, match=r"I_ext\['a'\]: unknown key\(s\) \['volts'\]; allowed: start, stop, mV"):
        two_pops().build(dt=0.1, seed=0, backend="numpy", I_ext={"a": [{"start": 0, "stop": 1, "volts": 5}]})
    with pytest.raises(ValueError, match=r"I_ext\['a'\]: each stimulus needs an amplitude \('mV'\)"):
        two_pops().build(dt=0.1, seed=0, backend="numpy", I_ext={"a": [{"start": 0, "stop": 1}]})
    with pytest.raises(ValueError, match=r"current stimulus on 'a': amplitude must be finite"):
        two_pops().add_current("a", amplitude=float("inf"))


def test_unknown_property_to_save():
    with pytest.raises(ValueError, match=r"unknown property to save 'voltage'; allowed: .*\bv\b"):
        two_pops().simulate(T=1, dt=0.1, save_data=None, seed=0, backend="numpy", properties_to_save=["voltage"])
    with pytest.raises(ValueError, match=r"cannot record 'w' of population 'a'; allowed: v, u"):
        two_pops().build(dt=0.1, seed=0, backend="numpy", record={"a": ["w"]})
    with pytest.raises(LookupError, match=r"cannot record population 'z': no such population; populations: a, b"):
        two_pops().build(dt=0.1, seed=0, backend="numpy", record={"z": ["v"]})


def test_unknown_recorded_variable_on_results():
    res = two_pops().simulate(T=1, dt=0.1, save_data=None, seed=0, backend="numpy", properties_to_save=["v"])
    with pytest.raises(AttributeError, match=r"population 'a' has no recorded 'u'; recorded: v"):
        res["a"].u
    with pytest.raises(LookupError, match=r"no population named 'c' in these results; populations: a, b"):
        res["c"]


# -- spec ---------------------------------------------------------------------------------------

def test_spec_of_another_format():
    with pytest.raises(ValueError, match=r"not a pyN network spec: expected a dict with format='pyn-network'"):
        Network.from_spec({"format": "nest-network", "version": 1})
    with pytest.raises(ValueError, match=r"not a pyN network spec"):
        Network.from_spec([1, 2, 3])


@pytest.mark.parametrize("version", [0, 99, "1", None])
def test_spec_of_unsupported_version(version):
    spec = two_pops().to_spec()
    spec["version"] = version
    with pytest.raises(ValueError, match=rf"unsupported network spec version {re.escape(repr(version))}; "
                                         r"this pyN reads versions 1\.\.\d+"):
        Network.from_spec(spec)


def test_spec_with_unknown_fields():
    spec = two_pops().to_spec()
    spec["colour"] = "red"
    with pytest.raises(ValueError, match=r"unknown network spec field\(s\) \['colour'\]; allowed:"):
        Network.from_spec(spec)
    spec = two_pops().to_spec()
    spec["populations"][0]["tau"] = 3
    with pytest.raises(ValueError, match=r"population 'a': unknown spec field\(s\) \['tau'\]; allowed:"):
        Network.from_spec(spec)


def test_spec_with_unknown_model():
    spec = two_pops().to_spec()
    spec["populations"][1]["model"] = "morris_lecar"
    with pytest.raises(LookupError, match=r"unknown neuron model 'morris_lecar'; known models:"):
        Network.from_spec(spec)


def test_load_results_from_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"is not a saved pyN run \(no meta.json\)"):
        pyn_core.load_results(tmp_path)


# -- parameter ranges --------------------------------------------------------------------------

@pytest.mark.parametrize("model,param,value,rng", [
    ("lif", "tau_m", 0.0, "> 0 ms"), ("lif", "tau_m", -5.0, "> 0 ms"), ("lif", "R", 0.0, "> 0"),
    ("lif", "t_ref", -0.1, ">= 0 ms"), ("adex", "cm", 0.0, "> 0 nF"), ("adex", "tau_w", -1.0, "> 0 ms"),
    ("adex", "delta_T", 0.0, "> 0 mV"), ("adex", "tau_refrac", -1.0, ">= 0 ms"), ("adex", "tau_syn_E", 0.0, "> 0"),
    ("hh", "Cm", 0.0, "> 0"), ("hh", "gNa", -1.0, ">= 0"), ("hh", "gL", -0.3, ">= 0"),
])
def test_parameter_out_of_its_range(model, param, value, rng):
    with pytest.raises(pyn_core.PynValueError, match=rf"parameter '{param}' of population 'cells' must be "
                                                     rf"{re.escape(rng)}.*got {value:g}"):
        Population("cells", 2, model, params={param: value})
    with pytest.raises(pyn_core.PynValueError, match=r"got -1 \(neuron 1\)"):
        Population("cells", 2, model, params={param: [pyn_core.get_model(model).params[param].default, -1.0]})


def test_parameter_table_shows_the_range():
    table = pyn_core.get_model("adex").parameter_table()
    assert re.search(r"^tau_w\s+144\.0\s+ms\s+> 0\s+adaptation time constant$", table, re.M)
    assert re.search(r"^v_rest\s+-70\.6\s+mV\s+any\s+", table, re.M)
    assert pyn_core.Param(0.5, "1", "u", low=0, high=1, low_open=True).range_text() == "(0, 1]"


def test_every_preset_lies_in_the_ranges():
    for model in ("izhikevich", "adex"):
        for preset in pyn_core.presets(model):
            Population("cells", 1, model, preset=preset)


def test_option_bounds():
    with pytest.raises(pyn_core.PynValueError, match=r"option 'v_substeps' of population 'cells' must be <= 1000"):
        IzhikevichPopulation("cells", v_substeps=1001)
    with pytest.raises(pyn_core.PynTypeError, match=r"option 'v_substeps' of population 'cells' must be an integer"):
        IzhikevichPopulation("cells", v_substeps=2.0)


def test_synapse_defaults_checked_when_the_population_is_made():
    with pytest.raises(pyn_core.PynValueError, match=r"synapse_defaults of population 'cells': synapse tau must be > 0"):
        Population("cells", 1, "lif", synapse_defaults={"tau": -1.0})
    with pytest.raises(pyn_core.PynValueError, match=r"unknown synapse field\(s\) \['taux'\]"):
        Population("cells", 1, "lif", synapse_defaults={"taux": 1.0})


def test_population_size_bounded_and_integer():
    with pytest.raises(pyn_core.PynValueError, match=r"N of population 'cells' must be <= 2147483647"):
        LIFPopulation("cells", N=2 ** 31)
    with pytest.raises(pyn_core.PynTypeError, match=r"N of population 'cells' must be an integer"):
        LIFPopulation("cells", N=True)


def test_deeply_nested_values_are_refused_without_recursion_error():
    deep = [1.0]
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(pyn_core.PynTypeError, match=r"parameter 'tau_m' of population 'cells'"):
        LIFPopulation("cells", tau_m=deep)
    with pytest.raises(pyn_core.PynTypeError, match=r"weight: values must be numbers"):
        two_pops().connect("a", "b", rule="all_to_all", weight=deep)
    with pytest.raises(pyn_core.PynTypeError, match=r"neurons must be a list of neuron indices"):
        two_pops().add_current("a", 1.0, neurons=deep)


def test_strings_are_not_numbers():
    with pytest.raises(pyn_core.PynTypeError, match=r"parameter 'tau_m'"):
        LIFPopulation("cells", N=2, tau_m=["10", "20"])
    with pytest.raises(pyn_core.PynTypeError, match=r"weight: values must be numbers"):
        two_pops().connect("a", "b", rule={"name": "explicit", "pre": [0], "post": [0]}, weight=["1"])


# -- sources and layouts -----------------------------------------------------------------------

def test_poisson_source_stop_before_start():
    with pytest.raises(pyn_core.PynValueError, match=r"stop of population 'p' \(5.0 ms\) must be >= start \(10.0 ms\)"):
        PoissonPopulation("p", 2, rate=5.0, start=10.0, stop=5.0)


def test_spike_source_takes_no_window():
    with pytest.raises(pyn_core.PynValueError, match=r"start and stop of population 's' apply to Poisson sources"):
        SpikeSourcePopulation("s", [[1.0]], stop=5.0)


def test_spike_times_must_be_numbers_not_strings():
    with pytest.raises(pyn_core.PynTypeError, match=r"spike_times of population 's' must hold numbers"):
        SpikeSourcePopulation("s", [["1.0"]])


@pytest.mark.parametrize("layout,field", [({"layout": "grid", "radius": 2.0}, "radius"),
                                          ({"layout": "sphere", "spacing": 1.0}, "spacing"),
                                          ({"layout": "box", "xyz": []}, "xyz"),
                                          ({"layout": "explicit", "xyz": [[0, 0, 0]], "seed": 1}, "seed")])
def test_layout_unknown_field(layout, field):
    with pytest.raises(pyn_core.PynValueError, match=rf"layout of population 'cells': unknown field\(s\) \['{field}'\]; "
                                                     r"allowed: layout, center"):
        LIFPopulation("cells", positions=layout)


def test_explicit_positions_take_their_center():
    p = LIFPopulation("cells", N=2, positions={"layout": "explicit", "xyz": [[0, 0, 0], [1, 1, 1]],
                                               "center": [10, 0, 0]})
    assert p.positions.tolist() == [[10.0, 0.0, 0.0], [11.0, 1.0, 1.0]]


def test_connectivity_of_wrong_type():
    with pytest.raises(pyn_core.PynValueError, match=r"connectivity of population 'cells' must be one of"):
        LIFPopulation("cells", connectivity=np.array([1, 2]))


# -- connections -------------------------------------------------------------------------------

@pytest.mark.parametrize("rule,field", [({"name": "all_to_all", "p": 0.1}, "p"),
                                        ({"name": "one_to_one", "k": 1}, "k"),
                                        ({"name": "pairwise_bernoulli", "p": 0.1, "allow_multapses": True},
                                         "allow_multapses"),
                                        ({"name": "fixed_indegree", "k": 1, "p": 0.5}, "p"),
                                        ({"name": "explicit", "pre": [0], "post": [0], "k": 1}, "k")])
def test_rule_unknown_parameter(rule, field):
    with pytest.raises(pyn_core.PynValueError, match=rf"rule '{rule['name']}': unknown parameter\(s\) \['{field}'\]; "
                                                     r"allowed: name"):
        two_pops().connect("a", "b", rule=rule)


@pytest.mark.parametrize("weight,field", [({"dist": "uniform", "low": 0, "high": 1, "mean": 5}, "mean"),
                                          ({"dist": "normal", "mean": 1, "std": 0.1, "low": 0}, "low"),
                                          ({"dist": "lognormal", "mean": 0, "std": 1, "sigma": 1}, "sigma")])
def test_distribution_unknown_field(weight, field):
    with pytest.raises(pyn_core.PynValueError, match=rf"weight: unknown field\(s\) \['{field}'\] of a {weight['dist']} "
                                                     r"distribution; allowed: dist, "):
        two_pops().connect("a", "b", rule="all_to_all", weight=weight)


@pytest.mark.parametrize("kw,field", [({"rule": "all_to_all", "allow_autapses": 1}, "allow_autapses"),
                                      ({"rule": {"name": "all_to_all", "allow_autapses": "yes"}}, "allow_autapses"),
                                      ({"rule": {"name": "fixed_indegree", "k": 1, "allow_multapses": 0}},
                                       "allow_multapses")])
def test_switches_must_be_booleans(kw, field):
    with pytest.raises(pyn_core.PynTypeError, match=rf"{field} must be True or False"):
        two_pops().connect("a", "a", **kw)
    two_pops().connect("a", "a", rule="all_to_all", allow_autapses=np.bool_(True))


@pytest.mark.parametrize("rule,match", [
    ({"name": "fixed_indegree", "k": 5, "allow_multapses": False}, r"cannot draw k=5 distinct presynaptic partners "
                                                                   r"out of 4"),
    ({"name": "fixed_outdegree", "k": 4, "allow_multapses": False}, r"cannot draw k=4 distinct postsynaptic partners "
                                                                    r"out of 3"),
    ({"name": "one_to_one"}, r"one_to_one needs populations of equal size, got 4 and 3"),
    ({"name": "explicit", "pre": [0, 4], "post": [0, 0]}, r"explicit rule 'pre': neuron index 4 out of range"),
])
def test_impossible_rule_refused_at_connect(rule, match):
    with pytest.raises(pyn_core.PynError, match=match):
        two_pops().connect("a", "b", rule=rule)


def test_self_connection_of_one_neuron_refused_at_connect():
    net = Network([LIFPopulation("c", N=1)])
    with pytest.raises(pyn_core.PynValueError, match=r"cannot draw 1 partners out of 0"):
        net.connect("c", "c", rule={"name": "fixed_outdegree", "k": 1})   # multapses allowed: the old hang
    with pytest.raises(pyn_core.PynValueError, match=r"cannot draw k=1 distinct presynaptic partners out of 0"):
        net.connect("c", "c", rule={"name": "fixed_indegree", "k": 1, "allow_multapses": False})
    net.connect("c", "c", rule={"name": "fixed_outdegree", "k": 1}, allow_autapses=True)


def test_explicit_autapse_needs_allow_autapses():
    with pytest.raises(pyn_core.PynValueError, match=r"explicit pair 1 -> 1 is an autapse"):
        two_pops().connect("a", "a", rule={"name": "explicit", "pre": [0, 1], "post": [2, 1]})
    two_pops().connect("a", "a", rule={"name": "explicit", "pre": [0, 1], "post": [2, 1], "allow_autapses": True})


def test_weight_array_length_checked_at_connect():
    with pytest.raises(pyn_core.PynValueError, match=r"3 weights given for 12 synapses"):
        two_pops().connect("a", "b", rule="all_to_all", weight=[1.0, 2.0, 3.0])
    with pytest.raises(pyn_core.PynValueError, match=r"weights given one per synapse need a rule that makes a known"):
        two_pops().connect("a", "b", rule="pairwise_bernoulli", p=0.5, weight=[1.0] * 6)
    with pytest.raises(pyn_core.PynValueError, match=r"2 delays given for 12 synapses"):
        two_pops().connect("a", "b", rule="all_to_all", delay=[1.0, 2.0])


@pytest.mark.parametrize("kw", [{"weight": -1.0}, {"weight": [1.0] * 11 + [-0.5]}, {"scale": -2.0},
                                {"weight": {"dist": "uniform", "low": -1.0, "high": 1.0}},
                                {"weight": {"dist": "normal", "mean": -1.0, "std": 0.1}},
                                {"plasticity": {"rule": "stdp", "w_min": -1.0}}])
def test_negative_magnitudes_refused(kw):
    with pytest.raises(pyn_core.PynValueError, match=r"must be >= 0 on an inhibitory connection \(weights are magnitudes"):
        two_pops().connect("a", "b", rule="all_to_all", mode="inhibitory", **kw)
    with pytest.raises(pyn_core.PynValueError, match=r"must be >= 0 on a conductance synapse"):
        two_pops().connect("a", "b", rule="all_to_all", synapse="cond_exp", **kw)
    two_pops().connect("a", "b", rule="all_to_all", **kw)       # a signed current: allowed


def test_negative_weight_matrix_refused_on_conductance():
    net = Network([LIFPopulation("a", N=2), AdExPopulation("c", N=2)])
    with pytest.raises(pyn_core.PynValueError, match=r"weight matrix values must be >= 0 on a conductance synapse"):
        net.connect("a", "c", synapses=np.array([[0.1, -0.1], [0.1, 0.1]]))
    with pytest.raises(pyn_core.PynValueError, match=r"weight, p cannot be given with it"):
        net.connect("a", "c", synapses=np.ones((2, 2)), weight=1.0, p=0.5)


def test_normal_draws_of_a_magnitude_are_clipped_at_zero():
    net = two_pops()
    net.connect("a", "b", rule="all_to_all", mode="inhibitory", weight={"dist": "normal", "mean": 0.1, "std": 5.0})
    w = net.build(dt=0.1, seed=0, backend="numpy").get_weights("a->b")[2]
    assert np.all(w >= 0) and np.any(w == 0)


def test_poisson_stimulus_negative_conductance():
    net = Network([AdExPopulation("c", N=2)])
    with pytest.raises(pyn_core.PynValueError, match=r"poisson stimulus on 'c': weight must be >= 0 through a "
                                                     r"conductance synapse \(cond_exp\)"):
        net.add_poisson("c", rate=10.0, weight=-1.0)


@pytest.mark.parametrize("kw,match", [
    ({"weight": 1e200, "scale": 1e200}, r"weight times scale \(1e\+200\) exceeds the float range"),
    ({"weight": {"dist": "lognormal", "mean": 700.0, "std": 1.0}}, r"lognormal draw reaches exp\(mean \+ 40 std\)"),
    ({"weight": {"dist": "normal", "mean": 1.0, "std": 1e307}}, r"normal draw reaches mean \+ 40 std"),
    ({"weight": [1e308] * 12, "scale": 10.0}, r"exceeds the float range"),
    ({"delay": 1.0, "std": 1e307}, r"delay \+ 40 std exceeds the float range"),
])
def test_weights_that_overflow(kw, match):
    with pytest.raises(pyn_core.PynValueError, match=match):
        two_pops().connect("a", "b", rule="all_to_all", **kw)


def test_rule_given_twice():
    with pytest.raises(pyn_core.PynValueError, match=r"give the rule as rule= or as synapses=, not both"):
        two_pops().connect("a", "b", synapses="full-random", rule="one_to_one")


def test_connection_enabled_must_be_a_boolean():
    from pyn_core.projection import Projection
    with pytest.raises(pyn_core.PynTypeError, match=r"enabled must be True or False, got 1"):
        Projection("a", "b", "all_to_all", 1.0, enabled=1)


def test_plasticity_and_synapse_of_arrays_refused_cleanly():
    with pytest.raises(pyn_core.PynValueError, match=r"pairing must be one of"):
        two_pops().connect("a", "b", plasticity={"rule": "stdp", "pairing": np.array([1, 2])})
    with pytest.raises(pyn_core.PynValueError, match=r"plasticity must be None"):
        two_pops().connect("a", "b", plasticity={"rule": np.array([1, 2])})
    with pytest.raises(pyn_core.PynValueError, match=r"unknown stdp parameter\(s\) \[1, 'x'\]|unknown stdp parameter"):
        two_pops().connect("a", "b", plasticity={"rule": "stdp", 1: 2, "x": 3})


def test_network_populations_of_wrong_type():
    with pytest.raises(pyn_core.PynTypeError, match=r"populations must be a list of Population objects"):
        Network(populations=5)


# -- settings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("key,value,match", [
    ("dt", 0.0, r"settings: dt must be > 0"), ("dt", float("nan"), r"settings[:.] dt must be finite|settings.dt must be finite"),
    ("seed", -1, r"settings: seed .*must be >= 0"), ("seed", 1.5, r"settings: seed .*must be an integer"),
    ("stdp", 1, r"settings: stdp must be True or False"), ("dtype", "float16", r"settings: dtype must be one of"),
    ("threads", 0, r"settings: threads \(.auto. or an integer\) must be >= 1"), ("threads", "many", r"settings: threads must be 'auto' or"),
    ("threads", True, r"settings: threads must be 'auto' or"), ("dtt", 1, r"unknown settings \['dtt'\]"),
])
def test_settings_checked_when_set(key, value, match):
    net = two_pops()
    with pytest.raises(pyn_core.PynError, match=match):
        net.settings[key] = value
    with pytest.raises(pyn_core.PynError, match=match):
        net.settings.update({key: value})
    with pytest.raises(pyn_core.PynError, match=match):
        net.settings = {key: value}
    spec = net.to_spec()
    spec["settings"][key] = value
    with pytest.raises(pyn_core.PynError, match=match):
        Network.from_spec(spec)


def test_removing_a_setting_restores_its_default():
    settings = two_pops().settings
    settings.update(dt=0.5, threads=3)
    del settings["dt"]
    assert settings.pop("threads") == 3 and settings == pyn_core.spec.DEFAULT_SETTINGS
    with pytest.raises(pyn_core.PynValueError, match=r"unknown settings \['dtt'\]"):
        del settings["dtt"]


def test_dtype_and_threads_survive_the_spec():
    net = two_pops()
    net.settings.update(dtype="float32", threads=2, seed=4)
    spec = net.to_spec()
    assert spec["settings"] == {"dt": 0.1, "seed": 4, "stdp": True, "dtype": "float32", "threads": 2}
    again = Network.from_spec(spec)
    assert again.to_spec() == spec and again.settings["dtype"] == "float32"


# -- spec --------------------------------------------------------------------------------------

def _spec(**entries):
    spec = Network([LIFPopulation("a", N=3), PoissonPopulation("p", 2, rate=5.0)]).to_spec()
    spec.update(entries)
    return spec


@pytest.mark.parametrize("edit,match", [
    (lambda s: s["populations"][0]["params"].update(tau_m=-1.0), r"^populations\[0\]: parameter 'tau_m' of population "
                                                                r"'a' must be > 0 ms, got -1$"),
    (lambda s: s["populations"][0]["positions"].update(spacing=float("nan")), r"^populations\[0\]\.positions\.spacing "
                                                                               r"must be finite, got nan$"),
    (lambda s: s["populations"][1].update(rate_hz=3), r"^populations\[1\]: poisson_source population 'p': unknown "
                                                      r"spec field\(s\) \['rate_hz'\]"),
    (lambda s: s["populations"][1].update(stop=-1.0), r"^populations\[1\]: stop of population 'p'"),
    (lambda s: s["populations"][1].update(model="spike_source"), r"^populations\[1\]: spike_source population 'p': "
                                                                 r"unknown spec field\(s\) \['rate'\]"),
    (lambda s: s["projections"].append({"pre": "a", "post": "a", "rule": {"name": "pairwise_bernoulli", "p": 1.5}}),
     r"^projections\[0\]: connection 'a' -> 'a': p must be within \[0, 1\], got 1\.5$"),
    (lambda s: s["projections"].append({"pre": "a", "post": "a", "wieght": 1}), r"^projections\[0\]: connection: "
                                                                                r"unknown field\(s\) \['wieght'\]"),
    (lambda s: s["projections"].append({"pre": "a", "post": "a", "enabled": 1}), r"^projections\[0\]: .*enabled must "
                                                                                 r"be True or False"),
    (lambda s: s["stimuli"].append({"kind": "noise", "target": "a", "rate": 1}), r"^stimuli\[0\]: bad noise stimulus: "
                                                                                 r"unknown field\(s\) \['rate'\]"),
    (lambda s: s["stimuli"].append({"kind": "poisson", "target": "a"}), r"^stimuli\[0\]: .*missing field 'rate'"),
    (lambda s: s.update(name=5), r"^name: network name must be a non-empty string"),
    (lambda s: s.update(view=[1]), r"field 'view' must be a dict"),
    (lambda s: s["populations"][0].update(N=2.0), r"^populations\[0\]: N of population 'a' must be an integer"),
])
def test_spec_errors_name_the_path(edit, match):
    spec = _spec()
    edit(spec)
    with pytest.raises(pyn_core.PynError, match=match) as info:
        Network.from_spec(spec)
    assert isinstance(info.value.__cause__, pyn_core.PynError) or info.value.__cause__ is None


def test_spec_nested_too_deep():
    deep = [1.0]
    for _ in range(100_000):
        deep = [deep]
    spec = _spec()
    spec["populations"][0]["params"]["tau_m"] = deep
    with pytest.raises(pyn_core.PynValueError, match=r"populations\[0\]\.params\.tau_m: the spec nests lists or dicts "
                                                     r"deeper than 32"):
        Network.from_spec(spec)
    with pytest.raises(pyn_core.PynValueError, match=r"not a pyN network spec: JSON nested deeper"):
        Network.from_spec("[" * 100_000 + "]" * 100_000)


def test_spec_keys_must_be_strings():
    spec = _spec()
    spec["populations"][0]["params"] = {1: 2.0}
    with pytest.raises(pyn_core.PynTypeError, match=r"populations\[0\]\.params: field names must be strings, got 1"):
        Network.from_spec(spec)


def test_spec_weight_matrix_takes_no_other_rule_or_weight():
    net = Network([LIFPopulation("a", N=2)])
    net.connect("a", "a", synapses=np.full((2, 2), 0.5))
    spec = net.to_spec()
    assert Network.from_spec(spec).to_spec() == spec
    spec["projections"][0]["weight"] = 2.0
    with pytest.raises(pyn_core.PynValueError, match=r"projections\[0\]: weight: the weight_matrix gives the weights"):
        Network.from_spec(spec)
    spec["projections"][0]["weight"] = 0.0
    spec["projections"][0]["rule"] = {"name": "one_to_one"}
    with pytest.raises(pyn_core.PynValueError, match=r"projections\[0\]: rule: a connection with a weight_matrix"):
        Network.from_spec(spec)


def test_spec_booleans_in_number_lists_refused():
    spec = _spec()
    spec["populations"][1]["rate"] = [5.0, True]
    with pytest.raises(pyn_core.PynTypeError, match=r"^populations\[1\]\.rate\[1\] must be a number, got True$"):
        Network.from_spec(spec)


def test_spec_source_with_empty_preset_and_params():
    spec = _spec()
    spec["populations"][1].update(preset=None, params={})
    assert Network.from_spec(spec).to_spec()["populations"][1] == _spec()["populations"][1]
    spec["populations"][1]["params"] = {"tau_m": 1.0}
    with pytest.raises(pyn_core.PynValueError, match=r"poisson_source population 'p': unknown spec field\(s\) "
                                                     r"\['params'\]"):
        Network.from_spec(spec)


def test_fixed_degree_of_zero_onto_itself_without_multapses():
    """k=0 draws nothing (it used to fail on the autapse it had no partner to forbid)."""
    net = Network([LIFPopulation("a", N=3)])
    net.connect("a", "a", rule={"name": "fixed_indegree", "k": 0, "allow_multapses": False})
    assert net.build(dt=0.1, seed=0, backend="numpy").n_synapses == 0


# -- slips that were refused or accepted wrongly -----------------------------------------------------
def test_a_spec_may_name_its_schema_for_editors():
    spec = Network([LIFPopulation("a", N=2)]).to_spec()
    spec = {"$schema": "./pyn-network.schema.json", **spec}
    net = Network.from_spec(spec)
    assert "$schema" not in net.to_spec() and net.get("a").N == 2
    with pytest.raises(PynValueError, match=r"unknown network spec field\(s\) \['\$schemas'\]"):
        Network.from_spec({"$schemas": "x", **Network([LIFPopulation("a", N=2)]).to_spec()})


def test_a_weight_matrix_connection_needs_no_weight_field():
    net = Network([LIFPopulation("a", N=3), LIFPopulation("b", N=2)])
    matrix = np.arange(1.0, 7.0).reshape(3, 2)
    net.connect("a", "b", synapses=matrix, delay=1.0, std=0.0)
    spec = net.to_spec()
    del spec["projections"][0]["weight"]
    sim = Network.from_spec(spec).build(dt=0.1, seed=0, backend="numpy")
    pre, post, w = sim.get_weights("a", "b")
    np.testing.assert_array_equal(w, matrix[pre, post])
    spec["projections"][0]["weight"] = 2.0          # a weight beside the matrix is still refused
    with pytest.raises(PynValueError, match="weight_matrix gives the weights"):
        Network.from_spec(spec)


@pytest.mark.parametrize("make", [LIFPopulation, HHPopulation, AdExPopulation,
                                  lambda name, N, **kw: Population(name, N, "izhikevich", **kw)])
def test_synapse_defaults_of_another_kind_drop_the_models_own_fields(make):
    pop = make("p", N=2, synapse_defaults={"kind": "delta"})
    assert pop.default_synapse("excitatory") == {"kind": "delta"}
    assert Network.from_spec(Network([pop]).to_spec()).get("p").default_synapse("inhibitory") == {"kind": "delta"}
    same = make("q", N=2, synapse_defaults={"tau": 3.0}).default_synapse("excitatory")   # same kind: field by field
    assert same.get("tau") == 3.0 or same["kind"] == "cond_exp"


def test_a_delta_synapse_default_makes_voltage_jumps():
    # LIF with R = 1: a delta synapse of weight w moves v by w mV in the step the spike arrives, and decays
    # with tau_m after (the exponential kernel of the model's own default would instead rise over steps)
    net = Network([SpikeSourcePopulation("s", spike_times=[[1.0]]),
                   LIFPopulation("n", N=1, v_rest=-70.0, v_thresh=-50.0, tau_m=10.0,
                                 synapse_defaults={"kind": "delta"})])
    net.connect("s", "n", rule="all_to_all", weight=4.0, delay=1.0, std=0.0)
    res = net.build(dt=0.1, seed=0, backend="numpy", record={"n": ["v"]}).run(5.0)
    v = res["n"].v[:, 0]
    jump = int(np.argmax(np.diff(v))) + 1
    assert v[jump] - v[jump - 1] == pytest.approx(4.0, abs=1e-9)
    np.testing.assert_allclose(v[jump + 10], -70.0 + 4.0 * np.exp(-1.0 / 10.0), rtol=1e-6)   # 1 ms later


@pytest.mark.parametrize("neurons", [[[]], [[0]], [[0, 1]]])
def test_neuron_lists_must_be_flat(neurons):
    net = Network([LIFPopulation("a", N=3)])
    net.add_current("a", 5.0, neurons=[0])
    spec = net.to_spec()
    spec["stimuli"][0]["neurons"] = neurons
    with pytest.raises(PynTypeError, match="neurons must be a list of neuron indices"):
        Network.from_spec(spec)
    stim = {"a": [{"start": 0, "stop": 5, "mV": 1.0, "neurons": neurons}]}
    with pytest.raises(PynTypeError, match="neurons"):
        Network([LIFPopulation("a", N=3)]).build(dt=0.1, seed=0, backend="numpy", I_ext=stim)
