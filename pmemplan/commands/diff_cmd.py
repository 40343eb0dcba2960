"""``pmemplan diff BEFORE AFTER``: namespaces before and after a kernel change or a
firmware move (pmemplan/diff.py).  Exit 1 when a namespace that was enabled would fail
(a CI gate), 2 on bad input, else 0.
"""
from __future__ import annotations

import json
import sys
from typing import Optional, Tuple

import click

EXIT_CHECK, EXIT_INPUT = 1, 2


def _fail(msg: str) -> "NoReturn":  # type: ignore[name-defined]
    click.echo(f"pmemplan diff: {msg}", err=True)
    sys.exit(EXIT_INPUT)


@click.command("diff", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("before", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("after", type=click.Path(dir_okay=False, allow_dash=True), required=False)
@click.option("--before-kernel", "before_kernels", multiple=True, metavar="V",
              help="kernel of the before side (default: BEFORE's kernel); repeat for several")
@click.option("--after-kernel", "after_kernels", multiple=True, metavar="V",
              help="kernel of the after side (default: AFTER's kernel); repeat for several")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="write the report to FILE instead of stdout")
def diff_command(before: str, after: Optional[str], before_kernels: Tuple[str, ...],
                 after_kernels: Tuple[str, ...], fmt: str, output: Optional[str]) -> None:
    """Compare the namespaces of BEFORE and AFTER (default: BEFORE again, for a kernel change).

    Each namespace: status, start and usable size before -> after, the error and its cause,
    and what restores a namespace that breaks.  Every (before, after) kernel pair is compared.
    """
    from ..errors import InputError, ValueParseError
    from ..kversion import validate_kernels
    from ..loader import load_platform
    try:
        bks = tuple(validate_kernels(before_kernels)[0]) if before_kernels else (None,)
        aks = tuple(validate_kernels(after_kernels)[0]) if after_kernels else (None,)
    except ValueParseError as e:
        _fail(str(e))
    if after is None:
        after = before
        if not after_kernels and not before_kernels:
            _fail("one file: name the kernel it moves to (--after-kernel V)")
    if before == "-" and after == "-":
        _fail("only one side can be standard input")
    try:
        data = sys.stdin.buffer.read() if "-" in (before, after) else None
        bp = load_platform(data, name="<stdin>") if before == "-" else load_platform(before)
        ap = load_platform(data, name="<stdin>") if after == "-" else load_platform(after)
    except InputError as e:
        _fail(str(e))
    from ..diff import render_text, run_diff
    d = run_diff(before, bp, after, ap, bks, aks)
    text = json.dumps(d.to_dict(), indent=2) + "\n" if fmt == "json" else render_text(d)
    from ..cli import _write
    _write(text, output)
    if d.broken:
        sys.exit(EXIT_CHECK)
