"""Validation helpers used at the API boundary; messages say what is allowed."""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np


def check_name(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{what} must be a non-empty string, got {value!r}")
    return value


def check_count(value, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{what} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return int(value)


def check_real(value, what: str, *, minimum=None, strictly_positive=False, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{what} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value}")
    if strictly_positive and value <= 0:
        raise ValueError(f"{what} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return value


def check_param_value(value, what: str, N: int):
    """A scalar or an array of length ``N`` of finite numbers -> float or float64 array."""
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value, dtype=float)
        if arr.ndim != 1 or arr.shape[0] != N:
            raise ValueError(f"{what} must be a scalar or an array of length N={N}, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{what} contains NaN or inf values; all values must be finite")
        return arr
    return check_real(value, what)


def check_indices(neurons, N: int, what: str) -> np.ndarray:
    """Neuron indices in ``range(N)`` as an int64 array."""
    arr = np.asarray(neurons)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{what} must be integer neuron indices, got {neurons!r}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= N):
        bad = arr[(arr < 0) | (arr >= N)][0]
        raise IndexError(f"{what}: neuron index {bad} out of range; allowed 0..{N - 1}")
    return arr
