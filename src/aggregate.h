/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trace and enforce --aggregate WINDOW: repeats of an unsafe write, or of
 * an unexplained change (--verify), folded into one line (aggregate.c).
 *
 * A key (struct sw_agg_key) names whose record it is, the task and its
 * user, the file, what kind of record and what was done: the users keep one
 * user's records out of another user's line even when a pid is reused, the
 * action keeps a kill out of a report. The first record of a key goes out
 * at once and opens its window; records of the key within WINDOW of it are
 * folded; when the window closes (the poll loop's timer, or the next record
 * of the key after it, or the end of the run) one aggregate line goes out
 * for them: the last folded record's fields with count, first_ts_ns,
 * last_ts_ns. The table holds at most SW_AGG_KEYS keys: a record of a new
 * key while it is full goes out as it is (counted in unaggregated), never
 * dropped or delayed. Each owner (the output's writes, verify's changes)
 * has a table of its own.
 */
#ifndef SW_AGGREGATE_H
#define SW_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "splicewatch.h"

#define SW_AGG_KEYS		1024	/* keys in the table at most */
#define SW_AGG_DEFAULT_NS	(10 * 1000000000ULL)	/* on a terminal */
#define SW_AGG_MAX_NS		(3600 * 1000000000ULL)

/* What an aggregate line stands for: count folded records, the first and the
 * last at these CLOCK_MONOTONIC times. */
struct sw_agg_info {
	uint64_t count;
	uint64_t first_ts_ns;
	uint64_t last_ts_ns;
};

struct sw_agg_entry;

struct sw_agg {
	uint64_t window_ns;		/* 0: off */
	struct sw_agg_entry **buckets;
	uint32_t n;			/* keys in the table */
	/* __atomic: --prometheus reads them from its own thread */
	uint64_t folded;		/* records folded into aggregate lines */
	uint64_t unaggregated;		/* records of new keys with the table full */
	uint64_t lines;			/* aggregate lines written */
};

/* What repeats fold on. An unsafe write: uid and pid_uid the writer's
 * user, pid the writer, kind its op, action what was done to it. An
 * unexplained change: uid the holder's (splicer's) user, pid and pid_uid
 * the reader and its user (0: the sweep), kind the check, action what was
 * done to the reader. */
struct sw_agg_key {
	uint32_t uid, pid, pid_uid, dev, kind, action;
	uint64_t ino;
};

/* Writes one record (an sw_event, or what the table's owner folds): agg
 * NULL for a record as it came, else the aggregate. */
typedef void (*sw_agg_emit_fn)(void *ctx, const void *rec, const struct sw_agg_info *agg);

/* "10s", "500ms", "2m", "1h", a number of seconds; "0" or "off": 0. Returns
 * 0, or -1 (not said). */
int sw_agg_parse(const char *s, uint64_t *ns);
/* Takes a record of key k made at ts_ns (CLOCK_MONOTONIC; len bytes): true
 * when it was folded (nothing to write now); false: write it now. A window
 * it closes goes out first, through emit. */
bool sw_agg_fold(struct sw_agg *a, const struct sw_agg_key *k, uint64_t ts_ns,
		 const void *rec, size_t len, sw_agg_emit_fn emit, void *ctx);
/* sw_agg_fold for an unsafe write (len bytes, path included). */
bool sw_agg_event(struct sw_agg *a, const struct sw_event *ev, size_t len,
		  sw_agg_emit_fn emit, void *ctx);
/* Closes the windows that ended by now (CLOCK_MONOTONIC ns), or all of them
 * (the run's end), writing their aggregate lines through emit. */
void sw_agg_expire(struct sw_agg *a, uint64_t now, bool all, sw_agg_emit_fn emit, void *ctx);

#endif
