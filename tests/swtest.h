/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Test runner shared declarations: scenarios run real syscalls against the real programs. */
#ifndef SWTEST_H
#define SWTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_EVENTS_PER_TEST 32
#define RACE_MAX 6		/* landed writes a race scenario waits for */

enum fs_kind { FS_EXT4, FS_TMPFS, FS_HUGE_TMPFS, FS__COUNT };

/* What the writer child expects splicewatch to report. Lives in shared memory. */
struct expect {
	int reports;			/* events expected from the writer (0, 1, 2) */
	char op[24];
	uint64_t dev, ino;
	char path[512];
	int64_t write_offset;
	int64_t write_len;		/* -1: JSON null (to end of file) */
	int64_t held_offset;
	int64_t held_len;
	uint64_t pipe_ino;
	int splicer_pid;
	char splicer_comm[16];
	int tid;			/* 0: same as pid; -1: any thread */
	int64_t min_held_ns;		/* held_ns at least this (0: just positive) */
	char untracked_reason[24];	/* the hold is an untracked one's mark
					 * (enforce --on-untracked): its reason */
	/* enforce mode */
	bool prevented;			/* the write must not land (writer killed at entry) */
	char action[16];		/* expected action in enforce mode */
	/* Data the pipe must deliver afterwards, checked by the runner: after
	 * reading and dropping pipe_skip bytes, pipe_len bytes (see write_lands). */
	int pipe_fd;			/* -1: nothing to check */
	char pipe_landed[64];		/* what it delivers if the write lands */
	char pipe_original[64];		/* ... and if it does not */
	int pipe_len;
	int64_t pipe_skip;
	/* The file's bytes afterwards, read back by the runner: file_len bytes at
	 * file_off of file_path are file_landed where the write lands (trace, a
	 * late kill, a write nothing held), file_original where it may not
	 * (killed at entry, denied). Its size likewise, when size_landed >= 0. */
	char file_path[512];		/* "": nothing to check */
	int64_t file_off;
	int file_len;
	char file_landed[64];
	char file_original[64];
	int64_t size_landed, size_original;
	bool denied_seen;		/* the writer's syscall failed with EPERM */
	/* A racing writer (scenarios_race.c): instead of one report, each of its
	 * writes that landed in held bytes, [race_t0, race_t1] on CLOCK_MONOTONIC
	 * (the events' ts_ns), must have one of its events in that window. */
	bool race;
	int race_landed;
	int64_t race_t0[RACE_MAX], race_t1[RACE_MAX];
	char failure[256];		/* set when the scenario itself could not run */
};

/* A scenario: setup runs in the test process (the splicer), write runs in a forked child. */
struct scenario;
struct tctx {
	enum fs_kind fs;
	const char *dir;		/* a fresh directory on the test filesystem */
	bool enforce;			/* running under `splicewatch enforce` */
	bool deny;			/* ... with --action deny (BPF LSM) */
	struct expect *e;		/* shared with the writer child */
	/* scratch state set up by setup() and used by write() */
	int fd, fd2, pr, pw, pr2, pw2;
	char path[512], path2[512];
	char mount[600];		/* unmounted by the runner after the test */
	void *map;
	size_t map_len;
	pid_t helper;
};

struct scenario {
	const char *name;
	unsigned fs_mask;		/* 1 << FS_* where it runs */
	int (*setup)(struct tctx *t);	/* in the runner: 0 ok, -1 scenario error */
	int (*write)(struct tctx *t);	/* in the writer child: its exit code */
	bool trace_only;		/* not meaningful under enforce */
	bool enforce_only;
	bool kernel_hooks_only;		/* needs the fentry or kprobe backend */
	bool two_cpus;			/* races threads: not run on one CPU, where
					 * nothing preempts a syscall between its
					 * check and its write */
};

extern const struct scenario scenarios[];
/* Holds the scenarios made untracked on purpose: the exit summary's count. */
extern int untracked_expected;
extern const int n_scenarios;

/* Helpers for scenarios (scenario_lib.c). */
int fail(struct tctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Does the write land? Not where enforce stops it at entry (killed, denied). */
bool write_lands(const struct tctx *t);
#define FS_ALL ((1u << FS_EXT4) | (1u << FS_TMPFS))
#define FS_EXT4_ONLY (1u << FS_EXT4)

#endif
