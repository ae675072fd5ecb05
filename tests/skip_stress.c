// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * skip_stress MODE N FILE: N unsafe writes, each into a page a pipe holds
 * through one way of filling pipes, to count how many splicewatch detects
 * while the kernel skips syscall-hook runs (tests/vm/skip-stress.sh).
 *
 * Every iteration makes fresh pipes, puts page 0 of FILE into one (MODE
 * below), writes one byte of it with pwrite64 and closes the pipes: exactly
 * one unsafe write per iteration. The process is named "ss-MODE" so its
 * events can be counted apart.
 *
 *   write     splice FILE -> pipe
 *   tee       splice FILE -> A, tee A -> B, drain A: only B holds it
 *   vmsplice  vmsplice a MAP_SHARED mapping of FILE into the pipe
 *   resize    splice FILE -> pipe, then F_SETPIPE_SZ (renumbers the ring)
 *   p2p       splice FILE -> A, splice A -> B (moves the buffer to B)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096

static void die(const char *what)
{
	fprintf(stderr, "skip_stress: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void drain(int fd)
{
	char buf[PAGE];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int main(int argc, char **argv)
{
	char name[16], page[PAGE];
	const char *mode;
	void *map = NULL;
	long n, i;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: skip_stress write|tee|vmsplice|resize|p2p N FILE\n");
		return 2;
	}
	mode = argv[1];
	n = atol(argv[2]);
	snprintf(name, sizeof(name), "ss-%s", mode);
	prctl(PR_SET_NAME, name);
	fd = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open");
	memset(page, 'a', sizeof(page));
	if (pwrite(fd, page, PAGE, 0) != PAGE)
		die("pwrite setup");
	if (!strcmp(mode, "vmsplice")) {
		map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			die("mmap");
	}
	for (i = 0; i < n; i++) {
		int a[2], b[2] = { -1, -1 };
		loff_t off = 0;

		if (pipe2(a, O_NONBLOCK))
			die("pipe");
		if (!strcmp(mode, "vmsplice")) {
			struct iovec iov = { .iov_base = map, .iov_len = PAGE };

			if (vmsplice(a[1], &iov, 1, 0) != PAGE)
				die("vmsplice");
		} else if (splice(fd, &off, a[1], NULL, PAGE, 0) != PAGE) {
			die("splice");
		}
		if (!strcmp(mode, "tee") || !strcmp(mode, "p2p")) {
			if (pipe2(b, O_NONBLOCK))
				die("pipe");
			if (!strcmp(mode, "tee")) {
				if (tee(a[0], b[1], PAGE, 0) != PAGE)
					die("tee");
				drain(a[0]);
			} else if (splice(a[0], NULL, b[1], NULL, PAGE, 0) != PAGE) {
				die("splice pipe to pipe");
			}
		}
		if (!strcmp(mode, "resize") && fcntl(a[1], F_SETPIPE_SZ, 1 << 20) < (1 << 20))
			die("F_SETPIPE_SZ");
		/* The unsafe write: one byte of the held page. */
		if (pwrite(fd, "x", 1, i % PAGE) != 1)
			die("pwrite");
		close(a[0]);
		close(a[1]);
		if (b[0] >= 0) {
			close(b[0]);
			close(b[1]);
		}
	}
	printf("expected %s %ld\n", mode, n);
	return 0;
}
