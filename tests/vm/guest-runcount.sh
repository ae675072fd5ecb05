#!/bin/sh
# tests/vm/guest-runcount.sh - runs inside a VM (busybox sh), for the "runcount"
# suite of matrix.sh (guest-swtest.sh):
#
#   guest-runcount.sh BACKEND [N]
#
# What an unrelated syscall costs (issue 21): `splicewatch trace --backend
# BACKEND` runs while /sw/runcount makes N (1,000,000) getppid calls with
# kernel.bpf_stats_enabled on, and reads every program's run count before and
# after (then 1000 one-byte pwrites, the positive control: a watched syscall),
# splicewatch itself stopped meanwhile (SIGSTOP; its programs stay attached).
# TAP: the instrument counts (the control ran programs), and what the runs of
# the getppid loop must be for the backend's syscall attach (`features`):
#   raw          sw_sys_enter and sw_sys_exit ran at least N times each
#   per-syscall  no program ran N times
#   none         no program ran at all
# With SPLICEWATCH_SYSCALL_ATTACH set (matrix.sh --env), features must name
# that attach for BACKEND first; unset, fentry and kprobe on 5.17+ must say none.
# The figures follow as "# runcount: prog NAME RUNS" comments, and
# "# runcount: N passed, N failed" ends the suite.
B=$1
N=${2:-1000000}
SW=/sw/splicewatch
. /sw/guest-lib.sh
pass=0
fail=0
tap() { # ok|fail NAME [why]
    if [ "$1" = ok ]; then echo "ok $2"; pass=$((pass + 1))
    else echo "not ok $2${3:+: $3}"; fail=$((fail + 1)); fi
}
finish() {
    echo "1..$((pass + fail))"
    echo "# runcount: $pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit
}

attach=$("$SW" features | sed -n 's/^syscall attach: *//p' | tr ',' '\n' |
    awk -v b="$B" '{ sub(/:$/, "", $1) } $1 == b { print $2 }')
echo "# runcount: $B syscall attach: ${attach:-unknown}"
# Asked for (matrix.sh --env SPLICEWATCH_SYSCALL_ATTACH=raw): a cell that
# means to test raw must not pass on none because the ask got lost.
if [ -n "${SPLICEWATCH_SYSCALL_ATTACH:-}" ]; then
    if [ "$attach" = "$SPLICEWATCH_SYSCALL_ATTACH" ]; then tap ok syscall_attach_is_the_one_asked_for
    else tap fail syscall_attach_is_the_one_asked_for \
        "SPLICEWATCH_SYSCALL_ATTACH=$SPLICEWATCH_SYSCALL_ATTACH, features says '${attach}' for $B"; fi
fi
# Unasked, fentry and kprobe on 5.17 and later (the main programs) attach no
# syscall tracepoint: a kernel function gone missing (renamed, inlined) falls
# back to raw, and must not do so unnoticed.
if [ -z "${SPLICEWATCH_SYSCALL_ATTACH:-}" ] && [ "$B" != tracepoint ]; then
    v=$(uname -r) maj=${v%%.*} min=${v#*.}
    min=${min%%[!0-9]*}
    if [ "$maj" -gt 5 ] || { [ "$maj" = 5 ] && [ "$min" -ge 17 ]; }; then
        if [ "$attach" = none ]; then tap ok default_syscall_attach_is_none
        else tap fail default_syscall_attach_is_none "features says '${attach}' for $B on $v"; fi
    fi
fi

"$SW" trace --backend "$B" --json -o /tmp/runcount.events 2> /tmp/runcount.err &
swpid=$!
if ! sw_wait_for "Ctrl-C to stop" /tmp/runcount.err "$swpid"; then
    tap fail started "splicewatch trace did not report ready: $(tail -n 1 /tmp/runcount.err)"
    kill "$swpid" 2>/dev/null
    finish
fi
tap ok started

# splicewatch stopped for the count, its programs attached: its own loop
# (the heartbeat, GC) would add runs of its own.
kill -STOP "$swpid"
/sw/runcount "$N" /var/tmp/runcount.dat > /tmp/runcount.out 2> /tmp/runcount.stderr
rc=$?
kill -CONT "$swpid"
kill -INT "$swpid"
wait "$swpid"
if [ "$rc" != 0 ]; then
    tap fail instrument_ran "runcount status $rc: $(cat /tmp/runcount.stderr)"
    finish
fi
sed 's/^/# runcount: /' /tmp/runcount.out

# runs of one program (by its name, 15 characters at most) in a section
runs() { awk -v t="$1" -v p="$2" '$1 == t && $3 == p { n += $4 } END { print n + 0 }' /tmp/runcount.out; }
control=$(awk '$1 == "control" { n += $4 } END { print n + 0 }' /tmp/runcount.out)
if [ "$control" -ge 1000 ]; then tap ok instrument_counts_the_runs_of_a_watched_write
else tap fail instrument_counts_the_runs_of_a_watched_write "1000 pwrites ran $control programs"; fi

loop=$(awk '$1 == "prog" { n += $4 } END { print n + 0 }' /tmp/runcount.out)
most=$(awk '$1 == "prog" && $4 > n { n = $4 } END { print n + 0 }' /tmp/runcount.out)
case "$attach" in
raw)
    enter=$(runs prog sw_sys_enter) exit=$(runs prog sw_sys_exit)
    if [ "$enter" -ge "$N" ] && [ "$exit" -ge "$N" ]; then
        tap ok raw_attach_runs_sys_enter_and_sys_exit_per_unrelated_syscall
    else
        tap fail raw_attach_runs_sys_enter_and_sys_exit_per_unrelated_syscall \
            "$N getppid: sw_sys_enter $enter, sw_sys_exit $exit runs"
    fi ;;
per-syscall)
    if [ "$most" -lt "$N" ]; then tap ok per_syscall_attach_runs_no_program_per_unrelated_syscall
    else tap fail per_syscall_attach_runs_no_program_per_unrelated_syscall \
        "$N getppid: a program ran $most times"; fi ;;
none)
    if [ "$loop" = 0 ]; then tap ok unrelated_syscalls_run_no_program
    else tap fail unrelated_syscalls_run_no_program "$N getppid: $loop program runs"; fi ;;
*)
    tap fail syscall_attach_known "features says '${attach}' for $B" ;;
esac
finish
