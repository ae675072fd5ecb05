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
		"records, pages still held) and exits 0. Exit status 2: usage or setup error.\n");
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		SW_FILTER_LONGOPTS,
		SW_SESSION_LONGOPTS,
		{ 0 }
	};
	struct sw_config cfg;
	struct sw_output out = { 0 };
	const char *out_path = NULL;
	int opt, r;

	sw_config_defaults(&cfg);
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
			trace_usage(stdout);
			return 0;
		}
		if (sw_watch_option("trace", &out.filter, &cfg, opt, optarg) < 0)
			return SW_EXIT_USAGE;
	}
	if (sw_no_operands("trace", argc, argv))
		return SW_EXIT_USAGE;
	out.f = sw_open_output(out_path);
	if (!out.f)
		return SW_EXIT_USAGE;
	r = sw_watch(&cfg, &out, "tracing unsafe writes");
	if (out.f != stdout)
		fclose(out.f);
	return r;
}
