// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Workloads for tests/suites/reliability.sh. Files are created as needed: PAGES
 * pages of 'A', written, so they are in the page cache.
 *
 *   reliability_workload unsafe FILE N [COMM]   splice FILE's first page into a pipe,
 *                                              then N 1-byte pwrites into it while it
 *                                              is held (as COMM: any bytes, via
 *                                              PR_SET_NAME); drain; print
 *                                              "unsafe writes done: N"
 *   reliability_workload hold FILE NBUF STRIDE READY DONE
 *                                              put NBUF pages of FILE, STRIDE pages
 *                                              apart (sparse file; one pipe buffer
 *                                              each), into pipes of 16 buffers; create
 *                                              READY; wait until DONE exists; read
 *                                              every pipe empty; create READY.drained
 *   reliability_workload hold-forever FILE READY
 *                                              splice FILE's first page into a pipe,
 *                                              create READY, sleep until killed
 *   reliability_workload splice-loop FILE READY
 *                                              splice the first page in and read it out,
 *                                              forever; READY after the first round
 *   reliability_workload pwrite FILE OFF LEN   one pwrite of LEN 'W's at OFF; prints
 *                                              "pwrite done"
 *   reliability_workload self-hold OUT READY DONE PIPE_OUT
 *                                              make OUT (a file splicewatch writes its
 *                                              events to) 4 pages of '#' from offset 0
 *                                              and hold them in a pipe; a child
 *                                              (comm rw-truncate) ftruncates OUT to one
 *                                              page and a byte, so that splicewatch's
 *                                              next appends land in held page 1; READY; wait
 *                                              for DONE; write what the pipe delivers
 *                                              (the held bytes as they are now) to
 *                                              PIPE_OUT
 *   reliability_workload pid-reuse FILE        under `splicewatch enforce`: a splicer
 *                                              exits and its pid is reused; a writer
 *                                              is killed and its pid is reused. Checks
 *                                              that only the writer is signalled.
 *                                              Exit 0 ok, 1 failed (whatever else
 *                                              happened), 77 pid reuse could not be
 *                                              arranged and nothing had failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE	4096

static void die(const char *what)
{
	fprintf(stderr, "reliability_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int make_file(const char *path, long pages)
{
	char buf[PAGE];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(path);
	memset(buf, 'A', sizeof(buf));
	for (long i = 0; i < pages; i++)
		if (pwrite(fd, buf, PAGE, i * PAGE) != PAGE)
			die("pwrite (fill)");
	return fd;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		die(path);
	close(fd);
}

static void wait_file(const char *path)
{
	while (access(path, F_OK))
		msleep(10);
}

static void splice_in(int fd, loff_t off, int pipe_w, size_t len)
{
	ssize_t n = splice(fd, &off, pipe_w, NULL, len, 0);

	if (n != (ssize_t)len)
		die("splice file -> pipe");
}

static void drain(int pipe_r)
{
	char buf[PAGE * 16];
	int fl = fcntl(pipe_r, F_GETFL);

	fcntl(pipe_r, F_SETFL, fl | O_NONBLOCK);
	while (read(pipe_r, buf, sizeof(buf)) > 0)
		;
	fcntl(pipe_r, F_SETFL, fl);
}

static int unsafe(const char *path, long n, const char *comm)
{
	int p[2], fd = make_file(path, 2);
	long done = 0;

	if (comm && prctl(PR_SET_NAME, comm))
		die("prctl");
	if (pipe(p))
		die("pipe");
	splice_in(fd, 0, p[1], PAGE);
	for (long i = 0; i < n; i++)
		if (pwrite(fd, "X", 1, i % PAGE) == 1)
			done++;
	drain(p[0]);
	fprintf(stderr, "unsafe writes done: %ld\n", done);
	return done == n ? 0 : 1;
}

static int hold(const char *path, long nbuf, long stride, const char *ready, const char *done)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), npipes = (nbuf + 15) / 16;
	char page[PAGE];

	if (fd < 0)
		die(path);
	memset(page, 'A', sizeof(page));
	for (long i = 0; i < nbuf; i++)
		if (pwrite(fd, page, PAGE, i * stride * PAGE) != PAGE)
			die("pwrite (fill)");
	int (*p)[2] = calloc(npipes, sizeof(*p));
	char drained[4096];

	if (!p)
		die("calloc");
	for (int i = 0; i < npipes; i++) {
		long k = nbuf - i * 16L < 16 ? nbuf - i * 16L : 16;

		if (pipe(p[i]))
			die("pipe");
		/* One call per page: each is one pipe buffer (one page-cache page). */
		for (long j = 0; j < k; j++)
			splice_in(fd, (i * 16L + j) * stride * PAGE, p[i][1], PAGE);
	}
	fprintf(stderr, "held %ld page-cache pipe buffers in %d pipes\n", nbuf, npipes);
	touch(ready);
	wait_file(done);
	for (int i = 0; i < npipes; i++)
		drain(p[i][0]);
	snprintf(drained, sizeof(drained), "%s.drained", ready);
	touch(drained);
	msleep(200);
	return 0;
}

static __attribute__((noreturn)) int hold_forever(const char *path, const char *ready)
{
	int p[2], fd = make_file(path, 2);

	if (pipe(p))
		die("pipe");
	splice_in(fd, 0, p[1], PAGE);
	touch(ready);
	for (;;)
		pause();
}

static __attribute__((noreturn)) int splice_loop(const char *path, const char *ready)
{
	int p[2], fd = make_file(path, 2);
	char buf[PAGE];
	int first = 1;

	if (pipe(p))
		die("pipe");
	for (;;) {
		splice_in(fd, 0, p[1], PAGE);
		if (read(p[0], buf, sizeof(buf)) != PAGE)
			die("read pipe");
		if (first) {
			touch(ready);
			first = 0;
		}
	}
}

static int do_pwrite(const char *path, long off, long len)
{
	int fd = open(path, O_WRONLY);
	char *buf = malloc(len);

	if (fd < 0 || !buf)
		die(path);
	memset(buf, 'W', len);
	if (pwrite(fd, buf, len, off) != len)
		die("pwrite");
	fprintf(stderr, "pwrite done\n");
	return 0;
}

static int self_hold(const char *out, const char *ready, const char *done, const char *pipe_out)
{
	char buf[PAGE];
	int p[2], fd = open(out, O_RDWR), po;
	ssize_t n;

	if (fd < 0)
		die(out);
	memset(buf, '#', sizeof(buf));
	for (int i = 0; i < 4; i++)
		if (pwrite(fd, buf, PAGE, i * PAGE) != PAGE)
			die("pwrite");
	if (pipe(p))
		die("pipe");
	splice_in(fd, 0, p[1], 4 * PAGE);
	/* splicewatch appends (-o): its writes reach held bytes only once the
	 * file ends inside them. Under enforce the child is killed, and its
	 * ftruncate completes (killed_late). */
	if (!fork()) {
		prctl(PR_SET_NAME, "rw-truncate");
		if (ftruncate(fd, PAGE + 1))
			die("ftruncate");
		_exit(0);
	}
	wait(NULL);
	touch(ready);
	wait_file(done);
	close(p[1]);
	po = open(pipe_out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (po < 0)
		die(pipe_out);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		if (write(po, buf, n) != n)
			die("write pipe bytes");
	if (n < 0)
		die("read pipe");
	close(po);
	return 0;
}

/* ---- pid reuse ------------------------------------------------------------ */

/* Forks a child whose pid is `want` (via ns_last_pid). The child runs fn(arg) only
 * if it got that pid. Returns the child's pid, or -1. */
static pid_t fork_as(pid_t want, int (*fn)(const char *), const char *arg)
{
	for (int attempt = 0; attempt < 200; attempt++) {
		int go[2];
		char c;
		pid_t pid;
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");

		if (!f)
			return -1;
		if (pipe(go))
			die("pipe");
		fprintf(f, "%d", want - 1);
		if (fclose(f))
			return -1;
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			close(go[1]);
			if (read(go[0], &c, 1) != 1 || c != 'y')
				_exit(0);
			_exit(fn(arg));
		}
		close(go[0]);
		c = pid == want ? 'y' : 'n';
		if (write(go[1], &c, 1) != 1)
			die("write");
		close(go[1]);
		if (pid == want)
			return pid;
		waitpid(pid, NULL, 0);
		msleep(5);
	}
	return -1;
}

static int g_fd, g_pipe[2];

static __attribute__((noreturn)) int reused_sleeper(const char *comm)
{
	prctl(PR_SET_NAME, comm);
	for (;;)
		pause();
}

/* Takes the writer's old pid: writes bytes no pipe holds (page 1), lives a while. */
static int reused_writer(const char *comm)
{
	prctl(PR_SET_NAME, comm);
	for (int i = 0; i < 20; i++) {
		if (pwrite(g_fd, "B", 1, PAGE + i) != 1)
			return 3;
		msleep(25);
	}
	return 0;
}

static int pid_reuse(const char *path)
{
	pid_t splicer, writer, y, z;
	int st, rc = 0;
	char buf[PAGE];

	g_fd = make_file(path, 2);
	if (pipe(g_pipe))
		die("pipe");
	/* The splicer puts page 0 into our pipe and exits: the hold outlives it. */
	splicer = fork();
	if (!splicer) {
		prctl(PR_SET_NAME, "rw-splicer");
		splice_in(g_fd, 0, g_pipe[1], PAGE);
		_exit(0);
	}
	waitpid(splicer, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("splicer failed");
	y = fork_as(splicer, reused_sleeper, "rw-reused-spl");
	if (y < 0) {
		fprintf(stderr, "pid reuse not achieved (splicer pid %d)\n", splicer);
		return 77;
	}
	/* The writer writes into the held page: enforce kills it at syscall entry. */
	writer = fork();
	if (!writer) {
		prctl(PR_SET_NAME, "rw-writer");
		if (pwrite(g_fd, "X", 1, 0) != 1)
			_exit(2);
		fprintf(stderr, "rw-writer: my write landed\n");
		_exit(0);
	}
	waitpid(writer, &st, 0);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		fprintf(stderr, "FAIL: writer %d was not killed (status 0x%x)\n", writer, st);
		rc = 1;
	}
	/* A new process with the writer's pid: nothing may signal it. */
	z = fork_as(writer, reused_writer, "rw-reused-wr");
	if (z < 0) {
		fprintf(stderr, "pid reuse not achieved (writer pid %d)%s\n", writer,
			rc ? ": FAILED already (see above)" : "");
		kill(y, SIGKILL);
		waitpid(y, NULL, 0);
		return rc ? rc : 77;	/* a failure found is never a skip */
	}
	waitpid(z, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "FAIL: process %d reusing the writer's pid ended with status 0x%x\n",
			z, st);
		rc = 1;
	}
	msleep(200);
	if (waitpid(y, &st, WNOHANG) != 0) {
		fprintf(stderr, "FAIL: process %d reusing the splicer's pid died (status 0x%x)\n",
			y, st);
		rc = 1;
	} else {
		kill(y, SIGKILL);
		waitpid(y, NULL, 0);
	}
	/* The pipe still gives the original bytes: the write did not land. */
	if (read(g_pipe[0], buf, PAGE) != PAGE || buf[0] != 'A') {
		fprintf(stderr, "FAIL: the pipe reader got modified bytes\n");
		rc = 1;
	}
	fprintf(stderr, "splicer pid %d reused by %d, writer pid %d reused by %d: %s\n",
		splicer, y, writer, z, rc ? "FAILED" : "only the writer was killed");
	return rc;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "unsafe") && (argc == 4 || argc == 5))
		return unsafe(argv[2], atol(argv[3]), argc == 5 ? argv[4] : NULL);
	if (!strcmp(mode, "hold") && argc == 7)
		return hold(argv[2], atol(argv[3]), atol(argv[4]), argv[5], argv[6]);
	if (!strcmp(mode, "hold-forever") && argc == 4)
		return hold_forever(argv[2], argv[3]);
	if (!strcmp(mode, "splice-loop") && argc == 4)
		return splice_loop(argv[2], argv[3]);
	if (!strcmp(mode, "pwrite") && argc == 5)
		return do_pwrite(argv[2], atol(argv[3]), atol(argv[4]));
	if (!strcmp(mode, "self-hold") && argc == 6)
		return self_hold(argv[2], argv[3], argv[4], argv[5]);
	if (!strcmp(mode, "pid-reuse") && argc == 3)
		return pid_reuse(argv[2]);
	fprintf(stderr, "usage: see tests/reliability_workload.c\n");
	return 2;
}
