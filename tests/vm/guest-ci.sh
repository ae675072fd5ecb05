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
# host. Prints "ok NAME" / "not ok NAME: why", then "# ci: N passed, N failed".
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

# the finding's writer, file and backend, and that it is the only one
one_finding() { # report comm path
	has "$1" unsafe_writes 1, || fail "unsafe_writes: $(grep unsafe_writes "$1")" || return
	has "$1" op '"pwrite64",' || fail "op: $(grep '"op"' "$1")" || return
	has "$1" comm "\"$2\"," || fail "comm: $(grep '"comm"' "$1")" || return
	has "$1" path "\"$3\"," || fail "path: $(grep '"path"' "$1")" || return
	has "$1" backend "\"$B\"," || fail "backend: $(grep '"backend"' "$1")"
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

test_clean_exit_0() {
	ci --report "$d/r.json" -- "$WL" clean 0
	[ "$rc" = 0 ] || fail "exit $rc, want 0: $(tail -n 1 "$d/err")" || return
	has "$d/r.json" unsafe_writes 0, && has "$d/r.json" result '"pass",' ||
		fail "report: $(grep -E '"(unsafe_writes|result)"' "$d/r.json")"
}

test_clean_exit_7() {
	ci -q -- "$WL" clean 7
	[ "$rc" = 7 ] || fail "exit $rc, want COMMAND's 7"
}

# unsafe FS_DIR: one pwrite into a page the workload spliced into a pipe
unsafe() {
	f=$1/swci-data.$$
	ci --report "$d/r.json" --junit "$d/j.xml" -- "$WL" unsafe "$f" 0
	rm -f "$f"
	wrote || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	has "$d/r.json" result '"fail",' || fail "result: $(grep '"result"' "$d/r.json")" || return
	has "$d/r.json" splicer_comm '"ci_workload",' || fail "splicer: $(grep splicer "$d/r.json")" || return
	one_finding "$d/r.json" ci_workload "$f" || return
	grep -q '<failure' "$d/j.xml" && grep -q 'failures="1"' "$d/j.xml" || fail "JUnit: $(cat "$d/j.xml")"
}
test_unsafe_ext4() { unsafe /var/tmp; }
test_unsafe_tmpfs() { unsafe /tmp; }

test_grandchild() {
	ci --report "$d/r.json" -- "$WL" unsafe-grandchild "$d/data"
	wrote || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	one_finding "$d/r.json" wl-grandchild "$d/data"
}

test_thread() {
	ci --report "$d/r.json" -- "$WL" unsafe-thread "$d/data"
	wrote || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	one_finding "$d/r.json" wl-thread "$d/data" || return
	pid=$(sed -n 's/^ *"pid": \([0-9]*\),$/\1/p' "$d/r.json")
	tid=$(sed -n 's/^ *"tid": \([0-9]*\),$/\1/p' "$d/r.json")
	[ -n "$pid" ] && [ "$pid" != "$tid" ] || fail "pid $pid, tid $tid: want a second thread"
}

test_daemon() {
	ci --report "$d/r.json" -- "$WL" daemonise "$d/data"
	wrote || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3: $(tail -n 2 "$d/err")" || return
	one_finding "$d/r.json" wl-daemon "$d/data"
}

test_unrelated_process() {
	"$SW" ci --backend "$B" --report "$d/r.json" -- "$WL" wait "$d/ready" "$d/done" 0 2>"$d/cierr" &
	pid=$!
	i=0
	# COMMAND starts once the programs are loaded: 40-90 s under TCG on 7.x,
	# more with two VMs on the host's two cores. Wait as swtest does
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

# The first test runs whatever GLOB says: it is the load check too (a load
# takes about a minute under TCG on 7.x). Cannot load: say so the way swtest
# does (matrix.sh then fetches the verifier log).
run clean-exit-0 test_clean_exit_0
if ! grep -q "ci: watching COMMAND's process tree" "$d/err"; then
	echo "not ok start-up"
	sed 's/^/#   /' "$d/err" | grep '^#   splicewatch: ' | tail -n 1
	echo "# ci: 0 passed, 1 failed"
	exit 1
fi
case clean-exit-0 in $GLOB) tell clean-exit-0 ;; esac
t clean-exit-7 test_clean_exit_7
t unsafe-report-junit[ext4] test_unsafe_ext4
t unsafe-report-junit[tmpfs] test_unsafe_tmpfs
t unsafe-grandchild test_grandchild
t unsafe-second-thread test_thread
t unsafe-daemonised-descendant test_daemon
t unrelated-process-not-a-finding test_unrelated_process
t enforce-kills-writer test_enforce
rm -rf "$tmp"
echo "# ci: $passed passed, $failed failed"
[ "$failed" = 0 ]
