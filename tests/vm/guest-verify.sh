#!/bin/sh
# tests/vm/guest-verify.sh - the kernel-dependent part of the verify suite
# (trace --verify, docs/content-checks.md), inside a VM (busybox sh), started
# by guest-swtest.sh:
#
#   guest-verify.sh BACKEND [GLOB]
#
# A plain `trace` and a `trace --verify` run side by side (both --backend
# BACKEND; a load is most of the time under TCG on 7.x, so the workloads
# share one run of each) while tests/verify_workload (/sw/verify_workload)
# changes the bytes a pipe holds in each way no write hook sees, on ext4
# (/var/tmp, the page already dirty) and tmpfs (/tmp): a store through a
# MAP_SHARED mapping, pread(2) and an io_uring read into one,
# process_vm_writev(2) and PTRACE_POKEDATA into another process's; and a
# store with the pipe filled, or drained, by an io_uring splice request (also
# one naming its files in the ring's table of fixed files). Each:
# the reader got the changed bytes, plain trace reported nothing of the file,
# and trace --verify exactly one unexplained_change at the drain naming the
# reader. Then a reported pwrite(2) (explained: its unsafe_write only),
# bytes nobody changed (no record), a pipe read 2.5 s later (the sweep) and
# one let go of unread (the release: by close(2), the exit of its process,
# dup2(2) or close_range(2) over it, an exec closing it); `ci --verify` failing a run whose
# tree changed held bytes (the cgroup scope of the programs); `enforce
# --verify` killing the reader of root's changed file before its splice out
# moves anything (the splice looks at pending signals on this kernel), and
# as it submits an io_uring splice request to take them out, and leaving
# alone the reader of a file uid 65534 changed itself (by splice and by
# io_uring splice). Where
# tests/vm/matrix.sh built the test module for the kernel (/sw/kmod,
# tests/vm/kmod.sh): the kernel's own writers. Byte 100 set through the
# kernel's mapping of the page is missed by plain trace and caught at the
# drain; so are the held bytes encrypted in place by the crypto API
# (AES-GCM, an AEAD request; AES-CTR, a skcipher request) with the
# tracepoint backend, which the fentry and kprobe backends name as it
# happens (an unsafe_write, op crypto_aead_encrypt or
# crypto_skcipher_encrypt, in both traces, and no unexplained change; once
# per thread and hold, again for a new hold; so for pages the pipe had handed on
# to a socket, "handed_off"), enforce killing the task that asked
# for it and sparing the one a softirq doing it interrupted, and root's
# write to pages uid 65534 handed on (that user's hold, also when the same
# task had handed them on as root first). With no hold known
# (the hand-off made before splicewatch started), the in-place write into a
# file nobody has open for writing is named all the same ("hold_unknown",
# no holder, never acted on), and into a file open for writing is not; kTLS
# sending a file nobody writes by sendfile(2), and receiving into a shared
# mapping of a file (decrypted in place into its page), is never reported,
# nor is fscrypt decrypting a file's pages in place as it is read, nor
# dm-crypt decrypting an O_DIRECT read into a shared mapping. The module
# writing to a page of its own gives no record. On fentry where the kernel
# skips no run (6.1, 6.12) the plain trace runs with the first copies of the
# kernel-writer hooks dropped (SPLICEWATCH_TEST_DROP=kernel_writers): what
# it names, their backup copies named. On amd64, nginx serving files
# with sendfile(2) under load beside both traces, a page held meanwhile (so
# fentry and kprobe note every hand-off): no record. What does not depend on the kernel (the
# text line, partial reads, refusals) tests/suites/verify.sh checks on the
# host. Prints a TAP plan ("1..N"; "1..1" and "not ok start-up" when either
# trace cannot start), "ok NAME" / "not ok NAME: why", then
# "# verify: N passed, N failed"; exit status 1 when anything failed.
# SW and WL, when set, replace /sw/splicewatch and /sw/verify_workload (on the
# host: SW=./splicewatch WL=tests/build/verify_workload sh tests/vm/guest-verify.sh B).
# Records are checked with grep: one JSON object per line, keys in a fixed order.
# shellcheck disable=SC2154,SC2254 # NAME_pid and NAME_rc are set by eval; GLOB is a pattern
B=$1
GLOB=${2:-*}
SW=${SW:-/sw/splicewatch}
WL=${WL:-/sw/verify_workload}
passed=0
failed=0
tmp=$(mktemp -d /var/tmp/swverify.XXXXXX)
EXT4=$tmp/ext4
TMPFS=$(mktemp -d /tmp/swverify.XXXXXX)
mkdir -p "$EXT4"

KMOD=${KMOD:-/sw/kmod}
fail() { why=$*; return 1; }

# start NAME COMMAND ARGS...: splicewatch COMMAND (trace or enforce) ARGS in
# the background, JSON to $tmp/NAME, until it says it is watching (status 1
# if it exits or takes 300 s).
start() {
	n=$1
	c=$2
	shift 2
	"$SW" "$c" --backend "$B" --json -o "$tmp/$n" "$@" 2>"$tmp/$n.err" &
	eval "${n}_pid=$!"
	i=0
	while ! grep -qE '^splicewatch: (tracing unsafe writes|enforcing)' "$tmp/$n.err"; do
		eval "kill -0 \$${n}_pid" 2>/dev/null && [ $i -lt 1500 ] || return 1
		sleep 0.2
		i=$((i + 1))
	done
}

# stop NAME: SIGINT, its exit status in ${NAME}_rc.
stop() {
	eval "p=\$${1}_pid"
	kill -INT "$p" 2>/dev/null
	wait "$p"
	eval "${1}_rc=$?"
}

# wl NAME [VAR=VALUE...] WAY FILE [ARGS]: the workload (VAR=VALUE in its
# environment); its output in $tmp/NAME.wl.
wl() (
	n=$1
	shift
	while case $1 in *=*) true ;; *) false ;; esac; do
		export "${1?}"
		shift
	done
	"$WL" "$@" >"$tmp/$n.wl" 2>&1 || echo "failed: $(cat "$tmp/$n.wl")" >"$tmp/$n.wl"
	echo "file=$2" >>"$tmp/$n.wl"
)

# of NAME KEY: KEY of workload NAME's output (ino, pid, got, file).
of() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" "$tmp/$1.wl" | head -n 1; }

# lines FILE NAME: FILE's records of workload NAME's file (by path).
lines() { grep -F "\"path\":\"$(of "$2" file)\"," "$1"; }

# ran NAME [GOT]: the workload ran, and its reader got GOT bytes (default changed).
ran() {
	g=$(of "$1" got)
	[ -n "$g" ] || fail "workload: $(head -n 2 "$tmp/$1.wl")" || return
	[ "$g" = "${2:-changed}" ] || fail "the reader got the $g bytes, want ${2:-changed}"
}

# one NAME PATTERN...: trace --verify has exactly one record of NAME's file,
# and it has every fixed-string PATTERN.
one() {
	n=$1
	shift
	lines "$tmp/checked" "$n" >"$tmp/$n.rec"
	c=$(wc -l <"$tmp/$n.rec")
	[ "$c" = 1 ] || fail "trace --verify: $c records of the file, want 1: $(head -c 600 "$tmp/$n.rec") $(grep -h 'the kernel skipped' "$tmp/checked.err")" || return
	for p in "$@"; do
		grep -qF "$p" "$tmp/$n.rec" || fail "trace --verify: no $p in $(head -c 600 "$tmp/$n.rec")" || return
	done
}

# none FILE NAME WHO: FILE has no record of NAME's file.
none() {
	! lines "$1" "$2" >/dev/null || fail "$3 reported: $(lines "$1" "$2" | head -c 600)"
}

# caught NAME: missed by plain trace, one unexplained_change at the drain by
# trace --verify (or the sweep's, before the drain began), the reader (the
# workload itself) named, fingerprints apart.
caught() {
	ran "$1" || return
	none "$tmp/plain" "$1" "plain trace" || return
	p=$(of "$1" pid)
	# The sweep (every second) may find the change first if it runs between
	# the change and the drain, which under TCG can be milliseconds apart:
	# then its record is the one, dated before the drain began (drain=).
	if lines "$tmp/checked" "$1" | grep -qF '"check":"sweep",'; then
		one "$1" '"event":"unexplained_change","check":"sweep",' '"held_offset":0,"held_len":4096,' \
			"\"splicer_pid\":$p," || return
		ts=$(sed -n 's/.*"ts_ns":\([0-9]*\),.*/\1/p' "$tmp/$1.rec")
		[ "$ts" -lt "$(of "$1" drain)" ] ||
			fail "the sweep found it at $ts, after the drain began at $(of "$1" drain): $(head -c 600 "$tmp/$1.rec")" ||
			return
	else
		one "$1" '"event":"unexplained_change","check":"drain",' '"held_offset":0,"held_len":4096,' \
			"\"splicer_pid\":$p," "\"pid\":$p,\"tid\":$p," || return
	fi
	before=$(sed -n 's/.*"fingerprint_before":"\([0-9a-f]*\)".*/\1/p' "$tmp/$1.rec")
	after=$(sed -n 's/.*"fingerprint_after":"\([0-9a-f]*\)".*/\1/p' "$tmp/$1.rec")
	if [ -z "$before" ] || [ "$before" = "$after" ]; then fail "fingerprints $before, $after"; fi
}

# The test module, loaded (with the crypto modules it needs) where there is
# one; kmod_why says why not.
kmod_why=""
kmod_load() {
	[ "$(cat "$KMOD/status")" = ok ] || { kmod_why="no test module ($(cat "$KMOD/status"))"; return; }
	while read -r m; do
		insmod "$KMOD/$m" 2>"$tmp/insmod.err" || { kmod_why="insmod $m: $(cat "$tmp/insmod.err")"; return; }
	done <"$KMOD/modules.load"
}
kmod_ok() { [ -z "$kmod_why" ] || fail "$kmod_why"; }
# kcaught NAME: caught, for a change the test module made.
kcaught() { kmod_ok && caught "$1"; }
# named NAME OP: the in-place encryption of the held bytes reported as it
# happened, by both traces, as OP (the crypto function), the workload its
# writer; explained, so no unexplained_change.
named() {
	kmod_ok && ran "$1" || return
	p=$(of "$1" pid)
	set -- "$1" "\"event\":\"unsafe_write\",\"op\":\"$2\"," "\"pid\":$p,\"tid\":$p," \
		'"write_offset":0,"write_len":4096,'
	lines "$tmp/plain" "$1" >"$tmp/$1.plain"
	c=$(wc -l <"$tmp/$1.plain")
	[ "$c" = 1 ] || fail "plain trace: $c records of the file, want 1: $(head -c 600 "$tmp/$1.plain")" || return
	for p in "$2" "$3" "$4"; do
		grep -qF "$p" "$tmp/$1.plain" || fail "plain trace: no $p in $(head -c 600 "$tmp/$1.plain")" || return
	done
	one "$@"
}
# DROP_FIRST_COPIES: the plain trace ran with its first kernel-writer hooks
# dropped; it named the module's request on held pages and on pages handed
# on to a socket (the tests above check the records).
test_backup_copies_named() {
	kmod_ok || return
	grep -qF 'SPLICEWATCH_TEST_DROP=kernel_writers: acting as if' "$tmp/plain.err" ||
		fail "plain trace did not drop the first copies: $(grep -h '^splicewatch: ' "$tmp/plain.err" | head -n 3)" || return
	for n in kernel_aead-tmpfs socket-tmpfs; do
		lines "$tmp/plain" "$n" | grep -qF '"op":"crypto_aead_encrypt",' ||
			fail "plain trace: no record of $n: $(lines "$tmp/plain" "$n" | head -c 600)" || return
	done
}
# The same thread's in-place write to a new hold of the same bytes (the
# pipe read, the page spliced in again) is named again: two records.
test_new_hold_named_again() {
	kmod_ok && ran kernel_aead_resplice original || return
	p=$(of kernel_aead_resplice pid)
	c=$(lines "$tmp/plain" kernel_aead_resplice | grep -F '"op":"crypto_aead_encrypt",' |
		grep -cF "\"pid\":$p,")
	[ "$c" = 2 ] || fail "plain trace: $c records of the writes, want 2: $(lines "$tmp/plain" kernel_aead_resplice | head -c 600)"
}
# handed NAME: the bytes encrypted in place after the pipe handed them on to
# a socket (VW_DRAIN=socket), named as above, the hold the hand-off.
handed() {
	named "$1" crypto_aead_encrypt || return
	grep -qF '"handed_off":true' "$tmp/$1.plain" ||
		fail "plain trace: not handed_off: $(head -c 600 "$tmp/$1.plain")"
}
# unheld NAME: the bytes encrypted in place in the socket of a hand-off made
# before splicewatch started (no hold known), the file open for writing by
# nobody: named as above, with no holder and nothing trusted.
unheld() {
	named "$1" crypto_aead_encrypt || return
	for p in '"held_offset":null,"held_len":null,"pipe_ino":null,"splicer_pid":null,' \
		'"holder_trusted":false,"held_ns":null,' '"hold_unknown":true'; do
		grep -qF "$p" "$tmp/$1.plain" || fail "plain trace: no $p in $(head -c 600 "$tmp/$1.plain")" || return
	done
}
# The same, the file open for writing (by the workload): a write that may be
# the file's own; no record.
test_unheld_writable_no_record() {
	kmod_ok && ran unheld-writable && none "$tmp/plain" unheld-writable "plain trace" &&
		none "$tmp/checked" unheld-writable "trace --verify"
}
# The kernel's own crypto on a file's page-cache pages where nothing may be
# reported: kTLS's AEAD, fscrypt's decryption in place of pages not yet
# up to date (of a file nobody has open for writing: only the up-to-date
# test keeps it from a record), and dm-crypt's in place into a shared
# mapping of a file under O_DIRECT (open for writing).
# crypto_no_record NAME GOT: the workload's crypto ran (GOT), no record.
crypto_no_record() {
	kmod_ok && ran "$1" "$2" && none "$tmp/plain" "$1" "plain trace" &&
		none "$tmp/checked" "$1" "trace --verify"
}
# A pipe's pages handed on to a socket and read from it, unchanged: no record.
test_socket_clean() {
	ran socket-clean original && none "$tmp/plain" socket-clean "plain trace" &&
		none "$tmp/checked" socket-clean "trace --verify"
}
test_kernel_own_page() {
	kmod_ok && ran kernel_own_page original && none "$tmp/checked" kernel_own_page "trace --verify"
}
test_enforce_kills_submitter() {
	kmod_ok || return
	[ "$enf_kaead_rc" = 137 ] || fail "the submitter lived (exit $enf_kaead_rc): $(head -n 2 "$tmp/enf-kaead.wl")" || return
	lines "$tmp/enf" enf-kaead | grep -F '"op":"crypto_aead_encrypt",' |
		grep -qF '"action":"killed_late","signal":"SIGKILL"' ||
		fail "records: $(lines "$tmp/enf" enf-kaead | head -c 600)"
}
test_enforce_kills_handed_off() {
	kmod_ok || return
	[ "$enf_ksock_rc" = 137 ] || fail "the submitter lived (exit $enf_ksock_rc): $(head -n 2 "$tmp/enf-ksock.wl")" || return
	lines "$tmp/enf" enf-ksock | grep -F '"op":"crypto_aead_encrypt",' | grep -F '"handed_off":true' |
		grep -qF '"action":"killed_late","signal":"SIGKILL"' ||
		fail "records: $(lines "$tmp/enf" enf-ksock | head -c 600)"
}
# uid 65534 hands root's pipe's pages on to a socket; root's in-place write
# there is reported, not acted on: the hand-off is that user's hold.
# spared_users_handoff NAME RC.
spared_users_handoff() {
	kmod_ok || return
	[ "$(of "$1" got)" = changed ] && [ "$2" = 0 ] ||
		fail "the writer: exit $2, $(head -n 2 "$tmp/$1.wl")" || return
	lines "$tmp/enf" "$1" | grep -F '"op":"crypto_aead_encrypt",' | grep -F '"splicer_uid":65534,' |
		grep -F '"holder_trusted":false,' | grep -F '"action":"reported",' |
		grep -qF '"handed_off":true' || fail "records: $(lines "$tmp/enf" "$1" | head -c 600)"
}
test_enforce_spares_writer_of_users_handoff() { spared_users_handoff enf-kuser "$enf_kuser_rc"; }
# The same after the task that hands them on to 65534 had handed the same
# bytes on as root (it took uid 65534 in between): the later hand-off is
# the hold, not a refresh of root's.
test_enforce_spares_writer_of_handoff_after_setuid() { spared_users_handoff enf-kdrop "$enf_kdrop_rc"; }
# No hold known, no holder to trust: reported, the submitter lives.
test_enforce_spares_writer_no_hold_known() {
	kmod_ok || return
	[ "$(of enf-unheld got)" = changed ] && [ "$enf_unheld_rc" = 0 ] ||
		fail "the writer: exit $enf_unheld_rc, $(head -n 2 "$tmp/enf-unheld.wl")" || return
	lines "$tmp/enf" enf-unheld | grep -F '"op":"crypto_aead_encrypt",' |
		grep -F '"holder_trusted":false,' | grep -F '"action":"reported",' |
		grep -qF '"hold_unknown":true' || fail "records: $(lines "$tmp/enf" enf-unheld | head -c 600)"
}
test_enforce_spares_softirq() {
	kmod_ok || return
	[ "$(of enf-kbh got)" = changed ] && [ "$enf_kbh_rc" = 0 ] ||
		fail "the task: exit $enf_kbh_rc, $(head -n 2 "$tmp/enf-kbh.wl")" || return
	lines "$tmp/enf" enf-kbh | grep -F '"op":"crypto_aead_encrypt",' | grep -F '"action":"reported",' |
		grep -qF '"in_softirq":true' || fail "records: $(lines "$tmp/enf" enf-kbh | head -c 600)"
}

# nginx sending files with sendfile(2) under load (tests/nginx-load.sh; amd64,
# where the matrix copies this host's nginx) while a pipe holds a page of
# another file: their pages pass through the kernel's own pipe into TCP
# sockets' queues, each a hand-off on fentry and kprobe, and nothing changes
# them. Every body was its file's bytes; no record of them, or of the held
# page, in either trace.
test_nginx() {
	ran nginx-hold original && none "$tmp/plain" nginx-hold "plain trace" &&
		none "$tmp/checked" nginx-hold "trace --verify" || return
	[ "$nginx_rc" = 0 ] || fail "nginx-load.sh exited $nginx_rc: $(tail -n 3 "$tmp/nginx.wl")" || return
	r=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$tmp/nginx.wl")
	[ "${r:-0}" -ge 20 ] || fail "only ${r:-0} requests: $(tail -n 3 "$tmp/nginx.wl")" || return
	for f in plain checked; do
		! grep -qF -e "\"path\":\"$EXT4/nginx/" -e "\"path\":\"$TMPFS/nginx/" "$tmp/$f" ||
			fail "$f reported: $(grep -F -e "$EXT4/nginx/" -e "$TMPFS/nginx/" "$tmp/$f" | head -c 600)" || return
	done
}
test_explained() {
	ran pwrite || return
	one pwrite '"event":"unsafe_write","op":"pwrite64",'
}
test_unchanged() { ran clean original && none "$tmp/checked" clean "trace --verify"; }
test_sweep() { ran sweep && one sweep '"event":"unexplained_change","check":"sweep",' '"pid":null,'; }
# test_release HOW: the pipe let go of unread, HOW (verify_workload's LET_GO):
# one record, the release in the task that let go, or the sweep's before the
# pipe was gone (gone=: a sweep between the change and the release finds it
# first).
test_release() {
	ran "$1" none || return
	if lines "$tmp/checked" "$1" | grep -qF '"check":"sweep",'; then
		one "$1" '"event":"unexplained_change","check":"sweep",' || return
		ts=$(sed -n 's/.*"ts_ns":\([0-9]*\),.*/\1/p' "$tmp/$1.rec")
		[ "$ts" -lt "$(of "$1" gone)" ] || fail "the sweep found it at $ts, after the pipe was gone at $(of "$1" gone): $(head -c 600 "$tmp/$1.rec")"
		return
	fi
	one "$1" '"event":"unexplained_change","check":"release",' "\"pid\":$(of "$1" pid),"
}
test_ci() {
	grep -q 'got=changed' "$tmp/ci.wl" || fail "workload: $(head -n 2 "$tmp/ci.wl")" || return
	[ "$ci_rc" = 3 ] || fail "ci --verify exited $ci_rc, want 3: $(tail -n 2 "$tmp/ci.err")" || return
	if ! grep -q '"unexplained_changes": 1,' "$tmp/ci.json" || ! grep -q '"check": "drain",' "$tmp/ci.json"; then
		fail "report: $(grep -E '"(unexplained_changes|check)"' "$tmp/ci.json")"
	fi
}
test_enforce_kills() {
	[ "$enf_rc" = 0 ] || fail "enforce --verify exited $enf_rc: $(tail -n 2 "$tmp/enf.err")" || return
	[ "$(of enf-root got)" = "" ] && [ "$enf_root_rc" = 137 ] ||
		fail "the reader lived (exit $enf_root_rc): $(head -n 2 "$tmp/enf-root.wl")" || return
	[ ! -s "$tmp/enf-root.out" ] || fail "the splice out moved $(wc -c <"$tmp/enf-root.out") bytes" || return
	lines "$tmp/enf" enf-root | grep -qF '"action":"killed","signal":"SIGKILL"}' ||
		fail "records: $(lines "$tmp/enf" enf-root | head -c 600)"
}
# The kill comes as the request is submitted; the worker thread may have
# moved the bytes before the process dies (not asserted).
test_enforce_kills_io_uring_reader() {
	[ "$(of enf-uring got)" = "" ] && [ "$enf_uring_rc" = 137 ] ||
		fail "the reader lived (exit $enf_uring_rc): $(head -n 2 "$tmp/enf-uring.wl")" || return
	lines "$tmp/enf" enf-uring >"$tmp/enf-uring.rec"
	if ! grep -qF '"check":"drain",' "$tmp/enf-uring.rec" ||
		! grep -qF '"action":"killed","signal":"SIGKILL"}' "$tmp/enf-uring.rec"; then
		fail "records: $(head -c 600 "$tmp/enf-uring.rec")"
	fi
}
# spared_reader NAME RC: the reader (root) of the file uid 65534 spliced and
# changed lived and got the changed bytes; the change reported, untrusted.
spared_reader() {
	[ "$(of "$1" got)" = changed ] && [ "$2" = 0 ] ||
		fail "the reader: exit $2, $(head -n 2 "$tmp/$1.wl")" || return
	lines "$tmp/enf" "$1" | grep -qF '"action":"reported","untrusted_file":"owner"}' ||
		fail "records: $(lines "$tmp/enf" "$1" | head -c 600)"
}
test_enforce_spares() { spared_reader enf-user "$enf_user_rc"; }
test_enforce_spares_io_uring() { spared_reader enf-user-uring "$enf_user_uring_rc"; }
test_summary() {
	[ "$plain_rc" = 0 ] || fail "trace exited $plain_rc: $(tail -n 2 "$tmp/plain.err")" || return
	[ "$checked_rc" = 0 ] || fail "trace --verify exited $checked_rc: $(tail -n 2 "$tmp/checked.err")" || return
	grep -q '^splicewatch: verify: .* unexplained (shown), [1-9][0-9]* explained by unsafe writes' "$tmp/checked.err" ||
		fail "summary: $(grep 'verify:' "$tmp/checked.err")" || return
	# -v: the skipped runs per program add up to the summary's counts.
	said=$(sed -n 's/^splicewatch: .*the kernel skipped \([0-9]*\) runs.*/\1/p' "$tmp/checked.err" |
		awk '{ n += $1 } END { print n + 0 }')
	listed=$(sed -n 's/^splicewatch: skipped runs: [a-z_0-9]* \([0-9]*\)$/\1/p' "$tmp/checked.err" |
		awk '{ n += $1 } END { print n + 0 }')
	[ "$said" = "$listed" ] || fail "skipped runs: the summary says $said, -v lists $listed"
}

tell() { # NAME STATUS
	if [ "$2" = 0 ]; then
		echo "ok $1"; passed=$((passed + 1))
	else
		echo "not ok $1: ${why:-failed}"; failed=$((failed + 1))
	fi
}
t() { # NAME COMMAND...
	name=$1
	shift
	case "$name" in $GLOB) ;; *) return 0 ;; esac
	why=""
	"$@"
	tell "$name" $?
}

WAYS="store read_into_mapping process_vm_writev ptrace_pokedata io_uring_read"
# amd64: the splice in and the read out made as IA-32 syscalls (int $0x80).
IA32=""
[ "$(uname -m)" != x86_64 ] || IA32=1
# The ways a pipe is let go of unread (verify_workload's LET_GO), each a release.
LET_GO="close exit dup2 close_range exec uring_close uring_close_fixed"
# The module's ways: caught at the drain (KWAYS), named as they happen
# where kernel functions are hooked (NAMED).
KWAYS=""
NAMED=""
if [ -d "$KMOD" ]; then
	case "$B" in
	tracepoint) KWAYS="kernel_write kernel_aead kernel_skcipher" ;;
	*) KWAYS="kernel_write" NAMED="kernel_aead kernel_skcipher" ;;
	esac
	kmod_load
fi
# before NAME FILE GO [VAR=VALUE...]: the workload in the background, its
# pipe handed on to a socket before splicewatch starts, the module's write
# once GO exists (VW_HANDOFF_WAIT); waits for the hand-off. after NAME: waits
# for it, its status in NAME_rc (dashes as underscores).
before() {
	n=$1 f=$2 go=$3
	shift 3
	env "$@" VW_DRAIN=socket VW_HANDOFF_WAIT="$go" "$WL" kernel_aead "$f" >"$tmp/$n.wl" 2>&1 &
	v=$(echo "$n" | tr - _)
	eval "${v}_bg=$! ${v}_file=\$f"
	i=0
	while ! grep -q handed_off "$tmp/$n.wl" && [ $i -lt 500 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
after() {
	v=$(echo "$1" | tr - _)
	eval "wait \$${v}_bg; ${v}_rc=\$?; f=\$${v}_file"
	printf "\nfile=%s\n" "$f" >>"$tmp/$1.wl"
}
if [ -n "$NAMED" ]; then
	before unheld-ext4 "$EXT4/unheld" "$tmp/go" VW_NO_WRITERS=1
	before unheld-tmpfs "$TMPFS/unheld" "$tmp/go" VW_NO_WRITERS=1
	before unheld-writable "$TMPFS/unheld-writable" "$tmp/go"
fi
# fentry, where the kernel skips no run (backup hooks off: 6.1, 6.12): the
# plain trace's first copies of the kernel-writer hooks do nothing
# (SPLICEWATCH_TEST_DROP), as if the kernel had skipped every run: what it
# names of the module, their backup copies did (the drop keeps the hooks on
# fentry). Where the kernel does skip runs (7.x), both traces run as users
# do: the kernel writers hooked by kprobe programs, which it cannot skip so.
DROP_FIRST_COPIES=""
if [ "$B" = fentry ] && [ -n "$NAMED" ] &&
	"$SW" features --json 2>/dev/null | grep -qE '"backup_hooks": ?false'; then
	DROP_FIRST_COPIES=1
	export SPLICEWATCH_BACKUP_HOOKS=1 SPLICEWATCH_TEST_DROP=kernel_writers
fi
start plain trace
plain_started=$?
unset SPLICEWATCH_BACKUP_HOOKS SPLICEWATCH_TEST_DROP
if [ "$plain_started" != 0 ] || ! start checked trace --verify -v; then
	echo "1..1"
	echo "not ok start-up"
	for n in plain checked; do
		[ -e "$tmp/$n.err" ] && grep '^splicewatch: ' "$tmp/$n.err" | tail -n 1 | sed 's/^/#   /'
	done
	kill "$plain_pid" "$checked_pid" 2>/dev/null
	touch "$tmp/go"
	wait
	echo "# verify: 0 passed, 1 failed"
	rm -rf "$tmp" "$TMPFS"
	exit 1
fi
if [ -n "$NAMED" ]; then
	touch "$tmp/go"
	for n in unheld-ext4 unheld-tmpfs unheld-writable; do after "$n"; done
fi
for w in $WAYS $KWAYS $NAMED; do
	wl "$w-ext4" "$w" "$EXT4/$w"
	wl "$w-tmpfs" "$w" "$TMPFS/$w"
done
[ -z "$KWAYS" ] || wl kernel_own_page kernel_own_page "$TMPFS/kernel_own_page"
[ -z "$IA32" ] || wl ia32 VW_IA32=1 store "$TMPFS/ia32"
wl uring-fill VW_URING_FILL=1 store "$TMPFS/uring-fill"
wl uring-out VW_DRAIN="uring_splice:$tmp/uring-out.out" store "$EXT4/uring-out"
wl uring-fixed VW_URING_FIXED=1 VW_DRAIN="uring_splice:$tmp/uring-fixed.out" store "$TMPFS/uring-fixed"
[ -z "$NAMED" ] || wl kernel_aead_resplice kernel_aead_resplice "$TMPFS/kernel_aead_resplice"
if [ -n "$NAMED" ]; then
	wl socket-ext4 VW_DRAIN=socket kernel_aead "$EXT4/socket"
	wl socket-tmpfs VW_DRAIN=socket kernel_aead "$TMPFS/socket"
	wl socket-clean VW_DRAIN=socket clean "$TMPFS/socket-clean"
	wl ktls-sendfile ktls_sendfile "$EXT4/ktls-sendfile"
	wl ktls-recv-ext4 ktls_recv "$EXT4/ktls-recv"
	wl ktls-recv-tmpfs ktls_recv "$TMPFS/ktls-recv"
	wl fscrypt-read fscrypt_read "$EXT4/fscrypt/file"
	wl dmcrypt-ext4 dmcrypt_direct "$EXT4/dmcrypt"
	wl dmcrypt-tmpfs dmcrypt_direct "$TMPFS/dmcrypt"
fi
if [ -x /sw/nginx ]; then
	# A page held through the load: the hand-off hooks look at a pipe only
	# while something is held (sendfile's own pipe is no hold).
	"$WL" clean "$TMPFS/nginx-hold" hold 7 >"$tmp/nginx-hold.wl" 2>&1 &
	hold_pid=$!
	NGINX_BIN=/sw/nginx HTTP_LOAD=/sw/http_load sh /sw/nginx-load.sh "$EXT4/nginx" "$TMPFS/nginx" 5 4 \
		>"$tmp/nginx.wl" 2>&1
	nginx_rc=$?
	wait "$hold_pid" || echo "failed: $(cat "$tmp/nginx-hold.wl")" >"$tmp/nginx-hold.wl"
	echo "file=$TMPFS/nginx-hold" >>"$tmp/nginx-hold.wl"
	sed -n 's/^requests=/# nginx: requests=/p' "$tmp/nginx.wl"
fi
wl pwrite pwrite "$TMPFS/pwrite"
wl clean clean "$EXT4/clean"
wl sweep store "$TMPFS/sweep" hold 2.5
for how in $LET_GO; do wl "$how" store "$TMPFS/$how" "$how"; done
stop checked
stop plain
# ci --verify: the tree's change fails the run (the cgroup scope read in
# the verify programs on this kernel); a third load.
"$SW" ci --verify --backend "$B" --report "$tmp/ci.json" -- "$WL" store "$TMPFS/ci" \
	>"$tmp/ci.wl" 2>"$tmp/ci.err"
ci_rc=$?
# enforce --verify: a fourth load (test_enforce_kills says if it did not start).
[ -z "$NAMED" ] || before enf-unheld "$TMPFS/enf-unheld" "$tmp/go-enf" VW_NO_WRITERS=1
start enf enforce --verify
if [ -n "$NAMED" ]; then
	touch "$tmp/go-enf"
	after enf-unheld
fi
VW_DRAIN="splice:$tmp/enf-root.out" "$WL" store "$TMPFS/enf-root" >"$tmp/enf-root.wl" 2>&1
enf_root_rc=$?
printf "\nfile=%s\n" "$TMPFS/enf-root" >>"$tmp/enf-root.wl"
VW_DRAIN="uring_splice:$tmp/enf-uring.out" "$WL" store "$TMPFS/enf-uring" >"$tmp/enf-uring.wl" 2>&1
enf_uring_rc=$?
printf "\nfile=%s\n" "$TMPFS/enf-uring" >>"$tmp/enf-uring.wl"
chmod 711 "$TMPFS"
mkdir "$TMPFS/nobody" && chown 65534:65534 "$TMPFS/nobody"
VW_AS=65534 VW_DRAIN="splice:$tmp/enf-user.out" "$WL" store "$TMPFS/nobody/own" >"$tmp/enf-user.wl" 2>&1
enf_user_rc=$?
printf "\nfile=%s\n" "$TMPFS/nobody/own" >>"$tmp/enf-user.wl"
VW_AS=65534 VW_DRAIN="uring_splice:$tmp/enf-user-uring.out" "$WL" store "$TMPFS/nobody/uring" \
	>"$tmp/enf-user-uring.wl" 2>&1
enf_user_uring_rc=$?
printf "\nfile=%s\n" "$TMPFS/nobody/uring" >>"$tmp/enf-user-uring.wl"
if [ -n "$NAMED" ]; then
	"$WL" kernel_aead "$TMPFS/enf-kaead" >"$tmp/enf-kaead.wl" 2>&1
	enf_kaead_rc=$?
	printf "\nfile=%s\n" "$TMPFS/enf-kaead" >>"$tmp/enf-kaead.wl"
	"$WL" kernel_aead_bh "$TMPFS/enf-kbh" >"$tmp/enf-kbh.wl" 2>&1
	enf_kbh_rc=$?
	printf "\nfile=%s\n" "$TMPFS/enf-kbh" >>"$tmp/enf-kbh.wl"
	VW_DRAIN=socket "$WL" kernel_aead "$TMPFS/enf-ksock" >"$tmp/enf-ksock.wl" 2>&1
	enf_ksock_rc=$?
	printf "\nfile=%s\n" "$TMPFS/enf-ksock" >>"$tmp/enf-ksock.wl"
	VW_HANDOFF_AS=65534 VW_DRAIN=socket "$WL" kernel_aead "$TMPFS/enf-kuser" >"$tmp/enf-kuser.wl" 2>&1
	enf_kuser_rc=$?
	printf "\nfile=%s\n" "$TMPFS/enf-kuser" >>"$tmp/enf-kuser.wl"
	VW_HANDOFF_AS=65534 VW_HANDOFF_TWICE=1 VW_DRAIN=socket "$WL" kernel_aead "$TMPFS/enf-kdrop" \
		>"$tmp/enf-kdrop.wl" 2>&1
	enf_kdrop_rc=$?
	printf "\nfile=%s\n" "$TMPFS/enf-kdrop" >>"$tmp/enf-kdrop.wl"
fi
stop enf

set -f	# the names have brackets: words, not globs
names=""
for w in $WAYS $KWAYS; do names="$names $w-is-caught[ext4] $w-is-caught[tmpfs]"; done
for w in $NAMED; do names="$names $w-is-named[ext4] $w-is-named[tmpfs]"; done
[ -z "$KWAYS" ] || names="$names kernel_own_page-no-record"
[ -z "$IA32" ] || names="$names ia32-splice-and-read-is-caught"
names="$names io_uring-splice-into-pipe-is-caught io_uring-splice-out-of-pipe-is-caught"
names="$names io_uring-splice-of-fixed-files-out-of-pipe-is-caught"
[ -z "$DROP_FIRST_COPIES" ] || names="$names backup-copies-name-kernel-writers-first-copies-skipped"
[ -z "$NAMED" ] || names="$names kernel_aead-on-a-new-hold-is-named-again enforce-kills-kernel-writers-submitter enforce-spares-task-a-softirq-interrupts"
[ -z "$NAMED" ] || names="$names kernel_aead-handed-to-a-socket-is-named[ext4] kernel_aead-handed-to-a-socket-is-named[tmpfs] socket-without-kernel-writer-no-record enforce-kills-submitter-on-handed-off-pages enforce-spares-writer-of-pages-another-user-handed-off enforce-spares-writer-of-pages-handed-off-again-after-setuid"
[ -z "$NAMED" ] || names="$names kernel_aead-with-no-hold-known-is-named[ext4] kernel_aead-with-no-hold-known-is-named[tmpfs] no-hold-known-file-open-for-writing-no-record enforce-spares-writer-when-no-hold-known"
[ -z "$NAMED" ] || names="$names ktls-sendfile-of-file-nobody-writes-no-record ktls-recv-into-shared-mapping-no-record[ext4] ktls-recv-into-shared-mapping-no-record[tmpfs]"
[ -z "$NAMED" ] || names="$names fscrypt-decrypting-a-read-no-record dmcrypt-direct-read-into-shared-mapping-no-record[ext4] dmcrypt-direct-read-into-shared-mapping-no-record[tmpfs]"
[ ! -x /sw/nginx ] || names="$names nginx-sendfile-under-load-no-record"
# shellcheck disable=SC2086
planned=$(for n in $names reported-write-is-explained unchanged-bytes-no-record \
	sweep-finds-change-in-unread-pipe $(for h in $LET_GO; do echo "$h-finds-change-in-unread-pipe"; done) \
	both-exit-0-with-summary \
	ci-verify-fails-on-trees-change enforce-verify-kills-reader-before-splice-out \
	enforce-verify-kills-reader-of-io_uring-splice enforce-verify-spares-reader-of-users-own-file \
	enforce-verify-spares-io_uring-reader-of-users-own-file; do
	case "$n" in $GLOB) echo "$n" ;; esac; done | wc -l)
echo "1..$planned"
for w in $WAYS; do
	t "$w-is-caught[ext4]" caught "$w-ext4"
	t "$w-is-caught[tmpfs]" caught "$w-tmpfs"
done
for w in $KWAYS; do
	t "$w-is-caught[ext4]" kcaught "$w-ext4"
	t "$w-is-caught[tmpfs]" kcaught "$w-tmpfs"
done
for w in $NAMED; do
	op=crypto_${w#kernel_}_encrypt
	t "$w-is-named[ext4]" named "$w-ext4" "$op"
	t "$w-is-named[tmpfs]" named "$w-tmpfs" "$op"
done
[ -z "$DROP_FIRST_COPIES" ] || t backup-copies-name-kernel-writers-first-copies-skipped test_backup_copies_named
[ -z "$NAMED" ] || t kernel_aead-on-a-new-hold-is-named-again test_new_hold_named_again
if [ -n "$NAMED" ]; then
	t "kernel_aead-handed-to-a-socket-is-named[ext4]" handed socket-ext4
	t "kernel_aead-handed-to-a-socket-is-named[tmpfs]" handed socket-tmpfs
	t socket-without-kernel-writer-no-record test_socket_clean
	t "kernel_aead-with-no-hold-known-is-named[ext4]" unheld unheld-ext4
	t "kernel_aead-with-no-hold-known-is-named[tmpfs]" unheld unheld-tmpfs
	t no-hold-known-file-open-for-writing-no-record test_unheld_writable_no_record
	t ktls-sendfile-of-file-nobody-writes-no-record crypto_no_record ktls-sendfile encrypted
	t "ktls-recv-into-shared-mapping-no-record[ext4]" crypto_no_record ktls-recv-ext4 changed
	t "ktls-recv-into-shared-mapping-no-record[tmpfs]" crypto_no_record ktls-recv-tmpfs changed
	t fscrypt-decrypting-a-read-no-record crypto_no_record fscrypt-read original
	t "dmcrypt-direct-read-into-shared-mapping-no-record[ext4]" crypto_no_record dmcrypt-ext4 changed
	t "dmcrypt-direct-read-into-shared-mapping-no-record[tmpfs]" crypto_no_record dmcrypt-tmpfs changed
fi
[ -z "$KWAYS" ] || t kernel_own_page-no-record test_kernel_own_page
[ -z "$IA32" ] || t ia32-splice-and-read-is-caught caught ia32
t io_uring-splice-into-pipe-is-caught caught uring-fill
t io_uring-splice-out-of-pipe-is-caught caught uring-out
t io_uring-splice-of-fixed-files-out-of-pipe-is-caught caught uring-fixed
[ ! -x /sw/nginx ] || t nginx-sendfile-under-load-no-record test_nginx
t reported-write-is-explained test_explained
t unchanged-bytes-no-record test_unchanged
t sweep-finds-change-in-unread-pipe test_sweep
for how in $LET_GO; do t "$how-finds-change-in-unread-pipe" test_release "$how"; done
t both-exit-0-with-summary test_summary
t ci-verify-fails-on-trees-change test_ci
t enforce-verify-kills-reader-before-splice-out test_enforce_kills
t enforce-verify-kills-reader-of-io_uring-splice test_enforce_kills_io_uring_reader
t enforce-verify-spares-reader-of-users-own-file test_enforce_spares
t enforce-verify-spares-io_uring-reader-of-users-own-file test_enforce_spares_io_uring
if [ -n "$NAMED" ]; then
	t enforce-kills-kernel-writers-submitter test_enforce_kills_submitter
	t enforce-spares-task-a-softirq-interrupts test_enforce_spares_softirq
	t enforce-kills-submitter-on-handed-off-pages test_enforce_kills_handed_off
	t enforce-spares-writer-of-pages-another-user-handed-off test_enforce_spares_writer_of_users_handoff
	t enforce-spares-writer-of-pages-handed-off-again-after-setuid test_enforce_spares_writer_of_handoff_after_setuid
	t enforce-spares-writer-when-no-hold-known test_enforce_spares_writer_no_hold_known
fi
set +f
rm -rf "$tmp" "$TMPFS"
echo "# verify: $passed passed, $failed failed"
if [ $((passed + failed)) != "$planned" ]; then
	echo "# planned $planned tests, ran $((passed + failed))"
	exit 1
fi
[ "$failed" = 0 ]
