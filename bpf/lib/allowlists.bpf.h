/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The processes enforce leaves alone (key: tgid / cgroup id / comm): writers
 * of held bytes, and (--verify) readers of changed ones. The verify object
 * shares the detection's maps (bpf_map__reuse_fd), so a policy reload
 * updates both.
 */
#ifndef SW_ALLOWLISTS_BPF_H
#define SW_ALLOWLISTS_BPF_H

#include "maps.bpf.h"
#include "splicewatch.h"

SW_MAP(allow_pids, BPF_MAP_TYPE_HASH, 1024, u32, u8);

SW_MAP(allow_cgroups, BPF_MAP_TYPE_HASH, 1024, u64, u8);

SW_MAP(allow_comms, BPF_MAP_TYPE_HASH, 1024, char[SW_TASK_COMM_LEN], u8);

/* Is a task of this tgid, cgroup and comm on an allowlist? */
static __always_inline bool allowlisted(const u32 *tgid, const u64 *cgroup, const char *comm)
{
	return bpf_map_lookup_elem(&allow_pids, tgid) ||
	       bpf_map_lookup_elem(&allow_cgroups, cgroup) ||
	       bpf_map_lookup_elem(&allow_comms, comm);
}

#endif /* SW_ALLOWLISTS_BPF_H */
