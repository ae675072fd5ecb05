/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's own in-place writers, named as they write: a crypto request
 * whose destination scatterlist holds a page a pipe holds (2026's Copy Fail
 * wrote so into spliced page-cache pages through AF_ALG; ESP decrypts skb
 * frags in place by AEAD, RxRPC's rxkad by skcipher). The request is checked
 * at the entry of crypto_aead_encrypt/decrypt and
 * crypto_skcipher_encrypt/decrypt (fentry and kprobe backends), before a
 * byte is written, and reported as an unsafe write whose op names the
 * function.
 * Its bytes land whatever is done to the task (killed_late); in a softirq
 * the task that runs is not the one that asked, and is not acted on.
 * Pages a pipe handed on to a socket, which keeps them after the pipe's
 * hold ends, are matched too (note_handoff); so is, with no hold known, an
 * up-to-date page of a named file nobody has open for writing
 * (unheld_overlap).
 */
#ifndef SW_DETECT_KERNEL_WRITERS_BPF_H
#define SW_DETECT_KERNEL_WRITERS_BPF_H

#include "../lib/backup_gate.bpf.h"
#include "report.bpf.h"
#include "trust.bpf.h"

/* scatterlist page_link's low bits (include/linux/scatterlist.h) */
#define SG_CHAIN	0x01UL
#define SG_END		0x02UL
#define SG_PAGE_LINK_MASK (SG_CHAIN | SG_END)

/* Destination entries looked at per request (chain links included): a
 * pipe's default ring is 16 pages. Entries past these are not checked. */
#define SG_ENTRIES_MAX	16

/* Whether this CPU runs a softirq now (softirq_entry/exit, loaded by
 * enforce only: they run on every softirq): a count, not a flag, so a
 * missed exit errs toward acting on nobody. */
SW_MAP(softirq_depth, BPF_MAP_TYPE_PERCPU_ARRAY, 1, u32, u32);

static __always_inline u32 *softirq_depth_here(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&softirq_depth, &zero);
}

static __always_inline bool in_softirq_now(void)
{
	u32 *d = softirq_depth_here();

	return d && *d;
}

/* The hold a thread's last kernel-writer report was of (its file, pipe,
 * range and when the pages went in). Crypto requests nest (gcm runs its ctr
 * skcipher, rfc4106 its gcm, authenc its cipher, all on the same pages):
 * the requests a reported one makes are that write, and one record. So is
 * the thread changing the same hold again; a new splice is a new hold. */
struct kernel_write_seen {
	u64 mapping;
	u64 pipe_ino;
	u64 hold_ts_ns;
	s64 held_offset;
	u32 held_len;
};

SW_MAP(kernel_writes_seen, BPF_MAP_TYPE_LRU_HASH, 4096, u32, struct kernel_write_seen);

/* Pages a pipe handed on to a socket (splice_to_socket; before 6.5
 * generic_splice_sendpage, which sendfile to a socket takes too). The
 * socket's consumer keeps them after the pipe lets them go, where the hold
 * index no longer finds them: AF_ALG's requests (Copy Fail), ESP's and
 * RxRPC's in-place decryption of skb frags (Dirty Frag) write there. Per
 * folio: which bytes of which file it was, and the hand-off as a hold of its
 * own (the task that made it is the splicer, the pipe's owner the pipe's).
 * The last HANDED_OFF_MAX folios handed on are remembered; older ones are
 * not checked. */
#define HANDED_OFF_MAX	4096

struct handed_off_folio {
	u64 mapping;
	u64 index;		/* the folio's, to tell it still is that page of the file */
	s64 lo;			/* the file's bytes [lo, hi) the pipe's buffers had of it */
	s64 hi;
	u64 pipe_ino;		/* 0: sendfile's internal pipe */
	u64 ts_ns;		/* the hand-off */
	u64 cgroup_id;
	u32 pid;
	u32 uid;
	u32 pipe_uid;
	u32 hold_flags;
	char comm[SW_TASK_COMM_LEN];
};

SW_MAP(handed_off, BPF_MAP_TYPE_LRU_HASH, HANDED_OFF_MAX, u64, struct handed_off_folio);

/* Set at the first folio handed on: until then a crypto request where no
 * pipe holds anything is not looked at. A flag, not a count: it is written
 * once, not at every hand-off on every CPU. */
u32 handed_off_seen;

/* Is a folio whose flags word is folio_flags up to date (PG_uptodate)? A
 * folio's flags are its head page's first word on every kernel: an unsigned
 * long, wrapped in memdesc_flags_t from 6.18 on (which types CO-RE will not
 * match across). */
static __always_inline bool flags_uptodate(u64 folio_flags)
{
	return folio_flags & (1ULL << bpf_core_enum_value(enum pageflags, PG_uptodate));
}

static __always_inline bool folio_uptodate(struct folio *folio)
{
	u64 folio_flags = 0;

	bpf_probe_read_kernel(&folio_flags, sizeof(folio_flags), folio);
	return flags_uptodate(folio_flags);
}

/* A kernel write of [pos, pos + len) into folio (up to date, that page of
 * the file at index), which no pipe holds: 1 and the thread's check context
 * filled from its hand-off to a socket, or 0. The folio must still be the
 * page handed on. A global function: its stack is not on the deepest call
 * chain of the check (5.10's compat programs have none to spare there). */
__noinline int handed_off_overlap(u64 folio_addr, u64 mapping, u64 index, s64 pos, u32 len)
{
	u64 key = folio_addr;
	struct handed_off_folio *h = bpf_map_lookup_elem(&handed_off, &key);
	u32 uid = (u32)bpf_get_current_uid_gid();
	struct check_ctx *c;

	if (!h || h->mapping != mapping || h->index != index || pos + len <= h->lo || pos >= h->hi)
		return 0;
	c = check_ctx_new(mapping, uid);
	if (!c)
		return 0;
	c->trusted = holder_trusted(h->uid, h->hold_flags, h->pipe_uid, uid);
	c->splicer_pid = h->pid;
	c->splicer_uid = h->uid;
	c->pipe_uid = h->pipe_uid;
	c->hold_ts_ns = h->ts_ns;
	c->splicer_cgroup_id = h->cgroup_id;
	c->pipe_ino = h->pipe_ino;
	__builtin_memcpy(c->splicer_comm, h->comm, sizeof(c->splicer_comm));
	c->held_offset = h->lo;
	c->held_len = h->hi - h->lo;
	c->found = 1;
	return 1;
}

/* A kernel write at pos into an up-to-date folio, of which no pipe's hold or
 * hand-off is known (made before the programs were loaded, or pushed out of
 * handed_off): 1 and the thread's check context filled with no holder, or 0.
 * Only an up-to-date folio of a file that has a name and that nobody has
 * open for writing: no kernel path encrypts or decrypts in place into such a
 * folio (encryption goes to bounce pages, in-place decryption only into
 * folios still being read, ESP copies shared frags), and a read into a
 * shared mapping of a file (kTLS, dm-crypt under O_DIRECT) needs it open for
 * writing; memfds and shared memory have no name. No holder, nothing
 * trusted: never acted on. A global function, for the stack as above. */
__noinline int unheld_overlap(u64 mapping, s64 pos)
{
	struct inode *host;
	struct check_ctx *c;

	/* The legitimate writers all have the file open for writing: that
	 * count first. */
	host = BPF_CORE_READ((struct address_space *)mapping, host);
	if (BPF_CORE_READ(host, i_writecount.counter) > 0 || !BPF_CORE_READ(host, i_nlink))
		return 0;
	c = check_ctx_new(mapping, (u32)bpf_get_current_uid_gid());
	if (!c)
		return 0;
	/* The written page stands for the hold in first_write_to_hold. */
	c->held_offset = pos & ~(s64)(SW_PAGE_SIZE - 1);
	c->held_len = SW_PAGE_SIZE;
	c->found = 1;
	return 1;
}

/* Is the write the check context describes the thread's first to that hold?
 * Crypto requests nest: the requests a reported one makes are that write. A
 * global function, for the stack as above. */
__noinline int first_write_to_hold(void)
{
	struct check_ctx *c = scratch_of(&check_scratch, false);
	struct kernel_write_seen seen = {}, *last;
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (!c)
		return 0;
	seen.mapping = c->mapping;
	seen.pipe_ino = c->pipe_ino;
	seen.hold_ts_ns = c->hold_ts_ns;
	seen.held_offset = c->held_offset;
	seen.held_len = c->held_len;
	last = bpf_map_lookup_elem(&kernel_writes_seen, &tid);
	if (last && last->mapping == seen.mapping && last->pipe_ino == seen.pipe_ino &&
	    last->hold_ts_ns == seen.hold_ts_ns && last->held_offset == seen.held_offset &&
	    last->held_len == seen.held_len)
		return 0;
	bpf_map_update_elem(&kernel_writes_seen, &tid, &seen, BPF_ANY);
	return 1;
}

/* Sets m to page's folio, mapping and index, and returns whether the folio
 * is up to date. The page's first words come in one probe read, two for a
 * tail page: every crypto request on the system gets here. Not inlined: the
 * window is on this function's stack, off the check's deepest call chain. */
static __noinline bool read_page_words(struct page *page, struct folio_memo *m)
{
	struct page_window pw;

	if (folio_memo_window(m, &pw, page))
		return flags_uptodate(window_word(&pw, 0));
	folio_memo_fields(m, page);
	return m->mapping && folio_uptodate(m->folio);
}

/* Does old record the same hand-off as rec but for its time: the same task,
 * pipe and bytes (a server sending the same file again)? Then only the time
 * is refreshed, one aligned store, rather than an update of the LRU map. */
static __always_inline bool same_handoff(const struct handed_off_folio *old,
					 const struct handed_off_folio *rec)
{
	const u64 *a = (const u64 *)old->comm, *b = (const u64 *)rec->comm;

	return old->lo == rec->lo && old->hi == rec->hi && old->pid == rec->pid &&
	       old->uid == rec->uid && old->pipe_ino == rec->pipe_ino &&
	       old->cgroup_id == rec->cgroup_id && old->pipe_uid == rec->pipe_uid &&
	       old->hold_flags == rec->hold_flags && a[0] == b[0] && a[1] == b[1];
}

/* A pipe hands its buffers on to a socket (at the splice's entry, before
 * they leave): the page-cache ones among the first SG_ENTRIES_MAX are
 * remembered. Per buffer: its pipe_buffer and its page's first words, one
 * probe read each (two for a tail page), a lookup, and an update only where
 * the record changes. A global function: verified once for the hooks that
 * call it. */
__noinline int note_handoff(u64 pipe_addr)
{
	struct pipe_inode_info *pipe = (struct pipe_inode_info *)pipe_addr;
	struct handed_off_folio rec = {}, *old;
	struct folio_memo m = {};
	struct sw_pipe_state *ps;
	struct pipe_buffer buf;
	struct pipe_ring ring;
	u64 key;
	u32 n;

	if (!pipe || read_ring_once(pipe, &ring))
		return 0;
	n = ring.head - ring.tail;
	if (n > SG_ENTRIES_MAX)
		n = SG_ENTRIES_MAX;
	ps = bpf_map_lookup_elem(&pipes, &pipe_addr);
	rec.pipe_ino = ps ? ps->ino : 0;
	rec.ts_ns = bpf_ktime_get_ns();
	rec.cgroup_id = bpf_get_current_cgroup_id();
	rec.pid = bpf_get_current_pid_tgid() >> 32;
	rec.uid = (u32)bpf_get_current_uid_gid();
	rec.pipe_uid = BPF_CORE_READ(pipe, user, uid.val);
	rec.hold_flags = current_hold_flags(rec.uid);
	bpf_get_current_comm(rec.comm, sizeof(rec.comm));
	for (u32 i = 0; i < SG_ENTRIES_MAX; i++) {
		if (i >= n)
			break;
		if (read_buf(&ring, ring.tail + i, &buf) || !buf.page || !buf.len)
			continue;
		read_page_words(buf.page, &m);
		if (!m.mapping)
			continue;	/* not a page-cache page */
		key = (u64)m.folio;
		rec.mapping = m.mapping;
		rec.index = m.index;
		rec.lo = ((s64)(m.index + page_offset_in_folio(buf.page, m.folio)) << SW_PAGE_SHIFT) +
			 buf.offset;
		rec.hi = rec.lo + buf.len;
		old = bpf_map_lookup_elem(&handed_off, &key);
		if (old && old->mapping == rec.mapping && old->index == rec.index) {
			/* Another buffer of the same folio, in this hand-off: one range. */
			if (old->ts_ns == rec.ts_ns) {
				if (old->lo < rec.lo)
					rec.lo = old->lo;
				if (old->hi > rec.hi)
					rec.hi = old->hi;
			} else if (same_handoff(old, &rec)) {
				old->ts_ns = rec.ts_ns;
				continue;
			}
		}
		bpf_map_update_elem(&handed_off, &key, &rec, BPF_ANY);
		if (!handed_off_seen)
			handed_off_seen = 1;
	}
	return 0;
}

/* The bytes [offset, offset + len) of page, written in place by op: reported
 * if a pipe holds them or handed them on, or, no hold known, if nothing else
 * may write them (once per thread and hold). Only an up-to-date folio counts
 * where no hold is known: fscrypt and dm-crypt decrypt in place only folios
 * still being read, the commonest file pages a request meets. A global
 * function: the verifier walks it once, not once per scatterlist entry. */
__noinline int check_kernel_page_write(u64 page_addr, u32 offset, u32 len, u32 op)
{
	struct page *page = (struct page *)page_addr;
	struct folio_memo m = {};
	struct check_ctx *c = NULL;
	bool uptodate;
	u32 flags = 0;
	s64 pos;

	if (!len)
		return 0;
	uptodate = read_page_words(page, &m);
	if (!m.mapping)
		return 0;
	pos = ((s64)(m.index + page_offset_in_folio(page, m.folio)) << SW_PAGE_SHIFT) + offset;
	if (mapping_tracked(m.mapping))
		c = find_overlap(m.mapping, pos, len, m.folio);
	if (!c && uptodate && handed_off_seen &&
	    handed_off_overlap((u64)m.folio, m.mapping, m.index, pos, len)) {
		c = scratch_of(&check_scratch, false);
		flags = SW_EVF_HANDED_OFF;
	}
	if (!c && uptodate && unheld_overlap(m.mapping, pos)) {
		c = scratch_of(&check_scratch, false);
		flags = SW_EVF_HOLD_UNKNOWN;
	}
	if (!c || !first_write_to_hold())
		return 0;
	if (in_softirq_now())
		flags |= SW_EVF_IN_SOFTIRQ;
	report(c, &(struct write_desc){ .op = op, .pos = pos, .len = len,
					.flags = flags,
					.deny_how = DENY_NO, .late = true });
	return 0;
}

/* A scatterlist entry's first words: page_link, offset and length lead the
 * struct on every kernel, read in one probe read (field by field where CO-RE
 * says otherwise). */
struct sg_entry {
	unsigned long page_link;
	unsigned int offset;
	unsigned int length;
};

static __always_inline int read_sg_entry(struct scatterlist *sg, struct sg_entry *e)
{
	if (bpf_core_field_offset(struct scatterlist, page_link) == offsetof(struct sg_entry, page_link) &&
	    bpf_core_field_offset(struct scatterlist, offset) == offsetof(struct sg_entry, offset) &&
	    bpf_core_field_offset(struct scatterlist, length) == offsetof(struct sg_entry, length))
		return bpf_probe_read_kernel(e, sizeof(*e), sg);
	e->page_link = BPF_CORE_READ(sg, page_link);
	e->offset = BPF_CORE_READ(sg, offset);
	e->length = BPF_CORE_READ(sg, length);
	return 0;
}

/* The pages a crypto request writes: its destination scatterlist (the
 * source when there is none: in place). A global function, verified once
 * for the four hooks. */
__noinline int check_crypto_dst(u64 list, u32 op)
{
	struct scatterlist *sg = (struct scatterlist *)list;
	struct sg_entry e;

	/* Holds a splice made but nothing looked for yet (lazy.bpf.h). */
	if (pending_mask)
		index_pending();
	for (int i = 0; i < SG_ENTRIES_MAX && sg; i++) {
		if (read_sg_entry(sg, &e))
			break;
		if (e.page_link & SG_CHAIN) {
			sg = (struct scatterlist *)(e.page_link & ~SG_PAGE_LINK_MASK);
			continue;
		}
		check_kernel_page_write(e.page_link & ~SG_PAGE_LINK_MASK, e.offset, e.length, op);
		if (e.page_link & SG_END)
			break;
		sg = (struct scatterlist *)((u64)sg + bpf_core_type_size(struct scatterlist));
	}
	return 0;
}

/* An AEAD or skcipher request (req: aead_request___sw or
 * skcipher_request___sw: their src and dst sit at different offsets, which
 * CO-RE relocates per type). Every request is looked at, held pages or not
 * (unheld_overlap): a page of no file (dm-crypt's and kTLS's buffers, skbs)
 * stops at its mapping. */
#define check_crypto_request(req, op)							\
	check_crypto_dst((u64)(BPF_CORE_READ(req, dst) ?: BPF_CORE_READ(req, src)), op)

#endif /* SW_DETECT_KERNEL_WRITERS_BPF_H */
