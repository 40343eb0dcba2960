"""Whole-process time of ``pmemplan layout SMALL.yaml --format json`` vs importing its deps.

Compares (best of N runs, each a fresh interpreter)

  (a) ``python -c "import pydantic, yaml, click"``                   (the floor)
  (b) ``python -m pmemplan layout <small config> --format json``
  (c) ``python -c "import pydantic_core, yaml, click"``              (what (b) imports)

and reports (b)/(a); target <= 1.5.  pmemplan validates with pydantic-core directly
(pmemplan/_model.py), so (b) never imports the ``pydantic`` package; (b)/(c) is the
stricter figure: pmemplan's own cost over the libraries it really loads.  Also checks that ``rich`` (used only by the text
renderer) is never imported on the JSON path, both with ``python -X importtime`` and
by looking at ``sys.modules`` at exit.

    python benchmarks/bench_startup.py [--runs 15] [--config FILE] [--importtime]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import _common

TARGET = 1.5


def small_config() -> str:
    d = os.path.join(_common.ROOT, "configs")
    names = sorted(f for f in os.listdir(d) if f.endswith((".yaml", ".yml"))) if os.path.isdir(d) else []
    if not names:
        raise SystemExit("configs/ has no platform file: give --config FILE")
    if "qemu-nvdimm.yaml" in names:
        return os.path.join(d, "qemu-nvdimm.yaml")
    # otherwise the smallest file is the "small" platform
    return min((os.path.join(d, f) for f in names), key=os.path.getsize)


def best_of(cmd, runs: int, env) -> tuple:
    """(best wall seconds, best child CPU seconds) over ``runs`` fresh processes."""
    wall = cpu = float("inf")
    for _ in range(runs):
        w, c = _common.run_child(cmd, cwd=_common.ROOT, env=env)
        wall, cpu = min(wall, w), min(cpu, c)
    return wall, cpu


_PROBE = r"""
import atexit, sys
def _report():
    mods = sorted(m for m in sys.modules if m == "rich" or m.startswith("rich."))
    sys.stderr.write("RICH_MODULES=%d %s\n" % (len(mods), " ".join(mods[:5])))
atexit.register(_report)
from pmemplan.cli import main
main(sys.argv[1:])
"""


# Steps of (b) timed inside one fresh interpreter (process CPU time, ms), in import order.
_STEPS = r"""
import sys, time
c = time.process_time
out = []
t = c(); import pydantic_core, yaml, click; out.append(("import pydantic_core, yaml, click  (what (b) loads of the stack)", c() - t))
t = c(); import pmemplan.platform; out.append(("import pmemplan.platform  (records on pydantic-core)", c() - t))
t = c(); import pmemplan.loader, pmemplan.cli; out.append(("import pmemplan.loader, pmemplan.cli", c() - t))
t = c(); import pmemplan.engine, pmemplan.render.json_out; out.append(("import pmemplan.engine, pmemplan.render.json_out", c() - t))
from pmemplan.loader import load_platform
from pmemplan.engine import compute_layout
from pmemplan.render.json_out import render_json
t = c(); p = load_platform(sys.argv[1]); out.append(("load_platform(CONFIG)", c() - t))
t = c(); r = compute_layout(p); out.append(("compute_layout", c() - t))
t = c(); render_json(r); out.append(("render_json", c() - t))
for k, v in out:
    print("%s\t%.3f" % (k, v * 1e3))
"""


def steps(py: str, cfg: str, env, runs: int = 7) -> list:
    best: dict = {}
    order: list = []
    for _ in range(runs):
        p = subprocess.run([py, "-c", _STEPS, cfg], cwd=_common.ROOT, env=env, capture_output=True,
                           text=True, check=True)
        for line in p.stdout.splitlines():
            k, v = line.rsplit("\t", 1)
            if k not in best:
                order.append(k)
            best[k] = min(best.get(k, float("inf")), float(v))
    return [(k, best[k]) for k in order]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--config", default=None)
    ap.add_argument("--importtime", action="store_true", help="print the 15 slowest imports of (b)")
    a = ap.parse_args()
    cfg = a.config or small_config()
    env = dict(os.environ, PYTHONPATH=_common.ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # measure what an installed package does: byte-compiled once, then loaded from .pyc
    # (with PYTHONDONTWRITEBYTECODE set and sources newer than their .pyc, every run
    # would compile pmemplan from source)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    py = sys.executable
    deps = [py, "-c", "import pydantic, yaml, click"]
    core = [py, "-c", "import pydantic_core, yaml, click"]
    tool = [py, "-m", "pmemplan", "layout", cfg, "--format", "json"]
    # warm the page cache and the .pyc files
    subprocess.run(tool, cwd=_common.ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(deps, cwd=_common.ROOT, env=env, check=True)
    # alternate the two in rounds so machine load hits both alike
    ta = tb = tc = ca = cb = cc = float("inf")
    rounds = max(1, a.runs // 5)
    for _ in range(rounds):
        w, c = best_of(deps, 5, env)
        ta, ca = min(ta, w), min(ca, c)
        w, c = best_of(tool, 5, env)
        tb, cb = min(tb, w), min(cb, c)
        w, c = best_of(core, 5, env)
        tc, cc = min(tc, w), min(cc, c)
    ratio, cratio = tb / ta, cb / ca
    n = rounds * 5
    print(f"config: {os.path.relpath(cfg, _common.ROOT) if cfg.startswith(_common.ROOT) else cfg}")
    print(f"(a) python -c 'import pydantic, yaml, click'        : {ta * 1e3:7.1f} ms wall, {ca * 1e3:7.1f} ms cpu (best of {n})")
    print(f"(b) python -m pmemplan layout CONFIG --format json : {tb * 1e3:7.1f} ms wall, {cb * 1e3:7.1f} ms cpu (best of {n})")
    print(f"(c) python -c 'import pydantic_core, yaml, click'   : {tc * 1e3:7.1f} ms wall, {cc * 1e3:7.1f} ms cpu (best of {n})")
    print(f"(b)/(c): {tb / tc:.2f} wall, {cb / cc:.2f} cpu  (pmemplan's cost over what it imports)")
    print(f"ratio (b)/(a): {ratio:.2f} wall, {cratio:.2f} cpu  (target <= {TARGET}) "
          f"{_common.verdict(ratio, TARGET)} / {_common.verdict(cratio, TARGET)}")

    # is rich imported on the JSON path?
    p = subprocess.run([py, "-X", "importtime", "-m", "pmemplan", "layout", cfg, "--format", "json"],
                       cwd=_common.ROOT, env=env, capture_output=True, text=True, check=True)
    rich_lines = [ln for ln in p.stderr.splitlines() if ln.rstrip().split("|")[-1].strip().split(".")[0] == "rich"]
    probe = subprocess.run([py, "-c", _PROBE, "layout", cfg, "--format", "json"], cwd=_common.ROOT, env=env,
                           capture_output=True, text=True)
    line = next((ln for ln in probe.stderr.splitlines() if ln.startswith("RICH_MODULES=")), "RICH_MODULES=?")
    print(f"rich on the JSON path: -X importtime lists {len(rich_lines)} rich modules; sys.modules at exit: "
          f"{line.split('=', 1)[1].strip()}")
    if a.importtime or ratio > TARGET or cratio > TARGET:
        print("where (b) spends its time after the interpreter is up (CPU ms, best of 7 fresh processes):")
        for k, v in steps(py, cfg, env):
            print(f"  {v:7.1f} ms  {k}")
        rows = []
        for ln in p.stderr.splitlines():
            if not ln.startswith("import time:") or "self [us]" in ln:
                continue
            parts = [x.strip() for x in ln[len("import time:"):].split("|")]
            rows.append((int(parts[1]), int(parts[0]), parts[2]))
        total = sum(r[1] for r in rows)
        print(f"imports of (b): {len(rows)} modules, {total / 1e3:.1f} ms self time in total; slowest cumulative:")
        for cum, self_us, name in sorted(rows, reverse=True)[:15]:
            print(f"  {cum / 1e3:7.1f} ms cumulative {self_us / 1e3:6.1f} ms self  {name}")
        pm = sum(r[1] for r in rows if r[2].strip().startswith("pmemplan"))
        print(f"  pmemplan's own modules: {pm / 1e3:.1f} ms self time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
