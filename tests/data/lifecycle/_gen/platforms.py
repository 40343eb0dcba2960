"""Write bootN/platform.yaml of a lifecycle scenario copied into tests/data/lifecycle/<name>/.

Run from the repository root: python3 tests/data/lifecycle/_gen/platforms.py <name>

Input: <name>/scenario.json (the scenario as run: per boot the NVDIMM addresses and the
kernel cache), <name>/boot1/iomem.txt and <name>/boot1/ndctl_list_final.json (the end of boot 1).
The boot-1 machine is imported (pmemplan import), then for each later boot every region's
start is set to the address of its DIMM in that boot, the kernel to that boot's kernel, and
every fsdax/devdax namespace gets created_by (the boot-1 kernel) and created_at (its boot-1
start).  Nothing about what the kernel did in boots 2+ goes into the platforms.
"""
import json
import subprocess
import sys
from pathlib import Path

import yaml

KERNELS = {"oracle-cache": "6.1", "oracle-cache-612": "6.12", "cache": "5.2"}


def kernel_of(boot):
    return KERNELS[Path(boot["kernel_cache"]).name]


def _hex(o):
    """Addresses and sizes as 0x strings (the format reads them), for people."""
    if isinstance(o, list):
        for x in o:
            _hex(x)
    elif isinstance(o, dict):
        for k, v in o.items():
            if k in ("start", "size", "offset", "align", "created_at", "memory_block_size") and isinstance(v, int):
                o[k] = hex(v)
            else:
                _hex(v)


def _size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text, 0)


def main(name):
    root = Path(__file__).resolve().parents[1] / name
    sc = json.loads((root / "scenario.json").read_text())
    b1 = sc["boots"][0]
    k1 = kernel_of(b1)
    out = subprocess.run([sys.executable, "-m", "pmemplan", "import", "-q", "--kernel", k1,
                          "--iomem", str(root / "boot1" / "iomem.txt"),
                          "--ndctl", str(root / "boot1" / "ndctl_list_final.json")],
                         check=True, capture_output=True, text=True).stdout
    base = yaml.safe_load(out)
    home = {int(d["addr"], 16): d["file"] for d in b1["nvdimms"]}
    size1 = {d["file"]: d["size"] for d in b1["nvdimms"]}
    # the blocks the model says boot 1 wrote (for DIMMs whose size changes later: a block
    # computed from created_at would be laid out for the new size)
    from pmemplan.engine import compute_layout
    from pmemplan.importer import platform_of
    first = compute_layout(platform_of(json.loads(json.dumps(base))), k1, None)
    written = {n.name: n.stored_info_block for n in first.namespaces if n.stored_info_block}
    for bi, boot in enumerate(sc["boots"][1:], 2):
        addr = {d["file"]: int(d["addr"], 16) for d in boot["nvdimms"]}
        sizes = {d["file"]: d["size"] for d in boot["nvdimms"]}
        p = json.loads(json.dumps(base))
        p["name"] = f"{name}-boot{bi}"
        p["kernel"] = kernel_of(boot)
        for r in p["regions"]:
            f = home[r["start"]]
            resized = sizes[f] != size1[f]
            for ns in r["namespaces"]:
                ns.pop("state", None)      # observed in boot 1 only
                if ns["mode"] not in ("fsdax", "devdax"):
                    continue
                if resized:
                    w = written[ns["name"]]
                    ns["info_block"] = {k: w[k] for k in ("dataoff", "npfns", "start_pad", "end_trunc",
                                                          "align", "version_minor", "mode")}
                else:
                    ns["created_by"] = k1
                    ns["created_at"] = r["start"] + ns.get("offset", 0)
            r["start"] = addr[f]
            if resized:
                if r.get("labels"):
                    raise SystemExit("resizing a labelled DIMM is not supported here")
                r["size"] = _size(sizes[f])
        _hex(p)
        (root / f"boot{bi}").mkdir(exist_ok=True)
        text = (f"# {name} boot {bi}: the boot-1 machine (pmemplan import) with the DIMMs at boot {bi}'s\n"
                f"# addresses, under boot {bi}'s kernel; written by tests/data/lifecycle/_gen/platforms.py\n")
        text += yaml.safe_dump(p, sort_keys=False, default_flow_style=None, width=110)
        (root / f"boot{bi}" / "platform.yaml").write_text(text)


if __name__ == "__main__":
    main(sys.argv[1])
