#!/usr/bin/env bash
# trace --verify under load: no false unexplained_change (docs/content-checks.md).
# Each test runs a load beside `trace --verify --json` with a positive
# control in its middle (tests/verify_workload: a store through a tmpfs
# mapping into bytes its pipe holds, which must be the one unexplained
# change), so checks that saw nothing fail:
#
# - fio's splice engine (reads: splice file to pipe, then the pipe read; writes:
#   vmsplice to a pipe, splice to the file): one job reading and writing one
#   file, two jobs reading another, on ext4. Nothing writes bytes another job
#   holds, so no change is real: none may be reported.
# - stress-ng's splice family (splice, tee, vm-splice, sendfile, copy-file):
#   it puts no page-cache page into a pipe (splice from /dev/zero, vmsplice of
#   its own memory, sendfile to /dev/null), so the figure says what was
#   fingerprinted; it must not disturb the checks.
#
# Prints TAP and "# figure: ..." lines (ranges fingerprinted, checks, changes).
# VERIFY_LOAD_SECONDS (8) sets each load's length.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=$(realpath ./splicewatch)
WL=tests/build/verify_workload
suite_setup verify-load "$WL"
WL=$(realpath "$WL")
NGINX_LOAD=$(realpath tests/nginx-load.sh)
HTTP_LOAD=$(realpath tests/build/http_load)
SECONDS_EACH=${VERIFY_LOAD_SECONDS:-8}
shm=""
sw=""
suite_on_exit() { [ -z "$shm" ] || rm -rf "$shm"; }
shm=$(mktemp -d /dev/shm/swvload.XXXXXX) || exit 2
after_each() {
	[ -z "$sw" ] || end_sw "$sw"
	sw=""
}
figure() { echo "# figure: $*"; }

# under NAME COMMAND...: COMMAND (the load, in $d) beside trace --verify,
# the control halfway; then every record must be the control's one change.
under() {
	local name=$1 lpid lrc ctl cst summary
	shift
	spawn_sw checked trace --json --verify -o "$d/checked" || return
	sw=$swpid
	(cd "$d" && exec "$@" >"$d/load.log" 2>&1) &
	lpid=$!
	bg+=("$lpid")
	sleep "$((SECONDS_EACH / 2))"
	ctl=$shm/control.$RANDOM
	cst=$("$WL" store "$ctl" 2>&1)
	wait "$lpid"
	lrc=$?
	end_sw "$sw"
	sw=""
	[ "$src" = 0 ] || fail "trace --verify exited $src: $(tail -2 "$d/checked.err")" || return
	summary=$(grep '^splicewatch: verify: ' "$d/checked.err")
	figure "$name: ${summary#splicewatch: verify: }"
	[ "$lrc" = 0 ] || fail "$name exited $lrc: $(grep -iE 'error|fail|http_load|nginx' "$d/load.log" | head -3)" || return
	[[ $cst == *got=changed* ]] || fail "control: $cst" || return
	"$PY" - "$d/checked" "$ctl" <<-'EOF' || fail "records: $(head -c 1200 "$d/checked")" || return
	import json, sys
	recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	want = [("unexplained_change", sys.argv[2])]
	sys.exit([(r["event"], r.get("path")) for r in recs] != want)
	EOF
	[[ $summary == *" 0 unreadable, 0 not fingerprinted (table or the user's share full), 0 lost" ]] ||
		fail "summary: $summary"
}

test_fio_splice_engine_no_false_change() {
	command -v fio >/dev/null || { why="fio is not installed (apt-get install fio)"; return 77; }
	under fio fio --directory="$d" --ioengine=splice --bs=4k --size=16M --runtime="$SECONDS_EACH" \
		--time_based --name=rw --rw=randrw --filename=rw.dat --name=ro --rw=randread \
		--numjobs=2 --filename=ro.dat || return
	# The load was checked: fio's reads went through pipes.
	local n
	n=$(sed -n 's/^splicewatch: verify: \([0-9]*\) held ranges fingerprinted.*/\1/p' "$d/checked.err")
	[ "${n:-0}" -gt 10000 ] || fail "only ${n:-0} held ranges fingerprinted under fio"
}

test_stress_ng_splice_family_no_false_change() {
	command -v stress-ng >/dev/null || { why="stress-ng is not installed (apt-get install stress-ng)"; return 77; }
	under stress-ng stress-ng --splice 2 --tee 2 --vm-splice 2 --sendfile 2 --copy-file 2 \
		--timeout "${SECONDS_EACH}s" --metrics-brief
}

test_nginx_sendfile_no_false_change() {
	command -v nginx >/dev/null || { why="nginx is not installed (apt-get install nginx)"; return 77; }
	[ -x "$HTTP_LOAD" ] || fail "$HTTP_LOAD is not built (make tests/build/http_load)" || return
	local stats line n sent
	# stats beside it: the bytes left nginx by sendfile(2), not a copy.
	spawn_sw stats stats --json --interval 3600 || return
	stats=$swpid
	under nginx env HTTP_LOAD="$HTTP_LOAD" sh "$NGINX_LOAD" "$d/nginx" "$shm/nginx" "$SECONDS_EACH" 8 || return
	end_sw "$stats"
	line=$(grep '^requests=' "$d/load.log")
	figure "nginx: $line"
	n=${line#requests=}
	n=${n%% *}
	[ "${n:-0}" -gt 1000 ] || fail "only ${n:-0} requests: $(tail -3 "$d/load.log")" || return
	sent=$("$PY" -c '
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print(sum(r["bytes"] for r in last["rows"] if r["comm"] == "nginx" and r["op"] == "sendfile"))' "$d/stats.out")
	figure "nginx: $sent bytes sent by sendfile (splicewatch stats)"
	[ "${sent:-0}" -gt 1000000 ] || fail "nginx sent ${sent:-0} bytes by sendfile"
}

T fio_splice_engine_no_false_change test_fio_splice_engine_no_false_change
T stress_ng_splice_family_no_false_change test_stress_ng_splice_family_no_false_change
T nginx_sendfile_no_false_change test_nginx_sendfile_no_false_change
run_tests
