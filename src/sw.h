/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Frontend-wide declarations: sub-commands, the watch session, event output. */
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

/* Sub-commands: argv[0] is the sub-command name. */
int cmd_trace(int argc, char **argv);
int cmd_enforce(int argc, char **argv);
int cmd_ci(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_top(int argc, char **argv);


/* ---- the watch session: programs loaded, attached, ring buffer open ---- */

struct sw_config {
	uint32_t mode;			/* SW_MODE_* */
	bool dry_run;
	bool deny;			/* --action deny: refuse the write with BPF LSM */
	int signal;
	bool signal_thread;
	bool scope;			/* only writers in the scope set count */
	uint32_t max_holds;		/* pipe buffers the index can track */
	uint32_t ringbuf_kib;
	const char *backend;		/* auto | tracepoint | ... */
	/* enforce allowlists */
	uint32_t *allow_pids;
	int n_allow_pids;
	uint64_t *allow_cgroups;
	int n_allow_cgroups;
	char (*allow_comms)[SW_TASK_COMM_LEN];
	int n_allow_comms;
	char (*allow_paths)[SW_ALLOW_PATH_LEN];	/* absolute prefixes, NUL-terminated */
	int n_allow_paths;			/* at most SW_ALLOW_PATHS_MAX */
};

typedef int (*sw_event_fn)(void *ctx, const struct sw_event *ev, size_t len);

struct sw_session;

struct sw_counters {
	uint64_t held;
	uint64_t events;
	uint64_t lost;
	uint64_t untracked;
	uint64_t signals;
	uint64_t stale_dropped;
	/* Program runs the kernel skipped: on 6.14+ syscall tracepoint programs
	 * run preemptible, and a program preempted on a CPU makes the kernel skip
	 * it for other tasks there (prog info recursion_misses). */
	uint64_t skipped_runs;
	/* Writes second hooks (write_iter, file_permission, vfs_fallocate,
	 * do_ftruncate) checked because no sys_enter check of them ran
	 * (redundant on). */
	uint64_t backup_checks;
};

/* Root and BTF: one clear message and -1 when the machine cannot run us. */
int sw_check_environment(void);
/* Why a BPF load or attach failed, in words (err is a positive errno). */
const char *sw_load_hint(int err);
#include <stdarg.h>
#include <bpf/libbpf.h>
int sw_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap);
/* SPLICEWATCH_VERIFIER_STATS=1: the verifier's instruction count per program. */
void sw_verifier_stats_request(struct bpf_object *obj);
void sw_verifier_stats_print(struct bpf_object *obj);
void sw_config_defaults(struct sw_config *cfg);
/* Options every watching sub-command shares; returns 1 if handled, -1 on a bad value. */
int sw_config_option(struct sw_config *cfg, int opt, const char *arg);
struct sw_session *sw_session_open(const struct sw_config *cfg);
const char *sw_session_backend(const struct sw_session *s);
bool sw_session_denies(const struct sw_session *s);	/* deny is in force */
bool sw_lsm_bpf_active(void);
/* Does splice(file -> pipe) share page-cache pages (shareprobe.c)? */
enum sw_sharing { SW_SHARING_UNKNOWN, SW_SHARING_SHARED, SW_SHARING_COPIED };
/* Probes a scratch file in dir (NULL: a memfd, i.e. tmpfs). */
enum sw_sharing sw_probe_sharing(const char *dir);
const char *sw_sharing_name(enum sw_sharing s);
#define SW_SHARING_DISK_DIR "/var/tmp"

struct btf;
bool sw_kernel_has_function(const struct btf *btf, const char *name);
int sw_kernel_has_bpf_loop(const struct btf *btf);	/* 1 yes, 0 no, -1 no BTF */
struct bpf_object_skeleton;
struct bpf_map;
int sw_open_compat(struct bpf_object_skeleton *s, const void *elf, size_t size);
int sw_gc_by_key(int prog_fd, struct bpf_map *map, uint64_t what);
bool sw_kernel_has_tracepoint(const struct btf *btf, const char *name);	/* tp_btf */
bool sw_fentry_loads(const struct btf *btf);	/* needs root; false otherwise */
/* Are syscall tracepoints faultable (6.14+: struct tracepoint_ext.faultable)?
 * Their BPF programs then run preemptible and the kernel can skip them. */
bool sw_syscall_tp_faultable(const struct btf *btf);
/* The preemption model: "none", "voluntary", "full", "lazy", "rt", "none or
 * voluntary", or NULL when unknown; *source says where it was read. */
const char *sw_preempt_model(const char **source);
/* Does that model preempt kernel code (full, lazy, rt; unknown: assume so)? */
bool sw_preempts_kernel_code(const char *model);
/* Can the kernel skip syscall tracepoint programs here? Faultable, and a
 * preemption model that preempts kernel code. */
bool sw_syscall_runs_skippable(const struct btf *btf);
/* Second sources on: SPLICEWATCH_REDUNDANT (0 or 1) if set, else skippable
 * (syscall hook runs can be skipped). fentry and kprobe back the syscall hooks
 * up with kernel functions (write marks, hold-learning hooks), the tracepoint
 * backend with a twin of each syscall hook. */
bool sw_redundant_wanted(bool skippable, bool *forced);
bool sw_session_redundant(const struct sw_session *s);
int sw_session_scope_add(struct sw_session *s, uint32_t tgid);
/* Polls until sw_stop or until done(ctx) returns true (done may be NULL). */
int sw_session_run(struct sw_session *s, sw_event_fn fn, void *ctx,
		   bool (*done)(void *ctx), void *done_ctx);
/* Drains what is left in the ring buffer. */
void sw_session_drain(struct sw_session *s);
void sw_session_counters(struct sw_session *s, struct sw_counters *c);
/* Runs of obj's programs the kernel skipped (recursion_misses), all told. */
struct bpf_object;
uint64_t sw_skipped_runs(const struct bpf_object *obj);
int64_t sw_session_realtime(const struct sw_session *s, uint64_t mono_ns);
void sw_session_close(struct sw_session *s);

/* ---- event output ---- */

struct sw_filter {
	int64_t pid;			/* -1: any */
	char comm[SW_TASK_COMM_LEN];
	uint64_t cgroup_id;		/* 0: any */
	const char *path_prefix;
};

struct sw_output {
	FILE *f;
	bool json;
	bool header_done;
	struct sw_session *session;
	struct sw_filter filter;
	uint64_t printed;
	uint64_t untracked;		/* capacity events seen */
	uint64_t last_untracked_warn_ns;
};

void sw_filter_init(struct sw_filter *f);
int sw_filter_option(struct sw_filter *f, int opt, const char *arg);
/* trace and enforce: a filter or session option, else unknown (said, -1). */
int sw_watch_option(const char *cmd, struct sw_filter *f, struct sw_config *cfg, int opt,
		    const char *arg);
bool sw_filter_match(const struct sw_filter *f, const struct sw_event *ev);
bool sw_event_path(const struct sw_event *ev, char *buf, size_t cap);
void sw_event_json(struct json *j, const struct sw_event *ev, const struct sw_session *s);
int sw_output_event(void *ctx, const struct sw_event *ev, size_t len);
void sw_print_summary(FILE *f, struct sw_session *s, uint64_t shown);

#endif
