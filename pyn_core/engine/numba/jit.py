"""Compiling the plain-arithmetic functions of models, synapse kinds and the engine for numba.

Neuron models, synapse kinds and :mod:`pyn_core.engine.elementwise` are
written once as plain Python arithmetic; :func:`jit_function` compiles such a
function (and the plain functions it calls) without modifying it, and
:func:`fingerprint` hashes its compiled code so that cached machine code is
never reused after a change.
"""
from __future__ import annotations

import hashlib
import os
import sys
import types
from pathlib import Path

import numba

#: Whether the compiled kernels check every array index (``PYN_NUMBA_BOUNDSCHECK=1`` when pyN is imported):
#: an index out of range raises ``IndexError`` instead of reading or writing outside an array.  Slower; for
#: debugging and for the tests.
BOUNDSCHECK = os.environ.get("PYN_NUMBA_BOUNDSCHECK", "0") not in ("", "0")


def cache_root() -> Path:
    """Where compiled code is kept: ``PYN_CACHE_DIR``, else ``$XDG_CACHE_HOME/pyn_core`` or ``~/.cache/pyn_core``."""
    root = os.environ.get("PYN_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "pyn_core"
    v = sys.version_info
    return base / f"numba-{numba.__version__}-py{v.major}{v.minor}"


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


def fingerprint(fn, h, seen):
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
        fingerprint(sub, h, seen)


def functions_key(fns, meta=()) -> str:
    """Hex key of a set of functions (their compiled code and what they call) and metadata."""
    h = hashlib.sha256()
    h.update(repr(meta).encode())
    seen: set = set()
    for fn in fns:
        fingerprint(fn, h, seen)
    return h.hexdigest()[:20]


def model_key(model) -> str:
    """Hex key of a model: its metadata and the compiled code of its functions."""
    h = hashlib.sha256()
    h.update(repr((len(model.state), list(model.params), tuple(model.options), model.threshold,
                   model.refractory, model.clamp_to, model.spike_kind, model.reset_state,
                   model.reset_params, model.reset is not None)).encode())
    seen: set = set()
    fingerprint(model.step, h, seen)
    if model.reset is not None:
        fingerprint(model.reset, h, seen)
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
