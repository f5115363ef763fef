"""Generated network descriptions: valid ones build and round-trip, corrupted ones raise a PynError.

(a) ``valid_specs`` draws small networks of every model, both source kinds,
every connection rule, weights as numbers, arrays and distributions, delays,
synapse kinds, plasticity, short-term plasticity, stimuli and settings;
``Network.from_spec`` must accept each and ``to_spec`` give it back.

(b) ``mutants`` corrupts a valid spec (deletes a key, adds an unknown key at
any depth, replaces a value with a wrong type, NaN, inf, a negative or huge
number, a list nested 100,000 deep, None, a bool or a string):
``Network.from_spec`` either accepts it or raises a
:class:`~pyn_core.errors.PynError`, within a time limit; a refusal of an
unknown key or a bad value names the field (or the bad value).

(c) The public constructors with random keyword arguments: a result or a
PynError, nothing else.

Examples per test: ``FUZZ_EXAMPLES`` (about 20 s in all here); with the
environment variable ``PYN_LONG_TESTS=1``, 25 times as many.  The runs are
derandomized and keep no example database, so CI sees the same cases every
time.
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import random
import reprlib
import signal
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyn_core
from pyn_core import (AdExPopulation, HHPopulation, IzhikevichPopulation, LIFPopulation, Network, PoissonPopulation,
                      Population, PynError, SpikeSourcePopulation)
from pyn_core.connectivity import check_rule_sizes, normalise_rule

sys.path.insert(0, str(Path(__file__).resolve().parent))       # the spec walker beside this file
from spec_tree import at as _at, paths as _paths  # noqa: E402

LONG = os.environ.get("PYN_LONG_TESTS") == "1"
FUZZ_EXAMPLES = 150 * (25 if LONG else 1)
FUZZ = settings(max_examples=FUZZ_EXAMPLES, derandomize=True, database=None, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
SECONDS = 10        # a from_spec call taking longer than this is a hang


@contextlib.contextmanager
def time_limit(seconds=SECONDS):
    """Fail (instead of waiting for ever) if the block runs longer than ``seconds``."""
    def expired(signum, frame):
        raise TimeoutError(f"ran longer than {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- (a) valid specs -----------------------------------------------------------------------------

small = st.integers(1, 5)
times = st.floats(0.0, 50.0, allow_nan=False)
magnitude = st.floats(0.0, 3.0, allow_nan=False)


def layouts(N):
    return st.one_of(
        st.none(), st.sampled_from(["grid", "sphere", "box"]),
        st.builds(lambda s, c: {"layout": "grid", "spacing": s, "center": c}, st.floats(0.1, 5.0),
                  st.lists(st.floats(-5, 5), min_size=3, max_size=3)),
        st.builds(lambda r: {"layout": "sphere", "radius": r}, st.floats(0.1, 5.0)),
        st.builds(lambda s, seed: {"layout": "box", "size": s, "seed": seed},
                  st.lists(st.floats(0.0, 5.0), min_size=3, max_size=3), st.integers(0, 2 ** 31)),
        st.builds(lambda xyz: {"layout": "explicit", "xyz": xyz},
                  st.lists(st.lists(st.floats(-5, 5), min_size=3, max_size=3), min_size=N, max_size=N)))


def per_neuron(N, lo, hi):
    """A scalar or an array of N values within [lo, hi]."""
    value = st.floats(lo, hi, allow_nan=False)
    return st.one_of(value, st.lists(value, min_size=N, max_size=N))


@st.composite
def populations(draw, name, neuron_only=False):
    kinds = ["izhikevich", "lif", "adex", "hh"] + ([] if neuron_only else ["poisson", "spikes"])
    kind = draw(st.sampled_from(kinds))
    N = draw(small)
    kw = {"positions": draw(layouts(N)), "color": draw(st.none() | st.lists(st.floats(0, 1), min_size=3,
                                                                            max_size=3))}
    if kind == "poisson":
        start = draw(times)
        stop = draw(st.none() | st.floats(start, 100.0))
        return PoissonPopulation(name, N, rate=draw(per_neuron(N, 0.0, 100.0)), start=start, stop=stop, **kw)
    if kind == "spikes":
        trains = draw(st.lists(st.lists(times, max_size=4), min_size=N, max_size=N))
        return SpikeSourcePopulation(name, trains, **kw)
    kw["connectivity"] = draw(st.sampled_from([None, None, "sparse-random", "full-random"]))
    if kind == "izhikevich":
        return IzhikevichPopulation(name, N=N, preset=draw(st.none() | st.sampled_from(pyn_core.presets("izhikevich"))),
                                    tau_psc=draw(st.floats(0.5, 10.0)), v_substeps=draw(st.integers(1, 4)),
                                    a=draw(st.none() | per_neuron(N, -0.1, 0.2)), **kw)
    if kind == "lif":
        return LIFPopulation(name, N=N, tau_m=draw(per_neuron(N, 1.0, 50.0)), t_ref=draw(per_neuron(N, 0.0, 5.0)),
                             v0=draw(st.none() | st.floats(-80, -50)), **kw)
    if kind == "adex":
        return AdExPopulation(name, N=N, preset=draw(st.none() | st.sampled_from(pyn_core.presets("adex"))),
                              tau_w=draw(per_neuron(N, 10.0, 300.0)), **kw)
    return HHPopulation(name, N=N, gL=draw(per_neuron(N, 0.0, 1.0)), **kw)


@st.composite
def rules(draw, pre, post):
    same = pre is post
    name = draw(st.sampled_from(["all_to_all", "one_to_one", "pairwise_bernoulli", "fixed_indegree",
                                 "fixed_outdegree", "explicit"]))
    rule = {"name": name, "allow_autapses": draw(st.booleans())}
    if name == "one_to_one" and pre.N != post.N:
        rule["name"] = "all_to_all"
    elif name == "pairwise_bernoulli":
        rule["p"] = draw(st.floats(0.0, 1.0))
    elif name in ("fixed_indegree", "fixed_outdegree"):
        multapses = draw(st.booleans())
        n = pre.N if name == "fixed_indegree" else post.N
        limit = n - (1 if same and not rule["allow_autapses"] else 0)
        top = limit if not multapses else (4 if limit >= 1 else 0)
        rule.update(k=draw(st.integers(0, max(top, 0))), allow_multapses=multapses)
    elif name == "explicit":
        rule["allow_autapses"] = True
        n = draw(st.integers(0, 4))
        rule["pre"] = draw(st.lists(st.integers(0, pre.N - 1), min_size=n, max_size=n))
        rule["post"] = draw(st.lists(st.integers(0, post.N - 1), min_size=n, max_size=n))
    return rule


@st.composite
def connections(draw, net):
    pre = draw(st.sampled_from(net.populations))
    post = draw(st.sampled_from([p for p in net.populations if p.kind == "neuron"]))
    rule = draw(rules(pre, post))
    n = check_rule_sizes(normalise_rule(rule, "c"), pre.N, post.N, pre is post, "c")
    weights = [magnitude, st.builds(lambda lo, d: {"dist": "uniform", "low": lo, "high": lo + d}, magnitude, magnitude),
               st.builds(lambda m, s: {"dist": "normal", "mean": m, "std": s}, magnitude, magnitude),
               st.builds(lambda m, s: {"dist": "lognormal", "mean": m, "std": s}, st.floats(-3, 1), st.floats(0, 1))]
    if n is not None:
        weights.append(st.lists(magnitude, min_size=n, max_size=n))
    kw = {"rule": rule, "weight": draw(st.one_of(*weights)), "scale": draw(st.floats(0.0, 2.0)),
          "mode": draw(st.sampled_from(["excitatory", "inhibitory"])),
          "delay": draw(st.floats(0.0, 5.0) if n is None else st.floats(0.0, 5.0) | st.lists(
              st.floats(0.0, 5.0), min_size=n, max_size=n)),
          "std": draw(st.floats(0.0, 1.0)),
          "synapse": draw(st.none() | st.sampled_from(pyn_core.synapse_kinds()[:6]) | st.builds(
              lambda k, tau: {"kind": k, "tau": tau}, st.sampled_from(["exp", "alpha", "cond_exp", "cond_alpha"]),
              st.floats(0.5, 20.0))),
          "plasticity": draw(st.sampled_from([None, "default", "stdp", "rstdp", {"rule": "stdp", "A_plus": 0.02,
                                                                                 "pairing": "nearest"},
                                              {"rule": "stdp", "weight_dependence": "multiplicative", "w_max": 5.0},
                                              {"rule": "rstdp", "tau_c": 500.0, "dopamine_from": pre.name}])),
          "stp": draw(st.sampled_from([None, "depressing", "facilitating", {"U": 0.3, "tau_rec": 200.0,
                                                                             "tau_facil": 10.0}])),
          "name": draw(st.none() | st.sampled_from(["c1", "c2"]))}
    if draw(st.integers(0, 9)) == 0:                                 # a weight matrix instead of a rule
        kw = {k: v for k, v in kw.items() if k not in ("rule", "weight")}
        kw["synapses"] = draw(st.lists(st.lists(magnitude, min_size=post.N, max_size=post.N), min_size=pre.N,
                                       max_size=pre.N))
        kw["delay"] = draw(st.floats(0.0, 5.0))
    net.connect(pre.name, post.name, **kw)


@st.composite
def stimuli(draw, net):
    pop = draw(st.sampled_from([p for p in net.populations if p.kind == "neuron"]))
    start = draw(times)
    stop = draw(st.none() | st.floats(start, 100.0))
    neurons = draw(st.none() | st.lists(st.integers(0, pop.N - 1), min_size=1, max_size=3))
    kind = draw(st.sampled_from(["current", "table", "noise", "poisson"]))
    if kind == "current":
        net.add_current(pop.name, draw(st.floats(-10, 10)), start=start, stop=stop, neurons=neurons)
    elif kind == "table":
        t = sorted(draw(st.lists(times, min_size=1, max_size=4)))
        net.add_current(pop.name, {"times": t, "values": draw(st.lists(st.floats(-5, 5), min_size=len(t),
                                                                       max_size=len(t)))},
                        start=start, stop=stop, neurons=neurons)
    elif kind == "noise":
        net.add_noise(pop.name, mean=draw(st.floats(-5, 5)), std=draw(st.floats(0, 3)), start=start, stop=stop,
                      neurons=neurons)
    else:
        net.add_poisson(pop.name, rate=draw(st.floats(0, 500)), weight=draw(magnitude), start=start, stop=stop,
                        neurons=neurons, synapse=draw(st.none() | st.sampled_from(["exp", "alpha", "delta"])))


@st.composite
def valid_specs(draw):
    """A JSON spec (plain types, as a file gives) of a small valid network."""
    net = Network(name=draw(st.sampled_from(["net", "fuzz", "a b"])))
    net.add(draw(populations("p0", neuron_only=True)))
    for i in range(1, draw(st.integers(2, 4))):
        net.add(draw(populations(f"p{i}")))
    for _ in range(draw(st.integers(0, 4))):
        draw(connections(net))
    for _ in range(draw(st.integers(0, 3))):
        draw(stimuli(net))
    net.settings.update(dt=draw(st.sampled_from([0.025, 0.1, 0.25])), seed=draw(st.none() | st.integers(0, 2 ** 32)),
                        stdp=draw(st.booleans()), dtype=draw(st.sampled_from(["float64", "float32"])),
                        threads=draw(st.sampled_from(["auto", 1, 2])))
    net.view = draw(st.sampled_from([{}, {"color_by": "spikes"}, {"a": [1, {"b": "c"}]}]))
    return json.loads(json.dumps(net.to_spec()))


@FUZZ
@given(valid_specs())
def test_valid_specs_build_and_round_trip(spec):
    with time_limit():
        net = Network.from_spec(spec)
    assert net.to_spec() == spec
    assert Network.from_spec(json.dumps(spec)).to_spec() == spec


def test_a_valid_spec_builds_and_runs():
    """One drawn network also builds and runs (the fuzzing itself stops at the description)."""
    @settings(max_examples=5, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(valid_specs())
    def run(spec):
        Network.from_spec(spec).build(dt=0.1, seed=0, backend="numpy").run(2.0)
    run()


# -- (b) corrupted specs -------------------------------------------------------------------------

def _deep(n):
    v = [1.0]
    for _ in range(n):
        v = [v]
    return v


class Deep:
    """Stands for a list nested 100,000 deep in a drawn case (hypothesis could not print the list itself)."""

    def __repr__(self):
        return "<a list nested 100,000 deep>"


DEEP = Deep()
DEEP_LIST = _deep(100_000)
BAD_VALUES = [None, True, False, 0, -1, 1, 2.5, -0.0, -1e300, 1e300, 10 ** 30, 2 ** 31, float("nan"), float("inf"),
              -float("inf"), "", "x", "nope", "p0", "grid", "all_to_all", "normal", [], [1], [-1.0], [[1], [1, 2]],
              [float("nan")], ["a"], {}, {"x": 1}, {"dist": "normal"}, {"name": "explicit"}, _deep(40), DEEP]
#: Replacements that are wrong at any field (so a refusal must name the field or the value)
CLEARLY_BAD = {id(v) for v in BAD_VALUES if isinstance(v, float) and not math.isfinite(v)} | {id(DEEP)}


def _field(path):
    """The name of the field at ``path``: its last key that is a name."""
    names = [k for k in path if isinstance(k, str)]
    return names[-1] if names else None


@st.composite
def mutants(draw):
    """(spec, what was done, the field it names, the value put in, the path)."""
    spec = copy.deepcopy(draw(valid_specs()))
    # choices spread evenly over the paths (hypothesis favours the first of a list; a seeded Random does not)
    rnd = random.Random(draw(st.integers(0, 2 ** 63)))
    paths = list(_paths(spec))
    op = rnd.choice(["delete", "insert", "replace", "replace", "replace"])
    if op == "insert":
        dicts = [()] + [p for p in paths if isinstance(_at(spec, p), dict)]
        where = rnd.choice(dicts)
        key = rnd.choice(["bogus_field", "Nn", "tau_mm", "kindd"])
        value = rnd.choice(BAD_VALUES[:12])
        _at(spec, where)[key] = value
        return spec, f"insert {where + (key,)} = {value!r}", key, None, where
    path = rnd.choice(paths)
    parent, key = _at(spec, path[:-1]), path[-1]
    if op == "delete":
        del parent[key]
        return spec, f"delete {path}", None, None, path
    value = rnd.choice(BAD_VALUES)
    parent[key] = value
    return spec, f"set {path} = {reprlib.repr(value)}", _field(path), value, path


@FUZZ
@given(mutants())
def test_corrupted_specs_raise_only_pyn_errors(case):
    spec, edit, field, value, path = case
    if value is DEEP:                       # (a copy: hypothesis may print the drawn case)
        spec = copy.deepcopy(spec)
        _at(spec, path[:-1])[path[-1]] = DEEP_LIST
    try:
        with time_limit():
            net = Network.from_spec(spec)
    except PynError as exc:
        msg = str(exc)
        if field is None or "view" in path:
            return
        if value is None or id(value) in CLEARLY_BAD or edit.startswith("insert"):
            named = field in msg or (isinstance(value, str) and value and value in msg)
            assert named, f"{edit}: the message does not name {field!r}: {msg}"
        return
    # accepted: it is a valid network, and its own spec is a fixed point
    again = net.to_spec()
    assert Network.from_spec(again).to_spec() == again, edit


BUILD_EXAMPLES = 40 * (10 if LONG else 1)


@settings(max_examples=BUILD_EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(mutants())
def test_accepted_mutants_build_and_run_or_are_refused(case):
    """What the description accepts (extreme but finite values included) builds and runs, or is refused
    at build or run with a PynError (a resource or range check): never another exception, never a hang."""
    spec, edit, field, value, path = case
    if value is DEEP:
        return
    try:
        net = Network.from_spec(spec)
    except PynError:
        return
    with time_limit(30):
        try:
            sim = net.build(backend="numpy", record=["v"])
            sim.run(1.0)
        except PynError:
            return
    assert sim.k == int(round(1.0 / sim.dt + 1e-9)) or sim.k == int(1.0 / sim.dt + 1e-9), edit


# -- (c) the public constructors with random arguments --------------------------------------------

ANY = st.one_of(st.sampled_from(BAD_VALUES[:-1]), st.floats(allow_nan=True), st.integers(-10, 10),
                st.lists(st.floats(-5, 5), max_size=4), st.text(max_size=3), st.booleans(),
                st.just(np.array([1.0, 2.0])), st.just(np.float64(3.0)), st.just(np.int64(2)))


def _kwargs(names):
    return st.dictionaries(st.sampled_from(names), ANY, max_size=4)


CONSTRUCTORS = {
    "Population": (lambda kw: Population(kw.pop("name", "x"), kw.pop("N", 2), kw.pop("model", "lif"), **kw),
                   ["name", "N", "model", "params", "preset", "initial", "positions", "connectivity", "color",
                    "options", "scale", "synapse_defaults"]),
    "IzhikevichPopulation": (lambda kw: IzhikevichPopulation("x", **kw),
                             ["a", "b", "c", "d", "v0", "u0", "N", "tau_psc", "connectivity", "spike_delta", "scale",
                              "preset", "positions", "color", "v_substeps", "k2", "v_u"]),
    "LIFPopulation": (lambda kw: LIFPopulation("x", **kw), ["N", "tau_m", "R", "t_ref", "v0", "v_rest", "positions",
                                                            "color", "scale", "connectivity"]),
    "AdExPopulation": (lambda kw: AdExPopulation("x", **kw), ["N", "cm", "tau_w", "delta_T", "preset", "w0", "v0",
                                                              "tau_refrac", "a", "b"]),
    "HHPopulation": (lambda kw: HHPopulation("x", **kw), ["N", "Cm", "gNa", "gK", "gL", "v0", "EL"]),
    "PoissonPopulation": (lambda kw: PoissonPopulation("x", kw.pop("N", 2), kw.pop("rate", 5.0), **kw),
                          ["N", "rate", "start", "stop", "positions", "color"]),
    "SpikeSourcePopulation": (lambda kw: SpikeSourcePopulation("x", kw.pop("spike_times", [[1.0]]), **kw),
                              ["spike_times", "start", "stop", "positions", "color"]),
    "Network": (lambda kw: Network(**kw), ["populations", "name"]),
}


def _net():
    return Network([LIFPopulation("a", N=3), AdExPopulation("b", N=2), PoissonPopulation("s", 2, rate=5.0)])


METHODS = {
    "connect": (lambda kw: _net().connect(kw.pop("pre", "s"), kw.pop("post", "a"), **kw),
                ["pre", "post", "synapses", "mode", "delay_matrix", "delay", "std", "scale", "rule", "p", "k",
                 "weight", "synapse", "plasticity", "allow_autapses", "name", "stp"]),
    "add_current": (lambda kw: _net().add_current(kw.pop("target", "a"), kw.pop("amplitude", 1.0), **kw),
                    ["target", "amplitude", "start", "stop", "neurons"]),
    "add_noise": (lambda kw: _net().add_noise(kw.pop("target", "a"), **kw),
                  ["target", "mean", "std", "start", "stop", "neurons"]),
    "add_poisson": (lambda kw: _net().add_poisson(kw.pop("target", "b"), kw.pop("rate", 5.0), **kw),
                    ["target", "rate", "weight", "start", "stop", "neurons", "synapse"]),
}


@pytest.mark.parametrize("name", list(CONSTRUCTORS) + list(METHODS))
def test_public_constructors_raise_only_pyn_errors(name):
    make, names = {**CONSTRUCTORS, **METHODS}[name]

    @settings(max_examples=max(20, FUZZ_EXAMPLES // 3), derandomize=True, database=None, deadline=2000,
              suppress_health_check=[HealthCheck.too_slow])
    @given(_kwargs(names))
    def check(kw):
        try:
            with time_limit():
                make(dict(kw))
        except PynError:
            pass
    check()
