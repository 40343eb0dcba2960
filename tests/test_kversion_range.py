"""The supported kernel range (kversion.validate_kernels) through the library, the CLI and files."""
import json

import pytest
from click.testing import CliRunner

from pmemplan.cli import cli
from pmemplan.engine import compute_layout
from pmemplan.errors import InputError, ValueParseError
from pmemplan.kversion import KernelVersion, unconfirmed_note, validate_kernels
from pmemplan.loader import load_platform

GOOD = """\
format: 1
kernel: "{kernel}"
memory:
  - {{type: system-ram, start: 0x100000, size: 0x7ff00000}}
regions:
  - name: region0
    provider: nfit
    start: 0x100000000
    size: 1G
    labels: true
    namespaces:
      - {{name: namespace0.0, size: 512M, mode: fsdax}}
"""


def test_repeats_are_one_kernel_first_spelling_kept():
    assert validate_kernels(["6.1", "6.1.0", "6.1.0-56-amd64", "5.10", "v6.1"]) == (["6.1", "5.10"], None)


@pytest.mark.parametrize("text", ["4.1", "3.19", "2.6.32", "4.1.52-rc3"])
def test_older_than_libnvdimm_refused(text):
    with pytest.raises(ValueParseError, match=r"^--kernel: .*predates libnvdimm \(merged in 4\.2\)"):
        validate_kernels([text])


def test_4_2_is_the_first():
    assert validate_kernels(["4.2-rc1", "4.2"]) == (["4.2-rc1", "4.2"], None)


@pytest.mark.parametrize("legacy", ["5.3-rc1", "5.3", "5.10", "6.1"])
def test_legacy_must_predate_subsections(legacy):
    with pytest.raises(ValueParseError, match=r"^--legacy: .*not a pre-5\.3 kernel"):
        validate_kernels(["6.1"], legacy)


@pytest.mark.parametrize("legacy", ["5.2", "4.19", "5.2.21"])
def test_legacy_before_5_3_accepted(legacy):
    assert validate_kernels([], legacy) == ([], legacy)


def test_newer_than_checked_is_an_assumption():
    assert unconfirmed_note(KernelVersion.parse("6.12.117")) is None
    assert unconfirmed_note(KernelVersion.parse("6.1")) is None
    note = unconfirmed_note(KernelVersion.parse("6.13-rc1"))
    assert note is not None and note.startswith("unconfirmed:") and "6.12" in note


def test_result_assumptions_mark_a_newer_kernel(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(GOOD.format(kernel="6.1"))
    plat = load_platform(p)
    assert not [a for a in compute_layout(plat, "6.12").assumptions if a.startswith("unconfirmed")]
    marked = [a for a in compute_layout(plat, "7.0").assumptions if a.startswith("unconfirmed")]
    assert len(marked) == 1 and "Linux 7.0" in marked[0]


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("args,fragment", [
    (("--kernel", "4.1"), "--kernel: '4.1': Linux 4.1 predates libnvdimm"),
    (("--kernel", "banana"), "--kernel: 'banana' is not a kernel version"),
    (("--legacy", "5.10"), "--legacy: '5.10' is not a pre-5.3 kernel"),
])
def test_cli_refuses_in_one_line(tmp_path, args, fragment):
    p = tmp_path / "p.yaml"
    p.write_text(GOOD.format(kernel="6.1"))
    r = CliRunner().invoke(cli, ["layout", str(p), *args])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in r.output


def test_cli_repeated_kernel_counts_once(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(GOOD.format(kernel="6.1"))
    r = _run("layout", str(p), "--format", "json", "--kernel", "6.1", "--kernel", "6.1.0")
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert isinstance(d, dict) and d["kernel"] == "6.1"     # one kernel: one result, not an array
    r = _run("layout", str(p), "--format", "json", "--kernel", "5.2", "--kernel", "6.1", "--kernel", "5.2.0")
    assert [x["kernel"] for x in json.loads(r.output)] == ["5.2", "6.1"]


def test_file_kernel_older_than_libnvdimm_is_an_input_error(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(GOOD.format(kernel="4.1"))
    with pytest.raises(InputError) as e:
        load_platform(p)
    assert e.value.line == 2 and "predates libnvdimm" in str(e.value)
    r = CliRunner().invoke(cli, ["layout", str(p)])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and f"{p}:2:" in r.output


def test_file_targets_checked_and_deduplicated(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(GOOD.format(kernel="6.1") + 'targets: ["5.10", "5.10.0", "6.1"]\n')
    assert load_platform(p).targets == ["5.10", "6.1"]
    p.write_text(GOOD.format(kernel="6.1") + 'targets: ["5.10", "3.10"]\n')
    with pytest.raises(InputError, match="targets: '3.10': Linux 3.10 predates libnvdimm"):
        load_platform(p)


def test_explain_refuses_addresses_beyond_phys_bits(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(GOOD.format(kernel="6.1") + "phys_bits: 46\n")
    r = CliRunner().invoke(cli, ["explain", str(p), "0x400000000000"])   # 1 << 46
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert "beyond the 46-bit physical address space" in r.output
    r = CliRunner().invoke(cli, ["explain", str(p), "pfn:0x400000000"])  # the same, as a pfn
    assert r.exit_code == 2 and "beyond the 46-bit" in r.output
    r = CliRunner().invoke(cli, ["explain", str(p), "0x3fffffffffff", "--format", "json"])
    assert r.exit_code == 0, r.output


def test_explain_checks_its_kernel_options(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(GOOD.format(kernel="6.1"))
    for args in (("--kernel", "4.0"), ("--legacy", "6.1")):
        r = CliRunner().invoke(cli, ["explain", str(p), "0x100000000", *args])
        assert r.exit_code == 2 and r.output.count("\n") == 1, r.output
