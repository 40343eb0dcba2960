"""The command line: exit codes, formats, options, and that bad input never traces back."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))

GOOD = """\
format: 1
name: cli-test
arch: x86_64
kernel: "6.1"
memory:
  - {type: system-ram, start: 0x100000, size: 0x7ff00000}
regions:
  - name: region0
    provider: nfit
    start: 0x100000000
    size: 1G
    labels: true
    namespaces:
      - {name: namespace0.0, size: 512M, mode: fsdax}
      - {name: namespace0.1, size: 100M, mode: devdax}
"""


@pytest.fixture
def good(tmp_path):
    p = tmp_path / "good.yaml"
    p.write_text(GOOD)
    return p


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_layout_json_contract(good):
    r = run("layout", str(good), "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["format"] == 1 and d["kernel"] == "6.1" and d["era"] == "5.7+"
    ns = {n["name"]: n for n in d["namespaces"]}
    a = ns["namespace0.0"]
    # 512M fsdax map=dev at 4G, align 2M: dataoff = ALIGN(8K + 64*(512M-8K)/4K, 2M) = 10M
    assert a["start"] == 0x100000000 and a["status"] == "enabled"
    assert a["info_block"]["dataoff"] == 10 << 20
    assert a["usable_size"] == (512 - 10) << 20
    assert a["usable_size"] + sum(a["lost"].values()) == a["size"]
    b = ns["namespace0.1"]
    assert b["status"] == "refused" and b["error"]["by"] == "ndctl"
    assert "is misaligned" in b["error"]["message"]
    assert b["usable_size"] is None and b["suggestions"]
    assert set(d["summary"]) >= {"usable_size", "lost", "padding_saved", "legacy_kernel"}
    assert d["regions"][0]["available_size"] == (1024 - 512) << 20


def test_kernel_repeated_gives_array(good):
    r = run("layout", str(good), "--format", "json", "--kernel", "5.2", "--kernel", "6.1")
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert [x["kernel"] for x in d] == ["5.2", "6.1"]
    assert [x["era"] for x in d] == ["5.1-5.2", "5.7+"]


def test_kernel_once_overrides_file(good):
    d = json.loads(run("layout", str(good), "--format", "json", "--kernel", "4.19").output)
    assert d["kernel"] == "4.19" and d["era"] == "<=4.20"


def test_check_exit_status(good, tmp_path):
    assert run("layout", str(good), "--format", "json", "--check").exit_code == 1
    ok = tmp_path / "ok.yaml"
    ok.write_text(GOOD.replace("      - {name: namespace0.1, size: 100M, mode: devdax}\n", ""))
    assert run("layout", str(ok), "--format", "json", "--check").exit_code == 0


def test_human_sizes(good):
    d = json.loads(run("layout", str(good), "--format", "json", "-u").output)
    a = d["namespaces"][0]
    assert a["start"] == "0x100000000"
    assert a["size"] == "512.00 MiB (536.87 MB)"


def test_stdin_and_output_file(good, tmp_path):
    out = tmp_path / "r.json"
    r = run("layout", "-", "--format", "json", "-o", str(out), input=good.read_text())
    assert r.exit_code == 0 and r.output == ""
    assert json.loads(out.read_text())["platform"] == "cli-test"


def test_text_report_plain(good):
    r = run("layout", str(good), "--color", "never")
    assert r.exit_code == 0
    assert "namespace0.0" in r.output and "\x1b[" not in r.output
    assert "align setting is 0x1000000 size 0x6400000 is misaligned" in " ".join(r.output.split())  # may wrap


@pytest.mark.parametrize("text,where,msg", [
    ("format: 1\nkernel: 5.10\n", ":2:", "quote"),
    ("format: 1\nkernel: \"6.1\"\nregions:\n  - name: r\n    start: 0\n    size: 1G\n    bogus: 1\n", ":7:", "bogus"),
    ("format: 1\nkernel: \"6.1\"\nkernel: \"6.2\"\n", ":3:", "duplicate"),
])
def test_bad_input_one_line_exit_2(tmp_path, text, where, msg):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    r = CliRunner().invoke(cli, ["layout", str(p), "--format", "json"])
    assert r.exit_code == 2
    err = r.stderr if hasattr(r, "stderr") else r.output
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert str(p) + where in lines[0] and msg in lines[0].lower()
    assert "Traceback" not in err


def test_missing_file_and_directory(tmp_path):
    for target in (tmp_path / "nope.yaml", tmp_path):
        r = CliRunner().invoke(cli, ["layout", str(target), "--format", "json"])
        assert r.exit_code == 2
        assert "Traceback" not in r.output


def test_bad_kernel_option(good):
    r = CliRunner().invoke(cli, ["layout", str(good), "--kernel", "banana"])
    assert r.exit_code == 2


def test_schema_command():
    r = run("schema")
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert "$schema" in d and "regions" in json.dumps(d)


def test_nothing_written_unless_asked(good, tmp_path):
    before = set(os.listdir(tmp_path))
    subprocess.run([sys.executable, "-m", "pmemplan", "layout", str(good), "--format", "json"],
                   cwd=tmp_path, check=True, capture_output=True, env=ENV)
    assert set(os.listdir(tmp_path)) == before


def test_json_path_does_not_import_rich(good):
    code = ("import sys\nfrom pmemplan.cli import main\n"
            "try:\n    main(['layout', sys.argv[1], '--format', 'json'])\n"
            "except SystemExit:\n    pass\n"
            "sys.stderr.write('RICH' if 'rich' in sys.modules else 'NORICH')\n")
    p = subprocess.run([sys.executable, "-c", code, str(good)], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.stderr.endswith("NORICH"), p.stderr


def test_python_dash_m(good):
    p = subprocess.run([sys.executable, "-m", "pmemplan", "layout", str(good), "--format", "json"],
                       capture_output=True, text=True, env=ENV)
    assert p.returncode == 0 and json.loads(p.stdout)["platform"] == "cli-test"
