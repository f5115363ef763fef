"""The vectorised numpy backend: the reference implementation of the step.

The backend has one method per phase of :data:`pyn_core.engine.phases.STEP`,
named as the phase, and a step calls them in that order.  No Python loop
runs over neurons or synapses; work per step is proportional to the number
of neurons plus the synapses of the neurons that spiked.  Synapse kinds and
neuron models are called through their declared functions on whole arrays.
"""
from __future__ import annotations

import numpy as np

from ..phases import phase_names
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

    def export_state(self):
        """The late sides' spikes on their way (``late.<connection>.steps`` / ``.ids``); nothing else is its own."""
        out = {}
        for q in self.sim.plasticity.connections:
            if q.plastic.late is not None:
                out[f"late.{q.index}.steps"], out[f"late.{q.index}.ids"] = q.plastic.pending_events(self.sim.k)
        return out

    def import_state(self, arrays):
        """Refill the late sides' rings from :meth:`export_state` output (of either backend)."""
        for q in self.sim.plasticity.connections:
            if q.plastic.late is not None:
                q.plastic.set_pending_events(arrays[f"late.{q.index}.steps"], arrays[f"late.{q.index}.ids"],
                                             self.sim.k)

    def __init__(self, sim):
        self.sim = sim
        self.spikers = {}          # population index -> this step's spiking neurons
        self._phases = [getattr(self, name) for name in phase_names()]
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
        """One step: every phase of the schedule, in order."""
        k = self.sim.k
        for phase in self._phases:
            phase(k)
        self.sim.k = k + 1

    # -- the phases (pyn_core.engine.phases.STEP) --------------------------------
    def deliver(self, k):
        """This step's ring slot into each receptor through its kind's ``arrive``; voltage kinds jump v."""
        slot = k % self.sim.ring_len
        for r in self.sim.receptors:
            arriving = r.ring[slot]
            kind = r.kind
            if r.output == "voltage":
                r.post.v += kind.value(*kind.arrive(*r.zero, arriving, *r.args), *r.args)
            else:
                _store(r.rows, kind.arrive(*r.rows, arriving, *r.args))
            arriving[:] = 0.0

    def external_input(self, k):
        """Current windows and noise into ``I_ext``; Poisson drive into its receptors."""
        self.sim.stimuli.apply(k, self.sim.rng_run)

    def sum_inputs(self, k):
        """``I = I_ext +`` the current kinds' values; ``G``, ``GE`` from the conductance kinds."""
        for p in self.sim.pops:
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
                if r.output == "current":
                    p.I += r.kind.value(*r.rows, *r.args)
                elif r.output == "conductance":
                    g = r.kind.value(*r.rows, *r.args)
                    p.G += g
                    p.GE += g * r.E

    def record(self, k):
        """Sample the recorded traces (the state at ``t_k``)."""
        self.sim.recorder.sample(k)

    def integrate(self, k):
        """Model step, refractory clamp, threshold and reset of each population; sources fire."""
        sim = self.sim
        dt = sim.dt
        spikers = self.spikers
        spikers.clear()
        for p in sim.pops:
            if p.is_source:
                sim.sources.fire(p, k, sim.rng_run)
            else:
                self._integrate(p, dt)
        for p in sim.pops:          # a step that diverged records no spikes (as every backend)
            if p.spiked.any():
                spikers[p.index] = np.flatnonzero(p.spiked)
                sim.recorder.spikes(p.index, k, spikers[p.index])

    def _integrate(self, p, dt):
        sim = self.sim
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

    def propagate(self, k):
        """The synapses of this step's spikers into the ring slots ``k + delay`` (STP release, R-STDP flush)."""
        sim = self.sim
        L = sim.ring_len
        for q in sim.projs:
            s = self.spikers.get(q.pre.index)
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

    def plasticity(self, k):
        """Traces, eligibility, dopamine and the weights of the synapses of this step's spikers."""
        sim = self.sim
        if sim.plasticity.active and sim.learning:
            sim.plasticity.step(k, self.spikers)

    def decay(self, k):
        """Every receptor one step forward through its kind's ``decay`` (voltage kinds keep no state)."""
        dt = self.sim.dt
        for r in self.sim.receptors:
            if r.output != "voltage":
                _store(r.rows, r.kind.decay(*r.rows, *r.args, dt))


def _store(rows, values):
    """Write new values of the state variables into their rows (skipping a row given back as itself)."""
    for row, val in zip(rows, values):
        if val is not row:
            row[...] = val
