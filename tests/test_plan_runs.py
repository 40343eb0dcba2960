"""The scripts of generated plans, run on real kernels (tests/data/plan-runs/README.md):
every script exited 0, every namespace came up at its planned start with the usable size
the model predicts, and the planner still makes the same script."""
from __future__ import annotations

import json
import sys

import pytest

from pmemplan.loader import load_platform
from pmemplan.plan import build_steps, plan_platform
from pmemplan.render.script_out import render_script

from conftest import DATA

RUNS = DATA / "plan-runs"
TARGETS = ["5.4", "6.1", "6.12"]
CASES = sorted(p.name for p in RUNS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def _kernel(case: str) -> str:
    return {"61": "6.1", "612": "6.12"}[case.rsplit("_", 1)[1]]


def _commands(script: str) -> list:
    out = []
    for ln in script.splitlines():
        ln = ln.strip()
        if ln.startswith("RC=0; run_rc "):           # kmem: the status is kept to restore a policy
            ln = "run " + ln[len("RC=0; run_rc "):].replace(" || RC=$?", "")
        if ln.startswith(("run '", "check_ns ", "if R", "test \"$s\" = ")):
            out.append(ln)
    return out


def test_enough_runs():
    assert sum(c.endswith("_61") for c in CASES) >= 20 and sum(c.endswith("_612") for c in CASES) >= 10


@pytest.mark.parametrize("case", CASES)
def test_plan_run(case):
    d = RUNS / case
    kernel = _kernel(case)
    run = json.loads((d / "run.json").read_text())
    assert run["kernel"].startswith(kernel + ".")
    plan = plan_platform(load_platform(d / "intent.yaml"), TARGETS)
    assert plan.ok
    regions, steps = build_steps(plan.platform, plan.results[kernel])
    # the planner still makes the commands and checks that ran (the script around them may
    # have changed since: the auto-online policy around kmem came later)
    script = render_script(regions, steps, source=f"{case.rsplit('_', 1)[0]}.yaml", kernel=kernel)
    assert _commands(script) == _commands((d / "plan.sh").read_text())
    assert run["rc"] == 0, run["stderr"]
    assert "steps matched the plan" in run["stdout"]
    listed = {n["dev"]: n for n in run["ndctl_list"]}
    sysfs = {row[0]: row for row in run["sysfs"]}
    res = plan.results[kernel]
    for pn in plan.namespaces:
        nr = res.namespace(pn.name)
        region = next(r for r in plan.platform.regions if r.name == pn.region)
        if region.labelled:
            (dev,) = [k for k, row in sysfs.items() if len(row) > 3 and row[3] == pn.name]
        else:
            (dev,) = [k for k, row in sysfs.items() if int(row[1], 16) == pn.start and row[2] != "0"]
        row = sysfs[dev]
        assert int(row[1], 16) == pn.start, (pn.name, row)          # the planned start
        assert int(row[2]) == pn.size, (pn.name, row)              # the planned raw size
        got = listed[dev]
        # a raw namespace of an e820 range is listed as fsdax (map=mem, legacy memory mode)
        assert got["mode"] == ("fsdax" if pn.mode == "raw" and region.pagemap else pn.mode), (pn.name, got)
        assert got["size"] == nr.usable_size, (pn.name, got["size"], nr.usable_size)   # predicted usable
        if pn.want_usable is not None:
            assert got["size"] >= pn.want_usable
        if pn.align is not None and nr.pfn is not None:
            assert got["align"] == pn.align
    # placeholders are gone
    for row in sysfs.values():
        if len(row) > 3 and row[3].startswith("pmemplan-placeholder"):
            assert row[2] == "0"
