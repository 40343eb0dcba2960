"""``pmemplan lint``: findings about a platform, for the kernels a team ships.

Built on the same engine and result object as ``layout`` (no second model of the
kernel): each rule reads :class:`~pmemplan.result.LayoutResult` objects, one per
kernel, and findings that say the same thing about the same object for several
kernels are merged, naming the kernels they affect.

Rule ids are stable; levels are ``off``/``info``/``warning``/``error`` and can be
changed per file (``lint: {rules: {ID: LEVEL}}``) or per run (``--rule ID=LEVEL``).
A comment ``# pmemplan: disable=ID`` on an object's line or the line above silences
that rule for that object.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .causes import Cause
from .kversion import KernelVersion
from .platform import Platform
from .result import LayoutResult, NamespaceError, NamespaceResult
from .sizes import short_size

LEVELS = ("off", "info", "warning", "error")
_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}


@dataclass(frozen=True)
class Rule:
    id: str
    level: str             # default level
    title: str
    help: str
    source: str            # docs/kernel-model.md sections, kernel commits, observations


RULES: Dict[str, Rule] = {r.id: r for r in (
    Rule("invalid-input", "error", "the file is not a valid platform description",
         "The loader refused the file (YAML syntax, unknown key, wrong type, overlap, hostile input).",
         "README: the platform format"),
    Rule("section-shared-ram", "warning", "pmem shares a sparsemem section with System RAM",
         "Before 5.3 the kernel mapped pmem in whole sections: a namespace sharing a section with "
         "System RAM was padded (start_pad/end_trunc) or could not be mapped. 5.3+ maps 2 MiB "
         "sub-sections and only a shared sub-section matters.",
         "docs/kernel-model.md §4.2, §5.1, §6.2; ba72b4c8cf60 (v5.3)"),
    Rule("section-shared-pmem", "warning", "pmem shares a sparsemem section with other pmem",
         "Before 5.3 a second namespace in a section already mapped failed with \"Conflicting "
         "mapping in same section\" (5.0+ pads against other regions). Harmless on 5.3+.",
         "docs/kernel-model.md §5.1, §6.2; ae86cbfef381 (v5.0), ba72b4c8cf60 (v5.3); pmem/ndctl#76, #91"),
    Rule("subsection-shared", "error", "two owners in one 2 MiB sub-section",
         "Only one range can populate a 2 MiB sub-section: the second fails (-EEXIST), or the "
         "compat-alignment checks refuse it first.",
         "docs/kernel-model.md §4.3, §11; ba72b4c8cf60 (v5.3)"),
    Rule("compat-misaligned", "error", "start or end not aligned to memremap_compat_align()",
         "fsdax/devdax namespaces (and e820 namespaces that map pages) must start on a "
         "memremap_compat_align() boundary (2 MiB; 16 MiB on ppc64 hash) from 5.7; an unaligned end "
         "is truncated or refused.",
         "docs/kernel-model.md §5.1, §6.1, §7.3; 9ffc1d19fc4a (v5.7)"),
    Rule("region-align-size", "error", "size not a multiple of the region align",
         "ndctl (v68+) refuses a size that is not a multiple of regionX/align (16 MiB by default "
         "from 5.7): \"align setting is … size … is misaligned\".",
         "docs/kernel-model.md §7.1, §8.1, §11; 2522afb86a8c (v5.7), ndctl ba9365c (v68)"),
    Rule("interleave-size", "error", "size not a multiple of align × interleave ways",
         "ndctl refuses a size that is not a multiple of the namespace align times the interleave "
         "ways: \"'--size=' must align to interleave-width … did you intend --size=…?\".",
         "docs/kernel-model.md §8.1"),
    Rule("unsupported-align", "error", "alignment the arch/kernel does not support",
         "The pfn/dax align must be one of the kernel's supported_alignments (PAGE_SIZE, PMD, PUD "
         "with THP); sector and raw modes take none.",
         "docs/kernel-model.md §3, §6.3, §8.1"),
    Rule("too-small", "error", "namespace too small for its mode",
         "fsdax, devdax and sector need at least 16 MiB (ndctl v68+, and the kernel's claim); a "
         "v1.1 BTT needs 16 MiB + 4 KiB.",
         "docs/kernel-model.md §6, §8.1, §9; ndctl 697680f (v68)"),
    Rule("kernel-refuses", "error", "the kernel refuses or truncates the namespace",
         "The kernel fails to enable the namespace (its message is quoted), or cuts its end "
         "(end_trunc) so part of the requested size is never usable.",
         "docs/kernel-model.md §6.1, §6.2; 274b924088e9 (v5.3-rc8)"),
    Rule("ndctl-refuses", "error", "ndctl refuses the request",
         "ndctl's own checks: free space, label-less regions, the 16 MiB start check.",
         "docs/kernel-model.md §7.2, §8"),
    Rule("capacity-loss", "warning", "capacity lost above the threshold",
         "More than --max-loss (default 2 %) of the namespace is lost to metadata, alignment or "
         "truncation.",
         "docs/kernel-model.md §6.4, §9"),
    Rule("memmap-ram", "warning", "map=mem memmap takes too much DRAM",
         "With map: mem the struct pages (64 bytes per 4 KiB page) live in System RAM; more than "
         "--max-memmap-ram (default 10 %) of System RAM is flagged.",
         "docs/kernel-model.md §5.2"),
    Rule("kmem-no-memory", "error", "system_ram devdax brings no memory block online",
         "kmem onlines only whole memory blocks of the dax range; with none it rejects the device "
         "(\"rejecting DAX region without any memory after alignment\").",
         "docs/kernel-model.md §10; 60e93dc097f7 (v5.11)"),
    Rule("kmem-partial", "warning", "system_ram devdax leaves part of its range unused",
         "kmem onlines only whole memory blocks: the head and tail of the dax range that do not "
         "fill a block stay unused.",
         "docs/kernel-model.md §10"),
    Rule("legacy-padding", "warning", "pre-5.3 padding ties the info block to its address",
         "A pre-5.3 kernel writes start_pad/end_trunc into the info block; it validates only while "
         "the range stays where it is: a firmware move that is not a multiple of the section size "
         "(and of the align) breaks it.",
         "docs/kernel-model.md §6.2, §6.5"),
    Rule("move-granule", "warning", "the stored info block survives only large firmware moves",
         "An existing namespace's info block is validated again at every boot at the namespace's "
         "current address: the data start must stay a multiple of the recorded align and, from 5.7, "
         "the start a multiple of memremap_compat_align(). A 1 GiB devdax block (or one with pre-5.3 "
         "padding) comes back only after moves by multiples of that granule; check a move first with "
         "pmemplan diff.",
         "docs/kernel-model.md §6.5, §6.6; oracle nv_shift (6.1)"),
)}


@dataclass
class Finding:
    path: str
    line: int
    column: int
    rule: str
    level: str
    message: str
    kernels: List[str]
    obj: str                      # "regions[0].namespaces[1]"
    name: str                     # the object's name
    fingerprint: str = ""

    def to_dict(self) -> Dict[str, object]:
        return {"path": self.path, "line": self.line, "column": self.column, "rule": self.rule,
                "level": self.level, "message": self.message, "kernels": list(self.kernels),
                "object": self.obj, "name": self.name, "fingerprint": self.fingerprint,
                "source": RULES[self.rule].source}


@dataclass
class LintOptions:
    kernels: Sequence[str] = ()
    rules: Dict[str, str] = field(default_factory=dict)    # --rule ID=LEVEL (wins over the file)
    max_loss: float = 0.02
    max_memmap_ram: float = 0.10


Locate = Callable[[Tuple], Tuple[int, int]]
_DISABLE_RE = re.compile(r"#\s*pmemplan:\s*disable=([A-Za-z0-9_,\- ]+)")


def kernels_for(platform: Platform, opts: LintOptions) -> List[str]:
    """--kernel wins over the file's targets, which win over its kernel."""
    if opts.kernels:
        return list(opts.kernels)
    if platform.targets:
        return list(platform.targets)
    return [platform.kernel]


def _ns_loc(platform: Platform, name: str) -> Tuple:
    for ri, r in enumerate(platform.regions):
        for ni, ns in enumerate(r.namespaces):
            if ns.name == name:
                return ("regions", ri, "namespaces", ni)
    return ()


def _fmt_loc(loc: Tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "platform"


def _pre53(r: LayoutResult) -> bool:
    kv = r.profile.kernel if r.profile is not None else KernelVersion.parse(r.kernel)
    return not kv.at_least(5, 3)


# -- rules: each yields (object name, level-or-None for default, message) for one kernel ----

def _section_rules(r: LayoutResult, firmware: set):
    pre = _pre53(r)
    ns_by = {n.name: n for n in r.namespaces}
    for sec in r.sections:
        for owner in sec.owners:
            n = ns_by.get(owner)
            if n is None:
                continue
            others = [o for o in sec.owners if o != owner]
            ram = [o for o in others if o == "System RAM"]
            pmem = [o for o in others if o not in firmware and o != n.region]
            where = f"section {sec.nr:#x} ({sec.start:#x})"
            cost = _legacy_cost(n)
            for kind, who in (("section-shared-ram", ram), ("section-shared-pmem", pmem)):
                if not who:
                    continue
                if pre and cost:
                    yield kind, owner, None, f"{owner} shares {where} with {', '.join(who)}: {cost}"
                elif pre:
                    yield kind, owner, None, f"{owner} shares {where} with {', '.join(who)} (whole-section mapping)"
                else:
                    yield kind, owner, "info", (f"{owner} shares {where} with {', '.join(who)}: "
                                                "harmless with 2 MiB sub-sections")
            if sec.collision == "subsection":
                mine = [run for run in sec.subsections if run.owner == owner]
                for run in sec.subsections:
                    if run.owner == owner or run.owner in (n.region,):
                        continue
                    for m in mine:
                        if run.first < m.first + m.count and m.first < run.first + run.count:
                            idx = max(run.first, m.first)
                            yield ("subsection-shared", owner, None,
                                   f"{owner} and {run.owner} both own sub-section {idx} of {where}")
                            break


def _legacy_cost(n: NamespaceResult) -> str:
    if n.status == "failed" and n.error:
        return f"fails ({n.error.message})"
    ib = n.info_block or {}
    parts = []
    if ib.get("start_pad"):
        parts.append(f"start_pad {short_size(ib['start_pad'])}")
    if ib.get("end_trunc"):
        parts.append(f"end_trunc {short_size(ib['end_trunc'])}")
    return "padded: " + ", ".join(parts) if parts else ""


# the rule each refusal/failure cause raises (chosen by cause, never by message text);
# every other ndctl cause is ndctl-refuses, every other kernel cause kernel-refuses
_CAUSE_RULES: Dict[Cause, str] = {
    Cause.REGION_ALIGN_SIZE: "region-align-size",
    Cause.INTERLEAVE_SIZE: "interleave-size",
    Cause.UNSUPPORTED_ALIGN: "unsupported-align",
    Cause.ALIGN_NOT_SUPPORTED_FOR_MODE: "unsupported-align",
    Cause.TOO_SMALL: "too-small",
    Cause.CLAIM_TOO_SMALL: "too-small",
    Cause.BTT_TOO_SMALL: "too-small",
    Cause.COMPAT_MISALIGNED: "compat-misaligned",
}


def rule_for(err: NamespaceError) -> str:
    """The lint rule a namespace's refusal or failure raises."""
    rule = _CAUSE_RULES.get(err.cause)
    if rule is not None:
        return rule
    return "ndctl-refuses" if err.origin == "ndctl" else "kernel-refuses"


def _namespace_rules(r: LayoutResult, opts: LintOptions, ram_total: int):
    compat = r.arch_info.compat_align
    for n in r.namespaces:
        fixes = f" — fix: {'; '.join(n.suggestions)}" if n.suggestions else ""
        if n.error is not None:
            msg = n.error.message
            rule = rule_for(n.error)
            if n.error.origin == "ndctl":
                yield rule, n.name, None, f"{n.name}: ndctl refuses: {msg}{fixes}"
            else:
                said = msg if msg.startswith(n.name) else f"{n.name}: {msg}"
                lead = "the kernel refuses " if rule == "kernel-refuses" else ""
                yield rule, n.name, None, f"{lead}{said}{fixes}"
            continue
        if n.status != "enabled":
            continue
        ib = n.info_block or {}
        kept = n.stored_info_block is not None and n.stored_info_block.get("written_by") != r.kernel
        if ib.get("end_trunc") and not _pre53(r) and not kept:   # a kept block: legacy-padding below
            yield ("kernel-refuses", n.name, "warning",
                   f"{n.name}: the kernel truncates its end by {short_size(ib['end_trunc'])} "
                   f"(end not aligned to {short_size(max(n.align, compat or 0))})")
        lost = sum(n.lost.values())
        if n.size and lost / n.size > opts.max_loss:
            causes = ", ".join(f"{k.replace('_', ' ')} {short_size(v)}" for k, v in n.lost.items() if v)
            yield ("capacity-loss", n.name, None,
                   f"{n.name} loses {short_size(lost)} ({100 * lost / n.size:.1f} % > "
                   f"{100 * opts.max_loss:g} %): {causes}")
        if n.memmap_ram_bytes and ram_total and n.memmap_ram_bytes > opts.max_memmap_ram * ram_total:
            yield ("memmap-ram", n.name, None,
                   f"{n.name} (map=mem) needs {short_size(n.memmap_ram_bytes)} of DRAM for its memmap, "
                   f"{100 * n.memmap_ram_bytes / ram_total:.1f} % of System RAM "
                   f"(> {100 * opts.max_memmap_ram:g} %); map: dev keeps it on pmem")
        if n.kmem is not None:
            k = n.kmem
            if k.cause is not None:      # kmem-too-small / -no-capacity / -unsupported-kernel
                yield "kmem-no-memory", n.name, None, f"{n.name}: kmem onlines nothing: {k.error}"
            else:
                dax = n.size - ib.get("start_pad", 0) - ib.get("dataoff", 0) - ib.get("end_trunc", 0)
                unused = dax - k.online_bytes
                if unused > 0:
                    yield ("kmem-partial", n.name, None,
                           f"{n.name}: kmem onlines {k.blocks} × {short_size(k.memory_block_size)} = "
                           f"{short_size(k.online_bytes)}; {short_size(unused)} of the dax range stays unused")
        sb = n.stored_info_block
        if sb is not None and n.status == "enabled":
            g = max(sb["align"] or 0, compat or 0)
            if _pre53(r):
                # ≤5.2 maps whole sections: the padded range must stay section-aligned
                g = max(g, r.arch_info.section_size)
            if sb["start_pad"] or sb["end_trunc"]:
                if not _pre53(r):
                    yield ("legacy-padding", n.name, None,
                           f"{n.name}: its info block keeps start_pad {short_size(sb['start_pad'])}, end_trunc "
                           f"{short_size(sb['end_trunc'])} (written by Linux {sb['written_by'] or '≤5.2'}) under "
                           f"Linux {r.kernel}: the usable size stays {short_size(n.usable_size or 0)}, and only "
                           f"firmware moves by multiples of {short_size(g)} keep it valid")
            elif g > (compat or 2 << 20):   # beyond the 2 MiB sub-section
                yield ("move-granule", n.name, None,
                       f"{n.name}: its info block (align {short_size(sb['align'])}) validates only at starts "
                       f"that differ from {n.start:#x} by a multiple of {short_size(g)}: a firmware move by "
                       f"anything else disables it (\"bad offset … dax disabled\")")
        if _pre53(r) and (ib.get("start_pad") or ib.get("end_trunc")):
            step = max(r.arch_info.section_size, n.align)
            yield ("legacy-padding", n.name, None,
                   f"{n.name}: Linux {r.kernel} writes start_pad {short_size(ib.get('start_pad', 0))}, "
                   f"end_trunc {short_size(ib.get('end_trunc', 0))} into the info block: it validates only "
                   f"while the range stays put; a firmware move by anything but a multiple of "
                   f"{short_size(step)} breaks it (\"bad offset\" / \"resource start misaligned\")")


# -- the runner ---------------------------------------------------------------------------

def lint_platform(platform: Platform, path: str, locate: Locate, lines: Sequence[str],
                  opts: LintOptions, results: Optional[List[LayoutResult]] = None) -> List[Finding]:
    from .engine.layout import run_engine
    kernels = kernels_for(platform, opts)
    if results is None:
        # the fixes are layout's (verified by the one function that computes them)
        results = [run_engine(platform, platform.kernel_for(k)) for k in kernels]
    firmware = {m.owner_name for m in platform.memory}
    ram_total = sum(m.size for m in platform.memory if m.type == "system-ram")
    levels = dict(platform.lint.rules) if platform.lint else {}
    levels.update(opts.rules)
    grouped: Dict[Tuple[str, str, str, str], List[str]] = {}
    order: List[Tuple[str, str, str, str]] = []
    for k, res in zip(kernels, results):
        raw = list(_section_rules(res, firmware)) + list(_namespace_rules(res, opts, ram_total))
        for rule, name, level, message in raw:
            configured = levels.get(rule)
            if configured == "off":
                continue
            # an informational note stays one; otherwise the configured level wins
            lvl = "info" if level == "info" else (configured or level or RULES[rule].level)
            key = (rule, name, lvl, message)
            if key not in grouped:
                grouped[key] = []
                order.append(key)
            if k not in grouped[key]:
                grouped[key].append(k)
    findings: List[Finding] = []
    for key in order:
        rule, name, lvl, message = key
        loc = _ns_loc(platform, name)
        line, col = locate(loc)
        if _disabled(lines, line, rule):
            continue
        fp = hashlib.sha256(f"{rule}\0{_fmt_loc(loc)}\0{name}".encode()).hexdigest()[:32]
        cited = f"{message} (ref: {RULES[rule].source})"
        findings.append(Finding(path, line, col, rule, lvl, cited, grouped[key], _fmt_loc(loc), name, fp))
    findings.sort(key=lambda f: (f.line, f.column, -_RANK[f.level], f.rule))
    return findings


def _disabled(lines: Sequence[str], line: int, rule: str) -> bool:
    for ln in (line, line - 1):
        if 1 <= ln <= len(lines):
            m = _DISABLE_RE.search(lines[ln - 1])
            if m and rule in {x.strip() for x in m.group(1).split(",")}:
                return True
    return False


def parse_rule_option(text: str) -> Tuple[str, str]:
    """"ID=LEVEL" from --rule; raises ValueError with a one-line reason."""
    if "=" not in text:
        raise ValueError(f"{text!r}: expected ID=LEVEL")
    rid, lvl = (x.strip() for x in text.split("=", 1))
    if rid not in RULES:
        import difflib
        near = difflib.get_close_matches(rid, list(RULES), n=1)
        raise ValueError(f"unknown rule {rid!r}" + (f"; did you mean {near[0]!r}?" if near else ""))
    if lvl not in LEVELS:
        raise ValueError(f"level {lvl!r} is not one of {', '.join(LEVELS)}")
    return rid, lvl


def failing(findings: Iterable[Finding], strict: bool) -> bool:
    bar = _RANK["warning"] if strict else _RANK["error"]
    return any(_RANK[f.level] >= bar for f in findings)
