"""Hostile input is refused quickly: the loader on each kind of hostile text, and
``pmemplan lint`` on a directory of hostile files next to a good one.

These were timing assertions in the test suite (which now checks only *what* is
reported); timing belongs here, where the machine's load can be seen and repeated.

    python benchmarks/bench_hostile.py [--repeat 3] [--wall]

Targets: each hostile text refused by ``load_platform`` in <= 2 s; the ``lint``
process on the hostile files (under a 768 MiB address-space limit) in <= 10 s.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import _common

LOAD_TARGET = 2.0
LINT_TARGET = 10.0

BASE = """\
format: 1
name: test
kernel: "6.1"
memory:
  - {type: system-ram, start: 0x0, size: 1G}
regions:
  - name: region0
    provider: nfit
    start: 0x100000000
    size: 4G
    namespaces:
      - {name: namespace0.0, size: 1G, mode: fsdax}
"""

LAUGHS = "".join([f"a0: &a0 [{', '.join(['lol'] * 9)}]\n"]
                 + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)])

HOSTILE = {
    "billion laughs": LAUGHS,
    "laughs via merge": "b0: &b0 {x: 1, y: 2, z: 3}\n" + "".join(
        "b%d: &b%d {%s}\n" % (i, i, ", ".join("k%d: {<<: *b%d}" % (j, i - 1) for j in range(10))) for i in range(1, 9)),
    "deep nesting": "[" * 100_000,
    "huge kernel number": BASE.replace('kernel: "6.1"', "kernel: " + "5" * 5000),
    "huge quoted kernel": BASE.replace('kernel: "6.1"', 'kernel: "' + "5" * 100_000 + '"'),
    "many unknown keys": 'format: 1\nkernel: "6.1"\n' + "".join(f"k{i}: {i}\n" for i in range(20_000)),
    "many errors": BASE + "".join(f"      - {{name: n{i}, size: 1G, mode: bogus}}\n" for i in range(5000)),
    "long line of junk": "format: 1\nname: " + "x" * 2_000_000 + "\n",
    "only binary": bytes(range(256)) * 100,
    "not utf-8": b"\xc3\x28" * 10_000,
}

_LINT = ("import resource,sys\n"
         "resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))\n"
         "from pmemplan.cli import main\nmain(sys.argv[1:])\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time (loader part)")
    a = ap.parse_args()
    kind = _common.use_wall_clock(a.wall)
    from pmemplan.errors import InputError
    from pmemplan.loader import load_platform

    worst = 0.0
    print(f"load_platform on hostile text ({kind} time, best of {a.repeat}):")
    for name, text in HOSTILE.items():
        best = float("inf")
        for _ in range(a.repeat):
            t = _common.now()
            try:
                load_platform(text, name="hostile.yaml")
                raise SystemExit(f"{name}: accepted?")
            except InputError:
                pass
            best = min(best, _common.now() - t)
        worst = max(worst, best)
        print(f"  {best:7.3f} s  {name}  {_common.verdict(best, LOAD_TARGET)}")
    print(f"slowest: {worst:.3f} s (target <= {LOAD_TARGET} s) {_common.verdict(worst, LOAD_TARGET)}")

    env = dict(os.environ, PYTHONPATH=_common.ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryDirectory() as d:
        files = {"bomb.yaml": LAUGHS, "deep.yaml": "[" * 100_000, "bin.yaml": b"format: 1\x00\xff\xfe",
                 "good.yaml": BASE}
        for fn, body in files.items():
            with open(os.path.join(d, fn), "wb") as f:
                f.write(body if isinstance(body, bytes) else body.encode())
        cmd = [sys.executable, "-c", _LINT, "lint", "--format", "parsable",
               *(os.path.join(d, fn) for fn in files)]
        wall = cpu = float("inf")
        for _ in range(a.repeat):
            before = _common.resource.getrusage(_common.resource.RUSAGE_CHILDREN)
            t = _common.time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
            w = _common.time.perf_counter() - t
            after = _common.resource.getrusage(_common.resource.RUSAGE_CHILDREN)
            assert p.returncode == 2, p.stderr
            wall = min(wall, w)
            cpu = min(cpu, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    print(f"pmemplan lint on 3 hostile files + 1 good: {wall:.3f} s wall, {cpu:.3f} s cpu "
          f"(target <= {LINT_TARGET} s) {_common.verdict(cpu, LINT_TARGET)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
