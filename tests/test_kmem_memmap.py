"""The DRAM cost of dax kmem and memmap_on_memory (engine/kmem.py kmem_memmap()).

Worked examples, the version/arch/size gates, the platform knob end to end, and the
oracle runs kmem_mom / kmem_mom_attr (6.1, 6.12) recorded as cases with what
/proc/meminfo and /proc/vmstat showed.
"""
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmemplan.engine import compute_layout
from pmemplan.engine.arch import arch_profile
from pmemplan.engine.kmem import kmem_memmap, memmap_on_memory_blocker
from pmemplan.kversion import KernelVersion
from pmemplan.loader import load_platform
from pmemplan.result import Kmem

K, M, G = 1 << 10, 1 << 20, 1 << 30
OWN = Path(__file__).resolve().parent / "data" / "oracle-cases"
MEMINFO_CASES = sorted(p.name for p in OWN.iterdir()
                       if not p.name.startswith("_") and "meminfo" in json.loads((p / "expect.json").read_text()))


def prof(kernel, arch="x86_64", mbs=2 * G, **kw):
    return arch_profile(arch, KernelVersion.parse(kernel), memory_block_size=mbs, **kw)


def kmem(online, mbs):
    return Kmem(online, mbs, online // mbs, None, 0x100 * G, 0x100 * G + online)


def test_250g_in_dram():
    # 250 GiB / 4 KiB = 65 536 000 pages × 64 B = 4 194 304 000 B = 4000 MiB
    k = kmem(250 * G, 2 * G)
    assert kmem_memmap(prof("6.1"), k, memmap_on_memory=False) is None
    assert k.memmap_ram_bytes == 4000 * M and k.memmap_in_range_bytes == 0 and not k.memmap_on_memory


def test_250g_hosted_in_the_blocks_on_6_8():
    # 2 GiB block: 524 288 pages × 64 B = 32 MiB of vmemmap at its start; 125 blocks = 4000 MiB
    k = kmem(250 * G, 2 * G)
    assert kmem_memmap(prof("6.8"), k, memmap_on_memory=True) is None
    assert k.memmap_on_memory and k.memmap_ram_bytes == 0
    assert k.memmap_in_range_bytes == 125 * 32 * M == 4000 * M


def test_observed_6_12_memtotal():
    # kmem_mom_attr_612 boot 2: 7 × 128 MiB onlined, 2 MiB hosted per block -> MemTotal +882 MiB
    k = kmem(7 * 128 * M, 128 * M)
    kmem_memmap(prof("6.12", mbs=128 * M), k, memmap_on_memory=True)
    assert k.memmap_in_range_bytes == 14 * M
    assert k.online_bytes - k.memmap_in_range_bytes == 903168 * K   # the observed MemTotal delta


@pytest.mark.parametrize("kernel,fragment", [
    ("5.11", "exists from Linux 5.12 (a08a2ae34613)"),
    ("6.1", "from Linux 6.8 (4eca0ef49af9)"),
    ("6.7", "from Linux 6.8 (4eca0ef49af9)"),
])
def test_kernels_without_it_keep_the_memmap_in_dram(kernel, fragment):
    k = kmem(8 * G, 2 * G)
    why = kmem_memmap(prof(kernel), k, memmap_on_memory=True)
    assert why is not None and fragment in why
    assert k.memmap_ram_bytes == 8 * G // 4096 * 64 and not k.memmap_on_memory


def test_block_whose_memmap_is_not_pmd_aligned():
    # ppc64 radix, 64 KiB pages, 256 MiB blocks: 4096 pages × 64 B = 256 KiB, not a 2 MiB multiple
    p = prof("6.8", arch="ppc64le", mbs=256 * M, mmu="radix", page_size=64 * K)
    why = memmap_on_memory_blocker(p)
    assert why is not None and "256K" in why and "PMD" in why
    assert memmap_on_memory_blocker(prof("6.8", arch="ppc64le", mbs=1 * G, mmu="radix", page_size=4 * K)) is None


def test_unmodelled_arch():
    assert "not modelled for arm64" in memmap_on_memory_blocker(prof("6.8", arch="arm64", mbs=128 * M))


def test_failed_kmem_costs_nothing():
    k = Kmem(0, 128 * M, 0, "mapping0: too small after alignment", 0, 0)
    assert kmem_memmap(prof("6.12"), k, memmap_on_memory=True) is None
    assert k.memmap_ram_bytes == 0 and k.memmap_in_range_bytes == 0


PLATFORM = """\
format: 1
kernel: "{kernel}"
memory_block_size: 2G
{knob}
memory:
  - {{type: system-ram, start: 0x100000, size: 0x7ff00000}}
regions:
  - name: region0
    provider: nfit
    start: 0x4000000000
    size: 256G
    labels: false
    namespaces:
      - {{name: namespace0.0, mode: devdax, map: dev, align: 2M, system_ram: true}}
"""


@pytest.mark.parametrize("kernel,knob,ram,hosted", [
    ("6.1", "", True, False),
    ("6.1", "memmap_on_memory: true", True, False),
    ("6.8", "memmap_on_memory: false", True, False),
    ("6.8", "memmap_on_memory: true", False, True),
])
def test_platform_knob_end_to_end(tmp_path, kernel, knob, ram, hosted):
    p = tmp_path / "p.yaml"
    p.write_text(PLATFORM.format(kernel=kernel, knob=knob))
    res = compute_layout(load_platform(p))
    n = res.namespace("namespace0.0")
    k = n.kmem
    # map=dev: 4 GiB of the 256 GiB hold the devdax memmap; the dax range starts past it
    # and kmem rounds it to 2 GiB blocks: 125 blocks, 250 GiB onlined
    assert n.status == "enabled" and k is not None and (k.blocks, k.online_bytes) == (125, 250 * G)
    per_page = 4000 * M
    assert (k.memmap_ram_bytes, k.memmap_in_range_bytes) == ((per_page, 0) if ram else (0, per_page))
    assert k.memmap_on_memory is hosted
    d = res.to_dict()["namespaces"][0]["kmem"]
    assert d["memmap_ram_bytes"] == k.memmap_ram_bytes and d["memmap_on_memory"] is hosted
    noted = [a for a in res.assumptions if "memmap_on_memory not used" in a]
    assert bool(noted) == (knob == "memmap_on_memory: true" and not hosted)


def test_knob_in_the_schema():
    from pmemplan.schema import platform_json_schema
    props = platform_json_schema()["properties"]
    assert props["memmap_on_memory"]["type"] == "boolean" and props["memmap_on_memory"]["default"] is False


@pytest.mark.parametrize("case", MEMINFO_CASES)
def test_meminfo_of_recorded_kmem_runs(case):
    """MemTotal grows by what kmem onlines less the vmemmap hosted in it; on 6.12 the
    devdax's own memmap is released and nr_memmap_pages is kmem's memmap alone."""
    expect = json.loads((OWN / case / "expect.json").read_text())
    res = compute_layout(load_platform(OWN / case / "platform.yaml"))
    k = res.namespace("namespace0.0").kmem
    mi = expect["meminfo"]
    assert k.online_bytes - k.memmap_in_range_bytes == mi["memtotal_delta"]
    if mi["nr_memmap_pages_after"] is not None:
        assert (k.memmap_ram_bytes + k.memmap_in_range_bytes) // 4096 == mi["nr_memmap_pages_after"]


def test_meminfo_cases_present():
    assert len(MEMINFO_CASES) == 6
    hosted = [c for c in MEMINFO_CASES
              if compute_layout(load_platform(OWN / c / "platform.yaml")).namespace("namespace0.0").kmem.memmap_on_memory]
    assert hosted == ["kmem_mom_attr_612-b2-008_k_kmem"]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 4096), st.sampled_from([128 * M, 256 * M, 1 * G, 2 * G]),
       st.sampled_from(["5.4", "6.1", "6.7", "6.8", "6.12"]), st.booleans())
def test_memmap_is_paid_once(blocks, mbs, kernel, knob):
    """64 B per onlined page, either in DRAM or in the range, never both, never lost."""
    k = kmem(blocks * mbs, mbs)
    kmem_memmap(prof(kernel, mbs=mbs), k, memmap_on_memory=knob)
    assert k.memmap_ram_bytes + k.memmap_in_range_bytes == blocks * mbs // 4096 * 64
    assert not (k.memmap_ram_bytes and k.memmap_in_range_bytes)
    assert k.memmap_on_memory == (knob and blocks > 0 and KernelVersion.parse(kernel).at_least(6, 8))
