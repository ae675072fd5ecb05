// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What stats and top share above the counting session (stats_loop.h): their
 * common options and the snapshot loop, with the exporter when asked for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include "caps.h"
#include "common.h"
#include "outfile.h"
#include "prom.h"
#include "stats_loop.h"

/* ---- options ------------------------------------------------------------- */

void st_opts_defaults(struct st_opts *o, double interval)
{
	memset(o, 0, sizeof(*o));
	o->interval = interval;
	o->prom_top = 10;
	o->sort = ST_SORT_BYTES;
}

int st_common_option(void *ctx, int opt, const char *arg)
{
	struct st_opts *o = ctx;
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
	case ST_OPT_NODE:
		return sw_node_set(arg, "--node") ? -1 : 1;
	case ST_OPT_PROM_NO_PATHS:
		o->prom_no_paths = true;
		return 1;
	case ST_OPT_PROM_TOP:
		if (!parse_u64(arg, &v) || !v || v > 10000) {
			sw_err("--prometheus-top: '%s' is not a number from 1 to 10000", arg);
			return -1;
		}
		o->prom_top = v;
		return 1;
	}
	return 0;
}

/* ---- the snapshot loop --------------------------------------------------- */

/* Sleeps until deadline (CLOCK_MONOTONIC ns), a stop signal or, when the
 * output is a pipe, until its reader is gone (as trace does: the run ends
 * then, not at the next snapshot). */
static void sleep_until(uint64_t deadline, struct sw_outfile *out)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000ULL,
		.tv_nsec = deadline % 1000000000ULL,
	};
	/* No events asked for: a pipe's write end polls POLLERR once no reader is left. */
	struct pollfd p = { .fd = out->fd, .events = 0 };
	uint64_t now;

	if (!out->fifo) {
		while (!sw_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		return;
	}
	while (!sw_stop && (now = sw_mono_ns()) < deadline && !sw_outfile_reader_gone(out))
		poll(&p, 1, (deadline - now + 999999) / 1000000);
}

int st_run(const struct st_opts *o, st_snap_fn fn, void *ctx, bool final_snapshot)
{
	struct st_session *s;
	struct st_prom *prom = NULL;
	struct sw_outfile out;
	uint64_t n = 0, next;
	int err = 0;

	if (sw_install_stop_handlers()) {
		sw_err("cannot install signal handlers: %s", strerror(errno));
		return SW_EXIT_USAGE;
	}
	s = st_session_open(&(struct sw_caps_req){ .command = o->command,
						   .prom_addr = o->prom_addr });
	if (!s)
		return SW_EXIT_USAGE;
	if (o->prom_addr) {
		prom = st_prom_start(s, o->prom_addr, o->prom_top, o->prom_no_paths);
		if (!prom) {
			st_session_close(s);
			return SW_EXIT_USAGE;
		}
	}
	/* Standard output, checked and counted as trace's output is. */
	if (sw_outfile_open(&out, NULL, SW_OUT_APPEND)) {
		st_prom_stop(prom);
		st_session_close(s);
		return SW_EXIT_USAGE;
	}
	sw_info("counting splice, sendfile, tee, vmsplice and copy_file_range; Ctrl-C to stop");
	next = st_session_start_ns(s);
	while (!sw_stop) {
		struct st_snap snap;

		next += (uint64_t)(o->interval * 1e9);
		sleep_until(next, &out);
		if (out.err) {
			err = -1;
			break;
		}
		if (sw_stop && !final_snapshot)
			break;
		err = st_collect(s, &snap);
		if (err) {
			sw_err("reading the counters failed: %s", strerror(-err));
			break;
		}
		err = fn(ctx, out.f, &snap, sw_stop);
		st_snap_free(&snap);
		if (err)
			break;
		sw_outfile_mark(&out, true);
		if (sw_outfile_flush(&out)) {
			err = -1;
			break;
		}
		if (o->count && ++n >= o->count)
			break;
		if (sw_mono_ns() > next + (uint64_t)(o->interval * 1e9))
			next = sw_mono_ns();	/* fell behind (suspend, slow terminal) */
	}
	if (out.err)	/* the first failure's errno, not a later one */
		sw_err("writing the output failed: %s", strerror(out.err));
	sw_outfile_commit(&out, "the output");
	st_prom_stop(prom);
	st_session_close(s);
	return err ? 1 : 0;
}

int st_command_run(const struct st_command *cmd, int argc, char **argv, struct st_opts *o,
		   void *ctx)
{
	const struct option longopts[] = {
		cmd->own,
		ST_COMMON_LONGOPTS,
		cmd->node ? (struct option){ "node", required_argument, NULL, ST_OPT_NODE } :
			    (struct option){ 0 },
		{ 0 }
	};
	int r;

	st_opts_defaults(o, cmd->interval);
	o->rows = cmd->rows;
	o->command = cmd->name;
	r = sw_parse_options(cmd->name, argc, argv, cmd->shortopts, longopts, cmd->usage,
			     cmd->option, o, false);
	if (r)
		return r > 0 ? 0 : SW_EXIT_USAGE;
	return st_run(o, cmd->snapshot, ctx, cmd->final_snapshot);
}
