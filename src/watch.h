/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Long options shared by the watching sub-commands (values outside the char range). */
#ifndef SW_WATCH_H
#define SW_WATCH_H

#include <getopt.h>
#include "sw.h"
#include "outfile.h"

enum {
	OPT_MAX_HOLDS = 0x100,
	OPT_RINGBUF,
	OPT_BACKEND,
	OPT_USER_SHARE,
	OPT_JOURNAL,
	OPT_PROMETHEUS,
	OPT_NODE,
	OPT_AGGREGATE,
	OPT_VERIFY,
	OPT_FIRST_LOCAL = 0x200,	/* sub-commands number their own from here */
};

/* trace and enforce: output options first, then their own, then these two. */
#define SW_WATCH_SHORTOPTS	"+jo:hp:t:u:n:c:C:P:d:"
#define SW_OUTPUT_LONGOPTS						\
	{ "json", no_argument, NULL, 'j' },				\
	{ "output", required_argument, NULL, 'o' },			\
	{ "journal", no_argument, NULL, OPT_JOURNAL },			\
	{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },	\
	{ "aggregate", required_argument, NULL, OPT_AGGREGATE },	\
	{ "duration", required_argument, NULL, 'd' },			\
	{ "help", no_argument, NULL, 'h' }

#define SW_SESSION_LONGOPTS						\
	{ "max-holds", required_argument, NULL, OPT_MAX_HOLDS },	\
	{ "user-share", required_argument, NULL, OPT_USER_SHARE },	\
	{ "ringbuf-kib", required_argument, NULL, OPT_RINGBUF },	\
	{ "backend", required_argument, NULL, OPT_BACKEND },		\
	{ "node", required_argument, NULL, OPT_NODE }

#define SW_FILTER_LONGOPTS						\
	{ "pid", required_argument, NULL, 'p' },			\
	{ "tid", required_argument, NULL, 't' },			\
	{ "uid", required_argument, NULL, 'u' },			\
	{ "comm", required_argument, NULL, 'n' },			\
	{ "cgroup", required_argument, NULL, 'c' },			\
	{ "path", required_argument, NULL, 'P' }

#define SW_PROM_HELP							\
	"  --prometheus ADDR:PORT\n"					\
	"                       serve the detection's metrics at\n"		\
	"                       http://ADDR:PORT/metrics and /healthz (200 while the\n" \
	"                       programs are attached and the loop runs); labels\n" \
	"                       carry no paths or comms; ADDR other than loopback\n" \
	"                       is warned about; a port in use is an error\n"

/* Indented by PAD more in ci's help. */
#define SW_NODE_HELP(PAD)						\
	"  --node NAME          " PAD "the \"node\" of every JSON record (default:\n" \
	"                       " PAD "the host name); 1 to 253 printable ASCII\n" \
	"                       " PAD "characters, no spaces\n"

#define SW_SESSION_HELP							\
	"  --backend NAME       auto (default: fentry, else kprobe, else tracepoint),\n"	\
	"                       fentry, kprobe or tracepoint (a forced backend that\n"	\
	"                       cannot load is an error)\n"	\
	"  --max-holds N        size of the hold index: about N held pages in runs\n" \
	"                       (N/4 entries of 64 file pages, N/16 pipes and files\n" \
	"                       with held pages, at least 1024; default 262144)\n" \
	"  --user-share PERCENT how much of each map of the hold index (pipes,\n" \
	"                       64-page chunks, files) one non-root user may fill\n" \
	"                       (1 to 100, default 25; 100: no limit); beyond, its\n" \
	"                       holds are untracked (user_quota); with --verify,\n" \
	"                       also of the fingerprint table\n" \
	"  --ringbuf-kib N      event ring buffer size in KiB (default 4096)\n" \
	SW_NODE_HELP("")

#define SW_JOURNAL_HELP							\
	"  --journal            send events to the systemd journal instead: MESSAGE\n" \
	"                       the event's line (text, or JSON with --json), a\n" \
	"                       SPLICEWATCH_<KEY> field per JSON key, PRIORITY\n" \
	"                       warning (err when the writer was acted on); syslog\n" \
	"                       where there is no journal\n"

#define SW_FILTER_HELP							\
	"  -p, --pid PID        only writes by this process (tgid)\n"	\
	"  -t, --tid TID        only writes by this thread\n"		\
	"  -u, --uid USER       only writes by this real user (name or uid)\n" \
	"  -n, --comm NAME      only writes by threads with this comm (was -c)\n" \
	"  -c, --cgroup PATH    only writes from this cgroup v2 directory (was -C)\n" \
	"  -P, --path PREFIX    only writes to files under this absolute path\n"

#define SW_FLOW_HELP							\
	"  --aggregate WINDOW   fold repeats: the first write of a (user, pid, file,\n" \
	"                       op, action) goes out at once, its repeats within\n" \
	"                       WINDOW (10s, 500ms, 2m) go out as one line with\n" \
	"                       count when the window closes (or at exit); 0 or off:\n" \
	"                       every write its own line. With --verify, changes too\n" \
	"                       (holder's user, reader and its user, file, check,\n" \
	"                       action). Default: 10s for text to a terminal, else off\n" \
	"  -d, --duration SECONDS\n"					\
	"                       stop after SECONDS (summary, exit 0)\n"

/* What a policy file set that only a start can change (reload.c). */
struct sw_policy_fixed {
	int signal;
	bool signal_thread;
	bool dry_run;
	bool allow_ns_init;
	bool verify;
	bool action_deny;
	enum sw_fallback fallback;
	uint32_t on_untracked;
	char output[4096];		/* "output:" ("": not set) */
	int format;			/* "format:": 0 not set, 1 text, 2 json */
	char node[SW_NODE_MAX + 1];	/* "node:" ("": not set) */
	uint64_t aggregate_ns;		/* "aggregate:" (UINT64_MAX: not set) */
};

/* What trace and enforce read from the command line. */
struct sw_watch_args {
	struct sw_config cfg;
	struct sw_output out;
	const char *out_path;		/* -o; NULL: stdout */
	bool out_given;			/* -o or --journal on the command line */
	bool format_given;		/* -j on the command line */
	bool node_given;		/* --node on the command line */
	const char *prom_addr;		/* --prometheus ADDR:PORT, or NULL */
	bool agg_given;			/* --aggregate on the command line */
	uint64_t agg_ns;		/* its window (0: off) */
	uint64_t duration_ns;		/* -d; 0: until stopped */
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC end of the run (-d) */
	struct sw_outfile file;		/* out_path, once the programs are attached */
	/* enforce --policy: SIGHUP reads the file again (reload.c) */
	const char *policy_path;
	int n_cli[SW_LIST__COUNT];	/* the first entries of each list: the command line's */
	struct sw_policy_fixed fixed;	/* the file's settings at start */
	bool verify;			/* trace --verify: content checks */
	struct sw_verify *verifier;	/* ... running */
};

void sw_watch_args_init(struct sw_watch_args *a);
/* -j, -o, a filter or a session option (ctx: struct sw_watch_args), for
 * sw_parse_options: 1 handled, 0 not one of them, -1 a bad value (said). */
int sw_watch_option(void *ctx, int opt, const char *arg);
/* The stop signals' handlers, then the session (said, NULL when either fails);
 * who prefixes the message ("ci: "). */
struct sw_session *sw_watch_open(const struct sw_config *cfg, int (*handlers)(void),
				 const char *who);
/* enforce --policy: call with the command line read, before the file is
 * loaded (policy_path: the file); then once it is, with what it said. */
void sw_reload_cli_done(struct sw_watch_args *a, const char *policy_path);
struct policy_info;
void sw_reload_file_done(struct sw_watch_args *a, const struct policy_info *info);
/* The policy file's output and format, where the command line gave none. */
void sw_watch_output_from(struct sw_watch_args *a, const struct policy_info *info);
/* SIGHUP: reads the policy file again and puts its lists in force without
 * detaching; refused (said, the old lists stay) when the file is bad or
 * changes a setting only a start can change. 0, or -1. */
int sw_reload_policy(struct sw_watch_args *a, struct sw_session *s);
/* SIGHUP sets it (sw_install_reload_handler). */
extern volatile sig_atomic_t sw_reload;
int sw_install_reload_handler(void);

/* Loads and attaches, then opens the output, watches until stopped, prints
 * the summary: the exit status. */
int sw_watch(struct sw_watch_args *a, const char *what);

#endif
