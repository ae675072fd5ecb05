// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of `make bench`: programs that do nothing, attached where
 * splicewatch attaches (tp_btf/sys_enter, tp_btf/sys_exit) and where it could
 * attach instead (one syscall's tracepoint, or fentry on the syscall itself).
 * bench/empty_loader attaches the ones named on its command line.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

u64 counter;

/* Every syscall of every task, like sw_sys_enter. */
SEC("tp_btf/sys_enter")
int BPF_PROG(empty_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

/* What sw_sys_enter does when nothing is held: one load of a global and out. */
SEC("tp_btf/sys_enter")
int BPF_PROG(gate_enter, struct pt_regs *regs, long id)
{
	if (!counter)
		return 0;
	return 1;
}

/* Per-syscall tracepoint: the program runs for pwrite64 only, but enabling any
 * syscall tracepoint still sends every syscall through the tracing slow path. */
SEC("tracepoint/syscalls/sys_enter_pwrite64")
int tp_pwrite_enter(void *ctx)
{
	return 0;
}

/* fentry on the syscall's own entry point: no syscall-wide work at all. */
SEC("fentry/__x64_sys_pwrite64")
int BPF_PROG(fentry_pwrite, struct pt_regs *regs)
{
	return 0;
}
