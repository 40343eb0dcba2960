"""Fixes for a refused or failed namespace: actions a user can take.

Each :class:`~pmemplan.result.Fix` is something a user can do: an ndctl option (``-f``,
``-a``), a size (``-s``), a mode (``-m``/``-M``), a region align write (regionX/align,
5.7+), a creation order (labelled regions place first-fit in creation order: ndctl has no
offset option), or a firmware change (``memmap=``, the NVDIMM's address) — its ``kind``
says which.  Candidates are chosen by the failure's :class:`~pmemplan.causes.Cause`
(never by message text), smallest change first: the nearest valid size, the largest align
that works.

:func:`verify_fixes` (the one place fixes are decided; ``layout`` and ``lint`` both show
its result) re-runs the engine with each candidate applied and keeps those that enable
the namespace without disabling another; a candidate that gets past the first check but
trips the next one is tried together with that check's own fixes (``-f`` then a size).
Then the first fixes of all failing namespaces are checked together: where the
combination breaks something, a later namespace's next alternative comes first.
"""
from __future__ import annotations

from math import gcd
from typing import Callable, Dict, List, Optional, Tuple

from ..causes import Cause
from ..errors import InputError
from ..kversion import KernelVersion
from ..platform import Namespace, Platform, Region, check_platform
from ..result import Fix, KernelError, LayoutResult, NamespaceResult
from ..sizes import SZ_16M, align_down, align_up, format_size
from .arch import ArchProfile
from .memory import REGION_DISJOINT
from .pfn_devs import nd_pfn_init
from .region_devs import RegionSpace

MAX_VERIFIED = 32        # namespaces whose fixes are checked by re-running the engine
VERIFY_BUDGET = 4000     # … spending at most this many namespace-runs in all: a re-run of
                         # the whole platform costs one per namespace (keeps cost linear)
MAX_CHAINED = 3          # follow-up fixes tried after a fix that reaches the next check

# the kernel's placement checks: fixed by moving the range (order, firmware) or mode sector
_PLACEMENT = (Cause.COMPAT_MISALIGNED, Cause.SECTION_CONFLICT, Cause.PGMAP_COLLISION, Cause.RAM_OVERLAP,
              Cause.ALTMAP_EXHAUSTED,
              Cause.SUBSECTION_BUSY, Cause.PFN_SPAN, Cause.ALTMAP_INVALID)
_NO_PAGES = {"namespace.align": None, "namespace.map": None, "namespace.system_ram": False}


def _lcm(a: int, b: int) -> int:
    return a * b // gcd(a, b)


def _nearest_sizes(size: int, step: int, floor: int, cap: Optional[int]) -> List[int]:
    """The valid sizes next to ``size`` (multiples of ``step``), nearest first (up on a tie)."""
    out: List[Tuple[int, int, int]] = []
    down = align_down(size, step)
    if down >= max(floor, step) and down != size:
        out.append((size - down, 1, down))
    up = align_up(size + 1, step) if size % step == 0 else align_up(size, step)
    if cap is None or up <= cap:
        out.append((up - size, 0, up))
    return [s for _, _, s in sorted(out)]


def _size_fix(s: int, why: str = "") -> Fix:
    return Fix(f"use size {format_size(s)} (ndctl create-namespace -s {format_size(s)}){why}",
               {"namespace.size": s})


def _align_fix(a: int) -> Fix:
    return Fix(f"use align {format_size(a)} (ndctl create-namespace -a {format_size(a)})",
               {"namespace.align": a})


def _force_fix(why: str) -> Fix:
    return Fix(f"set force: true (ndctl create-namespace -f: {why})", {"namespace.force": True})


def _sector_fix(ns: Namespace) -> List[Fix]:
    if ns.mode == "sector":
        return []
    return [Fix("use mode sector (ndctl create-namespace -m sector: BTT maps no pages, no DAX)",
                {"namespace.mode": "sector", **_NO_PAGES}, ["mode"])]


def _raw_fix(ns: Namespace) -> List[Fix]:
    if ns.mode == "raw":
        return []
    return [Fix("use mode raw (ndctl create-namespace -m raw: no info block, no DAX)",
                {"namespace.mode": "raw", **_NO_PAGES, "namespace.sector_size": None}, ["mode"])]


def _region_align_fix(region: Region, ra: int) -> Fix:
    return Fix(f"set {region.name} align to {format_size(ra)} "
               f"(echo {ra:#x} > /sys/bus/nd/devices/{region.name}/align)", {"region.align": ra})


def _first_fix(region: Region, ns: Namespace, why: str) -> List[Fix]:
    """Create the namespace first in its region (labelled regions place first-fit in
    creation order: the order of the ``ndctl create-namespace`` commands)."""
    names = [n.name for n in region.namespaces]
    if not region.labelled or ns.name not in names or ns.offset is not None:
        return []
    # only namespaces placed first-fit (no offset: not already on the machine) move aside
    before = [n.name for n in region.namespaces[:names.index(ns.name)] if n.offset is None]
    if not before:
        return []
    return [Fix(f"create it before {before[0]} in {region.name} ({why}; labelled regions place "
                f"first-fit in creation order)",
                {"namespace.position": names.index(before[0])})]


def _firmware_hint(region: Region, start: int, size: int) -> str:
    """Where the firmware sets the region's place (and, if it changes, its size)."""
    resized = size != region.size
    if region.provider == "e820":
        return f"firmware: memmap={format_size(size)}!{format_size(start)}"
    if region.provider == "virtio":
        return ("firmware: the virtio-pmem device's address" +
                (" and its memory backend's size" if resized else ""))
    if region.provider == "of_pmem":
        return "firmware: the device tree pmem node's reg"
    if region.provider == "cxl":
        return "firmware: the CXL region's base" + (" and size" if resized else "") + " (HDM decoders)"
    if resized:
        return ("firmware: the NVDIMM's address and size (QEMU -device nvdimm,addr=… with a "
                "memory backend of that size) or another DIMM")
    return "firmware: the NVDIMM's address (QEMU -device nvdimm,addr=…) or another DIMM slot"


def _move_fixes(region: Region, start: int, gran: int) -> List[Fix]:
    """Move (or shrink) the region so that ``start``, the namespace's start, is ``gran``-aligned."""
    out: List[Fix] = []
    gap = start % gran
    if gap:
        moves: List[Tuple[int, Fix]] = []
        up = gran - gap
        s = region.start + up
        moves.append((up, Fix(f"move {region.name} up by {format_size(up)} to {s:#x} "
                              f"({format_size(gran)} aligned; {_firmware_hint(region, s, region.size)})",
                              {"region.start": s})))
        if region.start >= gap:
            s = region.start - gap
            moves.append((gap, Fix(f"move {region.name} down by {format_size(gap)} to {s:#x} "
                                   f"({format_size(gran)} aligned; {_firmware_hint(region, s, region.size)})",
                                   {"region.start": s})))
        out += [f for _, f in sorted(moves, key=lambda m: m[0])]     # the shorter move first
    lo, hi = align_up(region.start, gran), align_down(region.end, gran)
    if hi > lo and (lo, hi) != (region.start, region.end):
        out.append(Fix(f"shrink {region.name} to {lo:#x}-{hi - 1:#x} ({format_size(gran)} aligned "
                       f"ends; {_firmware_hint(region, lo, hi - lo)})",
                       {"region.start": lo, "region.size": hi - lo}))
    if not gap and not out:
        nxt = align_up(region.end, gran)
        out.append(Fix(f"move {region.name} to the next {format_size(gran)} boundary, {nxt:#x} "
                       f"({_firmware_hint(region, nxt, region.size)})", {"region.start": nxt}))
    return out


def _resize_fixes(p: ArchProfile, region: Region, step: int, floor: int) -> List[Fix]:
    """A label-less namespace is its region: resize the region (firmware) to a valid size,
    the nearest first, its start kept or moved to the compat/page boundary."""
    out: List[Fix] = []
    ca = max(p.compat_align or 0, p.page_size) if region.pagemap else p.page_size
    lo = align_up(region.start, ca)
    for size in _nearest_sizes(region.end - lo, step, floor, None) or []:
        if size < floor:
            size = align_up(floor, step)
        verb = "shrink" if lo + size <= region.end else "grow"
        out.append(Fix(f"{verb} {region.name} to {lo:#x}-{lo + size - 1:#x} ({format_size(size)}; "
                       f"{_firmware_hint(region, lo, size)})", {"region.start": lo, "region.size": size}))
    return out


def _min_pfn_size(p: ArchProfile, res: NamespaceResult, start: int, step: int,
                  cap: Optional[int]) -> Optional[int]:
    """The smallest size above ``res.size`` whose info block leaves data (nd_pfn_init)."""
    devdax = res.mode == "devdax"
    for k in range(1, 65):
        s = res.size + k * step
        if cap is not None and s > cap:
            return None
        ib = nd_pfn_init(p, name=res.name, start=start, size=s, devdax=devdax, map=res.map or "dev",
                         align=res.align, ram=lambda a, b: REGION_DISJOINT, other_regions=())
        if not isinstance(ib, KernelError):
            return s
    return None


def candidate_fixes(p: ArchProfile, region: Region, region_align: Optional[int],
                    space: RegionSpace, ns: Namespace, res: NamespaceResult) -> List[Fix]:
    """The candidate actions for ``res``'s refusal or failure, smallest first (unverified)."""
    err = res.error
    if err is None:
        return []
    cause = err.cause
    size, align, ways = res.size, res.align, region.interleave_ways
    granule = region_align or p.page_size * ways
    step = _lcm(granule, align * ways)
    floor = SZ_16M if ns.mode != "raw" else p.page_size
    cap = space.max_available_extent() if region.labelled else region.size
    labelled = region.labelled
    out: List[Fix] = []

    def smaller_align() -> List[Fix]:
        for a in sorted(p.supported_alignments(), reverse=True):
            if a < align and size % (a * ways) == 0:
                return [_align_fix(a)]
        return []

    def region_align_fix() -> List[Fix]:
        # regionX/align exists from 5.7 (2522afb86a8c): region_align is None before
        if region_align is None:
            return []
        ra = min(size & -size, region_align)
        if ra >= p.page_size and ra != region_align:
            return [_region_align_fix(region, ra)]
        return []

    if cause == Cause.NO_SPACE:
        if labelled and ns.size is not None and not ns.exists:
            best = align_down(cap, step)
            if floor <= best < size:
                out.append(_size_fix(best, f": the largest free extent of {region.name} is "
                                           f"{format_size(cap)}"))
        gap = space.wrapped_gap() if labelled else None
        if gap is not None and region_align is not None:
            # the free-space reservation wraps (v5.7 2522afb86a8c space_valid(), region_devs.py):
            # a region align at most the second allocation's offset ends the wrap
            ra = 1 << (gap[1].bit_length() - 1)
            if ra >= p.page_size * ways and ra < region_align:
                out.append(_region_align_fix(region, ra))
    elif cause == Cause.LABEL_LESS_SUBDIVIDE:
        out.append(Fix(f"omit the size (ndctl create-namespace without -s: a label-less namespace "
                       f"spans its whole region, {format_size(region.size)})", {"namespace.size": None}))
    elif cause == Cause.ALIGN_NOT_SUPPORTED_FOR_MODE:
        out.append(Fix(f"omit the align (no -a: {ns.mode} mode has none)", {"namespace.align": None}))
    elif cause == Cause.UNSUPPORTED_ALIGN:
        for a in sorted(p.supported_alignments(), reverse=True):   # the largest that works first
            if size % (a * ways) == 0:
                out.append(_align_fix(a))
    elif cause == Cause.REGION_ALIGN_SIZE:
        if labelled:
            out += [_size_fix(s) for s in _nearest_sizes(size, step, floor, cap)]
        out += region_align_fix()
        if not labelled:
            out += _resize_fixes(p, region, step, floor)
    elif cause == Cause.INTERLEAVE_SIZE:
        if labelled:
            out += [_size_fix(s) for s in _nearest_sizes(size, step, floor, cap)]
        out += smaller_align()
        if not labelled:
            out += _resize_fixes(p, region, step, floor)
        out += _sector_fix(ns)
    elif cause in (Cause.TOO_SMALL, Cause.CLAIM_TOO_SMALL, Cause.BTT_TOO_SMALL):
        need = SZ_16M + (4096 if cause == Cause.BTT_TOO_SMALL else 0)
        if labelled:
            s = align_up(max(need, size), step)
            if s <= cap:
                out.append(_size_fix(s, " (the 16M minimum)"))
        out += _raw_fix(ns)
        if not labelled:
            out += _resize_fixes(p, region, step, need)
    elif cause == Cause.BTT_SECTOR_SIZE:
        out.append(Fix("use sector size 4096 (ndctl create-namespace -l 4096)", {"namespace.sector_size": None}))
    elif cause == Cause.ACTIVE_NEEDS_FORCE:
        out.append(_force_fix("reconfigure the active namespace"))
    elif cause == Cause.START_16M:
        out.append(_force_fix("skip the 16M start check"))
        out += _first_fix(region, ns, "so it lands on an earlier, aligned start")
    elif cause == Cause.CANNOT_ALIGN:
        out += smaller_align()
        if labelled and res.start is not None:
            # recreated larger, it may take its own space back: bounded by the region only
            bigger = _min_pfn_size(p, res, res.start, step, region.size)
            if bigger is not None:
                out.append(_size_fix(bigger, " (room for the info block, memmap and alignment)"))
        out += _sector_fix(ns)
    elif cause in _PLACEMENT:
        start = res.start if res.start is not None else region.start
        gran = p.compat_align or (p.subsection_size if p.subsection_hotplug else p.section_size)
        if not p.subsection_hotplug and cause in (Cause.SECTION_CONFLICT, Cause.PGMAP_COLLISION, Cause.RAM_OVERLAP,
                                                  Cause.ALTMAP_EXHAUSTED):
            gran = p.section_size    # ≤5.2 maps whole sections
        if labelled:
            out += _first_fix(region, ns, "so it lands elsewhere")
            if cause in (Cause.PFN_SPAN, Cause.RAM_OVERLAP, Cause.SUBSECTION_BUSY, Cause.SECTION_CONFLICT):
                out += [_size_fix(s) for s in _nearest_sizes(size, _lcm(step, gran), floor, cap)]
        out += _move_fixes(region, start, gran)
        out += _sector_fix(ns) + _raw_fix(ns)
    return out


def _dedupe(fixes: List[Fix]) -> List[Fix]:
    seen, out = set(), []
    for f in fixes:
        key = tuple(sorted(((k, repr(v)) for k, v in f.changes.items())))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def apply_fix(platform: Platform, region_name: str, ns_name: str, fix: Fix) -> Platform:
    """A copy of ``platform`` with ``fix`` applied to the named region/namespace.

    Raises :class:`~pmemplan.errors.InputError` when the change makes the platform
    invalid (the loader's cross-field checks, :func:`~pmemplan.platform.check_platform`):
    a region moved onto RAM, a namespace outside its region.
    """
    region_changes = {k.split(".", 1)[1]: v for k, v in fix.changes.items() if k.startswith("region.")}
    ns_changes = {k.split(".", 1)[1]: v for k, v in fix.changes.items() if k.startswith("namespace.")}
    position = ns_changes.pop("position", None)
    regions = []
    for r in platform.regions:
        if r.name == region_name:
            nss = [ns.replace(**ns_changes) if ns.name == ns_name else ns for ns in r.namespaces]
            if position is not None:
                mine = [ns for ns in nss if ns.name == ns_name]
                rest = [ns for ns in nss if ns.name != ns_name]
                nss = rest[:position] + mine + rest[position:]
            r = r.replace(**region_changes, namespaces=nss)
        regions.append(r)
    q = platform.replace(regions=regions)
    problems = check_platform(q)
    if problems:
        raise InputError(f"fix {fix.text!r} makes the platform invalid: {problems[0][1]}", platform.name)
    return q


Run = Callable[..., LayoutResult]


def _enabled(result: LayoutResult, names: List[str]) -> bool:
    by = {n.name: n for n in result.namespaces}
    return all(by[x].status == "enabled" for x in names if x in by)


def verify_fixes(platform: Platform, kernel: KernelVersion, run: Run, results: List[NamespaceResult],
                 candidates: Dict[str, List[Fix]]) -> None:
    """Decide, for each refused/failed namespace, the fixes shown (``res.fixes``).

    Keeps the candidates with which the engine enables the namespace and keeps every
    enabled namespace enabled; then orders them so that the first fixes of all failing
    namespaces, applied together, enable everything.  Only a candidate that makes the
    platform invalid (:class:`InputError`) is skipped: any other exception propagates.
    """
    n = len(results)
    was_enabled = [r.name for r in results if r.status == "enabled"]
    checked = spent = 0
    verified: List[NamespaceResult] = []
    for res in results:
        if res.status not in ("failed", "refused"):   # enabled, or disabled as observed
            continue
        cands = _dedupe(candidates.get(res.name) or [])
        if not cands:
            res.fixes = []
            res.no_fix = _no_fix_reason(res, 0)
            continue
        cost = len(cands) * n
        if checked >= MAX_VERIFIED or spent + cost > VERIFY_BUDGET:
            res.fixes = [Fix(f.text + " (not verified)", f.changes, f.kinds) for f in cands]
            continue
        checked += 1
        spent += cost
        good: List[Fix] = []
        onward: List[Tuple[Fix, List[Fix]]] = []
        must = was_enabled + [res.name]
        for f in cands:
            try:
                q = apply_fix(platform, res.region, res.name, f)
            except InputError:
                continue      # the change is not a valid platform: not a fix
            again = run(q, kernel, verify=False, sections=False, fixes=True)
            if _enabled(again, must):
                good.append(f)
                continue
            got = again.namespace(res.name)
            if got.error is not None and res.error is not None and got.error.cause != res.error.cause:
                onward.append((f, got.fixes[:MAX_CHAINED]))
        if not good:
            # a fix that passes the first check and meets the next: try it with the next one's fixes
            for f, nexts in onward:
                for g in nexts:
                    if spent + n > VERIFY_BUDGET:
                        break
                    spent += n
                    fg = f.then(g)
                    try:
                        q = apply_fix(platform, res.region, res.name, fg)
                    except InputError:
                        continue
                    if _enabled(run(q, kernel, verify=False, sections=False, fixes=False), must):
                        good.append(fg)
        res.fixes = _dedupe(good)
        if good:
            verified.append(res)
        else:
            res.no_fix = _no_fix_reason(res, len(cands))
    _combine(platform, kernel, run, verified, was_enabled, n, spent)


def _combine(platform: Platform, kernel: KernelVersion, run: Run, fixed: List[NamespaceResult],
             was_enabled: List[str], n: int, spent: int) -> int:
    """Put first, for each namespace in turn, the fix that works together with the first
    fixes chosen before it, so that the first fixes of all namespaces, applied together,
    enable every namespace.  Where none does, an earlier namespace's alternative is tried
    (one step back), then the candidates computed on the combined platform."""
    if not fixed:
        return spent
    budget = [spent]
    chosen: List[Tuple[NamespaceResult, Fix]] = []

    def build(picks: List[Tuple[NamespaceResult, Fix]]) -> Optional[Platform]:
        q = platform
        for r, f in picks:
            try:
                q = apply_fix(q, r.region, r.name, f)
            except InputError:
                return None
        return q

    def works(q: Optional[Platform], names: List[str]) -> bool:
        if q is None or budget[0] + n > VERIFY_BUDGET:
            return False
        budget[0] += n
        return _enabled(run(q, kernel, verify=False, sections=False, fixes=False), names)

    def first_working(base: List[Tuple[NamespaceResult, Fix]], res: NamespaceResult,
                      fixes: List[Fix], names: List[str]) -> Optional[Fix]:
        for f in fixes:
            if works(build(base + [(res, f)]), names):
                return f
        return None

    must = list(was_enabled)
    for res in fixed:
        if budget[0] + n > VERIFY_BUDGET:
            break     # out of budget: the rest keep their individually verified order
        names = must + [res.name]
        f = first_working(chosen, res, res.fixes, names)
        if f is None:
            # one step back: an earlier namespace's alternative may leave room for this one
            for k in range(len(chosen) - 1, -1, -1):
                prev, cur = chosen[k]
                for alt in prev.fixes:
                    if alt is cur:
                        continue
                    trial = chosen[:k] + [(prev, alt)] + chosen[k + 1:]
                    f = first_working(trial, res, res.fixes, names)
                    if f is not None:
                        chosen = trial
                        break
                if f is not None:
                    break
        if f is None:
            # the candidates computed on the combined platform
            q = build(chosen)
            if q is not None and budget[0] + n <= VERIFY_BUDGET:
                budget[0] += n
                again = run(q, kernel, verify=False, sections=False, fixes=True).namespace(res.name)
                g = first_working(chosen, res, again.fixes[:MAX_CHAINED], names)
                if g is not None:
                    f = Fix(f"{g.text} (with the fixes above)", g.changes, g.kinds)
                    res.fixes = [f] + res.fixes
        if f is None and budget[0] + n > VERIFY_BUDGET:
            break
        if f is None:
            res.no_fix = ("each fix enables it alone, but none together with the first fixes of the "
                          "namespaces listed before it")
            continue
        chosen.append((res, f))
        must = names
    for res, f in chosen:      # the chosen fix first, the others as alternatives
        res.fixes = [f] + [g for g in res.fixes if g is not f]
    return budget[0]


_NO_FIX: Dict[Cause, str] = {
    Cause.NO_SPACE: "the region has no free extent large enough: free space first (destroy or "
                    "shrink another namespace) or use another region",
    Cause.BTT_VERSION: "the BTT version comes from the region's label format",
}


def _no_fix_reason(res: NamespaceResult, tried: int) -> str:
    assert res.error is not None
    cause = res.error.cause
    why = _NO_FIX.get(cause)
    if tried == 0:
        return f"no single change to this namespace helps ({cause.value})" + (f": {why}" if why else "")
    return (f"none of the {tried} candidate change(s) for {cause.value} enables it without disabling "
            "another namespace" + (f"; {why}" if why else ""))
