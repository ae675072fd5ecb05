#!/usr/bin/env bash
# Runs every test suite against the real kernel and prints one closing line:
# "N passed, N failed". A suite prints "ok NAME" / "not ok NAME" per test.
set -u
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "tests load BPF programs: run them as root" >&2; exit 2; }
suites=("tests/build/swtest" "tests/build/swtest --enforce")
for s in tests/suites/*.sh; do [ -e "$s" ] && suites+=("$s"); done
# The kernel matrix: Debian 5.10, 6.1, 6.12 and 7.x under qemu with every
# backend; the trace, enforce, deny and ci suites, on 5.10 and 7.x also trace
# and deny on the second sources alone (tests/vm/make-test-matrix.sh says why). 5.10
# runs the compat programs (no bpf_loop); compat-kernel.sh checks what only
# they change. SW_VMTEST=0 skips it.
if [ "${SW_VMTEST:-1}" != 0 ]; then
	suites+=("tests/vm/make-test-matrix.sh" "tests/vm/compat-kernel.sh")
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for s in "${suites[@]}"; do
	echo "== $s"
	before=$(grep -c '^not ok ' "$log")
	$s 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	# A suite that failed without saying which test failed still fails the run.
	if [ "$rc" != 0 ] && [ "$(grep -c '^not ok ' "$log")" = "$before" ]; then
		echo "not ok suite '$s' exited with status $rc" | tee -a "$log"
	fi
done
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
echo
grep '^not ok ' "$log" | sed 's/^/  /'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
