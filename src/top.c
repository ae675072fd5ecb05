// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch top: a refreshing view of the busiest copy-path users. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sw.h"
#include "stats_loop.h"

static void top_usage(FILE *f)
{
	fprintf(f,
		"Usage: splicewatch top [OPTIONS]\n"
		"\n"
		"A refreshing view of the processes and files that use splice(2) (by\n"
		"direction), sendfile(2), tee(2), vmsplice(2) and copy_file_range(2), one row\n"
		"per process (pid, comm), call and file: calls, calls/s, bytes, bytes/s,\n"
		"errors, average latency, and the share of the bytes that entered pipes as\n"
		"page-cache references (ZC%%). The header sums all rows and shows the\n"
		"page-cache pages pipes hold right now and the age of the oldest hold.\n"
		"Counts are totals since the command started; rates are over the last\n"
		"interval. When standard output is a terminal the screen is redrawn each\n"
		"interval; otherwise plain snapshots are printed, separated by a blank line.\n"
		"\n"
		"Options:\n"
		"  -s, --sort KEY       order rows by bytes (default), calls, errors or\n"
		"                       latency (average per call); largest first\n"
		"  -n, --rows N         show at most N rows (default 20)\n");
	fprintf(f, ST_COMMON_HELP ST_HELP_END, "2");
}

struct top_ctx {
	const struct st_opts *o;
	bool tty;
	uint64_t printed;
	struct st_row *prev;	/* previous snapshot's rows, sorted by key */
	size_t nprev;
	uint64_t prev_ns;
};

static const char *const sort_names[] = {
	[ST_SORT_BYTES] = "bytes",
	[ST_SORT_CALLS] = "calls",
	[ST_SORT_ERRORS] = "errors",
	[ST_SORT_LATENCY] = "latency",
};

static int top_option(void *ctx, int opt, const char *arg)
{
	struct st_opts *o = ctx;

	if (opt != 's')
		return st_common_option(o, opt, arg);
	for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
		if (!strcmp(arg, sort_names[i])) {
			o->sort = i;
			return 1;
		}
	sw_err("--sort: '%s' is not one of bytes, calls, errors, latency", arg);
	return -1;
}

static int top_snapshot(void *ctx, FILE *f, const struct st_snap *snap, bool final)
{
	struct top_ctx *c = ctx;
	struct st_total tot[SW_STAT__COUNT];
	struct sw_stat_val all = { 0 };
	struct st_row *rows, *prev_copy;
	double dt = c->prev_ns ? (snap->mono_ns - c->prev_ns) / 1e9 : snap->elapsed_s;
	size_t n = snap->nrows;
	char a[24], b[24], d[24], when[16];
	time_t t = snap->real_ns / 1000000000LL;
	uint64_t oldest = 0;
	struct tm tm;

	(void)final;
	rows = st_sorted_rows(snap, c->o->sort);
	if (!rows)
		return -1;
	st_totals(snap, tot);
	for (int op = 0; op < SW_STAT__COUNT; op++) {
		all.calls += tot[op].v.calls;
		all.bytes += tot[op].v.bytes;
		all.errors += tot[op].v.errors;
		all.pagecache_bytes += tot[op].v.pagecache_bytes;
		all.anon_bytes += tot[op].v.anon_bytes;
	}
	for (size_t i = 0; i < snap->nheld; i++)
		if (snap->held[i].oldest_ns > oldest)
			oldest = snap->held[i].oldest_ns;
	if (c->o->rows && n > c->o->rows)
		n = c->o->rows;

	if (c->tty)
		fputs("\033[H\033[2J", f);
	else if (c->printed)
		fputc('\n', f);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(f, "splicewatch top - %s, up %.1fs, every %.2gs, sorted by %s, %zu of %zu rows\n",
		when, snap->elapsed_s, c->o->interval, sort_names[c->o->sort], n, snap->nrows);
	st_fmt_bytes(a, sizeof(a), all.bytes);
	st_fmt_bytes(b, sizeof(b), all.pagecache_bytes);
	st_fmt_bytes(d, sizeof(d), all.anon_bytes);
	fprintf(f, "calls %llu, bytes %s, errors %llu; into pipes: page cache %s, anon %s\n",
		(unsigned long long)all.calls, a, (unsigned long long)all.errors, b, d);
	st_fmt_ns(a, sizeof(a), oldest);
	fprintf(f, "held by pipes: %llu page-cache pages in %zu files, oldest %s\n\n",
		(unsigned long long)snap->counters[SW_SC_HOLDS], snap->nheld,
		snap->counters[SW_SC_HOLDS] ? a : "-");
	fprintf(f, "%7s %-16s %-21s %9s %8s %8s %9s %6s %8s %4s %s\n", "PID", "COMM", "OP",
		"CALLS", "CALLS/s", "BYTES", "BYTES/s", "ERRORS", "AVG_LAT", "ZC%", "FILE");
	for (size_t i = 0; i < n; i++) {
		const struct st_row *r = &rows[i], *p;
		uint64_t dcalls = r->v.calls, dbytes = r->v.bytes, into;
		char rate[24], zc[8];

		p = c->nprev ? bsearch(r, c->prev, c->nprev, sizeof(*r), st_row_key_cmp) : NULL;
		if (p) {
			dcalls -= p->v.calls;
			dbytes -= p->v.bytes;
		}
		st_fmt_bytes(a, sizeof(a), r->v.bytes);
		st_fmt_bytes(rate, sizeof(rate), dt > 0 ? dbytes / dt : 0);
		st_fmt_ns(b, sizeof(b), r->v.calls ? (double)r->v.lat_ns / r->v.calls : 0);
		into = r->v.pagecache_bytes + r->v.anon_bytes;
		if (into)
			snprintf(zc, sizeof(zc), "%.0f", 100.0 * r->v.pagecache_bytes / into);
		else
			snprintf(zc, sizeof(zc), "-");
		/* comm and file as trace prints them: control bytes escaped. */
		fprintf(f, "%7u ", r->key.tgid);
		sw_put_printable_pad(f, r->key.comm, sw_comm_len(r->key.comm), 16);
		fprintf(f, " %-21s %9llu %8.1f %8s %9s %6llu %8s %4s ", st_op_name(r->key.op),
			(unsigned long long)r->v.calls, dt > 0 ? dcalls / dt : 0, a, rate,
			(unsigned long long)r->v.errors, b, zc);
		sw_put_printable(f, r->file, sizeof(r->file));
		fputc('\n', f);
	}
	free(rows);
	c->printed++;
	/* Keep this snapshot's rows for the next interval's rates. */
	prev_copy = realloc(c->prev, (snap->nrows ? snap->nrows : 1) * sizeof(*prev_copy));
	if (!prev_copy)
		return -1;
	c->prev = prev_copy;
	memcpy(c->prev, snap->rows, snap->nrows * sizeof(*prev_copy));
	c->nprev = snap->nrows;
	c->prev_ns = snap->mono_ns;
	return 0;
}

int cmd_top(int argc, char **argv)
{
	/* Every 2 s, the busiest 20 rows; a screen, so nothing more when stopped. */
	static const struct st_command cmd = ST_COMMAND(top, "+s:n:i:h",
		"sort", required_argument, 's', 2, 20, false, false);
	struct st_opts o;
	struct top_ctx c = { .o = &o, .tty = isatty(STDOUT_FILENO) };
	int r;

	r = st_command_run(&cmd, argc, argv, &o, &c);
	free(c.prev);
	return r;
}
