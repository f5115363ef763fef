"""The versioned, JSON-compatible network spec.

``Network.to_spec()`` writes and ``Network.from_spec()`` reads::

    {"format": "pyn-network", "version": 1, "name": ...,
     "populations": [...], "projections": [...], "stimuli": [...],
     "settings": {"dt": ..., "seed": ..., "stdp": ..., "dtype": ..., "threads": ...},
     "view": {...}}

``view`` is free-form (display settings of the Blender add-on) and is kept as
it is.  Older versions are upgraded step by step by :data:`UPGRADES`.

Examples
--------
>>> from pyn_core import Network, LIFPopulation
>>> net = Network([LIFPopulation("a", N=3)])
>>> spec = net.to_spec()
>>> spec["format"], spec["version"], spec["populations"][0]["model"]
('pyn-network', 1, 'lif')
>>> Network.from_spec(spec).to_spec() == spec
True
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
from numbers import Integral, Real

import numpy as np

from ._checks import MAX_COUNT, check_bool, check_count, check_keys, check_real, field_list, number_array, show
from .errors import PynError, PynTypeError, PynValueError
from .population import Population, SourcePopulation
from .stimuli import stimulus_from_spec

#: The settings of a network and their defaults (``stdp``: whether plastic connections learn;
#: ``dtype``: of weights and ring buffers; ``threads``: of the numba backend).
DEFAULT_SETTINGS = {"dt": 0.1, "seed": None, "stdp": True, "dtype": "float64", "threads": "auto"}
DTYPES = ("float64", "float32")

FORMAT = "pyn-network"
VERSION = 1
#: version -> function upgrading a spec of that version to the next one
UPGRADES: dict = {}
_TOP_KEYS = ("$schema", "format", "version", "name", "populations", "projections", "stimuli", "settings", "view")
#: The fields of a population entry, by kind.
NEURON_FIELDS = ("name", "model", "N", "preset", "params", "initial", "options", "positions", "connectivity",
                 "scale", "color", "synapse_defaults")
SOURCE_FIELDS = {"poisson_source": ("name", "model", "N", "rate", "start", "stop", "positions", "color"),
                 "spike_source": ("name", "model", "N", "spike_times", "start", "stop", "positions", "color")}
#: The fields of a projection entry.
PROJECTION_FIELDS = ("name", "pre", "post", "rule", "weight", "scale", "delay", "delay_std", "mode", "synapse",
                     "plasticity", "enabled", "stp", "weight_matrix", "delay_matrix")
#: How deep lists and dicts may nest in a spec (a weight matrix needs 3 levels below its entry).
MAX_DEPTH = 32


def check_setting(key, value):
    """``value`` of setting ``key`` if it is allowed (see :data:`DEFAULT_SETTINGS`), else a PynError.

    Examples
    --------
    >>> check_setting("threads", 4), check_setting("dtype", "float32")
    (4, 'float32')
    >>> check_setting("dt", 0.0)
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: settings: dt must be > 0, got 0.0
    """
    if not isinstance(key, str) or key not in DEFAULT_SETTINGS:
        raise PynValueError(f"unknown settings {field_list([key])}; allowed: {sorted(DEFAULT_SETTINGS)}")
    what = f"settings: {key}"
    if key == "dt":
        return check_real(value, what, strictly_positive=True)
    if key == "seed":
        return None if value is None else check_count(value, f"{what} (None or an integer)", minimum=0)
    if key == "stdp":
        return check_bool(value, what)
    if key == "dtype":
        if not isinstance(value, str) or value not in DTYPES:
            raise PynValueError(f"{what} must be one of {', '.join(map(repr, DTYPES))}, got {show(value)}")
        return value
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise PynTypeError(f"{what} must be 'auto' or an integer >= 1, got {show(value)}")
    return check_count(value, f"{what} ('auto' or an integer)", maximum=MAX_COUNT)


class Settings(dict):
    """The settings of a network: a dict with every key of :data:`DEFAULT_SETTINGS`, checked on every change.

    Removing a setting (``del``, ``pop``, ``clear``) restores its default.

    Examples
    --------
    >>> s = Settings({"dt": 0.25})
    >>> s["dt"], s["threads"]
    (0.25, 'auto')
    >>> s["seed"] = -1
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: settings: seed (None or an integer) must be >= 0, got -1
    """

    def __init__(self, values=None):
        super().__init__(DEFAULT_SETTINGS)
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise PynTypeError(f"settings must be a dict with keys {sorted(DEFAULT_SETTINGS)}, "
                               f"got {type(values).__name__}")
        self.update(values)

    def __setitem__(self, key, value):
        super().__setitem__(key, check_setting(key, value))

    def update(self, *args, **kw):
        for key, value in dict(*args, **kw).items():
            self[key] = value

    def setdefault(self, key, value=None):
        if key not in self:
            self[key] = value
        return self[key]

    def __delitem__(self, key):
        """Removing a setting restores its default (every setting always has a value)."""
        check_setting(key, DEFAULT_SETTINGS.get(key) if isinstance(key, str) else None)
        super().__setitem__(key, DEFAULT_SETTINGS[key])

    def pop(self, key, *default):
        """The value of ``key``, which then takes its default again."""
        value = self[key] if key in self else (default[0] if default else self[key])
        del self[key]
        return value

    def clear(self):
        """Every setting back to its default."""
        super().update(DEFAULT_SETTINGS)

    def popitem(self):
        raise PynValueError("settings cannot be removed one by one at random; use pop(key) or clear(), "
                            "which restore the defaults")


def network_to_spec(net) -> dict:
    """The spec of ``net`` (see the module docstring)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": net.name,
        "populations": [p.to_spec() for p in net.populations],
        "projections": [q.to_spec() for q in net.projections if not getattr(q, "auto", False)],
        "stimuli": [s.to_spec() for s in net.stimuli],
        "settings": dict(net.settings),
        "view": copy.deepcopy(net.view),
    }


def upgrade(spec: dict) -> dict:
    """Bring an older spec up to :data:`VERSION`."""
    version = spec.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1 or version > VERSION:
        raise PynValueError(f"unsupported network spec version {show(version)}; this pyN reads versions "
                            f"1..{VERSION}")
    while version < VERSION:
        spec = UPGRADES[version](spec)
        version = spec["version"]
    return spec


def _entries(spec: dict, key: str) -> list:
    """The list ``spec[key]`` (absent: empty), each entry a dict."""
    entries = spec.get(key, [])
    if not isinstance(entries, (list, tuple)):
        raise PynTypeError(f"network spec field {key!r} must be a list of dicts, got {type(entries).__name__}")
    for i, d in enumerate(entries):
        if not isinstance(d, dict):
            raise PynTypeError(f"network spec {key}[{i}] must be a dict, got {type(d).__name__}")
    return list(entries)


def _load_json(text: str):
    """``json.loads`` with a family error for text that is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PynValueError(f"not a pyN network spec: invalid JSON ({exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno})") from exc
    except RecursionError:
        raise PynValueError(f"not a pyN network spec: JSON nested deeper than {MAX_DEPTH} levels") from None


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _check_tree(spec: dict):
    """Refuse nesting deeper than :data:`MAX_DEPTH`, keys that are not strings, NaN or inf numbers and
    booleans in lists (a list of numbers would take them as 0 and 1) outside ``view``.

    Walks the spec without recursion, so that a list nested 100,000 deep is
    refused with its path instead of exhausting the stack.
    """
    stack = [(spec, ())]
    while stack:
        obj, path = stack.pop()
        if isinstance(obj, (bool, np.bool_)) and path and isinstance(path[-1], int) and path[0] != "view":
            raise PynTypeError(f"{_path(path)} must be a number, got {obj}")
        if len(path) > MAX_DEPTH:
            named = max(i for i, p in enumerate(path) if isinstance(p, str))
            where = _path(path[:named + 1]) if named < 8 else f"{_path(path[:6])}...{path[named]}"
            raise PynValueError(f"{where}: the spec nests lists or dicts deeper than {MAX_DEPTH} levels")
        if isinstance(obj, dict):
            for k, v in obj.items():
                if not isinstance(k, str):
                    raise PynTypeError(f"{_path(path) or 'network spec'}: field names must be strings, "
                                       f"got {show(k)}")
                stack.append((v, path + (k,)))
        elif isinstance(obj, (list, tuple)):
            stack.extend((v, path + (i,)) for i, v in enumerate(obj))
        elif isinstance(obj, Real) and not isinstance(obj, (bool, np.bool_, Integral)) and not math.isfinite(obj):
            raise PynValueError(f"{_path(path)} must be finite, got {obj}")
        elif isinstance(obj, np.ndarray) and obj.dtype.kind == "f" and not np.all(np.isfinite(obj)):
            raise PynValueError(f"{_path(path)} must be finite (no NaN or inf)")


@contextlib.contextmanager
def _located(path: str):
    """Prefix the message of a PynError raised inside with ``path`` (same class; the original as cause)."""
    try:
        yield
    except PynError as exc:
        msg = str(exc)
        if msg.startswith(path + ":") or msg.startswith(path + "."):
            raise
        raise type(exc)(f"{path}: {msg}") from exc


def _population(d: dict):
    d = dict(d)
    model = d.get("model")
    name, N = d.get("name"), d.get("N")
    if isinstance(model, str) and model in SOURCE_FIELDS:
        for key in ("preset", "params"):    # a source has neither; an empty one (as editors write) is no field
            if key in d and (d[key] is None or (isinstance(d[key], dict) and not d[key])):
                del d[key]
        check_keys(d, SOURCE_FIELDS[model], f"{model} population {show(name)}", "spec field(s)", f"model {model!r}")
        key = "rate" if model == "poisson_source" else "spike_times"
        if key not in d:
            raise PynValueError(f"{model} population {show(name)}: missing field {key!r}")
        return SourcePopulation(name, N, rate=d.get("rate"), spike_times=d.get("spike_times"),
                                start=d.get("start", 0.0), stop=d.get("stop"),
                                positions=d.get("positions"), color=d.get("color"))
    check_keys(d, NEURON_FIELDS, f"population {show(name)}", "spec field(s)", f"model {show(model)}")
    return Population(name, N, model, params=d.get("params"), preset=d.get("preset"), initial=d.get("initial"),
                      positions=d.get("positions"), connectivity=d.get("connectivity"), color=d.get("color"),
                      options=d.get("options"), scale=d.get("scale", 1.0),
                      synapse_defaults=d.get("synapse_defaults"))


def _projection(net, d: dict):
    d = dict(d)
    check_keys(d, PROJECTION_FIELDS, "connection", "field(s)")
    missing = [k for k in ("pre", "post") if k not in d]
    if missing:
        raise PynValueError(f"missing field(s) {missing}; a connection needs 'pre' and 'post' (population names)")
    pre, post = d.pop("pre"), d.pop("post")
    for key, name in (("pre", pre), ("post", post)):
        try:
            net.get(name)
        except PynError as exc:
            raise type(exc)(f"{key}: {exc}") from None
    wm, dm = d.pop("weight_matrix", None), d.pop("delay_matrix", None)
    wm = None if wm is None else number_array(wm, "weight_matrix")
    dm = None if dm is None else number_array(dm, "delay_matrix")
    kw = dict(rule=d.get("rule"), weight=d.get("weight", 1.0 if wm is None else 0.0), scale=d.get("scale", 1.0),
              delay=d.get("delay", 0.25), std=d.get("delay_std", 0.0), mode=d.get("mode", "excitatory"),
              synapse=d.get("synapse"), plasticity=d.get("plasticity", "default"), name=d.get("name"),
              stp=d.get("stp"))
    if wm is not None:
        # to_spec writes the rule (all_to_all: which pairs) and weight 0 of a matrix connection
        rule = kw.pop("rule")
        rule = {"name": rule} if isinstance(rule, str) else rule
        if rule is not None and not (isinstance(rule, dict) and rule.get("name") == "all_to_all"):
            raise PynValueError(f"rule: a connection with a weight_matrix takes every pair (rule all_to_all), "
                                f"got {show(rule)}")
        weight = kw.pop("weight")
        if not (isinstance(weight, Real) and not isinstance(weight, bool) and weight == 0):
            raise PynValueError(f"weight: the weight_matrix gives the weights (leave weight out or 0), "
                                f"got {show(weight)}")
        autapses = rule.get("allow_autapses", False) if isinstance(rule, dict) else False
        if isinstance(rule, dict):
            check_keys(rule, ("name", "allow_autapses"), "rule all_to_all", "parameter(s)")
        proj = net.connect(pre, post, synapses=wm, delay_matrix=dm, allow_autapses=autapses, **kw)
    else:
        proj = net.connect(pre, post, delay_matrix=dm, **kw)
    proj.enabled = check_bool(d.get("enabled", True), f"connection {proj.name!r}: enabled")


def network_from_spec(spec, network_cls):
    """A network of class ``network_cls`` (:class:`~pyn_core.network.Network`) from a spec dict or JSON string.

    Every field is checked: unknown fields, values of the wrong type or out
    of range, NaN and inf, and nesting deeper than :data:`MAX_DEPTH` raise a
    :class:`~pyn_core.errors.PynError` whose message starts with the path of
    the entry (``projections[2]: ...``, ``settings: ...``).  This module
    describes the format only; it does not import the network module (which
    imports this one).

    Examples
    --------
    >>> from pyn_core import Network, LIFPopulation
    >>> spec = Network([LIFPopulation("a", N=3)]).to_spec()
    >>> spec["populations"][0]["params"] = {"tau_m": -5.0}
    >>> Network.from_spec(spec)
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynValueError: populations[0]: parameter 'tau_m' of population 'a' must be > 0 ms, got -5
    """
    if isinstance(spec, str):
        spec = _load_json(spec)
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise PynValueError(f"not a pyN network spec: expected a dict with format={FORMAT!r}")
    _check_tree(spec)
    spec = upgrade(copy.deepcopy(spec))
    unknown = [k for k in spec if k not in _TOP_KEYS]
    if unknown:
        raise PynValueError(f"unknown network spec field(s) {field_list(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    with _located("name"):
        net = network_cls(name=spec.get("name", "network"))
    for i, d in enumerate(_entries(spec, "populations")):
        with _located(f"populations[{i}]"):
            net.add(_population(d))
    for i, d in enumerate(_entries(spec, "projections")):
        with _located(f"projections[{i}]"):
            _projection(net, d)
    for i, d in enumerate(_entries(spec, "stimuli")):
        with _located(f"stimuli[{i}]"):
            net._add_stimulus(stimulus_from_spec(d))
    given = spec.get("settings", {})
    if not isinstance(given, dict):
        raise PynTypeError(f"network spec field 'settings' must be a dict with keys {sorted(DEFAULT_SETTINGS)}, "
                           f"got {type(given).__name__}")
    with _located("settings"):
        net.settings = given
    view = spec.get("view", {})
    if not isinstance(view, dict):
        raise PynTypeError(f"network spec field 'view' must be a dict (display settings), got {type(view).__name__}")
    net.view = view
    return net
