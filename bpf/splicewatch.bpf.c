// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * splicewatch: index the page-cache pages that pipe buffers reference and report
 * (or stop) writes that modify held bytes before the pipe is drained.
 *
 * Holds are learnt by re-syncing a pipe's ring after every syscall that can add
 * or consume its buffers (new buffers are recorded as a pending batch and
 * walked only when something looks for holds, see pipe_sync); writes are
 * checked at syscall entry, before any byte lands. Every report is validated
 * against the live pipe ring, so a stale index entry can cost time but never
 * produce a false report.
 *
 * This file holds the programs only, each hook's variants (fentry / kprobe /
 * kretprobe / fexit, a syscall hook and its backup copy) together; what they do is
 * in bpf/detect/ (one header per concern, each including the one before:
 * settings, hold_index, index_walk, lazy, sync, overlap, report,
 * write_decode, backup_marks, write_check, backup_checks, gc; kernel_writers
 * beside them, over report) over bpf/lib/.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "splicewatch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "detect/gc.bpf.h"
#include "detect/kernel_writers.bpf.h"

/* ---- syscall entry: writes checked before a byte lands ----------------- */

SEC("tp_btf/sys_enter")
int BPF_PROG(sw_sys_enter, struct pt_regs *regs, long id)
{
	/* Common case: no pipe holds any page: nothing can be unsafe. */
	if (!tracking()) {
		/* Start-up: the frontend calls getppid until the hooks see it. */
		if (id == SW_NR_getppid && !counters[SW_CNT_LIVE_ENTER] &&
		    bpf_get_current_pid_tgid() >> 32 == self_tgid) {
#ifdef SW_COMPAT
			u64 at, stack = (u64)BPF_CORE_READ(sw_current_task(), stack);

			/* The pointer as a number: no arithmetic on typed ones. */
			if (!bpf_probe_read_kernel(&at, sizeof(at), &ctx[0]) && at > stack)
				regs_offset = at - stack;
#endif
			counters[SW_CNT_LIVE_ENTER] = 1;
		}
		return 0;
	}
	if (test_drop & SW_DROP_ENTER)
		return 0;
	if (backup_syscall_hooks)
		first_runs(GATE_ENTER);
	return check_write(regs, id, false);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sw_sys_enter_backup, struct pt_regs *regs, long id)
{
	if (!tracking() || first_ran(GATE_ENTER))
		return 0;
	return check_write(regs, id, true);
}

/* ---- syscall exit: pipes gaining or losing buffers ---------------------- */

static __always_inline int sys_exit(struct pt_regs *regs, long ret)
{
	bool ia32;
	long id = sw_syscall(SW_SYSCALL_NR(regs), &ia32);

	if (marks_on() && tracking() && checked_syscall(id))
		clear_mark();
	if (deny_mode) {
		u32 tid = (u32)bpf_get_current_pid_tgid();

		/* A refusal the syscall never reached must not outlive it. */
		if (bpf_map_lookup_elem(&deny_pending, &tid))
			bpf_map_delete_elem(&deny_pending, &tid);
	}

	switch (id) {
	case SW_NR_getppid:
		/* Also the heartbeat: the frontend's loop calls getppid
		 * while it runs (/healthz: sw_session_alive). */
		if (bpf_get_current_pid_tgid() >> 32 == self_tgid)
			count(SW_CNT_LIVE_EXIT, 1);
		return 0;
	case SW_NR_splice:		/* in 1, off_in 2, out 3, off_out 4 */
		if (ret <= 0)
			return 0;
		/* A splice that succeeded with an offset did not use a pipe on
		 * that side (-ESPIPE otherwise): no need to look at it. */
		if (!SW_SYS_ARG4(regs, ia32))
			sync_fd(SW_SYS_ARG3(regs, ia32));
		if (!SW_SYS_ARG2(regs, ia32) && tracking())
			sync_fd(SW_SYS_ARG1(regs, ia32));
		return 0;
	case SW_NR_tee:			/* out 2 */
	case SW_NR_sendfile:		/* out 1 */
		if (ret <= 0)
			return 0;
		sync_fd(id == SW_NR_tee ? SW_SYS_ARG2(regs, ia32) : SW_SYS_ARG1(regs, ia32));
		return 0;
	case SW_NR_vmsplice:
		if (ret > 0)
			sync_fd(SW_SYS_ARG1(regs, ia32));
		return 0;
	case SW_NR_read:
	case SW_NR_readv:
	case SW_NR_preadv2:
		if (ret > 0 && tracking())
			sync_fd(SW_SYS_ARG1(regs, ia32));
		return 0;
	case SW_NR_fcntl:
		if ((u32)SW_SYS_ARG2(regs, ia32) == F_SETPIPE_SZ && ret > 0 && tracking())
			sync_fd(SW_SYS_ARG1(regs, ia32));
		return 0;
	case SW_NR_truncate:
		forget_cut();
		return 0;
	}
	if (open_syscall(id))
		forget_cut();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sw_sys_exit, struct pt_regs *regs, long ret)
{
	if ((test_drop & SW_DROP_EXIT) && SW_SYSCALL_NR(regs) != SW_NR_getppid)
		return 0;
	if (backup_syscall_hooks)
		first_runs(GATE_EXIT);
	return sys_exit(regs, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sw_sys_exit_backup, struct pt_regs *regs, long ret)
{
	bool ia32;

	if (first_ran(GATE_EXIT))
		return 0;
	/* Proof that this copy learnt holds the first one missed. */
	if (ret > 0 && fills_pipe(sw_syscall(SW_SYSCALL_NR(regs), &ia32)))
		count(SW_CNT_BACKUP_PIPE_SYNCS, 1);
	return sys_exit(regs, ret);
}

/* ---- truncate(path): checked where the kernel reaches the inode ---------- */

SEC("tp_btf/mm_filemap_delete_from_page_cache")
int BPF_PROG(sw_page_cache_delete, struct folio *folio)
{
	if (!tracking())
		return 0;
	check_truncate((u64)BPF_CORE_READ(folio, mapping), folio);
	return 0;
}

/* The partial last page is zeroed in place, not deleted; setattr then dirties
 * the inode. */
SEC("tp_btf/writeback_mark_inode_dirty")
int BPF_PROG(sw_inode_dirty, struct inode *inode, int flags)
{
	if (!tracking())
		return 0;
	check_truncate((u64)BPF_CORE_READ(inode, i_mapping), NULL);
	return 0;
}

/* ---- stores through a shared mapping ------------------------------------ */

/* Fires on a folio's clean -> dirty transition, so only the first store to a
 * clean page is seen, and only where the filesystem dirties through it. */
SEC("tp_btf/" SW_DIRTY_TP)
int BPF_PROG(sw_dirty_folio, struct folio *folio, struct address_space *mapping)
{
	struct check_ctx *c;
	s64 pos;
	u64 m;

	/* Every folio a write dirties comes here: leave before anything else. */
	if (!tracking())
		return 0;
	/* Read, not the trusted argument: the verifier forbids arithmetic on that. */
	m = (u64)BPF_CORE_READ(folio, mapping);
	if (pending_mask && !in_checked_syscall())
		index_pending();
	if (!mapping_tracked(m) || in_checked_syscall())
		return 0;
	pos = folio->index << SW_PAGE_SHIFT;
	/* Pages of a folio are contiguous; 512 covers a PMD-sized folio. */
	c = find_overlap(m, pos, 512 * SW_PAGE_SIZE, folio);
	if (c)
		report(c, &(struct write_desc){ .op = SW_OP_MMAP, .pos = c->index << SW_PAGE_SHIFT,
						.len = SW_PAGE_SIZE, .flags = SW_EVF_RANGE_PAGE,
						.deny_how = DENY_NO });
	return 0;
}

/* ---- fentry / kprobe backends: kernel functions ------------------------- */

#include "detect/call_end.bpf.h"

/* One body on function entry, as fentry or as kprobe (the backend picks one;
 * the arguments are the kernel function's, in order). */
#define KPROBE_ENTRY(fn, name, call, ...)					\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(sw_kprobe_##name, __VA_ARGS__)					\
{										\
	call;									\
	return 0;								\
}
#define ENTRY_HOOKS(fn, name, call, ...)					\
SEC("fentry/" #fn)								\
int BPF_PROG(sw_fentry_##name, __VA_ARGS__)					\
{										\
	call;									\
	return 0;								\
}										\
KPROBE_ENTRY(fn, name, call, __VA_ARGS__)

SEC("fentry/free_pipe_info")
int sw_fentry_free_pipe(u64 *ctx)
{
	u64 pipe;

	if (!tracking())
		return 0;
	/* Read as a plain number: a global function takes no typed pointers. */
	bpf_probe_read_kernel(&pipe, sizeof(pipe), &ctx[0]);
	forget_pipe(pipe);
	return 0;
}

SEC("kprobe/free_pipe_info")
int BPF_KPROBE(sw_kprobe_free_pipe, struct pipe_inode_info *pipe)
{
	if (tracking())
		forget_pipe((u64)pipe);
	return 0;
}

/* fexit ctx: in, ppos, pipe, len, flags, return value. The pipe is read as a
 * plain number: a global function takes no typed pointers. */
#define SPLICE_READ_HOOKS(fn)							\
SEC("fexit/" #fn)								\
int sw_fexit_##fn(u64 *ctx)							\
{										\
	u64 pipe;								\
										\
	if ((long)ctx[5] > 0 &&							\
	    !bpf_probe_read_kernel(&pipe, sizeof(pipe), &ctx[2]))		\
		sync_spliced_pipe(pipe);					\
	return 0;								\
}										\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(sw_kprobe_##fn, struct file *in, loff_t *ppos,			\
	       struct pipe_inode_info *pipe)					\
{										\
	splice_read_entry((u64)pipe);						\
	return 0;								\
}										\
SEC("kretprobe/" #fn)								\
int BPF_KRETPROBE(sw_kretprobe_##fn, long ret)					\
{										\
	splice_read_return(ret);						\
	return 0;								\
}

SPLICE_READ_HOOKS(filemap_splice_read)
SPLICE_READ_HOOKS(shmem_file_splice_read)
SPLICE_READ_HOOKS(generic_file_splice_read)

/* Backup hooks for what sys_exit learns (detect/backup_checks.bpf.h): tee,
 * pipe-to-pipe splice, vmsplice, F_SETPIPE_SZ. */

/* fexit ctx: in, out, len, flags, return value. */
SEC("fexit/do_tee")
int sw_fexit_do_tee(u64 *ctx)
{
	u64 out;

	if ((long)ctx[4] > 0 && !bpf_probe_read_kernel(&out, sizeof(out), &ctx[1]))
		sync_file(out);
	return 0;
}

SEC("kprobe/do_tee")
int BPF_KPROBE(sw_kprobe_do_tee, struct file *in, struct file *out)
{
	stash((u64)out, 0);
	return 0;
}

SEC("kretprobe/do_tee")
int BPF_KRETPROBE(sw_kretprobe_do_tee, long ret)
{
	struct ret_stash v;

	if (unstash(&v) && ret > 0)
		sync_file(v.a);
	return 0;
}

/* fexit ctx: in, off_in, out, off_out, len, flags, return value. */
SEC("fexit/do_splice")
int sw_fexit_do_splice(u64 *ctx)
{
	u64 in, out;

	if ((long)ctx[6] > 0 && !bpf_probe_read_kernel(&in, sizeof(in), &ctx[0]) &&
	    !bpf_probe_read_kernel(&out, sizeof(out), &ctx[2]))
		sync_pipe_to_pipe(in, out);
	if (no_syscall_hooks)
		call_ends();
	return 0;
}

SEC("kprobe/do_splice")
int BPF_KPROBE(sw_kprobe_do_splice, struct file *in, loff_t *off_in, struct file *out)
{
	if (file_is_pipe((u64)in) && file_is_pipe((u64)out))
		stash((u64)in, (u64)out);
	return 0;
}

SEC("kretprobe/do_splice")
int BPF_KRETPROBE(sw_kretprobe_do_splice, long ret)
{
	struct ret_stash v;

	if (unstash(&v) && ret > 0)
		sync_pipe_to_pipe(v.a, v.b);
	if (no_syscall_hooks)
		call_ends();
	return 0;
}

/* vmsplice's entry point fn (its pt_regs, then the return value), whose fd
 * sync (sync_vmsplice or _ia32) reads from the registers: programs
 * sw_fexit_NAME, sw_kprobe_NAME, sw_kretprobe_NAME. */
#define VMSPLICE_HOOKS(name, fn, sync)						\
SEC("fexit/" fn)								\
int sw_fexit_##name(u64 *ctx)							\
{										\
	u64 regs;								\
										\
	if ((long)ctx[1] > 0 && !bpf_probe_read_kernel(&regs, sizeof(regs), &ctx[0])) \
		sync(regs);							\
	return 0;								\
}										\
										\
SEC("kprobe/" fn)								\
int BPF_KPROBE(sw_kprobe_##name, struct pt_regs *regs)				\
{										\
	stash((u64)regs, 0);							\
	return 0;								\
}										\
										\
SEC("kretprobe/" fn)								\
int BPF_KRETPROBE(sw_kretprobe_##name, long ret)				\
{										\
	struct ret_stash v;							\
										\
	if (unstash(&v) && ret > 0)						\
		sync(v.a);							\
	return 0;								\
}

VMSPLICE_HOOKS(vmsplice, SW_SYS_PREFIX "vmsplice", sync_vmsplice)
/* IA-32 tasks' vmsplice (x86) enters here. */
VMSPLICE_HOOKS(vmsplice_ia32, SW_IA32_SYS_PREFIX "vmsplice", sync_vmsplice_ia32)

/* fexit ctx: file, cmd, arg, return value. */
SEC("fexit/pipe_fcntl")
int sw_fexit_pipe_fcntl(u64 *ctx)
{
	u64 file;

	if ((u32)ctx[1] == F_SETPIPE_SZ && (long)ctx[3] > 0 && tracking() &&
	    !bpf_probe_read_kernel(&file, sizeof(file), &ctx[0]))
		sync_file(file);
	else if ((u32)ctx[1] == F_GETPIPE_SZ)
		live_seen();
	return 0;
}

SEC("kprobe/pipe_fcntl")
int BPF_KPROBE(sw_kprobe_pipe_fcntl, struct file *file, unsigned int cmd)
{
	if (cmd == F_SETPIPE_SZ)
		stash((u64)file, 0);
	else if (cmd == F_GETPIPE_SZ)
		live_seen();
	return 0;
}

SEC("kretprobe/pipe_fcntl")
int BPF_KRETPROBE(sw_kretprobe_pipe_fcntl, long ret)
{
	struct ret_stash v;

	if (unstash(&v) && ret > 0 && tracking())
		sync_file(v.a);
	return 0;
}

/* truncate(path)'s length, for the checks where the kernel reaches the inode. */
ENTRY_HOOKS(vfs_truncate, vfs_truncate, note_truncate(length),
	    const struct path *path, loff_t length)

/* open(O_TRUNC) where the kernel cuts the file: do_truncate(dentry, length,
 * time_attrs, filp), since 5.12 with the mount's id map (user namespace
 * before 6.3) first. */
#ifdef SW_COMPAT
static __always_inline u32 do_truncate_dentry_arg(void)
{
	return bpf_core_field_exists(struct vfsmount___userns, mnt_userns) ? 1 : 0;
}

SEC("fentry/do_truncate")
int sw_fentry_open_trunc(u64 *ctx)
{
	u32 i = do_truncate_dentry_arg();
	u64 dentry, time_attrs;

	/* Read as plain numbers: which argument is which is known at load. */
	if (!bpf_probe_read_kernel(&dentry, sizeof(dentry), &ctx[i]) &&
	    !bpf_probe_read_kernel(&time_attrs, sizeof(time_attrs), &ctx[i + 2]))
		check_cut_at_open((struct dentry *)dentry, time_attrs);
	return 0;
}

SEC("kprobe/do_truncate")
int BPF_KPROBE(sw_kprobe_open_trunc, u64 a1, u64 a2, u64 a3, u64 a4)
{
	bool userns = do_truncate_dentry_arg();

	/* Each register loaded at its own offset: a pick between two loads
	 * would compile to one load at a computed offset of ctx, refused. */
	barrier_var(a1);
	barrier_var(a2);
	barrier_var(a3);
	barrier_var(a4);
	check_cut_at_open((struct dentry *)(userns ? a2 : a1), userns ? a4 : a3);
	return 0;
}
#else
ENTRY_HOOKS(do_truncate, open_trunc, check_cut_at_open(dentry, time_attrs),
	    void *idmap, struct dentry *dentry, loff_t length, unsigned int time_attrs)
#endif

/* Backup hooks for fallocate and ftruncate's sys_enter check. */
ENTRY_HOOKS(vfs_fallocate, vfs_fallocate, check_file_change(file, SW_NR_fallocate, SW_OP_FALLOCATE),
	    struct file *file)
ENTRY_HOOKS(do_ftruncate, do_ftruncate, check_file_change(file, SW_NR_ftruncate, SW_OP_FTRUNCATE),
	    struct file *file)
/* Kernels without do_ftruncate (5.10, 6.1): the syscall's body, given the fd. */
ENTRY_HOOKS(do_sys_ftruncate, do_sys_ftruncate,
	    check_file_change(fd_to_file(fd), SW_NR_ftruncate, SW_OP_FTRUNCATE),
	    unsigned int fd)

/* Buffered writes whoever makes them (io_uring, AIO, nfsd; the backup hook
 * of the write syscalls): detect/write_check.bpf.h check_buffered_write. */
#ifdef SW_COMPAT	/* (file, iter, pos) before 5.18 */
SEC("fentry/generic_perform_write")
int sw_fentry_perform_write(u64 *ctx)
{
	struct iov_iter *i;
	u64 file;

	/* The file as a plain number: the global functions it reaches take no
	 * typed pointers. */
	if (!bpf_probe_read_kernel(&file, sizeof(file), &ctx[0]) &&
	    !bpf_probe_read_kernel(&i, sizeof(i), &ctx[1]))
		check_buffered_write((struct file *)file, (s64)ctx[2], BPF_CORE_READ(i, count));
	return 0;
}

SEC("kprobe/generic_perform_write")
int BPF_KPROBE(sw_kprobe_perform_write, struct file *file, struct iov_iter *i, loff_t pos)
{
	check_buffered_write(file, pos, BPF_CORE_READ(i, count));
	return 0;
}
#else
ENTRY_HOOKS(generic_perform_write, perform_write, check_write_iter(iocb, iter),
	    struct kiocb *iocb, struct iov_iter *iter)
#endif
ENTRY_HOOKS(iomap_file_buffered_write, iomap_write, check_write_iter(iocb, iter),
	    struct kiocb *iocb, struct iov_iter *iter)
/* Write syscalls at their permission check: backup hooks (syscall attach raw). */
ENTRY_HOOKS(security_file_permission, file_permission, check_at_permission(file, mask),
	    struct file *file, int mask)
/* Every VFS write, where the syscall attach is none: check_write_area. */
ENTRY_HOOKS(rw_verify_area, write_area, check_write_area(rw, file, ppos, count),
	    int rw, struct file *file, const loff_t *ppos, size_t count)
/* truncate(path), where the syscall attach is none: at the LSM check, after
 * the permission checks, instead of where the kernel reaches the inode (with
 * --action deny, lsm/path_truncate checks and refuses). */
ENTRY_HOOKS(security_path_truncate, path_truncate,
	    ({ if (!deny_mode) check_path_truncate(BPF_CORE_READ(path, dentry), DENY_NO); }),
	    const struct path *path)

/* ---- the kernel's own in-place writers: detect/kernel_writers.bpf.h ------- */

/* A kernel writer's hook: fentry, its backup copy (lib/backup_gate.bpf.h: a
 * preempted run makes the trampoline skip the program for the CPU's other
 * tasks), and kprobe, which runs with preemption off: where runs can be
 * skipped the fentry backend loads the kprobe programs, and the backup
 * copies only where there are no kprobes (src/hooks.c). */
#define KERNEL_WRITER_HOOKS(fn, name, gate, call, ...)				\
SEC("fentry/" #fn)								\
int BPF_PROG(sw_fentry_##name, __VA_ARGS__)					\
{										\
	if (test_drop & SW_DROP_KERNEL_WRITERS)					\
		return 0;							\
	if (backup_hooks)							\
		first_runs(gate);						\
	call;									\
	return 0;								\
}										\
SEC("fentry/" #fn)								\
int BPF_PROG(sw_fentry_##name##_backup, __VA_ARGS__)				\
{										\
	if (!first_ran(gate))							\
		call;								\
	return 0;								\
}										\
KPROBE_ENTRY(fn, name, call, __VA_ARGS__)

KERNEL_WRITER_HOOKS(crypto_aead_encrypt, aead_encrypt, GATE_AEAD_ENCRYPT,
		    check_crypto_request((struct aead_request___sw *)req, SW_OP_AEAD_ENCRYPT),
		    void *req)
KERNEL_WRITER_HOOKS(crypto_aead_decrypt, aead_decrypt, GATE_AEAD_DECRYPT,
		    check_crypto_request((struct aead_request___sw *)req, SW_OP_AEAD_DECRYPT),
		    void *req)
KERNEL_WRITER_HOOKS(crypto_skcipher_encrypt, skcipher_encrypt, GATE_SKCIPHER_ENCRYPT,
		    check_crypto_request((struct skcipher_request___sw *)req,
					 SW_OP_SKCIPHER_ENCRYPT), void *req)
KERNEL_WRITER_HOOKS(crypto_skcipher_decrypt, skcipher_decrypt, GATE_SKCIPHER_DECRYPT,
		    check_crypto_request((struct skcipher_request___sw *)req,
					 SW_OP_SKCIPHER_DECRYPT), void *req)

/* Pipes handing their pages on to a socket (sendfile's own pipe too), with
 * the same three programs. fentry ctx: pipe, out, ppos, len, flags; the pipe
 * read as a plain number: a global function takes no typed pointers. */
static __always_inline void handoff_from_ctx(u64 *ctx)
{
	u64 pipe;

	if (!bpf_probe_read_kernel(&pipe, sizeof(pipe), &ctx[0]))
		note_handoff(pipe);
}

#define HANDOFF_HOOKS(fn, name, gate)						\
SEC("fentry/" #fn)								\
int sw_fentry_##name(u64 *ctx)							\
{										\
	if (!tracking() || (test_drop & SW_DROP_KERNEL_WRITERS))		\
		return 0;							\
	if (backup_hooks)							\
		first_runs(gate);						\
	handoff_from_ctx(ctx);							\
	return 0;								\
}										\
SEC("fentry/" #fn)								\
int sw_fentry_##name##_backup(u64 *ctx)						\
{										\
	if (tracking() && !first_ran(gate))					\
		handoff_from_ctx(ctx);						\
	return 0;								\
}										\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(sw_kprobe_##name, struct pipe_inode_info *pipe)			\
{										\
	if (tracking())								\
		note_handoff((u64)pipe);					\
	return 0;								\
}

HANDOFF_HOOKS(splice_to_socket, handoff, GATE_HANDOFF)
HANDOFF_HOOKS(generic_splice_sendpage, handoff_sendpage, GATE_HANDOFF_SENDPAGE)

SEC("tp_btf/softirq_entry")
int BPF_PROG(sw_softirq_entry, unsigned int vec_nr)
{
	u32 *d = softirq_depth_here();

	if (d)
		(*d)++;
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(sw_softirq_exit, unsigned int vec_nr)
{
	u32 *d = softirq_depth_here();

	if (d && *d)
		(*d)--;
	return 0;
}

/* ---- enforce --action deny: BPF LSM ---------------------------------------- */

SEC("lsm/file_permission")
int BPF_PROG(sw_lsm_file_permission, struct file *file, int mask, int ret)
{
	int rc;

	if (ret)
		return ret;
	if (!(mask & MAY_WRITE))
		return 0;
	rc = refuse_pending((u64)file, 0);
	/* The kernel's file: another than sys_enter checked (a skipped run, or
	 * a thread that dup2()ed it over the fd since) is checked here. Where
	 * the syscall attach is none, rw_verify_area checked the kernel's own. */
	if (!rc && marks_on() && !no_syscall_hooks)
		rc = refuse_unchecked_write(file);
	/* A refused write does not raise the task's write count: its mark
	 * would pass the same call, retried, as checked. */
	if (rc && marks_on())
		clear_mark();
	return rc;
}

/* ftruncate and open(O_TRUNC) from 6.2 on. */
SEC("lsm/file_truncate")
int BPF_PROG(sw_lsm_file_truncate, struct file *file, int ret)
{
	if (ret)
		return ret;
	if (open_syscall(current_syscall()))
		return refuse_open_trunc(BPF_CORE_READ(file, f_path.dentry));
	return refuse_pending((u64)file, 0);
}

/* truncate(path) everywhere, ftruncate and open(O_TRUNC) before 6.2: the
 * inode is known here, before a byte changes. */
SEC("lsm/path_truncate")
int BPF_PROG(sw_lsm_path_truncate, const struct path *path, int ret)
{
	struct dentry *dentry;
	int rc;

	if (ret)
		return ret;
	dentry = BPF_CORE_READ(path, dentry);
	if (open_syscall(current_syscall()))
		return refuse_open_trunc(dentry);
	rc = refuse_pending(0, (u64)dentry);
	if (rc)
		return rc;
	return check_path_truncate(dentry, DENY_NOW) == SW_ACT_DENIED ? -EPERM : 0;
}

/* ---- io_uring: splice and tee requests fill pipes without a syscall ------- */

/* 5.10's later updates, and on: ctx, req, opcode or user_data, ... */
SEC("tp_btf/io_uring_submit_sqe")
int sw_io_uring_submit(u64 *ctx)
{
	struct io_kiocb *req;
	struct uring_key key;
	u64 file;

	if (bpf_probe_read_kernel(&req, sizeof(req), &ctx[1]))
		return 0;
	file = uring_pipe_file(req);
	if (!file)
		return 0;
	key.ring = ctx[0];
	key.user_data = BPF_CORE_READ((struct io_kiocb___user_data *)req, user_data);
	bpf_map_update_elem(&uring_files, &key, &file, BPF_ANY);
	return 0;
}

/* Fires as each request's completion is posted, before the submitter can see
 * it. */
SEC("tp_btf/io_uring_complete")
int sw_io_uring_complete(u64 *ctx)
{
#ifndef SW_COMPAT
	/* Arguments differ between kernels but the request is always the second. */
	struct io_kiocb *req;

	if (!bpf_probe_read_kernel(&req, sizeof(req), &ctx[1]))
		sync_file(uring_pipe_file(req));
#else
	/* ctx, user_data, res, cflags */
	struct uring_key key = { .ring = ctx[0], .user_data = ctx[1] };
	u64 *file = bpf_map_lookup_elem(&uring_files, &key);

	if (file) {
		if ((int)ctx[2] > 0)
			sync_file(*file);
		bpf_map_delete_elem(&uring_files, &key);
	}
#endif
	return 0;
}

/* ---- process tree scope (ci) --------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sw_fork, struct task_struct *parent, struct task_struct *child)
{
	u32 ppid = parent->tgid, cpid = child->tgid;
	u8 one = 1;

	if (scope_enabled && bpf_map_lookup_elem(&scope_pids, &ppid))
		bpf_map_update_elem(&scope_pids, &cpid, &one, BPF_ANY);
	return 0;
}

/* ---- garbage collection ------------------------------------------------ */

#ifdef SW_COMPAT
/* No bpf_for_each_map_elem before 5.13: the frontend walks the maps and runs
 * this per entry, ctx = { SW_GC_*, key }. */
SEC("raw_tp")
int sw_gc(u64 *ctx)
{
	struct sw_chunk_key ck = { .mapping = ctx[1], .chunk = ctx[2] };
	struct sw_mapping_state *ms;
	struct sw_chunk *ch;
	u64 key = ctx[1];

	switch (ctx[0]) {
	case SW_GC_PIPE:
		gc_pipe(key);
		break;
	case SW_GC_CHUNK:
		ch = bpf_map_lookup_elem(&chunks, &ck);
		if (ch)
			sweep_chunk_cb((struct bpf_map *)&chunks, &ck, ch, NULL);
		break;
	case SW_GC_MAPPING:
		ms = bpf_map_lookup_elem(&mappings, &key);
		if (ms)
			sweep_mapping_cb((struct bpf_map *)&mappings, &key, ms, NULL);
		break;
	case SW_GC_UNTRACKED:
		gc_untracked(ctx[1], ctx[2]);
		break;
	}
	return 0;
}
#else
SEC("raw_tp")
int sw_gc(void *ctx)
{
	bpf_for_each_map_elem(&pipes, gc_pipe_cb, NULL, 0);
	if (sweep_due(SW_INDEX_CHUNKS, counters[SW_CNT_CHUNKS], chunk_capacity))
		bpf_for_each_map_elem(&chunks, sweep_chunk_cb, NULL, 0);
	if (sweep_due(SW_INDEX_MAPPINGS, counters[SW_CNT_MAPPING_TOMBS], mapping_capacity))
		bpf_for_each_map_elem(&mappings, sweep_mapping_cb, NULL, 0);
	if (untracked_marks)
		bpf_for_each_map_elem(&untracked_holds, gc_untracked_cb, NULL, 0);
	return 0;
}
#endif
