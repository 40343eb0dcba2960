"""pmemplan.lint_run: the library entry point of `pmemplan lint` (walking, which files are
platforms, invalid inputs as findings, unknown rule ids, the summary), and the command's
conventions on top of it (JUnit counts, skipped files, each error printed once)."""
import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmemplan.cli import cli
from pmemplan.lint_run import LintRun, is_platform_text, lint_paths

from test_lint import BASE   # the same small labelled platform
TOO_SMALL = BASE + "      - {name: a, size: 8M}\n"            # error: too-small
LOSSY = BASE + "      - {name: a, size: 16M}\n"               # warning: capacity-loss only
CLEAN = BASE + "      - {name: a, size: 1G, mode: raw}\n"


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    return p


def lint(*args, input=None):
    return CliRunner(env={}).invoke(cli, ["lint", *map(str, args)], input=input, catch_exceptions=False)


# ----------------------------------------------------------------------------- which files

@pytest.mark.parametrize("text,platform", [
    (BASE, True),
    ("format: 1\nmemory: []\n", True),
    ("\ufeffformat: 1\nregions: []\n", True),
    ("'format': 1\n\"regions\": []\n", True),
    ("{format: 1, regions: []}  # pmemplan: platform\n", True),
    ("# pmemplan: disable=too-small\nanything: 1\n", True),
    ("format: 1\nkernel: '6.1'\n", False),              # no regions/memory: not (yet) a platform
    ("jobs: {build: {runs-on: x}}\n", False),
    ("format: docker\nservices: {}\n", False),
    ("spec:\n  format: 1\n  regions: []\n", False),     # not top-level keys
    ("x: 1  # not pmemplanned\n", False),
])
def test_is_platform_text(text, platform):
    assert is_platform_text(text.encode()) is platform


def test_walk_lints_platforms_skips_the_rest(tmp_path):
    write(tmp_path, "a/p.yaml", TOO_SMALL)
    write(tmp_path, "a/ci.yml", "jobs: {build: {runs-on: x}}\n")
    write(tmp_path, "b/q.yml", CLEAN)
    write(tmp_path, "b/notes.txt", "format: 1\nregions: []\n")       # not *.yaml
    write(tmp_path, ".hidden/h.yaml", TOO_SMALL)                    # hidden folder
    run = lint_paths([str(tmp_path)])
    assert run.files == [str(tmp_path / "a/p.yaml"), str(tmp_path / "b/q.yml")]
    assert run.skipped == [str(tmp_path / "a/ci.yml")]
    assert run.summary() == {"files": 2, "skipped": 1, "invalid": 0, "error": 1, "warning": 0, "info": 0}
    assert run.exit_status() == 1


def test_named_file_strict_unless_platforms_only(tmp_path):
    other = write(tmp_path, "configs/ci.yaml", "jobs: {build: {runs-on: x}}\n")
    p = write(tmp_path, "configs/p.yaml", CLEAN)
    run = lint_paths([str(other), str(p)])
    assert run.invalid == [str(other)] and run.exit_status() == 2
    run = lint_paths([str(other), str(p)], platforms_only=True)
    assert run.skipped == [str(other)] and run.files == [str(p)] and run.exit_status() == 0


def test_invalid_inputs_are_findings_with_fingerprints(tmp_path):
    bad = write(tmp_path, "bad.yaml", 'format: 1\nkernel: 5.10\nregions: []\n')
    run = lint_paths([str(bad), str(tmp_path / "missing.yaml")])
    f, g = run.findings
    assert (f.rule, f.level, f.line, f.column) == ("invalid-input", "error", 2, 9)
    assert "quote it" in f.message and len(f.fingerprint) == 32
    assert g.path == str(tmp_path / "missing.yaml") and g.message == "No such file or directory"
    assert f.fingerprint != g.fingerprint
    # the fingerprint does not move with the line
    moved = write(tmp_path, "bad.yaml", '# a comment\nformat: 1\nkernel: 5.10\nregions: []\n')
    assert lint_paths([str(moved)]).findings[0].fingerprint == f.fingerprint
    assert run.exit_status() == 2 and run.summary()["invalid"] == 2


def test_library_checks_its_arguments(tmp_path):
    p = write(tmp_path, "p.yaml", CLEAN)
    with pytest.raises(ValueError, match="did you mean 'too-small'"):
        lint_paths([str(p)], rules={"too-smal": "off"})
    with pytest.raises(ValueError, match="level 'loud'"):
        lint_paths([str(p)], rules={"too-small": "loud"})
    with pytest.raises(ValueError, match="not a kernel version"):
        lint_paths([str(p)], kernels=["banana"])


def test_stdin_and_options(tmp_path):
    run = lint_paths(["-"], stdin=lambda: TOO_SMALL.encode(), kernels=["5.10"], rules={"too-small": "warning"})
    f = next(f for f in run.findings if f.rule == "too-small")
    assert f.path == "<stdin>" and f.level == "warning" and f.kernels == ["5.10"]
    assert run.exit_status() == 0 and run.exit_status(strict=True) == 1
    assert isinstance(run, LintRun)


# ----------------------------------------------------------------------------- unknown rule ids

def test_unknown_rule_in_disable_comment_is_an_input_error(tmp_path):
    p = write(tmp_path, "p.yaml", BASE + "      - {name: a, size: 8M}  # pmemplan: disable=capacity-loss, too-smal\n")
    run = lint_paths([str(p)])
    bad = [f for f in run.findings if f.rule == "invalid-input"]
    assert len(bad) == 1
    line = 14
    col = (BASE + "      - {name: a, size: 8M}  # pmemplan: disable=capacity-loss, too-smal").splitlines()[-1] \
        .index("too-smal") + 1
    assert (bad[0].line, bad[0].column) == (line, col)
    assert bad[0].message == "unknown rule 'too-smal' in '# pmemplan: disable='; did you mean 'too-small'?"
    assert "too-small" in {f.rule for f in run.findings}       # the file is still linted
    assert run.exit_status() == 2
    r = lint(p, "--format", "parsable")
    assert r.exit_code == 2
    assert f"{p}:{line}:{col}: [error] unknown rule 'too-smal'" in r.stdout and r.stderr == ""


def test_unknown_rule_in_file_settings(tmp_path):
    p = write(tmp_path, "p.yaml", CLEAN + "lint:\n  rules:\n    capacity-los: off\n")
    run = lint_paths([str(p)])
    (f,) = run.findings
    assert f.message == "lint.rules: unknown rule 'capacity-los'; did you mean 'capacity-loss'?"
    assert f.line == 17 and run.exit_status() == 2


def test_known_rules_in_disable_comments_are_fine(tmp_path):
    p = write(tmp_path, "p.yaml", BASE + "      # pmemplan: disable=too-small,capacity-loss\n"
                                         "      - {name: a, size: 8M}\n")
    run = lint_paths([str(p)])
    assert run.findings == [] and run.exit_status() == 0


# ----------------------------------------------------------------------------- the command

def _junit_counts(xml: str):
    root = ET.fromstring(xml)
    return {k: int(root.get(k)) for k in ("tests", "failures", "errors", "skipped")}, root


@pytest.mark.parametrize("text,strict,code,failures,errors", [
    (LOSSY, False, 0, 0, 0),          # a warning passes ...
    (LOSSY, True, 1, 1, 0),           # ... unless --strict
    (TOO_SMALL, False, 1, 1, 0),
    (CLEAN, False, 0, 0, 0),
    ("format: 1\nkernel: 5.10\nregions: []\n", False, 2, 0, 1),
])
def test_junit_counts_follow_the_exit_status(tmp_path, text, strict, code, failures, errors):
    p = write(tmp_path, "p.yaml", text)
    r = lint(p, "--format", "junit", *(["--strict"] if strict else []))
    assert r.exit_code == code
    counts, root = _junit_counts(r.stdout)
    assert (counts["failures"], counts["errors"]) == (failures, errors)
    assert (counts["failures"] + counts["errors"] > 0) == (code != 0)
    suites = root.findall("testsuite")
    assert counts["tests"] == sum(int(s.get("tests")) for s in suites) == \
        sum(len(s.findall("testcase")) for s in suites)
    assert len(root.findall(".//failure")) == failures and len(root.findall(".//error")) == errors


def test_junit_lists_skipped_files(tmp_path):
    write(tmp_path, "p.yaml", CLEAN)
    write(tmp_path, "ci.yaml", "jobs: {}\n")
    counts, root = _junit_counts(lint(tmp_path, "--format", "junit").stdout)
    assert counts["skipped"] == 1 and counts["tests"] == 2
    (case,) = [c for c in root.iter("testcase") if c.find("skipped") is not None]
    assert case.get("classname") == str(tmp_path / "ci.yaml")


def test_skipped_count_always_names_with_verbose(tmp_path):
    write(tmp_path, "p.yaml", CLEAN)
    write(tmp_path, "ci.yaml", "jobs: {}\n")
    text = lint(tmp_path, "--color", "never")
    assert text.stdout.splitlines()[-1].startswith("1 file(s) linted, 1 skipped, 0 invalid")
    assert "ci.yaml" not in text.stdout and text.stderr == ""
    verbose = lint(tmp_path, "--color", "never", "-v")
    assert f"skipped {tmp_path / 'ci.yaml'}: not a platform description" in verbose.stdout
    parsable = lint(tmp_path, "--format", "parsable")
    assert parsable.stdout == ""
    assert parsable.stderr == "pmemplan lint: skipped 1 file(s) that are not platform descriptions (-v lists them)\n"
    parsable = lint(tmp_path, "--format", "parsable", "-v")
    assert parsable.stderr.splitlines()[1:] == [f"pmemplan lint: skipped {tmp_path / 'ci.yaml'}"]


@pytest.mark.parametrize("fmt", ["text", "parsable", "github"])
def test_invalid_input_printed_once(tmp_path, fmt):
    p = write(tmp_path, "bad.yaml", "format: 1\nkernel: 5.10\nregions: []\n")
    r = lint(p, "--format", fmt, "--color", "never")
    assert r.exit_code == 2
    assert r.output.count("quote it") == 1 and r.stderr == ""


@pytest.mark.parametrize("fmt", ["sarif", "junit", "json"])
def test_invalid_input_on_stderr_for_machine_formats(tmp_path, fmt):
    p = write(tmp_path, "bad.yaml", "format: 1\nkernel: 5.10\nregions: []\n")
    r = lint(p, "--format", fmt)
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [f"pmemplan lint: {p}:2:9: kernel: 5.10 reads as the number 5.1 in YAML; "
                                     "quote it: kernel: \"5.10\""]


def test_pre_commit_hook_skips_unrelated_yaml(tmp_path):
    """The hook's entry, run as pre-commit runs it: with the matching file names."""
    import yaml
    hook = yaml.safe_load((Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text())[0]
    import re
    args = hook["entry"].split()[2:]         # after "pmemplan lint"
    files = [write(tmp_path, "configs/ci.yaml", "jobs: {build: {runs-on: x}}\n"),
             write(tmp_path, "configs/clean.yaml", CLEAN),
             write(tmp_path, "configs/tool.yml", "format: json\nlevel: 3\n")]
    assert all(re.search(hook["files"], str(f.relative_to(tmp_path))) for f in files)
    r = lint(*args, *files)
    assert r.exit_code == 0 and r.stdout == ""
    files.append(write(tmp_path, "configs/bad.yaml", TOO_SMALL))
    r = lint(*args, *files)
    assert r.exit_code == 1
    assert [line.split(":")[0] for line in r.stdout.splitlines()] == [str(files[-1])]


def test_json_lists_skipped(tmp_path):
    write(tmp_path, "p.yaml", CLEAN)
    write(tmp_path, "x.yaml", "a: 1\n")
    doc = json.loads(lint(tmp_path, "--format", "json").stdout)
    assert doc["skipped"] == [str(tmp_path / "x.yaml")] and doc["summary"]["skipped"] == 1


def test_public_api():
    import pmemplan
    from pmemplan._gc import gc_paused
    assert pmemplan.lint_paths is lint_paths and pmemplan.LintRun is LintRun and pmemplan.gc_paused is gc_paused
    run = pmemplan.lint_paths([str(Path(__file__).resolve().parents[1] / "configs")])
    assert run.summary()["files"] == len(run.files) > 0 and not run.invalid
