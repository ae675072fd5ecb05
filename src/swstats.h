/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What stats, top and the Prometheus exporter share: the counting session and snapshots. */
#ifndef SW_SWSTATS_H
#define SW_SWSTATS_H

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

struct st_opts {
	double interval;	/* seconds */
	uint64_t count;		/* 0: until stopped */
	bool json;
	const char *prom_addr;	/* ADDR:PORT or NULL */
	uint32_t prom_top;	/* comms and files with their own label value */
	uint64_t rows;		/* 0: all */
	enum st_sort sort;
};

/* Options stats and top share (values outside the char range). */
enum {
	ST_OPT_COUNT = 0x300,
	ST_OPT_PROM,
	ST_OPT_PROM_TOP,
	ST_OPT_SORT,
};

#define ST_COMMON_LONGOPTS						\
	{ "rows", required_argument, NULL, 'n' },			\
	{ "interval", required_argument, NULL, 'i' },			\
	{ "count", required_argument, NULL, ST_OPT_COUNT },		\
	{ "prometheus", required_argument, NULL, ST_OPT_PROM },	\
	{ "prometheus-top", required_argument, NULL, ST_OPT_PROM_TOP },	\
	{ "help", no_argument, NULL, 'h' }

#define ST_COMMON_HELP							\
	"  -i, --interval SECS  seconds between snapshots (default %s; decimals allowed)\n" \
	"      --count N        exit after N snapshots (default: run until SIGINT/SIGTERM)\n" \
	"      --prometheus ADDR:PORT\n"					\
	"                       also serve the counters at http://ADDR:PORT/metrics in\n" \
	"                       Prometheus text format; listens on ADDR only (IPv6:\n" \
	"                       [ADDR]:PORT; PORT 0 picks a free port and reports it)\n" \
	"      --prometheus-top N\n"						\
	"                       comms (and files) with their own label value, the\n" \
	"                       busiest by bytes; the rest are summed as \"other\"\n" \
	"                       (default 10)\n"

void st_opts_defaults(struct st_opts *o, double interval);
/* An option of CMD ("stats", "top") that both share (also getopt's '?'):
 * returns 1 if handled, -1 after saying what is wrong, 0 if not shared. */
int st_common_option(struct st_opts *o, const char *cmd, int opt, const char *arg);

struct st_session *st_session_open(void);
void st_session_close(struct st_session *s);
int st_collect(struct st_session *s, struct st_snap *snap);
void st_snap_free(struct st_snap *snap);
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

/* Runs the snapshot loop shared by stats and top: fn is called per snapshot
 * (final: the last one, after SIGINT/SIGTERM). */
typedef int (*st_snap_fn)(void *ctx, const struct st_snap *snap, bool final);
int st_run(const struct st_opts *o, st_snap_fn fn, void *ctx, bool final_snapshot);

/* The Prometheus exporter. */
struct st_prom;
struct st_prom *st_prom_start(struct st_session *s, const char *addr, uint32_t top);
void st_prom_stop(struct st_prom *p);
/* Writes the exposition text of a snapshot (also used by tests through stats). */
void st_prom_render(FILE *f, const struct st_snap *snap, uint32_t top);

#endif
