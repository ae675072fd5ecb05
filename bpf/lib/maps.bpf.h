/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map definitions, one line each (BTF-defined maps, as libbpf reads them).
 *   SW_MAP: a map of type with max entries of key -> value;
 *   SW_MAP_FLAGS: the same with map_flags;
 *   SW_THREAD_MAP: an entry per thread (key: tid). Syscall tracepoint
 *     programs run preemptible from 6.14 on, so two tasks on one CPU can
 *     interleave and nothing that lives across a program's run may be per
 *     CPU; LRU recycles the entries of idle or dead threads, so it holds
 *     state between hooks that may be lost (a missed check), never memory a
 *     program is using;
 *   SW_SCRATCH_MAP: a program's working memory, too big for its stack, one
 *     per thread in task storage: it lives as long as its thread and nothing
 *     else can take it, however many threads run at once (an LRU entry could
 *     be recycled under a program still using it). Where tracing programs
 *     have no task storage (5.10) the frontend makes it a per-CPU array of
 *     one entry (settings.bpf.h: scratch_per_cpu); where syscall tracepoint
 *     programs run preemptible (7.x), a per-thread LRU hash, since task
 *     storage's per-CPU lock there refuses other tasks while a preempted run
 *     holds it (scratch_per_thread).
 */
#ifndef SW_MAPS_BPF_H
#define SW_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define SW_MAP(name, map_type, max, key_type, value_type)			\
	struct {								\
		__uint(type, map_type);						\
		__uint(max_entries, max);					\
		__type(key, key_type);						\
		__type(value, value_type);					\
	} name SEC(".maps")

#define SW_MAP_FLAGS(name, map_type, flags, max, key_type, value_type)		\
	struct {								\
		__uint(type, map_type);						\
		__uint(map_flags, flags);					\
		__uint(max_entries, max);					\
		__type(key, key_type);						\
		__type(value, value_type);					\
	} name SEC(".maps")

#define SW_THREAD_MAP(name, max, value_type)					\
	SW_MAP(name, BPF_MAP_TYPE_LRU_HASH, max, u32, value_type)

#define SW_SCRATCH_MAP(name, value_type)					\
	SW_MAP_FLAGS(name, BPF_MAP_TYPE_TASK_STORAGE, BPF_F_NO_PREALLOC, 0, int, value_type)

#endif /* SW_MAPS_BPF_H */
