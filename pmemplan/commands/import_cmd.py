"""``pmemplan import``: write a platform file from /proc/iomem, ndctl/daxctl list or a live system.

Thin: reads the inputs, calls :mod:`pmemplan.importer`, writes the YAML.  Exit 0 when
the platform was written, 2 for bad input or when the inputs miss something the
platform needs (one line on stderr naming it).
"""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Optional, Tuple

import click

from ._common import check_output, force_option, kernel_callback, output_option, write_output
from ._common import fail as _fail

_MAX_INPUT = 64 << 20


def _read(path: str, what: str) -> str:
    try:
        if path == "-":
            data = sys.stdin.buffer.read(_MAX_INPUT + 1)
        else:
            if os.path.isdir(path):
                _fail(f"{path}: is a directory, not {what}")
            with open(path, "rb") as f:
                data = f.read(_MAX_INPUT + 1)
    except FileNotFoundError:
        _fail(f"{path}: No such file")
    except PermissionError:
        _fail(f"{path}: permission denied" + (" (/proc/iomem needs root)" if "iomem" in path else ""))
    except OSError as e:
        _fail(f"{path}: cannot read: {e.strerror or e}")
    if len(data) > _MAX_INPUT:
        _fail(f"{path}: file too large for {what} (more than {_MAX_INPUT >> 20} MiB)")
    if b"\x00" in data:
        _fail(f"{path}: binary file, not {what}")
    return data.decode("utf-8", errors="replace")


@click.command("import", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--iomem", "iomem_path", metavar="FILE", help="a /proc/iomem dump (read as root)")
@click.option("--ndctl", "ndctl_path", metavar="FILE",
              help="JSON from ndctl list (any of -R -N -D -v -u)")
@click.option("--daxctl", "daxctl_path", metavar="FILE", help="JSON from daxctl list")
@click.option("--infoblock", "infoblock_paths", metavar="FILE", multiple=True,
              help="JSON from ndctl read-infoblock -j (repeatable): the info block on each namespace's media")
@click.option("--live", is_flag=True,
              help="read the running system: /proc/iomem, /sys/bus/nd, /sys/bus/dax")
@click.option("--root", default="/", show_default=True, metavar="DIR",
              help="with --live: the root of a captured tree instead of /")
@click.option("--kernel", metavar="V", callback=kernel_callback,
              help="kernel version to write (default: the live one, else 6.1)")
@click.option("--name", metavar="NAME", help="platform name (default: imported)")
@output_option("write the platform to FILE instead of stdout")
@force_option()
@click.option("-q", "--quiet", is_flag=True, help="no '# from:'/'# assumed:' lines on stderr")
def import_command(iomem_path: Optional[str], ndctl_path: Optional[str], daxctl_path: Optional[str],
                   infoblock_paths: Tuple[str, ...], live: bool, root: str, kernel: Optional[str], name: Optional[str],
                   output: Optional[str], force: bool, quiet: bool) -> None:
    """Describe a real machine as a platform file (format 1) without writing YAML.

    Give any combination of --iomem, --ndctl, --daxctl and --live; --infoblock adds the
    info blocks ndctl read-infoblock -j shows (for layout --kernel and pmemplan diff).  Every value that
    had to be derived or assumed is commented in the file ('# from:', '# assumed:')
    and listed on stderr.  Exit 2 when the inputs do not give a namespace's start.
    A live system without pmem gives its memory map alone (exit 0, said on stderr).
    """
    from ..errors import InputError
    from ..importer import ImportMissing, build_platform, parse_daxctl, parse_iomem, parse_ndctl, read_live

    if not (iomem_path or ndctl_path or daxctl_path or live):
        _fail("nothing to import: give --iomem FILE, --ndctl FILE, --daxctl FILE and/or --live")
    if root != "/" and not live:
        _fail("--root applies to --live only")
    check_output(output, force)
    stdin_users = [p for p in (iomem_path, ndctl_path, daxctl_path) + infoblock_paths if p == "-"]
    if len(stdin_users) > 1:
        _fail("only one input can be read from standard input ('-')")
    sources: List[str] = []
    try:
        lv = None
        if live:
            if not os.path.isdir(root):
                _fail(f"--root {root}: not a directory")
            lv = read_live(root)
            sources.append("live system" if os.path.abspath(root) == "/" else f"captured tree {root}")
        iomem = ndctl = daxctl = None
        if iomem_path:
            iomem = parse_iomem(_read(iomem_path, "a /proc/iomem dump"), iomem_path)
            sources.append(f"{iomem_path} (/proc/iomem)")
        if ndctl_path:
            ndctl = parse_ndctl(_read(ndctl_path, "ndctl list JSON"), ndctl_path)
            sources.append(f"{ndctl_path} (ndctl list)")
        if daxctl_path:
            daxctl = parse_daxctl(_read(daxctl_path, "daxctl list JSON"), daxctl_path)
            sources.append(f"{daxctl_path} (daxctl list)")
        blocks: Dict[str, Dict[str, Any]] = {}
        if infoblock_paths:
            from ..importer.infoblock import parse_infoblocks
            for path in infoblock_paths:
                for dev, blk in parse_infoblocks(_read(path, "ndctl read-infoblock JSON"), path).items():
                    if dev in blocks and blocks[dev] != blk:
                        _fail(f"{path}: {dev}: a different info block than an earlier --infoblock")
                    blocks[dev] = blk
                sources.append(f"{path} (ndctl read-infoblock)")
        result = build_platform(iomem=iomem, ndctl=ndctl, daxctl=daxctl, live=lv, kernel=kernel,
                                name=name, sources=sources, infoblocks=blocks or None)
    except (InputError, ImportMissing) as e:
        _fail(str(e).splitlines()[0] if str(e) else type(e).__name__)
    text = result.yaml()
    if result.no_pmem:
        click.echo(f"pmemplan import: {result.no_pmem}", err=True)
    if not quiet:
        for n in result.notes:
            click.echo(f"pmemplan import: {n.line()}", err=True)
    write_output(output, text, force)
