// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch stats: copy-path counters per process and file, one snapshot per
 * interval; and the collection code that top and the exporter share. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sw.h"
#include "swstats.h"
#include "kernel.h"
#include "load.h"
#include "stats.skel.h"
#include "stats_compat.skel.h"

struct st_session {
	struct stats_bpf *skel;
	pthread_mutex_t lock;	/* collection runs in the main and the exporter threads */
	uint64_t start_ns;
	int ncpus;
	void *percpu;		/* scratch for one per-CPU value */
	bool compat;		/* the programs built for 5.10-5.16 */
};

/* ---- options ------------------------------------------------------------- */

void st_opts_defaults(struct st_opts *o, double interval)
{
	memset(o, 0, sizeof(*o));
	o->interval = interval;
	o->prom_top = 10;
	o->sort = ST_SORT_BYTES;
}

int st_common_option(struct st_opts *o, const char *cmd, int opt, const char *arg)
{
	uint64_t v;
	char *end;
	double d;

	switch (opt) {
	case 'n':
		if (!parse_u64(arg, &o->rows) || !o->rows) {
			sw_err("--rows: '%s' is not a positive number", arg);
			return -1;
		}
		return 1;
	case 'i':
		errno = 0;
		d = strtod(arg, &end);
		if (errno || end == arg || *end || !(d >= 0.01 && d <= 86400)) {
			sw_err("--interval: '%s' is not a number of seconds from 0.01 to 86400", arg);
			return -1;
		}
		o->interval = d;
		return 1;
	case ST_OPT_COUNT:
		if (!parse_u64(arg, &v) || !v) {
			sw_err("--count: '%s' is not a positive number", arg);
			return -1;
		}
		o->count = v;
		return 1;
	case ST_OPT_PROM:
		o->prom_addr = arg;
		return 1;
	case ST_OPT_PROM_TOP:
		if (!parse_u64(arg, &v) || !v || v > 10000) {
			sw_err("--prometheus-top: '%s' is not a number from 1 to 10000", arg);
			return -1;
		}
		o->prom_top = v;
		return 1;
	case '?':
		return sw_unknown_option(cmd);
	}
	return 0;
}

/* ---- the counting session ------------------------------------------------ */

SW_DEFINE_OPEN_PROGRAMS(open_programs, stats_bpf, stats_compat_bpf)

struct st_session *st_session_open(void)
{
	struct st_session *s;
	int err;

	if (sw_check_environment())
		return NULL;
	libbpf_set_print(sw_libbpf_log);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		sw_err("cannot tell the number of CPUs: %s", strerror(-s->ncpus));
		goto fail;
	}
	s->percpu = calloc(s->ncpus, (sizeof(struct sw_stat_val) + 7) & ~7UL);
	s->compat = sw_kernel_has_bpf_loop(NULL) == 0;
	s->skel = open_programs(s->compat);
	if (!s->percpu || !s->skel) {
		sw_err("cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	s->skel->rodata->self_tgid = getpid();
	bpf_program__set_autoattach(s->skel->progs.st_gc, false);
	sw_verifier_stats_request(s->skel->obj);
	err = stats_bpf__load(s->skel);
	if (err) {
		sw_err("cannot load the BPF programs: %s", sw_load_hint(-err));
		goto fail;
	}
	sw_verifier_stats_print(s->skel->obj);
	err = stats_bpf__attach(s->skel);
	if (err) {
		sw_err("cannot attach the BPF programs: %s", sw_load_hint(-err));
		goto fail;
	}
	s->start_ns = sw_mono_ns();
	return s;
fail:
	st_session_close(s);
	return NULL;
}

void st_session_close(struct st_session *s)
{
	if (!s)
		return;
	stats_bpf__destroy(s->skel);
	pthread_mutex_destroy(&s->lock);
	free(s->percpu);
	free(s);
}

/* ---- snapshots ----------------------------------------------------------- */

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct st_row *)a)->key, &((const struct st_row *)b)->key,
		      sizeof(struct sw_stat_key));
}

static void file_name(struct st_session *s, uint32_t kind, uint32_t dev, uint64_t ino,
		      char *buf, size_t len)
{
	struct sw_file_key fk = { .ino = ino, .dev = dev };
	struct sw_file_info info;

	switch (kind) {
	case SW_FK_NONE:
		snprintf(buf, len, "-");
		return;
	case SW_FK_PIPE:
		snprintf(buf, len, "pipe:[%llu]", (unsigned long long)ino);
		return;
	case SW_FK_SOCK:
		snprintf(buf, len, "socket:[%llu]", (unsigned long long)ino);
		return;
	}
	if (!bpf_map__lookup_elem(s->skel->maps.files, &fk, sizeof(fk), &info, sizeof(info), 0)) {
		info.path[sizeof(info.path) - 1] = 0;
		snprintf(buf, len, "%s%s", info.flags & SW_FILEF_TRUNCATED ? "..." : "", info.path);
		return;
	}
	snprintf(buf, len, "[%u:%u]:%llu", sw_kdev_major(dev), sw_kdev_minor(dev), (unsigned long long)ino);
}

static int read_rows(struct st_session *s, struct st_snap *snap)
{
	struct bpf_map *rows = s->skel->maps.rows, *hists = s->skel->maps.hists;
	size_t stride = (sizeof(struct sw_stat_val) + 7) & ~7UL, cap = 0;
	struct sw_stat_key key, next, *prev = NULL;
	int guard = bpf_map__max_entries(rows) * 4;

	while (!bpf_map__get_next_key(rows, prev, &next, sizeof(next)) && guard-- > 0) {
		struct st_row *r;
		int cpu;

		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(rows, &key, sizeof(key), s->percpu, stride * s->ncpus, 0))
			continue;
		if (snap->nrows == cap) {
			cap = cap ? cap * 2 : 64;
			r = realloc(snap->rows, cap * sizeof(*r));
			if (!r)
				return -ENOMEM;
			snap->rows = r;
		}
		r = &snap->rows[snap->nrows++];
		memset(r, 0, sizeof(*r));
		r->key = key;
		for (cpu = 0; cpu < s->ncpus; cpu++) {
			const struct sw_stat_val *v = (void *)((char *)s->percpu + cpu * stride);

			r->v.calls += v->calls;
			r->v.bytes += v->bytes;
			r->v.errors += v->errors;
			r->v.lat_ns += v->lat_ns;
			if (v->lat_max_ns > r->v.lat_max_ns)
				r->v.lat_max_ns = v->lat_max_ns;
			r->v.pagecache_bytes += v->pagecache_bytes;
			r->v.anon_bytes += v->anon_bytes;
			for (int i = 0; i < SW_CFR__COUNT; i++)
				r->v.cfr[i] += v->cfr[i];
		}
		bpf_map__lookup_elem(hists, &key, sizeof(key), &r->h, sizeof(r->h), 0);
		file_name(s, key.kind, key.dev, key.ino, r->file, sizeof(r->file));
	}
	if (snap->nrows)
		qsort(snap->rows, snap->nrows, sizeof(*snap->rows), key_cmp);
	/* get_next_key restarts when a key vanishes: keep each row once. */
	for (size_t i = 1, o = 1; i <= snap->nrows; i++) {
		if (i == snap->nrows) {
			snap->nrows = snap->nrows ? o : 0;
			break;
		}
		if (key_cmp(&snap->rows[i], &snap->rows[o - 1]))
			snap->rows[o++] = snap->rows[i];
	}
	return 0;
}

struct hold_ent {
	struct sw_hold_key k;
	struct sw_hold h;
};

static int hold_cmp_key(const void *a, const void *b)
{
	const struct hold_ent *x = a, *y = b;

	if (x->k.pipe != y->k.pipe)
		return x->k.pipe < y->k.pipe ? -1 : 1;
	return x->k.seq < y->k.seq ? -1 : x->k.seq > y->k.seq;
}

static int hold_cmp_file(const void *a, const void *b)
{
	const struct hold_ent *x = a, *y = b;

	if (x->h.dev != y->h.dev)
		return x->h.dev < y->h.dev ? -1 : 1;
	return x->h.ino < y->h.ino ? -1 : x->h.ino > y->h.ino;
}

static int held_cmp(const void *a, const void *b)
{
	const struct st_held *x = a, *y = b;

	if (x->pages != y->pages)
		return x->pages > y->pages ? -1 : 1;
	return strcmp(x->file, y->file);
}

static int read_holds(struct st_session *s, struct st_snap *snap)
{
	struct bpf_map *holds = s->skel->maps.holds;
	struct sw_hold_key key, next, *prev = NULL;
	struct hold_ent *ents = NULL, *e;
	size_t n = 0, cap = 0, i, o;
	int guard = bpf_map__max_entries(holds) * 2;

	if (!s->skel->bss->stat_counters[SW_SC_HOLDS])
		return 0;
	while (!bpf_map__get_next_key(holds, prev, &next, sizeof(next)) && guard-- > 0) {
		key = next;
		prev = &key;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			e = realloc(ents, cap * sizeof(*e));
			if (!e) {
				free(ents);
				return -ENOMEM;
			}
			ents = e;
		}
		if (bpf_map__lookup_elem(holds, &key, sizeof(key), &ents[n].h, sizeof(ents[n].h), 0))
			continue;
		ents[n++].k = key;
	}
	if (!n)
		goto out;
	qsort(ents, n, sizeof(*ents), hold_cmp_key);
	for (i = 1, o = 1; i < n; i++)
		if (hold_cmp_key(&ents[i], &ents[o - 1]))
			ents[o++] = ents[i];
	n = o;
	qsort(ents, n, sizeof(*ents), hold_cmp_file);
	snap->held = calloc(n, sizeof(*snap->held));
	if (!snap->held) {
		free(ents);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct st_held *h;
		uint64_t age = snap->mono_ns > ents[i].h.ts_ns ? snap->mono_ns - ents[i].h.ts_ns : 0;

		if (!i || hold_cmp_file(&ents[i], &ents[i - 1])) {
			h = &snap->held[snap->nheld++];
			h->dev = ents[i].h.dev;
			h->ino = ents[i].h.ino;
			file_name(s, SW_FK_FILE, h->dev, h->ino, h->file, sizeof(h->file));
		}
		h = &snap->held[snap->nheld - 1];
		h->pages++;
		h->bytes += ents[i].h.len;
		if (age > h->oldest_ns)
			h->oldest_ns = age;
	}
	qsort(snap->held, snap->nheld, sizeof(*snap->held), held_cmp);
out:
	free(ents);
	return 0;
}

/* Forget holds whose pipe is gone: a pipe's last close happens where no
 * tracepoint looks. */
static void run_gc(struct st_session *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int fd = bpf_program__fd(s->skel->progs.st_gc), err;

	if (!s->skel->bss->stat_counters[SW_SC_HOLDS])
		return;
	if (s->compat)
		err = sw_gc_by_key(fd, s->skel->maps.hpipes, SW_GC_PIPE);
	else
		err = bpf_prog_test_run_opts(fd, &opts);
	if (err && sw_verbose)
		sw_err("garbage collection failed: %s", strerror(errno));
}

int st_collect(struct st_session *s, struct st_snap *snap)
{
	struct timespec rt;
	int err;

	memset(snap, 0, sizeof(*snap));
	pthread_mutex_lock(&s->lock);
	run_gc(s);
	snap->mono_ns = sw_mono_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	snap->real_ns = rt.tv_sec * 1000000000LL + rt.tv_nsec;
	snap->elapsed_s = (snap->mono_ns - s->start_ns) / 1e9;
	err = read_rows(s, snap);
	if (!err)
		err = read_holds(s, snap);
	memcpy(snap->counters, (const void *)s->skel->bss->stat_counters, sizeof(snap->counters));
	snap->skipped_runs = sw_skipped_runs(s->skel->obj);
	pthread_mutex_unlock(&s->lock);
	if (err)
		st_snap_free(snap);
	return err;
}

void st_snap_free(struct st_snap *snap)
{
	free(snap->rows);
	free(snap->held);
	snap->rows = NULL;
	snap->held = NULL;
	snap->nrows = snap->nheld = 0;
}

void st_totals(const struct st_snap *snap, struct st_total *tot)
{
	memset(tot, 0, sizeof(*tot) * SW_STAT__COUNT);
	for (size_t i = 0; i < snap->nrows; i++) {
		const struct st_row *r = &snap->rows[i];
		struct st_total *t;

		if (r->key.op >= SW_STAT__COUNT)
			continue;
		t = &tot[r->key.op];
		t->v.calls += r->v.calls;
		t->v.bytes += r->v.bytes;
		t->v.errors += r->v.errors;
		t->v.lat_ns += r->v.lat_ns;
		if (r->v.lat_max_ns > t->v.lat_max_ns)
			t->v.lat_max_ns = r->v.lat_max_ns;
		t->v.pagecache_bytes += r->v.pagecache_bytes;
		t->v.anon_bytes += r->v.anon_bytes;
		for (int k = 0; k < SW_CFR__COUNT; k++)
			t->v.cfr[k] += r->v.cfr[k];
		for (int k = 0; k < SW_LAT_SLOTS; k++)
			t->h.slots[k] += r->h.slots[k];
	}
}

/* ---- formatting ---------------------------------------------------------- */

uint64_t st_hist_lo(int slot)
{
	return slot ? 1ULL << slot : 0;
}

uint64_t st_hist_hi(int slot)
{
	return slot == SW_LAT_SLOTS - 1 ? UINT64_MAX : (2ULL << slot) - 1;
}

static void print_stars(FILE *f, uint64_t val, uint64_t max, int width)
{
	int n = max ? (int)((double)val * width / max) : 0;

	if (n > width)
		n = width;
	for (int i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', f);
}

void st_print_hist(FILE *f, const u64 *slots)
{
	int first = -1, last = -1;
	uint64_t max = 0;

	for (int i = 0; i < SW_LAT_SLOTS; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	if (last < 0) {
		fprintf(f, "     (no calls)\n");
		return;
	}
	fprintf(f, "%25s : count     distribution\n", "nsecs");
	for (int i = first; i <= last; i++) {
		char hi[24];

		if (i == SW_LAT_SLOTS - 1)
			snprintf(hi, sizeof(hi), "...");
		else
			snprintf(hi, sizeof(hi), "%llu", (unsigned long long)st_hist_hi(i));
		fprintf(f, "%12llu -> %-10s : %-8llu |", (unsigned long long)st_hist_lo(i), hi,
			(unsigned long long)slots[i]);
		print_stars(f, slots[i], max, 40);
		fputs("|\n", f);
	}
}

void st_fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

void st_fmt_bytes(char *buf, size_t len, double b)
{
	static const char *const units[] = { "B", "K", "M", "G", "T", "P" };
	int u = 0;

	while (b >= 1024 && u < 5) {
		b /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f%s", b, units[u]);
	else
		snprintf(buf, len, "%.1f%s", b, units[u]);
}

/* ---- the snapshot loop --------------------------------------------------- */

/* Sleeps until deadline (CLOCK_MONOTONIC ns) or a stop signal. */
static void sleep_until(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000ULL,
		.tv_nsec = deadline % 1000000000ULL,
	};

	while (!sw_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int st_run(const struct st_opts *o, st_snap_fn fn, void *ctx, bool final_snapshot)
{
	struct st_session *s;
	struct st_prom *prom = NULL;
	uint64_t n = 0, next;
	int err = 0;

	if (sw_install_stop_handlers()) {
		sw_err("cannot install signal handlers: %s", strerror(errno));
		return SW_EXIT_USAGE;
	}
	s = st_session_open();
	if (!s)
		return SW_EXIT_USAGE;
	if (o->prom_addr) {
		prom = st_prom_start(s, o->prom_addr, o->prom_top);
		if (!prom) {
			st_session_close(s);
			return SW_EXIT_USAGE;
		}
	}
	sw_info("counting splice, sendfile, tee, vmsplice and copy_file_range; Ctrl-C to stop");
	next = s->start_ns;
	while (!sw_stop) {
		struct st_snap snap;

		next += (uint64_t)(o->interval * 1e9);
		sleep_until(next);
		if (sw_stop && !final_snapshot)
			break;
		err = st_collect(s, &snap);
		if (err) {
			sw_err("reading the counters failed: %s", strerror(-err));
			break;
		}
		err = fn(ctx, &snap, sw_stop);
		st_snap_free(&snap);
		if (err)
			break;
		if (o->count && ++n >= o->count)
			break;
		if (sw_mono_ns() > next + (uint64_t)(o->interval * 1e9))
			next = sw_mono_ns();	/* fell behind (suspend, slow terminal) */
	}
	st_prom_stop(prom);
	st_session_close(s);
	return err ? 1 : 0;
}

/* ---- splicewatch stats --------------------------------------------------- */

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
		"                       by bytes first (default: all)\n");
	fprintf(f, ST_COMMON_HELP, "5");
	fprintf(f,
		"  -h, --help           this help\n"
		"\n"
		"Needs root and a kernel with BTF. Exit status: 0 when stopped by --count,\n"
		"SIGINT or SIGTERM; 1 if reading the counters or writing the output failed;\n"
		"2 on usage or setup errors. See docs/stats.md for the fields.\n");
}

static int row_cmp_sort(const void *a, const void *b, void *arg)
{
	const struct st_row *x = a, *y = b;
	enum st_sort sort = *(enum st_sort *)arg;
	double vx, vy;

	switch (sort) {
	case ST_SORT_CALLS:
		vx = x->v.calls; vy = y->v.calls;
		break;
	case ST_SORT_ERRORS:
		vx = x->v.errors; vy = y->v.errors;
		break;
	case ST_SORT_LATENCY:
		vx = x->v.calls ? (double)x->v.lat_ns / x->v.calls : 0;
		vy = y->v.calls ? (double)y->v.lat_ns / y->v.calls : 0;
		break;
	default:
		vx = x->v.bytes; vy = y->v.bytes;
		break;
	}
	if (vx != vy)
		return vx > vy ? -1 : 1;
	if (x->v.calls != y->v.calls)
		return x->v.calls > y->v.calls ? -1 : 1;
	return key_cmp(a, b);
}

/* Sorts the snapshot's rows for display (the snapshot keeps its own order otherwise). */
struct st_row *st_sorted_rows(const struct st_snap *snap, enum st_sort sort)
{
	struct st_row *r = malloc((snap->nrows ? snap->nrows : 1) * sizeof(*r));

	if (!r)
		return NULL;
	memcpy(r, snap->rows, snap->nrows * sizeof(*r));
	qsort_r(r, snap->nrows, sizeof(*r), row_cmp_sort, &sort);
	return r;
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

static const char *const counter_names[SW_SC__COUNT] = {
	[SW_SC_HOLDS] = "held_pages",
	[SW_SC_ROWS_DROPPED] = "calls_not_counted",
	[SW_SC_HOLDS_DROPPED] = "holds_not_indexed",
	[SW_SC_INFLIGHT_DROPPED] = "calls_not_timed",
	[SW_SC_STALE] = "holds_dropped_stale",
};

static void stats_json(FILE *f, const struct st_snap *snap, const struct st_row *rows,
		       size_t nrows, bool final)
{
	struct st_total tot[SW_STAT__COUNT];
	struct json j;
	char tbuf[64];
	time_t t = snap->real_ns / 1000000000LL;
	struct tm tm;

	st_totals(snap, tot);
	gmtime_r(&t, &tm);
	snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(snap->real_ns / 1000000 % 1000));
	json_init(&j, f, false);
	json_obj_begin(&j, NULL);
	json_str(&j, "type", "stats");
	json_str(&j, "time", tbuf);
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
		snprintf(tbuf, sizeof(tbuf), "%u:%u", sw_kdev_major(r->key.dev), sw_kdev_minor(r->key.dev));
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
		snprintf(tbuf, sizeof(tbuf), "%u:%u", sw_kdev_major(h->dev), sw_kdev_minor(h->dev));
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
		json_u64(&j, counter_names[k], snap->counters[k]);
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
		fprintf(f, "%-8u %-16.16s %-22s %10llu %14llu %8llu %9s %s\n", r->key.tgid,
			r->key.comm, st_op_name(r->key.op), (unsigned long long)r->v.calls,
			(unsigned long long)r->v.bytes, (unsigned long long)r->v.errors, a, r->file);
	}
	if (any_cfr) {
		fprintf(f, "\ncopy_file_range outcomes:\n%-8s %-16s %8s %8s %8s %8s %s\n", "PID",
			"COMM", "SAME_FS", "CROSS_FS", "FALLBACK", "ERROR", "FILE");
		for (size_t i = 0; i < nrows; i++) {
			const struct st_row *r = &rows[i];

			if (r->key.op != SW_STAT_COPY_FILE_RANGE)
				continue;
			fprintf(f, "%-8u %-16.16s %8llu %8llu %8llu %8llu %s\n", r->key.tgid,
				r->key.comm, (unsigned long long)r->v.cfr[SW_CFR_SAME_FS],
				(unsigned long long)r->v.cfr[SW_CFR_CROSS_FS],
				(unsigned long long)r->v.cfr[SW_CFR_FALLBACK],
				(unsigned long long)r->v.cfr[SW_CFR_ERROR], r->file);
		}
	}
	fprintf(f, "\npage-cache pages held by pipes: %llu\n",
		(unsigned long long)snap->counters[SW_SC_HOLDS]);
	if (snap->nheld) {
		fprintf(f, "%10s %14s %10s %s\n", "PAGES", "BYTES", "OLDEST", "FILE");
		for (size_t i = 0; i < snap->nheld; i++) {
			st_fmt_ns(a, sizeof(a), snap->held[i].oldest_ns);
			fprintf(f, "%10llu %14llu %10s %s\n", (unsigned long long)snap->held[i].pages,
				(unsigned long long)snap->held[i].bytes, a, snap->held[i].file);
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

static int stats_snapshot(void *ctx, const struct st_snap *snap, bool final)
{
	struct stats_ctx *c = ctx;
	struct st_row *rows = st_sorted_rows(snap, ST_SORT_BYTES);
	size_t n = snap->nrows;

	if (!rows)
		return -1;
	if (c->o->rows && n > c->o->rows)
		n = c->o->rows;
	if (c->o->json) {
		stats_json(stdout, snap, rows, n, final);
	} else {
		if (c->printed)
			fputc('\n', stdout);
		stats_text(stdout, snap, rows, n);
	}
	free(rows);
	c->printed++;
	return sw_flush_output(stdout);
}

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		ST_COMMON_LONGOPTS,
		{ 0 }
	};
	struct st_opts o;
	struct stats_ctx c = { .o = &o };
	int opt;

	st_opts_defaults(&o, 5);
	while ((opt = getopt_long(argc, argv, "+jn:i:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o.json = true;
			continue;
		case 'h':
			stats_usage(stdout);
			return 0;
		}
		if (st_common_option(&o, "stats", opt, optarg) < 0)
			return SW_EXIT_USAGE;
	}
	if (sw_no_operands("stats", argc, argv))
		return SW_EXIT_USAGE;
	return st_run(&o, stats_snapshot, &c, true);
}
