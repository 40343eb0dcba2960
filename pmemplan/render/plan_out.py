"""``pmemplan plan`` outputs: the text report, the concrete plan as a format-1 platform
(YAML, planned values commented), and JSON (plan, per-target results, command list)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from ..plan.core import Plan, PlanProblem
from ..plan.steps import RegionCheck, Step
from ..platform import Namespace, Platform, Region
from ..sizes import format_size, short_size


# ----------------------------------------------------------------------------- text

def _sz(n: int) -> str:
    """Exact, as ndctl's -s takes it (1560384M), with GiB for big ones (1523.81 GiB)."""
    s = format_size(n)
    return f"{s} ({n / (1 << 30):.2f} GiB)" if n >= 1 << 30 else s


def _usable_line(n: Any, kernels: Sequence[str]) -> str:
    return ", ".join(f"{k}: {_sz(n.usable[k]) if n.usable.get(k) is not None else 'not enabled'}"
                     for k in kernels)


def render_problems(source: str, problems: Sequence[PlanProblem]) -> str:
    out = [f"{source}: the intent cannot be met:"]
    for p in problems:
        where = f"on {p.kernel}" if p.kernel else "on every target"
        out.append(f"  {p.region}{'/' + p.namespace if p.namespace else ''} {where} [{p.cause}]: {p.message}")
        if p.nearest:
            out.append(f"    nearest: {p.nearest}")
    out.append("  (--nearest writes the nearest alternative)")
    return "\n".join(out) + "\n"


def render_plan_text(plan: Plan, source: str) -> str:
    ks = plan.kernels
    out: List[str] = []
    if not plan.ok:
        return render_problems(source, plan.problems)
    out.append(f"plan of {source} for {', '.join(ks)}: every namespace enabled on every target")
    by_region: Dict[str, List[Any]] = {}
    for n in plan.namespaces:
        by_region.setdefault(n.region, []).append(n)
    for r in plan.platform.regions:
        nss = by_region.get(r.name, [])
        if not nss:
            continue
        kind = "labelled" if r.labelled else "label-less"
        out.append("")
        out.append(f"{r.name}  {r.provider}, {kind}, {short_size(r.size)} at {r.start:#x}")
        if r.name in plan.region_aligns:
            out.append(f"  region align {format_size(plan.region_aligns[r.name])} (planned): the size is not a multiple "
                       f"of the 16M default, which ndctl refuses on 5.7+; written only where regionX/align exists")
        for n in nss:
            how = n.mode
            if n.map:
                how += f" map={n.map}"
            if n.align:
                how += f" align {format_size(n.align)}"
            out.append(f"  {n.name}: {how}")
            out.append(f"    {n.requested} -> raw size {_sz(n.size)} at {n.start:#x} "
                       f"(offset {n.offset:#x}) -> usable {_usable_line(n, ks)}")
            if n.planned:
                out.append(f"    planned: {', '.join(n.planned)}")
            if n.why:
                out.append(f"    why: {n.why}")
    out.append("")
    out.append("cost (pmem lost: info block, memmap, alignment, padding, BTT; summed over namespaces):")
    for k in ks:
        out.append(f"  {k}: {short_size(plan.cost(k))}")
    lc = plan.legacy_cost
    if lc:
        old = ", ".join(lc["pre_5_3"])
        worst_old, worst_new = max(lc["lost"].values()), max(lc["lost_without"].values())
        out.append(f"including {old} (whole-section era) costs {short_size(max(worst_old - worst_new, 0))} more pmem "
                   f"lost: " + ", ".join(f"{k} {short_size(v)}" for k, v in lc["lost"].items())
                   + f" against {short_size(worst_new)} when planning for {', '.join(lc['without'])} alone"
                   + (f"; {short_size(lc['raw_extra'])} more raw size asked" if lc["raw_extra"] > 0 else ""))
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- YAML

def _size(n: int) -> str:
    """Exact: a binary unit when it divides, else 0x-hex."""
    s = format_size(n)
    return s if not s.isdigit() or n < 1024 else f"{n:#x}"


def _str(s: str) -> str:
    return json.dumps(s)      # a JSON string is a YAML double-quoted scalar


def _ns_yaml(ns: Namespace, planned: Sequence[str], why: Dict[str, str]) -> List[str]:
    rows: List[tuple] = [("name", _str(ns.name), why.get("name", ""))]
    rows.append(("mode", ns.mode, ""))
    if ns.mode in ("fsdax", "devdax"):
        rows.append(("map", ns.map or "dev", "planned: ndctl's default" if "map" in planned else ""))
        if ns.align is not None:
            rows.append(("align", _size(ns.align), "planned" if "align" in planned else ""))
    if ns.size is not None:
        rows.append(("size", _size(ns.size), why.get("size", "planned" if "size" in planned else "")))
    if ns.offset is not None:
        rows.append(("offset", f"{ns.offset:#x}", "planned: reached by creation order" if "offset" in planned else ""))
    if ns.sector_size is not None:
        rows.append(("sector_size", str(ns.sector_size), ""))
    if ns.force is not None:
        rows.append(("force", "true" if ns.force else "false", ""))
    if ns.system_ram:
        rows.append(("system_ram", "true", ""))
    if ns.was is not None:
        w = ns.was
        parts = [f"mode: {w.mode}"] + ([f"map: {w.map}"] if w.map else []) + \
                ([f"align: {_size(w.align)}"] if w.align else []) + [f"enabled: {'true' if w.enabled else 'false'}"]
        rows.append(("was", "{" + ", ".join(parts) + "}", ""))
    if ns.exists:
        rows.append(("exists", "true", ""))
    if ns.state is not None:
        rows.append(("state", ns.state, ""))
    out = []
    for i, (k, v, c) in enumerate(rows):
        lead = "      - " if i == 0 else "        "
        line = f"{lead}{k}: {v}"
        if c:
            line = f"{line:<44} # {c}"
        out.append(line)
    return out


def render_plan_yaml(plan: Plan, source: str) -> str:
    p = plan.platform
    planned = {n.name: n.planned for n in plan.namespaces}
    asked = {n.name: n.requested for n in plan.namespaces}
    out = [f"# The plan pmemplan made of {source} for {', '.join(plan.kernels)}: every value explicit.",
           "# Comments say which values were planned (and what was asked);",
           "# `pmemplan layout` / `pmemplan lint` of this file show every namespace enabled on every target.",
           "format: 1", f"name: {_str(p.name)}", f"arch: {p.arch}", f"kernel: {_str(p.kernel)}",
           "targets: [" + ", ".join(_str(k) for k in plan.kernels) + "]"]
    for key in ("page_size", "memory_block_size"):
        v = getattr(p, key)
        if v is not None:
            out.append(f"{key}: {_size(v)}")
    if p.mmu:
        out.append(f"mmu: {p.mmu}")
    if p.phys_bits is not None:
        out.append(f"phys_bits: {p.phys_bits}")
    for key in ("bare_metal", "memmap_on_memory"):
        if getattr(p, key):
            out.append(f"{key}: true")
    if not p.thp:
        out.append("thp: false")
    out.append(f"ndctl: {_str(p.ndctl)}")
    if p.memory:
        out.append("memory:")
        for m in p.memory:
            extra = f", name: {_str(m.name)}" if m.name else ""
            out.append(f"  - {{type: {m.type}, start: {m.start:#x}, size: {m.size:#x}{extra}}}")
    out.append("regions:")
    for r in p.regions:
        out.append(f"  - name: {_str(r.name)}")
        out.append(f"    provider: {r.provider}")
        out.append(f"    start: {r.start:#x}")
        out.append(f"    size: {r.size:#x}")
        out.append(f"    labels: {'true' if r.labelled else 'false'}")
        if r.label_version:
            out.append(f"    label_version: {_str(r.label_version)}")
        if r.interleave_ways != 1:
            out.append(f"    interleave_ways: {r.interleave_ways}")
        for key in ("align", "pfn_seed_align", "dax_seed_align"):
            v = getattr(r, key)
            if v is not None:
                line = f"    {key}: {_size(v)}"
                if key == "align" and r.name in plan.region_aligns:
                    line = f"{line:<44} # planned: regionX/align, written where it exists (5.7+)"
                out.append(line)
        if r.numa_node is not None:
            out.append(f"    numa_node: {r.numa_node}")
        if not r.namespaces:
            out.append("    namespaces: []")
            continue
        out.append("    namespaces:")
        for ns in r.namespaces:
            pl = planned.get(ns.name, [])
            why = {"name": f"asked: {asked[ns.name]}"} if ns.name in asked else {}
            if "size" in pl:
                why["size"] = "planned"
            out.extend(_ns_yaml(ns, pl, why))
    if p.lint is not None and p.lint.rules:
        out.append("lint:")
        out.append("  rules:")
        for k, v in p.lint.rules.items():
            out.append(f"    {_str(k)}: {v}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- JSON

def render_plan_json(plan: Plan, regions: Optional[Sequence[RegionCheck]],
                     steps: Optional[Sequence[Step]], script_kernel: Optional[str]) -> str:
    data: Dict[str, Any] = {"format": 1, "plan": plan.to_dict(),
                            "results": {k: r.to_dict() for k, r in plan.results.items()}}
    data["commands"] = None if steps is None else {
        "kernel": script_kernel, "regions": [r.to_dict() for r in regions or []],
        "steps": [s.to_dict() for s in steps]}
    return json.dumps(data, indent=2) + "\n"
