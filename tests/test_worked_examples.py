"""Every worked example of kernel-model.md, checked against the engine's own functions.

Each test names the section of the kernel-model research notes (the sources behind
docs/kernel-model.md) it restates.  Values are
the book's; where a value is derived here rather than quoted, the derivation is in a
comment next to it.
"""
from __future__ import annotations

import pytest

from pmemplan.engine.arch import arch_profile
from pmemplan.engine.kmem import dax_kmem_range
from pmemplan.engine.layout import compute_layout, run_engine
from pmemplan.engine.memory import REGION_DISJOINT, REGION_MIXED
from pmemplan.engine.ndctl import did_you_intend
from pmemplan.engine.pfn_devs import InfoBlock, nd_pfn_init
from pmemplan.kversion import KernelVersion
from pmemplan.platform import Platform, check_platform

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


def K(v: str) -> KernelVersion:
    return KernelVersion.parse(v)


def no_ram(lo: int, hi: int) -> int:
    return REGION_DISJOINT


def platform(d: dict) -> Platform:
    p = Platform.from_dict(d)
    assert check_platform(p) == [], check_platform(p)
    return p


# The QEMU guests of kernel-observations: 2 GiB of boot RAM below 4 GiB.
QEMU_RAM = [
    {"type": "reserved", "start": 0x0, "size": 0x1000},
    {"type": "system-ram", "start": 0x1000, "size": 0x9ec00},
    {"type": "reserved", "start": 0x9fc00, "size": 0x400},
    {"type": "reserved", "start": 0xf0000, "size": 0x10000},
    {"type": "system-ram", "start": 0x100000, "size": 0x7fedf000},
    {"type": "reserved", "start": 0x7ffdf000, "size": 0x21000},
    {"type": "reserved", "start": 0xfffc0000, "size": 0x40000},
]

# ---------------------------------------------------------------------------------
# §5.3 "Worked examples" (x86_64, 4K pages, compat 2 MiB, start = 0x240000000)
# ---------------------------------------------------------------------------------
START = 0x240000000
# (start, size, devdax, map, align, offset, end_trunc, usable, resource)
TABLE_5_3 = [
    pytest.param(START, 16 * GiB, False, "dev", 2 * MiB, 258 * MiB, 0, 16126 * MiB, 0x250200000,
                 id="16G-fsdax-dev-2M"),
    pytest.param(START, 16 * GiB, True, "dev", 1 * GiB, 1024 * MiB, 0, 15360 * MiB, 0x280000000,
                 id="16G-devdax-dev-1G"),
    pytest.param(START + 16 * MiB, 16 * GiB, True, "dev", 1 * GiB, 1008 * MiB, 16 * MiB, 15360 * MiB,
                 0x280000000, id="16G-start+16M-devdax-dev-1G"),
    pytest.param(START, 16 * GiB, False, "mem", 2 * MiB, 2 * MiB, 0, 16382 * MiB, 0x240200000,
                 id="16G-fsdax-mem-2M"),
    pytest.param(START, 16 * MiB, False, "dev", 2 * MiB, 2 * MiB, 0, 14 * MiB, 0x240200000,
                 id="16M-fsdax-dev-2M"),
]


@pytest.mark.parametrize("start,size,devdax,map_,align,offset,end_trunc,usable,resource", TABLE_5_3)
def test_5_3_worked_examples_nd_pfn_init(start, size, devdax, map_, align, offset, end_trunc, usable,
                                          resource):
    p = arch_profile("x86_64", K("6.1"))
    ib = nd_pfn_init(p, name="namespace0.0", start=start, size=size, devdax=devdax, map=map_,
                     align=align, ram=no_ram, other_regions=[])
    assert isinstance(ib, InfoBlock), ib
    assert ib.dataoff == offset
    assert ib.end_trunc == end_trunc
    assert ib.start_pad == 0
    assert ib.usable_size == usable
    # sysfs pfnX.Y/resource = start + start_pad + offset; size = size - pad - trunc - offset
    assert start + ib.start_pad + ib.dataoff == resource
    assert size - ib.start_pad - ib.end_trunc - ib.dataoff == usable
    assert ib.npfns == usable // 4096
    assert ib.version_minor == 4
    assert ib.align == align          # the recorded align is the user's, not A


@pytest.mark.parametrize("start,size,devdax,map_,align,offset,end_trunc,usable,resource", TABLE_5_3)
def test_5_3_worked_examples_through_compute_layout(start, size, devdax, map_, align, offset, end_trunc,
                                                     usable, resource):
    """Same rows through the whole engine: a label-less NFIT region exactly the namespace."""
    plat = platform({
        "format": 1, "kernel": "6.1", "memory": QEMU_RAM,
        "regions": [{"name": "region0", "provider": "nfit", "labels": False, "start": start, "size": size,
                     "namespaces": [{"name": "namespace0.0", "mode": "devdax" if devdax else "fsdax",
                                     "map": map_, "align": align}]}],
    })
    res = compute_layout(plat, legacy=None)
    ns = res.namespace("namespace0.0")
    assert ns.status == "enabled", ns.error
    assert ns.start == start
    assert ns.info_block["dataoff"] == offset
    assert ns.info_block["end_trunc"] == end_trunc
    assert ns.usable_size == usable
    assert ns.start + ns.info_block["start_pad"] + ns.info_block["dataoff"] == resource
    assert ns.usable_size + sum(ns.lost.values()) == size


def test_5_3_note_pre_5_3_map_dev_16g_also_258m():
    """'The pre-5.3 map=dev result for 16 GiB is also 258 MiB: n0 rounds up to 4194304 pages
    → 256 MiB of memmap + 8K → ALIGN 2 MiB.'  Holds for A1 (4.19), A2 (5.0) and A3 (5.2)."""
    for v in ("4.19", "5.0", "5.1", "5.2"):
        p = arch_profile("x86_64", K(v))
        ib = nd_pfn_init(p, name="namespace0.0", start=START, size=16 * GiB, devdax=False, map="dev",
                         align=2 * MiB, ram=no_ram, other_regions=[])
        assert isinstance(ib, InfoBlock), (v, ib)
        assert ib.dataoff == 258 * MiB, v
        assert ib.start_pad == ib.end_trunc == 0, v
        assert ib.version_minor == 2, v
    # A2/A3: n0 is SECTION_ALIGN_UP'd to 4194304 pages, a 256 MiB memmap budget
    ib = nd_pfn_init(arch_profile("x86_64", K("5.2")), name="n", start=START, size=16 * GiB,
                     devdax=False, map="dev", align=2 * MiB, ram=no_ram, other_regions=[])
    assert ib.memmap_budget == 4194304 * 64 == 256 * MiB


def test_5_5_rc8_end_trunc_12g_devdax_1g_gives_11g():
    """§5.5: with end_trunc restored (v5.3-rc8), a 12 GiB devdax -a 1G namespace in a region
    not 1 GiB aligned keeps 11 GiB.  start = 9G+16M: end_trunc = 16M, offset = 10G - start
    = 1008M (memmap 192M fits below 10G), usable = 12G - 1008M - 16M = 11G."""
    p = arch_profile("x86_64", K("5.3"))
    start = 9 * GiB + 16 * MiB
    ib = nd_pfn_init(p, name="n", start=start, size=12 * GiB, devdax=True, map="dev", align=GiB,
                     ram=no_ram, other_regions=[])
    assert isinstance(ib, InfoBlock)
    assert ib.end_trunc == 16 * MiB
    assert ib.dataoff == 1008 * MiB
    assert ib.usable_size == 11 * GiB
    # 5.3-rc1..rc7 wrote no end_trunc
    ib_rc = nd_pfn_init(arch_profile("x86_64", K("5.3-rc4")), name="n", start=start, size=12 * GiB,
                        devdax=True, map="dev", align=GiB, ram=no_ram, other_regions=[])
    assert isinstance(ib_rc, InfoBlock)
    assert ib_rc.end_trunc == 0


def test_5_3_start_misaligned_to_compat_refused_5_7():
    """§5.3 step 5: start % compat → '%s: start %pa misaligned to %#lx', -EINVAL (5.7+)."""
    p = arch_profile("x86_64", K("6.1"))
    err = nd_pfn_init(p, name="namespace0.0", start=START + 1 * MiB, size=1 * GiB, devdax=False,
                      map="dev", align=2 * MiB, ram=no_ram, other_regions=[])
    assert not isinstance(err, InfoBlock)
    assert err.errno == "EINVAL"
    assert "misaligned to 0x200000" in err.message


# ---------------------------------------------------------------------------------
# §2.1 sub-sections per section, per arch
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("arch,kernel,page_size,section,subs", [
    ("x86_64", "4.19", None, 128 * MiB, 64),
    ("x86_64", "6.1", None, 128 * MiB, 64),
    ("arm64", "5.11", 4 * KiB, 1 * GiB, 512),
    ("arm64", "5.4", 64 * KiB, 1 * GiB, 512),
    ("arm64", "5.12", 4 * KiB, 128 * MiB, 64),
    ("arm64", "5.12", 16 * KiB, 128 * MiB, 64),
    ("arm64", "6.1", 64 * KiB, 512 * MiB, 256),
    ("ppc64le", "6.1", None, 16 * MiB, 8),
    ("ppc64le", "6.1", 4 * KiB, 16 * MiB, 8),
    ("riscv64", "6.1", None, 128 * MiB, 64),
])
def test_2_1_subsections_per_section(arch, kernel, page_size, section, subs):
    p = arch_profile(arch, K(kernel), page_size=page_size)
    assert p.section_size == section
    assert p.subsections_per_section == subs
    assert p.section_size // (2 * MiB) == subs
    assert p.pages_per_subsection == 2 * MiB // p.page_size


def test_2_1_subsection_granule_is_2m_from_5_3_only():
    assert arch_profile("x86_64", K("5.2")).subsection_size == 128 * MiB
    assert arch_profile("x86_64", K("5.3")).subsection_size == 2 * MiB
    assert arch_profile("ppc64le", K("6.1")).subsection_size == 2 * MiB


def test_2_4_arm64_memory_block_is_one_section():
    """§2.4: generic MIN_MEMORY_BLOCK_SIZE = a section (arm64 4K: 1 GiB before 5.12, 128 MiB after)."""
    assert arch_profile("arm64", K("5.11")).memory_block_size == 1 * GiB
    assert arch_profile("arm64", K("5.12")).memory_block_size == 128 * MiB


# ---------------------------------------------------------------------------------
# §2.4 x86_64 memory block size
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel,bare_metal,boot_mem_end,mbs", [
    # ≤4.16: 2 GiB if boot_mem_end ≥ 64 GiB, else 128 MiB
    ("4.16", False, 63 * GiB, 128 * MiB),
    ("4.16", False, 64 * GiB, 2 * GiB),
    ("4.16", False, 65 * GiB, 2 * GiB),
    ("4.16", False, 64 * GiB + 128 * MiB, 2 * GiB),
    # 4.17: < 64 GiB → 128 MiB; else largest pow2 in (128M, 2G] dividing boot_mem_end
    ("4.17", False, 63 * GiB, 128 * MiB),
    ("4.17", False, 64 * GiB, 2 * GiB),
    ("4.17", False, 65 * GiB, 1 * GiB),
    ("4.17", False, 64 * GiB + 512 * MiB, 512 * MiB),
    ("4.17", False, 64 * GiB + 128 * MiB, 128 * MiB),
    ("4.17", True, 65 * GiB, 1 * GiB),       # bare metal makes no difference before 5.9
    ("5.8", True, 65 * GiB, 1 * GiB),
    # 5.9 fe124c95df9e: bare metal ≥ 64 GiB → 2 GiB; guests keep the search
    ("5.9", True, 65 * GiB, 2 * GiB),
    ("5.9", True, 64 * GiB + 128 * MiB, 2 * GiB),
    ("5.9", False, 65 * GiB, 1 * GiB),
    ("5.9", False, 64 * GiB + 128 * MiB, 128 * MiB),
    ("5.9", True, 63 * GiB, 128 * MiB),
    ("6.1", False, 96 * GiB, 2 * GiB),
    ("6.1", False, 2 * GiB, 128 * MiB),
])
def test_2_4_x86_memory_block_size(kernel, bare_metal, boot_mem_end, mbs):
    p = arch_profile("x86_64", K(kernel), bare_metal=bare_metal, boot_mem_end=boot_mem_end)
    assert p.memory_block_size == mbs


def test_2_4_guest_boot_mem_end_from_platform():
    """run_engine takes boot_mem_end from the end of System RAM; a 65 GiB guest gets 1 GiB blocks."""
    ram = [{"type": "system-ram", "start": "1M", "size": 65 * GiB - MiB}]
    for bare, want in ((False, 1 * GiB), (True, 2 * GiB)):
        plat = platform({"format": 1, "kernel": "6.1", "bare_metal": bare, "memory": ram, "regions": []})
        assert run_engine(plat, K("6.1")).arch_info.memory_block_size == want


# ---------------------------------------------------------------------------------
# §6.1 region align
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("ways,align", [(1, 16 * MiB), (2, 16 * MiB), (3, 48 * MiB), (4, 16 * MiB),
                                        (8, 16 * MiB)])
def test_6_1_region_default_align(ways, align):
    p = arch_profile("x86_64", K("6.1"))
    assert p.default_region_align(64 * GiB, ways) == align


def test_6_1_small_region_page_size_from_5_18():
    small = 8 * MiB
    assert arch_profile("x86_64", K("5.6")).default_region_align(small, 1) is None   # no attribute
    assert arch_profile("x86_64", K("5.7")).default_region_align(small, 1) == 16 * MiB
    assert arch_profile("x86_64", K("5.17")).default_region_align(small, 1) == 16 * MiB
    assert arch_profile("x86_64", K("5.18")).default_region_align(small, 1) == 4 * KiB
    assert arch_profile("x86_64", K("6.1")).default_region_align(small, 1) == 4 * KiB
    # exactly 16 MiB is not "< 16 MiB"
    assert arch_profile("x86_64", K("6.1")).default_region_align(16 * MiB, 1) == 16 * MiB


@pytest.mark.parametrize("ways,align", [(2, 16 * MiB), (3, 48 * MiB), (4, 16 * MiB), (8, 16 * MiB)])
def test_6_1_region_align_through_compute_layout(ways, align):
    plat = platform({"format": 1, "kernel": "6.1", "memory": QEMU_RAM,
                     "regions": [{"name": "region0", "start": 0x100000000, "size": 48 * GiB,
                                  "interleave_ways": ways}]})
    assert compute_layout(plat, legacy=None).regions[0].align == align


# ---------------------------------------------------------------------------------
# §8 ndctl "did you intend" suggestion
# ---------------------------------------------------------------------------------
def test_8_did_you_intend_1040m_1g():
    """ndctl create-namespace -s 1040M -m devdax -a 1G → 'did you intend --size=2048M?'"""
    assert did_you_intend(1040 * MiB, 1 * GiB, 1, "M") == 2048 * MiB


def test_8_did_you_intend_101m_region_2m():
    """Observed (e820_unaligned_start, 6.1): 101 MiB namespace, -a 2M → --size=106954752."""
    assert did_you_intend(105906176, 2 * MiB, 1, "") == 106954752


def test_8_did_you_intend_is_strictly_above():
    """The next multiple strictly above, never a rounding: an aligned size still moves up."""
    assert did_you_intend(2 * GiB, 1 * GiB, 1, "M") == 3 * GiB
    assert did_you_intend(1040 * MiB, 2 * MiB, 2, "M") == 1044 * MiB   # g = 2M × 2 ways


def test_8_did_you_intend_messages_through_compute_layout():
    plat = platform({"format": 1, "kernel": "6.1", "memory": QEMU_RAM, "regions": [
        {"name": "region0", "start": 0x100000000, "size": 4 * GiB,
         "namespaces": [{"name": "namespace0.0", "size": "1040M", "mode": "devdax", "align": "1G"}]}]})
    ns = compute_layout(plat, legacy=None).namespace("namespace0.0")
    assert ns.status == "refused"
    assert ns.error.by == "ndctl" and ns.error.errno == "EINVAL"
    assert "did you intend --size=2048M?" in ns.error.message

    ram = [{"type": "system-ram", "start": "1M", "size": 0x3e800000},
           {"type": "system-ram", "start": 0x44e00000, "size": 0x3b1e0000}]
    plat = platform({"format": 1, "kernel": "6.1", "memory": ram, "regions": [
        {"name": "region0", "provider": "e820", "start": 0x3e900000, "size": 105906176, "align": "1M",
         "namespaces": [{"name": "namespace0.0", "mode": "devdax", "align": "2M"}]}]})
    ns = compute_layout(plat, legacy=None).namespace("namespace0.0")
    assert ns.status == "refused"
    assert "did you intend --size=106954752?" in ns.error.message


# ---------------------------------------------------------------------------------
# §7 kmem block rounding (nv_kmem observation)
# ---------------------------------------------------------------------------------
def test_7_dax_kmem_range_rounding():
    p = arch_profile("x86_64", K("6.1"), memory_block_size=128 * MiB)
    # nv0: 1 GiB at 0x100000000 devdax 2M map=dev → dax range starts at +18M
    k = dax_kmem_range(p, 0x100000000 + 18 * MiB, 0x140000000)
    assert (k.online_bytes, k.blocks, k.error) == (896 * MiB, 7, None)
    assert (k.range_start, k.range_end) == (0x108000000, 0x140000000)
    # nothing whole left: 5.11+ "too small after alignment"
    k = dax_kmem_range(p, 0x100000000 + 18 * MiB, 0x100000000 + 100 * MiB)
    assert k.online_bytes == 0 and "too small after alignment" in k.error
    # 2 GiB blocks (x86 bare metal ≥ 64 GiB, 5.9+): up to ~4 GiB lost per range
    p2 = arch_profile("x86_64", K("6.1"), memory_block_size=2 * GiB)
    k = dax_kmem_range(p2, 0x1000000000 + 18 * MiB, 0x1000000000 + 6 * GiB)
    assert k.online_bytes == 4 * GiB
    assert dax_kmem_range(arch_profile("x86_64", K("5.0")), 0, 4 * GiB).online_bytes == 0   # kmem is 5.1+


def test_7_nv_kmem_three_1g_devdax_896m_online_each():
    """kernel-observations/nv_kmem: three 1 GiB devdax namespaces (two map=dev, one map=mem),
    128 MiB memory blocks, each reconfigured to system-ram: 896 MiB (7 blocks) online each."""
    def region(name, start, map_):
        return {"name": name, "provider": "nfit", "labels": False, "start": start, "size": "1G",
                "namespaces": [{"name": name.replace("region", "namespace") + ".0", "mode": "devdax",
                                "map": map_, "align": "2M", "system_ram": True}]}
    plat = platform({"format": 1, "kernel": "6.1", "memory_block_size": "128M", "memory": QEMU_RAM,
                     "regions": [region("region0", 0x100000000, "dev"), region("region2", 0x140200000, "dev"),
                                 region("region1", 0x188000000, "mem")]})
    res = compute_layout(plat, legacy=None)
    usable = {"namespace0.0": 1054867456, "namespace2.0": 1054867456, "namespace1.0": 1071644672}
    for name, want in usable.items():
        ns = res.namespace(name)
        assert ns.status == "enabled", (name, ns.error)
        assert ns.usable_size == want, name
        assert ns.kmem is not None and ns.kmem.error is None
        assert ns.kmem.online_bytes == 939524096 == 896 * MiB, name
        assert ns.kmem.blocks == 7


# ---------------------------------------------------------------------------------
# §5.5 ≤5.2 padding: a namespace sharing a section with System RAM
# ---------------------------------------------------------------------------------
def _shared_start_platform(kernel: str) -> Platform:
    """System RAM ends at 0x104000000, 64 MiB into section 0x20; e820 pmem 1 GiB right after."""
    return platform({"format": 1, "kernel": kernel,
                     "memory": [{"type": "system-ram", "start": "1M", "size": 0x104000000 - MiB}],
                     "regions": [{"name": "region0", "provider": "e820", "start": 0x104000000, "size": "1G",
                                  "namespaces": [{"name": "namespace0.0", "mode": "fsdax", "map": "dev",
                                                  "align": "2M"}]}]})


def _shared_end_platform(kernel: str) -> Platform:
    """The v5.3 commit-message example: legacy pmem 0x200000000-0x303ffffff followed by System
    RAM at 0x304000000, both in 128 MiB section 0x60."""
    return platform({"format": 1, "kernel": kernel,
                     "memory": [{"type": "system-ram", "start": "1M", "size": 2 * GiB - MiB},
                                {"type": "system-ram", "start": 0x304000000, "size": "1G"}],
                     "regions": [{"name": "region0", "provider": "e820", "start": 0x200000000,
                                  "size": 0x104000000,
                                  "namespaces": [{"name": "namespace0.0", "mode": "fsdax", "map": "dev",
                                                  "align": "2M"}]}]})


def test_5_5_start_pad_on_5_2_not_on_6_1():
    old = run_engine(_shared_start_platform("5.2"), K("5.2")).namespace("namespace0.0")
    assert old.status == "enabled"
    assert old.info_block["start_pad"] == 64 * MiB       # SECTION_ALIGN_UP(start) - start
    assert old.info_block["end_trunc"] == 0
    assert old.lost["start_pad"] == 64 * MiB
    assert any("alignment collision, truncate 67108864 bytes" in m for m in old.messages)
    new = run_engine(_shared_start_platform("6.1"), K("6.1")).namespace("namespace0.0")
    assert new.status == "enabled"
    assert new.info_block["start_pad"] == 0 and new.info_block["end_trunc"] == 0
    assert new.usable_size - old.usable_size >= 64 * MiB
    # up to 4.13 the message says "section collision"; 4.14 on "alignment collision"
    # (engine/legacy.py: seen in 4.13.4 / 4.14.67)
    for v, word in (("4.13", "section"), ("4.19", "alignment")):
        a1 = run_engine(_shared_start_platform(v), K(v)).namespace("namespace0.0")
        assert a1.info_block["start_pad"] == 64 * MiB
        assert any(f"{word} collision, truncate 67108864 bytes" in m for m in a1.messages), v


def test_5_5_end_trunc_on_5_2_not_on_6_1():
    old = run_engine(_shared_end_platform("5.2"), K("5.2")).namespace("namespace0.0")
    assert old.status == "enabled"
    assert old.info_block["start_pad"] == 0
    assert old.info_block["end_trunc"] == 64 * MiB        # end - SECTION_ALIGN_DOWN(end)
    new = run_engine(_shared_end_platform("6.1"), K("6.1")).namespace("namespace0.0")
    assert new.status == "enabled"
    assert new.info_block["start_pad"] == 0 and new.info_block["end_trunc"] == 0


def test_5_5_padding_saved_reported_by_compute_layout():
    res = compute_layout(_shared_start_platform("6.1"), legacy="5.2")
    assert res.summary.padding_saved == 64 * MiB


def test_5_5_nd_pfn_init_padding_direct():
    """nd_pfn_init itself, with a region_intersects() that says MIXED for the shared section."""
    start, size = 0x104000000, 1 * GiB
    sec_lo = start - start % (128 * MiB)

    def ram(lo: int, hi: int) -> int:
        return REGION_MIXED if lo < start and hi > sec_lo else REGION_DISJOINT

    for v, want_pad in (("4.19", 64 * MiB), ("5.0", 64 * MiB), ("5.2", 64 * MiB), ("5.3", 0), ("6.1", 0)):
        ib = nd_pfn_init(arch_profile("x86_64", K(v)), name="n", start=start, size=size, devdax=False,
                         map="dev", align=2 * MiB, ram=ram, other_regions=[])
        assert isinstance(ib, InfoBlock)
        assert ib.start_pad == want_pad, v
        assert ib.map_start == start + want_pad
    # 4.11 (before the section-rounded count, 4.12): n0 = (960M - 8K)/4K pages → memmap
    # 15 MiB + → offset 16 MiB; usable 944 MiB
    ib = nd_pfn_init(arch_profile("x86_64", K("4.11")), name="n", start=start, size=size, devdax=False,
                     map="dev", align=2 * MiB, ram=ram, other_regions=[])
    assert ib.dataoff == 16 * MiB and ib.usable_size == 944 * MiB
    # 4.19 counts whole sections of pages, as 5.0 does (seen in 4.19.1)
    ib = nd_pfn_init(arch_profile("x86_64", K("4.19")), name="n", start=start, size=size, devdax=False,
                     map="dev", align=2 * MiB, ram=ram, other_regions=[])
    assert ib.dataoff == 18 * MiB and ib.usable_size == 942 * MiB
    # 5.0 (A2): n0 rounded up to whole sections of pages → 16 MiB memmap → offset 18 MiB
    ib = nd_pfn_init(arch_profile("x86_64", K("5.0")), name="n", start=start, size=size, devdax=False,
                     map="dev", align=2 * MiB, ram=ram, other_regions=[])
    assert ib.dataoff == 18 * MiB and ib.usable_size == 942 * MiB
