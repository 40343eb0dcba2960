"""``pmemplan schema --result`` covers ``pmemplan plan --format json`` and ``pmemplan
commands --format json``: every intent, feasible or not, with --nearest where it applies
and with several --kernel, validates; drifted outputs are rejected."""
import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pmemplan.causes import Cause
from pmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[1]
INTENTS = sorted((ROOT / "tests" / "data" / "intents").glob("*.yaml"))
KERNEL_ARGS = ((), ("--kernel", "5.2"), ("--kernel", "5.4", "--kernel", "6.1"),
               ("--kernel", "4.19", "--kernel", "5.10", "--kernel", "6.12"))


def invoke(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output
    return r.exit_code, r.stdout


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(invoke("schema", "--result")[1])
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def plan_validator(validator):
    """The PlanOutput definition alone (its errors name the path that drifted)."""
    schema = {**validator.schema, "oneOf": None}
    del schema["oneOf"]
    schema["$ref"] = "#/$defs/PlanOutput"
    return jsonschema.Draft202012Validator(schema)


def _errors(validator, doc):
    return [f"{list(e.absolute_path)}: {e.message[:300]}" for e in validator.iter_errors(doc)]


@pytest.fixture(scope="module")
def qemu_plan():
    code, out = invoke("plan", ROOT / "tests/data/intents/qemu-mixed.yaml", "--format", "json")
    assert code == 0
    return json.loads(out)


@pytest.mark.parametrize("args", KERNEL_ARGS, ids=lambda a: "+".join(a[1::2]) or "file")
@pytest.mark.parametrize("intent", INTENTS, ids=lambda p: p.stem)
def test_every_plan_output_validates(intent, args, validator, plan_validator):
    code, out = invoke("plan", intent, "--format", "json", *args)
    doc = json.loads(out)
    assert doc["plan"]["ok"] == (code == 0)
    assert not _errors(validator, doc)
    assert not _errors(plan_validator, doc)
    if code == 1:
        assert doc["plan"]["problems"]
        code, out = invoke("plan", intent, "--format", "json", "--nearest", *args)
        if out:     # nothing on stdout when there is no nearest alternative
            assert not _errors(validator, json.loads(out))


def test_matrix_reaches_every_shape(validator):
    """The intents above give infeasible plans with and without results, nearest ones,
    legacy costs, placeholders and region align steps (else the test above proves less)."""
    seen = set()
    for intent in INTENTS:
        for args in KERNEL_ARGS:
            code, out = invoke("plan", intent, "--format", "json", *args)
            d = json.loads(out)
            seen.add(("ok", d["plan"]["ok"], bool(d["results"])))
            if d["plan"]["legacy_cost"]:
                seen.add("legacy_cost")
            seen.update(p["cause"] for p in d["plan"]["problems"])
            seen.update(s["kind"] for s in (d["commands"] or {}).get("steps", []))
    assert {("ok", True, True), ("ok", False, True), ("ok", False, False), "legacy_cost",
            "plan-no-room", "placeholder", "align", "create", "reconfigure", "kmem", "destroy"} <= seen


@pytest.mark.parametrize("intent", INTENTS, ids=lambda p: p.stem)
def test_commands_output_validates(intent, validator):
    code, out = invoke("commands", intent, "--format", "json")
    if code == 1:
        assert not out
        return
    doc = json.loads(out)
    assert not _errors(validator, doc)
    assert _errors(validator, {**doc, "format": 2})


def _mutations():
    def ns(d):
        return d["plan"]["namespaces"][0]

    def step(d, kind):
        return next(s for s in d["commands"]["steps"] if s["kind"] == kind)
    return {
        "extra key in a planned namespace": lambda d: ns(d).__setitem__("surprise", 1),
        "planned key not in the enum": lambda d: ns(d)["planned"].append("sector_size"),
        "missing required key": lambda d: d["plan"].pop("region_aligns"),
        "negative size": lambda d: ns(d).__setitem__("size", -1),
        "usable keyed by a non-kernel": lambda d: ns(d)["usable"].__setitem__("latest", 1),
        "problem cause not in the enum": lambda d: d["plan"]["problems"].append(
            {"region": "region0", "namespace": None, "kernel": None, "cause": "no-room", "message": "",
             "nearest": "", "nearest_changes": {}, "works_on": []}),
        "nearest change of a key the planner never changes": lambda d: d["plan"]["problems"].append(
            {"region": "region0", "namespace": None, "kernel": None, "cause": "plan-no-room", "message": "",
             "nearest": "", "nearest_changes": {"db.offset": 0}, "works_on": []}),
        "step kind not in the enum": lambda d: step(d, "create").__setitem__("kind", "mkfs"),
        "create step expects an unknown key": lambda d: step(d, "create")["expect"].__setitem__("offset", 0),
        "create step without its start": lambda d: step(d, "create")["expect"].pop("start"),
        "kmem step expects another mode": lambda d: step(d, "kmem")["expect"].__setitem__("mode", "devdax"),
        "find not in the enum": lambda d: step(d, "create").__setitem__("find", "uuid"),
        "layout result drift inside results": lambda d: d["results"]["6.1"]["namespaces"][0].__setitem__(
            "surprise", 1),
        "layout result cause drift inside results": lambda d: d["results"]["6.1"]["summary"].pop("lost"),
        "format 2": lambda d: d.__setitem__("format", 2),
    }


@pytest.mark.parametrize("name", list(_mutations()))
def test_schema_rejects_plan_drift(name, qemu_plan, validator, plan_validator):
    assert not _errors(validator, qemu_plan)
    d = copy.deepcopy(qemu_plan)
    _mutations()[name](d)
    assert _errors(validator, d)
    assert _errors(plan_validator, d)


def test_outputs_are_told_apart(validator, qemu_plan):
    """Each output matches one branch only: a plan is no layout result, a layout result
    with a plan key is neither."""
    layout = json.loads(invoke("layout", ROOT / "configs" / "qemu-nvdimm.yaml", "--format", "json")[1])
    assert not _errors(validator, layout)
    assert _errors(validator, {**layout, "plan": qemu_plan["plan"]})
    assert _errors(validator, [qemu_plan, qemu_plan])
    assert _errors(validator, {k: v for k, v in qemu_plan.items() if k != "plan"})


def test_plan_defs_reuse_the_layout_defs(validator):
    defs = validator.schema["$defs"]
    assert defs["PlanProblem"]["properties"]["cause"] == {"$ref": "#/$defs/Cause"}
    assert {c.value for c in Cause if c.value.startswith("plan-")} <= set(defs["Cause"]["enum"])
    assert defs["PlanOutput"]["properties"]["results"]["additionalProperties"] == {"$ref": "#/$defs/LayoutResult"}
    for name in ("PlanOutput", "Plan", "PlannedNamespace", "PlanProblem", "Step", "CommandsOutput"):
        assert defs[name]["additionalProperties"] is False
        assert set(defs[name]["required"]) == set(defs[name]["properties"])


def test_commands_of_existing_namespaces_validate(validator):
    """Concrete platforms with `exists: true` and `was:` namespaces (oracle cases): check
    and reconfigure steps, found by start or as the region's one namespace."""
    cases = sorted(p for p in (ROOT / "tests" / "data" / "oracle-cases").glob("*/platform.yaml")
                   if "exists: true" in p.read_text() or "was:" in p.read_text())[::4]
    seen = set()
    for p in cases:
        code, out = invoke("commands", p, "--format", "json")
        if code == 1:
            continue
        doc = json.loads(out)
        assert not _errors(validator, doc), p.parent.name
        seen.update((s["kind"], s["find"]) for s in doc["steps"])
    assert {("check", "start"), ("check", "labelless"), ("reconfigure", "start"),
            ("reconfigure", "labelless"), ("align", "region"), ("kmem", "labelless"),
            ("create", "name")} <= seen
