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
#define SW_LOGINUID_UNSET	0xffffffffU	/* never set, or no audit in the kernel */

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
	SW_OP_WRITE_ITER,	/* a kernel write path outside the syscalls above (io_uring, AIO, nfsd) */
	SW_OP_OPEN_TRUNC,	/* open, openat, openat2 or creat with O_TRUNC, io_uring's openat */
	SW_OP_AEAD_ENCRYPT,	/* the kernel's own in-place writers: a crypto request */
	SW_OP_AEAD_DECRYPT,	/* whose destination holds held pages */
	SW_OP_SKCIPHER_ENCRYPT,
	SW_OP_SKCIPHER_DECRYPT,
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

/* Whether a write acted on so still changes the file: all but one killed at
 * its entry or denied. Such a write explains the change a content check
 * finds (the programs' landed_writes, the frontend's recent writes). */
static inline int sw_action_lands(u32 action)
{
	return action != SW_ACT_KILLED && action != SW_ACT_DENIED;
}

enum sw_event_type {
	SW_EV_UNSAFE_WRITE = 1,
	SW_EV_CAPACITY,		/* a hold could not be tracked: reason says which limit */
};

/* Why a hold could not be tracked (an SW_EV_CAPACITY event's reason): the
 * limit it met. Names in src/names.c. */
enum sw_untracked_reason {
	SW_UNTR_UNKNOWN = 0,
	SW_UNTR_CHUNK_HOLDERS,	/* SW_HOLDERS_PER_CHUNK other pipes hold pages of its 64-page chunk */
	SW_UNTR_CHUNKS,		/* the chunks map is full */
	SW_UNTR_PIPES,		/* the pipes map is full */
	SW_UNTR_MAPPINGS,	/* the mappings map is full */
	SW_UNTR_PIPE_EXTENTS,	/* the pipe holds pages of SW_PIPE_EXTENTS other files */
	SW_UNTR_RING_SIZE,	/* the pipe's ring is over SW_PIPE_SEQ_BITS buffers */
	SW_UNTR_CHUNK_EVICTED,	/* its chunk slot went to another uid's hold (per-uid share) */
	SW_UNTR_USER_QUOTA,	/* the holder's uid has its share of the pipes, chunks or
				 * mappings map (user_quota[]) */
	SW_UNTR__COUNT,
};

/* Event flags. */
#define SW_EVF_PATH_TRUNCATED	(1U << 0)	/* path deeper than SW_PATH_DEPTH */
#define SW_EVF_RANGE_PAGE	(1U << 1)	/* write range only known to page granularity */
#define SW_EVF_LEN_UNKNOWN	(1U << 2)	/* iovec unreadable: length assumed to reach EOF */
#define SW_EVF_PATH_FS_RELATIVE	(1U << 3)	/* path[] is within the file's filesystem */
#define SW_EVF_HOLDER_TRUSTED	(1U << 4)	/* the hold may be acted on (enforce: decide()) */
#define SW_EVF_HOLD_UNTRACKED	(1U << 5)	/* the file has a hold the index could not
						 * track (reason: why; held range: the pages
						 * such holds were of); enforce --on-untracked */
#define SW_EVF_IN_SOFTIRQ	(1U << 6)	/* made in a softirq: the current task did not
						 * ask for it, and is not acted on */
#define SW_EVF_HANDED_OFF	(1U << 7)	/* the pipe had handed the pages on to a
						 * socket (a kernel writer's event): the
						 * hold is that hand-off */
#define SW_EVF_HOLD_UNKNOWN	(1U << 8)	/* a kernel writer's event: no hold of the
						 * page is known, it is an up-to-date page
						 * of a named file nobody has open for
						 * writing (no holder fields; never acted
						 * on) */

/* Hold flags (struct sw_chunk_holder.hold_flags). */
#define SW_HOLD_PROTECTED	(1U << 0)	/* the splicer is a protected consumer
						 * (--protect-uid, --protect-cgroup) */

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
	u64 splicer_cgroup_id;	/* the splicer's cgroup v2 id at the splice */
	u64 start_boottime;	/* writer's thread group start (CLOCK_BOOTTIME ns), as
				 * /proc/PID/stat's starttime: its exe is looked up
				 * for this process only, never a reused pid's */
	char splicer_comm[SW_TASK_COMM_LEN];
	u32 uid;		/* the writer's real uid */
	u32 splicer_uid;	/* the splicer's real uid at the splice */
	u32 pipe_uid;		/* the pipe's owner: the real uid that created it */
	u32 signal;		/* signal sent, if any */
	u32 reason;		/* enum sw_untracked_reason: SW_EV_CAPACITY, SW_EVF_HOLD_UNTRACKED */
	u32 ppid;		/* the writer's parent (real_parent's tgid) at the write */
	u32 loginuid;		/* the writer's audit login uid; SW_LOGINUID_UNSET: none */
	u32 path_len;		/* bytes of path[] that follow, NUL excluded */
	char path[];		/* absolute path within the writer's mount namespace */
};

/*
 * Index of held pages. A pipe's page-cache buffers are learnt when a syscall
 * that fills the pipe returns; they are recorded per chunk of 64 file pages
 * (which pipes hold some of its pages, at which ring positions), so a 64 KiB
 * splice costs one index update, and drains cost no index update at all: a
 * per-pipe bitmap of ring positions and a few extents (mapping, ring range)
 * keep the held counts exact. Reports are always validated on the live ring.
 */
#define SW_CHUNK_SHIFT		6	/* 64 pages per chunk */
#define SW_HOLDERS_PER_CHUNK	4	/* pipes holding pages of one chunk */
#define SW_PIPE_SEQ_BITS	1024	/* ring positions tracked per pipe */
#define SW_PIPE_EXTENTS		4	/* files a pipe holds pages of at once */

struct sw_chunk_key {
	u64 mapping;		/* struct address_space * */
	u64 chunk;		/* page index >> SW_CHUNK_SHIFT */
};

struct sw_chunk_holder {
	u64 pipe;		/* struct pipe_inode_info *; 0: free */
	u64 gen;		/* the pipe state's generation when added */
	u64 pages;		/* bit i: page (chunk << 6) + i was put into the pipe */
	u64 ts_ns;		/* when the oldest of them was */
	u64 splicer_cgroup_id;	/* splicer_pid's cgroup at the splice */
	u32 lo_seq;		/* ring positions they were put at */
	u32 hi_seq;
	u32 splicer_pid;
	u32 splicer_uid;	/* splicer_pid's real uid: the per-uid share of the slots */
	u32 hold_flags;		/* SW_HOLD_* */
	u32 pad;
	char splicer_comm[SW_TASK_COMM_LEN];
};

struct sw_chunk {
	struct sw_chunk_holder h[SW_HOLDERS_PER_CHUNK];
	u32 quota_uid;		/* the uid charged for this entry (user_quota; 0: root, none) */
	u32 pad;
};

struct sw_extent {
	u64 mapping;		/* 0: unused */
	u32 lo_seq;		/* ring positions of this file's buffers */
	u32 hi_seq;
};

struct sw_pipe_state {
	u64 inode;		/* struct inode * of the pipe, to validate it is alive */
	u64 ino;
	u64 bufs;		/* pipe->bufs when synced: a resize renumbers the ring */
	u64 gen;		/* unique per (re)start of tracking this pipe */
	u32 lo_seq;		/* oldest tracked ring position */
	u32 hi_seq;		/* next ring position to examine */
	u32 held;		/* page-cache buffers tracked */
	u32 cur_ext;		/* the extent the newest buffer went to */
	u32 pend_lock;		/* 1: a program is changing or indexing the pending batch */
	u32 quota_uid;		/* the uid charged for this entry (user_quota; 0: root, none) */
	struct sw_extent ext[SW_PIPE_EXTENTS];
	/* Lazy indexing: the newest batch of buffers, ring positions [lo, hi)
	 * packed as hi << 32 | lo (0: none), put there by pend_pid/pend_comm at
	 * pend_ts and not indexed yet. It is indexed before anything looks for
	 * holds, or dropped unindexed when the pipe is read first. */
	u64 pend;
	u64 pend_ts;
	u64 pend_cgroup_id;	/* pend_pid's cgroup */
	u32 pend_pid;
	u32 pend_uid;		/* pend_pid's real uid */
	u32 pend_hold_flags;
	u32 pend_slot;		/* 1 + its slot in pending_pipes[]; 0: none */
	char pend_comm[SW_TASK_COMM_LEN];
	u64 bits[SW_PIPE_SEQ_BITS / 64];	/* ring positions holding page-cache buffers */
};

struct sw_mapping_state {
	u64 lo_index;		/* page range ever held while the entry lived */
	u64 hi_index;
	u64 nslots;		/* page-cache buffers held now */
	u32 quota_uid;		/* the uid charged for this entry (user_quota; 0: root, none) */
	u32 pad;
};

/* The maps of the hold index a non-root uid may fill only a share of
 * (--user-share): indexes of the programs' user_quota[] and of a uid's
 * charges. Each entry is charged to the real uid that made it, stored in
 * it, and given back when it is deleted; root is never charged. */
enum sw_index_map {
	SW_INDEX_PIPES = 0,
	SW_INDEX_CHUNKS,
	SW_INDEX_MAPPINGS,
	SW_INDEX__COUNT,
};

/* Global counters, indexes into the .bss array counters[]. */
enum sw_counter {
	SW_CNT_HELD_SLOTS = 0,	/* page-cache pipe buffers currently tracked */
	SW_CNT_EVENTS,		/* unsafe writes detected */
	SW_CNT_LOST,		/* ring buffer records dropped */
	SW_CNT_UNTRACKED,	/* holds not indexed: a limit was met (by reason: untracked[]) */
	SW_CNT_SIGNALS,		/* signals sent by enforce */
	SW_CNT_STALE_DROPPED,	/* entries dropped because their pipe was gone */
	SW_CNT_CHUNKS,		/* chunk entries (swept by GC when crowded) */
	SW_CNT_MAPPING_TOMBS,	/* mappings entries with nothing held */
	SW_CNT_GEN,		/* pipe state generations handed out */
	SW_CNT_LIVE_ENTER,	/* sys_enter saw our own probe syscall: hooks are live */
	SW_CNT_LIVE_EXIT,	/* sys_exit saw our getppid: at start, then the heartbeat */
	SW_CNT_BACKUP_CHECKS,	/* writes backup hooks checked: no sys_enter check of them ran */
	SW_CNT_BACKUP_PIPE_SYNCS, /* splice/tee/sendfile/vmsplice exits only sw_sys_exit_backup saw */
	SW_CNT__COUNT,
};

/* enforce --allow-path: a rule is the identity of a file or directory,
 * resolved by the frontend at start (stat). A write is left alone when the
 * written file is a rule, or has exactly one link and one of its ancestor
 * directories (its dentry's d_parent chain, within its own filesystem, up to
 * SW_PATH_DEPTH levels) is. Key of the allow_inodes map. */
#define SW_ALLOW_PATHS_MAX	16
struct sw_allow_inode {
	u32 dev;		/* kernel dev_t of the superblock (as sw_event.dev) */
	u32 pad;
	u64 ino;
};

/* Policy, written by the frontend before load (rodata) or into maps. */
/* Tests only (SPLICEWATCH_TEST_DROP): act as if the kernel had skipped every
 * sys_enter / sys_exit run (the first copy's, where backup syscall hooks run),
 * or every run of the first fentry copies of the kernel-writer hooks, to show
 * what the backup hooks catch. */
#define SW_DROP_ENTER		1
#define SW_DROP_EXIT		2
#define SW_DROP_KERNEL_WRITERS	4

/* GC on 5.10-5.16 (the compat programs): the map an entry is swept from, the
 * first argument of sw_gc's context, followed by the entry's key. */
#define SW_GC_PIPE		0
#define SW_GC_CHUNK		1
#define SW_GC_MAPPING		2
#define SW_GC_UNTRACKED		3

/* enforce --on-untracked: what happens to a write to a file with an untracked
 * hold that would be trusted for the writer. */
enum sw_on_untracked {
	SW_ON_UNTRACKED_OFF = 0,	/* no marks kept (trace, ci) */
	SW_ON_UNTRACKED_REPORT,
	SW_ON_UNTRACKED_DENY,
	SW_ON_UNTRACKED_KILL,
};

/* The writer uid an untracked hold's mark is for: every writer (the splicer
 * is root or protected and the pipe is root's or the splicer's). */
#define SW_UNTRACKED_ANY_UID	0xffffffffU

#define SW_MODE_TRACE		0
#define SW_MODE_ENFORCE		1

#endif /* SPLICEWATCH_H */
