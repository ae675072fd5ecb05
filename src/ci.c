// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * splicewatch ci: run a command under watch and fail it on unsafe writes.
 *
 * The programs are loaded with the process-tree scope enabled before COMMAND
 * starts; the forked child waits on a pipe until its tgid is in the scope set,
 * then execs. From then on the BPF fork hook adds every descendant, so only
 * writes by COMMAND's tree are reported. When COMMAND exits the ring buffer is
 * drained, findings are matched against the baseline and reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "sw.h"
#include "watch.h"

#define CI_EXIT_FINDINGS	3
#define CI_MAX_STORED		100000	/* events kept for the JSON report */
#define CI_HASH_BUCKETS		1024

enum {
	OPT_REPORT = OPT_FIRST_LOCAL,
	OPT_JUNIT,
	OPT_BASELINE,
	OPT_WRITE_BASELINE,
	OPT_ENFORCE,
	OPT_ALLOW_LOST,
};

/* One accepted finding from a baseline file. */
struct ci_rule {
	char *comm;		/* fnmatch pattern */
	int op;			/* enum sw_op, -1: any */
	char *path;		/* fnmatch pattern */
};

/* Findings with the same writer comm, op and path. */
struct ci_group {
	char comm[SW_TASK_COMM_LEN + 1];
	uint32_t op;
	char *path;
	uint64_t count;
	uint64_t actions[SW_ACT__COUNT];
	bool baselined;
	struct sw_event *first;	/* kept for the JUnit failure text */
	struct ci_group *next;	/* hash chain */
};

struct ci {
	bool quiet;
	bool allow_lost;
	bool enforce;
	char **argv;		/* COMMAND and its arguments */
	const char **baselines;
	int n_baselines;
	struct ci_rule *rules;
	int n_rules;

	pid_t pid;
	int status;
	bool exited;

	struct ci_group *buckets[CI_HASH_BUCKETS];
	struct ci_group **groups;	/* first-seen order */
	size_t n_groups;
	struct sw_event **events;	/* every finding, for the report */
	size_t n_events;
	uint64_t received;
	uint64_t n_new;
	uint64_t n_baselined;
	uint64_t omitted;
	bool oom;
};

static volatile sig_atomic_t stop_from_tty;

static void ci_usage(FILE *f)
{
	fprintf(f,
		"Usage: splicewatch ci [OPTIONS] [--] COMMAND [ARGS...]\n"
		"\n"
		"Load the watch programs, then run COMMAND and watch only its process tree:\n"
		"COMMAND, its threads and every descendant (also those that daemonise or are\n"
		"re-parented). A finding is a write by one of them into page-cache bytes that\n"
		"a pipe still holds (spliced, sent with sendfile, tee'd or vmspliced and not\n"
		"yet read); the pipe may belong to any process. When COMMAND exits, the\n"
		"remaining events are drained and findings are reported, grouped by writer\n"
		"comm, file path and write op. Descendants still running then are no longer\n"
		"watched.\n"
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
		"  --allow-lost           records dropped by a full ring buffer do not fail\n"
		"                         the run (they are still reported)\n"
		"  -q, --quiet            no progress messages and no summary unless the run\n"
		"                         fails on findings or lost records\n"
		"  --backend NAME         auto (default: fentry, else kprobe, else tracepoint),\n"
		"                         fentry, kprobe or tracepoint (a forced backend that\n"
		"                         cannot load fails with 2)\n"
		"  --max-holds N          size of the hold index: about N held pages in runs\n"
		"                         (N/4 entries of 64 file pages; default 262144)\n"
		"  --ringbuf-kib N        event ring buffer size in KiB (default 4096)\n"
		"  -h, --help             this help\n"
		"\n"
		"FILE may be - for standard output (--report, --junit, --write-baseline).\n"
		"\n"
		"Baseline format: one finding per line, three fields separated by one TAB:\n"
		"  COMM<TAB>OP<TAB>PATH\n"
		"COMM and PATH are fnmatch(3) patterns (no flags: * also matches /; a\n"
		"backslash quotes the next character), OP is a write op name (write,\n"
		"pwrite64, writev, pwritev, pwritev2, copy_file_range, splice, sendfile,\n"
		"fallocate, truncate, ftruncate, mmap) or *. Pids and times are not matched.\n"
		"Lines starting with # and blank lines are ignored. A malformed file is\n"
		"reported as FILE:LINE: reason, before COMMAND starts.\n"
		"\n"
		"Exit status:\n"
		"  3        unsafe writes not covered by the baseline (whatever COMMAND\n"
		"           returned), or records were lost and --allow-lost was not given\n"
		"  2        usage or setup error (bad option or baseline, cannot load the BPF\n"
		"           programs, cannot open an output file): COMMAND was not started;\n"
		"           also when watching or writing a report failed after it ran\n"
		"  126/127  COMMAND could not be executed / was not found\n"
		"  else     COMMAND's exit status, or 128+N if it was killed by signal N\n"
		"\n"
		"SIGINT and SIGTERM are forwarded to COMMAND (not when the terminal already\n"
		"sent them to its process group); splicewatch keeps watching until COMMAND\n"
		"exits.\n");
}

/* ---- small helpers -------------------------------------------------------- */

/* ---- baseline ------------------------------------------------------------- */

static bool pattern_ok(const char *p)
{
	size_t n = 0;

	/* fnmatch never matches a pattern ending in an unquoted backslash. */
	for (size_t i = strlen(p); i > 0 && p[i - 1] == '\\'; i--)
		n++;
	return n % 2 == 0;
}

static int load_baseline(struct ci *c, const char *file)
{
	FILE *f = fopen(file, "re");
	char *line = NULL, *fields[3];
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int rc = -1;

	if (!f) {
		sw_err("%s: cannot open the baseline: %s", file, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct ci_rule *r;
		char *p, *tab;
		int n = 0;

		lineno++;
		if ((size_t)len != strlen(line)) {
			sw_err("%s:%u: NUL byte in line", file, lineno);
			goto out;
		}
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (len && line[len - 1] == '\r')
			line[--len] = 0;
		if (line[0] == '#' || !line[strspn(line, " \t")])
			continue;
		for (p = line; n < 3; p = tab + 1) {
			fields[n++] = p;
			tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = 0;
		}
		if (n != 3 || tab) {
			sw_err("%s:%u: expected 3 fields separated by TABs (COMM, OP, PATH), found %s",
			       file, lineno, tab ? "more" : n == 1 ? "1" : "2");
			goto out;
		}
		if (!fields[0][0] || !fields[1][0] || !fields[2][0]) {
			sw_err("%s:%u: empty %s field", file, lineno,
			       !fields[0][0] ? "COMM" : !fields[1][0] ? "OP" : "PATH");
			goto out;
		}
		if (strcmp(fields[1], "*") && sw_op_from_name(fields[1]) < 0) {
			sw_err("%s:%u: unknown op '%s' (write, pwrite64, writev, pwritev, pwritev2, "
			       "copy_file_range, splice, sendfile, fallocate, truncate, ftruncate, "
			       "mmap or *)", file, lineno, fields[1]);
			goto out;
		}
		if (!pattern_ok(fields[0]) || !pattern_ok(fields[2])) {
			sw_err("%s:%u: %s pattern ends with a lone backslash", file, lineno,
			       pattern_ok(fields[0]) ? "PATH" : "COMM");
			goto out;
		}
		r = realloc(c->rules, (c->n_rules + 1) * sizeof(*r));
		if (!r)
			goto oom;
		c->rules = r;
		r += c->n_rules;
		r->comm = strdup(fields[0]);
		r->path = strdup(fields[2]);
		r->op = strcmp(fields[1], "*") ? sw_op_from_name(fields[1]) : -1;
		if (!r->comm || !r->path) {
			free(r->comm);
			free(r->path);
			goto oom;
		}
		c->n_rules++;
	}
	if (ferror(f)) {
		sw_err("%s: cannot read the baseline: %s", file, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
oom:
	sw_err("%s: out of memory", file);
out:
	free(line);
	fclose(f);
	return rc;
}

static bool baselined(const struct ci *c, const struct ci_group *g)
{
	for (int i = 0; i < c->n_rules; i++) {
		const struct ci_rule *r = &c->rules[i];

		if ((r->op < 0 || (uint32_t)r->op == g->op) &&
		    !fnmatch(r->comm, g->comm, 0) && !fnmatch(r->path, g->path, 0))
			return true;
	}
	return false;
}

/* A pattern that matches exactly s: glob characters quoted; control characters
 * (which the line format cannot hold) matched by '?'. */
static void put_glob(FILE *f, const char *s, bool first_field)
{
	if (!*s) {
		fputc('*', f);	/* an empty field cannot be written */
		return;
	}
	if (first_field && *s == '#')
		fputc('\\', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch < 0x20 || ch == 0x7f)
			fputc('?', f);
		else if (ch == '*' || ch == '?' || ch == '[' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else
			fputc(ch, f);
	}
}

static void write_baseline(FILE *f, const struct ci *c)
{
	fputs("# splicewatch ci baseline: known unsafe writes, one per line.\n"
	      "# COMM<TAB>OP<TAB>PATH; COMM and PATH are fnmatch(3) patterns, OP an op name or *.\n",
	      f);
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct ci_group *g = c->groups[i];

		put_glob(f, g->comm, true);
		fprintf(f, "\t%s\t", sw_op_name(g->op));
		put_glob(f, g->path, false);
		fputc('\n', f);
	}
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

	if (ev->type != SW_EV_UNSAFE_WRITE || sizeof(*ev) + ev->path_len > len)
		return 0;
	c->received++;
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
		g->baselined = baselined(c, g);
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

/* ---- the child ------------------------------------------------------------ */

static bool child_done(void *ctx)
{
	struct ci *c = ctx;
	pid_t r;

	if (c->exited)
		return true;
	r = waitpid(c->pid, &c->status, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD)) {
		c->exited = true;
		return true;
	}
	return false;
}

static bool deadline_done(void *ctx)
{
	return sw_mono_ns() >= *(uint64_t *)ctx;
}

static void on_stop_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	sw_stop = 1;
	sw_stop_signal = sig;
	/* Generated by the terminal: COMMAND, in our process group, got it too. */
	stop_from_tty = si && si->si_code == SI_KERNEL;
}

static int install_handlers(void)
{
	struct sigaction sa = { .sa_sigaction = on_stop_signal, .sa_flags = SA_SIGINFO };

	if (sw_install_stop_handlers())	/* also ignores SIGPIPE */
		return -1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -1;
	return 0;
}

static void forward_stop(struct ci *c)
{
	int sig;
	bool tty;

	sw_stop = 0;
	sig = sw_stop_signal;
	tty = stop_from_tty;
	if (c->exited || !sig)
		return;
	if (tty && getpgid(c->pid) == getpgrp())
		return;
	if (!c->quiet)
		sw_info("ci: forwarding %s to COMMAND (pid %d)", signal_name(sig), (int)c->pid);
	kill(c->pid, sig);
}

/* Forks COMMAND stopped before exec, puts it in scope, lets it exec.
 * Returns 0, or the exit status to use when COMMAND could not start. */
static int start_child(struct ci *c, struct sw_session *s)
{
	int sync[2], errp[2], err = 0;
	ssize_t n;

	if (pipe2(sync, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		sw_err("ci: pipe: %s", strerror(errno));
		return SW_EXIT_USAGE;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		sw_err("ci: fork: %s", strerror(errno));
		return SW_EXIT_USAGE;
	}
	if (c->pid == 0) {
		char b;

		/* A signal forwarded before exec acts as it would on COMMAND by default. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		close(sync[1]);
		close(errp[0]);
		do
			n = read(sync[0], &b, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(127);	/* the parent could not scope us: never run */
		execvp(c->argv[0], c->argv);
		err = errno;
		if (write(errp[1], &err, sizeof(err)) < 0)
			err = errno;
		_exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
	}
	close(sync[0]);
	close(errp[1]);
	if (sw_session_scope_add(s, c->pid)) {
		sw_err("ci: cannot add pid %d to the scope: %s", (int)c->pid, strerror(errno));
		close(sync[1]);
		close(errp[0]);
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->exited = true;
		return SW_EXIT_USAGE;
	}
	if (write(sync[1], "x", 1) != 1) {
		sw_err("ci: cannot start COMMAND: %s", strerror(errno));
		close(sync[1]);
		close(errp[0]);
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->exited = true;
		return SW_EXIT_USAGE;
	}
	close(sync[1]);
	do
		n = read(errp[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == sizeof(err)) {
		sw_err("ci: cannot run '%s': %s", c->argv[0], strerror(err));
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->exited = true;
		return err == ENOENT || err == ENOTDIR ? 127 : 126;
	}
	return 0;
}

static int child_status(const struct ci *c)
{
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status);
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return 1;
}

/* ---- reports -------------------------------------------------------------- */

struct ci_result {
	struct sw_counters cnt;
	int command_status;	/* 128+N when killed by signal N */
	int command_signal;	/* 0: exited */
	int exit_status;	/* ours */
	bool lost_fails;
	bool watch_failed;
	bool exec_failed;
	double duration_s;
	const char *kernel;
	const char *backend;
	bool redundant;		/* second sources or twins covered skipped runs */
};

static void report_json(FILE *f, const struct ci *c, const struct ci_result *r,
			const struct sw_session *s)
{
	struct json j;
	size_t n_new_groups = 0;

	for (size_t i = 0; i < c->n_groups; i++)
		n_new_groups += !c->groups[i]->baselined;
	json_init(&j, f, true);
	json_obj_begin(&j, NULL);
	json_str(&j, "splicewatch_version", SW_VERSION);
	json_arr_begin(&j, "command");
	for (char **a = c->argv; *a; a++)
		json_str(&j, NULL, *a);
	json_arr_end(&j);
	json_i64(&j, "command_exit_status", r->command_status);
	if (r->command_signal)
		json_str(&j, "command_signal", signal_name(r->command_signal));
	else
		json_null(&j, "command_signal");
	json_i64(&j, "exit_status", r->exit_status);
	json_str(&j, "result", r->exit_status == CI_EXIT_FINDINGS ? "fail" :
			       r->watch_failed ? "error" : "pass");
	json_str(&j, "kernel_release", r->kernel);
	json_str(&j, "backend", r->backend);
	json_str(&j, "mode", c->enforce ? "enforce" : "trace");
	json_arr_begin(&j, "baselines");
	for (int i = 0; i < c->n_baselines; i++)
		json_str(&j, NULL, c->baselines[i]);
	json_arr_end(&j);
	json_double(&j, "duration_s", r->duration_s);
	json_obj_begin(&j, "totals");
	json_u64(&j, "unsafe_writes", c->received);
	json_u64(&j, "new", c->n_new);
	json_u64(&j, "baselined", c->n_baselined);
	json_u64(&j, "distinct", c->n_groups);
	json_u64(&j, "distinct_new", n_new_groups);
	json_u64(&j, "distinct_baselined", c->n_groups - n_new_groups);
	json_u64(&j, "detected_in_kernel", r->cnt.events);
	json_obj_end(&j);
	json_u64(&j, "lost_records", r->cnt.lost);
	json_bool(&j, "allow_lost", c->allow_lost);
	json_bool(&j, "lost_records_fail", r->lost_fails);
	json_u64(&j, "untracked_holds", r->cnt.untracked);
	json_u64(&j, "skipped_program_runs", r->cnt.skipped_runs);
	json_u64(&j, "backup_write_checks", r->cnt.backup_checks);
	json_arr_begin(&j, "groups");
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct ci_group *g = c->groups[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "comm", g->comm);
		json_str(&j, "op", sw_op_name(g->op));
		json_str(&j, "path", g->path);
		json_u64(&j, "count", g->count);
		json_bool(&j, "baselined", g->baselined);
		json_obj_begin(&j, "actions");
		for (int a = 0; a < SW_ACT__COUNT; a++)
			if (g->actions[a])
				json_u64(&j, sw_action_name(a), g->actions[a]);
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "findings");
	for (size_t i = 0; i < c->n_events; i++)
		sw_event_json(&j, c->events[i], s);
	json_arr_end(&j);
	json_u64(&j, "findings_omitted", c->omitted);
	json_obj_end(&j);
}

/* Length of the UTF-8 sequence at s that is a valid XML 1.0 character, 0 if none. */
static size_t xml_utf8(const unsigned char *s, size_t len)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff || cp > 0x10ffff)
		return 0;
	return n;
}

/* XML character data or attribute value: markup characters as entities, control
 * characters XML cannot hold as \xNN, invalid UTF-8 as U+FFFD. */
static void xml_put(FILE *f, const char *str, bool attr)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), i = 0, n;

	while (i < len) {
		unsigned char ch = s[i];

		switch (ch) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\'': fputs("&apos;", f); i++; continue;
		case '\t': fputs(attr ? "&#9;" : "\t", f); i++; continue;
		case '\n': fputs(attr ? "&#10;" : "\n", f); i++; continue;
		case '\r': fputs("&#13;", f); i++; continue;
		}
		if (ch < 0x20 || ch == 0x7f) {
			fprintf(f, "\\x%02x", ch);
			i++;
			continue;
		}
		n = xml_utf8(s + i, len - i);
		if (!n) {
			fputs("\xef\xbf\xbd", f);
			i++;
			continue;
		}
		fwrite(s + i, 1, n, f);
		i += n;
	}
}

static void xml_attr(FILE *f, const char *name, const char *val)
{
	fprintf(f, " %s=\"", name);
	xml_put(f, val, true);
	fputc('"', f);
}

static void xml_property(FILE *f, const char *name, const char *val)
{
	fputs("    <property", f);
	xml_attr(f, "name", name);
	xml_attr(f, "value", val);
	fputs("/>\n", f);
}

static char *group_message(const struct ci_group *g)
{
	char *msg = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&msg, &cap);

	if (!m)
		return NULL;
	fprintf(m, "%llu unsafe write%s: %s wrote with %s into bytes of %s that a pipe still held",
		(unsigned long long)g->count, g->count == 1 ? "" : "s", g->comm,
		sw_op_name(g->op), g->path[0] ? g->path : "(unknown file)");
	if (g->actions[SW_ACT_KILLED] || g->actions[SW_ACT_KILLED_LATE])
		fprintf(m, " (writer killed)");
	fclose(m);
	return msg;
}

static void group_details(FILE *f, const struct ci_group *g)
{
	const struct sw_event *ev = g->first;
	char buf[1024], wlen[32];

	if (!ev)
		return;
	if (ev->write_len)
		snprintf(wlen, sizeof(wlen), "%llu", (unsigned long long)ev->write_len);
	else
		snprintf(wlen, sizeof(wlen), "EOF");
	snprintf(buf, sizeof(buf),
		 "first: pid %u tid %u comm %s op %s wrote %lld+%s, held %lld+%llu "
		 "in pipe:[%llu] filled by pid %u (%.*s) %.3f ms earlier; action %s\n",
		 ev->pid, ev->tid, g->comm, sw_op_name(ev->op), (long long)ev->write_offset,
		 wlen,
		 (long long)ev->held_offset, (unsigned long long)ev->held_len,
		 (unsigned long long)ev->pipe_ino, ev->splicer_pid,
		 (int)sw_comm_len(ev->splicer_comm), ev->splicer_comm, ev->held_ns / 1e6,
		 sw_action_name(ev->action));
	xml_put(f, buf, false);
	fputs("path: ", f);
	xml_put(f, g->path, false);
	fputc('\n', f);
}

static void report_junit(FILE *f, const struct ci *c, const struct ci_result *r)
{
	size_t tests = 0, failures = 0, skipped = 0;
	bool clean = !c->n_new && !r->lost_fails;
	char num[32], *cmd = NULL;
	size_t cap = 0;
	FILE *m;

	for (size_t i = 0; i < c->n_groups; i++) {
		tests++;
		if (c->groups[i]->baselined)
			skipped++;
		else
			failures++;
	}
	if (r->lost_fails)
		tests++, failures++;
	if (clean)
		tests++;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"splicewatch\"", f);
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
		tests, failures, skipped, r->duration_s);
	fputs("  <properties>\n", f);
	m = open_memstream(&cmd, &cap);
	if (m) {
		for (char **a = c->argv; *a; a++)
			fprintf(m, "%s%s", a == c->argv ? "" : " ", *a);
		fclose(m);
		xml_property(f, "command", cmd);
		free(cmd);
	}
	snprintf(num, sizeof(num), "%d", r->command_status);
	xml_property(f, "command_exit_status", num);
	xml_property(f, "kernel_release", r->kernel);
	xml_property(f, "backend", r->backend);
	xml_property(f, "mode", c->enforce ? "enforce" : "trace");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->cnt.lost);
	xml_property(f, "lost_records", num);
	fputs("  </properties>\n", f);
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct ci_group *g = c->groups[i];
		char name[2 * SW_PATH_MAX + 64], *msg = group_message(g);

		snprintf(name, sizeof(name), "%s %s %s", g->comm, sw_op_name(g->op), g->path);
		fputs("  <testcase classname=\"splicewatch.unsafe_write\"", f);
		xml_attr(f, "name", name);
		fputs(">\n", f);
		if (g->baselined) {
			fputs("    <skipped message=\"known unsafe write, covered by the baseline\"/>\n", f);
		} else {
			fputs("    <failure type=\"unsafe_write\"", f);
			xml_attr(f, "message", msg ? msg : "unsafe write");
			fputs(">", f);
			group_details(f, g);
			fputs("</failure>\n", f);
		}
		fputs("  </testcase>\n", f);
		free(msg);
	}
	if (r->lost_fails) {
		fprintf(f, "  <testcase classname=\"splicewatch\" name=\"no lost records\">\n"
			"    <failure type=\"lost_records\" message=\"%llu records lost: the ring "
			"buffer was full, unsafe writes may be missing\"/>\n  </testcase>\n",
			(unsigned long long)r->cnt.lost);
	}
	if (clean)
		fputs("  <testcase classname=\"splicewatch\" name=\"no unsafe writes\"/>\n", f);
	fputs("</testsuite>\n", f);
}

static void summary(const struct ci *c, const struct ci_result *r)
{
	FILE *f = stderr;

	if (r->exec_failed)
		fprintf(f, "splicewatch: ci: COMMAND could not be run (status %d)\n",
			r->command_status);
	else if (r->command_signal)
		fprintf(f, "splicewatch: ci: COMMAND was killed by %s (status %d)\n",
			signal_name(r->command_signal), r->command_status);
	else
		fprintf(f, "splicewatch: ci: COMMAND exited with status %d\n", r->command_status);
	fprintf(f, "splicewatch: ci: %llu unsafe write%s by COMMAND's process tree: %llu new, "
		"%llu covered by the baseline\n", (unsigned long long)c->received,
		c->received == 1 ? "" : "s", (unsigned long long)c->n_new,
		(unsigned long long)c->n_baselined);
	if (c->n_groups)
		fprintf(f, "  %8s  %-8s  %-15s  %-16s  %s\n", "COUNT", "STATUS", "OP", "COMM", "PATH");
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct ci_group *g = c->groups[i];
		uint64_t killed = g->actions[SW_ACT_KILLED] + g->actions[SW_ACT_KILLED_LATE];

		fprintf(f, "  %8llu  %-8s  %-15s  ", (unsigned long long)g->count,
			g->baselined ? "baseline" : "NEW", sw_op_name(g->op));
		sw_put_printable(f, g->comm, SIZE_MAX);
		fprintf(f, "%*s  ", (int)(16 - strlen(g->comm)), "");
		sw_put_printable(f, g->path[0] ? g->path : "(unknown file)", SIZE_MAX);
		if (killed)
			fprintf(f, "  [%llu killed]", (unsigned long long)killed);
		fputc('\n', f);
	}
	if (c->omitted)
		fprintf(f, "splicewatch: ci: %llu findings not kept for the report (memory)\n",
			(unsigned long long)c->omitted);
	if (r->cnt.lost)
		fprintf(f, "splicewatch: ci: %llu records LOST: the ring buffer was full and "
			"unsafe writes may be missing%s\n", (unsigned long long)r->cnt.lost,
			c->allow_lost ? " (--allow-lost: not a failure)"
				      : "; this fails the run (--allow-lost to accept it)");
	if (r->cnt.untracked)
		fprintf(f, "splicewatch: ci: warning: %llu pipe holds were not tracked (index "
			"full; see --max-holds): unsafe writes to them would be missed\n",
			(unsigned long long)r->cnt.untracked);
	if (r->cnt.skipped_runs && r->redundant)
		fprintf(f, "splicewatch: ci: note: the kernel skipped %llu runs of the programs "
			"(preempted programs block themselves per CPU on 6.14+); %s checked %llu "
			"writes in their stead\n", (unsigned long long)r->cnt.skipped_runs,
			strcmp(r->backend, "tracepoint") ? "second hooks" : "twin syscall hooks",
			(unsigned long long)r->cnt.backup_checks);
	else if (r->cnt.skipped_runs)
		fprintf(f, "splicewatch: ci: warning: the kernel skipped %llu runs of the programs "
			"(preempted programs block themselves per CPU on 6.14+): unsafe writes in "
			"those syscalls would be missed\n", (unsigned long long)r->cnt.skipped_runs);
	if (r->exit_status == CI_EXIT_FINDINGS)
		fprintf(f, "splicewatch: ci: FAIL (exit 3): %s\n",
			c->n_new ? "new unsafe writes" : "records lost");
	else
		fprintf(f, "splicewatch: ci: pass: no new unsafe writes (exit %d, COMMAND's status)\n",
			r->exit_status);
}

static bool close_output(FILE *f, const char *what, const char *path)
{
	bool ok = !ferror(f) && !fflush(f);

	if (f != stdout)
		ok = !fclose(f) && ok;
	if (!ok)
		sw_err("ci: writing the %s to '%s' failed: %s", what, path, strerror(errno));
	return ok;
}

/* ---- the command ---------------------------------------------------------- */

int cmd_ci(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
		{ "enforce", no_argument, NULL, OPT_ENFORCE },
		{ "allow-lost", no_argument, NULL, OPT_ALLOW_LOST },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		SW_SESSION_LONGOPTS,
		{ 0 }
	};
	static struct ci c;
	struct ci_result res = { 0 };
	struct sw_config cfg;
	struct sw_session *s = NULL;
	struct utsname uts;
	const char *report_path = NULL, *junit_path = NULL, *wbase_path = NULL, **nb;
	FILE *report_f = NULL, *junit_f = NULL, *wbase_f = NULL;
	uint64_t t0, deadline;
	int opt, r, rc = SW_EXIT_USAGE;
	bool io_ok = true, watch_ok = true;

	memset(&c, 0, sizeof(c));
	sw_config_defaults(&cfg);
	cfg.scope = true;
	while ((opt = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			c.quiet = true;
			continue;
		case 'h':
			ci_usage(stdout);
			rc = 0;
			goto out;
		case OPT_REPORT:
			report_path = optarg;
			continue;
		case OPT_JUNIT:
			junit_path = optarg;
			continue;
		case OPT_WRITE_BASELINE:
			wbase_path = optarg;
			continue;
		case OPT_BASELINE:
			nb = realloc(c.baselines, (c.n_baselines + 1) * sizeof(*nb));
			if (!nb)
				goto out;
			c.baselines = nb;
			c.baselines[c.n_baselines++] = optarg;
			continue;
		case OPT_ENFORCE:
			c.enforce = true;
			cfg.mode = SW_MODE_ENFORCE;
			continue;
		case OPT_ALLOW_LOST:
			c.allow_lost = true;
			continue;
		}
		r = sw_config_option(&cfg, opt, optarg);
		if (r < 0 || (!r && sw_unknown_option("ci")))
			goto out;
	}
	if (optind >= argc) {
		sw_err("ci: no COMMAND given (usage: splicewatch ci [OPTIONS] -- COMMAND [ARGS...])");
		goto out;
	}
	c.argv = argv + optind;
	for (int i = 0; i < c.n_baselines; i++)
		if (load_baseline(&c, c.baselines[i]))
			goto out;
	if (report_path && !(report_f = sw_open_output(report_path)))
		goto out;
	if (junit_path && !(junit_f = sw_open_output(junit_path)))
		goto out;
	if (wbase_path && !(wbase_f = sw_open_output(wbase_path)))
		goto out;
	if (install_handlers()) {
		sw_err("ci: cannot install signal handlers: %s", strerror(errno));
		goto out;
	}
	s = sw_session_open(&cfg);
	if (!s)
		goto out;
	if (sw_stop) {
		sw_err("ci: interrupted by %s before COMMAND started", signal_name(sw_stop_signal));
		rc = 128 + sw_stop_signal;
		goto out;
	}
	if (!c.quiet)
		sw_info("ci: watching COMMAND's process tree (backend: %s%s)",
			sw_session_backend(s), c.enforce ? ", enforcing: unsafe writers are killed" : "");

	t0 = sw_mono_ns();
	rc = start_child(&c, s);
	if (rc == SW_EXIT_USAGE)
		goto out;	/* COMMAND never ran */
	while (!c.exited && watch_ok) {
		if (sw_session_run(s, on_event, &c, child_done, &c)) {
			watch_ok = false;
			break;
		}
		if (sw_stop)
			forward_stop(&c);
	}
	if (!watch_ok) {
		sw_err("ci: watching failed; waiting for COMMAND, findings are incomplete");
		while (!c.exited) {
			if (waitpid(c.pid, &c.status, 0) == c.pid || errno == ECHILD)
				c.exited = true;
			else if (sw_stop)
				forward_stop(&c);
		}
	}
	/* COMMAND's events are in the ring buffer before it exits: one short poll
	 * and a drain pick up the last ones. */
	deadline = sw_mono_ns() + 50 * 1000000ULL;
	sw_stop = 0;
	sw_session_run(s, on_event, &c, deadline_done, &deadline);
	sw_session_drain(s);
	sw_session_counters(s, &res.cnt);
	res.duration_s = (sw_mono_ns() - t0) / 1e9;

	if (rc) {	/* could not exec */
		res.command_status = rc;
		res.exec_failed = true;
	} else {
		res.command_status = child_status(&c);
		if (WIFSIGNALED(c.status))
			res.command_signal = WTERMSIG(c.status);
	}
	res.lost_fails = res.cnt.lost && !c.allow_lost;
	if (c.n_new || res.lost_fails)
		res.exit_status = CI_EXIT_FINDINGS;
	else if (!watch_ok)
		res.exit_status = SW_EXIT_USAGE;
	else
		res.exit_status = res.command_status;
	res.watch_failed = !watch_ok;
	uname(&uts);
	res.kernel = uts.release;
	res.backend = sw_session_backend(s);
	res.redundant = sw_session_redundant(s);

	if (wbase_f) {
		write_baseline(wbase_f, &c);
		io_ok &= close_output(wbase_f, "baseline", wbase_path);
		wbase_f = NULL;
	}
	if (junit_f) {
		report_junit(junit_f, &c, &res);
		io_ok &= close_output(junit_f, "JUnit report", junit_path);
		junit_f = NULL;
	}
	if (report_f) {
		if (!io_ok && res.exit_status != CI_EXIT_FINDINGS)
			res.exit_status = SW_EXIT_USAGE;
		report_json(report_f, &c, &res, s);
		io_ok &= close_output(report_f, "JSON report", report_path);
		report_f = NULL;
	}
	if (!io_ok && res.exit_status != CI_EXIT_FINDINGS)
		res.exit_status = SW_EXIT_USAGE;
	if (!c.quiet || res.exit_status == CI_EXIT_FINDINGS)
		summary(&c, &res);
	rc = res.exit_status;
out:
	if (report_f && report_f != stdout)
		fclose(report_f);
	if (junit_f && junit_f != stdout)
		fclose(junit_f);
	if (wbase_f && wbase_f != stdout)
		fclose(wbase_f);
	sw_session_close(s);
	for (size_t i = 0; i < c.n_groups; i++) {
		free(c.groups[i]->path);
		free(c.groups[i]);
	}
	for (size_t i = 0; i < c.n_events; i++)
		free(c.events[i]);
	for (int i = 0; i < c.n_rules; i++) {
		free(c.rules[i].comm);
		free(c.rules[i].path);
	}
	free(c.groups);
	free(c.events);
	free(c.rules);
	free(c.baselines);
	return rc;
}
