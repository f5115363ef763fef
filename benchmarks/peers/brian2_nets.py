"""The benchmark networks of ``shared/BENCHMARKS.md`` in Brian2.

Usage (with the peers' virtualenv, see ``benchmarks/install_peers.sh``)::

    benchmarks/.peers-venv/bin/python benchmarks/peers/brian2_nets.py BENCH \\
        --mode {cpp_standalone,cython,numpy} [--threads N] \\
        [--duration-scale F] [--seed S] [--json]

BENCH is one of ``izh1000``, ``coba4000``, ``stdp_song``, ``brunel_scaled``,
``cobahh``.  With ``--json`` the only line on standard output is the result
object described in ``common.py``.

How the time is split, per mode (``sim_s`` is always wall time of the
simulation loop only):

``cpp_standalone``
    The project is generated into a persistent directory inside the peers'
    virtualenv (``.peers-venv/brian2-standalone/<bench>-<threads>t``), so a
    later run only recompiles what changed (a first build compiles for
    roughly 10-30 s on this machine; a warm one takes a few seconds).  Two
    runs of the same benchmark must therefore not overlap in time.  The
    generated ``main`` brackets the network's run with a monotonic wall clock
    (code inserted with ``device.insert_code``) and writes the seconds to its
    results directory; that is ``sim_s``.  Brian2's own figure for a
    single-threaded project is process CPU time (``std::clock``), which on a
    shared machine is not wall time, so it is not used.  ``build_s`` is
    everything else up to the end of ``device.build``: code generation,
    compilation, starting ``main``, its initialisation (random initial
    values, synapse creation) and writing results.
``cython``
    ``sim_s`` is Brian2's own measurement of the simulation loop
    (``device._last_run_time``, wall time).  ``build_s`` covers network
    construction and the code objects' preparation.  The compiled extension
    modules are cached on disk (``~/.cython/brian_extensions``), so the first
    process after installation is cold (on this machine 40-125 s of
    compilation in ``build_s``) and later ones are warm; compare warm runs.
``numpy``
    As ``cython``, without compilation.

``--threads N`` (``cpp_standalone`` only) compiles the project with OpenMP on
N threads; its simulator name then ends in ``-omp<N>``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import brian2 as b2
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

MODES = ("cpp_standalone", "cython", "numpy")

_SIM_WALL_FILE = "pyn_sim_wall_s.txt"

ms = b2.ms
mV = b2.mV
Hz = b2.Hz
nS = b2.nS


@dataclass
class Net:
    """A constructed network: its objects and what to read after the run."""

    objects: list[Any]
    n_neurons: int
    synapses: list[Any]
    #: monitors recording spike times (counted with ``num_spikes``)
    spike_monitors: list[Any]
    #: monitors that only count spikes (``record=False``; summed ``count``)
    count_monitors: list[Any] = field(default_factory=list)
    #: extra result entries computed after the run
    finish: Callable[[], dict[str, Any]] | None = None
    #: neurons whose rate is reported (default: all)
    rate_monitor: Any = None
    rate_n: int = 0


# --------------------------------------------------------------------------
# izh1000: Izhikevich (2003), the published scheme
# --------------------------------------------------------------------------
def build_izh1000(rng: np.random.Generator) -> Net:
    """1000 Izhikevich neurons, all-to-all, thalamic noise; dt = 1 ms.

    The state update is written out as the published scheme rather than as
    differential equations: each 1 ms step, ``I = Isyn + sigma*randn()``;
    ``v`` advances in two 0.5 ms Euler half-steps, then ``u`` with the new
    ``v``.  ``Isyn`` collects the weights of the neurons that fired in the
    previous step (delivered in the synapses slot, after the threshold test),
    and is cleared once used.  Spike when ``v >= 30``: ``v = c``, ``u += d``.
    """
    ne, ni = 800, 200
    n = ne + ni
    b2.defaultclock.dt = 1 * ms
    ns: dict[str, Any] = {}
    G = b2.NeuronGroup(
        n,
        """
        v : 1
        u : 1
        Isyn : 1
        a : 1 (constant)
        b : 1 (constant)
        c : 1 (constant)
        d : 1 (constant)
        sigma : 1 (constant)
        r : 1 (constant)
        """,
        threshold="v >= 30",
        reset="v = c\nu += d",
        namespace=ns,
        name="izh",
    )
    G.r = "rand()"
    exc, inh = G[:ne], G[ne:]
    exc.a = 0.02
    exc.b = 0.2
    exc.c = "-65 + 15*r**2"
    exc.d = "8 - 6*r**2"
    exc.sigma = 5.0
    inh.a = "0.02 + 0.08*r"
    inh.b = "0.25 - 0.05*r"
    inh.c = -65.0
    inh.d = 2.0
    inh.sigma = 2.0
    G.v = -65.0
    G.u = "b*v"
    G.run_regularly(
        """
        I = Isyn + sigma*randn()
        v += 0.5*(0.04*v**2 + 5*v + 140 - u + I)
        v += 0.5*(0.04*v**2 + 5*v + 140 - u + I)
        u += a*(b*v - u)
        Isyn = 0
        """,
        when="start",
        name="izh_step",
    )
    # All-to-all including autapses, like the published weight matrix.
    S = b2.Synapses(
        G, G, "w : 1 (constant)", on_pre="Isyn_post += w", namespace=ns, name="izh_syn"
    )
    S.connect()
    S.w[f"i < {ne}"] = "0.5*rand()"
    S.w[f"i >= {ne}"] = "-rand()"
    mon = b2.SpikeMonitor(G, name="izh_spikes")
    return Net([G, S, mon], n, [S], [mon])


# --------------------------------------------------------------------------
# coba4000: Vogels & Abbott (2005), Brian2's COBA
# --------------------------------------------------------------------------
def build_coba4000(rng: np.random.Generator) -> Net:
    """4000 conductance LIF neurons, p = 0.02, Euler at dt = 0.1 ms."""
    ne, ni = 3200, 800
    n = ne + ni
    b2.defaultclock.dt = 0.1 * ms
    ns = {
        "taum": 20 * ms,
        "taue": 5 * ms,
        "taui": 10 * ms,
        "El": -60 * mV,
        "Vt": -50 * mV,
        "Vr": -60 * mV,
        "Ee": 0 * mV,
        "Ei": -80 * mV,
        "I": 20 * mV,
        "we": 0.6,  # conductances in units of the leak conductance
        "wi": 6.7,
    }
    P = b2.NeuronGroup(
        n,
        """
        dv/dt = (ge*(Ee - v) + gi*(Ei - v) - (v - El) + I)/taum : volt (unless refractory)
        dge/dt = -ge/taue : 1
        dgi/dt = -gi/taui : 1
        """,
        threshold="v > Vt",
        reset="v = Vr",
        refractory=5 * ms,
        method="euler",
        namespace=ns,
        name="coba",
    )
    P.v = "-55*mV + 5*mV*randn()"
    Ce = b2.Synapses(P[:ne], P, on_pre="ge_post += we", namespace=ns, name="coba_e")
    Ci = b2.Synapses(P[ne:], P, on_pre="gi_post += wi", namespace=ns, name="coba_i")
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    mon = b2.SpikeMonitor(P, name="coba_spikes")
    return Net([P, Ce, Ci, mon], n, [Ce, Ci], [mon])


# --------------------------------------------------------------------------
# stdp_song: Song, Miller & Abbott (2000), Brian2's STDP example
# --------------------------------------------------------------------------
def build_stdp_song(rng: np.random.Generator) -> Net:
    """1000 Poisson inputs (15 Hz) onto one LIF neuron, additive pair STDP.

    The output neuron starts at ``v = vr`` (Brian2's example leaves it at
    0 mV, which only adds one spike in the first step).
    """
    n_in = 1000
    b2.defaultclock.dt = 0.1 * ms
    gmax = 0.01
    dApre = 0.01 * gmax
    ns = {
        "taum": 10 * ms,
        "taupre": 20 * ms,
        "taupost": 20 * ms,
        "Ee": 0 * mV,
        "vt": -54 * mV,
        "vr": -60 * mV,
        "El": -74 * mV,
        "taue": 5 * ms,
        "gmax": gmax,
        "dApre": dApre,
        "dApost": -dApre * 1.05,
    }
    inp = b2.PoissonGroup(n_in, rates=15 * Hz, namespace=ns, name="song_in")
    out = b2.NeuronGroup(
        1,
        """
        dv/dt = (ge*(Ee - vr) + El - v)/taum : volt
        dge/dt = -ge/taue : 1
        """,
        threshold="v > vt",
        reset="v = vr",
        method="exact",
        namespace=ns,
        name="song_out",
    )
    out.v = "vr"
    S = b2.Synapses(
        inp,
        out,
        """
        w : 1
        dApre/dt = -Apre/taupre : 1 (event-driven)
        dApost/dt = -Apost/taupost : 1 (event-driven)
        """,
        on_pre="""
        ge_post += w
        Apre += dApre
        w = clip(w + Apost, 0, gmax)
        """,
        on_post="""
        Apost += dApost
        w = clip(w + Apre, 0, gmax)
        """,
        namespace=ns,
        name="song_syn",
    )
    S.connect()
    S.w = "rand()*gmax"
    out_mon = b2.SpikeMonitor(out, name="song_out_spikes")
    in_mon = b2.SpikeMonitor(inp, record=False, name="song_in_count")

    def finish() -> dict[str, Any]:
        w = np.asarray(S.w[:], dtype=float) / gmax
        return {"hist10": hist10(w), "out_spikes": int(out_mon.num_spikes)}

    return Net(
        [inp, out, S, out_mon, in_mon],
        n_in + 1,
        [S],
        [out_mon],
        count_monitors=[in_mon],
        finish=finish,
        rate_monitor=out_mon,
        rate_n=1,
    )


# --------------------------------------------------------------------------
# brunel_scaled: Brunel (2000) model A
# --------------------------------------------------------------------------
def build_brunel_scaled(rng: np.random.Generator) -> Net:
    """10,000 delta-synapse LIF neurons, fixed in-degree, Poisson drive.

    In-degree is fixed: each neuron draws its 1000 excitatory and 250
    inhibitory sources independently (repeats and autapses allowed, as
    NEST's ``fixed_indegree`` rule by default), from numpy with the run's
    seed.  Input arriving during the refractory period is ignored, as in
    NEST's ``iaf_psc_delta``.  The external drive is ``PoissonInput``: per
    step a binomial count of 1000 independent 20 Hz sources, weight J.
    """
    ne, ni = 8000, 2000
    n = ne + ni
    ce, ci = 1000, 250
    b2.defaultclock.dt = 0.1 * ms
    theta = 20 * mV
    J = 0.1 * mV
    g = 5.0
    tau = 20 * ms
    nu_thr = theta / (J * ce * tau)
    ns = {
        "tau": tau,
        "theta": theta,
        "Vr": 10 * mV,
        "J": J,
        "Ji": -g * J,
    }
    G = b2.NeuronGroup(
        n,
        "dv/dt = -v/tau : volt (unless refractory)",
        threshold="v > theta",
        reset="v = Vr",
        refractory=2 * ms,
        method="exact",
        namespace=ns,
        name="brunel",
    )
    G.v = "rand()*theta"
    post_e = np.repeat(np.arange(n, dtype=np.int32), ce)
    pre_e = rng.integers(0, ne, size=n * ce, dtype=np.int32)
    post_i = np.repeat(np.arange(n, dtype=np.int32), ci)
    pre_i = rng.integers(0, ni, size=n * ci, dtype=np.int32)
    Se = b2.Synapses(
        G[:ne],
        G,
        on_pre="v_post += J*int(not_refractory_post)",
        delay=1.5 * ms,
        namespace=ns,
        name="brunel_e",
    )
    Se.connect(i=pre_e, j=post_e)
    Si = b2.Synapses(
        G[ne:],
        G,
        on_pre="v_post += Ji*int(not_refractory_post)",
        delay=1.5 * ms,
        namespace=ns,
        name="brunel_i",
    )
    Si.connect(i=pre_i, j=post_i)
    drive = b2.PoissonInput(
        G, "v", N=ce, rate=2.0 * nu_thr, weight="J*int(not_refractory)"
    )
    mon = b2.SpikeMonitor(G, name="brunel_spikes")
    return Net([G, Se, Si, drive, mon], n, [Se, Si], [mon])


# --------------------------------------------------------------------------
# cobahh: Brian2's COBAHH example (Brette et al. 2007, benchmark 3)
# --------------------------------------------------------------------------
def build_cobahh(rng: np.random.Generator) -> Net:
    """4000 Traub-Miles HH neurons with exponential conductance synapses.

    As Brian2's ``examples/COBAHH.py``: exponential Euler at dt = 0.1 ms,
    p = 0.02, spike when v > -20 mV with a 3 ms refractory period for the
    detection only; gating variables start at 0.  The rate functions use
    ``exprel``, which is the example's ``x/(exp(x)-1)`` form without its
    removable singularity.
    """
    ne, ni = 3200, 800
    n = ne + ni
    b2.defaultclock.dt = 0.1 * ms
    area = 20000 * b2.umetre**2
    ns = {
        "Cm": (1 * b2.ufarad * b2.cm**-2) * area,
        "gl": (5e-5 * b2.siemens * b2.cm**-2) * area,
        "El": -60 * mV,
        "EK": -90 * mV,
        "ENa": 50 * mV,
        "g_na": (100 * b2.msiemens * b2.cm**-2) * area,
        "g_kd": (30 * b2.msiemens * b2.cm**-2) * area,
        "VT": -63 * mV,
        "taue": 5 * ms,
        "taui": 10 * ms,
        "Ee": 0 * mV,
        "Ei": -80 * mV,
        "we": 6 * nS,
        "wi": 67 * nS,
    }
    eqs = """
    dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v)
             - g_na*(m*m*m)*h*(v - ENa) - g_kd*(n*n*n*n)*(v - EK))/Cm : volt
    dm/dt = alpha_m*(1 - m) - beta_m*m : 1
    dn/dt = alpha_n*(1 - n) - beta_n*n : 1
    dh/dt = alpha_h*(1 - h) - beta_h*h : 1
    dge/dt = -ge/taue : siemens
    dgi/dt = -gi/taui : siemens
    alpha_m = 0.32/mV*4*mV/exprel((13*mV - v + VT)/(4*mV))/ms : Hz
    beta_m = 0.28/mV*5*mV/exprel((v - VT - 40*mV)/(5*mV))/ms : Hz
    alpha_h = 0.128*exp((17*mV - v + VT)/(18*mV))/ms : Hz
    beta_h = 4/(1 + exp((40*mV - v + VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032/mV*5*mV/exprel((15*mV - v + VT)/(5*mV))/ms : Hz
    beta_n = 0.5*exp((10*mV - v + VT)/(40*mV))/ms : Hz
    """
    P = b2.NeuronGroup(
        n,
        eqs,
        threshold="v > -20*mV",
        refractory=3 * ms,
        method="exponential_euler",
        namespace=ns,
        name="cobahh",
    )
    Ce = b2.Synapses(P[:ne], P, on_pre="ge_post += we", namespace=ns, name="cobahh_e")
    Ci = b2.Synapses(P[ne:], P, on_pre="gi_post += wi", namespace=ns, name="cobahh_i")
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    P.v = "El + (randn()*5 - 5)*mV"
    P.ge = "(randn()*1.5 + 4)*10*nS"
    P.gi = "(randn()*12 + 20)*10*nS"
    mon = b2.SpikeMonitor(P, name="cobahh_spikes")
    return Net([P, Ce, Ci, mon], n, [Ce, Ci], [mon])


BUILDERS: dict[str, Callable[[np.random.Generator], Net]] = {
    "izh1000": build_izh1000,
    "coba4000": build_coba4000,
    "stdp_song": build_stdp_song,
    "brunel_scaled": build_brunel_scaled,
    "cobahh": build_cobahh,
}


# --------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------
def standalone_directory(bench: str, threads: int) -> str:
    """Persistent project directory, so that warm runs recompile little."""
    if sys.prefix != sys.base_prefix:  # inside a virtualenv (the peers' one)
        root = os.path.join(sys.prefix, "brian2-standalone")
    else:
        root = os.path.join(tempfile.gettempdir(), "pyn-brian2-standalone")
    return os.path.join(root, f"{bench}-{threads}t")


def simulator_name(mode: str, threads: int) -> str:
    name = f"brian2-{mode}"
    if mode == "cpp_standalone" and threads > 1:
        name += f"-omp{threads}"
    return name


def run_bench(bench: str, mode: str, threads: int, scale: float, seed: int) -> Result:
    """Build and simulate one benchmark in the given Brian2 mode."""
    standalone = mode == "cpp_standalone"
    directory = standalone_directory(bench, threads) if standalone else None
    if standalone:
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    else:
        b2.prefs.codegen.target = mode
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    bio_ms = BIO_MS[bench] * scale

    watch = Stopwatch()
    net_def = BUILDERS[bench](rng)
    net = b2.Network(*net_def.objects)
    if standalone:
        b2.device.insert_code(
            "main",
            "struct timespec pyn_sim_t0, pyn_sim_t1;\n"
            "clock_gettime(CLOCK_MONOTONIC, &pyn_sim_t0);",
        )
        net.run(bio_ms * ms, namespace={})
        b2.device.insert_code(
            "main",
            "clock_gettime(CLOCK_MONOTONIC, &pyn_sim_t1);\n"
            "{\n"
            f'    std::ofstream pyn_out(results_dir + "{_SIM_WALL_FILE}");\n'
            "    pyn_out.precision(9);\n"
            "    pyn_out << (double)(pyn_sim_t1.tv_sec - pyn_sim_t0.tv_sec)"
            " + 1e-9*(double)(pyn_sim_t1.tv_nsec - pyn_sim_t0.tv_nsec)"
            " << std::endl;\n"
            "}",
        )
        b2.device.build(directory=directory, compile=True, run=True, with_output=True)
        total = watch.elapsed()
        with open(os.path.join(b2.device.results_dir, _SIM_WALL_FILE)) as f:
            sim_s = float(f.read().strip())
    else:
        net.run(bio_ms * ms, namespace={})
        total = watch.elapsed()
        sim_s = float(b2.device._last_run_time)

    spikes = sum(int(m.num_spikes) for m in net_def.spike_monitors)
    spikes += sum(int(np.sum(m.count[:])) for m in net_def.count_monitors)
    if net_def.rate_monitor is not None:
        rate = mean_rate(int(net_def.rate_monitor.num_spikes), net_def.rate_n, bio_ms)
    else:
        rate = mean_rate(spikes, net_def.n_neurons, bio_ms)
    extra = net_def.finish() if net_def.finish is not None else {}
    extra["version"] = b2.__version__
    return Result(
        simulator=simulator_name(mode, threads),
        bench=bench,
        build_s=total - sim_s,
        sim_s=sim_s,
        bio_ms=bio_ms,
        spikes=spikes,
        rate_Hz=rate,
        n_neurons=net_def.n_neurons,
        n_synapses=sum(len(s) for s in net_def.synapses),
        extra=extra,
    )


def _add_options(parser) -> None:
    parser.add_argument("--mode", choices=MODES, default="cpp_standalone")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        choices=(1, 2, 4, 8, 16),
        help="OpenMP threads (cpp_standalone only)",
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv, _add_options)
    if args.threads > 1 and args.mode != "cpp_standalone":
        sys.stderr.write("--threads applies to --mode cpp_standalone only\n")
        return 2
    with stdout_to_stderr() as out:
        result = run_bench(
            args.bench, args.mode, args.threads, args.duration_scale, args.seed
        )
        emit(result, args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
