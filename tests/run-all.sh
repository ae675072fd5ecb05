#!/usr/bin/env bash
# Runs every test suite against the real kernel and prints one closing line,
# alone on its line: "N passed, N failed" (", N skipped" when tests skipped),
# after a table of each suite's wall time, longest first.
#
#   tests/run-all.sh              the suites of `make test` (as root)
#   tests/run-all.sh SUITE...     these commands instead (tests/suites/aggregator.sh
#                                 runs it on fixture suites)
#
# The protocol every suite keeps (TAP): exactly one plan line "1..N", first or
# last, then per test "ok NAME", "not ok NAME[: why]" or "ok NAME # SKIP cause"
# (a cause outside the product: a missing tool); its exit status is non-zero
# iff a test failed. A suite that breaks it fails here, with a line of its own,
# "not ok suite/NAME: why": no plan or more than one, a plan between tests, more
# or fewer tests than planned, a plan of 0, no output at all, a non-zero exit
# without a "not ok" line (a crash), or exit 0 with a "not ok" line.
#
# Strict by default: on a machine set up by `make deps` nothing may skip, so a
# skipped test counts as failed (listed as "not ok ... skipped"). SW_ALLOW_SKIP=1
# (a partial machine) counts skips apart instead. SW_VMTEST=0 leaves out the
# kernel matrix: said so, and counted as one skipped line (a failure when strict).
set -u
cd "$(dirname "$0")/.." || exit 2
strict=1
[ "${SW_ALLOW_SKIP:-0}" = 1 ] && strict=0
if [ $# -gt 0 ]; then
	suites=("$@")
	vm=given
	[ "${SW_VMTEST:-1}" = 0 ] && vm=off	# the notice, testable without the matrix
else
	[ "$(id -u)" = 0 ] || { echo "tests load BPF programs: run them as root" >&2; exit 2; }
	suites=("tests/build/swtest" "tests/build/swtest --enforce")
	for s in tests/suites/*.sh; do [ -e "$s" ] && suites+=("$s"); done
	# The kernel matrix: Debian 5.10, 6.1, 6.12 and 7.x under qemu with every
	# backend; the trace, enforce, deny and ci suites, on 5.10 and 7.x also trace
	# and deny on the backup hooks alone (tests/vm/make-test-matrix.sh says why).
	# 5.10 runs the compat programs (no bpf_loop); compat-kernel.sh checks what
	# only they change. systemd-boot.sh: splicewatch.service under a real
	# systemd (6.12, a cached Debian root file system; about 25 s of VM).
	# The matrix has arm64 guests too; arm64-features.sh and arm64-stats.sh:
	# `features` and `stats` there. page-address.sh: where a held page's
	# bytes are, on every kernel of the matrix.
	# SW_VMTEST=0 leaves it out (and says so).
	if [ "${SW_VMTEST:-1}" != 0 ]; then
		suites+=("tests/vm/make-test-matrix.sh" "tests/vm/arm64-features.sh" "tests/vm/arm64-stats.sh" "tests/vm/compat-kernel.sh"
			"tests/vm/page-address.sh" "tests/vm/systemd-boot.sh")
		vm=on
	else
		vm=off
	fi
fi

log=$(mktemp)		# every counted line: "ok ...", "not ok ...", "skip ..."
out=$(mktemp)		# one suite's output
trap 'rm -f "$log" "$out"' EXIT

# suite_name CMD: tests/suites/ci.sh -> ci, "tests/build/swtest --enforce" -> swtest--enforce
suite_name() {
	local n=${1%% *} rest=""
	n=${n##*/}
	n=${n%.sh}
	[ "$1" = "${1%% *}" ] || rest=${1#* }
	printf '%s%s' "$n" "${rest// /}"
}

# aggregator_fail NAME WHY: the aggregator's own failure line for a suite.
aggregator_fail() {
	echo "not ok suite/$1: $2" | tee -a "$log"
}

times=()		# "SECONDS NAME" per suite, for the closing table
run_start=$SECONDS
for s in "${suites[@]}"; do
	name=$(suite_name "$s")
	echo "== $s"
	t0=$SECONDS
	# shellcheck disable=SC2086
	$s 2>&1 </dev/null | tee "$out"
	rc=${PIPESTATUS[0]}
	# The plan: how many, the last one's N, and whether one came after a test
	# and before another (between tests).
	read -r plans planned plan_mid <<<"$(awk '
		/^1\.\.[0-9]+[ \t]*$/ { n++; planned = substr($0, 4) + 0; if (tests) after_tests = 1; next }
		/^(not )?ok / { tests++; if (after_tests) mid = 1 }
		END { print n + 0, planned + 0, mid + 0 }' "$out")"
	ran=$(grep -cE '^(not )?ok ' "$out")
	nok=$(grep -c '^not ok ' "$out")
	skips=$(grep -cE '^ok [^#]*#[ \t]*[Ss][Kk][Ii][Pp]([ \t]|$)' "$out")
	grep '^not ok ' "$out" >>"$log"
	grep -E '^ok ' "$out" | grep -vE '^ok [^#]*#[ \t]*[Ss][Kk][Ii][Pp]([ \t]|$)' >>"$log"
	grep -E '^ok [^#]*#[ \t]*[Ss][Kk][Ii][Pp]([ \t]|$)' "$out" | sed 's/^ok /skip /' >>"$log"
	if [ ! -s "$out" ]; then
		aggregator_fail "$name" "printed nothing (exit status $rc)"
	elif [ "$plans" = 0 ]; then
		aggregator_fail "$name" "printed no plan (1..N); $ran tests ran, exit status $rc"
	elif [ "$plans" != 1 ]; then
		aggregator_fail "$name" "printed $plans plan lines, want exactly one"
	elif [ "$plan_mid" = 1 ]; then
		aggregator_fail "$name" "its plan stands between tests (first or last only)"
	elif [ "$planned" = 0 ]; then
		aggregator_fail "$name" "planned 0 tests"
	elif [ "$ran" != "$planned" ]; then
		aggregator_fail "$name" "ran $ran tests, planned $planned (exit status $rc)"
	fi
	if [ "$rc" != 0 ] && [ "$nok" = 0 ]; then
		aggregator_fail "$name" "exited with status $rc without a 'not ok' line (crashed?)"
	elif [ "$rc" = 0 ] && [ "$nok" != 0 ]; then
		aggregator_fail "$name" "exited 0 with $nok 'not ok' lines"
	fi
	[ "$skips" = 0 ] || echo "# $name: $skips skipped"
	times+=("$((SECONDS - t0)) $name")
done
# Where the time went (CI has a wall-clock limit: docs/testing.md "Timings").
echo
echo "# time: $((SECONDS - run_start)) s in all; the suites, longest first:"
printf '%s\n' "${times[@]}" | sort -rn | awk '{ printf "#   %5d s  %s\n", $1, $2 }'
if [ "$vm" = off ]; then
	echo
	echo "# NOTICE: SW_VMTEST=0: the kernel matrix (tests/vm/make-test-matrix.sh, tests/vm/compat-kernel.sh:"
	echo "# 5.10, 6.1, 6.12, 7.x under qemu, amd64 and arm64; tests/vm/arm64-features.sh, arm64-stats.sh, page-address.sh;"
	echo "# tests/vm/systemd-boot.sh) did NOT run; counted as one skipped line."
	echo "skip suite/kernel-matrix # SKIP SW_VMTEST=0" >>"$log"
fi

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
skipped=$(grep -c '^skip ' "$log")
echo
grep '^not ok ' "$log" | sed 's/^/  /'
if [ "$strict" = 1 ] && [ "$skipped" != 0 ]; then
	echo "# strict: a machine set up by make deps skips nothing; these skips count as failed (SW_ALLOW_SKIP=1 to allow):"
	grep '^skip ' "$log" | sed 's/^skip /  not ok (skipped) /'
	failed=$((failed + skipped))
	skipped=0
elif [ "$skipped" != 0 ]; then
	grep '^skip ' "$log" | sed 's/^skip /  skipped: /'
fi
if [ "$skipped" != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
