"""Reward-modulated STDP (Izhikevich 2007): eligibility c, dopamine d, dw/dt = c d.

References are the paper's equations, integrated here independently: in
closed form for the two-neuron demonstration, and step by step (Euler, one
pass over every synapse per step, per-synapse traces) for a small random
network, which the engine's event-driven integration must match.

Every test runs on each installed backend (the ``backend`` fixture) with the
tolerances stated against these references; a last-bit difference between the
backends' ``exp`` (numba calls the C library's) stays far inside them.
"""
import math

import numpy as np
import pytest

from pyn_core import LIFPopulation, Network, PoissonPopulation, SpikeSourcePopulation

DT = 0.1


DT2 = 0.5   # the two-neuron runs (Izhikevich used 1 ms)


def two_neurons(t_pre, t_kick, backend, **rule):
    net = Network([SpikeSourcePopulation("pre", [[t_pre]]), SpikeSourcePopulation("kick", [[t_kick]]),
                   LIFPopulation("post", 1)])
    net.connect("kick", "post", rule="all_to_all", weight=100.0, synapse="delta", delay=DT2, std=0.0,
                plasticity=None)
    params = {"rule": "rstdp", "w_max": 1.0, "A_plus": 0.1, "A_minus": 0.15, "tau_c": 1000.0, "tau_d": 200.0}
    params.update(rule)
    net.connect("pre", "post", rule="all_to_all", weight=0.5, synapse="delta", delay=1.0, std=0.0,
                plasticity=params)
    sim = net.build(dt=DT2, seed=0, backend=backend, stdp=True)
    assert sim.backend.name == backend
    return sim


@pytest.mark.parametrize("causal", [True, False])
def test_distal_reward_two_neurons(causal, backend):
    """A pairing at ~100 ms, dopamine 1 s later: the weight moves only once dopamine arrives."""
    t_pre = 100.0 if causal else 115.0
    sim = two_neurons(t_pre, 110.0, backend)
    weights, times = [], []
    while sim.t < 1100.0 - 1e-9:
        sim.advance(5.0)
        weights.append(sim.get_weights("pre->post")[2][0])
        times.append(sim.t)
    post = sim.results["post"].spike_times
    assert post.size == 1
    c_now = sim.get_eligibility("pre->post")[0]
    assert np.all(np.array(weights) == 0.5), "no dopamine yet: the weight must not move"
    # the eligibility left by the pair, decayed to now (delay 1 ms, all axonal by default)
    dt_syn = post[0] - (t_pre + 1.0)
    t_pair = max(post[0], t_pre + 1.0)   # when the later spike reached the synapse
    c0 = 0.1 * math.exp(-dt_syn / 20.0) if dt_syn >= 0 else -0.15 * math.exp(dt_syn / 20.0)
    assert c_now == pytest.approx(c0 * math.exp(-(sim.t - t_pair) / 1000.0), rel=1e-9)
    t_r, D = sim.t, 0.05
    sim.reward(D)
    rate = 1 / 1000.0 + 1 / 200.0
    for T in (200.0, 800.0):
        sim.advance(T - (sim.t - t_r))
        # closed form: dw(T) = c(t_r) D (1 - exp(-T rate)) / rate, rate = 1/tau_c + 1/tau_d
        # (the Euler sum differs by about dt*rate/2 relative)
        expected = c_now * D * (1 - math.exp(-T * rate)) / rate
        assert sim.get_weights("pre->post")[2][0] - 0.5 == pytest.approx(expected, rel=3e-3)
    assert (sim.get_weights("pre->post")[2][0] > 0.5) == causal


def test_no_dopamine_no_change_and_no_learning_switch(backend):
    sim = two_neurons(100.0, 110.0, backend)
    sim.advance(1500.0)
    assert sim.get_weights("pre->post")[2][0] == 0.5
    assert sim.get_eligibility("pre->post")[0] > 0
    # stdp=False at build: nothing learns, and reward() says why
    net = Network([SpikeSourcePopulation("pre", [[1.0]]), LIFPopulation("post", 1)])
    net.connect("pre", "post", rule="all_to_all", weight=0.5, plasticity="rstdp")
    static = net.build(dt=DT, seed=0, backend=backend, stdp=False)
    with pytest.raises(ValueError, match="stdp=True"):
        static.reward(1.0)
    with pytest.raises(ValueError, match="not reward-modulated"):
        static.get_eligibility("pre->post")


def test_tonic_dopamine_and_punishment(backend):
    """A tonic level makes eligibility count at once; a negative reward reverses the sign."""
    sim = two_neurons(100.0, 110.0, backend, dopamine_baseline=0.01)
    sim.advance(500.0)
    assert sim.get_weights("pre->post")[2][0] > 0.5
    sim2 = two_neurons(100.0, 110.0, backend)
    sim2.advance(300.0)
    sim2.reward(-0.05)
    sim2.advance(500.0)
    assert sim2.get_weights("pre->post")[2][0] < 0.5


def test_dopaminergic_population(backend):
    """Each spike of the dopaminergic population adds dopamine_per_spike; d decays with tau_d."""
    da_times = [10.0, 30.0, 30.0 + DT, 60.0]
    net = Network([SpikeSourcePopulation("vta", [[t] for t in da_times]), SpikeSourcePopulation("pre", [[1.0]]),
                   LIFPopulation("post", 1)])
    net.connect("pre", "post", rule="all_to_all", weight=0.5,
                plasticity={"rule": "rstdp", "dopamine_from": "vta", "dopamine_per_spike": 0.25, "tau_d": 50.0})
    sim = net.build(dt=DT, seed=0, backend=backend)
    assert sim.backend.name == backend
    for t_end in (20.0, 45.0, 100.0):
        sim.advance(t_end - sim.t)
        expected = sum(0.25 * math.exp(-(sim.t - t) / 50.0) for t in da_times if t < sim.t)
        assert sim.dopamine() == pytest.approx(expected, rel=1e-9)
    with pytest.raises(LookupError, match="vta2"):
        net.connect("pre", "post", plasticity={"rule": "rstdp", "dopamine_from": "vta2"})


def dense_reference(pre_steps, post_steps, syn_pre, syn_post, shift, w0, rewards, n_steps, p):
    """Step-by-step R-STDP over all synapses (per-synapse traces), rewards {step: amount}."""
    n = syn_pre.size
    pre_ev = {}
    post_ev = {}
    for s in range(n):
        a, b = max(shift[s], 0), max(-shift[s], 0)
        for k in pre_steps[syn_pre[s]]:
            pre_ev.setdefault(k + a, []).append(s)
        for k in post_steps[syn_post[s]]:
            post_ev.setdefault(k + b, []).append(s)
    x, y, c, w = np.zeros(n), np.zeros(n), np.zeros(n), w0.copy()
    gx, gy, gc = math.exp(-DT / p["tau_plus"]), math.exp(-DT / p["tau_minus"]), math.exp(-DT / p["tau_c"])
    gd = math.exp(-DT / p["tau_d"])
    d = 0.0
    for k in range(n_steps):
        d += rewards.get(k, 0.0)
        s = np.array(pre_ev.get(k, []), dtype=int)
        if s.size:
            c[s] -= p["A_minus"] * p["w_max"] * y[s]
            x[s] += 1.0
        s = np.array(post_ev.get(k, []), dtype=int)
        if s.size:
            c[s] += p["A_plus"] * p["w_max"] * x[s]
            y[s] += 1.0
        w = np.clip(w + DT * c * d, 0.0, p["w_max"])
        c *= gc
        x *= gx
        y *= gy
        d *= gd
    return w, c


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 1.0])
def test_event_driven_integration_matches_step_by_step(fraction, backend):
    """Random spikes, mixed delays, rewards while running, several epochs (short tau_c)."""
    rng = np.random.default_rng(3)
    n_pre, n_post = 12, 3
    p = {"rule": "rstdp", "w_max": 1.0, "A_plus": 0.05, "A_minus": 0.06, "tau_c": 40.0, "tau_d": 30.0,
         "tau_plus": 15.0, "tau_minus": 25.0, "dendritic_fraction": fraction}
    net = Network([PoissonPopulation("pre", n_pre, rate=40.0),
                   LIFPopulation("post", n_post, tau_m=10.0, v_rest=-65.0, v_thresh=-55.0, t_ref=2.0)])
    delays = rng.choice([0.1, 0.5, 1.3, 2.0], size=(n_pre, n_post))
    net.connect("pre", "post", rule="all_to_all", weight={"dist": "uniform", "low": 0.2, "high": 0.8},
                synapse="delta", delay_matrix=delays, plasticity=p)
    net.connect("pre", "post", rule="all_to_all", weight=4.0, synapse="delta", delay=0.1, std=0.0,
                plasticity=None, name="drive")
    sim = net.build(dt=DT, seed=11, backend=backend)
    assert sim.backend.name == backend
    syn_pre, syn_post, w0 = sim.get_weights("pre->post")
    rewards = {}
    while sim.t < 1000.0 - 1e-9:
        sim.advance(10.0)
        if rng.random() < 0.2:
            amount = float(rng.uniform(0.1, 1.0))
            rewards[sim.k] = rewards.get(sim.k, 0.0) + amount
            sim.reward(amount)
    res = sim.results
    n_steps = sim.k
    trains_pre = [np.rint(t / DT).astype(int) for t in res["pre"].spike_trains()]
    trains_post = [np.rint(t / DT).astype(int) for t in res["post"].spike_trains()]
    assert sum(t.size for t in trains_post) > 20
    d_steps = np.rint(delays[syn_pre, syn_post] / DT)
    shift = np.rint((1 - 2 * fraction) * d_steps).astype(int)
    w_ref, c_ref = dense_reference(trains_pre, trains_post, syn_pre, syn_post, shift, w0, rewards, n_steps,
                                   dict(p, tau_plus=15.0, tau_minus=25.0))
    w = sim.get_weights("pre->post")[2]
    assert np.abs(w - w0).max() > 0.05, "the test must exercise learning"
    np.testing.assert_allclose(w, w_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sim.get_eligibility("pre->post"), c_ref, rtol=0, atol=1e-12)
