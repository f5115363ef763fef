"""The numba backend: the per-step schedule compiled into one loop over many steps.

The backend runs exactly the schedule of :mod:`pyn_core.engine.numpy.backend` (the
reference), on the same arrays: it builds no second copy of the network's
state, it only hands the simulation's arrays to compiled code, as the named
tuples of :mod:`.views` in typed lists (one per population, receptor,
connection, learning connection and recorded trace).  The driver's
arguments are :data:`.codegen.DRIVER_ARGS`, passed by name.  One call of the compiled driver advances many steps; per step it
delivers the ring-buffer slot, adds the stimuli, sums the inputs, records,
runs the fused integrate/threshold/reset loop of each population (calling the
model's own ``step`` and ``reset``, see :mod:`.codegen`), propagates
the spikes of the neurons that fired over their CSR rows into the delay ring
buffers and decays the receptors.  Nothing is allocated per step.

Random numbers come from the same ``numpy.random.Generator`` objects as on the
numpy backend (see :mod:`pyn_core.engine.inputs`), drawn in the same order inside the
compiled loop, so a seed gives the same spikes on both backends.  Models
without transcendental functions (Izhikevich) give bit-identical traces (the
synapse kinds' decay factors are computed once, on the host, for both
backends); with ``exp``/``log`` in the model's step (LIF, AdEx,
Hodgkin-Huxley) numpy's vectorised versions and the C library's (which
numba calls) may differ in the last bit.

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
from . import views
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
        PSN = _table(7, len(st.poissons))
        PSN_F = np.zeros((1, max(len(st.poissons), 1)))
        ns_max = max([len(w.increments) for w in st.poissons] + [1])
        PSN_INC = np.zeros((ns_max, max(len(st.poissons), 1)))
        PSN_K = np.zeros((2, max(len(st.poissons), 1)), dtype=np.uint64)
        st.bind(sim.rng_run)
        cdfs, pos = [], 0
        for c, w in enumerate(st.poissons):
            _, k0, k1 = window(w)
            PSN[:, c] = rec_index[id(w.receptor)], k0, k1, pos, 0 if w.cdf is None else w.cdf.size, offs[c], ns[c]
            PSN_F[0, c] = w.lam
            PSN_INC[:len(w.increments), c] = w.increments
            PSN_K[:, c] = w.key_lo, w.key_hi
            if w.cdf is not None:
                cdfs.append(w.cdf)
                pos += w.cdf.size
        self.PSN, self.PSN_F, self.PSN_INC, self.PSN_K = PSN[:, :len(st.poissons)], PSN_F, PSN_INC, PSN_K
        self.P_CDF = np.concatenate(cdfs + [f0])
        # receptors (codes and constants)
        recs = sim.receptors
        self._rec_index = rec_index
        self.rdtype = recs[0].ring.dtype if recs else np.dtype(np.float64)
        # projections
        projs = sim.projs
        n_stp = 0
        self.stp_row = []
        for n, q in enumerate(projs):
            st = getattr(q, "stp_state", None)
            if st is None:
                self.stp_row.append(0)
                continue
            n_stp += 1
            self.stp_row.append(n_stp)
        # learning connections (pair STDP, one synapse group)
        self.learners = [q for q in projs if getattr(q, "plastic", None) is not None] if sim.learning else []
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
        self.wdtype = w_dtype.pop() if w_dtype else np.dtype(np.float64)
        self.ddtype = d_dtype.pop() if d_dtype else np.dtype(np.int32)
        self.protos = views.prototypes(self.rdtype, self.wdtype, self.ddtype)
        self.sorted_rows = self._rows_sorted(projs) if self.threads > 1 else np.zeros(len(projs), np.uint8)
        # spike generators: the position of the next event
        self._cursors = {p.index: np.zeros(1, dtype=np.int64) for p in sim.pops
                         if p.is_source and p.index not in sim.sources.poisson}
        # spike buffer
        ntot = sum(p.N for p in sim.pops)
        cap = max(1 << 16, 8 * ntot)
        self.sb = (np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int32),
                   np.zeros(1, dtype=np.int64), np.zeros(len(sim.pops), dtype=np.int64),
                   np.zeros(len(sim.pops), dtype=np.int64))
        self.STP_R = np.zeros((max(n_stp, 1), cap if n_stp else 1))

    def _views(self):
        """The named views (:mod:`.views`) of the simulation's arrays as they are now."""
        sim = self.sim
        E = views.EMPTY
        C = views.contiguous
        pops = []
        for p in sim.pops:
            j = p.index
            fid = self._fid.get(j, -1)
            if fid >= 0 and not all(_uniform(p.param_list[i]) for i in self._uni[j]):
                fid = -1    # a parameter is no longer uniform: the separate passes
            if p.is_source:
                ps = sim.sources.poisson.get(j)
                if ps is not None:
                    src = (-1, int(ps.k0), int(ps.k1), float(ps.p_max), E["F1"] if ps.ratio is None else C(ps.ratio, "ratio"),
                           ps.state, E["I1"], E["I1"], 0, E["I1"])
                else:
                    steps, ids = sim.sources.events[j]
                    src = (-2, 0, 0, 0.0, E["F1"], E["I1"], C(steps, "events"), C(ids, "events"), steps.size,
                           self._cursors[j])
                pops.append(views.PopView(
                    p.N, 0, src[0], -1, int(p.has_ext), 0, p.state_matrix, p.param_matrix, E["F1"], E["F1"],
                    E["F1"], E["F1"], C(p.I_ext, "I_ext"), E["F1"], C(p.spiked, "spiked"), E["I1"], E["I1"],
                    *src[1:]))
                continue
            refractory = p.ref_steps is not None
            pops.append(views.PopView(
                p.N, 1, self.kernels.index((p.model, p.options)), fid, int(p.has_ext), int(p.has_cond),
                C(p.state_matrix, "the state"), C(p.param_matrix, "the parameters"), C(p.v, "v"), C(p.I, "I"),
                C(p.G, "G"), C(p.GE, "GE"), C(p.I_ext, "I_ext"), C(p.v_prev, "v_prev"), C(p.spiked, "spiked"),
                p.ref_count if refractory else E["I1"], C(p.ref_steps, "ref_steps") if refractory else E["I1"],
                0, 0, 0.0, E["F1"], E["I1"], E["I1"], E["I1"], 0, E["I1"]))
        recs = [views.RecView(rc.post.index, self._kind_code[id(rc)], rc.post.N, rc.state.shape[0],
                              _OUT_CODE[rc.output], float(rc.E), C(rc.state, "receptor state"), C(rc.ring, "ring"),
                              np.asarray(rc.args, dtype=np.float64))
                for rc in sim.receptors]
        prjs = []
        for n, q in enumerate(sim.projs):
            if q.weight.size and q.weight.strides == (0,):      # one weight for every synapse
                w, wconst = np.array(q.weight[:1]), 1
            else:
                w, wconst = C(q.weight, "weights"), 0
            st = getattr(q, "stp_state", None)
            stp = (self.stp_row[n], float(st.U), float(st.k_rec), -1.0 if st.k_fac is None else float(st.k_fac),
                   C(st.u, "STP state"), C(st.x, "STP state"), C(st.last, "STP state")) \
                if st is not None else (0, 0.0, 0.0, -1.0, E["F1"], E["F1"], E["I1"])
            prjs.append(views.PrjView(
                q.pre.index, self._rec_index[id(q.receptor)], int(q.enabled), q.uniform_delay or 0,
                int(self.sorted_rows[n]), q.pre.N, q.weight.size, stp[0], wconst, float(q.sign), *stp[1:4],
                C(q.indptr, "indptr"), C(q.post_idx, "targets"), w,
                C(q.delay, "delays") if q.delay is not None else np.zeros(0, dtype=self.ddtype), *stp[4:]))
        lrn = []
        EPOCH = np.zeros(len(self.learners) + 1, dtype=np.int64)
        RG = np.zeros(len(self.learners) + 1)
        RK0 = np.zeros(len(self.learners) + 1, dtype=np.int64)
        MD = np.zeros(max(len(self.modulators), 1))
        for m, mod in enumerate(self.modulators):
            MD[m] = mod.d
        proj_index = {id(q): n for n, q in enumerate(sim.projs)}
        for c, q in enumerate(self.learners):
            pc, g = q.plastic, q.plastic.index
            ring = self.late_rings[c]
            late = K.LATE_NONE if ring is None else (K.LATE_PRE if pc.late == "pre" else K.LATE_POST)
            rstdp = bool(pc.reward_modulated)
            lrn.append(views.LearnView(
                q.pre.index, q.post.index, pc.w.size, q.pre.N, q.post.N, int(pc.trace_epoch), int(pc.nearest),
                int(pc.multiplicative), late, pc.ring_len if ring is not None else 0, int(rstdp),
                self.modulators.index(pc.modulator) if rstdp else 0, proj_index[id(q)],
                *(float(x) for x in (pc.a_plus, pc.a_minus, pc.w_min, pc.w_max, pc.k_plus, pc.k_minus)),
                float(pc.k_c) if rstdp else 0.0, float(pc.dt) if rstdp else 0.0,
                C(pc.w, "weights"), C(g.row_ptr, "rows"), E["I1"] if g.row_syn is None else C(g.row_syn, "rows"),
                C(g.row_post, "rows"), C(g.col_ptr, "columns"), C(g.col_syn, "columns"), C(g.col_pre, "columns"),
                C(pc.X, "traces"), C(pc.Y, "traces"), E["I2"] if ring is None else ring[0],
                E["I1"] if ring is None else ring[1], E["I1"] if ring is None else ring[2],
                C(pc.a, "eligibility") if rstdp else E["F1"], C(pc.g, "eligibility") if rstdp else E["F1"]))
            EPOCH[c] = pc.ke
            if rstdp:
                RG[c], RK0[c] = pc.G, pc.k0
        trc, rec_steps, rec_fill = self._recording()
        P = self.protos
        return (views.typed_list(pops, P["pops"]), views.typed_list(recs, P["recs"]),
                views.typed_list(prjs, P["prjs"]), views.typed_list(lrn, P["lrn"]), views.typed_list(trc, P["trc"]),
                EPOCH, (RG, RK0, MD), rec_steps, rec_fill)

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

    def _recording(self):
        r = self.sim.recorder
        if r.chunk is None:
            return [], np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        trc = []
        for (j, var), arr in r.chunk.items():
            p = self.sim.pops[j]
            if var in p.model.state:
                code = p.model.state.index(var)
            elif var == "I_ext":
                code = REC_I_EXT
            else:
                code = REC_I_SYN
            trc.append(views.TraceView(j, code, p.N, views.contiguous(arr, "a trace")))
        return trc, np.ascontiguousarray(r.chunk_steps), np.array([r.fill], dtype=np.int64)

    # -- running ---------------------------------------------------------------
    def _call(self, n):
        sim = self.sim
        pops, recs, prjs, lrn, trc, EPOCH, (RG, RK0, MD), rec_steps, rec_fill = self._views()
        if self.threads > 1:
            numba.set_num_threads(self.threads)
        sb_step, sb_id, sb_pop, fill, spk_lo, spk_hi = self.sb
        args = dict(
            k0=sim.k, nsteps=n, dt=sim.dt, L=sim.ring_len, rng=sim.rng_run, pops=pops, recs=recs, prjs=prjs,
            lrn=lrn, trc=trc, CUR=self.CUR, CUR_AMP=self.CUR_AMP, C_TAB=self.C_TAB, C_IDX=self.C_IDX, NOI=self.NOI,
            NOI_F=self.NOI_F, N_IDX=self.N_IDX, PSN=self.PSN, PSN_F=self.PSN_F, PSN_INC=self.PSN_INC,
            PSN_K=self.PSN_K, P_CDF=self.P_CDF, P_IDX=self.P_IDX, STP_R=self.STP_R, EPOCH=EPOCH, RG=RG, RK0=RK0,
            MOD=self.MOD, MODF=self.MODF, MD=MD, rec_steps=rec_steps, rec_fill=rec_fill, sb_step=sb_step,
            sb_id=sb_id, sb_pop=sb_pop, fill=fill, spk_lo=spk_lo, spk_hi=spk_hi, nparts=self.threads)
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

