"""Backend selection: ``"auto"`` picks the fastest available and logs the choice once."""
from __future__ import annotations

import logging

from .numpy_backend import NumpyBackend

log = logging.getLogger("pyn_core")
BACKENDS = ("auto", "numpy", "numba")
_announced: set = set()


def numba_available() -> bool:
    """Whether the numba backend can be used."""
    try:
        from . import numba_backend  # noqa: F401
    except ImportError:
        return False
    return True


def select_backend(name: str, sim):
    """The backend object for ``name``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")
    if name == "auto":
        name = "numba" if numba_available() else "numpy"
        if name not in _announced:
            log.info("pyN backend: %s (auto)", name)
            _announced.add(name)
    if name == "numba":
        if not numba_available():
            raise ImportError("the numba backend needs numba: pip install 'pyn_core[fast]'")
        from .numba_backend import NumbaBackend
        return NumbaBackend(sim)
    return NumpyBackend(sim)
