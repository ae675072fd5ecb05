/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Checking a write: gate (anything held of this file?), decode, overlap
 * check, report. One entry per kind of hook: a write syscall at sys_enter,
 * truncate(path) where the kernel reaches the inode, a buffered write
 * (write_iter paths), a store through a shared mapping.
 */
#ifndef SW_DETECT_WRITE_CHECK_BPF_H
#define SW_DETECT_WRITE_CHECK_BPF_H

#include "backup_marks.bpf.h"

/* The range syscall nr (native number, as op) writes to file, from its
 * registers (ia32: an IA-32 syscall's); checked and reported. backup: a
 * backup hook checks it, no sys_enter run did. The action taken, 0 when
 * nothing is held there. */
static __always_inline u32 check_write_to(struct pt_regs *regs, long nr, u32 op, struct file *file,
					  u32 deny_how, bool backup, bool ia32)
{
	struct write_desc w = { .file = file, .op = op, .deny_how = deny_how };
	struct check_ctx *c;
	u64 mapping;

	/* Only regular files and block devices have page-cache pages a pipe
	 * can hold: a splice into a pipe or /dev/null leaves batches pending. */
	if (pending_mask && may_be_held(file))
		index_pending();
	mapping = (u64)BPF_CORE_READ(file, f_mapping);
	if (!mapping_tracked(mapping))
		return 0;
	if (backup)
		count(SW_CNT_BACKUP_CHECKS, 1);
	if (!decode_write(regs, &w, ia32)) {
		if (marks_on())
			mark_checked(file, nr, 0, 0, false);
		return 0;
	}
	if (marks_on())
		mark_checked(file, nr, w.pos, w.len, false);
	c = find_overlap(mapping, w.pos, w.len, NULL);
	if (!c)
		return 0;
	if (w.len == LEN_TO_EOF)
		w.len = 0;
	return report(c, &w);
}

/* The length this thread's truncate(path) or open(O_TRUNC) cuts its file to,
 * for the checks where the kernel reaches the inode; its syscall's exit
 * forgets it. */
static __always_inline void note_cut(s64 length)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&pending_truncate, &tid, &length, BPF_ANY);
}

/* The end of a truncate(path) or open: its noted cut goes. */
static __always_inline void forget_cut(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (bpf_map_lookup_elem(&pending_truncate, &tid))
		bpf_map_delete_elem(&pending_truncate, &tid);
}

/* The op a noted cut is reported as. */
static __always_inline u32 cut_op(void)
{
	return current_syscall() == SW_NR_truncate ? SW_OP_TRUNCATE : SW_OP_OPEN_TRUNC;
}

/* backup: the backup copy's check (a backup hook), of a write the first copy may
 * have checked. */
static __always_inline int check_write(struct pt_regs *regs, long id, bool backup)
{
	struct file *file;
	bool ia32;
	u32 op;

	/* Our own output (a held -o file) would report itself forever. */
	if (bpf_get_current_pid_tgid() >> 32 == self_tgid)
		return 0;
	id = sw_syscall(id, &ia32);
	switch (id) {
	case SW_NR_fallocate:
		op = SW_OP_FALLOCATE;
		break;
	case SW_NR_ftruncate:
		op = SW_OP_FTRUNCATE;
		break;
	case SW_NR_truncate:
		note_cut(cut_length(regs, ia32));
		return 0;
	default:
		if (open_syscall(id)) {
			if (open_truncates(regs, id, ia32))
				note_cut(0);
			return 0;
		}
		op = syscall_op(id);
		if (op == SW_OP_WRITE_ITER)
			return 0;
	}
	file = fd_to_file(id == SW_NR_copy_file_range || id == SW_NR_splice ? SW_SYS_ARG3(regs, ia32) :
										 SW_SYS_ARG1(regs, ia32));
	if (!file || (backup && entry_checked(file, id)))
		return 0;
	check_write_to(regs, id, op, file, DENY_AT_LSM, backup, ia32);
	return 0;
}

static __always_inline void check_truncate(u64 mapping, struct folio *folio)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct check_ctx *c;
	s64 *length, len;

	length = bpf_map_lookup_elem(&pending_truncate, &tid);
	if (!length)
		return;
	len = *length;
	index_pending();
	/* A whole folio leaving the page cache: only its pages count. */
	c = folio ? find_overlap(mapping, BPF_CORE_READ(folio, index) << SW_PAGE_SHIFT,
				 512 * SW_PAGE_SIZE, folio) :
		    find_overlap(mapping, len, LEN_TO_EOF, NULL);
	if (!c)
		return;
	bpf_map_delete_elem(&pending_truncate, &tid);	/* one report per call */
	report(c, &(struct write_desc){ .op = cut_op(), .pos = len, .len = 0,
					.late = true, .deny_how = DENY_NO });
}

/* A cut of dentry's file to len bytes, reported as op: every byte from len
 * on, before a byte changes. The action taken, 0 when nothing is held there.
 * Once per call: a noted cut is forgotten when reported. */
static __always_inline u32 check_cut(struct dentry *dentry, s64 len, u32 op, u32 deny_how)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct check_ctx *c;

	index_pending();
	c = find_overlap((u64)BPF_CORE_READ(dentry, d_inode, i_mapping), len, LEN_TO_EOF, NULL);
	if (!c)
		return 0;
	bpf_map_delete_elem(&pending_truncate, &tid);
	return report(c, &(struct write_desc){ .op = op, .pos = len, .len = 0,
					       .late = true, .deny_how = deny_how });
}

/* truncate(path) of dentry, whose length vfs_truncate (or sys_enter) noted,
 * at its LSM check. */
static __always_inline u32 check_path_truncate(struct dentry *dentry, u32 deny_how)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	s64 *length;

	if (!tracking())
		return 0;
	length = bpf_map_lookup_elem(&pending_truncate, &tid);
	if (!length)
		return 0;
	return check_cut(dentry, *length, SW_OP_TRUNCATE, deny_how);
}

/* open(O_TRUNC) of dentry, at the kernel's cut or its LSM check: every byte. */
static __always_inline u32 check_open_trunc(struct dentry *dentry, u32 deny_how)
{
	if (!tracking())
		return 0;
	return check_cut(dentry, 0, SW_OP_OPEN_TRUNC, deny_how);
}

/* An open syscall's cut at the truncate LSM hook it reaches: 0, or the
 * refusal. */
static __always_inline int refuse_open_trunc(struct dentry *dentry)
{
	return check_open_trunc(dentry, DENY_NOW) == SW_ACT_DENIED ? -EPERM : 0;
}

/* do_truncate, where the kernel cuts: open(O_TRUNC) is the call that says
 * ATTR_OPEN, whichever way it came (a syscall or io_uring's openat; truncate
 * and ftruncate were checked before). With --action deny the LSM hook
 * checked an open syscall's cut already. */
static __always_inline void check_cut_at_open(struct dentry *dentry, unsigned int time_attrs)
{
	if (!(time_attrs & ATTR_OPEN) || (deny_mode && open_syscall(current_syscall())))
		return;
	check_open_trunc(dentry, DENY_NO);
}

static __always_inline bool in_checked_syscall(void)
{
	return checked_syscall(current_syscall());
}

/* truncate(path): its length, which sys_enter notes for the checks where the
 * kernel reaches the inode, noted here too. Only inside truncate(2): sys_exit
 * forgets it. */
static __always_inline void note_truncate(s64 length)
{
	if (current_syscall() == SW_NR_truncate)
		note_cut(length);
}

/* The buffered write paths every writer goes through, syscall or not: catches
 * io_uring, AIO and in-kernel writers (nfsd, ksmbd). Here the file and range
 * are the kernel's own (iocb->ki_filp, ki_pos, the iter's count): a write
 * inside a syscall sys_enter checked is left to it only where its mark covers
 * that file and range (detect/backup_marks.bpf.h); any other is checked here
 * and reported as its syscall, once per syscall: a skipped sys_enter run, or
 * a thread that changed the fd, iovecs or offset after sys_enter read them.
 * A buffered write of count bytes at pos of file. */
static __always_inline void check_buffered_write(struct file *file, s64 pos, u64 count)
{
	struct check_ctx *c;
	u32 op;
	u64 mapping;

	if (!tracking())
		return;
	index_pending();
	mapping = (u64)BPF_CORE_READ(file, f_mapping);
	if (!mapping_tracked(mapping))
		return;
	op = write_iter_op((u64)file, pos, count);
	if (!op)
		return;
	c = find_overlap(mapping, pos, count, NULL);
	if (!c)
		return;
	report(c, &(struct write_desc){ .file = file, .op = op, .pos = pos, .len = count,
					.deny_how = DENY_NO });
	if (op != SW_OP_WRITE_ITER)
		mark_reported((u64)file);
}

static __always_inline void check_write_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	check_buffered_write(BPF_CORE_READ(iocb, ki_filp), BPF_CORE_READ(iocb, ki_pos),
			     BPF_CORE_READ(iter, count));
}

/* rw_verify_area, where the syscall attach is none: the one check of a write
 * made through the VFS (the write syscalls, splice into a file, sendfile,
 * copy_file_range, io_uring, AIO, nfsd, ksmbd, overlayfs' backing files), on
 * every file system, direct I/O included, before its bytes land, with the
 * kernel's own file, position and length. Inside a write syscall it is
 * reported as that syscall, once (before 6.8 a splice into a file verifies
 * each chunk again), and refused by the LSM hook rw_verify_area calls next
 * (deny_pending); outside one as write_iter. Writers that do not call it
 * (__kernel_write: coredumps, process accounting; the loop driver) are not
 * seen (docs/syscall-attach.md). */
static __always_inline void check_write_area(int rw, struct file *file, const loff_t *ppos,
					     u64 len)
{
	struct pt_regs *regs;
	struct check_ctx *c;
	bool ia32;
	s64 pos;
	long nr;
	u32 op;
	u64 mapping;

	if (rw != SW_RW_WRITE || !tracking())
		return;
	if (pending_mask && may_be_held(file))
		index_pending();
	mapping = (u64)BPF_CORE_READ(file, f_mapping);
	if (!mapping_tracked(mapping))
		return;
	/* Our own output (a held -o file) would report itself forever. */
	if (bpf_get_current_pid_tgid() >> 32 == self_tgid)
		return;
	/* No position (a stream), or one rw_verify_area refuses before its LSM
	 * hook: a refusal left pending would never be taken. */
	if (!ppos || bpf_probe_read_kernel(&pos, sizeof(pos), ppos) || pos < 0 ||
	    (s64)len < 0 || (s64)(pos + len) < 0)
		return;
	nr = current_syscall_abi(&ia32);
	op = syscall_op(nr);
	/* Appends land at the end, whatever the position says. */
	regs = sw_current_regs();
	if ((nr == SW_NR_pwritev2 && (SW_SYS_ARG6(regs, ia32) & RWF_APPEND)) ||
	    (BPF_CORE_READ(file, f_flags) & O_APPEND))
		pos = file_pos(file, true);
	if (op != SW_OP_WRITE_ITER) {
		count(SW_CNT_BACKUP_CHECKS, 1);
		if (entry_covers(file, nr, pos, len))
			return;
	}
	c = find_overlap(mapping, pos, len, NULL);
	if (!c)
		return;
	report(c, &(struct write_desc){ .file = file, .op = op, .pos = pos, .len = len,
					.deny_how = op == SW_OP_WRITE_ITER ? DENY_NO : DENY_AT_LSM });
	/* Inline: a global function takes no trusted pointer (fentry's file). */
	if (op != SW_OP_WRITE_ITER)
		mark_checked(file, nr, 0, 0, true);
}

#endif /* SW_DETECT_WRITE_CHECK_BPF_H */
