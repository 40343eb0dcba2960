"""Concrete fixes for a refused or failed namespace.

Each :class:`~pmemplan.result.Fix` says what to change in the platform file (the
namespace's size, align, offset, force or mode; the region's align or start) and in
words.  Candidates come from the refusal's rule (the next valid size up and down, an
align or region align that works, how far to move a range); :func:`verify_fixes` then
applies each one to a copy of the platform and keeps those with which the engine
enables the namespace.
"""
from __future__ import annotations

from math import gcd
from typing import Callable, List, Optional

from ..platform import Namespace, Platform, Region
from ..result import Fix, NamespaceResult
from ..sizes import SZ_16M, align_down, align_up, format_size
from .arch import ArchProfile
from .region_devs import RegionSpace

MAX_VERIFIED = 32        # namespaces whose fixes are checked by re-running the engine
VERIFY_BUDGET = 4000     # … spending at most this many namespace-runs in all: a re-run of
                         # the whole platform costs one per namespace (keeps cost linear)


def _lcm(a: int, b: int) -> int:
    return a * b // gcd(a, b)


def _sizes_around(size: int, step: int, floor: int, cap: Optional[int]) -> List[int]:
    out = []
    down = align_down(size, step)
    if down >= max(floor, step) and down != size:
        out.append(down)
    up = align_up(size + 1, step) if size % step == 0 else align_up(size, step)
    if cap is None or up <= cap:
        out.append(up)
    return out


def candidate_fixes(p: ArchProfile, region: Region, region_align: Optional[int],
                    space: RegionSpace, ns: Namespace, res: NamespaceResult) -> List[Fix]:
    err = res.error
    if err is None:
        return []
    msg = err.message
    size, align, ways = res.size, res.align, region.interleave_ways
    granule = region_align or p.page_size * ways
    step = _lcm(granule, align * ways)
    floor = SZ_16M if ns.mode != "raw" else p.page_size
    cap = space.max_available_extent() if region.labelled else region.size
    out: List[Fix] = []

    def size_fixes() -> None:
        for s in _sizes_around(size, step, floor, cap if region.labelled else None):
            out.append(Fix(f"use size {format_size(s)}", {"namespace.size": s}))

    def region_align_fix() -> None:
        ra = size & -size
        ra = min(ra, region_align or SZ_16M)
        if ra >= p.page_size and ra != region_align:
            out.append(Fix(f"set {region.name} align to {format_size(ra)} "
                           f"(echo {ra:#x} > /sys/bus/nd/devices/{region.name}/align)",
                           {"region.align": ra}))

    def smaller_align_fix() -> None:
        for a in sorted(p.supported_alignments(), reverse=True):
            if a < align and size % (a * ways) == 0:
                out.append(Fix(f"use align {format_size(a)}", {"namespace.align": a}))
                return

    if err.by == "ndctl":
        if "No space left" in msg:
            best = align_down(cap, step)
            if best >= floor:
                out.append(Fix(f"largest free extent in {region.name} is {format_size(cap)}: "
                               f"use size {format_size(best)}", {"namespace.size": best}))
        elif "sub-dividing" in msg:
            out.append(Fix(f"omit size (a label-less namespace spans the whole region, "
                           f"{format_size(region.size)})", {"namespace.size": None}))
        elif "does not support setting an alignment" in msg:
            out.append(Fix(f"drop align: {ns.mode} mode has none", {"namespace.align": None}))
        elif "unsupported align" in msg:
            for a in sorted(p.supported_alignments(), reverse=True):
                if size % (a * ways) == 0:
                    out.append(Fix(f"use align {format_size(a)}", {"namespace.align": a}))
        elif "align setting is" in msg:
            if region.labelled:
                size_fixes()
            region_align_fix()
            if out and "region.align" in out[-1].changes:
                # the new region align may expose the next rule: offer it combined
                ra = out[-1].changes["region.align"]
                for a in sorted(p.supported_alignments(), reverse=True):
                    if a < align and size % (a * ways) == 0:
                        out.append(Fix(out[-1].text + f" and use align {format_size(a)}",
                                       {"region.align": ra, "namespace.align": a}))
                        break
                if ns.mode != "sector":
                    out.append(Fix(f"set {region.name} align to {format_size(ra)} and use mode sector",
                                   {"region.align": ra, "namespace.mode": "sector",
                                    "namespace.align": None, "namespace.map": None,
                                    "namespace.system_ram": False}))
        elif "did you intend" in msg:
            if region.labelled:
                size_fixes()
            smaller_align_fix()
            if not region.labelled:
                out.append(Fix("use mode sector (no pfn alignment)", {"namespace.mode": "sector",
                                                                      "namespace.align": None,
                                                                      "namespace.map": None}))
        elif "must be >= 16MiB" in msg:
            if region.labelled:
                out.append(Fix(f"use size {format_size(align_up(SZ_16M, step))}",
                               {"namespace.size": align_up(SZ_16M, step)}))
            out.append(Fix("use mode raw", {"namespace.mode": "raw", "namespace.align": None,
                                           "namespace.map": None}))
        elif "misaligned to 16M" in msg:
            out.append(Fix("set force: true (ndctl -f skips its 16M start check)", {"namespace.force": True}))
            if res.start is not None:
                nxt = align_up(res.start, SZ_16M) - region.start
                out.append(Fix(f"place it at offset {nxt:#x} (16M aligned)", {"namespace.offset": nxt}))
        return out
    start = res.start or 0
    if "unable to satisfy requested alignment" in msg:
        smaller_align_fix()
        if region.labelled:
            big = align_up(size + 2 * max(align, p.pmd_size), step)
            out.append(Fix(f"use size {format_size(big)}", {"namespace.size": big}))
    elif "too small to host" in msg or "must be at least" in msg:
        if region.labelled:
            s = align_up(SZ_16M + 4096, step)
            out.append(Fix(f"use size {format_size(s)}", {"namespace.size": s}))
        out.append(Fix("use mode raw", {"namespace.mode": "raw", "namespace.align": None,
                                       "namespace.map": None, "namespace.sector_size": None}))
    else:
        # placement problems: move the range (the region) to a boundary that works
        gran = p.compat_align or (p.subsection_size if p.subsection_hotplug else p.section_size)
        if not p.subsection_hotplug and ("Conflicting mapping" in msg or "region" in msg):
            gran = p.section_size
        gap = start % gran
        if not region.labelled:
            if gap:
                up = gran - gap
                out.append(Fix(f"move {region.name} up by {format_size(up)} to {region.start + up:#x} "
                               f"({format_size(gran)} aligned)", {"region.start": region.start + up}))
                out.append(Fix(f"or down by {format_size(gap)} to {region.start - gap:#x}",
                               {"region.start": region.start - gap}))
            else:
                out.append(Fix(f"move {region.name} to the next {format_size(gran)} boundary, "
                               f"{align_up(region.end, gran):#x}", {"region.start": align_up(region.end, gran)}))
            lo, hi = align_up(region.start, gran), align_down(region.end, gran)
            if hi > lo and (lo, hi) != (region.start, region.end):
                hint = f", memmap={format_size(hi - lo)}!{format_size(lo)}" if region.provider == "e820" else ""
                out.append(Fix(f"shrink {region.name} to {lo:#x}-{hi - 1:#x} ({format_size(gran)} aligned "
                               f"ends{hint})",
                               {"region.start": lo, "region.size": hi - lo}))
        elif gap:
            off = align_up(start, gran) - region.start
            out.append(Fix(f"place it at offset {off:#x} ({format_size(gran)} aligned)", {"namespace.offset": off}))
        if ns.mode != "sector":
            out.append(Fix("use mode sector (BTT maps no pages)", {"namespace.mode": "sector",
                                                                 "namespace.align": None,
                                                                 "namespace.map": None,
                                                                 "namespace.system_ram": False}))
    return out


def _dedupe(fixes: List[Fix]) -> List[Fix]:
    seen, out = set(), []
    for f in fixes:
        key = tuple(sorted(f.changes.items(), key=lambda kv: kv[0]))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def apply_fix(platform: Platform, region_name: str, ns_name: str, fix: Fix) -> Platform:
    """A copy of ``platform`` with ``fix`` applied to the named region/namespace."""
    region_changes = {k.split(".", 1)[1]: v for k, v in fix.changes.items() if k.startswith("region.")}
    ns_changes = {k.split(".", 1)[1]: v for k, v in fix.changes.items() if k.startswith("namespace.")}
    regions = []
    for r in platform.regions:
        if r.name == region_name:
            nss = [ns.replace(**ns_changes) if ns.name == ns_name else ns for ns in r.namespaces]
            r = r.replace(**region_changes, namespaces=nss)
        regions.append(r)
    return platform.replace(regions=regions)


def verify_fixes(platform: Platform, kernel, run: Callable, results: List[NamespaceResult],
                 candidates: dict) -> None:
    """Keep, for each refused/failed namespace, the candidate fixes that enable it."""
    checked = spent = 0
    for res in results:
        cands = _dedupe(candidates.get(res.name) or [])
        if res.status == "enabled" or not cands:
            continue
        cost = len(cands) * len(results)
        if checked >= MAX_VERIFIED or spent + cost > VERIFY_BUDGET:
            res.fixes = [Fix(f.text + " (not verified)", f.changes) for f in cands]
            continue
        checked += 1
        spent += cost
        good: List[Fix] = []
        for f in cands:
            try:
                q = apply_fix(platform, res.region, res.name, f)
                again = run(q, kernel, verify=False, sections=False, fixes=False)
            except Exception:  # a candidate that makes the platform invalid is dropped
                continue
            if again.namespace(res.name).status == "enabled":
                good.append(f)
        res.fixes = good
