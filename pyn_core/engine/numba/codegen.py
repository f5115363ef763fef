"""Model-specific compiled code of the numba backend, generated from model metadata.

A neuron model's ``step(*state, *params, I, G, GE, dt, *options)`` takes a
number of arguments that depends on the model, so the loop that calls it once
per neuron is written out per model: :func:`module_for` writes a small Python
module for the set of models of a simulation — one fused
integrate/threshold/reset loop per model (calling the model's own ``step`` and
``reset``, compiled by numba) and the driver that runs the per-step schedule —
and imports it.  The text is assembled from fixed templates and integers
(the number of state variables, parameters, options; positions of the
threshold and reset parameters); nothing a user typed goes into it.

The generated modules live in a cache directory (``PYN_CACHE_DIR``, else
``$XDG_CACHE_HOME/pyn_core`` or ``~/.cache/pyn_core``) under a name derived
from a hash of everything they depend on: the compiled code of the model
functions (and of the functions they call), the source of
:mod:`.kernels`, this generator and the numba version.  numba caches
their machine code next to them (``cache=True``), so a second process
compiles nothing; a change to a model or a kernel gives a new name, never a
stale cache.
"""
from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import os
import sys
import tempfile
import types
from pathlib import Path

import numba
import numpy as np

from . import kernels as numba_kernels

log = logging.getLogger("pyn_core")

#: Bumped whenever the templates below change.
GENERATOR_VERSION = "16"

_MODELS: dict[str, object] = {}     # model key -> NeuronModel
_JITTED: dict[str, tuple] = {}      # model key -> (step, reset) dispatchers
_MODULES: dict[str, types.ModuleType] = {}


def cache_dir() -> Path:
    """Directory of the generated modules (and of numba's cache of them)."""
    root = os.environ.get("PYN_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "pyn_core"
    v = sys.version_info
    return base / f"numba-{numba.__version__}-py{v.major}{v.minor}"


# ---------------------------------------------------------------------------
# model functions
# ---------------------------------------------------------------------------
def _code_names(code) -> set[str]:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _code_names(c)
    return names


def _called_functions(fn) -> list:
    """Plain Python functions ``fn`` refers to by a global name or from its closure (its helpers)."""
    out = []
    g = fn.__globals__
    for name in sorted(_code_names(fn.__code__)):
        val = g.get(name)
        if isinstance(val, types.FunctionType):
            out.append(val)
    for cell in fn.__closure__ or ():
        try:
            val = cell.cell_contents
        except ValueError:      # an empty cell
            continue
        if isinstance(val, types.FunctionType):
            out.append(val)
    return out


def _fingerprint(fn, h, seen):
    if fn in seen:
        return
    seen.add(fn)

    def code(c):
        h.update(c.co_code)
        h.update(repr(c.co_names).encode())
        h.update(repr(c.co_varnames).encode())
        for const in c.co_consts:
            if isinstance(const, types.CodeType):
                code(const)
            else:
                h.update(repr(const).encode())

    code(fn.__code__)
    h.update(repr(fn.__defaults__).encode())
    g = fn.__globals__
    for name in sorted(_code_names(fn.__code__)):
        val = g.get(name)
        if isinstance(val, (bool, int, float, complex, str)):
            h.update(f"{name}={val!r}".encode())
    for cell in fn.__closure__ or ():
        try:
            val = cell.cell_contents
        except ValueError:
            continue
        if isinstance(val, (bool, int, float, complex, str)):
            h.update(repr(val).encode())
    for sub in _called_functions(fn):
        _fingerprint(sub, h, seen)


def model_key(model) -> str:
    """Hex key of a model: its metadata and the compiled code of its functions."""
    h = hashlib.sha256()
    h.update(repr((len(model.state), list(model.params), tuple(model.options), model.threshold,
                   model.refractory, model.clamp_to, model.spike_kind, model.reset_state,
                   model.reset_params, model.reset is not None)).encode())
    seen: set = set()
    _fingerprint(model.step, h, seen)
    if model.reset is not None:
        _fingerprint(model.reset, h, seen)
    return h.hexdigest()[:20]


def jit_function(fn, memo=None):
    """``fn`` compiled by numba, with the plain Python functions it calls compiled too.

    The function itself is not modified: a copy of it sees, in a copy of its
    module's namespace, the compiled versions of its helpers.  Floating-point
    division follows numpy (a zero divisor gives inf or nan, as in the numpy
    backend, instead of raising): without the test for a zero divisor the
    neuron loops that call the model can be vectorised.
    """
    memo = {} if memo is None else memo
    if isinstance(fn, numba.core.dispatcher.Dispatcher):
        return fn
    if fn in memo:
        return memo[fn]
    g = dict(fn.__globals__)
    for name in _code_names(fn.__code__):
        val = g.get(name)
        if isinstance(val, types.FunctionType):
            g[name] = jit_function(val, memo)
    closure = None
    if fn.__closure__:
        cells = []
        for cell in fn.__closure__:
            try:
                val = cell.cell_contents
            except ValueError:
                cells.append(cell)
                continue
            cells.append(types.CellType(jit_function(val, memo)) if isinstance(val, types.FunctionType) else cell)
        closure = tuple(cells)
    clone = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, closure)
    clone.__qualname__ = fn.__qualname__
    clone.__module__ = fn.__module__
    clone.__doc__ = fn.__doc__
    out = numba.njit(nogil=True, error_model="numpy")(clone)
    memo[fn] = out
    return out


def register(model) -> str:
    """Make ``model`` known to the generated modules; returns its key."""
    key = model_key(model)
    _MODELS.setdefault(key, model)
    return key


def model_functions(key: str):
    """(step, reset) of the model with ``key``, compiled (reset None if the model has none)."""
    if key not in _JITTED:
        model = _MODELS[key]
        memo: dict = {}
        step = jit_function(model.step, memo)
        reset = jit_function(model.reset, memo) if model.reset is not None else None
        _JITTED[key] = (step, reset)
    return _JITTED[key]


# ---------------------------------------------------------------------------
# templates
# ---------------------------------------------------------------------------
_HEADER = '''"""Generated by pyn_core.engine.numba.codegen (version {version}); do not edit.

Models: {keys}
Kernels: {kernels}
"""
import numpy as np
from numba import njit, prange

from pyn_core.engine.numba import kernels as K
from pyn_core.engine.numba.codegen import model_functions

_F64, _I64, _BOOL = K._F64, K._I64, K._BOOL

'''

_INTEGRATE_ARGS = "k, j, dt, POP, ST, PA, sb_step, sb_id, sb_pop, fill"


def _views(model, crossing, refractory, uniform=()):
    """Lines binding the arrays of population ``j`` (``n`` neurons) that the neuron loop uses.

    The parameters whose numbers are in ``uniform`` (the same value for every
    neuron) are bound to that value, a scalar.
    """
    ns, npar = len(model.state), len(model.params)
    L = ["    so = POP[K.P_ST, j]", "    po = POP[K.P_PA, j]"]
    L += [f"    s{i} = K.at(ST[so + {i}], n, _F64)" for i in range(ns)]
    L += [f"    p{i} = K.at(PA[po + {i}], n, _F64)" + ("[0]" if i in uniform else "") for i in range(npar)]
    L += ["    I = K.at(POP[K.P_I, j], n, _F64)", "    G = K.at(POP[K.P_G, j], n, _F64)",
          "    GE = K.at(POP[K.P_GE, j], n, _F64)", "    spk = K.at(POP[K.P_SPK, j], n, _BOOL)"]
    if crossing:
        L += ["    v_old = K.at(POP[K.P_VPREV, j], n, _F64)"]
    if refractory:
        L += ["    refc = K.at(POP[K.P_REFC, j], n, _I64)", "    refs = K.at(POP[K.P_REFS, j], n, _I64)"]
    return L


def _par(i, uniform):
    """The value of parameter ``i`` for neuron ``i`` of the loop: a scalar when it is uniform."""
    return f"p{i}" if i in uniform else f"p{i}[i]"


def _step_lines(m, model, options, inputs, uniform=()):
    """Per-neuron lines: the model's step with the inputs ``inputs`` (I, G, GE), refractory clamp, threshold."""
    pnames = list(model.params)
    ns, npar = len(model.state), len(pnames)
    thr = pnames.index(model.threshold)
    refractory = model.refractory is not None
    crossing = model.spike_kind == "crossing" and not refractory
    L = []
    if crossing:
        L += ["        v_old[i] = s0[i]"]
    args = [f"s{i}[i]" for i in range(ns)] + [_par(i, uniform) for i in range(npar)]
    args += list(inputs) + ["dt"] + [repr(int(o)) for o in options]
    L += [f"        res = _step{m}({', '.join(args)})"]
    L += [f"        s{i}[i] = res[{i}]" for i in range(1, ns)]
    L += ["        v = res[0]", "        bad += not np.isfinite(v)"]
    if refractory:
        clamp = pnames.index(model.clamp_to)
        L += ["        rc = refc[i]", "        held = rc > 0", f"        v = {_par(clamp, uniform)} if held else v",
              "        refc[i] = rc - 1 if held else rc", f"        fired = (v >= {_par(thr, uniform)}) & (not held)"]
    elif crossing:
        L += [f"        fired = (v >= {_par(thr, uniform)}) & (v_old[i] < {_par(thr, uniform)})"]
    else:
        L += [f"        fired = v >= {_par(thr, uniform)}"]
    L += ["        s0[i] = v", "        spk[i] = fired"]
    return L


def _reset_lines(m, model, serial, uniform=()):
    """The loop over the neurons that fired: the model's reset, refractory count, spike buffer (serial)."""
    pnames = list(model.params)
    body = []
    if model.reset is not None:
        rs = [model.state.index(s) for s in model.reset_state]
        rp = [pnames.index(p) for p in model.reset_params]
        rargs = [f"s{i}[i]" for i in rs] + [_par(i, uniform) for i in rp]
        body += [f"            rr = _reset{m}({', '.join(rargs)})"]
        body += [f"            s{i}[i] = rr[{t}]" for t, i in enumerate(rs)]
    if model.refractory is not None:
        body += ["            refc[i] = refs[i]"]
    if serial:
        body += ["            sb_step[f] = k", "            sb_id[f] = i", "            sb_pop[f] = j",
                 "            f += 1"]
    L = []
    if body:
        if serial:
            L += ["    f = fill[0]"]
        L += ["    for i in range(lo, hi):", "        if spk[i]:"] + body
        if serial:
            L += ["    fill[0] = f"]
    return L


def _integrate_source(m: int, model, options) -> str:
    """The kernels of number ``m``: integrate with refractory clamp and threshold, then reset.

    ``integrate{m}`` runs every neuron of a population and appends the spikes
    to the spike buffer; ``integrate{m}_part`` runs one part of the neurons
    (no buffer), for the threads of ``run_par``.  The first loop (the model's
    ``step``, the refractory clamp and the threshold test, written without
    branches) can be vectorised; the second visits the neurons that fired.
    ``options`` (the model's integer options of the populations this kernel
    serves) are written in as literals so that the compiler can unroll
    sub-step loops.
    """
    refractory = model.refractory is not None
    crossing = model.spike_kind == "crossing" and not refractory
    out = []
    for kind in ("serial", "part"):
        if kind == "serial":
            L = ["@njit(cache=True, nogil=True)", f"def integrate{m}({_INTEGRATE_ARGS}):", "    n = POP[K.P_N, j]",
                 "    lo, hi = 0, n"]
        else:
            L = ["@njit(cache=True, nogil=True)", f"def integrate{m}_part(k, j, dt, POP, ST, PA, part, nparts):",
                 "    n = POP[K.P_N, j]", "    lo, hi = K.part_range(n, part, nparts)"]
        L += _views(model, crossing, refractory)
        L += ["    bad = 0", "    for i in range(lo, hi):"]
        L += _step_lines(m, model, options, ("I[i]", "G[i]", "GE[i]"))
        L += _reset_lines(m, model, kind == "serial")
        L += ["    return bad", "", ""]
        out.append("\n".join(L))
    return "\n".join(out)


_FUSED_ARGS = "k, j, dt, slot, L, POP, ST, PA, REC, RECF, rproto, sb_step, sb_id, sb_pop, fill, store"


def _fused_source(f: int, m: int, model, options, has_cond: bool, kinds, uniform=()) -> str:
    """Kernel ``fused{f}``: one pass over the neurons of a population that does its whole step.

    Per neuron, in the order of the unfused schedule: ``I = I_ext`` (and
    ``G = GE = 0`` with conductances); for each receptor of the population in
    table order (``kinds``), delivery of the ring slot, its input and its
    decay (:func:`.kernels.receptor_pass`); then the model's step,
    refractory clamp and threshold as in ``integrate{m}``.  Every operation
    touches only the neuron's own values, so the results are those of the
    separate passes.  The inputs stay in registers; they are stored (I, G,
    GE) only when ``store`` is true — the last step of a call of the driver,
    after which they can be read — since nothing reads them within a run
    (steps that record use the separate passes), and a loop with fewer
    stores is vectorised better.
    The parameters numbered in ``uniform`` are read once, as scalars (the
    backend runs this kernel only while they are the same for every neuron).
    """
    refractory = model.refractory is not None
    crossing = model.spike_kind == "crossing" and not refractory
    nr = len(kinds)
    L = ["@njit(cache=True, nogil=True)", f"def fused{f}({_FUSED_ARGS}):", "    n = POP[K.P_N, j]", "    lo, hi = 0, n"]
    L += _views(model, crossing, refractory, uniform)
    L += ["    e = K.at(POP[K.P_IEXT, j], n, _F64)"]
    if nr:
        L += [f"    r{t} = -1" for t in range(nr)]
        L += ["    c = 0", "    for r in range(REC.shape[1]):", "        if REC[K.R_POST, r] == j:"]
        for t in range(nr):
            L += [f"            {'if' if t == 0 else 'elif'} c == {t}:", f"                r{t} = r"]
        L += ["            c += 1"]
    for t, kind in enumerate(kinds):
        L += [f"    row{t} = K.at2(REC[K.R_RING, r{t}], L, n, rproto)[slot]"]
        if kind == numba_kernels.DELTA:
            L += [f"    vd{t} = K.at(POP[K.P_V, j], n, _F64)"]
            continue
        L += [f"    rs{t} = K.at(REC[K.R_S, r{t}], n, _F64)", f"    dec{t} = RECF[K.RF_DECAY, r{t}]"]
        if kind == numba_kernels.COND:
            L += [f"    E{t} = RECF[K.RF_E, r{t}]"]
        elif kind == numba_kernels.ALPHA:
            L += [f"    rx{t} = K.at(REC[K.R_X, r{t}], n, _F64)", f"    jump{t} = RECF[K.RF_JUMP, r{t}]",
                  f"    hot{t} = RECF[K.RF_HOT, r{t}]"]
    L += ["    bad = 0"]
    B = ["        a = e[i]"]
    if has_cond:
        B += ["        g = 0.0", "        ge = 0.0"]
    for t, kind in enumerate(kinds):
        if kind == numba_kernels.DELTA:
            B += [f"        vd{t}[i] += row{t}[i]", f"        row{t}[i] = 0.0"]
        elif kind == numba_kernels.COND:
            B += [f"        si = rs{t}[i] + row{t}[i]", f"        row{t}[i] = 0.0", "        g += si",
                  f"        ge += si * E{t}", f"        rs{t}[i] = si * dec{t}"]
        elif kind == numba_kernels.ALPHA:
            B += [f"        xi = rx{t}[i] + row{t}[i] * jump{t}", f"        row{t}[i] = 0.0", f"        si = rs{t}[i]",
                  "        a += si", f"        si += hot{t} * xi", f"        rs{t}[i] = si * dec{t}",
                  f"        rx{t}[i] = xi * dec{t}"]
        else:
            B += [f"        si = rs{t}[i] + row{t}[i]", f"        row{t}[i] = 0.0", "        a += si",
                  f"        rs{t}[i] = si * dec{t}"]
    stores = ["        I[i] = a"]
    if has_cond:
        stores += ["        G[i] = g", "        GE[i] = ge"]
        inputs = ("a", "g", "ge")
    else:
        inputs = ("a", "G[i]", "GE[i]")
    after = _step_lines(m, model, options, inputs, uniform)
    for cond, lines in (("if store:", B + stores + after), ("else:", B + after)):
        L += [f"    {cond}", "        for i in range(lo, hi):"] + ["    " + x for x in lines]
    L += _reset_lines(m, model, True, uniform)
    L += ["    return bad", "", ""]
    return "\n".join(L)


_DRIVER = '''@njit(cache=True, nogil=True)
def {name}(k0, nsteps, dt, L, rng, POP, ST, PA, REC, RECF, CUR, CUR_AMP, C_TAB, C_IDX, NOI, NOI_F, N_IDX,
        PSN, PSN_F, PSN_K, P_CDF, P_IDX, SRC, SRC_PMAX, PRJ, PRJ_F, STP_R, LT, LF, EPOCH, RG, RK0, MOD, MODF, MD, rec_steps, rec_fill, TRC,
        sb_step, sb_id, sb_pop, fill, spk_lo, spk_hi, rproto, wproto, dproto, nparts):
    """Run ``nsteps`` steps from ``k0``; returns (steps done, status, population).

    status 0: done (fewer steps when the spike buffer is full), 1: population
    ``j`` diverged during step ``k0 + steps``.
    """
    ntot = 0
    for j in range(POP.shape[1]):
        ntot += POP[K.P_N, j]
    cap = sb_step.size
    poisson_drive = PSN.shape[1] > 0
    for step in range(nsteps):
        k = k0 + step
        if fill[0] + ntot > cap:
            return step, 0, -1
        start = fill[0]
        if poisson_drive:   # Poisson counts go into receptors between delivery and the sums
            K.deliver(k % L, L, REC, RECF, POP, rproto)
        K.stimulate(k, rng, POP, REC, CUR, CUR_AMP, C_TAB, C_IDX, NOI, NOI_F, N_IDX, PSN, PSN_F, PSN_K, P_CDF, P_IDX)
        # fused population kernels, unless the stimuli touch the receptors or this step records
        fuse = not poisson_drive
        if fuse:
            rf = rec_fill[0]
            fuse = rf >= rec_steps.size or rec_steps[rf] != k
        slot = k % L
        # the fused kernels store the inputs on the last step of this call, or when the next one may not run
        store = step == nsteps - 1 or start + 2 * ntot > cap
        K.receptor_pass(slot, L, POP, REC, RECF, rproto, not poisson_drive, fuse)
        K.record(k, rec_steps, rec_fill, TRC, POP, ST)
        for j in range(POP.shape[1]):
            spk_lo[j] = fill[0]
            mid = POP[K.P_MID, j]
            fid = POP[K.P_FID, j] if fuse else -1
            bad = 0
            if mid < 0:
                K.fire_source(k, j, rng, POP, SRC, SRC_PMAX, sb_step, sb_id, sb_pop, fill)
{fused}
{dispatch}
            spk_hi[j] = fill[0]
            if bad > 0:
                fill[0] = start
                return step, 1, j
        K.flush_rows(k, LT, LF, RG, PRJ, spk_lo, spk_hi, sb_id, wproto)
        for q in range(PRJ.shape[1]):
            if PRJ[K.Q_STP, q] > 0:
                K.stp_release(k, PRJ, PRJ_F, q, spk_lo, spk_hi, sb_id, STP_R[PRJ[K.Q_STP, q] - 1])
{propagate}
        K.plasticity(k, LT, LF, EPOCH, RG, RK0, MOD, MODF, MD, spk_lo, spk_hi, sb_id, wproto)
    return nsteps, 0, -1


'''

_DRIVER_PAR = '''@njit(cache=True, nogil=True, parallel=True)
def _neurons_par(k, dt, POP, ST, PA, REC, RECF, nparts, sums, integrate):
    """Input sums and/or the integration of every population, the neurons split into ``nparts``."""
    bad = 0
    for part in prange(nparts):
        if sums:
            K.sum_inputs(POP, REC, RECF, part, nparts)
        if integrate:
            for j in range(POP.shape[1]):
                mid = POP[K.P_MID, j]
                if mid < 0:
                    continue
{dispatch}
    return bad


@njit(cache=True, nogil=True, parallel=True)
def _deliver_par(slot, L, REC, RECF, POP, rproto, nparts):
    for part in prange(nparts):
        K.deliver(slot, L, REC, RECF, POP, rproto, part, nparts)


@njit(cache=True, nogil=True, parallel=True)
def _propagate_decay_par(k, L, PRJ, PRJ_F, REC, RECF, spk_lo, spk_hi, sb_id, STP_R, rproto, wproto, dproto, nparts):
    for part in prange(nparts):
        K.propagate(k, L, PRJ, PRJ_F, REC, spk_lo, spk_hi, sb_id, STP_R, rproto, wproto, dproto, part, nparts)
        K.decay(REC, RECF, part, nparts)


@njit(cache=True, nogil=True)
def run_par(k0, nsteps, dt, L, rng, POP, ST, PA, REC, RECF, CUR, CUR_AMP, C_TAB, C_IDX, NOI, NOI_F, N_IDX,
            PSN, PSN_F, PSN_K, P_CDF, P_IDX, SRC, SRC_PMAX, PRJ, PRJ_F, STP_R, LT, LF, EPOCH, RG, RK0, MOD, MODF, MD, rec_steps, rec_fill,
            TRC, sb_step, sb_id, sb_pop, fill, spk_lo, spk_hi, rproto, wproto, dproto, nparts):
    """:func:`run` on ``nparts`` threads: three parallel regions per step.

    Delivery; input sums with the integration of every population (split in
    two around the recording on sampling steps); propagation with the
    receptor decay (decay only touches the receptors' own state, which the
    rest of the step no longer reads).  Spikes are collected in population
    order, so everything downstream is as in the serial run.
    """
    ntot = 0
    for j in range(POP.shape[1]):
        ntot += POP[K.P_N, j]
    cap = sb_step.size
    for step in range(nsteps):
        k = k0 + step
        if fill[0] + ntot > cap:
            return step, 0, -1
        _deliver_par(k % L, L, REC, RECF, POP, rproto, nparts)
        K.stimulate(k, rng, POP, REC, CUR, CUR_AMP, C_TAB, C_IDX, NOI, NOI_F, N_IDX, PSN, PSN_F, PSN_K, P_CDF, P_IDX)
        f = rec_fill[0]
        if f < rec_steps.size and rec_steps[f] == k:
            _neurons_par(k, dt, POP, ST, PA, REC, RECF, nparts, True, False)
            K.record(k, rec_steps, rec_fill, TRC, POP, ST)
            bad = _neurons_par(k, dt, POP, ST, PA, REC, RECF, nparts, False, True)
        else:
            bad = _neurons_par(k, dt, POP, ST, PA, REC, RECF, nparts, True, True)
        if bad > 0:
            for j in range(POP.shape[1]):
                if POP[K.P_MID, j] >= 0:
                    v = K.at(ST[POP[K.P_ST, j]], POP[K.P_N, j], K._F64)
                    for i in range(v.size):
                        if not np.isfinite(v[i]):
                            return step, 1, j
        for j in range(POP.shape[1]):
            spk_lo[j] = fill[0]
            if POP[K.P_MID, j] < 0:
                K.fire_source(k, j, rng, POP, SRC, SRC_PMAX, sb_step, sb_id, sb_pop, fill)
            else:
                K.collect_spikes(k, j, K.at(POP[K.P_SPK, j], POP[K.P_N, j], K._BOOL), sb_step, sb_id, sb_pop, fill)
            spk_hi[j] = fill[0]
        K.flush_rows(k, LT, LF, RG, PRJ, spk_lo, spk_hi, sb_id, wproto)
        for q in range(PRJ.shape[1]):
            if PRJ[K.Q_STP, q] > 0:
                K.stp_release(k, PRJ, PRJ_F, q, spk_lo, spk_hi, sb_id, STP_R[PRJ[K.Q_STP, q] - 1])
        _propagate_decay_par(k, L, PRJ, PRJ_F, REC, RECF, spk_lo, spk_hi, sb_id, STP_R, rproto, wproto, dproto,
                             nparts)
        K.plasticity(k, LT, LF, EPOCH, RG, RK0, MOD, MODF, MD, spk_lo, spk_hi, sb_id, wproto)
    return nsteps, 0, -1


'''

_PROPAGATE = "        K.propagate(k, L, PRJ, PRJ_F, REC, spk_lo, spk_hi, sb_id, STP_R, rproto, wproto, dproto)"


def _driver_source(n_models: int, parallel: bool, n_fused: int = 0) -> str:
    if parallel:
        dispatch = []
        for m in range(n_models):
            dispatch.append(f"                {'if' if m == 0 else 'elif'} mid == {m}:")
            dispatch.append(f"                    bad += integrate{m}_part(k, j, dt, POP, ST, PA, part, nparts)")
        return _DRIVER_PAR.format(dispatch="\n".join(dispatch) or "                pass")
    dispatch = []
    for m in range(n_models):
        dispatch.append(f"            elif mid == {m}:")
        dispatch.append(f"                bad = integrate{m}({_INTEGRATE_ARGS})")
    fused = []
    for f in range(n_fused):
        fused.append(f"            elif fid == {f}:")
        fused.append(f"                bad = fused{f}({_FUSED_ARGS})")
    return _DRIVER.format(name="run", dispatch="\n".join(dispatch), fused="\n".join(fused),
                          propagate=_PROPAGATE)


def module_source(kernels, fused=()) -> str:
    """Source text of the generated module for ``kernels``: distinct (model, options) pairs, in order.

    ``fused``: (kernel number, conductance flag, receptor kinds[, numbers of the uniform parameters]) of
    the fused population kernels.
    """
    keys = [register(m) for m, _ in kernels]
    kernel_hash = hashlib.sha256(Path(inspect.getfile(numba_kernels)).read_bytes()).hexdigest()[:20]
    parts = [_HEADER.format(version=GENERATOR_VERSION, keys=", ".join(keys) or "none", kernels=kernel_hash)]
    for m, key in enumerate(keys):
        parts.append(f'_step{m}, _reset{m} = model_functions("{key}")\n')
    parts.append("\n\n")
    for m, (model, options) in enumerate(kernels):
        parts.append(_integrate_source(m, model, options))
    for f, (m, has_cond, kinds, *uniform) in enumerate(fused):
        model, options = kernels[m]
        parts.append(_fused_source(f, m, model, options, has_cond, kinds, tuple(uniform[0]) if uniform else ()))
    parts.append(_driver_source(len(kernels), parallel=False, n_fused=len(fused)))
    parts.append(_driver_source(len(kernels), parallel=True))
    return "".join(parts)


def _write_once(path: Path, text: str):
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def module_for(kernels, fused=()):
    """The generated (and imported) module for ``kernels``: distinct (model, options) pairs, in order.

    Its functions ``run`` and ``run_par`` drive the simulation; the populations
    of pair ``m`` of the list have dispatch code ``m``, those of entry ``f`` of
    ``fused`` (kernel number, conductance flag, receptor kinds in table
    order) fused code ``f`` (``run`` only).
    """
    text = module_source(kernels, fused)
    key = hashlib.sha256((text + numba.__version__ + np.__version__).encode()).hexdigest()[:24]
    name = f"pyn_numba_{key}"
    if name in _MODULES:
        return _MODULES[name]
    path = cache_dir() / f"{name}.py"
    _write_once(path, text)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    _MODULES[name] = mod
    log.debug("numba kernels for %d model kernel(s) in %s", len(kernels), path)
    return mod
