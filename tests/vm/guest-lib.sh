#!/bin/sh
# tests/vm/guest-lib.sh - sourced by the scripts that run inside a VM (busybox
# sh) and start splicewatch or a loader in the background: guest-runcount.sh,
# guest-skip-stress.sh, bench/vm-ab-guest.sh. Their harness copies it to
# /sw/guest-lib.sh (run-in-vm.sh --file).

# sw_wait_for PATTERN FILE PID: until FILE (the program's stderr) has a line
# matching PATTERN. False as soon as PID is gone, or after 600 s (TCG is slow
# to load and verify a whole object).
sw_wait_for() {
    _sw_i=0
    while ! grep -q "$1" "$2" 2>/dev/null; do
        _sw_i=$((_sw_i + 1))
        if [ "$_sw_i" -gt 3000 ] || ! kill -0 "$3" 2>/dev/null; then
            return 1
        fi
        sleep 0.2
    done
}
