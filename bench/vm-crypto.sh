#!/bin/bash
# bench/vm-crypto.sh - what the kernel-writer hooks cost a crypto request
# (issue 22): every AEAD and skcipher request is looked at, held pages or
# not. The test module (tests/kmod, built by tests/vm/kmod.sh for 6.1) times
# N AES-CTR requests in place on 64 bytes in the kernel: of a page of its own
# (a page of no file: the check stops at its mapping) and of a file's first
# page (its page cache, up to date, the file open for writing: the check
# reads the page's first words and the inode's write count). Each with no
# splicewatch and under `splicewatch trace` on each backend (and, with --old
# BINARY, under that splicewatch too: a build before a change), ROUNDS
# rounds in turn in one VM.
#
#   bench/vm-crypto.sh [--kernel 6.1] [--backends "fentry kprobe"] [-n N]
#                      [--rounds R] [--old BINARY]
#
# qemu TCG, one vCPU: absolute times mean little; the differences between
# the modes in one VM compare. Prints one line per round, mode and page, then
# the medians as a table for bench/results.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KERNEL=6.1
BACKENDS="fentry kprobe"
N=20000
ROUNDS=5
OLD=""
die() { echo "vm-crypto.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KERNEL=${2?}; shift 2 ;;
	--backends) BACKENDS=${2?}; shift 2 ;;
	-n) N=${2?}; shift 2 ;;
	--rounds) ROUNDS=${2?}; shift 2 ;;
	--old) OLD=${2?}; shift 2 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
for v in "$N" "$ROUNDS"; do
	case "$v" in ''|*[!0-9]*|0) die "-n and --rounds need a positive number" ;; esac
done
for b in $BACKENDS; do
	case "$b" in fentry|kprobe) ;; *) die "--backends takes fentry and kprobe, not '$b'" ;; esac
done
[ -x "$ROOT/splicewatch" ] || die "$ROOT/splicewatch missing (make)"
[ -z "$OLD" ] || [ -x "$OLD" ] || die "--old $OLD: not an executable"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$ROOT/tests/vm/kmod.sh" "$KERNEL" "$work/kmod" >/dev/null || die "the test module: $(cat "$work/kmod/status")"
files=(--file "$ROOT/splicewatch:/sw/splicewatch" --file "$work/kmod:/sw/kmod"
	--file "$ROOT/bench/vm-crypto-guest.sh" --file "$ROOT/tests/vm/guest-lib.sh")
[ -z "$OLD" ] || files+=(--file "$OLD:/sw/splicewatch-old")
! command -v bpftool >/dev/null || files+=(--file "$(command -v bpftool):/sw/bpftool")
t0=$(date +%s)
"$ROOT/tests/vm/run-in-vm.sh" --kernel "$KERNEL" --timeout 1800 -q "${files[@]}" -- \
	sh /sw/vm-crypto-guest.sh "$N" "$ROUNDS" "'$BACKENDS'" | tee "$work/out" | grep '^vm-crypto ' || true
echo "# $KERNEL: VM $(($(date +%s) - t0)) s"
grep -q '^vm-crypto .* error' "$work/out" && die "$(grep '^vm-crypto .* error' "$work/out" | head -n 1)"
echo
echo "| $KERNEL, median of $ROUNDS | ns a request, own page | file's page | the hook's ns a run, own page | file's page |"
echo "| --- | --- | --- | --- | --- |"
med() { # MODE PAGE FIELD: the median of its figures
	awk -v m="$1" -v p="$2" -v f="$3" '$1 == "vm-crypto" && $2 == m && $3 == p && $f != "" { print $f }' "$work/out" |
		sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'
}
awk '$1 == "vm-crypto" && $2 != "error" && !seen[$2]++ { print $2 }' "$work/out" | while read -r m; do
	echo "| $m | $(med "$m" own 4) | $(med "$m" file 4) | $(med "$m" own 5) | $(med "$m" file 5) |"
done
