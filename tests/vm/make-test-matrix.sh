#!/usr/bin/env bash
# The kernel matrix `make test` runs, under qemu: Debian 6.1 and 6.12 with
# every backend and the trace, enforce, deny and ci suites; 5.10 (the compat
# programs) and the newest 7.x with every backend, the same suites, plus trace
# and deny with every first sys_enter run dropped (trace-noenter,
# deny-noenter): since 6.14 syscall tracepoint programs run with preemption
# on, and on a kernel that preempts kernel code (7.x: lazy) the kernel skips a
# program for other tasks on a CPU while one task's run is preempted
# (recursion_misses; README "Known limit"). fentry and kprobe back those hooks
# up with kernel functions (backup hooks), the tracepoint backend with a
# backup copy of each syscall hook; the -noenter suites prove those alone catch and
# refuse what sys_enter would have. 5.10 never skips runs, so there they run
# only when forced (SPLICEWATCH_BACKUP_HOOKS=1, as the suites do), through the
# compat programs' own versions of them (register copies, do_sys_ftruncate).
# Each VM also runs runcount: the program runs of 1,000,000 getppid, as its
# backend's syscall attach says (docs/syscall-attach.md).
# fentry and kprobe on 5.17 and later attach no syscall tracepoint (syscall
# attach none, issue 21: kernel functions only), so there the -noenter suites
# prove that nothing was left to drop; runcount that 1,000,000 getppid run no
# program. Then 6.12 and 7.x with fentry and kprobe under syscall attach raw
# (SPLICEWATCH_SYSCALL_ATTACH=raw, named vm/<kernel>/<backend>+raw/...): the
# suites above plus the -noenter ones, which there drop sys_enter runs for the
# backup hooks to catch; arm64 7.x runs those two under raw as well.
# Then 6.12 with fentry and kprobe on two vCPUs, for the check-then-use race
# scenarios only (they need a second CPU), one VM at a time: two VMs of two
# vCPUs each on a two-core host starve the start-up timing checks.
# The arm64 guests (issue 24; Debian's arm64 kernels under qemu-system-aarch64,
# build/arm64/ and tests/build/arm64/ from `make ARCH=arm64 all arm64-tests`):
# 6.12 with the amd64 6.12 cell's backends and suites, the newest 7.x with the
# amd64 7.x cell's, and 6.1 with tracepoint and kprobe only (it loads fentry and
# BPF LSM programs but cannot attach them: no BPF trampolines), where deny is
# "deny-refused": refused before anything runs, with the cause.
# Prints matrix.sh's "ok"/"not ok" lines (eight matrices, one after the other,
# each without its plan), then one TAP plan for all, "1..N"; exit status 1
# when any failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
rc=0
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT
# matrix ARGS...: one matrix.sh run, its lines kept; rc=1 when it failed.
# A run that fails without a failing line (matrix.sh refused its arguments or
# a binary is missing: exit 2 before any VM) gets one, so it cannot pass
# unnoticed among the others.
matrix() {
	local before st
	before=$(grep -c '^not ok ' "$out")
	bash tests/vm/matrix.sh --no-plan "$@" | tee -a "$out"
	st=${PIPESTATUS[0]}
	[ "$st" = 0 ] && return
	rc=1
	[ "$(grep -c '^not ok ' "$out")" -gt "$before" ] ||
		echo "not ok vm/matrix: matrix.sh $* exited $st without a failing line" | tee -a "$out"
}
all="tracepoint fentry kprobe"
matrix --kernels "6.1 6.12" --backends "$all" --suites "trace enforce deny ci runcount"
matrix --kernels "5.10 7" --backends "$all" --suites "trace enforce deny ci trace-noenter deny-noenter runcount"
matrix --kernels "6.12 7" --backends "fentry kprobe" --env SPLICEWATCH_SYSCALL_ATTACH=raw \
	--label raw --suites "trace enforce deny trace-noenter deny-noenter runcount"
# The check-then-use race scenarios (a second thread swaps the fd or the
# iovecs between sys_enter and the write) need two CPUs: on one nothing runs
# between the check and the write. On fentry and kprobe, which see the
# kernel's own copies.
matrix -j 1 --kernels "6.12" --backends "fentry kprobe" --suites "trace" \
	--smp 2 --filter '*_after_entry_is_reported'
matrix --kernels "arm64/6.12" --backends "$all" --suites "trace enforce deny ci"
matrix --kernels "arm64/6.1" --backends "tracepoint kprobe" --suites "trace enforce deny-refused ci"
matrix --kernels "arm64/7" --backends "$all" --suites "trace enforce deny ci trace-noenter deny-noenter"
matrix --kernels "arm64/7" --backends "fentry kprobe" --env SPLICEWATCH_SYSCALL_ATTACH=raw \
	--label raw --suites "trace-noenter deny-noenter"
echo "1..$(grep -cE '^(not )?ok ' "$out")"
exit "$rc"
