"""The numba backend: the per-step schedule compiled into one loop over many steps.

The backend runs exactly the schedule of :mod:`pyn_core.engine.numpy.backend` (the
reference), on the same arrays: it builds no second copy of the network's
state, it only hands the addresses of the simulation's arrays to compiled
code (tables indexed by population, receptor and projection; see
:mod:`.kernels`).  The driver's arguments are :data:`.codegen.DRIVER_ARGS`,
passed by name.  One call of the compiled driver advances many steps; per step it
delivers the ring-buffer slot, adds the stimuli, sums the inputs, records,
runs the fused integrate/threshold/reset loop of each population (calling the
model's own ``step`` and ``reset``, see :mod:`.codegen`), propagates
the spikes of the neurons that fired over their CSR rows into the delay ring
buffers and decays the receptors.  Nothing is allocated per step.

Random numbers come from the same ``numpy.random.Generator`` objects as on the
numpy backend (see :mod:`pyn_core.engine.inputs`), drawn in the same order inside the
compiled loop, so a seed gives the same spikes on both backends.  Models
without transcendental functions (Izhikevich) give bit-identical traces;
with ``exp``/``log`` (LIF, AdEx, Hodgkin-Huxley) numpy's vectorised versions
and the C library's (which numba calls) may differ in the last bit.

Threads: ``Network.settings["threads"]`` (or the ``PYN_NUM_THREADS``
environment variable) sets how many threads the neuron updates and the spike
propagation use (three fork/join points per step).  ``"auto"`` (default) is
one thread: with a step of well under a millisecond the fork/join costs
about as much as it saves, and on a machine whose cores are shared a waiting
thread can stall a step for milliseconds (see ``docs/performance.md``).  The
results do not depend on the number of threads.
"""
from __future__ import annotations

import logging
import os

import numba
import numpy as np

from ...errors import NotSupported, PynValueError
from . import codegen as numba_codegen
from . import kernels as K
from .kernels import OUT_CONDUCTANCE, OUT_CURRENT, OUT_VOLTAGE, REC_I_EXT, REC_I_SYN

log = logging.getLogger("pyn_core")

_OUT_CODE = {"current": OUT_CURRENT, "conductance": OUT_CONDUCTANCE, "voltage": OUT_VOLTAGE}


def unsupported(sim) -> str | None:
    """What in ``sim`` the numba backend cannot run (a sentence), or None."""
    for p in sim.pops:
        if not p.is_source and p.model.spike_kind not in ("reset", "crossing"):
            return f"the spike kind {p.model.spike_kind!r} of model {p.model.name!r}"
    for q in sim.projs:
        pc = getattr(q, "plastic", None)
        if pc is None:
            continue
        if pc.rule not in ("stdp", "rstdp"):
            return f"the plasticity rule {pc.rule!r} (connection {q.name!r})"
        if pc.reward_modulated and getattr(pc, "modulator", None) is None:
            return f"reward-modulated STDP of this form (connection {q.name!r})"
        if getattr(pc, "late", "?") not in (None, "pre", "post") or not hasattr(pc, "index"):
            return f"this form of the plasticity state (connection {q.name!r})"
    return None


def _threads(sim) -> int:
    want = os.environ.get("PYN_NUM_THREADS") or sim.network.settings.get("threads", "auto")
    cores = numba.config.NUMBA_NUM_THREADS
    if want in (None, "auto"):
        return 1
    try:
        n = int(want)
    except (TypeError, ValueError):
        raise PynValueError(f"threads must be a positive integer or 'auto', got {want!r}") from None
    if n < 1:
        raise PynValueError(f"threads must be a positive integer or 'auto', got {want!r}")
    return min(n, cores)


def _addr(a: np.ndarray) -> int:
    """Address of the first element of a C-contiguous array."""
    if not a.flags.c_contiguous:
        raise PynValueError("the numba backend needs C-contiguous arrays")
    return a.__array_interface__["data"][0]


def _uniform(a: np.ndarray) -> bool:
    """Whether every value of the float64 array ``a`` has the same bits as the first."""
    if a.dtype != np.float64 or a.size == 0 or not a.flags.c_contiguous:
        return False
    b = a.view(np.int64)
    return bool((b == b[0]).all())


def _table(rows: int, cols: int) -> np.ndarray:
    return np.zeros((rows, max(cols, 1)), dtype=np.int64)


class NumbaBackend:
    """Runs the per-step schedule in compiled loops (see the module docstring).

    Parameters
    ----------
    sim : Simulation
        The built simulation whose arrays the backend advances.

    Raises
    ------
    NotImplementedError
        When the simulation uses a feature this backend does not implement
        (:func:`unsupported`); ``backend="auto"`` then picks numpy.
    """

    name = "numba"
    unsupported = staticmethod(unsupported)

    def pull(self):
        """Nothing to copy: the compiled code works on the simulation's arrays."""

    def push(self):
        """Nothing to copy: the compiled code works on the simulation's arrays."""

    def __init__(self, sim):
        reason = unsupported(sim)
        if reason is not None:
            raise NotSupported(f"the numba backend does not implement {reason}; "
                               "build with backend='numpy' (or 'auto', which falls back to numpy)")
        self.sim = sim
        self.threads = _threads(sim)
        kernels = []
        for p in sim.pops:
            if not p.is_source and (p.model, p.options) not in kernels:
                kernels.append((p.model, p.options))
        self.kernels = kernels
        # fused kernels: receptor delivery, input sums and decay inside the neuron loop of a population,
        # one per (model kernel, conductance flag, kinds of the population's receptors in table order)
        # synapse kinds: a receptor's kind code is the kind's position in this list
        self.kinds = []
        for rc in sim.receptors:
            if rc.kind not in self.kinds:
                self.kinds.append(rc.kind)
        self._kind_code = {id(rc): self.kinds.index(rc.kind) for rc in sim.receptors}
        fused, self._fid, self._uni = [], {}, {}
        for p in sim.pops:
            if p.is_source:
                continue
            mine = [rc for rc in sim.receptors if rc.post is p]
            kinds = tuple(self._kind_code[id(rc)] for rc in mine)
            if any(rc.output == "conductance" for rc in mine) and not p.has_cond:
                continue
            # parameters with one value for every neuron are passed to the fused kernel as scalars
            uniform = tuple(i for i, a in enumerate(p.param_list) if p.N > 0 and _uniform(a))
            sig = (kernels.index((p.model, p.options)), bool(p.has_cond), kinds, uniform)
            if sig not in fused:
                fused.append(sig)
            self._fid[p.index] = fused.index(sig)
            self._uni[p.index] = uniform
        self.fused = fused
        self.module = numba_codegen.module_for(kernels, fused, self.kinds)
        self._run = self.module.run_par if self.threads > 1 else self.module.run
        self._static()
        self._call(0)       # compile now, or load the compiled code from numba's cache

    # -- tables ----------------------------------------------------------------
    def _static(self):
        """Everything that does not change while the simulation runs (sizes, codes, stimuli)."""
        sim = self.sim
        f0, i0 = np.zeros(1), np.zeros(1, dtype=np.int64)
        self._keep = []
        st = sim.stimuli

        def window(w):
            return w.pop.index, w.k0, -1 if w.k1 is None else w.k1

        def indices(ws):
            offs, ns, flat, pos = [], [], [], 0
            for w in ws:
                offs.append(pos)
                if w.idx is None:
                    ns.append(-1)
                else:
                    ns.append(w.idx.size)
                    flat.append(w.idx)
                    pos += w.idx.size
            return offs, ns, np.concatenate(flat + [i0]).astype(np.int64)

        # current windows
        offs, ns, self.C_IDX = indices(st.currents)
        CUR = _table(7, len(st.currents))
        amps, tabs, pos = np.zeros(max(len(st.currents), 1)), [], 0
        for c, w in enumerate(st.currents):
            pop, k0, k1 = window(w)
            CUR[[K.C_POP, K.C_K0, K.C_K1, K.C_IDX_OFF, K.C_IDX_N], c] = pop, k0, k1, offs[c], ns[c]
            CUR[K.C_TAB_OFF, c] = pos
            if w.table is None:
                amps[c] = float(w.amplitude)
            else:
                t = np.ascontiguousarray(w.table, dtype=np.float64)
                CUR[K.C_TAB_COLS, c] = 1 if t.ndim == 1 else t.shape[1]
                tabs.append(t.reshape(-1))
                pos += t.size
        self.CUR = CUR[:, :len(st.currents)]
        self.CUR_AMP, self.C_TAB = amps, np.concatenate(tabs + [f0])
        # noise
        offs, ns, self.N_IDX = indices(st.noises)
        NOI = _table(5, len(st.noises))
        NOI_F = np.zeros((2, max(len(st.noises), 1)))
        for c, w in enumerate(st.noises):
            pop, k0, k1 = window(w)
            NOI[:, c] = pop, k0, k1, offs[c], ns[c]
            NOI_F[:, c] = w.mean, w.std
        self.NOI, self.NOI_F = NOI[:, :len(st.noises)], NOI_F
        # Poisson stimuli
        rec_index = {id(r): i for i, r in enumerate(sim.receptors)}
        offs, ns, self.P_IDX = indices(st.poissons)
        PSN = _table(8, len(st.poissons))
        PSN_F = np.zeros((1, max(len(st.poissons), 1)))
        ns_max = max([len(w.increments) for w in st.poissons] + [1])
        PSN_INC = np.zeros((ns_max, max(len(st.poissons), 1)))
        PSN_K = np.zeros((2, max(len(st.poissons), 1)), dtype=np.uint64)
        st.bind(sim.rng_run)
        cdfs, pos = [], 0
        for c, w in enumerate(st.poissons):
            _, k0, k1 = window(w)
            PSN[:7, c] = rec_index[id(w.receptor)], k0, k1, pos, 0 if w.cdf is None else w.cdf.size, offs[c], ns[c]
            PSN_F[0, c] = w.lam
            PSN_INC[:len(w.increments), c] = w.increments
            PSN[K.PS_ONE_ROW, c] = w.rows[0] if len(w.rows) == 1 else -1
            PSN_K[:, c] = w.key_lo, w.key_hi
            if w.cdf is not None:
                cdfs.append(w.cdf)
                pos += w.cdf.size
        self.PSN, self.PSN_F, self.PSN_INC, self.PSN_K = PSN[:, :len(st.poissons)], PSN_F, PSN_INC, PSN_K
        self.P_CDF = np.concatenate(cdfs + [f0])
        # receptors (codes and constants)
        recs = sim.receptors
        self._rec_index = rec_index
        n_args = max([len(rc.args) for rc in recs] + [0])
        self.RECF = np.zeros((K.RF_ARGS + n_args, max(len(recs), 1)))
        for r, rc in enumerate(recs):
            self.RECF[K.RF_E, r] = rc.E
            self.RECF[K.RF_ARGS:K.RF_ARGS + len(rc.args), r] = rc.args
        self.rproto = np.zeros(0, dtype=recs[0].ring.dtype if recs else np.float64)
        # projections
        projs = sim.projs
        self.PRJ_F = np.zeros((4, len(projs) + 1))
        self.PRJ_F[K.QF_SIGN, :len(projs)] = [q.sign for q in projs]
        n_stp = 0
        self.stp_row = []
        for n, q in enumerate(projs):
            st = getattr(q, "stp_state", None)
            if st is None:
                self.stp_row.append(0)
                continue
            n_stp += 1
            self.stp_row.append(n_stp)
            self.PRJ_F[[K.QF_U, K.QF_KREC, K.QF_KFAC], n] = st.U, st.k_rec, -1.0 if st.k_fac is None else st.k_fac
        # learning connections (pair STDP, one synapse group)
        self.learners = [q for q in projs if getattr(q, "plastic", None) is not None] if sim.learning else []
        self.LF = np.zeros((8, len(self.learners) + 1))
        mods = list(sim.plasticity.modulators) if self.learners else []
        self.modulators = mods
        self.MOD = np.full((1, max(len(mods), 1)), -1, dtype=np.int64)
        self.MODF = np.zeros((3, max(len(mods), 1)))
        for m, mod in enumerate(mods):
            self.MOD[K.M_SOURCE, m] = -1 if mod.source is None else mod.source
            self.MODF[:, m] = mod.per_spike, mod.baseline, mod.decay
        self.MOD, self.MODF = self.MOD[:, :len(mods)], self.MODF
        self.late_rings = []     # per learning connection: (spike ring, counts, lags) of its late side
        for c, q in enumerate(self.learners):
            pc = q.plastic
            self.LF[:6, c] = pc.a_plus, pc.a_minus, pc.w_min, pc.w_max, pc.k_plus, pc.k_minus
            if pc.reward_modulated:
                self.LF[K.LF_KC, c], self.LF[K.LF_DT, c] = pc.k_c, pc.dt
            if pc.late is None:
                self.late_rings.append(None)
                continue
            n_side = q.pre.N if pc.late == "pre" else q.post.N
            self.late_rings.append((np.zeros((pc.ring_len, n_side), dtype=np.int64),
                                    np.zeros(pc.ring_len, dtype=np.int64),
                                    np.ascontiguousarray(pc.lag, dtype=np.int64)))
        w_dtype = {q.weight.dtype for q in projs}
        w_dtype |= {q.plastic.w.dtype for q in projs if getattr(q, "plastic", None) is not None}
        d_dtype = {q.delay.dtype for q in projs if q.delay is not None}
        if len(w_dtype) > 1 or len(d_dtype) > 1:
            raise PynValueError("the numba backend needs one weight dtype and one delay dtype per simulation")
        self.wproto = np.zeros(0, dtype=w_dtype.pop() if w_dtype else np.float64)
        self.dproto = np.zeros(0, dtype=d_dtype.pop() if d_dtype else np.int32)
        self.sorted_rows = self._rows_sorted(projs) if self.threads > 1 else np.zeros(len(projs), np.uint8)
        # sources
        src = sim.sources
        self.SRC_PMAX = np.zeros(max(len(sim.pops), 1))
        self._cursors = {}
        for p in sim.pops:
            if p.is_source and p.index in src.poisson:
                self.SRC_PMAX[p.index] = src.poisson[p.index].p_max
            elif p.is_source:
                self._cursors[p.index] = np.zeros(1, dtype=np.int64)
        # spike buffer
        ntot = sum(p.N for p in sim.pops)
        cap = max(1 << 16, 8 * ntot)
        self.sb = (np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int32),
                   np.zeros(1, dtype=np.int64), np.zeros(len(sim.pops), dtype=np.int64),
                   np.zeros(len(sim.pops), dtype=np.int64))
        self.STP_R = np.zeros((max(n_stp, 1), cap if n_stp else 1))

    def _tables(self):
        """The address tables of the simulation's arrays as they are now."""
        sim = self.sim
        keep = []

        def addr(a):
            keep.append(a)
            return _addr(a)

        POP = _table(18, len(sim.pops))
        ST, PA = [], []
        SRC = _table(9, len(sim.pops))
        dummy = np.zeros(1)
        for p in sim.pops:
            j = p.index
            POP[K.P_N, j] = p.N
            POP[K.P_IEXT, j] = addr(p.I_ext)
            POP[K.P_SPK, j] = addr(p.spiked)
            POP[K.P_HAS_EXT, j] = p.has_ext
            POP[K.P_ST, j] = len(ST)
            fid = self._fid.get(j, -1)
            if fid >= 0 and not all(_uniform(p.param_list[i]) for i in self._uni[j]):
                fid = -1    # a parameter is no longer uniform: the separate passes
            POP[K.P_FID, j] = fid
            POP[K.P_PA, j] = len(PA)
            if p.is_source:
                POP[K.P_SRC, j] = j
                ps = sim.sources.poisson.get(j)
                if ps is not None:
                    POP[K.P_MID, j] = -1
                    SRC[K.S_K0, j], SRC[K.S_K1, j] = ps.k0, ps.k1
                    if ps.ratio is not None:
                        SRC[K.S_RATIO, j], SRC[K.S_RATIO_N, j] = addr(ps.ratio), ps.ratio.size
                    SRC[K.S_STATE, j] = addr(ps.state)
                else:
                    POP[K.P_MID, j] = -2
                    steps, ids = sim.sources.events[j]
                    SRC[K.S_STEPS, j], SRC[K.S_IDS, j] = addr(steps), addr(ids)
                    SRC[K.S_NEV, j] = steps.size
                    SRC[K.S_CUR, j] = addr(self._cursors[j])
                for row in (K.P_V, K.P_I, K.P_G, K.P_GE):
                    POP[row, j] = addr(dummy)
                continue
            POP[K.P_NEURON, j] = 1
            POP[K.P_HAS_COND, j] = p.has_cond
            POP[K.P_MID, j] = self.kernels.index((p.model, p.options))
            POP[K.P_V, j] = addr(p.v)
            POP[K.P_I, j], POP[K.P_G, j], POP[K.P_GE, j] = addr(p.I), addr(p.G), addr(p.GE)
            POP[K.P_VPREV, j] = addr(p.v_prev)
            if p.ref_steps is not None:
                POP[K.P_REFC, j], POP[K.P_REFS, j] = addr(p.ref_count), addr(p.ref_steps)
            ST.extend(addr(a) for a in p.state_list)
            PA.extend(addr(a) for a in p.param_list)
        REC = _table(7, len(sim.receptors))
        for r, rc in enumerate(sim.receptors):
            REC[K.R_POST, r], REC[K.R_KIND, r], REC[K.R_N, r] = rc.post.index, self._kind_code[id(rc)], rc.post.N
            REC[K.R_S, r], REC[K.R_NS, r] = addr(rc.state), rc.state.shape[0]
            REC[K.R_OUT, r] = _OUT_CODE[rc.output]
            REC[K.R_RING, r] = addr(rc.ring)
        PRJ = _table(16, len(sim.projs))
        for n, q in enumerate(sim.projs):
            PRJ[K.Q_PRE, n], PRJ[K.Q_REC, n] = q.pre.index, self._rec_index[id(q.receptor)]
            PRJ[K.Q_ON, n], PRJ[K.Q_SORTED, n] = q.enabled, self.sorted_rows[n]
            PRJ[K.Q_UD, n] = q.uniform_delay or 0
            PRJ[K.Q_IP, n], PRJ[K.Q_POST, n] = addr(q.indptr), addr(q.post_idx)
            if q.weight.size and q.weight.strides == (0,):      # one weight for every synapse
                keep.append(q.weight)
                PRJ[K.Q_W, n], PRJ[K.Q_WCONST, n] = q.weight.__array_interface__["data"][0], 1
            else:
                PRJ[K.Q_W, n] = addr(q.weight)
            if q.delay is not None:
                PRJ[K.Q_D, n] = addr(q.delay)
            PRJ[K.Q_NPRE, n], PRJ[K.Q_NSYN, n] = q.pre.N, q.weight.size
            st = getattr(q, "stp_state", None)
            if st is not None:
                PRJ[K.Q_STP, n] = self.stp_row[n]
                PRJ[K.Q_STP_U, n], PRJ[K.Q_STP_X, n], PRJ[K.Q_STP_LAST, n] = addr(st.u), addr(st.x), addr(st.last)
        LT = _table(29, len(self.learners))
        EPOCH = np.zeros(len(self.learners) + 1, dtype=np.int64)
        RG = np.zeros(len(self.learners) + 1)
        RK0 = np.zeros(len(self.learners) + 1, dtype=np.int64)
        MD = np.zeros(max(len(self.modulators), 1))
        for m, mod in enumerate(self.modulators):
            MD[m] = mod.d
        proj_index = {id(q): n for n, q in enumerate(sim.projs)}
        for c, q in enumerate(self.learners):
            pc, g = q.plastic, q.plastic.index
            LT[K.L_PRE, c], LT[K.L_POST, c], LT[K.L_W, c] = q.pre.index, q.post.index, addr(pc.w)
            LT[K.L_NSYN, c], LT[K.L_NPRE, c], LT[K.L_NPOST, c] = pc.w.size, q.pre.N, q.post.N
            LT[K.L_ROW_PTR, c], LT[K.L_ROW_POST, c] = addr(g.row_ptr), addr(g.row_post)
            if g.row_syn is not None:
                LT[K.L_ROW_SYN, c] = addr(g.row_syn)
            LT[K.L_COL_PTR, c], LT[K.L_COL_SYN, c], LT[K.L_COL_PRE, c] = addr(g.col_ptr), addr(g.col_syn), \
                addr(g.col_pre)
            LT[K.L_X, c], LT[K.L_Y, c] = addr(pc.X), addr(pc.Y)
            LT[K.L_EPOCH, c], LT[K.L_NEAREST, c], LT[K.L_MULT, c] = pc.trace_epoch, pc.nearest, pc.multiplicative
            LT[K.L_NX, c], LT[K.L_NY, c] = pc.X.size, pc.Y.size
            ring = self.late_rings[c]
            if ring is not None:
                LT[K.L_LATE, c] = K.LATE_PRE if pc.late == "pre" else K.LATE_POST
                LT[K.L_RL, c] = pc.ring_len
                LT[K.L_HIST, c], LT[K.L_HISTN, c], LT[K.L_LAG, c] = addr(ring[0]), addr(ring[1]), addr(ring[2])
            EPOCH[c] = pc.ke
            LT[K.L_PROJ, c] = proj_index[id(q)]
            if pc.reward_modulated:
                LT[K.L_RSTDP, c], LT[K.L_A, c], LT[K.L_G, c] = 1, addr(pc.a), addr(pc.g)
                LT[K.L_MOD, c] = self.modulators.index(pc.modulator)
                RG[c], RK0[c] = pc.G, pc.k0
        TRC, rec_steps, rec_fill = self._recording(addr)
        self._keep = keep
        return (POP[:, :len(sim.pops)], np.asarray(ST + [0], dtype=np.int64), np.asarray(PA + [0], dtype=np.int64),
                REC[:, :len(sim.receptors)], SRC, PRJ[:, :len(sim.projs)], LT[:, :len(self.learners)], EPOCH,
                (RG, RK0, MD), TRC, rec_steps, rec_fill)

    @staticmethod
    def _rows_sorted(projs) -> np.ndarray:
        """1 for each connection whose CSR rows list their targets in increasing order."""
        out = np.zeros(max(len(projs), 1), dtype=np.uint8)
        for n, q in enumerate(projs):
            post = q.post_idx
            if post.size < 2:
                out[n] = 1
                continue
            up = np.diff(post) >= 0
            starts = q.indptr[1:-1]
            starts = starts[(starts > 0) & (starts < post.size)]
            up[starts - 1] = True
            out[n] = bool(up.all())
        return out

    def _recording(self, addr):
        r = self.sim.recorder
        if r.chunk is None:
            return _table(4, 0)[:, :0], np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        TRC = _table(4, len(r.chunk))
        for c, ((j, var), arr) in enumerate(r.chunk.items()):
            p = self.sim.pops[j]
            if var in p.model.state:
                code = p.model.state.index(var)
            elif var == "I_ext":
                code = REC_I_EXT
            else:
                code = REC_I_SYN
            TRC[:, c] = j, code, addr(arr), p.N
        return TRC[:, :len(r.chunk)], np.ascontiguousarray(r.chunk_steps), np.array([r.fill], dtype=np.int64)

    # -- running ---------------------------------------------------------------
    def _call(self, n):
        sim = self.sim
        POP, ST, PA, REC, SRC, PRJ, LT, EPOCH, (RG, RK0, MD), TRC, rec_steps, rec_fill = self._tables()
        if self.threads > 1:
            numba.set_num_threads(self.threads)
        sb_step, sb_id, sb_pop, fill, spk_lo, spk_hi = self.sb
        args = dict(
            k0=sim.k, nsteps=n, dt=sim.dt, L=sim.ring_len, rng=sim.rng_run, POP=POP, ST=ST, PA=PA, REC=REC,
            RECF=self.RECF, CUR=self.CUR, CUR_AMP=self.CUR_AMP, C_TAB=self.C_TAB, C_IDX=self.C_IDX, NOI=self.NOI,
            NOI_F=self.NOI_F, N_IDX=self.N_IDX, PSN=self.PSN, PSN_F=self.PSN_F, PSN_INC=self.PSN_INC,
            PSN_K=self.PSN_K, P_CDF=self.P_CDF, P_IDX=self.P_IDX, SRC=SRC, SRC_PMAX=self.SRC_PMAX, PRJ=PRJ,
            PRJ_F=self.PRJ_F, STP_R=self.STP_R, LT=LT, LF=self.LF, EPOCH=EPOCH, RG=RG, RK0=RK0, MOD=self.MOD,
            MODF=self.MODF, MD=MD, rec_steps=rec_steps, rec_fill=rec_fill, TRC=TRC, sb_step=sb_step, sb_id=sb_id,
            sb_pop=sb_pop, fill=fill, spk_lo=spk_lo, spk_hi=spk_hi, rproto=self.rproto, wproto=self.wproto,
            dproto=self.dproto, nparts=self.threads)
        done, status, j = self._run(*[args[name] for name in numba_codegen.DRIVER_ARGS])
        for c, q in enumerate(self.learners):
            q.plastic.ke = int(EPOCH[c])
            if q.plastic.reward_modulated:
                q.plastic.G, q.plastic.k0 = float(RG[c]), int(RK0[c])
        for m, mod in enumerate(self.modulators):
            mod.d = float(MD[m])
        if sim.recorder.chunk is not None:
            sim.recorder.fill = int(rec_fill[0])
        self._flush_spikes()
        sim.k += int(done)
        return int(done), int(status), int(j)

    def _flush_spikes(self):
        sb_step, sb_id, sb_pop, fill = self.sb[:4]
        f = int(fill[0])
        if not f:
            return
        rec = self.sim.recorder
        steps, ids, pops = sb_step[:f], sb_id[:f], sb_pop[:f]
        for j in np.unique(pops):
            mask = pops == j
            rec.spike_steps[int(j)].append(steps[mask])
            rec.spike_ids[int(j)].append(ids[mask])
        fill[0] = 0

    def run_steps(self, n: int, on_step=None):
        """Advance ``n`` steps; ``on_step()`` is called once per step (in chunks of about 1 %)."""
        chunk = n if on_step is None else max(1, n // 100)
        left = n
        while left > 0:
            done, status, j = self._call(min(chunk, left))
            left -= done
            if on_step is not None:
                for _ in range(done):
                    on_step()
            if status == 1:
                self.sim.diverged(self.sim.pops[j])

