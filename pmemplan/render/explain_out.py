"""``pmemplan explain``'s text output: one block per address (owner, layout, section,
pfn_valid, struct page), read from :class:`pmemplan.explain.Explanation`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

if TYPE_CHECKING:
    from ..explain import Explanation


def _h(n: Optional[int]) -> str:
    return "-" if n is None else f"{n:#x}"


def _runs_text(sec: Dict[str, Any]) -> str:
    parts = []
    for r in sec["owners"]:
        a, c = r["first"], r["count"]
        span = f"{a}" if c == 1 else f"{a}-{a + c - 1}"
        parts.append(f"{r['name']} [{span}]")
    return ", ".join(parts) or "nobody"


def render_text(e: "Explanation") -> str:
    lines: List[str] = []
    for it in e.items:
        o, sec, pv, sp, lay = it["owner"], it["section"], it["pfn_valid"], it["struct_page"], it["layout"]
        head = f"{it['address']:#x}  (pfn {it['pfn']:#x}"
        head += f", {it['query']})" if it["kind"] != "address" else ")"
        lines.append(head)
        if o["kind"] == "namespace":
            st = "" if o["status"] == "enabled" else f", {o['status']}"
            mp = f" map={o['map']}" if o.get("map") else ""
            km = ", onlined as System RAM (kmem)" if o.get("kmem") else ""
            own = f"{o['name']} ({o['mode']}{mp}{st}{km}) in {o['region']}, {_h(o['start'])}-{_h(o['end'] - 1)}"
        elif o["kind"] == "region":
            own = f"{o['name']} ({o['provider']}), unallocated, {_h(o['start'])}-{_h(o['end'] - 1)}"
        elif o["kind"] == "memory":
            own = f"{o['name']} ({o['type']}), {_h(o['start'])}-{_h(o['end'] - 1)}"
        else:
            own = "nothing: a hole in the physical address map"
        lines.append(f"  owner        {own}")
        if lay is not None:
            rng = f" [{_h(lay['part_start'])}-{_h(lay['part_end'] - 1)}]" if lay.get("part_start") is not None \
                and lay.get("part_end", 0) > lay.get("part_start", 0) else ""
            lines.append(f"  layout       {lay['part']}{rng}: {lay['detail']}" if lay.get("detail")
                         else f"  layout       {lay['part']}{rng}")
        early = "early (boot memory)" if sec["early"] else "not early"
        lines.append(f"  section      {sec['nr']} ({_h(sec['start'])}-{_h(sec['start'] + sec['size'] - 1)}), "
                     f"sub-section {sec['subsection']} of {sec['subsections']}, {early}")
        lines.append(f"  owners       {_runs_text(sec)}")
        if sec["others"]:
            lines.append(f"  shared with  {', '.join(sec['others'])}")

        def yn(v: bool) -> str:
            return "yes" if v else "no"
        why_old = "whole sections"
        if o["kind"] == "namespace" and o.get("legacy_status") not in (None, "enabled"):
            why_old += f"; {o['name']} is {o['legacy_status']} there"
            if o.get("legacy_error"):
                why_old += f": {o['legacy_error']}"
        lines.append(f"  pfn_valid    {yn(pv['kernel'])} under {e.kernel}"
                     f" (sub-section {'present' if sec['subsection_present'] else 'absent'}"
                     f"{', early section: valid whole' if sec['early'] else ''}); "
                     f"{yn(pv['legacy'])} under {e.legacy} ({why_old})")
        lines.append(f"  struct page  {sp['where']}: {sp['detail']}")
        lines.append("")
    return "\n".join(lines)
