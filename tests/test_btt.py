"""BTT (sector mode) layout: kernel-model.md section 10."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmemplan.engine.btt import (
    ARENA_MAX_SIZE,
    ARENA_MIN_SIZE,
    BTT_LBASIZE_SUPPORTED,
    BTT_PG_SIZE,
    BttError,
    btt_arena_count,
    btt_initial_offset,
    btt_internal_lbasize,
    btt_layout,
    btt_sector_size,
    btt_usable_size,
)

KiB, MiB, GiB, TiB, PiB = 1 << 10, 1 << 20, 1 << 30, 1 << 40, 1 << 50

# (capacity, lbasize, version, usable bytes, external LBAs or None)
# §10.5 worked examples
ROWS_10_5 = [
    (256 * MiB, 4096, "1.1", 267091968, 65208),
    (1 * GiB, 4096, "1.1", 1071611904, 261624),
]
# §10.6 multi-arena table (v1.1, 4K); the extra column is the arena count
ROWS_10_6 = [
    (512 * GiB, 549218381824, 1),
    (512 * GiB + 4 * KiB, 549218385920, 1),
    (512 * GiB + 16 * MiB, 549218385920, 1),
    (512 * GiB + 16 * MiB + 4 * KiB, 549234069504, 2),
    (1 * TiB, 1098436767744, 2),
]
# §10.8 observations (all but the refused 16 MiB v1.1 row, tested separately)
ROWS_10_8 = [
    (268435456, 4096, "1.1", 267091968, 65208),      # e820_aligned
    (104857600, 4096, "1.1", 103673856, 25311),      # e820_unaligned_100M
    (105906176, 4096, "1.1", 104718336, 25566),      # e820_unaligned_start
    (1073741824, 4096, "1.1", 1071611904, 261624),   # nv_aligned
    (67108864, 4096, "1.1", 65961984, 16104),        # nv_labels
    (536870912, 4096, "1.1", 535265280, 130680),     # nv_reconfig
    (267386880, 4096, "1.1", 266043392, 64952),      # nv_shared_section
    (1073741824, 512, "1.1", 1065254400, 2080575),   # probe: label-less 1G NVDIMM
    (1073741824, 520, "1.1", 947694592, 1850966),    # probe, ilba 576
    (1073741824, 4160, "1.1", 1055125504, 257599),   # probe
    (67108864, 4096, "2.0", 65966080, 16105),        # probe: v1.2 labels
    (67108864, 512, "2.0", 66428928, 129744),        # probe: v1.2 labels
    (16777216, 4096, "2.0", 15683584, 3829),         # probe: v1.2 labels, 16M
    (268304384, 4096, "2.0", 266964992, 65177),      # probe: label-size DIMM, no init-labels
]

lbasizes = st.sampled_from(BTT_LBASIZE_SUPPORTED)
versions = st.sampled_from(["1.1", "2.0"])


def closed_form(capacity: int, lbasize: int, version: str) -> int:
    """§10.5 single-arena closed form (capacity a 4K multiple, raw <= 512 GiB)."""
    fixed = 32768 if version == "1.1" else 28672
    ilba = btt_internal_lbasize(lbasize)
    return btt_sector_size(lbasize) * ((capacity - fixed) // (ilba + 4) - 256)


def check_invariants(lay) -> None:
    assert lay.usable_size + lay.lost == lay.capacity
    assert lay.usable_size == lay.nlba * lay.sector_size
    assert 0 <= lay.unused_tail < ARENA_MIN_SIZE
    raw = lay.capacity - lay.initial_offset
    assert sum(a.size for a in lay.arenas) + lay.unused_tail == raw
    ilba = btt_internal_lbasize(lay.lbasize)
    for a in lay.arenas:
        a4 = a.size - a.size % BTT_PG_SIZE
        assert a.info2off + 4096 == a4
        assert a.dataoff == 4096
        assert a.logsize == 16384
        assert a.mapsize % 4096 == 0 and a.mapsize >= 4 * a.external_nlba
        assert a.mapsize < 4 * a.external_nlba + 4096
        assert a.datasize >= a.internal_nlba * ilba
        assert a.internal_lbasize == ilba
        assert a.internal_nlba == (a4 - 28672) // (ilba + 4)
        assert a.external_nlba == a.internal_nlba - 256 > 0


# --- tables ----------------------------------------------------------------------------

@pytest.mark.parametrize("capacity,lbasize,version,usable,nlba", ROWS_10_5 + ROWS_10_8)
def test_observed_and_worked_rows(capacity, lbasize, version, usable, nlba):
    lay = btt_layout(capacity, lbasize, version)
    assert lay.usable_size == usable
    assert lay.nlba == nlba
    assert lay.sector_size * nlba == usable
    assert len(lay.arenas) == 1
    assert btt_usable_size(capacity, lbasize, version) == usable
    check_invariants(lay)


@pytest.mark.parametrize("capacity,usable,n_arenas", ROWS_10_6)
def test_multi_arena_table(capacity, usable, n_arenas):
    lay = btt_layout(capacity, 4096, "1.1")
    assert lay.usable_size == usable
    assert len(lay.arenas) == n_arenas == btt_arena_count(capacity, "1.1")
    assert btt_usable_size(capacity, 4096, "1.1") == usable
    check_invariants(lay)


def test_multi_arena_table_arena_sizes():
    assert [a.size for a in btt_layout(512 * GiB).arenas] == [512 * GiB - 4 * KiB]
    assert [a.size for a in btt_layout(512 * GiB + 4 * KiB).arenas] == [512 * GiB]
    lay = btt_layout(512 * GiB + 16 * MiB)
    assert [a.size for a in lay.arenas] == [512 * GiB]
    assert lay.unused_tail == 16 * MiB - 4 * KiB
    assert [a.size for a in btt_layout(512 * GiB + 16 * MiB + 4 * KiB).arenas] == [512 * GiB, 16 * MiB]
    assert [a.size for a in btt_layout(1 * TiB).arenas] == [512 * GiB, 512 * GiB - 4 * KiB]


@pytest.mark.parametrize("lbasize,internal,external", [(4096, 134086776, 134086520),
                                                       (512, 1065418188, 1065417932)])
def test_full_arena_nlba(lbasize, internal, external):
    a = btt_layout(2 * ARENA_MAX_SIZE + 4096, lbasize, "1.1").arenas[0]
    assert a.size == ARENA_MAX_SIZE
    assert (a.internal_nlba, a.external_nlba) == (internal, external)
    assert a.internal_nlba < 1 << 30     # fits the 30-bit map LBA field


# --- minimum size / errors ----------------------------------------------------------------

def test_16m_e820_v11_refused():
    with pytest.raises(BttError) as ei:
        btt_layout(16 * MiB, 4096, "1.1", name="namespace0.0")
    assert ei.value.errno == "ENXIO"
    assert ei.value.message == "namespace0.0 must be at least 16781312 bytes"
    with pytest.raises(BttError) as ei:
        btt_usable_size(16 * MiB, 4096, "1.1")
    assert ei.value.errno == "ENXIO"
    assert ei.value.message == "namespace must be at least 16781312 bytes"


def test_16m_v20_works():
    lay = btt_layout(16 * MiB, 4096, "2.0")
    assert lay.nlba == 3829 and lay.usable_size == 15683584
    assert btt_usable_size(16 * MiB, 4096, "2.0") == 15683584


@pytest.mark.parametrize("version,minimum", [("1.1", 16781312), ("2.0", 16777216)])
@pytest.mark.parametrize("lbasize", BTT_LBASIZE_SUPPORTED)
def test_minimum_boundary(version, minimum, lbasize):
    lay = btt_layout(minimum, lbasize, version)
    assert len(lay.arenas) == 1 and lay.arenas[0].size == ARENA_MIN_SIZE
    check_invariants(lay)
    with pytest.raises(BttError) as ei:
        btt_layout(minimum - 1, lbasize, version, name="namespace1.0")
    assert ei.value.errno == "ENXIO"
    assert ei.value.message == f"namespace1.0 must be at least {minimum} bytes"
    assert btt_arena_count(minimum - 1, version) == 0


@pytest.mark.parametrize("lbasize", [0, 511, 513, 1024, 2048, 4095, 4097, 4100, 8192])
def test_unsupported_lbasize(lbasize):
    with pytest.raises(BttError) as ei:
        btt_layout(1 * GiB, lbasize)
    assert ei.value.errno == "EINVAL"
    with pytest.raises(BttError):
        btt_usable_size(1 * GiB, lbasize)


def test_lbasize_checked_before_size():
    with pytest.raises(BttError) as ei:
        btt_layout(1 * MiB, 1024)
    assert ei.value.errno == "EINVAL"


def test_versions_and_derived_values():
    assert btt_initial_offset("1.1") == 4096
    assert btt_initial_offset("2.0") == 0
    with pytest.raises(BttError):
        btt_initial_offset("1.2")
    assert {L: btt_internal_lbasize(L) for L in BTT_LBASIZE_SUPPORTED} == {
        512: 512, 520: 576, 528: 576, 4096: 4096, 4104: 4160, 4160: 4160, 4224: 4224}
    assert [btt_sector_size(L) for L in BTT_LBASIZE_SUPPORTED] == [512, 512, 512, 4096, 4096, 4096, 4096]
    assert btt_layout(1 * GiB, 520).sector_size == 512


def test_frozen():
    lay = btt_layout(1 * GiB)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lay.capacity = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lay.arenas[0].size = 0  # type: ignore[misc]


# --- arenas (§10.3) -------------------------------------------------------------------------

def check_arenas(capacity: int, version: str) -> None:
    lay = btt_layout(capacity, 4096, version)
    o = btt_initial_offset(version)
    raw = capacity - o
    full, rem = divmod(raw, ARENA_MAX_SIZE)
    n = full + (1 if rem >= ARENA_MIN_SIZE else 0)
    assert len(lay.arenas) == n == btt_arena_count(capacity, version)
    assert lay.initial_offset == o
    for k, a in enumerate(lay.arenas):
        assert a.offset == o + k * ARENA_MAX_SIZE
        if k < n - 1:
            assert a.size == ARENA_MAX_SIZE
        left_after = capacity - (a.offset + a.size)
        assert a.nextoff == (a.size if left_after >= ARENA_MIN_SIZE else 0)
        if k < n - 1:
            assert a.offset + a.nextoff == lay.arenas[k + 1].offset
        else:
            assert a.nextoff == 0
    last = lay.arenas[-1]
    assert lay.unused_tail == capacity - (last.offset + last.size)


@pytest.mark.parametrize("capacity", [
    16 * MiB + 4 * KiB, 1 * GiB, 512 * GiB, 512 * GiB + 4 * KiB, 512 * GiB + 16 * MiB,
    512 * GiB + 16 * MiB + 4 * KiB, 1 * TiB, 1 * TiB + 4 * KiB, 1 * TiB + 8 * KiB + 16 * MiB,
    3 * TiB + 5 * MiB, 1 * TiB + 16 * MiB + 4096 + 1,
])
@pytest.mark.parametrize("version", ["1.1", "2.0"])
def test_arena_offsets_and_nextoff(capacity, version):
    check_arenas(capacity, version)


@settings(max_examples=200, deadline=None)
@given(capacity=st.integers(min_value=16 * MiB + 4 * KiB, max_value=4 * TiB), version=versions)
def test_arena_offsets_and_nextoff_random(capacity, version):
    check_arenas(capacity, version)


def test_two_pib():
    lay = btt_layout(2 * PiB + 4096, 4096, "1.1")
    assert len(lay.arenas) == 4096
    assert all(a.size == ARENA_MAX_SIZE for a in lay.arenas)
    assert lay.arenas[-1].nextoff == 0 and lay.arenas[0].nextoff == ARENA_MAX_SIZE
    assert lay.usable_size == 4096 * 134086520 * 4096
    assert btt_usable_size(2 * PiB + 4096) == lay.usable_size
    check_invariants(lay)


# --- properties ----------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(pages=st.integers(min_value=(16 * MiB + 4096) // 4096, max_value=(512 * GiB + 4096) // 4096),
       lbasize=lbasizes, version=versions)
def test_single_arena_closed_form(pages, lbasize, version):
    capacity = pages * 4096
    raw = capacity - btt_initial_offset(version)
    if not ARENA_MIN_SIZE <= raw <= ARENA_MAX_SIZE:
        return
    lay = btt_layout(capacity, lbasize, version)
    assert len(lay.arenas) == 1
    assert lay.usable_size == closed_form(capacity, lbasize, version)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(min_value=16 * MiB, max_value=4 * TiB), lbasize=lbasizes,
       version=versions)
def test_usable_size_o1_matches_layout(capacity, lbasize, version):
    try:
        lay = btt_layout(capacity, lbasize, version)
    except BttError as e:
        assert e.errno == "ENXIO"
        with pytest.raises(BttError):
            btt_usable_size(capacity, lbasize, version)
        return
    assert btt_usable_size(capacity, lbasize, version) == lay.usable_size
    check_invariants(lay)


@settings(max_examples=100, deadline=None)
@given(n_full=st.integers(min_value=0, max_value=8),
       tail=st.one_of(st.integers(min_value=0, max_value=64 * MiB),
                      st.integers(min_value=0, max_value=ARENA_MAX_SIZE - 1)),
       lbasize=lbasizes, version=versions)
def test_usable_size_near_arena_boundaries(n_full, tail, lbasize, version):
    capacity = btt_initial_offset(version) + n_full * ARENA_MAX_SIZE + tail
    if capacity - btt_initial_offset(version) < ARENA_MIN_SIZE:
        return
    lay = btt_layout(capacity, lbasize, version)
    assert btt_usable_size(capacity, lbasize, version) == lay.usable_size
    check_invariants(lay)
