"""``pmemplan import``: write a platform file from /proc/iomem, ndctl/daxctl list or a live system.

Thin: reads the inputs, calls :mod:`pmemplan.importer`, writes the YAML.  Exit 0 when
the platform was written, 2 for bad input or when the inputs miss something the
platform needs (one line on stderr naming it).
"""
from __future__ import annotations

import os
import sys
import tempfile
from typing import Any, Dict, List, Optional, Tuple

import click

EXIT_INPUT = 2
_MAX_INPUT = 64 << 20


def _fail(msg: str) -> "NoReturn":  # type: ignore[name-defined]
    click.echo(f"pmemplan import: {msg}", err=True)
    sys.exit(EXIT_INPUT)


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


def write_atomically(text: str, output: str, force: bool) -> None:
    """Write ``output`` through a temporary file in its directory; never replace an
    existing file unless ``force`` (the check and the write are one step: link(2))."""
    if os.path.isdir(output):
        _fail(f"{output}: is a directory")
    if os.path.lexists(output) and not force:
        _fail(f"{output} exists; use --force to overwrite it")
    folder = os.path.dirname(os.path.abspath(output))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".pmemplan-", suffix=".tmp", dir=folder)
    except OSError as e:
        _fail(f"{output}: cannot write: {e.strerror or e}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if force:
            os.replace(tmp, output)
        else:
            try:
                os.link(tmp, output)
            except FileExistsError:
                _fail(f"{output} exists; use --force to overwrite it")
            except OSError:
                # no hard links here (some FUSE/network file systems): best effort
                if os.path.lexists(output):
                    _fail(f"{output} exists; use --force to overwrite it")
                os.replace(tmp, output)
    except OSError as e:
        _fail(f"{output}: cannot write: {e.strerror or e}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_output(output: str, force: bool) -> None:
    """Fail before any work when ``output`` cannot be written: a directory, a folder that
    does not exist or is not writable, or an existing file without ``force``."""
    if os.path.isdir(output):
        _fail(f"{output}: is a directory")
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        _fail(f"{output}: no such directory: {os.path.dirname(output) or folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        _fail(f"{output}: cannot write: permission denied in {os.path.dirname(output) or folder}")
    if os.path.lexists(output) and not force:
        _fail(f"{output} exists; use --force to overwrite it")


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
@click.option("--kernel", metavar="V", help="kernel version to write (default: the live one, else 6.1)")
@click.option("--name", metavar="NAME", help="platform name (default: imported)")
@click.option("-o", "--output", metavar="FILE", help="write the platform to FILE instead of stdout")
@click.option("--force", is_flag=True, help="overwrite FILE if it exists")
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
    from ..kversion import KernelVersion

    if not (iomem_path or ndctl_path or daxctl_path or live):
        _fail("nothing to import: give --iomem FILE, --ndctl FILE, --daxctl FILE and/or --live")
    if root != "/" and not live:
        _fail("--root applies to --live only")
    if kernel is not None:
        try:
            KernelVersion.parse(kernel)
        except ValueError as e:
            _fail(f"--kernel: {e}")
    if output is not None and output != "-":
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
    if output is None or output == "-":
        click.echo(text, nl=False)
    else:
        write_atomically(text, output, force)
