"""Every step of the real-kernel observations (../shared/kernel-cases) as a test.

Each case is a platform.yaml plus expect.json; nothing is copied into this file.
For every namespace and field expect.json lists: status, start, usable size, info
block fields, error origin and message fragment (case-insensitive), kmem online
bytes and error fragment.  A field given as null must be null; an absent one is
not checked.
"""
import json

import pytest

from conftest import shared_dir
from pmemplan.engine import compute_layout
from pmemplan.loader import load_platform

from pathlib import Path

OWN = Path(__file__).resolve().parent / "data" / "oracle-cases"   # our own oracle runs (6.1)
CASES = (sorted(p.name for p in (shared_dir() / "kernel-cases").iterdir())
         if (shared_dir() / "kernel-cases").is_dir() else [])
OWN_CASES = sorted(p.name for p in OWN.iterdir() if not p.name.startswith("_"))


def test_cases_present():
    assert len(CASES) >= 90, "expected the ../shared/kernel-cases folder"
    assert len(OWN_CASES) >= 90


@pytest.mark.parametrize("case", CASES)
def test_kernel_case(case, shared):
    check_case(shared / "kernel-cases" / case)


@pytest.mark.parametrize("case", OWN_CASES)
def test_own_oracle_case(case):
    """Cases from our own runs of ../shared/oracle (scenarios in data/oracle-cases/_raw)."""
    check_case(OWN / case)


def check_case(folder):
    case = folder.name
    expect = json.loads((folder / "expect.json").read_text())
    result = compute_layout(load_platform(folder / "platform.yaml"))
    for want in expect["namespaces"]:
        got = result.namespace(want["name"])
        where = f"{case}:{want['name']}"
        assert got.status == want["status"], (where, got.error)
        if "start" in want:
            assert got.start == want["start"], where
        if "usable_size" in want:
            assert got.usable_size == want["usable_size"], where
        if "info_block" in want:
            if want["info_block"] is None:
                assert got.info_block is None, where
            else:
                for key, value in want["info_block"].items():
                    assert got.info_block is not None and got.info_block[key] == value, (where, key)
        if "error_by" in want:
            if want["error_by"] is None:
                assert got.error is None, (where, got.error)
            else:
                assert got.error is not None and got.error.by == want["error_by"], (where, got.error)
        if want.get("error_match"):
            assert want["error_match"].lower() in got.error.message.lower(), (where, got.error.message)
        if "kmem_online_bytes" in want:
            if want["kmem_online_bytes"] is None:
                assert got.kmem is None, where
            else:
                assert got.kmem is not None and got.kmem.online_bytes == want["kmem_online_bytes"], where
        if want.get("kmem_error_match"):
            assert got.kmem is not None and got.kmem.error, where
            assert want["kmem_error_match"].lower() in got.kmem.error.lower(), (where, got.kmem.error)
