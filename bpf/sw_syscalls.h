/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* x86_64 system call numbers the programs dispatch on (arch/x86/entry/syscalls/syscall_64.tbl). */
#ifndef SW_SYSCALLS_H
#define SW_SYSCALLS_H

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

#endif
