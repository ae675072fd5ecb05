/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * enforce --on-untracked: writes to a file that has a hold the index could
 * not track (a full map, a chunk's holder slots taken, a per-user share
 * used up). Such a hold leaves a mark on its file, one per (file, pipe),
 * which GC keeps while that pipe is alive and still holds a page of the file.
 * A write to a marked file is reported, denied or killed as --on-untracked
 * says, but only where the hold would be trusted for the writer
 * (trust.bpf.h), so an untracked hold is no way round holder trust. Which
 * ring positions hold what the index did not keep: a write counts if it
 * touches the pages the file's untracked holds were of (the 64-page chunk,
 * or the batch's range of the file), widened only while any mark lasts.
 * Holds whose file is not known (a full pipe index, a ring too large to read)
 * leave no mark: they are reported as untracked only.
 */
#ifndef SW_DETECT_UNTRACKED_BPF_H
#define SW_DETECT_UNTRACKED_BPF_H

#include "hold_index.bpf.h"
#include "trust.bpf.h"

/* A (file, pipe) pair with an untracked hold. */
struct untracked_hold_key {
	u64 mapping;
	u64 pipe;
};

struct untracked_hold {
	u64 pipe_inode;		/* to tell the pipe alive (pipe_inode_current) */
	u64 pipe_ino;
	u32 for_uid;		/* the untracked_files entry it counts in */
	u32 pad;
};

/* A file's untracked holds trusted for writer uid for_uid
 * (SW_UNTRACKED_ANY_UID: every writer). */
struct untracked_file_key {
	u64 mapping;
	u32 for_uid;
	u32 pad;
};

struct untracked_file {
	u64 lo_index;		/* pages the holds were of, widened only */
	u64 hi_index;
	u64 ts_ns;		/* the first hold */
	u64 pipe_ino;		/* the first holder, as events tell it */
	u64 splicer_cgroup_id;
	u64 ino;		/* the file's inode number and generation: an */
	u32 generation;		/* address_space freed and reused for another */
	u32 holds;		/* file before GC drops the mark is not it */
	u32 reason;		/* enum sw_untracked_reason of the first */
	u32 splicer_pid;
	u32 splicer_uid;
	u32 pipe_uid;
	u32 pad;
	char splicer_comm[SW_TASK_COMM_LEN];
};

#define SW_UNTRACKED_MARKS_MAX	4096

SW_MAP(untracked_holds, BPF_MAP_TYPE_HASH, SW_UNTRACKED_MARKS_MAX, struct untracked_hold_key,
       struct untracked_hold);

SW_MAP(untracked_files, BPF_MAP_TYPE_HASH, SW_UNTRACKED_MARKS_MAX, struct untracked_file_key,
       struct untracked_file);

/* An untracked hold the walk noted, marked after it (index_walk.bpf.h). */
#define WALK_MARKS	4

struct walk_mark {
	u64 mapping;
	u64 lo;			/* page indexes */
	u64 hi;
	u64 pipe;		/* the holder's pipe; 0: the walk's own, and its splicer */
	u64 splicer_cgroup_id;
	u32 reason;
	u32 splicer_pid;
	u32 splicer_uid;
	u32 hold_flags;
	char splicer_comm[SW_TASK_COMM_LEN];
};

/* A mark being made, built in the sync scratch (no stack in the walk). */
struct untracked_mark {
	struct untracked_hold_key hkey;
	struct untracked_hold hold;
	struct untracked_file_key fkey;
	struct untracked_file file;
	u32 hold_flags;		/* the splicer's SW_HOLD_* */
	u32 pad;
};

/* The writer uid a hold by splicer_uid (hold_flags) in a pipe owned by
 * pipe_uid is trusted for, as holder_trusted() decides it: every writer,
 * one uid, or none (-1 as u64). */
static __always_inline u64 untracked_for_uid(u32 splicer_uid, u32 hold_flags, u32 pipe_uid)
{
	if (!splicer_uid || (hold_flags & SW_HOLD_PROTECTED)) {
		if (!pipe_uid || pipe_uid == splicer_uid)
			return SW_UNTRACKED_ANY_UID;
		return pipe_uid;
	}
	if (!pipe_uid || pipe_uid == splicer_uid)
		return splicer_uid;
	return ~0ULL;
}

/* Marks file mapping as held by pipe (its state ps) in pages [lo, hi], for
 * the holder m->file's splicer fields, m->hold_flags and m->file.reason
 * describe. m is map memory: the walk has no stack to spare. */
static __always_inline void mark_untracked(struct untracked_mark *m, u64 mapping, u64 pipe,
					   struct sw_pipe_state *ps, u64 lo, u64 hi)
{
	struct untracked_file *f;
	u64 for_uid;

	if (!on_untracked || !mapping || !ps)
		return;
	m->file.pipe_uid = BPF_CORE_READ((struct pipe_inode_info *)pipe, user, uid.val);
	for_uid = untracked_for_uid(m->file.splicer_uid, m->hold_flags, m->file.pipe_uid);
	if (for_uid > SW_UNTRACKED_ANY_UID)
		return;		/* trusted for nobody: reported, nothing to decide */
	m->hkey.mapping = mapping;
	m->hkey.pipe = pipe;
	m->hold.pipe_inode = ps->inode;
	m->hold.pipe_ino = ps->ino;
	m->hold.for_uid = for_uid;
	m->fkey.mapping = mapping;
	m->fkey.for_uid = for_uid;
	m->fkey.pad = 0;
	m->file.lo_index = lo;
	m->file.hi_index = hi;
	m->file.ts_ns = bpf_ktime_get_ns();
	m->file.pipe_ino = ps->ino;
	m->file.ino = BPF_CORE_READ((struct address_space *)mapping, host, i_ino);
	m->file.generation = BPF_CORE_READ((struct address_space *)mapping, host, i_generation);
	m->file.holds = 0;
	/* The file entry first: a hold entry always has one to count in. */
	f = bpf_map_lookup_elem(&untracked_files, &m->fkey);
	if (!f) {
		bpf_map_update_elem(&untracked_files, &m->fkey, &m->file, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&untracked_files, &m->fkey);
		if (!f)
			return;	/* full: counted as untracked, reported, not marked */
	}
	if (lo < f->lo_index)
		f->lo_index = lo;
	if (hi > f->hi_index)
		f->hi_index = hi;
	if (bpf_map_update_elem(&untracked_holds, &m->hkey, &m->hold, BPF_NOEXIST))
		return;	/* marked already, or full */
	__sync_fetch_and_add(&f->holds, 1);
	__sync_fetch_and_add(&untracked_marks, 1);
}

/* Is a page of mapping still in the ring of pipe? Reads up to 4096 buffers
 * (64 on 5.10-5.16); a fuller ring counts as holding it. */
struct ring_has_ctx {
	struct pipe_ring ring;
	u64 mapping;
	u32 found;
};

static long ring_has_cb(u64 i, void *data)
{
	struct ring_has_ctx *r = data;
	struct pipe_buffer buf;
	struct folio *folio;

	if ((s32)(r->ring.head - r->ring.tail - (u32)i) <= 0)
		return 1;
	if (read_buf(&r->ring, r->ring.tail + (u32)i, &buf) || !buf.page)
		return 0;
	folio = page_folio_of(buf.page);
	if (folio && folio_file_mapping(folio) == r->mapping) {
		r->found = 1;
		return 1;
	}
	return 0;
}

#ifdef SW_COMPAT
#define RING_HAS_MAX	64
#else
#define RING_HAS_MAX	4096
#endif

static __always_inline bool pipe_holds_mapping(u64 pipe, u64 mapping)
{
	struct ring_has_ctx r = { .mapping = mapping };

	if (read_ring((struct pipe_inode_info *)pipe, &r.ring))
		return true;	/* torn read: keep it, look again next pass */
	if (r.ring.head - r.ring.tail > RING_HAS_MAX)
		return true;
#ifdef SW_COMPAT
	for (u32 i = 0; i < RING_HAS_MAX; i++)
		if (ring_has_cb(i, &r))
			break;
#else
	bpf_loop(RING_HAS_MAX, ring_has_cb, &r, 0);
#endif
	return r.found;
}

/* GC of one mark: gone with its pipe, or when the pipe no longer holds a page
 * of the file. Global: verified once. A hold marked again between the check
 * and the delete loses its mark (fail open in a narrow race; the hold was
 * told as untracked, and is counted). */
__noinline int gc_untracked(u64 mapping, u64 pipe)
{
	struct untracked_hold_key k = { .mapping = mapping, .pipe = pipe };
	struct untracked_file_key fk = { .mapping = mapping };
	struct untracked_hold *h = bpf_map_lookup_elem(&untracked_holds, &k);
	struct untracked_file *f;

	if (!h)
		return 0;
	/* Alive as live_pipe() tells it: by its inode, or (learnt where the
	 * kernel inserted pages, no inode known) while free_pipe_info's hook has
	 * not forgotten its state. */
	if ((h->pipe_inode ? pipe_inode_current((struct inode *)h->pipe_inode, pipe, h->pipe_ino) :
			     bpf_map_lookup_elem(&pipes, &pipe) != NULL) &&
	    pipe_holds_mapping(pipe, mapping))
		return 0;
	fk.for_uid = h->for_uid;
	if (bpf_map_delete_elem(&untracked_holds, &k))
		return 0;
	__sync_fetch_and_add(&untracked_marks, -1);
	f = bpf_map_lookup_elem(&untracked_files, &fk);
	if (f && sw_fetch_add(&f->holds, -1) == 1)
		bpf_map_delete_elem(&untracked_files, &fk);
	return 0;
}

#ifndef SW_COMPAT
static long gc_untracked_cb(struct bpf_map *map, struct untracked_hold_key *k,
			    struct untracked_hold *h, void *data)
{
	gc_untracked(k->mapping, k->pipe);
	return 0;
}
#endif

#endif /* SW_DETECT_UNTRACKED_BPF_H */
