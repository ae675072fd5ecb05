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
