// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * splicewatch ci: run a command under watch and fail it on unsafe writes.
 *
 * The programs are loaded with the scope enabled before COMMAND starts: a
 * cgroup v2 splicewatch creates for COMMAND (ci_cgroup.c), or with --scope
 * pids a pid set the BPF fork hook extends. The forked child waits on a pipe
 * until it is in the scope, then execs, so only writes by COMMAND's tree are
 * reported. When COMMAND exits the ring buffer is
 * drained, findings are matched against the baseline and reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "sw.h"
#include "caps.h"
#include "load.h"
#include "ci.h"
#include "names.h"
#include "identity.h"
#include "watch.h"
#include "outfile.h"
#include "verify.h"
#include "verify_event.h"

#define CI_MAX_STORED		100000	/* events kept for the JSON report */

enum {
	OPT_REPORT = OPT_FIRST_LOCAL,
	OPT_JUNIT,
	OPT_BASELINE,
	OPT_WRITE_BASELINE,
	OPT_ENFORCE,
	OPT_ALLOW_LOST,
	OPT_ALLOW_UNTRACKED,
	OPT_SCOPE,
};

static void ci_usage(FILE *f)
{
	fprintf(f,
		"Usage: splicewatch ci [OPTIONS] [--] COMMAND [ARGS...]\n"
		"\n"
		"Load the watch programs, then run COMMAND and watch only its process tree:\n"
		"COMMAND, its threads and every descendant (also those that daemonise or are\n"
		"re-parented): the members of a cgroup v2 splicewatch creates for COMMAND\n"
		"under the root of the cgroup v2 hierarchy, and of the cgroups below it.\n"
		"A finding is a write by one of them into page-cache bytes that a pipe\n"
		"still holds (spliced, sent with sendfile, tee'd or vmspliced and not yet\n"
		"read); the pipe may belong to any process. When COMMAND exits, the\n"
		"remaining events are drained and findings are reported, grouped by writer\n"
		"comm, file path and write op. Descendants still running then are killed\n"
		"(said on stderr) and the cgroup is removed.\n"
		"\n"
		"Options:\n"
		"  --report FILE          write a JSON report: every finding (the keys of\n"
		"                         `trace --json`), groups, totals, lost records,\n"
		"                         kernel release, backend, command and exit status\n"
		"  --junit FILE           write JUnit XML: one failed test case per distinct\n"
		"                         new finding (comm, op, path), a skipped one per\n"
		"                         baselined finding, a passing \"no unsafe writes\"\n"
		"                         when nothing fails\n"
		"  --baseline FILE        accept the known findings listed in FILE\n"
		"                         (repeatable); only findings it does not cover fail\n"
		"  --write-baseline FILE  record this run's findings, deduplicated, in the\n"
		"                         baseline format\n"
		"  --enforce              SIGKILL writers in the tree at syscall entry, before\n"
		"                         their bytes land (as `splicewatch enforce`); each is\n"
		"                         still a finding\n"
		"  --scope cgroup|pids    cgroup (default): COMMAND's cgroup and those below\n"
		"                         it; without a cgroup v2 mount ci exits 2. pids:\n"
		"                         the pids COMMAND and its descendants had, never\n"
		"                         pruned: unsafe, an outside process that gets one\n"
		"                         of their pids again is counted (and killed with\n"
		"                         --enforce); leftovers are not killed\n"
		"  --verify               content checks (as trace --verify): a change to\n"
		"                         bytes COMMAND's tree spliced into a pipe, or took\n"
		"                         out of one, that no unsafe write explains fails\n"
		"                         the run; --scope cgroup only; Linux 5.17+\n"
		"  --allow-lost           records dropped by a full ring buffer do not fail\n"
		"                         the run (they are still reported)\n"
		"  --allow-untracked      holds the index could not track (an unsafe write\n"
		"                         into them would be missed) do not fail the run\n"
		"                         (they are still reported)\n"
		"  -q, --quiet            no progress messages and no summary unless the run\n"
		"                         fails on findings or lost records\n"
		"  --backend NAME         auto (default: fentry, else kprobe, else tracepoint),\n"
		"                         fentry, kprobe or tracepoint (a forced backend that\n"
		"                         cannot load fails with 2)\n"
		"  --max-holds N          size of the hold index: about N held pages in runs\n"
		"                         (N/4 entries of 64 file pages, N/16 pipes and\n"
		"                         files with held pages, at least 1024; default\n"
		"                         262144)\n"
		"  --user-share PERCENT   how much of each map of the hold index (pipes,\n"
		"                         64-page chunks, files) and, with --verify, of the\n"
		"                         fingerprint table one non-root user may fill\n"
		"                         (1 to 100, default 25; 100: no limit)\n"
		"  --ringbuf-kib N        event ring buffer size in KiB (default 4096)\n"
		SW_NODE_HELP("  ")
		"  -h, --help             this help\n"
		"\n"
		"FILE may be - for standard output (--report, --junit, --write-baseline).\n"
		"Each is opened once the programs are loaded, before COMMAND starts, with\n"
		"the rules of trace -o, written to a temporary file beside it (mode 0600)\n"
		"and renamed over it when complete.\n"
		"\n"
		"Baseline format: one finding per line, three fields separated by one TAB:\n"
		"  COMM<TAB>OP<TAB>PATH\n"
		"COMM and PATH are fnmatch(3) patterns (no flags: * also matches /; a\n"
		"backslash quotes the next character), OP is a write op name or *:\n"
		"  %s\n"
		"Pids and times are not matched.\n"
		"Lines starting with # and blank lines are ignored. A malformed file is\n"
		"reported as FILE:LINE: reason, before COMMAND starts.\n"
		"\n"
		"Exit status:\n"
		"  3        unsafe writes not covered by the baseline (whatever COMMAND\n"
		"           returned), or unexplained changes (--verify), or records were lost and --allow-lost was not given,\n"
		"           or holds went untracked and --allow-untracked was not given\n"
		"  2        usage or setup error (bad option or baseline, cannot load the BPF\n"
		"           programs, cannot open an output file, no cgroup v2 for --scope\n"
		"           cgroup): COMMAND was not started;\n"
		"           also when watching or writing a report failed after it ran\n"
		"  126/127  COMMAND could not be executed / was not found\n"
		"  else     COMMAND's exit status, or 128+N if it was killed by signal N\n"
		"\n"
		"SIGINT, SIGTERM and SIGHUP are forwarded to COMMAND (not when the terminal\n"
		"already sent them to its process group); splicewatch keeps watching until\n"
		"COMMAND exits.\n", sw_op_list());
}

/* ---- collecting findings -------------------------------------------------- */

static uint32_t group_hash(const char *comm, uint32_t op, const char *path)
{
	uint32_t h = 2166136261u ^ op;

	for (; *comm; comm++)
		h = (h ^ (unsigned char)*comm) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 16777619u;
	return h;
}

static int on_event(void *ctx, const struct sw_event *ev, size_t len)
{
	struct ci *c = ctx;
	char comm[SW_TASK_COMM_LEN + 1], path[2 * SW_PATH_MAX];
	struct ci_group *g;
	struct sw_event *copy;
	void *grow;
	uint32_t h;

	if (ev->type == SW_EV_CAPACITY) {
		/* Not scoped: any user's untracked hold may be one COMMAND writes into. */
		if (c->n_untracked < CI_MAX_UNTRACKED)
			c->untracked[c->n_untracked++] = *ev;
		return 0;
	}
	if (ev->type != SW_EV_UNSAFE_WRITE || sizeof(*ev) + ev->path_len > len)
		return 0;
	c->received++;
	sw_verify_note_write(c->verifier, ev);
	sw_identity_note(ev);	/* the report is written after the command: look now */
	memcpy(comm, ev->comm, sw_comm_len(ev->comm));
	comm[sw_comm_len(ev->comm)] = 0;
	sw_event_path(ev, path, sizeof(path));
	h = group_hash(comm, ev->op, path) % CI_HASH_BUCKETS;
	for (g = c->buckets[h]; g; g = g->next)
		if (g->op == ev->op && !strcmp(g->comm, comm) && !strcmp(g->path, path))
			break;
	copy = NULL;
	if (c->n_events < CI_MAX_STORED && !c->oom) {
		copy = malloc(len);
		grow = realloc(c->events, (c->n_events + 1) * sizeof(*c->events));
		if (grow)
			c->events = grow;
		if (!copy || !grow) {
			free(copy);
			copy = NULL;
			c->oom = true;
		} else {
			memcpy(copy, ev, len);
			c->events[c->n_events++] = copy;
		}
	}
	if (!copy)
		c->omitted++;
	if (!g) {
		g = calloc(1, sizeof(*g));
		grow = realloc(c->groups, (c->n_groups + 1) * sizeof(*c->groups));
		if (grow)
			c->groups = grow;
		if (!g || !grow || !(g->path = strdup(path))) {
			/* Counted as new so the run still fails. */
			free(g);
			c->oom = true;
			c->n_new++;
			return 0;
		}
		strcpy(g->comm, comm);
		g->op = ev->op;
		g->first = copy;
		g->baselined = ci_baseline_covers(&c->base, g->comm, g->op, g->path);
		g->next = c->buckets[h];
		c->buckets[h] = g;
		c->groups[c->n_groups++] = g;
	}
	if (!g->first)
		g->first = copy;
	g->count++;
	if (ev->action < SW_ACT__COUNT)
		g->actions[ev->action]++;
	if (g->baselined)
		c->n_baselined++;
	else
		c->n_new++;
	return 0;
}

/* The last events of COMMAND are read until this CLOCK_MONOTONIC deadline. */
static bool deadline_done(void *ctx)
{
	return sw_mono_ns() >= *(uint64_t *)ctx;
}

/* --verify: a change of bytes COMMAND's tree held or took, kept for the
 * report. */
static void on_change(void *ctx, const struct sw_change_event *ev, const char *path, bool absolute)
{
	struct ci *c = ctx;
	struct ci_change *ch;

	c->changes_total++;
	if (c->n_changes >= CI_MAX_CHANGES || c->oom)
		return;
	if (!c->changes && !(c->changes = calloc(CI_MAX_CHANGES, sizeof(*c->changes)))) {
		c->oom = true;
		return;
	}
	ch = &c->changes[c->n_changes];
	ch->ev = malloc(sizeof(*ev));
	ch->path = strdup(path);
	if (!ch->ev || !ch->path) {
		free(ch->ev);
		free(ch->path);
		c->oom = true;
		return;
	}
	memcpy(ch->ev, ev, sizeof(*ev));
	ch->absolute = absolute;
	c->n_changes++;
}

static int ci_tick(void *ctx)
{
	sw_verify_tick(((struct ci *)ctx)->verifier);
	return 0;
}

/* The report files: opened once the programs are attached, before COMMAND
 * starts; each written to a temporary file renamed over its path at the end
 * (outfile.h), so that a reader never sees half a report. */
static bool open_outputs(struct sw_outfile *o, const char *const *paths, int n)
{
	for (int i = 0; i < n; i++)
		if (paths[i] && sw_outfile_open(&o[i], paths[i], SW_OUT_REPLACE))
			return false;
	return true;
}

/* ---- the command ---------------------------------------------------------- */

/* The command line. */
struct ci_args {
	struct ci *c;
	struct sw_config cfg;
	const char *report_path;
	const char *junit_path;
	const char *wbase_path;
};

static int ci_option(void *ctx, int opt, const char *arg)
{
	struct ci_args *a = ctx;
	struct ci *c = a->c;
	const char **nb;

	switch (opt) {
	case 'q':
		c->quiet = true;
		return 1;
	case OPT_REPORT:
		a->report_path = arg;
		return 1;
	case OPT_JUNIT:
		a->junit_path = arg;
		return 1;
	case OPT_WRITE_BASELINE:
		a->wbase_path = arg;
		return 1;
	case OPT_BASELINE:
		nb = realloc(c->baselines, (c->n_baselines + 1) * sizeof(*nb));
		if (!nb)
			return -1;
		c->baselines = nb;
		c->baselines[c->n_baselines++] = arg;
		return 1;
	case OPT_ENFORCE:
		c->enforce = true;
		a->cfg.mode = SW_MODE_ENFORCE;
		return 1;
	case OPT_VERIFY:
		c->verify = true;
		return 1;
	case OPT_ALLOW_LOST:
		c->allow_lost = true;
		return 1;
	case OPT_ALLOW_UNTRACKED:
		c->allow_untracked = true;
		return 1;
	case OPT_SCOPE:
		if (strcmp(arg, "cgroup") && strcmp(arg, "pids")) {
			sw_err("--scope: '%s' is not cgroup or pids", arg);
			return -1;
		}
		c->scope_pids = !strcmp(arg, "pids");
		return 1;
	}
	return sw_config_option(&a->cfg, opt, arg);
}

int cmd_ci(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
		{ "enforce", no_argument, NULL, OPT_ENFORCE },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "allow-lost", no_argument, NULL, OPT_ALLOW_LOST },
		{ "allow-untracked", no_argument, NULL, OPT_ALLOW_UNTRACKED },
		{ "scope", required_argument, NULL, OPT_SCOPE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		SW_SESSION_LONGOPTS,
		{ 0 }
	};
	static struct ci c;
	struct ci_args a = { .c = &c };
	struct sw_config *cfg = &a.cfg;
	struct ci_result res = { 0 };
	struct sw_counters cnt;
	struct sw_session *s = NULL;
	struct utsname uts;
	/* --write-baseline, --junit, --report: in the order they are written */
	struct sw_outfile outs[3] = { { 0 } };
	const char *out_paths[3];
	uint64_t t0, deadline;
	int r, rc = SW_EXIT_USAGE;
	bool io_ok = true, watch_ok = true;

	memset(&c, 0, sizeof(c));
	sw_config_defaults(cfg);
	cfg->scope = true;
	r = sw_parse_options("ci", argc, argv, "+qh", longopts, ci_usage, ci_option, &a, true);
	if (r) {
		rc = r > 0 ? 0 : SW_EXIT_USAGE;
		goto out;
	}
	if (optind >= argc) {
		sw_err("ci: no COMMAND given (usage: splicewatch ci [OPTIONS] -- COMMAND [ARGS...])");
		goto out;
	}
	c.argv = argv + optind;
	if (c.verify && c.scope_pids) {
		sw_err("ci: --verify needs --scope cgroup (a change is COMMAND's by the cgroup "
		       "of who spliced or took the bytes)");
		goto out;
	}
	for (int i = 0; i < c.n_baselines; i++)
		if (ci_baseline_load(&c.base, c.baselines[i]))
			goto out;
	/* Capabilities missing, no BTF: say so before making a cgroup. */
	if (sw_check_environment(&(struct sw_caps_req){ .command = "ci",
							.cgroup = !c.scope_pids }))
		goto out;
	/* Before the programs load: they compare with its id. */
	if (!c.scope_pids) {
		if (ci_cgroup_create(&c.cgroup))
			goto out;
		cfg->scope_cgroup_id = c.cgroup.id;
		cfg->scope_cgroup_level = c.cgroup.level;
	}
	s = sw_watch_open(cfg, ci_install_handlers, "ci: ");
	if (!s)
		goto out;
	if (c.verify) {
		c.verifier = sw_verify_start(s, &(struct sw_verify_target){
							.fn = on_change,
							.ctx = &c,
							.scope_cgroup_id = c.cgroup.id,
							.scope_cgroup_level = c.cgroup.level,
							.user_share = cfg->user_share,
							.quiet = c.quiet });
		if (!c.verifier)
			goto out;
		sw_session_set_tick(s, ci_tick, &c);
	}
	out_paths[0] = a.wbase_path;
	out_paths[1] = a.junit_path;
	out_paths[2] = a.report_path;
	if (!open_outputs(outs, out_paths, 3))
		goto out;
	if (sw_stop) {
		sw_err("ci: interrupted by %s before COMMAND started", signal_name(sw_stop_signal));
		rc = 128 + sw_stop_signal;
		goto out;
	}
	if (!c.quiet)
		sw_info("ci: watching COMMAND's process tree (%s%s; backend: %s%s)",
			c.scope_pids ? "by pid" : "cgroup ", c.scope_pids ? "" : c.cgroup.path,
			sw_session_backend(s), c.enforce ? ", enforcing: unsafe writers are killed" : "");

	t0 = sw_mono_ns();
	rc = ci_child_start(&c, s);
	if (rc == SW_EXIT_USAGE)
		goto out;	/* COMMAND never ran */
	while (!c.exited && watch_ok) {
		if (sw_session_run(s, on_event, &c, ci_child_done, &c)) {
			watch_ok = false;
			break;
		}
		if (sw_stop)
			ci_forward_stop(&c);
	}
	if (!watch_ok) {
		sw_err("ci: watching failed; waiting for COMMAND, findings are incomplete");
		while (!c.exited) {
			if (waitpid(c.pid, &c.status, 0) == c.pid || errno == ECHILD)
				c.exited = true;
			else if (sw_stop)
				ci_forward_stop(&c);
		}
	}
	/* COMMAND's events are in the ring buffer before it exits: one short poll
	 * and a drain pick up the last ones. */
	deadline = sw_mono_ns() + 50 * 1000000ULL;
	sw_stop = 0;
	sw_session_run(s, on_event, &c, deadline_done, &deadline);
	sw_session_drain(s);
	/* The last sweep: what COMMAND left held in pipes of others. */
	sw_verify_stop(c.verifier, c.quiet ? NULL : stderr);
	if (c.verifier)
		sw_verify_counts(c.verifier, &res.verify);
	res.leftovers_killed = ci_cgroup_remove(&c.cgroup, c.quiet);
	sw_session_counters(s, &cnt);
	res.events = cnt.events;
	res.lost = cnt.lost;
	res.untracked = cnt.untracked;
	memcpy(res.untracked_by_reason, cnt.untracked_by_reason, sizeof(res.untracked_by_reason));
	res.skipped_runs = cnt.skipped_runs;
	res.backup_checks = cnt.backup_checks;
	res.backup_pipe_syncs = cnt.backup_pipe_syncs;
	res.duration_s = (sw_mono_ns() - t0) / 1e9;

	if (rc) {	/* could not exec */
		res.command_status = rc;
		res.exec_failed = true;
	} else {
		res.command_status = ci_child_status(&c);
		if (WIFSIGNALED(c.status))
			res.command_signal = WTERMSIG(c.status);
	}
	res.lost_fails = (res.lost || res.verify.lost) && !c.allow_lost;
	res.untracked_fails = (res.untracked || res.verify.not_fingerprinted) && !c.allow_untracked;
	res.changes_fails = c.changes_total > 0;
	if (c.n_new || res.changes_fails || res.lost_fails || res.untracked_fails)
		res.exit_status = CI_EXIT_FINDINGS;
	else if (!watch_ok)
		res.exit_status = SW_EXIT_USAGE;
	else
		res.exit_status = res.command_status;
	res.watch_failed = !watch_ok;
	uname(&uts);
	res.kernel = uts.release;
	res.backend = sw_session_backend(s);
	res.scope = c.scope_pids ? "pids" : "cgroup";
	res.backup_hooks = sw_session_backup_hooks(s);
	res.mono_to_real_ns = sw_session_realtime(s, 0);

	if (outs[0].f) {
		ci_baseline_write(outs[0].f, c.groups, c.n_groups);
		io_ok &= !sw_outfile_commit(&outs[0], "the baseline");
	}
	if (outs[1].f) {
		ci_report_junit(outs[1].f, &c, &res);
		io_ok &= !sw_outfile_commit(&outs[1], "the JUnit report");
	}
	if (outs[2].f) {
		if (!io_ok && res.exit_status != CI_EXIT_FINDINGS)
			res.exit_status = SW_EXIT_USAGE;
		ci_report_json(outs[2].f, &c, &res);
		io_ok &= !sw_outfile_commit(&outs[2], "the JSON report");
	}
	if (!io_ok && res.exit_status != CI_EXIT_FINDINGS)
		res.exit_status = SW_EXIT_USAGE;
	if (!c.quiet || res.exit_status == CI_EXIT_FINDINGS)
		ci_report_summary(stderr, &c, &res);
	rc = res.exit_status;
out:
	for (int i = 0; i < 3; i++)
		sw_outfile_abort(&outs[i]);	/* not committed: no report */
	sw_verify_close(c.verifier);
	sw_session_close(s);
	ci_cgroup_remove(&c.cgroup, c.quiet);
	for (size_t i = 0; i < c.n_changes; i++) {
		free(c.changes[i].ev);
		free(c.changes[i].path);
	}
	free(c.changes);
	for (size_t i = 0; i < c.n_groups; i++) {
		free(c.groups[i]->path);
		free(c.groups[i]);
	}
	for (size_t i = 0; i < c.n_events; i++)
		free(c.events[i]);
	ci_baseline_free(&c.base);
	free(c.groups);
	free(c.events);
	free(c.baselines);
	return rc;
}
