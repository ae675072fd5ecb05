/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the frontend sets before load (rodata), the counters it reads, the
 * event ring and the per-thread scratch maps every part of the detection
 * object uses. Maps one concern owns are defined with it.
 */
#ifndef SW_DETECT_SETTINGS_BPF_H
#define SW_DETECT_SETTINGS_BPF_H

#include "vmlinux.h"
#include "splicewatch.h"
#include "../lib/compat.bpf.h"
#include "../lib/maps.bpf.h"
#include "../lib/kernel_defs.bpf.h"
#include "../lib/path.bpf.h"

#define LEN_TO_EOF	(~0ULL >> 1)	/* a write or truncate to the end of the file */
#define MAX_WRITE_PAGES	(1U << 20)	/* the pages one check covers at most */

/* Set by the frontend before load. */
const volatile u32 self_tgid;
const volatile u32 sw_mode = SW_MODE_TRACE;
const volatile u32 kill_signal = SIGKILL;
const volatile bool signal_thread;
const volatile bool dry_run;
const volatile bool deny_mode;		/* enforce --action deny: BPF LSM refuses the write */
const volatile bool scope_enabled;	/* only writers in scope_pids count (ci) */
const volatile u32 chunk_capacity = 65536;	/* max_entries of chunks */
const volatile u32 mapping_capacity = 16384;	/* max_entries of mappings */
const volatile u32 pipe_quota = 4096;	/* pipes entries one non-root uid may have; 0: no limit */
const volatile struct sw_allow_path allow_paths[SW_ALLOW_PATHS_MAX];
/* Backup hooks (detect/backup_marks.bpf.h): syscall tracepoint programs can
 * be skipped here (faultable, 6.14+, on a kernel that preempts kernel code).
 * backup_hooks: backup hooks on (kernel functions on the fentry and kprobe
 * backends); backup_syscall_hooks: the tracepoint backend's backup hooks on, a second copy
 * of each syscall hook. Off, nothing of them is loaded or run. */
const volatile bool backup_hooks;
const volatile bool backup_syscall_hooks;
const volatile u32 test_drop;		/* SW_DROP_*: tests only */

u64 counters[SW_CNT__COUNT];

/* truncate(2) names a path, not a file: remember the new length per thread and
 * check when the kernel reaches the inode (tid -> length). */
SW_MAP(pending_truncate, BPF_MAP_TYPE_HASH, 4096, u32, s64);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct event_scratch {
	char ev[sizeof(struct sw_event) + SW_PATH_MAX];	/* header, then path[] */
	char tmp[SW_PATH_MAX + 256];	/* slack: masked offset + a name always fits */
	struct sw_path_walk walk;	/* compat: the path walk between its steps */
};

/* Per thread, not per CPU (lib/maps.bpf.h). */
SW_THREAD_MAP(scratch, 256, struct event_scratch);

static const struct event_scratch zero_scratch = {};

static __always_inline void count(enum sw_counter c, s64 n)
{
	__sync_fetch_and_add(&counters[c], n);
}

/* This thread's entry of a per-thread map, or NULL. */
static __always_inline void *thread_value(void *map)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(map, &tid);
}

/* This thread's entry, made from zero if it has none. */
static __always_inline void *thread_scratch(void *map, const void *zero)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	void *v = thread_value(map);

	if (v)
		return v;
	bpf_map_update_elem(map, &tid, zero, BPF_ANY);
	return thread_value(map);
}

/* Holds not tracked, by reason (enum sw_untracked_reason); their sum is
 * counters[SW_CNT_UNTRACKED]. */
u64 untracked[SW_UNTR__COUNT];

/* A hold could not be tracked: count it by reason. */
static __always_inline void count_untracked(u32 reason)
{
	count(SW_CNT_UNTRACKED, 1);
	barrier_var(reason);
	if (reason < SW_UNTR__COUNT)
		__sync_fetch_and_add(&untracked[reason], 1);
}

/* Tell the frontend which limit and pipe (why: reason << 32 | the pipe's
 * inode number, 32 bits as get_next_ino() hands them out), the file
 * (mapping: its address_space, 0 if not known), the holder (pid << 32 |
 * real uid) and its comm (the 16 bytes as two words, both 0: the running
 * task's). A global function, verified once whatever the call site; it takes
 * scalars only. Called from sync_file and after a walk, never from the walk's
 * callbacks: a frame there would take the call chain over 512 bytes of stack
 * on 5.10-6.1. */
__noinline int untracked_event(u64 why, u64 mapping, u64 holder, u64 comm_lo, u64 comm_hi)
{
	struct address_space *as = (struct address_space *)mapping;
	struct sw_event *ev;
	struct inode *host;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return 0;	/* counted as untracked; not a lost report */
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = SW_EV_CAPACITY;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->reason = why >> 32;
	ev->pid = holder >> 32;
	ev->tid = ev->pid;
	ev->holder_uid = (u32)holder;
	if (comm_lo || comm_hi) {
		__builtin_memcpy(ev->comm, &comm_lo, 8);
		__builtin_memcpy(ev->comm + 8, &comm_hi, 8);
	} else {
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	}
	if (as) {
		host = BPF_CORE_READ(as, host);
		ev->ino = BPF_CORE_READ(host, i_ino);
		ev->dev = BPF_CORE_READ(host, i_sb, s_dev);
	}
	ev->pipe_ino = (u32)why;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* Count and tell at once (outside the walk). */
static __always_inline void emit_untracked(u64 why, u64 mapping, u64 holder, u64 comm_lo,
					   u64 comm_hi)
{
	count_untracked(why >> 32);
	untracked_event(why, mapping, holder, comm_lo, comm_hi);
}

/* emit_untracked()'s first argument. */
static __always_inline u64 untracked_why(u32 reason, u64 pipe_ino)
{
	return (u64)reason << 32 | (u32)pipe_ino;
}

/* The running task as a holder for emit_untracked(). */
static __always_inline u64 current_holder(void)
{
	return (bpf_get_current_pid_tgid() >> 32) << 32 | (u32)bpf_get_current_uid_gid();
}

#endif /* SW_DETECT_SETTINGS_BPF_H */
