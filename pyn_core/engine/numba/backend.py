"""The numba backend: the per-step schedule compiled into one loop over many steps.

The backend runs exactly the schedule of :mod:`pyn_core.engine.numpy.backend` (the
reference), on the same arrays: it builds no second copy of the network's
state.  It moves the simulation's arrays once into one pool per element type
(:mod:`.pools`; the simulation keeps views of them) and hands the compiled
code the pools and typed record tables of the arrays' offsets, one record per
population, receptor, stimulus, projection, ... (see :mod:`.kernels`).  The
driver's arguments are :data:`.codegen.DRIVER_ARGS`,
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

import contextlib
import logging
import os
import time

import numba
import numpy as np

from ...errors import NotSupported, PynValueError
from . import codegen as numba_codegen
from . import kernels as K
from .kernels import OUT_CONDUCTANCE, OUT_CURRENT, OUT_VOLTAGE, REC_I_EXT, REC_I_SYN
from .pools import Pools

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


def _get(container, key):
    """``container.key`` (an object's attribute) or ``container[key]`` (a list or dict entry)."""
    return container[key] if isinstance(container, (list, dict)) else getattr(container, key)


def _arrays(value) -> list:
    """The arrays of a slot's value: the array, or the arrays of a tuple (a spike generator's steps, ids)."""
    return list(value) if isinstance(value, tuple) else [value]


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


def _table(record, n: int) -> np.ndarray:
    """``n`` records of type ``record``, zero but for the offsets and codes that mean 'none' (-1)."""
    t = np.zeros(n, dtype=record)
    for name in ("k1", "row_syn"):
        if name in record.names:
            t[name] = -1
    return t


class NumbaBackend:
    """Runs the per-step schedule in compiled loops (see the module docstring).

    Parameters
    ----------
    sim : Simulation
        The built simulation whose arrays the backend advances.

    Raises
    ------
    NotSupported
        When the simulation uses a feature this backend does not implement
        (:func:`unsupported`); ``backend="auto"`` then picks numpy.
    """

    name = "numba"
    unsupported = staticmethod(unsupported)

    def pull(self):
        """Nothing to copy: the simulation's arrays are views of the backend's pools."""

    def push(self):
        """Take in arrays the simulation replaced (not changed in place) since the last call."""
        if any(_get(c, key) is not view for c, key, view in self._bound):
            self._adopt()

    def export_state(self):
        """The late sides' spikes on their way (``late.<connection>.steps`` / ``.ids``).

        The rest of what the backend keeps of its own is scratch (the spike
        buffer, the release fractions, emptied every step or call), tables
        refreshed from the simulation before every call, or follows from the
        step ``k`` (a spike generator's cursor).
        """
        k, out = self.sim.k, {}
        for c, q in enumerate(self.learners):
            pc = q.plastic
            if pc.late is None:
                continue
            hist, hist_n = self._owned[("hist", c)], self._owned[("hist_n", c)]
            steps, ids = [], []
            for s in range(max(0, k - pc.ring_len + 1), k):     # the slots not yet overwritten
                slot = s % pc.ring_len
                got = hist[slot, :hist_n[slot]]
                steps.append(np.full(got.size, s, dtype=np.int64))
                ids.append(got.astype(np.int64))
            empty = np.zeros(0, dtype=np.int64)
            out[f"late.{q.index}.steps"], out[f"late.{q.index}.ids"] = pc.canonical_events(
                np.concatenate(steps + [empty]), np.concatenate(ids + [empty]), k)
        return out

    def import_state(self, arrays):
        """Write :meth:`export_state` output (of either backend) into the late sides' spike rings; set the cursors."""
        k = self.sim.k
        for c, q in enumerate(self.learners):
            pc = q.plastic
            if pc.late is None:
                continue
            hist, hist_n = self._owned[("hist", c)], self._owned[("hist_n", c)]
            hist_n[:] = 0
            steps, ids = pc.canonical_events(arrays[f"late.{q.index}.steps"], arrays[f"late.{q.index}.ids"], k)
            for s in np.unique(steps):
                got = ids[steps == s]
                slot = int(s) % pc.ring_len
                hist[slot, :got.size] = got
                hist_n[slot] = got.size
        for (what, j), cursor in self._owned.items():
            if what == "cursor":
                cursor[0] = np.searchsorted(self.sim.sources.events[j][0], k, side="left")

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
        self._adopt()
        fresh = getattr(self.module, "fresh", False)
        if fresh:
            log.info("compiling the numba kernels of this network (once: later runs load them from the cache)")
        t0 = time.perf_counter()
        shown = getattr(sim, "build_progress", None)
        label = "compiling the numba kernels (once)" if fresh else "loading the compiled numba kernels"
        with shown.stage(label) if shown is not None else contextlib.nullcontext():
            self._call(0)       # compile now, or load the compiled code from numba's cache
        took = time.perf_counter() - t0
        if took > 1.0:
            log.info("numba kernels ready in %.1f s", took)

    # -- what does not change while the simulation runs -------------------------------------------
    def _static(self):
        """The stimuli's tables, the learning connections, the backend's own arrays, the spike buffer."""
        sim = self.sim
        f0, i0 = np.zeros(1), np.zeros(1, dtype=np.int64)
        st = sim.stimuli

        def window(t, c, w):
            t[c]["k0"], t[c]["k1"] = w.k0, -1 if w.k1 is None else w.k1
            if "pop" in t.dtype.names:
                t[c]["pop"] = w.pop.index

        def indices(t, ws):
            flat, pos = [], 0
            for c, w in enumerate(ws):
                t[c]["idx"] = pos
                if w.idx is None:
                    t[c]["n_idx"] = -1
                else:
                    t[c]["n_idx"] = w.idx.size
                    flat.append(w.idx)
                    pos += w.idx.size
            return np.concatenate(flat + [i0]).astype(np.int64)

        # current windows
        self.CURS = _table(K.CURRENT, len(st.currents))
        self.C_IDX = indices(self.CURS, st.currents)
        tabs, pos = [], 0
        for c, w in enumerate(st.currents):
            window(self.CURS, c, w)
            self.CURS[c]["table"] = pos
            if w.table is None:
                self.CURS[c]["amp"] = float(w.amplitude)
            else:
                t = np.ascontiguousarray(w.table, dtype=np.float64)
                self.CURS[c]["cols"] = 1 if t.ndim == 1 else t.shape[1]
                tabs.append(t.reshape(-1))
                pos += t.size
        self.C_TAB = np.concatenate(tabs + [f0])
        # noise
        self.NOIS = _table(K.NOISE, len(st.noises))
        self.N_IDX = indices(self.NOIS, st.noises)
        for c, w in enumerate(st.noises):
            window(self.NOIS, c, w)
            self.NOIS[c]["mean"], self.NOIS[c]["std"] = w.mean, w.std
        # Poisson stimuli
        rec_index = {id(r): i for i, r in enumerate(sim.receptors)}
        self._rec_index = rec_index
        self.PSNS = _table(K.POISSON, len(st.poissons))
        self.P_IDX = indices(self.PSNS, st.poissons)
        ns_max = max([len(w.increments) for w in st.poissons] + [1])
        self.PSN_INC = np.zeros((ns_max, max(len(st.poissons), 1)))
        st.bind(sim.rng_run)
        cdfs, pos = [], 0
        for c, w in enumerate(st.poissons):
            window(self.PSNS, c, w)
            t = self.PSNS[c]
            t["receptor"], t["cdf"], t["n_cdf"] = rec_index[id(w.receptor)], pos, 0 if w.cdf is None else w.cdf.size
            t["lam"] = w.lam
            t["one_row"] = w.rows[0] if len(w.rows) == 1 else -1
            t["key_lo"], t["key_hi"] = w.key_lo, w.key_hi
            self.PSN_INC[:len(w.increments), c] = w.increments
            if w.cdf is not None:
                cdfs.append(w.cdf)
                pos += w.cdf.size
        self.P_CDF = np.concatenate(cdfs + [f0])
        # receptors' arguments (parameters and constants)
        recs = sim.receptors
        n_args = max([len(rc.args) for rc in recs] + [1])
        self.RARGS = np.zeros((max(len(recs), 1), n_args))
        for r, rc in enumerate(recs):
            self.RARGS[r, :len(rc.args)] = rc.args
        # learning connections (pair STDP, one synapse group) and their modulators
        projs = sim.projs
        self.learners = [q for q in projs if getattr(q, "plastic", None) is not None] if sim.learning else []
        self.modulators = list(sim.plasticity.modulators) if self.learners else []
        # the backend's own arrays (in the pools too): spike-generator cursors, the late sides' spike rings
        self._owned = {}
        for p in sim.pops:
            if p.is_source and p.index not in sim.sources.poisson:
                self._owned[("cursor", p.index)] = np.zeros(1, dtype=np.int64)
        for c, q in enumerate(self.learners):
            pc = q.plastic
            if pc.late is not None:
                n_side = q.pre.N if pc.late == "pre" else q.post.N
                self._owned[("hist", c)] = np.zeros((pc.ring_len, n_side), dtype=np.int64)
                self._owned[("hist_n", c)] = np.zeros(pc.ring_len, dtype=np.int64)
                self._owned[("lag", c)] = np.array(pc.lag, dtype=np.int64)
        self.sorted_rows = self._rows_sorted(projs) if self.threads > 1 else np.zeros(len(projs), np.uint8)
        # spike buffer
        ntot = sum(p.N for p in sim.pops)
        cap = max(1 << 16, 8 * ntot)
        self.sb = (np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int32),
                   np.zeros(1, dtype=np.int64), np.zeros(len(sim.pops), dtype=np.int64),
                   np.zeros(len(sim.pops), dtype=np.int64))
        n_stp = sum(getattr(q, "stp_state", None) is not None for q in projs)
        self.STP_R = np.zeros((max(n_stp, 1), cap if n_stp else 1))

    # -- the pools and the record tables -------------------------------------------------------------
    def _adopt(self):
        """Move the simulation's arrays into the pools and write the record tables of their offsets."""
        sim = self.sim
        slots = []      # (container, key, pool) of every array the kernels use

        def use(container, key, pool):
            slots.append((container, key, pool))

        for p in sim.pops:
            use(p, "I_ext", "F64")
            use(p, "spiked", "BOOL")
            if p.is_source:
                ps = sim.sources.poisson.get(p.index)
                if ps is not None:
                    use(ps, "state", "I64")
                    if ps.ratio is not None:
                        use(ps, "ratio", "F64")
                else:
                    use(sim.sources.events, p.index, "I64")       # (steps, ids)
                    use(self._owned, ("cursor", p.index), "I64")
                continue
            for i in range(len(p.state_list)):
                use(p.state_list, i, "F64")
            for i in range(len(p.param_list)):
                use(p.param_list, i, "F64")
            for name in ("I", "G", "GE", "v_prev"):
                use(p, name, "F64")
            if p.ref_steps is not None:
                use(p, "ref_count", "I64")
                use(p, "ref_steps", "I64")
        for rc in sim.receptors:
            use(rc, "state", "F64")
            use(rc, "ring", "R")
        for q in sim.projs:
            use(q, "indptr", "I64")
            use(q, "post_idx", "I32")
            use(q, "weight", "W")
            if q.delay is not None:
                use(q, "delay", "D")
            if getattr(q, "stp_state", None) is not None:
                use(q.stp_state, "u", "F64")
                use(q.stp_state, "x", "F64")
                use(q.stp_state, "last", "I64")
        for c, q in enumerate(self.learners):
            pc, g = q.plastic, q.plastic.index
            use(pc, "w", "W")
            for name in ("row_ptr", "row_post", "col_ptr", "col_syn", "col_pre"):
                use(g, name, "I64")
            if g.row_syn is not None:
                use(g, "row_syn", "I64")
            use(pc, "X", "F64")
            use(pc, "Y", "F64")
            if pc.reward_modulated:
                use(pc, "a", "F64")
                use(pc, "g", "F64")
            if pc.late is not None:
                for name in ("hist", "hist_n", "lag"):
                    use(self._owned, (name, c), "I64")
        arrays = [(pool, a) for c, key, pool in slots for a in _arrays(_get(c, key))]
        dtypes = dict(K.POOLS)
        for pool in ("W", "R", "D"):
            mine = [a.dtype for p, a in arrays if p == pool]
            dtypes[pool] = np.result_type(*mine) if mine else (np.int32 if pool == "D" else np.float64)
        pools = Pools(dtypes)
        for pool, a in arrays:
            pools.add(pool, a)
        # every container once: the old bindings (and the simulation, through its backend) reach the same lists
        # and dicts, and swapping one twice would look up the views made in this pass by the id of an array freed
        # in it (the pools rebind by id)
        self._bound = []
        pools.adopt([sim] if getattr(sim, "backend", None) is self else [sim, self._owned])
        self.pools = pools
        self._bound = [(c, key, _get(c, key)) for c, key, _ in slots]
        self._tables()

    def _tables(self):
        """The record tables: sizes, codes, constants and the offsets of the arrays in the pools."""
        sim, pools, owned = self.sim, self.pools, self._owned

        def at(pool, a):
            return pools.offset(pool, a)

        POPS = _table(K.POPULATION, len(sim.pops))
        STATE, PARAMS = [], []
        for p in sim.pops:
            t = POPS[p.index]
            t["n"], t["has_ext"], t["fused"] = p.N, p.has_ext, -1
            t["I_ext"], t["spiked"] = at("F64", p.I_ext), at("BOOL", p.spiked)
            t["state"], t["params"] = len(STATE), len(PARAMS)
            if p.is_source:
                ps = sim.sources.poisson.get(p.index)
                if ps is not None:
                    t["model"] = K.SOURCE_POISSON
                    t["k0"], t["k1"], t["p_max"] = ps.k0, ps.k1, ps.p_max
                    if ps.ratio is not None:
                        t["ratio"], t["n_ratio"] = at("F64", ps.ratio), ps.ratio.size
                    t["next"] = at("I64", ps.state)
                else:
                    t["model"] = K.SOURCE_EVENTS
                    steps, ids = sim.sources.events[p.index]
                    t["ev_steps"], t["ev_ids"], t["n_events"] = at("I64", steps), at("I64", ids), steps.size
                    t["cursor"] = at("I64", owned[("cursor", p.index)])
                continue
            t["neuron"], t["has_cond"] = 1, p.has_cond
            t["model"] = self.kernels.index((p.model, p.options))
            t["v"] = at("F64", p.v)
            t["I"], t["G"], t["GE"], t["v_prev"] = (at("F64", a) for a in (p.I, p.G, p.GE, p.v_prev))
            if p.ref_steps is not None:
                t["ref_count"], t["ref_steps"] = at("I64", p.ref_count), at("I64", p.ref_steps)
            STATE.extend(at("F64", a) for a in p.state_list)
            PARAMS.extend(at("F64", a) for a in p.param_list)
        self.POPS = POPS
        self.STATE = np.asarray(STATE + [0], dtype=np.int64)
        self.PARAMS = np.asarray(PARAMS + [0], dtype=np.int64)
        RECS = _table(K.RECEPTOR, len(sim.receptors))
        for r, rc in enumerate(sim.receptors):
            t = RECS[r]
            t["post"], t["kind"], t["n"] = rc.post.index, self._kind_code[id(rc)], rc.post.N
            t["out"], t["E"] = _OUT_CODE[rc.output], rc.E
            t["state"], t["n_state"] = at("F64", rc.state), rc.state.shape[0]
            t["ring"] = at("R", rc.ring)
        self.RECS = RECS
        PRJS = _table(K.PROJECTION, len(sim.projs))
        n_stp = 0
        for n, q in enumerate(sim.projs):
            t = PRJS[n]
            t["pre"], t["receptor"] = q.pre.index, self._rec_index[id(q.receptor)]
            t["sorted"], t["uniform_delay"], t["sign"] = self.sorted_rows[n], q.uniform_delay or 0, q.sign
            t["indptr"], t["post"] = at("I64", q.indptr), at("I32", q.post_idx)
            t["w"], t["w_const"] = at("W", q.weight), bool(q.weight.size and q.weight.strides == (0,))
            if q.delay is not None:
                t["delay"] = at("D", q.delay)
            t["n_pre"], t["n_syn"] = q.pre.N, q.weight.size
            st = getattr(q, "stp_state", None)
            if st is not None:
                n_stp += 1
                t["stp"] = n_stp
                t["u"], t["x"], t["last"] = at("F64", st.u), at("F64", st.x), at("I64", st.last)
                t["U"], t["k_rec"], t["k_fac"] = st.U, st.k_rec, -1.0 if st.k_fac is None else st.k_fac
        self.PRJS = PRJS
        proj_index = {id(q): n for n, q in enumerate(sim.projs)}
        LRNS = _table(K.LEARNER, len(self.learners))
        for c, q in enumerate(self.learners):
            t = LRNS[c]
            pc, g = q.plastic, q.plastic.index
            t["pre"], t["post"], t["proj"] = q.pre.index, q.post.index, proj_index[id(q)]
            t["w"], t["n_syn"], t["n_pre"], t["n_post"] = at("W", pc.w), pc.w.size, q.pre.N, q.post.N
            t["row_ptr"], t["row_post"] = at("I64", g.row_ptr), at("I64", g.row_post)
            if g.row_syn is not None:
                t["row_syn"] = at("I64", g.row_syn)
            t["col_ptr"], t["col_syn"], t["col_pre"] = (at("I64", a) for a in (g.col_ptr, g.col_syn, g.col_pre))
            t["X"], t["Y"], t["n_x"], t["n_y"] = at("F64", pc.X), at("F64", pc.Y), pc.X.size, pc.Y.size
            t["epoch_steps"], t["nearest"], t["mult"] = pc.trace_epoch, pc.nearest, pc.multiplicative
            t["a_plus"], t["a_minus"], t["w_min"], t["w_max"] = pc.a_plus, pc.a_minus, pc.w_min, pc.w_max
            t["k_plus"], t["k_minus"] = pc.k_plus, pc.k_minus
            if pc.late is not None:
                t["late"] = K.LATE_PRE if pc.late == "pre" else K.LATE_POST
                t["ring_len"] = pc.ring_len
                t["hist"], t["hist_n"], t["lag"] = (at("I64", owned[(name, c)]) for name in ("hist", "hist_n", "lag"))
            if pc.reward_modulated:
                t["rstdp"], t["a"], t["g"] = 1, at("F64", pc.a), at("F64", pc.g)
                t["modulator"] = self.modulators.index(pc.modulator)
                t["k_c"], t["dt"] = pc.k_c, pc.dt
        self.LRNS = LRNS
        MODS = np.zeros(len(self.modulators), dtype=K.MODULATOR)
        for m, mod in enumerate(self.modulators):
            MODS[m]["source"] = -1 if mod.source is None else mod.source
            MODS[m]["per_spike"], MODS[m]["baseline"], MODS[m]["decay"] = mod.per_spike, mod.baseline, mod.decay
        self.MODS = MODS

    def _refresh(self):
        """The fields of the tables that the simulation may change between calls."""
        sim = self.sim
        for j, fid in self._fid.items():
            p = sim.pops[j]
            if not all(_uniform(p.param_list[i]) for i in self._uni[j]):
                fid = -1    # a parameter is no longer uniform: the separate passes
            self.POPS[j]["fused"] = fid
        if len(sim.projs):
            self.PRJS["on"] = [q.enabled for q in sim.projs]
        for c, q in enumerate(self.learners):
            pc = q.plastic
            self.LRNS[c]["ke"] = pc.ke
            if pc.reward_modulated:
                self.LRNS[c]["G"], self.LRNS[c]["k0"] = pc.G, pc.k0
        for m, mod in enumerate(self.modulators):
            self.MODS[m]["d"] = mod.d

    def _write_back(self):
        """The fields of the tables the compiled code changed, into the simulation's objects."""
        for c, q in enumerate(self.learners):
            pc = q.plastic
            pc.ke = int(self.LRNS[c]["ke"])
            if pc.reward_modulated:
                pc.G, pc.k0 = float(self.LRNS[c]["G"]), int(self.LRNS[c]["k0"])
        for m, mod in enumerate(self.modulators):
            mod.d = float(self.MODS[m]["d"])

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
        """The recorded traces' table (offsets into the recorder's chunk block), sampling steps, fill."""
        r = self.sim.recorder
        if r.chunk is None:
            return np.zeros(0, dtype=K.TRACE), np.zeros(1), np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        block = r.block
        TRCS = np.zeros(len(r.chunk), dtype=K.TRACE)
        base = block.__array_interface__["data"][0]
        for c, ((j, var), arr) in enumerate(r.chunk.items()):
            p = self.sim.pops[j]
            if var in p.model.state:
                code = p.model.state.index(var)
            elif var == "I_ext":
                code = REC_I_EXT
            else:
                code = REC_I_SYN
            off = (arr.__array_interface__["data"][0] - base) // block.itemsize
            TRCS[c] = j, code, off, p.N
        return TRCS, block, np.ascontiguousarray(r.chunk_steps), np.array([r.fill], dtype=np.int64)

    # -- running ---------------------------------------------------------------
    def _call(self, n):
        sim = self.sim
        self.push()
        self._refresh()
        TRCS, RB, rec_steps, rec_fill = self._recording()
        if self.threads > 1:
            numba.set_num_threads(self.threads)
        sb_step, sb_id, sb_pop, fill, spk_lo, spk_hi = self.sb
        P = self.pools
        args = dict(
            k0=sim.k, nsteps=n, dt=sim.dt, L=sim.ring_len, rng=sim.rng_run, F64=P["F64"], I64=P["I64"],
            I32=P["I32"], BOOL=P["BOOL"], W=P["W"], R=P["R"], D=P["D"], POPS=self.POPS, STATE=self.STATE,
            PARAMS=self.PARAMS, RECS=self.RECS, RARGS=self.RARGS, CURS=self.CURS, C_TAB=self.C_TAB,
            C_IDX=self.C_IDX, NOIS=self.NOIS, N_IDX=self.N_IDX, PSNS=self.PSNS, PSN_INC=self.PSN_INC,
            P_CDF=self.P_CDF, P_IDX=self.P_IDX, PRJS=self.PRJS, STP_R=self.STP_R, LRNS=self.LRNS, MODS=self.MODS,
            rec_steps=rec_steps, rec_fill=rec_fill, TRCS=TRCS, RB=RB, sb_step=sb_step, sb_id=sb_id,
            sb_pop=sb_pop, fill=fill, spk_lo=spk_lo, spk_hi=spk_hi, nparts=self.threads)
        done, status, j = self._run(*[args[name] for name in numba_codegen.DRIVER_ARGS])
        self._write_back()
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
            if status == 1:
                self.sim.diverged(self.sim.pops[j])
            if on_step is not None:
                for _ in range(done):
                    on_step()

