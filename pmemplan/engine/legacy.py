"""The pre-5.3 switches, per mainline release and stable point release (docs/kernel-model.md §2.1-2.3).

Before sub-section hotplug (v5.3) the pfn/dax info block and devm_memremap_pages() changed
several times, and fixes reached the long-term stable series at point releases of their
own.  Each switch below was read in the kernel source of the releases named (tarball
imports of mainline and stable trees; Linux 5.2.1, 5.0.1 and 4.19.72 also booted,
docs/kernel-model.md §13):
"seen in X, absent in Y" brackets a change whose commit could not be pinned to the tag.

A stable point release is only known where a tree of it was read; between the last point
seen without a change and the first seen with it, the first seen is used (an assumption
the result states, :func:`stable_note`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from ..kversion import KernelVersion


def _from(k: KernelVersion, release: Tuple[int, int],
          *stable: Tuple[int, int, int]) -> bool:
    """True from mainline ``release`` on, or in a listed stable series from its point release."""
    if k.at_least(*release):
        return True
    for major, minor, patch in stable:
        if (k.major, k.minor) == (major, minor) and k.patch >= patch:
            return True
    return False


@dataclass(frozen=True)
class LegacyRules:
    """What one pre-5.3 kernel does in nd_pfn_init() and devm_memremap_pages()."""
    # nd_pfn_init(), map=dev: data offset aligned to max(align, HPAGE_SIZE) ("vmemmap_populate
    # allocates the memmap in HPAGE_SIZE chunks"); seen in 4.10.1, absent in 4.9.0.
    # HPAGE_SIZE is the PMD size on x86_64, arm64 and ppc64.
    pmd_align: bool
    # nd_pfn_init(): the memmap budget counts whole sections of pages,
    # PFN_SECTION_ALIGN_UP((size - pads - reserve) / PAGE_SIZE); before, (avail - 8K) / 4K.
    # Seen in 4.12.0 (absent in 4.11.0) and, as a stable backport, 4.10.17 (absent in 4.10.1).
    section_npfns: bool
    # nd_pfn_init(): "alignment collision" (was "section collision"), and an end that is not
    # a multiple of the pfn align is trimmed too, to min(SECTION_DOWN(end), ALIGN_DOWN(end,
    # align)) (phys_pmem_align_down()).  Seen in 4.14.67, 4.14.74, 4.16.13; absent in 4.13.4.
    align_trunc: bool
    # trim_pfn_device() (ae86cbfef381 "libnvdimm, pfn: Pad pfn namespaces relative to other
    # regions"): also pads when the first/last section is shared with another region of the
    # same bus (nd_region_conflict()).  Seen in 4.20.1 and 5.0.1 (absent in 4.19.1); stable:
    # 4.19.y (seen in 4.19.13, 4.19.48, 4.19.72, 4.19.222).  Not seen in 4.14.y (to 4.14.74).
    region_pad: bool
    # ae86cbfef381 added 'adjust' twice to the end check: it looks for another region at
    # SECTION_UP(end) + adjust.  Fixed by f101ada7da65 "libnvdimm, pfn: Fix over-trim in
    # trim_pfn_device()" (v5.1; 5.1.15 fixed, 5.0.1 not); stable 4.19.y: seen fixed in 4.19.48,
    # not in 4.19.13.  Observed on a real 5.0.1: 224M at 9G beside a region at 9G+272M is
    # truncated by 96M (oracle-cases-5.0, lg50_ot); not on a real 4.19.72 (oracle-cases-4.19).
    overtrim: bool
    # info_block_reserve() = ALIGN(SZ_8K, PAGE_SIZE) replaces SZ_8K and the 128K device-dax
    # label reserve goes: seen in 5.1.15 and 5.2.1, absent in 5.0.1; never in 4.19.y (to .222).
    # Observed on a real 4.19.72: devdax map=mem 4K has its data at 136K (oracle-cases-4.19).
    reserve_ibr: bool
    # info-block version_minor: 2; 3 from "libnvdimm/pfn: Fix fsdax-mode namespace info-block
    # zero-fields" (mainline 5.3), in 4.19.y from a point between .48 (2) and .72 (3).
    version_minor: int
    # devm_memremap_pages() registers the pgmap on the exact range (multi-order radix tree,
    # xarray from 5.0); up to 4.13 per section (radix tree keyed by section, a second mapping
    # in a section -EBUSY "… collides with mapping for …").  Seen: section-keyed in 4.10.1,
    # 4.11.0, 4.12.0, 4.13.4; exact in 4.14.67, 4.16.13, 4.17.0, 4.18, 4.19.1, 5.2.1.
    pgmap_exact: bool
    # devm_memremap_pages(): "Conflicting mapping in same section" (-ENOMEM) when a pgmap holds
    # the first or last pfn of the section-widened range ("mm: disallow mappings that conflict
    # for devm_memremap_pages()"); seen in 4.18 and 4.19.1, absent in 4.17.0.
    section_conflict: bool


def legacy_rules(k: KernelVersion) -> LegacyRules:
    """The pre-5.3 switches for ``k`` (any version; only meaningful before 5.3)."""
    return LegacyRules(
        pmd_align=_from(k, (4, 10)),
        section_npfns=_from(k, (4, 12), (4, 10, 17)),
        align_trunc=_from(k, (4, 14)),
        region_pad=_from(k, (4, 20), (4, 19, 13)),
        overtrim=_from(k, (4, 20), (4, 19, 13)) and not _from(k, (5, 1), (4, 19, 48)),
        reserve_ibr=_from(k, (5, 1)),
        version_minor=3 if _from(k, (5, 3), (4, 19, 72)) else 2,
        pgmap_exact=_from(k, (4, 14)),
        section_conflict=_from(k, (4, 18)),
    )


# stable series with a backport whose first point release is not bracketed exactly:
# (major, minor): (last point seen without, first point seen with, what)
_BRACKETS = {
    (4, 19): ((1, 13, "trim_pfn_device() padding against other regions"),
              (13, 48, "the over-trim fix"),
              (48, 72, "info-block version 1.3")),
}


def stable_note(k: KernelVersion) -> Optional[str]:
    """The assumption a result carries for a stable point release inside a bracket."""
    if k.at_least(5, 3) or k.rc:
        return None
    for lo, hi, what in _BRACKETS.get((k.major, k.minor), ()):
        if lo < k.patch < hi:
            return (f"Linux {k}: {what} reached {k.major}.{k.minor}.y between .{lo} (without) and "
                    f".{hi} (with); {k} is planned as without it")
    return None
