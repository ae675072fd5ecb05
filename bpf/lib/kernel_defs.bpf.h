/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel constants the programs test against: macros in the kernel's headers,
 * so vmlinux.h (types and enums only) does not carry them. Stable UAPI or
 * long-stable kernel values; named here so no program holds a bare number.
 */
#ifndef SW_KERNEL_DEFS_BPF_H
#define SW_KERNEL_DEFS_BPF_H

/* inode->i_mode file types (include/uapi/linux/stat.h) */
#ifndef S_IFMT
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define S_IFREG		0100000
#define S_IFBLK		0060000
#define S_IFIFO		0010000
#endif

/* open(2) and pwritev2(2) flags (the same on x86 and arm64) */
#define O_TRUNC		01000
#define O_APPEND	02000
#define RWF_APPEND	0x10

/* fallocate(2) modes */
#define FALLOC_FL_PUNCH_HOLE		0x02
#define FALLOC_FL_COLLAPSE_RANGE	0x08
#define FALLOC_FL_ZERO_RANGE		0x10
#define FALLOC_FL_INSERT_RANGE		0x20

/* fcntl(2): F_LINUX_SPECIFIC_BASE + 7 */
#define F_SETPIPE_SZ	1031
#define F_GETPIPE_SZ	1032

#define SIGKILL		9

/* errno values */
#define EPERM		1
#define EXDEV		18
#define EINVAL		22
#define ENOSYS		38
#define EOPNOTSUPP	95

/* do_truncate's time_attrs: the cut of open(O_TRUNC) (include/linux/fs.h) */
#define ATTR_OPEN	(1 << 15)

/* LSM permission mask (include/linux/fs.h) */
#define MAY_WRITE	2

/* rw_verify_area's read_write (include/linux/kernel.h) */
#define SW_RW_WRITE	1

/* task_struct->flags: a kernel thread */
#define PF_KTHREAD	0x00200000

/* The low bits of page->mapping tag anonymous, movable and KSM pages. */
#define PAGE_MAPPING_FLAGS	3UL

/* io_uring opcodes (enum io_uring_op, UAPI) that fill pipes */
#define IORING_OP_SPLICE	30
#define IORING_OP_TEE		33

#endif /* SW_KERNEL_DEFS_BPF_H */
