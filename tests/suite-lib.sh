# shellcheck shell=bash
# tests/suite-lib.sh - sourced by the bash suites in tests/suites/ that run a
# workload under splicewatch (ci, enforce, reliability). Not a suite itself.
#
#   suite_setup NAME WORKLOAD       checks (root, python3, ./splicewatch built),
#                                   builds WORKLOAD when missing or older than its
#                                   source, makes $tmp, cleans up at exit
#   T NAME FUNCTION                 declares one test (nothing runs yet)
#   run_tests                       prints the TAP plan "1..N" (N: the tests
#                                   declared), runs them in order, then exits:
#                                   non-zero iff a test failed
#   fail WHY...                     sets $why, returns 1
#   wait_for FILE [SECONDS]         until FILE exists (default 10 s)
#   wait_started PID FILE           until splicewatch PID says it is attached in
#                                   its stderr FILE (30 s at most)
#
# A test FUNCTION runs in a fresh directory $d and returns 0 (pass), 77 (skip:
# only for a cause outside the product, a missing tool or facility, named in
# $why) or anything else (fail, reason in $why). There are no retries: `make
# test` runs one suite at a time, nothing outside may disturb a test, and a
# test that was disturbed anyway has failed.
#
# Every JSON record a test leaves in $d must match docs/events.schema.json
# (check_json_records, after the test): a test that passed fails with the
# record and the schema's error, so that no key of any command's JSON can
# drift without a failing test. A file is checked when its first byte is "{"
# (splicewatch's --json, -o, --report output); a suite names files of JSON
# that is not splicewatch's in $json_not_records (glob patterns against the
# path below $d), where there are any.
#
# Background processes appended to bg() are killed at exit (signal
# $BG_SIGNAL, default TERM) and waited for; then suite_on_exit runs, if the
# suite defines it. after_each, if defined, runs after every test.

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CHECK_EVENTS=${CHECK_EVENTS:-tests/check-events.py}
json_not_records=()
BG_SIGNAL=${BG_SIGNAL:-TERM}
bg=()
why=""
tmp=""
declared_names=()
declared_fns=()
failed_tests=0

suite_setup() { # NAME WORKLOAD
	local name=$1 wl=$2
	[ "$(id -u)" = 0 ] || { echo "$name.sh loads BPF programs: run it as root" >&2; exit 2; }
	command -v "$PY" >/dev/null || { echo "$name.sh needs python3" >&2; exit 2; }
	"$PY" -c 'import jsonschema' 2>/dev/null ||
		{ echo "$name.sh needs python3-jsonschema (scripts/deps.sh)" >&2; exit 2; }
	[ -x ./splicewatch ] || { echo "build splicewatch first (make)" >&2; exit 2; }
	if [ ! -x "$wl" ] || [ "tests/$(basename "$wl").c" -nt "$wl" ]; then
		make -s "$wl" >&2 || { echo "cannot build $wl" >&2; exit 2; }
	fi
	tmp=$(mktemp -d "/var/tmp/sw$name.XXXXXX") || exit 2
	trap suite_cleanup EXIT
}

suite_cleanup() {
	local p
	for p in "${bg[@]}"; do kill -"$BG_SIGNAL" "$p" 2>/dev/null; done
	wait 2>/dev/null
	declare -F suite_on_exit >/dev/null && suite_on_exit
	rm -rf "$tmp"
}

fail() { why=$*; return 1; }

T() { # NAME FUNCTION
	declared_names+=("$1")
	declared_fns+=("$2")
}

# check_json_records DIR: validates the JSON files below DIR (see above);
# returns 1 with $why naming the first failures.
check_json_records() {
	local f rel p files=() out
	while IFS= read -r -d '' f; do
		[ "$(head -c 1 "$f" 2>/dev/null | tr -d '\0')" = "{" ] || continue  # binary files: no NUL into $()
		rel=${f#"$1"/}
		for p in "${json_not_records[@]}"; do
			# shellcheck disable=SC2053  # a glob on purpose
			[[ $rel == $p ]] && continue 2
		done
		files+=("$f")
	done < <(find "$1" -type f -print0 2>/dev/null)
	[ ${#files[@]} = 0 ] && return 0
	out=$("$PY" "$CHECK_EVENTS" "${files[@]}" 2>&1) && return 0
	why="JSON records that do not match docs/events.schema.json: $(head -c 1500 <<<"$out")"
	return 1
}

# t NAME FUNCTION: runs FUNCTION once in a fresh directory $d; prints
# "ok NAME # Ns", "ok NAME # SKIP why" or "not ok NAME: why".
t() {
	local name=$1 fn=$2 r start=$SECONDS
	d=$tmp/$name
	mkdir -p "$d"
	why=""
	"$fn"
	r=$?
	declare -F after_each >/dev/null && after_each
	if [ "$r" = 0 ] && ! check_json_records "$d"; then
		r=1
	fi
	case $r in
	0) echo "ok $name # $((SECONDS - start))s" ;;
	77)
		if [ -n "$why" ]; then
			echo "ok $name # SKIP $why"
		else
			echo "not ok $name: skipped without naming a cause"
			failed_tests=$((failed_tests + 1))
		fi
		;;
	*)
		echo "not ok $name: ${why:-failed (status $r)}"
		failed_tests=$((failed_tests + 1))
		;;
	esac
}

run_tests() {
	# Not "i": test functions use it without declaring it local.
	local _sw_test
	echo "1..${#declared_names[@]}"
	for ((_sw_test = 0; _sw_test < ${#declared_names[@]}; _sw_test++)); do
		t "${declared_names[_sw_test]}" "${declared_fns[_sw_test]}"
	done
	[ "$failed_tests" = 0 ] || exit 1
	exit 0
}

wait_for() { # FILE [SECONDS]
	local i n=$((${2:-10} * 50))
	for ((i = 0; i < n; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# BPF object ids (prog/map/link) a process holds, from its fdinfo:
# "link_id:7 map_id:12 prog_id:30 ...".
bpf_ids() {
	grep -hE '^(prog_id|map_id|link_id):' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u | tr -d '\t ' | tr '\n' ' '
}

# wait_bpf_ids_freed IDS SECONDS: waits up to SECONDS (by the clock) for the
# objects IDS (from bpf_ids) to be freed, which happens asynchronously (RCU,
# workqueues) once their last holder is gone. Sets ids_left to those still
# loaded (" prog 30 map 12"; empty when all went) and waited_ds to the time
# taken in tenths of a second.
wait_bpf_ids_freed() {
	local id start deadline
	start=$(date +%s%N)
	deadline=$(($(date +%s) + $2))
	while :; do
		ids_left=""
		for id in $1; do
			bpftool "${id%%_id:*}" show id "${id##*:}" >/dev/null 2>&1 &&
				ids_left+=" ${id%%_id:*} ${id##*:}"
		done
		[ -z "$ids_left" ] || [ "$(date +%s)" -ge "$deadline" ] && break
		sleep 0.1
	done
	# shellcheck disable=SC2034  # read by the caller
	waited_ds=$((($(date +%s%N) - start) / 100000000))
}

wait_started() { # PID FILE
	local i
	for ((i = 0; i < 1500; i++)); do
		grep -q 'Ctrl-C to stop' "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

# start_sw COMMAND ARGS...: `$SW COMMAND --json -o $d/ev ARGS` in the
# background until it says it is attached (wait_started); its pid in $swpid,
# stderr in $d/swerr.
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

# stop_sw: SIGINT to $swpid, wait; its exit status in $swrc.
# shellcheck disable=SC2034 # swrc is read by the suites
stop_sw() {
	swrc=""
	[ -n "$swpid" ] || return 0
	kill -INT "$swpid" 2>/dev/null
	wait "$swpid"
	swrc=$?
	swpid=""
}

# spawn_sw NAME ARGS...: `splicewatch ARGS` (${SWBIN:-$SW}) in the background,
# stdout in $d/NAME.out, stderr in $d/NAME.err, until it is attached; its pid
# in $swpid. For runs that are not `COMMAND --json -o $d/ev` (start_sw).
spawn_sw() {
	local name=$1
	shift
	"${SWBIN:-$SW}" "$@" >"$d/$name.out" 2>"$d/$name.err" &
	swpid=$!
	bg+=("$swpid")
	wait_started "$swpid" "$d/$name.err" && return 0
	fail "splicewatch $* did not start: $(head -3 "$d/$name.err")"
}

# end_sw PID [SIGNAL]: stops it (SIGINT by default); its status in $src.
# shellcheck disable=SC2034 # src is read by the suites
end_sw() {
	kill -"${2:-INT}" "$1" 2>/dev/null
	wait "$1"
	src=$?
}
