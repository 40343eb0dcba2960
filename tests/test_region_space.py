"""Region space: available_size and max_available_extent (engine/region_devs.py).

Worked examples from the QEMU oracle runs in data/oracle-cases/_raw/wrap_align (Linux 6.1
and 6.12, a 256 MiB labelled DIMM, namespaces carved at a 4 KiB region align, the align
raised later), the kernel rule behind them as hypothesis properties, and every recorded
case that carries region figures.
"""
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmemplan.engine import compute_layout
from pmemplan.engine.region_devs import RegionSpace
from pmemplan.loader import load_platform

M = 1 << 20
OWN = Path(__file__).resolve().parent / "data" / "oracle-cases"
REGION_CASES = sorted(p.name for p in OWN.iterdir()
                      if not p.name.startswith("_") and "regions" in json.loads((p / "expect.json").read_text()))


def space(size, granule, extents, trims=True):
    sp = RegionSpace(size, granule, trims=trims)
    for a, b in extents:
        sp.reserve(a, b)
    return sp


def test_hole_in_first_granule_zeroes_max_extent():
    # wrap_align 016 (6.1): 4M raw at 0, 16M raw at 8M (the 4M between destroyed), align 16M.
    # available: 256 - ALIGN-out(0-4M)=16 - ALIGN-out(8M-24M)=32 = 208M.  The hole 4M-8M ends
    # inside the first 16M granule: the 208M reservation goes to 16M and hits 8M-24M -> 0
    # ("pmem reserve underrun: 0x0 of 0xd000000 bytes" in the guest's dmesg).
    sp = space(256 * M, 16 * M, [(0, 4 * M), (8 * M, 24 * M)])
    assert sp.available_size() == 208 * M
    assert sp.wrapped_gap() == (4 * M, 8 * M)
    assert sp.max_available_extent() == 0
    assert sp.first_fit(16 * M) is None


def test_touching_allocations_in_first_granule_zero_it_too():
    # wrap_align 063 (6.1): four 4M raw namespaces back to back, 32M fsdax at 16M, align 16M:
    # no hole at all, yet the empty gap 4M-4M trims to [16M, ~0] -> max 0, available 160M
    sp = space(256 * M, 16 * M, [(0, 4 * M), (4 * M, 8 * M), (8 * M, 12 * M), (12 * M, 16 * M),
                                 (16 * M, 48 * M)])
    assert sp.available_size() == (256 - 4 * 16 - 32) * M
    assert sp.wrapped_gap() == (4 * M, 4 * M)
    assert sp.max_available_extent() == 0


def test_wrapped_gap_with_room_at_the_granule():
    # wrap_align 055/056 (6.1): 4M at 0, 4M at 8M, 4M at 12M, align 16M: 208M available and
    # [16M, 224M) free -> max 208M, and a 32M fsdax lands at 16M
    sp = space(256 * M, 16 * M, [(0, 4 * M), (8 * M, 12 * M), (12 * M, 16 * M)])
    assert sp.available_size() == 208 * M
    assert sp.max_available_extent() == 208 * M
    assert sp.first_fit(32 * M) == 16 * M


def test_second_allocation_at_the_granule_trims_normally():
    # wrap_align 021 (6.1): same as 016 at align 8M: the second allocation starts at 8M = g
    sp = space(256 * M, 8 * M, [(0, 4 * M), (8 * M, 24 * M)])
    assert sp.wrapped_gap() is None
    assert sp.available_size() == sp.max_available_extent() == 232 * M


def test_over_counted_busy_caps_max_extent():
    # busy granules are counted per allocation (two sharing one count it twice), so the
    # reservation -- and ndctl's default size -- can be smaller than the largest free extent
    sp = space(256 * M, 16 * M, [(0, 4 * M), (24 * M, 56 * M), (56 * M, 72 * M)])
    # 16 + ALIGN-out(24M-56M)=48 + ALIGN-out(56M-72M)=32 -> 160M available of 176M free
    assert sp.available_size() == 160 * M
    assert sp.max_available_extent() == 160 * M


def test_no_trimming_before_5_7():
    sp = space(256 * M, 4096, [(0, 4 * M), (8 * M, 24 * M)], trims=False)
    assert sp.wrapped_gap() is None
    assert sp.max_available_extent() == 232 * M


_EXTENTS = st.lists(st.tuples(st.integers(0, 63), st.integers(1, 16)), max_size=6)


@settings(max_examples=300, deadline=None)
@given(_EXTENTS, st.sampled_from([1, 2, 4, 8, 16, 32]))
def test_reservation_never_underruns_without_a_wrapped_gap(raw, gran_units):
    """With the mapping starting at 0 the trimmed free gaps always hold available_size, so
    only the wrapped gap can make max_available_extent 0 while available_size is not."""
    unit = M
    size = 64 * unit
    g = gran_units * unit
    sp = RegionSpace(size, g)
    pos = 0
    for gap, length in raw:
        a, b = pos + gap * unit, pos + (gap + length) * unit
        if b > size:
            break
        sp.reserve(a, b)
        pos = b
    n = sp.available_dpa()
    mx = sp.max_available_extent()
    assert mx <= n
    if sp.wrapped_gap() is None:
        assert sum(hi - lo for lo, hi in sp._reserved()) == n
        if mx:
            off = sp.first_fit(mx)   # ndctl's default size always fits
            assert off is not None and off % g == 0
    else:
        assert mx in (0, n)


@pytest.mark.parametrize("case", REGION_CASES)
def test_region_figures_of_recorded_cases(case):
    """available_size / max_available_extent / align as sysfs showed them after the step."""
    expect = json.loads((OWN / case / "expect.json").read_text())
    res = compute_layout(load_platform(OWN / case / "platform.yaml"))
    got = {r.name: r for r in res.regions}
    for want in expect["regions"]:
        r = got[want["name"]]
        assert (r.align, r.available_size, r.max_available_extent) == \
            (want["align"], want["available_size"], want["max_available_extent"]), (case, want["name"])


def test_region_cases_present():
    assert len(REGION_CASES) >= 30


def test_note_names_the_wrapped_gap():
    case = OWN / "wrap_align-b1-017_p_e_16M_fsdax_align16M"
    res = compute_layout(load_platform(case / "platform.yaml"))
    ns = res.namespace("namespace1.3_new")
    assert ns.status == "refused" and "No space left" in ns.error.message
    note = next(a for a in res.assumptions if "max_available_extent is 0" in a)
    assert "0x800000" in note and "at most 8M" in note
