/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared between the BPF programs and the frontend: event layout, map keys, constants. */
#ifndef SPLICEWATCH_H
#define SPLICEWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
#endif

#define SW_TASK_COMM_LEN	16
#define SW_PATH_MAX		4096
#define SW_PATH_DEPTH		48
#define SW_PAGE_SHIFT		12
#define SW_PAGE_SIZE		(1UL << SW_PAGE_SHIFT)
/* Pipes a single page-cache page is tracked in at once (tee fans a page out). */
#define SW_HOLDERS_PER_PAGE	4

/* The write path that modified (or was about to modify) held bytes. */
enum sw_op {
	SW_OP_UNKNOWN = 0,
	SW_OP_WRITE,
	SW_OP_PWRITE64,
	SW_OP_WRITEV,
	SW_OP_PWRITEV,
	SW_OP_PWRITEV2,
	SW_OP_COPY_FILE_RANGE,
	SW_OP_SPLICE,
	SW_OP_SENDFILE,
	SW_OP_FALLOCATE,
	SW_OP_TRUNCATE,
	SW_OP_FTRUNCATE,
	SW_OP_MMAP,
	SW_OP__COUNT,
};

enum sw_action {
	SW_ACT_REPORTED = 0,
	SW_ACT_KILLED,
	SW_ACT_DENIED,
	SW_ACT_SIGNALLED,
	SW_ACT_WOULD_KILL,
	SW_ACT_ALLOWED,
	SW_ACT_KILLED_LATE,
	SW_ACT__COUNT,
};

enum sw_event_type {
	SW_EV_UNSAFE_WRITE = 1,
	SW_EV_CAPACITY,		/* a hold could not be tracked: the index is full */
};

/* Event flags. */
#define SW_EVF_PATH_TRUNCATED	(1U << 0)	/* path deeper than SW_PATH_DEPTH */
#define SW_EVF_RANGE_PAGE	(1U << 1)	/* write range only known to page granularity */
#define SW_EVF_LEN_UNKNOWN	(1U << 2)	/* iovec unreadable: length assumed to reach EOF */
#define SW_EVF_PATH_FS_RELATIVE	(1U << 3)	/* path[] is within the file's filesystem */

struct sw_event {
	u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	u32 type;		/* enum sw_event_type */
	u32 op;			/* enum sw_op */
	u32 action;		/* enum sw_action */
	u32 flags;		/* SW_EVF_* */
	u32 pid;		/* writer tgid */
	u32 tid;
	u64 cgroup_id;
	char comm[SW_TASK_COMM_LEN];
	u32 dev;		/* kernel dev_t of the file's superblock */
	u32 splicer_pid;
	u64 ino;
	s64 write_offset;
	u64 write_len;
	s64 held_offset;	/* file offset of the first held byte that overlaps */
	u64 held_len;
	u64 pipe_ino;
	u64 held_ns;		/* how long the pipe has held the page */
	char splicer_comm[SW_TASK_COMM_LEN];
	u32 signal;		/* signal sent, if any */
	u32 path_len;		/* bytes of path[] that follow, NUL excluded */
	char path[];		/* absolute path within the writer's mount namespace */
};

/* Index of held pages. */
struct sw_slot_key {
	u64 pipe;		/* struct pipe_inode_info * */
	u32 seq;		/* ring position (pipe->head at insertion) */
	u32 pad;
};

struct sw_slot {
	u64 mapping;		/* struct address_space * */
	u64 index;		/* page index in the file */
	u64 page;		/* struct page * held by the pipe buffer */
	u64 ts_ns;
	u32 splicer_pid;
	u32 splicer_tid;
	char splicer_comm[SW_TASK_COMM_LEN];
};

struct sw_page_key {
	u64 mapping;
	u64 index;
};

struct sw_holder {
	u64 pipe;
	u32 first_seq;
	u32 last_seq;
};

struct sw_page_hold {
	u64 page;
	u32 nslots;
	u32 pad;
	struct sw_holder holders[SW_HOLDERS_PER_PAGE];
};

struct sw_pipe_state {
	u64 inode;		/* struct inode * of the pipe, to validate it is alive */
	u64 ino;
	u64 bufs;		/* pipe->bufs when synced: a resize renumbers the ring */
	u32 lo_seq;		/* oldest tracked ring position */
	u32 hi_seq;		/* next ring position to examine */
	u32 nslots;
	u32 gc_idle;		/* GC passes that found it empty; a sync resets it */
};

struct sw_mapping_state {
	u64 lo_index;
	u64 hi_index;
	u64 nslots;
	u64 ino;
	u32 dev;
	u32 pad;
};

/* Global counters, indexes into the .bss array counters[]. */
enum sw_counter {
	SW_CNT_HELD_SLOTS = 0,	/* pipe buffers currently tracked */
	SW_CNT_EVENTS,		/* unsafe writes detected */
	SW_CNT_LOST,		/* ring buffer records dropped */
	SW_CNT_UNTRACKED,	/* holds not indexed: a map was full */
	SW_CNT_SIGNALS,		/* signals sent by enforce */
	SW_CNT_STALE_DROPPED,	/* entries dropped because their pipe was gone */
	SW_CNT_PAGE_TOMBS,	/* pages entries with no slot left (swept by GC) */
	SW_CNT_MAPPING_TOMBS,	/* mappings entries with no slot left */
	SW_CNT__COUNT,
};

/* enforce --allow-path: writers to files under these prefixes are left alone. */
#define SW_ALLOW_PATHS_MAX	16
#define SW_ALLOW_PATH_LEN	256
struct sw_allow_path {
	u32 len;		/* 0: unused slot */
	char prefix[SW_ALLOW_PATH_LEN];
};

/* Policy, written by the frontend before load (rodata) or into maps. */
#define SW_MODE_TRACE		0
#define SW_MODE_ENFORCE		1

#endif /* SPLICEWATCH_H */
