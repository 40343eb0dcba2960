"""Concrete fixes for a refused or failed namespace: the next valid size up and down,
an align or region align that works, or how far to move a range."""
from __future__ import annotations

from math import gcd
from typing import List, Optional, Tuple

from ..platform import Namespace, Region
from ..result import NamespaceResult
from ..sizes import SZ_16M, align_down, align_up, format_size
from .arch import ArchProfile
from .region_devs import RegionSpace


def _lcm(a: int, b: int) -> int:
    return a * b // gcd(a, b)


def _size_steps(size: int, step: int, floor: int, cap: Optional[int]) -> List[int]:
    out = []
    down = align_down(size, step)
    if down >= max(floor, step) and down != size:
        out.append(down)
    up = align_up(size + 1 if size % step == 0 else size, step)
    if cap is None or up <= cap:
        out.append(up)
    return out


def _largest_pow2_dividing(n: int, cap: int) -> int:
    a = n & -n
    return min(a, cap)


def suggest_fixes(p: ArchProfile, ndctl: Tuple[int, int], region: Region, region_align: Optional[int],
                  space: RegionSpace, ns: Namespace, res: NamespaceResult) -> List[str]:
    err = res.error
    if err is None:
        return []
    msg = err.message
    size, align, ways = res.size, res.align, region.interleave_ways
    granule = region_align or p.page_size * ways
    step = _lcm(granule, align * ways)
    floor = SZ_16M if ns.mode != "raw" else p.page_size
    cap = space.max_available_extent() if region.labelled else region.size
    out: List[str] = []
    if err.by == "ndctl":
        if "No space left" in msg:
            best = align_down(cap, step)
            out.append(f"largest free extent in {region.name} is {format_size(cap)}: use size {format_size(best)}"
                       if best >= floor else f"{region.name} has no free extent of {format_size(floor)}")
        elif "sub-dividing" in msg:
            out.append(f"omit size (a label-less namespace spans the whole region, {format_size(region.size)})")
        elif "does not support setting an alignment" in msg:
            out.append(f"drop align: {ns.mode} mode has none")
        elif "unsupported align" in msg:
            out.append("use align " + " or ".join(format_size(a) for a in p.supported_alignments()))
        elif "align setting is" in msg:
            if region.labelled:
                sizes = _size_steps(size, step, floor, cap)
                if sizes:
                    out.append("use size " + " or ".join(format_size(s) for s in sizes))
            ra = _largest_pow2_dividing(size, region_align or SZ_16M)
            if ra >= p.page_size:
                out.append(f"or set {region.name} align to {format_size(ra)} "
                           f"(echo {ra:#x} > /sys/bus/nd/devices/{region.name}/align)")
        elif "did you intend" in msg:
            if region.labelled:
                sizes = _size_steps(size, step, floor, cap)
                if sizes:
                    out.append("use size " + " or ".join(format_size(s) for s in sizes))
            for a in sorted(p.supported_alignments(), reverse=True):
                if a < align and size % (a * ways) == 0:
                    out.append(f"or use align {format_size(a)}")
                    break
        elif "must be >= 16MiB" in msg:
            out.append(f"use size {format_size(align_up(SZ_16M, step))} or mode raw")
        elif "misaligned to 16M" in msg:
            out.append("set force: true (ndctl -f) to skip ndctl's 16M start check")
            if res.start is not None:
                nxt = align_up(res.start, SZ_16M) - region.start
                out.append(f"or place it at offset {nxt:#x} (16M aligned)")
    else:
        start = res.start or 0
        if "misaligned to" in msg and p.compat_align:
            gap = start % p.compat_align
            out.append(f"the range starts {format_size(gap)} past a {format_size(p.compat_align)} boundary: "
                       f"move it up by {format_size(p.compat_align - gap)} or down by {format_size(gap)}, "
                       "or use mode sector (BTT needs no alignment)")
        elif "unable to map" in msg and p.compat_align:
            out.append(f"start and end must be {format_size(p.compat_align)} aligned: move or resize the range, "
                       "or use mode sector")
        elif "unable to satisfy requested alignment" in msg:
            for a in sorted(p.supported_alignments(), reverse=True):
                if a < align:
                    out.append(f"use align {format_size(a)}")
                    break
            out.append(f"or a size of at least {format_size(align_up(2 * max(align, p.pmd_size), step))}")
        elif "too small to host" in msg or "must be at least" in msg:
            out.append(f"use size {format_size(align_up(SZ_16M + 4096, step))} or more")
        elif "Conflicting mapping" in msg or "mixed region" in msg or "EEXIST" == err.errno or "sub-section" in msg:
            ss = p.section_size if not p.subsection_hotplug else p.subsection_size
            out.append(f"move the range to its own {format_size(ss)} "
                       f"{'section' if not p.subsection_hotplug else 'sub-section'} "
                       f"(next boundary {align_up(start, ss):#x})"
                       + ("; Linux 5.3+ maps 2M sub-sections" if not p.subsection_hotplug else ""))
        elif "invalid altmap" in msg or "Misaligned" in msg:
            out.append(f"start must be {format_size(p.subsection_size)} aligned: move it up by "
                       f"{format_size(align_up(start, p.subsection_size) - start)}")
    return out
