// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What trace, enforce (and ci) share: their options, opening the session and
 * the watch-until-stopped loop. */
#include <errno.h>
#include <string.h>
#include "sw.h"
#include "watch.h"
#include "hooks.h"

void sw_watch_args_init(struct sw_watch_args *a)
{
	memset(a, 0, sizeof(*a));
	sw_config_defaults(&a->cfg);
	sw_filter_init(&a->out.filter);
}

int sw_watch_option(void *ctx, int opt, const char *arg)
{
	struct sw_watch_args *a = ctx;
	int r;

	switch (opt) {
	case 'j':
		a->out.json = true;
		return 1;
	case 'o':
		a->out_path = arg;
		return 1;
	}
	r = sw_filter_option(&a->out.filter, opt, arg);
	return r ? r : sw_config_option(&a->cfg, opt, arg);
}

int sw_config_option(struct sw_config *cfg, int opt, const char *arg)
{
	enum sw_backend b;
	uint64_t v;

	switch (opt) {
	case OPT_MAX_HOLDS:
		if (!parse_u64(arg, &v) || v < 64 || v > (1U << 24)) {
			sw_err("--max-holds: '%s' is not a number from 64 to 16777216", arg);
			return -1;
		}
		cfg->max_holds = v;
		return 1;
	case OPT_USER_SHARE:
		if (!parse_u64(arg, &v) || v < 1 || v > 100) {
			sw_err("--user-share: '%s' is not a percentage from 1 to 100", arg);
			return -1;
		}
		cfg->user_share = v;
		return 1;
	case OPT_RINGBUF:
		/* 16 KiB: an event with the longest path must fit. */
		if (!parse_u64(arg, &v) || v < 16 || v > (1U << 20)) {
			sw_err("--ringbuf-kib: '%s' is not a number from 16 to 1048576", arg);
			return -1;
		}
		cfg->ringbuf_kib = v;
		return 1;
	case OPT_BACKEND:
		if (strcmp(arg, "auto") && sw_backend_parse(arg, &b)) {
			sw_err("--backend: '%s' is not one of auto, fentry, kprobe, tracepoint", arg);
			return -1;
		}
		cfg->backend = arg;
		return 1;
	}
	return 0;
}

struct sw_session *sw_watch_open(const struct sw_config *cfg, int (*handlers)(void),
				 const char *who)
{
	if (handlers()) {
		sw_err("%scannot install signal handlers: %s", who, strerror(errno));
		return NULL;
	}
	return sw_session_open(cfg);
}

static int watch(const struct sw_config *cfg, struct sw_output *out, const char *what)
{
	struct sw_session *s;
	int err;

	s = sw_watch_open(cfg, sw_install_stop_handlers, "");
	if (!s)
		return SW_EXIT_USAGE;
	out->session = s;
	/* --fallback dry-run turned deny into a dry run. */
	if (sw_session_dry_run(s) && !cfg->dry_run)
		what = "enforcing (dry run: acting on nobody)";
	sw_info("%s (backend: %s); Ctrl-C to stop", what, sw_session_backend(s));
	err = sw_session_run(s, sw_output_event, out, NULL, NULL);
	if (sw_flush_output(out->f))
		err = -1;
	sw_print_summary(stderr, s, out->printed);
	sw_session_close(s);
	return err ? 1 : 0;
}

int sw_watch(struct sw_watch_args *a, const char *what)
{
	int r;

	a->out.f = sw_open_output(a->out_path);
	if (!a->out.f)
		return SW_EXIT_USAGE;
	r = watch(&a->cfg, &a->out, what);
	if (a->out.f != stdout)
		fclose(a->out.f);
	return r;
}
