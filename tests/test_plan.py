"""pmemplan plan / commands: the planner, its outputs and the build script."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pmemplan.causes import Cause
from pmemplan.engine import run_engine
from pmemplan.errors import InputError
from pmemplan.kversion import KernelVersion
from pmemplan.loader import load_platform, load_platform_text
from pmemplan.plan import build_steps, plan_platform
from pmemplan.plan.core import apply_nearest
from pmemplan.render.plan_out import render_plan_yaml
from pmemplan.render.script_out import render_script

from conftest import DATA, ROOT

INTENTS = DATA / "intents"
FAKE = DATA / "fake-nd"
GOLDEN = Path(__file__).resolve().parent / "golden"
G = 1 << 30
M = 1 << 20


def cli(*args, stdin=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pmemplan", *args], capture_output=True, text=True,
                          env=env, input=stdin)


def intent(text: str):
    return load_platform_text("format: 1\nkernel: \"6.1\"\n" + text, "intent.yaml")


# ----------------------------------------------------------------------------- format 1

def test_intent_fields_load():
    p = load_platform(INTENTS / "qemu-mixed.yaml")
    nss = {n.name: n for n in p.regions[0].namespaces}
    assert p.is_intent
    assert nss["db"].usable == 200 * M and nss["db"].size is None
    assert nss["logs"].share == "10%" and nss["logs"].size is None
    assert nss["pool"].share == "rest"
    assert not load_platform(ROOT / "configs" / "qemu-nvdimm.yaml").is_intent


@pytest.mark.parametrize("ns, msg", [
    ("{name: a, usable: 1G, size: 2G}", "give usable or size, not both"),
    ("{name: a, size: rest}\n      - {name: b, size: rest}", "rest is given twice"),
    ("{name: a, size: 0%}", "more than 0%"),
    ("{name: a, size: 12x%}", "not a share"),
    ("{name: a, usable: 1G, exists: true}", "usable is an intent"),
])
def test_intent_input_errors(ns, msg):
    with pytest.raises(InputError) as e:
        intent(f"regions:\n  - name: r\n    start: 0x100000000\n    size: 4G\n    namespaces:\n      - {ns}\n")
    assert msg in e.value.message and e.value.line is not None


# ----------------------------------------------------------------------------- the planner

def _check_plan(plan):
    """Every namespace enabled on every target by the engine, each usable met."""
    assert plan.ok, plan.problems
    for k in plan.kernels:
        res = run_engine(plan.platform, KernelVersion.parse(k), verify=False, sections=False, fixes=False)
        for pn in plan.namespaces:
            nr = res.namespace(pn.name)
            assert nr.status == "enabled", (k, nr)
            assert nr.start == pn.start
            if pn.want_usable is not None:
                assert nr.usable_size >= pn.want_usable


def test_qemu_mixed_plan():
    plan = plan_platform(load_platform(INTENTS / "qemu-mixed.yaml"))
    _check_plan(plan)
    n = {x.name: x for x in plan.namespaces}
    # 200M usable in fsdax map=dev: 8K info block + 64 B per 4K page + 2M align; 16M steps
    assert n["db"].size == 208 * M and n["db"].usable["6.1"] == 204 * M
    assert n["db"].size - 16 * M < 200 * M * 64 // 63      # one step less would be short
    # 10% of 1G - 128K = 102.4M: the nearest multiple of 16M is 96M
    assert n["logs"].size == 96 * M
    # rest: what is left of the 16M-aligned region (1008M) after 208M + 96M
    assert n["pool"].size == 704 * M and n["pool"].offset == 304 * M
    assert n["ram"].size == 512 * M and "align" in n["ram"].planned


def test_pmem_csi_question():
    """1500G usable in fsdax map=dev on a 6-way region: the raw size to ask ndctl for."""
    plan = plan_platform(load_platform(INTENTS / "pmem-csi.yaml"))
    _check_plan(plan)
    csi = plan.namespaces[0]
    assert csi.size % (96 * M) == 0                  # 16M region align x 6 ways on 5.7+
    assert min(csi.usable.values()) >= 1500 * G
    # the smallest: one 96M step less is short on some target
    smaller = apply_nearest(plan.source, [])
    assert smaller is None
    from pmemplan.plan.core import _Target, _usable, _Choice
    r = plan.platform.regions[0]
    c = _Choice("fsdax", "dev", 2 * M, None)
    ts = [_Target(plan.source, k) for k in plan.kernels]
    assert min(_usable(t, r, c, r.start, csi.size - 96 * M, []) for t in ts) < 1500 * G
    assert csi.size == 1560384 * M


def test_infeasible_names_constraint_and_nearest():
    plan = plan_platform(load_platform(INTENTS / "too-big.yaml"))
    assert not plan.ok
    (p,) = plan.problems
    assert p.cause == Cause.PLAN_NO_ROOM and p.region == "region0"
    alt = apply_nearest(plan.source, plan.problems)
    again = plan_platform(alt)
    _check_plan(again)
    assert again.namespaces[1].usable["6.1"] >= p.nearest_changes["b.usable"]


def test_engine_refusal_is_per_kernel():
    # a given 8M fsdax size: ndctl refuses it on every target, for a different reason on each
    p = intent("regions:\n  - name: r\n    start: 0x100000000\n    size: 1G\n    namespaces:\n"
               "      - {name: a, mode: fsdax, size: 8M}\n      - {name: b, mode: raw, size: rest}\n")
    plan = plan_platform(p, ["5.4", "6.1"])
    assert not plan.ok
    assert {x.kernel for x in plan.problems} == {"5.4", "6.1"}
    causes = {x.kernel: x.cause for x in plan.problems}
    assert causes == {"5.4": Cause.TOO_SMALL, "6.1": Cause.REGION_ALIGN_SIZE}   # 16M region align: 5.7+


def test_shares_that_overflow_round_down():
    # 50% of 1G - 128K is 511.9M: the nearest 16M multiples (512M twice) do not fit the
    # 1008M the region holds in 16M steps; both round down
    p = intent("regions:\n  - name: r\n    start: 0x100000000\n    size: 0x3ffe0000\n    namespaces:\n"
               "      - {name: a, mode: fsdax, size: 50%}\n      - {name: b, mode: devdax, size: 50%}\n")
    plan = plan_platform(p)
    _check_plan(plan)
    assert [n.size for n in plan.namespaces] == [496 * M, 496 * M]
    assert "multiple below" in plan.namespaces[0].why


def test_pre_53_targets_keep_namespaces_out_of_one_section():
    p = load_platform(INTENTS / "section-era.yaml")
    plan = plan_platform(p)
    _check_plan(plan)
    a, b = plan.namespaces
    assert b.start % (128 * M) == 0                      # a ends on a section boundary
    assert "section boundary" in a.why
    # without that rule the two would share a section: refused on 5.2
    alone = plan_platform(p, ["6.1"])
    assert alone.namespaces[1].start % (128 * M) != 0
    res = run_engine(alone.platform, KernelVersion.parse("5.2"), verify=False)
    assert res.namespace("b").error.cause == Cause.SECTION_CONFLICT
    # what 5.2 costs: the start padding of a (its first section holds System RAM)
    assert plan.legacy_cost["lost"]["5.2"] > plan.legacy_cost["lost_without"]["6.1"]


def test_deterministic():
    a = plan_platform(load_platform(INTENTS / "qemu-mixed.yaml"))
    b = plan_platform(load_platform(INTENTS / "qemu-mixed.yaml"))
    assert [x.to_dict() for x in a.namespaces] == [x.to_dict() for x in b.namespaces]


def test_pre_53_costs_reported():
    p = load_platform(INTENTS / "qemu-mixed.yaml")
    plan = plan_platform(p, ["4.19", "6.1"])
    _check_plan(plan)
    assert plan.legacy_cost is not None and plan.legacy_cost["pre_5_3"] == ["4.19"]


def test_plan_yaml_round_trip():
    plan = plan_platform(load_platform(INTENTS / "qemu-mixed.yaml"))
    text = render_plan_yaml(plan, "qemu-mixed.yaml")
    again = load_platform_text(text, "plan.yaml")
    assert not again.is_intent
    assert again.targets == plan.kernels
    for k in plan.kernels:
        res = run_engine(again, KernelVersion.parse(k), verify=False)
        assert all(n.status == "enabled" for n in res.namespaces)
    assert "# planned" in text


# ----------------------------------------------------------------------------- CLI

def test_cli_plan_outputs(tmp_path):
    out, sh = tmp_path / "plan.yaml", tmp_path / "plan.sh"
    r = cli("plan", str(INTENTS / "qemu-mixed.yaml"), "-o", str(out), "--script", str(sh))
    assert r.returncode == 0, r.stderr
    assert "usable 200M -> raw size 208M at 0x100000000 (offset 0x0) -> usable 5.4: 204M, 6.1: 204M" in r.stdout
    r = cli("layout", str(out), "--format", "json")
    assert r.returncode == 0
    assert all(n["status"] == "enabled" for n in json.loads(r.stdout)["namespaces"])
    r = cli("plan", str(INTENTS / "qemu-mixed.yaml"), "--format", "json")
    d = json.loads(r.stdout)
    assert set(d["results"]) == {"5.4", "6.1"} and d["commands"]["steps"][0]["kind"] == "create"


def test_cli_kernel_wins_over_targets():
    r = cli("plan", str(INTENTS / "qemu-mixed.yaml"), "--kernel", "6.12", "--format", "json")
    assert list(json.loads(r.stdout)["results"]) == ["6.12"]


def test_cli_infeasible_exit_1_writes_nothing(tmp_path):
    out = tmp_path / "plan.yaml"
    r = cli("plan", str(INTENTS / "too-big.yaml"), "-o", str(out))
    assert r.returncode == 1 and "[plan-no-room]" in r.stderr and "nearest: b usable" in r.stderr
    assert not out.exists()
    r = cli("plan", str(INTENTS / "too-big.yaml"), "-o", str(out), "--nearest")
    assert r.returncode == 1 and out.exists()
    assert cli("layout", str(out), "--check").returncode == 0


def test_layout_and_lint_of_intent_plan_first():
    r = cli("layout", str(INTENTS / "qemu-mixed.yaml"), "--format", "json", "--kernel", "6.1")
    d = json.loads(r.stdout)
    assert r.returncode == 0
    assert any("planned from the intent" in a for a in d["assumptions"])
    assert {n["name"]: n["size"] for n in d["namespaces"]}["db"] == 208 * M
    r = cli("lint", str(INTENTS / "qemu-mixed.yaml"), "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr


# ----------------------------------------------------------------------------- scripts

SHELLS = [s for s in ("busybox", "dash") if shutil.which(s)]


def _script(name: str, kernel: str = "6.1"):
    plan = plan_platform(load_platform(INTENTS / name), [kernel])
    regions, steps = build_steps(plan.platform, plan.results[kernel])
    return plan, render_script(regions, steps, source=name, kernel=kernel)


@pytest.mark.parametrize("name", ["qemu-mixed.yaml", "placeholder.yaml"])
def test_script_golden(name):
    _, text = _script(name)
    gold = GOLDEN / ("plan-" + name.replace(".yaml", ".sh"))
    if os.environ.get("PMEMPLAN_UPDATE_GOLDEN"):
        gold.write_text(text)
    assert text == gold.read_text()


@pytest.mark.parametrize("shell", SHELLS)
def test_script_syntax(shell, tmp_path):
    _, text = _script("qemu-mixed.yaml")
    f = tmp_path / "plan.sh"
    f.write_text(text)
    cmd = [shell, "sh", "-n", str(f)] if shell == "busybox" else [shell, "-n", str(f)]
    assert subprocess.run(cmd).returncode == 0


def test_script_uses_only_allowed_commands():
    _, text = _script("qemu-mixed.yaml")
    assert "[[" not in text and "function " not in text and "local " not in text
    for tool in ("head", "tail", "cut", "tr", "uname", "jq", "bash"):
        assert f" {tool} " not in text and f"({tool} " not in text and f"| {tool}" not in text


def _fake_sysfs(root: Path, plan):
    nd = root / "bus" / "nd" / "devices"
    nd.mkdir(parents=True)
    for i, r in enumerate(plan.platform.regions):
        d = nd / f"region{i}"
        d.mkdir()
        (d / "resource").write_text(f"{r.start:#x}\n")
        (d / "size").write_text(f"{r.size}\n")
        res = plan.results[plan.kernels[0]]
        (d / "align").write_text(f"{[x for x in res.regions if x.name == r.name][0].align}\n")
        (d / "cursor").write_text("0\n")
        if r.labelled:
            (d / "next").write_text("1\n")
            seed = d / f"namespace{i}.0"
            seed.mkdir()
            (seed / "size").write_text("0\n")
            (seed / "resource").write_text("0\n")
            (seed / "alt_name").write_text("\n")
        else:
            (d / "next").write_text("0\n")
            ns = d / f"namespace{i}.0"
            ns.mkdir()
            (ns / "size").write_text(f"{r.size}\n")
            (ns / "resource").write_text(f"{r.start:#x}\n")
            (nd / f"namespace{i}.0").symlink_to(ns)
    return nd


def _run(shell, tmp_path, name, edit=None, args=()):
    plan, text = _script(name)
    f = tmp_path / "plan.sh"
    f.write_text(text)
    sysfs = tmp_path / "sys"
    nd = _fake_sysfs(sysfs, plan)
    if edit:
        edit(nd)
    usable = tmp_path / "usable"
    usable.mkdir()
    for pn in plan.namespaces:
        (usable / pn.name).write_text(f"{pn.usable['6.1']}\n")
    for i, r in enumerate(plan.platform.regions):
        if not r.labelled:       # no alt_name: the fake ndctl looks the device name up
            (usable / f"namespace{i}.0").write_text(f"{plan.namespaces[-1].usable['6.1']}\n")
    log = tmp_path / "log"
    log.write_text("")
    env = {"PATH": f"{FAKE}:{os.environ['PATH']}", "PMEMPLAN_SYSFS": str(sysfs),
           "FAKE_USABLE": str(usable), "FAKE_LOG": str(log)}
    cmd = [shell, "sh", str(f), *args] if shell == "busybox" else [shell, str(f), *args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return r, log.read_text()


@pytest.mark.parametrize("shell", SHELLS)
def test_script_runs_against_fake_sysfs(shell, tmp_path):
    r, log = _run(shell, tmp_path, "qemu-mixed.yaml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all 5 steps matched" in r.stdout
    assert log.splitlines()[0].startswith("create-namespace -r region0 -s 218103808 -m fsdax")
    assert "daxctl reconfigure-device --mode=system-ram dax1.0" in log


@pytest.mark.parametrize("shell", SHELLS)
def test_script_kmem_when_the_kernel_onlines_memory(shell, tmp_path):
    def auto_online(nd):
        mem = nd.parents[2] / "devices" / "system" / "memory"
        mem.mkdir(parents=True)
        (mem / "auto_online_blocks").write_text("online\n")
    r, log = _run(shell, tmp_path, "qemu-mixed.yaml", auto_online)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "daxctl reconfigure-device --mode=system-ram dax1.0" in log
    assert "+ echo offline > " in r.stdout and "+ echo online > " in r.stdout
    aob = tmp_path / "sys" / "devices" / "system" / "memory" / "auto_online_blocks"
    assert aob.read_text().strip() == "online"          # the policy is put back


def test_labelless_region_align_planned():
    plan = plan_platform(load_platform(INTENTS / "e820-100M.yaml"))
    _check_plan(plan)
    assert plan.region_aligns == {"e820": 4 * M}           # the largest power of two dividing 100M
    # without it ndctl refuses the whole-region size on 6.1 (16M region align)
    res = run_engine(plan.source, KernelVersion.parse("6.1"), verify=False)
    assert res.namespaces[0].error.cause == Cause.REGION_ALIGN_SIZE
    _, steps = build_steps(plan.platform, plan.results["6.1"])
    assert [s.kind for s in steps] == ["align", "reconfigure"]
    _, steps = build_steps(plan.platform, plan.results["5.4"])
    assert [s.kind for s in steps] == ["reconfigure"]       # no regionX/align before 5.7


@pytest.mark.parametrize("shell", SHELLS)
def test_script_region_align_write(shell, tmp_path):
    def hex_align(nd):
        (nd / "region0" / "align").write_text("0x1000000\n")
    r, log = _run(shell, tmp_path, "e820-100M.yaml", hex_align)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "sys" / "bus" / "nd" / "devices" / "region0" / "align").read_text().strip() == "4194304"


@pytest.mark.parametrize("shell", SHELLS)
def test_script_placeholder(shell, tmp_path):
    r, log = _run(shell, tmp_path, "placeholder.yaml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "-m raw -n pmemplan-placeholder-region0-1" in log
    assert "destroy-namespace -f namespace0.2" in log


@pytest.mark.parametrize("shell", SHELLS)
def test_script_stops_before_changes_on_wrong_region(shell, tmp_path):
    def shrink(nd):
        (nd / "region1" / "size").write_text("1\n")
    r, log = _run(shell, tmp_path, "qemu-mixed.yaml", shrink)
    assert r.returncode == 1 and "region1: the region at 0x140000000 (region1) has size 1" in r.stderr
    assert log == ""


@pytest.mark.parametrize("shell", SHELLS)
def test_script_stops_on_difference(shell, tmp_path):
    plan, text = _script("qemu-mixed.yaml")
    (tmp_path / "plan.sh").write_text(text)
    sysfs = tmp_path / "sys"
    _fake_sysfs(sysfs, plan)
    usable = tmp_path / "usable"
    usable.mkdir()
    for pn in plan.namespaces:
        (usable / pn.name).write_text(f"{pn.usable['6.1']}\n")
    (usable / "logs").write_text("1\n")          # ndctl lists another size than predicted
    log = tmp_path / "log"
    env = {"PATH": f"{FAKE}:{os.environ['PATH']}", "PMEMPLAN_SYSFS": str(sysfs),
           "FAKE_USABLE": str(usable), "FAKE_LOG": str(log)}
    cmd = ([shell, "sh"] if shell == "busybox" else [shell]) + [str(tmp_path / "plan.sh")]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert r.stderr.strip() == "pmemplan: logs (namespace0.2): size is 1, planned 99483648"
    assert "-n pool" not in log.read_text()        # stopped there
    # run again: the region now holds namespaces the plan does not expect
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "region0 (region0) holds 2 namespaces, the plan expects 0" in r.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_script_dry_run(shell, tmp_path):
    r, log = _run(shell, tmp_path, "qemu-mixed.yaml", args=("--dry-run",))
    assert r.returncode == 0 and log == ""
    assert r.stdout.count("+ 'ndctl' 'create-namespace'") == 4


def test_commands_of_concrete_platform(tmp_path):
    r = cli("commands", str(ROOT / "configs" / "qemu-nvdimm.yaml"), "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    kinds = [s["kind"] for s in d["steps"]]
    assert kinds == ["create"] * 5 + ["reconfigure", "kmem"]
    assert d["steps"][5]["argv"][:4] == ["ndctl", "create-namespace", "-f", "-e"]


def test_commands_exists_and_was():
    p = intent("regions:\n  - name: r\n    start: 0x100000000\n    size: 1G\n    namespaces:\n"
               "      - {name: a, mode: fsdax, size: 256M, offset: 0, exists: true}\n"
               "      - {name: b, mode: devdax, size: 256M, offset: 256M, was: {mode: fsdax, enabled: true}, force: true}\n"
               "      - {name: c, mode: raw, size: 256M}\n")
    res = run_engine(p, KernelVersion.parse("6.1"), verify=False)
    _, steps = build_steps(p, res)
    kinds = [(s.kind, s.namespace) for s in steps]
    assert kinds == [("check", "a"), ("reconfigure", "b"), ("create", "c")]
    assert "-f" in steps[1].argv            # enabled before: ndctl needs --force
