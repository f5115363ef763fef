"""Compiled kernels of the numba backend that do not depend on the neuron model.

Each function is one phase of the per-step schedule of
:mod:`pyn_core.engine.numpy.backend` (the reference), written as plain loops
over the simulation's own arrays.  The arrays of a network (one per
population, receptor, projection, ...) reach the compiled code as *address
tables*: int64 tables holding, per item, the address of each of its arrays
and its sizes, turned back into array views with :func:`at` (views that
carry their shape, so ``PYN_NUMBA_BOUNDSCHECK=1`` checks every index).  The backend
keeps the arrays alive and rebuilds the tables before every call, so one
compiled kernel serves every network and nothing is copied.

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
from numba import carray, njit, types
from numba.extending import intrinsic

from .. import elementwise
from .jit import BOUNDSCHECK, cache_root, jit_function

#: Outputs of a receptor's synapse kind (``R_OUT``).
OUT_CURRENT, OUT_CONDUCTANCE, OUT_VOLTAGE = 0, 1, 2
#: Recorded derived variables (codes below the state indices).
REC_I_EXT, REC_I_SYN = -1, -2

# rows of the population table
P_N, P_V, P_I, P_G, P_GE, P_IEXT, P_SPK, P_REFC, P_REFS, P_VPREV, P_HAS_EXT, P_HAS_COND, P_NEURON, P_MID, \
    P_SRC, P_ST, P_PA, P_FID = range(18)
# rows of the receptor tables (int and float)
R_POST, R_KIND, R_N, R_S, R_NS, R_RING, R_OUT = range(7)
#: float rows of a receptor: the reversal potential, then the kind's arguments (parameters and constants)
RF_E, RF_ARGS = 0, 1
# rows of the current / noise / Poisson stimulus tables
C_POP, C_K0, C_K1, C_TAB_OFF, C_TAB_COLS, C_IDX_OFF, C_IDX_N = range(7)
N_POP, N_K0, N_K1, N_IDX_OFF, N_IDX_N = range(5)
PS_REC, PS_K0, PS_K1, PS_CDF_OFF, PS_CDF_N, PS_IDX_OFF, PS_IDX_N, PS_ONE_ROW = range(8)
# rows of the source table
S_K0, S_K1, S_RATIO, S_RATIO_N, S_STATE, S_STEPS, S_IDS, S_NEV, S_CUR = range(9)
# rows of the projection table (int) and of its float companion
Q_PRE, Q_REC, Q_ON, Q_UD, Q_SORTED, Q_IP, Q_POST, Q_W, Q_D, Q_NPRE, Q_NSYN, Q_STP, Q_STP_U, Q_STP_X, \
    Q_STP_LAST, Q_WCONST = range(16)
QF_SIGN, QF_U, QF_KREC, QF_KFAC = range(4)
# rows of the plastic-connection table (int) and of its float companion
L_PRE, L_POST, L_W, L_NSYN, L_NPRE, L_NPOST, L_ROW_PTR, L_ROW_SYN, L_ROW_POST, L_COL_PTR, L_COL_SYN, \
    L_COL_PRE, L_X, L_Y, L_EPOCH, L_NEAREST, L_MULT, L_LATE, L_LAG, L_RL, L_HIST, L_HISTN, L_NX, L_NY, \
    L_RSTDP, L_A, L_G, L_MOD, L_PROJ = range(29)
#: floats of a reward-modulated connection (``LF`` rows after the STDP ones)
LF_KC, LF_DT = 6, 7
#: rows of the dopamine (modulator) table: int (source population or -1) and float
M_SOURCE = 0
MF_PER_SPIKE, MF_BASELINE, MF_DECAY = range(3)
#: rebase a reward-modulated connection after this many tau_c (as the numpy backend)
EPOCH_TAU = 10.0
#: which side of a learning connection reaches its synapses late (the timing shift of the delays)
LATE_NONE, LATE_PRE, LATE_POST = 0, 1, 2
LF_APLUS, LF_AMINUS, LF_WMIN, LF_WMAX, LF_KPLUS, LF_KMINUS = range(6)
# rows of the recording table
T_POP, T_CODE, T_OUT, T_N = range(4)

#: njit options of every kernel (on-disk caching: see _enable_caching at the end)
_OPTS = dict(nogil=True, boundscheck=BOUNDSCHECK)
_F64 = np.zeros(0)
_I64 = np.zeros(0, dtype=np.int64)
_I32 = np.zeros(0, dtype=np.int32)
_BOOL = np.zeros(0, dtype=np.bool_)


@intrinsic
def _pointer(typingctx, address, proto):
    """The int64 ``address`` as a pointer to elements of ``proto``'s dtype."""
    sig = types.CPointer(proto.dtype)(types.int64, proto)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

    return sig, codegen


# the engine's elementwise arithmetic (pyn_core.engine.elementwise), compiled
stdp_pair = jit_function(elementwise.stdp_pair)
rstdp_flush = jit_function(elementwise.rstdp_flush)
tm_release = jit_function(elementwise.tm_release)
hash_uniform = jit_function(elementwise.hash_uniform)
synaptic_current = jit_function(elementwise.synaptic_current)


@njit(inline="always", **_OPTS)
def at(address, n, proto):
    """The 1-D array of ``n`` elements of ``proto``'s dtype at ``address``."""
    return carray(_pointer(address, proto), n)


@njit(inline="always", **_OPTS)
def at2(address, rows, cols, proto):
    """The C-ordered (rows, cols) array of ``proto``'s dtype at ``address``."""
    return carray(_pointer(address, proto), (rows, cols))


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
def stimulate(k, rng, POP, REC, CUR, CUR_AMP, C_TAB, C_IDX, NOI, NOI_F, N_IDX, PSN, PSN_F, PSN_INC, PSN_K, P_CDF,
              P_IDX):
    """Current windows and noise into ``I_ext``, Poisson counts into their receptors.

    Draws from ``rng`` in the numpy backend's order: every noise stimulus
    (a normal per target neuron), then the Poisson stimuli with a mean too
    large for a table (a Poisson draw per target).  The other Poisson counts
    come from the counter-based uniforms of :func:`hash_uniform` (keys in
    ``PSN_K``) and their table.  A count adds ``PSN_INC[z]`` times itself to
    state variable ``z`` of the receptor (the kind's arrival of the weight;
    for a voltage kind, row 0 is the jump of ``v``).
    """
    for j in range(POP.shape[1]):
        if POP[P_HAS_EXT, j]:
            e = at(POP[P_IEXT, j], POP[P_N, j], _F64)
            for i in range(e.size):
                e[i] = 0.0
    for c in range(CUR.shape[1]):
        k0, k1 = CUR[C_K0, c], CUR[C_K1, c]
        if k < k0 or (k1 >= 0 and k > k1):
            continue
        j = CUR[C_POP, c]
        e = at(POP[P_IEXT, j], POP[P_N, j], _F64)
        lo, n = CUR[C_IDX_OFF, c], CUR[C_IDX_N, c]
        cols = CUR[C_TAB_COLS, c]
        if cols <= 1:
            value = CUR_AMP[c] if cols == 0 else C_TAB[CUR[C_TAB_OFF, c] + k - k0]
            if n < 0:
                for i in range(e.size):
                    e[i] += value
            else:
                for t in range(lo, lo + n):
                    e[C_IDX[t]] += value
        else:
            base = CUR[C_TAB_OFF, c] + (k - k0) * cols
            if n < 0:
                for i in range(e.size):
                    e[i] += C_TAB[base + i]
            else:
                for t in range(n):
                    e[C_IDX[lo + t]] += C_TAB[base + t]
    for c in range(NOI.shape[1]):
        k0, k1 = NOI[N_K0, c], NOI[N_K1, c]
        if k < k0 or (k1 >= 0 and k > k1):
            continue
        j = NOI[N_POP, c]
        e = at(POP[P_IEXT, j], POP[P_N, j], _F64)
        mean, std = NOI_F[0, c], NOI_F[1, c]
        lo, n = NOI[N_IDX_OFF, c], NOI[N_IDX_N, c]
        if n < 0:
            for i in range(e.size):
                e[i] += rng.normal(mean, std)
        else:
            for t in range(lo, lo + n):
                e[N_IDX[t]] += rng.normal(mean, std)
    for c in range(PSN.shape[1]):
        k0, k1 = PSN[PS_K0, c], PSN[PS_K1, c]
        if k < k0 or (k1 >= 0 and k > k1):
            continue
        r = PSN[PS_REC, c]
        nr = REC[R_N, r]
        if REC[R_OUT, r] == OUT_VOLTAGE:     # the jump of v per count
            S = at2(POP[P_V, REC[R_POST, r]], 1, nr, _F64)
        else:                                # what a count adds to each state variable
            S = at2(REC[R_S, r], REC[R_NS, r], nr, _F64)
        lam = PSN_F[0, c]
        t0, tn = PSN[PS_CDF_OFF, c], PSN[PS_CDF_N, c]
        lo, n = PSN[PS_IDX_OFF, c], PSN[PS_IDX_N, c]
        count = n if n >= 0 else nr
        z1 = PSN[PS_ONE_ROW, c]          # the one state variable a count adds to, or -1 for several
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
        key_lo, key_hi = PSN_K[0, c], PSN_K[1, c]
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
def init_inputs(POP, part=0, nparts=1, skip_fused=False):
    """Start of phase sum_inputs: ``I = I_ext``, ``G = GE = 0`` (neurons of part ``part`` of ``nparts``).

    With ``skip_fused`` the populations with a population kernel are left out.
    """
    for j in range(POP.shape[1]):
        if not POP[P_NEURON, j] or (skip_fused and POP[P_FID, j] >= 0):
            continue
        n = POP[P_N, j]
        lo, hi = part_range(n, part, nparts)
        a = at(POP[P_I, j], n, _F64)
        e = at(POP[P_IEXT, j], n, _F64)
        for i in range(lo, hi):
            a[i] = e[i]
        if POP[P_HAS_COND, j]:
            g = at(POP[P_G, j], n, _F64)
            ge = at(POP[P_GE, j], n, _F64)
            for i in range(lo, hi):
                g[i] = 0.0
                ge[i] = 0.0


@njit(**_OPTS)
def record(k, rec_steps, rec_fill, TRC, POP, ST):
    """Copy the recorded variables into their chunk row when ``k`` is a sampling step."""
    f = rec_fill[0]
    if f >= rec_steps.size or rec_steps[f] != k:
        return
    rows = rec_steps.size
    for r in range(TRC.shape[1]):
        j = TRC[T_POP, r]
        code = TRC[T_CODE, r]
        n = TRC[T_N, r]
        out = at2(TRC[T_OUT, r], rows, n, _F64)[f]
        if code >= 0:
            src = at(ST[POP[P_ST, j] + code], n, _F64)
            for i in range(n):
                out[i] = src[i]
        elif code == REC_I_EXT:
            src = at(POP[P_IEXT, j], n, _F64)
            for i in range(n):
                out[i] = src[i]
        else:
            a = at(POP[P_I, j], n, _F64)
            g = at(POP[P_G, j], n, _F64)
            ge = at(POP[P_GE, j], n, _F64)
            e = at(POP[P_IEXT, j], n, _F64)
            v = at(ST[POP[P_ST, j]], n, _F64)
            for i in range(n):
                out[i] = synaptic_current(a[i], e[i], g[i], ge[i], v[i])
    rec_fill[0] = f + 1


# ---------------------------------------------------------------------------
# 4. spike sources
# ---------------------------------------------------------------------------
@njit(**_OPTS)
def fire_source(k, j, rng, POP, SRC, SRC_PMAX, sb_step, sb_id, sb_pop, fill):
    """Spikes of source population ``j`` at step ``k`` (Poisson or spike generator)."""
    n = POP[P_N, j]
    spk = at(POP[P_SPK, j], n, _BOOL)
    for i in range(n):
        spk[i] = False
    s = POP[P_SRC, j]
    f = fill[0]
    if POP[P_MID, j] == -1:
        p_max = SRC_PMAX[s]
        k0, k1 = SRC[S_K0, s], SRC[S_K1, s]
        if p_max <= 0.0 or k < k0 or (k1 >= 0 and k >= k1):
            return
        ratio = at(SRC[S_RATIO, s], SRC[S_RATIO_N, s], _F64)
        thin = ratio.size > 0
        state = at(SRC[S_STATE, s], 1, _I64)
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
        nev = SRC[S_NEV, s]
        steps = at(SRC[S_STEPS, s], nev, _I64)
        ids = at(SRC[S_IDS, s], nev, _I64)
        cursor = at(SRC[S_CUR, s], 1, _I64)
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
def stp_release(k, PRJ, PRJ_F, q, spk_lo, spk_hi, sb_id, release):
    """Tsodyks-Markram release ``r = u x`` of the spikers of connection ``q`` at step ``k`` into ``release``.

    The expressions of :func:`pyn_core.engine.plasticity.stp_release`;
    as there, nothing happens when the spikers have no synapse in ``q`` or
    ``q`` is switched off.
    """
    j = PRJ[Q_PRE, q]
    n = PRJ[Q_NPRE, q]
    if not PRJ[Q_ON, q] or spk_lo[j] == spk_hi[j]:
        return
    ip = at(PRJ[Q_IP, q], n + 1, _I64)
    total = 0
    for s in range(spk_lo[j], spk_hi[j]):
        total += ip[sb_id[s] + 1] - ip[sb_id[s]]
    if total == 0:
        return
    us = at(PRJ[Q_STP_U, q], n, _F64)
    xs = at(PRJ[Q_STP_X, q], n, _F64)
    last = at(PRJ[Q_STP_LAST, q], n, _I64)
    U, k_rec, k_fac = PRJ_F[QF_U, q], PRJ_F[QF_KREC, q], PRJ_F[QF_KFAC, q]
    fac = k_fac >= 0.0
    for s in range(spk_lo[j], spk_hi[j]):
        i = sb_id[s]
        u, x, r = tm_release(us[i], xs[i], np.float64(k - last[i]), U, k_rec, k_fac, fac)
        xs[i] = x
        us[i] = u
        last[i] = k
        release[s] = r


@njit(**_OPTS)
def propagate(k, L, PRJ, PRJ_F, REC, spk_lo, spk_hi, sb_id, STP_R, rproto, wproto, dproto, part=0, nparts=1):
    """Add the weights of the synapses of this step's spikers to the delayed ring slots.

    With ``nparts > 1`` only the targets of part ``part`` are served: rows
    sorted by target are entered at the first target of the part by
    bisection, unsorted rows are filtered; each target receives its inputs in
    the serial order, so the sums equal the serial ones bit for bit.
    """
    ks = k % L
    whole = nparts == 1
    for q in range(PRJ.shape[1]):
        if not PRJ[Q_ON, q]:
            continue
        j = PRJ[Q_PRE, q]
        lo, hi = spk_lo[j], spk_hi[j]
        if lo == hi:
            continue
        r = PRJ[Q_REC, q]
        n = REC[R_N, r]
        t_lo, t_hi = part_range(n, part, nparts)
        ring = at2(REC[R_RING, r], L, n, rproto)
        nsyn = PRJ[Q_NSYN, q]
        ip = at(PRJ[Q_IP, q], PRJ[Q_NPRE, q] + 1, _I64)
        post = at(PRJ[Q_POST, q], nsyn, _I32)
        wconst = PRJ[Q_WCONST, q] != 0
        w = at(PRJ[Q_W, q], 1 if wconst else nsyn, wproto)
        sign = PRJ_F[QF_SIGN, q]
        ud = PRJ[Q_UD, q]
        srt = PRJ[Q_SORTED, q] != 0
        stp = PRJ[Q_STP, q] != 0
        release = STP_R[max(PRJ[Q_STP, q] - 1, 0)]
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
            d = at(PRJ[Q_D, q], nsyn, dproto)
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
def _pair_update(w, syn, scaled, amp, LF, c, mult, potentiate):
    """One pair update of weight ``syn`` with the trace ``scaled`` (:func:`.elementwise.stdp_pair`)."""
    w[syn] = stdp_pair(w[syn], scaled, amp, LF[LF_WMIN, c], LF[LF_WMAX, c], mult, potentiate)


@njit(**_OPTS)
def _flush(w, a, g, syn, G, LF, c):
    """Bring the weight of reward-modulated synapse ``syn`` up to date: ``w += a (G - g)``, clipped."""
    w[syn] = rstdp_flush(w[syn], a[syn], g[syn], G, LF[LF_WMIN, c], LF[LF_WMAX, c])
    g[syn] = G


@njit(**_OPTS)
def _update(w, syn, scaled, amp, LF, c, mult, potentiate, rstdp, a, g, G, elig):
    """A pair at synapse ``syn``: the weight (STDP) or, brought up to date first, the eligibility (R-STDP)."""
    if rstdp:
        _flush(w, a, g, syn, G, LF, c)
        a[syn] += elig * scaled
    else:
        _pair_update(w, syn, scaled, amp, LF, c, mult, potentiate)


@njit(**_OPTS)
def flush_rows(k, LT, LF, RG, PRJ, spk_lo, spk_hi, sb_id, wproto):
    """Before propagation: the reward-modulated weights of this step's spiking rows, up to date."""
    for c in range(LT.shape[1]):
        if not LT[L_RSTDP, c]:
            continue
        q = LT[L_PROJ, c]
        j = LT[L_PRE, c]
        if not PRJ[Q_ON, q] or spk_lo[j] == spk_hi[j]:
            continue
        n = LT[L_NSYN, c]
        w = at(LT[L_W, c], n, wproto)
        a = at(LT[L_A, c], n, _F64)
        g = at(LT[L_G, c], n, _F64)
        ip = at(PRJ[Q_IP, q], PRJ[Q_NPRE, q] + 1, _I64)
        for s in range(spk_lo[j], spk_hi[j]):
            i = sb_id[s]
            for syn in range(ip[i], ip[i + 1]):
                _flush(w, a, g, syn, RG[c], LF, c)


@njit(**_OPTS)
def _remember(hist, histn, slot, lo, hi, sb_id):
    """Keep this step's spikers (``sb_id[lo:hi]``) in slot ``slot`` of a late side's spike ring."""
    histn[slot] = hi - lo
    for s in range(lo, hi):
        hist[slot, s - lo] = sb_id[s]


@njit(**_OPTS)
def plasticity(k, LT, LF, EPOCH, RG, RK0, MOD, MODF, MD, spk_lo, spk_hi, sb_id, wproto):
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

    Reward-modulated connections (``RG``: the running dopamine integral,
    ``RK0``: its epoch) change their eligibility instead, integrate the
    dopamine ``MD`` of their modulator after their pairs, and rebase every
    ``EPOCH_TAU`` time constants; the modulators release dopamine for the
    spikes of their source population first and relax last, as
    :class:`pyn_core.engine.plasticity.PlasticityState` does.
    """
    for m in range(MOD.shape[1]):
        src = MOD[M_SOURCE, m]
        if src >= 0 and spk_hi[src] > spk_lo[src]:
            MD[m] += MODF[MF_PER_SPIKE, m] * (spk_hi[src] - spk_lo[src])
    for c in range(LT.shape[1]):
        n_pre, n_post = LT[L_NPRE, c], LT[L_NPOST, c]
        late = LT[L_LATE, c]
        X = at(LT[L_X, c], LT[L_NX, c], _F64)
        Y = at(LT[L_Y, c], LT[L_NY, c], _F64)
        k_plus, k_minus = LF[LF_KPLUS, c], LF[LF_KMINUS, c]
        ke = EPOCH[c]
        if k - ke > LT[L_EPOCH, c]:
            fx = np.exp((ke - k) * k_plus)
            fy = np.exp((ke - k) * k_minus)
            for i in range(X.size):
                X[i] *= fx
            for i in range(Y.size):
                Y[i] *= fy
            ke = k
            EPOCH[c] = k
        w = at(LT[L_W, c], LT[L_NSYN, c], wproto)
        mult = LT[L_MULT, c] != 0
        nearest = LT[L_NEAREST, c] != 0
        row_ptr = at(LT[L_ROW_PTR, c], n_pre + 1, _I64)
        nrow = row_ptr[n_pre]
        whole = LT[L_ROW_SYN, c] == 0
        row_syn = at(LT[L_ROW_SYN, c], 0 if whole else nrow, _I64)
        row_post = at(LT[L_ROW_POST, c], nrow, _I64)
        col_ptr = at(LT[L_COL_PTR, c], n_post + 1, _I64)
        ncol = col_ptr[n_post]
        col_syn = at(LT[L_COL_SYN, c], ncol, _I64)
        col_pre = at(LT[L_COL_PRE, c], ncol, _I64)
        amp_minus = LF[LF_AMINUS, c] * np.exp((ke - k) * k_minus)
        amp_plus = LF[LF_APLUS, c] * np.exp((ke - k) * k_plus)
        up_x = np.exp((k - ke) * k_plus)
        up_y = np.exp((k - ke) * k_minus)
        RL = LT[L_RL, c]
        rstdp = LT[L_RSTDP, c] != 0
        n_syn = LT[L_NSYN, c] if rstdp else 0
        a = at(LT[L_A, c], n_syn, _F64)
        g = at(LT[L_G, c], n_syn, _F64)
        G = RG[c]
        k_c = LF[LF_KC, c]
        grow = np.exp((k - RK0[c]) * k_c) if rstdp else 1.0
        elig_minus = -LF[LF_AMINUS, c] * np.exp((ke - k) * k_minus) * grow
        elig_plus = LF[LF_APLUS, c] * np.exp((ke - k) * k_plus) * grow
        # presynaptic side: depression, then the presynaptic trace
        j = LT[L_PRE, c]
        lo, hi = spk_lo[j], spk_hi[j]
        if late == LATE_PRE:
            hist = at2(LT[L_HIST, c], RL, n_pre, _I64)
            histn = at(LT[L_HISTN, c], RL, _I64)
            lag = at(LT[L_LAG, c], nrow, _I64)
            _remember(hist, histn, k % RL, lo, hi, sb_id)
            for lg in range(RL):
                slot = (k - lg) % RL
                for t in range(histn[slot]):
                    i = hist[slot, t]
                    for e in range(row_ptr[i], row_ptr[i + 1]):
                        if lag[e] != lg:
                            continue
                        syn = e if whole else row_syn[e]
                        _update(w, syn, Y[row_post[e]], amp_minus, LF, c, mult, False, rstdp, a, g, G, elig_minus)
                        X[syn] = up_x if nearest else X[syn] + up_x
        elif hi > lo:
            for s in range(lo, hi):
                i = sb_id[s]
                for e in range(row_ptr[i], row_ptr[i + 1]):
                    syn = e if whole else row_syn[e]
                    y = Y[syn] if late == LATE_POST else Y[row_post[e]]
                    _update(w, syn, y, amp_minus, LF, c, mult, False, rstdp, a, g, G, elig_minus)
            for s in range(lo, hi):
                i = sb_id[s]
                X[i] = up_x if nearest else X[i] + up_x
        # postsynaptic side: potentiation, then the postsynaptic trace
        j = LT[L_POST, c]
        lo, hi = spk_lo[j], spk_hi[j]
        if late == LATE_POST:
            hist = at2(LT[L_HIST, c], RL, n_post, _I64)
            histn = at(LT[L_HISTN, c], RL, _I64)
            lag = at(LT[L_LAG, c], ncol, _I64)
            _remember(hist, histn, k % RL, lo, hi, sb_id)
            for lg in range(RL):
                slot = (k - lg) % RL
                for t in range(histn[slot]):
                    i = hist[slot, t]
                    for e in range(col_ptr[i], col_ptr[i + 1]):
                        if lag[e] != lg:
                            continue
                        syn = col_syn[e]
                        _update(w, syn, X[col_pre[e]], amp_plus, LF, c, mult, True, rstdp, a, g, G, elig_plus)
                        Y[syn] = up_y if nearest else Y[syn] + up_y
        elif hi > lo:
            for s in range(lo, hi):
                i = sb_id[s]
                for e in range(col_ptr[i], col_ptr[i + 1]):
                    syn = col_syn[e]
                    x = X[syn] if late == LATE_PRE else X[col_pre[e]]
                    _update(w, syn, x, amp_plus, LF, c, mult, True, rstdp, a, g, G, elig_plus)
            for s in range(lo, hi):
                i = sb_id[s]
                Y[i] = up_y if nearest else Y[i] + up_y
        if rstdp:                            # dopamine: the running integral and its epoch
            k0 = RK0[c]
            d = MD[LT[L_MOD, c]]
            if d != 0.0:
                RG[c] = G + np.exp((k0 - k) * k_c) * d * LF[LF_DT, c]
            if (k + 1 - k0) * k_c > EPOCH_TAU:
                G = RG[c]
                for syn in range(n_syn):
                    _flush(w, a, g, syn, G, LF, c)
                f = np.exp((k0 - (k + 1)) * k_c)
                for syn in range(n_syn):
                    a[syn] *= f
                    g[syn] = 0.0
                RG[c] = 0.0
                RK0[c] = k + 1
    for m in range(MOD.shape[1]):
        MD[m] = MODF[MF_BASELINE, m] + (MD[m] - MODF[MF_BASELINE, m]) * MODF[MF_DECAY, m]


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
