// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known copy-path workloads for tests/suites/stats.sh. Each mode renames the
 * process (comm) first, does its calls, and prints one JSON line with exactly
 * what it did, for the test to compare with splicewatch's counts:
 *
 *   stats_workload splice FILE COMM        file -> pipe -> /dev/null, 64 KiB calls
 *   stats_workload sendfile FILE COMM      sendfile FILE -> /dev/null, 1 MiB calls
 *   stats_workload tee FILE COMM           file -> pipe A, tee A -> B, drain both
 *   stats_workload cfr SRC DST COMM        copy_file_range SRC -> DST, 1 MiB calls
 *   stats_workload vmsplice BYTES COMM     vmsplice anonymous memory, read it back
 *   stats_workload hold FILE PAGES SECS COMM  splice PAGES pages into a pipe, keep it SECS
 *   stats_workload fail COMM               one splice that fails (EBADF... EINVAL)
 *
 * With STATS_WL_IA32=1 (amd64), splice's calls are IA-32 syscalls (int $0x80),
 * which any program can make.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "ia32_syscall.h"

#define CHUNK	(64 * 1024)

static void die(const char *what)
{
	fprintf(stderr, "stats_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static char comm[16];
static const char *cfr_expect;	/* copy_file_range: the outcome splicewatch should see */

/* One JSON line: what this process did, and the file splicewatch should name for it. */
static void report(const char *op, uint64_t calls, uint64_t bytes, uint64_t errors,
		   const char *file)
{
	printf("{\"pid\":%d,\"comm\":\"%s\",\"op\":\"%s\",\"calls\":%" PRIu64
	       ",\"bytes\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"file\":\"%s\"",
	       getpid(), comm, op, calls, bytes, errors, file);
	if (cfr_expect)
		printf(",\"expect_cfr\":{\"%s\":%" PRIu64 "}", cfr_expect, calls);
	printf("}\n");
}

static const char *abspath(const char *path)
{
	static char buf[8][PATH_MAX];
	static int n;
	char *p = buf[n++ & 7];

	if (!realpath(path, p))
		die(path);
	return p;
}

static const char *pipe_name(int fd)
{
	static char buf[8][64];
	static int n;
	char *p = buf[n++ & 7];
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	snprintf(p, 64, "pipe:[%llu]", (unsigned long long)st.st_ino);
	return p;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		die(path);
	return fd;
}

static off_t file_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	return st.st_size;
}

/* splice(2), or with STATS_WL_IA32 an IA-32 splice (*off_in copied below
 * 4 GiB and back). */
static ssize_t splice_call(int in, off_t *off_in, int out, size_t len)
{
#if defined(__x86_64__)
	static int64_t *low_off;
	ssize_t r;

	if (getenv("STATS_WL_IA32")) {
		if (!low_off && !(low_off = ia32_low_page()))
			die("mmap(MAP_32BIT)");
		if (off_in)
			*low_off = *off_in;
		r = ia32_syscall(IA32_NR_splice, in, off_in ? (long)low_off : 0, out, 0, (long)len, 0);
		if (r > 0 && off_in)
			*off_in = *low_off;
		return r;
	}
#endif
	return splice(in, off_in, out, NULL, len, 0);
}

/* Moves n bytes out of a pipe to /dev/null with splice; counts the calls. */
static void drain(int pipe_rd, int null, size_t n, uint64_t *calls, uint64_t *bytes)
{
	while (n) {
		ssize_t r = splice_call(pipe_rd, NULL, null, n);

		if (r <= 0)
			die("splice pipe -> /dev/null");
		(*calls)++;
		*bytes += r;
		n -= r;
	}
}

static int do_splice(const char *path)
{
	int fd = open_or_die(path, O_RDONLY), null = open_or_die("/dev/null", O_WRONLY), p[2];
	off_t size = file_size(fd), off = 0;
	uint64_t in_calls = 0, in_bytes = 0, out_calls = 0, out_bytes = 0;

	if (pipe(p))
		die("pipe");
	while (off < size) {
		size_t want = size - off < CHUNK ? size - off : CHUNK;
		ssize_t r = splice_call(fd, &off, p[1], want);

		if (r <= 0)
			die("splice file -> pipe");
		in_calls++;
		in_bytes += r;
		drain(p[0], null, r, &out_calls, &out_bytes);
	}
	report("splice_file_to_pipe", in_calls, in_bytes, 0, abspath(path));
	report("splice_pipe_to_file", out_calls, out_bytes, 0, "/dev/null");
	return 0;
}

static int do_sendfile(const char *path)
{
	int fd = open_or_die(path, O_RDONLY), null = open_or_die("/dev/null", O_WRONLY);
	off_t size = file_size(fd), off = 0;
	uint64_t calls = 0, bytes = 0;

	while (off < size) {
		ssize_t r = sendfile(null, fd, &off, 1 << 20);

		if (r <= 0)
			die("sendfile");
		calls++;
		bytes += r;
	}
	report("sendfile", calls, bytes, 0, abspath(path));
	return 0;
}

static int do_tee(const char *path)
{
	int fd = open_or_die(path, O_RDONLY), null = open_or_die("/dev/null", O_WRONLY);
	int a[2], b[2];
	off_t size = file_size(fd), off = 0;
	uint64_t in_calls = 0, in_bytes = 0, tee_calls = 0, tee_bytes = 0;
	uint64_t out_calls = 0, out_bytes = 0;

	if (pipe(a) || pipe(b))
		die("pipe");
	while (off < size) {
		size_t want = size - off < CHUNK ? size - off : CHUNK;
		ssize_t r = splice(fd, &off, a[1], NULL, want, 0), t, done = 0;

		if (r <= 0)
			die("splice file -> pipe");
		in_calls++;
		in_bytes += r;
		while (done < r) {
			t = tee(a[0], b[1], r - done, 0);
			if (t <= 0)
				die("tee");
			tee_calls++;
			tee_bytes += t;
			done += t;
			drain(b[0], null, t, &out_calls, &out_bytes);
		}
		drain(a[0], null, r, &out_calls, &out_bytes);
	}
	report("splice_file_to_pipe", in_calls, in_bytes, 0, abspath(path));
	report("tee", tee_calls, tee_bytes, 0, pipe_name(a[0]));
	report("splice_pipe_to_file", out_calls, out_bytes, 0, "/dev/null");
	return 0;
}

static int do_cfr(const char *src, const char *dst)
{
	int in = open_or_die(src, O_RDONLY), out = open_or_die(dst, O_WRONLY | O_CREAT | O_TRUNC);
	off_t size = file_size(in), done = 0;
	uint64_t calls = 0, errors = 0;
	struct stat a, b;

	if (fstat(in, &a) || fstat(out, &b))
		die("fstat");
	cfr_expect = a.st_dev == b.st_dev ? "same_fs" : "cross_fs";
	while (done < size) {
		ssize_t r = copy_file_range(in, NULL, out, NULL, 1 << 20, 0);

		calls++;
		if (r < 0) {
			errors++;
			if (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)
				cfr_expect = "fallback";
			else
				cfr_expect = "error";
			break;
		}
		if (r == 0)
			break;
		done += r;
	}
	report("copy_file_range", calls, done, errors, abspath(src));
	return 0;
}

static int do_vmsplice(size_t n)
{
	char *buf = malloc(n), *back = malloc(n);
	int p[2];
	size_t off = 0;
	uint64_t calls = 0, bytes = 0;

	if (!buf || !back || pipe(p))
		die("setup");
	memset(buf, 'v', n);
	while (off < n) {
		struct iovec iov = { buf + off, n - off < CHUNK ? n - off : CHUNK };
		ssize_t r = vmsplice(p[1], &iov, 1, 0), got = 0;

		if (r <= 0)
			die("vmsplice");
		calls++;
		bytes += r;
		while (got < r) {
			ssize_t g = read(p[0], back, r - got);

			if (g <= 0)
				die("read");
			got += g;
		}
		off += r;
	}
	report("vmsplice", calls, bytes, 0, pipe_name(p[1]));
	return 0;
}

static int do_hold(const char *path, int pages, int secs)
{
	int fd = open_or_die(path, O_RDONLY), p[2];
	loff_t off = 0;
	ssize_t r;

	if (pipe(p))
		die("pipe");
	r = splice(fd, &off, p[1], NULL, (size_t)pages * 4096, 0);
	if (r != (ssize_t)pages * 4096)
		die("splice file -> pipe (hold)");
	report("splice_file_to_pipe", 1, r, 0, abspath(path));
	fflush(stdout);
	sleep(secs);
	return 0;
}

static int do_fail(void)
{
	int p[2];
	ssize_t r;

	if (pipe(p))
		die("pipe");
	/* Reading from a pipe's write end: EBADF. */
	r = splice(p[1], NULL, p[1], NULL, 4096, SPLICE_F_NONBLOCK);
	report("splice_pipe_to_pipe", 1, 0, r < 0, pipe_name(p[1]));
	return 0;
}

static void set_comm(const char *name)
{
	if (prctl(PR_SET_NAME, name, 0, 0, 0))
		die("prctl(PR_SET_NAME)");
	snprintf(comm, sizeof(comm), "%s", name);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "splice") && argc == 4) {
		set_comm(argv[3]);
		return do_splice(argv[2]);
	}
	if (!strcmp(argv[1], "sendfile") && argc == 4) {
		set_comm(argv[3]);
		return do_sendfile(argv[2]);
	}
	if (!strcmp(argv[1], "tee") && argc == 4) {
		set_comm(argv[3]);
		return do_tee(argv[2]);
	}
	if (!strcmp(argv[1], "cfr") && argc == 5) {
		set_comm(argv[4]);
		return do_cfr(argv[2], argv[3]);
	}
	if (!strcmp(argv[1], "vmsplice") && argc == 4) {
		set_comm(argv[3]);
		return do_vmsplice(strtoul(argv[2], NULL, 10));
	}
	if (!strcmp(argv[1], "hold") && argc == 6) {
		set_comm(argv[5]);
		return do_hold(argv[2], atoi(argv[3]), atoi(argv[4]));
	}
	if (!strcmp(argv[1], "fail") && argc == 3) {
		set_comm(argv[2]);
		return do_fail();
	}
usage:
	fprintf(stderr, "usage: see the comment at the top of tests/stats_workload.c\n");
	return 2;
}
