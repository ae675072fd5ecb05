#!/usr/bin/env bash
# Runs every test suite against the real kernel and prints one closing line:
# "N passed, N failed". A suite prints "ok NAME" / "not ok NAME" per test.
set -u
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "tests load BPF programs: run them as root" >&2; exit 2; }
suites=(tests/build/swtest)
for s in tests/suites/*.sh; do [ -e "$s" ] && suites+=("$s"); done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for s in "${suites[@]}"; do
	echo "== $s"
	"$s" 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		echo "not ok suite $s exited with status $rc" | tee -a "$log"
		status=1
	fi
done
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
echo
grep '^not ok ' "$log" | sed 's/^/  /'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ] && [ "$status" = 0 ]
