"""Helpers shared by the benchmark scripts (not part of the pytest suite)."""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def verdict(ratio: float, target: float) -> str:
    return "OK" if ratio <= target else "MISSED"
