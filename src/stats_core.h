/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The counting session (stats_core.c): what stats, top and the Prometheus
 * exporter read, and the helpers that format it. */
#ifndef SW_STATS_CORE_H
#define SW_STATS_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "stats.h"

#define ST_FILE_NAME	(SW_STATS_PATH + 32)

/* One row of the counting maps, summed over CPUs. */
struct st_row {
	struct sw_stat_key key;
	struct sw_stat_val v;
	struct sw_stat_hist h;
	char file[ST_FILE_NAME];
};

/* Page-cache pages of one file that pipe buffers reference right now. */
struct st_held {
	uint64_t ino;
	uint32_t dev;
	uint64_t pages;		/* pipe buffers (one page each) */
	uint64_t bytes;		/* bytes those buffers cover */
	uint64_t oldest_ns;	/* age of the oldest of them */
	char file[ST_FILE_NAME];
};

struct st_snap {
	uint64_t mono_ns;
	int64_t real_ns;
	double elapsed_s;	/* since counting started */
	struct st_row *rows;	/* sorted by key */
	size_t nrows;
	struct st_held *held;	/* sorted by pages, most first */
	size_t nheld;
	uint64_t counters[SW_SC__COUNT];
	uint64_t skipped_runs;	/* program runs the kernel skipped: calls not counted */
};

/* Per-op totals of a snapshot. */
struct st_total {
	struct sw_stat_val v;
	struct sw_stat_hist h;
};

struct st_session;

enum st_sort { ST_SORT_BYTES, ST_SORT_CALLS, ST_SORT_ERRORS, ST_SORT_LATENCY };

struct sw_caps_req;
/* req: the command and options, for the capability check (caps.h). */
struct st_session *st_session_open(const struct sw_caps_req *req);
/* When counting started (CLOCK_MONOTONIC ns). */
uint64_t st_session_start_ns(const struct st_session *s);
void st_session_close(struct st_session *s);
/* Safe from several threads (the exporter's and the main loop). */
int st_collect(struct st_session *s, struct st_snap *snap);
void st_snap_free(struct st_snap *snap);
/* Orders rows by key (tgid, op, file): the order of a snapshot's rows. */
int st_row_key_cmp(const void *a, const void *b);
/* A copy of the snapshot's rows sorted for display (busiest first); free() it. */
struct st_row *st_sorted_rows(const struct st_snap *snap, enum st_sort sort);
/* Sums rows into per-op totals: tot[SW_STAT__COUNT]. */
void st_totals(const struct st_snap *snap, struct st_total *tot);

/* Latency histogram as text, like bcc's print_log2_hist. */
void st_print_hist(FILE *f, const u64 *slots);
uint64_t st_hist_lo(int slot);
uint64_t st_hist_hi(int slot);
void st_fmt_ns(char *buf, size_t len, double ns);
void st_fmt_bytes(char *buf, size_t len, double bytes);

#endif
