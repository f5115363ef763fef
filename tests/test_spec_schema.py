"""The JSON Schema of the network spec agrees with ``Network.from_spec``; docs/spec.md and ``pyn validate``.

(a) The schema is a valid draft 2020-12 schema, every field has a description,
and it is generated from the code's tables (a field added to one without a
description stops the generation; a registered model or synapse kind appears).
(b) Every spec ``tests/test_fuzz_spec.py``'s ``valid_specs`` draws passes the
schema.  (c) Mutated valid specs: what ``from_spec`` accepts the schema
accepts, and what it refuses the schema refuses too, unless the reason is one
JSON Schema cannot express (a cross-field rule, listed in ``CROSS_FIELD``).
(d) Every JSON example of docs/spec.md passes the schema and ``from_spec``; the
complete one runs with activity in the populations it says fire.  (e) ``pyn
validate`` and ``pyn schema``.
"""
from __future__ import annotations

import copy
import dataclasses
import io
import json
import os
import random
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

jsonschema = pytest.importorskip("jsonschema")

import pyn_core  # noqa: E402
from pyn_core import Network, PynError, spec_schema  # noqa: E402
from pyn_core import schema as schema_mod  # noqa: E402
from pyn_core.__main__ import main  # noqa: E402
from pyn_core.models import get_model, register_model  # noqa: E402
from pyn_core.synapses import Param, get_synapse_kind, register_synapse  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spec_tree import at as _at, paths  # noqa: E402
from test_fuzz_spec import valid_specs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "spec.md"
CASES = settings(derandomize=True, database=None, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def validator():
    return schema_mod.validator()


# -- (a) the schema itself --------------------------------------------------------------------------

def _walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))


def test_the_schema_is_valid_and_describes_every_field():
    schema = spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert json.loads(json.dumps(schema)) == schema
    fields = [(path, k, sub) for path, node in _walk(schema) if isinstance(node.get("properties"), dict)
              and path[-1:] != ("if",) and "if" not in path for k, sub in node["properties"].items()]
    assert len(fields) > 200
    undescribed = [(path, k) for path, k, sub in fields if not sub.get("description") and "$ref" not in sub]
    assert not undescribed, undescribed[:5]


def test_the_schema_is_generated_from_the_model_tables():
    schema = spec_schema()
    for name in pyn_core.models():
        model = get_model(name)
        pop = schema["$defs"][f"population.{name}"]
        assert pop["additionalProperties"] is False
        params = pop["properties"]["params"]["properties"]
        assert list(params) == list(model.params)
        for pname, p in model.params.items():
            assert params[pname]["default"] == p.default
            assert p.unit in params[pname]["description"] or p.unit in ("", "1")
            if p.low is not None:
                assert params[pname]["exclusiveMinimum" if p.low_open else "minimum"] == p.low
        assert pop["properties"]["preset"]["enum"] == list(model.presets) + [None]
    assert schema["$defs"]["projection"]["properties"]["rule"]["properties"]["name"]["enum"] == \
        pyn_core.connection_rules()


def test_a_field_added_to_a_table_without_a_description_stops_the_generation(monkeypatch):
    from pyn_core import spec
    monkeypatch.setattr(spec, "PROJECTION_FIELDS", spec.PROJECTION_FIELDS + ("gain",))
    with pytest.raises(PynError, match="gain"):
        spec_schema()
    monkeypatch.undo()
    monkeypatch.setattr(spec, "DEFAULT_SETTINGS", dict(spec.DEFAULT_SETTINGS, backend="auto"))
    with pytest.raises(PynError, match="backend"):
        spec_schema()


def test_a_registered_model_and_synapse_kind_appear_in_the_schema(validator):
    lif = get_model("lif")
    name = "lif_schema_test"
    assert name not in json.dumps(spec_schema())
    params = dict(lif.params, gain=Param(2.0, "1", "input gain", low=0.5, high=4.0))
    model = register_model(dataclasses.replace(lif, name=name, params=params, presets={"slow": {"tau_m": 40.0}}))
    kind = register_synapse(dataclasses.replace(get_synapse_kind("exp"), name="exp_schema_test"))
    try:
        schema = spec_schema()
        assert name in schema["$defs"]["population"]["properties"]["model"]["enum"]
        props = schema["$defs"][f"population.{name}"]["properties"]
        assert props["params"]["properties"]["gain"]["maximum"] == 4.0
        assert props["preset"]["enum"] == ["slow", None]
        assert "exp_schema_test" in schema["$defs"]["projection"]["properties"]["synapse"]["then"]["enum"]
        v = schema_mod.validator()
        good = {"format": "pyn-network", "version": 1,
                "populations": [{"name": "a", "model": name, "N": 2, "preset": "slow", "params": {"gain": 1.0}}]}
        assert not list(v.iter_errors(good))
        bad = copy.deepcopy(good)
        bad["populations"][0]["params"]["gain"] = 5.0
        assert schema_mod.schema_problems(bad, v) == [
            "populations[0].params.gain: 5.0 is greater than the maximum of 4.0"]
        assert list(validator.iter_errors(good)), "a schema made before the registration knows nothing of it"
        assert Network.from_spec(good).populations[0].model is model
        assert kind.name in pyn_core.synapse_kinds()
    finally:   # the registries are per process; the names above are used nowhere else
        pass


# -- (b) valid specs --------------------------------------------------------------------------------

@settings(CASES, max_examples=120)
@given(valid_specs())
def test_every_valid_spec_passes_the_schema(spec):
    assert schema_mod.schema_problems(spec, _VALIDATOR) == []


_VALIDATOR = schema_mod.validator(spec_schema())


# -- (c) refusals ---------------------------------------------------------------------------------

#: Reasons from_spec refuses a spec that JSON Schema cannot express (each names other fields, sizes or
#: numeric limits of the kernels); any other refusal the schema does not share is a disagreement.
CROSS_FIELD = [
    r"no population named", r"already in the network", r"is a spike source",
    r"length N=|of length N|one sequence per neuron|shape \(\d+, 3\)|must have shape", r"out of range",
    r"weights given for|delays given for|given one per synapse", r"must be >= start", r"high must be >= low",
    r"must be >= w_min", r"non-decreasing|1-D of equal", r"equal lengths", r"one_to_one needs",
    r"cannot draw", r"is an autapse", r"on an inhibitory connection|on a conductance synapse|through a conductance",
    r"exceeds the float range", r"must be finite|NaN or inf",
    r"(weight|delay)_matrix must be numbers \(a list or array\)",     # ragged rows (of unequal lengths)
    r"beyond the longest|longest possible", r"larger than|too large|memory",
]
BAD = ["x", "", "nope", {}, {"x": 1}, [], [1], [[1, 2]], True, False, None, -1, 0, 1.5, 2.5, -0.5, 3.0,
       10 ** 30, 2 ** 31, -1e300, "grid", "all_to_all", "stdp", "exp"]


def _paths(obj):
    return paths(obj, skip={("view",)})      # the free-form view is not the schema's


def mutate(spec, rnd):
    """A copy of ``spec`` with one change (outside ``view``), a description of it and the value put in."""
    spec = copy.deepcopy(spec)
    paths = list(_paths(spec))
    op = rnd.choice(["insert", "delete", "replace", "replace", "replace", "replace"])
    if op == "insert":
        where = rnd.choice([()] + [p for p in paths if isinstance(_at(spec, p), dict)])
        value = _at(spec, where)["bogus"] = rnd.choice(BAD)
        return spec, f"insert {where + ('bogus',)}", value
    path = rnd.choice(paths)
    parent, key = _at(spec, path[:-1]), path[-1]
    if op == "delete":
        del parent[key]
        return spec, f"delete {path}", None
    old = parent[key]
    if isinstance(old, (int, float)) and not isinstance(old, bool) and rnd.random() < 0.5:
        value = rnd.choice([-old - 1, old + 0.5, 2 * old + 1.5, -1e-3, 1 + abs(old)])
    else:
        value = rnd.choice(BAD)
    parent[key] = value
    return spec, f"set {path} = {value!r}", value


def _beyond_64_bits(value) -> bool:
    """An integer numpy keeps as an object (a list holding it is no list of numbers to pyN): JSON Schema
    cannot tell it from the float 1e30, which pyN takes."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2 ** 63


def _refusal(spec):
    try:
        Network.from_spec(spec)
    except PynError as exc:
        return str(exc)
    return None


MUTANTS_PER_SPEC = 4


@settings(CASES, max_examples=150)
@given(valid_specs(), st.integers(0, 2 ** 32))
def test_refusals_of_from_spec_are_refusals_of_the_schema(spec, seed):
    """(150 drawn specs, 4 mutants each: 600 cases)"""
    rnd = random.Random(seed)
    for _ in range(MUTANTS_PER_SPEC):
        mutant, edit, value = mutate(spec, rnd)
        problems = schema_mod.schema_problems(mutant, _VALIDATOR)
        refusal = _refusal(mutant)
        if refusal is None:
            assert not problems, f"{edit}: from_spec accepts it, the schema refuses it: {problems}"
        elif not problems and not _beyond_64_bits(value):
            assert any(re.search(p, refusal) for p in CROSS_FIELD), \
                f"{edit}: from_spec refuses it, the schema accepts it: {refusal}"
        _TALLY[(refusal is not None, bool(problems))] += 1


_TALLY = {(a, b): 0 for a in (False, True) for b in (False, True)}


def test_the_mutations_were_mostly_refused_by_both():
    """(runs after the test above in file order) most mutants break a rule the schema states."""
    if not sum(_TALLY.values()):
        pytest.skip("run with test_refusals_of_from_spec_are_refusals_of_the_schema")
    assert _TALLY[(True, True)] > 0.5 * sum(_TALLY.values()), _TALLY
    assert _TALLY[(False, True)] == 0, _TALLY
    print("mutants (refused by from_spec, by the schema): count", _TALLY)


@pytest.mark.parametrize("edit, path", [
    (lambda s: s["projections"][1]["rule"].update(p=1.5), "projections[1].rule.p"),
    (lambda s: s["projections"][1]["rule"].update(k=2), "projections[1].rule"),
    (lambda s: s["populations"][1]["params"].update(tau_m=0.0), "populations[1].params.tau_m"),
    (lambda s: s["populations"][1]["params"].update(tau_mm=1.0), "populations[1].params"),
    (lambda s: s["populations"][2].update(preset="fast_spiking"), "populations[2].preset"),
    (lambda s: s["projections"][0].update(weight={"dist": "normal", "mean": 1.0}), "projections[0].weight"),
    (lambda s: s["projections"][0].update(synapse={"kind": "exp", "tau": -1.0}), "projections[0].synapse.tau"),
    (lambda s: s["projections"][0].update(stp={"U": 0.0}), "projections[0].stp.U"),
    (lambda s: s["stimuli"][0].update(amplitude="14"), "stimuli[0].amplitude"),
    (lambda s: s["settings"].update(dtype="float16"), "settings.dtype"),
    (lambda s: s["populations"][0].update(N=2.0), "populations[0].N"),
])
def test_typical_mistakes_are_named_by_path_by_both(edit, path, validator):
    spec = _doc_examples()[0][1]
    edit(spec)
    problems = schema_mod.schema_problems(spec, validator)
    assert len(problems) == 1 and problems[0].startswith(path + ":"), problems
    assert _refusal(spec) is not None


def test_a_connection_without_rule_or_with_a_null_weight_takes_the_defaults(validator):
    from pyn_core.projection import LEGACY
    spec = _doc_examples()[0][1]
    del spec["projections"][1]["rule"]
    spec["projections"][0]["rule"] = None
    spec["projections"][2]["weight"] = None
    assert schema_mod.schema_problems(spec, validator) == []
    net = Network.from_spec(spec)
    props = validator.schema["$defs"]["projection"]["properties"]
    for i in (0, 1):
        assert {k: net.projections[i].rule[k] for k in props["rule"]["default"]} == props["rule"]["default"]
    assert props["rule"]["default"]["name"] == "pairwise_bernoulli"
    assert net.projections[2].weight == props["weight"]["default"]
    spec["projections"][1]["weight"] = None           # neither: the original sparse-random weights
    assert schema_mod.schema_problems(spec, validator) == []
    assert Network.from_spec(spec).projections[1].weight == LEGACY["sparse-random"][1]
    assert str(LEGACY["sparse-random"][1]) in props["weight"]["description"]


# -- (d) docs/spec.md -------------------------------------------------------------------------------

def _doc_examples():
    """[(kind, spec)] of every JSON block of docs/spec.md, fragments put into the complete example."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"(?:<!-- check: (\w+) -->\n)?```json\n(.*?)```", text, re.S)
    assert all(kind for kind, _ in blocks), "every ```json block of docs/spec.md needs a <!-- check: ... --> line"
    base = json.loads(blocks[0][1])
    assert blocks[0][0] == "spec"
    out = []
    for kind, body in blocks:
        value = json.loads(body)
        spec = copy.deepcopy(base)
        if kind == "spec":
            spec = value
        elif kind == "settings":
            spec["settings"] = value
        else:
            spec[{"population": "populations", "projection": "projections", "stimulus": "stimuli"}[kind]].append(value)
        out.append((kind, spec))
    return out


def test_every_json_example_of_the_docs_passes_the_schema_and_from_spec(validator):
    examples = _doc_examples()
    assert len(examples) >= 20
    for kind, spec in examples:
        assert schema_mod.schema_problems(spec, validator) == [], (kind, spec)
        net = Network.from_spec(spec)
        net.build(backend="numpy").run(5.0)


def test_the_complete_example_of_the_docs_is_active():
    spec = _doc_examples()[0][1]
    sim = Network.from_spec(spec).build(backend="numpy")
    sim.run(300.0)
    for pop in ("input", "exc", "inh"):
        n = sum(p["N"] for p in spec["populations"] if p["name"] == pop)
        rate = sim.results[pop].spike_times.size / (n * 0.3)
        assert 2.0 < rate < 60.0, (pop, rate)


def test_the_docs_name_every_field_of_the_code_tables():
    from pyn_core import connectivity, plasticity, space, spec, stimuli
    text = DOC.read_text(encoding="utf-8")
    names = set(spec._TOP_KEYS) | set(spec.NEURON_FIELDS) | set(spec.PROJECTION_FIELDS) | set(spec.DEFAULT_SETTINGS)
    names |= {f for fs in spec.SOURCE_FIELDS.values() for f in fs} | set(spec.SOURCE_FIELDS)
    names |= {f for fs in connectivity.RULE_PARAMS.values() for f in fs} | set(connectivity.RULES)
    names |= {f for fs in stimuli.FIELDS.values() for f in fs} | set(stimuli.KINDS)
    names |= {f for fs in space.LAYOUT_FIELDS.values() for f in fs} | set(space.LAYOUTS)
    names |= set(plasticity.RSTDP_DEFAULTS) | set(plasticity.STP_DEFAULTS) | set(plasticity.STP_PRESETS)
    names |= set(pyn_core.synapse_kinds()[:6]) | set(pyn_core.weight_distributions())
    missing = sorted(n for n in names if f"`{n}`" not in text and f'"{n}"' not in text)
    assert not missing, f"docs/spec.md does not describe {missing}"


# -- (e) pyn validate, pyn schema -------------------------------------------------------------------

def _run(*argv):
    out = io.StringIO()
    with redirect_stdout(out):
        rc = main(list(argv))
    return rc, out.getvalue()


def test_pyn_validate_a_valid_spec(tmp_path):
    spec = _doc_examples()[0][1]
    path = tmp_path / "net.pyn.json"
    path.write_text(json.dumps(spec))
    rc, out = _run("validate", str(path))
    n = sum(p["N"] for p in spec["populations"])
    assert rc == 0
    assert out == (f"{path}: OK: {len(spec['populations'])} populations ({n} neurons), "
                   f"{len(spec['projections'])} connections, {len(spec['stimuli'])} stimuli\n")


def test_pyn_validate_reports_every_problem_with_its_path(tmp_path):
    spec = _doc_examples()[0][1]
    spec["projections"][1]["rule"]["p"] = 1.5
    spec["populations"][1]["params"]["tau_m"] = -1.0
    spec["settings"]["threads"] = 0
    spec["stimuli"][1]["stdd"] = 1.0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    rc, out = _run("validate", str(path))
    assert rc == 2
    lines = out.splitlines()
    paths = [line.split(": ")[1] for line in lines]
    assert paths == ["populations[1].params.tau_m", "projections[1].rule.p", "settings.threads", "stimuli[1]"], out
    assert lines[1] == f"{path}: projections[1].rule.p: 1.5 is greater than the maximum of 1"
    assert "Traceback" not in out


def test_pyn_validate_reports_the_semantic_problem_once_the_schema_passes(tmp_path):
    spec = _doc_examples()[0][1]
    spec["projections"][2]["post"] = "cortex"
    path = tmp_path / "names.json"
    path.write_text(json.dumps(spec))
    rc, out = _run("validate", str(path))
    assert rc == 2
    assert out.startswith(f"{path}: projections[2]: post: no population named 'cortex'") and out.count("\n") == 1


def test_pyn_validate_a_missing_file_and_invalid_json(tmp_path):
    (tmp_path / "broken.json").write_text('{"format": "pyn-network",\n  "version": }')
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_doc_examples()[0][1]))
    rc, out = _run("validate", str(tmp_path / "missing.json"), str(tmp_path / "broken.json"), str(good))
    lines = out.splitlines()
    assert rc == 2 and len(lines) == 3
    assert lines[0].startswith(f"{tmp_path / 'missing.json'}: cannot read the file")
    assert lines[1] == f"{tmp_path / 'broken.json'}: invalid JSON: Expecting value at line 2, column 14"
    assert lines[2].startswith(f"{good}: OK")


def test_pyn_schema_prints_the_schema():
    rc, out = _run("schema")
    assert rc == 0 and json.loads(out) == spec_schema()


def test_python_m_pyn_core_validate(tmp_path):
    spec = _doc_examples()[0][1]
    spec["settings"]["dt"] = 0
    path = tmp_path / "dt.json"
    path.write_text(json.dumps(spec))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "pyn_core", "validate", str(path)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == f"{path}: settings.dt: 0 is less than or equal to the minimum of 0\n"
    assert done.stderr == ""


def test_a_spec_that_names_its_schema_passes_the_schema_and_pyn_validate(tmp_path, validator):
    spec = {"$schema": "./pyn-network.schema.json", **_doc_examples()[0][1]}
    assert schema_mod.schema_problems(spec, validator) == []
    assert schema_mod.schema_problems({**spec, "$schema": 3}, validator) != []       # a string, if given
    path = tmp_path / "net.pyn.json"
    path.write_text(json.dumps(spec))
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["validate", str(path)]) == 0
