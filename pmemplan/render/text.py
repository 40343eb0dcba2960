"""The human report (rich): what the chosen kernel does with the platform, why, and what
to change.

It only reads :class:`~pmemplan.result.LayoutResult` objects.  Colour only on a terminal
(or ``--color always`` / FORCE_COLOR); NO_COLOR honoured; the flag wins over both.  The
words always carry the information: colour only repeats it.
"""
from __future__ import annotations

import io
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from ..result import LayoutResult, NamespaceResult, SectionResult
from ..sizes import short_size

_STATUS_STYLE = {"enabled": "green", "failed": "bold red", "refused": "yellow", "disabled": "dim"}
_OWNER_STYLES = ("cyan", "magenta", "blue", "green", "yellow", "bright_cyan", "bright_magenta",
                 "bright_blue", "bright_green", "bright_yellow")
_RAM_STYLE = "grey50"


def _sz(n: Optional[int]) -> str:
    return "-" if n is None else short_size(n).replace(" ", "")


def era_words(r: LayoutResult) -> str:
    """The era in words, e.g. "5.7+: sub-section hotplug, compat align 2M, region align 16M"."""
    a = r.arch_info
    sec = _sz(a.section_size)
    if r.era == "5.7+":
        return (f"sub-section hotplug (2MiB sub-sections of {sec} sections), compat align "
                f"{_sz(a.compat_align)}, region align 16MiB")
    if r.era == "5.3-5.6":
        return f"sub-section hotplug (2MiB sub-sections of {sec} sections), no start padding, end_trunc"
    pad = "System RAM" if r.era == "<=4.20" else "System RAM and other regions"
    return f"whole {sec} sections only; pfn namespaces padded against {pad}"


# -- pieces -------------------------------------------------------------------------------

def _address_map(r: LayoutResult):
    from rich.table import Table
    t = Table(title="Address map", title_justify="left", header_style="bold", expand=False)
    for col, just in (("start", "left"), ("end", "left"), ("size", "right"), ("owner", "left"),
                      ("what", "left")):
        t.add_column(col, justify=just)
    rows: List[Tuple[int, int, int, str, str]] = []
    for m in r.memory:
        rows.append((m["start"], m["start"] + m["size"], 0, m["name"], m["type"]))
    for g in r.regions:
        what = f"{g.provider} region, align {_sz(g.align)}"
        if g.labelled:
            what += f", available {_sz(g.available_size)}, largest extent {_sz(g.max_available_extent)}"
        else:
            what += ", label-less"
        rows.append((g.start, g.start + g.size, 0, f"[bold]{g.name}[/]", what))
    for n in r.namespaces:
        if n.start is not None:
            rows.append((n.start, n.start + n.size, 1, f"  {n.name}",
                         f"{n.mode}{'/' + n.map if n.map else ''}, [{_STATUS_STYLE[n.status]}]{n.status}[/]"))
    rows.sort(key=lambda x: (x[0], x[2], -(x[1] - x[0])))
    top_end: Optional[int] = None
    for s, e, depth, owner, what in rows:
        if depth == 0 and top_end is not None and s > top_end:
            t.add_row(f"{top_end:#x}", f"{s - 1:#x}", _sz(s - top_end), "[dim](hole)[/]", "")
        t.add_row(f"{s:#x}", f"{e - 1:#x}", _sz(e - s), owner, what)
        if depth == 0:
            top_end = max(top_end or 0, e)
    return t


def _lost_cell(n: NamespaceResult) -> str:
    parts = [f"{k.replace('_', ' ')} {_sz(v)}" for k, v in n.lost.items() if v]
    return "\n".join(parts) if parts else "-"


def _kmem_cell(n: NamespaceResult) -> str:
    if n.kmem is None:
        return "-"
    k = n.kmem
    if k.error:
        return "[red]none[/]"
    return f"{k.blocks}×{_sz(k.memory_block_size)}"


def _ns_table(r: LayoutResult):
    from rich.table import Table
    t = Table(title="Namespaces", title_justify="left", header_style="bold", show_lines=True)
    cols = (("namespace", "left"), ("mode", "left"), ("align", "right"), ("requested → usable", "right"),
            ("lost", "left"), ("memmap in DRAM", "right"), ("kmem online", "right"), ("status", "left"))
    for col, just in cols:
        t.add_column(col, justify=just)
    for n in r.namespaces:
        usable = _sz(n.usable_size) if n.usable_size is not None else "-"
        t.add_row(f"{n.name}\n[dim]{n.region}[/]", f"{n.mode}{'/' + n.map if n.map else ''}",
                  _sz(n.align), f"{_sz(n.size)} → {usable}", _lost_cell(n),
                  _sz(n.memmap_ram_bytes) if n.memmap_ram_bytes else "-", _kmem_cell(n),
                  f"[{_STATUS_STYLE[n.status]}]{n.status}[/]")
    return t


def _problems(console, r: LayoutResult) -> None:
    for n in r.namespaces:
        if n.error:
            console.print(f"[{_STATUS_STYLE[n.status]}]✗ {n.name} {n.status}[/] by {n.error.by} "
                          f"({n.error.errno}): {n.error.message}", soft_wrap=True)
            for f in n.fixes:
                console.print(f"    [bold]fix:[/] {f.text}", soft_wrap=True)
            if not n.fixes:
                console.print(f"    [dim]{n.no_fix or 'no single change found that enables it'}[/]", soft_wrap=True)
        for w in n.warnings:
            from rich.markup import escape
            console.print(f"[yellow]! {n.name}[/] ({n.status}): {escape(w)}", soft_wrap=True)
        if n.kmem is not None and (n.kmem.error or n.status == "enabled"):
            k = n.kmem
            if k.error:
                console.print(f"[yellow]! {n.name} kmem[/]: {k.error}", soft_wrap=True)
            else:
                console.print(f"  {n.name} kmem: {k.blocks} memory block(s) of {_sz(k.memory_block_size)} "
                              f"online = {_sz(k.online_bytes)}", soft_wrap=True)


def _effect(n: Optional[NamespaceResult], sec: SectionResult, section_size: int) -> Optional[str]:
    """What happens to namespace ``n`` in section ``sec`` under one kernel (None: nothing)."""
    if n is None or n.start is None:
        return None
    lo, hi = sec.start, sec.start + section_size
    if n.status == "failed" and n.error:
        return f"{n.name} fails ({n.error.message})"
    if n.status == "refused":
        return None
    ib = n.info_block or {}
    bits = []
    if ib.get("start_pad") and lo <= n.start < hi:
        bits.append(f"start_pad {_sz(ib['start_pad'])} on {n.name}")
    if ib.get("end_trunc") and lo < n.start + n.size <= hi:
        bits.append(f"end_trunc {_sz(ib['end_trunc'])} on {n.name}")
    return "; ".join(bits) or None


def _era_line(r: LayoutResult, sec: SectionResult) -> str:
    names = set(sec.owners)
    def line(res: LayoutResult) -> str:
        effects = [_effect(n, sec, res.arch_info.section_size) for n in res.namespaces if n.name in names]
        effects = [e for e in effects if e]
        return "; ".join(effects) if effects else "nothing"
    now = f"{r.kernel}: {line(r)}"
    if r.legacy is None or r.legacy.kernel == r.kernel:
        return now
    return f"{r.legacy.kernel}: {line(r.legacy)} — {now}"


def _section_strip(console, r: LayoutResult) -> None:
    from rich.text import Text
    firmware = {m["name"] for m in r.memory}
    shown = [s for s in r.sections if any(o not in firmware for o in s.owners)]
    if not shown:
        return
    a = r.arch_info
    sub = 2 << 20
    n_sub = max(1, a.section_size // sub)
    console.print(f"[bold]Shared sections[/] ({_sz(a.section_size)} sections; one cell per 2MiB "
                  f"sub-section, X = two owners in one sub-section)")
    styles: Dict[str, str] = {}
    for s in shown:
        for run in s.subsections:
            if run.owner not in styles:
                styles[run.owner] = _RAM_STYLE if run.owner == "System RAM" else \
                    _OWNER_STYLES[len([o for o in styles if o != "System RAM"]) % len(_OWNER_STYLES)]
        cells: List[Optional[str]] = [None] * n_sub
        for run in s.subsections:
            for k in range(run.first, min(n_sub, run.first + run.count)):
                cells[k] = run.owner if cells[k] in (None, run.owner) else "X"
        letters: Dict[str, str] = {}
        for run in s.subsections:
            letters.setdefault(run.owner, chr(ord("A") + len(letters) % 26))
        bar = Text("  [")
        for c in cells:
            if c is None:
                bar.append(".", style="dim")
            elif c == "X":
                bar.append("X", style="bold white on red")
            else:
                bar.append(letters[c], style=styles[c])
        bar.append("]")
        head = Text(f"  section {s.nr:#x} @ {s.start:#x}{' (early)' if s.early else ''}: ",
                    style="bold" if s.collision == "subsection" else "")
        head.append(f"{s.collision} shared" + (" ← collision" if s.collision == "subsection" else ""),
                    style="bold red" if s.collision == "subsection" else "")
        console.print(head, soft_wrap=True)
        console.print(bar, soft_wrap=True)
        legend = Text("    ")
        for owner, ch in letters.items():
            legend.append(f"{ch}", style=styles[owner])
            legend.append(f"={owner}  ")
        console.print(legend, soft_wrap=True)
        console.print(f"    {_era_line(r, s)}", soft_wrap=True, markup=False)


def _summary(console, r: LayoutResult) -> None:
    s = r.summary
    console.print(f"[bold]Summary:[/] usable {_sz(s.usable_size)}, lost {_sz(s.lost)} — "
                  f"[green]{s.enabled} enabled[/], [red]{s.failed} failed[/], "
                  f"[yellow]{s.refused} refused[/]" + (f", {s.disabled} disabled" if s.disabled else ""),
                  soft_wrap=True)
    if s.legacy_kernel and s.legacy_kernel != r.kernel:
        console.print(f"[bold]Padding saved[/] against Linux {s.legacy_kernel}: {_sz(s.padding_saved)}",
                      soft_wrap=True)
        if s.only_enabled_under_kernel:
            console.print(f"  enabled only under {r.kernel}: {', '.join(s.only_enabled_under_kernel)}",
                          soft_wrap=True)
        if s.only_enabled_under_legacy:
            console.print(f"  enabled only under {s.legacy_kernel}: {', '.join(s.only_enabled_under_legacy)}",
                          soft_wrap=True)


def render_one(console, r: LayoutResult) -> None:
    console.rule(f"[bold]{r.platform}[/] — {r.arch}, Linux {r.kernel}")
    console.print(f"[bold]{r.era}[/]: {era_words(r)}; page {_sz(r.arch_info.page_size)}, memory block "
                  f"{_sz(r.arch_info.memory_block_size)}", soft_wrap=True)
    for a in r.assumptions:
        console.print(f"[dim]assumes:[/] {a}", soft_wrap=True)
    console.print(_address_map(r))
    console.print(_ns_table(r))
    _problems(console, r)
    _section_strip(console, r)
    _summary(console, r)


def _comparison(console, results: Sequence[LayoutResult]) -> None:
    from rich.table import Table
    t = Table(title="Kernels side by side", title_justify="left", header_style="bold")
    t.add_column("namespace")
    for r in results:
        t.add_column(f"Linux {r.kernel} ({r.era})", justify="right")
    for i, n in enumerate(results[0].namespaces):
        cells = []
        for r in results:
            m = r.namespaces[i]
            usable = _sz(m.usable_size) if m.usable_size is not None else "-"
            cells.append(f"[{_STATUS_STYLE[m.status]}]{m.status}[/] {usable}")
        t.add_row(n.name, *cells)
    t.add_row("[bold]usable total[/]", *[_sz(r.summary.usable_size) for r in results])
    console.print(t)


# -- entry points -----------------------------------------------------------------------------

def color_system(color: str, to_file: bool = False) -> Optional[str]:
    """rich colour system for --color, NO_COLOR and FORCE_COLOR (the flag wins)."""
    if color == "never":
        return None
    if color == "always":
        return "truecolor"
    if os.environ.get("NO_COLOR"):
        return None
    if os.environ.get("FORCE_COLOR"):
        return "truecolor"
    if to_file or not sys.stdout.isatty():
        return None
    return "auto"


def make_console(color: str = "auto", to_file: bool = False, width: Optional[int] = None,
                 record: bool = False, file=None):
    from rich.console import Console
    system = "truecolor" if record else color_system(color, to_file)
    tty = system is not None
    if width is None:
        width = None if (system == "auto" and sys.stdout.isatty()) else 140
    return Console(file=file if file is not None else io.StringIO(), color_system=system,
                   force_terminal=tty, no_color=system is None, width=width, record=record,
                   highlight=False, emoji=False)


def render_to(console, results: Sequence[LayoutResult]) -> None:
    if len(results) > 1:
        _comparison(console, results)
    for r in results:
        render_one(console, r)


def render_text(results: Sequence[LayoutResult], color: str = "auto", to_file: bool = False,
                width: Optional[int] = None) -> str:
    console = make_console(color, to_file, width)
    render_to(console, results)
    return console.file.getvalue()


def save_picture(results: Sequence[LayoutResult], svg: Optional[str] = None,
                 html: Optional[str] = None, width: int = 140) -> None:
    """Record the report in colour and save it as SVG and/or HTML (rich's recorder)."""
    console = make_console(width=width, record=True, file=io.StringIO())
    render_to(console, results)
    title = f"pmemplan layout — {results[0].platform}"
    if svg:
        console.save_svg(svg, title=title, clear=False)
    if html:
        console.save_html(html, clear=False)
