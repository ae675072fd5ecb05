#!/usr/bin/env bash
# The service integration that needs no systemd (issue 19; the rest, under a
# real systemd, is tests/vm/systemd-boot.sh): the sd_notify messages
# (NOTIFY_SOCKET: READY=1 only once every program is attached, RELOADING=1
# then READY=1 around a SIGHUP, STOPPING=1 at the end), the --journal output
# (its datagrams on a journal socket of our own, in a private mount namespace:
# SPLICEWATCH_* fields exactly the event's JSON, PRIORITY by action), its
# syslog fallback where there is no journal socket, and the output settings of
# the one config file (output:, format: in the --policy file); enforce
# --verify's unexplained_change to the journal (err when its reader was killed).
# Prints TAP; exits 1 if a test failed, 2 if it cannot run.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
ROOT=$PWD
SW=$ROOT/splicewatch
WL=$ROOT/tests/build/reliability_workload
SOCK=$ROOT/tests/sd_socket.py
BG_SIGNAL=KILL
suite_setup service tests/build/reliability_workload
VWL=tests/build/verify_workload
[ -x "$VWL" ] && [ "$VWL" -nt tests/verify_workload.c ] || make -s "$VWL" >&2 || exit 2
VWL=$ROOT/$VWL
# What tests/sd_socket.py received (journal fields, sd_notify) is JSON of
# its own, not splicewatch's records: the schema check leaves it out.
json_not_records=(msgs '*/msgs')

# listen PATH OUT: tests/sd_socket.py on PATH in the background until bound.
listen() {
	rm -f "$2.bound"
	"$PY" "$SOCK" "$1" "$2" "$2.bound" &
	bg+=("$!")
	wait_for "$2.bound" 10 || fail "sd_socket.py did not bind $1"
}

# field FILE N KEY: field KEY of record N (1-based) of an sd_socket.py OUT.
field() {
	"$PY" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(r[int(sys.argv[2])-1]["fields"].get(sys.argv[3], "<none>"))' "$@"
}

# wait_records FILE N SECONDS: until FILE holds N records.
wait_records() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# One trace run with NOTIFY_SOCKET, read by the notify tests: READY, then a
# SIGHUP, then SIGTERM.
NOTIFY_DIR=$tmp/notify-run
notify_run() {
	[ -f "$NOTIFY_DIR/done" ] && return 0
	mkdir -p "$NOTIFY_DIR"
	local n=$NOTIFY_DIR p
	listen "$n/notify.sock" "$n/msgs" || return
	NOTIFY_SOCKET=$n/notify.sock "$SW" trace -o "$n/ev" 2>"$n/err" &
	p=$!
	bg+=("$p")
	wait_records "$n/msgs" 2 300 || { fail "no STATUS and READY=1 within 300 s: $(tail -2 "$n/err")"; return; }
	# What the process holds once settled, to compare with READY's moment.
	sleep 1
	bpf_ids "$p" | tr ' ' '\n' | sed -n 's/^prog_id://p' | sort -n | tr '\n' ' ' >"$n/progs_settled"
	kill -HUP "$p"
	wait_records "$n/msgs" 4 30 || { fail "no RELOADING=1 and READY=1 after SIGHUP"; return; }
	kill -TERM "$p"
	wait "$p"
	echo $? >"$n/rc"
	wait_records "$n/msgs" 5 10
	touch "$n/done"
}

test_ready_only_when_attached() {
	notify_run || return
	local n=$NOTIFY_DIR at settled
	case "$(field "$n/msgs" 1 STATUS)" in
	"tracing unsafe writes (backend: "*")") ;;
	*) fail "first message not STATUS=tracing...: $(sed -n 1p "$n/msgs")"; return ;;
	esac
	[ "$(field "$n/msgs" 2 READY)" = 1 ] || fail "second message not READY=1: $(sed -n 2p "$n/msgs")" || return
	at=$("$PY" -c 'import json,sys; print(*json.loads(open(sys.argv[1]).readlines()[1])["progs"], end=" ")' "$n/msgs")
	settled=$(cat "$n/progs_settled")
	[ -n "$settled" ] || fail "splicewatch holds no program once running" || return
	[ "$at" = "$settled" ] || fail "READY=1 came with programs [$at] held, [$settled] once settled"
}

test_reload_notifies() {
	notify_run || return
	local n=$NOTIFY_DIR
	[ "$(field "$n/msgs" 3 RELOADING)" = 1 ] || fail "after SIGHUP: $(sed -n 3p "$n/msgs")" || return
	[[ "$(field "$n/msgs" 3 MONOTONIC_USEC)" =~ ^[0-9]+$ ]] || fail "RELOADING=1 without MONOTONIC_USEC" || return
	[ "$(field "$n/msgs" 4 READY)" = 1 ] || fail "after the reload: $(sed -n 4p "$n/msgs")"
}

test_stop_notifies() {
	notify_run || return
	local n=$NOTIFY_DIR
	[ "$(cat "$n/rc")" = 0 ] || fail "exit status $(cat "$n/rc") after SIGTERM" || return
	[ "$(field "$n/msgs" 5 STOPPING)" = 1 ] || fail "at the end: $(sed -n 5p "$n/msgs")" || return
	[ "$(wc -l <"$n/msgs")" = 5 ] || fail "$(wc -l <"$n/msgs") messages, want 5"
}

# in_ns SCRIPT [_ ARGS...]: bash -c SCRIPT _ ARGS in a private mount namespace (the journal and
# syslog sockets of the test are there only). Variables: d SW WL PY SOCK.
in_ns() {
	d=$d SW=$SW WL=$WL VWL=$VWL PY=$PY SOCK=$SOCK JW=${JW:-} unshare -m --propagation private bash -c "$@"
}

# journal_run ARGS...: in a namespace whose /run/systemd/journal/socket is
# ours, `splicewatch ARGS --journal` while one unsafe write happens (JW=store:
# a store into held bytes, drained by splice: tests/verify_workload.c); the
# datagrams in $d/msgs, stderr in $d/err, the workload's status in $d/wl.rc.
journal_run() {
	in_ns '
		mount -t tmpfs tmpfs /run/systemd || exit 1
		mkdir -p /run/systemd/journal
		"$PY" "$SOCK" /run/systemd/journal/socket "$d/msgs" "$d/bound" & lp=$!
		for i in $(seq 100); do [ -e "$d/bound" ] && break; sleep 0.1; done
		"$SW" "$@" --journal 2>"$d/err" & p=$!
		for i in $(seq 3000); do grep -q "Ctrl-C to stop" "$d/err" && break; kill -0 $p || break; sleep 0.1; done
		if [ -n "$JW" ]; then
			{ VW_DRAIN="splice:$d/out" "$VWL" "$JW" "$d/file" >/dev/null 2>"$d/wl.err"; echo $? >"$d/wl.rc"; } 2>/dev/null
		else
			{ "$WL" unsafe "$d/file" 1 >/dev/null 2>"$d/wl.err"; echo $? >"$d/wl.rc"; } 2>/dev/null
		fi
		for i in $(seq 100); do [ -s "$d/msgs" ] && break; sleep 0.1; done
		kill -INT $p; wait $p; echo $? >"$d/rc"
		kill $lp
	' _ "$@"
}

# json_fields_exact FILE N: record N's SPLICEWATCH_* fields are exactly the
# keys of the JSON object its MESSAGE holds, upper-cased, with the same values.
json_fields_exact() {
	"$PY" - "$1" "$2" <<'PYEOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]) - 1]["fields"]
ev = json.loads(r["MESSAGE"])
def text(v):
    return "true" if v is True else "false" if v is False else "null" if v is None else str(v)
want = {"SPLICEWATCH_" + k.upper(): text(v) for k, v in ev.items()}
got = {k: v for k, v in r.items() if k.startswith("SPLICEWATCH_")}
if want != got:
    print("fields differ: missing %s, extra %s, different %s" % (
        sorted(set(want) - set(got)), sorted(set(got) - set(want)),
        sorted(k for k in want if k in got and want[k] != got[k])))
    sys.exit(1)
PYEOF
}

test_journal_fields() {
	journal_run trace --json || { fail "namespace setup failed"; return; }
	[ "$(cat "$d/rc")" = 0 ] || fail "trace --journal exited $(cat "$d/rc"): $(tail -2 "$d/err")" || return
	[ "$(wc -l <"$d/msgs")" = 1 ] || fail "$(wc -l <"$d/msgs") journal datagrams, want 1" || return
	why=$(json_fields_exact "$d/msgs" 1) || { fail "$why"; return; }
	[ "$(field "$d/msgs" 1 SPLICEWATCH_EVENT)" = unsafe_write ] &&
		[ "$(field "$d/msgs" 1 SPLICEWATCH_PATH)" = "$d/file" ] &&
		[ "$(field "$d/msgs" 1 SPLICEWATCH_ACTION)" = reported ] ||
		fail "not the unsafe write into $d/file: $(head -c 300 "$d/msgs")" || return
	[ "$(field "$d/msgs" 1 PRIORITY)" = 4 ] || fail "PRIORITY $(field "$d/msgs" 1 PRIORITY) for a report, want 4 (warning)" || return
	[ "$(field "$d/msgs" 1 SYSLOG_IDENTIFIER)" = splicewatch ] || fail "SYSLOG_IDENTIFIER $(field "$d/msgs" 1 SYSLOG_IDENTIFIER)" || return
	grep -q 'unsafe writes detected, 1 shown' "$d/err" || fail "summary: $(grep detected "$d/err")"
}

test_journal_text_message_killed_is_err() {
	journal_run enforce || { fail "namespace setup failed"; return; }
	[ "$(cat "$d/wl.rc")" = 137 ] || fail "the writer was not killed (status $(cat "$d/wl.rc"))" || return
	[ "$(wc -l <"$d/msgs")" = 1 ] || fail "$(wc -l <"$d/msgs") journal datagrams, want 1" || return
	[ "$(field "$d/msgs" 1 SPLICEWATCH_ACTION)" = killed ] || fail "action $(field "$d/msgs" 1 SPLICEWATCH_ACTION)" || return
	[ "$(field "$d/msgs" 1 PRIORITY)" = 3 ] || fail "PRIORITY $(field "$d/msgs" 1 PRIORITY) for a kill, want 3 (err)" || return
	# Text: MESSAGE is trace's line (no header), ending with the path.
	case "$(field "$d/msgs" 1 MESSAGE)" in
	*" pwrite"*" killed "*" $d/file") ;;
	*) fail "MESSAGE is not the text line: $(field "$d/msgs" 1 MESSAGE)" ;;
	esac
}

# enforce --verify: the change its reader was killed for, fields exactly
# its JSON, at err.
test_journal_verify_change() {
	JW=store journal_run enforce --verify --json || { fail "namespace setup failed"; return; }
	[ "$(cat "$d/rc")" = 0 ] || fail "enforce --verify --journal exited $(cat "$d/rc"): $(tail -2 "$d/err")" || return
	[ "$(cat "$d/wl.rc")" = 137 ] || fail "the reader was not killed (status $(cat "$d/wl.rc"))" || return
	[ "$(wc -l <"$d/msgs")" = 1 ] || fail "$(wc -l <"$d/msgs") journal datagrams, want 1" || return
	why=$(json_fields_exact "$d/msgs" 1) || { fail "$why"; return; }
	[ "$(field "$d/msgs" 1 SPLICEWATCH_EVENT)" = unexplained_change ] &&
		[ "$(field "$d/msgs" 1 SPLICEWATCH_ACTION)" = killed ] ||
		fail "not the change: $(head -c 300 "$d/msgs")" || return
	[ "$(field "$d/msgs" 1 PRIORITY)" = 3 ] || fail "PRIORITY $(field "$d/msgs" 1 PRIORITY) for a kill, want 3 (err)"
}

test_syslog_without_journal() {
	in_ns '
		mount -t tmpfs tmpfs /run/systemd || exit 1
		mkdir -p "$d/olddev" && mount --bind /dev "$d/olddev" && mount -t tmpfs tmpfs /dev || exit 1
		for n in null zero urandom random; do touch /dev/$n; mount --bind "$d/olddev/$n" /dev/$n; done
		ln -s /proc/self/fd /dev/fd
		"$PY" "$SOCK" /dev/log "$d/msgs" "$d/bound" & lp=$!
		for i in $(seq 100); do [ -e "$d/bound" ] && break; sleep 0.1; done
		"$SW" trace --journal 2>"$d/err" & p=$!
		for i in $(seq 3000); do grep -q "Ctrl-C to stop" "$d/err" && break; kill -0 $p || break; sleep 0.1; done
		"$WL" unsafe "$d/file" 1 >/dev/null 2>"$d/wl.err"
		for i in $(seq 100); do [ -s "$d/msgs" ] && break; sleep 0.1; done
		kill -INT $p; wait $p; echo $? >"$d/rc"
		kill $lp
	' || { fail "namespace setup failed"; return; }
	[ "$(cat "$d/rc")" = 0 ] || fail "exit $(cat "$d/rc"): $(tail -2 "$d/err")" || return
	grep -q 'the journal cannot take events.*syslog instead' "$d/err" || fail "the fallback was not said: $(head -2 "$d/err")" || return
	[ "$(wc -l <"$d/msgs")" = 1 ] || fail "$(wc -l <"$d/msgs") syslog datagrams, want 1" || return
	# <28>: LOG_DAEMON (3) * 8 + LOG_WARNING (4).
	"$PY" -c 'import json,sys,re; r=json.loads(open(sys.argv[1]).readline())["raw"]; sys.exit(0 if re.match(r"<28>.* splicewatch\[[0-9]+\]: .* pwrite64 .*reported .*"+re.escape(sys.argv[2])+"$", r) else 1)' "$d/msgs" "$d/file" ||
		fail "not the syslog line of the event: $(head -c 300 "$d/msgs")"
}

# The config file: output and format from the --policy file, the command
# line over it; a bad value refused with FILE:LINE.
test_config_output_and_format() {
	printf 'version: 1\ndry_run: true\noutput: %s\nformat: json\n' "$d/events" >"$d/conf.yaml"
	spawn_sw enf enforce --policy "$d/conf.yaml" || return
	"$WL" unsafe "$d/file" 1 >/dev/null 2>"$d/wl.err" || fail "the writer failed under dry_run: $(cat "$d/wl.err")" || return
	sleep 1
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "enforce exited $src" || return
	"$PY" -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline()); sys.exit(0 if e["action"]=="would_kill" and e["path"]==sys.argv[2] else 1)' "$d/events" "$d/file" ||
		fail "no would_kill JSON event in the configured output: $(head -c 300 "$d/events" 2>&1)" || return
	[ ! -s "$d/enf.out" ] || fail "events also on standard output" || return
	printf 'version: 1\noutput: syslog\n' >"$d/bad.yaml"
	"$SW" enforce --policy "$d/bad.yaml" 2>"$d/bad.err"
	[ $? = 2 ] && grep -q "bad.yaml:2: output: 'syslog' is not journal" "$d/bad.err" ||
		fail "a bad output: was not refused with its line: $(head -1 "$d/bad.err")"
}

test_reload_refuses_output_change() {
	printf 'version: 1\ndry_run: true\noutput: %s\n' "$d/events" >"$d/conf.yaml"
	spawn_sw enf enforce --policy "$d/conf.yaml" || return
	printf 'version: 1\ndry_run: true\noutput: %s\n' "$d/other" >"$d/conf.yaml"
	kill -HUP "$swpid"
	for i in $(seq 50); do grep -q 'SIGHUP' "$d/enf.err" && break; sleep 0.1; done
	"$WL" unsafe "$d/file" 1 >/dev/null 2>"$d/wl.err"
	sleep 1
	end_sw "$swpid"
	grep -q "changes \"output\", which only a restart can change" "$d/enf.err" ||
		fail "the changed output was not refused: $(grep SIGHUP "$d/enf.err")" || return
	[ -s "$d/events" ] && [ ! -e "$d/other" ] || fail "events went to the new output"
}

# No NOTIFY_SOCKET and no --journal: libsystemd is never loaded (and the
# binary does not link it).
test_no_libsystemd_unless_needed() {
	! ldd "$SW" | grep -q libsystemd || fail "splicewatch links libsystemd: $(ldd "$SW" | grep libsystemd)" || return
	env -u NOTIFY_SOCKET "$SW" trace -o "$d/ev" 2>"$d/err" &
	swpid=$!
	bg+=("$swpid")
	wait_started "$swpid" "$d/err" || fail "trace did not start: $(head -2 "$d/err")" || return
	"$WL" unsafe "$d/file" 1 >/dev/null 2>"$d/wl.err"
	sleep 0.5
	if grep -q libsystemd "/proc/$swpid/maps"; then
		end_sw "$swpid"
		fail "libsystemd loaded without NOTIFY_SOCKET or --journal"
		return
	fi
	end_sw "$swpid"
	[ "$src" = 0 ] && [ -s "$d/ev" ] || fail "exit $src, events: $(wc -l <"$d/ev")"
}

T no_libsystemd_without_notify_socket_or_journal test_no_libsystemd_unless_needed
T notify_ready_only_when_every_program_is_attached test_ready_only_when_attached
T notify_reloading_then_ready_on_sighup test_reload_notifies
T notify_stopping_at_sigterm test_stop_notifies
T journal_fields_are_the_json_fields_exactly test_journal_fields
T journal_text_message_and_err_priority_for_a_kill test_journal_text_message_killed_is_err
T journal_verify_change_killed_reader_is_err test_journal_verify_change
T journal_falls_back_to_syslog_without_a_journal_socket test_syslog_without_journal
T config_file_output_and_format test_config_output_and_format
T reload_refuses_an_output_change test_reload_refuses_output_change
run_tests
