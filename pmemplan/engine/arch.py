"""Per-architecture, per-version constants (docs/kernel-model.md §3).

Named as the kernel names them: ``SECTION_SIZE_BITS``, ``PAGES_PER_SUBSECTION``,
``memremap_compat_align()``, ``memory_block_size_bytes()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from ..kversion import KernelVersion
from ..sizes import SZ_16M, SZ_1G, SZ_2M, SZ_4K, SZ_128M

SUBSECTION_SHIFT = 21          # include/linux/mmzone.h, v5.3 (static on every arch)
SUBSECTION_SIZE = 1 << SUBSECTION_SHIFT
MAX_STRUCT_PAGE_SIZE = 64      # drivers/nvdimm/nd.h, v5.4 (the budget of every era)
MEMREMAP_COMPAT_ALIGN_MAX = SZ_16M  # include/linux/memremap.h, v5.7

_KIB = 1024
_GIB = SZ_1G
_TIB = 1 << 40


@dataclass(frozen=True)
class ArchProfile:
    """What one (arch, kernel, knobs) combination looks like to the pmem code."""
    arch: str
    kernel: KernelVersion
    page_size: int
    section_size_bits: int
    subsection_hotplug: bool          # v5.3 "mm: Sub-section memory hotplug support"
    pmd_size: int
    pud_size: int
    thp: bool
    pud_thp: bool
    compat_align: Optional[int]       # memremap_compat_align(), v5.7; None before
    max_physmem_bits: int
    memory_block_size: int
    mmu: Optional[str] = None
    assumptions: Tuple[str, ...] = field(default=())
    # CONFIG_ZONE_DEVICE possible (mm/Kconfig: MEMORY_HOTPLUG, MEMORY_HOTREMOVE,
    # SPARSEMEM_VMEMMAP, ARCH_HAS_ZONE_DEVICE): without it no pfn/dax device exists
    # (NVDIMM_PFN and DEV_DAX_PMEM depend on it) and pmem_should_map_pages() is false
    zone_device: bool = True

    # -- sparsemem ---------------------------------------------------------------
    @property
    def section_size(self) -> int:
        return 1 << self.section_size_bits

    @property
    def subsection_size(self) -> int:
        """Hot-plug granule: 2 MiB from 5.3, a whole section before."""
        return SUBSECTION_SIZE if self.subsection_hotplug else self.section_size

    @property
    def subsections_per_section(self) -> int:
        return self.section_size // SUBSECTION_SIZE

    @property
    def pages_per_subsection(self) -> int:
        return SUBSECTION_SIZE // self.page_size

    # -- libnvdimm ----------------------------------------------------------------
    @property
    def info_block_reserve(self) -> int:
        """``info_block_reserve()`` = ALIGN(8K, PAGE_SIZE) (5.1/5.2 on; docs/kernel-model.md §2.3)."""
        return max(8 * _KIB, self.page_size)

    def supported_alignments(self) -> Tuple[int, ...]:
        """``nd_pfn_supported_alignments()``: PAGE_SIZE, PMD if THP, PUD if PUD THP.

        ``align_store`` checks against this list (nd_size_select_store()) and sysfs lists
        it as ``supported_alignments`` from 4.14 (seen in 4.14.67, 4.19.48, 5.2.1 — where the
        real kernel lists "4096 2097152 1073741824" — absent in 4.13.4).  Before, any
        power of two in [PAGE_SIZE, 1G] was taken.
        """
        if not self.kernel.at_least(4, 14):
            out, a = [], self.page_size
            while a <= _GIB:
                out.append(a)
                a <<= 1
            return tuple(out)
        out = [self.page_size]
        if self.thp:
            out.append(self.pmd_size)
            if self.pud_thp:
                out.append(self.pud_size)
        return tuple(out)

    def default_pfn_align(self) -> int:
        """``nd_pfn_default_alignment()`` (5.4): PMD size with THP, else PAGE_SIZE.

        Before 5.4 the default was HPAGE_SIZE (the PMD size) regardless of THP.
        """
        if not self.kernel.at_least(5, 4):
            return self.pmd_size
        return self.pmd_size if self.thp else self.page_size

    def default_region_align(self, region_size: int, mappings: int) -> Optional[int]:
        """``default_align()`` of drivers/nvdimm/region_devs.c.

        v5.7 (2522afb86a8c): 16 MiB for pmem regions, times the mapping count when
        16 MiB is not divisible by it.  ≈5.18 (d9d290d7e659): PAGE_SIZE for regions
        smaller than 16 MiB.  None before 5.7: the attribute does not exist.
        """
        if not self.kernel.at_least(5, 7):
            return None
        align = MEMREMAP_COMPAT_ALIGN_MAX
        if self.kernel.at_least(5, 18) and region_size < MEMREMAP_COMPAT_ALIGN_MAX:
            align = self.page_size
        ways = max(1, mappings)
        if align % ways:
            align *= ways
        return align


def _x86_memory_block_size(k: KernelVersion, boot_mem_end: int, bare_metal: bool) -> Tuple[int, str]:
    """arch/x86/mm/init_64.c probe_memory_block_size() (docs/kernel-model.md §3.1)."""
    large = 64 * _GIB
    two_g = 2 * _GIB
    if boot_mem_end < large:
        return SZ_128M, ""
    if not k.at_least(4, 17):
        return two_g, "x86 <4.17: 2G memory blocks with >= 64G of boot memory"
    if k.at_least(5, 9) and bare_metal:
        # fe124c95df9e "x86/mm: use max memory block size on bare metal" (v5.9)
        return two_g, "x86 5.9+ bare metal with >= 64G boot memory: 2G memory blocks (fe124c95df9e)"
    bz = two_g
    while bz > SZ_128M and boot_mem_end % bz:
        bz >>= 1
    # 4.17 "determine block size based on the end of boot memory"
    return bz, f"x86 memory block size {bz >> 20}M: largest power of two <= 2G dividing the end of boot memory ({boot_mem_end:#x})"


def arch_profile(arch: str, kernel: KernelVersion, *, page_size: Optional[int] = None,
                 mmu: Optional[str] = None, phys_bits: Optional[int] = None,
                 memory_block_size: Optional[int] = None, bare_metal: bool = False,
                 thp: bool = True, boot_mem_end: int = 0) -> ArchProfile:
    notes: List[str] = []
    sub = kernel.at_least(5, 3)
    compat: Optional[int] = SUBSECTION_SIZE if kernel.at_least(5, 7) else None
    pud_thp = False
    zone_device = True
    if arch == "x86_64":
        ps = page_size or SZ_4K
        bits = 27
        pmd, pud = SZ_2M, _GIB
        pud_thp = True  # HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD: dax 1G
        maxbits = phys_bits or 46
        if memory_block_size is None:
            mbs, note = _x86_memory_block_size(kernel, boot_mem_end, bare_metal)
            if note:
                notes.append(note)
        else:
            mbs = memory_block_size
    elif arch == "arm64":
        ps = page_size or SZ_4K
        if page_size is None:
            notes.append("arm64 page size assumed 4K (set page_size for 16K/64K kernels)")
        # f0b13ee23241 "arm64/sparsemem: reduce SECTION_SIZE_BITS" (v5.12)
        if kernel.at_least(5, 12):
            bits = 29 if ps == 64 * _KIB else 27
        else:
            bits = 30
        pmd = {SZ_4K: SZ_2M, 16 * _KIB: 32 << 20, 64 * _KIB: 512 << 20}[ps]
        pud = {SZ_4K: _GIB, 16 * _KIB: 64 * _GIB, 64 * _KIB: 4 * _TIB}[ps]
        maxbits = phys_bits or 48
        mbs = memory_block_size or (1 << bits)  # generic MIN_MEMORY_BLOCK_SIZE = a section
        # arm64 has memory hot-add from 5.0 but no hot-remove (so no ZONE_DEVICE) before 5.7
        # ("arm64/mm: Enable memory hot remove", and ARCH_HAS_PTE_DEVMAP in the same
        # release); 5.2.1's arch/arm64/Kconfig has ARCH_ENABLE_MEMORY_HOTPLUG only
        zone_device = kernel.at_least(5, 7)
    elif arch == "ppc64le":
        ps = page_size or 64 * _KIB
        mmu = mmu or "radix"
        if page_size is None:
            notes.append("ppc64le page size assumed 64K")
        bits = 24
        if mmu == "hash":
            if ps == SZ_4K:
                # hash__has_transparent_hugepage() (arch/powerpc/mm/book3s64/hash_pgtable.c):
                # THP only when PMD_SIZE is the 16M hash large page; with 4K base pages the
                # PMD maps 2M, so no THP: PAGE_SIZE is the only pfn/dax align
                pmd, pud = SZ_2M, _GIB
                thp = False
            else:
                pmd, pud = SZ_16M, 16 * _GIB
            if compat is not None:
                # arch/powerpc/mm/ioremap.c memremap_compat_align(): hash -> linear map page size
                compat = max(SUBSECTION_SIZE, SZ_16M)
                notes.append("ppc64 hash MMU: memremap_compat_align() 16M (16M linear-map pages assumed)")
        else:
            pmd, pud = SZ_2M, _GIB
            # PUD-level (1G) devdax on radix: 6.6 (the reading, not pinned)
            pud_thp = kernel.at_least(6, 6)
        maxbits = phys_bits or 51
        if memory_block_size is None:
            if bare_metal:
                # powernv: pnv_memory_block_size(): 1G with radix, 256M with hash
                mbs = SZ_1G if mmu == "radix" else 256 << 20
                notes.append(f"ppc64 powernv memory block size assumed {mbs >> 20}M for the {mmu} MMU")
            else:
                # pseries: pseries_memory_block_size() reads ibm,lmb-size from
                # /ibm,dynamic-reconfiguration-memory, typically 256M, whatever the MMU
                mbs = 256 << 20
                notes.append("ppc64 pseries memory block size assumed 256M (ibm,lmb-size; set "
                             "memory_block_size, or bare_metal: true for powernv)")
        else:
            mbs = memory_block_size
    elif arch == "riscv64":
        ps = page_size or SZ_4K
        bits = 27
        pmd, pud = SZ_2M, _GIB
        maxbits = phys_bits or 56
        mbs = memory_block_size or (1 << bits)
        # riscv has no memory hot(un)plug, hence no ZONE_DEVICE, before "riscv: Enable memory
        # hotplugging for RISC-V" and "riscv: mm: Add support for ZONE_DEVICE" (6.11, believed;
        # 5.2.1's arch/riscv/Kconfig has neither)
        zone_device = kernel.at_least(6, 11)
    else:  # pragma: no cover - the loader only admits the four above
        raise ValueError(f"unknown arch {arch!r}")
    return ArchProfile(arch=arch, kernel=kernel, page_size=ps, section_size_bits=bits,
                       subsection_hotplug=sub, pmd_size=pmd, pud_size=pud, thp=thp,
                       pud_thp=pud_thp and thp, compat_align=compat, max_physmem_bits=maxbits,
                       memory_block_size=mbs, mmu=mmu if arch == "ppc64le" else None,
                       assumptions=tuple(notes), zone_device=zone_device)
