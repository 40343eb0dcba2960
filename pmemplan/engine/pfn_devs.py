"""The pfn/dax info block: drivers/nvdimm/pfn_devs.c ``nd_pfn_init()`` per era.

Formulas: docs/kernel-model.md §6; era C confirmed by 98 info blocks observed on
Linux 6.1.  ``dataoff`` is measured from ``start + start_pad``; the data (what ndctl
lists as the namespace size) is ``[start + start_pad + dataoff, end - end_trunc)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple, Union

from ..causes import Cause
from ..sizes import align_down, align_up
from .arch import SUBSECTION_SIZE, ArchProfile
from .legacy import legacy_rules
from .memory import REGION_MIXED, KernelError

SZ_8K = 8192
_DAX_LABEL_RESERVE = 128 * 1024   # ≤5.0 devdax only (docs/kernel-model.md §2.1)
_STRUCT_PAGE = 64                 # MAX_STRUCT_PAGE_SIZE: the memmap budget of every era
PFN_SIG, DAX_SIG = "NVDIMM_PFN_INFO", "NVDIMM_DAX_INFO"


@dataclass
class InfoBlock:
    """``struct nd_pfn_sb`` as nd_pfn_init() writes it, plus the runtime mapping."""
    signature: str
    dataoff: int
    npfns: int
    start_pad: int
    end_trunc: int
    align: int            # the user-visible align, as recorded
    version_minor: int
    mode: str             # "dev" (PFN_MODE_PMEM) | "mem" (PFN_MODE_RAM)
    page_size: int
    page_struct_size: int
    layout_align: int     # the alignment A the layout used
    memmap_budget: int    # 64 · n0: bytes reserved for struct pages (map=dev)
    info_reserve: int     # info-block area before the memmap
    usable_size: int      # sysfs size: what ndctl list shows
    map_start: int        # pgmap range mapped by devm_memremap_pages()
    map_end: int
    altmap_base: Optional[int]
    messages: Tuple[str, ...] = ()
    # pre-5.3 map=dev: the altmap hands out [map_start + altmap_head, map_start + dataoff)
    # for the memmap of the hot-added (section-widened) range (__nvdimm_setup_pfn())
    altmap_head: int = 0

    def to_dict(self) -> dict:
        return {"dataoff": self.dataoff, "npfns": self.npfns, "start_pad": self.start_pad,
                "end_trunc": self.end_trunc, "align": self.align,
                "version_minor": self.version_minor}


RamCheck = Callable[[int, int], int]   # region_intersects(System RAM) on [start, end)
OtherRegions = Sequence[Tuple[int, int]]


def nd_pfn_init(p: ArchProfile, *, name: str, start: int, size: int, devdax: bool, map: str,
                align: int, ram: RamCheck, other_regions: OtherRegions) -> Union[InfoBlock, KernelError]:
    """Lay out a new info block for namespace ``name`` = [start, start+size)."""
    k = p.kernel
    # v5.3 a3619190d62e "libnvdimm/pfn: Stop padding pmem namespaces to section alignment"
    if k.at_least(5, 3):
        return _init_subsection_era(p, name, start, size, devdax, map, align)
    return _init_section_era(p, name, start, size, devdax, map, align, ram, other_regions)


def _init_subsection_era(p: ArchProfile, name: str, start: int, size: int, devdax: bool,
                         map: str, align: int) -> Union[InfoBlock, KernelError]:
    """Eras B (5.3–5.6) and C (5.7+): no start_pad, end trimmed to A."""
    k = p.kernel
    ps = p.page_size
    if p.compat_align is not None:
        # v5.7 "libnvdimm/pfn: Prevent raw mode fallback if pfn-infoblock valid"
        # and memremap_compat_align() (9ffc1d19fc4a): refuse before any layout.
        if start % p.compat_align:
            return KernelError("EINVAL", f"{name}: start {start:#018x} misaligned to {p.compat_align:#x}",
                               Cause.COMPAT_MISALIGNED)
        A = max(align, p.compat_align)
    else:
        A = max(align, SUBSECTION_SIZE)
    end = start + size
    # v5.3-rc8 274b924088e9 "libnvdimm/pfn: Fix namespace creation on misaligned
    # addresses" restored end_trunc; 5.3-rc1..rc7 wrote none.
    end_trunc = end - align_down(end, A) if k.at_least(5, 3, rc=8) else 0
    n0 = (size - SZ_8K) // ps
    if map == "dev":
        offset = align_up(start + SZ_8K + _STRUCT_PAGE * n0, A) - start
        budget = _STRUCT_PAGE * n0
    else:
        offset = align_up(start + SZ_8K, A) - start
        budget = 0
    # 6.1 (observed) refuses only offset >= size; the current source refuses
    # offset >= size - end_trunc ("This results in zero size devices"), version not
    # pinned: applied from 6.2 on.
    limit = size - end_trunc if k.at_least(6, 2) else size
    if offset >= limit:
        return KernelError("ENXIO", f"{name} unable to satisfy requested alignment", Cause.CANNOT_ALIGN)
    npfns = (size - offset - end_trunc) // ps
    # 5.4 added page_size/page_struct_size to the superblock (minor 4); 5.3 wrote 3
    # ("libnvdimm/pfn: Fix fsdax-mode namespace info-block zero-fields")
    minor = 4 if k.at_least(5, 4) else 3
    return InfoBlock(signature=DAX_SIG if devdax else PFN_SIG, dataoff=offset, npfns=npfns,
                     start_pad=0, end_trunc=end_trunc, align=align, version_minor=minor,
                     mode=map, page_size=ps, page_struct_size=_STRUCT_PAGE, layout_align=A,
                     memmap_budget=budget, info_reserve=SZ_8K, usable_size=npfns * ps,
                     map_start=start, map_end=end - end_trunc,
                     altmap_base=(start - start % SUBSECTION_SIZE) if map == "dev" else None)


def _init_section_era(p: ArchProfile, name: str, start: int, size: int, devdax: bool, map: str,
                      align: int, ram: RamCheck, other_regions: OtherRegions) -> Union[InfoBlock, KernelError]:
    """Before 5.3: pad to whole sections on a collision (docs/kernel-model.md §6.2).

    The switches between 4.9 and 5.2, per release and stable point release, are in
    engine/legacy.py.  ``other_regions`` are the other regions *on the same nvdimm bus*
    (nd_region_conflict() walks the children of the region's bus only).
    """
    rules = legacy_rules(p.kernel)
    ss = p.section_size
    ps = p.page_size
    end = start + size

    def sec_down(x: int) -> int:
        return x - x % ss

    def conflict(lo: int, hi: int) -> bool:
        # nd_region_conflict(): another region holds lo, or hi falls in (its start, its end]
        return any(s <= lo < e or s < hi <= e for s, e in other_regions)

    def trunc_to(x: int) -> int:
        # phys_pmem_align_down() (4.14+); before, PHYS_SECTION_ALIGN_DOWN()
        return min(sec_down(x), align_down(x, align)) if rules.align_trunc else sec_down(x)

    start_pad = end_trunc = 0
    if rules.region_pad:
        # trim_pfn_device() (ae86cbfef381)
        if ram(sec_down(start), end) == REGION_MIXED or conflict(sec_down(start), end):
            start_pad = align_up(start, ss) - start
        adjust = align_up(end, ss) - end
        hi = align_up(end, ss) + (adjust if rules.overtrim else 0)
        if ram(start, align_up(end, ss)) == REGION_MIXED or end % align or conflict(start, hi):
            end_trunc = end - trunc_to(end)
    else:
        # nd_pfn_init() before trim_pfn_device(): the start check spans
        # [SECTION_DOWN(start), SECTION_DOWN(start) + size), System RAM only
        if ram(sec_down(start), sec_down(start) + size) == REGION_MIXED:
            start_pad = align_up(start, ss) - start
        if ram(start, align_up(end, ss)) == REGION_MIXED or (rules.align_trunc and end % align):
            end_trunc = end - trunc_to(end)
    s1 = start + start_pad
    avail = size - start_pad - end_trunc
    if rules.reserve_ibr:
        reserve, dax_reserve = p.info_block_reserve, 0       # info_block_reserve()
    else:
        reserve, dax_reserve = SZ_8K, (_DAX_LABEL_RESERVE if devdax else 0)
    if rules.section_npfns:
        n0 = align_up(max(avail - reserve, 0) // ps, ss // ps)   # PFN_SECTION_ALIGN_UP pages
    else:
        n0 = max(avail - SZ_8K, 0) // 4096
    if map == "dev":
        A = max(align, p.pmd_size) if rules.pmd_align else align
        budget = _STRUCT_PAGE * n0
        offset = align_up(s1 + reserve + budget + dax_reserve, A) - s1
    else:
        A = align
        budget = 0
        offset = align_up(s1 + reserve + dax_reserve, A) - s1
    if offset + start_pad + end_trunc >= size:
        return KernelError("ENXIO", f"{name} unable to satisfy requested alignment", Cause.CANNOT_ALIGN)
    npfns = (size - offset - start_pad - end_trunc) // 4096  # stored in SZ_4K units pre-5.3
    messages: List[str] = []
    if start_pad or end_trunc:
        word = "alignment" if rules.align_trunc else "section"
        messages.append(f"{name} {word} collision, truncate {start_pad + end_trunc} bytes")
    usable = align_down(size - start_pad - end_trunc - offset, ps)
    return InfoBlock(signature=DAX_SIG if devdax else PFN_SIG, dataoff=offset, npfns=npfns,
                     start_pad=start_pad, end_trunc=end_trunc, align=align,
                     version_minor=rules.version_minor,
                     mode=map, page_size=ps, page_struct_size=_STRUCT_PAGE, layout_align=A,
                     memmap_budget=budget, info_reserve=reserve + dax_reserve, usable_size=usable,
                     map_start=s1, map_end=end - end_trunc,
                     altmap_base=(s1 - s1 % ss) if map == "dev" else None,
                     messages=tuple(messages), altmap_head=reserve if map == "dev" else 0)
