/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * io_uring splice and tee requests (IORING_OP_SPLICE, IORING_OP_TEE) take
 * bytes out of a pipe and fill one in no syscall of their own: the kernel
 * runs them in an io-wq worker (REQ_F_FORCE_ASYNC), after the submission.
 * The input pipe is checked as the request is submitted (its fd, in the
 * submitter's table, which the worker shares), and what the check saw is
 * kept by request until its completion, which forgets the buffers taken,
 * fingerprints what is left of one partly taken, and learns what the output
 * pipe gained (a file spliced in, or bytes a tee or pipe-to-pipe splice
 * copied: changed ones stay changed). Included by verify.bpf.c after the
 * walks and struct drain.
 *
 * Not checked: an input given as a fixed file (SPLICE_F_FD_IN_FIXED: in the
 * ring's table, not the task's); a change between the submission and the
 * worker's move.
 */
#ifndef SW_VERIFY_URING_BPF_H
#define SW_VERIFY_URING_BPF_H

#define SW_SPLICE_F_FD_IN_FIXED	(1U << 31)

struct uring_drain {
	struct drain d;
	u64 inode, ino;		/* the pipe's: whether it is still that pipe */
};

/* By request (struct io_kiocb *), from its submission to its completion.
 * LRU: a record whose completion was not seen, or that 4096 newer requests
 * pushed out, is recycled; its completion then only learns the output (the
 * next check of a partly taken buffer fingerprints its rest, unchecked). */
SW_MAP(uring_drains, BPF_MAP_TYPE_LRU_HASH, 4096, u64, struct uring_drain);

static __always_inline bool moves_pipe_bytes(u8 op)
{
	return op == IORING_OP_SPLICE || op == IORING_OP_TEE;
}

static __always_inline void uring_submitted(struct io_kiocb *req)
{
	/* The request's command is its first member (io_kiocb_to_cmd). */
	struct io_splice *sp = (struct io_splice *)req;
	u8 op = BPF_CORE_READ(req, opcode);
	u64 key = (u64)req;
	struct uring_drain u;
	struct walk w;

	if (!moves_pipe_bytes(op) || (BPF_CORE_READ(sp, flags) & SW_SPLICE_F_FD_IN_FIXED) ||
	    open_walk_ring(&w, BPF_CORE_READ(sp, splice_fd_in), SW_CHECK_DRAIN, true))
		return;
	/* As for the syscalls: enforce acts on a splice's reader, not a tee's. */
	w.act = op == IORING_OP_SPLICE && w.readable;
	bpf_loop(ring_len(&w), check_one, &w, 0);
	u.d = (struct drain){ .pipe = w.pipe, .tail = w.r.tail, .head = w.r.head, .changed = w.changed };
	u.inode = w.inode;
	u.ino = w.ino;
	bpf_map_update_elem(&uring_drains, &key, &u, BPF_ANY);
}

static __always_inline void uring_completed(struct io_kiocb *req)
{
	struct uring_drain *u;
	struct drain gone = {};
	struct walk w = {};
	u64 key = (u64)req, inode = 0;

	if (!moves_pipe_bytes(BPF_CORE_READ(req, opcode)))
		return;
	u = bpf_map_lookup_elem(&uring_drains, &key);
	if (u) {
		gone = u->d;
		inode = u->inode;
		w.ino = u->ino;
		bpf_map_delete_elem(&uring_drains, &key);
	}
	/* The input pipe, if it is still the one checked (the request let go
	 * of its file before completing). */
	if (inode && pipe_inode_current((struct inode *)inode, gone.pipe, w.ino) &&
	    !read_ring((struct pipe_inode_info *)gone.pipe, &w.r)) {
		w.pipe = gone.pipe;
		w.inode = inode;
		w.point = SW_CHECK__COUNT;
		if (w.r.tail - gone.tail <= gone.head - gone.tail)
			bpf_loop(w.r.tail - gone.tail, forget_one, &gone, 0);
		bpf_loop(ring_len(&w), learn_one, &w, 0);
	}
	/* The output: the request's file (a splice's or tee's file_out). */
	if (open_walk_file(&w, BPF_CORE_READ(req, file), SW_CHECK__COUNT, true))
		return;
	w.changed = gone.changed;
	bpf_loop(ring_len(&w), learn_one, &w, 0);
}

SEC("tp_btf/io_uring_submit_req")	/* 6.4 on */
int BPF_PROG(sw_verify_uring_submit, struct io_kiocb *req)
{
	uring_submitted(req);
	return 0;
}

SEC("tp_btf/io_uring_submit_sqe")	/* before 6.4: req, force_nonblock */
int BPF_PROG(sw_verify_uring_submit_sqe, struct io_kiocb *req)
{
	uring_submitted(req);
	return 0;
}

/* Fires as a request's completion is posted, before the submitter can see
 * it; the request is the second argument on every kernel --verify runs on. */
SEC("tp_btf/io_uring_complete")
int sw_verify_uring_complete(u64 *ctx)
{
	uring_completed((struct io_kiocb *)ctx[1]);
	return 0;
}

#endif /* SW_VERIFY_URING_BPF_H */
