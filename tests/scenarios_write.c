// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Scenarios: every write path into held bytes, and byte precision (what
 * touches held bytes is reported, what does not is not).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <liburing.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "swtest.h"
#include "scenario_lib.h"

/* ---- the write paths, each into held bytes --------------------------------- */

int setup_head_held(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

int setup_pwrite64(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int do_pwrite64(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 0), 8, "pwrite");
}

/* The fd in a register whose high half is set: the kernel takes the low 32
 * bits (an int or unsigned int), and so must the hooks, or the write lands
 * unchecked. */
int do_pwrite64_fd_high_half_set(struct tctx *t)
{
	return child_ok(t, syscall(SYS_pwrite64, (long)t->fd | (1L << 32), W8, 8L, 0L), 8,
			"pwrite64 with the fd's high half set");
}

/* The same pwrite again: each call is checked. A refused write (deny) does
 * not raise the task's write count, so a mark of its check that outlived it
 * would pass the retry as checked, and the retry would land. enforce kills
 * at the first. */
int setup_pwrite64_twice(struct tctx *t)
{
	if (setup_pwrite64(t))
		return -1;
	if (!t->enforce || t->deny)
		t->e->reports = 2;
	return 0;
}

int do_pwrite64_twice(struct tctx *t)
{
	return do_pwrite64(t) || do_pwrite64(t);
}

/* The same from an unprivileged user (uid and gid 65534) with a writable fd
 * of the file: what a hostile local user retries after a refusal. */
int do_pwrite64_twice_as_nobody(struct tctx *t)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		fail(t, "dropping to uid 65534: %s", strerror(errno));
		return 1;
	}
	return do_pwrite64_twice(t);
}

/* Direct I/O: no write loop of the page cache runs (ext4 writes the blocks
 * and drops the cached page, which the pipe keeps with its old bytes), so only
 * the write syscall's own check sees it. What the pipe then delivers is the
 * file system's business: only the file's bytes are checked. */
int setup_direct_pwrite(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	expect_file(t, 0, W8, A8);
	expect_report(t, "pwrite64", 0, PAGE, 0, PAGE, t->pr);
	return 0;
}

int do_direct_pwrite(struct tctx *t)
{
	int fd = open(t->path, O_WRONLY | O_DIRECT);
	void *buf;

	if (fd < 0 || posix_memalign(&buf, PAGE, PAGE)) {
		fail(t, "open O_DIRECT: %s", strerror(errno));
		return 1;
	}
	memset(buf, 'W', PAGE);
	return child_ok(t, pwrite(fd, buf, PAGE, 0), PAGE, "pwrite O_DIRECT");
}

int setup_write(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "write", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int do_write(struct tctx *t)
{
	int fd = open(t->path, O_WRONLY);

	return child_ok(t, write(fd, W8, 8), 8, "write");
}

int setup_writev(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "writev", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int do_writev(struct tctx *t)
{
	struct iovec iov[2] = { { W8, 3 }, { W8, 5 } };
	int fd = open(t->path, O_WRONLY);

	return child_ok(t, writev(fd, iov, 2), 8, "writev");
}

int setup_pwritev(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "pwritev", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int do_pwritev(struct tctx *t)
{
	struct iovec iov[2] = { { W8, 4 }, { W8, 4 } };

	return child_ok(t, pwritev(t->fd, iov, 2, 0), 8, "pwritev");
}

int setup_pwritev2(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "pwritev2", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int do_pwritev2_at_file_position(struct tctx *t)
{
	struct iovec iov = { W8, 8 };
	int fd = open(t->path, O_WRONLY);

	return child_ok(t, pwritev2(fd, &iov, 1, -1, 0), 8, "pwritev2");
}

int setup_copy_file_range(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	t->fd2 = make_file(t, t->path2, "source", PAGE, 'W');
	if (t->fd2 < 0)
		return -1;
	expect_report(t, "copy_file_range", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int do_copy_file_range(struct tctx *t)
{
	loff_t in = 0, out = 0;

	return child_ok(t, copy_file_range(t->fd2, &in, t->fd, &out, 8, 0), 8, "copy_file_range");
}

int setup_splice_into_file(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "splice", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int do_splice_into_file(struct tctx *t)
{
	int p[2];
	loff_t out = 0;

	if (pipe(p) || write(p[1], W8, 8) != 8)
		return fail(t, "pipe"), 1;
	return child_ok(t, splice(p[0], NULL, t->fd, &out, 8, 0), 8, "splice");
}

int setup_sendfile_into_file(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	t->fd2 = make_file(t, t->path2, "source", PAGE, 'W');
	if (t->fd2 < 0)
		return -1;
	expect_report(t, "sendfile", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int do_sendfile_into_file(struct tctx *t)
{
	off_t in = 0;
	int out = open(t->path, O_WRONLY);

	return child_ok(t, sendfile(out, t->fd2, &in, 8), 8, "sendfile");
}

int setup_fallocate(struct tctx *t, const char *op_unused)
{
	(void)op_unused;
	if (held(t, 4 * PAGE, PAGE, PAGE))
		return -1;
	/* Hole punching and zeroing complete even when the caller dies at entry. */
	t->e->prevented = false;
	strcpy(t->e->action, "killed_late");
	return 0;
}

int setup_punch_hole(struct tctx *t)
{
	if (setup_fallocate(t, NULL))
		return -1;
	expect_report(t, "fallocate", PAGE, PAGE, PAGE, PAGE, t->pr);
	expect_file_bytes(t, NULL, PAGE, 8, Z8, A8);
	expect_size(t, 4 * PAGE, 4 * PAGE);
	return 0;
}

int do_punch_hole(struct tctx *t)
{
	return child_ok(t, fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE, PAGE),
			0, "fallocate(PUNCH_HOLE)");
}

int setup_zero_range(struct tctx *t)
{
	if (setup_fallocate(t, NULL))
		return -1;
	expect_report(t, "fallocate", PAGE, PAGE, PAGE, PAGE, t->pr);
	expect_file_bytes(t, NULL, PAGE, 8, Z8, A8);
	expect_size(t, 4 * PAGE, 4 * PAGE);
	return 0;
}

int do_zero_range(struct tctx *t)
{
	return child_ok(t, fallocate(t->fd, FALLOC_FL_ZERO_RANGE, PAGE, PAGE), 0,
			"fallocate(ZERO_RANGE)");
}

int setup_collapse_range(struct tctx *t)
{
	if (setup_fallocate(t, NULL))
		return -1;
	expect_report(t, "fallocate", 0, -1, PAGE, PAGE, t->pr);
	expect_size(t, 3 * PAGE, 4 * PAGE);
	return 0;
}

int setup_insert_range(struct tctx *t)
{
	if (setup_fallocate(t, NULL))
		return -1;
	expect_report(t, "fallocate", 0, -1, PAGE, PAGE, t->pr);
	expect_file_bytes(t, NULL, 0, 8, Z8, A8);
	expect_size(t, 5 * PAGE, 4 * PAGE);
	return 0;
}

int do_collapse_range(struct tctx *t)
{
	return child_ok(t, fallocate(t->fd, FALLOC_FL_COLLAPSE_RANGE, 0, PAGE), 0,
			"fallocate(COLLAPSE_RANGE)");
}

int do_insert_range(struct tctx *t)
{
	return child_ok(t, fallocate(t->fd, FALLOC_FL_INSERT_RANGE, 0, PAGE), 0,
			"fallocate(INSERT_RANGE)");
}

/* A cut of the held file to length by op: every byte from there on, and the
 * call completes even when its writer is killed. */
static int setup_cut(struct tctx *t, const char *op, int64_t length)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	t->e->prevented = false;
	strcpy(t->e->action, "killed_late");
	expect_report(t, op, length, -1, 0, PAGE, t->pr);
	expect_size(t, length, 4 * PAGE);
	return 0;
}

int setup_ftruncate(struct tctx *t)
{
	return setup_cut(t, "ftruncate", 100);
}

int do_ftruncate(struct tctx *t)
{
	return child_ok(t, ftruncate(t->fd, 100), 0, "ftruncate");
}

int setup_truncate_path(struct tctx *t, int64_t length)
{
	return setup_cut(t, "truncate", length);
}

int setup_truncate_into_page(struct tctx *t)
{
	return setup_truncate_path(t, 100);
}

int do_truncate_100(struct tctx *t)
{
	return child_ok(t, truncate(t->path, 100), 0, "truncate");
}

int setup_truncate_to_zero(struct tctx *t)
{
	return setup_truncate_path(t, 0);
}

int do_truncate_0(struct tctx *t)
{
	return child_ok(t, truncate(t->path, 0), 0, "truncate");
}

/* open(O_TRUNC): the file cut to 0 bytes as it is opened, with no length in
 * the call. */
int setup_open_trunc(struct tctx *t)
{
	return setup_cut(t, "open_trunc", 0);
}

static int opened(struct tctx *t, int fd, const char *what)
{
	return child_ok(t, fd < 0 ? -1 : 0, 0, what);
}

int do_open_trunc(struct tctx *t)
{
	return opened(t, open(t->path, O_WRONLY | O_TRUNC), "open(O_TRUNC)");
}

int do_openat2_trunc(struct tctx *t)
{
	struct open_how how = { .flags = O_WRONLY | O_TRUNC };

	return opened(t, syscall(SYS_openat2, AT_FDCWD, t->path, &how, sizeof(how)),
		      "openat2(O_TRUNC)");
}

/* The same from an unprivileged user (uid and gid 65534) the file's mode lets
 * write: a hostile local user's way to empty what a pipe holds. */
int do_open_trunc_as_nobody(struct tctx *t)
{
	int dir = open(t->dir, O_PATH | O_DIRECTORY);

	if (dir < 0 || fchmod(t->fd, 0666) || setgroups(0, NULL) || setgid(65534) ||
	    setuid(65534)) {
		fail(t, "dropping to uid 65534: %s", strerror(errno));
		return 1;
	}
	return opened(t, openat(dir, "data", O_WRONLY | O_TRUNC), "open(O_TRUNC) as uid 65534");
}

/* ---- byte precision ------------------------------------------------------- */

int setup_one_byte_into_range(struct tctx *t)
{
	if (held(t, 4 * PAGE, 100, 100))
		return -1;
	expect_report(t, "pwrite64", 199, 1, 100, 100, t->pr);
	expect_pipe_at(t, t->pr, 99, "W", "A");
	expect_file(t, 199, "W", "A");
	return 0;
}

int do_one_byte_at_199(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, "W", 1, 199), 1, "pwrite");
}

int setup_first_100_bytes_held(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, 100))
		return -1;
	expect_safe(t);
	expect_pipe_at(t, t->pr, 92, A8, A8);
	expect_file(t, 100, W8, NULL);
	return 0;
}

int do_write_bytes_100_to_300(struct tctx *t)
{
	char buf[200];

	memset(buf, 'W', sizeof(buf));
	return child_ok(t, pwrite(t->fd, buf, sizeof(buf), 100), 200, "pwrite");
}

int setup_safe_head_held(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	expect_safe(t);
	expect_pipe(t, t->pr, A8, A8);
	return 0;
}

int setup_another_page(struct tctx *t)
{
	if (setup_safe_head_held(t))
		return -1;
	expect_file(t, 2 * PAGE, W8, NULL);
	return 0;
}

int setup_another_file(struct tctx *t)
{
	char path[600];

	if (setup_safe_head_held(t))
		return -1;
	snprintf(path, sizeof(path), "%s/other", t->dir);
	expect_file_bytes(t, path, 0, 8, W8, NULL);
	return 0;
}

/* The pipe delivers the held page, then the bytes written into the pipe; the
 * file is left alone. */
int setup_write_into_pipe(struct tctx *t)
{
	if (setup_safe_head_held(t))
		return -1;
	expect_pipe_at(t, t->pr, PAGE - 8, A8 W8, A8 W8);
	expect_file(t, 0, A8, NULL);
	return 0;
}

int setup_copy_out(struct tctx *t)
{
	char path[600];

	if (setup_safe_head_held(t))
		return -1;
	snprintf(path, sizeof(path), "%s/copy", t->dir);
	expect_file_bytes(t, path, 2 * PAGE - 8, 8, A8, NULL);
	return 0;
}

int do_write_another_page(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 2 * PAGE), 8, "pwrite");
}

int do_write_another_file(struct tctx *t)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/other", t->dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	return child_ok(t, pwrite(fd, W8, 8, 0), 8, "pwrite");
}

int do_write_into_a_pipe(struct tctx *t)
{
	return child_ok(t, write(t->pw, W8, 8), 8, "write to pipe");
}

int do_copy_file_range_without_pipe(struct tctx *t)
{
	char path[600];
	loff_t in = 0, out = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/copy", t->dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	return child_ok(t, copy_file_range(t->fd, &in, fd, &out, 2 * PAGE, 0), 2 * PAGE,
			"copy_file_range");
}

int setup_append(struct tctx *t)
{
	if (held(t, PAGE + 100, PAGE, 100))	/* the last, partial page */
		return -1;
	lseek(t->fd, 0, SEEK_SET);
	expect_safe(t);
	expect_pipe(t, t->pr, A8, A8);
	expect_file(t, PAGE + 100, W8, NULL);
	expect_size(t, PAGE + 108, PAGE + 108);
	return 0;
}

int do_append(struct tctx *t)
{
	int fd = open(t->path, O_WRONLY | O_APPEND);

	return child_ok(t, write(fd, W8, 8), 8, "O_APPEND write");
}
