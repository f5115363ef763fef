"""The panel's data model and the core's network spec, converted both ways.

The Blender panel keeps a network in one root ``PropertyGroup`` (``Scene.pyn``)
made of flat fields: numbers, strings, colours and collections of items.  This
module describes the same state as plain dicts, the *panel data*, whose keys are
exactly the names of those Blender properties, and converts it to and from the
core's versioned network spec (``Network.to_spec()`` / ``Network.from_spec()``).
It is free of ``bpy``: ``properties.py`` only copies panel data into and out of
the PropertyGroup.

Keys of the spec that the panel has no field for are kept, as JSON text, in an
``extra_json`` field of the item they belong to, so a spec survives the trip
through the panel unchanged.

Examples
--------
>>> spec = {"format": "pyn-network", "version": 1, "name": "demo",
...         "populations": [{"name": "A", "model": "lif", "N": 4}],
...         "projections": [], "stimuli": [], "settings": {"dt": 0.1}}
>>> data = panel_from_spec(spec)
>>> data["populations"][0]["N"], data["dt"]
(4, 0.1)
>>> spec_from_panel(data)["populations"][0]["N"]
4
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import re

log = logging.getLogger(__name__)

SPEC_FORMAT = "pyn-network"
SPEC_VERSION = 1

#: Neuron models the core ships (the panel also accepts any other registered name).
MODELS = ("izhikevich", "adex", "hh", "lif")
LAYOUTS = ("grid", "sphere", "box", "explicit")
#: Connection rules of the core (the original ``sparse-random`` is pairwise_bernoulli, p=0.1).
RULES = ("pairwise_bernoulli", "all_to_all", "one_to_one", "fixed_indegree", "fixed_outdegree")
#: Rules that take a connection probability ``p`` / a count ``k``.
RULES_WITH_P = ("pairwise_bernoulli",)
RULES_WITH_K = ("fixed_indegree", "fixed_outdegree")
WEIGHT_DISTS = ("constant", "uniform", "normal", "lognormal")
MODES = ("excitatory", "inhibitory")
#: ``default`` leaves the choice to the core (the target model's usual synapse).
SYNAPSES = ("default", "alpha", "exp", "delta", "pulse", "cond_exp")
#: ``default``: learns when the run's STDP switch is on; ``none``: static; ``stdp``: pair STDP with
#: its own parameters; ``rstdp``: reward-modulated STDP (dopamine from ``sim.reward`` or a population).
PLASTICITY = ("default", "none", "stdp", "rstdp")
SYNAPSES_WITH_TAU = ("exp", "alpha", "cond_exp")
STIMULUS_KINDS = ("current", "noise", "poisson")
#: What lights a neuron: its spikes only, or its membrane potential as well.
COLOR_BY = ("spikes", "voltage")

#: Colours given to new populations in turn (linear RGB).
PALETTE = ((0.10, 0.55, 1.00), (1.00, 0.35, 0.08), (0.20, 1.00, 0.30), (1.00, 0.15, 0.60),
           (0.95, 0.85, 0.10), (0.55, 0.25, 1.00), (0.05, 0.95, 0.95), (1.00, 1.00, 1.00))

#: View settings kept in the spec's free-form ``view`` dict, with their defaults.
VIEW_DEFAULTS = {
    "ms_per_frame": 1.0,
    "start_frame": 1,
    "glow_decay_frames": 3.0,
    "glow_strength": 3.0,
    "base_strength": 0.15,
    "neuron_radius": 0.25,
    "show_connections": False,
    "max_connection_curves": 2000,
    "point_cloud_above": 20000,
    "color_by": "spikes",
    "voltage_auto": True,
    "voltage_min": -80.0,
    "voltage_max": -40.0,
}

#: Defaults of the core for settings a spec leaves out (a missing seed becomes 0: a view
#: must replay the same spikes every time it restarts).
SETTINGS_DEFAULTS = {"dt": 0.1, "seed": 0, "stdp": True}


def default_population(index: int = 0, name: str | None = None) -> dict:
    """Panel data of a new population (the ``index``-th one picks its colour)."""
    return {
        "name": name or f"pop{index}", "model": "izhikevich", "preset": "tonic_spiking", "N": 100,
        "color": list(PALETTE[index % len(PALETTE)]),
        "layout": "grid", "spacing": 1.0, "radius": 4.0, "size": [8.0, 8.0, 8.0],
        "center": [0.0, 0.0, 0.0], "seed": -1, "xyz_json": "",
        "params": [], "params_json": "", "extra_json": "",
    }


def default_projection(pre: str = "", post: str = "") -> dict:
    """Panel data of a new connection (the original pyN ``connect`` defaults)."""
    return {
        "pre": pre, "post": post, "rule": "pairwise_bernoulli", "p": 0.1, "k": 10, "allow_autapses": False,
        "weight_dist": "uniform", "weight": 1.0, "weight_low": 0.0, "weight_high": 1.0,
        "weight_mean": 0.5, "weight_std": 0.1, "scale": 1.0, "delay": 0.25, "delay_std": 0.05,
        "mode": "excitatory", "synapse": "default", "synapse_tau": 5.0, "synapse_set_E": False,
        "synapse_E": 0.0, "plasticity": "default", "plasticity_json": "", "enabled": True, "extra_json": "",
    }


def default_stimulus(target: str = "", kind: str = "current") -> dict:
    """Panel data of a new stimulus: a current window, a noise current or Poisson drive."""
    return {
        "kind": kind, "target": target, "start": 10.0, "stop": 100.0, "has_stop": True,
        "amplitude": 10.0, "mean": 0.0, "std": 1.0, "rate": 20.0, "weight": 1.0, "neurons": "",
        "synapse": "default", "synapse_tau": 5.0, "synapse_set_E": False, "synapse_E": 0.0,
        "extra_json": "",
    }


def default_panel() -> dict:
    """Panel data of an empty network."""
    data = {"network_name": "network", **SETTINGS_DEFAULTS, **VIEW_DEFAULTS,
            "populations": [], "projections": [], "stimuli": [],
            "view_json": "", "extra_json": ""}
    return data


# ---------------------------------------------------------------------------
# neuron index lists as text: "0-9, 12"
# ---------------------------------------------------------------------------

_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_index_list(text: str) -> list[int] | None:
    """Parse ``"0-3, 7"`` into ``[0, 1, 2, 3, 7]``; empty text means all neurons (None).

    >>> parse_index_list("0-2, 5")
    [0, 1, 2, 5]
    >>> parse_index_list("  ") is None
    True
    """
    text = (text or "").strip().strip("[]")
    if not text:
        return None
    out: list[int] = []
    for part in text.split(","):
        if not part.strip():
            continue
        m = _RANGE.match(part)
        if not m or int(m.group(1)) < 0:
            raise ValueError(f"neuron list {text!r}: write indices and ranges such as '0-9, 12'")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise ValueError(f"neuron list {text!r}: range {lo}-{hi} runs backwards; write it as {hi}-{lo}")
        out.extend(range(lo, hi + 1))
    return out


def format_index_list(ids) -> str:
    """Write neuron indices compactly; None (all neurons) becomes ``""``.

    >>> format_index_list([0, 1, 2, 5, 7, 8])
    '0-2, 5, 7-8'
    """
    if ids is None:
        return ""
    ids = [int(i) for i in ids]
    parts = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ", ".join(parts)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True) if value else ""


def _loads(text: str, where: str, default):
    if not text or not text.strip():
        return copy.deepcopy(default)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc.msg} at character {exc.pos})") from None


def _rest(d: dict, known) -> dict:
    return {k: v for k, v in d.items() if k not in known}


def _floats(seq, n: int, where: str) -> list[float]:
    vals = [float(x) for x in seq]
    if len(vals) != n:
        raise ValueError(f"{where} must have {n} numbers, got {len(vals)}")
    return vals


def _synapse_from_spec(syn, data: dict, extra: dict) -> None:
    """Set the panel's synapse fields from a spec synapse (a dict, a kind name or None)."""
    if not syn:
        data["synapse"] = "default"
        return
    if isinstance(syn, str):
        syn = {"kind": syn}
    data["synapse"] = str(syn.get("kind", "alpha"))
    data["synapse_tau"] = float(syn.get("tau", 5.0))
    data["synapse_set_E"] = syn.get("E") is not None
    data["synapse_E"] = float(syn.get("E") or 0.0)
    rest = _rest(syn, ("kind", "tau", "E"))
    if rest:
        extra["synapse"] = rest


def _synapse_to_spec(data: dict, extra: dict):
    """The spec synapse of the panel's synapse fields (None for the core's default)."""
    kind = data["synapse"]
    rest = extra.pop("synapse", None) or {}
    if kind == "default":
        return None
    out = {"kind": kind}
    if kind in SYNAPSES_WITH_TAU:
        out["tau"] = float(data["synapse_tau"])
    if kind == "cond_exp" and data.get("synapse_set_E"):
        out["E"] = float(data["synapse_E"])
    out.update(rest)
    return out


# ---------------------------------------------------------------------------
# populations
# ---------------------------------------------------------------------------

_POP_KEYS = ("name", "model", "N", "preset", "params", "positions", "color")
_POS_KEYS = ("layout", "spacing", "radius", "size", "center", "seed", "xyz")


def population_from_spec(p: dict, index: int = 0) -> dict:
    """Panel data of one population of a spec."""
    data = default_population(index, p.get("name"))
    data["model"] = str(p.get("model", "izhikevich"))
    data["N"] = int(p.get("N", 1))
    data["preset"] = p.get("preset") or ""
    if p.get("color") is not None:
        data["color"] = _floats(p["color"], 3, f"color of population {data['name']!r}")
    scalars, lists = [], {}
    for key, value in (p.get("params") or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            scalars.append({"name": key, "value": float(value)})
        else:
            lists[key] = value
    data["params"] = scalars
    data["params_json"] = _dumps(lists)
    pos = dict(p.get("positions") or {"layout": "grid"})
    if isinstance(pos, str):
        pos = {"layout": pos}
    data["layout"] = str(pos.get("layout", "grid"))
    if "spacing" in pos:
        data["spacing"] = float(pos["spacing"])
    if "radius" in pos:
        data["radius"] = float(pos["radius"])
    if "size" in pos:
        data["size"] = _floats(pos["size"], 3, "box size")
    data["center"] = _floats(pos.get("center", [0, 0, 0]), 3, "layout center")
    data["seed"] = int(pos["seed"]) if "seed" in pos else -1
    data["xyz_json"] = json.dumps(pos["xyz"]) if "xyz" in pos else ""
    extra = _rest(p, _POP_KEYS)
    pos_extra = _rest(pos, _POS_KEYS)
    if pos_extra:
        extra["positions"] = pos_extra
    data["extra_json"] = _dumps(extra)
    return data


def population_to_spec(data: dict) -> dict:
    """Spec dict of one population's panel data."""
    name = data["name"]
    extra = _loads(data.get("extra_json", ""), f"extra fields of population {name!r}", {})
    params = {q["name"]: float(q["value"]) for q in data.get("params", [])}
    params.update(_loads(data.get("params_json", ""), f"parameter lists of population {name!r}", {}))
    layout = data["layout"]
    pos: dict = {"layout": layout}
    if layout == "grid":
        pos["spacing"] = float(data["spacing"])
    elif layout == "sphere":
        pos["radius"] = float(data["radius"])
    elif layout == "box":
        pos["size"] = [float(x) for x in data["size"]]
        if int(data.get("seed", -1)) >= 0:
            pos["seed"] = int(data["seed"])
    elif layout == "explicit":
        pos["xyz"] = _loads(data.get("xyz_json", ""), f"explicit positions of population {name!r}", [])
    else:
        raise ValueError(f"population {name!r}: unknown layout {layout!r}; allowed: {', '.join(LAYOUTS)}")
    if layout != "explicit":
        pos["center"] = [float(x) for x in data["center"]]
    pos.update(extra.pop("positions", {}))
    out = {"name": name, "model": data["model"], "N": int(data["N"]),
           "preset": data.get("preset") or None, "params": params, "positions": pos,
           "color": [float(x) for x in data["color"]]}
    out.update(extra)
    return out


# ---------------------------------------------------------------------------
# projections
# ---------------------------------------------------------------------------

_PROJ_KEYS = ("name", "pre", "post", "rule", "weight", "scale", "delay", "delay_std", "mode",
              "synapse", "plasticity", "enabled")
_RULE_KEYS = ("name", "p", "k", "allow_autapses")
_DIST_KEYS = {"uniform": ("low", "high"), "normal": ("mean", "std"), "lognormal": ("mean", "std")}


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def projection_from_spec(pr: dict) -> dict:
    """Panel data of one projection of a spec."""
    data = default_projection(str(pr.get("pre", "")), str(pr.get("post", "")))
    extra = _rest(pr, _PROJ_KEYS)
    if pr.get("name") not in (None, f"{data['pre']}->{data['post']}"):
        extra["name"] = pr["name"]  # a chosen name; the default one is made again by the core
    rule = pr.get("rule") or {"name": "pairwise_bernoulli"}
    if isinstance(rule, str):
        rule = {"name": rule}
    data["rule"] = str(rule.get("name", "pairwise_bernoulli"))
    if "p" in rule:
        data["p"] = float(rule["p"])
    if "k" in rule:
        data["k"] = int(rule["k"])
    data["allow_autapses"] = bool(rule.get("allow_autapses", False))
    rule_extra = _rest(rule, _RULE_KEYS)
    if data["rule"] not in RULES:  # a rule the panel does not list: keep it whole
        rule_extra = dict(rule)
    if rule_extra:
        extra["rule"] = rule_extra
    w = pr.get("weight", 1.0)
    if isinstance(w, dict) and w.get("dist") in _DIST_KEYS and set(w) == {"dist", *_DIST_KEYS[w["dist"]]}:
        dist = w["dist"]
        data["weight_dist"] = dist
        if dist == "uniform":
            data.update(weight_low=float(w["low"]), weight_high=float(w["high"]))
        else:
            data.update(weight_mean=float(w["mean"]), weight_std=float(w["std"]))
    elif _is_number(w):
        data.update(weight_dist="constant", weight=float(w))
    else:  # per-synapse values or another form the panel cannot edit: keep it whole
        extra["weight_value"] = w
    for key in ("scale", "delay", "delay_std"):
        if _is_number(pr.get(key)):
            data[key] = float(pr[key])
        elif key in pr:
            extra[key + "_value"] = pr[key]
    data["mode"] = str(pr.get("mode", "excitatory"))
    _synapse_from_spec(pr.get("synapse"), data, extra)
    plast = pr.get("plasticity", "default")
    if plast is None or plast is False:
        data["plasticity"] = "none"
    elif plast == "default":
        data["plasticity"] = "default"
    else:
        rule = plast.get("rule", "stdp") if isinstance(plast, dict) else ("stdp" if plast is True else plast)
        if rule not in PLASTICITY[2:]:
            raise ValueError(f"connection {data['pre']}->{data['post']}: unknown plasticity rule {rule!r}; "
                             f"allowed: {', '.join(PLASTICITY[2:])}")
        data["plasticity"] = rule
        params = _rest(plast, ("rule",)) if isinstance(plast, dict) else {}
        data["plasticity_json"] = _dumps(params)
    data["enabled"] = bool(pr.get("enabled", True))
    data["extra_json"] = _dumps(extra)
    return data


def projection_to_spec(data: dict) -> dict:
    """Spec dict of one projection's panel data."""
    where = f"connection {data['pre']}->{data['post']}"
    extra = _loads(data.get("extra_json", ""), f"extra fields of {where}", {})
    name = extra.pop("name", None) or f"{data['pre']}->{data['post']}"
    rule = {"name": data["rule"]}
    if data["rule"] in RULES_WITH_P:
        rule["p"] = float(data["p"])
    if data["rule"] in RULES_WITH_K:
        rule["k"] = int(data["k"])
    rule["allow_autapses"] = bool(data["allow_autapses"])
    rule_extra = extra.pop("rule", {})
    if "name" in rule_extra:
        rule = rule_extra
    else:
        rule.update(rule_extra)
    dist = data["weight_dist"]
    if "weight_value" in extra:
        weight = extra.pop("weight_value")
    elif dist == "constant":
        weight = float(data["weight"])
    elif dist == "uniform":
        weight = {"dist": "uniform", "low": float(data["weight_low"]), "high": float(data["weight_high"])}
    elif dist in ("normal", "lognormal"):
        weight = {"dist": dist, "mean": float(data["weight_mean"]), "std": float(data["weight_std"])}
    else:
        raise ValueError(f"{where}: unknown weight distribution {dist!r}; allowed: {', '.join(WEIGHT_DISTS)}")
    kind = data.get("plasticity", "default")
    if kind == "none":
        plasticity = None
    elif kind == "default":
        plasticity = "default"
    else:
        plasticity = {"rule": kind}
        plasticity.update(_loads(data.get("plasticity_json", ""), f"plasticity parameters of {where}", {}))
    out = {"name": name, "pre": data["pre"], "post": data["post"], "rule": rule, "weight": weight,
           "scale": extra.pop("scale_value", float(data["scale"])),
           "delay": extra.pop("delay_value", float(data["delay"])),
           "delay_std": extra.pop("delay_std_value", float(data["delay_std"])),
           "mode": data["mode"], "synapse": _synapse_to_spec(data, extra), "plasticity": plasticity,
           "enabled": bool(data["enabled"])}
    out.update(extra)
    return out


# ---------------------------------------------------------------------------
# stimuli
# ---------------------------------------------------------------------------

_STIM_KEYS = {"current": ("kind", "target", "start", "stop", "amplitude", "neurons"),
              "noise": ("kind", "target", "start", "stop", "mean", "std", "neurons"),
              "poisson": ("kind", "target", "start", "stop", "rate", "weight", "neurons", "synapse")}


def stimulus_from_spec(s: dict) -> dict:
    """Panel data of one stimulus of a spec."""
    kind = str(s.get("kind", "current"))
    target = str(s.get("target", ""))
    numbers = ("start", "stop", "amplitude", "mean", "std", "rate", "weight")
    table = s.get("amplitude") if kind == "current" and is_table(s.get("amplitude")) else None
    scalars = {k: v for k, v in s.items() if not (table is not None and k == "amplitude")}
    if kind not in STIMULUS_KINDS or any(k in scalars and scalars[k] is not None and not _is_number(scalars[k])
                                         for k in numbers):
        # a kind or a value the panel cannot edit: keep the whole dict
        data = default_stimulus(target, "current")
        data["extra_json"] = _dumps({"whole": s})
        return data
    s = scalars
    data = default_stimulus(target, kind)
    data["start"] = float(s.get("start", 0.0))
    stop = s.get("stop")
    data["has_stop"] = stop is not None
    if stop is not None:
        data["stop"] = float(stop)
    for key in ("amplitude", "mean", "std", "rate", "weight"):
        if key in s:
            data[key] = float(s[key])
    data["neurons"] = format_index_list(s.get("neurons"))
    extra = _rest(s, _STIM_KEYS[kind])
    if table is not None:  # a tabulated current: the table stays JSON, the window is editable
        extra["amplitude"] = table
        data["amplitude"] = 0.0
    if kind == "poisson":
        _synapse_from_spec(s.get("synapse"), data, extra)
    data["extra_json"] = _dumps(extra)
    return data


def is_table(value) -> bool:
    """Whether a current amplitude is a table ``{"times": [...], "values": [...]}``."""
    return isinstance(value, dict) and set(value) == {"times", "values"}


def amplitude_table(data: dict) -> dict | None:
    """The tabulated amplitude a stimulus's panel data keeps in its other fields, or None."""
    try:
        extra = _loads(data.get("extra_json", ""), "", {})
    except ValueError:
        return None
    table = extra.get("amplitude") if isinstance(extra, dict) else None
    return table if is_table(table) else None


def stimulus_to_spec(data: dict) -> dict:
    """Spec dict of one stimulus's panel data."""
    extra = _loads(data.get("extra_json", ""), f"extra fields of a stimulus of {data['target']!r}", {})
    if "whole" in extra:
        return extra["whole"]
    kind = data["kind"]
    out: dict = {"kind": kind, "target": data["target"], "start": float(data["start"]),
                 "stop": float(data["stop"]) if data.get("has_stop", True) else None,
                 "neurons": parse_index_list(data.get("neurons", ""))}
    if kind == "current":
        out["amplitude"] = float(data["amplitude"])
    elif kind == "noise":
        out["mean"] = float(data["mean"])
        out["std"] = float(data["std"])
    elif kind == "poisson":
        out["rate"] = float(data["rate"])
        out["weight"] = float(data["weight"])
        out["synapse"] = _synapse_to_spec(data, extra)
    else:
        raise ValueError(f"unknown stimulus kind {kind!r}; allowed: {', '.join(STIMULUS_KINDS)}")
    out.update(extra)
    return out


# ---------------------------------------------------------------------------
# the whole network
# ---------------------------------------------------------------------------

_SPEC_KEYS = ("format", "version", "name", "populations", "projections", "stimuli", "settings", "view")


def panel_from_spec(spec: dict) -> dict:
    """Panel data of a whole network spec.

    Parameters
    ----------
    spec : dict
        A ``pyn-network`` spec (as ``Network.to_spec()`` returns it).

    Returns
    -------
    dict
        Panel data, keyed like the ``Scene.pyn`` properties.

    Raises
    ------
    ValueError
        If the spec is not a ``pyn-network`` spec of a version this add-on reads.
    """
    if not isinstance(spec, dict) or spec.get("format") != SPEC_FORMAT:
        raise ValueError(f"not a pyN network spec (expected \"format\": \"{SPEC_FORMAT}\")")
    version = spec.get("version")
    if not isinstance(version, int) or version > SPEC_VERSION:
        raise ValueError(f"network spec version {version!r} is newer than this add-on reads "
                         f"({SPEC_VERSION}); update the pyN add-on")
    data = default_panel()
    data["network_name"] = str(spec.get("name") or "network")
    settings = dict(spec.get("settings") or {})
    data["dt"] = float(settings.pop("dt", SETTINGS_DEFAULTS["dt"]))
    data["seed"] = int(settings.pop("seed", None) or 0)
    data["stdp"] = bool(settings.pop("stdp", SETTINGS_DEFAULTS["stdp"]))
    view = dict(spec.get("view") or {})
    for key, default in VIEW_DEFAULTS.items():
        data[key] = type(default)(view.pop(key, default))
    if data["color_by"] not in COLOR_BY:
        raise ValueError(f"view: color_by {data['color_by']!r} is not one of {', '.join(COLOR_BY)}")
    data["view_json"] = _dumps(view)
    data["populations"] = [population_from_spec(p, i) for i, p in enumerate(spec.get("populations", []))]
    data["projections"] = [projection_from_spec(p) for p in spec.get("projections", [])]
    data["stimuli"] = [stimulus_from_spec(s) for s in spec.get("stimuli", [])]
    extra = _rest(spec, _SPEC_KEYS)
    if settings:
        extra["settings"] = settings
    data["extra_json"] = _dumps(extra)
    return data


def spec_from_panel(data: dict) -> dict:
    """The network spec of panel data (the inverse of :func:`panel_from_spec`).

    Raises
    ------
    ValueError
        If a JSON field or a neuron list of the panel cannot be read; the
        message names the item.  The core validates the rest in
        ``Network.from_spec``.
    """
    extra = _loads(data.get("extra_json", ""), "extra network fields", {})
    settings = {"dt": float(data["dt"]), "seed": int(data["seed"]), "stdp": bool(data["stdp"])}
    settings.update(extra.pop("settings", {}))
    view = {key: type(default)(data[key]) for key, default in VIEW_DEFAULTS.items()}
    view.update(_loads(data.get("view_json", ""), "extra view fields", {}))
    spec = {
        "format": SPEC_FORMAT, "version": SPEC_VERSION, "name": data["network_name"],
        "populations": [population_to_spec(p) for p in data["populations"]],
        "projections": [projection_to_spec(p) for p in data["projections"]],
        "stimuli": [stimulus_to_spec(s) for s in data["stimuli"]],
        "settings": settings, "view": view,
    }
    spec.update(extra)
    return spec


def simulation_part(spec: dict) -> dict:
    """The part of a spec that decides the simulation (no view hints, no colours)."""
    out = {k: v for k, v in spec.items() if k not in ("view", "name")}
    out["populations"] = [{k: v for k, v in p.items() if k != "color"} for p in spec.get("populations", [])]
    return out


def spec_hash(spec: dict) -> str:
    """A short fingerprint of what a spec simulates (colours, name and view ignored).

    Two specs with the same hash give the same spikes, so a bake made with one
    is valid for the other.
    """
    text = json.dumps(simulation_part(spec), sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def view_settings(spec: dict) -> dict:
    """The view settings of a spec, defaults filled in."""
    view = dict(VIEW_DEFAULTS)
    view.update({k: v for k, v in (spec.get("view") or {}).items() if k in VIEW_DEFAULTS})
    return view


def read_spec_file(path) -> dict:
    """Read a network spec from a JSON file (no code is ever run)."""
    with open(path, encoding="utf-8") as f:
        try:
            spec = json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    panel_from_spec(spec)  # validates format and version
    return spec


def write_spec_file(spec: dict, path) -> None:
    """Write a network spec as indented JSON."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1, sort_keys=False)
        f.write("\n")
