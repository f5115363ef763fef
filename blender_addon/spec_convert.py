"""The panel's data model and the core's network spec, converted both ways.

The Blender panel keeps a network in one root ``PropertyGroup`` (``Scene.pyn``)
made of flat fields: numbers, strings, colours and collections of items.  This
module describes the same state as plain dicts, the *panel data*, whose keys are
exactly the names of those Blender properties, and converts it to and from the
core's versioned network spec (``Network.to_spec()`` / ``Network.from_spec()``).
It is free of ``bpy``: ``scene_data.py`` only copies panel data into and out of
the PropertyGroup.

Keys of the spec that the panel has no field for are kept, as JSON text, in an
``extra_json`` field of the item they belong to, so a spec survives the trip
through the panel unchanged.

The panel's lists (models, layouts, connection rules, weight distributions,
modes, synapse kinds, plasticity rules, stimulus kinds) are the core's
vocabularies, read from ``pyn_core`` when they are needed (:func:`choices`
says where the panel's lists differ).  Names and indices the panel's fields
refer to are checked here (:func:`check_panel`), so a mistake is reported with
the name of its field; every error raised is a ``pyn_core.PynError``.

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

import pyn_core
from pyn_core import PynIndexError, PynLookupError, PynValueError

log = logging.getLogger(__name__)

SPEC_FORMAT = "pyn-network"
SPEC_VERSION = 1

# ---------------------------------------------------------------------------
# the panel's lists: the core's vocabularies
# ---------------------------------------------------------------------------

#: Where each of the panel's lists comes from: the ``pyn_core`` function that names the entries.
CORE_LISTS = {
    "model": "models",
    "layout": "layouts",
    "rule": "connection_rules",
    "weight_dist": "weight_distributions",
    "mode": "connection_modes",
    "synapse": "synapse_kinds",
    "plasticity": "plasticity_rules",
    "stimulus": "stimulus_kinds",
}

#: Entries the panel puts before the core's (they are the panel's own, not the core's).
PANEL_ADDS = {
    "synapse": ("default",),             # the core picks the target model's usual synapse
    "weight_dist": ("constant",),        # one weight for every synapse
    "plasticity": ("default", "none"),   # learns when the STDP switch is on / never learns
}

#: The panel fields that edit each entry of a list whose entries take settings of their own.
#: A core entry missing here has no fields in the panel: the panel leaves it out of its list,
#: and a spec that uses it keeps it whole, as JSON, in the item's other fields.
PANEL_FIELDS = {
    "layout": {"grid": ("spacing", "center"), "sphere": ("radius", "center"),
               "box": ("size", "seed", "center"), "explicit": ()},  # explicit positions: imported only
    "rule": {"all_to_all": (), "one_to_one": (), "pairwise_bernoulli": ("p",),
             "fixed_indegree": ("k",), "fixed_outdegree": ("k",)},
    "weight_dist": {"constant": ("weight",), "uniform": ("weight_low", "weight_high"),
                    "normal": ("weight_mean", "weight_std"), "lognormal": ("weight_mean", "weight_std")},
    "stimulus": {"current": ("amplitude",), "noise": ("mean", "std"),
                 "poisson": ("rate", "weight", "synapse")},
}

#: Models the core writes for spike sources: the panel keeps such populations from imported
#: specs (their rate or spike times in the other fields) but does not offer them.
SOURCE_MODELS = ("poisson_source", "spike_source")

#: Synapse parameters with a field of their own (``synapse_tau``; ``synapse_set_E`` and
#: ``synapse_E``); a kind's other parameters are name/value rows (``synapse_params``).
SYNAPSE_FIELDS = {"tau": ("synapse_tau",), "E": ("synapse_set_E", "synapse_E")}


def choices(field: str) -> list[str]:
    """The entries of one of the panel's lists: the core's vocabulary, as the panel offers it.

    This is the one place where the panel's lists differ from the core's:

    * ``synapse`` starts with ``"default"``, ``weight_dist`` with
      ``"constant"`` and ``plasticity`` with ``"default"`` and ``"none"``
      (:data:`PANEL_ADDS`);
    * ``layout``, ``rule``, ``weight_dist`` and ``stimulus`` list only the
      entries the panel has fields for (:data:`PANEL_FIELDS`); today that
      leaves out the ``explicit`` connection rule (lists of synapses), which
      an imported spec keeps whole in the connection's other fields.

    Everything else is the core's list as it is now, including models and
    synapse kinds registered by the user's own scripts.

    Parameters
    ----------
    field : str
        One of the keys of :data:`CORE_LISTS`.

    Examples
    --------
    >>> choices("synapse")[:2]
    ['default', 'delta']
    >>> "explicit" in choices("rule"), "explicit" in choices("layout")
    (False, True)
    """
    if field not in CORE_LISTS:
        raise PynLookupError(f"no panel list {field!r}; lists: {', '.join(CORE_LISTS)}")
    core = [str(name) for name in getattr(pyn_core, CORE_LISTS[field])()]
    fields = PANEL_FIELDS.get(field)
    if fields is not None:
        core = [name for name in core if name in fields]
    adds = PANEL_ADDS.get(field, ())
    return list(adds) + [name for name in core if name not in adds]


def left_out(field: str) -> list[str]:
    """Entries of the core's vocabulary that the panel's list leaves out (it has no fields for them)."""
    offered = set(choices(field))
    return [str(name) for name in getattr(pyn_core, CORE_LISTS[field])() if name not in offered]


def layout_fields(layout: str) -> tuple:
    """Panel fields of a layout (empty for explicit positions, which come from an imported spec)."""
    return PANEL_FIELDS["layout"].get(layout, ())


def rule_fields(rule: str) -> tuple:
    """Panel fields of a connection rule: ``("p",)``, ``("k",)`` or none.

    >>> rule_fields("pairwise_bernoulli"), rule_fields("all_to_all")
    (('p',), ())
    """
    return PANEL_FIELDS["rule"].get(rule, ())


def weight_fields(dist: str) -> tuple:
    """Panel fields of a weight distribution (``("weight",)`` for a constant weight)."""
    return PANEL_FIELDS["weight_dist"].get(dist, ())


def plasticity_takes_params(kind: str) -> bool:
    """Whether a plasticity choice is a rule of the core, whose parameters the panel keeps as JSON."""
    return kind not in PANEL_ADDS["plasticity"]


def synapse_kind(name: str):
    """The core's registered synapse kind ``name`` (a ``pyn_core.SynapseKind``), or None."""
    if name in PANEL_ADDS["synapse"] or name not in pyn_core.synapse_kinds():
        return None
    return pyn_core.get_synapse_kind(name)


def synapse_fields(name: str) -> tuple:
    """The panel's own synapse fields that a kind uses, from the kind's parameters.

    >>> synapse_fields("exp"), synapse_fields("delta")
    (('synapse_tau',), ())
    >>> synapse_fields("cond_exp")
    ('synapse_tau', 'synapse_set_E', 'synapse_E')
    """
    kind = synapse_kind(name)
    if kind is None:
        return ()
    return tuple(f for param, fs in SYNAPSE_FIELDS.items() if param in kind.params for f in fs)


def synapse_param_rows(name: str, current=()) -> list[dict] | None:
    """Name/value rows for the parameters of synapse kind ``name`` that have no field of their own.

    Every required parameter of the kind gets a row, with its value from
    ``current`` (rows ``{"name", "value"}``) when there is one, else the
    kind's default; rows of ``current`` for the kind's optional parameters
    stay; other rows (another kind's) go.  None if ``name`` is not a
    registered kind: the rows are then left as they are.

    >>> synapse_param_rows("exp", [{"name": "tau_rise", "value": 1.0}])
    []
    """
    kind = synapse_kind(name)
    if kind is None:
        return None if name not in PANEL_ADDS["synapse"] else []
    have = {row["name"]: row["value"] for row in current}
    rows = []
    for param, p in kind.params.items():
        if param in SYNAPSE_FIELDS:
            continue
        if param in have:
            rows.append({"name": param, "value": float(have[param])})
        elif param not in kind.optional:
            rows.append({"name": param, "value": 0.0 if p.default is None else float(p.default)})
    return rows


# ---------------------------------------------------------------------------
# the panel data and its defaults
# ---------------------------------------------------------------------------

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
    "colormap": "pyn",
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
        "synapse_E": 0.0, "synapse_params": [], "plasticity": "default", "plasticity_json": "", "enabled": True,
        "extra_json": "",
    }


def default_stimulus(target: str = "", kind: str = "current") -> dict:
    """Panel data of a new stimulus: a current window, a noise current or Poisson drive."""
    return {
        "kind": kind, "target": target, "start": 10.0, "stop": 100.0, "has_stop": True,
        "amplitude": 10.0, "mean": 0.0, "std": 1.0, "rate": 20.0, "weight": 1.0, "neurons": "",
        "synapse": "default", "synapse_tau": 5.0, "synapse_set_E": False, "synapse_E": 0.0,
        "synapse_params": [], "extra_json": "",
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
            raise PynValueError(f"neuron list {text!r}: write indices and ranges such as '0-9, 12'")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise PynValueError(f"neuron list {text!r}: range {lo}-{hi} runs backwards; write it as {hi}-{lo}")
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
    """JSON text of a panel field; empty text gives ``default``, whose type the value must have if a dict."""
    if not text or not text.strip():
        return copy.deepcopy(default)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PynValueError(f"{where}: not valid JSON ({exc.msg} at character {exc.pos}); "
                            "write JSON such as {\"name\": 1.0}") from None
    if isinstance(default, dict) and not isinstance(value, dict):
        raise PynValueError(f"{where}: write a JSON object such as {{\"name\": 1.0}}, not {text.strip()[:40]!r}")
    return value


def _rest(d: dict, known) -> dict:
    return {k: v for k, v in d.items() if k not in known}


def _floats(seq, n: int, where: str) -> list[float]:
    vals = [float(x) for x in seq]
    if len(vals) != n:
        raise PynValueError(f"{where} must have {n} numbers, got {len(vals)}")
    return vals


def _synapse_from_spec(syn, data: dict, extra: dict) -> None:
    """Set the panel's synapse fields from a spec synapse (a dict, a kind name or None).

    ``tau`` and ``E`` go to their own fields when the kind has such parameters;
    its other numeric parameters become ``synapse_params`` rows, anything else
    is kept in ``extra["synapse"]``.
    """
    if not syn:
        data["synapse"] = "default"
        return
    if isinstance(syn, str):
        syn = {"kind": syn}
    name = str(syn.get("kind", "alpha"))
    data["synapse"] = name
    kind = synapse_kind(name)
    own = set(kind.params) & set(SYNAPSE_FIELDS) if kind is not None else set()
    rows, rest = [], {}
    for key, value in syn.items():
        if key == "kind":
            continue
        if key == "tau" and "tau" in own and _is_number(value):
            data["synapse_tau"] = float(value)
        elif key == "E" and "E" in own and (value is None or _is_number(value)):
            data["synapse_set_E"] = value is not None
            data["synapse_E"] = float(value or 0.0)
        elif _is_number(value):
            rows.append({"name": key, "value": float(value)})
        else:
            rest[key] = value
    data["synapse_params"] = rows
    if rest:
        extra["synapse"] = rest


def _synapse_to_spec(data: dict, extra: dict, where: str):
    """The spec synapse of the panel's synapse fields (None for the core's default)."""
    name = data["synapse"]
    rest = extra.pop("synapse", None) or {}
    if name in PANEL_ADDS["synapse"]:
        return None
    kind = synapse_kind(name)
    if kind is None:
        raise PynLookupError(
            f"{where}: Synapse {name!r} is not a registered synapse kind; choose one of: "
            f"{', '.join(choices('synapse'))} (a kind of your own: pyn_core.register_synapse it first)")
    out = {"kind": name}
    if "tau" in kind.params:
        out["tau"] = float(data["synapse_tau"])
    if "E" in kind.params and data.get("synapse_set_E"):
        out["E"] = float(data["synapse_E"])
    for row in data.get("synapse_params", []):
        out[row["name"]] = float(row["value"])
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
        raise PynValueError(f"population {name!r}: Layout {layout!r} is not one the panel edits; "
                            f"choose one of: {', '.join(choices('layout'))}")
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
_RULE_TYPES = {"p": float, "k": int}


def _dist_keys(dist: str) -> tuple:
    """Spec keys of a weight distribution the panel edits: its fields without ``weight_``."""
    return tuple(f[len("weight_"):] for f in weight_fields(dist))


def kept_rule(data: dict) -> str | None:
    """Name of a connection rule the panel keeps whole in a connection's other fields, or None."""
    try:
        extra = _loads(data.get("extra_json", ""), "", {})
    except PynValueError:
        return None
    rule = extra.get("rule") if isinstance(extra, dict) else None
    return str(rule["name"]) if isinstance(rule, dict) and "name" in rule else None


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def projection_from_spec(pr: dict) -> dict:
    """Panel data of one projection of a spec."""
    data = default_projection(str(pr.get("pre", "")), str(pr.get("post", "")))
    extra = _rest(pr, _PROJ_KEYS)
    if pr.get("name") not in (None, f"{data['pre']}->{data['post']}"):
        extra["name"] = pr["name"]  # a chosen name; the default one is made again by the core
    rule = pr.get("rule") or {"name": data["rule"]}
    if isinstance(rule, str):
        rule = {"name": rule}
    name = str(rule.get("name", data["rule"]))
    if name in choices("rule"):
        data["rule"] = name
        for key in ("p", "k"):
            if key in rule:
                data[key] = _RULE_TYPES[key](rule[key])
        data["allow_autapses"] = bool(rule.get("allow_autapses", False))
        rule_extra = _rest(rule, _RULE_KEYS)
    else:  # a rule the panel has no fields for: keep it whole (the panel says so)
        rule_extra = dict(rule)
    if rule_extra:
        extra["rule"] = rule_extra
    w = pr.get("weight", 1.0)
    dist = w.get("dist") if isinstance(w, dict) else None
    if (isinstance(dist, str) and dist in choices("weight_dist") and _dist_keys(dist)
            and set(w) == {"dist", *_dist_keys(dist)} and all(_is_number(w[k]) for k in _dist_keys(dist))):
        data["weight_dist"] = dist
        data.update({"weight_" + k: float(w[k]) for k in _dist_keys(dist)})
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
        rules = choices("plasticity")
        if rule not in rules or not plasticity_takes_params(rule):
            raise PynValueError(f"connection {data['pre']}->{data['post']}: unknown plasticity rule {rule!r}; "
                                f"allowed: {', '.join(r for r in rules if plasticity_takes_params(r))}")
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
    for key in rule_fields(data["rule"]):
        rule[key] = _RULE_TYPES[key](data[key])
    rule["allow_autapses"] = bool(data["allow_autapses"])
    rule_extra = extra.pop("rule", {})
    if "name" in rule_extra:
        rule = rule_extra
    else:
        rule.update(rule_extra)
    dist = data["weight_dist"]
    if "weight_value" in extra:
        weight = extra.pop("weight_value")
    elif dist in PANEL_ADDS["weight_dist"]:
        weight = float(data["weight"])
    elif weight_fields(dist):
        weight = {"dist": dist, **{k: float(data["weight_" + k]) for k in _dist_keys(dist)}}
    else:
        raise PynValueError(f"{where}: Weight {dist!r} is not a distribution the panel edits; "
                            f"choose one of: {', '.join(choices('weight_dist'))}")
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
           "mode": data["mode"], "synapse": _synapse_to_spec(data, extra, where), "plasticity": plasticity,
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
    if kind not in choices("stimulus") or any(k in scalars and scalars[k] is not None and not _is_number(scalars[k])
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
    except PynValueError:
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
        out["synapse"] = _synapse_to_spec(data, extra, f"Poisson drive of {data['target']!r}")
    else:
        raise PynValueError(f"stimulus of {data['target']!r}: Kind {kind!r} is not one the panel edits; "
                            f"choose one of: {', '.join(choices('stimulus'))}")
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
    pyn_core.PynValueError
        If the spec is not a ``pyn-network`` spec of a version this add-on reads.
    """
    if not isinstance(spec, dict) or spec.get("format") != SPEC_FORMAT:
        raise PynValueError(f"not a pyN network spec (expected \"format\": \"{SPEC_FORMAT}\")")
    version = spec.get("version")
    if not isinstance(version, int) or version > SPEC_VERSION:
        raise PynValueError(f"network spec version {version!r} is newer than this add-on reads "
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
        raise PynValueError(f"view: color_by {data['color_by']!r} is not one of {', '.join(COLOR_BY)}")
    data["view_json"] = _dumps(view)
    data["populations"] = [population_from_spec(p, i) for i, p in enumerate(spec.get("populations", []))]
    data["projections"] = [projection_from_spec(p) for p in spec.get("projections", [])]
    data["stimuli"] = [stimulus_from_spec(s) for s in spec.get("stimuli", [])]
    extra = _rest(spec, _SPEC_KEYS)
    if settings:
        extra["settings"] = settings
    data["extra_json"] = _dumps(extra)
    return data


def _names(names) -> str:
    return ", ".join(repr(n) for n in names) if names else "none yet (add a population first)"


def _neurons(data: dict, n: int, where: str) -> None:
    """Check a stimulus's neuron list against the size ``n`` of its target."""
    try:
        ids = parse_index_list(data.get("neurons", ""))
    except PynValueError as exc:
        raise PynValueError(f"{where}: Neurons: {exc}") from None
    if ids and max(ids) >= n:
        raise PynIndexError(f"{where}: Neurons {data['neurons']!r} names neuron {max(ids)}, but "
                            f"{data['target']!r} has N = {n}; use indices 0-{n - 1} (empty for all)")


def check_panel(data: dict) -> None:
    """Check what the panel's fields refer to: models, populations, neurons, synapse kinds.

    Every message names the item and its field as the panel labels it
    (Model, From, To, Target, Neurons, Synapse) and says what is allowed.
    The core validates everything else in ``Network.from_spec``.

    Raises
    ------
    pyn_core.PynLookupError
        A Model, a From / To / Target population or a Synapse kind that does not exist
        (e.g. a population renamed after its connections were made).
    pyn_core.PynIndexError
        A neuron of a stimulus beyond the N of its target.
    pyn_core.PynValueError
        A neuron list that cannot be read, or a parameter given twice.

    Examples
    --------
    >>> data = default_panel()
    >>> data["populations"].append(default_population(0, "A"))
    >>> data["projections"].append(default_projection("A", "pop0"))
    >>> check_panel(data)
    Traceback (most recent call last):
    ...
    pyn_core.errors.PynLookupError: connection 1 (A -> pop0): To 'pop0' is not a population ...; choose one of: 'A'
    """
    sizes = {p["name"]: int(p["N"]) for p in data["populations"]}
    models = choices("model")
    for p in data["populations"]:
        if p["model"] not in models and p["model"] not in SOURCE_MODELS:
            raise PynLookupError(
                f"population {p['name']!r}: Model {p['model']!r} is not a registered neuron model; choose one "
                f"of: {', '.join(models)} (a model of your own: pyn_core.register_model it first)")
        seen = set()
        for q in p.get("params", []):
            if q["name"] in seen:
                raise PynValueError(f"population {p['name']!r}: parameter {q['name']!r} is given twice; "
                                    "remove one of the rows (only one value can apply)")
            seen.add(q["name"])
    for i, pr in enumerate(data["projections"]):
        where = f"connection {i + 1} ({pr['pre']} -> {pr['post']})"
        for key, label in (("pre", "From"), ("post", "To")):
            if pr[key] not in sizes:
                raise PynLookupError(f"{where}: {label} {pr[key]!r} is not a population of this network; "
                                     f"choose one of: {_names(sizes)}")
    for i, st in enumerate(data["stimuli"]):
        where = f"stimulus {i + 1} ({st['kind']} on {st['target']!r})"
        extra = _loads(st.get("extra_json", ""), f"extra fields of {where}", {})
        if isinstance(extra, dict) and "whole" in extra:  # kept as the spec had it: the core checks it
            continue
        if st["target"] not in sizes:
            raise PynLookupError(f"{where}: Target {st['target']!r} is not a population of this network; "
                                 f"choose one of: {_names(sizes)}")
        _neurons(st, sizes[st["target"]], where)


def spec_from_panel(data: dict) -> dict:
    """The network spec of panel data (the inverse of :func:`panel_from_spec`).

    The panel is checked first (:func:`check_panel`).

    Raises
    ------
    pyn_core.PynError
        If a field refers to something that does not exist, or a JSON field or
        a neuron list of the panel cannot be read; the message names the item
        and the field.  The core validates the rest in ``Network.from_spec``.
    """
    check_panel(data)
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
    """Read a network spec from a JSON file (no code is ever run).

    Raises
    ------
    pyn_core.PynValueError
        If the file cannot be read or holds no network spec.
    """
    try:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    except json.JSONDecodeError as exc:
        raise PynValueError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise PynValueError(f"{path}: not a text file; choose a network spec (.json)") from None
    except OSError as exc:
        raise PynValueError(f"{path}: cannot be read ({exc.strerror or exc}); "
                            "choose a network spec (.json) that exists") from None
    panel_from_spec(spec)  # validates format and version
    return spec


def write_spec_file(spec: dict, path) -> None:
    """Write a network spec as indented JSON.

    Raises
    ------
    pyn_core.PynValueError
        If the file cannot be written.
    """
    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(spec, f, indent=1, sort_keys=False)
            f.write("\n")
    except OSError as exc:
        raise PynValueError(f"{path}: cannot be written ({exc.strerror or exc}); "
                            "choose a folder you can write to") from None
