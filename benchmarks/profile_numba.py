"""Where the time of a numba-backend step goes, phase by phase, for a benchmark network.

Usage::

    .venv/bin/python benchmarks/profile_numba.py coba4000 [--steps 2000] [--warm 500]

The network is built and run for ``--warm`` steps (so that it is in its
steady state).  Then, from copies of that state, the profiling driver of the
generated module (``run_masked``: the serial driver with each phase of
:data:`pyn_core.engine.phases.STEP` switched on or off) runs ``--steps``
steps with every phase, and with each phase alone.  Phases change the state
as they run, and a phase alone sees the state the others leave unchanged
(no spikes without the integration, for instance), so the split is an
estimate; the last lines compare the sum of the phases with the full step.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from networks import NETWORKS  # noqa: E402

from pyn_core.engine.numba import codegen  # noqa: E402
from pyn_core.engine.phases import phase_names  # noqa: E402


def _timed(sim, mask: np.ndarray, steps: int) -> float:
    """Seconds of ``steps`` steps of the phases in ``mask`` from the current state (which is then restored)."""
    b = sim.backend
    pools = {name: pool.copy() for name, pool in b.pools.arrays.items()}
    k, fill = sim.k, b.sb[3].copy()
    b.push()
    b._refresh()
    TRCS, RB, rec_steps, rec_fill = b._recording()
    P = b.pools
    args = dict(k0=sim.k, nsteps=steps, dt=sim.dt, L=sim.ring_len, rng=np.random.Generator(np.random.PCG64(0)),
                F64=P["F64"], I64=P["I64"], I32=P["I32"], BOOL=P["BOOL"], W=P["W"], R=P["R"], D=P["D"],
                POPS=b.POPS, STATE=b.STATE, PARAMS=b.PARAMS, RECS=b.RECS, RARGS=b.RARGS, CURS=b.CURS,
                C_TAB=b.C_TAB, C_IDX=b.C_IDX, NOIS=b.NOIS, N_IDX=b.N_IDX, PSNS=b.PSNS, PSN_INC=b.PSN_INC,
                P_CDF=b.P_CDF, P_IDX=b.P_IDX, PRJS=b.PRJS, STP_R=b.STP_R, LRNS=b.LRNS, MODS=b.MODS,
                rec_steps=rec_steps, rec_fill=rec_fill, TRCS=TRCS, RB=RB, sb_step=b.sb[0], sb_id=b.sb[1],
                sb_pop=b.sb[2], fill=b.sb[3], spk_lo=b.sb[4], spk_hi=b.sb[5], nparts=1)
    ordered = [args[name] for name in codegen.DRIVER_ARGS]
    b.module.run_masked(mask, *ordered[:2], 1, *ordered[3:])      # compiled before timing
    best, done = np.inf, steps
    for _ in range(3):
        for name, pool in pools.items():
            b.pools[name][:] = pool
        b.sb[3][:] = fill
        t0 = time.perf_counter()
        done, _, _ = b.module.run_masked(mask, *ordered)
        best = min(best, time.perf_counter() - t0)
    for name, pool in pools.items():          # the simulation as it was
        b.pools[name][:] = pool
    b.sb[3][:] = fill
    sim.k = k
    return best / max(int(done), 1)


def profile(name: str, steps: int, warm: int) -> list[tuple[str, float]]:
    """(phase, seconds per step) of benchmark ``name`` on the numba backend, one thread."""
    net, dt, _ = NETWORKS[name]()
    net.settings["threads"] = 1
    sim = net.build(dt=dt, seed=1, backend="numba", stdp=True)
    sim.run(warm * dt)
    names = phase_names()
    rows = []
    for i, phase in enumerate(names):
        mask = np.zeros(len(names), dtype=np.bool_)
        mask[i] = True
        rows.append((phase, _timed(sim, mask, steps)))
    rows.append(("every phase (the step)", _timed(sim, np.ones(len(names), dtype=np.bool_), steps)))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", choices=sorted(NETWORKS))
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--warm", type=int, default=500)
    args = ap.parse_args(argv)
    rows = profile(args.bench, args.steps, args.warm)
    total = sum(v for _, v in rows[:-1])
    for phase, v in rows[:-1]:
        print(f"{phase:<28} {v * 1e6:9.3f} us/step  {100 * v / total:5.1f} %")
    print(f"{'sum of the phases alone':<28} {total * 1e6:9.3f} us/step")
    print(f"{rows[-1][0]:<28} {rows[-1][1] * 1e6:9.3f} us/step")


if __name__ == "__main__":
    main()
