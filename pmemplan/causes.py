"""Why a namespace is refused or fails, or why kmem onlines nothing: one enumeration.

Every refusal (ndctl) and failure (kernel, daxctl) the engine produces carries one
:class:`Cause`, set where the check is made, next to its message.  Lint rules and fixes
are chosen by cause, never by message text, so a reworded message changes nothing.

The values are part of the JSON contract (``error.cause``, ``kmem.cause``): adding a
cause is a minor change, renaming or removing one is a breaking change.  Each cause is
named after the kernel or ndctl check it models; :data:`CAUSES` gives its meaning, the
check and where it comes from (the README's table is generated from the same words).
"""
from __future__ import annotations

from enum import Enum
from typing import Dict, NamedTuple


class Cause(str, Enum):
    # ndctl (user space): create-namespace refuses before the kernel is asked
    NO_SPACE = "no-space"
    LABEL_LESS_SUBDIVIDE = "label-less-subdivide"
    ALIGN_NOT_SUPPORTED_FOR_MODE = "align-not-supported-for-mode"
    UNSUPPORTED_ALIGN = "unsupported-align"
    REGION_ALIGN_SIZE = "region-align-size"
    INTERLEAVE_SIZE = "interleave-size"
    TOO_SMALL = "too-small"
    ACTIVE_NEEDS_FORCE = "active-needs-force"
    START_16M = "start-16m"
    NO_ZONE_DEVICE = "no-zone-device"
    NO_CXL_REGION = "no-cxl-region"
    # the kernel: probing the namespace and mapping it
    COMPAT_MISALIGNED = "compat-misaligned"
    CLAIM_TOO_SMALL = "claim-too-small"
    CANNOT_ALIGN = "cannot-align"
    SECTION_CONFLICT = "section-conflict"
    PGMAP_COLLISION = "pgmap-collision"
    RAM_OVERLAP = "ram-overlap"
    SUBSECTION_BUSY = "subsection-busy"
    PFN_SPAN = "pfn-span"
    ALTMAP_INVALID = "altmap-invalid"
    ALTMAP_EXHAUSTED = "altmap-exhausted"
    BTT_TOO_SMALL = "btt-too-small"
    BTT_SECTOR_SIZE = "btt-sector-size"
    BTT_VERSION = "btt-version"
    # the kernel: an info block already on the media, validated again at enable
    # (nd_pfn_validate(), docs/kernel-model.md §6.6): the namespace moved or the kernel changed
    STORED_BAD_OFFSET = "stored-bad-offset"
    STORED_MISALIGNED = "stored-misaligned"
    STORED_PAGE_SIZE = "stored-page-size"
    STORED_ALIGN_UNSUPPORTED = "stored-align-unsupported"
    STORED_CAPACITY = "stored-capacity"
    STORED_DAX_ALIGN = "stored-dax-align"
    # kmem (daxctl reconfigure-device --mode=system-ram): the namespace stays enabled
    KMEM_TOO_SMALL = "kmem-too-small"
    KMEM_UNSUPPORTED_KERNEL = "kmem-unsupported-kernel"
    KMEM_NO_CAPACITY = "kmem-no-capacity"
    # pmemplan plan: an intent that no concrete platform meets (the binding constraint)
    PLAN_NO_ROOM = "plan-no-room"
    PLAN_OFFSET_ORDER = "plan-offset-order"
    PLAN_USABLE_SHORT = "plan-usable-short"
    PLAN_TWO_DEFAULT_SIZES = "plan-two-default-sizes"

    def __str__(self) -> str:
        return self.value


class CauseInfo(NamedTuple):
    origin: str      # who refuses: ndctl | kernel | daxctl
    meaning: str
    check: str       # the kernel/ndctl check it models
    source: str      # where that check is documented or observed


CAUSES: Dict[Cause, CauseInfo] = {
    Cause.NO_SPACE: CauseInfo(
        "ndctl", "the size does not fit in the region's largest free extent (or no size is "
        "left when -s is omitted)", "ndctl create-namespace: region max_available_extent, "
        "\"No space left on device\" (ENOSPC)", "docs/kernel-model.md §7.2, §8.1"),
    Cause.LABEL_LESS_SUBDIVIDE: CauseInfo(
        "ndctl", "a label-less region holds one namespace spanning all of it",
        "validate_namespace_options(): \"Legacy / label-less namespaces do not support "
        "sub-dividing a region\"", "docs/kernel-model.md §8.1"),
    Cause.ALIGN_NOT_SUPPORTED_FOR_MODE: CauseInfo(
        "ndctl", "sector and raw modes take no -a/--align",
        "validate_namespace_options(): \"<mode> mode does not support setting an alignment\"",
        "docs/kernel-model.md §8.1"),
    Cause.UNSUPPORTED_ALIGN: CauseInfo(
        "ndctl", "the align is not in the kernel's supported_alignments",
        "validate_namespace_options() against regionX/*/supported_alignments (4.14+)",
        "docs/kernel-model.md §6.3, §8.1"),
    Cause.REGION_ALIGN_SIZE: CauseInfo(
        "ndctl", "the size is not a multiple of regionX/align",
        "ndctl v68+: \"align setting is … size … is misaligned\"", "docs/kernel-model.md §7.1, §8.1; ndctl ba9365c (v68)"),
    Cause.INTERLEAVE_SIZE: CauseInfo(
        "ndctl", "the size is not a multiple of align × interleave ways",
        "\"'--size=' must align to interleave-width … did you intend --size=…?\"",
        "docs/kernel-model.md §8.1"),
    Cause.TOO_SMALL: CauseInfo(
        "ndctl", "fsdax, devdax and sector namespaces need at least 16 MiB",
        "ndctl v68+: \"'--size=' must be >= 16MiB\"", "docs/kernel-model.md §8.1"),
    Cause.ACTIVE_NEEDS_FORCE: CauseInfo(
        "ndctl", "reconfiguring an enabled namespace needs -f",
        "namespace_prep_reconfig(): \"is active, specify --force for re-configuration\" "
        "(EBUSY)", "docs/kernel-model.md §8.3; observed on 6.1 with ndctl 76.1"),
    Cause.START_16M: CauseInfo(
        "ndctl", "a new fsdax/devdax namespace must start 16 MiB aligned unless -f",
        "setup_namespace() → check_dax_align() (ndctl v68, e47f490): \"misaligned to 16M\"",
        "docs/kernel-model.md §8.1"),
    Cause.NO_ZONE_DEVICE: CauseInfo(
        "ndctl", "fsdax and devdax need ZONE_DEVICE, which this arch/kernel cannot build "
        "(arm64 before 5.7, riscv64 before 6.11): there is no pfn/dax seed to configure",
        "mm/Kconfig ZONE_DEVICE depends on MEMORY_HOTREMOVE and ARCH_HAS_ZONE_DEVICE; "
        "NVDIMM_PFN and DEV_DAX_PMEM depend on ZONE_DEVICE", "docs/kernel-model.md §3"),
    Cause.NO_CXL_REGION: CauseInfo(
        "ndctl", "CXL pmem regions exist from 6.0 (region creation in drivers/cxl/core/region.c)",
        "no such region before 6.0", "docs/kernel-model.md §3"),
    Cause.COMPAT_MISALIGNED: CauseInfo(
        "kernel", "the start (or end) is not memremap_compat_align()-aligned",
        "5.7+: nd_pfn_init() \"start … misaligned to …\" / nvdimm_namespace_common_probe() "
        "\"misaligned, unable to map\"", "docs/kernel-model.md §2.5, §6.1, §7.3; 9ffc1d19fc4a (v5.7)"),
    Cause.CLAIM_TOO_SMALL: CauseInfo(
        "kernel", "a pfn/dax claim needs a namespace of at least 16 MiB",
        "nd_namespace_store(): \"too small to host\" (ENXIO)", "docs/kernel-model.md §6"),
    Cause.CANNOT_ALIGN: CauseInfo(
        "kernel", "the info block, memmap and alignment leave no data",
        "nd_pfn_init(): \"unable to satisfy requested alignment\" (ENXIO)",
        "docs/kernel-model.md §6.1, §6.2"),
    Cause.SECTION_CONFLICT: CauseInfo(
        "kernel", "another pgmap already maps the (section-expanded) first or last pfn",
        "devm_memremap_pages(): \"Conflicting mapping in same section\" (ENOMEM)",
        "docs/kernel-model.md §5.1; pmem/ndctl#76, #91"),
    Cause.PGMAP_COLLISION: CauseInfo(
        "kernel", "up to 4.13 device mappings are kept per section: a second one in a section collides",
        "devm_memremap_pages(): \"… collides with mapping for …\" (EBUSY), pgmap radix tree "
        "keyed by section up to 4.13", "docs/kernel-model.md §5.1; seen in 4.11.0, 4.13.4"),
    Cause.RAM_OVERLAP: CauseInfo(
        "kernel", "the mapped range intersects System RAM",
        "devm_memremap_pages()/memremap_pages(): \"attempted on mixed/ram region\" (ENXIO)",
        "docs/kernel-model.md §5.1"),
    Cause.SUBSECTION_BUSY: CauseInfo(
        "kernel", "a 2 MiB sub-section of the range is already populated",
        "sparse_add_section() → section_activate() (EEXIST), 5.3+",
        "docs/kernel-model.md §4.3; ba72b4c8cf60 (v5.3)"),
    Cause.PFN_SPAN: CauseInfo(
        "kernel", "the hot-added range is not a multiple of the sub-section size",
        "check_pfn_span(): \"Misaligned __add_pages\" (EINVAL), 5.3+", "docs/kernel-model.md §4.3, §5.1"),
    Cause.ALTMAP_INVALID: CauseInfo(
        "kernel", "the altmap does not start at the hot-added range",
        "__add_pages(): \"memory add fail, invalid altmap\" (EINVAL), 5.3+", "docs/kernel-model.md §5.1"),
    Cause.ALTMAP_EXHAUSTED: CauseInfo(
        "kernel", "before 5.3 the memmap reserved in a map=dev namespace does not cover every "
        "section it is hot-added with (a range starting mid-section and ending past a boundary)",
        "vmemmap_populate() from the altmap: add_pages() WARN, probe fails with -ENOMEM",
        "docs/kernel-model.md §5.1; observed on 5.2.1"),
    Cause.BTT_TOO_SMALL: CauseInfo(
        "kernel", "the BTT needs 16 MiB after its initial offset",
        "nvdimm_namespace_attach_btt(): \"must be at least\" (ENXIO)", "docs/kernel-model.md §9"),
    Cause.BTT_SECTOR_SIZE: CauseInfo(
        "kernel", "the BTT sector size is not one the kernel supports",
        "btt sector_size attribute (btt_devs.c lbasize list), EINVAL", "docs/kernel-model.md §9"),
    Cause.BTT_VERSION: CauseInfo(
        "kernel", "unknown BTT version (only 1.1 and 2.0 exist)",
        "btt_devs.c initial offset per BTT version", "docs/kernel-model.md §9"),
    Cause.STORED_BAD_OFFSET: CauseInfo(
        "kernel", "the stored block's data start is no longer a multiple of its recorded align "
        "(the range moved by something else than a multiple of it)",
        "nd_pfn_validate(): \"bad offset: … dax disabled align: …\" (EOPNOTSUPP 5.7+, ENXIO before)",
        "docs/kernel-model.md §6.6; 1ee6667cd8d1 (v4.7); observed on 6.1 (nv_shift)"),
    Cause.STORED_MISALIGNED: CauseInfo(
        "kernel", "the stored block's start (start + start_pad) or end (end - end_trunc) is no "
        "longer memremap_compat_align()-aligned", "nd_pfn_validate(): \"resource start misaligned\" / "
        "\"resource end misaligned\" (EOPNOTSUPP), 5.7+",
        "docs/kernel-model.md §6.6; 9ffc1d19fc4a (v5.7); observed on 6.1 (nv_shift)"),
    Cause.STORED_PAGE_SIZE: CauseInfo(
        "kernel", "the stored block was written for bigger pages or a bigger struct page (map=dev)",
        "nd_pfn_validate(): \"init failed, page size mismatch\" / \"struct page size mismatch\" "
        "(EOPNOTSUPP), 5.4+", "docs/kernel-model.md §6.6"),
    Cause.STORED_ALIGN_UNSUPPORTED: CauseInfo(
        "kernel", "the stored devdax align is not one this kernel supports (e.g. 1 GiB without PUD THP)",
        "nd_pfn_validate(): \"init failed, alignment mismatch\" (EOPNOTSUPP), 5.4+",
        "docs/kernel-model.md §6.3, §6.6"),
    Cause.STORED_CAPACITY: CauseInfo(
        "kernel", "the stored block does not fit the namespace's current size (align or dataoff "
        "beyond it, no data left)", "nd_pfn_validate(): \"alignment: … exceeds capacity\", \"pfn array "
        "size exceeds capacity\", \"bad offset with small namespace\"; __nvdimm_setup_pfn() EINVAL",
        "docs/kernel-model.md §6.6"),
    Cause.STORED_DAX_ALIGN: CauseInfo(
        "kernel", "the devdax data range of a stored block is no longer a multiple of its align "
        "(the namespace shrank or grew)", "drivers/dax/bus.c alloc_dax_region(): range start and "
        "length multiples of the align, else dax_pmem probe fails with ENOMEM (no message)",
        "docs/kernel-model.md §6.6; 9d2d01a031a9 (v4.8)"),
    Cause.KMEM_TOO_SMALL: CauseInfo(
        "kernel", "the dax range holds no whole memory block after alignment",
        "dax kmem: add_memory() of whole blocks; 5.11+ \"rejecting DAX region without any "
        "memory after alignment\"", "docs/kernel-model.md §10; c221c0b0308f (v5.1), 60e93dc097f7 (v5.11)"),
    Cause.KMEM_UNSUPPORTED_KERNEL: CauseInfo(
        "daxctl", "dax kmem (system-ram mode) needs Linux 5.1", "daxctl reconfigure-device "
        "--mode=system-ram; kmem driver from 5.1", "docs/kernel-model.md §10; c221c0b0308f (v5.1)"),
    Cause.KMEM_NO_CAPACITY: CauseInfo(
        "daxctl", "the dax device has no capacity (dataoff reaches the truncated end)",
        "daxctl_dev_enable: \"failed to enable (No such device or address)\"",
        "docs/kernel-model.md §10; observed on 6.1"),
    Cause.PLAN_NO_ROOM: CauseInfo(
        "ndctl", "the intent's namespaces need more than the region holds (`pmemplan plan`)",
        "the planned sizes against the region size in whole placement granules: what ndctl "
        "would refuse with \"No space left on device\"", "docs/kernel-model.md §7.2, §8.1"),
    Cause.PLAN_OFFSET_ORDER: CauseInfo(
        "ndctl", "a given offset lies inside the namespaces created before it (`pmemplan plan`)",
        "ndctl create-namespace has no offset option: namespaces land first-fit in creation "
        "order", "docs/kernel-model.md §7.2"),
    Cause.PLAN_USABLE_SHORT: CauseInfo(
        "kernel", "no size the region allows gives the usable size asked (`pmemplan plan`)",
        "the info block, memmap and BTT layouts of the largest size (label-less: the whole "
        "region)", "docs/kernel-model.md §6, §9"),
    Cause.PLAN_TWO_DEFAULT_SIZES: CauseInfo(
        "ndctl", "two namespaces of one region give no size (`pmemplan plan`: one is the rest)",
        "ndctl create-namespace without -s takes the largest free extent", "docs/kernel-model.md §8.1"),
}

KMEM_CAUSES = (Cause.KMEM_TOO_SMALL, Cause.KMEM_UNSUPPORTED_KERNEL, Cause.KMEM_NO_CAPACITY)


def cause_table() -> str:
    """The README table: cause → meaning → check → source (Markdown)."""
    rows = ["| cause | by | meaning | check | source |", "|---|---|---|---|---|"]
    for c in Cause:
        i = CAUSES[c]
        rows.append(f"| `{c.value}` | {i.origin} | {i.meaning} | {i.check} | {i.source} |")
    return "\n".join(rows)
