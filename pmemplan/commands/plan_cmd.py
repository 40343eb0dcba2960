"""``pmemplan plan FILE`` and ``pmemplan commands FILE``.

``plan``: an intent (namespaces that say ``usable:``, ``size: N%`` or ``size: rest``) in;
the chosen plan explained (text), written as a concrete platform (``-o``), as JSON, and
as the script that builds it (``--script``).  Exit 0 when every namespace is enabled on
every target with what it asked; 1 (naming the binding constraint per kernel, and the
nearest alternative) when the intent cannot be met; 2 for bad input.

``commands``: the build script of any concrete platform (an intent is planned first).
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, List, NoReturn, Optional, Sequence, Tuple

import click

if TYPE_CHECKING:
    from ..plan.steps import RegionCheck, Step
    from ..platform import Platform
    from ..result import LayoutResult

from ._common import EXIT_CHECK, check_output, fail, force_option, write_output


def _load(path: str) -> "Platform":
    from ..errors import InputError
    from ..loader import load_platform
    try:
        if path == "-":
            return load_platform(sys.stdin.buffer.read(), name="<stdin>")
        return load_platform(path)
    except InputError as e:
        fail(str(e))


def _kernels(kernels: Tuple[str, ...]) -> Tuple[str, ...]:
    from ..errors import ValueParseError
    from ..kversion import validate_kernels
    try:
        return tuple(validate_kernels(kernels, None)[0])
    except ValueParseError as e:
        fail(str(e))


def _write(text: str, output: Optional[str], force: bool, option: str, executable: bool = False) -> None:
    """The commands' -o policy (commands/_common.py); a script is made executable."""
    write_output(output, text, force, option)
    if executable and output not in (None, "-") and os.path.isfile(str(output)):
        os.chmod(str(output), os.stat(str(output)).st_mode | 0o111)


def script_kernel(platform: "Platform", kernels: Sequence[str]) -> str:
    """The kernel the script is written for: the file's kernel when it is a target."""
    from ..kversion import KernelVersion
    mine = KernelVersion.parse(platform.kernel)
    for k in kernels:
        if KernelVersion.parse(k) == mine:
            return k
    return kernels[0]


def build_script(platform: "Platform", res: "LayoutResult",
                 source: str) -> "Tuple[List[RegionCheck], List[Step], str]":
    """(regions, steps, script text) for a concrete platform whose namespaces all enable."""
    from ..plan.steps import build_steps
    from ..render.script_out import render_script
    regions, steps = build_steps(platform, res)
    return regions, steps, render_script(regions, steps, source=source, kernel=res.kernel)


def _not_enabled(res: "LayoutResult") -> Optional[str]:
    for n in res.namespaces:
        if n.status not in ("enabled",) and not (n.status == "disabled"):
            why = f": {n.error.message}" if n.error else ""
            return f"{n.name} is {n.status} under {res.kernel}{why}"
    return None


@click.command("plan", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--kernel", "kernels", multiple=True, metavar="V",
              help="target kernel (repeat); wins over the file's targets, which win over its kernel")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="write the concrete plan (a format-1 platform) to FILE")
@click.option("--script", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="write the sh script that builds the plan to FILE")
@click.option("--nearest", is_flag=True, help="when the intent cannot be met, plan the nearest alternative "
              "and write it (the exit status stays 1)")
@force_option()
def plan_command(file: str, kernels: Tuple[str, ...], fmt: str, output: Optional[str],
                 script: Optional[str], nearest: bool, force: bool) -> None:
    """Plan the intent in FILE for every target kernel and explain the choices."""
    kernels = _kernels(kernels)
    check_output(output, force)
    check_output(script, force, "--script")
    platform = _load(file)
    from ..plan.core import apply_nearest, plan_platform, target_kernels
    from ..render.plan_out import render_plan_json, render_plan_text, render_plan_yaml, render_problems
    source = "<stdin>" if file == "-" else os.path.basename(file)
    plan = plan_platform(platform, kernels)
    failed = not plan.ok
    if failed:
        click.echo(render_problems(source, plan.problems), err=True, nl=False)
        if not nearest:
            if fmt == "json":
                click.echo(render_plan_json(plan, None, None, None), nl=False)
            sys.exit(EXIT_CHECK)
        alt = apply_nearest(platform, plan.problems)
        works = None
        for p in plan.problems:
            if p.works_on:
                works = [k for k in (works or p.works_on) if k in p.works_on]
        if alt is None and works:
            alt, kernels = platform, tuple(works)
        if alt is None:
            click.echo("pmemplan: no nearest alternative to write", err=True)
            sys.exit(EXIT_CHECK)
        plan = plan_platform(alt, kernels or target_kernels(platform))
        if not plan.ok:
            click.echo(render_problems(source + " (nearest)", plan.problems), err=True, nl=False)
            sys.exit(EXIT_CHECK)
    sk = script_kernel(plan.platform, plan.kernels)
    regions = steps = None
    text_script = None
    if script is not None or fmt == "json":
        regions, steps, text_script = build_script(plan.platform, plan.results[sk], source)
    if fmt == "json":
        click.echo(render_plan_json(plan, regions, steps, sk), nl=False)
    else:
        click.echo(render_plan_text(plan, source), nl=False)
    if output is not None:
        _write(render_plan_yaml(plan, source), output, force, "-o")
    if script is not None and text_script is not None:
        _write(text_script, script, force, "--script", executable=True)
    if failed:
        sys.exit(EXIT_CHECK)


@click.command("commands", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--kernel", metavar="V", default=None, help="the kernel the commands run on (default: the file's)")
@click.option("--format", "fmt", type=click.Choice(["sh", "json"]), default="sh", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="write the script to FILE (made executable)")
@force_option()
def commands_command(file: str, kernel: Optional[str], fmt: str, output: Optional[str], force: bool) -> None:
    """Write the ndctl/daxctl commands (a POSIX sh script) that build the platform in FILE.

    Namespaces with 'exists: true' are only checked; 'was:' becomes a reconfigure.
    An intent file is planned first (for the file's kernel).
    """
    kernel = _kernels((kernel,))[0] if kernel else None
    check_output(output, force)
    platform = _load(file)
    source = "<stdin>" if file == "-" else os.path.basename(file)
    from ..engine import run_engine
    from ..kversion import KernelVersion
    k = kernel or platform.kernel
    if platform.is_intent:
        from ..plan.core import plan_platform
        from ..render.plan_out import render_problems
        plan = plan_platform(platform, (k,), legacy_cost=False)
        if not plan.ok:
            click.echo(render_problems(source, plan.problems), err=True, nl=False)
            sys.exit(EXIT_CHECK)
        platform = plan.platform
        source += " (planned)"
    res = run_engine(platform, KernelVersion.parse(k), verify=False, sections=False, fixes=False)
    bad = _not_enabled(res)
    if bad:
        click.echo(f"pmemplan: {source}: {bad}; no commands build that", err=True)
        sys.exit(EXIT_CHECK)
    regions, steps, text = build_script(platform, res, source)
    if fmt == "json":
        import json
        text = json.dumps({"format": 1, "kernel": res.kernel, "regions": [r.to_dict() for r in regions],
                           "steps": [s.to_dict() for s in steps]}, indent=2) + "\n"
    _write(text, output, force, "-o", executable=fmt == "sh")


def plan_intent(platform: "Platform", kernels: Tuple[str, ...],
                source: str) -> "Tuple[Optional[Platform], str]":
    """For layout and lint of an intent file: (the planned platform, the assumption that
    says so), or (None, the problems as text) when the intent cannot be met."""
    from ..plan.core import plan_platform
    from ..render.plan_out import render_problems
    plan = plan_platform(platform, kernels, legacy_cost=False)
    if not plan.ok:
        return None, render_problems(source, plan.problems)
    return plan.platform, (f"planned from the intent in {source} for {', '.join(plan.kernels)} "
                           f"(pmemplan plan explains the choices)")
