/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stats: what the frontend sets, the counters and maps it reads, the state
 * of a call between its sys_enter and sys_exit, and the per-CPU scratch of
 * file names and of the compat walks.
 */
#ifndef SW_STATS_MAPS_BPF_H
#define SW_STATS_MAPS_BPF_H

#include "vmlinux.h"
#include "stats.h"
#include "../lib/maps.bpf.h"
#include "../lib/path.bpf.h"
#include "../lib/pipe_ring.bpf.h"

/* File names: built backwards in a NAME_BUF-byte buffer, at most
 * SW_STATS_PATH - 1 bytes kept below its end (the rest is the floor no name
 * may cross), NAME_DEPTH components at most. */
#define NAME_BUF	512
#define NAME_FLOOR	(NAME_BUF - SW_STATS_PATH)
#define NAME_DEPTH	32

/* Ring positions a compat walk covers: the state's positions and pipes of up
 * to 4 MiB. */
#define COMPAT_RING	1024

/* Set by the frontend before load. */
const volatile u32 self_tgid;

u64 stat_counters[SW_SC__COUNT];

/* Initial values of new rows (too large for the BPF stack). */
const struct sw_stat_val zero_val;
const struct sw_stat_hist zero_hist;

SW_MAP_FLAGS(rows, BPF_MAP_TYPE_PERCPU_HASH, BPF_F_NO_PREALLOC, 16384, struct sw_stat_key, struct sw_stat_val);

SW_MAP_FLAGS(hists, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 16384, struct sw_stat_key, struct sw_stat_hist);

SW_MAP_FLAGS(files, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 16384, struct sw_file_key, struct sw_file_info);

SW_MAP_FLAGS(holds, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 262144, struct sw_hold_key, struct sw_hold);

struct hpipe {
	u64 inode;		/* struct inode * of the pipe, to tell it is still alive */
	u64 ino;
	u64 bufs;		/* pipe->bufs: F_SETPIPE_SZ renumbers the ring */
	u32 lo_seq;		/* oldest ring position that may be indexed */
	u32 hi_seq;		/* one past the newest indexed position */
	u32 nslots;
	u32 pad;
};

SW_MAP(hpipes, BPF_MAP_TYPE_HASH, 16384, u64, struct hpipe);

/* A call between sys_enter and sys_exit. */
struct call {
	u64 ts;
	u32 op;
	u32 out_head;		/* out_pipe->head at entry */
	u64 out_pipe;		/* pipe that may gain buffers */
	u64 out_inode;
	u64 in_pipe;		/* pipe that may lose buffers */
	u64 in_sb;		/* copy_file_range: superblocks of both files */
	u64 out_sb;
	struct sw_file_key file;
	u32 kind;
	u32 pad;
};

/* LRU: a thread that dies inside a call never reaches sys_exit. */
SW_THREAD_MAP(inflight, 16384, struct call);

/* The hold gauge of one pipe being brought in line with its ring
 * (pipe_filled, drop_range). */
struct gauge_sync {
	u64 pipe;
	struct pipe_ring ring;
	struct hpipe *ps;
	u32 start;
	u32 new_from;		/* first position to index (>= tail) */
	u64 pagecache;		/* bytes seen in page-cache buffers */
	u64 anon;		/* bytes seen in other buffers */
	u64 now;
};

struct path_scratch {
	char tmp[NAME_BUF + 256];	/* built backwards into tmp[off..NAME_BUF - 1]; slack for the mask */
	struct sw_file_info info;
	/* compat (lib/compat.bpf.h): the state of a walk between its steps;
	 * the sync as bytes: a struct with a pointer to struct hpipe in a map
	 * value made clang declare hpipe only, and the hpipes map unloadable */
	struct sw_path_walk walk;
	char sync[sizeof(struct gauge_sync)];
};

SW_MAP(pscratch, BPF_MAP_TYPE_PERCPU_ARRAY, 1, u32, struct path_scratch);

static __always_inline void count(enum sw_stat_counter c, s64 n)
{
	__sync_fetch_and_add(&stat_counters[c], n);
}

#endif /* SW_STATS_MAPS_BPF_H */
