"""`pmemplan import`: /proc/iomem, ndctl/daxctl list and live trees to a platform file.

The round trip runs over every snapshot of data/kernel-observations: import its
iomem.txt and ndctl_list.json for 6.1, then `layout --format json` must give every
namespace ndctl lists as enabled the usable size ndctl reported.  The real-world
captures of data/realworld are imported when they hold enough data and
give the "missing" message when they do not.
"""
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import KERNEL_CASES, OBSERVATIONS, REALWORLD
from pmemplan.cli import cli
from pmemplan.commands.import_cmd import import_command
from pmemplan.importer import (build_platform, parse_daxctl, parse_iomem, parse_json_size,
                               parse_ndctl, read_live)
from pmemplan.loader import load_platform, load_platform_text

DATA = Path(__file__).parent / "data" / "import"
OBS = OBSERVATIONS
SNAPS = sorted(str(p.relative_to(OBS)) for p in OBS.glob("*/boot*/snap/*") if p.is_dir())


def run_import(*args):
    r = CliRunner().invoke(import_command, [str(a) for a in args])
    return r.exit_code, r.stdout, r.stderr


def layout_json(path, *extra):
    r = CliRunner().invoke(cli, ["layout", "--format", "json", *extra, str(path)])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def ndctl_sizes(path):
    """{namespace: size} of every namespace ndctl lists as enabled (seeds left out)."""
    info = parse_ndctl(Path(path).read_text())
    return {n.dev: n.size for r in info.regions.values() for n in r.namespaces if n.enabled and n.size}


# ----------------------------------------------------------------------------- round trip

def test_every_snapshot_is_there():
    assert len(SNAPS) >= 50, "expected tests/data/kernel-observations/*/boot*/snap/*"


@pytest.mark.parametrize("snap", SNAPS)
def test_round_trip(snap, tmp_path):
    d = OBS / snap
    out = tmp_path / "p.yaml"
    code, stdout, stderr = run_import("--iomem", d / "iomem.txt", "--ndctl", d / "ndctl_list.json",
                                      "--kernel", "6.1", "-o", out)
    assert code == 0, stderr
    assert stdout == ""
    disabled = {n.dev for r in parse_ndctl((d / "ndctl_list.json").read_text()).regions.values()
                for n in r.namespaces if not n.enabled}
    for line in stderr.splitlines():        # the only warnings: a disabled namespace's next enable
        if "warning:" in line:
            m = re.search(r"warning: (namespace\S+): its next enable fails under 6\.1: ", line)
            assert m and m.group(1) in disabled, stderr
    res = layout_json(out)
    lint = CliRunner().invoke(cli, ["lint", str(out)])
    assert lint.exit_code in (0, 1), lint.output          # findings are fine, input errors are not
    got = {n["name"]: n for n in res["namespaces"]}
    want = ndctl_sizes(d / "ndctl_list.json")
    for name, size in want.items():
        assert got[name]["status"] == "enabled", (snap, name, got[name]["error"])
        assert got[name]["usable_size"] == size, (snap, name)


def test_round_trip_from_human_sizes():
    """ndctl list -u: sizes rounded to two decimals are rounded to the align and marked."""
    d = OBS / "nv_labels/boot1/snap/final"
    code, stdout, stderr = run_import("--iomem", d / "iomem.txt", "--ndctl", d / "ndctl_list_human.json",
                                      "--kernel", "6.1")
    assert code == 0, stderr
    assert "(approximate: ndctl list -u rounds sizes to two decimals)" in stderr
    assert "# '(approximate: …)' marks a value derived from an ndctl list -u size" in stdout
    # the label version inferred from the sector namespace's size: BTT 1.1 and 2.0 differ by
    # 4K, which two decimals of MiB do not show ("62.91 MiB", exactly 65961984: BTT 1.1, as
    # the region's label index 1.1 gives; the -u value rounded to 4K would match BTT 2.0)
    assert "assumed: region0.label_version: none (BTT 1.1): the BTT 1.1 and 2.0 layouts of namespace0.5 " \
        "both round to ndctl -u's size (approximate" in stderr
    assert "label_version:" not in [l.split()[0] for l in stdout.splitlines() if l.strip()]
    code, exact, err = run_import("--iomem", d / "iomem.txt", "--ndctl", d / "ndctl_list.json", "--kernel", "6.1")
    assert code == 0 and "approximate" not in exact + err and "label_version" not in exact + err
    res = load_platform_text(stdout, "u")
    from pmemplan.engine import compute_layout
    out = compute_layout(res, "6.1")
    exact = 0
    for name, size in ndctl_sizes(d / "ndctl_list.json").items():
        got = out.namespace(name).usable_size
        unit = 1 << (10 * ((size.bit_length() - 1) // 10))     # the unit -u printed it in
        assert abs(got - size) <= unit // 200 + 4096, name       # two decimals, rounded to 4K
        exact += got == size
    assert exact >= 6       # (the sector namespace's two BTT versions differ by less than -u shows)


def test_shown_alike():
    from pmemplan.importer.ndctl import shown_alike
    assert shown_alike(65961984, 65966080)                  # 62.91 MiB both
    assert not shown_alike(65961984, 65961984 + 16384)      # 62.91 / 62.92 MiB
    assert not shown_alike(1023 << 20, 1 << 30)             # MiB vs GiB


def test_human_size_parsing():
    assert parse_json_size("252.00 GiB (270.58 GB)") == (252 << 30, True)
    assert parse_json_size("0xfffe0000") == (0xfffe0000, False)
    assert parse_json_size(4096) == (4096, False)
    info = parse_ndctl('{"dev":"region0","size":"4.00 GiB (4.29 GB)","align":16777216,'
                       '"namespaces":[{"dev":"namespace0.0","mode":"fsdax","map":"dev",'
                       '"size":"245.11 MiB (257.02 MB)","align":2097152}]}')
    r = info.regions["region0"]
    assert r.size_approx and r.size % (16 << 20) == 0
    ns = r.namespaces[0]
    assert ns.size_approx and ns.size % (2 << 20) == 0 and abs(ns.size - int(245.11 * (1 << 20))) < (2 << 20)


# ----------------------------------------------------------------------------- what import must get right

def imported(snap, **kw):
    d = OBS / snap
    return build_platform(iomem=parse_iomem((d / "iomem.txt").read_text()),
                          ndctl=parse_ndctl((d / "ndctl_list.json").read_text()), kernel="6.1", **kw)


def ns_of(data):
    return {n["name"]: dict(n, region=r["name"]) for r in data["regions"] for n in r["namespaces"]}


def test_labelled_namespaces_match_the_kernel_case():
    """nv_labels final = the platform of the last nv_labels kernel case (derived from the same run)."""
    res = imported("nv_labels/boot1/snap/final")
    case = load_platform(KERNEL_CASES / "nv_labels-b1-025_ns_32M_after_destroy" / "platform.yaml")
    mine = load_platform_text(res.yaml(), "import")
    assert [r.start for r in mine.regions] == [r.start for r in case.regions]
    assert mine.regions[0].size == case.regions[0].size and mine.regions[0].labelled
    assert mine.regions[0].align == case.regions[0].align
    got = {n.name: n for n in mine.regions[0].namespaces}
    for n in case.regions[0].namespaces:
        g = got[n.name]
        assert (g.size, g.mode, g.effective_map) == (n.size, n.mode, n.effective_map), n.name
        if n.offset is not None:
            assert g.offset == n.offset, n.name
        if n.align is not None:
            assert g.align == n.align, n.name
    assert got["namespace0.0"].offset == 0


def test_devdax_raw_size_comes_from_region_and_ndctl():
    """/proc/iomem shows only the head (namespace0.3, 624M) and the data (dax0.3, 1G) of the
    2G devdax namespace: its 400M truncated tail is in neither."""
    res = imported("nv_labels/boot1/snap/final")
    n = ns_of(res.data)["namespace0.3"]
    assert (n["offset"], n["size"]) == (0x59000000, 0x80000000)
    note = [x for x in res.notes if x.target == "namespace0.3" and x.key == "size"]
    assert note and note[0].kind == "from" and "0x40000000" in note[0].text
    assert "# from: the smallest size" in res.yaml()


def test_legacy_is_e820_and_other_is_nfit():
    io = parse_iomem("00000000-3fffffff : System RAM\n40000000-4fffffff : Persistent Memory (legacy)\n"
                     "  40000000-4fffffff : namespace0.0\n100000000-13fffffff : Persistent Memory\n"
                     "  100000000-13fffffff : namespace1.0\n")
    res = build_platform(iomem=io, kernel="6.1")
    prov = {r["name"]: r["provider"] for r in res.data["regions"]}
    assert prov == {"region0": "e820", "region1": "nfit"}
    kinds = {(n.target, n.key): n.kind for n in res.notes}
    assert kinds[("region0", "provider")] == "from" and kinds[("region1", "provider")] == "assumed"
    assert kinds[("namespace1.0", "mode")] == "assumed"


def test_seed_namespaces_are_not_imported():
    res = imported("nv_labels/boot1/snap/final")
    assert "namespace0.7" not in ns_of(res.data)
    assert any(n.target == "namespace0.7" and "seed" in n.text for n in res.notes)
    code, out, err = run_import("--iomem", OBS / "nv_labels/boot1/snap/before_labels/iomem.txt",
                                "--ndctl", OBS / "nv_labels/boot1/snap/before_labels/ndctl_list.json")
    assert code == 0 and "namespaces: []" in out


def test_kmem_from_iomem():
    res = imported("nv_kmem/boot1/snap/final")
    nss = ns_of(res.data)
    assert nss["namespace0.0"].get("system_ram") and nss["namespace2.0"].get("system_ram")
    assert not nss["namespace1.0"].get("system_ram")


def test_existing_e820_namespace_is_not_refused():
    """The boot-time e820 namespace of 100M under a 16M region align exists: the import
    marks it `exists: true` (no ndctl command, so ndctl's checks do not apply) and keeps
    the region align the machine shows."""
    from pmemplan.engine import compute_layout
    from pmemplan.loader import load_platform_text
    res = imported("e820_unaligned_100M/boot1/snap/initial")
    r = res.data["regions"][0]
    assert r.get("align", 0x1000000) == 0x1000000
    assert all(n["exists"] for n in r["namespaces"])
    out = compute_layout(load_platform_text(res.yaml(), "p.yaml"))
    assert out.namespaces[0].status == "enabled"


def test_every_note_is_in_the_file_and_on_stderr(tmp_path):
    d = OBS / "nv_labels/boot1/snap/final"
    code, out, err = run_import("--iomem", d / "iomem.txt", "--ndctl", d / "ndctl_list.json")
    assert code == 0
    assert 'kernel: "6.1"  # assumed: 6.1 (no --kernel given)' in out
    res = imported("nv_labels/boot1/snap/final")
    for n in res.notes:
        if n.kind in ("from", "assumed"):
            assert f"{n.kind}: {n.text}" in out or n.line() in out, n
            assert n.line() in err or n.target == "platform", n


def test_labelless_and_labelled_detection():
    assert not imported("nv_aligned/boot1/snap/final").data["regions"][0]["labels"]
    assert imported("nv_labels/boot1/snap/after_first_pass").data["regions"][0]["labels"]
    assert not imported("e820_aligned/boot1/snap/final").data["regions"][0]["labels"]


def test_daxctl_input_gives_the_data_range():
    d = OBS / "nv_labels/boot1/snap/final"
    res = build_platform(iomem=parse_iomem((d / "iomem.txt").read_text()),
                         ndctl=parse_ndctl((d / "ndctl_list.json").read_text()),
                         daxctl=parse_daxctl((d / "daxctl_list.json").read_text()), kernel="6.1")
    assert ns_of(res.data)["namespace0.3"]["size"] == 0x80000000
    devs = parse_daxctl((d / "daxctl_list.json").read_text())
    assert (devs["dax0.3"].start, devs["dax0.3"].end, devs["dax0.3"].region) == (0x180000000, 0x1c0000000, "region0")


# ----------------------------------------------------------------------------- ndctl shapes

NS = '{"dev":"namespace0.0","mode":"fsdax","map":"dev","size":1054867456,"align":2097152}'
REGION = '{"dev":"region0","size":1073741824,"align":16777216,"namespaces":[' + NS + ']}'


@pytest.mark.parametrize("text", [
    NS,                                         # bare namespace (ndctl list -n namespace0.0)
    "[" + NS + "]",                             # array of namespaces (ndctl list -N)
    '{"namespaces":[' + NS + ']}',              # {"namespaces": …} (ndctl list -N with -u/-D)
    REGION,                                     # bare region (ndctl list -RN -r region0)
    "[" + REGION + "]",
    '{"regions":[' + REGION + ']}',             # {"regions": …}
    '[{"provider":"ACPI.NFIT","dev":"ndbus0","regions":[' + REGION + ']}]',   # -BRN
    '{"dimms":[{"dev":"nmem0"}],"regions":[' + REGION + ']}',              # -DRN
    REGION + "\n" + NS,                         # two documents one after the other
])
def test_ndctl_shapes(text):
    info = parse_ndctl(text)
    ns = info.regions["region0"].namespaces
    assert [n.dev for n in ns] == ["namespace0.0"] and ns[0].size == 1054867456
    io = parse_iomem("100000000-13fffffff : Persistent Memory\n  100000000-13fffffff : namespace0.0\n")
    res = build_platform(iomem=io, ndctl=info, kernel="6.1")
    assert ns_of(res.data)["namespace0.0"]["mode"] == "fsdax"


# ----------------------------------------------------------------------------- errors

def test_non_root_iomem(tmp_path):
    text = (OBS / "nv_aligned/boot1/snap/final/iomem.txt").read_text()
    zero = tmp_path / "iomem.txt"
    zero.write_text(re.sub(r"[0-9a-f]+-[0-9a-f]+ :", "00000000-00000000 :", text))
    code, out, err = run_import("--iomem", zero)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "non-root" in err and "sudo cat /proc/iomem" in err


@pytest.mark.parametrize("content, fragment", [
    (None, "No such file"),
    ("{not json", "not JSON"),
    ('{"foo": 1}', "no region or namespace"),
    ("", "empty"),
])
def test_bad_ndctl_file(tmp_path, content, fragment):
    f = tmp_path / "n.json"
    if content is not None:
        f.write_text(content)
    code, out, err = run_import("--ndctl", f)
    assert code == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err


def test_bad_iomem_file(tmp_path):
    f = tmp_path / "iomem"
    f.write_text("hello\n")
    code, out, err = run_import("--iomem", f)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no /proc/iomem lines" in err
    f.write_bytes(b"\x00\x01")
    code, out, err = run_import("--iomem", f)
    assert code == 2 and "binary" in err


def test_missing_start_exits_2():
    code, out, err = run_import("--ndctl", OBS / "nv_labels/boot1/snap/final/ndctl_list.json")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "missing: the physical start of region0 (namespace0.2" in err and "--iomem" in err


def test_no_inputs_and_bad_kernel():
    code, out, err = run_import()
    assert code == 2 and "nothing to import" in err
    code, out, err = run_import("--iomem", OBS / "nv_aligned/boot1/snap/final/iomem.txt", "--kernel", "5.x")
    assert code == 2 and "--kernel" in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- output file

def test_output_is_atomic_and_never_overwritten(tmp_path):
    d = OBS / "nv_aligned/boot1/snap/final"
    out = tmp_path / "p.yaml"
    args = ["--iomem", d / "iomem.txt", "--ndctl", d / "ndctl_list.json", "-o", out]
    assert run_import(*args)[0] == 0
    first = out.read_text()
    load_platform(out)
    out.write_text("mine\n")
    code, _, err = run_import(*args)
    assert code == 2 and "exists" in err and "--force" in err
    assert out.read_text() == "mine\n"
    assert run_import(*args, "--force")[0] == 0
    assert out.read_text() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]     # no temporary left behind


# ----------------------------------------------------------------------------- live capture

LIVE = {"nv_labels-final": "nv_labels/boot1/snap/final",
        "nv_kmem-final": "nv_kmem/boot1/snap/final",
        "e820_unaligned_100M-final": "e820_unaligned_100M/boot1/snap/final"}


@pytest.mark.parametrize("tree", sorted(LIVE))
def test_live_tree(tree, tmp_path):
    out = tmp_path / "p.yaml"
    code, _, err = run_import("--live", "--root", DATA / "live" / tree, "-o", out)
    assert code == 0, err
    assert "warning:" not in err and "assumed:" not in err, err
    text = out.read_text()
    assert 'kernel: "6.1.0-56-amd64"' in text and "memory_block_size: 0x8000000" in text
    res = layout_json(out)
    got = {n["name"]: n for n in res["namespaces"]}
    for name, size in ndctl_sizes(OBS / LIVE[tree] / "ndctl_list.json").items():
        assert got[name]["usable_size"] == size, name


def test_live_raw_sizes_are_facts():
    lv = read_live(str(DATA / "live" / "nv_labels-final"))
    res = build_platform(live=lv)
    assert ns_of(res.data)["namespace0.3"]["size"] == 0x80000000
    assert not [n for n in res.notes if n.key == "size"]
    kmem = build_platform(live=read_live(str(DATA / "live" / "nv_kmem-final")))
    assert ns_of(kmem.data)["namespace0.0"]["system_ram"]


def test_live_non_root(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(DATA / "live" / "nv_kmem-final", root, symlinks=True)
    iomem = root / "proc" / "iomem"
    iomem.write_text(re.sub(r"[0-9a-f]+-[0-9a-f]+ :", "00000000-00000000 :", iomem.read_text()))
    code, out, err = run_import("--live", "--root", root)
    assert code == 2 and "non-root" in err


# ----------------------------------------------------------------------------- real-world captures

REAL = REALWORLD
_IOMEM_LINE = re.compile(r"^\s*[0-9a-fA-F]+-[0-9a-fA-F]+ : ")


def capture(path):
    """(iomem text, ndctl JSON docs, daxctl JSON docs) copied out of a case file: its
    /proc/iomem lines, and every complete JSON value that starts on a line of its own."""
    lines = [l for l in path.read_text().splitlines() if not l.startswith("#")]
    iomem = "\n".join(l for l in lines if _IOMEM_LINE.match(l))
    docs = []
    i = 0
    while i < len(lines):
        if lines[i].strip() in ("[", "{"):
            ind = len(lines[i]) - len(lines[i].lstrip())
            for j in range(i + 1, len(lines)):
                if lines[j].strip() in ("]", "}") and len(lines[j]) - len(lines[j].lstrip()) == ind:
                    chunk = "\n".join(lines[i:j + 1])
                    try:
                        json.loads(chunk)
                        docs.append(chunk)
                        i = j
                    except ValueError:
                        pass
                    break
        i += 1
    nd = [d for d in docs if '"dev"' in d]
    dx = [d for d in docs if '"chardev"' in d and '"dev"' not in d]
    return iomem, nd, dx


# what each case holds for import: "ok" (imported), "missing" (exit 2 naming what is
# missing) or "none" (no /proc/iomem, ndctl or daxctl output in it: dmesg, e820, ipmctl)
REALWORLD = {
    "01": "ok", "02": "missing", "03": "none", "04": "none", "05": "missing", "06": "missing",
    "07": "missing", "08": "missing", "09": "none", "10": "missing", "11": "none", "12": "none",
    "13": "none", "14": "none", "15": "ok", "16": "missing", "17": "none", "18": "none",
    "19": "missing", "20": "missing", "21": "none", "22": "missing", "23": "missing", "24": "missing",
    "25": "missing",
}


def test_every_realworld_case_is_classified():
    assert sorted(p.name[:2] for p in REAL.glob("*.txt")) == sorted(REALWORLD)


@pytest.mark.parametrize("case", sorted(REALWORLD))
def test_realworld(case, tmp_path):
    path = next(REAL.glob(f"{case}-*.txt"))
    iomem, nd, dx = capture(path)
    args = []
    for text, opt in ((iomem, "--iomem"), ("\n".join(nd), "--ndctl"), ("\n".join(dx), "--daxctl")):
        if text:
            f = tmp_path / opt.strip("-")
            f.write_text(text)
            args += [opt, f]
    want = REALWORLD[case]
    if want == "none":
        assert not args
        return
    out = tmp_path / "p.yaml"
    code, _, err = run_import(*args, "--kernel", "6.1", "-o", out)
    if want == "missing":
        assert code == 2 and not out.exists()
        assert len(err.strip().splitlines()) == 1 and err.startswith("pmemplan import: missing:"), err
        return
    assert code == 0, err
    res = layout_json(out)
    if case == "01":        # ba72b4c8cf60: legacy pmem ending 64M into the section System RAM starts in
        regs = {r["name"]: r for r in res["regions"]}
        assert regs["region0"]["provider"] == "e820" and regs["region0"]["start"] == 0x200000000
        assert regs["region0"]["size"] == 0x104000000
        assert regs["region2"]["start"] == 0x2400000000
        assert any(s["nr"] == 0x60 and "System RAM" in s["owners"] for s in res["sections"])
        old = layout_json(out, "--kernel", "5.2")
        assert any(s["nr"] == 0x60 for s in old["sections"])
    if case == "15":        # devdax head 130M + data onlined as System RAM (kmem)
        ns = res["namespaces"][0]
        assert (ns["mode"], ns["map"], ns["align"], ns["status"]) == ("devdax", "dev", 0x200000, "enabled")
        assert ns["info_block"]["dataoff"] == 130 << 20
        assert ns["kmem"]["online_bytes"] > 0


# ----------------------------------------------------------------------------- size 0, observed state

def test_zero_size_namespace_with_a_uuid_is_real():
    """ndctl lists a devdax namespace whose info block leaves no pages (1G align, 1G at
    0x159000000: dataoff 624M + end_trunc 400M) with size 0 but its uuid, mode and align: it
    is imported as that devdax namespace, not dropped as a seed (tests/data/import/devdax-npfns0)."""
    from pmemplan.engine import compute_layout
    d = DATA / "devdax-npfns0"
    res = build_platform(iomem=parse_iomem((d / "iomem.txt").read_text()),
                         ndctl=parse_ndctl((d / "ndctl_list.json").read_text()), kernel="6.1")
    n = ns_of(res.data)["namespace0.3"]
    assert (n["mode"], n["map"], n["align"]) == ("devdax", "dev", 1 << 30)
    assert (n["offset"], n["size"], n["state"]) == (0x59000000, 1 << 30, "enabled")
    assert not any(x.target == "namespace0.3" and "seed" in x.text for x in res.notes)
    assert not any(x.kind == "warning" for x in res.notes), res.notes
    got = compute_layout(res.platform(), "6.1").namespace("namespace0.3")
    assert (got.status, got.usable_size) == ("enabled", 0)
    assert (got.info_block["dataoff"], got.info_block["end_trunc"]) == (624 << 20, 400 << 20)
    # the seed of the same region (size 0, all-zero uuid) is still left out
    assert "namespace0.7" not in ns_of(res.data)


@pytest.mark.parametrize("uuid, seed", [(None, True), ("00000000-0000-0000-0000-000000000000", True),
                                        ("78615cd1-1bd1-4271-82eb-69801208df5f", False)])
def test_seed_is_size_0_without_uuid(uuid, seed):
    from pmemplan.importer.infer import _is_seed
    ns = {"dev": "namespace0.1", "mode": "devdax", "size": 0, "align": 1 << 30}
    if uuid:
        ns["uuid"] = uuid
    info = parse_ndctl(json.dumps({"dev": "region0", "namespaces": [ns]}))
    assert _is_seed(info.regions["region0"].namespaces[0]) is seed


def layout_of(text, *kernel):
    from pmemplan.engine import compute_layout
    return compute_layout(load_platform_text(text, "p.yaml"), *kernel)


def test_disabled_namespace_is_reported_disabled_with_its_next_enable():
    """e820_unaligned_start: the raw namespace of a range starting 1M into a 2M sub-section
    is disabled after every attempt failed (ndctl lists "state":"disabled"); under the captured
    kernel it is reported disabled, the failure of its next enable as a warning."""
    res = imported("e820_unaligned_start/boot1/snap/final")
    text = res.yaml()
    assert "state: disabled" in text
    got = layout_of(text).namespace("namespace0.0")
    assert got.status == "disabled" and got.error is None and got.usable_size is None
    assert len(got.warnings) == 1 and "misaligned, unable to map" in got.warnings[0]
    assert got.to_dict()["warnings"] == got.warnings
    assert sum(got.lost.values()) == 0
    warned = [n for n in res.notes if n.kind == "warning" and n.target == "namespace0.0"]
    assert warned and "its next enable fails under 6.1" in warned[0].text
    # under another kernel the status is the model's prediction
    other = layout_of(text, "6.6").namespace("namespace0.0")
    assert other.status == "failed" and not other.warnings
    # nothing of a disabled namespace is mapped: --check does not count it
    r = CliRunner(env={"COLUMNS": "400"}).invoke(cli, ["layout", "--check", "-"], input=text)
    assert r.exit_code == 0, r.output
    assert "1 disabled" in r.output and "next enable fails under 6.1: [mem 0x3e900000-0x44dfffff flags 0x200] misaligned" in r.output
    assert layout_of(text).summary.to_dict()["disabled"] == 1


E820_END_UNALIGNED = """format: 1
kernel: "6.1"
memory: [{type: system-ram, start: 0, size: 1G}]
regions:
  - name: region0
    provider: e820
    start: 0x40000000
    size: 101M
    align: 4K
    namespaces:
      - {name: namespace0.0, mode: fsdax, map: dev, align: 2M, exists: true%s}
"""


def test_enabled_namespace_whose_next_enable_fails():
    """An e820 range whose end is not 2 MiB aligned: created in fsdax mode it is enabled (with
    end_trunc), but 5.7+ probes an existing one as the raw range first and refuses it
    (observations README, e820 notes).  Observed enabled: enabled, with the warning."""
    got = layout_of(E820_END_UNALIGNED % ", state: enabled").namespace("namespace0.0")
    assert got.status == "enabled" and got.info_block["end_trunc"] == 1 << 20
    assert len(got.warnings) == 1 and "its next enable fails under 6.1" in got.warnings[0]
    assert "misaligned, unable to map (EOPNOTSUPP)" in got.warnings[0]
    # no observed state: the model's prediction (the next enable)
    plain = layout_of(E820_END_UNALIGNED % "").namespace("namespace0.0")
    assert plain.status == "failed" and not plain.warnings
    # another kernel: predicted
    assert layout_of(E820_END_UNALIGNED % ", state: enabled", "6.6").namespace("namespace0.0").status == "failed"
    # disabled there: disabled, with the same warning
    off = layout_of(E820_END_UNALIGNED % ", state: disabled").namespace("namespace0.0")
    assert off.status == "disabled" and "misaligned" in off.warnings[0]


def test_observed_state_needs_the_recorded_place():
    """A labelled namespace without an offset is placed by first fit: its state is a prediction."""
    text = """format: 1
kernel: "6.1"
regions:
  - name: region0
    start: 0x100000000
    size: 1G
    labels: true
    namespaces:
      - {name: namespace0.0, size: 512M, mode: fsdax, exists: true, state: disabled%s}
"""
    assert layout_of(text % ", offset: 0").namespace("namespace0.0").status == "disabled"
    assert layout_of(text % "").namespace("namespace0.0").status == "enabled"
    assert layout_of(text % ", offset: 0", "5.10").namespace("namespace0.0").status == "enabled"


def test_state_needs_exists():
    from pmemplan.errors import InputError
    with pytest.raises(InputError, match="state .* applies to a namespace that exists"):
        load_platform_text("""format: 1
kernel: "6.1"
regions:
  - {name: region0, start: 0x100000000, size: 1G, labels: false,
     namespaces: [{name: namespace0.0, mode: raw, state: disabled}]}
""", "p.yaml")


def test_label_version_from_human_sizes_is_marked_approximate():
    """A 128M sector namespace (4K sectors): BTT 1.1 gives 126.84 MiB, BTT 2.0 126.85 MiB, so
    -u tells them apart; the label version inferred from it is marked approximate."""
    io = parse_iomem("0-7fffffff : System RAM\n100000000-13fffffff : Persistent Memory\n"
                     "  100000000-107ffffff : namespace0.0\n")
    nd = parse_ndctl('{"dev":"region0","size":"1024.00 MiB (1073.74 MB)","align":16777216,'
                     '"namespaces":[{"dev":"namespace0.0","mode":"sector","size":"126.85 MiB (133.01 MB)",'
                     '"uuid":"89627b67-985a-47f7-b3d1-4fde3664b943","raw_uuid":"bee536ad-7b81-48a2-a2df-'
                     '239a7b94c94e","sector_size":4096}]}')
    res = build_platform(iomem=io, ndctl=nd, kernel="6.1")
    assert res.data["regions"][0]["label_version"] == "1.2"
    text = res.yaml()
    line = next(l for l in text.splitlines() if l.strip().startswith("label_version:"))
    assert "BTT 2.0" in line and "(approximate: ndctl list -u rounds sizes to two decimals)" in line
    assert "# '(approximate: …)' marks" in text


# ----------------------------------------------------------------------------- no pmem, output checks

def test_live_without_pmem_writes_the_memory_map(tmp_path):
    """A captured tree with /proc/iomem but no /sys/bus/nd: the memory map (for planning
    memmap= or QEMU NVDIMMs), exit 0, and a line on stderr saying no pmem was found."""
    out = tmp_path / "p.yaml"
    code, stdout, err = run_import("--live", "--root", DATA / "live" / "no-pmem", "-o", out, "-q")
    assert code == 0, err
    assert err.strip().splitlines() == ["pmemplan import: no pmem found (no /sys/bus/nd (no libnvdimm "
                                        "driver loaded); no 'Persistent Memory' range in /proc/iomem): "
                                        "the memory map alone is written"]
    p = load_platform(out)
    assert p.regions == [] and p.kernel == "6.1.0-56-amd64" and p.memory_block_size == 128 << 20
    ram = [m for m in p.memory if m.type == "system-ram"]
    assert [(m.start, m.end) for m in ram] == [(0x1000, 0x9fc00), (0x100000, 0x7ffdf000)]
    # a libnvdimm bus without regions: the same
    root = tmp_path / "root"
    shutil.copytree(DATA / "live" / "no-pmem", root)
    bus = root / "sys" / "bus" / "nd" / "devices" / "ndbus0"
    bus.mkdir(parents=True)
    (bus / "provider").write_text("ACPI.NFIT\n")
    code, stdout, err = run_import("--live", "--root", root)
    assert code == 0 and "regions: []" in stdout and "no region in /sys/bus/nd/devices" in err


def test_no_pmem_without_live_is_still_missing(tmp_path):
    f = tmp_path / "iomem"
    f.write_text((DATA / "live" / "no-pmem" / "proc" / "iomem").read_text())
    code, out, err = run_import("--iomem", f)
    assert code == 2 and "missing: a persistent-memory region" in err


@pytest.mark.parametrize("target, fragment", [
    ("dir", "is a directory"),
    ("nodir/p.yaml", "no such directory"),
    ("exists.yaml", "exists; use --force"),
])
def test_output_is_checked_before_the_work(tmp_path, target, fragment, monkeypatch):
    """-o is checked before any input is read: with an unreadable input, the output error wins."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "exists.yaml").write_text("mine\n")
    import pmemplan.importer as imp
    calls = []
    monkeypatch.setattr(imp, "parse_iomem", lambda *a, **k: calls.append(a))
    code, out, err = run_import("--iomem", tmp_path / "no-such-input", "-o", tmp_path / target)
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1, err
    assert not calls and (tmp_path / "exists.yaml").read_text() == "mine\n"


def test_output_in_a_read_only_directory(tmp_path, monkeypatch):
    """(os.access is replaced: the tests may run as root, who can write anywhere.)"""
    import pmemplan.commands.import_cmd as cmd
    seen = []
    monkeypatch.setattr(cmd.os, "access", lambda path, mode: seen.append(str(path)) or False)
    code, out, err = run_import("--iomem", tmp_path / "no-such-input", "-o", tmp_path / "p.yaml")
    assert code == 2 and "cannot write: permission denied" in err and "No such file" not in err
    assert seen == [str(tmp_path)]


def test_live_state_comes_from_the_driver(tmp_path):
    """sysfs: a namespace is enabled when it or its pfn/dax/btt device has a driver bound."""
    root = tmp_path / "root"
    shutil.copytree(DATA / "live" / "nv_labels-final", root, symlinks=True)
    (root / "sys" / "bus" / "nd" / "devices" / "pfn0.1" / "driver").unlink()
    res = build_platform(live=read_live(str(root)))
    states = {n: v["state"] for n, v in ns_of(res.data).items()}
    assert states["namespace0.1"] == "disabled"
    assert all(s == "enabled" for n, s in states.items() if n != "namespace0.1")
    from pmemplan.engine import compute_layout
    out = compute_layout(res.platform())
    assert out.namespace("namespace0.1").status == "disabled"
    assert out.namespace("namespace0.0").status == "enabled"


@pytest.mark.parametrize("snap", ["nv_labels/boot1/snap/final", "nv_kmem/boot1/snap/final",
                                  "e820_unaligned_start/boot1/snap/final", "nv_shift/boot2/snap/final"])
def test_records_and_yaml_agree(snap):
    """The model runs on the records built from the import's data; the YAML written says the same."""
    res = imported(snap)
    assert res.platform() == load_platform_text(res.yaml(), "p.yaml")
