/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading a pipe's ring: head, tail, size and buffer array in one consistent
 * struct pipe_ring, and one buffer at a ring position. Positions are the
 * kernel's free-running head/tail counters; a slot is position & mask.
 */
#ifndef SW_PIPE_RING_BPF_H
#define SW_PIPE_RING_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"

/* A larger gap between two positions is a torn or stale read, never a ring. */
#define MAX_RING	(1U << 16)

struct pipe_ring {
	struct pipe_buffer *bufs;
	u32 head;
	u32 tail;
	u32 mask;
};

static __always_inline int read_ring(struct pipe_inode_info *pipe, struct pipe_ring *r)
{
	u32 size;

	r->bufs = BPF_CORE_READ(pipe, bufs);
	r->head = BPF_CORE_READ(pipe, head);
	r->tail = BPF_CORE_READ(pipe, tail);
	size = BPF_CORE_READ(pipe, ring_size);
	if (!r->bufs || !size || (size & (size - 1)) || r->head - r->tail > size)
		return -1;
	r->mask = size - 1;
	return 0;
}

static __always_inline int read_buf(struct pipe_ring *r, u32 seq, struct pipe_buffer *buf)
{
	return bpf_probe_read_kernel(buf, sizeof(*buf), &r->bufs[seq & r->mask]);
}

/* read_ring in one probe read where the kernel's layout allows: head, tail,
 * ring_size and bufs lie within RING_WINDOW bytes of pipe_inode_info on every
 * kernel we run on (about 90), and a sync reads them for every splice. */
#ifndef SW_COMPAT
#define RING_WINDOW	128

struct ring_window {
	u64 w[RING_WINDOW / 8];
};

static __always_inline u32 ring_window_u32(struct ring_window *rw, u32 off)
{
	return ((u32 *)rw->w)[(off / 4) % (RING_WINDOW / 4)];
}
#endif

static __always_inline int read_ring_once(struct pipe_inode_info *pipe, struct pipe_ring *r)
{
#ifdef SW_COMPAT
	/* The window's 128 bytes of stack would not fit the compat call chains. */
	return read_ring(pipe, r);
#else
	struct ring_window window, *rw = &window;
	u32 h = bpf_core_field_offset(struct pipe_inode_info, head),
	    t = bpf_core_field_offset(struct pipe_inode_info, tail),
	    z = bpf_core_field_offset(struct pipe_inode_info, ring_size),
	    b = bpf_core_field_offset(struct pipe_inode_info, bufs), size;

	if (bpf_core_field_size(struct pipe_inode_info, head) != 4 ||
	    bpf_core_field_size(struct pipe_inode_info, tail) != 4 ||
	    bpf_core_field_size(struct pipe_inode_info, ring_size) != 4 ||
	    h % 8 || t % 4 || z % 4 || b % 8 || t < h || z < h || b < h ||
	    b + 8 - h > RING_WINDOW)
		return read_ring(pipe, r);
	if (bpf_probe_read_kernel(rw, b + 8 - h, (void *)pipe + h))
		return -1;
	r->head = ring_window_u32(rw, 0);
	r->tail = ring_window_u32(rw, t - h);
	size = ring_window_u32(rw, z - h);
	r->bufs = (struct pipe_buffer *)rw->w[((b - h) / 8) % (RING_WINDOW / 8)];
	if (!r->bufs || !size || (size & (size - 1)) || r->head - r->tail > size)
		return -1;
	r->mask = size - 1;
	return 0;
#endif
}

#endif /* SW_PIPE_RING_BPF_H */
