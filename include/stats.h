/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared between bpf/stats.bpf.c and the stats/top/prometheus frontend: map layouts. */
#ifndef SW_STATS_H
#define SW_STATS_H

#include "splicewatch.h"

/* What a call did: splice is split by the kinds of its two ends. */
enum sw_stat_op {
	SW_STAT_SPLICE_FILE_PIPE = 0,
	SW_STAT_SPLICE_PIPE_FILE,
	SW_STAT_SPLICE_PIPE_SOCK,
	SW_STAT_SPLICE_SOCK_PIPE,
	SW_STAT_SPLICE_PIPE_PIPE,
	SW_STAT_SPLICE_OTHER,		/* neither end a pipe: the kernel refuses it */
	SW_STAT_SENDFILE,
	SW_STAT_TEE,
	SW_STAT_VMSPLICE,
	SW_STAT_COPY_FILE_RANGE,
	SW_STAT__COUNT,
};

/* Kind of the file a row is about. */
enum sw_file_kind {
	SW_FK_NONE = 0,
	SW_FK_FILE,		/* regular file, device, anything with a path */
	SW_FK_PIPE,
	SW_FK_SOCK,
};

/* copy_file_range outcomes, as far as the return value tells. */
enum sw_cfr_result {
	SW_CFR_SAME_FS = 0,	/* served in the kernel, both files on one superblock */
	SW_CFR_CROSS_FS,	/* served in the kernel across superblocks */
	SW_CFR_FALLBACK,	/* EXDEV, EOPNOTSUPP, ENOSYS, EINVAL: the caller must copy itself */
	SW_CFR_ERROR,		/* any other error */
	SW_CFR__COUNT,
};

/* Latency histogram: slot i counts calls that took [2^i, 2^(i+1)) ns (slot 0: 0-1 ns). */
#define SW_LAT_SLOTS		40
#define SW_STATS_PATH		256

/* One row: a process (tgid + comm), what it called, on which file. */
struct sw_stat_key {
	u32 tgid;
	u32 op;			/* enum sw_stat_op */
	u64 ino;		/* the file the row is about (see docs/stats.md) */
	u32 dev;		/* kernel dev_t of its superblock */
	u32 kind;		/* enum sw_file_kind */
	char comm[SW_TASK_COMM_LEN];
};

/* Per-CPU counters of a row; the frontend sums the CPUs. */
struct sw_stat_val {
	u64 calls;
	u64 bytes;		/* sum of positive return values */
	u64 errors;		/* calls that returned an error */
	u64 lat_ns;		/* sum of latencies */
	u64 lat_max_ns;
	u64 pagecache_bytes;	/* bytes that entered a pipe as page-cache page references */
	u64 anon_bytes;		/* bytes that entered a pipe in anonymous / non-file pages */
	u64 cfr[SW_CFR__COUNT];	/* copy_file_range only: calls per result */
};

/* Latency histogram of a row (a plain hash: updated with atomic adds). */
struct sw_stat_hist {
	u64 slots[SW_LAT_SLOTS];
};

struct sw_file_key {
	u64 ino;
	u32 dev;
	u32 pad;
};

#define SW_FILEF_TRUNCATED	1	/* path[] holds only the last components */

struct sw_file_info {
	u32 kind;		/* enum sw_file_kind */
	u32 flags;		/* SW_FILEF_* */
	char path[SW_STATS_PATH];
};

/* One page-cache page a pipe buffer references (our own gauge of held pages). */
struct sw_hold_key {
	u64 pipe;		/* struct pipe_inode_info * */
	u32 seq;		/* ring position */
	u32 pad;
};

struct sw_hold {
	u64 ino;		/* the page's file */
	u32 dev;
	u32 len;		/* bytes of the page the buffer covers */
	u64 ts_ns;		/* when it entered the pipe (bpf_ktime_get_ns) */
};

/* Global counters of the stats object, indexes into its .bss array stat_counters[]. */
enum sw_stat_counter {
	SW_SC_HOLDS = 0,	/* pipe buffers currently indexed as holding page-cache pages */
	SW_SC_ROWS_DROPPED,	/* calls not counted: the row map was full */
	SW_SC_HOLDS_DROPPED,	/* holds not indexed: the hold map was full */
	SW_SC_INFLIGHT_DROPPED,	/* calls not timed: too many threads inside a syscall */
	SW_SC_STALE,		/* holds dropped because their pipe was gone or resized */
	SW_SC__COUNT,
};

#endif /* SW_STATS_H */
