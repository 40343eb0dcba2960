"""The human report (rich): what the chosen kernel does with the platform, why, and what
to change.

It only reads :class:`~pmemplan.result.LayoutResult` objects.  Colour only on a terminal
(or ``--color always`` / FORCE_COLOR); NO_COLOR honoured; the flag wins over both.  The
words always carry the information: colour only repeats it.
"""
from __future__ import annotations

import io
import os
import re
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..result import LayoutResult, NamespaceResult, SectionResult
from ..sizes import short_size

_STATUS_STYLE = {"enabled": "green", "failed": "bold red", "refused": "yellow", "disabled": "dim"}
_OWNER_STYLES = ("cyan", "magenta", "blue", "green", "yellow", "bright_cyan", "bright_magenta",
                 "bright_blue", "bright_green", "bright_yellow")
_RAM_STYLE = "grey50"


_UNIT_GAP = re.compile(r"(?<=\d) (?=[KMGTPE]?i?B\b)")


def _sz(n: Optional[int]) -> str:
    """A size as a table cell: ``16MiB``, ``128GiB - 2MiB`` (exact, :func:`short_size`)."""
    return "-" if n is None else _UNIT_GAP.sub("", short_size(n))


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


# -- layout helpers --------------------------------------------------------------------------
#
# Every string that is not ours (platform, region, namespace and memory names, kernel and
# ndctl messages, fix texts, assumptions, paths) goes through _e() before it meets rich
# markup: "[mem 0x…-0x… flags 0x200] misaligned" is a kernel message, not a style tag.

MIN_WIDTH = 60        # narrower than this, the tables cannot keep names and numbers whole
PIPE_WIDTH = 100      # piped or written to a file without COLUMNS


def _e(s: object) -> str:
    """Escape a string that is not ours for rich markup."""
    from rich.markup import escape
    return escape(str(s))


def report_width(width: Optional[int] = None, to_file: bool = False) -> int:
    """The report's width: ``width`` if given, else COLUMNS, else the terminal's width
    when stdout is one, else PIPE_WIDTH; never below MIN_WIDTH."""
    if width is None:
        cols = os.environ.get("COLUMNS", "").strip()
        if cols.isdigit() and int(cols) > 0:
            width = int(cols)
        elif not to_file and sys.stdout.isatty():
            try:
                width = os.get_terminal_size(sys.stdout.fileno()).columns
            except (OSError, ValueError, AttributeError):
                width = None
    return max(MIN_WIDTH, width or PIPE_WIDTH)


def _para(console: Any, text: Any, indent: int = 0, hang: Optional[int] = None) -> None:
    """Print ``text`` (markup, or a rich Text) word-wrapped to the console width: the
    first line indented by ``indent``, the following ones by ``hang`` (indent + 4)."""
    from rich.text import Text
    if not isinstance(text, Text):
        text = Text.from_markup(text)
    hang = indent + 4 if hang is None else hang
    lines = text.wrap(console, max(8, console.width - max(indent, hang)), overflow="fold")
    for i, line in enumerate(lines):
        line.rstrip()
        console.print(Text(" " * (hang if i else indent)) + line, soft_wrap=True)


class _Col:
    """A table column: ``flex`` columns word-wrap into what the others leave."""

    def __init__(self, header: str, justify: str = "left", flex: bool = False) -> None:
        self.header, self.justify, self.flex = header, justify, flex


def _cell_widths(cell: str) -> Tuple[int, int]:
    """(longest word, longest line) of a markup cell, in terminal cells."""
    from rich.cells import cell_len
    from rich.text import Text
    plain = Text.from_markup(cell).plain
    lines = plain.split("\n") or [""]
    words = plain.split() or [""]
    return max(cell_len(w) for w in words), max(cell_len(x) for x in lines)


def _widths(cols: Sequence[_Col], rows: Sequence[Sequence[str]], width: int,
            prefer: int = 0) -> Optional[List[int]]:
    """Column widths that keep every cell's words whole within ``width`` (None: impossible).
    Fixed columns get their longest line; flexible ones share the rest, each at least its
    longest word (and ``prefer`` cells, or its longest line if shorter).  Headers may wrap
    between words."""
    from rich.cells import cell_len
    lo, hi = [], []
    for i, c in enumerate(cols):
        head = max(cell_len(w) for w in c.header.split()) if c.header.strip() else 0
        words, lines = zip(*(_cell_widths(r[i]) for r in rows)) if rows else ((0,), (0,))
        full = max(max(lines), cell_len(c.header))
        if c.flex:
            lo.append(max(head, max(words), min(prefer, full)))
        else:
            lo.append(max(head, max(lines)))
        hi.append(max(lo[-1], full))
    room = width - (3 * len(cols) + 1)          # borders and padding: "│ a │ b │"
    if sum(lo) > room:
        return None
    if sum(hi) <= room:
        return hi
    out = list(lo)
    spare = room - sum(out)
    want = [h - l for l, h in zip(lo, hi)]      # headers unwrapped, flexible cells unwrapped
    total = sum(want)
    for i, w in enumerate(want):
        out[i] += spare * w // total
    left = room - sum(out)
    for i in range(len(out)):                   # rounding: the rest to the first that wants it
        extra = min(left, hi[i] - out[i])
        out[i] += extra
        left -= extra
    return out


def _table(console: Any, title: str, variants: Sequence[Tuple[Sequence[_Col], Sequence[Sequence[str]]]],
           prefer: int = 0, **kw: Any) -> Any:
    """The first of ``variants`` (columns, rows) whose words all fit the console width
    (with ``prefer`` cells in its wrapping columns, but for the last), as a rich Table with
    fixed column widths (the last variant if none fits)."""
    from rich.table import Table
    chosen: Optional[Tuple[Sequence[_Col], Sequence[Sequence[str]], Sequence[Optional[int]]]] = None
    for i, (cols, rows) in enumerate(variants):
        fit = _widths(cols, rows, console.width, 0 if i == len(variants) - 1 else prefer)
        if fit is not None:
            chosen = cols, rows, fit
            break
    if chosen is None:
        cols, rows = variants[-1]
        chosen = cols, rows, [None] * len(cols)
    cols, rows, widths = chosen
    t = Table(title=title, title_justify="left", header_style="bold", **kw)
    for c, w in zip(cols, widths):
        t.add_column(c.header, justify=c.justify, width=w, overflow="fold")  # type: ignore[arg-type]  # cells fit: only headers wrap
    for r in rows:
        t.add_row(*r)
    return t


# -- pieces -------------------------------------------------------------------------------

def _address_map(console, r: LayoutResult):
    rows: List[Tuple[int, int, int, str, str]] = []
    for m in r.memory:
        rows.append((m["start"], m["start"] + m["size"], 0, _e(m["name"]), _e(m["type"])))
    for g in r.regions:
        what = f"{_e(g.provider)} region, align {_sz(g.align)}"
        if g.labelled:
            what += f", available {_sz(g.available_size)}, largest extent {_sz(g.max_available_extent)}"
        else:
            what += ", label-less"
        rows.append((g.start, g.start + g.size, 0, f"[bold]{_e(g.name)}[/]", what))
    for n in r.namespaces:
        if n.start is not None:
            rows.append((n.start, n.start + n.size, 1, f"  {_e(n.name)}",
                         f"{_e(n.mode)}{'/' + _e(n.map) if n.map else ''}, [{_STATUS_STYLE[n.status]}]{n.status}[/]"))
    rows.sort(key=lambda x: (x[0], x[2], -(x[1] - x[0])))
    cells: List[Tuple[str, str, str, str, str]] = []
    top_end: Optional[int] = None
    for s, e, depth, owner, what in rows:
        if depth == 0 and top_end is not None and s > top_end:
            cells.append((f"{top_end:#x}", f"{s - 1:#x}", _sz(s - top_end), "[dim](hole)[/]", ""))
        cells.append((f"{s:#x}", f"{e - 1:#x}", _sz(e - s), owner, what))
        if depth == 0:
            top_end = max(top_end or 0, e)
    wide = ([_Col("start"), _Col("end"), _Col("size", "right"), _Col("owner"), _Col("what", flex=True)],
            cells)
    stacked = ([_Col("start / end"), _Col("size", "right"), _Col("owner"), _Col("what", flex=True)],
               [(f"{s}-\n{e}", z, o, w) for s, e, z, o, w in cells])
    narrow = ([_Col("start / end"), _Col("size", "right"), _Col("owner / what", flex=True)],
              [(f"{s}-\n{e}", z, f"{o}\n{'  ' if o.startswith('  ') else ''}{w}" if w else o)
               for s, e, z, o, w in cells])
    return _table(console, "Address map", (wide, stacked, narrow), prefer=14, expand=False)


def _lost_lines(n: NamespaceResult) -> List[str]:
    return [f"{k.replace('_', ' ')} {_sz(v)}" for k, v in n.lost.items() if v]


def _kmem_cell(n: NamespaceResult) -> str:
    if n.kmem is None:
        return "-"
    k = n.kmem
    if k.error:
        return "[red]none[/]"
    return f"{k.blocks}×{_sz(k.memory_block_size)}"


def _ns_table(console, r: LayoutResult):
    wide_rows, narrow_rows, stacked_rows = [], [], []
    for n in r.namespaces:
        usable = _sz(n.usable_size) if n.usable_size is not None else "-"
        mode = f"{_e(n.mode)}{'/' + _e(n.map) if n.map else ''}"
        status = f"[{_STATUS_STYLE[n.status]}]{n.status}[/]"
        name = f"{_e(n.name)}\n[dim]{_e(n.region)}[/]"
        lost = _lost_lines(n)
        memmap = _sz(n.memmap_ram_bytes) if n.memmap_ram_bytes else "-"
        wide_rows.append((name, mode, _sz(n.align), f"{_sz(n.size)} → {usable}", "\n".join(lost) or "-",
                          memmap, _kmem_cell(n), status))
        extra = ([f"memmap in DRAM {memmap}"] if n.memmap_ram_bytes else []) + \
                ([f"kmem online {_kmem_cell(n)}"] if n.kmem is not None else [])
        narrow_rows.append((name, f"{mode}\nalign {_sz(n.align)}", f"{_sz(n.size)}\n→ {usable}",
                            "\n".join(lost + extra) or "-", status))
        stacked_rows.append((f"{name}\n{mode}\nalign {_sz(n.align)}", f"{_sz(n.size)}\n→ {usable}",
                             "\n".join([status] + lost + extra)))
    wide = ([_Col("namespace"), _Col("mode"), _Col("align", "right"), _Col("requested → usable", "right"),
             _Col("lost", flex=True), _Col("memmap in DRAM", "right"), _Col("kmem online", "right"),
             _Col("status")], wide_rows)
    narrow = ([_Col("namespace"), _Col("mode"), _Col("requested → usable", "right"),
               _Col("lost", flex=True), _Col("status")], narrow_rows)
    stacked = ([_Col("namespace"), _Col("requested → usable", "right"), _Col("status, lost", flex=True)],
               stacked_rows)
    return _table(console, "Namespaces", (wide, narrow, stacked), prefer=16, show_lines=True)


def _problems(console, r: LayoutResult) -> None:
    for n in r.namespaces:
        if n.error:
            _para(console, f"[{_STATUS_STYLE[n.status]}]✗ {_e(n.name)} {n.status}[/] by {_e(n.error.by)} "
                           f"({_e(n.error.errno)}): {_e(n.error.message)}", 0, 4)
            for f in n.fixes:
                _para(console, f"[bold]fix:[/] {_e(f.text)}", 4, 9)
            if not n.fixes:
                _para(console, f"[dim]{_e(n.no_fix or 'no single change found that enables it')}[/]", 4, 4)
        for w in n.warnings:
            _para(console, f"[yellow]! {_e(n.name)}[/] ({n.status}): {_e(w)}", 0, 4)
        if n.kmem is not None and (n.kmem.error or n.status == "enabled"):
            k = n.kmem
            if k.error:
                _para(console, f"[yellow]! {_e(n.name)} kmem[/]: {_e(k.error)}", 0, 4)
            else:
                _para(console, f"{_e(n.name)} kmem: {k.blocks} memory block(s) of {_sz(k.memory_block_size)} "
                               f"online = {_sz(k.online_bytes)}", 2, 6)


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
        found = [_effect(n, sec, res.arch_info.section_size) for n in res.namespaces if n.name in names]
        effects = [e for e in found if e]
        return "; ".join(effects) if effects else "nothing"
    now = f"{r.kernel}: {line(r)}"
    if r.legacy is None or r.legacy.kernel == r.kernel:
        return now
    return f"{r.legacy.kernel}: {line(r.legacy)} — {now}"


def _bar_lines(cells: List[Optional[str]], letters: Dict[str, str], styles: Dict[str, str],
               width: int) -> List[Any]:
    """The sub-section cells as ``  [....]``, in rows of a power-of-two number of cells
    that fits ``width`` (a 1 GiB arm64 section has 512), each row after the first led by
    the number of its first cell."""
    from rich.text import Text
    n = len(cells)
    if n + 4 <= width:
        per, lead = n, ""
    else:
        digits = len(str(n))
        per = 1
        while per * 2 + 4 + digits + 1 <= width:
            per *= 2
        lead = "{:>%d} " % digits
    out = []
    for first in range(0, n, per):
        bar = Text("  " + (lead.format(first) if lead else "") + "[")
        for c in cells[first:first + per]:
            if c is None:
                bar.append(".", style="dim")
            elif c == "X":
                bar.append("X", style="bold white on red")
            else:
                bar.append(letters[c], style=styles[c])
        bar.append("]")
        out.append(bar)
    return out


def _section_strip(console, r: LayoutResult) -> None:
    from rich.text import Text
    firmware = {m["name"] for m in r.memory}
    shown = [s for s in r.sections if any(o not in firmware for o in s.owners)]
    if not shown:
        return
    a = r.arch_info
    sub = 2 << 20
    n_sub = max(1, a.section_size // sub)
    _para(console, f"[bold]Shared sections[/] ({_sz(a.section_size)} sections; one cell per 2MiB "
                   f"sub-section, X = two owners in one sub-section)", 0, 2)
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
        head = Text(f"section {s.nr:#x} @ {s.start:#x}{' (early)' if s.early else ''}: ",
                    style="bold" if s.collision == "subsection" else "")
        head.append(f"{s.collision} shared" + (" ← collision" if s.collision == "subsection" else ""),
                    style="bold red" if s.collision == "subsection" else "")
        _para(console, head, 2, 6)
        for bar in _bar_lines(cells, letters, styles, console.width):
            console.print(bar, soft_wrap=True)
        legend = Text()
        for owner, ch in letters.items():
            legend.append(f"{ch}", style=styles[owner])
            legend.append(f"={owner}  ")
        _para(console, legend, 4, 6)
        _para(console, Text(_era_line(r, s)), 4, 6)


def _summary(console, r: LayoutResult) -> None:
    s = r.summary
    _para(console, f"[bold]Summary:[/] usable {_sz(s.usable_size)}, lost {_sz(s.lost)} — "
                   f"[green]{s.enabled} enabled[/], [red]{s.failed} failed[/], "
                   f"[yellow]{s.refused} refused[/]" + (f", {s.disabled} disabled" if s.disabled else ""), 0, 2)
    if s.legacy_kernel and s.legacy_kernel != r.kernel:
        _para(console, f"[bold]Padding saved[/] against Linux {_e(s.legacy_kernel)}: {_sz(s.padding_saved)}", 0, 2)
        if s.only_enabled_under_kernel:
            _para(console, f"enabled only under {_e(r.kernel)}: {_e(', '.join(s.only_enabled_under_kernel))}", 2, 4)
        if s.only_enabled_under_legacy:
            _para(console, f"enabled only under {_e(s.legacy_kernel)}: "
                           f"{_e(', '.join(s.only_enabled_under_legacy))}", 2, 4)


def _header(console, r: LayoutResult) -> None:
    """The platform, arch and kernel on a rule; above a plain rule when it does not fit."""
    from rich.cells import cell_len
    from rich.text import Text
    title = Text(f"{r.platform} — {r.arch}, Linux {r.kernel}")
    title.stylize("bold", 0, len(r.platform))
    if cell_len(title.plain) + 6 <= console.width:
        console.rule(title)
    else:
        _para(console, title, 0, 2)
        console.rule()


def render_one(console, r: LayoutResult) -> None:
    _header(console, r)
    _para(console, f"[bold]{_e(r.era)}[/]: {_e(era_words(r))}; page {_sz(r.arch_info.page_size)}, memory block "
                   f"{_sz(r.arch_info.memory_block_size)}", 0, 2)
    for a in r.assumptions:
        _para(console, f"[dim]assumes:[/] {_e(a)}", 0, 9)
    console.print(_address_map(console, r))
    console.print(_ns_table(console, r))
    _problems(console, r)
    _section_strip(console, r)
    _summary(console, r)


def _comparison(console, results: Sequence[LayoutResult]) -> None:
    cols = [_Col("namespace")] + [_Col(f"Linux {r.kernel} ({r.era})", "right", flex=True) for r in results]
    rows = []
    for i, n in enumerate(results[0].namespaces):
        cells = []
        for r in results:
            m = r.namespaces[i]
            usable = _sz(m.usable_size) if m.usable_size is not None else "-"
            cells.append(f"[{_STATUS_STYLE[m.status]}]{m.status}[/] {usable}")
        rows.append([_e(n.name), *cells])
    rows.append(["[bold]usable total[/]", *[_sz(r.summary.usable_size) for r in results]])
    console.print(_table(console, "Kernels side by side", [(cols, rows)]))


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
    """A rich console for the report: colour by :func:`color_system` (always, for a
    recording), the width by :func:`report_width`."""
    from rich.console import Console
    system = "truecolor" if record else color_system(color, to_file)
    tty = system is not None
    return Console(file=file if file is not None else io.StringIO(), color_system=system,  # type: ignore[arg-type]
                   force_terminal=tty, no_color=system is None, width=report_width(width, to_file),
                   record=record, highlight=False, emoji=False, soft_wrap=False)


def render_to(console, results: Sequence[LayoutResult]) -> None:
    if len(results) > 1:
        _comparison(console, results)
    for r in results:
        render_one(console, r)


def render_text(results: Sequence[LayoutResult], color: str = "auto", to_file: bool = False,
                width: Optional[int] = None) -> str:
    """The report as text, ``width`` columns wide (default: :func:`report_width`)."""
    console = make_console(color, to_file, width)
    render_to(console, results)
    return console.file.getvalue()


def save_picture(results: Sequence[LayoutResult], svg: Optional[str] = None,
                 html: Optional[str] = None, width: int = 140) -> None:
    """Record the report in colour and save it as SVG and/or HTML (rich's recorder).
    Every line is wrapped to ``width``, so the SVG clips nothing."""
    console = make_console(width=width, record=True, file=io.StringIO())
    render_to(console, results)
    title = f"pmemplan layout — {results[0].platform}"
    if svg:
        console.save_svg(svg, title=title, clear=False)
    if html:
        console.save_html(html, clear=False)
