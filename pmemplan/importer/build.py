"""Join the parsed inputs into a platform (format 1) and :class:`Note` objects saying where
every value that is not a plain fact came from.

:func:`build_platform` pairs /proc/iomem's pmem ranges with ndctl/sysfs regions, takes each
namespace's mode, map, align and start from the inputs, infers what they do not say
(:mod:`.infer`), then runs the model on the platform records (:func:`platform_of`) to pick
the BTT version and warn where the model disagrees with the machine.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Set, Tuple

from ..errors import InputError, ValueParseError
from ..kversion import KernelVersion
from .iomem import _DEV_NAME, _NS_NAME, Resource, _is_pmem, _region_no, parse_iomem
from .infer import _infer_dax, _is_seed, _labels, _raw_size
from .ndctl import APPROX, SZ_4K, DaxDevice, NdctlInfo, NdNamespace, NdRegion, shown_alike
from .records import ImportMissing, ImportResult, Note, _Ns, _Region
from .sysfs import LiveCapture

if TYPE_CHECKING:
    from ..platform import Platform
    from ..result import LayoutResult

DEFAULT_KERNEL = "6.1"          # the kernel the observations confirm; assumed when none is given
SZ_16M = 16 << 20


def platform_of(data: Dict[str, Any]) -> "Platform":
    """The platform records of ``data`` (format 1 as plain values), validated and
    cross-field checked like a loaded file; disagreeing inputs are :class:`ImportMissing`."""
    from pydantic_core import ValidationError
    from ..platform import Platform, check_platform
    try:
        platform = Platform.from_dict(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        raise ImportMissing(f"the imported platform is not valid ({where}: {err.get('msg')}); the "
                            "inputs disagree with each other") from None
    problems = check_platform(platform)
    if problems:
        raise ImportMissing(f"the imported platform is not valid ({problems[0][1]}); the inputs "
                            "disagree with each other")
    return platform


_MEM_TYPES = (("System RAM", "system-ram"), ("Soft Reserved", "soft-reserved"),
              ("Reserved", "reserved"), ("reserved", "reserved"), ("ACPI", "acpi"),
              ("PCI", "pci"))


def _memory_type(name: str) -> str:
    for prefix, t in _MEM_TYPES:
        if name == prefix or name.startswith(prefix + " "):
            return t
    return "other"


class _Builder:
    def __init__(self, kernel: Optional[str], name: Optional[str]) -> None:
        self.notes: List[Note] = []
        self.kernel_arg = kernel
        self.name = name
        self.missing: List[str] = []
        self.arch = "x86_64"
        self.noted: Set[Tuple[str, Optional[str]]] = set()

    def note(self, kind: str, target: str, key: Optional[str], text: str) -> None:
        self.notes.append(Note(kind, target, key, text))


def build_platform(iomem: Optional[List[Resource]] = None, ndctl: Optional[NdctlInfo] = None,
                   daxctl: Optional[Dict[str, DaxDevice]] = None, live: Optional[LiveCapture] = None,
                   kernel: Optional[str] = None, name: Optional[str] = None,
                   sources: Sequence[str] = (), check: bool = True,
                   infoblocks: Optional[Dict[str, Dict[str, Any]]] = None) -> ImportResult:
    """Join the inputs into a format-1 platform.

    Raises :class:`ImportMissing` when a region's or a namespace's physical start is not
    in the inputs (or there is no pmem at all), naming what is missing.
    """
    b = _Builder(kernel, name)
    dax: Dict[str, DaxDevice] = dict(daxctl or {})
    nd = NdctlInfo()
    if live is not None:
        if iomem is None:
            iomem = parse_iomem(live.iomem, os.path.join(live.root, "proc/iomem"))
        _merge_nd(nd, live.ndctl)
        for k, v in live.dax.items():
            dax.setdefault(k, v)
    if ndctl is not None:
        _merge_nd(nd, ndctl)
    if nd.loose:
        raise ImportMissing("missing: the region of " + ", ".join(n.dev for n in nd.loose) +
                            " (ndctl list output without region; use ndctl list -RN)")

    # -- platform-level values
    data: Dict[str, Any] = {"format": 1}
    data["name"] = name or "imported"
    arch = (live.arch if live else None) or "x86_64"
    if arch not in ("x86_64", "arm64", "ppc64le", "riscv64"):
        arch = {"aarch64": "arm64", "ppc64": "ppc64le"}.get(arch, "x86_64")
    data["arch"] = arch
    b.arch = arch
    if not (live and live.arch):
        b.note("assumed", "platform", "arch", "x86_64 (neither /proc/iomem nor ndctl says the architecture)")
    kv = kernel
    if kv is None and live is not None and live.kernel:
        kv = live.kernel
        b.note("from", "platform", "kernel", f"{os.path.join(live.root, 'proc/sys/kernel/osrelease')}")
    if kv is None:
        kv = DEFAULT_KERNEL
        b.note("assumed", "platform", "kernel", f"{DEFAULT_KERNEL} (no --kernel given)")
    try:
        kver = KernelVersion.parse(kv)
    except ValueParseError as e:
        raise InputError(str(e), "--kernel") from None
    data["kernel"] = kv
    if live is not None and live.block_size:
        data["memory_block_size"] = live.block_size
        b.note("from", "platform", "memory_block_size", "sys/devices/system/memory/block_size_bytes")

    memory: List[Dict[str, Any]] = []
    pm_ranges: List[Resource] = []
    for top in iomem or ():
        inside = [r for r in top.walk() if _is_pmem(r.name)]
        if _is_pmem(top.name):
            pm_ranges.append(top)
            continue
        if inside:
            pm_ranges.extend(inside)
            b.note("note", f"memory", None, f"{top.name} {top.start:#x}-{top.end - 1:#x} holds pmem; "
                   "left out of memory (only its pmem ranges are imported)")
            continue
        t = _memory_type(top.name)
        m: Dict[str, Any] = {"type": t, "start": top.start, "size": top.size}
        if t == "other" and _DEV_NAME.match(top.name) and top.name.startswith("dax"):
            # v6.19-ish: Soft Reserved no longer shows; the dax device is the top level
            m["type"] = "soft-reserved"
            b.note("assumed", f"memory[{len(memory)}]", "type",
                   f"soft-reserved: top-level {top.name} (device-dax of a Soft Reserved range whose "
                   "parent the kernel hides)")
        if t in ("acpi", "pci", "other") or m["type"] == "soft-reserved" and top.name != "Soft Reserved":
            m["name"] = top.name
        memory.append(m)
    limit_bits = 46 if arch == "x86_64" else 52
    hi_end = max([m["start"] + m["size"] for m in memory] + [r.end for r in pm_ranges] + [0])
    if arch == "x86_64" and hi_end > (1 << 46):
        data["phys_bits"] = 52
        limit_bits = 52
        b.note("from", "platform", "phys_bits", f"52: /proc/iomem has ranges above 2^46 (up to {hi_end - 1:#x})")
    kept = []
    for m in memory:
        if m["start"] + m["size"] > (1 << limit_bits):
            b.note("note", "memory", None, f"{m.get('name', m['type'])} {m['start']:#x} is beyond the "
                   f"{limit_bits}-bit address space; left out")
            continue
        kept.append(m)
    memory = kept
    data["memory"] = memory
    if iomem is not None and not any(m["type"] == "system-ram" for m in memory):
        b.note("warning", "memory", None, "no System RAM at the top level of /proc/iomem")

    regions = _regions(b, pm_ranges, nd, dax, kver)
    if not regions and not b.missing and live is not None and live.no_pmem and ndctl is None:
        # a machine without pmem: its memory map is still what memmap= or QEMU NVDIMMs are
        # planned against
        res = ImportResult(data, b.notes, list(sources), approximate=nd.approximate,
                           no_pmem=f"no pmem found ({live.no_pmem}; no 'Persistent Memory' range in "
                                   "/proc/iomem): the memory map alone is written")
        data["regions"] = []
        return res
    if not regions and not b.missing:
        what = []
        if iomem is not None:
            what.append("no 'Persistent Memory' range in /proc/iomem")
            soft = [m for m in memory if m["type"] == "soft-reserved"]
            if soft:
                what.append(f"{len(soft)} Soft Reserved range(s) found: device-dax/hmem memory, not "
                            "libnvdimm regions")
        if ndctl is None and live is None:
            what.append("no ndctl list given")
        raise ImportMissing("missing: a persistent-memory region (" + "; ".join(what or ["no input"]) + ")")
    if b.missing:
        regs = [m for m in b.missing if m.startswith("region")]
        rest = [m for m in b.missing if not m.startswith("region")]
        parts = []
        if regs:
            why = ("no 'Persistent Memory' range in the /proc/iomem input matches "
                   + ("it" if len(regs) == 1 else "them")) if iomem is not None else "no /proc/iomem was given"
            parts.append(f"the physical start of {', '.join(regs)} ({why}; give --iomem with /proc/iomem "
                         "read as root, or --live)")
        parts.extend(rest)
        raise ImportMissing("missing: " + "; ".join(parts))

    res = ImportResult(data, b.notes, list(sources), approximate=nd.approximate)
    if nd.approximate:
        b.note("note", "platform", None, "the ndctl list input has -u sizes (two decimals): every value "
               "derived from them is marked \"approximate\"")
    data["regions"] = [_region_dict(r) for r in regions]
    _derive_infoblocks(b, data, regions, kver, infoblocks or {})
    if infoblocks:
        _add_infoblocks(b, data, infoblocks)
    _tag_ns_notes(b, regions)
    if check:
        _check(b, res, regions, kv)
    res.notes = b.notes
    return res


def _merge_nd(into: NdctlInfo, src: NdctlInfo) -> None:
    """Add ``src``'s regions and namespaces; values already known (sysfs) win."""
    into.approximate |= src.approximate
    into.loose.extend(src.loose)
    for dev, r in src.regions.items():
        if dev not in into.regions:
            into.regions[dev] = r
            continue
        have = into.regions[dev]
        for f in ("provider", "provider_raw", "size", "align", "available_size", "mappings",
                  "numa_node", "start", "nstype"):
            if getattr(have, f) is None and getattr(r, f) is not None:
                setattr(have, f, getattr(r, f))
        names = {n.dev: n for n in have.namespaces}
        for ns in r.namespaces:
            old = names.get(ns.dev)
            if old is None:
                have.namespaces.append(ns)
                continue
            for f in ("mode", "map", "align", "sector_size", "uuid", "raw_uuid", "system_ram",
                      "start", "raw_size"):
                if getattr(old, f) is None and getattr(ns, f) is not None:
                    setattr(old, f, getattr(ns, f))
            if old.size is None:
                old.size, old.size_approx = ns.size, ns.size_approx
            for c in ns.chardevs:
                if c not in old.chardevs:
                    old.chardevs.append(c)


# -- regions ------------------------------------------------------------------------------

def _region_no_of(res: Resource) -> Optional[int]:
    for c in res.children:
        no = _region_no(c.name)
        if no is not None:
            return no
    return None


def _match(b: _Builder, pm: List[Resource], nd: NdctlInfo) -> List[Tuple[Optional[Resource], Optional[NdRegion], str]]:
    """Pair iomem pmem ranges with ndctl/sysfs regions."""
    pairs: List[Tuple[Optional[Resource], Optional[NdRegion], str]] = []
    left_res = list(pm)
    left_nd = dict(nd.regions)

    def take(res: Resource, r: NdRegion, how: str) -> None:
        pairs.append((res, r, how))
        left_res.remove(res)
        del left_nd[r.dev]

    for r in list(left_nd.values()):          # 1. a known physical start
        if r.start is not None:
            hit = [x for x in left_res if x.start == r.start]
            if hit:
                take(hit[0], r, "start")
    for res in list(left_res):                 # 2. namespaceN.M / daxN.M children
        no = _region_no_of(res)
        if no is not None and f"region{no}" in left_nd:
            take(res, left_nd[f"region{no}"], "children")
    for dev, r in list(left_nd.items()):       # 3. the only range of that kind and size
        if r.start is not None or r.size is None:
            continue
        legacy = r.provider == "e820" if r.provider else None

        def fits(x: Resource, r: NdRegion = r) -> bool:
            assert r.size is not None
            if legacy is not None and (x.name == "Persistent Memory (legacy)") != legacy:
                return False
            if r.size_approx:
                return abs(x.size - r.size) <= max(x.size // 100, SZ_16M)
            return x.size == r.size
        hit = [x for x in left_res if fits(x)]
        same = [q for q in left_nd.values() if q.start is None and q.size is not None and q.size == r.size]
        if len(hit) == 1 and len(same) == 1:
            take(hit[0], r, "size")
    if left_res and left_nd:                   # 4. address order = region number order
        rs = sorted(left_res, key=lambda x: x.start)
        ns = sorted(left_nd.values(), key=lambda q: _num(q.dev))
        if len(rs) == len(ns) and all(q.start is None for q in ns):
            for x, q in zip(rs, ns):
                take(x, q, "order")
    for x in left_res:
        pairs.append((x, None, "iomem"))
    for q in left_nd.values():
        pairs.append((None, q, "nd"))
    return pairs


def _num(dev: str) -> int:
    m = re.search(r"(\d+)$", dev)
    return int(m.group(1)) if m else 1 << 30


def _regions(b: _Builder, pm: List[Resource], nd: NdctlInfo, dax: Dict[str, DaxDevice],
             kver: KernelVersion) -> List[_Region]:
    pairs = _match(b, pm, nd)
    used = {_num(q.dev) for _, q, _ in pairs if q is not None}
    used |= {n for x, _, _ in pairs if x is not None for n in [_region_no_of(x)] if n is not None}
    out: List[_Region] = []
    free_no = 0
    for res, q, how in sorted(pairs, key=lambda t: (t[0].start if t[0] else 1 << 64, _num(t[1].dev) if t[1] else 0)):
        if q is not None:
            name = q.dev
        else:
            no = _region_no_of(res) if res is not None else None
            if no is None:
                while free_no in used:
                    free_no += 1
                no = free_no
                used.add(no)
                b.note("assumed", f"region{no}", "name", "no ndctl region and no namespace inside it in "
                       "/proc/iomem; numbered in address order")
            name = f"region{no}"
        r = _Region(name, iomem=res, nd=q)
        _region_values(b, r, res, q, how)
        out.append(r)
    for r in out:
        _namespaces(b, r, dax, kver, out)
    return out


def _region_values(b: _Builder, r: _Region, res: Optional[Resource], q: Optional[NdRegion], how: str) -> None:
    t = r.name
    # provider
    if q is not None and q.provider:
        r.provider = q.provider
    elif q is not None and q.provider_raw:
        r.provider = "nfit"
        b.note("assumed", t, "provider", f"nfit (unknown bus provider {q.provider_raw!r})")
    elif res is not None:
        if res.name == "Persistent Memory (legacy)":
            r.provider = "e820"
            b.note("from", t, "provider", "\"Persistent Memory (legacy)\" in /proc/iomem: an e820 (memmap=) region")
        else:
            r.provider = "nfit"
            b.note("assumed", t, "provider", "nfit: \"Persistent Memory\" in /proc/iomem is an NFIT or other "
                   "firmware region (give ndctl list -B to know the bus)")
    # start and size
    if res is not None:
        r.start, r.size = res.start, res.size
        if q is not None and how == "order":
            b.note("assumed", t, "start", f"/proc/iomem range {res.start:#x}-{res.end - 1:#x} paired with "
                   f"{q.dev} by address order (no namespace inside it names its region)")
        elif q is not None and how == "size":
            b.note("from", t, "start", f"the only unclaimed /proc/iomem pmem range of {q.dev}'s size")
        if q is not None and q.size is not None and q.size != res.size and not q.size_approx:
            b.note("warning", t, "size", f"ndctl says {q.size:#x}, /proc/iomem {res.size:#x}; "
                   "/proc/iomem used")
    elif q is not None and q.start is not None and q.size is not None:
        r.start, r.size = q.start, q.size
        if q.size_approx:
            b.note("from", t, "size", f"ndctl list -u's size, rounded to the region align ({APPROX})")
    else:
        nss = [n.dev for n in q.namespaces if (n.size or n.raw_size)] if q is not None else []
        b.missing.append(r.name + (f" ({', '.join(nss)})" if nss else ""))
        if q is not None:
            r.size = q.size
    if q is not None:
        r.align = q.align
        r.numa_node = q.numa_node
        r.ways = q.mappings
    if q is None or q.align is None:
        b.note("assumed", t, "align", "the kernel's default region align (not in the inputs; ndctl list -R "
               "shows it)")
    if r.ways is None and r.provider == "e820":
        r.ways = 1                      # a memmap=/e820 range is one plain range
    elif r.ways is None:
        b.note("assumed", t, "interleave_ways", "1 (no mappings in the inputs; ndctl list -Rv shows them)")
        r.ways = 1
    else:
        b.note("from", t, "interleave_ways", "the number of mappings" + (" (sysfs)" if q and q.source == "sysfs" else " (ndctl list -v)"))


def _namespaces(b: _Builder, r: _Region, dax: Dict[str, DaxDevice], kver: KernelVersion,
                all_regions: List[_Region]) -> None:
    q, res = r.nd, r.iomem
    r.labels = _labels(b, r, q, res)
    kids: Dict[str, Resource] = {c.name: c for c in (res.children if res is not None else ())}
    by_start: List[Resource] = sorted((c for c in kids.values() if _NS_NAME.match(c.name)), key=lambda c: c.start)
    listed: List[NdNamespace] = []
    if q is not None:
        for n in q.namespaces:
            if _is_seed(n):
                b.note("note", n.dev, None, "zero-size seed namespace: not imported")
                continue
            listed.append(n)
    seen = {n.dev for n in listed}
    for kid in by_start:                        # namespaces only /proc/iomem knows
        if kid.name not in seen:
            listed.append(NdNamespace(kid.name, region=r.name, source="iomem"))
    if not listed and r.labels is False and res is not None and r.nd is None:
        # a label-less region always has its one namespace; without a claim it is raw
        listed.append(NdNamespace(f"namespace{_num(r.name)}.0", region=r.name, source="iomem", enabled=False))
    for n in listed:
        ns = _Ns(n.dev)
        ns.holder, ns.holder_resource = n.holder, n.holder_resource
        t = n.dev
        ns.enabled = n.enabled
        ns.label_uuid = bool(n.raw_uuid)
        c: Optional[Resource] = kids.get(n.dev)
        if n.source == "iomem":
            if c is not None:
                b.note("from", t, "state", "enabled: /proc/iomem shows the resource its driver requested")
            else:
                b.note("assumed", t, "state", "disabled: /proc/iomem shows no resource of it")
        # mode, map, align
        if n.mode:
            ns.mode = n.mode
        else:
            data = _dax_child(res, c, n, dax)
            if c is not None and data is not None:
                ns.mode = "devdax"
                b.note("from", t, "mode", f"devdax: /proc/iomem shows its head and {data.name} after it")
            else:
                ns.mode = "raw"
                b.note("assumed", t, "mode", "raw (not in the inputs; ndctl list -N shows it)")
        ns.map = n.map
        if ns.mode in ("fsdax", "devdax") and ns.map is None and n.source != "iomem":
            ns.map = "dev"
            b.note("assumed", t, "map", "dev (ndctl's default; the input does not say)")
        ns.align = n.align if ns.mode in ("fsdax", "devdax") else None
        if ns.mode == "sector":
            ns.sector_size = n.sector_size
        ns.usable, ns.usable_approx = n.size, n.size_approx
        # the data range of a devdax namespace
        if ns.mode == "devdax":
            data = _dax_child(res, c, n, dax)
            devs = [dax[cd] for cd in n.chardevs if cd in dax]
            if c is not None:
                ns.head_end = c.end
            for d in devs:
                if d.start is not None:
                    ns.data_start, ns.data_end = d.start, d.end
            if data is not None:
                kmem = any(k.name.startswith("System RAM") for k in data.children)
                if kmem:
                    if n.system_ram is None:
                        n.system_ram = True
                        b.note("from", t, "system_ram", f"\"System RAM (kmem)\" inside {data.name} in /proc/iomem")
                elif ns.data_start is None:
                    ns.data_start, ns.data_end = data.start, data.end
            if any(d.mode == "system-ram" for d in devs) and n.system_ram is None:
                n.system_ram = True
                b.note("from", t, "system_ram", "daxctl: mode system-ram")
            ns.system_ram = bool(n.system_ram)
        elif c is not None:
            ns.whole_end = c.end
        # start
        if n.start is not None:
            ns.start = n.start
        elif r.labels is False and r.start is not None:
            ns.start = r.start
        elif c is not None:
            ns.start = c.start
        elif r.start is not None:       # (a region without a start is reported missing already)
            b.missing.append(f"the physical start of {n.dev} ({r.name} is labelled and /proc/iomem has "
                             f"no {n.dev} resource{'; it is disabled' if not n.enabled else ''})")
        # raw size
        if n.raw_size is not None:
            ns.size, ns.raw_size_fact = n.raw_size, True
        elif r.labels is False:
            ns.size, ns.raw_size_fact = r.size, True
        r.namespaces.append(ns)
    if r.start is None:
        return
    # sizes that need the model, in address order
    ordered = sorted((x for x in r.namespaces if x.start is not None), key=lambda x: x.start or 0)
    for i, ns in enumerate(ordered):
        nxt = ordered[i + 1].start or 0 if i + 1 < len(ordered) else r.start + (r.size or 0)
        if ns.size is None:
            _raw_size(b, r, ns, nxt, kver, all_regions)
        if ns.mode == "devdax" and ns.size and (ns.map is None or ns.align is None) and ns.head_end:
            _infer_dax(b, r, ns, kver, all_regions)
    if r.labels is False and len(r.namespaces) == 1 and r.namespaces[0].mode == "raw" \
            and r.nd is None and not r.namespaces[0].enabled:
        b.note("assumed", r.namespaces[0].name, None, "a label-less region always has one namespace; "
               "/proc/iomem shows no claim on it, so it is taken as raw")


def _dax_child(res: Optional[Resource], head: Optional[Resource], n: NdNamespace,
               dax: Dict[str, DaxDevice]) -> Optional[Resource]:
    """The daxX.Y resource holding a devdax namespace's data, in /proc/iomem."""
    if res is None:
        return None
    for cd in n.chardevs:
        for c in res.children:
            if c.name == cd:
                return c
    if head is None:
        return None
    after = sorted((c for c in res.children if c.start >= head.end), key=lambda c: c.start)
    if after and after[0].name.startswith("dax") and _DEV_NAME.match(after[0].name):
        return after[0]
    return None



def _region_dict(r: _Region) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": r.name, "provider": r.provider, "start": r.start, "size": r.size}
    d["labels"] = bool(r.labels)
    if r.label_version:
        d["label_version"] = r.label_version
    d["interleave_ways"] = r.ways or 1
    if r.align is not None:
        d["align"] = r.align
    if r.numa_node is not None and r.numa_node >= 0:
        d["numa_node"] = r.numa_node
    nss = []
    for ns in sorted(r.namespaces, key=lambda x: (x.start if x.start is not None else 1 << 64, x.name)):
        n: Dict[str, Any] = {"name": ns.name}
        if r.labels:
            n["offset"] = ns.start - r.start if ns.start is not None and r.start is not None else None
            n["size"] = ns.size
        n["mode"] = ns.mode
        if ns.mode in ("fsdax", "devdax") and ns.map:
            n["map"] = ns.map
        if ns.mode in ("fsdax", "devdax") and ns.align is not None:
            n["align"] = ns.align
        if ns.mode == "sector" and ns.sector_size:
            n["sector_size"] = ns.sector_size
        if ns.mode == "devdax" and ns.system_ram:
            n["system_ram"] = True
        n["exists"] = True      # on the machine already: ndctl's create-time checks do not apply
        n["state"] = "enabled" if ns.enabled else "disabled"
        nss.append(n)
    d["namespaces"] = nss
    return d


def _derive_infoblocks(b: _Builder, data: Dict[str, Any], regions: List[_Region], kver: KernelVersion,
                       given: Dict[str, Dict[str, Any]]) -> None:
    """``info_block`` from sysfs when read-infoblock output is not given: the pfn/dax device's
    ``resource`` is start + start_pad + dataoff and its ``size`` what follows up to
    end − end_trunc (drivers/nvdimm/pfn_devs.c resource_show()/size_show()); start_pad is
    taken as 0, which every 5.3+ kernel writes (docs/kernel-model.md §6.1, §6.6)."""
    if not kver.at_least(5, 3):
        return                      # ≤5.2 may have written a start_pad sysfs cannot separate
    by_name = {ns.name: ns for r in regions for ns in r.namespaces}
    for r in data.get("regions", ()):
        for n in r.get("namespaces", ()):
            ns = by_name.get(n["name"])
            if ns is None or n["name"] in given or n.get("mode") not in ("fsdax", "devdax"):
                continue
            if ns.holder_resource is None or ns.start is None or ns.size is None or ns.usable is None \
                    or ns.usable_approx or ns.align is None or not ns.enabled:
                continue
            dataoff = ns.holder_resource - ns.start
            end_trunc = ns.start + ns.size - ns.holder_resource - ns.usable
            if dataoff <= 0 or end_trunc < 0:
                continue
            n["info_block"] = {"dataoff": dataoff, "npfns": ns.usable // 4096, "start_pad": 0,
                               "end_trunc": end_trunc, "align": ns.align,
                               "version_minor": 4 if kver.at_least(5, 4) else 3,
                               "mode": "dax" if n["mode"] == "devdax" else "pfn"}
            b.note("from", n["name"], "info_block",
                   f"sysfs {ns.holder} resource and size (dataoff = resource − start, end_trunc = "
                   f"end − resource − size); start_pad 0, npfns in 4K pages and version 1."
                   f"{n['info_block']['version_minor']} assumed (ndctl read-infoblock -j gives them: "
                   f"--infoblock)")


def _add_infoblocks(b: _Builder, data: Dict[str, Any], blocks: Dict[str, Dict[str, Any]]) -> None:
    """``info_block`` of each fsdax/devdax namespace from ndctl read-infoblock -j (the block
    on the media, validated by every later layout: docs/kernel-model.md §6.6)."""
    seen = set()
    for r in data.get("regions", ()):
        for n in r.get("namespaces", ()):
            blk = blocks.get(n["name"])
            if blk is None:
                continue
            seen.add(n["name"])
            want = "dax" if n.get("mode") == "devdax" else "pfn"
            if n.get("mode") not in ("fsdax", "devdax") or (r.get("provider") == "e820" and n.get("map") == "mem"):
                b.note("warning", n["name"], None, f"ndctl read-infoblock shows a {blk['mode']} info block, "
                       f"but the namespace is {n.get('mode')}: not imported (the block is not in use)")
                continue
            if blk["mode"] != want:
                b.note("warning", n["name"], None, f"ndctl read-infoblock shows a {blk['mode']} info block on "
                       f"a {n.get('mode')} namespace: not imported")
                continue
            n["info_block"] = dict(blk)
            b.note("from", n["name"], "info_block", "ndctl read-infoblock -j")
    for dev in sorted(set(blocks) - seen):
        b.note("warning", dev, None, "ndctl read-infoblock names a namespace the other inputs do not have")


def _tag_ns_notes(b: _Builder, regions: List[_Region]) -> None:
    for r in regions:
        for ns in r.namespaces:
            if r.provider == "e820" and ns.mode == "fsdax" and ns.map == "mem":
                continue        # the e820 raw namespace: no info block, no align
            if ns.mode in ("fsdax", "devdax") and ns.align is None:
                b.note("assumed", ns.name, "align", "ndctl's default align (not in the inputs)")


# -- the model's view of the imported platform ---------------------------------------------

def _check(b: _Builder, res: ImportResult, regions: List[_Region], kernel: str) -> None:
    """Run the model on the result: adjust what only makes an existing namespace look new
    to ndctl, pick the BTT version, and warn where the model disagrees with the inputs."""
    from ..engine import compute_layout
    want = {ns.name: ns for r in regions for ns in r.namespaces}
    out = None
    for _ in range(4):
        out = compute_layout(platform_of(res.data), kernel, legacy=None)
        if not _adjust(b, res, regions, want, out):
            break
        res.data["regions"] = [_reorder(d) for d in res.data["regions"]]
    assert out is not None
    for got in out.namespaces:
        ns = want.get(got.name)
        if ns is None:
            continue
        res.checks[got.name] = (got.usable_size, ns.usable)
        for w in got.warnings:          # under the captured kernel: the next enable
            b.note("warning", got.name, None, w)
        if ns.enabled and got.status != "enabled":
            b.note("warning", got.name, None, f"enabled on the machine, {got.status} in the model "
                   f"({got.error.message if got.error else ''})")
        elif ns.usable is not None and got.usable_size is not None and got.usable_size != ns.usable \
                and not ns.usable_approx and ns.enabled:
            b.note("warning", got.name, None, f"the model gives {got.usable_size:#x} bytes, ndctl "
                   f"reports {ns.usable:#x}")


def _adjust(b: _Builder, res: ImportResult, regions: List[_Region], want: Dict[str, _Ns], out: "LayoutResult") -> bool:
    """One round of corrections from the model's result; True when something changed."""
    from ..engine.btt import BttError, btt_layout
    changed = False
    for got in out.namespaces:
        ns = want.get(got.name)
        if ns is None:
            continue
        r = next(x for x in regions if ns in x.namespaces)
        rd = next(x for x in res.data["regions"] if x["name"] == r.name)
        if got.mode == "sector" and got.status == "enabled" and ns.usable is not None \
                and got.usable_size != ns.usable and r.provider != "e820" and not r.label_version:
            fits: List[Tuple[str, str]] = []
            for ver, lv in (("2.0", "1.2"), ("1.1", "1.1")):
                try:
                    u = btt_layout(got.size, got.sector_size or 4096, ver).usable_size
                except BttError:
                    continue
                if u == ns.usable if not ns.usable_approx else shown_alike(u, ns.usable):
                    fits.append((ver, lv))
            if len(fits) == 1:
                ver, lv = fits[0]
                rd["label_version"] = lv
                r.label_version = lv
                b.note("from", r.name, "label_version", f"\"{lv}\": the BTT {ver} layout gives "
                       f"ndctl's {ns.usable:#x} for {ns.name}" + (f" ({APPROX})" if ns.usable_approx else ""))
                changed = True
            elif len(fits) > 1 and (r.name, "label_version") not in b.noted:
                b.noted.add((r.name, "label_version"))
                b.note("assumed", r.name, "label_version", f"none (BTT 1.1): the BTT 1.1 and 2.0 layouts of "
                       f"{ns.name} both round to ndctl -u's size ({APPROX})")
    return changed


_REGION_KEYS = ("name", "provider", "start", "size", "labels", "label_version", "interleave_ways",
                "align", "numa_node", "namespaces")


def _reorder(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: d[k] for k in _REGION_KEYS if k in d}


