/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * IA-32 syscalls (int $0x80) from a 64-bit test program (x86_64 only), as
 * any user can make them on an amd64 kernel with IA-32 emulation: the i386
 * number, the arguments in ebx, ecx, edx, esi, edi, ebp (32 bits each),
 * pointers below 4 GiB.
 */
#ifndef SW_TEST_IA32_SYSCALL_H
#define SW_TEST_IA32_SYSCALL_H

#if defined(__x86_64__)
#include <errno.h>
#include <sys/mman.h>

/* arch/x86/entry/syscalls/syscall_32.tbl */
#define IA32_NR_read		3
#define IA32_NR_writev		146
#define IA32_NR_pwrite64	181
#define IA32_NR_ftruncate64	194
#define IA32_NR_splice		313
#define IA32_NR_vmsplice	316

/* ebp's value, where int $0x80 reads it: not on the stack, which the push
 * of rbp moves. */
static long ia32_arg6;

/* IA-32 syscall nr; -1 with errno set on failure, as libc's syscall(). The
 * entry clears r8-r15 (a 32-bit task has none to keep). */
static inline long ia32_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long ret;

	ia32_arg6 = a6;
	__asm__ volatile("push %%rbp\n\t"
			 "mov %[a6], %%rbp\n\t"
			 "int $0x80\n\t"
			 "pop %%rbp"
			 : "=a"(ret)
			 : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4), "D"(a5), [a6] "m"(ia32_arg6)
			 : "memory", "cc", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

/* A page an IA-32 syscall can point into (below 4 GiB); NULL on failure. */
static inline void *ia32_low_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}
#endif

#endif
