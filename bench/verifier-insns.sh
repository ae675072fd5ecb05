#!/usr/bin/env bash
# bench/verifier-insns.sh - the verifier's processed-instruction count of every
# program splicewatch loads, per kernel x backend (SPLICEWATCH_VERIFIER_STATS=1).
#
#   verifier-insns.sh [--kernels "host 5.10 6.1 6.12 7"] [--backends "tracepoint fentry kprobe"]
#                     [--backup-hooks "auto 1"] [--binary PATH] [--timeout SECS]
#   verifier-insns.sh --compare BEFORE.tsv AFTER.tsv
#
# Prints one TSV line per loaded program: kernel backend backup_hooks program insns.
# "host" is the running kernel; the others boot under qemu (tests/vm/run-in-vm.sh).
# backend "stats" is the stats object (`splicewatch stats`). --backup-hooks
# "auto" leaves SPLICEWATCH_BACKUP_HOOKS unset (the kernel decides), "1" loads
# the backup hooks (and the tracepoint backend's backup syscall hooks) too.
# It loads BPF programs and boots VMs: run it under the test lock,
#   flock /tmp/splicewatch-test.lock bench/verifier-insns.sh ...
# --compare joins two such outputs: before, after and the change in percent;
# rows over +10% are marked WORSE.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
KERNELS="host 5.10 6.1 6.12 7"
BACKENDS="tracepoint fentry kprobe"
BACKUP_HOOKS="auto 1"
BINARY="$ROOT/splicewatch"
TIMEOUT=900

usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

compare() {
    awk -F'\t' '
        NR == FNR { k = $1 FS $2 FS $3 FS $4; before[k] = $5; order[++n] = k; next }
        { k = $1 FS $2 FS $3 FS $4; after[k] = $5; if (!(k in before)) order[++n] = k }
        END {
            printf "%-6s %-10s %-4s %-34s %9s %9s %8s\n", "kernel", "backend", "red", "program", "before", "after", "change"
            for (i = 1; i <= n; i++) {
                k = order[i]; split(k, f, FS)
                b = (k in before) ? before[k] : "-"; a = (k in after) ? after[k] : "-"
                ch = "-"; mark = ""
                if (b != "-" && a != "-" && b > 0) {
                    ch = sprintf("%+.1f%%", 100 * (a - b) / b)
                    if (a > b * 1.10) mark = "  WORSE"
                }
                printf "%-6s %-10s %-4s %-34s %9s %9s %8s%s\n", f[1], f[2], f[3], f[4], b, a, ch, mark
            }
        }' "$1" "$2"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --kernels) KERNELS=${2:?}; shift 2 ;;
        --backends) BACKENDS=${2:?}; shift 2 ;;
        --backup-hooks) BACKUP_HOOKS=${2:?}; shift 2 ;;
        --binary) BINARY=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --compare) compare "${2:?}" "${3:?}"; exit 0 ;;
        -h|--help) usage ;;
        *) echo "verifier-insns: unknown argument '$1'" >&2; usage 2 >&2 ;;
    esac
done
[ -x "$BINARY" ] || { echo "verifier-insns: no binary at $BINARY (make first)" >&2; exit 2; }

# The commands, as one sh script (the guest has busybox sh): a "@@ backend
# backup_hooks" line before each, the verifier lines after.
script() {
    local bin=$1 b r
    for b in $BACKENDS; do
        for r in $BACKUP_HOOKS; do
            echo "echo '@@ $b $r'; SPLICEWATCH_BACKUP_HOOKS=$r SPLICEWATCH_VERIFIER_STATS=1 $bin ci -q --backend $b -- true 2>&1;"
        done
    done
    echo "echo '@@ stats -'; SPLICEWATCH_VERIFIER_STATS=1 timeout 20 $bin stats --count 1 --interval 0.1 2>&1 >/dev/null;"
}

# "splicewatch: verifier: PROG N insns" -> kernel backend backup_hooks PROG N
parse() {
    awk -v k="$1" '
        /^@@ / { b = $2; r = $3; next }
        /^splicewatch: verifier: / && $5 == "insns" { printf "%s\t%s\t%s\t%s\t%s\n", k, b, r, $3, $4 }'
}

for k in $KERNELS; do
    if [ "$k" = host ]; then
        sh -c "$(script "$BINARY")" | parse host || true
    else
        "$ROOT/tests/vm/run-in-vm.sh" -q --kernel "$k" --timeout "$TIMEOUT" \
            --file "$BINARY:/sw/splicewatch" -- "$(script /sw/splicewatch)" | parse "$k" || true
    fi
done
