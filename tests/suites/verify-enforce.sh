#!/usr/bin/env bash
# enforce --verify (docs/content-checks.md, "Built: enforce --verify"): the
# task about to take changed bytes out of a pipe is acted on at the drain's
# syscall entry, so a splice out moves nothing (an io_uring splice request:
# at its submission); a tee's target pipe keeps the change. Never acted on: the reader of a file another user may write
# (its owner uid 65534 changes it, or it has a group write bit; by splice or
# io_uring), a change a
# write that landed explains (an allowed writer's), an allowlisted reader;
# --dry-run says would_kill. The policy file's "verify: true" is --verify.
# (--action deny without --fallback is refused: cli.sh.)
# Each change is a store through a MAP_SHARED mapping (tests/
# verify_workload.c), which no write hook sees. Prints TAP; exits 1 if a
# test failed, 2 if it cannot run.
#
# enforce is system-wide: tests look only at their own file's inode.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=$(realpath ./splicewatch)
WL=tests/build/verify_workload
suite_setup verify-enforce "$WL"
WL=$(realpath "$WL")
shm=""
sw=""
suite_on_exit() { [ -z "$shm" ] || rm -rf "$shm"; }
shm=$(mktemp -d /dev/shm/swverifyenf.XXXXXX) || exit 2
chmod 711 "$shm"
mkdir "$shm/nobody" && chown 65534:65534 "$shm/nobody" || exit 2
after_each() {
	[ -z "$sw" ] || end_sw "$sw"
	sw=""
}

# enf [OPTIONS]: enforce --verify with OPTIONS, JSON in $d/enf.out.
enf() {
	spawn_sw enf enforce --verify --json "$@" || return
	sw=$swpid
}

# run_drained [VAR=VALUE...] WORKLOAD WAY FILE [ARGS]: the workload, its
# pipe drained by splice into $d/out (VW_DRAIN given: as given), with
# enforce running. $rc: the workload's status; $ino, $wpid, $got: what it
# printed ($got empty: it died before the splice returned).
run_drained() {
	local out
	out=$(env VW_DRAIN="splice:$d/out" "$@" 2>&1 </dev/null)
	rc=$?
	ino=$(sed -n 's/.*ino=\([0-9]*\).*/\1/p' <<<"$out")
	wpid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$out")
	got=$(sed -n 's/.*got=\([a-z]*\).*/\1/p' <<<"$out")
	[ -n "$ino" ] || fail "workload: $out"
}

# stop_enf: enforce stopped (SIGINT); it must exit 0.
stop_enf() {
	end_sw "$sw"
	sw=""
	[ "$src" = 0 ] || fail "enforce exited $src: $(tail -3 "$d/enf.err")"
}

# drained ...: run_drained, then enforce stopped.
drained() {
	run_drained "$@" || return
	stop_enf
}

# records EXPR: EXPR holds for enforce's records of this test's file (list e).
records() {
	local out
	out=$("$PY" - "$d/enf.out" "$1" "$ino" <<-'EOF'
	import json, sys
	e = [r for r in map(json.loads, filter(str.strip, open(sys.argv[1])))
	     if r.get("ino") == int(sys.argv[3])]
	print(eval(sys.argv[2]), e)
	EOF
	)
	[[ $out == True* ]] || fail "records: ${out#* }"
}

# killed: the workload died of SIGKILL before its splice out returned, and
# the file it spliced into got nothing.
killed() {
	[ "$rc" = 137 ] || fail "the reader exited $rc (got=$got), want SIGKILL" || return
	[ ! -s "$d/out" ] || fail "the splice out moved $(stat -c %s "$d/out") bytes"
}

# spared: the workload lived and got the changed bytes.
spared() {
	[ "$rc" = 0 ] && [ "$got" = changed ] || fail "the reader exited $rc, got=$got"
}

test_reader_killed_before_splice_moves_changed_bytes() {
	enf || return
	drained "$WL" store "$shm/killed.$RANDOM" || return
	killed || return
	records "[(r['event'], r['check'], r['action'], r.get('signal'), r['pid']) for r in e] == [('unexplained_change', 'drain', 'killed', 'SIGKILL', $wpid)]" || return
	grep -q '^splicewatch: verify: readers of changed bytes: 1 killed, 0 signalled, 0 would_kill, 0 allowed; 0 not acted on' "$d/enf.err" ||
		fail "summary: $(grep 'verify:' "$d/enf.err")"
}

# ext4, a page already dirty: the same.
test_reader_killed_ext4() {
	enf || return
	drained "$WL" store "$d/killed.$RANDOM" || return
	killed || return
	records "[r['action'] for r in e] == ['killed']"
}

# tee(2) links the changed buffer into another pipe whatever signal is
# pending; the change goes with it, and that pipe's reader is killed.
test_tee_target_keeps_change() {
	enf || return
	drained VW_DRAIN="tee:$d/out" "$WL" store "$shm/tee.$RANDOM" || return
	killed || return
	records "[(r['check'], r['action']) for r in e] == [('drain', 'reported'), ('drain', 'killed')] and e[0]['pipe_ino'] != e[1]['pipe_ino']"
}

# An io_uring splice request is checked as it is submitted: the reader is
# killed then. The worker thread that runs the request may have moved the
# bytes before the process dies: the out file is not looked at.
test_reader_of_io_uring_splice_killed() {
	enf || return
	drained VW_DRAIN="uring_splice:$d/out" "$WL" store "$shm/uring.$RANDOM" || return
	[ "$rc" = 137 ] && [ -z "$got" ] || fail "the reader exited $rc (got=$got), want SIGKILL" || return
	records "[(r['event'], r['check'], r['action'], r['pid']) for r in e] == [('unexplained_change', 'drain', 'killed', $wpid)]"
}

# uid 65534 splices its own file into a pipe root reads, then changes it:
# it must not get root's reader killed.
test_users_own_file_change_gets_no_reader_killed() {
	enf || return
	drained VW_AS=65534 "$WL" store "$shm/nobody/own.$RANDOM" || return
	spared || return
	records "[(r['action'], r.get('untrusted_file'), r['uid'], r['splicer_uid']) for r in e] == [('reported', 'owner', 0, 65534)]"
}

# The same through an io_uring splice request, checked at its submission:
# the trust rule is the drain's, whichever way the reader takes the bytes.
test_users_own_file_change_gets_no_io_uring_reader_killed() {
	enf || return
	drained VW_AS=65534 VW_DRAIN="uring_splice:$d/out" "$WL" store "$shm/nobody/uring.$RANDOM" || return
	spared || return
	records "[(r['check'], r['action'], r.get('untrusted_file'), r['uid'], r['splicer_uid']) for r in e] == [('drain', 'reported', 'owner', 0, 65534)]"
}

# A root file its group may write: a member of the group could change it.
test_group_writable_file_change_gets_no_reader_killed() {
	enf || return
	drained VW_MODE=0664 "$WL" store "$shm/groupw.$RANDOM" || return
	spared || return
	records "[(r['action'], r.get('untrusted_file')) for r in e] == [('reported', 'group_or_other_writable')]"
}

# An allowed writer's pwrite lands: it explains the change, and the reader
# (another comm) is left alone.
test_landed_allowed_write_explains_change() {
	enf --allow-comm vw_writer || return
	drained "$WL" pwrite_child "$shm/allowed.$RANDOM" || return
	spared || return
	records "[(r['event'], r['action'], r['comm']) for r in e] == [('unsafe_write', 'allowed', 'vw_writer')]" || return
	grep -q '^splicewatch: verify: .* 1 explained by unsafe writes' "$d/enf.err" ||
		fail "summary: $(grep 'verify:' "$d/enf.err")"
}

test_allowlisted_reader_spared() {
	enf --allow-comm verify_workload || return
	drained "$WL" store "$shm/allowreader.$RANDOM" || return
	spared || return
	records "[r['action'] for r in e] == ['allowed']"
}

# The daemon's one config file turns it on.
test_policy_verify_key() {
	printf 'version: 1\nverify: true\n' >"$d/policy.yaml"
	spawn_sw enf enforce --policy "$d/policy.yaml" --json || return
	sw=$swpid
	drained "$WL" store "$shm/policy.$RANDOM" || return
	killed || return
	records "[r['action'] for r in e] == ['killed']"
}

test_dry_run_would_kill() {
	enf --dry-run || return
	drained "$WL" store "$shm/dry.$RANDOM" || return
	spared || return
	records "[(r['action'], r.get('signal')) for r in e] == [('would_kill', None)]"
}

# --aggregate: three readers of one file's changed bytes, each killed.
# Each kill is a line of its own at once, none folded into another.
test_aggregate_each_killed_reader_own_line() {
	local f=$shm/aggkill.$RANDOM pids=() i
	enf --aggregate 1h || return
	for i in 1 2 3; do
		run_drained "$WL" store "$f" || return
		killed || return
		pids+=("$wpid")
	done
	stop_enf || return
	records "[(r['action'], r['pid'], 'count' in r) for r in e] == [('killed', p, False) for p in (${pids[0]}, ${pids[1]}, ${pids[2]})]"
}

# --aggregate --dry-run: one reader that would be killed 10 times over (the
# workload's repeat: each pipe but the last drained by read) is its first
# line and one aggregate of the other 9, both would_kill; it lives.
test_aggregate_dry_run_repeats_fold() {
	enf --dry-run --aggregate 1h || return
	drained "$WL" store "$shm/aggdry.$RANDOM" repeat 10 || return
	spared || return
	records "[(r['action'], r['pid'], r.get('count')) for r in e] == [('would_kill', $wpid, None), ('would_kill', $wpid, 9)]"
}

T reader_killed_before_splice_moves_changed_bytes test_reader_killed_before_splice_moves_changed_bytes
T reader_killed_before_splice_moves_changed_bytes_ext4 test_reader_killed_ext4
T tee_target_keeps_change test_tee_target_keeps_change
T reader_of_io_uring_splice_killed test_reader_of_io_uring_splice_killed
T users_own_file_change_gets_no_reader_killed test_users_own_file_change_gets_no_reader_killed
T users_own_file_change_gets_no_io_uring_reader_killed test_users_own_file_change_gets_no_io_uring_reader_killed
T group_writable_file_change_gets_no_reader_killed test_group_writable_file_change_gets_no_reader_killed
T landed_allowed_write_explains_change test_landed_allowed_write_explains_change
T allowlisted_reader_spared test_allowlisted_reader_spared
T dry_run_would_kill test_dry_run_would_kill
T policy_verify_key_acts_on_readers test_policy_verify_key
T aggregate_each_killed_reader_own_line test_aggregate_each_killed_reader_own_line
T aggregate_dry_run_repeats_fold test_aggregate_dry_run_repeats_fold
run_tests
