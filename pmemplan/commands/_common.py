"""What every ``pmemplan`` command shares: the exit codes, the one-line error exit,
``--kernel`` parsing, and the ``-o/--output`` policy.

Output policy (the same for ``layout``, ``lint``, ``import``, ``schema`` and ``explain``,
and for ``layout --svg/--html``):

* no ``-o``, or ``-o -``: standard output;
* the target is checked *before* any work is done: a directory, a missing or
  unwritable folder, or an existing file without ``--force`` is an input error
  (one line on stderr, exit 2) and nothing is computed or written;
* an existing file is replaced only with ``--force`` (so a report can never overwrite
  a platform description, an imported file or anything else by a slip of ``-o``);
* the file is written atomically: to a temporary file in the target's folder, synced,
  then renamed over the target (or hard-linked to it without ``--force``, so the
  "does it exist" check and the write are one step); a run that fails leaves no
  partial file and no temporary behind;
* an existing FIFO or character device (``-o /dev/stderr``) is written through
  directly: it cannot be renamed over and is not "a file to overwrite".
"""
from __future__ import annotations

import os
import stat
import sys
from typing import Callable, NoReturn, Optional, Sequence, Union

import click

EXIT_OK, EXIT_CHECK, EXIT_INPUT = 0, 1, 2

__all__ = ["EXIT_OK", "EXIT_CHECK", "EXIT_INPUT", "fail", "prefix", "parse_kernel", "kernel_callback", "kernel_or_empty_callback",
           "kernels_callback", "legacy_callback", "too_deep", "check_output", "write_output", "output_option", "force_option"]


def prefix() -> str:
    """``pmemplan`` or ``pmemplan COMMAND``: what an error line starts with."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or isinstance(ctx.command, click.Group) or not ctx.command.name:
        return "pmemplan"
    return f"pmemplan {ctx.command.name}"


def fail(message: str) -> NoReturn:
    """The one error exit of every command: one line on stderr, exit 2."""
    click.echo(f"{prefix()}: {message.splitlines()[0] if message else 'error'}", err=True)
    sys.exit(EXIT_INPUT)


# ----------------------------------------------------------------------------- --kernel

def parse_kernel(text: str, option: str = "--kernel") -> str:
    """``text`` if it names a kernel pmemplan can plan for, else :func:`fail` with one line.

    The single place the command line checks a kernel version: everything the
    library accepts for a kernel (:meth:`pmemplan.kversion.KernelVersion.parse`) is
    accepted here, with the option named in the message.
    """
    from ..kversion import check_kernel
    try:
        check_kernel(text)     # a version, and one libnvdimm exists in (4.2+)
    except ValueError as e:
        fail(f"{option}: {e}")
    return text


def kernel_callback(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[str]:
    """click callback for a single kernel option."""
    if value is not None:
        parse_kernel(value, param.opts[0] if param.opts else "--kernel")
    return value


def legacy_callback(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[str]:
    """click callback for ``--legacy``: a kernel from before 5.3 (kversion.validate_kernels())."""
    if value is None:
        return value
    parse_kernel(value, param.opts[0] if param.opts else "--legacy")
    return kernel_or_empty_callback(ctx, param, value)


def kernel_or_empty_callback(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[str]:
    """click callback for ``--legacy``: a pre-5.3 kernel, or ``''`` for none (``layout --legacy ''``)."""
    if not value:
        return value
    from ..kversion import validate_kernels
    try:
        validate_kernels((), value)
    except ValueError as e:
        fail(str(e))
    return value


def kernels_callback(ctx: click.Context, param: click.Parameter, value: Sequence[str]) -> tuple:
    """click callback for a repeatable kernel option: checked, repeats dropped
    (kversion.validate_kernels(): "6.1" and "6.1.0" are one kernel)."""
    from ..kversion import validate_kernels
    try:
        return tuple(validate_kernels(value, what=param.opts[0] if param.opts else "--kernel")[0])
    except ValueError as e:
        fail(str(e))


_TOO_DEEP = "too deeply nested to process (Python's recursion limit)"


def too_deep(path: str) -> NoReturn:
    """A RecursionError anywhere in loading, the engine or rendering: bad input, not a bug
    report -- one ``file:1:1: message`` line and exit 2 (the loader bounds nesting, so
    this is a last line of defence)."""
    from ..errors import InputError
    fail(str(InputError(_TOO_DEEP, "<stdin>" if path == "-" else path, 1, 1)))


# ----------------------------------------------------------------------------- -o/--output

def output_option(help: str = "write to FILE instead of standard output ('-': stdout)") -> Callable:
    return click.option("-o", "--output", metavar="FILE", default=None, help=help)


def force_option() -> Callable:
    return click.option("--force", is_flag=True, help="let -o replace an existing file")


def _is_stream(path: str) -> bool:
    """An existing FIFO, character device or socket: written through, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def check_output(output: Optional[str], force: bool, option: str = "-o") -> None:
    """Refuse, before any work, a target the command could not (or must not) write."""
    if output is None or output == "-" or _is_stream(output):
        return
    if os.path.isdir(output):
        fail(f"{option} {output}: is a directory")
    if os.path.lexists(output) and not force:
        fail(f"{option} {output}: exists; use --force to overwrite it")
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        fail(f"{option} {output}: no such directory: {os.path.dirname(output) or '.'}")
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"{option} {output}: cannot write: permission denied on {os.path.dirname(output) or '.'}")


def write_output(output: Optional[str], content: Union[str, Callable[[str], None]], force: bool,
                 option: str = "-o") -> None:
    """Write ``content`` (text, or a function that writes a file at the path it is given)
    to ``output`` by the policy above; ``None``/``'-'`` is standard output (text only)."""
    if output is None or output == "-":
        assert isinstance(content, str)
        click.echo(content, nl=False, color=True)  # the renderer already decided on colour
        return
    check_output(output, force, option)
    if _is_stream(output):
        try:
            if isinstance(content, str):
                with open(output, "w", encoding="utf-8") as f:
                    f.write(content)
            else:
                content(output)
        except OSError as e:
            fail(f"{option} {output}: cannot write: {e.strerror or e}")
        return
    import tempfile
    folder = os.path.dirname(os.path.abspath(output))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(output)}.", suffix=".tmp", dir=folder)
    except OSError as e:
        fail(f"{option} {output}: cannot write: {e.strerror or e}")
    try:
        if isinstance(content, str):
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        else:
            os.close(fd)
            content(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        if force:
            os.replace(tmp, output)
        else:
            try:
                os.link(tmp, output)
            except FileExistsError:
                fail(f"{option} {output}: exists; use --force to overwrite it")
            except OSError:
                # no hard links here (some FUSE/network file systems): best effort
                if os.path.lexists(output):
                    fail(f"{option} {output}: exists; use --force to overwrite it")
                os.replace(tmp, output)
    except OSError as e:
        fail(f"{option} {output}: cannot write: {e.strerror or e}")
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
