"""Hot-plug and ZONE_DEVICE mapping: mm/memory_hotplug.c and mm/memremap.c.

``MemoryState`` holds what those files consult: the sparsemem section table
(:mod:`.sparse`), the registered dev_pagemaps, and the System RAM resources of
/proc/iomem.  Functions are named as the kernel names them.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from typing import List, Optional, Tuple

from ..causes import Cause
from ..result import KernelError
from .arch import ArchProfile
from .legacy import legacy_rules
from .sparse import SparseMap

REGION_DISJOINT, REGION_INTERSECTS, REGION_MIXED = 0, 1, 2

ERRNO = {"EPERM": 1, "ENOENT": 2, "ENXIO": 6, "ENOMEM": 12, "EBUSY": 16, "EEXIST": 17,
         "ENODEV": 19, "EINVAL": 22, "ENOSPC": 28, "EOPNOTSUPP": 95}


def pr_range(start: int, end: int) -> str:
    """``%pr`` of an IORESOURCE_MEM resource [start, end)."""
    return f"[mem {start:#010x}-{end - 1:#010x} flags 0x200]"


class MemoryState:
    """What the hot-plug core knows at one moment of a boot."""

    def __init__(self, profile: ArchProfile, system_ram: List[Tuple[int, int]]) -> None:
        self.profile = profile
        self.sparse = SparseMap(profile.section_size, profile.subsection_size)
        self._ram: List[Tuple[int, int]] = sorted(system_ram)
        self._pgmaps: List[Tuple[int, int, str]] = []   # registered ranges [start, end)
        # the "attempted on … region" WARN_ONCE has printed in this boot
        self.ram_warned = False
        for s, e in self._ram:
            self.sparse.subsection_map_init(s, e)

    def state_size(self) -> int:
        """Stored objects: section runs and bitmaps, pgmaps, System RAM resources."""
        return self.sparse.state_size() + len(self._pgmaps) + len(self._ram)

    # -- kernel/resource.c ----------------------------------------------------------
    def region_intersects_system_ram(self, start: int, end: int) -> int:
        """region_intersects(start, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE)."""
        i = bisect_right(self._ram, (start, 1 << 80)) - 1
        i = max(i, 0)
        covered = 0
        while i < len(self._ram) and self._ram[i][0] < end:
            s, e = self._ram[i]
            lo, hi = max(s, start), min(e, end)
            if hi > lo:
                covered += hi - lo
            i += 1
        if covered == 0:
            return REGION_DISJOINT
        return REGION_INTERSECTS if covered == end - start else REGION_MIXED

    def add_system_ram(self, start: int, end: int) -> None:
        """kmem: the hot-added range becomes "System RAM (kmem)" in iomem."""
        insort(self._ram, (start, end))

    # -- mm/memremap.c: get_dev_pagemap() -------------------------------------------
    def get_dev_pagemap(self, addr: int) -> Optional[str]:
        i = bisect_right(self._pgmaps, (addr, 1 << 80, "")) - 1
        if i >= 0 and self._pgmaps[i][0] <= addr < self._pgmaps[i][1]:
            return self._pgmaps[i][2]
        return None

    def pgmap_overlapping(self, start: int, end: int) -> Optional[str]:
        """The owner of a registered pgmap overlapping [start, end), if any."""
        i = bisect_left(self._pgmaps, (end, 0, "")) - 1
        if i >= 0 and self._pgmaps[i][1] > start:
            return self._pgmaps[i][2]
        return None

    def _register_pgmap(self, start: int, end: int, owner: str) -> None:
        insort(self._pgmaps, (start, end, owner))

    def _unregister_pgmap(self, start: int, end: int, owner: str) -> None:
        i = bisect_left(self._pgmaps, (start, end, owner))
        if i < len(self._pgmaps) and self._pgmaps[i] == (start, end, owner):
            del self._pgmaps[i]


# -- mm/memory_hotplug.c ----------------------------------------------------------

def check_pfn_span(profile: ArchProfile, start: int, size: int) -> Optional[KernelError]:
    """check_pfn_span() (v5.3): start and size must be sub-section multiples.

    The WARN text carries a literal ``#%lx`` typo in 5.3..5.9; later kernels print
    ``Misaligned __add_pages start: %#lx end: %#lx`` via ``__func__`` (version of the
    fix believed 5.10, not pinned).
    """
    gran = profile.subsection_size
    if start % gran == 0 and size % gran == 0:
        return None
    ps = profile.page_size
    pfn, last = start // ps, (start + size) // ps - 1
    if profile.kernel.at_least(5, 10):
        text = f"Misaligned __add_pages start: {pfn:#x} end: {last:#x}"
    else:
        text = f"Misaligned __add_pages start: {pfn:#x} end: #{last:x}"
    return KernelError("EINVAL", text, Cause.PFN_SPAN)


def arch_add_memory(mem: MemoryState, start: int, size: int,
                    altmap_base: Optional[int]) -> Optional[KernelError]:
    """arch_add_memory() → __add_pages() for a ZONE_DEVICE range.

    ≤5.2: whole sections, already-present ones silently reused (the EEXIST hack).
    5.3+ ("mm/sparsemem: support sub-section hotplug", ba72b4c8cf60): altmap check,
    check_pfn_span(), then sparse_add_section() per section, stopping at the first
    error without undoing the sections added before it (as the kernel does).
    """
    p = mem.profile
    if not p.subsection_hotplug:
        mem.sparse.add_sections_ignore_existing(start, start + size)
        return None
    if altmap_base is not None and altmap_base != start:
        return KernelError("EINVAL", "memory add fail, invalid altmap", Cause.ALTMAP_INVALID)
    err = check_pfn_span(p, start, size)
    if err:
        return err
    hit = mem.sparse.section_activate(start, start + size)
    if hit:
        nr = hit[1]
        return KernelError("EEXIST", f"sparse_add_section: section {nr:#x} "
                           f"({nr * p.section_size:#x}) already has one of the requested sub-sections",
                           Cause.SUBSECTION_BUSY)
    return None


def arch_remove_memory(mem: MemoryState, start: int, size: int) -> Optional[str]:
    """__remove_pages() → sparse_remove_section(); returns the WARN text on misuse."""
    if not mem.profile.subsection_hotplug:
        ss = mem.profile.section_size
        a = start - start % ss
        b = -(-(start + size) // ss) * ss
        return mem.sparse.section_deactivate(a, b)
    return mem.sparse.section_deactivate(start, start + size)


# -- mm/memremap.c ------------------------------------------------------------------

def _section_expand(p: ArchProfile, start: int, end: int) -> Tuple[int, int]:
    ss = p.section_size
    return start - start % ss, -(-end // ss) * ss


def devm_memremap_pages(mem: MemoryState, dev: str, start: int, end: int,
                        altmap_base: Optional[int],
                        altmap_room: Optional[Tuple[int, int]] = None) -> Optional[KernelError]:
    """Map [start, end) with struct pages (ZONE_DEVICE), as the pmem driver does.

    Checks in kernel order (docs/kernel-model.md §5.1).  From v5.3 ("mm/devm_memremap_pages:
    enable sub-section remap") everything uses the exact range.  Before, the System RAM
    check and the hot-add use the range widened to whole sections, and the pgmap
    bookkeeping changed three times (engine/legacy.py): up to 4.13 it is keyed by section
    (a second mapping in a section: -EBUSY "collides with mapping"); from 4.14 the pgmap
    is registered on the exact range; from 4.18 a pgmap at the first or last pfn of the
    widened range is refused ("Conflicting mapping in same section", -ENOMEM).  So on
    4.18-5.2 a second namespace in a shared section is refused only when the first one's
    exact range holds one of those two pfns (observed on Linux 5.2.1).
    """
    p = mem.profile
    if not p.subsection_hotplug:
        return _devm_memremap_pages_legacy(mem, dev, start, end, altmap_room)
    for addr in (start, end - 1):
        if mem.get_dev_pagemap(addr) is not None:
            return KernelError("ENOMEM", "Conflicting mapping in same section",   # dev_WARN(dev, …)
                               Cause.SECTION_CONFLICT)
    is_ram = mem.region_intersects_system_ram(start, end)
    if is_ram != REGION_DISJOINT:
        # the check moved into memremap_pages() when devm_memremap_pages() became its
        # devres wrapper (v5.10, "mm/memremap_pages: convert to 'struct range'")
        fn = "devm_memremap_pages" if not p.kernel.at_least(5, 10) else "memremap_pages"
        kind = "mixed" if is_ram == REGION_MIXED else "ram"
        return KernelError("ENXIO", f"{fn} attempted on {kind} region {pr_range(start, end)}",
                           Cause.RAM_OVERLAP)
    err = arch_add_memory(mem, start, end - start, altmap_base)
    if err:
        return err
    mem._register_pgmap(start, end, dev)
    return None


def _altmap_fits(p: ArchProfile, lo: int, hi: int, room: Tuple[int, int]) -> bool:
    """Pre-5.3 map=dev: vmemmap_populate() takes the memmap of every hot-added section
    [lo, hi) from the altmap in PMD-sized blocks, the first one PMD-aligned after the
    reserved head (altmap_alloc_block_buf()); an exhausted altmap is -ENOMEM, with no
    fallback to RAM.  The info block sized its memmap for the data, so a range that starts
    mid-section and ends past a section boundary can need one section more (observed on
    5.2.1: 256M at 7G+4K needs 3 sections of memmap, 2 were reserved)."""
    per_section = p.section_size // p.page_size * 64
    need = -(-((hi - lo) // p.section_size * per_section) // p.pmd_size) * p.pmd_size
    first = -(-room[0] // p.pmd_size) * p.pmd_size
    return first + need <= room[1]


def _devm_memremap_pages_legacy(mem: MemoryState, dev: str, start: int, end: int,
                                altmap_room: Optional[Tuple[int, int]] = None) -> Optional[KernelError]:
    p = mem.profile
    rules = legacy_rules(p.kernel)
    lo, hi = _section_expand(p, start, end)
    if rules.section_conflict:
        for addr in (lo, hi - 1):
            if mem.get_dev_pagemap(addr) is not None:
                return KernelError("ENOMEM", "Conflicting mapping in same section",   # dev_WARN(dev, …)
                                   Cause.SECTION_CONFLICT)
    is_ram = mem.region_intersects_system_ram(lo, hi)
    if is_ram != REGION_DISJOINT:
        kind = "mixed" if is_ram == REGION_MIXED else "ram"
        return KernelError("ENXIO", f"devm_memremap_pages attempted on {kind} region {pr_range(start, end)}",
                           Cause.RAM_OVERLAP)
    if rules.pgmap_exact:
        reg = (start, end)
    else:
        other = mem.pgmap_overlapping(lo, hi)
        if other is not None:
            return KernelError("EBUSY", f"devm_memremap_pages: {pr_range(start, end)} "
                               f"collides with mapping for {other}", Cause.PGMAP_COLLISION)
        reg = (lo, hi)
    # x86_64 only: ppc64's vmemmap_populate() falls back to RAM for a block the altmap cannot
    # hold (altmap_cross_boundary()); arm64 and riscv have no ZONE_DEVICE before 5.3
    if altmap_room is not None and p.arch == "x86_64" and not _altmap_fits(p, lo, hi, altmap_room):
        # add_pages() WARNs; the probe fails with -ENOMEM
        return KernelError("ENOMEM", "altmap exhausted: the memmap of the section-widened range "
                           f"[{lo:#x}, {hi:#x}) does not fit in [{altmap_room[0]:#x}, {altmap_room[1]:#x})",
                           Cause.ALTMAP_EXHAUSTED)
    arch_add_memory(mem, lo, hi - lo, None)
    mem._register_pgmap(reg[0], reg[1], dev)
    return None


def devm_memunmap_pages(mem: MemoryState, dev: str, start: int, end: int) -> Optional[str]:
    p = mem.profile
    if not p.subsection_hotplug:
        lo, hi = (start, end) if legacy_rules(p.kernel).pgmap_exact else _section_expand(p, start, end)
        mem._unregister_pgmap(lo, hi, dev)
        return None  # ≤5.2 sections may be shared through the EEXIST hack; keep them
    mem._unregister_pgmap(start, end, dev)
    return arch_remove_memory(mem, start, end - start)


def memmap_dram_bytes(mem: MemoryState, start: int, end: int) -> int:
    """DRAM the struct pages of [start, end) take when no altmap is used.

    64 bytes per page (MAX_STRUCT_PAGE_SIZE), except pages in early sections: a
    sub-section added to a boot section reuses the boot memmap (section_activate(),
    v5.3), which already covers the whole section.
    """
    p = mem.profile
    pages = (end - start) // p.page_size
    if not p.subsection_hotplug:
        return pages * 64
    ss = p.section_size
    first, last = start // ss, (end - 1) // ss
    reuse = 0
    for nr in {first, last}:
        if mem.sparse.early_section(nr):
            s, e = max(start, nr * ss), min(end, (nr + 1) * ss)
            if e - s < ss:
                reuse += (e - s) // p.page_size
    return (pages - reuse) * 64
