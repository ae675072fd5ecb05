/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the commands of the frontend share: the sub-command entry points
 * (main.c dispatches), the watch session (session.c) and event output
 * (output.c). Helpers of every layer come from common.h, json.h, names.h and
 * event.h, included here.
 */
#ifndef SW_H
#define SW_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "splicewatch.h"
#include "common.h"
#include "json.h"
#include "names.h"
#include "event.h"
#include "aggregate.h"

/* Sub-commands: argv[0] is the sub-command name. */
int cmd_trace(int argc, char **argv);
int cmd_enforce(int argc, char **argv);
int cmd_ci(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* ---- the watch session: programs loaded, attached, ring buffer open ---- */

/* --fallback: what --action deny does where BPF LSM is not active or its
 * programs are refused. None: refuse to start (exit 2). */
enum sw_fallback {
	SW_FALLBACK_NONE,
	SW_FALLBACK_KILL,
	SW_FALLBACK_DRY_RUN,
};

struct sw_config {
	uint32_t mode;			/* SW_MODE_* */
	bool dry_run;
	bool deny;			/* --action deny: refuse the write with BPF LSM */
	enum sw_fallback fallback;	/* deny without BPF LSM */
	int signal;
	bool signal_thread;
	bool scope;			/* only writers in ci's scope count */
	/* ci --scope cgroup: the cgroup v2 (id, level) whose tasks and
	 * descendants' tasks are the scope; 0: the pid set (--scope pids). */
	uint64_t scope_cgroup_id;
	uint32_t scope_cgroup_level;
	uint32_t max_holds;		/* pipe buffers the index can track */
	uint32_t user_share;		/* percent of each index map one non-root uid may fill (100: no limit) */
	uint32_t ringbuf_kib;
	const char *backend;		/* auto | tracepoint | ... */
	/* The lists may change while the programs run (enforce --policy, on
	 * SIGHUP): the path and protect checks are loaded even when empty. */
	bool lists_reloadable;
	/* enforce allowlists */
	uint32_t *allow_pids;
	int n_allow_pids;
	uint64_t *allow_cgroups;
	int n_allow_cgroups;
	char (*allow_comms)[SW_TASK_COMM_LEN];
	int n_allow_comms;
	struct sw_allow_inode *allow_paths;	/* --allow-path rules, resolved (stat) */
	int n_allow_paths;			/* at most SW_ALLOW_PATHS_MAX */
	/* enforce: consumers whose holds are acted on for any writer */
	uint32_t *protect_uids;
	int n_protect_uids;
	uint64_t *protect_cgroups;
	int n_protect_cgroups;
	bool allow_ns_init;			/* never act on a pid namespace's init */
	uint32_t on_untracked;			/* enum sw_on_untracked (enforce) */
	bool verify;				/* the policy file's "verify:" (enforce) */
};

/* The allowlists and protect lists of a struct sw_config, in this order. */
enum {
	SW_LIST_ALLOW_PIDS,
	SW_LIST_ALLOW_CGROUPS,
	SW_LIST_ALLOW_COMMS,
	SW_LIST_ALLOW_PATHS,
	SW_LIST_PROTECT_UIDS,
	SW_LIST_PROTECT_CGROUPS,
	SW_LIST__COUNT,
};

typedef int (*sw_event_fn)(void *ctx, const struct sw_event *ev, size_t len);

struct sw_session;

struct sw_counters {
	uint64_t held;
	uint64_t events;
	uint64_t lost;
	uint64_t untracked;
	uint64_t untracked_by_reason[SW_UNTR__COUNT];	/* enum sw_untracked_reason */
	uint64_t signals;
	uint64_t stale_dropped;
	/* Program runs the kernel skipped: on 6.14+ syscall tracepoint programs
	 * run preemptible, and a program preempted on a CPU makes the kernel skip
	 * it for other tasks there (prog info recursion_misses). */
	uint64_t skipped_runs;
	/* Writes backup hooks (write_iter, file_permission, vfs_fallocate,
	 * do_ftruncate) checked because no sys_enter check of them ran
	 * (backup_hooks on). */
	uint64_t backup_checks;
	/* Splice, tee, sendfile and vmsplice returns whose first sys_exit run
	 * did not happen, seen by the tracepoint backend's backup sys_exit. */
	uint64_t backup_pipe_syncs;
};

void sw_config_defaults(struct sw_config *cfg);
/* Options every watching sub-command shares; returns 1 if handled, -1 on a bad value. */
int sw_config_option(struct sw_config *cfg, int opt, const char *arg);
struct sw_session *sw_session_open(const struct sw_config *cfg);
const char *sw_session_backend(const struct sw_session *s);
/* Runs the programs built for 5.10-5.16 (no bpf_loop). */
bool sw_session_compat(const struct sw_session *s);
/* The fd of the detection's map name (shared with the verify object), or -errno. */
int sw_session_map_fd(const struct sw_session *s, const char *name);
bool sw_session_denies(const struct sw_session *s);	/* deny is in force */
bool sw_session_dry_run(const struct sw_session *s);	/* acting on nobody */
bool sw_session_backup_hooks(const struct sw_session *s);
int sw_session_scope_add(struct sw_session *s, uint32_t tgid);
/* Polls until sw_stop or until done(ctx) returns true (done may be NULL). */
int sw_session_run(struct sw_session *s, sw_event_fn fn, void *ctx,
		   bool (*done)(void *ctx), void *done_ctx);
/* tick(ctx) runs after every poll round (at most every 100 ms) of
 * sw_session_run; a non-zero return ends the run, which returns it. */
void sw_session_set_tick(struct sw_session *s, int (*tick)(void *ctx), void *ctx);
/* -v: the runs the kernel skipped, per program, one line each to f. */
void sw_session_print_skipped_runs(const struct sw_session *s, FILE *f);
/* Records the programs could not put into the ring buffer, so far. */
uint64_t sw_session_lost(const struct sw_session *s);
/* The allowlist and protect maps hold new's entries instead of old's (the
 * programs stay attached): 0, or -errno with old's entries in force. */
int sw_session_update_lists(struct sw_session *s, const struct sw_config *old,
			    const struct sw_config *new);
/* Drains what is left in the ring buffer. */
void sw_session_drain(struct sw_session *s);
void sw_session_counters(struct sw_session *s, struct sw_counters *c);

/* What --prometheus serves of a watch session (sw_session_metrics): safe to
 * read from another thread than the one running sw_session_run. */
struct sw_metrics {
	uint64_t unsafe[SW_OP__COUNT][SW_ACT__COUNT];	/* decided in the programs */
	uint64_t lost;
	uint64_t untracked[SW_UNTR__COUNT];
	uint64_t skipped_runs;
	uint64_t folded;		/* --aggregate (struct sw_agg), not the session's */
	uint64_t unaggregated;
	uint64_t held_pages;		/* page-cache pipe buffers tracked now */
	uint64_t pipes;			/* pipes in the hold index now */
	uint64_t signals;
	uint64_t programs_attached;
};

void sw_session_metrics(const struct sw_session *s, struct sw_metrics *m);
/* The programs are attached and the loop of sw_session_run is running: the
 * programs saw its heartbeat (a getppid every half second) within the last
 * SW_ALIVE_NS. */
#define SW_ALIVE_NS	(3 * 1000000000ULL)
bool sw_session_alive(const struct sw_session *s);
int64_t sw_session_realtime(const struct sw_session *s, uint64_t mono_ns);
void sw_session_close(struct sw_session *s);

/* ---- event output ---- */

struct sw_filter {
	int64_t pid;			/* -1: any */
	int64_t tid;			/* -1: any */
	int64_t uid;			/* the writer's real uid; -1: any */
	char comm[SW_TASK_COMM_LEN];
	uint64_t cgroup_id;		/* 0: any */
	const char *path_prefix;
};

struct sw_outfile;

struct sw_output {
	FILE *f;
	struct sw_outfile *file;	/* f's file: counts the events delivered */
	bool json;
	bool journal;			/* to the journal (systemd.c), f unused */
	bool header_done;
	struct sw_session *session;
	struct sw_filter filter;
	uint64_t printed;		/* events written to f (delivered: file) */
	uint64_t lost_told;		/* lost records said in-band so far */
	uint64_t lost_told_ns;		/* when last */
	uint64_t untracked;		/* capacity events seen */
	uint64_t untracked_window_ns;	/* text: the second the warnings below are in */
	uint64_t untracked_lines;
	uint64_t untracked_unshown;
	struct sw_agg agg;		/* --aggregate (window_ns 0: off) */
	struct sw_verify *verify;	/* trace --verify: told every unsafe write */
};

void sw_filter_init(struct sw_filter *f);
int sw_filter_option(struct sw_filter *f, int opt, const char *arg);
bool sw_filter_match(const struct sw_filter *f, const struct sw_event *ev);
int sw_output_event(void *ctx, const struct sw_event *ev, size_t len);
/* From the poll loop: writes the aggregate lines of the windows that have
 * closed; final (the run's end, after the last drain): of all of them. */
void sw_output_tick(struct sw_output *o, bool final);
/* Says in-band how many more records the ring buffer lost since it last did
 * (JSON: {"event":"lost","records":N} in the output; text: a warning on
 * stderr): at most once a second, unless final (the run's end: the rest). */
void sw_output_lost(struct sw_output *o, uint64_t lost_total, bool final);
/* Local time with the date and milliseconds, as the text lines show it
 * ("2026-12-05T13:50:32.222"): a line read on its own says when. */
void sw_text_time(FILE *f, int64_t real_ns);
void sw_print_summary(FILE *f, struct sw_session *s, uint64_t shown, const struct sw_agg *agg);

#endif
