"""How the cost of a simulated second grows with neurons, synapses and firing rate (numba backend).

Usage::

    .venv/bin/python benchmarks/profile_scaling.py [--ms 200] [--json]

Brunel (2000) model A networks (delta synapses, fixed in-degree, 80 % / 20 %
excitatory / inhibitory, Poisson drive) are varied one factor at a time from
a base of 10,000 neurons with in-degree 1000:

* neurons N at fixed in-degree (synapses grow with N),
* in-degree C at fixed N (synapses grow with C),
* the drive ``eta`` (the firing rate grows with it; g = 5 keeps it
  asynchronous and irregular).

Each line gives the wall time per simulated second, the mean rate, the
synaptic events per second (spikes x out-degree) and the build time.  The
scale of the different costs (per neuron-step, per synaptic event, per
Poisson input) follows from a least-squares fit printed at the end.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from networks import _brunel  # noqa: E402


def measure(n, c, eta, ms, seed=1) -> dict:
    """Build and run one network on the numba backend; its costs."""
    n_exc, n_inh = int(0.8 * n), n - int(0.8 * n)
    c_exc, c_inh = int(0.8 * c), c - int(0.8 * c)
    net = _brunel(n_exc, n_inh, c_exc, c_inh, f"brunel_{n}_{c}", seed, eta=eta)
    net.settings["threads"] = 1
    t0 = time.perf_counter()
    sim = net.build(dt=0.1, seed=seed, backend="numba")
    build = time.perf_counter() - t0
    sim.run(20.0)                      # leave the initial transient out of the timing
    t0 = time.perf_counter()
    res = sim.run(ms)
    wall = time.perf_counter() - t0
    spikes = sum(int(np.sum(res[p].spike_times >= 20.0)) for p in ("exc", "inh"))
    rate = spikes / n / (ms / 1000.0)
    return {"N": n, "C": c, "eta": eta, "synapses": sim.n_synapses, "rate_Hz": round(rate, 2),
            "s_per_s": round(wall * 1000.0 / ms, 4), "events_per_s": spikes * c * 1000.0 / ms,
            "neuron_steps_per_s": n * 10_000, "build_s": round(build, 3)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ms", type=float, default=200.0, help="simulated time per point (ms)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    points = [(n, 1000, 2.0) for n in (2500, 5000, 10000, 20000, 40000)]
    points += [(10000, c, 2.0) for c in (250, 500, 2000)]
    points += [(10000, 1000, eta) for eta in (1.2, 1.5, 3.0, 4.0)]
    rows = []
    for n, c, eta in points:
        r = measure(n, c, eta, args.ms)
        rows.append(r)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            print(f"N {r['N']:>6}  C {r['C']:>5}  eta {r['eta']:>4}  synapses {r['synapses']:>11,}  "
                  f"rate {r['rate_Hz']:7.2f} Hz  {r['s_per_s']:8.3f} s per simulated s  "
                  f"events {r['events_per_s']:.3g}/s  build {r['build_s']:.2f} s", flush=True)
    # cost model: seconds per simulated second = a * neuron-steps + b * synaptic events + c * Poisson inputs
    A = np.array([[r["neuron_steps_per_s"], r["events_per_s"], r["N"] * 10_000.0] for r in rows])
    # the Poisson drive is one count per neuron and step, so it shares the neuron term: fit two terms
    coef, *_ = np.linalg.lstsq(A[:, :2], np.array([r["s_per_s"] for r in rows]), rcond=None)
    print(f"fit: {coef[0] * 1e9:.2f} ns per neuron-step (update, threshold and Poisson drive) + "
          f"{coef[1] * 1e9:.2f} ns per synaptic event")


if __name__ == "__main__":
    main()
