#!/usr/bin/env python3
"""Turn a labelled-region oracle run into cases (platform.yaml + expect.json).

    python3 labelled_cases.py RESULTS_DIR/SCENARIO KERNEL OUT_DIR [PREFIX]

For scenarios whose script uses ``step`` for every ``ndctl create-namespace`` and ``run``
for ``ndctl destroy-namespace``, ``setalign`` for region aligns and ``ri LABEL`` (a runsh
printing ``REGION align=… avail=… maxext=…`` per region) to read the region figures
between steps.  One case per create step (the namespace asked for, the namespaces that
were there, the region figures after the step) and one per ``ri`` read (the namespaces
then, the region figures).  Namespace state comes from the snapshot after each step
(``ndctl list`` for mode/map/align, sysfs for raw start and size) less the namespaces
destroyed since; it is only as good as the scenario's bookkeeping, so keep one boot.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_MEM = {"System RAM": "system-ram"}


def _memory(iomem: str):
    out = []
    for line in iomem.splitlines():
        if line.startswith(" "):
            continue
        rng, _, name = line.partition(" : ")
        a, b = (int(x, 16) for x in rng.split("-"))
        name = name.strip()
        if name.startswith(("PCI Bus", "Persistent Memory", "IOAPIC", "HPET", "Local APIC")):
            continue
        if name in ("Video ROM", "Adapter ROM", "System ROM"):
            continue
        out.append((_MEM.get(name, "reserved"), a, b + 1 - a))
    return out


def _sysfs(text: str):
    devs = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("== "):
            cur = devs.setdefault(line[3:].strip(), {})
        elif cur is not None and ": " in line:
            k, _, v = line.partition(": ")
            cur[k.strip()] = v.strip()
    return devs


def _ndctl_namespaces(listing):
    out = {}
    for bus in listing if isinstance(listing, list) else [listing]:
        for r in bus.get("regions", []):
            for n in r.get("namespaces", []):
                out[n["dev"]] = dict(n, region=r["dev"])
    return out


def _state(boot: Path, snap: str):
    sysfs = _sysfs((boot / "snap" / snap / "sysfs.txt").read_text())
    listing = json.loads((boot / "snap" / snap / "ndctl_list.json").read_text() or "[]")
    lst = _ndctl_namespaces(listing)
    regions = {d: v for d, v in sysfs.items() if d.startswith("region")}
    nss = {}
    for dev, v in sysfs.items():
        if not dev.startswith("namespace") or not v.get("resource") or v.get("size") in (None, "0"):
            continue
        li = lst.get(dev, {})
        nss[dev] = {"region": "region" + dev[len("namespace"):].split(".")[0],
                    "start": int(v["resource"], 16), "size": int(v["size"]),
                    "mode": li.get("mode", "raw"), "map": li.get("map"), "align": li.get("align"),
                    "usable": li.get("size")}
    return nss, regions


def _region_figs(regions):
    return {r: {"align": int(v["align"], 16), "available_size": int(v["available_size"]),
                "max_available_extent": int(v["max_available_extent"])} for r, v in regions.items()}


def main(run: Path, kernel: str, out: Path, prefix: str) -> None:
    boot = run / "boot1"
    scen = run.name
    summ = json.loads((run / "summary.json").read_text())
    b = summ["boots"][0]
    region_start = {r["dev"]: int(r["start"], 16) for r in b["regions"]}
    region_size = {r["dev"]: r["size"] for r in b["regions"]}
    memory = _memory((boot / "snap" / "initial" / "iomem.txt").read_text())
    mbs = int((boot / "snap" / "initial" / "block_size_bytes.txt").read_text().strip(), 16)
    cmds = sorted(p.stem for p in (boot / "cmds").glob("*.cmd"))
    nss: dict = {}
    aligns: dict = {}
    labelled = set()
    written = 0
    for cid in cmds:
        cmd = (boot / "cmds" / f"{cid}.cmd").read_text().strip()
        rc = int((boot / "cmds" / f"{cid}.rc").read_text().strip())
        err = (boot / "cmds" / f"{cid}.err").read_text()
        outp = (boot / "cmds" / f"{cid}.out").read_text()
        label = cid.split("_", 1)[1]
        m = re.match(r"ndctl init-labels -f (\S+)", cmd)
        if m and rc == 0:
            continue
        m = re.match(r"ndctl enable-region (\S+)", cmd)
        if m and rc == 0:
            labelled.add(m.group(1))
            continue
        m = re.search(r"echo (0x[0-9a-f]+) > /sys/bus/nd/devices/(region\d+)/align", cmd)
        if m and rc == 0:
            aligns[m.group(2)] = int(m.group(1), 16)
            continue
        m = re.match(r"ndctl destroy-namespace -f (\S+)", cmd)
        if m and rc == 0:
            nss.pop(m.group(1), None)
            continue
        if label.startswith("ri_"):
            figs = {}
            for line in outp.splitlines():
                mm = re.match(r"(region\d+) align=(0x[0-9a-f]+) avail=(\d+) maxext=(\d+)", line)
                if mm:
                    figs[mm.group(1)] = {"align": int(mm.group(2), 16), "available_size": int(mm.group(3)),
                                         "max_available_extent": int(mm.group(4))}
            if set(figs) <= labelled and figs:
                written += _write(out, prefix, scen, cid, cmd, kernel, memory, mbs, region_start, region_size,
                                  figs, nss, None, None, None)
            continue
        m = re.match(r"ndctl create-namespace -r (region\d+)(.*)", cmd)
        if not m:
            continue
        region, args = m.group(1), m.group(2)
        after, regions_after = _state(boot, cid)
        figs = _region_figs({r: v for r, v in regions_after.items() if r in labelled})
        for r, f in figs.items():
            aligns[r] = f["align"]
        new = {"region": region, "args": args}
        if rc == 0:
            dev = json.loads(outp)["dev"]
            new["dev"] = dev
            new["after"] = after[dev]
            ib = None
            readib = boot / "cmds"
            for p in sorted(readib.glob(f"*_ib_{label}_readib.out")):
                data = json.loads(p.read_text())
                ib = data[0] if isinstance(data, list) else data
            new["ib"] = ib
        else:
            seed = next((d for d, v in _sysfs((boot / "snap" / cid / "sysfs.txt").read_text()).items()
                         if d.startswith(f"namespace{region[len('region'):]}.") and v.get("size") == "0"), None)
            new["dev"] = (seed or f"namespace{region[len('region'):]}.x") + "_new"
            new["error"] = err.strip()
        written += _write(out, prefix, scen, cid, cmd, kernel, memory, mbs, region_start, region_size,
                          figs, nss, new, aligns, rc)
        nss = {d: v for d, v in after.items() if v["region"] in labelled}
    print(f"{written} cases")


def _size_arg(args: str):
    m = re.search(r"-s (\d+)([KMG]?)", args)
    if not m:
        return None, None
    unit = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]
    return int(m.group(1)) * unit, m.group(1) + m.group(2)


def _write(out, prefix, scen, cid, cmd, kernel, memory, mbs, region_start, region_size, figs, nss, new,
           aligns, rc) -> int:
    name = f"{prefix}-b1-{cid}"
    lines = [f"# source: {prefix}/boot1/{cid}", f"# step: {cmd}", "format: 1", f"name: {prefix}-{cid}",
             "arch: x86_64", f'kernel: "{kernel}"', f"memory_block_size: {mbs:#x}", "memory:"]
    for t, a, size in memory:
        lines.append(f"  - {{type: {t}, start: {a:#x}, size: {size:#x}}}")
    lines.append("regions:")
    expect_ns = []
    for r in sorted(figs, key=lambda r: region_start[r]):
        lines += [f"  - name: {r}", "    provider: nfit", f"    start: {region_start[r]:#x}",
                  f"    size: {region_size[r]}", "    labels: true", '    label_version: "1.1"',
                  f"    align: {figs[r]['align'] if new is None or new['region'] != r else aligns[r]:#x}",
                  "    namespaces:"]
        mark = len(lines)
        for dev, v in sorted(nss.items(), key=lambda kv: kv[1]["start"]):
            if v["region"] != r:
                continue
            lines += [f"      - name: {dev}", f"        size: {v['size']}",
                      f"        offset: {v['start'] - region_start[r]:#x}", f"        mode: {v['mode']}"]
            if v["mode"] in ("fsdax", "devdax"):
                lines += [f"        map: {v['map'] or 'dev'}", f"        align: {v['align']:#x}"]
            lines.append("        exists: true")
            expect_ns.append({"name": dev, "status": "enabled", "start": v["start"]})
        if new is not None and new["region"] == r:
            size, text = _size_arg(new["args"])
            mode = re.search(r"-m (\S+)", new["args"]).group(1)
            lines.append(f"      - name: {new['dev']}")
            if size is not None:
                lines.append(f"        size: {text}")
            lines.append(f"        mode: {mode}")
            if mode in ("fsdax", "devdax"):
                lines.append("        map: dev")
            exp = {"name": new["dev"]}
            if rc == 0:
                a = new["after"]
                exp.update(status="enabled", start=a["start"], error_by=None, error_match=None)
                if a.get("usable") is not None:
                    exp["usable_size"] = a["usable"]
                ib = new.get("ib")
                if ib:
                    exp["info_block"] = {k: ib[k] for k in ("dataoff", "npfns", "start_pad", "end_trunc", "align")}
                    exp["info_block_source"] = "guest read-infoblock"
            else:
                e = new["error"]
                frag = ("No space left" if "No space left" in e else
                        "misaligned to 16M" if "misaligned to 16M" in e else
                        e.splitlines()[0].replace("Error: ", "").strip()[:60])
                exp.update(status="refused", error_by="ndctl", error_match=frag)
            exp["observed"] = "snapshot after the step"
            expect_ns.insert(0, exp)
        if len(lines) == mark:
            lines[-1] = "    namespaces: []"
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "platform.yaml").write_text("\n".join(lines) + "\n")
    expect = {"case": name, "source": f"{prefix}/boot1/{cid}", "command": cmd, "namespaces": expect_ns,
              "regions": [dict(name=r, **figs[r]) for r in sorted(figs)]}
    (d / "expect.json").write_text(json.dumps(expect, indent=1) + "\n")
    return 1


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else Path(sys.argv[1]).name)
