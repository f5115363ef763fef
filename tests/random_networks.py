"""Random networks for the backend-identity tests: every feature the engine has, drawn from a seed.

``random_network(seed)`` returns ``(net, T, dt, record, learning)``: a few
populations (Izhikevich, LIF, AdEx, Hodgkin-Huxley, Poisson and
spike-generator sources), connections with random rules, weights, delays,
synapse kinds, plasticity (pair STDP with every timing shift, R-STDP) and
short-term plasticity, and stimuli (current windows and tables, noise,
Poisson drive through every synapse kind).  ``run_arrays`` runs one on a
backend and returns everything it produced as named arrays.
"""
from __future__ import annotations

import numpy as np

from pyn_core import (AdExPopulation, HHPopulation, IzhikevichPopulation, LIFPopulation, Network,
                      PoissonPopulation, SpikeSourcePopulation)

CURRENT_KINDS = ("delta", "exp", "alpha", "pulse")
COND_KINDS = ("cond_exp", "cond_alpha")
#: what a current weight of about 1 means for each model (its current units and sensitivity)
WEIGHT_SCALE = {"izh": 1.0, "lif": 1.0, "adex": 0.1, "hh": 0.3}


def _synapse(rng, conductance_ok: bool):
    kinds = CURRENT_KINDS + (COND_KINDS if conductance_ok else ())
    kind = str(rng.choice(kinds))
    syn = {"kind": kind}
    if kind in ("exp", "alpha", "cond_exp", "cond_alpha"):
        syn["tau"] = float(rng.choice([1.5, 3.0, 5.0]))
    if kind in COND_KINDS:
        syn["E"] = float(rng.choice([0.0, -80.0]))
    return syn


def _neurons(rng, name, kind, n):
    if kind == "izh":
        return IzhikevichPopulation(name, N=n, a=0.02, b=0.2, c=-65.0 + 15 * rng.random(n) ** 2,
                                    d=8.0 - 6 * rng.random(n) ** 2, v0=-65.0 + 5 * rng.random(n))
    if kind == "lif":
        return LIFPopulation(name, N=n, v_thresh=-55.0 + rng.random(n), t_ref=float(rng.choice([0.0, 2.0])),
                             v0=-65.0 + 8 * rng.random(n))
    if kind == "adex":
        return AdExPopulation(name, N=n)
    return HHPopulation(name, N=n)


def random_network(seed: int):
    """A random network of every feature; returns (net, T, dt, record, learning)."""
    rng = np.random.default_rng(seed)
    pops, neuron_pops, cond_pops, kinds = [], [], set(), {}
    for i in range(int(rng.integers(1, 4))):
        kind = str(rng.choice(["izh", "izh", "lif", "adex", "hh"]))
        n = int(rng.integers(1, 40))
        pops.append(_neurons(rng, f"n{i}", kind, n))
        neuron_pops.append(pops[-1])
        kinds[pops[-1].name] = kind
        if kind in ("izh", "lif", "adex", "hh"):
            cond_pops.add(pops[-1].name)
    if rng.random() < 0.6:
        n = int(rng.integers(5, 60))
        rate = float(rng.uniform(5, 80)) if rng.random() < 0.5 else rng.uniform(0, 80, n)
        stop = None if rng.random() < 0.5 else float(rng.uniform(20, 80))
        pops.append(PoissonPopulation("src", n, rate=rate, start=float(rng.uniform(0, 10)), stop=stop))
    if rng.random() < 0.4:
        times = [sorted(rng.uniform(0, 60, int(rng.integers(0, 6))).round(1).tolist()) for _ in range(5)]
        pops.append(SpikeSourcePopulation("gen", times))
    net = Network(pops)
    learning = bool(rng.random() < 0.5)
    names = [p.name for p in pops]
    for _ in range(int(rng.integers(1, 6))):
        pre = str(rng.choice(names))
        post = neuron_pops[int(rng.integers(len(neuron_pops)))]
        syn = _synapse(rng, post.name in cond_pops)
        scale = WEIGHT_SCALE[kinds[post.name]]
        rule = [{"name": "pairwise_bernoulli", "p": float(rng.uniform(0.05, 0.6))}, "all_to_all",
                {"name": "fixed_indegree", "k": int(rng.integers(1, 4))}][int(rng.integers(3))]
        if rng.random() < 0.5:
            weight = float(rng.uniform(0.2, 3.0))
        else:
            weight = {"dist": "uniform", "low": 0.1, "high": float(rng.uniform(0.5, 3.0))}
        if syn["kind"] in COND_KINDS:
            weight = float(rng.uniform(0.001, 0.02))
        elif isinstance(weight, dict):
            weight["low"] *= scale
            weight["high"] *= scale
        else:
            weight *= scale
        delay = float(rng.choice([0.1, 0.5, 1.0, 2.5]))
        std = float(rng.choice([0.0, 0.0, 0.3]))
        plasticity, stp = None, None
        u = rng.random()
        if u < 0.25 and syn["kind"] not in COND_KINDS:
            plasticity = {"rule": "stdp", "A_plus": 0.02, "A_minus": 0.021,
                          "dendritic_fraction": float(rng.choice([0.5, 0.2, 0.9])),
                          "pairing": str(rng.choice(["all", "nearest"])),
                          "weight_dependence": str(rng.choice(["additive", "multiplicative"])), "w_max": 4.0}
        elif u < 0.4 and syn["kind"] not in COND_KINDS:
            plasticity = {"rule": "rstdp", "tau_c": 100.0, "tau_d": 40.0, "w_max": 4.0,
                          "dopamine_from": "src" if "src" in names and rng.random() < 0.5 else None,
                          "dopamine_per_spike": 0.1}
        elif u < 0.55:
            stp = str(rng.choice(["depressing", "facilitating"]))
        mode = "inhibitory" if rng.random() < 0.2 and syn["kind"] not in COND_KINDS else "excitatory"
        try:
            net.connect(pre, post.name, rule=rule, weight=weight, synapse=syn, delay=delay, std=std,
                        plasticity=plasticity, stp=stp, mode=mode,
                        allow_autapses=bool(rng.random() < 0.5) or isinstance(rule, dict) and "k" in rule,
                        name=f"c{len(net.projections)}")
        except ValueError:
            continue
    for p in neuron_pops:
        amp = {"izh": 6.0, "lif": 20.0, "adex": 0.8, "hh": 8.0}[kinds[p.name]]
        u = rng.random()
        if u < 0.4:
            net.add_current(p.name, amplitude=float(amp * rng.uniform(0.8, 1.5)), start=float(rng.uniform(0, 5)))
        elif u < 0.6:
            net.add_current(p.name, amplitude=lambda t, a=amp: a * (1.0 + 0.3 * np.sin(t / 5.0)), start=1.0,
                            stop=60.0)
        if rng.random() < 0.3:
            net.add_noise(p.name, mean=float(amp * 0.5), std=float(amp * 0.3),
                          neurons=sorted(rng.integers(0, p.N, 3).tolist()))
        if rng.random() < 0.5:
            syn = _synapse(rng, p.name in cond_pops)
            w = 0.01 if syn["kind"] in COND_KINDS else float(rng.uniform(0.5, 3.0)) * WEIGHT_SCALE[kinds[p.name]]
            rate = float(rng.choice([200.0, 800.0, 9e5])) if syn["kind"] not in COND_KINDS else 500.0
            if rate > 1e5:
                w *= 1e-3
            net.add_poisson(p.name, rate=rate, weight=w, synapse=syn,
                            neurons=None if rng.random() < 0.6 else sorted(rng.integers(0, p.N, 4).tolist()))
    record = {p.name: [str(v) for v in rng.choice(list(p.model.state) + ["I_ext", "I_syn"],
                                                  size=int(rng.integers(0, 3)), replace=False)]
              for p in neuron_pops}
    T = float(rng.choice([30.0, 60.0, 90.0]))
    dt = 0.025 if "hh" in kinds.values() else 0.1
    return net, T, dt, record, learning


def run_arrays(seed: int, backend: str) -> dict[str, np.ndarray]:
    """Everything random network ``seed`` produces on ``backend``, as named arrays."""
    net, T, dt, record, learning = random_network(seed)
    sim = net.build(dt=dt, seed=seed, backend=backend, record=record, learning=learning)
    out = {}
    rng = np.random.default_rng(seed + 1)
    for part in range(3):                       # a closed loop: runs in pieces, rewards between them
        sim.advance(T / 3)
        rewarded = any(isinstance(q.plasticity, dict) and q.plasticity.get("rule") == "rstdp"
                       for q in net.projections)
        if learning and rewarded and rng.random() < 0.7:
            sim.reward(float(rng.uniform(-0.5, 1.0)))
    res = sim.results
    for p in net.populations:
        r = res[p.name]
        out[f"{p.name}.spike_times"] = r.spike_times
        out[f"{p.name}.spike_ids"] = r.spike_ids
        for var, tr in r.traces.items():
            out[f"{p.name}.{var}"] = tr
    for q in net.projections:
        out[f"{q.name}.w"] = sim.get_weights(q.name)[2]
    return out
