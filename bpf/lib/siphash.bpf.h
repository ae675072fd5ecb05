/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SipHash-2-4 of kernel bytes (a held page's, read at its linear-map
 * address): the content checks' fingerprint. Words are read with
 * bpf_probe_read_kernel onto the running program's own stack, never into a
 * shared buffer: the syscall tracepoints are preemptible on 6.14+, and a
 * buffer another run could overwrite mid-hash would give false changes.
 */
#ifndef SW_LIB_SIPHASH_BPF_H
#define SW_LIB_SIPHASH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "splicewatch.h"

struct sip {
	u64 v0, v1, v2, v3;
	u64 at;
	int err;
};

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

static __always_inline void sipround(struct sip *s)
{
	s->v0 += s->v1; s->v1 = ROTL(s->v1, 13); s->v1 ^= s->v0; s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3; s->v3 = ROTL(s->v3, 16); s->v3 ^= s->v2;
	s->v0 += s->v3; s->v3 = ROTL(s->v3, 21); s->v3 ^= s->v0;
	s->v2 += s->v1; s->v1 = ROTL(s->v1, 17); s->v1 ^= s->v2; s->v2 = ROTL(s->v2, 32);
}

static __always_inline void sip_absorb(struct sip *s, u64 m)
{
	s->v3 ^= m;
	sipround(s);
	sipround(s);
	s->v0 ^= m;
}

/* One block of SIP_BLOCK bytes, read onto this run's own stack: no buffer
 * another run could overwrite (one read, not one per word). */
#define SIP_BLOCK	64

static long sip_block(u64 i, void *data)
{
	struct sip *s = data;
	u64 m[SIP_BLOCK / 8];

	if (bpf_probe_read_kernel(m, sizeof(m), (void *)(s->at + i * SIP_BLOCK))) {
		s->err = 1;
		return 1;
	}
	for (int w = 0; w < SIP_BLOCK / 8; w++)
		sip_absorb(s, m[w]);
	return 0;
}

static long sip_word(u64 i, void *data)
{
	struct sip *s = data;
	u64 m;

	if (bpf_probe_read_kernel(&m, sizeof(m), (void *)(s->at + i * 8))) {
		s->err = 1;
		return 1;
	}
	sip_absorb(s, m);
	return 0;
}

/* The SipHash-2-4 under key (key0, key1) of len bytes (at most a page) at
 * kernel address at; -1 if a read faulted. */
static __noinline int siphash_kernel_bytes(u64 key0, u64 key1, u64 at, u32 len, u64 *out)
{
	struct sip s = {
		.v0 = key0 ^ 0x736f6d6570736575ULL, .v1 = key1 ^ 0x646f72616e646f6dULL,
		.v2 = key0 ^ 0x6c7967656e657261ULL, .v3 = key1 ^ 0x7465646279746573ULL,
		.at = at,
	};
	u32 blocks, words, rem;
	u64 tail = 0;

	if (len > SW_PAGE_SIZE)
		return -1;
	blocks = len / SIP_BLOCK;
	words = len % SIP_BLOCK / 8;
	rem = len % 8;
	bpf_loop(blocks, sip_block, &s, 0);
	s.at = at + blocks * SIP_BLOCK;
	if (!s.err)
		bpf_loop(words, sip_word, &s, 0);
	if (s.err)
		return -1;
	if (rem && bpf_probe_read_kernel(&tail, rem, (void *)(s.at + words * 8)))
		return -1;
	sip_absorb(&s, tail | (u64)len << 56);
	s.v2 ^= 0xff;
	sipround(&s);
	sipround(&s);
	sipround(&s);
	sipround(&s);
	*out = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
	return 0;
}

#endif /* SW_LIB_SIPHASH_BPF_H */
