"""What the inputs do not say outright: whether a region is labelled, the map and align of
a devdax namespace known from /proc/iomem, the raw size of a labelled namespace.

Every size question goes through the engine's own info-block arithmetic
(:func:`pmemplan.engine.pfn_devs.nd_pfn_init`), called in one place: :func:`info_block`.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

from ..kversion import KernelVersion
from .iomem import _NS_NAME, Resource
from .ndctl import APPROX, NdNamespace, NdRegion
from .records import _Ns, _Region

if TYPE_CHECKING:
    from ..engine.arch import ArchProfile
    from ..engine.pfn_devs import InfoBlock
    from .build import _Builder

SZ_8K = 8192
SZ_2M = 2 << 20


def info_block(p: "ArchProfile", name: str, start: int, size: int, devdax: bool, map: str,
               align: int) -> Optional["InfoBlock"]:
    """The info block the kernel would write for a namespace alone in its region (no System
    RAM or other region nearby), or None when the kernel refuses it."""
    from ..engine.memory import KernelError
    from ..engine.pfn_devs import nd_pfn_init
    ib = nd_pfn_init(p, name=name, start=start, size=size, devdax=devdax, map=map, align=align,
                     ram=lambda a, c: 0, other_regions=())
    return None if isinstance(ib, KernelError) else ib


def _profile(kver: KernelVersion, arch: str = "x86_64") -> "ArchProfile":
    from ..engine.arch import arch_profile
    return arch_profile(arch, kver)


def _ns_no(dev: str) -> Optional[int]:
    """namespaceN.M -> M."""
    m = _NS_NAME.match(dev)
    return int(m.group(2)) if m else None


def _is_seed(n: NdNamespace) -> bool:
    """The seed namespace of a labelled region: size 0 and no uuid (ndctl lists an all-zero
    one).  A namespace with a uuid and size 0 is real: ndctl lists a fsdax/devdax namespace's
    data size, which is 0 when the info block leaves no pages (6.1 creates such a device with
    npfns = 0, kernel-observations rule 5); sysfs gives the raw size, 0 only for a seed."""
    if n.source == "sysfs":
        return n.raw_size == 0
    return n.size == 0 and not (n.uuid and set(n.uuid) - set("0-"))


def _labels(b: _Builder, r: _Region, q: Optional[NdRegion], res: Optional[Resource]) -> Optional[bool]:
    t = r.name
    if r.provider == "e820":
        return False
    if q is not None:
        ns_types = {n.nstype for n in q.namespaces if n.nstype is not None} | ({q.nstype} if q.nstype else set())
        if ns_types & {4} or ns_types & {5}:
            lab = 5 in ns_types
            b.note("from", t, "labels", f"sysfs nstype {5 if lab else 4} ({'pmem, labelled' if lab else 'io, label-less'})")
            return lab
        real = [n for n in q.namespaces if not _is_seed(n)]
        why = None
        if any(n.raw_uuid for n in q.namespaces):
            why = "namespaces carry a label uuid (raw_uuid)"
        elif any(_is_seed(n) for n in q.namespaces):
            why = "ndctl lists a zero-size seed namespace (only labelled regions have one)"
        elif len(real) > 1:
            why = "more than one namespace"
        elif any(n.mode == "raw" and n.uuid and set(n.uuid) - set("0-") for n in real):
            why = "a raw namespace with a uuid"
        elif q.available_size:
            why = "available_size is not 0"
        elif any(_ns_no(n.dev) not in (None, 0) for n in real):
            why = "a namespace numbered above .0"
        if why:
            b.note("from", t, "labels", f"true: {why}")
            return True
        if real:
            b.note("from", t, "labels", "false: its namespace has no label uuid (raw_uuid) and no seed is listed")
            return False
    if res is not None:
        kids = [c for c in res.children if _NS_NAME.match(c.name)]
        if len(kids) == 1 and kids[0].start == res.start and _ns_no(kids[0].name) == 0:
            last = max(c.end for c in res.children)
            if last == res.end:
                b.note("assumed", t, "labels", "false: one namespace spanning the region in /proc/iomem")
                return False
        if len(kids) > 1:
            b.note("from", t, "labels", "true: several namespaces in /proc/iomem")
            return True
    b.note("assumed", t, "labels", "true (nothing in the inputs says whether the region is labelled)")
    return True




def _infer_dax(b: _Builder, r: _Region, ns: _Ns, kver: KernelVersion, all_regions: List[_Region]) -> None:
    """map and align of a devdax namespace known only from /proc/iomem: the head
    (the namespace's resource) ends at start + dataoff, which each (map, align) fixes."""
    p = _profile(kver, b.arch)
    assert ns.start is not None and ns.size is not None and ns.head_end is not None
    want = ns.head_end - ns.start
    default = p.default_pfn_align()
    aligns = [ns.align] if ns.align else sorted(p.supported_alignments(), key=lambda a: (a != default, a))
    maps = [ns.map] if ns.map else ["dev", "mem"]
    for mp in maps:
        for a in aligns:
            ib = info_block(p, ns.name, ns.start, ns.size, True, mp, a)
            if ib is not None and ib.dataoff == want:
                if ns.map is None:
                    ns.map = mp
                    b.note("from", ns.name, "map", f"{mp}: its head in /proc/iomem ({want:#x}) is the data "
                           f"offset of a map={mp} info block")
                if ns.align is None:
                    ns.align = a
                    b.note("from", ns.name, "align", f"{a:#x}: gives the data offset {want:#x} /proc/iomem shows"
                           + (" (the default; other aligns may give the same)" if a == default else ""))
                return
    b.note("warning", ns.name, None, f"no info block layout gives the head of {want:#x} bytes /proc/iomem shows")


def _granule(p: "ArchProfile", r: _Region, ns: _Ns) -> int:
    attr = r.align if r.align is not None else p.default_region_align(r.size or 0, r.ways or 1)
    g = attr if attr is not None else p.page_size * (r.ways or 1)
    if ns.mode in ("fsdax", "devdax"):
        a = (ns.align or p.default_pfn_align()) * (r.ways or 1)
        g = g * a // math.gcd(g, a)
    return g


def _raw_size(b: _Builder, r: _Region, ns: _Ns, nxt: int, kver: KernelVersion,
              all_regions: List[_Region]) -> None:
    """The raw size of a labelled namespace, from the region, /proc/iomem and ndctl."""
    t = ns.name
    assert ns.start is not None and r.start is not None
    hi = nxt - ns.start
    if ns.mode in ("raw", "sector") or ns.mode == "fsdax" and r.provider == "e820" and ns.map == "mem":
        if ns.whole_end is not None:
            ns.size = ns.whole_end - ns.start
            return
        if ns.mode == "raw" and ns.usable is not None and not ns.usable_approx:
            ns.size = ns.usable
            b.note("from", t, "size", "ndctl's size (a raw namespace's size is its raw size)")
            return
        ns.size = hi
        b.note("assumed", t, "size", f"up to the next namespace or the region end ({hi:#x}); neither "
               "/proc/iomem nor ndctl gives it")
        return
    p = _profile(kver, b.arch)
    devdax = ns.mode == "devdax"
    align = ns.align or p.default_pfn_align()
    g = _granule(p, r, ns)
    lo = 0
    for e in (ns.head_end, ns.data_end, ns.whole_end):
        if e is not None:
            lo = max(lo, e - ns.start)
    if ns.mode == "fsdax" and ns.whole_end is not None and ns.usable is not None:
        S = ns.whole_end - ns.start
        ib = info_block(p, t, ns.start, S, False, ns.map or "dev", align)
        if ib is not None and ib.usable_size == ns.usable:
            ns.size = S
            return
    if ns.usable is None:
        if ns.whole_end is not None:
            ns.size = ns.whole_end - ns.start
            return
        ns.size = align_up(lo, g) if lo else hi
        b.note("assumed", t, "size", f"{ns.size:#x}: no ndctl size to derive it from; "
               + ("the smallest size holding what /proc/iomem shows" if lo else "up to the next namespace"))
        return
    U = ns.usable
    assert r.size is not None
    maps = [ns.map] if ns.map else ["dev", "mem"]
    dataoffs: List[int] = []
    if ns.head_end is not None:
        dataoffs.append(ns.head_end - ns.start)
    elif ns.data_start is not None:
        dataoffs.append(ns.data_start - ns.start)
    best: Optional[Tuple[int, str, int]] = None
    start = ns.start
    for gg in ([g] if g <= p.page_size else [g, p.page_size]):
        if best is not None:
            break
        for mp in maps:
            def usable_of(S: int, mp: str = mp) -> Optional[int]:
                ib = info_block(p, t, start, S, devdax, mp, align)
                return None if ib is None else ib.usable_size

            def dataoff_of(S: int, mp: str = mp) -> Optional[int]:
                ib = info_block(p, t, start, S, devdax, mp, align)
                return None if ib is None else ib.dataoff
            found = _search_size(p, start, U, lo, hi, gg, align, mp, dataoffs, usable_of, dataoff_of)
            if found is not None and (best is None or found < best[0]):
                best = (found, mp, gg)
    if best is not None:
        S, mp, gg = best
        ns.size = S
        if ns.map is None:
            ns.map = mp
            b.note("from", t, "map", f"{mp}: the only map whose info block gives ndctl's size")
        what = "the head and data /proc/iomem shows" if ns.mode == "devdax" else "/proc/iomem"
        b.note("from", t, "size", f"the smallest size (a multiple of {gg:#x}) whose info block gives "
               f"ndctl's {U:#x}" + (f" ({APPROX})" if ns.usable_approx else "") +
               f", fitting {what}" + (f"; it may be up to {hi:#x} long (the space before "
               f"{'the next namespace' if nxt < r.start + r.size else 'the region end'})" if hi > S else ""))
        return
    S = min(hi, align_up(max(lo, U + U // 63 + SZ_8K), g))
    ns.size = S
    b.note("assumed", t, "size", f"{S:#x}: no size gives ndctl's {U:#x} exactly" +
           (f" ({APPROX})" if ns.usable_approx else ""))
    if ns.map is None:
        ns.map = "dev"
        b.note("assumed", t, "map", "dev (ndctl's default)")


def align_up(x: int, a: int) -> int:
    return -(-x // a) * a


def _search_size(p: "ArchProfile", start: int, U: int, lo: int, hi: int, g: int, align: int, mp: str,
                 dataoffs: List[int], usable_of: Callable[[int], Optional[int]],
                 dataoff_of: Callable[[int], Optional[int]]) -> Optional[int]:
    """Smallest S (multiple of g, lo ≤ S ≤ hi) with usable_of(S) == U.

    usable = ALIGN_DOWN(start + S, A) − (start + dataoff(S)) for 5.3+, and dataoff(S)
    never decreases with S: for each candidate dataoff D the end must lie in
    [start + D + U, start + D + U + A), where the smallest S with dataoff(S) ≥ D is found
    by bisection.  Other eras fall back to a bounded scan.
    """
    if hi <= 0:
        return None
    if not p.kernel.at_least(5, 3):
        S = align_up(max(lo, U), g)
        for _ in range(4096):
            if S > hi:
                return None
            if usable_of(S) == U:
                return S
            S += g
        return None
    A = max(align, p.compat_align or 0, SZ_2M)
    cands = list(dataoffs)
    if not cands:
        est = SZ_8K + (U + SZ_8K) // 63 if mp == "dev" else SZ_8K
        base = align_up(start + est, A) - start
        cands = [base + k * A for k in range(-4, 6) if base + k * A > 0]
    found: List[int] = []
    for D in cands:
        e_down = start + D + U
        if e_down % A:
            continue
        s_lo = max(lo, e_down - start)
        s_hi = min(hi, e_down - start + A - 1)
        S = align_up(s_lo, g)
        if S > s_hi:
            continue
        d0 = dataoff_of(S)
        if d0 is None:
            continue
        if d0 < D:
            # bisect over multiples of g in [S, s_hi] for the first with dataoff >= D
            a, c = S // g, s_hi // g
            while a < c:
                mid = (a + c) // 2
                dm = dataoff_of(mid * g)
                if dm is not None and dm >= D:
                    c = mid
                else:
                    a = mid + 1
            S = a * g
            if S > s_hi:
                continue
        if usable_of(S) == U:
            found.append(S)
    return min(found) if found else None


