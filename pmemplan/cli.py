"""The ``pmemplan`` command line: a thin layer over loader → engine → renderers.

Heavy modules (rich, the engine, the platform records) are imported inside the commands,
and ``import``/``explain`` live in their own modules loaded only when used (click's
lazy-group pattern), so ``pmemplan --help`` and the JSON path stay quick.  What the
commands share (the error exit, ``--kernel`` checks, the ``-o`` policy) is in
:mod:`pmemplan.commands._common`.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Optional, Tuple

import click

from .commands._common import (EXIT_CHECK, EXIT_INPUT, EXIT_OK, check_output, fail, force_option,
                               kernel_or_empty_callback, kernels_callback, output_option, too_deep,
                               write_output)

__all__ = ["cli", "main", "LazyGroup", "EXIT_OK", "EXIT_CHECK", "EXIT_INPUT"]


def _load(path: str):
    from .errors import InputError
    from .loader import load_platform
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
            return load_platform(data, name="<stdin>")
        return load_platform(path)
    except InputError as e:
        fail(str(e))


class LazyGroup(click.Group):
    """A group whose listed commands are imported from their modules only when used
    (click documentation, "Lazily Loading Subcommands")."""

    def __init__(self, *args: Any, lazy_subcommands: Optional[Dict[str, str]] = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lazy_subcommands = dict(lazy_subcommands or {})   # name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_subcommands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name in self.lazy_subcommands:
            return self._lazy_load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _lazy_load(self, cmd_name: str) -> click.Command:
        import importlib
        module, attr = self.lazy_subcommands[cmd_name].split(":")
        cmd = getattr(importlib.import_module(module), attr)
        if not isinstance(cmd, click.Command):   # pragma: no cover - a packaging mistake
            raise ValueError(f"lazy loading of {cmd_name} did not give a click command")
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             lazy_subcommands={"import": "pmemplan.commands.import_cmd:import_command",
                               "explain": "pmemplan.commands.explain_cmd:explain_command",
                               "plan": "pmemplan.commands.plan_cmd:plan_command",
                               "commands": "pmemplan.commands.plan_cmd:commands_command",
                               "diff": "pmemplan.commands.diff_cmd:diff_command"})
@click.version_option(package_name="pmemplan")
def cli() -> None:
    """Plan Linux pmem namespaces: what a kernel and ndctl will do with a platform."""


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for scripts")
@click.option("--kernel", "kernels", multiple=True, metavar="V", callback=kernels_callback,
              help="kernel version to plan for (overrides the file); repeat for several")
@click.option("--legacy", default="5.2", show_default=True, metavar="V", callback=kernel_or_empty_callback,
              help="pre-sub-section kernel to compare padding with ('' to skip)")
@click.option("-u", "--human", is_flag=True, help="human sizes in JSON, as ndctl list -u")
@output_option("write the report to FILE instead of stdout")
@force_option()
@click.option("--check", is_flag=True, help="exit 1 when any namespace fails or is refused")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="colour the text report (NO_COLOR/FORCE_COLOR honoured; the flag wins)")
@click.option("--svg", metavar="FILE", default=None, help="also save the report as an SVG picture")
@click.option("--html", metavar="FILE", default=None, help="also save the report as HTML")
def layout(file: str, fmt: str, kernels: Tuple[str, ...], legacy: str, human: bool,
           output: Optional[str], force: bool, check: bool, color: str, svg: Optional[str],
           html: Optional[str]) -> None:
    """Show where every namespace of FILE lands and what the kernel does with it.

    FILE is a platform description (format 1); '-' reads standard input.
    """
    for target, opt in ((output, "-o"), (svg, "--svg"), (html, "--html")):
        check_output(target, force, opt)
    try:
        results = _layout(file, fmt, kernels, legacy, human, output, force, color, svg, html)
    except RecursionError:
        too_deep(file)
    if check and any(n.status in ("failed", "refused") for r in results for n in r.namespaces):
        sys.exit(EXIT_CHECK)


def _layout(file: str, fmt: str, kernels: Tuple[str, ...], legacy: str, human: bool,
            output: Optional[str], force: bool, color: str, svg: Optional[str],
            html: Optional[str]) -> list:
    platform = _load(file)
    planned = ""
    if platform.is_intent:   # an intent (usable:, size: N% / rest): plan it first
        from .commands.plan_cmd import plan_intent
        concrete, planned = plan_intent(platform, kernels, file)
        if concrete is None:
            click.echo(planned, err=True, nl=False)
            sys.exit(EXIT_CHECK)
        platform = concrete
    from .engine import compute_layout
    results = [compute_layout(platform, k, legacy or None) for k in (kernels or (None,))]
    for res in results if planned else ():
        res.assumptions.insert(0, planned)
    if fmt == "json":
        from .render.json_out import render_json
        text = render_json(results if len(kernels) > 1 else results[0], human=human)
    else:
        from .render.text import render_text
        text = render_text(results, color=color, to_file=output not in (None, "-"))
    write_output(output, text, force)
    if svg or html:
        from .render.text import save_picture
        if svg:
            write_output(svg, lambda path: save_picture(results, svg=path), force, "--svg")
        if html:
            write_output(html, lambda path: save_picture(results, html=path), force, "--html")
    return results


def _rule_levels(rule_opts: Tuple[str, ...]) -> Dict[str, str]:
    from .lint import parse_rule_option
    rules = {}
    for text in rule_opts:
        try:
            rid, lvl = parse_rule_option(text)
        except ValueError as e:
            fail(f"--rule: {e}")
        rules[rid] = lvl
    return rules


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--kernel", "kernels", multiple=True, metavar="V", callback=kernels_callback,
              help="kernel to check against (repeat); wins over the file's targets and kernel")
@click.option("--format", "fmt", type=click.Choice(["text", "parsable", "github", "sarif", "junit", "json"]),
              default=None, help="output format (default text; github under GITHUB_ACTIONS=true)")
@click.option("--rule", "rule_opts", multiple=True, metavar="ID=LEVEL", help="set a rule's level (off|info|warning|error)")
@click.option("--strict", is_flag=True, help="warnings fail too (exit 1)")
@click.option("--max-loss", type=click.FloatRange(0, 100), default=2.0, show_default=True,
              help="capacity-loss threshold, percent of the namespace")
@click.option("--max-memmap-ram", type=click.FloatRange(0, 100), default=10.0, show_default=True,
              help="memmap-ram threshold, percent of System RAM")
@click.option("--platforms-only", is_flag=True,
              help="skip named files that are not platform descriptions, as a directory walk does "
                   "(the pre-commit hook)")
@click.option("-v", "--verbose", is_flag=True, help="list the files skipped as not platform descriptions")
@output_option("write the report to FILE instead of stdout")
@force_option()
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
def lint(paths: Tuple[str, ...], kernels: Tuple[str, ...], fmt: Optional[str], rule_opts: Tuple[str, ...],
         strict: bool, max_loss: float, max_memmap_ram: float, platforms_only: bool, verbose: bool,
         output: Optional[str], force: bool, color: str) -> None:
    """Check platform files (or directories of them) for namespaces that would break.

    Exit status: 2 if an input is unreadable or invalid, else 1 if a finding is an error
    (or a warning with --strict), else 0.
    """
    rules = _rule_levels(rule_opts)
    check_output(output, force)
    from .lint_run import lint_paths
    run = lint_paths(paths, kernels=kernels, rules=rules, max_loss=max_loss / 100,
                     max_memmap_ram=max_memmap_ram / 100, platforms_only=platforms_only)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    to_file = output not in (None, "-")
    from .render.lint_out import render_run
    text = render_run(run, fmt, strict=strict, color=color, to_file=to_file, verbose=verbose)
    # Each message once: an invalid input is a finding of the report; it is repeated
    # on stderr only when the report is not a person's (a file, SARIF, JUnit, JSON).
    if to_file or fmt in ("sarif", "junit", "json"):
        for f in run.input_errors():
            click.echo(f"pmemplan lint: {f.path}:{f.line}:{f.column}: {f.message}", err=True)
    if run.skipped and (to_file or fmt != "text"):
        click.echo(f"pmemplan lint: skipped {len(run.skipped)} file(s) that are not platform descriptions"
                   + ("" if verbose else " (-v lists them)"), err=True)
        if verbose:
            for path in run.skipped:
                click.echo(f"pmemplan lint: skipped {path}", err=True)
    write_output(output, text, force)
    sys.exit(run.exit_status(strict))


@cli.command()
@click.option("--result", is_flag=True, help="the schema of the JSON results (layout, plan, commands, diff) instead")
@click.option("--diff", "diff_", is_flag=True, help="the schema of pmemplan diff's JSON alone instead")
@output_option("write the schema to FILE instead of stdout")
@force_option()
def schema(result: bool, diff_: bool, output: Optional[str], force: bool) -> None:
    """Print the JSON Schema of the platform format (for editors and check-jsonschema)."""
    check_output(output, force)
    import json
    from .schema import diff_json_schema, platform_json_schema, result_json_schema
    doc = diff_json_schema() if diff_ else result_json_schema() if result else platform_json_schema()
    write_output(output, json.dumps(doc, indent=2) + "\n", force)


def main(argv: Optional[List[str]] = None) -> None:
    """The ``pmemplan`` program (it ends with SystemExit, as click's standalone mode does)."""
    # One short-lived process: the cyclic GC is paused for the run (pmemplan's objects
    # form no cycles; see pmemplan/_gc.py); the library leaves it alone.
    import gc

    from ._gc import gc_paused
    try:
        with gc_paused():
            cli.main(args=argv, prog_name="pmemplan", standalone_mode=True)
    except BrokenPipeError:  # pragma: no cover - e.g. `pmemplan layout … | head`
        sys.stderr.close()
        sys.exit(EXIT_OK)
    finally:
        # The process ends here: the collection the interpreter runs at exit would walk
        # every object of the run once more (2 % of a small `layout`); frozen objects
        # are skipped by it and still freed by reference counting.
        gc.freeze()
