"""Every message line the engine predicts is a line the real kernel (dmesg) or ndctl
(stderr) printed, verbatim, in the observed step of each real-kernel case.

Rule (pmemplan.result): ``NamespaceError.message`` is the text after dmesg's
"driver dev: " prefix; ``messages`` holds whole lines as dmesg / ndctl print them.
Device instance numbers (pfn0.1 vs pfn0.0: the kernel's idle-device numbering) and the
unit of ndctl's "did you intend --size=" hint (the unit of the size the case file
writes) are the only things normalised.
"""
import json
import re

import pytest

from conftest import DATA, REALWORLD
from pmemplan.engine import compute_layout
from pmemplan.loader import load_platform
from pmemplan.sizes import parse_size

SETS = (("kernel-cases", "kernel-observations"), ("kernel-cases-5.2", "kernel-observations-5.2"))
CASES = [(cases, obs, p.name) for cases, obs in SETS if (DATA / cases).is_dir()
         for p in sorted((DATA / cases).iterdir()) if (p / "expect.json").is_file()]
STDERR = ("Error: ", "did you intend", "failed to ")
_TS = re.compile(r"^\[ *[0-9.]+\] ")
_DEV = re.compile(r"\b(pfn|dax|btt)(\d+)\.\d+\b")
_HINT = re.compile(r"--size=(\w+)\?")


def _norm(line: str) -> str:
    line = _DEV.sub(r"\1\2.N", _TS.sub("", line).strip())
    return _HINT.sub(lambda m: f"--size={parse_size(m.group(1))}?", line)


def _observed(obs: str, source: str, suffix: str):
    scen, boot, step = source.split("/")
    f = DATA / obs / scen / boot / "cmds" / f"{step}.{suffix}"
    return {_norm(x) for x in f.read_text(errors="replace").splitlines()} if f.is_file() else None


def test_cases_found():
    assert len(CASES) >= 120


@pytest.mark.parametrize("cases,obs,case", CASES, ids=[c[2] + ("@5.2" if c[0].endswith("5.2") else "")
                                                         for c in CASES])
def test_predicted_lines_were_printed(cases, obs, case):
    folder = DATA / cases / case
    expect = json.loads((folder / "expect.json").read_text())
    dmesg = _observed(obs, expect["source"], "dmesg")
    stderr = _observed(obs, expect["source"], "err")
    result = compute_layout(load_platform(folder / "platform.yaml"), legacy=None)
    checked = 0
    for want in expect["namespaces"]:
        n = result.namespace(want["name"])
        for line in n.messages:
            seen = stderr if line.startswith(STDERR) else dmesg
            if seen is None:
                continue
            assert _norm(line) in seen, (want["name"], line, sorted(seen))
            checked += 1
        if n.error is not None and n.error.by == "kernel" and dmesg is not None:
            # the error text is what follows the prefix of one of the lines
            assert any(x == n.error.message or x.endswith(": " + n.error.message) for x in
                       (_norm(m) for m in n.messages)) or not n.messages, (n.error.message, n.messages)


def test_no_line_repeats_the_device():
    """"nd_pmem pfn0.1: pfn0.1: …" was a bug: no predicted line names its device twice."""
    for cases, obs, case in CASES:
        r = compute_layout(load_platform(DATA / cases / case / "platform.yaml"), legacy=None)
        for n in r.namespaces:
            for line in n.messages:
                m = re.match(r"^\S+ (\S+): (\S+): ", line)
                assert not (m and m.group(1) == m.group(2)), line


def test_conflicting_mapping_reads_as_dmesg_prints_it():
    """≤5.2 pgmap conflict: dev_WARN() prints "nd_pmem pfn6.1: Conflicting mapping in same
    section" (realworld pmem/ndctl#91, #76); the error message is the text after the prefix."""
    from pathlib import Path
    real = set()
    for f in REALWORLD.glob("*.txt"):
        real |= {_norm(x) for x in f.read_text(errors="replace").splitlines() if "Conflicting" in x}
    assert "nd_pmem pfn6.N: Conflicting mapping in same section" in real
    cfg = Path(__file__).resolve().parents[1] / "configs" / "ndctl-sub-section-test.yaml"
    r = compute_layout(load_platform(cfg), "5.2", legacy=None)
    failed = [n for n in r.namespaces if n.status == "failed"]
    assert failed
    for n in failed:
        assert n.error.message == "Conflicting mapping in same section"
        assert re.fullmatch(r"nd_pmem pfn\d+\.\d+: Conflicting mapping in same section", n.messages[0])
        assert _norm(n.messages[0]).replace("pfn0.", "pfn6.") in real
