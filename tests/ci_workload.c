// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Workloads for tests/suites/ci.sh: processes that do (or do not) write into
 * page-cache bytes a pipe still holds, from various places in a process tree.
 *
 *   ci_workload clean CODE                 splice a file into a pipe, drain it, then
 *                                          write the file (safe); exit CODE
 *   ci_workload unsafe FILE [CODE]         splice FILE's first page into a pipe and
 *                                          pwrite into it while held; exit CODE (0)
 *   ci_workload unsafe-grandchild FILE     fork, fork: the grandchild ("wl-grandchild")
 *                                          writes unsafely; everyone is waited for
 *   ci_workload unsafe-thread FILE         a second thread ("wl-thread") writes
 *                                          unsafely
 *   ci_workload daemonise FILE             double fork + setsid: the re-parented
 *                                          grandchild ("wl-daemon") writes unsafely;
 *                                          the main process waits on a pipe until it did
 *   ci_workload unsafe-many FILE N         N unsafe pwrites into the same held page
 *   ci_workload outside FILE               an unsafe write as "wl-outside" (the test
 *                                          runs it outside ci's process tree)
 *   ci_workload signal SIG                 die of signal number SIG
 *   ci_workload wait READY DONE CODE       create READY, wait until DONE exists, exit CODE
 *   ci_workload trap READY MARKER          create READY, wait for SIGTERM, then create
 *                                          MARKER and exit 0
 *
 * Every mode exits 1 with a message if a system call fails unexpectedly; the
 * unsafe modes print "unsafe write done by PID" on stderr after the write.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
	fprintf(stderr, "ci_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void set_comm(const char *name)
{
	if (prctl(PR_SET_NAME, name))
		die("prctl");
}

/* A two-page file of 'A's, open read-write, in the page cache. */
static int make_file(const char *path)
{
	char buf[2 * PAGE];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(path);
	memset(buf, 'A', sizeof(buf));
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		die("write");
	return fd;
}

/* Splices the first page of fd into a new pipe; returns the read end. */
static int hold_first_page(int fd)
{
	int p[2];
	loff_t off = 0;

	if (pipe(p))
		die("pipe");
	if (splice(fd, &off, p[1], NULL, PAGE, 0) != PAGE)
		die("splice");
	close(p[1]);
	return p[0];
}

static void drain(int pr)
{
	char buf[PAGE];

	while (read(pr, buf, sizeof(buf)) > 0)
		;
	close(pr);
}

static void unsafe_write(int fd)
{
	if (pwrite(fd, "WWWWWWWW", 8, 0) != 8)
		die("pwrite");
	fprintf(stderr, "ci_workload: unsafe write done by %d\n", (int)getpid());
}

/* The whole thing in this process: hold, write into the held bytes, drain. */
static void unsafe(const char *path)
{
	int fd = make_file(path);
	int pr = hold_first_page(fd);

	unsafe_write(fd);
	drain(pr);
	close(fd);
}

static void wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		exit(1);
}

static struct {
	int fd;
} thread_arg;

static void *thread_main(void *arg)
{
	(void)arg;
	set_comm("wl-thread");
	unsafe_write(thread_arg.fd);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(path);
	close(fd);
}

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pid_t pid;

	if (!strcmp(mode, "clean") && argc == 3) {
		char path[] = "/var/tmp/ci_workload.XXXXXX", buf[2 * PAGE];
		int fd = mkstemp(path), pr;

		if (fd < 0)
			die("mkstemp");
		unlink(path);
		memset(buf, 'A', sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
		pr = hold_first_page(fd);
		drain(pr);				/* the pipe no longer holds the page */
		if (pwrite(fd, "WWWWWWWW", 8, 0) != 8)	/* so this write is safe */
			die("pwrite");
		close(fd);
		return atoi(argv[2]);
	}
	if (!strcmp(mode, "unsafe") && (argc == 3 || argc == 4)) {
		unsafe(argv[2]);
		return argc == 4 ? atoi(argv[3]) : 0;
	}
	if (!strcmp(mode, "unsafe-many") && argc == 4) {
		int fd = make_file(argv[2]), pr = hold_first_page(fd), n = atoi(argv[3]);

		for (int i = 0; i < n; i++)
			if (pwrite(fd, "WWWWWWWW", 8, 0) != 8)
				die("pwrite");
		fprintf(stderr, "ci_workload: unsafe write done by %d (%d times)\n", (int)getpid(), n);
		drain(pr);
		return 0;
	}
	if (!strcmp(mode, "outside") && argc == 3) {
		set_comm("wl-outside");
		unsafe(argv[2]);
		return 0;
	}
	if (!strcmp(mode, "unsafe-grandchild") && argc == 3) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			pid_t gc = fork();

			if (gc < 0)
				die("fork");
			if (!gc) {
				set_comm("wl-grandchild");
				unsafe(argv[2]);
				_exit(0);
			}
			wait_child(gc);
			_exit(0);
		}
		wait_child(pid);
		return 0;
	}
	if (!strcmp(mode, "unsafe-thread") && argc == 3) {
		pthread_t t;
		int pr;

		thread_arg.fd = make_file(argv[2]);
		pr = hold_first_page(thread_arg.fd);
		if (pthread_create(&t, NULL, thread_main, NULL))
			die("pthread_create");
		pthread_join(t, NULL);
		drain(pr);
		return 0;
	}
	if (!strcmp(mode, "daemonise") && argc == 3) {
		int done[2];
		char b;
		ssize_t n;

		if (pipe(done))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			pid_t parent = getpid(), d;

			close(done[0]);
			if (setsid() < 0)
				die("setsid");
			d = fork();
			if (d < 0)
				die("fork");
			if (d) {
				_exit(0);
			}
			/* The daemon: wait to be re-parented, then write. */
			for (int i = 0; i < 2000 && getppid() == parent; i++)
				sleep_ms(1);
			set_comm("wl-daemon");
			unsafe(argv[2]);
			if (write(done[1], "d", 1) != 1)
				die("write");
			_exit(0);
		}
		close(done[1]);
		wait_child(pid);
		do
			n = read(done[0], &b, 1);
		while (n < 0 && errno == EINTR);
		return n == 1 ? 0 : 1;
	}
	if (!strcmp(mode, "signal") && argc == 3) {
		int sig = atoi(argv[2]);

		signal(sig, SIG_DFL);
		raise(sig);
		return 1;
	}
	if (!strcmp(mode, "wait") && argc == 5) {
		struct stat st;

		touch(argv[2]);
		for (int i = 0; i < 3000 && stat(argv[3], &st); i++)
			sleep_ms(10);
		return atoi(argv[4]);
	}
	if (!strcmp(mode, "trap") && argc == 4) {
		struct sigaction sa = { .sa_handler = on_term };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		touch(argv[2]);
		for (int i = 0; i < 3000 && !got_term; i++)
			sleep_ms(10);
		if (!got_term)
			return 1;
		touch(argv[3]);
		return 0;
	}
	fprintf(stderr, "usage: ci_workload MODE ARGS... (see the top of tests/ci_workload.c)\n");
	return 2;
}
