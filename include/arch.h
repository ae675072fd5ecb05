/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared between the BPF programs and the frontend: what differs between the
 * architectures both are built for (Makefile ARCH=x86 or arm64), beyond the
 * syscall numbers and registers of bpf/lib/syscalls.bpf.h. The programs see
 * __TARGET_ARCH_*, the frontend its compiler's __x86_64__ or __aarch64__.
 */
#ifndef SW_ARCH_H
#define SW_ARCH_H

/* The prefix of the kernel's syscall entry points (SYSCALL_DEFINE wrappers):
 * "vmsplice" is entered as SW_SYS_PREFIX "vmsplice". */
#if defined(__TARGET_ARCH_arm64) || (!defined(__TARGET_ARCH_x86) && defined(__aarch64__))
#define SW_SYS_PREFIX	"__arm64_sys_"
#elif defined(__TARGET_ARCH_x86) || defined(__x86_64__)
#define SW_SYS_PREFIX	"__x64_sys_"
#else
#error "unsupported architecture: build with ARCH=x86 or ARCH=arm64"
#endif

/* The prefix of the entry points of IA-32 syscalls (x86 kernels with IA-32
 * emulation; none on arm64, whose AArch32 tasks enter SW_SYS_PREFIX ones). */
#define SW_IA32_SYS_PREFIX	"__ia32_sys_"

#endif /* SW_ARCH_H */
