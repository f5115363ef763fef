"""Validation helpers used at the API boundary; messages say what is allowed."""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from .errors import PynIndexError, PynTypeError, PynValueError


def check_name(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PynTypeError(f"{what} must be a non-empty string, got {value!r}")
    return value


def check_count(value, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise PynTypeError(f"{what} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise PynValueError(f"{what} must be >= {minimum}, got {value}")
    return int(value)


def check_real(value, what: str, *, minimum=None, strictly_positive=False, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise PynTypeError(f"{what} must be a number, got {value!r}")
    value = float(value) + 0.0   # + 0.0: -0.0 becomes 0.0 (numpy's samplers refuse a scale of -0.0)
    if not math.isfinite(value):
        raise PynValueError(f"{what} must be finite, got {value}")
    if strictly_positive and value <= 0:
        raise PynValueError(f"{what} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise PynValueError(f"{what} must be >= {minimum}, got {value}")
    return value


def check_param_value(value, what: str, N: int):
    """A scalar or an array of length ``N`` of finite numbers -> float or float64 array."""
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise PynTypeError(f"{what} must be a number or a list of N={N} numbers, got {value!r}") from None
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
    except (TypeError, ValueError):   # ragged nesting
        raise PynTypeError(f"{what} must be integer neuron indices, got {neurons!r}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise PynTypeError(f"{what} must be integer neuron indices, got {neurons!r}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= N):
        bad = arr[(arr < 0) | (arr >= N)][0]
        raise PynIndexError(f"{what}: neuron index {bad} out of range; allowed 0..{N - 1}")
    return arr


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
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 3:
        raise PynValueError(f"{what} must be 3 numbers (r, g, b), got {value!r}")
    return [check_real(c, what) for c in value]
