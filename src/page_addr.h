/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SW_SRC_PAGE_ADDR_H
#define SW_SRC_PAGE_ADDR_H

#include <stdbool.h>
#include <stdint.h>

/* How the address of a held page's bytes is known (features: page address). */
enum sw_page_way {
	SW_PAGE_WAY_NONE,	/* no way passed the nonce check */
	SW_PAGE_WAY_KSYM,	/* page_offset_base and vmemmap_base (x86-64 kallsyms) */
	SW_PAGE_WAY_CONSTANTS,	/* the layout constants of the architecture (arm64) */
	SW_PAGE_WAY_LEARNT,	/* from a nonce page's PFN and struct page, and its pipe */
	SW_PAGE_WAY__COUNT
};

struct sw_page_addr {
	enum sw_page_way way;
	uint64_t map_base;	/* the struct page array's origin */
	uint64_t linear_base;	/* the linear map's */
	uint64_t max_pfn;	/* no page at or past this index is read */
	uint32_t page_struct_size;
	char detail[160];	/* which layout, or why no way passed */
};

const char *sw_page_way_name(enum sw_page_way way);
/* Finds the bases and checks them on nonce pages. SPLICEWATCH_PAGE_ADDR=WAY
 * tries that way only. Returns 0 with pa->way set (NONE: pa->detail says
 * why), or -1 when the checks cannot run at all (pa->detail says why). */
int sw_page_addr_find(struct sw_page_addr *pa);

#endif
