/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SW_SRC_VERIFY_H
#define SW_SRC_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "verify_event.h"

struct sw_session;
struct sw_output;
struct sw_event;
struct sw_change_event;
struct sw_verify;

/* An unexplained change, its path resolved (absolute: made absolute with its
 * filesystem's mount point). */
typedef void (*sw_change_fn)(void *ctx, const struct sw_change_event *c, const char *path,
			     bool absolute);

/* Where the changes go: trace prints them to out, ci hands them to fn. */
struct sw_verify_target {
	struct sw_output *out;
	sw_change_fn fn;
	void *ctx;
	/* ci: only changes of bytes COMMAND's tree (this cgroup and below)
	 * spliced or takes out; 0: all. */
	uint64_t scope_cgroup_id;
	uint32_t scope_cgroup_level;
	uint32_t user_share;	/* --user-share: percent of the table one non-root uid may fill */
	/* enforce: what a drain of changed bytes does to its reader
	 * (SW_ACT_KILLED, SW_ACT_WOULD_KILL; SW_ACT_REPORTED: nothing) and
	 * the signal sent. */
	uint32_t reader_action;
	int reader_signal;
	bool quiet;		/* ci -q: no start-up line */
};

/* What the checks did, for the summary and ci's report. */
struct sw_verify_counts {
	uint64_t fingerprinted, checks, changes, unexplained, explained;
	uint64_t unreadable, not_fingerprinted, lost;
	uint64_t skipped_runs;	/* runs of the verify programs the kernel skipped */
};

/* --verify: loads and attaches the content checks beside session s, their
 * changes to t. NULL when they cannot run here (said). */
struct sw_verify *sw_verify_start(struct sw_session *s, const struct sw_verify_target *t);
/* From the poll loop: the sweep when due, then the changes found. */
void sw_verify_tick(struct sw_verify *v);
/* An unsafe write the session reported: a change it explains is not one. */
void sw_verify_note_write(struct sw_verify *v, const struct sw_event *ev);
/* Detaches; the last changes; the summary line (summary NULL: none). */
void sw_verify_stop(struct sw_verify *v, FILE *summary);
void sw_verify_counts(const struct sw_verify *v, struct sw_verify_counts *n);

/* --prometheus: the counts so far, safe to read from another thread while
 * the poll loop runs. */
struct sw_verify_metrics {
	uint64_t shown[SW_CHECK__COUNT][SW_ACT__COUNT];	/* unexplained changes shown */
	uint64_t folded;		/* of them, folded into --aggregate lines */
	uint64_t not_fingerprinted;	/* held ranges: the table or the user's share full */
	uint64_t lost;			/* change records the ring buffer had no room for */
};
void sw_verify_metrics(const struct sw_verify *v, struct sw_verify_metrics *m);

void sw_verify_close(struct sw_verify *v);

#endif
