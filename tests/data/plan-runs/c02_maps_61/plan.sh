#!/bin/sh
# Built by pmemplan from c02_maps.yaml for Linux 6.1: 6 steps.
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
if R0=$(region_at '0x40000000'); then
  s=$(cat "$ND/$R0/size")
  test "$s" = '134217728' || fail "e820: the region at 0x40000000 ($R0) has size $s, planned 134217728"
elif [ "$DRY" = 1 ]; then
  R0='<e820>'
else
  fail 'e820: no region at 0x40000000'
fi
if R1=$(region_at '0x4a000000'); then
  s=$(cat "$ND/$R1/size")
  test "$s" = '67108864' || fail "e820b: the region at 0x4a000000 ($R1) has size $s, planned 67108864"
elif [ "$DRY" = 1 ]; then
  R1='<e820b>'
else
  fail 'e820b: no region at 0x4a000000'
fi
if R2=$(region_at '0x100000000'); then
  s=$(cat "$ND/$R2/size")
  test "$s" = '1073610752' || fail "nv0: the region at 0x100000000 ($R2) has size $s, planned 1073610752"
  n=$(count_ns "$R2")
  test "$n" = '0' || fail "nv0 ($R2) holds $n namespaces, the plan expects 0"
elif [ "$DRY" = 1 ]; then
  R2='<nv0>'
else
  fail 'nv0: no region at 0x100000000'
fi
if R3=$(region_at '0x140000000'); then
  s=$(cat "$ND/$R3/size")
  test "$s" = '1073741824' || fail "nv1: the region at 0x140000000 ($R3) has size $s, planned 1073741824"
elif [ "$DRY" = 1 ]; then
  R3='<nv1>'
else
  fail 'nv1: no region at 0x140000000'
fi

# reconfigure: c02_e
if [ "$DRY" = 1 ]; then
  D='<c02_e>'
else
  D=$(ns_labelless "$R0")
fi
run 'ndctl' 'create-namespace' '-f' '-e' "$D" '-m' 'sector' '-l' '4096'
if [ "$DRY" != 1 ]; then
  check_ns "$D" 'c02_e' 'sector' '133005312' '' '0x40000000'
fi

# reconfigure: c02_f
if [ "$DRY" = 1 ]; then
  D='<c02_f>'
else
  D=$(ns_labelless "$R1")
fi
run 'ndctl' 'create-namespace' '-f' '-e' "$D" '-m' 'fsdax' '-M' 'mem' '-a' '4096'
if [ "$DRY" != 1 ]; then
  check_ns "$D" 'c02_f' 'fsdax' '67108864' '' '0x4a000000'
fi

# create: c02_a
run 'ndctl' 'create-namespace' '-r' "$R2" '-s' '318767104' '-m' 'devdax' '-M' 'mem' '-a' '2097152' '-n' 'c02_a'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R2" 'c02_a') || fail 'c02_a: no namespace named c02_a'
  check_ns "$D" 'c02_a' 'devdax' '316669952' '2097152' '0x100000000'
fi

# create: c02_b
run 'ndctl' 'create-namespace' '-r' "$R2" '-s' '318767104' '-m' 'fsdax' '-M' 'mem' '-a' '2097152' '-n' 'c02_b'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R2" 'c02_b') || fail 'c02_b: no namespace named c02_b'
  check_ns "$D" 'c02_b' 'fsdax' '316669952' '2097152' '0x113000000'
fi

# create: c02_c
run 'ndctl' 'create-namespace' '-r' "$R2" '-s' '419430400' '-m' 'raw' '-n' 'c02_c'
if [ "$DRY" != 1 ]; then
  D=$(ns_named "$R2" 'c02_c') || fail 'c02_c: no namespace named c02_c'
  check_ns "$D" 'c02_c' 'raw' '419430400' '' '0x126000000'
fi

# reconfigure: c02_n1
if [ "$DRY" = 1 ]; then
  D='<c02_n1>'
else
  D=$(ns_labelless "$R3")
fi
run 'ndctl' 'create-namespace' '-f' '-e' "$D" '-m' 'devdax' '-M' 'dev' '-a' '4096'
if [ "$DRY" != 1 ]; then
  check_ns "$D" 'c02_n1' 'devdax' '1054867456' '4096' '0x140000000'
fi

if [ "$DRY" = 1 ]; then exit 0; fi
echo 'pmemplan: all 6 steps matched the plan'
