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
const volatile struct sw_allow_path allow_paths[SW_ALLOW_PATHS_MAX];
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
	return bpf_task_storage_get(map, bpf_get_current_task_btf(), NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
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
