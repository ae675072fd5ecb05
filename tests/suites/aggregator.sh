#!/usr/bin/env bash
# The accounting itself: tests/run-all.sh run on small fixture suites that break
# the protocol in one way each (no plan, a short count, a crash midway, exit 0
# with a "not ok", a skip in strict mode...). Each must end with the right
# closing line, the right "not ok suite/NAME: why" line and exit status.
# Needs no root and loads nothing. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
# The cases set the aggregator's environment themselves: none of the outer
# run's (SW_VMTEST=0 SW_ALLOW_SKIP=1 make test) may leak into them.
unset SW_VMTEST SW_ALLOW_SKIP
RUN=$PWD/tests/run-all.sh
fx=$(mktemp -d /tmp/swaggregator.XXXXXX) || exit 2
trap 'rm -rf "$fx"' EXIT

# fixture NAME BODY: an executable bash script $fx/NAME.sh running BODY.
fixture() {
	printf '#!/usr/bin/env bash\n%s\n' "$2" >"$fx/$1.sh"
	chmod +x "$fx/$1.sh"
}
fixture good 'echo 1..2; echo "ok one"; echo "ok two # 0s"'
fixture good_plan_last 'echo "ok one"; echo "ok two"; echo 1..2'
fixture failing 'echo 1..2; echo "ok one"; echo "not ok two: broken"; exit 1'
fixture no_plan 'echo "ok one"; echo "ok two"'
fixture two_plans 'echo 1..1; echo "ok one"; echo 1..1'
fixture short 'echo 1..3; echo "ok one"; echo "ok two"'
fixture long 'echo 1..1; echo "ok one"; echo "ok two"'
fixture crash_midway 'echo 1..3; echo "ok one"; kill -SEGV $$'
fixture exit0_not_ok 'echo 1..2; echo "ok one"; echo "not ok two: broken"; exit 0'
fixture exit1_all_ok 'echo 1..1; echo "ok one"; exit 1'
fixture silent 'exit 0'
fixture skip 'echo 1..2; echo "ok one"; echo "ok two # SKIP frobtool is not installed"'
fixture plan_between 'echo "ok one"; echo 1..2; echo "ok two"'
fixture plan_zero 'echo 1..0'
fixture stderr_only 'echo "something broke" >&2; exit 3'
fixture indented 'echo 1..1; echo "ok one"; echo "  not ok nested: not a test of this suite"'

n=0
failed=0
# agg NAME WANT_LAST_LINE WANT_RC(0|nonzero) [WANT_GREP_E] -- [ENV=V...] FIXTURE...
agg() {
	local name=$1 want_last=$2 want_rc=$3 want_re=${4:-} outp last rc env=() f args=()
	shift 4
	[ "${1:-}" = -- ] && shift
	while [ $# -gt 0 ] && [[ $1 == *=* ]]; do env+=("$1"); shift; done
	for f in "$@"; do args+=("$fx/$f.sh"); done
	n=$((n + 1))
	outp=$(env "${env[@]}" bash "$RUN" "${args[@]}" 2>&1)
	rc=$?
	last=$(tail -n 1 <<<"$outp")
	if [ "$last" != "$want_last" ]; then
		echo "not ok aggregator/$name: last line '$last', want '$want_last'"
	elif { [ "$want_rc" = 0 ] && [ "$rc" != 0 ]; } || { [ "$want_rc" != 0 ] && [ "$rc" = 0 ]; }; then
		echo "not ok aggregator/$name: exit status $rc, want $want_rc"
	elif [ -n "$want_re" ] && ! grep -qE -- "$want_re" <<<"$outp"; then
		echo "not ok aggregator/$name: no line /$want_re/ in: $(grep -E '^ *not ok' <<<"$outp" | head -3 | tr '\n' '|')"
	else
		echo "ok aggregator/$name"
		return
	fi
	failed=$((failed + 1))
}

echo 1..20
agg good '2 passed, 0 failed' 0 '' -- good
agg good_plan_last '2 passed, 0 failed' 0 '' -- good_plan_last
agg two_good_suites '4 passed, 0 failed' 0 '' -- good good_plan_last
agg failing_test_counted '1 passed, 1 failed' nonzero '^  not ok two: broken$' -- failing
agg no_plan '2 passed, 1 failed' nonzero '^not ok suite/no_plan: printed no plan' -- no_plan
agg two_plans '1 passed, 1 failed' nonzero '^not ok suite/two_plans: printed 2 plan lines' -- two_plans
agg fewer_than_planned '2 passed, 1 failed' nonzero '^not ok suite/short: ran 2 tests, planned 3' -- short
agg more_than_planned '2 passed, 1 failed' nonzero '^not ok suite/long: ran 2 tests, planned 1' -- long
agg crash_midway '1 passed, 2 failed' nonzero '^not ok suite/crash_midway: exited with status 139 without' -- crash_midway
agg exit_0_with_not_ok '1 passed, 2 failed' nonzero '^not ok suite/exit0_not_ok: exited 0 with 1' -- exit0_not_ok
agg nonzero_exit_all_ok '1 passed, 1 failed' nonzero '^not ok suite/exit1_all_ok: exited with status 1 without' -- exit1_all_ok
agg printed_nothing '0 passed, 1 failed' nonzero '^not ok suite/silent: printed nothing' -- silent
agg stderr_only_no_tests '0 passed, 2 failed' nonzero '^not ok suite/stderr_only: printed no plan' -- stderr_only
agg skip_fails_when_strict '1 passed, 1 failed' nonzero '^  not ok \(skipped\) two # SKIP frobtool' -- skip
agg skip_counted_apart_when_allowed '1 passed, 0 failed, 1 skipped' 0 '^  skipped: two # SKIP frobtool' -- SW_ALLOW_SKIP=1 skip
agg plan_between_tests '2 passed, 1 failed' nonzero '^not ok suite/plan_between: its plan stands between tests' -- plan_between
agg plan_of_zero '0 passed, 1 failed' nonzero '^not ok suite/plan_zero: planned 0 tests' -- plan_zero
agg vmtest_0_noticed_and_fails_strict '2 passed, 1 failed' nonzero 'NOTICE: SW_VMTEST=0' -- SW_VMTEST=0 good
agg vmtest_0_skipped_when_allowed '2 passed, 0 failed, 1 skipped' 0 'skipped: suite/kernel-matrix # SKIP SW_VMTEST=0' -- SW_VMTEST=0 SW_ALLOW_SKIP=1 good
agg indented_lines_not_counted '1 passed, 0 failed' 0 '' -- indented
[ "$n" = 20 ] || echo "# ran $n checks, planned 20"
[ "$failed" = 0 ]
