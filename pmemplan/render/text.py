"""The human report (rich): header, address map, namespaces, shared sections, summary.

Colour only on a terminal (or --color always / FORCE_COLOR); NO_COLOR honoured; the
words always carry the information, colour only repeats it.
"""
from __future__ import annotations

import io
import os
from typing import List, Optional

from ..result import LayoutResult, NamespaceResult
from ..sizes import short_size

_ERA_WORDS = {
    "<=4.20": "section hotplug only; pfn padding against System RAM",
    "5.0": "section hotplug only; pfn padding against System RAM and other regions",
    "5.1-5.2": "section hotplug only; padding, info_block_reserve()",
    "5.3-5.6": "sub-section hotplug (2M), no padding, end_trunc",
    "5.7+": "sub-section hotplug, compat align {compat}, region align 16M",
}
_STATUS_STYLE = {"enabled": "green", "failed": "bold red", "refused": "yellow"}


def _era_words(r: LayoutResult) -> str:
    words = _ERA_WORDS.get(r.era, "")
    compat = r.arch_info.compat_align
    return words.format(compat=short_size(compat).replace(" ", "") if compat else "-")


def _color_system(color: str, to_file: bool) -> Optional[str]:
    if color == "never":
        return None
    if color == "always":
        return "truecolor"
    if to_file or os.environ.get("NO_COLOR"):
        return None
    if os.environ.get("FORCE_COLOR"):
        return "truecolor"
    return "auto"


def _lost_text(n: NamespaceResult) -> str:
    total = sum(n.lost.values())
    if not total:
        return "-"
    causes = sorted(((v, k) for k, v in n.lost.items() if v), reverse=True)
    main = causes[0][1].replace("_", " ")
    return f"{short_size(total)} ({main}{' +' if len(causes) > 1 else ''})"


def _ns_table(r: LayoutResult):
    from rich.table import Table
    t = Table(title="Namespaces", title_justify="left", show_lines=False, header_style="bold")
    for col in ("namespace", "region", "start", "mode", "map", "align", "size", "usable", "lost",
                "status"):
        t.add_column(col, justify="right" if col in ("size", "usable", "align") else "left")
    for n in r.namespaces:
        t.add_row(n.name, n.region, f"{n.start:#x}" if n.start is not None else "-", n.mode,
                  n.map or "-", short_size(n.align), short_size(n.size),
                  short_size(n.usable_size) if n.usable_size is not None else "-", _lost_text(n),
                  f"[{_STATUS_STYLE[n.status]}]{n.status}[/]")
    return t


def _address_map(r: LayoutResult):
    from rich.table import Table
    t = Table(title="Address map", title_justify="left", header_style="bold")
    for col in ("start", "end", "size", "owner", "notes"):
        t.add_column(col, justify="right" if col == "size" else "left")
    rows = []
    for m in r.memory:
        rows.append((m["start"], m["start"] + m["size"], m["name"], m["type"]))
    for g in r.regions:
        notes = f"{g.provider}, align {short_size(g.align)}"
        if g.labelled:
            notes += f", available {short_size(g.available_size)}, largest extent {short_size(g.max_available_extent)}"
        rows.append((g.start, g.start + g.size, g.name, notes))
    for n in r.namespaces:
        if n.start is not None:
            rows.append((n.start, n.start + n.size, f"  {n.name}", f"{n.mode} ({n.status})"))
    rows.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    prev_end = None
    for s, e, owner, notes in rows:
        if prev_end is not None and s > prev_end and not owner.startswith("  "):
            t.add_row(f"{prev_end:#x}", f"{s - 1:#x}", short_size(s - prev_end), "[dim](hole)[/]", "")
        t.add_row(f"{s:#x}", f"{e - 1:#x}", short_size(e - s), owner, notes)
        if not owner.startswith("  "):
            prev_end = max(prev_end or 0, e)
    return t


def _sections(r: LayoutResult) -> List[str]:
    lines = []
    sub = r.arch_info.subsection_size if r.arch_info.subsection_size < r.arch_info.section_size else 2 << 20
    n_sub = r.arch_info.section_size // min(sub, r.arch_info.section_size)
    for s in r.sections:
        cells = ["."] * n_sub
        marks: dict = {}
        letters: dict = {}
        for run in s.subsections:
            if run.owner not in letters:
                letters[run.owner] = chr(ord("A") + (len(letters) % 26))
            ch = letters[run.owner]
            marks[ch] = run.owner
            for k in range(run.first, min(n_sub, run.first + run.count)):
                cells[k] = ch if cells[k] in (".", ch) else "X"
        legend = ", ".join(f"{c}={o}" for c, o in marks.items())
        early = "early " if s.early else ""
        lines.append(f"section {s.nr:#x} @ {s.start:#x} ({early}{s.collision} shared): [{''.join(cells)}]  {legend}")
    return lines


def render_one(console, r: LayoutResult) -> None:
    console.rule(f"[bold]{r.platform}[/] — {r.arch}, Linux {r.kernel} ({r.era}: {_era_words(r)})")
    for a in r.assumptions:
        console.print(f"[dim]assumes:[/] {a}", highlight=False, soft_wrap=True)
    console.print(_address_map(r))
    console.print(_ns_table(r))
    for n in r.namespaces:
        if n.error:
            console.print(f"[{_STATUS_STYLE[n.status]}]{n.name} {n.status}[/] by {n.error.by} "
                          f"({n.error.errno}): {n.error.message}", highlight=False, soft_wrap=True)
            for s in n.suggestions:
                console.print(f"    fix: {s}", highlight=False, soft_wrap=True)
        if n.kmem is not None:
            k = n.kmem
            txt = (f"{n.name}: kmem onlines {k.blocks} × {short_size(k.memory_block_size)} "
                   f"= {short_size(k.online_bytes)}")
            console.print(txt + (f" — {k.error}" if k.error else ""), highlight=False, soft_wrap=True)
    sec = _sections(r)
    if sec:
        console.print("[bold]Shared sections[/] (one letter per 2 MiB sub-section, X = two owners)")
        for line in sec:
            console.print("  " + line, highlight=False, markup=False, soft_wrap=True)
    s = r.summary
    console.print(f"[bold]Summary:[/] usable {short_size(s.usable_size)}, lost {short_size(s.lost)}; "
                  f"{s.enabled} enabled, {s.failed} failed, {s.refused} refused", highlight=False, soft_wrap=True)
    if s.legacy_kernel:
        console.print(f"padding saved against Linux {s.legacy_kernel}: {short_size(s.padding_saved)}",
                      highlight=False)
        if s.only_enabled_under_kernel:
            console.print(f"enabled only under {r.kernel}: {', '.join(s.only_enabled_under_kernel)}", highlight=False, soft_wrap=True)
        if s.only_enabled_under_legacy:
            console.print(f"enabled only under {s.legacy_kernel}: {', '.join(s.only_enabled_under_legacy)}", highlight=False, soft_wrap=True)


def render_text(results: List[LayoutResult], color: str = "auto", to_file: bool = False,
                width: Optional[int] = None) -> str:
    from rich.console import Console
    buf = io.StringIO()
    system = _color_system(color, to_file)
    console = Console(file=buf, color_system=system, force_terminal=system not in (None, "auto") or None,
                      width=width or (None if system == "auto" else 120), no_color=system is None,
                      highlight=False)
    if system == "auto":
        import sys
        tty = sys.stdout.isatty()
        console = Console(file=buf, force_terminal=tty, width=width or (None if tty else 140),
                          no_color=not tty, highlight=False)
    for r in results:
        render_one(console, r)
    return buf.getvalue()
