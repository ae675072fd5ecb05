/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Holder trust: whether a hold may be acted on for a given writer. A write
 * into held bytes is always reported, but enforce acts on the writer only
 * when the holder could itself have stopped that writer, or is a consumer
 * the operator protects; otherwise any user who can read a file could get
 * its writers killed by keeping a pipe full of it.
 *
 * A holder is two users: the splicer (who put the pages into the pipe, real
 * uid at the splice) and the pipe's owner (pipe->user: the real uid that
 * created it). It is trusted for writer uid w when
 *   - the splicer is root, w, or protected (--protect-uid, --protect-cgroup:
 *     its cgroup at the splice), and
 *   - the pipe's owner is root, w, or the splicer (a pipe handed to a
 *     trusted splicer by another user is that user's).
 * Tee'd pipes: the tee is a splice of its own, by whoever called it.
 * Inherited pipes count as their creator's (docs/enforce.md, threat model).
 */
#ifndef SW_DETECT_TRUST_BPF_H
#define SW_DETECT_TRUST_BPF_H

#include "settings.bpf.h"

/* Set by the frontend before load: the protect maps hold entries. */
const volatile bool protect_enabled;

SW_MAP(protect_uids, BPF_MAP_TYPE_HASH, 1024, u32, u8);

SW_MAP(protect_cgroups, BPF_MAP_TYPE_HASH, 1024, u64, u8);

/* The hold flags of a splice the running task (real uid uid) makes now. */
static __always_inline u32 current_hold_flags(u32 uid)
{
	u64 cg;

	if (!protect_enabled)
		return 0;
	if (bpf_map_lookup_elem(&protect_uids, &uid))
		return SW_HOLD_PROTECTED;
	cg = bpf_get_current_cgroup_id();
	if (bpf_map_lookup_elem(&protect_cgroups, &cg))
		return SW_HOLD_PROTECTED;
	return 0;
}

static __always_inline bool holder_trusted(u32 splicer_uid, u32 hold_flags, u32 pipe_uid,
					   u32 writer_uid)
{
	if (splicer_uid && splicer_uid != writer_uid && !(hold_flags & SW_HOLD_PROTECTED))
		return false;
	return !pipe_uid || pipe_uid == writer_uid || pipe_uid == splicer_uid;
}

#endif /* SW_DETECT_TRUST_BPF_H */
