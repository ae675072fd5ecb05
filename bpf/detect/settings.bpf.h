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
const volatile bool scope_enabled;	/* only writers in ci's scope count */
/* ci --scope cgroup: the scope is this cgroup v2 (its id, the directory's
 * inode) at this level of the hierarchy, and its descendants; 0: the pids in
 * scope_pids (ci --scope pids). */
const volatile u64 scope_cgroup_id;
const volatile u32 scope_cgroup_level;
const volatile u32 chunk_capacity = 65536;	/* max_entries of chunks */
const volatile bool allow_ns_init;	/* enforce --allow-ns-init */
const volatile u32 n_allow_paths;	/* --allow-path rules in allow_inodes */
const volatile u32 mapping_capacity = 16384;	/* max_entries of mappings */
/* enforce --on-untracked (enum sw_on_untracked; 0 in trace and ci): files
 * with untracked holds are marked (detect/untracked.bpf.h). */
const volatile u32 on_untracked;
/* Entries of each map of the index (enum sw_index_map) one non-root uid may
 * have (--user-share of its max_entries); 0: no limit. */
const volatile u32 user_quota[SW_INDEX__COUNT] = { 4096, 16384, 4096 };
/* Backup hooks (detect/backup_marks.bpf.h): syscall tracepoint programs can
 * be skipped here (faultable, 6.14+, on a kernel that preempts kernel code).
 * backup_hooks: backup hooks on (kernel functions on the fentry and kprobe
 * backends); backup_syscall_hooks: the tracepoint backend's backup hooks on, a second copy
 * of each syscall hook. Off, nothing of them is loaded or run. */
const volatile bool backup_hooks;
const volatile bool backup_syscall_hooks;
/* The write_iter hooks are loaded (fentry and kprobe backends): they re-check
 * a write whose file or range sys_enter did not check (detect/backup_marks.bpf.h). */
const volatile bool write_iter_hooks;
const volatile u32 test_drop;		/* SW_DROP_*: tests only */
/* Compat, where tracing programs have no task storage (probed by the
 * frontend: 5.10, and 5.11 as we read its history): the scratch maps are
 * per-CPU arrays of one entry. Exact on 5.10, where every program runs with
 * preemption off (tracepoints and kprobes always; fentry and LSM trampolines
 * through migrate_disable, which is preempt_disable there): a run cannot be
 * interleaved with another on its CPU. From 5.11 migrate_disable leaves
 * preemption on, so on a 5.11 built with full preemption two fentry/LSM
 * reports on one CPU could share it (untested: no such kernel in tests/vm). */
const volatile bool scratch_per_cpu;
/* Kernels whose syscall tracepoint programs run preemptible (6.14+ with a
 * preempting model): task storage's per-CPU lock is taken by a preempted
 * run and refused to every other task's on that CPU, so the frontend makes
 * the scratch maps per-thread LRU hashes (tid -> value) there instead. */
const volatile bool scratch_per_thread;
/* The zeroed value a per-thread scratch entry is made from: at least as
 * large as the largest scratch value. */
const char zero_scratch_value[16384] = {};

u64 counters[SW_CNT__COUNT];

/* Unsafe writes by op and action, counted where they are decided (so a
 * record the ring loses is still counted): [op * SW_ACT__COUNT + action]. */
u64 unsafe_writes[SW_OP__COUNT * SW_ACT__COUNT];

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

/* The report's event and path (lib/maps.bpf.h: scratch maps). */
SW_SCRATCH_MAP(scratch, struct event_scratch);

static __always_inline void count(enum sw_counter c, s64 n)
{
	__sync_fetch_and_add(&counters[c], n);
}

/* This thread's working memory in a scratch map (lib/maps.bpf.h), made (from
 * zero) if create and it has none; NULL if it cannot be had (no memory, or
 * the task storage lock held by a run this one interrupted). Its contents are
 * whatever this thread's last run left: a user clears what it reads. */
static __always_inline void *scratch_of(void *map, bool create)
{
#ifdef SW_COMPAT
	if (scratch_per_cpu) {
		u32 zero = 0;

		return bpf_map_lookup_elem(map, &zero);
	}
#endif
	if (scratch_per_thread) {
		u32 tid = (u32)bpf_get_current_pid_tgid();
		void *v = bpf_map_lookup_elem(map, &tid);

		if (v || !create)
			return v;
		bpf_map_update_elem(map, &tid, zero_scratch_value, BPF_NOEXIST);
		return bpf_map_lookup_elem(map, &tid);
	}
	return bpf_task_storage_get(map, bpf_get_current_task_btf(), NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* Marks of untracked holds (detect/untracked.bpf.h): writes look for them
 * only while there are some. */
u64 untracked_marks;

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
	ev->splicer_uid = (u32)holder;
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
