"""The human report: content, colour rules, SVG/HTML, and fixes that really work."""
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import KERNEL_CASES, case_names
from pmemplan.cli import cli
from pmemplan.engine import compute_layout
from pmemplan.engine.suggest import apply_fix
from pmemplan.loader import load_platform
from pmemplan.render.text import _sz, color_system, era_words, render_text

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


def run(*args, env=None):
    return CliRunner(env=env or {}).invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda p: p.stem)
def test_every_config_renders_four_ways(cfg, tmp_path):
    plain = run("layout", str(cfg), "--color", "never", env={"COLUMNS": "200"})   # the wide table layout
    assert plain.exit_code == 0 and "\x1b[" not in plain.output
    colour = run("layout", str(cfg), "--color", "always")
    assert colour.exit_code == 0 and "\x1b[" in colour.output
    svg, html = tmp_path / "r.svg", tmp_path / "r.html"
    r = run("layout", str(cfg), "--color", "never", "--svg", str(svg), "--html", str(html))
    assert r.exit_code == 0
    assert svg.read_text().lstrip().startswith("<svg") and "namespace" in svg.read_text()
    assert "<html" in html.read_text().lower()
    p = load_platform(cfg)
    result = compute_layout(p)
    out = plain.output
    assert f"Linux {result.kernel}" in out
    for g in result.regions:           # regions with their hex range
        assert f"{g.start:#x}" in out and f"{g.start + g.size - 1:#x}" in out and g.name in out
    for n in result.namespaces:        # every namespace: address, sizes, status, message, fixes
        row = next(line for line in out.splitlines() if line.startswith(f"│ {n.name} "))
        assert n.status in row
        if n.start is not None:
            assert f"{n.start:#x}" in out
        assert f"{_sz(n.size)} → {_sz(n.usable_size)}" in row
        if n.error:
            assert n.error.message in out
            for f in n.fixes:
                assert f"fix: {f.text}" in out


def test_seed_report_content():
    cfg = ROOT / "configs" / "seed-ram-pmem-same-section.yaml"
    out = run("layout", str(cfg), "--color", "never").output
    assert "5.7+: sub-section hotplug" in out and "compat align 2MiB" in out
    assert "0x200000000" in out and "0x303ffffff" in out        # the legacy range, hex
    assert "(hole)" in out
    assert "section 0x60 @ 0x300000000" in out                  # RAM/pmem shared section
    assert "5.2: end_trunc 64MiB on namespace0.0 — 6.1: nothing" in out
    assert "Padding saved against Linux 5.2: 64MiB" in out


def test_failure_message_and_fix_shown():
    case = KERNEL_CASES / "e820_unaligned_start-b1-003_fsdax_dev_4K" / "platform.yaml"
    out = run("layout", str(case), "--color", "never").output
    assert "namespace0.0 failed by kernel (EINVAL)" in out
    assert "start 0x000000003e900000 misaligned to 0x200000" in out
    assert "fix: shrink region0 to 0x3ea00000-0x44dfffff" in out   # moving it would overlap RAM


def test_color_rules(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert color_system("auto") is None
    assert color_system("always") == "truecolor"      # the flag wins
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert color_system("auto") == "truecolor"
    assert color_system("never") is None              # the flag wins


def test_force_color_env_colours_output():
    cfg = CONFIGS[0]
    out = run("layout", str(cfg), env={"FORCE_COLOR": "1"}).output
    assert "\x1b[" in out
    out = run("layout", str(cfg), env={"NO_COLOR": "1"}).output
    assert "\x1b[" not in out


def test_several_kernels_side_by_side():
    cfg = ROOT / "configs" / "ndctl-sub-section-test.yaml"
    out = run("layout", str(cfg), "--kernel", "5.2", "--kernel", "6.1", "--color", "never").output
    assert "Kernels side by side" in out
    assert "Linux 5.2 (5.1-5.2)" in out and "Linux 6.1 (5.7+)" in out
    assert "Conflicting mapping in same section" in out


def test_era_words():
    cfg = load_platform(ROOT / "configs" / "arm64-before-after-5.12.yaml")
    assert "1GiB sections" in era_words(compute_layout(cfg, "5.10"))
    assert "128MiB sections" in era_words(compute_layout(cfg, "5.15"))


def _not_enabled(result):
    return [n for n in result.namespaces if n.status != "enabled"]


def _fix_sources():
    out = [(p, None) for p in CONFIGS]
    out += [(KERNEL_CASES / c / "platform.yaml", None) for c in case_names(KERNEL_CASES)]
    return out


@pytest.mark.parametrize("path,kernel", _fix_sources(), ids=lambda x: getattr(x, "parent", x) and str(x)[-60:])
def test_fixes_enable_the_namespace(path, kernel):
    """Applying any suggested fix to the platform makes that namespace enable."""
    platform = load_platform(path)
    result = compute_layout(platform, kernel, legacy=None)
    for n in _not_enabled(result):
        for fix in n.fixes:
            again = compute_layout(apply_fix(platform, n.region, n.name, fix), kernel, legacy=None)
            assert again.namespace(n.name).status == "enabled", (n.name, fix)


def test_most_failures_get_a_fix():
    """The suggestions are not empty words: most refusals in the real cases get a working fix."""
    total = fixed = 0
    for path, kernel in _fix_sources():
        result = compute_layout(load_platform(path), kernel, legacy=None)
        for n in _not_enabled(result):
            total += 1
            fixed += bool(n.fixes)
    assert total > 20 and fixed / total > 0.9
