// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Capabilities, not uid (caps.h). The table below is the whole answer to
 * "what does splicewatch need": man/splicewatch.8 (PRIVILEGES) and
 * docs/operations.md say the same, and a unit's CapabilityBoundingSet for
 * trace/enforce is its first two rows.
 *
 * Needed by nothing beyond loading (so not in the table):
 *  - enforce's kill: bpf_send_signal() is called by the programs, on the
 *    writer itself; no capability is checked when it runs.
 *  - enforce --action deny: BPF LSM programs are, like the tracing ones,
 *    CAP_PERFMON-class program types (kernel/bpf/syscall.c,
 *    is_perfmon_prog_type); BPF LSM must be active (boot parameter lsm=).
 *  - the kprobe backend: the kprobe PMU of perf_event_open (CAP_PERFMON);
 *    never tracefs. Nothing reads debugfs or tracefs except the preemption
 *    model (/sys/kernel/debug/sched/preempt), which is optional: the kernel
 *    configuration and /proc/cmdline tell it as well.
 *  - ci's COMMAND and the processes it leaves: same user, signalled without
 *    CAP_KILL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include "caps.h"
#include "common.h"
#include "kernel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#ifndef CAP_BPF
#define CAP_BPF		39
#endif

/* When a row's capability is needed. */
enum when {
	W_LOAD,		/* every command that loads programs */
	W_MEMLOCK,	/* the kernel charges BPF memory to RLIMIT_MEMLOCK */
	W_CGROUP,	/* ci --scope cgroup, not as root */
	W_LOW_PORT,	/* --prometheus on a privileged port */
};

static const struct row {
	int cap;
	const char *name;
	int alt;		/* a capability that grants as much, or -1 */
	enum when when;
	const char *what;	/* in the one-line refusal */
	const char *who;
	const char *why;
} table[] = {
	{ CAP_BPF, "CAP_BPF", CAP_SYS_ADMIN, W_LOAD, "to load the programs", "trace, enforce, ci, stats, top",
	  "to create the maps and load the programs (CAP_SYS_ADMIN grants it too)" },
	{ CAP_PERFMON, "CAP_PERFMON", CAP_SYS_ADMIN, W_LOAD, "to attach tracing programs", "trace, enforce, ci, stats, top",
	  "to load and attach tracing programs (tp_btf, fentry, kprobe, BPF LSM), which read "
	  "kernel memory (CAP_SYS_ADMIN grants it too)" },
	{ CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE", -1, W_MEMLOCK, "to lift RLIMIT_MEMLOCK",
	  "trace, enforce, ci, stats, top on a kernel charging RLIMIT_MEMLOCK",
	  "to lift RLIMIT_MEMLOCK: only where the kernel charges BPF memory to it (before "
	  "5.11: no memcg accounting) and its hard limit is not unlimited" },
	{ CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE", -1, W_CGROUP, "to make COMMAND's cgroup", "ci --scope cgroup, not as root",
	  "to create COMMAND's cgroup in the cgroup v2 root, move COMMAND into it and remove "
	  "it (root's directory and cgroup.procs); effective only around those operations "
	  "(--scope pids needs none)" },
	{ CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE", -1, W_LOW_PORT, "to bind a privileged port",
	  "trace, enforce, stats, top with --prometheus", "to bind a port below "
	  "net.ipv4.ip_unprivileged_port_start (1024 by default)" },
};
#define N_ROWS	(sizeof(table) / sizeof(table[0]))

#define BIT(c)	(1ULL << (c))

static bool as_root(void)
{
	return getuid() == 0 && geteuid() == 0;
}

struct capsets {
	uint64_t eff, prm, inh;
};

static int get_caps(struct capsets *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d))
		return -1;
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int set_caps(const struct capsets *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)c->eff, (uint32_t)c->prm, (uint32_t)c->inh },
		{ (uint32_t)(c->eff >> 32), (uint32_t)(c->prm >> 32), (uint32_t)(c->inh >> 32) },
	};

	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* Does the kernel charge BPF memory to RLIMIT_MEMLOCK, with a finite hard
 * limit (lifting it then needs CAP_SYS_RESOURCE)? libbpf lifts it itself
 * where the kernel has no memcg accounting of BPF memory, which it tells by
 * the helper that came with it (5.11): so do we. */
static bool memlock_charged(void)
{
	struct rlimit r;

	if (!getrlimit(RLIMIT_MEMLOCK, &r) && r.rlim_max == RLIM_INFINITY)
		return false;
	return sw_kernel_has_helper(NULL, "BPF_FUNC_ktime_get_coarse_ns") == 0;
}

static unsigned long unprivileged_port_start(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	unsigned long v = 1024;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

/* ADDR:PORT, [ADDR]:PORT: is PORT privileged? (A bad one: prom.c says so.) */
static bool low_port(const char *addr)
{
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	char *end;
	unsigned long port;

	if (!colon || !colon[1])
		return false;
	port = strtoul(colon + 1, &end, 10);
	return !*end && port < unprivileged_port_start();
}

/* Is row r needed by req (NULL: by a command that loads, without options)? */
static bool needed(const struct row *r, const struct sw_caps_req *req)
{
	switch (r->when) {
	case W_LOAD:
		return true;
	case W_MEMLOCK:
		return memlock_charged();
	case W_CGROUP:
		return req ? req->cgroup && !as_root() : !as_root();
	case W_LOW_PORT:
		return req && low_port(req->prom_addr);
	}
	return false;
}

/* The capability that satisfies row r in prm (its own, else its
 * alternative), or -1. */
static int satisfied_by(const struct row *r, uint64_t prm)
{
	if (prm & BIT(r->cap))
		return r->cap;
	if (r->alt >= 0 && (prm & BIT(r->alt)))
		return r->alt;
	return -1;
}

/* Permitted but effective only inside sw_caps_cgroup_begin/end. */
static uint64_t raise_only;

int sw_caps_prepare(const struct sw_caps_req *req)
{
	struct capsets c;
	uint64_t keep = 0;
	char missing[512] = "";
	bool any = false;
	int n_missing = 0;

	if (get_caps(&c)) {
		sw_err("%s: cannot read this process's capabilities (capget): %s", req->command,
		       strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < N_ROWS; i++) {
		const struct row *r = &table[i];
		int by;

		if (!needed(r, req))
			continue;
		by = satisfied_by(r, c.prm);
		if (by >= 0) {
			keep |= BIT(by);
			if (r->when == W_CGROUP)
				raise_only |= BIT(by);
			continue;
		}
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s (%s)",
			 any ? ", " : "", r->name, r->what);
		n_missing++;
		any = true;
	}
	if (any) {
		/* One line; why in full with -v. */
		sw_err("%s: missing capabilit%s %s; run it as root or with the capabilities "
		       "PRIVILEGES in splicewatch(8) lists", req->command,
		       n_missing > 1 ? "ies" : "y", missing);
		for (size_t i = 0; i < N_ROWS && sw_verbose; i++)
			if (needed(&table[i], req) && satisfied_by(&table[i], c.prm) < 0)
				sw_info("%s: %s", table[i].name, table[i].why);
		return -1;
	}
	if (as_root()) {
		/* Root's capabilities are its own: only what is needed is raised. */
		c.eff |= keep & ~raise_only;
		raise_only = 0;
	} else {
		/* Given to splicewatch: nothing else is kept, nothing passed on. */
		c.prm = keep;
		c.eff = keep & ~raise_only;
		c.inh = 0;
	}
	if (set_caps(&c) ||
	    (!as_root() && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	     errno != EINVAL)) {
		sw_err("%s: cannot set this process's capabilities (capset): %s", req->command,
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* errno is kept: the callers report the cgroup operation's. */
static void cgroup_effective(bool on)
{
	struct capsets c;
	int err = errno;

	if (raise_only && !get_caps(&c)) {
		if (on)
			c.eff |= raise_only & c.prm;
		else
			c.eff &= ~raise_only;
		set_caps(&c);	/* if it fails, the operation says EACCES */
	}
	errno = err;
}

void sw_caps_cgroup_begin(void)
{
	cgroup_effective(true);
}

void sw_caps_cgroup_end(void)
{
	cgroup_effective(false);
}

int sw_caps_clear_all(void)
{
	struct capsets c = { 0 };

	if (as_root())
		return 0;
	if (set_caps(&c))
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -1;
	return 0;
}

bool sw_caps_can_load(void)
{
	struct capsets c;

	if (get_caps(&c))
		return false;
	for (size_t i = 0; i < N_ROWS; i++)
		if (table[i].when == W_LOAD && satisfied_by(&table[i], c.prm) < 0)
			return false;
	return true;
}

size_t sw_caps_items(struct sw_caps_item *items, size_t max)
{
	struct capsets c = { 0 };
	size_t n = 0;

	get_caps(&c);
	for (size_t i = 0; i < N_ROWS && n < max; i++, n++) {
		items[n].name = table[i].name;
		items[n].who = table[i].who;
		items[n].why = table[i].why;
		items[n].needed_here = needed(&table[i], NULL);
		items[n].present = satisfied_by(&table[i], c.prm) >= 0;
	}
	return n;
}
