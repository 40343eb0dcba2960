"""The only I/O of the importer: a running system, or a captured tree of one, under a root.

Files read under ROOT (all optional except ``proc/iomem``):

* ``proc/iomem``;
* ``proc/sys/kernel/osrelease`` (the kernel) and ``proc/sys/kernel/arch``;
* ``sys/devices/system/memory/block_size_bytes``;
* ``sys/bus/nd/devices/ndbusN/provider``;
* ``sys/bus/nd/devices/regionN/{resource,size,align,mappings,numa_node,nstype,available_size}``;
* ``sys/bus/nd/devices/namespaceN.M/{resource,size,mode,holder,nstype,uuid,sector_size,driver}``;
* ``sys/bus/nd/devices/{pfn,dax,btt}N.M/{namespace,mode,align,size,resource,sector_size,driver}``;
* ``sys/bus/dax/devices/daxN.M/{size,align,resource,driver,mappingK/start,mappingK/end}``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

from ..errors import InputError
from .iomem import _DEV_NAME, _NS_NAME
from .ndctl import DaxDevice, NdctlInfo, NdNamespace, _add_ns, _int_or_none, normalise_provider

@dataclass
class LiveCapture:
    root: str
    iomem: str
    kernel: Optional[str]
    arch: Optional[str]
    block_size: Optional[int]
    ndctl: NdctlInfo
    dax: Dict[str, DaxDevice]
    no_pmem: Optional[str] = None      # why the system has no pmem (no libnvdimm, no region)


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
    has_nd = os.path.isdir(nd_dir)
    kernel = _read_attr(os.path.join(root, "proc", "sys", "kernel", "osrelease"))
    arch = _read_attr(os.path.join(root, "proc", "sys", "kernel", "arch"))
    if arch is None and os.path.abspath(root) == "/":
        arch = os.uname().machine
    bs = _read_attr(os.path.join(root, "sys", "devices", "system", "memory", "block_size_bytes"))
    block_size = int(bs, 16) if bs and re.fullmatch(r"[0-9a-fA-F]+", bs) else None

    try:
        names = sorted(os.listdir(nd_dir)) if has_nd else []
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", nd_dir) from None
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
            if ns.mode in ("fsdax", "devdax"):
                ns.holder, ns.holder_resource = holder_name, _int_or_none(holder["resource"])
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
                    ms = _int_or_none(_read_attr(os.path.join(path, sub, "start")))
                    me = _int_or_none(_read_attr(os.path.join(path, sub, "end")))
                    if ms is not None and me is not None:
                        lo = ms if lo is None else min(lo, ms)
                        hi = me + 1 if hi is None else max(hi, me + 1)
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
    no_pmem = None
    if not has_nd:
        no_pmem = "no /sys/bus/nd (no libnvdimm driver loaded)"
    elif not info.regions:
        no_pmem = "no region in /sys/bus/nd/devices"
    return LiveCapture(root, iomem, kernel, arch, block_size, info, dax, no_pmem)

