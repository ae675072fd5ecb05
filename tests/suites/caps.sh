#!/usr/bin/env bash
# Capabilities, not uid (issue 19; src/caps.c, PRIVILEGES in splicewatch(8)):
# uid 65534 given exactly CAP_BPF and CAP_PERFMON (ambient, or as file
# capabilities) traces and reports a real unsafe write, keeping only the
# table's capabilities; without one it exits 2 naming exactly the missing
# ones, before libbpf says anything; enforce kills with just those two; root
# without CAP_SYS_RESOURCE runs; ci
# names CAP_DAC_OVERRIDE for its cgroup, and its COMMAND runs with no
# capabilities at all; --prometheus on a privileged port names
# CAP_NET_BIND_SERVICE; features says what is present and missing.
# Prints TAP; exits 1 if a test failed, 2 if it cannot run.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
ROOT=$PWD
SW=$ROOT/splicewatch
WL=$ROOT/tests/build/reliability_workload
BG_SIGNAL=KILL
suite_setup caps tests/build/reliability_workload
for tool in setpriv capsh setcap; do
	command -v "$tool" >/dev/null || { echo "caps.sh needs $tool (scripts/deps.sh)" >&2; exit 2; }
done
chmod 755 "$tmp"
NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups)
# nobody_caps CAPS: NC=(the command prefix running a program as uid 65534 with
# exactly CAPS, setpriv names "+bpf,+perfmon", inheritable and ambient so that
# they survive exec into splicewatch; setpriv execs it: same pid).
nobody_caps() {
	NC=("${NOBODY[@]}" --inh-caps "$1" --ambient-caps "$1")
}

# The capability bits the tests compare with /proc/PID/status.
CAP_DAC_OVERRIDE=$((1 << 1))
CAP_PERFMON=$((1 << 38))
CAP_BPF=$((1 << 39))

# capsets PID: "Inh Prm Eff Amb" of PID, as decimal numbers.
capsets() {
	local f
	for f in CapInh CapPrm CapEff CapAmb; do
		printf '%d ' "0x$(sed -n "s/^$f:[[:space:]]*//p" "/proc/$1/status")"
	done
}
capsets_of() { # STATUS_FILE: the same, of a saved /proc/PID/status
	local f
	for f in CapInh CapPrm CapEff CapAmb; do
		printf '%d ' "0x$(sed -n "s/^$f:[[:space:]]*//p" "$1")"
	done
}

# nobody_dir: $d/nobody, a directory uid 65534 owns.
nobody_dir() {
	chmod 755 "$d"
	mkdir -p "$d/nobody"
	chown 65534:65534 "$d/nobody"
}

# start_as NAME CMD...: CMD (which execs splicewatch) in the background,
# stdout in $d/NAME.out, stderr in $d/NAME.err, until attached; pid in $swpid.
start_as() {
	local name=$1
	shift
	"$@" >"$d/$name.out" 2>"$d/$name.err" &
	swpid=$!
	bg+=("$swpid")
	wait_started "$swpid" "$d/$name.err" && return 0
	fail "$* did not start: $(head -3 "$d/$name.err")"
}

# reported FILE EVENTS PATH: EVENTS (JSON Lines) has one unsafe pwrite64 into PATH.
reported() {
	"$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ev = [e for e in ev if e.get("event") == "unsafe_write"]
assert [(e["op"], e["path"], e["uid"]) for e in ev] == [("pwrite64", sys.argv[2], 65534)], ev' "$1" "$2" 2>&1
}

# refused_with NAME WANT_LINE CMD...: CMD exits 2 with nothing on stdout and exactly
# the one stderr line WANT_LINE (a regular expression, whole line): nothing of
# libbpf, no other capability named.
refused_with() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$d/$name.out" 2>"$d/$name.err"
	rc=$?
	[ "$rc" = 2 ] || fail "$*: exit $rc, want 2: $(head -2 "$d/$name.err")" || return
	[ ! -s "$d/$name.out" ] || fail "$*: printed on stdout: $(head -2 "$d/$name.out")" || return
	if [ "$(wc -l <"$d/$name.err")" != 1 ] || ! grep -qxE -- "$want" "$d/$name.err"; then
		fail "$*: want the one line /$want/, got: $(head -3 "$d/$name.err" | tr '\n' '|')"
	fi
}

# ---- trace as uid 65534 ---------------------------------------------------------

# Exactly CAP_BPF and CAP_PERFMON, ambient: attaches, reports a real splice +
# pwrite64 by uid 65534, exits 0 on SIGINT; its capability sets once
# started are exactly those two, nothing inheritable or ambient left.
test_trace_as_nobody_with_bpf_perfmon() {
	local want out
	nobody_dir
	nobody_caps +bpf,+perfmon
	start_as trace "${NC[@]}" "$SW" trace --json -o "$d/nobody/ev" || return
	want="0 $((CAP_BPF | CAP_PERFMON)) $((CAP_BPF | CAP_PERFMON)) 0 "
	out=$(capsets "$swpid")
	[ "$out" = "$want" ] || { end_sw "$swpid"; fail "Inh Prm Eff Amb of trace: $out, want $want"; return; }
	"${NOBODY[@]}" "$WL" unsafe "$d/nobody/f" 1 >/dev/null 2>"$d/wl.err" ||
		{ end_sw "$swpid"; fail "workload: $(cat "$d/wl.err")"; return; }
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "trace exited $src: $(tail -2 "$d/trace.err")" || return
	out=$(reported "$d/nobody/ev" "$d/nobody/f") || fail "events: $out"
}

# File capabilities this time, more than the table's (CAP_SYS_ADMIN,
# CAP_DAC_OVERRIDE, CAP_NET_RAW, CAP_NET_BIND_SERVICE too): trace keeps
# exactly CAP_BPF and CAP_PERFMON, permitted and effective, nothing else.
test_trace_keeps_only_the_tables_capabilities() {
	local want out
	cp "$SW" "$d/sw"
	chmod 755 "$d" "$d/sw"
	setcap cap_bpf,cap_perfmon,cap_sys_admin,cap_dac_override,cap_net_raw,cap_net_bind_service+ep "$d/sw" ||
		{ why="setcap failed on $d (no xattrs?)"; return 77; }
	nobody_dir
	start_as trace "${NOBODY[@]}" "$d/sw" trace --json -o "$d/nobody/ev" || return
	want="0 $((CAP_BPF | CAP_PERFMON)) $((CAP_BPF | CAP_PERFMON)) 0 "
	out=$(capsets "$swpid")
	end_sw "$swpid"
	[ "$out" = "$want" ] || fail "Inh Prm Eff Amb of trace with file capabilities: $out, want $want" || return
	[ "$src" = 0 ] || fail "trace exited $src: $(tail -2 "$d/trace.err")"
}

# CAP_BPF alone: exit 2 naming CAP_PERFMON and nothing else, one line, no
# libbpf message; the output file is never made.
test_trace_without_perfmon_names_it() {
	nobody_dir
	nobody_caps +bpf
	refused_with trace 'splicewatch: trace: missing capability CAP_PERFMON \(to attach tracing programs\); .*' \
		"${NC[@]}" "$SW" trace --json -o "$d/nobody/ev" || return
	[ ! -e "$d/nobody/ev" ] || fail "the output file was made"
}

# enforce as uid 65534 with exactly CAP_BPF and CAP_PERFMON kills an unsafe
# writer (uid 65534, its own file): the programs send the signal
# (bpf_send_signal), nothing more is needed.
test_enforce_as_nobody_kills() {
	local rc out
	nobody_dir
	nobody_caps +bpf,+perfmon
	start_as enforce "${NC[@]}" "$SW" enforce --json -o "$d/nobody/ev" || return
	"${NOBODY[@]}" "$WL" unsafe "$d/nobody/f" 1 >/dev/null 2>"$d/wl.err"
	rc=$?
	sleep 0.3
	end_sw "$swpid"
	[ "$rc" = 137 ] || fail "the writer exited $rc, want 137 (SIGKILL): $(cat "$d/wl.err")" || return
	[ "$src" = 0 ] || fail "enforce exited $src: $(tail -2 "$d/enforce.err")" || return
	out=$("$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ev = [e for e in ev if e.get("event") == "unsafe_write"]
assert [(e["op"], e["action"]) for e in ev] == [("pwrite64", "killed")], ev' "$d/nobody/ev" 2>&1) ||
		fail "events: $out"
}

# Neither: both named, in one line (enforce).
test_enforce_without_any_names_both() {
	refused_with enforce 'splicewatch: enforce: missing capabilities CAP_BPF \(to load the programs\), CAP_PERFMON \(to attach tracing programs\); .*' \
		"${NOBODY[@]}" "$SW" enforce
}

# ---- root without CAP_SYS_RESOURCE ---------------------------------------------

# Kernels since 5.11 account BPF memory to the memory cgroup: root without
# CAP_SYS_RESOURCE (capsh --drop) attaches and reports.
test_root_without_sys_resource_runs() {
	local out prm
	[ "$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)" != 0 ] || { why="root has no capabilities here"; return 77; }
	nobody_dir
	start_as trace capsh --drop=cap_sys_resource -- -c "exec '$SW' trace --json -o '$d/ev'" || return
	out=$(capsets "$swpid")
	prm=$(cut -d' ' -f2 <<<"$out")
	((prm & (1 << 24))) && { end_sw "$swpid"; fail "trace has CAP_SYS_RESOURCE: $out"; return; }
	"${NOBODY[@]}" "$WL" unsafe "$d/nobody/f" 1 >/dev/null 2>"$d/wl.err" ||
		{ end_sw "$swpid"; fail "workload: $(cat "$d/wl.err")"; return; }
	sleep 0.3
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "trace exited $src: $(tail -2 "$d/trace.err")" || return
	out=$(reported "$d/ev" "$d/nobody/f") || fail "events: $out"
}

# ---- ci ------------------------------------------------------------------------

# --scope cgroup as uid 65534 without CAP_DAC_OVERRIDE: exit 2 naming it
# alone, COMMAND never run, no cgroup made.
test_ci_without_dac_override_names_it() {
	nobody_dir
	nobody_caps +bpf,+perfmon
	refused_with ci "splicewatch: ci: missing capability CAP_DAC_OVERRIDE \\(to make COMMAND's cgroup\\); .*" \
		"${NC[@]}" "$SW" ci -- touch "$d/nobody/ran" || return
	[ ! -e "$d/nobody/ran" ] || fail "COMMAND ran"
}

# uid 65534 with CAP_BPF, CAP_PERFMON and CAP_DAC_OVERRIDE: COMMAND (an unsafe
# write) runs with no capabilities at all; splicewatch meanwhile keeps the
# three permitted, CAP_DAC_OVERRIDE not effective; exit 3 (the write found),
# COMMAND's cgroup removed.
test_ci_command_runs_without_capabilities() {
	local out want rc cg
	nobody_dir
	nobody_caps +bpf,+perfmon,+dac_override
	# shellcheck disable=SC2016 # COMMAND expands them
	"${NC[@]}" "$SW" ci -- sh -c \
		'cat /proc/self/status >"$1/self"; cat /proc/$PPID/status >"$1/parent"; sed -n "s/^0:://p" /proc/self/cgroup >"$1/cgroup"; exec "$2" unsafe "$1/f" 1' \
		_ "$d/nobody" "$WL" >"$d/ci.out" 2>"$d/ci.err"
	rc=$?
	[ -s "$d/nobody/self" ] && [ -s "$d/nobody/parent" ] || fail "COMMAND did not run: $(tail -2 "$d/ci.err")" || return
	out=$(capsets_of "$d/nobody/self")
	[ "$out" = "0 0 0 0 " ] || fail "COMMAND's Inh Prm Eff Amb: $out, want none" || return
	want="0 $((CAP_BPF | CAP_PERFMON | CAP_DAC_OVERRIDE)) $((CAP_BPF | CAP_PERFMON)) 0 "
	out=$(capsets_of "$d/nobody/parent")
	[ "$out" = "$want" ] || fail "splicewatch ci's Inh Prm Eff Amb while COMMAND ran: $out, want $want" || return
	[ "$rc" = 3 ] || fail "ci exited $rc, want 3: $(tail -2 "$d/ci.err")" || return
	cg=$(cat "$d/nobody/cgroup")
	case $cg in /splicewatch-ci.*) ;; *) fail "COMMAND ran in cgroup '$cg'"; return ;; esac
	[ -z "$(find /sys/fs/cgroup -maxdepth 2 -name "${cg#/}" 2>/dev/null)" ] || fail "cgroup $cg left behind"
}

# ---- stats, features -------------------------------------------------------------

# --prometheus on a privileged port, without CAP_NET_BIND_SERVICE: named alone.
test_stats_privileged_port_names_net_bind_service() {
	local start
	start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	[ "$start" -gt 1 ] || { why="net.ipv4.ip_unprivileged_port_start is $start: no privileged port"; return 77; }
	nobody_caps +bpf,+perfmon
	refused_with stats 'splicewatch: stats: missing capability CAP_NET_BIND_SERVICE \(to bind a privileged port\); .*' \
		"${NC[@]}" "$SW" stats --count 1 --prometheus "127.0.0.1:$((start - 1))"
}

# The same for trace, whose listener is bound before anything loads: the
# capability named, not a bind error.
test_trace_privileged_port_names_net_bind_service() {
	local start
	start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	[ "$start" -gt 1 ] || { why="net.ipv4.ip_unprivileged_port_start is $start: no privileged port"; return 77; }
	nobody_caps +bpf,+perfmon
	refused_with trace 'splicewatch: trace: missing capability CAP_NET_BIND_SERVICE \(to bind a privileged port\); .*' \
		timeout 20 "${NC[@]}" "$SW" trace --prometheus "127.0.0.1:$((start - 1))"
}

# features --json as uid 65534 with CAP_BPF: CAP_PERFMON missing, CAP_BPF
# present, cannot load; as root (this host: no CAP_SYS_RESOURCE, 6.x) all
# it needs present, CAP_SYS_RESOURCE not needed.
test_features_reports_capabilities() {
	local out
	nobody_caps +bpf
	out=$("${NC[@]}" "$SW" features --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
c = d["capabilities"]
assert (c["CAP_BPF"], c["CAP_PERFMON"], c["CAP_DAC_OVERRIDE"], d["can_load"], d["fentry_probed"]) == \
    ("present", "missing", "missing", False, False), d' 2>&1) || fail "as nobody: $out" || return
	out=$(capsh --drop=cap_sys_resource -- -c "exec '$SW' features --json" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
c = d["capabilities"]
assert (c["CAP_BPF"], c["CAP_PERFMON"], c["CAP_SYS_RESOURCE"], d["can_load"]) == \
    ("present", "present", "not_needed", True), d' 2>&1) || fail "as root: $out"
}

# The learnt page address needs a page frame number, which pagemap gives
# only to CAP_SYS_ADMIN: uid 65534 with CAP_BPF and CAP_PERFMON loads the
# probe, vmsplices its nonce pages and is told why it has no address (no way
# passes here: no ksym, no arm64 constants), never a guessed one.
test_features_page_address_learnt_needs_sys_admin() {
	local out
	nobody_caps +bpf,+perfmon
	out=$(SPLICEWATCH_PAGE_ADDR=learnt "${NC[@]}" "$SW" features --json | "$PY" -c '
import json, sys
p = json.load(sys.stdin)["page_address"]
assert p == {"way": "none", "detail": "learnt: /proc/self/pagemap gives no PFN (needs CAP_SYS_ADMIN)"}, p' 2>&1) ||
		fail "as nobody: $out"
}

T trace_as_nobody_with_bpf_perfmon test_trace_as_nobody_with_bpf_perfmon
T trace_keeps_only_the_tables_capabilities test_trace_keeps_only_the_tables_capabilities
T trace_without_perfmon_names_it test_trace_without_perfmon_names_it
T enforce_as_nobody_kills test_enforce_as_nobody_kills
T enforce_without_any_names_both test_enforce_without_any_names_both
T root_without_sys_resource_runs test_root_without_sys_resource_runs
T ci_without_dac_override_names_it test_ci_without_dac_override_names_it
T ci_command_runs_without_capabilities test_ci_command_runs_without_capabilities
T stats_privileged_port_names_net_bind_service test_stats_privileged_port_names_net_bind_service
T trace_privileged_port_names_net_bind_service test_trace_privileged_port_names_net_bind_service
T features_reports_capabilities test_features_reports_capabilities
T features_page_address_learnt_needs_sys_admin test_features_page_address_learnt_needs_sys_admin
run_tests
