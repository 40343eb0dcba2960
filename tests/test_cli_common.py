"""What every command shares: the -o policy, the --kernel check, the lazy group
(``--`` and shell completion for import/explain), and the GC left alone by the engine."""
import gc
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
CONFIG = ROOT / "configs" / "qemu-nvdimm.yaml"
IOMEM = ("00001000-0009ffff : System RAM\n00100000-7fffffff : System RAM\n"
         "100000000-13fffffff : Persistent Memory (legacy)\n  100000000-13fffffff : namespace0.0\n")


def invoke(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def inputs(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "iomem.txt").write_text(IOMEM)
    return d


def command_args(name, inputs):
    """Arguments of each command that writes with -o, and what its output starts with."""
    return {
        "layout": (["layout", CONFIG, "--format", "json"], "{"),
        "lint": (["lint", CONFIG, "--format", "json"], "{"),
        "schema": (["schema"], "{"),
        "explain": (["explain", CONFIG, "0x100000000", "--format", "json"], "{"),
        "import": (["import", "--iomem", inputs / "iomem.txt", "--kernel", "6.1", "-q"], "# pmemplan platform"),
    }[name]


COMMANDS = ["layout", "lint", "schema", "explain", "import"]


# ----------------------------------------------------------------------------- -o policy

@pytest.mark.parametrize("name", COMMANDS)
def test_output_written_atomically_only_where_asked(name, tmp_path, inputs):
    args, head = command_args(name, inputs)
    out = tmp_path / "out" / "r.txt"
    out.parent.mkdir()
    stdout = invoke(*args)
    assert stdout.exit_code in (0, 1), stdout.output
    r = invoke(*args, "-o", out)
    assert r.exit_code == stdout.exit_code and r.stdout == ""
    assert out.read_text().startswith(head)
    assert out.read_text() == stdout.stdout          # the same bytes as on stdout
    assert os.listdir(out.parent) == ["r.txt"]       # no temporary left behind
    assert stat.S_IMODE(out.stat().st_mode) & 0o644 == 0o644


@pytest.mark.parametrize("name", COMMANDS)
def test_output_never_replaces_a_file_without_force(name, tmp_path, inputs):
    args, head = command_args(name, inputs)
    out = tmp_path / "r.txt"
    out.write_text("mine\n")
    r = invoke(*args, "-o", out)
    assert r.exit_code == 2 and out.read_text() == "mine\n"
    assert r.stderr == f"pmemplan {name}: -o {out}: exists; use --force to overwrite it\n"
    r = invoke(*args, "-o", out, "--force")
    assert r.exit_code in (0, 1) and out.read_text().startswith(head)
    assert sorted(os.listdir(tmp_path)) == ["in", "r.txt"]


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("where", ["directory", "missing folder", "read-only folder"])
def test_output_target_checked_before_any_work(name, where, tmp_path, inputs, monkeypatch):
    args, _ = command_args(name, inputs)
    if where == "directory":
        out, msg = tmp_path, "is a directory"
    elif where == "missing folder":
        out, msg = tmp_path / "nope" / "r.txt", "no such directory"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        out, msg = ro / "r.txt", "permission denied"
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m, **kw: False if str(p) == str(ro) else real(p, m, **kw))
    # "before any work": the engine, the lint runner, the schema and the importer are never reached
    import pmemplan.engine.layout as layout_mod
    import pmemplan.explain as explain_mod
    import pmemplan.importer as importer_mod
    import pmemplan.lint_run as lint_run_mod
    import pmemplan.schema as schema_mod

    def boom(*a, **kw):
        raise AssertionError("work done before the -o check")
    monkeypatch.setattr(layout_mod, "compute_layout", boom)
    monkeypatch.setattr("pmemplan.engine.compute_layout", boom)
    monkeypatch.setattr(lint_run_mod, "lint_paths", boom)
    monkeypatch.setattr(schema_mod, "platform_json_schema", boom)
    monkeypatch.setattr(explain_mod, "explain", boom)
    monkeypatch.setattr(importer_mod, "build_platform", boom)
    r = invoke(*args, "-o", out, "--force")
    assert r.exit_code == 2, r.output
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pmemplan {name}: -o {out}: ") and msg in lines[0]


def test_output_to_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    p = subprocess.run([sys.executable, "-m", "pmemplan", "schema", "-o", str(fifo)], env=ENV,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(reader.communicate(timeout=60)[0])["title"].startswith("pmemplan platform")


def test_svg_follows_the_same_policy(tmp_path):
    svg = tmp_path / "r.svg"
    svg.write_text("mine")
    r = invoke("layout", CONFIG, "--svg", svg)
    assert r.exit_code == 2 and "--svg" in r.stderr and svg.read_text() == "mine"
    assert invoke("layout", CONFIG, "--svg", svg, "--force", "-o", tmp_path / "r.txt").exit_code == 0
    assert svg.read_text().startswith("<svg") and sorted(os.listdir(tmp_path)) == ["r.svg", "r.txt"]


# ----------------------------------------------------------------------------- --kernel

@pytest.mark.parametrize("args", [
    ["layout", CONFIG, "--kernel", "banana"],
    ["layout", CONFIG, "--legacy", "banana"],
    ["lint", CONFIG, "--kernel", "banana"],
    ["explain", CONFIG, "0x0", "--kernel", "banana"],
    ["import", "--iomem", "x", "--kernel", "banana"],
])
def test_bad_kernel_one_line_in_every_command(args):
    r = invoke(*args)
    assert r.exit_code == 2
    opt = args[args.index("banana") - 1]
    assert r.stderr == (f"pmemplan {args[0]}: {opt}: 'banana' is not a kernel version "
                        "(e.g. \"6.1\", \"5.10.0\", \"6.1.0-56-amd64\", \"5.3-rc4\")\n")


def test_empty_legacy_means_none():
    d = json.loads(invoke("layout", CONFIG, "--format", "json", "--legacy", "").stdout)
    assert d["summary"]["legacy_kernel"] is None


# ----------------------------------------------------------------------------- lazy group

def test_import_and_explain_are_loaded_lazily():
    code = ("import sys\nfrom pmemplan.cli import main\n"
            "try:\n    main(['layout', sys.argv[1], '--format', 'json'])\n"
            "except SystemExit:\n    pass\n"
            "sys.stderr.write(' '.join(m for m in ('pmemplan.commands.import_cmd', 'pmemplan.commands.explain_cmd',"
            " 'pmemplan.importer', 'pmemplan.explain') if m in sys.modules) or 'NONE')\n")
    p = subprocess.run([sys.executable, "-c", code, str(CONFIG)], capture_output=True, text=True, env=ENV)
    assert p.stderr.endswith("NONE"), p.stderr


def test_group_lists_every_command():
    out = invoke("--help").stdout
    for name in ("layout", "lint", "schema", "import", "explain"):
        assert f"  {name} " in out


def test_double_dash_ends_options_of_explain_and_import(tmp_path, inputs):
    r = invoke("explain", CONFIG, "--format", "json", "--", "0x100000000")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["addresses"][0]["address"] == 0x100000000
    # after --, '--help' is an address, not the option
    r = invoke("explain", CONFIG, "--", "--help")
    assert r.exit_code == 2 and "--help" in r.stderr and "Usage" not in r.output
    r = invoke("import", "--kernel", "6.1", "-q", "--iomem", inputs / "iomem.txt", "--")
    assert r.exit_code == 0 and r.stdout.startswith("# pmemplan platform")
    r = invoke("import", "--iomem", inputs / "iomem.txt", "--", "extra")
    assert r.exit_code == 2 and "extra" in r.output


def test_subcommand_help_through_the_group():
    for name, opt in (("import", "--iomem"), ("explain", "--legacy")):
        r = invoke(name, "--help")
        assert r.exit_code == 0 and opt in r.stdout and r.stdout.startswith(f"Usage: cli {name}")


def _complete(words: str):
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = dict(ENV, _PMEMPLAN_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=str(cword))
    p = subprocess.run([sys.executable, "-m", "pmemplan"], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    return [line.split(",", 1)[1] for line in p.stdout.splitlines()]


@pytest.mark.parametrize("name,expected", [
    ("import", {"--iomem", "--ndctl", "--daxctl", "--live", "--root", "--kernel", "--output", "--force"}),
    ("explain", {"--format", "--kernel", "--legacy", "--output", "--force"}),
    ("lint", {"--platforms-only", "--verbose", "--strict", "--rule"}),
])
def test_shell_completion_lists_options(name, expected):
    assert expected <= set(_complete(f"pmemplan {name} --"))


def test_shell_completion_of_commands_and_choices():
    assert set(_complete("pmemplan ")) >= {"layout", "lint", "schema", "import", "explain"}
    assert _complete("pmemplan explain x --format ") == ["text", "json"]
    p = subprocess.run([sys.executable, "-m", "pmemplan"], capture_output=True, text=True, timeout=60,
                       env=dict(ENV, _PMEMPLAN_COMPLETE="bash_source"))
    assert "_PMEMPLAN_COMPLETE=bash_complete" in p.stdout


# ----------------------------------------------------------------------------- the GC

def test_engine_leaves_the_gc_alone(monkeypatch):
    from pmemplan.engine import compute_layout
    from pmemplan.loader import load_platform
    platform = load_platform(CONFIG)

    def touched(*a):
        raise AssertionError("the engine changed the GC state")
    monkeypatch.setattr(gc, "disable", touched)
    monkeypatch.setattr(gc, "enable", touched)
    assert compute_layout(platform).namespaces


def test_gc_paused_restores_state():
    from pmemplan._gc import gc_paused
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError):
        with gc_paused():
            raise KeyError
    assert gc.isenabled()


def test_cli_pauses_the_gc_for_its_run(monkeypatch):
    """main() is the process: the GC is paused while the command runs, then switched
    back on, with what exists frozen so that the exit-time collection skips it."""
    from pmemplan import cli as cli_mod
    seen = []
    monkeypatch.setattr(cli_mod.cli, "main", lambda **kw: seen.append(gc.isenabled()))
    try:
        cli_mod.main(["schema"])
        assert seen == [False] and gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_empty_kernel_only_where_it_means_none():
    r = invoke("explain", CONFIG, "0x100000000", "--legacy", "")
    assert r.exit_code == 2 and r.stderr.startswith("pmemplan explain: --legacy: '' is not a kernel version")
    r = invoke("import", "--iomem", "x", "--kernel", "")
    assert r.exit_code == 2 and r.stderr.startswith("pmemplan import: --kernel: ''")


def test_gc_paused_moves_the_pause_objects_to_the_oldest_generation():
    from pmemplan._gc import gc_paused
    gc.collect()
    with gc_paused():
        made = [[i] for i in range(5000)]          # GC-tracked lists
        assert gc.get_count()[0] >= 5000
    assert gc.isenabled() and gc.get_count()[0] < 5000 and gc.get_freeze_count() == 0
    assert gc.is_tracked(made[0])
    # still collectable: a cycle made in the pause is freed by a full collection
    with gc_paused():
        a = []
        a.append(a)
        import weakref

        class Box(list):
            pass
        b = Box()
        b.append(b)
        ref = weakref.ref(b)
        del a, b
    gc.collect()
    assert ref() is None
