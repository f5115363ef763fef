"""Validation helpers used at the API boundary; messages say what is allowed.

Values a user gave are shown in messages through :func:`show`, a bounded
``repr`` (a list nested 100,000 deep or a million numbers long gives a short
text, never a ``RecursionError``).
"""
from __future__ import annotations

import math
import reprlib
from numbers import Integral, Real

import numpy as np

from .errors import PynIndexError, PynTypeError, PynValueError

#: The largest population size and degree: neuron indices are int32 in the kernels.
MAX_COUNT = 2 ** 31 - 1

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8


def show(value) -> str:
    """A short ``repr`` of a user's value for a message (depth and length bounded)."""
    try:
        return _REPR.repr(value)
    except Exception:   # noqa: BLE001 - a broken __repr__ of a user's object must not hide the real error
        return f"<{type(value).__name__}>"


def field_list(keys) -> str:
    """``['a', 'b']``: names (of any type) sorted by their text, for "unknown field(s)" messages."""
    return "[" + ", ".join(show(k) for k in sorted(keys, key=lambda k: (str(type(k)), str(k)))) + "]"


def check_keys(d: dict, allowed, what: str, noun: str = "field(s)", of: str = ""):
    """Refuse keys of ``d`` outside ``allowed``, naming them and the allowed ones (``of``: for what, appended)."""
    unknown = [k for k in d if not isinstance(k, str) or k not in allowed]
    if unknown:
        raise PynValueError(f"{what}: unknown {noun} {field_list(unknown)}; allowed: {', '.join(allowed)}"
                            + (f" ({of})" if of else ""))


def check_name(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PynTypeError(f"{what} must be a non-empty string, got {show(value)}")
    return value


def check_bool(value, what: str) -> bool:
    """``True`` or ``False`` (numpy booleans too), nothing that merely converts to one."""
    if not isinstance(value, (bool, np.bool_)):
        raise PynTypeError(f"{what} must be True or False, got {show(value)}")
    return bool(value)


def check_count(value, what: str, minimum: int = 1, maximum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        bound = f" within {minimum}..{maximum}" if maximum is not None else f" >= {minimum}"
        raise PynTypeError(f"{what} must be an integer{bound}, got {show(value)}")
    if value < minimum:
        raise PynValueError(f"{what} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise PynValueError(f"{what} must be <= {maximum}, got {show(value)}")
    return int(value)


def check_real(value, what: str, *, minimum=None, strictly_positive=False, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise PynTypeError(f"{what} must be a number, got {show(value)}")
    try:
        value = float(value) + 0.0   # + 0.0: -0.0 becomes 0.0 (numpy's samplers refuse a scale of -0.0)
    except OverflowError:            # an int beyond the float range
        raise PynValueError(f"{what} must be finite, got {show(value)}") from None
    if not math.isfinite(value):
        raise PynValueError(f"{what} must be finite, got {value}")
    if strictly_positive and value <= 0:
        raise PynValueError(f"{what} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise PynValueError(f"{what} must be >= {minimum}, got {value}")
    return value


def number_array(value, what: str) -> np.ndarray:
    """``value`` (nested lists or an array of numbers) as a float64 array of finite numbers.

    Strings, booleans, ``None`` and ragged or too deep nesting are refused
    (numpy would turn ``["1.5"]`` into a number, and ``[True]`` into 1).
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):   # ragged or too deep nesting
        raise PynTypeError(f"{what} must be numbers (a list or array), got {show(value)}") from None
    if arr.size and arr.dtype.kind not in "iuf":
        raise PynTypeError(f"{what} must be numbers (a list or array), got {show(value)}")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise PynValueError(f"{what} must be finite (no NaN or inf), got {show(value)}")
    return arr


def check_param_value(value, what: str, N: int):
    """A scalar or an array of length ``N`` of finite numbers -> float or float64 array."""
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError, OverflowError):
            raise PynTypeError(f"{what} must be a number or a list of N={N} numbers, got {show(value)}") from None
        if arr.size and arr.dtype.kind not in "iuf":
            raise PynTypeError(f"{what} must be a number or a list of N={N} numbers, got {show(value)}")
        arr = arr.astype(float)
        if arr.ndim != 1 or arr.shape[0] != N:
            raise PynValueError(f"{what} must be a scalar or an array of length N={N}, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise PynValueError(f"{what} contains NaN or inf values; all values must be finite")
        return arr
    return check_real(value, what)


def check_indices(neurons, N: int, what: str) -> np.ndarray:
    """Neuron indices in ``range(N)`` as an int64 array."""
    try:
        arr = np.asarray(neurons)
    except (TypeError, ValueError, OverflowError):   # ragged nesting
        raise PynTypeError(f"{what} must be integer neuron indices, got {show(neurons)}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim > 1:
        raise PynTypeError(f"{what} must be a flat list of neuron indices, got {show(neurons)}")
    if arr.size and (arr.dtype.kind not in "iuf" or arr.dtype.kind == "b"):
        raise PynTypeError(f"{what} must be integer neuron indices, got {show(neurons)}")
    if arr.size and arr.dtype.kind == "f":
        if not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
            raise PynTypeError(f"{what} must be integer neuron indices, got {show(neurons)}")
        if arr.min() < 0 or arr.max() >= N:
            bad = arr[(arr < 0) | (arr >= N)][0]
            raise PynIndexError(f"{what}: neuron index {bad:g} out of range; allowed 0..{N - 1}")
    if arr.size and (arr.min() < 0 or arr.max() >= N):
        bad = arr[(arr < 0) | (arr >= N)][0]
        raise PynIndexError(f"{what}: neuron index {bad} out of range; allowed 0..{N - 1}")
    return arr.astype(np.int64)


def check_mapping(value, what: str) -> dict:
    """``None`` (an empty dict) or a dict, as a new dict."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PynTypeError(f"{what} must be a dict, got {type(value).__name__}")
    return dict(value)


def check_color(value, what: str):
    """``None`` or an (r, g, b) colour of 3 finite numbers, as a list of float."""
    if value is None:
        return None
    size = len(value) if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1) else 0
    if size != 3:
        raise PynValueError(f"{what} must be 3 numbers (r, g, b), got {show(value)}")
    return [check_real(c, what) for c in value]
