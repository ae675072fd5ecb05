// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The scenarios' shared helpers: files to hold, splices into pipes, and the
 * expectations a scenario states (the report, the pipe's and the file's bytes).
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
#include "scenario_lib.h"


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

int make_file(struct tctx *t, char *path, const char *name, size_t size, char fill)
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

int splice_in(struct tctx *t, int fd, loff_t off, size_t len, int pw)
{
	ssize_t n = splice(fd, &off, pw, NULL, len, 0);

	if (n != (ssize_t)len)
		return fail(t, "splice %zu bytes at %lld returned %zd", len, (long long)off, n);
	return 0;
}

/* A new file of 4 pages of 'A' (t->fd) and an empty pipe (t->pr, t->pw). */
int new_file_and_pipe(struct tctx *t)
{
	int p[2];

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	return 0;
}

/* A file of `size` 'A' bytes and a pipe holding [off, off+len) of it. */
int held_in_new_pipe(struct tctx *t, loff_t off, size_t len)
{
	int p[2];

	if (pipe(p))
		return fail(t, "pipe");
	t->pr = p[0];
	t->pw = p[1];
	return splice_in(t, t->fd, off, len, t->pw);
}

int held(struct tctx *t, size_t size, loff_t off, size_t len)
{
	t->fd = make_file(t, t->path, "data", size, 'A');
	if (t->fd < 0)
		return -1;
	return held_in_new_pipe(t, off, len);
}

uint64_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* The writer must be reported: `op` writing [woff, woff+wlen) (wlen -1: to EOF),
 * overlapping the held [hoff, hoff+hlen) of the file at t->path in pipe `pr`. */
void expect_report(struct tctx *t, const char *op, int64_t woff, int64_t wlen,
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
void expect_pipe_at(struct tctx *t, int pr, int64_t skip, const char *landed,
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

void expect_pipe(struct tctx *t, int pr, const char *landed, const char *original)
{
	expect_pipe_at(t, pr, 0, landed, original);
}

/* The len bytes at off of path (NULL: t->path) afterwards: `landed` if the
 * write lands, else `original`; original NULL: the write always lands (or
 * goes elsewhere), the file must read `landed`. */
void expect_file_bytes(struct tctx *t, const char *path, int64_t off, int len,
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

void expect_file(struct tctx *t, int64_t off, const char *landed, const char *original)
{
	expect_file_bytes(t, NULL, off, strlen(landed), landed, original);
}

/* The file's size afterwards, as expect_file. */
void expect_size(struct tctx *t, int64_t landed, int64_t original)
{
	t->e->size_landed = landed;
	t->e->size_original = original;
}


/* The write must land on the file and stay in the pipe without a report. */
void expect_safe(struct tctx *t)
{
	t->e->reports = 0;
}

int child_ok(struct tctx *t, ssize_t got, ssize_t want, const char *what)
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
