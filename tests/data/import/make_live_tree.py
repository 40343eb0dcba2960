"""Build a captured "live" tree for `pmemplan import --live --root DIR` from one full snapshot
of the project's QEMU oracle runs (its sysfs.txt, iomem.txt and block_size_bytes.txt; the copy
in tests/data/kernel-observations keeps only iomem.txt and ndctl_list.json).

    python tests/data/import/make_live_tree.py SNAPSHOT_DIR/nv_labels/boot1/snap/final \
        tests/data/import/live/nv_labels-final 6.1.0-56-amd64

sysfs.txt holds "== DEVICE" sections of "attr: value" lines (first every device of
/sys/bus/nd/devices, then those of /sys/bus/dax/devices with "-- mappingN" sub-sections);
the tree gets one file per attribute, and `driver` as a symlink to the bus's driver
directory, as sysfs has it.  Device directories are flat (not nested under their bus and
region as in /sys/devices), which the live reader handles.
"""
import os
import sys
from pathlib import Path


def sections(text):
    cur = None
    sub = None
    for line in text.splitlines():
        if line.startswith("== "):
            cur = {"name": line[3:].strip(), "attrs": {}, "subs": {}}
            sub = None
            yield cur
        elif line.startswith("-- ") and cur is not None:
            sub = line[3:].strip()
            cur["subs"][sub] = {}
        elif ": " in line and cur is not None:
            k, v = line.split(": ", 1)
            (cur["subs"][sub] if sub else cur["attrs"])[k.strip()] = v.strip()
        elif line.endswith(":") and cur is not None:
            (cur["subs"][sub] if sub else cur["attrs"])[line[:-1].strip()] = ""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def build(snap: Path, out: Path, release: str) -> None:
    text = (snap / "sysfs.txt").read_text()
    for sec in list(sections(text)):   # (sections are filled after they are yielded)
        name, attrs = sec["name"], sec["attrs"]
        dax_bus = name.startswith("dax") and "devtype" not in attrs
        bus = "dax" if dax_bus else "nd"
        d = out / "sys" / "bus" / bus / "devices" / name
        d.mkdir(parents=True, exist_ok=True)
        for k, v in attrs.items():
            if k == "driver":
                drv = out / "sys" / "bus" / bus / "drivers" / v
                write(drv / "uevent", f"DRIVER={v}")
                link = d / "driver"
                if link.is_symlink() or link.exists():
                    link.unlink()
                os.symlink(os.path.join("..", "..", "drivers", v), link)
            else:
                write(d / k, v)
        for sub, sattrs in sec["subs"].items():
            for k, v in sattrs.items():
                write(d / sub / k, v)
    write(out / "proc" / "iomem", (snap / "iomem.txt").read_text().rstrip("\n"))
    write(out / "proc" / "sys" / "kernel" / "osrelease", release)
    write(out / "proc" / "sys" / "kernel" / "arch", "x86_64")
    bs = snap / "block_size_bytes.txt"
    if bs.exists():
        write(out / "sys" / "devices" / "system" / "memory" / "block_size_bytes", bs.read_text().strip())


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "6.1.0-56-amd64")
