/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * System calls as the programs see them at sys_enter/sys_exit, per
 * architecture (-D__TARGET_ARCH_x86 or _arm64, from the Makefile's ARCH): the
 * numbers they dispatch on, the field of struct pt_regs that holds the
 * number, and the registers that carry the arguments, in order. The
 * symbol prefix of the syscall entry points is in include/arch.h (the
 * frontend attaches by those names too).
 */
#ifndef SW_SYSCALLS_BPF_H
#define SW_SYSCALLS_BPF_H

#include "arch.h"

#if defined(__TARGET_ARCH_x86)
/* arch/x86/entry/syscalls/syscall_64.tbl */
#define SW_NR_read		0
#define SW_NR_write		1
#define SW_NR_open		2
#define SW_NR_close		3
#define SW_NR_pwrite64		18
#define SW_NR_readv		19
#define SW_NR_writev		20
#define SW_NR_sendfile		40
#define SW_NR_fcntl		72
#define SW_NR_getppid		110
#define SW_NR_truncate		76
#define SW_NR_ftruncate		77
#define SW_NR_creat		85
#define SW_NR_splice		275
#define SW_NR_tee		276
#define SW_NR_vmsplice		278
#define SW_NR_openat		257
#define SW_NR_fallocate		285
#define SW_NR_pwritev		296
#define SW_NR_copy_file_range	326
#define SW_NR_preadv2		327
#define SW_NR_pwritev2		328
#define SW_NR_openat2		437
#define SW_NR_dup2		33
#define SW_NR_dup3		292
#define SW_NR_execve		59
#define SW_NR_execveat		322
#define SW_NR_close_range	436

/* The field of struct pt_regs with the syscall number. */
#define SW_REGS_NR		orig_ax

/* Argument n (1-6) of the syscall whose registers are regs (comments name
 * arguments by these numbers). */
#define SW_ARG1(regs)	((regs)->di)
#define SW_ARG2(regs)	((regs)->si)
#define SW_ARG3(regs)	((regs)->dx)
#define SW_ARG4(regs)	((regs)->r10)
#define SW_ARG5(regs)	((regs)->r8)
#define SW_ARG6(regs)	((regs)->r9)

#elif defined(__TARGET_ARCH_arm64)
/* include/uapi/asm-generic/unistd.h (arm64 has no table of its own) */
#define SW_NR_read		63
#define SW_NR_write		64
#define SW_NR_close		57
#define SW_NR_openat		56
#define SW_NR_pwrite64		68
#define SW_NR_readv		65
#define SW_NR_writev		66
#define SW_NR_sendfile		71
#define SW_NR_fcntl		25
#define SW_NR_getppid		173
#define SW_NR_truncate		45
#define SW_NR_ftruncate		46
#define SW_NR_splice		76
#define SW_NR_tee		77
#define SW_NR_vmsplice		75
#define SW_NR_fallocate		47
#define SW_NR_pwritev		70
#define SW_NR_copy_file_range	285
#define SW_NR_preadv2		286
#define SW_NR_pwritev2		287
#define SW_NR_openat2		437
#define SW_NR_dup2		(-1)	/* none: dup3 */
#define SW_NR_dup3		24
#define SW_NR_execve		221
#define SW_NR_execveat		281
#define SW_NR_close_range	436

#define SW_REGS_NR		syscallno

/* x0 is overwritten by the return value before sys_exit: the kernel keeps
 * argument 1 in orig_x0 (what libbpf's PT_REGS_PARM1_SYSCALL reads too). */
#define SW_ARG1(regs)	((regs)->orig_x0)
#define SW_ARG2(regs)	((regs)->regs[1])
#define SW_ARG3(regs)	((regs)->regs[2])
#define SW_ARG4(regs)	((regs)->regs[3])
#define SW_ARG5(regs)	((regs)->regs[4])
#define SW_ARG6(regs)	((regs)->regs[5])

#else
#error "unsupported architecture: build with ARCH=x86 or ARCH=arm64"
#endif

/* The syscall number in regs. */
#define SW_SYSCALL_NR(regs)	((regs)->SW_REGS_NR)

#endif /* SW_SYSCALLS_BPF_H */
