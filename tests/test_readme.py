"""README.md is tested: its YAML and JSON blocks parse, its platforms load, and every result
or output it shows is recomputed.

Markers (HTML comments, invisible when rendered) on the line before a fenced block:

* ``<!-- platform: NAME -->`` names a platform block, for ``result-of``;
* ``<!-- result-of: NAME|configs/x.yaml [layout options] -->``: the JSON block shows
  ``pmemplan layout --format json`` of that platform; every key it shows must be in the real
  result with the same value (lists element by element, same length);
* ``<!-- excerpt-of: CMD [; CMD …] -->``: the block's lines appear, in order, in the stdout of
  the last ``pmemplan CMD`` (``{obs}`` = tests/data/kernel-observations, ``{tmp}`` = a
  temporary directory);
* ``<!-- partial -->``: a deliberately partial block, not parsed (kept to a minimum).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional

import pytest
import yaml
from click.testing import CliRunner

from conftest import OBSERVATIONS, ROOT
from pmemplan.cli import cli
from pmemplan.loader import load_platform_text

README = ROOT / "README.md"
_MARK = re.compile(r"^<!--\s*([a-z-]+)(?::\s*(.*?))?\s*-->$")


class Block(NamedTuple):
    lang: str
    text: str
    line: int                 # 1-based line of the opening fence
    marker: Optional[str]     # marker kind, e.g. "result-of"
    arg: Optional[str]        # marker argument
    section: str              # the heading the block is under


def blocks(text: str) -> List[Block]:
    out: List[Block] = []
    lines = text.splitlines()
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#") and not line.startswith("#!"):
            section = line.lstrip("#").strip()
        if line.startswith("```"):
            lang = line[3:].strip()
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            prev = lines[i - 1].strip() if i else ""
            m = _MARK.match(prev)
            out.append(Block(lang, "\n".join(lines[i + 1:j]) + "\n", i + 1,
                             m.group(1) if m else None, m.group(2) if m else None, section))
            i = j + 1
            continue
        i += 1
    return out


BLOCKS = blocks(README.read_text())
NAMED = {b.arg: b for b in BLOCKS if b.marker == "platform"}


def _id(b: Block) -> str:
    return f"{b.lang or 'text'}@{b.line}"


def test_markers_are_known_and_partial_blocks_are_few():
    kinds = {b.marker for b in BLOCKS if b.marker}
    assert kinds <= {"platform", "result-of", "excerpt-of", "partial"}, kinds
    assert sum(b.marker == "partial" for b in BLOCKS) <= 1
    # the mechanism is in use: the result and the excerpts shown are checked
    assert {"platform", "result-of", "excerpt-of"} <= kinds


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "yaml"], ids=_id)
def test_yaml_block_parses(block):
    if block.marker == "partial":
        return
    data = yaml.safe_load(block.text)
    assert isinstance(data, dict), block.line
    if "format" in data:            # a whole platform: the loader accepts it
        load_platform_text(block.text, f"README.md:{block.line}")


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "json"], ids=_id)
def test_json_block_parses(block):
    if block.marker == "partial":
        return
    json.loads(block.text)


def _subset(shown: Any, real: Any, where: str) -> None:
    if isinstance(shown, dict):
        assert isinstance(real, dict), where
        for k, v in shown.items():
            assert k in real, f"{where}.{k}: not in the real result"
            _subset(v, real[k], f"{where}.{k}")
    elif isinstance(shown, list):
        assert isinstance(real, list) and len(real) == len(shown), (where, real)
        for i, (a, b) in enumerate(zip(shown, real)):
            _subset(a, b, f"{where}[{i}]")
    else:
        assert shown == real, (where, shown, real)


def _layout_json(args: List[str]) -> Dict[str, Any]:
    r = CliRunner().invoke(cli, ["layout", "--format", "json", *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


RESULTS = [b for b in BLOCKS if b.marker == "result-of"]


@pytest.mark.parametrize("block", RESULTS, ids=_id)
def test_shown_result_is_the_real_one(block, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert block.lang == "json"
    src, *opts = shlex.split(block.arg or "")
    if src in NAMED:
        f = tmp_path / "platform.yaml"
        f.write_text(NAMED[src].text)
        src = str(f)
    else:
        assert (ROOT / src).is_file(), src
    _subset(json.loads(block.text), _layout_json([*opts, src]), "result")


EXCERPTS = [b for b in BLOCKS if b.marker == "excerpt-of"]


@pytest.mark.parametrize("block", EXCERPTS, ids=_id)
def test_shown_output_is_the_real_one(block, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = ""
    for cmd in (block.arg or "").split(";"):
        args = [a.replace("{obs}", str(OBSERVATIONS)).replace("{tmp}", str(tmp_path))
                for a in shlex.split(cmd)]
        r = CliRunner().invoke(cli, args, catch_exceptions=False)
        # `diff` exits 1 when it finds a namespace that breaks (the README shows one)
        assert r.exit_code in ((0, 1) if args[:1] == ["diff"] else (0,)), (cmd, r.output)
        out = r.stdout
    real = out.splitlines()
    pos = 0
    for line in block.text.splitlines():
        try:
            pos = real.index(line, pos) + 1
        except ValueError:
            pytest.fail(f"README.md:{block.line}: not in the output (in this order): {line!r}")


# ----------------------------------------------------------------------------- commands


def _use_commands() -> List[str]:
    """The `pmemplan …` lines of the Set-up and Use sections."""
    out = []
    for b in BLOCKS:
        if b.lang != "sh" or b.section not in ("Set-up", "Use"):
            continue
        for line in b.text.splitlines():
            if "pmemplan " not in line:
                continue
            if "&&" in line:                              # pip install … && python3 -m pmemplan …
                line = line.split("&&", 1)[1]
            if "-m pytest" in line:
                continue
            out.append(line.strip())
    return out


USE = _use_commands()
EXAMPLE = "configs/qemu-nvdimm.yaml"


def test_use_commands_found():
    assert len(USE) >= 7, USE


@pytest.mark.parametrize("line", USE)
def test_use_command_runs(line, tmp_path):
    """Each command runs on a bundled config (platform.yaml = configs/qemu-nvdimm.yaml) with
    the exit status the README documents: 0, and with --check 1 exactly when a namespace is
    failed or refused."""
    cmd = re.sub(r"^(python3 -m )?pmemplan ", f"{shlex.quote(sys.executable)} -m pmemplan ", line)
    cmd = cmd.replace("platform.yaml", str(ROOT / EXAMPLE))
    cmd = cmd.replace(" configs/", f" {ROOT}/configs/")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(cmd, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=120)
    want = 0
    if "--check" in line:
        res = _layout_json([str(ROOT / EXAMPLE)])
        want = 1 if any(n["status"] != "enabled" for n in res["namespaces"]) else 0
    assert r.returncode == want, (line, r.stderr)
    assert "Traceback" not in r.stderr
    if "> " in line:                                   # the redirected output was written
        target = line.split("> ", 1)[1].split()[0]
        assert (tmp_path / target).stat().st_size > 0
    elif "--format json" in line:
        doc = json.loads(r.stdout)
        kernels = line.count("--kernel ")
        if kernels > 1:                                # "one result per kernel"
            assert [d["kernel"] for d in doc] == re.findall(r"--kernel (\S+)", line)
        else:
            assert doc["format"] == 1
    else:
        assert r.stdout.strip(), line


def test_python_api_block_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = [b for b in BLOCKS if b.lang == "python"]
    assert code
    for b in code:
        exec(compile(b.text, f"README.md:{b.line}", "exec"), {})
    assert "enabled" in capsys.readouterr().out
