#!/usr/bin/env bash
# splicewatch enforce: policies (dry run, allowlists, signals, --thread), the
# policy file (--policy) and its errors, and what happens when splicewatch dies.
# Workloads: tests/enforce_workload.c. Prints TAP (plan first, "ok NAME" /
# "not ok NAME: reason" per test); exits 1 if a test failed, 2 if it cannot run.
#
# Every `splicewatch enforce` here acts system-wide: events are matched by the
# writer's pid, each enforce runs only as long as its test. Nothing is retried:
# `make test` runs one suite at a time, so a writer SIGKILLed with no kill in
# our splicewatch's log is a failure (a kill it did not report), never a
# "disturbance".
#
# Not tested here, on purpose:
# - pid 1 is never signalled: making init write into held page-cache bytes on the
#   host is not safe. The check is `ev->pid <= 1` in decide()
#   (bpf/detect/report.bpf.h); kernel threads (PF_KTHREAD) likewise. The init
#   of another pid namespace is acted on unless --allow-ns-init:
#   tests/suites/adversary.sh, section 4.
# - splicewatch itself IS tested (test_self_never_signalled): its own event
#   output is made an unsafe write by holding the output file in a pipe (the
#   pipe's bytes prove the write landed in the held page); it must neither
#   signal nor report itself.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=./splicewatch
WL=tests/build/enforce_workload
suite_setup enforce "$WL"
SW=$(realpath "$SW")
WL=$(realpath "$WL")

cgroups=()
swpid=""
suite_on_exit() {
	local c
	for c in "${cgroups[@]}"; do rmdir "$c" 2>/dev/null; done
}
after_each() { stop_sw; }

# wl OUT ARGS...: runs `enforce_workload write ARGS` with stdout in $d/OUT.
wl() {
	local out=$1
	shift
	"$WL" write "$@" >"$d/$out" 2>"$d/$out.err" || fail "workload $*: $(cat "$d/$out.err")"
}

# kv OUT KEY: the value of KEY in the workload output $d/OUT.
kv() { sed -n "s/^$2=//p" "$d/$1" | head -1; }

# evs OUT EXPR: a Python expression over the events of OUT's writer (list `e`,
# in order), evaluated after splicewatch has stopped; NUL padding is ignored.
evs() {
	"$PY" - "$d/ev" "$(kv "$1" writer)" "$2" <<-'EOF'
	import json, sys
	e = []
	for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
	    line = line.strip("\0\n ")
	    if not line:
	        continue
	    o = json.loads(line)
	    if str(o.get("pid")) == sys.argv[2]:
	        e.append(o)
	print(eval(sys.argv[3]))
	EOF
}
evt() { [ "$(evs "$1" "$2" 2>&1)" = True ]; }

# no_silent_kill OUT: fails if the writer of OUT died of SIGKILL and our
# splicewatch logged no kill of it (a kill it did not report).
no_silent_kill() {
	if [ "$(kv "$1" status)" = signal:9 ] && ! evt "$1" 'any(x["action"] in ("killed", "killed_late") for x in e)'; then
		fail "$1: the writer was SIGKILLed but splicewatch logged no kill of it: events $(evs "$1" '[(x["op"], x["action"]) for x in e]')"
	fi
}

# nothing_lost: splicewatch's summary (after stop_sw) counts 0 lost records.
nothing_lost() {
	grep -qE '^splicewatch: [0-9]+ unsafe writes detected, [0-9]+ shown, 0 lost records' "$d/swerr" ||
		fail "summary: $(grep -m1 'unsafe writes detected' "$d/swerr" || echo none), want 0 lost records"
}

# survived OUT ACTION: the writer lived, its write landed (the pipe delivers the
# new bytes: that is what an unsafe write does), one event with ACTION.
survived() {
	local out=$1 action=$2
	no_silent_kill "$out" || return
	nothing_lost || return
	[ "$(kv "$out" status)" = exit:0 ] || fail "$out: writer ended with $(kv "$out" status), want exit:0" || return
	[ "$(kv "$out" file)" = WWWWWWWW ] || fail "$out: file has $(kv "$out" file): the write did not land" || return
	[ "$(kv "$out" pipe)" = WWWWWWWW ] || fail "$out: pipe delivered $(kv "$out" pipe), want the written bytes" || return
	evt "$out" 'len(e) == 1 and e[0]["action"] == "'"$action"'" and e[0]["op"] == "pwrite64"' ||
		fail "$out: events $(evs "$out" '[(x["op"], x["action"]) for x in e]'), want one pwrite64 '$action'"
}

# killed OUT: SIGKILLed at syscall entry: nothing landed, the pipe delivers the original.
killed() {
	local out=$1
	no_silent_kill "$out" || return
	nothing_lost || return
	[ "$(kv "$out" status)" = signal:9 ] || fail "$out: writer ended with $(kv "$out" status), want signal:9" || return
	[ "$(kv "$out" file)" = AAAAAAAA ] || fail "$out: file has $(kv "$out" file): the write landed" || return
	[ "$(kv "$out" pipe)" = AAAAAAAA ] || fail "$out: pipe delivered $(kv "$out" pipe), want the original" || return
	evt "$out" 'len(e) == 1 and e[0]["action"] == "killed" and e[0].get("signal") == "SIGKILL"' ||
		fail "$out: events $(evs "$out" '[(x["op"], x["action"], x.get("signal")) for x in e]'), want one 'killed' SIGKILL"
}

# mkcg: a fresh cgroup v2 directory (in $cg), wherever cgroup2 is mounted
# (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host).
mkcg() {
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$root" ] || fail "no cgroup2 filesystem mounted" || return
	cg=$root/swenforce.$$.$RANDOM
	mkdir "$cg" || fail "cannot create cgroup $cg" || return
	cgroups+=("$cg")
}

# policy NAME: the policy file $d/NAME from standard input.
policy() { cat >"$d/$1"; }

# ---- tests -----------------------------------------------------------------------

test_help() {
	"$SW" enforce --help >"$d/out" 2>&1 || fail "--help exited $?" || return
	for w in --policy --action --signal --thread --dry-run --allow-pid --allow-comm \
		--allow-cgroup --allow-path --allow-ns-init 'not a security boundary' --json --output killed_late would_kill allowed \
		'pid 1' FILE:LINE; do
		grep -q -- "$w" "$d/out" || fail "--help does not mention $w" || return 1
	done
}

test_kill_default() {
	start_sw enforce || return
	wl a "$d/f" || return
	stop_sw
	killed a
}

test_dry_run() {
	start_sw enforce --dry-run || return
	grep -q 'dry run' "$d/swerr" || fail "no dry-run notice: $(cat "$d/swerr")" || return
	wl a "$d/f" || return
	stop_sw
	survived a would_kill
}

test_allow_comm() {
	start_sw enforce --allow-comm ew-allowed || return
	wl a --comm ew-allowed "$d/a.dat" || return
	wl b --comm ew-other "$d/b.dat" || return
	stop_sw
	survived a allowed || return
	killed b
}

test_allow_pid() {
	local p i
	"$WL" write --ready "$d/ready" --go "$d/go" "$d/a.dat" >"$d/a" 2>"$d/a.err" &
	p=$!
	bg+=("$p")
	for ((i = 0; i < 500; i++)); do [ -e "$d/ready" ] && break; sleep 0.02; done
	[ -e "$d/ready" ] || fail "workload never got ready: $(cat "$d/a.err")" || return
	start_sw enforce --allow-pid "$(cat "$d/ready")" || { kill "$p"; return 1; }
	touch "$d/go"
	wait "$p" || fail "workload: $(cat "$d/a.err")" || return
	wl b "$d/b.dat" || return
	stop_sw
	survived a allowed || return
	killed b
}

test_allow_cgroup() {
	mkcg || return
	start_sw enforce --allow-cgroup "$cg" || return
	wl a --cgroup "$cg" "$d/a.dat" || return
	wl b "$d/b.dat" || return
	stop_sw
	survived a allowed || return
	evt a 'e[0]["cgroup_id"] == '"$(stat -c %i "$cg")" || fail "cgroup_id $(evs a 'e[0]["cgroup_id"]'), want $(stat -c %i "$cg")" || return
	killed b
}

# Needs the BPF side of --allow-path (the allow_inodes map compared in decide()).
test_allow_path() {
	mkdir -p "$d/allowed/sub" "$d/other" "$d/dir" "$d/dir2"
	start_sw enforce --allow-path "$d/allowed/" --allow-path "$d/dir" || return
	wl a "$d/allowed/sub/f" || return
	wl b "$d/other/f" || return
	wl c "$d/dir/f" || return
	wl e "$d/dir2/f" || return	# a sibling whose name starts with the rule's
	stop_sw
	survived a allowed || return
	killed b || return
	survived c allowed || return
	killed e
}

test_safe_nonoverlapping() {
	start_sw enforce || return
	wl a --safe "$d/f" || return
	stop_sw
	no_silent_kill a || return
	[ "$(kv a status)" = exit:0 ] || fail "writer ended with $(kv a status)" || return
	[ "$(kv a pipe)" = AAAAAAAA ] && [ "$(kv a file)" = WWWWWWWW ] ||
		fail "pipe $(kv a pipe) file $(kv a file), want AAAAAAAA WWWWWWWW" || return
	evt a 'e == []' || fail "events for a safe write: $(evs a e)"
}

test_safe_drained() {
	start_sw enforce || return
	wl a --drain "$d/f" || return
	stop_sw
	no_silent_kill a || return
	[ "$(kv a status)" = exit:0 ] || fail "writer ended with $(kv a status)" || return
	[ "$(kv a pipe)" = AAAAAAAA ] && [ "$(kv a file)" = WWWWWWWW ] ||
		fail "pipe $(kv a pipe) file $(kv a file), want AAAAAAAA WWWWWWWW" || return
	evt a 'e == []' || fail "events for a write after the pipe was drained: $(evs a e)"
}

# signalled OUT: the writer caught SIGUSR1 (in its own thread) and its write landed.
signalled() {
	survived "$1" signalled || return
	evt "$1" 'e[0].get("signal") == "SIGUSR1" and e[0]["tid"] == '"$(kv "$1" tid)" ||
		fail "$1: event signal/tid $(evs "$1" '(e[0].get("signal"), e[0]["tid"])'), want SIGUSR1/$(kv "$1" tid)" || return
	[ "$(kv "$1" handled_tid)" = "$(kv "$1" tid)" ] ||
		fail "$1: handler ran in tid $(kv "$1" handled_tid), want the writer $(kv "$1" tid)"
}

test_signal_usr1() {
	start_sw enforce --signal USR1 || return
	wl a --catch 10 "$d/f" || return
	stop_sw
	signalled a
}

# The writing thread blocks SIGUSR1 during its write: a signal sent to the
# thread waits on it (thread_pending=1) and runs its handler once unblocked.
test_thread_usr1() {
	start_sw enforce --signal SIGUSR1 --thread || return
	wl a --thread --catch 10 "$d/f" || return
	stop_sw
	signalled a || return
	[ "$(kv a tid)" != "$(kv a main_tid)" ] || fail "the write was not made by a second thread" || return
	[ "$(kv a thread_pending)" = 1 ] || fail "SIGUSR1 was not sent to the writing thread (not pending on it)"
}

# Control for the test above: without --thread the signal goes to the process,
# and the main thread (which does not block it) takes it.
test_process_usr1_control() {
	start_sw enforce --signal USR1 || return
	wl a --thread --catch 10 "$d/f" || return
	stop_sw
	survived a signalled || return
	[ "$(kv a thread_pending)" = 0 ] && [ "$(kv a handled_tid)" = "$(kv a main_tid)" ] ||
		fail "process-directed SIGUSR1: pending on writer $(kv a thread_pending), handled in $(kv a handled_tid), main $(kv a main_tid)"
}

# SIGKILL kills the whole process, --thread or not.
test_thread_kill() {
	start_sw enforce --thread || return
	wl a --thread "$d/f" || return
	stop_sw
	killed a
}

# deny_or_kill OUT: with BPF LSM active the write fails with EPERM (the writer,
# which exits 1 when pwrite fails, lives; "denied"); without it splicewatch,
# told --fallback kill (option or policy), says so and kills.
deny_or_kill() {
	if grep -qw bpf /sys/kernel/security/lsm 2>/dev/null; then
		no_silent_kill "$1" || return
		[ "$(kv "$1" status)" = exit:1 ] && grep -q 'pwrite' "$d/$1.err" ||
			fail "$1: writer ended with $(kv "$1" status), want exit:1 after a failed pwrite" || return
		[ "$(kv "$1" file)" = AAAAAAAA ] && [ "$(kv "$1" pipe)" = AAAAAAAA ] ||
			fail "$1: file $(kv "$1" file) pipe $(kv "$1" pipe): the write landed" || return
		evt "$1" 'len(e) == 1 and e[0]["action"] == "denied"' ||
			fail "$1: events $(evs "$1" '[x["action"] for x in e]'), want one 'denied'"
	else
		grep -q -- '--fallback kill: killing instead' "$d/swerr" ||
			fail "no fallback notice: $(cat "$d/swerr")" || return
		killed "$1"
	fi
}

test_action_deny() {
	start_sw enforce --action deny --fallback kill || return
	wl a "$d/f" || return
	stop_sw
	deny_or_kill a
}

# ---- the policy file ---------------------------------------------------------

test_policy_dry_run() {
	policy p.yaml <<-'EOF'
	# dry run: report, act on nobody
	version: 1
	dry_run: true
	EOF
	start_sw enforce --policy "$d/p.yaml" || return
	wl a "$d/f" || return
	stop_sw
	survived a would_kill
}

test_policy_allow_comm_cgroup() {
	mkcg || return
	policy p.yaml <<-EOF
	action: kill
	allow:
	  comms: [ew-pol-a, "ew-pol-b"]
	  cgroups:
	    - $cg
	EOF
	start_sw enforce --policy "$d/p.yaml" || return
	wl a --comm ew-pol-b "$d/a.dat" || return
	wl b --cgroup "$cg" "$d/b.dat" || return
	wl c "$d/c.dat" || return
	stop_sw
	survived a allowed || return
	survived b allowed || return
	killed c
}

test_policy_allow_pid() {
	local p i
	"$WL" write --ready "$d/ready" --go "$d/go" "$d/a.dat" >"$d/a" 2>"$d/a.err" &
	p=$!
	bg+=("$p")
	for ((i = 0; i < 500; i++)); do [ -e "$d/ready" ] && break; sleep 0.02; done
	[ -e "$d/ready" ] || fail "workload never got ready: $(cat "$d/a.err")" || return
	policy p.yaml <<-EOF
	allow:
	  pids:
	    - $(cat "$d/ready")
	EOF
	start_sw enforce --policy "$d/p.yaml" || { kill "$p"; return 1; }
	touch "$d/go"
	wait "$p" || fail "workload: $(cat "$d/a.err")" || return
	wl b "$d/b.dat" || return
	stop_sw
	survived a allowed || return
	killed b
}

# Needs the BPF side of --allow-path.
test_policy_allow_path() {
	mkdir -p "$d/allowed" "$d/other"
	policy p.yaml <<-EOF
	allow:
	  paths: ["$d/allowed/"]
	EOF
	start_sw enforce --policy "$d/p.yaml" || return
	wl a "$d/allowed/f" || return
	wl b "$d/other/f" || return
	stop_sw
	survived a allowed || return
	killed b
}

test_policy_signal_thread() {
	policy p.yaml <<-'EOF'
	signal: SIGUSR1
	thread: true
	EOF
	start_sw enforce --policy "$d/p.yaml" || return
	wl a --thread --catch 10 "$d/f" || return
	stop_sw
	signalled a || return
	[ "$(kv a thread_pending)" = 1 ] || fail "SIGUSR1 was not sent to the writing thread"
}

# The command line overrides the file's settings and adds to its allowlists,
# wherever --policy stands.
# node: in the policy file names the node of every record; --node on the
# command line wins over it.
test_policy_node() {
	policy p.yaml <<-'EOF'
	dry_run: true
	node: from-policy.example
	EOF
	start_sw enforce --policy "$d/p.yaml" || return
	wl a "$d/a.dat" || return
	stop_sw
	survived a would_kill || return
	evt a 'e[0]["node"] == "from-policy.example"' ||
		fail "node $(evs a '[x["node"] for x in e]'), want from-policy.example" || return
	mv "$d/ev" "$d/ev.policy"
	start_sw enforce --policy "$d/p.yaml" --node from-cli || return
	wl b "$d/b.dat" || return
	stop_sw
	survived b would_kill || return
	evt b 'e[0]["node"] == "from-cli"' || fail "with --node: node $(evs b '[x["node"] for x in e]'), want from-cli"
}

test_policy_cli_precedence() {
	policy p.yaml <<-'EOF'
	signal: USR1
	dry_run: false
	allow:
	  comms: [ew-file]
	EOF
	start_sw enforce --signal KILL --policy "$d/p.yaml" --allow-comm ew-cli || return
	wl a --comm ew-file "$d/a.dat" || return
	wl b --comm ew-cli "$d/b.dat" || return
	wl c --catch 10 "$d/c.dat" || return
	stop_sw
	survived a allowed || return
	survived b allowed || return
	killed c
}

test_policy_deny() {
	policy p.yaml <<-'EOF'
	action: deny
	fallback: kill
	EOF
	start_sw enforce --policy "$d/p.yaml" || return
	wl a "$d/f" || return
	stop_sw
	deny_or_kill a
}

# --action kill on the command line overrides the file's deny.
test_policy_deny_overridden() {
	policy p.yaml <<-'EOF'
	action: deny
	EOF
	start_sw enforce --policy "$d/p.yaml" --action kill || return
	! grep -q 'deny' "$d/swerr" || fail "deny still in force: $(cat "$d/swerr")" || return
	wl a "$d/f" || return
	stop_sw
	killed a
}

# rejected FILE LINE REASON ARGS...: `enforce --policy FILE ARGS` exits 2 at once
# with "FILE:LINE: ...REASON..." and starts nothing.
rejected() {
	local f=$1 line=$2 reason=$3 rc
	shift 3
	timeout 20 "$SW" enforce --json -o "$d/ev" --policy "$f" "$@" >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 2 ] || fail "$(basename "$f"): exit $rc, want 2: $(head -2 "$d/err")" || return
	head -1 "$d/err" | grep -qF -- "$f:$line: " ||
		fail "$(basename "$f"): first line '$(head -1 "$d/err")', want '$f:$line: ...'" || return
	head -1 "$d/err" | grep -qiF -- "$reason" ||
		fail "$(basename "$f"): '$(head -1 "$d/err")' does not say '$reason'" || return
	! grep -qE 'enforcing|Ctrl-C' "$d/err" || fail "$(basename "$f"): enforcement started" || return
	[ ! -e "$d/ev" ] || fail "$(basename "$f"): the output file was created"
}

test_policy_malformed() {
	local long
	long=/$(printf 'x%.0s' {1..300})
	printf 'action: kill\nsignal: [USR1\n' >"$d/syntax.yaml"
	rejected "$d/syntax.yaml" 3 "syntax error" || return
	printf 'action: kill\nsignl: USR1\n' >"$d/unknown.yaml"
	rejected "$d/unknown.yaml" 2 "unknown key 'signl'" || return
	printf 'allow:\n  comm: [x]\n' >"$d/unknown2.yaml"
	rejected "$d/unknown2.yaml" 2 "unknown key 'comm'" || return
	printf '# comment\nthread: 3\n' >"$d/type.yaml"
	rejected "$d/type.yaml" 2 "expected true or false" || return
	printf 'allow:\n  comms: backup\n' >"$d/type2.yaml"
	rejected "$d/type2.yaml" 2 "expected a list" || return
	printf 'allow: [a]\n' >"$d/type3.yaml"
	rejected "$d/type3.yaml" 1 "expected a mapping" || return
	printf 'signal: SIGFOO\n' >"$d/signal.yaml"
	rejected "$d/signal.yaml" 1 "unknown signal 'SIGFOO'" || return
	printf 'action: stop\n' >"$d/action.yaml"
	rejected "$d/action.yaml" 1 "not kill or deny" || return
	printf 'action: deny\nfallback: deny\n' >"$d/fallback.yaml"
	rejected "$d/fallback.yaml" 2 "fallback: 'deny' is not kill or dry-run" || return
	printf 'allow:\n  paths:\n    - /srv\n    - srv/data\n' >"$d/relative.yaml"
	rejected "$d/relative.yaml" 4 "not an absolute path" || return
	printf 'allow:\n  cgroups: [sys/fs/cgroup]\n' >"$d/relcg.yaml"
	rejected "$d/relcg.yaml" 2 "not an absolute path" || return
	printf 'allow:\n  paths: [/a/../b]\n' >"$d/dotdot.yaml"
	rejected "$d/dotdot.yaml" 2 "normalised" || return
	for i in $(seq 17); do mkdir -p "$d/p$i"; done
	{ echo 'allow:'; echo '  paths:'; for i in $(seq 17); do echo "    - $d/p$i"; done; } >"$d/many.yaml"
	rejected "$d/many.yaml" 19 "too many path rules" || return
	# 16 in the file and one on the command line are 17 as well.
	{ echo 'allow:'; echo '  paths:'; for i in $(seq 16); do echo "    - $d/p$i"; done; } >"$d/many2.yaml"
	rejected "$d/many2.yaml" 18 "too many path rules" --allow-path "$d/p17" || return
	# A rule is the identity of what it names, taken at start: it must exist.
	printf 'allow:\n  paths: [%s]\n' "$long" >"$d/long.yaml"
	rejected "$d/long.yaml" 2 "must name an existing file or directory" || return
	printf 'allow_ns_init: 1\n' >"$d/nsinit.yaml"
	rejected "$d/nsinit.yaml" 1 "allow_ns_init: expected true or false" || return
	printf 'allow:\n  pids: [0]\n' >"$d/pid.yaml"
	rejected "$d/pid.yaml" 2 "not a process id" || return
	printf 'allow:\n  comms: [a-name-longer-than-15]\n' >"$d/comm.yaml"
	rejected "$d/comm.yaml" 2 "not a comm" || return
	printf 'allow:\n  cgroups: [/tmp]\n' >"$d/cgroup.yaml"
	rejected "$d/cgroup.yaml" 2 "not a cgroup v2 directory" || return
	printf 'signal: USR1\nsignal: KILL\n' >"$d/dup.yaml"
	rejected "$d/dup.yaml" 2 "duplicate key" || return
	printf 'dry_run: true\n---\ndry_run: false\n' >"$d/twodocs.yaml"
	rejected "$d/twodocs.yaml" 2 "one YAML document" || return
	printf '# nothing\n' >"$d/empty.yaml"
	rejected "$d/empty.yaml" 1 "empty policy" || return
	printf 'allow:\n\tcomms: [x]\n' >"$d/tab.yaml"
	rejected "$d/tab.yaml" 2 "syntax error" || return
	printf 'version: 1\nsignal: USR1\n\377\n' >"$d/binary.yaml"
	rejected "$d/binary.yaml" 3 "UTF-8" || return
	printf 'version: 2\n' >"$d/version.yaml"
	rejected "$d/version.yaml" 1 "version 1" || return
}

# usage_error WHAT ARGS...: `enforce ARGS` exits 2 at once saying WHAT.
usage_error() {
	local what=$1 rc
	shift
	timeout 20 "$SW" enforce -o "$d/ev" "$@" >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 2 ] || fail "enforce $*: exit $rc, want 2" || return
	grep -qiF -- "$what" "$d/err" || fail "enforce $*: '$(head -1 "$d/err")' does not say '$what'" || return
	! grep -qE 'enforcing|Ctrl-C' "$d/err" || fail "enforce $*: enforcement started"
}

test_cli_errors() {
	local many=() i r
	for i in $(seq 17); do mkdir -p "$d/p$i" && many+=(--allow-path "$d/p$i"); done
	usage_error "not an absolute path" --allow-path relative/dir || return
	usage_error "too many path rules" "${many[@]}" || return
	usage_error "must name an existing file or directory" --allow-path "$d/missing" || return
	# overlayfs inode numbers come from several layers: a rule there is refused.
	mkdir -p "$d/lower" "$d/upper" "$d/work" "$d/ovl"
	if mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/ovl" 2>/dev/null; then
		usage_error "is on overlayfs" --allow-path "$d/ovl"
		r=$?
		umount "$d/ovl"
		[ "$r" = 0 ] || return
	fi
	usage_error "cannot open" --policy "$d/missing.yaml" || return
	printf 'dry_run: true\n' >"$d/p.yaml"
	usage_error "only one policy file" --policy "$d/p.yaml" --policy "$d/p.yaml" || return
	usage_error "not a cgroup v2 directory" --allow-cgroup /tmp || return
	usage_error "unknown signal" --signal NOPE || return
}

# ---- lifetime and who is never signalled ----------------------------------------

# splicewatch killed with SIGKILL cannot clean up: nothing may stay attached.
# The BPF objects it held (by id, from its fdinfo: a reaped process has no name
# in `bpftool prog show`) must all be gone, and a write into held bytes then lands.
test_sigkill_stops_enforcement() {
	local pid ids left
	command -v bpftool >/dev/null || { why="bpftool is not installed"; return 77; }
	start_sw enforce || return
	pid=$swpid
	ids=$(bpf_ids "$pid")
	[[ $ids == *prog_id:* && $ids == *link_id:* ]] || fail "no BPF programs or links in splicewatch's fdinfo: $ids" || return
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	swpid=""
	# Freed within 0.1 s here: allow 5 s.
	wait_bpf_ids_freed "$ids" 5
	left=$ids_left
	[ -z "$left" ] || fail "BPF objects of the killed splicewatch ($pid) still loaded:$left" || return
	wl a "$d/f" || return
	if [ "$(kv a status)" = signal:9 ]; then
		fail "writer killed after splicewatch was SIGKILLed: enforcement outlived it"
		return
	fi
	[ "$(kv a status)" = exit:0 ] && [ "$(kv a file)" = WWWWWWWW ] && [ "$(kv a pipe)" = WWWWWWWW ] ||
		fail "writer $(kv a status), file $(kv a file), pipe $(kv a pipe): want exit:0 and the write landed"
}

# splicewatch's own writes are never acted on: hold its output file's first page
# in a pipe, then make an (allowed) event: writing that event is an unsafe write
# by splicewatch itself. It is neither signalled nor reported (each report would
# be another such write); the pipe's bytes prove its write landed in the held page.
test_self_never_signalled() {
	local h i me
	start_sw enforce --allow-comm ew-allowed || return
	me=$swpid
	truncate -s 8192 "$d/ev"	# bytes at the offset splicewatch writes next
	"$WL" hold "$d/ev" "$d/held" "$d/done" "$d/pipe" 2>"$d/h.err" &
	h=$!
	bg+=("$h")
	for ((i = 0; i < 500; i++)); do [ -e "$d/held" ] && break; sleep 0.02; done
	[ -e "$d/held" ] || fail "hold never ready: $(cat "$d/h.err")" || return
	# -o appends: its writes reach the held page once the file ends inside it.
	"$PY" -c 'import ctypes, os, sys
ctypes.CDLL(None).prctl(15, b"ew-allowed", 0, 0, 0)
os.ftruncate(os.open(sys.argv[1], os.O_WRONLY), 1)' "$d/ev" || fail "ftruncate" || return
	wl a --comm ew-allowed "$d/f" || return
	# Until splicewatch has written the event (into the held page), 5 s at most.
	for ((i = 0; i < 250; i++)); do grep -q '"comm":"ew-allowed"' "$d/ev" 2>/dev/null && break; sleep 0.02; done
	sleep 0.3
	touch "$d/done"
	wait "$h" || fail "hold workload: $(cat "$d/h.err")" || return
	kill -0 "$swpid" 2>/dev/null || fail "splicewatch died: $(tail -2 "$d/swerr")" || return
	stop_sw
	[ "$swrc" = 0 ] || fail "splicewatch exited $swrc" || return
	no_silent_kill a || return
	# Ground truth: the pipe delivers splicewatch's event, not the zeros it held.
	grep -q '"comm":"ew-allowed"' "$d/pipe" ||
		fail "the held page never got splicewatch's write (pipe: $(tr -d '\0' <"$d/pipe" | cut -c1-120)): nothing tested" || return
	"$PY" - "$d/ev" "$me" <<-'EOF' >/dev/null 2>"$d/py.err" || fail "splicewatch reported its own write, or nothing: $(tail -1 "$d/py.err") $(tr -d '\0' <"$d/ev" | cut -c1-300)"
	import json, sys
	e = [json.loads(l.strip("\0\n ")) for l in open(sys.argv[1], errors="replace") if l.strip("\0\n ")]
	mine = [x for x in e if str(x["pid"]) == sys.argv[2]]
	assert not mine, mine
	assert [(x["comm"], x["op"], x["action"]) for x in e] == [("ew-allowed", "ftruncate", "allowed"), ("ew-allowed", "pwrite64", "allowed")], e
	EOF
}

T help test_help
T kill_default test_kill_default
T dry_run test_dry_run
T policy_node test_policy_node
T allow_comm test_allow_comm
T allow_pid test_allow_pid
T allow_cgroup test_allow_cgroup
T allow_path test_allow_path
T safe_nonoverlapping test_safe_nonoverlapping
T safe_drained test_safe_drained
T signal_usr1 test_signal_usr1
T thread_usr1 test_thread_usr1
T process_usr1_control test_process_usr1_control
T thread_kill test_thread_kill
T action_deny test_action_deny
T policy_dry_run test_policy_dry_run
T policy_allow_comm_cgroup test_policy_allow_comm_cgroup
T policy_allow_pid test_policy_allow_pid
T policy_allow_path test_policy_allow_path
T policy_signal_thread test_policy_signal_thread
T policy_cli_precedence test_policy_cli_precedence
T policy_deny test_policy_deny
T policy_deny_overridden test_policy_deny_overridden
T policy_malformed test_policy_malformed
T cli_errors test_cli_errors
T sigkill_stops_enforcement test_sigkill_stops_enforcement
T self_never_signalled test_self_never_signalled
run_tests
