#!/usr/bin/env bash
# splicewatch against a hostile local user, section 2 of the adversary suite
# (tests/suites/adversary.sh has the others): holds the index cannot track,
# decoy holders, floods of pipes, files and chunks against the per-user
# shares (docs/design.md, "The hold index"). Each test runs the attack as uid
# 65534 through setpriv against root-owned files and root processes, and
# fails if the protection it names is removed. Actors:
# tests/adversary/actor.py. Prints TAP; exits 1 if a test failed, 2 if it
# cannot run.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
ACTOR=tests/adversary/actor.py
suite_setup adversary-index "$ACTOR"
. tests/adversary/lib.sh

# ---- 2. untrackable holds ----

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
	         and x['splicer_pid'] == $dpid and x['splicer_uid'] == $NOBODY
	         and x['splicer_comm'] == 'python3' and x['pipe_ino'] > 0
	         and x['dev'] == '$(stat -c %Hd:%Ld "$f")' and x['ino'] == $(stat -c %i "$f") for x in e)" ||
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
	         and x['splicer_pid'] == $actor_pid and x['splicer_uid'] == $NOBODY
	         and x['splicer_comm'] == 'python3' and x['pipe_ino'] > 0
	         and x['dev'] == '$(stat -c %Hd:%Ld "$f")' and x['ino'] == $(stat -c %i "$f")
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
	assert r["untracked"][0]["reason"].startswith("chunk_holder") and r["untracked"][0]["splicer_uid"] == 65534
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
	evs "any(x.get('event') == 'untracked_hold' and x['reason'] == 'user_quota' and x['splicer_uid'] == $NOBODY
	         and x['ino'] == $(stat -c %i "$f") for x in e)" ||
		fail "no untracked_hold naming user_quota, uid $NOBODY and the file"
}
T file_hold_flood_bounded_by_user_quota test_file_hold_flood_bounded_by_user_quota

# flood_checks FLOOD_INOS: after a flood by nobody and a root hold made after
# it ($actor_pid) of a root file the root wrote into: that write was
# reported, nobody's holds past its share were told as untracked (user_quota,
# naming nobody and a file of FLOOD_INOS, a Python set), at least OVER of
# them (one per batch, here one buffer each: the holds past the share; more
# if another process of nobody's took some of its share), and no hold of
# root's was untracked. The number of such events in $quota_events.
flood_checks() {
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $actor_pid and x['uid'] == 0
	         and x['write_offset'] == 100 for x in e)" ||
		{ fail "the root write into the root hold was not reported after the flood: $(grep -v user_quota "$d/ev" | head -c 400)"; return 1; }
	evs "not any(x.get('event') == 'untracked_hold' and x['splicer_uid'] == 0 for x in e)" ||
		{ fail "a hold of root's was untracked: $(grep untracked "$d/ev" | grep '"splicer_uid":0,' | head -c 400)"; return 1; }
	quota_events=$("$PY" - "$d/ev" "$1" <<-'PYEOF'
	import json, sys
	inos = eval(sys.argv[2])
	e = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
	print(sum(1 for x in e if x.get('event') == 'untracked_hold' and x['reason'] == 'user_quota'
	          and x['splicer_uid'] == 65534 and x['ino'] in inos))
	PYEOF
	)
	[ "${quota_events:-0}" -ge "$2" ] ||
		fail "${quota_events:-0} untracked_hold events naming user_quota, uid $NOBODY and a file of the flood, want $2 or more"
}

# --max-holds 16384 makes 1024 mappings entries (files with held pages), a
# quarter of them nobody's share (--user-share 25: 256). As nobody, page 0 of
# 1024 root 0644 files is held, 4 files a pipe (256 pipes: its share of
# pipes): without a share of mappings they would take every entry. Past 256
# files nobody's holds are untracked (user_quota, naming nobody and the
# file); a root hold of another root file made after them is tracked and the
# root write into it reported.
test_file_flood_bounded_by_mapping_share() {
	local g i inos
	g=$(root_file data)
	mkdir -m 755 "$d/many"
	for ((i = 0; i < 1024; i++)); do
		printf A >"$d/many/f$i"
		printf '%s 0\n' "$d/many/f$i"
	done >"$d/list"
	chmod 644 "$d"/many/*
	inos="{$(stat -c %i "$d"/many/* | paste -sd,)}"
	start_sw trace --max-holds 16384 || return 1
	bg_actor "$d/flood.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_spread "$d/list" 4 || return 1
	sleep 0.5	# the last batches indexed (GC) before the root hold
	bg_actor "$d/root.out" "$PY" "$ACTOR" hold "$g" 0 4096 || return 1
	"$PY" "$ACTOR" pwrite "$g" 100 WWWW >"$d/w.out" || return 1
	sleep 0.3
	stop_sw
	flood_checks "$inos" 768 || return 1
	figure "mapping share: 1024 files held by nobody, 256 its share: $quota_events user_quota events; $(grep -o '[0-9]* holds untracked.*' "$d/swerr")"
}
T file_flood_bounded_by_mapping_share test_file_flood_bounded_by_mapping_share

# The share is of entries in use: charges come back. As nobody, page 0 of
# 256 root 0644 files is held (its whole share of mappings at --max-holds
# 16384), then let go (the holder killed): GC drops the dead pipes, and
# sweeps the emptied entries (nobody is near its share) giving the charges
# back. Page 0 of 256 other files, held by nobody then, is tracked: no
# user_quota, and a root write into the last of them is reported with
# nobody as the splicer.
test_mapping_share_comes_back_after_release() {
	local i h
	mkdir -m 755 "$d/many"
	for ((i = 0; i < 512; i++)); do
		printf A >"$d/many/f$i"
		printf '%s 0\n' "$d/many/f$i" >>"$d/list$((i / 256))"
	done
	chmod 644 "$d"/many/*
	start_sw trace --max-holds 16384 || return 1
	bg_actor "$d/flood0.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_spread "$d/list0" 4 || return 1
	h=${actors[-1]}
	sleep 0.5
	kill -KILL "$h"
	wait "$h" 2>/dev/null
	sleep 1	# two GC passes: dead pipes dropped, emptied entries swept
	bg_actor "$d/flood1.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_spread "$d/list1" 4 || return 1
	h=$actor_pid
	sleep 0.5
	"$PY" "$ACTOR" pwrite "$d/many/f511" 0 W >"$d/w.out" || return 1
	sleep 0.3
	stop_sw
	evs "not any(x.get('event') == 'untracked_hold' for x in e)" ||
		{ fail "holds untracked: $(grep untracked "$d/ev" | head -c 400)"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $h and x['splicer_uid'] == $NOBODY
	         and x['ino'] == $(stat -c %i "$d/many/f511") for x in e)" ||
		fail "the root write into nobody's hold made after the release was not reported: $(head -c 400 "$d/ev")"
}
T mapping_share_comes_back_after_release test_mapping_share_comes_back_after_release

# A hold refused an entry must not count against an entry made later. As
# nobody, with its whole share of mappings taken (256 files), page 0 of a
# root file F is held (refused: user_quota); root then holds page 0 of F
# (the entry, root's), nobody reads its pipe, and takes one more file (so
# GC sweeps emptied entries). Root's entry keeps root's hold: the root write
# into F is reported. (Were nobody's refused buffer recorded in its pipe,
# its drain would empty root's entry and the sweep delete it.)
test_refused_hold_cannot_empty_later_entry() {
	local f i
	f=$(root_file target)
	mkdir -m 755 "$d/many"
	for ((i = 0; i < 257; i++)); do
		printf A >"$d/many/f$i"
		[ "$i" -lt 256 ] && printf '%s 0\n' "$d/many/f$i"
	done >"$d/list"
	chmod 644 "$d"/many/*
	start_sw trace --max-holds 16384 || return 1
	bg_actor "$d/flood.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_spread "$d/list" 4 || return 1
	bg_actor "$d/refused.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_read "$f" 0 4096 "$d/go" 0 1 || return 1
	sleep 0.5	# indexed (GC): refused
	bg_actor "$d/root.out" "$PY" "$ACTOR" hold "$f" 0 4096 || return 1
	sleep 0.5
	touch "$d/go"
	wait_line "$d/refused.out" pipe >/dev/null || { fail "nobody did not read its pipe"; return 1; }
	nobody_hold "$d/many/f256" 0 1 || return 1
	sleep 1	# indexed, then a sweep
	"$PY" "$ACTOR" pwrite "$f" 100 WWWW >"$d/w.out" || return 1
	sleep 0.3
	stop_sw
	evs "any(x.get('event') == 'untracked_hold' and x['reason'] == 'user_quota' and x['splicer_uid'] == $NOBODY
	         and x['ino'] == $(stat -c %i "$f") for x in e)" ||
		{ fail "nobody's hold of the root file was not refused: $(grep -v '"ino":0' "$d/ev" | head -c 400)"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['splicer_pid'] == $actor_pid and x['write_offset'] == 100 for x in e)" ||
		fail "the root write into the root hold was not reported: $(grep -v user_quota "$d/ev" | head -c 400)"
}
T refused_hold_cannot_empty_later_entry test_refused_hold_cannot_empty_later_entry

# --max-holds 16384 makes 4096 chunks entries (64 file pages each), a quarter
# of them nobody's share (1024). As nobody, one byte of each of 4096 chunks of
# a root 0644 sparse file is held (16 pipes of 256 buffers): without a share
# of chunks they would take every entry. Past 1024 chunks nobody's holds are
# untracked (user_quota); a root hold of another root file made after them is
# tracked and the root write into it reported.
test_chunk_flood_bounded_by_chunk_share() {
	local f g i
	f=$d/sparse
	g=$(root_file data)
	"$PY" -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
for i in range(4096):
    os.pwrite(fd, b"A", i * 64 * 4096)
' "$f" || { fail "cannot make the sparse file"; return 1; }
	chmod 644 "$f"
	for ((i = 0; i < 4096; i++)); do printf '%s %d\n' "$f" $((i * 64 * 4096)); done >"$d/list"
	start_sw trace --max-holds 16384 || return 1
	bg_actor "$d/flood.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_spread "$d/list" 256 || return 1
	sleep 0.5
	bg_actor "$d/root.out" "$PY" "$ACTOR" hold "$g" 0 4096 || return 1
	"$PY" "$ACTOR" pwrite "$g" 100 WWWW >"$d/w.out" || return 1
	sleep 0.3
	stop_sw
	flood_checks "{$(stat -c %i "$f")}" 3072 || return 1
	figure "chunk share: 4096 chunks held by nobody, 1024 its share: $quota_events user_quota events; $(grep -o '[0-9]* holds untracked.*' "$d/swerr")"
}
T chunk_flood_bounded_by_chunk_share test_chunk_flood_bounded_by_chunk_share

# untracked_hold_of UID FILE: as UID (0 or nobody), four pipes holding page 1
# of FILE (every holder slot of its first chunk), then a fifth holding page 0:
# untracked (chunk_holders_full), so its file is marked; the fifth's pid in
# $fifth. Only a mark covers page 0: a write there finds no tracked hold.
untracked_hold_of() {
	local as=()
	[ "$1" = 0 ] || as=("${as_nobody[@]}")
	bg_actor "$d/four.out" "${as[@]}" "$PY" "$ACTOR" hold_many "$2" 4096 4096 4 || return 1
	sleep 0.3
	bg_actor "$d/fifth.out" "${as[@]}" "$PY" "$ACTOR" hold "$2" 0 4096 || return 1
	fifth=$actor_pid
	sleep 0.3
}

# wrote FILE OFF DATA: DATA is at OFF of FILE (the write landed).
wrote() {
	[ "$(dd if="$1" bs=1 skip="$2" count=${#3} 2>/dev/null)" = "$3" ]
}

# enforce --on-untracked kill: a root write into a page only an untracked
# root hold covers is stopped (killed, its bytes not landed), the event
# naming the reason and the holder.
test_on_untracked_kill_stops_write_into_untracked_hold() {
	local f
	f=$(root_file data)
	start_sw enforce --on-untracked kill || return 1
	untracked_hold_of 0 "$f" || return 1
	root_write "$f" 100 WWWW
	stop_sw
	[ "$wrc" = 137 ] || { fail "the root writer exited $wrc, want 137 (killed): $(cat "$d/w.out")"; return 1; }
	wrote "$f" 100 AAAA || { fail "the write landed"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['action'] == 'killed' and x['write_offset'] == 100
	         and x.get('untracked_reason') == 'chunk_holders_full' and x['splicer_pid'] == $fifth
	         and x['holder_trusted'] for x in e)" ||
		fail "no killed unsafe_write naming chunk_holders_full and holder $fifth: $(grep unsafe "$d/ev" | head -c 600)"
}
T on_untracked_kill_stops_write_into_untracked_hold test_on_untracked_kill_stops_write_into_untracked_hold

# The default (report), and the policy file's on_untracked: the same write
# is reported and lands; with `on_untracked: kill` in the policy it is stopped.
test_on_untracked_report_by_default_policy_kill() {
	local f
	f=$(root_file data)
	start_sw enforce || return 1
	untracked_hold_of 0 "$f" || return 1
	root_write "$f" 100 WWWW
	stop_sw
	[ "$wrc" = 0 ] && wrote "$f" 100 WWWW || { fail "default: the root writer exited $wrc or its write did not land"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['action'] == 'reported'
	         and x.get('untracked_reason') == 'chunk_holders_full' for x in e)" ||
		{ fail "default: no reported unsafe_write naming chunk_holders_full: $(grep unsafe "$d/ev" | head -c 600)"; return 1; }
	# Holds made before a run are not known to it: made again.
	kill -KILL "${actors[@]}"
	printf 'version: 1\non_untracked: kill\n' >"$d/policy.yaml"
	start_sw enforce --policy "$d/policy.yaml" || return 1
	untracked_hold_of 0 "$f" || return 1
	root_write "$f" 200 WWWW
	stop_sw
	[ "$wrc" = 137 ] || fail "policy on_untracked: kill: the root writer exited $wrc, want 137"
}
T on_untracked_report_by_default_policy_kill test_on_untracked_report_by_default_policy_kill

# The attack: nobody makes its own hold of a root file untracked (five pipes
# on one chunk) to get root's writes to that file killed under
# --on-untracked kill. The mark is nobody's (untrusted for root): the root
# writer lives and its write lands.
test_on_untracked_ignores_other_users_untracked_hold() {
	local f
	f=$(root_file data)
	start_sw enforce --on-untracked kill || return 1
	untracked_hold_of "$NOBODY" "$f" || return 1
	root_write "$f" 100 WWWW
	stop_sw
	[ "$wrc" = 0 ] || { fail "the root writer exited $wrc, want 0: $(cat "$d/w.out")"; return 1; }
	wrote "$f" 100 WWWW || { fail "the write did not land"; return 1; }
	evs "(any(x.get('event') == 'untracked_hold' and x['splicer_uid'] == $NOBODY for x in e)
	      and not any(x.get('event') == 'unsafe_write' and x['action'] == 'killed' for x in e))" ||
		fail "want nobody's untracked hold told and nothing killed: $(head -c 600 "$d/ev")"
}
T on_untracked_ignores_other_users_untracked_hold test_on_untracked_ignores_other_users_untracked_hold

# A mark lasts as long as its pipe holds a page of the file: once the
# untracked holder is gone (GC, every 200 ms), writes there are left alone.
test_on_untracked_mark_ends_with_its_pipe() {
	local f
	f=$(root_file data)
	start_sw enforce --on-untracked kill || return 1
	untracked_hold_of 0 "$f" || return 1
	kill -KILL "$fifth"
	sleep 0.8
	root_write "$f" 100 WWWW
	stop_sw
	[ "$wrc" = 0 ] && wrote "$f" 100 WWWW ||
		fail "the root writer exited $wrc after the untracked holder was gone, want 0 and its write landed"
}
T on_untracked_mark_ends_with_its_pipe test_on_untracked_mark_ends_with_its_pipe

# A hold refused its file's entry (its user past its share of mappings) is
# marked too, over every page of the file it holds. As nobody, with its
# whole share taken (256 files at --max-holds 16384), both pages of its own
# file are held (refused: user_quota); nobody's write into the second page
# is killed under --on-untracked kill, its bytes not landed.
test_on_untracked_kill_stops_write_into_hold_past_share() {
	local f i
	f=$(nobody_file data)
	mkdir -m 755 "$d/many"
	for ((i = 0; i < 256; i++)); do
		printf A >"$d/many/f$i"
		printf '%s 0\n' "$d/many/f$i"
	done >"$d/list"
	chmod 644 "$d"/many/*
	start_sw enforce --on-untracked kill --max-holds 16384 || return 1
	bg_actor "$d/flood.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold_spread "$d/list" 4 || return 1
	sleep 0.5
	bg_actor "$d/hold.out" "${as_nobody[@]}" "$PY" "$ACTOR" hold "$f" 0 8192 || return 1
	sleep 0.5
	"${as_nobody[@]}" "$PY" "$ACTOR" pwrite "$f" 4196 WWWW >"$d/w.out" 2>&1
	wrc=$?
	stop_sw
	[ "$wrc" = 137 ] || { fail "nobody's writer exited $wrc, want 137 (killed): $(cat "$d/w.out")"; return 1; }
	wrote "$f" 4196 AAAA || { fail "the write landed"; return 1; }
	evs "any(x.get('event') == 'unsafe_write' and x['action'] == 'killed' and x['write_offset'] == 4196
	         and x.get('untracked_reason') == 'user_quota' and x['splicer_pid'] == $actor_pid for x in e)" ||
		fail "no killed unsafe_write naming user_quota and holder $actor_pid: $(grep unsafe "$d/ev" | head -c 600)"
}
T on_untracked_kill_stops_write_into_hold_past_share test_on_untracked_kill_stops_write_into_hold_past_share

run_tests
