#!/usr/bin/env bash
# The tracepoint backend's backup syscall hooks (README "Known limit"): where the kernel can
# skip syscall tracepoint programs, a second copy of sys_enter and of sys_exit
# runs where the first was skipped. Here the first copy of one hook is dropped
# on every run, as if the kernel had skipped it (SPLICEWATCH_TEST_DROP), and
# the trace and enforce scenarios must pass on the backup copy alone; the other hook's
# two copies both run, so each scenario's exact event count also proves that a
# syscall both copies saw is reported once. The backup hooks are forced on
# (SPLICEWATCH_BACKUP_HOOKS=1): this kernel's preemption model may not need them.
#
# That the drop is real is checked apart, per hook, with one unsafe write under
# `splicewatch ci --backend tracepoint`: without the backup hooks (SPLICEWATCH_BACKUP_HOOKS=0)
# the dropped hook's work is gone and the write is NOT found; with them it is
# found, and the backup copy's work is counted (dropped sys_enter:
# backup_write_checks > 0; dropped sys_exit: backup_pipe_syncs > 0). Otherwise every swtest line below could be a plain
# repeat of the ordinary run.
#
# Prints TAP: swtest's lines as "ok backup-hooks/drop-<hook>[-enforce]/NAME" (each
# swtest run's own plan checked against what it ran, as a line of its own),
# the drop checks, and the plan last (its N is swtest's). Exits 1 if anything
# failed, 2 if it cannot run. --drop-checks-only (tests/mutants.sh, not make
# test): only the drop checks, without the four swtest runs.
set -u
cd "$(dirname "$0")/../.." || exit 2
if [ ! -x splicewatch ] || [ ! -x tests/build/swtest ] || [ ! -x tests/build/ci_workload ]; then
	echo "backup-hooks.sh: build splicewatch, tests/build/swtest and tests/build/ci_workload first" >&2
	exit 2
fi
tmp=$(mktemp -d /var/tmp/swbackup.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
n=0
nfail=0
emit() { # LINE
	echo "$1"
	n=$((n + 1))
	[[ $1 == "not ok "* ]] && nfail=$((nfail + 1))
	return 0
}

swtest_drops=(enter exit)
[ "${1:-}" = --drop-checks-only ] && swtest_drops=()
for drop in "${swtest_drops[@]}"; do
	for flag in "" --enforce; do
		tag=drop-$drop${flag:+-enforce}
		# shellcheck disable=SC2086
		SPLICEWATCH_BACKUP_HOOKS=1 SPLICEWATCH_TEST_DROP=$drop \
			tests/build/swtest $flag --splicewatch ./splicewatch --backend tracepoint >"$tmp/out" 2>&1 </dev/null
		rc=$?
		grep -vE '^(not )?ok |^1\.\.[0-9]+[ \t]*$' "$tmp/out"	# swtest's comments and summary
		while IFS= read -r line; do
			case $line in
			"ok "*) emit "ok backup-hooks/$tag/${line#ok }" ;;
			"not ok "*) emit "not ok backup-hooks/$tag/${line#not ok }" ;;
			esac
		done < <(grep -E '^(not )?ok ' "$tmp/out")
		ran=$(grep -cE '^(not )?ok ' "$tmp/out")
		nok=$(grep -c '^not ok ' "$tmp/out")
		plans=$(grep -cE '^1\.\.[0-9]+[ \t]*$' "$tmp/out")
		planned=$(grep -m1 -E '^1\.\.[0-9]+[ \t]*$' "$tmp/out" | sed 's/^1\.\.//; s/[ \t]*$//')
		if [ "$plans" != 1 ]; then
			emit "not ok backup-hooks/$tag/swtest_ran_its_plan: swtest printed $plans plan lines, want 1 ($ran tests, exit $rc)"
		elif [ "$ran" != "$planned" ] || [ "$ran" = 0 ]; then
			emit "not ok backup-hooks/$tag/swtest_ran_its_plan: ran $ran of the $planned tests planned (exit $rc)"
		elif [ "$rc" != 0 ] && [ "$nok" = 0 ]; then
			emit "not ok backup-hooks/$tag/swtest_ran_its_plan: exit $rc without a failed test"
		elif [ "$rc" = 0 ] && [ "$nok" != 0 ]; then
			emit "not ok backup-hooks/$tag/swtest_ran_its_plan: exit 0 with $nok failed tests"
		else
			emit "ok backup-hooks/$tag/swtest_ran_its_plan"
		fi
	done
done

# ci_once NAME BACKUP_HOOKS DROP: one unsafe write under ci on the tracepoint
# backend; exit status in $rc, report $tmp/NAME.json.
ci_once() {
	mkdir -p "$tmp/$1"
	SPLICEWATCH_BACKUP_HOOKS=$2 SPLICEWATCH_TEST_DROP=$3 ./splicewatch ci --backend tracepoint \
		--report "$tmp/$1.json" -- tests/build/ci_workload unsafe "$tmp/$1/data" >"$tmp/$1.out" 2>"$tmp/$1.err" </dev/null
	rc=$?
}
# jq_py FILE EXPR: a Python expression over the report r.
jq_py() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }

for drop in enter exit; do
	# Without backup hooks the dropped copy's work is gone: the write is not found.
	ci_once "nobackup-$drop" 0 "$drop"
	got=$(jq_py "$tmp/nobackup-$drop.json" '(r["totals"]["unsafe_writes"], r["backup_write_checks"], r["backup_pipe_syncs"], r["exit_status"])')
	if grep -q 'unsafe write done' "$tmp/nobackup-$drop.err" && [ "$rc" = 0 ] && [ "$got" = "(0, 0, 0, 0)" ]; then
		emit "ok backup-hooks/drop-$drop/first_copy_really_dropped"
	else
		emit "not ok backup-hooks/drop-$drop/first_copy_really_dropped: without backup hooks: exit $rc, (found, backup checks, backup pipe syncs, exit) $got, want 0 and (0, 0, 0, 0): $(tail -1 "$tmp/nobackup-$drop.err")"
	fi
	# With them the backup copy does that work: found, and counted (sys_enter:
	# the writes it checked; sys_exit: the splices it learnt holds from).
	ci_once "backup-$drop" 1 "$drop"
	want="True"
	expr='r["totals"]["unsafe_writes"] == 1 and [(f["op"], f["path"]) for f in r["findings"]] == [("pwrite64", "'"$tmp/backup-$drop/data"'")] and r["lost_records"] == 0'
	if [ "$drop" = enter ]; then
		expr+=' and r["backup_write_checks"] > 0'
	else
		expr+=' and r["backup_pipe_syncs"] > 0'
	fi
	got=$(jq_py "$tmp/backup-$drop.json" "$expr")
	if [ "$rc" = 3 ] && [ "$got" = "$want" ]; then
		emit "ok backup-hooks/drop-$drop/backup_copy_did_the_work # $(jq_py "$tmp/backup-$drop.json" '"backup_write_checks %d, backup_pipe_syncs %d" % (r["backup_write_checks"], r["backup_pipe_syncs"])')"
	else
		emit "not ok backup-hooks/drop-$drop/backup_copy_did_the_work: exit $rc (want 3), report $(jq_py "$tmp/backup-$drop.json" '(r["totals"]["unsafe_writes"], r["backup_write_checks"], r["backup_pipe_syncs"], [(f["op"], f["path"]) for f in r["findings"]])'): $(tail -1 "$tmp/backup-$drop.err")"
	fi
done
echo "1..$n"
[ "$nfail" = 0 ]
