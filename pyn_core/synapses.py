"""Synapse kinds: how an arriving spike of weight ``w`` shapes the input of its target.

A synapse kind is declared once, as a :class:`SynapseKind` of plain
arithmetic functions that run on numpy arrays (the numpy backend) and on
scalars inside compiled loops (the numba backend compiles them the way it
compiles neuron models).  The built-in kinds:

===========  ============================================================  ===============
kind         effect of a spike of weight w arriving at time 0               output
===========  ============================================================  ===============
``delta``    the membrane potential jumps by w (mV)                         voltage
``pulse``    a current w during the one step it arrives in                 current
``exp``      current ``w exp(-t/tau)``                                      current
``alpha``    current ``w (t/tau) exp(1 - t/tau)``: peaks at w after tau     current
             ms (the original pyN ``t exp(-t/tau_psc)`` shape, normalised
             to its peak); two coupled exponentials, integrated exactly
``cond_exp`` conductance ``w exp(-t/tau)`` with reversal potential E:         conductance
             current ``g (E - v)``
``cond_alpha`` conductance ``w (t/tau) exp(1 - t/tau)`` with reversal       conductance
             potential E (the dynamics of ``alpha``)
===========  ============================================================  ===============

Decays are exact (the factor ``exp(-dt/tau)`` per step).  Synapses of the same
kind and parameters onto one population share their state (the equations are
linear), so the cost is per receptor, not per synapse.

The contract of a kind (GeNN's "postsynaptic model"; dynamics and output are
separate, as BrainPy's CUBA/COBA outputs):

``state``
    names of the per-receptor state variables (one value per target neuron).
``arrive(*state, w, *params, *constants) -> new state``
    a spike of weight ``w`` arrives.  It must be linear in the state and in
    ``w``: the weights arriving in one step are summed before it is applied,
    and a Poisson count ``c`` of weight ``w`` adds ``c`` times
    ``arrive(0, w)``.
``decay(*state, *params, *constants, dt) -> new state``
    one step of ``dt`` ms, exact where possible.
``output``
    ``"current"`` (``value`` is added to the input current ``I``),
    ``"conductance"`` (``value`` is a conductance ``g``, adding ``g`` to ``G``
    and ``g E`` to ``GE``; the kind needs a parameter ``E``) or
    ``"voltage"`` (``value`` is a jump of ``v`` at arrival; the state is not
    kept between steps).  The dynamics do not see the output: ``E`` of a
    conductance kind is not among the ``params`` the functions take, so one
    set of functions serves a current and a conductance kind alike
    (``cond_exp`` is ``exp``'s dynamics, ``cond_alpha`` ``alpha``'s).
``value(*state, *params, *constants)``
    what the receptor contributes.
``constants`` (optional)
    ``{name: f(*params, dt)}``, numbers computed once per receptor when the
    network is built (decay factors): every backend then uses the very same
    numbers, so results agree bit for bit across backends even where their
    ``exp`` functions differ in the last bit.

Examples
--------
A biexponential current (rise ``tau_rise``, decay ``tau_decay``), normalised
so that a single spike peaks at ``w``:

>>> import math
>>> from pyn_core import SynapseKind, Param, register_synapse
>>> def peak(tr, td):
...     t = tr * td / (td - tr) * math.log(td / tr)
...     return 1.0 / (math.exp(-t / td) - math.exp(-t / tr))
>>> biexp = SynapseKind(
...     name="biexp_doc",
...     params={"tau_rise": Param(1.0, "ms", "rise time"), "tau_decay": Param(5.0, "ms", "decay time")},
...     state=("a", "b"),
...     arrive=lambda a, b, w, tr, td, n, fa, fb: (a + w * n, b + w * n),
...     decay=lambda a, b, tr, td, n, fa, fb, dt: (a * fa, b * fb),
...     output="current",
...     value=lambda a, b, tr, td, n, fa, fb: a - b,
...     constants={"norm": lambda tr, td, dt: peak(tr, td),
...                "fa": lambda tr, td, dt: math.exp(-dt / td),
...                "fb": lambda tr, td, dt: math.exp(-dt / tr)})
>>> register_synapse(biexp).name
'biexp_doc'
>>> normalise_synapse({"kind": "biexp_doc", "tau_rise": 2.0}, "example")
{'kind': 'biexp_doc', 'tau_rise': 2.0, 'tau_decay': 5.0}
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ._checks import check_real, field_list, show
from .errors import PynLookupError, PynTypeError, PynValueError
from .models.base import Param

OUTPUTS = ("current", "conductance", "voltage")


@dataclass(frozen=True)
class SynapseKind:
    """A synapse kind: its parameters, state and the arithmetic every backend compiles.

    See the module docstring for the contract of each function.

    Attributes
    ----------
    name : str
        Registry name (``net.connect(..., synapse={"kind": name, ...})``).
    params : mapping of str to Param
        Parameters in the order the functions take them.
    state : tuple of str
        Per-receptor state variables.
    arrive, decay, value : callable
        The dynamics and the output (module docstring).
    output : {"current", "conductance", "voltage"}
        Where ``value`` goes.
    constants : mapping of str to callable
        ``{name: f(*params, dt)}``, evaluated once per receptor at build time
        and passed after the parameters.
    optional : tuple of str
        Parameters that may be left out of a synapse dict and are then filled
        in from the connection (``E`` of ``cond_exp``: 0 mV for excitatory,
        -80 mV for inhibitory connections, or the target model's reversal
        potentials).
    positive : tuple of str
        Parameters that must be > 0 (time constants); a :class:`Param` may
        also carry its own range (``low``, ``high``), which is checked too.
    doc : str
        One line for listings and the Blender panel.
    """

    name: str
    params: Mapping[str, Param]
    state: tuple[str, ...]
    arrive: Callable
    decay: Callable
    output: str
    value: Callable
    constants: Mapping[str, Callable] = field(default_factory=dict)
    optional: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    doc: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise PynTypeError(f"SynapseKind name must be a non-empty string, got {self.name!r}")
        if self.output not in OUTPUTS:
            raise PynValueError(f"synapse kind {self.name!r}: output must be one of {', '.join(OUTPUTS)}, "
                                f"got {self.output!r}")
        if not isinstance(self.state, tuple) or not self.state or not all(isinstance(s, str) for s in self.state):
            raise PynTypeError(f"synapse kind {self.name!r}: state must be a non-empty tuple of names, "
                               f"got {self.state!r}")
        for f in ("arrive", "decay", "value"):
            if not callable(getattr(self, f)):
                raise PynTypeError(f"synapse kind {self.name!r}: {f} must be a function")
        if self.output == "conductance" and "E" not in self.params:
            raise PynValueError(f"synapse kind {self.name!r}: a conductance kind needs a parameter 'E' "
                                "(the reversal potential)")
        for names, what in ((self.optional, "optional"), (self.positive, "positive")):
            bad = [n for n in names if n not in self.params]
            if bad:
                raise PynValueError(f"synapse kind {self.name!r}: {what} names unknown parameter(s) {bad}")

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.params)

    @property
    def dynamic_params(self) -> tuple[str, ...]:
        """The parameters the functions take (all but ``E`` of a conductance kind), in order."""
        return tuple(p for p in self.params if not (self.output == "conductance" and p == "E"))

    @property
    def arg_names(self) -> tuple[str, ...]:
        """What the functions take after the state (and ``w``): the dynamic parameters, then the constants."""
        return self.dynamic_params + tuple(self.constants)

    def defaults(self) -> dict[str, float]:
        """Default value of every parameter that has one (the optional ones are filled in later)."""
        return {k: p.default for k, p in self.params.items() if k not in self.optional}

    def constant_values(self, params: tuple, dt: float) -> tuple[float, ...]:
        """The build-time constants for the dynamic parameter values ``params`` and step ``dt``."""
        return tuple(float(f(*params, dt)) for f in self.constants.values())


# ---------------------------------------------------------------------------
# the built-in kinds
# ---------------------------------------------------------------------------
def _add(s, w):
    return (s + w,)


def _same(s):
    return s


def _consumed(s, dt):          # a pulse lasts one step
    return (s * 0.0,)


def _exp_arrive(s, w, tau, f):
    return (s + w,)


def _exp_decay(s, tau, f, dt):
    return (s * f,)


def _exp_value(s, tau, f):
    return s


def _alpha_arrive(x, s, w, tau, f, h):
    return (x + w * 2.718281828459045, s)      # e: the current peaks at w


def _alpha_decay(x, s, tau, f, h, dt):
    return (x * f, (s + h * x) * f)


def _alpha_value(x, s, tau, f, h):
    return s


def _decay_factor(tau, dt):
    return math.exp(-dt / tau)


def _h_over_tau(tau, dt):
    return dt / tau


_TAU = Param(5.0, "ms", "decay time constant", low=0.0, low_open=True)
_E = Param(0.0, "mV", "reversal potential (default: 0 mV excitatory, -80 mV inhibitory)")

BUILTIN = (
    SynapseKind("delta", {}, ("x",), _add, _consumed, "voltage", _same,
                doc="the membrane potential jumps by w (mV)"),
    SynapseKind("pulse", {}, ("s",), _add, _consumed, "current", _same,
                doc="a current w during the one step it arrives in"),
    SynapseKind("exp", {"tau": _TAU}, ("s",), _exp_arrive, _exp_decay, "current", _exp_value,
                constants={"f": _decay_factor}, positive=("tau",), doc="current w exp(-t/tau)"),
    SynapseKind("alpha", {"tau": _TAU}, ("x", "s"), _alpha_arrive, _alpha_decay, "current", _alpha_value,
                constants={"f": _decay_factor, "h": _h_over_tau}, positive=("tau",),
                doc="current w (t/tau) exp(1 - t/tau), peak w at t = tau"),
    SynapseKind("cond_exp", {"tau": _TAU, "E": _E}, ("g",), _exp_arrive, _exp_decay, "conductance", _exp_value,
                constants={"f": _decay_factor}, optional=("E",), positive=("tau",),
                doc="conductance w exp(-t/tau), current g (E - v)"),
    SynapseKind("cond_alpha", {"tau": _TAU, "E": _E}, ("x", "g"), _alpha_arrive, _alpha_decay, "conductance",
                _alpha_value, constants={"f": _decay_factor, "h": _h_over_tau}, optional=("E",), positive=("tau",),
                doc="conductance w (t/tau) exp(1 - t/tau), current g (E - v)"),
)

_REGISTRY: dict[str, SynapseKind] = {}


def register_synapse(kind: SynapseKind) -> SynapseKind:
    """Add a synapse kind to the registry; it then runs on every backend.

    Registering the same object again is allowed; another kind under a name
    that is taken is an error.
    """
    if not isinstance(kind, SynapseKind):
        raise PynTypeError(f"register_synapse expects a SynapseKind, got {type(kind).__name__}")
    old = _REGISTRY.get(kind.name)
    if old is not None and old is not kind:
        raise PynValueError(f"a synapse kind named {kind.name!r} is already registered")
    _REGISTRY[kind.name] = kind
    return kind


for _k in BUILTIN:
    register_synapse(_k)


def synapse_kinds() -> list[str]:
    """Names of the registered synapse kinds (built-in ones first, in the table's order)."""
    return list(_REGISTRY)


def get_synapse_kind(name: str) -> SynapseKind:
    """The registered synapse kind called ``name``."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise PynLookupError(f"unknown synapse kind {name!r}; known kinds: {', '.join(_REGISTRY)}") from None


def normalise_synapse(syn, where: str) -> dict:
    """Validate a synapse given as a kind name or a dict; returns ``{"kind": ..., **params}``.

    Parameters missing from the dict take their defaults, except the
    optional ones (see :class:`SynapseKind`), which stay missing.
    """
    if isinstance(syn, str):
        syn = {"kind": syn}
    if not isinstance(syn, dict) or not isinstance(syn.get("kind"), str) or syn["kind"] not in _REGISTRY:
        raise PynValueError(f"{where}: synapse kind must be one of {', '.join(_REGISTRY)}, got {show(syn)}")
    kind = _REGISTRY[syn["kind"]]
    unknown = [k for k in syn if not isinstance(k, str) or (k != "kind" and k not in kind.params)]
    if unknown:
        raise PynValueError(f"{where}: unknown synapse field(s) {field_list(unknown)} for kind {kind.name!r}; "
                            f"allowed: {', '.join(('kind',) + kind.param_names)}")
    out = {"kind": kind.name}
    for name, p in kind.params.items():
        if name not in syn or syn[name] is None:
            if name in kind.optional:
                continue
            value = p.default
        else:
            value = syn[name]
        what = f"{where}: synapse {name}"
        out[name] = p.check(check_real(value, what, strictly_positive=name in kind.positive), what)
    return out


def receptor_key(syn: dict) -> tuple:
    """Synapses with equal keys onto one population share a receptor: (kind, parameter values)."""
    kind = _REGISTRY[syn["kind"]]
    return (kind.name,) + tuple(float(syn[p]) for p in kind.params)


__all__ = ["SynapseKind", "Param", "register_synapse", "synapse_kinds", "get_synapse_kind", "normalise_synapse",
           "receptor_key", "OUTPUTS"]
