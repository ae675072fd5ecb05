// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SIGHUP for trace and enforce: the output file is opened again (watch.c) and
 * enforce's --policy file read again (here), while the programs stay
 * attached: detection never stops.
 *
 * What a reload can change is what lives in maps: the allowlists and the
 * protect lists. The settings the programs are loaded with (action, fallback,
 * signal, thread, dry_run, allow_ns_init, on_untracked, verify) cannot change without loading them
 * again, which would leave a gap: a file that changes one is refused as a
 * whole, said, and the lists in force stay.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "sw.h"
#include "policy.h"
#include "watch.h"

volatile sig_atomic_t sw_reload;

static void on_hup(int sig)
{
	(void)sig;
	sw_reload = 1;
}

int sw_install_reload_handler(void)
{
	struct sigaction sa = { .sa_handler = on_hup };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGHUP, &sa, NULL);
}

static void list_counts(const struct sw_config *c, int *n)
{
	n[SW_LIST_ALLOW_PIDS] = c->n_allow_pids;
	n[SW_LIST_ALLOW_CGROUPS] = c->n_allow_cgroups;
	n[SW_LIST_ALLOW_COMMS] = c->n_allow_comms;
	n[SW_LIST_ALLOW_PATHS] = c->n_allow_paths;
	n[SW_LIST_PROTECT_UIDS] = c->n_protect_uids;
	n[SW_LIST_PROTECT_CGROUPS] = c->n_protect_cgroups;
}

void sw_reload_cli_done(struct sw_watch_args *a, const char *policy_path)
{
	a->policy_path = policy_path;
	list_counts(&a->cfg, a->n_cli);
	a->cfg.lists_reloadable = policy_path != NULL;
}

static void fixed_of(const struct sw_config *c, const struct policy_info *info,
		     struct sw_policy_fixed *f)
{
	bool action_deny = info->action_deny;

	memset(f, 0, sizeof(*f));
	if (info->set & POLICY_SET_OUTPUT)
		snprintf(f->output, sizeof(f->output), "%s", info->output);
	if (info->set & POLICY_SET_FORMAT)
		f->format = info->json ? 2 : 1;
	if (info->set & POLICY_SET_NODE)
		snprintf(f->node, sizeof(f->node), "%s", info->node);
	f->aggregate_ns = info->set & POLICY_SET_AGGREGATE ? info->aggregate_ns : UINT64_MAX;
	f->signal = c->signal;
	f->signal_thread = c->signal_thread;
	f->dry_run = c->dry_run;
	f->allow_ns_init = c->allow_ns_init;
	f->verify = c->verify;
	f->action_deny = action_deny;
	f->fallback = c->fallback;
	f->on_untracked = c->on_untracked;
}

void sw_reload_file_done(struct sw_watch_args *a, const struct policy_info *info)
{
	fixed_of(&a->cfg, info, &a->fixed);
}

/* A copy of the first n entries of size bytes at p (NULL when n is 0). */
static void *head_copy(const void *p, int n, size_t size, bool *oom)
{
	void *c;

	if (!n)
		return NULL;
	c = malloc(n * size);
	if (!c) {
		*oom = true;
		return NULL;
	}
	return memcpy(c, p, n * size);
}

/* The name of the first fixed setting that differs, or NULL. */
static const char *fixed_changed(const struct sw_policy_fixed *a, const struct sw_policy_fixed *b)
{
	if (a->action_deny != b->action_deny)
		return "action";
	if (a->fallback != b->fallback)
		return "fallback";
	if (a->signal != b->signal)
		return "signal";
	if (a->signal_thread != b->signal_thread)
		return "thread";
	if (a->dry_run != b->dry_run)
		return "dry_run";
	if (a->allow_ns_init != b->allow_ns_init)
		return "allow_ns_init";
	if (a->verify != b->verify)
		return "verify";
	if (a->on_untracked != b->on_untracked)
		return "on_untracked";
	if (strcmp(a->output, b->output))
		return "output";
	if (a->format != b->format)
		return "format";
	if (strcmp(a->node, b->node))
		return "node";
	if (a->aggregate_ns != b->aggregate_ns)
		return "aggregate";
	return NULL;
}

int sw_reload_policy(struct sw_watch_args *a, struct sw_session *s)
{
	const int *n = a->n_cli;
	struct sw_config nc;
	struct sw_policy_fixed f;
	static struct policy_info info;
	const char *changed;
	char why[1024];
	bool oom = false;
	int err;

	if (!a->policy_path)
		return 0;
	/* The command line's entries, then the file's, as at start. */
	sw_config_defaults(&nc);
	nc.allow_pids = head_copy(a->cfg.allow_pids, n[SW_LIST_ALLOW_PIDS], sizeof(uint32_t), &oom);
	nc.n_allow_pids = nc.allow_pids ? n[SW_LIST_ALLOW_PIDS] : 0;
	nc.allow_cgroups = head_copy(a->cfg.allow_cgroups, n[SW_LIST_ALLOW_CGROUPS],
				     sizeof(uint64_t), &oom);
	nc.n_allow_cgroups = nc.allow_cgroups ? n[SW_LIST_ALLOW_CGROUPS] : 0;
	nc.allow_comms = head_copy(a->cfg.allow_comms, n[SW_LIST_ALLOW_COMMS],
				   SW_TASK_COMM_LEN, &oom);
	nc.n_allow_comms = nc.allow_comms ? n[SW_LIST_ALLOW_COMMS] : 0;
	nc.allow_paths = head_copy(a->cfg.allow_paths, n[SW_LIST_ALLOW_PATHS],
				   sizeof(*nc.allow_paths), &oom);
	nc.n_allow_paths = nc.allow_paths ? n[SW_LIST_ALLOW_PATHS] : 0;
	nc.protect_uids = head_copy(a->cfg.protect_uids, n[SW_LIST_PROTECT_UIDS],
				    sizeof(uint32_t), &oom);
	nc.n_protect_uids = nc.protect_uids ? n[SW_LIST_PROTECT_UIDS] : 0;
	nc.protect_cgroups = head_copy(a->cfg.protect_cgroups, n[SW_LIST_PROTECT_CGROUPS],
				       sizeof(uint64_t), &oom);
	nc.n_protect_cgroups = nc.protect_cgroups ? n[SW_LIST_PROTECT_CGROUPS] : 0;
	if (oom) {
		sw_err("SIGHUP: out of memory; policy '%s' not reloaded", a->policy_path);
		goto fail;
	}
	if (policy_load(a->policy_path, &nc, &info, why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		sw_err("SIGHUP: policy '%s' rejected; the policy in force stays", a->policy_path);
		goto fail;
	}
	fixed_of(&nc, &info, &f);
	changed = fixed_changed(&a->fixed, &f);
	if (changed) {
		sw_err("SIGHUP: policy '%s' changes \"%s\", which only a restart can change; "
		       "not reloaded, the policy in force stays", a->policy_path, changed);
		goto fail;
	}
	err = sw_session_update_lists(s, &a->cfg, &nc);
	if (err) {
		sw_err("SIGHUP: cannot update the allowlists: %s; the policy in force stays",
		       strerror(-err));
		goto fail;
	}
	/* In force: the new lists replace the old in the config. */
	policy_free(&a->cfg);
	a->cfg.allow_pids = nc.allow_pids;
	a->cfg.n_allow_pids = nc.n_allow_pids;
	a->cfg.allow_cgroups = nc.allow_cgroups;
	a->cfg.n_allow_cgroups = nc.n_allow_cgroups;
	a->cfg.allow_comms = nc.allow_comms;
	a->cfg.n_allow_comms = nc.n_allow_comms;
	a->cfg.allow_paths = nc.allow_paths;
	a->cfg.n_allow_paths = nc.n_allow_paths;
	a->cfg.protect_uids = nc.protect_uids;
	a->cfg.n_protect_uids = nc.n_protect_uids;
	a->cfg.protect_cgroups = nc.protect_cgroups;
	a->cfg.n_protect_cgroups = nc.n_protect_cgroups;
	sw_info("SIGHUP: policy '%s' reloaded: %d pids, %d comms, %d cgroups, %d paths "
		"allowed; %d uids, %d cgroups protected", a->policy_path, a->cfg.n_allow_pids,
		a->cfg.n_allow_comms, a->cfg.n_allow_cgroups, a->cfg.n_allow_paths,
		a->cfg.n_protect_uids, a->cfg.n_protect_cgroups);
	return 0;
fail:
	policy_free(&nc);
	return -1;
}
