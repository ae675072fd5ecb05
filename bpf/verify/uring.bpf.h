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
 * An input given as a fixed file (SPLICE_F_FD_IN_FIXED) is found in the
 * ring's table. A close request (IORING_OP_CLOSE) is checked as close(2)
 * is, as it is submitted. Not checked: a change between the submission and
 * the worker's move.
 */
#ifndef SW_VERIFY_URING_BPF_H
#define SW_VERIFY_URING_BPF_H

#define SW_SPLICE_F_FD_IN_FIXED	(1U << 31)
/* A fixed file's flag bits (FFS_NOWAIT, FFS_ISREG; FFS_SCM on older kernels):
 * struct file is at least 8-byte aligned. */
#define SW_FFS_FLAGS		7UL

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

/* The file at index i of the ring's table of fixed files (registered with
 * IORING_REGISTER_FILES); NULL past its end or in an empty slot. The
 * submission holds the ring's lock: the table does not change under the
 * read (the worker looks the index up again as it runs the request). */
static __always_inline struct file *uring_fixed_file(struct io_kiocb *req, u32 i)
{
	void *ctx = BPF_CORE_READ(req, ctx);
	struct io_rsrc_node___file *node;
	struct io_fixed_file___ptr *files;
	unsigned long ptr;

	if (bpf_core_field_exists(struct io_file_table___nodes, data)) {	/* 6.13 on */
		struct io_ring_ctx___nodes *c = ctx;

		if (i >= BPF_CORE_READ(c, file_table.data.nr) ||
		    bpf_probe_read_kernel(&node, sizeof(node), BPF_CORE_READ(c, file_table.data.nodes) + i))
			return NULL;
		ptr = BPF_CORE_READ(node, file_ptr);
	} else {
		struct io_ring_ctx___files *c = ctx;

		if (i >= BPF_CORE_READ(c, nr_user_files))
			return NULL;
		files = BPF_CORE_READ(c, file_table.files);
		ptr = BPF_CORE_READ(files + i, file_ptr);
	}
	return (struct file *)(ptr & ~SW_FFS_FLAGS);
}

/* The pipe a splice or tee request takes bytes out of. */
static __always_inline struct file *uring_input(struct io_kiocb *req)
{
	/* The request's command is its first member (io_kiocb_to_cmd). */
	struct io_splice *sp = (struct io_splice *)req;
	s32 fd = BPF_CORE_READ(sp, splice_fd_in);

	if (BPF_CORE_READ(sp, flags) & SW_SPLICE_F_FD_IN_FIXED)
		return uring_fixed_file(req, fd);
	return fd_to_file(fd);
}

/* An io_uring close (IORING_OP_CLOSE) lets go of a file as close(2) does,
 * or of a fixed file (file_slot: its index + 1), whose last reference the
 * ring's table may hold. The close runs after its submission, at once or
 * (a file with a flush method, which a pipe has not) in a worker. */
static __always_inline void uring_close(struct io_kiocb *req)
{
	struct io_close *c = (struct io_close *)req;
	u32 slot = BPF_CORE_READ(c, file_slot);

	check_release_file(slot ? uring_fixed_file(req, slot - 1) : fd_to_file(BPF_CORE_READ(c, fd)));
}

static __always_inline void uring_submitted(struct io_kiocb *req)
{
	u8 op = BPF_CORE_READ(req, opcode);
	u64 key = (u64)req;
	struct uring_drain u;
	struct walk w;

	if (op == IORING_OP_CLOSE) {
		uring_close(req);
		return;
	}
	if (!moves_pipe_bytes(op) || open_walk_file(&w, uring_input(req), SW_CHECK_DRAIN, true))
		return;
	/* As for the syscalls: enforce acts on a splice's reader, not a tee's. */
	check_ring(&w, op == IORING_OP_SPLICE, &u.d);
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
		relearn(&w, &gone);
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
