/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's own in-place writers, named as they write: a crypto request
 * whose destination scatterlist holds a page a pipe holds (2026's Copy Fail
 * wrote so into spliced page-cache pages through AF_ALG; ESP and RxRPC
 * decrypt skb frags in place). The request is checked at crypto_aead_encrypt
 * and crypto_aead_decrypt's entry (fentry and kprobe backends), before a byte
 * is written, and reported as an unsafe write whose op names the function.
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

/* Destination entries looked at per request: an in-place request on a
 * spliced range has one per page (AF_ALG's limit is 16 a socket). */
#define SG_ENTRIES_MAX	16

/* Whether this CPU runs a softirq now (softirq_entry/exit): a count, not a
 * flag, so a missed exit errs toward acting on nobody. */
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

/* The bytes [offset, offset + len) of page, written in place by op: reported
 * if a pipe holds them. */
static __always_inline void check_kernel_page_write(struct page *page, u32 offset, u32 len, u32 op)
{
	struct folio *folio = page_folio_of(page);
	u64 mapping = folio_file_mapping(folio);
	struct check_ctx *c;
	s64 pos;

	if (!mapping || !len || !mapping_tracked(mapping))
		return;
	pos = ((s64)(BPF_CORE_READ(folio, index) + page_offset_in_folio(page, folio)) << SW_PAGE_SHIFT) +
	      offset;
	c = find_overlap(mapping, pos, len, folio);
	if (c)
		report(c, &(struct write_desc){ .op = op, .pos = pos, .len = len,
						.flags = in_softirq_now() ? SW_EVF_IN_SOFTIRQ : 0,
						.deny_how = DENY_NO, .late = true });
}

/* The destination of an AEAD request (src when dst is not set: in place). */
static __always_inline void check_aead_request(struct aead_request___sw *req, u32 op)
{
	struct scatterlist *sg;
	unsigned long link;

	/* Every request comes here: leave before anything else. */
	if (!tracking())
		return;
	sg = BPF_CORE_READ(req, dst);
	if (!sg)
		sg = BPF_CORE_READ(req, src);
	for (int i = 0; i < SG_ENTRIES_MAX && sg; i++) {
		link = BPF_CORE_READ(sg, page_link);
		if (link & SG_CHAIN) {
			sg = (struct scatterlist *)(link & ~SG_PAGE_LINK_MASK);
			continue;
		}
		check_kernel_page_write((struct page *)(link & ~SG_PAGE_LINK_MASK),
					BPF_CORE_READ(sg, offset), BPF_CORE_READ(sg, length), op);
		if (link & SG_END)
			break;
		sg = (struct scatterlist *)((u64)sg + bpf_core_type_size(struct scatterlist));
	}
}

#endif /* SW_DETECT_KERNEL_WRITERS_BPF_H */
