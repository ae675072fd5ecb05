/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * enforce policy: the allowlists and the YAML policy file (docs/enforce.md).
 *
 * policy_parse() is the whole parser, on a memory buffer, so that it can be
 * fuzzed: it needs libyaml, parse_u64() and parse_signal() (src/common.c) and
 * nothing else; it prints nothing and never exits. It stat()s and statfs()s the
 * cgroup directories and path rules a policy names (that is how a cgroup path
 * becomes the id, and a path rule the identity, the BPF programs compare).
 */
#ifndef SW_POLICY_H
#define SW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "sw.h"

enum policy_allow {
	POLICY_ALLOW_PID,
	POLICY_ALLOW_COMM,
	POLICY_ALLOW_CGROUP,
	POLICY_ALLOW_PATH,
	POLICY_PROTECT_UID,
	POLICY_PROTECT_CGROUP,
};

/* Which scalar settings a policy file set (struct policy_info.set). */
#define POLICY_SET_ACTION	(1U << 0)
#define POLICY_SET_SIGNAL	(1U << 1)
#define POLICY_SET_THREAD	(1U << 2)
#define POLICY_SET_DRY_RUN	(1U << 3)
#define POLICY_SET_FALLBACK	(1U << 4)
#define POLICY_SET_OUTPUT	(1U << 5)
#define POLICY_SET_FORMAT	(1U << 6)
#define POLICY_SET_NODE		(1U << 7)
#define POLICY_SET_AGGREGATE	(1U << 8)

/* "output:" at most this long (with its NUL). */
#define POLICY_OUTPUT_MAX	4096

struct policy_info {
	unsigned set;		/* POLICY_SET_* */
	bool action_deny;	/* "action: deny" */
	/* The daemon's output (POLICY_SET_OUTPUT): "journal", "-" (standard
	 * output) or an absolute file path, as --journal and -o. */
	char output[POLICY_OUTPUT_MAX];
	bool json;		/* "format: json" (POLICY_SET_FORMAT; text: false) */
	char node[SW_NODE_MAX + 1];	/* "node:" (POLICY_SET_NODE), as --node */
	uint64_t aggregate_ns;	/* "aggregate:" (POLICY_SET_AGGREGATE; 0: off) */
};

/* Largest policy file policy_load() reads. */
#define POLICY_MAX_BYTES	(1024 * 1024)

/*
 * Validates one allowlist entry and appends it to cfg, the one place the
 * command line and the policy file both go through:
 *   PID     a decimal process id, 1..2147483647
 *   COMM    1..15 bytes
 *   CGROUP  a cgroup v2 directory (stored as its id, the directory's inode)
 *   PATH    an absolute, normalised path (no "//", "/./", "/../") of an
 *           existing file or directory, not on btrfs, bcachefs or overlayfs;
 *           stored as its identity (kernel dev_t, inode); at most
 *           SW_ALLOW_PATHS_MAX in all
 * and one protected-consumer entry (--protect-uid, --protect-cgroup):
 *   UID     a user name or a decimal uid, 0..4294967294
 *   CGROUP  as above
 * Returns 0, or -1 with a reason (no "FILE:LINE:" or option prefix) in err.
 */
int policy_allow_add(struct sw_config *cfg, enum policy_allow kind, const char *value,
		     char *err, size_t errlen);

/* "kill" or "dry-run" (--fallback, "fallback:") into *f; -1 for anything else. */
int policy_fallback_parse(const char *s, enum sw_fallback *f);
/* report | deny | kill -> enum sw_on_untracked; -1 if none of them. */
int policy_on_untracked_parse(const char *s, uint32_t *how);

/*
 * Parses a policy document of len bytes (need not be NUL-terminated) named
 * `name` in messages. Scalars (action, signal, thread, dry_run, fallback) are stored in
 * cfg; allowlist entries are appended to those already in cfg. info may be NULL.
 * Returns 0, or -1 with "NAME:LINE: reason" in err. On error cfg may hold part
 * of the file's allowlists: release them with policy_free().
 */
int policy_parse(const char *buf, size_t len, const char *name, struct sw_config *cfg,
		 struct policy_info *info, char *err, size_t errlen);

/* Reads the file at path (at most POLICY_MAX_BYTES) and calls policy_parse(). */
int policy_load(const char *path, struct sw_config *cfg, struct policy_info *info,
		char *err, size_t errlen);

/* Frees cfg's allowlists and protect lists (and zeroes their counts). */
void policy_free(struct sw_config *cfg);

#endif
