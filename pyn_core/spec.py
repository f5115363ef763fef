"""The versioned, JSON-compatible network spec.

``Network.to_spec()`` writes and ``Network.from_spec()`` reads::

    {"format": "pyn-network", "version": 1, "name": ...,
     "populations": [...], "projections": [...], "stimuli": [...],
     "settings": {"dt": ..., "seed": ..., "stdp": ...}, "view": {...}}

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

import copy
import json

from .errors import PynTypeError, PynValueError
from .population import Population, SourcePopulation
from .stimuli import stimulus_from_spec

#: The settings of a network and their defaults (``stdp``: whether plastic connections learn).
DEFAULT_SETTINGS = {"dt": 0.1, "seed": None, "stdp": True}

FORMAT = "pyn-network"
VERSION = 1
#: version -> function upgrading a spec of that version to the next one
UPGRADES: dict = {}
_TOP_KEYS = {"format", "version", "name", "populations", "projections", "stimuli", "settings", "view"}


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
    if not isinstance(version, int) or version < 1 or version > VERSION:
        raise PynValueError(f"unsupported network spec version {version!r}; this pyN reads versions 1..{VERSION}")
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


def _population(d: dict):
    d = dict(d)
    model = d.pop("model", None)
    name, N = d.pop("name", None), d.pop("N", None)
    if model in ("poisson_source", "spike_source"):
        return SourcePopulation(name, N, rate=d.get("rate"), spike_times=d.get("spike_times"),
                                start=d.get("start", 0.0), stop=d.get("stop"),
                                positions=d.get("positions"), color=d.get("color"))
    allowed = {"preset", "params", "initial", "options", "positions", "connectivity", "scale", "color",
               "synapse_defaults"}
    unknown = set(d) - allowed
    if unknown:
        raise PynValueError(f"population {name!r}: unknown spec field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return Population(name, N, model, params=d.get("params"), preset=d.get("preset"), initial=d.get("initial"),
                      positions=d.get("positions"), connectivity=d.get("connectivity"), color=d.get("color"),
                      options=d.get("options"), scale=d.get("scale", 1.0),
                      synapse_defaults=d.get("synapse_defaults"))


def network_from_spec(spec, network_cls):
    """A network of class ``network_cls`` (:class:`~pyn_core.network.Network`) from a spec dict or JSON string.

    This module describes the format only; it does not import the network
    module (which imports this one).
    """
    if isinstance(spec, str):
        spec = _load_json(spec)
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise PynValueError(f"not a pyN network spec: expected a dict with format={FORMAT!r}")
    spec = upgrade(copy.deepcopy(spec))
    unknown = set(spec) - _TOP_KEYS
    if unknown:
        raise PynValueError(f"unknown network spec field(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    net = network_cls(name=spec.get("name", "network"))
    for d in _entries(spec, "populations"):
        net.add(_population(d))
    for i, d in enumerate(_entries(spec, "projections")):
        d = dict(d)
        missing = [k for k in ("pre", "post") if k not in d]
        if missing:
            raise PynValueError(f"network spec projections[{i}]: missing field(s) {missing}; a connection "
                                "needs 'pre' and 'post' (population names)")
        pre, post = d.pop("pre"), d.pop("post")
        wm, dm = d.pop("weight_matrix", None), d.pop("delay_matrix", None)
        kw = dict(rule=d.get("rule"), weight=d.get("weight", 1.0), scale=d.get("scale", 1.0),
                  delay=d.get("delay", 0.25), std=d.get("delay_std", 0.0), mode=d.get("mode", "excitatory"),
                  synapse=d.get("synapse"), plasticity=d.get("plasticity", "default"), name=d.get("name"),
                  stp=d.get("stp"))
        if wm is not None:
            kw.pop("rule")
            proj = net.connect(pre, post, synapses=wm, delay_matrix=dm, **kw)
        else:
            proj = net.connect(pre, post, delay_matrix=dm, **kw)
        proj.enabled = bool(d.get("enabled", True))
    for d in _entries(spec, "stimuli"):
        net._add_stimulus(stimulus_from_spec(d))
    settings = dict(DEFAULT_SETTINGS)
    given = spec.get("settings", {})
    if not isinstance(given, dict):
        raise PynTypeError(f"network spec field 'settings' must be a dict with keys {sorted(DEFAULT_SETTINGS)}, "
                           f"got {type(given).__name__}")
    settings.update(given)
    unknown = set(settings) - set(DEFAULT_SETTINGS)
    if unknown:
        raise PynValueError(f"unknown settings {sorted(unknown)}; allowed: {sorted(DEFAULT_SETTINGS)}")
    net.settings = settings
    net.view = copy.deepcopy(spec.get("view", {}))
    return net
