"""The error family of pyN: every error a user can cause is a :class:`PynError`.

Each subclass also derives from the builtin exception it stands for, so code
written against the builtins (``except ValueError``) keeps working, while a
front end (the Blender add-on, a CLI, a notebook) catches one class:

======================  ==========================  ==============================================
class                   also a                      raised when
======================  ==========================  ==============================================
:class:`PynValueError`  :class:`ValueError`         a value is out of range or malformed
:class:`PynTypeError`   :class:`TypeError`          a value has the wrong type
:class:`PynLookupError` :class:`LookupError`        a name (population, connection, model, ...)
                                                    is not known
:class:`PynIndexError`  :class:`IndexError`         a neuron or synapse index is out of range
:class:`BackendError`   :class:`ImportError`        a backend is not installed
:class:`NotSupported`   :class:`NotImplementedError` a backend cannot run part of a network
:class:`NotRecorded`    :class:`AttributeError`     a trace that was not recorded is asked for
:class:`NoSavedRun`     :class:`FileNotFoundError`  a folder holds no saved run
:class:`SimulationError` :class:`FloatingPointError` the state of a population became NaN or inf
:class:`ResourceError`  :class:`MemoryError`        a build or a recording would not fit in memory
======================  ==========================  ==============================================

Examples
--------
>>> from pyn_core import PynError, PynLookupError
>>> issubclass(PynLookupError, PynError), issubclass(PynLookupError, LookupError)
(True, True)
"""
from __future__ import annotations


class PynError(Exception):
    """Base of every error pyN raises for a user's input or a run that cannot go on."""


class PynValueError(PynError, ValueError):
    """A value is out of range or malformed (the message names the field and what is allowed)."""


class PynTypeError(PynError, TypeError):
    """A value has the wrong type (the message names the field and the allowed types)."""


class PynLookupError(PynError, LookupError):
    """A name (population, connection, model, preset, backend, ...) is not known."""


class PynIndexError(PynError, IndexError):
    """A neuron or synapse index is out of range."""


class BackendError(PynError, ImportError):
    """A backend cannot be used here (it is not installed)."""


class MissingPackage(PynError, ImportError):
    """An optional package a feature needs is not installed (the message says what to install)."""


class NotSupported(PynError, NotImplementedError):
    """A backend cannot run part of a network (``backend="auto"`` then takes another)."""


class NotRecorded(PynLookupError, AttributeError):
    """A trace that was not recorded was asked of the results (also an AttributeError, so ``hasattr`` works)."""


class NoSavedRun(PynLookupError, FileNotFoundError):
    """A folder holds no saved run (also a FileNotFoundError)."""


class SimulationError(PynError, FloatingPointError):
    """The state of a population became NaN or infinite; what was recorded so far is kept."""


class ResourceError(PynError, MemoryError):
    """A build or a recording would not fit in memory (the message states the estimate and what is available)."""


class PynWarning(UserWarning):
    """A value is legal but probably not what was meant (a run of a few steps, a delay rounded by more
    than half a step, a recorded variable some populations lack); issued with :mod:`warnings`."""


__all__ = ["PynError", "PynValueError", "PynTypeError", "PynLookupError", "PynIndexError", "BackendError",
           "NotSupported", "NotRecorded", "NoSavedRun", "SimulationError", "ResourceError", "PynWarning"]
