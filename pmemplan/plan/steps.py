"""The ndctl/daxctl steps that build a concrete platform, in the order that works.

Pure: from a platform and the engine's result for the kernel the commands run on.

* labelled regions: ndctl has no offset option; the kernel places a new namespace
  first-fit (engine/region_devs.py), so namespaces are created in the order of their
  planned start; where a planned start lies beyond where first-fit would put the next
  namespace, a raw placeholder namespace fills the gap first and is destroyed at the end;
* a region align (regionX/align, v5.7 2522afb86a8c) is written only when the platform
  sets one and the kernel has the file;
* label-less regions: their one namespace is reconfigured with ``-f -e``;
* ``was:`` namespaces are reconfigured with ``-e`` (``-f`` only where ndctl needs it:
  engine/ndctl.py namespace_prep_reconfig()); ``exists: true`` ones are only checked;
* kmem (``daxctl reconfigure-device --mode=system-ram``) comes last.

Each step carries what to check afterwards: mode, size as ndctl lists it, align, and
the physical start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..engine import ndctl as _ndctl
from ..platform import Namespace, Platform, Region
from ..result import LayoutResult
from ..sizes import align_up

REGION = "{region}"     # token: the region device the script found (regionN)
DEV = "{dev}"           # token: the namespace device (namespaceN.M)
CHARDEV = "{chardev}"   # token: the dax device (daxN.M)


@dataclass
class RegionCheck:
    """A region the script must find (by physical start and size) before changing anything."""
    name: str
    start: int
    size: int
    labelled: bool
    existing: int          # namespaces with a size the region may hold already (exists: true)

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "start": self.start, "size": self.size,
                "labels": self.labelled, "existing": self.existing}


STEP_KINDS = ("align", "create", "placeholder", "reconfigure", "destroy", "kmem", "check")
STEP_FINDS = ("name", "start", "labelless", "region")   # how the script finds {dev}


@dataclass
class Step:
    kind: str              # one of STEP_KINDS
    region: str
    namespace: str
    argv: List[str]        # the command; {region} {dev} {chardev} are found by the script
    expect: Dict[str, Any] = field(default_factory=dict)   # mode, size, align, start
    find: str = "name"     # how {dev} is found: name (alt_name) | start | labelless

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS or self.find not in STEP_FINDS:   # the JSON schema's enums
            raise ValueError(f"step kind {self.kind!r} / find {self.find!r} unknown")

    def command(self) -> str:
        return " ".join(self.argv)

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "region": self.region, "namespace": self.namespace,
                "argv": list(self.argv), "expect": dict(self.expect), "find": self.find}


def _create_args(ns: Namespace, size: int, mode: str, map_: Optional[str], align: Optional[int],
                 sector_size: Optional[int], force: bool) -> List[str]:
    argv = ["ndctl", "create-namespace", "-r", REGION, "-s", str(size)]
    argv += _mode_args(mode, map_, align, sector_size)
    argv += ["-n", ns.name]
    if force:
        argv.append("-f")
    return argv


def _reconfig_args(mode: str, map_: Optional[str], align: Optional[int],
                   sector_size: Optional[int], force: bool) -> List[str]:
    argv = ["ndctl", "create-namespace"]
    if force:
        argv.append("-f")
    argv += ["-e", DEV]
    return argv + _mode_args(mode, map_, align, sector_size)


def _mode_args(mode: str, map_: Optional[str], align: Optional[int],
               sector_size: Optional[int]) -> List[str]:
    """-m, and -M/-a (fsdax, devdax) or -l (sector)."""
    argv = ["-m", mode]
    if mode in ("fsdax", "devdax"):
        if map_:
            argv += ["-M", map_]
        if align:
            argv += ["-a", str(align)]
    if mode == "sector":
        argv += ["-l", str(sector_size or 4096)]
    return argv


def _expect(res: LayoutResult, name: str, region: Region) -> Dict[str, Any]:
    nr = res.namespace(name)
    mode = nr.mode
    if mode == "raw" and region.pagemap:
        # a raw namespace of a pagemap bus (e820, of_pmem, virtio-pmem) is listed by ndctl
        # as fsdax map=mem, "legacy memory mode" (engine/ndctl.py previous_state(); observed
        # on 6.1 by the plan-runs c04_kmem run)
        mode = "fsdax"
    out: Dict[str, Any] = {"mode": mode, "size": nr.usable_size, "start": nr.start}
    if nr.mode in ("fsdax", "devdax") and nr.pfn is not None:
        out["align"] = nr.align
    return out


def build_steps(platform: Platform, res: LayoutResult) -> "tuple[List[RegionCheck], List[Step]]":
    """The region checks and the ordered steps for ``platform`` on ``res``'s kernel.

    Every namespace must be enabled in ``res`` (callers refuse otherwise)."""
    prof = res.profile
    assert prof is not None
    regions: List[RegionCheck] = []
    steps: List[Step] = []
    kmem: List[Step] = []
    destroys: List[Step] = []
    rres = {r.name: r for r in res.regions}
    for r in platform.regions:
        if not r.namespaces:
            continue
        existing = sum(1 for ns in r.namespaces if ns.exists) if r.labelled else 1
        regions.append(RegionCheck(r.name, r.start, r.size, r.labelled, existing))
        if r.align is not None and prof.kernel.at_least(5, 7) and not all(ns.exists for ns in r.namespaces):
            # regionX/align exists from v5.7 (2522afb86a8c)
            steps.append(Step("align", r.name, "", ["echo", str(r.align), ">", f"{REGION}/align"],
                              {"align": r.align}, find="region"))
        if not r.labelled:
            ns = r.namespaces[0]
            nr = res.namespace(ns.name)
            if ns.exists:
                steps.append(Step("check", r.name, ns.name, [], _expect(res, ns.name, r), find="labelless"))
            else:
                steps.append(Step("reconfigure", r.name, ns.name,
                                  _reconfig_args(ns.mode, nr.map, nr.align if ns.mode in ("fsdax", "devdax") else None,
                                                 ns.sector_size, True),
                                  _expect(res, ns.name, r), find="labelless"))
            if ns.system_ram:
                kmem.append(Step("kmem", r.name, ns.name,
                                 ["daxctl", "reconfigure-device", "--mode=system-ram", CHARDEV],
                                 {"mode": "system-ram"}, find="labelless"))
            continue
        granule = rres[r.name].align
        order = sorted(r.namespaces, key=lambda n: (res.namespace(n.name).start or 0))
        cursor = 0
        nph = 0
        for ns in order:
            nr = res.namespace(ns.name)
            assert nr.start is not None
            off = nr.start - r.start
            if ns.exists or ns.was is not None:
                if ns.exists:
                    steps.append(Step("check", r.name, ns.name, [], _expect(res, ns.name, r), find="start"))
                else:
                    force = ns.force if ns.force is not None else (
                        _ndctl.namespace_prep_reconfig(prof, r, ns.replace(force=False)) is not None)
                    steps.append(Step("reconfigure", r.name, ns.name,
                                      _reconfig_args(ns.mode, nr.map, nr.align if ns.mode in ("fsdax", "devdax") else None,
                                                     ns.sector_size, force),
                                      _expect(res, ns.name, r), find="start"))
                cursor = max(cursor, off + nr.size)
                if ns.system_ram and not ns.exists:
                    kmem.append(Step("kmem", r.name, ns.name,
                                     ["daxctl", "reconfigure-device", "--mode=system-ram", CHARDEV],
                                     {"mode": "system-ram"}, find="start"))
                continue
            lands = align_up(cursor, granule)
            if off > lands:
                nph += 1
                ph = f"pmemplan-placeholder-{r.name}-{nph}"
                gap = off - lands
                steps.append(Step("placeholder", r.name, ph,
                                  ["ndctl", "create-namespace", "-r", REGION, "-s", str(gap), "-m", "raw", "-n", ph],
                                  {"mode": "raw", "size": gap, "start": r.start + lands}))
                destroys.append(Step("destroy", r.name, ph, ["ndctl", "destroy-namespace", "-f", DEV], {}))
            steps.append(Step("create", r.name, ns.name,
                              _create_args(ns, nr.size, ns.mode, nr.map,
                                           nr.align if ns.mode in ("fsdax", "devdax") else None,
                                           ns.sector_size, bool(ns.force)),
                              _expect(res, ns.name, r)))
            cursor = off + nr.size
            if ns.system_ram:
                kmem.append(Step("kmem", r.name, ns.name,
                                 ["daxctl", "reconfigure-device", "--mode=system-ram", CHARDEV],
                                 {"mode": "system-ram"}))
    return regions, steps + destroys + kmem
