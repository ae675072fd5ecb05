// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * splicewatch stats / top: count the copy-path system calls (splice, sendfile,
 * tee, vmsplice, copy_file_range) per process and file: calls, bytes, errors,
 * latency histograms, and how the bytes entered pipes (page-cache references or
 * anonymous pages). Everything is counted in maps that the frontend reads; no
 * per-call records are sent to user space.
 *
 * Held page-cache pages are counted per pipe buffer (holds: the hold gauge) so
 * the frontend can show what pipes hold of each file right now. It answers
 * "how much, of which file, since when", not "does this write overlap", and
 * is kept apart from the detection object's hold index (bpf/detect/), which
 * stats does not load. Kernel access, ring reading, the path walk and the
 * compat block walk are bpf/lib/'s.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "lib/syscall_abi.bpf.h"
#include "lib/syscalls.bpf.h"
#include "stats/account.bpf.h"
#include "stats/hold_gauge.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- syscall entry: remember what the call is about ----------------------- */

SEC("tp_btf/sys_enter")
int BPF_PROG(st_sys_enter, struct pt_regs *regs, long id)
{
	struct file *in = NULL, *out = NULL, *row;
	struct call c = {};
	u32 in_kind, out_kind, tid;
	u64 pid_tgid;
	bool ia32;

	/* IA-32 syscalls counted as the native ones (lib/syscall_abi.bpf.h). */
	id = sw_syscall(id, &ia32);
	switch (id) {
	case SW_NR_splice:		/* fd_in 1, fd_out 3 */
		in = fd_to_file(SW_SYS_ARG1(regs, ia32));
		out = fd_to_file(SW_SYS_ARG3(regs, ia32));
		in_kind = file_kind(in);
		out_kind = file_kind(out);
		c.op = splice_op(in_kind, out_kind);
		/* The row names the non-pipe end; pipe to pipe: the source pipe. */
		row = in_kind == SW_FK_PIPE && out_kind != SW_FK_PIPE && out ? out : in;
		break;
	case SW_NR_tee:			/* fd_in 1, fd_out 2 */
		in = fd_to_file(SW_SYS_ARG1(regs, ia32));
		out = fd_to_file(SW_SYS_ARG2(regs, ia32));
		c.op = SW_STAT_TEE;
		row = in;
		break;
	case SW_NR_vmsplice:		/* fd 1: fills or drains that pipe */
		in = out = fd_to_file(SW_SYS_ARG1(regs, ia32));
		c.op = SW_STAT_VMSPLICE;
		row = in;
		break;
	case SW_NR_sendfile:		/* out_fd 1, in_fd 2 */
		out = fd_to_file(SW_SYS_ARG1(regs, ia32));
		in = fd_to_file(SW_SYS_ARG2(regs, ia32));
		c.op = SW_STAT_SENDFILE;
		row = in;
		break;
	case SW_NR_copy_file_range:	/* fd_in 1, fd_out 3 */
		in = fd_to_file(SW_SYS_ARG1(regs, ia32));
		out = fd_to_file(SW_SYS_ARG3(regs, ia32));
		c.op = SW_STAT_COPY_FILE_RANGE;
		row = in;
		if (in)
			c.in_sb = (u64)BPF_CORE_READ(in, f_inode, i_sb);
		if (out)
			c.out_sb = (u64)BPF_CORE_READ(out, f_inode, i_sb);
		in = out = NULL;	/* no pipes involved */
		break;
	default:
		return 0;
	}
	pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == self_tgid)
		return 0;

	if (row) {
		c.kind = file_kind(row);
		file_key(row, &c.file);
		note_file(row, &c.file, c.kind);
	}
	if (id != SW_NR_tee)
		c.in_pipe = file_pipe(in, NULL);
	c.out_pipe = file_pipe(out, &c.out_inode);
	if (c.out_pipe) {
		struct pipe_inode_info *op = (struct pipe_inode_info *)c.out_pipe;

		c.out_head = BPF_CORE_READ(op, head);
	}
	c.ts = bpf_ktime_get_ns();
	tid = (u32)pid_tgid;
	if (bpf_map_update_elem(&inflight, &tid, &c, BPF_ANY))
		count(SW_SC_INFLIGHT_DROPPED, 1);
	return 0;
}

/* ---- syscall exit: count ------------------------------------------------- */

#define SYSCALL_IA32	(1LL << 32)

/* sw_syscall() in a frame of its own: the slot its read of the task's
 * status takes would put st_sys_exit's frame (the call's copy) past 256
 * bytes, and its chain through pipe_filled past 512 on 5.10. The native
 * number, SYSCALL_IA32 set for an IA-32 syscall. */
static __noinline long syscall_abi(long nr)
{
	bool ia32;
	long id = sw_syscall(nr, &ia32);

	return ia32 ? id | SYSCALL_IA32 : id;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(st_sys_exit, struct pt_regs *regs, long ret)
{
	u64 now, pagecache = 0, anon = 0;
	struct call *cp, c;
	long id = syscall_abi(SW_SYSCALL_NR(regs));
	bool ia32 = id > 0 && (id & SYSCALL_IA32);
	u32 tid;

	if (ia32)
		id &= ~SYSCALL_IA32;

	switch (id) {
	case SW_NR_splice:
	case SW_NR_tee:
	case SW_NR_vmsplice:
	case SW_NR_sendfile:
	case SW_NR_copy_file_range:
		break;
	case SW_NR_read:
	case SW_NR_readv:
		/* A reader drained a pipe: forget the holds it consumed. */
		if (ret > 0 && stat_counters[SW_SC_HOLDS])
			pipe_drained(file_pipe(fd_to_file(SW_SYS_ARG1(regs, ia32)), NULL));
		return 0;
	default:
		return 0;
	}
	now = bpf_ktime_get_ns();
	tid = (u32)bpf_get_current_pid_tgid();
	cp = bpf_map_lookup_elem(&inflight, &tid);
	if (!cp)
		return 0;
	c = *cp;
	bpf_map_delete_elem(&inflight, &tid);

	if (ret > 0 && c.in_pipe && stat_counters[SW_SC_HOLDS])
		pipe_drained(c.in_pipe);
	if (ret > 0 && c.out_pipe)
		pipe_filled(c.out_pipe, c.out_inode, c.out_head, &pagecache, &anon);
	account(&c, ret, now - c.ts, pagecache, anon);
	return 0;
}

/* ---- garbage collection, run by the frontend with BPF_PROG_TEST_RUN ------ */

#ifdef SW_COMPAT
/* No bpf_for_each_map_elem before 5.13: the frontend walks the pipes and runs
 * this per entry, ctx = { SW_GC_PIPE, pipe } (as splicewatch.bpf.c's sw_gc). */
SEC("raw_tp")
int st_gc(u64 *ctx)
{
	u64 pipe = ctx[1];
	struct hpipe *ps = bpf_map_lookup_elem(&hpipes, &pipe);

	if (ps)
		gc_pipe_cb((struct bpf_map *)&hpipes, &pipe, ps, NULL);
	return 0;
}
#else
SEC("raw_tp")
int st_gc(void *ctx)
{
	bpf_for_each_map_elem(&hpipes, gc_pipe_cb, NULL, 0);
	return 0;
}
#endif
