# tests/suite-lib.sh - sourced by the bash suites in tests/suites/ that run a
# workload under splicewatch (ci, enforce, reliability). Not a suite itself.
#
#   suite_setup NAME WORKLOAD       checks (root, python3, ./splicewatch built),
#                                   builds WORKLOAD when missing or older than its
#                                   source, makes $tmp, cleans up at exit
#   t NAME FUNCTION                 one test, "ok NAME # Ns" / "not ok NAME: why"
#   fail WHY...                     sets $why, returns 1
#   wait_for FILE [SECONDS]         until FILE exists (default 10 s)
#   wait_started PID FILE           until splicewatch PID says it is attached in
#                                   its stderr FILE (30 s at most)
#
# Background processes appended to bg() are killed at exit (signal
# $BG_SIGNAL, default TERM) and waited for; then suite_on_exit runs, if the
# suite defines it. after_each, if defined, runs after every attempt of a test.

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
ATTEMPTS=${ATTEMPTS:-5}
BG_SIGNAL=${BG_SIGNAL:-TERM}
bg=()
why=""
tmp=""

suite_setup() { # NAME WORKLOAD
	local name=$1 wl=$2
	[ "$(id -u)" = 0 ] || { echo "$name.sh loads BPF programs: run it as root" >&2; exit 2; }
	command -v "$PY" >/dev/null || { echo "$name.sh needs python3" >&2; exit 2; }
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

# t NAME FUNCTION: runs FUNCTION in a fresh directory $d. It returns 0 (pass),
# 1 (fail, reason in $why), 2 (disturbed by another process, e.g. a
# system-wide enforce killed the workload: retried, up to $ATTEMPTS times) or
# 77 (skipped, reason in $why).
t() {
	local name=$1 fn=$2 r attempt start=$SECONDS
	for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
		d=$tmp/$name.$attempt
		mkdir -p "$d"
		why=""
		"$fn"
		r=$?
		declare -F after_each >/dev/null && after_each
		[ "$r" = 2 ] || break
		echo "# $name: attempt $attempt disturbed (${why:-workload killed from outside?}), retrying"
		sleep 1
	done
	case $r in
	0) echo "ok $name # $((SECONDS - start))s" ;;
	77) echo "ok $name # SKIP $why" ;;
	2) echo "not ok $name: disturbed $ATTEMPTS times (${why:-workload killed from outside?})" ;;
	*) echo "not ok $name: ${why:-failed}" ;;
	esac
}

wait_for() { # FILE [SECONDS]
	local i n=$((${2:-10} * 50))
	for ((i = 0; i < n; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.02
	done
	return 1
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
