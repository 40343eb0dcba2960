#!/usr/bin/env python3
"""Cases from the kmem_mom / kmem_mom_attr oracle runs (dax kmem and memmap_on_memory).

    python3 kmem_memmap_cases.py RESULTS_DIR/SCENARIO KERNEL OUT_DIR PREFIX

One case per boot: the 1G label-less NVDIMM at 0x148000000 made devdax (2M, map=dev) and
onlined with daxctl reconfigure-device --mode=system-ram.  ``memmap_on_memory`` in the
platform is true when the boot had memory_hotplug.memmap_on_memory=1 on the command line
and the write of 1 to the dax device's memmap_on_memory attribute was attempted (6.1 has
no such attribute; 6.12 refuses it without the parameter, which is then false).
expect.json adds what /proc/meminfo and /proc/vmstat showed before and after.
"""
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labelled_cases import _memory  # noqa: E402


def _mi(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"(MemTotal|MemFree):\s+(\d+) kB", line)
        if m:
            out[m.group(1)] = int(m.group(2)) * 1024
        m = re.match(r"(nr_memmap_pages|nr_memmap_boot_pages) (\d+)", line)
        if m:
            out[m.group(1)] = int(m.group(2))
        if line.strip() in ("Y", "N"):
            out["param"] = line.strip() == "Y"
    return out


def main(run: Path, kernel: str, out: Path, prefix: str) -> None:
    summ = json.loads((run / "summary.json").read_text())
    for bi, b in enumerate(summ["boots"], 1):
        boot = run / f"boot{bi}"
        cmds = {p.stem.split("_", 1)[1]: p.stem for p in (boot / "cmds").glob("*.cmd")}
        before = _mi((boot / "cmds" / f"{cmds['mi_before_kmem']}.out").read_text())
        after = _mi((boot / "cmds" / f"{cmds['mi_after_kmem']}.out").read_text())
        attr_ok = False
        if "mom_attr" in cmds:
            attr_ok = (boot / "cmds" / f"{cmds['mom_attr']}.out").read_text().splitlines()[-1].strip() == "1"
        mom = bool(before.get("param")) and ("mom_attr" in cmds) and (attr_ok or not kernel.startswith("6.12"))
        dev = json.loads((boot / "cmds" / f"{cmds['k_devdax_2M']}.out").read_text())
        kid = cmds["k_kmem"]
        iomem = (boot / "cmds" / f"{cmds['iomem_kmem']}.out").read_text()
        m = re.search(r"([0-9a-f]+)-([0-9a-f]+) : System RAM \(kmem\)", iomem)
        online = int(m.group(2), 16) + 1 - int(m.group(1), 16)
        memory = _memory((boot / "snap" / "initial" / "iomem.txt").read_text())
        mbs = int((boot / "snap" / "initial" / "block_size_bytes.txt").read_text().strip(), 16)
        name = f"{prefix}-b{bi}-{kid}"
        lines = [f"# source: {prefix}/boot{bi}/{kid}",
                 f"# step: daxctl reconfigure-device --mode=system-ram dax0.0 (cmdline: {b.get('cmdline') or '-'})",
                 "format: 1", f"name: {prefix}-b{bi}-{kid}", "arch: x86_64", f'kernel: "{kernel}"',
                 f"memory_block_size: {mbs:#x}", f"memmap_on_memory: {'true' if mom else 'false'}", "memory:"]
        lines += [f"  - {{type: {t}, start: {a:#x}, size: {s:#x}}}" for t, a, s in memory]
        lines += ["regions:", "  - name: region0", "    provider: nfit", "    start: 0x148000000",
                  "    size: 1073741824", "    labels: false", "    namespaces:",
                  "      - name: namespace0.0", "        mode: devdax", "        map: dev",
                  "        align: 0x200000", "        force: true", "        system_ram: true"]
        d = out / name
        d.mkdir(parents=True, exist_ok=True)
        (d / "platform.yaml").write_text("\n".join(lines) + "\n")
        exp = {"case": name, "source": f"{prefix}/boot{bi}/{kid}",
               "command": "daxctl reconfigure-device --mode=system-ram dax0.0",
               "namespaces": [{"name": "namespace0.0", "status": "enabled", "start": 0x148000000,
                               "usable_size": dev["size"], "kmem_online_bytes": online,
                               "observed": "snapshot after the step"}],
               "meminfo": {"memmap_on_memory_param": before.get("param"), "dax_attr_set": attr_ok,
                           "memtotal_before": before["MemTotal"], "memtotal_after": after["MemTotal"],
                           "memtotal_delta": after["MemTotal"] - before["MemTotal"],
                           "nr_memmap_pages_before": before.get("nr_memmap_pages"),
                           "nr_memmap_pages_after": after.get("nr_memmap_pages")}}
        (d / "expect.json").write_text(json.dumps(exp, indent=1) + "\n")
        print(name, mom, exp["meminfo"])


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4])
