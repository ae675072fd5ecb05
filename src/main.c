// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch: catch writes that corrupt data already handed to a pipe. */
#include <string.h>
#include "sw.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "trace", cmd_trace, "report every write into bytes a pipe still holds" },
	{ "enforce", cmd_enforce, "stop unsafe writers before their bytes land" },
	{ "ci", cmd_ci, "run a command under watch; fail if it writes unsafely" },
	{ "features", cmd_features, "what this kernel offers and what splicewatch will use" },
	{ "stats", cmd_stats, "copy-path counters per process and file, one snapshot per interval" },
	{ "top", cmd_top, "refreshing view of the busiest copy-path processes and files" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: splicewatch [-v] COMMAND [OPTIONS]\n"
		"       splicewatch help [COMMAND]\n"
		"       splicewatch --version | --help\n"
		"\n"
		"splice(2), sendfile(2), tee(2) and vmsplice(2) put references to page-cache\n"
		"pages into pipes instead of copying. A write to those bytes of the file before\n"
		"the pipe is drained silently changes data that was already sent.\n"
		"splicewatch watches the kernel with BPF and reports or stops such writes.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n", "help", "this help, or a command's");
	fprintf(f,
		"\n"
		"Global options:\n"
		"  -v, --verbose   more diagnostics (at exit, skipped runs per program;\n"
		"                  repeat for libbpf debug output); also taken after COMMAND\n"
		"  -h, --help      this help; `splicewatch help COMMAND` or\n"
		"                  `splicewatch COMMAND --help` for a command\n"
		"  -V, --version   print the version\n"
		"\n"
		"Exit status: 0 on success, 2 on usage or setup errors (missing capabilities,\n"
		"no BTF, programs that cannot load), 1 when writing the output failed; `ci`\n"
		"adds 3 for unsafe writes found.\n"
		"See splicewatch(8).\n");
}

#define N_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* `splicewatch help [COMMAND]`: this usage, or COMMAND's (as COMMAND --help). */
static int help(int argc, char **argv)
{
	char help_opt[] = "--help", *args[3] = { NULL, help_opt, NULL };

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (argc > 2) {
		sw_err("help: one COMMAND at most (see splicewatch --help)");
		return SW_EXIT_USAGE;
	}
	for (size_t c = 0; c < N_COMMANDS; c++)
		if (!strcmp(argv[1], commands[c].name)) {
			args[0] = argv[1];
			return commands[c].fn(2, args);
		}
	sw_err("help: unknown command '%s' (see splicewatch --help)", argv[1]);
	return SW_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("splicewatch %s\n", SW_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			sw_verbose++;
		} else if (!strcmp(argv[i], "-vv")) {
			sw_verbose += 2;
		} else {
			sw_err("unknown option '%s' (see splicewatch --help)", argv[i]);
			return SW_EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help"))
		return help(argc - i, argv + i);
	for (size_t c = 0; c < N_COMMANDS; c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].fn(argc - i, argv + i);
	sw_err("unknown command '%s' (see splicewatch --help)", argv[i]);
	return SW_EXIT_USAGE;
}
