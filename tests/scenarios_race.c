// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Scenarios: a second thread changes a write after sys_enter read it (issue
 * 18, check-then-use). The kernel-function hooks (fentry, kprobe) see the
 * file and range the kernel really writes and re-check what sys_enter did not
 * check; the tracepoint backend cannot (docs/enforce.md, "Check-then-use").
 * Racing, so not one write: the writer stops after RACE_MAX writes landed in
 * held bytes, each of which must have an event in its time window.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "swtest.h"
#include "scenario_lib.h"

#define RACE_SECONDS 5

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct racer {
	atomic_bool stop;
	int fd, held_fd, other_fd;	/* race_fd */
	struct iovec *iov;		/* race_iov */
};

/* Held: page 0 of the file; the writer writes 8 bytes at 96, its sequence
 * number, and reads them back to tell whether that write landed there. */
int setup_race(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	t->fd2 = make_file(t, t->path2, "other", PAGE, 'A');
	if (t->fd2 < 0)
		return -1;
	t->e->race = true;
	return 0;
}

/* One write of seq at 96 through write_fd, made by w(); recorded when it
 * landed in the held file (read back through check_fd). */
static bool race_write(struct tctx *t, int check_fd, uint64_t seq, ssize_t (*w)(void *, uint64_t),
		       void *arg)
{
	struct expect *e = t->e;
	int64_t t0 = mono_ns(), t1;
	uint64_t got = 0;

	w(arg, seq);
	t1 = mono_ns();
	if (pread(check_fd, &got, sizeof(got), 96) != sizeof(got) || got != seq)
		return false;
	e->race_t0[e->race_landed] = t0;
	e->race_t1[e->race_landed] = t1;
	return ++e->race_landed >= RACE_MAX;
}

static void race_loop(struct tctx *t, ssize_t (*w)(void *, uint64_t), void *arg)
{
	int check_fd = open(t->path, O_RDONLY);
	int64_t end = mono_ns() + RACE_SECONDS * 1000000000LL;

	for (uint64_t seq = 1; mono_ns() < end; seq++)
		if (race_write(t, check_fd, seq, w, arg))
			break;
	close(check_fd);
}

static void *swap_fd(void *arg)
{
	struct racer *r = arg;

	while (!atomic_load(&r->stop)) {
		dup2(r->held_fd, r->fd);
		dup2(r->other_fd, r->fd);
	}
	return NULL;
}

static ssize_t pwrite_seq(void *arg, uint64_t seq)
{
	return pwrite(((struct racer *)arg)->fd, &seq, sizeof(seq), 96);
}

/* Thread A dup2()s the held file and another over the fd thread B pwrites
 * through: the file sys_enter read is not always the one the kernel writes. */
int do_race_dup2(struct tctx *t)
{
	struct racer r = { .held_fd = open(t->path, O_WRONLY), .other_fd = open(t->path2, O_WRONLY) };
	pthread_t a;

	r.fd = dup(r.other_fd);
	if (r.held_fd < 0 || r.other_fd < 0 || r.fd < 0 || pthread_create(&a, NULL, swap_fd, &r))
		return 1;
	race_loop(t, pwrite_seq, &r);
	atomic_store(&r.stop, true);
	pthread_join(a, NULL);
	return 0;
}

static void *swap_len(void *arg)
{
	struct racer *r = arg;
	volatile size_t *len = &r->iov->iov_len;

	/* A spin after each store: under qemu's TCG an interrupt (and so a
	 * preemption) comes only between translated blocks, and a loop of the
	 * two stores alone is one block, always preempted at 0. */
	while (!atomic_load(&r->stop)) {
		*len = 8;
		for (volatile int i = 0; i < 64; i++)
			;
		*len = 0;
		for (volatile int i = 0; i < 64; i++)
			;
	}
	return NULL;
}

static uint64_t iov_seq;

static ssize_t pwritev_seq(void *arg, uint64_t seq)
{
	struct racer *r = arg;

	iov_seq = seq;
	return pwritev(r->fd, r->iov, 1, 96);
}

/* Thread A flips the iovec's length between 0 and 8 while thread B pwritev()s
 * it: the length sys_enter read is not always the one the kernel writes. */
int do_race_iov(struct tctx *t)
{
	struct iovec iov = { .iov_base = &iov_seq, .iov_len = 0 };
	struct racer r = { .fd = open(t->path, O_WRONLY), .iov = &iov };
	pthread_t a;

	if (r.fd < 0 || pthread_create(&a, NULL, swap_len, &r))
		return 1;
	race_loop(t, pwritev_seq, &r);
	atomic_store(&r.stop, true);
	pthread_join(a, NULL);
	return 0;
}
