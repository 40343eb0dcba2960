"""The bundled example platforms in configs/: each one loads and shows what it says.

Every expected number is worked out by hand from the kernel model (docs/kernel-model.md and
the research notes behind it, whose section numbers the § comments below use; and the rules
of the 6.1 observations), with the arithmetic next to it; none is copied from the
engine.  Notation: K/M/G binary, ALIGN = round up,
ALIGN_DOWN = round down, n0 = provisional page count, A = layout alignment.
"""
import copy
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from pmemplan.causes import Cause

from pmemplan.engine import compute_layout
from pmemplan.loader import load_platform
from pmemplan.platform import Namespace

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
ALL_CONFIGS = sorted(CONFIGS.glob("*.yaml"))

K, M, G = 1 << 10, 1 << 20, 1 << 30


@lru_cache(maxsize=None)
def platform(name):
    return load_platform(CONFIGS / name)


@lru_cache(maxsize=None)
def layout(name, kernel=None):
    """compute_layout with the default legacy comparison (5.2) attached as .legacy."""
    return compute_layout(platform(name), kernel=kernel)


def ns_sections(r):
    """Shared sections that have at least one namespace among their owners."""
    names = {n.name for n in r.namespaces}
    return [s for s in r.sections if names & set(s.owners)]


def check_pfn(ns, *, start=None, dataoff, npfns, end_trunc=0, start_pad=0, align=None, usable=None):
    assert ns.status == "enabled", (ns.name, ns.error)
    if start is not None:
        assert ns.start == start, ns.name
    ib = ns.info_block
    assert ib is not None, ns.name
    assert ib["dataoff"] == dataoff, (ns.name, ib)
    assert ib["npfns"] == npfns, (ns.name, ib)
    assert ib["start_pad"] == start_pad, (ns.name, ib)
    assert ib["end_trunc"] == end_trunc, (ns.name, ib)
    if align is not None:
        assert ib["align"] == align, (ns.name, ib)
    if usable is not None:
        assert ns.usable_size == usable, ns.name


# --------------------------------------------------------------------------- all files

def test_configs_present():
    names = {p.name for p in ALL_CONFIGS}
    for want in ("seed-ram-pmem-same-section.yaml", "ndctl-issue76-pmem-pmem-collision.yaml",
                 "qemu-nvdimm.yaml", "optane-2socket-1008g.yaml", "arm64-before-after-5.12.yaml",
                 "ppc64-hash.yaml", "ndctl-sub-section-test.yaml"):
        assert want in names


@pytest.mark.parametrize("path", ALL_CONFIGS, ids=lambda p: p.name)
def test_config_loads_and_cli_json(path):
    text = path.read_text()
    assert text.startswith("#"), "each config starts with a comment block saying what it shows"
    p = load_platform(path)
    assert p.format == 1
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH")) if x)
    proc = subprocess.run([sys.executable, "-m", "pmemplan", "layout", str(path), "--format", "json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["format"] == 1
    assert {n["name"] for n in data["namespaces"]} == \
        {ns.name for r in p.regions for ns in r.namespaces}


# ------------------------------------------------- 1. seed-ram-pmem-same-section.yaml
SEED = "seed-ram-pmem-same-section.yaml"


def test_seed_61_no_padding():
    r = layout(SEED)
    assert r.kernel == "6.1"
    ns = r.namespace("namespace0.0")
    # e820 region0 0x200000000-0x303ffffff: size 0x104000000 = 4160M = 4362076160
    # era C (§1.1; observations rule 3), A = max(2M, compat 2M) = 2M
    # end 0x304000000 is 2M aligned -> end_trunc 0
    # n0 = (4362076160 - 8192)/4096 = 1064960 - 2 = 1064958; 64*n0 = 68157312
    # dataoff = ALIGN(0x200000000 + 8192 + 68157312, 2M) - 0x200000000
    #         = ALIGN(68165504, 2M) = 33 * 2097152 = 69206016 (66M)
    # npfns = (4362076160 - 69206016)/4096 = 1048064; usable = 1048064*4096 = 4292870144 (4094M)
    check_pfn(ns, start=0x200000000, dataoff=69206016, npfns=1048064, align=2 * M, usable=4292870144)
    assert ns.info_block["version_minor"] == 4
    # NFIT regions 127G = 136365211648, section aligned at both ends
    # n0 = 136365211648/4096 - 2 = 33292286; 64*n0 = 2130706304; +8K = 2130714496
    # ALIGN(2130714496, 2M): 2130706432 = 1016*2M < it -> 1017*2M = 2132803584 (2034M)
    # npfns = 33292288 - 2132803584/4096 (= 520704) = 32771584; usable = 134232408064
    for name, start in (("namespace1.0", 0x440000000), ("namespace2.0", 0x2400000000)):
        check_pfn(r.namespace(name), start=start, dataoff=2132803584, npfns=32771584,
                  usable=134232408064)


def test_seed_shared_section_ram_pmem():
    r = layout(SEED)
    shared = ns_sections(r)
    # 0x300000000 / 0x8000000 = 0x60 = 96; pmem tail 0x300000000-0x303ffffff and RAM
    # head 0x304000000-0x307ffffff; boundary 0x304000000 is 2M aligned -> no shared
    # sub-section (§3.2 consequence (a))
    assert [s.nr for s in shared] == [0x60]
    assert set(shared[0].owners) == {"namespace0.0", "System RAM"}
    assert shared[0].collision == "section"
    assert shared[0].start == 0x300000000


def test_seed_legacy_52_padding():
    r = layout(SEED)
    old = r.legacy
    assert r.summary.legacy_kernel == "5.2"
    ns = old.namespace("namespace0.0")
    # era A3 (§1.1, §5.5): start 0x200000000 is section aligned -> start_pad 0
    # [start, SECTION_ALIGN_UP(end) = 0x308000000) holds RAM 0x304000000.. -> MIXED
    # end_trunc = 0x304000000 - min(SECTION_ALIGN_DOWN = 0x300000000, ALIGN_DOWN(end, 2M))
    #           = 0x4000000 = 67108864 (64M)
    # n0 = SECTION_ALIGN_UP_pages((4160M - 64M - 8K)/4K = 1048574) = 1048576 (32 sections)
    # offset = ALIGN(start + 8K + 64*1048576 = 64M + 8K, max(2M, PMD 2M)) = 66M = 69206016
    # npfns = (4160M - 66M - 0 - 64M)/4K = 4030M/4K = 1031680; usable 4030M = 4225761280
    check_pfn(ns, dataoff=69206016, npfns=1031680, start_pad=0, end_trunc=64 * M,
              usable=4225761280)
    # NFIT namespaces: section aligned, no RAM or other region in their sections ->
    # no padding; n0 = SECTION_ALIGN_UP_pages(33292286) = 33292288 (1016 sections),
    # offset ALIGN(8K + 2130706432, 2M) = 2132803584 as on 6.1
    for name in ("namespace1.0", "namespace2.0"):
        check_pfn(old.namespace(name), dataoff=2132803584, npfns=32771584, usable=134232408064)
    # the same through a direct 5.2 run
    direct = compute_layout(platform(SEED), kernel="5.2", legacy=None).namespace("namespace0.0")
    assert direct.info_block["end_trunc"] == 64 * M and direct.info_block["start_pad"] == 0
    assert direct.usable_size == 4225761280
    # 6.1 pays 0 where 5.2 paid 64M of end_trunc
    assert r.summary.padding_saved == 64 * M
    assert r.summary.only_enabled_under_kernel == []
    assert r.summary.only_enabled_under_legacy == []


# -------------------------------------------- 2. ndctl-issue76-pmem-pmem-collision.yaml
I76 = "ndctl-issue76-pmem-pmem-collision.yaml"
# 252G = 270582939648 bytes = 66060288 pages
# n0 (era C) = 66060288 - 2 = 66060286; 64*n0 = 4227858304; +8K = 4227866496
# ALIGN(.., 2M): 4032M = 4227858432 < it -> 4034M = 4229955584 (starts are 2M aligned)
I76_DATAOFF = 4229955584
I76_SECTION = 0x5778000000 // 0x8000000   # = 0xaef = 2799


def test_issue76_61_both_enable():
    r = layout(I76)
    # first-fit from each region start (§6.2)
    # npfns = (270582939648 - 4229955584)/4096 = 66060288 - 1032704 = 65027584
    # usable = 65027584 * 4096 = 266352984064 (252G - 4034M = 254014M)
    check_pfn(r.namespace("namespace0.0"), start=0x187c000000, dataoff=I76_DATAOFF,
              npfns=65027584, usable=266352984064)
    check_pfn(r.namespace("namespace1.0"), start=0x577c000000, dataoff=I76_DATAOFF,
              npfns=65027584, usable=266352984064)
    shared = ns_sections(r)
    # 0x187c000000 + 252G (0x3f00000000) = 0x577c000000, 64M into section 0xaef
    assert [s.nr for s in shared] == [I76_SECTION]
    assert set(shared[0].owners) == {"namespace0.0", "namespace1.0"}
    # the boundary is 2M aligned: sub-sections 0-31 vs 32-63, no overlap
    assert shared[0].collision == "section"


def test_issue76_legacy_52_pads_each_side_64m():
    r = layout(I76)
    old = r.legacy
    # A3 trim_pfn_device (§1.1, §5.5), nd_region_conflict:
    # ns0: [SECTION_ALIGN_DOWN(0x187c000000) = 0x1878000000, end) has no RAM (RAM ends
    #      at 0x1800000000) and no other region -> start_pad 0;
    #      [start, SECTION_ALIGN_UP(0x577c000000) = 0x5780000000) overlaps region1 ->
    #      end_trunc = 0x577c000000 - 0x5778000000 = 0x4000000 = 64M
    # ns1: [0x5778000000, end) overlaps region0 -> start_pad = 0x5780000000 - 0x577c000000 = 64M;
    #      end 0x967c000000: nothing in [end, 0x9680000000) and 2M aligned -> end_trunc 0
    # n0 = SECTION_ALIGN_UP_pages((252G - 64M - 8K)/4K = 66043902) = 2016 * 32768 = 66060288
    # offset = ALIGN(s' + 8K + 64*66060288 (= 4032M), 2M) - s' = 4034M = 4229955584
    # npfns = (252G - 4034M - 64M)/4K = 253950M/4K = 65011200
    # usable = 253950M = 266285875200 (ndctl: "248.00 GiB", as in the issue)
    check_pfn(old.namespace("namespace0.0"), dataoff=I76_DATAOFF, npfns=65011200,
              start_pad=0, end_trunc=64 * M, usable=266285875200)
    check_pfn(old.namespace("namespace1.0"), dataoff=I76_DATAOFF, npfns=65011200,
              start_pad=64 * M, end_trunc=0, usable=266285875200)
    assert round(266285875200 / G, 2) == 248.00
    # 6.1 saves 64M + 64M
    assert r.summary.padding_saved == 128 * M


def test_issue76_419_conflicting_mapping():
    # 4.19.0 pads only for System RAM (trim_pfn_device() reached 4.19.y at .13, engine/legacy.py)
    r = layout(I76, "4.19")
    ns0 = r.namespace("namespace0.0")
    # n0 = PFN_SECTION_ALIGN_UP((252G - 8K)/4K) = 66060288; offset = ALIGN(8K + 64*n0, 2M) = 4034M
    # npfns = (252G - 4034M)/4K = 65027584
    check_pfn_layout = ns0.info_block
    assert (check_pfn_layout["dataoff"], check_pfn_layout["npfns"]) == (I76_DATAOFF, 65027584)
    assert ns0.info_block["version_minor"] == 2
    # both ranges start and end 64M into a section: hot-added with 2017 sections, a memmap
    # reserved for 2016: vmemmap_populate() finds the altmap exhausted (-ENOMEM, no fallback;
    # observed on 5.2.1 for a 256M DIMM at 7G+4K), before any same-section conflict
    for name in ("namespace0.0", "namespace1.0"):
        n = r.namespace(name)
        assert n.status == "failed" and n.error.by == "kernel" and n.error.errno == "ENOMEM", name
        assert n.error.cause == Cause.ALTMAP_EXHAUSTED, name
    # 4.19.150 pads both to whole sections (trim_pfn_device(), 64M each) and maps both
    r = layout(I76, "4.19.150")
    assert [n.status for n in r.namespaces] == ["enabled", "enabled"]
    assert r.namespace("namespace0.0").info_block["end_trunc"] == 64 * M
    assert r.namespace("namespace1.0").info_block["start_pad"] == 64 * M


# ----------------------------------------------------------------- 3. qemu-nvdimm.yaml
QEMU = "qemu-nvdimm.yaml"


def test_qemu_labelled_region_modes():
    r = layout(QEMU)
    # first fit in list order from 0x100000000 (§6.2): 256M, 256M, 128M, 64M, 128M
    # fsdax/devdax 256M = 65536 pages: n0 = 65534, 64*n0 = 4194176, +8K = 4202368
    # ALIGN(4202368, 2M) = 6M = 6291456; npfns = (256M - 6M)/4K = 250*256 = 64000
    # usable 250M = 262144000 (same as kernel-observations e820_aligned)
    check_pfn(r.namespace("namespace0.0"), start=0x100000000, dataoff=6 * M, npfns=64000,
              align=2 * M, usable=262144000)
    check_pfn(r.namespace("namespace0.1"), start=0x110000000, dataoff=6 * M, npfns=64000,
              align=2 * M, usable=262144000)
    # sector 128M, BTT v1.1, L 4096 (§10.5 closed form):
    # 4096 * (floor((134217728 - 32768)/4100) - 256) = 4096 * (32728 - 256) = 4096 * 32472
    #   (4100 * 32728 = 134184800 <= 134184960 < 134188900)
    sec = r.namespace("namespace0.2")
    assert sec.status == "enabled" and sec.start == 0x120000000
    assert sec.usable_size == 32472 * 4096 == 133005312
    assert sec.info_block is None
    # raw: the whole 64M, no info block
    raw = r.namespace("namespace0.3")
    assert raw.status == "enabled" and raw.start == 0x128000000
    assert raw.usable_size == 64 * M and raw.info_block is None
    # fsdax map=mem 128M at 0x12c000000: dataoff = ALIGN(start + 8K, 2M) - start = 2M
    # npfns = (128M - 2M)/4K = 126*256 = 32256; usable 126M = 132120576
    check_pfn(r.namespace("namespace0.4"), start=0x12c000000, dataoff=2 * M, npfns=32256,
              usable=132120576)


def test_qemu_region_available_and_kmem():
    r = layout(QEMU)
    reg0 = next(x for x in r.regions if x.name == "region0")
    # region align 16M (§6.1); free = (1G - 128K) - 832M = 191.875M -> ALIGN_DOWN 16M = 176M
    assert reg0.align == 16 * M
    assert reg0.available_size == 176 * M
    ns = r.namespace("namespace1.0")
    # devdax 512M at 0x140000000: n0 = 131070, 64*n0 = 8388480, +8K = 8396672 > 8M -> 10M
    # npfns = (512M - 10M)/4K = 502*256 = 128512; usable 502M = 526385152
    check_pfn(ns, start=0x140000000, dataoff=10 * M, npfns=128512, usable=526385152)
    # kmem (§7): dax range [0x140a00000, 0x160000000); mbs 128M
    # ALIGN(0x140a00000, 128M) = 0x148000000; ALIGN_DOWN(0x160000000, 128M) = 0x160000000
    # online = 0x18000000 = 384M = 3 blocks
    assert ns.kmem is not None and ns.kmem.error is None
    assert ns.kmem.memory_block_size == 128 * M
    assert ns.kmem.online_bytes == 384 * M
    assert ns.kmem.blocks == 3


def test_qemu_sections_and_legacy():
    r = layout(QEMU)
    by_nr = {s.nr: s for s in ns_sections(r)}
    # section 0x25 = 0x128000000-0x12fffffff: namespace0.3 (0x128000000-0x12bffffff)
    # and namespace0.4 (0x12c000000-...), boundary 2M aligned
    assert set(by_nr[0x25].owners) == {"namespace0.3", "namespace0.4"}
    assert by_nr[0x25].collision == "section"
    # 0x20..0x24 each hold one namespace only
    assert not set(by_nr) & {0x20, 0x21, 0x22, 0x23, 0x24}
    # 5.2: every namespace boundary against other regions/RAM is section aligned, the
    # only sharing pair (raw + map=mem) has one pgmap -> all enable, no padding
    old = r.legacy
    for n in old.namespaces:
        assert n.status == "enabled", (n.name, n.error)
        if n.info_block:
            assert n.info_block["start_pad"] == 0 and n.info_block["end_trunc"] == 0
    assert r.summary.padding_saved == 0


# --------------------------------------------------------- 4. optane-2socket-1008g.yaml
OPT = "optane-2socket-1008g.yaml"


def test_optane_regions_and_block_size():
    r = layout(OPT)
    # x86 5.9+ bare metal with boot memory end 0x13c80000000 >= 64G -> 2G blocks (§2.4)
    assert r.arch_info.memory_block_size == 2 * G
    regs = {x.name: x for x in r.regions}
    # 8-way: 16M % 8 == 0 -> region align stays 16M (§6.1; case 06 "align":16777216)
    assert regs["region1"].align == 16 * M and regs["region0"].align == 16 * M
    assert regs["region1"].size == 1082331758592 == 1008 * G      # case 06
    # free: 1008 - 256 - 128 - 256 = 368G; 1008 - 600 - 400 = 8G
    assert regs["region1"].available_size == 368 * G
    assert regs["region0"].available_size == 8 * G


def test_optane_devdax_kmem_2g_blocks():
    r = layout(OPT)
    ns = r.namespace("namespace1.0")
    # 256G = 67108864 pages: n0 = 67108862; 64*n0 = 4G - 128; +8K = 4G + 8064
    # ALIGN 2M -> 4G + 2M = 4297064448; npfns = (256G - 4G - 2M)/4K = 258046M/4K = 66059776
    # usable 258046M = 270580842496
    check_pfn(ns, start=0x2080000000, dataoff=4297064448, npfns=66059776, usable=270580842496)
    # kmem (§7): dax data [0x2080000000 + 0x100200000 = 0x2180200000, 0x6080000000)
    # ALIGN(0x2180200000, 2G) = 0x2200000000 (0x2180000000 = 67*2G is just below)
    # online = 0x6080000000 - 0x2200000000 = 0x3e80000000 = 250G = 125 blocks of 2G
    assert ns.kmem is not None and ns.kmem.error is None
    assert ns.kmem.online_bytes == 250 * G
    assert ns.kmem.blocks == 125
    assert ns.kmem.memory_block_size == 2 * G


def test_optane_fsdax_mem_and_dev():
    r = layout(OPT)
    # map=mem 128G at 0x6080000000: dataoff = ALIGN(start + 8K, 2M) - start = 2M
    # npfns = (128G - 2M)/4K = 33554432 - 512 = 33553920; usable 137436856320
    mem = r.namespace("namespace1.1")
    check_pfn(mem, start=0x6080000000, dataoff=2 * M, npfns=33553920, usable=137436856320)
    assert mem.map == "mem"
    # map=dev 256G at 0x8080000000: as namespace1.0 (same size, 2M-aligned start)
    check_pfn(r.namespace("namespace1.2"), start=0x8080000000, dataoff=4297064448,
              npfns=66059776, usable=270580842496)


def test_optane_sector_two_arenas():
    r = layout(OPT)
    ns = r.namespace("namespace0.0")
    assert ns.status == "enabled" and ns.start == 0x13c80000000
    # BTT v1.1 (§10.3/§10.4), S = 600G, raw = S - 4K
    # arena 0: 512G -> internal floor((2^39 - 28672)/4100) = 134086776, external 134086520
    # arena 1: raw - 512G = 88G - 4K = 94489276416 (4K multiple)
    #   internal floor((94489276416 - 28672)/4100) = floor(94489247744/4100) = 23046157
    #   (4100*23046157 = 94489243700, remainder 4044), external 23045901
    # usable = 4096 * (134086520 + 23045901) = 4096 * 157132421 = 643614396416
    assert ns.usable_size == 4096 * (134086520 + 23045901) == 643614396416


def test_optane_devdax_1g():
    r = layout(OPT)
    ns = r.namespace("namespace0.1")
    # 400G at 0x13c80000000 + 600G = 0x1d280000000 (2G multiple), A = 1G
    # n0 = 104857600 - 2; 64*n0 = 6.25G - 128; +8K -> ALIGN 1G = 7G = 7516192768
    # npfns = (400G - 7G)/4K = 393 * 262144 = 103022592; usable 393G = 421980536832
    check_pfn(ns, start=0x1d280000000, dataoff=7 * G, npfns=103022592, align=1 * G,
              usable=421980536832)


def test_optane_no_pmem_section_sharing_and_legacy():
    r = layout(OPT)
    # all pmem boundaries are 2G (or coarser) aligned: no section holds a namespace
    # together with anything else
    assert ns_sections(r) == []
    # 5.2: no RAM/region in any namespace's sections -> no padding
    for n in r.legacy.namespaces:
        assert n.status == "enabled", (n.name, n.error)
        if n.info_block:
            assert n.info_block["start_pad"] == 0 and n.info_block["end_trunc"] == 0
    assert r.summary.padding_saved == 0


def test_optane_case06_whole_region_fsdax_capacity():
    # The real capture (case 06): a whole-region fsdax map=dev namespace lists as
    # 1065418227712 bytes.  By hand: 1008G = 264241152 pages; n0 = 264241150;
    # 64*n0 = 15.75G - 128 = 16911433600; +8K = 16911441792; ALIGN 2M: 16128M is
    # 16911433728 < it -> 16130M = 16913530880 (region - namespace in case 06)
    # usable = 1008G - 16130M = 1016062M = 1065418227712
    p = copy.deepcopy(platform(OPT))
    p.regions[0].namespaces = [Namespace(name="namespace1.0", size=1008 * G, mode="fsdax", map="dev")]
    p.regions[1].namespaces = []
    r = compute_layout(p, legacy=None)
    check_pfn(r.namespace("namespace1.0"), start=0x2080000000, dataoff=16913530880,
              npfns=1065418227712 // 4096, usable=1065418227712)


# ------------------------------------------------------- 5. arm64-before-after-5.12.yaml
ARM = "arm64-before-after-5.12.yaml"


def test_arm64_targets():
    p = platform(ARM)
    assert p.arch == "arm64" and p.kernel == "5.10"
    assert p.targets == ["5.10", "5.15"]


def test_arm64_section_size_per_kernel():
    # §2.1: arm64 4K pages: SECTION_SIZE_BITS 30 before 5.12, 27 from 5.12;
    # §2.4: memory block = one section
    r510, r515 = layout(ARM, "5.10"), layout(ARM, "5.15")
    assert r510.arch_info.section_size == 1 * G
    assert r510.arch_info.memory_block_size == 1 * G
    assert r515.arch_info.section_size == 128 * M
    assert r515.arch_info.memory_block_size == 128 * M
    assert r510.arch_info.subsection_size == r515.arch_info.subsection_size == 2 * M


def test_arm64_shared_section_only_with_1g_sections():
    r510, r515 = layout(ARM, "5.10"), layout(ARM, "5.15")
    shared = ns_sections(r510)
    # 1G sections: RAM 0x40000000-0x137ffffff and pmem from 0x138000000 share section
    # nr 0x100000000 >> 30 = 4; 0x138000000 is 2M aligned -> "section" only
    assert [s.nr for s in shared] == [4]
    assert set(shared[0].owners) == {"System RAM", "namespace0.0"}
    assert shared[0].collision == "section"
    # 128M sections: 0x138000000 = 39 * 128M, region0 end 0x240000000 and region1 end
    # are 128M multiples -> nothing shared
    assert ns_sections(r515) == []


def test_arm64_namespace_same_on_both():
    # era C on both (5.3+ sub-sections): 4224M = 1081344 pages; n0 = 1081342
    # 64*n0 = 69205888; +8K = 69214080 > 66M (69206016) -> ALIGN 2M = 68M = 71303168
    # npfns = (4224M - 68M)/4K = 4156*256 = 1063936; usable 4156M = 4357881856
    for k in ("5.10", "5.15"):
        r = layout(ARM, k)
        check_pfn(r.namespace("namespace0.0"), start=0x138000000, dataoff=68 * M,
                  npfns=1063936, usable=4357881856)
        # devdax 2G at 0x240000000: n0 = 524286, 64*n0 = 32M - 128, +8K -> 34M
        # npfns = (2G - 34M)/4K = 2014*256 = 515584; usable 2014M = 2111832064
        check_pfn(r.namespace("namespace1.0"), start=0x240000000, dataoff=34 * M,
                  npfns=515584, usable=2111832064)


def test_arm64_kmem_block_size():
    # dax data [0x240000000 + 34M = 0x242200000, 0x2c0000000)
    # 5.10, 1G blocks: ALIGN(0x242200000, 1G) = 0x280000000 -> 0x2c0000000 - 0x280000000 = 1G
    k510 = layout(ARM, "5.10").namespace("namespace1.0").kmem
    assert k510 is not None and k510.online_bytes == 1 * G and k510.blocks == 1
    # 5.15, 128M blocks: ALIGN(0x242200000, 128M) = 0x248000000 -> 0x78000000 = 1920M = 15 blocks
    k515 = layout(ARM, "5.15").namespace("namespace1.0").kmem
    assert k515 is not None and k515.online_bytes == 1920 * M and k515.blocks == 15


def test_arm64_legacy_has_no_zone_device():
    # arm64 had no memory hot-remove, so no ZONE_DEVICE, before 5.7 (engine/arch.py): under
    # the 5.2 comparison neither namespace can be fsdax/devdax (no pfn/dax seed)
    r = layout(ARM, "5.10")
    for name in ("namespace0.0", "namespace1.0"):
        old = r.legacy.namespace(name)
        assert old.status == "refused" and old.error.cause == Cause.NO_ZONE_DEVICE, name
    assert r.summary.only_enabled_under_kernel == ["namespace0.0", "namespace1.0"]
    assert r.summary.padding_saved == 0


def test_arm64_1g_section_padding_formula():
    # the pre-5.3 formula with 1G sections (a kernel that had ZONE_DEVICE, e.g. a vendor
    # backport): [0x100000000, end) is MIXED with RAM -> start_pad = 0x140000000 -
    # 0x138000000 = 128M; n0 = SECTION_ALIGN_UP_pages((4224M - 128M - 8K)/4K = 1048574),
    # 262144 pages per section -> 1048576; 64*n0 = 64M
    # offset = ALIGN(0x140000000 + 8K + 64M, 2M) - 0x140000000 = 66M = 69206016
    # npfns = (4224M - 66M - 128M)/4K = 4030*256 = 1031680; usable 4030M = 4225761280
    from pmemplan.engine.arch import arch_profile
    from pmemplan.engine.memory import REGION_DISJOINT, REGION_MIXED
    from pmemplan.engine.pfn_devs import nd_pfn_init
    from pmemplan.kversion import KernelVersion
    start = 0x138000000

    def ram(lo, hi):
        return REGION_MIXED if lo < start < hi else REGION_DISJOINT

    ib = nd_pfn_init(arch_profile("arm64", KernelVersion.parse("5.2"), page_size=4096), name="n",
                     start=start, size=4224 * M, devdax=False, map="dev", align=2 * M, ram=ram,
                     other_regions=[])
    assert (ib.dataoff, ib.npfns, ib.start_pad, ib.end_trunc, ib.usable_size) == \
        (66 * M, 1031680, 128 * M, 0, 4225761280)


# ------------------------------------------------------------------- 6. ppc64-hash.yaml
PPC = "ppc64-hash.yaml"


def test_ppc64_hash_constants():
    r = layout(PPC)
    assert r.kernel == "5.15"
    # §4 memremap_compat_align(): hash -> 16M; §2.1 SECTION_SIZE_BITS 24
    assert r.arch_info.compat_align == 16 * M
    assert r.arch_info.section_size == 16 * M
    assert r.arch_info.page_size == 64 * K
    assert r.arch_info.pmd_size == 16 * M


def test_ppc64_hash_aligned_region():
    ns = layout(PPC).namespace("namespace0.0")
    # of_pmem sets ND_REGION_PAGEMAP like e820 and virtio-pmem (observed for those two on
    # 6.1/6.12): the namespace boots in legacy memory mode, which ndctl lists as fsdax, so
    # fsdax without -a keeps the page size: align 64K; A = max(64K, compat 16M) = 16M
    # n0 = PHYS_PFN(1G - 8K) = floor(16383.875) = 16383 (64K pages); 64*n0 = 1048512
    # dataoff = ALIGN(0x100000000 + 8K + 1048512, 16M) - start = 16M
    # npfns = (1G - 16M)/64K = 1008*16 = 16128; usable 16128 * 64K = 1008M = 1056964608
    check_pfn(ns, start=0x100000000, dataoff=16 * M, npfns=16128, align=64 * 1024,
              usable=1056964608)


def test_ppc64_hash_start_misaligned_to_16m():
    r = layout(PPC)
    ns = r.namespace("namespace1.0")
    # 0x180200000 % 2M == 0 but % 16M == 2M -> §5.3 step 5, -EINVAL, by the kernel
    assert 0x180200000 % (2 * M) == 0 and 0x180200000 % (16 * M) == 2 * M
    assert ns.status == "failed"
    assert ns.start == 0x180200000
    assert ns.error.by == "kernel"
    assert ns.error.errno == "EINVAL"
    assert "misaligned to 0x1000000" in ns.error.message
    # before 5.7 there is no compat check: enabled on the 5.2 comparison run
    assert r.summary.only_enabled_under_legacy == ["namespace1.0"]


def test_ppc64_hash_legacy_52_info_block():
    old = layout(PPC).legacy.namespace("namespace1.0")
    # ndctl: pre-5.4 default align HPAGE (16M); region start not a multiple -> 64K (§8 step 6)
    # A3 with 64K pages: R = ALIGN(8K, 64K) = 64K; no RAM/region in [0x180000000, 0x191000000)
    # -> start_pad 0; end 0x190200000 is 64K aligned -> end_trunc 0
    # n0 = SECTION_ALIGN_UP_pages((256M - 64K)/64K = 4095), 256 pages/section -> 4096
    # offset = ALIGN(0x180200000 + 64K + 64*4096 (256K), max(64K, PMD 16M)) - 0x180200000
    #        = 0x181000000 - 0x180200000 = 14M
    # npfns (A3 counts stored npfns in 4K units) = (256M - 14M)/4K = 242*256 = 61952
    # usable (sysfs size) = 256M - 14M = 242M = 253755392
    check_pfn(old, dataoff=14 * M, npfns=61952, start_pad=0, end_trunc=0, align=64 * K,
              usable=253755392)


def test_ppc64_radix_accepts_same_start():
    p = platform(PPC).replace(mmu="radix")
    r = compute_layout(p, legacy=None)
    assert r.arch_info.compat_align == 2 * M
    # radix PMD 2M; 0x180200000 % 2M == 0 -> align 2M; A = 2M
    # n0 = floor((256M - 8K)/64K) = 4095; 64*n0 = 262080; +8K = 270272 -> ALIGN 2M = 2M
    # npfns = (256M - 2M)/64K = 254*16 = 4064; usable 254M = 266338304
    check_pfn(r.namespace("namespace1.0"), start=0x180200000, dataoff=2 * M, npfns=4064,
              usable=266338304)


# ------------------------------------------------------ 7. ndctl-sub-section-test.yaml
SUB = "ndctl-sub-section-test.yaml"
SUB_NAMES = [f"namespace0.{i}" for i in range(10)]


def test_subsection_61_all_enable():
    r = layout(SUB)
    for i, name in enumerate(SUB_NAMES):
        # 16M at 0x100000000 + i*16M; n0 = 4094, 64*n0 = 262016, +8K = 270208 -> ALIGN 2M = 2M
        # npfns = 14M/4K = 3584; usable 14M (§5.3 worked example)
        check_pfn(r.namespace(name), start=0x100000000 + i * 16 * M, dataoff=2 * M,
                  npfns=3584, usable=14 * M)
    by_nr = {s.nr: s for s in ns_sections(r)}
    # 0x100000000 >> 27 = 32: namespace0.0-0.7; 33: namespace0.8-0.9 + free region0
    assert set(by_nr) == {32, 33}
    assert set(by_nr[32].owners) == set(SUB_NAMES[:8])
    assert set(by_nr[33].owners) == {"namespace0.8", "namespace0.9", "region0"}
    assert by_nr[32].collision == by_nr[33].collision == "section"


def test_subsection_legacy_52_first_per_section():
    r = layout(SUB)
    old = r.legacy
    for name in ("namespace0.0", "namespace0.8"):
        # A3: no RAM/other region -> no padding
        # n0 = SECTION_ALIGN_UP_pages((16M - 8K)/4K = 4094) = 32768; 64*n0 = 2M
        # offset = ALIGN(start + 8K + 2M, 2M) - start = 4M; npfns = (16M - 4M)/4K = 3072
        # usable 12M
        check_pfn(old.namespace(name), dataoff=4 * M, npfns=3072, start_pad=0, end_trunc=0,
                  usable=12 * M)
    for name in SUB_NAMES[1:8] + ["namespace0.9"]:
        ns = old.namespace(name)
        # §4 step 2 (<= 5.2): pgmap looked up at the section-expanded bounds
        assert ns.status == "failed", name
        assert ns.error.by == "kernel"
        assert ns.error.errno == "ENOMEM"
        assert "conflicting mapping in same section" in ns.error.message.lower()
    assert r.summary.only_enabled_under_kernel == SUB_NAMES[1:8] + ["namespace0.9"]
    assert r.summary.padding_saved == 0
    reg = next(x for x in r.regions if x.name == "region0")
    # (1G - 128K) - 160M = 863.875M -> ALIGN_DOWN 16M = 848M
    assert reg.available_size == 848 * M
