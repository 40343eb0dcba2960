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

LOST_KEYS = ("info_block", "memmap", "alignment", "start_pad", "end_trunc", "btt", "failed")


def empty_lost() -> Dict[str, int]:
    return dict.fromkeys(LOST_KEYS, 0)


@dataclass
class Fix:
    """A change to the platform file that makes a refused/failed namespace enable."""
    text: str
    changes: Dict[str, Any]   # {"namespace.size": 104857600} / {"region.align": 2097152} / …

    def to_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "set": dict(self.changes)}


@dataclass
class NamespaceError:
    by: str          # "kernel" | "ndctl"
    errno: str
    message: str

    def to_dict(self) -> Dict[str, Any]:
        return {"by": self.by, "errno": self.errno, "message": self.message}


@dataclass
class Kmem:
    online_bytes: int
    memory_block_size: int
    blocks: int
    error: Optional[str] = None
    range_start: int = 0
    range_end: int = 0
    # struct pages of the hot-added System RAM (engine/kmem.py kmem_memmap()): in DRAM, or
    # carved from the start of each hot-added memory block (memmap_on_memory, 6.8+)
    memmap_ram_bytes: int = 0
    memmap_on_memory: bool = False
    memmap_in_range_bytes: int = 0

    def to_dict(self) -> Dict[str, Any]:
        return {"online_bytes": self.online_bytes, "memory_block_size": self.memory_block_size,
                "blocks": self.blocks, "error": self.error, "memmap_ram_bytes": self.memmap_ram_bytes,
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
    messages: List[str] = field(default_factory=list)   # kernel/ndctl lines it would print
    sector_size: Optional[int] = None
    defaults: List[str] = field(default_factory=list)   # which values were defaulted
    pages_in: Optional[str] = None                       # "pmem" | "ram" | None (no struct pages)
    device: Optional[str] = None       # pfnX.Y / daxX.Y / bttX.Y or the namespace (pgmap owner)
    pfn: Optional["InfoBlock"] = None  # the engine's info block (runtime mapping, reserves)
    # what may go wrong although the status stands (an imported namespace's next enable)
    warnings: List[str] = field(default_factory=list)
    # the pfn/dax info block on the media of an existing namespace, when the engine
    # validated it (engine/pfn_devs.py StoredBlock.to_dict(): fields, source, written_by/at)
    stored_info_block: Optional[Dict[str, Any]] = None

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
            "messages": list(self.messages), "warnings": list(self.warnings),
            "stored_info_block": self.stored_info_block,
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
