#!/usr/bin/env bash
# Reliability and safety (issue 6, docs/reliability.md): load, capacity limits,
# faults, hostile input, privileges, enforcement safety and hygiene (ASan/UBSan,
# valgrind, cppcheck, libFuzzer). Prints TAP (plan first, "ok NAME" / "not ok
# NAME: reason" per test) and "# figure: ..." lines with the measured numbers;
# exits 1 if a test failed, 2 if it cannot run.
#
#   tests/suites/reliability.sh [--only GROUP[,GROUP...]]
#   groups: load capacity faults input privileges enforcement hygiene (= asan
#   valgrind cppcheck fuzz)
#   RELIABILITY_STRESS_SECONDS (20)  stress-ng duration per mode (`make soak`: 120)
#   RELIABILITY_FUZZ_SECONDS (8)    per libFuzzer target
#
# trace is system-wide: checks look only at our files and workloads. Nothing is
# retried: `make test` runs one suite at a time, so a workload killed before its
# write, a count that does not add up (detected != shown + lost), a write after
# a drain not reported or pages still held at exit are failures. Skips (exit 77
# of a test) are for a missing tool or facility only, never for a product
# failure.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
ROOT=$PWD
SW=$ROOT/splicewatch
WL=$ROOT/tests/build/reliability_workload
STRESS_SECONDS=${RELIABILITY_STRESS_SECONDS:-20}
FUZZ_SECONDS=${RELIABILITY_FUZZ_SECONDS:-8}
ONLY=""
[ "${1:-}" = --only ] && ONLY=",${2:-},"
BG_SIGNAL=KILL
suite_setup reliability tests/build/reliability_workload
# valgrind's suppression files start with "{" too: not JSON, left out of
# the schema check.
json_not_records=('*.supp')

figure() { echo "# figure: $*"; }
note() { echo "# note: $*"; }

group() { [ -z "$ONLY" ] || [[ $ONLY == *",$1,"* ]]; }

# summary FILE: "detected shown lost held untracked" from the summary line.
summary() {
	sed -nE 's/^splicewatch: ([0-9]+) unsafe writes detected, ([0-9]+) shown, ([0-9]+) lost records, ([0-9]+) pages held by pipes now, ([0-9]+) holds untracked.*/\1 \2 \3 \4 \5/p' "$1" | tail -1
}

# py SCRIPT ARGS...: a Python check; prints its reason and fails on assertion.
py() {
	local code=$1
	shift
	"$PY" -c "$code" "$@" 2>"$d/py.err" || { why=$(tail -3 "$d/py.err" | tr '\n' ' '); return 1; }
}

# Decoding the way src/json.c encodes: valid UTF-8 sequences as they are, every
# byte of an invalid one as U+FFFD.
PY_EXPECT='
def expect(b):
    out, i = [], 0
    while i < len(b):
        c = b[i]
        n = 1 if c < 0x80 else 2 if c >> 5 == 6 else 3 if c >> 4 == 14 else 4 if c >> 3 == 30 else 0
        if n:
            try:
                s = b[i:i + n].decode("utf-8")
                if len(s) == 1:
                    out.append(s); i += n; continue
            except UnicodeDecodeError:
                pass
        out.append("\ufffd"); i += 1
    return "".join(out)
'

# ---- load ----------------------------------------------------------------------

STRESS=(stress-ng --splice 2 --tee 2 --vm-splice 2 --sendfile 2 --copy-file 2)

# load_under MODE: stress-ng under `splicewatch MODE`. No stress-ng process may
# be reported or killed, and splicewatch must live; a positive control in the
# middle of the load (one known unsafe write, as rw-control) must be reported
# (trace) or killed before its byte lands (enforce), so a detector that saw
# nothing fails. Nothing may be lost.
load_under() {
	local mode=$1 srs start dur spid cst
	command -v stress-ng >/dev/null || { why="stress-ng is not installed (apt-get install stress-ng)"; return 77; }
	spawn_sw sw "$mode" --json -o "$d/ev.json" || return 1
	start=$(date +%s.%N)
	(cd "$d" && exec "${STRESS[@]}" --timeout "${STRESS_SECONDS}s" --metrics-brief >"$d/stress.log" 2>&1) &
	spid=$!
	bg+=("$spid")
	sleep "$((STRESS_SECONDS / 2))"
	"$WL" unsafe "$d/control" 1 rw-control 2>"$d/control.err"
	cst=$?
	wait "$spid"
	srs=$?
	dur=$("$PY" -c "import time,sys; print('%.1f' % (time.time() - float(sys.argv[1])))" "$start")
	kill -0 "$swpid" 2>/dev/null || { wait "$swpid"; fail "splicewatch $mode died during the load (status $?): $(tail -2 "$d/sw.err")"; return; }
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "splicewatch $mode exited $src: $(tail -2 "$d/sw.err")" || return
	read -r det shown lost held untr <<<"$(summary "$d/sw.err")"
	[ -n "${untr:-}" ] || fail "no summary line: $(tail -2 "$d/sw.err")" || return
	# Reports and kills of stress-ng's own processes, of the control, of others.
	read -r ours killed control others bad <<<"$("$PY" -c '
import json, sys
ours = killed = others = bad = 0
control = []
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        e = json.loads(line)
    except ValueError:
        bad += 1
        continue
    if e.get("event") != "unsafe_write":
        continue
    if e["comm"].startswith("stress-ng"):
        ours += 1
        killed += e["action"] in ("killed", "killed_late", "signalled")
    elif e.get("path") == sys.argv[2]:
        control.append("%s/%s/%s" % (e["comm"], e["op"], e["action"]))
    else:
        others += 1
print(ours, killed, ",".join(control) or "none", others, bad)' "$d/ev.json" "$d/control")"
	bogo=$(grep -E 'stress-ng: (info|metrc): +\[[0-9]+\] +(splice|tee|vm-splice|sendfile|copy-file) ' "$d/stress.log" |
		awk '!seen[$4]++ {printf "%s%s=%s", (n++ ? " " : ""), $4, $5}')
	figure "load/$mode: ${dur}s stress-ng ($bogo bogo ops), stress-ng exit $srs," \
		"stress-ng reports $ours, stress-ng kills $killed, control $control (exit $cst), other processes' events $others;" \
		"summary: $det detected, $shown shown, $lost lost, $held held, $untr untracked"
	[ "$bad" = 0 ] || fail "$bad lines of the JSON output do not parse" || return
	[ "$ours" = 0 ] || fail "$ours unsafe-write reports for stress-ng processes: $(grep -m1 stress-ng "$d/ev.json")" || return
	[ "$srs" = 0 ] || fail "stress-ng exited $srs: $(grep -iE 'fail|error|killed' "$d/stress.log" | head -2)" || return
	if [ "$mode" = enforce ]; then
		[ "$control" = rw-control/pwrite64/killed ] || fail "control: events $control, want one pwrite64 killed" || return
		[ "$cst" = 137 ] || fail "control writer exited $cst, want 137 (SIGKILL)" || return
		[ "$(head -c 1 "$d/control")" = A ] || fail "control: the killed write landed ($(head -c 1 "$d/control"))" || return
	else
		[ "$control" = rw-control/pwrite64/reported ] || fail "control: events $control, want one pwrite64 reported" || return
		[ "$cst" = 0 ] || fail "control writer exited $cst: $(cat "$d/control.err")" || return
		[ "$(head -c 1 "$d/control")" = X ] || fail "control: its write did not land ($(head -c 1 "$d/control"))" || return
	fi
	[ "$det" = "$((shown + lost))" ] || fail "detected $det != shown $shown + lost $lost" || return
	[ "$lost" = 0 ] || fail "$lost records lost under load" || return
	[ "$shown" = "$(grep -c '"event":"unsafe_write"' "$d/ev.json")" ] ||
		fail "summary says $shown shown, the output has $(grep -c '"event":"unsafe_write"' "$d/ev.json")"
}
test_load_trace() { load_under trace; }
test_load_enforce() { load_under enforce; }

# ---- capacity --------------------------------------------------------------------

# --max-holds 64: the index has 64 chunk entries (64 file pages each, see
# src/session.c). 256 held pages 64 pages apart need 256 entries: the rest is
# untracked, and the user is told at the time (stderr). Once the pipes are
# drained, a new hold and an unsafe write are detected again.
test_capacity_untracked_and_recovery() {
	spawn_sw sw trace --max-holds 64 --json -o "$d/ev.json" || return 1
	"$WL" hold "$d/big" 256 64 "$d/ready" "$d/done" 2>"$d/hold.err" &
	local hp=$!
	bg+=("$hp")
	wait_for "$d/ready" || { kill "$hp"; fail "hold workload did not start: $(cat "$d/hold.err")"; return; }
	sleep 0.3
	grep -vE 'Ctrl-C|unsafe writes detected' "$d/sw.err" >"$d/notice"
	touch "$d/done"
	wait "$hp" || { fail "hold workload exited $?"; return 1; }
	"$WL" unsafe "$d/after" 1 2>"$d/wl.err" || { fail "workload: $(cat "$d/wl.err")"; return 1; }
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "splicewatch exited $src" || return
	read -r det shown lost held untr <<<"$(summary "$d/sw.err")"
	figure "capacity: --max-holds 64, 256 pages held in 256 chunks: $untr holds untracked; detected after drain: $(grep -c "$d/after" "$d/ev.json")"
	[ "${untr:-0}" -gt 0 ] || fail "holds untracked is ${untr:-missing}, want > 0" || return
	local told
	told=$(grep -c '"event":"untracked_hold"' "$d/ev.json")
	grep -qiE 'index|untrack|max-holds' "$d/notice" || [ "$told" -gt 0 ] ||
		fail "not told while holds were untracked (stderr: $(head -c 200 "$d/notice"); no untracked_hold record)" || return
	figure "capacity: told at the time: $told untracked_hold JSON records, stderr: $(head -1 "$d/notice" | head -c 120)"
	grep -q "\"path\":\"$d/after\"" "$d/ev.json" ||
		{ fail "the unsafe write after the drain was not reported (the index did not recover after the drain)"; return 1; }
	return 0
}

# --ringbuf-kib 16 and a burst of unsafe writes: every detected event is shown or
# counted lost.
test_ringbuf_overflow_accounting() {
	local n=5000
	spawn_sw sw trace --ringbuf-kib 16 --json -o "$d/ev.json" || return 1
	# The frontend drains faster than one writer fills the ring: stopped, it
	# cannot, so the burst overflows every time.
	kill -STOP "$swpid"
	"$WL" unsafe "$d/burst" "$n" 2>"$d/wl.err" || { kill -CONT "$swpid"; fail "workload: $(cat "$d/wl.err")"; return 1; }
	kill -CONT "$swpid"
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "splicewatch exited $src" || return
	read -r det shown lost held untr <<<"$(summary "$d/sw.err")"
	local mine lines
	mine=$(grep -c "\"path\":\"$d/burst\"" "$d/ev.json")
	lines=$(grep -c '"event":"unsafe_write"' "$d/ev.json")
	figure "ringbuf: --ringbuf-kib 16, $n unsafe writes: $det detected, $shown shown ($mine ours), $lost lost"
	[ -n "${untr:-}" ] || fail "no summary" || return
	[ "$lines" = "$shown" ] || fail "summary says $shown shown, output has $lines lines" || return
	[ "$det" -ge "$n" ] || fail "detected $det < $n writes made" || return
	[ "$lost" -gt 0 ] || fail "no records lost: the burst did not overflow a 16 KiB ring" || return
	[ "$det" = "$((shown + lost))" ] || fail "detected $det != shown $shown + lost $lost" || return
}

# ---- faults ----------------------------------------------------------------------

# Programs named sw_* and maps named splicewa* that no live process holds.
ORPHANS='
import json, os, subprocess, sys
def show(kind):
    r = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True)
    return json.loads(r.stdout or "[]")
held = {"prog_id": set(), "map_id": set(), "link_id": set()}
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        for fd in os.listdir("/proc/%s/fdinfo" % pid):
            try:
                for line in open("/proc/%s/fdinfo/%s" % (pid, fd)):
                    k, _, v = line.partition(":")
                    if k in held:
                        held[k].add(int(v))
            except OSError:
                pass
    except OSError:
        pass
progs, maps, links = show("prog"), show("map"), show("link")
for l in links:
    if l["id"] in held["link_id"]:
        held["prog_id"].add(l.get("prog_id"))
live_maps = set(held["map_id"])
for p in progs:
    if p["id"] in held["prog_id"]:
        live_maps.update(p.get("map_ids", []))
bad = ["prog %d %s" % (p["id"], p.get("name")) for p in progs
       if p.get("name", "").startswith("sw_") and p["id"] not in held["prog_id"]]
bad += ["map %d %s" % (m["id"], m.get("name")) for m in maps
        if m.get("name", "").startswith("splicewa") and m["id"] not in live_maps]
print(" ".join(bad))
'

test_sigkill_leaves_nothing() {
	local ids i left orphans
	spawn_sw sw trace || return 1
	ids=$(bpf_ids "$swpid")
	[[ $ids == *prog_id* && $ids == *map_id* && $ids == *link_id* ]] || fail "no BPF fds in fdinfo: $ids" || return
	kill -9 "$swpid"
	wait "$swpid" 2>/dev/null
	wait_bpf_ids_freed "$ids" 10
	left=$ids_left
	figure "sigkill: $(wc -w <<<"$ids") BPF objects held by the killed trace, left after $((waited_ds / 10)).$((waited_ds % 10))s: ${left:-none}"
	[ -z "$left" ] || fail "still loaded after SIGKILL:$left" || return
	for ((i = 0; i < 20; i++)); do
		orphans=$("$PY" -c "$ORPHANS") || fail "bpftool failed" || return
		[ -z "$orphans" ] && return 0
		sleep 0.5
	done
	fail "sw_*/splicewa* objects held by no process: $orphans"
}

test_sigint_and_sigterm_summary() {
	local sig
	for sig in INT TERM; do
		spawn_sw "sw$sig" trace || return 1
		end_sw "$swpid" "$sig"
		[ "$src" = 0 ] || fail "SIG$sig: exit $src, want 0" || return
		[ -n "$(summary "$d/sw$sig.err")" ] || fail "SIG$sig: no summary: $(tail -1 "$d/sw$sig.err")" || return
	done
}

test_two_instances_both_report() {
	local a b
	spawn_sw a trace --json -o "$d/a.json" || return 1
	a=$swpid
	spawn_sw b trace --json -o "$d/b.json" || return 1
	b=$swpid
	"$WL" unsafe "$d/both" 1 2>"$d/wl.err" || { fail "workload: $(cat "$d/wl.err")"; return 1; }
	sleep 0.3
	end_sw "$a"
	local ra=$src
	end_sw "$b"
	[ "$ra" = 0 ] && [ "$src" = 0 ] || fail "exit statuses $ra, $src" || return
	py '
import json, sys
def mine(f):
    return [(e["pid"], e["write_offset"], e["pipe_ino"]) for e in map(json.loads, open(f))
            if e.get("path") == sys.argv[3]]
a, b = mine(sys.argv[1]), mine(sys.argv[2])
assert len(a) == 1 and a == b, (a, b)' "$d/a.json" "$d/b.json" "$d/both"
}

# SPLICEWATCH_BENCH_TOGGLE=1 (make bench's A/B): SIGUSR1 detaches every
# program and answers SIGUSR1, SIGUSR2 attaches them again and answers. A hold
# made while detached is not seen; after re-attaching, detection works again.
toggle_ack=0
bench_toggle_checks() {
	local links i
	SPLICEWATCH_BENCH_TOGGLE=1 spawn_sw sw trace --json -o "$d/t.json" || return 1
	links=$(bpf_ids "$swpid" | grep -o 'link_id:[0-9]*' | wc -l)
	kill -USR1 "$swpid"
	for ((i = 0; i < 50 && toggle_ack < 1; i++)); do sleep 0.1; done
	[ "$toggle_ack" = 1 ] || fail "no answer to SIGUSR1 within 5 s" || return
	[[ $(bpf_ids "$swpid") != *link_id* ]] || fail "links left after SIGUSR1: $(bpf_ids "$swpid")" || return
	"$WL" unsafe "$d/detached" 1 2>"$d/wl1.err" || { fail "workload: $(cat "$d/wl1.err")"; return 1; }
	kill -USR2 "$swpid"
	for ((i = 0; i < 50 && toggle_ack < 2; i++)); do sleep 0.1; done
	[ "$toggle_ack" = 2 ] || fail "no answer to SIGUSR2 within 5 s" || return
	[ "$(bpf_ids "$swpid" | grep -o 'link_id:[0-9]*' | wc -l)" = "$links" ] ||
		fail "links after SIGUSR2: $(bpf_ids "$swpid"), want $links" || return
	"$WL" unsafe "$d/attached" 1 2>"$d/wl2.err" || { fail "workload: $(cat "$d/wl2.err")"; return 1; }
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "exit $src" || return
	py '
import json, sys
paths = [e.get("path") for e in map(json.loads, open(sys.argv[1]))]
assert sys.argv[3] in paths, ("not reported after SIGUSR2", paths)
assert sys.argv[2] not in paths, ("reported while detached", paths)' "$d/t.json" "$d/detached" "$d/attached"
}
test_bench_toggle_detaches_and_reattaches() {
	local r
	toggle_ack=0
	trap 'toggle_ack=$((toggle_ack + 1))' USR1
	bench_toggle_checks
	r=$?
	trap - USR1
	return "$r"
}

# The process holding a pipe is SIGKILLed: the hold goes with it. A write to the
# formerly held range is not reported and the summary shows no pages held.
test_killed_splicer_leaves_no_stale_hold() {
	local hp lp
	spawn_sw sw trace --json -o "$d/ev.json" || return 1
	"$WL" hold-forever "$d/held" "$d/ready" 2>"$d/hold.err" &
	hp=$!
	bg+=("$hp")
	wait_for "$d/ready" || { fail "hold-forever did not start: $(cat "$d/hold.err")"; return; }
	# Positive control: while it is held, the write is unsafe.
	"$WL" pwrite "$d/held" 0 16 2>/dev/null || { fail "control write failed or was killed"; return 1; }
	kill -9 "$hp"
	wait "$hp" 2>/dev/null
	# A splicer killed in the middle of its splice/read loop.
	"$WL" splice-loop "$d/loop" "$d/ready2" 2>"$d/loop.err" &
	lp=$!
	bg+=("$lp")
	wait_for "$d/ready2" || { fail "splice-loop did not start: $(cat "$d/loop.err")"; return; }
	sleep 0.2
	kill -9 "$lp"
	wait "$lp" 2>/dev/null
	sleep 0.5	# the frontend's garbage collection runs every 200 ms
	"$WL" pwrite "$d/held" 0 16 2>/dev/null || { fail "write failed or was killed"; return 1; }
	"$WL" pwrite "$d/loop" 0 4096 2>/dev/null || { fail "write failed or was killed"; return 1; }
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "splicewatch exited $src" || return
	read -r det shown lost held untr <<<"$(summary "$d/sw.err")"
	py '
import json, sys
ev = [e for e in map(json.loads, open(sys.argv[1])) if e.get("path") in (sys.argv[2], sys.argv[3])]
assert len(ev) == 1 and ev[0]["path"] == sys.argv[2], "want only the control write, got %r" % [(e["path"], e["write_offset"], e["splicer_comm"]) for e in ev]
' "$d/ev.json" "$d/held" "$d/loop" || return
	figure "killed splicer: control write reported, writes after the kill: 0 reports; pages held at exit: $held"
	[ "$held" = 0 ] || { fail "$held pages held at exit, want 0 (every hold was released)"; return 1; }
	[ "$lost" = 0 ] || fail "$lost records lost" || return
}

# ---- hostile input ---------------------------------------------------------------

test_hostile_names_json_and_text() {
	local names=("with space" $'new\nline' 'dq"uote' "sq'uote" 'back\slash' $'ctl\x01\x1b\x7f\x08'
		$'inv\xff\xfe-utf8' $'trunc\xe2\x82' $'lone\x80cont' $'caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80' $'tab\there'
		$'\xed\xa0\x80surrogate' $'over\xc0\xaflong')
	local comms=($'c "q\\\n\x01\xff' $'tab\tq\x7f\xc3' $'\xe2\x9c\x93 ok' 'plain')
	local i=0 n dir=$d/in
	mkdir -p "$dir"
	spawn_sw j trace --json -o "$d/ev.json" || return 1
	local jp=$swpid
	spawn_sw x trace -o "$d/ev.txt" || return 1
	local xp=$swpid
	: >"$d/expected"
	for n in "${names[@]}"; do
		local c=${comms[i % ${#comms[@]}]}
		"$WL" unsafe "$dir/$n" 1 "$c" 2>>"$d/wl.err" || { fail "workload killed: $(tail -1 "$d/wl.err")"; return 1; }
		i=$((i + 1))
	done
	sleep 0.3
	end_sw "$jp"
	local rj=$src
	end_sw "$xp"
	[ "$rj" = 0 ] && [ "$src" = 0 ] || fail "exit statuses $rj, $src" || return
	# Arguments: the JSON file, the directory, then pairs of (path, comm) as bytes.
	local args=()
	i=0
	for n in "${names[@]}"; do
		args+=("$dir/$n" "${comms[i % ${#comms[@]}]}")
		i=$((i + 1))
	done
	py "$PY_EXPECT"'
import json, os, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")          # strict: the output is valid UTF-8
events = []
for line in text.split("\n")[:-1]:
    e = json.loads(line, strict=True)  # no raw control characters in strings
    assert isinstance(e, dict)
    events.append(e)
want = sys.argv[3:]
pairs = [(os.fsencode(want[k]), os.fsencode(want[k + 1])[:15]) for k in range(0, len(want), 2)]
got = [(e["path"], e["comm"]) for e in events if e.get("path", "").startswith(sys.argv[2])]
exp = [(expect(p), expect(c)) for p, c in pairs]
missing = [x for x in exp if x not in got]
assert not missing, "not found: %r; got %r" % (missing[:3], got[:3])
assert len(got) == len(exp), (len(got), len(exp))
# Where the bytes are valid UTF-8, the decoded path is the real path.
for (p, c), (gp, gc) in zip(pairs, exp):
    try:
        assert gp == p.decode("utf-8")
    except UnicodeDecodeError:
        assert "\ufffd" in gp
' "$d/ev.json" "$dir/" "${args[@]}" || return
	# Text: one line per event; every line a header or an event.
	py '
import re, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
ours = [l for l in lines if sys.argv[2].encode() in l]
assert len(ours) == int(sys.argv[3]), "%d lines name our dir, want %s" % (len(ours), sys.argv[3])
for l in lines:
    assert l.startswith(b"TIME ") or re.match(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} ", l), l
    assert not re.search(rb"[\x00-\x1f\x7f]", l), l
' "$d/ev.txt" "$dir/" "${#names[@]}" || return
	figure "hostile names: ${#names[@]} files, ${#comms[@]} comms: JSON strict-parses, decoded as expected; text one line each"
}

test_spaces_in_path_filter_and_output() {
	local dir="$d/dir with spaces" out="$d/out file.json"
	mkdir -p "$dir" "$d/other"
	spawn_sw sw trace --json --path "$dir/" -o "$out" || return 1
	"$WL" unsafe "$dir/a file" 1 2>"$d/wl.err" || { fail "workload failed or was killed"; return 1; }
	"$WL" unsafe "$d/other/b" 1 2>"$d/wl.err" || { fail "workload failed or was killed"; return 1; }
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "exit $src" || return
	py '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ev = [e for e in ev if e.get("event") == "unsafe_write"]
assert [e["path"] for e in ev] == [sys.argv[2]], [e["path"] for e in ev]' "$out" "$dir/a file"
}

# ---- privileges ------------------------------------------------------------------

test_not_root_one_clear_message() {
	id nobody >/dev/null 2>&1 || { why="no user nobody"; return 77; }
	local cmd out rc
	for cmd in "trace" "enforce" "ci -- true"; do
		# shellcheck disable=SC2086
		out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$SW" $cmd 2>&1 >/dev/null)
		rc=$?
		[ "$rc" = 2 ] || fail "$cmd as nobody: exit $rc, want 2" || return
		[ "$(wc -l <<<"$out")" = 1 ] && grep -q 'missing capabilities CAP_BPF (.*), CAP_PERFMON (' <<<"$out" ||
			fail "$cmd as nobody: want one 'missing capabilities CAP_BPF, CAP_PERFMON' line, got: $out" || return
	done
}

# ---- enforcement safety ----------------------------------------------------------

# splicewatch writes its own -o file: another process holds that file's bytes in a
# pipe, so splicewatch's next event line is itself an unsafe write. splicewatch
# never acts on itself: that write is neither signalled nor reported (the check
# returns before it looks, a report would be one more such write), and
# splicewatch lives. The pipe's bytes prove the write did land in the held page.
test_enforce_never_signals_itself() {
	local hp swp
	spawn_sw sw enforce --json -o "$d/out.json" || return 1
	swp=$swpid
	{ "$WL" unsafe "$d/first" 1; } 2>/dev/null	# killed; event 1 goes to out.json
	for ((i = 0; i < 100; i++)); do [ -s "$d/out.json" ] && break; sleep 0.05; done
	[ -s "$d/out.json" ] || fail "first event not written" || return
	"$WL" self-hold "$d/out.json" "$d/ready" "$d/done" "$d/pipe" 2>"$d/hold.err" &
	hp=$!
	bg+=("$hp")
	wait_for "$d/ready" || { fail "self-hold did not start: $(cat "$d/hold.err")"; return; }
	{ "$WL" unsafe "$d/second" 1; } 2>/dev/null	# killed; event 2 overwrites held bytes
	sleep 1
	kill -0 "$swp" 2>/dev/null || { wait "$swp"; fail "splicewatch died (status $?) writing into its held output"; return; }
	touch "$d/done"
	wait "$hp" || fail "self-hold: $(cat "$d/hold.err")" || return
	end_sw "$swp"
	[ "$src" = 0 ] || fail "splicewatch exited $src" || return
	read -r det shown lost held untr <<<"$(summary "$d/sw.err")"
	[ "${lost:-missing}" = 0 ] || fail "lost records: ${lost:-no summary}" || return
	# Ground truth: the held page now carries splicewatch's second event.
	grep -qF "\"path\":\"$d/second\"" "$d/pipe" ||
		fail "splicewatch's event 2 never reached the held page (pipe: $(tr -d '#' <"$d/pipe" | head -c 150)): nothing tested" || return
	py '
import json, sys
ev = []
for l in open(sys.argv[1], "rb").read().split(b"\n"):
    try:
        ev.append(json.loads(l.lstrip(b"#")))
    except ValueError:
        pass
ev = [e for e in ev if isinstance(e, dict)]
self_ev = [e for e in ev if e.get("pid") == int(sys.argv[2])]
# Its own writes into its held output are neither signalled nor reported.
assert not self_ev, self_ev
mine = [(e["path"], e["action"]) for e in ev if e.get("path", "").startswith(sys.argv[3])]
# The truncate that makes the file end inside the held page, then event 2.
assert mine == [(sys.argv[3] + "out.json", "killed_late"), (sys.argv[3] + "second", "killed")], mine
print(len(ev))' "$d/out.json" "$swp" "$d/" >"$d/nself" || return
	figure "enforce self: splicewatch wrote $(cat "$d/nself") events, the last two into its own held -o file: none reported as its own, it was not signalled; summary: $det detected"
}

test_enforce_pid_reuse() {
	[ -w /proc/sys/kernel/ns_last_pid ] || { why="no writable /proc/sys/kernel/ns_last_pid"; return 77; }
	spawn_sw sw enforce --json -o "$d/ev.json" || return 1
	"$WL" pid-reuse "$d/f" 2>"$d/wl.err"
	local r=$?
	sleep 0.2
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "splicewatch exited $src" || return
	[ "$r" = 77 ] && { why=$(tail -1 "$d/wl.err"); return 77; }
	[ "$r" = 0 ] || fail "$(grep -m2 -E 'FAIL|reliability_workload' "$d/wl.err" | tr '\n' ' ')" || return
	py '
import json, sys
ev = [e for e in map(json.loads, open(sys.argv[1])) if e.get("path") == sys.argv[2]]
assert [(e["comm"], e["action"], e["splicer_comm"]) for e in ev] == [("rw-writer", "killed", "rw-splicer")], ev' \
		"$d/ev.json" "$d/f" || return
	figure "pid reuse: $(tail -1 "$d/wl.err")"
}

# ---- hygiene ---------------------------------------------------------------------

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
SAN_RE='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)'

test_asan_build() {
	make -s asan >"$d/make.log" 2>&1 || fail "make asan: $(grep -m3 -E 'error|Error' "$d/make.log")"
}

test_asan_session_and_cli_errors() {
	local A=$ROOT/build-asan/splicewatch
	[ -x "$A" ] || fail "no build-asan/splicewatch" || return
	SWBIN=$A spawn_sw sw trace --json -o "$d/ev.json" || return 1
	"$WL" unsafe "$d/a" 3 2>/dev/null
	"$WL" unsafe $'/'"${d#/}"$'/b \xff\n"' 1 $'x\xff\n\\' 2>/dev/null
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "asan trace exited $src: $(grep -m2 -E "$SAN_RE" "$d/sw.err")" || return
	! grep -qE "$SAN_RE" "$d/sw.err" || fail "trace: $(grep -m3 -E "$SAN_RE" "$d/sw.err")" || return
	SWBIN=$A spawn_sw text trace -P "$d/" || return 1
	"$WL" unsafe "$d/c" 2 2>/dev/null
	sleep 0.3
	end_sw "$swpid" TERM
	[ "$src" = 0 ] && ! grep -qE "$SAN_RE" "$d/text.err" || fail "text trace: $src $(grep -m3 -E "$SAN_RE" "$d/text.err")" || return
	SWBIN=$A spawn_sw enf enforce --dry-run --json --allow-comm foo --allow-pid 12345 || return 1
	"$WL" unsafe "$d/e" 1 2>/dev/null
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] && ! grep -qE "$SAN_RE" "$d/enf.err" || fail "enforce: $src $(grep -m3 -E "$SAN_RE" "$d/enf.err")" || return
	"$A" ci --report "$d/r.json" --junit "$d/j.xml" --write-baseline "$d/b.txt" -- "$WL" unsafe "$d/ci" 1 >/dev/null 2>"$d/ci.err"
	local rc=$?
	[ "$rc" = 3 ] || [ "$rc" = 137 ] || fail "ci exited $rc: $(tail -2 "$d/ci.err")" || return
	! grep -qE "$SAN_RE" "$d/ci.err" || fail "ci: $(grep -m3 -E "$SAN_RE" "$d/ci.err")" || return
	"$A" ci -q --baseline "$d/b.txt" -- "$WL" unsafe "$d/ci" 1 >/dev/null 2>"$d/ci2.err"
	! grep -qE "$SAN_RE" "$d/ci2.err" || fail "ci baseline: $(grep -m3 -E "$SAN_RE" "$d/ci2.err")" || return
	# The command-line error paths (tests/suites/cli.sh), each must exit 2 cleanly.
	printf '#c\nbad line\n' >"$d/badbase"
	local args n=0
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		eval "set -- $args"
		"$A" "$@" >/dev/null 2>"$d/cli.err"
		rc=$?
		n=$((n + 1))
		[ "$rc" = 2 ] || fail "'$args': exit $rc, want 2: $(grep -m2 -E "$SAN_RE|splicewatch" "$d/cli.err")" || return
		! grep -qE "$SAN_RE" "$d/cli.err" || fail "'$args': $(grep -m3 -E "$SAN_RE" "$d/cli.err")" || return
	done <<-EOF
	
	frobnicate
	--bogus
	trace --bogus
	trace --pid abc
	trace --comm 0123456789abcdefXYZ
	trace --path relative/dir
	trace --cgroup /nonexistent/cg
	trace --max-holds 5
	trace --ringbuf-kib 1
	trace --backend bogus
	trace --backend fentry
	trace -o /nonexistent/dir/out
	trace extra
	enforce --signal SIGFOO
	enforce --allow-pid -3
	enforce --allow-comm ''
	enforce --allow-cgroup /nonexistent
	enforce --action maim
	ci
	ci --baseline /nonexistent -- true
	ci --baseline $d/badbase -- true
	ci --report /nonexistent/r.json -- true
	stats --bogus
	top --bogus
	features --bogus
	EOF
	figure "asan: trace (json, text), enforce --dry-run, ci (report, junit, baseline) and $n CLI error paths: no sanitizer findings"
}

test_valgrind_trace() {
	command -v valgrind >/dev/null || { why="valgrind is not installed"; return 77; }
	# libbpf zeroes only the bpf_attr fields a command uses (attr_sz); valgrind
	# 3.19 checks more of the union. Suppressed for libbpf's frames only: its
	# shared object, or (linked in, LIBBPF_STATIC=1) its program loader.
	cat >"$d/libbpf.supp" <<-'EOF'
	{
	   libbpf-partial-bpf-attr-1
	   Memcheck:Param
	   bpf(attr->expected_attach_type)
	   fun:syscall
	   obj:*/libbpf.so*
	}
	{
	   libbpf-partial-bpf-attr-2
	   Memcheck:Param
	   bpf(attr->prog_ifindex)
	   fun:syscall
	   obj:*/libbpf.so*
	}
	{
	   libbpf-static-partial-bpf-attr-1
	   Memcheck:Param
	   bpf(attr->expected_attach_type)
	   fun:syscall
	   fun:sys_bpf_prog_load
	}
	{
	   libbpf-static-partial-bpf-attr-2
	   Memcheck:Param
	   bpf(attr->prog_ifindex)
	   fun:syscall
	   fun:sys_bpf_prog_load
	}
	EOF
	"$WL" unsafe "$d/warm" 1 2>/dev/null
	SWBIN="valgrind" spawn_sw vg --suppressions="$d/libbpf.supp" --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=9 "$SW" trace --json -o "$d/ev.json" ||
		{ why="$why (valgrind cannot run it?)"; return 1; }
	"$WL" unsafe "$d/a" 5 2>/dev/null
	"$WL" unsafe "$d/b" 1 $'v\xff"\n' 2>/dev/null
	sleep 1
	end_sw "$swpid"
	local lost def
	def=$(sed -nE 's/.*definitely lost: ([0-9,]+) bytes.*/\1/p' "$d/vg.err")
	figure "valgrind: exit $src; $(grep -m1 -E 'ERROR SUMMARY' "$d/vg.err" | sed 's/^==[0-9]*== //'); definitely lost ${def:-0}; events $(grep -c "$d/" "$d/ev.json")"
	[ "$src" = 0 ] || fail "valgrind exit $src: $(grep -m3 -E 'Invalid|uninitialised|definitely|ERROR SUMMARY' "$d/vg.err")" || return
	[ "$(grep -c "\"path\":\"$d/a\"" "$d/ev.json")" = 5 ] || fail "under valgrind: $(grep -c "$d/a" "$d/ev.json") of 5 events"
}

test_cppcheck() {
	command -v cppcheck >/dev/null || { why="cppcheck is not installed"; return 77; }
	make -s cppcheck >"$d/cppcheck.log" 2>&1 || fail "$(grep -m3 -E '\[|error' "$d/cppcheck.log" | tr '\n' ' ')"
}

test_fuzz() {
	make -s fuzz FUZZ_SECONDS="$FUZZ_SECONDS" >"$d/fuzz.log" 2>&1
	local rc=$?
	sed -n 's/^fuzz: \(.*number_of_executed_units.*\)/\1/p' "$d/fuzz.log" | while read -r l; do figure "fuzz: $l"; done
	[ "$rc" = 0 ] || fail "$(grep -E 'FAILED|ERROR|SUMMARY|error:|runtime error' "$d/fuzz.log" | head -4 | tr '\n' ' ')"
}

# ---- run -------------------------------------------------------------------------

if group hygiene || group asan; then
	T asan_build test_asan_build
	T asan_session_and_cli_errors test_asan_session_and_cli_errors
fi
group hygiene || group valgrind && T valgrind_trace_no_leaks_or_errors test_valgrind_trace
group hygiene || group cppcheck && T cppcheck_src_clean test_cppcheck
group hygiene || group fuzz && T fuzz_json_ci_baseline_policy test_fuzz
if group privileges; then
	T not_root_one_clear_message test_not_root_one_clear_message
fi
if group faults; then
	T sigkill_leaves_no_bpf_objects test_sigkill_leaves_nothing
	T sigint_and_sigterm_exit_0_with_summary test_sigint_and_sigterm_summary
	T two_instances_both_report test_two_instances_both_report
	T killed_splicer_leaves_no_stale_hold test_killed_splicer_leaves_no_stale_hold
	T bench_toggle_detaches_and_reattaches test_bench_toggle_detaches_and_reattaches
fi
if group input; then
	T hostile_names_json_and_text test_hostile_names_json_and_text
	T spaces_in_path_filter_and_output test_spaces_in_path_filter_and_output
fi
if group capacity; then
	T capacity_untracked_and_recovery test_capacity_untracked_and_recovery
	T ringbuf_overflow_detected_eq_shown_plus_lost test_ringbuf_overflow_accounting
fi
if group enforcement; then
	T enforce_never_signals_itself test_enforce_never_signals_itself
	T enforce_pid_reuse_only_writer_killed test_enforce_pid_reuse
fi
if group load; then
	T load_stress_ng_under_trace test_load_trace
	T load_stress_ng_under_enforce test_load_enforce
fi
run_tests
