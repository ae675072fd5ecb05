// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * IA-32 syscalls (int $0x80) from this 64-bit program, which any user can
 * make on an amd64 kernel with IA-32 emulation: the i386 number, the
 * arguments in ebx, ecx, edx, esi, edi, ebp (32 bits each: the kernel drops
 * the registers' high halves), 64-bit offsets in two. Hooks that decode
 * syscalls by the native numbers and registers must decode these too.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "scenario_lib.h"
#include "ia32_syscall.h"

#if defined(__x86_64__)

static void *low_page(struct tctx *t)
{
	void *p = ia32_low_page();

	if (!p) {
		fail(t, "mmap(MAP_32BIT): %s", strerror(errno));
		return NULL;
	}
	return p;
}

/* pwrite64 of 8 bytes at 0 from uid 65534, its fd's register with the high
 * half set (ignored by the kernel). */
int do_ia32_pwrite64_as_nobody(struct tctx *t)
{
	char *buf = low_page(t);

	if (!buf)
		return 1;
	memcpy(buf, W8, 8);
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		fail(t, "dropping to uid 65534: %s", strerror(errno));
		return 1;
	}
	return child_ok(t, ia32_syscall(IA32_NR_pwrite64, (long)t->fd | (1L << 32), (long)buf, 8, 0, 0, 0),
			8, "IA-32 pwrite64");
}

/* writev of 3 + 5 bytes at the file position (0): two struct iovec of an
 * IA-32 task, 8 bytes each. */
int do_ia32_writev(struct tctx *t)
{
	uint32_t *iov = low_page(t);
	int fd = open(t->path, O_WRONLY);

	if (!iov || fd < 0)
		return 1;
	memcpy(iov + 8, W8, 8);
	iov[0] = (uint32_t)(uintptr_t)(iov + 8);
	iov[1] = 3;
	iov[2] = (uint32_t)(uintptr_t)(iov + 8) + 3;
	iov[3] = 5;
	return child_ok(t, ia32_syscall(IA32_NR_writev, fd, (long)iov, 2, 0, 0, 0), 8, "IA-32 writev");
}

/* ftruncate64 to 100: the length's low half, then its high half. */
int do_ia32_ftruncate64(struct tctx *t)
{
	return child_ok(t, ia32_syscall(IA32_NR_ftruncate64, t->fd, 100, 0, 0, 0, 0), 0,
			"IA-32 ftruncate64");
}

/* The head page of a new file held by an IA-32 splice (its offset a 64-bit
 * value in memory below 4 GiB); a native pwrite64 into it is reported. */
int setup_ia32_splice_hold(struct tctx *t)
{
	int64_t *off = low_page(t);

	if (!off || new_file_and_pipe(t))
		return -1;
	*off = 0;
	if (ia32_syscall(IA32_NR_splice, t->fd, (long)off, t->pw, 0, PAGE, 0) != PAGE)
		return fail(t, "IA-32 splice: %s", strerror(errno));
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	return 0;
}

/* The head page of a new file's shared mapping (below 4 GiB) vmspliced by an
 * IA-32 task (one struct iovec of 8 bytes); a native pwrite64 into it is
 * reported. */
int setup_ia32_vmsplice_hold(struct tctx *t)
{
	uint32_t *iov = low_page(t);

	if (!iov || new_file_and_pipe(t))
		return -1;
	t->map_len = 4 * PAGE;
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_32BIT, t->fd, 0);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		return fail(t, "mmap(MAP_32BIT): %s", strerror(errno));
	}
	iov[0] = (uint32_t)(uintptr_t)t->map;
	iov[1] = PAGE;
	if (ia32_syscall(IA32_NR_vmsplice, t->pw, (long)iov, 1, 0, 0, 0) != PAGE)
		return fail(t, "IA-32 vmsplice: %s", strerror(errno));
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

#endif
