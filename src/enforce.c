// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch enforce: stop unsafe writers at syscall entry, before their bytes land. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sw.h"
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
};

static void enforce_usage(FILE *f)
{
	fprintf(f,
		"Usage: splicewatch enforce [OPTIONS]\n"
		"\n"
		"Detect exactly what `trace` detects and act on the writer from inside the\n"
		"BPF program, at syscall entry: by default SIGKILL, which stops write(2),\n"
		"pwrite(2) and writev(2) before they modify the page. Every action is\n"
		"reported like a trace event with \"action\" set.\n"
		"\n"
		"Options:\n"
		"  --action kill        SIGKILL the writing process (default)\n"
		"  --signal SIG         send SIG instead (name or number); the write then\n"
		"                       proceeds unless SIG is fatal: action \"signalled\"\n"
		"  --thread             signal only the writing thread\n"
		"  --dry-run            act on nobody; report \"would_kill\"\n"
		"  --allow-pid PID      never act on this process (repeatable)\n"
		"  --allow-comm NAME    never act on processes with this comm (repeatable)\n"
		"  --allow-cgroup PATH  never act on processes in this cgroup v2 (repeatable)\n"
		"  -j, --json           JSON Lines output\n"
		"  -o, --output FILE    write events to FILE\n"
		SW_FILTER_HELP
		SW_SESSION_HELP
		"  -h, --help           this help\n"
		"\n"
		"Never signalled: pid 1, kernel threads, splicewatch itself. Allowed writers\n"
		"are reported with \"action\": \"allowed\". ftruncate(2) and\n"
		"fallocate(2) hole punching complete even when the caller is killed at entry:\n"
		"they are reported as \"killed_late\". Stores through a shared mapping are\n"
		"seen only on a page's first clean-to-dirty transition. When splicewatch exits\n"
		"(any way), enforcement stops.\n");
}

static int add_allow(struct sw_config *cfg, int opt, const char *arg)
{
	uint64_t v;
	struct stat st;

	switch (opt) {
	case OPT_ALLOW_PID:
		if (!parse_u64(arg, &v) || !v || v > 0x7fffffff) {
			sw_err("--allow-pid: '%s' is not a process id", arg);
			return -1;
		}
		cfg->allow_pids = realloc(cfg->allow_pids, (cfg->n_allow_pids + 1) * sizeof(uint32_t));
		if (!cfg->allow_pids)
			return -1;
		cfg->allow_pids[cfg->n_allow_pids++] = v;
		return 0;
	case OPT_ALLOW_COMM:
		if (!arg[0] || strlen(arg) >= SW_TASK_COMM_LEN) {
			sw_err("--allow-comm: '%s' must be 1 to %d bytes", arg, SW_TASK_COMM_LEN - 1);
			return -1;
		}
		cfg->allow_comms = realloc(cfg->allow_comms, (cfg->n_allow_comms + 1) * SW_TASK_COMM_LEN);
		if (!cfg->allow_comms)
			return -1;
		memset(cfg->allow_comms[cfg->n_allow_comms], 0, SW_TASK_COMM_LEN);
		strcpy(cfg->allow_comms[cfg->n_allow_comms++], arg);
		return 0;
	case OPT_ALLOW_CGROUP:
		if (stat(arg, &st) || !S_ISDIR(st.st_mode)) {
			sw_err("--allow-cgroup: '%s' is not a cgroup v2 directory", arg);
			return -1;
		}
		cfg->allow_cgroups = realloc(cfg->allow_cgroups,
					     (cfg->n_allow_cgroups + 1) * sizeof(uint64_t));
		if (!cfg->allow_cgroups)
			return -1;
		cfg->allow_cgroups[cfg->n_allow_cgroups++] = st.st_ino;
		return 0;
	}
	return -1;
}

int cmd_enforce(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "signal", required_argument, NULL, OPT_SIGNAL },
		{ "thread", no_argument, NULL, OPT_THREAD },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "action", required_argument, NULL, OPT_ACTION },
		{ "allow-pid", required_argument, NULL, OPT_ALLOW_PID },
		{ "allow-comm", required_argument, NULL, OPT_ALLOW_COMM },
		{ "allow-cgroup", required_argument, NULL, OPT_ALLOW_CGROUP },
		SW_FILTER_LONGOPTS,
		SW_SESSION_LONGOPTS,
		{ 0 }
	};
	struct sw_config cfg;
	struct sw_output out = { 0 };
	const char *out_path = NULL;
	int opt, r, rc = SW_EXIT_USAGE;

	sw_config_defaults(&cfg);
	cfg.mode = SW_MODE_ENFORCE;
	sw_filter_init(&out.filter);
	while ((opt = getopt_long(argc, argv, "+jo:hp:c:C:P:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			out.json = true;
			continue;
		case 'o':
			out_path = optarg;
			continue;
		case 'h':
			enforce_usage(stdout);
			rc = 0;
			goto out;
		case OPT_SIGNAL:
			cfg.signal = parse_signal(optarg);
			if (cfg.signal < 0) {
				sw_err("--signal: unknown signal '%s'", optarg);
				goto out;
			}
			continue;
		case OPT_THREAD:
			cfg.signal_thread = true;
			continue;
		case OPT_DRY_RUN:
			cfg.dry_run = true;
			continue;
		case OPT_ACTION:
			if (!strcmp(optarg, "kill"))
				continue;
			if (!strcmp(optarg, "deny")) {
				sw_info("--action deny needs BPF LSM, which this build does not use; "
					"falling back to kill");
				continue;
			}
			sw_err("--action: '%s' is not kill or deny", optarg);
			goto out;
		case OPT_ALLOW_PID:
		case OPT_ALLOW_COMM:
		case OPT_ALLOW_CGROUP:
			if (add_allow(&cfg, opt, optarg))
				goto out;
			continue;
		}
		r = sw_filter_option(&out.filter, opt, optarg);
		if (!r)
			r = sw_config_option(&cfg, opt, optarg);
		if (r <= 0) {
			if (!r)
				fprintf(stderr, "Try 'splicewatch enforce --help'.\n");
			goto out;
		}
	}
	if (optind < argc) {
		sw_err("enforce: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	out.f = sw_open_output(out_path);
	if (!out.f)
		goto out;
	rc = sw_watch(&cfg, &out, cfg.dry_run ? "enforcing (dry run: acting on nobody)"
					      : "enforcing: unsafe writers will be signalled");
	if (out.f != stdout)
		fclose(out.f);
out:
	free(cfg.allow_pids);
	free(cfg.allow_comms);
	free(cfg.allow_cgroups);
	return rc;
}
