// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Workload for tests/suites/enforce.sh.
 *
 *   enforce_workload write [OPTIONS] FILE
 *
 * Creates FILE (two pages of 'A'), forks the writer child, splices FILE's bytes
 * 0..99 into a pipe it keeps, then lets the child pwrite "WWWWWWWW" at offset 0:
 * into bytes the pipe still holds. After the child is gone it reads the pipe and
 * the file and prints, one "key=value" per line on stdout:
 *
 *   writer=PID          the writer child
 *   status=exit:N       how it ended (status=signal:N when a signal killed it)
 *   pipe=XXXXXXXX       the first 8 bytes the pipe delivered ('A's: the original)
 *   file=XXXXXXXX       the 8 bytes of FILE at the write offset
 *
 * and, from the child if it lived through its write:
 *
 *   tid=T               the thread that wrote
 *   main_tid=M          the child's main thread
 *   handled_tid=H       the thread in which the --catch handler ran (0: never)
 *   thread_pending=0|1  (--thread --catch) the signal was pending on the
 *                       writing thread itself after the write
 *
 * Options:
 *   --comm NAME    comm of the writing thread (default ew-writer)
 *   --thread       a second thread of the child makes the write
 *   --catch SIG    the child handles signal number SIG (the handler records
 *                  gettid()). With --thread the writing thread blocks SIG while
 *                  it writes and unblocks it afterwards: a signal sent to the
 *                  process then goes to the main thread (handled_tid=main_tid,
 *                  thread_pending=0), one sent to the writing thread waits on it
 *                  (thread_pending=1, then handled_tid=tid)
 *   --safe         write at offset 200 instead: the same page, bytes the pipe
 *                  does not hold
 *   --drain        read the pipe empty before the write
 *   --cgroup DIR   the child moves itself into cgroup v2 DIR before the write
 *   --ready FILE   the child writes its pid to FILE (created atomically), and
 *   --go FILE      nothing is spliced until FILE exists (up to 60 s)
 *
 *   enforce_workload hold FILE READY DONE [PIPE_OUT]
 *
 * Splices FILE's first page (or what there is of it) into a pipe, creates READY,
 * waits until DONE exists (up to 60 s), then writes what the pipe delivers to
 * PIPE_OUT (the held page-cache bytes as they are now: a write into them since
 * the splice shows there), or exits without reading the pipe.
 *
 * Exits 0 when it could do all that (whatever happened to the writer), 1 with a
 * message when a system call failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096
#define HELD		100	/* bytes 0..99 go into the pipe */
#define SAFE_OFF	200

static const char *comm = "ew-writer";
static bool thread_mode, safe, drain_first;
static int catch_sig;
static const char *cgroup, *ready, *go;
static int data_fd;
static off_t write_off;

static volatile sig_atomic_t handled_tid;
static pid_t writer_tid, main_tid;
static int thread_pending;

static void die(const char *what)
{
	fprintf(stderr, "enforce_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	handled_tid = gettid();
}

static void wait_for_file(const char *path)
{
	for (int i = 0; i < 6000; i++) {
		if (!access(path, F_OK))
			return;
		usleep(10000);
	}
	fprintf(stderr, "enforce_workload: %s never appeared\n", path);
	exit(1);
}

static void put_file(const char *path, const char *text)
{
	char tmp[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) ||
	    rename(tmp, path))
		die(path);
}

/* Is sig pending on the calling thread itself (not on its process)? */
static int pending_on_thread(int sig)
{
	char line[256];
	unsigned long long mask = 0;
	FILE *f = fopen("/proc/thread-self/status", "re");

	if (!f)
		die("/proc/thread-self/status");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigPnd: %llx", &mask) == 1)
			break;
	fclose(f);
	return !!(mask & (1ULL << (sig - 1)));
}

static void do_write(void)
{
	sigset_t set;

	if (prctl(PR_SET_NAME, comm))
		die("prctl");
	writer_tid = gettid();
	if (thread_mode && catch_sig) {
		sigemptyset(&set);
		sigaddset(&set, catch_sig);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	if (pwrite(data_fd, "WWWWWWWW", 8, write_off) != 8)
		die("pwrite");
	if (thread_mode && catch_sig) {
		/* Until the signal is either pending on this thread or handled by
		 * the main thread (which may take a moment to be scheduled), 1 s at
		 * most: unblocking earlier would let this thread take a signal sent
		 * to the process. */
		for (int i = 0; i < 1000 && !handled_tid; i++) {
			thread_pending = pending_on_thread(catch_sig);
			if (thread_pending)
				break;
			usleep(1000);
		}
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
}

static void *writer_thread(void *arg)
{
	(void)arg;
	do_write();
	return NULL;
}

static void child(int sync_fd)
{
	char c, buf[64];
	pthread_t t;

	main_tid = gettid();
	if (catch_sig) {
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		if (sigaction(catch_sig, &sa, NULL))
			die("sigaction");
	}
	if (cgroup) {
		char p[4096];
		int fd;

		snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		snprintf(p, sizeof(p), "%s/cgroup.procs", cgroup);
		fd = open(p, O_WRONLY);
		if (fd < 0 || write(fd, buf, strlen(buf)) < 0 || close(fd))
			die(p);
	}
	if (ready) {
		snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		put_file(ready, buf);
	}
	if (read(sync_fd, &c, 1) != 1)
		die("read sync");
	if (thread_mode) {
		if (pthread_create(&t, NULL, writer_thread, NULL))
			die("pthread_create");
		pthread_join(t, NULL);
	} else {
		do_write();
	}
	printf("tid=%d\nmain_tid=%d\nhandled_tid=%d\nthread_pending=%d\n", (int)writer_tid,
	       (int)main_tid, (int)handled_tid, thread_pending);
	fflush(stdout);
	_exit(0);
}

static void show(const char *key, const char *buf, ssize_t n)
{
	printf("%s=", key);
	for (ssize_t i = 0; i < n && i < 8; i++)
		putchar(buf[i] >= 0x21 && buf[i] < 0x7f ? buf[i] : '.');
	putchar('\n');
}

static int cmd_write(int argc, char **argv)
{
	char buf[2 * PAGE], got[HELD];
	ssize_t got_n = 0;
	int sync[2], hold[2], st, i;
	loff_t off = 0;
	pid_t pid;

	for (i = 2; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--comm") && i + 1 < argc - 1)
			comm = argv[++i];
		else if (!strcmp(argv[i], "--thread"))
			thread_mode = true;
		else if (!strcmp(argv[i], "--catch") && i + 1 < argc - 1)
			catch_sig = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--safe"))
			safe = true;
		else if (!strcmp(argv[i], "--drain"))
			drain_first = true;
		else if (!strcmp(argv[i], "--cgroup") && i + 1 < argc - 1)
			cgroup = argv[++i];
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc - 1)
			ready = argv[++i];
		else if (!strcmp(argv[i], "--go") && i + 1 < argc - 1)
			go = argv[++i];
		else {
			fprintf(stderr, "enforce_workload: bad option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: enforce_workload write [OPTIONS] FILE\n");
		return 2;
	}
	write_off = safe ? SAFE_OFF : 0;

	data_fd = open(argv[argc - 1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (data_fd < 0)
		die(argv[argc - 1]);
	memset(buf, 'A', sizeof(buf));
	if (write(data_fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		die("write");
	if (pipe(sync))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(sync[1]);
		child(sync[0]);
	}
	close(sync[0]);
	if (go)
		wait_for_file(go);
	if (pipe(hold))
		die("pipe");
	if (splice(data_fd, &off, hold[1], NULL, HELD, 0) != HELD)
		die("splice");
	if (drain_first) {
		got_n = read(hold[0], got, sizeof(got));
		if (got_n < 0)
			die("read pipe");
	}
	if (write(sync[1], "x", 1) != 1)
		die("write sync");
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (!drain_first) {
		got_n = read(hold[0], got, sizeof(got));
		if (got_n < 0)
			die("read pipe");
	}
	printf("writer=%d\n", (int)pid);
	if (WIFSIGNALED(st))
		printf("status=signal:%d\n", WTERMSIG(st));
	else
		printf("status=exit:%d\n", WEXITSTATUS(st));
	show("pipe", got, got_n);
	if (pread(data_fd, buf, 8, write_off) != 8)
		die("pread");
	show("file", buf, 8);
	return 0;
}

static int cmd_hold(int argc, char **argv)
{
	int fd, p[2], out;
	loff_t off = 0;
	ssize_t n, got;
	char buf[PAGE];

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: enforce_workload hold FILE READY DONE [PIPE_OUT]\n");
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0)
		die(argv[2]);
	if (pipe(p))
		die("pipe");
	if (splice(fd, &off, p[1], NULL, PAGE, 0) < 0)
		die("splice");
	put_file(argv[3], "held\n");
	wait_for_file(argv[4]);
	if (argc == 6) {
		close(p[1]);	/* read what there is, never block */
		out = open(argv[5], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (out < 0)
			die(argv[5]);
		for (got = 0; got < PAGE; got += n) {
			n = read(p[0], buf, PAGE - got);
			if (n < 0)
				die("read pipe");
			if (n == 0)
				break;
			if (write(out, buf, n) != n)
				die("write pipe bytes");
		}
		close(out);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "write"))
		return cmd_write(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "hold"))
		return cmd_hold(argc, argv);
	fprintf(stderr, "usage: enforce_workload write [OPTIONS] FILE | hold FILE READY DONE\n");
	return 2;
}
