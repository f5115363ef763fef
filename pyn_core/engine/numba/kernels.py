"""Compiled kernels of the numba backend that do not depend on the neuron model.

Each function is one phase of the per-step schedule of
:mod:`pyn_core.engine.numpy.backend` (the reference), written as plain loops
over the simulation's own arrays.  The arrays of a network (one per
population, receptor, projection, ...) live in the *pools* of
:mod:`.pools`, one contiguous array per element type; each population,
receptor, stimulus, projection, learning connection, modulator and recorded
trace is one record of a typed table (the record types below), whose named
fields hold its sizes, codes, constants and the offsets of its arrays in
the pools.  :func:`at` and :func:`at2` turn an offset into a view of the
pool (checked against the pool's bounds under ``PYN_NUMBA_BOUNDSCHECK=1``,
which also checks every index).  One compiled kernel serves every network
and nothing is copied per step.

Every loop visits neurons and synapses in the order the numpy backend does
and evaluates the same expressions, so sums come out bit for bit equal.
The phases take ``part, nparts`` to serve one of ``nparts`` equal ranges of
neurons (spike propagation: of target neurons), so that the threaded driver
can run the ranges side by side; every target still receives its inputs in
the serial order, so the results do not depend on the number of threads.
"""
from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import numba
import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array

from .. import elementwise
from .jit import BOUNDSCHECK, cache_root, jit_function

#: Outputs of a receptor's synapse kind (``RECEPTOR.out``).
OUT_CURRENT, OUT_CONDUCTANCE, OUT_VOLTAGE = 0, 1, 2
#: Recorded derived variables (``TRACE.code`` below the state indices).
REC_I_EXT, REC_I_SYN = -1, -2
#: ``POPULATION.model`` of the spike sources (the neuron populations: their model kernel's number).
SOURCE_POISSON, SOURCE_EVENTS = -1, -2
#: which side of a learning connection reaches its synapses late (the timing shift of the delays)
LATE_NONE, LATE_PRE, LATE_POST = 0, 1, 2
#: rebase a reward-modulated connection after this many tau_c (as the numpy backend)
EPOCH_TAU = 10.0
#: The pools (:mod:`.pools`): name -> element type; None: the simulation's weight, ring or delay type.
POOLS = {"F64": np.float64, "I64": np.int64, "I32": np.int32, "BOOL": np.bool_, "W": None, "R": None, "D": None}

_F8, _U8 = np.float64, np.uint64


def record_type(*fields) -> np.dtype:
    """An aligned record type: each field a name (int64) or a (name, type) pair."""
    return np.dtype([(f, np.int64) if isinstance(f, str) else f for f in fields], align=True)


#: A population.  Offsets into the pools (F64 unless said): ``v``, ``I``, ``G``, ``GE``, ``I_ext``, ``v_prev``,
#: ``spiked`` (BOOL), ``ref_count``, ``ref_steps`` (I64); ``state``/``params``: its first entry in the STATE /
#: PARAMS offset lists; ``model``: the model kernel's number (or SOURCE_*), ``fused``: the population kernel's
#: number or -1.  Spike sources: ``k0``, ``k1`` (-1: open), ``p_max``, ``ratio`` (n_ratio values; 0: none),
#: ``next`` (I64: the next candidate), ``ev_steps``, ``ev_ids`` (I64, n_events each), ``cursor`` (I64).
POPULATION = record_type(
    "n", "neuron", "model", "fused", "has_ext", "has_cond", "v", "I", "G", "GE", "I_ext", "v_prev", "spiked",
    "ref_count", "ref_steps", "state", "params",
    "k0", "k1", ("p_max", _F8), "ratio", "n_ratio", "next", "ev_steps", "ev_ids", "n_events", "cursor")
#: A receptor: target population ``post`` (``n`` neurons), synapse-kind code, output (OUT_*), its state
#: (F64, n_state x n) and ring buffer (R, ring_len x n), the reversal potential ``E`` of a conductance kind.
#: The kind's arguments are row ``r`` of the float table RARGS.
RECEPTOR = record_type("post", "kind", "out", "n", "state", "n_state", "ring", ("E", _F8))
#: A current window into ``I_ext`` of ``pop`` during steps ``k0..k1``: ``amp``, or a table (``cols`` values
#: per step from ``table`` in C_TAB); the neurons ``idx .. idx + n_idx`` of C_IDX (n_idx -1: all).
CURRENT = record_type("pop", "k0", "k1", "table", "cols", "idx", "n_idx", ("amp", _F8))
#: Gaussian noise into ``I_ext``: the window and neurons as CURRENT, ``mean`` and ``std``.
NOISE = record_type("pop", "k0", "k1", "idx", "n_idx", ("mean", _F8), ("std", _F8))
#: Poisson counts of mean ``lam`` into a receptor: the window and neurons as CURRENT (P_IDX), the count table
#: (``n_cdf`` values of P_CDF from ``cdf``; 0: a Poisson draw), the counter keys, ``one_row``: the one state
#: variable a count adds to (or -1); what it adds is column ``c`` of PSN_INC.
POISSON = record_type("receptor", "k0", "k1", "cdf", "n_cdf", "idx", "n_idx", "one_row", ("lam", _F8),
                      ("key_lo", _U8), ("key_hi", _U8))
#: A connection: ``pre`` population, ``receptor``, switched ``on``, CSR ``indptr`` (I64, n_pre + 1), ``post``
#: (I32), weights ``w`` (W; one value when ``w_const``), ``delay`` (D) unless ``uniform_delay`` > 0,
#: ``sorted`` rows, ``sign``; ``stp``: its row of STP_R plus one (0: no short-term plasticity), with ``u``,
#: ``x`` (F64) and ``last`` (I64) per presynaptic neuron and ``U``, ``k_rec``, ``k_fac`` (-1: no facilitation).
PROJECTION = record_type(
    "pre", "receptor", "on", "uniform_delay", "sorted", "indptr", "post", "w", "w_const", "delay", "n_pre",
    "n_syn", "stp", "u", "x", "last", ("sign", _F8), ("U", _F8), ("k_rec", _F8), ("k_fac", _F8))
#: A learning connection (pair STDP; R-STDP when ``rstdp``) of projection ``proj``: weights ``w`` (W), the
#: synapse index (I64: ``row_ptr``, ``row_syn`` (-1: rows are the synapses), ``row_post``, ``col_ptr``,
#: ``col_syn``, ``col_pre``), the traces ``X``, ``Y`` (F64, n_x, n_y) and their epoch ``ke`` (rescaled after
#: ``epoch_steps``), the late side (LATE_*: spike ring ``hist``, ``hist_n`` of ``ring_len`` steps, ``lag``
#: per entry; I64); R-STDP: eligibility ``a`` and ``g`` (F64), ``modulator``, the dopamine integral ``G`` and
#: its epoch ``k0``.  ``ke``, ``G`` and ``k0`` change as the simulation runs.
LEARNER = record_type(
    "pre", "post", "proj", "w", "n_syn", "n_pre", "n_post", "row_ptr", "row_syn", "row_post", "col_ptr",
    "col_syn", "col_pre", "X", "Y", "n_x", "n_y", "ke", "epoch_steps", "nearest", "mult", "late", "ring_len",
    "hist", "hist_n", "lag", "rstdp", "a", "g", "modulator", "k0",
    ("a_plus", _F8), ("a_minus", _F8), ("w_min", _F8), ("w_max", _F8), ("k_plus", _F8), ("k_minus", _F8),
    ("k_c", _F8), ("dt", _F8), ("G", _F8))
#: A dopamine modulator: ``source`` population (-1: none), release per spike, baseline, decay per step and
#: the concentration ``d`` (which changes as the simulation runs).
MODULATOR = record_type("source", ("per_spike", _F8), ("baseline", _F8), ("decay", _F8), ("d", _F8))
#: A recorded trace: population, variable (its state index or REC_*), its rows in the chunk block ``out``
#: (offset into RB; samples x n).
TRACE = record_type("pop", "code", "out", "n")

#: njit options of every kernel (on-disk caching: see _enable_caching at the end)
_OPTS = dict(nogil=True, boundscheck=BOUNDSCHECK)


# the engine's elementwise arithmetic (pyn_core.engine.elementwise), compiled
stdp_pair = jit_function(elementwise.stdp_pair)
rstdp_flush = jit_function(elementwise.rstdp_flush)
tm_release = jit_function(elementwise.tm_release)
hash_uniform = jit_function(elementwise.hash_uniform)
synaptic_current = jit_function(elementwise.synaptic_current)


@intrinsic
def _region(typingctx, pool, offset, n):
    """The ``n`` elements of the 1-D array ``pool`` from ``offset``, as a view that holds no reference.

    A slice would do the same with a reference count taken and dropped (atomic operations) for every
    view; the kernels take several views per step and population, and never keep one beyond the
    call that passed them ``pool``, which the caller keeps alive.  :func:`at` checks the bounds.
    """
    if not isinstance(pool, types.Array) or pool.ndim != 1 or pool.layout != "C":
        return None
    view = types.Array(pool.dtype, 1, "C")

    def codegen(context, builder, sig, args):
        src = make_array(sig.args[0])(context, builder, args[0])
        off = context.cast(builder, args[1], sig.args[1], types.intp)
        count = context.cast(builder, args[2], sig.args[2], types.intp)
        out = make_array(view)(context, builder)
        size = context.get_constant(types.intp, context.get_abi_sizeof(context.get_data_type(view.dtype)))
        populate_array(out, data=builder.gep(src.data, [off]), shape=cgutils.pack_array(builder, [count]),
                       strides=cgutils.pack_array(builder, [size]), itemsize=size, meminfo=None)
        return out._getvalue()
    return view(pool, offset, n), codegen


@njit(inline="always", **_OPTS)
def at(pool, offset, n):
    """The ``n`` elements of ``pool`` from ``offset`` (a view; valid while ``pool`` is)."""
    if BOUNDSCHECK and (offset < 0 or n < 0 or offset + n > pool.size):
        raise IndexError("an offset of the numba tables lies outside its pool")
    return _region(pool, offset, n)


@njit(inline="always", **_OPTS)
def at2(pool, offset, rows, cols):
    """The C-ordered (rows, cols) array of ``pool`` from ``offset`` (a view)."""
    return at(pool, offset, rows * cols).reshape((rows, cols))


# ---------------------------------------------------------------------------
# 1. delivery of the ring-buffer slot
# ---------------------------------------------------------------------------
@njit(**_OPTS)
def part_range(n, part, nparts):
    """Neurons ``[lo, hi)`` of part ``part`` out of ``nparts`` equal parts of ``n``."""
    return n * part // nparts, n * (part + 1) // nparts


# ---------------------------------------------------------------------------
# 2. external input
# ---------------------------------------------------------------------------
@njit(**_OPTS)
def stimulate(k, rng, F64, POPS, RECS, CURS, C_TAB, C_IDX, NOIS, N_IDX, PSNS, PSN_INC, P_CDF, P_IDX):
    """Current windows and noise into ``I_ext``, Poisson counts into their receptors.

    Draws from ``rng`` in the numpy backend's order: every noise stimulus
    (a normal per target neuron), then the Poisson stimuli with a mean too
    large for a table (a Poisson draw per target).  The other Poisson counts
    come from the counter-based uniforms of :func:`hash_uniform` (the
    stimulus's keys) and their table.  A count adds ``PSN_INC[z, c]`` times
    itself to state variable ``z`` of the receptor (the kind's arrival of the
    weight; for a voltage kind, row 0 is the jump of ``v``).
    """
    for j in range(POPS.size):
        p = POPS[j]
        if p.has_ext:
            e = at(F64, p.I_ext, p.n)
            for i in range(e.size):
                e[i] = 0.0
    for c in range(CURS.size):
        w = CURS[c]
        if k < w.k0 or (w.k1 >= 0 and k > w.k1):
            continue
        p = POPS[w.pop]
        e = at(F64, p.I_ext, p.n)
        lo, n = w.idx, w.n_idx
        cols = w.cols
        if cols <= 1:
            value = w.amp if cols == 0 else C_TAB[w.table + k - w.k0]
            if n < 0:
                for i in range(e.size):
                    e[i] += value
            else:
                for t in range(lo, lo + n):
                    e[C_IDX[t]] += value
        else:
            base = w.table + (k - w.k0) * cols
            if n < 0:
                for i in range(e.size):
                    e[i] += C_TAB[base + i]
            else:
                for t in range(n):
                    e[C_IDX[lo + t]] += C_TAB[base + t]
    for c in range(NOIS.size):
        w = NOIS[c]
        if k < w.k0 or (w.k1 >= 0 and k > w.k1):
            continue
        p = POPS[w.pop]
        e = at(F64, p.I_ext, p.n)
        mean, std = w.mean, w.std
        lo, n = w.idx, w.n_idx
        if n < 0:
            for i in range(e.size):
                e[i] += rng.normal(mean, std)
        else:
            for t in range(lo, lo + n):
                e[N_IDX[t]] += rng.normal(mean, std)
    for c in range(PSNS.size):
        w = PSNS[c]
        if k < w.k0 or (w.k1 >= 0 and k > w.k1):
            continue
        rc = RECS[w.receptor]
        nr = rc.n
        if rc.out == OUT_VOLTAGE:        # the jump of v per count
            S = at2(F64, POPS[rc.post].v, 1, nr)
        else:                            # what a count adds to each state variable
            S = at2(F64, rc.state, rc.n_state, nr)
        lam = w.lam
        t0, tn = w.cdf, w.n_cdf
        lo, n = w.idx, w.n_idx
        count = n if n >= 0 else nr
        z1 = w.one_row                   # the one state variable a count adds to, or -1 for several
        row = S[max(z1, 0)]
        inc = PSN_INC[max(z1, 0), c]
        if tn == 0:
            for t in range(count):
                i = t if n < 0 else P_IDX[lo + t]
                cnt = rng.poisson(lam)
                if z1 >= 0:
                    row[i] += inc * cnt
                else:
                    for z in range(S.shape[0]):
                        S[z, i] += PSN_INC[z, c] * cnt
            continue
        key_lo, key_hi = w.key_lo, w.key_hi
        base = np.uint64(k) * np.uint64(count)
        cdf = P_CDF[t0:t0 + tn]
        head = min(tn - 1, 8)
        for t in range(count):
            u = hash_uniform(key_lo, key_hi, base + np.uint64(t))
            cnt = 0
            for b in range(head):      # branch-free over the likely counts ...
                cnt += u >= cdf[b]
            if cnt == head:            # ... and a rare walk through the tail
                while u >= cdf[cnt]:
                    cnt += 1
            i = t if n < 0 else P_IDX[lo + t]
            if z1 >= 0:
                row[i] += inc * cnt
            else:
                for z in range(S.shape[0]):
                    S[z, i] += PSN_INC[z, c] * cnt


# ---------------------------------------------------------------------------
# 3. input summation and trace recording
# ---------------------------------------------------------------------------
@njit(**_OPTS)
def init_inputs(F64, POPS, part=0, nparts=1, skip_fused=False):
    """Start of phase sum_inputs: ``I = I_ext``, ``G = GE = 0`` (neurons of part ``part`` of ``nparts``).

    With ``skip_fused`` the populations with a population kernel are left out.
    """
    for j in range(POPS.size):
        p = POPS[j]
        if not p.neuron or (skip_fused and p.fused >= 0):
            continue
        n = p.n
        lo, hi = part_range(n, part, nparts)
        a = at(F64, p.I, n)
        e = at(F64, p.I_ext, n)
        for i in range(lo, hi):
            a[i] = e[i]
        if p.has_cond:
            g = at(F64, p.G, n)
            ge = at(F64, p.GE, n)
            for i in range(lo, hi):
                g[i] = 0.0
                ge[i] = 0.0


@njit(**_OPTS)
def record(k, rec_steps, rec_fill, TRCS, RB, F64, POPS, STATE):
    """Copy the recorded variables into their chunk row when ``k`` is a sampling step."""
    f = rec_fill[0]
    if f >= rec_steps.size or rec_steps[f] != k:
        return
    rows = rec_steps.size
    for r in range(TRCS.size):
        tr = TRCS[r]
        p = POPS[tr.pop]
        code = tr.code
        n = tr.n
        out = at2(RB, tr.out, rows, n)[f]
        if code >= 0:
            src = at(F64, STATE[p.state + code], n)
            for i in range(n):
                out[i] = src[i]
        elif code == REC_I_EXT:
            src = at(F64, p.I_ext, n)
            for i in range(n):
                out[i] = src[i]
        else:
            a = at(F64, p.I, n)
            g = at(F64, p.G, n)
            ge = at(F64, p.GE, n)
            e = at(F64, p.I_ext, n)
            v = at(F64, STATE[p.state], n)
            for i in range(n):
                out[i] = synaptic_current(a[i], e[i], g[i], ge[i], v[i])
    rec_fill[0] = f + 1


# ---------------------------------------------------------------------------
# 4. spike sources
# ---------------------------------------------------------------------------
@njit(**_OPTS)
def fire_source(k, j, rng, F64, I64, BOOL, POPS, sb_step, sb_id, sb_pop, fill):
    """Spikes of source population ``j`` at step ``k`` (Poisson or spike generator)."""
    p = POPS[j]
    n = p.n
    spk = at(BOOL, p.spiked, n)
    for i in range(n):
        spk[i] = False
    f = fill[0]
    if p.model == SOURCE_POISSON:
        p_max = p.p_max
        k0, k1 = p.k0, p.k1
        if p_max <= 0.0 or k < k0 or (k1 >= 0 and k >= k1):
            return
        ratio = at(F64, p.ratio, p.n_ratio)
        thin = ratio.size > 0
        state = at(I64, p.next, 1)
        base = (k - k0) * n
        end = base + n
        nxt = state[0]
        if nxt < 0:
            nxt = rng.geometric(p_max) - 1
        while nxt < end:
            i = nxt - base
            if not thin or rng.random() < ratio[i]:
                spk[i] = True
                sb_step[f] = k
                sb_id[f] = i
                sb_pop[f] = j
                f += 1
            nxt += rng.geometric(p_max)
        state[0] = nxt
    else:
        nev = p.n_events
        steps = at(I64, p.ev_steps, nev)
        ids = at(I64, p.ev_ids, nev)
        cursor = at(I64, p.cursor, 1)
        c = cursor[0]
        while c < nev and steps[c] < k:
            c += 1
        while c < nev and steps[c] == k:
            spk[ids[c]] = True
            c += 1
        cursor[0] = c
        for i in range(n):
            if spk[i]:
                sb_step[f] = k
                sb_id[f] = i
                sb_pop[f] = j
                f += 1
    fill[0] = f


@njit(**_OPTS)
def collect_spikes(k, j, spk, sb_step, sb_id, sb_pop, fill):
    """Append the neurons of ``spk`` that fired (ascending) to the spike buffer."""
    f = fill[0]
    for i in range(spk.size):
        if spk[i]:
            sb_step[f] = k
            sb_id[f] = i
            sb_pop[f] = j
            f += 1
    fill[0] = f


# ---------------------------------------------------------------------------
# 6. propagation into the ring buffers
# ---------------------------------------------------------------------------
@njit(**_OPTS)
def _row_start(post, a, b, lo):
    """First position in ``post[a:b]`` (sorted) holding a value >= ``lo``."""
    while a < b:
        m = (a + b) >> 1
        if post[m] < lo:
            a = m + 1
        else:
            b = m
    return a


@njit(**_OPTS)
def stp_release(k, F64, I64, PRJS, q, spk_lo, spk_hi, sb_id, release):
    """Tsodyks-Markram release ``r = u x`` of the spikers of connection ``q`` at step ``k`` into ``release``.

    The expressions of :func:`pyn_core.engine.plasticity.stp_release`;
    as there, nothing happens when the spikers have no synapse in ``q`` or
    ``q`` is switched off.
    """
    pq = PRJS[q]
    j = pq.pre
    n = pq.n_pre
    if not pq.on or spk_lo[j] == spk_hi[j]:
        return
    ip = at(I64, pq.indptr, n + 1)
    total = 0
    for s in range(spk_lo[j], spk_hi[j]):
        total += ip[sb_id[s] + 1] - ip[sb_id[s]]
    if total == 0:
        return
    us = at(F64, pq.u, n)
    xs = at(F64, pq.x, n)
    last = at(I64, pq.last, n)
    U, k_rec, k_fac = pq.U, pq.k_rec, pq.k_fac
    fac = k_fac >= 0.0
    for s in range(spk_lo[j], spk_hi[j]):
        i = sb_id[s]
        u, x, r = tm_release(us[i], xs[i], np.float64(k - last[i]), U, k_rec, k_fac, fac)
        xs[i] = x
        us[i] = u
        last[i] = k
        release[s] = r


@njit(**_OPTS)
def propagate(k, L, I64, I32, W, R, D, PRJS, RECS, spk_lo, spk_hi, sb_id, STP_R, part=0, nparts=1):
    """Add the weights of the synapses of this step's spikers to the delayed ring slots.

    With ``nparts > 1`` only the targets of part ``part`` are served: rows
    sorted by target are entered at the first target of the part by
    bisection, unsorted rows are filtered; each target receives its inputs in
    the serial order, so the sums equal the serial ones bit for bit.
    """
    ks = k % L
    whole = nparts == 1
    for q in range(PRJS.size):
        pq = PRJS[q]
        if not pq.on:
            continue
        j = pq.pre
        lo, hi = spk_lo[j], spk_hi[j]
        if lo == hi:
            continue
        rc = RECS[pq.receptor]
        n = rc.n
        t_lo, t_hi = part_range(n, part, nparts)
        ring = at2(R, rc.ring, L, n)
        nsyn = pq.n_syn
        ip = at(I64, pq.indptr, pq.n_pre + 1)
        post = at(I32, pq.post, nsyn)
        wconst = pq.w_const != 0
        w = at(W, pq.w, 1 if wconst else nsyn)
        sign = pq.sign
        ud = pq.uniform_delay
        srt = pq.sorted != 0
        stp = pq.stp != 0
        release = STP_R[max(pq.stp - 1, 0)]
        if ud > 0 and whole and not stp:
            slot = ks + ud
            if slot >= L:
                slot -= L
            row = ring[slot]
            if wconst:          # one weight for the whole connection: only the targets are read
                value = w[0] * sign
                for s in range(lo, hi):
                    i = sb_id[s]
                    for syn in range(ip[i], ip[i + 1]):
                        row[post[syn]] += value
            else:
                for s in range(lo, hi):
                    i = sb_id[s]
                    for syn in range(ip[i], ip[i + 1]):
                        row[post[syn]] += w[syn] * sign
            continue
        if ud > 0:
            slot = ks + ud
            if slot >= L:
                slot -= L
            row = ring[slot]
            for s in range(lo, hi):
                i = sb_id[s]
                a, b = ip[i], ip[i + 1]
                rel = release[s] if stp else 1.0
                if whole:
                    for syn in range(a, b):
                        ws = w[0] if wconst else w[syn]
                        row[post[syn]] += (ws * rel if stp else ws) * sign
                elif srt:
                    for syn in range(_row_start(post, a, b, t_lo), b):
                        t = post[syn]
                        if t >= t_hi:
                            break
                        ws = w[0] if wconst else w[syn]
                        row[t] += (ws * rel if stp else ws) * sign
                else:
                    for syn in range(a, b):
                        t = post[syn]
                        if t >= t_lo and t < t_hi:
                            ws = w[0] if wconst else w[syn]
                            row[t] += (ws * rel if stp else ws) * sign
        else:
            d = at(D, pq.delay, nsyn)
            for s in range(lo, hi):
                i = sb_id[s]
                a, b = ip[i], ip[i + 1]
                rel = release[s] if stp else 1.0
                if srt and not whole:
                    a = _row_start(post, a, b, t_lo)
                for syn in range(a, b):
                    t = post[syn]
                    if not whole:
                        if t >= t_hi:
                            if srt:
                                break
                            continue
                        if t < t_lo:
                            continue
                    slot = ks + d[syn]
                    if slot >= L:
                        slot -= L
                    ws = w[0] if wconst else w[syn]
                    ring[slot, t] += (ws * rel if stp else ws) * sign


# ---------------------------------------------------------------------------
# 7. plasticity (pair STDP)
# ---------------------------------------------------------------------------
@njit(**_OPTS)
def _pair_update(w, syn, scaled, amp, w_min, w_max, mult, potentiate):
    """One pair update of weight ``syn`` with the trace ``scaled`` (:func:`.elementwise.stdp_pair`)."""
    w[syn] = stdp_pair(w[syn], scaled, amp, w_min, w_max, mult, potentiate)


@njit(**_OPTS)
def _flush(w, a, g, syn, G, w_min, w_max):
    """Bring the weight of reward-modulated synapse ``syn`` up to date: ``w += a (G - g)``, clipped."""
    w[syn] = rstdp_flush(w[syn], a[syn], g[syn], G, w_min, w_max)
    g[syn] = G


@njit(**_OPTS)
def _update(w, syn, scaled, amp, w_min, w_max, mult, potentiate, rstdp, a, g, G, elig):
    """A pair at synapse ``syn``: the weight (STDP) or, brought up to date first, the eligibility (R-STDP)."""
    if rstdp:
        _flush(w, a, g, syn, G, w_min, w_max)
        a[syn] += elig * scaled
    else:
        _pair_update(w, syn, scaled, amp, w_min, w_max, mult, potentiate)


@njit(**_OPTS)
def flush_rows(k, F64, I64, W, LRNS, PRJS, spk_lo, spk_hi, sb_id):
    """Before propagation: the reward-modulated weights of this step's spiking rows, up to date."""
    for c in range(LRNS.size):
        ln = LRNS[c]
        if not ln.rstdp:
            continue
        pq = PRJS[ln.proj]
        j = ln.pre
        if not pq.on or spk_lo[j] == spk_hi[j]:
            continue
        n = ln.n_syn
        w = at(W, ln.w, n)
        a = at(F64, ln.a, n)
        g = at(F64, ln.g, n)
        ip = at(I64, pq.indptr, pq.n_pre + 1)
        for s in range(spk_lo[j], spk_hi[j]):
            i = sb_id[s]
            for syn in range(ip[i], ip[i + 1]):
                _flush(w, a, g, syn, ln.G, ln.w_min, ln.w_max)


@njit(**_OPTS)
def _remember(hist, histn, slot, lo, hi, sb_id):
    """Keep this step's spikers (``sb_id[lo:hi]``) in slot ``slot`` of a late side's spike ring."""
    histn[slot] = hi - lo
    for s in range(lo, hi):
        hist[slot, s - lo] = sb_id[s]


@njit(**_OPTS)
def plasticity(k, F64, I64, W, LRNS, MODS, spk_lo, spk_hi, sb_id):
    """Pair STDP of every learning connection at step ``k`` (after the propagation).

    The scaled traces, their epoch and the late side of
    :class:`pyn_core.engine.plasticity.PlasticConnection`: the
    presynaptic spikes reaching their synapses now depress, then the
    postsynaptic ones potentiate; each trace is bumped after its updates.
    On the late side (a timing shift from the delays) the trace is kept per
    synapse and the spikes of the last ``ring`` steps are remembered, so that
    an entry of lag ``l`` is handled ``l`` steps after its neuron fired.
    Every synapse is updated at most once per pass and reads the other side's
    trace only, so the order within a pass does not matter.

    Reward-modulated connections (``G``: the running dopamine integral,
    ``k0``: its epoch) change their eligibility instead, integrate the
    dopamine ``d`` of their modulator after their pairs, and rebase every
    ``EPOCH_TAU`` time constants; the modulators release dopamine for the
    spikes of their source population first and relax last, as
    :class:`pyn_core.engine.plasticity.PlasticityState` does.
    """
    for m in range(MODS.size):
        md = MODS[m]
        src = md.source
        if src >= 0 and spk_hi[src] > spk_lo[src]:
            md.d += md.per_spike * (spk_hi[src] - spk_lo[src])
    for c in range(LRNS.size):
        ln = LRNS[c]
        n_pre, n_post = ln.n_pre, ln.n_post
        late = ln.late
        X = at(F64, ln.X, ln.n_x)
        Y = at(F64, ln.Y, ln.n_y)
        k_plus, k_minus = ln.k_plus, ln.k_minus
        w_min, w_max = ln.w_min, ln.w_max
        ke = ln.ke
        if k - ke > ln.epoch_steps:
            fx = np.exp((ke - k) * k_plus)
            fy = np.exp((ke - k) * k_minus)
            for i in range(X.size):
                X[i] *= fx
            for i in range(Y.size):
                Y[i] *= fy
            ke = k
            ln.ke = k
        w = at(W, ln.w, ln.n_syn)
        mult = ln.mult != 0
        nearest = ln.nearest != 0
        row_ptr = at(I64, ln.row_ptr, n_pre + 1)
        nrow = row_ptr[n_pre]
        whole = ln.row_syn < 0
        row_syn = at(I64, max(ln.row_syn, 0), 0 if whole else nrow)
        row_post = at(I64, ln.row_post, nrow)
        col_ptr = at(I64, ln.col_ptr, n_post + 1)
        ncol = col_ptr[n_post]
        col_syn = at(I64, ln.col_syn, ncol)
        col_pre = at(I64, ln.col_pre, ncol)
        amp_minus = ln.a_minus * np.exp((ke - k) * k_minus)
        amp_plus = ln.a_plus * np.exp((ke - k) * k_plus)
        up_x = np.exp((k - ke) * k_plus)
        up_y = np.exp((k - ke) * k_minus)
        RL = ln.ring_len
        rstdp = ln.rstdp != 0
        n_syn = ln.n_syn if rstdp else 0
        a = at(F64, ln.a, n_syn)
        g = at(F64, ln.g, n_syn)
        G = ln.G
        k_c = ln.k_c
        grow = np.exp((k - ln.k0) * k_c) if rstdp else 1.0
        elig_minus = -ln.a_minus * np.exp((ke - k) * k_minus) * grow
        elig_plus = ln.a_plus * np.exp((ke - k) * k_plus) * grow
        # presynaptic side: depression, then the presynaptic trace
        j = ln.pre
        lo, hi = spk_lo[j], spk_hi[j]
        if late == LATE_PRE:
            hist = at2(I64, ln.hist, RL, n_pre)
            histn = at(I64, ln.hist_n, RL)
            lag = at(I64, ln.lag, nrow)
            _remember(hist, histn, k % RL, lo, hi, sb_id)
            for lg in range(RL):
                slot = (k - lg) % RL
                for t in range(histn[slot]):
                    i = hist[slot, t]
                    for e in range(row_ptr[i], row_ptr[i + 1]):
                        if lag[e] != lg:
                            continue
                        syn = e if whole else row_syn[e]
                        _update(w, syn, Y[row_post[e]], amp_minus, w_min, w_max, mult, False, rstdp, a, g, G, elig_minus)
                        X[syn] = up_x if nearest else X[syn] + up_x
        elif hi > lo:
            for s in range(lo, hi):
                i = sb_id[s]
                for e in range(row_ptr[i], row_ptr[i + 1]):
                    syn = e if whole else row_syn[e]
                    y = Y[syn] if late == LATE_POST else Y[row_post[e]]
                    _update(w, syn, y, amp_minus, w_min, w_max, mult, False, rstdp, a, g, G, elig_minus)
            for s in range(lo, hi):
                i = sb_id[s]
                X[i] = up_x if nearest else X[i] + up_x
        # postsynaptic side: potentiation, then the postsynaptic trace
        j = ln.post
        lo, hi = spk_lo[j], spk_hi[j]
        if late == LATE_POST:
            hist = at2(I64, ln.hist, RL, n_post)
            histn = at(I64, ln.hist_n, RL)
            lag = at(I64, ln.lag, ncol)
            _remember(hist, histn, k % RL, lo, hi, sb_id)
            for lg in range(RL):
                slot = (k - lg) % RL
                for t in range(histn[slot]):
                    i = hist[slot, t]
                    for e in range(col_ptr[i], col_ptr[i + 1]):
                        if lag[e] != lg:
                            continue
                        syn = col_syn[e]
                        _update(w, syn, X[col_pre[e]], amp_plus, w_min, w_max, mult, True, rstdp, a, g, G, elig_plus)
                        Y[syn] = up_y if nearest else Y[syn] + up_y
        elif hi > lo:
            for s in range(lo, hi):
                i = sb_id[s]
                for e in range(col_ptr[i], col_ptr[i + 1]):
                    syn = col_syn[e]
                    x = X[syn] if late == LATE_PRE else X[col_pre[e]]
                    _update(w, syn, x, amp_plus, w_min, w_max, mult, True, rstdp, a, g, G, elig_plus)
            for s in range(lo, hi):
                i = sb_id[s]
                Y[i] = up_y if nearest else Y[i] + up_y
        if rstdp:                            # dopamine: the running integral and its epoch
            k0 = ln.k0
            d = MODS[ln.modulator].d
            if d != 0.0:
                ln.G = G + np.exp((k0 - k) * k_c) * d * ln.dt
            if (k + 1 - k0) * k_c > EPOCH_TAU:
                G = ln.G
                for syn in range(n_syn):
                    _flush(w, a, g, syn, G, w_min, w_max)
                f = np.exp((k0 - (k + 1)) * k_c)
                for syn in range(n_syn):
                    a[syn] *= f
                    g[syn] = 0.0
                ln.G = 0.0
                ln.k0 = k + 1
    for m in range(MODS.size):
        md = MODS[m]
        md.d = md.baseline + (md.d - md.baseline) * md.decay


def _source_hash() -> str:
    """Hash of this module's source and of the elementwise arithmetic its kernels compile in."""
    h = hashlib.sha256()
    for path in (__file__, inspect.getfile(elementwise)):
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:20]


#: What the compiled kernels depend on; the generated modules' names carry it too.
SOURCE_HASH = _source_hash()


def _enable_caching():
    """Cache these kernels on disk, in a folder named after :data:`SOURCE_HASH`.

    The kernels call the compiled :mod:`pyn_core.engine.elementwise`
    functions, whose machine code numba stores inside theirs; numba's own
    cache check looks only at this file, so the folder's name carries a hash
    of both files: a change to either gives a fresh cache, never a stale one.
    """
    old = numba.config.CACHE_DIR
    numba.config.CACHE_DIR = str(cache_root() / f"kernels-{SOURCE_HASH}{'-boundscheck' if BOUNDSCHECK else ''}")
    try:
        for obj in list(globals().values()):
            if isinstance(obj, numba.core.dispatcher.Dispatcher) and obj.py_func.__module__ == __name__:
                obj.enable_caching()
    finally:
        numba.config.CACHE_DIR = old


_enable_caching()
