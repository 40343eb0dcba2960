"""``pmemplan schema --result``: the JSON Schema of the layout result, checked against
every config's output (its own kernel, 4.19, 5.2, 6.1, and several kernels at once)."""
import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import KERNEL_CASES, KERNEL_CASES_52
from pmemplan.causes import KMEM_CAUSES, Cause
from pmemplan.cli import cli
from pmemplan.result import FIX_KINDS

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
KERNEL_ARGS = ((), ("--kernel", "4.19"), ("--kernel", "5.2"), ("--kernel", "6.1"),
               ("--kernel", "4.19", "--kernel", "5.2", "--kernel", "6.1"))


def run(*args):
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(run("schema", "--result"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator, doc):
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("args", KERNEL_ARGS, ids=lambda a: "+".join(a[1::2]) or "file")
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda p: p.stem)
def test_every_config_output_validates(cfg, args, validator):
    doc = json.loads(run("layout", str(cfg), "--format", "json", *args))
    assert isinstance(doc, list) == (len(args) > 2)
    assert not _errors(validator, doc)


def test_real_kernel_failures_validate(validator):
    """Outputs with refusals, failures, fixes and kmem errors (the real-kernel cases)."""
    cases = KERNEL_CASES
    seen = set()
    for c in sorted(p for p in cases.iterdir() if p.is_dir())[::3]:
        doc = json.loads(run("layout", str(c / "platform.yaml"), "--format", "json"))
        assert not _errors(validator, doc), c.name
        for n in doc["namespaces"]:
            if n["error"]:
                seen.add(n["error"]["cause"])
    assert len(seen) >= 4


def test_cause_and_kind_enums(validator):
    defs = validator.schema["$defs"]
    assert set(defs["Cause"]["enum"]) == {c.value for c in Cause if c not in KMEM_CAUSES}
    assert set(defs["KmemCause"]["enum"]) == {c.value for c in KMEM_CAUSES}
    assert defs["Fix"]["properties"]["kind"]["enum"] == list(FIX_KINDS)


def test_schema_rejects_drift(validator):
    doc = json.loads(run("layout", str(ROOT / "configs" / "ndctl-sub-section-test.yaml"),
                         "--format", "json", "--kernel", "5.2"))
    bad = next(n for n in doc["namespaces"] if n["error"])
    assert not _errors(validator, doc)
    for mutate in (lambda n: n["error"].__setitem__("cause", "conflicting mapping"),
                   lambda n: n["error"].pop("cause"),
                   lambda n: n["fixes"][0].__setitem__("kind", "offset"),
                   lambda n: n.__setitem__("surprise", 1)):
        d = copy.deepcopy(doc)
        mutate(next(n for n in d["namespaces"] if n["name"] == bad["name"]))
        assert _errors(validator, d)


def test_platform_schema_still_default():
    assert json.loads(run("schema"))["title"].startswith("pmemplan platform")
