/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Backup copies of a syscall tracepoint program. Since 6.14, on a kernel
 * that preempts kernel code, while one task's run of such a program is
 * preempted the kernel skips that program for every other task on the CPU.
 * Each program keeps its own count, so a second copy of the hook runs where
 * the first was skipped: the detection's sw_sys_enter_backup and
 * sw_sys_exit_backup (tracepoint backend), the content checks'
 * sw_verify_enter_backup and sw_verify_exit_backup; and, on the fentry
 * backend where the kernel has no kprobes to hook them with instead, a copy
 * of each kernel-writer hook (crypto requests, pipes handed to a socket):
 * a trampoline program is skipped the same way.
 *
 * The first copy names its thread in this CPU's gate; the backup copy works
 * only when the gate names another: the first copy was skipped, or ran for
 * another task between this task's two runs, or the task moved to another
 * CPU in between. The work must bear being done twice then (the detection:
 * a write's mark keeps it to one report, a pipe synced twice is unchanged;
 * the content checks: a check finds the fingerprint it kept, a fill finds
 * its entries; a kernel writer's request: one record per thread and hold,
 * first_write_to_hold; a hand-off: its record refreshed). A call whose two
 * runs were both skipped is missed.
 */
#ifndef SW_LIB_BACKUP_GATE_BPF_H
#define SW_LIB_BACKUP_GATE_BPF_H

#include "maps.bpf.h"

/* One slot per hook: a syscall's two, then the kernel functions'. */
enum backup_gate_hook {
	GATE_ENTER,
	GATE_EXIT,
	GATE_AEAD_ENCRYPT,
	GATE_AEAD_DECRYPT,
	GATE_SKCIPHER_ENCRYPT,
	GATE_SKCIPHER_DECRYPT,
	GATE_HANDOFF,
	GATE_HANDOFF_SENDPAGE,
	GATE__COUNT,
};

struct backup_gate {
	u32 tid[8];	/* by GATE_*: the thread the first copy ran for */
};

_Static_assert(GATE__COUNT <= 8, "a slot per hook");

SW_MAP(backup_gates, BPF_MAP_TYPE_PERCPU_ARRAY, 1, u32, struct backup_gate);

static __always_inline struct backup_gate *backup_gate(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&backup_gates, &zero);
}

/* The first copy's mark. A syscall hook clears the thread's mark at the
 * other, left if that hook's backup copy was skipped, so it cannot stand for
 * a later syscall. */
static __always_inline void first_runs(u32 hook)
{
	struct backup_gate *g = backup_gate();
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (!g)
		return;
	g->tid[hook & 7] = tid;
	if (hook <= GATE_EXIT && g->tid[!hook] == tid)
		g->tid[!hook] = 0;
}

/* The backup copy's question: did the first copy run for this thread? Answered once.
 * Without the gate (never) the backup copy stays quiet. */
static __always_inline bool first_ran(u32 hook)
{
	struct backup_gate *g = backup_gate();

	if (!g)
		return true;
	if (g->tid[hook & 7] != (u32)bpf_get_current_pid_tgid())
		return false;
	g->tid[hook & 7] = 0;
	return true;
}

#endif /* SW_LIB_BACKUP_GATE_BPF_H */
