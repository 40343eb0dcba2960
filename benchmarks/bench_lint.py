"""Lint 1,000 small platform files in one process vs parsing them all with PyYAML's C loader.

Both are whole processes (start-up counted in both); best of N runs.
Target (issue 4): lint ≤ 3× the parse-only process.

    python benchmarks/bench_lint.py [--files 1000] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from _common import ROOT, verdict

TEMPLATE = """\
format: 1
name: bench-{i}
kernel: "6.1"
memory:
  - {{type: system-ram, start: 0x100000, size: 0x7ff00000}}
regions:
  - name: region0
    provider: nfit
    start: {start:#x}
    size: 1G
    labels: true
    namespaces:
      - {{name: namespace0.0, size: 256M, mode: fsdax}}
      - {{name: namespace0.1, size: {second}, mode: devdax, align: 2M}}
      - {{name: namespace0.2, size: 64M, mode: sector}}
"""


def best(cmd, runs, env):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, env=env)
        times.append(time.perf_counter() - t)
        assert p.returncode in (0, 1), p.stderr.decode()[-500:]
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=ROOT)
    with tempfile.TemporaryDirectory() as d:
        for i in range(a.files):
            second = "100M" if i % 10 == 0 else "128M"       # a tenth of them draw a finding
            with open(os.path.join(d, f"p{i:04d}.yaml"), "w") as f:
                f.write(TEMPLATE.format(i=i, start=0x100000000 + (i % 7) * (1 << 30), second=second))
        parse = [sys.executable, "-c",
                 "import glob,sys,yaml\n"
                 "for f in sorted(glob.glob(sys.argv[1] + '/*.yaml')):\n"
                 "    yaml.load(open(f, encoding='utf-8').read(), Loader=yaml.CLoader)\n", d]
        lint = [sys.executable, "-m", "pmemplan", "lint", d, "--format", "parsable"]
        tp = best(parse, a.runs, env)
        tl = best(lint, a.runs, env)
    ratio = tl / tp
    print(f"files: {a.files}")
    print(f"parse only (CLoader, one process): {tp:.3f} s")
    print(f"pmemplan lint (one process):       {tl:.3f} s")
    print(f"ratio: {ratio:.2f}x (target <= 3x) {verdict(ratio, 3.0)}")


if __name__ == "__main__":
    main()
