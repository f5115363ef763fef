"""A JSON Schema of the network spec, generated from the code's own tables, and ``pyn validate``.

:func:`spec_schema` describes the spec ``Network.to_spec()`` writes and
``Network.from_spec()`` reads (format ``"pyn-network"``, version 1) as a JSON
Schema (draft 2020-12).  It is built, on every call, from the tables the
checks themselves use: the registered neuron models (their :class:`Param`
tables, presets, options and state variables), the registered synapse kinds,
``connectivity.RULE_PARAMS``, ``projection.DIST_PARAMS``, the plasticity
defaults, ``stimuli.FIELDS``, ``space.LAYOUT_FIELDS`` and the field lists and
settings of :mod:`pyn_core.spec`.  A model or synapse kind registered in a
process therefore appears in that process's schema, and a field added to one
of those tables without a description here makes :func:`spec_schema` fail
(so the tests catch it) instead of silently accepting it.

What JSON Schema cannot say is left to the semantic check
(``Network.from_spec``) and named in the descriptions: that the populations
named by ``pre``, ``post`` and ``target`` exist, that arrays given per neuron
or per synapse have the right length, that ``stop >= start``, and the like.
:func:`validate` runs both: every schema problem at once, then (if there are
none) the semantic check.

The schema needs nothing at run time; checking a spec against it needs the
``jsonschema`` package (``pip install 'pyn_core[schema]'``).  Without it,
:func:`validate` still runs the semantic check, which reports the first
problem only.

Examples
--------
>>> from pyn_core import LIFPopulation, Network, spec_schema
>>> schema = spec_schema()
>>> schema["properties"]["format"]["const"], sorted(schema["$defs"]["population.lif"]["properties"]["params"]
...                                                 ["properties"])[:3]
('pyn-network', ['R', 't_ref', 'tau_m'])
>>> spec = Network([LIFPopulation("a", N=3)]).to_spec()
>>> spec["populations"][0]["params"] = {"tau_m": -5.0}
>>> spec["settings"]["dt"] = 0
>>> for line in validate(spec):  # doctest: +SKIP
...     print(line)
populations[0].params.tau_m: -5.0 is less than or equal to the minimum of 0.0
settings.dt: 0 is less than or equal to the minimum of 0
"""
from __future__ import annotations

import json
import sys

from . import connectivity, plasticity, projection, space, spec, stimuli
from ._checks import MAX_COUNT, show
from .errors import PynError, PynValueError
from .models import get_model, models
from .models.base import Param
from .synapses import get_synapse_kind, synapse_kinds

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://pyn.invalid/schemas/pyn-network-1.schema.json"
NAME_PATTERN = r"\S"                  # a non-empty name that is not only blanks

_NUMBER = {"type": "number"}
_INDEX = {"type": "number", "multipleOf": 1, "minimum": 0}   # check_indices takes 3 and 3.0 alike


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def _d(schema: dict, description: str, **extra) -> dict:
    """``schema`` with its description (and any ``default`` etc.)."""
    return {**schema, "description": description, **extra}


def _unit(unit: str) -> str:
    return "dimensionless" if unit in ("", "1") else unit


def _bounds(p: Param, positive: bool = False) -> dict:
    """The JSON Schema range keywords of a :class:`Param` (``positive``: it must also be > 0)."""
    out: dict = {}
    if p.low is not None:
        out["exclusiveMinimum" if p.low_open else "minimum"] = p.low
    if positive and (p.low is None or p.low < 0 or (p.low == 0 and not p.low_open)):
        out.pop("minimum", None)
        out["exclusiveMinimum"] = 0
    if p.high is not None:
        out["exclusiveMaximum" if p.high_open else "maximum"] = p.high
    return out


def _param_text(p: Param, positive: bool = False) -> str:
    rng = "> 0" if positive and p.range_text() == "any" else p.range_text()
    return f"{p.doc} ({_unit(p.unit)}; valid range: {rng}; default {p.default:g})"


def _per_neuron(p: Param) -> dict:
    """A model parameter: one number for every neuron, or a list of N numbers."""
    num = {"type": "number", **_bounds(p)}
    return _d({"type": ["number", "array"], **_bounds(p), "items": num},
              _param_text(p) + ". A number for every neuron or a list of N numbers (one per neuron; "
              "the length is checked by pyn validate).", default=p.default)


def _keys_match(table, described, what: str):
    """Refuse a table entry that has no description here: the schema must not lag behind the code."""
    missing = [k for k in table if k not in described]
    if missing:
        raise PynValueError(f"spec schema: no description of {what} {missing}; add them to pyn_core/schema.py")


# -- positions ---------------------------------------------------------------------------------

_VEC3 = {"type": "array", "items": _NUMBER, "minItems": 3, "maxItems": 3}
LAYOUT_FIELD_SCHEMAS = {
    "layout": lambda kind: _d({"const": kind}, f"the layout: {kind!r}"),
    "center": lambda kind: _d(_VEC3, "where the layout is centred: [x, y, z] (scene units)", default=[0.0, 0.0, 0.0]),
    "spacing": lambda kind: _d({"type": "number", "exclusiveMinimum": 0}, "distance between grid points "
                               "(scene units, > 0)", default=1.0),
    "radius": lambda kind: _d({"type": "number", "exclusiveMinimum": 0}, "radius of the ball (scene units, > 0; "
                              "default max(1, 0.6 N^(1/3)))"),
    "size": lambda kind: _d({**_VEC3, "items": {"type": "number", "minimum": 0}},
                            "extent of the box [sx, sy, sz] (scene units, >= 0; default N^(1/3) each)"),
    "seed": lambda kind: _d({"type": "integer", "minimum": 0}, "seed of the random positions (integer >= 0; "
                            "default: from the population name)"),
    "xyz": lambda kind: _d({"type": "array", "items": _VEC3}, "the positions, one [x, y, z] per neuron "
                           "(N rows; checked by pyn validate)"),
}
LAYOUT_DOCS = {"grid": "the most cubic grid holding N points", "sphere": "N points spread evenly through a ball",
               "box": "N points uniformly at random in a box (reproducible)", "explicit": "given positions"}


def _layouts() -> dict:
    _keys_match(space.LAYOUTS, LAYOUT_DOCS, "layout(s)")
    branches = []
    for kind in space.LAYOUTS:
        fields = space.LAYOUT_FIELDS[kind]
        _keys_match(fields, LAYOUT_FIELD_SCHEMAS, "layout field(s)")
        branches.append({"if": {"properties": {"layout": {"const": kind}}, "required": ["layout"]},
                         "then": _d({"properties": {f: LAYOUT_FIELD_SCHEMAS[f](kind) for f in fields},
                                     "additionalProperties": False,
                                     "required": ["xyz"] if kind == "explicit" else []},
                                    f"{kind}: {LAYOUT_DOCS[kind]}")})
    named = [k for k in space.LAYOUTS if k != "explicit"]   # "explicit" needs its xyz
    return _d({"type": ["null", "string", "object", "array"],
               "if": {"type": "string"}, "then": {"enum": named},
               "required": ["layout"], "properties": {"layout": _d({"enum": list(space.LAYOUTS)}, "the layout")},
               "items": _VEC3, "allOf": branches},
              "3-D positions of the neurons: null (a grid), a layout name (" + ", ".join(named) + "), a layout "
              "dict {\"layout\": ..., ...} (" + "; ".join(f"{k}: {v}" for k, v in LAYOUT_DOCS.items())
              + ") or a list of N [x, y, z] rows", default=None)


# -- synapses ----------------------------------------------------------------------------------

def _synapse_kind(name: str) -> dict:
    kind = get_synapse_kind(name)
    props = {"kind": _d({"const": name}, f"the synapse kind: {kind.doc or name} (output: {kind.output})")}
    for pname, p in kind.params.items():
        positive = pname in kind.positive
        text = _param_text(p, positive)
        if pname in kind.optional:
            text += "; optional: left out or null, it is filled in from the connection"
        else:
            text += "; null: the default"
        props[pname] = _d({"type": ["number", "null"], **_bounds(p, positive)}, text,
                          **({} if pname in kind.optional else {"default": p.default}))
    return {"properties": props, "additionalProperties": False}


def _synapse(required_kind: bool = True) -> dict:
    kinds = synapse_kinds()
    branches = [{"if": {"properties": {"kind": {"const": k}}, "required": ["kind"]}, "then": _ref(f"synapse.{k}")}
                for k in kinds]
    return _d({"type": ["null", "string", "object"], "if": {"type": "string"}, "then": {"enum": kinds},
               "properties": {"kind": _d({"enum": kinds}, "the synapse kind")},
               **({"required": ["kind"]} if required_kind else {}), "allOf": branches},
              "the synapse: null (the target population's default), a kind name (" + ", ".join(kinds)
              + ") or a dict {\"kind\": ..., parameters}", default=None)


# -- projections -------------------------------------------------------------------------------

RULE_DOCS = {"all_to_all": "every pre to every post", "one_to_one": "pre i to post i (populations of equal size)",
             "pairwise_bernoulli": "each pair independently with probability p",
             "fixed_indegree": "each post neuron receives k connections",
             "fixed_outdegree": "each pre neuron makes k connections",
             "explicit": "the given pairs pre[i] -> post[i]"}
RULE_PARAM_SCHEMAS = {
    "allow_autapses": _d({"type": "boolean"}, "whether a neuron may connect to itself (a population "
                         "connected to itself only)", default=False),
    "allow_multapses": _d({"type": "boolean"}, "whether a pair may be drawn more than once (k distinct "
                          "partners must exist otherwise: checked by pyn validate)", default=True),
    "p": _d({"type": "number", "minimum": 0, "maximum": 1}, "connection probability of each pair, within "
            "[0, 1]", default=0.1),
    "k": _d({"type": "integer", "minimum": 0, "maximum": MAX_COUNT}, "connections per neuron (an integer "
            ">= 0)"),
    "pre": _d({"type": "array", "items": _INDEX}, "presynaptic neuron indices (each < pre N; as many as "
              "'post'; checked by pyn validate)"),
    "post": _d({"type": "array", "items": _INDEX}, "postsynaptic neuron indices (each < post N; as many as "
               "'pre'; checked by pyn validate)"),
}
#: The parameters a rule cannot do without (the others have defaults).
RULE_REQUIRED = {"fixed_indegree": ("k",), "fixed_outdegree": ("k",), "explicit": ("pre", "post")}


#: The rule of a connection that names none (the original pyN default, ``synapses="sparse-random"``).
_NO_RULE: dict = dict(projection.LEGACY["sparse-random"][0])  # type: ignore[call-overload]


def _rule() -> dict:
    _keys_match(connectivity.RULES, RULE_DOCS, "connection rule(s)")
    branches = []
    for name in connectivity.RULES:
        params = connectivity.RULE_PARAMS[name]
        _keys_match(params, RULE_PARAM_SCHEMAS, "rule parameter(s)")
        props = {"name": _d({"const": name}, f"{name}: {RULE_DOCS[name]}")}
        props.update({k: RULE_PARAM_SCHEMAS[k] for k in params})
        branches.append({"if": {"properties": {"name": {"const": name}}, "required": ["name"]},
                         "then": {"properties": props, "additionalProperties": False,
                                  "required": list(RULE_REQUIRED.get(name, ()))}})
    named = [r for r in connectivity.RULES if r not in RULE_REQUIRED]
    return _d({"type": ["string", "object", "null"], "if": {"type": "string"}, "then": {"enum": named},
               "required": ["name"], "properties": {"name": _d({"enum": list(connectivity.RULES)}, "the rule")},
               "allOf": branches},
              "the connection rule: a name (" + ", ".join(named) + ") or a dict {\"name\": ..., parameters} ("
              + "; ".join(f"{k}: {v}" for k, v in RULE_DOCS.items()) + "). Rules the population sizes cannot "
              "satisfy are refused by pyn validate. Left out or null: the original pyN 'sparse-random' rule, "
              f"{_NO_RULE}.", default=dict(_NO_RULE))


DIST_PARAM_DOCS = {"low": "lower bound", "high": "upper bound (>= low: checked by pyn validate)",
                   "mean": "mean (of the logarithm, for lognormal)",
                   "std": "standard deviation (>= 0; of the logarithm, for lognormal)"}


def _value(what: str, unit: str, default, minimum=None, distributions=True) -> dict:
    """A weight or delay: a number, one number per synapse, or (weights) a distribution dict."""
    bound = {} if minimum is None else {"minimum": minimum}
    types = ["number", "array"] + (["object", "null"] if distributions else [])   # a null weight: the default
    out = {"type": types, **bound, "items": {"type": "number", **bound}}
    text = (f"{what} ({unit}): a number for every synapse, a list with one number per synapse (as many as the "
            "rule makes: checked by pyn validate)")
    if distributions:
        _keys_match([k for ps in projection.DIST_PARAMS.values() for k in ps], DIST_PARAM_DOCS,
                    "distribution parameter(s)")
        dists = list(projection.DISTRIBUTIONS)
        out["required"] = ["dist"]
        out["properties"] = {"dist": _d({"enum": dists}, "the distribution")}
        out["allOf"] = [{"if": {"properties": {"dist": {"const": d}}, "required": ["dist"]},
                         "then": {"properties": {"dist": _d({"const": d}, f"a {d} distribution"), **{
                             k: _d({"type": "number", **({"minimum": 0} if k == "std" else {})},
                                   f"{d}: {DIST_PARAM_DOCS[k]}") for k in projection.DIST_PARAMS[d]}},
                                  "additionalProperties": False, "required": list(projection.DIST_PARAMS[d])}}
                        for d in dists]
        text += (", a distribution drawn once per synapse (" + "; ".join(
            f"{{\"dist\": \"{d}\", " + ", ".join(f'"{k}": ...' for k in projection.DIST_PARAMS[d]) + "}"
            for d in dists) + f") or null ({default}; with no rule either: the original sparse-random weights, "
            f"{projection.LEGACY['sparse-random'][1]})")
    return _d(out, text, default=default)


#: The rule of a plasticity dict without 'rule'.
DEFAULT_RULE = plasticity.STDP_DEFAULTS["rule"]
PLASTICITY_FIELD_SCHEMAS = {
    "rule": _d({"enum": list(plasticity.RULES)}, "the learning rule: stdp (pair-based STDP) or rstdp "
               "(reward-modulated STDP)", default="stdp"),
    "tau_plus": _d({"type": "number", "exclusiveMinimum": 0}, "decay of the presynaptic trace (ms, > 0)"),
    "tau_minus": _d({"type": "number", "exclusiveMinimum": 0}, "decay of the postsynaptic trace (ms, > 0)"),
    "A_plus": _d({"type": "number", "minimum": 0}, "potentiation per pair, in units of w_max (>= 0)"),
    "A_minus": _d({"type": "number", "minimum": 0}, "depression per pair, in units of w_max (>= 0)"),
    "w_min": _d(_NUMBER, "lower bound of the weight (the synapse's unit; >= 0 on inhibitory or conductance "
                "connections: checked by pyn validate)"),
    "w_max": _d({"type": ["number", "null"]}, "upper bound of the weight (>= w_min: checked by pyn validate); "
                "null: the largest initial weight of the connection"),
    "weight_dependence": _d({"enum": list(plasticity.WEIGHT_DEPENDENCES)},
                            "additive (hard bounds) or multiplicative (soft bounds)"),
    "pairing": _d({"enum": list(plasticity.PAIRINGS)}, "which spike pairs count: all_to_all or nearest"),
    "dendritic_fraction": _d({"type": "number", "minimum": 0, "maximum": 1},
                             "dendritic part of the delay, within [0, 1] (0: all axonal)"),
    "tau_c": _d({"type": "number", "exclusiveMinimum": 0}, "decay of the eligibility trace (ms, > 0)"),
    "tau_d": _d({"type": "number", "exclusiveMinimum": 0}, "decay of dopamine (ms, > 0)"),
    "dopamine_baseline": _d(_NUMBER, "tonic dopamine level"),
    "dopamine_from": _d({"type": ["string", "null"], "pattern": NAME_PATTERN},
                        "population whose spikes release dopamine (must exist: checked by pyn validate)"),
    "dopamine_per_spike": _d(_NUMBER, "dopamine added per spike of that population"),
}


def _plasticity_rule(rule: str) -> dict:
    defaults = plasticity.DEFAULTS[rule]
    _keys_match(defaults, PLASTICITY_FIELD_SCHEMAS, f"{rule} parameter(s)")
    props = {}
    for k, v in defaults.items():
        s = dict(PLASTICITY_FIELD_SCHEMAS[k])
        if k == "rule" and rule != DEFAULT_RULE:
            s = _d({"const": rule}, s["description"])
        else:
            s["default"] = v
        if rule == "rstdp" and k == "weight_dependence":    # rstdp is additive only
            s = _d({"const": "additive"}, "rstdp supports additive only", default="additive")
        props[k] = s
    return {"properties": props, "additionalProperties": False}


def _plasticity() -> dict:
    rules = list(plasticity.RULES)
    others = [r for r in rules if r != DEFAULT_RULE]
    branches: list[dict] = [{"if": {"properties": {"rule": {"const": r}}, "required": ["rule"]},
                             "then": _ref(f"plasticity.{r}")} for r in others]
    other = [{"properties": {"rule": {"const": r}}, "required": ["rule"]} for r in others]
    condition: dict | bool = {"not": {"anyOf": other}} if other else True
    branches.append({"if": condition, "then": _ref(f"plasticity.{DEFAULT_RULE}")})
    return _d({"type": ["null", "boolean", "string", "object"], "if": {"type": "string"},
               "then": {"enum": ["default", *rules]},
               "properties": {"rule": PLASTICITY_FIELD_SCHEMAS["rule"]}, "allOf": branches},
              "learning of the weights: null or false (static), \"default\" (pair STDP with its default parameters "
              "when the run has stdp=true), \"stdp\" or true, \"rstdp\", or a dict {\"rule\": ..., parameters}. "
              "Plastic connections learn only in runs with settings.stdp = true.", default="default")


def _stp() -> dict:
    descs = {"U": _d({"type": "number", "exclusiveMinimum": 0, "maximum": 1}, "utilisation increment, "
                     "within (0, 1]"),
             "tau_rec": _d({"type": "number", "exclusiveMinimum": 0}, "recovery of resources (ms, > 0)"),
             "tau_facil": _d({"type": "number", "minimum": 0}, "decay of facilitation (ms, >= 0; 0: none)")}
    _keys_match(plasticity.STP_DEFAULTS, descs, "stp parameter(s)")
    props = {k: {**descs[k], "default": v} for k, v in plasticity.STP_DEFAULTS.items()}
    presets = list(plasticity.STP_PRESETS)
    return _d({"type": ["null", "boolean", "string", "object"], "if": {"type": ["string", "boolean"]},
               "then": {"enum": [False, *presets]}, "properties": props, "additionalProperties": False},
              "Tsodyks-Markram short-term plasticity: null (none), a preset (" + ", ".join(
                  f"{k}: {v}" for k, v in plasticity.STP_PRESETS.items()) + ") or a dict of U, tau_rec, tau_facil",
              default=None)


def _matrix(what: str, minimum=None) -> dict:
    row = {"type": "array", "items": {"type": "number", **({} if minimum is None else {"minimum": minimum})}}
    return _d({"type": ["array", "null"], "items": row}, f"{what}: one row per pre neuron, one column per post "
              "neuron (shape (pre N, post N): checked by pyn validate)", default=None)


def _projection() -> dict:
    modes = list(projection.MODES)
    fields = {
        "name": _d({"type": ["string", "null"], "pattern": NAME_PATTERN + "|^$"},
                   "name of the connection; null or \"\": \"pre->post\"", default=None),
        "pre": _d({"type": "string"}, "presynaptic population (its name; must exist: checked by pyn validate)"),
        "post": _d({"type": "string"}, "postsynaptic population (its name; must exist and not be a source: "
                   "checked by pyn validate)"),
        "rule": _rule(),
        "weight": _value("weight", "the synapse's unit: current, conductance or mV; a magnitude (>= 0) on "
                         "inhibitory or conductance connections, checked by pyn validate", 1.0),
        "scale": _d(_NUMBER, "multiplies every weight", default=1.0),
        "delay": _value("delay", "ms, >= 0; rounded to the step, at least one step", 0.25, minimum=0,
                        distributions=False),
        "delay_std": _d({"type": "number", "minimum": 0}, "standard deviation of delays drawn around 'delay' "
                        "(ms, >= 0)", default=0.0),
        "mode": _d({"enum": modes}, "excitatory or inhibitory (the sign of the weights)", default="excitatory"),
        "synapse": _synapse(),
        "plasticity": _plasticity(),
        "enabled": _d({"type": "boolean"}, "whether the connection transmits", default=True),
        "stp": _stp(),
        "weight_matrix": _matrix("weights of every pair instead of a rule (then rule null or all_to_all, "
                                 "and weight 0)"),
        "delay_matrix": _matrix("delays of every pair (ms, >= 0)", minimum=0),
    }
    _keys_match(spec.PROJECTION_FIELDS, fields, "connection field(s)")
    extra = [k for k in fields if k not in spec.PROJECTION_FIELDS]
    if extra:
        raise PynValueError(f"spec schema: connection field(s) {extra} are no longer in spec.PROJECTION_FIELDS")
    matrix_rule = _d({"if": {"type": "object"}, "then": {"properties": {"name": _d(
        {"const": "all_to_all"}, "all_to_all: the matrix gives every pair")}}, "else": {"enum": [None, "all_to_all"]}},
        "with a weight_matrix: null, \"all_to_all\" or {\"name\": \"all_to_all\", \"allow_autapses\": ...}")
    return _d({"type": "object", "properties": {k: fields[k] for k in spec.PROJECTION_FIELDS},
               "additionalProperties": False, "required": ["pre", "post"],
               "if": {"properties": {"weight_matrix": {"type": "array"}}, "required": ["weight_matrix"]},
               "then": {"properties": {"rule": matrix_rule, "weight": _d(
                   {"type": "number", "const": 0}, "0 with a weight_matrix (it gives the weights)")},
                        "required": ["weight"]}},
              "a connection from population 'pre' to 'post'")


# -- populations -------------------------------------------------------------------------------

def _name(what: str) -> dict:
    return _d({"type": "string", "pattern": NAME_PATTERN}, what)


_COLOR = _d({"type": ["array", "null"], "items": _NUMBER, "minItems": 3, "maxItems": 3},
            "display colour [r, g, b] (the Blender view)", default=None)
_POP_NAME = "name of the population (unique in the network: checked by pyn validate)"
_N = _d({"type": "integer", "minimum": 1, "maximum": MAX_COUNT}, "number of neurons, within 1..2**31-1 (lists "
        "given per neuron must have N entries: checked by pyn validate)")


def _neuron_population(model_name: str) -> dict:
    m = get_model(model_name)
    title = (m.doc.strip().splitlines() or [model_name])[0].rstrip(".")
    presets = list(m.presets)
    syn = _synapse(required_kind=False)
    syn["description"] = (f"synapse kind and parameters of connections onto this population unless a "
                          f"connection names its own (default {dict(m.default_synapse)}; a dict, its kind "
                          "defaults to the model's)")
    syn["type"] = ["object", "null"]
    syn["allOf"] = syn["allOf"] + [{"if": {"not": {"required": ["kind"]}},
                                    "then": _ref(f"synapse.{m.default_synapse['kind']}")}]
    fields = {
        "name": _name(_POP_NAME),
        "model": _d({"const": model_name}, f"{title} (input unit: {m.input_unit or 'see the model'})"),
        "N": _N,
        "preset": _d({"enum": [*presets, None]}, ("a named parameter set (explicit params override it): "
                     + ", ".join(presets)) if presets else "this model has no presets (null)", default=None),
        "params": _d({"type": ["object", "null"], "properties": {k: _per_neuron(p) for k, p in m.params.items()},
                      "additionalProperties": False}, "parameter values by name; the others take their "
                     "defaults (or the preset's)", default={}),
        "initial": _d({"type": ["object", "null"], "properties": {
            s: _d({"type": ["number", "array", "null"], "items": _NUMBER},
                  ("membrane potential (mV)" if s == m.voltage else f"state variable {s}")
                  + ": a number or a list of N numbers; null: the model's initial value") for s in m.state},
            "additionalProperties": False}, "initial state values by state variable", default={}),
        "options": _d({"type": ["object", "null"], "properties": {
            k: _d({"type": "integer", "minimum": m.option_range(k)[0], "maximum": m.option_range(k)[1]},
                  f"integration option (an integer within {m.option_range(k)[0]}..{m.option_range(k)[1]})",
                  default=v) for k, v in m.options.items()}, "additionalProperties": False},
            "integer integration options of the model" + (f": {', '.join(m.options)}" if m.options else
                                                           " (this model has none)"), default={}),
        "positions": _ref("positions"),
        "connectivity": _d({"enum": [r for r in _recurrent_rules()]}, "recurrent connection of the population "
                           "onto itself, made when the network is built from the spec (the original pyN option): "
                           "null (none), sparse-random (each pair with p = 0.1), full-random (every pair); "
                           "weights uniform in [0, 1) times 'scale'", default=None),
        "scale": _d(_NUMBER, "weight scale of the recurrent connectivity", default=1.0),
        "color": _COLOR,
        "synapse_defaults": syn,
    }
    _keys_match(spec.NEURON_FIELDS, fields, "population field(s)")
    return _d({"type": "object", "properties": {k: fields[k] for k in spec.NEURON_FIELDS},
               "additionalProperties": False, "required": ["name", "N"]},
              f"a population of {model_name} neurons: {title}")


def _recurrent_rules():
    from .population import RECURRENT_RULES
    return list(RECURRENT_RULES)


def _source_population(model: str) -> dict:
    window = "Poisson sources only: a spike source takes its spike_times as given"
    fields = {
        "name": _name(_POP_NAME),
        "model": _d({"const": model}, "independent Poisson spike trains" if model == "poisson_source"
                    else "spike generators emitting given spike times"),
        "N": _N,
        "rate": _d({"type": ["number", "array"], "minimum": 0, "items": {"type": "number", "minimum": 0}},
                   "rate in Hz (>= 0): a number for every source or a list of N numbers"),
        "spike_times": _d({"type": "array", "items": {"type": ["number", "array"], "minimum": 0,
                                                      "items": {"type": "number", "minimum": 0}}},
                          "spike times in ms (>= 0), one list per source (N lists: checked by pyn validate)"),
        "start": _d({"type": "number", "minimum": 0} if model == "poisson_source" else
                    {"type": "number", "minimum": 0, "maximum": 0},
                    "start of activity (ms, >= 0)" if model == "poisson_source" else f"0 ({window})", default=0.0),
        "stop": _d({"type": ["number", "null"]} if model == "poisson_source" else {"type": "null"},
                   "end of activity (ms, >= start: checked by pyn validate); null: the end of the run"
                   if model == "poisson_source" else f"null ({window})", default=None),
        "positions": _ref("positions"),
        "color": _COLOR,
    }
    own = spec.SOURCE_FIELDS[model]
    _keys_match(own, fields, f"{model} field(s)")
    props = {k: fields[k] for k in own}
    # a source has neither preset nor params; an empty one (as editors write) is no field
    props["preset"] = _d({"type": "null"}, "a source has no preset (null or left out)")
    props["params"] = _d({"type": ["object", "null"], "maxProperties": 0}, "a source has no params ({}, null "
                         "or left out)")
    need = "rate" if model == "poisson_source" else "spike_times"
    return _d({"type": "object", "properties": props, "additionalProperties": False,
               "required": ["name", "N", need]}, fields["model"]["description"])


def _population() -> dict:
    names = models()
    sources = list(spec.SOURCE_FIELDS)
    return _d({"type": "object", "required": ["model"],
               "properties": {"model": _d({"enum": names + sources}, "the neuron model ("
                                          + ", ".join(names) + ") or a source kind (" + ", ".join(sources) + ")")},
               "allOf": [{"if": {"properties": {"model": {"const": m}}, "required": ["model"]},
                          "then": _ref(f"population.{m}")} for m in names + sources]},
              "a population: neurons of one model, or a spike source")


# -- stimuli -----------------------------------------------------------------------------------

STIMULUS_DOCS = {"current": "a current window (DC when start 0 and stop null)",
                 "noise": "a Gaussian current drawn anew every step, independently per neuron",
                 "poisson": "independent Poisson spike trains onto each target neuron"}


def _stimulus_fields(kind: str) -> dict:
    table = {"times": _d({"type": "array", "items": _NUMBER, "minItems": 1},
                         "times (ms), non-decreasing (checked by pyn validate)"),
             "values": _d({"type": "array", "items": _NUMBER, "minItems": 1},
                          "the current at those times (as many as 'times': checked by pyn validate)")}
    return {
        "kind": _d({"const": kind}, f"{kind}: {STIMULUS_DOCS[kind]}"),
        "target": _d({"type": "string", "pattern": NAME_PATTERN}, "the population stimulated (its name; must "
                     "exist and not be a source: checked by pyn validate)"),
        "start": _d({"type": "number", "minimum": 0}, "start of the window (ms, >= 0; inclusive)", default=0.0),
        "stop": _d({"type": ["number", "null"]}, "end of the window (ms, inclusive, >= start: checked by pyn "
                   "validate); null: the end of the run", default=None),
        "neurons": _d({"type": ["array", "number", "null"], "multipleOf": 1, "minimum": 0, "items": _INDEX},
                      "indices of the neurons stimulated (each < N: checked by pyn validate); null: all",
                      default=None),
        "amplitude": _d({"type": ["number", "object"], "properties": table, "required": ["times", "values"],
                         "additionalProperties": False},
                        "the current, in the target model's input unit (mV-equivalent for izhikevich, nA for "
                        "lif and adex, µA/cm² for hh): a number, or a table {\"times\": [...], \"values\": [...]} "
                        "interpolated linearly and holding its first and last values outside", default=0.0),
        "mean": _d(_NUMBER, "mean of the current (the model's input unit)", default=0.0),
        "std": _d({"type": "number", "minimum": 0}, "standard deviation per step (the model's input unit, >= 0; "
                  "not scaled by dt)", default=1.0),
        "rate": _d({"type": "number", "minimum": 0}, "rate per neuron (Hz, >= 0)"),
        "weight": _d(_NUMBER, "weight of each spike (the synapse's unit; >= 0 through a conductance synapse: "
                     "checked by pyn validate)", default=1.0),
        "synapse": _synapse(),
    }


def _stimulus() -> dict:
    _keys_match(stimuli.KINDS, STIMULUS_DOCS, "stimulus kind(s)")
    kinds = list(stimuli.KINDS)
    branches = []
    for kind in kinds:
        fields = _stimulus_fields(kind)
        own = stimuli.FIELDS[kind]
        _keys_match(own, fields, f"{kind} stimulus field(s)")
        branches.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                         "then": {"properties": {k: fields[k] for k in own}, "additionalProperties": False,
                                  "required": ["target"] + (["rate"] if kind == "poisson" else [])}})
    return _d({"type": "object", "required": ["kind"],
               "properties": {"kind": _d({"enum": kinds}, "the kind of stimulus: " + "; ".join(
                   f"{k}: {v}" for k, v in STIMULUS_DOCS.items()))}, "allOf": branches},
              "external input to a population; overlapping stimuli add up")


# -- settings and the whole spec ---------------------------------------------------------------

def _settings() -> dict:
    descs = {"dt": _d({"type": "number", "exclusiveMinimum": 0}, "time step (ms, > 0)"),
             "seed": _d({"type": ["integer", "null"], "minimum": 0}, "seed of every random draw (an integer >= 0); "
                        "null: a fresh seed per run"),
             "stdp": _d({"type": "boolean"}, "whether plastic connections learn in runs of this network"),
             "dtype": _d({"enum": list(spec.DTYPES)}, "floating-point type of weights and ring buffers"),
             "threads": _d({"type": ["integer", "string"], "minimum": 1, "maximum": MAX_COUNT,
                            "if": {"type": "string"}, "then": {"const": "auto"}},
                           "threads of the numba backend: \"auto\" or an integer >= 1")}
    _keys_match(spec.DEFAULT_SETTINGS, descs, "setting(s)")
    return _d({"type": "object", "properties": {k: {**descs[k], "default": v}
                                                for k, v in spec.DEFAULT_SETTINGS.items()},
               "additionalProperties": False}, "run settings; each left out takes its default", default={})


def spec_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the network spec, from the registries of this process.

    Every field has a ``description`` (with its unit) and, where it has one,
    a ``default``; ``additionalProperties`` is false wherever pyN refuses
    unknown fields.  Rules across fields (names that must exist, lengths that
    must equal N or the number of synapses) are named in the descriptions and
    checked by :func:`validate`.

    Returns
    -------
    dict
        A new dict each call (JSON-compatible; ``json.dumps`` writes it).

    Examples
    --------
    >>> schema = spec_schema()
    >>> schema["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    >>> schema["$defs"]["population.izhikevich"]["properties"]["params"]["properties"]["a"]["default"]
    0.02
    """
    defs = {"positions": _layouts(), "population": _population(), "projection": _projection(),
            "stimulus": _stimulus()}
    for m in models():
        defs[f"population.{m}"] = _neuron_population(m)
    for s in spec.SOURCE_FIELDS:
        defs[f"population.{s}"] = _source_population(s)
    for k in synapse_kinds():
        defs[f"synapse.{k}"] = _synapse_kind(k)
    for r in plasticity.RULES:
        defs[f"plasticity.{r}"] = _plasticity_rule(r)
    top = {
        "$schema": _d({"type": "string"}, "address of this schema (where an editor finds it for completion and "
                      "checking); pyN reads it as a comment"),
        "format": _d({"const": spec.FORMAT}, "always \"pyn-network\""),
        "version": _d({"type": "integer", "minimum": 1, "maximum": spec.VERSION},
                      f"version of the format; this schema describes version {spec.VERSION} (older versions "
                      "are upgraded when read)", default=spec.VERSION),
        "name": _name("name of the network (kept in saved results)"),
        "populations": _d({"type": "array", "items": _ref("population")}, "the populations", default=[]),
        "projections": _d({"type": "array", "items": _ref("projection")}, "the connections", default=[]),
        "stimuli": _d({"type": "array", "items": _ref("stimulus")}, "external inputs", default=[]),
        "settings": _settings(),
        "view": _d({"type": "object"}, "display settings of the Blender add-on (free-form, kept as they are)",
                   default={}),
    }
    top["name"]["default"] = "network"
    _keys_match(spec._TOP_KEYS, top, "top-level field(s)")
    _keys_match(top, spec._TOP_KEYS, "removed top-level field(s)")
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "pyN network spec",
        "description": (f"A pyN network ({spec.FORMAT}, version {spec.VERSION}): populations, connections, "
                        "stimuli and settings, as Network.to_spec() writes it and Network.from_spec() reads it. "
                        "Numbers must be finite; lists and dicts nest at most "
                        f"{spec.MAX_DEPTH} levels (outside 'view'). Integers are written without a fraction (3, "
                        "not 3.0). pyn validate also checks what JSON Schema cannot express (names that must "
                        "exist, lengths that must equal N)."),
        "type": "object",
        "required": ["format", "version"],
        "properties": top,
        "additionalProperties": False,
        "$defs": defs,
    }


# -- checking ----------------------------------------------------------------------------------

def _jsonschema():
    try:
        import jsonschema
    except ImportError:
        return None
    return jsonschema


_VALIDATOR_CLASS: list = []


def _validator_class(js):
    """Draft 2020-12 whose ``integer`` is an ``int`` (made once: extending a validator class is slow)."""
    if not _VALIDATOR_CLASS:
        base = js.Draft202012Validator
        checker = base.TYPE_CHECKER.redefine(
            "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
        _VALIDATOR_CLASS.append(js.validators.extend(base, type_checker=checker))
    return _VALIDATOR_CLASS[0]


def validator(schema: dict | None = None):
    """A ``jsonschema`` validator of :func:`spec_schema` (or ``schema``); None without jsonschema.

    Its ``integer`` is a whole number written without a fraction (``3``, not
    ``3.0``), as pyN reads counts and seeds; JSON Schema itself would take
    ``3.0`` too.
    """
    js = _jsonschema()
    if js is None:
        return None
    return _validator_class(js)(spec_schema() if schema is None else schema)


def path_text(parts) -> str:
    """``projections[2].rule.p`` from ``["projections", 2, "rule", "p"]`` (the top: ``(top level)``)."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _message(error) -> str:
    msg = error.message
    text = repr(error.instance)
    if len(text) > 80:      # a large list or dict in a message is shortened
        msg = msg.replace(text, show(error.instance), 1)
    return msg


def schema_problems(spec_dict, schema_validator=None) -> list:
    """Every way ``spec_dict`` breaks the schema, one ``"path: message"`` line each, sorted by path.

    Raises
    ------
    BackendError
        Without the ``jsonschema`` package.
    """
    v = schema_validator or validator()
    if v is None:
        from .errors import BackendError
        raise BackendError("checking a spec against its schema needs jsonschema: pip install 'pyn_core[schema]'")
    errors = list(v.iter_errors(spec_dict))

    def key(e):
        return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e.absolute_path), e.message
    return [f"{path_text(e.absolute_path)}: {_message(e)}" for e in sorted(errors, key=key)]


def _check(spec_dict, schema_validator):
    """(problems, network): the schema's problems, else the semantic check's; the network if there are none."""
    v = schema_validator or validator()
    if v is not None:
        problems = schema_problems(spec_dict, v)
        if problems:
            return problems, None
    from .network import Network
    try:
        return [], Network.from_spec(spec_dict)
    except PynError as exc:
        return [str(exc)], None


def validate(spec_dict, schema_validator=None) -> list:
    """The problems of a spec: every schema problem, else the semantic check's (an empty list: valid).

    Each is one line starting with the path of the field.  Without
    ``jsonschema`` only the semantic check runs (it reports its first problem).
    """
    return _check(spec_dict, schema_validator)[0]


def summary(net) -> str:
    """``3 populations (130 neurons), 4 connections, 2 stimuli`` of a network."""
    def count(n, one, many):
        return f"{n} {one if n == 1 else many}"
    return (f"{count(len(net.populations), 'population', 'populations')} "
            f"({count(sum(p.N for p in net.populations), 'neuron', 'neurons')}), "
            f"{count(len(net.projections), 'connection', 'connections')}, "
            f"{count(len(net.stimuli), 'stimulus', 'stimuli')}")


def check_file(path: str, schema_validator=None) -> tuple:
    """``(problems, summary)`` of the spec file at ``path``; a missing file or bad JSON is one problem."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        return [f"cannot read the file: {exc.strerror or exc}"], ""
    except UnicodeDecodeError:
        return ["cannot read the file: not UTF-8 text"], ""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"], ""
    except RecursionError:
        return [f"invalid spec: JSON nested deeper than {spec.MAX_DEPTH} levels"], ""
    problems, net = _check(data, schema_validator)
    return problems, ("" if net is None else summary(net))


def run_validate(args) -> int:
    """``pyn validate SPEC [SPEC ...]``: every problem of each file, one per line; 0 if all are valid, else 2."""
    v = validator()
    out = sys.stdout
    if v is None:
        sys.stderr.write("pyn validate: jsonschema is not installed (pip install 'pyn_core[schema]'): only the "
                         "first problem of each spec is reported\n")
    bad = 0
    for path in args.spec:
        problems, ok = check_file(path, v)
        if problems:
            bad += 1
            out.write("".join(f"{path}: {p}\n" for p in problems))
        else:
            out.write(f"{path}: OK: {ok}\n")
    return 2 if bad else 0


def run_schema(args) -> int:
    """``pyn schema``: print :func:`spec_schema` as JSON."""
    sys.stdout.write(json.dumps(spec_schema(), indent=args.indent, ensure_ascii=False) + "\n")
    return 0
