#!/bin/sh
# Built by pmemplan from a06_kmem.yaml for Linux 6.12: 5 steps.
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
if R0=$(region_at '0x40000000'); then
  s=$(cat "$ND/$R0/size")
  test "$s" = '268435456' || fail "e820: the region at 0x40000000 ($R0) has size $s, planned 268435456"
elif [ "$DRY" = 1 ]; then
  R0='<e820>'
else
  fail 'e820: no region at 0x40000000'
fi
if R1=$(region_at '0x100000000'); then
  s=$(cat "$ND/$R1/size")
  test "$s" = '1073610752' || fail "nv0: the region at 0x100000000 ($R1) has size $s, planned 1073610752"
  n=$(count_ns "$R1")
  test "$n" = '0' || fail "nv0 ($R1) holds $n namespaces, the plan expects 0"
elif [ "$DRY" = 1 ]; then
  R1='<nv0>'
else
  fail 'nv0: no region at 0x100000000'
fi
if R2=$(region_at '0x140000000'); then
  s=$(cat "$ND/$R2/size")
  test "$s" = '536870912' || fail "nv1: the region at 0x140000000 ($R2) has size $s, planned 536870912"
elif [ "$DRY" = 1 ]; then
  R2='<nv1>'
else
  fail 'nv1: no region at 0x140000000'
fi

# reconfigure: a06_e
if [ "$DRY" = 1 ]; then
  D='<a06_e>'
else
  D=$(ns_labelless "$R0")
fi
run 'ndctl' 'create-namespace' '-f' '-e' "$D" '-m' 'devdax' '-M' 'dev' '-a' '2097152'
if [ "$DRY" != 1 ]; then
  check_ns "$D" 'a06_e' 'devdax' '262144000' '2097152' '0x40000000'
fi

# create: a06_x
run 'ndctl' 'create-namespace' '-r' "$R1" '-s' '67108864' '-m' 'sector' '-l' '4096' '-n' 'a06_x'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R1" 'a06_x') || fail 'a06_x: no namespace named a06_x'
  check_ns "$D" 'a06_x' 'sector' '65961984' '' '0x100000000'
fi

# create: a06_y
run 'ndctl' 'create-namespace' '-r' "$R1" '-s' '369098752' '-m' 'fsdax' '-M' 'dev' '-a' '2097152' '-n' 'a06_y'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R1" 'a06_y') || fail 'a06_y: no namespace named a06_y'
  check_ns "$D" 'a06_y' 'fsdax' '362807296' '2097152' '0x104000000'
fi

# reconfigure: a06_ram
if [ "$DRY" = 1 ]; then
  D='<a06_ram>'
else
  D=$(ns_labelless "$R2")
fi
run 'ndctl' 'create-namespace' '-f' '-e' "$D" '-m' 'devdax' '-M' 'dev' '-a' '2097152'
if [ "$DRY" != 1 ]; then
  check_ns "$D" 'a06_ram' 'devdax' '526385152' '2097152' '0x140000000'
fi

# kmem: a06_ram
if [ "$DRY" = 1 ]; then
  C='<dax device of a06_ram>'
else
  D=$(ns_labelless "$R2")
  C=$(ndctl list -N -n "$D" | jfield chardev)
  test -n "$C" || fail 'a06_ram: no dax device'
fi
AOB="$SYSFS/devices/system/memory/auto_online_blocks"; OLD=
if [ -r "$AOB" ] && [ "$(cat "$AOB")" != offline ]; then
  OLD=$(cat "$AOB")
  printf '+ echo offline > %s\n' "$AOB"
  if [ "$DRY" != 1 ]; then echo offline > "$AOB" || fail "cannot write offline to $AOB"; fi
fi
RC=0; run_rc 'daxctl' 'reconfigure-device' '--mode=system-ram' "$C" || RC=$?
if [ -n "$OLD" ]; then
  printf '+ echo %s > %s\n' "$OLD" "$AOB"
  if [ "$DRY" != 1 ]; then echo "$OLD" > "$AOB" || fail "cannot write $OLD back to $AOB"; fi
fi
test "$RC" = 0 || fail 'command failed: daxctl reconfigure-device --mode=system-ram'" $C"
if [ "$DRY" != 1 ]; then
  m=$(daxctl list -d "$C" | jfield mode)
  test "$m" = system-ram || fail "a06_ram ($C): mode is $m, planned system-ram"
  echo "ok: a06_ram ($C) system-ram"
fi

if [ "$DRY" = 1 ]; then exit 0; fi
echo 'pmemplan: all 5 steps matched the plan'
