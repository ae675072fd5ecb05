// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * swtest: what a scenario's outcome must be, checked after it ran: the bytes
 * its pipe and file hold, and for a race scenario an event in every landed
 * write's window. (swtest.c runs the scenarios; swtest_event.c reads the
 * events.)
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "swtest.h"
#include "swtest_sw.h"

/* Bytes as text for a failure message: printable as they are, others \xNN. */
static const char *show_bytes(const char *b, ssize_t n, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = 0;
	for (ssize_t i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = b[i];

		o += snprintf(out + o, cap - o, isprint(c) && c != '\\' ? "%c" : "\\x%02x", c);
	}
	return out;
}

/* The write ops a write syscall's sys_enter checks: with its runs dropped, a
 * backup hook must check them (truncate(path), mmap stores and io_uring
 * writes are checked elsewhere anyway). */
bool checked_at_sys_enter(const char *op)
{
	static const char *ops[] = { "write", "pwrite64", "writev", "pwritev", "pwritev2",
		"copy_file_range", "splice", "sendfile", "fallocate", "ftruncate" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i]))
			return true;
	return false;
}

/* After `skip` bytes, the pipe delivers e's bytes (never blocks). */
bool check_pipe(struct tctx *t, char *why, size_t whylen)
{
	const struct expect *e = t->e;
	bool lands = write_lands(t);
	const char *want = lands ? e->pipe_landed : e->pipe_original;
	static char junk[1 << 16];
	char buf[64], s1[300], s2[300];
	int64_t left = e->pipe_skip;
	ssize_t n = 0, got = 0;

	fcntl(e->pipe_fd, F_SETFL, fcntl(e->pipe_fd, F_GETFL) | O_NONBLOCK);
	while (left > 0 && (n = read(e->pipe_fd, junk, left < (int64_t)sizeof(junk) ?
				     left : (int64_t)sizeof(junk))) > 0)
		left -= n;
	CHECK(!left, "the pipe ran dry %lld bytes before the %d checked (read: %s)",
	      (long long)left, e->pipe_len, n < 0 ? strerror(errno) : "end of file");
	while (got < e->pipe_len && (n = read(e->pipe_fd, buf + got, e->pipe_len - got)) > 0)
		got += n;
	CHECK(got == e->pipe_len && !memcmp(buf, want, got),
	      "the pipe delivered %zd bytes '%s' after %lld, want '%s'%s", got,
	      show_bytes(buf, got, s1, sizeof(s1)), (long long)e->pipe_skip,
	      show_bytes(want, e->pipe_len, s2, sizeof(s2)),
	      lands ? "" : " (the spliced bytes: the write must not land)");
	return true;
}

/* The file's bytes and size are e's (pread, stat: the page cache). */
bool check_file(struct tctx *t, char *why, size_t whylen)
{
	const struct expect *e = t->e;
	bool lands = write_lands(t);
	char buf[64], s1[300], s2[300];
	struct stat st;

	if (e->file_path[0]) {
		const char *want = lands ? e->file_landed : e->file_original;
		int fd = open(e->file_path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : pread(fd, buf, e->file_len, e->file_off);

		if (fd >= 0)
			close(fd);
		CHECK(n == e->file_len && !memcmp(buf, want, n),
		      "the file's bytes at %lld are '%s'%s, want '%s'%s", (long long)e->file_off,
		      show_bytes(buf, n > 0 ? n : 0, s1, sizeof(s1)), n < 0 ? " (cannot read)" : "",
		      show_bytes(want, e->file_len, s2, sizeof(s2)),
		      lands ? "" : " (the write must not land)");
	}
	if (e->size_landed >= 0) {
		int64_t want = lands ? e->size_landed : e->size_original;

		CHECK(!stat(t->path, &st) && st.st_size == want, "the file's size is %lld, want %lld%s",
		      (long long)st.st_size, (long long)want, lands ? "" : " (the change must not land)");
	}
	return true;
}

/* Is ev, at 96, inside the window of landed write i of a race scenario? */
static bool race_event_of(const struct expect *e, int i, const struct event *ev)
{
	long long ts = strtoll(ev_get(ev, "ts_ns") ?: "0", NULL, 10);

	return ts >= e->race_t0[i] && ts <= e->race_t1[i] &&
	       !strcmp(ev_get(ev, "write_offset") ?: "", "96");
}

/* Is it inside any? The writer's other events (a write sys_enter checked on
 * the held file that then went to the other one) are any number: only these
 * are kept. */
bool race_event(const struct expect *e, const struct event *ev)
{
	for (int i = 0; i < e->race_landed; i++)
		if (race_event_of(e, i, ev))
			return true;
	return false;
}

/* Each landed write of a race scenario has an event of its writer inside its
 * window (evs: those, of total events from the writer). */
bool check_race(const struct expect *e, struct event *evs, int nevs, int total, char *why,
		       size_t whylen)
{
	if (e->race_landed < RACE_MAX) {
		snprintf(why, whylen, "only %d writes landed in held bytes (race lost)", e->race_landed);
		return false;
	}
	for (int i = 0; i < e->race_landed; i++) {
		bool seen = false;

		for (int k = 0; k < nevs && !seen; k++)
			seen = race_event_of(e, i, &evs[k]);
		if (!seen) {
			snprintf(why, whylen, "landed write %d of %d (in [%lld, %lld] ns) has no event "
				 "(%d events from the writer)", i + 1, e->race_landed,
				 (long long)e->race_t0[i], (long long)e->race_t1[i], total);
			return false;
		}
	}
	return true;
}
