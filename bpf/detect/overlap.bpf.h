/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The overlap check: does a write of bytes [pos, pos + len) of a file touch
 * bytes a pipe still holds? mapping range -> chunks -> holders -> the
 * holder's live ring, buffer by buffer; the first held buffer found is the
 * answer (check_ctx). In enforce, holds trusted for the writer
 * (trust.bpf.h) are looked at first: a write into bytes both a trusted and
 * an untrusted holder hold is acted on.
 */
#ifndef SW_DETECT_OVERLAP_BPF_H
#define SW_DETECT_OVERLAP_BPF_H

#include "sync.bpf.h"

struct check_ctx {
	u64 mapping;
	u64 first_index;	/* written pages, clipped to what was ever held */
	u64 last_index;
	u64 first_chunk;
	s64 wstart;		/* written bytes: [wstart, wend) */
	s64 wend;
	struct folio *only_folio;	/* mmap/truncate: pages of this folio only */
	/* holder being examined (its state: check_walk.ps) */
	struct pipe_ring ring;
	u32 start;
	/* who put the pages into the pipe, and when */
	u32 splicer_pid;
	u32 splicer_uid;
	u32 pipe_uid;
	u32 trusted;		/* the holder found is trusted for writer_uid */
	u32 writer_uid;
	u32 untracked_reason;	/* a mark of untracked holds was found (find_untracked) */
	/* enforce: which holders this pass looks at (WANT_*), and whether the
	 * trusted pass passed over an untrusted holder */
	u32 want;
	u32 skipped;
	u32 nchunks;
	u64 hold_ts_ns;
	u64 splicer_cgroup_id;
	char splicer_comm[SW_TASK_COMM_LEN];
	/* result: not a bool, which the compiler returns from the bpf_loop
	 * callbacks as the loaded byte, 0..255 to the verifier */
	u32 found;
	u64 index;
	s64 held_offset;
	u32 held_len;
	u64 pipe_ino;
};

/* bpf_loop's context must be on the stack; the check context itself lives
 * in a map value (check_scratch), whose contents the verifier does not track:
 * on the stack, 7.x's verifier re-walked the nested loop callbacks until every
 * field it had learnt converged, for each caller. */
struct check_walk {
	struct check_ctx *c;
	struct sw_pipe_state *ps;	/* a pointer stored in a map value is a scalar */
};

/* lib/maps.bpf.h: scratch maps. */
SW_SCRATCH_MAP(check_scratch, struct check_ctx);

/* The thread's check context, cleared, for a write by writer_uid into
 * mapping; NULL if the scratch map has none. */
static __always_inline struct check_ctx *check_ctx_new(u64 mapping, u32 writer_uid)
{
	struct check_ctx *c = scratch_of(&check_scratch, true);

	if (!c)
		return NULL;
	__builtin_memset(c, 0, sizeof(*c));
	c->mapping = mapping;
	c->writer_uid = writer_uid;
	return c;
}

static long seq_cb(u64 i, void *data)
{
	struct check_walk *w = data;
	struct check_ctx *c = w->c;
	u32 seq = c->start + (u32)i;
	struct pipe_buffer buf;
	struct folio *folio;
	s64 hstart, hend;
	u64 index;

	if (!(w->ps->bits[(seq / 64) % SEQ_WORDS] & (1ULL << (seq % 64))))
		return 0;	/* not a page-cache buffer we track */
	if (read_buf(&c->ring, seq, &buf) || !buf.page || !buf.len)
		return 0;
	folio = page_folio_of(buf.page);
	if (c->only_folio && folio != c->only_folio)
		return 0;
	/* Truncated or invalidated out of the file: writes no longer reach it. */
	if (folio_file_mapping(folio) != c->mapping)
		return 0;
	index = BPF_CORE_READ(folio, index) +
		((u64)buf.page - (u64)folio) / bpf_core_type_size(struct page);
	if (index < c->first_index || index > c->last_index)
		return 0;
	hstart = (s64)(index << SW_PAGE_SHIFT) + buf.offset;
	hend = hstart + buf.len;
	if (hend <= c->wstart || hstart >= c->wend)
		return 0;
	c->found = true;
	c->index = index;
	c->held_offset = hstart;
	c->held_len = buf.len;
	return 1;
}

#ifdef SW_COMPAT
/* One ring position of this thread's check of the holder pipe: seq_cb,
 * verified once. */
__noinline int seq_step(u64 pipe, u32 i)
{
	struct check_walk w = { .c = scratch_of(&check_scratch, false) };

	w.ps = bpf_map_lookup_elem(&pipes, &pipe);
	if (!w.c || !w.ps)
		return 1;
	return seq_cb(i, &w) ? 1 : 0;
}

SW_STEP_BLOCKS(seq_step)
#endif

#define WANT_ANY	0
#define WANT_TRUSTED	1
#define WANT_UNTRUSTED	2

static __always_inline bool holder_overlaps(struct check_ctx *c, struct sw_chunk_holder *h)
{
	struct pipe_inode_info *pipe = (struct pipe_inode_info *)h->pipe;
	struct sw_pipe_state *ps;
	u32 from, to, n, pipe_uid;
	bool trusted;

	ps = live_pipe(h->pipe);
	if (!ps || ps->gen != h->gen)
		return false;
	pipe_uid = BPF_CORE_READ(pipe, user, uid.val);
	trusted = holder_trusted(h->splicer_uid, h->hold_flags, pipe_uid, c->writer_uid);
	if (c->want == (trusted ? WANT_UNTRUSTED : WANT_TRUSTED)) {
		c->skipped = 1;
		return false;
	}
	if (read_ring((struct pipe_inode_info *)h->pipe, &c->ring))
		return false;
	if ((u64)c->ring.bufs == ps->bufs) {
		from = (s32)(c->ring.tail - h->lo_seq) > 0 ? c->ring.tail : h->lo_seq;
		to = (s32)(h->hi_seq + 1 - c->ring.head) > 0 ? c->ring.head : h->hi_seq + 1;
	} else {
		return false;	/* resized and not yet re-synced: rare, next sync re-learns */
	}
	n = to - from;
	if ((s32)n <= 0 || n > MAX_RING)
		return false;
	c->start = from;
	c->splicer_pid = h->splicer_pid;
	c->splicer_uid = h->splicer_uid;
	c->pipe_uid = pipe_uid;
	c->trusted = trusted;
	c->hold_ts_ns = h->ts_ns;
	c->splicer_cgroup_id = h->splicer_cgroup_id;
	__builtin_memcpy(c->splicer_comm, h->splicer_comm, sizeof(c->splicer_comm));
#ifdef SW_COMPAT
	sw_steps(SW_PIPE_SEQ_BITS, n, seq_step, h->pipe);
#else
	{
		struct check_walk w = { .c = c, .ps = ps };

		bpf_loop(n, seq_cb, &w, 0);
	}
#endif
	if (c->found)
		c->pipe_ino = ps->ino;
	return c->found;
}

struct holders_ctx {
	struct check_ctx *c;
	struct sw_chunk *ch;
	u64 mask;
};

/* One callback per holder, never a bounded loop: the verifier walks a
 * loop's iterations one by one, and 7.x verifies the pipe scan inside again
 * for each holder index (twenty times the instructions). */
static long holder_cb(u64 k, void *data)
{
	struct holders_ctx *hc = data;
	struct sw_chunk_holder *h;

	if (k >= SW_HOLDERS_PER_CHUNK)
		return 1;
	h = &hc->ch->h[k];
	if (!h->pipe || !(h->pages & hc->mask))
		return 0;
	return holder_overlaps(hc->c, h) ? 1 : 0;
}

/* Pass i over the chunks: in enforce, [0, n) over trusted holders, then
 * [n, 2n) over untrusted ones, only if the first found nothing and passed
 * over one. */
static long chunk_cb(u64 i, void *data)
{
	struct check_ctx *c = ((struct check_walk *)data)->c;
	struct sw_chunk_key key = { .mapping = c->mapping };
	struct holders_ctx hc = { .c = c };
	u64 base, lo, hi;

	if (c->want != WANT_ANY && i >= c->nchunks) {
		if (!c->skipped)
			return 1;
		c->want = WANT_UNTRUSTED;
		i -= c->nchunks;
	}
	key.chunk = c->first_chunk + i;
	base = key.chunk << SW_CHUNK_SHIFT;
	hc.ch = bpf_map_lookup_elem(&chunks, &key);
	if (!hc.ch)
		return 0;
	lo = c->first_index > base ? c->first_index - base : 0;
	hi = c->last_index < base + 63 ? c->last_index - base : 63;
	hc.mask = (hi - lo == 63 ? ~0ULL : ((1ULL << (hi - lo + 1)) - 1)) << (lo & 63);
	sw_loop(SW_HOLDERS_PER_CHUNK, SW_HOLDERS_PER_CHUNK, holder_cb, &hc);
	return c->found ? 1 : 0;
}

#ifdef SW_COMPAT
/* find_overlap's walk of this thread's check context, from its first chunk.
 * The step checks that chunk against the context: clang passes nothing for an
 * argument the callee ignores, and the verifier refuses such a call. */
__noinline int chunk_step(u64 first_chunk, u32 i)
{
	struct check_walk w = { .c = scratch_of(&check_scratch, false) };

	if (!w.c || w.c->first_chunk != first_chunk)
		return 1;
	return chunk_cb(i, &w) ? 1 : 0;
}

SW_STEP_BLOCKS(chunk_step)

/* The walk itself global too: find_overlap is inlined at every check. */
__noinline int overlap_chunks(u64 first_chunk, u32 n)
{
	sw_steps(2 * (MAX_WRITE_PAGES >> SW_CHUNK_SHIFT), n, chunk_step, first_chunk);
	return 0;
}
#endif

/* enforce --on-untracked: does a write of [pos, pos+len) to mapping touch
 * pages an untracked hold trusted for this writer was of (untracked.bpf.h)?
 * Fills the thread's check context as find_tracked_overlap does: 1 if so.
 * Global: verified once, not at every check. */
__noinline int find_untracked(u64 mapping, s64 pos, u64 len)
{
	struct untracked_file_key k = { .mapping = mapping, .for_uid = SW_UNTRACKED_ANY_UID };
	u32 uid = (u32)bpf_get_current_uid_gid();
	struct untracked_file *f;
	struct check_ctx *c;
	u64 first, last;

	if (!len || pos < 0)
		return 0;
	if (len > LEN_TO_EOF - pos)
		len = LEN_TO_EOF - pos;
	first = pos >> SW_PAGE_SHIFT;
	last = (pos + len - 1) >> SW_PAGE_SHIFT;
	f = bpf_map_lookup_elem(&untracked_files, &k);
	if (!f || last < f->lo_index || first > f->hi_index) {
		k.for_uid = uid;
		f = bpf_map_lookup_elem(&untracked_files, &k);
		if (!f || last < f->lo_index || first > f->hi_index)
			return 0;
	}
	/* The file marked, not another whose address_space took its place. */
	if (f->ino != BPF_CORE_READ((struct address_space *)mapping, host, i_ino) ||
	    f->generation != BPF_CORE_READ((struct address_space *)mapping, host, i_generation))
		return 0;
	c = check_ctx_new(mapping, uid);
	if (!c)
		return 0;
	c->trusted = 1;		/* marks are made per writer uid they are trusted for */
	c->untracked_reason = f->reason;
	c->splicer_pid = f->splicer_pid;
	c->splicer_uid = f->splicer_uid;
	c->pipe_uid = f->pipe_uid;
	c->hold_ts_ns = f->ts_ns;
	c->splicer_cgroup_id = f->splicer_cgroup_id;
	c->pipe_ino = f->pipe_ino;
	__builtin_memcpy(c->splicer_comm, f->splicer_comm, sizeof(c->splicer_comm));
	/* The pages such holds were of: the held range the event tells. */
	c->held_offset = f->lo_index << SW_PAGE_SHIFT;
	c->held_len = f->hi_index - f->lo_index >= (1U << (32 - SW_PAGE_SHIFT)) - 1 ?
			      ~0U : (f->hi_index - f->lo_index + 1) << SW_PAGE_SHIFT;
	c->found = 1;
	return 1;
}

/* find_overlap's answer where no tracked hold is touched: the check context
 * find_untracked filled, or NULL. Called where mapping, pos and len are still
 * in registers: held across find_overlap they took stack the compat
 * programs' call chains do not have. */
static __always_inline struct check_ctx *untracked_overlap(u64 mapping, s64 pos, u64 len)
{
	if (!on_untracked || !untracked_marks || !find_untracked(mapping, pos, len))
		return NULL;
	return scratch_of(&check_scratch, false);
}

/* Writes [pos, pos+len) of a mapping: does it touch bytes a pipe holds, or
 * (enforce --on-untracked) pages an untracked hold was of? The check context
 * that says which, or NULL. only_folio (mmap, truncate): pages of that folio
 * only. Must stay inline: as a global function (verified once, with unknown
 * arguments) 7.x's verifier walks its nested loops close to its 1M
 * instruction limit per program; inline, with the context in check_scratch,
 * it costs a few percent of that. */
static __always_inline struct check_ctx *find_overlap(u64 mapping, s64 pos, u64 len,
						      struct folio *only_folio)
{
	struct sw_mapping_state *ms;
	struct check_walk w = {};
	u64 first, last, n;

	ms = bpf_map_lookup_elem(&mappings, &mapping);
	if (!ms || !ms->nslots || !len || pos < 0)
		return untracked_overlap(mapping, pos, len);
	if (len > LEN_TO_EOF - pos)
		len = LEN_TO_EOF - pos;
	first = pos >> SW_PAGE_SHIFT;
	last = (pos + len - 1) >> SW_PAGE_SHIFT;
	if (first < ms->lo_index)
		first = ms->lo_index;
	if (last > ms->hi_index)
		last = ms->hi_index;
	if (first > last)
		return untracked_overlap(mapping, pos, len);
	n = (last >> SW_CHUNK_SHIFT) - (first >> SW_CHUNK_SHIFT) + 1;
	if (n > MAX_WRITE_PAGES >> SW_CHUNK_SHIFT)
		n = MAX_WRITE_PAGES >> SW_CHUNK_SHIFT;
	w.c = check_ctx_new(mapping, (u32)bpf_get_current_uid_gid());
	if (!w.c)
		return NULL;
	w.c->only_folio = only_folio;
	w.c->first_index = first;
	w.c->last_index = last;
	w.c->first_chunk = first >> SW_CHUNK_SHIFT;
	w.c->wstart = pos;
	w.c->wend = pos + len;
	w.c->nchunks = n;
	if (sw_mode == SW_MODE_ENFORCE) {
		w.c->want = WANT_TRUSTED;
		n *= 2;
	}
#ifdef SW_COMPAT
	overlap_chunks(w.c->first_chunk, n);
#else
	bpf_loop(n, chunk_cb, &w, 0);
#endif
	if (w.c->found)
		return w.c;
	return untracked_overlap(w.c->mapping, w.c->wstart, w.c->wend - w.c->wstart);
}

#endif /* SW_DETECT_OVERLAP_BPF_H */
