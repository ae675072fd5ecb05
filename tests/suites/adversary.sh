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

# wait_line FILE KEY: the value of the first "KEY=value" line FILE gets (10 s at most).
wait_line() {
	local i v
	for ((i = 0; i < 500; i++)); do
		v=$(sed -n "s/^$2=//p" "$1" | head -1)
		[ -n "$v" ] && { printf '%s\n' "$v"; return 0; }
		sleep 0.02
	done
	return 1
}

# root_write FILE OFF DATA: pwrite as root in a child; its exit status in
# $wrc (137: SIGKILLed), its output in $d/w.out.
root_write() {
	"$PY" "$ACTOR" pwrite "$@" >"$d/w.out" 2>&1
	wrc=$?
}

# nobody_hold FILE OFF LEN: as nobody, splice LEN bytes of FILE at OFF into a
# pipe it keeps (in the background, killed after the test); its pid in $holder.
nobody_hold() {
	local out=$d/hold.$2.out
	"${as_nobody[@]}" "$PY" "$ACTOR" hold "$1" "$2" "$3" >"$out" 2>&1 &
	actors+=("$!")
	bg+=("$!")
	holder=$(wait_line "$out" pid) || fail "the hold did not start: $(cat "$out")"
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

# The attack: nobody keeps page 0 of a root 0644 file in a pipe; a root
# daemon then writes there. enforce reports it and leaves the writer alone.
test_other_users_hold_does_not_stop_root_writer() {
	local f
	f=$(root_file data)
	start_sw enforce || return 1
	nobody_hold "$f" 0 4096 || return 1
	root_write "$f" 100 WWWW
	sleep 0.3
	stop_sw
	[ "$wrc" = 0 ] && grep -q status=ok "$d/w.out" ||
		{ fail "the root writer did not live through its write (status $wrc): $(cat "$d/w.out")"; return 1; }
	[ "$(head -c 104 "$f" | tail -c 4)" = WWWW ] || { fail "the write did not land"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $holder and
		 x['action'] == 'reported' and x['holder_trusted'] is False and
		 x['splicer_uid'] == $NOBODY and x['uid'] == 0 for x in e)" ||
		fail "no reported, untrusted event for holder $holder: $(head -c 800 "$d/ev")"
}
T other_users_hold_does_not_stop_root_writer test_other_users_hold_does_not_stop_root_writer

# --protect-uid names the consumer: its hold then stops any writer.
test_protected_users_hold_stops_root_writer() {
	local f
	f=$(root_file data)
	start_sw enforce --protect-uid nobody || return 1
	nobody_hold "$f" 0 4096 || return 1
	root_write "$f" 100 WWWW
	sleep 0.3
	stop_sw
	[ "$wrc" = 137 ] || { fail "the root writer was not killed (status $wrc): $(cat "$d/w.out")"; return 1; }
	[ "$(head -c 104 "$f" | tail -c 4)" = AAAA ] || { fail "the write landed"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $holder and
		 x['action'] == 'killed' and x['holder_trusted'] is True for x in e)" ||
		fail "no killed, trusted event for holder $holder: $(head -c 800 "$d/ev")"
}
T protected_users_hold_stops_root_writer test_protected_users_hold_stops_root_writer

# Root holds the same bytes as nobody, after nobody: the untrusted holder
# found first must not hide the trusted one.
test_trusted_hold_beside_untrusted_one_is_acted_on() {
	local f rootholder
	f=$(root_file data)
	start_sw enforce || return 1
	nobody_hold "$f" 0 4096 || return 1
	"$PY" "$ACTOR" hold "$f" 0 4096 >"$d/roothold.out" 2>&1 &
	actors+=("$!")
	bg+=("$!")
	rootholder=$(wait_line "$d/roothold.out" pid) || { fail "no root hold"; return 1; }
	root_write "$f" 100 WWWW
	sleep 0.3
	stop_sw
	[ "$wrc" = 137 ] || { fail "the root writer was not killed (status $wrc)"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $rootholder and
		 x['action'] == 'killed' and x['holder_trusted'] is True for x in e)" ||
		fail "no killed event naming the root holder $rootholder: $(head -c 800 "$d/ev")"
}
T trusted_hold_beside_untrusted_one_is_acted_on test_trusted_hold_beside_untrusted_one_is_acted_on

# The policy file's protect.uids is --protect-uid.
test_policy_protect_uids_stops_root_writer() {
	local f
	f=$(root_file data)
	printf 'version: 1\nprotect:\n  uids: [%s]\n' "$NOBODY" >"$d/policy.yaml"
	start_sw enforce --policy "$d/policy.yaml" || return 1
	nobody_hold "$f" 0 4096 || return 1
	root_write "$f" 100 WWWW
	sleep 0.3
	stop_sw
	[ "$wrc" = 137 ] || fail "the root writer was not killed (status $wrc): $(cat "$d/w.out")"
}
T policy_protect_uids_stops_root_writer test_policy_protect_uids_stops_root_writer

# A user's own hold stops that user's writer: what enforce is for.
test_own_users_hold_stops_its_writer() {
	local f wrc
	f=$(root_file data)
	chown "$NOBODY" "$f"
	start_sw enforce || return 1
	nobody_hold "$f" 0 4096 || return 1
	"${as_nobody[@]}" "$PY" "$ACTOR" pwrite "$f" 100 WWWW >"$d/w.out" 2>&1
	wrc=$?
	sleep 0.3
	stop_sw
	[ "$wrc" = 137 ] || { fail "the writer was not killed (status $wrc): $(cat "$d/w.out")"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['action'] == 'killed' and
		 x['holder_trusted'] is True and x['uid'] == $NOBODY for x in e)" ||
		fail "no killed, trusted event: $(head -c 800 "$d/ev")"
}
T own_users_hold_stops_its_writer test_own_users_hold_stops_its_writer

# A pipe nobody made, handed to a root splicer (here through /proc/PID/fd):
# the pipe is nobody's, so the hold is not root's to act on.
test_pipe_of_another_user_is_not_trusted() {
	local f w pid
	f=$(root_file data)
	start_sw enforce || return 1
	"${as_nobody[@]}" "$PY" "$ACTOR" pipe >"$d/pipe.out" 2>&1 &
	actors+=("$!")
	bg+=("$!")
	w=$(wait_line "$d/pipe.out" w) || { fail "no pipe: $(cat "$d/pipe.out")"; return 1; }
	pid=$(wait_line "$d/pipe.out" pid)
	"$PY" "$ACTOR" splice_into "$f" 0 4096 "$w" >"$d/splice.out" 2>&1 ||
		{ fail "root splice: $(cat "$d/splice.out")"; return 1; }
	root_write "$f" 100 WWWW
	sleep 0.3
	stop_sw
	[ "$wrc" = 0 ] || { fail "the root writer was killed (status $wrc)"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['action'] == 'reported' and
		 x['holder_trusted'] is False and x['splicer_uid'] == 0 and
		 x['pipe_uid'] == $NOBODY for x in e)" ||
		fail "no reported, untrusted event with pipe_uid $NOBODY: $(head -c 800 "$d/ev")"
}
T pipe_of_another_user_is_not_trusted test_pipe_of_another_user_is_not_trusted

# ---- 2. untrackable holds ----

# ---- 3. ci scope ----

# ---- 4. allowlists ----

# ---- 5. deny without BPF LSM ----

# ---- 6. check-then-use ----

run_tests
