"""The typed boundary between a simulation's arrays and the compiled code.

Each population, receptor, connection, learning connection and recorded
trace reaches the compiled code as a named tuple of its own arrays and
numbers (``pops[j].v``, ``recs[r].ring``, ``prjs[q].indptr``, ...), all of
one kind held in a ``numba.typed.List``.  The arrays are the simulation's
own (no copy); their types (dtype, dimensions, contiguity) are part of the
compiled signature, and a list index out of range raises ``IndexError``.  The
fields are declared here once; :mod:`.backend` fills them and the kernels
read them by name.

With ``PYN_NUMBA_BOUNDSCHECK=1`` in the environment when pyN is imported,
every compiled kernel also checks each array index (numba's
``boundscheck``) and raises ``IndexError`` instead of reading or writing out
of bounds: slower, for debugging and for the tests.
"""
from __future__ import annotations

import os
from collections import namedtuple

import numba
import numpy as np
from numba.typed import List

#: Whether the compiled kernels check array bounds (``PYN_NUMBA_BOUNDSCHECK=1``).
BOUNDSCHECK = os.environ.get("PYN_NUMBA_BOUNDSCHECK", "0") not in ("", "0")

#: One population (neurons or a spike source).
PopView = namedtuple("PopView", [
    "n",          # number of neurons
    "neuron",     # 1: a neuron population, 0: a spike source
    "mid",        # model kernel number; -1 Poisson source, -2 spike generator
    "fid",        # population kernel number, -1: the separate passes
    "has_ext", "has_cond",
    "state",      # (n_state, n) model state, first row v
    "params",     # (n_params, n) model parameters
    "v", "I", "G", "GE", "I_ext", "v_prev",
    "spiked",     # bool (n,)
    "ref_count", "ref_steps",
    # spike sources
    "src_k0", "src_k1", "p_max", "ratio", "src_state", "ev_steps", "ev_ids", "nev", "cursor",
])

#: One receptor (a synapse kind with its parameters onto one population).
RecView = namedtuple("RecView", [
    "post", "kind", "n", "ns", "out",
    "E",          # reversal potential of a conductance kind
    "state",      # (ns, n)
    "ring",       # (ring length, n)
    "args",       # the kind's arguments: dynamic parameters, then constants
])

#: One connection (CSR by presynaptic neuron).
PrjView = namedtuple("PrjView", [
    "pre", "rec", "on", "ud", "sorted", "npre", "nsyn", "stp", "wconst",
    "sign", "U", "k_rec", "k_fac",
    "indptr", "post", "w", "d", "stp_u", "stp_x", "stp_last",
])

#: One learning connection (pair STDP or reward-modulated STDP).
LearnView = namedtuple("LearnView", [
    "pre", "post", "nsyn", "npre", "npost", "trace_epoch", "nearest", "mult", "late", "rl", "rstdp", "mod",
    "proj",
    "a_plus", "a_minus", "w_min", "w_max", "k_plus", "k_minus", "k_c", "dt",
    "w", "row_ptr", "row_syn", "row_post", "col_ptr", "col_syn", "col_pre", "X", "Y", "hist", "histn", "lag",
    "a", "g",
])

#: One recorded trace.
TraceView = namedtuple("TraceView", ["pop", "code", "n", "out"])

_F1 = np.zeros(0)
_F2 = np.zeros((0, 0))
_I1 = np.zeros(0, dtype=np.int64)
_I2 = np.zeros((0, 0), dtype=np.int64)
_B1 = np.zeros(0, dtype=np.bool_)
_I32 = np.zeros(0, dtype=np.int32)


def contiguous(a: np.ndarray, what: str) -> np.ndarray:
    """``a`` itself, checked to be C-contiguous and writable (the compiled code works on it in place)."""
    if not a.flags.c_contiguous or not a.flags.writeable:
        raise ValueError(f"the numba backend needs {what} as a writable C-contiguous array")
    return a


def prototypes(rdtype, wdtype, ddtype) -> dict:
    """One example of each view, with the array types of a simulation (for empty lists' item types)."""
    r2 = np.zeros((0, 0), dtype=rdtype)
    return {
        "pops": PopView(0, 0, 0, 0, 0, 0, _F2, _F2, _F1, _F1, _F1, _F1, _F1, _F1, _B1, _I1, _I1, 0, 0, 0.0, _F1,
                        _I1, _I1, _I1, 0, _I1),
        "recs": RecView(0, 0, 0, 0, 0, 0.0, _F2, r2, _F1),
        "prjs": PrjView(0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, _I1, _I32, np.zeros(0, dtype=wdtype),
                        np.zeros(0, dtype=ddtype), _F1, _F1, _I1),
        "lrn": LearnView(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                         np.zeros(0, dtype=wdtype), _I1, _I1, _I1, _I1, _I1, _I1, _F1, _F1, _I2, _I1, _I1, _F1, _F1),
        "trc": TraceView(0, 0, 0, _F2),
    }


def typed_list(items, proto) -> List:
    """A ``numba.typed.List`` of ``items`` (which may be empty) with the item type of ``proto``."""
    out = List.empty_list(numba.typeof(proto))
    for x in items:
        out.append(x)
    return out


EMPTY = {"F1": _F1, "F2": _F2, "I1": _I1, "I2": _I2, "B1": _B1, "I32": _I32}
