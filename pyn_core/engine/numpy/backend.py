"""The vectorised numpy backend: the reference implementation of the step.

Per step (every backend follows this order):

1. deliver this step's ring-buffer slot into each receptor (delta: into v);
2. external input: Poisson drive into receptors, current windows and noise;
3. sum the inputs of each population (I, G, GE) and record (state at t_k);
4. integrate each population with its model's ``step``;
5. refractory clamp, threshold, reset, refractory counter;
6. propagate the spikes into future ring-buffer slots (per-synapse delays);
7. plasticity (:mod:`..plasticity`: traces, eligibility, dopamine and
   the weights of the synapses of spiking neurons only);
8. decay the receptors.

No Python loop runs over neurons or synapses; work per step is proportional to
the number of neurons plus the synapses of the neurons that spiked.
"""
from __future__ import annotations

import numpy as np

from ..build import CURRENT_KINDS
from ..plasticity import stp_release


def _synapse_rows(indptr, spikers):
    """Indices of the synapses of presynaptic neurons ``spikers`` (CSR rows)."""
    starts = indptr[spikers]
    counts = indptr[spikers + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return None
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return offsets + np.arange(total)


class NumpyBackend:
    """Runs the per-step schedule with numpy array operations."""

    name = "numpy"

    @staticmethod
    def unsupported(sim):
        """The numpy backend runs everything: None."""
        return None

    def pull(self):
        """Nothing to copy: the backend works on the simulation's arrays."""

    def push(self):
        """Nothing to copy: the backend works on the simulation's arrays."""

    def __init__(self, sim):
        self.sim = sim
        self.rec_by_post = {}
        for r in sim.receptors:
            self.rec_by_post.setdefault(r.post.index, []).append(r)

    def run_steps(self, n: int, on_step=None):
        """Advance ``n`` steps; ``on_step(k)`` after each (for progress)."""
        for _ in range(n):
            self.step()
            if on_step is not None:
                on_step()

    def step(self):
        sim = self.sim
        k = sim.k
        L = sim.ring_len
        slot = k % L
        dt = sim.dt
        # 1. deliver
        for r in sim.receptors:
            arriving = r.ring[slot]
            if r.kind == "delta":
                r.post.v += arriving
            elif r.kind == "alpha":
                r.x += arriving * r.jump
            else:
                r.s += arriving
            arriving[:] = 0.0
        # 2. external input
        sim.stimuli.apply(k, sim.rng_run)
        # 3. sum inputs, record
        for p in sim.pops:
            if p.is_source:
                continue
            if p.has_ext:
                np.copyto(p.I, p.I_ext)
            else:
                p.I.fill(0.0)
            if p.has_cond:
                p.G.fill(0.0)
                p.GE.fill(0.0)
            for r in self.rec_by_post.get(p.index, ()):
                if r.kind in CURRENT_KINDS:
                    p.I += r.s
                elif r.kind == "cond_exp":
                    p.G += r.s
                    p.GE += r.s * r.E
        sim.recorder.sample(k)
        # 4-5. integrate, clamp, threshold, reset
        for p in sim.pops:
            if p.is_source:
                sim.sources.fire(p, k, sim.rng_run)
                continue
            m = p.model
            if m.spike_kind == "crossing":
                np.copyto(p.v_prev, p.v)
            with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported below
                new = m.step(*p.state_list, *p.param_list, p.I, p.G, p.GE, dt, *p.options)
            for arr, val in zip(p.state_list, new):
                arr[...] = val
            v = p.v
            if not np.isfinite(v).all():
                sim.diverged(p)
            if p.ref_steps is not None:
                refractory = p.ref_count > 0
                np.copyto(v, p.clamp, where=refractory)
                np.subtract(p.ref_count, 1, out=p.ref_count, where=refractory)
                np.greater_equal(v, p.threshold, out=p.spiked)
                p.spiked &= ~refractory
            elif m.spike_kind == "crossing":
                np.greater_equal(v, p.threshold, out=p.spiked)
                p.spiked &= p.v_prev < p.threshold
            else:
                np.greater_equal(v, p.threshold, out=p.spiked)
            if m.reset is not None and p.spiked.any():
                idx = np.flatnonzero(p.spiked)
                sub = [p.state_list[i][idx] for i in p.reset_state_idx]
                out = m.reset(*sub, *[a[idx] for a in p.reset_param_list])
                for i, val in zip(p.reset_state_idx, out):
                    p.state_list[i][idx] = val
                if p.ref_steps is not None:
                    p.ref_count[idx] = p.ref_steps[idx]
        # 6-7. propagate, plasticity
        spikers = {}
        for p in sim.pops:
            if p.spiked.any():
                spikers[p.index] = np.flatnonzero(p.spiked)
                sim.recorder.spikes(p.index, k, spikers[p.index])
        for q in sim.projs:
            s = spikers.get(q.pre.index)
            if s is None or not q.enabled:
                continue
            syn = _synapse_rows(q.indptr, s)
            if syn is None:
                continue
            if q.plastic is not None and q.plastic.reward_modulated:
                q.plastic.flush(syn)
            w = q.weight[syn]
            if q.stp_state is not None:
                w = w * np.repeat(stp_release(q.stp_state, s, k), q.indptr[s + 1] - q.indptr[s])
            if q.sign != 1.0:
                w = w * q.sign
            ring = q.receptor.ring
            if q.uniform_delay is not None:
                np.add.at(ring[(k + q.uniform_delay) % L], q.post_idx[syn], w)
            else:
                flat = ((k + q.delay[syn].astype(np.int64)) % L) * ring.shape[1] + q.post_idx[syn]
                np.add.at(ring.reshape(-1), flat, w)
        if sim.plasticity.active and sim.learning:
            sim.plasticity.step(k, spikers)
        # 8. decay
        for r in sim.receptors:
            if r.kind == "alpha":
                r.s += r.h_over_tau * r.x
                r.s *= r.decay
                r.x *= r.decay
            elif r.kind != "delta":
                r.s *= r.decay
        sim.k = k + 1
