// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The counting session of stats and top (stats_core.h): load the stats
 * object, read its maps into snapshots, sum and sort them, format numbers. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "names.h"
#include "stats_core.h"
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

/* ---- the counting session ------------------------------------------------ */

SW_DEFINE_OPEN_PROGRAMS(open_programs, stats_bpf, stats_compat_bpf)

struct st_session *st_session_open(const struct sw_caps_req *req)
{
	struct st_session *s;
	struct btf *btf;
	int err;

	if (sw_check_environment(req))
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
	btf = btf__load_vmlinux_btf();
	s->compat = sw_kernel_has_bpf_loop(btf) == 0;
	s->skel = open_programs(s->compat);
	if (!s->percpu || !s->skel) {
		sw_err("cannot open the BPF object: %s", strerror(errno));
		btf__free(btf);
		goto fail;
	}
	/* st_gc (raw_tp) deletes holds. */
	if (sw_raw_tp_maps_need_prealloc(btf))
		bpf_map__set_map_flags(s->skel->maps.holds,
				       bpf_map__map_flags(s->skel->maps.holds) & ~BPF_F_NO_PREALLOC);
	btf__free(btf);
	s->skel->rodata->self_tgid = getpid();
	bpf_program__set_autoattach(s->skel->progs.st_gc, false);
	err = sw_load_skeleton(s->skel->skeleton);
	if (err) {
		sw_err("cannot load the BPF programs: %s", sw_load_hint(-err));
		goto fail;
	}
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

uint64_t st_session_start_ns(const struct st_session *s)
{
	return s->start_ns;
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

int st_row_key_cmp(const void *a, const void *b)
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
		qsort(snap->rows, snap->nrows, sizeof(*snap->rows), st_row_key_cmp);
	/* get_next_key restarts when a key vanishes: keep each row once. */
	for (size_t i = 1, o = 1; i <= snap->nrows; i++) {
		if (i == snap->nrows) {
			snap->nrows = snap->nrows ? o : 0;
			break;
		}
		if (st_row_key_cmp(&snap->rows[i], &snap->rows[o - 1]))
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
	int fd = bpf_program__fd(s->skel->progs.st_gc), err;

	if (!s->skel->bss->stat_counters[SW_SC_HOLDS])
		return;
	if (s->compat)
		err = sw_gc_by_key(fd, s->skel->maps.hpipes, SW_GC_PIPE);
	else
		err = sw_run_program(fd);
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

/* ---- display order ------------------------------------------------------- */

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
	return st_row_key_cmp(a, b);
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
