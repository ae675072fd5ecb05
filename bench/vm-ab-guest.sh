#!/bin/sh
# bench/vm-ab-guest.sh - runs inside a VM (busybox sh), for bench/vm-ab.sh:
#
#   vm-ab-guest.sh BACKEND ATTACH N ROUNDS
#
# `splicewatch trace --backend BACKEND` with SPLICEWATCH_SYSCALL_ATTACH=ATTACH
# (raw or none) and SPLICEWATCH_BENCH_TOGGLE=1; then /sw/swbench ab times the
# getppid, 16 B pwrite (nothing held) and splice loops with its programs
# attached and detached in alternating phases inside one process. Prints the
# syscall attach `features` names, and one line per loop:
#   vm-ab BACKEND ATTACH LOAD ratio=R min=... max=... p25=... p75=... without_ns_per_op=...
B=$1
ATTACH=$2
N=$3
ROUNDS=$4
SW=/sw/splicewatch
said=$(SPLICEWATCH_SYSCALL_ATTACH=$ATTACH "$SW" features | sed -n 's/^syscall attach: *//p' |
    tr ',' '\n' | awk -v b="$B" '{ sub(/:$/, "", $1) } $1 == b { print $2 }')
echo "vm-ab $B $ATTACH features=${said:-unknown}"
SPLICEWATCH_SYSCALL_ATTACH=$ATTACH SPLICEWATCH_BENCH_TOGGLE=1 \
    "$SW" trace --backend "$B" --json > /dev/null 2> /tmp/ab.err &
swpid=$!
i=0
while ! grep -q "Ctrl-C to stop" /tmp/ab.err 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 3000 ] || ! kill -0 "$swpid" 2>/dev/null; then
        echo "vm-ab $B $ATTACH error: splicewatch did not start: $(tail -n 2 /tmp/ab.err)"
        exit 1
    fi
    sleep 0.2
done
rc=0
for load in getppid pwrite splice; do
    n=$N
    [ "$load" = splice ] && n=$((N / 20))
    out=$(/sw/swbench ab "$swpid" "$load" /var/tmp "$n" "$ROUNDS" 2>&1) || rc=1
    echo "vm-ab $B $ATTACH $load ${out#ab load=$load }"
done
kill -INT "$swpid"
wait "$swpid" || rc=1
exit $rc
