/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pipe sync: bringing one pipe's index in line with its ring (consumed
 * buffers forgotten, new ones recorded as its pending batch), and the hold
 * sources that call it: a pipe behind a file or fd, the kernel's splice read
 * (with the kprobe backend's entry-to-return carry), io_uring requests.
 */
#ifndef SW_DETECT_SYNC_BPF_H
#define SW_DETECT_SYNC_BPF_H

#include "lazy.bpf.h"
#include "../lib/syscall_abi.bpf.h"

/* Looking through a ring with no index entry for a page-cache buffer. The
 * compat programs unroll the loop: there, a longer ring counts as one. */
#ifdef SW_COMPAT
#define FILE_SCAN_MAX	16
#else
#define FILE_SCAN_MAX	SW_PIPE_SEQ_BITS
#endif

/* The scan runs in the thread's sync_state (its ring and folio memo; the walk
 * that may follow sets it up again): sync_file's frame is on the call chain
 * of the walk's callbacks, which must fit 512 bytes of stack on 5.10-6.1. */
struct file_scan {
	struct sync_state *st;
};

/* Not inlined: the compat programs' loop around it would otherwise take a
 * shape 5.10's verifier refuses (a back-edge on a fall-through). */
static __noinline long file_scan_cb(u64 i, void *data)
{
	struct sync_state *st = ((struct file_scan *)data)->st;
	struct pipe_buffer *buf = &st->ring.bufs[(st->ring.tail + (u32)i) & st->ring.mask];
	struct page *page;
	u32 len;

	if (bpf_probe_read_kernel(&page, sizeof(page), &buf->page) ||
	    bpf_probe_read_kernel(&len, sizeof(len), &buf->len) || !page || !len)
		return 0;
	folio_memo_fields(&st->fm, page);
	if (!st->fm.mapping)
		return 0;	/* anonymous memory: a copy, or the holder's own */
	st->map = st->fm.mapping;
	return 1;
}

/* Does the ring hold any page-cache buffer? Only those need an index entry:
 * a pipe of anonymous memory (write(2), vmsplice of anonymous pages) takes
 * none, so any number of them cannot fill the pipes map. Returns the first
 * such buffer's file (address_space), 1 when there may be one (a ring too
 * long to look through here, or no scratch), 0 when there is none. */
static __always_inline u64 ring_file_pages(struct pipe_ring *ring)
{
	struct file_scan fs = { .st = scratch_of(&sync_scratch, true) };
	u32 n = ring->head - ring->tail;

	if (n > FILE_SCAN_MAX || !fs.st)
		return 1;
	fs.st->ring = *ring;
	fs.st->fm.folio = NULL;
	fs.st->map = 0;
	sw_loop(FILE_SCAN_MAX, n, file_scan_cb, &fs);
	return fs.st->map;
}

/* Bring the index of one pipe in line with its ring: forget consumed buffers,
 * record new ones as the pipe's pending batch (indexing the previous batch
 * first if it is still in the pipe, so each keeps its splicer and time).
 * inode is NULL where only the pipe is known. */
static __always_inline void pipe_sync(struct inode *inode, struct pipe_inode_info *pipe)
{
	struct pipe_ring ring;
	u64 p, pipe_addr = (u64)pipe, mapping;
	struct sw_pipe_state *ps;
	u32 n, from, slot, uid;
	bool made;

	if (read_ring_once(pipe, &ring))
		return;
	ps = bpf_map_lookup_elem(&pipes, &pipe_addr);
	if (!ps) {
		if (ring.head == ring.tail)
			return;
		mapping = ring_file_pages(&ring);
		if (!mapping)
			return;
		if (mapping == 1)
			mapping = 0;	/* not known */
		uid = (u32)bpf_get_current_uid_gid();
		if (!quota_take(SW_INDEX_PIPES, uid)) {
			emit_untracked(untracked_why(SW_UNTR_USER_QUOTA,
						     inode ? BPF_CORE_READ(inode, i_ino) : 0),
				       mapping, current_holder(), 0, 0);
			return;
		}
		made = !bpf_map_update_elem(&pipes, &pipe_addr, &zero_pipe, BPF_NOEXIST);
		if (!made) {
			quota_put(SW_INDEX_PIPES, uid);
			if (!bpf_map_lookup_elem(&pipes, &pipe_addr)) {
				emit_untracked(untracked_why(SW_UNTR_PIPES,
							     inode ? BPF_CORE_READ(inode, i_ino) : 0),
					       mapping, current_holder(), 0, 0);
				return;
			}
		}
		ps = bpf_map_lookup_elem(&pipes, &pipe_addr);
		if (!ps)
			return;
		if (made)
			ps->quota_uid = uid;
		if (!ps->gen)	/* ours, not another CPU's just-made one */
			pipe_state_reset(ps, inode, &ring);
	}
	if (!ps->inode && inode) {
		/* Learnt at a splice read, which knows no inode: this is it. */
		ps->ino = BPF_CORE_READ(inode, i_ino);
		ps->inode = (u64)inode;
	}

	if (ps->bufs != (u64)ring.bufs || ps->inode != (u64)inode ||
	    ps->ino != BPF_CORE_READ(inode, i_ino)) {
		/* F_SETPIPE_SZ copied the ring and renumbered it, or this is a new
		 * pipe at a freed one's address: start over. */
		release_all(ps);
		pipe_state_reset(ps, inode, &ring);
	}
	if ((s32)(ring.tail - ps->lo_seq) > 0) {
		drain(ps, ps->lo_seq, ring.tail);
		ps->lo_seq = ring.tail;
	}
	if ((s32)(ps->hi_seq - ring.tail) < 0)
		ps->hi_seq = ring.tail;
	from = ps->hi_seq;
	n = ring.head - from;
	if (n > MAX_RING)
		n = 0;
	if (n && ring.head - ring.tail > SW_PIPE_SEQ_BITS) {
		/* A ring this large would alias positions in the bitmap. */
		emit_untracked(untracked_why(SW_UNTR_RING_SIZE, ps->ino), 0, current_holder(), 0, 0);
		n = 0;
	}
	/* The state stays while the pipe lives, even empty: deleting it here would
	 * race with another CPU syncing the same pipe. GC removes dead pipes. */
	ps->hi_seq = ring.head;
	if (!n && !ps->pend && !ps->pend_slot)
		return;
	if (!pend_trylock(ps)) {
		/* Another CPU is at this pipe's batch: index ours now, after
		 * the pending one, so positions are learnt in ring order. */
		if (n) {
			walk_pending_unlocked(ps, pipe_addr);
			index_range(pipe_addr, from, ring.head, WALK_CURRENT);
		}
		return;
	}
	p = ps->pend;
	if (p && ((s32)(ring.tail - (u32)(p >> 32)) >= 0 || n)) {
		/* Read to the end of the batch: dropped, never walked (the
		 * splice loop). Still partly there and another batch comes:
		 * index it now, under its own splicer. */
		if ((s32)(ring.tail - (u32)(p >> 32)) < 0)
			index_range(pipe_addr, (u32)p, p >> 32, WALK_PENDING);
		ps->pend = 0;
	}
	if (n) {
		slot = ps->pend_slot;
		/* Released meanwhile (the pipe looked freed to a looker)? */
		if (slot && pending_pipes[(slot - 1) % PENDING_SLOTS] != pipe_addr)
			slot = 0;
		if (!slot)
			slot = claim_slot(pipe_addr);
		ps->pend_slot = slot;
		if (slot) {
			ps->pend_ts = bpf_ktime_get_ns();
			ps->pend_pid = bpf_get_current_pid_tgid() >> 32;
			ps->pend_uid = (u32)bpf_get_current_uid_gid();
			ps->pend_cgroup_id = bpf_get_current_cgroup_id();
			ps->pend_hold_flags = current_hold_flags(ps->pend_uid);
			bpf_get_current_comm(ps->pend_comm, sizeof(ps->pend_comm));
			barrier();	/* splicer first: lookers read it once they see pend */
			ps->pend = (u64)ring.head << 32 | from;
		} else {
			/* Every slot taken: index now. */
			index_range(pipe_addr, from, ring.head, WALK_CURRENT);
		}
	}
	if (!ps->pend && ps->pend_slot) {
		release_slot(ps->pend_slot, pipe_addr);
		ps->pend_slot = 0;
	}
	pend_unlock(ps);
}

/* Global functions: the verifier checks each once, not once per call site and
 * branch of the caller, which keeps sys_exit within its complexity limit. */
__noinline int sync_file(u64 file_addr)
{
	struct pipe_inode_info *pipe;
	struct inode *inode;

	pipe = file_pipe_of((struct file *)file_addr, &inode);
	if (pipe)
		pipe_sync(inode, pipe);
	return 0;
}

__noinline int sync_fd(long fd)
{
	return sync_file((u64)fd_to_file(fd));
}

/* Set by the frontend where the syscall attach is "none" (call_end.bpf.h). */
const volatile bool no_syscall_hooks;

/* Syscall attach none: no sys_exit syncs a new pipe through its file, so its
 * inode comes from the syscall's out fd here (splice, sendfile), when that
 * fd is this pipe. */
static __always_inline struct inode *spliced_pipe_inode(u64 pipe)
{
#ifdef SW_COMPAT
	return NULL;	/* the compat programs keep the syscall hooks */
#else
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct inode *inode = NULL;
	bool ia32;
	long nr, fd;

	nr = sw_syscall(SW_SYSCALL_NR(regs), &ia32);
	if (nr == SW_NR_splice)
		fd = SW_SYS_ARG3(regs, ia32);
	else if (nr == SW_NR_sendfile)
		fd = SW_SYS_ARG1(regs, ia32);
	else
		return NULL;
	if ((u64)file_pipe_of(fd_to_file(fd), &inode) != pipe)
		return NULL;
	return inode;
#endif
}

/* The kernel's splice read just put pages into this pipe. sendfile and
 * copy_file_range pass data through a private pipe (current->splice_pipe)
 * that is drained before they return and nobody else reads: not a hold. */
__noinline int sync_spliced_pipe(u64 pipe)
{
	struct task_struct *task = sw_current_task();
	struct sw_pipe_state *ps;

#ifdef SW_COMPAT
	if (!pipe || (u64)BPF_CORE_READ(task, splice_pipe) == pipe)
#else
	if (!pipe || (u64)task->splice_pipe == pipe)
#endif
		return 0;
	/* A known pipe keeps its inode; a new one is filled in by the next sync
	 * through a file (the syscall's exit, io_uring's completion). Under
	 * syscall attach none there is no such sync: the inode of the
	 * syscall's out fd, where there is one, is taken over the state's. A
	 * pipe freed while nothing was held leaves its state (the free is not
	 * looked at then), and a new pipe made at its address, with its ring
	 * at the old ring's address too (both are freed at once, the inode
	 * only after an RCU grace period), would pass for the old pipe with
	 * the old inode: its buffers, numbered from 0 again, below the old
	 * positions, would go unindexed. */
	ps = bpf_map_lookup_elem(&pipes, &pipe);
	if (no_syscall_hooks) {
		struct inode *inode = spliced_pipe_inode(pipe);

		if (inode || !ps || !ps->inode) {
			pipe_sync(inode, (struct pipe_inode_info *)pipe);
			return 0;
		}
	}
	pipe_sync(ps ? (struct inode *)ps->inode : NULL, (struct pipe_inode_info *)pipe);
	return 0;
}

/* Insertion points: the splice reads that put page-cache pages into a pipe,
 * whoever calls them (splice, sendfile, io_uring), learnt the moment they are
 * there rather than when a syscall returns. filemap_splice_read serves most
 * filesystems from 6.5 on, shmem_file_splice_read tmpfs; before 6.5 both went
 * through generic_file_splice_read. copy_page_to_iter_pipe, the innermost
 * point, is inlined in every kernel checked (features tells). The kprobe
 * backend keeps the pipe from entry to return per thread. */
SW_THREAD_MAP(splice_read_pipe, 4096, u64);

static __always_inline void splice_read_entry(u64 pipe)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&splice_read_pipe, &tid, &pipe, BPF_ANY);
}

static __always_inline void splice_read_return(long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 *pipe = bpf_map_lookup_elem(&splice_read_pipe, &tid);
	u64 p;

	if (!pipe)
		return;
	p = *pipe;
	bpf_map_delete_elem(&splice_read_pipe, &tid);
	if (ret > 0)
		sync_spliced_pipe(p);
}

/* A splice or tee request's file is its output (sqe->fd). */
static __always_inline u64 uring_pipe_file(struct io_kiocb *req)
{
	u8 op = BPF_CORE_READ(req, opcode);

	if (op != IORING_OP_SPLICE && op != IORING_OP_TEE)
		return 0;
	return (u64)BPF_CORE_READ(req, file);
}

/* Before 5.17 the completion does not carry the request: the compat
 * programs learn a splice or tee request's file at its submission, by ring
 * and user_data (a resubmitted user_data replaces the entry; the LRU drops
 * those never completed). The frontend sizes it to 1 entry otherwise. */
struct uring_key {
	u64 ring;
	u64 user_data;
};

SW_MAP(uring_files, BPF_MAP_TYPE_LRU_HASH, 4096, struct uring_key, u64);

#endif /* SW_DETECT_SYNC_BPF_H */
