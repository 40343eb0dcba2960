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
