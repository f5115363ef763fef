"""Backend selection: ``"auto"`` picks the fastest available and logs the choice once.

``"auto"`` runs on numba when numba is installed (``pip install
'pyn_core[fast]'``) and the simulation uses nothing the numba backend lacks;
otherwise on numpy, with the reason logged once.  ``"numba"`` insists (an
error names what is missing); ``"numpy"`` is the reference implementation.
"""
from __future__ import annotations

import logging

from .numpy_backend import NumpyBackend

log = logging.getLogger("pyn_core")
BACKENDS = ("auto", "numpy", "numba")
_announced: set = set()


def numba_available() -> bool:
    """Whether the numba backend can be used (numba imports)."""
    try:
        from . import numba_backend  # noqa: F401
    except ImportError:
        return False
    return True


def _announce(message: str, *args):
    key = message % args
    if key not in _announced:
        _announced.add(key)
        log.info(message, *args)


def select_backend(name: str, sim):
    """The backend object for ``name`` (``"auto"``, ``"numpy"`` or ``"numba"``) running ``sim``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")
    if name == "numpy":
        return NumpyBackend(sim)
    if name == "numba":
        if not numba_available():
            raise ImportError("the numba backend needs numba: pip install 'pyn_core[fast]'")
        from .numba_backend import NumbaBackend
        return NumbaBackend(sim)
    if not numba_available():
        _announce("pyN backend: numpy (auto; numba is not installed: pip install 'pyn_core[fast]')")
        return NumpyBackend(sim)
    from .numba_backend import NumbaBackend, unsupported
    reason = unsupported(sim)
    if reason is not None:
        _announce("pyN backend: numpy (auto; the numba backend does not implement %s)", reason)
        return NumpyBackend(sim)
    try:
        backend = NumbaBackend(sim)
    except Exception as exc:  # a user model numba cannot compile
        log.warning("pyN backend: numpy (auto; the numba backend failed to compile this network: %s)", exc)
        return NumpyBackend(sim)
    _announce("pyN backend: numba (auto)")
    return backend
