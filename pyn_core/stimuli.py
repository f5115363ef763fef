"""External input: current windows, noise currents and Poisson spike drive.

=============  ======================================================================
kind           meaning
=============  ======================================================================
``current``    a current of ``amplitude`` (the model's input unit) on ``neurons``
               for ``start <= t <= stop`` (ms, both inclusive, as the original
               ``I_ext``); ``amplitude`` may be a callable of an array of step
               times (ms) returning shape (steps,) or (steps, len(neurons)),
               evaluated once at build (ramps, published protocols, frozen
               noise), or a table ``{"times": [...], "values": [...]}``,
               interpolated linearly, which a network spec can hold.
``noise``      a current drawn anew every step from normal(mean, std)
               independently per neuron (std is per step, not scaled by dt).
``poisson``    independent Poisson spike trains at ``rate`` Hz per neuron, each
               spike adding ``weight`` through a synapse of the target (default:
               the target's default excitatory synapse); no delay.
=============  ======================================================================

Overlapping stimuli add up.  DC and step sources are ``current`` stimuli
(``stop=None`` means until the end of the run).

Examples
--------
>>> s = CurrentStimulus("pop", start=10, stop=20, amplitude=5.0, neurons=[0, 2])
>>> s.steps(0.5)
(20, 40)
>>> ramp = CurrentStimulus("pop", start=0, stop=10, amplitude={"times": [0, 10], "values": [0, 5]})
>>> ramp.amplitude(np.array([0.0, 5.0, 10.0])).tolist()
[0.0, 2.5, 5.0]
"""
from __future__ import annotations

import math

import numpy as np

from ._checks import check_keys, check_name, check_real, number_array, show
from .errors import PynTypeError, PynValueError
from .synapses import normalise_synapse

KINDS = ("current", "noise", "poisson")
#: The fields of each kind of stimulus in a spec.
FIELDS = {"current": ("kind", "target", "start", "stop", "neurons", "amplitude"),
          "noise": ("kind", "target", "start", "stop", "neurons", "mean", "std"),
          "poisson": ("kind", "target", "start", "stop", "neurons", "rate", "weight", "synapse")}
_EPS = 1e-9


def _window(start, stop, where):
    start = check_real(start, f"{where}: start", minimum=0.0)
    stop = check_real(stop, f"{where}: stop", allow_none=True)
    if stop is not None and stop < start:
        raise PynValueError(f"{where}: stop ({stop} ms) must be >= start ({start} ms)")
    return start, stop


class _Stimulus:
    kind = ""

    def __init__(self, target, start, stop, neurons):
        self.target = check_name(target, "stimulus target")
        where = f"{self.kind} stimulus on {target!r}"
        self.start, self.stop = _window(start, stop, where)
        if neurons is not None:
            try:
                arr = np.asarray(neurons)
            except (TypeError, ValueError, OverflowError):   # ragged nesting
                arr = None
            if arr is None or arr.ndim > 1 or (arr.size and arr.dtype.kind not in "iuf"):
                raise PynTypeError(f"{where}: neurons must be a list of neuron indices, got {show(neurons)}")
            if arr.size and arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
                raise PynTypeError(f"{where}: neurons must be integer neuron indices, got {show(neurons)}")
            flat = arr.reshape(-1)
            if flat.dtype.kind == "f" and np.all(np.abs(flat) < 2 ** 62):
                flat = flat.astype(np.int64)
            neurons = flat.tolist()
        self.neurons = neurons

    def steps(self, dt: float) -> tuple[int, int | None]:
        """First and last step index (inclusive) whose start time lies in the window."""
        k0 = math.ceil(self.start / dt - _EPS)
        k1 = None if self.stop is None else math.floor(self.stop / dt + _EPS)
        return k0, k1

    def _base_spec(self):
        return {"kind": self.kind, "target": self.target, "start": self.start, "stop": self.stop,
                "neurons": self.neurons}


class CurrentStimulus(_Stimulus):
    """A current window (the original ``I_ext`` entry); see the module docstring."""

    kind = "current"

    def __init__(self, target, start=0.0, stop=None, amplitude=0.0, neurons=None):
        super().__init__(target, start, stop, neurons)
        where = f"current stimulus on {target!r}"
        if isinstance(amplitude, dict):
            self.amplitude = _table(amplitude, where)
        elif callable(amplitude):
            self.amplitude = amplitude
        else:
            self.amplitude = check_real(amplitude, f"{where}: amplitude")

    def to_spec(self) -> dict:
        if isinstance(self.amplitude, _Table):
            return {**self._base_spec(), "amplitude": self.amplitude.to_spec()}
        if callable(self.amplitude):
            raise PynValueError(f"current stimulus on {self.target!r} has a callable amplitude, which a "
                                "spec cannot hold; sample it into a 'times'/'values' table first")
        return {**self._base_spec(), "amplitude": self.amplitude}


class _Table:
    """A piecewise-linear current: ``np.interp(t, times, values)`` (held outside the table)."""

    def __init__(self, times, values):
        self.times, self.values = times, values

    def __call__(self, t):
        return np.interp(t, self.times, self.values)

    def to_spec(self) -> dict:
        return {"times": self.times.tolist(), "values": self.values.tolist()}


def _table(d: dict, where: str) -> _Table:
    if set(d) != {"times", "values"}:
        raise PynValueError(f"{where}: a tabulated amplitude is a dict with exactly 'times' and 'values', "
                            f"got fields {sorted(map(str, d))}")
    try:
        times, values = number_array(d["times"], "times"), number_array(d["values"], "values")
    except PynTypeError:
        raise PynValueError(f"{where}: 'times' and 'values' must be lists of numbers") from None
    except PynValueError:
        raise PynValueError(f"{where}: 'times' and 'values' must be finite") from None
    if times.ndim != 1 or times.shape != values.shape or times.size < 1:
        raise PynValueError(f"{where}: 'times' and 'values' must be 1-D of equal, non-zero length")
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(values))):
        raise PynValueError(f"{where}: 'times' and 'values' must be finite")
    if np.any(np.diff(times) < 0):
        raise PynValueError(f"{where}: 'times' must be non-decreasing")
    return _Table(times, values)


class NoiseStimulus(_Stimulus):
    """A Gaussian current drawn each step, independently per neuron."""

    kind = "noise"

    def __init__(self, target, mean=0.0, std=1.0, start=0.0, stop=None, neurons=None):
        super().__init__(target, start, stop, neurons)
        self.mean = check_real(mean, f"noise stimulus on {target!r}: mean")
        self.std = check_real(std, f"noise stimulus on {target!r}: std", minimum=0.0)

    def to_spec(self) -> dict:
        return {**self._base_spec(), "mean": self.mean, "std": self.std}


class PoissonStimulus(_Stimulus):
    """Independent Poisson spike drive onto each target neuron."""

    kind = "poisson"

    def __init__(self, target, rate, weight=1.0, start=0.0, stop=None, neurons=None, synapse=None):
        super().__init__(target, start, stop, neurons)
        self.rate = check_real(rate, f"poisson stimulus on {target!r}: rate (Hz)", minimum=0.0)
        self.weight = check_real(weight, f"poisson stimulus on {target!r}: weight")
        self.synapse = None if synapse is None else normalise_synapse(synapse, f"poisson stimulus on {target!r}")

    def to_spec(self) -> dict:
        return {**self._base_spec(), "rate": self.rate, "weight": self.weight, "synapse": self.synapse}


def stimulus_from_spec(d: dict):
    """Build a stimulus from its spec dict (the fields of its kind only: :data:`FIELDS`)."""
    kind = d.get("kind") if isinstance(d, dict) else None
    if not isinstance(kind, str) or kind not in KINDS:
        raise PynValueError(f"stimulus kind must be one of {', '.join(KINDS)}, got {show(kind)}")
    check_keys(d, FIELDS[kind], f"bad {kind} stimulus", of=f"kind {kind!r}")
    if "target" not in d:
        raise PynValueError(f"bad {kind} stimulus: missing field 'target' (a population name)")
    if kind == "poisson" and "rate" not in d:
        raise PynValueError("bad poisson stimulus: missing field 'rate' (Hz)")
    d = dict(d)
    d.pop("kind")
    cls = {"current": CurrentStimulus, "noise": NoiseStimulus, "poisson": PoissonStimulus}[kind]
    return cls(**d)


_IEXT_KEYS = {"start", "stop", "mV", "amplitude", "neurons"}


def parse_I_ext(I_ext) -> list:
    """The original ``I_ext`` dict ``{population: [{'start', 'stop', 'mV', 'neurons'}, ...]}``."""
    if I_ext is None:
        return []
    if not isinstance(I_ext, dict):
        raise PynTypeError("I_ext must be a dict {population name: [stimulus dicts]}")
    out = []
    for target, entries in I_ext.items():
        if isinstance(entries, dict):
            entries = [entries]
        if not isinstance(entries, (list, tuple)):
            raise PynTypeError(f"I_ext[{target!r}] must be a list of dicts with start, stop, mV, neurons")
        for e in entries:
            if not isinstance(e, dict):
                raise PynTypeError(f"I_ext[{target!r}] entries must be dicts with start, stop, mV, neurons")
            unknown = set(e) - _IEXT_KEYS
            if unknown:
                raise PynValueError(f"I_ext[{target!r}]: unknown key(s) {sorted(unknown)}; allowed: "
                                    "start, stop, mV (or amplitude), neurons")
            if "mV" in e and "amplitude" in e:
                raise PynValueError(f"I_ext[{target!r}]: give either 'mV' or 'amplitude', not both")
            amp = e.get("mV", e.get("amplitude"))
            if amp is None:
                raise PynValueError(f"I_ext[{target!r}]: each stimulus needs an amplitude ('mV')")
            out.append(CurrentStimulus(target, start=e.get("start", 0.0), stop=e.get("stop"),
                                       amplitude=amp, neurons=e.get("neurons")))
    return out
