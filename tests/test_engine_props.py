"""Whole-engine properties over random platforms, and the deterministic cost test.

(c) for random platforms and kernels: every byte of an enabled namespace is either
usable or lost for a named reason (never both, never negative); failed namespaces keep
their range; refused ones take no space; nothing overlaps; results are deterministic.

Cost: the model's state and the section report do not grow with the bytes a region
spans — a 2 PiB region costs what a 4 GiB region of the same shape costs.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pmemplan.engine.layout as layout_mod
from pmemplan.engine.arch import arch_profile
from pmemplan.engine.layout import compute_layout, run_engine
from pmemplan.engine.memory import MemoryState, devm_memremap_pages
from pmemplan.engine.pfn_devs import InfoBlock, nd_pfn_init
from pmemplan.kversion import KernelVersion
from pmemplan.platform import Platform, check_platform
from pmemplan.result import LOST_KEYS, LayoutResult

KiB, MiB, GiB, TiB, PiB = 1 << 10, 1 << 20, 1 << 30, 1 << 40, 1 << 50
KERNELS = ("4.19", "5.0", "5.2", "5.3", "5.4", "5.10", "6.1", "6.6")
# PMEMPLAN_HYPOTHESIS_EXAMPLES=2000 for a long local run
EXAMPLES = int(os.environ.get("PMEMPLAN_HYPOTHESIS_EXAMPLES", "150"))


# ---------------------------------------------------------------------------------
# random platforms
# ---------------------------------------------------------------------------------
def _mult(draw, lo: int, hi: int, unit: int) -> int:
    """A multiple of ``unit`` in [lo, hi] (lo rounded up)."""
    a = -(-lo // unit)
    return draw(st.integers(a, max(a, hi // unit))) * unit


@st.composite
def namespace(draw, i: int, labelled: bool, region_size: int, share: int, ways: int) -> Dict[str, Any]:
    mode = draw(st.sampled_from(("fsdax", "fsdax", "devdax", "devdax", "sector", "raw")))
    ns: Dict[str, Any] = {"name": f"ns{i}", "mode": mode}
    if labelled:
        unit = draw(st.sampled_from((4 * KiB, 2 * MiB, 16 * MiB, 16 * MiB, 16 * MiB)))
        if draw(st.integers(0, 3)):
            unit *= ways          # usually a whole stripe, as people write sizes
        # mostly a fair share of the region (so most fit), sometimes anything up to it all
        cap = share if draw(st.integers(0, 3)) else region_size
        ns["size"] = _mult(draw, unit, max(unit, cap), unit)
        if draw(st.integers(0, 4)) == 0:
            ns["offset"] = _mult(draw, 0, max(0, region_size - ns["size"]),
                                 draw(st.sampled_from((4 * KiB, 2 * MiB, 16 * MiB))))
        ns["force"] = draw(st.booleans())
    if mode in ("fsdax", "devdax"):
        m = draw(st.sampled_from((None, "dev", "mem")))
        if m:
            ns["map"] = m
        a = draw(st.sampled_from((None, None, None, 4 * KiB, 2 * MiB, 2 * MiB, 1 * GiB, 64 * KiB)))
        if a:
            ns["align"] = a
        if mode == "devdax" and draw(st.integers(0, 3)) == 0:
            ns["system_ram"] = True
    if mode == "sector" and draw(st.booleans()):
        ns["sector_size"] = draw(st.sampled_from((512, 4096, 520)))
    return ns


@st.composite
def platforms(draw) -> Dict[str, Any]:
    arch = draw(st.sampled_from(("x86_64", "x86_64", "x86_64", "arm64", "ppc64le", "riscv64")))
    kernel = draw(st.sampled_from(KERNELS))
    # boot RAM from 1 MiB to a page-aligned end, maybe a second range higher up
    ram_end = _mult(draw, 256 * MiB, 4 * GiB, draw(st.sampled_from((4 * KiB, 2 * MiB, 128 * MiB))))
    memory: List[Dict[str, Any]] = [{"type": "system-ram", "start": 1 * MiB, "size": ram_end - 1 * MiB}]
    cursor = ram_end
    regions: List[Dict[str, Any]] = []
    nsi = 0
    for ri in range(draw(st.integers(1, 3))):
        unit = draw(st.sampled_from((4 * KiB, 2 * MiB, 2 * MiB, 128 * MiB)))
        cursor += _mult(draw, 0, 2 * GiB, unit)         # gap: 0 shares a section with RAM
        size_unit = draw(st.sampled_from((4 * KiB, 2 * MiB, 16 * MiB, 16 * MiB, 16 * MiB)))
        size = _mult(draw, 4 * MiB, draw(st.sampled_from((64 * MiB, 1 * GiB, 8 * GiB))), size_unit)
        kind = draw(st.sampled_from(("nfit-labels", "nfit-labels", "nfit-nolabels", "e820")))
        r: Dict[str, Any] = {"name": f"region{ri}", "start": cursor, "size": size}
        if kind == "e820":
            r["provider"] = "e820"
        else:
            r["provider"] = "nfit"
            r["labels"] = kind == "nfit-labels"
        labelled = kind == "nfit-labels"
        ways = 1
        if labelled:
            ways = r["interleave_ways"] = draw(st.sampled_from((1, 1, 2, 3, 4)))
            if draw(st.integers(0, 5)) == 0:
                r["label_version"] = draw(st.sampled_from(("1.1", "1.2", "uninitialised")))
        if draw(st.integers(0, 4)) == 0:
            r["align"] = draw(st.sampled_from((4 * KiB, 2 * MiB, 16 * MiB)))
        count = draw(st.integers(1, 4)) if labelled else draw(st.integers(0, 1))
        r["namespaces"] = [draw(namespace(nsi + j, labelled, size, size // count, ways)) for j in range(count)]
        nsi += count
        regions.append(r)
        cursor += size
        if draw(st.integers(0, 3)) == 0:        # System RAM right after a region
            gap = _mult(draw, 0, 256 * MiB, 2 * MiB)
            memory.append({"type": "system-ram", "start": cursor + gap, "size": 512 * MiB})
            cursor += gap + 512 * MiB
    d: Dict[str, Any] = {"format": 1, "arch": arch, "kernel": kernel, "memory": memory, "regions": regions,
                         "bare_metal": draw(st.booleans())}
    if arch == "arm64":
        d["page_size"] = draw(st.sampled_from((4 * KiB, 16 * KiB, 64 * KiB)))
    if arch == "ppc64le":
        d["mmu"] = draw(st.sampled_from(("radix", "hash")))
    if arch == "x86_64" and draw(st.booleans()):
        d["phys_bits"] = 52
    return d


def _build(d: Dict[str, Any]) -> Platform:
    p = Platform.from_dict(d)
    assume(check_platform(p) == [])
    return p


def _check_result(res: LayoutResult, plat: Platform) -> None:
    regions = {r.name: r for r in plat.regions}
    spans = []
    for n in res.namespaces:
        assert set(n.lost) == set(LOST_KEYS)
        assert all(v >= 0 for v in n.lost.values()), (n.name, n.status, n.lost)
        if n.status == "enabled":
            assert n.start is not None and n.usable_size is not None
            assert n.usable_size >= 0
            assert n.usable_size + sum(n.lost.values()) == n.size, (n.name, n.usable_size, n.lost, n.size)
            assert n.lost["failed"] == 0
            assert n.error is None
            spans.append((n.start, n.start + n.size, n.name))
        elif n.status == "failed":
            assert n.start is not None, n.name               # keeps its range
            assert n.error is not None and n.error.by == "kernel"
            assert n.lost["failed"] == n.size
            assert sum(n.lost.values()) == n.size
            spans.append((n.start, n.start + n.size, n.name))
        else:
            assert n.status == "refused", n.status
            assert n.error is not None and n.error.by == "ndctl"
            assert n.start is None, (n.name, n.start)          # takes no space
            assert sum(n.lost.values()) == 0
        if n.start is not None:
            r = regions[n.region]
            assert r.start <= n.start and n.start + n.size <= r.end, n.name
        if n.kmem is not None and n.kmem.error is None:
            assert n.kmem.online_bytes <= (n.usable_size or 0)
            assert n.kmem.online_bytes % n.kmem.memory_block_size == 0
    spans.sort()
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        assert b0 >= a1, f"{an} [{a0:#x}, {a1:#x}) overlaps {bn} [{b0:#x}, {b1:#x})"
    # the section report: only sections with two or more owners, runs inside the section
    ss = res.arch_info.section_size
    nsub = max(1, ss // min(ss, 2 * MiB))
    for sec in res.sections:
        assert len(sec.owners) >= 2, sec
        assert sec.start == sec.nr * ss
        assert sec.collision in ("section", "subsection")
        for run in sec.subsections:
            assert run.count >= 1 and 0 <= run.first and run.first + run.count <= nsub, (sec.nr, run)
    assert [x.nr for x in res.sections] == sorted({x.nr for x in res.sections})
    s = res.summary
    assert s.enabled == sum(n.status == "enabled" for n in res.namespaces)
    assert s.failed == sum(n.status == "failed" for n in res.namespaces)
    assert s.refused == sum(n.status == "refused" for n in res.namespaces)
    assert s.usable_size == sum(n.usable_size or 0 for n in res.namespaces if n.status == "enabled")
    assert s.lost == sum(sum(n.lost.values()) for n in res.namespaces)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(d=platforms())
def test_prop_no_byte_both_usable_and_lost(d):
    plat = _build(d)
    res = compute_layout(plat, legacy="5.2")
    _check_result(res, plat)
    assert res.legacy is not None
    _check_result(res.legacy, plat)
    # deterministic: a second run from scratch gives the same JSON contract
    again = compute_layout(Platform.from_dict(d), legacy="5.2")
    assert again.to_dict() == res.to_dict()
    assert again.legacy.to_dict() == res.legacy.to_dict()


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(d=platforms(), kernel=st.sampled_from(KERNELS))
def test_prop_every_kernel_same_placement_inputs(d, kernel):
    """The same platform through any listed kernel keeps the invariants (--kernel override)."""
    plat = _build(d)
    res = run_engine(plat, KernelVersion.parse(kernel))
    _check_result(res, plat)
    assert run_engine(plat, KernelVersion.parse(kernel)).to_dict() == res.to_dict()


# ---------------------------------------------------------------------------------
# the deterministic cost test
# ---------------------------------------------------------------------------------
def _big_platform(region_size: int, kernel: str = "6.1") -> Platform:
    """x86_64 with 5-level paging; one label-less NFIT region at 1 TiB, one fsdax namespace
    spanning it; the same boot RAM whatever the region size."""
    return Platform.from_dict({
        "format": 1, "arch": "x86_64", "kernel": kernel, "phys_bits": 52,
        "memory": [{"type": "system-ram", "start": "1M", "size": 0x7fedf000},
                   {"type": "system-ram", "start": "4G", "size": "60G"}],
        "regions": [{"name": "region0", "provider": "nfit", "labels": False, "start": "1T",
                     "size": region_size,
                     "namespaces": [{"name": "namespace0.0", "mode": "fsdax", "map": "dev", "align": "2M"}]}],
    })


def _run_capturing_state(plat: Platform, kernel: str, monkeypatch) -> tuple:
    """run_engine, keeping the MemoryState it builds (the result does not carry it)."""
    seen: List[MemoryState] = []

    class Recording(MemoryState):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            seen.append(self)

    with monkeypatch.context() as m:
        m.setattr(layout_mod, "MemoryState", Recording)
        res = run_engine(plat, KernelVersion.parse(kernel))
    assert seen
    return res, seen[0]     # the first one is the run itself (fix verification may add more)


@pytest.mark.parametrize("kernel", ["6.1", "5.4", "5.2", "4.19"])
def test_cost_state_same_for_4g_and_2p_region(kernel, monkeypatch):
    small, big = _big_platform(4 * GiB, kernel), _big_platform(2 * PiB, kernel)
    assert check_platform(small) == [] and check_platform(big) == []
    r_small, m_small = _run_capturing_state(small, kernel, monkeypatch)
    r_big, m_big = _run_capturing_state(big, kernel, monkeypatch)
    for r in (r_small, r_big):
        ns = r.namespace("namespace0.0")
        assert ns.status == "enabled", ns.error
        assert ns.usable_size + sum(ns.lost.values()) == ns.size
    assert m_small.sparse.state_size() == m_big.sparse.state_size()
    assert len(r_small.sections) == len(r_big.sections)
    # the engine's own count (LayoutResult.state_size: runs, bitmaps, pgmaps, extents)
    assert r_small.state_size == r_big.state_size > 0
    # and the state the result carries is the one the run built
    if getattr(r_small, "memory_state", None) is not None:
        assert r_small.memory_state.sparse.state_size() == m_small.sparse.state_size()
        assert r_big.memory_state.sparse.state_size() == m_big.sparse.state_size()
    # the whole-section run of the namespace is one object in both
    assert len(m_small.sparse.canonical()[0]) == len(m_big.sparse.canonical()[0])


def test_cost_compute_layout_sections_same_for_4g_and_2p():
    a = compute_layout(_big_platform(4 * GiB), legacy="5.2")
    b = compute_layout(_big_platform(2 * PiB), legacy="5.2")
    assert len(a.sections) == len(b.sections)
    assert len(a.legacy.sections) == len(b.legacy.sections)
    assert a.state_size == b.state_size and a.legacy.state_size == b.legacy.state_size
    assert b.namespace("namespace0.0").status == "enabled"
    # 2 PiB: 64 bytes of memmap per 4 KiB page = 32 TiB of info-block budget
    assert b.namespace("namespace0.0").lost["memmap"] == (2 * PiB - 8 * KiB) // 4096 * 64


def test_cost_memremap_direct_state_size():
    """The same through MemoryState + devm_memremap_pages, without the layout code."""
    p = arch_profile("x86_64", KernelVersion.parse("6.1"), phys_bits=52)
    sizes = []
    for size in (4 * GiB, 2 * PiB):
        mem = MemoryState(p, [(1 * MiB, 2 * GiB), (4 * GiB, 64 * GiB)])
        ib = nd_pfn_init(p, name="namespace0.0", start=TiB, size=size, devdax=False, map="dev",
                         align=2 * MiB, ram=mem.region_intersects_system_ram, other_regions=[])
        assert isinstance(ib, InfoBlock)
        assert devm_memremap_pages(mem, "pfn0.0", ib.map_start, ib.map_end, ib.altmap_base) is None
        sizes.append(mem.sparse.state_size())
    assert sizes[0] == sizes[1]


def _count_python_calls(fn) -> int:
    """Python function calls made by ``fn()``: a deterministic measure of work."""
    import sys
    calls = [0]

    def prof(frame, event, arg):
        if event == "call":
            calls[0] += 1

    old = sys.getprofile()
    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(old)
    return calls[0]


def _packed_platform(n: int) -> Platform:
    """One labelled region packed with ``n`` 32 MiB fsdax namespaces (all enable on 6.1)."""
    return Platform.from_dict({
        "format": 1, "kernel": "6.1",
        "memory": [{"type": "system-ram", "start": "1M", "size": "2047M"}],
        "regions": [{"name": "region0", "start": "64G", "size": n * 32 * MiB,
                     "namespaces": [{"name": f"namespace0.{i}", "size": "32M", "mode": "fsdax"}
                                    for i in range(n)]}],
    })


def test_cost_linear_in_namespace_count():
    """Engine work (counted in Python calls, not time) grows linearly with the namespaces:
    4x the namespaces may cost at most 5x the calls."""
    def work(n: int) -> int:
        plat = _packed_platform(n)
        res = []
        calls = _count_python_calls(lambda: res.append(run_engine(plat, KernelVersion.parse("6.1"))))
        assert res[0].summary.enabled == n
        return calls
    small, big = work(100), work(400)
    assert big <= 5 * small, (small, big)
