// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch: catch writes that corrupt data already handed to a pipe. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "sw.h"

volatile sig_atomic_t sw_stop;
volatile sig_atomic_t sw_stop_signal;

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
	fprintf(f,
		"\n"
		"Global options:\n"
		"  -v, --verbose   more diagnostics (repeat for libbpf debug output)\n"
		"  -h, --help      this help; `splicewatch COMMAND --help` for a command\n"
		"  -V, --version   print the version\n"
		"\n"
		"Exit status: 0 on success, 2 on usage or setup errors (not root, no BTF,\n"
		"programs that cannot load); `ci` adds 3 for unsafe writes found.\n"
		"See splicewatch(8).\n");
}

void sw_err(const char *fmt, ...)
{
	va_list ap;

	fputs("splicewatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sw_unknown_option(const char *cmd)
{
	fprintf(stderr, "Try 'splicewatch %s --help'.\n", cmd);
	return -1;
}

int sw_no_operands(const char *cmd, int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	sw_err("%s: unexpected argument '%s'", cmd, argv[optind]);
	return -1;
}

void sw_info(const char *fmt, ...)
{
	va_list ap;

	fputs("splicewatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ABRT", SIGABRT },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "SYS", SIGSYS },
	{ "BUS", SIGBUS },
};

/* "KILL", "SIGKILL", "kill" or "9"; -1 if not a signal we may send. */
int parse_signal(const char *name)
{
	uint64_t n;

	if (parse_u64(name, &n))
		return n >= 1 && n <= 64 ? (int)n : -1;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcasecmp(name, signals[i].name))
			return signals[i].sig;
	return -1;
}

const char *signal_name(int sig)
{
	static char buf[16];

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].sig == sig) {
			snprintf(buf, sizeof(buf), "SIG%s", signals[i].name);
			return buf;
		}
	snprintf(buf, sizeof(buf), "%d", sig);
	return buf;
}

static void on_stop(int sig)
{
	sw_stop = 1;
	sw_stop_signal = sig;
}

int sw_install_stop_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
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
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].fn(argc - i, argv + i);
	sw_err("unknown command '%s' (see splicewatch --help)", argv[i]);
	return SW_EXIT_USAGE;
}
