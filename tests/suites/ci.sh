#!/usr/bin/env bash
# splicewatch ci: run workloads (tests/ci_workload.c) under `splicewatch ci` and
# check exit statuses, the process-tree scope, baselines, reports and signals.
# Prints TAP (plan first, "ok NAME" / "not ok NAME: reason" per test); exits 1
# if a test failed, 2 if it cannot run.
#
# Unsafe writes by other processes must not be findings of these runs. Nothing
# is retried: `make test` runs one suite at a time, so a workload that did not
# get to do its write, a wrong command_exit_status or an exit 137 is a failure.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=./splicewatch
WL=tests/build/ci_workload
suite_setup ci "$WL"
WL=$(realpath "$WL")

# ci ARGS...: runs splicewatch ci; status in $rc, stderr in $d/err.
ci() {
	"$SW" ci "$@" 2>"$d/err" >"$d/out"
	rc=$?
}

# The workload wrote (was not killed before its write)?
wrote() { grep -q 'unsafe write done' "$d/err"; }
# must_write: fails (with the workload's last words) unless it wrote.
must_write() { wrote || fail "the workload never made its unsafe write (exit $rc): $(tail -2 "$d/err" | tr '\n' ' ')"; }

# j FILE EXPR: evaluate a Python expression over the JSON document in FILE (as r).
j() { "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval("(" + sys.argv[2] + ")"))' "$1" "$2"; }

# jt FILE EXPR: true if the expression is true.
jt() { [ "$(j "$1" "$2" 2>/dev/null)" = True ]; }

xml_ok() { "$PY" -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$1" 2>"$d/xmlerr"; }

# ---- tests ---------------------------------------------------------------------

test_help() {
	"$SW" ci --help >"$d/out" 2>&1 || fail "--help exited $?" || return
	for w in --report --junit --baseline --write-baseline --enforce --scope --allow-lost --quiet; do
		grep -q -- "$w" "$d/out" || fail "--help does not mention $w" || return 1
	done
}

test_clean_0() {
	ci --report "$d/r.json" -- "$WL" clean 0
	[ "$rc" = 0 ] || fail "exit $rc, want 0: $(tail -1 "$d/err")" || return
	jt "$d/r.json" 'r["totals"]["unsafe_writes"] == 0 and r["exit_status"] == 0 and r["result"] == "pass"' ||
		fail "report: $(j "$d/r.json" 'r["totals"], r["exit_status"]')"
}

test_clean_7() {
	ci -q -- "$WL" clean 7
	[ "$rc" = 7 ] || fail "exit $rc, want COMMAND's 7" || return
	[ ! -s "$d/err" ] || fail "-q printed: $(head -1 "$d/err")"
}

test_unsafe() {
	mkdir -p "$d/u"
	ci --report "$d/r.json" --junit "$d/j.xml" -- "$WL" unsafe "$d/u/data" 0
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	[ "$(head -c 8 "$d/u/data")" = WWWWWWWW ] || fail "file has '$(head -c 8 "$d/u/data")': ci (no --enforce) stopped the write" || return
	"$PY" -m json.tool "$d/r.json" >/dev/null 2>&1 || fail "report is not JSON" || return
	jt "$d/r.json" 'r["totals"]["unsafe_writes"] == 1 and r["totals"]["new"] == 1 and r["totals"]["distinct"] == 1
		and r["exit_status"] == 3 and r["result"] == "fail" and r["lost_records"] == 0
		and r["command"][1] == "unsafe" and bool(r["kernel_release"]) and bool(r["backend"])' ||
		fail "report totals: $(j "$d/r.json" '(r["totals"], r["exit_status"], r["lost_records"])')" || return
	[ "$(j "$d/r.json" 'r["command_exit_status"]')" = 0 ] ||
		fail "command_exit_status $(j "$d/r.json" 'r["command_exit_status"]'), want the workload's 0" || return
	jt "$d/r.json" '[(f["comm"], f["op"], f["path"], f["event"], f["action"]) for f in r["findings"]]
		== [("ci_workload", "pwrite64", "'"$d/u/data"'", "unsafe_write", "reported")]' ||
		fail "findings: $(j "$d/r.json" 'r["findings"]')" || return
	# Same keys as trace --json.
	jt "$d/r.json" 'set(r["findings"][0]) >= {"ts_ns", "time_ns", "pid", "tid", "comm", "op", "dev", "ino", "path",
		"write_offset", "write_len", "held_offset", "held_len", "pipe_ino", "splicer_pid", "splicer_comm",
		"held_ns", "action", "uid", "splicer_uid", "pipe_uid", "holder_trusted"}' || fail "finding keys: $(j "$d/r.json" 'sorted(r["findings"][0])')" || return
	xml_ok "$d/j.xml" || fail "JUnit is not XML: $(cat "$d/xmlerr")" || return
	"$PY" - "$d/j.xml" "$d/u/data" <<-'EOF' || fail "JUnit content: $(cat "$d/j.xml")"
	import sys, xml.dom.minidom as m
	doc = m.parse(sys.argv[1])
	ts = doc.documentElement
	assert ts.tagName == "testsuite" and ts.getAttribute("name") == "splicewatch"
	cases = ts.getElementsByTagName("testcase")
	fails = ts.getElementsByTagName("failure")
	assert len(cases) == 1 and len(fails) == 1, (len(cases), len(fails))
	msg = fails[0].getAttribute("message")
	assert "ci_workload" in msg and "pwrite64" in msg and sys.argv[2] in msg, msg
	assert ts.getAttribute("failures") == "1"
	EOF
}

# --node: the report's node, and its findings'.
test_node() {
	mkdir -p "$d/n"
	ci --node ci-runner-4 --report "$d/r.json" -- "$WL" unsafe "$d/n/data" 0
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	jt "$d/r.json" 'r["node"] == "ci-runner-4" and [f["node"] for f in r["findings"]] == ["ci-runner-4"]' ||
		fail "node $(j "$d/r.json" '(r["node"], [f["node"] for f in r["findings"]])'), want ci-runner-4" || return
}

test_grandchild() {
	mkdir -p "$d/g"
	ci --report "$d/r.json" -- "$WL" unsafe-grandchild "$d/g/data"
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	jt "$d/r.json" '[(g["comm"], g["op"], g["path"]) for g in r["groups"]] == [("wl-grandchild", "pwrite64", "'"$d/g/data"'")]' ||
		fail "groups: $(j "$d/r.json" 'r["groups"]')" || return
	jt "$d/r.json" 'r["lost_records"] == 0' || fail "lost records: $(j "$d/r.json" 'r["lost_records"]')"
}

test_thread() {
	mkdir -p "$d/t"
	ci --report "$d/r.json" -- "$WL" unsafe-thread "$d/t/data"
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	jt "$d/r.json" 'len(r["findings"]) == 1 and r["findings"][0]["comm"] == "wl-thread"
		and r["findings"][0]["pid"] != r["findings"][0]["tid"]' ||
		fail "findings: $(j "$d/r.json" 'r["findings"]')" || return
	jt "$d/r.json" 'r["lost_records"] == 0' || fail "lost records: $(j "$d/r.json" 'r["lost_records"]')"
}

test_daemon() {
	mkdir -p "$d/dm"
	ci --report "$d/r.json" -- "$WL" daemonise "$d/dm/data"
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3: $(cat "$d/err")" || return
	jt "$d/r.json" '[(g["comm"], g["path"]) for g in r["groups"]] == [("wl-daemon", "'"$d/dm/data"'")]' ||
		fail "groups: $(j "$d/r.json" 'r["groups"]')" || return
	jt "$d/r.json" 'r["lost_records"] == 0' || fail "lost records: $(j "$d/r.json" 'r["lost_records"]')"
}

# The "outside" write is an unsafe write when it is in the tree...
test_outside_mode_is_unsafe() {
	mkdir -p "$d/o"
	ci -- "$WL" outside "$d/o/data"
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3"
}

# ... and not a finding when an unrelated process makes it while ci runs.
test_unrelated_process() {
	local pid
	mkdir -p "$d/o"
	"$SW" ci --report "$d/r.json" -- "$WL" wait "$d/ready" "$d/done" 0 2>"$d/cierr" &
	pid=$!
	bg+=("$pid")
	wait_for "$d/ready"
	[ -e "$d/ready" ] || { kill "$pid"; fail "COMMAND never started: $(cat "$d/cierr")"; return; }
	"$WL" outside "$d/o/data" 2>"$d/err"
	touch "$d/done"
	wait "$pid"
	rc=$?
	must_write || return
	[ "$rc" = 0 ] || fail "exit $rc, want 0: $(cat "$d/cierr")" || return
	jt "$d/r.json" 'r["totals"]["unsafe_writes"] == 0 and r["findings"] == []' ||
		fail "findings: $(j "$d/r.json" 'r["findings"]')"
}

test_killed_by_signal() {
	ci -- "$WL" signal 10
	[ "$rc" = 138 ] || fail "exit $rc, want 128+10"
}

test_baseline_covers() {
	mkdir -p "$d/b"
	printf '# known\nci_workload\tpwrite64\t%s/b/*\n' "$d" >"$d/baseline"
	ci --baseline "$d/baseline" --report "$d/r.json" --junit "$d/j.xml" -- "$WL" unsafe "$d/b/data" 5
	must_write || return
	[ "$rc" = 5 ] || fail "exit $rc, want COMMAND's 5: $(tail -3 "$d/err")" || return
	jt "$d/r.json" 'r["totals"]["baselined"] == 1 and r["totals"]["new"] == 0 and r["groups"][0]["baselined"]' ||
		fail "report: $(j "$d/r.json" 'r["totals"]')" || return
	xml_ok "$d/j.xml" || fail "JUnit is not XML" || return
	grep -q 'name="no unsafe writes"' "$d/j.xml" && grep -q '<skipped' "$d/j.xml" && ! grep -q '<failure' "$d/j.xml" ||
		fail "JUnit: $(cat "$d/j.xml")"
}

test_baseline_other_path() {
	mkdir -p "$d/b"
	printf 'ci_workload\tpwrite64\t/elsewhere/*\n*\twrite\t*\n' >"$d/baseline"
	ci --baseline "$d/baseline" -- "$WL" unsafe "$d/b/data" 5
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3 (baseline does not cover the finding)"
}

test_baseline_round_trip() {
	local f
	mkdir -p "$d/rt"
	f=$d/rt/'d[a]ta*x?'	# glob characters must be quoted in the baseline
	ci --write-baseline "$d/wb" -- "$WL" unsafe-grandchild "$f"
	must_write || return
	[ "$rc" = 3 ] || fail "first run: exit $rc, want 3" || return
	[ "$(grep -vc '^#' "$d/wb")" = 1 ] || fail "baseline: $(cat "$d/wb")" || return
	grep -qP '^wl-grandchild\tpwrite64\t' "$d/wb" || fail "baseline: $(cat "$d/wb")" || return
	ci --baseline "$d/wb" -- "$WL" unsafe-grandchild "$f"
	must_write || return
	[ "$rc" = 0 ] || fail "second run: exit $rc, want 0: $(tail -3 "$d/err")" || return
	# The recorded pattern matches that file only.
	ci --baseline "$d/wb" -- "$WL" unsafe-grandchild "$d/rt/data*x?"
	must_write || return
	[ "$rc" = 3 ] || fail "other file: exit $rc, want 3"
}

test_baseline_malformed() {
	printf '# comment\nci_workload\tpwrite64\t/x/*\n\nci_workload pwrite64 /y\n' >"$d/baseline"
	ci --baseline "$d/baseline" -- touch "$d/marker"
	[ "$rc" = 2 ] || fail "exit $rc, want 2" || return
	[ ! -e "$d/marker" ] || fail "COMMAND ran" || return
	grep -qF "$d/baseline:4:" "$d/err" || fail "no FILE:LINE in: $(cat "$d/err")" || return
	printf 'ci_workload\tpwrote\t/x/*\n' >"$d/baseline2"
	ci --baseline "$d/baseline2" -- touch "$d/marker"
	[ "$rc" = 2 ] && [ ! -e "$d/marker" ] || fail "unknown op: exit $rc" || return
	grep -qF "$d/baseline2:1: unknown op" "$d/err" || fail "no FILE:LINE in: $(cat "$d/err")"
}

test_bad_option() {
	ci --no-such-option -- touch "$d/marker"
	[ "$rc" = 2 ] || fail "exit $rc, want 2" || return
	ci --ringbuf-kib 1 -- touch "$d/marker"
	[ "$rc" = 2 ] || fail "bad value: exit $rc, want 2" || return
	ci --report /nonexistent/dir/r.json -- touch "$d/marker"
	[ "$rc" = 2 ] || fail "unwritable report: exit $rc, want 2" || return
	ci --baseline "$d/missing" -- touch "$d/marker"
	[ "$rc" = 2 ] || fail "missing baseline: exit $rc, want 2" || return
	ci --scope tree -- touch "$d/marker"
	[ "$rc" = 2 ] && grep -q "not cgroup or pids" "$d/err" || fail "--scope tree: exit $rc, want 2" || return
	ci
	[ "$rc" = 2 ] || fail "no COMMAND: exit $rc, want 2" || return
	[ ! -e "$d/marker" ] || fail "COMMAND ran"
}

test_sigterm_forwarded() {
	local pid
	"$SW" ci -- "$WL" trap "$d/ready" "$d/marker" 2>"$d/err" &
	pid=$!
	bg+=("$pid")
	wait_for "$d/ready"
	[ -e "$d/ready" ] || { kill "$pid"; fail "COMMAND never started"; return; }
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ -e "$d/marker" ] || fail "COMMAND did not get SIGTERM (exit $rc)" || return
	[ "$rc" = 0 ] || fail "exit $rc, want 0 (COMMAND exited 0 after its trap)"
}

test_xml_escaping() {
	local f
	mkdir -p "$d/x"
	f=$d/x/$'a&b<c>"d\'e\x01f\xff\tg]]>'
	ci --junit "$d/j.xml" --report "$d/r.json" -- "$WL" unsafe "$f"
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	xml_ok "$d/j.xml" || fail "JUnit is not XML: $(cat "$d/xmlerr")" || return
	"$PY" -m json.tool "$d/r.json" >/dev/null 2>&1 || fail "report is not JSON" || return
	"$PY" - "$d/j.xml" <<-'EOF' || fail "failure message: $(grep -o 'message="[^"]*"' "$d/j.xml")"
	import sys, xml.dom.minidom as m
	msg = m.parse(sys.argv[1]).getElementsByTagName("failure")[0].getAttribute("message")
	assert "a&b<c>\"d'e\\x01f\ufffd\tg]]>" in msg, repr(msg)
	EOF
}

test_enforce() {
	mkdir -p "$d/e"
	ci --enforce --report "$d/r.json" -- "$WL" unsafe "$d/e/data" 0
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	! wrote || fail "the writer was not stopped" || return
	# Ground truth: killed at syscall entry, its bytes never reached the file.
	[ "$(head -c 8 "$d/e/data")" = AAAAAAAA ] || fail "file has '$(head -c 8 "$d/e/data")': the write landed" || return
	jt "$d/r.json" 'r["command_signal"] == "SIGKILL" and r["command_exit_status"] == 137 and r["mode"] == "enforce"
		and [f["action"] for f in r["findings"]] == ["killed"]' ||
		fail "report: $(j "$d/r.json" '(r["command_signal"], [f["action"] for f in r["findings"]])')" || return
	jt "$d/r.json" 'r["lost_records"] == 0' || fail "lost records: $(j "$d/r.json" 'r["lost_records"]')"
}

# The scope is COMMAND's cgroup and those below it: a process COMMAND moves
# into a cgroup it made under its own still counts; the cgroups are removed.
test_sub_cgroup() {
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[ -n "$root" ] || { why="no cgroup v2 mounted"; return 77; }
	mkdir -p "$d/s"
	# shellcheck disable=SC2016 # expanded by the inner sh
	ci --report "$d/r.json" -- sh -c 'cg=$1$(sed -n "s/^0:://p" /proc/self/cgroup)/sub
		mkdir "$cg" && echo $$ >"$cg/cgroup.procs" && exec "$2" unsafe "$3" 0' \
		sh "$root" "$WL" "$d/s/data"
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3: $(cat "$d/err")" || return
	jt "$d/r.json" 'len(r["findings"]) == 1 and r["scope"] == "cgroup"' ||
		fail "findings: $(j "$d/r.json" 'r["findings"]')" || return
	! compgen -G "$root/splicewatch-ci.*" >/dev/null ||
		fail "cgroups left: $(compgen -G "$root/splicewatch-ci.*")"
}

# What COMMAND leaves running in its cgroup is killed when it exits.
test_leftovers_killed() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	ci --report "$d/r.json" -- sh -c 'sleep 1000 & echo $! >"$1"' sh "$d/sleeper"
	[ "$rc" = 0 ] || fail "exit $rc, want 0: $(cat "$d/err")" || return
	# Gone, or a zombie its new parent has yet to reap.
	! grep -qv '^[^)]*) Z' "/proc/$(cat "$d/sleeper")/stat" 2>/dev/null ||
		fail "the leftover $(cat "$d/sleeper") still runs: $(cat "/proc/$(cat "$d/sleeper")/stat")" || return
	grep -q 'killed 1 process COMMAND left running' "$d/err" || fail "not said: $(cat "$d/err")" || return
	jt "$d/r.json" 'r["leftovers_killed"] == 1' || fail "leftovers_killed: $(j "$d/r.json" 'r["leftovers_killed"]')"
}

test_lost_records() {
	mkdir -p "$d/l"
	ci --ringbuf-kib 16 --report "$d/r.json" -- "$WL" unsafe-many "$d/l/data" 200000
	must_write || return
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	jt "$d/r.json" 'r["lost_records"] > 0 and r["lost_records_fail"]' || fail "no lost records" || return
	grep -q 'LOST' "$d/err" || fail "summary does not mention lost records" || return
	# Findings covered, lost records allowed: COMMAND's status.
	printf 'ci_workload\tpwrite64\t%s/l/*\n' "$d" >"$d/baseline"
	ci --ringbuf-kib 16 --allow-lost --baseline "$d/baseline" --report "$d/r2.json" -- "$WL" unsafe-many "$d/l/data" 200000
	must_write || return
	[ "$rc" = 0 ] || fail "--allow-lost: exit $rc, want 0" || return
	jt "$d/r2.json" 'r["lost_records"] > 0 and not r["lost_records_fail"]' || fail "--allow-lost: report"
}

T help test_help
T clean-exit-0 test_clean_0
T clean-exit-7-quiet test_clean_7
T unsafe-report-junit test_unsafe
T node test_node
T unsafe-grandchild test_grandchild
T unsafe-second-thread test_thread
T unsafe-daemonised-descendant test_daemon
T outside-mode-is-unsafe-in-tree test_outside_mode_is_unsafe
T unrelated-process-not-a-finding test_unrelated_process
T killed-by-signal-128+N test_killed_by_signal
T baseline-covers-finding test_baseline_covers
T baseline-other-path-fails test_baseline_other_path
T baseline-round-trip test_baseline_round_trip
T baseline-malformed-file-line test_baseline_malformed
T bad-option-command-never-runs test_bad_option
T sigterm-forwarded test_sigterm_forwarded
T junit-xml-escaping test_xml_escaping
T enforce-kills-writer test_enforce
T lost-records-fail-unless-allowed test_lost_records
T sub-cgroup-counts test_sub_cgroup
T leftovers-killed test_leftovers_killed
run_tests
