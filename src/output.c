// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace and enforce output: event filters, the text table or JSON Lines
 * (event.c writes the object), capacity warnings and the summary. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <sys/stat.h>
#include "sw.h"
#include "outfile.h"
#include "systemd.h"
#include "aggregate.h"
#include "verify.h"

void sw_filter_init(struct sw_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->pid = -1;
	f->tid = -1;
	f->uid = -1;
}

/* Short options shared by the watching sub-commands' filters: the letters of
 * libbpf-tools (opensnoop, execsnoop) where they have one; -C is the old
 * --cgroup letter, still taken. */
int sw_filter_option(struct sw_filter *f, int opt, const char *arg)
{
	uint64_t v;
	struct stat st;
	struct passwd *pw;

	switch (opt) {
	case 'p':
	case 't':
		if (!parse_u64(arg, &v) || v == 0 || v > 0x7fffffff) {
			sw_err("--%s: '%s' is not a %s id", opt == 'p' ? "pid" : "tid", arg,
			       opt == 'p' ? "process" : "thread");
			return -1;
		}
		*(opt == 'p' ? &f->pid : &f->tid) = (int64_t)v;
		return 1;
	case 'u':
		pw = getpwnam(arg);
		if (pw)
			v = pw->pw_uid;
		else if (!parse_u64(arg, &v) || v >= 0xffffffffULL) {
			sw_err("--uid: '%s' is neither a user name nor a uid (0 to 4294967294)", arg);
			return -1;
		}
		f->uid = (int64_t)v;
		return 1;
	case 'n':
		if (strlen(arg) >= SW_TASK_COMM_LEN) {
			sw_err("--comm: '%s' is longer than the kernel's %d-byte comm", arg,
			       SW_TASK_COMM_LEN - 1);
			return -1;
		}
		strcpy(f->comm, arg);
		return 1;
	case 'c':
	case 'C':
		if (stat(arg, &st) || !S_ISDIR(st.st_mode)) {
			sw_err("--cgroup: '%s' is not a cgroup v2 directory", arg);
			return -1;
		}
		f->cgroup_id = st.st_ino;	/* cgroup v2 id == its directory inode */
		return 1;
	case 'P':
		if (arg[0] != '/') {
			sw_err("--path: '%s' is not an absolute path prefix", arg);
			return -1;
		}
		f->path_prefix = arg;
		return 1;
	}
	return 0;
}

bool sw_filter_match(const struct sw_filter *f, const struct sw_event *ev)
{
	if (f->pid >= 0 && ev->pid != (uint64_t)f->pid)
		return false;
	if (f->tid >= 0 && ev->tid != (uint64_t)f->tid)
		return false;
	if (f->uid >= 0 && ev->uid != (uint64_t)f->uid)
		return false;
	if (f->comm[0] && strncmp(f->comm, ev->comm, SW_TASK_COMM_LEN))
		return false;
	if (f->cgroup_id && ev->cgroup_id != f->cgroup_id)
		return false;
	if (f->path_prefix) {
		char path[2 * SW_PATH_MAX];

		sw_event_path(ev, path, sizeof(path));
		if (strncmp(path, f->path_prefix, strlen(f->path_prefix)))
			return false;
	}
	return true;
}

static void fmt_age(char *buf, size_t n, uint64_t ns)
{
	if (ns < 1000000ULL)
		snprintf(buf, n, "%.1fus", ns / 1e3);
	else if (ns < 1000000000ULL)
		snprintf(buf, n, "%.1fms", ns / 1e6);
	else
		snprintf(buf, n, "%.2fs", ns / 1e9);
}

/* The text table's columns: every field starts under its header, or one
 * space after the field before when that one is wider than its column (a
 * long offset, a huge count); PATH, last, has no width. */
static const struct { const char *name; int width; } text_cols[] = {
	{ "TIME", 23 }, { "PID", 7 }, { "TID", 7 }, { "COMM", 15 }, { "OP", 15 },
	{ "ACTION", 11 }, { "COUNT", 6 }, { "WRITE(off+len)", 22 }, { "HELD(off+len)", 22 },
	{ "PIPE", 10 }, { "SPLICER", 23 }, { "AGE", 8 }, { "DEV:INO", 20 }, { "PATH", 0 },
};
#define TEXT_COLS	(int)(sizeof(text_cols) / sizeof(text_cols[0]))

/* Pads line m (its first byte at 0) to where column col starts. */
static void text_col(FILE *m, int col)
{
	long pos = ftell(m), want = 0;

	for (int i = 0; i < col; i++)
		want += text_cols[i].width + 1;
	if (col && pos >= want)
		want = pos + 1;
	fprintf(m, "%*s", (int)(want - pos), "");
}

void sw_text_time(FILE *f, int64_t real_ns)
{
	time_t secs = real_ns / 1000000000LL;
	struct tm tm;
	char ts[32];

	localtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%03lld", ts, (long long)(real_ns / 1000000) % 1000);
}

/* One line of the table (the header first); agg: an --aggregate line. */
static void event_text(struct sw_output *o, const struct sw_event *ev,
		       const struct sw_agg_info *agg)
{
	char ts[32], path[2 * SW_PATH_MAX], *line = NULL;
	size_t len = 0;
	int64_t real = o->session ? sw_session_realtime(o->session, ev->ts_ns) : 0;
	FILE *m;

	if (!o->header_done) {
		m = open_memstream(&line, &len);
		if (!m)
			return;
		for (int i = 0; i < TEXT_COLS; i++) {
			text_col(m, i);
			fputs(text_cols[i].name, m);
		}
		if (!fclose(m))
			fprintf(o->f, "%s\n", line);
		free(line);
		line = NULL;
		o->header_done = true;
	}
	m = open_memstream(&line, &len);
	if (!m)
		return;
	sw_text_time(m, real);
	text_col(m, 1);
	fprintf(m, "%u", ev->pid);
	text_col(m, 2);
	fprintf(m, "%u", ev->tid);
	text_col(m, 3);
	sw_put_printable(m, ev->comm, SW_TASK_COMM_LEN);
	text_col(m, 4);
	fputs(sw_op_name(ev->op), m);
	text_col(m, 5);
	fputs(sw_action_name(ev->action), m);
	text_col(m, 6);
	fprintf(m, "%llu", (unsigned long long)(agg ? agg->count : 1));
	text_col(m, 7);
	fprintf(m, "%lld+", (long long)ev->write_offset);
	if (ev->write_len)
		fprintf(m, "%llu", (unsigned long long)ev->write_len);
	else
		fputs("EOF", m);
	if (ev->flags & SW_EVF_HOLD_UNKNOWN) {
		/* No hold known: no held range, pipe, splicer or age. */
		for (int col = 8; col <= 11; col++) {
			text_col(m, col);
			fputc('-', m);
		}
	} else {
		text_col(m, 8);
		fprintf(m, "%lld+%llu", (long long)ev->held_offset, (unsigned long long)ev->held_len);
		text_col(m, 9);
		fprintf(m, "%llu", (unsigned long long)ev->pipe_ino);
		text_col(m, 10);
		fprintf(m, "%u/", ev->splicer_pid);
		sw_put_printable(m, ev->splicer_comm, SW_TASK_COMM_LEN);
		text_col(m, 11);
		fmt_age(ts, sizeof(ts), ev->held_ns);
		fputs(ts, m);
	}
	text_col(m, 12);
	fprintf(m, "%u:%u:%llu", sw_kdev_major(ev->dev), sw_kdev_minor(ev->dev),
		(unsigned long long)ev->ino);
	text_col(m, 13);
	sw_event_path(ev, path, sizeof(path));
	sw_put_printable(m, path, sizeof(path));
	if (ev->flags & SW_EVF_HOLD_UNTRACKED)
		fprintf(m, " (untracked hold: %s)", sw_untracked_reason_name(ev->reason));
	if (ev->flags & SW_EVF_HOLD_UNKNOWN)
		fputs(" (no hold known; nobody has the file open for writing)", m);
	if (!fclose(m))
		fprintf(o->f, "%s\n", line);
	free(line);
}

/* --journal: the event's line (text, or its JSON object with --json) as
 * MESSAGE, its JSON fields as SPLICEWATCH_* fields (systemd.c). */
static void journal_event(struct sw_output *o, const struct sw_event *ev, bool untracked,
			  const struct sw_agg_info *agg)
{
	int64_t off = o->session ? sw_session_realtime(o->session, 0) : 0;
	FILE *save = o->f, *m;
	bool hd = o->header_done;
	char *buf = NULL;
	size_t len = 0;
	struct json j;

	m = open_memstream(&buf, &len);
	if (!m)
		return;
	if (o->json) {
		json_init(&j, m, false);
		if (untracked)
			sw_untracked_json(&j, ev, o->session ? &off : NULL);
		else
			sw_event_json_agg(&j, ev, o->session ? &off : NULL, agg);
	} else if (untracked) {
		fprintf(m, "untracked hold (%s: %s): pipe %llu of pid %u (uid %u, comm ",
			sw_untracked_reason_name(ev->reason), sw_untracked_reason_text(ev->reason),
			(unsigned long long)ev->pipe_ino, ev->pid, ev->splicer_uid);
		sw_put_printable(m, ev->comm, SW_TASK_COMM_LEN);
		fprintf(m, "); unsafe writes to its pages will not be reported");
	} else {
		o->f = m;
		o->header_done = true;
		event_text(o, ev, agg);
		o->f = save;
		o->header_done = hd;
	}
	if (fclose(m)) {
		free(buf);
		return;
	}
	if (untracked)
		sw_journal_untracked(ev, o->session ? &off : NULL, buf, len);
	else
		sw_journal_event_agg(ev, o->session ? &off : NULL, agg, buf, len);
	free(buf);
}

/* Text warnings about untracked holds per second at most; the rest are counted. */
#define UNTRACKED_LINES_PER_S	20

/* The index could not track a hold: writes into it would go unreported, so
 * say so at once, with the limit, the holder, the file and the pipe (JSON: an
 * event; text: a warning on stderr, at most UNTRACKED_LINES_PER_S a second). */
static void sw_note_untracked(struct sw_output *o, const struct sw_event *ev)
{
	struct json j;

	o->untracked++;
	if (o->journal) {
		journal_event(o, ev, true, NULL);
		return;
	}
	if (o->json) {
		int64_t off = o->session ? sw_session_realtime(o->session, 0) : 0;

		json_init(&j, o->f, false);
		sw_untracked_json(&j, ev, o->session ? &off : NULL);
		if (o->file)
			sw_outfile_mark(o->file, false);
		return;
	}
	if (ev->ts_ns - o->untracked_window_ns >= 1000000000ULL || !o->untracked_window_ns) {
		if (o->untracked_unshown)
			sw_err("warning: %llu more untracked holds not shown",
			       (unsigned long long)o->untracked_unshown);
		o->untracked_window_ns = ev->ts_ns;
		o->untracked_lines = 0;
		o->untracked_unshown = 0;
	}
	if (o->untracked_lines >= UNTRACKED_LINES_PER_S) {
		o->untracked_unshown++;
		return;
	}
	o->untracked_lines++;
	fprintf(stderr, "splicewatch: warning: untracked hold (%s: %s): pipe %llu of pid %u "
		"(uid %u, comm ", sw_untracked_reason_name(ev->reason),
		sw_untracked_reason_text(ev->reason), (unsigned long long)ev->pipe_ino, ev->pid,
		ev->splicer_uid);
	sw_put_printable(stderr, ev->comm, SW_TASK_COMM_LEN);
	if (ev->ino)
		fprintf(stderr, ") holds pages of file %u:%u:%llu",
			sw_kdev_major(ev->dev), sw_kdev_minor(ev->dev), (unsigned long long)ev->ino);
	else
		fprintf(stderr, ") holds page-cache pages");
	fprintf(stderr, "; unsafe writes to them will not be reported\n");
}

/* Writes one unsafe write, or with agg the aggregate line of folded ones:
 * it counts for as many writes shown as it stands for. */
static void write_event(void *ctx, const void *rec, const struct sw_agg_info *agg)
{
	const struct sw_event *ev = rec;
	struct sw_output *o = ctx;
	uint64_t writes = agg ? agg->count : 1;
	struct json j;

	if (o->journal) {
		journal_event(o, ev, false, agg);
	} else if (o->json) {
		int64_t off = o->session ? sw_session_realtime(o->session, 0) : 0;

		json_init(&j, o->f, false);
		sw_event_json_agg(&j, ev, o->session ? &off : NULL, agg);
	} else {
		event_text(o, ev, agg);
	}
	if (o->file)
		sw_outfile_mark_n(o->file, writes);
	o->printed += writes;
}

int sw_output_event(void *ctx, const struct sw_event *ev, size_t len)
{
	struct sw_output *o = ctx;

	if (ev->type == SW_EV_CAPACITY) {
		sw_note_untracked(o, ev);
		return 0;
	}
	if (ev->type != SW_EV_UNSAFE_WRITE)
		return 0;
	if (sizeof(*ev) + ev->path_len > len)
		return 0;	/* malformed record: never read past it */
	/* Before the filters: a write not shown still explains a change. */
	sw_verify_note_write(o->verify, ev);
	/* Filters first: what they drop is neither shown nor folded. */
	if (!sw_filter_match(&o->filter, ev))
		return 0;
	if (sw_agg_event(&o->agg, ev, sizeof(*ev) + ev->path_len, write_event, o))
		return 0;
	write_event(o, ev, NULL);
	return 0;
}

void sw_output_tick(struct sw_output *o, bool final)
{
	sw_agg_expire(&o->agg, sw_mono_ns(), final, write_event, o);
}

/* Lost-record lines at most this often: a ring that overflows under a storm
 * overflows on every poll round. */
#define LOST_LINE_INTERVAL_NS	1000000000ULL

void sw_output_lost(struct sw_output *o, uint64_t lost_total, bool final)
{
	uint64_t now = sw_mono_ns(), n = lost_total - o->lost_told;
	struct json j;

	if (!n || (!final && o->lost_told_ns && now - o->lost_told_ns < LOST_LINE_INTERVAL_NS))
		return;
	o->lost_told = lost_total;
	o->lost_told_ns = now;
	if (!o->json || o->journal) {
		sw_err("warning: %llu ring buffer records lost (%llu in all): unsafe writes "
		       "detected but not shown; a larger --ringbuf-kib helps",
		       (unsigned long long)n, (unsigned long long)lost_total);
		return;
	}
	json_init(&j, o->f, false);
	json_obj_begin(&j, NULL);
	json_u64(&j, "ts_ns", now);
	if (o->session)
		json_i64(&j, "time_ns", sw_session_realtime(o->session, now));
	sw_json_stamp(&j, o->session ? sw_session_realtime(o->session, now) :
		      (int64_t)now + sw_mono_to_real_now());
	json_str(&j, "event", "lost");
	json_u64(&j, "records", n);
	json_obj_end(&j);
	if (o->file)
		sw_outfile_mark(o->file, false);
}

void sw_print_summary(FILE *f, struct sw_session *s, uint64_t shown, const struct sw_agg *agg)
{
	/* With backup hooks on, the tracepoint backend backs up with copies of the syscall hooks. */
	bool backup_syscall_hooks = !strcmp(sw_session_backend(s), "tracepoint");
	struct sw_counters c;
	char split[512];

	sw_session_counters(s, &c);
	sw_untracked_split(split, sizeof(split), c.untracked_by_reason);
	fprintf(f, "splicewatch: %llu unsafe writes detected, %llu shown, %llu lost records, "
		"%llu pages held by pipes now, %llu holds untracked%s\n",
		(unsigned long long)c.events, (unsigned long long)shown,
		(unsigned long long)c.lost, (unsigned long long)c.held,
		(unsigned long long)c.untracked, split);
	/* Folded writes are shown: each counts in its aggregate line's count. */
	if (agg && agg->window_ns)
		fprintf(f, "splicewatch: aggregate: %llu writes folded into %llu aggregate lines, "
			"%llu shown unaggregated (table of %d keys full)\n",
			(unsigned long long)agg->folded, (unsigned long long)agg->lines,
			(unsigned long long)agg->unaggregated, SW_AGG_KEYS);
	if (c.skipped_runs && sw_session_backup_hooks(s))
		fprintf(f, "splicewatch: note: the kernel skipped %llu runs of its programs "
			"(a program preempted on a CPU blocks it there for other tasks, 6.14+); "
			"%s: they checked %llu writes no sys_enter check had seen%s\n",
			(unsigned long long)c.skipped_runs,
			backup_syscall_hooks ? "the backup syscall hooks ran where the first sys_enter and sys_exit runs "
				"were skipped" : "backup hooks backed the syscall hooks up",
			(unsigned long long)c.backup_checks,
			backup_syscall_hooks ? "" : ", and tee, vmsplice, pipe-to-pipe splice and F_SETPIPE_SZ are "
				     "learnt in the kernel functions too");
	else if (c.skipped_runs)
		fprintf(f, "splicewatch: warning: the kernel skipped %llu runs of its programs "
			"(a program preempted on a CPU blocks it there for other tasks, 6.14+): "
			"writes or holds in those syscalls were not seen\n",
			(unsigned long long)c.skipped_runs);
	if (c.skipped_runs && sw_verbose)
		sw_session_print_skipped_runs(s, f);
}
