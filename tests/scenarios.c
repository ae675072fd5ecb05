// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Scenarios: each puts page-cache pages into a pipe in setup() (run by the test
 * process, which is the splicer) and makes one write in write() (run by a forked
 * writer). Each states what splicewatch must report and what the pipe must then
 * deliver. Names say what they prove.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
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

#define PAGE 4096
#define W8 "WWWWWWWW"
#define A8 "AAAAAAAA"

int fail(struct tctx *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->e->failure, sizeof(t->e->failure), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(t->e->failure) - 40)
		snprintf(t->e->failure + n, sizeof(t->e->failure) - n, " (%s)", strerror(errno));
	return -1;
}

static int make_file(struct tctx *t, char *path, const char *name, size_t size, char fill)
{
	char *buf = malloc(size);
	int fd;

	snprintf(path, 512, "%s/%s", t->dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || !buf)
		return fail(t, "open %s", path);
	memset(buf, fill, size);
	if (write(fd, buf, size) != (ssize_t)size)
		return fail(t, "write %s", path);
	free(buf);
	return fd;
}

static int splice_in(struct tctx *t, int fd, loff_t off, size_t len, int pw)
{
	ssize_t n = splice(fd, &off, pw, NULL, len, 0);

	if (n != (ssize_t)len)
		return fail(t, "splice %zu bytes at %lld returned %zd", len, (long long)off, n);
	return 0;
}

/* A file of `size` 'A' bytes and a pipe holding [off, off+len) of it. */
static int held(struct tctx *t, size_t size, loff_t off, size_t len)
{
	int p[2];

	t->fd = make_file(t, t->path, "data", size, 'A');
	if (t->fd < 0)
		return -1;
	if (pipe(p))
		return fail(t, "pipe");
	t->pr = p[0];
	t->pw = p[1];
	return splice_in(t, t->fd, off, len, t->pw);
}

static uint64_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* The writer must be reported: `op` writing [woff, woff+wlen) (wlen -1: to EOF),
 * overlapping the held [hoff, hoff+hlen) of the file at t->path in pipe `pr`. */
static void expect_report(struct tctx *t, const char *op, int64_t woff, int64_t wlen,
			  int64_t hoff, int64_t hlen, int pr)
{
	struct expect *e = t->e;
	struct stat st;

	e->reports = 1;
	snprintf(e->op, sizeof(e->op), "%s", op);
	fstat(t->fd, &st);
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	snprintf(e->path, sizeof(e->path), "%s", t->path);
	e->write_offset = woff;
	e->write_len = wlen;
	e->held_offset = hoff;
	e->held_len = hlen;
	e->pipe_ino = fd_ino(pr);
	e->splicer_pid = getpid();
	prctl(PR_GET_NAME, e->splicer_comm);
}

bool write_lands(const struct tctx *t)
{
	/* run_one sets prevented for every report under --action deny. */
	return !(t->enforce && t->e->reports && t->e->prevented);
}

/* What the pipe reader gets after `skip` bytes: `landed` if the write lands
 * (write_lands), else `original`, the bytes spliced. */
static void expect_pipe_at(struct tctx *t, int pr, int64_t skip, const char *landed,
			   const char *original)
{
	struct expect *e = t->e;

	e->pipe_fd = pr;
	e->pipe_skip = skip;
	e->pipe_len = strlen(landed);
	if (strlen(original) != strlen(landed) || (size_t)e->pipe_len > sizeof(e->pipe_landed))
		abort();	/* a mistake in a scenario */
	memcpy(e->pipe_landed, landed, e->pipe_len);
	memcpy(e->pipe_original, original, e->pipe_len);
}

static void expect_pipe(struct tctx *t, int pr, const char *landed, const char *original)
{
	expect_pipe_at(t, pr, 0, landed, original);
}

/* The len bytes at off of path (NULL: t->path) afterwards: `landed` if the
 * write lands, else `original`; original NULL: the write always lands (or
 * goes elsewhere), the file must read `landed`. */
static void expect_file_bytes(struct tctx *t, const char *path, int64_t off, int len,
			      const char *landed, const char *original)
{
	struct expect *e = t->e;

	if ((size_t)len > sizeof(e->file_landed))
		abort();
	snprintf(e->file_path, sizeof(e->file_path), "%s", path ? path : t->path);
	e->file_off = off;
	e->file_len = len;
	memcpy(e->file_landed, landed, len);
	memcpy(e->file_original, original ? original : landed, len);
}

static void expect_file(struct tctx *t, int64_t off, const char *landed, const char *original)
{
	expect_file_bytes(t, NULL, off, strlen(landed), landed, original);
}

/* The file's size afterwards, as expect_file. */
static void expect_size(struct tctx *t, int64_t landed, int64_t original)
{
	t->e->size_landed = landed;
	t->e->size_original = original;
}

#define Z8 "\0\0\0\0\0\0\0\0"

/* The write must land on the file and stay in the pipe without a report. */
static void expect_safe(struct tctx *t)
{
	t->e->reports = 0;
}

static int child_ok(struct tctx *t, ssize_t got, ssize_t want, const char *what)
{
	/* Under --action deny the unsafe write must fail with EPERM instead. */
	if (t->deny && t->e->reports && got == -1 && errno == EPERM) {
		t->e->denied_seen = true;
		return 0;
	}
	if (got != want) {
		fail(t, "%s returned %zd, want %zd", what, got, want);
		return 1;
	}
	return 0;
}

/* ---- the write paths, each into held bytes --------------------------------- */

static int setup_head_held(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

static int setup_pwrite64(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	return 0;
}

static int do_pwrite64(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 0), 8, "pwrite");
}

static int setup_write(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "write", 0, 8, 0, PAGE, t->pr);
	return 0;
}

static int do_write(struct tctx *t)
{
	int fd = open(t->path, O_WRONLY);

	return child_ok(t, write(fd, W8, 8), 8, "write");
}

static int setup_writev(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "writev", 0, 8, 0, PAGE, t->pr);
	return 0;
}

static int do_writev(struct tctx *t)
{
	struct iovec iov[2] = { { W8, 3 }, { W8, 5 } };
	int fd = open(t->path, O_WRONLY);

	return child_ok(t, writev(fd, iov, 2), 8, "writev");
}

static int setup_pwritev(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "pwritev", 0, 8, 0, PAGE, t->pr);
	return 0;
}

static int do_pwritev(struct tctx *t)
{
	struct iovec iov[2] = { { W8, 4 }, { W8, 4 } };

	return child_ok(t, pwritev(t->fd, iov, 2, 0), 8, "pwritev");
}

static int setup_pwritev2(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "pwritev2", 0, 8, 0, PAGE, t->pr);
	return 0;
}

static int do_pwritev2_at_file_position(struct tctx *t)
{
	struct iovec iov = { W8, 8 };
	int fd = open(t->path, O_WRONLY);

	return child_ok(t, pwritev2(fd, &iov, 1, -1, 0), 8, "pwritev2");
}

static int setup_copy_file_range(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	t->fd2 = make_file(t, t->path2, "source", PAGE, 'W');
	if (t->fd2 < 0)
		return -1;
	expect_report(t, "copy_file_range", 0, 8, 0, PAGE, t->pr);
	return 0;
}

static int do_copy_file_range(struct tctx *t)
{
	loff_t in = 0, out = 0;

	return child_ok(t, copy_file_range(t->fd2, &in, t->fd, &out, 8, 0), 8, "copy_file_range");
}

static int setup_splice_into_file(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "splice", 0, 8, 0, PAGE, t->pr);
	return 0;
}

static int do_splice_into_file(struct tctx *t)
{
	int p[2];
	loff_t out = 0;

	if (pipe(p) || write(p[1], W8, 8) != 8)
		return fail(t, "pipe"), 1;
	return child_ok(t, splice(p[0], NULL, t->fd, &out, 8, 0), 8, "splice");
}

static int setup_sendfile_into_file(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	t->fd2 = make_file(t, t->path2, "source", PAGE, 'W');
	if (t->fd2 < 0)
		return -1;
	expect_report(t, "sendfile", 0, 8, 0, PAGE, t->pr);
	return 0;
}

static int do_sendfile_into_file(struct tctx *t)
{
	off_t in = 0;
	int out = open(t->path, O_WRONLY);

	return child_ok(t, sendfile(out, t->fd2, &in, 8), 8, "sendfile");
}

static int setup_fallocate(struct tctx *t, const char *op_unused)
{
	(void)op_unused;
	if (held(t, 4 * PAGE, PAGE, PAGE))
		return -1;
	/* Hole punching and zeroing complete even when the caller dies at entry. */
	t->e->prevented = false;
	strcpy(t->e->action, "killed_late");
	return 0;
}

static int setup_punch_hole(struct tctx *t)
{
	if (setup_fallocate(t, NULL))
		return -1;
	expect_report(t, "fallocate", PAGE, PAGE, PAGE, PAGE, t->pr);
	expect_file_bytes(t, NULL, PAGE, 8, Z8, A8);
	expect_size(t, 4 * PAGE, 4 * PAGE);
	return 0;
}

static int do_punch_hole(struct tctx *t)
{
	return child_ok(t, fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE, PAGE),
			0, "fallocate(PUNCH_HOLE)");
}

static int setup_zero_range(struct tctx *t)
{
	if (setup_fallocate(t, NULL))
		return -1;
	expect_report(t, "fallocate", PAGE, PAGE, PAGE, PAGE, t->pr);
	expect_file_bytes(t, NULL, PAGE, 8, Z8, A8);
	expect_size(t, 4 * PAGE, 4 * PAGE);
	return 0;
}

static int do_zero_range(struct tctx *t)
{
	return child_ok(t, fallocate(t->fd, FALLOC_FL_ZERO_RANGE, PAGE, PAGE), 0,
			"fallocate(ZERO_RANGE)");
}

static int setup_collapse_range(struct tctx *t)
{
	if (setup_fallocate(t, NULL))
		return -1;
	expect_report(t, "fallocate", 0, -1, PAGE, PAGE, t->pr);
	expect_size(t, 3 * PAGE, 4 * PAGE);
	return 0;
}

static int setup_insert_range(struct tctx *t)
{
	if (setup_fallocate(t, NULL))
		return -1;
	expect_report(t, "fallocate", 0, -1, PAGE, PAGE, t->pr);
	expect_file_bytes(t, NULL, 0, 8, Z8, A8);
	expect_size(t, 5 * PAGE, 4 * PAGE);
	return 0;
}

static int do_collapse_range(struct tctx *t)
{
	return child_ok(t, fallocate(t->fd, FALLOC_FL_COLLAPSE_RANGE, 0, PAGE), 0,
			"fallocate(COLLAPSE_RANGE)");
}

static int do_insert_range(struct tctx *t)
{
	return child_ok(t, fallocate(t->fd, FALLOC_FL_INSERT_RANGE, 0, PAGE), 0,
			"fallocate(INSERT_RANGE)");
}

static int setup_ftruncate(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	t->e->prevented = false;
	strcpy(t->e->action, "killed_late");
	expect_report(t, "ftruncate", 100, -1, 0, PAGE, t->pr);
	expect_size(t, 100, 4 * PAGE);
	return 0;
}

static int do_ftruncate(struct tctx *t)
{
	return child_ok(t, ftruncate(t->fd, 100), 0, "ftruncate");
}

static int setup_truncate_path(struct tctx *t, int64_t length)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	t->e->prevented = false;
	strcpy(t->e->action, "killed_late");
	expect_report(t, "truncate", length, -1, 0, PAGE, t->pr);
	expect_size(t, length, 4 * PAGE);
	return 0;
}

static int setup_truncate_into_page(struct tctx *t)
{
	return setup_truncate_path(t, 100);
}

static int do_truncate_100(struct tctx *t)
{
	return child_ok(t, truncate(t->path, 100), 0, "truncate");
}

static int setup_truncate_to_zero(struct tctx *t)
{
	return setup_truncate_path(t, 0);
}

static int do_truncate_0(struct tctx *t)
{
	return child_ok(t, truncate(t->path, 0), 0, "truncate");
}

/* ---- byte precision ------------------------------------------------------- */

static int setup_one_byte_into_range(struct tctx *t)
{
	if (held(t, 4 * PAGE, 100, 100))
		return -1;
	expect_report(t, "pwrite64", 199, 1, 100, 100, t->pr);
	expect_pipe_at(t, t->pr, 99, "W", "A");
	expect_file(t, 199, "W", "A");
	return 0;
}

static int do_one_byte_at_199(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, "W", 1, 199), 1, "pwrite");
}

static int setup_first_100_bytes_held(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, 100))
		return -1;
	expect_safe(t);
	expect_pipe_at(t, t->pr, 92, A8, A8);
	expect_file(t, 100, W8, NULL);
	return 0;
}

static int do_write_bytes_100_to_300(struct tctx *t)
{
	char buf[200];

	memset(buf, 'W', sizeof(buf));
	return child_ok(t, pwrite(t->fd, buf, sizeof(buf), 100), 200, "pwrite");
}

static int setup_safe_head_held(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	expect_safe(t);
	expect_pipe(t, t->pr, A8, A8);
	return 0;
}

static int setup_another_page(struct tctx *t)
{
	if (setup_safe_head_held(t))
		return -1;
	expect_file(t, 2 * PAGE, W8, NULL);
	return 0;
}

static int setup_another_file(struct tctx *t)
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
static int setup_write_into_pipe(struct tctx *t)
{
	if (setup_safe_head_held(t))
		return -1;
	expect_pipe_at(t, t->pr, PAGE - 8, A8 W8, A8 W8);
	expect_file(t, 0, A8, NULL);
	return 0;
}

static int setup_copy_out(struct tctx *t)
{
	char path[600];

	if (setup_safe_head_held(t))
		return -1;
	snprintf(path, sizeof(path), "%s/copy", t->dir);
	expect_file_bytes(t, path, 2 * PAGE - 8, 8, A8, NULL);
	return 0;
}

static int do_write_another_page(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 2 * PAGE), 8, "pwrite");
}

static int do_write_another_file(struct tctx *t)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/other", t->dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	return child_ok(t, pwrite(fd, W8, 8, 0), 8, "pwrite");
}

static int do_write_into_a_pipe(struct tctx *t)
{
	return child_ok(t, write(t->pw, W8, 8), 8, "write to pipe");
}

static int do_copy_file_range_without_pipe(struct tctx *t)
{
	char path[600];
	loff_t in = 0, out = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/copy", t->dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	return child_ok(t, copy_file_range(t->fd, &in, fd, &out, 2 * PAGE, 0), 2 * PAGE,
			"copy_file_range");
}

static int setup_append(struct tctx *t)
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

static int do_append(struct tctx *t)
{
	int fd = open(t->path, O_WRONLY | O_APPEND);

	return child_ok(t, write(fd, W8, 8), 8, "O_APPEND write");
}

/* ---- releases: after these nothing may be reported ----------------------- */

static int setup_drained_by_read(struct tctx *t)
{
	char buf[PAGE];

	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	if (read(t->pr, buf, PAGE) != PAGE)
		return fail(t, "read pipe");
	expect_safe(t);
	expect_file(t, 0, W8, NULL);
	return 0;
}

static int setup_drained_by_splice(struct tctx *t)
{
	int null = open("/dev/null", O_WRONLY);

	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	if (splice(t->pr, NULL, null, NULL, PAGE, 0) != PAGE)
		return fail(t, "splice to /dev/null");
	close(null);
	expect_safe(t);
	expect_file(t, 0, W8, NULL);
	return 0;
}

static int setup_pipe_closed(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	close(t->pr);
	close(t->pw);
	t->pr = t->pw = -1;
	expect_safe(t);
	expect_file(t, 0, W8, NULL);
	return 0;
}

static int setup_splicer_exited(struct tctx *t)
{
	pid_t pid;
	int status;

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int p[2];

		if (pipe(p) || splice(t->fd, &(loff_t){ 0 }, p[1], NULL, PAGE, 0) != PAGE)
			_exit(1);
		_exit(0);	/* the pipe dies with us */
	}
	waitpid(pid, &status, 0);
	if (status)
		return fail(t, "splicer child failed");
	expect_safe(t);
	expect_file(t, 0, W8, NULL);
	return 0;
}

static int setup_partially_read(struct tctx *t)
{
	char buf[1000];

	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	if (read(t->pr, buf, sizeof(buf)) != sizeof(buf))
		return fail(t, "read pipe");
	return 0;
}

static int setup_partial_read_consumed_bytes(struct tctx *t)
{
	if (setup_partially_read(t))
		return -1;
	expect_safe(t);
	expect_pipe(t, t->pr, A8, A8);
	expect_file(t, 500, W8, NULL);
	return 0;
}

static int do_write_500(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 500), 8, "pwrite");
}

static int setup_partial_read_remaining_bytes(struct tctx *t)
{
	if (setup_partially_read(t))
		return -1;
	expect_report(t, "pwrite64", 1000, 8, 1000, PAGE - 1000, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 1000, W8, A8);
	return 0;
}

static int do_write_1000(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 1000), 8, "pwrite");
}

/* ---- how pages get into pipes ------------------------------------------- */

/* Does sendfile into a pipe hand it the file's page (5.12 on), or a copy
 * (before: through the task's own splice pipe, then written into this one)?
 * Asked as src/kernel.c asks of splice: a store through a shared mapping
 * into a page already dirty, which no watcher reports. 1 shares, 0 copies. */
static int sendfile_to_pipe_shares(struct tctx *t)
{
	char path[600], got;
	off_t off = 0;
	int fd, p[2], shares = -1;
	char *map;

	fd = make_file(t, path, "sendfile-probe", PAGE, 'A');
	if (fd < 0)
		return -1;
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map != MAP_FAILED && !pipe(p)) {
		if (sendfile(p[1], fd, &off, PAGE) == PAGE) {
			map[0] = 'B';
			if (read(p[0], &got, 1) == 1)
				shares = got == 'B';
		}
		close(p[0]);
		close(p[1]);
	}
	if (map != MAP_FAILED)
		munmap(map, PAGE);
	close(fd);
	unlink(path);
	return shares < 0 ? fail(t, "probing sendfile to a pipe") : shares;
}

/* Reported where sendfile shares the page; where it copies, the write is safe
 * and the pipe keeps its bytes. */
static int setup_sendfile_to_pipe(struct tctx *t)
{
	int p[2], shares = sendfile_to_pipe_shares(t);
	off_t off = 0;

	if (shares < 0)
		return -1;
	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	if (sendfile(t->pw, t->fd, &off, PAGE) != PAGE)
		return fail(t, "sendfile to pipe");
	if (!shares) {
		expect_safe(t);
		expect_pipe(t, t->pr, A8, A8);
		expect_file(t, 0, W8, NULL);
		return 0;
	}
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

static int setup_vmsplice(struct tctx *t)
{
	struct iovec iov;
	int p[2];

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	t->map_len = 4 * PAGE;
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		return fail(t, "mmap");
	}
	iov.iov_base = t->map;
	iov.iov_len = PAGE;
	if (vmsplice(t->pw, &iov, 1, 0) != PAGE)
		return fail(t, "vmsplice");
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

struct uring_req {
	int op;			/* IORING_OP_SPLICE, _TEE or _WRITE */
	int fd_in, fd_out;
	int64_t off_in, off_out;
	const void *buf;
	unsigned int len;
};

/* Runs one io_uring request and waits for it: its result, or -errno. */
static int uring_one(const struct uring_req *r)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret < 0)
		return ret;
	sqe = io_uring_get_sqe(&ring);
	if (r->op == IORING_OP_TEE)
		io_uring_prep_tee(sqe, r->fd_in, r->fd_out, r->len, 0);
	else if (r->op == IORING_OP_SPLICE)
		io_uring_prep_splice(sqe, r->fd_in, r->off_in, r->fd_out, r->off_out, r->len, 0);
	else
		io_uring_prep_write(sqe, r->fd_out, r->buf, r->len, r->off_out);
	ret = io_uring_submit(&ring);
	if (ret == 1)
		ret = io_uring_wait_cqe(&ring, &cqe);
	if (!ret) {
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return ret;
}

static int uring_splice(struct tctx *t, const struct uring_req *r)
{
	int ret = uring_one(r);

	if (ret != (int)r->len) {
		errno = ret < 0 ? -ret : 0;
		return fail(t, "io_uring op %d returned %d, want %u", r->op, ret, r->len);
	}
	return 0;
}

/* io_uring runs splice and tee in an io-wq worker thread of the submitter. */
static void expect_io_wq_splicer(struct tctx *t)
{
	snprintf(t->e->splicer_comm, sizeof(t->e->splicer_comm), "iou-wrk-*");
}

/* No syscall of the splice family runs: the kernel's io-wq worker splices. */
static int setup_io_uring_splice(struct tctx *t)
{
	int p[2];

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	if (uring_splice(t, &(struct uring_req){ .op = IORING_OP_SPLICE, .fd_in = t->fd,
						 .fd_out = t->pw, .off_out = -1, .len = PAGE }))
		return -1;
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	expect_io_wq_splicer(t);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

/* A second pipe tees the first's page (tee(2) or io_uring), then the first is
 * read: the first lets go, the second still holds. */
static int held_by_tee_only(struct tctx *t, bool uring)
{
	char buf[PAGE];
	int p[2];

	if (held(t, 4 * PAGE, 0, PAGE) || pipe(p))
		return -1;
	t->pr2 = p[0];
	t->pw2 = p[1];
	if (uring) {
		if (uring_splice(t, &(struct uring_req){ .op = IORING_OP_TEE, .fd_in = t->pr,
							 .fd_out = t->pw2, .len = PAGE }))
			return -1;
	} else if (tee(t->pr, t->pw2, PAGE, 0) != PAGE) {
		return fail(t, "tee");
	}
	if (read(t->pr, buf, PAGE) != PAGE)
		return fail(t, "read");
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr2);
	expect_pipe(t, t->pr2, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

static int setup_tee(struct tctx *t)
{
	return held_by_tee_only(t, false);
}

static int setup_io_uring_tee(struct tctx *t)
{
	if (held_by_tee_only(t, true))
		return -1;
	expect_io_wq_splicer(t);
	return 0;
}

/* io_uring writes make no write syscall: the kernel's buffered write path is
 * hooked (fentry/kprobe). Inline or in an io-wq worker: the thread varies. */
static int setup_io_uring_write(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "write_iter", 0, 8, 0, PAGE, t->pr);
	t->e->tid = -1;
	return 0;
}

static int do_io_uring_write(struct tctx *t)
{
	int ret = uring_one(&(struct uring_req){ .op = IORING_OP_WRITE, .fd_out = t->fd,
						 .buf = W8, .len = 8 });

	if (ret < 0)
		errno = -ret;
	return child_ok(t, ret, 8, "io_uring write");
}

static int setup_splice_at_file_position(struct tctx *t)
{
	int p[2];

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	lseek(t->fd, 2 * PAGE + 16, SEEK_SET);
	if (splice(t->fd, NULL, t->pw, NULL, 100, 0) != 100)
		return fail(t, "splice at f_pos");
	expect_report(t, "pwrite64", 2 * PAGE + 16, 8, 2 * PAGE + 16, 100, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 2 * PAGE + 16, W8, A8);
	return 0;
}

static int do_write_at_2_pages_16(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 2 * PAGE + 16), 8, "pwrite");
}

static int setup_resized_pipe(struct tctx *t)
{
	int p[2];

	t->fd = make_file(t, t->path, "data", 2 << 20, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	if (fcntl(t->pw, F_SETPIPE_SZ, 1 << 20) < (1 << 20))
		return fail(t, "F_SETPIPE_SZ");
	if (splice_in(t, t->fd, 0, 1 << 20, t->pw))
		return -1;
	expect_report(t, "pwrite64", 900 * 1024, 8, 900 * 1024, PAGE, t->pr);
	expect_pipe_at(t, t->pr, 900 * 1024, W8, A8);
	expect_file(t, 900 * 1024, W8, A8);
	return 0;
}

static int do_write_at_900k(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 900 * 1024), 8, "pwrite");
}

static int setup_resize_after_splice(struct tctx *t)
{
	if (held(t, 16 * PAGE, 0, 8 * PAGE))
		return -1;
	if (fcntl(t->pw, F_SETPIPE_SZ, 1 << 20) < (1 << 20))	/* copies and renumbers the ring */
		return fail(t, "F_SETPIPE_SZ");
	expect_report(t, "pwrite64", 5 * PAGE, 8, 5 * PAGE, PAGE, t->pr);
	expect_pipe_at(t, t->pr, 5 * PAGE, W8, A8);
	expect_file(t, 5 * PAGE, W8, A8);
	return 0;
}

static int do_write_page_5(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 5 * PAGE), 8, "pwrite");
}

static int setup_forked_splicer(struct tctx *t)
{
	int p[2], status;
	pid_t pid;

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, "sw-splicer");
		_exit(splice(t->fd, &(loff_t){ 0 }, t->pw, NULL, PAGE, 0) == PAGE ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (status)
		return fail(t, "child splice failed");
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	t->e->splicer_pid = pid;
	strcpy(t->e->splicer_comm, "sw-splicer");
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

/* Lazy indexing: a splice's pages are indexed when something first looks,
 * but reports name who put them there and when, batch by batch. */

/* The runner splices pages 0-1 and reads page 0; a child then splices page 64
 * (another chunk) into the same pipe. */
static int two_splicers_one_pipe(struct tctx *t)
{
	char buf[PAGE];
	int p[2], status;
	pid_t pid;

	t->fd = make_file(t, t->path, "data", 66 * PAGE, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	if (splice_in(t, t->fd, 0, 2 * PAGE, t->pw))
		return -1;
	if (read(t->pr, buf, PAGE) != PAGE)
		return fail(t, "read pipe");
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, "sw-splicer2");
		_exit(splice(t->fd, &(loff_t){ 64 * PAGE }, t->pw, NULL, PAGE, 0) == PAGE ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (status)
		return fail(t, "child splice failed");
	return pid;
}

static int setup_second_splicer(struct tctx *t)
{
	int pid = two_splicers_one_pipe(t);

	if (pid < 0)
		return -1;
	expect_report(t, "pwrite64", 64 * PAGE, 8, 64 * PAGE, PAGE, t->pr);
	t->e->splicer_pid = pid;
	strcpy(t->e->splicer_comm, "sw-splicer2");
	/* the pipe: page 1 (the runner's, page 0 read out), then page 64 */
	expect_pipe_at(t, t->pr, PAGE, W8, A8);
	expect_file(t, 64 * PAGE, W8, A8);
	return 0;
}

static int do_pwrite_page_64(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 64 * PAGE), 8, "pwrite");
}

static int setup_first_splicer_after_second(struct tctx *t)
{
	if (two_splicers_one_pipe(t) < 0)
		return -1;
	expect_report(t, "pwrite64", PAGE, 8, PAGE, PAGE, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, PAGE, W8, A8);
	return 0;
}

static int do_pwrite_page_1(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, PAGE), 8, "pwrite");
}

/* held_ns counts from the splice, not from when the hold was first looked at. */
static int setup_held_for_a_while(struct tctx *t)
{
	if (setup_pwrite64(t))
		return -1;
	usleep(100 * 1000);
	t->e->min_held_ns = 100 * 1000 * 1000;
	return 0;
}

/* A splice read out of the pipe before any write: the batch is dropped, and a
 * later splice of other bytes into the same pipe is the only hold. */
static int setup_drained_then_spliced_again(struct tctx *t)
{
	if (setup_drained_by_splice(t))
		return -1;
	if (splice_in(t, t->fd, 2 * PAGE, PAGE, t->pw))
		return -1;
	expect_pipe(t, t->pr, A8, A8);	/* page 2 */
	return 0;
}

static void *thread_pwrite(void *arg)
{
	struct tctx *t = arg;

	t->e->tid = syscall(SYS_gettid);
	child_ok(t, pwrite(t->fd, W8, 8, 0), 8, "thread pwrite");
	return NULL;
}

static int do_pwrite_from_thread(struct tctx *t)
{
	pthread_t th;

	if (pthread_create(&th, NULL, thread_pwrite, t))
		return 1;
	pthread_join(th, NULL);
	return 0;
}

static int setup_hard_link(struct tctx *t)
{
	char link_path[600];

	if (setup_head_held(t))
		return -1;
	snprintf(link_path, sizeof(link_path), "%s/hardlink", t->dir);
	if (link(t->path, link_path))
		return fail(t, "link");
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	snprintf(t->e->path, sizeof(t->e->path), "%s", link_path);
	return 0;
}

static int do_pwrite_via_e_path(struct tctx *t)
{
	int fd = open(t->e->path, O_WRONLY);

	return child_ok(t, pwrite(fd, W8, 8, 0), 8, "pwrite");
}

static int setup_bind_mount(struct tctx *t)
{
	char bind[600];

	if (setup_head_held(t))
		return -1;
	snprintf(bind, sizeof(bind), "%s/bind", t->dir);
	if (mkdir(bind, 0755) || mount(t->dir, bind, NULL, MS_BIND, NULL))
		return fail(t, "bind mount");
	snprintf(t->mount, sizeof(t->mount), "%s", bind);
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	snprintf(t->e->path, sizeof(t->e->path), "%s/bind/data", t->dir);
	return 0;
}

/* Large folios: the page is found by its index inside the folio. */
static int setup_page_inside_large_folio(struct tctx *t)
{
	if (held(t, 4 << 20, 5 * PAGE, PAGE))
		return -1;
	expect_report(t, "pwrite64", 5 * PAGE + 10, 8, 5 * PAGE, PAGE, t->pr);
	expect_pipe_at(t, t->pr, 10, W8, A8);
	expect_file(t, 5 * PAGE + 10, W8, A8);
	return 0;
}

static int do_write_page_5_plus_10(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 5 * PAGE + 10), 8, "pwrite");
}

static int setup_other_page_of_large_folio(struct tctx *t)
{
	if (held(t, 4 << 20, 5 * PAGE, PAGE))
		return -1;
	expect_safe(t);
	expect_pipe(t, t->pr, A8, A8);
	expect_file(t, 6 * PAGE, W8, NULL);
	return 0;
}

static int do_write_page_6(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 6 * PAGE), 8, "pwrite");
}

/* A store through a shared mapping to a clean page (first clean->dirty). */
static int setup_mmap_store(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	if (fsync(t->fd))
		return fail(t, "fsync");
	expect_report(t, "mmap", 0, PAGE, 0, PAGE, t->pr);
	expect_pipe(t, t->pr, "W", "A");
	expect_file(t, 0, "W", "A");
	return 0;
}

static int do_mmap_store(struct tctx *t)
{
	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);

	if (m == MAP_FAILED)
		return fail(t, "mmap"), 1;
	m[0] = 'W';
	munmap(m, PAGE);
	return 0;
}

#define E4 FS_EXT4_ONLY
#define LARGE ((1u << FS_EXT4) | (1u << FS_HUGE_TMPFS))

const struct scenario scenarios[] = {
	/* every write path, into held bytes */
	{ "pwrite64_into_held_range_is_reported", FS_ALL, setup_pwrite64, do_pwrite64 },
	{ "write_at_file_position_into_held_range_is_reported", FS_ALL, setup_write, do_write },
	{ "writev_into_held_range_is_reported", FS_ALL, setup_writev, do_writev },
	{ "pwritev_into_held_range_is_reported", FS_ALL, setup_pwritev, do_pwritev },
	{ "pwritev2_at_file_position_into_held_range_is_reported", FS_ALL, setup_pwritev2,
	  do_pwritev2_at_file_position },
	{ "copy_file_range_into_held_range_is_reported", FS_ALL, setup_copy_file_range,
	  do_copy_file_range },
	{ "splice_from_pipe_into_held_range_is_reported", FS_ALL, setup_splice_into_file,
	  do_splice_into_file },
	{ "sendfile_into_held_range_is_reported", FS_ALL, setup_sendfile_into_file,
	  do_sendfile_into_file },
	{ "fallocate_punch_hole_over_held_range_is_reported", FS_ALL, setup_punch_hole, do_punch_hole },
	{ "fallocate_zero_range_over_held_range_is_reported", E4, setup_zero_range, do_zero_range },
	{ "fallocate_collapse_range_before_held_range_is_reported", E4, setup_collapse_range,
	  do_collapse_range },
	{ "fallocate_insert_range_before_held_range_is_reported", E4, setup_insert_range,
	  do_insert_range },
	{ "ftruncate_into_held_range_is_reported", FS_ALL, setup_ftruncate, do_ftruncate },
	/* tmpfs zeroes a partly cut page with no tracepoint on the way: see README */
	{ "truncate_path_into_held_page_is_reported", E4, setup_truncate_into_page,
	  do_truncate_100 },
	{ "truncate_path_to_zero_is_reported", FS_ALL, setup_truncate_to_zero, do_truncate_0 },
	{ "mmap_store_to_clean_held_page_is_reported", E4, setup_mmap_store, do_mmap_store,
	  .trace_only = true },
	/* byte precision */
	{ "one_byte_into_held_range_is_reported", FS_ALL, setup_one_byte_into_range,
	  do_one_byte_at_199 },
	{ "write_beside_held_bytes_in_same_page_is_not_reported", FS_ALL,
	  setup_first_100_bytes_held, do_write_bytes_100_to_300 },
	{ "write_to_another_page_is_not_reported", FS_ALL, setup_another_page,
	  do_write_another_page },
	{ "write_to_another_file_is_not_reported", FS_ALL, setup_another_file,
	  do_write_another_file },
	{ "write_into_a_pipe_is_not_reported", FS_ALL, setup_write_into_pipe, do_write_into_a_pipe },
	{ "copy_file_range_out_of_held_file_is_not_reported", FS_ALL, setup_copy_out,
	  do_copy_file_range_without_pipe },
	{ "o_append_write_past_held_bytes_is_not_reported", FS_ALL, setup_append, do_append },
	/* releases */
	{ "write_after_pipe_drained_by_read_is_not_reported", FS_ALL, setup_drained_by_read,
	  do_pwrite64 },
	{ "write_after_pipe_drained_by_splice_is_not_reported", FS_ALL, setup_drained_by_splice,
	  do_pwrite64 },
	{ "write_after_pipe_closed_is_not_reported", FS_ALL, setup_pipe_closed, do_pwrite64 },
	{ "write_after_splicer_exited_is_not_reported", FS_ALL, setup_splicer_exited, do_pwrite64 },
	{ "write_into_consumed_part_of_partly_read_buffer_is_not_reported", FS_ALL,
	  setup_partial_read_consumed_bytes, do_write_500 },
	{ "write_into_unread_part_of_partly_read_buffer_is_reported", FS_ALL,
	  setup_partial_read_remaining_bytes, do_write_1000 },
	/* sources of holds */
	{ "sendfile_to_pipe_is_reported_where_it_shares_pages", FS_ALL, setup_sendfile_to_pipe, do_pwrite64 },
	{ "tee_keeps_page_held_after_first_pipe_drained", FS_ALL, setup_tee, do_pwrite64 },
	{ "io_uring_splice_hold_is_reported", FS_ALL, setup_io_uring_splice, do_pwrite64 },
	{ "io_uring_write_into_held_range_is_reported", FS_ALL, setup_io_uring_write,
	  do_io_uring_write, .trace_only = true, .kernel_hooks_only = true },
	{ "io_uring_tee_keeps_page_held_after_first_pipe_drained", FS_ALL, setup_io_uring_tee,
	  do_pwrite64 },
	{ "vmsplice_of_shared_file_mapping_is_reported", FS_ALL, setup_vmsplice, do_pwrite64 },
	{ "splice_from_file_position_is_reported", FS_ALL, setup_splice_at_file_position,
	  do_write_at_2_pages_16 },
	{ "megabyte_pipe_holds_are_tracked", FS_ALL, setup_resized_pipe, do_write_at_900k },
	{ "holds_survive_pipe_resize", FS_ALL, setup_resize_after_splice, do_write_page_5 },
	{ "hold_by_forked_child_names_child_as_splicer", FS_ALL, setup_forked_splicer, do_pwrite64 },
	{ "second_splicer_into_a_pipe_is_named_for_its_pages", FS_ALL, setup_second_splicer,
	  do_pwrite_page_64 },
	{ "first_splicer_keeps_its_pages_after_another_splices_in", FS_ALL,
	  setup_first_splicer_after_second, do_pwrite_page_1 },
	{ "held_ns_counts_from_the_splice", FS_ALL, setup_held_for_a_while, do_pwrite64 },
	{ "write_to_bytes_read_out_before_the_next_splice_is_not_reported", FS_ALL,
	  setup_drained_then_spliced_again, do_pwrite64 },
	{ "write_from_second_thread_is_reported_with_its_tid", FS_ALL, setup_pwrite64,
	  do_pwrite_from_thread },
	{ "write_through_hard_link_is_reported", FS_ALL, setup_hard_link, do_pwrite_via_e_path },
	{ "write_through_bind_mount_is_reported", E4, setup_bind_mount, do_pwrite_via_e_path },
	{ "page_inside_large_folio_is_matched_by_index", LARGE, setup_page_inside_large_folio,
	  do_write_page_5_plus_10 },
	{ "other_page_of_large_folio_is_not_reported", LARGE, setup_other_page_of_large_folio,
	  do_write_page_6 },
};

const int n_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);
