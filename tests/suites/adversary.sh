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
ACTOR=tests/adversary/actor.py
suite_setup adversary "$ACTOR"
. tests/adversary/lib.sh

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

# ---- 3. ci scope ----

# ci_cgroup_gone CIPID: ci's cgroup (splicewatch-ci.CIPID under the cgroup v2
# root) was removed.
ci_cgroup_gone() {
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	if [ -z "$root" ] || [ -e "$root/splicewatch-ci.$1" ]; then
		fail "ci's cgroup $root/splicewatch-ci.$1 is still there"
	fi
}

# ci_reused_pid [CI OPTION]: `ci` runs a COMMAND whose child writes its pid P
# to $d/child and exits; then, while COMMAND waits, a nobody process outside
# it is given pid P again (ns_last_pid = P - 1 before its fork) and makes an
# unsafe write into bytes a nobody holder keeps. Status of ci in $rc, of the
# writer in $wrc.
ci_reused_pid() {
	local f cipid p wp i
	[ -w /proc/sys/kernel/ns_last_pid ] ||
		{ why="no writable /proc/sys/kernel/ns_last_pid (CONFIG_CHECKPOINT_RESTORE)"; return 77; }
	f=$(nobody_file data)
	# shellcheck disable=SC2016 # expanded by the inner sh
	"$SW" ci "$@" --report "$d/r.json" -- sh -c \
		'sh -c "echo \$\$ >$0/child"; touch "$0/ready"; while [ ! -e "$0/done" ]; do sleep 0.05; done' \
		"$d" >"$d/ciout" 2>"$d/cierr" &
	cipid=$!
	bg+=("$cipid")
	wait_for "$d/ready" 30 || fail "COMMAND never started: $(cat "$d/cierr")" || return
	p=$(cat "$d/child")
	kill -0 "$p" 2>/dev/null && { fail "COMMAND's child $p is still alive"; return 1; }
	nobody_hold "$f" 0 4096 || return
	# Other processes of the machine may take the pid first: try again (the
	# writer only writes once $d/go exists, after its pid was checked).
	for ((i = 0; i < 50; i++)); do
		echo $((p - 1)) >/proc/sys/kernel/ns_last_pid
		"${as_nobody[@]}" "$PY" "$ACTOR" pid_pwrite "$d/go" "$f" 100 WWWW >"$d/w.out" 2>&1 &
		wp=$!
		[ "$wp" = "$p" ] && break
		kill "$wp" 2>/dev/null
		wait "$wp" 2>/dev/null
	done
	[ "$wp" = "$p" ] || fail "could not give pid $p to the outside writer (got $wp)" || return
	actors+=("$wp")
	for ((i = 0; i < 500; i++)); do
		grep -q '^pid=' "$d/w.out" && break
		sleep 0.02
	done
	[ "$(sed -n 's/^pid=//p' "$d/w.out")" = "$p" ] ||
		fail "the writer says $(cat "$d/w.out"), want pid=$p" || return
	touch "$d/go"
	wait "$wp"
	wrc=$?
	touch "$d/done"
	wait "$cipid"
	rc=$?
	ci_cgroup_gone "$cipid"
}

# A pid of COMMAND's tree reused by an outside user's process does not make
# that process's unsafe write a finding: ci exits as for a clean run.
test_ci_reused_pid_is_not_counted() {
	ci_reused_pid || return
	[ "$wrc" = 0 ] && grep -q status=ok "$d/w.out" ||
		fail "the outside writer ended with $wrc: $(cat "$d/w.out")" || return
	[ "$rc" = 0 ] || fail "ci exited $rc, want 0 (COMMAND's): $(cat "$d/cierr")" || return
	"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))
sys.exit(0 if r["findings"] == [] and r["totals"]["unsafe_writes"] == 0 and r["scope"] == "cgroup" else 1)' \
		"$d/r.json" || fail "report: $(head -c 800 "$d/r.json")"
}
T ci_reused_pid_is_not_counted test_ci_reused_pid_is_not_counted

# ... and under `ci --enforce` that process is not killed: its write lands.
test_ci_enforce_spares_reused_pid() {
	ci_reused_pid --enforce || return
	[ "$wrc" = 0 ] && grep -q status=ok "$d/w.out" ||
		fail "the outside writer ended with $wrc (137: killed): $(cat "$d/w.out")" || return
	[ "$(tail -c +101 "$d/nob/data" | head -c 4)" = WWWW ] || fail "the outside write did not land" || return
	[ "$rc" = 0 ] || fail "ci exited $rc, want 0: $(cat "$d/cierr")"
}
T ci_enforce_spares_reused_pid test_ci_enforce_spares_reused_pid

# The same attack against `ci --scope pids` (no cgroup) succeeds: the outside
# write is counted. Why that scope is documented as unsafe, and proof that
# the attack above is real.
test_ci_scope_pids_counts_reused_pid() {
	ci_reused_pid --scope pids || return
	[ "$rc" = 3 ] || fail "ci --scope pids exited $rc, want 3: $(cat "$d/cierr")"
}
T ci_scope_pids_counts_reused_pid test_ci_scope_pids_counts_reused_pid

# A grandchild of COMMAND that double-forks and is re-parented out of
# COMMAND's process tree still counts: its unsafe write is a finding.
test_ci_double_forked_grandchild_counts() {
	local f cipid dpid i
	f=$(nobody_file data)
	"$SW" ci --report "$d/r.json" -- "${as_nobody[@]}" "$PY" "$ACTOR" daemon_pwrite "$d/go" "$f" 100 WWWW \
		>"$d/ciout" 2>"$d/cierr" &
	cipid=$!
	bg+=("$cipid")
	for ((i = 0; i < 1500; i++)); do
		grep -q '^reparented=' "$d/ciout" && break
		sleep 0.02
	done
	grep -q '^reparented=1' "$d/ciout" || fail "the grandchild was not re-parented: $(cat "$d/ciout" "$d/cierr")" || return
	dpid=$(sed -n 's/^daemon_pid=//p' "$d/ciout")
	# Held after the programs loaded (earlier holds are unknown to them).
	nobody_hold "$f" 0 4096 || return
	touch "$d/go"
	wait "$cipid"
	rc=$?
	grep -q status=ok "$d/ciout" || fail "the grandchild did not write: $(cat "$d/ciout")" || return
	[ "$rc" = 3 ] || fail "ci exited $rc, want 3: $(cat "$d/cierr")" || return
	"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))
sys.exit(0 if [f["pid"] for f in r["findings"]] == [int(sys.argv[2])] else 1)' \
		"$d/r.json" "$dpid" || fail "want one finding by pid $dpid: $(head -c 800 "$d/r.json")" || return
	ci_cgroup_gone "$cipid"
}
T ci_double_forked_grandchild_counts test_ci_double_forked_grandchild_counts

# ---- 4. allowlists ----
# The attacker is the writer: nobody, writing into bytes its own process holds
# (a holder of the writer's uid is trusted), tries to be exempted. The file
# and its directory are nobody's, outside the allowed directory, so nothing
# but a bypass can exempt the write.

# hold_read FILE: as nobody, splice FILE's first page into a pipe (in the
# background); once $d/go exists it reads the pipe into $d/hold.out
# (pipe=<bytes 100..103>).
hold_read() {
	local i
	rm -f "$d/go"
	: >"$d/hold.out"
	"${as_nobody[@]}" "$PY" "$ACTOR" hold_read "$1" 0 4096 "$d/go" 100 4 >"$d/hold.out" 2>&1 &
	actors+=("$!")
	bg+=("$!")
	for ((i = 0; i < 500; i++)); do
		grep -q '^pid=' "$d/hold.out" && return 0
		sleep 0.02
	done
	fail "the hold did not start: $(cat "$d/hold.out")"
}

# pipe_bytes: what the holder read from its pipe at bytes 100..103.
pipe_bytes() {
	local i
	touch "$d/go"
	for ((i = 0; i < 250; i++)); do
		grep -q '^pipe=' "$d/hold.out" && break
		sleep 0.02
	done
	sed -n 's/^pipe=//p' "$d/hold.out"
}

# writer CMD...: runs the writer (nobody's pwrite of WWWW at 100, through CMD);
# its exit status in $wrc, its output in $d/w.out.
writer() {
	"$@" >"$d/w.out" 2>&1
	wrc=$?
}

# outcome FILE ACTION: after splicewatch stopped, the writer to FILE (its
# inode) got one event with ACTION; killed: it died of SIGKILL, the file and
# the pipe keep AAAA; allowed: it lived and WWWW landed in both.
outcome() {
	local f=$1 action=$2 ino pipe want
	ino=$(stat -c %i "$f")
	pipe=$(pipe_bytes)
	evs "[x['action'] for x in e if x.get('ino') == $ino] == ['$action']" ||
		fail "events for inode $ino: $("$PY" -c 'import json,sys; print([(x.get("path"), x.get("action")) for x in map(json.loads, open(sys.argv[1])) if x.get("ino") == int(sys.argv[2])])' "$d/ev" "$ino"), want one '$action'; writer: $(cat "$d/w.out")" || return
	case $action in
	killed)
		[ "$wrc" = 137 ] || fail "the writer ended with status $wrc ($(cat "$d/w.out")), want 137 (SIGKILL)" || return
		evs "all(x.get('signal') == 'SIGKILL' for x in e if x.get('ino') == $ino)" || fail "no SIGKILL in the event" || return
		want=AAAA ;;
	allowed)
		[ "$wrc" = 0 ] && grep -q status=ok "$d/w.out" || fail "the writer: status $wrc, $(cat "$d/w.out")" || return
		want=WWWW ;;
	esac
	[ "$(dd if="$f" bs=1 skip=100 count=4 status=none)" = "$want" ] || fail "the file has $(dd if="$f" bs=1 skip=100 count=4 status=none), want $want" || return
	[ "$pipe" = "$want" ] || fail "the pipe delivered '$pipe', want $want"
}

# A file really under an allowed directory (one link) is exempted.
test_allow_path_exempts_a_file_under_the_directory() {
	local f
	mkdir -p "$d/allowed"
	chmod 755 "$d/allowed"
	nobody_file x >/dev/null
	mv "$d/nob/x" "$d/allowed/x"
	f=$d/allowed/x
	start_sw enforce --allow-path "$d/allowed" || return 1
	hold_read "$f" || return 1
	writer "${as_nobody[@]}" "$PY" "$ACTOR" pwrite "$f" 100 WWWW
	stop_sw
	outcome "$f" allowed
}
T allow_path_exempts_a_file_under_the_directory test_allow_path_exempts_a_file_under_the_directory

# A file bind-mounted under the allowed directory (unshare -Urm) is matched
# where it really is: the event's path is the allowed one, the write is not
# exempted.
test_allow_path_bind_mount_not_exempted() {
	local f
	mkdir -p "$d/allowed"
	chmod 755 "$d/allowed"
	: >"$d/allowed/target"
	f=$(nobody_file victim)
	start_sw enforce --allow-path "$d/allowed" || return 1
	hold_read "$f" || return 1
	writer "${as_nobody[@]}" unshare -Urm sh -c 'mount --bind "$1" "$2" && exec "$3" "$4" pwrite "$2" 100 WWWW' \
		sh "$f" "$d/allowed/target" "$PY" "$ACTOR"
	stop_sw
	evs "any(x.get('path') == '$d/allowed/target' for x in e)" ||
		fail "the event does not name the bind mount $d/allowed/target: $(head -c 600 "$d/ev")" || return
	outcome "$f" killed
}
T allow_path_bind_mount_not_exempted test_allow_path_bind_mount_not_exempted

# A hard link put into the allowed directory (writable by the attacker) does
# not exempt the file: it has another name outside.
test_allow_path_hard_link_not_exempted() {
	local f
	mkdir -p "$d/allowed"
	chown "$NOBODY:$NOBODY" "$d/allowed"
	f=$(nobody_file victim)
	start_sw enforce --allow-path "$d/allowed" || return 1
	hold_read "$f" || return 1
	"${as_nobody[@]}" ln "$f" "$d/allowed/link" || { fail "nobody cannot link $f"; return 1; }
	writer "${as_nobody[@]}" "$PY" "$ACTOR" pwrite "$d/allowed/link" 100 WWWW
	stop_sw
	outcome "$f" killed
}
T allow_path_hard_link_not_exempted test_allow_path_hard_link_not_exempted

# A file with several names is exempted by a rule naming the file itself.
test_allow_path_file_rule_exempts_a_hard_linked_file() {
	local f
	mkdir -p "$d/other"
	chown "$NOBODY:$NOBODY" "$d/other"
	f=$(nobody_file victim)
	"${as_nobody[@]}" ln "$f" "$d/other/link" || { fail "nobody cannot link $f"; return 1; }
	start_sw enforce --allow-path "$f" || return 1
	hold_read "$f" || return 1
	writer "${as_nobody[@]}" "$PY" "$ACTOR" pwrite "$d/other/link" 100 WWWW
	stop_sw
	outcome "$f" allowed
}
T allow_path_file_rule_exempts_a_hard_linked_file test_allow_path_file_rule_exempts_a_hard_linked_file

# (--allow-comm is not tested for spoofing: it is documented as a
# convenience, not a boundary; any process can take an allowed comm.)

# ns_init_writer FILE: nobody's pwrite of WWWW at 100 into FILE as pid 1 of a
# new pid namespace: the first child of `unshare -Urp` (without --fork, the
# shell stays outside and reports the writer's status; unshare --fork fails
# re-raising a SIGKILL). Status in $wrc, as writer.
ns_init_writer() {
	"${as_nobody[@]}" unshare -Urp sh -c '"$1" "$2" pwrite "$3" 100 WWWW; echo "rc=$?"' \
		sh "$PY" "$ACTOR" "$1" >"$d/w.out" 2>&1
	wrc=$(sed -n 's/^rc=//p' "$d/w.out")
}

# Any user can become pid 1 of a new pid namespace: by default that init is
# acted on like any writer.
test_ns_init_writer_killed_by_default() {
	local f
	f=$(nobody_file victim)
	start_sw enforce || return 1
	hold_read "$f" || return 1
	ns_init_writer "$f"
	stop_sw
	outcome "$f" killed
}
T ns_init_writer_killed_by_default test_ns_init_writer_killed_by_default

# --allow-ns-init opts in to leaving namespace inits alone.
test_ns_init_writer_allowed_with_allow_ns_init() {
	local f
	f=$(nobody_file victim)
	start_sw enforce --allow-ns-init || return 1
	hold_read "$f" || return 1
	ns_init_writer "$f"
	stop_sw
	outcome "$f" allowed
}
T ns_init_writer_allowed_with_allow_ns_init test_ns_init_writer_allowed_with_allow_ns_init

# ---- 5. deny without BPF LSM ----

# deny_needs_no_lsm: 0 when BPF LSM is not active here (what these tests are
# about); else 77 with a reason.
deny_needs_no_lsm() {
	! grep -qw bpf /sys/kernel/security/lsm 2>/dev/null && return 0
	why="BPF LSM is active here: deny is in force, no fallback to test"
	return 77
}

# nobody_pwrite FILE OFF DATA: the actor's pwrite as nobody; its exit status
# in $wrc, its output in $d/w.out.
nobody_pwrite() {
	"${as_nobody[@]}" "$PY" "$ACTOR" pwrite "$@" >"$d/w.out" 2>&1
	wrc=$?
}

# enforce --action deny where it cannot deny: exit 2 and one line naming the
# boot parameter, before any BPF object is created (no bpf(BPF_PROG_LOAD) or
# BPF_MAP_CREATE at all, none left).
test_deny_without_lsm_refuses_to_start() {
	local rc before after
	deny_needs_no_lsm || return
	before=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]')
	timeout 30 strace -f -qq -e trace=bpf -o "$d/strace" \
		"$SW" enforce --action deny --json -o "$d/ev" >"$d/out" 2>"$d/err"
	rc=$?
	after=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]')
	[ "$rc" = 2 ] || fail "exit $rc, want 2: $(head -3 "$d/err")" || return
	[ "$(wc -l <"$d/err")" = 1 ] || fail "want one line on stderr, got: $(cat "$d/err")" || return
	grep -qF 'lsm=...,bpf' "$d/err" || fail "the line does not name lsm=...,bpf: $(cat "$d/err")" || return
	grep -qF -- '--fallback' "$d/err" || fail "the line does not name --fallback: $(cat "$d/err")" || return
	! grep -qE 'BPF_PROG_LOAD|BPF_MAP_CREATE' "$d/strace" ||
		fail "BPF objects were created: $(grep -E 'BPF_PROG_LOAD|BPF_MAP_CREATE' "$d/strace" | head -2)" || return
	[ "$after" -le "$before" ] || fail "$before BPF programs before, $after after" || return
	[ ! -s "$d/ev" ] || fail "events were written: $(head -c 300 "$d/ev")"
}
T deny_without_lsm_refuses_to_start test_deny_without_lsm_refuses_to_start

# enforce --on-untracked deny where it cannot deny: the same refusal, naming
# the option; with --fallback kill it kills instead and says so.
test_on_untracked_deny_without_lsm_refuses_to_start() {
	local rc
	deny_needs_no_lsm || return
	"$SW" enforce --on-untracked deny --json -o "$d/ev" >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 2 ] || fail "exit $rc, want 2: $(head -3 "$d/err")" || return
	grep -qF -- '--on-untracked deny needs BPF LSM' "$d/err" && grep -qF 'lsm=...,bpf' "$d/err" ||
		fail "the line does not name --on-untracked deny and lsm=...,bpf: $(cat "$d/err")" || return
	start_sw enforce --on-untracked deny --fallback kill || return
	grep -qF -- '--on-untracked deny: ' "$d/swerr" && grep -qF -- '--fallback kill: killing instead' "$d/swerr" ||
		fail "stderr does not say it fell back to kill: $(cat "$d/swerr")"
}
T on_untracked_deny_without_lsm_refuses_to_start test_on_untracked_deny_without_lsm_refuses_to_start

# --fallback kill: says so, and a write into held bytes is stopped by SIGKILL
# ("killed"), the file unchanged.
test_deny_fallback_kill_kills() {
	local f
	deny_needs_no_lsm || return
	f=$(nobody_file data)
	start_sw enforce --action deny --fallback kill || return
	grep -qF -- '--fallback kill: killing instead' "$d/swerr" ||
		fail "stderr does not say it fell back to kill: $(cat "$d/swerr")" || return
	nobody_hold "$f" 0 4096 || return
	nobody_pwrite "$f" 100 WWWW
	sleep 0.3
	stop_sw
	[ "$wrc" = 137 ] || fail "the writer ended with $wrc, want 137 (SIGKILL): $(cat "$d/w.out")" || return
	[ "$(head -c 4 "$f")" = AAAA ] && [ "$(tail -c +101 "$f" | head -c 4)" = AAAA ] ||
		fail "the write landed: $(head -c 104 "$f" | tail -c 4)" || return
	evs "len(e) == 1 and e[0]['action'] == 'killed' and e[0]['splicer_pid'] == $holder" ||
		fail "want one 'killed' event with splicer_pid $holder: $(head -c 600 "$d/ev")"
}
T deny_fallback_kill_kills test_deny_fallback_kill_kills

# --fallback dry-run: says so, acts on nobody: "would_kill", the write lands.
test_deny_fallback_dry_run_acts_on_nobody() {
	local f
	deny_needs_no_lsm || return
	f=$(nobody_file data)
	start_sw enforce --action deny --fallback dry-run || return
	grep -qF -- '--fallback dry-run: acting on nobody' "$d/swerr" ||
		fail "stderr does not say it fell back to dry-run: $(cat "$d/swerr")" || return
	nobody_hold "$f" 0 4096 || return
	nobody_pwrite "$f" 100 WWWW
	sleep 0.3
	stop_sw
	[ "$wrc" = 0 ] && grep -q status=ok "$d/w.out" ||
		fail "the writer ended with $wrc: $(cat "$d/w.out")" || return
	[ "$(tail -c +101 "$f" | head -c 4)" = WWWW ] || fail "the write did not land" || return
	evs "len(e) == 1 and e[0]['action'] == 'would_kill' and e[0]['splicer_pid'] == $holder" ||
		fail "want one 'would_kill' event with splicer_pid $holder: $(head -c 600 "$d/ev")"
}
T deny_fallback_dry_run_acts_on_nobody test_deny_fallback_dry_run_acts_on_nobody

# ---- 6. check-then-use ----

# nobody_dir: a directory in $d the unprivileged user can write; prints its path.
nobody_dir() {
	mkdir -p "$d/nobody"
	chown "$NOBODY:$NOBODY" "$d/nobody"
	printf '%s\n' "$d/nobody"
}

# 320 threads report at once (more than the 256 entries the event scratch had
# as an LRU map): each event is its own writer's, whole (thread, file, inode,
# offset), one per writer. A scratch recycled under a report in progress
# would give a thread another's path or lose an event.
test_many_threads_reporting_at_once_each_get_their_own_event() {
	local dir n=320
	dir=$(nobody_dir)
	start_sw trace || return 1
	"${as_nobody[@]}" "$PY" "$ACTOR" many_writers "$dir" "$n" >"$d/w.out" 2>&1 ||
		{ fail "the writers failed: $(tail -3 "$d/w.out")"; return 1; }
	sleep 1
	stop_sw
	[ "$(grep -c '^tid=' "$d/w.out")" = "$n" ] || { fail "not $n writers: $(tail -3 "$d/w.out")"; return 1; }
	"$PY" - "$d/ev" "$d/w.out" "$n" <<-'PYEOF' || { fail "$(cat "$d/check")"; return 1; }
	import json, sys
	ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	ev = [x for x in ev if x.get("event") == "unsafe_write"]
	w = [dict(kv.split("=", 1) for kv in l.split()) for l in open(sys.argv[2]) if l.startswith("tid=")]
	want = {(int(x["tid"]), x["path"], int(x["ino"]), int(x["off"])) for x in w}
	got = [(x["tid"], x["path"], x["ino"], x["write_offset"]) for x in ev]
	bad = [g for g in got if g not in want]
	missing = want - set(got)
	ok = len(got) == int(sys.argv[3]) and not bad and not missing
	open(sys.argv[1].rsplit("/", 1)[0] + "/check", "w").write(
	    f"{len(got)} events, {len(bad)} not a writer's own (e.g. {bad[:2]}), {len(missing)} writers without one")
	sys.exit(0 if ok else 1)
	PYEOF
}
T many_threads_reporting_at_once_each_get_their_own_event test_many_threads_reporting_at_once_each_get_their_own_event

# The tracepoint backend's documented answer (docs/enforce.md, Check-then-use):
# a thread that dup2()s a held file over the fd its other thread writes through
# can make writes land unreported (nothing runs between sys_enter and the
# write), and what is reported is that writer writing that file. The fentry
# and kprobe backends catch every landed write: swtest's race scenarios (VM).
test_racing_dup2_writer_on_tracepoint_is_as_documented() {
	local dir f o
	dir=$(nobody_dir)
	f=$dir/held o=$dir/other
	"${as_nobody[@]}" sh -c "head -c 8192 /dev/zero | tr '\0' A >'$f'; head -c 4096 /dev/zero >'$o'"
	start_sw trace --backend tracepoint || return 1
	nobody_hold "$f" 0 4096 || return 1
	"${as_nobody[@]}" "$PY" "$ACTOR" race_fd "$f" "$o" 1 >"$d/w.out" 2>&1 ||
		{ fail "the racing writer failed: $(tail -3 "$d/w.out")"; return 1; }
	sleep 0.5
	stop_sw
	"$PY" - "$d/ev" "$d/w.out" "$f" <<-'PYEOF' || { fail "$(cat "$d/check")"; return 1; }
	import json, sys
	ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	ev = [x for x in ev if x.get("event") == "unsafe_write"]
	landed = [tuple(map(int, l.split()[1:])) for l in open(sys.argv[2]) if l.startswith("landed ")]
	wrong = [x for x in ev if x["path"] != sys.argv[3] or x["write_offset"] != 96]
	missed = [w for w in landed if not any(w[0] <= x["ts_ns"] <= w[1] for x in ev)]
	msg = (f"{len(landed)} writes landed in held bytes, {len(missed)} unreported; "
	       f"{len(ev)} events, {len(wrong)} not of that write")
	open(sys.argv[1].rsplit("/", 1)[0] + "/check", "w").write(msg)
	print("# " + msg)
	sys.exit(0 if landed and not wrong else 1)
	PYEOF
}
T racing_dup2_writer_on_tracepoint_is_as_documented test_racing_dup2_writer_on_tracepoint_is_as_documented

run_tests
