/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * x86-64 system calls as the programs see them at sys_enter/sys_exit: the
 * numbers they dispatch on (arch/x86/entry/syscalls/syscall_64.tbl) and the
 * registers of struct pt_regs that carry the arguments, in order.
 */
#ifndef SW_SYSCALLS_BPF_H
#define SW_SYSCALLS_BPF_H

#define SW_NR_read		0
#define SW_NR_write		1
#define SW_NR_close		3
#define SW_NR_pwrite64		18
#define SW_NR_readv		19
#define SW_NR_writev		20
#define SW_NR_sendfile		40
#define SW_NR_fcntl		72
#define SW_NR_getppid		110
#define SW_NR_truncate		76
#define SW_NR_ftruncate		77
#define SW_NR_splice		275
#define SW_NR_tee		276
#define SW_NR_vmsplice		278
#define SW_NR_fallocate		285
#define SW_NR_pwritev		296
#define SW_NR_copy_file_range	326
#define SW_NR_preadv2		327
#define SW_NR_pwritev2		328

/* Argument n (1-6) of the syscall whose registers are regs (comments name
 * arguments by these numbers). */
#define SW_ARG1(regs)	((regs)->di)
#define SW_ARG2(regs)	((regs)->si)
#define SW_ARG3(regs)	((regs)->dx)
#define SW_ARG4(regs)	((regs)->r10)
#define SW_ARG5(regs)	((regs)->r8)
#define SW_ARG6(regs)	((regs)->r9)

#endif /* SW_SYSCALLS_BPF_H */
