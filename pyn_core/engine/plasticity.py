"""The learning state of a simulation and its reference updates (equations: :mod:`pyn_core.plasticity`).

The state (traces, eligibility, dopamine, short-term plasticity) is shared
by every backend; the numpy backend updates it with the functions here,
the per-synapse arithmetic of which is in :mod:`.elementwise`.

State lives in small classes of preallocated arrays; the kernels are
functions over them.  The cost of a step is proportional to the synapses of
the neurons that spiked:

* traces are per neuron and never decayed step by step: each is stored
  scaled to the start of an epoch (``X = x exp((k - k_e) dt / tau)``), so
  reading is one multiplication by ``exp(-(k - k_e) dt / tau)`` and a spike
  adds ``exp((k - k_e) dt / tau)``; every ``EPOCH_TRACE`` time constants the
  arrays are rescaled (one pass over the neurons, rare);
* with a delay split (see :mod:`pyn_core.plasticity`) the later side's
  spikes wait in a small ring until they reach each synapse, and that side's
  trace is kept per synapse;
* reward-modulated STDP keeps, per synapse, its eligibility scaled to the
  start of an epoch (``a = c exp((k - k0) dt / tau_c)``) and the value ``g``
  of the running integral ``G = sum_j exp(-(j - k0) dt / tau_c) d_j dt`` at
  its last update, so ``w += a (G - g)`` brings it up to date whenever it is
  touched; every ``EPOCH_TAU`` time constants the frame is rebased (one pass
  over the synapses, rare) so the scale factors stay small.

Examples
--------
>>> import numpy as np
>>> csr_entries(np.array([0, 2, 2, 5]), np.array([0, 2])).tolist()
[0, 1, 2, 3, 4]
>>> st = STPState({"U": 0.5, "tau_rec": 100.0, "tau_facil": 0.0}, n_pre=1, dt=1.0)
>>> [round(float(stp_release(st, np.array([0]), k)[0]), 4) for k in (0, 1)]
[0.5, 0.2525]
"""
from __future__ import annotations

import math

import numpy as np

from ..connectivity import to_csr

from ..errors import PynLookupError, PynValueError
from .elementwise import rstdp_flush, stdp_pair, tm_release

#: Rebase the reward-modulated integral after this many ``tau_c``.
EPOCH_TAU = 10.0
#: Rescale the scaled traces after this many trace time constants (exp(300) ~ 2e130).
EPOCH_TRACE = 300.0
_EMPTY = np.zeros(0, dtype=np.int64)


# ---------------------------------------------------------------------------
# pure helpers
# ---------------------------------------------------------------------------
def uniform_degree(ptr):
    """The common row length of a CSR pointer, or None if the rows differ."""
    deg = np.diff(ptr)
    return int(deg[0]) if deg.size and np.all(deg == deg[0]) else None


def csr_entries(ptr, neurons, degree=None):
    """Positions ``ptr[i] .. ptr[i+1]-1`` of every ``i`` in ``neurons``, concatenated.

    ``degree``: the common row length if known (:func:`uniform_degree`), which
    saves work.
    """
    if degree is not None:
        if degree == 1:
            return ptr[neurons]
        return (ptr[neurons][:, None] + np.arange(degree)).reshape(-1)
    if neurons.size == 1:
        i = neurons[0]
        return np.arange(ptr[i], ptr[i + 1])
    starts = ptr[neurons]
    counts = ptr[neurons + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return _EMPTY
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)


def bump_trace(scaled, idx, up, nearest):
    """Spikes of neurons ``idx``: add ``up`` (all-to-all) or set it (nearest) in a scaled trace.

    ``up = exp((k - k_e) dt / tau)`` is the scaled value of 1 at step ``k``.
    """
    if nearest:
        scaled[idx] = up
    else:
        scaled[idx] += up


# ---------------------------------------------------------------------------
# short-term plasticity
# ---------------------------------------------------------------------------
class STPState:
    """Tsodyks–Markram state per presynaptic neuron (``u``, ``x``, step of the last spike)."""

    def __init__(self, params, n_pre, dt):
        self.params = dict(params)
        self.U = params["U"]
        self.k_rec = dt / params["tau_rec"]
        self.k_fac = dt / params["tau_facil"] if params["tau_facil"] > 0 else None
        self.u = np.zeros(n_pre)
        self.x = np.ones(n_pre)
        self.last = np.zeros(n_pre, dtype=np.int64)

    def state_arrays(self) -> dict:
        """Copies of ``u``, ``x`` and ``last`` (for a checkpoint)."""
        return {"u": self.u.copy(), "x": self.x.copy(), "last": self.last.copy()}

    def load_state_arrays(self, arrays: dict):
        """Write :meth:`state_arrays` back, in place."""
        for name in ("u", "x", "last"):
            getattr(self, name)[...] = arrays[name]


def stp_release(st, spikers, k):
    """Release fractions ``r = u x`` of presynaptic ``spikers`` at step ``k``; updates ``st``."""
    elapsed = (k - st.last[spikers]).astype(float)
    fac = st.k_fac is not None
    u, x, r = tm_release(st.u[spikers], st.x[spikers], elapsed, st.U, st.k_rec, st.k_fac if fac else 0.0, fac)
    st.x[spikers] = x
    st.u[spikers] = u
    st.last[spikers] = k
    return r


# ---------------------------------------------------------------------------
# STDP and reward-modulated STDP
# ---------------------------------------------------------------------------
class Modulator:
    """One dopamine concentration shared by the reward-modulated connections with equal settings."""

    def __init__(self, tau_d, baseline, source, per_spike, dt):
        self.d = baseline
        self.baseline = baseline
        self.decay = math.exp(-dt / tau_d)
        self.source = source          # population index or None
        self.per_spike = per_spike

    def release(self, spikers):
        s = spikers.get(self.source) if self.source is not None else None
        if s is not None:
            self.d += self.per_spike * s.size

    def relax(self):
        self.d = self.baseline + (self.d - self.baseline) * self.decay


class SynapseIndex:
    """The learning synapses of a connection by presynaptic neuron (rows) and by postsynaptic neuron (columns).

    ``row_syn`` is None when every synapse learns (rows are then the CSR order
    itself); otherwise autapses are left out.
    """

    def __init__(self, syn, pre_of, post_idx, n_pre, n_post, whole):
        self.row_ptr = to_csr(pre_of[syn], n_pre)
        self.row_syn = None if whole else syn
        self.row_post = post_idx.astype(np.int64) if whole else post_idx[syn].astype(np.int64)
        col = syn[np.argsort(post_idx[syn], kind="stable")]
        self.col_syn = col.astype(np.int64)
        self.col_ptr = to_csr(post_idx[col], n_post)
        self.col_pre = pre_of[col].astype(np.int64)
        self.row_deg = uniform_degree(self.row_ptr)
        self.col_deg = uniform_degree(self.col_ptr)

    def rows(self, neurons):
        """(row entries, synapse ids) of presynaptic ``neurons``; a slice for one neuron of a whole index."""
        if neurons.size == 1 and self.row_syn is None:
            i = neurons[0]
            ent = slice(self.row_ptr[i], self.row_ptr[i + 1])
            return ent, ent
        ent = csr_entries(self.row_ptr, neurons, self.row_deg)
        return ent, (ent if self.row_syn is None else self.row_syn[ent])

    def cols(self, neurons):
        """(column entries, synapse ids) of postsynaptic ``neurons``."""
        if neurons.size == 1:
            j = neurons[0]
            ent = slice(self.col_ptr[j], self.col_ptr[j + 1])
        else:
            ent = csr_entries(self.col_ptr, neurons, self.col_deg)
        return ent, self.col_syn[ent]


def _empty(ent):
    return ent.start == ent.stop if isinstance(ent, slice) else ent.size == 0


class PlasticConnection:
    """The learning state of one connection (``rule`` ``"stdp"`` or ``"rstdp"``).

    The timing shift of synapse ``s`` is ``round((1 - 2 f) D_s)`` steps (``f``
    the dendritic fraction, ``D_s`` its delay).  With every shift zero both
    traces are per neuron and events are handled at once.  Otherwise one side
    is late — the presynaptic spikes when the axonal part is longer
    (``f < 0.5``), the postsynaptic ones when the dendritic part is — and
    its events wait in a ring until they reach each synapse; that side keeps
    its trace per synapse (the spike reaches the synapses of a neuron at
    different steps), the other side per neuron.

    Parameters
    ----------
    params : dict
        Normalised rule parameters with ``w_max`` resolved.
    weight : ndarray
        The connection's weights (updated in place).
    pre_of, post_idx : ndarray
        Pre and post neuron of every synapse (CSR order).
    delay_steps : ndarray or int
        Transmission delay of every synapse, in steps.
    n_pre, n_post : int
    dt : float
    same_population : bool
        Autapses (pre == post) are left out of learning.
    """

    def __init__(self, params, weight, pre_of, post_idx, delay_steps, n_pre, n_post, dt, same_population):
        p = self.params = params
        self.rule = p["rule"]
        self.reward_modulated = self.rule == "rstdp"
        self.w = weight
        self.n = weight.size
        self.dt = dt
        self.w_min, self.w_max = p["w_min"], p["w_max"]
        self.multiplicative = p["weight_dependence"] == "multiplicative"
        self.nearest = p["pairing"] == "nearest"
        self.a_plus = p["A_plus"] * (1.0 if self.multiplicative else self.w_max)
        self.a_minus = p["A_minus"] * (1.0 if self.multiplicative else self.w_max)
        self.k_plus = dt / p["tau_plus"]
        self.k_minus = dt / p["tau_minus"]
        self.ke = 0                                   # start of the trace epoch (step)
        self.trace_epoch = max(1, int(EPOCH_TRACE / max(self.k_plus, self.k_minus)))
        shift = np.rint((1.0 - 2.0 * p["dendritic_fraction"]) * np.broadcast_to(delay_steps, (self.n,)))
        shift = shift.astype(np.int64)
        if same_population:
            learns = pre_of != post_idx
            syn = np.flatnonzero(learns)
            whole = bool(learns.all())
        else:
            syn, whole = np.arange(self.n), True
        self.index = ix = SynapseIndex(syn, pre_of, post_idx, n_pre, n_post, whole)
        self.late = None if not np.any(shift) else ("pre" if p["dendritic_fraction"] < 0.5 else "post")
        lag = np.abs(shift)
        self.ring_len = int(lag.max(initial=0)) + 1
        self.ring = [[] for _ in range(self.ring_len)]
        # traces, scaled to the epoch start: per neuron, or per synapse on the late side
        self.X = np.zeros(self.n if self.late == "pre" else n_pre)
        self.Y = np.zeros(self.n if self.late == "post" else n_post)
        if self.late is not None:
            ent_syn = (syn if self.late == "pre" else ix.col_syn)
            self.lag = lag[ent_syn]                   # per row (late pre) or column (late post) entry
            self.uniform_lag = int(self.lag[0]) if self.lag.size and np.all(self.lag == self.lag[0]) else None
        self.modulator = None
        if self.reward_modulated:
            self.k_c = dt / p["tau_c"]
            self.a = np.zeros(self.n)      # eligibility scaled to the epoch start
            self.g = np.zeros(self.n)      # G at each synapse's last update
            self.G = 0.0
            self.k0 = 0

    # -- events ------------------------------------------------------------
    def step(self, k, pre_spk, post_spk):
        """Plasticity of step ``k`` given the spikes of the pre and post populations (or None).

        Every presynaptic spike reaching a synapse at this step is handled
        before every postsynaptic one (a pair at the same step potentiates).
        """
        if k - self.ke > self.trace_epoch:
            self.rescale_traces(k)
        late = self.late
        if late is None:
            if pre_spk is not None:
                self._pre_now(pre_spk, k)
            if post_spk is not None:
                self._post_now(post_spk, k)
        elif late == "pre":
            if pre_spk is not None:
                self._queue(self.index.rows(pre_spk)[0], k)
            due = self._due(k)
            if due is not None:
                self._pre_arrive(due, k)
            if post_spk is not None:
                self._post_now(post_spk, k)
        else:
            if pre_spk is not None:
                self._pre_now(pre_spk, k)
            if post_spk is not None:
                self._queue(self.index.cols(post_spk)[0], k)
            due = self._due(k)
            if due is not None:
                self._post_arrive(due, k)
        if self.reward_modulated:
            self._integrate(k)

    def _queue(self, ent, k):
        """Row or column entries of spikes emitted at step ``k``, into the ring by their lag."""
        L = self.ring_len
        if self.uniform_lag is not None:
            if not _empty(ent):
                self.ring[(k + self.uniform_lag) % L].append(ent)
            return
        if isinstance(ent, slice):
            ent = np.arange(ent.start, ent.stop)
        if ent.size == 0:
            return
        lags = self.lag[ent]
        order = np.argsort(lags, kind="stable")
        ent, lags = ent[order], lags[order]
        cuts = np.flatnonzero(lags[1:] != lags[:-1]) + 1
        bounds = [0, *cuts.tolist(), ent.size]
        for a, b in zip(bounds[:-1], bounds[1:]):
            self.ring[(k + int(lags[a])) % L].append(ent[a:b])

    def _due(self, k):
        """Entries whose spikes reach their synapses at step ``k`` (None if none)."""
        slot = k % self.ring_len
        due = self.ring[slot]
        if not due:
            return None
        self.ring[slot] = []
        if len(due) == 1:
            return due[0]
        return np.concatenate([np.arange(e.start, e.stop) if isinstance(e, slice) else e for e in due])

    def rescale_traces(self, k):
        """Start a new trace epoch at step ``k`` (one pass over the traces, every EPOCH_TRACE tau)."""
        self.X *= math.exp((self.ke - k) * self.k_plus)
        self.Y *= math.exp((self.ke - k) * self.k_minus)
        self.ke = k

    def _pre_now(self, spikers, k):
        """Presynaptic spikes reaching their synapses in the step they are emitted: depression."""
        ix = self.index
        ent, syn = ix.rows(spikers)
        if not _empty(ent):
            y = self.Y[syn] if self.late == "post" else self.Y[ix.row_post[ent]]
            self._update(syn, y, math.exp((self.ke - k) * self.k_minus), k, -1)
        bump_trace(self.X, spikers, math.exp((k - self.ke) * self.k_plus), self.nearest)

    def _pre_arrive(self, ent, k):
        """Presynaptic spikes reaching the synapses of row entries ``ent`` now (late side): depression."""
        ix = self.index
        syn = ent if ix.row_syn is None else ix.row_syn[ent]
        self._update(syn, self.Y[ix.row_post[ent]], math.exp((self.ke - k) * self.k_minus), k, -1)
        bump_trace(self.X, syn, math.exp((k - self.ke) * self.k_plus), self.nearest)

    def _post_now(self, spikers, k):
        """Postsynaptic spikes reaching their synapses in the step they are emitted: potentiation."""
        ix = self.index
        ent, syn = ix.cols(spikers)
        if not _empty(ent):
            x = self.X[syn] if self.late == "pre" else self.X[ix.col_pre[ent]]
            self._update(syn, x, math.exp((self.ke - k) * self.k_plus), k, 1)
        bump_trace(self.Y, spikers, math.exp((k - self.ke) * self.k_minus), self.nearest)

    def _post_arrive(self, ent, k):
        """Postsynaptic spikes reaching the synapses of column entries ``ent`` now (late side): potentiation."""
        ix = self.index
        syn = ix.col_syn[ent]
        self._update(syn, self.X[ix.col_pre[ent]], math.exp((self.ke - k) * self.k_plus), k, 1)
        bump_trace(self.Y, syn, math.exp((k - self.ke) * self.k_minus), self.nearest)

    def _update(self, syn, scaled, factor, k, sign):
        """Pair updates of synapses ``syn`` (slice or indices) with the traces ``scaled * factor``.

        ``sign`` is +1 for potentiation, -1 for depression.
        """
        if self.reward_modulated:
            self.flush(syn)
            amp = self.a_plus if sign > 0 else -self.a_minus
            self.a[syn] += (amp * factor * math.exp((k - self.k0) * self.k_c)) * scaled
            return
        amp = (self.a_plus if sign > 0 else self.a_minus) * factor
        self.w[syn] = stdp_pair(self.w[syn], scaled, amp, self.w_min, self.w_max, self.multiplicative, sign > 0)

    # -- reward modulation -------------------------------------------------
    def flush(self, syn=None):
        """Bring the weights of synapses ``syn`` (all if None) up to date with the dopamine so far."""
        if not self.reward_modulated:
            return
        if syn is None:
            syn = slice(None)
        self.w[syn] = rstdp_flush(self.w[syn], self.a[syn], self.g[syn], self.G, self.w_min, self.w_max)
        self.g[syn] = self.G

    def _integrate(self, k):
        d = self.modulator.d
        if d != 0.0:
            self.G += math.exp((self.k0 - k) * self.k_c) * d * self.dt
        if (k + 1 - self.k0) * self.k_c > EPOCH_TAU:
            self.rebase(k + 1)

    def rebase(self, k):
        """Start a new epoch at step ``k`` (one pass over the synapses)."""
        self.flush()
        self.a *= math.exp((self.k0 - k) * self.k_c)
        self.g.fill(0.0)
        self.G = 0.0
        self.k0 = k

    def eligibility(self, k):
        """Eligibility trace ``c`` of every synapse at step ``k``."""
        if not self.reward_modulated:
            raise PynValueError("this connection has no eligibility trace (its rule is 'stdp', not 'rstdp')")
        return self.a * math.exp((self.k0 - k) * self.k_c)

    def weights_changed(self):
        """After the weights were set from outside: nothing is pending any more."""
        if self.reward_modulated:
            self.g[:] = self.G

    # -- checkpoint --------------------------------------------------------
    def state_arrays(self) -> dict:
        """Copies of the learning state (traces, their epoch; R-STDP: eligibility, ``g``, ``G``, its epoch).

        Scalars are 0-d arrays, so every value keeps its exact bits.  The
        weights are the connection's own (saved with it); the late side's
        spikes on their way are backend state (:meth:`pending_events`).
        """
        out = {"X": self.X.copy(), "Y": self.Y.copy(), "ke": np.array(self.ke, dtype=np.int64)}
        if self.reward_modulated:
            out.update(a=self.a.copy(), g=self.g.copy(), G=np.array(self.G, dtype=np.float64),
                       k0=np.array(self.k0, dtype=np.int64))
        return out

    def load_state_arrays(self, arrays: dict):
        """Write :meth:`state_arrays` back, in place (the caller has checked names, shapes and types)."""
        self.X[...] = arrays["X"]
        self.Y[...] = arrays["Y"]
        self.ke = int(arrays["ke"])
        if self.reward_modulated:
            self.a[...] = arrays["a"]
            self.g[...] = arrays["g"]
            self.G = float(arrays["G"])
            self.k0 = int(arrays["k0"])

    def _late_ptr(self):
        """The CSR pointer of the late side's neurons over the entries that carry ``lag``."""
        return self.index.row_ptr if self.late == "pre" else self.index.col_ptr

    def late_neurons(self) -> int:
        """How many neurons the late side has (0 when no side is late)."""
        return 0 if self.late is None else self._late_ptr().size - 1

    def canonical_events(self, steps, ids, k):
        """The late-side spikes ``(steps, ids)`` that still reach a synapse at step ``k`` or later.

        Sorted by step, then neuron, without repeats: the one form in which
        every backend exports and imports them (the numba backend remembers
        every spike of the last ``ring_len`` steps, this class only the
        entries still waiting; both give the same events here).
        """
        steps, ids = np.asarray(steps, dtype=np.int64), np.asarray(ids, dtype=np.int64)
        if self.late is None or steps.size == 0:
            return _EMPTY.copy(), _EMPTY.copy()
        ptr = self._late_ptr()
        deg = np.diff(ptr)
        max_lag = np.full(deg.size, -1, dtype=np.int64)
        np.maximum.at(max_lag, np.repeat(np.arange(deg.size), deg), self.lag)
        keep = steps + max_lag[ids] >= k
        steps, ids = steps[keep], ids[keep]
        order = np.lexsort((ids, steps))
        steps, ids = steps[order], ids[order]
        first = np.ones(steps.size, dtype=bool)
        first[1:] = (steps[1:] != steps[:-1]) | (ids[1:] != ids[:-1])
        return steps[first], ids[first]

    def pending_events(self, k):
        """(steps, neurons) of the late side's spikes still on their way at step ``k`` (the numpy ring)."""
        if self.late is None:
            return _EMPTY.copy(), _EMPTY.copy()
        L, ptr = self.ring_len, self._late_ptr()
        steps, ids = [_EMPTY], [_EMPTY]
        for slot, entries in enumerate(self.ring):
            arrival = k + (slot - k) % L        # the one step in [k, k + L) of this slot
            for ent in entries:
                ent = np.arange(ent.start, ent.stop) if isinstance(ent, slice) else np.asarray(ent)
                steps.append(arrival - self.lag[ent])
                ids.append(np.searchsorted(ptr, ent, side="right") - 1)
        return self.canonical_events(np.concatenate(steps), np.concatenate(ids), k)

    def set_pending_events(self, steps, ids, k):
        """Refill the numpy ring from late-side spikes ``(steps, ids)`` (:meth:`canonical_events` form) at step ``k``."""
        self.ring = [[] for _ in range(self.ring_len)]
        if self.late is None:
            return
        L, ptr = self.ring_len, self._late_ptr()
        steps, ids = self.canonical_events(steps, ids, k)
        bounds = np.flatnonzero(np.diff(steps)) + 1
        for group in np.split(np.arange(steps.size), bounds):
            if group.size == 0:
                continue
            s = int(steps[group[0]])
            ent = csr_entries(ptr, ids[group])
            lags = self.lag[ent]
            wait = s + lags >= k
            ent, lags = ent[wait], lags[wait]
            order = np.argsort(lags, kind="stable")
            ent, lags = ent[order], lags[order]
            cuts = np.flatnonzero(lags[1:] != lags[:-1]) + 1
            for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), ent.size]):
                if b > a:
                    self.ring[(s + int(lags[a])) % L].append(ent[a:b])


class PlasticityState:
    """Everything plastic in a simulation: learning connections, dopamine, short-term plasticity.

    Parameters
    ----------
    pops : list of PopArrays
    projs : list of ProjArrays
        Those with ``plastic`` (learning) or ``stp_state`` set take part.
    dt : float
    """

    def __init__(self, pops, projs, dt):
        self.connections = [q for q in projs if getattr(q, "plastic", None) is not None]
        self.modulators = []
        by_key = {}
        names = {p.name: p.index for p in pops}
        for q in self.connections:
            p = q.plastic.params
            if not q.plastic.reward_modulated:
                continue
            src = p["dopamine_from"]
            if src is not None and src not in names:
                raise PynLookupError(f"connection {q.name!r}: dopamine_from={src!r} is not a population of the "
                                  f"network; populations: {', '.join(names)}")
            key = (p["tau_d"], p["dopamine_baseline"], src, p["dopamine_per_spike"])
            if key not in by_key:
                by_key[key] = Modulator(p["tau_d"], p["dopamine_baseline"], None if src is None else names[src],
                                        p["dopamine_per_spike"], dt)
                self.modulators.append(by_key[key])
            q.plastic.modulator = by_key[key]
        self.active = bool(self.connections)
        self._steps = [(q.plastic.step, q.pre.index, q.post.index) for q in self.connections]

    def step(self, k, spikers):
        """The plasticity phase of step ``k`` (``spikers``: population index -> spiking neurons)."""
        for m in self.modulators:
            m.release(spikers)
        get = spikers.get
        for step, pre, post in self._steps:
            step(k, get(pre), get(post))
        for m in self.modulators:
            m.relax()

    def reward(self, amount, modulator=None):
        """Add ``amount`` of dopamine to one modulator or to all."""
        for m in (self.modulators if modulator is None else [modulator]):
            m.d += amount

    def flush(self):
        """Bring every reward-modulated weight up to date."""
        for q in self.connections:
            q.plastic.flush()
