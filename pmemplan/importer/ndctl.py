"""``ndctl list`` and ``daxctl list`` JSON, in any of their shapes."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..errors import InputError
from .iomem import _region_no

SZ_4K = 4096

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


# how a value derived from an `ndctl list -u` size is marked (YAML comment and report)
APPROX = "approximate: ndctl list -u rounds sizes to two decimals"


def shown_alike(a: int, b: int) -> bool:
    """Whether ``ndctl list -u`` prints ``a`` and ``b`` alike: two decimals of the largest
    binary unit (KiB, MiB, GiB, …) not above the value."""
    def shown(x: int) -> Tuple[int, str]:
        shift = 10 * max(0, (max(x, 1).bit_length() - 1) // 10)
        return shift, f"{x / (1 << shift):.2f}"
    return shown(a) == shown(b)


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
    # sysfs pfnX.Y/daxX.Y resource: start + start_pad + dataoff of the info block in use
    holder_resource: Optional[int] = None
    holder: Optional[str] = None


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
        s_known = [x for x in starts if x is not None]
        e_known = [x for x in ends if x is not None]
        if s_known and e_known and len(s_known) == len(starts) and len(e_known) == len(ends):
            dev.start, dev.end = min(s_known), max(e_known) + 1
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

