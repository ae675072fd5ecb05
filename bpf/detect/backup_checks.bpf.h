/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Backup hooks, part two: the checks and syncs kernel functions make when a
 * syscall hook's run was skipped (backup hooks on): a write its sys_enter did
 * not check (check_unchecked; refused at the LSM hook under deny), and the
 * syscalls that fill pipes without a splice read (tee, vmsplice, pipe-to-pipe
 * splice, F_SETPIPE_SZ), synced again from their kernel functions.
 */
#ifndef SW_DETECT_BACKUP_CHECKS_BPF_H
#define SW_DETECT_BACKUP_CHECKS_BPF_H

#include "write_check.bpf.h"

/* Backup hooks for what sys_exit learns: the syscalls that
 * fill pipes without a splice read. Each sync is idempotent, so the one the
 * syscall's exit makes afterwards costs a ring read and finds nothing new.
 * tee(2) (do_tee also serves io_uring tee); vmsplice(2); a pipe-to-pipe
 * splice (do_splice: only when both ends are pipes, the splice reads cover
 * file to pipe); F_SETPIPE_SZ, which renumbers the ring and hides the holds
 * until the pipe is synced again. The kprobe backend keeps what it needs from
 * entry to return per thread. */
struct ret_stash {
	u64 a;
	u64 b;
};

SW_THREAD_MAP(ret_stash, 4096, struct ret_stash);

static __always_inline void stash(u64 a, u64 b)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct ret_stash v = { .a = a, .b = b };

	bpf_map_update_elem(&ret_stash, &tid, &v, BPF_ANY);
}

static __always_inline bool unstash(struct ret_stash *v)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct ret_stash *p = bpf_map_lookup_elem(&ret_stash, &tid);

	if (!p)
		return false;
	*v = *p;
	bpf_map_delete_elem(&ret_stash, &tid);
	return true;
}

/* Both ends pipes: the out pipe may have gained another's page-cache pages. */
__noinline int sync_pipe_to_pipe(u64 in, u64 out)
{
	if (in && file_is_pipe(in))
		sync_file(out);
	return 0;
}

/* vmsplice(fd, ...): the pt_regs of the syscall. */
__noinline int sync_vmsplice(u64 regs_addr)
{
	struct pt_regs *regs = (struct pt_regs *)regs_addr;
	long fd;

	if (bpf_probe_read_kernel(&fd, sizeof(fd), &SW_ARG1(regs)))
		return 0;
	return sync_fd(fd);
}

/* vmsplice(fd, ...) of an IA-32 task (SW_IA32_SYS_PREFIX "vmsplice"): the
 * pt_regs of the syscall, fd in bx. */
__noinline int sync_vmsplice_ia32(u64 regs_addr)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)regs_addr;
	u32 fd;

	if (bpf_probe_read_kernel(&fd, sizeof(fd), &regs->bx))
		return 0;
	return sync_fd(fd);
#else
	return 0;
#endif
}

/* Compat: a copy of the registers of the syscall check_unchecked checks (no
 * trusted pointer to them before 5.15; 168 bytes the stack cannot spare),
 * per thread (lib/maps.bpf.h: scratch maps; unused, so empty, otherwise). */
SW_SCRATCH_MAP(regs_scratch, struct pt_regs);

/* A change syscall nr (as op) makes to file that its sys_enter run did not
 * check (the kernel skipped it): checked here from the
 * syscall's registers, as sys_enter would have, and marked so no later hook
 * checks it again. */
static __always_inline u32 check_unchecked(struct file *file, long nr, u32 op, u32 deny_how)
{
#ifdef SW_COMPAT
	struct pt_regs *regs;
#endif
	bool ia32;

	if (!tracking() || entry_checked(file, nr) ||
	    bpf_get_current_pid_tgid() >> 32 == self_tgid)
		return 0;
	ia32 = sw_in_ia32();	/* nr is the native number of either */
#ifdef SW_COMPAT
	regs = scratch_of(&regs_scratch, true);
	if (!regs || bpf_probe_read_kernel(regs, sizeof(*regs), sw_current_regs()))
		return 0;
	return check_write_to(regs, nr, op, file, deny_how, true, ia32);
#else
	return check_write_to(sw_current_regs(), nr, op, file, deny_how, true, ia32);
#endif
}

/* fallocate and ftruncate: no write_iter call to back their sys_enter check
 * up. Both functions run before the LSM hook the syscall reaches next
 * (file_permission, file_truncate), so deny still refuses. Inside the
 * syscall only, as sys_enter would (neither changes the task's write count,
 * so sys_enter's mark of an earlier call is cleared at its sys_exit). */
static __always_inline void check_file_change(struct file *file, long nr, u32 op)
{
	if (current_syscall() == nr)
		check_unchecked(file, nr, op, DENY_AT_LSM);
}

/* The write syscall this task is in, checked at its permission check from
 * its registers unless its sys_enter run did (the mark). Anything else (a
 * read's check, io_uring, the kernel's own writes: op write_iter) leaves
 * here, for the write_iter hooks. */
static __always_inline u32 check_syscall_write(struct file *file, u32 deny_how)
{
	long nr = current_syscall();
	u32 op = syscall_op(nr);

	if (op == SW_OP_WRITE_ITER)
		return SW_ACT_REPORTED;
	return check_unchecked(file, nr, op, deny_how);
}

/* A write whose sys_enter run the kernel skipped, checked here from its
 * syscall's registers: refused before its bytes land, as sys_enter's check
 * would have had it, rather than killed by the write_iter backup hook.
 * Its mark keeps write_iter (and a second permission check) off it. */
static __always_inline int refuse_unchecked_write(struct file *file)
{
	return check_syscall_write(file, DENY_NOW) == SW_ACT_DENIED ? -EPERM : 0;
}

/* security_file_permission (from rw_verify_area), where sys_enter runs and
 * the kernel may skip it (backup hooks on), and in its stead where the
 * syscall attach is none: whatever write loop the file system has (btrfs,
 * fuse, ceph) or none (direct I/O), before a byte lands. A refusal is left
 * to the LSM hook that follows (deny_pending). */
static __always_inline void check_at_permission(struct file *file, int mask)
{
	if ((mask & MAY_WRITE) && tracking())
		check_syscall_write(file, DENY_AT_LSM);
}

#endif /* SW_DETECT_BACKUP_CHECKS_BPF_H */
