# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # sets results the suites read; tmp and d are suite-lib.sh's
# tests/adversary/lib.sh - sourced by the adversary suites (tests/suites/
# adversary.sh, adversary-index.sh) after suite_setup: the unprivileged user,
# the actors (tests/adversary/actor.py) and the events. Not a suite itself.
SW=$(realpath ./splicewatch)
ACTOR=$(realpath "$ACTOR")
NOBODY=65534
# The suite's directory must be reachable by the unprivileged user.
chmod 755 "$tmp"

# A measured number, in the output ("# figure: ...").
figure() { echo "# figure: $*"; }

swpid=""
actors=()	# this test's background actors, killed after it
after_each() {
	local p
	stop_sw
	for p in "${actors[@]}"; do kill -KILL "$p" 2>/dev/null; done
	actors=()
}

# "${as_nobody[@]}" CMD...: CMD as uid/gid 65534, no supplementary groups. An
# array, not a function: `CMD &` then gives the actor's own pid in $!.
as_nobody=(setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups --)

# root_file NAME: a root-owned 0644 file of two pages of 'A' in $d; prints its path.
root_file() {
	head -c 8192 /dev/zero | tr '\0' A >"$d/$1"
	chmod 644 "$d/$1"
	chmod 755 "$d"
	printf '%s\n' "$d/$1"
}

# nobody_file NAME: a nobody-owned 0644 file of two pages of 'A' in the
# nobody-owned directory $d/nob; prints its path.
nobody_file() {
	chmod 755 "$d"
	mkdir -p "$d/nob"
	chown "$NOBODY:$NOBODY" "$d/nob"
	head -c 8192 /dev/zero | tr '\0' A >"$d/nob/$1"
	chown "$NOBODY:$NOBODY" "$d/nob/$1"
	chmod 644 "$d/nob/$1"
	printf '%s\n' "$d/nob/$1"
}

# wait_line FILE KEY: the value of the first "KEY=value" line FILE gets (10 s at most).
wait_line() {
	local i v
	for ((i = 0; i < 500; i++)); do
		v=$(sed -n "s/^$2=//p" "$1" | head -1)
		[ -n "$v" ] && { printf '%s\n' "$v"; return 0; }
		sleep 0.02
	done
	return 1
}

# root_write FILE OFF DATA: pwrite as root in a child; its exit status in
# $wrc (137: SIGKILLed), its output in $d/w.out.
root_write() {
	"$PY" "$ACTOR" pwrite "$@" >"$d/w.out" 2>&1
	wrc=$?
}

# nobody_hold FILE OFF LEN: as nobody, splice LEN bytes of FILE at OFF into a
# pipe it keeps (in the background, killed after the test); its pid in $holder.
nobody_hold() {
	local out=$d/hold.$2.out
	"${as_nobody[@]}" "$PY" "$ACTOR" hold "$1" "$2" "$3" >"$out" 2>&1 &
	actors+=("$!")
	bg+=("$!")
	holder=$(wait_line "$out" pid) || fail "the hold did not start: $(cat "$out")"
}

# evs EXPR: a Python expression over the events in $d/ev (list `e`, in order),
# after splicewatch has stopped.
evs() {
	"$PY" - "$d/ev" "$1" <<-'PYEOF'
	import json, sys
	e = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
	r = eval(sys.argv[2])
	sys.exit(0 if r else 1)
	PYEOF
}

# bg_actor OUT CMD...: CMD in the background (killed after the test) until it
# prints pid=PID into OUT (60 s at most); that pid in $actor_pid.
bg_actor() {
	local out=$1 i
	shift
	"$@" >"$out" 2>&1 &
	actors+=("$!")
	bg+=("$!")
	actor_pid=""
	for ((i = 0; i < 3000; i++)); do
		actor_pid=$(sed -n 's/^pid=//p' "$out")
		[ -n "$actor_pid" ] && return 0
		kill -0 "${actors[-1]}" 2>/dev/null || break
		sleep 0.02
	done
	fail "actor $* did not start: $(head -c 300 "$out")"
}
