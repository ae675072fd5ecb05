#!/bin/sh
# tests/vm/guest-skip-stress.sh - runs inside a VM for skip-stress.sh:
#
#   guest-skip-stress.sh BACKEND N "MODES" "BACKUP_HOOKS..." STORM [DROP]
#
# For each BACKUP_HOOKS setting (auto, 0, 1: SPLICEWATCH_BACKUP_HOOKS), starts
# `splicewatch trace --json`, optionally a syscall storm (dd bs=1), runs
# skip_stress MODE N on tmpfs and ext4 for each MODE, and prints one line per
# MODE and filesystem: "result BACKUP_HOOKS MODE FS expected E detected D", then
# the kernel's skipped runs per program and splicewatch's summary.
B=$1
N=$2
MODES=$3
SETTINGS=$4
STORM=$5
DROP=$6
SW=/sw/splicewatch
. /sw/guest-lib.sh
echo 1 > /proc/sys/kernel/bpf_stats_enabled

"$SW" features 2>&1 | grep -E '^(kernel|backend|syscall tps|backup hooks)'
echo "@@ cpus $(grep -c ^processor /proc/cpuinfo)"
for r in $SETTINGS; do
    rm -f /tmp/ev.json /tmp/sw.err
    if [ "$r" = auto ]; then unset SPLICEWATCH_BACKUP_HOOKS; else export SPLICEWATCH_BACKUP_HOOKS=$r; fi
    if [ -n "$DROP" ]; then export SPLICEWATCH_TEST_DROP=$DROP; fi
    t0=$(cut -d' ' -f1 /proc/uptime)
    "$SW" -v trace --json -o /tmp/ev.json --backend "$B" 2>/tmp/sw.err &
    swpid=$!
    if ! sw_wait_for 'Ctrl-C to stop' /tmp/sw.err "$swpid"; then
        echo "@@ splicewatch did not start"; cat /tmp/sw.err; exit 1
    fi
    echo "@@ backup_hooks=$r ready after $(awk -v a="$t0" '{print $1 - a}' /proc/uptime) s"
    grep -E 'backup hooks' /tmp/sw.err
    if [ "$STORM" = 1 ]; then
        dd if=/dev/zero of=/dev/null bs=1 2>/dev/null &
        storm=$!
    fi
    t0=$(cut -d' ' -f1 /proc/uptime)
    for m in $MODES; do
        for fs in /tmp /var/tmp; do
            /sw/skip_stress "$m" "$N" "$fs/ss-$m.dat" > /dev/null || echo "@@ skip_stress $m $fs failed"
        done
    done
    echo "@@ workload took $(awk -v a="$t0" '{print $1 - a}' /proc/uptime) s"
    sleep 1
    echo "@@ skipped runs per program (bpftool: recursion_misses)"
    bpftool prog show 2>/dev/null | sed -n 's/.*name \([^ ]*\).*recursion_misses \([0-9]*\).*/  \1 \2/p'
    echo "@@ runs and mean ns per run (bpf_stats; TCG: relative figures only)"
    bpftool prog show 2>/dev/null | sed -n 's/.*name \(sw_[^ ]*\).*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2 \3/p' |
        awk '$3 > 0 { printf "  %-36s %10d runs %8.0f ns\n", $1, $3, $2 / $3 }'
    [ "$STORM" = 1 ] && kill $storm
    kill -INT $swpid
    wait $swpid
    grep -E 'unsafe writes detected|skipped|note' /tmp/sw.err
    for m in $MODES; do
        for fs in /tmp /var/tmp; do
            d=$(grep -c "\"path\":\"$fs/ss-$m.dat\"" /tmp/ev.json)
            echo "result $r $m $fs expected $N detected $d"
        done
    done
    echo "@@ ops: $(sed -n 's/.*"op":"\([a-z_0-9]*\)".*/\1/p' /tmp/ev.json | sort | uniq -c | tr '\n' ' ')"
done
