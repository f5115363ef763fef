"""Legal but suspicious values are warned about (PynWarning), not refused, and only they are."""
import warnings

import pytest

from pyn_core import IzhikevichPopulation, LIFPopulation, Network, PynWarning


def quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error", PynWarning)
        return fn()


def test_a_run_of_a_few_steps_is_warned_about():
    net = Network([LIFPopulation("a", N=2)])
    with pytest.warns(PynWarning, match=r"simulate\(T=1\) runs 1 ms, only 8 steps .*T is in milliseconds"):
        net.simulate(T=1.0, save_data=None, backend="numpy")
    quiet(lambda: net.simulate(T=50.0, save_data=None, backend="numpy"))


def test_a_delay_rounded_by_more_than_half_a_step_is_warned_about():
    net = Network([LIFPopulation("a", N=2), LIFPopulation("b", N=2)])
    net.connect("a", "b", rule="all_to_all", delay=0.25, std=0.0)
    with pytest.warns(PynWarning, match=r"connection 'a->b': a delay of 0.25 ms is rounded up to one step of dt = 1 ms"):
        net.build(dt=1.0, seed=0, backend="numpy")
    quiet(lambda: net.build(dt=0.25, seed=0, backend="numpy"))
    quiet(lambda: net.build(dt=0.5, seed=0, backend="numpy"))      # exactly half a step: rounded to one, no warning


def test_a_recorded_variable_some_models_lack_is_warned_about():
    net = Network([IzhikevichPopulation("izh", N=2), LIFPopulation("lif", N=2)])
    with pytest.warns(PynWarning, match=r"population\(s\) lif have no 'u'"):
        sim = net.build(dt=0.1, seed=0, backend="numpy", record=["v", "u"])
    assert sim.record_spec == {"izh": ["v", "u"], "lif": ["v"]}
    quiet(lambda: net.build(dt=0.1, seed=0, backend="numpy", record=["v", "I_syn"]))


def test_show_data_without_a_display_says_nothing_was_shown(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    from pyn_core import show_data
    res = Network([LIFPopulation("a", N=2)]).simulate(T=20.0, save_data=None, backend="numpy")
    with pytest.warns(PynWarning, match=r"no display here .*save_plots"):
        fig = show_data(res)
    assert fig is not None
