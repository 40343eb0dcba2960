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


# -- an info block already on the media: nd_pfn_validate() and __nvdimm_setup_pfn() ------
#
# At every enable (every boot) the pmem driver probes a namespace for an existing block
# (nd_pfn_probe()/nd_dax_probe() -> nd_pfn_validate()) and, when one is found, uses it as
# written: it is never re-laid out for the namespace's current address.  Checks in the order
# of drivers/nvdimm/pfn_devs.c nd_pfn_validate() (read at torvalds/linux 47d154eb2ac4, the
# current file, and 03dca343afe0, ~v4.9; era notes in docs/kernel-model.md §6.6).

@dataclass
class StoredBlock:
    """``struct nd_pfn_sb`` as it sits on the media (the fields validation reads)."""
    signature: str          # "pfn" (NVDIMM_PFN_INFO, fsdax) | "dax" (NVDIMM_DAX_INFO, devdax)
    dataoff: int
    npfns: int
    start_pad: int
    end_trunc: int
    align: int
    version_minor: int
    page_size: int
    page_struct_size: int
    source: str = "info_block"   # "info_block" | "created_by" | "assumed"
    written_by: Optional[str] = None   # the kernel that wrote it (created_by / assumed)
    written_at: Optional[int] = None   # the physical start it was written at

    def to_dict(self) -> dict:
        return {"mode": self.signature, "dataoff": self.dataoff, "npfns": self.npfns,
                "start_pad": self.start_pad, "end_trunc": self.end_trunc, "align": self.align,
                "version_minor": self.version_minor, "page_size": self.page_size,
                "page_struct_size": self.page_struct_size, "source": self.source,
                "written_by": self.written_by, "written_at": self.written_at}


def stored_from_init(ib: InfoBlock, *, source: str, written_by: str, written_at: int) -> StoredBlock:
    """The block nd_pfn_init() wrote (``ib``), as it stays on the media."""
    return StoredBlock("dax" if ib.signature == DAX_SIG else "pfn", ib.dataoff, ib.npfns,
                       ib.start_pad, ib.end_trunc, ib.align, ib.version_minor, ib.page_size,
                       ib.page_struct_size, source, written_by, written_at)


# sizeof(struct page) on the kernels modelled (production configs): 64 bytes
_SIZEOF_STRUCT_PAGE = 64


def _ilog2_pow(x: int) -> int:
    return 1 << (x.bit_length() - 1) if x > 0 else 0


def nd_pfn_validate(p: ArchProfile, sb: StoredBlock, *, ns_name: str, start: int,
                    size: int, map: str) -> Union[StoredBlock, KernelError]:
    """Validate stored block ``sb`` for namespace [start, start+size) under kernel ``p.kernel``.

    Returns the block as the kernel then uses it (version fix-ups applied) or the
    refusal: errno and the dev_err text (printed on the probing pfnX.Y / daxX.Y device).
    """
    k = p.kernel
    # v5.7 "libnvdimm/pfn: Prevent raw mode fallback if pfn-infoblock valid": every check
    # after the block proved self-consistent returns -EOPNOTSUPP (the namespace stays
    # disabled); before, -EINVAL / -EBUSY / -ENXIO (and the pmem driver fell back to raw)
    v57 = k.at_least(5, 7)
    start_pad, end_trunc, align = sb.start_pad, sb.end_trunc, sb.align
    page_size, psize = sb.page_size, sb.page_struct_size
    # version fix-ups (nd_pfn_validate): minor < 1 had no padding fields, minor < 2 no
    # align (v4.5 315c562536c4 "libnvdimm, pfn: add 'align' attribute, default to
    # HPAGE_SIZE"), minor < 4 no page_size / page_struct_size (v5.4, the pfn-superblock
    # page-size fields; commit not pinned, docs/kernel-model.md §6.6)
    if sb.version_minor < 1:
        start_pad = end_trunc = 0
    if sb.version_minor < 2:
        align = 0
    if sb.version_minor < 4 and k.at_least(5, 4):
        psize, page_size = _STRUCT_PAGE, p.page_size
    if align == 0:
        # v4.7 1ee6667cd8d1 "libnvdimm, pfn, dax: fix initialization vs autodetect for
        # mode + alignment": an unrecorded align is the largest power of two <= dataoff
        align = _ilog2_pow(sb.dataoff)
    used = StoredBlock(sb.signature, sb.dataoff, sb.npfns, start_pad, end_trunc, align,
                       sb.version_minor, page_size, psize, sb.source, sb.written_by, sb.written_at)
    if k.at_least(5, 4):
        # v5.4 (the page-size superblock fields): a block written for larger pages, or for
        # a bigger struct page, cannot host this kernel's memmap (map=dev only)
        if map == "dev" and page_size > p.page_size:
            return KernelError("EOPNOTSUPP", f"init failed, page size mismatch {page_size}",
                               Cause.STORED_PAGE_SIZE)
        if map == "dev" and psize < _SIZEOF_STRUCT_PAGE:
            return KernelError("EOPNOTSUPP", f"init failed, struct page size mismatch {psize}",
                               Cause.STORED_PAGE_SIZE)
        # v5.4 nd_supported_alignment() (same series): devdax blocks only
        if sb.signature == "dax" and align not in p.supported_alignments():
            return KernelError("EOPNOTSUPP", f"init failed, alignment mismatch: "
                                             f"{p.default_pfn_align()}:{align}", Cause.STORED_ALIGN_UNSUPPORTED)
    if align > size:
        return KernelError("EOPNOTSUPP" if v57 else "EINVAL",
                           f"alignment: {align:x} exceeds capacity {size:x}", Cause.STORED_CAPACITY)
    if sb.dataoff >= size:
        return KernelError("EOPNOTSUPP" if v57 else "EBUSY",
                           f"pfn array size exceeds capacity of {ns_name}", Cause.STORED_CAPACITY)
    # the data start must still be a multiple of the recorded align (since v4.7
    # 1ee6667cd8d1; the absolute address with start_pad since v5.0)
    if (align and (start + sb.dataoff + start_pad) % align) or sb.dataoff % p.page_size:
        return KernelError("EOPNOTSUPP" if v57 else "ENXIO",
                           f"bad offset: {sb.dataoff:#x} dax disabled align: {align:#x}",
                           Cause.STORED_BAD_OFFSET)
    if p.compat_align is not None:
        # v5.7 (memremap_compat_align(), 9ffc1d19fc4a and the libnvdimm-for-5.7 pull)
        if (start + start_pad) % p.compat_align:
            return KernelError("EOPNOTSUPP", "resource start misaligned", Cause.STORED_MISALIGNED)
        if (start + size - end_trunc) % p.compat_align:
            return KernelError("EOPNOTSUPP", "resource end misaligned", Cause.STORED_MISALIGNED)
    # current source, version not pinned: applied from 6.2 on like the matching creation
    # check in _init_subsection_era ("This results in zero size devices")
    if k.at_least(6, 2) and sb.dataoff >= size - start_pad - end_trunc:
        return KernelError("EOPNOTSUPP", "bad offset with small namespace", Cause.STORED_CAPACITY)
    return used


def setup_stored_pfn(p: ArchProfile, sb: StoredBlock, *, start: int, size: int,
                     map: str) -> Union[InfoBlock, KernelError]:
    """__nvdimm_setup_pfn(): the mapping a validated block gives (nothing is rewritten).

    The pgmap range is [start + start_pad, end - end_trunc); the data (the sysfs size of
    the pfn/dax device, pfn_devs.c size_show()) is what follows dataoff in it.  A block
    written with ≤5.2 padding keeps its start_pad/end_trunc under every later kernel, so
    its usable size does not grow.
    """
    k = p.kernel
    reserve = p.info_block_reserve if k.at_least(5, 1) else SZ_8K
    end = start + size
    map_start, map_end = start + sb.start_pad, end - sb.end_trunc
    if map == "mem" and sb.dataoff < reserve:
        return KernelError("EINVAL", "info block offset below the info-block reserve",
                           Cause.STORED_CAPACITY)
    usable = max(map_end - map_start - sb.dataoff, 0)
    # the memmap of map=dev sits between the info-block reserve and dataoff
    budget = max(min(_STRUCT_PAGE * (usable // p.page_size), sb.dataoff - reserve), 0) if map == "dev" else 0
    if k.at_least(5, 3):
        altmap = map_start - map_start % SUBSECTION_SIZE      # SUBSECTION_ALIGN_DOWN (5.3)
    else:
        altmap = map_start - map_start % p.section_size       # PFN_SECTION_ALIGN_DOWN
    return InfoBlock(signature=DAX_SIG if sb.signature == "dax" else PFN_SIG, dataoff=sb.dataoff,
                     npfns=sb.npfns, start_pad=sb.start_pad, end_trunc=sb.end_trunc, align=sb.align,
                     version_minor=sb.version_minor, mode=map, page_size=p.page_size,
                     page_struct_size=sb.page_struct_size, layout_align=sb.align,
                     memmap_budget=budget, info_reserve=reserve, usable_size=usable,
                     map_start=map_start, map_end=map_end,
                     altmap_base=altmap if map == "dev" else None)
