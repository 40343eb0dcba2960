"""pmemplan.loader: YAML -> Platform, one located InputError per problem; pmemplan.sizes."""
from __future__ import annotations

import io
import pathlib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KERNEL_CASES as KERNEL_CASES_DIR
from pmemplan import loader
from pmemplan.errors import InputError, ValueParseError
from pmemplan.loader import load_platform, load_platform_text, locate_in
from pmemplan.platform import Platform
from pmemplan.sizes import (align_down, align_up, format_size, human_size, in_unit, is_pow2, parse_size,
                            parse_size_unit, short_size)

# what the loader uses where PyYAML has no C extension
PURE_LOADER = type("PureLoader", (loader._PlainResolver, yaml.SafeLoader), {})


KERNEL_CASES = sorted(str(p) for p in KERNEL_CASES_DIR.glob("*/platform.yaml"))

# Line numbers below refer to this text.
BASE = """\
format: 1
name: test
kernel: "6.1"
memory:
  - {type: system-ram, start: 0x0, size: 1G}
regions:
  - name: region0
    provider: nfit
    start: 0x100000000
    size: 4G
    namespaces:
      - name: namespace0.0
        size: 1G
        mode: fsdax
      - name: namespace0.1
        size: 1G
        mode: devdax
        align: 2M
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def error(source, **kw) -> InputError:
    kw.setdefault("name", "p.yaml")
    with pytest.raises(InputError) as ei:
        load_platform(source, **kw)
    e = ei.value
    assert "\n" not in str(e)
    assert "Traceback" not in str(e) and "pydantic" not in str(e)
    return e


def where(e: InputError):
    return e.line, e.column


# ----------------------------------------------------------------------------- valid input

def test_base_loads():
    p = load_platform(BASE, name="p.yaml")
    assert isinstance(p, Platform)
    assert p.format == 1 and p.kernel == "6.1"
    r = p.regions[0]
    assert r.start == 1 << 32 and r.size == 4 << 30 and r.labelled
    ns = r.namespaces
    assert [n.name for n in ns] == ["namespace0.0", "namespace0.1"]
    assert ns[0].size == 1 << 30 and ns[0].size_unit == "G"
    assert ns[1].mode == "devdax" and ns[1].align == 2 << 20
    assert p.memory[0].size == 1 << 30


def test_kernel_cases_present():
    assert len(KERNEL_CASES) >= 90, "expected tests/data/kernel-cases/*/platform.yaml"


@pytest.mark.parametrize("path", KERNEL_CASES, ids=lambda p: p.split("/")[-2])
def test_kernel_case_loads(path):
    p = load_platform(path)
    assert p.format == 1 and p.regions
    # the same file given as bytes, str content and a pathlib.Path
    data = pathlib.Path(path).read_bytes()
    assert load_platform(data, name=path) == p
    assert load_platform(pathlib.Path(path)) == p


def test_values_stay_strings_not_yaml11_numbers():
    text = edit("name: test", "name: 1:30") + "ndctl: \"81\"\n"
    p = load_platform(text, name="p.yaml")
    assert p.name == "1:30"                   # YAML 1.1 would say 90
    assert p.ndctl == "81"
    p = load_platform(edit("name: test", "name: 0x10"), name="p.yaml")
    assert p.name == "0x10"


def test_yaml11_look_alikes_are_plain_strings():
    # YAML 1.1 would make these a date, a float and a bool; to pmemplan they are names
    for value in ("2024-01-01", "1e3", "on", ".inf", "=", "0b101"):
        p = load_platform(edit("name: test", f"name: {value}"), name="p.yaml")
        assert p.name == value


def test_bool_and_int_spellings():
    text = edit("    provider: nfit\n", "    provider: nfit\n    labels: yes\n    interleave_ways: 2\n")
    p = load_platform(text + "thp: off\nbare_metal: True\n", name="p.yaml")
    assert p.regions[0].labels is True and p.regions[0].interleave_ways == 2
    assert p.thp is False and p.bare_metal is True


def test_null_values():
    p = load_platform(edit("kernel: \"6.1\"", "kernel: \"6.1\"\ntargets: ~\nlint:"), name="p.yaml")
    assert p.targets is None and p.lint is None


def test_sizes_in_all_spellings():
    for spelling, value in [("268435456", 256 << 20), ("0x10000000", 256 << 20), ("256M", 256 << 20),
                            ("256MiB", 256 << 20), ('"256 MB"', 256 << 20), ("1_048_576", 1 << 20)]:
        p = load_platform(edit("        size: 1G\n        mode: fsdax", f"        size: {spelling}\n        mode: fsdax"),
                          name="p.yaml")
        assert p.regions[0].namespaces[0].size == value, spelling


def test_crlf_and_bom_accepted():
    data = ("\ufeff" + BASE).replace("\n", "\r\n").encode("utf-8")
    assert load_platform(data, name="p.yaml") == load_platform(BASE, name="p.yaml")
    assert load_platform(data.decode("utf-8"), name="p.yaml") == load_platform(BASE, name="p.yaml")


def test_crlf_bom_error_positions_match_lf():
    bad = edit("mode: devdax", "mode: devdaxx")
    lf = error(bad)
    crlf = error(("\ufeff" + bad).replace("\n", "\r\n").encode("utf-8"))
    assert where(lf) == where(crlf) == (17, 15)
    assert lf.message == crlf.message


def test_merge_keys():
    text = edit("regions:\n", "x-templates: &t {mode: devdax, align: 2M}\nregions:\n")
    assert error(text).message.startswith("unknown key 'x-templates'")
    text = edit("      - name: namespace0.0\n        size: 1G\n        mode: fsdax\n",
                "      - name: namespace0.0\n        size: 1G\n        mode: fsdax\n        <<: &t {mode: devdax, align: 2M}\n")
    text = edit("        mode: devdax\n        align: 2M\n", "        <<: *t\n", text)
    p = load_platform(text, name="p.yaml")
    assert p.regions[0].namespaces[0].mode == "fsdax"        # explicit key wins
    assert p.regions[0].namespaces[1].mode == "devdax" and p.regions[0].namespaces[1].align == 2 << 20


def test_merge_of_a_scalar_is_an_error():
    e = error(edit("        align: 2M\n", "        <<: 5\n"))
    assert where(e) == (18, 13)
    assert "merge" in e.message


def test_sources():
    p = load_platform(io.BytesIO(BASE.encode()))
    assert p.name == "test"
    e = error(io.BytesIO(b"format: 2\nkernel: \"6.1\"\n"), name="<stdin>")
    assert str(e) == "<stdin>:1:9: format: '2' is not a format this pmemplan reads; write format: 1"
    e = error(b"format: 2\nkernel: \"6.1\"\n", name="<stdin>")
    assert e.path == "<stdin>"
    assert load_platform_text(BASE, "x.yaml") == load_platform_text(BASE.encode(), "x.yaml")


def test_path_errors(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(edit("mode: devdax", "mode: bogus"))
    with pytest.raises(InputError) as ei:
        load_platform(str(f))
    assert str(ei.value) == f"{f}:17:15: regions[0].namespaces[1].mode: 'bogus' is not one of fsdax, devdax, sector, raw"
    with pytest.raises(InputError) as ei:
        load_platform(tmp_path / "missing.yaml")
    assert ei.value.message == "No such file" and ei.value.path == str(tmp_path / "missing.yaml")
    assert str(ei.value) == f"{tmp_path / 'missing.yaml'}: No such file"
    with pytest.raises(InputError) as ei:
        load_platform(tmp_path)
    assert "directory" in ei.value.message
    with pytest.raises(InputError) as ei:
        load_platform(str(tmp_path / "a\0b"))
    assert ei.value.path


def test_locate_in():
    p, locate = locate_in(BASE.encode(), "p.yaml")
    assert p == load_platform(BASE, name="p.yaml")
    assert locate(()) == (1, 1)
    assert locate(("regions", 0, "namespaces", 1)) == (15, 9)
    assert locate(("regions", 0, "namespaces", 1, "mode")) == (17, 15)
    assert locate(("regions", 0, "namespaces", 1, "offset")) == (15, 9)     # absent: the enclosing namespace
    assert locate(("regions", 3)) == (7, 3)                                  # no such region: the list
    assert locate(("memory", 0, "size")) == (5, 42)
    with pytest.raises(InputError) as ei:
        locate_in(edit("mode: devdax", "mode: x").encode(), "p.yaml")
    assert where(ei.value) == (17, 15)


# ----------------------------------------------------------------------------- located errors

LOCATED = [
    # unknown keys, with a suggestion (pointing at the key)
    ("        mode: fsdax", "        mdoe: fsdax", 14, 9,
     "regions[0].namespaces[0]: unknown key 'mdoe'; did you mean 'mode'?"),
    ("kernel: \"6.1\"", "kernel: \"6.1\"\nkernal: \"6.2\"", 4, 1, "unknown key 'kernal'; did you mean 'kernel'?"),
    ("    provider: nfit", "    provder: nfit", 8, 5, "regions[0]: unknown key 'provder'; did you mean 'provider'?"),
    ("  - {type: system-ram,", "  - {typ: system-ram,", 5, 6, "memory[0]: unknown key 'typ'; did you mean 'type'?"),
    # duplicate keys (pointing at the second)
    ("        size: 1G\n        mode: fsdax", "        size: 1G\n        size: 2G\n        mode: fsdax", 14, 9,
     "regions[0].namespaces[0]: duplicate key 'size' (first at line 13)"),
    ("name: test", "name: test\nname: again", 3, 1, "duplicate key 'name' (first at line 2)"),
    # bad enum values
    ("mode: devdax", "mode: devdaxx", 17, 15,
     "regions[0].namespaces[1].mode: 'devdaxx' is not one of fsdax, devdax, sector, raw"),
    ("    provider: nfit", "    provider: acpi", 8, 15,
     "regions[0].provider: 'acpi' is not one of nfit, e820, of_pmem, virtio, cxl"),
    ("name: test", "name: test\narch: x86", 3, 7, "arch: 'x86' is not one of x86_64, arm64, ppc64le, riscv64"),
    ("format: 1", "format: 2", 1, 9, "format: '2' is not a format this pmemplan reads; write format: 1"),
    # missing required keys (pointing at the mapping that lacks them)
    ("    start: 0x100000000\n", "", 7, 5, "regions[0]: missing required key 'start'"),
    ("    start: 0x100000000\n    size: 4G\n", "", 7, 5, "regions[0]: missing required keys 'start', 'size'"),
    ("kernel: \"6.1\"\n", "", 1, 1, "missing required key 'kernel'"),
    ("format: 1\n", "", 1, 1, "missing required key 'format' (a platform file starts with format: 1)"),
    ("      - name: namespace0.1\n        size: 1G\n", "      - size: 1G\n", 15, 9,
     "regions[0].namespaces[1]: missing required key 'name'"),
    # wrong types
    ("      - name: namespace0.1", "      - name: [a, b]", 15, 15, "regions[0].namespaces[1].name: expected a string, got a list"),
    ("name: test", "name: ~", 2, 7, "name: expected a string, got nothing (null)"),
    ("regions:\n", "targets: \"6.1\"\nregions:\n", 6, 10, "targets: expected a list, got '6.1'"),
    ("  - name: region0", "  - name: region0\n    labels: maybe", 8, 13, "regions[0].labels: expected true or false, got 'maybe'"),
    ("    provider: nfit", "    provider: nfit\n    interleave_ways: two", 9, 22,
     "regions[0].interleave_ways: expected an integer, got 'two'"),
    ("    provider: nfit", "    provider: nfit\n    interleave_ways: 0", 9, 22, "regions[0].interleave_ways: must be >= 1, got '0'"),
    ("    size: 4G", "    size: [4G]", 10, 11,
     "regions[0].size: expected a size (integer, 0x-hex or K/M/G/T suffix), got list"),
    ("memory:\n  - {type: system-ram, start: 0x0, size: 1G}\n", "memory:\n  - system-ram\n", 5, 5,
     "memory[0]: expected a mapping, got 'system-ram'"),
    ("kernel: \"6.1\"", "kernel: \"6.x\"", 3, 9,
     "kernel: '6.x' is not a kernel version (e.g. \"6.1\", \"5.10.0\", \"6.1.0-56-amd64\", \"5.3-rc4\")"),
    ("kernel: \"6.1\"", "kernel: \"6.1\"\nndctl: \"abc\"", 4, 8, "ndctl: 'abc' is not an ndctl version (e.g. \"76.1\", \"81\")"),
    # bad sizes
    ("    size: 4G", "    size: -4G", 10, 11, "regions[0].size: '-4G' is not a size (use bytes, 0x-hex, or a K/M/G/T suffix)"),
    ("    size: 4G", "    size: 1.5G", 10, 11, "regions[0].size: '1.5G' is not a size (use bytes, 0x-hex, or a K/M/G/T suffix)"),
    ("    size: 4G", "    size: \"0x_\"", 10, 11, "regions[0].size: '0x_' is not a size (no hex digits after 0x)"),
    ("    size: 4G", "    size: 0", 10, 11, "regions[0].size: size must be greater than 0"),
    ("        size: 1G\n        mode: fsdax", "        size: 0\n        mode: fsdax", 13, 15,
     "regions[0].namespaces[0].size: size must be greater than 0"),
    ("0x0, size: 1G}", "0x0, size: 0x0}", 5, 42, "memory[0].size: size must be greater than 0"),
    # leading zeros: YAML 1.1 octal
    ("    size: 4G", "    size: 010", 10, 11,
     "regions[0].size: 010 has a leading zero, which YAML 1.1 reads as the octal number 8; "
     "write 10, or quote it if it is a name"),
    ("    size: 4G", "    size: \"010\"", 10, 11,
     "regions[0].size: '010' has a leading zero, which YAML 1.1 reads as octal; write 10 for decimal, or 0x8 for octal 010"),
    ("    provider: nfit", "    provider: nfit\n    numa_node: 07", 9, 16,
     "regions[0].numa_node: 07 has a leading zero, which YAML 1.1 reads as the octal number 7; "
     "write 7, or quote it if it is a name"),
    # version strings that YAML reads as numbers
    ("kernel: \"6.1\"", "kernel: 5.10", 3, 9, "kernel: 5.10 reads as the number 5.1 in YAML; quote it: kernel: \"5.10\""),
    ("kernel: \"6.1\"", "kernel: 6.1", 3, 9, "kernel: 6.1 reads as the number 6.1 in YAML; quote it: kernel: \"6.1\""),
    ("kernel: \"6.1\"", "kernel: 6", 3, 9, "kernel: 6 reads as the number 6 in YAML; quote it: kernel: \"6\""),
    ("kernel: \"6.1\"", "kernel: 5:10", 3, 9, "kernel: 5:10 reads as the number 310 in YAML; quote it: kernel: \"5:10\""),
    ("kernel: \"6.1\"", "kernel: \"6.1\"\ntargets: [\"5.4\", 5.10]", 4, 18,
     "targets[1]: 5.10 reads as the number 5.1 in YAML; quote it: \"5.10\""),
    ("kernel: \"6.1\"", "kernel: \"6.1\"\ntargets:\n  - 5.15", 5, 5,
     "targets[0]: 5.15 reads as the number 5.15 in YAML; quote it: \"5.15\""),
    ("kernel: \"6.1\"", "kernel: \"6.1\"\nndctl: 76.1", 4, 8, "ndctl: 76.1 reads as the number 76.1 in YAML; quote it: ndctl: \"76.1\""),
    ("kernel: \"6.1\"", "kernel: \"6.1\"\nndctl: 81", 4, 8, "ndctl: 81 reads as the number 81 in YAML; quote it: ndctl: \"81\""),
    ("    provider: nfit", "    provider: nfit\n    label_version: 1.2", 9, 20,
     "regions[0].label_version: 1.2 reads as the number 1.2 in YAML; quote it: label_version: \"1.2\""),
    # cross-field errors from check_platform
    ("        align: 2M", "        align: 3M", 18, 16, "regions[0].namespaces[1].align: align must be a power of two >= 4K"),
    ("      - name: namespace0.1", "      - name: namespace0.0", 15, 15,
     "regions[0].namespaces[1].name: name 'namespace0.0' is used twice"),
    ("        size: 1G\n        mode: devdax", "        mode: devdax\n        offset: 2G", 15, 9,
     "regions[0].namespaces[1]: namespace namespace0.1 at an explicit offset needs a size"),
    ("    start: 0x100000000", "    start: 0x100000", 9, 12,
     "regions[0].start: region region0 0x100000-0x1000fffff overlaps system-ram range 0x0-0x3fffffff"),
    ("        mode: devdax", "        mode: devdax\n        offset: 4G", 18, 17,
     "regions[0].namespaces[1].offset: offset 0x100000000 + size 0x40000000 ends outside region region0 "
     "(size 0x100000000)"),
    ("    provider: nfit", "    provider: e820", 15, 9,
     "regions[0].namespaces[1]: label-less region region0 holds exactly one namespace"),
    ("    provider: nfit", "    provider: nfit\n    align: 1000", 9, 12,
     "regions[0].align: region align must be a power of two >= 4K (as regionX/align accepts)"),
    ("name: test", "name: test\nmmu: radix", 3, 6, "mmu: mmu applies to ppc64le only (hash or radix)"),
    ("name: test", "name: test\nmemory_block_size: 3M", 3, 20, "memory_block_size: memory_block_size must be a power of two"),
    ("        mode: fsdax", "        mode: fsdax\n        map: mem\n        sector_size: 512", 16, 22,
     "regions[0].namespaces[0].sector_size: sector_size applies to sector mode only, not fsdax"),
]


@pytest.mark.parametrize("old,new,line,col,message", LOCATED, ids=[c[4][:70] for c in LOCATED])
def test_located_errors(old, new, line, col, message):
    e = error(edit(old, new))
    assert (e.message, e.line, e.column) == (message, line, col)
    assert str(e) == f"p.yaml:{line}:{col}: {message}"


def test_offset_overlap_points_at_second_offset():
    text = edit("        mode: fsdax", "        mode: fsdax\n        offset: 0")
    text = edit("        mode: devdax", "        mode: devdax\n        offset: 512M", text)
    e = error(text)
    assert where(e) == (19, 17)
    assert e.message == ("regions[0].namespaces[1].offset: namespace namespace0.1 at offset 0x20000000 "
                         "overlaps namespace0.0 (0x0-0x3fffffff)")


def test_first_error_in_file_order():
    # pydantic reports the top-level extra key last; the file has it first
    text = edit("name: test", "nmae: test")
    text = edit("mode: devdax", "mode: bogus", text)
    e = error(text)
    assert where(e) == (2, 1) and "did you mean 'name'" in e.message


def test_unknown_key_lists_known_keys_when_nothing_is_close():
    e = error(edit("        align: 2M", "        zzzzz: 2M"))
    assert where(e) == (18, 9)
    assert e.message.startswith("regions[0].namespaces[1]: unknown key 'zzzzz' (known keys: name, size, offset, mode")


def test_lint_rules():
    p = load_platform(BASE + "lint:\n  rules:\n    some-rule: off\n", name="p.yaml")
    assert p.lint.rules == {"some-rule": "off"}
    e = error(BASE + "lint:\n  rules:\n    some-rule: loud\n")
    assert (e.line, e.column, e.message) == (21, 16, "lint.rules.some-rule: 'loud' is not one of off, info, warning, error")


# ----------------------------------------------------------------------------- YAML-level errors

@pytest.mark.parametrize("text,line,col,message", [
    ("", None, None, "empty file: expected a platform mapping with format: 1"),
    ("# a comment\n\n   # another\n", None, None, "empty file: expected a platform mapping with format: 1"),
    ("~\n", 1, 1, "empty file: expected a platform mapping with format: 1"),
    ("- format: 1\n", 1, 1, "the top level must be a mapping (format: 1, kernel: ..., regions: ...), not a list"),
    ("hello\n", 1, 1, "the top level must be a mapping (format: 1, kernel: ..., regions: ...), not the scalar 'hello'"),
    ("format: 1\n---\nformat: 1\n", 2, 1, "several YAML documents; a platform file holds one"),
    ("format: 1\n---\n", 2, 1, "several YAML documents; a platform file holds one"),
    ("format: 1\nkernel: [6.1\nname: x\n", 3, 5, "YAML: while parsing a flow sequence, did not find expected ',' or ']'"),
    ("format: 1\nregions:\n\t- name: x\n", 3, 1,
     "YAML: while scanning for the next token, found character that cannot start any token"),
    ("format: 1\n  kernel: x\n", 2, 9, "YAML: mapping values are not allowed in this context"),
    ("format: 1\nkernel: \"6.1\n", 3, 1, "YAML: while scanning a quoted scalar, found unexpected end of stream"),
    ("format: 1\nname: *nope\n", 2, 7, "alias *nope refers to no anchor &nope before it"),
    ("a: &x 1\nb: &x 2\n", 2, 4, "duplicate anchor &x (first at line 1)"),
    ("format: 1\nname: !custom x\n", 2, 7, "name: unsupported YAML tag !custom"),
    ("format: 1\nname: !!binary eA==\n", 2, 7, "name: unsupported YAML tag !!binary"),
    ("format: 1\n? [a, b]\n: 1\n", 2, 3, "a key must be a plain string, not a list"),
    ("format: 1\nname: a\x01b\n", 2, 8, "character U+0001 is not allowed in YAML"),
    ("format: 1\nname: a\x00b\n", 2, 8, "binary file (NUL character); expected YAML text"),
    ("format: 1\nname: \"\\ud800\"\n", 2, 10, "YAML: while parsing a quoted scalar, found invalid Unicode character escape code"),
])
def test_yaml_errors(text, line, col, message):
    e = error(text)
    assert (e.message, e.line, e.column) == (message, line, col)


@pytest.mark.parametrize("data,line,col,message", [
    (b"format: 1\nname: caf\xe9\n", 2, 10, "not UTF-8 text (byte 0xe9)"),
    (b"format: 1\nname: \xff\xfe\n", 2, 7, "not UTF-8 text (byte 0xff)"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00", 1, 8, "binary file (NUL byte); expected YAML text"),
    (b"format: 1\n\x00", 2, 1, "binary file (NUL byte); expected YAML text"),
    (b"\xff\xfef\x00o\x00", 1, 1, "UTF-16/UTF-32 text; save the file as UTF-8"),
])
def test_byte_errors(data, line, col, message):
    e = error(data)
    assert (e.message, e.line, e.column) == (message, line, col)


# ----------------------------------------------------------------------------- hostile input

LAUGHS = "".join(
    [f"a0: &a0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)])

HOSTILE = {
    "billion laughs": (LAUGHS, "too many nodes (alias expansion?)"),
    "laughs via merge": ("b0: &b0 {x: 1, y: 2, z: 3}\n" + "".join(
        "b%d: &b%d {%s}\n" % (i, i, ", ".join("k%d: {<<: *b%d}" % (j, i - 1) for j in range(10))) for i in range(1, 9)),
        "too many nodes (alias expansion?)"),
    "quadratic aliases": ("format: 1\nkernel: \"6.1\"\nmemory: [&m {type: reserved, start: 0, size: 4K}, "
                          + "*m, " * 100_000 + "]\n", "too many nodes (alias expansion?)"),
    "deep flow": ("[" * 100_000, "nested too deeply"),
    "deep flow closed": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "deep flow mapping": ("{a: " * 100_000, "nested too deeply"),
    "deep block sequence": ("- " * 100_000 + "x\n", "nested too deeply"),
    "deep block mapping": ("".join(" " * i + f"k{i}:\n" for i in range(300)), "nested too deeply"),
    "deep via aliases": ("".join(f"a{i}: &a{i} [*a{i - 1}]\n" if i else "a0: &a0 [1]\n" for i in range(300)),
                         "nested too deeply (alias expansion?)"),
    "recursive alias": ("a: &x [*x]\n", "recursive alias *x"),
    "recursive merge": ("a: &x {<<: *x}\n", "recursive alias *x"),
    "huge integer size": (edit("    size: 4G", "    size: " + "9" * 5000), "has too many digits to be a size"),
    "huge hex size": (edit("    size: 4G", "    size: 0x" + "f" * 5000), "has too many digits to be a size"),
    "huge integer field": (edit("    provider: nfit", "    provider: nfit\n    numa_node: " + "7" * 5000),
                           "is too large an integer"),
    "huge kernel number": (edit("kernel: \"6.1\"", "kernel: " + "5" * 5000), "reads as a number in YAML; quote it"),
    "huge quoted kernel": (edit("kernel: \"6.1\"", "kernel: \"" + "5" * 100_000 + "\""), "is not a kernel version"),
    "negative size": (edit("    size: 4G", "    size: -1"), "is not a size"),
    "negative hex": (edit("    size: 4G", "    size: -0x1000"), "is not a size"),
    "zero size": (edit("    size: 4G", "    size: 0x0"), "size must be greater than 0"),
    "many unknown keys": ("format: 1\nkernel: \"6.1\"\n" + "".join(f"k{i}: {i}\n" for i in range(20_000)),
                          "unknown key 'k0'"),
    "many errors": (BASE + "".join(f"      - {{name: n{i}, size: 1G, mode: bogus}}\n" for i in range(5000)),
                    "regions[0].namespaces[2].mode: 'bogus' is not one of"),
    "long line of junk": ("format: 1\nname: " + "x" * 2_000_000 + "\n", "missing required key 'kernel'"),
    "only binary": (bytes(range(256)) * 100, "binary file (NUL byte)"),
    "not utf-8": (b"\xc3\x28" * 10_000, "not UTF-8 text"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input(name):
    source, fragment = HOSTILE[name]
    e = error(source)     # how fast: benchmarks/bench_hostile.py
    assert fragment in e.message
    assert len(str(e)) < 500
    assert e.line is not None or fragment.startswith(("too many", "empty"))


def test_alias_bomb_reports_first_line_it_passes_the_limit():
    e = error(LAUGHS)
    assert e.message == f"too many nodes (alias expansion?): more than {loader.MAX_NODES:,}"
    assert e.line == 7


def test_file_too_large(monkeypatch, tmp_path):
    monkeypatch.setattr(loader, "MAX_BYTES", 1000)
    e = error("a: " + "x" * 2000)
    assert e.message.startswith("file too large")
    f = tmp_path / "big.yaml"
    f.write_bytes(b"a: " + b"x" * 2000)
    with pytest.raises(InputError) as ei:
        load_platform(f)
    assert ei.value.message.startswith("file too large")


def test_aliases_within_reason_are_fine():
    ranges = "".join(f"  - {{<<: *r, start: {i}G}}\n" for i in range(2, 200))
    text = BASE.replace("memory:\n  - {type: system-ram, start: 0x0, size: 1G}\n",
                        "memory:\n  - &r {type: reserved, start: 0x0, size: 1G}\n" + ranges)
    text = text.replace("    start: 0x100000000", "    start: 0x10000000000")
    p = load_platform(text, name="p.yaml")
    assert len(p.memory) == 199 and p.memory[5].start == 6 << 30 and p.memory[5].type == "reserved"


# ----------------------------------------------------------------------------- pure-Python fallback

@pytest.mark.parametrize("text,line,col", [
    (edit("mode: devdax", "mode: devdaxx"), 17, 15),
    (edit("kernel: \"6.1\"", "kernel: 5.10"), 3, 9),
    (edit("    size: 4G", "    size: 010"), 10, 11),
    # libyaml >= 0.2.5 (PyYAML 6.0.4 wheels) stops at its own depth limit of 1000 before
    # the parser reaches level 101, so the column depends on the libyaml build
    ("[" * 5000 + "]" * 5000, 1, None),
    (LAUGHS, 7, None),
    ("format: 1\n---\n", 2, 1),
], ids=["enum", "kernel-float", "octal", "deep", "laughs", "two-docs"])
def test_pure_python_fallback_same_errors(monkeypatch, text, line, col):
    c = error(text)
    monkeypatch.setattr(loader, "_Loader", PURE_LOADER)
    py = error(text)
    assert (py.message, py.line) == (c.message, c.line) and py.line == line
    if col is not None:
        assert py.column == c.column == col


def test_pure_python_fallback_loads(monkeypatch):
    monkeypatch.setattr(loader, "_Loader", PURE_LOADER)
    assert load_platform(BASE, name="p.yaml") == load_platform_text(BASE, "p.yaml")


# ----------------------------------------------------------------------------- speed

def _big_platform(n: int) -> str:
    lines = ["format: 1", "name: big", 'kernel: "6.1"', "memory:",
             "  - {type: system-ram, start: 0x0, size: 0x80000000}", "regions:", "  - name: region0",
             "    provider: nfit", "    start: 0x100000000", f"    size: {n * 16}M", "    labels: true",
             "    namespaces:"]
    for i in range(n):
        lines += [f"      - name: ns{i}", "        size: 16M", f"        offset: {hex(i * 16 << 20)}",
                  "        mode: fsdax", "        map: dev", "        align: 2M"]
    return "\n".join(lines) + "\n"


def test_ten_thousand_namespaces_load():
    """The functional half; the speed (≤ 2× yaml.load with the C loader) is measured by
    benchmarks/bench_many.py."""
    text = _big_platform(10_000)
    p = load_platform(text, name="big.yaml")
    assert len(p.regions[0].namespaces) == 10_000
    assert p.regions[0].namespaces[-1].offset == 9999 * 16 << 20
    assert p.regions[0].namespaces[-1].name == "ns9999" and p.regions[0].size == 10_000 * 16 << 20


def test_gc_state_restored():
    import gc
    assert gc.isenabled()
    load_platform(BASE, name="p.yaml")
    assert gc.isenabled()
    error("format: 2\nkernel: \"6.1\"\n")
    assert gc.isenabled()
    gc.disable()
    try:
        load_platform(BASE, name="p.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()


# ----------------------------------------------------------------------------- fuzzing

def _check(source) -> None:
    try:
        result = load_platform(source, name="fuzz.yaml")
    except InputError as e:
        assert e.path == "fuzz.yaml"
        assert "\n" not in e.message
        if e.line is not None:
            assert e.line >= 1 and (e.column is None or e.column >= 1)
    else:
        assert isinstance(result, Platform)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes(data):
    _check(data)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("ab01:-[]{}&*!|>?,'\"#%@` \n\t.~<x")), max_size=400))
def test_fuzz_yaml_punctuation(text):
    _check(text)


_SNIPPETS = ["\n", " ", ":", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: *a\n", "!!str ", "!x ", "~", "'", '"',
             "010", "5.10", "0x", "-1", "1e3", "G", "\t", "#", "---\n", "...\n", "? ", "|\n", "\r\n", "\ufeff", "\x85",
             "9" * 60, "name", "mode", "size", "regions", "namespaces", "kernel", "format", "yes", "null"]


@st.composite
def _mutated(draw):
    text = BASE
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "dupline", "dropline", "swaplines"]))
        pos = draw(st.integers(0, len(text)))
        if op == "insert":
            text = text[:pos] + draw(st.sampled_from(_SNIPPETS)) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 12)):]
        elif op == "replace":
            text = text[:pos] + draw(st.text(max_size=8)) + text[pos + draw(st.integers(0, 8)):]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "dupline":
                lines.insert(j, lines[i])
            elif op == "dropline":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@FUZZ
@given(_mutated())
def test_fuzz_mutated_config(text):
    _check(text)
    _check(text.encode("utf-8", "surrogatepass"))


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=False),
                     st.text(max_size=12), st.sampled_from(["fsdax", "devdax", "16M", "0x1000", "6.1", "nfit"]))
_keys = st.one_of(st.sampled_from(["format", "kernel", "name", "regions", "namespaces", "size", "start", "mode",
                                   "provider", "memory", "type", "offset", "align", "labels", "targets"]),
                  st.text(max_size=6))
_trees = st.recursive(_scalars, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(_keys, c, max_size=5)),
                      max_leaves=30)


@FUZZ
@given(st.dictionaries(_keys, _trees, max_size=8))
def test_fuzz_structured(tree):
    tree = {"format": 1, "kernel": "6.1", **tree}
    _check(yaml.safe_dump(tree))


# ----------------------------------------------------------------------------- sizes.py

@pytest.mark.parametrize("text,value,unit", [
    ("0", 0, ""), ("4096", 4096, ""), ("0x1000", 4096, ""), ("0X1000", 4096, ""), ("16M", 16 << 20, "M"),
    ("16m", 16 << 20, "M"), ("0x10M", 16 << 20, "M"), ("1GiB", 1 << 30, "G"), ("1GB", 1 << 30, "G"),
    ("1 K", 1024, "K"), (" 2T ", 2 << 40, "T"), ("1P", 1 << 50, "P"), ("1E", 1 << 60, "E"),
    ("1_048_576", 1 << 20, ""), ("1040M", 1040 << 20, "M"), ("0x0", 0, ""),
])
def test_parse_size(text, value, unit):
    assert parse_size_unit(text) == (value, unit)
    assert parse_size(text) == value


@pytest.mark.parametrize("text,fragment", [
    ("", "is not a size"), ("-1", "is not a size"), ("1.5G", "is not a size"), ("1e3", "is not a size"),
    ("16X", "is not a size"), ("0x", "is not a size"), ("0x_", "no hex digits"), ("G", "is not a size"),
    ("010", "leading zero"), ("00", "leading zero"), ("08", "leading zero"), ("9" * 41, "too many digits"),
    ("0x" + "f" * 39, "too many digits"), ("1" * 5000, "too many digits"),
])
def test_parse_size_refuses(text, fragment):
    with pytest.raises(ValueParseError) as ei:
        parse_size(text)
    assert fragment in str(ei.value)


def test_parse_size_leading_zero_message():
    with pytest.raises(ValueParseError) as ei:
        parse_size("010")
    assert str(ei.value) == "'010' has a leading zero, which YAML 1.1 reads as octal; write 10 for decimal, or 0x8 for octal 010"
    with pytest.raises(ValueParseError) as ei:
        parse_size("09")
    assert str(ei.value) == "'09' has a leading zero, which YAML 1.1 reads as octal; write 9 for decimal"


@pytest.mark.parametrize("n,text", [
    (0, "0"), (1, "1"), (1000, "1000"), (1024, "1K"), (1536, "1536"), (4096, "4K"), (2 << 20, "2M"),
    (1040 << 20, "1040M"), (1 << 30, "1G"), (3 << 60, "3E"), ((1 << 30) + 4096, "1048580K"),
])
def test_format_size(n, text):
    assert format_size(n) == text


@pytest.mark.parametrize("n,text", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.00 KiB (1.02 KB)"), (270582939648, "252.00 GiB (270.58 GB)"),
    (16 << 20, "16.00 MiB (16.78 MB)"), (1 << 40, "1.00 TiB (1.10 TB)"), (1 << 60, "1.00 EiB (1.15 EB)"),
    (1 << 70, "1024.00 EiB (1180.59 EB)"),
])
def test_human_size(n, text):
    assert human_size(n) == text


@pytest.mark.parametrize("n,text", [
    (512, "512 B"), (4096, "4 KiB"), (16 << 20, "16 MiB"), (1138753536, "1 GiB + 62 MiB"), ((2 << 30) - (1 << 20), "2 GiB - 1 MiB"), (3 << 29, "1.5 GiB"), (3 << 40, "3 TiB"),
    ((4 << 30) - (64 << 20) - 128, "3 GiB + 960 MiB - 128 B"), (-(96 << 20), "-96 MiB"),
])
def test_short_size(n, text):
    assert short_size(n) == text


def test_in_unit_align_pow2():
    assert in_unit(1040 << 20, "M") == "1040M"
    assert in_unit((1 << 20) + 1, "M") == str((1 << 20) + 1)
    assert in_unit(4096, "") == "4096"
    assert align_up(1, 4096) == 4096 and align_up(4096, 4096) == 4096 and align_up(0, 4096) == 0
    assert align_down(4097, 4096) == 4096 and align_down(4095, 4096) == 0
    assert is_pow2(1) and is_pow2(4096) and not is_pow2(0) and not is_pow2(3) and not is_pow2(-4)


@given(st.integers(0, 2 ** 64))
def test_size_round_trips(n):
    assert parse_size(format_size(n)) == n
    assert parse_size(hex(n)) == n
    assert parse_size(str(n)) == n
    value, unit = parse_size_unit(format_size(n))
    assert in_unit(value, unit) == format_size(n)


@given(st.text(max_size=30))
def test_parse_size_only_raises_value_parse_error(text):
    try:
        assert parse_size(text) >= 0
    except ValueParseError:
        pass

