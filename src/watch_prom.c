// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace and enforce --prometheus: GET /metrics (text format 0.0.4) and
 * GET /healthz over the watch session. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "common.h"
#include "listen.h"
#include "names.h"
#include "verify.h"
#include "watch_prom.h"

struct sw_watch_prom {
	struct sw_http *http;
	struct sw_session *session;	/* __atomic: NULL until attached */
	const struct sw_agg *agg;	/* set before session */
	const struct sw_verify *verify;	/* --verify's, or NULL; set before session */
	char kernel[65];
};

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled series: its name written once. */
static void single(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

/* Label values here are names from fixed tables, the version and uname's
 * release: printable, but escaped all the same. */
static void label(FILE *f, const char *name, const char *val, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *val; val++) {
		if (*val == '\\' || *val == '"')
			fputc('\\', f);
		if (*val == '\n')
			fputs("\\n", f);
		else
			fputc(*val, f);
	}
	fputc('"', f);
}

/* name{key=value,action=...} for each action: reported always, so the
 * series exist from the start; the other actions once they happened. */
static void by_action(FILE *f, const char *name, const char *key, const char *value,
		      const uint64_t counts[SW_ACT__COUNT])
{
	for (int a = 0; a < SW_ACT__COUNT; a++) {
		if (!counts[a] && a != SW_ACT_REPORTED)
			continue;
		fprintf(f, "%s{", name);
		label(f, key, value, true);
		label(f, "action", sw_action_name(a), false);
		fprintf(f, "} %llu\n", (unsigned long long)counts[a]);
	}
}

/* --verify's families: unexplained changes by check and action, as the
 * writes are by op and action. */
static void verify_render(FILE *f, const struct sw_verify_metrics *vm)
{
	family(f, "splicewatch_unexplained_changes_total", "counter",
	       "Changes to bytes a pipe held that no unsafe write explains (--verify), shown, "
	       "by the check that found them and what was done to the reader.");
	for (int point = 0; point < SW_CHECK__COUNT; point++)
		by_action(f, "splicewatch_unexplained_changes_total", "check", sw_check_name(point),
			  vm->shown[point]);

	single(f, "splicewatch_unexplained_changes_folded_total", "counter",
	       "Unexplained changes shown folded into --aggregate lines (their count).",
	       vm->folded);

	single(f, "splicewatch_verify_not_fingerprinted_total", "counter",
	       "Held ranges --verify could not fingerprint: its table, or the user's share of "
	       "it, was full.",
	       vm->not_fingerprinted);

	single(f, "splicewatch_verify_lost_records_total", "counter",
	       "Change records the ring buffer had no room for (not in "
	       "splicewatch_unexplained_changes_total).",
	       vm->lost);
}

void sw_metrics_render(FILE *f, const struct sw_metrics *m, const struct sw_verify_metrics *vm,
		       const char *backend, const char *kernel)
{
	family(f, "splicewatch_build_info", "gauge",
	       "Always 1: the version, the backend in use and the running kernel.");
	fputs("splicewatch_build_info{", f);
	label(f, "version", SW_VERSION, true);
	label(f, "backend", backend, false);
	label(f, "kernel", kernel, false);
	fputs("} 1\n", f);

	family(f, "splicewatch_unsafe_writes_total", "counter",
	       "Writes into bytes a pipe still held, by write path and what was done, "
	       "counted where decided (records the ring lost included).");
	for (int op = 0; op < SW_OP__COUNT; op++)
		by_action(f, "splicewatch_unsafe_writes_total", "op", sw_op_name(op), m->unsafe[op]);

	single(f, "splicewatch_unsafe_writes_folded_total", "counter",
	       "Unsafe writes shown folded into --aggregate lines (their count), not each "
	       "on a line of its own.",
	       m->folded);

	single(f, "splicewatch_unsafe_writes_unaggregated_total", "counter",
	       "Unsafe writes of a new key shown on a line of their own because the "
	       "--aggregate table was full.",
	       m->unaggregated);

	single(f, "splicewatch_lost_records_total", "counter",
	       "Event records the ring buffer had no room for (the writes are still counted "
	       "in splicewatch_unsafe_writes_total).",
	       m->lost);

	family(f, "splicewatch_untracked_holds_total", "counter",
	       "Holds of page-cache pages by a pipe the hold index could not track, by reason.");
	for (int r = 0; r < SW_UNTR__COUNT; r++) {
		fputs("splicewatch_untracked_holds_total{", f);
		label(f, "reason", sw_untracked_reason_name(r), true);
		fprintf(f, "} %llu\n", (unsigned long long)m->untracked[r]);
	}

	single(f, "splicewatch_skipped_program_runs_total", "counter",
	       "Runs of the programs the kernel skipped (recursion misses: a program "
	       "preempted on a CPU).",
	       m->skipped_runs);

	single(f, "splicewatch_signals_total", "counter",
	       "Signals enforce sent to unsafe writers.",
	       m->signals);

	single(f, "splicewatch_held_pages", "gauge",
	       "Page-cache pages pipes hold now (pipe buffers the hold index tracks).",
	       m->held_pages);

	single(f, "splicewatch_held_pipes", "gauge",
	       "Pipes in the hold index now (an emptied or closed pipe is forgotten within "
	       "0.2 s).",
	       m->pipes);

	single(f, "splicewatch_programs_attached", "gauge",
	       "BPF programs attached now (0 once stopping).",
	       m->programs_attached);

	if (vm)
		verify_render(f, vm);
}

static unsigned int reply(char **body, size_t *len, const char *text)
{
	*body = strdup(text);
	*len = *body ? strlen(*body) : 0;
	return *body ? 1 : 0;
}

static unsigned int serve(void *ctx, const char *url, char **body, size_t *len)
{
	struct sw_watch_prom *p = ctx;
	struct sw_session *s = __atomic_load_n(&p->session, __ATOMIC_ACQUIRE);
	struct sw_metrics m;
	struct sw_verify_metrics vm;
	FILE *f;

	if (!strcmp(url, "/healthz")) {
		if (s && sw_session_alive(s))
			return reply(body, len, "ok\n") ? 200 : 0;
		return reply(body, len, s ? "not watching: the programs are detached or the "
					     "event loop is stalled\n"
					   : "starting: the programs are not attached yet\n")
			       ? 503 : 0;
	}
	if (strcmp(url, "/metrics"))
		return reply(body, len, "not found: /metrics and /healthz\n") ? 404 : 0;
	if (!s)
		return reply(body, len, "starting: the programs are not attached yet\n") ? 503 : 0;
	sw_session_metrics(s, &m);
	if (p->agg) {
		m.folded = __atomic_load_n(&p->agg->folded, __ATOMIC_RELAXED);
		m.unaggregated = __atomic_load_n(&p->agg->unaggregated, __ATOMIC_RELAXED);
	}
	if (p->verify)
		sw_verify_metrics(p->verify, &vm);
	f = open_memstream(body, len);
	if (!f)
		return 0;
	sw_metrics_render(f, &m, p->verify ? &vm : NULL, sw_session_backend(s), p->kernel);
	if (fclose(f)) {
		free(*body);
		*body = NULL;
		return 0;
	}
	return 200;
}

struct sw_watch_prom *sw_watch_prom_start(const char *addr)
{
	struct sw_watch_prom *p = calloc(1, sizeof(*p));
	struct utsname u;

	if (!p)
		return NULL;
	snprintf(p->kernel, sizeof(p->kernel), "%s", uname(&u) ? "unknown" : u.release);
	p->http = sw_http_start(addr, serve, p);
	if (!p->http) {
		free(p);
		return NULL;
	}
	return p;
}

void sw_watch_prom_attach(struct sw_watch_prom *p, struct sw_session *s)
{
	if (p)
		__atomic_store_n(&p->session, s, __ATOMIC_RELEASE);
}

void sw_watch_prom_agg(struct sw_watch_prom *p, const struct sw_agg *agg)
{
	if (p)
		p->agg = agg;
}

void sw_watch_prom_verify(struct sw_watch_prom *p, const struct sw_verify *v)
{
	if (p)
		p->verify = v;
}

void sw_watch_prom_stop(struct sw_watch_prom *p)
{
	if (!p)
		return;
	sw_http_stop(p->http);
	free(p);
}
