"""dax kmem: drivers/dax/kmem.c, onlining a devdax range as System RAM (docs/kernel-model.md §10).

The hot-added memory needs struct pages like any System RAM: 64 bytes
(MAX_STRUCT_PAGE_SIZE) per page, allocated from DRAM by add_memory() unless the
memmap is hosted at the start of each hot-added memory block ("memmap_on_memory"):

* v5.12 a08a2ae34613 "mm,memory_hotplug: allocate memmap from the added memory range":
  ``memory_hotplug.memmap_on_memory`` and MHP_MEMMAP_ON_MEMORY (x86_64 selects
  ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE; ppc64 with the radix MMU later), for one memory
  block per add_memory() call; its users were ACPI memory hotplug and virtio-mem.
* v6.8 6b8f0798b85a "mm/memory_hotplug: split memmap_on_memory requests across
  memblocks" (one vmemmap per block of a larger range) and 4eca0ef49af9 "dax/kmem:
  allow kmem to add memory with memmap_on_memory": kmem passes the flag when the dax
  device's ``memmap_on_memory`` attribute is 1 -- the default only for CXL dax
  regions, 0 for pmem (nd) dax devices -- and 73954d379efd "dax: add a sysfs knob to
  control memmap_on_memory behavior" lets it be written (refused with -EOPNOTSUPP
  unless memory_hotplug.memmap_on_memory is on).
* mhp_supports_memmap_on_memory(): per block the vmemmap (block pages × 64 B) must be
  a whole number of pages, cover whole pageblocks, be PMD-aligned
  (arch_supports_memmap_on_memory()) and leave some memory in the block.

Observed with the QEMU oracle: 6.1 and 6.12 with memory_hotplug.memmap_on_memory=1 but
the dax attribute left at 0 put the memmap in DRAM (MemTotal grows by the whole
onlined range, nr_memmap_pages by 64 B per page); on 6.12 with the attribute set to 1,
MemTotal grows by the range minus the hosted vmemmap.
"""
from __future__ import annotations

from typing import Optional

from ..causes import Cause
from ..sizes import align_down, align_up, format_size
from ..result import Kmem
from .arch import MAX_STRUCT_PAGE_SIZE, ArchProfile


def dax_kmem_range(p: ArchProfile, start: int, end: int) -> Kmem:
    """Whole memory blocks of the dax range [start, end) that add_memory() can take.

    5.1: hot-add from ALIGN(start, mbs), size rounded down to mbs.  5.11 (multi-range
    dax): an empty rounded range is skipped with "mapping%d: … too small after
    alignment", and no surviving range → "rejecting DAX region without any memory
    after alignment" (-EINVAL).  The namespace itself stays enabled.
    """
    mbs = p.memory_block_size
    # v5.1 c221c0b0308f "device-dax: Hotplug persistent memory for use like normal RAM"
    if not p.kernel.at_least(5, 1):
        return Kmem(0, mbs, 0, "dax kmem (daxctl reconfigure-device --mode=system-ram) needs Linux 5.1 or later",
                    start, end, Cause.KMEM_UNSUPPORTED_KERNEL)
    if end <= start:
        # a zero-size dax device (6.1 creates one when dataoff == size - end_trunc):
        # daxctl cannot enable it, and kmem prints nothing (observed, 6.1)
        return Kmem(0, mbs, 0, "dax device has no capacity: daxctl_dev_enable: failed to enable "
                    "(No such device or address)", start, start, Cause.KMEM_NO_CAPACITY)
    lo, hi = align_up(start, mbs), align_down(end, mbs)
    if hi <= lo:
        # v5.11 60e93dc097f7 "device-dax: add dis-contiguous resource support" (per-range loop)
        if p.kernel.at_least(5, 11):
            err = (f"mapping0: {start:#x}-{end - 1:#x} too small after alignment; "
                   "rejecting DAX region without any memory after alignment")
        else:
            err = (f"dax range {start:#x}-{end - 1:#x} holds no whole {mbs >> 20}M memory block "
                   "after alignment: add_memory() refused")
        return Kmem(0, mbs, 0, err, lo, lo, Cause.KMEM_TOO_SMALL)
    return Kmem(hi - lo, mbs, (hi - lo) // mbs, None, lo, hi)


def memmap_on_memory_blocker(p: ArchProfile) -> Optional[str]:
    """Why dax kmem cannot host its memmap in the hot-added range here, or None if it can."""
    if not p.kernel.at_least(5, 12):
        # v5.12 a08a2ae34613 "mm,memory_hotplug: allocate memmap from the added memory range"
        return "memory_hotplug.memmap_on_memory exists from Linux 5.12 (a08a2ae34613)"
    if not p.kernel.at_least(6, 8):
        # v6.8 4eca0ef49af9 "dax/kmem: allow kmem to add memory with memmap_on_memory"
        return ("dax kmem passes MHP_MEMMAP_ON_MEMORY from Linux 6.8 (4eca0ef49af9); before it the "
                "memmap of kmem memory is always in DRAM")
    if not (p.arch == "x86_64" or (p.arch == "ppc64le" and p.mmu == "radix")):
        # ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE: x86_64 (5.12), ppc64 radix; others not modelled
        return f"memmap_on_memory is not modelled for {p.arch}{' (' + p.mmu + ' MMU)' if p.mmu else ''}"
    mbs = p.memory_block_size
    vmemmap = mbs // p.page_size * MAX_STRUCT_PAGE_SIZE
    # mhp_supports_memmap_on_memory(): whole pages, whole pageblocks (pageblock = PMD here),
    # PMD-aligned (arch_supports_memmap_on_memory()), and not the whole block
    if vmemmap % p.page_size or vmemmap % p.pmd_size or vmemmap >= mbs:
        return (f"the memmap of one {format_size(mbs)} memory block is {format_size(vmemmap)}, not a "
                f"multiple of the {format_size(p.pmd_size)} PMD size (mhp_supports_memmap_on_memory())")
    return None


def kmem_memmap(p: ArchProfile, k: Kmem, memmap_on_memory: bool) -> Optional[str]:
    """Fill ``k``'s memmap fields; returns why a requested memmap_on_memory is not used.

    Struct pages: ``online_bytes / page_size × 64`` bytes.  Worked example (x86_64, 4 KiB
    pages): 250 GiB onlined → 65 536 000 pages × 64 B = 4000 MiB of DRAM; with
    memmap_on_memory on 6.8+ and 2 GiB blocks, 32 MiB at the start of each of the 125
    blocks instead (MemTotal grows by 250 GiB − 4000 MiB, DRAM pays nothing).
    """
    if k.error or not k.online_bytes:
        return None
    total = k.online_bytes // p.page_size * MAX_STRUCT_PAGE_SIZE
    why = memmap_on_memory_blocker(p) if memmap_on_memory else None
    if memmap_on_memory and why is None:
        k.memmap_on_memory = True
        k.memmap_in_range_bytes = k.blocks * (p.memory_block_size // p.page_size * MAX_STRUCT_PAGE_SIZE)
        k.memmap_ram_bytes = 0
    else:
        k.memmap_ram_bytes = total
    return why
