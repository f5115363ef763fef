"""Populations: groups of neurons sharing a model (parameters may differ per neuron).

The user-facing classes keep the original pyN call shapes
(``IzhikevichPopulation(name, a, b, c, d, v0, u0, N, tau_psc, connectivity, ...)``)
and add named presets, heterogeneous parameters and 3-D positions.
"""
from __future__ import annotations

import numpy as np

from ._checks import (MAX_COUNT, check_color, check_count, check_mapping, check_name, check_param_value,
                      check_real, number_array, show)
from .errors import PynTypeError, PynValueError
from .models import get_model
from .models.base import NeuronModel
from .space import layout_positions, normalise_layout
from .synapses import normalise_synapse

RECURRENT_RULES = (None, "sparse-random", "full-random")


class Population:
    """A group of ``N`` neurons of one model.

    Parameters
    ----------
    name : str
        Unique name within a network.
    N : int
        Number of neurons, within 1..2**31 - 1 (indices are 32-bit in the
        kernels).
    model : str or NeuronModel
        Registered model name (see :func:`pyn_core.models`) or a model object.
    params : dict, optional
        Parameter values: a scalar or an array of length ``N`` each, every
        value finite and within the parameter's range (the model's
        ``parameter_table()``: time constants > 0, conductances >= 0, ...).
    preset : str, optional
        A named parameter set of the model; explicit ``params`` override it.
    initial : dict, optional
        Initial state values (scalar or length-``N`` array) by state name.
    positions : str, dict or array, optional
        3-D layout (see :mod:`pyn_core.space`); default a grid.
    connectivity : {None, "sparse-random", "full-random"}
        Recurrent connection of the population to itself, made when it is
        added to a network (the original pyN option).
    color : sequence of 3 floats, optional
        Display colour (used by the Blender view, kept in the spec).
    options : dict, optional
        Integer integration options of the model (e.g. ``v_substeps``,
        within 1..1000).
    scale : float
        Weight scale of the recurrent connectivity.
    synapse_defaults : dict, optional
        Synapse kind and parameters of connections onto this population
        unless a connection names its own (see :mod:`pyn_core.synapses`).
        Fields given here replace the model's default synapse field by
        field; naming another ``kind`` starts from that kind's own defaults
        (e.g. ``{"kind": "delta"}`` on a LIF population drops its ``tau``).

    Raises
    ------
    PynError
        For any value out of its range or of the wrong type; the message
        names the population, the field and what is allowed.

    Examples
    --------
    >>> p = Population("exc", 4, "lif", params={"tau_m": [10, 20, 30, 40]})
    >>> p.param_array("tau_m").tolist()
    [10.0, 20.0, 30.0, 40.0]
    >>> Population("exc", 2, "lif", params={"tau_m": [10.0, -1.0]})
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: parameter 'tau_m' of population 'exc' must be > 0 ms, got -1 (neuron 1)
    """

    kind = "neuron"

    def __init__(self, name, N, model, params=None, preset=None, initial=None, positions=None,
                 connectivity=None, color=None, options=None, scale=1.0, synapse_defaults=None):
        self.name = check_name(name, "population name")
        self.N = check_count(N, f"N of population {name!r}", maximum=MAX_COUNT)
        self.model: NeuronModel = model if isinstance(model, NeuronModel) else get_model(model)
        self.preset = preset
        values: dict = {}
        params = check_mapping(params, f"params of population {name!r}")
        initial = check_mapping(initial, f"initial of population {name!r}")
        options = check_mapping(options, f"options of population {name!r}")
        if preset is not None:
            if not isinstance(preset, str) or preset not in self.model.presets:
                raise PynValueError(
                    f"unknown preset {show(preset)} for model {self.model.name!r}; valid presets: "
                    + (", ".join(self.model.presets) or "none"))
            for k, v in self.model.presets[preset].items():
                if k.endswith("0") and k[:-1] in self.model.state:
                    initial.setdefault(k[:-1], v)
                else:
                    values[k] = v
        for k, v in params.items():
            if not isinstance(k, str) or k not in self.model.params:
                raise PynValueError(f"unknown parameter {show(k)} for model {self.model.name!r}; "
                                    f"allowed: {', '.join(self.model.params)}")
            values[k] = v
        self.params = {}
        for k, v in values.items():
            what = f"parameter {k!r} of population {name!r}"
            self.params[k] = self.model.params[k].check(check_param_value(v, what, self.N), what)
        self.initial = {}
        for k, v in initial.items():
            if not isinstance(k, str) or k not in self.model.state:
                raise PynValueError(f"unknown state variable {show(k)} for model {self.model.name!r}; "
                                    f"allowed: {', '.join(self.model.state)}")
            if v is not None:
                self.initial[k] = check_param_value(v, f"initial {k} of population {name!r}", self.N)
        self.options = dict(self.model.options)
        for k, v in options.items():
            if not isinstance(k, str) or k not in self.model.options:
                raise PynValueError(f"unknown option {show(k)} for model {self.model.name!r}; "
                                    f"allowed: {', '.join(self.model.options) or 'none'}")
            low, high = self.model.option_range(k)
            self.options[k] = check_count(v, f"option {k!r} of population {name!r}", minimum=low, maximum=high)
        if not (connectivity is None or isinstance(connectivity, str) and connectivity in RECURRENT_RULES):
            raise PynValueError(f"connectivity of population {name!r} must be one of "
                                f"{RECURRENT_RULES}, got {show(connectivity)}")
        self.connectivity = connectivity
        self.scale = check_real(scale, f"scale of population {name!r}")
        self.layout = normalise_layout(positions, self.N, self.name)
        self.color = check_color(color, f"color of population {name!r}")
        self.synapse_defaults = check_mapping(synapse_defaults, f"synapse_defaults of population {name!r}")
        for mode in ("excitatory", "inhibitory"):    # refused now, not at the first connection
            normalise_synapse(self.default_synapse(mode), f"synapse_defaults of population {name!r}")

    # -- parameters --------------------------------------------------------
    def param_array(self, name: str) -> np.ndarray:
        """Parameter ``name`` as a float64 array of length N."""
        value = self.params.get(name, self.model.params[name].default)
        return np.broadcast_to(np.asarray(value, dtype=float), (self.N,)).copy()

    def initial_state(self) -> dict[str, np.ndarray]:
        """Initial state arrays (model defaults, then user values)."""
        p = {k: self.param_array(k) for k in self.model.params}
        given = {k: np.broadcast_to(np.asarray(v, dtype=float), (self.N,)).copy()
                 for k, v in self.initial.items()}
        return {k: np.broadcast_to(np.asarray(v, dtype=float), (self.N,)).copy()
                for k, v in self.model.initial(p, self.N, given).items()}

    @property
    def positions(self) -> np.ndarray:
        """(N, 3) positions of the neurons."""
        return layout_positions(self.layout, self.N)

    def default_synapse(self, mode: str) -> dict:
        """Synapse used by connections onto this population unless told otherwise."""
        syn = dict(self.model.default_synapse)
        if self.synapse_defaults.get("kind", syn.get("kind")) != syn.get("kind"):
            syn = {}        # another kind: none of the model's own synapse fields (its tau) apply
        syn.update(self.synapse_defaults)
        if syn["kind"] == "cond_exp":
            suffix = "E" if mode == "excitatory" else "I"
            p = self.params
            syn.setdefault("tau", float(np.mean(p.get(f"tau_syn_{suffix}", 5.0))))
            syn.setdefault("E", float(np.mean(p.get(f"e_rev_{suffix}", 0.0 if suffix == "E" else -80.0))))
        return syn

    def to_spec(self) -> dict:
        """JSON-compatible description."""
        def plain(v):
            return v.tolist() if isinstance(v, np.ndarray) else v
        out = {"name": self.name, "model": self.model.name, "N": self.N, "preset": self.preset,
               "params": {k: plain(v) for k, v in self.params.items() if not (
                   self.preset and k in self.model.presets[self.preset]
                   and np.all(v == self.model.presets[self.preset][k]))},
               "initial": {k: plain(v) for k, v in self.initial.items()},
               "options": {k: v for k, v in self.options.items() if v != self.model.options[k]},
               "positions": self.layout, "connectivity": self.connectivity, "scale": self.scale}
        if self.synapse_defaults:
            out["synapse_defaults"] = dict(self.synapse_defaults)
        if self.color is not None:
            out["color"] = list(self.color)
        return out

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, N={self.N}, model={self.model.name!r})"


def IzhikevichPopulation(name, a=None, b=None, c=None, d=None, v0=None, u0=None, N=10, tau_psc=5.0,
                         connectivity=None, spike_delta=None, scale=1.0, *, preset=None,
                         positions=None, color=None, v_substeps=1, **params):
    """Izhikevich neurons, with the original pyN signature.

    Defaults ``a=0.02, b=0.2, c=-65, d=6, v0=-70, u0=b*v0``; ``preset`` selects
    one of the 20 published patterns (its a, b, c, d, v0, u0 and equation
    variant), and explicit arguments override it.  ``tau_psc`` (ms) is the time
    constant of the alpha-shaped synaptic current of connections onto this
    population; ``spike_delta`` is the spike cut-off (``v_peak``, 30 mV).

    Examples
    --------
    >>> p = IzhikevichPopulation("cell", N=1, preset="phasic_bursting")
    >>> float(p.param_array("d")[0]), float(p.initial_state()["v"][0])
    (0.05, -64.0)
    """
    given = dict(params)
    for key, val in (("a", a), ("b", b), ("c", c), ("d", d), ("v_peak", spike_delta)):
        if val is not None:
            given[key] = val
    initial = {}
    if v0 is not None:
        initial["v"] = v0
    if u0 is not None:
        initial["u"] = u0
    return Population(name, N, "izhikevich", params=given, preset=preset, initial=initial,
                      positions=positions, connectivity=connectivity, color=color,
                      options={"v_substeps": v_substeps}, scale=scale,
                      synapse_defaults={"kind": "alpha",
                                        "tau": check_real(tau_psc, "tau_psc", strictly_positive=True)})


def AdExPopulation(name, N=1, *, preset=None, connectivity=None, positions=None, color=None,
                   scale=1.0, v0=None, w0=None, synapse_defaults=None, **params):
    """Adaptive exponential integrate-and-fire neurons (PyNN parameter names and units).

    Examples
    --------
    >>> p = AdExPopulation("adex", N=2, preset="adapting")
    >>> round(float(p.param_array("i_offset")[0]), 3)
    0.5
    """
    initial = {k: v for k, v in (("v", v0), ("w", w0)) if v is not None}
    return Population(name, N, "adex", params=params, preset=preset, initial=initial,
                      positions=positions, connectivity=connectivity, color=color, scale=scale,
                      synapse_defaults=synapse_defaults)


def HHPopulation(name, N=1, *, connectivity=None, positions=None, color=None, scale=1.0, v0=None,
                 synapse_defaults=None, **params):
    """Hodgkin-Huxley (1952) neurons; injected current in µA/cm².

    Examples
    --------
    >>> HHPopulation("axon", N=3).N
    3
    """
    initial = {"v": v0} if v0 is not None else {}
    return Population(name, N, "hh", params=params, initial=initial, positions=positions,
                      connectivity=connectivity, color=color, scale=scale, synapse_defaults=synapse_defaults)


def LIFPopulation(name, N=1, *, connectivity=None, positions=None, color=None, scale=1.0, v0=None,
                  synapse_defaults=None, **params):
    """Leaky integrate-and-fire neurons; input current in nA (1 nA = 1 mV with R = 1 MΩ).

    ``synapse_defaults`` (as for :class:`Population`) sets the synapse of
    connections onto them, e.g. ``{"kind": "delta"}`` for voltage jumps.

    Examples
    --------
    >>> LIFPopulation("lif", N=2, tau_m=10.0).param_array("tau_m").tolist()
    [10.0, 10.0]
    """
    initial = {"v": v0} if v0 is not None else {}
    return Population(name, N, "lif", params=params, initial=initial, positions=positions,
                      connectivity=connectivity, color=color, scale=scale, synapse_defaults=synapse_defaults)


def _check_trains(spike_times, name):
    """``spike_times`` is a sequence (one spike-time sequence per neuron)."""
    if isinstance(spike_times, (str, bytes, dict)) or not hasattr(spike_times, "__len__") or (
            isinstance(spike_times, np.ndarray) and spike_times.ndim == 0):
        raise PynTypeError(f"spike_times of population {name!r} must be a list of spike-time lists (ms), "
                           f"one per neuron, got {type(spike_times).__name__}")


class SourcePopulation:
    """Neurons without dynamics whose spikes are given: Poisson or explicit times.

    Parameters
    ----------
    name : str
    N : int
    rate : float or array, optional
        Poisson rate in Hz (scalar or per neuron) — a Poisson source.
    spike_times : list of arrays, optional
        Explicit spike times (ms) per neuron — a spike generator.
    start, stop : float, optional
        Poisson sources are active for ``start <= t < stop`` (ms;
        ``stop >= start``, ``None``: to the end); spike sources take neither.

    Examples
    --------
    >>> PoissonPopulation("inputs", 10, rate=15.0).N
    10
    """

    kind = "source"
    model = None

    def __init__(self, name, N, rate=None, spike_times=None, start=0.0, stop=None, positions=None, color=None):
        self.name = check_name(name, "population name")
        self.N = check_count(N, f"N of population {name!r}", maximum=MAX_COUNT)
        if (rate is None) == (spike_times is None):
            raise PynValueError(f"source population {name!r} needs exactly one of rate= (Poisson) or spike_times=")
        self.rate = None if rate is None else check_param_value(rate, f"rate of population {name!r}", self.N)
        if self.rate is not None and np.any(np.asarray(self.rate) < 0):
            raise PynValueError(f"rate of population {name!r} must be >= 0 Hz")
        if spike_times is not None:
            _check_trains(spike_times, name)
            if len(spike_times) != self.N:
                raise PynValueError(f"spike_times of population {name!r} must hold one sequence per neuron "
                                    f"({self.N}), got {len(spike_times)}")
            trains = []
            for s in spike_times:
                try:
                    trains.append(np.sort(number_array(s, "spike times").reshape(-1)))
                except PynTypeError:
                    raise PynTypeError(f"spike_times of population {name!r} must hold numbers (ms), one list "
                                       f"per neuron, got {show(s)}") from None
                except PynValueError:
                    trains.append(np.array([-1.0]))     # NaN or inf: refused below
                if trains[-1].size and trains[-1][0] < 0:
                    raise PynValueError(f"spike_times of population {name!r} must be finite and >= 0 ms")
            spike_times = trains
        self.spike_times = spike_times
        self.start = check_real(start, f"start of population {name!r}", minimum=0.0)
        self.stop = check_real(stop, f"stop of population {name!r}", allow_none=True)
        if self.stop is not None and self.stop < self.start:
            raise PynValueError(f"stop of population {name!r} ({self.stop} ms) must be >= start ({self.start} ms)")
        if spike_times is not None and (self.start != 0.0 or self.stop is not None):
            raise PynValueError(f"start and stop of population {name!r} apply to Poisson sources only; a spike "
                                "source emits its spike_times as given (leave start=0, stop=None)")
        self.layout = normalise_layout(positions, self.N, self.name)
        self.color = check_color(color, f"color of population {name!r}")
        self.connectivity = None
        self.preset = None

    @property
    def positions(self) -> np.ndarray:
        """(N, 3) positions of the sources."""
        return layout_positions(self.layout, self.N)

    def default_synapse(self, mode):  # sources never receive connections
        raise PynValueError(f"population {self.name!r} is a spike source and cannot receive connections")

    def to_spec(self) -> dict:
        """JSON-compatible description."""
        out = {"name": self.name, "model": "poisson_source" if self.rate is not None else "spike_source",
               "N": self.N, "positions": self.layout, "start": self.start, "stop": self.stop}
        if self.rate is not None:
            out["rate"] = self.rate.tolist() if isinstance(self.rate, np.ndarray) else self.rate
        else:
            out["spike_times"] = [s.tolist() for s in self.spike_times]
        if self.color is not None:
            out["color"] = list(self.color)
        return out

    def __repr__(self):
        return f"SourcePopulation(name={self.name!r}, N={self.N})"


def PoissonPopulation(name, N, rate, start=0.0, stop=None, **kw):
    """``N`` independent Poisson spike sources at ``rate`` Hz."""
    return SourcePopulation(name, N, rate=rate, start=start, stop=stop, **kw)


def SpikeSourcePopulation(name, spike_times, **kw):
    """Spike generators: ``spike_times[i]`` are the spike times (ms) of source ``i``."""
    _check_trains(spike_times, name)
    return SourcePopulation(name, len(spike_times), spike_times=spike_times, **kw)
