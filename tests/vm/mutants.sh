#!/usr/bin/env bash
# tests/vm/mutants.sh - mutation checks of the test harness (issue 23): each
# mutant breaks one behaviour a check guards, and the check must then fail,
# for its own reason. Not part of make test.
#
#   tests/vm/mutants.sh [--host] [--vm] [--arm64] [--bpf] [--kernel K] [-j N]
#
# Prints "ok mutant/NAME" when the mutant was killed (the suite failed, with
# the expected reason), "not ok mutant/NAME: why" when it survived, and
# "ok control/NAME" / "not ok control/NAME" for the unmutated runs each
# mutant is read against; a TAP plan at the end; exit status 1 if any line
# failed. Loads BPF programs and boots VMs: run it under the test lock,
#   flock /tmp/splicewatch-test.lock tests/vm/mutants.sh
#
# Host mutants (swtest on the running kernel, seconds each):
#   late-write      a swtest build (-DSWTEST_MUTANT_LATE_WRITE) where the bytes
#                   of every write enforce kills at entry land anyway, as if
#                   the kill had arrived after the write: every such pair must
#                   fail on the file's or the pipe's bytes, among them the ten
#                   that checked only the writer's death before (one_byte,
#                   megabyte, resize, large folio, second_splicer)
#   late-write-file-only  the same with the pipe left unread
#                   (-DSWTEST_MUTANT_NO_PIPE_CHECK): the file's bytes alone
#   lost-records    splicewatch's exit summary says 3 lost records
#   event-line-unread  the summary counts one event more (detected and shown)
#                   than swtest read from the -o file
#   drop-ignored-tracepoint  SPLICEWATCH_TEST_DROP=enter never reaches
#                   splicewatch (a wrapper unsets it): the runs are plain repeats
# VM mutants (tests/vm copied, guest-swtest.sh patched; one VM each, kernel K
# (default 6.12), backend tracepoint, swtest filter 'pwrite64_into*'):
#   fake-warn       the guest logs "WARNING: CPU: 0 PID: 1 at ..." to the console
#   taint-warn      the guest sets the W taint flag
#   dies-after-last-suite  the guest powers off after its last suite
#   truncated-log   one "ok" line of swtest's output is lost on the way
#   status-lies     the guest reports exit status 1 for a suite that passed
#   drop-disabled   trace-noenter without SPLICEWATCH_TEST_DROP (plain trace)
# arm64 mutants (a copy of the tree, patched, built with make ARCH=arm64;
# tests/vm/arm64-features.sh on arm64/6.1 and arm64/6.12):
#   probe-loads-only  the fentry/BPF LSM probe only loads its program, as on
#                   x86-64, and never attaches it: on arm64/6.1 (loads them,
#                   cannot attach: 524) features says fentry yes
#   arg1-from-x0    the programs read syscall argument 1 from x0, which
#                   holds the return value by sys_exit, not orig_x0: the
#                   tracepoint backend learns a sendfile's hold at sys_exit
#                   from argument 1 (the pipe), so arm64/6.12's
#                   sendfile_to_pipe scenario must fail
# BPF mutants (a copy of the tree, patched, built; one VM each, kernel K,
# backend fentry, syscall attach none):
#   deny-retry-keeps-mark  lsm/file_permission refuses a write but leaves
#                   the write mark of its check: a refused write does not raise
#                   the task's write count, so the same pwrite retried passes as
#                   checked and lands; the deny suite's
#                   pwrite64_repeated_into_held_range_is_checked_each_time
#                   and its unprivileged writer's twin must fail
#   kernel-writer-idle  the crypto request hooks check nothing: the
#                   verify suite's kernel_aead-is-named tests (6.1, where the
#                   test module is built) and the no-hold-known one must
#                   fail, and enforce's submitter of the in-place AES-GCM is
#                   not killed for it
#   kernel-writer-backups-unloaded  the fentry kernel-writer hooks' backup
#                   copies never load: 6.1's plain trace, its first copies
#                   dropped, names nothing (backup-copies-name-kernel-
#                   writers-first-copies-skipped and kernel_aead-is-named fail)
#   unheld-writers-ignored  with no hold known, a file open for writing is
#                   reported too: kTLS receiving into a shared mapping of a
#                   file is, and so is dm-crypt decrypting an O_DIRECT read
#                   into one (6.1's verify suite, ktls-recv-into-shared-
#                   mapping-no-record, dmcrypt-direct-read-into-shared-
#                   mapping-no-record, no-hold-known-file-open-for-writing-
#                   no-record)
#   unheld-trusted  a write with no hold known is trusted: enforce kills
#                   its submitter (enforce-spares-writer-when-no-hold-known)
#   handoff-forgotten  the pages a pipe hands on to a socket are not
#                   remembered: the verify suite's
#                   kernel_aead-handed-to-a-socket-is-named tests (6.1) must
#                   fail, and enforce's submitter is not killed
#   uptodate-gate-forgotten  a page no hold is known of counts whether or
#                   not it is up to date: fscrypt's decryption of a file's
#                   pages as they are read is reported (6.1's verify suite,
#                   fscrypt-decrypting-a-read-no-record)
#   handoff-trusted-always  a hand-off is trusted whoever made it: root's
#                   in-place write to pages uid 65534 handed on to a socket
#                   gets root's task killed (6.1's verify suite,
#                   enforce-spares-writer-of-pages-another-user-handed-off)
#   handoff-refresh-ignores-uid  a hand-off equal to the one recorded but
#                   for its user refreshes that one: a task that handed
#                   pages on as root, took uid 65534 and handed them on
#                   again leaves them root's, and root's in-place write
#                   there gets root killed (6.1's verify suite,
#                   enforce-spares-writer-of-pages-handed-off-again-after-setuid)
#   softirq-task-acted-on  decide() ignores in_softirq: the task a softirq
#                   writing in place interrupts is killed (6.1's verify
#                   suite, enforce-spares-task-a-softirq-interrupts)
#   deny-skips-open-trunc  lsm/file_truncate leaves open(O_TRUNC) alone
#                   (6.2+): the cut lands, and do_truncate, which leaves an
#                   open syscall's cut to the LSM under deny, reports
#                   nothing; the deny suite's open_o_trunc scenarios (the
#                   unprivileged writer's too) must fail
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
HOST=0 VM=0 ARM64=0 BPF=0 KERNEL=6.12 JOBS=2
while [ $# -gt 0 ]; do
	case "$1" in
	--host) HOST=1; shift ;;
	--vm) VM=1; shift ;;
	--arm64) ARM64=1; shift ;;
	--bpf) BPF=1; shift ;;
	--kernel) KERNEL=${2:?}; shift 2 ;;
	-j) JOBS=${2:?}; shift 2 ;;
	*) echo "usage: $0 [--host] [--vm] [--arm64] [--bpf] [--kernel K] [-j N]" >&2; exit 2 ;;
	esac
done
[ "$HOST" = 0 ] && [ "$VM" = 0 ] && [ "$ARM64" = 0 ] && [ "$BPF" = 0 ] && HOST=1 VM=1 ARM64=1 BPF=1
[ "$(id -u)" = 0 ] || { echo "mutants.sh loads BPF programs: run it as root" >&2; exit 2; }
[ -x splicewatch ] && [ -x tests/build/swtest ] || { echo "build first: make && make tests/build/swtest" >&2; exit 2; }
M=$(mktemp -d /tmp/sw-mutants.XXXXXX) || exit 2
[ -n "${SW_MUTANTS_KEEP:-}" ] && echo "# keeping $M" || trap 'rm -rf "$M"' EXIT
passed=0 failed=0
line() { # ok? NAME WHY
	if [ "$1" = 1 ]; then echo "ok $2"; passed=$((passed + 1))
	else echo "not ok $2: $3"; failed=$((failed + 1)); fi
}

if [ "$HOST" = 1 ]; then
	# --- late-write: the bytes of writes killed at entry land anyway
	if ! cc -O2 -g -Wall -Wextra -std=gnu11 -Wno-missing-field-initializers -Wno-format-truncation \
		-Iinclude -Isrc -D_GNU_SOURCE -DSWTEST_MUTANT_LATE_WRITE tests/swtest*.c tests/scenario*.c \
		-luring -lpthread -o "$M/swtest-late" 2>"$M/cc.err"; then
		line 0 mutant/late-write "cannot build: $(tail -n1 "$M/cc.err")"
	else
		tests/build/swtest --enforce > "$M/enf.out" 2>&1
		line "$([ $? = 0 ] && echo 1)" control/enforce "$(grep '^not ok' "$M/enf.out" | head -n3 | tr '\n' ' ')"
		"$M/swtest-late" --enforce > "$M/late.out" 2>&1
		# every pair killed at entry (action killed or denied: the control's
		# passing lines minus those whose writes land: killed_late, safe)
		want="one_byte_into_held_range_is_reported[ext4] one_byte_into_held_range_is_reported[tmpfs]
			megabyte_pipe_holds_are_tracked[ext4] megabyte_pipe_holds_are_tracked[tmpfs]
			holds_survive_pipe_resize[ext4] holds_survive_pipe_resize[tmpfs]
			page_inside_large_folio_is_matched_by_index[ext4] page_inside_large_folio_is_matched_by_index[hugetmpfs]
			second_splicer_into_a_pipe_is_named_for_its_pages[ext4] second_splicer_into_a_pipe_is_named_for_its_pages[tmpfs]"
		survived=""
		for n in $want; do
			grep -qF "not ok enforce/$n: the " "$M/late.out" || survived="$survived $n"
		done
		nbytes=$(grep -cE "^not ok enforce/.*(must not land)" "$M/late.out")
		nkill=$(grep -cE "^not ok enforce/" "$M/late.out")
		echo "# late-write: $nkill not ok lines, $nbytes on the bytes (file or pipe)"
		line "$([ -z "$survived" ] && [ "$nbytes" -ge 40 ] && echo 1)" mutant/late-write \
			"survived:${survived:- none of the ten}; $nbytes lines failed on the bytes"
	fi

	# --- late-write-file-only: the same, the pipe left unread: the file's
	# bytes alone must catch it
	if cc -O2 -g -Wall -Wextra -std=gnu11 -Wno-missing-field-initializers -Wno-format-truncation \
		-Iinclude -Isrc -D_GNU_SOURCE -DSWTEST_MUTANT_LATE_WRITE -DSWTEST_MUTANT_NO_PIPE_CHECK \
		tests/swtest*.c tests/scenario*.c -luring -lpthread -o "$M/swtest-late-file" 2>"$M/cc.err"; then
		"$M/swtest-late-file" --enforce > "$M/late-file.out" 2>&1
		survived=""
		for n in $want; do
			grep -qF "not ok enforce/$n: the file's bytes at " "$M/late-file.out" || survived="$survived $n"
		done
		nfile=$(grep -c "^not ok enforce/.*: the file's bytes at .*(the write must not land)" "$M/late-file.out")
		echo "# late-write-file-only: $nfile lines failed on the file's bytes"
		line "$([ -z "$survived" ] && [ "$nfile" -ge 40 ] && echo 1)" mutant/late-write-file-only \
			"survived:${survived:- none of the ten}; $nfile lines failed on the file's bytes"
	else
		line 0 mutant/late-write-file-only "cannot build: $(tail -n1 "$M/cc.err")"
	fi

	# --- lost-records, event-line-unread: a wrapper edits what splicewatch said
	# once it has exited (python: a shell started in the background could not
	# trap the SIGINT swtest sends, it would be ignored on entry)
	wrapper() { # FILE PYTHON-LINES: runs splicewatch, forwards SIGINT, then edits
		cat > "$1" <<-EOF
		#!/usr/bin/env python3
		import os, re, signal, subprocess, sys
		err = os.readlink("/proc/self/fd/2")
		out = sys.argv[sys.argv.index("-o") + 1]
		signal.signal(signal.SIGINT, lambda s, f: p.send_signal(signal.SIGINT))
		p = subprocess.Popen(["$ROOT/splicewatch"] + sys.argv[1:])
		rc = p.wait()
		$2
		sys.exit(rc)
		EOF
		chmod +x "$1"
	}
	wrapper "$M/sw-lost" '(lambda t: open(err, "w").write(t.replace(" 0 lost records", " 3 lost records")))(open(err).read())'
	wrapper "$M/sw-eventline" '(lambda t: open(err, "w").write(re.sub(r"([0-9]+) unsafe writes detected, ([0-9]+) shown", lambda m: "%d unsafe writes detected, %d shown" % (int(m[1]) + 1, int(m[2]) + 1), t)))(open(err).read())'
	tests/build/swtest 'pwrite64_into*' > "$M/ctl.out" 2>&1
	line "$([ $? = 0 ] && echo 1)" control/trace-pwrite64 "$(grep '^not ok' "$M/ctl.out" | head -n3 | tr '\n' ' ')"
	tests/build/swtest --splicewatch "$M/sw-lost" 'pwrite64_into*' > "$M/lost.out" 2>&1
	rc=$?
	line "$([ $rc = 1 ] && grep -q '^not ok no_event_lost_and_every_detection_shown: .* 3 lost records' "$M/lost.out" && echo 1)" \
		mutant/lost-records "status $rc: $(grep -E '^(not )?ok no_event' "$M/lost.out")"
	tests/build/swtest --splicewatch "$M/sw-eventline" 'pwrite64_into*' > "$M/evl.out" 2>&1
	rc=$?
	line "$([ $rc = 1 ] && grep -q '^not ok no_event_lost_and_every_detection_shown: ' "$M/evl.out" && echo 1)" \
		mutant/event-line-unread "status $rc: $(grep -E '^(not )?ok no_event' "$M/evl.out")"

	# --- drop-ignored: SPLICEWATCH_TEST_DROP never reaches splicewatch
	cat > "$M/sw-nodrop" <<-EOF
	#!/bin/bash
	unset SPLICEWATCH_TEST_DROP
	exec "$ROOT/splicewatch" "\$@"
	EOF
	chmod +x "$M/sw-nodrop"
	for b in tracepoint; do	# the host: fentry and kprobe may not load (the VMs run them)
		SPLICEWATCH_TEST_DROP=enter SPLICEWATCH_BACKUP_HOOKS=1 tests/build/swtest --backend "$b" \
			'*_into_held_range_is_reported' > "$M/drop-$b.out" 2>&1
		line "$([ $? = 0 ] && grep -q '^ok dropped_sys_enter_runs_were_checked_by_backup_hooks' "$M/drop-$b.out" && echo 1)" \
			"control/drop-enter-$b" "$(grep '^not ok' "$M/drop-$b.out" | head -n3 | tr '\n' ' ')"
		SPLICEWATCH_TEST_DROP=enter SPLICEWATCH_BACKUP_HOOKS=1 tests/build/swtest --backend "$b" \
			--splicewatch "$M/sw-nodrop" '*_into_held_range_is_reported' > "$M/nodrop-$b.out" 2>&1
		rc=$?
		n=$(grep -c '^not ok .*no backup hook checked the write' "$M/nodrop-$b.out")
		line "$([ $rc = 1 ] && [ "$n" -ge 10 ] &&
			grep -q '^not ok dropped_sys_enter_runs_were_checked_by_backup_hooks' "$M/nodrop-$b.out" && echo 1)" \
			"mutant/drop-ignored-$b" "status $rc, $n scenarios failed for want of a backup hook"
	done
fi

if [ "$VM" = 1 ]; then
	# one patched copy of tests/vm per mutant; matrix.sh takes the binaries by option
	vm_mutant() { # NAME SUITES SED-SCRIPT
		local d=$M/vm-$1
		mkdir -p "$d/tests"
		cp -r tests/vm "$d/tests/vm"
		sed -i "$3" "$d/tests/vm/guest-swtest.sh"
		if cmp -s tests/vm/guest-swtest.sh "$d/tests/vm/guest-swtest.sh"; then
			echo "patch did not apply" > "$d/out"; return
		fi
		bash "$d/tests/vm/matrix.sh" --kernels "$KERNEL" --backends tracepoint --suites "$2" \
			--filter 'pwrite64_into*' --splicewatch "$ROOT/splicewatch" --swtest "$ROOT/tests/build/swtest" \
			--logs "$d/logs" > "$d/out" 2>&1
		echo "status $?" >> "$d/out"
	}
	pre="vm/$KERNEL/tracepoint"
	muts=(
		"control%trace trace-noenter%s/^@@ nothing$//"
		"fake-warn%trace%s|^echo \"@@ taint|echo '<4>WARNING: CPU: 0 PID: 1 at mutant.c:1 fake_warn' > /dev/kmsg; sleep 1\\n&|"
		"taint-warn%trace%s|^echo \"@@ taint|echo 512 > /proc/sys/kernel/tainted\\n&|"
		"dies-after-last-suite%trace%s|^echo \"@@ taint|poweroff -f\\n&|"
		"truncated-log%trace%s|^    cat /tmp/swtest.out|    awk '/^ok /\\&\\&!d{d=1;next}1' /tmp/swtest.out|"
		"status-lies%trace%s|^    rc=\\\$?\$|    rc=\$?; [ \$rc = 0 ] \\&\\& rc=1|"
		"drop-disabled%trace-noenter%s|drop=enter; backup_hooks=1 ;;|drop=; backup_hooks=1 ;;|"
	)
	# the control's patch changes nothing: run it unpatched
	running=0
	for m in "${muts[@]}"; do
		IFS='%' read -r name suites script <<< "$m"
		if [ "$name" = control ]; then
			( d=$M/vm-control; mkdir -p "$d"
			  bash tests/vm/matrix.sh --kernels "$KERNEL" --backends tracepoint --suites "$suites" \
				--filter 'pwrite64_into*' --logs "$d/logs" > "$d/out" 2>&1; echo "status $?" >> "$d/out" ) &
		else
			vm_mutant "$name" "$suites" "$script" &
		fi
		running=$((running + 1))
		if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
	done
	wait
	verdict() { # NAME GREP-PATTERN: killed when matrix failed with a line matching it
		local out=$M/vm-$1/out
		if grep -q '^status 0$' "$out"; then
			line 0 "mutant/$1" "survived: the matrix passed"
		elif grep -qE -- "$2" "$out"; then
			line 1 "mutant/$1"
		else
			line 0 "mutant/$1" "failed, not for its reason: $(grep -E '^not ok|^status' "$out" | head -n4 | tr '\n' ' ')"
		fi
		grep -E -- "$2" "$out" | head -n2 | sed 's/^/# /'
	}
	out=$M/vm-control/out
	line "$(grep -q '^status 0$' "$out" && grep -q "^ok $pre/trace-noenter$" "$out" && echo 1)" \
		"control/vm-$KERNEL" "$(grep -E '^not ok|^status' "$out" | head -n4 | tr '\n' ' ')"
	verdict fake-warn "^not ok $pre/vm: kernel console: .*WARNING: CPU: 0 PID: 1 at mutant.c"
	verdict taint-warn "^not ok $pre/vm: kernel tainted"
	verdict dies-after-last-suite "^not ok $pre/vm: .*did not reach its end"
	verdict truncated-log "^not ok $pre/trace: planned [0-9]+ tests, [0-9]+ test lines"
	verdict status-lies "^not ok $pre/trace: exit status 1 with 0 failed"
	verdict drop-disabled "^not ok $pre/trace-noenter: .*the drop is unproven"
fi
# mutant_build ARCH NAME FILE CMD...: a copy of the tree in $M/ARCH-NAME (its
# path in $t) whose FILE CMD rewrote (CMD reads FILE on stdin, writes the
# mutant on stdout), built with make ARCH=ARCH (arm64, x86); else a failed
# mutant line and status 1.
mutant_build() {
	local arch=$1 name=$2 file=$3
	shift 3
	t=$M/$arch-$name
	mkdir -p "$t"
	git ls-files -z | tar --null -T - -cf - | tar -C "$t" -xf -
	"$@" < "$file" > "$t/$file"
	if cmp -s "$file" "$t/$file"; then
		line 0 "mutant/$name" "patch did not apply"
	elif ! make -C "$t" -j2 ARCH="$arch" all > "$M/$arch-$name-make.log" 2>&1; then
		line 0 "mutant/$name" "cannot build: $(tail -n1 "$M/$arch-$name-make.log")"
	else
		return 0
	fi
	return 1
}

if [ "$ARM64" = 1 ]; then
	# --- probe-loads-only: the arm64 attach in kernel.c's probe_loads() removed
	# (the lines between "#ifdef __aarch64__" and "#endif" inside it)
	if mutant_build arm64 probe-loads-only src/kernel.c awk '/^static bool probe_loads/ { inp = 1 }
		inp && /^#ifdef __aarch64__/ { skip = 1 } { if (!skip) print } skip && /^#endif/ { skip = 0; inp = 0 }'; then
		bash tests/vm/arm64-features.sh > "$M/arm64-ctl.out" 2>&1
		line "$([ $? = 0 ] && echo 1)" control/arm64-features "$(grep '^not ok' "$M/arm64-ctl.out" | head -n3 | tr '\n' ' ')"
		SW_ARM64_SPLICEWATCH=$t/build/arm64/splicewatch bash tests/vm/arm64-features.sh > "$M/arm64-mut.out" 2>&1
		rc=$?
		line "$([ $rc = 1 ] && grep -q '^not ok vm/arm64/6.1/features/fentry_is_no' "$M/arm64-mut.out" &&
			! grep -q '^not ok vm/arm64/6.12/' "$M/arm64-mut.out" && echo 1)" mutant/probe-loads-only \
			"status $rc: $(grep '^not ok' "$M/arm64-mut.out" | head -n3 | tr '\n' ' ')"
	fi

	# --- arg1-from-x0: SW_ARG1 reads regs[0] instead of orig_x0 on arm64
	if mutant_build arm64 arg1-from-x0 bpf/lib/syscalls.bpf.h \
		sed 's/^#define SW_ARG1(regs)\t((regs)->orig_x0)$/#define SW_ARG1(regs)\t((regs)->regs[0])/'; then
		mx() { # BINARY OUT: the sendfile-to-pipe scenario, arm64/6.12, tracepoint
			bash tests/vm/matrix.sh --kernels arm64/6.12 --backends tracepoint --suites trace \
				--filter 'sendfile_to_pipe*' --arm64-splicewatch "$1" > "$2" 2>&1
		}
		mx "$ROOT/build/arm64/splicewatch" "$M/arm64-x0-ctl.out"
		line "$([ $? = 0 ] && echo 1)" control/arm64-sendfile-to-pipe "$(grep '^not ok' "$M/arm64-x0-ctl.out" | head -n3 | tr '\n' ' ')"
		mx "$t/build/arm64/splicewatch" "$M/arm64-x0.out"
		rc=$?
		line "$([ $rc = 1 ] && grep -q '^not ok vm/arm64/6.12/tracepoint/sendfile_to_pipe_is_reported_where_it_shares_pages' "$M/arm64-x0.out" && echo 1)" \
			mutant/arg1-from-x0 "status $rc: $(grep '^not ok' "$M/arm64-x0.out" | head -n3 | tr '\n' ' ')"
	fi
fi
# A BPF mutant built by mutant_build (in $t): SUITE's tests FILTER on KERNEL,
# fentry, with the tree's splicewatch (the control, which must pass) and the
# mutant's, which must fail each TEST (a prefix of its name) with WHY.
bpf_mutant() { # KERNEL SUITE NAME FILTER WHY TEST...
	local k=$1 suite=$2 name=$3 filter=$4 why=$5 rc s ok=1
	shift 5
	run() { # BINARY OUT
		bash tests/vm/matrix.sh --kernels "$k" --backends fentry --suites "$suite" \
			--filter "$filter" --splicewatch "$1" > "$2" 2>&1
	}
	run "$ROOT/splicewatch" "$M/$name-ctl.out"
	line "$([ $? = 0 ] && echo 1)" "control/$name" "$(grep '^not ok' "$M/$name-ctl.out" | head -n3 | tr '\n' ' ')"
	run "$t/splicewatch" "$M/$name.out"
	rc=$?
	[ "$rc" = 1 ] || ok=0
	for s in "$@"; do
		grep -F "not ok vm/$k/fentry/$suite/$s" "$M/$name.out" | grep -qF "$why" || ok=0
	done
	line "$([ $ok = 1 ] && echo 1)" "mutant/$name" "status $rc: $(grep '^not ok' "$M/$name.out" | head -n3 | tr '\n' ' ')"
}

if [ "$BPF" = 1 ]; then
	# --- kernel-writer-idle: the crypto request checks look at no page
	mutant_build x86 kernel-writer-idle bpf/detect/kernel_writers.bpf.h \
		sed 's/^\tcheck_crypto_dst((u64)(BPF_CORE_READ(req, dst) ?: BPF_CORE_READ(req, src)), op)$/\t((void)0)/' &&
		bpf_mutant 6.1 verify kernel-writer-idle '*kernel_aead*' 'plain trace: 0 records' \
			'kernel_aead-is-named[ext4]' 'kernel_aead-is-named[tmpfs]' \
			'kernel_aead-with-no-hold-known-is-named[ext4]'
	# --- kernel-writer-backups-unloaded: the fentry backup copies never load
	mutant_build x86 kernel-writer-backups-unloaded src/hooks.c \
		sed 's/^\t\treturn c->backup \&\& sw_kernel_writers_backend(c) == SW_BACKEND_FENTRY;$/\t\treturn false;/' &&
		bpf_mutant 6.1 verify kernel-writer-backups-unloaded '*kernel_aead*' 'plain trace: 0 records' \
			'kernel_aead-is-named[ext4]' 'kernel_aead-is-named[tmpfs]'
	# --- unheld-writers-ignored: with no hold known, a file open for
	# writing is reported too (kTLS receiving into a shared mapping of it)
	mutant_build x86 unheld-writers-ignored bpf/detect/kernel_writers.bpf.h \
		sed 's/^\tif (BPF_CORE_READ(host, i_writecount.counter) > 0 || !BPF_CORE_READ(host, i_nlink))$/\tif (!BPF_CORE_READ(host, i_nlink))/' &&
		bpf_mutant 6.1 verify unheld-writers-ignored '*-no-record*' 'plain trace reported' \
			no-hold-known-file-open-for-writing-no-record \
			'ktls-recv-into-shared-mapping-no-record[ext4]' \
			'ktls-recv-into-shared-mapping-no-record[tmpfs]' \
			'dmcrypt-direct-read-into-shared-mapping-no-record[ext4]' \
			'dmcrypt-direct-read-into-shared-mapping-no-record[tmpfs]'
	# --- unheld-trusted: a write with no hold known acted on
	mutant_build x86 unheld-trusted bpf/detect/kernel_writers.bpf.h \
		sed 's/^\tc->held_len = SW_PAGE_SIZE;$/\tc->held_len = SW_PAGE_SIZE; c->trusted = 1;/' &&
		bpf_mutant 6.1 verify unheld-trusted 'enforce-spares-writer-when*' 'the writer: exit 137' \
			enforce-spares-writer-when-no-hold-known
	# --- handoff-forgotten: pages a pipe hands on to a socket not remembered
	mutant_build x86 handoff-forgotten bpf/detect/kernel_writers.bpf.h \
		sed 's/^\tif (!pipe || read_ring_once(pipe, \&ring))$/\tif (1)/' &&
		bpf_mutant 6.1 verify handoff-forgotten '*handed*' 'plain trace: 0 records' \
			'kernel_aead-handed-to-a-socket-is-named[ext4]' \
			'kernel_aead-handed-to-a-socket-is-named[tmpfs]'
	# --- uptodate-gate-forgotten: no hold known, up to date or not
	mutant_build x86 uptodate-gate-forgotten bpf/detect/kernel_writers.bpf.h \
		sed 's/^\tif (!c \&\& uptodate \&\& unheld_overlap(m.mapping, pos)) {$/\tif (!c \&\& unheld_overlap(m.mapping, pos)) {/' &&
		bpf_mutant 6.1 verify uptodate-gate-forgotten '*fscrypt*' 'plain trace reported' \
			fscrypt-decrypting-a-read-no-record
	# --- handoff-trusted-always: a hand-off trusted whoever made it
	mutant_build x86 handoff-trusted-always bpf/detect/kernel_writers.bpf.h \
		sed 's/^\tc->trusted = holder_trusted(h->uid, h->hold_flags, h->pipe_uid, uid);$/\tc->trusted = 1;/' &&
		bpf_mutant 6.1 verify handoff-trusted-always 'enforce-spares-writer*' 'the writer: exit 137' \
			enforce-spares-writer-of-pages-another-user-handed-off
	# --- handoff-refresh-ignores-uid: same_handoff() without the uid
	mutant_build x86 handoff-refresh-ignores-uid bpf/detect/kernel_writers.bpf.h \
		sed 's/^\t       old->uid == rec->uid \&\& old->pipe_ino == rec->pipe_ino \&\&$/\t       old->pipe_ino == rec->pipe_ino \&\&/' &&
		bpf_mutant 6.1 verify handoff-refresh-ignores-uid '*after-setuid' 'the writer: exit 137' \
			enforce-spares-writer-of-pages-handed-off-again-after-setuid
	# --- softirq-task-acted-on: decide() without its softirq test
	mutant_build x86 softirq-task-acted-on bpf/detect/report.bpf.h \
		sed 's/^\tif (ev->flags \& SW_EVF_IN_SOFTIRQ)$/\tif (0)/' &&
		bpf_mutant 6.1 verify softirq-task-acted-on 'enforce-spares-task*' 'the task: exit 137' \
			enforce-spares-task-a-softirq-interrupts
	# --- deny-retry-keeps-mark: no clear_mark() where lsm/file_permission
	# takes a pending refusal
	mutant_build x86 deny-retry-keeps-mark bpf/splicewatch.bpf.c \
		awk '/^\tif \(rc && marks_on\(\)\)$/ { getline; next } { print }' &&
		bpf_mutant "$KERNEL" deny deny-retry-keeps-mark 'pwrite64_repeated*' '1 events from the writer, want 2' \
			pwrite64_repeated_into_held_range_is_checked_each_time \
			pwrite64_repeated_by_unprivileged_user_is_checked_each_time
	# --- deny-skips-open-trunc: lsm/file_truncate without its open branch
	# (the first such line of the file, and the line of its body)
	mutant_build x86 deny-skips-open-trunc bpf/splicewatch.bpf.c \
		awk '/^\tif \(open_syscall\(current_syscall\(\)\)\)$/ && !done { getline; done = 1; next } { print }' &&
		bpf_mutant "$KERNEL" deny deny-skips-open-trunc 'open_o_trunc*' '0 events from the writer, want 1' \
			open_o_trunc_of_held_file_is_reported open_o_trunc_by_unprivileged_user_is_reported
fi
echo "1..$((passed + failed))"
echo "# mutants.sh: $passed passed, $failed failed"
[ "$failed" = 0 ]
