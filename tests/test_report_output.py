"""The text report as text: strings that are not ours print verbatim (no rich markup),
the width follows COLUMNS / the terminal and nothing is cut, and no size hides a loss."""
from __future__ import annotations

import html
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from conftest import KERNEL_CASES
from pmemplan.cli import cli
from pmemplan.engine import compute_layout
from pmemplan.loader import load_platform_text
from pmemplan.render import text as report
from pmemplan.sizes import short_size

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
KERNEL_MSG = "[mem 0x3e900000-0x44dfffff flags 0x200] misaligned, unable to map"


def run(*args, env=None):
    return CliRunner(env=env or {}).invoke(cli, list(args), catch_exceptions=False)


def _flat(text: str) -> str:
    """The words of a report, wrapping undone (for strings that may wrap)."""
    return " ".join(text.split())


# ----------------------------------------------------------------------------- escaping

@pytest.fixture
def bracketed(tmp_path):
    """The real-kernel case whose failure message starts with "[mem …]", with names that
    look like rich markup."""
    src = (KERNEL_CASES / "e820_unaligned_start-b1-014_raw" / "platform.yaml").read_text()
    src = re.sub(r"(?m)^name: .*$", 'name: "lab [prod] box"', src)
    src = src.replace("name: region0", 'name: "region[bold]0"').replace("name: namespace0.0", 'name: "ns[red]0"')
    p = tmp_path / "bracketed.yaml"
    p.write_text(src)
    return p


def test_kernel_message_and_bracketed_names_print_verbatim(bracketed, tmp_path):
    result = compute_layout(load_platform_text(bracketed.read_text(), str(bracketed)))
    ns = result.namespace("ns[red]0")
    assert ns.error is not None and ns.error.message == KERNEL_MSG      # the real kernel's text
    svg, page = tmp_path / "r.svg", tmp_path / "r.html"
    r = run("layout", str(bracketed), "--color", "always", "--svg", str(svg), "--html", str(page),
            env={"COLUMNS": "120"})
    assert r.exit_code == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", r.output)
    flat = _flat(plain)
    for s in ("lab [prod] box", "region[bold]0", "ns[red]0", KERNEL_MSG,
              "fix: shrink region[bold]0 to 0x3ea00000-0x44dfffff"):
        assert s in flat, s
    assert "lab  box" not in plain and " misaligned, unable to map" not in plain.replace(KERNEL_MSG, "")
    for f in (svg, page):      # the pictures hold the same words
        words = _flat(html.unescape(re.sub(r"<[^>]+>", " ", f.read_text())).replace("\xa0", " "))
        squeezed = words.replace(" ", "")
        for s in ("lab [prod] box", "region[bold]0", "ns[red]0", KERNEL_MSG):
            assert s.replace(" ", "") in squeezed, (f.name, s)


def test_lint_and_explain_print_bracketed_names(bracketed):
    r = run("lint", str(bracketed), "--color", "always")
    out = _flat(re.sub(r"\x1b\[[0-9;]*m", "", r.output))
    assert "ns[red]0: " + KERNEL_MSG in out and "region[bold]0" in out
    r = run("explain", str(bracketed), "0x3e900000")
    assert r.exit_code == 0 and "ns[red]0" in r.output and "region[bold]0" in r.output


def test_markup_in_every_user_string_is_kept():
    """Every kind of string that comes from the user lands in the report unchanged."""
    text = """\
format: 1
name: "[b]plat[/b]"
kernel: "6.1"
memory:
  - {type: system-ram, start: 0x0, size: 1G, name: "[red]ram"}
regions:
  - name: "[i]r[/i]"
    provider: nfit
    start: 0x100000000
    size: 1G
    labels: true
    namespaces:
      - {name: "[link=x]n0", size: 512M, mode: fsdax}
      - {name: "[u]n1", size: 100M, mode: devdax}
"""
    res = compute_layout(load_platform_text(text, "m.yaml"))
    out = _flat(report.render_text([res], color="never", width=200))
    for s in ("[b]plat[/b]", "[red]ram", "[i]r[/i]", "[link=x]n0", "[u]n1"):
        assert s in out, s
    n1 = res.namespace("[u]n1")
    assert n1.status == "refused" and _flat(n1.error.message) in out


# ----------------------------------------------------------------------------- width

def test_report_width_rules(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert report.report_width() == report.PIPE_WIDTH == 100       # not a terminal under pytest
    monkeypatch.setenv("COLUMNS", "123")
    assert report.report_width() == 123
    assert report.report_width(90) == 90                            # an explicit width wins
    monkeypatch.setenv("COLUMNS", "12")
    assert report.report_width() == report.MIN_WIDTH
    monkeypatch.setenv("COLUMNS", "wide")
    assert report.report_width() == 100


def test_terminal_width_is_used(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(report.sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(report.os, "get_terminal_size", lambda fd=None: report.os.terminal_size((173, 40)))
    monkeypatch.setattr(report.sys.stdout, "fileno", lambda: 1, raising=False)
    assert report.report_width() == 173
    assert report.report_width(to_file=True) == 100                 # -o FILE: not the terminal's


def test_columns_env_sets_the_cli_report_width():
    cfg = ROOT / "configs" / "qemu-nvdimm.yaml"
    for cols in (80, 133):
        out = run("layout", str(cfg), "--color", "never", env={"COLUMNS": str(cols)}).output
        widths = [cell_len(x) for x in out.splitlines()]
        assert max(widths) == cols


_SIZE = re.compile(r"\b\d+(?:\.\d+)?(?:B|KiB|MiB|GiB|TiB|PiB|EiB)\b")
_HEX = re.compile(r"\b0x[0-9a-f]+\b")


def _report(cfg: Path, kernels, width: int) -> str:
    args = ["layout", str(cfg), "--color", "never"] + [a for k in kernels for a in ("--kernel", k)]
    r = run(*args, env={"COLUMNS": str(width)})
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("kernels", [(), ("5.2",), ("6.1",), ("5.2", "6.1")], ids=lambda k: "+".join(k) or "file")
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda p: p.stem)
def test_no_line_too_long_and_nothing_cut(cfg, kernels):
    wide = _report(cfg, kernels, 200)
    narrow = _report(cfg, kernels, 80)
    for out, width in ((wide, 200), (narrow, 80)):
        assert max(cell_len(x) for x in out.splitlines()) <= width
        assert "…" not in out
    results = [compute_layout(load_platform_text(cfg.read_text(), str(cfg)), k) for k in (kernels or (None,))]
    names = {n.name for r in results for n in r.namespaces} | {g.name for r in results for g in r.regions}
    for name in names:
        assert re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", narrow), name
    assert set(_SIZE.findall(wide)) <= set(_SIZE.findall(narrow)), set(_SIZE.findall(wide)) - set(_SIZE.findall(narrow))
    assert set(_HEX.findall(wide)) <= set(_HEX.findall(narrow))


def test_one_gib_sections_wrap_into_rows():
    """arm64 before 5.12: 1 GiB sections, 512 sub-section cells; rows of 64 at 80 columns."""
    cfg = ROOT / "configs" / "arm64-before-after-5.12.yaml"
    out = _report(cfg, ("5.10",), 80)
    rows = re.findall(r"^ +(\d+) \[([A-Z.X]+)\]$", out, re.M)
    assert rows and len(rows) % 8 == 0
    assert [int(n) for n, _ in rows[:8]] == list(range(0, 512, 64))
    assert all(len(cells) == 64 for _, cells in rows)
    one_row = _report(cfg, ("5.10",), 600)
    assert re.search(r"^  \[[A-Z.X]{512}\]$", one_row, re.M)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda p: p.stem)
def test_picture_lines_fit_so_the_svg_clips_nothing(cfg):
    res = compute_layout(load_platform_text(cfg.read_text(), str(cfg)))
    console = report.make_console(width=140, record=True, file=io.StringIO())
    report.render_to(console, [res])
    lines = console.export_text(clear=False).splitlines()
    assert lines and max(cell_len(x) for x in lines) <= 140


def test_long_texts_wrap_with_a_hanging_indent():
    cfg = ROOT / "configs" / "ndctl-issue76-pmem-pmem-collision.yaml"
    out = _report(cfg, (), 80)
    lines = out.splitlines()
    wrapped = [lines[i + 1] for i, x in enumerate(lines[:-1]) if x.startswith("assumes:")
               and re.match(r"^ {9}\S", lines[i + 1])]
    assert wrapped                       # an assumption longer than 80 columns goes on under its text


# ----------------------------------------------------------------------------- sizes

_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50, "EiB": 1 << 60}


def _value(text: str) -> Decimal:
    """What a short_size string says, read back: "4 MiB - 128 B" is 4 MiB minus 128 B."""
    parts = text.split(" ")
    total = Decimal(parts[0]) * _UNITS[parts[1]]
    if len(parts) > 2:
        sign, number, unit = parts[2:]
        assert sign in "+-" and len(parts) == 5 and "." not in parts[0]
        rest = Decimal(number) * _UNITS[unit]
        assert 0 < rest < _UNITS[parts[1]]
        total += rest if sign == "+" else -rest
    return total


@given(st.integers(0, 2 ** 72))
def test_short_size_is_exact(n):
    """The printed figure is the size itself: so two sizes never print the same."""
    s = short_size(n)
    assert _value(s) == n
    number, unit = s.split(" ")[:2]
    for k, u in _UNITS.items():
        if u > 1 and n >= u and n % u == 0 and n < u * 1024:
            assert s == f"{n // u} {k}"               # exact multiples: no decimals
    for num in s.split(" ")[::2]:
        if "." in num:
            assert len(num.split(".")[1]) <= 3 and not num.endswith("0")


@given(st.integers(0, 2 ** 64), st.integers(0, 2 ** 64))
def test_short_size_is_injective(a, b):
    if short_size(a) == short_size(b):
        assert a == b
    assert (report._sz(a) == report._sz(b)) == (a == b)


@given(st.integers(1, 2 ** 50), st.sampled_from([1 << 20, 1 << 30, 1 << 40]))
def test_a_loss_never_rounds_away(k, unit):
    """k units minus a little never prints as k units (2 GiB - 1 MiB is not "2.00 GiB")."""
    for lost in (1, 4096, 1 << 20, 2 << 20):
        if lost < k * unit:
            assert short_size(k * unit - lost) != short_size(k * unit)


@pytest.mark.parametrize("n,text", [
    ((2 << 30) - (1 << 20), "2 GiB - 1 MiB"), ((128 << 30) - (2 << 20), "128 GiB - 2 MiB"), (128 << 30, "128 GiB"),
    (3 << 29, "1.5 GiB"), (133005312, "126 MiB + 864 KiB"), ((4 << 20) - 128, "4 MiB - 128 B"), (1023, "1023 B"),
    (1025, "1 KiB + 1 B"), (0, "0 B"), ((1 << 30) - (128 << 10), "1023.875 MiB"),
    ((2 << 20) - 8064, "2 MiB - 7.875 KiB"), (628529684 << 10, "599 GiB + 432660 KiB"),
])
def test_short_size_examples(n, text):
    assert short_size(n) == text
