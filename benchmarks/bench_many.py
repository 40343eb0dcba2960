"""10,000 namespaces: the whole JSON pipeline vs parsing the same YAML with PyYAML alone.

Generates one big labelled region with 10,000 namespaces of mixed sizes (16M..1G, all
multiples of 16M, fsdax/devdax/sector/raw) into a temporary file, then times

  (a) ``yaml.load(text, Loader=yaml.CLoader)``                       (the floor)
  (b) ``load_platform(path)`` + ``compute_layout()`` + ``render_json()``  (what
      ``pmemplan layout FILE --format json`` does after start-up)

and reports (b)/(a); target <= 2.

    python benchmarks/bench_many.py [--count 10000] [--repeat 5] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import tempfile
import time

import yaml

import _common  # noqa: F401  (puts the checkout on sys.path)

TARGET = 2.0
MiB = 1 << 20


def generate(count: int, seed: int = 1, failures: bool = True) -> str:
    """One labelled region packed with ``count`` namespaces.

    With ``failures`` (the default) the mix includes 16 MiB sector namespaces, which
    the kernel refuses (BTT v1.1 needs 16 MiB + 4 KiB: kernel-model §10.7), so the
    engine also works out verified fixes; without, sector namespaces are >= 32 MiB
    and every namespace is enabled.
    """
    rnd = random.Random(seed)
    modes = [("fsdax", "dev"), ("fsdax", "mem"), ("devdax", "dev"), ("sector", None), ("raw", None)]
    lines = []
    total = 0
    for i in range(count):
        mode, map_ = rnd.choice(modes)
        lo = 2 if (mode == "sector" and not failures) else 1
        size = rnd.randint(lo, 64) * 16 * MiB         # 16M .. 1G, multiples of 16M
        total += size
        ns = f"      - {{name: namespace0.{i}, size: {size >> 20}M, mode: {mode}"
        if map_:
            ns += f", map: {map_}, align: 2M"
        lines.append(ns + "}")
    head = [
        "format: 1",
        "name: many-namespaces",
        "arch: x86_64",
        'kernel: "6.1"',
        "memory:",
        "  - {type: system-ram, start: 0x100000, size: 0x7ff00000}",
        "  - {type: system-ram, start: 0x100000000, size: 0x1000000000}",
        "regions:",
        "  - name: region0",
        "    provider: nfit",
        "    start: 0x2000000000",
        f"    size: {total:#x}",
        "    labels: true",
        "    namespaces:",
    ]
    return "\n".join(head + lines) + "\n"


def best_of(fn, repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="cProfile the pipeline")
    ap.add_argument("--no-failures", action="store_true",
                    help="no 16 MiB sector namespaces: every namespace enables, no fixes to verify")
    a = ap.parse_args()
    text = generate(a.count, failures=not a.no_failures)
    try:
        from pmemplan.loader import load_platform
    except ImportError:
        print("pmemplan/loader.py does not exist yet: only (a) measured")
        load_platform = None
    from pmemplan.engine import compute_layout
    from pmemplan.render.json_out import render_json

    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="pmemplan-many-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)

        def parse_only():
            with open(path, encoding="utf-8") as f:
                return yaml.load(f.read(), Loader=yaml.CLoader)

        def pipeline():
            plat = load_platform(path)
            return render_json(compute_layout(plat))

        doc = parse_only()
        assert len(doc["regions"][0]["namespaces"]) == a.count
        print(f"platform file: {len(text) / 1e6:.2f} MB, {a.count} namespaces in one labelled region")
        ta = best_of(parse_only, a.repeat)
        print(f"(a) yaml.load(CLoader)                          : {ta * 1e3:8.1f} ms (best of {a.repeat})")
        if load_platform is None:
            return 0
        out = pipeline()
        res = compute_layout(load_platform(path))
        print(f"    result: {res.summary.enabled} enabled, {res.summary.failed} failed, "
              f"{res.summary.refused} refused; JSON {len(out) / 1e6:.1f} MB")
        tb = best_of(pipeline, a.repeat)
        # split of (b), for the report
        tl = best_of(lambda: load_platform(path), a.repeat)
        plat = load_platform(path)
        tc = best_of(lambda: compute_layout(plat), a.repeat)
        tj = best_of(lambda: render_json(res), a.repeat)
        ratio = tb / ta
        print(f"(b) load_platform + compute_layout + render_json: {tb * 1e3:8.1f} ms (best of {a.repeat})")
        print(f"      load_platform {tl * 1e3:.1f} ms, compute_layout {tc * 1e3:.1f} ms, render_json {tj * 1e3:.1f} ms")
        print(f"ratio (b)/(a): {ratio:.2f}  (target <= {TARGET}) {_common.verdict(ratio, TARGET)}")
        if a.profile or ratio > TARGET:
            pr = cProfile.Profile()
            pr.enable()
            pipeline()
            pr.disable()
            s = io.StringIO()
            st = pstats.Stats(pr, stream=s)
            st.sort_stats("tottime").print_stats(25)
            st.sort_stats("cumulative").print_stats(25)
            print(s.getvalue())
    finally:
        os.unlink(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
