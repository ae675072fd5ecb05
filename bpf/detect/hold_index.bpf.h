/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The hold index: which pipes hold which pages of which file.
 *   mappings: per file (address_space), a count of held buffers and the
 *     range of page indexes ever held; mapping_hint answers "nothing held of
 *     this file" with one load.
 *   chunks: per 64 pages of a file, up to SW_HOLDERS_PER_CHUNK holder pipes,
 *     each with the pages it holds and the ring positions they sit at.
 *   pipes: per pipe, a bitmap of the ring positions holding page-cache pages
 *     and up to SW_PIPE_EXTENTS (file, positions) extents, so a drain counts
 *     exactly without touching chunks.
 * An entry may be stale (its pipe read or freed): every use is checked
 * against the live ring, so staleness costs time, never a false report.
 */
#ifndef SW_DETECT_HOLD_INDEX_BPF_H
#define SW_DETECT_HOLD_INDEX_BPF_H

#include "settings.bpf.h"
#include "../lib/kobj.bpf.h"
#include "../lib/pipe_ring.bpf.h"

/* A zeroed template for new pipes entries: too large for the BPF stack (new
 * chunks and mappings entries: sync_state, index_walk.bpf.h). */
const struct sw_pipe_state zero_pipe = {};

SW_MAP(chunks, BPF_MAP_TYPE_HASH, 65536, struct sw_chunk_key, struct sw_chunk);

SW_MAP(pipes, BPF_MAP_TYPE_HASH, 16384, u64, struct sw_pipe_state);

SW_MAP(mappings, BPF_MAP_TYPE_HASH, 16384, u64, struct sw_mapping_state);

/* The per-user quotas (user_quota[], enum sw_index_map): how many entries of
 * each map every non-root uid has (uid -> counts). Root's are not counted: an
 * unprivileged user flooding the index leaves room for root's holds. A uid
 * this map cannot take is refused. */
struct quota_used {
	u32 n[SW_INDEX__COUNT];
};

SW_MAP(quota_used, BPF_MAP_TYPE_HASH, 4096, u32, struct quota_used);

/* A new uid's counts: a template, not on the stack of the walk's callbacks. */
static const struct quota_used zero_quota = {};

/* Maps (1 << enum sw_index_map) whose emptied entries GC should sweep now,
 * not only when they crowd the map: a uid near its share of chunks or
 * mappings may be kept there by entries it no longer uses (drained chunks,
 * mapping tombstones). Set by quota_take(), cleared by GC. */
u32 sweep_wanted;

/* A uid has count entries of map `which`: past three quarters of its share,
 * have GC sweep that map's emptied entries, which it is charged for until
 * they are deleted, before they keep its new holds out. */
static __always_inline void sweep_if_near(u32 which, u32 count)
{
	u32 limit = user_quota[which % SW_INDEX__COUNT];

	if (limit && count > limit - limit / 4 && !(sweep_wanted & (1U << which)))
		sw_fetch_or(&sweep_wanted, 1U << which);
}

/* Charges uid one entry of map `which`; false if it has its share already.
 * The add is not a fetch (the 5.10 build has no atomic fetch): two CPUs
 * taking the last entry at once may both be refused, the count stays exact. */
static __always_inline bool quota_take(u32 which, u32 uid)
{
	struct quota_used *q;
	u32 limit, *n, now;

	if (!uid || which >= SW_INDEX__COUNT)
		return true;
	limit = user_quota[which];
	if (!limit)
		return true;
	q = bpf_map_lookup_elem(&quota_used, &uid);
	if (!q) {
		bpf_map_update_elem(&quota_used, &uid, &zero_quota, BPF_NOEXIST);
		q = bpf_map_lookup_elem(&quota_used, &uid);
		if (!q)
			return false;
	}
	n = &q->n[which];
	__sync_fetch_and_add(n, 1);
	now = *(volatile u32 *)n;
	if (which != SW_INDEX_PIPES)	/* GC visits every pipes entry anyway */
		sweep_if_near(which, now);
	if (now <= limit)
		return true;
	__sync_fetch_and_add(n, -1);
	return false;
}

/* Gives an entry's charge back (the entry is deleted, or was never made). */
static __always_inline void quota_put(u32 which, u32 uid)
{
	struct quota_used *q;

	if (!uid || which >= SW_INDEX__COUNT || !user_quota[which])
		return;
	q = bpf_map_lookup_elem(&quota_used, &uid);
	if (q)
		__sync_fetch_and_add(&q->n[which], -1);
}

/* How many mappings entries hash to each bucket: a write to a file none of
 * whose pages a pipe holds (the common case while other files are held)
 * finds its bucket empty with one load instead of a hash lookup. Raised
 * before an entry is made, so a looker never misses one. */
#define MAPPING_HINT_BITS	12
u32 mapping_hint[1 << MAPPING_HINT_BITS];

static __always_inline u32 *hint_of(u64 mapping)
{
	return &mapping_hint[(mapping * 0x9E3779B97F4A7C15ULL) >> (64 - MAPPING_HINT_BITS)];
}

/* Has any pipe held pages of this mapping since the last GC? */
static __always_inline bool mapping_tracked(u64 mapping)
{
	return (*hint_of(mapping) && bpf_map_lookup_elem(&mappings, &mapping)) ||
	       (on_untracked && untracked_marks);
}

#define SEQ_WORDS (SW_PIPE_SEQ_BITS / 64)

struct bits_ctx {
	struct sw_pipe_state *ps;
	u32 seq;
	u32 left;
	u32 taken;
};

static long take_word_cb(u64 i, void *data)
{
	struct bits_ctx *b = data;
	u32 bit = b->seq % 64, k = 64 - bit;
	u64 mask, old;

	if (!b->left)
		return 1;
	if (k > b->left)
		k = b->left;
	mask = (k == 64 ? ~0ULL : ((1ULL << k) - 1)) << bit;
	old = sw_fetch_and(&b->ps->bits[(b->seq / 64) % SEQ_WORDS], ~mask);
	/* Atomic only to leave the sum unknown to the verifier: a tracked,
	 * growing range would keep it from ever seeing the loop converge. */
	__sync_fetch_and_add(&b->taken, __builtin_popcountll(old & mask));
	b->seq += k;
	b->left -= k;
	return 0;
}

/* Clears the bits of ring positions [from, to) and counts those that were set.
 * Atomic, so two CPUs syncing one pipe never count a buffer twice. */
static __always_inline u32 take_bits(struct sw_pipe_state *ps, u32 from, u32 to)
{
	struct bits_ctx b = { .ps = ps, .seq = from, .left = to - from };
	u32 w0 = (from / 64) % SEQ_WORDS, w1 = ((to - 1) / 64) % SEQ_WORDS;
	u64 m0, m1;

	if ((s32)b.left <= 0)
		return 0;
	if (b.left <= 64) {
		/* At most two words, and usually nothing set in them (a batch
		 * read before it was ever indexed): no loop. */
		m0 = ~0ULL << (from % 64);
		m1 = ~0ULL >> (63 - (to - 1) % 64);
		if (w0 == w1) {
			m0 &= m1;
			m1 = 0;
		}
		if (!(ps->bits[w0] & m0) && !(ps->bits[w1] & m1))
			return 0;
	}
	if (b.left > SW_PIPE_SEQ_BITS)
		b.left = SW_PIPE_SEQ_BITS;
	sw_loop(SEQ_WORDS + 1, SEQ_WORDS + 1, take_word_cb, &b);
	return b.taken;
}

/* A uid's hold of a file is over (its mappings entry emptied, and likely
 * chunks entries with it): if it is near its share of either, have GC sweep,
 * so a user that held many files and let them go is not refused new ones
 * until it takes another entry. Non-root only: one lookup. */
static __always_inline void quota_emptied(u32 uid)
{
	struct quota_used *q;

	if (!uid)
		return;
	q = bpf_map_lookup_elem(&quota_used, &uid);
	if (!q)
		return;
	sweep_if_near(SW_INDEX_CHUNKS, q->n[SW_INDEX_CHUNKS]);
	sweep_if_near(SW_INDEX_MAPPINGS, q->n[SW_INDEX_MAPPINGS]);
}

static __always_inline void mapping_put(u64 mapping, u32 n)
{
	struct sw_mapping_state *ms;

	if (!n)
		return;
	ms = bpf_map_lookup_elem(&mappings, &mapping);
	/* Emptied entries stay (tombstones): deleting by key would race with
	 * another CPU adding to the same entry and lose its hold. */
	if (ms && sw_fetch_add(&ms->nslots, -(s64)n) == n) {
		count(SW_CNT_MAPPING_TOMBS, 1);
		quota_emptied(ms->quota_uid);
	}
}

/* Forgets the buffers at ring positions [from, to): consumed or gone. */
static __always_inline void drain(struct sw_pipe_state *ps, u32 from, u32 to)
{
	u32 total = 0, a, b, n;
	int i;

	for (i = 0; i < SW_PIPE_EXTENTS; i++) {
		struct sw_extent *e = &ps->ext[i];

		if (!e->mapping)
			continue;
		a = (s32)(e->lo_seq - from) > 0 ? e->lo_seq : from;
		b = (s32)(e->hi_seq + 1 - to) < 0 ? e->hi_seq + 1 : to;
		if ((s32)(b - a) > 0) {
			n = take_bits(ps, a, b);
			mapping_put(e->mapping, n);
			total += n;
		}
		if ((s32)(e->hi_seq + 1 - to) <= 0)
			e->mapping = 0;
		else if ((s32)(to - e->lo_seq) > 0)
			e->lo_seq = to;
	}
	total += take_bits(ps, from, to);	/* none expected outside extents */
	if (total) {
		__sync_fetch_and_add(&ps->held, -(s32)total);
		count(SW_CNT_HELD_SLOTS, -(s64)total);
	}
}

/* A new buffer of `mapping` at `seq`: the extent it belongs to, or -1 if the
 * pipe already holds pages of SW_PIPE_EXTENTS other files. */
static __always_inline int extent_for(struct sw_pipe_state *ps, u64 mapping, u32 seq)
{
	u32 cur = ps->cur_ext % SW_PIPE_EXTENTS;
	int i;

	if (ps->ext[cur].mapping == mapping) {
		ps->ext[cur].hi_seq = seq;
		return cur;
	}
	for (i = 0; i < SW_PIPE_EXTENTS; i++) {
		if (ps->ext[i].mapping)
			continue;
		ps->ext[i].mapping = mapping;
		ps->ext[i].lo_seq = seq;
		ps->ext[i].hi_seq = seq;
		ps->cur_ext = i;
		return i;
	}
	return -1;
}

/* Is the pipe's inode still the one we indexed? Catches freed pipes. */
static __always_inline struct sw_pipe_state *live_pipe(u64 pipe)
{
	struct sw_pipe_state *ps = bpf_map_lookup_elem(&pipes, &pipe);
	struct inode *inode;

	if (!ps)
		return NULL;
	/* Learnt where the kernel inserted pages, which knows no inode: the
	 * free_pipe_info hook, loaded alongside, forgets freed pipes instead. */
	if (!ps->inode)
		return ps;
	inode = (struct inode *)ps->inode;
	if ((u64)BPF_CORE_READ(inode, i_pipe) != pipe ||
	    BPF_CORE_READ(inode, i_ino) != ps->ino ||
	    (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFIFO)
		return NULL;
	return ps;
}

/* Is this holder's pipe gone, or done with the pages it recorded? */
static __always_inline bool holder_stale(struct sw_chunk_holder *h)
{
	struct sw_pipe_state *ps = live_pipe(h->pipe);

	return !ps || ps->gen != h->gen || (s32)(h->hi_seq - ps->lo_seq) < 0;
}

/* Everything the state tracks is gone: drop it all. */
static __always_inline void release_all(struct sw_pipe_state *ps)
{
	u32 stray;

	drain(ps, ps->lo_seq, ps->hi_seq);
	stray = take_bits(ps, 0, SW_PIPE_SEQ_BITS);	/* outside [lo, hi): none expected */
	if (stray) {
		__sync_fetch_and_add(&ps->held, -(s32)stray);
		count(SW_CNT_HELD_SLOTS, -(s64)stray);
	}
}

static __always_inline void pipe_state_reset(struct sw_pipe_state *ps, struct inode *inode,
					     struct pipe_ring *ring)
{
	int i;

	ps->inode = (u64)inode;
	ps->ino = inode ? BPF_CORE_READ(inode, i_ino) : 0;
	ps->bufs = (u64)ring->bufs;
	ps->gen = sw_fetch_add(&counters[SW_CNT_GEN], 1) + 1;
	ps->lo_seq = ring->tail;
	ps->hi_seq = ring->tail;
	ps->cur_ext = 0;
	for (i = 0; i < SW_PIPE_EXTENTS; i++)
		ps->ext[i].mapping = 0;
	ps->pend = 0;	/* positions of the old ring; its slot is released by the next owner */
}

#endif /* SW_DETECT_HOLD_INDEX_BPF_H */
