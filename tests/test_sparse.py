"""SparseMap (mm/sparse.c model, kernel-model §3): unit tests and hypothesis properties."""
from __future__ import annotations

import os
from typing import List, Tuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pmemplan.engine.arch import arch_profile
from pmemplan.engine.memory import MemoryState, arch_add_memory, devm_memremap_pages, devm_memunmap_pages
from pmemplan.engine.sparse import SparseMap
from pmemplan.kversion import KernelVersion

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
SEC, SUB = 128 * MiB, 2 * MiB


def x86() -> SparseMap:
    return SparseMap(SEC, SUB)


def bits(*idx: int) -> int:
    m = 0
    for i in idx:
        m |= 1 << i
    return m


def bit_range(first: int, last: int) -> int:
    """Bits first..last inclusive."""
    return ((1 << (last - first + 1)) - 1) << first


# ---------------------------------------------------------------------------------
# boot memory: subsection_map_init()
# ---------------------------------------------------------------------------------
def test_constructor_rejects_non_dividing_subsection():
    with pytest.raises(ValueError):
        SparseMap(SEC, 3 * MiB)


def test_boot_ram_whole_sections_are_early_and_full():
    s = x86()
    s.subsection_map_init(0, 1 * GiB)
    for nr in range(8):
        assert s.subsection_map(nr) == s.full_mask
        assert s.early_section(nr)
        assert s.valid_section(nr)
    assert s.subsection_map(8) == 0 and not s.early_section(8) and not s.valid_section(8)
    assert s.state_size() == 1                    # one run, whatever its length
    assert s.canonical() == (((0, 8, True),), ())


def test_boot_ram_partial_subsections_count_present():
    """A partially covered 2 MiB sub-section counts as present (inclusive last index)."""
    s = x86()
    # 1 MiB .. 1001 MiB: section 7 = [896M, 1024M) is covered up to 1001M - 1,
    # whose sub-section index is (1001M - 1 - 896M) // 2M = 52
    s.subsection_map_init(1 * MiB, 1001 * MiB)
    assert s.subsection_map(0) == s.full_mask      # sub-section 0 is touched from 1 MiB
    assert s.subsection_map(7) == bit_range(0, 52)
    assert s.early_section(7)
    # a range starting and ending inside one sub-section sets exactly that bit
    t = x86()
    t.subsection_map_init(SEC + 5 * MiB + 4 * KiB, SEC + 5 * MiB + 8 * KiB)
    assert t.subsection_map(1) == bits(2)


def test_boot_ram_two_ranges_in_one_section_or():
    s = x86()
    s.subsection_map_init(0, 3 * MiB)              # bits 0, 1
    s.subsection_map_init(10 * MiB, 12 * MiB)      # bit 5
    assert s.subsection_map(0) == bits(0, 1, 5)
    assert s.early_section(0)


def test_boot_ram_crossing_sections():
    s = x86()
    s.subsection_map_init(SEC - 3 * MiB, 3 * SEC + 1)
    assert s.subsection_map(0) == bits(62, 63)
    assert s.subsection_map(1) == s.full_mask
    assert s.subsection_map(2) == s.full_mask
    assert s.subsection_map(3) == bits(0)
    assert all(s.early_section(nr) for nr in range(4))


# ---------------------------------------------------------------------------------
# hot-add: section_activate()
# ---------------------------------------------------------------------------------
def test_section_activate_eexist_on_shared_subsection():
    """RAM ends at 1001 MiB (odd): pmem from 1000 MiB shares sub-section 52 with it."""
    s = x86()
    s.subsection_map_init(1 * MiB, 1001 * MiB)
    assert s.section_activate(1000 * MiB, 1002 * MiB) == ("EEXIST", 7)
    assert s.subsection_map(7) == bit_range(0, 52)     # unchanged
    # the next sub-section is free: added to the early section, which then is full
    assert s.section_activate(1002 * MiB, 1024 * MiB) is None
    assert s.subsection_map(7) == s.full_mask
    assert s.early_section(7)
    assert s.canonical() == (((0, 8, True),), ())


def test_section_activate_eexist_between_two_hot_added_ranges():
    s = x86()
    assert s.section_activate(4 * GiB, 4 * GiB + 16 * MiB) is None
    assert s.section_activate(4 * GiB + 14 * MiB, 4 * GiB + 32 * MiB) == ("EEXIST", 32)
    assert s.section_activate(4 * GiB + 16 * MiB, 4 * GiB + 32 * MiB) is None
    assert s.subsection_map(32) == bit_range(0, 15)
    assert not s.early_section(32)


def test_section_activate_stops_at_first_error_and_keeps_prefix():
    """Like __add_pages: sections before the failing one stay added (the caller removes)."""
    s = x86()
    assert s.section_activate(5 * SEC, 5 * SEC + 2 * MiB) is None     # bit 0 of section 5
    assert s.section_activate(2 * SEC, 6 * SEC) == ("EEXIST", 5)
    for nr in (2, 3, 4):
        assert s.subsection_map(nr) == s.full_mask
    assert s.subsection_map(5) == bits(0)
    assert s.subsection_map(6) == 0


def test_section_activate_whole_sections_one_object():
    s = x86()
    assert s.section_activate(1 << 40, (1 << 40) + (1 << 51)) is None   # 2 PiB from 1 TiB
    assert s.state_size() == 1
    assert s.subsection_map((1 << 40) // SEC) == s.full_mask
    assert s.subsection_map(((1 << 40) + (1 << 51)) // SEC) == 0


# ---------------------------------------------------------------------------------
# pfn_valid(): early vs hot-added sections
# ---------------------------------------------------------------------------------
def test_pfn_valid_early_section_whole():
    s = x86()
    s.subsection_map_init(1 * MiB, 1001 * MiB)
    # 1010 MiB is in section 7 (early) but in no present sub-section: still valid
    assert s.subsection_map(7) >> s.subsection_map_index(1010 * MiB) & 1 == 0
    assert s.pfn_valid(1010 * MiB)
    assert s.pfn_valid(0)              # below the RAM start, same early section
    assert not s.pfn_valid(1024 * MiB)  # section 8: absent


def test_pfn_valid_hot_added_section_per_subsection():
    s = x86()
    assert s.section_activate(4 * GiB + 2 * MiB, 4 * GiB + 6 * MiB) is None
    assert not s.pfn_valid(4 * GiB)
    assert s.pfn_valid(4 * GiB + 2 * MiB)
    assert s.pfn_valid(4 * GiB + 6 * MiB - 4 * KiB)
    assert not s.pfn_valid(4 * GiB + 6 * MiB)
    assert not s.early_section(32)


def test_pfn_valid_after_remove():
    s = x86()
    assert s.section_activate(4 * GiB, 4 * GiB + 256 * MiB) is None
    assert s.pfn_valid(4 * GiB + 200 * MiB)
    assert s.section_deactivate(4 * GiB + 128 * MiB, 4 * GiB + 256 * MiB) is None
    assert not s.pfn_valid(4 * GiB + 200 * MiB)
    assert s.pfn_valid(4 * GiB + 100 * MiB)


# ---------------------------------------------------------------------------------
# hot-remove: section_deactivate()
# ---------------------------------------------------------------------------------
def test_section_deactivate_refuses_clear_bits():
    s = x86()
    assert s.section_activate(4 * GiB, 4 * GiB + 4 * MiB) is None
    before = s.canonical()
    msg = s.section_deactivate(4 * GiB, 4 * GiB + 6 * MiB)
    assert msg is not None and "already deactivated" in msg
    assert s.canonical() == before      # WARN and bail: nothing cleared


def test_section_deactivate_inside_early_run_keeps_early_flag():
    s = x86()
    s.subsection_map_init(0, 1 * GiB)
    assert s.section_deactivate(3 * SEC + 4 * MiB, 3 * SEC + 8 * MiB) is None
    assert s.subsection_map(3) == s.full_mask & ~bits(2, 3)
    assert s.early_section(3)
    assert s.early_section(2) and s.early_section(4)


# ---------------------------------------------------------------------------------
# before 5.3: whole sections and the EEXIST hack
# ---------------------------------------------------------------------------------
def test_pre_5_3_add_sections_ignore_existing():
    s = SparseMap(SEC, SEC)                # no sub-sections: one bit per section
    assert s.nsub == 1 and s.full_mask == 1
    s.subsection_map_init(1 * MiB, 1001 * MiB)          # sections 0..7 early
    assert s.canonical() == (((0, 8, True),), ())
    # pmem 1001 MiB .. 1200 MiB touches sections 7, 8, 9: 7 is present and silently reused
    assert s.add_sections_ignore_existing(1001 * MiB, 1200 * MiB) == 2
    assert s.canonical() == (((0, 8, True), (8, 10, False)), ())
    # a second namespace in the same sections: all present, nothing added, no error
    assert s.add_sections_ignore_existing(1100 * MiB, 1150 * MiB) == 0
    assert s.canonical() == (((0, 8, True), (8, 10, False)), ())
    # a gap between present runs is filled, the runs kept apart by the early flag
    assert s.add_sections_ignore_existing(0, 20 * SEC) == 10
    assert s.canonical() == (((0, 8, True), (8, 20, False)), ())


def test_pre_5_3_arch_add_memory_reuses_present_section():
    p = arch_profile("x86_64", KernelVersion.parse("5.2"))
    mem = MemoryState(p, [(1 * MiB, 1001 * MiB)])
    assert arch_add_memory(mem, 1001 * MiB, 199 * MiB, None) is None
    assert mem.sparse.canonical() == (((0, 8, True), (8, 10, False)), ())


def test_pre_5_3_devm_memremap_pages_conflict_in_same_section():
    """≤5.2 the pgmap lookup uses section-expanded bounds: two namespaces in one section collide."""
    p = arch_profile("x86_64", KernelVersion.parse("5.2"))
    mem = MemoryState(p, [(1 * MiB, 1 * GiB)])
    a = 4 * GiB
    assert devm_memremap_pages(mem, "pfn0.0", a, a + 64 * MiB, None) is None
    err = devm_memremap_pages(mem, "pfn0.1", a + 64 * MiB, a + 128 * MiB, None)
    assert err is not None and err.errno == "ENOMEM" and "Conflicting mapping" in err.message
    # 5.3+: the same two ranges map side by side
    p = arch_profile("x86_64", KernelVersion.parse("5.3"))
    mem = MemoryState(p, [(1 * MiB, 1 * GiB)])
    assert devm_memremap_pages(mem, "pfn0.0", a, a + 64 * MiB, a) is None
    assert devm_memremap_pages(mem, "pfn0.1", a + 64 * MiB, a + 128 * MiB, a + 64 * MiB) is None
    assert mem.sparse.subsection_map(a // SEC) == mem.sparse.full_mask
    assert devm_memunmap_pages(mem, "pfn0.1", a + 64 * MiB, a + 128 * MiB) is None
    assert mem.sparse.subsection_map(a // SEC) == bit_range(0, 31)


def test_memremap_refuses_ram_overlap_and_misaligned():
    p = arch_profile("x86_64", KernelVersion.parse("6.1"))
    mem = MemoryState(p, [(1 * MiB, 1001 * MiB)])
    err = devm_memremap_pages(mem, "pfn0.0", 1000 * MiB, 1100 * MiB, 1000 * MiB)
    assert err is not None and err.errno == "ENXIO" and "mixed" in err.message
    err = devm_memremap_pages(mem, "pfn0.0", 4 * GiB + 1 * MiB, 4 * GiB + 64 * MiB, 4 * GiB)
    assert err is not None and err.errno == "EINVAL" and "invalid altmap" in err.message
    err = devm_memremap_pages(mem, "pfn0.0", 4 * GiB + 1 * MiB, 4 * GiB + 64 * MiB, None)
    assert err is not None and err.errno == "EINVAL" and "Misaligned" in err.message


# ---------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------
# (section size, sub-section size, sections in the test window)
GEOMETRIES = [
    (128 * MiB, 2 * MiB, 24),     # x86_64, riscv, arm64 5.12+ 4K/16K
    (16 * MiB, 2 * MiB, 64),      # powerpc: 8 sub-sections
    (1 * GiB, 2 * MiB, 4),        # arm64 before 5.12: 512 sub-sections
    (128 * MiB, 128 * MiB, 64),   # before 5.3: whole sections
]
PAGE = 4 * KiB
# PMEMPLAN_HYPOTHESIS_EXAMPLES=5000 for a long local run
EXAMPLES = int(os.environ.get("PMEMPLAN_HYPOTHESIS_EXAMPLES", "150"))


@st.composite
def boot_ram(draw, window: int) -> List[Tuple[int, int]]:
    """Up to three disjoint page-aligned System RAM ranges inside [0, window)."""
    n = draw(st.integers(0, 3))
    pts = sorted(set(draw(st.lists(st.integers(0, window // PAGE), min_size=2 * n, max_size=2 * n))))
    out = []
    for a, b in zip(pts[0::2], pts[1::2]):
        if b > a:
            out.append((a * PAGE, b * PAGE))
    return out


def _init(ss: int, sub: int, ram: List[Tuple[int, int]]) -> SparseMap:
    s = SparseMap(ss, sub)
    for a, b in ram:
        s.subsection_map_init(a, b)
    return s


def _touched(ranges: List[Tuple[int, int]], sub: int) -> set:
    out = set()
    for a, b in ranges:
        out.update(range(a // sub, (b - 1) // sub + 1))
    return out


@pytest.mark.parametrize("ss,sub,nsec", GEOMETRIES)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_prop_add_then_remove_restores_state(ss, sub, nsec, data):
    window = ss * nsec
    ram = data.draw(boot_ram(window))
    s = _init(ss, sub, ram)
    nsub = window // sub
    # optionally a first hot-added range, so the map holds non-early partial sections too
    if data.draw(st.booleans()):
        a0 = data.draw(st.integers(0, nsub - 1))
        b0 = data.draw(st.integers(a0 + 1, min(nsub, a0 + 3 * (ss // sub))))
        s.section_activate(a0 * sub, b0 * sub)  # may fail: whatever it left is the baseline
    before = s.canonical()
    size_before = s.state_size()
    a = data.draw(st.integers(0, nsub - 1))
    b = data.draw(st.integers(a + 1, nsub))
    err = s.section_activate(a * sub, b * sub)
    assume(err is None)
    for i in range(a, b):
        addr = i * sub
        assert s.subsection_map(s.pfn_to_section_nr(addr)) >> s.subsection_map_index(addr) & 1
        assert s.pfn_valid(addr)
    assert s.section_deactivate(a * sub, b * sub) is None
    assert s.canonical() == before
    assert s.state_size() <= size_before + 2   # runs may be split, never grow with the size
    # and the map answers the same questions as before
    fresh_ram = _init(ss, sub, ram)
    if before == fresh_ram.canonical():
        for nr in range(nsec + 1):
            assert s.subsection_map(nr) == fresh_ram.subsection_map(nr)
            assert s.early_section(nr) == fresh_ram.early_section(nr)


@st.composite
def disjoint_ranges(draw, nsub: int, taken: set) -> List[Tuple[int, int]]:
    """Up to six sub-section-aligned ranges (in sub-section units) avoiding ``taken`` and each other."""
    out: List[Tuple[int, int]] = []
    used = set(taken)
    for _ in range(draw(st.integers(0, 6))):
        a = draw(st.integers(0, nsub - 1))
        length = draw(st.one_of(st.integers(1, 8), st.integers(1, nsub)))
        b = min(nsub, a + length)
        span = set(range(a, b))
        if span & used:
            continue
        used |= span
        out.append((a, b))
    return out


@pytest.mark.parametrize("ss,sub,nsec", GEOMETRIES)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_prop_subsection_maps_match_owners(ss, sub, nsec, data):
    window = ss * nsec
    nsub = window // sub
    ram = data.draw(boot_ram(window))
    s = _init(ss, sub, ram)
    ram_subs = _touched(ram, sub)
    ranges = data.draw(disjoint_ranges(nsub, ram_subs))
    for a, b in ranges:
        assert s.section_activate(a * sub, b * sub) is None
    owned = ram_subs | _touched([(a * sub, b * sub) for a, b in ranges], sub)
    early_secs = {a // ss for a, _ in ram} | {(b - 1) // ss for _, b in ram} | \
        {i * sub // ss for i in ram_subs}
    for i in range(nsub + (ss // sub)):          # one section past the window: must be empty
        addr = i * sub
        nr = s.pfn_to_section_nr(addr)
        bit = s.subsection_map(nr) >> s.subsection_map_index(addr) & 1
        assert bool(bit) == (i in owned), (i, hex(addr))
    for nr in range(nsec + 1):
        assert s.early_section(nr) == (nr in early_secs), nr
        assert s.valid_section(nr) == any(i * sub // ss == nr for i in owned)
    # removing every hot-added range gives back the boot-only map
    for a, b in ranges:
        assert s.section_deactivate(a * sub, b * sub) is None
    assert s.canonical() == _init(ss, sub, ram).canonical()
