"""Song, Miller & Abbott (2000): competitive Hebbian learning through STDP.

1000 Poisson inputs at 15 Hz excite one leaky integrate-and-fire neuron through
synapses that learn by additive, all-to-all pair STDP (the stdp_song benchmark
of BENCHMARKS.md, as in Brian2's STDP example).  Starting from uniform
weights, the synapses compete: the output rate falls into a balanced regime
and the weights split towards 0 and towards gmax (a bimodal distribution).

The membrane equation of the benchmark, ``tau_m dv/dt = ge (Ee - vr) + El - v``,
drives the neuron with the constant driving force ``Ee - vr = 60 mV``: it is
an exponential *current* synapse (tau 5 ms) of weight ``w (Ee - vr)`` onto a
LIF neuron with R = 1 MOhm, so ``w_max = gmax * 60``.  ``dendritic_fraction =
0.5`` makes STDP pair the spike emission times, as the zero-delay benchmark
does (pyN's shortest delay is one step, 0.1 ms).

Run (about 1-3 minutes for 100 s on numpy)::

    python docs/examples/song2000_stdp.py                 # 100 s, writes docs/images/stdp_song2000.png
    python docs/examples/song2000_stdp.py --seconds 20 --out /tmp/song.png
"""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from pyn_core import LIFPopulation, Network, PoissonPopulation

GMAX = 0.01                 # peak conductance, units of the leak
DRIVE = 0.0 - (-60.0)       # Ee - vr (mV): the constant driving force of the benchmark
ROOT = Path(__file__).resolve().parents[2]


def song_network(n_inputs: int = 1000, rate: float = 15.0, gmax: float = GMAX) -> Network:
    """The stdp_song network with the public API (see the module docstring)."""
    w_max = gmax * DRIVE
    inputs = PoissonPopulation("inputs", n_inputs, rate=rate)
    neuron = LIFPopulation("neuron", 1, tau_m=10.0, v_rest=-74.0, v_reset=-60.0, v_thresh=-54.0,
                           t_ref=0.0, v0=-60.0)
    net = Network([inputs, neuron], name="stdp_song")
    net.connect("inputs", "neuron", rule="all_to_all",
                weight={"dist": "uniform", "low": 0.0, "high": w_max},
                synapse={"kind": "exp", "tau": 5.0}, delay=0.1, std=0.0,
                plasticity={"rule": "stdp", "A_plus": 0.01, "A_minus": 0.0105, "tau_plus": 20.0,
                            "tau_minus": 20.0, "w_min": 0.0, "w_max": w_max,
                            "weight_dependence": "additive", "pairing": "all_to_all",
                            "dendritic_fraction": 0.5})
    return net


def fractions(w_over_gmax: np.ndarray) -> tuple[float, float]:
    """Fractions of the weights below 0.1 gmax and above 0.9 gmax."""
    return float(np.mean(w_over_gmax < 0.1)), float(np.mean(w_over_gmax > 0.9))


def run(seconds: float = 100.0, seed: int = 1, progress=True):
    """Simulate; returns (initial w/gmax, final w/gmax, weight record, output spike times, wall seconds)."""
    net = song_network()
    sim = net.build(dt=0.1, seed=seed, backend="numpy", stdp=True,
                    record_weights={"inputs->neuron": 1000.0})
    w0 = sim.get_weights("inputs->neuron")[2] / (GMAX * DRIVE)
    t0 = time.perf_counter()
    res = sim.run(seconds * 1000.0, progress=progress)
    wall = time.perf_counter() - t0
    w1 = sim.get_weights("inputs->neuron")[2] / (GMAX * DRIVE)
    return w0, w1, res.weights["inputs->neuron"], res["neuron"].spike_times, wall


def plot(w0, w1, record, out_spikes, seconds, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), constrained_layout=True)
    bins = np.linspace(0, 1, 21)
    axes[0].hist(w0, bins=bins, color="0.6", label="start")
    axes[0].hist(w1, bins=bins, histtype="step", lw=2, color="C3", label=f"after {seconds:g} s")
    lo, hi = fractions(w1)
    axes[0].set(xlabel="w / gmax", ylabel="synapses",
                title=f"weights: {100 * lo:.0f}% < 0.1, {100 * hi:.0f}% > 0.9 gmax")
    axes[0].legend(loc="upper center")
    dist = np.array([np.histogram(w, bins=bins)[0] for w in record.w / (GMAX * DRIVE)])
    im = axes[1].imshow(dist.T, origin="lower", aspect="auto", cmap="magma",
                        extent=(record.t[0] / 1000.0, record.t[-1] / 1000.0, 0.0, 1.0))
    fig.colorbar(im, ax=axes[1], label="synapses per bin")
    for i in np.linspace(0, record.w.shape[1] - 1, 4).astype(int):
        axes[1].plot(record.t / 1000.0, record.w[:, i] / (GMAX * DRIVE), lw=0.8, color="w", alpha=0.8)
    axes[1].set(xlabel="t (s)", ylabel="w / gmax",
                title="weight distribution over time (monitor, 1 s)\nand four synapses")
    edges = np.arange(0.0, seconds + 1e-9, 1.0)
    counts, _ = np.histogram(out_spikes / 1000.0, bins=edges)
    axes[2].plot(edges[1:], counts, color="k")
    axes[2].set(xlabel="t (s)", ylabel="Hz", title="output rate (1 s bins)")
    fig.suptitle("Song, Miller & Abbott (2000): 1000 Poisson inputs, additive pair STDP (pyN)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "docs" / "images" / "stdp_song2000.png"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    w0, w1, record, spikes, wall = run(args.seconds, args.seed)
    lo, hi = fractions(w1)
    last = spikes[spikes >= (args.seconds - 10.0) * 1000.0].size / min(10.0, args.seconds)
    logging.info("%g s simulated in %.1f s wall (numpy); near 0: %.3f, near gmax: %.3f; "
                 "output rate over the last 10 s: %.1f Hz", args.seconds, wall, lo, hi, last)
    logging.info("w/gmax histogram (10 bins): %s", np.histogram(w1, bins=10, range=(0, 1))[0].tolist())
    plot(w0, w1, record, spikes, args.seconds, args.out)
    logging.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
