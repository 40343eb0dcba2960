"""configs/ linted against committed golden files, one per config and format.

Regenerate after an intended change with PMEMPLAN_UPDATE_GOLDEN=1 and review the diff.
"""
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
FORMATS = {"text": "txt", "parsable": "parsable", "github": "github", "sarif": "sarif.json",
           "junit": "junit.xml", "json": "json"}
CONFIGS = sorted(p.name for p in (ROOT / "configs").glob("*.yaml"))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("config", CONFIGS)
def test_lint_golden(config, fmt, monkeypatch):
    monkeypatch.chdir(ROOT)
    r = CliRunner(env={}).invoke(cli, ["lint", f"configs/{config}", "--format", fmt, "--color", "never"],
                                 catch_exceptions=False)
    assert r.exit_code in (0, 1)
    golden = GOLDEN / f"{Path(config).stem}.{FORMATS[fmt]}"
    if os.environ.get("PMEMPLAN_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(r.output)
    assert r.output == golden.read_text()
    if fmt == "parsable":
        for line in r.output.splitlines():   # each finding cites what it rests on
            assert "(ref: " in line
