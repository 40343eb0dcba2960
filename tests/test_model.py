"""The platform records (pmemplan/_model.py + platform.py): validation, objects, schema."""
from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import ValidationError

from pmemplan._model import kind_at
from pmemplan.platform import (MODES, PROVIDERS, LintSettings, MemoryRange, Namespace, Platform,
                               Previous, Region)
from pmemplan.schema import platform_json_schema

M, G = 1 << 20, 1 << 30

BASE = {
    "format": "1", "kernel": "6.1",
    "memory": [{"type": "system-ram", "start": "0", "size": "2G"}],
    "regions": [{"name": "region0", "start": "0x100000000", "size": "1G",
                 "namespaces": [{"name": "namespace0.0", "size": "1040M", "mode": "devdax",
                                 "was": {"mode": "fsdax", "align": "2M"}}]}],
    "lint": {"rules": {"capacity-loss": "off"}},
}


def test_from_dict_builds_typed_objects_with_defaults():
    p = Platform.from_dict(BASE)
    assert isinstance(p, Platform) and p.format == 1 and p.name == "platform" and p.arch == "x86_64"
    assert p.ndctl == "76.1" and p.thp is True and p.targets is None
    (m,) = p.memory
    assert isinstance(m, MemoryRange) and (m.start, m.size, m.end) == (0, 2 * G, 2 * G)
    (r,) = p.regions
    assert isinstance(r, Region) and r.provider == "nfit" and r.interleave_ways == 1 and r.labelled
    (ns,) = r.namespaces
    assert isinstance(ns, Namespace) and ns.size == 1040 * M and ns.mode == "devdax"
    assert ns.map is None and ns.effective_map == "dev" and ns.system_ram is False
    assert isinstance(ns.was, Previous) and ns.was.align == 2 * M
    assert isinstance(p.lint, LintSettings) and p.lint.rules == {"capacity-loss": "off"}


def test_size_unit_is_remembered_and_kept_by_replace():
    ns = Platform.from_dict(BASE).regions[0].namespaces[0]
    assert ns.size_unit == "M"
    assert ns.replace(size=2 * G).size_unit == "M"
    assert Namespace(name="n", size="0x1000").size_unit == ""
    assert Namespace(name="n", size="1GiB").size_unit == "G"
    assert Namespace(name="n", size=4096).size_unit == ""


def test_replace_copies_and_leaves_the_original():
    p = Platform.from_dict(BASE)
    q = p.replace(name="other", mmu=None)
    assert q.name == "other" and p.name == "platform"
    assert q.regions is p.regions          # shallow, like model_copy
    assert q != p and p == Platform.from_dict(BASE)


def test_to_dict_round_trips():
    p = Platform.from_dict(BASE)
    d = p.to_dict()
    assert d["regions"][0]["namespaces"][0]["size"] == 1040 * M
    assert "_size_unit" not in d["regions"][0]["namespaces"][0]
    again = Platform.from_dict(d)
    assert again.to_dict() == d
    assert copy.deepcopy(p) == p


def test_constructor_validates():
    assert Namespace(name=" n ", size="16M").name == "n"     # strings are stripped
    with pytest.raises(ValidationError):
        Namespace(name="n", mode="dax")
    with pytest.raises(ValueError):                          # ValidationError is a ValueError
        Region(name="r", start=0)                            # size missing


@pytest.mark.parametrize("patch, loc, kind", [
    ({"bogus": 1}, ("bogus",), "extra_forbidden"),
    ({"arch": "sparc"}, ("arch",), "literal_error"),
    ({"format": "2"}, ("format",), "literal_error"),
    ({"phys_bits": "70"}, ("phys_bits",), "less_than_equal"),
    ({"thp": "maybe"}, ("thp",), "bool_parsing"),
    ({"kernel": "six"}, ("kernel",), "value_error"),
    ({"ndctl": "x.y"}, ("ndctl",), "value_error"),
    ({"targets": ["6.1", "nope"]}, ("targets",), "value_error"),
    ({"memory": [{"type": "system-ram", "start": "-1", "size": "1G"}]}, ("memory", 0, "start"), "value_error"),
    ({"memory": "all"}, ("memory",), "list_type"),
    ({"lint": {"rules": {"x": "loud"}}}, ("lint", "rules", "x"), "literal_error"),
])
def test_error_types_and_locations(patch, loc, kind):
    with pytest.raises(ValidationError) as e:
        Platform.from_dict({**BASE, **patch})
    errs = e.value.errors(include_url=False)
    assert (tuple(errs[0]["loc"]), errs[0]["type"]) == (loc, kind)


def test_missing_keys_are_reported_per_record():
    with pytest.raises(ValidationError) as e:
        Platform.from_dict({"format": 1, "regions": [{"name": "r"}]})
    missing = {tuple(x["loc"]) for x in e.value.errors() if x["type"] == "missing"}
    assert missing == {("kernel",), ("regions", 0, "start"), ("regions", 0, "size")}


@pytest.mark.parametrize("loc, record, choices", [
    ((), Platform, ()),
    (("regions", 0), Region, ()),
    (("regions", 3, "namespaces", 7), Namespace, ()),
    (("regions", 0, "namespaces", 0, "was"), Previous, ()),
    (("regions", 0, "provider"), Region, PROVIDERS),
    (("regions", 0, "namespaces", 1, "mode"), Namespace, MODES),
    (("lint",), LintSettings, ()),
    (("lint", "rules", "some-rule"), LintSettings, ("off", "info", "warning", "error")),
    (("arch",), Platform, ("x86_64", "arm64", "ppc64le", "riscv64")),
])
def test_kind_at(loc, record, choices):
    rec, kind = kind_at(Platform, loc)
    assert rec is record
    assert (kind.choices if kind is not None else ()) == choices


@pytest.mark.parametrize("loc", [("nope",), ("regions", 0, "nope"), ("kernel", 0), ("regions", "x", "y", "z")])
def test_kind_at_unknown(loc):
    assert kind_at(Platform, loc)[0] in (None, Platform, Region)
    assert kind_at(Platform, loc)[1] is None or kind_at(Platform, loc)[1].choices == ()


def test_schema_lists_every_declared_key_with_its_requiredness_and_choices():
    schema = platform_json_schema()
    defs = schema["$defs"]
    for rec in (Platform, MemoryRange, Previous, Namespace, Region, LintSettings):
        js = schema if rec is Platform else defs[rec.__name__]
        assert list(js["properties"]) == list(rec._fields)
        assert sorted(js.get("required", [])) == sorted(n for n, f in rec._fields.items() if f.required)
        assert js["additionalProperties"] is False
        for name, f in rec._fields.items():
            if len(f.kind.choices) > 1:
                prop = js["properties"][name]
                branch = prop["anyOf"][0] if "anyOf" in prop else prop
                assert branch["enum"] == list(f.kind.choices)


sizes = st.one_of(st.integers(0, 1 << 60), st.sampled_from(["16M", "0x1000", "1G", "2T", "4096", "1GiB"]))


@given(size=sizes, offset=st.one_of(st.none(), sizes), mode=st.sampled_from(MODES),
       align=st.one_of(st.none(), st.sampled_from(["4K", "2M", "1G"])))
def test_round_trip_property(size, offset, mode, align):
    d = {"format": 1, "kernel": "6.1",
         "regions": [{"name": "r", "start": 0, "size": 1 << 61,
                      "namespaces": [{"name": "n", "size": size, "offset": offset, "mode": mode, "align": align}]}]}
    p = Platform.from_dict(d)
    assert Platform.from_dict(p.to_dict()) == p.replace()
    ns = p.regions[0].namespaces[0]
    assert isinstance(ns.size, int) and ns.mode == mode


# ----------------------------------------------------------------------------- declarations

def _records():
    from pmemplan._model import Record
    todo, seen = list(Record.__subclasses__()), []
    while todo:
        r = todo.pop()
        seen.append(r)
        todo.extend(r.__subclasses__())
    return seen


def test_every_field_annotation_agrees_with_its_kind():
    """A record's annotation (what type checkers and readers see) and its kind (what
    validates) are written side by side; they must say the same thing."""
    records = _records()
    assert {r.__name__ for r in records} >= {"Platform", "Region", "Namespace", "MemoryRange", "Previous",
                                             "LintSettings"}
    checked = 0
    for r in records:
        annotations = {}
        for klass in reversed(r.__mro__):
            annotations.update(getattr(klass, "__annotations__", {}))
        for name, f in r._fields.items():
            written = str(annotations[name]).replace("typing.", "").replace(" ", "")
            assert written == f.annotation().replace(" ", ""), f"{r.__name__}.{name}: {written} vs {f.annotation()}"
            checked += 1
    assert checked >= 40


def test_annotation_derivation_catches_a_disagreement():
    from pmemplan._model import BOOL, STR, choice, dict_of, field, list_of, one
    from pmemplan.platform import SIZE
    assert field(SIZE).annotation() == "int" and field(SIZE, None).annotation() == "Optional[int]"
    assert field(choice(1)).annotation() == "int" and field(choice("a", "b"), "a").annotation() == "str"
    assert field(list_of(Region), factory=list).annotation() == "List[Region]"
    assert field(dict_of(BOOL)).annotation() == "Dict[str, bool]"
    assert field(one(Previous), None).annotation() == "Optional[Previous]"
    assert field(STR).annotation() != "Optional[str]"


def test_titles_and_descriptions_live_with_the_fields():
    schema = platform_json_schema()
    for r in _records():
        props = schema["properties"] if r is Platform else schema["$defs"][r.__name__]["properties"]
        for name, f in r._fields.items():
            assert props[name]["title"] == (f.title or name.replace("_", " ").capitalize())
            if f.description:
                assert props[name]["description"] == f.description
    assert Platform._fields["kernel"].title == "Kernel version"
    assert schema["$defs"]["Region"]["title"] == "Region" and schema["$defs"]["MemoryRange"]["title"] == "Memory range"
