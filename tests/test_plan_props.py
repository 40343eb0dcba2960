"""Property tests of the planner: any plan it emits enables every namespace on every target
(by the engine, run independently here) and meets each usable / share."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmemplan.engine import run_engine
from pmemplan.kversion import KernelVersion
from pmemplan.loader import load_platform_text
from pmemplan.plan import plan_platform

M = 1 << 20
KERNELS = ["4.19", "5.2", "5.4", "5.10", "6.1", "6.12"]

_mode = st.sampled_from(["fsdax", "devdax", "sector", "raw"])


@st.composite
def intents(draw):
    region_mb = draw(st.integers(256, 8192))
    start = 0x100000000 + draw(st.integers(0, 64)) * (16 * M) + draw(st.sampled_from([0, 2 * M, 128 * M]))
    n = draw(st.integers(1, 5))
    nss = []
    has_rest = False
    for i in range(n):
        mode = draw(_mode)
        extra = ""
        if mode in ("fsdax", "devdax"):
            extra += draw(st.sampled_from(["", ", map: mem", ", map: dev", ", align: 4K", ", align: 2M"]))
        if mode == "sector":
            extra += draw(st.sampled_from(["", ", sector_size: 512", ", sector_size: 4096", ", sector_size: 520"]))
        kind = draw(st.sampled_from(["usable", "share", "rest", "size"]))
        if kind == "rest" and not has_rest:
            has_rest = True
            what = "size: rest"
        elif kind == "share":
            what = f"size: {draw(st.integers(1, 60))}%"
        elif kind == "size":
            what = f"size: {draw(st.integers(1, 64)) * 16}M"
        else:
            what = f"usable: {draw(st.integers(1, max(1, region_mb // (n + 1))))}M"
        nss.append(f"      - {{name: n{i}, mode: {mode}, {what}{extra}}}")
    labelled = draw(st.booleans()) or n > 1
    if not labelled:
        nss = [nss[0].replace("size: rest", "usable: 1M")]
    targets = draw(st.lists(st.sampled_from(KERNELS), min_size=1, max_size=3, unique=True))
    text = (f'format: 1\nkernel: "6.1"\ntargets: [{", ".join(repr(k) for k in targets)}]\n'
            "memory:\n  - {type: system-ram, start: 0x100000, size: 0x7ff00000}\n"
            f"regions:\n  - name: r0\n    provider: nfit\n    start: {start:#x}\n    size: {region_mb}M\n"
            f"    labels: {'true' if labelled else 'false'}\n    namespaces:\n" + "\n".join(nss) + "\n")
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intents())
def test_any_plan_enables_everything_and_meets_each_usable(text):
    p = load_platform_text(text, "intent.yaml")
    plan = plan_platform(p)
    if not plan.ok:
        # an intent that cannot be met names a cause and a message for each problem
        assert all(x.cause and x.message for x in plan.problems)
        return
    src = {ns.name: ns for r in p.regions for ns in r.namespaces}
    region = p.regions[0]
    for k in plan.kernels:
        res = run_engine(plan.platform, KernelVersion.parse(k), verify=False, sections=False, fixes=False)
        for pn in plan.namespaces:
            nr = res.namespace(pn.name)
            assert nr.status == "enabled", (k, pn.name, nr.error)
            assert nr.start == pn.start
            want = src[pn.name].usable
            if want is not None:
                assert nr.usable_size is not None and nr.usable_size >= want, (k, pn.name)
    for pn in plan.namespaces:
        share = src[pn.name].share
        if share and share != "rest" and region.labelled:
            g = pn.granule
            want = region.size * float(share[:-1]) / 100
            assert pn.size % g == 0
            # the valid size nearest to the share (or below it when those overflow), or the smallest
            floor = g if pn.mode == "raw" else -(-16 * M // g) * g
            if "section boundary" in pn.why:
                # with pre-5.3 targets a namespace followed by another ends on a section
                # (whole-section mapping: two namespaces in one section conflict there)
                assert (pn.start + pn.size) % (128 * M) == 0 and pn.size >= min(want, floor) - g
            else:
                assert abs(pn.size - want) < g or (pn.size == floor and want < floor)


def test_plan_is_deterministic_over_random_intents():
    text = ('format: 1\nkernel: "6.1"\ntargets: ["5.2", "6.1"]\nmemory:\n'
            "  - {type: system-ram, start: 0x100000, size: 0x7ff00000}\n"
            "regions:\n  - name: r0\n    start: 0x100000000\n    size: 4G\n    namespaces:\n"
            "      - {name: a, mode: fsdax, usable: 1G}\n      - {name: b, mode: sector, size: 20%}\n"
            "      - {name: c, mode: devdax, size: rest}\n")
    a = plan_platform(load_platform_text(text, "x.yaml"))
    b = plan_platform(load_platform_text(text, "x.yaml"))
    assert a.to_dict() == b.to_dict()
