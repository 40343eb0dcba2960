"""What the importer builds: notes on values, the namespaces and regions on their way to
platform records, and the result."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..errors import PmemplanError
from .iomem import Resource
from .ndctl import NdRegion

if TYPE_CHECKING:
    from ..platform import Platform


class ImportMissing(PmemplanError):
    """The inputs do not say something the platform needs (the CLI exits 2)."""

@dataclass
class Note:
    """Where a value came from: ``from`` (derived from the inputs), ``assumed`` (not in
    them), ``warning`` (the model disagrees with the inputs) or ``note`` (information)."""
    kind: str
    target: str               # "platform", "region0", "namespace0.1", "memory[3]"
    key: Optional[str]        # the YAML key the note is about (None: the object itself)
    text: str

    def line(self) -> str:
        where = self.target + (f".{self.key}" if self.key else "")
        return f"{self.kind}: {where}: {self.text}"


@dataclass
class _Ns:
    name: str
    mode: str = "raw"
    map: Optional[str] = None
    align: Optional[int] = None
    sector_size: Optional[int] = None
    system_ram: bool = False
    start: Optional[int] = None
    size: Optional[int] = None             # raw size
    usable: Optional[int] = None           # ndctl's size
    usable_approx: bool = False
    enabled: bool = True
    head_end: Optional[int] = None         # devdax: end of the namespace's iomem resource (start + dataoff)
    data_start: Optional[int] = None       # devdax: start of the data (daxctl mapping / dax resource)
    data_end: Optional[int] = None         # devdax: end of the data (no kmem in between)
    whole_end: Optional[int] = None        # iomem resource end when it is the whole namespace
    label_uuid: bool = False
    raw_size_fact: bool = False
    holder: Optional[str] = None           # the pfn/dax device in use (sysfs)
    holder_resource: Optional[int] = None  # its sysfs resource: start + start_pad + dataoff


@dataclass
class _Region:
    name: str
    provider: str = "nfit"
    start: Optional[int] = None
    size: Optional[int] = None
    labels: Optional[bool] = None
    align: Optional[int] = None
    ways: Optional[int] = None
    numa_node: Optional[int] = None
    label_version: Optional[str] = None
    namespaces: List[_Ns] = field(default_factory=list)
    iomem: Optional[Resource] = None
    nd: Optional[NdRegion] = None


@dataclass
class ImportResult:
    """The imported platform: ``data`` is format 1 as plain values (what the YAML says)."""
    data: Dict[str, Any]
    notes: List[Note]
    sources: List[str]
    checks: Dict[str, Tuple[Optional[int], Optional[int]]] = field(default_factory=dict)
    approximate: bool = False      # some input size came from ndctl list -u (two decimals)
    no_pmem: Optional[str] = None  # the live system has no pmem: why (only memory is written)

    def yaml(self) -> str:
        from ..render.import_out import render_yaml
        return render_yaml(self)

    def platform(self) -> "Platform":
        """The platform records (validated, cross-field checked) of :attr:`data`."""
        from .build import platform_of
        return platform_of(self.data)

