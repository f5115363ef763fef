"""Where the time of a numba-backend step goes, phase by phase, for a benchmark network.

Usage::

    .venv/bin/python benchmarks/profile_numba.py coba4000 [--steps 2000] [--warm 500]

The network is built and run for ``--warm`` steps (so that it is in its
steady state), then each phase of the step is timed on its own for
``--steps`` repetitions inside compiled code, on the network's current state:
delivery of the ring slot, stimuli, input sums, recording, the integrate /
threshold / reset loop of each population (sources: their spike draws), spike
propagation with this step's spikes, receptor decay.  The phases change the
state as they run, so the split is an estimate; the last line compares their
sum with a full run of the same number of steps.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from networks import NETWORKS  # noqa: E402

from pyn_core.engine.numba import kernels as K  # noqa: E402


def _loops(mod):
    """Compiled loops that repeat one phase: the receptor phases of the generated module ``mod``, the kernels."""
    deliver, sum_inputs, decay = mod.deliver, mod.sum_inputs, mod.decay

    @njit
    def _deliver(n, L, REC, RECF, POP, rproto):
        for k in range(n):
            deliver(k % L, L, REC, RECF, POP, rproto)

    @njit
    def _stimulate(n, k0, rng, POP, REC, CUR, CUR_AMP, C_TAB, C_IDX, NOI, NOI_F, N_IDX, PSN, PSN_F, PSN_INC, PSN_K,
                   P_CDF, P_IDX):
        for k in range(k0, k0 + n):
            K.stimulate(k, rng, POP, REC, CUR, CUR_AMP, C_TAB, C_IDX, NOI, NOI_F, N_IDX, PSN, PSN_F, PSN_INC, PSN_K,
                        P_CDF, P_IDX)

    @njit
    def _sum(n, POP, REC, RECF):
        for _ in range(n):
            sum_inputs(POP, REC, RECF)

    @njit
    def _propagate(n, k0, L, PRJ, PRJ_F, REC, spk_lo, spk_hi, sb_id, STP_R, rproto, wproto, dproto):
        for k in range(k0, k0 + n):
            K.propagate(k, L, PRJ, PRJ_F, REC, spk_lo, spk_hi, sb_id, STP_R, rproto, wproto, dproto)

    @njit
    def _decay(n, REC, RECF, dt):
        for _ in range(n):
            decay(REC, RECF, dt)

    return _deliver, _stimulate, _sum, _propagate, _decay


def _time(f, *args):
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        f(*args)
        best = min(best, time.perf_counter() - t)
    return best


def profile(name: str, steps: int, warm: int) -> list[tuple[str, float]]:
    """(phase, seconds per step) of ``name`` on the numba backend, one thread."""
    net, dt, _ = NETWORKS[name]()
    net.settings["threads"] = 1
    sim = net.build(dt=dt, seed=1, backend="numba", stdp=True)
    b = sim.backend
    sim.run(warm * dt)
    POP, ST, PA, REC, SRC, PRJ, LT, EPOCH, _, TRC, rec_steps, rec_fill = b._tables()
    L = sim.ring_len
    sb_step, sb_id, sb_pop, fill, spk_lo, spk_hi = b.sb
    _deliver, _stimulate, _sum, _propagate, _decay = _loops(b.module)
    out = []
    out.append(("deliver ring slot", _time(_deliver, steps, L, REC, b.RECF, POP, b.rproto)))
    out.append(("stimuli (incl. random draws)", _time(_stimulate, steps, sim.k, sim.rng_run, POP, REC, b.CUR,
                                                     b.CUR_AMP, b.C_TAB, b.C_IDX, b.NOI, b.NOI_F, b.N_IDX, b.PSN,
                                                     b.PSN_F, b.PSN_INC, b.PSN_K, b.P_CDF, b.P_IDX)))
    out.append(("input sums", _time(_sum, steps, POP, REC, b.RECF)))
    mod = b.module
    for p in sim.pops:
        j = p.index
        if p.is_source:
            def run_source(j=j):
                for k in range(sim.k, sim.k + steps):
                    fill[0] = 0
                    K.fire_source(k, j, sim.rng_run, POP, SRC, b.SRC_PMAX, sb_step, sb_id, sb_pop, fill)
            out.append((f"source {p.name} (python loop)", _time(run_source)))
            continue
        m = b.kernels.index((p.model, p.options))
        integrate = getattr(mod, f"integrate{m}")

        def run_pop(integrate=integrate, j=j):
            for k in range(steps):
                fill[0] = 0
                integrate(k, j, sim.dt, POP, ST, PA, sb_step, sb_id, sb_pop, fill)
        out.append((f"integrate+threshold {p.name} ({p.N}, python loop)", _time(run_pop)))
    # this step's spikes for propagation: collect the spikers of the current state
    fill[0] = 0
    for p in sim.pops:
        spk_lo[p.index] = fill[0]
        ids = np.flatnonzero(p.spiked)
        sb_id[fill[0]:fill[0] + ids.size] = ids
        fill[0] += ids.size
        spk_hi[p.index] = fill[0]
    # a typical step's spikes: the mean number of spikes per step so far
    total_spikes = sum(sim.recorder.spike_arrays(p.index)[0].size for p in sim.pops)
    per_step = total_spikes / max(sim.k, 1)
    fill[0] = 0
    rng = np.random.default_rng(0)
    for p in sim.pops:
        spk_lo[p.index] = fill[0]
        share = per_step * p.N / sum(q.N for q in sim.pops)
        ids = np.sort(rng.choice(p.N, size=min(p.N, int(round(share))), replace=False))
        sb_id[fill[0]:fill[0] + ids.size] = ids
        fill[0] += ids.size
        spk_hi[p.index] = fill[0]
    out.append((f"propagate ({per_step:.1f} spikes/step)", _time(_propagate, steps, sim.k, L, PRJ, b.PRJ_F, REC,
                                                              spk_lo, spk_hi, sb_id, b.STP_R, b.rproto, b.wproto,
                                                              b.dproto)))
    out.append(("receptor decay", _time(_decay, steps, REC, b.RECF, sim.dt)))
    fill[0] = 0
    sim2 = net.build(dt=dt, seed=1, backend="numba", stdp=True)
    sim2.run(warm * dt)
    t = time.perf_counter()
    sim2.run(steps * dt)
    out.append(("full run (for comparison)", time.perf_counter() - t))
    return [(k, v / steps) for k, v in out]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", choices=sorted(NETWORKS))
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--warm", type=int, default=500)
    args = ap.parse_args(argv)
    rows = profile(args.bench, args.steps, args.warm)
    total = sum(v for k, v in rows[:-1])
    for k, v in rows:
        print(f"{k:<55} {v * 1e6:9.2f} us/step" + (f"  {100 * v / total:5.1f} %" if k != rows[-1][0] else ""))
    print(f"{'sum of phases':<55} {total * 1e6:9.2f} us/step")


if __name__ == "__main__":
    main()
