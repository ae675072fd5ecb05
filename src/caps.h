/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Capabilities, not uid (caps.c): the one table of which capability each
 * command and feature needs and why; the check before anything loads (exit 2
 * naming exactly the missing ones); and, for a user other than root that was
 * given capabilities (file or ambient), dropping every one the table does not
 * give the command.
 */
#ifndef SW_CAPS_H
#define SW_CAPS_H

#include <stdbool.h>
#include <stdio.h>

/* What one run of a command will do, as far as capabilities go. */
struct sw_caps_req {
	const char *command;	/* trace, enforce, ci, stats, top: named in messages */
	bool cgroup;		/* ci --scope cgroup: makes a cgroup, moves COMMAND into it */
	const char *prom_addr;	/* --prometheus ADDR:PORT, or NULL */
};

/* Checks the permitted set holds what req needs (raised into the effective
 * set): 0; or -1, having said which capabilities are missing and what for.
 * Not as root, every other capability is then dropped (effective, permitted,
 * inheritable, ambient). Again for the same req: the same answer. */
int sw_caps_prepare(const struct sw_caps_req *req);
/* ci, not as root: CAP_DAC_OVERRIDE is permitted but effective only inside
 * sw_caps_cgroup_begin() ... sw_caps_cgroup_end() (the cgroup operations). */
void sw_caps_cgroup_begin(void);
void sw_caps_cgroup_end(void);
/* In ci's COMMAND before exec, not as root: no capabilities at all, none
 * inherited or ambient. 0 or -1 (errno). */
int sw_caps_clear_all(void);
/* Can this process load and attach the programs (CAP_BPF and CAP_PERFMON, or
 * CAP_SYS_ADMIN, in its permitted set)? */
bool sw_caps_can_load(void);
/* features: each capability of the table, present or not; the text lines or
 * the JSON object's members through the two callbacks. */
struct sw_caps_item {
	const char *name;	/* CAP_BPF */
	const char *who;	/* the commands needing it */
	const char *why;
	bool needed_here;	/* on this kernel, by this user */
	bool present;		/* in the permitted set */
};
size_t sw_caps_items(struct sw_caps_item *items, size_t max);

#endif
