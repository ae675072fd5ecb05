/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The unsafe writes whose bytes land, by file: what explains a change the
 * content checks find (enforce --verify decides in BPF whether to act on the
 * reader). The detection programs note a write when they report it, at its
 * syscall's entry, before its bytes land: before any check can see them.
 * The verify object shares the detection's map (bpf_map__reuse_fd).
 *
 * One entry per file (its address_space), the span of every write noted
 * since and the time of the last: a change in that span after its bytes
 * were fingerprinted counts as explained. The span only grows, so a check
 * may take a change as explained that another writer made there; never
 * the other way round.
 */
#ifndef SW_LANDED_WRITES_BPF_H
#define SW_LANDED_WRITES_BPF_H

#include "maps.bpf.h"

struct landed_write {
	u64 last_ns;		/* CLOCK_MONOTONIC of the last write noted */
	s64 lo;			/* the span: file bytes [lo, hi) */
	s64 hi;
};

SW_MAP(landed_writes, BPF_MAP_TYPE_LRU_HASH, 16384, u64, struct landed_write);

#define SW_LANDED_TO_EOF	0x7fffffffffffffffLL

/* A write of len bytes at pos of the file of mapping (len 0: to the end). */
static __noinline __attribute__((unused)) void landed_note(u64 mapping, s64 pos, u64 len)
{
	struct landed_write *w, n;
	s64 end = SW_LANDED_TO_EOF;

	if (!mapping)
		return;
	if (len && pos >= 0 && len < (u64)(SW_LANDED_TO_EOF - pos))
		end = pos + (s64)len;
	w = bpf_map_lookup_elem(&landed_writes, &mapping);
	if (w) {
		if (pos < w->lo)
			w->lo = pos;
		if (end > w->hi)
			w->hi = end;
		w->last_ns = bpf_ktime_get_ns();
		return;
	}
	n.last_ns = bpf_ktime_get_ns();
	n.lo = pos;
	n.hi = end;
	bpf_map_update_elem(&landed_writes, &mapping, &n, BPF_ANY);
}

/* Did a noted write land in [pos, pos + len) of mapping's file since since_ns? */
static __always_inline bool landed_since(u64 mapping, s64 pos, u64 len, u64 since_ns)
{
	struct landed_write *w = bpf_map_lookup_elem(&landed_writes, &mapping);

	return w && w->last_ns >= since_ns && w->lo < pos + (s64)len && w->hi > pos;
}

#endif /* SW_LANDED_WRITES_BPF_H */
