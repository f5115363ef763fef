"""Membrane potentials as a colour level: per-model ranges, normalisation, and v kept in bakes.

Free of ``bpy`` and ``bge`` (shared by Blender's frame handler, the bake and
the UPBGE component).  A neuron's *voltage level* is its membrane potential
mapped linearly from a rest value (level 0) to a peak value (level 1) and
clipped to [0, 1]::

    level = clip((v - rest) / (peak - rest), 0, 1)

The range comes from the neuron's model and parameters (:func:`model_range`)
unless the view gives one for all neurons.

=============  ======================  =================================
model          rest (level 0)          peak (level 1)
=============  ======================  =================================
izhikevich     -70 mV (the usual v0)   ``v_peak`` (30 mV)
adex           ``v_rest``              ``v_spike``
lif            ``v_rest``              ``v_thresh``
hh             0 mV (rest of the       100 mV (top of the action
               classic formulation)    potential)
other models   ``v_rest`` or -70 mV    ``v_peak``, ``v_spike`` or
                                       ``v_thresh``, else rest + 100 mV
spike sources  no membrane potential: level 0
=============  ======================  =================================

Examples
--------
>>> import numpy as np
>>> voltage_level(np.array([-70.0, -20.0, 30.0, 50.0]), np.full(4, -70.0), np.full(4, 30.0)).tolist()
[0.0, 0.5, 1.0, 1.0]
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass

import numpy as np

#: Rest and peak (mV) of models whose parameters do not name them.
FIXED_RANGES = {"izhikevich": (-70.0, None), "hh": (0.0, 100.0)}
#: Parameters tried in turn for the peak of a model's range.
PEAK_PARAMS = ("v_peak", "v_spike", "v_thresh")
#: Rest used when a model has neither a fixed range nor ``v_rest``.
DEFAULT_REST = -70.0


def model_range(population) -> tuple[np.ndarray, np.ndarray]:
    """Per-neuron rest and peak (mV) of a ``pyn_core`` population (see the module table).

    A population without a membrane potential (a spike source) gets NaN, which
    :func:`voltage_level` shows as level 0.
    """
    n = int(population.N)
    model = getattr(population, "model", None)
    params = getattr(model, "params", None)
    if model is None or params is None or "v" not in getattr(model, "state", ()):
        return np.full(n, np.nan), np.full(n, np.nan)

    def param(name):
        return np.asarray(population.param_array(name), dtype=float)

    rest, peak = FIXED_RANGES.get(model.name, (None, None))
    lo = np.full(n, rest) if rest is not None else (param("v_rest") if "v_rest" in params
                                                      else np.full(n, DEFAULT_REST))
    if peak is not None:
        hi = np.full(n, peak)
    else:
        name = next((p for p in PEAK_PARAMS if p in params), None)
        hi = param(name) if name is not None else lo + 100.0
    bad = ~(hi > lo)
    hi = np.where(bad, lo + 100.0, hi)
    return lo, hi


def network_ranges(populations) -> tuple[np.ndarray, np.ndarray]:
    """Rest and peak of every neuron of a list of populations (global numbering)."""
    pairs = [model_range(p) for p in populations]
    if not pairs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate([a for a, _ in pairs]), np.concatenate([b for _, b in pairs])


def voltage_level(v, lo, hi, out: np.ndarray | None = None) -> np.ndarray:
    """``clip((v - lo) / (hi - lo), 0, 1)`` as float32; NaN (no potential, no sample) gives 0."""
    v = np.asarray(v, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = (v - lo) / (np.asarray(hi, dtype=float) - lo)
    level = np.nan_to_num(level, nan=0.0, posinf=1.0, neginf=0.0)
    np.clip(level, 0.0, 1.0, out=level)
    if out is None:
        return level.astype(np.float32)
    out[...] = level
    return out


@dataclass
class VoltageSamples:
    """Membrane potentials of all neurons at regular times (one row per frame of a bake).

    Attributes
    ----------
    values : ndarray, shape (samples, n), float16
        v in mV at times ``0, every_ms, 2 * every_ms, ...``; NaN where a
        neuron has no potential or no sample (after the end of its recording).
    every_ms : float
        Time between two samples, ms.
    lo, hi : ndarray, shape (n,)
        Rest and peak of each neuron's model (:func:`model_range`).
    """

    values: np.ndarray
    every_ms: float
    lo: np.ndarray
    hi: np.ndarray

    def __post_init__(self) -> None:
        self.values = np.ascontiguousarray(self.values, dtype=np.float16)
        if self.values.ndim != 2:
            raise ValueError("voltage samples must be a 2-D array (samples, neurons)")
        self.lo = np.asarray(self.lo, dtype=np.float32).reshape(-1)
        self.hi = np.asarray(self.hi, dtype=np.float32).reshape(-1)
        if not (self.lo.size == self.hi.size == self.values.shape[1]):
            raise ValueError("voltage ranges must have one value per neuron")
        if not self.every_ms > 0:
            raise ValueError(f"every_ms must be > 0, got {self.every_ms}")

    def row(self, t_ms: float) -> int:
        """The sample nearest to ``t_ms`` (the first or last one outside the range)."""
        i = int(math.floor(float(t_ms) / self.every_ms + 0.5))
        return min(max(i, 0), self.values.shape[0] - 1)

    def at(self, t_ms: float) -> np.ndarray:
        """v (mV, float32) of every neuron at the sample nearest to ``t_ms``."""
        return self.values[self.row(t_ms)].astype(np.float32)

    def level(self, t_ms: float, lo=None, hi=None, out: np.ndarray | None = None) -> np.ndarray:
        """Voltage level of every neuron at ``t_ms``, with the models' ranges unless given."""
        return voltage_level(self.at(t_ms), self.lo if lo is None else lo, self.hi if hi is None else hi, out)

    def to_storage(self) -> dict:
        """Plain numbers and little-endian bytes (no pickle), for an ID property."""
        return {"every_ms": float(self.every_ms), "samples": int(self.values.shape[0]),
                "values": self.values.astype("<f2").tobytes(),
                "lo": self.lo.astype("<f4").tobytes(), "hi": self.hi.astype("<f4").tobytes()}

    @classmethod
    def from_storage(cls, d, n: int) -> "VoltageSamples":
        """Read what :meth:`to_storage` wrote, for ``n`` neurons."""
        def raw(key):
            value = d[key]
            return base64.b64decode(value) if isinstance(value, str) else bytes(value)

        samples = int(d["samples"])
        values = np.frombuffer(raw("values"), dtype="<f2")
        if values.size != samples * n:
            raise ValueError(f"voltage samples hold {values.size} values, expected {samples} x {n}")
        return cls(values.reshape(samples, n), float(d["every_ms"]),
                   np.frombuffer(raw("lo"), dtype="<f4"), np.frombuffer(raw("hi"), dtype="<f4"))
