/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stats: the row a call counts in (process, op, file) and its latency
 * histogram.
 */
#ifndef SW_STATS_ACCOUNT_BPF_H
#define SW_STATS_ACCOUNT_BPF_H

#include "names.bpf.h"

static __always_inline u32 log2_u32(u32 v)
{
	u32 r, shift;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline u32 lat_slot(u64 ns)
{
	u32 hi = ns >> 32, s;

	s = hi ? log2_u32(hi) + 32 : log2_u32(ns);
	return s >= SW_LAT_SLOTS ? SW_LAT_SLOTS - 1 : s;
}

static __always_inline u64 file_pipe(struct file *file, u64 *inode_out)
{
	struct inode *inode;
	struct pipe_inode_info *pipe = file_pipe_of(file, &inode);

	if (pipe && inode_out)
		*inode_out = (u64)inode;
	return (u64)pipe;
}

static __always_inline u32 splice_op(u32 in, u32 out)
{
	if (in == SW_FK_PIPE) {
		if (out == SW_FK_PIPE)
			return SW_STAT_SPLICE_PIPE_PIPE;
		if (out == SW_FK_SOCK)
			return SW_STAT_SPLICE_PIPE_SOCK;
		if (out == SW_FK_FILE)
			return SW_STAT_SPLICE_PIPE_FILE;
		return SW_STAT_SPLICE_OTHER;
	}
	if (out == SW_FK_PIPE) {
		if (in == SW_FK_SOCK)
			return SW_STAT_SPLICE_SOCK_PIPE;
		if (in == SW_FK_FILE)
			return SW_STAT_SPLICE_FILE_PIPE;
	}
	return SW_STAT_SPLICE_OTHER;
}

static __always_inline void account(struct call *c, long ret, u64 lat, u64 pagecache, u64 anon)
{
	struct sw_stat_key key = {};
	struct sw_stat_val *v;
	struct sw_stat_hist *h;
	u64 id = bpf_get_current_pid_tgid();
	u64 slot;

	key.tgid = id >> 32;
	key.op = c->op;
	key.ino = c->file.ino;
	key.dev = c->file.dev;
	key.kind = c->kind;
	bpf_get_current_comm(key.comm, sizeof(key.comm));

	v = bpf_map_lookup_elem(&rows, &key);
	if (!v) {
		bpf_map_update_elem(&rows, &key, &zero_val, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&rows, &key);
		if (!v) {
			count(SW_SC_ROWS_DROPPED, 1);
			return;
		}
	}
	/* Per-CPU value: no other writer on this CPU while we run. */
	v->calls++;
	if (ret > 0)
		v->bytes += ret;
	else if (ret < 0)
		v->errors++;
	v->lat_ns += lat;
	if (lat > v->lat_max_ns)
		v->lat_max_ns = lat;
	v->pagecache_bytes += pagecache;
	v->anon_bytes += anon;
	if (c->op == SW_STAT_COPY_FILE_RANGE) {
		u32 r;

		if (ret >= 0)
			r = c->in_sb == c->out_sb ? SW_CFR_SAME_FS : SW_CFR_CROSS_FS;
		else if (ret == -EXDEV || ret == -EOPNOTSUPP || ret == -ENOSYS || ret == -EINVAL)
			r = SW_CFR_FALLBACK;
		else
			r = SW_CFR_ERROR;
		if (r < SW_CFR__COUNT)
			v->cfr[r]++;
	}

	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h)
			return;
	}
	slot = lat_slot(lat);
	/* A 64-bit test clang cannot drop: 5.10's verifier loses the upper
	 * bits of lat_slot's 32-bit ORs. */
	barrier_var(slot);
	if (slot < SW_LAT_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
}

#endif /* SW_STATS_ACCOUNT_BPF_H */
