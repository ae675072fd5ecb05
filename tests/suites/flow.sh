#!/usr/bin/env bash
# trace and enforce output flow: --aggregate (folding repeats, its table's
# bound against an unprivileged flood), the filters (--uid, --tid, --comm,
# --duration) and the text table (columns under their headers, the date).
# Real unsafe writes (tests/flow_workload.py), real programs. Prints TAP;
# exits 1 if a test failed, 2 if it cannot run.
#
# Events are told apart by the writer's comm (-n, unique per test) or pid:
# trace is system-wide.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=./splicewatch
WL=tests/flow_workload.py
suite_setup flow "$WL"
chmod 0711 "$tmp"	# uid 65534's writers work in directories of its own below
SW=$(realpath "$SW")
WL=$(realpath "$WL")
NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups --)
swpid=""
after_each() { [ -z "$swpid" ] || end_sw "$swpid"; swpid=""; }

# wl OUT ARGS...: the workload, its stdout in $d/OUT.
wl() {
	local out=$1
	shift
	"$PY" "$WL" "$@" >"$d/$out" 2>"$d/$out.err" || fail "workload $*: $(cat "$d/$out.err")"
}
# kv OUT KEY: KEY's value in the workload output $d/OUT.
kv() { sed -n "s/^$2=//p" "$d/$1" | head -1; }

# stop: SIGTERM to $swpid, its status in $src; fails unless 0.
stop() {
	end_sw "$swpid" TERM
	swpid=""
	[ "$src" = 0 ] || fail "splicewatch exited $src: $(tail -3 "$d/sw.err")"
}

# ev EXPR: a Python expression over the JSON events in $d/ev (list `e`).
ev() {
	"$PY" - "$d/ev" "$1" <<-'EOF2'
	import json, sys
	e = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	print(eval(sys.argv[2]))
	EOF2
}
evt() { [ "$(ev "$1" 2>&1)" = True ]; }

# summary: the "N unsafe writes detected, N shown" numbers, "DET SHOWN".
summary() {
	sed -nE 's/^splicewatch: ([0-9]+) unsafe writes detected, ([0-9]+) shown,.*/\1 \2/p' "$d/sw.err"
}

# 5,000 identical writes: the first at once, then one aggregate line for
# the other 4,999 (at SIGTERM: the window is a minute); the counts add up
# to what the summary says was shown.
test_identical_writes_one_line_and_one_aggregate() {
	spawn_sw sw trace --json -o "$d/ev" --aggregate 60s -n flow-ident || return
	wl w --writes 5000 --comm flow-ident "$d/f" || return
	stop || return
	evt 'len(e) == 2' || fail "lines: $(ev 'len(e)')" || return
	evt '"count" not in e[0] and e[1]["count"] == 4999' ||
		fail "counts: $(ev '[x.get("count") for x in e]')" || return
	evt 'e[0]["ts_ns"] < e[1]["first_ts_ns"] <= e[1]["last_ts_ns"] == e[1]["ts_ns"]' ||
		fail "times: $(ev '[(x["ts_ns"], x.get("first_ts_ns"), x.get("last_ts_ns")) for x in e]')" || return
	evt 'e[1]["first_time"] <= e[1]["last_time"] and e[1]["last_time"].endswith("Z") and len(e[1]["last_time"]) == 30' ||
		fail "first_time/last_time: $(ev '(e[1].get("first_time"), e[1].get("last_time"))')" || return
	[ "$(summary | cut -d' ' -f2)" = 5000 ] || fail "summary: $(grep detected "$d/sw.err")" || return
	grep -q '^splicewatch: aggregate: 4999 writes folded into 1 aggregate lines, 0 shown unaggregated' "$d/sw.err" ||
		fail "aggregate summary: $(grep 'aggregate:' "$d/sw.err")"
}

# The same writer into two files: two keys, two aggregates.
test_two_files_two_keys() {
	spawn_sw sw trace --json -o "$d/ev" --aggregate 60s -n flow-two || return
	wl w --writes 3 --comm flow-two "$d/a.dat" "$d/b.dat" || return
	stop || return
	# Per file: its first write, then its aggregate (the files' lines may
	# interleave: windows close in the table's order).
	evt 'len(e) == 4 and len({x["pid"] for x in e}) == 1 and all([x.get("count") for x in e if x["path"].endswith(f)] == [None, 2] for f in ("/a.dat", "/b.dat"))' ||
		fail "lines: $(ev '[(x["pid"], x["path"][-1:], x.get("count")) for x in e]')"
}

# A window closes by the clock: its line comes out with no write after it,
# while splicewatch runs.
test_window_closes_without_new_event() {
	spawn_sw sw trace --json -o "$d/ev" --aggregate 1s -n flow-timer || return
	wl w --writes 10 --comm flow-timer "$d/f" || return
	sleep 2.5
	evt 'len(e) == 2 and e[1]["count"] == 9' || fail "2.5 s after the writes: $(ev '[x.get("count") for x in e]')" || return
	stop
}

# SIGTERM with a window open: its aggregate is written, exit 0.
test_sigterm_writes_pending_aggregate() {
	spawn_sw sw trace --json -o "$d/ev" --aggregate 1h -n flow-term || return
	wl w --writes 10 --comm flow-term "$d/f" || return
	sleep 0.5
	evt 'len(e) == 1' || fail "before SIGTERM: $(ev 'len(e)') lines" || return
	stop || return
	evt 'len(e) == 2 and e[1]["count"] == 9' || fail "after SIGTERM: $(ev '[x.get("count") for x in e]')"
}

# Default: off for JSON and files (every write its line), on for text on a
# terminal (script(1) gives it one).
test_default_off_for_files_on_for_terminal() {
	local n spid
	spawn_sw sw trace -o "$d/txt" -n flow-deftxt || return
	wl w --writes 5 --comm flow-deftxt "$d/f" || return
	stop || return
	n=$(grep -c flow-deftxt "$d/txt")
	[ "$n" = 5 ] || fail "text to a file: $n lines, want 5 (off)" || return
	! grep -q 'aggregate:' "$d/sw.err" || fail "aggregate summary with aggregation off" || return
	script -qfec "exec $SW trace -n flow-deftty" "$d/tty" >/dev/null 2>&1 </dev/null &
	spid=$!
	bg+=("$spid")
	for _ in $(seq 1500); do grep -q 'Ctrl-C to stop' "$d/tty" 2>/dev/null && break; sleep 0.02; done
	wl w2 --writes 5 --comm flow-deftty "$d/g" || return
	sleep 0.5
	# script's child, by its id: splicewatch on the terminal.
	kill -TERM "$(pgrep -P "$spid")"
	wait "$spid"
	n=$(tr -d '\r' <"$d/tty" | awk '$4 == "flow-deftty" { printf "%s ", $7 }')
	[ "$n" = "1 4 " ] || fail "on a terminal, COUNT: '$n', want '1 4 '" || return
	grep -q 'aggregate: 4 writes folded' "$d/tty" || fail "summary on a terminal: $(grep aggregate: "$d/tty")"
}

# uid 65534 floods the table with 1500 keys (a writer pid each); root's one
# write meanwhile comes out at once, on its own line. Past SW_AGG_KEYS the
# flood's writes are shown one line each and counted; none is dropped.
test_flood_by_nobody_bounded_root_write_at_once() {
	local rpid n
	chmod 0777 "$d"
	spawn_sw sw trace --json -o "$d/ev" --aggregate 1h || return
	"${NOBODY[@]}" "$PY" "$WL" --forks 1500 --comm flow-flood "$d/nf" >"$d/n" 2>"$d/n.err" ||
		fail "flood: $(cat "$d/n.err")" || return
	wl r --comm flow-root "$d/rf" || return
	rpid=$(kv r pid)
	sleep 0.5
	evt '[x.get("count", 0) for x in e if x["pid"] == '"$rpid"'] == [0]' ||
		fail "root's write while running: $(ev '[x for x in e if x["comm"] == "flow-root"]')" || return
	stop || return
	evt 'sum(1 for x in e if x["comm"] == "flow-flood" and x["uid"] == 65534 and "count" not in x) == 1500' ||
		fail "flood lines: $(ev 'sum(1 for x in e if x["comm"] == "flow-flood")'), want 1500" || return
	n=$(sed -nE 's/^splicewatch: aggregate: 0 writes folded into 0 aggregate lines, ([0-9]+) shown unaggregated \(table of 1024 keys full\)/\1/p' "$d/sw.err")
	# 1500 pids, 1024 keys: at least 476 (and root's) went out past a full table.
	[ "${n:-0}" -ge 477 ] || fail "the table was never full: $(grep 'aggregate:' "$d/sw.err")"
}

# Filters run before aggregation: writes they drop are neither shown nor folded.
test_filters_apply_before_aggregation() {
	spawn_sw sw trace --json -o "$d/ev" --aggregate 1h -n flow-kept || return
	wl a --writes 5 --comm flow-dropped "$d/a.dat" || return
	wl b --comm flow-kept "$d/b.dat" || return
	stop || return
	evt 'len(e) == 1 and e[0]["comm"] == "flow-kept"' || fail "lines: $(ev '[x["comm"] for x in e]')" || return
	grep -q 'aggregate: 0 writes folded' "$d/sw.err" || fail "folded: $(grep aggregate: "$d/sw.err")"
}

# -u: uid 65534's write passes, root's is dropped (and by name).
test_filter_uid() {
	local u
	chmod 0777 "$d"
	for u in 65534 nobody; do
		rm -f "$d/ev"
		spawn_sw sw trace --json -o "$d/ev" -u "$u" || return
		wl r --comm flow-uid "$d/r.dat" || return
		"${NOBODY[@]}" "$PY" "$WL" --comm flow-uid "$d/n" >"$d/n.out" 2>"$d/n.err" || fail "nobody: $(cat "$d/n.err")" || return
		stop || return
		evt '[(x["uid"], x["pid"]) for x in e if x["comm"] == "flow-uid"] == [(65534, '"$(kv n.out pid)"')]' ||
			fail "-u $u: $(ev '[(x["uid"], x["pid"]) for x in e]')" || return
	done
}

# -t: of two threads of one process writing, only the named one's write.
test_filter_tid() {
	local tid pid wpid
	"$PY" "$WL" --thread --both --comm flow-tid --ready "$d/ready" --go "$d/go" "$d/f" >"$d/w" 2>"$d/w.err" &
	wpid=$!
	bg+=("$wpid")
	wait_for "$d/ready" 20 || fail "workload not ready: $(cat "$d/w.err")" || return
	tid=$(kv ready tid)
	pid=$(kv ready pid)
	[ "$tid" != "$pid" ] || fail "the writing thread is the main thread" || return
	spawn_sw sw trace --json -o "$d/ev" -t "$tid" || return
	touch "$d/go"
	wait "$wpid" || fail "workload: $(cat "$d/w.err")" || return
	stop || return
	evt '[(x["pid"], x["tid"]) for x in e if x["pid"] == '"$pid"'] == [('"$pid, $tid"')]' ||
		fail "-t $tid: $(ev '[(x["pid"], x["tid"]) for x in e]')"
}

# -n (comm, was -c): the named comm passes, another is dropped.
test_filter_comm() {
	spawn_sw sw trace --json -o "$d/ev" -n flow-comm-a || return
	wl a --comm flow-comm-a "$d/a.dat" || return
	wl b --comm flow-comm-b "$d/b.dat" || return
	stop || return
	evt '[x["comm"] for x in e] == ["flow-comm-a"]' || fail "lines: $(ev '[x["comm"] for x in e]')"
}

# -d 2: ends by itself after 2 s, exit 0, with the summary.
test_duration_ends_on_time() {
	local start ms
	"$SW" trace --json -o "$d/ev" -d 2 2>"$d/sw.err" &
	swpid=$!
	wait_started "$swpid" "$d/sw.err" || fail "did not start: $(head -2 "$d/sw.err")" || return
	start=$(date +%s%N)
	wait "$swpid"
	src=$?
	swpid=""
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$src" = 0 ] || fail "exit $src: $(tail -2 "$d/sw.err")" || return
	grep -q 'unsafe writes detected' "$d/sw.err" || fail "no summary" || return
	# 2 s from the start of the clock, just before it said it was attached;
	# a poll round (0.1 s) and the detach after.
	if [ "$ms" -lt 1500 ] || [ "$ms" -gt 3000 ]; then
		fail "ended ${ms} ms after it was attached, want about 2000"
	fi
}

# The text table: every field of every line (a 15-byte comm, an aggregate
# line, an offset wider than its column) starts under its header, or one
# space after a field wider than its column; TIME has the date, local time.
test_text_fields_under_headers() {
	spawn_sw sw trace -o "$d/txt" --aggregate 1h || return
	wl a --writes 3 --comm flow-0123456789 "$d/a.dat" || return
	# tmpfs takes an offset of 2^62: HELD is 24 bytes, its column 22.
	wl b --comm flow-wide --offset 4611686018427387904 "/dev/shm/flow-wide.$$" || return
	rm -f "/dev/shm/flow-wide.$$"
	stop || return
	"$PY" - "$d/txt" >"$d/py.out" 2>&1 <<-'EOF2' || fail "$(head -c 600 "$d/py.out")"
	import re, sys, time
	lines = open(sys.argv[1]).read().splitlines()
	hdr = [m.start() for m in re.finditer(r"\S+", lines[0])]
	bad, seen = [], set()
	for line in lines[1:]:
	    f = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", line)]
	    if len(f) != len(hdr):
	        bad.append("%d fields, %d headers: %s" % (len(f), len(hdr), line))
	        continue
	    for i, (s, _, _) in enumerate(f):
	        want = hdr[i] if i == 0 else max(hdr[i], f[i - 1][1] + 1)
	        if s != want:
	            bad.append("field %d at %d, want %d: %s" % (i, s, want, line))
	    t = time.mktime(time.strptime(line[:19], "%Y-%m-%dT%H:%M:%S"))
	    if not re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} ", line) or abs(t - time.time()) > 300:
	        bad.append("TIME is not the local date and time: " + line[:24])
	    comm, count = f[3][2], f[6][2]
	    if comm == "flow-0123456789":
	        seen.add("comm15 x" + count)
	    if comm == "flow-wide":
	        # HELD pushed PIPE 2 columns right; SPLICER is back under its header.
	        if f[9][0] == hdr[9] + 2 and f[10][0] == hdr[10]:
	            seen.add("pushed")
	        else:
	            bad.append("wide HELD: PIPE at %d (header %d), SPLICER at %d (header %d)"
	                       % (f[9][0], hdr[9], f[10][0], hdr[10]))
	for want in ("comm15 x1", "comm15 x2", "pushed"):
	    if want not in seen:
	        bad.append("no line for " + want)
	print("\n".join(bad))
	sys.exit(1 if bad else 0)
	EOF2
}

# --prometheus counts the folded writes as they are folded.
test_prometheus_counts_folded() {
	local p v
	spawn_sw sw trace --json -o "$d/ev" --aggregate 1h -n flow-prom --prometheus 127.0.0.1:0 || return
	p=$(sed -nE 's|.*serving metrics at http://127\.0\.0\.1:([0-9]+)/metrics|\1|p' "$d/sw.err" | head -1)
	wl w --writes 10 --comm flow-prom "$d/f" || return
	sleep 0.5
	curl -s -m 2 -o "$d/m" "http://127.0.0.1:$p/metrics" || fail "scrape failed" || return
	v=$(awk '$1 == "splicewatch_unsafe_writes_folded_total" { print $2 }' "$d/m")
	[ "$v" = 9 ] || fail "folded: ${v:-absent}, want 9" || return
	v=$(awk '$1 == "splicewatch_unsafe_writes_unaggregated_total" { print $2 }' "$d/m")
	[ "$v" = 0 ] || fail "unaggregated: ${v:-absent}, want 0"
}

# enforce, the policy file's "aggregate:": would_kill lines fold the same way.
test_enforce_policy_aggregate() {
	printf 'dry_run: true\naggregate: 1h\n' >"$d/p.yaml"
	spawn_sw sw enforce --policy "$d/p.yaml" --json -o "$d/ev" -n flow-enf || return
	wl w --writes 5 --comm flow-enf "$d/f" || return
	stop || return
	evt '[(x["action"], x.get("count")) for x in e] == [("would_kill", None), ("would_kill", 4)]' ||
		fail "lines: $(ev '[(x["action"], x.get("count")) for x in e]')"
}

T identical_writes_one_line_and_one_aggregate test_identical_writes_one_line_and_one_aggregate
T two_files_two_keys test_two_files_two_keys
T window_closes_without_new_event test_window_closes_without_new_event
T sigterm_writes_pending_aggregate test_sigterm_writes_pending_aggregate
T default_off_for_files_on_for_terminal test_default_off_for_files_on_for_terminal
T flood_by_nobody_bounded_root_write_at_once test_flood_by_nobody_bounded_root_write_at_once
T filters_apply_before_aggregation test_filters_apply_before_aggregation
T filter_uid test_filter_uid
T filter_tid test_filter_tid
T filter_comm test_filter_comm
T duration_ends_on_time test_duration_ends_on_time
T text_fields_under_headers test_text_fields_under_headers
T prometheus_counts_folded test_prometheus_counts_folded
T enforce_policy_aggregate test_enforce_policy_aggregate
run_tests
