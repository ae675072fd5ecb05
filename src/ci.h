/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the parts of `splicewatch ci` share: the baseline format
 * (ci_baseline.c), the report writers (ci_report.c), COMMAND's lifecycle
 * (ci_child.c) and the command that collects the findings (ci.c). The
 * baseline and the report writers need no BPF: the fuzz targets link them
 * as they are.
 */
#ifndef SW_CI_H
#define SW_CI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "splicewatch.h"
#include "verify.h"

#define CI_EXIT_FINDINGS	3
#define CI_HASH_BUCKETS		1024
#define CI_MAX_UNTRACKED	100	/* untracked hold events kept for the report */
#define CI_MAX_CHANGES		1000	/* unexplained changes kept for the report */

/* ---- the baseline format: COMM<TAB>OP<TAB>PATH, fnmatch(3) patterns ---- */

/* One accepted finding from a baseline file. */
struct ci_rule {
	char *comm;		/* fnmatch pattern */
	int op;			/* enum sw_op, -1: any */
	char *path;		/* fnmatch pattern */
};

struct ci_baseline {
	struct ci_rule *rules;
	int n_rules;
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

/* Appends the rules of file; 0, or -1 after saying "FILE:LINE: reason". */
int ci_baseline_load(struct ci_baseline *b, const char *file);
bool ci_baseline_covers(const struct ci_baseline *b, const char *comm, uint32_t op,
			const char *path);
/* Writes groups in the baseline format: read back, it covers each of them. */
void ci_baseline_write(FILE *f, struct ci_group *const *groups, size_t n);
void ci_baseline_free(struct ci_baseline *b);

/* ---- COMMAND's cgroup (ci --scope cgroup) ---- */

struct ci_cgroup {
	char path[4096];	/* "": none */
	uint64_t id;		/* its inode: the id the BPF programs compare */
	uint32_t level;		/* its depth in the cgroup v2 hierarchy */
};

/* Creates a child of the cgroup v2 root; 0, or -1 after saying why. */
int ci_cgroup_create(struct ci_cgroup *cg);
/* Moves process pid into it; 0, or -1 (errno). */
int ci_cgroup_enter(const struct ci_cgroup *cg, pid_t pid);
/* SIGKILLs what is left in it (said unless quiet) and removes it: the number
 * of processes killed. Nothing when it was not created. */
int ci_cgroup_remove(struct ci_cgroup *cg, bool quiet);

/* ---- one run ---- */

/* An unexplained change of bytes COMMAND's tree held or took (--verify). */
struct ci_change {
	struct sw_change_event *ev;
	char *path;
	bool absolute;
};

struct ci {
	bool quiet;
	bool allow_lost;
	bool allow_untracked;
	bool enforce;
	bool scope_pids;	/* --scope pids: follow pids, not a cgroup */
	struct ci_cgroup cgroup;
	char **argv;		/* COMMAND and its arguments */
	const char **baselines;
	int n_baselines;
	struct ci_baseline base;

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
	struct sw_event untracked[CI_MAX_UNTRACKED];	/* the first untracked holds */
	size_t n_untracked;

	bool verify;			/* --verify: content checks */
	struct sw_verify *verifier;
	struct ci_change *changes;	/* the first CI_MAX_CHANGES */
	size_t n_changes;
	uint64_t changes_total;
};

/* How the run ended, for the report writers. */
struct ci_result {
	uint64_t events;	/* unsafe writes the programs detected */
	uint64_t lost;		/* records lost to a full ring buffer */
	uint64_t untracked;
	uint64_t untracked_by_reason[SW_UNTR__COUNT];	/* enum sw_untracked_reason */
	uint64_t skipped_runs;
	uint64_t backup_checks;
	uint64_t backup_pipe_syncs;
	int command_status;	/* 128+N when killed by signal N */
	int command_signal;	/* 0: exited */
	int exit_status;	/* ours */
	bool lost_fails;
	bool untracked_fails;
	bool watch_failed;
	bool exec_failed;
	double duration_s;
	const char *kernel;
	const char *backend;
	const char *scope;		/* "cgroup" or "pids" */
	unsigned leftovers_killed;	/* processes left in COMMAND's cgroup */
	bool backup_hooks;		/* backup hooks were loaded to cover skipped runs */
	int64_t mono_to_real_ns;	/* for the findings' wall-clock time */
	struct sw_verify_counts verify;	/* --verify */
	bool changes_fails;		/* --verify: unexplained changes */
};

/* ---- the report writers ---- */

void ci_report_json(FILE *f, const struct ci *c, const struct ci_result *r);
void ci_report_junit(FILE *f, const struct ci *c, const struct ci_result *r);
void ci_report_summary(FILE *f, const struct ci *c, const struct ci_result *r);

/* ---- COMMAND's lifecycle ---- */

struct sw_session;

/* SIGINT/SIGTERM/SIGHUP stop the watch and are forwarded to COMMAND (ci_forward_stop). */
int ci_install_handlers(void);
/* Forks COMMAND stopped before exec, puts it in scope, lets it exec.
 * Returns 0, or the exit status to use when COMMAND could not start. */
int ci_child_start(struct ci *c, struct sw_session *s);
bool ci_child_done(void *ctx);	/* ctx: struct ci; reaps COMMAND once it exited */
void ci_forward_stop(struct ci *c);
int ci_child_status(const struct ci *c);	/* as a shell reports it */

#endif
