/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Who wrote and who holds, as user space finds it from what the kernel told:
 * the executable of a pid, the cgroup v2 path of a cgroup id, and the
 * container that path names (docs/identity.md). Bounded caches. */
#ifndef SW_IDENTITY_H
#define SW_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include "json.h"

struct sw_event;

/* The container a cgroup path names, by the layout of the runtime that
 * made it. runtime NULL: none. claimed_by_uid >= 0: a directory of the
 * layout (the container's, its pod's, or the one they were made in) is
 * owned by this uid, so that user could have named it: the identity is
 * only that user's claim. -1: every one of them is root's. */
struct sw_container {
	const char *runtime;
	char id[256];
	char pod_uid[40];	/* "": not a Kubernetes pod */
	int64_t claimed_by_uid;
};

/* The container path (from the root of the cgroup2 hierarchy) names; false: none.
 * owner: NULL, or the uid owning directory path[0, len) (-1: unknown), for
 * the claim. */
bool sw_container_of(const char *path, int64_t (*owner)(const char *path, size_t len),
		     struct sw_container *c);

/* Remember what can only be looked up while the writer still runs (ci keeps
 * events and writes them after the command). */
void sw_identity_note(const struct sw_event *ev);

/* The identity keys of an unsafe_write: the writer's (ppid, loginuid, exe,
 * cgroup, container_*) after its cgroup_id, ... */
void sw_identity_writer_json(struct json *j, const struct sw_event *ev);
/* ... and the holder's (splicer_cgroup_id, splicer_cgroup, splicer_exe,
 * splicer_container_*); ev NULL: no holder known, each null. */
void sw_identity_splicer_json(struct json *j, const struct sw_event *ev);

#endif
