"""Decide an intent: sizes, aligns and offsets that enable every namespace on every target.

The order of the decisions (``pmemplan plan``):

1. every namespace enabled on every target kernel, each ``usable`` / share met;
2. least pmem lost (info block, memmap, alignment, padding, truncation) summed over the
   namespaces: the align candidates are compared by the raw size they need;
3. only what ndctl can do: sizes are multiples of every target's placement granule
   (regionX/align from v5.7 2522afb86a8c, PAGE_SIZE x ways before) and of align x ways
   (ndctl's --size check); namespaces of a labelled region are packed from its start in
   list order (first-fit in creation order reaches those offsets, engine/region_devs.py);
   a label-less region holds one namespace, the whole region;
4. deterministic: no randomness, ties go to ndctl's default.

``usable -> raw size`` inverts the engine's arithmetic (engine/pfn_devs.py nd_pfn_init(),
engine/btt.py btt_usable_size()) by a closed-form estimate and a few deficit-driven
corrections, so the cost grows with the namespaces, never with the bytes.  Every plan is
then run through the engine (run_engine) on every target; what the engine refuses or
finds short comes back as a :class:`PlanProblem` with its cause, never from message text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..causes import Cause
from ..engine import ndctl as _ndctl
from ..engine.arch import ArchProfile, arch_profile
from ..engine.btt import BttError, btt_usable_size
from ..engine.layout import run_engine
from ..engine.memory import KernelError, MemoryState
from ..engine.pfn_devs import nd_pfn_init
from ..kversion import KernelVersion
from ..platform import Namespace, Platform, Region
from ..result import LayoutResult
from ..sizes import SZ_16M, align_down, align_up, format_size, short_size

_SEARCH = 64         # bound of every correction loop (each step moves by a deficit)
_ROUNDS = 6          # engine verification rounds


def target_kernels(platform: Platform, kernels: Sequence[str] = ()) -> List[str]:
    """--kernel wins over the file's targets, which win over its kernel (as in lint)."""
    if kernels:
        return list(kernels)
    if platform.targets:
        return list(platform.targets)
    return [platform.kernel]


@dataclass
class PlannedNamespace:
    """One namespace of the plan: what was asked, what was chosen, what each target gives."""
    name: str
    region: str
    mode: str
    map: Optional[str]
    align: Optional[int]
    size: int
    offset: int
    start: int
    requested: str                 # "usable 200M", "10% of region0", "rest", "size 1G", "exists"
    planned: List[str]             # the keys the planner chose (size, align, map, offset)
    why: str
    want_usable: Optional[int] = None
    granule: int = 1               # sizes are multiples of it on every target
    usable: Dict[str, Optional[int]] = field(default_factory=dict)   # per target, by the engine
    lost: Dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "region": self.region, "mode": self.mode, "map": self.map,
                "align": self.align, "size": self.size, "offset": self.offset, "start": self.start,
                "requested": self.requested, "want_usable": self.want_usable, "granule": self.granule,
                "planned": list(self.planned), "why": self.why,
                "usable": dict(self.usable), "lost": dict(self.lost)}


@dataclass
class PlanProblem:
    """Why an intent cannot be met: the binding constraint, per kernel, with its cause."""
    region: str
    namespace: Optional[str]
    kernel: Optional[str]          # None: every target
    cause: Cause                   # the binding constraint: a plan-* cause, or the engine's
    message: str
    nearest: str = ""              # the nearest feasible alternative, in words
    nearest_changes: Dict[str, Any] = field(default_factory=dict)   # {"db.usable": bytes}
    works_on: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"region": self.region, "namespace": self.namespace, "kernel": self.kernel,
                "cause": str(self.cause), "message": self.message, "nearest": self.nearest,
                "nearest_changes": dict(self.nearest_changes), "works_on": list(self.works_on)}


@dataclass
class Plan:
    source: Platform
    platform: Platform                      # the concrete plan (every value explicit)
    kernels: List[str]
    namespaces: List[PlannedNamespace]
    results: Dict[str, LayoutResult]
    problems: List[PlanProblem]
    # what including pre-5.3 targets costs against the 5.3+ targets alone (None: n/a)
    legacy_cost: Optional[Dict[str, Any]] = None
    region_aligns: Dict[str, int] = field(default_factory=dict)   # region aligns the planner set

    @property
    def ok(self) -> bool:
        return not self.problems

    def cost(self, kernel: str) -> int:
        """pmem lost on ``kernel``, summed over the namespaces (raw size - usable)."""
        return sum(n.lost.get(kernel, 0) for n in self.namespaces)

    def to_dict(self) -> Dict[str, Any]:
        return {"kernels": list(self.kernels), "ok": self.ok,
                "namespaces": [n.to_dict() for n in self.namespaces],
                "cost": {k: self.cost(k) for k in self.kernels},
                "problems": [p.to_dict() for p in self.problems],
                "legacy_cost": self.legacy_cost, "region_aligns": dict(self.region_aligns)}


# ----------------------------------------------------------------------------- targets

class _Target:
    """One target kernel: its arch profile and boot memory (for the pre-5.3 padding rule)."""

    def __init__(self, platform: Platform, kernel: str) -> None:
        self.name = kernel
        self.kv = KernelVersion.parse(kernel)
        ram = [(m.start, m.end) for m in platform.memory if m.type == "system-ram"]
        self.p: ArchProfile = arch_profile(
            platform.arch, self.kv, page_size=platform.page_size, mmu=platform.mmu,
            phys_bits=platform.phys_bits, memory_block_size=platform.memory_block_size,
            bare_metal=platform.bare_metal, thp=platform.thp,
            boot_mem_end=max((e for _, e in ram), default=0))
        self.mem = MemoryState(self.p, ram)

    def granule(self, r: Region) -> int:
        """Placement granule: regionX/align (v5.7 2522afb86a8c) or PAGE_SIZE x ways
        (engine/layout.py _region_align)."""
        attr = self.p.default_region_align(r.size, r.interleave_ways)
        if attr is not None and r.align is not None:
            attr = r.align
        return attr if attr is not None else self.p.page_size * r.interleave_ways


def _lcm(a: int, b: int) -> int:
    return a * b // gcd(a, b)


def _btt_version(r: Region) -> str:
    # as engine/layout.py _enable_btt(): btt_claim_class()
    return "2.0" if r.provider != "e820" and r.label_version in ("1.2", "uninitialised") else "1.1"


class _Choice:
    """mode/map/align/sector size of one namespace: what its usable size depends on."""
    __slots__ = ("mode", "map", "align", "sector_size")

    def __init__(self, mode: str, map: Optional[str], align: Optional[int], sector_size: Optional[int]) -> None:
        self.mode, self.map, self.align, self.sector_size = mode, map, align, sector_size


def _usable(t: _Target, r: Region, c: _Choice, start: int, size: int,
            others: Sequence[Tuple[int, int]]) -> int:
    """The usable size the engine's formulas give (0 when the kernel refuses)."""
    if size <= 0:
        return 0
    if c.mode == "raw":
        return size
    if c.mode == "sector":
        try:
            return btt_usable_size(size, c.sector_size or 4096, _btt_version(r))
        except BttError:
            return 0
    if r.pagemap and c.mode == "fsdax" and c.map == "mem":
        return size                        # legacy memory mode: raw with pages in RAM
    if size < SZ_16M:
        return 0
    ib = nd_pfn_init(t.p, name="probe", start=start, size=size, devdax=c.mode == "devdax",
                     map=c.map or "dev", align=c.align or t.p.page_size,
                     ram=t.mem.region_intersects_system_ram, other_regions=others)
    return 0 if isinstance(ib, KernelError) else ib.usable_size


def _estimate(c: _Choice, want: int, ps: int) -> int:
    """Closed-form raw size for ``want`` usable bytes (slightly under or over)."""
    if c.mode == "raw":
        return want
    if c.mode == "sector":
        arenas = want // (1 << 39) + 1
        ilba = -(-(c.sector_size or 4096) // 64) * 64
        return want * (ilba + 4) // (c.sector_size or 4096) + arenas * (256 * 4096 + 32768) + 4096
    a = max(c.align or ps, 1 << 21)
    if c.map == "mem":
        return want + 8192 + a
    return (want + 8192) * ps // (ps - 64) + a


def _min_size(ts: Sequence[_Target], r: Region, c: _Choice, start: int, want: int, g: int,
              others: Sequence[Tuple[int, int]]) -> Optional[int]:
    """The smallest multiple of ``g`` giving at least ``want`` usable on every target."""
    def short(s: int) -> int:
        return max(want - _usable(t, r, c, start, s, others) for t in ts)

    s = max(g, align_up(_estimate(c, want, ts[0].p.page_size), g))
    if c.mode != "raw":
        s = max(s, align_up(SZ_16M, g))
    for _ in range(_SEARCH):
        d = short(s)
        if d <= 0:
            break
        s += align_up(d, g)
    else:
        return None
    for _ in range(_SEARCH):
        if s - g >= g and short(s - g) <= 0:
            s -= g
        else:
            break
    return s


def _min_usable(ts: Sequence[_Target], r: Region, c: _Choice, start: int, size: int,
                others: Sequence[Tuple[int, int]]) -> int:
    return min(_usable(t, r, c, start, size, others) for t in ts)


# ----------------------------------------------------------------------------- planning

class _Item:
    """A namespace on its way through the planner."""

    def __init__(self, ns: Namespace, r: Region) -> None:
        self.ns, self.r = ns, r
        self.planned: List[str] = []
        if ns.mode in ("fsdax", "devdax") and ns.map is None and not ns.exists:
            self.planned.append("map")      # ndctl's default, dev: never pmem traded for DRAM
        self.size = ns.size or 0
        self.offset = ns.offset or 0
        self.choice = _Choice(ns.mode, ns.effective_map, ns.align, ns.sector_size)
        self.granule = 1
        self.why = ""

    @property
    def requested(self) -> str:
        ns = self.ns
        if ns.exists:
            return "exists"
        if ns.usable is not None:
            return f"usable {format_size(ns.usable)}"
        if ns.share == "rest":
            return "rest"
        if ns.share is not None:
            return f"{ns.share} of {self.r.name}"
        if ns.size is not None:
            return f"size {format_size(ns.size)}"
        return "rest" if self.r.labelled else "the whole region"


def _align_candidates(ts: Sequence[_Target], r: Region, ns: Namespace) -> List[Optional[int]]:
    """The align to try for an fsdax/devdax namespace that gives none: ndctl's default
    first (ties keep it), then PAGE_SIZE; only what every 5.4+ target supports."""
    if ns.mode not in ("fsdax", "devdax"):
        return [None]
    if ns.align is not None:
        return [ns.align]
    out: List[Optional[int]] = []
    for a in (_ndctl.default_align(ts[0].p, r, ns)[0], ts[0].p.page_size):
        if a in out:
            continue
        if all(not t.kv.at_least(5, 4) or a in t.p.supported_alignments() for t in ts):
            out.append(a)
    return out or [ts[0].p.page_size]


def _granule(ts: Sequence[_Target], r: Region, c: _Choice) -> int:
    g = 1
    for t in ts:
        g = _lcm(g, t.granule(r))
        g = _lcm(g, (c.align or t.p.page_size) * r.interleave_ways)   # ndctl --size check
    return g


def _others(platform: Platform, r: Region) -> List[Tuple[int, int]]:
    return [(o.start, o.end) for o in platform.regions if o.name != r.name]


def _plan_labelless(ts: Sequence[_Target], platform: Platform, r: Region, it: _Item,
                    problems: List[PlanProblem]) -> None:
    ns = it.ns
    others = _others(platform, r)
    it.size, it.offset = r.size, 0
    best: Optional[Tuple[int, Optional[int]]] = None
    for a in _align_candidates(ts, r, ns):
        c = _Choice(ns.mode, ns.effective_map, a, ns.sector_size)
        u = _min_usable(ts, r, c, r.start, r.size, others)
        if best is None or u > best[0]:
            best = (u, a)
    assert best is not None
    it.choice.align = best[1]
    if ns.align is None and best[1] is not None:
        it.planned.append("align")
    if ns.size is None:
        it.planned.append("size")
    it.why = "a label-less region holds one namespace, the whole region (ndctl -f -e)"
    if ns.usable is not None and best[0] < ns.usable:
        problems.append(PlanProblem(
            r.name, ns.name, None, Cause.PLAN_USABLE_SHORT,
            f"{ns.name}: label-less region {r.name} ({short_size(r.size)}) gives at most "
            f"{short_size(best[0])} usable as {ns.mode}, {short_size(ns.usable)} asked",
            f"{ns.name} usable: {short_size(best[0])}", {f"{ns.name}.usable": best[0]}))


def _plan_labelled(ts: Sequence[_Target], platform: Platform, r: Region, items: List[_Item],
                   problems: List[PlanProblem], extra: Dict[str, int], floor: bool = False) -> None:
    """Pack the region from its start in list order (first-fit in creation order); shares
    take the valid size nearest to them, or (``floor``) the one below."""
    others = _others(platform, r)
    gr = 1
    for t in ts:
        gr = _lcm(gr, t.granule(r))
    limit = align_down(r.size, gr)
    rest = [it for it in items if not it.ns.exists and it.ns.size is None and it.ns.usable is None
            and (it.ns.share == "rest" or it.ns.share is None)]
    if len(rest) > 1:       # the first without a size is the rest; the others had no size either
        for it in rest[1:]:
            problems.append(PlanProblem(r.name, it.ns.name, None, Cause.PLAN_TWO_DEFAULT_SIZES,
                                        f"{it.ns.name}: no size, and {rest[0].ns.name} already takes the rest of {r.name}"))
        return
    rest_sizes: Dict[str, int] = {it.ns.name: 0 for it in rest}
    chosen_align: Dict[str, Optional[int]] = {}
    # pre-5.3 targets map whole sections: two namespaces sharing one conflict ("Conflicting
    # mapping in same section") or are padded; a namespace followed by another is grown to
    # end on a section boundary (the bytes stay usable: nothing is lost to padding)
    legacy_ss = max((t.p.section_size for t in ts if not t.p.subsection_hotplug), default=0)
    for _pass in range(4):
        cursor = 0
        for idx, it in enumerate(items):
            ns = it.ns
            if ns.offset is not None:
                if ns.offset < cursor:
                    problems.append(PlanProblem(r.name, ns.name, None, Cause.PLAN_OFFSET_ORDER,
                                                f"{ns.name}: offset {ns.offset:#x} is inside the namespaces before it "
                                                f"(they end at {cursor:#x}); namespaces land first-fit in creation order"))
                    return
                it.offset = ns.offset
            else:
                it.offset = align_up(cursor, gr)
                if "offset" not in it.planned:
                    it.planned.append("offset")
            start = r.start + it.offset
            if ns.name not in chosen_align:
                chosen_align[ns.name] = _pick_align(ts, r, it, start, others, limit)
            it.choice.align = chosen_align[ns.name]
            it.granule = _granule(ts, r, it.choice)
            g = it.granule
            if ns.exists or ns.size is not None:
                it.size = ns.size or 0
            elif ns.usable is not None:
                s = _min_size(ts, r, it.choice, start, ns.usable, g, others)
                it.size = (s if s is not None else align_up(ns.usable, g)) + extra.get(ns.name, 0)
                it.why = _why_usable(ts, r, it, start, others)
            elif ns.share is not None and ns.share != "rest":
                pct = float(ns.share[:-1])
                want = r.size * pct / 100
                it.size = max(g, (int(want // g) if floor else int(round(want / g))) * g)
                if ns.mode != "raw":
                    it.size = max(it.size, align_up(SZ_16M, g))
                it.why = (f"{ns.share} of {format_size(r.size)} is {format_size(int(want))}; the "
                          + ("multiple below" if floor else "nearest multiple")
                          + f" of {format_size(g)} (placement granule x align)"
                          + (": the nearest ones do not fit together" if floor else ""))
            else:
                it.size = rest_sizes[ns.name]
            if legacy_ss and idx < len(items) - 1 and it.size and not ns.exists and ns.size is None \
                    and ns.share != "rest" and items[idx + 1].ns.offset is None:
                it.size = _section_end(start, it.size, legacy_ss, it.granule)
                if "section" not in it.why:
                    it.why += f"; grown to end on a {format_size(legacy_ss)} section boundary for the pre-5.3 targets"
            cursor = it.offset + it.size
        used = sum(it.size for it in items if it.ns.name not in rest_sizes)
        gaps = cursor - sum(it.size for it in items)
        changed = False
        for it in rest:
            s = max(0, align_down(limit - used - gaps, it.granule))
            if s != rest_sizes[it.ns.name]:
                rest_sizes[it.ns.name] = s
                changed = True
            it.why = f"what the other namespaces leave of {r.name}, a multiple of {format_size(it.granule)}"
        if not changed:
            break
    for it in items:
        if it.ns.size is None and not it.ns.exists:
            it.planned.append("size")
    end = max((it.offset + it.size for it in items), default=0)
    for it in rest:
        if it.size < (SZ_16M if it.ns.mode != "raw" else it.granule):
            end = max(end, limit + 1)
    if end > limit:
        _capacity_problem(ts, r, items, end, limit, others, problems)


def _section_end(start: int, size: int, ss: int, g: int) -> int:
    """The smallest size >= ``size``, a multiple of ``g``, that ends on a section boundary
    (at most ss/gcd(ss, g) steps)."""
    end = align_up(start + size, ss)
    for _ in range(ss // gcd(ss, g) + 1):
        if (end - start) % g == 0:
            return end - start
        end += ss
    return size


def _pick_align(ts: Sequence[_Target], r: Region, it: _Item, start: int,
                others: Sequence[Tuple[int, int]], limit: int) -> Optional[int]:
    ns = it.ns
    cands = _align_candidates(ts, r, ns)
    if len(cands) == 1:
        if ns.align is None and cands[0] is not None:
            it.planned.append("align")
        return cands[0]
    best: Optional[Tuple[Tuple[int, int], Optional[int]]] = None
    for i, a in enumerate(cands):
        c = _Choice(ns.mode, ns.effective_map, a, ns.sector_size)
        g = _granule(ts, r, c)
        if ns.usable is not None:
            s = _min_size(ts, r, c, start, ns.usable, g, others)
            key = (s if s is not None else 1 << 80, i)
        else:
            size = ns.size or align_down(max(limit - (start - r.start), g), g)
            key = (-_min_usable(ts, r, c, start, size, others), i)
        if best is None or key < best[0]:
            best = (key, a)
    assert best is not None
    if ns.align is None and best[1] is not None:
        it.planned.append("align")
    return best[1]


def _why_usable(ts: Sequence[_Target], r: Region, it: _Item, start: int,
                others: Sequence[Tuple[int, int]]) -> str:
    c = it.choice
    what = {"sector": "the BTT (arenas, map, flog)", "raw": "nothing"}.get(
        c.mode, "the info block and struct pages (map=dev)" if c.map == "dev" else "the info block")
    return (f"smallest multiple of {format_size(it.granule)} whose usable size on every target is at least "
            f"{format_size(it.ns.usable or 0)}: {what} and the align take the difference")


def _capacity_problem(ts: Sequence[_Target], r: Region, items: List[_Item], end: int, limit: int,
                      others: Sequence[Tuple[int, int]], problems: List[PlanProblem]) -> None:
    over = end - limit
    msg = (f"{r.name} holds {short_size(limit)} for namespaces (its size {short_size(r.size)} in "
           f"{format_size(max(it.granule for it in items) if items else 1)} steps); the namespaces need "
           f"{short_size(end)}")
    nearest, changes = "", {}
    for it in reversed(items):
        ns = it.ns
        if ns.usable is None and (ns.share is None or ns.share == "rest"):
            continue
        s = align_down(it.size - over, it.granule)
        if s <= 0:
            continue
        u = _min_usable(ts, r, it.choice, r.start + it.offset, s, others)
        if u <= 0:
            continue
        if ns.usable is not None:
            nearest, changes = f"{ns.name} usable: {short_size(u)} ({u})", {f"{ns.name}.usable": u}
        else:
            nearest, changes = f"{ns.name} size: {short_size(s)} ({s})", {f"{ns.name}.size": s}
        break
    problems.append(PlanProblem(r.name, None, None, Cause.PLAN_NO_ROOM, msg, nearest, changes))


def _region_align(ts: Sequence[_Target], r: Region) -> Optional[int]:
    """A region align to write for a label-less region whose size is not a multiple of the
    5.7+ default (16M): ndctl refuses the whole-region size otherwise ("align setting is …
    size … is misaligned", observed on 6.1: e820_unaligned_100M).  The largest power of two
    that divides the size; written only where regionX/align exists (v5.7 2522afb86a8c) --
    older kernels have neither the file nor the check."""
    if r.labelled or r.align is not None or not r.namespaces or r.namespaces[0].exists:
        return None
    need = None
    for t in ts:
        attr = t.p.default_region_align(r.size, r.interleave_ways)
        if attr is not None and r.size % attr:
            a = r.size & -r.size
            if a >= t.p.page_size * r.interleave_ways:
                need = min(need or a, a, attr)
    return need


def _concrete(platform: Platform, kernels: List[str], items: Dict[str, _Item],
              region_aligns: Dict[str, int]) -> Platform:
    regions = []
    for r in platform.regions:
        nss = []
        for ns in r.namespaces:
            it = items[ns.name]
            ch: Dict[str, Any] = {"usable": None, "share": None, "size": it.size, "offset": it.offset}
            if ns.mode in ("fsdax", "devdax"):
                ch["map"] = it.choice.map
                ch["align"] = it.choice.align
            nss.append(ns.replace(**ch))
        regions.append(r.replace(namespaces=nss, align=region_aligns.get(r.name, r.align)))
    return platform.replace(regions=regions, targets=list(kernels))


def plan_platform(platform: Platform, kernels: Sequence[str] = (), *,
                  legacy_cost: bool = True) -> Plan:
    """Plan ``platform`` (an intent or a concrete platform) for ``kernels`` (see
    :func:`target_kernels`).  Pure; runs the engine once per target per round."""
    names = target_kernels(platform, kernels)
    ts = [_Target(platform, k) for k in names]
    extra: Dict[str, int] = {}
    results: Dict[str, LayoutResult] = {}
    for _round in range(_ROUNDS):
        problems: List[PlanProblem] = []
        items: Dict[str, _Item] = {}
        for r in platform.regions:
            its = [_Item(ns, r) for ns in r.namespaces]
            for it in its:
                items[it.ns.name] = it
            if not its:
                continue
            if r.labelled:
                before = len(problems)
                _plan_labelled(ts, platform, r, its, problems, extra)
                if any(p.cause == Cause.PLAN_NO_ROOM for p in problems[before:]) and \
                        any(it.ns.share not in (None, "rest") for it in its):
                    # shares rounded to the nearest valid size overflow: round them down
                    del problems[before:]
                    its = [_Item(ns, r) for ns in r.namespaces]
                    for it in its:
                        items[it.ns.name] = it
                    _plan_labelled(ts, platform, r, its, problems, extra, floor=True)
            else:
                _plan_labelless(ts, platform, r, its[0], problems)
        region_aligns = {r.name: a for r in platform.regions for a in (_region_align(ts, r),) if a}
        concrete = _concrete(platform, names, items, region_aligns)
        if problems:
            break
        results = {t.name: run_engine(concrete, t.kv, verify=False, sections=False, fixes=False) for t in ts}
        bumped = False
        for it in items.values():
            ns = it.ns
            if ns.usable is None:
                continue
            short = max(ns.usable - (results[t.name].namespace(ns.name).usable_size or 0) for t in ts
                        if results[t.name].namespace(ns.name).status == "enabled") if any(
                results[t.name].namespace(ns.name).status == "enabled" for t in ts) else 0
            if short > 0:
                extra[ns.name] = extra.get(ns.name, 0) + align_up(short, it.granule)
                bumped = True
        if not bumped:
            problems.extend(_engine_problems(ts, items, results))
            break
    plan_nss = []
    for r in platform.regions:
        for ns in r.namespaces:
            it = items[ns.name]
            pn = PlannedNamespace(ns.name, r.name, ns.mode, it.choice.map if ns.mode in ("fsdax", "devdax") else None,
                                  it.choice.align if ns.mode in ("fsdax", "devdax") else None,
                                  it.size, it.offset, r.start + it.offset, it.requested, list(it.planned),
                                  it.why, ns.usable, it.granule)
            for k, res in results.items():
                nr = res.namespace(ns.name)
                pn.usable[k] = nr.usable_size if nr.status == "enabled" else None
                pn.lost[k] = sum(nr.lost.values())
            plan_nss.append(pn)
    plan = Plan(platform, concrete, names, plan_nss, results, problems, region_aligns=region_aligns)
    if legacy_cost and not problems:
        plan.legacy_cost = _legacy_cost(platform, plan)
    return plan


def _engine_problems(ts: Sequence[_Target], items: Dict[str, _Item],
                     results: Dict[str, LayoutResult]) -> List[PlanProblem]:
    out: List[PlanProblem] = []
    for it in items.values():
        ns = it.ns
        bad = [t for t in ts if results[t.name].namespace(ns.name).status not in ("enabled", "disabled")]
        good = [t.name for t in ts if t not in bad]
        for t in bad:
            nr = results[t.name].namespace(ns.name)
            err = nr.error
            assert err is not None and err.cause is not None     # every refusal carries its cause
            cause = err.cause
            msg = f"{ns.name} on {t.name}: {nr.status} by {err.origin}: {err.message}"
            out.append(PlanProblem(it.r.name, ns.name, t.name, cause, msg,
                                   f"works on {', '.join(good)}" if good else "", {}, good))
        if not bad and ns.usable is not None:
            got = min((results[t.name].namespace(ns.name).usable_size or 0) for t in ts)
            if got < ns.usable:
                out.append(PlanProblem(it.r.name, ns.name, None, Cause.PLAN_USABLE_SHORT,
                                       f"{ns.name}: {short_size(got)} usable, {short_size(ns.usable)} asked",
                                       f"{ns.name} usable: {short_size(got)}", {f"{ns.name}.usable": got}))
    return out


def _legacy_cost(platform: Platform, plan: Plan) -> Optional[Dict[str, Any]]:
    """What the pre-5.3 targets cost: the plan for the 5.3+ targets alone, compared."""
    old = [k for k in plan.kernels if not KernelVersion.parse(k).at_least(5, 3)]
    new = [k for k in plan.kernels if k not in old]
    if not old or not new:
        return None
    alone = plan_platform(platform, new, legacy_cost=False)
    if not alone.ok:
        return None
    raw = sum(n.size for n in plan.namespaces) - sum(n.size for n in alone.namespaces)
    return {"pre_5_3": old, "without": new, "raw_extra": raw,
            "lost": {k: plan.cost(k) for k in old},
            "lost_without": {k: alone.cost(k) for k in new}}


def apply_nearest(platform: Platform, problems: Sequence[PlanProblem]) -> Optional[Platform]:
    """The intent with each problem's nearest alternative applied (None: none to apply)."""
    changes: Dict[str, Dict[str, Any]] = {}
    for p in problems:
        for key, v in p.nearest_changes.items():
            name, attr = key.rsplit(".", 1)
            changes.setdefault(name, {})[attr] = v
    if not changes:
        return None
    regions = []
    for r in platform.regions:
        nss = []
        for ns in r.namespaces:
            ch = changes.get(ns.name)
            if ch and "size" in ch:
                ch = dict(ch, share=None, usable=None)
            nss.append(ns.replace(**ch) if ch else ns)
        regions.append(r.replace(namespaces=nss))
    return platform.replace(regions=regions)
