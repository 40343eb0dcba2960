"""The pre-5.3 kernels (issue 11): worked examples for the legacy eras, measured on Linux
5.2.1 where the harness could boot them (docs/kernel-model.md §2, §5.1, §6.2, §7.3)."""
from __future__ import annotations

import pytest

from pmemplan.engine.arch import arch_profile
from pmemplan.engine.layout import run_engine
from pmemplan.engine.memory import MemoryState
from pmemplan.engine.ndctl import boot_state_enabled, namespace_prep_reconfig
from pmemplan.kversion import KernelVersion
from pmemplan.platform import Platform

M, G = 1 << 20, 1 << 30


def K(v: str) -> KernelVersion:
    return KernelVersion.parse(v)


def e820(start: int, size: int, mode: str = "fsdax", map_: str = "mem", kernel: str = "5.2.1",
         ram_end: int = 2 * G, **ns) -> Platform:
    """An e820 range [start, start+size) cut out of System RAM [0, ram_end)."""
    mem = [{"type": "system-ram", "start": hex(0x100000), "size": hex(start - 0x100000)}]
    if ram_end > start + size:
        mem.append({"type": "system-ram", "start": hex(start + size), "size": hex(ram_end - start - size)})
    nsd = {"name": "namespace0.0", "mode": mode, **ns}
    if mode == "fsdax":
        nsd["map"] = map_
    return Platform.from_dict({"format": "1", "kernel": kernel, "memory": mem, "regions": [
        {"name": "region0", "provider": "e820", "start": hex(start), "size": hex(size),
         "labels": False, "namespaces": [nsd]}]})


# -- item 4: a raw e820 namespace in a section shared with System RAM ------------------

def test_raw_e820_sharing_a_section_with_ram_fails_on_5_2():
    """100M at 1000M: both sections [896M,1G) and [1G,1152M) hold System RAM.  5.2's
    devm_memremap_pages() checks the section-widened range: -ENXIO "attempted on mixed
    region" (observed on 5.2.1, kernel-cases-5.2 e820_unaligned_100M-b1-013)."""
    res = run_engine(e820(1000 * M, 100 * M), K("5.2.1"), verify=False)
    ns = res.namespace("namespace0.0")
    assert ns.status == "failed"
    assert ns.error.errno == "ENXIO" and ns.error.by == "kernel"
    assert "devm_memremap_pages attempted on mixed region [mem 0x3e800000-0x44bfffff" in ns.error.message
    assert ns.usable_size is None


def test_raw_e820_sharing_a_section_with_ram_maps_from_5_3():
    """5.3-5.6: the exact range is checked (no region align yet, so 100M is accepted)."""
    res = run_engine(e820(1000 * M, 100 * M), K("5.4"), verify=False)
    ns = res.namespace("namespace0.0")
    assert ns.status == "enabled" and ns.usable_size == 100 * M and ns.pages_in == "ram"


@pytest.mark.parametrize("kernel", ["4.14", "4.19.150", "5.0", "5.2.1"])
def test_raw_e820_on_whole_sections_maps_before_5_3(kernel):
    """256M at 1G: whole sections, no RAM in them: mapped with pages in RAM, 64 B/page."""
    res = run_engine(e820(G, 256 * M), K(kernel), verify=False)
    ns = res.namespace("namespace0.0")
    assert ns.status == "enabled" and ns.usable_size == 256 * M and ns.pages_in == "ram"
    assert ns.memmap_ram_bytes == 256 * M // 4096 * 64


def test_raw_e820_sharing_a_section_with_ram_at_one_end_only_fails():
    """Start on a section, end 64M into one with RAM after it: the widened range is mixed."""
    res = run_engine(e820(G, 192 * M), K("5.2.1"), verify=False)
    assert res.namespace("namespace0.0").status == "failed"
    # RAM ends at the region's end: the last section holds no RAM, the namespace maps
    res = run_engine(e820(G, 192 * M, ram_end=G + 192 * M), K("5.2.1"), verify=False)
    assert res.namespace("namespace0.0").status == "enabled"


def test_boot_state_of_a_raw_e820_namespace_sharing_ram_is_disabled_before_5_3():
    p = e820(1000 * M, 100 * M)
    r = p.regions[0]
    ram = [(m.start, m.end) for m in p.memory if m.type == "system-ram"]
    for kernel, enabled in (("5.2.1", False), ("4.19", False), ("5.3", True), ("6.1", True)):
        prof = arch_profile("x86_64", K(kernel))
        mem = MemoryState(prof, ram)
        assert boot_state_enabled(prof, r, mem.region_intersects_system_ram) is enabled, kernel
        # a disabled namespace needs no --force: ndctl's -EBUSY does not apply
        ns = r.namespaces[0].replace(force=False)
        err = namespace_prep_reconfig(prof, r, ns, mem.region_intersects_system_ram)
        assert (err is None) is (not enabled), kernel
    prof = arch_profile("x86_64", K("5.2.1"))
    assert boot_state_enabled(prof, r) is True      # without the memory map: assumed enabled


# -- item 1: the pre-5.3 switches per release and stable point release ----------------

from pmemplan.engine.arch import arch_profile as _prof          # noqa: E402
from pmemplan.engine.legacy import legacy_rules, stable_note   # noqa: E402
from pmemplan.engine.memory import REGION_DISJOINT, REGION_MIXED   # noqa: E402
from pmemplan.engine.pfn_devs import InfoBlock, nd_pfn_init     # noqa: E402

# (kernel, pmd_align, section_npfns, align_trunc, region_pad, overtrim, reserve_ibr, minor,
#  pgmap_exact, section_conflict) -- each row read in that release's source (engine/legacy.py)
RULES = [
    ("4.9", 0, 0, 0, 0, 0, 0, 2, 0, 0),
    ("4.10.1", 1, 0, 0, 0, 0, 0, 2, 0, 0),
    ("4.10.17", 1, 1, 0, 0, 0, 0, 2, 0, 0),
    ("4.11", 1, 0, 0, 0, 0, 0, 2, 0, 0),
    ("4.12", 1, 1, 0, 0, 0, 0, 2, 0, 0),
    ("4.13.4", 1, 1, 0, 0, 0, 0, 2, 0, 0),
    ("4.14.67", 1, 1, 1, 0, 0, 0, 2, 1, 0),
    ("4.17", 1, 1, 1, 0, 0, 0, 2, 1, 0),
    ("4.18", 1, 1, 1, 0, 0, 0, 2, 1, 1),
    ("4.19.1", 1, 1, 1, 0, 0, 0, 2, 1, 1),
    ("4.19.13", 1, 1, 1, 1, 1, 0, 2, 1, 1),
    ("4.19.48", 1, 1, 1, 1, 0, 0, 2, 1, 1),
    ("4.19.72", 1, 1, 1, 1, 0, 0, 3, 1, 1),
    ("4.19.150", 1, 1, 1, 1, 0, 0, 3, 1, 1),
    ("4.20.1", 1, 1, 1, 1, 1, 0, 2, 1, 1),
    ("5.0.1", 1, 1, 1, 1, 1, 0, 2, 1, 1),
    ("5.1.15", 1, 1, 1, 1, 0, 1, 2, 1, 1),
    ("5.2.1", 1, 1, 1, 1, 0, 1, 2, 1, 1),
]


@pytest.mark.parametrize("row", RULES, ids=[r[0] for r in RULES])
def test_legacy_rules_per_release(row):
    r = legacy_rules(K(row[0]))
    got = (r.pmd_align, r.section_npfns, r.align_trunc, r.region_pad, r.overtrim, r.reserve_ibr,
           r.version_minor, r.pgmap_exact, r.section_conflict)
    assert got == tuple(bool(x) if i != 6 else x for i, x in enumerate(row[1:])), row[0]


def test_stable_note_inside_a_bracket_only():
    assert stable_note(K("4.19.5")) and "between .1 (without) and .13" in stable_note(K("4.19.5"))
    assert stable_note(K("4.19.30")) and ".48" in stable_note(K("4.19.30"))
    for v in ("4.19", "4.19.1", "4.19.13", "4.19.48", "4.19.150", "5.2.1", "6.1"):
        assert stable_note(K(v)) is None, v


def _no_ram(lo: int, hi: int) -> int:
    return REGION_DISJOINT


def _init(kernel: str, start: int, size: int, *, devdax: bool = False, map_: str = "dev",
          align: int = 2 * M, ram=_no_ram, others=()):
    return nd_pfn_init(_prof("x86_64", K(kernel)), name="ns", start=start, size=size, devdax=devdax,
                       map=map_, align=align, ram=ram, other_regions=list(others))


def test_4_19_150_lays_out_like_5_0_not_like_4_9():
    """960 MiB fsdax map=dev at 4G, align 2M (7.5 sections of pages).
    4.9/4.11: n0 = (960M - 8K)/4K = 245758, 64·n0 = 15M - 128 → + 8K → ALIGN(, 2M) = 16 MiB.
    4.12+ (4.19.150, 5.0, 5.2): n0 = PFN_SECTION_ALIGN_UP(245758) = 262144 pages, 16 MiB of
    memmap + 8K → 18 MiB."""
    for v, off in (("4.9", 16 * M), ("4.11", 16 * M), ("4.12", 18 * M), ("4.19.150", 18 * M),
                   ("5.0", 18 * M), ("5.2", 18 * M)):
        ib = _init(v, 4 * G, 960 * M)
        assert isinstance(ib, InfoBlock) and ib.dataoff == off, v
        assert ib.usable_size == 960 * M - off
        assert ib.npfns == (960 * M - off) // 4096
    assert _init("4.19.150", 4 * G, G).version_minor == 3
    assert _init("4.19.48", 4 * G, G).version_minor == 2


def test_devdax_label_reserve_until_5_1():
    """devdax 4K align on 5.0 and 4.19.y: 8K + 128K label reserve + memmap, ALIGN(, max(4K, 2M))
    map=dev: the PMD alignment hides it; map=mem (no memmap): ALIGN(8K + 128K, 4K) = 136K."""
    assert _init("5.0", 4 * G, G, devdax=True, map_="mem", align=4096).dataoff == 136 * 1024
    assert _init("4.19.150", 4 * G, G, devdax=True, map_="mem", align=4096).dataoff == 136 * 1024
    assert _init("5.1", 4 * G, G, devdax=True, map_="mem", align=4096).dataoff == 8 * 1024
    assert _init("5.2.1", 4 * G, G, devdax=False, map_="mem", align=4096).dataoff == 8 * 1024


def test_pmd_alignment_of_map_dev_from_4_10():
    """fsdax map=dev align 4K, 1G at 4G: n0 = 262142 pages, 64·n0 + 8K = 16M + 8064.
    4.9 aligns the data to 4K: 16M + 8K; 4.10+ to max(4K, HPAGE_SIZE) = 2M: 18M."""
    assert _init("4.9", 4 * G, G, align=4096).dataoff == 16 * M + 8 * 1024
    assert _init("4.10", 4 * G, G, align=4096).dataoff == 18 * M


def test_end_trimmed_to_align_from_4_14():
    """1G + 1M at 4G (no RAM, no neighbour), align 2M: the end is not 2M aligned.
    4.13 keeps it (no collision: end_trunc 0); 4.14+ trims to min(SECTION_DOWN, ALIGN_DOWN(2M))
    = 4G + 1G: end_trunc 1M, "alignment collision, truncate 1048576 bytes"."""
    ib = _init("4.13", 4 * G, G + M)
    assert ib.end_trunc == 0 and not ib.messages
    for v in ("4.14", "4.19", "5.2.1"):
        ib = _init(v, 4 * G, G + M)
        assert ib.end_trunc == M, v
        assert ib.messages == ("ns alignment collision, truncate 1048576 bytes",)


# -- item 2: nd_region_conflict(): the same bus, endpoints only ------------------------

SEC = 128 * M


def test_region_conflict_pads_against_a_region_holding_section_down_start():
    """nv_shared_section: nv0 [4G, 4G+1088M) and nv1 [0x144000000, +1G) on one NFIT bus.
    nv1: SECTION_DOWN(start) = 0x140000000 lies in nv0 → start_pad 64M (observed on 5.2.1)."""
    nv0 = (4 * G, 4 * G + G + 64 * M)
    ib = _init("5.2.1", 0x144000000, G, others=[nv0])
    assert ib.start_pad == 64 * M
    # 4.19.1: trim_pfn_device() not yet there: no padding against regions
    assert _init("4.19.1", 0x144000000, G, others=[nv0]).start_pad == 0
    assert _init("4.19.13", 0x144000000, G, others=[nv0]).start_pad == 64 * M


def test_region_conflict_misses_a_region_strictly_inside_the_gap():
    """Y = [4G + 64M, +1G); X = [4G + 16M, 4G + 48M) on the same bus, nothing at 4G.
    Y's check asks whether another region holds SECTION_DOWN(Y.start) = 4G or Y's end: none
    does, so Y is not padded although X shares its first section (the engine used to pad)."""
    x = (4 * G + 16 * M, 4 * G + 48 * M)
    ib = _init("5.2.1", 4 * G + 64 * M, G, others=[x])
    assert ib.start_pad == 0
    # X's end check: SECTION_UP(X.end) = 4G + 128M lies in (Y.start, Y.end]: X is trimmed to
    # min(SECTION_DOWN(end), ALIGN_DOWN(end, 2M)) = 4G, nothing left → refused
    y = (4 * G + 64 * M, 4 * G + 64 * M + G)
    err = _init("5.2.1", x[0], x[1] - x[0], others=[y])
    assert not isinstance(err, InfoBlock) and err.errno == "ENXIO"


def test_overtrim_of_5_0_looks_one_adjust_further():
    """X = [4G, 4G + 96M) fsdax; another region Z starts at 4G + 144M (past SECTION_UP(end) =
    4G + 128M by 16M, within adjust = 32M).  5.0's end check looks for a region at
    SECTION_UP(end) + adjust = 4G + 160M, which Z holds: end_trunc 96M, nothing left.
    5.1 (f101ada7da65) looks at 4G + 128M: no conflict."""
    z = (4 * G + 144 * M, 4 * G + 144 * M + G)
    assert isinstance(_init("5.1", 4 * G, 96 * M, others=[z]), InfoBlock)
    assert _init("5.1", 4 * G, 96 * M, others=[z]).end_trunc == 0
    err = _init("5.0", 4 * G, 96 * M, others=[z])
    assert not isinstance(err, InfoBlock) and "unable to satisfy" in err.message


def _pmem_platform(kernel: str, regions: list, memory=None) -> Platform:
    return Platform.from_dict({"format": "1", "kernel": kernel,
                               "memory": memory or [{"type": "system-ram", "start": "1M", "size": "1023M"}],
                               "regions": regions})


def test_regions_on_different_buses_do_not_pad_each_other():
    """An e820 range and an NVDIMM sharing a section: nd_region_conflict() does not see
    across buses, so 5.2 pads neither; the second to map then meets the first's pgmap only
    if it holds an endpoint of the widened range."""
    p = _pmem_platform("5.2.1", [
        {"name": "region0", "provider": "nfit", "start": "4G", "size": "1088M", "labels": False,
         "namespaces": [{"name": "namespace0.0", "mode": "fsdax", "map": "dev", "align": "2M"}]},
        {"name": "region1", "provider": "e820", "start": "0x144000000", "size": "1G", "labels": False,
         "namespaces": [{"name": "namespace1.0", "mode": "fsdax", "map": "dev", "align": "2M"}]}])
    res = run_engine(p, K("5.2.1"), verify=False)
    a, b = res.namespace("namespace0.0"), res.namespace("namespace1.0")
    assert a.status == "enabled" and a.info_block["end_trunc"] == 0
    # region1's widened start 0x140000000 lies in namespace0.0's exact pgmap
    assert b.status == "failed" and b.error.errno == "ENOMEM"
    assert "Conflicting mapping in same section" in b.error.message


# -- item 3: devm_memremap_pages() before 5.3 -----------------------------------------

def _two_e820(kernel: str, a: tuple, b: tuple) -> Platform:
    """Two raw e820 ranges in the section [1G, 1G + 128M), the rest of it reserved."""
    mem = [{"type": "system-ram", "start": "1M", "size": "1023M"},
           {"type": "reserved", "start": "1G", "size": hex(a[0] - G)}] if a[0] > G else \
          [{"type": "system-ram", "start": "1M", "size": "1023M"}]
    mem.append({"type": "system-ram", "start": hex(G + 128 * M), "size": "512M"})
    regions = [{"name": f"region{i}", "provider": "e820", "start": hex(s), "size": hex(e - s),
                "labels": False, "namespaces": [{"name": f"namespace{i}.0", "mode": "raw"}]}
               for i, (s, e) in enumerate((a, b))]
    return Platform.from_dict({"format": "1", "kernel": kernel, "memory": mem, "regions": regions})


@pytest.mark.parametrize("kernel,second", [("4.13", "EBUSY"), ("4.17", None), ("5.2.1", None), ("6.1", None)])
def test_second_raw_range_in_a_section_maps_when_the_first_holds_no_endpoint(kernel, second):
    """A = [1G + 16M, 1G + 64M), B = [1G + 64M, 1G + 128M), [1G, 1G + 16M) reserved.
    B's widened range is [1G, 1G + 128M): A holds neither 1G nor 1G + 128M - 1, so 4.18-5.2
    map B (the pgmap is registered on the exact range); 4.13 keys pgmaps by section (-EBUSY);
    4.14-4.17 have no same-section check."""
    p = _two_e820(kernel, (G + 16 * M, G + 64 * M), (G + 64 * M, G + 128 * M))
    res = run_engine(p, K(kernel), verify=False)
    assert res.namespace("namespace0.0").status == "enabled"
    b = res.namespace("namespace1.0")
    if second is None:
        assert b.status == "enabled", (kernel, b.error)
    else:
        assert b.status == "failed" and b.error.errno == second and "collides with mapping" in b.error.message


@pytest.mark.parametrize("kernel,second", [("4.17", None), ("5.2.1", "ENOMEM"), ("6.1", None)])
def test_second_raw_range_refused_when_the_first_holds_the_section_start(kernel, second):
    """A = [1G, 1G + 64M), B = [1G + 64M, 1G + 128M): A holds 1G, B's widened start."""
    p = _two_e820(kernel, (G, G + 64 * M), (G + 64 * M, G + 128 * M))
    res = run_engine(p, K(kernel), verify=False)
    assert res.namespace("namespace0.0").status == "enabled"
    b = res.namespace("namespace1.0")
    if second is None:
        assert b.status == "enabled", (kernel, b.error)
    else:
        assert b.status == "failed" and b.error.errno == second


# -- item 5: supported alignments before 5.4 ------------------------------------------

@pytest.mark.parametrize("kernel,refused", [("4.13", False), ("4.14", True), ("4.19.150", True),
                                            ("5.2.1", True), ("6.1", True)])
def test_unsupported_align_refused_from_4_14(kernel, refused):
    """align_store() checks nd_pfn_supported_alignments() from 4.14 (5.2.1 lists
    "4096 2097152 1073741824"); ndctl reads the list and refuses 8M (ENXIO)."""
    p = Platform.from_dict({"format": "1", "kernel": kernel,
                            "memory": [{"type": "system-ram", "start": "1M", "size": "2047M"}],
                            "regions": [{"name": "region0", "start": "4G", "size": "1G", "labels": False,
                                         "namespaces": [{"name": "namespace0.0", "mode": "fsdax",
                                                         "align": "8M"}]}]})
    res = run_engine(p, K(kernel), verify=False)
    ns = res.namespace("namespace0.0")
    if refused:
        assert ns.status == "refused" and ns.error.by == "ndctl" and "unsupported align" in ns.error.message
        assert res.arch_info.supported_alignments == [4096, 2 * M, G]
    else:
        assert ns.status == "enabled"


# -- item 6: architecture gates ---------------------------------------------------------

def _arch_platform(arch: str, kernel: str, mode: str = "fsdax", provider: str = "nfit", align=None,
                   **top) -> Platform:
    ns = {"name": "namespace0.0", "mode": mode}
    if align:
        ns["align"] = align
    return Platform.from_dict({"format": "1", "arch": arch, "kernel": kernel, **top,
                               "memory": [{"type": "system-ram", "start": "1G", "size": "2G"}],
                               "regions": [{"name": "region0", "provider": provider, "start": "8G",
                                            "size": "1G", "labels": provider == "cxl" or None,
                                            "namespaces": [dict(ns, size="1G") if provider == "cxl" else ns]}]})


@pytest.mark.parametrize("arch,kernel,ok", [("arm64", "5.4", False), ("arm64", "5.6", False),
                                            ("arm64", "5.7", True), ("arm64", "5.10", True),
                                            ("riscv64", "6.1", False), ("riscv64", "6.11", True),
                                            ("x86_64", "4.19", True), ("ppc64le", "5.2", True)])
@pytest.mark.parametrize("mode", ["fsdax", "devdax"])
def test_zone_device_gate(arch, kernel, ok, mode):
    """ZONE_DEVICE needs MEMORY_HOTREMOVE (mm/Kconfig): none on arm64 before 5.7, riscv64
    before 6.11; without it there is no pfn/dax seed and ndctl cannot configure the mode."""
    ns = run_engine(_arch_platform(arch, kernel, mode, page_size="4K" if arch != "ppc64le" else None),
                    K(kernel), verify=False).namespace("namespace0.0")
    if ok:
        assert ns.status == "enabled", ns.error
    else:
        assert ns.status == "refused" and ns.error.cause.value == "no-zone-device" and ns.error.by == "ndctl"


def test_of_pmem_raw_without_zone_device_maps_no_pages():
    """pmem_should_map_pages() is false without CONFIG_ZONE_DEVICE: plain memremap."""
    p = _arch_platform("arm64", "5.4", "raw", provider="of_pmem", page_size="4K")
    res = run_engine(p, K("5.4"), verify=False)
    ns = res.namespace("namespace0.0")
    assert ns.status == "enabled" and ns.pages_in is None and ns.usable_size == G
    assert ns.memmap_ram_bytes == 0
    # with ZONE_DEVICE (5.7+) the raw of_pmem namespace maps its pages in RAM
    ns = run_engine(_arch_platform("arm64", "5.10", "raw", provider="of_pmem", page_size="4K"),
                    K("5.10"), verify=False).namespace("namespace0.0")
    assert ns.pages_in == "ram"


def test_ppc64_hash_4k_pages_has_no_thp():
    """hash__has_transparent_hugepage(): THP only with the 16M PMD of 64K pages."""
    prof = _prof("ppc64le", K("6.1"), mmu="hash", page_size=4096)
    assert prof.supported_alignments() == (4096,) and prof.default_pfn_align() == 4096
    prof = _prof("ppc64le", K("6.1"), mmu="hash", page_size=65536)
    assert prof.supported_alignments() == (65536, 16 * M)


@pytest.mark.parametrize("kernel,aligns", [("6.1", (65536, 2 * M)), ("6.6", (65536, 2 * M, G))])
def test_ppc64_radix_1g_devdax_from_6_6(kernel, aligns):
    assert _prof("ppc64le", K(kernel), mmu="radix").supported_alignments() == aligns


def test_ppc64_memory_block_pseries_vs_powernv():
    """pseries reads ibm,lmb-size (typically 256M) whatever the MMU; powernv: 1G radix, 256M hash."""
    assert _prof("ppc64le", K("6.1"), mmu="radix").memory_block_size == 256 * M
    assert _prof("ppc64le", K("6.1"), mmu="radix", bare_metal=True).memory_block_size == G
    assert _prof("ppc64le", K("6.1"), mmu="hash", bare_metal=True).memory_block_size == 256 * M
    assert _prof("ppc64le", K("6.1"), mmu="radix", memory_block_size=G).memory_block_size == G


@pytest.mark.parametrize("kernel,ok", [("5.15", False), ("6.0", True), ("6.1", True)])
def test_cxl_pmem_regions_from_6_0(kernel, ok):
    ns = run_engine(_arch_platform("x86_64", kernel, "sector", provider="cxl"), K(kernel),
                    verify=False).namespace("namespace0.0")
    if ok:
        assert ns.status == "enabled"
    else:
        assert ns.status == "refused" and ns.error.cause.value == "no-cxl-region"


def test_cxl_label_index_2_1_selects_btt_2_0():
    """btt_claim_class(): an index that is not v1.1 (CXL's v2.1) → BTT v2.0 (no 4K initial
    offset), so a CXL sector namespace holds as much as an NFIT one with v1.2 labels."""
    from pmemplan.engine.btt import btt_layout
    cxl = run_engine(_arch_platform("x86_64", "6.1", "sector", provider="cxl"), K("6.1"),
                     verify=False).namespace("namespace0.0")
    assert cxl.usable_size == btt_layout(G, 4096, "2.0").usable_size
    assert btt_layout(G, 4096, "2.0").usable_size != btt_layout(G, 4096, "1.1").usable_size


# -- kernel versions as users write them ------------------------------------------------

from pmemplan.engine.layout import compute_layout   # noqa: E402
from pmemplan.kversion import resolve_kernel, validate_kernels   # noqa: E402


@pytest.mark.parametrize("text,like", [("4.18.0-305.el8", (5, 10)), ("4.18.0-240.el8", (5, 10)),
                                       ("4.18.0-147.5.1.el8_1.x86_64", (5, 2)),
                                       ("4.18.0-193.el8", (5, 2)), ("4.18.0-80.el8", (4, 18)),
                                       ("5.14.0-70.el9", (5, 14)), ("5.15.0-91-generic", (5, 15)),
                                       ("6.1.0-56-amd64", (6, 1))])
def test_distribution_kernels_state_what_they_are_planned_as(text, like):
    v = resolve_kernel(text)
    assert (v.major, v.minor) == like and str(v) == text
    assert v.basis and f"planned as" in v.basis


def test_mainline_and_stable_kernels_have_no_basis():
    for t in ("6.1", "5.2.1", "4.19.150", "5.3-rc4"):
        assert resolve_kernel(t).basis == ""


def _rhel(kernel: str, **extra) -> Platform:
    """Two NVDIMMs sharing a section, as kernel-cases nv_shared_section."""
    return Platform.from_dict({"format": "1", "kernel": kernel, **extra,
                               "memory": [{"type": "system-ram", "start": "1M", "size": "2047M"}],
                               "regions": [
        {"name": "region0", "start": "4G", "size": hex(G + 64 * M), "labels": False,
         "namespaces": [{"name": "namespace0.0", "mode": "fsdax", "align": "2M"}]},
        {"name": "region1", "start": "0x144000000", "size": "1G", "labels": False,
         "namespaces": [{"name": "namespace1.0", "mode": "fsdax", "align": "2M"}]}]})


def test_rhel8_builds_plan_as_their_backports():
    # 8.1: trim_pfn_device() pads the second DIMM by 64M, like 5.2.1 did for real
    r = compute_layout(_rhel("4.18.0-147.el8"))
    assert r.kernel == "4.18.0-147.el8" and r.era == "5.1-5.2"
    assert r.namespace("namespace1.0").info_block["start_pad"] == 64 * M
    assert any("planned as Linux 5.2" in a for a in r.assumptions)
    # 8.4: sub-sections, no padding
    r = compute_layout(_rhel("4.18.0-305.el8"))
    assert r.era == "5.7+" and r.namespace("namespace1.0").info_block["start_pad"] == 0


def test_behaves_like_overrides_and_kernel_is_printed():
    r = compute_layout(_rhel("4.18.0-80.el8", behaves_like="5.4"))
    assert r.kernel == "4.18.0-80.el8" and r.era == "5.3-5.6"
    assert any("(behaves_like)" in a for a in r.assumptions)
    # another --kernel does not inherit the file's behaves_like
    r = compute_layout(_rhel("4.18.0-80.el8", behaves_like="5.4"), kernel="5.2.1")
    assert r.era == "5.1-5.2" and not any("behaves_like" in a for a in r.assumptions)


def test_behaves_like_is_validated_like_kernel():
    with pytest.raises(Exception, match="predates libnvdimm"):
        _rhel("6.1", behaves_like="3.10")


def test_stable_point_release_inside_a_bracket_says_so():
    r = compute_layout(_rhel("4.19.5"), legacy=None)
    assert any("between .1 (without) and .13" in a for a in r.assumptions)
    assert r.namespace("namespace1.0").info_block["start_pad"] == 0   # planned as without
    r = compute_layout(_rhel("4.19.150"), legacy=None)
    assert r.namespace("namespace1.0").info_block["start_pad"] == 64 * M
    assert r.namespace("namespace1.0").info_block["version_minor"] == 3


def test_legacy_must_behave_like_a_pre_5_3_kernel():
    assert validate_kernels([], "4.18.0-147.el8")[1] == "4.18.0-147.el8"
    with pytest.raises(Exception, match="not a pre-5.3 kernel"):
        validate_kernels([], "4.18.0-305.el8")


# -- the altmap before 5.3 (observed on 5.2.1, oracle-cases-5.2 lg_mix2) -------------------

@pytest.mark.parametrize("start,size,fits", [
    (7 * G + 4096, 256 * M, False),   # nvN: 3 sections hot-added, memmap for 2 (ENOMEM on 5.2.1)
    (6 * G + M, 256 * M, True),       # nvM: end trimmed 1M to 6G+256M: 2 sections, memmap for 2
    (4 * G, G, True),                 # 8 sections, 16M of memmap after the 8K head: fits exactly
    (4 * G + 96 * M, 160 * M, True)])  # start_pad 32M: mapped from 4G+128M, whole sections
def test_altmap_must_hold_the_memmap_of_every_widened_section(start, size, fits):
    """x86 vmemmap_populate() takes 2M of memmap per 128M section from the altmap, the
    first block 2M-aligned after the 8K head, with no fallback to RAM (arch/x86/mm/init_64.c
    "no fallback", read in 4.9, 4.13.4, 4.19.48 and 5.2.1).  nvN: s1 = 7G+4K, dataoff
    6M-4K: room [7G+12K, 7G+6M), blocks from 7G+2M: 2 fit, 3 are needed."""
    others = [(4 * G, 4 * G + 96 * M)] if start == 4 * G + 96 * M else []
    p = Platform.from_dict({"format": "1", "kernel": "5.2.1",
                            "memory": [{"type": "system-ram", "start": "1M", "size": "2047M"}],
                            "regions": [{"name": f"region{i}", "start": hex(s), "size": hex(e - s), "labels": False,
                                         "namespaces": [{"name": f"namespace{i}.0", "mode": "raw"}]}
                                        for i, (s, e) in enumerate(others)] + [
                                {"name": "regionX", "start": hex(start), "size": hex(size), "labels": False,
                                 "namespaces": [{"name": "namespaceX.0", "mode": "fsdax", "map": "dev",
                                                 "align": "4K" if start % M else "2M"}]}]})
    ns = run_engine(p, K("5.2.1"), verify=False).namespace("namespaceX.0")
    if fits:
        assert ns.status == "enabled", ns.error
    else:
        assert ns.status == "failed" and ns.error.errno == "ENOMEM" and ns.error.cause.value == "altmap-exhausted"
    # 5.3+ hot-adds the exact range: never this failure (an unaligned start fails otherwise there)
    new = run_engine(p.replace(kernel="5.4"), K("5.4"), verify=False).namespace("namespaceX.0")
    assert new.error is None or new.error.cause.value != "altmap-exhausted"
