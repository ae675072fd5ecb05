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

static __always_inline void emit_capacity(void)
{
	struct sw_event *ev;

	count(SW_CNT_UNTRACKED, 1);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return;		/* counted as untracked above; not a lost report */
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = SW_EV_CAPACITY;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, 0);
}

#endif /* SW_DETECT_SETTINGS_BPF_H */
