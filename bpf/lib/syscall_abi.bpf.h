/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI of the syscall a task is in. On x86 any task can make IA-32
 * syscalls (an IA-32 program, or int $0x80 from a 64-bit one; TS_COMPAT is
 * set in its thread_info while it is in one): the number is the i386 one,
 * the arguments are in bx, cx, dx, si, di and bp, each taken as 32 bits
 * (the kernel's ia32 wrappers truncate the registers), and a 64-bit offset
 * comes in two of them, low first. sw_syscall() names either kind by its
 * native number; SW_SYS_ARGn(regs, ia32) is argument n as the kernel takes
 * it; sw_sys_off() a 64-bit offset.
 *
 * arm64: AArch32 tasks are not decoded (docs/design.md, "Known limit: 32-bit
 * system calls"); ia32 is always false there.
 */
#ifndef SW_SYSCALL_ABI_BPF_H
#define SW_SYSCALL_ABI_BPF_H

#include "syscalls.bpf.h"
#include "compat.bpf.h"

#if defined(__TARGET_ARCH_x86)

#define SW_TS_COMPAT	0x0002	/* arch/x86/include/asm/thread_info.h */

/* arch/x86/entry/syscalls/syscall_32.tbl */
#define SW_IA32_NR_read			3
#define SW_IA32_NR_write		4
#define SW_IA32_NR_open			5
#define SW_IA32_NR_close		6
#define SW_IA32_NR_creat		8
#define SW_IA32_NR_execve		11
#define SW_IA32_NR_fcntl		55
#define SW_IA32_NR_dup2			63
#define SW_IA32_NR_truncate		92
#define SW_IA32_NR_ftruncate		93
#define SW_IA32_NR_readv		145
#define SW_IA32_NR_writev		146
#define SW_IA32_NR_pwrite64		181
#define SW_IA32_NR_sendfile		187
#define SW_IA32_NR_truncate64		193
#define SW_IA32_NR_ftruncate64		194
#define SW_IA32_NR_fcntl64		221
#define SW_IA32_NR_sendfile64		239
#define SW_IA32_NR_openat		295
#define SW_IA32_NR_splice		313
#define SW_IA32_NR_tee			315
#define SW_IA32_NR_vmsplice		316
#define SW_IA32_NR_fallocate		324
#define SW_IA32_NR_dup3			330
#define SW_IA32_NR_pwritev		334
#define SW_IA32_NR_execveat		358
#define SW_IA32_NR_copy_file_range	377
#define SW_IA32_NR_preadv2		378
#define SW_IA32_NR_pwritev2		379
#define SW_IA32_NR_close_range		436
#define SW_IA32_NR_openat2		437

/* The native number of IA-32 syscall nr, for those splicewatch decodes;
 * -1 for the others. */
static __always_inline long sw_native_of_ia32(long nr)
{
	switch (nr) {
	case SW_IA32_NR_read: return SW_NR_read;
	case SW_IA32_NR_write: return SW_NR_write;
	case SW_IA32_NR_open: return SW_NR_open;
	case SW_IA32_NR_close: return SW_NR_close;
	case SW_IA32_NR_creat: return SW_NR_creat;
	case SW_IA32_NR_execve: return SW_NR_execve;
	case SW_IA32_NR_fcntl: case SW_IA32_NR_fcntl64: return SW_NR_fcntl;
	case SW_IA32_NR_dup2: return SW_NR_dup2;
	case SW_IA32_NR_truncate: case SW_IA32_NR_truncate64: return SW_NR_truncate;
	case SW_IA32_NR_ftruncate: case SW_IA32_NR_ftruncate64: return SW_NR_ftruncate;
	case SW_IA32_NR_readv: return SW_NR_readv;
	case SW_IA32_NR_writev: return SW_NR_writev;
	case SW_IA32_NR_pwrite64: return SW_NR_pwrite64;
	case SW_IA32_NR_sendfile: case SW_IA32_NR_sendfile64: return SW_NR_sendfile;
	case SW_IA32_NR_openat: return SW_NR_openat;
	case SW_IA32_NR_splice: return SW_NR_splice;
	case SW_IA32_NR_tee: return SW_NR_tee;
	case SW_IA32_NR_vmsplice: return SW_NR_vmsplice;
	case SW_IA32_NR_fallocate: return SW_NR_fallocate;
	case SW_IA32_NR_dup3: return SW_NR_dup3;
	case SW_IA32_NR_pwritev: return SW_NR_pwritev;
	case SW_IA32_NR_execveat: return SW_NR_execveat;
	case SW_IA32_NR_copy_file_range: return SW_NR_copy_file_range;
	case SW_IA32_NR_preadv2: return SW_NR_preadv2;
	case SW_IA32_NR_pwritev2: return SW_NR_pwritev2;
	case SW_IA32_NR_close_range: return SW_NR_close_range;
	case SW_IA32_NR_openat2: return SW_NR_openat2;
	}
	return -1;
}

/* The native syscalls splicewatch decodes: a task in one of these numbers
 * (or in an IA-32 one above) must be asked which ABI it is in. */
static __always_inline bool sw_native_decoded(long nr)
{
	switch (nr) {
	case SW_NR_read: case SW_NR_write: case SW_NR_open: case SW_NR_close:
	case SW_NR_pwrite64: case SW_NR_readv: case SW_NR_writev: case SW_NR_sendfile:
	case SW_NR_fcntl: case SW_NR_truncate: case SW_NR_ftruncate: case SW_NR_creat:
	case SW_NR_splice: case SW_NR_tee: case SW_NR_vmsplice: case SW_NR_openat:
	case SW_NR_fallocate: case SW_NR_pwritev: case SW_NR_copy_file_range:
	case SW_NR_preadv2: case SW_NR_pwritev2: case SW_NR_openat2: case SW_NR_dup2:
	case SW_NR_dup3: case SW_NR_execve: case SW_NR_execveat: case SW_NR_close_range:
		return true;
	}
	return false;
}

static __always_inline bool sw_in_ia32(void)
{
	return BPF_CORE_READ(sw_current_task(), thread_info.status) & SW_TS_COMPAT;
}

/* The native number of syscall id (sys_enter's, or a pt_regs' orig_ax) as
 * the current task makes it; *ia32: an IA-32 syscall (-1 when splicewatch
 * does not decode it). Asks the task only for numbers that matter. */
static __always_inline long sw_syscall(long id, bool *ia32)
{
	long native = sw_native_of_ia32(id);

	*ia32 = false;
	if (native < 0 && !sw_native_decoded(id))
		return id;
	*ia32 = sw_in_ia32();
	return *ia32 ? native : id;
}

#define SW_SYS_ARG1(regs, ia32)	((ia32) ? (u64)(u32)(regs)->bx : (u64)SW_ARG1(regs))
#define SW_SYS_ARG2(regs, ia32)	((ia32) ? (u64)(u32)(regs)->cx : (u64)SW_ARG2(regs))
#define SW_SYS_ARG3(regs, ia32)	((ia32) ? (u64)(u32)(regs)->dx : (u64)SW_ARG3(regs))
#define SW_SYS_ARG4(regs, ia32)	((ia32) ? (u64)(u32)(regs)->si : (u64)SW_ARG4(regs))
#define SW_SYS_ARG5(regs, ia32)	((ia32) ? (u64)(u32)(regs)->di : (u64)SW_ARG5(regs))
#define SW_SYS_ARG6(regs, ia32)	((ia32) ? (u64)(u32)(regs)->bp : (u64)SW_ARG6(regs))

/* A 64-bit argument: native, argument n; IA-32, arguments n (low) and n+1. */
#define SW_SYS_OFF(regs, ia32, n)						\
	((ia32) ? (s64)(SW_SYS_ARG##n(regs, true) |				\
			(sw_ia32_next_##n(regs) << 32)) : (s64)SW_ARG##n(regs))
#define sw_ia32_next_2(regs)	((u64)(u32)(regs)->dx)
#define sw_ia32_next_3(regs)	((u64)(u32)(regs)->si)
#define sw_ia32_next_4(regs)	((u64)(u32)(regs)->di)
#define sw_ia32_next_5(regs)	((u64)(u32)(regs)->bp)

#else /* arm64 */

static __always_inline long sw_syscall(long id, bool *ia32)
{
	*ia32 = false;
	return id;
}

static __always_inline bool sw_in_ia32(void)
{
	return false;
}

#define SW_SYS_ARG1(regs, ia32)	((u64)SW_ARG1(regs))
#define SW_SYS_ARG2(regs, ia32)	((u64)SW_ARG2(regs))
#define SW_SYS_ARG3(regs, ia32)	((u64)SW_ARG3(regs))
#define SW_SYS_ARG4(regs, ia32)	((u64)SW_ARG4(regs))
#define SW_SYS_ARG5(regs, ia32)	((u64)SW_ARG5(regs))
#define SW_SYS_ARG6(regs, ia32)	((u64)SW_ARG6(regs))
#define SW_SYS_OFF(regs, ia32, n)	((s64)SW_ARG##n(regs))

#endif

#endif /* SW_SYSCALL_ABI_BPF_H */
