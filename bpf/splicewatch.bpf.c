// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * splicewatch: index the page-cache pages that pipe buffers reference and report
 * (or stop) writes that modify held bytes before the pipe is drained.
 *
 * Holds are learnt by re-syncing a pipe's ring after every syscall that can add
 * or consume its buffers (new buffers are recorded as a pending batch and
 * walked only when something looks for holds, see pipe_sync); writes are
 * checked at syscall entry, before any byte lands. Every report is validated
 * against the live pipe ring, so a stale index entry can cost time but never
 * produce a false report.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "splicewatch.h"
#include "sw_syscalls.h"
#include "sw_compat.bpf.h"
#include "sw_pipe.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define O_APPEND	02000
#define RWF_APPEND	0x10
#define FALLOC_FL_PUNCH_HOLE	0x02
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#define FALLOC_FL_ZERO_RANGE	0x10
#define FALLOC_FL_INSERT_RANGE	0x20
#define F_SETPIPE_SZ	1031
#define LEN_TO_EOF	(~0ULL >> 1)
#define MAX_WRITE_PAGES	(1U << 20)
#define MAX_IOV		1024
#define SIGKILL		9

/* Set by the frontend before load. */
const volatile u32 self_tgid;
const volatile u32 sw_mode = SW_MODE_TRACE;
const volatile u32 kill_signal = SIGKILL;
const volatile bool signal_thread;
const volatile bool dry_run;
const volatile bool deny_mode;		/* enforce --action deny: BPF LSM refuses the write */
const volatile bool scope_enabled;	/* only writers in scope_pids count (ci) */
const volatile u32 chunk_capacity = 65536;	/* max_entries of chunks */
const volatile struct sw_allow_path allow_paths[SW_ALLOW_PATHS_MAX];
/* Syscall tracepoint programs can be skipped here (faultable, 6.14+, on a
 * kernel that preempts kernel code): second sources back them up, kernel
 * functions on the fentry and kprobe backends, twins (below) on the
 * tracepoint backend. Off, nothing of it is loaded or run. */
const volatile bool redundant;
const volatile bool twins;
const volatile u32 test_drop;		/* SW_DROP_*: tests only */

u64 counters[SW_CNT__COUNT];

/* Pipes with a batch of buffers not indexed yet (lazy indexing, see
 * pipe_sync): slot i holds a struct pipe_inode_info * or 0. Bit i of
 * pending_mask is set while slot i may be in use, so "anything pending?" is
 * one load next to counters[SW_CNT_HELD_SLOTS]. */
#define PENDING_SLOTS	64
u64 pending_mask;
u64 pending_pipes[PENDING_SLOTS];

/* Zeroed templates for new entries: too large for the BPF stack. */
const struct sw_chunk zero_chunk = {};
const struct sw_pipe_state zero_pipe = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sw_chunk_key);
	__type(value, struct sw_chunk);
} chunks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);
	__type(value, struct sw_pipe_state);
} pipes SEC(".maps");

#define MAPPINGS_MAX 16384
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAPPINGS_MAX);
	__type(key, u64);
	__type(value, struct sw_mapping_state);
} mappings SEC(".maps");

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
	return *hint_of(mapping) && bpf_map_lookup_elem(&mappings, &mapping);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u32);
	__type(value, u8);
} scope_pids SEC(".maps");

/* truncate(2) names a path, not a file: remember the new length per thread and
 * check when the kernel reaches the inode (tid -> length). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, s64);
} pending_truncate SEC(".maps");

/* enforce --action deny: the write a thread is about to make (decided at
 * syscall entry), refused by the LSM hook the kernel reaches next. */
struct deny_entry {
	u64 file;		/* struct file * to refuse MAY_WRITE on */
	u64 dentry;		/* for path_truncate (ftruncate before 6.2) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct deny_entry);
} deny_pending SEC(".maps");

/* Writers enforce leaves alone (key: tgid / cgroup id). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u8);
} allow_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u8);
} allow_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[SW_TASK_COMM_LEN]);
	__type(value, u8);
} allow_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct event_scratch {
	char ev[sizeof(struct sw_event) + SW_PATH_MAX];	/* header, then path[] */
	char tmp[SW_PATH_MAX + 256];	/* slack: masked offset + a name always fits */
	struct sw_path_walk walk;	/* compat: the path walk between its steps */
};

/* Per thread for the same reason as sync_scratch (see there). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, struct event_scratch);
} scratch SEC(".maps");

static const struct event_scratch zero_scratch = {};

static __always_inline void count(enum sw_counter c, s64 n)
{
	__sync_fetch_and_add(&counters[c], n);
}

/* ---- kernel object access ---------------------------------------------- */

/* ---- the hold index ------------------------------------------------------ */

static __always_inline void emit_capacity(void)
{
	struct sw_event *ev;

	count(SW_CNT_UNTRACKED, 1);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return;		/* counted as untracked above; not a lost report */
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = SW_EV_CAPACITY;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, 0);
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

static __always_inline void mapping_put(u64 mapping, u32 n)
{
	struct sw_mapping_state *ms;

	if (!n)
		return;
	ms = bpf_map_lookup_elem(&mappings, &mapping);
	/* Emptied entries stay (tombstones): deleting by key would race with
	 * another CPU adding to the same entry and lose its hold. */
	if (ms && sw_fetch_add(&ms->nslots, -(s64)n) == n)
		count(SW_CNT_MAPPING_TOMBS, 1);
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

/* Ring slots a sync reads at once: a 64 KiB splice fills 16. */
#define SYNC_BATCH	16

/* The first bytes of a struct page (or folio): its compound head (or
 * compound_info), and a folio's mapping and index, in one probe read. */
#define PAGE_WINDOW	64

struct page_window {
	u64 w[PAGE_WINDOW / 8];
};

/* What a sync accumulates while it walks the ring. It lives in a per-CPU map,
 * not on the stack: the verifier would otherwise track every counter through
 * each callback iteration and never converge. */
struct sync_state {
	u32 added;
	u32 pid;
	u64 now;
	char comm[SW_TASK_COMM_LEN];
	/* the folio of the previous buffer: large folios span many buffers */
	struct folio *folio;
	u64 folio_mapping;
	u64 folio_index;
	/* pending updates, flushed when the mapping or chunk changes */
	u64 map;
	u64 map_lo, map_hi;
	u32 map_n;
	u32 chunk_lo, chunk_hi;
	u32 pad;
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
};

/* Per thread, not per CPU: syscall tracepoints are faultable from 6.14 on, so
 * their programs run preemptible and two tasks on one CPU would share a
 * per-CPU buffer. LRU: idle threads' entries are recycled. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct sync_state);
} sync_scratch SEC(".maps");

static const struct sync_state zero_sync = {};

/* This thread's entry of a per-thread map, or NULL. */
static __always_inline void *thread_value(void *map)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(map, &tid);
}

/* This thread's entry, made from zero if it has none. */
static __always_inline void *thread_scratch(void *map, const void *zero)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	void *v = thread_value(map);

	if (v)
		return v;
	bpf_map_update_elem(map, &tid, zero, BPF_ANY);
	return thread_value(map);
}

struct sync_ctx {
	u64 pipe;
	struct sw_pipe_state *ps;
	struct sync_state *st;
};

/* A new mapping entry, widened below: no range on the walk's stack. */
static const struct sw_mapping_state fresh_mapping = { .lo_index = ~0ULL };

static __always_inline void flush_mapping(struct sync_ctx *c)
{
	struct sw_mapping_state *ms;

	if (!c->st->map_n)
		return;
	ms = bpf_map_lookup_elem(&mappings, &c->st->map);
	if (!ms) {
		__sync_fetch_and_add(hint_of(c->st->map), 1);
		if (!bpf_map_update_elem(&mappings, &c->st->map, &fresh_mapping, BPF_NOEXIST))
			count(SW_CNT_MAPPING_TOMBS, 1);	/* born empty, filled below */
		else	/* another CPU's (counted there), or the map is full */
			__sync_fetch_and_add(hint_of(c->st->map), -1);
		ms = bpf_map_lookup_elem(&mappings, &c->st->map);
	}
	if (ms) {
		/* The range only grows while the entry lives: shrinking it could
		 * race with another CPU's add. */
		if (c->st->map_lo < ms->lo_index)
			ms->lo_index = c->st->map_lo;
		if (c->st->map_hi > ms->hi_index)
			ms->hi_index = c->st->map_hi;
		if (!sw_fetch_add(&ms->nslots, c->st->map_n))
			count(SW_CNT_MAPPING_TOMBS, -1);
	} else {
		emit_capacity();
	}
	c->st->map_n = 0;
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

static __always_inline void flush_chunk(struct sync_ctx *c)
{
	struct sw_chunk *ch;
	struct sw_chunk_holder *h;
	int i, slot = -1;

	if (!c->st->chunk_pages)
		return;
	ch = bpf_map_lookup_elem(&chunks, &c->st->chunk);
	if (!ch) {
		if (!bpf_map_update_elem(&chunks, &c->st->chunk, &zero_chunk, BPF_NOEXIST))
			count(SW_CNT_CHUNKS, 1);
		ch = bpf_map_lookup_elem(&chunks, &c->st->chunk);
		if (!ch)
			goto full;
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
	for (i = 0; slot < 0 && i < SW_HOLDERS_PER_CHUNK; i++)
		if (holder_stale(&ch->h[i]))
			slot = i;
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
	__builtin_memcpy(h->splicer_comm, c->st->comm, sizeof(h->splicer_comm));
	c->st->chunk_pages = 0;
	return;
full:
	/* Held (and counted) but not findable: say so rather than miss quietly. */
	c->st->chunk_pages = 0;
	emit_capacity();
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

static __always_inline u64 window_word(struct page_window *pw, u32 off)
{
	return pw->w[(off / 8) % (PAGE_WINDOW / 8)];
}

static __always_inline u32 compound_off(void)
{
	if (bpf_core_field_exists(struct page___info, compound_info))
		return bpf_core_field_offset(struct page___info, compound_info);
	return bpf_core_field_offset(struct page___head, compound_head);
}

/* Sets the scratch's folio, mapping and index for this page; false if the
 * kernel's layout does not fit the window (then read field by field). */
static __always_inline bool page_lookup_window(struct sync_state *st, struct page *page)
{
	u32 ch = compound_off(), moff = bpf_core_field_offset(struct folio, mapping),
	    ioff = bpf_core_field_offset(struct folio, index);
	struct page_window *pw = &st->pw;
	struct folio *folio;
	unsigned long info, mask;
	u64 mapping;

	if (ch % 8 || moff % 8 || ioff % 8 || ch >= PAGE_WINDOW || moff >= PAGE_WINDOW ||
	    ioff >= PAGE_WINDOW)
		return false;
	if (bpf_probe_read_kernel(pw, sizeof(*pw), page))
		goto none;
	info = window_word(pw, ch);
	if (info & 1) {
		/* A tail page: its folio's fields are elsewhere (same decoding
		 * as page_folio_of). */
		mask = info & ~1UL;
		if (!(~mask & (~mask + 1)))
			folio = (struct folio *)((unsigned long)page & mask);
		else
			folio = (struct folio *)mask;
		if (folio == st->folio)
			return true;
		if (bpf_probe_read_kernel(pw, sizeof(*pw), folio))
			goto none;
	} else {
		folio = (struct folio *)page;
		if (folio == st->folio)
			return true;
	}
	st->folio = folio;
	mapping = window_word(pw, moff);
	st->folio_mapping = mapping & MAPPING_FLAGS ? 0 : mapping;
	st->folio_index = st->folio_mapping ? window_word(pw, ioff) : 0;
	return true;
none:
	st->folio = NULL;
	st->folio_mapping = 0;
	return true;
}

/* Pages between a folio's head and this page. struct page is 64 bytes on
 * every kernel we run on: a shift, where a 64-bit division per buffer was a
 * measurable part of a sync. */
static __always_inline u64 page_offset_in_folio(struct page *page, struct folio *folio)
{
	u64 diff = (u64)page - (u64)folio;

	if (bpf_core_type_size(struct page) == 64)
		return diff >> 6;
	return diff / bpf_core_type_size(struct page);
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
	if (!page_lookup_window(c->st, buf->page)) {
		folio = page_folio_of(buf->page);
		if (folio != c->st->folio) {
			c->st->folio = folio;
			c->st->folio_mapping = folio_file_mapping(folio);
			c->st->folio_index = c->st->folio_mapping ? BPF_CORE_READ(folio, index) : 0;
		}
	}
	folio = c->st->folio;
	if (!c->st->folio_mapping)
		return 0;	/* anonymous pipe page: a copy, nobody else writes it */
	index = c->st->folio_index + page_offset_in_folio(buf->page, folio);

	bitmask = 1ULL << (seq % 64);
	if (sw_fetch_or(&ps->bits[(seq / 64) % SEQ_WORDS], bitmask) & bitmask)
		return 0;	/* another CPU indexed this position */
	if (extent_for(ps, c->st->folio_mapping, seq) < 0) {
		sw_fetch_and(&ps->bits[(seq / 64) % SEQ_WORDS], ~bitmask);
		emit_capacity();
		return 0;
	}
	c->st->added++;

	if (c->st->folio_mapping != c->st->map) {
		flush_mapping(c);
		c->st->map = c->st->folio_mapping;
		c->st->map_lo = index;
		c->st->map_hi = index;
	}
	if (index < c->st->map_lo)
		c->st->map_lo = index;
	if (index > c->st->map_hi)
		c->st->map_hi = index;
	c->st->map_n++;

	chunk = index >> SW_CHUNK_SHIFT;
	if (c->st->chunk.mapping != c->st->folio_mapping || c->st->chunk.chunk != chunk) {
		flush_chunk(c);
		c->st->chunk.mapping = c->st->folio_mapping;
		c->st->chunk.chunk = chunk;
		c->st->chunk_lo = seq;
	}
	c->st->chunk_pages |= 1ULL << (index & ((1 << SW_CHUNK_SHIFT) - 1));
	c->st->chunk_hi = seq;
	return 0;
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

#ifdef SW_COMPAT
/* One ring position of this thread's walk_range: add_cb, verified once. */
__noinline int add_step(u64 pipe, u32 i)
{
	struct sync_ctx c = { .pipe = pipe };

	c.ps = bpf_map_lookup_elem(&pipes, &pipe);
	c.st = thread_value(&sync_scratch);
	if (!c.ps || !c.st)
		return 1;
	return add_cb(i, &c) ? 1 : 0;
}

SW_STEP_BLOCKS(add_step)
#endif

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
	c.st = thread_scratch(&sync_scratch, &zero_sync);
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
		__builtin_memcpy(c.st->comm, ps->pend_comm, sizeof(c.st->comm));
	} else {
		c.st->now = bpf_ktime_get_ns();
		c.st->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(c.st->comm, sizeof(c.st->comm));
	}
#ifdef SW_COMPAT
	sw_steps(SW_PIPE_SEQ_BITS, n, add_step, pipe);
#else
	bpf_loop(n, add_cb, &c, 0);
#endif
	flush_mapping(&c);
	flush_chunk(&c);
	if (c.st->added) {
		__sync_fetch_and_add(&ps->held, c.st->added);
		count(SW_CNT_HELD_SLOTS, c.st->added);
	}
}

/* The walk for a sync: a global function, verified once. */
__noinline int index_range(u64 pipe, u32 from, u32 to, u32 who)
{
	walk_range(pipe, from, to, who);
	return 0;
}

/* ---- lazy indexing: batches nothing has looked at yet --------------------
 *
 * A sync does not walk the buffers a splice just added: it records the batch
 * (ring range, splicer, time) in the pipe's state and the pipe in
 * pending_pipes[]. A splice loop reads the pipe before anything looks, and the
 * batch is dropped unwalked. Everything that looks for holds (a write about to
 * be checked, truncate, mmap stores, write_iter, GC) first indexes the pending
 * batches with index_pending(), so what is found is the same as if every sync
 * had walked. A pipe's batch and slot change only under its pend_lock; a
 * program that finds the lock taken walks instead (the bitmap's atomics keep
 * two walks of one position from counting it twice). */

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
 * verified once whatever its caller knows: sys_enter reaches it with each
 * write syscall's number and op as known constants, and inline the walk was
 * verified again for each (97k instructions against 23k). */
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

/* Bring the index of one pipe in line with its ring: forget consumed buffers,
 * record new ones as the pipe's pending batch (indexing the previous batch
 * first if it is still in the pipe, so each keeps its splicer and time).
 * inode is NULL where only the pipe is known. */
static __always_inline void pipe_sync(struct inode *inode, struct pipe_inode_info *pipe)
{
	struct pipe_ring ring;
	u64 p, pipe_addr = (u64)pipe;
	struct sw_pipe_state *ps;
	u32 n, from, slot;

	if (read_ring_once(pipe, &ring))
		return;
	ps = bpf_map_lookup_elem(&pipes, &pipe_addr);
	if (!ps) {
		if (ring.head == ring.tail)
			return;
		if (bpf_map_update_elem(&pipes, &pipe_addr, &zero_pipe, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&pipes, &pipe_addr)) {
			emit_capacity();
			return;
		}
		ps = bpf_map_lookup_elem(&pipes, &pipe_addr);
		if (!ps)
			return;
		if (!ps->gen)	/* ours, not another CPU's just-made one */
			pipe_state_reset(ps, inode, &ring);
	}
	if (!ps->inode && inode) {
		/* Learnt at a splice read, which knows no inode: this is it. */
		ps->ino = BPF_CORE_READ(inode, i_ino);
		ps->inode = (u64)inode;
	}

	if (ps->bufs != (u64)ring.bufs || ps->inode != (u64)inode ||
	    ps->ino != BPF_CORE_READ(inode, i_ino)) {
		/* F_SETPIPE_SZ copied the ring and renumbered it, or this is a new
		 * pipe at a freed one's address: start over. */
		release_all(ps);
		pipe_state_reset(ps, inode, &ring);
	}
	if ((s32)(ring.tail - ps->lo_seq) > 0) {
		drain(ps, ps->lo_seq, ring.tail);
		ps->lo_seq = ring.tail;
	}
	if ((s32)(ps->hi_seq - ring.tail) < 0)
		ps->hi_seq = ring.tail;
	from = ps->hi_seq;
	n = ring.head - from;
	if (n > MAX_RING)
		n = 0;
	if (n && ring.head - ring.tail > SW_PIPE_SEQ_BITS) {
		/* A ring this large would alias positions in the bitmap. */
		emit_capacity();
		n = 0;
	}
	/* The state stays while the pipe lives, even empty: deleting it here would
	 * race with another CPU syncing the same pipe. GC removes dead pipes. */
	ps->hi_seq = ring.head;
	if (!n && !ps->pend && !ps->pend_slot)
		return;
	if (!pend_trylock(ps)) {
		/* Another CPU is at this pipe's batch: index ours now, after
		 * the pending one, so positions are learnt in ring order. */
		if (n) {
			walk_pending_unlocked(ps, pipe_addr);
			index_range(pipe_addr, from, ring.head, WALK_CURRENT);
		}
		return;
	}
	p = ps->pend;
	if (p && ((s32)(ring.tail - (u32)(p >> 32)) >= 0 || n)) {
		/* Read to the end of the batch: dropped, never walked (the
		 * splice loop). Still partly there and another batch comes:
		 * index it now, under its own splicer. */
		if ((s32)(ring.tail - (u32)(p >> 32)) < 0)
			index_range(pipe_addr, (u32)p, p >> 32, WALK_PENDING);
		ps->pend = 0;
	}
	if (n) {
		slot = ps->pend_slot;
		/* Released meanwhile (the pipe looked freed to a looker)? */
		if (slot && pending_pipes[(slot - 1) % PENDING_SLOTS] != pipe_addr)
			slot = 0;
		if (!slot)
			slot = claim_slot(pipe_addr);
		ps->pend_slot = slot;
		if (slot) {
			ps->pend_ts = bpf_ktime_get_ns();
			ps->pend_pid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(ps->pend_comm, sizeof(ps->pend_comm));
			barrier();	/* splicer first: lookers read it once they see pend */
			ps->pend = (u64)ring.head << 32 | from;
		} else {
			/* Every slot taken: index now. */
			index_range(pipe_addr, from, ring.head, WALK_CURRENT);
		}
	}
	if (!ps->pend && ps->pend_slot) {
		release_slot(ps->pend_slot, pipe_addr);
		ps->pend_slot = 0;
	}
	pend_unlock(ps);
}

/* Global functions: the verifier checks each once, not once per call site and
 * branch of the caller, which keeps sys_exit within its complexity limit. */
__noinline int sync_file(u64 file_addr)
{
	struct file *file = (struct file *)file_addr;
	struct pipe_inode_info *pipe;
	struct inode *inode;

	if (!file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	pipe = inode_pipe(inode);
	if (pipe)
		pipe_sync(inode, pipe);
	return 0;
}

__noinline int sync_fd(long fd)
{
	return sync_file((u64)fd_to_file(fd));
}

/* The kernel's splice read just put pages into this pipe. sendfile and
 * copy_file_range pass data through a private pipe (current->splice_pipe)
 * that is drained before they return and nobody else reads: not a hold. */
__noinline int sync_spliced_pipe(u64 pipe)
{
	struct task_struct *task = sw_current_task();
	struct sw_pipe_state *ps;

#ifdef SW_COMPAT
	if (!pipe || (u64)BPF_CORE_READ(task, splice_pipe) == pipe)
#else
	if (!pipe || (u64)task->splice_pipe == pipe)
#endif
		return 0;
	/* A known pipe keeps its inode; a new one is filled in by the next sync
	 * through a file (the syscall's exit, io_uring's completion). */
	ps = bpf_map_lookup_elem(&pipes, &pipe);
	pipe_sync(ps ? (struct inode *)ps->inode : NULL, (struct pipe_inode_info *)pipe);
	return 0;
}

/* ---- checking a write ---------------------------------------------------- */

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
	u64 hold_ts_ns;
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

/* Per thread, as sync_scratch: programs run preemptible on 7.x. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct check_ctx);
} check_scratch SEC(".maps");

static const struct check_ctx zero_check = {};

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
	struct check_walk w = { .c = thread_value(&check_scratch) };

	w.ps = bpf_map_lookup_elem(&pipes, &pipe);
	if (!w.c || !w.ps)
		return 1;
	return seq_cb(i, &w) ? 1 : 0;
}

SW_STEP_BLOCKS(seq_step)
#endif

static __always_inline bool holder_overlaps(struct check_ctx *c, struct sw_chunk_holder *h)
{
	struct sw_pipe_state *ps;
	u32 from, to, n;

	ps = live_pipe(h->pipe);
	if (!ps || ps->gen != h->gen)
		return false;
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
	c->hold_ts_ns = h->ts_ns;
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

/* One callback per holder rather than a bounded loop: the verifier walks a
 * loop's iterations one by one, and 7.x re-verified the pipe scan inside for
 * each holder index (20x the instructions, a minute more under qemu TCG). */
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

static long chunk_cb(u64 i, void *data)
{
	struct check_ctx *c = ((struct check_walk *)data)->c;
	struct sw_chunk_key key = { .mapping = c->mapping, .chunk = c->first_chunk + i };
	struct holders_ctx hc = { .c = c };
	u64 base = key.chunk << SW_CHUNK_SHIFT, lo, hi;

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
	struct check_walk w = { .c = thread_value(&check_scratch) };

	if (!w.c || w.c->first_chunk != first_chunk)
		return 1;
	return chunk_cb(i, &w) ? 1 : 0;
}

SW_STEP_BLOCKS(chunk_step)

/* The walk itself global too: find_overlap is inlined at every check. */
__noinline int overlap_chunks(u64 first_chunk, u32 n)
{
	sw_steps(MAX_WRITE_PAGES >> SW_CHUNK_SHIFT, n, chunk_step, first_chunk);
	return 0;
}
#endif

/* Writes [pos, pos+len) of a mapping: does it touch bytes a pipe holds? The
 * held page found, or NULL. only_folio (mmap, truncate): pages of that folio
 * only. Inlined on purpose: as a global function (verified once, with unknown
 * arguments) 7.3's verifier walked its nested loops for 960k instructions per
 * program and hit the 1M limit, against 95k-141k inlined (15k-20k since the
 * context lives in check_scratch); 6.18 went up too. */
static __always_inline struct check_ctx *find_overlap(u64 mapping, s64 pos, u64 len,
						      struct folio *only_folio)
{
	struct sw_mapping_state *ms;
	struct check_walk w = {};
	u64 first, last, n;

	ms = bpf_map_lookup_elem(&mappings, &mapping);
	if (!ms || !ms->nslots || !len || pos < 0)
		return NULL;
	if (len > LEN_TO_EOF - pos)
		len = LEN_TO_EOF - pos;
	first = pos >> SW_PAGE_SHIFT;
	last = (pos + len - 1) >> SW_PAGE_SHIFT;
	if (first < ms->lo_index)
		first = ms->lo_index;
	if (last > ms->hi_index)
		last = ms->hi_index;
	if (first > last)
		return NULL;
	n = (last >> SW_CHUNK_SHIFT) - (first >> SW_CHUNK_SHIFT) + 1;
	if (n > MAX_WRITE_PAGES >> SW_CHUNK_SHIFT)
		n = MAX_WRITE_PAGES >> SW_CHUNK_SHIFT;
	w.c = thread_scratch(&check_scratch, &zero_check);
	if (!w.c)
		return NULL;
	__builtin_memset(w.c, 0, sizeof(*w.c));
	w.c->only_folio = only_folio;
	w.c->mapping = mapping;
	w.c->first_index = first;
	w.c->last_index = last;
	w.c->first_chunk = first >> SW_CHUNK_SHIFT;
	w.c->wstart = pos;
	w.c->wend = pos + len;
#ifdef SW_COMPAT
	overlap_chunks(w.c->first_chunk, n);
#else
	bpf_loop(n, chunk_cb, &w, 0);
#endif
	return w.c->found ? w.c : NULL;
}

/* ---- reporting and acting ---------------------------------------------- */

static long path_cb(u64 i, void *data)
{
	/* One byte is left for the leading '/' of the root. */
	return sw_path_step(data, SW_PATH_MAX - 1, 1);
}

#ifdef SW_COMPAT
/* One step of this thread's path walk (its state in the scratch): path_cb,
 * verified once. */
__noinline int path_step(u32 i)
{
	struct event_scratch *s = thread_value(&scratch);

	return s ? sw_path_resume(&s->walk, s->tmp, path_cb) : 1;
}
#endif

/* Absolute path of dentry under vfsmnt; with no vfsmnt (a store through a
 * mapping has no struct file), the path within its filesystem. */
static __always_inline u32 resolve_path(struct event_scratch *s, struct dentry *dentry,
					struct vfsmount *vfsmnt, u32 *flags)
{
	struct sw_path_walk p = { .buf = s->tmp, .off = SW_PATH_MAX - 1 };
	struct sw_event *ev = (struct sw_event *)s->ev;
	u32 len;

	p.dentry = dentry;
	p.vfsmnt = vfsmnt;
	p.mnt = container_of(vfsmnt, struct mount, mnt);
	s->tmp[SW_PATH_MAX - 1] = 0;
#ifdef SW_COMPAT
	s->walk = p;
	for (u32 i = 0; i < SW_PATH_DEPTH; i++)
		if (path_step(i))
			break;
	p = s->walk;
#else
	bpf_loop(SW_PATH_DEPTH, path_cb, &p, 0);
#endif
	vfsmnt = p.vfsmnt;
	if (p.truncated || (vfsmnt && p.dentry != BPF_CORE_READ(vfsmnt, mnt_root)))
		*flags |= SW_EVF_PATH_TRUNCATED;
	if (!vfsmnt)
		*flags |= SW_EVF_PATH_FS_RELATIVE;
	if (p.off == SW_PATH_MAX - 1) {
		ev->path[0] = '/';
		return 1;
	}
	len = SW_PATH_MAX - 1 - p.off;
	if (len > SW_PATH_MAX - 1)
		return 0;
	bpf_probe_read_kernel(ev->path, len & (SW_PATH_MAX - 1), &s->tmp[p.off & (SW_PATH_MAX - 1)]);
	return len;
}

/* dentry->d_u.d_alias became an anonymous union member in 7.x. */
struct dentry___anon_alias {
	struct hlist_node d_alias;
} __attribute__((preserve_access_index));

struct dentry___d_u {
	union {
		struct hlist_node d_alias;
	} d_u;
} __attribute__((preserve_access_index));

static __always_inline struct dentry *mapping_dentry(u64 mapping)
{
	struct address_space *as = (struct address_space *)mapping;
	struct hlist_node *alias = BPF_CORE_READ(as, host, i_dentry.first);
	u32 off;

	if (!alias)
		return NULL;
	if (bpf_core_field_exists(struct dentry___anon_alias, d_alias))
		off = bpf_core_field_offset(struct dentry___anon_alias, d_alias);
	else
		off = bpf_core_field_offset(struct dentry___d_u, d_u.d_alias);
	return (struct dentry *)((void *)alias - off);
}

static __always_inline bool in_scope(u32 tgid)
{
	if (!scope_enabled)
		return true;
	return bpf_map_lookup_elem(&scope_pids, &tgid) != NULL;
}

struct prefix_ctx {
	const char *path;
	const volatile char *prefix;
	bool differs;
};

static long prefix_cb(u64 i, void *data)
{
	struct prefix_ctx *p = data;
	u32 k = i & (SW_ALLOW_PATH_LEN - 1);

	if (p->path[k] != p->prefix[k]) {
		p->differs = true;
		return 1;
	}
	return 0;
}

/* Is path under one of the --allow-path prefixes (at a '/' boundary)? */
static __always_inline bool path_allowed(const char *path, u32 path_len)
{
	struct prefix_ctx p = { .path = path };
	u32 len;
	int i;

	for (i = 0; i < SW_ALLOW_PATHS_MAX; i++) {
		len = allow_paths[i].len;
		if (!len || len >= SW_ALLOW_PATH_LEN || len > path_len)
			continue;
		p.prefix = allow_paths[i].prefix;
		p.differs = false;
		sw_loop(SW_ALLOW_PATH_LEN, len, prefix_cb, &p);
		if (p.differs)
			continue;
		if (len == path_len || path[len & (SW_ALLOW_PATH_LEN - 1)] == '/' ||
		    allow_paths[i].prefix[(len - 1) & (SW_ALLOW_PATH_LEN - 1)] == '/')
			return true;
	}
	return false;
}

static __always_inline bool allowed(struct sw_event *ev)
{
	return bpf_map_lookup_elem(&allow_pids, &ev->pid) ||
	       bpf_map_lookup_elem(&allow_cgroups, &ev->cgroup_id) ||
	       bpf_map_lookup_elem(&allow_comms, ev->comm) ||
	       (!(ev->flags & SW_EVF_PATH_FS_RELATIVE) && path_allowed(ev->path, ev->path_len));
}

/* Is the task pid 1 of its own pid namespace? */
static __always_inline bool ns_init(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level & 31]);
	return up.nr == 1;
}

/* How a decision can stop the write: not at all but by a signal, by the LSM
 * hook the syscall reaches next (file recorded now), or right now (we are in
 * that LSM hook). */
enum deny_how {
	DENY_NO,
	DENY_AT_LSM,
	DENY_NOW,
};

/* Act on the writer, before its bytes land. */
static __always_inline u32 decide(struct sw_event *ev, bool late, u32 deny_how,
				  struct file *file)
{
	struct task_struct *task = sw_current_task();
	struct deny_entry d = {};
	u32 tid;

	if (sw_mode != SW_MODE_ENFORCE)
		return SW_ACT_REPORTED;
	if (allowed(ev))
		return SW_ACT_ALLOWED;
	/* Never pid 1 (of any pid namespace: a container's init), kernel
	 * threads or ourselves. */
	if (ev->pid <= 1 || ev->pid == self_tgid || (BPF_CORE_READ(task, flags) & 0x00200000 /* PF_KTHREAD */) ||
	    ns_init(task))
		return SW_ACT_ALLOWED;
	if (dry_run)
		return SW_ACT_WOULD_KILL;
	if (deny_mode && deny_how == DENY_NOW)
		return SW_ACT_DENIED;
	if (deny_mode && deny_how == DENY_AT_LSM && file) {
		tid = ev->tid;
		d.file = (u64)file;
		d.dentry = (u64)BPF_CORE_READ(file, f_path.dentry);
		if (!bpf_map_update_elem(&deny_pending, &tid, &d, BPF_ANY))
			return SW_ACT_DENIED;
	}
	if (signal_thread)
		bpf_send_signal_thread(kill_signal);
	else
		bpf_send_signal(kill_signal);
	count(SW_CNT_SIGNALS, 1);
	ev->signal = kill_signal;
	if (kill_signal != SIGKILL)
		return SW_ACT_SIGNALLED;
	return late ? SW_ACT_KILLED_LATE : SW_ACT_KILLED;
}

static __always_inline u32 report(struct check_ctx *c, u32 op, struct file *file,
				  s64 wpos, u64 wlen, u32 flags, bool late, u32 deny_how)
{
	u32 path_len;
	struct event_scratch *s;
	struct address_space *as;
	struct inode *host;
	struct sw_event *ev;
	u64 id = bpf_get_current_pid_tgid();

	if (!in_scope(id >> 32))
		return SW_ACT_REPORTED;
	s = thread_scratch(&scratch, &zero_scratch);
	if (!s)
		return SW_ACT_REPORTED;
	ev = (struct sw_event *)s->ev;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = SW_EV_UNSAFE_WRITE;
	ev->op = op;
	ev->flags = flags;
	ev->pid = id >> 32;
	ev->tid = (u32)id;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	/* From the inode itself: an index entry may outlive a freed inode whose
	 * address_space was reused. */
	as = (struct address_space *)c->mapping;
	host = BPF_CORE_READ(as, host);
	ev->dev = BPF_CORE_READ(host, i_sb, s_dev);
	ev->ino = BPF_CORE_READ(host, i_ino);
	ev->write_offset = wpos;
	ev->write_len = wlen;
	ev->held_offset = c->held_offset;
	ev->held_len = c->held_len;
	ev->pipe_ino = c->pipe_ino;
	ev->splicer_pid = c->splicer_pid;
	__builtin_memcpy(ev->splicer_comm, c->splicer_comm, sizeof(ev->splicer_comm));
	ev->held_ns = ev->ts_ns - c->hold_ts_ns;
	path_len = 0;
	if (file)
		path_len = resolve_path(s, BPF_CORE_READ(file, f_path.dentry),
					BPF_CORE_READ(file, f_path.mnt), &ev->flags);
	else if (mapping_dentry(c->mapping))
		path_len = resolve_path(s, mapping_dentry(c->mapping), NULL, &ev->flags);
	ev->path_len = path_len & (SW_PATH_MAX - 1);
	ev->path[ev->path_len & (SW_PATH_MAX - 1)] = 0;
	ev->action = decide(ev, late, deny_how, file);
	count(SW_CNT_EVENTS, 1);
	if (bpf_ringbuf_output(&events, ev, (sizeof(*ev) + ev->path_len + 1) & (2 * SW_PATH_MAX - 1), 0))
		count(SW_CNT_LOST, 1);
	return ev->action;
}

/* ---- syscall entry: writes ----------------------------------------------- */

static __always_inline u64 iov_total(const struct iovec *uiov, long cnt, u32 *flags)
{
	u64 total = 0;
	struct iovec iov;
	int i;

	if (cnt <= 0)
		return 0;
	if (cnt > 64) {
		*flags |= SW_EVF_LEN_UNKNOWN;
		return LEN_TO_EOF;
	}
	for (i = 0; i < 64; i++) {
		if (i >= cnt)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov), &uiov[i])) {
			*flags |= SW_EVF_LEN_UNKNOWN;
			return LEN_TO_EOF;
		}
		total += iov.iov_len;
	}
	return total;
}

static __always_inline s64 file_pos(struct file *file, bool append)
{
	if (append || (BPF_CORE_READ(file, f_flags) & O_APPEND))
		return BPF_CORE_READ(file, f_inode, i_size);
	return BPF_CORE_READ(file, f_pos);
}

static __always_inline s64 user_off(loff_t *uoff, struct file *file)
{
	s64 off;

	if (!uoff)
		return file_pos(file, false);
	if (bpf_probe_read_user(&off, sizeof(off), uoff))
		return -1;
	return off;
}

/* ---- second sources: which writes sys_enter really checked --------------- */

/* sys_enter leaves a mark for the write it checked (a file something is held
 * of), so the write_iter hooks leave that one write to it and check every
 * other: a skipped sys_enter run leaves no mark. Per thread, keyed by tid (the
 * programs run preemptible, so nothing per CPU). Valid for one syscall: it
 * names the syscall and the file, and the count of write syscalls the task
 * had made (ioac.syscw, raised as each write, pwrite, writev, copy_file_range
 * or sendfile ends), and sys_exit clears it. A stale mark needs a skipped
 * sys_exit and then a skipped sys_enter of the same syscall on the same file. */
struct write_mark {
	u64 file;
	u64 syscw;
	long nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct write_mark);
} write_marks SEC(".maps");

static __always_inline u64 write_syscalls(void)
{
	struct task_struct *task = sw_current_task();

	if (bpf_core_field_exists(task->ioac))
		return BPF_CORE_READ(task, ioac.syscw);
	return 0;		/* no CONFIG_TASK_IO_ACCOUNTING: sys_exit alone clears */
}

static __always_inline void mark_checked(struct file *file, long nr)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct write_mark m = { .file = (u64)file, .syscw = write_syscalls(), .nr = nr };
	struct write_mark *old = bpf_map_lookup_elem(&write_marks, &tid);

	if (old) {
		/* In place: cheaper than an LRU update, and only this thread
		 * reads it. */
		old->file = m.file;
		old->syscw = m.syscw;
		old->nr = m.nr;
		return;
	}
	bpf_map_update_elem(&write_marks, &tid, &m, BPF_ANY);
}

/* Did this syscall's sys_enter check this write to file? */
static __always_inline bool entry_checked(struct file *file, long nr)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct write_mark *m = bpf_map_lookup_elem(&write_marks, &tid);

	return m && m->nr == nr && m->file == (u64)file && m->syscw == write_syscalls();
}

static __always_inline void clear_mark(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct write_mark *m = bpf_map_lookup_elem(&write_marks, &tid);

	if (m)
		m->nr = -1;
}

#define S_IFREG		0100000
#define S_IFBLK		0060000

static __always_inline bool may_be_held(struct file *file)
{
	u32 mode = BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;

	return mode == S_IFREG || mode == S_IFBLK;
}

/* The syscalls sys_enter checks (check_write), by number. */
static __always_inline bool checked_syscall(long nr)
{
	switch (nr) {
	case SW_NR_write: case SW_NR_pwrite64: case SW_NR_writev: case SW_NR_pwritev:
	case SW_NR_pwritev2: case SW_NR_copy_file_range: case SW_NR_splice:
	case SW_NR_sendfile: case SW_NR_fallocate: case SW_NR_ftruncate:
		return true;
	}
	return false;
}

/* Compat: where a task's syscall registers sit from the bottom of its kernel
 * stack, learnt from the frontend's first getppid at sys_enter (whose
 * argument points there); until then the top of a 16 KiB stack (x86-64
 * without KASAN). */
u64 regs_offset;

static __always_inline struct pt_regs *sw_current_regs(void)
{
#ifdef SW_COMPAT
	void *stack = BPF_CORE_READ(sw_current_task(), stack);

	return stack + (regs_offset ?: 4 * 4096 - sizeof(struct pt_regs));
#else
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
#endif
}

static __always_inline long current_syscall(void)
{
#ifdef SW_COMPAT
	return BPF_CORE_READ(sw_current_regs(), orig_ax);
#else
	return sw_current_regs()->orig_ax;
#endif
}

/* The op a write syscall is reported as. */
static __always_inline u32 syscall_op(long nr)
{
	switch (nr) {
	case SW_NR_write: return SW_OP_WRITE;
	case SW_NR_pwrite64: return SW_OP_PWRITE64;
	case SW_NR_writev: return SW_OP_WRITEV;
	case SW_NR_pwritev: return SW_OP_PWRITEV;
	case SW_NR_pwritev2: return SW_OP_PWRITEV2;
	case SW_NR_copy_file_range: return SW_OP_COPY_FILE_RANGE;
	case SW_NR_splice: return SW_OP_SPLICE;
	case SW_NR_sendfile: return SW_OP_SENDFILE;
	}
	return SW_OP_WRITE_ITER;
}

/* The range syscall nr (as op) writes to file, from its registers; checked
 * and reported. backup: a second hook checks it, no sys_enter run did. The
 * action taken, 0 when nothing is held there. */
static __always_inline u32 check_write_to(struct pt_regs *regs, long nr, u32 op,
					  struct file *file, u32 deny_how, bool backup)
{
	struct check_ctx *c;
	u32 flags = 0;
	s64 pos;
	u64 len, mapping;
	bool late = false;

	/* Only regular files and block devices have page-cache pages a pipe
	 * can hold: a splice into a pipe or /dev/null leaves batches pending. */
	if (pending_mask && may_be_held(file))
		index_pending();
	mapping = (u64)BPF_CORE_READ(file, f_mapping);
	if (!mapping_tracked(mapping))
		return 0;
	if (redundant)
		mark_checked(file, nr);
	if (backup)
		count(SW_CNT_BACKUP_CHECKS, 1);

	switch (op) {
	case SW_OP_WRITE:
		pos = file_pos(file, false);
		len = regs->dx;
		break;
	case SW_OP_PWRITE64:
		pos = regs->r10;
		len = regs->dx;
		break;
	case SW_OP_WRITEV:
		pos = file_pos(file, false);
		len = iov_total((void *)regs->si, regs->dx, &flags);
		break;
	case SW_OP_PWRITEV:
		pos = regs->r10;
		len = iov_total((void *)regs->si, regs->dx, &flags);
		break;
	case SW_OP_PWRITEV2:
		pos = regs->r10;
		if (pos == -1 || (regs->r9 & RWF_APPEND))
			pos = file_pos(file, regs->r9 & RWF_APPEND);
		len = iov_total((void *)regs->si, regs->dx, &flags);
		break;
	case SW_OP_COPY_FILE_RANGE:
		pos = user_off((loff_t *)regs->r10, file);
		len = regs->r8;
		break;
	case SW_OP_SPLICE:
		pos = user_off((loff_t *)regs->r10, file);
		len = regs->r8;
		break;
	case SW_OP_SENDFILE:
		pos = file_pos(file, false);
		len = regs->r10;
		break;
	case SW_OP_FALLOCATE: {
		long mode = regs->si;

		pos = regs->dx;
		len = regs->r10;
		if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE))
			len = LEN_TO_EOF;	/* every byte after pos moves */
		else if (!(mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)))
			return 0;		/* allocation keeps existing bytes */
		late = true;
		break;
	}
	case SW_OP_FTRUNCATE:
		pos = regs->si;
		len = LEN_TO_EOF;
		late = true;
		break;
	default:
		return 0;
	}
	if (pos < 0)
		return 0;
	c = find_overlap(mapping, pos, len, NULL);
	if (!c)
		return 0;
	return report(c, op, file, pos, len == LEN_TO_EOF ? 0 : len, flags, late, deny_how);
}

/* backup: the twin's check, of a write its first copy may have checked. */
static __always_inline int check_write(struct pt_regs *regs, long id, bool backup)
{
	struct file *file;
	u32 op;

	/* Our own output (a held -o file) would report itself forever. */
	if (bpf_get_current_pid_tgid() >> 32 == self_tgid)
		return 0;
	switch (id) {
	case SW_NR_fallocate:
		op = SW_OP_FALLOCATE;
		break;
	case SW_NR_ftruncate:
		op = SW_OP_FTRUNCATE;
		break;
	case SW_NR_truncate: {
		u32 tid = (u32)bpf_get_current_pid_tgid();
		s64 length = regs->si;

		bpf_map_update_elem(&pending_truncate, &tid, &length, BPF_ANY);
		return 0;
	}
	default:
		op = syscall_op(id);
		if (op == SW_OP_WRITE_ITER)
			return 0;
	}
	file = fd_to_file(id == SW_NR_copy_file_range || id == SW_NR_splice ? regs->dx : regs->di);
	if (!file || (backup && entry_checked(file, id)))
		return 0;
	check_write_to(regs, id, op, file, DENY_AT_LSM, backup);
	return 0;
}

/* Twins: with the tracepoint backend nothing but the syscall hooks sees a
 * write's range or a pipe gaining pages, and while one task's run of a
 * program is preempted the kernel skips that program for every other task on
 * the CPU. Each program keeps its own count, so a second copy of each hook
 * runs where the first was skipped. The first copy names its thread in this
 * CPU's gate; the twin works only when the gate names another: the first
 * copy was skipped, or ran for another task between this task's two runs
 * (then the write's mark keeps it to one report, and a pipe synced twice is
 * unchanged). */
#define GATE_ENTER	0
#define GATE_EXIT	1

struct twin_gate {
	u32 tid[2];	/* by GATE_*: the thread the first copy ran for */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct twin_gate);
} twin_gates SEC(".maps");

static __always_inline struct twin_gate *twin_gate(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&twin_gates, &zero);
}

/* The first copy's mark. It clears the thread's mark at the other hook, left
 * if that hook's twin was skipped, so it cannot stand for a later syscall. */
static __always_inline void first_runs(u32 hook)
{
	struct twin_gate *g = twin_gate();
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (!g)
		return;
	g->tid[hook & 1] = tid;
	if (g->tid[!hook] == tid)
		g->tid[!hook] = 0;
}

/* The twin's question: did the first copy run for this thread? Answered once.
 * Without the gate (never) the twin stays quiet. */
static __always_inline bool first_ran(u32 hook)
{
	struct twin_gate *g = twin_gate();

	if (!g)
		return true;
	if (g->tid[hook & 1] != (u32)bpf_get_current_pid_tgid())
		return false;
	g->tid[hook & 1] = 0;
	return true;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sw_sys_enter, struct pt_regs *regs, long id)
{
	/* Common case: no pipe holds any page: nothing can be unsafe. */
	if (!tracking()) {
		/* Start-up: the frontend calls getppid until the hooks see it. */
		if (id == SW_NR_getppid && !counters[SW_CNT_LIVE_ENTER] &&
		    bpf_get_current_pid_tgid() >> 32 == self_tgid) {
#ifdef SW_COMPAT
			u64 at, stack = (u64)BPF_CORE_READ(sw_current_task(), stack);

			/* The pointer as a number: no arithmetic on typed ones. */
			if (!bpf_probe_read_kernel(&at, sizeof(at), &ctx[0]) && at > stack)
				regs_offset = at - stack;
#endif
			counters[SW_CNT_LIVE_ENTER] = 1;
		}
		return 0;
	}
	if (test_drop & SW_DROP_ENTER)
		return 0;
	if (twins)
		first_runs(GATE_ENTER);
	return check_write(regs, id, false);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sw_sys_enter_twin, struct pt_regs *regs, long id)
{
	if (!tracking() || first_ran(GATE_ENTER))
		return 0;
	return check_write(regs, id, true);
}

/* ---- syscall exit: pipes gaining or losing buffers ---------------------- */

static __always_inline int sys_exit(struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;

	if (redundant && tracking() && checked_syscall(id))
		clear_mark();
	if (deny_mode) {
		u32 tid = (u32)bpf_get_current_pid_tgid();

		/* A refusal the syscall never reached must not outlive it. */
		if (bpf_map_lookup_elem(&deny_pending, &tid))
			bpf_map_delete_elem(&deny_pending, &tid);
	}

	switch (id) {
	case SW_NR_getppid:
		if (bpf_get_current_pid_tgid() >> 32 == self_tgid)
			counters[SW_CNT_LIVE_EXIT] = 1;
		return 0;
	case SW_NR_splice:		/* in: di, off_in: si, out: dx, off_out: r10 */
		if (ret <= 0)
			return 0;
		/* A splice that succeeded with an offset did not use a pipe on
		 * that side (-ESPIPE otherwise): no need to look at it. */
		if (!regs->r10)
			sync_fd(regs->dx);
		if (!regs->si && tracking())
			sync_fd(regs->di);
		return 0;
	case SW_NR_tee:			/* out: si */
	case SW_NR_sendfile:		/* out: di */
		if (ret <= 0)
			return 0;
		sync_fd(id == SW_NR_tee ? regs->si : regs->di);
		return 0;
	case SW_NR_vmsplice:
		if (ret > 0)
			sync_fd(regs->di);
		return 0;
	case SW_NR_read:
	case SW_NR_readv:
	case SW_NR_preadv2:
		if (ret > 0 && tracking())
			sync_fd(regs->di);
		return 0;
	case SW_NR_fcntl:
		if (regs->si == F_SETPIPE_SZ && ret > 0 && tracking())
			sync_fd(regs->di);
		return 0;
	case SW_NR_truncate: {
		u32 tid = (u32)bpf_get_current_pid_tgid();

		bpf_map_delete_elem(&pending_truncate, &tid);
		return 0;
	}
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sw_sys_exit, struct pt_regs *regs, long ret)
{
	if ((test_drop & SW_DROP_EXIT) && regs->orig_ax != SW_NR_getppid)
		return 0;
	if (twins)
		first_runs(GATE_EXIT);
	return sys_exit(regs, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sw_sys_exit_twin, struct pt_regs *regs, long ret)
{
	if (first_ran(GATE_EXIT))
		return 0;
	return sys_exit(regs, ret);
}

/* ---- truncate(path): checked where the kernel reaches the inode ---------- */

static __always_inline void check_truncate(u64 mapping, struct folio *folio)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct check_ctx *c;
	s64 *length, len;

	length = bpf_map_lookup_elem(&pending_truncate, &tid);
	if (!length)
		return;
	len = *length;
	index_pending();
	/* A whole folio leaving the page cache: only its pages count. */
	c = folio ? find_overlap(mapping, BPF_CORE_READ(folio, index) << SW_PAGE_SHIFT,
				 512 * SW_PAGE_SIZE, folio) :
		    find_overlap(mapping, len, LEN_TO_EOF, NULL);
	if (!c)
		return;
	bpf_map_delete_elem(&pending_truncate, &tid);	/* one report per call */
	report(c, SW_OP_TRUNCATE, NULL, len, 0, 0, true, DENY_NO);
}

SEC("tp_btf/mm_filemap_delete_from_page_cache")
int BPF_PROG(sw_page_cache_delete, struct folio *folio)
{
	if (!tracking())
		return 0;
	check_truncate((u64)BPF_CORE_READ(folio, mapping), folio);
	return 0;
}

/* The partial last page is zeroed in place, not deleted; setattr then dirties
 * the inode. */
SEC("tp_btf/writeback_mark_inode_dirty")
int BPF_PROG(sw_inode_dirty, struct inode *inode, int flags)
{
	if (!tracking())
		return 0;
	check_truncate((u64)BPF_CORE_READ(inode, i_mapping), NULL);
	return 0;
}

/* ---- stores through a shared mapping ------------------------------------ */

static __always_inline bool in_checked_syscall(void)
{
	return checked_syscall(current_syscall());
}

/* Fires on a folio's clean -> dirty transition, so only the first store to a
 * clean page is seen, and only where the filesystem dirties through it. */
SEC("tp_btf/" SW_DIRTY_TP)
int BPF_PROG(sw_dirty_folio, struct folio *folio, struct address_space *mapping)
{
	struct check_ctx *c;
	s64 pos;
	u64 m;

	/* Every folio a write dirties comes here: leave before anything else. */
	if (!tracking())
		return 0;
	/* Read, not the trusted argument: the verifier forbids arithmetic on that. */
	m = (u64)BPF_CORE_READ(folio, mapping);
	if (pending_mask && !in_checked_syscall())
		index_pending();
	if (!mapping_tracked(m) || in_checked_syscall())
		return 0;
	pos = folio->index << SW_PAGE_SHIFT;
	/* Pages of a folio are contiguous; 512 covers a PMD-sized folio. */
	c = find_overlap(m, pos, 512 * SW_PAGE_SIZE, folio);
	if (c)
		report(c, SW_OP_MMAP, NULL, c->index << SW_PAGE_SHIFT, SW_PAGE_SIZE,
		       SW_EVF_RANGE_PAGE, false, DENY_NO);
	return 0;
}

/* ---- fentry / kprobe backends: kernel functions ------------------------- */

/* A pipe is being freed (last close, owner exit): forget its holds now rather
 * than at the next GC pass. */
__noinline int forget_pipe(u64 pipe)
{
	struct sw_pipe_state *ps = bpf_map_lookup_elem(&pipes, &pipe);

	if (!ps)
		return 0;
	release_all(ps);
	drop_pending(ps, pipe);
	bpf_map_delete_elem(&pipes, &pipe);
	return 0;
}

SEC("fentry/free_pipe_info")
int sw_fentry_free_pipe(u64 *ctx)
{
	u64 pipe;

	if (!tracking())
		return 0;
	/* Read as a plain number: a global function takes no typed pointers. */
	bpf_probe_read_kernel(&pipe, sizeof(pipe), &ctx[0]);
	forget_pipe(pipe);
	return 0;
}

SEC("kprobe/free_pipe_info")
int BPF_KPROBE(sw_kprobe_free_pipe, struct pipe_inode_info *pipe)
{
	if (tracking())
		forget_pipe((u64)pipe);
	return 0;
}

/* Insertion points: the splice reads that put page-cache pages into a pipe,
 * whoever calls them (splice, sendfile, io_uring), learnt the moment they are
 * there rather than when a syscall returns. filemap_splice_read serves most
 * filesystems from 6.5 on, shmem_file_splice_read tmpfs; before 6.5 both went
 * through generic_file_splice_read. copy_page_to_iter_pipe, the innermost
 * point, is inlined in every kernel checked (features tells). The kprobe
 * backend keeps the pipe from entry to return per thread. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u64);
} splice_read_pipe SEC(".maps");

static __always_inline void splice_read_entry(u64 pipe)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&splice_read_pipe, &tid, &pipe, BPF_ANY);
}

static __always_inline void splice_read_return(long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 *pipe = bpf_map_lookup_elem(&splice_read_pipe, &tid);
	u64 p;

	if (!pipe)
		return;
	p = *pipe;
	bpf_map_delete_elem(&splice_read_pipe, &tid);
	if (ret > 0)
		sync_spliced_pipe(p);
}

/* fexit ctx: in, ppos, pipe, len, flags, return value. The pipe is read as a
 * plain number: a global function takes no typed pointers. */
#define SPLICE_READ_HOOKS(fn)							\
SEC("fexit/" #fn)								\
int sw_fexit_##fn(u64 *ctx)							\
{										\
	u64 pipe;								\
										\
	if ((long)ctx[5] > 0 &&							\
	    !bpf_probe_read_kernel(&pipe, sizeof(pipe), &ctx[2]))		\
		sync_spliced_pipe(pipe);					\
	return 0;								\
}										\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(sw_kprobe_##fn, struct file *in, loff_t *ppos,			\
	       struct pipe_inode_info *pipe)					\
{										\
	splice_read_entry((u64)pipe);						\
	return 0;								\
}										\
SEC("kretprobe/" #fn)								\
int BPF_KRETPROBE(sw_kretprobe_##fn, long ret)					\
{										\
	splice_read_return(ret);						\
	return 0;								\
}

SPLICE_READ_HOOKS(filemap_splice_read)
SPLICE_READ_HOOKS(shmem_file_splice_read)
SPLICE_READ_HOOKS(generic_file_splice_read)

/* Second sources for what sys_exit learns (redundant on): the syscalls that
 * fill pipes without a splice read. Each sync is idempotent, so the one the
 * syscall's exit makes afterwards costs a ring read and finds nothing new.
 * tee(2) (do_tee also serves io_uring tee); vmsplice(2); a pipe-to-pipe
 * splice (do_splice: only when both ends are pipes, the splice reads cover
 * file to pipe); F_SETPIPE_SZ, which renumbers the ring and hides the holds
 * until the pipe is synced again. The kprobe backend keeps what it needs from
 * entry to return per thread. */
struct ret_stash {
	u64 a;
	u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct ret_stash);
} ret_stash SEC(".maps");

static __always_inline void stash(u64 a, u64 b)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct ret_stash v = { .a = a, .b = b };

	bpf_map_update_elem(&ret_stash, &tid, &v, BPF_ANY);
}

static __always_inline bool unstash(struct ret_stash *v)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct ret_stash *p = bpf_map_lookup_elem(&ret_stash, &tid);

	if (!p)
		return false;
	*v = *p;
	bpf_map_delete_elem(&ret_stash, &tid);
	return true;
}

static __always_inline bool file_is_pipe(u64 file)
{
	return inode_pipe(BPF_CORE_READ((struct file *)file, f_inode)) != NULL;
}

/* Both ends pipes: the out pipe may have gained another's page-cache pages. */
__noinline int sync_pipe_to_pipe(u64 in, u64 out)
{
	if (in && file_is_pipe(in))
		sync_file(out);
	return 0;
}

/* vmsplice(fd, ...): the pt_regs of the syscall. */
__noinline int sync_vmsplice(u64 regs_addr)
{
	struct pt_regs *regs = (struct pt_regs *)regs_addr;
	long fd;

	if (bpf_probe_read_kernel(&fd, sizeof(fd), &regs->di))
		return 0;
	return sync_fd(fd);
}

/* fexit ctx: in, out, len, flags, return value. */
SEC("fexit/do_tee")
int sw_fexit_do_tee(u64 *ctx)
{
	u64 out;

	if ((long)ctx[4] > 0 && !bpf_probe_read_kernel(&out, sizeof(out), &ctx[1]))
		sync_file(out);
	return 0;
}

SEC("kprobe/do_tee")
int BPF_KPROBE(sw_kprobe_do_tee, struct file *in, struct file *out)
{
	stash((u64)out, 0);
	return 0;
}

SEC("kretprobe/do_tee")
int BPF_KRETPROBE(sw_kretprobe_do_tee, long ret)
{
	struct ret_stash v;

	if (unstash(&v) && ret > 0)
		sync_file(v.a);
	return 0;
}

/* fexit ctx: in, off_in, out, off_out, len, flags, return value. */
SEC("fexit/do_splice")
int sw_fexit_do_splice(u64 *ctx)
{
	u64 in, out;

	if ((long)ctx[6] > 0 && !bpf_probe_read_kernel(&in, sizeof(in), &ctx[0]) &&
	    !bpf_probe_read_kernel(&out, sizeof(out), &ctx[2]))
		sync_pipe_to_pipe(in, out);
	return 0;
}

SEC("kprobe/do_splice")
int BPF_KPROBE(sw_kprobe_do_splice, struct file *in, loff_t *off_in, struct file *out)
{
	if (file_is_pipe((u64)in) && file_is_pipe((u64)out))
		stash((u64)in, (u64)out);
	return 0;
}

SEC("kretprobe/do_splice")
int BPF_KRETPROBE(sw_kretprobe_do_splice, long ret)
{
	struct ret_stash v;

	if (unstash(&v) && ret > 0)
		sync_pipe_to_pipe(v.a, v.b);
	return 0;
}

/* fexit ctx: regs, return value. */
SEC("fexit/__x64_sys_vmsplice")
int sw_fexit_vmsplice(u64 *ctx)
{
	u64 regs;

	if ((long)ctx[1] > 0 && !bpf_probe_read_kernel(&regs, sizeof(regs), &ctx[0]))
		sync_vmsplice(regs);
	return 0;
}

SEC("kprobe/__x64_sys_vmsplice")
int BPF_KPROBE(sw_kprobe_vmsplice, struct pt_regs *regs)
{
	stash((u64)regs, 0);
	return 0;
}

SEC("kretprobe/__x64_sys_vmsplice")
int BPF_KRETPROBE(sw_kretprobe_vmsplice, long ret)
{
	struct ret_stash v;

	if (unstash(&v) && ret > 0)
		sync_vmsplice(v.a);
	return 0;
}

/* fexit ctx: file, cmd, arg, return value. */
SEC("fexit/pipe_fcntl")
int sw_fexit_pipe_fcntl(u64 *ctx)
{
	u64 file;

	if ((u32)ctx[1] == F_SETPIPE_SZ && (long)ctx[3] > 0 && tracking() &&
	    !bpf_probe_read_kernel(&file, sizeof(file), &ctx[0]))
		sync_file(file);
	return 0;
}

SEC("kprobe/pipe_fcntl")
int BPF_KPROBE(sw_kprobe_pipe_fcntl, struct file *file, unsigned int cmd)
{
	if (cmd == F_SETPIPE_SZ)
		stash((u64)file, 0);
	return 0;
}

/* One body on function entry, as fentry or as kprobe (the backend picks one;
 * the arguments are the kernel function's, in order). */
#define ENTRY_HOOKS(fn, name, call, ...)					\
SEC("fentry/" #fn)								\
int BPF_PROG(sw_fentry_##name, __VA_ARGS__)					\
{										\
	call;									\
	return 0;								\
}										\
SEC("kprobe/" #fn)								\
int BPF_KPROBE(sw_kprobe_##name, __VA_ARGS__)					\
{										\
	call;									\
	return 0;								\
}

/* truncate(path): its length, which sys_enter notes for the checks where the
 * kernel reaches the inode, noted here too. Only inside truncate(2): sys_exit
 * forgets it. */
static __always_inline void note_truncate(s64 length)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (current_syscall() == SW_NR_truncate)
		bpf_map_update_elem(&pending_truncate, &tid, &length, BPF_ANY);
}

ENTRY_HOOKS(vfs_truncate, vfs_truncate, note_truncate(length),
	    const struct path *path, loff_t length)

/* Compat: a copy of the registers of the syscall check_unchecked checks (no
 * trusted pointer to them before 5.15; 168 bytes the stack cannot spare),
 * per thread. The frontend sizes it to 1 entry otherwise. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct pt_regs);
} regs_scratch SEC(".maps");

#ifdef SW_COMPAT
static const struct pt_regs zero_regs = {};
#endif

/* A change syscall nr (as op) makes to file that its sys_enter run did not
 * check (redundant on: the kernel skipped it): checked here from the
 * syscall's registers, as sys_enter would have, and marked so no later hook
 * checks it again. */
static __always_inline u32 check_unchecked(struct file *file, long nr, u32 op, u32 deny_how)
{
#ifdef SW_COMPAT
	struct pt_regs *regs;
#endif

	if (!tracking() || entry_checked(file, nr) ||
	    bpf_get_current_pid_tgid() >> 32 == self_tgid)
		return 0;
#ifdef SW_COMPAT
	regs = thread_scratch(&regs_scratch, &zero_regs);
	if (!regs || bpf_probe_read_kernel(regs, sizeof(*regs), sw_current_regs()))
		return 0;
	return check_write_to(regs, nr, op, file, deny_how, true);
#else
	return check_write_to(sw_current_regs(), nr, op, file, deny_how, true);
#endif
}

/* fallocate and ftruncate: no write_iter call to back their sys_enter check
 * up. Both functions run before the LSM hook the syscall reaches next
 * (file_permission, file_truncate), so deny still refuses. Inside the
 * syscall only, as sys_enter would (neither changes the task's write count,
 * so sys_enter's mark of an earlier call is cleared at its sys_exit). */
static __always_inline void check_file_change(struct file *file, long nr, u32 op)
{
	if (current_syscall() == nr)
		check_unchecked(file, nr, op, DENY_AT_LSM);
}

ENTRY_HOOKS(vfs_fallocate, vfs_fallocate, check_file_change(file, SW_NR_fallocate, SW_OP_FALLOCATE),
	    struct file *file)
ENTRY_HOOKS(do_ftruncate, do_ftruncate, check_file_change(file, SW_NR_ftruncate, SW_OP_FTRUNCATE),
	    struct file *file)
/* Kernels without do_ftruncate (5.10, 6.1): the syscall's body, given the fd. */
ENTRY_HOOKS(do_sys_ftruncate, do_sys_ftruncate,
	    check_file_change(fd_to_file(fd), SW_NR_ftruncate, SW_OP_FTRUNCATE),
	    unsigned int fd)

SEC("kretprobe/pipe_fcntl")
int BPF_KRETPROBE(sw_kretprobe_pipe_fcntl, long ret)
{
	struct ret_stash v;

	if (unstash(&v) && ret > 0 && tracking())
		sync_file(v.a);
	return 0;
}

/* The buffered write paths every writer goes through, syscall or not: catches
 * io_uring, AIO and in-kernel writers (nfsd, ksmbd). Writes from the syscalls
 * checked at entry are skipped here so each write is reported once; with
 * redundant on, only those sys_enter really checked (its mark), and the others
 * are checked here and reported as their syscall. */
/* Redundant on: the op to check a buffered write to file as here, or 0 when
 * its syscall's sys_enter checked it. Global, so the caller goes on with one
 * unknown op rather than one verifier path per syscall. */
__noinline u32 write_iter_op(u64 file)
{
	long nr = current_syscall();
	u32 op = syscall_op(nr);

	if (op == SW_OP_WRITE_ITER)
		return op;
	/* Our own output, left alone at sys_enter too; or checked there. */
	if (bpf_get_current_pid_tgid() >> 32 == self_tgid ||
	    entry_checked((struct file *)file, nr))
		return 0;
	count(SW_CNT_BACKUP_CHECKS, 1);
	return op;
}

/* Reported here in sys_enter's stead: once per syscall, as sys_enter would (a
 * splice into a file writes in several calls). */
__noinline int mark_reported(u64 file)
{
	mark_checked((struct file *)file, current_syscall());
	return 0;
}

/* A buffered write of count bytes at pos of file. */
static __always_inline void check_buffered_write(struct file *file, s64 pos, u64 count)
{
	struct check_ctx *c;
	u32 op = SW_OP_WRITE_ITER;
	u64 mapping;

	if (!tracking())
		return;
	if (!redundant && in_checked_syscall())
		return;
	index_pending();
	mapping = (u64)BPF_CORE_READ(file, f_mapping);
	if (redundant) {
		if (!mapping_tracked(mapping))
			return;
		op = write_iter_op((u64)file);
		if (!op)
			return;
	}
	c = find_overlap(mapping, pos, count, NULL);
	if (!c)
		return;
	report(c, op, file, pos, count, 0, false, DENY_NO);
	if (redundant && op != SW_OP_WRITE_ITER)
		mark_reported((u64)file);
}

static __always_inline void check_write_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	check_buffered_write(BPF_CORE_READ(iocb, ki_filp), BPF_CORE_READ(iocb, ki_pos),
			     BPF_CORE_READ(iter, count));
}

#ifdef SW_COMPAT	/* (file, iter, pos) before 5.18 */
SEC("fentry/generic_perform_write")
int sw_fentry_perform_write(u64 *ctx)
{
	struct iov_iter *i;
	u64 file;

	/* The file as a plain number: the global functions it reaches take no
	 * typed pointers. */
	if (!bpf_probe_read_kernel(&file, sizeof(file), &ctx[0]) &&
	    !bpf_probe_read_kernel(&i, sizeof(i), &ctx[1]))
		check_buffered_write((struct file *)file, (s64)ctx[2], BPF_CORE_READ(i, count));
	return 0;
}

SEC("kprobe/generic_perform_write")
int BPF_KPROBE(sw_kprobe_perform_write, struct file *file, struct iov_iter *i, loff_t pos)
{
	check_buffered_write(file, pos, BPF_CORE_READ(i, count));
	return 0;
}
#else
ENTRY_HOOKS(generic_perform_write, perform_write, check_write_iter(iocb, iter),
	    struct kiocb *iocb, struct iov_iter *iter)
#endif
ENTRY_HOOKS(iomap_file_buffered_write, iomap_write, check_write_iter(iocb, iter),
	    struct kiocb *iocb, struct iov_iter *iter)

/* ---- enforce --action deny: BPF LSM ---------------------------------------- */

#define MAY_WRITE	2
#define EPERM		1

static __always_inline int refuse_pending(u64 file, u64 dentry)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct deny_entry *d = bpf_map_lookup_elem(&deny_pending, &tid);

	if (!d)
		return 0;
	if ((file && d->file == file) || (dentry && d->dentry == dentry)) {
		bpf_map_delete_elem(&deny_pending, &tid);
		return -EPERM;
	}
	return 0;
}

/* A write whose sys_enter run the kernel skipped (redundant on), checked here
 * from its syscall's registers: refused before its bytes land, as sys_enter's
 * check would have had it, rather than killed by the write_iter second source.
 * Its mark keeps write_iter (and a second permission check) off it. */
static __always_inline int refuse_unchecked_write(struct file *file)
{
	long nr = current_syscall();
	u32 op = syscall_op(nr);

	if (op != SW_OP_WRITE_ITER && check_unchecked(file, nr, op, DENY_NOW) == SW_ACT_DENIED)
		return -EPERM;
	return 0;
}

SEC("lsm/file_permission")
int BPF_PROG(sw_lsm_file_permission, struct file *file, int mask, int ret)
{
	int rc;

	if (ret)
		return ret;
	if (!(mask & MAY_WRITE))
		return 0;
	rc = refuse_pending((u64)file, 0);
	if (rc || !redundant)
		return rc;
	return refuse_unchecked_write(file);
}

/* ftruncate from 6.2 on. */
SEC("lsm/file_truncate")
int BPF_PROG(sw_lsm_file_truncate, struct file *file, int ret)
{
	if (ret)
		return ret;
	return refuse_pending((u64)file, 0);
}

/* truncate(path) everywhere, and ftruncate before 6.2: the inode is known
 * here, before a byte changes. */
SEC("lsm/path_truncate")
int BPF_PROG(sw_lsm_path_truncate, const struct path *path, int ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct check_ctx *c;
	struct dentry *dentry;
	s64 *length, len;
	u64 mapping;
	int rc;

	if (ret)
		return ret;
	dentry = BPF_CORE_READ(path, dentry);
	rc = refuse_pending(0, (u64)dentry);
	if (rc)
		return rc;
	if (!tracking())
		return 0;
	length = bpf_map_lookup_elem(&pending_truncate, &tid);
	if (!length)
		return 0;
	len = *length;
	index_pending();
	mapping = (u64)BPF_CORE_READ(dentry, d_inode, i_mapping);
	c = find_overlap(mapping, len, LEN_TO_EOF, NULL);
	if (!c)
		return 0;
	bpf_map_delete_elem(&pending_truncate, &tid);	/* reported here, once */
	if (report(c, SW_OP_TRUNCATE, NULL, len, 0, 0, true, DENY_NOW) == SW_ACT_DENIED)
		return -EPERM;
	return 0;
}

/* ---- io_uring: splice and tee requests fill pipes without a syscall ------- */

#define IORING_OP_SPLICE	30
#define IORING_OP_TEE		33

/* A splice or tee request's file is its output (sqe->fd). */
static __always_inline u64 uring_pipe_file(struct io_kiocb *req)
{
	u8 op = BPF_CORE_READ(req, opcode);

	if (op != IORING_OP_SPLICE && op != IORING_OP_TEE)
		return 0;
	return (u64)BPF_CORE_READ(req, file);
}

/* Before 5.17 the completion does not carry the request: the compat
 * programs learn a splice or tee request's file at its submission, by ring
 * and user_data (a resubmitted user_data replaces the entry; the LRU drops
 * those never completed). The frontend sizes it to 1 entry otherwise. */
struct uring_key {
	u64 ring;
	u64 user_data;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct uring_key);
	__type(value, u64);
} uring_files SEC(".maps");

/* user_data moved into req->cqe in 5.19. */
struct io_kiocb___user_data {
	u64 user_data;
} __attribute__((preserve_access_index));

/* 5.10's later updates, and on: ctx, req, opcode or user_data, ... */
SEC("tp_btf/io_uring_submit_sqe")
int sw_io_uring_submit(u64 *ctx)
{
	struct io_kiocb *req;
	struct uring_key key;
	u64 file;

	if (bpf_probe_read_kernel(&req, sizeof(req), &ctx[1]))
		return 0;
	file = uring_pipe_file(req);
	if (!file)
		return 0;
	key.ring = ctx[0];
	key.user_data = BPF_CORE_READ((struct io_kiocb___user_data *)req, user_data);
	bpf_map_update_elem(&uring_files, &key, &file, BPF_ANY);
	return 0;
}

/* Fires as each request's completion is posted, before the submitter can see
 * it. */
SEC("tp_btf/io_uring_complete")
int sw_io_uring_complete(u64 *ctx)
{
#ifndef SW_COMPAT
	/* Arguments differ between kernels but the request is always the second. */
	struct io_kiocb *req;

	if (!bpf_probe_read_kernel(&req, sizeof(req), &ctx[1]))
		sync_file(uring_pipe_file(req));
#else
	/* ctx, user_data, res, cflags */
	struct uring_key key = { .ring = ctx[0], .user_data = ctx[1] };
	u64 *file = bpf_map_lookup_elem(&uring_files, &key);

	if (file) {
		if ((int)ctx[2] > 0)
			sync_file(*file);
		bpf_map_delete_elem(&uring_files, &key);
	}
#endif
	return 0;
}

/* ---- process tree scope (ci) --------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sw_fork, struct task_struct *parent, struct task_struct *child)
{
	u32 ppid = parent->tgid, cpid = child->tgid;
	u8 one = 1;

	if (scope_enabled && bpf_map_lookup_elem(&scope_pids, &ppid))
		bpf_map_update_elem(&scope_pids, &cpid, &one, BPF_ANY);
	return 0;
}

/* ---- garbage collection, run by the frontend with BPF_PROG_TEST_RUN ------ */

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
		if (ps->gen == gen)
			bpf_map_delete_elem(&pipes, &pipe);
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
	int i;

	for (i = 0; i < SW_HOLDERS_PER_CHUNK; i++)
		if (ch->h[i].pipe && !holder_stale(&ch->h[i]))
			return 0;
	if (!bpf_map_delete_elem(map, key))
		count(SW_CNT_CHUNKS, -1);
	return 0;
}

static long sweep_mapping_cb(struct bpf_map *map, u64 *key, struct sw_mapping_state *ms,
			     void *data)
{
	if (!ms->nslots && !bpf_map_delete_elem(map, key)) {
		count(SW_CNT_MAPPING_TOMBS, -1);
		__sync_fetch_and_add(hint_of(*key), -1);
	}
	return 0;
}

#ifdef SW_COMPAT
/* No bpf_for_each_map_elem before 5.13: the frontend walks the maps and runs
 * this per entry, ctx = { SW_GC_*, key }. */
SEC("raw_tp")
int sw_gc(u64 *ctx)
{
	struct sw_chunk_key ck = { .mapping = ctx[1], .chunk = ctx[2] };
	struct sw_mapping_state *ms;
	struct sw_chunk *ch;
	u64 key = ctx[1];

	switch (ctx[0]) {
	case SW_GC_PIPE:
		gc_pipe(key);
		break;
	case SW_GC_CHUNK:
		ch = bpf_map_lookup_elem(&chunks, &ck);
		if (ch)
			sweep_chunk_cb((struct bpf_map *)&chunks, &ck, ch, NULL);
		break;
	case SW_GC_MAPPING:
		ms = bpf_map_lookup_elem(&mappings, &key);
		if (ms)
			sweep_mapping_cb((struct bpf_map *)&mappings, &key, ms, NULL);
		break;
	}
	return 0;
}
#else
SEC("raw_tp")
int sw_gc(void *ctx)
{
	bpf_for_each_map_elem(&pipes, gc_pipe_cb, NULL, 0);
	if (counters[SW_CNT_CHUNKS] > chunk_capacity / 2)
		bpf_for_each_map_elem(&chunks, sweep_chunk_cb, NULL, 0);
	if (counters[SW_CNT_MAPPING_TOMBS] > MAPPINGS_MAX / 2)
		bpf_for_each_map_elem(&mappings, sweep_mapping_cb, NULL, 0);
	return 0;
}
#endif
