"""Pair STDP against its formula: isolated pairs, pairing schemes, delay split, bounds.

Each presynaptic source fires once; one postsynaptic neuron is made to fire at
a known step by a strong kick, so every synapse sees exactly one pair.  The
expected change is the published window written out here (Song, Miller &
Abbott 2000 for the additive form, Gütig et al. 2003 with mu = 1 for the
multiplicative one), evaluated at the timing the synapse sees:
``dt = t_post - t_pre - (1 - 2 f) d``.  Tolerance: 1e-12 relative to the
largest change (the rule is exact in discrete time; only rounding remains).

Every test runs on each installed backend (the ``backend`` fixture) with the
same tolerances: each backend evaluates the same scalar exponentials of the
event-driven traces (``pyn_core.engine.plasticity``), so a difference between
the backends' ``exp`` could only move the last bit, far inside 1e-12 relative.
"""
import numpy as np
import pytest

from pyn_core import LIFPopulation, Network, SpikeSourcePopulation

DT = 0.1
T_KICK = 200.0
A_PLUS, A_MINUS, TAU_PLUS, TAU_MINUS, W_MAX = 0.1, 0.12, 15.0, 30.0, 1e-3


def run_pairs(pre_times, rule, w0, backend, delay=2.0, post_kicks=(T_KICK,), T=400.0):
    """Weights after a run, the recorded pre spike times (per source) and post spike times."""
    net = Network([SpikeSourcePopulation("pre", pre_times),
                   SpikeSourcePopulation("kick", [list(post_kicks)]),
                   LIFPopulation("post", 1, t_ref=2.0)])
    net.connect("kick", "post", rule="all_to_all", weight=100.0, synapse="delta", delay=DT, std=0.0,
                plasticity=None)
    params = {"rule": "stdp", "A_plus": A_PLUS, "A_minus": A_MINUS, "tau_plus": TAU_PLUS,
              "tau_minus": TAU_MINUS, "w_max": W_MAX, "w_min": 0.0}
    params.update(rule)
    net.connect("pre", "post", rule="all_to_all", weight=w0, synapse="delta", delay=delay, std=0.0,
                plasticity=params)
    sim = net.build(dt=DT, seed=0, backend=backend, stdp=True)
    assert sim.backend.name == backend
    res = sim.run(T)
    _, _, w = sim.get_weights("pre->post")
    return w, res["pre"].spike_trains(), res["post"].spike_times


def window(dt_syn, w0, multiplicative=False):
    up = (W_MAX - w0) if multiplicative else W_MAX
    down = (w0 - 0.0) if multiplicative else W_MAX
    return np.where(dt_syn >= 0, A_PLUS * up * np.exp(-dt_syn / TAU_PLUS),
                    -A_MINUS * down * np.exp(dt_syn / TAU_MINUS))


OFFSETS = np.arange(-80.0, 80.01, 1.3)   # t_post - t_pre targets, ms


@pytest.mark.parametrize("fraction", [0.0, 0.5, 1.0, 0.25])
@pytest.mark.parametrize("dependence", ["additive", "multiplicative"])
def test_isolated_pairs_follow_the_window(fraction, dependence, backend):
    pre_times = [[T_KICK - o] for o in OFFSETS]
    w0 = 0.4 * W_MAX
    delay = 2.0
    w, trains, post = run_pairs(pre_times, {"weight_dependence": dependence, "dendritic_fraction": fraction},
                                w0, backend, delay=delay)
    assert post.size == 1
    t_pre = np.array([t[0] for t in trains])
    shift = np.rint((1 - 2 * fraction) * delay / DT) * DT    # the delay split, rounded to the step
    dt_syn = post[0] - t_pre - shift
    expected = window(dt_syn, w0, dependence == "multiplicative")
    assert np.abs(expected).max() > 0.5 * A_PLUS * W_MAX * (0.6 if dependence == "multiplicative" else 1.0)
    np.testing.assert_allclose(w - w0, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    # both branches are present and the window changes sign where dt_syn crosses 0
    assert np.any(dt_syn < 0) and np.any(dt_syn > 0)
    assert np.all(np.sign(w - w0)[dt_syn > 0] == 1) and np.all(np.sign(w - w0)[dt_syn < 0] == -1)


def test_delay_split_moves_the_window(backend):
    """One pair, three splits of a 3 ms delay: the synapse sees three different timings."""
    # pre emitted 1 ms before the post spike, delay 3 ms
    pre_times = [[T_KICK + DT - 1.0]]
    w_ax, _, _ = run_pairs(pre_times, {"dendritic_fraction": 0.0}, 0.5 * W_MAX, backend, delay=3.0)
    w_mid, _, _ = run_pairs(pre_times, {"dendritic_fraction": 0.5}, 0.5 * W_MAX, backend, delay=3.0)
    w_den, _, _ = run_pairs(pre_times, {"dendritic_fraction": 1.0}, 0.5 * W_MAX, backend, delay=3.0)
    # axonal: arrives 2 ms after the post spike -> depression; emission: +1 ms; dendritic: +4 ms
    assert w_ax[0] == pytest.approx(0.5 * W_MAX - A_MINUS * W_MAX * np.exp(-2.0 / TAU_MINUS), rel=1e-12)
    assert w_mid[0] == pytest.approx(0.5 * W_MAX + A_PLUS * W_MAX * np.exp(-1.0 / TAU_PLUS), rel=1e-12)
    assert w_den[0] == pytest.approx(0.5 * W_MAX + A_PLUS * W_MAX * np.exp(-4.0 / TAU_PLUS), rel=1e-12)


def test_same_step_pair_potentiates(backend):
    # emission convention, pre and post in the same step: dt = 0 -> +A_plus w_max
    w, trains, post = run_pairs([[T_KICK + DT]], {"dendritic_fraction": 0.5}, 0.5 * W_MAX, backend)
    assert trains[0][0] == pytest.approx(post[0])
    assert w[0] == pytest.approx(0.5 * W_MAX + A_PLUS * W_MAX, rel=1e-12)


@pytest.mark.parametrize("pairing", ["all_to_all", "nearest"])
def test_pairing_schemes(pairing, backend):
    """Two pre spikes before one post spike, and two post spikes before one pre spike."""
    t_post1 = T_KICK + DT               # the kick makes the neuron fire here
    t_post2 = T_KICK + 30.0 + DT
    pre = [[t_post1 - 12.0, t_post1 - 5.0],     # source 0: pre, pre, post (then post2 far later)
           [t_post2 + 7.0]]                     # source 1: post1, post2, pre
    w, trains, post = run_pairs(pre, {"pairing": pairing, "dendritic_fraction": 0.5}, 0.5 * W_MAX,
                                backend, post_kicks=(T_KICK, T_KICK + 30.0), T=500.0)
    np.testing.assert_allclose(post, [t_post1, t_post2], atol=1e-9)
    d = np.exp
    if pairing == "all_to_all":
        # source 0: both pre spikes pair with both post spikes
        dw0 = A_PLUS * W_MAX * (d(-12 / TAU_PLUS) + d(-5 / TAU_PLUS) + d(-42 / TAU_PLUS) + d(-35 / TAU_PLUS))
        dw1 = A_PLUS * W_MAX * 0.0 - A_MINUS * W_MAX * (d(-7 / TAU_MINUS) + d(-37 / TAU_MINUS))
    else:
        # nearest: each spike pairs with the latest spike of the other side only
        dw0 = A_PLUS * W_MAX * (d(-5 / TAU_PLUS) + d(-35 / TAU_PLUS))
        dw1 = -A_MINUS * W_MAX * d(-7 / TAU_MINUS)
    np.testing.assert_allclose(w - 0.5 * W_MAX, [dw0, dw1], rtol=1e-12)


def test_weights_stay_within_bounds(backend):
    # a huge A_plus would overshoot w_max: clipped
    pre_times = [[T_KICK - 1.0]] * 3 + [[T_KICK + 3.0]] * 3
    w, _, _ = run_pairs(pre_times, {"A_plus": 5.0, "A_minus": 5.0, "w_min": 2e-4, "dendritic_fraction": 0.5},
                        0.5 * W_MAX, backend)
    np.testing.assert_allclose(w, [W_MAX] * 3 + [2e-4] * 3, rtol=1e-12)


def test_no_learning_without_stdp(backend):
    pre_times = [[T_KICK - o] for o in (-10.0, 5.0)]
    net = Network([SpikeSourcePopulation("pre", pre_times), SpikeSourcePopulation("kick", [[T_KICK]]),
                   LIFPopulation("post", 1)])
    net.connect("kick", "post", rule="all_to_all", weight=100.0, synapse="delta", delay=DT, std=0.0)
    net.connect("pre", "post", rule="all_to_all", weight=1e-4, synapse="delta", delay=1.0, std=0.0,
                plasticity="stdp")
    for stdp, changed in ((False, False), (True, True)):
        sim = net.build(dt=DT, seed=0, backend=backend, stdp=stdp)
        sim.run(300.0)
        assert np.any(sim.get_weights("pre->post")[2] != 1e-4) == changed
        assert np.all(sim.get_weights("kick->post")[2] == 100.0)    # a static connection


def dense_stdp(pre_steps, post_steps, syn_pre, syn_post, shift, w0, n_steps, p):
    """Step-by-step pair STDP over all synapses with per-synapse traces (the reference)."""
    n = syn_pre.size
    pre_ev, post_ev = {}, {}
    for s in range(n):
        for k in pre_steps[syn_pre[s]]:
            pre_ev.setdefault(k + max(shift[s], 0), []).append(s)
        for k in post_steps[syn_post[s]]:
            post_ev.setdefault(k + max(-shift[s], 0), []).append(s)
    x, y, w = np.zeros(n), np.zeros(n), w0.copy()
    gx, gy = np.exp(-DT / p["tau_plus"]), np.exp(-DT / p["tau_minus"])
    mult, nearest = p["weight_dependence"] == "multiplicative", p["pairing"] == "nearest"
    for k in range(n_steps):
        s = np.array(pre_ev.get(k, []), dtype=int)
        if s.size:
            down = (w[s] - p["w_min"]) if mult else p["w_max"]
            w[s] = np.clip(w[s] - p["A_minus"] * down * y[s], p["w_min"], p["w_max"])
            x[s] = 1.0 if nearest else x[s] + 1.0
        s = np.array(post_ev.get(k, []), dtype=int)
        if s.size:
            up = (p["w_max"] - w[s]) if mult else p["w_max"]
            w[s] = np.clip(w[s] + p["A_plus"] * up * x[s], p["w_min"], p["w_max"])
            y[s] = 1.0 if nearest else y[s] + 1.0
        x *= gx
        y *= gy
    return w


@pytest.mark.parametrize("fraction, dependence, pairing", [
    (0.0, "additive", "all_to_all"), (1.0, "multiplicative", "all_to_all"),
    (0.5, "additive", "nearest"), (0.25, "multiplicative", "nearest")])
def test_random_spikes_mixed_delays_match_step_by_step(fraction, dependence, pairing, backend):
    rng = np.random.default_rng(7)
    n_pre, n_post = 10, 3
    p = {"rule": "stdp", "A_plus": 0.05, "A_minus": 0.06, "tau_plus": 15.0, "tau_minus": 25.0, "w_min": 0.1,
         "w_max": 1.0, "weight_dependence": dependence, "pairing": pairing, "dendritic_fraction": fraction}
    net = Network([SpikeSourcePopulation("pre", [np.sort(rng.uniform(0, 500, 20)).round(1) for _ in range(n_pre)]),
                   LIFPopulation("post", n_post, tau_m=10.0, t_ref=2.0)])
    delays = rng.choice([0.1, 0.4, 1.1, 2.5], size=(n_pre, n_post))
    net.connect("pre", "post", rule="all_to_all", weight={"dist": "uniform", "low": 0.2, "high": 0.9},
                synapse="delta", delay_matrix=delays, plasticity=p)
    net.connect("pre", "post", rule="all_to_all", weight=6.0, synapse="delta", delay=0.1, std=0.0,
                plasticity=None, name="drive")
    sim = net.build(dt=DT, seed=1, backend=backend)
    syn_pre, syn_post, w0 = sim.get_weights("pre->post")
    res = sim.run(520.0)
    steps = [[np.rint(t / DT).astype(int) for t in res[name].spike_trains()] for name in ("pre", "post")]
    assert sum(t.size for t in steps[1]) > 20
    shift = np.rint((1 - 2 * fraction) * np.rint(delays[syn_pre, syn_post] / DT)).astype(int)
    w_ref = dense_stdp(steps[0], steps[1], syn_pre, syn_post, shift, w0, sim.k, p)
    w = sim.get_weights("pre->post")[2]
    assert np.abs(w - w0).max() > 0.05
    np.testing.assert_allclose(w, w_ref, rtol=0, atol=1e-12)
