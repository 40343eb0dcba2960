from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Real-kernel data bundled with the suite (each folder's README.md says where it came from).
DATA = Path(__file__).resolve().parent / "data"
KERNEL_CASES = DATA / "kernel-cases"              # Linux 6.1.192, one folder per step
KERNEL_CASES_52 = DATA / "kernel-cases-5.2"       # Linux 5.2.1, same harness
OBSERVATIONS = DATA / "kernel-observations"       # 6.1 snapshots: iomem.txt, ndctl_list.json
REALWORLD = DATA / "realworld"                    # public captures, one .txt per case


def case_names(folder: Path) -> list:
    """The case folders (a README.md beside them is not a case)."""
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_"))
