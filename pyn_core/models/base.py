"""The shape every neuron model has.

A model is a small, stateless description: a parameter table (default, unit,
meaning), the names of its state variables, and pure functions written as plain
arithmetic so that the same code runs on numpy arrays (the reference backend)
and on scalars inside numba loops (the fast backend):

``step(*state, *params, I, G, GE, dt, *options) -> tuple of new state``
    Advance one step of ``dt`` ms. ``I`` is the summed current-type input
    (external stimuli and current synapses) in the model's input unit; the
    conductance-type input is ``GE - G * v`` (``G``: summed conductance,
    ``GE``: summed conductance times reversal potential), so models can
    integrate it exactly or add it to ``I``.
``reset(*state, *params) -> tuple of new state``
    Applied to the neurons that spiked (models with ``spike_kind == "reset"``).

The engine owns everything else: input summation, threshold detection,
refractory clamping, recording.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np


def _num(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Param:
    """One parameter of a model or synapse kind: its default, unit, meaning and valid range.

    Parameters
    ----------
    default : float
        Value used when none is given.
    unit : str
        Unit of the value (``"ms"``, ``"mV"``, ``"1"`` for a pure number).
    doc : str
        One line saying what it means.
    low, high : float, optional
        Bounds of the valid range; ``None`` (default) leaves that side open
        to any finite number (potentials, for example).
    low_open, high_open : bool
        Whether the bound itself is excluded (``low=0, low_open=True`` is
        "> 0", the range of a time constant).

    Every value must be finite; :meth:`check` refuses one outside the range
    with a message naming the parameter, the value and the range.

    Examples
    --------
    >>> tau = Param(20.0, "ms", "membrane time constant", low=0, low_open=True)
    >>> tau.range_text(), Param(0.5, "1", "utilisation", low=0, high=1, low_open=True).range_text()
    ('> 0', '(0, 1]')
    >>> tau.check(-1.0, "parameter 'tau_m' of population 'exc'")
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: parameter 'tau_m' of population 'exc' must be > 0 ms, got -1
    """

    default: float
    unit: str
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def range_text(self) -> str:
        """The valid range as text: ``"any"``, ``"> 0"``, ``">= 0"``, ``"[0, 1]"``, ..."""
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return "any"
        if hi is None:
            return f"{'>' if self.low_open else '>='} {_num(lo)}"
        if lo is None:
            return f"{'<' if self.high_open else '<='} {_num(hi)}"
        return f"{'(' if self.low_open else '['}{_num(lo)}, {_num(hi)}{')' if self.high_open else ']'}"

    def inside(self, value) -> np.ndarray:
        """Whether each of ``value`` (a number or an array) lies in the range (NaN never does)."""
        v = np.asarray(value, dtype=float)
        ok = np.isfinite(v)
        if self.low is not None:
            ok &= (v > self.low) if self.low_open else (v >= self.low)
        if self.high is not None:
            ok &= (v < self.high) if self.high_open else (v <= self.high)
        return ok

    def check(self, value, what: str):
        """``value`` (a number or an array) if it lies in the range, else a PynValueError naming ``what``."""
        from ..errors import PynValueError
        ok = self.inside(value)
        if not np.all(ok):
            v = np.asarray(value, dtype=float)
            bad = v.reshape(-1)[np.flatnonzero(~ok.reshape(-1))[0]] if v.ndim else v
            at = f" (neuron {int(np.flatnonzero(~ok.reshape(-1))[0])})" if v.ndim else ""
            rng = self.range_text()
            rng = f"within {rng}" if rng[0] in "[(" else rng
            unit = f" {self.unit}" if self.unit and self.unit != "1" and rng[0] != "w" else ""
            raise PynValueError(f"{what} must be {rng}{unit}, got {_num(float(bad))}{at}")
        return value


def positive(default: float, unit: str, doc: str) -> Param:
    """A parameter that must be > 0 (time constants, capacitances)."""
    return Param(default, unit, doc, low=0.0, low_open=True)


def non_negative(default: float, unit: str, doc: str) -> Param:
    """A parameter that must be >= 0 (conductances, refractory periods)."""
    return Param(default, unit, doc, low=0.0)


@dataclass(frozen=True)
class NeuronModel:
    """Description of a neuron model shared by every backend.

    Attributes
    ----------
    name : str
        Registry name (``"izhikevich"``, ``"adex"``, ``"hh"``, ``"lif"``).
    params : mapping of str to Param
        Parameter table in the order the ``step`` function takes them.
    state : tuple of str
        State variables in the order ``step`` takes and returns them; the
        first is the membrane potential.
    initial : callable
        ``initial(params: dict[str, ndarray], N, given: dict[str, ndarray])
        -> dict[str, ndarray]``: the initial state given the per-neuron
        parameters and the values the user set (``given``).
    step : callable
        The equations (see the module docstring).
    reset_state : tuple of str
        The state variables ``reset`` takes and returns (a prefix-free subset of
        ``state``); ``reset_params`` the parameters it takes.
    reset : callable or None
        Reset after a spike, or None for models that are not reset.
    threshold : str
        Name of the parameter holding the spike threshold (mV).
    spike_kind : {"reset", "crossing"}
        ``"reset"``: a spike is ``v >= threshold`` and the neuron is reset;
        ``"crossing"``: a spike is an upward crossing of ``threshold``, no reset.
    refractory : str or None
        Name of the parameter holding the refractory period (ms) during which
        ``v`` is clamped to the parameter named by ``clamp_to``.
    options : mapping
        Per-population integer options appended to ``step``'s arguments
        (name -> default).
    option_ranges : mapping of str to (int, int)
        Inclusive bounds of each option; an option not listed must lie
        within 1..1000.
    input_unit : str
        Unit of ``I`` (and of stimulus amplitudes for this model).
    presets : mapping of str to dict
        Named parameter sets (parameters and initial values).
    """

    name: str
    params: Mapping[str, Param]
    state: tuple[str, ...]
    initial: Callable[[dict, int, dict], dict]
    step: Callable
    reset: Callable | None
    reset_state: tuple[str, ...]
    reset_params: tuple[str, ...]
    threshold: str
    spike_kind: str
    refractory: str | None = None
    clamp_to: str | None = None
    options: Mapping[str, int] = field(default_factory=dict)
    option_ranges: Mapping[str, tuple] = field(default_factory=dict)
    input_unit: str = ""
    conductance_unit: str = ""
    presets: Mapping[str, dict] = field(default_factory=dict)
    default_synapse: Mapping[str, object] = field(default_factory=dict)
    doc: str = ""

    @property
    def voltage(self) -> str:
        """Name of the membrane-potential state variable."""
        return self.state[0]

    def defaults(self) -> dict[str, float]:
        """Default value of every parameter."""
        return {k: p.default for k, p in self.params.items()}

    def option_range(self, name: str) -> tuple[int, int]:
        """Inclusive (low, high) bounds of option ``name``."""
        return tuple(self.option_ranges.get(name, (1, 1000)))

    def parameter_table(self) -> str:
        """The parameter table as aligned plain text (name, default, unit, valid range, meaning).

        Examples
        --------
        >>> from pyn_core.models import get_model
        >>> print(get_model("lif").parameter_table().splitlines()[0])
        tau_m     20.0  ms   > 0   membrane time constant
        """
        rows = [(k, repr(p.default), p.unit, p.range_text(), p.doc) for k, p in self.params.items()]
        w = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join(
            f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:<{w[2]}}  {r[3]:<{w[3]}}  {r[4]}" for r in rows
        )


def expm1_ratio(x, y):
    """``x / (exp(x / y) - 1)``, finite at ``x == 0`` (where it equals ``y``).

    Works on scalars and arrays alike, without branches.
    """
    x = x + 1e-9 * (x == 0)
    return x / np.expm1(x / y)
