// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Helpers every part of the frontend uses (common.h). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
#include "splicewatch.h"

int sw_verbose;
volatile sig_atomic_t sw_stop;
volatile sig_atomic_t sw_stop_signal;

static void vmsg(const char *fmt, va_list ap)
{
	fputs("splicewatch: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sw_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void sw_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int sw_parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
		     const struct option *longopts, void (*usage)(FILE *f),
		     int (*fn)(void *ctx, int opt, const char *arg), void *ctx, bool operands)
{
	/* -v/--verbose, a global option, is taken after the sub-command too. */
	static const struct option verbose = { "verbose", no_argument, NULL, 'v' };
	struct option *lo;
	char *so;
	size_t n = 0;
	int opt, r = 0;

	while (longopts[n].name)
		n++;
	lo = calloc(n + 2, sizeof(*lo));
	so = malloc(strlen(shortopts) + 2);
	if (!lo || !so) {
		free(lo);
		free(so);
		sw_err("%s: out of memory", cmd);
		return -1;
	}
	memcpy(lo, longopts, n * sizeof(*lo));
	lo[n] = verbose;
	strcpy(so, shortopts);
	strcat(so, "v");
	while ((opt = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			r = 1;
			break;
		}
		if (opt == 'v') {
			sw_verbose++;
			continue;
		}
		r = fn(ctx, opt, optarg);
		if (r < 0)
			break;
		if (!r) {	/* getopt said why */
			fprintf(stderr, "Try 'splicewatch %s --help'.\n", cmd);
			r = -1;
			break;
		}
		r = 0;
	}
	free(lo);
	free(so);
	if (r)
		return r;
	if (!operands && optind < argc) {
		sw_err("%s: unexpected argument '%s'", cmd, argv[optind]);
		return -1;
	}
	return 0;
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

uint64_t sw_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int64_t sw_mono_to_real_now(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return (int64_t)(r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

static char node_name[SW_NODE_MAX + 1];

const char *sw_node_invalid(const char *name)
{
	size_t n = strlen(name);

	if (!n)
		return "it is empty";
	if (n > SW_NODE_MAX)
		return "it is longer than 253 characters";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] >= 0x7f)
			return "only printable ASCII characters, no spaces, may be in it";
	return NULL;
}

int sw_node_set(const char *name, const char *what)
{
	const char *why = sw_node_invalid(name);

	if (why) {
		sw_err("%s: '%.*s' is not a node name: %s", what, 300, name, why);
		return -1;
	}
	strcpy(node_name, name);
	return 0;
}

const char *sw_node(void)
{
	/* gethostname() truncates without saying so where the buffer is short:
	 * the name is 64 bytes at most on Linux, the buffer longer. */
	if (!node_name[0] && (gethostname(node_name, sizeof(node_name) - 1) || !node_name[0]))
		strcpy(node_name, "localhost");
	return node_name;
}

size_t sw_comm_len(const char *comm)
{
	return strnlen(comm, SW_TASK_COMM_LEN);
}

/* Prints s like sw_put_printable: the columns it took. */
static int put_printable(FILE *f, const char *s, size_t len)
{
	int cols = 0;

	for (size_t i = 0; i < len && s[i]; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\x%02x", c);
			cols += 4;
		} else {
			fputc(c, f);
			cols++;
		}
	}
	return cols;
}

void sw_put_printable(FILE *f, const char *s, size_t len)
{
	put_printable(f, s, len);
}

void sw_put_printable_pad(FILE *f, const char *s, size_t len, int width)
{
	int cols = put_printable(f, s, len);

	if (cols < width)
		fprintf(f, "%*s", width - cols, "");
}
