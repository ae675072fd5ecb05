/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * splicewatch.bpf.c and stats.bpf.c are each built twice: for Linux 5.17 and
 * later, and with SW_COMPAT for 5.10-5.16 (*_compat.bpf.o), which lack
 *   bpf_loop (5.17): bounded loops instead, the heavy ones through global
 *     functions (verified once) that find their context in per-thread maps;
 *   atomic and/or/xchg/cmpxchg and fetching adds (5.12): plain
 *     read-modify-writes, so two CPUs updating one pipe's index at the same
 *     instant can miscount a buffer (a report is still checked against the
 *     live ring, so this costs a miss or a stale entry, never a false report);
 *   bpf_get_current_task_btf (5.11) and bpf_task_pt_regs (5.15): the task is
 *     read with probe reads, its registers found in its kernel stack;
 *   bpf_for_each_map_elem (5.13): the frontend walks the maps for GC;
 *   folios (5.16): a folio is read as its head page (mapping and index sit
 *     at the same place) and the page tracepoints stand for the folio ones.
 * Each pair shares one skeleton (checked at build time): the same maps,
 * programs and globals, which the skeleton binds by name. Variant structs
 * (the folio as its head page among them) are in core_fixes.bpf.h.
 */
#ifndef SW_COMPAT_BPF_H
#define SW_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#ifdef SW_COMPAT

#define sw_fetch_add(p, v)	({ typeof(*(p)) __o = *(p); *(p) = __o + (v); __o; })
#define sw_fetch_or(p, v)	({ typeof(*(p)) __o = *(p); *(p) = __o | (v); __o; })
#define sw_fetch_and(p, v)	({ typeof(*(p)) __o = *(p); *(p) = __o & (v); __o; })
#define sw_cmpxchg(p, old, new)							\
	({ typeof(*(p)) __o = *(p); if (__o == (old)) *(p) = (new); __o; })

/* cb(i, ctx) for i in [0, n), n at most bound, until cb returns non-zero. */
#define sw_loop(bound, n, cb, ctx)						\
	do {									\
		u32 __i, __n = (n);						\
		for (__i = 0; __i < (bound); __i++)				\
			if (__i >= __n || cb(__i, ctx))				\
				break;						\
	} while (0)

/* Long walks (up to 16384 steps) run in blocks of SW_STEP_BLOCK steps, each
 * block a global function: the verifier walks a bounded loop one iteration at
 * a time, so two levels of 128 cost it 256 iterations where one loop would
 * cost up to 16384 (and it keeps one pending state per iteration, up to 8192).
 * SW_STEP_BLOCKS(step) defines the block function of step(u64 arg, u32 i), a
 * global function that returns non-zero to stop; sw_steps runs the walk. */
#define SW_STEP_BLOCK	128

#define SW_STEP_BLOCKS(step)							\
__noinline int step##_block(u64 arg, u32 first, u32 n)				\
{										\
	for (u32 i = 0; i < SW_STEP_BLOCK && first + i < n; i++)		\
		if (step(arg, first + i))					\
			return 1;						\
	return 0;								\
}

/* step(arg, i) for i in [0, n), n at most max, until it returns non-zero. */
#define sw_steps(max, n, step, arg)						\
	do {									\
		u32 __n = (n);							\
		for (u32 __b = 0; __b < (max) / SW_STEP_BLOCK &&		\
				  __b * SW_STEP_BLOCK < __n; __b++)		\
			if (step##_block(arg, __b * SW_STEP_BLOCK, __n))	\
				break;						\
	} while (0)

#define SW_DIRTY_TP		"writeback_dirty_page"

static __always_inline struct task_struct *sw_current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

#else /* 5.17 and later */

#define sw_fetch_add(p, v)	__sync_fetch_and_add(p, v)
#define sw_fetch_or(p, v)	__sync_fetch_and_or(p, v)
#define sw_fetch_and(p, v)	__sync_fetch_and_and(p, v)
#define sw_cmpxchg(p, old, new)	__sync_val_compare_and_swap(p, old, new)

#define sw_loop(bound, n, cb, ctx)	bpf_loop(n, cb, ctx, 0)

#define SW_DIRTY_TP		"writeback_dirty_folio"

static __always_inline struct task_struct *sw_current_task(void)
{
	return bpf_get_current_task_btf();
}

#endif /* SW_COMPAT */
#endif /* SW_COMPAT_BPF_H */
