"""ndctl's user-space rules: ``ndctl create-namespace`` (ndctl/namespace.c, v81 read).

What ndctl refuses before the kernel is asked, in the order it checks
(``validate_namespace_options()``, then ``setup_namespace()``'s check_dax_align),
and the defaults it picks (docs/kernel-model.md §8).  Every refusal is ``by="ndctl"``.
"""
from __future__ import annotations

from typing import Callable, Optional, Tuple

from ..causes import Cause
from ..platform import Namespace, Region
from ..sizes import SZ_16M, format_size, in_unit, parse_size
from ..result import KernelError
from .arch import ArchProfile
from .memory import REGION_DISJOINT, REGION_MIXED

# ba9365c / 697680f / e47f490 (ndctl v68): region-align, 16M-minimum and 16M-start checks
NDCTL_ALIGN_CHECKS = (68, 0)


def previous_state(region: Region, ns: Namespace) -> Optional[Tuple[str, Optional[int]]]:
    """(mode as ndctl lists it, pfn/dax align or None) before this command, None if new.

    A label-less namespace that the file does not describe further is in its boot
    state: raw, which ndctl lists as fsdax ("legacy memory mode") on pagemap buses
    (e820, of_pmem, virtio-pmem).
    """
    was = ns.was
    if was is None:
        if region.labelled:
            return None
        return ("fsdax", None) if region.pagemap else ("raw", None)
    if region.pagemap and (was.mode == "raw" or (was.mode == "fsdax" and was.map == "mem"
                                                           and was.align is None)):
        return "fsdax", None
    return was.mode, was.align


def default_align(p: ArchProfile, region: Region, ns: Namespace) -> Tuple[int, Optional[str]]:
    """The pfn/dax align ndctl uses when ``-a`` is not given, and why (None when given).

    validate_namespace_options(): reconfiguring in the same mode keeps the existing
    pfn/dax align (PAGE_SIZE when the namespace has none: the e820 boot state, observed
    on 6.1); a new mode takes the seed's default (the kernel's PMD size); then PAGE_SIZE
    if the region's start is not a multiple of it (observed on 6.1 with ndctl 76.1).
    """
    if ns.align is not None:
        return ns.align, None
    if ns.mode in ("sector", "raw"):
        return p.page_size, None
    prev = previous_state(region, ns)
    if prev is not None and prev[0] == ns.mode:
        a = prev[1] or p.page_size
        why = (f"kept from the namespace's current {ns.mode} configuration" if prev[1] else
               f"the namespace is already {ns.mode} without a pfn device"
               + (" (legacy memory mode)" if region.pagemap else ""))
    else:
        seed = region.dax_seed_align if ns.mode == "devdax" else region.pfn_seed_align
        if seed:
            # ndctl reads the seed's align; a failed attempt's align stays on the seed
            # (observed on 6.1 with ndctl 76.1)
            a, why = seed, f"the region's {'dax' if ns.mode == 'devdax' else 'pfn'} seed align"
        else:
            a = p.default_pfn_align()
            why = "the kernel's default (nd_pfn_default_alignment)"
    if region.start % a:
        return p.page_size, (f"defaults to {format_size(p.page_size)}: region start "
                             f"{region.start:#x} is not a multiple of {format_size(a)}")
    return a, f"defaults to {format_size(a)}, {why}"


def did_you_intend(size: int, align: int, ways: int, unit: str) -> int:
    """ndctl's suggestion: the next multiple strictly above of max(unit, align) × ways."""
    g = max(parse_size(f"1{unit}") if unit else 1, align) * ways
    return (size // g + 1) * g


def precheck(p: ArchProfile, ndctl: Tuple[int, int], region: Region, region_align: Optional[int],
             ns: Namespace, size: int, align: int, capacity: Optional[int],
             default_size: bool = False) -> Optional[KernelError]:
    """Checks that do not depend on where the namespace lands, in ndctl's order.

    ``capacity`` is the region's max_available_extent (labelled regions, region_devs.py),
    which can be 0 while available_size is not: ndctl then refuses any size, before its
    own size and align checks (observed on 6.1 and 6.12, oracle wrap_align).
    """
    # v6.0: drivers/cxl/pmem.c / region.c create nvdimm pmem regions for CXL (the CXL
    # region driver, docs/kernel-model.md §3; commit not pinned)
    if region.provider == "cxl" and not p.kernel.at_least(6, 0):
        return KernelError("ENODEV", f"{region.name}: CXL pmem regions exist from Linux 6.0",
                           Cause.NO_CXL_REGION, "ndctl")
    if ns.mode in ("fsdax", "devdax") and not p.zone_device and not (
            region.pagemap and ns.mode == "fsdax" and ns.effective_map == "mem"):
        return KernelError("ENODEV", f"{ns.mode} needs ZONE_DEVICE, which {p.arch} {p.kernel} does "
                           f"not have: the region has no {'dax' if ns.mode == 'devdax' else 'pfn'} seed",
                           Cause.NO_ZONE_DEVICE, "ndctl")
    if capacity is not None and size > capacity:
        return KernelError("ENOSPC", "failed to create namespace: No space left on device",
                           Cause.NO_SPACE, "ndctl")
    if not region.labelled and size != region.size:
        return KernelError("EINVAL", "Legacy / label-less namespaces do not support sub-dividing a "
                           "region; retry without -s/--size=", Cause.LABEL_LESS_SUBDIVIDE, "ndctl")
    if ns.align is not None:
        if ns.mode in ("sector", "raw"):
            return KernelError("ENXIO", f"{ns.mode} mode does not support setting an alignment",
                               Cause.ALIGN_NOT_SUPPORTED_FOR_MODE, "ndctl")
        # the kernel lists supported_alignments from 4.14 (arch.py); on older kernels ndctl
        # has no list to check against
        if p.kernel.at_least(4, 14) and ns.align not in p.supported_alignments():
            ok = ", ".join(format_size(a) for a in p.supported_alignments())
            return KernelError("ENXIO", f"unsupported align: {format_size(ns.align)} (kernel supports {ok})",
                               Cause.UNSUPPORTED_ALIGN, "ndctl")
    new_checks = ndctl >= NDCTL_ALIGN_CHECKS
    if new_checks and region_align is not None and size % region_align:
        return KernelError("EINVAL", f"create namespace: {region.name}: align setting is {region_align:#x} "
                           f"size {size:#x} is misaligned", Cause.REGION_ALIGN_SIZE, "ndctl")
    ways = region.interleave_ways
    if size % (align * ways):
        sugg = did_you_intend(size, align, ways, ns.size_unit)
        return KernelError("EINVAL", f"create namespace: '--size=' must align to interleave-width: {ways} "
                           f"and alignment: {align}; did you intend --size={in_unit(sugg, ns.size_unit)}?",
                           Cause.INTERLEAVE_SIZE, "ndctl")
    if new_checks and size < SZ_16M and ns.mode != "raw":
        if default_size:
            # without -s ndctl moves on to the next region (-EAGAIN); none left: ENOSPC
            return KernelError("ENOSPC", "failed to create namespace: No space left on device "
                               f"(the default size {size:#x} is under 16MiB for {ns.mode})", Cause.NO_SPACE,
                               "ndctl")
        return KernelError("EINVAL", f"'--size=' must be >= 16MiB for '{ns.mode}' mode", Cause.TOO_SMALL, "ndctl")
    return None


def boot_state_enabled(p: ArchProfile, region: Region,
                       ram: Optional[Callable[[int, int], int]] = None) -> bool:
    """Whether a label-less region's namespace is enabled in its boot state (raw).

    On pagemap buses (e820, of_pmem, virtio-pmem) the raw namespace maps struct pages,
    which v5.7 nvdimm_namespace_common_probe() refuses for a range whose start or end is
    not memremap_compat_align()-aligned ("misaligned, unable to map"; ``compat_align`` is
    None before 5.7): that namespace stays disabled.  Before 5.3 devm_memremap_pages()
    refuses a range whose widened sections hold System RAM (-ENXIO "attempted on mixed
    region", observed on Linux 5.2.1, kernel-cases-5.2 e820_unaligned_100M); ``ram`` is
    region_intersects(System RAM) when the caller knows the memory map.  A range that is
    itself partly System RAM maps no pages (pmem_should_map_pages()) and enables.  Other
    raw namespaces always enable.
    """
    if not region.pagemap:
        return True
    ca = p.compat_align
    if ram is not None and ram(region.start, region.end) == REGION_MIXED:
        return True
    if ca is not None and (region.start % ca or region.end % ca):
        return False
    if ram is not None and not p.subsection_hotplug:
        ss = p.section_size
        lo, hi = region.start - region.start % ss, -(-region.end // ss) * ss
        if ram(lo, hi) != REGION_DISJOINT:
            return False
    return True


def namespace_prep_reconfig(p: ArchProfile, region: Region, ns: Namespace,
                            ram: Optional[Callable[[int, int], int]] = None) -> Optional[KernelError]:
    """``create-namespace -e`` of an enabled namespace needs ``-f``: ndctl's
    namespace_prep_reconfig() refuses with -EBUSY after validating the options and
    before setup_namespace() (observed on 6.1 and 6.12 with ndctl 76.1).

    The namespace is being reconfigured when the file says what it was (``was:``; its
    ``enabled`` key says whether it is active) or when it is label-less (its boot state:
    raw, active unless it could not be enabled at boot).  A labelled namespace without
    ``was:`` is created, not reconfigured.  Label-less namespaces imply ``-f``.
    """
    if ns.exists or ns.forced(region.labelled):
        return None
    if ns.was is not None:
        active = ns.was.enabled
    elif not region.labelled:
        active = boot_state_enabled(p, region, ram)
    else:
        return None
    if not active:
        return None
    return KernelError("EBUSY", f"{ns.name} is active, specify --force for re-configuration",
                       Cause.ACTIVE_NEEDS_FORCE, "ndctl")


def check_dax_align(ndctl: Tuple[int, int], region: Region, ns: Namespace, start: int) -> Optional[KernelError]:
    """setup_namespace() → check_dax_align() (ndctl v68, e47f490): a new fsdax/devdax
    namespace must start 16 MiB aligned unless ``-f``; label-less namespaces are always
    converted with ``-f -e``."""
    if ndctl < NDCTL_ALIGN_CHECKS or ns.mode not in ("fsdax", "devdax"):
        return None
    if ns.forced(region.labelled):
        return None
    if start % SZ_16M:
        return KernelError("EINVAL", f"{ns.name} misaligned to 16M, adjust region alignment and retry",
                           Cause.START_16M, "ndctl")
    return None
