"""`pmemplan explain`: every address class against answers computed by hand.

x86_64: 4K pages, 128M sections (0x8000000) of 64 2M sub-sections, 64-byte struct pages.
The arithmetic is written out next to each expectation.
"""
import json

import pytest
from click.testing import CliRunner

from conftest import OBSERVATIONS
from pmemplan.commands.explain_cmd import explain_command
from pmemplan.engine import compute_layout
from pmemplan.explain import explain, parse_query
from pmemplan.importer import build_platform, parse_iomem, parse_ndctl
from pmemplan.loader import load_platform_text

M, G = 1 << 20, 1 << 30

# RAM [0, 1000M) and [1100M, 2G); a 100M e820 region between them (sharing section 7 with
# the first RAM range and section 8 with the second); a labelled 4G NVDIMM region at 4G
# with a 32M fsdax map=mem namespace at its start and a 2G devdax (align 1G) one at
# +0x59000000 (the nv_labels observation: dataoff 624M, end_trunc 400M, 1G of data).
PLATFORM = """
format: 1
name: explain-demo
arch: x86_64
kernel: "6.1"
memory:
  - {type: system-ram, start: 0x0, size: 0x3e800000}
  - {type: system-ram, start: 0x44c00000, size: 0x3b400000}
regions:
  - name: region0
    provider: e820
    start: 0x3e800000
    size: 100M
    align: 2M
    namespaces:
      - {name: namespace0.0, mode: devdax, align: 2M}
  - name: region1
    provider: nfit
    start: 0x100000000
    size: 4G
    labels: true
    align: 4K
    namespaces:
      - {name: namespace1.0, offset: 0, size: 32M, mode: fsdax, map: mem}
      - {name: namespace1.1, offset: 0x59000000, size: 2G, mode: devdax, align: 1G}
"""


@pytest.fixture(scope="module")
def demo():
    p = load_platform_text(PLATFORM, "demo.yaml")
    queries = ["0x1000", "0x80000000", "0x3e900000", "0x3ea00000", "0x101000000", "0x102000000",
               "0x159001000", "0x159003000", "0x160000000", "pfn:0x180000", "0x1bffff000",
               "0x1c0000000", "section:43"]
    e = explain(p, queries)
    return {q: it for q, it in zip(queries, e.items)}


def test_system_ram_in_an_early_section(demo):
    it = demo["0x1000"]
    assert it["owner"]["kind"] == "memory" and it["owner"]["type"] == "system-ram"
    sec = it["section"]
    assert (sec["nr"], sec["subsection"], sec["early"]) == (0, 0, True)
    assert it["pfn_valid"] == {"kernel": True, "legacy": True}
    assert it["struct_page"]["where"] == "boot-memmap"
    assert it["layout"] is None


def test_hole(demo):
    it = demo["0x80000000"]          # 2G = section 16, nobody there
    assert it["owner"]["kind"] == "none"
    assert (it["section"]["nr"], it["section"]["early"], it["section"]["owners"]) == (16, False, [])
    assert it["pfn_valid"] == {"kernel": False, "legacy": False}
    assert it["struct_page"]["where"] == "none"


def test_namespace_sharing_an_early_section_with_ram(demo):
    # e820 devdax 2M at 0x3e800000, 100M: n0 = (100M-8K)/4K = 25598, memmap 64*n0 = 0x18ff80,
    # dataoff = ALIGN(0x3e800000 + 0x2000 + 0x18ff80, 2M) - start = 2M; data 98M = 25088 pages.
    it = demo["0x3e900000"]
    assert it["owner"]["name"] == "namespace0.0"
    lay = it["layout"]
    assert (lay["part"], lay["part_start"], lay["part_end"]) == ("memmap", 0x3e802000, 0x3e802000 + 0x18ff80)
    # section 7 = [0x38000000, 0x40000000); RAM ends at 0x3e800000 = sub-section 52
    sec = it["section"]
    assert (sec["nr"], sec["subsection"], sec["early"]) == (7, 0x6900000 // (2 * M), True)
    assert [(r["name"], r["first"], r["count"]) for r in sec["owners"]] == \
        [("System RAM", 0, 52), ("namespace0.0", 52, 12)]
    assert sec["others"] == ["System RAM"]
    assert it["pfn_valid"] == {"kernel": True, "legacy": True}
    # a sub-section added to an early section reuses the boot memmap: no altmap
    assert it["struct_page"]["where"] == "boot-memmap"
    data = demo["0x3ea00000"]["layout"]
    assert (data["part"], data["page"], data["pages"]) == ("data", 0, 25088)


def test_map_mem_data_and_its_struct_page_in_dram(demo):
    # fsdax map=mem 32M at 4G: dataoff = ALIGN(start + 8K, 2M) - start = 2M; 30M = 7680 pages
    it = demo["0x101000000"]
    lay = it["layout"]
    assert (lay["part"], lay["part_start"], lay["page"], lay["pages"]) == \
        ("data", 0x100200000, (0x101000000 - 0x100200000) // 4096, 7680)
    assert it["struct_page"]["where"] == "dram"
    assert it["pfn_valid"] == {"kernel": True, "legacy": True}
    assert (it["section"]["nr"], it["section"]["subsection"]) == (32, 8)


def test_unallocated_region_space_in_a_mapped_section(demo):
    # 0x102000000: sub-section 16 of section 32, after namespace1.0 (sub-sections 0-15).
    # 6.1 maps 2M sub-sections: invalid; 5.2 added section 32 whole: valid.
    it = demo["0x102000000"]
    assert it["owner"] == {"kind": "region", "name": "region1", "start": 4 * G, "end": 8 * G,
                           "region": "region1", "provider": "nfit", "status": "unallocated"}
    assert it["layout"]["part"] == "unallocated"
    sec = it["section"]
    assert (sec["nr"], sec["subsection"], sec["subsection_present"]) == (32, 16, False)
    assert [(r["name"], r["first"], r["count"]) for r in sec["owners"]] == \
        [("namespace1.0", 0, 16), ("region1", 16, 48)]
    assert it["pfn_valid"] == {"kernel": False, "legacy": True}
    assert it["struct_page"]["where"] == "none"


# namespace1.1: start S = 0x159000000, 2G, devdax align 1G, A = 1G
#   n0 = (2G - 8K)/4K = 524286, memmap = 64*n0 = 0x1ffff80
#   dataoff = ALIGN(S + 0x2000 + 0x1ffff80, 1G) - S = 0x180000000 - S = 0x27000000 (624M)
#   end = 0x1d9000000, end_trunc = end - ALIGN_DOWN(end, 1G) = 0x19000000 (400M)
#   npfns = (2G - 624M - 400M)/4K = 262144
INFO_BLOCK = [
    ("0x159001000", "info-block", 0x159000000, 0x159002000),
    ("0x159003000", "memmap", 0x159002000, 0x159002000 + 0x1ffff80),
    ("0x160000000", "padding", 0x159002000 + 0x1ffff80, 0x180000000),
    ("pfn:0x180000", "data", 0x180000000, 0x1c0000000),
    ("0x1bffff000", "data", 0x180000000, 0x1c0000000),
    ("0x1c0000000", "end-trunc", 0x1c0000000, 0x1d9000000),
]


@pytest.mark.parametrize("q, part, start, end", INFO_BLOCK)
def test_info_block_layout(demo, q, part, start, end):
    it = demo[q]
    assert it["owner"]["name"] == "namespace1.1"
    lay = it["layout"]
    assert (lay["part"], lay["part_start"], lay["part_end"]) == (part, start, end)
    assert lay["offset"] == it["address"] - 0x159000000


def test_info_block_pages_and_struct_pages(demo):
    assert demo["pfn:0x180000"]["address"] == 0x180000000
    assert (demo["pfn:0x180000"]["layout"]["page"], demo["pfn:0x180000"]["layout"]["pages"]) == (0, 262144)
    assert demo["0x1bffff000"]["layout"]["page"] == 262143
    for q in ("0x159001000", "0x159003000", "0x160000000", "pfn:0x180000"):
        sp = demo[q]["struct_page"]
        assert sp["where"] == "altmap" and sp["range"] == [0x159002000, 0x180000000], q
    tail = demo["0x1c0000000"]
    # the truncated tail is never mapped: not under 6.1, and not under 5.2, whose
    # section-expanded mapping ends at 0x1c0000000 too
    assert tail["pfn_valid"] == {"kernel": False, "legacy": False}
    assert tail["struct_page"]["where"] == "none"


def test_section_query(demo):
    it = demo["section:43"]          # 43 * 128M = 0x158000000: 16M of region1 free, then namespace1.1
    assert it["address"] == 0x158000000 and it["kind"] == "section"
    sec = it["section"]
    assert [(r["name"], r["first"], r["count"]) for r in sec["owners"]] == \
        [("region1", 0, 8), ("namespace1.1", 8, 56)]
    assert sec["early"] is False
    assert it["pfn_valid"] == {"kernel": False, "legacy": True}


def test_hole_in_an_early_section():
    # RAM [0, 112M): section 0 is early; 120M is in it, owned by nobody. An early section
    # is valid whole (its boot memmap covers it) although sub-section 60 is not set.
    p = load_platform_text('format: 1\nkernel: "6.1"\nmemory:\n  - {type: system-ram, start: 0, size: 112M}\n', "x")
    it = explain(p, ["120M"]).items[0]
    assert it["owner"]["kind"] == "none"
    sec = it["section"]
    assert (sec["nr"], sec["subsection"], sec["early"], sec["subsection_present"]) == (0, 60, True, False)
    assert it["pfn_valid"] == {"kernel": True, "legacy": True}
    assert it["struct_page"]["where"] == "boot-memmap"


PRE53 = """
format: 1
kernel: "5.2"
memory:
  - {type: system-ram, start: 0, size: 112M}
regions:
  - name: region0
    start: 0x7000000
    size: 400M
    labels: false
    namespaces:
      - {name: namespace0.0, mode: fsdax, map: dev, align: 2M}
"""


@pytest.mark.parametrize("addr, part, start, end", [
    # 5.2: [0, 0x8000000) mixes RAM and pmem -> start_pad = 0x8000000 - 0x7000000 = 16M;
    # s' = 0x8000000, avail = 384M, n0 = SECTION_ALIGN_UP((384M - 8K)/4K) = 98304 pages,
    # memmap = 64 * 98304 = 6M, dataoff = ALIGN(s' + 8K + 6M, 2M) - s' = 8M
    (0x7800000, "start-pad", 0x7000000, 0x8000000),
    (0x8001000, "info-block", 0x8000000, 0x8002000),
    (0x8002000, "memmap", 0x8002000, 0x8602000),
    (0x8700000, "padding", 0x8602000, 0x8800000),
    (0x8800000, "data", 0x8800000, 0x20000000),
])
def test_pre_5_3_start_pad(addr, part, start, end):
    p = load_platform_text(PRE53, "pre53.yaml")
    it = explain(p, [hex(addr)]).items[0]
    lay = it["layout"]
    assert (lay["part"], lay["part_start"], lay["part_end"]) == (part, start, end)
    if part == "data":
        assert (lay["page"], lay["pages"]) == (0, (400 - 16 - 8) * M // 4096)
        assert it["struct_page"]["where"] == "altmap"
    if part == "start-pad":
        # section 0 is boot memory: valid, and its struct pages are the boot memmap
        assert it["pfn_valid"] == {"kernel": True, "legacy": True}
        assert it["struct_page"]["where"] == "boot-memmap"
    # 6.1: no start_pad; n0 = (400M - 8K)/4K = 102398, memmap 64*n0 = 0x63ff80,
    # dataoff = ALIGN(0x7000000 + 0x2000 + 0x63ff80, 2M) - 0x7000000 = 8M: 0x7800000 is data page 0
    if addr == 0x7800000:
        again = explain(p, [hex(addr)], kernel="6.1").items[0]
        assert (again["layout"]["part"], again["layout"]["page"]) == ("data", 0)
        assert again["struct_page"]["where"] == "boot-memmap"      # section 0 is early


KMEM = """
format: 1
kernel: "6.1"
memory_block_size: 128M
memory:
  - {type: system-ram, start: 0, size: 2G}
regions:
  - name: region0
    start: 0x100000000
    size: 1G
    labels: false
    namespaces:
      - {name: namespace0.0, mode: devdax, align: 2M, system_ram: true}
"""


def test_kmem_range():
    # devdax 1G: dataoff 18M (nv_kmem: head 0x100000000-0x1011fffff); kmem onlines
    # [ALIGN(0x101200000, 128M), 0x140000000) = [0x108000000, 0x140000000)
    p = load_platform_text(KMEM, "kmem.yaml")
    inside, before = explain(p, ["0x110000000", "0x101400000"]).items
    assert inside["owner"].get("kmem") and inside["struct_page"]["where"] == "dram"
    assert inside["layout"]["part"] == "data"
    assert not before["owner"].get("kmem") and before["struct_page"]["where"] == "altmap"


def test_parse_query():
    assert parse_query("pfn:0x10", 4096, 128 * M) == (0x10000, "pfn")
    assert parse_query("section:2", 4096, 128 * M) == (256 * M, "section")
    assert parse_query("4G", 4096, 128 * M) == (4 * G, "address")
    assert parse_query("5475663872", 4096, 128 * M) == (5475663872, "address")
    with pytest.raises(ValueError):
        parse_query("pfn:x", 4096, 128 * M)


# ----------------------------------------------------------------------------- the command

def test_cli_text_and_json(tmp_path):
    f = tmp_path / "demo.yaml"
    f.write_text(PLATFORM)
    r = CliRunner().invoke(explain_command, [str(f), "0x160000000", "section:43"])
    assert r.exit_code == 0, r.output
    assert "owner        namespace1.1 (devdax map=dev) in region1" in r.stdout
    assert "layout       padding [0x15b001f80-0x17fffffff]" in r.stdout
    assert "pfn_valid    no under 6.1 (sub-section absent); yes under 5.2" in r.stdout
    r = CliRunner().invoke(explain_command, [str(f), "0x1c0000000", "--format", "json"])
    d = json.loads(r.stdout)
    assert d["kernel"] == "6.1" and d["legacy_kernel"] == "5.2" and d["section_size"] == 128 * M
    assert d["addresses"][0]["layout"]["part"] == "end-trunc"


@pytest.mark.parametrize("args, fragment", [
    (["0x1000", "pfn:abc"], "is not an address"),
    (["0x1000", "--kernel", "x"], "--kernel"),
])
def test_cli_bad_input(tmp_path, args, fragment):
    f = tmp_path / "demo.yaml"
    f.write_text(PLATFORM)
    r = CliRunner().invoke(explain_command, [str(f), *args])
    assert r.exit_code == 2 and fragment in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_cli_bad_file(tmp_path):
    r = CliRunner().invoke(explain_command, [str(tmp_path / "nope.yaml"), "0x0"])
    assert r.exit_code == 2 and "No such file" in r.stderr and "Traceback" not in r.output


def test_explain_an_imported_machine():
    """nv_labels: the 1G of devdax data starts at 0x180000000, as daxctl's mapping says."""
    d = OBSERVATIONS / "nv_labels" / "boot1" / "snap" / "final"
    res = build_platform(iomem=parse_iomem((d / "iomem.txt").read_text()),
                         ndctl=parse_ndctl((d / "ndctl_list.json").read_text()), kernel="6.1")
    p = load_platform_text(res.yaml(), "nv_labels")
    it = explain(p, ["6442450944"]).items[0]
    assert it["owner"]["name"] == "namespace0.3"
    assert (it["layout"]["part"], it["layout"]["page"], it["layout"]["pages"]) == ("data", 0, 262144)
    # before 5.3 namespace0.2 (0x146000000-0x158ffffff) is hot-added with the 4 sections
    # 0x140000000-0x15fffffff but reserved memmap for 3: the altmap runs out (-ENOMEM, seen
    # on 5.2.1), so namespace0.3, which shares section 43 with it, maps: 4.18-5.2 look up
    # only the ends of its widened range, and no live pgmap holds them
    assert it["pfn_valid"] == {"kernel": True, "legacy": True}
    assert it["owner"]["legacy_status"] == "enabled"
    legacy = compute_layout(p, "5.2", legacy=None, stored=False)   # as explain's legacy side plans it
    n2 = legacy.namespace("namespace0.2")
    assert n2.status == "failed" and n2.error.cause.value == "altmap-exhausted"


def test_disabled_namespace_maps_nothing():
    """An imported namespace the machine shows disabled: its range is its own, nothing of it
    is mapped (no info block in use, no struct pages of its own)."""
    text = PLATFORM.replace("{name: namespace0.0, mode: devdax, align: 2M}",
                            "{name: namespace0.0, mode: devdax, align: 2M, exists: true, state: disabled}")
    e = explain(load_platform_text(text, "p.yaml"), ["0x3f000000"])
    it = e.items[0]
    assert it["owner"]["name"] == "namespace0.0" and it["owner"]["status"] == "disabled"
    assert it["layout"]["part"] == "disabled"
    # 0x3f000000 is in section 7, early (RAM below 0x3e800000): valid whole, boot memmap
    assert it["struct_page"]["where"] == "boot-memmap"
    from pmemplan.render.explain_out import render_text
    assert "layout       disabled: namespace0.0 is disabled on the machine" in render_text(e)
    # enabled, the same address is the namespace's info block / memmap area
    on = explain(load_platform_text(PLATFORM, "p.yaml"), ["0x3f000000"]).items[0]
    assert on["owner"]["status"] == "enabled" and on["layout"]["part"] != "disabled"
