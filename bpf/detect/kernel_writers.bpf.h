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
 */
#ifndef SW_DETECT_KERNEL_WRITERS_BPF_H
#define SW_DETECT_KERNEL_WRITERS_BPF_H

#include "report.bpf.h"

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

/* The bytes [offset, offset + len) of page, written in place by op: reported
 * if a pipe holds them (once per thread and hold). A global function: the
 * verifier walks it once, not once per scatterlist entry. */
__noinline int check_kernel_page_write(u64 page_addr, u32 offset, u32 len, u32 op)
{
	struct page *page = (struct page *)page_addr;
	struct folio *folio = page_folio_of(page);
	u64 mapping = folio_file_mapping(folio);
	struct kernel_write_seen seen = {}, *last;
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct check_ctx *c;
	s64 pos;

	if (!mapping || !len || !mapping_tracked(mapping))
		return 0;
	pos = ((s64)(BPF_CORE_READ(folio, index) + page_offset_in_folio(page, folio)) << SW_PAGE_SHIFT) +
	      offset;
	c = find_overlap(mapping, pos, len, folio);
	if (!c)
		return 0;
	seen.mapping = mapping;
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
	report(c, &(struct write_desc){ .op = op, .pos = pos, .len = len,
					.flags = in_softirq_now() ? SW_EVF_IN_SOFTIRQ : 0,
					.deny_how = DENY_NO, .late = true });
	return 0;
}

/* The pages a crypto request writes: its destination scatterlist (the
 * source when there is none: in place). A global function, verified once
 * for the four hooks. */
__noinline int check_crypto_dst(u64 list, u32 op)
{
	struct scatterlist *sg = (struct scatterlist *)list;
	unsigned long link;

	/* Holds a splice made but nothing looked for yet (lazy.bpf.h). */
	if (pending_mask)
		index_pending();
	for (int i = 0; i < SG_ENTRIES_MAX && sg; i++) {
		link = BPF_CORE_READ(sg, page_link);
		if (link & SG_CHAIN) {
			sg = (struct scatterlist *)(link & ~SG_PAGE_LINK_MASK);
			continue;
		}
		check_kernel_page_write(link & ~SG_PAGE_LINK_MASK, BPF_CORE_READ(sg, offset),
					BPF_CORE_READ(sg, length), op);
		if (link & SG_END)
			break;
		sg = (struct scatterlist *)((u64)sg + bpf_core_type_size(struct scatterlist));
	}
	return 0;
}

/* An AEAD or skcipher request (req: aead_request___sw or
 * skcipher_request___sw: their src and dst sit at different offsets, which
 * CO-RE relocates per type). Every request comes here: leave before
 * anything else. */
#define check_crypto_request(req, op)							\
	({										\
		if (tracking())								\
			check_crypto_dst((u64)(BPF_CORE_READ(req, dst) ?: BPF_CORE_READ(req, src)), \
					 op);						\
	})

#endif /* SW_DETECT_KERNEL_WRITERS_BPF_H */
