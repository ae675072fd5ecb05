/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Backup hooks, part one: what the syscall hooks really did. The kernel can
 * skip a syscall tracepoint program's run (faultable tracepoints, 6.14+, on a
 * kernel that preempts kernel code). With backup hooks on (rodata
 * backup_hooks), they check again where the kernel is sure to pass: kernel
 * functions on the fentry and kprobe backends, a backup copy of each syscall hook on
 * the tracepoint backend.
 * They look here to leave alone what the first hook did: the write marks
 * sys_enter leaves, and the backup gates.
 */
#ifndef SW_DETECT_BACKUP_MARKS_BPF_H
#define SW_DETECT_BACKUP_MARKS_BPF_H

#include "write_decode.bpf.h"
#include "../lib/backup_gate.bpf.h"

/* sys_enter leaves a mark for the write it checked (a file something is held
 * of): the file and the range it decoded, so the write_iter hooks leave that
 * one write to it and check every other: a skipped sys_enter run leaves no
 * mark, and a racing thread that changes the write after sys_enter read it
 * (dup2() of another file over the fd, iovec lengths, the offset, the file
 * position) makes the kernel write a file or range the mark does not cover.
 * Kept where marks_on: backup hooks on, or write_iter hooks loaded (the
 * fentry and kprobe backends). Per thread, keyed by tid (the programs run
 * preemptible, so nothing per CPU). Valid for one syscall: it names the
 * syscall and the file, and the count of write syscalls the task had made
 * (ioac.syscw, raised as each write, pwrite, writev, copy_file_range or
 * sendfile ends), and sys_exit clears it. A stale mark needs a skipped
 * sys_exit and then a skipped sys_enter of the same syscall on the same file. */
struct write_mark {
	u64 file;
	u64 syscw;
	long nr;
	s64 pos;		/* the range sys_enter checked: [pos, pos + len) */
	u64 len;		/* 0: none (not decoded); LEN_TO_EOF: to the end */
	bool reported;		/* reported in this syscall: every range covered */
};

SW_THREAD_MAP(write_marks, 4096, struct write_mark);

static __always_inline u64 write_syscalls(void)
{
	struct task_struct *task = sw_current_task();

	if (bpf_core_field_exists(task->ioac))
		return BPF_CORE_READ(task, ioac.syscw);
	return 0;		/* no CONFIG_TASK_IO_ACCOUNTING: sys_exit alone clears */
}

/* Marks are kept (backup hooks, or write_iter hooks that re-check). */
static __always_inline bool marks_on(void)
{
	return backup_hooks || write_iter_hooks;
}

static __always_inline void mark_checked(struct file *file, long nr, s64 pos, u64 len,
					 bool reported)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct write_mark m = { .file = (u64)file, .syscw = write_syscalls(), .nr = nr,
				.pos = pos, .len = len, .reported = reported };
	struct write_mark *old = bpf_map_lookup_elem(&write_marks, &tid);

	if (old) {
		/* In place: cheaper than an LRU update, and only this thread
		 * reads it. */
		*old = m;
		return;
	}
	bpf_map_update_elem(&write_marks, &tid, &m, BPF_ANY);
}

/* Did this syscall's sys_enter check this write to file? */
static __always_inline bool entry_checked(struct file *file, long nr)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct write_mark *m = bpf_map_lookup_elem(&write_marks, &tid);

	return m && m->nr == nr && m->file == (u64)file && m->syscw == write_syscalls();
}

/* Did it check (or report) the len bytes at pos it writes to file? What the
 * kernel really writes, against what sys_enter read from the registers. */
static __always_inline bool entry_covers(struct file *file, long nr, s64 pos, u64 len)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct write_mark *m = bpf_map_lookup_elem(&write_marks, &tid);

	if (!m || m->nr != nr || m->file != (u64)file || m->syscw != write_syscalls())
		return false;
	if (m->reported)
		return true;
	return pos >= m->pos && (u64)(pos - m->pos) <= m->len &&
	       len <= m->len - (u64)(pos - m->pos);
}

static __always_inline void clear_mark(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct write_mark *m = bpf_map_lookup_elem(&write_marks, &tid);

	if (m)
		m->nr = -1;
}

/* The op to check a buffered write of len bytes at pos of file as here, or 0
 * when its syscall's sys_enter checked that file and range. Global, so the
 * caller goes on with one unknown op rather than one verifier path per
 * syscall. */
__noinline u32 write_iter_op(u64 file, s64 pos, u64 len)
{
	long nr = current_syscall();
	u32 op = syscall_op(nr);

	if (op == SW_OP_WRITE_ITER)
		return op;
	/* Our own output, left alone at sys_enter too; or checked there. */
	if (bpf_get_current_pid_tgid() >> 32 == self_tgid ||
	    entry_covers((struct file *)file, nr, pos, len))
		return 0;
	if (backup_hooks)
		count(SW_CNT_BACKUP_CHECKS, 1);
	return op;
}

/* Reported here in sys_enter's stead: once per syscall, as sys_enter would (a
 * splice into a file writes in several calls). */
__noinline int mark_reported(u64 file)
{
	mark_checked((struct file *)file, current_syscall(), 0, 0, true);
	return 0;
}

/* Does a successful return of this syscall put buffers into a pipe? */
static __always_inline bool fills_pipe(long id)
{
	return id == SW_NR_splice || id == SW_NR_tee || id == SW_NR_sendfile ||
	       id == SW_NR_vmsplice;
}

#endif /* SW_DETECT_BACKUP_MARKS_BPF_H */
