"""Lint output formats: text, parsable, github, sarif (2.1.0), junit, json."""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Dict, List, Sequence
from xml.sax.saxutils import escape, quoteattr

from ..lint import RULES, Finding

if TYPE_CHECKING:
    from ..lint_run import LintRun

_LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _kernels(f: Finding) -> str:
    return f" [{', '.join(f.kernels)}]" if f.kernels else ""


def render_parsable(findings: Sequence[Finding]) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column}: [{f.level}] {f.message}{_kernels(f)} ({f.rule})\n"
                   for f in findings)


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def render_github(findings: Sequence[Finding]) -> str:
    cmd = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for f in findings:
        props = (f"file={_gh_escape(f.path, True)},line={f.line},col={f.column},"
                 f"title={_gh_escape(f.rule + ': ' + RULES[f.rule].title, True)}")
        out.append(f"::{cmd[f.level]} {props}::{_gh_escape(f.message + _kernels(f))}\n")
    return "".join(out)


def render_json(findings: Sequence[Finding], summary: Dict[str, int], skipped: Sequence[str] = ()) -> str:
    """``{"findings": [...], "summary": {...}, "skipped": [paths not linted]}``."""
    return json.dumps({"findings": [f.to_dict() for f in findings], "summary": summary,
                       "skipped": list(skipped)}, indent=2) + "\n"


def _uri(path: str) -> str:
    if path == "<stdin>":
        return "stdin"
    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = path
    return rel.replace(os.sep, "/")


def render_sarif(findings: Sequence[Finding], version: str) -> str:
    rule_ids = list(RULES)
    rules = [{"id": r.id, "name": r.id, "shortDescription": {"text": r.title},
              "fullDescription": {"text": r.help},
              "help": {"text": f"{r.help} (source: {r.source})",
                       "markdown": f"**{r.title}**\n\n{r.help}\n\nSource: {r.source}"},
              "defaultConfiguration": {"level": {"info": "note"}.get(r.level, r.level)},
              "helpUri": "https://github.com/pmemplan/pmemplan#lint-rules"}
             for r in RULES.values()]
    results = []
    for f in findings:
        results.append({
            "ruleId": f.rule, "ruleIndex": rule_ids.index(f.rule),
            "level": {"info": "note"}.get(f.level, f.level),
            "message": {"text": f.message + _kernels(f)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path)},
                "region": {"startLine": f.line, "startColumn": f.column}},
                "logicalLocations": [{"name": f.name, "fullyQualifiedName": f.obj}]}],
            "partialFingerprints": {"pmemplanObject/v1": f.fingerprint},
            "properties": {"kernels": list(f.kernels)},
        })
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "pmemplan", "version": version,
                                         "informationUri": "https://github.com/pmemplan/pmemplan",
                                         "rules": rules}},
                     "columnKind": "unicodeCodePoints",
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def _fails(f: Finding, strict: bool) -> bool:
    """The exit-status rule of ``pmemplan lint``: errors fail, warnings only with --strict."""
    return f.level == "error" or (strict and f.level == "warning")


def render_junit(findings: Sequence[Finding], files: Sequence[str], strict: bool = False,
                 skipped: Sequence[str] = ()) -> str:
    """A testsuite per file, a testcase per object and rule.

    The counts follow the exit status: an invalid input is an ``<error>`` (exit 2), a
    finding that fails the run a ``<failure>`` (errors; warnings with ``strict``), and
    other findings pass with their text in ``<system-out>``; files skipped by a
    directory walk are ``<skipped>`` testcases.  So ``errors + failures > 0`` exactly
    when ``pmemplan lint`` exits non-zero.
    """
    by_file: Dict[str, List[Finding]] = {p: [] for p in files}
    for f in findings:
        by_file.setdefault(f.path, []).append(f)
    suites = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path, fs in by_file.items():
        cases = []
        counts = {"tests": max(1, len(fs)), "failures": 0, "errors": 0, "skipped": 0}
        for f in fs:
            name = quoteattr(f"{f.obj} {f.rule}")
            body = f"{f.path}:{f.line}:{f.column}: {f.message}{_kernels(f)}"
            if f.rule == "invalid-input":
                counts["errors"] += 1
                inner = f'      <error type="invalid-input" message={quoteattr(f.message)}>{escape(body)}</error>\n'
            elif _fails(f, strict):
                counts["failures"] += 1
                inner = f'      <failure type="{f.level}" message={quoteattr(f.message)}>{escape(body)}</failure>\n'
            else:
                inner = f'      <system-out>{escape(f"[{f.level}] " + body)}</system-out>\n'
            cases.append(f'    <testcase classname={quoteattr(path)} name={name}>\n{inner}    </testcase>\n')
        if not fs:
            cases.append(f'    <testcase classname={quoteattr(path)} name="platform"/>\n')
        suites.append((path, counts, cases))
    for path in skipped:
        counts = {"tests": 1, "failures": 0, "errors": 0, "skipped": 1}
        cases = [f'    <testcase classname={quoteattr(path)} name="platform">\n'
                 f'      <skipped message="not a platform description"/>\n    </testcase>\n']
        suites.append((path, counts, cases))
    for _, counts, _ in suites:
        for k in totals:
            totals[k] += counts[k]

    def attrs(c: Dict[str, int]) -> str:
        return " ".join(f'{k}="{c[k]}"' for k in ("tests", "failures", "errors", "skipped"))

    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<testsuites name="pmemplan lint" {attrs(totals)}>\n']
    for path, counts, cases in suites:
        out.append(f'  <testsuite name={quoteattr(path)} {attrs(counts)}>\n')
        out.extend(cases)
        out.append("  </testsuite>\n")
    out.append("</testsuites>\n")
    return "".join(out)


def render_run(run: "LintRun", fmt: str, strict: bool = False, color: str = "auto", to_file: bool = False,
               verbose: bool = False) -> str:
    """A :class:`~pmemplan.lint_run.LintRun` in ``fmt`` (text, parsable, github, sarif,
    junit, json), as ``pmemplan lint`` prints it."""
    if fmt == "parsable":
        return render_parsable(run.findings)
    if fmt == "github":
        return render_github(run.findings)
    if fmt == "sarif":
        from .. import __version__
        return render_sarif(run.findings, __version__)
    if fmt == "junit":
        return render_junit(run.findings, run.files, strict=strict, skipped=run.skipped)
    if fmt == "json":
        return render_json(run.findings, run.summary(), run.skipped)
    if fmt != "text":
        raise ValueError(f"unknown lint format {fmt!r}")
    from .text import color_system
    use = color_system(color, to_file) is not None and os.environ.get("PRE_COMMIT") != "1"
    return render_text(run.findings, run.summary(), use, run.skipped if verbose else ())


def render_text(findings: Sequence[Finding], summary: Dict[str, int], color: bool,
                skipped: Sequence[str] = ()) -> str:
    """Findings grouped by file, then (with ``skipped``: ``pmemplan lint -v``) the files a
    walk skipped, then the summary line."""
    import io
    from rich.console import Console
    from rich.markup import escape as esc
    buf = io.StringIO()
    con = Console(file=buf, force_terminal=color, no_color=not color, color_system="truecolor" if color else None,
                  width=140, highlight=False, emoji=False)
    current = None
    for f in findings:
        if f.path != current:
            current = f.path
            con.print(f"[bold]{esc(f.path)}[/]", soft_wrap=True)
        con.print(f"  {f.line}:{f.column} [{_LEVEL_STYLE[f.level]}]{f.level}[/] {esc(f.message + _kernels(f))} "
                  f"[dim]({f.rule})[/]", soft_wrap=True, markup=True)
    for path in skipped:
        con.print(f"[dim]skipped {esc(path)}: not a platform description[/]", soft_wrap=True)
    con.print(f"{summary['files']} file(s) linted, {summary['skipped']} skipped, {summary['invalid']} invalid: "
              f"{summary['error']} error(s), {summary['warning']} warning(s), {summary['info']} note(s)",
              soft_wrap=True)
    return buf.getvalue()
