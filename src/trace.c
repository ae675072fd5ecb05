// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch trace: report every unsafe write as it happens. */
#include <string.h>
#include "sw.h"
#include "watch.h"

static void trace_usage(FILE *f)
{
	fprintf(f,
		"Usage: splicewatch trace [OPTIONS]\n"
		"\n"
		"Report every write that modifies bytes of a file while a pipe still holds\n"
		"them (spliced, sent with sendfile, tee'd or vmspliced and not yet read).\n"
		"One line per unsafe write: time, writer, write path, written and held byte\n"
		"ranges, the pipe and who spliced into it, how long ago, and the file.\n"
		"\n"
		"Options:\n"
		"  -j, --json           JSON Lines: one object per event\n"
		"  -o, --output FILE    append events to FILE instead of standard output:\n"
		"                       a regular file (created mode 0600) or a FIFO with a\n"
		"                       reader; never through a symbolic link another user\n"
		"                       could have made; opened once the programs are loaded\n"
		SW_JOURNAL_HELP
		SW_FLOW_HELP
		SW_FILTER_HELP
		SW_PROM_HELP
		SW_SESSION_HELP
		"      --verify         content checks: fingerprint the bytes pipes take in by\n"
		"                       reference and report any change no unsafe write\n"
		"                       explains (unexplained_change), checked before the\n"
		"                       bytes leave the pipe, when it is closed and every\n"
		"                       second; Linux 5.17+, and a page address (features)\n"
		"  -h, --help           this help\n"
		"\n"
		"Records the ring buffer loses are said as they happen (at most once a\n"
		"second; JSON: {\"event\":\"lost\",\"records\":N}). SIGHUP opens FILE again\n"
		"(after it was rotated); the programs stay attached. On SIGINT or SIGTERM it\n"
		"prints a summary to standard error (events detected and shown, lost\n"
		"records, pages still held, holds the index could not track) and exits 0.\n"
		"Exit status 1: writing the output failed (its error is said; a reader\n"
		"that went away ends the run at once); 2: usage or setup error.\n");
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		SW_OUTPUT_LONGOPTS,
		SW_FILTER_LONGOPTS,
		SW_SESSION_LONGOPTS,
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ 0 }
	};
	struct sw_watch_args a;
	int r;

	sw_watch_args_init(&a);
	r = sw_parse_options("trace", argc, argv, SW_WATCH_SHORTOPTS, longopts, trace_usage,
			     sw_watch_option, &a, false);
	if (r)
		return r > 0 ? 0 : SW_EXIT_USAGE;
	return sw_watch(&a, "tracing unsafe writes");
}
