#!/bin/sh
# Built by pmemplan from b04_offset.yaml for Linux 6.1: 7 steps.
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
if R0=$(region_at '0x40100000'); then
  s=$(cat "$ND/$R0/size")
  test "$s" = '134217728' || fail "e820: the region at 0x40100000 ($R0) has size $s, planned 134217728"
elif [ "$DRY" = 1 ]; then
  R0='<e820>'
else
  fail 'e820: no region at 0x40100000'
fi
if R1=$(region_at '0x100000000'); then
  s=$(cat "$ND/$R1/size")
  test "$s" = '2147352576' || fail "nv0: the region at 0x100000000 ($R1) has size $s, planned 2147352576"
  n=$(count_ns "$R1")
  test "$n" = '0' || fail "nv0 ($R1) holds $n namespaces, the plan expects 0"
elif [ "$DRY" = 1 ]; then
  R1='<nv0>'
else
  fail 'nv0: no region at 0x100000000'
fi

# reconfigure: b04_e
if [ "$DRY" = 1 ]; then
  D='<b04_e>'
else
  D=$(ns_labelless "$R0")
fi
run 'ndctl' 'create-namespace' '-f' '-e' "$D" '-m' 'sector' '-l' '4160'
if [ "$DRY" != 1 ]; then
  check_ns "$D" 'b04_e' 'sector' '130945024' '' '0x40100000'
fi

# placeholder: pmemplan-placeholder-nv0-1
run 'ndctl' 'create-namespace' '-r' "$R1" '-s' '268435456' '-m' 'raw' '-n' 'pmemplan-placeholder-nv0-1'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R1" 'pmemplan-placeholder-nv0-1') || fail 'pmemplan-placeholder-nv0-1: no namespace named pmemplan-placeholder-nv0-1'
  check_ns "$D" 'pmemplan-placeholder-nv0-1' 'raw' '268435456' '' '0x100000000'
fi

# create: b04_a
run 'ndctl' 'create-namespace' '-r' "$R1" '-s' '285212672' '-m' 'fsdax' '-M' 'dev' '-a' '2097152' '-n' 'b04_a'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R1" 'b04_a') || fail 'b04_a: no namespace named b04_a'
  check_ns "$D" 'b04_a' 'fsdax' '278921216' '2097152' '0x110000000'
fi

# placeholder: pmemplan-placeholder-nv0-2
run 'ndctl' 'create-namespace' '-r' "$R1" '-s' '520093696' '-m' 'raw' '-n' 'pmemplan-placeholder-nv0-2'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R1" 'pmemplan-placeholder-nv0-2') || fail 'pmemplan-placeholder-nv0-2: no namespace named pmemplan-placeholder-nv0-2'
  check_ns "$D" 'pmemplan-placeholder-nv0-2' 'raw' '520093696' '' '0x121000000'
fi

# create: b04_b
run 'ndctl' 'create-namespace' '-r' "$R1" '-s' '285212672' '-m' 'devdax' '-M' 'dev' '-a' '2097152' '-n' 'b04_b'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R1" 'b04_b') || fail 'b04_b: no namespace named b04_b'
  check_ns "$D" 'b04_b' 'devdax' '278921216' '2097152' '0x140000000'
fi

# destroy: pmemplan-placeholder-nv0-1
if [ "$DRY" = 1 ]; then
  D='<pmemplan-placeholder-nv0-1>'
else
  D=$(ns_named "$R1" 'pmemplan-placeholder-nv0-1') || fail 'pmemplan-placeholder-nv0-1: no namespace named pmemplan-placeholder-nv0-1'
fi
run 'ndctl' 'destroy-namespace' '-f' "$D"

# destroy: pmemplan-placeholder-nv0-2
if [ "$DRY" = 1 ]; then
  D='<pmemplan-placeholder-nv0-2>'
else
  D=$(ns_named "$R1" 'pmemplan-placeholder-nv0-2') || fail 'pmemplan-placeholder-nv0-2: no namespace named pmemplan-placeholder-nv0-2'
fi
run 'ndctl' 'destroy-namespace' '-f' "$D"

if [ "$DRY" = 1 ]; then exit 0; fi
echo 'pmemplan: all 7 steps matched the plan'
