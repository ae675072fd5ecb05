#!/usr/bin/env bash
# trace/enforce --prometheus (issue 19; docs/operations.md "Scraping"): the
# detection's metrics exact after known workloads (counted in the programs,
# so also while the output is blocked), --verify's unexplained changes by
# check and action, promtool clean, /healthz (200 while
# attached and the loop runs, 503 while the loop is stalled, gone after a
# stop), the listener's limits against idle connections from one address
# (opened as uid 65534), the non-loopback warning, a port in use refused
# before watching, and stats --prometheus-no-paths.
# Prints TAP; exits 1 if a test failed, 2 if it cannot run.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
ROOT=$PWD
SW=$ROOT/splicewatch
WL=$ROOT/tests/build/reliability_workload
BG_SIGNAL=KILL
suite_setup metrics tests/build/reliability_workload
VWL=tests/build/verify_workload
[ -x "$VWL" ] && [ "$VWL" -nt tests/verify_workload.c ] || make -s "$VWL" >&2 || exit 2
VWL=$ROOT/$VWL
chmod 755 "$tmp"
NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups --)

# port NAME: the port splicewatch said it serves on, in $d/NAME.err.
port() {
	sed -nE 's|.*serving metrics at http://127\.0\.0\.1:([0-9]+)/metrics|\1|p' "$d/$1.err" | head -1
}

# code URL [CURL ARGS...]: the HTTP status (000: no answer), 2 s at most.
code() {
	local url=$1
	shift
	curl -s -o /dev/null -m 2 -w '%{http_code}' "$@" "$url"
}

# metric FILE SERIES: the value of the exact series (name{labels}) in FILE.
metric() {
	awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print "absent" }' "$1"
}

# unsafe FILE N: N unsafe pwrite64s into FILE (made as needed).
unsafe() {
	"$WL" unsafe "$@" >/dev/null 2>"$d/wl.err" || fail "workload: $(cat "$d/wl.err")"
}

FAMILIES="splicewatch_build_info splicewatch_unsafe_writes_total splicewatch_unsafe_writes_folded_total
splicewatch_unsafe_writes_unaggregated_total splicewatch_lost_records_total
splicewatch_untracked_holds_total splicewatch_skipped_program_runs_total splicewatch_signals_total
splicewatch_held_pages splicewatch_held_pipes splicewatch_programs_attached"

# trace: 7 unsafe pwrites are 7 in {op="pwrite64",action="reported"}, every
# family is there with HELP and TYPE, nothing lost, promtool is clean;
# enforce --dry-run: 3 are {action="would_kill"}.
test_exact() {
	local p f v
	spawn_sw trace trace --json -o "$d/ev" --prometheus 127.0.0.1:0 || return
	p=$(port trace)
	[ -n "$p" ] || fail "no port said: $(head -2 "$d/trace.err")" || return
	unsafe "$d/file" 7 || return
	sleep 0.5
	curl -s -m 2 -o "$d/m" "http://127.0.0.1:$p/metrics" || fail "scrape failed" || return
	for f in $FAMILIES; do
		grep -q "^# TYPE $f " "$d/m" || fail "no TYPE line of $f" || return
		grep -q "^# HELP $f " "$d/m" || fail "no HELP line of $f" || return
	done
	v=$(metric "$d/m" 'splicewatch_unsafe_writes_total{op="pwrite64",action="reported"}')
	[ "$v" = 7 ] || fail "pwrite64/reported: $v, not 7" || return
	v=$(grep '^splicewatch_unsafe_writes_total{' "$d/m" | awk '{ s += $2 } END { print s }')
	[ "$v" = 7 ] || fail "unsafe writes in all series: $v, not 7" || return
	v=$(metric "$d/m" splicewatch_lost_records_total)
	[ "$v" = 0 ] || fail "lost records: $v" || return
	v=$(metric "$d/m" splicewatch_programs_attached)
	[ "${v:-0}" -gt 0 ] 2>/dev/null || fail "programs attached: $v" || return
	v=$(metric "$d/m" "splicewatch_build_info{version=\"$("$SW" --version | cut -d' ' -f2)\",backend=\"tracepoint\",kernel=\"$(uname -r)\"}")
	[ "$v" = 1 ] || fail "build_info: $(grep '^splicewatch_build_info' "$d/m")" || return
	grep -q '^splicewatch_untracked_holds_total{reason="user_quota"} 0$' "$d/m" ||
		fail "untracked holds by reason: $(grep '^splicewatch_untracked' "$d/m" | head -3)" || return
	! grep -qE 'file=|comm=|pid=|path=' "$d/m" || fail "a path, comm or pid label: $(grep -E 'file=|comm=' "$d/m" | head -1)" || return
	! grep -q '^# TYPE splicewatch_unexplained_changes_total' "$d/m" ||
		fail "--verify's families without --verify" || return
	promtool check metrics <"$d/m" >"$d/promtool" 2>&1 || fail "promtool: $(head -3 "$d/promtool")" || return
	[ "$(wc -l <"$d/ev")" = 7 ] || fail "events written: $(wc -l <"$d/ev")" || return
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "trace exit $src" || return

	spawn_sw enforce enforce --dry-run --json -o "$d/ev2" --prometheus 127.0.0.1:0 || return
	p=$(port enforce)
	unsafe "$d/file2" 3 || return
	sleep 0.5
	curl -s -m 2 -o "$d/m2" "http://127.0.0.1:$p/metrics" || fail "enforce: scrape failed" || return
	v=$(metric "$d/m2" 'splicewatch_unsafe_writes_total{op="pwrite64",action="would_kill"}')
	[ "$v" = 3 ] || fail "enforce: pwrite64/would_kill: $v, not 3" || return
	v=$(metric "$d/m2" 'splicewatch_unsafe_writes_total{op="pwrite64",action="reported"}')
	[ "$v" = 0 ] || fail "enforce: pwrite64/reported: $v, not 0" || return
	promtool check metrics <"$d/m2" >"$d/promtool" 2>&1 || fail "enforce: promtool: $(head -3 "$d/promtool")" || return
	end_sw "$swpid"
}

VERIFY_FAMILIES="splicewatch_unexplained_changes_total splicewatch_unexplained_changes_folded_total
splicewatch_verify_not_fingerprinted_total splicewatch_verify_lost_records_total"

# trace --verify --aggregate: before any change each check's reported
# series is 0; three changes found at the drain (a store through a mapping
# into held bytes, three times) are 3 in {check="drain",action="reported"},
# 2 of them folded; enforce --verify: a reader killed is
# {check="drain",action="killed"}. promtool is clean on both.
test_verify_changes_counted() {
	local p f v c out
	spawn_sw trace trace --verify --json -o "$d/ev" --aggregate 1h --prometheus 127.0.0.1:0 || return
	p=$(port trace)
	[ -n "$p" ] || fail "no port said: $(head -2 "$d/trace.err")" || return
	curl -s -m 2 -o "$d/m0" "http://127.0.0.1:$p/metrics" || fail "scrape failed" || return
	for c in drain release sweep; do
		v=$(metric "$d/m0" "splicewatch_unexplained_changes_total{check=\"$c\",action=\"reported\"}")
		[ "$v" = 0 ] || fail "before any change, $c/reported: $v" || return
	done
	out=$("$VWL" store /dev/shm/swmetrics.$$ repeat 3 2>&1) || fail "workload: $out" || return
	rm -f /dev/shm/swmetrics.$$
	sleep 0.5
	curl -s -m 2 -o "$d/m" "http://127.0.0.1:$p/metrics" || fail "scrape failed" || return
	for f in $VERIFY_FAMILIES; do
		grep -q "^# TYPE $f " "$d/m" || fail "no TYPE line of $f" || return
	done
	v=$(metric "$d/m" 'splicewatch_unexplained_changes_total{check="drain",action="reported"}')
	[ "$v" = 3 ] || fail "drain/reported: $v, not 3: $(grep unexplained "$d/m")" || return
	v=$(metric "$d/m" splicewatch_unexplained_changes_folded_total)
	[ "$v" = 2 ] || fail "folded: $v, not 2" || return
	v=$(metric "$d/m" splicewatch_verify_lost_records_total)
	[ "$v" = 0 ] || fail "lost: $v" || return
	promtool check metrics <"$d/m" >"$d/promtool" 2>&1 || fail "promtool: $(head -3 "$d/promtool")" || return
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "trace exit $src" || return

	spawn_sw enforce enforce --verify --json -o "$d/ev2" --prometheus 127.0.0.1:0 || return
	p=$(port enforce)
	out=$(env VW_DRAIN="splice:$d/out" "$VWL" store /dev/shm/swmetrics.$$ 2>&1 </dev/null)
	v=$?
	rm -f /dev/shm/swmetrics.$$
	[ "$v" = 137 ] || fail "the reader exited $v, want SIGKILL: $out" || return
	sleep 0.5
	curl -s -m 2 -o "$d/m2" "http://127.0.0.1:$p/metrics" || fail "enforce: scrape failed" || return
	v=$(metric "$d/m2" 'splicewatch_unexplained_changes_total{check="drain",action="killed"}')
	[ "$v" = 1 ] || fail "enforce: drain/killed: $v, not 1: $(grep unexplained "$d/m2")" || return
	promtool check metrics <"$d/m2" >"$d/promtool" 2>&1 || fail "enforce: promtool: $(head -3 "$d/promtool")" || return
	end_sw "$swpid"
}

# The output a FIFO whose reader never reads: the loop blocks writing, so
# /healthz turns 503; the writes are still all counted, and /healthz is 200
# again once a reader drains the FIFO.
test_blocked() {
	local p v i c rd
	mkfifo "$d/fifo"
	$PY -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK); open(sys.argv[2], "w").close(); time.sleep(120)' "$d/fifo" "$d/rd" &
	rd=$!
	bg+=("$rd")
	wait_for "$d/rd" || fail "the idle reader did not open the FIFO" || return
	spawn_sw trace trace --json -o "$d/fifo" --prometheus 127.0.0.1:0 || return
	p=$(port trace)
	c=$(code "http://127.0.0.1:$p/healthz")
	[ "$c" = 200 ] || fail "healthz while running: $c" || return
	unsafe "$d/file" 2000 || return
	for ((i = 0; i < 50; i++)); do
		c=$(code "http://127.0.0.1:$p/healthz")
		[ "$c" = 503 ] && break
		sleep 0.2
	done
	[ "$c" = 503 ] || fail "healthz with the loop blocked on its output: $c, not 503" || return
	curl -s -m 2 -o "$d/m" "http://127.0.0.1:$p/metrics" || fail "no metrics while the output is blocked" || return
	v=$(metric "$d/m" 'splicewatch_unsafe_writes_total{op="pwrite64",action="reported"}')
	[ "$v" = 2000 ] || fail "counted with the output blocked: $v, not 2000" || return
	cat "$d/fifo" >/dev/null &
	bg+=("$!")
	for ((i = 0; i < 50; i++)); do
		c=$(code "http://127.0.0.1:$p/healthz")
		[ "$c" = 200 ] && break
		sleep 0.2
	done
	[ "$c" = 200 ] || fail "healthz once the output drains: $c, not 200" || return
	end_sw "$swpid"
}

# /healthz 200 while running; after SIGINT nothing listens any more.
test_healthz_stop() {
	local p c pid
	spawn_sw trace trace --prometheus 127.0.0.1:0 || return
	pid=$swpid
	p=$(port trace)
	c=$(code "http://127.0.0.1:$p/healthz")
	[ "$c" = 200 ] || fail "healthz while running: $c" || return
	c=$(code "http://127.0.0.1:$p/nothing")
	[ "$c" = 404 ] || fail "an unknown path: $c, not 404" || return
	end_sw "$pid"
	[ "$src" = 0 ] || fail "trace exit $src" || return
	c=$(code "http://127.0.0.1:$p/healthz")
	[ "$c" = 000 ] || fail "healthz after the stop: $c, not refused" || return
}

# uid 65534 opens 70 idle connections from 127.0.0.1 and keeps them: a
# scrape from 127.0.0.2 gets 200 at once (per-address limit), and one from
# 127.0.0.1 once the deadline closed the idle ones.
test_idle_flood() {
	local p c t0 i
	spawn_sw trace trace --prometheus 127.0.0.1:0 || return
	p=$(port trace)
	chmod 777 "$d"
	"${NOBODY[@]}" "$PY" -c '
import socket, sys, time
held = []
for i in range(70):
    s = socket.socket()
    s.connect(("127.0.0.1", int(sys.argv[1])))
    held.append(s)
open(sys.argv[2], "w").close()
time.sleep(60)' "$p" "$d/flood" 2>"$d/flood.err" &
	bg+=("$!")
	wait_for "$d/flood" 10 || fail "the 70 connections were not opened: $(head -2 "$d/flood.err")" || return
	sleep 0.3
	t0=$(date +%s%N)
	c=$(code "http://127.0.0.1:$p/metrics" --interface 127.0.0.2)
	[ "$c" = 200 ] || fail "scrape from 127.0.0.2 with 70 idle connections from 127.0.0.1: $c" || return
	[ $(($(date +%s%N) - t0)) -lt 2000000000 ] || fail "the scrape from 127.0.0.2 took over 2 s" || return
	# The deadline is 5 s from the last activity of each idle connection.
	sleep 5.5
	for ((i = 0; i < 10; i++)); do
		c=$(code "http://127.0.0.1:$p/metrics")
		[ "$c" = 200 ] && break
		sleep 0.2
	done
	[ "$c" = 200 ] || fail "scrape from 127.0.0.1 after the deadline: $c" || return
	end_sw "$swpid"
}

# 0.0.0.0 is warned about on stderr; 127.0.0.1 is not.
test_non_loopback() {
	spawn_sw any trace --prometheus 0.0.0.0:0 || return
	end_sw "$swpid"
	grep -q 'not a loopback address' "$d/any.err" || fail "no warning for 0.0.0.0: $(head -3 "$d/any.err")" || return
	spawn_sw lo trace --prometheus 127.0.0.1:0 || return
	end_sw "$swpid"
	! grep -q 'loopback' "$d/lo.err" || fail "a warning for 127.0.0.1" || return
}

# A port in use: exit 2 with the reason, before anything is loaded or the
# output file is made.
test_port_in_use() {
	local p rc
	$PY -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(60)' "$d/port" &
	bg+=("$!")
	wait_for "$d/port" || fail "no listener made" || return
	sleep 0.2
	p=$(cat "$d/port")
	timeout 20 "$SW" trace -o "$d/ev" --prometheus "127.0.0.1:$p" >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 2 ] || fail "exit $rc, not 2" || return
	grep -q "cannot listen on 127.0.0.1:$p: Address already in use" "$d/err" || fail "stderr: $(head -2 "$d/err")" || return
	! grep -q 'Ctrl-C to stop' "$d/err" || fail "it started watching" || return
	[ ! -e "$d/ev" ] || fail "the output file was made" || return
}

# stats --prometheus-no-paths: the held-page gauges carry no file label
# while a pipe holds a page of a file; without it, they name the file.
test_no_paths() {
	local p hold
	for mode in paths no-paths; do
		if [ $mode = paths ]; then
			spawn_sw $mode stats -i 0.3 --prometheus 127.0.0.1:0 || return
		else
			spawn_sw $mode stats -i 0.3 --prometheus 127.0.0.1:0 --prometheus-no-paths || return
		fi
		p=$(port $mode)
		$PY -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); os.pwrite(fd, b"a" * 8192, 0)
r, w = os.pipe(); os.splice(fd, w, 4096, offset_src=0)
open(sys.argv[2], "w").close(); time.sleep(30)' "$d/secret-$mode" "$d/held-$mode" &
		hold=$!
		bg+=("$hold")
		wait_for "$d/held-$mode" || fail "no hold made" || return
		sleep 1
		curl -s -m 2 -o "$d/m-$mode" "http://127.0.0.1:$p/metrics" || fail "$mode: scrape failed" || return
		kill "$hold"
		end_sw "$swpid"
		promtool check metrics <"$d/m-$mode" >"$d/promtool" 2>&1 || fail "$mode: promtool: $(head -3 "$d/promtool")" || return
		if [ $mode = paths ]; then
			grep -q "^splicewatch_pipe_held_pages{file=\"[^\"]*secret-paths\"} 1$" "$d/m-$mode" ||
				fail "paths: the file is not a label: $(grep '^splicewatch_pipe_held_pages' "$d/m-$mode" | head -2)" || return
		else
			grep -q '^splicewatch_pipe_held_pages [1-9]' "$d/m-$mode" ||
				fail "no-paths: held pages: $(grep '^splicewatch_pipe_held_pages' "$d/m-$mode" | head -2)" || return
			! grep -q 'file=' "$d/m-$mode" || fail "no-paths: a file label: $(grep -m1 'file=' "$d/m-$mode")" || return
		fi
	done
}

T metrics_exact_after_workload_promtool_clean test_exact
T verify_changes_counted_by_check_and_action test_verify_changes_counted
T metrics_counted_with_output_blocked_healthz_503 test_blocked
T healthz_200_then_refused_after_stop test_healthz_stop
T idle_connections_one_address_do_not_block_scrapes test_idle_flood
T non_loopback_address_warned test_non_loopback
T port_in_use_exit_2_before_watching test_port_in_use
T stats_prometheus_no_paths_drops_file_label test_no_paths
run_tests
