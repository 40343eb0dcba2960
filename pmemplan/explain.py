"""``pmemplan explain``: everything the model knows about one physical address.

For an address (``0x146600000``, ``5475663872``, ``4G``), a page frame (``pfn:N``) or a
section (``section:N``): the range and namespace that own it, its section and sub-section,
whether the section is early (boot memory), who else owns parts of that section,
``pfn_valid()`` under the platform's kernel and under a pre-5.3 kernel, where its
``struct page`` lives (boot memmap, device altmap, DRAM) and, inside a namespace, its
place in the info-block layout (info block, memmap area, alignment padding, data,
truncated tail).

The section table and the device page maps are the engine's state after a run, which
:class:`~pmemplan.result.LayoutResult` carries (``memory_state``, ``profile`` and each
namespace's ``pfn`` info block); :func:`engine_state` collects them.  The text rendering is
:func:`pmemplan.render.explain_out.render_text`.  Pure: no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from .errors import ValueParseError
from .kversion import KernelVersion
from .platform import Platform
from .result import LayoutResult, NamespaceResult
from .sizes import parse_size

if TYPE_CHECKING:
    from .engine.arch import ArchProfile
    from .engine.memory import MemoryState
    from .engine.pfn_devs import InfoBlock

__all__ = ["EngineState", "engine_state", "parse_query", "explain", "Explanation"]

SUBSECTION = 1 << 21


# =========================================================================== the engine's state

@dataclass
class EngineState:
    """What the hot-plug core held at the end of one run."""
    kernel: KernelVersion
    profile: "ArchProfile"
    mem: "MemoryState"
    result: LayoutResult
    infos: Dict[str, "InfoBlock"] = field(default_factory=dict)      # namespace -> its info block
    pgmap_owner: Dict[str, str] = field(default_factory=dict)  # pgmap device -> namespace
    kmem: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # namespace -> onlined range


def engine_state(platform: Platform, result: LayoutResult) -> EngineState:
    """The MemoryState, info blocks and kmem ranges behind ``result`` (the engine keeps
    them on the result: ``memory_state``, ``profile``, ``NamespaceResult.pfn``)."""
    kv = result.profile.kernel if result.profile is not None else KernelVersion.parse(result.kernel)
    if result.memory_state is None or result.profile is None:
        raise ValueError("explain needs the engine's state: a LayoutResult from compute_layout()")
    st = EngineState(kv, result.profile, result.memory_state, result)
    for n in result.namespaces:
        if n.start is None or n.status == "refused":
            continue
        if n.device:
            st.pgmap_owner[n.device] = n.name
        st.pgmap_owner[n.name] = n.name
        if n.pfn is not None:
            st.infos[n.name] = n.pfn
        k = n.kmem
        if k is not None and not k.error and k.range_end > k.range_start:
            st.kmem[n.name] = (k.range_start, k.range_end)
    return st


# =========================================================================== queries

_Q = re.compile(r"^\s*(pfn|section)\s*[:=]\s*(\S+)\s*$", re.I)


def parse_query(text: str, page_size: int, section_size: int) -> Tuple[int, str]:
    """``0x…``/decimal/``4G`` → (address, "address"); ``pfn:N`` and ``section:N`` → their start."""
    m = _Q.match(str(text))
    try:
        if m:
            n = int(m.group(2).replace("_", ""), 0)
            if n < 0:
                raise ValueError
            kind = m.group(1).lower()
            return (n * page_size if kind == "pfn" else n * section_size), kind
        return parse_size(str(text).strip()), "address"
    except (ValueError, ValueParseError):
        raise ValueParseError(f"{text!r} is not an address (0x… or decimal bytes), pfn:N or section:N") from None


# =========================================================================== explanation

@dataclass
class Explanation:
    platform: str
    arch: str
    kernel: str
    legacy: str
    page_size: int
    section_size: int
    items: List[Dict[str, Any]]

    def to_dict(self) -> Dict[str, Any]:
        return {"format": 1, "platform": self.platform, "arch": self.arch, "kernel": self.kernel,
                "legacy_kernel": self.legacy, "page_size": self.page_size,
                "section_size": self.section_size, "subsection_size": SUBSECTION,
                "addresses": self.items}


def _owners(platform: Platform, result: LayoutResult) -> List[Tuple[int, int, str, str]]:
    """(start, end, kind, name) of every range: memory, namespaces, unallocated region space."""
    out: List[Tuple[int, int, str, str]] = []
    for m in platform.memory:
        out.append((m.start, m.end, "memory", m.owner_name))
    placed: Dict[str, List[Tuple[int, int]]] = {}
    for n in result.namespaces:
        if n.start is not None and n.status != "refused":
            out.append((n.start, n.start + n.size, "namespace", n.name))
            placed.setdefault(n.region, []).append((n.start, n.start + n.size))
    for r in platform.regions:
        pos = r.start
        for s, e in sorted(placed.get(r.name, [])):
            if s > pos:
                out.append((pos, s, "region", r.name))
            pos = max(pos, e)
        if pos < r.end:
            out.append((pos, r.end, "region", r.name))
    out.sort()
    return out


def explain(platform: Platform, queries: Sequence[str], kernel: Optional[str] = None,
            legacy: str = "5.2") -> Explanation:
    """Explain every query (see :func:`parse_query`) under ``kernel`` (default: the file's)."""
    from .engine import compute_layout
    kv = kernel or platform.kernel
    res = compute_layout(platform, kv, legacy=None)
    old = compute_layout(platform, legacy, legacy=None, stored=False)   # planned afresh, as layout's legacy comparison
    st, st_old = engine_state(platform, res), engine_state(platform, old)
    p = st.profile
    owners = _owners(platform, res)
    items = []
    for q in queries:
        addr, kind = parse_query(q, p.page_size, p.section_size)
        if addr >> p.max_physmem_bits:
            raise ValueParseError(f"{q}: address {addr:#x} is beyond the {p.max_physmem_bits}-bit physical "
                                  f"address space of this platform (MAX_PHYSMEM_BITS; phys_bits in the file)")
        items.append(_one(platform, st, st_old, owners, str(q), addr, kind))
    return Explanation(platform.name, platform.arch, str(res.kernel), str(old.kernel), p.page_size,
                       p.section_size, items)


def _find(owners: List[Tuple[int, int, str, str]], addr: int, kind: str) -> Optional[Tuple[int, int, str, str]]:
    for o in owners:
        if o[2] == kind and o[0] <= addr < o[1]:
            return o
    return None


def _one(platform: Platform, st: EngineState, old: EngineState, owners, query: str, addr: int,
         kind: str) -> Dict[str, Any]:
    p = st.profile
    res = st.result
    ss = p.section_size
    nr = addr // ss
    lo = nr * ss
    nsub = max(1, ss // SUBSECTION)
    idx = (addr - lo) // SUBSECTION if ss >= SUBSECTION else 0
    sparse = st.mem.sparse
    item: Dict[str, Any] = {"query": query, "kind": kind, "address": addr, "pfn": addr // p.page_size}

    # -- owner
    ns_o = _find(owners, addr, "namespace")
    reg = next((r for r in platform.regions if r.start <= addr < r.end), None)
    mem_o = _find(owners, addr, "memory")
    ns: Optional[NamespaceResult] = res.namespace(ns_o[3]) if ns_o else None
    if ns is not None:
        owner = {"kind": "namespace", "name": ns.name, "start": ns.start, "end": ns.end,
                 "region": ns.region, "mode": ns.mode, "map": ns.map, "status": ns.status}
    elif reg is not None:
        owner = {"kind": "region", "name": reg.name, "start": reg.start, "end": reg.end,
                 "region": reg.name, "provider": reg.provider, "status": "unallocated"}
    elif mem_o is not None:
        m = next(x for x in platform.memory if x.start == mem_o[0])
        owner = {"kind": "memory", "name": m.owner_name, "start": m.start, "end": m.end, "type": m.type}
    else:
        owner = {"kind": "none", "name": None, "start": None, "end": None}
    if ns is not None and st.kmem.get(ns.name) and st.kmem[ns.name][0] <= addr < st.kmem[ns.name][1]:
        owner["kmem"] = True
    if ns is not None:
        was = next((n for n in old.result.namespaces if n.name == ns.name), None)
        owner["legacy_status"] = was.status if was is not None else None
        owner["legacy_error"] = was.error.message if was is not None and was.error else None
    item["owner"] = owner

    # -- section
    runs = []
    for s, e, k, name in owners:
        if e <= lo or s >= lo + ss:
            continue
        a = (max(s, lo) - lo) // SUBSECTION if ss >= SUBSECTION else 0
        b = (min(e, lo + ss) - 1 - lo) // SUBSECTION if ss >= SUBSECTION else 0
        runs.append({"name": name, "kind": k, "first": a, "count": b - a + 1})
    me = owner["name"]
    present = bool(sparse.subsection_map(nr) >> idx & 1) if p.subsection_hotplug else sparse.valid_section(nr)
    item["section"] = {"nr": nr, "start": lo, "size": ss, "early": sparse.early_section(nr),
                       "subsection": idx, "subsections": nsub, "subsection_present": present,
                       "owners": runs, "others": sorted({r["name"] for r in runs if r["name"] != me})}

    # -- pfn_valid
    item["pfn_valid"] = {"kernel": sparse.pfn_valid(addr), "legacy": old.mem.sparse.pfn_valid(addr)}
    item["struct_page"] = _struct_page(st, addr, nr, owner, ns)
    item["layout"] = _layout(st, ns, addr) if ns is not None else (
        {"part": "unallocated", "detail": f"free space of {reg.name}"} if reg is not None else None)
    return item


def _struct_page(st: EngineState, addr: int, nr: int, owner: Dict[str, Any],
                 ns: Optional[NamespaceResult]) -> Dict[str, Any]:
    sparse = st.mem.sparse
    if not sparse.pfn_valid(addr):
        return {"where": "none", "range": None,
                "detail": "pfn_valid() is false: the section (or sub-section) has no memmap"}
    in_ram = owner["kind"] == "memory" and owner.get("type") == "system-ram"
    pg = st.mem.get_dev_pagemap(addr)
    who = st.pgmap_owner.get(pg) if pg else None
    if st.profile.subsection_hotplug and sparse.early_section(nr):
        if in_ram:
            detail = "boot memory: the memmap sparse_init() allocated at boot"
        elif who is not None:
            detail = (f"{who}'s sub-sections were added to an early section, which reuses the boot "
                      "memmap (section_activate()); no altmap or DRAM is allocated for them")
        else:
            detail = "an early section is valid whole: the boot memmap covers this unused page"
        return {"where": "boot-memmap", "range": None, "detail": detail}
    if in_ram:
        return {"where": "boot-memmap", "range": None,
                "detail": "boot memory: the memmap sparse_init() allocated at boot"}
    if owner.get("kmem"):
        return {"where": "dram", "range": None,
                "detail": f"System RAM (kmem) hot-added from {owner['name']}: its memmap is allocated "
                          "from DRAM by add_memory()"}
    if who is not None:
        ib = st.infos.get(who)
        if ib is not None and ib.mode == "dev":
            nsr = st.result.namespace(who)
            assert nsr.start is not None      # (an info block belongs to a placed namespace)
            a = nsr.start + ib.start_pad + ib.info_reserve
            b = nsr.start + ib.start_pad + ib.dataoff
            return {"where": "altmap", "range": [a, b],
                    "detail": f"device altmap: {who}'s memmap area on the pmem itself ({a:#x}-{b - 1:#x})"}
        why = "map=mem" if ib is not None else "the e820 namespace is mapped with its pages in RAM"
        return {"where": "dram", "range": None,
                "detail": f"allocated from DRAM when {who} was mapped ({why})"}
    if not st.profile.subsection_hotplug:
        return {"where": "boot-memmap" if sparse.early_section(nr) else "dram", "range": None,
                "detail": "the whole section has a memmap (sections were added whole before 5.3)"}
    return {"where": "dram", "range": None, "detail": "hot-added memory: memmap allocated from DRAM"}


def _layout(st: EngineState, ns: NamespaceResult, addr: int) -> Dict[str, Any]:
    assert ns.start is not None
    off = addr - ns.start
    base = {"offset": off}
    if ns.status == "disabled":
        return dict(base, part="disabled", detail=f"{ns.name} is disabled on the machine (state: "
                    "disabled): nothing of it is mapped")
    if ns.status == "failed":
        return dict(base, part="failed", detail=f"{ns.name} failed to enable: "
                    f"{ns.error.message if ns.error else ''}; no info block is in use")
    if ns.mode == "sector":
        return dict(base, part="btt", detail="sector mode: BTT arenas (info blocks, map, log, data); "
                    f"{ns.usable_size:#x} bytes usable")
    ib = st.infos.get(ns.name)
    if ib is None:
        what = "struct pages in RAM, no info block" if ns.pages_in == "ram" else "no info block"
        return dict(base, part="data", part_start=ns.start, part_end=ns.end,
                    page=off // st.profile.page_size, pages=ns.size // st.profile.page_size,
                    detail=f"raw namespace ({what}): page {off // st.profile.page_size} of {ns.size // st.profile.page_size}")
    sp, res, mm = ib.start_pad, ib.info_reserve, ib.memmap_budget
    data0 = sp + ib.dataoff
    tail = ns.size - ib.end_trunc
    parts = [("start-pad", 0, sp, "padding before the namespace's usable start (start_pad: the section "
              "is shared; kernels before 5.3)"),
             ("info-block", sp, sp + res, f"the {ib.signature} superblock sits at +4K of this area"),
             ("memmap", sp + res, sp + res + mm, "struct pages (64 bytes per 4K page) of the namespace (map=dev)"),
             ("padding", sp + res + mm, data0, f"alignment padding: the data starts at "
              f"{ns.start + data0:#x} (dataoff {ib.dataoff:#x}), aligned to {ib.layout_align:#x}"),
             ("data", data0, tail, ""),
             ("end-trunc", tail, ns.size, "truncated tail (end_trunc): after the last "
              f"{ib.layout_align:#x} boundary of the namespace, never mapped")]
    for name, a, b, detail in parts:
        if a <= off < b:
            d = dict(base, part=name, part_start=ns.start + a, part_end=ns.start + b, detail=detail)
            if name == "data":
                page = (off - data0) // ib.page_size
                d.update(page=page, pages=ib.npfns,
                         detail=f"page {page} of {ib.npfns} ({'device dax' if ns.mode == 'devdax' else 'fsdax'})")
            if name == "memmap":
                d["describes_page"] = (off - sp - res) // ib.page_struct_size
            return d
    return dict(base, part="outside", detail="")
