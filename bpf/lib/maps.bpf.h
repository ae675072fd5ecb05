/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map definitions, one line each (BTF-defined maps, as libbpf reads them).
 *   SW_MAP: a map of type with max entries of key -> value;
 *   SW_MAP_FLAGS: the same with map_flags;
 *   SW_THREAD_MAP: an entry per thread (key: tid). Syscall tracepoint
 *     programs run preemptible from 6.14 on, so two tasks on one CPU can
 *     interleave and nothing that lives across a program's run may be per
 *     CPU; LRU recycles the entries of idle or dead threads.
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

#endif /* SW_MAPS_BPF_H */
