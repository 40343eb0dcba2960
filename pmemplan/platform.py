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


_SHARE_RE = None


def _to_ns_size(v: Any) -> Any:
    """A namespace size: a size, or (an intent for ``pmemplan plan``) ``N%`` of the region
    or ``rest`` -- returned as the string, which :class:`Namespace` moves to ``share``."""
    if isinstance(v, str):
        t = v.strip()
        if t.lower() == "rest":
            return "rest"
        if t.endswith("%"):
            try:
                pct = float(t[:-1])
            except ValueError:
                raise ValueParseError(f"{v!r} is not a share of the region (e.g. 10%, or rest)") from None
            if not 0 < pct <= 100:
                raise ValueParseError(f"{v!r}: a share is more than 0% and at most 100%")
            return t
    return _to_size(v)


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
NS_SIZE = size_kind(_to_ns_size, {"anyOf": [{"$ref": "#/$defs/Size"},
                                             {"type": "string", "pattern": "^ *(rest|[0-9.]+%) *$"}]})
_MODE = choice(*MODES)
_MAP = choice("dev", "mem")


def _size_unit_of(v: Any) -> str:
    """The binary suffix a size string was written with ("1040M" -> "M"), else ""
    (called once the value has validated, so it parses)."""
    return parse_size_unit(v)[1] if isinstance(v, str) else ""


class MemoryRange(Record):
    """A non-pmem range of the firmware map, as /proc/iomem's top level shows it."""
    _title = "Memory range"
    type: str = field(choice(*MEMORY_TYPES),
                      title="Type",
                      description="What the range is: system-ram, reserved, soft-reserved, acpi, pci or "
                                  "other.")
    start: int = field(SIZE,
                       title="Start",
                       description="Physical start address.")
    size: int = field(SIZE,
                      title="Size",
                      description="Length in bytes; greater than 0.")
    name: Optional[str] = field(STR, None,
                                title="Name",
                                description="Name /proc/iomem shows (default from the type, e.g. \"System "
                                            "RAM\").")

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
    _title = "Previous configuration"
    mode: str = field(_MODE,
                      title="Mode",
                      description="The namespace's mode before the command.")
    map: Optional[str] = field(_MAP, None,
                               title="Memmap location",
                               description="Its memmap location (fsdax/devdax).")
    align: Optional[int] = field(SIZE, None,
                                 title="Align",
                                 description="Its pfn/dax align; ndctl keeps it when the mode stays the "
                                             "same.")
    # enabled (bound to its driver) before the command: ndctl then needs -f to reconfigure
    enabled: bool = field(BOOL, True,
                          title="Enabled",
                          description="Whether it is enabled (active) before the command: ndctl then "
                                      "needs -f (force) to reconfigure it. Default true.")


class StoredInfoBlock(Record):
    """The pfn/dax info block on the media of a namespace that exists (``struct nd_pfn_sb``).

    What ``ndctl read-infoblock -j`` shows; ``pmemplan import --infoblock`` fills it in.
    ``mode`` is the signature (pfn: fsdax, dax: devdax), by default the namespace's mode;
    ``page_size`` and ``page_struct_size`` (version 1.4 blocks) default to the page size of
    the file's architecture and 64.
    """
    _title = "Stored info block"
    dataoff: int = field(SIZE, description="Offset of the data from start + start_pad.")
    npfns: int = field(integer(ge=0), description="Page frames recorded (4 KiB units before 5.3).")
    start_pad: int = field(SIZE, description="Padding before the namespace start (written by ≤5.2).")
    end_trunc: int = field(SIZE, description="Bytes cut off the namespace end.")
    align: int = field(SIZE, description="The recorded pfn/dax align (0: none, before version 1.2).")
    version_minor: int = field(integer(ge=0, le=65535), description="The block's version 1.N.")
    mode: Optional[str] = field(choice("pfn", "dax"), None,
                                description="The signature: pfn (fsdax) or dax (devdax); default: the "
                                            "namespace's mode.")
    page_size: Optional[int] = field(SIZE, None, description="PAGE_SIZE it was written for (1.4).")
    page_struct_size: Optional[int] = field(integer(ge=0, le=65535), None,
                                            description="sizeof(struct page) it was written for (1.4).")


class Namespace(Record):
    """A namespace to create (ndctl create-namespace).  An intent (``pmemplan plan``) may give
    ``usable`` instead of a size, or a size as a share of the region (``N%``) or ``rest``;
    omitted values the planner chooses."""
    _title = "Namespace"
    name: str = field(STR,
                      title="Name",
                      description="Namespace name, e.g. namespace0.0; unique in the platform.")
    size: Optional[int] = field(NS_SIZE, None,
                                title="Size",
                                description="Namespace size (ndctl -s); required in labelled regions, "
                                            "default: the whole region in label-less ones. An intent "
                                            "(pmemplan plan) may write N% of the region or rest.")
    offset: Optional[int] = field(SIZE, None,
                                  title="Offset",
                                  description="Offset of the namespace in its region; 0 in label-less "
                                              "regions.")
    mode: str = field(_MODE, "fsdax",
                      title="Mode",
                      description="ndctl -m: fsdax, devdax, sector or raw.")
    map: Optional[str] = field(_MAP, None,
                               title="Memmap location",
                               description="ndctl -M, fsdax and devdax only: dev (struct pages in the "
                                           "namespace) or mem (in system RAM).")
    align: Optional[int] = field(SIZE, None,
                                 title="Align",
                                 description="ndctl -a: a power of two >= 4K.")
    sector_size: Optional[int] = field(integer(), None,
                                       title="Sector size",
                                       description="ndctl -l, sector mode only: 512, 520, 528, 4096, "
                                                   "4104, 4160 or 4224.")
    force: Optional[bool] = field(BOOL, None,
                                  title="Force",
                                  description="ndctl -f: reconfigure an active namespace.")
    system_ram: bool = field(BOOL, False,
                             title="System RAM",
                             description="devdax only: hand the namespace to the kernel as system RAM "
                                         "(kmem).")
    was: Optional[Previous] = field(one(Previous), None,
                                    title="Previous configuration",
                                    description="What the namespace is before this reconfiguration (ndctl"
                                                " create-namespace -e); ndctl's default align depends on "
                                                "it.")
    # already on the machine as described: no ndctl command, so ndctl's create-time
    # checks do not apply (import sets it)
    exists: bool = field(BOOL, False,
                         title="Exists",
                         description="The namespace is already on the machine as described (no ndctl "
                                     "command: ndctl's create-time checks do not apply).")
    # what the machine showed (import sets it): enabled or disabled; applies to a namespace
    # that exists, under the file's kernel, at the place the file records
    state: Optional[str] = field(choice(*NS_STATES), None,
                                 title="Observed state",
                                 description="What the machine showed (import sets it): enabled or disabled. It "
                                             "applies under the file's kernel to a namespace that exists at the "
                                             "place the file records (label-less, or with an offset): layout "
                                             "reports it, and a failure the model predicts for the next enable "
                                             "becomes a warning. Elsewhere the status is predicted.")
    # intent: at least this much usable capacity (as ndctl list shows it) on every target
    usable: Optional[int] = field(SIZE, None,
                                  title="Usable",
                                  description="An intent (pmemplan plan): at least this much usable capacity, "
                                              "as ndctl list shows it, on every target kernel; the planner "
                                              "chooses the size.")
    # the info block already on its media (exists: true, fsdax/devdax): as read back
    # (info_block), or as the kernel created_by wrote it at the physical start created_at
    # (defaults: the file's kernel, the namespace's current start); engine/pfn_devs.py
    # nd_pfn_validate() checks it under the kernel laid out
    info_block: Optional[StoredInfoBlock] = field(
        one(StoredInfoBlock), None, title="Stored info block",
        description="exists: true, fsdax/devdax: the pfn/dax info block on the media, as ndctl "
                    "read-infoblock -j shows it (import --infoblock). Validated again under the kernel "
                    "laid out, at the namespace's current address. Wins over created_by/created_at.")
    created_by: Optional[str] = field(
        checked(STR, _kernel), None, title="Created by",
        description="exists: true, fsdax/devdax: the kernel that wrote the info block (default: the "
                    "file's kernel); pmemplan computes the block it wrote.")
    created_at: Optional[int] = field(
        SIZE, None, title="Created at",
        description="exists: true, fsdax/devdax: the namespace's physical start when the info block "
                    "was written (default: its current start); a firmware move changes the region start.")

    _size_unit: str
    # intent: "N%" of the region or "rest" (what the others leave), from ``size:``
    share: Optional[str]

    def _adopted(self, raw: Any) -> None:
        sz = self.__dict__.get("size")
        if isinstance(sz, str):
            self.__dict__["size"] = None
            self.share = sz
            self._size_unit = ""
        else:
            self.share = None
            self._size_unit = _size_unit_of(raw.get("size")) if isinstance(raw, dict) else ""

    @property
    def is_intent(self) -> bool:
        """Whether the planner has something to decide for this namespace."""
        return self.usable is not None or self.share is not None

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
    """A persistent-memory region (/sys/bus/nd/devices/regionN)."""
    _title = "Region"
    name: str = field(STR,
                      title="Name",
                      description="Region name, e.g. region0; unique.")
    provider: str = field(choice(*PROVIDERS), "nfit",
                          title="Provider",
                          description="Who describes the region: nfit (ACPI NFIT), e820 (memmap= / legacy"
                                      " type 12), of_pmem (device tree), virtio (virtio-pmem) or cxl.")
    start: int = field(SIZE,
                       title="Start",
                       description="Physical start address.")
    size: int = field(SIZE,
                      title="Size",
                      description="Length in bytes; greater than 0.")
    labels: Optional[bool] = field(BOOL, None,
                                   title="Labels",
                                   description="Whether the region has namespace labels. Labelled regions"
                                               " hold any number of namespaces, label-less ones exactly "
                                               "one. Default: true except for e820, of_pmem and virtio "
                                               "(e820 regions are always label-less).")
    label_version: Optional[str] = field(choice(*LABEL_VERSIONS), None,
                                         title="Label version",
                                         description="Namespace label format: \"1.1\", \"1.2\" or "
                                                     "\"uninitialised\".")
    interleave_ways: int = field(integer(ge=1, le=64), 1,
                                 title="Interleave ways",
                                 description="Number of DIMMs the region interleaves (1-64).")
    align: Optional[int] = field(SIZE, None,
                                 title="Region align",
                                 description="regionX/align: a power of two >= 4K.")
    numa_node: Optional[int] = field(integer(), None,
                                     title="NUMA node",
                                     description="NUMA node of the region (import copies it from ndctl or "
                                                 "sysfs); informational, the model does not use it.")
    # the align left on the region's pfn / dax seed device by an earlier ndctl attempt that
    # failed (ndctl takes a new fsdax / devdax namespace's default align from the seed)
    pfn_seed_align: Optional[int] = field(SIZE, None,
                                          title="pfn seed align",
                                          description="The align an earlier, failed ndctl attempt left on"
                                                      " the region's pfn seed device (ndctl takes a new "
                                                      "fsdax namespace's default align from it).")
    dax_seed_align: Optional[int] = field(SIZE, None,
                                          title="dax seed align",
                                          description="The same for the region's dax seed device "
                                                      "(devdax).")
    namespaces: List[Namespace] = field(list_of(Namespace), factory=list,
                                        title="Namespaces",
                                        description="The namespaces to create in the region, in order.")

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
    _title = "Lint settings"
    rules: Dict[str, str] = field(dict_of(choice("off", "info", "warning", "error")), factory=dict,
                                  title="Rules",
                                  description="Rule name -> off, info, warning or error.")


class Platform(Record):
    format: int = field(choice(1, before=_to_format),
                        title="Format",
                        description="Platform file format; always 1.")
    name: str = field(STR, "platform",
                      title="Platform name",
                      description="Shown in reports (default \"platform\").")
    arch: str = field(choice(*ARCHES), "x86_64",
                      title="Architecture",
                      description="CPU architecture: decides page sizes, memmap cost and alignments.")
    kernel: str = field(checked(STR, _kernel),
                        title="Kernel version",
                        description="The kernel to plan for, as a quoted string: \"6.1\", \"5.10.0\", "
                                    "\"6.1.0-56-amd64\", \"5.3-rc4\" (unquoted 5.10 is the number 5.1 in "
                                    "YAML).")
    # the release the engine plans with when the kernel differs from mainline (a vendor
    # kernel with backports); ``kernel`` stays what results print
    behaves_like: Optional[str] = field(checked(STR, _kernel), None,
                                        title="Behaves like",
                                        description="The mainline release whose behaviour the kernel has, when "
                                                    "it differs from its version (a vendor kernel with "
                                                    "backports, e.g. sub-section hotplug in a 4.18-based "
                                                    "kernel: \"5.3\"); `kernel` stays what results print.")
    targets: Optional[List[str]] = field(checked(list_of(STR), _kernels), None,
                                         title="Other kernels",
                                         description="Further kernel versions (quoted strings) to plan "
                                                     "the same platform for.")
    page_size: Optional[int] = field(SIZE, None,
                                     title="Page size",
                                     description="Base page size: 4K on x86_64 and riscv64; 4K, 16K or "
                                                 "64K on arm64; 4K or 64K on ppc64le.")
    mmu: Optional[str] = field(choice("hash", "radix"), None,
                               title="MMU",
                               description="ppc64le only: hash or radix.")
    phys_bits: Optional[int] = field(integer(ge=32, le=64), None,
                                     title="Physical address bits",
                                     description="Size of the physical address space (x86_64: 46 with "
                                                 "4-level paging, 52 with 5-level).")
    memory_block_size: Optional[int] = field(SIZE, None,
                                             title="Memory block size",
                                             description="Memory hotplug block size "
                                                         "(/sys/devices/system/memory/block_size_bytes); "
                                                         "a power of two.")
    bare_metal: bool = field(BOOL, False,
                             title="Bare metal",
                             description="The platform is a physical machine, not a virtual machine.")
    thp: bool = field(BOOL, True,
                      title="Transparent huge pages",
                      description="Transparent huge pages are enabled.")
    # dax kmem hosts the memmap of the memory it onlines in that memory (engine/kmem.py):
    # memory_hotplug.memmap_on_memory=1 and the dax device's memmap_on_memory attribute 1
    memmap_on_memory: bool = field(BOOL, False,
                                   title="kmem memmap on memory",
                                   description="dax kmem (daxctl reconfigure-device --mode=system-ram) hosts the "
                                               "struct pages of the memory it onlines in that memory: "
                                               "memory_hotplug.memmap_on_memory=1 and "
                                               "/sys/bus/dax/devices/daxX.Y/memmap_on_memory set to 1 (Linux 6.8+). "
                                               "Default false: they take 64 bytes of DRAM per 4 KiB page.")
    ndctl: str = field(checked(STR, _ndctl), "76.1",
                       title="ndctl version",
                       description="The ndctl release to plan for, as a string: \"76.1\", \"81\".")
    memory: List[MemoryRange] = field(list_of(MemoryRange), factory=list,
                                      title="Firmware memory map",
                                      description="The non-pmem ranges of the firmware map, as "
                                                  "/proc/iomem's top level shows them.")
    regions: List[Region] = field(list_of(Region), factory=list,
                                  title="Regions",
                                  description="Persistent-memory regions and the namespaces to create in "
                                              "each.")
    lint: Optional[LintSettings] = field(one(LintSettings), None,
                                         title="Lint settings",
                                         description="Severity overrides for lint rules.")

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

    @property
    def is_intent(self) -> bool:
        """An intent for ``pmemplan plan``: some namespace states ``usable:`` or a share."""
        return any(ns.is_intent for r in self.regions for ns in r.namespaces)


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
        rest_seen = False
        for ni, ns in enumerate(r.namespaces):
            nloc = rloc + ("namespaces", ni)
            if ns.name in seen_names:
                errs.append((nloc + ("name",), f"name {ns.name!r} is used twice"))
            seen_names[ns.name] = nloc
            if r.labelled and ns.size is None and ns.offset is not None and not ns.is_intent:
                errs.append((nloc, f"namespace {ns.name} at an explicit offset needs a size"))
            if ns.usable is not None:
                if ns.size is not None or ns.share is not None:
                    errs.append((nloc + ("usable",), "give usable or size, not both"))
                elif ns.exists:
                    errs.append((nloc + ("usable",), "usable is an intent; a namespace that exists has a size"))
                elif ns.usable == 0:
                    errs.append((nloc + ("usable",), "usable must be greater than 0"))
            if ns.share is not None:
                if ns.exists:
                    errs.append((nloc + ("size",), "a share is an intent; a namespace that exists has a size"))
                elif ns.offset is not None and ns.share == "rest":
                    errs.append((nloc + ("size",), "size: rest takes what the others leave; give no offset"))
                elif ns.share == "rest":
                    if rest_seen:
                        errs.append((nloc + ("size",), f"size: rest is given twice in region {r.name} (at most one per region)"))
                    rest_seen = True
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
            for key in ("info_block", "created_by", "created_at"):
                if getattr(ns, key) is None:
                    continue
                if not ns.exists:
                    errs.append((nloc + (key,), f"{key} (what is stored on the media) applies to a "
                                 "namespace that exists (exists: true)"))
                elif ns.mode not in ("fsdax", "devdax"):
                    errs.append((nloc + (key,), f"{key} applies to fsdax and devdax namespaces "
                                 f"(they hold a pfn/dax info block), not {ns.mode}"))
            ib = ns.info_block
            if ib is not None and ns.mode in ("fsdax", "devdax"):
                want = "dax" if ns.mode == "devdax" else "pfn"
                if ib.mode is not None and ib.mode != want:
                    errs.append((nloc + ("info_block", "mode"), f"a {ib.mode} info block makes the "
                                 f"namespace {'devdax' if ib.mode == 'dax' else 'fsdax'}, not {ns.mode}"))
                if ib.align and not is_pow2(ib.align):
                    errs.append((nloc + ("info_block", "align"), "a stored align is 0 or a power of two"))
            if ns.system_ram and ns.mode != "devdax":
                errs.append((nloc + ("system_ram",), "system_ram (kmem) applies to devdax namespaces only"))
            if ns.align is not None and (not is_pow2(ns.align) or ns.align < 4096):
                errs.append((nloc + ("align",), "align must be a power of two >= 4K"))
            if ns.offset is not None:
                if not r.labelled and ns.offset != 0:
                    errs.append((nloc + ("offset",), "a label-less namespace starts at offset 0 of its region"))
                sz = ns.size if ns.size is not None else (ns.usable or 1) if ns.is_intent else r.size - ns.offset
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
