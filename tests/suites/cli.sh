#!/usr/bin/env bash
# Command-line behaviour: help, version, bad input and privilege errors.
# Prints TAP (plan first, "ok NAME" / "not ok NAME: why" per test); exits 1 if
# a test failed.
cd "$(dirname "$0")/../.." || exit 2
sw=./splicewatch
nfail=0
echo 1..73

check() { # NAME WANT_STATUS GREP_PATTERN -- CMD...
	local name=$1 want=$2 pattern=$3 out rc
	shift 4
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" != "$want" ]; then
		echo "not ok $name: exit $rc, want $want: $(echo "$out" | head -2)"
		nfail=$((nfail + 1))
	elif [ -n "$pattern" ] && ! grep -qE -- "$pattern" <<<"$out"; then
		echo "not ok $name: output lacks /$pattern/: $(echo "$out" | head -2)"
		nfail=$((nfail + 1))
	else
		echo "ok $name"
	fi
}

check version_prints_version 0 '^splicewatch [0-9]+\.[0-9]+' -- $sw --version
check help_lists_every_command 0 'trace.*' -- $sw --help
for c in trace enforce features stats top; do
	check "${c}_help_exits_0" 0 "Usage: splicewatch $c" -- $sw $c --help
done
check no_command_is_usage_error 2 'Usage' -- $sw
check unknown_command_is_usage_error 2 "unknown command 'frobnicate'" -- $sw frobnicate
check trace_unknown_option_is_usage_error 2 'Try' -- $sw trace --bogus
check trace_bad_pid_is_usage_error 2 "is not a process id" -- $sw trace --pid abc
check trace_zero_pid_is_usage_error 2 "is not a process id" -- $sw trace --pid 0
check trace_long_comm_is_usage_error 2 "longer than" -- $sw trace --comm 0123456789abcdefXYZ
check trace_bad_aggregate_window_is_usage_error 2 "aggregate: .5x. is not a window" -- $sw trace --aggregate 5x
check trace_zero_duration_is_usage_error 2 "duration: .0. is not a number of seconds" -- $sw trace -d 0
check trace_unknown_uid_is_usage_error 2 "uid: .no-such-user-x. is neither a user name nor a uid" -- $sw trace -u no-such-user-x
check trace_bad_tid_is_usage_error 2 "tid: .abc. is not a thread id" -- $sw trace -t abc
check trace_c_is_cgroup_now 2 "cgroup: .flow-comm. is not a cgroup v2 directory" -- $sw trace -c flow-comm
check trace_relative_path_is_usage_error 2 "absolute" -- $sw trace --path relative/dir
check trace_missing_cgroup_is_usage_error 2 "cgroup v2 directory" -- $sw trace --cgroup /nonexistent/cg
check trace_bad_max_holds_is_usage_error 2 "max-holds" -- $sw trace --max-holds 5
check trace_zero_user_share_is_usage_error 2 "user-share: .0. is not a percentage" -- $sw trace --user-share 0
check trace_over_100_user_share_is_usage_error 2 "user-share: .101. is not a percentage" -- $sw trace --user-share 101
check trace_unknown_backend_is_usage_error 2 "backend" -- $sw trace --backend bogus
check trace_forced_backend_that_cannot_load_is_clear_error 2 "cannot be used on this kernel" -- $sw trace --backend kprobe
check trace_unwritable_output_is_clear_error 2 "cannot write to '/nonexistent/dir/out': 'nonexistent': No such file" -- $sw trace -o /nonexistent/dir/out
check enforce_unknown_signal_is_usage_error 2 "unknown signal 'SIGFOO'" -- $sw enforce --signal SIGFOO
check enforce_bad_allow_pid_is_usage_error 2 "is not a process id" -- $sw enforce --allow-pid -3
check enforce_unknown_action_is_usage_error 2 "is not kill or deny" -- $sw enforce --action maim
check enforce_unknown_fallback_is_usage_error 2 "is not kill or dry-run" -- $sw enforce --action deny --fallback deny
# --node: 1 to 253 printable ASCII characters, no spaces; on every command with JSON.
check trace_node_with_space_is_usage_error 2 "--node: 'a b' is not a node name: only printable" -- $sw trace --node 'a b'
check enforce_empty_node_is_usage_error 2 "--node: '' is not a node name: it is empty" -- $sw enforce --node ''
check ci_long_node_is_usage_error 2 "is not a node name: it is longer than 253" -- $sw ci --node "$(printf 'n%.0s' {1..254})" -- true
check stats_control_char_node_is_usage_error 2 "is not a node name" -- $sw stats --node $'a\tb'
check top_has_no_node_option 2 "unrecognized option '--node'" -- $sw top --node x
printf 'version: 1\nnode: "edge 7"\n' >"${TMPDIR:-/tmp}/sw-cli-node.$$.yaml"
check policy_bad_node_rejected_before_loading 2 ':2: node: not a node name: only printable' -- \
	$sw enforce --policy "${TMPDIR:-/tmp}/sw-cli-node.$$.yaml"
rm -f "${TMPDIR:-/tmp}/sw-cli-node.$$.yaml"
features_schema() { # features --json against docs/events.schema.json
	local f r
	f=$(mktemp)
	$sw features --json >"$f" && tests/check-events.py "$f"
	r=$?
	rm -f "$f"
	return $r
}
check features_json_matches_schema 0 '' -- features_schema
# This kernel shares pages on splice (swtest proves it byte by byte); the probe must say so.
check features_probes_that_splice_shares_pages 0 'splice pages: tmpfs: shared, /var/tmp: shared' -- $sw features
# A held page's address (docs/content-checks.md): some way passes the check
# on nonce pages (here: learnt; ksym in the x86-64 VMs, constants on arm64:
# tests/vm/page-address.sh), learnt passes when it is the only way tried, a
# base that reads the next page frame fails it, and a way that is not one is
# named.
check features_page_address_found 0 '^page address: +(ksym|constants|learnt): .*\(checked on nonce pages\)$' -- \
	$sw features
check features_page_address_learnt_when_forced 0 '^page address: +learnt: from a nonce page' -- \
	env SPLICEWATCH_PAGE_ADDR=learnt $sw features
check features_page_address_next_frame_refused 0 '^page address: +none: .*learnt: no linear map base passed the nonce check$' -- \
	env SPLICEWATCH_TEST_PAGE_ADDR_SKEW=1 $sw features
check features_page_address_unknown_way_named 0 '^page address: +unknown: SPLICEWATCH_PAGE_ADDR=bogus: not ksym, constants or learnt$' -- \
	env SPLICEWATCH_PAGE_ADDR=bogus $sw features
# enforce --verify --action deny: no permission hook sees a splice out of a
# pipe, so a reader cannot be denied: --fallback must say what it gets.
check enforce_verify_deny_needs_fallback 2 'cannot be denied; say what to do with it: --fallback kill or --fallback dry-run' -- \
	$sw enforce --verify --action deny
# No page address (every way one frame off): --verify refuses to start, says
# why, and the output file is not created.
verify_refused_output_untouched() {
	local f="${TMPDIR:-/tmp}/sw-cli-verify.$$" r
	env SPLICEWATCH_TEST_PAGE_ADDR_SKEW=1 $sw trace --verify -o "$f"
	r=$?
	[ ! -e "$f" ] || { echo "$f was created"; rm -f "$f"; return 1; }
	return $r
}
check verify_without_page_address_refused_output_untouched 2 \
	'^splicewatch: --verify: the bytes of held pages cannot be read here: .*nonce check' -- verify_refused_output_untouched
check verify_not_for_stats 2 "unrecognized option '--verify'" -- $sw stats --verify
check features_lists_io_uring_tracepoint 0 'io_uring_complete +found' -- $sw features
check features_reports_preemption_model 0 \
	'^preemption: +(none|voluntary|full|lazy|rt|none or voluntary|unknown) \(' -- $sw features
check features_backup_hooks_forced_on 0 '^backup hooks: on: .*\(SPLICEWATCH_BACKUP_HOOKS\)$' -- \
	env SPLICEWATCH_BACKUP_HOOKS=1 $sw features
check features_backup_hooks_forced_off 0 '^backup hooks: off.*\(SPLICEWATCH_BACKUP_HOOKS\)$' -- \
	env SPLICEWATCH_BACKUP_HOOKS=0 $sw features
# The syscall attach of every backend, text and JSON alike; the tracepoint
# backend hooks syscalls raw (tp_btf/sys_enter + sys_exit) on every kernel.
check features_shows_syscall_attach_per_backend 0 \
	'^syscall attach: fentry: (raw|per-syscall|none), kprobe: (raw|per-syscall|none), tracepoint: raw$' -- \
	$sw features
check features_json_syscall_attach_per_backend 0 '^raw (raw|per-syscall|none) (raw|per-syscall|none)$' -- \
	sh -c "$sw features --json | jq -r '.syscall_attach | [.tracepoint, .fentry, .kprobe] | join(\" \")'"
# none on fentry and kprobe by default on a kernel with the main programs and
# every function it needs (this one); raw when asked for (docs/syscall-attach.md).
check features_syscall_attach_none_by_default 0 \
	'^syscall attach: fentry: none, kprobe: none, tracepoint: raw$' -- \
	env -u SPLICEWATCH_SYSCALL_ATTACH $sw features
check features_syscall_attach_raw_when_asked 0 \
	'^syscall attach: fentry: raw, kprobe: raw, tracepoint: raw$' -- \
	env SPLICEWATCH_SYSCALL_ATTACH=raw $sw features
check features_syscall_attach_unknown_value_said 0 \
	'SPLICEWATCH_SYSCALL_ATTACH=Raw: neither raw nor none, ignored' -- \
	env SPLICEWATCH_SYSCALL_ATTACH=Raw $sw features
# Where the model comes from the kernel's config or from debugfs, it is their choice.
src=$($sw features | sed -n 's/^preemption: *[^(]*(\([^)]*\)).*/\1/p')
case $src in
"kernel config")
	cfg=/boot/config-$(uname -r)
	[ -r "$cfg" ] || cfg=/proc/config.gz
	want=$(zcat -f "$cfg" | sed -n 's/^CONFIG_PREEMPT_NONE=y$/none/p; s/^CONFIG_PREEMPT_VOLUNTARY=y$/voluntary/p;
		s/^CONFIG_PREEMPT=y$/full/p; s/^CONFIG_PREEMPT_LAZY=y$/lazy/p' | head -n 1)
	check features_preemption_model_is_its_sources 0 "^preemption: +$want \\(kernel config\\)" -- $sw features
	;;
debugfs)
	want=$(sed -n 's/.*(\([a-z]*\)).*/\1/p' /sys/kernel/debug/sched/preempt)
	check features_preemption_model_is_its_sources 0 "^preemption: +$want \\(debugfs\\)" -- $sw features
	;;
*) echo "ok features_preemption_model_is_its_sources # SKIP taken from '$src' here, compared only with a kernel config or debugfs" ;;
esac
if id nobody >/dev/null 2>&1; then
	check trace_as_non_root_is_clear_error 2 "missing capabilities CAP_BPF \\(.*\\), CAP_PERFMON \\(" -- setpriv --reuid=nobody --regid=nogroup --clear-groups $sw trace
	check enforce_as_non_root_is_clear_error 2 "missing capabilities CAP_BPF \\(.*\\), CAP_PERFMON \\(" -- setpriv --reuid=nobody --regid=nogroup --clear-groups $sw enforce
else
	echo "ok trace_as_non_root_is_clear_error # SKIP no user nobody"
	echo "ok enforce_as_non_root_is_clear_error # SKIP no user nobody"
fi

# The field reference (docs/events.md, the man page's JSON FIELDS) is what
# scripts/gen-events-doc.py makes of docs/events.schema.json.
check events_doc_generated_from_schema 0 '' -- python3 scripts/gen-events-doc.py --check

# The schema check every suite runs on the JSON its tests leave
# (tests/suite-lib.sh: check_json_records) fails a drifted record, with the
# key and the line: an extra key, a wrong type; a record as splicewatch
# writes it passes.
drift=$(mktemp -d)
good='{"ts_ns":1,"time_ns":1796399660678729280,"time":"2026-12-04T15:54:20.678729280Z","node":"n1","event":"unsafe_write","op":"pwrite64","pid":2,"tid":2,"comm":"w","uid":0,"cgroup_id":1,"dev":"254:0","ino":3,"path":"/f","write_offset":0,"write_len":4,"held_offset":0,"held_len":4096,"pipe_ino":4,"splicer_pid":2,"splicer_comm":"s","splicer_uid":0,"pipe_uid":0,"holder_trusted":true,"held_ns":5,"action":"reported"}'
mkdir -p "$drift/good" "$drift/extra" "$drift/type"
printf '%s\n' "$good" >"$drift/good/ev"
printf '%s\n%s\n' "$good" "${good/\"held_ns\"/\"held_by\":1,\"held_ns\"}" >"$drift/extra/ev"
printf '%s\n' "${good/\"dev\":\"254:0\"/\"dev\":65024}" >"$drift/type/ev"
check_records() { # DIR: check_json_records as the suites run it, its $why
	( . tests/suite-lib.sh; check_json_records "$1" || { echo "$why"; exit 1; } )
}
check schema_check_passes_a_record_as_written 0 '' -- check_records "$drift/good"
check schema_check_fails_an_extra_key 1 "ev:2: \(record\): Additional properties are not allowed \('held_by' was unexpected\)" -- \
	check_records "$drift/extra"
check schema_check_fails_a_wrong_type 1 "ev:1: dev: 65024 is not of type 'string'" -- check_records "$drift/type"
rm -rf "$drift"

# `splicewatch help [COMMAND]`, and -v after the sub-command.
check help_command_is_global_usage 0 'Usage: splicewatch \[-v\] COMMAND' -- $sw help
check help_command_gives_command_usage 0 'Usage: splicewatch stats' -- $sw help stats
check help_unknown_command_is_usage_error 2 "help: unknown command 'frobnicate'" -- $sw help frobnicate
# -v taken where the sub-command's options are: the bad pid is the error, not -v.
check verbose_after_subcommand_accepted 2 "is not a process id" -- $sw trace -v --pid abc
check verbose_long_after_subcommand_accepted 2 "is not a process id" -- $sw enforce --verbose --pid abc

# Every option a command's --help defines is in the man page, as a .TP tag of
# that command's section (or of the sections it shares).
man_tags() { # "SECTION<TAB>TAG" per .TP tag, troff escapes undone
	awk '
		/^\.SH / { sec = substr($0, 5); gsub(/"/, "", sec); next }
		tp { line = $0; gsub(/\\-/, "-", line); gsub(/\\f[RIBP]/, "", line); gsub(/"/, "", line)
		     sub(/^\.[A-Z]+ /, "", line); print sec "\t" line; tp = 0; next }
		/^\.TP/ { tp = 1 }' man/splicewatch.8
}
help_opts() { # CMD...: the options its usage defines (option lines, the synopsis' brackets)
	$sw "$@" --help | grep -E '^ {2,6}-' | grep -oE '^ +(-[a-zA-Z], )?--?[a-zA-Z][a-zA-Z0-9-]*' | tr ',' '\n' | tr -d ' '
	$sw "$@" --help | grep '^Usage:' | grep -oE '\[--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d '['
}
tags=$(man_tags)
for spec in "global:GLOBAL OPTIONS" "trace:TRACE OPTIONS" "enforce:ENFORCE OPTIONS|TRACE OPTIONS" \
	"ci:CI OPTIONS|TRACE OPTIONS" "stats:STATS AND TOP OPTIONS" "top:STATS AND TOP OPTIONS" \
	"features:FEATURES OPTIONS"; do
	c=${spec%%:*}
	secs="${spec#*:}|GLOBAL OPTIONS"
	args=()
	[ "$c" = global ] || args=("$c")
	missing=""
	nopts=0
	for o in $(help_opts "${args[@]}" | sort -u); do
		nopts=$((nopts + 1))
		grep -E "^($secs)	" <<<"$tags" | grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|\$)" || missing+=" $o"
	done
	if [ "$nopts" = 0 ]; then
		echo "not ok man_page_documents_${c}_options: no options found in its --help"
		nfail=$((nfail + 1))
	elif [ -n "$missing" ]; then
		echo "not ok man_page_documents_${c}_options: not in the man page's ${spec#*:}:$missing"
		nfail=$((nfail + 1))
	else
		echo "ok man_page_documents_${c}_options # $nopts options"
	fi
done
[ "$nfail" = 0 ]
