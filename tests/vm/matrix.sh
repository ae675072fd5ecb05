#!/usr/bin/env bash
# tests/vm/matrix.sh - run one guest command on several kernels (placeholder:
# the guest test command is to be defined by the test suite).
#
#   tests/vm/matrix.sh [-v] [-j N] [--kernels "5.10 6.1 6.12 7"] [--logs DIR]
#                      [run-in-vm.sh options...] -- GUEST_COMMAND...
#
# Kernels default to ${SW_VM_KERNELS:-5.10 6.1 6.12 7} (fetched when missing).
# Each kernel's guest output goes to DIR/<name>.log, run-in-vm's stderr
# (kernel console on failures; SW_VM_VERBOSE=1 for always) to DIR/<name>.err
# (default DIR: a temp dir, kept and printed for failures); -v prints the
# guest output of passing kernels too; -j N runs N VMs at a time (default 1).
# Prints one line per kernel and a final "N passed, N failed" line; exits 0
# only if the command succeeded on every kernel.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KERNELS=${SW_VM_KERNELS:-5.10 6.1 6.12 7}
JOBS=1
LOGS=""
VERBOSE=0
PASS=()
while [ $# -gt 0 ]; do
    case "$1" in
        -v) VERBOSE=1; shift ;;
        -j) JOBS=${2:?}; shift 2 ;;
        --kernels) KERNELS=${2:?}; shift 2 ;;
        --logs) LOGS=${2:?}; shift 2 ;;
        --) break ;;
        --keep|-q|--quiet) PASS+=("$1"); shift ;;
        *) PASS+=("$1" "${2:?missing value for $1}"); shift 2 ;;
    esac
done
[ "${1:-}" = "--" ] || { echo "matrix.sh: usage: matrix.sh [options] -- GUEST_COMMAND..." >&2; exit 2; }

# fetch serially first (quiet when cached)
"$HERE/kernels.sh" fetch $KERNELS >&2 || { echo "matrix.sh: kernel fetch failed" >&2; exit 125; }

CLEAN=""
if [ -z "$LOGS" ]; then LOGS=$(mktemp -d "${TMPDIR:-/tmp}/sw-matrix.XXXXXXXX"); CLEAN=$LOGS; fi
mkdir -p "$LOGS"

run_one() { # name
    local k=$1 rc=0 t0 t1
    shift
    t0=$(date +%s)
    "$HERE/run-in-vm.sh" --kernel "$k" ${PASS[@]+"${PASS[@]}"} "$@" > "$LOGS/$k.log" 2> "$LOGS/$k.err" || rc=$?
    t1=$(date +%s)
    echo "$rc $((t1 - t0))" > "$LOGS/$k.rc"
}

running=0
for k in $KERNELS; do
    run_one "$k" "$@" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

passed=0; failed=0
for k in $KERNELS; do
    read -r rc secs < "$LOGS/$k.rc" || { rc=125; secs=0; }
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1)); echo "PASS kernel $k (${secs}s)"
        [ "$VERBOSE" = 1 ] && sed 's/^/    /' "$LOGS/$k.log"
    else
        failed=$((failed + 1)); echo "FAIL kernel $k: status $rc (${secs}s), logs $LOGS/$k.{log,err}"
        sed 's/^/    /' "$LOGS/$k.log" "$LOGS/$k.err"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ -n "$CLEAN" ] && rm -rf "$CLEAN"
[ "$failed" = 0 ]
