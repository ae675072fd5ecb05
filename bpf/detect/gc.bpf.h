/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Garbage collection, run by the frontend (BPF_PROG_TEST_RUN of sw_gc) every
 * 200 ms, and at once where the fentry/kprobe backends see a pipe freed:
 * dead pipes' holds forgotten, drains no hook saw applied, batches pending
 * too long indexed, emptied chunks and mapping entries swept when they crowd
 * their maps or a uid nears its share of them (each deleted entry's quota
 * charge given back).
 */
#ifndef SW_DETECT_GC_BPF_H
#define SW_DETECT_GC_BPF_H

#include "backup_checks.bpf.h"

/* A pipe is being freed (last close, owner exit): forget its holds now rather
 * than at the next GC pass. */
__noinline int forget_pipe(u64 pipe)
{
	struct sw_pipe_state *ps = bpf_map_lookup_elem(&pipes, &pipe);

	if (!ps)
		return 0;
	release_all(ps);
	drop_pending(ps, pipe);
	quota_put(SW_INDEX_PIPES, ps->quota_uid);
	bpf_map_delete_elem(&pipes, &pipe);
	return 0;
}

/* Global, so the verifier checks it once rather than inside every iteration. */
__noinline int gc_pipe(u64 pipe)
{
	struct sw_pipe_state *ps = bpf_map_lookup_elem(&pipes, &pipe);
	struct pipe_ring ring;
	u64 gen;

	/* gen 0: a sync on another CPU is making this entry now. */
	if (!ps || !ps->gen)
		return 0;
	gen = ps->gen;
	if (!live_pipe(pipe)) {
		if (ps->gen != gen)
			return 0;	/* re-synced meanwhile: alive after all */
		count(SW_CNT_STALE_DROPPED, ps->held);
		release_all(ps);
		drop_pending(ps, pipe);
		/* A new pipe at this address may have taken the state over (a sync
		 * resets it with a new generation): then it is not ours to delete. */
		if (ps->gen == gen) {
			quota_put(SW_INDEX_PIPES, ps->quota_uid);
			bpf_map_delete_elem(&pipes, &pipe);
		}
		return 0;
	}
	/* A live pipe's entry is never deleted here: a sync on another CPU may
	 * hold it and would go on filling a deleted entry (holds lost; seen
	 * with two vCPUs). It goes when the pipe is freed. A resized ring is
	 * the next sync's to renumber. */
	if (read_ring((struct pipe_inode_info *)pipe, &ring) || (u64)ring.bufs != ps->bufs)
		return 0;
	/* Consumed through a path we do not hook (io_uring): forget it. */
	if ((s32)(ring.tail - ps->lo_seq) > 0) {
		drain(ps, ps->lo_seq, ring.tail);
		ps->lo_seq = ring.tail;
	}
	/* A batch pending this long is a hold, not a splice loop's: index it, so
	 * full indexes are told of within a pass and counts are exact. */
	if (ps->pend || ps->pend_slot)
		index_pending_pipe(pipe, ps->pend_slot);
	return 0;
}

#ifndef SW_COMPAT
static long gc_pipe_cb(struct bpf_map *map, u64 *pipe, struct sw_pipe_state *ps, void *data)
{
	gc_pipe(*pipe);
	return 0;
}
#endif

/* Chunks whose holders are all done are swept only when they crowd the map: a
 * hold added between this check and the delete would be lost, so keep it rare. */
static long sweep_chunk_cb(struct bpf_map *map, struct sw_chunk_key *key, struct sw_chunk *ch,
			   void *data)
{
	u32 uid = ch->quota_uid;	/* before the delete: the element may be reused */
	int i;

	for (i = 0; i < SW_HOLDERS_PER_CHUNK; i++)
		if (ch->h[i].pipe && !holder_stale(&ch->h[i]))
			return 0;
	if (!bpf_map_delete_elem(map, key)) {
		count(SW_CNT_CHUNKS, -1);
		quota_put(SW_INDEX_CHUNKS, uid);
	}
	return 0;
}

static long sweep_mapping_cb(struct bpf_map *map, u64 *key, struct sw_mapping_state *ms,
			     void *data)
{
	u32 uid = ms->quota_uid;

	if (!ms->nslots && !bpf_map_delete_elem(map, key)) {
		count(SW_CNT_MAPPING_TOMBS, -1);
		__sync_fetch_and_add(hint_of(*key), -1);
		quota_put(SW_INDEX_MAPPINGS, uid);
	}
	return 0;
}

/* Should GC sweep this map (SW_INDEX_CHUNKS, SW_INDEX_MAPPINGS) now? When
 * its emptied entries crowd it (entries counts them), or when a uid came
 * near its share of it (sweep_wanted, taken here). */
static __always_inline bool sweep_due(u32 which, u64 entries, u32 capacity)
{
	if (sweep_wanted & (1U << which)) {
		sw_fetch_and(&sweep_wanted, ~(1U << which));
		return true;
	}
	return entries > capacity / 2;
}

#endif /* SW_DETECT_GC_BPF_H */
