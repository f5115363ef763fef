"""Bad input is refused at the API boundary with a message that names the offending
parameter or name and says what is allowed."""
import re

import numpy as np
import pytest

import pyn_core
from pyn_core import (AdExPopulation, HHPopulation, IzhikevichPopulation, LIFPopulation, Network,
                      PoissonPopulation, Population, SpikeSourcePopulation)


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
