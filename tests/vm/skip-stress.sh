#!/usr/bin/env bash
# tests/vm/skip-stress.sh - how many unsafe writes splicewatch detects while
# the kernel skips syscall-hook runs (6.14+, README "Known limit").
#
#   skip-stress.sh [--kernel 7] [--backends "tracepoint fentry kprobe"] [-n 2000]
#                  [--modes "write tee vmsplice resize p2p"]
#                  [--backup-hooks "0 auto"] [--no-storm] [--drop enter,exit]
#
# One VM (1 vCPU) per backend, in parallel. In each, for every --backup-hooks
# setting (SPLICEWATCH_BACKUP_HOOKS: 0 off, 1 on, auto as the kernel asks),
# splicewatch trace runs while `dd if=/dev/zero of=/dev/null bs=1` storms
# syscalls and tests/build/skip_stress makes N unsafe writes per mode and
# filesystem (tmpfs, ext4). Prints "result ..." lines (expected vs detected),
# the kernel's skipped runs per program, and a table. --drop makes splicewatch
# act as if every sys_enter / sys_exit run were skipped (SPLICEWATCH_TEST_DROP).
# Exit 0 when every count matched.
set -u
cd "$(dirname "$0")/../.."
KERNEL=7
BACKENDS="tracepoint fentry kprobe"
N=2000
MODES="write tee vmsplice resize p2p"
SETTINGS="0 auto"
STORM=1
DROP=""
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) KERNEL=$2; shift 2 ;;
        --backends) BACKENDS=$2; shift 2 ;;
        -n) N=$2; shift 2 ;;
        --modes) MODES=$2; shift 2 ;;
        --backup-hooks) SETTINGS=$2; shift 2 ;;
        --no-storm) STORM=0; shift ;;
        --drop) DROP=$2; shift 2 ;;
        *) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
    esac
done
make -s splicewatch tests/build/skip_stress >/dev/null || exit 1
out=$(mktemp -d)
for b in $BACKENDS; do
    bash tests/vm/run-in-vm.sh -q --kernel "$KERNEL" --timeout 3000 --disk-size 512 \
        --file splicewatch --file tests/build/skip_stress --file "$(command -v bpftool)" \
        --file tests/vm/guest-skip-stress.sh --file tests/vm/guest-lib.sh \
        -- sh /sw/guest-skip-stress.sh "$b" "$N" "'$MODES'" "'$SETTINGS'" "$STORM" "'$DROP'" \
        > "$out/$b.log" 2>&1 &
done
wait
fail=0
for b in $BACKENDS; do
    echo "== $KERNEL/$b"
    grep -v '^result' "$out/$b.log"
    grep '^result' "$out/$b.log" | sed "s|^result|result $KERNEL/$b|"
    if ! grep -q '^result' "$out/$b.log" ||
       grep '^result' "$out/$b.log" | awk '$6 != $8 { bad = 1 } END { exit !bad }'; then
        fail=1
    fi
done
echo "logs: $out"
exit $fail
