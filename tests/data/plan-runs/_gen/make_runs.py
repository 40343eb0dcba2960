"""Make the QEMU oracle scenario that runs the scripts of generated plans, and collect
its results into tests/data/plan-runs/<plan>/.

    python3 make_runs.py scenario KERNEL OUT.json     # plans for KERNEL ("6.1" / "6.12")
    python3 make_runs.py collect KERNEL RESULTS_DIR [FULL_VERSION]   # results/<scenario>/bootN -> plan folders

Each boot's hardware is a platform header below; each plan an intent on it.  The guest
writes each plan's script to /tmp, runs it with busybox sh (`run plan_<name> sh …`),
records `ndctl list -N` and every namespace's sysfs resource/size/alt_name, and resets
the labelled regions (destroy-namespace all) for the next plan.  kmem plans come last in
a boot (onlined memory stays).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT))

from pmemplan.loader import load_platform_text  # noqa: E402
from pmemplan.plan import build_steps, plan_platform  # noqa: E402
from pmemplan.render.plan_out import render_plan_yaml  # noqa: E402
from pmemplan.render.script_out import render_script  # noqa: E402

_RAM_LOW = """  - {type: reserved,   start: 0x0,          size: 4K}
  - {type: system-ram, start: 0x1000,       size: 0x9ec00}
  - {type: reserved,   start: 0x9fc00,      size: 1K}
  - {type: reserved,   start: 0xf0000,      size: 64K}
"""
_RAM_HIGH_END = 0x7ffdf000

HW = {
    # e820 256M at 1G (section aligned), a labelled 1G DIMM, a label-less 512M DIMM
    "A": {"cmdline": "memmap=256M!1024M", "e820": (0x40000000, 256 << 20),
          "nvdimms": [{"id": "nv0", "file": "nv0", "size": "1G", "label_size": "128K", "addr": "0x100000000"},
                      {"id": "nv1", "file": "nv1", "size": "512M", "addr": "0x140000000"}],
          "regions": [("nv0", 0x100000000, 0x3ffe0000, True), ("nv1", 0x140000000, 512 << 20, False)]},
    # e820 128M at 1G+1M (not 2M aligned), a labelled 2G DIMM
    "B": {"cmdline": "memmap=128M!0x40100000", "e820": (0x40100000, 128 << 20),
          "nvdimms": [{"id": "nv0", "file": "nvb0", "size": "2G", "label_size": "128K", "addr": "0x100000000"}],
          "regions": [("nv0", 0x100000000, 0x7ffe0000, True)]},
}

HW["C"] = {  # two e820 ranges (the second shares a section with RAM), labelled and label-less 1G DIMMs
    "cmdline": "memmap=128M!0x40000000 memmap=64M!0x4a000000", "e820": (0x40000000, 128 << 20),
    "e820b": (0x4a000000, 64 << 20),
    "nvdimms": [{"id": "nv0", "file": "nvc0", "size": "1G", "label_size": "128K", "addr": "0x100000000"},
                {"id": "nv1", "file": "nvc1", "size": "1G", "addr": "0x140000000"}],
    "regions": [("nv0", 0x100000000, 0x3ffe0000, True), ("nv1", 0x140000000, 1 << 30, False)]}
HW["D"] = {  # no e820: a labelled 4G DIMM and a label-less 256M one
    "cmdline": "", "e820": None,
    "nvdimms": [{"id": "nv0", "file": "nvd0", "size": "4G", "label_size": "128K", "addr": "0x100000000"},
                {"id": "nv1", "file": "nvd1", "size": "256M", "addr": "0x200000000"}],
    "regions": [("nv0", 0x100000000, 0xfffe0000, True), ("nv1", 0x200000000, 256 << 20, False)]}

HW["E"] = {  # e820 100M (not a multiple of the 16M region align: the plan writes regionX/align)
    "cmdline": "memmap=100M!0x41000000", "e820": (0x41000000, 100 << 20), "e820b": None,
    "nvdimms": [], "regions": []}

# plan name -> (hardware, {region: [namespace flow mappings]})
PLANS = {
    "a01_mixed": ("A", {"e820": ["{name: a01_e, mode: fsdax}"],
                        "nv0": ["{name: a01_db, mode: fsdax, usable: 200M}", "{name: a01_logs, mode: sector, size: 10%}",
                                "{name: a01_pool, mode: devdax, align: 2M, size: rest}"],
                        "nv1": ["{name: a01_n1, mode: devdax}"]}),
    "a02_maps": ("A", {"e820": ["{name: a02_e, mode: devdax, align: 4K}"],
                       "nv0": ["{name: a02_a, mode: fsdax, usable: 100M}", "{name: a02_b, mode: fsdax, map: mem, usable: 64M}",
                               "{name: a02_c, mode: raw, usable: 128M}", "{name: a02_d, mode: devdax, usable: 300M}"],
                       "nv1": ["{name: a02_n1, mode: fsdax}"]}),
    "a03_placeholder": ("A", {"e820": ["{name: a03_e, mode: sector}"],
                              "nv0": ["{name: a03_early, mode: fsdax, usable: 100M}",
                                      "{name: a03_late, mode: devdax, usable: 100M, offset: 512M}"],
                              "nv1": ["{name: a03_n1, mode: sector, sector_size: 512}"]}),
    "a04_one_big": ("A", {"e820": ["{name: a04_e, mode: fsdax, map: mem}"],
                          "nv0": ["{name: a04_big, mode: fsdax, usable: 900M}"],
                          "nv1": ["{name: a04_n1, mode: raw}"]}),
    "a05_shares": ("A", {"e820": ["{name: a05_e, mode: fsdax, align: 4K}"],
                         "nv0": ["{name: a05_q1, mode: fsdax, size: 25%}", "{name: a05_q2, mode: devdax, size: 25%}",
                                 "{name: a05_q3, mode: sector, size: 25%, sector_size: 512}", "{name: a05_q4, mode: raw, size: rest}"],
                         "nv1": ["{name: a05_n1, mode: fsdax, map: mem}"]}),
    "a06_kmem": ("A", {"e820": ["{name: a06_e, mode: devdax}"],
                       "nv0": ["{name: a06_x, mode: sector, usable: 50M}", "{name: a06_y, mode: fsdax, usable: 333M}"],
                       "nv1": ["{name: a06_ram, mode: devdax, system_ram: true}"]}),
    "b01_sector_e820": ("B", {"e820": ["{name: b01_e, mode: sector}"],
                              "nv0": ["{name: b01_a, mode: fsdax, usable: 1G}", "{name: b01_b, mode: devdax, usable: 500M}",
                                      "{name: b01_c, mode: sector, size: rest}"]}),
    "b02_many": ("B", {"e820": ["{name: b02_e, mode: sector, sector_size: 520}"],
                       "nv0": [f"{{name: b02_n{i}, mode: {m}, usable: {u}}}" for i, (m, u) in enumerate(
                           [("fsdax", "48M"), ("devdax", "80M"), ("sector", "20M"), ("raw", "32M"),
                            ("fsdax", "500M"), ("devdax", "128M"), ("fsdax", "1M")])]}),
    "b03_align_4k": ("B", {"e820": ["{name: b03_e, mode: sector, sector_size: 4096}"],
                           "nv0": ["{name: b03_small_pages, mode: devdax, align: 4K, usable: 1G}", "{name: b03_rest, mode: fsdax, size: rest}"]}),
    "b04_offset": ("B", {"e820": ["{name: b04_e, mode: sector, sector_size: 4160}"],
                         "nv0": ["{name: b04_a, mode: fsdax, usable: 256M, offset: 256M}",
                                 "{name: b04_b, mode: devdax, usable: 256M, offset: 1G}"]}),
    "b05_shares": ("B", {"e820": ["{name: b05_e, mode: sector, sector_size: 512}"],
                         "nv0": ["{name: b05_t1, mode: fsdax, size: 33%}", "{name: b05_t2, mode: fsdax, map: mem, size: 33%}",
                                 "{name: b05_t3, mode: devdax, size: rest}"]}),
    "c01_two_e820": ("C", {"e820": ["{name: c01_e, mode: fsdax}"], "e820b": ["{name: c01_f, mode: devdax}"],
                           "nv0": ["{name: c01_a, mode: fsdax, usable: 512M}", "{name: c01_b, mode: sector, size: rest}"],
                           "nv1": ["{name: c01_n1, mode: fsdax}"]}),
    "c02_maps": ("C", {"e820": ["{name: c02_e, mode: sector}"], "e820b": ["{name: c02_f, mode: fsdax, map: mem}"],
                       "nv0": ["{name: c02_a, mode: devdax, map: mem, usable: 300M}", "{name: c02_b, mode: fsdax, map: mem, usable: 300M}",
                               "{name: c02_c, mode: raw, size: rest}"],
                       "nv1": ["{name: c02_n1, mode: devdax, align: 4K}"]}),
    "c03_offsets": ("C", {"e820": ["{name: c03_e, mode: devdax, align: 4K}"], "e820b": ["{name: c03_f, mode: sector, sector_size: 512}"],
                          "nv0": ["{name: c03_a, mode: fsdax, usable: 64M, offset: 128M}", "{name: c03_b, mode: sector, usable: 64M, offset: 512M}",
                                  "{name: c03_c, mode: devdax, usable: 100M}"],
                          "nv1": ["{name: c03_n1, mode: sector, sector_size: 4096}"]}),
    "c04_kmem": ("C", {"e820": ["{name: c04_e, mode: fsdax, align: 4K}"], "e820b": ["{name: c04_f, mode: raw}"],
                       "nv0": ["{name: c04_a, mode: fsdax, size: 50%}", "{name: c04_b, mode: devdax, size: rest}"],
                       "nv1": ["{name: c04_ram, mode: devdax, system_ram: true}"]}),
    "d01_big": ("D", {"nv0": ["{name: d01_a, mode: fsdax, usable: 3G}", "{name: d01_b, mode: devdax, size: rest}"],
                      "nv1": ["{name: d01_n1, mode: fsdax}"]}),
    "d02_many": ("D", {"nv0": [f"{{name: d02_n{i}, mode: {('fsdax', 'devdax', 'sector', 'raw')[i % 4]}, usable: {100 + 37 * i}M}}"
                               for i in range(10)],
                       "nv1": ["{name: d02_lless, mode: sector, sector_size: 512}"]}),
    "d03_shares": ("D", {"nv0": ["{name: d03_a, mode: devdax, align: 1G, size: 50%}", "{name: d03_b, mode: fsdax, size: 10%}",
                                 "{name: d03_c, mode: sector, size: rest}"],
                         "nv1": ["{name: d03_n1, mode: devdax, map: mem}"]}),
    "d04_kmem": ("D", {"nv0": ["{name: d04_ram, mode: devdax, usable: 2G, system_ram: true}", "{name: d04_x, mode: fsdax, size: rest}"],
                       "nv1": ["{name: d04_n1, mode: devdax, system_ram: true}"]}),
    "e01_fsdax": ("E", {"e820": ["{name: e01_e, mode: fsdax}"]}),
    "e02_devdax": ("E", {"e820": ["{name: e02_e, mode: devdax, align: 2M}"]}),
    "b06_kmem": ("B", {"e820": ["{name: b06_e, mode: sector}"],
                       "nv0": ["{name: b06_s, mode: sector, usable: 100M}", "{name: b06_ram, mode: devdax, usable: 1G, system_ram: true}"]}),
}


def _ram(h) -> str:
    """System RAM below the 2G end of boot memory, around the e820 ranges."""
    holes = sorted(x for x in (h.get("e820"), h.get("e820b")) if x)
    out, pos = [], 0x100000
    for s, n in holes:
        out.append(f"  - {{type: system-ram, start: {pos:#x}, size: {s - pos:#x}}}")
        pos = s + n
    out.append(f"  - {{type: system-ram, start: {pos:#x}, size: {_RAM_HIGH_END - pos:#x}}}")
    return "\n".join(out)


def platform_text(plan: str, hw: str, kernel: str) -> str:
    h = HW[hw]
    nss = PLANS[plan][1]
    out = [f"# An intent on QEMU hardware {hw} (tests/data/plan-runs/_gen/make_runs.py)", "format: 1",
           f"name: {plan}", f'kernel: "{kernel}"', 'targets: ["5.4", "6.1", "6.12"]', "memory_block_size: 128M",
           "memory:", _RAM_LOW.rstrip("\n"), _ram(h),
           "  - {type: reserved,   start: 0x7ffdf000,   size: 0x21000}",
           "  - {type: reserved,   start: 0xfffc0000,   size: 256K}",
           "regions:"]
    for key in ("e820", "e820b"):
        if h.get(key):
            es, esz = h[key]
            out.append(f"  - name: {key}\n    provider: e820\n    start: {es:#x}\n    size: {esz:#x}\n    namespaces:")
            out += [f"      - {x}" for x in nss.get(key, [])]
    for name, start, size, labelled in h["regions"]:
        out.append(f"  - name: {name}\n    provider: nfit\n    start: {start:#x}\n    size: {size:#x}\n"
                   f"    labels: {'true' if labelled else 'false'}" + ('\n    label_version: "1.1"' if labelled else "")
                   + "\n    namespaces:")
        out += [f"      - {x}" for x in nss.get(name, [])]
    return "\n".join(out) + "\n"


def make_plan(plan: str, kernel: str):
    hw = PLANS[plan][0]
    text = platform_text(plan, hw, kernel)
    p = load_platform_text(text, f"{plan}.yaml")
    pl = plan_platform(p, ["5.4", "6.1", "6.12"])
    if not pl.ok:
        raise SystemExit(f"{plan}: {[x.message for x in pl.problems]}")
    regions, steps = build_steps(pl.platform, pl.results[kernel])
    script = render_script(regions, steps, source=f"{plan}.yaml", kernel=kernel)
    return text, pl, script


def scenario(kernel: str, out: str, only: str = "") -> None:
    boots = []
    for hw in sorted(HW):
        if only and hw not in only:
            continue
        h = HW[hw]
        lines = []
        labelled = [(n, s) for n, s, _, lab in h["regions"] if lab]
        for name, start in labelled:
            lines += [f"R_{name}=$(region_at {start:#x})",
                      f"run init_{name}_disable ndctl disable-region $R_{name}",
                      f"run init_{name}_labels ndctl init-labels -f $(cut -d, -f1 /sys/bus/nd/devices/$R_{name}/mapping0)",
                      f"run init_{name}_enable ndctl enable-region $R_{name}"]
        only_plans = [x for x in os.environ.get("PLANS_ONLY", "").split(",") if x]
        for plan in sorted(p for p in PLANS if PLANS[p][0] == hw and (not only_plans or p in only_plans)):
            _, _, script = make_plan(plan, kernel)
            lines.append(f"cat > /tmp/{plan}.sh <<'PMEMPLAN_EOF'")
            lines += script.rstrip("\n").split("\n")
            lines.append("PMEMPLAN_EOF")
            lines.append(f"run plan_{plan} sh /tmp/{plan}.sh")
            lines.append(f"run obs_{plan}_list ndctl list -N")
            lines.append(f"runsh obs_{plan}_sysfs 'for n in /sys/bus/nd/devices/namespace*; do echo ${{n##*/}} "
                         f"$(cat $n/resource) $(cat $n/size) $(cat $n/alt_name 2>/dev/null); done'")
            for name, _ in labelled:
                lines.append(f"run reset_{plan}_{name} ndctl destroy-namespace -f all -r $R_{name}")
        boots.append({"mem": "2G", "cmdline": h["cmdline"], "nvdimms": h["nvdimms"], "script": lines})
    scen = {"description": f"pmemplan plan: the scripts of {sum(1 for p in PLANS if not only or PLANS[p][0] in only)} "
                           f"generated plans run with busybox sh on Linux {kernel} (tests/data/plan-runs)",
            "boots": boots, "timeout": 900}
    Path(out).write_text(json.dumps(scen, indent=1) + "\n")


def collect(kernel: str, results: str, full: str = "") -> None:
    """results/<scenario>/bootN/cmds -> tests/data/plan-runs/<plan>_<kernel>/."""
    res = Path(results)
    dest = HERE.parent
    tag = kernel.replace(".", "")
    for boot in sorted(res.glob("boot*")):
        cmds = sorted((boot / "cmds").glob("*.cmd"))
        by_label = {c.name.split("_", 1)[1][:-4]: c for c in cmds}
        for plan in PLANS:
            c = by_label.get(f"plan_{plan}")
            if c is None:
                continue
            text, pl, script = make_plan(plan, kernel)
            d = dest / f"{plan}_{tag}"
            d.mkdir(exist_ok=True)
            (d / "intent.yaml").write_text(text)
            # the script as it ran: the heredoc of guest.sh
            guest = (boot / "guest.sh").read_text()
            head = f"cat > /tmp/{plan}.sh <<'PMEMPLAN_EOF'\n"
            ran = guest[guest.index(head) + len(head):]
            ran = ran[:ran.index("PMEMPLAN_EOF\n")]
            (d / "plan.sh").write_text(ran)
            stem = str(c)[:-4]
            lst = Path(str(by_label[f"obs_{plan}_list"])[:-4] + ".out").read_text()
            sysfs = Path(str(by_label[f"obs_{plan}_sysfs"])[:-4] + ".out").read_text()
            run = {"kernel": full or kernel,
                   "scenario": res.name, "boot": boot.name,
                   "rc": int(Path(stem + ".rc").read_text()), "stdout": Path(stem + ".out").read_text(),
                   "stderr": Path(stem + ".err").read_text(), "ndctl_list": json.loads(lst or "[]"),
                   "sysfs": [ln.split() for ln in sysfs.splitlines() if ln.strip()]}
            (d / "run.json").write_text(json.dumps(run, indent=1) + "\n")
            print(d.name, "rc", run["rc"])


if __name__ == "__main__":
    if sys.argv[1] == "scenario":
        scenario(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
    else:
        collect(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
