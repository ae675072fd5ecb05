// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch enforce: stop unsafe writers at syscall entry, before their bytes land. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sw.h"
#include "policy.h"
#include "watch.h"

enum {
	OPT_SIGNAL = OPT_FIRST_LOCAL,
	OPT_THREAD,
	OPT_DRY_RUN,
	OPT_ACTION,
	OPT_ALLOW_PID,
	OPT_ALLOW_COMM,
	OPT_ALLOW_CGROUP,
	OPT_ALLOW_PATH,
	OPT_PROTECT_UID,
	OPT_PROTECT_CGROUP,
	OPT_ALLOW_NS_INIT,
	OPT_ON_UNTRACKED,
	OPT_POLICY,
	OPT_FALLBACK,
};

static void enforce_usage(FILE *f)
{
	fprintf(f,
		"Usage: splicewatch enforce [OPTIONS]\n"
		"\n"
		"Detect exactly what `trace` detects and act on the writer from inside the\n"
		"BPF program, at syscall entry: by default SIGKILL, which stops write(2),\n"
		"pwrite(2), writev(2), copy_file_range(2), splice(2) and sendfile(2) into a\n"
		"file before they modify the page. Every unsafe write is reported like a\n"
		"trace event with \"action\" set: killed, killed_late, denied,\n"
		"signalled, would_kill or allowed.\n"
		"\n"
		"Options:\n"
		"  --policy FILE        read the policy (action, fallback, on_untracked,\n"
		"                       signal, thread, dry_run, allow_ns_init, verify, the\n"
		"                       allowlists and protect, and the output: output,\n"
		"                       format; the daemon's one config file)\n"
		"                       from a YAML file; see docs/enforce.md.\n"
		"                       The options below override its settings and add to\n"
		"                       its allowlists, wherever --policy stands\n"
		"  --action kill|deny   kill: signal the writer (default). deny: refuse the\n"
		"                       write with EPERM through BPF LSM and let the writer\n"
		"                       live (\"denied\"). deny needs bpf in\n"
		"                       /sys/kernel/security/lsm (boot with lsm=...,bpf):\n"
		"                       without it, or if the kernel refuses the LSM\n"
		"                       programs, enforce exits 2 and loads nothing\n"
		"  --fallback kill|dry-run\n"
		"                       what --action deny (and --on-untracked deny) does\n"
		"                       instead where it cannot deny (said on stderr): kill\n"
		"                       (\"killed\") or act on nobody (\"would_kill\");\n"
		"                       unused with deny in force\n"
		"  --on-untracked report|deny|kill\n"
		"                       a write to pages of a file whose hold the index\n"
		"                       could not track (a limit met: \"untracked_hold\"),\n"
		"                       where that hold would be trusted for the writer:\n"
		"                       report it (default), refuse it (as --action deny,\n"
		"                       BPF LSM) or kill the writer. Only holds whose file\n"
		"                       is known count; see docs/enforce.md\n"
		"  --signal SIG         send SIG instead (name or number); the write then\n"
		"                       proceeds unless SIG is fatal: action \"signalled\"\n"
		"  --thread             signal only the writing thread, not its process\n"
		"                       (SIGKILL kills the whole process all the same)\n"
		"  --dry-run            act on nobody; report \"would_kill\"\n"
		"  --allow-pid PID      never act on this process (tgid; repeatable).\n"
		"                       A convenience, not a security boundary: pids are reused\n"
		"  --allow-comm NAME    never act on threads with this comm (repeatable).\n"
		"                       A convenience, not a security boundary: any process\n"
		"                       sets its own comm (prctl PR_SET_NAME)\n"
		"  --allow-cgroup PATH  never act on processes in this cgroup v2 directory\n"
		"                       (exactly that cgroup, not its descendants; repeatable)\n"
		"  --allow-path PATH    never act on writes to the existing file or directory\n"
		"                       PATH, matched by identity (device, inode), resolved\n"
		"                       at start: the file itself, or a file below the\n"
		"                       directory within the directory's own filesystem\n"
		"                       that has no other hard link (up to %d levels down;\n"
		"                       filesystems mounted below need their own rule; a\n"
		"                       bind mount or hard link elsewhere does not count;\n"
		"                       absolute; up to %d in all)\n"
		"  --allow-ns-init      never act on pid 1 of a pid namespace other than the\n"
		"                       initial one (a container's init). Off by default:\n"
		"                       any user can become one (unshare -Urpf)\n"
		"  --protect-uid USER   act on writes into bytes held by USER (name or uid),\n"
		"                       whoever the writer is (repeatable). Without it a\n"
		"                       hold counts for action only when its holder (the\n"
		"                       splicer and the pipe's owner) is root or the\n"
		"                       writer's own user; other users' holds are reported\n"
		"                       with \"holder_trusted\": false, never acted on\n"
		"  --protect-cgroup PATH  the same for splicers in this cgroup v2 directory\n"
		"                       (exactly that cgroup, at the splice; repeatable)\n"
		"  --verify             content checks (as trace --verify), and act on the\n"
		"                       task about to take changed bytes out of a pipe\n"
		"                       (read, readv, splice, vmsplice) with the same\n"
		"                       signal, when no unsafe write whose bytes landed\n"
		"                       explains the change and nobody but root and the\n"
		"                       reader's own user can write the file (not FUSE, not\n"
		"                       mounted by a user namespace); a splice out then\n"
		"                       moves nothing, a read still copies. tee carries the\n"
		"                       change to its target pipe. Under --action deny,\n"
		"                       readers get what --fallback says (needed)\n"
		"  -j, --json           JSON Lines output\n"
		"  -o, --output FILE    append events to FILE (as trace -o)\n"
		SW_JOURNAL_HELP
		SW_FLOW_HELP
		SW_FILTER_HELP
		"                       (filters choose what is printed, not who is acted on)\n"
		SW_PROM_HELP
		SW_SESSION_HELP
		"  -h, --help           this help\n"
		"\n"
		"Never signalled: pid 1 (of the initial pid namespace), kernel threads,\n"
		"splicewatch itself. Allowed writers are reported with \"action\":\n"
		"\"allowed\". ftruncate(2), truncate(2) and fallocate(2) complete even when\n"
		"the caller is killed at entry: they are reported as \"killed_late\". Stores through a shared mapping are seen only on\n"
		"a page's first clean-to-dirty transition. When splicewatch exits (any way,\n"
		"SIGKILL included), enforcement stops. SIGHUP opens FILE again and reads\n"
		"the --policy file again: its allowlists and protect lists take effect\n"
		"with the programs attached; a file that is malformed or changes action,\n"
		"fallback, signal, thread, dry_run, allow_ns_init or verify is refused (said) and\n"
		"the policy in force stays.\n"
		"\n"
		"Exit status: 0 when stopped by SIGINT or SIGTERM; 2 on a bad option or policy\n"
		"file (reported as FILE:LINE: reason; nothing is loaded), on --action deny or\n"
		"--on-untracked deny without BPF LSM and no --fallback, on --verify with\n"
		"--action deny and no --fallback, or on a setup error.\n",
		SW_PATH_DEPTH, SW_ALLOW_PATHS_MAX);
}

static int add_allow(struct sw_config *cfg, int opt, const char *arg)
{
	static const struct {
		int opt;
		enum policy_allow kind;
		const char *name;
	} kinds[] = {
		{ OPT_ALLOW_PID, POLICY_ALLOW_PID, "--allow-pid" },
		{ OPT_ALLOW_COMM, POLICY_ALLOW_COMM, "--allow-comm" },
		{ OPT_ALLOW_CGROUP, POLICY_ALLOW_CGROUP, "--allow-cgroup" },
		{ OPT_ALLOW_PATH, POLICY_ALLOW_PATH, "--allow-path" },
		{ OPT_PROTECT_UID, POLICY_PROTECT_UID, "--protect-uid" },
		{ OPT_PROTECT_CGROUP, POLICY_PROTECT_CGROUP, "--protect-cgroup" },
	};
	char why[384];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].opt != opt)
			continue;
		if (policy_allow_add(cfg, kinds[i].kind, arg, why, sizeof(why))) {
			sw_err("%s: %s", kinds[i].name, why);
			return -1;
		}
		return 0;
	}
	return -1;
}

/* The command line; its settings are applied over the policy file's. */
struct enforce_args {
	struct sw_watch_args w;
	const char *policy_path;
	int signal;		/* -1: not given */
	int deny;		/* -1: not given */
	int fallback;		/* -1: not given, else enum sw_fallback */
	int on_untracked;	/* -1: not given, else enum sw_on_untracked */
	bool thread;
	bool dry_run;
	bool allow_ns_init;
};

static int enforce_option(void *ctx, int opt, const char *arg)
{
	struct enforce_args *a = ctx;

	switch (opt) {
	case OPT_POLICY:
		if (a->policy_path) {
			sw_err("--policy: only one policy file (given '%s' and '%s')",
			       a->policy_path, arg);
			return -1;
		}
		a->policy_path = arg;
		return 1;
	case OPT_SIGNAL:
		a->signal = parse_signal(arg);
		if (a->signal < 0) {
			sw_err("--signal: unknown signal '%s'", arg);
			return -1;
		}
		return 1;
	case OPT_THREAD:
		a->thread = true;
		return 1;
	case OPT_DRY_RUN:
		a->dry_run = true;
		return 1;
	case OPT_ALLOW_NS_INIT:
		a->allow_ns_init = true;
		return 1;
	case OPT_ACTION:
		if (!strcmp(arg, "kill") || !strcmp(arg, "deny")) {
			a->deny = !strcmp(arg, "deny");
			return 1;
		}
		sw_err("--action: '%s' is not kill or deny", arg);
		return -1;
	case OPT_ON_UNTRACKED: {
		uint32_t how;

		if (policy_on_untracked_parse(arg, &how)) {
			sw_err("--on-untracked: '%s' is not report, deny or kill", arg);
			return -1;
		}
		a->on_untracked = how;
		return 1;
	}
	case OPT_FALLBACK: {
		enum sw_fallback f;

		if (policy_fallback_parse(arg, &f)) {
			sw_err("--fallback: '%s' is not kill or dry-run", arg);
			return -1;
		}
		a->fallback = f;
		return 1;
	}
	case OPT_ALLOW_PID:
	case OPT_ALLOW_COMM:
	case OPT_ALLOW_CGROUP:
	case OPT_ALLOW_PATH:
	case OPT_PROTECT_UID:
	case OPT_PROTECT_CGROUP:
		return add_allow(&a->w.cfg, opt, arg) ? -1 : 1;
	}
	return sw_watch_option(&a->w, opt, arg);
}

int cmd_enforce(int argc, char **argv)
{
	static const struct option longopts[] = {
		SW_OUTPUT_LONGOPTS,
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "signal", required_argument, NULL, OPT_SIGNAL },
		{ "thread", no_argument, NULL, OPT_THREAD },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "action", required_argument, NULL, OPT_ACTION },
		{ "fallback", required_argument, NULL, OPT_FALLBACK },
		{ "allow-pid", required_argument, NULL, OPT_ALLOW_PID },
		{ "allow-comm", required_argument, NULL, OPT_ALLOW_COMM },
		{ "allow-cgroup", required_argument, NULL, OPT_ALLOW_CGROUP },
		{ "allow-path", required_argument, NULL, OPT_ALLOW_PATH },
		{ "protect-uid", required_argument, NULL, OPT_PROTECT_UID },
		{ "protect-cgroup", required_argument, NULL, OPT_PROTECT_CGROUP },
		{ "allow-ns-init", no_argument, NULL, OPT_ALLOW_NS_INIT },
		{ "on-untracked", required_argument, NULL, OPT_ON_UNTRACKED },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		SW_FILTER_LONGOPTS,
		SW_SESSION_LONGOPTS,
		{ 0 }
	};
	struct enforce_args a = { .signal = -1, .deny = -1, .fallback = -1, .on_untracked = -1 };
	struct sw_config *cfg = &a.w.cfg;
	static struct policy_info pol;
	char why[1024];
	int r, rc = SW_EXIT_USAGE;

	sw_watch_args_init(&a.w);
	cfg->mode = SW_MODE_ENFORCE;
	r = sw_parse_options("enforce", argc, argv, SW_WATCH_SHORTOPTS, longopts, enforce_usage,
			     enforce_option, &a, false);
	if (r) {
		rc = r > 0 ? 0 : SW_EXIT_USAGE;
		goto out;
	}
	/* The file first, then the command line over it; before anything is loaded. */
	sw_reload_cli_done(&a.w, a.policy_path);	/* SIGHUP reads the file again */
	if (a.policy_path && policy_load(a.policy_path, cfg, &pol, why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		sw_err("enforce: policy '%s' rejected; nothing was started", a.policy_path);
		goto out;
	}
	sw_reload_file_done(&a.w, &pol);
	sw_watch_output_from(&a.w, &pol);
	if (a.signal > 0)
		cfg->signal = a.signal;
	if (a.thread)
		cfg->signal_thread = true;
	if (a.dry_run)
		cfg->dry_run = true;
	if (a.allow_ns_init)
		cfg->allow_ns_init = true;
	if (cfg->verify)
		a.w.verify = true;
	if (a.deny >= 0)
		pol.action_deny = a.deny;
	if (a.fallback >= 0)
		cfg->fallback = a.fallback;
	if (a.on_untracked >= 0)
		cfg->on_untracked = a.on_untracked;
	/* Without BPF LSM the session refuses to start, or does what
	 * cfg->fallback says and says so. */
	cfg->deny = pol.action_deny;
	rc = sw_watch(&a.w, cfg->dry_run ? "enforcing (dry run: acting on nobody)"
					 : "enforcing: unsafe writers will be signalled");
out:
	policy_free(cfg);
	return rc;
}
