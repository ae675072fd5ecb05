#!/bin/bash
# bench/vm-ab.sh - the syscall tax in the VM kernels (issue 21): A/B inside one
# process (swbench ab, programs attached and detached in turn) of the getppid,
# 16 B pwrite (nothing held) and splice loops, under `splicewatch trace` with
# each syscall attach (raw, none) on the fentry and kprobe backends (--loads:
# also sendfile, 64 KiB to an AF_UNIX socket with nothing held, and
# sendfile-held, the same while a pipe holds another file's pages: only then
# does the hand-off hook record the pages handed on), and the
# floor of none (floor: empty programs where none runs them for these loops,
# bench/empty.bpf.c).
#
#   bench/vm-ab.sh [--kernels "6.12 7"] [--backends "fentry kprobe"]
#                  [--attach "raw none floor"] [-n N] [--rounds R]
#                  [--loads "getppid pwrite splice sendfile sendfile-held"]
#
# qemu TCG, one vCPU: absolute times mean little there, ratios of phases inside
# one process still compare the attach methods (tests/vm/guest-runcount.sh
# counts the runs). One VM per kernel x backend runs every attach in turn.
# Prints one line per kernel, backend, attach and loop; the table for
# bench/results.md ("In the VM kernels") follows.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KERNELS="6.12 7"
BACKENDS="fentry kprobe"
ATTACHES="raw none floor"
N=200000
ROUNDS=12
LOADS="getppid pwrite splice"
die() { echo "vm-ab.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kernels) KERNELS=${2?}; shift 2 ;;
	--backends) BACKENDS=${2?}; shift 2 ;;
	--attach) ATTACHES=${2?}; shift 2 ;;
	-n) N=${2?}; shift 2 ;;
	--rounds) ROUNDS=${2?}; shift 2 ;;
	--loads) LOADS=${2?}; shift 2 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
for v in "$N" "$ROUNDS"; do
	case "$v" in ''|*[!0-9]*|0) die "-n and --rounds need a positive number" ;; esac
done
for a in $ATTACHES; do
	case "$a" in raw|none|floor) ;; *) die "--attach takes raw, none and floor, not '$a'" ;; esac
done
for l in $LOADS; do
	case "$l" in getppid|pwrite|splice|sendfile|sendfile-held) ;; *) die "--loads takes getppid, pwrite, splice, sendfile and sendfile-held, not '$l'" ;; esac
done
for f in "$ROOT/splicewatch" "$ROOT/bench/build/swbench" "$ROOT/bench/build/empty_loader" \
	"$ROOT/bench/build/empty.bpf.o"; do
	[ -e "$f" ] || die "$f missing (make splicewatch bench-build)"
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for k in $KERNELS; do
	for b in $BACKENDS; do
		cmd=""
		for a in $ATTACHES; do
			cmd="$cmd sh /sw/vm-ab-guest.sh $b $a $N $ROUNDS '$LOADS';"
		done
		t0=$(date +%s)
		"$ROOT/tests/vm/run-in-vm.sh" --kernel "$k" --timeout 1800 -q \
			--file "$ROOT/splicewatch" --file "$ROOT/bench/build/swbench" \
			--file "$ROOT/bench/build/empty_loader" --file "$ROOT/bench/build/empty.bpf.o" \
			--file "$ROOT/bench/vm-ab-guest.sh" --file "$ROOT/tests/vm/guest-lib.sh" -- "$cmd" |
			sed -n "s/^vm-ab /vm-ab $k /p" | tee -a "$out" || true
		echo "# $k $b: VM $(($(date +%s) - t0)) s"
	done
done
echo
names() { for l in $LOADS; do case "$l" in pwrite) printf ' pwrite 16 B |' ;; *) printf ' %s |' "$l" ;; esac; done; }
echo "| kernel | backend | syscall attach |$(names)"
echo "| --- | --- | --- |$(for l in $LOADS; do printf ' --- |'; done)"
awk -v loads="$LOADS" 'BEGIN { nl = split(loads, load, " "); for (i = 1; i <= nl; i++) want[load[i]] = 1 }
$5 in want {
	for (i = 6; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "ratio") r = kv[2];
		if (kv[1] == "min") lo = kv[2]; if (kv[1] == "max") hi = kv[2] }
	key = $2 " | " $3 " | " $4
	if (!(key in seen)) { seen[key] = 1; order[n++] = key }
	cell[key, $5] = sprintf("%.3fx (%.3f..%.3f)", r, lo, hi)
}
END { for (i = 0; i < n; i++) { k = order[i]; line = "| " k " |"
	for (j = 1; j <= nl; j++) line = line " " cell[k, load[j]] " |"
	print line } }' "$out"
if grep -q " error" "$out" || ! grep -q " ${LOADS%% *} " "$out"; then
	echo "vm-ab.sh: some runs failed (the error lines above)" >&2
	exit 1
fi
