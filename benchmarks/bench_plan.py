"""``pmemplan plan`` cost against one ``layout`` of the plan it makes.

The issue's targets: planning the intent of the largest shipped config for 4 target kernels
costs at most 10x one layout of the resulting plan on the same kernels; an intent of 1 000
namespaces stays within the same ratio (cost grows with namespaces, not bytes).

    python3 benchmarks/bench_plan.py [--wall] [--repeat N]
"""
from __future__ import annotations

import argparse
import os

from _common import ROOT, now, use_wall_clock, verdict

from pmemplan.engine import compute_layout
from pmemplan.loader import load_platform, load_platform_text
from pmemplan.plan import plan_platform

KERNELS = ["5.4", "5.10", "6.1", "6.12"]
TARGET = 10.0


def intent_of(path: str):
    """The config with every namespace's size replaced by the usable size it gives on 6.1."""
    p = load_platform(path)
    res = compute_layout(p, "6.1", None)
    regions = []
    for r in p.regions:
        nss = []
        for ns in r.namespaces:
            nr = res.namespace(ns.name)
            if nr.status == "enabled" and not ns.exists and nr.usable_size and r.labelled:
                nss.append(ns.replace(size=None, usable=nr.usable_size, offset=None))
            else:
                nss.append(ns)
        regions.append(r.replace(namespaces=nss))
    return p.replace(regions=regions)


def many(n: int):
    lines = ['format: 1', 'kernel: "6.1"', "memory:", "  - {type: system-ram, start: 0x100000, size: 0x7ff00000}",
             "regions:"]
    per = 100
    for ri in range(n // per):
        lines += [f"  - name: r{ri}", f"    start: {0x10000000000 + ri * (4 << 40):#x}", "    size: 4T",
                  "    namespaces:"]
        for i in range(per):
            mode = ("fsdax", "devdax", "sector", "raw")[i % 4]
            lines.append(f"      - {{name: n{ri}_{i}, mode: {mode}, usable: {1 + (i * 7) % 30}G}}")
    return load_platform_text("\n".join(lines) + "\n", "many.yaml")


def measure(intent, repeat: int):
    best_plan = best_layout = float("inf")
    plan = None
    for _ in range(repeat):
        t = now()
        plan = plan_platform(intent, KERNELS)
        best_plan = min(best_plan, now() - t)
        assert plan.ok, [p.message for p in plan.problems]
        t = now()
        for k in KERNELS:
            compute_layout(plan.platform, k, None)
        best_layout = min(best_layout, now() - t)
    return best_plan, best_layout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wall", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    clock = use_wall_clock(a.wall)
    configs = sorted(os.path.join(ROOT, "configs", f) for f in os.listdir(os.path.join(ROOT, "configs"))
                     if f.endswith(".yaml"))
    cases = [(f"{os.path.basename(c)} intent", intent_of(c)) for c in configs]
    for label, intent in cases + [("1000-namespace intent", many(1000))]:
        if not plan_platform(intent, KERNELS).ok:     # a config that shows a failure on purpose
            print(f"{label}: not plannable for {', '.join(KERNELS)} (the config shows a failure), skipped")
            continue
        p, l = measure(intent, a.repeat)
        ratio = p / l
        print(f"{label}: plan for {len(KERNELS)} kernels {p * 1000:.1f} ms ({clock}), layout of the plan on the "
              f"same kernels {l * 1000:.1f} ms: {ratio:.1f}x (target <= {TARGET:.0f}x) {verdict(ratio, TARGET)}")


if __name__ == "__main__":
    main()
