// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* systemd integration (systemd.h): sd_notify and the journal output, through
 * a libsystemd loaded at run time. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include "systemd.h"
#include "verify_event.h"

/* As libsystemd declares them (sd-daemon.h, sd-journal.h). */
static int (*p_sd_notify)(int unset_environment, const char *state);
static int (*p_sd_journal_sendv)(const struct iovec *iov, int n);

/* libsystemd.so.0, loaded once; false when it is not there. */
static bool libsystemd(void)
{
	static int state;	/* 0 not tried, 1 loaded, -1 absent */
	void *h;

	if (state)
		return state > 0;
	state = -1;
	h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return false;
	p_sd_notify = (int (*)(int, const char *))dlsym(h, "sd_notify");
	p_sd_journal_sendv = (int (*)(const struct iovec *, int))dlsym(h, "sd_journal_sendv");
	state = 1;
	return true;
}

void sw_notify(const char *state)
{
	static bool told;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (libsystemd() && p_sd_notify) {
		if (p_sd_notify(0, state) < 0 && !told) {
			sw_err("warning: sd_notify(\"%s\") failed: the service manager was not told",
			       state);
			told = true;
		}
		return;
	}
	if (!told) {
		sw_err("warning: NOTIFY_SOCKET is set but libsystemd.so.0 cannot be loaded: "
		       "systemd is not told when splicewatch is ready");
		told = true;
	}
}

void sw_notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000);
	sw_notify(msg);
}

/* ---- the journal output ---------------------------------------------------- */

/* The fields of one event: "KEY=value" strings, each one iovec. */
#define JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define MAX_FIELDS	96
#define FIELDS_BYTES	(7 * SW_PATH_MAX + 4096)	/* path, exe, cgroup: writer's and holder's */

struct fields {
	struct iovec iov[MAX_FIELDS];
	int n;
	char buf[FIELDS_BYTES];
	size_t used;
	bool full;
};

static void field_add(struct fields *f, const char *name, const char *val, size_t len)
{
	size_t nl = strlen(name), need = nl + 1 + len;
	char *p;

	if (f->n == MAX_FIELDS || f->used + need > sizeof(f->buf)) {
		f->full = true;
		return;
	}
	p = f->buf + f->used;
	memcpy(p, name, nl);
	p[nl] = '=';
	memcpy(p + nl + 1, val, len);
	f->iov[f->n].iov_base = p;
	f->iov[f->n].iov_len = need;
	f->n++;
	f->used += need;
}

/* json_field_fn: "path" -> SPLICEWATCH_PATH=... */
static void json_field(void *ctx, const char *key, const char *val, size_t len)
{
	char name[64] = "SPLICEWATCH_";
	size_t n = strlen(name);

	for (; *key && n < sizeof(name) - 1; key++)
		name[n++] = isalnum((unsigned char)*key) ? toupper((unsigned char)*key) : '_';
	name[n] = 0;
	field_add(ctx, name, val, len);
}

/* One record: MESSAGE text, its JSON object's fields from fill(j, ctx). */
static int send_record(int prio, const char *text, size_t text_len,
		       void (*fill)(struct json *, const void *), const void *ctx)
{
	static bool told;
	struct fields *f;
	struct json j;
	char p[2] = { '0' + prio, 0 };
	int r = -1;

	/* Drop the text line's newline: MESSAGE is the line. */
	while (text_len && text[text_len - 1] == '\n')
		text_len--;
	/* sd_journal_sendv() returns 0 when the socket is not there ("fail
	 * silently"): look first, or events would vanish. */
	if (!access(JOURNAL_SOCKET, F_OK) && libsystemd() && p_sd_journal_sendv) {
		f = calloc(1, sizeof(*f));
		if (f) {
			field_add(f, "MESSAGE", text, text_len);
			field_add(f, "PRIORITY", p, 1);
			field_add(f, "SYSLOG_IDENTIFIER", "splicewatch", 11);
			json_init_fields(&j, json_field, f);
			fill(&j, ctx);
			r = f->full ? -1 : p_sd_journal_sendv(f->iov, f->n);
			free(f);
		}
		if (r >= 0)
			return 0;
	}
	if (!told) {
		sw_err("warning: the journal cannot take events (%s): writing them to "
		       "syslog instead", access(JOURNAL_SOCKET, F_OK) ? "no " JOURNAL_SOCKET :
		       !libsystemd() ? "no libsystemd.so.0" : "sd_journal_sendv failed");
		told = true;
	}
	openlog("splicewatch", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	syslog(prio, "%.*s", (int)text_len, text);
	return 0;
}

struct event_fill {
	void (*fn)(struct json *, const struct sw_event *, const int64_t *);
	const struct sw_event *ev;
	const int64_t *off;
};

static void fill_event(struct json *j, const void *ctx)
{
	const struct event_fill *e = ctx;

	e->fn(j, e->ev, e->off);
}

static int send_event(int prio, const char *text, size_t text_len,
		      void (*fn)(struct json *, const struct sw_event *, const int64_t *),
		      const struct sw_event *ev, const int64_t *off)
{
	struct event_fill e = { fn, ev, off };

	return send_record(prio, text, text_len, fill_event, &e);
}

/* Acted on the writer (or reader): err; reported (also would_kill, allowed): warning. */
static int event_priority(uint32_t action)
{
	switch (action) {
	case SW_ACT_KILLED:
	case SW_ACT_KILLED_LATE:
	case SW_ACT_DENIED:
	case SW_ACT_SIGNALLED:
		return LOG_ERR;
	}
	return LOG_WARNING;
}

/* send_event's fill for an aggregate line: its keys from here (one thread). */
static const struct sw_agg_info *journal_agg;

static void fill_agg(struct json *j, const struct sw_event *ev, const int64_t *off)
{
	sw_event_json_agg(j, ev, off, journal_agg);
}

int sw_journal_event(const struct sw_event *ev, const int64_t *off, const char *text,
		     size_t text_len)
{
	return send_event(event_priority(ev->action), text, text_len, sw_event_json, ev, off);
}

int sw_journal_event_agg(const struct sw_event *ev, const int64_t *off,
			 const struct sw_agg_info *agg, const char *text, size_t text_len)
{
	int r;

	journal_agg = agg;
	r = send_event(event_priority(ev->action), text, text_len, fill_agg, ev, off);
	journal_agg = NULL;
	return r;
}

int sw_journal_untracked(const struct sw_event *ev, const int64_t *off, const char *text,
			 size_t text_len)
{
	return send_event(LOG_WARNING, text, text_len, sw_untracked_json, ev, off);
}

struct change_fill {
	const struct sw_change_event *c;
	const char *path;
	bool absolute;
	int64_t off;
	const struct sw_agg_info *agg;
};

static void fill_change(struct json *j, const void *ctx)
{
	const struct change_fill *f = ctx;

	sw_change_json(j, f->c, f->path, f->absolute, f->off, f->agg);
}

int sw_journal_change(const struct sw_change_event *c, const char *path, bool absolute,
		      int64_t mono_to_real_ns, const struct sw_agg_info *agg,
		      const char *text, size_t text_len)
{
	struct change_fill f = { c, path, absolute, mono_to_real_ns, agg };

	return send_record(event_priority(c->action), text, text_len, fill_change, &f);
}
