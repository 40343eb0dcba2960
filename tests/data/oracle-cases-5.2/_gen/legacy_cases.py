#!/usr/bin/env python3
"""Turn a Linux 5.2.1 oracle run into cases (platform.yaml + expect.json), one per step.

    python3 legacy_cases.py RESULTS_DIR/SCENARIO KERNEL OUT_DIR [--labelled 0xADDR ...]

For scenarios whose script defines ``S() { snapq pre_$1; step "$@"; }`` and runs every
``ndctl create-namespace`` through ``S LABEL …``: the platform before a step is read from the
``pre_LABEL`` snapshot (``/proc/iomem``, sysfs, ``ndctl list``), the outcome from the step's
command record (exit status, stderr, its kernel lines), the snapshot after it and the
info block the guest read back (``ib``).  Every namespace other than the one the step
configures is written as it stood (``exists: true``, ``state``), and the step's region is
listed last so the model maps it after the others, as the kernel did.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

_MEM = {"System RAM": "system-ram"}
_SKIP = ("PCI Bus", "Persistent Memory", "IOAPIC", "HPET", "Local APIC", "Video ROM",
         "Adapter ROM", "System ROM", "PCI ECAM", "PCI MMCONFIG")
# kernel lines a failed step can carry (the first found is the case's error_match)
_KERNEL = ("unable to satisfy requested alignment", "Conflicting mapping in same section",
           "attempted on mixed region", "collides with mapping", "too small to host",
           "No existing arenas")
# ndctl's own refusals (status "refused")
_NDCTL = ("did you intend", "must be >= 16MiB", "must align to", "does not support setting",
          "No space left on device", "misaligned to 16M", "specify --force", "is misaligned",
          "Legacy / label-less")


def _memory(iomem: str):
    out = []
    for line in iomem.splitlines():
        if line.startswith(" ") or " : " not in line:
            continue
        rng, _, name = line.partition(" : ")
        a, b = (int(x, 16) for x in rng.split("-"))
        name = name.strip()
        if name.startswith(_SKIP):
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


def _listing(path: Path):
    txt = path.read_text() if path.exists() else ""
    data = json.loads(txt) if txt.strip() else []
    buses = data if isinstance(data, list) else [data]
    regions, nss = {}, {}
    for bus in buses:
        prov = bus.get("provider", "")
        for r in bus.get("regions", []):
            regions[r["dev"]] = "e820" if prov == "e820" else "nfit"
            for n in r.get("namespaces", []):
                nss[n["dev"]] = dict(n, region=r["dev"])
    return regions, nss


def _args(cmd: str):
    words = cmd.split()
    out = {}
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("-m", "-M", "-a", "-l", "-s", "-r", "-e") and i + 1 < len(words):
            out[w] = words[i + 1]
            i += 2
            continue
        i += 1
    return out


_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _size(v: str) -> int:
    m = re.match(r"^(\d+)([KMGT]?)$", v)
    assert m, v
    return int(m.group(1)) * _UNITS.get(m.group(2), 1)


def _ns_state(name, sysv, li, provider, labelled, region_start):
    """One namespace as it stood: mode/map/align/sector_size, state, offset/size."""
    d = {"name": name}
    mode = li.get("mode", sysv.get("mode", "raw"))
    if mode == "fsdax" and li.get("map") == "mem" and "uuid" not in li and provider == "e820":
        mode = "raw"            # legacy memory mode: a raw namespace on a pagemap bus
    if mode == "memory":
        mode = "fsdax"
    d["mode"] = mode
    if mode in ("fsdax", "devdax"):
        d["map"] = li.get("map", "dev")
        if li.get("align"):
            d["align"] = int(li["align"])
    if mode == "sector" and li.get("sector_size"):
        d["sector_size"] = int(li["sector_size"])
    # ndctl lists a disabled namespace with "state": "disabled"; an enabled fsdax/devdax/sector
    # namespace has no driver of its own (its pfn/dax/btt device has one)
    enabled = li.get("state") != "disabled" if li else bool(sysv.get("driver"))
    if labelled:
        d["size"] = int(sysv["size"])
        d["offset"] = int(sysv["resource"], 16) - region_start
    d["enabled"] = enabled
    return d


def _yaml_ns(d, indent="      "):
    lines = [f"{indent}- name: {d['name']}"]
    for k in ("size", "offset", "mode", "map", "align", "sector_size", "force", "exists", "state"):
        if k in d and d[k] is not None:
            v = d[k]
            if isinstance(v, bool):
                v = "true" if v else "false"
            elif k in ("size", "offset", "align"):
                v = hex(v)
            lines.append(f"{indent}  {k}: {v}")
    if d.get("was"):
        w = d["was"]
        parts = [f"mode: {w['mode']}"]
        if w.get("map"):
            parts.append(f"map: {w['map']}")
        if w.get("align"):
            parts.append(f"align: {hex(w['align'])}")
        parts.append(f"enabled: {'true' if w['enabled'] else 'false'}")
        lines.append(f"{indent}  was: {{{', '.join(parts)}}}")
    return lines


def cases(run: Path, kernel: str, out: Path, labelled_at=()):
    boot = run / "boot1"
    scen = run.name
    made = 0
    for cmdf in sorted((boot / "cmds").glob("*.cmd")):
        ident = cmdf.stem
        label = ident.split("_", 1)[1]
        pre = boot / "snap" / f"pre_{label}"
        cmd = cmdf.read_text().strip()
        if not pre.exists() or not cmd.startswith("ndctl create-namespace"):
            continue
        if not (boot / "cmds" / f"{ident}.rc").exists():
            continue    # the guest hung in this step (no exit status): not a case
        post = boot / "snap" / ident
        rc = int((boot / "cmds" / f"{ident}.rc").read_text())
        err = (boot / "cmds" / f"{ident}.err").read_text()
        dmesg = (boot / "cmds" / f"{ident}.dmesg").read_text()
        outtxt = (boot / "cmds" / f"{ident}.out").read_text()
        a = _args(cmd)
        sys_pre = _sysfs((pre / "sysfs.txt").read_text())
        regions_p, nss_p = _listing(pre / "ndctl_list.json")
        sys_post = _sysfs((post / "sysfs.txt").read_text()) if post.exists() else {}
        _, nss_post = _listing(post / "ndctl_list.json")
        regs = {d: v for d, v in sys_pre.items() if d.startswith("region") and v.get("resource")}
        starts = {d: int(v["resource"], 16) for d, v in regs.items()}
        lab = {d for d in regs if starts[d] in labelled_at}
        # the namespace the step configures
        if "-e" in a:
            target = a["-e"]
            treg = "region" + target[len("namespace"):].split(".")[0]
        else:
            treg = a["-r"]
            target = None
            m = re.search(r'"dev":"(namespace[0-9.]+)"', outtxt)
            if m:
                target = m.group(1)
            else:   # failed: the namespace that appeared (size > 0) since the pre snapshot
                for dname, v in sys_post.items():
                    if dname.startswith("namespace") and dname.split(".")[0] == "namespace" + treg[6:] \
                            and v.get("size", "0") != "0" and sys_pre.get(dname, {}).get("size", "0") == "0":
                        target = dname
            if target is None:
                target = f"namespace{treg[6:]}.new"
        order = sorted(regs, key=lambda d: (d == treg, starts[d]))
        ylines = [f"# source: {scen}/boot1/{ident}", f"# step: {cmd}", "format: 1",
                  f"name: {scen}-{ident}", "arch: x86_64", f'kernel: "{kernel}"',
                  "memory_block_size: 0x8000000", "memory:"]
        for t, s, sz in _memory((pre / "iomem.txt").read_text()):
            ylines.append(f"  - {{type: {t}, start: {hex(s)}, size: {hex(sz)}}}")
        ylines.append("regions:")
        for rd in order:
            v = regs[rd]
            prov = regions_p.get(rd, "nfit")
            ylines += [f"  - name: {rd}", f"    provider: {prov}", f"    start: {hex(starts[rd])}",
                       f"    size: {int(v['size'])}", f"    labels: {'true' if rd in lab else 'false'}"]
            if rd in lab:
                ylines.append('    label_version: "1.1"')   # what ndctl init-labels writes
            ylines.append("    namespaces:")
            mine = sorted(n for n, nv in sys_pre.items() if n.startswith("namespace")
                          and n.split(".")[0] == "namespace" + rd[6:] and nv.get("size", "0") != "0")
            if rd == treg and target in mine:
                mine.remove(target)
            for n in mine:
                st = _ns_state(n, sys_pre[n], nss_p.get(n, {}), prov, rd in lab, starts[rd])
                st["exists"] = True
                st["state"] = "enabled" if st.pop("enabled") else "disabled"
                ylines += _yaml_ns(st)
            if rd == treg:
                d = {"name": target, "mode": a.get("-m", "fsdax"), "force": True if "-f" in cmd.split() else None}
                if d["mode"] in ("fsdax", "devdax"):
                    d["map"] = a.get("-M", "dev")
                if "-a" in a:
                    d["align"] = _size(a["-a"])
                if "-l" in a:
                    d["sector_size"] = int(a["-l"])
                if "-s" in a:
                    d["size"] = _size(a["-s"])
                if "-e" in a and target in sys_pre:
                    w = _ns_state(target, sys_pre[target], nss_p.get(target, {}), prov, False, starts[rd])
                    d["was"] = {"mode": w["mode"], "map": w.get("map"), "align": w.get("align"),
                                "enabled": w["enabled"]}
                ylines += _yaml_ns(d)
        want = {"name": target}
        low = (err + outtxt).lower()
        # ndctl says nothing when the dax character device fails its probe after the
        # namespace is set up (5.2: device_dax maps the pages): the kernel refused the mapping
        dax_failed = re.search(r"device_dax: probe of dax\S+ failed with error", dmesg)
        if rc == 0 and dax_failed:
            want["status"] = "failed"
            want["start"] = int(sys_post[target]["resource"], 16)
            want["error_by"] = "kernel"
            want["error_match"] = next((k for k in _KERNEL if k.lower() in dmesg.lower()), None)
        elif rc == 0:
            want["status"] = "enabled"
            v = sys_post.get(target, {})
            want["start"] = int(v["resource"], 16)
            li = nss_post.get(target, {})
            if li.get("size") is not None:
                want["usable_size"] = int(li["size"])
            rb = sorted((boot / "cmds").glob(f"*_ib_{label}_readib.out"))
            if rb and rb[0].read_text().strip().startswith("["):
                ib = json.loads(rb[0].read_text())[0]
                want["info_block"] = {k: ib[k] for k in ("dataoff", "npfns", "start_pad", "end_trunc", "align")}
                want["info_block"]["version_minor"] = int(ib["version"].split(".")[1])
            elif a.get("-m") in ("sector", "raw"):
                want["info_block"] = None
            want["error_by"] = None
        else:
            hit = next((k for k in _NDCTL if k.lower() in low), None)
            if hit and "failed to enable" not in low:
                want["status"] = "refused"
                want["error_by"] = "ndctl"
                want["error_match"] = hit
            else:
                want["status"] = "failed"
                if target in sys_post and sys_post[target].get("resource"):
                    want["start"] = int(sys_post[target]["resource"], 16)
                want["error_by"] = "kernel"
                want["error_match"] = next((k for k in _KERNEL if k.lower() in dmesg.lower()), None)
        want["observed"] = "snapshot after the step"
        case = f"{scen}-b1-{ident}"
        d = out / case
        d.mkdir(parents=True, exist_ok=True)
        (d / "platform.yaml").write_text("\n".join(ylines) + "\n")
        (d / "expect.json").write_text(json.dumps({"case": case, "source": f"{scen}/boot1/{ident}",
                                                   "command": cmd, "rc": rc,
                                                   "namespaces": [want]}, indent=1) + "\n")
        made += 1
    return made


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("kernel")
    ap.add_argument("out")
    ap.add_argument("--labelled", nargs="*", default=[])
    o = ap.parse_args()
    n = cases(Path(o.run), o.kernel, Path(o.out), {int(x, 0) for x in o.labelled})
    print(f"{n} cases")


if __name__ == "__main__":
    main()
