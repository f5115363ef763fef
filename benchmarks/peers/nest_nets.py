"""The benchmark networks of ``shared/BENCHMARKS.md`` in NEST.

Usage (with the peers' virtualenv, see ``benchmarks/install_peers.sh``)::

    benchmarks/.peers-venv/bin/python benchmarks/peers/nest_nets.py BENCH \\
        --threads {1,2} [--duration-scale F] [--seed S] [--json]

BENCH is one of ``izh1000``, ``coba4000``, ``stdp_song``, ``brunel_scaled``,
``cobahh``.  With ``--json`` the only line on standard output is the result
object described in ``common.py``; NEST's banner and messages go to standard
error.

Timing: the simulation is split into ``nest.Prepare()``, ``nest.Run(t)`` and
``nest.Cleanup()``.  ``sim_s`` is the wall time of ``nest.Run`` alone;
``build_s`` is the kernel set-up, ``Create``, ``Connect`` and ``Prepare``
(which builds NEST's connection infrastructure).

Where NEST's models differ from the definitions, the builder's docstring says
how.  In general: synaptic delays are at least one time step in NEST, where
Brian2's default is none, and the conductance models are integrated with
GSL's adaptive RKF45 rather than Euler.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

if __package__:
    from .common import (
        BIO_MS,
        Result,
        Stopwatch,
        emit,
        hist10,
        mean_rate,
        parse_args,
        stdout_to_stderr,
    )
else:  # run as a script
    from common import (  # type: ignore[no-redef]
        BIO_MS,
        Result,
        Stopwatch,
        emit,
        hist10,
        mean_rate,
        parse_args,
        stdout_to_stderr,
    )

#: Integration step of each benchmark, ms.
RESOLUTION_MS = {
    "izh1000": 1.0,
    "coba4000": 0.1,
    "stdp_song": 0.1,
    "brunel_scaled": 0.1,
    "cobahh": 0.1,
}


@dataclass
class Net:
    """A constructed network and what to read after the run."""

    n_neurons: int
    n_synapses: int
    #: spike recorders of the recorded populations (their ``n_events``)
    recorders: list[Any]
    #: take every neuron's spikes from the kernel's spike counter instead
    #: (for stdp_song, whose 1000 inputs are parrot neurons)
    count_all_from_kernel: bool = False
    #: recorder and size of the neurons whose rate is reported (default: all)
    rate_recorder: Any = None
    rate_n: int = 0
    finish: Callable[[], dict[str, Any]] | None = None


# --------------------------------------------------------------------------
# izh1000
# --------------------------------------------------------------------------
def build_izh1000(nest: ModuleType, rng: np.random.Generator) -> Net:
    """1000 ``izhikevich`` neurons with the published integration scheme.

    ``consistent_integration=False`` is the published scheme (two 0.5 ms
    half-steps for v, then u with the new v) at a 1 ms resolution, where a
    spike's weight adds to v as in the published matrix; delay 1 ms, the
    minimum, delivers a spike in
    the step after the one in which it was fired, as published.  The thalamic
    input is one ``noise_generator`` per population (std 5 or 2, a new value
    each 1 ms, independent for each target neuron).  Deviation: a generator's
    current reaches the neuron one step after it is drawn, which does not
    change its statistics.  The per-neuron r of the definition is drawn with
    numpy from the run's seed; weights come from NEST's generator.
    """
    ne, ni = 800, 200
    n = ne + ni
    pop = nest.Create(
        "izhikevich",
        n,
        params={"consistent_integration": False, "V_th": 30.0, "V_m": -65.0},
    )
    exc, inh = pop[:ne], pop[ne:]
    re = rng.random(ne)
    ri = rng.random(ni)
    b_exc = np.full(ne, 0.2)
    b_inh = 0.25 - 0.05 * ri
    exc.set(
        a=[0.02] * ne,
        b=b_exc.tolist(),
        c=(-65.0 + 15.0 * re**2).tolist(),
        d=(8.0 - 6.0 * re**2).tolist(),
        U_m=(-65.0 * b_exc).tolist(),
    )
    inh.set(
        a=(0.02 + 0.08 * ri).tolist(),
        b=b_inh.tolist(),
        c=[-65.0] * ni,
        d=[2.0] * ni,
        U_m=(-65.0 * b_inh).tolist(),
    )
    # All-to-all including autapses, like the published weight matrix.
    nest.Connect(
        exc, pop, "all_to_all", {"weight": nest.random.uniform(0.0, 0.5), "delay": 1.0}
    )
    nest.Connect(
        inh, pop, "all_to_all", {"weight": nest.random.uniform(-1.0, 0.0), "delay": 1.0}
    )
    n_syn = nest.num_connections
    noise_e = nest.Create("noise_generator", params={"mean": 0.0, "std": 5.0, "dt": 1.0})
    noise_i = nest.Create("noise_generator", params={"mean": 0.0, "std": 2.0, "dt": 1.0})
    nest.Connect(noise_e, exc, syn_spec={"delay": 1.0})
    nest.Connect(noise_i, inh, syn_spec={"delay": 1.0})
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    return Net(n, n_syn, [rec])


# --------------------------------------------------------------------------
# coba4000
# --------------------------------------------------------------------------
def build_coba4000(nest: ModuleType, rng: np.random.Generator) -> Net:
    """4000 ``iaf_cond_exp`` neurons, p = 0.02 (Vogels & Abbott 2005).

    The definition's conductances are in units of the leak; here
    g_L = 10 nS and C_m = 200 pF (tau_m = 20 ms), so the weights are 6 and
    67 nS and the 20 mV drive is I_e = 200 pA.  Deviations: RKF45 instead of
    Euler; delay 0.1 ms (one step).
    """
    ne, ni = 3200, 800
    n = ne + ni
    g_l = 10.0
    pop = nest.Create(
        "iaf_cond_exp",
        n,
        params={
            "C_m": 200.0,
            "g_L": g_l,
            "E_L": -60.0,
            "V_th": -50.0,
            "V_reset": -60.0,
            "t_ref": 5.0,
            "E_ex": 0.0,
            "E_in": -80.0,
            "tau_syn_ex": 5.0,
            "tau_syn_in": 10.0,
            "I_e": 20.0 * g_l,
            "V_m": nest.random.normal(mean=-55.0, std=5.0),
        },
    )
    conn = {"rule": "pairwise_bernoulli", "p": 0.02}
    nest.Connect(pop[:ne], pop, conn, {"weight": 0.6 * g_l, "delay": 0.1})
    nest.Connect(pop[ne:], pop, conn, {"weight": -6.7 * g_l, "delay": 0.1})
    n_syn = nest.num_connections
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    return Net(n, n_syn, [rec])


# --------------------------------------------------------------------------
# stdp_song
# --------------------------------------------------------------------------
def build_stdp_song(nest: ModuleType, rng: np.random.Generator) -> Net:
    """1000 Poisson inputs onto one neuron through additive ``stdp_synapse``.

    The definition's ``ge*(Ee - vr)`` drive does not depend on v, so the
    neuron is current-based: ``iaf_psc_exp`` with C_m = 250 pF, tau_m =
    10 ms, tau_syn_ex = 5 ms and no refractory period; a conductance step w
    is a current step of ``w*(Ee - vr)*C_m/tau_m`` = w * 1500 pA, so gmax =
    0.01 is Wmax = 15 pA.  The inputs are ``parrot_neuron``s repeating one
    ``poisson_generator`` (an independent train for each), since plastic
    synapses need a neuron as source.  ``stdp_synapse`` with mu_plus =
    mu_minus = 0 is the additive all-to-all pair rule: lambda = 0.01,
    alpha = 1.05, tau_plus = tau_minus = 20 ms.  Deviation: delay 0.1 ms,
    which NEST counts as dendritic delay in the spike-timing differences.
    """
    n_in = 1000
    gmax = 0.01
    scale = (0.0 - -60.0) * 250.0 / 10.0  # pA per unit of ge
    wmax = gmax * scale
    gen = nest.Create("poisson_generator", params={"rate": 15.0})
    inputs = nest.Create("parrot_neuron", n_in)
    out = nest.Create(
        "iaf_psc_exp",
        1,
        params={
            "C_m": 250.0,
            "tau_m": 10.0,
            "E_L": -74.0,
            "V_th": -54.0,
            "V_reset": -60.0,
            "t_ref": 0.0,
            "tau_syn_ex": 5.0,
            "tau_minus": 20.0,
            "V_m": -60.0,
        },
    )
    nest.Connect(gen, inputs, syn_spec={"delay": 0.1})
    n_before = nest.num_connections
    nest.Connect(
        inputs,
        out,
        "all_to_all",
        {
            "synapse_model": "stdp_synapse",
            "weight": nest.random.uniform(0.0, wmax),
            "Wmax": wmax,
            "lambda": 0.01,
            "alpha": 1.05,
            "mu_plus": 0.0,
            "mu_minus": 0.0,
            "tau_plus": 20.0,
            "delay": 0.1,
        },
    )
    n_syn = nest.num_connections - n_before
    rec = nest.Create("spike_recorder")
    nest.Connect(out, rec)

    def finish() -> dict[str, Any]:
        w = np.asarray(nest.GetConnections(inputs, out).get("weight"), dtype=float)
        return {"hist10": hist10(w / wmax), "out_spikes": int(rec.n_events)}

    return Net(
        n_in + 1,
        n_syn,
        [rec],
        count_all_from_kernel=True,
        rate_recorder=rec,
        rate_n=1,
        finish=finish,
    )


# --------------------------------------------------------------------------
# brunel_scaled
# --------------------------------------------------------------------------
def build_brunel_scaled(nest: ModuleType, rng: np.random.Generator) -> Net:
    """Brunel (2000) model A: 10,000 ``iaf_psc_delta``, fixed in-degree.

    ``fixed_indegree`` with NEST's defaults (repeats and autapses allowed);
    input during the refractory period is dropped (``refractory_input`` is
    false by default).  External drive: one ``poisson_generator`` at
    1000 * 20 Hz, an independent train for each neuron, weight J.
    """
    ne, ni = 8000, 2000
    n = ne + ni
    ce, ci = 1000, 250
    theta, J, g, tau = 20.0, 0.1, 5.0, 20.0
    nu_thr = theta / (J * ce * tau) * 1000.0  # Hz
    pop = nest.Create(
        "iaf_psc_delta",
        n,
        params={
            "tau_m": tau,
            "C_m": 250.0,
            "E_L": 0.0,
            "V_th": theta,
            "V_reset": 10.0,
            "t_ref": 2.0,
            "V_m": nest.random.uniform(0.0, theta),
        },
    )
    nest.Connect(
        pop[:ne], pop, {"rule": "fixed_indegree", "indegree": ce},
        {"weight": J, "delay": 1.5},
    )
    nest.Connect(
        pop[ne:], pop, {"rule": "fixed_indegree", "indegree": ci},
        {"weight": -g * J, "delay": 1.5},
    )
    n_syn = nest.num_connections
    drive = nest.Create("poisson_generator", params={"rate": 2.0 * nu_thr * ce})
    nest.Connect(drive, pop, syn_spec={"weight": J, "delay": 1.5})
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    return Net(n, n_syn, [rec])


# --------------------------------------------------------------------------
# cobahh
# --------------------------------------------------------------------------
def build_cobahh(nest: ModuleType, rng: np.random.Generator) -> Net:
    """Brian2's COBAHH example with ``hh_cond_exp_traub``.

    The model's defaults are the example's parameters (C_m 200 pF, g_L 10 nS,
    g_Na 20 uS, g_K 6 uS, E_L -60, E_Na 50, E_K -90, V_T -63 mV,
    tau_syn 5/10 ms, E_ex 0, E_in -80 mV); they are set explicitly here.
    Initial values as the example: V_m = -65 + 5 randn mV, gating
    variables 0, g_ex = 40 + 15 randn nS, g_in = 200 + 120 randn nS.
    Deviations: the conductances cannot be set in this model, so they start
    at 0 and the initial values arrive as one input spike per neuron at
    0.2 ms (resolution + delay), with the draws clipped at 0 (the example
    lets about 5 % of the g_in start negative); NEST detects a spike when
    V_m passes V_T + 30 mV and starts to fall (the example: v > -20 mV),
    with the same 3 ms refractory time; RKF45 instead of exponential Euler;
    delay 0.1 ms.
    """
    ne, ni = 3200, 800
    n = ne + ni
    pop = nest.Create(
        "hh_cond_exp_traub",
        n,
        params={
            "C_m": 200.0,
            "g_L": 10.0,
            "g_Na": 20000.0,
            "g_K": 6000.0,
            "E_L": -60.0,
            "E_Na": 50.0,
            "E_K": -90.0,
            "V_T": -63.0,
            "E_ex": 0.0,
            "E_in": -80.0,
            "tau_syn_ex": 5.0,
            "tau_syn_in": 10.0,
            "t_ref": 3.0,
            "V_m": nest.random.normal(mean=-65.0, std=5.0),
            "Act_m": 0.0,
            "Act_n": 0.0,
            "Inact_h": 0.0,
        },
    )
    conn = {"rule": "pairwise_bernoulli", "p": 0.02}
    nest.Connect(pop[:ne], pop, conn, {"weight": 6.0, "delay": 0.1})
    nest.Connect(pop[ne:], pop, conn, {"weight": -67.0, "delay": 0.1})
    n_syn = nest.num_connections
    # The conductances are not settable state in this model: they start at
    # 0 and receive their initial values as one input spike per neuron at
    # the first possible time.
    dt = nest.resolution
    kick = nest.Create("spike_generator", params={"spike_times": [dt]})
    g_ex0 = np.clip(rng.normal(40.0, 15.0, n), 0.0, None)
    g_in0 = np.clip(rng.normal(200.0, 120.0, n), 0.0, None)
    nest.Connect(kick, pop, "all_to_all", {"weight": g_ex0.reshape(n, 1), "delay": dt})
    nest.Connect(kick, pop, "all_to_all", {"weight": -g_in0.reshape(n, 1), "delay": dt})
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    return Net(n, n_syn, [rec])


BUILDERS: dict[str, Callable[[ModuleType, np.random.Generator], Net]] = {
    "izh1000": build_izh1000,
    "coba4000": build_coba4000,
    "stdp_song": build_stdp_song,
    "brunel_scaled": build_brunel_scaled,
    "cobahh": build_cobahh,
}


# --------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------
def import_nest() -> ModuleType:
    """Import NEST (it prints its banner to fd 1) and quieten it."""
    import nest

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    return nest


def run_bench(nest: ModuleType, bench: str, threads: int, scale: float, seed: int) -> Result:
    """Build and simulate one benchmark on ``threads`` threads."""
    bio_ms = BIO_MS[bench] * scale
    rng = np.random.default_rng(seed)

    watch = Stopwatch()
    nest.ResetKernel()
    nest.set(
        resolution=RESOLUTION_MS[bench],
        local_num_threads=threads,
        rng_seed=seed,
        print_time=False,
    )
    net_def = BUILDERS[bench](nest, rng)
    nest.Prepare()
    build_s = watch.elapsed()
    sim_watch = Stopwatch()
    nest.Run(bio_ms)
    sim_s = sim_watch.elapsed()
    kernel_spikes = int(nest.local_spike_counter)
    nest.Cleanup()

    if net_def.count_all_from_kernel:
        spikes = kernel_spikes
    else:
        spikes = sum(int(r.n_events) for r in net_def.recorders)
    if net_def.rate_recorder is not None:
        rate = mean_rate(int(net_def.rate_recorder.n_events), net_def.rate_n, bio_ms)
    else:
        rate = mean_rate(spikes, net_def.n_neurons, bio_ms)
    extra = net_def.finish() if net_def.finish is not None else {}
    extra["version"] = str(nest.__version__)
    return Result(
        simulator=f"nest-{threads}t",
        bench=bench,
        build_s=build_s,
        sim_s=sim_s,
        bio_ms=bio_ms,
        spikes=spikes,
        rate_Hz=rate,
        n_neurons=net_def.n_neurons,
        n_synapses=int(net_def.n_synapses),
        extra=extra,
    )


def _add_options(parser) -> None:
    parser.add_argument("--threads", type=int, default=1, choices=(1, 2, 4, 8, 16))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv, _add_options)
    with stdout_to_stderr() as out:
        nest = import_nest()
        result = run_bench(nest, args.bench, args.threads, args.duration_scale, args.seed)
        emit(result, args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
