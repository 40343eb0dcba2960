"""ndctl's own rules (pmemplan/engine/ndctl.py) through the engine."""
from __future__ import annotations

import pytest

from pmemplan.engine import compute_layout
from pmemplan.platform import Platform

M, G = 1 << 20, 1 << 30


def labelled(ns: list, **region) -> Platform:
    return Platform.from_dict({
        "format": 1, "kernel": "6.1",
        "memory": [{"type": "system-ram", "start": 0x100000, "size": 0x7ff00000}],
        "regions": [{"name": "region0", "start": 0x100000000, "size": "4G", "labels": True,
                     "namespaces": ns, **region}]})


# namespace_prep_reconfig(): observed on 6.1 + ndctl 76.1 (random oracle run r13, step 041:
# `ndctl create-namespace -e namespace3.2 -m raw` on an enabled sector namespace ->
# "namespace3.2 is active, specify --force for re-configuration")
@pytest.mark.parametrize("extra, refused", [
    ({}, True),                                      # enabled, no -f
    ({"force": True}, False),                        # -f
    ({"was": {"mode": "sector", "enabled": False}}, False),   # disabled first
    ({"exists": True}, False),                       # no command at all
])
def test_reconfiguring_an_active_namespace_needs_force(extra, refused):
    ns = {"name": "namespace0.0", "size": "512M", "offset": 0, "mode": "raw", "was": {"mode": "sector"}}
    ns.update(extra)
    r = compute_layout(labelled([ns]), legacy=None).namespace("namespace0.0")
    if refused:
        assert r.status == "refused" and r.error.by == "ndctl" and r.error.errno == "EBUSY"
        assert r.error.message == "namespace0.0 is active, specify --force for re-configuration"
    else:
        assert r.status == "enabled", r.error


def test_options_are_validated_before_the_active_check():
    # validate_namespace_options() runs first: a bad align is reported, not EBUSY
    ns = {"name": "namespace0.0", "size": "512M", "offset": 0, "mode": "devdax", "align": "8K",
          "was": {"mode": "fsdax"}}
    r = compute_layout(labelled([ns]), legacy=None).namespace("namespace0.0")
    assert r.status == "refused" and "unsupported align" in r.error.message


@pytest.mark.parametrize("with_offset", [True, False])
def test_a_busy_namespace_keeps_its_space(with_offset):
    busy = {"name": "namespace0.0", "size": "512M", "mode": "fsdax", "was": {"mode": "sector"}}
    if with_offset:
        busy["offset"] = 0
    new = {"name": "namespace0.1", "size": "256M", "mode": "fsdax"}
    res = compute_layout(labelled([busy, new]), legacy=None)
    assert res.namespace("namespace0.0").status == "refused"
    n1 = res.namespace("namespace0.1")
    assert n1.status == "enabled" and n1.start == 0x100000000 + 512 * M


def test_label_less_namespaces_imply_force():
    p = Platform.from_dict({
        "format": 1, "kernel": "6.1",
        "memory": [{"type": "system-ram", "start": 0x100000, "size": 0x7ff00000}],
        "regions": [{"name": "region0", "provider": "e820", "start": "4G", "size": "256M",
                     "namespaces": [{"name": "namespace0.0", "mode": "fsdax", "was": {"mode": "raw"}}]}]})
    assert compute_layout(p, legacy=None).namespace("namespace0.0").status == "enabled"
    q = p.replace(regions=[p.regions[0].replace(
        namespaces=[p.regions[0].namespaces[0].replace(force=False)])])
    r = compute_layout(q, legacy=None).namespace("namespace0.0")
    assert r.status == "refused" and r.error.errno == "EBUSY"


def e820(start: int, size: int, **ns) -> Platform:
    return Platform.from_dict({
        "format": 1, "kernel": "6.1",
        "memory": [{"type": "system-ram", "start": 0x100000, "size": 0x2ff00000}],
        "regions": [{"name": "region0", "provider": "e820", "start": start, "size": size, "align": "4K",
                     "namespaces": [{"name": "namespace0.0", "mode": "fsdax", "force": False, **ns}]}]})


def test_label_less_boot_namespace_is_active():
    # observed on 6.12.117 (random run r102_612, step 007): a memmap= namespace in its boot
    # state, `ndctl create-namespace -e namespace1.0 -m fsdax` without -f -> EBUSY
    r = compute_layout(e820(0x40000000, 256 * M), legacy=None).namespace("namespace0.0")
    assert r.status == "refused" and r.error.errno == "EBUSY"


def test_label_less_boot_namespace_that_could_not_enable_is_not_active():
    # end only 1M aligned: the boot raw namespace fails "misaligned, unable to map", so it
    # is not active and ndctl goes on to its 16M start check (observed: r104_612 step 028)
    r = compute_layout(e820(0x30e00000, 173 * M), legacy=None).namespace("namespace0.0")
    assert r.status == "refused" and "misaligned to 16M" in r.error.message
    # the same region, 2M-aligned at both ends: active
    r = compute_layout(e820(0x30e00000, 174 * M), legacy=None).namespace("namespace0.0")
    assert r.error.errno == "EBUSY"
