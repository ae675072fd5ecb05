/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Write decoding: which syscall the current task is in, and the byte range a
 * write syscall changes, from its registers (struct write_desc).
 */
#ifndef SW_DETECT_WRITE_DECODE_BPF_H
#define SW_DETECT_WRITE_DECODE_BPF_H

#include "report.bpf.h"
#include "../lib/syscall_abi.bpf.h"

/* An IA-32 task's struct iovec. */
struct sw_iovec32 {
	u32 base;
	u32 len;
};

/* The bytes of the cnt iovecs at uiov (an IA-32 task's: struct sw_iovec32). */
static __always_inline u64 iov_total(u64 uiov, long cnt, bool ia32, u32 *flags)
{
	u64 total = 0;
	struct iovec iov;
	struct sw_iovec32 iov32;
	int i;

	if (cnt <= 0)
		return 0;
	if (cnt > 64) {
		*flags |= SW_EVF_LEN_UNKNOWN;
		return LEN_TO_EOF;
	}
	for (i = 0; i < 64; i++) {
		if (i >= cnt)
			break;
		if (ia32) {
			if (bpf_probe_read_user(&iov32, sizeof(iov32), (void *)(uiov + i * sizeof(iov32)))) {
				*flags |= SW_EVF_LEN_UNKNOWN;
				return LEN_TO_EOF;
			}
			total += iov32.len;
			continue;
		}
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(uiov + i * sizeof(iov)))) {
			*flags |= SW_EVF_LEN_UNKNOWN;
			return LEN_TO_EOF;
		}
		total += iov.iov_len;
	}
	return total;
}

static __always_inline s64 file_pos(struct file *file, bool append)
{
	if (append || (BPF_CORE_READ(file, f_flags) & O_APPEND))
		return BPF_CORE_READ(file, f_inode, i_size);
	return BPF_CORE_READ(file, f_pos);
}

static __always_inline s64 user_off(u64 uoff, struct file *file)
{
	s64 off;

	if (!uoff)
		return file_pos(file, false);
	if (bpf_probe_read_user(&off, sizeof(off), (void *)uoff))
		return -1;
	return off;
}

static __always_inline bool may_be_held(struct file *file)
{
	u32 mode = BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;

	return mode == S_IFREG || mode == S_IFBLK;
}

/* The syscalls sys_enter checks (check_write), by number. */
static __always_inline bool checked_syscall(long nr)
{
	switch (nr) {
	case SW_NR_write: case SW_NR_pwrite64: case SW_NR_writev: case SW_NR_pwritev:
	case SW_NR_pwritev2: case SW_NR_copy_file_range: case SW_NR_splice:
	case SW_NR_sendfile: case SW_NR_fallocate: case SW_NR_ftruncate:
		return true;
	}
	return false;
}

/* Compat: where a task's syscall registers sit from the bottom of its kernel
 * stack, learnt from the frontend's first getppid at sys_enter (whose
 * argument points there); until then the top of a 16 KiB stack (x86-64
 * without KASAN). */
u64 regs_offset;

static __always_inline struct pt_regs *sw_current_regs(void)
{
#ifdef SW_COMPAT
	void *stack = BPF_CORE_READ(sw_current_task(), stack);

	return stack + (regs_offset ?: 4 * 4096 - sizeof(struct pt_regs));
#else
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
#endif
}

/* The native number of the syscall the current task is in (sw_syscall);
 * *ia32: an IA-32 one (its arguments: SW_SYS_ARGn). */
static __always_inline long current_syscall_abi(bool *ia32)
{
#ifdef SW_COMPAT
	return sw_syscall(BPF_CORE_READ(sw_current_regs(), SW_REGS_NR), ia32);
#else
	return sw_syscall(SW_SYSCALL_NR(sw_current_regs()), ia32);
#endif
}

static __always_inline long current_syscall(void)
{
	bool ia32;

	return current_syscall_abi(&ia32);
}

/* The op a write syscall is reported as. */
static __always_inline u32 syscall_op(long nr)
{
	switch (nr) {
	case SW_NR_write: return SW_OP_WRITE;
	case SW_NR_pwrite64: return SW_OP_PWRITE64;
	case SW_NR_writev: return SW_OP_WRITEV;
	case SW_NR_pwritev: return SW_OP_PWRITEV;
	case SW_NR_pwritev2: return SW_OP_PWRITEV2;
	case SW_NR_copy_file_range: return SW_OP_COPY_FILE_RANGE;
	case SW_NR_splice: return SW_OP_SPLICE;
	case SW_NR_sendfile: return SW_OP_SENDFILE;
	}
	return SW_OP_WRITE_ITER;
}

/* The open syscalls: with O_TRUNC they cut an existing file to 0 bytes
 * (arm64 has only openat and openat2). */
static __always_inline bool open_syscall(long nr)
{
	switch (nr) {
#ifdef SW_NR_open
	case SW_NR_open:
	case SW_NR_creat:
#endif
	case SW_NR_openat:
	case SW_NR_openat2:
		return true;
	}
	return false;
}

/* openat2's O_TRUNC, from its struct open_how (flags first) in user memory.
 * A function of its own: inlined, the compiler may merge this stack read with
 * the register loads beside it into one instruction on two kinds of pointer,
 * which the verifier refuses (arm64). */
static __noinline bool open_how_truncates(u64 how)
{
	u64 flags;

	return !bpf_probe_read_user(&flags, sizeof(flags), (void *)how) && (flags & O_TRUNC);
}

/* Whether open syscall nr (native number; ia32: an IA-32 one) asks for
 * O_TRUNC, from its registers. */
static __always_inline bool open_truncates(struct pt_regs *regs, long nr, bool ia32)
{
	switch (nr) {
#ifdef SW_NR_open
	case SW_NR_creat:
		return true;
	case SW_NR_open:		/* flags 2 */
		return SW_SYS_ARG2(regs, ia32) & O_TRUNC;
#endif
	case SW_NR_openat:		/* flags 3 */
		return SW_SYS_ARG3(regs, ia32) & O_TRUNC;
	case SW_NR_openat2:		/* struct open_how 3 */
		return open_how_truncates(SW_SYS_ARG3(regs, ia32));
	}
	return false;
}

/* The length truncate or ftruncate cuts to: argument 2; IA-32, 32 bits
 * (truncate's signed) or, in truncate64 and ftruncate64, arguments 2 and 3. */
static __always_inline s64 cut_length(struct pt_regs *regs, bool ia32)
{
#if defined(__TARGET_ARCH_x86)
	long id = SW_SYSCALL_NR(regs);

	if (ia32 && (id == SW_IA32_NR_truncate64 || id == SW_IA32_NR_ftruncate64))
		return SW_SYS_OFF(regs, true, 2);
	if (ia32 && id == SW_IA32_NR_truncate)
		return (s32)SW_SYS_ARG2(regs, true);
#endif
	return SW_SYS_ARG2(regs, ia32);
}

/* The bytes write syscall w->op changes in w->file, from its registers (ia32:
 * an IA-32 syscall's), into w (LEN_TO_EOF: every byte from w->pos on);
 * false when it changes none (or none can be told). */
static __always_inline bool decode_write(struct pt_regs *regs, struct write_desc *w, bool ia32)
{
	switch (w->op) {
	case SW_OP_WRITE:
		w->pos = file_pos(w->file, false);
		w->len = SW_SYS_ARG3(regs, ia32);
		break;
	case SW_OP_PWRITE64:		/* IA-32: pos 4 and 5 */
		w->pos = SW_SYS_OFF(regs, ia32, 4);
		w->len = SW_SYS_ARG3(regs, ia32);
		break;
	case SW_OP_WRITEV:
		w->pos = file_pos(w->file, false);
		w->len = iov_total(SW_SYS_ARG2(regs, ia32), SW_SYS_ARG3(regs, ia32), ia32, &w->flags);
		break;
	case SW_OP_PWRITEV:		/* IA-32: pos 4 and 5 */
		w->pos = SW_SYS_OFF(regs, ia32, 4);
		w->len = iov_total(SW_SYS_ARG2(regs, ia32), SW_SYS_ARG3(regs, ia32), ia32, &w->flags);
		break;
	case SW_OP_PWRITEV2: {		/* flags 6 (IA-32 too) */
		u64 flags = SW_SYS_ARG6(regs, ia32);

		w->pos = SW_SYS_OFF(regs, ia32, 4);
		if (w->pos == -1 || (flags & RWF_APPEND))
			w->pos = file_pos(w->file, flags & RWF_APPEND);
		w->len = iov_total(SW_SYS_ARG2(regs, ia32), SW_SYS_ARG3(regs, ia32), ia32, &w->flags);
		break;
	}
	case SW_OP_COPY_FILE_RANGE:
	case SW_OP_SPLICE:		/* out 3, off_out 4, len 5 */
		w->pos = user_off(SW_SYS_ARG4(regs, ia32), w->file);
		w->len = SW_SYS_ARG5(regs, ia32);
		break;
	case SW_OP_SENDFILE:
		w->pos = file_pos(w->file, false);
		w->len = SW_SYS_ARG4(regs, ia32);
		break;
	case SW_OP_FALLOCATE: {		/* IA-32: offset 3 and 4, len 5 and 6 */
		long mode = (int)SW_SYS_ARG2(regs, ia32);

		w->pos = SW_SYS_OFF(regs, ia32, 3);
		w->len = ia32 ? SW_SYS_OFF(regs, true, 5) : SW_ARG4(regs);
		if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE))
			w->len = LEN_TO_EOF;	/* every byte after pos moves */
		else if (!(mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)))
			return false;		/* allocation keeps existing bytes */
		w->late = true;
		break;
	}
	case SW_OP_FTRUNCATE:
		w->pos = cut_length(regs, ia32);
		w->len = LEN_TO_EOF;
		w->late = true;
		break;
	default:
		return false;
	}
	return w->pos >= 0;
}

#endif /* SW_DETECT_WRITE_DECODE_BPF_H */
