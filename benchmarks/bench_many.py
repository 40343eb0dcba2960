"""10,000 namespaces: the whole JSON pipeline vs parsing the same YAML with PyYAML alone.

Generates one big labelled region with 10,000 namespaces of mixed sizes (16M..1G, all
multiples of 16M; fsdax/devdax/sector/raw) into a temporary file, then times

  (a) ``yaml.load(text, Loader=yaml.CLoader)``                             (the floor)
  (b) ``load_platform(path)`` + ``compute_layout(platform)`` + ``render_json()``,
      i.e. what ``pmemplan layout FILE --format json`` does after start-up (with the
      default ``--legacy 5.2`` comparison run)
  (b') the same with ``compute_layout(platform, legacy=None)`` (``--legacy ''``)

(b) runs with the cyclic GC paused, as the CLI does (``pmemplan._gc.gc_paused``); the figure
with it on (a library caller's default) is printed too.

and reports (b)/(a) and (b')/(a); target <= 2.  A breakdown of (b) and, when a target
is missed, a cProfile of the pipeline (at ``--profile-count`` namespaces) follow.

    python benchmarks/bench_many.py [--count 10000] [--repeat 5] [--no-failures] [--wall] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import inspect
import io
import os
import pstats
import random
import tempfile

import yaml

import _common  # noqa: F401  (puts the checkout on sys.path)

TARGET = 2.0
LOAD_TARGET = 2.0   # load_platform alone vs yaml.load(CLoader) (was a timing assert in tests/test_loader.py)
MiB = 1 << 20
SLOW = 10.0   # seconds: a step slower than this is timed once, not best-of-N


def generate(count: int, seed: int = 1, failures: bool = True) -> str:
    """One labelled region packed with ``count`` namespaces.

    With ``failures`` (the default) the mix includes 16 MiB sector namespaces, which
    the kernel refuses (BTT v1.1 needs 16 MiB + 4 KiB: docs/kernel-model.md §9); without,
    sector namespaces are >= 32 MiB and every namespace enables on 6.1.  (Under the
    5.2 comparison run adjacent namespaces that share a 128 MiB section collide either
    way: docs/kernel-model.md §5.1, ≤5.2 section-expanded pgmap lookup.)
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


def timed(fn, repeat: int) -> tuple:
    """(best seconds, runs): best of ``repeat``, or one run when a run takes > SLOW s."""
    best, runs = float("inf"), 0
    for _ in range(repeat):
        t0 = _common.now()
        fn()
        best = min(best, _common.now() - t0)
        runs += 1
        if best > SLOW:
            break
    return best, runs


def profile(fn, label: str) -> None:
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    s = io.StringIO()
    st = pstats.Stats(pr, stream=s)
    total = st.total_tt
    print(f"--- cProfile: {label} ({total:.2f} s under the profiler)")
    st.sort_stats("cumulative").print_stats(18)
    st.sort_stats("tottime").print_stats(12)
    print(s.getvalue())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-failures", action="store_true",
                    help="no 16 MiB sector namespaces: every namespace enables on 6.1")
    ap.add_argument("--profile", action="store_true", help="always print the cProfile")
    ap.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    ap.add_argument("--profile-count", type=int, default=10_000,
                    help="namespaces in the profiled run (default: all of --count)")
    a = ap.parse_args()
    kind = _common.use_wall_clock(a.wall)
    text = generate(a.count, failures=not a.no_failures)
    try:
        from pmemplan.loader import load_platform
    except ImportError:
        load_platform = None
    from pmemplan.engine import compute_layout, run_engine
    from pmemplan.kversion import KernelVersion
    from pmemplan.render.json_out import render_json

    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="pmemplan-many-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)

        def read():
            with open(path, encoding="utf-8") as f:
                return f.read()

        def parse_only():
            return yaml.load(read(), Loader=yaml.CLoader)

        doc = parse_only()
        assert len(doc["regions"][0]["namespaces"]) == a.count
        print(f"platform file: {len(text) / 1e6:.2f} MB, {a.count} namespaces in one labelled region"
              f"{'' if a.no_failures else ' (16 MiB sector namespaces included)'}; {kind} time")
        ta, na = timed(parse_only, a.repeat)
        print(f"(a)  yaml.load(CLoader)                                     : {ta:8.3f} s (best of {na})")
        if load_platform is None:
            print("pmemplan/loader.py does not exist yet: (b) skipped")
            return 0

        def pipeline(legacy="5.2", gc_off=True):
            # as `pmemplan layout` runs it: pmemplan.cli.main() pauses the cyclic GC
            from contextlib import nullcontext

            from pmemplan._gc import gc_paused
            with gc_paused() if gc_off else nullcontext():
                return render_json(compute_layout(load_platform(path), legacy=legacy))

        tb, nb = timed(pipeline, a.repeat)
        tb2, nb2 = timed(lambda: pipeline(None), a.repeat)
        tb3, nb3 = timed(lambda: pipeline(gc_off=False), a.repeat)
        r1, r2 = tb / ta, tb2 / ta
        print(f"(b)  load_platform + compute_layout + render_json           : {tb:8.3f} s (best of {nb})")
        print(f"(b') the same, compute_layout(legacy=None)                  : {tb2:8.3f} s (best of {nb2})")
        print(f"     (b) with the cyclic GC on, as a library caller may run : {tb3:8.3f} s (best of {nb3}), "
              f"{tb3 / ta:.2f}x (a)")
        print(f"ratio (b)/(a):  {r1:7.2f}  (target <= {TARGET}) {_common.verdict(r1, TARGET)}")
        print(f"ratio (b')/(a): {r2:7.2f}  (target <= {TARGET}) {_common.verdict(r2, TARGET)}")

        # breakdown
        plat = load_platform(path)
        res = compute_layout(plat)
        leg = res.legacy
        print(f"result on {res.kernel}: {res.summary.enabled} enabled, {res.summary.failed} failed, "
              f"{res.summary.refused} refused"
              + (f"; on {leg.kernel}: {leg.summary.enabled} enabled, {leg.summary.failed} failed" if leg else ""))
        from pmemplan._gc import gc_paused
        tl, _ = timed(lambda: load_platform(path), a.repeat)
        with gc_paused():   # as the CLI runs the engine (the engine itself leaves the GC alone)
            tc, _ = timed(lambda: compute_layout(plat), a.repeat)
            tc0, _ = timed(lambda: compute_layout(plat, legacy=None), a.repeat)
        try:
            from pmemplan.render.json_out import to_jsonable
        except ImportError:
            to_jsonable = None
        tj, _ = timed(lambda: render_json(res), a.repeat)
        print("breakdown of (b):")
        print(f"  load_platform                          {tl:8.3f} s, {tl / ta:.2f}x (a) "
              f"(target <= {LOAD_TARGET}) {_common.verdict(tl / ta, LOAD_TARGET)}")
        print(f"  compute_layout (kernel + legacy 5.2)   {tc:8.3f} s")
        print(f"  compute_layout(legacy=None)            {tc0:8.3f} s")
        verify = "verify" in inspect.signature(run_engine).parameters
        kv = KernelVersion.parse(plat.kernel)
        if verify:
            with gc_paused():
                tv, _ = timed(lambda: run_engine(plat, kv, verify=False), a.repeat)
            print(f"    of which run_engine({plat.kernel}, verify=False) {tv:8.3f} s")
        line = f"  render_json                            {tj:8.3f} s ({len(render_json(res)) / 1e6:.1f} MB)"
        if to_jsonable is not None:
            td, _ = timed(lambda: to_jsonable(res), a.repeat)
            line += f"; to_dict() alone {td:.3f} s"
        print(line)
        if a.profile or r1 > TARGET or r2 > TARGET:
            n = min(a.count, a.profile_count)
            small = text if n == a.count else generate(n, failures=not a.no_failures)
            from pmemplan.loader import load_platform_text
            profile(lambda: render_json(compute_layout(load_platform_text(small, "profile.yaml"))),
                    f"pipeline (b) at {n} namespaces")
    finally:
        os.unlink(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
