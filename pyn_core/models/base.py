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


@dataclass(frozen=True)
class Param:
    """One parameter of a model: its default, unit and meaning."""

    default: float
    unit: str
    doc: str


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
        Per-population integer options appended to ``step``'s arguments.
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

    def parameter_table(self) -> str:
        """The parameter table as aligned plain text (name, default, unit, meaning)."""
        rows = [(k, repr(p.default), p.unit, p.doc) for k, p in self.params.items()]
        w = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join(
            f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:<{w[2]}}  {r[3]}" for r in rows
        )


def expm1_ratio(x, y):
    """``x / (exp(x / y) - 1)``, finite at ``x == 0`` (where it equals ``y``).

    Works on scalars and arrays alike, without branches.
    """
    x = x + 1e-9 * (x == 0)
    return x / np.expm1(x / y)
