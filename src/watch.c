// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What trace, enforce (and ci) share: their options, opening the session and
 * the watch-until-stopped loop. */
#include <errno.h>
#include <string.h>
#include "sw.h"
#include "watch.h"
#include "hooks.h"
#include "policy.h"
#include "systemd.h"
#include "watch_prom.h"
#include "caps.h"
#include "verify.h"

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
		a->format_given = true;
		return 1;
	case 'o':
	case OPT_JOURNAL:
		if (a->out_given) {
			sw_err("-o and --journal: one output only");
			return -1;
		}
		a->out_given = true;
		a->out_path = opt == 'o' ? arg : NULL;
		a->out.journal = opt == OPT_JOURNAL;
		return 1;
	case OPT_PROMETHEUS:
		a->prom_addr = arg;
		return 1;
	case OPT_VERIFY:
		a->verify = true;
		return 1;
	case OPT_NODE:
		a->node_given = true;	/* over the policy file's node: */
		break;
	case OPT_AGGREGATE:
		if (sw_agg_parse(arg, &a->agg_ns)) {
			sw_err("--aggregate: '%s' is not a window (10s, 500ms, 2m, up to 1h; 0 or off)",
			       arg);
			return -1;
		}
		a->agg_given = true;
		return 1;
	case 'd': {
		uint64_t v;

		if (!parse_u64(arg, &v) || v == 0 || v > 100U * 365 * 86400) {
			sw_err("--duration: '%s' is not a number of seconds (1 or more)", arg);
			return -1;
		}
		a->duration_ns = v * 1000000000ULL;
		return 1;
	}
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
	case OPT_NODE:
		return sw_node_set(arg, "--node") ? -1 : 1;
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

void sw_watch_output_from(struct sw_watch_args *a, const struct policy_info *info)
{
	if (!a->out_given && (info->set & POLICY_SET_OUTPUT)) {
		a->out.journal = !strcmp(info->output, "journal");
		a->out_path = a->out.journal || !strcmp(info->output, "-") ? NULL : info->output;
	}
	if (!a->format_given && (info->set & POLICY_SET_FORMAT))
		a->out.json = info->json;
	if (!a->node_given && (info->set & POLICY_SET_NODE))
		sw_node_set(info->node, "node");
	if (!a->agg_given && (info->set & POLICY_SET_AGGREGATE)) {
		a->agg_ns = info->aggregate_ns;
		a->agg_given = true;
	}
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

/* Both stop signals, and SIGHUP (reopen the output, reload the policy). */
static int watch_handlers(void)
{
	return sw_install_stop_handlers() ?: sw_install_reload_handler();
}

/* After every poll round: SIGHUP's work, lost records, the batch of events
 * written out, and whether the reader is still there. Non-zero ends the run. */
static int watch_tick(void *ctx)
{
	struct sw_watch_args *a = ctx;

	if (sw_reload) {
		sw_reload = 0;
		sw_notify_reloading();
		if (a->file.path && !sw_outfile_reopen(&a->file))
			sw_info("SIGHUP: reopened '%s'", a->file.path);
		else if (a->file.path)
			sw_err("SIGHUP: still writing to the file opened before");
		sw_reload_policy(a, a->out.session);
		sw_notify("READY=1");
	}
	sw_verify_tick(a->verifier);
	sw_output_lost(&a->out, sw_session_lost(a->out.session), false);
	/* --aggregate: windows close on time, not only on the next write. */
	sw_output_tick(&a->out, false);
	/* --duration: a stop like SIGTERM's (summary, exit 0). */
	if (a->deadline_ns && sw_mono_ns() >= a->deadline_ns)
		sw_stop = 1;
	if (sw_outfile_flush(&a->file) || sw_outfile_reader_gone(&a->file))
		return -1;
	return 0;
}

/* enforce --verify: what a drain of changed bytes does to its reader. No
 * permission hook sees a splice or tee out of a pipe: under deny, what
 * --fallback says. */
static uint32_t reader_action(const struct sw_config *cfg, const struct sw_session *s)
{
	if (cfg->mode != SW_MODE_ENFORCE)
		return SW_ACT_REPORTED;
	if (sw_session_dry_run(s) ||
	    (sw_session_denies(s) && cfg->fallback == SW_FALLBACK_DRY_RUN))
		return SW_ACT_WOULD_KILL;
	return SW_ACT_KILLED;
}

static int watch(struct sw_watch_args *a, const char *what)
{
	struct sw_output *out = &a->out;
	struct sw_watch_prom *prom = NULL;
	struct sw_session *s;
	char status[256];
	int err;

	if (a->verify && a->cfg.mode == SW_MODE_ENFORCE && a->cfg.deny &&
	    a->cfg.fallback == SW_FALLBACK_NONE) {
		sw_err("enforce --verify --action deny: no permission hook sees a splice or tee out "
		       "of a pipe, so a reader of changed bytes cannot be denied; say what to do "
		       "with it: --fallback kill or --fallback dry-run");
		return SW_EXIT_USAGE;
	}
	/* First: a port in use, or a privileged one without the capability
	 * (named), ends the run before anything is loaded. */
	if (a->prom_addr &&
	    (sw_caps_prepare(&(struct sw_caps_req){
		     .command = a->cfg.mode == SW_MODE_ENFORCE ? "enforce" : "trace",
		     .prom_addr = a->prom_addr }) ||
	     !(prom = sw_watch_prom_start(a->prom_addr))))
		return SW_EXIT_USAGE;
	s = sw_watch_open(&a->cfg, watch_handlers, "");
	if (!s) {
		sw_watch_prom_stop(prom);
		return SW_EXIT_USAGE;
	}
	/* Before the output too: its programs may not load either. */
	if (a->verify && !(a->verifier = out->verify =
				   sw_verify_start(s, &(struct sw_verify_target){
					   .out = out, .user_share = a->cfg.user_share,
					   .reader_action = reader_action(&a->cfg, s),
					   .reader_signal = a->cfg.signal }))) {
		sw_watch_prom_stop(prom);
		sw_session_close(s);
		return SW_EXIT_USAGE;
	}
	/* Only now: a path that cannot be written must not have been created or
	 * touched when the programs then fail to load. */
	if (!out->journal && sw_outfile_open(&a->file, a->out_path, SW_OUT_APPEND)) {
		sw_verify_close(a->verifier);
		sw_watch_prom_stop(prom);
		sw_session_close(s);
		return SW_EXIT_USAGE;
	}
	sw_watch_prom_agg(prom, &out->agg);
	sw_watch_prom_verify(prom, a->verifier);
	sw_watch_prom_attach(prom, s);
	out->f = a->file.f;
	out->file = out->journal ? NULL : &a->file;	/* the journal: no file to count in */
	out->session = s;
	/* --fallback dry-run turned deny into a dry run. */
	if (sw_session_dry_run(s) && !a->cfg.dry_run)
		what = "enforcing (dry run: acting on nobody)";
	sw_info("%s (backend: %s); Ctrl-C to stop", what, sw_session_backend(s));
	/* Type=notify: every program attached and running (sw_session_open
	 * waited for them), the output open: the service is up. */
	snprintf(status, sizeof(status), "STATUS=%s (backend: %s)", what, sw_session_backend(s));
	sw_notify(status);
	sw_notify("READY=1");
	/* --aggregate: by default on only where a person reads the lines (text
	 * on a terminal); JSON, files and the journal get every write unless
	 * asked. */
	out->agg.window_ns = a->agg_given ? a->agg_ns :
		!out->json && !out->journal && a->file.tty ? SW_AGG_DEFAULT_NS : 0;
	if (a->duration_ns)
		a->deadline_ns = sw_mono_ns() + a->duration_ns;
	sw_session_set_tick(s, watch_tick, a);
	err = sw_session_run(s, sw_output_event, out, NULL, NULL);
	sw_notify("STOPPING=1");
	sw_verify_stop(a->verifier, stderr);
	/* The rest of the lost records, after the last drain. */
	sw_output_lost(out, sw_session_lost(s), true);
	/* Nothing folded is lost: every open window's line, after the drain. */
	sw_output_tick(out, true);
	sw_outfile_flush(&a->file);
	if (a->file.err) {
		/* The first failure's errno: later ones say less (EINTR at a stop). */
		sw_err("writing the output failed: %s", strerror(a->file.err));
		err = -1;
	}
	sw_print_summary(stderr, s, out->journal ? out->printed : a->file.delivered, &out->agg);
	if (sw_outfile_commit(&a->file, "events"))
		err = -1;
	sw_watch_prom_stop(prom);
	sw_verify_close(a->verifier);
	sw_session_close(s);
	return err ? 1 : 0;
}

int sw_watch(struct sw_watch_args *a, const char *what)
{
	return watch(a, what);
}
