"""Reward learning in a closed loop: dopamine picks the pathway (the successor of DopaNetwork).

Two cues (A, B) excite two action populations (left, right) that inhibit each
other.  At first the choice is a coin toss.  After each trial the script — the
"environment", as a game or a Blender creature would be — reads which action
won from the spikes of :meth:`Simulation.advance`, and half a second later
delivers dopamine with :meth:`Simulation.reward`: a reward when the action
fitted the cue (A -> right, B -> left), a small punishment otherwise.  The cue
-> action synapses learn by reward-modulated STDP (Izhikevich 2007): spike
pairs leave an eligibility trace (tau_c = 1 s) that the late dopamine turns
into weight, so the rewarded pathways grow and the choices become correct.

Run (about a minute)::

    python docs/examples/reward_learning.py                  # writes docs/images/reward_learning.png
    python docs/examples/reward_learning.py --trials 60 --out /tmp/reward.png
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from pyn_core import LIFPopulation, Network, SpikeSourcePopulation

ROOT = Path(__file__).resolve().parents[2]
N_CUE, N_ACT = 40, 30
TRIAL, CUE, REWARD_AT = 800.0, 100.0, 600.0      # ms: trial length, cue duration, reward time in a trial
CUE_RATE = 80.0                                  # Hz per cue neuron while its cue is on
TARGET = {"A": "right", "B": "left"}


def cue_trains(cues, rng):
    """Poisson spike times of the A and B cue neurons for the whole session."""
    trains = {"A": [[] for _ in range(N_CUE)], "B": [[] for _ in range(N_CUE)]}
    for i, cue in enumerate(cues):
        t0 = i * TRIAL
        for neuron in trains[cue]:
            n = rng.poisson(CUE_RATE * CUE / 1000.0)
            neuron.extend(np.sort(t0 + 1.0 + rng.uniform(0.0, CUE, n)).tolist())
    return trains


def reward_network(trains) -> Network:
    """Cues -> actions (reward-modulated STDP), mutual inhibition between the actions."""
    pops = [SpikeSourcePopulation("A", trains["A"]), SpikeSourcePopulation("B", trains["B"]),
            LIFPopulation("left", N_ACT, tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-52.0, t_ref=2.0),
            LIFPopulation("right", N_ACT, tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-52.0, t_ref=2.0)]
    net = Network(pops, name="reward_learning")
    rule = {"rule": "rstdp", "A_plus": 0.002, "A_minus": 0.002, "tau_c": 1000.0, "tau_d": 200.0,
            "w_min": 0.0, "w_max": 4.0}
    for cue in ("A", "B"):
        for action in ("left", "right"):
            net.connect(cue, action, rule="pairwise_bernoulli", p=0.5,
                        weight={"dist": "uniform", "low": 1.5, "high": 2.5}, delay=1.0, std=0.0,
                        synapse={"kind": "exp", "tau": 5.0}, plasticity=rule)
    for a, b in (("left", "right"), ("right", "left")):
        net.connect(a, b, rule="all_to_all", weight=3.0, mode="inhibitory", delay=1.0, std=0.0,
                    synapse={"kind": "exp", "tau": 10.0}, plasticity=None)
    return net


def session(n_trials=120, seed=3):
    """Run the closed loop; returns the cues, choices, rewards and the pathway weights per trial."""
    rng = np.random.default_rng(seed)
    cues = rng.choice(["A", "B"], size=n_trials).tolist()
    net = reward_network(cue_trains(cues, rng))
    sim = net.build(dt=0.5, seed=seed, backend="numpy", stdp=True)
    paths = [f"{c}->{a}" for c in ("A", "B") for a in ("left", "right")]
    mean_w = {p: [float(sim.get_weights(p)[2].mean())] for p in paths}
    choices, rewarded = [], []
    for cue in cues:
        batch = sim.advance(CUE + 5.0)                    # the cue plays; the actions compete
        n_left = len(batch.for_population("left")[0])
        n_right = len(batch.for_population("right")[0])
        choice = "left" if n_left > n_right else "right" if n_right > n_left else rng.choice(["left", "right"])
        correct = choice == TARGET[cue]
        choices.append(choice)
        rewarded.append(correct)
        sim.advance(REWARD_AT - CUE - 5.0)                # the distal reward arrives 0.5 s later
        sim.reward(0.02 if correct else -0.01)
        sim.advance(TRIAL - REWARD_AT)
        for p in paths:
            mean_w[p].append(float(sim.get_weights(p)[2].mean()))
    return cues, choices, np.array(rewarded), mean_w


def plot(rewarded, mean_w, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), constrained_layout=True)
    trials = np.arange(1, rewarded.size + 1)
    window = 20
    running = np.convolve(rewarded.astype(float), np.ones(window) / window, mode="valid")
    axes[0].plot(trials[window - 1:], running, color="k")
    axes[0].axhline(0.5, color="0.6", ls="--", lw=1)
    axes[0].set(xlabel="trial", ylabel=f"fraction correct (last {window})", ylim=(0, 1.02),
                title="choices")
    styles = {"A->right": ("C3", "-"), "B->left": ("C0", "-"), "A->left": ("C3", ":"), "B->right": ("C0", ":")}
    for p, w in mean_w.items():
        color, ls = styles[p]
        axes[1].plot(np.arange(len(w)), w, color=color, ls=ls,
                     label=p + (" (rewarded)" if ls == "-" else ""))
    axes[1].set(xlabel="trial", ylabel="mean weight (nA)", title="cue -> action pathways")
    axes[1].legend(fontsize=8)
    fig.suptitle("Reward-modulated STDP in a closed loop: dopamine 0.5 s after each choice (pyN)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=120)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "docs" / "images" / "reward_learning.png"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cues, choices, rewarded, mean_w = session(args.trials, args.seed)
    k = min(40, len(rewarded))
    logging.info("correct: first %d trials %.2f, last %d trials %.2f", k, rewarded[:k].mean(), k,
                 rewarded[-k:].mean())
    logging.info("mean weights at the end: %s", {p: round(w[-1], 3) for p, w in mean_w.items()})
    plot(rewarded, mean_w, args.out)
    logging.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
