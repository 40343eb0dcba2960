"""Existing namespaces after a kernel change or a firmware move (issue 13).

The `nv_shift` observations (Linux 6.1, data/lifecycle/nv_shift): five NVDIMMs formatted in
boot 1, then attached at other physical addresses in boots 2 and 3 and back in boot 4.  The
expectations are read from the raw evidence (ndctl list of each boot, the kernel's probe
lines in dmesg), nothing is typed into this file.
"""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA
from pmemplan.engine import compute_layout
from pmemplan.engine.arch import arch_profile
from pmemplan.engine.memory import ERRNO as ERRNO_N, KernelError
from pmemplan.engine.pfn_devs import StoredBlock, nd_pfn_init, nd_pfn_validate
from pmemplan.kversion import KernelVersion
from pmemplan.loader import load_platform
from pmemplan.platform import Platform, StoredInfoBlock

SHIFT = DATA / "lifecycle" / "nv_shift"
_PROBE = re.compile(r"^\[ *[0-9.]+\]\s+((?:pfn|dax)\d+\.\d+): (.*)$")
# the driver core's line: 6.1 "nd_pmem: probe of NS failed …", 6.9+ "nd_pmem NS: probe with driver …"
_FAILED = re.compile(r"\]\s+(nd_pmem(?:: probe of | )(namespace\d+\.\d+)(?::)? ?(?:probe with driver nd_pmem )?failed with error -(\d+))$")


def observed(boot: int, folder=SHIFT):
    """{namespace: (status, usable size or None, probe line or None, errno number)} of a boot."""
    out = {}
    for bus in json.loads((folder / f"boot{boot}" / "ndctl_list.json").read_text()):
        for r in bus.get("regions", []):
            for n in r.get("namespaces", []):
                if n.get("size") == 0:
                    continue   # the region's seed (a devdax namespace whose dax device did
                               # not bind is listed without a size)
                if n.get("state") == "disabled":
                    out[n["dev"]] = ("failed", None, None, None)
                else:
                    out[n["dev"]] = ("enabled", n["size"], None, None)
    # probes of several regions run concurrently: a device line (pfnX.Y/daxX.Y) belongs to
    # the next probe failure of a namespace of region X
    pending = {}
    for line in (folder / f"boot{boot}" / "dmesg_nd.txt").read_text().splitlines():
        m = _PROBE.match(line)
        if m:
            region = re.match(r"[a-z]+(\d+)\.", m.group(1)).group(1)
            pending[region] = f"{m.group(1)}: {m.group(2)}"
            continue
        m = _FAILED.search(line)
        if m and out[m.group(2)][2] is None:     # the boot probe (later lines: re-enables)
            region = re.match(r"namespace(\d+)\.", m.group(2)).group(1)
            st_, size, _, _ = out[m.group(2)]
            out[m.group(2)] = (st_, size, pending.pop(region, None), int(m.group(3)))
            FAILED_LINES[(str(folder), boot, m.group(2))] = m.group(1)
    return out


FAILED_LINES = {}   # (folder, boot, namespace) -> the driver core's probe-failure line


def _with_read_blocks(path) -> Platform:
    """The boot's platform with each namespace's `info_block` as read-infoblock showed it
    (instead of created_at, from which pmemplan computes the block)."""
    p = load_platform(path)
    for r in p.regions:
        for ns in r.namespaces:
            rb = json.loads((SHIFT / "boot2" / "read-infoblock" / f"{ns.name}.json").read_text())[0]
            ns.created_at = None
            ns.info_block = StoredInfoBlock.from_dict({
                "dataoff": rb["dataoff"], "npfns": rb["npfns"], "start_pad": rb["start_pad"],
                "end_trunc": rb["end_trunc"], "align": rb["align"],
                "version_minor": int(rb["version"].split(".")[1]),
                "mode": "dax" if rb["signature"] == "NVDIMM_DAX_INFO" else "pfn"})
    return p


@pytest.mark.parametrize("variant", ["created_at", "info_block"])
@pytest.mark.parametrize("boot", [2, 3, 4])
def test_nv_shift_predicted_exactly(boot, variant):
    path = SHIFT / f"boot{boot}" / "platform.yaml"
    platform = load_platform(path) if variant == "created_at" else _with_read_blocks(path)
    result = compute_layout(platform)
    want = observed(boot)
    assert {n.name for n in result.namespaces} == set(want)
    for n in result.namespaces:
        status, size, line, errno = want[n.name]
        assert n.status == status, (boot, n.name, n.error)
        assert n.usable_size == size, (boot, n.name)
        if status == "failed":
            assert n.error is not None and n.error.by == "kernel"
            assert n.messages[0] == line, (boot, n.name)
            assert n.messages[1] == f"nd_pmem: probe of {n.name} failed with error -{errno}"
            assert n.error.errno == "EOPNOTSUPP" and errno == 95
            assert n.stored_info_block is not None
        else:
            assert n.error is None


LIFECYCLE = DATA / "lifecycle"
RUNS = sorted((d.name, int(b.name[4:])) for d in LIFECYCLE.iterdir() if (d / "scenario.json").is_file()
              and d.name != "nv_shift" for b in d.glob("boot*") if (b / "platform.yaml").is_file())


def kernel_lines(folder, boot):
    """The distinct pfn/dax device lines and probe-failure lines of a boot's dmesg, without
    timestamps (the harness re-enables every namespace later: those repeat the boot's)."""
    out = set()
    for line in (folder / f"boot{boot}" / "dmesg_nd.txt").read_text().splitlines():
        text = re.sub(r"^\[ *[0-9.]+\]\s+", "", line)
        if not text.startswith("Linux version"):
            out.add(text)
    return out


@pytest.mark.parametrize("run,boot", RUNS, ids=[f"{r}-boot{b}" for r, b in RUNS])
def test_own_lifecycle_runs_predicted_exactly(run, boot):
    """Our own runs (the harness choosing the kernel per boot): every namespace's status and
    usable size in every later boot, from the boot-1 machine alone; and the kernel's lines of
    that boot are exactly the lines the model prints for all namespaces together."""
    folder = LIFECYCLE / run
    result = compute_layout(load_platform(folder / f"boot{boot}" / "platform.yaml"), None, None)
    want = observed(boot, folder)
    assert {n.name for n in result.namespaces} == set(want)
    for n in result.namespaces:
        status, size, _, _ = want[n.name]
        assert (n.status, n.usable_size) == (status, size), (run, boot, n.name, n.error)
    said = {m for n in result.namespaces for m in n.messages}
    assert said == kernel_lines(folder, boot), (run, boot)


def test_own_lifecycle_runs_present():
    names = {r for r, _ in RUNS}
    assert {"lc_upgrade_shift", "lc_resize"} <= names


def test_nv_shift_every_boot_has_failures_and_recoveries():
    """The data cover both outcomes (a test that cannot fail is no test)."""
    states = [{s for s, *_ in observed(b).values()} for b in (2, 3, 4)]
    assert states[0] == {"enabled", "failed"} and states[1] == {"enabled", "failed"}
    assert states[2] == {"enabled"}


# -- nd_pfn_validate() per era, from worked examples -----------------------------------

def _profile(kernel: str):
    return arch_profile("x86_64", KernelVersion.parse(kernel))


def _block(kernel: str, start: int, size: int, *, align: int = 2 << 20, map: str = "dev",
           devdax: bool = False, ram=lambda a, b: 1, others=()):
    ib = nd_pfn_init(_profile(kernel), name="ns", start=start, size=size, devdax=devdax, map=map,
                     align=align, ram=ram, other_regions=list(others))
    assert not isinstance(ib, KernelError), ib
    return StoredBlock("dax" if devdax else "pfn", ib.dataoff, ib.npfns, ib.start_pad, ib.end_trunc,
                       ib.align, ib.version_minor, ib.page_size, ib.page_struct_size)


G, M = 1 << 30, 1 << 20


def test_validate_1g_devdax_needs_1g_shift():
    sb = _block("6.1", 6 * G, 2 * G, align=G, devdax=True)
    p = _profile("6.1")
    for shift, ok in ((0, True), (G, True), (128 * M, False), (2 * M, False)):
        got = nd_pfn_validate(p, sb, ns_name="ns", start=6 * G + shift, size=2 * G, map="dev")
        assert isinstance(got, StoredBlock) is ok, shift
        if not ok:
            assert got.errno == "EOPNOTSUPP"
            assert got.message == "bad offset: 0x40000000 dax disabled align: 0x40000000"


def test_validate_errno_before_57_is_enxio():
    """5.7 moved every check after the self-consistency ones to -EOPNOTSUPP."""
    sb = _block("5.4", 6 * G, G, align=2 * M)
    got = nd_pfn_validate(_profile("5.4"), sb, ns_name="ns", start=6 * G + 4096, size=G, map="dev")
    assert isinstance(got, KernelError) and got.errno == "ENXIO" and got.message.startswith("bad offset")
    got = nd_pfn_validate(_profile("5.7"), sb, ns_name="ns", start=6 * G + 4096, size=G, map="dev")
    assert isinstance(got, KernelError) and got.errno == "EOPNOTSUPP"


def test_validate_start_misaligned_only_from_57():
    sb = _block("6.1", 6 * G, G, align=4096)
    for k, ok in (("5.6", True), ("5.7", False), ("6.12", False)):
        got = nd_pfn_validate(_profile(k), sb, ns_name="ns", start=6 * G + M, size=G, map="dev")
        assert isinstance(got, StoredBlock) is ok, k
        if not ok:
            assert got.message == "resource start misaligned"


def test_validate_end_misaligned():
    sb = _block("6.1", 6 * G, G, align=4096)
    got = nd_pfn_validate(_profile("6.1"), sb, ns_name="ns", start=6 * G, size=G + 4096, map="dev")
    assert isinstance(got, KernelError) and got.message == "resource end misaligned"


def test_legacy_padding_kept_under_61():
    """A ≤5.2 block with start_pad keeps it under 6.1: same usable size, no growth."""
    from pmemplan.engine.memory import REGION_MIXED
    start, size = 6 * G + 64 * M, G
    ram = (lambda a, b: REGION_MIXED if a < 6 * G + 64 * M else 1)
    sb = _block("5.2", start, size, ram=ram, others=[(6 * G, 6 * G + 64 * M)])
    assert sb.start_pad == 64 * M
    p = arch_profile("x86_64", KernelVersion.parse("6.1"))
    got = nd_pfn_validate(p, sb, ns_name="ns", start=start, size=size, map="dev")
    assert isinstance(got, StoredBlock) and got.start_pad == 64 * M
    from pmemplan.engine.pfn_devs import setup_stored_pfn
    ib = setup_stored_pfn(p, got, start=start, size=size, map="dev")
    assert ib.usable_size == size - sb.start_pad - sb.end_trunc - sb.dataoff
    fresh = nd_pfn_init(p, name="ns", start=start, size=size, devdax=False, map="dev", align=2 * M,
                        ram=ram, other_regions=[])
    assert ib.usable_size < fresh.usable_size


def test_version_minor_fixups():
    sb = _block("6.1", 6 * G, G, align=2 * M)
    p = _profile("6.1")
    assert sb.dataoff == 18 * M
    old = StoredBlock(sb.signature, sb.dataoff, sb.npfns, 4096, 4096, 0, 0, 0, 0)
    got = nd_pfn_validate(p, old, ns_name="ns", start=6 * G, size=G, map="dev")
    # minor < 2: no align recorded, inferred as the largest power of two <= dataoff (16M):
    # 6G + 18M is not a multiple of it
    assert isinstance(got, KernelError)
    assert got.message == "bad offset: 0x1200000 dax disabled align: 0x1000000"
    old = StoredBlock(sb.signature, 16 * M, sb.npfns, 4096, 4096, 0, 0, 0, 0)
    got = nd_pfn_validate(p, old, ns_name="ns", start=6 * G, size=G, map="dev")
    # minor 0: no padding fields either; 5.4+ readers default the page fields
    assert isinstance(got, StoredBlock)
    assert (got.start_pad, got.end_trunc, got.align) == (0, 0, 16 * M)
    assert (got.page_size, got.page_struct_size) == (4096, 64)


def test_page_size_mismatch():
    sb = _block("6.1", 6 * G, G)
    big = StoredBlock(sb.signature, sb.dataoff, sb.npfns, 0, 0, sb.align, 4, 65536, 64)
    got = nd_pfn_validate(_profile("6.1"), big, ns_name="ns", start=6 * G, size=G, map="dev")
    assert isinstance(got, KernelError) and got.message == "init failed, page size mismatch 65536"
    assert isinstance(nd_pfn_validate(_profile("6.1"), big, ns_name="ns", start=6 * G, size=G, map="mem"),
                      StoredBlock)


def test_dax_align_not_supported():
    sb = _block("6.1", 6 * G, 2 * G, align=G, devdax=True)
    p = arch_profile("x86_64", KernelVersion.parse("6.1"), thp=False)
    got = nd_pfn_validate(p, sb, ns_name="ns", start=6 * G, size=2 * G, map="dev")
    assert isinstance(got, KernelError) and got.message.startswith("init failed, alignment mismatch")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["5.4", "5.10", "6.1", "6.12"]), st.integers(8, 64),
       st.sampled_from([4096, 2 * M, G]), st.integers(0, 1 << 10), st.booleans())
def test_a_block_validates_where_it_was_written(kernel, size_16m, align, start_2m, devdax):
    """Property: a block validates at the address its own kernel wrote it at; moved by a
    multiple of max(align, 2M) it still validates; the usable size does not change."""
    size = size_16m * 16 * M
    start = 4 * G + start_2m * 2 * M
    p = _profile(kernel)
    ib = nd_pfn_init(p, name="ns", start=start, size=size, devdax=devdax, map="dev", align=align,
                     ram=lambda a, b: 1, other_regions=[])
    if isinstance(ib, KernelError) or ib.npfns == 0:
        return
    sb = StoredBlock("dax" if devdax else "pfn", ib.dataoff, ib.npfns, ib.start_pad, ib.end_trunc,
                     ib.align, ib.version_minor, ib.page_size, ib.page_struct_size)
    if devdax and align not in p.supported_alignments():
        return
    assert isinstance(nd_pfn_validate(p, sb, ns_name="ns", start=start, size=size, map="dev"), StoredBlock)
    step = max(align, 2 * M)
    moved = nd_pfn_validate(p, sb, ns_name="ns", start=start + 3 * step, size=size, map="dev")
    assert isinstance(moved, StoredBlock)


# -- pmemplan diff ------------------------------------------------------------------------

def _cli(*args):
    from click.testing import CliRunner
    from pmemplan.cli import cli
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_diff_firmware_move_json_and_exit():
    before, after = SHIFT / "boot4" / "platform.yaml", SHIFT / "boot2" / "platform.yaml"
    r = _cli("diff", before, after, "--format", "json")
    assert r.exit_code == 1, r.output
    d = json.loads(r.output)
    assert d["broken"] is True and len(d["comparisons"]) == 1
    c = d["comparisons"][0]
    want = observed(2)
    by = {n["name"]: n for n in c["namespaces"]}
    for name, (status, size, line, _) in want.items():
        n = by[name]
        assert n["before"]["status"] == "enabled"
        assert n["after"]["status"] == status
        assert n["change"] == ("broken" if status == "failed" else "moved")
        if status == "failed":
            assert line.endswith(n["after"]["error"]["message"])
            move = [a for a in n["restore"] if a["kind"] == "move"]
            assert move and not move[0]["data_lost"]
            assert (n["after"]["start"] - move[0]["target_start"]) % move[0]["granule"] != 0
        else:
            assert n["after"]["usable_size"] == size and n["restore"] == []
    assert sorted(c["summary"]["broken"]) == sorted(k for k, v in want.items() if v[0] == "failed")
    # the devdax 1G namespace can be recreated in place with its align: data lost
    rec = [a for a in by["namespace2.0"]["restore"] if a["kind"] == "recreate"]
    assert rec and rec[0]["data_lost"] and rec[0]["align"] == G
    # a 4K move leaves no 2M-aligned start: recreating fails too
    assert [a["kind"] for a in by["namespace0.0"]["restore"]] == ["move", "none"]


def test_diff_back_home_is_clean():
    r = _cli("diff", SHIFT / "boot2" / "platform.yaml", SHIFT / "boot4" / "platform.yaml")
    assert r.exit_code == 0, r.output
    assert "recovered" in r.output and "every namespace that was enabled still is" in r.output


def test_diff_kernel_pairs_and_input_errors(tmp_path):
    r = _cli("diff", SHIFT / "boot4" / "platform.yaml", "--after-kernel", "6.12", "--after-kernel", "5.10",
             "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert [(c["before"]["kernel"], c["after"]["kernel"]) for c in d["comparisons"]] == [("6.1", "6.12"), ("6.1", "5.10")]
    assert _cli("diff", SHIFT / "boot4" / "platform.yaml").exit_code == 2
    assert _cli("diff", SHIFT / "boot4" / "platform.yaml", "--after-kernel", "banana").exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nkernel: '6.1'\nregions: 3\n")
    r = _cli("diff", bad, SHIFT / "boot4" / "platform.yaml")
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_kernel_upgrade_of_a_52_block_keeps_padding(tmp_path):
    """created_by 5.2 next to another region in the same section: under 6.1 the block keeps
    its start_pad, the usable size does not grow, and `legacy-padding` says so."""
    y = tmp_path / "m.yaml"
    y.write_text("""format: 1
kernel: "5.2"
memory:
  - {type: system-ram, start: 0x100000, size: 0x7ff00000}
regions:
  - {name: region0, start: 0x140000000, size: 64M, labels: false,
     namespaces: [{name: namespace0.0, mode: fsdax, align: 2M, exists: true}]}
  - {name: region1, start: 0x144000000, size: 1G, labels: false,
     namespaces: [{name: namespace1.0, mode: fsdax, align: 2M, exists: true}]}
""")
    old = compute_layout(load_platform(y), None, None)
    new = compute_layout(load_platform(y), "6.1", None)
    fresh = compute_layout(load_platform(y), "6.1", None, stored=False)
    o, n, f = (x.namespace("namespace1.0") for x in (old, new, fresh))
    assert o.info_block["start_pad"] > 0
    assert n.status == "enabled" and n.stored_info_block["start_pad"] == o.info_block["start_pad"]
    assert n.usable_size == o.usable_size < f.usable_size
    assert any("written by Linux 5.2" not in a and "Linux 5.2 (the file's kernel)" in a for a in new.assumptions)
    r = _cli("lint", y, "--kernel", "6.1", "--format", "json")
    found = [x for x in json.loads(r.output)["findings"] if x["rule"] == "legacy-padding"]
    assert found and "keeps start_pad" in found[0]["message"]


def test_move_granule_lint():
    r = _cli("lint", SHIFT / "boot4" / "platform.yaml", "--format", "json")
    found = [x for x in json.loads(r.output)["findings"] if x["rule"] == "move-granule"]
    assert [x["name"] for x in found] == ["namespace2.0"]


def test_diff_and_layout_json_match_their_schemas():
    import jsonschema
    from pmemplan.schema import diff_json_schema, result_json_schema
    r = _cli("diff", SHIFT / "boot4" / "platform.yaml", SHIFT / "boot2" / "platform.yaml",
             "--after-kernel", "6.1", "--after-kernel", "5.4", "--format", "json")
    diff_doc = json.loads(r.output)
    jsonschema.validate(diff_doc, diff_json_schema())
    jsonschema.validate(diff_doc, result_json_schema())      # --result covers diff's output too
    bad = dict(diff_doc, extra=1)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, result_json_schema())
    r = _cli("layout", SHIFT / "boot2" / "platform.yaml", "--format", "json")
    doc = json.loads(r.output)
    jsonschema.validate(doc, result_json_schema())
    stored = [n["stored_info_block"] for n in doc["namespaces"]]
    assert all(s is not None and s["source"] == "created_by" and s["written_at"] is not None for s in stored)
    assert {n["error"]["cause"] for n in doc["namespaces"] if n["error"]} == {"stored-bad-offset", "stored-misaligned"}
    r = _cli("schema", "--diff")
    assert r.exit_code == 0 and "RestoreAction" in r.output


def test_before_57_refusal_falls_back_to_raw():
    """5.4: the bad-offset refusal is -ENXIO and the pmem driver attaches the namespace raw."""
    res = compute_layout(load_platform(SHIFT / "boot2" / "platform.yaml"), "5.4", None)
    n = res.namespace("namespace2.0")
    assert n.status == "failed" and n.error.errno == "ENXIO"
    assert any("raw block device" in w for w in n.warnings)


# -- import --infoblock ---------------------------------------------------------------------

def _import_with_blocks(tmp_path):
    rb = sorted((SHIFT / "boot2" / "read-infoblock").glob("*.json"))
    out = tmp_path / "machine.yaml"
    args = ["import", "--iomem", SHIFT / "boot1" / "iomem.txt", "--ndctl", SHIFT / "boot1" / "ndctl_list.json",
            "--kernel", "6.1", "-q", "-o", out]
    for f in rb:
        args += ["--infoblock", f]
    r = _cli(*args)
    assert r.exit_code == 0, r.output
    return out


def test_import_infoblock_then_firmware_move(tmp_path):
    """import --infoblock, then move every region as the firmware did in boots 2 and 3:
    the imported blocks predict the real kernel's answer exactly."""
    import yaml
    path = _import_with_blocks(tmp_path)
    text = path.read_text()
    assert text.count("info_block: {") == 6 and "# from: ndctl read-infoblock -j" in text
    home = compute_layout(load_platform(path))
    assert all(n.status == "enabled" and n.stored_info_block["source"] == "info_block" for n in home.namespaces)
    for boot in (2, 3):
        moved = {r["name"]: r["start"] for r in yaml.safe_load((SHIFT / f"boot{boot}" / "platform.yaml").read_text())["regions"]}
        p = load_platform(path)
        for r in p.regions:
            r.start = int(moved[r.name])
        res = compute_layout(p)
        for name, (status, size, line, _) in observed(boot).items():
            n = res.namespace(name)
            assert (n.status, n.usable_size) == (status, size), (boot, name)
            if line:
                assert n.messages[0] == line


def test_import_infoblock_bad_input(tmp_path):
    bad = tmp_path / "ib.json"
    bad.write_text('[{"dev": "namespace0.0", "signature": "BTT_ARENA_INFO"}]')
    r = _cli("import", "--ndctl", SHIFT / "boot1" / "ndctl_list.json", "--iomem", SHIFT / "boot1" / "iomem.txt",
             "--infoblock", bad)
    assert r.exit_code == 2 and "not a pfn or dax info block" in r.output
    bad.write_text("{nope")
    r = _cli("import", "--ndctl", SHIFT / "boot1" / "ndctl_list.json", "--iomem", SHIFT / "boot1" / "iomem.txt",
             "--infoblock", bad)
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_live_import_derives_info_blocks_from_sysfs(tmp_path):
    """--live: each pfn/dax device's sysfs resource and size give dataoff and end_trunc; the
    derived block is the one the model says 6.1 wrote (checked against the same file without
    the blocks), and layout enables every namespace as before."""
    root = DATA / "import" / "live" / "nv_labels-final"
    out = tmp_path / "m.yaml"
    r = _cli("import", "--live", "--root", root, "--kernel", "6.1", "-o", out)
    assert r.exit_code == 0, r.output
    assert "# from: sysfs " in out.read_text()
    with_blocks = compute_layout(load_platform(out), None, None)
    p = load_platform(out)
    derived = {}
    for reg in p.regions:
        for ns in reg.namespaces:
            if ns.info_block is not None:
                derived[ns.name] = ns.info_block
                ns.info_block = None
    assert len(derived) >= 4
    plain = compute_layout(p, None, None)
    for name, blk in derived.items():
        a, b = with_blocks.namespace(name), plain.namespace(name)
        assert a.status == b.status == "enabled" and a.usable_size == b.usable_size, name
        model = b.stored_info_block
        assert (blk.dataoff, blk.end_trunc, blk.npfns, blk.align, blk.start_pad) == \
            (model["dataoff"], model["end_trunc"], model["npfns"], model["align"], 0), name


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["5.2", "5.4", "5.10", "6.1", "6.12"]), st.sampled_from(["fsdax", "devdax"]),
       st.sampled_from(["dev", "mem"]), st.sampled_from(["4K", "2M", "1G"]),
       st.integers(1, 48), st.integers(0, 64))
def test_read_back_block_equals_written(kernel, mode, map_, align, size_16m, start_2m):
    """Property: an existing namespace whose info_block is exactly what its kernel wrote there
    lays out like the namespace the creation path gives (status, usable size, lost space)."""
    size = size_16m * 16 * M
    start = 4 * G + start_2m * 2 * M
    text = f"""format: 1
kernel: "{kernel}"
memory: [{{type: system-ram, start: 0x100000, size: 0x7ff00000}}]
regions:
  - name: region0
    start: {start:#x}
    size: {size:#x}
    labels: false
    namespaces: [{{name: namespace0.0, mode: {mode}, map: {map_}, align: {align}, exists: true}}]
"""
    from pmemplan.loader import load_platform_text
    p = load_platform_text(text, "p.yaml")
    created = compute_layout(p, None, None).namespace("namespace0.0")
    if created.status != "enabled" or not created.stored_info_block:
        return
    sb = created.stored_info_block
    ns = p.regions[0].namespaces[0]
    ns.info_block = StoredInfoBlock.from_dict({k: sb[k] for k in ("dataoff", "npfns", "start_pad", "end_trunc",
                                                                  "align", "version_minor", "mode")})
    read = compute_layout(p, None, None).namespace("namespace0.0")
    assert (read.status, read.usable_size) == (created.status, created.usable_size)
    assert read.lost["start_pad"] == created.lost["start_pad"] and read.lost["end_trunc"] == created.lost["end_trunc"]
    assert read.stored_info_block["source"] == "info_block"
