"""Copy one lifecycle oracle run into tests/data/lifecycle/<name>/ (the evidence the tests read).

    python3 tests/data/lifecycle/_gen/copy_run.py RESULTS_DIR/<name>

Per boot: `ndctl list -RNvvv -i` right after boot (bootN/ndctl_list.json), the pfn/dax/btt
device lines and "probe of … failed" lines of its dmesg (bootN/dmesg_nd.txt), the info
blocks decoded from the backing files after power-off (bootN/nvdimm_infoblocks.json); boot 1
also its final /proc/iomem and ndctl list (the import input of platforms.py); and the
scenario as run.  Then run platforms.py <name>.
"""
import json
import re
import shutil
import sys
from pathlib import Path

_KEEP = re.compile(r"^\[ *[0-9.]+\]\s+(((nd_pmem|dax_pmem) )?(pfn|dax|btt)\d+\.\d+: |.*probe of \S+ failed"
                   r"|.*probe with driver|Linux version)")


def main(src):
    src = Path(src)
    dst = Path(__file__).resolve().parents[1] / src.name
    dst.mkdir(exist_ok=True)
    sc = json.loads((src / "scenario.json").read_text())
    for boot in sc["boots"]:       # the kernel cache by name only (no machine paths)
        boot["kernel_cache"] = Path(boot["kernel_cache"]).name
    (dst / "scenario.json").write_text(json.dumps(sc, indent=1) + "\n")
    for b in sorted(src.glob("boot*")):
        out = dst / b.name
        out.mkdir(exist_ok=True)
        listing = next(f for f in sorted((b / "cmds").glob("*_list_all.out")))
        shutil.copy(listing, out / "ndctl_list.json")
        lines = [l for l in (b / "dmesg.txt").read_text(errors="replace").splitlines() if _KEEP.match(l)]
        (out / "dmesg_nd.txt").write_text("\n".join(lines) + "\n")
        shutil.copy(b / "nvdimm_infoblocks.json", out / "nvdimm_infoblocks.json")
        if b.name == "boot1":
            shutil.copy(b / "snap" / "final" / "iomem.txt", out / "iomem.txt")
            shutil.copy(b / "snap" / "final" / "ndctl_list.json", out / "ndctl_list_final.json")


if __name__ == "__main__":
    main(sys.argv[1])
