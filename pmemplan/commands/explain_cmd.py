"""``pmemplan explain FILE ADDRESS…``: what owns an address, its section, pfn_valid and struct page.

Thin: loads the platform, calls :func:`pmemplan.explain.explain`, prints text or JSON.
Exit 0, or 2 for bad input (one line on stderr).
"""
from __future__ import annotations

import json
import sys
from typing import Optional, Tuple

import click

from ._common import (check_output, force_option, kernel_callback, legacy_callback, output_option,
                      write_output)
from ._common import fail as _fail


@click.command("explain", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("addresses", nargs=-1, required=True, metavar="ADDRESS...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for scripts")
@click.option("--kernel", metavar="V", callback=kernel_callback, help="kernel version (default: the file's)")
@click.option("--legacy", default="5.2", show_default=True, metavar="V", callback=legacy_callback,
              help="the pre-5.3 kernel pfn_valid is also given for")
@output_option("write the explanation to FILE instead of stdout")
@force_option()
def explain_command(file: str, addresses: Tuple[str, ...], fmt: str, kernel: Optional[str],
                    legacy: str, output: Optional[str], force: bool) -> None:
    """Explain physical addresses of the platform in FILE.

    ADDRESS is a physical address (0x…, decimal, or with a K/M/G/T suffix), pfn:N or
    section:N.  For each: the range and namespace that own it, its section and
    sub-section, whether the section is early, who else owns parts of that section,
    pfn_valid under the kernel and under a pre-5.3 kernel, where its struct page lives,
    and its place in the namespace's info-block layout.
    """
    from ..errors import InputError, ValueParseError
    from ..loader import load_platform
    check_output(output, force)
    try:
        if file == "-":
            platform = load_platform(sys.stdin.buffer.read(), name="<stdin>")
        else:
            platform = load_platform(file)
    except InputError as e:
        _fail(str(e))
    from ..explain import explain
    from ..render.explain_out import render_text
    try:
        result = explain(platform, list(addresses), kernel=kernel, legacy=legacy)
    except ValueParseError as e:
        _fail(str(e))
    if fmt == "json":
        text = json.dumps(result.to_dict(), indent=2) + "\n"
    else:
        text = render_text(result)
    write_output(output, text, force)
