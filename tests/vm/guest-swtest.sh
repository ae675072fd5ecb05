#!/bin/sh
# tests/vm/guest-swtest.sh - runs inside a VM (busybox sh), started by matrix.sh:
#
#   guest-swtest.sh BACKEND SUITES [GLOB]
#
# SUITES: any of "trace", "enforce", "deny" (enforce --action deny), "ci"
# (guest-ci.sh), "verify" (guest-verify.sh: trace --verify), "runcount" (guest-runcount.sh: program runs per 1,000,000
# unrelated syscalls), and "trace-noenter", "deny-noenter": trace and deny with every
# run of the first sys_enter dropped (SPLICEWATCH_TEST_DROP=enter), as if the
# kernel had skipped them all: what the backup hooks (the backup sys_enter on
# the tracepoint backend) catch on their own, forced on (SPLICEWATCH_BACKUP_HOOKS=1)
# where the kernel never skips runs and so would not load them; and
# "deny-refused", for a kernel with BPF LSM active that cannot attach its
# programs (Debian's 6.1 arm64: no BPF trampolines): --action deny exits 2
# before anything runs and says why and what to pass instead. Expects
# /sw/splicewatch, /sw/swtest, /sw/guest-ci.sh and /sw/ci_workload (and for
# runcount /sw/guest-runcount.sh and /sw/runcount). Prints
# section markers ("@@ features", "@@ suite trace", "@@ status trace N",
# "@@ vv", "@@ taint N" (/proc/sys/kernel/tainted at the end), "@@ end") that
# matrix.sh parses, and swtest's plan and "ok"/"not ok" lines unchanged. When a suite cannot start (BPF programs do not
# load), the failing program's verifier log from `splicewatch -vv` follows
# "@@ vv" and no further suite runs.
B=$1
SUITES=$2
GLOB=$3
SW=/sw/splicewatch

# deny-refused: TAP lines on stdout; status 1 when one failed.
deny_refused() {
    p=0 f=0
    t() {
        if [ "$1" = 0 ]; then echo "ok deny-refused/$2"; p=$((p + 1))
        else echo "not ok deny-refused/$2: $3"; f=$((f + 1)); fi
    }
    echo "1..3"
    timeout 300 "$SW" enforce --action deny --backend "$B" > /tmp/dr.out 2> /tmp/dr.err
    rc=$?
    [ "$rc" = 2 ]
    t $? exits_2_without_running "exit status $rc, want 2: $(head -n 2 /tmp/dr.err)"
    grep -q 'needs BPF LSM: the kernel loads the BPF LSM programs but cannot attach them (error 524: no BPF trampolines); deny needs a kernel with BPF trampolines' /tmp/dr.err &&
        grep -q -- 'or pass --fallback kill|dry-run; nothing was loaded' /tmp/dr.err
    t $? names_the_cause_and_the_fallback "$(head -n 2 /tmp/dr.err)"
    [ ! -s /tmp/dr.out ] && [ "$(wc -l < /tmp/dr.err)" = 1 ]
    t $? one_line_and_nothing_of_libbpf "stdout $(wc -c < /tmp/dr.out) bytes; stderr: $(head -n 3 /tmp/dr.err)"
    echo "# deny-refused: $p passed, $f failed"
    [ "$f" = 0 ]
}

echo "@@ features"
"$SW" features 2>&1 | head -n 40
echo "@@ uname $(uname -r) cpus $(grep -c ^processor /proc/cpuinfo)"

for s in $SUITES; do
    drop=""
    backup_hooks=""
    case "$s" in
        trace) flag="" ;;
        enforce) flag="--enforce" ;;
        # No --fallback: every matrix kernel has BPF LSM active (5.10 through
        # lsm=, kernels.sh); without it enforce exits 2 and the suite fails
        # instead of testing kill under the name deny.
        deny) flag="--deny" ;;
        ci|verify|runcount) flag="" ;;
        trace-noenter) flag=""; drop=enter; backup_hooks=1 ;;
        deny-noenter) flag="--deny"; drop=enter; backup_hooks=1 ;;
        deny-refused) flag="" ;;
        *) echo "@@ status $s 2"; continue ;;
    esac
    echo "@@ suite $s"
    t0=$(cut -d' ' -f1 /proc/uptime)
    if [ "$s" = ci ]; then
        sh /sw/guest-ci.sh "$B" "$GLOB" > /tmp/swtest.out 2>&1
    elif [ "$s" = verify ]; then
        sh /sw/guest-verify.sh "$B" "$GLOB" > /tmp/swtest.out 2>&1
    elif [ "$s" = deny-refused ]; then
        deny_refused > /tmp/swtest.out 2>&1
    elif [ "$s" = runcount ]; then
        sh /sw/guest-runcount.sh "$B" > /tmp/swtest.out 2>&1
    else
        # shellcheck disable=SC2086
        SPLICEWATCH_TEST_DROP=$drop SPLICEWATCH_BACKUP_HOOKS=$backup_hooks /sw/swtest $flag --splicewatch "$SW" --backend "$B" \
            ${GLOB:+"$GLOB"} > /tmp/swtest.out 2>&1
    fi
    rc=$?
    cat /tmp/swtest.out
    echo "@@ status $s $rc uptime $t0 $(cut -d' ' -f1 /proc/uptime)"
    if grep -q '^not ok start-up' /tmp/swtest.out; then
        # cannot load: keep the verifier's verdict, skip the other suites
        echo "@@ vv $s"
        mode=trace; [ -n "$flag" ] && mode=enforce
        timeout 30 "$SW" -vv "$mode" --backend "$B" > /tmp/vv.log 2>&1
        grep -E "program load failed|failed to load|BEGIN PROG LOAD LOG|END PROG LOAD LOG|^splicewatch:|failed to (find|attach|create|resolve)" /tmp/vv.log | grep -v 'BPF token' | head -n 20
        echo "@@ vvlog"
        # the verifier log proper: its last 40 lines
        sed -n '/BEGIN PROG LOAD LOG/,/END PROG LOAD LOG/p' /tmp/vv.log | tail -n 40
        break
    fi
done
echo "@@ taint $(cat /proc/sys/kernel/tainted)"
echo "@@ end"
