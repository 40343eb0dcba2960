#!/bin/sh
# Built by pmemplan from placeholder.yaml for Linux 6.1: 4 steps.
# sh THIS_FILE --dry-run prints the commands only.  Exit 0 only when every step matched.
set -u
SYSFS="${PMEMPLAN_SYSFS:-/sys}"
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

# every region, before anything changes: found by physical start and size
if R0=$(region_at '0x100000000'); then
  s=$(cat "$ND/$R0/size")
  test "$s" = '1073741824' || fail "region0: the region at 0x100000000 ($R0) has size $s, planned 1073741824"
  n=$(count_ns "$R0")
  test "$n" = '0' || fail "region0 ($R0) holds $n namespaces, the plan expects 0"
elif [ "$DRY" = 1 ]; then
  R0='<region0>'
else
  fail 'region0: no region at 0x100000000'
fi

# create: early
run 'ndctl' 'create-namespace' '-r' "$R0" '-s' '117440512' '-m' 'fsdax' '-M' 'dev' '-a' '2097152' '-n' 'early'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R0" 'early') || fail 'early: no namespace named early'
  check_ns "$D" 'early' 'fsdax' '115343360' '2097152' '0x100000000'
fi

# placeholder: pmemplan-placeholder-region0-1
run 'ndctl' 'create-namespace' '-r' "$R0" '-s' '419430400' '-m' 'raw' '-n' 'pmemplan-placeholder-region0-1'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R0" 'pmemplan-placeholder-region0-1') || fail 'pmemplan-placeholder-region0-1: no namespace named pmemplan-placeholder-region0-1'
  check_ns "$D" 'pmemplan-placeholder-region0-1' 'raw' '419430400' '' '0x107000000'
fi

# create: late
run 'ndctl' 'create-namespace' '-r' "$R0" '-s' '117440512' '-m' 'devdax' '-M' 'dev' '-a' '2097152' '-n' 'late'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R0" 'late') || fail 'late: no namespace named late'
  check_ns "$D" 'late' 'devdax' '115343360' '2097152' '0x120000000'
fi

# destroy: pmemplan-placeholder-region0-1
if [ "$DRY" = 1 ]; then
  D='<pmemplan-placeholder-region0-1>'
else
  D=$(ns_named "$R0" 'pmemplan-placeholder-region0-1') || fail 'pmemplan-placeholder-region0-1: no namespace named pmemplan-placeholder-region0-1'
fi
run 'ndctl' 'destroy-namespace' '-f' "$D"

if [ "$DRY" = 1 ]; then exit 0; fi
echo 'pmemplan: all 4 steps matched the plan'
