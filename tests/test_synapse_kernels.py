"""Synaptic kernels and transmission delays against their closed forms.

A spike of weight w arriving at t_a gives (pyn_core.synapses):
    delta     v jumps by w                   pulse   current w during one step
    exp       current w exp(-s/tau)          alpha   current w (s/tau) exp(1 - s/tau)
    cond_exp  conductance g = w exp(-s/tau), current g (E - v)
with s = t - t_a.  A spike emitted at t_k with a delay of D = max(1, round(d/dt))
steps arrives at the start of step k + D, i.e. at t_k + D*dt, and is visible in the
sample taken at that step (samples are taken after delivery).

Every test runs on each installed backend (the ``backend`` fixture) with the
tolerances stated against the closed forms; they hold for numba too, whose
``exp`` (the C library's) may differ from numpy's in the last bit only.
"""
import math

import numpy as np
import pytest

from pyn_core import IzhikevichPopulation, LIFPopulation, Network, SpikeSourcePopulation

TAU_M, V_REST = 20.0, -65.0


def one_spike_run(kind, backend, w=1.5, tau=3.0, dt=0.1, delay=1.0, t_spike=2.0, T=30.0, mode="excitatory",
                  E=None, post=None, record=("v", "I_syn")):
    src = SpikeSourcePopulation("src", [[t_spike]])
    if post is None:
        post = LIFPopulation("post", N=1, tau_m=TAU_M, v_rest=V_REST, v_thresh=1e6)
    net = Network(populations=[src, post])
    syn = None
    if kind is not None:
        syn = {"kind": kind}
        if kind in ("exp", "alpha", "cond_exp"):
            syn["tau"] = tau
        if E is not None:
            syn["E"] = E
    net.connect("src", post.name, synapses=np.array([[w]]), delay=delay, std=0.0, synapse=syn,
                mode=mode, plasticity=None)
    sim = net.build(dt=dt, seed=0, backend=backend, record={post.name: list(record)})
    assert sim.backend.name == backend
    return sim.run(T)


def arrival_step(t_spike, delay, dt):
    return round(t_spike / dt) + max(1, round(delay / dt))


# -- kernels -------------------------------------------------------------------------------

@pytest.mark.parametrize("mode,sign", [("excitatory", 1.0), ("inhibitory", -1.0)])
def test_exp_current_kernel(mode, sign, backend):
    # Exact decay (factor exp(-dt/tau) per step): only rounding of <= 300 multiplications,
    # so 1e-12 nA.
    w, tau, dt = 1.5, 3.0, 0.1
    res = one_spike_run("exp", backend, w=w, tau=tau, dt=dt, mode=mode)
    k_a = arrival_step(2.0, 1.0, dt)
    s = res.t - res.t[k_a]
    expected = np.where(s >= 0, sign * w * np.exp(-s / tau), 0.0)
    np.testing.assert_allclose(res["post"].I_syn[:, 0], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("mode,sign", [("excitatory", 1.0), ("inhibitory", -1.0)])
def test_alpha_current_kernel_peaks_at_w_after_tau(mode, sign, backend):
    # Two coupled exact exponentials: the sampled kernel equals w (s/tau) exp(1 - s/tau)
    # to rounding, 1e-12 nA; tau is a multiple of dt, so the peak sample is exactly w at s = tau.
    w, tau, dt = 2.0, 4.0, 0.1
    res = one_spike_run("alpha", backend, w=w, tau=tau, dt=dt, mode=mode, T=40.0)
    k_a = arrival_step(2.0, 1.0, dt)
    s = res.t - res.t[k_a]
    expected = np.where(s >= 0, sign * w * (s / tau) * np.exp(1.0 - s / tau), 0.0)
    I = res["post"].I_syn[:, 0]
    np.testing.assert_allclose(I, expected, rtol=0, atol=1e-12)
    k_peak = int(np.argmax(sign * I))
    assert k_peak == k_a + round(tau / dt)
    assert sign * I[k_peak] == pytest.approx(w, abs=1e-12)


def test_izhikevich_default_synapse_is_alpha_with_tau_psc(backend):
    w, tau_psc, dt = 3.0, 2.5, 0.25
    post = IzhikevichPopulation("post", N=1, tau_psc=tau_psc)
    res = one_spike_run(None, backend, w=w, dt=dt, post=post, T=30.0)
    k_a = arrival_step(2.0, 1.0, dt)
    s = res.t - res.t[k_a]
    expected = np.where(s >= 0, w * (s / tau_psc) * np.exp(1.0 - s / tau_psc), 0.0)
    np.testing.assert_allclose(res["post"].I_syn[:, 0], expected, rtol=0, atol=1e-12)


def test_pulse_lasts_one_step(backend):
    w, dt = 0.7, 0.1
    res = one_spike_run("pulse", backend, w=w, dt=dt)
    k_a = arrival_step(2.0, 1.0, dt)
    expected = np.zeros(res.t.size)
    expected[k_a] = w
    np.testing.assert_array_equal(res["post"].I_syn[:, 0], expected)
    # LIF response to a one-step current: exact step, then free decay (1e-12 mV)
    v = res["post"].v[:, 0]
    jump = w * (1.0 - math.exp(-dt / TAU_M))
    s = res.t - res.t[k_a + 1]
    np.testing.assert_allclose(v, np.where(s >= 0, V_REST + jump * np.exp(-s / TAU_M), V_REST),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("mode,sign", [("excitatory", 1.0), ("inhibitory", -1.0)])
def test_delta_synapse_jumps_v_by_w(mode, sign, backend):
    # LIF at rest: v = v_rest until the arrival, then v_rest +/- w relaxing with tau_m (exact, 1e-12).
    w, dt = 2.5, 0.1
    res = one_spike_run("delta", backend, w=w, dt=dt, mode=mode)
    k_a = arrival_step(2.0, 1.0, dt)
    s = res.t - res.t[k_a]
    expected = np.where(s >= 0, V_REST + sign * w * np.exp(-s / TAU_M), V_REST)
    np.testing.assert_allclose(res["post"].v[:, 0], expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res["post"].I_syn[:, 0], 0.0)


def test_delta_synapse_on_izhikevich_matches_euler_loop_with_jump(backend):
    # Reference: the published Euler loop for a=0.02, b=0.2, c=-65, d=6 from v0=-70, u0=b*v0,
    # with V += w at the start of the arrival step.  Same arithmetic order -> 1e-9 mV.
    w, dt, T = 4.0, 0.25, 40.0
    post = IzhikevichPopulation("post", N=1, a=0.02, b=0.2, c=-65, d=6, v0=-70)
    res = one_spike_run("delta", backend, w=w, dt=dt, post=post, T=T, record=("v",))
    k_a = arrival_step(2.0, 1.0, dt)
    V, u = -70.0, 0.2 * -70.0
    ref = []
    for k in range(round(T / dt)):
        if k == k_a:
            V += w
        ref.append(V)
        V = V + dt * (0.04 * V * V + 5 * V + 140 - u)
        u = u + dt * 0.02 * (0.2 * V - u)
        if V >= 30:
            V, u = -65.0, u + 6
    np.testing.assert_allclose(res["post"].v[:, 0], ref, rtol=0, atol=1e-9)
    assert res["post"].v[k_a, 0] - res["post"].v[k_a - 1, 0] > w - 1.0   # the jump is visible


@pytest.mark.parametrize("E,mode,E_eff", [(0.0, "excitatory", 0.0), (None, "inhibitory", -80.0)])
def test_cond_exp_current_is_g_times_driving_force(E, mode, E_eff, backend):
    # g = w exp(-s/tau) exactly (1e-12 relative); the recorded current is g (E - v) with the
    # v sampled at the same time.
    w, tau, dt = 0.4, 5.0, 0.1
    res = one_spike_run("cond_exp", backend, w=w, tau=tau, dt=dt, E=E, mode=mode)
    k_a = arrival_step(2.0, 1.0, dt)
    s = res.t - res.t[k_a]
    g = np.where(s >= 0, w * np.exp(-s / tau), 0.0)
    v = res["post"].v[:, 0]
    np.testing.assert_allclose(res["post"].I_syn[:, 0], g * (E_eff - v), rtol=1e-12, atol=1e-12)
    assert np.sign(v[-1] - V_REST) == np.sign(E_eff - V_REST)    # pulled towards E


# -- delays --------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", [0.1, 0.25, 0.05])
@pytest.mark.parametrize("delay", [0.0, 0.01, 0.37, 1.0, 2.25, 3.33, 10.0])
def test_delay_is_exact_to_the_step(dt, delay, backend):
    # Arrival at spike time + max(1, round(d/dt))*dt, exactly (the first non-zero sample).
    # (2.25/0.1 is 22.4999... in floating point, so no case is an exact half step.)
    t_spike = 2.0
    res = one_spike_run("exp", backend, w=1.0, dt=dt, delay=delay, t_spike=t_spike, T=20.0)
    I = res["post"].I_syn[:, 0]
    first = int(np.flatnonzero(I)[0])
    D = max(1, round(delay / dt))
    assert first == round(t_spike / dt) + D
    assert res.t[first] == pytest.approx(t_spike + D * dt, abs=1e-9)
    assert I[first] == 1.0


def test_per_synapse_delays_from_delay_matrix_superpose(backend):
    # Two sources (several spikes each) onto three targets with per-pair weights and delays;
    # each target's current is the sum of exp kernels at the arrival steps (1e-12).
    dt, tau = 0.1, 2.0
    times = [[1.0, 4.0], [2.5]]
    W = np.array([[1.0, 0.5, 0.0], [0.25, 2.0, 3.0]])
    Dm = np.array([[0.3, 1.2, 5.0], [2.0, 0.1, 7.7]])
    src = SpikeSourcePopulation("src", times)
    post = LIFPopulation("post", N=3, v_thresh=1e6)
    net = Network(populations=[src, post])
    net.connect("src", "post", synapses=W, delay_matrix=Dm, synapse={"kind": "exp", "tau": tau},
                plasticity=None)
    res = net.build(dt=dt, seed=0, backend=backend, record={"post": ["I_syn"]}).run(20.0)
    expected = np.zeros((res.t.size, 3))
    k = np.arange(res.t.size)
    for i, spikes in enumerate(times):
        for ts in spikes:
            for j in range(3):
                k_a = round(ts / dt) + max(1, round(Dm[i, j] / dt))
                expected[:, j] += np.where(k >= k_a, W[i, j] * np.exp(-(k - k_a) * dt / tau), 0.0)
    np.testing.assert_allclose(res["post"].I_syn, expected, rtol=0, atol=1e-12)


def test_normal_delays_are_rounded_per_synapse_and_at_least_one_step(backend):
    # delay ~ normal(1.0, 0.5): every synapse's arrival is a whole number of steps >= 1 after
    # the spike, and the arrivals spread over several steps.
    dt = 0.1
    N = 200
    src = SpikeSourcePopulation("src", [[1.0]])
    post = LIFPopulation("post", N=N, v_thresh=1e6)
    net = Network(populations=[src, post])
    net.connect("src", "post", synapses=np.ones((1, N)), delay=1.0, std=0.5,
                synapse={"kind": "pulse"}, plasticity=None)
    res = net.build(dt=dt, seed=3, backend=backend, record={"post": ["I_syn"]}).run(10.0)
    I = res["post"].I_syn
    assert np.all(I.sum(axis=0) == 1.0)               # each target got exactly one pulse
    arrival = np.argmax(I, axis=0) - round(1.0 / dt)
    assert arrival.min() >= 1
    assert np.unique(arrival).size >= 5
    assert abs(arrival.mean() * dt - 1.0) < 0.15       # centred on the mean delay


# -- a PSP against the analytic solution -----------------------------------------------------

@pytest.mark.parametrize("dt", [0.1, 0.01])
def test_exp_psp_matches_double_exponential(dt, backend):
    # tau_m v' = -(v - v_rest) + R w exp(-s/tau_s) gives
    #   v - v_rest = R w tau_s/(tau_s - tau_m) (exp(-s/tau_s) - exp(-s/tau_m)).
    # pyN holds the current at its start-of-step value I(t_k), so the error is
    #   e(t) = (R/tau_m) int_0^t exp(-(t - x)/tau_m) dI(x) dx,   0 <= dI(x) = I(t_k) - I(x),
    # and since I decreases monotonically, int dI <= dt * sum_k (I(t_k) - I(t_k+1)) = dt * w:
    #   0 <= v_pyN - v_exact <= R w dt / tau_m   (0.02 mV at dt = 0.1, 0.002 mV at dt = 0.01).
    w, tau_s, R = 4.0, 3.0, 1.0
    res = one_spike_run("exp", backend, w=w, tau=tau_s, dt=dt, T=60.0, record=("v",))
    k_a = arrival_step(2.0, 1.0, dt)
    s = np.maximum(res.t - res.t[k_a], 0.0)
    exact = V_REST + R * w * tau_s / (tau_s - TAU_M) * (np.exp(-s / tau_s) - np.exp(-s / TAU_M))
    err = res["post"].v[:, 0] - exact
    assert err.min() >= -1e-12 and err.max() <= R * w * dt / TAU_M
    assert res["post"].v[:, 0].max() - V_REST > 0.4          # peak of the PSP is 0.43 mV
