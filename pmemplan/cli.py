"""The ``pmemplan`` command line: a thin layer over loader → engine → renderers.

Heavy modules (rich, the engine, the platform records) are imported inside the commands so
``pmemplan --help`` and the JSON path stay quick.
"""
from __future__ import annotations

import gc
import os
import sys
from typing import List, Optional, Tuple

import click

EXIT_OK, EXIT_CHECK, EXIT_INPUT = 0, 1, 2


def _fail_input(err: Exception) -> "NoReturn":  # type: ignore[name-defined]
    click.echo(f"pmemplan: {err}", err=True)
    sys.exit(EXIT_INPUT)


_TOO_DEEP = "too deeply nested to process (Python's recursion limit)"


def _too_deep(path: str) -> "NoReturn":  # type: ignore[name-defined]
    """A RecursionError anywhere in loading, the engine or rendering: bad input, not a bug
    report -- one ``file:1:1: message`` line and exit 2 (the loader bounds nesting, so
    this is a last line of defence)."""
    from .errors import InputError
    _fail_input(InputError(_TOO_DEEP, "<stdin>" if path == "-" else path, 1, 1))


def _load(path: str):
    from .errors import InputError
    from .loader import load_platform
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
            return load_platform(data, name="<stdin>")
        return load_platform(path)
    except InputError as e:
        _fail_input(e)


def _check_kernels(kernels: Tuple[str, ...], legacy: str) -> Tuple[str, ...]:
    """kversion.validate_kernels(): one line and exit 2 on a bad version; repeats dropped."""
    from .errors import ValueParseError
    from .kversion import validate_kernels
    try:
        return tuple(validate_kernels(kernels, legacy or None)[0])
    except ValueParseError as e:
        _fail_input(e)


def _write(text: str, output: Optional[str]) -> None:
    if output is None or output == "-":
        click.echo(text, nl=False, color=True)  # the renderer already decided on colour
        return
    if os.path.exists(output) and not os.path.isfile(output):
        with open(output, "w", encoding="utf-8") as f:   # a device or FIFO: write through
            f.write(text)
        return
    tmp = os.path.join(os.path.dirname(os.path.abspath(output)), f".{os.path.basename(output)}.tmp{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, output)
    except OSError as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        click.echo(f"pmemplan: {output}: {e.strerror}", err=True)
        sys.exit(EXIT_INPUT)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pmemplan")
def cli() -> None:
    """Plan Linux pmem namespaces: what a kernel and ndctl will do with a platform."""


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for scripts")
@click.option("--kernel", "kernels", multiple=True, metavar="V",
              help="kernel version to plan for (overrides the file); repeat for several")
@click.option("--legacy", default="5.2", show_default=True, metavar="V",
              help="pre-sub-section kernel to compare padding with ('' to skip)")
@click.option("-u", "--human", is_flag=True, help="human sizes in JSON, as ndctl list -u")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="write the report to FILE instead of stdout")
@click.option("--check", is_flag=True, help="exit 1 when any namespace fails or is refused")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="colour the text report (NO_COLOR/FORCE_COLOR honoured; the flag wins)")
@click.option("--svg", type=click.Path(dir_okay=False), default=None, help="also save the report as an SVG picture")
@click.option("--html", type=click.Path(dir_okay=False), default=None, help="also save the report as HTML")
def layout(file: str, fmt: str, kernels: Tuple[str, ...], legacy: str, human: bool,
           output: Optional[str], check: bool, color: str, svg: Optional[str], html: Optional[str]) -> None:
    """Show where every namespace of FILE lands and what the kernel does with it.

    FILE is a platform description (format 1); '-' reads standard input.
    """
    kernels = _check_kernels(kernels, legacy)
    try:
        results = _layout(file, fmt, kernels, legacy, human, output, color, svg, html)
    except RecursionError:
        _too_deep(file)
    if check and any(n.status in ("failed", "refused") for r in results for n in r.namespaces):
        sys.exit(EXIT_CHECK)


def _layout(file: str, fmt: str, kernels: Tuple[str, ...], legacy: str, human: bool,
            output: Optional[str], color: str, svg: Optional[str], html: Optional[str]) -> list:
    platform = _load(file)
    from .engine import compute_layout
    results = [compute_layout(platform, k, legacy or None) for k in (kernels or (None,))]
    if fmt == "json":
        from .render.json_out import render_json
        text = render_json(results if len(kernels) > 1 else results[0], human=human)
    else:
        from .render.text import render_text
        text = render_text(results, color=color, to_file=output not in (None, "-"))
    _write(text, output)
    if svg or html:
        from .render.text import save_picture
        try:
            save_picture(results, svg=svg, html=html)
        except OSError as e:
            click.echo(f"pmemplan: {e.filename}: {e.strerror}", err=True)
            sys.exit(EXIT_INPUT)
    return results


_FORMAT_RE = None


def _is_platform_text(data: bytes) -> bool:
    """A top-level ``format:`` key (files found by walking a directory must have one)."""
    import re
    global _FORMAT_RE
    if _FORMAT_RE is None:
        _FORMAT_RE = re.compile(rb"^(\xef\xbb\xbf)?[\"']?format[\"']?\s*:", re.M)
    return bool(_FORMAT_RE.search(data))


def _lint_inputs(paths: Tuple[str, ...]):
    """(name, bytes or None, error) for each input; directories walked for *.yaml/*.yml."""
    skipped = 0
    out = []
    for p in paths:
        if p == "-":
            out.append(("<stdin>", sys.stdin.buffer.read(), None))
        elif os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for fn in sorted(files):
                    if not fn.endswith((".yaml", ".yml")):
                        continue
                    full = os.path.join(root, fn)
                    try:
                        with open(full, "rb") as f:
                            data = f.read()
                    except OSError as e:
                        out.append((full, None, e.strerror))
                        continue
                    if not _is_platform_text(data):
                        skipped += 1
                        continue
                    out.append((full, data, None))
        else:
            out.append((p, None, None))   # read (and checked) by the loader
    return out, skipped


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--kernel", "kernels", multiple=True, metavar="V",
              help="kernel to check against (repeat); wins over the file's targets and kernel")
@click.option("--format", "fmt", type=click.Choice(["text", "parsable", "github", "sarif", "junit", "json"]),
              default=None, help="output format (default text; github under GITHUB_ACTIONS=true)")
@click.option("--rule", "rule_opts", multiple=True, metavar="ID=LEVEL", help="set a rule's level (off|info|warning|error)")
@click.option("--strict", is_flag=True, help="warnings fail too (exit 1)")
@click.option("--max-loss", type=click.FloatRange(0, 100), default=2.0, show_default=True,
              help="capacity-loss threshold, percent of the namespace")
@click.option("--max-memmap-ram", type=click.FloatRange(0, 100), default=10.0, show_default=True,
              help="memmap-ram threshold, percent of System RAM")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None)
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
def lint(paths: Tuple[str, ...], kernels: Tuple[str, ...], fmt: Optional[str], rule_opts: Tuple[str, ...],
         strict: bool, max_loss: float, max_memmap_ram: float, output: Optional[str], color: str) -> None:
    """Check platform files (or directories of them) for namespaces that would break.

    Exit status: 2 if an input is unreadable or invalid, else 1 if a finding is an error
    (or a warning with --strict), else 0.
    """
    kernels = _check_kernels(kernels, "")
    from .errors import InputError
    from .lint import Finding, LintOptions, failing, lint_platform, parse_rule_option
    from .loader import locate_in
    rules = {}
    for text in rule_opts:
        try:
            rid, lvl = parse_rule_option(text)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--rule") from None
        rules[rid] = lvl
    opts = LintOptions(kernels=kernels, rules=rules, max_loss=max_loss / 100, max_memmap_ram=max_memmap_ram / 100)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    inputs, skipped = _lint_inputs(paths)
    findings: List = []
    names: List[str] = []
    invalid = 0
    for name, data, err in inputs:
        names.append(name)
        try:
            if err is not None:
                raise InputError(err, name)
            if data is None:
                with open(name, "rb") as f:  # explicit file: strict, but the loader gives the message
                    data = f.read()
            platform, locate = locate_in(data, name)
            lines = data.decode("utf-8", "replace").splitlines()
            found = lint_platform(platform, name, locate, lines, opts)
        except RecursionError:
            invalid += 1
            click.echo(f"pmemplan: {InputError(_TOO_DEEP, name, 1, 1)}", err=True)
            findings.append(Finding(name, 1, 1, "invalid-input", "error", _TOO_DEEP, [], "platform", name, ""))
            continue
        except InputError as e:
            invalid += 1
            click.echo(f"pmemplan: {e}", err=True)
            findings.append(Finding(name, e.line or 1, e.column or 1, "invalid-input", "error", e.message, [],
                                    "platform", name, ""))
            continue
        except OSError as e:
            invalid += 1
            msg = f"{name}: {e.strerror or e}"
            click.echo(f"pmemplan: {msg}", err=True)
            findings.append(Finding(name, 1, 1, "invalid-input", "error", e.strerror or str(e), [], "platform", name, ""))
            continue
        findings.extend(found)
    summary = {"files": len(names), "skipped": skipped, "invalid": invalid,
               **{lvl: sum(f.level == lvl for f in findings) for lvl in ("error", "warning", "info")}}
    from .render import lint_out
    if fmt == "parsable":
        text = lint_out.render_parsable(findings)
    elif fmt == "github":
        text = lint_out.render_github(findings)
    elif fmt == "sarif":
        from . import __version__
        text = lint_out.render_sarif(findings, __version__)
    elif fmt == "junit":
        text = lint_out.render_junit(findings, names)
    elif fmt == "json":
        text = lint_out.render_json(findings, summary)
    else:
        from .render.text import color_system
        use = color_system(color, output not in (None, "-")) is not None and os.environ.get("PRE_COMMIT") != "1"
        text = lint_out.render_text(findings, summary, use)
    _write(text, output)
    if invalid:
        sys.exit(EXIT_INPUT)
    if failing(findings, strict):
        sys.exit(EXIT_CHECK)


@cli.command()
@click.option("--result", is_flag=True, help="the schema of the layout JSON result instead")
def schema(result: bool) -> None:
    """Print the JSON Schema of the platform format (for editors and check-jsonschema)."""
    import json
    from .schema import platform_json_schema, result_json_schema
    click.echo(json.dumps(result_json_schema() if result else platform_json_schema(), indent=2))


class _LazyCommand(click.Command):
    """A command whose module is imported only when it runs or shows its help."""

    def __init__(self, name: str, target: str, help: str) -> None:
        super().__init__(name, help=help, add_help_option=False, context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
        self._target = target

    def _real(self) -> click.Command:
        import importlib
        mod, attr = self._target.split(":")
        return getattr(importlib.import_module(mod), attr)

    def main(self, *a, **kw):  # pragma: no cover - click calls invoke via the group
        return self._real().main(*a, **kw)

    def invoke(self, ctx: click.Context):
        real = self._real()
        args = ctx.args
        sub = real.make_context(self.name, list(args), parent=ctx.parent)
        with sub:
            return real.invoke(sub)


cli.add_command(_LazyCommand("import", "pmemplan.commands.import_cmd:import_command",
                             "Write a platform file from /proc/iomem, ndctl/daxctl list or a live system."), "import")
cli.add_command(_LazyCommand("explain", "pmemplan.commands.explain_cmd:explain_command",
                             "Explain who owns an address, its section, pfn_valid and struct page."), "explain")


def main(argv: Optional[List[str]] = None) -> None:
    # One short-lived process: pmemplan's objects (YAML nodes, platform records, results)
    # form no reference cycles, so reference counting frees them and the cyclic GC would
    # only rescan them (on 10 000 namespaces, every re-enable costs a pass over all of
    # them).  The library pauses it itself around its own phases.
    gc.disable()
    try:
        cli.main(args=argv, prog_name="pmemplan", standalone_mode=True)
    except BrokenPipeError:  # pragma: no cover - e.g. `pmemplan layout … | head`
        sys.stderr.close()
        sys.exit(EXIT_OK)
