/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The syscall attach of a run: how syscall entry and exit are hooked.
 * raw: tp_btf/sys_enter + sys_exit, which run on every syscall of every task;
 * per-syscall: tracepoint/syscalls/sys_enter_<name> + sys_exit_<name> for the
 * watched syscalls only; none: no syscall tracepoint at all (kernel functions).
 */
#ifndef SW_SYSCALL_ATTACH_H
#define SW_SYSCALL_ATTACH_H

#include "hooks.h"

enum sw_syscall_attach {
	SW_SYSCALL_ATTACH_RAW,
	SW_SYSCALL_ATTACH_PER_SYSCALL,
	SW_SYSCALL_ATTACH_NONE,
	SW_SYSCALL_ATTACH__COUNT,
};

const char *sw_syscall_attach_name(enum sw_syscall_attach a);
/* What it attaches, for the text of features. */
const char *sw_syscall_attach_what(enum sw_syscall_attach a);
struct btf;
/* The syscall attach a backend uses on the kernel of btf (NULL: not known,
 * raw). none on fentry and kprobe with the main programs and every kernel
 * function that takes the syscall hooks' duties over (src/hooks.c), unless
 * SPLICEWATCH_SYSCALL_ATTACH=raw (docs/syscall-attach.md). */
enum sw_syscall_attach sw_syscall_attach_of(enum sw_backend b, const struct btf *btf);

#endif
