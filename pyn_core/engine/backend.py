"""The backend contract and the registry of backends.

A backend advances a :class:`~pyn_core.engine.Simulation` by whole steps of
the schedule of :mod:`.phases`.  It is a class with

``name``
    the name users pass as ``backend=``;
``unsupported(sim) -> str | None`` (static)
    what in ``sim`` it cannot run, as a phrase ("the plasticity rule 'x'"),
    or None;
``__init__(sim)``
    prepare (compile, allocate device copies); may raise
    :class:`NotImplementedError` or :class:`ImportError`;
``run_steps(n, on_step=None)``
    advance ``n`` steps, calling ``on_step()`` once per step done;
``pull()`` / ``push()``
    copy the state from the backend's own copies into the simulation's host
    arrays, and back.  The CPU backends work on the host arrays themselves,
    so both are no-ops there; a GPU backend implements them.  The
    simulation pulls before it reads state (``state``, ``get_weights``,
    ``results``, weight monitors) and pushes after it writes it
    (``set_weights``, ``reward``, ``disconnect``).
``export_state() -> dict`` / ``import_state(arrays)``
    the state the backend keeps outside the simulation's shared objects,
    as named arrays in a form every backend reads (a checkpoint writes
    them; :mod:`.checkpoint`).  The numpy and numba backends keep one such
    thing: the late side's spikes of a learning connection with a timing
    shift, still on their way to their synapses, as
    ``late.<connection index>.steps`` / ``.ids`` (see
    :meth:`~.plasticity.PlasticConnection.canonical_events`).
    ``import_state`` is called between runs, once the shared state is
    restored, before the next ``run_steps``.

Backends are registered by name with :func:`register_backend`, each with a
loader that imports its class (an :class:`ImportError` means "not installed")
and a priority: ``backend="auto"`` takes the available backend of highest
priority that supports the simulation, and logs the choice once.

Examples
--------
>>> from pyn_core.engine.backend import backends
>>> backends()[:2]
['numpy', 'numba']
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Callable, ClassVar, Protocol, runtime_checkable

from ..errors import BackendError, NotSupported, PynTypeError, PynValueError

log = logging.getLogger("pyn_core")
_announced: set = set()


@runtime_checkable
class Backend(Protocol):
    """What every backend implements (see the module docstring)."""

    name: ClassVar[str]

    @staticmethod
    def unsupported(sim) -> str | None:
        """What in ``sim`` this backend cannot run (a phrase), or None."""

    def run_steps(self, n: int, on_step: Callable[[], None] | None = None) -> None:
        """Advance ``n`` steps; ``on_step()`` once per step done."""

    def pull(self) -> None:
        """Backend copies -> the simulation's host arrays (a no-op where there are none)."""

    def push(self) -> None:
        """The simulation's host arrays -> backend copies (a no-op where there are none)."""

    def export_state(self) -> dict:
        """The backend's own state as named arrays, in the form every backend imports."""

    def import_state(self, arrays: dict) -> None:
        """Take in :meth:`export_state` output (of any backend) for the simulation's current step."""


@dataclass(frozen=True)
class BackendEntry:
    """A registered backend: how to load its class, how to install it, how much ``auto`` prefers it."""

    name: str
    load: Callable[[], type]
    priority: int = 0
    install: str = ""


_REGISTRY: dict[str, BackendEntry] = {}


def register_backend(name: str, load, priority: int = 0, install: str = "") -> None:
    """Register a backend.

    Parameters
    ----------
    name : str
        What users pass as ``backend=``.
    load : callable or str
        A callable returning the backend class, or ``"module:Class"`` imported
        on first use; an :class:`ImportError` means the backend is not
        installed.
    priority : int
        ``backend="auto"`` prefers higher priorities (numpy 0, numba 10).
    install : str
        The command that installs what the backend needs, for error messages.
    """
    if not isinstance(name, str) or not name or name == "auto":
        raise PynValueError(f"backend name must be a non-empty string other than 'auto', got {name!r}")
    if isinstance(load, str):
        module, _, cls = load.partition(":")

        def load(module=module, cls=cls):
            return getattr(importlib.import_module(module), cls)
    _REGISTRY[name] = BackendEntry(name, load, int(priority), install)


def backends() -> list[str]:
    """Names of the registered backends (installed or not), in registration order."""
    return list(_REGISTRY)


def backend_class(name: str):
    """The class of the registered backend ``name``; ImportError when it is not installed."""
    entry = _entry(name)
    try:
        return entry.load()
    except ImportError as exc:
        hint = f": {entry.install}" if entry.install else ""
        raise BackendError(f"the {name} backend is not installed ({exc}){hint}") from exc


def available(name: str) -> bool:
    """Whether backend ``name`` is registered and its requirements import."""
    try:
        backend_class(name)
    except (ImportError, ValueError, LookupError):
        return False
    return True


def available_backends() -> list[str]:
    """Names of the backends that can be used here."""
    return [n for n in _REGISTRY if available(n)]


def _entry(name: str) -> BackendEntry:
    if name not in _REGISTRY:
        raise PynValueError(f"unknown backend {name!r}; allowed: auto, {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def _announce(message: str, *args):
    key = message % args
    if key not in _announced:
        _announced.add(key)
        log.info(message, *args)


def select_backend(name: str, sim):
    """The backend object for ``name`` (``"auto"`` or a registered name) running ``sim``."""
    if not isinstance(name, str):
        raise PynTypeError(f"backend must be a string, got {name!r}")
    if name != "auto":
        cls = backend_class(name)
        return cls(sim)
    reasons = []
    for entry in sorted(_REGISTRY.values(), key=lambda e: -e.priority):
        try:
            cls = entry.load()
        except ImportError:
            reasons.append(f"{entry.name} is not installed" + (f": {entry.install}" if entry.install else ""))
            continue
        reason = cls.unsupported(sim)
        if reason is not None:
            reasons.append(f"the {entry.name} backend does not implement {reason}")
            continue
        try:
            backend = cls(sim)
        except (NotImplementedError, ImportError) as exc:
            reasons.append(f"the {entry.name} backend cannot run this network: {exc}")
            continue
        except Exception as exc:    # e.g. a user model a compiler cannot translate
            log.warning("pyN backend: the %s backend failed to prepare this network: %s", entry.name, exc)
            reasons.append(f"the {entry.name} backend failed")
            continue
        if reasons:
            _announce("pyN backend: %s (auto; %s)", entry.name, "; ".join(reasons))
        else:
            _announce("pyN backend: %s (auto)", entry.name)
        return backend
    raise NotSupported("no backend can run this simulation: " + "; ".join(reasons))


def numba_available() -> bool:
    """Whether the numba backend can be used (numba imports)."""
    return available("numba")


register_backend("numpy", "pyn_core.engine.numpy.backend:NumpyBackend", priority=0)
register_backend("numba", "pyn_core.engine.numba.backend:NumbaBackend", priority=10,
                 install="pip install 'pyn_core[fast]'")
