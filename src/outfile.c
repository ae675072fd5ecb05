// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The files splicewatch writes (outfile.h): opened safely, written in records. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "common.h"
#include "outfile.h"

/* Symbolic links followed on the way to one file at most (as the kernel's 40). */
#define MAX_LINKS	40
/* A buffer this full is written out even in the middle of a record. */
#define FLUSH_BYTES	(1024 * 1024)

static void __attribute__((format(printf, 2, 3)))
refuse(const char *path, const char *fmt, ...)
{
	char why[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "splicewatch: cannot write to '");
	sw_put_printable(stderr, path, strlen(path));
	fprintf(stderr, "': %s\n", why);
}

/* Only root and we may change this directory (and so its entries). A sticky
 * directory others may write to (/tmp) keeps an entry its owner's: entry_uid. */
static bool trusted_dir(const struct stat *dir, uid_t entry_uid)
{
	uid_t me = geteuid();

	if (dir->st_uid != 0 && dir->st_uid != me)
		return false;
	if (!(dir->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	return (dir->st_mode & S_ISVTX) && (entry_uid == 0 || entry_uid == me);
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return "is a directory";
	case S_IFLNK: return "is a symbolic link (not followed)";
	case S_IFCHR: return "is a character device";
	case S_IFBLK: return "is a block device";
	case S_IFSOCK: return "is a socket";
	}
	return "is not a regular file";
}

/*
 * The directory that will hold path's last component, walked a component at
 * a time from / (or the working directory) with O_NOFOLLOW: a symbolic link
 * on the way is followed only from a trusted directory. Returns its O_PATH
 * fd and the last component in base, or -1 after saying why.
 */
static int open_parent(const char *path, char *base, size_t baselen)
{
	char rest[2 * PATH_MAX], target[PATH_MAX], *comp, *next;
	struct stat dst, st;
	int dirfd, fd, links = 0;
	ssize_t n;

	if (strlen(path) >= PATH_MAX) {
		refuse(path, "the path is too long");
		return -1;
	}
	strcpy(rest, path);
	dirfd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		refuse(path, "%s", strerror(errno));
		return -1;
	}
	comp = rest;
	for (;;) {
		while (*comp == '/')
			comp++;
		next = strchr(comp, '/');
		if (!next)
			break;		/* comp is the last component */
		*next++ = 0;
		while (*next == '/')
			next++;
		if (!*next) {		/* "dir/": the last component names a directory */
			refuse(path, "names a directory");
			goto fail;
		}
		if (!strcmp(comp, ".")) {
			comp = next;
			continue;
		}
		fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st)) {
			refuse(path, "'%s': %s", comp, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			close(dirfd);
			dirfd = fd;
			comp = next;
			continue;
		}
		if (!S_ISLNK(st.st_mode)) {
			close(fd);
			refuse(path, "'%s' is not a directory", comp);
			goto fail;
		}
		/* Another user could point this link anywhere: never follow it. */
		if (fstat(dirfd, &dst) || !trusted_dir(&dst, st.st_uid)) {
			close(fd);
			refuse(path, "refusing to follow the symbolic link '%s': it is in a "
			       "directory other users can change", comp);
			goto fail;
		}
		n = readlinkat(fd, "", target, sizeof(target) - 1);
		close(fd);
		if (n <= 0 || ++links > MAX_LINKS) {
			refuse(path, "'%s': %s", comp, n <= 0 ? strerror(errno) : strerror(ELOOP));
			goto fail;
		}
		target[n] = 0;
		if (strlen(next) + n + 2 > sizeof(target) + PATH_MAX) {
			refuse(path, "the path is too long");
			goto fail;
		}
		/* The link's target, then what followed it: walked the same way. */
		memmove(rest + n + 1, next, strlen(next) + 1);
		memcpy(rest, target, n);
		rest[n] = '/';
		comp = rest;
		if (target[0] == '/') {
			close(dirfd);
			dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (dirfd < 0) {
				refuse(path, "%s", strerror(errno));
				return -1;
			}
		}
	}
	if (!*comp || !strcmp(comp, ".") || !strcmp(comp, "..") || strlen(comp) >= baselen) {
		refuse(path, "names a directory");
		goto fail;
	}
	strcpy(base, comp);
	return dirfd;
fail:
	close(dirfd);
	return -1;
}

/* Opens an existing FIFO for writing: only while a reader has it open (an
 * O_NONBLOCK open fails with ENXIO otherwise), so that nothing waits for
 * one; writes then block as they would on standard output. */
static int open_fifo(int dirfd, const char *base, const char *path, const struct stat *want)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, base, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENXIO) {
		refuse(path, "is a FIFO with no reader (start the reader first)");
		return -1;
	}
	if (fd < 0) {
		refuse(path, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || st.st_dev != want->st_dev || st.st_ino != want->st_ino ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		refuse(path, "it changed while it was being opened");
		close(fd);
		return -1;
	}
	return fd;
}

/* The fd to write path's last component (base, in dirfd) to, by the rules
 * of outfile.h; o->tmp is set when a temporary file was made instead. */
static int open_last(struct sw_outfile *o, int dirfd, const char *base)
{
	const char *path = o->path;
	struct stat st, st2;
	int fd, wfd, tries;

	for (tries = 0; tries < 10; tries++) {
		fd = openat(dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT) {
			refuse(path, "%s", strerror(errno));
			return -1;
		}
		if (fd < 0 && o->mode == SW_OUT_REPLACE)
			break;
		if (fd < 0) {
			wfd = openat(dirfd, base, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
				     O_NOFOLLOW | O_CLOEXEC, 0600);
			if (wfd >= 0)
				return wfd;
			if (errno == EEXIST)
				continue;	/* made meanwhile: look at it again */
			refuse(path, "%s", strerror(errno));
			return -1;
		}
		if (fstat(fd, &st)) {
			refuse(path, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		if (S_ISFIFO(st.st_mode)) {
			o->fifo = true;
			return open_fifo(dirfd, base, path, &st);
		}
		if (!S_ISREG(st.st_mode)) {
			refuse(path, "%s; only a regular file or a FIFO is written", type_name(st.st_mode));
			return -1;
		}
		if (o->mode == SW_OUT_REPLACE)
			break;	/* replaced by a rename: its other links keep the old file */
		/* Another name of a file elsewhere (a hard link someone made):
		 * appending would write into that file. */
		if (st.st_nlink > 1) {
			refuse(path, "the file has %ju other hard links", (uintmax_t)st.st_nlink - 1);
			return -1;
		}
		wfd = openat(dirfd, base, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
			     O_NOCTTY | O_CLOEXEC);
		if (wfd < 0) {
			refuse(path, "%s", strerror(errno));
			return -1;
		}
		if (fstat(wfd, &st2) || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino ||
		    fcntl(wfd, F_SETFL, O_APPEND)) {
			refuse(path, "it changed while it was being opened");
			close(wfd);
			return -1;
		}
		return wfd;
	}
	if (tries == 10) {
		refuse(path, "it keeps changing while it is being opened");
		return -1;
	}
	/* SW_OUT_REPLACE: a new file beside it, renamed over it when complete. */
	for (tries = 0; tries < 100; tries++) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(o->tmp, sizeof(o->tmp), ".splicewatch-%d-%08lx.tmp", (int)getpid(),
			 (unsigned long)(ts.tv_nsec ^ (tries * 2654435761UL)) & 0xffffffffUL);
		wfd = openat(dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (wfd >= 0)
			return wfd;
		if (errno != EEXIST)
			break;
	}
	refuse(path, "cannot create a temporary file beside it: %s", strerror(errno));
	o->tmp[0] = 0;
	return -1;
}

static int open_path(struct sw_outfile *o, int *dirfd_out)
{
	char base[NAME_MAX + 1];
	int dirfd, fd;

	dirfd = open_parent(o->path, base, sizeof(base));
	if (dirfd < 0)
		return -1;
	o->fifo = false;
	o->tmp[0] = 0;
	fd = open_last(o, dirfd, base);
	if (fd >= 0 && o->tmp[0]) {
		*dirfd_out = dirfd;	/* kept for the rename */
		return fd;
	}
	close(dirfd);
	return fd;
}

/* ---- the record stream ---------------------------------------------------- */

static int write_buf(struct sw_outfile *o);

static ssize_t cookie_write(void *cookie, const char *data, size_t n)
{
	struct sw_outfile *o = cookie;
	char *nb;

	if (o->err)
		return n;	/* the file failed: nothing more is kept */
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 65536;

		while (cap < o->len + n)
			cap *= 2;
		nb = realloc(o->buf, cap);
		if (!nb) {
			o->err = ENOMEM;
			return n;
		}
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, n);
	o->len += n;
	/* A report or a storm: do not keep it all in memory. */
	if (o->len >= FLUSH_BYTES)
		write_buf(o);
	return n;
}

int sw_outfile_open(struct sw_outfile *o, const char *path, enum sw_out_mode mode)
{
	cookie_io_functions_t io = { .write = cookie_write };
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->open = true;
	o->mode = mode;
	o->dirfd = -1;
	o->fd = STDOUT_FILENO;
	if (path && strcmp(path, "-")) {
		o->path = path;
		o->fd = open_path(o, &o->dirfd);
		if (o->fd < 0) {
			o->open = false;
			return -1;
		}
	} else if (!fstat(STDOUT_FILENO, &st)) {
		o->fifo = S_ISFIFO(st.st_mode);
		o->tty = isatty(STDOUT_FILENO);
	}
	o->f = fopencookie(o, "w", io);
	if (!o->f) {
		sw_err("cannot write output: %s", strerror(errno));
		sw_outfile_abort(o);
		return -1;
	}
	return 0;
}

void sw_outfile_mark(struct sw_outfile *o, bool counted)
{
	if (counted)
		sw_outfile_mark_n(o, 1);
	else
		fflush(o->f);
}

void sw_outfile_mark_n(struct sw_outfile *o, uint64_t n)
{
	size_t *ne;
	uint64_t *nw;
	size_t cap;

	fflush(o->f);
	if (!n || o->err)
		return;
	if (o->nends == o->capends) {
		cap = o->capends ? 2 * o->capends : 256;
		ne = realloc(o->ends, cap * sizeof(*ne));
		if (ne)
			o->ends = ne;
		nw = ne ? realloc(o->weights, cap * sizeof(*nw)) : NULL;
		if (!nw) {
			o->err = ENOMEM;
			return;
		}
		o->weights = nw;
		o->capends = cap;
	}
	o->weights[o->nends] = n;
	o->ends[o->nends++] = o->len;
}

/* Waits until fd takes more (a non-blocking standard output); 0 or -1. */
static int wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, -1) < 0 && errno != EINTR ? -1 : 0;
}

/* Writes o->buf to the file: 0, or -1 with o->err set. */
static int write_buf(struct sw_outfile *o)
{
	size_t off = 0, i;
	ssize_t n;

	while (!o->err && off < o->len) {
		n = write(o->fd, o->buf + off, o->len - off);
		if (n > 0) {
			off += n;
		} else if (n < 0 && errno == EAGAIN) {
			if (wait_writable(o->fd))
				o->err = errno;
		} else if (n < 0 && errno == EINTR) {
			/* A reader that stopped reading must not keep Ctrl-C from ending the run. */
			if (sw_stop)
				o->err = EINTR;
		} else {
			o->err = n < 0 ? errno : EIO;
		}
	}
	/* A record counts once its last byte is written. */
	for (i = 0; i < o->nends && o->ends[i] <= off; i++)
		o->delivered += o->weights[i];
	o->len = 0;
	o->nends = 0;
	return o->err ? -1 : 0;
}

int sw_outfile_flush(struct sw_outfile *o)
{
	if (o->f && !o->err)
		fflush(o->f);
	return write_buf(o);
}

bool sw_outfile_reader_gone(struct sw_outfile *o)
{
	struct pollfd p = { .fd = o->fd, .events = POLLOUT };

	if ((!o->fifo && !o->tty) || o->err)
		return o->err == EPIPE || o->err == EIO;
	if (poll(&p, 1, 0) != 1)
		return false;
	/* A pipe whose last reader closed it polls POLLERR. */
	if (o->fifo && (p.revents & POLLERR))
		o->err = EPIPE;
	/* A terminal that hung up (SIGHUP no longer ends the run): POLLHUP;
	 * its writes would fail with EIO. */
	else if (o->tty && (p.revents & POLLHUP))
		o->err = EIO;
	return o->err != 0;
}

int sw_outfile_reopen(struct sw_outfile *o)
{
	struct sw_outfile n = { .path = o->path, .mode = o->mode, .dirfd = -1 };
	int fd;

	if (!o->path || o->mode != SW_OUT_APPEND)
		return 0;
	sw_outfile_flush(o);
	fd = open_path(&n, &n.dirfd);
	if (fd < 0)
		return -1;
	close(o->fd);
	o->fd = fd;
	o->fifo = n.fifo;
	return 0;
}

int sw_outfile_commit(struct sw_outfile *o, const char *what)
{
	int err = 0, said = o->err;	/* a failure before this one was said by the caller */

	if (!o->f)
		return 0;
	fclose(o->f);		/* into o->buf */
	o->f = NULL;
	sw_outfile_flush(o);
	err = o->err;
	if (o->path) {
		if (close(o->fd) && !err)
			err = errno;
		o->fd = -1;
		if (o->tmp[0] && !err && renameat(o->dirfd, o->tmp, o->dirfd, strrchr(o->path, '/') ?
						  strrchr(o->path, '/') + 1 : o->path))
			err = errno;
	}
	if (err && !said) {
		fprintf(stderr, "splicewatch: writing %s to '", what);
		sw_put_printable(stderr, o->path ? o->path : "-", strlen(o->path ? o->path : "-"));
		fprintf(stderr, "' failed: %s\n", strerror(err));
	}
	o->err = err;
	sw_outfile_abort(o);
	return err ? -1 : 0;
}

void sw_outfile_abort(struct sw_outfile *o)
{
	if (!o->open)
		return;
	o->open = false;
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->path && o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp[0] && o->dirfd >= 0)
		unlinkat(o->dirfd, o->tmp, 0);
	o->tmp[0] = 0;
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
	free(o->buf);
	free(o->ends);
	free(o->weights);
	o->buf = NULL;
	o->ends = NULL;
	o->weights = NULL;
	o->len = o->cap = o->nends = o->capends = 0;
}
