/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A page's address in the kernel's linear map:
 *   linear_base + (page - map_base) / sizeof(struct page) * PAGE_SIZE,
 * with map_base the origin of the struct page array (vmemmap) and
 * linear_base the linear map's. The bases are the frontend's, checked on
 * nonce pages before anything reads through them (src/page_addr.c).
 */
#ifndef SW_PAGE_ADDR_BPF_H
#define SW_PAGE_ADDR_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "splicewatch.h"

/* 0 when page is not in [map_base, map_base + max_pfn pages): nothing is
 * read there, so a wrong base can only miss, never reach past the linear map. */
static __always_inline u64 page_linear_address(u64 page, u64 map_base, u64 linear_base,
					       u64 max_pfn)
{
	u64 size = bpf_core_type_size(struct page), idx;

	if (page < map_base || !size)
		return 0;
	idx = (page - map_base) / size;
	if (idx * size != page - map_base || idx >= max_pfn)
		return 0;
	return linear_base + (idx << SW_PAGE_SHIFT);
}

#endif
