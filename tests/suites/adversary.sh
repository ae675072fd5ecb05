#!/usr/bin/env bash
# splicewatch against a hostile local user (docs/enforce.md, "Threat model").
# Each test runs an attack as an unprivileged user (uid 65534 through setpriv)
# against root-owned files and root processes, and asserts the outcome: the
# root writer lives or is stopped, the event says why, ci counts or does not.
# Each fails if the protection it names is removed. Actors:
# tests/adversary/actor.py. Prints TAP; exits 1 if a test failed, 2 if it
# cannot run.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=./splicewatch
ACTOR=tests/adversary/actor.py
suite_setup adversary "$ACTOR"
SW=$(realpath "$SW")
ACTOR=$(realpath "$ACTOR")
NOBODY=65534
# The suite's directory must be reachable by the unprivileged user.
chmod 755 "$tmp"

swpid=""
actors=()	# this test's background actors, killed after it
after_each() {
	local p
	stop_sw
	for p in "${actors[@]}"; do kill -KILL "$p" 2>/dev/null; done
	actors=()
}

# "${as_nobody[@]}" CMD...: CMD as uid/gid 65534, no supplementary groups. An
# array, not a function: `CMD &` then gives the actor's own pid in $!.
as_nobody=(setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups --)

# start_sw COMMAND ARGS...: `splicewatch COMMAND --json -o $d/ev ARGS` in the
# background until it says it is attached (30 s at most); stderr in $d/swerr.
start_sw() {
	local cmd=$1
	shift
	"$SW" "$cmd" --json -o "$d/ev" "$@" 2>"$d/swerr" &
	swpid=$!
	bg+=("$swpid")
	wait_started "$swpid" "$d/swerr" && return 0
	kill -INT "$swpid" 2>/dev/null
	wait "$swpid" 2>/dev/null
	swpid=""
	fail "splicewatch $cmd $* did not start: $(head -3 "$d/swerr")"
}

# stop_sw: SIGINT, wait; its exit status in $swrc.
stop_sw() {
	swrc=""
	[ -n "$swpid" ] || return 0
	kill -INT "$swpid" 2>/dev/null
	wait "$swpid"
	swrc=$?
	swpid=""
}

# root_file NAME: a root-owned 0644 file of two pages of 'A' in $d; prints its path.
root_file() {
	head -c 8192 /dev/zero | tr '\0' A >"$d/$1"
	chmod 644 "$d/$1"
	chmod 755 "$d"
	printf '%s\n' "$d/$1"
}

# nobody_hold FILE OFF LEN: as nobody, splice LEN bytes of FILE at OFF into a
# pipe it keeps (in the background, killed after the test); its pid in $holder.
nobody_hold() {
	local out=$d/hold.$2.out i
	"${as_nobody[@]}" "$PY" "$ACTOR" hold "$1" "$2" "$3" >"$out" 2>&1 &
	actors+=("$!")
	bg+=("$!")
	holder=""
	for ((i = 0; i < 500; i++)); do
		holder=$(sed -n 's/^pid=//p' "$out")
		[ -n "$holder" ] && return 0
		sleep 0.02
	done
	fail "the hold did not start: $(cat "$out")"
}

# evs EXPR: a Python expression over the events in $d/ev (list `e`, in order),
# after splicewatch has stopped.
evs() {
	"$PY" - "$d/ev" "$1" <<-'PYEOF'
	import json, sys
	e = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
	r = eval(sys.argv[2])
	sys.exit(0 if r else 1)
	PYEOF
}

# ---- 1. holder trust ----

# trace reports a write into bytes another user holds, whoever holds them.
test_other_users_hold_is_reported_by_trace() {
	local f
	f=$(root_file data)
	start_sw trace || return 1
	nobody_hold "$f" 0 4096 || return 1
	"$PY" "$ACTOR" pwrite "$f" 100 WWWW >"$d/w.out" || return 1
	sleep 0.3
	stop_sw
	grep -q status=ok "$d/w.out" || { fail "the root write failed: $(cat "$d/w.out")"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $holder for x in e)" ||
		fail "no unsafe_write with splicer_pid $holder: $(head -c 600 "$d/ev")"
}
T other_users_hold_is_reported_by_trace test_other_users_hold_is_reported_by_trace

# ---- 2. untrackable holds ----

# bg_actor OUT CMD...: CMD in the background (killed after the test) until it
# prints pid=PID into OUT (60 s at most); that pid in $actor_pid.
bg_actor() {
	local out=$1 i
	shift
	"$@" >"$out" 2>&1 &
	actors+=("$!")
	bg+=("$!")
	actor_pid=""
	for ((i = 0; i < 3000; i++)); do
		actor_pid=$(sed -n 's/^pid=//p' "$out")
		[ -n "$actor_pid" ] && return 0
		kill -0 "${actors[-1]}" 2>/dev/null || break
		sleep 0.02
	done
	fail "actor $* did not start: $(head -c 300 "$out")"
}

# decoys FILE: as nobody, four pipes holding page 1 of FILE: every holder
# slot of the file's first 64-page chunk (SW_HOLDERS_PER_CHUNK).
decoys() {
	bg_actor "$d/decoys.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_many "$1" 4096 4096 4
}

# Four decoy pipes of nobody on page 1 take every holder slot of the file's
# first 64-page chunk; a root hold of page 0 then takes one of them (per-uid
# share: nobody has 2 or more), so the root write into it is reported with
# the root sender as splicer. The decoy given up is told: an untracked_hold
# naming the limit, the holder (nobody's pid, uid, comm), the file and pipe.
test_decoy_holders_cannot_keep_root_hold_untracked() {
	local f dpid
	f=$(root_file data)
	start_sw trace || return 1
	decoys "$f" || return 1
	dpid=$actor_pid
	sleep 0.5	# indexed (GC) before the root hold
	bg_actor "$d/root.out" "$PY" "$ACTOR" hold "$f" 0 4096 || return 1
	"$PY" "$ACTOR" pwrite "$f" 100 WWWW >"$d/w.out" || return 1
	sleep 0.3
	stop_sw
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $actor_pid and x['write_offset'] == 100 for x in e)" ||
		{ fail "the root write into the root hold was not reported: $(head -c 600 "$d/ev")"; return 1; }
	evs "any(x.get('event') == 'untracked_hold' and x['reason'] == 'chunk_holder_evicted'
	         and x['holder_pid'] == $dpid and x['holder_uid'] == $NOBODY
	         and x['holder_comm'] == 'python3' and x['pipe_ino'] > 0
	         and x['dev'] == $(stat -c %d "$f") and x['ino'] == $(stat -c %i "$f") for x in e)" ||
		fail "no untracked_hold naming chunk_holder_evicted, holder $dpid uid $NOBODY and the file: $(grep untracked "$d/ev" | head -c 600)"
}
T decoy_holders_cannot_keep_root_hold_untracked test_decoy_holders_cannot_keep_root_hold_untracked

# One user's fifth pipe on one chunk takes no other user's slot: untracked,
# and the event says so (chunk_holders_full, that user's pid, uid, file).
test_fifth_holder_of_one_user_untracked_event_fields() {
	local f
	f=$(root_file data)
	start_sw trace || return 1
	bg_actor "$d/five.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_many "$f" 4096 4096 5 || return 1
	sleep 0.5
	stop_sw
	evs "[x for x in e if x.get('event') == 'untracked_hold'] and all(x['reason'] == 'chunk_holders_full'
	         and x['holder_pid'] == $actor_pid and x['holder_uid'] == $NOBODY
	         and x['holder_comm'] == 'python3' and x['pipe_ino'] > 0
	         and x['dev'] == $(stat -c %d "$f") and x['ino'] == $(stat -c %i "$f")
	         for x in e if x.get('event') == 'untracked_hold')" ||
		fail "want untracked_hold events naming chunk_holders_full, holder $actor_pid uid $NOBODY and the file: $(head -c 600 "$d/ev")"
}
T fifth_holder_of_one_user_untracked_event_fields test_fifth_holder_of_one_user_untracked_event_fields

# The same attack under ci (the decoys made while it watches: pages put into
# pipes before are not known): the decoy given up is an untracked hold, and
# the run fails (3) on it, the summary naming reason and holder;
# --allow-untracked lets it pass.
test_ci_fails_on_untracked_hold_unless_allowed() {
	local f cmd rc
	f=$(root_file data)
	printf -v cmd '%q ' "${as_nobody[@]}" "$PY" "$ACTOR" hold_many "$f" 4096 4096 4
	cmd+=" >$d/decoys.out & sleep 0.5; $PY $ACTOR hold $f 0 4096 >$d/root.out & sleep 0.5; kill %1 %2"
	"$SW" ci --report "$d/rep.json" -- bash -c "$cmd" >"$d/ci.out" 2>&1
	rc=$?
	[ "$rc" = 3 ] || { fail "ci exited $rc, want 3: $(tail -5 "$d/ci.out")"; return 1; }
	grep -q 'NOT TRACKED (chunk_holder' "$d/ci.out" && grep -q "untracked: chunk_holder[a-z_]*, pid [0-9]* uid $NOBODY comm python3, file " "$d/ci.out" ||
		{ fail "the summary does not name reason and holder: $(grep -i untrack "$d/ci.out")"; return 1; }
	"$PY" - "$d/rep.json" <<-'PYEOF' || { fail "report: $(head -c 600 "$d/rep.json")"; return 1; }
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["exit_status"] == 3 and r["untracked_holds_fail"] and r["untracked_holds"] >= 1
	assert r["untracked"][0]["reason"].startswith("chunk_holder") and r["untracked"][0]["holder_uid"] == 65534
	PYEOF
	"$SW" ci --allow-untracked -- bash -c "$cmd" >"$d/ci2.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] || fail "ci --allow-untracked exited $rc, want 0: $(tail -5 "$d/ci2.out")"
}
T ci_fails_on_untracked_hold_unless_allowed test_ci_fails_on_untracked_hold_unless_allowed

# 16,400 pipes each holding one vmspliced byte of anonymous memory (more
# than the pipes map's 16384 entries), as nobody, in two processes (fds):
# they take no index entry, so a root hold of a root file made after them is
# still tracked and the root write into it reported.
test_anon_flood_takes_no_index_slot() {
	local f a1 a2
	f=$(root_file data)
	start_sw trace || return 1
	bg_actor "$d/flood1.out" "${as_nobody[@]}" "$PY" "$ACTOR" anon_flood 8200 || return 1
	a1=$actor_pid
	bg_actor "$d/flood2.out" "${as_nobody[@]}" "$PY" "$ACTOR" anon_flood 8200 || return 1
	a2=$actor_pid
	[ "$(ls /proc/"$a1"/fd /proc/"$a2"/fd | wc -l)" -gt 32800 ] || { fail "the flood holds too few fds"; return 1; }
	bg_actor "$d/root.out" "$PY" "$ACTOR" hold "$f" 0 4096 || return 1
	"$PY" "$ACTOR" pwrite "$f" 100 WWWW >"$d/w.out" || return 1
	sleep 0.3
	stop_sw
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $actor_pid for x in e)" ||
		fail "the root write into the root hold was not reported after the flood: $(head -c 400 "$d/ev")"
}
T anon_flood_takes_no_index_slot test_anon_flood_takes_no_index_slot

# 16,400 pipes each holding one byte of a root 0644 file, as nobody (more
# than the 16384 pipes entries at the default --max-holds): past its quarter
# (4096) nobody's holds are untracked (user_quota, naming nobody), and a root
# hold of another root file made after them is still tracked and the root
# write into it reported.
test_file_hold_flood_bounded_by_user_quota() {
	local f g
	f=$(root_file bait)
	g=$(root_file data)
	start_sw trace || return 1
	bg_actor "$d/flood1.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_many "$f" 0 1 8200 || return 1
	bg_actor "$d/flood2.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_many "$f" 0 1 8200 || return 1
	bg_actor "$d/root.out" "$PY" "$ACTOR" hold "$g" 0 4096 || return 1
	"$PY" "$ACTOR" pwrite "$g" 100 WWWW >"$d/w.out" || return 1
	sleep 0.3
	stop_sw
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $actor_pid for x in e)" ||
		{ fail "the root write into the root hold was not reported after the flood: $(grep -v chunk_holders_full "$d/ev" | head -c 400)"; return 1; }
	evs "any(x.get('event') == 'untracked_hold' and x['reason'] == 'user_quota' and x['holder_uid'] == $NOBODY
	         and x['ino'] == $(stat -c %i "$f") for x in e)" ||
		fail "no untracked_hold naming user_quota, uid $NOBODY and the file"
}
T file_hold_flood_bounded_by_user_quota test_file_hold_flood_bounded_by_user_quota

# ---- 3. ci scope ----

# ---- 4. allowlists ----

# ---- 5. deny without BPF LSM ----

# ---- 6. check-then-use ----

run_tests
