#!/usr/bin/env bash
# trace --verify (content checks, docs/content-checks.md): a change to bytes
# a pipe holds that no write hook sees is reported as unexplained_change,
# and the same change under plain trace is reported by nothing. Each way of
# tests/verify_workload.c on tmpfs (/dev/shm) and on ext4 (/var/tmp), to a
# page already dirty (so a store through a mapping dirties nothing new):
# a store through a MAP_SHARED mapping, pread(2) and an io_uring read into
# one, process_vm_writev(2) and PTRACE_POKEDATA into another process's.
# Then what is not a change: a pwrite(2) splicewatch reports (explained), a
# splice nobody changes; and where else a change is found: the sweep of a
# pipe nobody reads, a close of a pipe nobody read, and its exit (of one
# thread, of four at once), dup2, close_range, exec and io_uring close
# requests (of fds, of fixed files) instead of a close; a buffer partly read
# (the bytes read no longer held, the rest checked); the first programs'
# runs dropped, the backup copies catch it. ci --verify: a change
# the tree made fails the run (report, JUnit, summary), a write of the tree
# is a finding and no change, unchanged bytes pass, a change outside the
# tree is not COMMAND's, --scope pids is refused. Prints TAP; exits 1 if a
# test failed, 2 if it cannot run.
#
# trace is system-wide: tests look only at their own file's inode.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=$(realpath ./splicewatch)
WL=tests/build/verify_workload
suite_setup verify "$WL"
WL=$(realpath "$WL")
SHARE=tests/build/share_workload
[ -x "$SHARE" ] && [ "$SHARE" -nt tests/share_workload.c ] || make -s "$SHARE" >&2 || exit 2
SHARE=$(realpath "$SHARE")
shm=""
plain="" checked=""
suite_on_exit() { [ -z "$shm" ] || rm -rf "$shm"; }
shm=$(mktemp -d /dev/shm/swverify.XXXXXX) || exit 2
chmod 711 "$shm"	# uid 65534's files live in a directory of its own below
NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups --)
after_each() {
	[ -z "$plain" ] || end_sw "$plain"
	[ -z "$checked" ] || end_sw "$checked"
	plain="" checked=""
}

# both: plain trace (JSON in $d/plain) and trace --verify ($d/checked),
# side by side, both attached.
both() {
	spawn_sw plain trace --json -o "$d/plain" || return
	plain=$swpid
	spawn_sw checked trace --json --verify -o "$d/checked" || return
	checked=$swpid
}

# stop_checked: trace --verify stopped (SIGINT); it must exit 0.
stop_checked() {
	end_sw "$checked"
	checked=""
	[ "$src" = 0 ] || fail "trace --verify exited $src: $(tail -3 "$d/checked.err")"
}

# stop_both: both stopped (SIGINT), each must exit 0.
stop_both() {
	stop_checked || return
	end_sw "$plain"
	plain=""
	[ "$src" = 0 ] || fail "trace exited $src: $(tail -3 "$d/plain.err")"
}

# under WAY FILE [ARGS]: the workload with both traces beside it, then both
# stopped.
under() {
	both || return
	wl "$@" || return
	stop_both
}

# wl WAY FILE [ARGS]: the workload; its output in $out, its ino and pid in
# $ino, $wpid.
wl() {
	out=$("$WL" "$@" 2>&1) || fail "workload $*: $out" || return
	ino=$(sed -n 's/.*ino=\([0-9]*\).*/\1/p' <<<"$out")
	wpid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$out")
	got=$(sed -n 's/.*got=\([a-z]*\).*/\1/p' <<<"$out")
}

# ev FILE EXPR: a Python expression over FILE's events with this test's
# inode (list e).
ev() {
	"$PY" - "$1" "$2" "$ino" <<-'EOF2'
	import json, sys
	e = [r for r in map(json.loads, filter(str.strip, open(sys.argv[1])))
	     if r.get("ino") == int(sys.argv[3])]
	print(eval(sys.argv[2]))
	EOF2
}
evt() { [ "$(ev "$1" "$2" 2>&1)" = True ]; }
# records EXPR: EXPR holds for trace --verify's records of this test's file.
records() { evt "$d/checked" "$1" || fail "trace --verify: $(ev "$d/checked" e)"; }

# caught WAY DIR: missed by trace, one unexplained_change at the drain, the
# reader named, by trace --verify; the reader got the changed bytes.
caught() {
	local way=$1 dir=$2
	under "$way" "$dir/$way.$RANDOM" || return
	[ "$got" = changed ] || fail "the reader got the $got bytes: $way did not change them" || return
	evt "$d/plain" 'e == []' || fail "plain trace reported: $(ev "$d/plain" e)" || return
	records "[(r['event'], r['check'], r['held_offset'], r['held_len'], r['pid'], r['splicer_pid'], r['path'].startswith('$dir/')) for r in e] == [('unexplained_change', 'drain', 0, 4096, $wpid, $wpid, True)]" || return
	records "e[0]['fingerprint_before'] != e[0]['fingerprint_after']"
}

test_mapping_store_tmpfs() { caught store "$shm"; }
test_mapping_store_to_dirty_page_ext4() { caught store "$d"; }
test_read_into_mapping_tmpfs() { caught read_into_mapping "$shm"; }
test_read_into_mapping_ext4() { caught read_into_mapping "$d"; }
test_process_vm_writev_tmpfs() { caught process_vm_writev "$shm"; }
test_process_vm_writev_ext4() { caught process_vm_writev "$d"; }
test_ptrace_pokedata_tmpfs() { caught ptrace_pokedata "$shm"; }
test_ptrace_pokedata_ext4() { caught ptrace_pokedata "$d"; }
test_io_uring_read_tmpfs() { caught io_uring_read "$shm"; }
test_io_uring_read_ext4() { caught io_uring_read "$d"; }
# io_uring splice and tee requests, which the kernel runs in a worker
# thread: a pipe filled by one is learnt, and one taking the bytes out (or
# tee's copy of them) checked at its submission.
test_io_uring_splice_into_pipe_tmpfs() { VW_URING_FILL=1 caught store "$shm"; }
test_io_uring_splice_into_pipe_ext4() { VW_URING_FILL=1 caught store "$d"; }
test_io_uring_splice_out_of_pipe_tmpfs() { VW_DRAIN="uring_splice:$d/out" caught store "$shm"; }
test_io_uring_splice_out_of_pipe_ext4() { VW_DRAIN="uring_splice:$d/out" caught store "$d"; }
test_io_uring_tee_out_of_pipe_tmpfs() { VW_DRAIN="uring_tee:$d/out" caught store "$shm"; }
# The same with the files registered with the ring and named by index
# (SPLICE_F_FD_IN_FIXED, IOSQE_FIXED_FILE): the input pipe is looked up in
# the ring's table, the output is the request's file either way.
test_io_uring_fixed_files_splice_out_of_pipe_tmpfs() {
	VW_URING_FIXED=1 VW_DRAIN="uring_splice:$d/out" caught store "$shm"
}
test_io_uring_fixed_files_tee_out_of_pipe_tmpfs() {
	VW_URING_FIXED=1 VW_DRAIN="uring_tee:$d/out" caught store "$shm"
}
test_io_uring_fixed_files_splice_into_pipe_tmpfs() { VW_URING_FIXED=1 VW_URING_FILL=1 caught store "$shm"; }
# The splice into the pipe and the read of it made as IA-32 syscalls (int
# $0x80), which any program can make: the hold is learnt, the read checked.
test_ia32_splice_and_read_checked() { VW_IA32=1 caught store "$shm"; }

# A write splicewatch reports is the change's explanation: an unsafe_write,
# no unexplained_change, and the summary counts it explained.
test_reported_write_is_no_unexplained_change() {
	under pwrite "$shm/pwrite.$RANDOM" || return
	records "[r['event'] for r in e] == ['unsafe_write']" || return
	grep -q '^splicewatch: verify: .* 1 explained by unsafe writes' "$d/checked.err" ||
		fail "summary: $(grep 'verify:' "$d/checked.err")"
}

# Bytes nobody changes: no record at all.
test_unchanged_bytes_no_record() {
	under clean "$d/clean" && records 'e == []'
}

# A pipe nobody reads for 2.5 s: the sweep finds the change (no reader to
# name) and the drain after it no second one.
test_sweep_finds_change_in_unread_pipe() {
	under store "$shm/sweep.$RANDOM" hold 2.5 &&
		records "[(r['event'], r['check'], r['pid'], r['comm']) for r in e] == [('unexplained_change', 'sweep', None, None)]"
}

# A pipe closed unread: checked at the close.
test_close_finds_change_in_unread_pipe() {
	under store "$shm/close.$RANDOM" close && released
}

# released: trace --verify's one record of this test's file is the release
# in the task that let go (the workload's pid=), or the sweep's before the
# pipe was gone (the workload's gone=: a sweep that ran between the change
# and the release finds it first).
released() {
	local gone
	gone=$(sed -n 's/^gone=\([0-9]*\)$/\1/p' <<<"$out")
	records "len(e) == 1 and e[0]['event'] == 'unexplained_change' and ((e[0]['check'], e[0]['pid']) == ('release', $wpid) or (e[0]['check'] == 'sweep' and e[0]['ts_ns'] < ${gone:-0}))"
}

# let_go HOW: a pipe let go of unread some way other than close(2) (HOW:
# verify_workload's LET_GO): missed by trace, found at the release by trace
# --verify.
let_go() {
	under store "$shm/$1.$RANDOM" "$1" || return
	evt "$d/plain" 'e == []' || fail "plain trace reported: $(ev "$d/plain" e)" || return
	released
}

test_exit_finds_change_in_unread_pipe() { let_go exit; }
test_exit_of_threaded_process_finds_change() { let_go exit_threads; }
test_dup2_over_pipe_finds_change() { let_go dup2; }
test_close_range_finds_change_in_unread_pipe() { let_go close_range; }
test_exec_closing_pipe_finds_change() { let_go exec; }
# io_uring close requests, checked as they are submitted: of the pipe's fds,
# and of the ring's fixed files once they hold the pipe's last references
# (its fds closed before: no release then).
test_io_uring_close_finds_change_in_unread_pipe() { let_go uring_close; }
test_io_uring_close_of_fixed_files_finds_change() { let_go uring_close_fixed; }

# A buffer partly read: a change to the bytes already read is to bytes no
# longer held (no record); a change to the rest is caught, for the rest.
test_change_to_bytes_already_read_no_record() {
	under store "$shm/partial.$RANDOM" partial 100 && records 'e == []'
}

test_change_to_rest_of_partly_read_buffer_caught() {
	under store "$shm/partial.$RANDOM" partial 300 || return
	[ "$got" = changed ] || fail "the reader got the $got bytes" || return
	records "[(r['event'], r['check'], r['held_offset'], r['held_len']) for r in e] == [('unexplained_change', 'drain', 200, 3896)]"
}

# The first bytes taken by an io_uring splice request: its completion
# fingerprints the rest, so a change to it before the read is caught.
test_change_to_rest_after_io_uring_partial_splice_caught() {
	VW_URING_PARTIAL=1 under store "$shm/partial.$RANDOM" partial 300 || return
	[ "$got" = changed ] || fail "the reader got the $got bytes" || return
	records "[(r['event'], r['check'], r['held_offset'], r['held_len']) for r in e] == [('unexplained_change', 'drain', 200, 3896)]"
}

# uid 65534 names its file with an escape sequence and a newline and
# changes its held bytes: trace --verify's text line shows them escaped, on
# one line, never raw to the terminal.
test_text_line_escapes_nobodys_file_name() {
	local dir=$shm/nobody.$RANDOM name out
	name=$(printf 'x\033[2Jy\nz')
	mkdir "$dir" && chown 65534:65534 "$dir" || fail "mkdir $dir" || return
	spawn_sw checked trace --verify -o "$d/text" || return
	checked=$swpid
	out=$("${NOBODY[@]}" "$WL" store "$dir/$name" 2>&1) || fail "workload as nobody: $out" || return
	stop_checked || return
	grep -qF "UNEXPLAINED CHANGE of held bytes 0+4096 of $dir/x\x1b[2Jy\x0az (" "$d/text" ||
		fail "no escaped line: $(grep -a UNEXPLAINED "$d/text" | od -c | head -5)" || return
	! grep -q $'\033' "$d/text" || fail "a raw escape reached the output"
}

# --aggregate: one process changes its own held bytes 40 times over. The
# first change is a line at once; the other 39, of the same holder,
# reader, file and check, are one line with count 39 at the end of the
# run (the window is an hour); the summary counts them folded.
test_aggregate_folds_repeated_changes() {
	spawn_sw checked trace --verify --json --aggregate 1h -o "$d/checked" || return
	checked=$swpid
	wl store "$shm/repeat.$RANDOM" repeat 40 || return
	stop_checked || return
	records "[(r['check'], r['pid'], r.get('count')) for r in e] == [('drain', $wpid, None), ('drain', $wpid, 39)]" || return
	records "e[1]['first_ts_ns'] < e[1]['last_ts_ns'] == e[1]['ts_ns']" || return
	grep -q '^splicewatch: verify: aggregate: 39 changes folded into 1 aggregate lines, 0 shown unaggregated' "$d/checked.err" ||
		fail "summary: $(grep 'verify:' "$d/checked.err")"
}

# The text line of an aggregate: the last change's line, ending with how
# many it stands for and over how long.
test_aggregate_text_line_says_count() {
	local lines
	spawn_sw checked trace --verify --aggregate 1h -o "$d/text" || return
	checked=$swpid
	wl store "$shm/repeattext.$RANDOM" repeat 5 || return
	stop_checked || return
	mapfile -t lines < <(grep "UNEXPLAINED CHANGE .*repeattext" "$d/text")
	[ "${#lines[@]}" = 2 ] || fail "want 2 lines: $(cat "$d/text")" || return
	[[ ${lines[0]} != *"such changes"* ]] || fail "first line: ${lines[0]}" || return
	[[ ${lines[1]} =~ \;\ the\ last\ of\ 4\ such\ changes\ in\ [0-9]+\.[0-9]s$ ]] ||
		fail "aggregate line: ${lines[1]}"
}

# One file, two holders' users: uid 65534 holds a page of it in a pipe
# nobody reads and changes it, then root does the same. The sweep finds
# both (no reader: pid 0 in both keys); each is a line of its own, so
# nobody's changes never fold root's in.
test_aggregate_keeps_each_holders_user_apart() {
	local dir=$shm/nobody.$RANDOM out
	mkdir "$dir" && chown 65534:65534 "$dir" || fail "mkdir $dir" || return
	spawn_sw checked trace --verify --json --aggregate 1h -o "$d/checked" || return
	checked=$swpid
	out=$("${NOBODY[@]}" "$WL" store "$dir/f" hold 2.5 2>&1) || fail "workload as nobody: $out" || return
	wl store "$dir/f" hold 2.5 || return
	stop_checked || return
	records "[(r['check'], r['splicer_uid'], r.get('count')) for r in e] == [('sweep', 65534, None), ('sweep', 0, None)]"
}

# uid 65534 holds 1100 buffers with the table shrunk to 1024 (its share at
# the default 25%: 256): root's hold after it is still fingerprinted and its
# change caught; nobody's beyond its share are counted, not fingerprinted.
test_user_share_leaves_room_for_root() {
	local dir=$shm/share.$RANDOM hp i rc
	mkdir "$dir" || return
	for i in $(seq 0 1099); do printf x >"$dir/f$i"; done
	chmod -R a+rX "$dir"
	export SPLICEWATCH_TEST_VERIFY_MAX_HOLDS=1024
	spawn_sw checked trace --verify --json -o "$d/checked"
	rc=$?
	unset SPLICEWATCH_TEST_VERIFY_MAX_HOLDS
	checked=$swpid
	[ "$rc" = 0 ] || return
	"$SHARE" "$dir" 0 1100 65534 >"$d/share.out" 2>&1 &
	hp=$!
	bg+=("$hp")
	for i in $(seq 100); do grep -q ready "$d/share.out" && break; sleep 0.1; done
	grep -q ready "$d/share.out" || fail "share_workload: $(cat "$d/share.out")" || return
	wl store "$shm/root.$RANDOM" || return
	kill "$hp"
	wait "$hp" 2>/dev/null
	stop_checked || return
	[ "$got" = changed ] || fail "the reader got the $got bytes" || return
	records "[(r['event'], r['check']) for r in e] == [('unexplained_change', 'drain')]" || return
	local nf
	nf=$(sed -n 's/.* \([0-9]*\) not fingerprinted.*/\1/p' "$d/checked.err")
	[ "${nf:-0}" -ge 844 ] || fail "not fingerprinted: ${nf:-none}, want at least 1100 - 256: $(grep verify: "$d/checked.err")"
}

# ---- ci --verify: a change is COMMAND's when its tree spliced or took the
# bytes; each fails the run.

# ci ARGS...: splicewatch ci; its status in $rc, stderr in $d/ci.err.
ci() {
	"$SW" ci "$@" 2>"$d/ci.err" >"$d/ci.out"
	rc=$?
}
# rep EXPR: EXPR holds for the report $d/r.json (r).
rep() {
	[ "$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval("(" + sys.argv[2] + ")"))' \
		"$d/r.json" "$1" 2>&1)" = True ] || fail "report: $(head -c 1200 "$d/r.json")"
}

# The store of test_mapping_store_tmpfs under ci: it passes without
# --verify, fails with it, and the report, JUnit and summary say why.
test_ci_change_by_tree_fails_run() {
	local f=$shm/ci.$RANDOM
	ci -- "$WL" store "$f.plain"
	[ "$rc" = 0 ] || fail "ci without --verify exited $rc: $(tail -2 "$d/ci.err")" || return
	ci --verify --report "$d/r.json" --junit "$d/j.xml" -- "$WL" store "$f"
	[ "$rc" = 3 ] || fail "ci --verify exited $rc, want 3: $(tail -2 "$d/ci.err")" || return
	rep "r['result'] == 'fail' and r['totals']['unsafe_writes'] == 0 and r['verify']['unexplained_changes'] == 1
		and [(c['event'], c['check'], c['path'], c['held_len']) for c in r['verify']['changes']]
		== [('unexplained_change', 'drain', '$f', 4096)]" || return
	grep -q '<testcase classname="splicewatch.unexplained_change"' "$d/j.xml" &&
		grep -q 'failures="1"' "$d/j.xml" || fail "JUnit: $(head -c 600 "$d/j.xml")" || return
	grep -q '^splicewatch: ci: FAIL (exit 3): unexplained changes$' "$d/ci.err" ||
		fail "summary: $(tail -3 "$d/ci.err")"
}

# A pwrite of the tree is an unsafe_write finding, and the change it made
# is explained: no unexplained change.
test_ci_explained_write_is_finding_not_change() {
	ci --verify --report "$d/r.json" -- "$WL" pwrite "$shm/ci.$RANDOM"
	[ "$rc" = 3 ] || fail "exit $rc, want 3" || return
	rep "r['totals']['unsafe_writes'] == 1 and r['verify']['unexplained_changes'] == 0
		and r['verify']['explained'] == 1 and r['verify']['changes'] == []"
}

# Bytes held, read and unchanged: the run passes with COMMAND's status,
# and -q keeps it silent.
test_ci_unchanged_bytes_pass() {
	ci -q --verify --report "$d/r.json" -- "$WL" clean "$shm/ci.$RANDOM"
	[ "$rc" = 0 ] || fail "exit $rc, want 0: $(tail -2 "$d/ci.err")" || return
	[ ! -s "$d/ci.err" ] || fail "-q printed: $(head -2 "$d/ci.err")" || return
	rep "r['result'] == 'pass' and r['verify']['fingerprinted'] >= 1 and r['verify']['checks'] >= 1
		and r['verify']['unexplained_changes'] == 0"
}

# A process of uid 65534 outside COMMAND's tree changes bytes it holds
# itself while COMMAND runs: not COMMAND's, so another user cannot fail the
# run this way; the run passes.
test_ci_change_outside_tree_not_commands() {
	local out dir=$shm/outside.$RANDOM
	mkdir "$dir" && chown 65534:65534 "$dir" || fail "mkdir $dir" || return
	"$SW" ci --verify --report "$d/r.json" -- sh -c \
		"touch '$d/ready'; while [ ! -e '$d/go' ]; do sleep 0.05; done" 2>"$d/ci.err" &
	local cipid=$!
	for _ in $(seq 300); do [ -e "$d/ready" ] && break; sleep 0.1; done
	out=$("${NOBODY[@]}" "$WL" store "$dir/f" 2>&1)
	touch "$d/go"
	wait "$cipid"
	rc=$?
	[ -e "$d/ready" ] || fail "COMMAND never started: $(tail -2 "$d/ci.err")" || return
	[[ $out == *got=changed* ]] || fail "the outside workload: $out" || return
	[ "$rc" = 0 ] || fail "exit $rc, want 0: $(tail -3 "$d/ci.err")" || return
	rep "r['verify']['unexplained_changes'] == 0 and r['verify']['changes_found'] == 0"
}

# A run of the verify programs the kernel skipped (6.14+ on a kernel that
# preempts kernel code) is backed up: with every run of the first copies
# dropped (SPLICEWATCH_TEST_DROP), the backup copies fingerprint the splice
# and check the read, and the summary counts nothing skipped (the drop is
# no kernel skip).
test_dropped_runs_backed_up_by_backup_copies() {
	local rc
	export SPLICEWATCH_BACKUP_HOOKS=1 SPLICEWATCH_TEST_DROP=enter,exit
	spawn_sw checked trace --json --verify -o "$d/checked"
	rc=$?
	unset SPLICEWATCH_BACKUP_HOOKS SPLICEWATCH_TEST_DROP
	[ "$rc" = 0 ] || return
	checked=$swpid
	wl store "$shm/dropped.$RANDOM" || return
	stop_checked || return
	records "[(r['event'], r['check'], r['pid']) for r in e] == [('unexplained_change', 'drain', $wpid)]"
}

# --scope pids has no cgroup to tell COMMAND's holds by: refused before
# COMMAND starts.
test_ci_verify_with_scope_pids_refused() {
	ci --verify --scope pids -- touch "$d/started"
	[ "$rc" = 2 ] || fail "exit $rc, want 2" || return
	[ ! -e "$d/started" ] || fail "COMMAND ran" || return
	grep -q -- '--verify needs --scope cgroup' "$d/ci.err" || fail "stderr: $(cat "$d/ci.err")"
}

T mapping_store_tmpfs_missed_by_trace_caught_by_verify test_mapping_store_tmpfs
T mapping_store_to_dirty_page_ext4_missed_by_trace_caught_by_verify test_mapping_store_to_dirty_page_ext4
T read_into_mapping_tmpfs_missed_by_trace_caught_by_verify test_read_into_mapping_tmpfs
T read_into_mapping_ext4_missed_by_trace_caught_by_verify test_read_into_mapping_ext4
T process_vm_writev_tmpfs_missed_by_trace_caught_by_verify test_process_vm_writev_tmpfs
T process_vm_writev_ext4_missed_by_trace_caught_by_verify test_process_vm_writev_ext4
T ptrace_pokedata_tmpfs_missed_by_trace_caught_by_verify test_ptrace_pokedata_tmpfs
T ptrace_pokedata_ext4_missed_by_trace_caught_by_verify test_ptrace_pokedata_ext4
T io_uring_read_tmpfs_missed_by_trace_caught_by_verify test_io_uring_read_tmpfs
T io_uring_read_ext4_missed_by_trace_caught_by_verify test_io_uring_read_ext4
T io_uring_splice_into_pipe_tmpfs_missed_by_trace_caught_by_verify test_io_uring_splice_into_pipe_tmpfs
T io_uring_splice_into_pipe_ext4_missed_by_trace_caught_by_verify test_io_uring_splice_into_pipe_ext4
T io_uring_splice_out_of_pipe_tmpfs_missed_by_trace_caught_by_verify test_io_uring_splice_out_of_pipe_tmpfs
T io_uring_splice_out_of_pipe_ext4_missed_by_trace_caught_by_verify test_io_uring_splice_out_of_pipe_ext4
T io_uring_tee_out_of_pipe_tmpfs_missed_by_trace_caught_by_verify test_io_uring_tee_out_of_pipe_tmpfs
T io_uring_fixed_files_splice_out_of_pipe_tmpfs_missed_by_trace_caught_by_verify test_io_uring_fixed_files_splice_out_of_pipe_tmpfs
T io_uring_fixed_files_tee_out_of_pipe_tmpfs_missed_by_trace_caught_by_verify test_io_uring_fixed_files_tee_out_of_pipe_tmpfs
T io_uring_fixed_files_splice_into_pipe_tmpfs_missed_by_trace_caught_by_verify test_io_uring_fixed_files_splice_into_pipe_tmpfs
T ia32_splice_and_read_checked test_ia32_splice_and_read_checked
T reported_write_is_no_unexplained_change test_reported_write_is_no_unexplained_change
T unchanged_bytes_no_record test_unchanged_bytes_no_record
T sweep_finds_change_in_unread_pipe test_sweep_finds_change_in_unread_pipe
T close_finds_change_in_unread_pipe test_close_finds_change_in_unread_pipe
T exit_finds_change_in_unread_pipe test_exit_finds_change_in_unread_pipe
T exit_of_threaded_process_finds_change test_exit_of_threaded_process_finds_change
T dup2_over_pipe_finds_change test_dup2_over_pipe_finds_change
T close_range_finds_change_in_unread_pipe test_close_range_finds_change_in_unread_pipe
T exec_closing_pipe_finds_change test_exec_closing_pipe_finds_change
T io_uring_close_finds_change_in_unread_pipe test_io_uring_close_finds_change_in_unread_pipe
T io_uring_close_of_fixed_files_finds_change test_io_uring_close_of_fixed_files_finds_change
T change_to_bytes_already_read_no_record test_change_to_bytes_already_read_no_record
T change_to_rest_of_partly_read_buffer_caught test_change_to_rest_of_partly_read_buffer_caught
T change_to_rest_after_io_uring_partial_splice_caught test_change_to_rest_after_io_uring_partial_splice_caught
T text_line_escapes_nobodys_file_name test_text_line_escapes_nobodys_file_name
T aggregate_folds_repeated_changes test_aggregate_folds_repeated_changes
T aggregate_text_line_says_count test_aggregate_text_line_says_count
T aggregate_keeps_each_holders_user_apart test_aggregate_keeps_each_holders_user_apart
T user_share_leaves_room_for_root test_user_share_leaves_room_for_root
T dropped_runs_backed_up_by_backup_copies test_dropped_runs_backed_up_by_backup_copies
T ci_change_by_tree_fails_run test_ci_change_by_tree_fails_run
T ci_explained_write_is_finding_not_change test_ci_explained_write_is_finding_not_change
T ci_unchanged_bytes_pass test_ci_unchanged_bytes_pass
T ci_change_outside_tree_not_commands test_ci_change_outside_tree_not_commands
T ci_verify_with_scope_pids_refused test_ci_verify_with_scope_pids_refused
run_tests
