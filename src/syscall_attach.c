// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The syscall attach of a run (syscall_attach.h). */
#include "syscall_attach.h"

static const char *const names[SW_SYSCALL_ATTACH__COUNT] = {
	[SW_SYSCALL_ATTACH_RAW] = "raw",
	[SW_SYSCALL_ATTACH_PER_SYSCALL] = "per-syscall",
	[SW_SYSCALL_ATTACH_NONE] = "none",
};

static const char *const what[SW_SYSCALL_ATTACH__COUNT] = {
	[SW_SYSCALL_ATTACH_RAW] = "tp_btf/sys_enter + sys_exit: every syscall runs two programs",
	[SW_SYSCALL_ATTACH_PER_SYSCALL] = "syscalls/sys_enter_<name> + sys_exit_<name> of the watched "
					  "syscalls",
	[SW_SYSCALL_ATTACH_NONE] = "no syscall tracepoint: kernel functions only",
};

const char *sw_syscall_attach_name(enum sw_syscall_attach a)
{
	return a < SW_SYSCALL_ATTACH__COUNT ? names[a] : "?";
}

const char *sw_syscall_attach_what(enum sw_syscall_attach a)
{
	return a < SW_SYSCALL_ATTACH__COUNT ? what[a] : "?";
}

/*
 * Every backend hooks syscalls raw today. The tracepoint backend keeps raw
 * although the per-syscall tracepoints exist (6.18 and 7.x): measured, the
 * whole set it would need costs more than the raw pair on the syscalls it
 * watches and on getppid (bench/results.md, docs/performance.md), and their
 * programs share the kernel's per-CPU recursion guard (bpf_prog_active), so a
 * backup copy on the same tracepoint is skipped with the first
 * (docs/design.md "Syscall attach").
 */
enum sw_syscall_attach sw_syscall_attach_of(enum sw_backend b)
{
	(void)b;
	return SW_SYSCALL_ATTACH_RAW;
}
