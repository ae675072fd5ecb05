# tests/vm/kernel-trouble.sh - sourced by matrix.sh, compat-kernel.sh and
# arm64-stats.sh: did the guest kernel itself go wrong? Not a script of its own.
#
#   kernel_trouble CONSOLE LOG   prints why ("" when nothing): the first line
#                                of CONSOLE (run-in-vm.sh --console, booted
#                                with loglevel=5 so that WARN_ON's pr_warn
#                                reaches it) matching KERNEL_BAD, else the
#                                taint flags of LOG's "@@ taint N" line (the
#                                guest's /proc/sys/kernel/tainted at its end)

KERNEL_BAD='WARNING:|BUG:|BUG kernel|kernel BUG at|Oops|general protection fault|KASAN|UBSAN|RCU stall|rcu: INFO|detected stall|self-detected stall|soft lockup|hard LOCKUP|blocked for more than [0-9]+ seconds|Kernel panic|Call Trace:|list_(add|del) corruption|refcount_t: |Bad page|bad page state'
# M(4) machine check, B(5) bad page, D(7) oops, W(9) warning, L(14) soft lockup
TAINT_BAD=$(( (1 << 4) | (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14) ))

kernel_trouble() { # console-file log-file
    local line taint
    if [ ! -s "$1" ]; then echo "no kernel console log"; return; fi
    line=$(grep -a -m1 -E "$KERNEL_BAD" "$1" | cut -c1-240)
    if [ -n "$line" ]; then echo "kernel console: $line"; return; fi
    taint=$(sed -n 's/^@@ taint \([0-9]*\)$/\1/p' "$2" | tail -n1)
    if [ -z "$taint" ]; then echo "no taint flags from the guest (@@ taint)"; return; fi
    if (( taint & TAINT_BAD )); then
        echo "kernel tainted $taint (/proc/sys/kernel/tainted: a warning, oops, bad page or lockup)"
    fi
}

# vm_verdict NAME VMRC CONSOLE OUT: the TAP line of one VM: "ok NAME" when
# run-in-vm.sh exited 0 (VMRC) and kernel_trouble finds nothing in CONSOLE
# and the guest's output OUT; else "not ok NAME: why" and status 1.
vm_verdict() {
    local trouble
    printf '%s\n' "$4" > "$3.log"
    trouble=$(kernel_trouble "$3" "$3.log")
    rm -f "$3.log"
    if [ "$2" != 0 ]; then
        echo "not ok $1: VM status $2 (124: timeout, 125: no exit marker)${trouble:+; $trouble}"
        return 1
    fi
    if [ -n "$trouble" ]; then
        echo "not ok $1: $trouble"
        return 1
    fi
    echo "ok $1"
}
