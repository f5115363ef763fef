"""Stimuli and spike sources compiled into per-step schedules."""
from __future__ import annotations

import numpy as np

from ..stimuli import CurrentStimulus, NoiseStimulus, PoissonStimulus
from ..synapses import normalise_synapse


class _Window:
    def __init__(self, stim, pop, dt):
        self.pop = pop
        self.k0, k1 = stim.steps(dt)
        self.k1 = k1
        self.idx = None if stim.neurons is None else np.asarray(stim.neurons, dtype=np.int64)
        self.n = pop.N if self.idx is None else self.idx.size

    def active(self, k):
        return k >= self.k0 and (self.k1 is None or k <= self.k1)

    def add(self, target, values):
        if self.idx is None:
            target += values
        else:
            np.add.at(target, self.idx, values)


class StimulusSchedule:
    """All external input of a simulation, applied step by step."""

    def __init__(self, stimuli, pops_by_name, dt, receptor_for):
        self.currents, self.noises, self.poissons = [], [], []
        self.dt = dt
        for s in stimuli:
            pop = pops_by_name[s.target]
            w = _Window(s, pop, dt)
            pop.has_ext = pop.has_ext or not isinstance(s, PoissonStimulus)
            if isinstance(s, CurrentStimulus):
                w.amplitude = s.amplitude
                w.table = None
                if callable(s.amplitude):
                    if w.k1 is None:
                        raise ValueError(f"current stimulus on {s.target!r} with a callable amplitude needs a stop time")
                    t = np.arange(w.k0, w.k1 + 1) * dt
                    table = np.asarray(s.amplitude(t), dtype=float)
                    if table.shape not in ((t.size,), (t.size, w.n)):
                        raise ValueError(f"the amplitude callable of the current stimulus on {s.target!r} returned "
                                         f"shape {table.shape}; expected ({t.size},) or ({t.size}, {w.n})")
                    if not np.all(np.isfinite(table)):
                        raise ValueError(f"the amplitude callable of the current stimulus on {s.target!r} "
                                         "returned NaN or inf")
                    w.table = table
                self.currents.append(w)
            elif isinstance(s, NoiseStimulus):
                w.mean, w.std = s.mean, s.std
                self.noises.append(w)
            else:
                syn = s.synapse or normalise_synapse(pop.desc.default_synapse("excitatory"), f"poisson on {s.target!r}")
                if syn["kind"] == "cond_exp" and "E" not in syn:
                    syn = dict(syn, E=0.0)
                w.receptor = receptor_for(pop, syn)
                w.lam = s.rate * dt * 1e-3
                w.weight = s.weight * (np.e if syn["kind"] == "alpha" else 1.0)
                self.poissons.append(w)
        self.ext_pops = [p for p in pops_by_name.values() if p.has_ext]

    def apply(self, k, rng):
        """Set ``I_ext`` of every stimulated population for step ``k``; add Poisson drive."""
        for p in self.ext_pops:
            p.I_ext.fill(0.0)
        for w in self.currents:
            if w.active(k):
                w.add(w.pop.I_ext, w.amplitude if w.table is None else w.table[k - w.k0])
        for w in self.noises:
            if w.active(k):
                w.add(w.pop.I_ext, rng.normal(w.mean, w.std, w.n))
        for w in self.poissons:
            if w.active(k):
                counts = rng.poisson(w.lam, w.n)
                r = w.receptor
                target = r.post.v if r.kind == "delta" else (r.x if r.kind == "alpha" else r.s)
                w.add(target, w.weight * counts)


class SourceSchedule:
    """Spikes of Poisson and spike-generator populations."""

    def __init__(self, pops, dt):
        self.dt = dt
        self.events = {}
        for p in pops:
            if not p.is_source:
                continue
            d = p.desc
            if d.rate is not None:
                p.p_spike = np.broadcast_to(np.asarray(d.rate, dtype=float) * dt * 1e-3, (p.N,)).copy()
                p.k0 = int(np.ceil(d.start / dt - 1e-9))
                p.k1 = None if d.stop is None else int(np.ceil(d.stop / dt - 1e-9))
            else:
                steps = np.concatenate([np.rint(np.asarray(t) / dt).astype(np.int64) for t in d.spike_times] or
                                       [np.zeros(0, np.int64)])
                ids = np.concatenate([np.full(len(t), i, dtype=np.int64) for i, t in enumerate(d.spike_times)] or
                                     [np.zeros(0, np.int64)])
                order = np.lexsort((ids, steps))
                self.events[p.index] = (steps[order], ids[order])
                p.p_spike = None

    def fire(self, p, k, rng):
        """Set ``p.spiked`` for step ``k``."""
        if p.p_spike is not None:
            if k >= p.k0 and (p.k1 is None or k < p.k1):
                np.less(rng.random(p.N), p.p_spike, out=p.spiked)
            else:
                p.spiked.fill(False)
            return
        steps, ids = self.events[p.index]
        lo, hi = np.searchsorted(steps, [k, k + 1])
        p.spiked.fill(False)
        if hi > lo:
            p.spiked[ids[lo:hi]] = True
