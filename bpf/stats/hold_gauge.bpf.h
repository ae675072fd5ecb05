/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stats: the hold gauge, what pipes hold of each file right now, one entry
 * per pipe buffer (holds, keyed by pipe and ring position) and per pipe
 * (hpipes: the positions indexed, to drop on drains). Synced when a counted
 * call fills or drains a pipe, and by the GC pass.
 */
#ifndef SW_STATS_HOLD_GAUGE_BPF_H
#define SW_STATS_HOLD_GAUGE_BPF_H

#include "maps.bpf.h"
#include "../lib/kobj.bpf.h"

static long drop_cb(u64 i, void *data)
{
	struct gauge_sync *c = data;
	struct sw_hold_key hk = { .pipe = c->pipe, .seq = c->start + (u32)i };

	if (!bpf_map_delete_elem(&holds, &hk)) {
		if (c->ps->nslots)
			c->ps->nslots--;
		count(SW_SC_HOLDS, -1);
	}
	return 0;
}

#ifdef SW_COMPAT
/* cb(i, c) for the sync kept in this CPU's scratch between compat steps (its
 * hpipe pointer, stored in a map value, reads back as a number: looked up
 * again). pipe is the sync's, checked: clang passes nothing for an argument
 * the callee ignores, and the verifier refuses such a call. need_ps: stop
 * when the pipe has no state. */
static __always_inline int gauge_step(u64 pipe, u32 i, long (*cb)(u64 i, void *data),
				      bool need_ps)
{
	struct path_scratch *s = this_cpu_scratch();
	struct gauge_sync c;
	long stop;

	if (!s)
		return 1;
	__builtin_memcpy(&c, s->sync, sizeof(c));
	if (c.pipe != pipe)
		return 1;
	c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
	if (need_ps && !c.ps)
		return 1;
	stop = cb(i, &c);
	__builtin_memcpy(s->sync, &c, sizeof(c));
	return stop ? 1 : 0;
}

/* drop_cb, one ring position of this CPU's sync, verified once. */
__noinline int drop_step(u64 pipe, u32 i)
{
	return gauge_step(pipe, i, drop_cb, true);
}

SW_STEP_BLOCKS(drop_step)

/* The walk of c over n positions by step, in blocks (lib/compat.bpf.h), with
 * c in this CPU's scratch meanwhile; c->ps is kept (the copy's is a number). */
#define gauge_walk(c, n, step)							\
	do {									\
		struct path_scratch *__s = this_cpu_scratch();			\
		struct hpipe *__ps = (c)->ps;					\
										\
		if (!__s)							\
			break;							\
		__builtin_memcpy(__s->sync, c, sizeof(*(c)));			\
		sw_steps(COMPAT_RING, n, step, (c)->pipe);			\
		__builtin_memcpy(c, __s->sync, sizeof(*(c)));			\
		(c)->ps = __ps;							\
	} while (0)
#endif

static __always_inline void drop_range(struct gauge_sync *c, u32 from, u32 to)
{
	u32 n = to - from;

	if (!n || n > MAX_RING)
		return;
	c->start = from;
#ifdef SW_COMPAT
	gauge_walk(c, n, drop_step);
#else
	bpf_loop(n, drop_cb, c, 0);
#endif
}

/* Forget buffers the pipe's reader consumed; start over if the ring was resized. */
static __always_inline void drop_consumed(struct gauge_sync *c)
{
	struct hpipe *ps = c->ps;

	if (ps->bufs != (u64)c->ring.bufs) {
		u32 before = ps->nslots;

		drop_range(c, ps->lo_seq, ps->hi_seq);
		if (before > ps->nslots)
			count(SW_SC_STALE, before - ps->nslots);
		ps->bufs = (u64)c->ring.bufs;
		ps->lo_seq = c->ring.tail;
		ps->hi_seq = c->ring.tail;
		return;
	}
	if ((s32)(c->ring.tail - ps->lo_seq) > 0) {
		u32 to = (s32)(c->ring.tail - ps->hi_seq) > 0 ? ps->hi_seq : c->ring.tail;

		drop_range(c, ps->lo_seq, to);
		ps->lo_seq = c->ring.tail;
	}
	if ((s32)(ps->hi_seq - ps->lo_seq) < 0)
		ps->hi_seq = ps->lo_seq;
}

/* A pipe with nothing indexed needs no state (a pipe of anonymous buffers
 * would otherwise keep one until it is closed). */
static __always_inline void pipe_forget(struct gauge_sync *c)
{
	if (!c->ps->nslots)
		bpf_map_delete_elem(&hpipes, &c->pipe);
}

/* A pipe lost buffers (its reader ran): drop their holds. */
static __always_inline void pipe_drained(u64 pipe)
{
	struct gauge_sync c = { .pipe = pipe };

	c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
	if (!c.ps || read_ring((struct pipe_inode_info *)pipe, &c.ring))
		return;
	drop_consumed(&c);
	pipe_forget(&c);
}

static long add_cb(u64 i, void *data)
{
	struct gauge_sync *c = data;
	struct pipe_buffer buf;
	struct sw_hold_key hk = { .pipe = c->pipe, .seq = c->start + (u32)i };
	struct sw_hold h = {};
	struct address_space *as;
	struct folio *folio;
	u64 mapping;

	if (read_buf(&c->ring, hk.seq, &buf))
		return 1;
	if (!buf.page || !buf.len)
		return 0;
	folio = page_folio_of(buf.page);
	mapping = folio_file_mapping(folio);
	if (!mapping) {
		c->anon += buf.len;
		return 0;
	}
	c->pagecache += buf.len;
	if (!c->ps || (s32)(hk.seq - c->new_from) < 0)
		return 0;	/* already consumed by a concurrent reader */
	as = (struct address_space *)mapping;
	h.ino = BPF_CORE_READ(as, host, i_ino);
	h.dev = BPF_CORE_READ(as, host, i_sb, s_dev);
	h.len = buf.len;
	h.ts_ns = c->now;
	if (bpf_map_update_elem(&holds, &hk, &h, BPF_NOEXIST)) {
		if (!bpf_map_lookup_elem(&holds, &hk))
			count(SW_SC_HOLDS_DROPPED, 1);
		return 0;
	}
	c->ps->nslots++;
	if ((s32)(hk.seq + 1 - c->ps->hi_seq) > 0)
		c->ps->hi_seq = hk.seq + 1;
	count(SW_SC_HOLDS, 1);
	return 0;
}

#ifdef SW_COMPAT
/* add_cb, one ring position of this CPU's sync, verified once. */
__noinline int add_step(u64 pipe, u32 i)
{
	return gauge_step(pipe, i, add_cb, false);
}

SW_STEP_BLOCKS(add_step)
#endif

/* A call added buffers [from, head) to a pipe: classify their bytes, index
 * the page-cache ones. */
static __always_inline void pipe_filled(u64 pipe, u64 inode, u32 from,
					u64 *pagecache, u64 *anon)
{
	struct gauge_sync c = { .pipe = pipe };
	struct hpipe new_ps = {};
	u32 n;

	if (read_ring((struct pipe_inode_info *)pipe, &c.ring))
		return;
	n = c.ring.head - from;
	if (!n || n > c.ring.mask + 1)
		return;
	c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
	if (!c.ps) {
		new_ps.inode = inode;
		new_ps.ino = BPF_CORE_READ((struct inode *)inode, i_ino);
		new_ps.bufs = (u64)c.ring.bufs;
		new_ps.lo_seq = c.ring.tail;
		new_ps.hi_seq = c.ring.tail;
		bpf_map_update_elem(&hpipes, &pipe, &new_ps, BPF_NOEXIST);
		c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
	}
	if (c.ps)
		drop_consumed(&c);
	c.new_from = (s32)(from - c.ring.tail) > 0 ? from : c.ring.tail;
	c.now = bpf_ktime_get_ns();
	c.start = from;
#ifdef SW_COMPAT
	if (!this_cpu_scratch())
		return;
	gauge_walk(&c, n, add_step);
	c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
#else
	bpf_loop(n, add_cb, &c, 0);
#endif
	*pagecache += c.pagecache;
	*anon += c.anon;
	if (c.ps)
		pipe_forget(&c);
}

static long gc_pipe_cb(struct bpf_map *map, u64 *pipe, struct hpipe *ps, void *data)
{
	struct gauge_sync c = { .pipe = *pipe, .ps = ps };

	if (!pipe_inode_current((struct inode *)ps->inode, *pipe, ps->ino) ||
	    read_ring((struct pipe_inode_info *)*pipe, &c.ring)) {
		u32 before = ps->nslots;

		drop_range(&c, ps->lo_seq, ps->hi_seq);
		if (before > ps->nslots)
			count(SW_SC_STALE, before - ps->nslots);
		bpf_map_delete_elem(&hpipes, pipe);
		return 0;
	}
	/* Consumed through a path we do not hook (io_uring, pread of /proc...). */
	drop_consumed(&c);
	pipe_forget(&c);
	return 0;
}

#endif /* SW_STATS_HOLD_GAUGE_BPF_H */
