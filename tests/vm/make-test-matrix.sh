#!/usr/bin/env bash
# The kernel matrix `make test` runs, under qemu. A cell is a kernel and a
# backend in one VM; each suite in it loads the programs anew, and a load is
# most of a suite's time: seconds on 5.10 to 6.12, 25-60 s on 7.x under TCG
# (amd64 and arm64). So every cell runs the suites that catch and refuse
# (trace, deny), and those whose proof does not depend on the kernel or the
# backend run where loads are cheap, as below.
#
# - 6.1 and 6.12, every backend: trace, enforce, deny, ci, verify (trace
#   --verify: guest-verify.sh, the changes no write hook sees, on ext4 and
#   tmpfs) and runcount (the program runs of 1,000,000 getppid, as the
#   backend's syscall attach says: docs/syscall-attach.md).
# - 5.10 (the compat programs: no bpf_loop) and the newest 7.x, every backend:
#   the same, plus trace and deny with every first sys_enter run dropped
#   (trace-noenter, deny-noenter): since 6.14 syscall tracepoint programs run
#   with preemption on, and on a kernel that preempts kernel code (7.x: lazy)
#   the kernel skips a program for other tasks on a CPU while one task's run
#   is preempted (recursion_misses; README "Known limit"). fentry and kprobe
#   back those hooks up with kernel functions (backup hooks), the tracepoint
#   backend with a backup copy of each syscall hook; the -noenter suites prove
#   those alone catch and refuse what sys_enter would have. 5.10 never skips
#   runs, so there they run only when forced (SPLICEWATCH_BACKUP_HOOKS=1, as
#   the suites do), through the compat programs' own versions of them.
#   On 7.x, fentry and kprobe attach no syscall tracepoint (syscall attach
#   none, issue 21: kernel functions only), so the -noenter suites would run
#   trace and deny again unchanged: they run where there is a sys_enter to
#   drop, on tracepoint and under raw (next). ci (a command's process tree,
#   its report; four loads) runs on 7.x's default backend, fentry, only: the
#   process tree is learnt by the same sched_process_fork program on every
#   backend, and 5.10, 6.1 and 6.12 run it on all three. verify (three loads,
#   its own programs on syscall tracepoints whatever the backend) runs on
#   7.x fentry too; 5.10 has no bpf_loop, and tests/vm/page-address.sh checks
#   that trace --verify refuses to start there.
# - 7.x with fentry and kprobe under syscall attach raw
#   (SPLICEWATCH_SYSCALL_ATTACH=raw, named vm/7/<backend>+raw/...): trace,
#   deny, the -noenter suites (there they drop sys_enter runs for the backup
#   hooks to catch) and runcount; the kill of enforce is the tracepoint
#   backend's, tested there.
# - 6.12 with fentry and kprobe on two vCPUs, for the check-then-use race
#   scenarios only (they need a second CPU), one VM at a time: two VMs of two
#   vCPUs each on a two-core host starve the start-up timing checks.
# - The arm64 guests (issue 24; Debian's arm64 kernels under
#   qemu-system-aarch64, build/arm64/ and tests/build/arm64/ from
#   `make ARCH=arm64 all arm64-tests`): 6.12 with every backend and trace,
#   enforce, deny, ci, verify; 6.1 with tracepoint and kprobe only (it loads fentry
#   and BPF LSM programs but cannot attach them: no BPF trampolines), where
#   deny is "deny-refused": refused before anything runs, with the cause; the
#   newest 7.x with every backend, trace and deny (enforce and ci run on the
#   arm64 kernels whose loads take seconds), the tracepoint backend also the
#   -noenter suites and verify. Under raw, fentry and kprobe attach that backend's
#   sys_enter and sys_exit (tested there, with their backup copies) beside
#   their kernel functions (tested under none): what raw adds on top, the
#   kernel functions catching a dropped sys_enter, is not arm64's own and
#   runs on amd64 7.x.
# The matrices run in two lanes at once, each one VM at a time (-j 1), so
# that neither core idles while the other finishes a matrix's last cell; the
# lanes are balanced by the cells' VM times (docs/testing.md, Timings).
# Prints each matrix's "ok"/"not ok" lines once it ends (whole, never
# interleaved with the other lane's), each without its plan, then one TAP
# plan for all, "1..N"; exit status 1 when any failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
dir=$(mktemp -d) || exit 2
trap 'rm -rf "$dir"' EXIT
: > "$dir/all"
# matrix ARGS...: one matrix.sh run, its lines printed and kept in all.
# A run that fails without a failing line (matrix.sh refused its arguments or
# a binary is missing: exit 2 before any VM) gets one, so it cannot pass
# unnoticed among the others.
n=0
matrix() {
	local f st
	n=$((n + 1))
	f=$dir/run.$BASHPID.$n
	bash tests/vm/matrix.sh --no-plan "$@" > "$f"
	st=$?
	[ "$st" = 0 ] || grep -q '^not ok ' "$f" ||
		echo "not ok vm/matrix: matrix.sh $* exited $st without a failing line" >> "$f"
	flock "$dir/all" sh -c 'cat "$1"; cat "$1" >> "$2"' sh "$f" "$dir/all"
}
all="tracepoint fentry kprobe"
# The check-then-use race scenarios (a second thread swaps the fd or the
# iovecs between sys_enter and the write) need two CPUs: on one nothing runs
# between the check and the write. On fentry and kprobe, which see the
# kernel's own copies. Alone, before the lanes.
matrix -j 1 --kernels "6.12" --backends "fentry kprobe" --suites "trace" \
	--smp 2 --filter '*_after_entry_is_reported'
(
	matrix -j 1 --kernels "5.10 7" --backends "$all" --suites "trace enforce deny ci trace-noenter deny-noenter runcount" \
		--suites-of 7/tracepoint "trace enforce deny trace-noenter deny-noenter runcount" \
		--suites-of 7/fentry "trace enforce deny ci verify runcount" \
		--suites-of 7/kprobe "trace enforce deny runcount"
	matrix -j 1 --kernels "arm64/7" --backends "$all" --suites "trace deny" \
		--suites-of tracepoint "trace deny trace-noenter deny-noenter verify"
) &
(
	matrix -j 1 --kernels "6.1 6.12" --backends "$all" --suites "trace enforce deny ci verify runcount"
	matrix -j 1 --kernels "7" --backends "fentry kprobe" --env SPLICEWATCH_SYSCALL_ATTACH=raw \
		--label raw --suites "trace deny trace-noenter deny-noenter runcount"
	matrix -j 1 --kernels "arm64/6.12" --backends "$all" --suites "trace enforce deny ci verify"
	matrix -j 1 --kernels "arm64/6.1" --backends "tracepoint kprobe" --suites "trace enforce deny-refused ci verify"
) &
wait
echo "1..$(grep -cE '^(not )?ok ' "$dir/all")"
! grep -q '^not ok ' "$dir/all"
