#!/usr/bin/env bash
# Daemon behaviour (issue 19; docs/operations.md): output files opened safely
# (planted symbolic links, FIFOs, modes, appending, ci's reports), SIGHUP
# (reopen the output, reload the policy, programs attached throughout), the
# output's reader gone or its filesystem full (the true error, shown =
# delivered; trace and stats alike), lost records said in-band, and stats/top
# escaping what processes name themselves. Attacks run as uid 65534.
# Prints TAP; exits 1 if a test failed, 2 if it cannot run.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
ROOT=$PWD
SW=$ROOT/splicewatch
WL=$ROOT/tests/build/reliability_workload
BG_SIGNAL=KILL
suite_setup daemon tests/build/reliability_workload
# uid 65534 walks into $tmp/NAME/nobody
chmod 755 "$tmp"
NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups --)

# summary FILE: "detected shown lost" from the summary line.
summary() {
	sed -nE 's/^splicewatch: ([0-9]+) unsafe writes detected, ([0-9]+) shown, ([0-9]+) lost records.*/\1 \2 \3/p' "$1" | tail -1
}

# nobody_dir: $d/nobody, a directory uid 65534 owns (as /tmp/something of theirs).
nobody_dir() {
	chmod 755 "$d"
	mkdir -p "$d/nobody"
	chown 65534:65534 "$d/nobody"
}

# unsafe FILE N [COMM]: N unsafe writes into FILE (made as needed).
unsafe() {
	"$WL" unsafe "$@" >/dev/null 2>"$d/wl.err" || fail "workload: $(cat "$d/wl.err")"
}

# refused ERRFILE PATTERN ARGS...: `splicewatch ARGS` must exit 2 before it
# starts watching (its output refused), saying PATTERN; one that starts is
# stopped and fails, one that neither exits nor starts in 60 s (a hang) too.
refused() {
	local err=$1 pat=$2 p i
	shift 2
	"$SW" "$@" >/dev/null 2>"$err" &
	p=$!
	bg+=("$p")
	for ((i = 0; i < 600; i++)); do
		kill -0 "$p" 2>/dev/null || break
		if grep -q 'Ctrl-C to stop' "$err"; then
			kill -INT "$p"
			wait "$p"
			fail "splicewatch $* started, its output accepted" || return
		fi
		sleep 0.1
	done
	kill -0 "$p" 2>/dev/null && { kill -KILL "$p"; wait "$p"; fail "splicewatch $* hung: $(tail -1 "$err")"; return; }
	wait "$p"
	src=$?
	[ "$src" = 2 ] && grep -q -- "$pat" "$err" || fail "splicewatch $*: exit $src: $(tail -1 "$err")"
}

# stop_by_err ERRFILE RCFILE: SIGINT to the splicewatch whose stderr is
# ERRFILE (one this suite started, found by that open file), then until its
# pipeline wrote RCFILE.
stop_by_err() {
	local p
	for p in $(pgrep -x splicewatch); do
		[ "$(readlink "/proc/$p/fd/2")" = "$1" ] && kill -INT "$p"
	done
	wait_for "$2" 10
}

# wait_exit PID SECONDS: until PID is gone (status in $src), else fail.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			src=$?
			return 0
		fi
		sleep 0.1
	done
	fail "still running after $2 s"
}

# ---- output files ----------------------------------------------------------------

# nobody plants a link to a root 0600 file where root will write its events:
# the link in its own directory as the last component, and as a directory on
# the way. Nothing is written through either; the file is intact.
test_planted_symlinks() {
	local sum
	nobody_dir
	mkdir -m 700 "$d/rootdir"
	printf 'root secret\n' >"$d/rootdir/secret"
	chmod 600 "$d/rootdir/secret"
	sum=$(sha256sum <"$d/rootdir/secret")
	"${NOBODY[@]}" ln -s "$d/rootdir/secret" "$d/nobody/events.json" || fail "ln as nobody" || return
	"${NOBODY[@]}" ln -s "$d/rootdir" "$d/nobody/logs" || fail "ln as nobody" || return
	refused "$d/a.err" "is a symbolic link" trace --json -o "$d/nobody/events.json"
	refused "$d/b.err" "refusing to follow the symbolic link 'logs'" trace --json -o "$d/nobody/logs/secret"
	[ -z "$why" ] || return 1
	[ "$(sha256sum <"$d/rootdir/secret")" = "$sum" ] && [ "$(stat -c %a "$d/rootdir/secret")" = 600 ] ||
		fail "the root file changed: $(stat -c '%a %s' "$d/rootdir/secret")" || return
	# The same link in a directory only root can change is followed.
	ln -s "$d/rootdir" "$d/rootlink"
	spawn_sw ok trace --json -o "$d/rootlink/events.json" || return
	end_sw "$swpid"
	[ "$src" = 0 ] && [ -f "$d/rootdir/events.json" ] || fail "a root-owned link: exit $src: $(tail -1 "$d/ok.err")"
}

# A FIFO without a reader is refused at once (never a hang); with one, it is
# written to.
test_fifo() {
	local rpid
	nobody_dir
	"${NOBODY[@]}" mkfifo "$d/nobody/fifo" || fail "mkfifo as nobody" || return
	refused "$d/a.err" "is a FIFO with no reader" trace -o "$d/nobody/fifo" || return
	cat "$d/nobody/fifo" >"$d/read.json" &
	rpid=$!
	bg+=("$rpid")
	spawn_sw sw trace --json -o "$d/nobody/fifo" || return
	unsafe "$d/data" 1 || return
	sleep 0.3
	end_sw "$swpid"
	wait "$rpid"
	[ "$src" = 0 ] && grep -qF "\"path\":\"$d/data\"" "$d/read.json" ||
		fail "with a reader: exit $src, read: $(head -c 200 "$d/read.json")"
}

# New files are 0600; an existing one is appended to, not truncated; a
# directory, a device or a file with another hard link is refused.
test_modes_and_append() {
	umask 022
	spawn_sw new trace --json -o "$d/new.json" || return
	end_sw "$swpid"
	[ "$(stat -c %a "$d/new.json")" = 600 ] || fail "new file mode $(stat -c %a "$d/new.json")" || return
	printf 'KEEP\n' >"$d/old.json"
	spawn_sw old trace --json -o "$d/old.json" || return
	unsafe "$d/data" 2 || return
	sleep 0.3
	end_sw "$swpid"
	[ "$(head -1 "$d/old.json")" = KEEP ] && [ "$(grep -c '"unsafe_write"' "$d/old.json")" = 2 ] ||
		fail "not appended: $(head -c 200 "$d/old.json")" || return
	ln "$d/old.json" "$d/hardlink.json"
	refused "$d/h.err" "other hard links" trace -o "$d/hardlink.json" || return
	refused "$d/n.err" "character device" trace -o /dev/null || return
	refused "$d/dir.err" "is a directory" trace -o "$d"
}

# ci's reports: after the load, refused through a planted link (COMMAND does
# not run), else replaced whole, mode 0600.
test_ci_reports() {
	nobody_dir
	printf 'root secret\n' >"$d/secret"
	chmod 600 "$d/secret"
	"${NOBODY[@]}" ln -s "$d/secret" "$d/nobody/r.json" || fail "ln as nobody" || return
	"$SW" ci --report "$d/nobody/r.json" -- touch "$d/marker" 2>"$d/a.err"
	src=$?
	[ "$src" = 2 ] && [ ! -e "$d/marker" ] && [ "$(cat "$d/secret")" = "root secret" ] ||
		fail "planted link: exit $src, COMMAND ran: $([ -e "$d/marker" ] && echo yes), $(tail -1 "$d/a.err")" || return
	printf 'old report, longer than the new one will be %0500d\n' 0 >"$d/r.json"
	chmod 644 "$d/r.json"
	"$SW" ci --quiet --report "$d/r.json" --junit "$d/j.xml" -- true 2>"$d/b.err"
	src=$?
	[ "$src" = 0 ] || fail "ci exit $src: $(tail -1 "$d/b.err")" || return
	"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$d/r.json" 2>"$d/py.err" ||
		fail "report not replaced whole: $(tail -1 "$d/py.err")" || return
	[ "$(stat -c %a "$d/r.json") $(stat -c %a "$d/j.xml")" = "600 600" ] ||
		fail "modes $(stat -c %a "$d/r.json") $(stat -c %a "$d/j.xml")" || return
	local left
	left=$(find "$d" -maxdepth 1 -name '.splicewatch-*')
	[ -z "$left" ] || fail "a temporary file was left: $left"
}

# ---- SIGHUP ------------------------------------------------------------------------

# ci has nothing to reopen: SIGHUP goes to COMMAND as SIGTERM does, and the
# report is written once COMMAND has exited (not a dead ci, its cgroup left).
test_ci_sighup() {
	local pid cmd
	# shellcheck disable=SC2016 # COMMAND's own script
	"$SW" ci --report "$d/r.json" -- sh -c 'trap "touch $2; exit 0" HUP; echo $$ >"$1.tmp"
		mv "$1.tmp" "$1"; while :; do sleep 0.05; done' sh "$d/ready" "$d/marker" 2>"$d/err" &
	pid=$!
	bg+=("$pid")
	wait_for "$d/ready" 60 || fail "COMMAND never started: $(tail -1 "$d/err")" || return
	cmd=$(cat "$d/ready")
	kill -HUP "$pid"
	wait "$pid"
	src=$?
	# A ci that died leaves COMMAND running (holding the suite's lock fd too)
	# and its cgroup.
	kill -KILL "$cmd" 2>/dev/null
	sleep 0.1
	rmdir /sys/fs/cgroup/splicewatch-ci."$pid" /sys/fs/cgroup/unified/splicewatch-ci."$pid" 2>/dev/null
	[ -e "$d/marker" ] && [ "$src" = 0 ] || fail "exit $src, COMMAND got SIGHUP: $([ -e "$d/marker" ] && echo yes || echo no)" || return
	"$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["command_exit_status"] == 0' "$d/r.json" 2>"$d/py.err" ||
		fail "report: $(tail -1 "$d/py.err")"
}

# After mv of the -o file, SIGHUP: new events go to a new file at the path,
# the process lives, and its programs are the same (never detached).
test_sighup_reopens() {
	local ids
	spawn_sw sw trace --json -o "$d/ev.json" || return
	ids=$(bpf_ids "$swpid")
	unsafe "$d/data" 1 || return
	sleep 0.3
	mv "$d/ev.json" "$d/ev.json.1"
	kill -HUP "$swpid"
	wait_for "$d/ev.json" 5 || fail "no new file after SIGHUP: $(tail -2 "$d/sw.err")" || return
	unsafe "$d/data" 2 || return
	sleep 0.3
	kill -0 "$swpid" 2>/dev/null || fail "SIGHUP killed it" || return
	[ "$(bpf_ids "$swpid")" = "$ids" ] || fail "programs changed: $ids -> $(bpf_ids "$swpid")" || return
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "exit $src" || return
	[ "$(grep -c '"unsafe_write"' "$d/ev.json.1") $(grep -c '"unsafe_write"' "$d/ev.json")" = "1 2" ] ||
		fail "events old/new: $(grep -c '"unsafe_write"' "$d/ev.json.1")/$(grep -c '"unsafe_write"' "$d/ev.json")" || return
	[ "$(stat -c %a "$d/ev.json")" = 600 ] || fail "reopened file mode $(stat -c %a "$d/ev.json")"
}

# enforce --policy: SIGHUP puts the file's new allowlist in force with the
# programs attached; a malformed file, or one changing a load-time setting,
# is refused and the policy in force stays.
test_sighup_reloads_policy() {
	local ids acts
	printf 'version: 1\ndry_run: true\nallow:\n  comms: [rw-allowme]\n' >"$d/p.yaml"
	spawn_sw sw enforce --policy "$d/p.yaml" --json -o "$d/ev.json" || return
	ids=$(bpf_ids "$swpid")
	unsafe "$d/data" 1 rw-allowme || return
	printf 'version: 1\ndry_run: true\nallow:\n  comms: [rw-other]\n' >"$d/p.yaml"
	kill -HUP "$swpid"
	for _ in $(seq 50); do grep -q "policy '.*' reloaded" "$d/sw.err" && break; sleep 0.1; done
	unsafe "$d/data" 1 rw-allowme || return
	printf 'version: 1\ndry_run: true\nallow:\n  comms: [rw-allowme]\nbogus: 1\n' >"$d/p.yaml"
	kill -HUP "$swpid"
	for _ in $(seq 50); do grep -q "rejected; the policy in force stays" "$d/sw.err" && break; sleep 0.1; done
	unsafe "$d/data" 1 rw-allowme || return
	printf 'version: 1\ndry_run: false\nallow:\n  comms: [rw-allowme]\n' >"$d/p.yaml"
	kill -HUP "$swpid"
	for _ in $(seq 50); do grep -q 'changes "dry_run"' "$d/sw.err" && break; sleep 0.1; done
	unsafe "$d/data" 1 rw-allowme || return
	printf 'version: 1\ndry_run: true\non_untracked: kill\nallow:\n  comms: [rw-allowme]\n' >"$d/p.yaml"
	kill -HUP "$swpid"
	for _ in $(seq 50); do grep -q 'changes "on_untracked"' "$d/sw.err" && break; sleep 0.1; done
	unsafe "$d/data" 1 rw-allowme || return
	sleep 0.3
	[ "$(bpf_ids "$swpid")" = "$ids" ] || fail "programs changed: $ids -> $(bpf_ids "$swpid")" || return
	end_sw "$swpid"
	acts=$(grep -o '"action":"[a-z_]*"' "$d/ev.json" | cut -d'"' -f4 | tr '\n' ' ')
	[ "$acts" = "allowed would_kill would_kill would_kill would_kill " ] ||
		fail "actions: '$acts' (want allowed, then would_kill four times): $(grep SIGHUP "$d/sw.err" | tr '\n' ' ')"
}

# ---- the output's reader gone, its filesystem full ----------------------------------

# `trace --json | head -1`: once head has its line and exits, trace ends at
# once with EPIPE, exit 1, and shows what was delivered.
test_epipe_head() {
	local start
	( "$SW" trace --json 2>"$d/sw.err"; echo "$?" >"$d/rc" ) | head -1 >"$d/head.out" &
	bg+=($!)
	for _ in $(seq 1500); do grep -q 'Ctrl-C to stop' "$d/sw.err" 2>/dev/null && break; sleep 0.02; done
	unsafe "$d/data" 1 || return
	start=$SECONDS
	wait_for "$d/rc" 10 || { stop_by_err "$d/sw.err" "$d/rc"; fail "trace still running 10 s after head exited"; return; }
	sleep 0.1
	read -r det shown lost <<<"$(summary "$d/sw.err")"
	[ "$(cat "$d/rc")" = 1 ] && grep -q "writing the output failed: Broken pipe" "$d/sw.err" ||
		fail "exit $(cat "$d/rc"): $(grep -v Ctrl-C "$d/sw.err" | head -2)" || return
	[ "${shown:-}" = 1 ] && [ "$(wc -l <"$d/head.out")" = 1 ] ||
		fail "shown ${shown:-?}, head got $(wc -l <"$d/head.out")" || return
	echo "# figure: trace ended $((SECONDS - start)) s after head exited; detected $det, shown $shown"
}

# The reader gone before anything is written: trace and stats both end at
# once, with EPIPE, not at their next write (stats: 30 s away).
test_epipe_no_write() {
	local c
	# In the background: one that never notices must not hang the suite.
	( "$SW" trace --json 2>"$d/t.err"; echo "$?" >"$d/t.rc" ) | true &
	( "$SW" stats --json --interval 30 2>"$d/s.err"; echo "$?" >"$d/s.rc" ) | true &
	for c in t s; do
		if ! wait_for "$d/$c.rc" 25; then
			stop_by_err "$d/$c.err" "$d/$c.rc"
			fail "$c: still running 25 s after its reader had gone" || return
		fi
	done
	for c in t s; do
		[ "$(cat "$d/$c.rc")" = 1 ] && grep -q "writing the output failed: Broken pipe" "$d/$c.err" ||
			fail "$c: exit $(cat "$d/$c.rc"): $(tail -2 "$d/$c.err")" || return
	done
	read -r det shown lost <<<"$(summary "$d/t.err")"
	[ "${shown:-}" = 0 ] || fail "trace: shown ${shown:-?} with nothing delivered"
}

# -o on a filesystem that fills: trace ends with ENOSPC, exit 1, and "shown"
# is the number of complete lines in the file.
test_enospc() {
	local lines
	mkdir "$d/mnt"
	mount -t tmpfs -o size=64k tmpfs "$d/mnt" || { why="cannot mount a tmpfs"; return 77; }
	spawn_sw sw trace --json -o "$d/mnt/ev.json" || { umount "$d/mnt"; return 1; }
	unsafe "$d/data" 2000
	wait_exit "$swpid" 20 || { umount "$d/mnt"; return 1; }
	read -r det shown lost <<<"$(summary "$d/sw.err")"
	lines=$(wc -l <"$d/mnt/ev.json")
	umount "$d/mnt"
	echo "# figure: ENOSPC at $lines lines; detected $det, shown $shown, lost $lost"
	[ "$src" = 1 ] && grep -q "writing the output failed: No space left on device" "$d/sw.err" ||
		fail "exit $src: $(tail -2 "$d/sw.err")" || return
	[ "${shown:-}" = "$lines" ] || fail "shown ${shown:-?}, complete lines in the file $lines" || return
	[ "$det" -gt "$shown" ] || fail "detected $det, shown $shown: the file never filled"
}

# ---- lost records ------------------------------------------------------------------

# A 16 KiB ring overflowed while trace is stopped: the lost records are said
# in-band (JSON lines and text warnings), and they add up to the summary's.
test_lost_in_band() {
	local mode inband
	for mode in json text; do
		if [ "$mode" = json ]; then
			spawn_sw "$mode" trace --ringbuf-kib 16 --json -o "$d/ev.json" || return
		else
			spawn_sw "$mode" trace --ringbuf-kib 16 -o "$d/ev.txt" || return
		fi
		kill -STOP "$swpid"
		"$WL" unsafe "$d/burst" 3000 >/dev/null 2>&1
		kill -CONT "$swpid"
		sleep 1.5
		# Said as it happens, not only at the end.
		if [ "$mode" = json ]; then
			grep -q '"event":"lost"' "$d/ev.json"
		else
			grep -q 'ring buffer records lost' "$d/$mode.err"
		fi || fail "$mode: no lost record said while running" || return
		end_sw "$swpid"
		read -r det shown lost <<<"$(summary "$d/$mode.err")"
		if [ "$mode" = json ]; then
			inband=$("$PY" -c 'import json,sys
n = 0
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["event"] == "lost":
        assert set(o) == {"ts_ns", "time_ns", "time", "node", "event", "records"}, o
        n += o["records"]
print(n)' "$d/ev.json") || fail "bad lost line" || return
		else
			inband=$(sed -nE 's/^splicewatch: warning: ([0-9]+) ring buffer records lost.*/\1/p' "$d/$mode.err" |
				awk '{ n += $1 } END { print n + 0 }')
		fi
		echo "# figure: $mode: detected $det, shown $shown, lost $lost, lost in-band $inband"
		[ "${lost:-0}" -gt 0 ] || fail "$mode: nothing lost" || return
		[ "$inband" = "$lost" ] || fail "$mode: in-band $inband, summary $lost" || return
		[ "$det" = "$((shown + lost))" ] || fail "$mode: detected $det != shown $shown + lost $lost" || return
	done
}

# ---- stats and top: what processes name themselves ------------------------------

# A process named ESC [ 2 J splices a file named with it: stats and top print
# both escaped, never the bytes.
test_stats_top_escape() {
	local c f=$d/data$'\x1b[2J'
	for c in stats top; do
		spawn_sw "$c" "$c" --interval 0.5 --count 4 || return
		unsafe "$f" 1 $'\x1b[2J' || return
		wait_exit "$swpid" 20 || return
		[ "$src" = 0 ] || fail "$c exit $src: $(tail -1 "$d/$c.err")" || return
		grep -qF '[2J' "$d/$c.out" || fail "$c: the process is not in its output: $(head -c 300 "$d/$c.out")" || return
		! grep -q $'\x1b' "$d/$c.out" || fail "$c printed an ESC byte" || return
		grep -qF "data\\x1b[2J" "$d/$c.out" || fail "$c: the file is not shown escaped" || return
	done
}

T outfile_planted_symlinks_leave_root_file_intact test_planted_symlinks
T outfile_fifo_without_reader_refused_not_hung test_fifo
T outfile_new_0600_existing_appended_others_refused test_modes_and_append
T ci_reports_safe_atomic_0600 test_ci_reports
T ci_sighup_forwarded_report_written test_ci_sighup
T sighup_reopens_output_programs_attached test_sighup_reopens
T sighup_reloads_policy_lists_only test_sighup_reloads_policy
T epipe_head_ends_run_shown_delivered test_epipe_head
T epipe_before_any_write_trace_and_stats test_epipe_no_write
T enospc_ends_run_shown_is_lines test_enospc
T lost_records_in_band_add_up test_lost_in_band
T stats_top_escape_comm_and_path test_stats_top_escape
run_tests
