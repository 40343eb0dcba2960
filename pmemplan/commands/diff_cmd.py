"""``pmemplan diff BEFORE AFTER``: namespaces before and after a kernel change or a
firmware move (pmemplan/diff.py).  Exit 1 when a namespace that was enabled would fail
(a CI gate), 2 on bad input, else 0.
"""
from __future__ import annotations

import json
import sys
from typing import Optional, Tuple

import click

from ._common import (EXIT_CHECK, check_output, fail, force_option, kernels_callback, output_option,
                      write_output)


@click.command("diff", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("before", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("after", type=click.Path(dir_okay=False, allow_dash=True), required=False)
@click.option("--before-kernel", "before_kernels", multiple=True, metavar="V", callback=kernels_callback,
              help="kernel of the before side (default: BEFORE's kernel); repeat for several")
@click.option("--after-kernel", "after_kernels", multiple=True, metavar="V", callback=kernels_callback,
              help="kernel of the after side (default: AFTER's kernel); repeat for several")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@output_option("write the report to FILE instead of stdout")
@force_option()
def diff_command(before: str, after: Optional[str], before_kernels: Tuple[str, ...],
                 after_kernels: Tuple[str, ...], fmt: str, output: Optional[str], force: bool) -> None:
    """Compare the namespaces of BEFORE and AFTER (default: BEFORE again, for a kernel change).

    Each namespace: status, start and usable size before -> after, the error and its cause,
    and what restores a namespace that breaks.  Every (before, after) kernel pair is compared.
    """
    from ..errors import InputError
    from ..loader import load_platform
    bks: Tuple[Optional[str], ...] = tuple(before_kernels) or (None,)
    aks: Tuple[Optional[str], ...] = tuple(after_kernels) or (None,)
    if after is None:
        after = before
        if not after_kernels and not before_kernels:
            fail("one file: name the kernel it moves to (--after-kernel V)")
    if before == "-" and after == "-":
        fail("only one side can be standard input")
    check_output(output, force)
    try:
        data = sys.stdin.buffer.read() if "-" in (before, after) else None
        bp = load_platform(data, name="<stdin>") if before == "-" else load_platform(before)
        ap = load_platform(data, name="<stdin>") if after == "-" else load_platform(after)
    except InputError as e:
        fail(str(e))
    from ..diff import render_text, run_diff
    d = run_diff(before, bp, after, ap, bks, aks)
    text = json.dumps(d.to_dict(), indent=2) + "\n" if fmt == "json" else render_text(d)
    write_output(output, text, force)
    if d.broken:
        sys.exit(EXIT_CHECK)
