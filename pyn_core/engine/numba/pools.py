"""The pools of the numba backend: the simulation's arrays, one contiguous array per element type.

The compiled kernels reach every array of a network (one per population,
receptor, connection, ...) as a slice of a *pool*: one contiguous array per
element type (``F64``, ``I64``, ``I32``, ``BOOL``, and the
weight, ring-buffer and delay types ``W``, ``R``, ``D``), at an offset held
in a typed record table (:mod:`.kernels`).  Offsets are plain indices into
typed arrays, so a wrong one reads a wrong value of the right type (and
raises under ``PYN_NUMBA_BOUNDSCHECK=1``), never foreign memory.

:meth:`Pools.adopt` moves the arrays in once, when the backend starts: it
copies each into its pool and points every reference the engine's objects
hold (the array itself and every view of it, e.g. a receptor's rows or a
population's ``state`` dict) at the copy, so that the simulation and the
compiled code keep working on the same memory and nothing is copied per
step.  Objects outside :mod:`pyn_core.engine` (the network description,
models) are left alone.

>>> import numpy as np
>>> class Holder:                 # stands in for an engine object
...     pass
>>> Holder.__module__ = "pyn_core.engine.demo"
>>> h = Holder()
>>> h.a = np.arange(3.0)
>>> h.rows = [h.a[1:]]            # a view of it
>>> pools = Pools({"F64": np.float64})
>>> pools.add("F64", h.a)
>>> pools.adopt([h])
>>> h.rows[0][0] = 7.0
>>> pools.offset("F64", h.a), float(pools["F64"][1])
(0, 7.0)
"""
from __future__ import annotations

import numpy as np

from ...errors import BackendError


def _root(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory (``a`` itself when it owns it or its owner is not an array)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _engine_object(obj) -> bool:
    return type(obj).__module__.startswith("pyn_core.engine") and hasattr(obj, "__dict__")


class Pools:
    """One contiguous array per element type holding the arrays added to it.

    Parameters
    ----------
    dtypes : dict
        Pool name -> element type.
    """

    def __init__(self, dtypes: dict):
        self.dtypes = {name: np.dtype(t) for name, t in dtypes.items()}
        self.arrays = {name: np.zeros(1, dtype=t) for name, t in self.dtypes.items()}
        self._wanted: dict[str, list[np.ndarray]] = {name: [] for name in self.dtypes}
        self._pool_of: dict[int, str] = {}
        self.moved: set[int] = set()     # ids of the arrays the last adopt moved (tests keep them alive)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def add(self, pool: str, a: np.ndarray):
        """Move ``a`` (the whole array that owns its memory) into ``pool`` at :meth:`adopt`."""
        if pool not in self.dtypes:
            raise BackendError(f"no pool {pool!r}; pools: {', '.join(self.dtypes)}")
        root = _root(a)
        if not root.flags.c_contiguous:
            root = a
        if not np.can_cast(root.dtype, self.dtypes[pool], "safe"):
            raise BackendError(f"an array of {root.dtype} cannot go into the {self.dtypes[pool]} pool {pool!r}")
        prev = self._pool_of.get(id(root))
        if prev is None:
            self._pool_of[id(root)] = pool
            self._wanted[pool].append(root)
        elif prev != pool:
            raise BackendError(f"one array is wanted in two pools ({prev!r}, {pool!r})")

    def adopt(self, roots):
        """Allocate the pools, copy the arrays in and rebind every reference reachable from ``roots``.

        ``roots``: engine objects (or lists, dicts, tuples of them) whose
        attributes hold the arrays or views of them.
        """
        mapping: dict[int, tuple[np.ndarray, np.ndarray]] = {}   # id(old) -> (old, new): old kept alive
        for pool, dtype in self.dtypes.items():
            arrays = self._wanted[pool]
            buf = np.zeros(max(sum(a.size for a in arrays), 1), dtype=dtype)
            pos = 0
            for a in arrays:
                view = buf[pos:pos + a.size].reshape(a.shape)
                view[...] = a
                if not a.flags.writeable:
                    view.flags.writeable = False
                mapping[id(a)] = (a, view)
                pos += a.size
            self.arrays[pool] = buf
        self.moved = {id(a) for arrays in self._wanted.values() for a in arrays}
        _Rebinder(mapping).visit(roots)
        self._wanted = {name: [] for name in self.dtypes}
        self._pool_of = {}

    def offset(self, pool: str, a: np.ndarray) -> int:
        """Position of ``a``'s first element in ``pool`` (it must lie there, C-contiguous)."""
        buf = self.arrays[pool]
        if a.dtype != buf.dtype:
            raise BackendError(f"an array of {a.dtype} is not in the {buf.dtype} pool {pool!r}")
        if a.size and not (a.flags.c_contiguous or a.strides == (0,) * a.ndim):
            raise BackendError("the numba backend needs C-contiguous arrays")
        start = _address(buf)
        off, rem = divmod(_address(a) - start, buf.itemsize)
        extent = 1 if a.size and a.strides == (0,) * a.ndim else a.size
        if rem or off < 0 or off + extent > buf.size:
            raise BackendError(f"an array of the simulation is outside the pool {pool!r}")
        return int(off)


class _Rebinder:
    """Points every reference to a moved array (or a view of it) at the moved copy.

    ``mapping`` holds each replaced array with its copy, so no replaced array is freed during the
    pass (its ``id`` could otherwise be taken by a new view and be looked up as the old array's);
    every list and dict is rebound once, however many paths lead to it.
    """

    def __init__(self, mapping: dict):
        self.mapping, self.seen = mapping, set()
        self._held = []       # lists and dicts already rebound (kept alive: their ids stay theirs)

    def _first_visit(self, x) -> bool:
        if id(x) in self.seen:
            return False
        self.seen.add(id(x))
        self._held.append(x)
        return True

    def swap(self, x):
        if isinstance(x, np.ndarray):
            return self.array(x)
        if isinstance(x, list):
            if self._first_visit(x):
                for i, v in enumerate(x):
                    x[i] = self.swap(v)
            return x
        if isinstance(x, dict):
            if self._first_visit(x):
                for k, v in x.items():
                    x[k] = self.swap(v)
            return x
        if isinstance(x, tuple) and not hasattr(x, "_fields"):
            new = tuple(self.swap(v) for v in x)
            return x if all(a is b for a, b in zip(new, x)) else new
        if _engine_object(x):
            self.visit(x)
        return x

    def visit(self, obj):
        if isinstance(obj, (list, dict, tuple)):
            self.swap(obj)
            return
        if not self._first_visit(obj):
            return
        if not _engine_object(obj):
            return
        for k, v in list(vars(obj).items()):
            new = self.swap(v)
            if new is not v:
                setattr(obj, k, new)

    def array(self, x: np.ndarray) -> np.ndarray:
        entry = self.mapping.get(id(x))
        if entry is not None and entry[0] is x:
            return entry[1]
        root = _root(x)
        entry = self.mapping.get(id(root))
        if entry is None or entry[0] is not root:
            return x
        new_root = entry[1]
        if new_root.dtype != root.dtype:
            raise BackendError(f"a view of an array widened to {new_root.dtype} cannot follow it")
        offset = _address(x) - _address(root)
        view = np.ndarray(x.shape, dtype=x.dtype, buffer=new_root, offset=offset, strides=x.strides)
        if not x.flags.writeable:
            view.flags.writeable = False
        self.mapping[id(x)] = (x, view)
        return view


def reachable_arrays(roots) -> list[tuple[str, np.ndarray]]:
    """Every array reachable from ``roots`` through engine objects, lists, dicts and tuples, with its path."""
    out, seen = [], set()

    def walk(x, path):
        if id(x) in seen:
            return
        seen.add(id(x))
        if isinstance(x, np.ndarray):
            out.append((path, x))
        elif isinstance(x, (list, tuple)):
            for i, v in enumerate(x):
                walk(v, f"{path}[{i}]")
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{path}[{k!r}]")
        elif _engine_object(x):
            for k, v in vars(x).items():
                walk(v, f"{path}.{k}")

    walk(roots, "")
    return out
