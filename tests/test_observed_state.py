"""The observed state of imported namespaces (``state: enabled|disabled``), over random platforms.

Every namespace is made one that exists at the place the engine gives it (``exists: true``, an
explicit offset); then, under the file's kernel:

* a namespace the machine shows disabled is reported ``disabled``, maps nothing and loses
  nothing, and the other namespaces come out exactly as on the platform without it;
* with every namespace shown enabled, those the model enables are unchanged and carry no
  warning; those it fails are enabled as created (the warning names the next enable's
  failure) or, when even creation fails in the model, stay failed with both warnings.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pmemplan.engine.layout import compute_layout
from pmemplan.platform import Platform, check_platform
from test_engine_props import EXAMPLES, platforms


def _existing(d: Dict[str, Any]) -> Dict[str, Any]:
    """``d`` with every namespace existing where the engine places it (refused ones dropped)."""
    d = copy.deepcopy(d)
    for r in d["regions"]:
        for n in r["namespaces"]:
            n["exists"] = True
    p = Platform.from_dict(d)
    assume(check_platform(p) == [])
    res = compute_layout(p, legacy=None)
    got = {n.name: n for n in res.namespaces}
    for r in d["regions"]:
        kept = []
        for n in r["namespaces"]:
            g = got[n["name"]]
            if g.start is None or g.status == "refused":
                continue
            n["offset"] = g.start - r["start"]
            n["size"] = g.size
            kept.append(n)
        r["namespaces"] = kept
    assume(any(r["namespaces"] for r in d["regions"]))
    return d


def _run(d: Dict[str, Any]):
    p = Platform.from_dict(d)
    assert check_platform(p) == []
    return {n.name: n for n in compute_layout(p, legacy=None).namespaces}


def _same(a, b) -> bool:
    return (a.status, a.start, a.usable_size, a.info_block, a.lost, a.memmap_ram_bytes) == \
        (b.status, b.start, b.usable_size, b.info_block, b.lost, b.memmap_ram_bytes)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(d=platforms(), data=st.data())
def test_prop_disabled_maps_nothing_and_changes_no_other(d, data):
    d = _existing(d)
    names: List[str] = [n["name"] for r in d["regions"] for n in r["namespaces"]]
    off = set(data.draw(st.lists(st.sampled_from(names), unique=True, min_size=1)))
    with_state = copy.deepcopy(d)
    without = copy.deepcopy(d)
    for r in with_state["regions"]:
        for n in r["namespaces"]:
            if n["name"] in off:
                n["state"] = "disabled"
    for r in without["regions"]:
        r["namespaces"] = [n for n in r["namespaces"] if n["name"] not in off]
    got, ref = _run(with_state), _run(without)
    for name in names:
        g = got[name]
        if name in off:
            assert g.status == "disabled" and g.error is None and g.usable_size is None
            assert g.info_block is None and g.pfn is None and g.kmem is None
            assert sum(g.lost.values()) == 0 and g.memmap_ram_bytes == 0 and not g.fixes
            assert all(w.startswith("its next enable fails under ") for w in g.warnings)
        else:
            assert _same(g, ref[name]), name
            assert not g.warnings


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(d=platforms())
def test_prop_observed_enabled(d):
    d = _existing(d)
    plain = _run(d)
    for r in d["regions"]:
        for n in r["namespaces"]:
            n["state"] = "enabled"
    got = _run(d)
    before_first_failure = True
    for name, p in plain.items():           # (in the engine's order)
        g = got[name]
        if p.status != "enabled":
            before_first_failure = False
        if before_first_failure:            # nothing changed before it
            assert _same(g, p) and not g.warnings, name
        assert g.status in ("enabled", "failed")
        if g.status == "enabled" and g.warnings:
            assert len(g.warnings) == 1 and g.warnings[0].startswith("its next enable fails under ")
        if g.status == "failed":
            assert len(g.warnings) == 2 and "the model cannot enable it" in g.warnings[1]
        if p.status == "failed" and g.status == "enabled":
            assert g.warnings, name         # the next enable fails: said
