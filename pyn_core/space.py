"""Positions of neurons in 3-D space (µm-free: scene units).

A layout is a small dict, so it round-trips through the network spec:

``{"layout": "grid", "spacing": 1.0, "center": [0, 0, 0]}``
    the most cubic grid holding N points.
``{"layout": "sphere", "radius": 5.0, "center": [...]}``
    N points spread evenly through a ball (a low-discrepancy sequence).
``{"layout": "box", "size": [sx, sy, sz], "center": [...], "seed": 0}``
    N points uniformly at random in a box (reproducible).
``{"layout": "explicit", "xyz": [[x, y, z], ...], "center": [...]}``
    given positions (shifted by ``center``, default none).

Each layout takes only the fields shown (and ``center``); any other field, a
NaN or an infinite number is refused.

Examples
--------
>>> import numpy as np
>>> xyz = layout_positions({"layout": "grid", "spacing": 2.0}, 8)
>>> xyz.shape, float(np.ptp(xyz[:, 0]))
((8, 3), 2.0)
>>> ball = layout_positions({"layout": "sphere", "radius": 3.0}, 2000)
>>> bool(np.all(np.linalg.norm(ball, axis=1) <= 3.0)), np.round(ball.std(axis=0), 1).tolist()
(True, [1.3, 1.3, 1.3])
"""
from __future__ import annotations

import math
import zlib
from numbers import Integral, Real

import numpy as np

from ._checks import check_keys, number_array, show
from .errors import PynTypeError, PynValueError

LAYOUTS = ("grid", "sphere", "box", "explicit")
#: The fields each layout takes.
LAYOUT_FIELDS = {"grid": ("layout", "center", "spacing"), "sphere": ("layout", "center", "radius"),
                 "box": ("layout", "center", "size", "seed"), "explicit": ("layout", "center", "xyz")}


def _finite(value) -> bool:
    """Whether ``value`` is one finite real number (not a bool)."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _finite_vector(value, n: int) -> bool:
    """Whether ``value`` is a sequence of ``n`` finite real numbers."""
    if isinstance(value, np.ndarray) and value.ndim != 1:
        return False
    return (isinstance(value, (list, tuple, np.ndarray)) and len(value) == n
            and all(_finite(v) for v in value))


def _array(value, what: str) -> np.ndarray:
    try:
        return number_array(value, what)
    except PynTypeError:
        raise PynValueError(f"{what} must be an (N, 3) array of numbers, got {type(value).__name__}") from None


def normalise_layout(layout, N: int, name: str = "") -> dict:
    """Validate a layout given as None, a name, a dict or an (N, 3) array."""
    if layout is None:
        layout = "grid"
    if isinstance(layout, str):
        layout = {"layout": layout}
    if isinstance(layout, (np.ndarray, list, tuple)):
        layout = {"layout": "explicit", "xyz": _array(layout, f"positions of population {name!r}").tolist()}
    if not isinstance(layout, dict):
        raise PynTypeError(f"positions of population {name!r} must be a layout name, dict or (N, 3) array")
    kind = layout.get("layout")
    if not isinstance(kind, str) or kind not in LAYOUTS:
        raise PynValueError(f"unknown layout {show(kind)} for population {name!r}; allowed: {', '.join(LAYOUTS)}")
    check_keys(layout, LAYOUT_FIELDS[kind], f"{kind} layout of population {name!r}")
    out = dict(layout)
    out.setdefault("center", [0.0, 0.0, 0.0])
    if not _finite_vector(out["center"], 3):
        raise PynValueError(f"layout center of population {name!r} must have 3 coordinates (finite numbers), "
                            f"got {show(out['center'])}")
    out["center"] = [float(c) for c in out["center"]]
    if kind == "grid":
        out.setdefault("spacing", 1.0)
        if not _finite(out["spacing"]) or out["spacing"] <= 0:
            raise PynValueError(f"grid spacing of population {name!r} must be > 0 (a number), got {show(out['spacing'])}")
    elif kind == "sphere":
        out.setdefault("radius", max(1.0, 0.6 * N ** (1 / 3)))
        if not _finite(out["radius"]) or out["radius"] <= 0:
            raise PynValueError(f"sphere radius of population {name!r} must be > 0 (a number), got {show(out['radius'])}")
    elif kind == "box":
        out.setdefault("size", [float(N ** (1 / 3))] * 3)
        out.setdefault("seed", zlib.crc32(name.encode()) & 0x7FFFFFFF)
        if not _finite_vector(out["size"], 3) or min(out["size"]) < 0:
            raise PynValueError(f"box size of population {name!r} must be 3 non-negative numbers, "
                                f"got {show(out['size'])}")
        out["size"] = [float(c) for c in out["size"]]
        seed = out["seed"]
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, Integral) or seed < 0:
            raise PynValueError(f"box seed of population {name!r} must be an integer >= 0, got {show(seed)}")
    else:
        what = f"explicit positions (xyz) of population {name!r}"
        try:
            xyz = _array(out.get("xyz"), what)
        except PynValueError as exc:
            if "finite" not in str(exc):
                raise
            raise PynValueError(f"{what} must be finite with shape ({N}, 3)") from None
        if xyz.shape != (N, 3):
            raise PynValueError(f"{what} must be finite with shape ({N}, 3), got {xyz.shape}")
        if not isinstance(out["xyz"], list):
            out["xyz"] = xyz.tolist()
    return out


def layout_positions(layout: dict, N: int) -> np.ndarray:
    """The (N, 3) float64 positions of a normalised layout."""
    layout = normalise_layout(layout, N)
    center = np.asarray(layout["center"], dtype=float)
    kind = layout["layout"]
    if kind == "grid":
        nx = int(np.ceil(N ** (1 / 3) - 1e-9))
        ny = int(np.ceil(np.sqrt(N / nx) - 1e-9))
        nz = int(np.ceil(N / (nx * ny)))
        i = np.arange(N)
        ijk = np.stack([i % nx, (i // nx) % ny, i // (nx * ny)], axis=1).astype(float)
        ijk -= (np.array([nx, ny, nz]) - 1) / 2.0
        xyz = ijk * float(layout["spacing"])
    elif kind == "sphere":
        # a 3-D low-discrepancy (Roberts R3) sequence mapped to the ball: radius
        # from the cube root keeps the density uniform, (z, phi) uniform on the sphere
        g = 1.2207440846057596  # real root of x**4 = x + 1
        alpha = np.array([1 / g, 1 / g ** 2, 1 / g ** 3])
        u = (0.5 + np.arange(1, N + 1)[:, None] * alpha) % 1.0
        r = float(layout["radius"]) * np.cbrt(u[:, 0])
        z = 1.0 - 2.0 * u[:, 1]
        rho = np.sqrt(1.0 - z * z)
        phi = 2.0 * np.pi * u[:, 2]
        xyz = r[:, None] * np.stack([rho * np.cos(phi), rho * np.sin(phi), z], axis=1)
    elif kind == "box":
        rng = np.random.default_rng(int(layout["seed"]))
        xyz = (rng.random((N, 3)) - 0.5) * np.asarray(layout["size"], dtype=float)
    else:
        xyz = np.asarray(layout["xyz"], dtype=float).reshape(N, 3)
    return xyz + center
