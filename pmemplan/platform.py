"""Platform description, format 1: the models every command reads.

The YAML contract (keys and meanings) is documented in the README; ``pmemplan schema``
prints it as JSON Schema.  Sizes and addresses accept integers, ``0x`` hex and binary
suffixes (K/M/G/T/P/E, 1K = 1024) the way ndctl and ``memmap=`` read them.

Cross-field rules (overlaps, offsets, names) live in :func:`check_platform`, which
returns the location path of the offending value so the loader can name its line.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ._model import BOOL, STR, Record, checked, choice, dict_of, field, integer, list_of, one, size_kind
from .errors import ValueParseError
from .kversion import KernelVersion, check_kernel, resolve_kernel, validate_kernels
from .sizes import is_pow2, parse_size_unit

ARCHES = ("x86_64", "arm64", "ppc64le", "riscv64")
PROVIDERS = ("nfit", "e820", "of_pmem", "virtio", "cxl")
MODES = ("fsdax", "devdax", "sector", "raw")
NS_STATES = ("enabled", "disabled")
MEMORY_TYPES = ("system-ram", "reserved", "soft-reserved", "acpi", "pci", "other")
LABEL_VERSIONS = ("1.1", "1.2", "uninitialised")
LABELLESS_PROVIDERS = ("e820", "of_pmem", "virtio")
# buses that set ND_REGION_PAGEMAP (e820.c, of_pmem.c, virtio_pmem.c): their raw namespaces
# map struct pages in RAM ("memory mode", listed by ndctl as fsdax map=mem); observed for
# e820 and virtio-pmem on 6.1 and 6.12
PAGEMAP_PROVIDERS = ("e820", "of_pmem", "virtio")
BTT_SECTOR_SIZES = (512, 520, 528, 4096, 4104, 4160, 4224)


# /proc/iomem's names for the memory types
_IOMEM_NAMES = {"system-ram": "System RAM", "reserved": "Reserved", "soft-reserved": "Soft Reserved",
                "acpi": "ACPI Tables", "pci": "PCI Bus", "other": "Other"}


def _to_size(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueParseError("expected a size, not a boolean")
    if isinstance(v, int):
        if v < 0:
            raise ValueParseError(f"{v} is negative; sizes and addresses are >= 0")
        return v
    if isinstance(v, str):
        return parse_size_unit(v)[0]
    raise ValueParseError(f"expected a size (integer, 0x-hex or K/M/G/T suffix), got {type(v).__name__}")


def _to_format(v: Any) -> Any:
    # The loader hands every scalar over as a string; a Literal does not coerce "1".
    if isinstance(v, str) and v.strip().isascii() and v.strip().isdigit() and len(v.strip()) < 10:
        return int(v)
    return v


def _kernel(v: str) -> str:
    check_kernel(v)   # a version, and not older than libnvdimm (4.2)
    return v


def _kernels(v: Optional[List[str]]) -> Optional[List[str]]:
    """targets: each checked like ``kernel``; repeats (by normalised version) dropped."""
    if v is None:
        return v
    try:
        return validate_kernels(v)[0]
    except ValueParseError as e:
        raise ValueParseError(str(e).replace("--kernel: ", "", 1)) from None


def _ndctl(v: str) -> str:
    ndctl_version(v)
    return v


SIZE = size_kind(_to_size)
_MODE = choice(*MODES)
_MAP = choice("dev", "mem")


def _size_unit_of(v: Any) -> str:
    """The binary suffix a size string was written with ("1040M" -> "M"), else ""
    (called once the value has validated, so it parses)."""
    return parse_size_unit(v)[1] if isinstance(v, str) else ""


class MemoryRange(Record):
    """A non-pmem range of the firmware map, as /proc/iomem's top level shows it."""
    type: str = field(choice(*MEMORY_TYPES))
    start: int = field(SIZE)
    size: int = field(SIZE)
    name: Optional[str] = field(STR, None)

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def owner_name(self) -> str:
        if self.name:
            return self.name
        return _IOMEM_NAMES[self.type]


class Previous(Record):
    """What a namespace is before this reconfiguration (``ndctl create-namespace -e``).

    ndctl picks the default align from it: the same mode keeps the existing pfn/dax
    align (PAGE_SIZE when there is none), a new mode takes the seed's default.
    Default: a label-less namespace starts raw (e820: legacy memory mode); a namespace
    in a labelled region is new.
    """
    mode: str = field(_MODE)
    map: Optional[str] = field(_MAP, None)
    align: Optional[int] = field(SIZE, None)
    # enabled (bound to its driver) before the command: ndctl then needs -f to reconfigure
    enabled: bool = field(BOOL, True)


class Namespace(Record):
    name: str = field(STR)
    size: Optional[int] = field(SIZE, None)
    offset: Optional[int] = field(SIZE, None)
    mode: str = field(_MODE, "fsdax")
    map: Optional[str] = field(_MAP, None)
    align: Optional[int] = field(SIZE, None)
    sector_size: Optional[int] = field(integer(), None)
    force: Optional[bool] = field(BOOL, None)
    system_ram: bool = field(BOOL, False)
    was: Optional[Previous] = field(one(Previous), None)
    # already on the machine as described: no ndctl command, so ndctl's create-time
    # checks do not apply (import sets it)
    exists: bool = field(BOOL, False)
    # what the machine showed (import sets it): enabled or disabled; applies to a namespace
    # that exists, under the file's kernel, at the place the file records
    state: Optional[str] = field(choice(*NS_STATES), None)

    _size_unit: str

    def _adopted(self, raw: Any) -> None:
        self._size_unit = _size_unit_of(raw.get("size")) if isinstance(raw, dict) else ""

    @property
    def size_unit(self) -> str:
        """The suffix the user wrote the size with ("M" for 1040M), for ndctl-style suggestions."""
        return self._size_unit

    def forced(self, labelled: bool) -> bool:
        """ndctl -f: given explicitly, else implied for label-less namespaces (which are
        active and can only be reconfigured with ``-f -e``)."""
        return self.force if self.force is not None else not labelled

    @property
    def effective_map(self) -> Optional[str]:
        if self.mode in ("fsdax", "devdax"):
            return self.map or "dev"
        return None


class Region(Record):
    name: str = field(STR)
    provider: str = field(choice(*PROVIDERS), "nfit")
    start: int = field(SIZE)
    size: int = field(SIZE)
    labels: Optional[bool] = field(BOOL, None)
    label_version: Optional[str] = field(choice(*LABEL_VERSIONS), None)
    interleave_ways: int = field(integer(ge=1, le=64), 1)
    align: Optional[int] = field(SIZE, None)
    numa_node: Optional[int] = field(integer(), None)
    # the align left on the region's pfn / dax seed device by an earlier ndctl attempt that
    # failed (ndctl takes a new fsdax / devdax namespace's default align from the seed)
    pfn_seed_align: Optional[int] = field(SIZE, None)
    dax_seed_align: Optional[int] = field(SIZE, None)
    namespaces: List[Namespace] = field(list_of(Namespace), factory=list)

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def pagemap(self) -> bool:
        """ND_REGION_PAGEMAP: raw namespaces get struct pages (in RAM)."""
        return self.provider in PAGEMAP_PROVIDERS

    @property
    def labelled(self) -> bool:
        """Labelled regions hold any number of namespaces; label-less ones exactly one."""
        if self.labels is not None:
            return self.labels
        return self.provider not in LABELLESS_PROVIDERS


class LintSettings(Record):
    rules: Dict[str, str] = field(dict_of(choice("off", "info", "warning", "error")), factory=dict)


class Platform(Record):
    format: int = field(choice(1, before=_to_format))
    name: str = field(STR, "platform")
    arch: str = field(choice(*ARCHES), "x86_64")
    kernel: str = field(checked(STR, _kernel))
    # the release the engine plans with when the kernel differs from mainline (a vendor
    # kernel with backports); ``kernel`` stays what results print
    behaves_like: Optional[str] = field(checked(STR, _kernel), None)
    targets: Optional[List[str]] = field(checked(list_of(STR), _kernels), None)
    page_size: Optional[int] = field(SIZE, None)
    mmu: Optional[str] = field(choice("hash", "radix"), None)
    phys_bits: Optional[int] = field(integer(ge=32, le=64), None)
    memory_block_size: Optional[int] = field(SIZE, None)
    bare_metal: bool = field(BOOL, False)
    thp: bool = field(BOOL, True)
    # dax kmem hosts the memmap of the memory it onlines in that memory (engine/kmem.py):
    # memory_hotplug.memmap_on_memory=1 and the dax device's memmap_on_memory attribute 1
    memmap_on_memory: bool = field(BOOL, False)
    ndctl: str = field(checked(STR, _ndctl), "76.1")
    memory: List[MemoryRange] = field(list_of(MemoryRange), factory=list)
    regions: List[Region] = field(list_of(Region), factory=list)
    lint: Optional[LintSettings] = field(one(LintSettings), None)

    @property
    def kernel_version(self) -> KernelVersion:
        """The file's kernel as the engine plans it (behaves_like, distribution kernels)."""
        return resolve_kernel(self.kernel, self.behaves_like)

    def kernel_for(self, text: str) -> KernelVersion:
        """A kernel named on the command line or in ``targets``, as the engine plans it:
        the file's ``behaves_like`` applies to the file's own kernel only."""
        if KernelVersion.parse(text) == KernelVersion.parse(self.kernel) and text.strip() == self.kernel.strip():
            return self.kernel_version
        return resolve_kernel(text)


def ndctl_version(text: str) -> Tuple[int, int]:
    """"76.1" -> (76, 1); "v81" -> (81, 0)."""
    t = text.strip().lstrip("vV")
    parts = t.split(".")
    try:
        major = int(parts[0])
        minor = int(parts[1]) if len(parts) > 1 and parts[1] else 0
    except ValueError:
        raise ValueParseError(f"{text!r} is not an ndctl version (e.g. \"76.1\", \"81\")") from None
    return major, minor


Loc = Tuple[Any, ...]


def check_platform(p: Platform) -> List[Tuple[Loc, str]]:
    """Cross-field input errors, each with the location path of the value it is about.

    Things ndctl or the kernel would refuse are *not* input errors: they become
    ``refused``/``failed`` namespaces in the result.
    """
    errs: List[Tuple[Loc, str]] = []
    arch = p.arch
    if p.page_size is not None:
        allowed = {"x86_64": (4096,), "riscv64": (4096,), "arm64": (4096, 16384, 65536),
                   "ppc64le": (4096, 65536)}[arch]
        if p.page_size not in allowed:
            errs.append((("page_size",), f"page_size {p.page_size:#x} is not a {arch} page size "
                         f"({', '.join(f'{a // 1024}K' for a in allowed)})"))
    if p.mmu is not None and arch != "ppc64le":
        errs.append((("mmu",), "mmu applies to ppc64le only (hash or radix)"))
    if p.phys_bits is not None and arch == "x86_64" and p.phys_bits not in (46, 52):
        errs.append((("phys_bits",), "x86_64 phys_bits is 46 (4-level paging) or 52 (5-level)"))
    if p.memory_block_size is not None and not is_pow2(p.memory_block_size):
        errs.append((("memory_block_size",), "memory_block_size must be a power of two"))
    limit = 1 << (p.phys_bits or (46 if arch == "x86_64" else 52))

    ranges: List[Tuple[int, int, Loc, str]] = []
    for i, m in enumerate(p.memory):
        if m.size == 0:
            errs.append((("memory", i, "size"), "size must be greater than 0"))
            continue
        if m.end > limit:
            errs.append((("memory", i, "size"), f"range ends at {m.end:#x}, beyond the {limit.bit_length() - 1}-bit physical address space"))
        ranges.append((m.start, m.end, ("memory", i, "start"), f"{m.type} range {m.start:#x}-{m.end - 1:#x}"))
    seen_names: Dict[str, Loc] = {}
    for ri, r in enumerate(p.regions):
        rloc: Loc = ("regions", ri)
        if r.name in seen_names:
            errs.append((rloc + ("name",), f"region name {r.name!r} is used twice"))
        seen_names[r.name] = rloc
        if r.size == 0:
            errs.append((rloc + ("size",), "size must be greater than 0"))
            continue
        if r.end > limit:
            errs.append((rloc + ("size",), f"region ends at {r.end:#x}, beyond the {limit.bit_length() - 1}-bit physical address space"))
        ranges.append((r.start, r.end, rloc + ("start",), f"region {r.name} {r.start:#x}-{r.end - 1:#x}"))
        if r.provider == "e820" and r.labels:
            errs.append((rloc + ("labels",), "e820 (memmap=/legacy) regions are always label-less"))
        if r.align is not None and (not is_pow2(r.align) or r.align < 4096):
            errs.append((rloc + ("align",), "region align must be a power of two >= 4K (as regionX/align accepts)"))
        if not r.labelled and len(r.namespaces) > 1:
            errs.append((rloc + ("namespaces", 1), f"label-less region {r.name} holds exactly one namespace"))
        spans = []
        for ni, ns in enumerate(r.namespaces):
            nloc = rloc + ("namespaces", ni)
            if ns.name in seen_names:
                errs.append((nloc + ("name",), f"name {ns.name!r} is used twice"))
            seen_names[ns.name] = nloc
            if r.labelled and ns.size is None and ns.offset is not None:
                errs.append((nloc, f"namespace {ns.name} at an explicit offset needs a size"))
            if ns.size is not None and ns.size == 0:
                errs.append((nloc + ("size",), "size must be greater than 0"))
            if ns.map is not None and ns.mode not in ("fsdax", "devdax"):
                errs.append((nloc + ("map",), f"map applies to fsdax and devdax only, not {ns.mode}"))
            if ns.sector_size is not None:
                if ns.mode != "sector":
                    errs.append((nloc + ("sector_size",), f"sector_size applies to sector mode only, not {ns.mode}"))
                elif ns.sector_size not in BTT_SECTOR_SIZES:
                    errs.append((nloc + ("sector_size",), f"sector_size must be one of {', '.join(map(str, BTT_SECTOR_SIZES))}"))
            if ns.state is not None and not ns.exists:
                errs.append((nloc + ("state",), "state (what the machine shows) applies to a namespace "
                             "that exists (exists: true)"))
            if ns.system_ram and ns.mode != "devdax":
                errs.append((nloc + ("system_ram",), "system_ram (kmem) applies to devdax namespaces only"))
            if ns.align is not None and (not is_pow2(ns.align) or ns.align < 4096):
                errs.append((nloc + ("align",), "align must be a power of two >= 4K"))
            if ns.offset is not None:
                if not r.labelled and ns.offset != 0:
                    errs.append((nloc + ("offset",), "a label-less namespace starts at offset 0 of its region"))
                sz = ns.size if ns.size is not None else r.size - ns.offset
                if ns.offset + sz > r.size:
                    errs.append((nloc + ("offset",), f"offset {ns.offset:#x} + size {sz:#x} ends outside region {r.name} (size {r.size:#x})"))
                else:
                    spans.append((ns.offset, ns.offset + sz, nloc + ("offset",), ns.name))
        spans.sort()
        for a, b in zip(spans, spans[1:]):
            if b[0] < a[1]:
                errs.append((b[2], f"namespace {b[3]} at offset {b[0]:#x} overlaps {a[3]} ({a[0]:#x}-{a[1] - 1:#x})"))
    ranges.sort(key=lambda t: (t[0], t[1]))
    for a, b in zip(ranges, ranges[1:]):
        if b[0] < a[1]:
            errs.append((b[2], f"{b[3]} overlaps {a[3]}"))
    return errs
