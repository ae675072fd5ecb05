// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch stats: copy-path counters per process and file, one snapshot per
 * interval, as text or JSON Lines. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sw.h"
#include "stats_loop.h"

static void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: splicewatch stats [OPTIONS]\n"
		"\n"
		"Count splice(2) (split by direction: file->pipe, pipe->file, pipe->socket,\n"
		"socket->pipe, pipe->pipe), sendfile(2), tee(2), vmsplice(2) and\n"
		"copy_file_range(2) per process (pid and comm) and file: calls, bytes,\n"
		"errors, latency (log2 histograms), bytes that entered pipes as page-cache\n"
		"references or in anonymous pages, copy_file_range outcomes (same fs, cross\n"
		"fs, fallback to a user-space copy, error) and the page-cache pages pipes\n"
		"hold right now per file, with the age of the oldest hold.\n"
		"Counts are totals since the command started; one snapshot is printed per\n"
		"interval, and one more when SIGINT or SIGTERM stops it.\n"
		"\n"
		"Options:\n"
		"  -j, --json           JSON Lines: one object per snapshot\n"
		"  -n, --rows N         at most N process/file rows per snapshot, busiest\n"
		"                       by bytes first (default: all)\n"
		"      --node NAME      the \"node\" of every JSON snapshot (default: the\n"
		"                       host name); 1 to 253 printable ASCII characters,\n"
		"                       no spaces\n");
	fprintf(f, ST_COMMON_HELP ST_HELP_END, "5");
}

static void json_hist(struct json *j, const char *key, const u64 *slots)
{
	json_arr_begin(j, key);
	for (int i = 0; i < SW_LAT_SLOTS; i++) {
		if (!slots[i])
			continue;
		json_obj_begin(j, NULL);
		json_u64(j, "lo_ns", st_hist_lo(i));
		if (i == SW_LAT_SLOTS - 1)
			json_null(j, "hi_ns");
		else
			json_u64(j, "hi_ns", st_hist_hi(i));
		json_u64(j, "count", slots[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_counts(struct json *j, uint32_t op, const struct sw_stat_val *v)
{
	json_u64(j, "calls", v->calls);
	json_u64(j, "bytes", v->bytes);
	json_u64(j, "errors", v->errors);
	json_u64(j, "latency_ns_sum", v->lat_ns);
	json_u64(j, "latency_ns_max", v->lat_max_ns);
	json_u64(j, "pagecache_bytes", v->pagecache_bytes);
	json_u64(j, "anon_bytes", v->anon_bytes);
	if (op == SW_STAT_COPY_FILE_RANGE) {
		json_obj_begin(j, "copy_file_range");
		for (int k = 0; k < SW_CFR__COUNT; k++)
			json_u64(j, st_cfr_name(k), v->cfr[k]);
		json_obj_end(j);
	}
}

static void stats_json(FILE *f, const struct st_snap *snap, const struct st_row *rows,
		       size_t nrows, bool final)
{
	struct st_total tot[SW_STAT__COUNT];
	struct json j;
	char tbuf[SW_DEV_STR_MAX];

	st_totals(snap, tot);
	json_init(&j, f, false);
	json_obj_begin(&j, NULL);
	json_str(&j, "type", "stats");
	sw_json_stamp(&j, snap->real_ns);
	json_double(&j, "elapsed_s", snap->elapsed_s);
	json_bool(&j, "final", final);
	json_arr_begin(&j, "ops");
	for (int op = 0; op < SW_STAT__COUNT; op++) {
		if (!tot[op].v.calls)
			continue;
		json_obj_begin(&j, NULL);
		json_str(&j, "op", st_op_name(op));
		json_counts(&j, op, &tot[op].v);
		json_hist(&j, "latency_hist", tot[op].h.slots);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "rows");
	for (size_t i = 0; i < nrows; i++) {
		const struct st_row *r = &rows[i];

		json_obj_begin(&j, NULL);
		json_u64(&j, "pid", r->key.tgid);
		json_strn(&j, "comm", r->key.comm, sw_comm_len(r->key.comm));
		json_str(&j, "op", st_op_name(r->key.op));
		json_str(&j, "file", r->file);
		json_str(&j, "file_kind", st_kind_name(r->key.kind));
		sw_kdev_str(tbuf, sizeof(tbuf), r->key.dev);
		json_str(&j, "dev", tbuf);
		json_u64(&j, "ino", r->key.ino);
		json_counts(&j, r->key.op, &r->v);
		json_hist(&j, "latency_hist", r->h.slots);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "held");
	for (size_t i = 0; i < snap->nheld; i++) {
		const struct st_held *h = &snap->held[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "file", h->file);
		sw_kdev_str(tbuf, sizeof(tbuf), h->dev);
		json_str(&j, "dev", tbuf);
		json_u64(&j, "ino", h->ino);
		json_u64(&j, "pages", h->pages);
		json_u64(&j, "bytes", h->bytes);
		json_u64(&j, "oldest_age_ns", h->oldest_ns);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_begin(&j, "counters");
	for (int k = 0; k < SW_SC__COUNT; k++)
		json_u64(&j, st_counter_name(k), snap->counters[k]);
	json_u64(&j, "skipped_program_runs", snap->skipped_runs);
	json_obj_end(&j);
	json_obj_end(&j);
}

static void stats_text(FILE *f, const struct st_snap *snap, const struct st_row *rows,
		       size_t nrows)
{
	struct st_total tot[SW_STAT__COUNT];
	char when[32], a[24], b[24];
	time_t t = snap->real_ns / 1000000000LL;
	struct tm tm;
	bool any_cfr = false;

	st_totals(snap, tot);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "splicewatch stats %s, %.1fs since start\n", when, snap->elapsed_s);
	fprintf(f, "%-22s %10s %14s %8s %9s %9s %14s %14s\n", "OP", "CALLS", "BYTES", "ERRORS",
		"AVG_LAT", "MAX_LAT", "PAGECACHE_B", "ANON_B");
	for (int op = 0; op < SW_STAT__COUNT; op++) {
		const struct sw_stat_val *v = &tot[op].v;

		if (!v->calls)
			continue;
		st_fmt_ns(a, sizeof(a), (double)v->lat_ns / v->calls);
		st_fmt_ns(b, sizeof(b), v->lat_max_ns);
		fprintf(f, "%-22s %10llu %14llu %8llu %9s %9s %14llu %14llu\n", st_op_name(op),
			(unsigned long long)v->calls, (unsigned long long)v->bytes,
			(unsigned long long)v->errors, a, b,
			(unsigned long long)v->pagecache_bytes, (unsigned long long)v->anon_bytes);
		if (op == SW_STAT_COPY_FILE_RANGE)
			any_cfr = true;
	}
	fprintf(f, "\n%-8s %-16s %-22s %10s %14s %8s %9s %s\n", "PID", "COMM", "OP", "CALLS",
		"BYTES", "ERRORS", "AVG_LAT", "FILE");
	for (size_t i = 0; i < nrows; i++) {
		const struct st_row *r = &rows[i];

		st_fmt_ns(a, sizeof(a), r->v.calls ? (double)r->v.lat_ns / r->v.calls : 0);
		/* comm and file as trace prints them: control bytes escaped. */
		fprintf(f, "%-8u ", r->key.tgid);
		sw_put_printable_pad(f, r->key.comm, sw_comm_len(r->key.comm), 16);
		fprintf(f, " %-22s %10llu %14llu %8llu %9s ", st_op_name(r->key.op),
			(unsigned long long)r->v.calls, (unsigned long long)r->v.bytes,
			(unsigned long long)r->v.errors, a);
		sw_put_printable(f, r->file, sizeof(r->file));
		fputc('\n', f);
	}
	if (any_cfr) {
		fprintf(f, "\ncopy_file_range outcomes:\n%-8s %-16s %8s %8s %8s %8s %s\n", "PID",
			"COMM", "SAME_FS", "CROSS_FS", "FALLBACK", "ERROR", "FILE");
		for (size_t i = 0; i < nrows; i++) {
			const struct st_row *r = &rows[i];

			if (r->key.op != SW_STAT_COPY_FILE_RANGE)
				continue;
			fprintf(f, "%-8u ", r->key.tgid);
			sw_put_printable_pad(f, r->key.comm, sw_comm_len(r->key.comm), 16);
			fprintf(f, " %8llu %8llu %8llu %8llu ",
				(unsigned long long)r->v.cfr[SW_CFR_SAME_FS],
				(unsigned long long)r->v.cfr[SW_CFR_CROSS_FS],
				(unsigned long long)r->v.cfr[SW_CFR_FALLBACK],
				(unsigned long long)r->v.cfr[SW_CFR_ERROR]);
			sw_put_printable(f, r->file, sizeof(r->file));
			fputc('\n', f);
		}
	}
	fprintf(f, "\npage-cache pages held by pipes: %llu\n",
		(unsigned long long)snap->counters[SW_SC_HOLDS]);
	if (snap->nheld) {
		fprintf(f, "%10s %14s %10s %s\n", "PAGES", "BYTES", "OLDEST", "FILE");
		for (size_t i = 0; i < snap->nheld; i++) {
			st_fmt_ns(a, sizeof(a), snap->held[i].oldest_ns);
			fprintf(f, "%10llu %14llu %10s ", (unsigned long long)snap->held[i].pages,
				(unsigned long long)snap->held[i].bytes, a);
			sw_put_printable(f, snap->held[i].file, sizeof(snap->held[i].file));
			fputc('\n', f);
		}
	}
	for (int op = 0; op < SW_STAT__COUNT; op++) {
		if (!tot[op].v.calls)
			continue;
		fprintf(f, "\n%s latency:\n", st_op_name(op));
		st_print_hist(f, tot[op].h.slots);
	}
	if (snap->counters[SW_SC_ROWS_DROPPED] || snap->counters[SW_SC_HOLDS_DROPPED] ||
	    snap->counters[SW_SC_INFLIGHT_DROPPED])
		fprintf(f, "\nnot counted (maps full): %llu calls, %llu holds, %llu untimed calls\n",
			(unsigned long long)snap->counters[SW_SC_ROWS_DROPPED],
			(unsigned long long)snap->counters[SW_SC_HOLDS_DROPPED],
			(unsigned long long)snap->counters[SW_SC_INFLIGHT_DROPPED]);
	if (snap->skipped_runs)
		fprintf(f, "\nnot counted: the kernel skipped %llu runs of the programs (a program "
			"preempted on a CPU blocks it there for other tasks, 6.14+)\n",
			(unsigned long long)snap->skipped_runs);
}

struct stats_ctx {
	const struct st_opts *o;
	uint64_t printed;
};

static int stats_snapshot(void *ctx, FILE *f, const struct st_snap *snap, bool final)
{
	struct stats_ctx *c = ctx;
	struct st_row *rows = st_sorted_rows(snap, ST_SORT_BYTES);
	size_t n = snap->nrows;

	if (!rows)
		return -1;
	if (c->o->rows && n > c->o->rows)
		n = c->o->rows;
	if (c->o->json) {
		stats_json(f, snap, rows, n, final);
	} else {
		if (c->printed)
			fputc('\n', f);
		stats_text(f, snap, rows, n);
	}
	free(rows);
	c->printed++;
	return 0;
}

static int stats_option(void *ctx, int opt, const char *arg)
{
	struct st_opts *o = ctx;

	if (opt != 'j')
		return st_common_option(o, opt, arg);
	o->json = true;
	return 1;
}

int cmd_stats(int argc, char **argv)
{
	/* Every 5 s, all rows, and one more snapshot when stopped. */
	static const struct st_command cmd = ST_COMMAND(stats, "+jn:i:h",
		"json", no_argument, 'j', 5, 0, true, true);
	struct st_opts o;
	struct stats_ctx c = { .o = &o };

	return st_command_run(&cmd, argc, argv, &o, &c);
}
