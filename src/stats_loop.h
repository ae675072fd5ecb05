/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What stats and top share above the counting session (stats_loop.c). */
#ifndef SW_STATS_LOOP_H
#define SW_STATS_LOOP_H

#include <getopt.h>
#include "stats_core.h"

/* Prints one snapshot to f (the output: written out and checked by st_run). */
typedef int (*st_snap_fn)(void *ctx, FILE *f, const struct st_snap *snap, bool final);

struct st_opts {
	double interval;	/* seconds */
	uint64_t count;		/* 0: until stopped */
	bool json;
	const char *prom_addr;	/* ADDR:PORT or NULL */
	uint32_t prom_top;	/* comms and files with their own label value */
	bool prom_no_paths;	/* no file label on the held-page gauges */
	uint64_t rows;		/* 0: all */
	enum st_sort sort;
	const char *command;	/* stats or top */
};

/* Options stats and top share (values outside the char range). */
enum {
	ST_OPT_COUNT = 0x300,
	ST_OPT_PROM,
	ST_OPT_PROM_TOP,
	ST_OPT_PROM_NO_PATHS,
	ST_OPT_SORT,
	ST_OPT_NODE,
};

#define ST_COMMON_LONGOPTS						\
	{ "rows", required_argument, NULL, 'n' },			\
	{ "interval", required_argument, NULL, 'i' },			\
	{ "count", required_argument, NULL, ST_OPT_COUNT },		\
	{ "prometheus", required_argument, NULL, ST_OPT_PROM },	\
	{ "prometheus-top", required_argument, NULL, ST_OPT_PROM_TOP },	\
	{ "prometheus-no-paths", no_argument, NULL, ST_OPT_PROM_NO_PATHS }, \
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
	"                       (default 10)\n"						\
	"      --prometheus-no-paths\n"					\
	"                       no file label: the held-page gauges are one series\n" \
	"                       for all files (file paths can name other users' work)\n"

/* The end of both usage texts. */
#define ST_HELP_END							\
	"  -h, --help           this help\n"					\
	"\n"								\
	"Needs root and a kernel with BTF. Exit status: 0 when stopped by --count,\n" \
	"SIGINT or SIGTERM; 1 if reading the counters or writing the output failed;\n" \
	"2 on usage or setup errors. See docs/stats.md for the fields.\n"

void st_opts_defaults(struct st_opts *o, double interval);
/* An option stats and top share (ctx: struct st_opts), for sw_parse_options:
 * returns 1 if handled, -1 after saying what is wrong, 0 if not shared. */
int st_common_option(void *ctx, int opt, const char *arg);

/* stats and top: one option of their own besides the shared ones. */
struct st_command {
	const char *name;
	const char *shortopts;
	struct option own;
	void (*usage)(FILE *f);
	int (*option)(void *opts, int opt, const char *arg);	/* own, else st_common_option */
	double interval;	/* default seconds between snapshots */
	uint64_t rows;		/* default rows, 0: all */
	st_snap_fn snapshot;
	bool final_snapshot;	/* one more after SIGINT/SIGTERM */
	bool node;		/* --node NAME: its output is JSON records */
};

/* The command NAME: its functions are NAME_usage, NAME_option, NAME_snapshot. */
#define ST_COMMAND(NAME, SHORTOPTS, OWN_NAME, OWN_HAS_ARG, OWN_VAL, INTERVAL, ROWS, FINAL, NODE) \
	{ #NAME, SHORTOPTS, { OWN_NAME, OWN_HAS_ARG, NULL, OWN_VAL }, NAME##_usage,	\
	  NAME##_option, INTERVAL, ROWS, NAME##_snapshot, FINAL, NODE }

/* Parses the command line into *o and runs the loop: the exit status. */
int st_command_run(const struct st_command *cmd, int argc, char **argv, struct st_opts *o,
		   void *ctx);

/* Runs the snapshot loop shared by stats and top: fn is called per snapshot
 * (final: the last one, after SIGINT/SIGTERM). */
int st_run(const struct st_opts *o, st_snap_fn fn, void *ctx, bool final_snapshot);

#endif
