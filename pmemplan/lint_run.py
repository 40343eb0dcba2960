"""Lint files and directories: the library entry point behind ``pmemplan lint``.

:func:`lint_paths` walks directories, decides which YAML files are platform
descriptions, turns unreadable or invalid inputs into ``invalid-input`` findings (with
a location and a fingerprint, like every other finding), runs the rules of
:mod:`pmemplan.lint` on the rest and returns a :class:`LintRun`: the findings, the files
linted and skipped, and the exit status the command line uses::

    from pmemplan import lint_paths
    run = lint_paths(["configs/"], kernels=["5.10", "6.1"])
    for f in run.findings:
        print(f.path, f.line, f.rule, f.message)
    raise SystemExit(run.exit_status(strict=False))

Which YAML files are platform descriptions
------------------------------------------
Files named explicitly are linted as platform descriptions (a file that is not one is
an ``invalid-input`` error), unless ``platforms_only`` is set (the pre-commit hook sets
it).  Files found by walking a directory, and every file under ``platforms_only``, are
linted when they look like one, and otherwise skipped and counted:

* the text has a top-level ``format:`` key and a top-level ``regions:`` or ``memory:``
  key (keys at the start of a line, as block-style YAML writes them), or
* it carries a ``# pmemplan`` comment (e.g. ``# pmemplan: platform``, or any
  ``# pmemplan: disable=…``), for a platform written in another style.

Only ``*.yaml``/``*.yml`` files are considered in a walk; hidden folders are not entered.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from .lint import _DISABLE_RE, RULES, Finding, LintOptions, failing, lint_platform

__all__ = ["LintRun", "lint_paths", "is_platform_text", "unknown_rule_findings", "EXIT_OK", "EXIT_CHECK",
           "EXIT_INPUT"]

EXIT_OK, EXIT_CHECK, EXIT_INPUT = 0, 1, 2

_FORMAT_RE = re.compile(rb"^(?:\xef\xbb\xbf)?[\"']?format[\"']?[ \t]*:", re.M)
_BODY_RE = re.compile(rb"^[\"']?(?:regions|memory)[\"']?[ \t]*:", re.M)
_MARKER_RE = re.compile(rb"(?:^|[ \t])#[ \t]*pmemplan\b", re.M)


def is_platform_text(data: bytes) -> bool:
    """Whether a YAML file found by walking is a platform description (see the module doc)."""
    if _MARKER_RE.search(data):
        return True
    return bool(_FORMAT_RE.search(data)) and bool(_BODY_RE.search(data))


@dataclass
class LintRun:
    """What one lint run found."""
    findings: List[Finding] = field(default_factory=list)
    files: List[str] = field(default_factory=list)        # linted, in order (invalid ones included)
    skipped: List[str] = field(default_factory=list)      # found but not platform descriptions
    invalid: List[str] = field(default_factory=list)      # unreadable or not a valid platform

    def summary(self) -> Dict[str, int]:
        return {"files": len(self.files), "skipped": len(self.skipped), "invalid": len(self.invalid),
                **{lvl: sum(f.level == lvl for f in self.findings) for lvl in ("error", "warning", "info")}}

    def failing(self, strict: bool = False) -> bool:
        """A finding fails the run: an error, or a warning with ``strict``."""
        return failing(self.findings, strict)

    def exit_status(self, strict: bool = False) -> int:
        """2 if an input is unreadable or invalid, else 1 if :meth:`failing`, else 0."""
        if self.invalid:
            return EXIT_INPUT
        return EXIT_CHECK if self.failing(strict) else EXIT_OK

    def input_errors(self) -> List[Finding]:
        return [f for f in self.findings if f.rule == "invalid-input"]


def _fingerprint(rule: str, obj: str, what: str) -> str:
    return hashlib.sha256(f"{rule}\0{obj}\0{what}".encode()).hexdigest()[:32]


def _invalid(path: str, line: int, column: int, message: str, obj: str = "platform") -> Finding:
    # the fingerprint ignores the path (SARIF tools pair it with the location) and the
    # line, so that a finding keeps its identity when lines move
    return Finding(path, line, column, "invalid-input", "error", message, [], obj, path,
                   _fingerprint("invalid-input", obj, message))


def _near(rid: str) -> str:
    import difflib
    near = difflib.get_close_matches(rid, list(RULES), n=1)
    return f"; did you mean {near[0]!r}?" if near else ""


def unknown_rule_findings(path: str, lines: Sequence[str], file_rules: Iterable[str] = (),
                          locate: Optional[Callable[[Tuple], Tuple[int, int]]] = None) -> List[Finding]:
    """``invalid-input`` findings for rule ids pmemplan does not know: in
    ``# pmemplan: disable=`` comments, and in the file's ``lint: {rules: …}``."""
    out: List[Finding] = []
    for i, text in enumerate(lines, 1):
        m = _DISABLE_RE.search(text)
        if not m:
            continue
        pos = m.start(1)
        for part in m.group(1).split(","):
            rid = part.strip()
            col = pos + (len(part) - len(part.lstrip())) + 1
            pos += len(part) + 1
            if rid and rid not in RULES:
                out.append(_invalid(path, i, col, f"unknown rule {rid!r} in '# pmemplan: disable='{_near(rid)}",
                                    f"line {i}"))
    for rid in file_rules:
        if rid not in RULES:
            line, col = locate(("lint", "rules", rid)) if locate else (1, 1)
            out.append(_invalid(path, line, col, f"lint.rules: unknown rule {rid!r}{_near(rid)}", "lint.rules"))
    return out


def _walk(root: str) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for fn in sorted(files):
            if fn.endswith((".yaml", ".yml")):
                yield os.path.join(folder, fn)


def _read(path: str) -> Tuple[Optional[bytes], Optional[str]]:
    try:
        with open(path, "rb") as f:
            return f.read(), None
    except OSError as e:
        return None, e.strerror or str(e)


def lint_paths(paths: Sequence[str], *, kernels: Sequence[str] = (), rules: Optional[Mapping[str, str]] = None,
               max_loss: float = 0.02, max_memmap_ram: float = 0.10, platforms_only: bool = False,
               stdin: Optional[Callable[[], bytes]] = None) -> LintRun:
    """Lint ``paths`` (files, directories walked for YAML files, ``'-'`` for ``stdin()``).

    ``kernels`` win over each file's ``targets``/``kernel``; ``rules`` (rule id → level)
    over each file's ``lint.rules``; ``max_loss``/``max_memmap_ram`` are fractions.
    Raises ValueError for an unknown rule id or level in ``rules`` or a bad kernel.
    """
    from .errors import InputError
    from .kversion import validate_kernels
    from .lint import LEVELS
    from .loader import locate_in
    kernels = validate_kernels(kernels)[0]   # ValueError: not a kernel pmemplan plans for
    for rid, lvl in (rules or {}).items():
        if rid not in RULES:
            raise ValueError(f"unknown rule {rid!r}{_near(rid)}")
        if lvl not in LEVELS:
            raise ValueError(f"level {lvl!r} is not one of {', '.join(LEVELS)}")
    opts = LintOptions(kernels=tuple(kernels), rules=dict(rules or {}), max_loss=max_loss,
                       max_memmap_ram=max_memmap_ram)
    run = LintRun()

    def one(name: str, data: Optional[bytes], err: Optional[str]) -> None:
        run.files.append(name)
        if data is None:
            run.invalid.append(name)
            run.findings.append(_invalid(name, 1, 1, err or "cannot read"))
            return
        try:
            platform, locate = locate_in(data, name)
        except RecursionError:
            run.invalid.append(name)
            run.findings.append(_invalid(name, 1, 1, "too deeply nested to process (Python's recursion limit)"))
            return
        except InputError as e:
            run.invalid.append(name)
            run.findings.append(_invalid(name, e.line or 1, e.column or 1, e.message))
            return
        lines = data.decode("utf-8", "replace").splitlines()
        bad = unknown_rule_findings(name, lines, platform.lint.rules if platform.lint else (), locate)
        try:
            found = lint_platform(platform, name, locate, lines, opts)
        except RecursionError:   # a last line of defence: the loader bounds nesting
            run.invalid.append(name)
            run.findings.append(_invalid(name, 1, 1, "too deeply nested to process (Python's recursion limit)"))
            return
        if bad:   # the file is still linted, but the run exits 2
            run.invalid.append(name)
            found = sorted(bad + found, key=lambda f: (f.line, f.column))
        run.findings.extend(found)

    for p in paths:
        if p == "-":
            one("<stdin>", (stdin or sys.stdin.buffer.read)(), None)
        elif os.path.isdir(p):
            for full in _walk(p):
                data, err = _read(full)
                if data is not None and not is_platform_text(data):
                    run.skipped.append(full)
                else:
                    one(full, data, err)
        elif platforms_only:
            data, err = _read(p)
            if data is not None and not is_platform_text(data):
                run.skipped.append(p)
            else:
                one(p, data, err)
        else:
            one(p, *_read(p))
    return run
