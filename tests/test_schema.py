"""pmemplan.schema: the JSON Schema of format 1 agrees with the loader."""
from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from conftest import KERNEL_CASES as KERNEL_CASES_DIR
from pmemplan.errors import ValueParseError
from pmemplan.schema import SIZE_PATTERN, platform_json_schema
from pmemplan.sizes import format_size, parse_size

KERNEL_CASES = sorted(str(p) for p in KERNEL_CASES_DIR.glob("*/platform.yaml"))

BASE = {
    "format": 1,
    "name": "test",
    "kernel": "6.1",
    "targets": ["5.10", "6.6.0-rc1"],
    "ndctl": "78",
    "memory": [{"type": "system-ram", "start": 0, "size": "1G"}],
    "regions": [{
        "name": "region0", "provider": "nfit", "start": "0x100000000", "size": 4 << 30,
        "label_version": "1.2", "interleave_ways": 2,
        "namespaces": [
            {"name": "namespace0.0", "size": "1G", "mode": "fsdax", "map": "dev"},
            {"name": "namespace0.1", "size": "1GiB", "mode": "devdax", "align": "2M", "system_ram": True},
            {"name": "namespace0.2", "size": 1 << 30, "mode": "sector", "sector_size": 4096},
        ],
    }],
    "lint": {"rules": {"some-rule": "off"}},
}


@pytest.fixture(scope="module")
def schema():
    return platform_json_schema()


@pytest.fixture(scope="module")
def validator(schema):
    return jsonschema.Draft202012Validator(schema)


def errors(validator, doc):
    return [e.message for e in validator.iter_errors(doc)]


def walk(node):
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def test_is_a_valid_draft_2020_12_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema
    jsonschema.Draft202012Validator.check_schema(schema)
    json.dumps(schema)                         # plain JSON


def test_fresh_copy_each_call(schema):
    s = platform_json_schema()
    s["properties"].clear()
    assert platform_json_schema() == schema


def test_no_size_marker_left(schema):
    for node in walk(schema):
        if isinstance(node, dict):
            assert "x-size" not in node


def test_every_size_field_takes_int_or_string(schema):
    def is_size(prop):
        return prop.get("$ref") == "#/$defs/Size" or {"$ref": "#/$defs/Size"} in prop.get("anyOf", [])

    defs = schema["$defs"]
    for model, key in [("MemoryRange", "start"), ("MemoryRange", "size"), ("Region", "start"), ("Region", "size"),
                       ("Region", "align"), ("Namespace", "size"), ("Namespace", "offset"), ("Namespace", "align")]:
        assert is_size(defs[model]["properties"][key]), (model, key)
    for key in ("page_size", "memory_block_size"):
        assert is_size(schema["properties"][key]), key
    assert not is_size(defs["Namespace"]["properties"]["sector_size"])
    size = schema["$defs"]["Size"]
    types = sorted(b["type"] for b in size["anyOf"])
    assert types == ["integer", "string"]
    assert {"type": "integer", "minimum": 0} in size["anyOf"]


def test_titles_and_descriptions(schema):
    assert schema["title"] and schema["description"]
    props = schema["properties"]
    for key in ("format", "kernel", "targets", "arch", "memory", "regions", "ndctl", "page_size"):
        assert props[key].get("title") and props[key].get("description"), key
    assert "quote" in props["kernel"]["description"]
    for model, keys in {"Region": ("provider", "labels", "namespaces", "start", "size"),
                        "Namespace": ("mode", "map", "size", "offset", "align", "sector_size"),
                        "MemoryRange": ("type", "start", "size")}.items():
        d = schema["$defs"][model]
        assert d.get("title")
        for key in keys:
            assert d["properties"][key].get("description"), (model, key)


def test_base_document_is_valid(validator):
    assert errors(validator, BASE) == []


@pytest.mark.parametrize("path", KERNEL_CASES, ids=lambda p: p.split("/")[-2])
def test_kernel_cases_validate(validator, path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    assert errors(validator, doc) == []


def _with(path, value, doc=BASE):
    doc = copy.deepcopy(doc)
    node = doc
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize("path,value", [
    (("kernal",), "6.1"),                                       # unknown key
    (("regions", 0, "namespaces", 0, "mdoe"), "fsdax"),        # unknown nested key
    (("regions", 0, "namespaces", 0, "mode"), "fsdaxx"),       # bad mode
    (("regions", 0, "provider"), "acpi"),
    (("memory", 0, "type"), "ram"),
    (("arch",), "x86"),
    (("format",), 2),
    (("format",), _DELETE),
    (("kernel",), _DELETE),
    (("kernel",), 5.1),                                         # `kernel: 5.10` as yaml.safe_load reads it
    (("kernel",), "six"),
    (("targets",), ["6.1", 5.1]),
    (("targets",), "6.1"),
    (("ndctl",), 76.1),
    (("regions", 0, "label_version"), 1.2),
    (("regions", 0, "start"), _DELETE),
    (("regions", 0, "size"), -1),
    (("regions", 0, "size"), "-1"),
    (("regions", 0, "size"), "010"),                            # leading zero
    (("regions", 0, "size"), "1.5G"),
    (("regions", 0, "size"), 1.5),
    (("regions", 0, "size"), "16X"),
    (("regions", 0, "size"), True),
    (("regions", 0, "interleave_ways"), 0),
    (("regions", 0, "namespaces", 0, "name"), ["a"]),
    (("regions", 0, "namespaces", 0, "force"), "maybe"),
    (("lint", "rules", "some-rule"), "loud"),
    (("memory",), {"type": "reserved"}),
])
def test_rejects(validator, path, value):
    assert errors(validator, _with(path, value)), (path, value)


SIZE_OK = ["0", "4096", "0x1000", "0X1000", "16M", "16m", "0x10M", "1GiB", "1GB", "1 K", " 2T ", "1E",
           "1_048_576", "0xdead_beef", "1040M", "9" * 40, "0x" + "f" * 38]
SIZE_BAD = ["", "-1", "010", "00", "0x", "0x_", "1.5G", "1e3", "16X", "G", "1KIB", "9" * 41, "0x" + "f" * 39, "1 2"]


@pytest.mark.parametrize("text", SIZE_OK)
def test_size_pattern_accepts(validator, text):
    assert re.search(SIZE_PATTERN, text)
    assert errors(validator, _with(("regions", 0, "size"), text)) == []
    parse_size(text)


@pytest.mark.parametrize("text", SIZE_BAD)
def test_size_pattern_refuses(validator, text):
    assert not re.search(SIZE_PATTERN, text)
    assert errors(validator, _with(("regions", 0, "size"), text))
    with pytest.raises(ValueParseError):
        parse_size(text)


@given(st.from_regex(SIZE_PATTERN))
def test_what_the_schema_accepts_parses(text):
    assert parse_size(text) >= 0


@given(st.integers(0, 2 ** 64))
def test_sizes_as_written_match(n):
    for text in (str(n), hex(n), format_size(n)):
        assert re.search(SIZE_PATTERN, text), text


@pytest.mark.parametrize("kernel", ["6.1", "5.10.0", "6.1.0-56-amd64", "5.3-rc4", "v6.6"])
def test_kernel_strings(validator, kernel):
    assert errors(validator, _with(("kernel",), kernel)) == []
