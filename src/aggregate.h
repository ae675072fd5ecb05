/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trace and enforce --aggregate WINDOW: repeats of an unsafe write folded
 * into one line (aggregate.c).
 *
 * A key is (writer uid, writer pid, file dev+ino, op, action): the uid keeps
 * one user's writes out of another user's line even when a pid is reused,
 * the action keeps a kill out of a report. The first write of a key goes out
 * at once and opens its window; writes of the key within WINDOW of it are
 * folded; when the window closes (the poll loop's timer, or the next write
 * of the key after it, or the end of the run) one aggregate line goes out
 * for them: the last folded write's fields with count, first_ts_ns,
 * last_ts_ns. The table holds at most SW_AGG_KEYS keys: a write of a new key
 * while it is full goes out as it is (counted in unaggregated), never
 * dropped or delayed.
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

/* What an aggregate line stands for: count folded writes, the first and the
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
	uint64_t folded;		/* writes folded into aggregate lines */
	uint64_t unaggregated;		/* writes of new keys with the table full */
	uint64_t lines;			/* aggregate lines written */
};

/* Writes one event: agg NULL for a write as it came, else the aggregate. */
typedef void (*sw_agg_emit_fn)(void *ctx, const struct sw_event *ev,
			       const struct sw_agg_info *agg);

/* "10s", "500ms", "2m", "1h", a number of seconds; "0" or "off": 0. Returns
 * 0, or -1 (not said). */
int sw_agg_parse(const char *s, uint64_t *ns);
/* Takes an unsafe write (len bytes, path included): true when it was folded
 * (nothing to write now); false: write it now. A window it closes goes out
 * first, through emit. */
bool sw_agg_event(struct sw_agg *a, const struct sw_event *ev, size_t len,
		  sw_agg_emit_fn emit, void *ctx);
/* Closes the windows that ended by now (CLOCK_MONOTONIC ns), or all of them
 * (the run's end), writing their aggregate lines through emit. */
void sw_agg_expire(struct sw_agg *a, uint64_t now, bool all, sw_agg_emit_fn emit, void *ctx);

#endif
