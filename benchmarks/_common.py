"""Helpers shared by the benchmark scripts (not part of the pytest suite).

The machine these run on may be shared (other test runs, VMs), so by default the
in-process timings use the process's CPU time (``time.process_time``), which other
processes do not inflate; ``--wall`` switches to wall-clock time.  Subprocess timings
report both: wall time and the child's user+sys CPU time (``RUSAGE_CHILDREN``).
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

clock = time.process_time


def use_wall_clock(wall: bool) -> str:
    """Select the timer; returns its name for the report."""
    global clock
    clock = time.perf_counter if wall else time.process_time
    return "wall" if wall else "cpu"


def now() -> float:
    return clock()


def verdict(ratio: float, target: float) -> str:
    return "OK" if ratio <= target else "MISSED"


def run_child(cmd, **kw) -> tuple:
    """Run ``cmd`` to completion; (wall seconds, child user+sys CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu
