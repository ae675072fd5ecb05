/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Indexing a batch: the walk over ring positions [from, to) of one pipe that
 * records each page-cache buffer in the hold index (pipe bitmap and extent,
 * mapping range, chunk holder). Updates are gathered per mapping and per
 * chunk in the thread's sync_state and flushed when either changes.
 */
#ifndef SW_DETECT_INDEX_WALK_BPF_H
#define SW_DETECT_INDEX_WALK_BPF_H

#include "hold_index.bpf.h"
#include "untracked.bpf.h"

/* Ring slots a sync reads at once: a 64 KiB splice fills 16. */
#define SYNC_BATCH	16

/* What a sync accumulates while it walks the ring. It lives in a map value
 * (sync_scratch), not on the stack: the verifier would otherwise track every
 * counter through each callback iteration and never converge. */
struct sync_state {
	u32 added;
	u32 pid;
	u32 uid;		/* pid's real uid */
	u32 hold_flags;
	u64 now;
	u64 cgroup_id;		/* pid's cgroup */
	/* The first hold of the walk that could not be tracked, told once the
	 * walk is done (untracked_event's arguments; why 0: none). */
	u64 untr_why;
	u64 untr_mapping;
	u64 untr_holder;
	u64 untr_comm[2];
	u32 nmarks;		/* in marks[] */
	char comm[SW_TASK_COMM_LEN];
	/* the folio of the previous buffer: large folios span many buffers */
	struct folio_memo fm;
	/* pending updates, flushed when the mapping or chunk changes */
	u64 map;
	u64 map_lo, map_hi;
	u32 map_n;
	u32 chunk_lo, chunk_hi;
	u32 map_ok;		/* map has an entry: its buffers are indexed */
	u32 map_mark;		/* without one: 1 + its slot in marks[], 0 none */
	struct sw_chunk_key chunk;
	u64 chunk_pages;
	/* ring slots read ahead in one bpf_probe_read_kernel: [buf_seq, +buf_n) */
	u32 buf_seq;
	u32 buf_n;
	/* Set by the walk's caller after clearing the above, or scratch: here
	 * rather than on the stack, which the call chain from a write check
	 * through the walk must keep under 512 bytes. */
	struct pipe_ring ring;
	u32 start;
	u32 end;		/* ring position after the last new buffer */
	struct page_window pw;
	struct pipe_buffer bufs[SYNC_BATCH];
	/* enforce --on-untracked: untracked holds of known files, marked
	 * after the walk (mark_walk_untracked); a walk's holds past
	 * WALK_MARKS are told and counted, not marked */
	struct walk_mark marks[WALK_MARKS];
	struct untracked_mark mark;	/* the one being made */
	/* Templates of new index entries, here because neither fits the
	 * walk's stack: each is made with its quota_uid already in it, so a
	 * GC sweep deleting it at once still gives the charge back. Of
	 * new_chunk only quota_uid is ever written: the rest stays zero. */
	struct sw_mapping_state new_mapping;
	struct sw_chunk new_chunk;
};

/* lib/maps.bpf.h: scratch maps. */
SW_SCRATCH_MAP(sync_scratch, struct sync_state);

struct sync_ctx {
	u64 pipe;
	struct sw_pipe_state *ps;
	struct sync_state *st;
};

/* A hold the walk cannot track: counted now, the walk's first told after it. */
static __always_inline void walk_untracked_of(struct sync_ctx *c, u64 why, u64 mapping,
					      u64 holder, u64 *comm)
{
	count_untracked(why >> 32);
	if (c->st->untr_why)
		return;
	c->st->untr_why = why;
	c->st->untr_mapping = mapping;
	c->st->untr_holder = holder;
	c->st->untr_comm[0] = comm[0];
	c->st->untr_comm[1] = comm[1];
}

/* enforce --on-untracked: a slot in which to note an untracked hold of file
 * mapping in pages [lo, hi], marked after the walk; NULL if none is kept.
 * Only stores here: the walk's callbacks have no stack to spare on 5.10-6.1. */
static __always_inline struct walk_mark *walk_mark_slot(struct sync_ctx *c, u32 reason,
							u64 mapping, u64 lo, u64 hi)
{
	u32 n = c->st->nmarks;
	struct walk_mark *m;

	if (!on_untracked || !mapping || n >= WALK_MARKS)
		return NULL;
	m = &c->st->marks[n % WALK_MARKS];
	c->st->nmarks = n + 1;
	m->mapping = mapping;
	m->lo = lo;
	m->hi = hi;
	m->reason = reason;
	m->pipe = 0;
	return m;
}

static __always_inline void widen_walk_mark(struct walk_mark *m, u64 index)
{
	if (index < m->lo)
		m->lo = index;
	if (index > m->hi)
		m->hi = index;
}

/* ... with the batch's splicer as the holder. */
static __always_inline void walk_untracked(struct sync_ctx *c, u32 reason, u64 mapping, u64 lo,
					   u64 hi)
{
	walk_mark_slot(c, reason, mapping, lo, hi);
	walk_untracked_of(c, untracked_why(reason, c->ps->ino), mapping,
			  (u64)c->st->pid << 32 | c->st->uid, (u64 *)c->st->comm);
}

/* The mappings entry of the walk's current file (st->map): found, or made
 * empty and charged to the splicer's uid; NULL, and the hold told untracked,
 * when the uid has its share or the map is full.
 * mapping_entry, flush_mapping and flush_chunk are subprograms, not inline:
 * each is called from add_cb and again at the walk's end, and inlined twice
 * 6.18's verifier walked every copy: 2.36M instructions for trace's programs
 * and 8 s to load on the tracepoint backend, 0.79M and 2 s as subprograms
 * (7.x: 0.93M to 1.05M). bench/verifier-insns.md. Inline in the compat
 * programs: as subprograms there, 5.10's verifier refused them with the
 * backup hooks on (E2BIG, SPLICEWATCH_BACKUP_HOOKS=1). */
#ifdef SW_COMPAT
#define WALK_ENTRY_FN	static __always_inline
#else
#define WALK_ENTRY_FN	static __noinline
#endif

WALK_ENTRY_FN struct sw_mapping_state *mapping_entry(struct sync_ctx *c)
{
	struct sw_mapping_state *ms, *fresh = &c->st->new_mapping;
	u32 uid = c->st->uid;

	ms = bpf_map_lookup_elem(&mappings, &c->st->map);
	if (ms)
		return ms;
	if (!quota_take(SW_INDEX_MAPPINGS, uid)) {
		walk_untracked(c, SW_UNTR_USER_QUOTA, c->st->map, c->st->map_lo, c->st->map_hi);
		return NULL;
	}
	/* Born empty, filled by flush_mapping(). */
	fresh->lo_index = ~0ULL;
	fresh->hi_index = 0;
	fresh->nslots = 0;
	fresh->quota_uid = uid;
	__sync_fetch_and_add(hint_of(c->st->map), 1);
	if (!bpf_map_update_elem(&mappings, &c->st->map, fresh, BPF_NOEXIST)) {
		count(SW_CNT_MAPPING_TOMBS, 1);
	} else {	/* another CPU's (counted there), or the map is full */
		__sync_fetch_and_add(hint_of(c->st->map), -1);
		quota_put(SW_INDEX_MAPPINGS, uid);
	}
	ms = bpf_map_lookup_elem(&mappings, &c->st->map);
	if (!ms)
		walk_untracked(c, SW_UNTR_MAPPINGS, c->st->map, c->st->map_lo, c->st->map_hi);
	return ms;
}

/* Adds the walk's buffers of st->map to its entry, made when the walk came
 * to that file (add_cb): made again if a GC sweep took it meanwhile, empty. */
WALK_ENTRY_FN void flush_mapping(struct sync_ctx *c)
{
	struct sw_mapping_state *ms;

	if (!c->st->map_n)
		return;
	ms = mapping_entry(c);
	if (ms) {
		/* The range only grows while the entry lives: shrinking it could
		 * race with another CPU's add. */
		if (c->st->map_lo < ms->lo_index)
			ms->lo_index = c->st->map_lo;
		if (c->st->map_hi > ms->hi_index)
			ms->hi_index = c->st->map_hi;
		if (!sw_fetch_add(&ms->nslots, c->st->map_n))
			count(SW_CNT_MAPPING_TOMBS, -1);
	}
	c->st->map_n = 0;
}

/* A chunk's holder slots are shared per uid: with no free or stale slot, a
 * new hold takes the slot of a holder whose uid (not root's, not its own) has
 * 2 or more of them and more than the new hold's uid has. So one user cannot
 * keep other users' holds of a chunk out of the index (4 decoy pipes on a
 * page), and root's holds are never given up; the holder given up is told as
 * untracked (chunk_holder_evicted). -1: no such slot (chunk_holders_full). */
static __always_inline int evict_slot(struct sync_ctx *c, struct sw_chunk *ch)
{
	u32 n, mine = 0, uid = c->st->uid;
	struct sw_pipe_state *ps;
	struct sw_chunk_holder *h;
	struct walk_mark *m;
	int i, j, victim = -1;
	u64 *comm;

	for (i = 0; i < SW_HOLDERS_PER_CHUNK; i++)
		mine += ch->h[i].splicer_uid == uid;
	for (i = 0; victim < 0 && i < SW_HOLDERS_PER_CHUNK; i++) {
		if (!ch->h[i].splicer_uid || ch->h[i].splicer_uid == uid)
			continue;
		n = 0;
		for (j = 0; j < SW_HOLDERS_PER_CHUNK; j++)
			n += ch->h[j].splicer_uid == ch->h[i].splicer_uid;
		if (n >= 2 && n > mine)
			victim = i;
	}
	if (victim < 0 || victim >= SW_HOLDERS_PER_CHUNK)
		return -1;
	h = &ch->h[victim];
	ps = bpf_map_lookup_elem(&pipes, &h->pipe);
	comm = (u64 *)h->splicer_comm;
	walk_untracked_of(c, untracked_why(SW_UNTR_CHUNK_EVICTED, ps ? ps->ino : 0),
			  c->st->chunk.mapping, (u64)h->splicer_pid << 32 | h->splicer_uid, comm);
	m = walk_mark_slot(c, SW_UNTR_CHUNK_EVICTED, c->st->chunk.mapping,
			   c->st->chunk.chunk << SW_CHUNK_SHIFT,
			   (c->st->chunk.chunk << SW_CHUNK_SHIFT) + (1 << SW_CHUNK_SHIFT) - 1);
	if (m) {
		m->pipe = h->pipe;
		m->splicer_pid = h->splicer_pid;
		m->splicer_uid = h->splicer_uid;
		m->splicer_cgroup_id = h->splicer_cgroup_id;
		m->hold_flags = h->hold_flags;
		__builtin_memcpy(m->splicer_comm, h->splicer_comm, sizeof(m->splicer_comm));
	}
	return victim;
}

WALK_ENTRY_FN void flush_chunk(struct sync_ctx *c)
{
	struct sw_chunk *ch;
	struct sw_chunk_holder *h;
	u32 reason = SW_UNTR_CHUNK_HOLDERS;
	int i, slot = -1;

	if (!c->st->chunk_pages)
		return;
	ch = bpf_map_lookup_elem(&chunks, &c->st->chunk);
	if (!ch) {
		if (!quota_take(SW_INDEX_CHUNKS, c->st->uid)) {
			reason = SW_UNTR_USER_QUOTA;
			goto full;
		}
		c->st->new_chunk.quota_uid = c->st->uid;
		if (!bpf_map_update_elem(&chunks, &c->st->chunk, &c->st->new_chunk, BPF_NOEXIST))
			count(SW_CNT_CHUNKS, 1);
		else	/* another CPU's, or the map is full */
			quota_put(SW_INDEX_CHUNKS, c->st->uid);
		ch = bpf_map_lookup_elem(&chunks, &c->st->chunk);
		if (!ch) {
			reason = SW_UNTR_CHUNKS;
			goto full;
		}
	}
	for (i = 0; i < SW_HOLDERS_PER_CHUNK; i++) {
		h = &ch->h[i];
		if (h->pipe == c->pipe && h->gen == c->ps->gen) {
			if ((s32)(h->hi_seq - c->ps->lo_seq) >= 0) {
				/* Batches are usually indexed in ring order, but
				 * not always (two CPUs syncing one pipe): only
				 * widen the range, keep the oldest splicer. */
				h->pages |= c->st->chunk_pages;
				if ((s32)(c->st->chunk_hi - h->hi_seq) > 0)
					h->hi_seq = c->st->chunk_hi;
				if ((s32)(c->st->chunk_lo - h->lo_seq) < 0)
					h->lo_seq = c->st->chunk_lo;
				if (c->st->now < h->ts_ns) {
					h->ts_ns = c->st->now;
					h->splicer_pid = c->st->pid;
					h->splicer_uid = c->st->uid;
					h->splicer_cgroup_id = c->st->cgroup_id;
					h->hold_flags = c->st->hold_flags;
					__builtin_memcpy(h->splicer_comm, c->st->comm,
							 sizeof(h->splicer_comm));
				}
				c->st->chunk_pages = 0;
				return;
			}
			slot = i;	/* all consumed: start it over */
			break;
		}
		if (slot < 0 && !h->pipe)
			slot = i;
	}
	/* Unrolled: compiled as a loop in the subprogram, its back edge fell
	 * through from a plain instruction, which 6.1 refuses ("back-edge"). */
#pragma unroll
	for (i = 0; i < SW_HOLDERS_PER_CHUNK; i++)
		if (slot < 0 && holder_stale(&ch->h[i]))
			slot = i;
	if (slot < 0)
		slot = evict_slot(c, ch);
	if (slot < 0 || slot >= SW_HOLDERS_PER_CHUNK)
		goto full;
	h = &ch->h[slot];
	h->pipe = c->pipe;
	h->gen = c->ps->gen;
	h->pages = c->st->chunk_pages;
	h->ts_ns = c->st->now;
	h->lo_seq = c->st->chunk_lo;
	h->hi_seq = c->st->chunk_hi;
	h->splicer_pid = c->st->pid;
	h->splicer_uid = c->st->uid;
	h->splicer_cgroup_id = c->st->cgroup_id;
	h->hold_flags = c->st->hold_flags;
	__builtin_memcpy(h->splicer_comm, c->st->comm, sizeof(h->splicer_comm));
	c->st->chunk_pages = 0;
	return;
full:
	/* Held (and counted) but not findable: say so rather than miss quietly. */
	c->st->chunk_pages = 0;
	walk_untracked(c, reason, c->st->chunk.mapping, c->st->chunk.chunk << SW_CHUNK_SHIFT,
		       (c->st->chunk.chunk << SW_CHUNK_SHIFT) + (1 << SW_CHUNK_SHIFT) - 1);
}

/* Reads the ring slots from seq on (up to SYNC_BATCH, not across the end of
 * the array) into the scratch: one probe read instead of one per buffer. */
static __always_inline int fill_bufs(struct sync_ctx *c, u32 seq)
{
	u32 mask = c->st->ring.mask, idx = seq & mask, n = c->st->end - seq;

	if (n > SYNC_BATCH)
		n = SYNC_BATCH;
	if (n > mask + 1 - idx)
		n = mask + 1 - idx;
	/* Keep clang from folding this check into the clamps above: older
	 * verifiers (6.1) cannot follow that and see an unbounded size. */
	barrier_var(n);
	if (!n || n > SYNC_BATCH)
		return -1;
	c->st->buf_seq = seq;
	c->st->buf_n = n;
	return bpf_probe_read_kernel(c->st->bufs, n * sizeof(struct pipe_buffer),
				     &c->st->ring.bufs[idx]);
}

static long add_cb(u64 i, void *data)
{
	struct sync_ctx *c = data;
	struct sw_pipe_state *ps = c->ps;
	struct pipe_buffer *buf;
	u32 seq = c->st->start + (u32)i, k;
	struct folio *folio;
	u64 index, bitmask, chunk;

	k = seq - c->st->buf_seq;
	if (k >= c->st->buf_n) {
		if (fill_bufs(c, seq))
			return 1;
		k = 0;
	}
	buf = &c->st->bufs[k % SYNC_BATCH];
	if (!buf->page || !buf->len)
		return 0;
	if (!folio_memo_window(&c->st->fm, &c->st->pw, buf->page))
		folio_memo_fields(&c->st->fm, buf->page);
	folio = c->st->fm.folio;
	if (!c->st->fm.mapping)
		return 0;	/* anonymous pipe page: a copy, nobody else writes it */
	index = c->st->fm.index + page_offset_in_folio(buf->page, folio);

	if (c->st->fm.mapping != c->st->map) {
		flush_mapping(c);
		c->st->map = c->st->fm.mapping;
		c->st->map_lo = index;
		c->st->map_hi = index;
		c->st->map_ok = mapping_entry(c) != NULL;
		c->st->map_mark = 0;
		if (!c->st->map_ok && c->st->nmarks && c->st->nmarks <= WALK_MARKS &&
		    c->st->marks[(c->st->nmarks - 1) % WALK_MARKS].mapping == c->st->map)
			c->st->map_mark = c->st->nmarks;
	}
	/* No entry for the file (its splicer's share, a full map): its buffers
	 * are left out of the pipe's bitmap and extents too, else draining
	 * them would take them off an entry made later that never had them
	 * (another user's: emptied early, swept, its holds lost). Its mark
	 * (--on-untracked) covers each of them. */
	if (!c->st->map_ok) {
		if (c->st->map_mark)
			widen_walk_mark(&c->st->marks[(c->st->map_mark - 1) % WALK_MARKS], index);
		return 0;
	}
	bitmask = 1ULL << (seq % 64);
	if (sw_fetch_or(&ps->bits[(seq / 64) % SEQ_WORDS], bitmask) & bitmask)
		return 0;	/* another CPU indexed this position */
	if (extent_for(ps, c->st->fm.mapping, seq) < 0) {
		sw_fetch_and(&ps->bits[(seq / 64) % SEQ_WORDS], ~bitmask);
		walk_untracked(c, SW_UNTR_PIPE_EXTENTS, c->st->fm.mapping, index, index);
		return 0;
	}
	c->st->added++;

	if (index < c->st->map_lo)
		c->st->map_lo = index;
	if (index > c->st->map_hi)
		c->st->map_hi = index;
	c->st->map_n++;

	chunk = index >> SW_CHUNK_SHIFT;
	if (c->st->chunk.mapping != c->st->fm.mapping || c->st->chunk.chunk != chunk) {
		flush_chunk(c);
		c->st->chunk.mapping = c->st->fm.mapping;
		c->st->chunk.chunk = chunk;
		c->st->chunk_lo = seq;
	}
	c->st->chunk_pages |= 1ULL << (index & ((1 << SW_CHUNK_SHIFT) - 1));
	c->st->chunk_hi = seq;
	return 0;
}

#ifdef SW_COMPAT
/* One ring position of this thread's walk_range: add_cb, verified once. */
__noinline int add_step(u64 pipe, u32 i)
{
	struct sync_ctx c = { .pipe = pipe };

	c.ps = bpf_map_lookup_elem(&pipes, &pipe);
	c.st = scratch_of(&sync_scratch, false);
	if (!c.ps || !c.st)
		return 1;
	return add_cb(i, &c) ? 1 : 0;
}

SW_STEP_BLOCKS(add_step)
#endif

/* enforce --on-untracked: marks the file of untracked hold i the walk of
 * pipe noted (walk_mark_slot); 0 when there is no such hold. Global, one hold
 * a call: its frame is on the sync's call chain, which must stay under 512
 * bytes of stack on 5.10-6.1. */
__noinline int mark_walk_untracked(u64 pipe, u32 i)
{
	struct sync_state *st = scratch_of(&sync_scratch, false);
	struct untracked_mark *m;
	struct walk_mark *w;

	if (!st || i >= WALK_MARKS || i >= st->nmarks)
		return 0;
	m = &st->mark;
	w = &st->marks[i];
	m->file.reason = w->reason;
	if (w->pipe) {		/* a holder given up for another */
		m->file.splicer_pid = w->splicer_pid;
		m->file.splicer_uid = w->splicer_uid;
		m->file.splicer_cgroup_id = w->splicer_cgroup_id;
		m->hold_flags = w->hold_flags;
		__builtin_memcpy(m->file.splicer_comm, w->splicer_comm, sizeof(m->file.splicer_comm));
	} else {		/* the walk's own splicer */
		w->pipe = pipe;
		m->file.splicer_pid = st->pid;
		m->file.splicer_uid = st->uid;
		m->file.splicer_cgroup_id = st->cgroup_id;
		m->hold_flags = st->hold_flags;
		__builtin_memcpy(m->file.splicer_comm, st->comm, sizeof(m->file.splicer_comm));
	}
	/* The key from map memory, not this frame. */
	mark_untracked(m, w->mapping, w->pipe, bpf_map_lookup_elem(&pipes, &w->pipe), w->lo, w->hi);
	return 1;
}

/* ... each hold the walk of pipe noted. A call of its own: the loop's
 * registers would take stack in the walk's callers (5.10's call chains). */
__noinline int mark_walk_all(u64 pipe)
{
	for (u32 i = 0; i < WALK_MARKS; i++)
		if (!mark_walk_untracked(pipe, i))
			break;
	return 0;
}

/* Who put a batch into the pipe: the running task, or the pending batch's. */
#define WALK_CURRENT	0
#define WALK_PENDING	1

/* Indexes the page-cache buffers at ring positions [from, to) still in the
 * pipe: the per-buffer walk. */
static __always_inline void walk_range(u64 pipe, u32 from, u32 to, u32 who)
{
	struct sync_ctx c = { .pipe = pipe };
	struct sw_pipe_state *ps = bpf_map_lookup_elem(&pipes, &pipe);
	struct pipe_ring *ring;
	u32 n;

	if (!ps)
		return;
	c.st = scratch_of(&sync_scratch, true);
	if (!c.st)
		return;
	/* The read-ahead buffers need no clearing: buf_n = 0. */
	__builtin_memset(c.st, 0, offsetof(struct sync_state, ring));
	ring = &c.st->ring;
	if (read_ring((struct pipe_inode_info *)pipe, ring) || (u64)ring->bufs != ps->bufs)
		return;	/* resized since: the next sync starts over */
	if ((s32)(ring->tail - from) > 0)
		from = ring->tail;	/* read meanwhile: nothing to learn there */
	if ((s32)(to - ring->head) > 0)
		to = ring->head;
	n = to - from;
	if ((s32)n <= 0 || n > SW_PIPE_SEQ_BITS || ring->head - ring->tail > SW_PIPE_SEQ_BITS)
		return;
	c.ps = ps;
	c.st->start = from;
	c.st->end = to;
	if (who == WALK_PENDING) {
		c.st->now = ps->pend_ts;
		c.st->pid = ps->pend_pid;
		c.st->uid = ps->pend_uid;
		c.st->cgroup_id = ps->pend_cgroup_id;
		c.st->hold_flags = ps->pend_hold_flags;
		__builtin_memcpy(c.st->comm, ps->pend_comm, sizeof(c.st->comm));
	} else {
		c.st->now = bpf_ktime_get_ns();
		c.st->pid = bpf_get_current_pid_tgid() >> 32;
		c.st->uid = (u32)bpf_get_current_uid_gid();
		c.st->cgroup_id = bpf_get_current_cgroup_id();
		c.st->hold_flags = current_hold_flags(c.st->uid);
		bpf_get_current_comm(c.st->comm, sizeof(c.st->comm));
	}
#ifdef SW_COMPAT
	sw_steps(SW_PIPE_SEQ_BITS, n, add_step, pipe);
#else
	bpf_loop(n, add_cb, &c, 0);
#endif
	flush_mapping(&c);
	flush_chunk(&c);
	if (c.st->untr_why)
		untracked_event(c.st->untr_why, c.st->untr_mapping, c.st->untr_holder,
				c.st->untr_comm[0], c.st->untr_comm[1]);
	if (c.st->added) {
		__sync_fetch_and_add(&ps->held, c.st->added);
		count(SW_CNT_HELD_SLOTS, c.st->added);
	}
	if (on_untracked && c.st->nmarks)
		mark_walk_all(c.pipe);
}

/* The walk for a sync: a global function, verified once. */
__noinline int index_range(u64 pipe, u32 from, u32 to, u32 who)
{
	walk_range(pipe, from, to, who);
	return 0;
}

#endif /* SW_DETECT_INDEX_WALK_BPF_H */
