// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus exporter of stats and top: GET /metrics, text exposition format 0.0.4. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "listen.h"
#include "names.h"
#include "prom.h"

#define OTHER	"other"

/* Label values: printable ASCII only, so that names that differ only in bytes we
 * replace still fall into one series (never two series with one label set). */
static void sanitize(char *dst, size_t len, const char *src, size_t srclen)
{
	size_t i;

	for (i = 0; i + 1 < len && i < srclen && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = 0;
}

static void put_label(FILE *f, const char *name, const char *val, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *val; val++) {
		if (*val == '\\' || *val == '"')
			fputc('\\', f);
		fputc(*val, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- label groups: the busiest N names keep their own label value -------- */

struct group {
	char name[ST_FILE_NAME];
	uint64_t bytes;
	uint64_t calls;
	int label;		/* index into the kept labels, or the "other" index */
};

static int group_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->name, ((const struct group *)b)->name);
}

static int group_busy_cmp(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Merges equal names, then keeps the busiest `top` (never one named "other"):
 * returns the number of labels; labels[nlabels - 1] is "other" when used. */
static size_t group_rank(struct group *g, size_t *n, uint32_t top, const char ***labels)
{
	struct group **by_busy;
	size_t i, o, nl = 0;

	if (!*n) {
		*labels = NULL;
		return 0;
	}
	qsort(g, *n, sizeof(*g), group_name_cmp);
	for (i = 1, o = 1; i < *n; i++) {
		if (!strcmp(g[i].name, g[o - 1].name)) {
			g[o - 1].bytes += g[i].bytes;
			g[o - 1].calls += g[i].calls;
		} else {
			g[o++] = g[i];
		}
	}
	*n = o;
	by_busy = calloc(o, sizeof(*by_busy));
	*labels = calloc(o + 1, sizeof(**labels));
	if (!by_busy || !*labels) {
		free(by_busy);
		free(*labels);
		*labels = NULL;
		return 0;
	}
	for (i = 0; i < o; i++)
		by_busy[i] = &g[i];
	qsort(by_busy, o, sizeof(*by_busy), group_busy_cmp);
	for (i = 0; i < o; i++) {
		if (nl < top && strcmp(by_busy[i]->name, OTHER)) {
			by_busy[i]->label = nl;
			(*labels)[nl++] = by_busy[i]->name;
		} else {
			by_busy[i]->label = -1;
		}
	}
	for (i = 0; i < o; i++)
		if (g[i].label < 0) {
			g[i].label = nl;
			(*labels)[nl] = OTHER;
		}
	if ((*labels)[nl])
		nl++;
	free(by_busy);
	return nl;
}

static int group_find(const struct group *g, size_t n, const char *name)
{
	struct group key = { 0 };
	const struct group *hit;

	snprintf(key.name, sizeof(key.name), "%s", name);
	hit = bsearch(&key, g, n, sizeof(*g), group_name_cmp);
	return hit ? hit->label : -1;
}

/* A held-pages series: per file, or (no_paths) one for all files. */
static void held_series(FILE *f, const char *metric, const char *file, bool no_paths)
{
	fputs(metric, f);
	if (no_paths)
		return;
	fputc('{', f);
	put_label(f, "file", file, true);
	fputc('}', f);
}

/* ---- rendering ----------------------------------------------------------- */

static const struct {
	const char *name;
	const char *help;
	size_t off;
} counters[] = {
	{ "splicewatch_splice_calls_total",
	  "Copy-path system calls (splice by direction, sendfile, tee, vmsplice, copy_file_range).",
	  offsetof(struct sw_stat_val, calls) },
	{ "splicewatch_splice_bytes_total",
	  "Bytes the calls returned as moved (sum of positive return values).",
	  offsetof(struct sw_stat_val, bytes) },
	{ "splicewatch_splice_errors_total", "Calls that returned an error.",
	  offsetof(struct sw_stat_val, errors) },
	{ "splicewatch_pipe_pagecache_bytes_total",
	  "Bytes the calls put into pipes as references to page-cache pages (zero copy).",
	  offsetof(struct sw_stat_val, pagecache_bytes) },
	{ "splicewatch_pipe_anon_bytes_total",
	  "Bytes the calls put into pipes in anonymous or other non-file pages.",
	  offsetof(struct sw_stat_val, anon_bytes) },
};

static uint64_t field(const struct sw_stat_val *v, size_t off)
{
	return *(const uint64_t *)((const char *)v + off);
}

void st_prom_render(FILE *f, const struct st_snap *snap, uint32_t top, bool no_paths)
{
	struct st_total tot[SW_STAT__COUNT];
	struct group *cg = NULL, *fg = NULL;
	const char **clabels = NULL, **flabels = NULL;
	struct sw_stat_val *agg = NULL;
	struct st_held *hagg = NULL;
	size_t ncg = snap->nrows, nfg = snap->nheld, ncl = 0, nfl = 0, i;
	char name[ST_FILE_NAME];
	int op, k;

	/* comm label groups, by bytes */
	cg = calloc(ncg ? ncg : 1, sizeof(*cg));
	fg = calloc(nfg ? nfg : 1, sizeof(*fg));
	if (!cg || !fg)
		goto out;
	for (i = 0; i < ncg; i++) {
		sanitize(cg[i].name, sizeof(cg[i].name), snap->rows[i].key.comm, SW_TASK_COMM_LEN);
		cg[i].bytes = snap->rows[i].v.bytes;
		cg[i].calls = snap->rows[i].v.calls;
	}
	ncl = group_rank(cg, &ncg, top, &clabels);
	agg = calloc((ncl ? ncl : 1) * SW_STAT__COUNT, sizeof(*agg));
	if (!agg)
		goto out;
	for (i = 0; i < snap->nrows; i++) {
		const struct st_row *r = &snap->rows[i];
		struct sw_stat_val *a;
		int l;

		sanitize(name, sizeof(name), r->key.comm, SW_TASK_COMM_LEN);
		l = group_find(cg, ncg, name);
		if (l < 0 || r->key.op >= SW_STAT__COUNT)
			continue;
		a = &agg[l * SW_STAT__COUNT + r->key.op];
		a->calls += r->v.calls;
		a->bytes += r->v.bytes;
		a->errors += r->v.errors;
		a->pagecache_bytes += r->v.pagecache_bytes;
		a->anon_bytes += r->v.anon_bytes;
		for (k = 0; k < SW_CFR__COUNT; k++)
			a->cfr[k] += r->v.cfr[k];
	}

	for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		family(f, counters[c].name, "counter", counters[c].help);
		for (size_t l = 0; l < ncl; l++)
			for (op = 0; op < SW_STAT__COUNT; op++) {
				const struct sw_stat_val *a = &agg[l * SW_STAT__COUNT + op];

				if (!a->calls)
					continue;
				fputs(counters[c].name, f);
				fputc('{', f);
				put_label(f, "op", st_op_name(op), true);
				put_label(f, "comm", clabels[l], false);
				fprintf(f, "} %llu\n", (unsigned long long)field(a, counters[c].off));
			}
	}
	family(f, "splicewatch_copy_file_range_calls_total", "counter",
	       "copy_file_range calls by outcome: same_fs and cross_fs were served in the "
	       "kernel; fallback (EXDEV, EOPNOTSUPP, ENOSYS, EINVAL) leaves the copy to the caller.");
	for (size_t l = 0; l < ncl; l++) {
		const struct sw_stat_val *a = &agg[l * SW_STAT__COUNT + SW_STAT_COPY_FILE_RANGE];

		if (!a->calls)
			continue;
		for (k = 0; k < SW_CFR__COUNT; k++) {
			fputs("splicewatch_copy_file_range_calls_total{", f);
			put_label(f, "result", st_cfr_name(k), true);
			put_label(f, "comm", clabels[l], false);
			fprintf(f, "} %llu\n", (unsigned long long)a->cfr[k]);
		}
	}

	/* latency histograms, per op */
	st_totals(snap, tot);
	family(f, "splicewatch_splice_latency_seconds", "histogram",
	       "Time from system call entry to exit, per op (log2 buckets).");
	for (op = 0; op < SW_STAT__COUNT; op++) {
		uint64_t cum = 0;

		if (!tot[op].v.calls)
			continue;
		for (k = 0; k < SW_LAT_SLOTS - 1; k++) {
			cum += tot[op].h.slots[k];
			fputs("splicewatch_splice_latency_seconds_bucket{", f);
			put_label(f, "op", st_op_name(op), true);
			fprintf(f, ",le=\"%.10g\"} %llu\n", st_hist_hi(k) / 1e9, (unsigned long long)cum);
		}
		cum += tot[op].h.slots[SW_LAT_SLOTS - 1];
		fputs("splicewatch_splice_latency_seconds_bucket{", f);
		put_label(f, "op", st_op_name(op), true);
		fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		fputs("splicewatch_splice_latency_seconds_sum{", f);
		put_label(f, "op", st_op_name(op), true);
		fprintf(f, "} %.9f\n", tot[op].v.lat_ns / 1e9);
		fputs("splicewatch_splice_latency_seconds_count{", f);
		put_label(f, "op", st_op_name(op), true);
		fprintf(f, "} %llu\n", (unsigned long long)cum);
	}

	/* held pages, per file: the busiest N files by pages */
	for (i = 0; i < nfg; i++) {
		if (!no_paths)
			sanitize(fg[i].name, sizeof(fg[i].name), snap->held[i].file, ST_FILE_NAME);
		fg[i].bytes = snap->held[i].pages;
		fg[i].calls = snap->held[i].bytes;
	}
	nfl = group_rank(fg, &nfg, top, &flabels);
	hagg = calloc(nfl ? nfl : 1, sizeof(*hagg));
	if (!hagg)
		goto out;
	for (i = 0; i < snap->nheld; i++) {
		int l;

		name[0] = 0;
		if (!no_paths)
			sanitize(name, sizeof(name), snap->held[i].file, ST_FILE_NAME);
		l = group_find(fg, nfg, name);
		if (l < 0)
			continue;
		hagg[l].pages += snap->held[i].pages;
		hagg[l].bytes += snap->held[i].bytes;
		if (snap->held[i].oldest_ns > hagg[l].oldest_ns)
			hagg[l].oldest_ns = snap->held[i].oldest_ns;
	}
	family(f, "splicewatch_pipe_held_pages", "gauge",
	       "Page-cache pages that pipe buffers reference right now, per file (all files: --prometheus-no-paths).");
	for (size_t l = 0; l < nfl; l++) {
		held_series(f, "splicewatch_pipe_held_pages", flabels[l], no_paths);
		fprintf(f, " %llu\n", (unsigned long long)hagg[l].pages);
	}
	family(f, "splicewatch_pipe_held_bytes", "gauge",
	       "Bytes of page-cache pages that pipe buffers reference right now, per file.");
	for (size_t l = 0; l < nfl; l++) {
		held_series(f, "splicewatch_pipe_held_bytes", flabels[l], no_paths);
		fprintf(f, " %llu\n", (unsigned long long)hagg[l].bytes);
	}
	family(f, "splicewatch_pipe_held_oldest_seconds", "gauge",
	       "Age of the oldest page-cache page a pipe holds, per file.");
	for (size_t l = 0; l < nfl; l++) {
		held_series(f, "splicewatch_pipe_held_oldest_seconds", flabels[l], no_paths);
		fprintf(f, " %.9f\n", hagg[l].oldest_ns / 1e9);
	}
	family(f, "splicewatch_not_counted_total", "counter",
	       "Work not counted: calls the maps had no room for, holds not indexed, calls not "
	       "timed, program runs the kernel skipped.");
	fprintf(f, "splicewatch_not_counted_total{what=\"calls\"} %llu\n",
		(unsigned long long)snap->counters[SW_SC_ROWS_DROPPED]);
	fprintf(f, "splicewatch_not_counted_total{what=\"holds\"} %llu\n",
		(unsigned long long)snap->counters[SW_SC_HOLDS_DROPPED]);
	fprintf(f, "splicewatch_not_counted_total{what=\"timings\"} %llu\n",
		(unsigned long long)snap->counters[SW_SC_INFLIGHT_DROPPED]);
	fprintf(f, "splicewatch_not_counted_total{what=\"skipped_program_runs\"} %llu\n",
		(unsigned long long)snap->skipped_runs);
	family(f, "splicewatch_uptime_seconds", "gauge", "Seconds since counting started.");
	fprintf(f, "splicewatch_uptime_seconds %.3f\n", snap->elapsed_s);
out:
	free(cg);
	free(fg);
	free(clabels);
	free(flabels);
	free(agg);
	free(hagg);
}

/* ---- serving ------------------------------------------------------------ */

struct st_prom {
	struct sw_http *http;
	struct st_session *session;
	uint32_t top;
	bool no_paths;
};

static unsigned int serve(void *ctx, const char *url, char **body, size_t *len)
{
	static const char not_found[] = "not found: the metrics are at /metrics\n";
	struct st_prom *p = ctx;
	struct st_snap snap;
	FILE *f;

	if (strcmp(url, "/metrics")) {
		*body = strdup(not_found);
		*len = *body ? strlen(*body) : 0;
		return 404;
	}
	if (st_collect(p->session, &snap))
		return 0;
	f = open_memstream(body, len);
	if (!f) {
		st_snap_free(&snap);
		return 0;
	}
	st_prom_render(f, &snap, p->top, p->no_paths);
	st_snap_free(&snap);
	if (fclose(f)) {
		free(*body);
		*body = NULL;
		return 0;
	}
	return 200;
}

struct st_prom *st_prom_start(struct st_session *s, const char *addr, uint32_t top, bool no_paths)
{
	struct st_prom *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->session = s;
	p->top = top;
	p->no_paths = no_paths;
	p->http = sw_http_start(addr, serve, p);
	if (!p->http) {
		free(p);
		return NULL;
	}
	return p;
}

void st_prom_stop(struct st_prom *p)
{
	if (!p)
		return;
	sw_http_stop(p->http);
	free(p);
}
