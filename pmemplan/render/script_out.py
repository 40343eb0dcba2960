"""The build script of a concrete platform: POSIX sh for busybox ``sh`` and dash.

Only ``ndctl``, ``daxctl`` and ``cat echo printf grep sed awk test`` (and shell builtins);
every argument quoted.  The script finds each region by its physical start and size
(region numbers differ between machines), stops before changing anything when a region
is missing, has another size or holds namespaces the plan does not expect, runs the
steps of :func:`pmemplan.plan.build_steps` printing each command first, checks each
result (mode, size as ndctl lists it, align, physical start from sysfs) and stops with a
one-line message naming the difference.  ``--dry-run`` prints the commands only.  The
sysfs root is ``$PMEMPLAN_SYSFS`` (default ``/sys``), for tests.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from ..plan.steps import CHARDEV, DEV, REGION, RegionCheck, Step

_PRELUDE = r'''SYSFS="${PMEMPLAN_SYSFS:-/sys}"
ND="$SYSFS/bus/nd/devices"
DRY=0
case "${1-}" in
  --dry-run) DRY=1 ;;
  '') ;;
  *) echo "usage: sh $0 [--dry-run]" >&2; exit 2 ;;
esac

fail() { echo "pmemplan: $*" >&2; exit 1; }

# print a command (each argument quoted), then run it unless --dry-run
run() {
  printf '+'
  for a in "$@"; do printf " '%s'" "$a"; done
  printf '\n'
  if [ "$DRY" = 1 ]; then return 0; fi
  "$@" || fail "command failed: $*"
}

# the same, returning the command's status instead of stopping
run_rc() {
  printf '+'
  for a in "$@"; do printf " '%s'" "$a"; done
  printf '\n'
  if [ "$DRY" = 1 ]; then return 0; fi
  "$@"
}

# the value of "key" in ndctl/daxctl list output (the first one)
jfield() {
  awk -v k="\"$1\":" '{ i = index($0, k); if (i) { s = substr($0, i + length(k)); sub(/^"/, "", s); sub(/["},].*$/, "", s); print s; exit } }'
}

# the region device whose physical start is $1 (sysfs resource, 0x-hex)
region_at() {
  for d in "$ND"/region*; do
    test -e "$d/resource" || continue
    if [ "$(cat "$d/resource")" = "$1" ]; then echo "${d##*/}"; return 0; fi
  done
  return 1
}

# namespaces of region $1 that have a size
count_ns() {
  n=0
  for d in "$ND/$1"/namespace*; do
    test -e "$d/size" || continue
    if [ "$(cat "$d/size")" != 0 ]; then n=$((n + 1)); fi
  done
  echo "$n"
}

# the namespace of region $1 named (alt_name) $2
ns_named() {
  for d in "$ND/$1"/namespace*; do
    test -e "$d/alt_name" || continue
    if [ "$(cat "$d/alt_name")" = "$2" ]; then echo "${d##*/}"; return 0; fi
  done
  return 1
}

# the namespace of region $1 that starts at $2
ns_at() {
  for d in "$ND/$1"/namespace*; do
    test -e "$d/resource" || continue
    test "$(cat "$d/size")" != 0 || continue
    if [ "$(cat "$d/resource")" = "$2" ]; then echo "${d##*/}"; return 0; fi
  done
  return 1
}

# the label-less namespace of region $1 (regionN -> namespaceN.0)
ns_labelless() {
  echo "namespace$(printf '%s' "$1" | sed 's/^region//').0"
}

# check namespace $1 against the plan: name mode size align start
check_ns() {
  out=$(ndctl list -N -n "$1") || fail "$2: ndctl list -n $1 failed"
  v=$(printf '%s\n' "$out" | jfield mode)
  test "$v" = "$3" || fail "$2 ($1): mode is $v, planned $3"
  v=$(printf '%s\n' "$out" | jfield size)
  test "$v" = "$4" || fail "$2 ($1): size is $v, planned $4"
  if [ -n "$5" ]; then
    v=$(printf '%s\n' "$out" | jfield align)
    test "$v" = "$5" || fail "$2 ($1): align is $v, planned $5"
  fi
  v=$(cat "$ND/$1/resource")
  test "$v" = "$6" || fail "$2 ($1): starts at $v, planned $6"
  echo "ok: $2 ($1) $3, size $4, at $6"
}
'''


def q(s: object) -> str:
    """One shell word, single-quoted."""
    return "'" + str(s).replace("'", "'\\''") + "'"


def _argv(argv: Sequence[str], var: str, dev: str = "$D", chardev: str = "$C") -> str:
    out = []
    for a in argv:
        if a == REGION:
            out.append(f'"${var}"')
        elif a == DEV:
            out.append(f'"{dev}"')
        elif a == CHARDEV:
            out.append(f'"{chardev}"')
        else:
            out.append(q(a))
    return " ".join(out)


def _find_dev(st: Step, var: str) -> str:
    if st.find == "labelless":
        return f'D=$(ns_labelless "${var}")'
    if st.find == "start":
        start = hex(st.expect.get("start") or 0)
        return f'D=$(ns_at "${var}" {q(start)}) || fail {q(f"{st.namespace}: no namespace at {start}")}'
    return f'D=$(ns_named "${var}" {q(st.namespace)}) || fail {q(f"{st.namespace}: no namespace named {st.namespace}")}'


def _check(st: Step) -> str:
    e = st.expect
    align = e.get("align")
    return (f'check_ns "$D" {q(st.namespace)} {q(e["mode"])} {q(e["size"])} '
            f'{q(align if align is not None else "")} {q(hex(e["start"]))}')


def render_script(regions: Sequence[RegionCheck], steps: Sequence[Step], *, source: str,
                  kernel: str) -> str:
    lines: List[str] = ["#!/bin/sh",
                        f"# Built by pmemplan from {source} for Linux {kernel}: "
                        f"{sum(1 for s in steps if s.kind != 'check')} steps.",
                        "# sh THIS_FILE --dry-run prints the commands only.  Exit 0 only when every step matched.",
                        "set -u", _PRELUDE]
    var: Dict[str, str] = {}
    lines.append("# every region, before anything changes: found by physical start and size")
    for i, r in enumerate(regions):
        v = f"R{i}"
        var[r.name] = v
        lines.append(f"if {v}=$(region_at {q(hex(r.start))}); then")
        lines.append(f'  s=$(cat "$ND/${v}/size")')
        lines.append(f'  test "$s" = {q(r.size)} || fail "{r.name}: the region at {hex(r.start)} (${v}) has size $s, planned {r.size}"')
        if r.labelled:
            lines.append(f'  n=$(count_ns "${v}")')
            lines.append(f'  test "$n" = {q(r.existing)} || fail "{r.name} (${v}) holds $n namespaces, the plan expects {r.existing}"')
        lines.append('elif [ "$DRY" = 1 ]; then')
        lines.append(f"  {v}={q('<' + r.name + '>')}")
        lines.append("else")
        lines.append(f"  fail {q(f'{r.name}: no region at {hex(r.start)}')}")
        lines.append("fi")
    lines.append("")
    nsteps = 0
    for st in steps:
        v = var[st.region]
        lines.append(f"# {st.kind}: {st.namespace or st.region}")
        if st.kind == "align":
            val = st.expect["align"]
            lines.append(f"printf '+ echo %s > %s\\n' {q(val)} \"$ND/${v}/align\"")
            lines.append('if [ "$DRY" != 1 ]; then')
            lines.append(f'  echo {q(val)} > "$ND/${v}/align" || fail "{st.region}: cannot write {val} to $ND/${v}/align"')
            lines.append(f'  a=$(cat "$ND/${v}/align")')
            # sysfs prints the region align in hex (0x400000, observed on 6.1)
            lines.append(f'  test "$((a))" = {q(val)} || fail "{st.region} (${v}): align is $a, planned {val}"')
            lines.append("fi")
        elif st.kind == "check":
            lines.append('if [ "$DRY" != 1 ]; then')
            lines.append("  " + _find_dev(st, v))
            lines.append("  " + _check(st))
            lines.append("fi")
        elif st.kind in ("create", "placeholder"):
            lines.append(f"run {_argv(st.argv, v)}")
            lines.append('if [ "$DRY" != 1 ]; then')
            lines.append("  " + _find_dev(st, v))
            lines.append("  " + _check(st))
            lines.append("fi")
        elif st.kind in ("reconfigure", "destroy"):
            lines.append('if [ "$DRY" = 1 ]; then')
            lines.append(f"  D={q('<' + st.namespace + '>')}")
            lines.append("else")
            lines.append("  " + _find_dev(st, v))
            lines.append("fi")
            lines.append(f"run {_argv(st.argv, v)}")
            if st.kind == "reconfigure":
                lines.append('if [ "$DRY" != 1 ]; then')
                lines.append("  " + _check(st))
                lines.append("fi")
        elif st.kind == "kmem":
            lines.append('if [ "$DRY" = 1 ]; then')
            lines.append(f"  C={q('<dax device of ' + st.namespace + '>')}")
            lines.append("else")
            lines.append("  " + _find_dev(st, v))
            lines.append(f'  C=$(ndctl list -N -n "$D" | jfield chardev)')
            lines.append(f'  test -n "$C" || fail {q(st.namespace + ": no dax device")}')
            lines.append("fi")
            # daxctl refuses ("kernel policy will auto-online memory, aborting", -EBUSY) when
            # the kernel onlines hot-added memory itself (auto_online_blocks not "offline", as
            # on Debian's 6.12: observed by the plan-runs); the policy is set to offline for
            # the command and put back after it
            lines.append(f'AOB="$SYSFS/devices/system/memory/auto_online_blocks"; OLD=')
            lines.append('if [ -r "$AOB" ] && [ "$(cat "$AOB")" != offline ]; then')
            lines.append('  OLD=$(cat "$AOB")')
            lines.append("  printf '+ echo offline > %s\\n' \"$AOB\"")
            lines.append('  if [ "$DRY" != 1 ]; then echo offline > "$AOB" || fail "cannot write offline to $AOB"; fi')
            lines.append("fi")
            lines.append(f"RC=0; run_rc {_argv(st.argv, v)} || RC=$?")
            lines.append('if [ -n "$OLD" ]; then')
            lines.append("  printf '+ echo %s > %s\\n' \"$OLD\" \"$AOB\"")
            lines.append('  if [ "$DRY" != 1 ]; then echo "$OLD" > "$AOB" || fail "cannot write $OLD back to $AOB"; fi')
            lines.append("fi")
            lines.append(f'test "$RC" = 0 || fail {q("command failed: " + " ".join(st.argv[:-1]))}" $C"')
            lines.append('if [ "$DRY" != 1 ]; then')
            lines.append('  m=$(daxctl list -d "$C" | jfield mode)')
            lines.append(f'  test "$m" = system-ram || fail "{st.namespace} ($C): mode is $m, planned system-ram"')
            lines.append(f'  echo "ok: {st.namespace} ($C) system-ram"')
            lines.append("fi")
        nsteps += 1
        lines.append("")
    lines.append(f'if [ "$DRY" = 1 ]; then exit 0; fi')
    lines.append(f"echo 'pmemplan: all {nsteps} steps matched the plan'")
    return "\n".join(lines) + "\n"
