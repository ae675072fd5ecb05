// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace and enforce output: event filters, the text table or JSON Lines
 * (event.c writes the object), capacity warnings and the summary. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "sw.h"
#include "outfile.h"
#include "systemd.h"

void sw_filter_init(struct sw_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->pid = -1;
}

/* Short options shared by the watching sub-commands' filters. */
int sw_filter_option(struct sw_filter *f, int opt, const char *arg)
{
	uint64_t v;
	struct stat st;

	switch (opt) {
	case 'p':
		if (!parse_u64(arg, &v) || v == 0 || v > 0x7fffffff) {
			sw_err("--pid: '%s' is not a process id", arg);
			return -1;
		}
		f->pid = (int64_t)v;
		return 1;
	case 'c':
		if (strlen(arg) >= SW_TASK_COMM_LEN) {
			sw_err("--comm: '%s' is longer than the kernel's %d-byte comm", arg,
			       SW_TASK_COMM_LEN - 1);
			return -1;
		}
		strcpy(f->comm, arg);
		return 1;
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

static void event_text(struct sw_output *o, const struct sw_event *ev)
{
	char ts[32], age[32], wlen[32], wrange[64], hrange[64], path[2 * SW_PATH_MAX];
	int spl;
	time_t secs;
	struct tm tm;
	int64_t real = o->session ? sw_session_realtime(o->session, ev->ts_ns) : 0;

	if (!o->header_done) {
		fprintf(o->f, "%-12s %-7s %-7s %-15s %-15s %-10s %-22s %-22s %-9s %-22s %s\n",
			"TIME", "PID", "TID", "COMM", "OP", "ACTION", "WRITE(off+len)",
			"HELD(off+len)", "PIPE", "SPLICER", "AGE  DEV:INO PATH");
		o->header_done = true;
	}
	secs = real / 1000000000LL;
	localtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	fmt_age(age, sizeof(age), ev->held_ns);
	if (ev->write_len)
		snprintf(wlen, sizeof(wlen), "%llu", (unsigned long long)ev->write_len);
	else
		snprintf(wlen, sizeof(wlen), "EOF");
	fprintf(o->f, "%s.%03lld %-7u %-7u ", ts, (long long)(real / 1000000) % 1000, ev->pid, ev->tid);
	sw_put_printable(o->f, ev->comm, SW_TASK_COMM_LEN);
	fprintf(o->f, "%*s", (int)(16 - sw_comm_len(ev->comm)), "");
	snprintf(wrange, sizeof(wrange), "%lld+%s", (long long)ev->write_offset, wlen);
	snprintf(hrange, sizeof(hrange), "%lld+%llu", (long long)ev->held_offset,
		 (unsigned long long)ev->held_len);
	fprintf(o->f, "%-15s %-10s %-22s %-22s %-9llu ", sw_op_name(ev->op),
		sw_action_name(ev->action), wrange, hrange, (unsigned long long)ev->pipe_ino);
	/* SPLICER is pid/comm: pad it to its column after the printable comm. */
	spl = fprintf(o->f, "%u/", ev->splicer_pid);
	sw_put_printable(o->f, ev->splicer_comm, SW_TASK_COMM_LEN);
	spl += sw_comm_len(ev->splicer_comm);
	fprintf(o->f, "%*s %s %u:%u:%llu ", spl < 22 ? 22 - spl : 0, "", age,
		sw_kdev_major(ev->dev), sw_kdev_minor(ev->dev), (unsigned long long)ev->ino);
	sw_event_path(ev, path, sizeof(path));
	sw_put_printable(o->f, path, sizeof(path));
	if (ev->flags & SW_EVF_HOLD_UNTRACKED)
		fprintf(o->f, " (untracked hold: %s)", sw_untracked_reason_name(ev->reason));
	fputc('\n', o->f);
}

/* --journal: the event's line (text, or its JSON object with --json) as
 * MESSAGE, its JSON fields as SPLICEWATCH_* fields (systemd.c). */
static void journal_event(struct sw_output *o, const struct sw_event *ev, bool untracked)
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
			sw_event_json(&j, ev, o->session ? &off : NULL);
	} else if (untracked) {
		fprintf(m, "untracked hold (%s: %s): pipe %llu of pid %u (uid %u, comm ",
			sw_untracked_reason_name(ev->reason), sw_untracked_reason_text(ev->reason),
			(unsigned long long)ev->pipe_ino, ev->pid, ev->splicer_uid);
		sw_put_printable(m, ev->comm, SW_TASK_COMM_LEN);
		fprintf(m, "); unsafe writes to its pages will not be reported");
	} else {
		o->f = m;
		o->header_done = true;
		event_text(o, ev);
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
		sw_journal_event(ev, o->session ? &off : NULL, buf, len);
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
		journal_event(o, ev, true);
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

int sw_output_event(void *ctx, const struct sw_event *ev, size_t len)
{
	struct sw_output *o = ctx;
	struct json j;

	if (ev->type == SW_EV_CAPACITY) {
		sw_note_untracked(o, ev);
		return 0;
	}
	if (ev->type != SW_EV_UNSAFE_WRITE)
		return 0;
	if (sizeof(*ev) + ev->path_len > len)
		return 0;	/* malformed record: never read past it */
	if (!sw_filter_match(&o->filter, ev))
		return 0;
	if (o->journal) {
		journal_event(o, ev, false);
	} else if (o->json) {
		int64_t off = o->session ? sw_session_realtime(o->session, 0) : 0;

		json_init(&j, o->f, false);
		sw_event_json(&j, ev, o->session ? &off : NULL);
	} else {
		event_text(o, ev);
	}
	if (o->file)
		sw_outfile_mark(o->file, true);
	o->printed++;
	return 0;
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

void sw_print_summary(FILE *f, struct sw_session *s, uint64_t shown)
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
}
