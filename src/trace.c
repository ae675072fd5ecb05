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
		"  -o, --output FILE    write events to FILE instead of standard output\n"
		SW_FILTER_HELP
		SW_SESSION_HELP
		"  -h, --help           this help\n"
		"\n"
		"On SIGINT or SIGTERM it prints a summary to standard error (events, lost\n"
		"records, pages still held, holds the index could not track) and exits 0.\n"
		"Exit status 2: usage or setup error.\n");
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		SW_OUTPUT_LONGOPTS,
		SW_FILTER_LONGOPTS,
		SW_SESSION_LONGOPTS,
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
