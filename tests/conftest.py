import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """../shared beside the checkout (CI lays a copy there); PMEMPLAN_SHARED overrides."""
    env = os.environ.get("PMEMPLAN_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    d = shared_dir()
    if not (d / "kernel-cases").is_dir():
        pytest.fail(f"{d}/kernel-cases not found: the suite needs ../shared (or PMEMPLAN_SHARED)")
    return d
