"""The ``pmemplan`` command line: a thin layer over loader → engine → renderers.

Heavy modules (rich, the engine, pydantic models) are imported inside the commands so
``pmemplan --help`` and the JSON path stay quick.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional, Tuple

import click

EXIT_OK, EXIT_CHECK, EXIT_INPUT = 0, 1, 2


def _fail_input(err: Exception) -> "NoReturn":  # type: ignore[name-defined]
    click.echo(f"pmemplan: {err}", err=True)
    sys.exit(EXIT_INPUT)


def _load(path: str):
    from .errors import InputError
    from .loader import load_platform
    try:
        if path == "-":
            data = click.get_binary_stream("stdin").read()
            return load_platform(data, name="<stdin>")
        return load_platform(path)
    except InputError as e:
        _fail_input(e)


def _check_kernels(kernels: Tuple[str, ...], legacy: str) -> None:
    from .errors import ValueParseError
    from .kversion import KernelVersion
    for k in kernels + ((legacy,) if legacy else ()):
        try:
            KernelVersion.parse(k)
        except ValueParseError as e:
            raise click.BadParameter(str(e)) from None


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
    _check_kernels(kernels, legacy)
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
    if check and any(n.status != "enabled" for r in results for n in r.namespaces):
        sys.exit(EXIT_CHECK)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the platform format (for editors and check-jsonschema)."""
    import json
    from .schema import platform_json_schema
    click.echo(json.dumps(platform_json_schema(), indent=2))


def main(argv: Optional[List[str]] = None) -> None:
    try:
        cli.main(args=argv, prog_name="pmemplan", standalone_mode=True)
    except BrokenPipeError:  # pragma: no cover - e.g. `pmemplan layout … | head`
        sys.stderr.close()
        sys.exit(EXIT_OK)
