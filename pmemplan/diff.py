"""``pmemplan diff``: what a kernel change or a firmware move does to the namespaces of a
platform — the same namespaces laid out before and after, side by side.

Pure: takes results of :func:`pmemplan.engine.compute_layout`, returns a :class:`Diff`
whose ``to_dict()`` is the JSON contract (documented in the README, "Before you reboot").
For each namespace that was enabled and is not any more, :func:`restore_actions` says what
brings it back: placing the range where its stored info block validates again (a shift by
a multiple of the granule the block needs), staying on the kernel it works under, or
recreating it — which loses its data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .platform import Platform
from .result import LayoutResult, NamespaceResult, SectionResult
from .sizes import format_size, short_size


@dataclass
class Action:
    """One way to restore a broken namespace."""
    kind: str             # "move" | "kernel" | "recreate" | "none"
    text: str
    data_lost: bool
    granule: Optional[int] = None        # move: the start must differ from a working one by k·granule
    target_start: Optional[int] = None   # move: the nearest such start (the old one)
    align: Optional[int] = None          # recreate: the align that enables at the new place
    kernel: Optional[str] = None         # kernel: the kernel it works under

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "data_lost": self.data_lost,
                "granule": self.granule, "target_start": self.target_start, "align": self.align,
                "kernel": self.kernel}


def _cause(n: NamespaceResult) -> Optional[str]:
    """The error's typed cause (an enum's value), when the result carries one."""
    c = getattr(n.error, "cause", None) if n.error is not None else None
    return None if c is None else str(getattr(c, "value", c))


def _side(n: Optional[NamespaceResult]) -> Optional[Dict[str, Any]]:
    if n is None:
        return None
    return {"status": n.status, "start": n.start, "size": n.size, "usable_size": n.usable_size,
            "mode": n.mode, "align": n.align,
            "error": n.error.to_dict() if n.error else None,
            "cause": _cause(n)}


@dataclass
class NamespaceChange:
    name: str
    before: Optional[NamespaceResult]
    after: Optional[NamespaceResult]
    change: str                      # same | moved | resized | broken | recovered | added | removed | changed
    restore: List[Action] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        return self.change == "broken"

    def to_dict(self) -> Dict[str, Any]:
        b, a = self.before, self.after
        shift = (a.start - b.start) if (a and b and a.start is not None and b.start is not None) else None
        return {"name": self.name, "change": self.change, "shift": shift,
                "before": _side(b), "after": _side(a),
                "restore": [x.to_dict() for x in self.restore]}


@dataclass
class SectionChange:
    start: int
    nr: int
    change: str                      # added | removed | changed
    before: Optional[SectionResult]
    after: Optional[SectionResult]

    def to_dict(self) -> Dict[str, Any]:
        return {"nr": self.nr, "start": self.start, "change": self.change,
                "before": self.before.to_dict() if self.before else None,
                "after": self.after.to_dict() if self.after else None}


@dataclass
class Comparison:
    before_file: str
    after_file: str
    before: LayoutResult
    after: LayoutResult
    namespaces: List[NamespaceChange]
    sections: List[SectionChange]

    @property
    def broken(self) -> List[NamespaceChange]:
        return [c for c in self.namespaces if c.broken]

    def to_dict(self) -> Dict[str, Any]:
        counts: Dict[str, int] = {}
        for c in self.namespaces:
            counts[c.change] = counts.get(c.change, 0) + 1
        return {"before": {"file": self.before_file, "kernel": self.before.kernel},
                "after": {"file": self.after_file, "kernel": self.after.kernel},
                "namespaces": [c.to_dict() for c in self.namespaces],
                "sections": [s.to_dict() for s in self.sections],
                "summary": {"changes": counts, "broken": [c.name for c in self.broken]}}


@dataclass
class Diff:
    comparisons: List[Comparison]

    @property
    def broken(self) -> bool:
        return any(c.broken for c in self.comparisons)

    def to_dict(self) -> Dict[str, Any]:
        return {"format": 1, "comparisons": [c.to_dict() for c in self.comparisons],
                "broken": self.broken}


def _classify(b: Optional[NamespaceResult], a: Optional[NamespaceResult]) -> str:
    if b is None:
        return "added"
    if a is None:
        return "removed"
    if b.status == "enabled" and a.status != "enabled":
        return "broken"
    if b.status != "enabled" and a.status == "enabled":
        return "recovered"
    if b.status != a.status or (b.error and a.error and (b.error.cause, b.error.errno) != (a.error.cause, a.error.errno)):
        return "changed"
    if b.start != a.start:
        return "moved"
    if b.usable_size != a.usable_size or b.size != a.size:
        return "resized"
    return "same"


def _section_changes(before: LayoutResult, after: LayoutResult) -> List[SectionChange]:
    bs = {s.start: s for s in before.sections}
    as_ = {s.start: s for s in after.sections}
    out: List[SectionChange] = []
    for start in sorted(set(bs) | set(as_)):
        b, a = bs.get(start), as_.get(start)
        if b is None and a is not None:
            out.append(SectionChange(start, a.nr, "added", None, a))
        elif a is None and b is not None:
            out.append(SectionChange(start, b.nr, "removed", b, None))
        elif a is not None and b is not None and a.to_dict() != b.to_dict():
            out.append(SectionChange(start, a.nr, "changed", b, a))
    return out


def compare(before_file: str, after_file: str, before: LayoutResult, after: LayoutResult,
            after_platform: Optional[Platform] = None) -> Comparison:
    """Namespace by namespace (by name) and section by section."""
    bmap = {n.name: n for n in before.namespaces}
    amap = {n.name: n for n in after.namespaces}
    names = [n.name for n in before.namespaces] + [n for n in amap if n not in bmap]
    changes = []
    for name in names:
        b, a = bmap.get(name), amap.get(name)
        c = NamespaceChange(name, b, a, _classify(b, a))
        if c.broken and b is not None and a is not None:
            c.restore = restore_actions(b, a, before, after, after_platform)
        changes.append(c)
    return Comparison(before_file, after_file, before, after, changes, _section_changes(before, after))


def _granule(a: NamespaceResult, after: LayoutResult) -> Optional[int]:
    """The granule the stored block needs of the start: its align (data start) and, 5.7+,
    memremap_compat_align() (resource start)."""
    sb = a.stored_info_block
    if not sb:
        return None
    g = sb["align"] or 0
    compat = after.arch_info.compat_align
    if compat:
        g = max(g, compat)
    return g or None


def restore_actions(b: NamespaceResult, a: NamespaceResult, before: LayoutResult, after: LayoutResult,
                    after_platform: Optional[Platform]) -> List[Action]:
    acts: List[Action] = []
    moved = b.start is not None and a.start is not None and b.start != a.start
    g = _granule(a, after)
    if moved and g and a.stored_info_block is not None:
        assert b.start is not None and a.start is not None
        off = (a.start - b.start) % g
        acts.append(Action("move", f"place {a.name} back at a start that differs from {b.start:#x} "
                                   f"by a multiple of {format_size(g)} (it is {format_size(off)} off), "
                                   f"e.g. {b.start:#x}: its info block validates there again, data intact",
                           False, granule=g, target_start=b.start))
    if before.kernel != after.kernel:
        acts.append(Action("kernel", f"boot Linux {before.kernel} again: it enables {a.name} as it is",
                           False, kernel=before.kernel))
    if after_platform is not None:
        acts.extend(_recreate(a, after, after_platform))
    if not acts:
        acts.append(Action("none", f"no change found that brings {a.name} back", False))
    return acts


def _recreate(a: NamespaceResult, after: LayoutResult, platform: Platform) -> List[Action]:
    """Recreating the namespace at its new place (ndctl create-namespace -f -e): tried with
    the namespace's align, then the other supported ones, largest first."""
    from .engine import compute_layout
    loc = None
    for ri, r in enumerate(platform.regions):
        for ni, ns in enumerate(r.namespaces):
            if ns.name == a.name:
                loc = (ri, ni)
    if loc is None or a.mode not in ("fsdax", "devdax"):
        return []
    ri, ni = loc
    aligns = [a.align] + sorted((x for x in after.arch_info.supported_alignments if x != a.align), reverse=True)
    for align in aligns:
        regions = list(platform.regions)
        r = regions[ri]
        nss = list(r.namespaces)
        ns = nss[ni]
        fresh = ns.replace(info_block=None, created_by=None, created_at=None, state=None, align=align,
                           force=True, was=None)
        nss[ni] = fresh
        regions[ri] = r.replace(namespaces=nss)
        trial = platform.replace(regions=regions)
        try:
            res = compute_layout(trial, after.kernel, None).namespace(a.name)
        except Exception:   # pragma: no cover - a trial the engine cannot run is no fix
            continue
        if res.status == "enabled":
            mode = "devdax" if a.mode == "devdax" else "fsdax"
            return [Action("recreate", f"recreate {a.name} in place (ndctl create-namespace -f -e {a.name} "
                                       f"-m {mode} -M {a.map or 'dev'} -a {format_size(align)}): "
                                       f"{short_size(res.usable_size or 0)} usable — its data is lost",
                           True, align=align)]
    return [Action("none", f"recreating {a.name} at {a.start:#x} fails too under Linux {after.kernel} "
                           "(whatever the align): only moving the range helps", False)]


# -- text ---------------------------------------------------------------------------------

def _state(n: Optional[NamespaceResult]) -> str:
    if n is None:
        return "-"
    where = f"{n.start:#x}" if n.start is not None else "unplaced"
    size = f" {short_size(n.usable_size)}" if n.status == "enabled" and n.usable_size is not None else ""
    return f"{n.status} at {where}{size}"


def render_text(d: Diff) -> str:
    lines: List[str] = []
    for c in d.comparisons:
        lines.append(f"{c.before_file} (Linux {c.before.kernel}) -> {c.after_file} (Linux {c.after.kernel})")
        for ch in c.namespaces:
            extra = ""
            if ch.change in ("moved", "broken", "recovered", "changed") and ch.before and ch.after \
                    and ch.before.start is not None and ch.after.start is not None \
                    and ch.before.start != ch.after.start:
                delta = ch.after.start - ch.before.start
                extra = f"moved {'+' if delta > 0 else '-'}{format_size(abs(delta))}"
                extra = extra[5:] if ch.change == "moved" else f", {extra}"
            lines.append(f"  {ch.name}: {ch.change}{extra}: {_state(ch.before)} -> {_state(ch.after)}")
            if ch.after is not None and ch.after.error is not None and ch.change in ("broken", "changed"):
                e = ch.after.error
                cause = _cause(ch.after)
                lines.append(f"      error: {e.message} ({e.errno}, {e.by}{', ' + str(cause) if cause else ''})")
            for act in ch.restore:
                lines.append(f"      restore: {act.text}")
        if c.sections:
            n = {k: sum(s.change == k for s in c.sections) for k in ("added", "removed", "changed")}
            lines.append(f"  shared sections: {n['added']} added, {n['removed']} removed, {n['changed']} changed")
            for s in c.sections:
                sign = {"added": "+", "removed": "-", "changed": "~"}[s.change]
                now = s.after or s.before
                assert now is not None
                lines.append(f"    {sign} section {s.nr} at {s.start:#x}: {', '.join(now.owners)} "
                             f"({now.collision} collision)")
        broken = [x.name for x in c.broken]
        if broken:
            lines.append(f"  {len(broken)} namespace{'s' if len(broken) != 1 else ''} that "
                         f"{'were' if len(broken) != 1 else 'was'} enabled would fail: {', '.join(broken)}")
        else:
            lines.append("  every namespace that was enabled still is")
    return "\n".join(lines) + "\n"


def run_diff(before_file: str, before: Platform, after_file: str, after: Platform,
             before_kernels: Tuple[Optional[str], ...], after_kernels: Tuple[Optional[str], ...]) -> Diff:
    """Every (before kernel, after kernel) pair; None is the file's own kernel."""
    from .engine import compute_layout
    comps = []
    bres = {k: compute_layout(before, k, None) for k in before_kernels}
    for ak in after_kernels:
        ares = compute_layout(after, ak, None)
        for bk in before_kernels:
            comps.append(compare(before_file, after_file, bres[bk], ares, after))
    return Diff(comps)
