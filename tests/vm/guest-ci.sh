#!/bin/sh
# tests/vm/guest-ci.sh - the kernel-dependent part of the ci suite, inside a VM
# (busybox sh), started by guest-swtest.sh:
#
#   guest-ci.sh BACKEND [GLOB]
#
# Runs tests/ci_workload (/sw/ci_workload) under `splicewatch ci --backend
# BACKEND` and checks what depends on the kernel: exit statuses, findings made
# anywhere in COMMAND's process tree (grandchild, second thread, daemonised
# descendant), none for a process outside it, the writer killed under
# --enforce, and the report's fields. Option parsing, baselines and XML
# escaping do not depend on the kernel: tests/suites/ci.sh covers them on the
# host. Most tests read one of two shared runs (a load is most of a test's
# time under TCG on 7.x, and the tests are mostly about one report): four loads in
# all. Prints a TAP plan ("1..N", the tests GLOB selects; "1..1" and "not ok
# start-up" when splicewatch cannot start), "ok NAME" / "not ok NAME: why",
# then "# ci: N passed, N failed"; exit status 1 when anything failed.
# SW and WL, when set, replace /sw/splicewatch and /sw/ci_workload (to run it
# on the host: SW=./splicewatch WL=tests/build/ci_workload sh tests/vm/guest-ci.sh B).
# The report is checked with grep: it is pretty-printed, one key per line.
B=$1
GLOB=${2:-*}
SW=${SW:-/sw/splicewatch}
WL=${WL:-/sw/ci_workload}
passed=0
failed=0
tmp=$(mktemp -d /var/tmp/swci.XXXXXX)

fail() { why=$*; return 1; }

# has FILE KEY VALUE: the report has the line "KEY": VALUE (VALUE as JSON).
has() { grep -qF "\"$2\": $3" "$1"; }

# ci ARGS...: runs splicewatch ci; status in $rc, stderr in $d/err.
ci() {
	"$SW" ci --backend "$B" "$@" 2>"$d/err" >"$d/out"
	rc=$?
}

wrote() { grep -q 'unsafe write done' "$d/err" || fail "the workload did not write: $(tail -n 2 "$d/err")"; }

# the findings of path $2 in report $1, one "key": value line each (the
# report is pretty-printed: a finding is the object between "    {" and "    }"
# inside "findings")
finding_of() {
	awk -v want="\"path\": \"$2\"," '
		/^  "findings": \[/ { in_f = 1; next }
		in_f && /^  \]/ { in_f = 0 }
		in_f && /^    \{/ { obj = ""; next }
		in_f && /^    \}/ { if (index(obj, want)) printf "%s", obj; next }
		in_f { obj = obj $0 "\n" }' "$1"
}

# one_finding REPORT COMM PATH: exactly one finding of PATH, a pwrite64 by
# COMM; its lines in $d/f
one_finding() {
	finding_of "$1" "$3" >"$d/f"
	n=$(grep -c '"event": "unsafe_write"' "$d/f")
	[ "$n" = 1 ] || fail "$n findings of $3, want 1" || return
	has "$d/f" op '"pwrite64",' || fail "op: $(grep '"op"' "$d/f")" || return
	has "$d/f" comm "\"$2\"," || fail "comm: $(grep '"comm"' "$d/f")"
}

# run NAME FUNCTION: runs the test in its own directory; its status in $r.
run() {
	d=$tmp/$1
	mkdir -p "$d"
	why=""
	"$2"
	r=$?
}

tell() { # NAME
	if [ "$r" = 0 ]; then
		echo "ok $1"; passed=$((passed + 1))
	else
		echo "not ok $1: ${why:-failed}"; failed=$((failed + 1))
	fi
}

t() { # NAME FUNCTION
	case "$1" in $GLOB) ;; *) return 0 ;; esac
	run "$1" "$2"
	tell "$1"
}

# The two runs most tests read (a load is most of a test's time under TCG on
# 7.x): a clean COMMAND, and one whose process tree writes unsafely five
# ways, each into its own file. Each test then checks its own part.
clean_run() {
	CLEAN=$tmp/clean
	mkdir -p "$CLEAN"
	d=$CLEAN
	ci --report "$d/r.json" -- "$WL" clean 7
	clean_rc=$rc
}

unsafe_run() {
	UNSAFE=$tmp/unsafe
	mkdir -p "$UNSAFE"
	d=$UNSAFE
	F_EXT4=/var/tmp/swci-data.$$
	F_TMPFS=/tmp/swci-data.$$
	ci --report "$d/r.json" --junit "$d/j.xml" -- sh -c \
		"'$WL' unsafe $F_EXT4 && '$WL' unsafe $F_TMPFS && '$WL' unsafe-grandchild $d/grandchild &&
		 '$WL' unsafe-thread $d/thread && '$WL' daemonise $d/daemon"
	unsafe_rc=$rc
	rm -f "$F_EXT4" "$F_TMPFS"
}

test_clean_run_passes() {
	has "$CLEAN/r.json" unsafe_writes 0, && has "$CLEAN/r.json" result '"pass",' ||
		fail "report: $(grep -E '"(unsafe_writes|result)"' "$CLEAN/r.json")"
}

test_clean_exit_is_commands() {
	[ "$clean_rc" = 7 ] || fail "exit $clean_rc, want COMMAND's 7: $(tail -n 1 "$CLEAN/err")"
}

test_unsafe_run_fails() {
	n=$(grep -c 'unsafe write done' "$UNSAFE/err")
	[ "$n" = 5 ] || fail "$n of the workload's 5 writes were made: $(tail -n 2 "$UNSAFE/err")" || return
	[ "$unsafe_rc" = 3 ] || fail "exit $unsafe_rc, want 3" || return
	has "$UNSAFE/r.json" result '"fail",' && has "$UNSAFE/r.json" unsafe_writes 5, ||
		fail "report: $(grep -E '"(result|unsafe_writes)"' "$UNSAFE/r.json")" || return
	grep -q '<failure' "$UNSAFE/j.xml" && grep -q 'failures="5"' "$UNSAFE/j.xml" ||
		fail "JUnit: $(head -n 3 "$UNSAFE/j.xml")"
}

unsafe_in() { # FILE: the workload's own write, spliced by itself
	one_finding "$UNSAFE/r.json" ci_workload "$1" || return
	has "$d/f" splicer_comm '"ci_workload",' || fail "splicer: $(grep splicer "$d/f")"
}
test_unsafe_ext4() { unsafe_in "$F_EXT4"; }
test_unsafe_tmpfs() { unsafe_in "$F_TMPFS"; }

test_grandchild() { one_finding "$UNSAFE/r.json" wl-grandchild "$UNSAFE/grandchild"; }

test_thread() {
	one_finding "$UNSAFE/r.json" wl-thread "$UNSAFE/thread" || return
	pid=$(sed -n 's/^ *"pid": \([0-9]*\),$/\1/p' "$d/f")
	tid=$(sed -n 's/^ *"tid": \([0-9]*\),$/\1/p' "$d/f")
	[ -n "$pid" ] && [ "$pid" != "$tid" ] || fail "pid $pid, tid $tid: want a second thread"
}

test_daemon() { one_finding "$UNSAFE/r.json" wl-daemon "$UNSAFE/daemon"; }

test_backend_in_report() {
	has "$UNSAFE/r.json" backend "\"$B\"," || fail "backend: $(grep '"backend"' "$UNSAFE/r.json")"
}

test_unrelated_process() {
	"$SW" ci --backend "$B" --report "$d/r.json" -- "$WL" wait "$d/ready" "$d/done" 0 2>"$d/cierr" &
	pid=$!
	i=0
	# COMMAND starts once the programs are loaded: up to a minute or more under
	# TCG on 7.x with two VMs on the host's two cores. Wait as swtest does
	# (SWTEST_STARTUP_TIMEOUT, 600 s), or until ci gives up on its own.
	while [ ! -e "$d/ready" ] && [ $i -lt $((${SWTEST_STARTUP_TIMEOUT:-600} * 10)) ] &&
		kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	[ -e "$d/ready" ] || { kill "$pid" 2>/dev/null; wait "$pid"; fail "COMMAND never started: $(cat "$d/cierr")"; return; }
	"$WL" outside "$d/data" 2>"$d/err"
	touch "$d/done"
	wait "$pid"
	rc=$?
	wrote || return
	[ "$rc" = 0 ] || fail "exit $rc, want 0: $(tail -n 2 "$d/cierr")" || return
	has "$d/r.json" unsafe_writes 0, || fail "findings: $(grep -E '"(comm|path)"' "$d/r.json")"
}

test_enforce() {
	ci --enforce --report "$d/r.json" -- "$WL" unsafe "$d/data" 0
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	! grep -q 'unsafe write done' "$d/err" || fail "the writer was not stopped" || return
	has "$d/r.json" command_signal '"SIGKILL",' && has "$d/r.json" action '"killed"' &&
		has "$d/r.json" mode '"enforce",' ||
		fail "report: $(grep -E '"(command_signal|action|mode)"' "$d/r.json")"
}

selected() { # NAME...: does GLOB select any of them?
	for n in "$@"; do
		case "$n" in $GLOB) return 0 ;; esac
	done
	return 1
}

count_selected() { # NAME...: how many GLOB selects
	c=0
	for n in "$@"; do
		case "$n" in $GLOB) c=$((c + 1)) ;; esac
	done
	echo "$c"
}

# The clean run goes first whatever GLOB says: it is the load check too.
# Cannot load: say so the way swtest does (matrix.sh then fetches the
# verifier log).
clean_run
if ! grep -q "ci: watching COMMAND's process tree" "$CLEAN/err"; then
	echo "1..1"
	echo "not ok start-up"
	sed 's/^/#   /' "$CLEAN/err" | grep '^#   splicewatch: ' | tail -n 1
	echo "# ci: 0 passed, 1 failed"
	exit 1
fi
UNSAFE_TESTS="unsafe-run-fails-with-report-and-junit unsafe-report[ext4] unsafe-report[tmpfs]
	unsafe-grandchild unsafe-second-thread unsafe-daemonised-descendant report-names-backend"
set -f	# the names have brackets: words, not globs
# shellcheck disable=SC2086
planned=$(count_selected clean-run-passes clean-run-exits-with-commands-status $UNSAFE_TESTS \
	unrelated-process-not-a-finding enforce-kills-writer)
set +f
echo "1..$planned"
t clean-run-passes test_clean_run_passes
t clean-run-exits-with-commands-status test_clean_exit_is_commands
set -f
# shellcheck disable=SC2086
if selected $UNSAFE_TESTS; then
	set +f
	unsafe_run
	t unsafe-run-fails-with-report-and-junit test_unsafe_run_fails
	t unsafe-report[ext4] test_unsafe_ext4
	t unsafe-report[tmpfs] test_unsafe_tmpfs
	t unsafe-grandchild test_grandchild
	t unsafe-second-thread test_thread
	t unsafe-daemonised-descendant test_daemon
	t report-names-backend test_backend_in_report
fi
set +f
t unrelated-process-not-a-finding test_unrelated_process
t enforce-kills-writer test_enforce
rm -rf "$tmp"
echo "# ci: $passed passed, $failed failed"
if [ $((passed + failed)) != "$planned" ]; then
	echo "# planned $planned tests, ran $((passed + failed))"
	exit 1
fi
[ "$failed" = 0 ]
