// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace and enforce --aggregate: repeats of an unsafe write or of an
 * unexplained change folded into one line per key and window (aggregate.h
 * says what a key and a window are). */
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "common.h"

#define NBUCKETS	(2 * SW_AGG_KEYS)

struct sw_agg_entry {
	struct sw_agg_entry *next;
	struct sw_agg_key key;
	uint64_t opened_ns;		/* the key's first record: its window starts */
	struct sw_agg_info info;	/* the records folded since */
	void *last;			/* the last of them (path included) */
	size_t last_cap;
};

int sw_agg_parse(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "", 1000000000ULL }, { "s", 1000000000ULL }, { "ms", 1000000ULL },
		{ "m", 60 * 1000000000ULL }, { "h", 3600 * 1000000000ULL },
	};
	char *end;
	unsigned long long v;

	if (!strcmp(s, "off")) {
		*ns = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v > SW_AGG_MAX_NS / units[i].ns)
			return -1;
		*ns = v * units[i].ns;
		return 0;
	}
	return -1;
}

static uint32_t key_hash(const struct sw_agg_key *k)
{
	uint64_t h = 1469598103934665603ULL;
	uint64_t parts[] = { k->uid, k->pid, k->pid_uid, k->dev, k->ino, k->kind, k->action };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		h = (h ^ parts[i]) * 1099511628211ULL;
	return (uint32_t)(h ^ (h >> 32)) % NBUCKETS;
}

static bool key_eq(const struct sw_agg_key *a, const struct sw_agg_key *b)
{
	return a->uid == b->uid && a->pid == b->pid && a->pid_uid == b->pid_uid && a->dev == b->dev &&
	       a->ino == b->ino && a->kind == b->kind && a->action == b->action;
}

/* The window's aggregate line, if anything was folded; the key stays. */
static void close_window(struct sw_agg *a, struct sw_agg_entry *e, sw_agg_emit_fn emit, void *ctx)
{
	if (e->info.count) {
		emit(ctx, e->last, &e->info);
		__atomic_add_fetch(&a->lines, 1, __ATOMIC_RELAXED);
	}
	memset(&e->info, 0, sizeof(e->info));
}

bool sw_agg_event(struct sw_agg *a, const struct sw_event *ev, size_t len,
		  sw_agg_emit_fn emit, void *ctx)
{
	struct sw_agg_key k = { .uid = ev->uid, .pid = ev->pid, .pid_uid = ev->uid, .dev = ev->dev,
				.kind = ev->op, .action = ev->action, .ino = ev->ino };

	return sw_agg_fold(a, &k, ev->ts_ns, ev, len, emit, ctx);
}

bool sw_agg_fold(struct sw_agg *a, const struct sw_agg_key *k, uint64_t ts_ns,
		 const void *rec, size_t len, sw_agg_emit_fn emit, void *ctx)
{
	struct sw_agg_entry *e;
	uint32_t h;

	if (!a->window_ns)
		return false;
	if (!a->buckets && !(a->buckets = calloc(NBUCKETS, sizeof(*a->buckets)))) {
		__atomic_add_fetch(&a->unaggregated, 1, __ATOMIC_RELAXED);
		return false;
	}
	h = key_hash(k);
	for (e = a->buckets[h]; e && !key_eq(&e->key, k); e = e->next)
		;
	/* Records of different CPUs come a little out of order: one older
	 * than the window's first record is in the window too. */
	if (e && (ts_ns < e->opened_ns || ts_ns - e->opened_ns < a->window_ns)) {
		if (e->info.count && ts_ns < e->info.last_ts_ns) {
			/* Not the last: counted, its time kept if the first. */
			if (ts_ns < e->info.first_ts_ns)
				e->info.first_ts_ns = ts_ns;
			e->info.count++;
			__atomic_add_fetch(&a->folded, 1, __ATOMIC_RELAXED);
			return true;
		}
		if (e->last_cap < len) {
			void *n = realloc(e->last, len);

			if (!n) {
				/* No room to keep it: it goes out as it is. */
				__atomic_add_fetch(&a->unaggregated, 1, __ATOMIC_RELAXED);
				return false;
			}
			e->last = n;
			e->last_cap = len;
		}
		memcpy(e->last, rec, len);
		if (!e->info.count)
			e->info.first_ts_ns = ts_ns;
		e->info.count++;
		e->info.last_ts_ns = ts_ns;
		__atomic_add_fetch(&a->folded, 1, __ATOMIC_RELAXED);
		return true;
	}
	if (e) {
		/* Its window has closed (the timer has not run yet): its line
		 * first, then this record opens the next window. */
		close_window(a, e, emit, ctx);
		e->opened_ns = ts_ns;
		return false;
	}
	/* A new key. The table is bounded: a user flooding it with keys (pids,
	 * files) gets their records shown one line each, as without
	 * --aggregate, and costs no more memory. */
	if (a->n >= SW_AGG_KEYS || !(e = calloc(1, sizeof(*e)))) {
		__atomic_add_fetch(&a->unaggregated, 1, __ATOMIC_RELAXED);
		return false;
	}
	e->key = *k;
	e->opened_ns = ts_ns;
	e->next = a->buckets[h];
	a->buckets[h] = e;
	a->n++;
	return false;
}

void sw_agg_expire(struct sw_agg *a, uint64_t now, bool all, sw_agg_emit_fn emit, void *ctx)
{
	struct sw_agg_entry **pp, *e;

	if (!a->buckets)
		return;
	for (uint32_t h = 0; h < NBUCKETS; h++) {
		for (pp = &a->buckets[h]; (e = *pp);) {
			if (!all && now - e->opened_ns < a->window_ns) {
				pp = &e->next;
				continue;
			}
			close_window(a, e, emit, ctx);
			*pp = e->next;
			free(e->last);
			free(e);
			a->n--;
		}
	}
	if (all) {
		free(a->buckets);
		a->buckets = NULL;
	}
}
