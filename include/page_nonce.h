/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The nonce pages that check a held page's address, shared by the BPF
 * programs that find it (bpf/page_addr.bpf.c) and the frontend that checks it
 * (src/page_addr.c): the nonce pages and the digest both compute.
 */
#ifndef SW_PAGE_NONCE_H
#define SW_PAGE_NONCE_H

/* Pages the frontend vmsplices: every way must find each one's nonce. */
#define SW_NONCE_PAGES		2
/* Random bytes at the start of each nonce page, compared by digest. */
#define SW_NONCE_BYTES		64
#define SW_NONCE_WORDS		(SW_NONCE_BYTES / 8)

/* A keyed mix of SW_NONCE_WORDS words: the nonce's bytes are compared
 * without a copy of them anywhere but their own page, where a wrong address
 * could find that copy instead. */
static inline unsigned long long sw_nonce_digest(const unsigned long long *w,
						 unsigned long long key)
{
	unsigned long long h = key;

	for (int i = 0; i < SW_NONCE_WORDS; i++) {
		h ^= w[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

#endif
