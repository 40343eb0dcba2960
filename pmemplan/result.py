"""The result object: what the engine computed, read by every renderer.

Plain dataclasses with ``to_dict()`` giving the JSON contract (bytes as integers).
Renderers only read these; they compute nothing of their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

if TYPE_CHECKING:   # (typing only: the result module stays free of engine imports)
    from .engine.arch import ArchProfile
    from .engine.memory import MemoryState
    from .engine.pfn_devs import InfoBlock

from .causes import Cause

LOST_KEYS = ("info_block", "memmap", "alignment", "start_pad", "end_trunc", "btt", "failed")


def empty_lost() -> Dict[str, int]:
    return dict.fromkeys(LOST_KEYS, 0)


FIX_KINDS = ("ndctl-option", "size", "region-align", "order", "firmware", "mode")


def fix_kind(key: str) -> str:
    """The kind of action a change is: what the user does to make it happen."""
    if key in ("namespace.force", "namespace.align"):
        return "ndctl-option"            # ndctl create-namespace -f / -a
    if key == "namespace.size":
        return "size"                    # -s
    if key in ("namespace.mode", "namespace.map", "namespace.sector_size", "namespace.system_ram"):
        return "mode"                    # -m / -M / -l, daxctl reconfigure-device
    if key == "region.align":
        return "region-align"            # echo … > /sys/bus/nd/devices/regionX/align (5.7+)
    if key == "namespace.position":
        return "order"                   # the order of the create-namespace commands
    return "firmware"                    # region start/size: memmap=, QEMU nvdimm addr, the DIMM


@dataclass
class Fix:
    """An action a user can take that makes a refused/failed namespace enable.

    ``changes`` says what it changes in the platform file (``{"namespace.size": …}``,
    ``{"region.align": …}``, ``{"namespace.position": 0}``: its place in the region's
    creation order); ``kind`` is the first action's kind (:data:`FIX_KINDS`), ``kinds``
    every action's, in order (a fix may need two: ``-f`` and a size).  ``kinds`` defaults
    to the kinds of the changed keys (a mode change that clears the align says so itself).
    """
    text: str
    changes: Dict[str, Any]
    kinds: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.kinds:
            seen: List[str] = []
            for k in self.changes:
                kind = fix_kind(k)
                if kind not in seen:
                    seen.append(kind)
            self.kinds = seen

    @property
    def kind(self) -> str:
        return self.kinds[0] if self.kinds else "mode"

    def then(self, other: "Fix") -> "Fix":
        """This action followed by ``other`` (``other`` wins where both set a key; when it
        sets every key this one does, it replaces it)."""
        if set(other.changes) >= set(self.changes):
            return other
        kinds = list(self.kinds) + [k for k in other.kinds if k not in self.kinds]
        return Fix(f"{self.text}, and {other.text}", {**self.changes, **other.changes}, kinds)

    def to_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "kinds": list(self.kinds), "set": dict(self.changes)}


ORIGINS = ("kernel", "ndctl", "daxctl")


@dataclass
class KernelError:
    """A refusal or failure: errno, the text ndctl/the kernel prints, who says it
    (``origin``: kernel | ndctl | daxctl; ``by`` in JSON) and why (:class:`Cause`)."""
    errno: str
    message: str
    cause: Cause
    origin: str = "kernel"

    @property
    def by(self) -> str:
        return self.origin

    def to_dict(self) -> Dict[str, Any]:
        return {"by": self.origin, "errno": self.errno, "cause": self.cause.value,
                "message": self.message}


NamespaceError = KernelError    # what a NamespaceResult's ``error`` holds


@dataclass
class Kmem:
    online_bytes: int
    memory_block_size: int
    blocks: int
    error: Optional[str] = None
    range_start: int = 0
    range_end: int = 0
    cause: Optional[Cause] = None      # set with ``error``
    # struct pages of the hot-added System RAM (engine/kmem.py kmem_memmap()): in DRAM, or
    # carved from the start of each hot-added memory block (memmap_on_memory, 6.8+)
    memmap_ram_bytes: int = 0
    memmap_on_memory: bool = False
    memmap_in_range_bytes: int = 0

    def to_dict(self) -> Dict[str, Any]:
        return {"online_bytes": self.online_bytes, "memory_block_size": self.memory_block_size,
                "blocks": self.blocks, "error": self.error,
                "cause": self.cause.value if self.cause is not None else None,
                "memmap_ram_bytes": self.memmap_ram_bytes,
                "memmap_on_memory": self.memmap_on_memory,
                "memmap_in_range_bytes": self.memmap_in_range_bytes}


@dataclass
class NamespaceResult:
    name: str
    region: str
    start: Optional[int]
    size: int
    mode: str
    map: Optional[str]
    align: int
    status: str = "enabled"                      # enabled | failed | refused | disabled
    error: Optional[NamespaceError] = None
    info_block: Optional[Dict[str, int]] = None
    usable_size: Optional[int] = None
    lost: Dict[str, int] = field(default_factory=empty_lost)
    memmap_ram_bytes: int = 0
    kmem: Optional[Kmem] = None
    fixes: List[Fix] = field(default_factory=list)
    no_fix: Optional[str] = None       # why no fix is offered (refused/failed without fixes)
    messages: List[str] = field(default_factory=list)   # kernel/ndctl lines it would print
    sector_size: Optional[int] = None
    defaults: List[str] = field(default_factory=list)   # which values were defaulted
    pages_in: Optional[str] = None                       # "pmem" | "ram" | None (no struct pages)
    device: Optional[str] = None       # pfnX.Y / daxX.Y / bttX.Y or the namespace (pgmap owner)
    pfn: Optional["InfoBlock"] = None  # the engine's info block (runtime mapping, reserves)
    # what may go wrong although the status stands (an imported namespace's next enable)
    warnings: List[str] = field(default_factory=list)

    @property
    def end(self) -> Optional[int]:
        return None if self.start is None else self.start + self.size

    @property
    def suggestions(self) -> List[str]:
        return [f.text for f in self.fixes]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name, "region": self.region, "start": self.start, "size": self.size,
            "mode": self.mode, "map": self.map, "align": self.align, "status": self.status,
            "error": self.error.to_dict() if self.error else None,
            "info_block": self.info_block, "usable_size": self.usable_size,
            "lost": dict(self.lost), "memmap_ram_bytes": self.memmap_ram_bytes,
            "kmem": self.kmem.to_dict() if self.kmem else None,
            "suggestions": self.suggestions, "fixes": [f.to_dict() for f in self.fixes],
            "no_fix": self.no_fix,
            "messages": list(self.messages), "warnings": list(self.warnings),
        }


@dataclass
class RegionResult:
    name: str
    provider: str
    start: int
    size: int
    align: int
    available_size: int
    max_available_extent: int
    labelled: bool
    interleave_ways: int

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "provider": self.provider, "start": self.start,
                "size": self.size, "align": self.align, "available_size": self.available_size,
                "max_available_extent": self.max_available_extent, "labels": self.labelled,
                "interleave_ways": self.interleave_ways}


@dataclass
class SubsectionRun:
    first: int
    count: int
    owner: str

    def to_dict(self) -> Dict[str, Any]:
        return {"first": self.first, "count": self.count, "owner": self.owner}


@dataclass
class SectionResult:
    nr: int
    start: int
    early: bool
    owners: List[str]
    subsections: List[SubsectionRun]
    collision: str    # "section" | "subsection"

    def to_dict(self) -> Dict[str, Any]:
        return {"nr": self.nr, "start": self.start, "early": self.early, "owners": list(self.owners),
                "subsections": [r.to_dict() for r in self.subsections], "collision": self.collision}


@dataclass
class Summary:
    usable_size: int
    lost: int
    padding_saved: int
    legacy_kernel: Optional[str]
    only_enabled_under_kernel: List[str] = field(default_factory=list)
    only_enabled_under_legacy: List[str] = field(default_factory=list)
    enabled: int = 0
    failed: int = 0
    refused: int = 0
    disabled: int = 0     # imported namespaces the machine showed disabled (state: disabled)

    def to_dict(self) -> Dict[str, Any]:
        return {"usable_size": self.usable_size, "lost": self.lost,
                "padding_saved": self.padding_saved, "legacy_kernel": self.legacy_kernel,
                "only_enabled_under_kernel": list(self.only_enabled_under_kernel),
                "only_enabled_under_legacy": list(self.only_enabled_under_legacy),
                "enabled": self.enabled, "failed": self.failed, "refused": self.refused,
                "disabled": self.disabled}


@dataclass
class ArchInfo:
    page_size: int
    section_size: int
    subsection_size: int
    compat_align: Optional[int]
    pmd_size: int
    pud_size: int
    memory_block_size: int
    supported_alignments: List[int]

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__, supported_alignments=list(self.supported_alignments))


@dataclass
class LayoutResult:
    platform: str
    arch: str
    kernel: str
    era: str
    assumptions: List[str]
    arch_info: ArchInfo
    regions: List[RegionResult]
    namespaces: List[NamespaceResult]
    sections: List[SectionResult]
    summary: Summary
    memory: List[Dict[str, Any]] = field(default_factory=list)
    legacy: Optional["LayoutResult"] = None
    state_size: int = 0   # objects the engine stored (sections runs, bitmaps, extents, pgmaps)
    memory_state: Optional["MemoryState"] = None   # the engine's final state (sections, pgmaps, RAM)
    profile: Optional["ArchProfile"] = None        # the arch profile the run used

    def namespace(self, name: str) -> NamespaceResult:
        for ns in self.namespaces:
            if ns.name == name:
                return ns
        raise KeyError(name)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "format": 1, "platform": self.platform, "arch": self.arch, "kernel": self.kernel,
            "era": self.era, "assumptions": list(self.assumptions),
            "arch_info": self.arch_info.to_dict(),
            "regions": [r.to_dict() for r in self.regions],
            "namespaces": [n.to_dict() for n in self.namespaces],
            "sections": [s.to_dict() for s in self.sections],
            "summary": self.summary.to_dict(),
        }
