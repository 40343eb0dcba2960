"""``pmemplan import``: a platform (format 1) from what a machine already says about itself.

Inputs, in any combination:

* ``/proc/iomem`` (:func:`parse_iomem`): System RAM and the other firmware ranges, every
  pmem region ("Persistent Memory (legacy)" is an e820/``memmap=`` region, "Persistent
  Memory" an NFIT or other one) and the resources the pmem drivers requested inside it;
* ``ndctl list`` JSON (:func:`parse_ndctl`), any of ``-R -N -D -v -u``, as a bare object,
  an array or the ``{"regions": …}`` form, several documents one after the other;
* ``daxctl list`` JSON (:func:`parse_daxctl`);
* a live system or a captured tree of one (:func:`read_live`): ``proc/iomem``,
  ``sys/bus/nd/devices`` and ``sys/bus/dax/devices`` under a root directory.

:func:`build_platform` joins them into a platform plus :class:`Note` objects saying where
every value that is not a plain fact came from (``from``: derived) or what was assumed
(``assumed``); :func:`render_yaml` writes format 1 with those notes as comments.
Everything here is pure (text and dicts in, objects out) except :func:`read_live`.

Facts this module relies on (Linux 6.1 observations, tests/data/kernel-observations;
docs/kernel-model.md §13):

* the pmem driver requests the whole namespace for raw, sector and fsdax, but device
  dax requests only the namespace's head (``[start, start + dataoff)``, named after the
  namespace) and names the data after the dax device (``daxX.Y``); kmem replaces that
  data resource by the memory-block-aligned part it onlines ("System RAM (kmem)");
* ``ndctl list`` shows for fsdax/devdax the data size (``npfns × 4K``), not the raw
  namespace size, and never the physical address;
* ``ndctl list -u`` prints sizes with two decimals ("252.00 GiB (270.58 GB)");
* a non-root reader of ``/proc/iomem`` sees every address as zero;
* ``ndctl list -v`` lists the zero-size seed namespace of a labelled region.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .errors import InputError, PmemplanError, ValueParseError
from .kversion import KernelVersion

__all__ = ["Resource", "parse_iomem", "NdNamespace", "NdRegion", "NdctlInfo", "parse_ndctl",
           "DaxDevice", "parse_daxctl", "LiveCapture", "read_live", "Note", "ImportResult",
           "ImportMissing", "build_platform", "render_yaml", "DEFAULT_KERNEL"]

DEFAULT_KERNEL = "6.1"          # the kernel the observations confirm; assumed when none is given
SZ_4K = 4096
SZ_8K = 8192
SZ_2M = 2 << 20
SZ_16M = 16 << 20


class ImportMissing(PmemplanError):
    """The inputs do not say something the platform needs (the CLI exits 2)."""


# =========================================================================== /proc/iomem

@dataclass
class Resource:
    """One /proc/iomem line: [start, end) and its name, with its nested children."""
    start: int
    end: int                    # exclusive
    name: str
    line: int
    children: List["Resource"] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.end - self.start

    def walk(self) -> Iterable["Resource"]:
        yield self
        for c in self.children:
            yield from c.walk()


_IOMEM_RE = re.compile(r"^(?P<ind>[ \t]*)(?P<s>[0-9a-fA-F]{1,16})-(?P<e>[0-9a-fA-F]{1,16}) : (?P<name>.*?)\s*$")


def parse_iomem(text: str, name: str = "iomem") -> List[Resource]:
    """The top-level resources of a /proc/iomem dump, children nested.

    Lines that are not ``START-END : NAME`` (a shell prompt, "...") are skipped, and a
    common indentation (a dump pasted into a mail) is ignored.  A dump whose addresses
    are all zero was read by a non-root user: that is an input error saying so.
    """
    rows: List[Tuple[int, int, int, str, int]] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        m = _IOMEM_RE.match(raw.replace("\t", "  "))
        if not m:
            continue
        s, e = int(m.group("s"), 16), int(m.group("e"), 16)
        rows.append((len(m.group("ind")), s, e, m.group("name"), no))
    if not rows:
        raise InputError("no /proc/iomem lines (START-END : NAME) found", name)
    if all(s == 0 and e == 0 for _, s, e, _, _ in rows):
        raise InputError("every address is 0: this /proc/iomem was read by a non-root user, for whom the "
                         "kernel hides addresses; read it as root (sudo cat /proc/iomem)", name)
    base = min(r[0] for r in rows)
    top: List[Resource] = []
    stack: List[Tuple[int, Resource]] = []
    for ind, s, e, label, no in rows:
        if e < s:
            raise InputError(f"range {s:x}-{e:x} ends before it starts", name, no, 1)
        res = Resource(s, e + 1, label, no)
        depth = ind - base
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1].children if stack else top).append(res)
        stack.append((depth, res))
    return top


_NS_NAME = re.compile(r"^namespace(\d+)\.(\d+)$")
_DEV_NAME = re.compile(r"^(?:dax|pfn|btt)(\d+)\.(\d+)$")


def _region_no(dev: str) -> Optional[int]:
    m = _NS_NAME.match(dev) or _DEV_NAME.match(dev)
    return int(m.group(1)) if m else None


def _is_pmem(name: str) -> bool:
    return name.startswith("Persistent Memory")


# =========================================================================== ndctl list

_HUMAN_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|TiB|PiB|EiB)\b")
_HUMAN_SHIFT = {"B": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40, "PiB": 50, "EiB": 60}


def parse_json_size(v: Any) -> Tuple[Optional[int], bool]:
    """A size as ndctl/daxctl print it: (bytes, approximate).  ``-u`` strings are approximate."""
    if v is None or isinstance(v, bool):
        return None, False
    if isinstance(v, int):
        return v, False
    if isinstance(v, float):
        return int(v), True
    if isinstance(v, str):
        s = v.strip()
        try:
            if re.fullmatch(r"0[xX][0-9a-fA-F]+", s):
                return int(s, 16), False
            if re.fullmatch(r"[0-9]+", s):
                return int(s), False
        except ValueError:
            return None, False
        m = _HUMAN_RE.match(s)
        if m:
            return int(round(float(m.group(1)) * (1 << _HUMAN_SHIFT[m.group(2)]))), m.group(2) != "B"
    return None, False


@dataclass
class NdNamespace:
    dev: str
    region: Optional[str] = None
    mode: Optional[str] = None             # fsdax | devdax | sector | raw
    map: Optional[str] = None
    size: Optional[int] = None             # what ndctl lists (usable), or sysfs pfn/dax/btt size
    size_approx: bool = False
    align: Optional[int] = None
    sector_size: Optional[int] = None
    uuid: Optional[str] = None
    raw_uuid: Optional[str] = None
    enabled: bool = True
    chardevs: List[str] = field(default_factory=list)
    system_ram: Optional[bool] = None
    start: Optional[int] = None            # physical start (sysfs resource)
    raw_size: Optional[int] = None         # namespace size (sysfs size)
    nstype: Optional[int] = None           # 4 = label-less (io), 5 = labelled (pmem)
    source: str = "ndctl"


@dataclass
class NdRegion:
    dev: str
    provider: Optional[str] = None          # normalised: nfit | e820 | of_pmem | virtio | cxl
    provider_raw: Optional[str] = None
    size: Optional[int] = None
    size_approx: bool = False
    align: Optional[int] = None
    available_size: Optional[int] = None
    mappings: Optional[int] = None
    numa_node: Optional[int] = None
    start: Optional[int] = None             # physical start, when the input has it (sysfs resource)
    nstype: Optional[int] = None
    namespaces: List[NdNamespace] = field(default_factory=list)
    source: str = "ndctl"


@dataclass
class NdctlInfo:
    regions: Dict[str, NdRegion] = field(default_factory=dict)
    loose: List[NdNamespace] = field(default_factory=list)   # namespaces listed without a region
    approximate: bool = False                                 # some size came from -u

    def region(self, dev: str) -> NdRegion:
        if dev not in self.regions:
            self.regions[dev] = NdRegion(dev)
        return self.regions[dev]


def normalise_provider(p: Optional[str]) -> Optional[str]:
    if not p:
        return None
    low = p.lower()
    if low == "e820" or low.startswith("e820"):
        return "e820"
    if "nfit" in low:
        return "nfit"
    if "virtio" in low:
        return "virtio"
    if "cxl" in low:
        return "cxl"
    if low.startswith("of_pmem") or "pmem@" in low or "papr" in low or low.startswith("of"):
        return "of_pmem"
    return None


_MODES = {"fsdax": "fsdax", "memory": "fsdax", "devdax": "devdax", "dax": "devdax",
          "sector": "sector", "safe": "sector", "raw": "raw"}


def _json_docs(text: str, name: str) -> List[Any]:
    """Every JSON value in ``text`` (ndctl output pasted one after the other)."""
    dec = json.JSONDecoder()
    out: List[Any] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            break
        try:
            value, pos = dec.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise InputError(f"not JSON: {e.msg}", name, e.lineno, e.colno) from None
        out.append(value)
    if not out:
        raise InputError("empty: expected JSON", name)
    return out


def _int_or_none(v: Any) -> Optional[int]:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v, 0)
        except ValueError:
            return None
    return None


def _ns_from_json(d: Dict[str, Any], region: Optional[str], info: NdctlInfo) -> NdNamespace:
    ns = NdNamespace(str(d.get("dev")), region=region)
    mode = d.get("mode")
    ns.mode = _MODES.get(str(mode)) if mode is not None else None
    ns.map = d.get("map") if d.get("map") in ("dev", "mem") else None
    ns.size, ns.size_approx = parse_json_size(d.get("size"))
    info.approximate |= ns.size_approx
    ns.align = parse_json_size(d.get("align"))[0]
    ns.sector_size = _int_or_none(d.get("sector_size"))
    ns.uuid = d.get("uuid") if isinstance(d.get("uuid"), str) else None
    ns.raw_uuid = d.get("raw_uuid") if isinstance(d.get("raw_uuid"), str) else None
    ns.enabled = d.get("state") != "disabled"
    if isinstance(d.get("chardev"), str):
        ns.chardevs.append(d["chardev"])
    dr = d.get("daxregion")
    if isinstance(dr, dict):
        for dev in dr.get("devices") or ():
            if isinstance(dev, dict) and isinstance(dev.get("chardev"), str):
                ns.chardevs.append(dev["chardev"])
                if dev.get("mode") == "system-ram":
                    ns.system_ram = True
                elif dev.get("mode") == "devdax" and ns.system_ram is None:
                    ns.system_ram = False
    res = _int_or_none(d.get("resource"))
    if res is not None:
        ns.start = res
    return ns


def _walk_ndctl(v: Any, info: NdctlInfo, provider: Optional[str], region: Optional[str]) -> None:
    if isinstance(v, list):
        for x in v:
            _walk_ndctl(x, info, provider, region)
        return
    if not isinstance(v, dict):
        return
    dev = str(v.get("dev", ""))
    if "provider" in v and (dev.startswith("ndbus") or "regions" in v or not dev):
        provider = str(v.get("provider"))
    if dev.startswith("region"):
        r = info.region(dev)
        if provider:
            r.provider_raw = provider
            r.provider = normalise_provider(provider)
        size, approx = parse_json_size(v.get("size"))
        if size is not None:
            r.size, r.size_approx = size, approx
            info.approximate |= approx
        if "align" in v:
            r.align = parse_json_size(v.get("align"))[0]
        if "available_size" in v:
            r.available_size = parse_json_size(v.get("available_size"))[0]
        if isinstance(v.get("mappings"), list) and v["mappings"]:
            r.mappings = len(v["mappings"])
        if isinstance(v.get("numa_node"), int):
            r.numa_node = v["numa_node"]
        res = _int_or_none(v.get("resource"))
        if res is not None:
            r.start = res
        for ns in v.get("namespaces") or ():
            if isinstance(ns, dict) and str(ns.get("dev", "")).startswith("namespace"):
                _add_ns(r, _ns_from_json(ns, dev, info))
        return
    if dev.startswith("namespace"):
        ns = _ns_from_json(v, region, info)
        no = _region_no(ns.dev)
        if region is None and no is not None:
            ns.region = f"region{no}"
        if ns.region is not None:
            _add_ns(info.region(ns.region), ns)
        else:
            info.loose.append(ns)
        return
    for key in ("buses", "regions", "namespaces"):
        if key in v:
            _walk_ndctl(v[key], info, provider, region)


def _add_ns(r: NdRegion, ns: NdNamespace) -> None:
    ns.region = r.dev
    for i, old in enumerate(r.namespaces):
        if old.dev == ns.dev:       # listed twice (create-namespace output, then list): the later wins
            r.namespaces[i] = ns
            return
    r.namespaces.append(ns)


def parse_ndctl(text: str, name: str = "ndctl") -> NdctlInfo:
    """``ndctl list`` JSON in any of its shapes (several documents allowed)."""
    info = NdctlInfo()
    docs = _json_docs(text, name)
    for d in docs:
        if not isinstance(d, (dict, list)):
            raise InputError("not ndctl list output: expected a JSON object or array", name)
        _walk_ndctl(d, info, None, None)
    if not info.regions and not info.loose:
        raise InputError("no region or namespace in this ndctl list output (expected \"dev\": "
                         "\"regionN\"/\"namespaceN.M\" objects)", name)
    # -u sizes carry two decimals: round them to what they must be a multiple of
    for r in info.regions.values():
        if r.size_approx and r.size is not None:
            r.size = _round(r.size, r.align or SZ_4K)
        for ns in r.namespaces:
            if ns.size_approx and ns.size is not None:
                ns.size = _round(ns.size, ns.align or SZ_4K)
    for ns in info.loose:
        if ns.size_approx and ns.size is not None:
            ns.size = _round(ns.size, ns.align or SZ_4K)
    return info


def _round(x: int, a: int) -> int:
    return max(a, (x + a // 2) // a * a)


# =========================================================================== daxctl list

@dataclass
class DaxDevice:
    chardev: str
    mode: Optional[str] = None               # devdax | system-ram
    size: Optional[int] = None
    align: Optional[int] = None
    start: Optional[int] = None              # data range [start, end)
    end: Optional[int] = None
    region: Optional[str] = None             # regionN from the daxctl path, if it is an nd region
    nd_dax: Optional[str] = None             # the nd_dax device (path tail) it belongs to
    namespace: Optional[str] = None          # (live) the namespace of its nd_dax device


_DAX_PATH = re.compile(r"/(region\d+)/(dax\d+\.\d+)$")


def _dax_from_json(d: Dict[str, Any], path: Optional[str]) -> DaxDevice:
    dev = DaxDevice(str(d.get("chardev")))
    dev.mode = d.get("mode") if isinstance(d.get("mode"), str) else None
    dev.size = parse_json_size(d.get("size"))[0]
    dev.align = parse_json_size(d.get("align"))[0]
    maps = d.get("mappings")
    if isinstance(maps, list) and maps:
        starts = [parse_json_size(m.get("start"))[0] for m in maps if isinstance(m, dict)]
        ends = [parse_json_size(m.get("end"))[0] for m in maps if isinstance(m, dict)]
        if starts and ends and None not in starts and None not in ends:
            dev.start, dev.end = min(starts), max(ends) + 1
    if path:
        m = _DAX_PATH.search(path.replace("\\/", "/"))
        if m:
            dev.region, dev.nd_dax = m.group(1), m.group(2)
    return dev


def parse_daxctl(text: str, name: str = "daxctl") -> Dict[str, DaxDevice]:
    """``daxctl list`` JSON (``-R -D -M`` in any combination): chardev → device."""
    out: Dict[str, DaxDevice] = {}

    def walk(v: Any, path: Optional[str]) -> None:
        if isinstance(v, list):
            for x in v:
                walk(x, path)
        elif isinstance(v, dict):
            if isinstance(v.get("chardev"), str):
                dev = _dax_from_json(v, path)
                out[dev.chardev] = dev
                return
            p = v.get("path") if isinstance(v.get("path"), str) else path
            for key in ("devices", "regions"):
                if key in v:
                    walk(v[key], p)

    for d in _json_docs(text, name):
        walk(d, None)
    if not out:
        raise InputError("no dax device in this daxctl list output (expected \"chardev\" objects)", name)
    return out


# =========================================================================== live system

@dataclass
class LiveCapture:
    root: str
    iomem: str
    kernel: Optional[str]
    arch: Optional[str]
    block_size: Optional[int]
    ndctl: NdctlInfo
    dax: Dict[str, DaxDevice]


def _read_attr(path: str) -> Optional[str]:
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            return f.read(4096).strip()
    except (OSError, ValueError):
        return None


def _driver(path: str) -> Optional[str]:
    link = os.path.join(path, "driver")
    if os.path.islink(link):
        return os.path.basename(os.readlink(link).rstrip("/"))
    return _read_attr(link) or None


def _attrs(path: str, names: Sequence[str]) -> Dict[str, Optional[str]]:
    return {n: _read_attr(os.path.join(path, n)) for n in names}


def _selected(v: Optional[str]) -> Optional[int]:
    """``512 520 [4096] …`` → 4096; a bare number → itself."""
    if not v:
        return None
    m = re.search(r"\[(\d+)\]", v)
    if m:
        return int(m.group(1))
    return _int_or_none(v.split()[0]) if v.split() else None


def read_live(root: str = "/") -> LiveCapture:
    """Read a running system (or a captured tree of one) under ``root``.

    ``proc/iomem``, ``sys/bus/nd/devices/*`` (bus provider, region resource/size/align/
    mappings/nstype, namespace resource/size/mode/holder, the holder's mode/align/size/
    sector_size), ``sys/bus/dax/devices/*`` (mapping ranges, kmem driver),
    ``sys/devices/system/memory/block_size_bytes`` and ``proc/sys/kernel/osrelease``.
    """
    iomem_path = os.path.join(root, "proc", "iomem")
    try:
        with open(iomem_path, "r", encoding="utf-8", errors="replace") as f:
            iomem = f.read()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", iomem_path) from None
    nd_dir = os.path.join(root, "sys", "bus", "nd", "devices")
    if not os.path.isdir(nd_dir):
        raise InputError("no libnvdimm devices (is the nd_pmem/libnvdimm driver loaded?)", nd_dir)
    kernel = _read_attr(os.path.join(root, "proc", "sys", "kernel", "osrelease"))
    arch = _read_attr(os.path.join(root, "proc", "sys", "kernel", "arch"))
    if arch is None and os.path.abspath(root) == "/":
        arch = os.uname().machine
    bs = _read_attr(os.path.join(root, "sys", "devices", "system", "memory", "block_size_bytes"))
    block_size = int(bs, 16) if bs and re.fullmatch(r"[0-9a-fA-F]+", bs) else None

    names = sorted(os.listdir(nd_dir))
    buses = {n: _read_attr(os.path.join(nd_dir, n, "provider")) for n in names if n.startswith("ndbus")}
    info = NdctlInfo()
    holders: Dict[str, Dict[str, Optional[str]]] = {}
    for n in names:
        if _DEV_NAME.match(n):
            holders[n] = _attrs(os.path.join(nd_dir, n), ("namespace", "mode", "align", "size",
                                                         "resource", "sector_size"))
    for n in names:
        path = os.path.join(nd_dir, n)
        if n.startswith("region"):
            a = _attrs(path, ("resource", "size", "align", "mappings", "numa_node", "nstype",
                              "available_size"))
            r = info.region(n)
            r.source = "sysfs"
            bus = None
            real = os.path.realpath(path)
            parent = os.path.basename(os.path.dirname(real))
            if parent in buses:
                bus = buses[parent]
            elif len(buses) == 1:
                bus = next(iter(buses.values()))
            r.provider_raw = bus
            r.provider = normalise_provider(bus)
            r.start = _int_or_none(a["resource"])
            r.size = _int_or_none(a["size"])
            r.align = _int_or_none(a["align"])
            r.mappings = _int_or_none(a["mappings"])
            r.numa_node = _int_or_none(a["numa_node"])
            r.nstype = _int_or_none(a["nstype"])
            r.available_size = _int_or_none(a["available_size"])
    for n in names:
        m = _NS_NAME.match(n)
        if not m:
            continue
        path = os.path.join(nd_dir, n)
        a = _attrs(path, ("resource", "size", "mode", "holder", "nstype", "uuid", "sector_size"))
        ns = NdNamespace(n, source="sysfs")
        ns.start = _int_or_none(a["resource"])
        ns.raw_size = _int_or_none(a["size"])
        ns.nstype = _int_or_none(a["nstype"])
        ns.uuid = a["uuid"] or None
        holder_name = (a["holder"] or "").strip()
        holder = holders.get(holder_name)
        # a claimed namespace is not bound itself: its pfn/dax/btt device is
        ns.enabled = _driver(path) is not None or (holder is not None and
                                                   _driver(os.path.join(nd_dir, holder_name)) is not None)
        smode = (a["mode"] or "raw").strip()
        region = f"region{m.group(1)}"
        real_parent = os.path.basename(os.path.dirname(os.path.realpath(path)))
        if real_parent.startswith("region"):
            region = real_parent
        e820 = info.region(region).provider == "e820"
        if holder is not None and holder_name.startswith("pfn"):
            ns.mode = "fsdax"
        elif holder is not None and holder_name.startswith("dax"):
            ns.mode = "devdax"
        elif holder is not None and holder_name.startswith("btt"):
            ns.mode = "sector"
        elif e820 and smode in ("memory", "raw"):
            ns.mode, ns.map = "fsdax", "mem"      # the e820 namespace: ndctl's legacy "memory" mode
        else:
            ns.mode = "raw"                       # a claim class without a claim: raw until it binds
        if holder is not None:
            if ns.mode in ("fsdax", "devdax"):
                ns.map = {"pmem": "dev", "ram": "mem"}.get((holder["mode"] or "").strip())
                ns.align = _int_or_none(holder["align"])
            if ns.mode == "sector":
                ns.sector_size = _selected(holder["sector_size"])
            ns.size = _int_or_none(holder["size"])
        else:
            ns.size = ns.raw_size
        _add_ns(info.region(region), ns)

    dax: Dict[str, DaxDevice] = {}
    dax_dir = os.path.join(root, "sys", "bus", "dax", "devices")
    if os.path.isdir(dax_dir):
        for n in sorted(os.listdir(dax_dir)):
            path = os.path.join(dax_dir, n)
            a = _attrs(path, ("size", "align", "resource"))
            dev = DaxDevice(n, size=_int_or_none(a["size"]), align=_int_or_none(a["align"]))
            drv = _driver(path)
            dev.mode = "system-ram" if drv == "kmem" else "devdax"
            lo = hi = None
            for sub in sorted(os.listdir(path)) if os.path.isdir(path) else ():
                if sub.startswith("mapping") and os.path.isdir(os.path.join(path, sub)):
                    s = _int_or_none(_read_attr(os.path.join(path, sub, "start")))
                    e = _int_or_none(_read_attr(os.path.join(path, sub, "end")))
                    if s is not None and e is not None:
                        lo = s if lo is None else min(lo, s)
                        hi = e + 1 if hi is None else max(hi, e + 1)
            if lo is None:
                res = _int_or_none(a["resource"])
                if res is not None and dev.size is not None:
                    lo, hi = res, res + dev.size
            dev.start, dev.end = lo, hi
            # the nd_dax device that owns it: the sysfs parent, else the one at the same address
            parent = os.path.basename(os.path.dirname(os.path.realpath(path)))
            owner = holders.get(parent) if _DEV_NAME.match(parent) and parent.startswith("dax") else None
            if owner is None:
                for hn, h in holders.items():
                    if hn.startswith("dax") and lo is not None and _int_or_none(h["resource"]) == lo:
                        owner = h
                        break
            if owner is not None and owner.get("namespace"):
                dev.namespace = owner["namespace"]
            dax[n] = dev
    for dev in dax.values():
        if dev.namespace:
            for r in info.regions.values():
                for ns in r.namespaces:
                    if ns.dev == dev.namespace:
                        ns.chardevs.append(dev.chardev)
                        ns.system_ram = dev.mode == "system-ram"
    return LiveCapture(root, iomem, kernel, arch, block_size, info, dax)


# =========================================================================== the platform

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

    def yaml(self) -> str:
        return render_yaml(self)


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

    def note(self, kind: str, target: str, key: Optional[str], text: str) -> None:
        self.notes.append(Note(kind, target, key, text))


def build_platform(iomem: Optional[List[Resource]] = None, ndctl: Optional[NdctlInfo] = None,
                   daxctl: Optional[Dict[str, DaxDevice]] = None, live: Optional[LiveCapture] = None,
                   kernel: Optional[str] = None, name: Optional[str] = None,
                   sources: Sequence[str] = (), check: bool = True) -> ImportResult:
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
    for res in iomem or ():
        inside = [r for r in res.walk() if _is_pmem(r.name)]
        if _is_pmem(res.name):
            pm_ranges.append(res)
            continue
        if inside:
            pm_ranges.extend(inside)
            b.note("note", f"memory", None, f"{res.name} {res.start:#x}-{res.end - 1:#x} holds pmem; "
                   "left out of memory (only its pmem ranges are imported)")
            continue
        t = _memory_type(res.name)
        m: Dict[str, Any] = {"type": t, "start": res.start, "size": res.size}
        if t == "other" and _DEV_NAME.match(res.name) and res.name.startswith("dax"):
            # v6.19-ish: Soft Reserved no longer shows; the dax device is the top level
            m["type"] = "soft-reserved"
            b.note("assumed", f"memory[{len(memory)}]", "type",
                   f"soft-reserved: top-level {res.name} (device-dax of a Soft Reserved range whose "
                   "parent the kernel hides)")
        if t in ("acpi", "pci", "other") or m["type"] == "soft-reserved" and res.name != "Soft Reserved":
            m["name"] = res.name
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

    res = ImportResult(data, b.notes, list(sources))
    data["regions"] = [_region_dict(r) for r in regions]
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

        def fits(x: Resource) -> bool:
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
            b.note("from", t, "size", f"ndctl list -u's rounded size, rounded to the region align: approximate")
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


def _is_seed(n: NdNamespace) -> bool:
    return (n.raw_size == 0) if n.source == "sysfs" else (n.size == 0)


def _labels(b: _Builder, r: _Region, q: Optional[NdRegion], res: Optional[Resource]) -> Optional[bool]:
    t = r.name
    if r.provider == "e820":
        return False
    if q is not None:
        ns_types = {n.nstype for n in q.namespaces if n.nstype is not None} | ({q.nstype} if q.nstype else set())
        if ns_types & {4} or ns_types & {5}:
            lab = 5 in ns_types
            b.note("from", t, "labels", f"sysfs nstype {5 if lab else 4} ({'pmem, labelled' if lab else 'io, label-less'})")
            return lab
        real = [n for n in q.namespaces if not _is_seed(n)]
        why = None
        if any(n.raw_uuid for n in q.namespaces):
            why = "namespaces carry a label uuid (raw_uuid)"
        elif any(_is_seed(n) for n in q.namespaces):
            why = "ndctl lists a zero-size seed namespace (only labelled regions have one)"
        elif len(real) > 1:
            why = "more than one namespace"
        elif any(n.mode == "raw" and n.uuid and set(n.uuid) - set("0-") for n in real):
            why = "a raw namespace with a uuid"
        elif q.available_size:
            why = "available_size is not 0"
        elif any(_NS_NAME.match(n.dev) and _NS_NAME.match(n.dev).group(2) != "0" for n in real):
            why = "a namespace numbered above .0"
        if why:
            b.note("from", t, "labels", f"true: {why}")
            return True
        if real:
            b.note("from", t, "labels", "false: its namespace has no label uuid (raw_uuid) and no seed is listed")
            return False
    if res is not None:
        kids = [c for c in res.children if _NS_NAME.match(c.name)]
        if len(kids) == 1 and kids[0].start == res.start and _NS_NAME.match(kids[0].name).group(2) == "0":
            last = max(c.end for c in res.children)
            if last == res.end:
                b.note("assumed", t, "labels", "false: one namespace spanning the region in /proc/iomem")
                return False
        if len(kids) > 1:
            b.note("from", t, "labels", "true: several namespaces in /proc/iomem")
            return True
    b.note("assumed", t, "labels", "true (nothing in the inputs says whether the region is labelled)")
    return True


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
    for c in by_start:                          # namespaces only /proc/iomem knows
        if c.name not in seen:
            listed.append(NdNamespace(c.name, region=r.name, source="iomem"))
    if not listed and r.labels is False and res is not None and r.nd is None:
        # a label-less region always has its one namespace; without a claim it is raw
        listed.append(NdNamespace(f"namespace{_num(r.name)}.0", region=r.name, source="iomem", enabled=False))
    for n in listed:
        ns = _Ns(n.dev)
        t = n.dev
        ns.enabled = n.enabled
        ns.label_uuid = bool(n.raw_uuid)
        c = kids.get(n.dev)
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
        if ns.usable_approx:
            b.note("from", t, "size", "ndctl list -u sizes are rounded to two decimals: the sizes "
                   "derived from it are approximate")
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
    ordered = sorted((x for x in r.namespaces if x.start is not None), key=lambda x: x.start)
    for i, ns in enumerate(ordered):
        nxt = ordered[i + 1].start if i + 1 < len(ordered) else r.start + (r.size or 0)
        if ns.size is None:
            _raw_size(b, r, ns, nxt, kver, all_regions)
        if ns.mode == "devdax" and ns.size and (ns.map is None or ns.align is None) and ns.head_end:
            _infer_dax(b, r, ns, kver, all_regions)
    if r.labels is False and len(r.namespaces) == 1 and r.namespaces[0].mode == "raw" \
            and r.nd is None and not r.namespaces[0].enabled:
        b.note("assumed", r.namespaces[0].name, None, "a label-less region always has one namespace; "
               "/proc/iomem shows no claim on it, so it is taken as raw")


def _infer_dax(b: _Builder, r: _Region, ns: _Ns, kver: KernelVersion, all_regions: List[_Region]) -> None:
    """map and align of a devdax namespace known only from /proc/iomem: the head
    (the namespace's resource) ends at start + dataoff, which each (map, align) fixes."""
    from .engine.memory import KernelError
    from .engine.pfn_devs import nd_pfn_init
    p = _profile(kver, all_regions, b.arch)
    assert ns.start is not None and ns.size is not None and ns.head_end is not None
    want = ns.head_end - ns.start
    default = p.default_pfn_align()
    aligns = [ns.align] if ns.align else sorted(p.supported_alignments(), key=lambda a: (a != default, a))
    maps = [ns.map] if ns.map else ["dev", "mem"]
    for mp in maps:
        for a in aligns:
            ib = nd_pfn_init(p, name=ns.name, start=ns.start, size=ns.size, devdax=True, map=mp, align=a,
                             ram=lambda x, y: 0, other_regions=())
            if not isinstance(ib, KernelError) and ib.dataoff == want:
                if ns.map is None:
                    ns.map = mp
                    b.note("from", ns.name, "map", f"{mp}: its head in /proc/iomem ({want:#x}) is the data "
                           f"offset of a map={mp} info block")
                if ns.align is None:
                    ns.align = a
                    b.note("from", ns.name, "align", f"{a:#x}: gives the data offset {want:#x} /proc/iomem shows"
                           + (" (the default; other aligns may give the same)" if a == default else ""))
                return
    b.note("warning", ns.name, None, f"no info block layout gives the head of {want:#x} bytes /proc/iomem shows")


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


# -- the raw size of a labelled namespace ------------------------------------------------

def _profile(kver: KernelVersion, regions: List[_Region], arch: str = "x86_64"):
    from .engine.arch import arch_profile
    return arch_profile(arch, kver)


def _granule(p, r: _Region, ns: _Ns) -> int:
    attr = r.align if r.align is not None else p.default_region_align(r.size or 0, r.ways or 1)
    g = attr if attr is not None else p.page_size * (r.ways or 1)
    if ns.mode in ("fsdax", "devdax"):
        a = (ns.align or p.default_pfn_align()) * (r.ways or 1)
        g = g * a // math.gcd(g, a)
    return g


def _raw_size(b: _Builder, r: _Region, ns: _Ns, nxt: int, kver: KernelVersion,
              all_regions: List[_Region]) -> None:
    """The raw size of a labelled namespace, from the region, /proc/iomem and ndctl."""
    from .engine.memory import KernelError
    from .engine.pfn_devs import nd_pfn_init
    t = ns.name
    assert ns.start is not None and r.start is not None
    hi = nxt - ns.start
    if ns.mode in ("raw", "sector") or ns.mode == "fsdax" and r.provider == "e820" and ns.map == "mem":
        if ns.whole_end is not None:
            ns.size = ns.whole_end - ns.start
            return
        if ns.mode == "raw" and ns.usable is not None and not ns.usable_approx:
            ns.size = ns.usable
            b.note("from", t, "size", "ndctl's size (a raw namespace's size is its raw size)")
            return
        ns.size = hi
        b.note("assumed", t, "size", f"up to the next namespace or the region end ({hi:#x}); neither "
               "/proc/iomem nor ndctl gives it")
        return
    p = _profile(kver, all_regions, b.arch)
    devdax = ns.mode == "devdax"
    align = ns.align or p.default_pfn_align()
    g = _granule(p, r, ns)
    lo = 0
    for e in (ns.head_end, ns.data_end, ns.whole_end):
        if e is not None:
            lo = max(lo, e - ns.start)
    if ns.mode == "fsdax" and ns.whole_end is not None and ns.usable is not None:
        S = ns.whole_end - ns.start
        ib = nd_pfn_init(p, name=t, start=ns.start, size=S, devdax=False, map=ns.map or "dev", align=align,
                         ram=lambda a, c: 0, other_regions=())
        if not isinstance(ib, KernelError) and ib.usable_size == ns.usable:
            ns.size = S
            return
    if ns.usable is None:
        if ns.whole_end is not None:
            ns.size = ns.whole_end - ns.start
            return
        ns.size = align_up(lo, g) if lo else hi
        b.note("assumed", t, "size", f"{ns.size:#x}: no ndctl size to derive it from; "
               + ("the smallest size holding what /proc/iomem shows" if lo else "up to the next namespace"))
        return
    U = ns.usable
    maps = [ns.map] if ns.map else ["dev", "mem"]
    dataoffs: List[int] = []
    if ns.head_end is not None:
        dataoffs.append(ns.head_end - ns.start)
    elif ns.data_start is not None:
        dataoffs.append(ns.data_start - ns.start)
    best: Optional[Tuple[int, str, int]] = None
    for mp in maps:
        def usable_of(S: int) -> Optional[int]:
            ib = nd_pfn_init(p, name=t, start=ns.start, size=S, devdax=devdax, map=mp, align=align,
                             ram=lambda a, c: 0, other_regions=())
            return None if isinstance(ib, KernelError) else ib.usable_size

        def dataoff_of(S: int) -> Optional[int]:
            ib = nd_pfn_init(p, name=t, start=ns.start, size=S, devdax=devdax, map=mp, align=align,
                             ram=lambda a, c: 0, other_regions=())
            return None if isinstance(ib, KernelError) else ib.dataoff
        S = _search_size(p, ns.start, U, lo, hi, g, align, mp, dataoffs, usable_of, dataoff_of)
        if S is not None and (best is None or S < best[0]):
            best = (S, mp, g)
    if best is None and g > p.page_size:
        for mp in maps:
            def usable_of2(S: int, mp: str = mp) -> Optional[int]:
                ib = nd_pfn_init(p, name=t, start=ns.start, size=S, devdax=devdax, map=mp, align=align,
                                 ram=lambda a, c: 0, other_regions=())
                return None if isinstance(ib, KernelError) else ib.usable_size

            def dataoff_of2(S: int, mp: str = mp) -> Optional[int]:
                ib = nd_pfn_init(p, name=t, start=ns.start, size=S, devdax=devdax, map=mp, align=align,
                                 ram=lambda a, c: 0, other_regions=())
                return None if isinstance(ib, KernelError) else ib.dataoff
            S = _search_size(p, ns.start, U, lo, hi, p.page_size, align, mp, dataoffs, usable_of2, dataoff_of2)
            if S is not None and (best is None or S < best[0]):
                best = (S, mp, p.page_size)
    if best is not None:
        S, mp, gg = best
        ns.size = S
        if ns.map is None:
            ns.map = mp
            b.note("from", t, "map", f"{mp}: the only map whose info block gives ndctl's size")
        what = "the head and data /proc/iomem shows" if ns.mode == "devdax" else "/proc/iomem"
        b.note("from", t, "size", f"the smallest size (a multiple of {gg:#x}) whose info block gives "
               f"ndctl's {U:#x}" + (" (approximate)" if ns.usable_approx else "") +
               f", fitting {what}" + (f"; it may be up to {hi:#x} long (the space before "
               f"{'the next namespace' if nxt < r.start + r.size else 'the region end'})" if hi > S else ""))
        return
    S = min(hi, align_up(max(lo, U + U // 63 + SZ_8K), g))
    ns.size = S
    b.note("assumed", t, "size", f"{S:#x}: no size gives ndctl's {U:#x} exactly" +
           (" (ndctl -u sizes are approximate)" if ns.usable_approx else ""))
    if ns.map is None:
        ns.map = "dev"
        b.note("assumed", t, "map", "dev (ndctl's default)")


def align_up(x: int, a: int) -> int:
    return -(-x // a) * a


def _search_size(p, start: int, U: int, lo: int, hi: int, g: int, align: int, mp: str,
                 dataoffs: List[int], usable_of: Callable[[int], Optional[int]],
                 dataoff_of: Callable[[int], Optional[int]]) -> Optional[int]:
    """Smallest S (multiple of g, lo ≤ S ≤ hi) with usable_of(S) == U.

    usable = ALIGN_DOWN(start + S, A) − (start + dataoff(S)) for 5.3+, and dataoff(S)
    never decreases with S: for each candidate dataoff D the end must lie in
    [start + D + U, start + D + U + A), where the smallest S with dataoff(S) ≥ D is found
    by bisection.  Other eras fall back to a bounded scan.
    """
    if hi <= 0:
        return None
    if not p.kernel.at_least(5, 3):
        S = align_up(max(lo, U), g)
        for _ in range(4096):
            if S > hi:
                return None
            if usable_of(S) == U:
                return S
            S += g
        return None
    A = max(align, p.compat_align or 0, SZ_2M)
    cands = list(dataoffs)
    if not cands:
        est = SZ_8K + (U + SZ_8K) // 63 if mp == "dev" else SZ_8K
        base = align_up(start + est, A) - start
        cands = [base + k * A for k in range(-4, 6) if base + k * A > 0]
    found: List[int] = []
    for D in cands:
        e_down = start + D + U
        if e_down % A:
            continue
        s_lo = max(lo, e_down - start)
        s_hi = min(hi, e_down - start + A - 1)
        S = align_up(s_lo, g)
        if S > s_hi:
            continue
        d0 = dataoff_of(S)
        if d0 is None:
            continue
        if d0 < D:
            # bisect over multiples of g in [S, s_hi] for the first with dataoff >= D
            a, c = S // g, s_hi // g
            while a < c:
                mid = (a + c) // 2
                dm = dataoff_of(mid * g)
                if dm is not None and dm >= D:
                    c = mid
                else:
                    a = mid + 1
            S = a * g
            if S > s_hi:
                continue
        if usable_of(S) == U:
            found.append(S)
    return min(found) if found else None


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
        nss.append(n)
    d["namespaces"] = nss
    return d


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
    from .engine import compute_layout
    from .loader import load_platform_text
    from .errors import InputError as _IE
    want = {ns.name: ns for r in regions for ns in r.namespaces}
    out = None
    for _ in range(4):
        try:
            platform = load_platform_text(render_yaml(res), "<import>")
        except _IE as e:
            raise ImportMissing(f"the imported platform does not load ({e}); the inputs disagree "
                                "with each other") from None
        out = compute_layout(platform, kernel, legacy=None)
        if not _adjust(b, res, regions, want, out):
            break
        res.data["regions"] = [_reorder(d) for d in res.data["regions"]]
    assert out is not None
    for got in out.namespaces:
        ns = want.get(got.name)
        if ns is None:
            continue
        res.checks[got.name] = (got.usable_size, ns.usable)
        if ns.enabled and got.status != "enabled":
            b.note("warning", got.name, None, f"enabled on the machine, {got.status} in the model "
                   f"({got.error.message if got.error else ''})")
        elif ns.usable is not None and got.usable_size is not None and got.usable_size != ns.usable \
                and not ns.usable_approx and ns.enabled:
            b.note("warning", got.name, None, f"the model gives {got.usable_size:#x} bytes, ndctl "
                   f"reports {ns.usable:#x}")


def _adjust(b: _Builder, res: ImportResult, regions: List[_Region], want: Dict[str, _Ns], out) -> bool:
    """One round of corrections from the model's result; True when something changed."""
    from .engine.btt import BttError, btt_layout
    changed = False
    for got in out.namespaces:
        ns = want.get(got.name)
        if ns is None:
            continue
        r = next(x for x in regions if ns in x.namespaces)
        rd = next(x for x in res.data["regions"] if x["name"] == r.name)
        if got.mode == "sector" and got.status == "enabled" and ns.usable is not None \
                and got.usable_size != ns.usable and r.provider != "e820" and not r.label_version:
            for ver, lv in (("2.0", "1.2"), ("1.1", "1.1")):
                try:
                    ok = btt_layout(got.size, got.sector_size or 4096, ver).usable_size == ns.usable
                except BttError:
                    continue
                if ok:
                    rd["label_version"] = lv
                    r.label_version = lv
                    b.note("from", r.name, "label_version", f"\"{lv}\": the BTT {ver} layout gives "
                           f"ndctl's {ns.usable:#x} for {ns.name}")
                    changed = True
                    break
    return changed


_REGION_KEYS = ("name", "provider", "start", "size", "labels", "label_version", "interleave_ways",
                "align", "numa_node", "namespaces")


def _reorder(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: d[k] for k in _REGION_KEYS if k in d}


# =========================================================================== YAML

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(v: Any, key: str = "") -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        if key in ("start", "size", "offset", "align", "memory_block_size"):
            return f"{v:#x}"
        return str(v)
    if v is None:
        return "null"
    s = str(v)
    if key == "kernel" or key == "label_version" or not _PLAIN.match(s) or s.lower() in _YAML_WORDS:
        return json.dumps(s)
    return s


def _comment(notes: List[Note]) -> str:
    if not notes:
        return ""
    parts = [f"{n.kind}: {n.text}" for n in notes]
    text = "; ".join(parts).replace("\n", " ")
    return "  # " + text


def render_yaml(res: ImportResult) -> str:
    """Format 1 with every derived or assumed value commented (``# from:`` / ``# assumed:``)."""
    by: Dict[Tuple[str, Optional[str]], List[Note]] = {}
    for n in res.notes:
        if n.kind in ("from", "assumed", "warning"):
            by.setdefault((n.target, n.key), []).append(n)
    used: set = set()

    def c(target: str, key: Optional[str]) -> str:
        used.add((target, key))
        return _comment(by.get((target, key), []))

    d = res.data
    out: List[str] = ["# pmemplan platform, format 1, written by `pmemplan import`"]
    if res.sources:
        out.append("# inputs: " + ", ".join(res.sources))
    out.append("# '# from:' marks a value derived from the inputs, '# assumed:' one they do not give")
    for key in ("format", "name", "arch", "kernel", "phys_bits", "memory_block_size"):
        if key in d:
            out.append(f"{key}: {_scalar(d[key], key)}{c('platform', key)}")
    out.append("memory:" if d.get("memory") else "memory: []")
    for i, m in enumerate(d.get("memory", ())):
        items = ", ".join(f"{k}: {_scalar(v, k)}" for k, v in m.items())
        out.append(f"  - {{{items}}}{c(f'memory[{i}]', 'type')}")
    out.append("regions:" if d.get("regions") else "regions: []")
    for r in d.get("regions", ()):
        t = r["name"]
        first = True
        for k, v in r.items():
            if k == "namespaces":
                continue
            lead = "  - " if first else "    "
            first = False
            if v is None:
                continue
            note = c(t, "name") + c(t, None) if k == "name" else c(t, k)
            out.append(f"{lead}{k}: {_scalar(v, k)}{note}")
        nss = r.get("namespaces") or []
        out.append("    namespaces:" if nss else "    namespaces: []")
        for n in nss:
            tn = n["name"]
            first = True
            for k, v in n.items():
                lead = "      - " if first else "        "
                first = False
                if v is None:
                    continue
                note = c(tn, "name") + c(tn, None) if k == "name" else c(tn, k)
                out.append(f"{lead}{k}: {_scalar(v, k)}{note}")
    left = [n for n in res.notes if (n.target, n.key) not in used and n.kind in ("from", "assumed", "warning")]
    if left:
        out.append("# notes:")
        for n in left:
            out.append(f"#   {n.line()}")
    return "\n".join(out) + "\n"
