/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Lazy indexing: batches nothing has looked at yet.
 *
 * A sync does not walk the buffers a splice just added: it records the batch
 * (ring range, splicer, time) in the pipe's state and the pipe in
 * pending_pipes[]. A splice loop reads the pipe before anything looks, and the
 * batch is dropped unwalked. Everything that looks for holds (a write about to
 * be checked, truncate, mmap stores, write_iter, GC) first indexes the pending
 * batches with index_pending(), so what is found is the same as if every sync
 * had walked. A pipe's batch and slot change only under its pend_lock; a
 * program that finds the lock taken walks instead (the bitmap's atomics keep
 * two walks of one position from counting it twice).
 */
#ifndef SW_DETECT_LAZY_BPF_H
#define SW_DETECT_LAZY_BPF_H

#include "index_walk.bpf.h"

/* Pipes with a batch of buffers not indexed yet (lazy indexing, see
 * pipe_sync): slot i holds a struct pipe_inode_info * or 0. Bit i of
 * pending_mask is set while slot i may be in use, so "anything pending?" is
 * one load next to counters[SW_CNT_HELD_SLOTS]. */
#define PENDING_SLOTS	64
u64 pending_mask;
u64 pending_pipes[PENDING_SLOTS];

static __always_inline bool pend_trylock(struct sw_pipe_state *ps)
{
	return sw_cmpxchg(&ps->pend_lock, 0, 1) == 0;
}

static __always_inline void pend_unlock(struct sw_pipe_state *ps)
{
	sw_fetch_and(&ps->pend_lock, 0);	/* atomic: ordered after the stores above */
}

struct claim_ctx {
	u64 pipe;
	u32 slot;
};

static long claim_cb(u64 i, void *data)
{
	struct claim_ctx *cl = data;
	u32 k = i % PENDING_SLOTS;

	if (pending_mask & (1ULL << k))
		return 0;
	if (sw_cmpxchg(&pending_pipes[k], 0, cl->pipe))
		return 0;
	sw_fetch_or(&pending_mask, 1ULL << k);
	cl->slot = k + 1;
	return 1;
}

/* A free slot for pipe, the lowest (lookers stop at the highest bit set):
 * 1 + its index, 0 if all are taken. */
static __always_inline u32 claim_slot(u64 pipe)
{
	struct claim_ctx cl = { .pipe = pipe };

	if (pending_mask == ~0ULL)
		return 0;	/* many pipes filled at once: index them as they come */
	sw_loop(PENDING_SLOTS, PENDING_SLOTS, claim_cb, &cl);
	return cl.slot;
}

/* Clears bit k unless slot k is in use: a claimer sets the bit after taking
 * the slot, so clear first, then look again. */
static __always_inline void clear_slot_bit(u32 k)
{
	k %= PENDING_SLOTS;
	sw_fetch_and(&pending_mask, ~(1ULL << k));
	if (pending_pipes[k])
		sw_fetch_or(&pending_mask, 1ULL << k);
}

static __always_inline void release_slot(u32 slot, u64 pipe)
{
	u32 k = (slot - 1) % PENDING_SLOTS;

	if (!slot)
		return;
	if (sw_cmpxchg(&pending_pipes[k], pipe, 0) == pipe)
		clear_slot_bit(k);
}

/* Forgets the pending batch of a pipe that is gone. */
static __always_inline void drop_pending(struct sw_pipe_state *ps, u64 pipe)
{
	ps->pend = 0;
	release_slot(ps->pend_slot, pipe);
	ps->pend_slot = 0;
}

/* The lock is taken elsewhere: walk the pending batch (if any) without taking
 * it over. */
static __always_inline void walk_pending_unlocked(struct sw_pipe_state *ps, u64 pipe)
{
	u64 p = ps->pend;

	if (p)
		index_range(pipe, (u32)p, p >> 32, WALK_PENDING);
}

/* Indexes a pipe's pending batch and takes it out of the set; with the lock
 * taken elsewhere, walks it without taking it over. Inline, walk included:
 * a write check's call chain down to add_cb must fit 512 bytes of stack, and
 * 6.1 rounds every frame up to 32 bytes. */
static __always_inline void pending_index(u64 pipe, u32 slot)
{
	struct sw_pipe_state *ps = live_pipe(pipe);
	bool owned;
	u64 p;

	if (!ps) {
		/* Freed, or a new pipe at its address: the batch is gone with it.
		 * GC forgets the state. */
		ps = bpf_map_lookup_elem(&pipes, &pipe);
		if (ps && pend_trylock(ps)) {
			drop_pending(ps, pipe);
			pend_unlock(ps);
		}
		release_slot(slot, pipe);
		return;
	}
	owned = pend_trylock(ps);
	p = ps->pend;
	if (p)
		walk_range(pipe, (u32)p, p >> 32, WALK_PENDING);
	if (!owned)
		return;
	ps->pend = 0;
	release_slot(ps->pend_slot, pipe);
	if (slot != ps->pend_slot)
		release_slot(slot, pipe);
	ps->pend_slot = 0;
	pend_unlock(ps);
}

/* The same for GC, verified once. */
__noinline int index_pending_pipe(u64 pipe, u32 slot)
{
	pending_index(pipe, slot);
	return 0;
}

static long pending_slot_cb(u64 i, void *data)
{
	u64 m = pending_mask, pipe;
	u32 k = i % PENDING_SLOTS;

	if (!(m >> k))
		return 1;	/* no slot above in use */
	if (!(m & (1ULL << k)))
		return 0;
	pipe = pending_pipes[k];
	if (pipe)
#ifdef SW_COMPAT
		index_pending_pipe(pipe, k + 1);	/* unrolled: each slot a call */
#else
		pending_index(pipe, k + 1);
#endif
	else
		clear_slot_bit(k);
	return 0;
}

/* Before looking for holds: index every pending batch. A global function,
 * verified once whatever its caller knows: it must stay out of line, or the
 * verifier walks it again for each write syscall number and op sys_enter
 * reaches it with (four times the instructions). */
__noinline int index_pending(void)
{
	if (pending_mask)
		sw_loop(PENDING_SLOTS, PENDING_SLOTS, pending_slot_cb, NULL);
	return 0;
}

/* Anything held or about to be: the gate of every path that syncs or checks. */
static __always_inline bool tracking(void)
{
	return counters[SW_CNT_HELD_SLOTS] || pending_mask;
}

#endif /* SW_DETECT_LAZY_BPF_H */
