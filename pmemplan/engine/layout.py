"""The engine: one platform through one kernel, start to finish.

Pure: takes a :class:`~pmemplan.platform.Platform`, returns a
:class:`~pmemplan.result.LayoutResult`.  The steps follow a boot:

1. boot memory → early sections and their sub-section maps (sparse.py);
2. per region: region align, then ndctl's checks and the kernel's first-fit
   placement (ndctl.py, region_devs.py);
3. per namespace, in list order: the info block or BTT, then the mapping through
   devm_memremap_pages()/arch_add_memory() (pfn_devs.py, btt.py, memory.py);
4. kmem for devdax namespaces marked system_ram (kmem.py);
5. capacity accounting and the section map.
"""
from __future__ import annotations

import copy
from bisect import bisect_left, bisect_right
from typing import Callable, Dict, List, Optional, Tuple

from ..causes import Cause
from ..kversion import KernelVersion, era, resolve_kernel, unconfirmed_note
from ..platform import Namespace, Platform, Region, ndctl_version
from ..result import (ArchInfo, Fix, KernelError, LayoutResult, NamespaceResult,
                      RegionResult, SectionResult, SubsectionRun, Summary, empty_lost)
from ..sizes import SZ_16M, format_size
from . import ndctl as _ndctl
from .arch import SUBSECTION_SIZE, ArchProfile, arch_profile
from .btt import BttError, btt_layout
from .kmem import dax_kmem_range, kmem_memmap
from .legacy import stable_note
from .memory import (ERRNO, REGION_MIXED, MemoryState, devm_memremap_pages,
                     memmap_dram_bytes, pr_range)
from .pfn_devs import InfoBlock, StoredBlock, nd_pfn_init, nd_pfn_validate, setup_stored_pfn, stored_from_init
from .region_devs import RegionSpace
from .suggest import candidate_fixes, verify_fixes


class _Slot:
    """One namespace on its way through ndctl and the kernel."""
    __slots__ = ("region", "rindex", "ns", "nindex", "result", "offset", "info", "stored",
                 "stored_failed", "probed", "stored_src")

    def __init__(self, region: Region, rindex: int, ns: Namespace, nindex: int,
                 result: NamespaceResult) -> None:
        self.region, self.rindex, self.ns, self.nindex, self.result = region, rindex, ns, nindex, result
        self.offset: Optional[int] = None
        self.info: Optional[InfoBlock] = None
        self.stored: Optional[StoredBlock] = None   # the block on its media (exists: true)
        self.stored_failed = False                  # refused by nd_pfn_validate()
        self.probed: Dict[Tuple[str, str], int] = {}
        # (source, kernel, start) of the block this kernel writes here for an existing
        # namespace laid out by the creation path (reported as its stored block)
        self.stored_src: Optional[Tuple[str, str, int]] = None


def _dev_name(kind: str, slot: _Slot) -> str:
    """pfnX.Y / daxX.Y / bttX.Y after the namespace name, as libnvdimm's seeds are named."""
    n = slot.ns.name
    if n.startswith("namespace") and "." in n:
        tail = n[len("namespace"):].split("_")[0]
        return f"{kind}{tail}"
    return f"{kind}{slot.rindex}.{slot.nindex}"


def _region_align(p: ArchProfile, r: Region, notes: List[str]) -> Tuple[Optional[int], int]:
    """(regionX/align attribute or None, placement granule)."""
    attr = p.default_region_align(r.size, r.interleave_ways)
    if r.align is not None:
        if attr is None:
            notes.append(f"{r.name}: align {format_size(r.align)} ignored: regionX/align exists from 5.7 (2522afb86a8c)")
        else:
            attr = r.align
    # before 5.7 a size must be a multiple of PAGE_SIZE × mappings (__size_store)
    granule = attr if attr is not None else p.page_size * r.interleave_ways
    return attr, granule


def run_engine(platform: Platform, kernel: KernelVersion, verify: bool = True,
               sections: bool = True, fixes: bool = True, stored: bool = True) -> LayoutResult:
    """One platform through one kernel; ``verify`` re-runs the engine to check fixes,
    ``sections`` builds the shared-section map (the legacy comparison needs neither);
    ``stored``: existing namespaces keep the info block on their media (the legacy
    comparison plans every namespace afresh instead).

    Leaves the cyclic GC alone: a caller that wants it paused wraps the call in
    :func:`pmemplan.gc_paused` (the command line does)."""
    return _run_engine(platform, kernel, verify, sections, fixes, stored)


def _run_engine(platform: Platform, kernel: KernelVersion, verify: bool, want_sections: bool,
                want_fixes: bool, want_stored: bool = True) -> LayoutResult:
    notes: List[str] = []
    ram = [(m.start, m.end) for m in platform.memory if m.type == "system-ram"]
    boot_mem_end = max((e for _, e in ram), default=0)
    p = arch_profile(platform.arch, kernel, page_size=platform.page_size, mmu=platform.mmu,
                     phys_bits=platform.phys_bits, memory_block_size=platform.memory_block_size,
                     bare_metal=platform.bare_metal, thp=platform.thp, boot_mem_end=boot_mem_end)
    notes.extend(p.assumptions)
    if kernel.basis:
        notes.append(kernel.basis)
    bracket = stable_note(kernel)
    if bracket:
        notes.append(bracket)
    newer = unconfirmed_note(kernel)
    if newer:
        notes.append(newer)
    ndv = ndctl_version(platform.ndctl)
    mem = MemoryState(p, ram)
    mem.ram_warned = _boot_ram_warning(p, platform, mem)

    slots: List[_Slot] = []
    spaces: Dict[str, RegionSpace] = {}
    aligns: Dict[str, Tuple[Optional[int], int]] = {}
    for ri, r in enumerate(platform.regions):
        aligns[r.name] = _region_align(p, r, notes)
        spaces[r.name] = RegionSpace(r.size, aligns[r.name][1], trims=aligns[r.name][0] is not None)
        _place_region(p, ndv, r, ri, spaces[r.name], aligns[r.name][0], slots, notes,
                      mem.region_intersects_system_ram)

    others = {r.name: [(o.start, o.end) for o in platform.regions
                       if o.name != r.name and same_nvdimm_bus(r, o)]
              for r in platform.regions}
    if want_stored:
        prepare_stored_blocks(platform, kernel, p, slots, mem, others, notes)
    observed = observed_states(platform, kernel, slots)
    for slot in slots:
        if slot.result.status == "enabled":
            if slot.ns.name in observed:
                _enable_observed(p, mem, slot, observed[slot.ns.name], others[slot.region.name], notes)
            else:
                _enable(p, mem, slot, others[slot.region.name], notes)
    for slot in slots:
        if slot.result.status == "enabled" and slot.ns.system_ram and slot.info is not None:
            _online_kmem(p, mem, slot, platform.memmap_on_memory, notes)
    _predict_disabled(p, mem, slots, observed, others, notes)
    candidates = {}
    for slot in slots:
        _account(slot)
        if slot.result.status not in ("enabled", "disabled") and want_fixes and slot.stored_failed:
            candidates[slot.ns.name] = stored_block_fixes(p, slot)
        elif slot.result.status not in ("enabled", "disabled") and want_fixes:
            candidates[slot.ns.name] = candidate_fixes(p, slot.region, aligns[slot.region.name][0],
                                                       spaces[slot.region.name], slot.ns, slot.result)
    if verify and candidates:
        verify_fixes(platform, kernel, run_engine, [s.result for s in slots], candidates)
    else:
        for slot in slots:
            slot.result.fixes = candidates.get(slot.ns.name, [])

    regions = []
    for r in platform.regions:
        sp = spaces[r.name]
        if r.labelled:
            _note_wrapped_gap(r, sp, notes)
        regions.append(RegionResult(r.name, r.provider, r.start, r.size, aligns[r.name][1],
                                    sp.available_size() if r.labelled else 0,
                                    sp.max_available_extent() if r.labelled else 0,
                                    r.labelled, r.interleave_ways))
    namespaces = [s.result for s in slots]
    sections = section_map(p, platform, slots, spaces, mem) if want_sections else []
    summary = _summary(namespaces)
    info = ArchInfo(p.page_size, p.section_size, p.subsection_size, p.compat_align, p.pmd_size,
                    p.pud_size, p.memory_block_size, list(p.supported_alignments())
                    if p.kernel.at_least(4, 14) else [p.page_size, p.pmd_size])  # sysfs list: 4.14
    memory = [{"type": m.type, "name": m.owner_name, "start": m.start, "size": m.size}
              for m in platform.memory]
    state = mem.state_size() + sum(len(sp.raw_free()) + len(sp.busy()) for sp in spaces.values())
    return LayoutResult(platform.name, platform.arch, str(kernel), era(kernel), _dedupe(notes), info,
                        regions, namespaces, sections, summary, memory, state_size=state,
                        memory_state=mem, profile=p)


def _boot_ram_warning(p: ArchProfile, platform: Platform, mem: MemoryState) -> bool:
    """Whether the boot has already spent the "attempted on … region" WARN_ONCE: before 5.3
    a raw label-less namespace on a pagemap bus is probed at boot with its sections widened,
    and fails there when they hold System RAM (observed on 5.2.1, docs/kernel-model.md §7.3)."""
    if p.subsection_hotplug or not p.zone_device:
        return False
    ram = mem.region_intersects_system_ram
    return any(r.pagemap and not r.labelled and not _ndctl.boot_state_enabled(p, r, ram)
               for r in platform.regions)


def same_nvdimm_bus(a: Region, b: Region) -> bool:
    """Whether two regions are children of one nvdimm bus (nd_region_conflict() looks no
    further, drivers/nvdimm/region_devs.c): e820.c registers one bus for every
    ``memmap=``/type-12 range, the ACPI NFIT one for all its regions; of_pmem and virtio-pmem
    register a bus per device (one region each), CXL one per port (not before 5.3)."""
    return a.provider == b.provider and a.provider in ("e820", "nfit")


def _note_wrapped_gap(r: Region, sp: RegionSpace, notes: List[str]) -> None:
    """Say why max_available_extent is 0 while available_size is not (region_devs.py)."""
    gap = sp.wrapped_gap()
    if gap is None or sp.max_available_extent() or not sp.available_size():
        return
    g = sp.granule
    notes.append(f"{r.name}: max_available_extent is 0 while available_size is "
                 f"{format_size(sp.available_size())}: the second allocation starts at offset {gap[1]:#x}, "
                 f"inside the first {format_size(g)} align granule, so the kernel reserves the free space "
                 f"at offset {g:#x}, where a namespace already is (v5.7 2522afb86a8c space_valid()); ndctl "
                 f"then refuses every create with ENOSPC until the region align is at most "
                 f"{format_size(1 << (gap[1].bit_length() - 1))}")


def _dedupe(xs: List[str]) -> List[str]:
    seen, out = set(), []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# -- step 2: ndctl and placement ------------------------------------------------------

def _place_region(p: ArchProfile, ndv: Tuple[int, int], r: Region, ri: int, space: RegionSpace,
                  region_align: Optional[int], slots: List[_Slot], notes: List[str],
                  ram: Optional[Callable[[int, int], int]] = None) -> None:
    mine: List[_Slot] = []
    nss = r.namespaces
    defaulted: Dict[str, List[str]] = {}
    for ni, ns in enumerate(nss):
        size = ns.size if ns.size is not None else (r.size if not r.labelled else 0)
        align, why = _ndctl.default_align(p, r, ns)
        if why:
            defaulted.setdefault(why, []).append(ns.name)
        res = NamespaceResult(ns.name, r.name, None, size, ns.mode, ns.effective_map, align,
                              sector_size=(ns.sector_size or 4096) if ns.mode == "sector" else None)
        mine.append(_Slot(r, ri, ns, ni, res))
    for why, names in defaulted.items():
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        notes.append(f"{shown}: align {why}")
    if not r.labelled:
        for s in mine:
            if not s.ns.exists and (
                    _refuse(s, _ndctl.precheck(p, ndv, r, region_align, s.ns, s.result.size, s.result.align, r.size))
                    or _refuse(s, _ndctl.namespace_prep_reconfig(p, r, s.ns, ram))
                    or _refuse(s, _ndctl.check_dax_align(ndv, r, s.ns, r.start))):
                continue
            s.offset = 0
            s.result.start = r.start
    else:
        # explicit offsets are namespaces that already exist: reserved first
        for s in mine:
            if s.ns.offset is None:
                continue
            busy = False     # refused, but the namespace stays where it is
            if not s.ns.exists:
                if not _refuse(s, _ndctl.precheck(p, ndv, r, region_align, s.ns, s.result.size, s.result.align, None)):
                    busy = _refuse(s, _ndctl.namespace_prep_reconfig(p, r, s.ns, ram))
                    if not busy:
                        _refuse(s, _ndctl.check_dax_align(ndv, r, s.ns, r.start + s.ns.offset))
            if busy:
                space.reserve(s.ns.offset, s.ns.offset + s.result.size)
            elif s.result.status == "enabled":
                s.offset = s.ns.offset
                s.result.start = r.start + s.offset
                space.reserve(s.offset, s.offset + s.result.size)
        for s in mine:
            if s.ns.offset is not None:
                continue
            if s.ns.size is None:
                # ndctl's default size: the largest free extent (max_available_extent)
                s.result.size = space.max_available_extent()
                notes.append(f"{s.ns.name}: size defaults to the largest free extent of {r.name}, "
                             f"{format_size(s.result.size)} (ndctl create-namespace without -s)")
                if s.result.size == 0:
                    _refuse(s, KernelError("ENOSPC", "failed to create namespace: No space left on device",
                                           Cause.NO_SPACE, "ndctl"))
                    continue
            size = s.result.size
            if s.ns.exists:
                if size > space.max_available_extent():
                    _refuse(s, KernelError("ENOSPC", f"{s.ns.name} does not fit in the free space of {r.name}",
                                           Cause.NO_SPACE, "ndctl"))
                    continue
            elif _refuse(s, _ndctl.precheck(p, ndv, r, region_align, s.ns, size, s.result.align,
                                            space.max_available_extent(), default_size=s.ns.size is None)):
                continue
            busy = not s.ns.exists and _refuse(s, _ndctl.namespace_prep_reconfig(p, r, s.ns, ram))
            off = space.first_fit(size)
            if off is None:  # unreachable while capacity = max extent; kept for safety
                _refuse(s, KernelError("ENOSPC", "failed to create namespace: No space left on device",
                                       Cause.NO_SPACE, "ndctl"))
                continue
            start = r.start + off
            if busy:   # the namespace keeps its place (and its old configuration)
                space.reserve(off, off + size)
                continue
            if not s.ns.exists and _refuse(s, _ndctl.check_dax_align(ndv, r, s.ns, start)):
                continue
            s.offset = off
            s.result.start = start
            space.reserve(off, off + size)
    slots.extend(mine)


def _refuse(s: _Slot, err: Optional[KernelError]) -> bool:
    if err is None:
        return False
    s.result.status = "refused"
    s.result.error = err
    s.result.messages.extend(_ndctl_lines(err.message))
    return True


def _ndctl_lines(message: str) -> List[str]:
    """The lines ndctl prints on stderr for a refusal: "Error: …" (its error() prefix;
    the hint on a line of its own), or cmd_create_namespace()'s "failed to …" as is."""
    if message.startswith("failed to "):
        return [message.split(" (", 1)[0]]          # (pmemplan's explanation after it)
    head, sep, hint = message.partition("; did you intend")
    return [f"Error: {head}"] + ([f"did you intend{hint}"] if sep else [])


# -- step 3: the kernel ---------------------------------------------------------------

# The message of a failure (NamespaceError.message) is the text after dmesg's
# "driver dev: " prefix; messages[] holds whole dmesg lines.  WARN() texts print without
# a prefix; dev_dbg() texts (and pmemplan's own words for silent failures) not at all.
_WARN_CAUSES = (Cause.RAM_OVERLAP, Cause.PFN_SPAN, Cause.ALTMAP_INVALID)
_QUIET_CAUSES = (Cause.CLAIM_TOO_SMALL, Cause.BTT_TOO_SMALL, Cause.SUBSECTION_BUSY,
                 Cause.ALTMAP_EXHAUSTED)


def _fail(s: _Slot, err: KernelError, driver: str, dev: str, mem: MemoryState) -> None:
    s.result.status = "failed"
    s.result.error = err
    if err.cause == Cause.RAM_OVERLAP:
        # "… attempted on … region" is a WARN_ONCE: printed by the first failure of a boot
        # only (on 5.2.1 usually the boot-time probe of a raw e820 namespace, §7.3)
        if not mem.ram_warned:
            s.result.messages.append(err.message)
        mem.ram_warned = True
    elif err.cause in _WARN_CAUSES:
        s.result.messages.append(err.message)
    elif err.cause not in _QUIET_CAUSES:
        s.result.messages.append(f"{driver} {dev}: {err.message}")
    # really_probe() (drivers/base/dd.c) says nothing of -ENODEV/-ENXIO ("rejects match",
    # dev_dbg only): no "probe of … failed" line for them
    if err.errno not in ("ENXIO", "ENODEV"):
        s.result.messages.append(probe_failed_line(mem.profile, driver, dev, ERRNO.get(err.errno, 0)))


def _enable(p: ArchProfile, mem: MemoryState, s: _Slot, others: List[Tuple[int, int]],
            notes: List[str]) -> None:
    ns, r, res = s.ns, s.region, s.result
    start, size = res.start, res.size
    assert start is not None
    end = start + size
    pagemap = r.pagemap   # ND_REGION_PAGEMAP (e820, of_pmem, virtio-pmem)
    # on a pagemap (io) namespace ndctl sets up no pfn device for fsdax map=mem, whatever the
    # previous mode: a raw namespace with struct pages in RAM (observed, 6.1 + ndctl 76.1)
    legacy_mem = pagemap and ns.mode == "fsdax" and res.map == "mem"
    if ns.mode == "raw" or legacy_mem:
        if pagemap:
            _enable_raw_pages(p, mem, s, start, end, notes)
        else:
            res.usable_size = size
        return
    if ns.mode == "sector":
        _enable_btt(mem, s, r)
        return
    if pagemap and ns.exists and p.compat_align is not None and (start % p.compat_align or end % p.compat_align):
        # an e820 namespace that already exists is probed as the raw range first: 5.7+
        # nvdimm_namespace_common_probe() refuses it before any info block is read
        # (observed on 6.1: created with end_trunc, it cannot be enabled again)
        _fail(s, KernelError("EOPNOTSUPP", f"{pr_range(start, end)} misaligned, unable to map",
                              Cause.COMPAT_MISALIGNED),
              "nd_pmem", ns.name, mem)
        return
    # fsdax / devdax through a pfn or dax device
    devdax = ns.mode == "devdax"
    if s.stored is not None:
        _enable_stored(p, mem, s, start, size)
        return
    dev = _dev_name("dax" if devdax else "pfn", s)
    driver = "dax_pmem" if devdax else "nd_pmem"
    if size < SZ_16M:   # nd_namespace_store(): a claim needs 16 MiB
        _fail(s, KernelError("ENXIO", f"{ns.name} too small to host", Cause.CLAIM_TOO_SMALL), driver, dev, mem)
        return
    ib = nd_pfn_init(p, name=ns.name, start=start, size=size, devdax=devdax, map=res.map or "dev",
                     align=res.align, ram=mem.region_intersects_system_ram, other_regions=others)
    if isinstance(ib, KernelError):
        _fail(s, ib, driver, dev, mem)
        return
    if s.stored_src is None:
        # an existing namespace's block is read back at enable, not written: the creation
        # messages ("… collision, truncate …") are not printed again (observed on 5.2.1)
        res.messages.extend(f"{driver} {dev}: {m}" for m in ib.messages)
    if not _map_pfn(mem, s, ib, driver, dev):
        return
    if s.stored_src is not None:
        src, by, at = s.stored_src
        res.stored_info_block = stored_from_init(ib, source=src, written_by=by, written_at=at).to_dict()


def _enable_raw_pages(p: ArchProfile, mem: MemoryState, s: _Slot, start: int, end: int,
                      notes: List[str]) -> None:
    """e820 raw namespace (ndctl lists it as fsdax map=mem): pages in RAM, no info block.

    pmem_attach_disk() maps struct pages when pmem_should_map_pages() says so: a pagemap
    region whose *exact* range is not partly System RAM (region_intersects() ==
    REGION_MIXED → plain devm_memremap(), no pages; drivers/nvdimm/namespace_devs.c, every
    era).  The pages then go through devm_memremap_pages(), which up to 5.2 checks the
    range widened to whole sections: a raw e820 namespace sharing a section with System
    RAM fails there with -ENXIO "devm_memremap_pages attempted on mixed region" (a
    WARN_ONCE) — observed on Linux 5.2.1 (kernel-cases-5.2 e820_unaligned_100M).
    """
    res = s.result
    if not p.zone_device:
        notes.append(f"{s.ns.name}: no ZONE_DEVICE on {p.arch} {p.kernel}: pmem_should_map_pages() is "
                     "false, the range is mapped without struct pages (plain memremap, no DAX)")
        res.usable_size = end - start
        res.pages_in = None
        return
    if mem.region_intersects_system_ram(start, end) == REGION_MIXED:
        notes.append(f"{s.ns.name}: the range is partly System RAM: pmem_should_map_pages() is "
                     "false, it is mapped without struct pages (plain memremap, no DAX) — "
                     "docs/kernel-model.md §7.3")
        res.usable_size = end - start
        res.pages_in = None
        return
    if p.compat_align is not None and (start % p.compat_align or end % p.compat_align):
        # v5.7: nvdimm_namespace_common_probe() for pmem_should_map_pages()
        _fail(s, KernelError("EOPNOTSUPP", f"{pr_range(start, end)} misaligned, unable to map",
                              Cause.COMPAT_MISALIGNED),
              "nd_pmem", s.ns.name, mem)
        return
    err = devm_memremap_pages(mem, s.ns.name, start, end, None)
    if err:
        _fail(s, err, "nd_pmem", s.ns.name, mem)
        return
    res.device = s.ns.name
    res.usable_size = end - start
    res.pages_in = "ram"
    res.memmap_ram_bytes = memmap_dram_bytes(mem, start, end)


def _enable_btt(mem: MemoryState, s: _Slot, r: Region) -> None:
    res = s.result
    # btt_claim_class(): v2.0 for label index 1.2 or a label-capable DIMM whose label
    # area was never initialised; v1.1 for index 1.1, label-less DIMMs and e820
    # CXL regions carry a v2.1 label index, which is not 1.1 either: v2.0
    version = "2.0" if r.provider == "cxl" or (
        r.provider != "e820" and r.label_version in ("1.2", "uninitialised")) else "1.1"
    try:
        layout = btt_layout(res.size, res.sector_size or 4096, version, name=s.ns.name)
    except BttError as e:
        _fail(s, KernelError(e.errno, e.message, e.cause), "nd_pmem", _dev_name("btt", s), mem)
        return
    res.usable_size = layout.usable_size
    res.messages.append(f"nd_pmem {_dev_name('btt', s)}: No existing arenas")


def _online_kmem(p: ArchProfile, mem: MemoryState, s: _Slot, memmap_on_memory: bool,
                 notes: List[str]) -> None:
    ib = s.info
    assert ib is not None and s.result.start is not None
    dax_start = s.result.start + ib.start_pad + ib.dataoff
    dax_end = s.result.start + s.result.size - ib.end_trunc
    k = dax_kmem_range(p, dax_start, dax_end)
    s.result.kmem = k
    why = kmem_memmap(p, k, memmap_on_memory)
    if why:
        notes.append(f"{s.ns.name}: memmap_on_memory not used, the kmem memmap is in DRAM: {why}")
    if k.error:
        dev = _dev_name("dax", s)
        if k.cause == Cause.KMEM_TOO_SMALL and p.kernel.at_least(5, 11):
            # 5.11+ dev_dax_kmem_probe(): two dev_warn() lines, then -EINVAL from the probe
            # (observed: nv_kmem, e820 kmem steps); other kmem errors are pmemplan's words
            s.result.messages.extend(f"kmem {dev}: {line.strip()}" for line in k.error.split(";"))
            s.result.messages.append(f"kmem: probe of {dev} failed with error -22")
    else:
        mem.add_system_ram(k.range_start, k.range_end)


# -- the observed state of an imported namespace (state: enabled | disabled) ----------
#
# `pmemplan import` records what the machine showed.  Under the file's kernel, for a namespace
# that exists at the place the file records, the result reports that state: a disabled one is
# "disabled" (no pages mapped), an enabled one "enabled" as it was created; a failure the model
# predicts for its next enable (e.g. a 5.7+ e820 range whose end is not 2 MiB aligned, probed
# as the raw range first) becomes a warning.  Under another kernel, or at another place, the
# status is the model's prediction, as for any planned namespace.

def observed_states(platform: Platform, kernel: KernelVersion, slots: List[_Slot]) -> Dict[str, str]:
    """{namespace: "enabled"|"disabled"} for the namespaces whose recorded state applies."""
    try:
        if platform.kernel_version != kernel:
            return {}
    except ValueError:
        return {}
    out: Dict[str, str] = {}
    for s in slots:
        ns, r = s.ns, s.region
        if not ns.exists or ns.state is None or s.result.status != "enabled":
            continue
        if r.labelled and ns.offset is None:
            continue                    # placed by first fit: its address is a prediction
        if s.result.start != r.start + (ns.offset or 0):
            continue
        out[ns.name] = ns.state
    return out


def _next_enable_warning(res: NamespaceResult, kernel: KernelVersion) -> str:
    err = res.error
    what = f"{err.message} ({err.errno})" if err is not None else res.status
    return f"its next enable fails under {kernel}: {what}"


def _enable_observed(p: ArchProfile, mem: MemoryState, s: _Slot, state: str,
                     others: List[Tuple[int, int]], notes: List[str]) -> None:
    if state == "disabled":
        return                          # mapped by nobody; its next enable: _predict_disabled
    _enable(p, mem, s, others, notes)
    res = s.result
    if res.status == "enabled" or s.stored_failed:
        # a stored block the kernel refuses: the namespace is no longer where (or under
        # the kernel) it was seen enabled — the refusal stands
        return
    # enabled on the machine: it was enabled when it was created, which probes no existing
    # range first; what the model refuses now happens on the next enable
    warning = _next_enable_warning(res, p.kernel)
    res.status, res.error, res.messages = "enabled", None, []
    ns = s.ns
    s.ns = ns.replace(exists=False)
    try:
        _enable(p, mem, s, others, notes)
    finally:
        s.ns = ns
    res.warnings.append(warning)
    if res.status != "enabled":
        res.warnings.append("the machine shows it enabled, but the model cannot enable it")


def _predict_disabled(p: ArchProfile, mem: MemoryState, slots: List[_Slot], observed: Dict[str, str],
                      others: Dict[str, List[Tuple[int, int]]], notes: List[str]) -> None:
    """Disabled namespaces: "disabled", with a warning when enabling it next would fail
    (tried on a copy of the final memory state, every enabled namespace in place)."""
    for s in slots:
        if observed.get(s.ns.name) != "disabled":
            continue
        res = s.result
        trial = copy.deepcopy(mem)
        _enable(p, trial, s, others[s.region.name], notes)
        if res.status != "enabled":
            res.warnings.append(_next_enable_warning(res, p.kernel))
        res.status, res.error, res.messages = "disabled", None, []
        res.usable_size, res.pages_in, res.memmap_ram_bytes = None, None, 0
        res.info_block, res.pfn, res.device = None, None, None
        s.info = None


# -- stored info blocks: what a kernel upgrade or a firmware move does ----------------
#
# A namespace that exists keeps the pfn/dax info block on its media; every enable validates
# it again (engine/pfn_devs.py nd_pfn_validate(), docs/kernel-model.md §6.6) at the
# namespace's current address, under the kernel laid out.  The block is the one the file
# records (info_block), or the one `created_by` (default: the file's kernel) wrote at
# `created_at` (default: the current start).  Written by this kernel at this address, it is
# exactly what creation gives, so the creation path is kept for it.

def _creator_profile(platform: Platform, by: KernelVersion) -> ArchProfile:
    ram_end = max((m.end for m in platform.memory if m.type == "system-ram"), default=0)
    return arch_profile(platform.arch, by, page_size=platform.page_size, mmu=platform.mmu,
                        phys_bits=platform.phys_bits, memory_block_size=platform.memory_block_size,
                        bare_metal=platform.bare_metal, thp=platform.thp, boot_mem_end=ram_end)


def prepare_stored_blocks(platform: Platform, kernel: KernelVersion, p: ArchProfile, slots: List[_Slot],
                          mem: MemoryState, others: Dict[str, List[Tuple[int, int]]],
                          notes: List[str]) -> None:
    """Set ``slot.stored`` for every existing fsdax/devdax namespace whose block is not the
    one this kernel would write at its current address."""
    try:
        file_kernel = platform.kernel_version
    except ValueError:
        return
    assumed: List[str] = []
    profiles: Dict[KernelVersion, ArchProfile] = {}
    # the other regions where they were when the blocks were written: a region whose
    # namespace records created_at is shifted back by that namespace's move (≤5.2 padded
    # against other regions: ae86cbfef381, v5.0)
    shift: Dict[str, int] = {}
    for s in slots:
        if s.ns.created_at is not None and s.result.start is not None and s.region.name not in shift:
            shift[s.region.name] = s.ns.created_at - s.result.start
    at_creation = others
    if any(shift.values()):
        at_creation = {r.name: [(o.start + shift.get(o.name, 0), o.end + shift.get(o.name, 0))
                                for o in platform.regions if o.name != r.name] for r in platform.regions}
    probed: Dict[Tuple[str, str], int] = {}   # (region, pfn|dax): devices probed so far
    for s in slots:
        s.probed = probed
        ns, res = s.ns, s.result
        if not ns.exists or ns.mode not in ("fsdax", "devdax") or res.status != "enabled" or res.start is None:
            continue
        if s.region.pagemap and ns.mode == "fsdax" and res.map == "mem":
            continue                    # a raw range with pages in RAM: no info block
        devdax = ns.mode == "devdax"
        rec = ns.info_block
        if rec is not None:
            s.stored = StoredBlock(rec.mode or ("dax" if devdax else "pfn"), rec.dataoff, rec.npfns,
                                   rec.start_pad, rec.end_trunc, rec.align, rec.version_minor,
                                   rec.page_size if rec.page_size is not None else p.page_size,
                                   rec.page_struct_size if rec.page_struct_size is not None else 64)
            continue
        by = KernelVersion.parse(ns.created_by) if ns.created_by else file_kernel
        at = ns.created_at if ns.created_at is not None else res.start
        src = "created_by" if ns.created_by or ns.created_at is not None else "assumed"
        if by == kernel and at == res.start:
            s.stored_src = (src, str(by), at)
            continue
        if ns.created_by is None and ns.created_at is None:
            assumed.append(ns.name)
        cp = profiles.get(by)
        if cp is None:
            cp = profiles[by] = _creator_profile(platform, by)
        ib = nd_pfn_init(cp, name=ns.name, start=at, size=res.size, devdax=devdax, map=res.map or "dev",
                         align=res.align, ram=mem.region_intersects_system_ram,
                         other_regions=at_creation[s.region.name])
        if isinstance(ib, KernelError):
            notes.append(f"{ns.name}: Linux {by} writes no info block at {at:#x} ({ib.message}); "
                         "laid out as a new namespace")
            continue
        s.stored = stored_from_init(ib, source=src, written_by=str(by), written_at=at)
    if assumed:
        shown = ", ".join(assumed[:4]) + (f" and {len(assumed) - 4} more" if len(assumed) > 4 else "")
        notes.append(f"{shown}: no info_block or created_by given: the info block on the media is taken "
                     f"to be the one Linux {file_kernel} (the file's kernel) writes at the current start")


def _probe_dev(kind: str, s: _Slot, slots_enabled: int) -> str:
    """The device nd_pfn_probe()/nd_dax_probe() allocates at boot: after the region's seed
    (pfnX.0 / daxX.0), one per namespace that claimed one (observed: dax0.1, pfn1.1)."""
    n = s.ns.name
    region = n[len("namespace"):].split(".")[0] if n.startswith("namespace") and "." in n else str(s.rindex)
    return f"{kind}{region}.{1 + slots_enabled}"


def probe_failed_line(p: ArchProfile, driver: str, dev: str, errno: int) -> str:
    """The driver core's line for a failed probe: v6.9 "driver core: Log probe failure as
    error and with device metadata" (commit not pinned) made it a dev_err() of the device
    (observed on 6.12: "nd_pmem namespace2.0: probe with driver nd_pmem failed with error
    -95"); before, "nd_pmem: probe of namespace2.0 failed with error -95" (observed on 6.1)."""
    if p.kernel.at_least(6, 9):
        return f"{driver} {dev}: probe with driver {driver} failed with error -{errno}"
    return f"{driver}: probe of {dev} failed with error -{errno}"


def _enable_stored(p: ArchProfile, mem: MemoryState, s: _Slot, start: int, size: int) -> None:
    res, ns = s.result, s.ns
    sb = s.stored
    assert sb is not None
    kind = "dax" if sb.signature == "dax" else "pfn"
    earlier = s.probed
    key = (s.region.name, kind)
    dev = _probe_dev(kind, s, earlier.get(key, 0))
    res.stored_info_block = sb.to_dict()
    used = nd_pfn_validate(p, sb, ns_name=ns.name, start=start, size=size, map=res.map or "dev")
    got = used if isinstance(used, KernelError) else \
        setup_stored_pfn(p, used, start=start, size=size, map=res.map or "dev")
    if isinstance(got, KernelError):
        v = got
        s.stored_failed = True
        res.status = "failed"
        res.error = v
        res.messages.append(f"{dev}: {v.message}")
        res.messages.append(probe_failed_line(p, "nd_pmem", ns.name, ERRNO.get(v.errno, 0)))
        if v.errno != "EOPNOTSUPP":
            # before v5.7 "libnvdimm/pfn: Prevent raw mode fallback if pfn-infoblock valid"
            # only -EOPNOTSUPP kept the pmem driver from attaching the raw namespace
            res.warnings.append(f"before 5.7 the pmem driver then attaches {ns.name} as a raw block "
                                "device of its full size: the info block and the data are exposed at "
                                "the wrong offset (do not mount it)")
        return
    ib: InfoBlock = got
    driver = "dax_pmem" if sb.signature == "dax" else "nd_pmem"
    if ib.mode == "dev":
        # __nvdimm_setup_pfn(): dev_info on the bound pfn/dax device (observed on 6.1 after a
        # shrink: "nd_pmem pfn2.1: …", "dax_pmem dax0.1: …")
        runtime = (ib.map_end - ib.map_start - ib.dataoff) // p.page_size
        if sb.npfns > runtime:
            res.messages.append(f"{driver} {dev}: number of pfns truncated from {sb.npfns} to {runtime}")
    if sb.signature == "dax" and ib.align and (ib.usable_size % ib.align
                                               or (ib.map_start + ib.dataoff) % ib.align):
        # drivers/dax/bus.c alloc_dax_region() (v4.8 9d2d01a031a9 "dax: check resource
        # alignment at dax region/device create"): silently NULL, dax_pmem fails -ENOMEM;
        # the namespace itself yields to its dax device as always
        s.stored_failed = True
        res.status = "failed"
        res.error = KernelError("ENOMEM", f"dax range {ib.map_start + ib.dataoff:#x}+{ib.usable_size:#x} "
                                f"not aligned to {ib.align:#x}", Cause.STORED_DAX_ALIGN)
        res.messages.append(probe_failed_line(p, "dax_pmem", dev, ERRNO["ENOMEM"]))
        return
    earlier[key] = earlier.get(key, 0) + 1
    _map_pfn(mem, s, ib, driver, dev)


def _map_pfn(mem: MemoryState, s: _Slot, ib: InfoBlock, driver: str, dev: str) -> bool:
    """The pfn/dax device ``dev`` with info block ``ib`` maps its pages
    (devm_memremap_pages()); False when that fails (the namespace is then failed)."""
    res = s.result
    s.info = ib
    res.pfn = ib
    res.device = dev
    res.info_block = ib.to_dict()
    # pre-5.3 map=dev: the memmap of every section mapped comes from the altmap (x86, no fallback)
    room = (ib.map_start + ib.altmap_head, ib.map_start + ib.dataoff) if ib.altmap_head else None
    err = devm_memremap_pages(mem, dev, ib.map_start, ib.map_end, ib.altmap_base, altmap_room=room)
    if err:
        _fail(s, err, driver, dev, mem)
        return False
    res.usable_size = ib.usable_size
    res.pages_in = "pmem" if ib.mode == "dev" else "ram"
    if ib.mode == "mem":
        res.memmap_ram_bytes = memmap_dram_bytes(mem, ib.map_start, ib.map_end)
    return True


def stored_block_starts(p: ArchProfile, sb: StoredBlock, start: int, size: int) -> Optional[Tuple[int, int]]:
    """(residue, granule): the starts at which ``sb`` passes nd_pfn_validate()'s placement
    checks are residue + k·granule (None: no start does)."""
    align = sb.align or (1 << (sb.dataoff.bit_length() - 1) if sb.dataoff else 0)
    compat = p.compat_align or 0
    g = max(align, compat, p.page_size)
    if align >= compat and align:
        c = (-sb.dataoff - sb.start_pad) % align
    else:
        c = (-sb.start_pad) % g
    ok = ((not align or (c + sb.dataoff + sb.start_pad) % align == 0)
          and (not compat or ((c + sb.start_pad) % compat == 0 and (c + size - sb.end_trunc) % compat == 0)))
    return (c % g, g) if ok else None


def stored_block_fixes(p: ArchProfile, s: _Slot) -> List[Fix]:
    """Moves of the region that put the namespace back where its block validates (the
    block is where the media says: only for info_block or created_at, not a default)."""
    sb, res, r = s.stored, s.result, s.region
    if sb is None or res.start is None or (s.ns.info_block is None and s.ns.created_at is None):
        return []
    got = stored_block_starts(p, sb, res.start, res.size)
    if got is None:
        return []
    c, g = got
    down = res.start - ((res.start - c) % g)
    up = down + g
    out: List[Fix] = []
    for ns_start in (down, up):
        if ns_start == res.start:
            continue
        delta = ns_start - res.start
        new = r.start + delta
        if new < 0:
            continue
        word = "up" if delta > 0 else "down"
        out.append(Fix(f"move {r.name} {word} by {format_size(abs(delta))} to {new:#x}: the info block on "
                       f"{s.ns.name} validates at starts {format_size(g)} apart (data kept)",
                       {"region.start": new}))
    return out


# -- step 5: capacity and sections ----------------------------------------------------

def _account(s: _Slot) -> None:
    res = s.result
    lost = empty_lost()
    if res.status == "failed":
        lost["failed"] = res.size
    elif res.status == "enabled":
        assert res.usable_size is not None
        if s.info is not None:
            ib = s.info
            lost["start_pad"] = ib.start_pad
            lost["end_trunc"] = ib.end_trunc
            lost["info_block"] = min(ib.info_reserve, ib.dataoff)
            lost["memmap"] = min(ib.memmap_budget, ib.dataoff - lost["info_block"])
            lost["alignment"] = res.size - res.usable_size - sum(lost.values())
        elif res.mode == "sector":
            lost["btt"] = res.size - res.usable_size
        else:
            lost["alignment"] = res.size - res.usable_size
    res.lost = lost


def _summary(nss: List[NamespaceResult]) -> Summary:
    en = [n for n in nss if n.status == "enabled"]
    return Summary(usable_size=sum(n.usable_size or 0 for n in en),
                   lost=sum(sum(n.lost.values()) for n in nss),
                   padding_saved=0, legacy_kernel=None,
                   enabled=len(en), failed=sum(n.status == "failed" for n in nss),
                   refused=sum(n.status == "refused" for n in nss),
                   disabled=sum(n.status == "disabled" for n in nss))


def section_map(p: ArchProfile, platform: Platform, slots: List[_Slot],
                spaces: Dict[str, RegionSpace], mem: MemoryState) -> List[SectionResult]:
    """Every section touched by more than one owner, with its 2 MiB sub-section runs.

    Only sections holding an endpoint of some owner's range can have two owners, so
    the cost is O(owners · log owners), whatever the sizes.
    """
    owners: List[Tuple[int, int, str]] = []
    for m in platform.memory:
        owners.append((m.start, m.end, m.owner_name))
    for s in slots:
        if s.result.start is not None:
            owners.append((s.result.start, s.result.start + s.result.size, s.result.name))
    for r in platform.regions:
        for lo, hi in spaces[r.name].raw_free():
            if not r.labelled and any(s.result.start is not None for s in slots if s.region is r):
                continue
            owners.append((r.start + lo, r.start + hi, r.name))
    owners.sort()
    starts = [o[0] for o in owners]
    ends = [o[1] for o in owners]   # disjoint ranges: ends sorted too
    ss = p.section_size
    sub = SUBSECTION_SIZE if ss >= SUBSECTION_SIZE else ss
    candidates = sorted({o[0] // ss for o in owners} | {(o[1] - 1) // ss for o in owners})
    out: List[SectionResult] = []
    for nr in candidates:
        lo, hi = nr * ss, (nr + 1) * ss
        i = bisect_right(ends, lo)
        j = bisect_left(starts, hi)
        inside = owners[i:j]
        names: List[str] = []
        for o in inside:
            if o[2] not in names:
                names.append(o[2])
        if len(names) < 2:
            continue
        runs: List[SubsectionRun] = []
        for o_start, o_end, name in inside:
            a = (max(o_start, lo) - lo) // sub
            b = (min(o_end, hi) - 1 - lo) // sub
            if runs and runs[-1].owner == name and runs[-1].first + runs[-1].count >= a:
                runs[-1].count = max(runs[-1].count, b - runs[-1].first + 1)
            else:
                runs.append(SubsectionRun(a, b - a + 1, name))
        collision = "section"
        for x, y in zip(runs, runs[1:]):
            if y.first < x.first + x.count and x.owner != y.owner:
                collision = "subsection"
        out.append(SectionResult(nr, lo, mem.sparse.early_section(nr), names, runs, collision))
    return out


# -- the public entry point -------------------------------------------------------------

def compute_layout(platform: Platform, kernel: Optional[str] = None,
                   legacy: Optional[str] = "5.2", stored: bool = True) -> LayoutResult:
    """Run ``platform`` through ``kernel`` (default: the file's) and compare with ``legacy``.

    ``stored=False`` plans existing namespaces afresh instead of validating the info
    blocks on their media (the legacy comparison always does)."""
    kv = platform.kernel_for(kernel) if kernel else platform.kernel_version
    res = run_engine(platform, kv) if stored else run_engine(platform, kv, stored=False)
    if legacy:
        lv = resolve_kernel(legacy)
        old = run_engine(platform, lv, verify=False, sections=False, fixes=False, stored=False)
        res.legacy = old
        res.summary.legacy_kernel = str(lv)
        saved = 0
        mine = {n.name: n for n in res.namespaces}
        for o in old.namespaces:
            n = mine.get(o.name)
            if n is None:
                continue
            if n.status == "enabled" and o.status == "enabled":
                saved += (o.lost["start_pad"] + o.lost["end_trunc"]) - (n.lost["start_pad"] + n.lost["end_trunc"])
            elif n.status == "enabled":
                res.summary.only_enabled_under_kernel.append(n.name)
            elif o.status == "enabled":
                res.summary.only_enabled_under_legacy.append(n.name)
        res.summary.padding_saved = saved
    return res
