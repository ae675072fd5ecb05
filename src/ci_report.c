// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ci report writers (ci.h): the JSON report, JUnit XML and the summary
 * on stderr, from the findings and how the run ended. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "ci.h"
#include "common.h"
#include "event.h"
#include "json.h"
#include "names.h"
#include "verify_event.h"

/* --verify: what was checked, and every change kept; null without it. */
static void verify_json(struct json *j, const struct ci *c, const struct ci_result *r)
{
	const struct sw_verify_counts *n = &r->verify;

	if (!c->verify) {
		json_null(j, "verify");
		return;
	}
	json_obj_begin(j, "verify");
	json_u64(j, "fingerprinted", n->fingerprinted);
	json_u64(j, "checks", n->checks);
	json_u64(j, "changes_found", n->changes);
	json_u64(j, "explained", n->explained);
	json_u64(j, "unreadable", n->unreadable);
	json_u64(j, "not_fingerprinted", n->not_fingerprinted);
	json_u64(j, "lost", n->lost);
	json_u64(j, "skipped_program_runs", n->skipped_runs);
	json_u64(j, "unexplained_changes", c->changes_total);
	json_arr_begin(j, "changes");
	for (size_t i = 0; i < c->n_changes; i++)
		sw_change_json(j, c->changes[i].ev, c->changes[i].path, c->changes[i].absolute,
			       r->mono_to_real_ns, NULL);
	json_arr_end(j);
	json_u64(j, "changes_omitted", c->changes_total - c->n_changes);
	json_obj_end(j);
}

void ci_report_json(FILE *f, const struct ci *c, const struct ci_result *r)
{
	struct json j;
	size_t n_new_groups = 0;

	for (size_t i = 0; i < c->n_groups; i++)
		n_new_groups += !c->groups[i]->baselined;
	json_init(&j, f, true);
	json_obj_begin(&j, NULL);
	json_str(&j, "type", "ci_report");
	/* When the report was written: the end of the run. */
	sw_json_stamp(&j, (int64_t)sw_mono_ns() + sw_mono_to_real_now());
	json_str(&j, "splicewatch_version", SW_VERSION);
	json_arr_begin(&j, "command");
	for (char **a = c->argv; *a; a++)
		json_str(&j, NULL, *a);
	json_arr_end(&j);
	json_i64(&j, "command_exit_status", r->command_status);
	if (r->command_signal)
		json_str(&j, "command_signal", signal_name(r->command_signal));
	else
		json_null(&j, "command_signal");
	json_i64(&j, "exit_status", r->exit_status);
	json_str(&j, "result", r->exit_status == CI_EXIT_FINDINGS ? "fail" :
			       r->watch_failed ? "error" : "pass");
	json_str(&j, "kernel_release", r->kernel);
	json_str(&j, "backend", r->backend);
	json_str(&j, "mode", c->enforce ? "enforce" : "trace");
	json_str(&j, "scope", r->scope);
	json_u64(&j, "leftovers_killed", r->leftovers_killed);
	json_arr_begin(&j, "baselines");
	for (int i = 0; i < c->n_baselines; i++)
		json_str(&j, NULL, c->baselines[i]);
	json_arr_end(&j);
	json_double(&j, "duration_s", r->duration_s);
	json_obj_begin(&j, "totals");
	json_u64(&j, "unsafe_writes", c->received);
	json_u64(&j, "new", c->n_new);
	json_u64(&j, "baselined", c->n_baselined);
	json_u64(&j, "distinct", c->n_groups);
	json_u64(&j, "distinct_new", n_new_groups);
	json_u64(&j, "distinct_baselined", c->n_groups - n_new_groups);
	json_u64(&j, "detected_in_kernel", r->events);
	json_obj_end(&j);
	json_u64(&j, "lost_records", r->lost);
	json_bool(&j, "allow_lost", c->allow_lost);
	json_bool(&j, "lost_records_fail", r->lost_fails);
	json_u64(&j, "untracked_holds", r->untracked);
	json_obj_begin(&j, "untracked_by_reason");
	for (int i = 0; i < SW_UNTR__COUNT; i++)
		if (r->untracked_by_reason[i])
			json_u64(&j, sw_untracked_reason_name(i), r->untracked_by_reason[i]);
	json_obj_end(&j);
	json_bool(&j, "allow_untracked", c->allow_untracked);
	json_bool(&j, "untracked_holds_fail", r->untracked_fails);
	json_arr_begin(&j, "untracked");
	for (size_t i = 0; i < c->n_untracked; i++)
		sw_untracked_json(&j, &c->untracked[i], &r->mono_to_real_ns);
	json_arr_end(&j);
	json_u64(&j, "skipped_program_runs", r->skipped_runs);
	json_u64(&j, "backup_write_checks", r->backup_checks);
	json_u64(&j, "backup_pipe_syncs", r->backup_pipe_syncs);
	json_arr_begin(&j, "groups");
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct ci_group *g = c->groups[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "comm", g->comm);
		json_str(&j, "op", sw_op_name(g->op));
		json_str(&j, "path", g->path);
		json_u64(&j, "count", g->count);
		json_bool(&j, "baselined", g->baselined);
		json_obj_begin(&j, "actions");
		for (int a = 0; a < SW_ACT__COUNT; a++)
			if (g->actions[a])
				json_u64(&j, sw_action_name(a), g->actions[a]);
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "findings");
	for (size_t i = 0; i < c->n_events; i++)
		sw_event_json(&j, c->events[i], &r->mono_to_real_ns);
	json_arr_end(&j);
	json_u64(&j, "findings_omitted", c->omitted);
	verify_json(&j, c, r);
	json_obj_end(&j);
}

/* Length of the UTF-8 sequence at s that is a valid XML 1.0 character, 0 if none. */
static size_t xml_utf8(const unsigned char *s, size_t len)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff || cp > 0x10ffff)
		return 0;
	return n;
}

/* XML character data or attribute value: markup characters as entities, control
 * characters XML cannot hold as \xNN, invalid UTF-8 as U+FFFD. */
static void xml_put(FILE *f, const char *str, bool attr)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), i = 0, n;

	while (i < len) {
		unsigned char ch = s[i];

		switch (ch) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\'': fputs("&apos;", f); i++; continue;
		case '\t': fputs(attr ? "&#9;" : "\t", f); i++; continue;
		case '\n': fputs(attr ? "&#10;" : "\n", f); i++; continue;
		case '\r': fputs("&#13;", f); i++; continue;
		}
		if (ch < 0x20 || ch == 0x7f) {
			fprintf(f, "\\x%02x", ch);
			i++;
			continue;
		}
		n = xml_utf8(s + i, len - i);
		if (!n) {
			fputs("\xef\xbf\xbd", f);
			i++;
			continue;
		}
		fwrite(s + i, 1, n, f);
		i += n;
	}
}

static void xml_attr(FILE *f, const char *name, const char *val)
{
	fprintf(f, " %s=\"", name);
	xml_put(f, val, true);
	fputc('"', f);
}

static void xml_property(FILE *f, const char *name, const char *val)
{
	fputs("    <property", f);
	xml_attr(f, "name", name);
	xml_attr(f, "value", val);
	fputs("/>\n", f);
}

static char *group_message(const struct ci_group *g)
{
	char *msg = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&msg, &cap);

	if (!m)
		return NULL;
	fprintf(m, "%llu unsafe write%s: %s wrote with %s into bytes of %s that a pipe still held",
		(unsigned long long)g->count, g->count == 1 ? "" : "s", g->comm,
		sw_op_name(g->op), g->path[0] ? g->path : "(unknown file)");
	if (g->actions[SW_ACT_KILLED] || g->actions[SW_ACT_KILLED_LATE])
		fprintf(m, " (writer killed)");
	fclose(m);
	return msg;
}

static void group_details(FILE *f, const struct ci_group *g)
{
	const struct sw_event *ev = g->first;
	char buf[1024], wlen[32], hold[256];

	if (!ev)
		return;
	if (ev->write_len)
		snprintf(wlen, sizeof(wlen), "%llu", (unsigned long long)ev->write_len);
	else
		snprintf(wlen, sizeof(wlen), "EOF");
	if (ev->flags & SW_EVF_HOLD_UNKNOWN)
		snprintf(hold, sizeof(hold), "no hold known, nobody had the file open for writing");
	else
		snprintf(hold, sizeof(hold), "held %lld+%llu in pipe:[%llu] filled by pid %u (%.*s) "
			 "%.3f ms earlier", (long long)ev->held_offset,
			 (unsigned long long)ev->held_len, (unsigned long long)ev->pipe_ino,
			 ev->splicer_pid, (int)sw_comm_len(ev->splicer_comm), ev->splicer_comm,
			 ev->held_ns / 1e6);
	snprintf(buf, sizeof(buf), "first: pid %u tid %u comm %s op %s wrote %lld+%s, %s; action %s\n",
		 ev->pid, ev->tid, g->comm, sw_op_name(ev->op), (long long)ev->write_offset,
		 wlen, hold, sw_action_name(ev->action));
	xml_put(f, buf, false);
	fputs("path: ", f);
	xml_put(f, g->path, false);
	fputc('\n', f);
}

/* One failed test case per unexplained change kept. */
static void change_junit(FILE *f, const struct ci_change *ch)
{
	const struct sw_change_event *ev = ch->ev;
	char name[2 * SW_PATH_MAX + 64], buf[512];

	snprintf(name, sizeof(name), "unexplained change %s %lld+%llu", ch->path,
		 (long long)ev->offset, (unsigned long long)ev->len);
	fputs("  <testcase classname=\"splicewatch.unexplained_change\"", f);
	xml_attr(f, "name", name);
	fputs(">\n    <failure type=\"unexplained_change\" message=\"bytes a pipe held changed "
	      "and no unsafe write explains it\">", f);
	snprintf(buf, sizeof(buf),
		 "held %lld+%llu in pipe:[%llu] filled by pid %u (%.*s) %.3f ms before; found at "
		 "%s%s; fingerprint %016llx, now %016llx\n", (long long)ev->offset,
		 (unsigned long long)ev->len, (unsigned long long)ev->pipe_ino, ev->splicer_pid,
		 (int)sw_comm_len(ev->splicer_comm), ev->splicer_comm, ev->held_ns / 1e6,
		 sw_check_name(ev->point), ev->point == SW_CHECK_SWEEP ? "" : " by the reader",
		 (unsigned long long)ev->before, (unsigned long long)ev->after);
	xml_put(f, buf, false);
	fputs("path: ", f);
	xml_put(f, ch->path, false);
	fputs("\n</failure>\n  </testcase>\n", f);
}

void ci_report_junit(FILE *f, const struct ci *c, const struct ci_result *r)
{
	size_t tests = 0, failures = 0, skipped = 0;
	bool clean = !c->n_new && !r->changes_fails && !r->lost_fails && !r->untracked_fails;
	char num[32], *cmd = NULL;
	size_t cap = 0;
	FILE *m;

	for (size_t i = 0; i < c->n_groups; i++) {
		tests++;
		if (c->groups[i]->baselined)
			skipped++;
		else
			failures++;
	}
	tests += c->n_changes, failures += c->n_changes;
	if (r->lost_fails)
		tests++, failures++;
	if (clean)
		tests++;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"splicewatch\"", f);
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
		tests, failures, skipped, r->duration_s);
	fputs("  <properties>\n", f);
	m = open_memstream(&cmd, &cap);
	if (m) {
		for (char **a = c->argv; *a; a++)
			fprintf(m, "%s%s", a == c->argv ? "" : " ", *a);
		fclose(m);
		xml_property(f, "command", cmd);
		free(cmd);
	}
	snprintf(num, sizeof(num), "%d", r->command_status);
	xml_property(f, "command_exit_status", num);
	xml_property(f, "kernel_release", r->kernel);
	xml_property(f, "backend", r->backend);
	xml_property(f, "mode", c->enforce ? "enforce" : "trace");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->lost);
	xml_property(f, "lost_records", num);
	fputs("  </properties>\n", f);
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct ci_group *g = c->groups[i];
		char name[2 * SW_PATH_MAX + 64], *msg = group_message(g);

		snprintf(name, sizeof(name), "%s %s %s", g->comm, sw_op_name(g->op), g->path);
		fputs("  <testcase classname=\"splicewatch.unsafe_write\"", f);
		xml_attr(f, "name", name);
		fputs(">\n", f);
		if (g->baselined) {
			fputs("    <skipped message=\"known unsafe write, covered by the baseline\"/>\n", f);
		} else {
			fputs("    <failure type=\"unsafe_write\"", f);
			xml_attr(f, "message", msg ? msg : "unsafe write");
			fputs(">", f);
			group_details(f, g);
			fputs("</failure>\n", f);
		}
		fputs("  </testcase>\n", f);
		free(msg);
	}
	for (size_t i = 0; i < c->n_changes; i++)
		change_junit(f, &c->changes[i]);
	if (r->lost_fails) {
		fprintf(f, "  <testcase classname=\"splicewatch\" name=\"no lost records\">\n"
			"    <failure type=\"lost_records\" message=\"%llu records lost: the ring "
			"buffer was full, unsafe writes may be missing\"/>\n  </testcase>\n",
			(unsigned long long)(r->lost + r->verify.lost));
	}
	if (r->untracked_fails) {
		fprintf(f, "  <testcase classname=\"splicewatch\" name=\"no untracked holds\">\n"
			"    <failure type=\"untracked_holds\" message=\"%llu holds the index could not "
			"track: unsafe writes into them would be missed\"/>\n  </testcase>\n",
			(unsigned long long)(r->untracked + r->verify.not_fingerprinted));
	}
	if (clean)
		fputs("  <testcase classname=\"splicewatch\" name=\"no unsafe writes\"/>\n", f);
	fputs("</testsuite>\n", f);
}

void ci_report_summary(FILE *f, const struct ci *c, const struct ci_result *r)
{
	if (r->exec_failed)
		fprintf(f, "splicewatch: ci: COMMAND could not be run (status %d)\n",
			r->command_status);
	else if (r->command_signal)
		fprintf(f, "splicewatch: ci: COMMAND was killed by %s (status %d)\n",
			signal_name(r->command_signal), r->command_status);
	else
		fprintf(f, "splicewatch: ci: COMMAND exited with status %d\n", r->command_status);
	fprintf(f, "splicewatch: ci: %llu unsafe write%s by COMMAND's process tree: %llu new, "
		"%llu covered by the baseline\n", (unsigned long long)c->received,
		c->received == 1 ? "" : "s", (unsigned long long)c->n_new,
		(unsigned long long)c->n_baselined);
	if (c->n_groups)
		fprintf(f, "  %8s  %-8s  %-15s  %-16s  %s\n", "COUNT", "STATUS", "OP", "COMM", "PATH");
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct ci_group *g = c->groups[i];
		uint64_t killed = g->actions[SW_ACT_KILLED] + g->actions[SW_ACT_KILLED_LATE];

		fprintf(f, "  %8llu  %-8s  %-15s  ", (unsigned long long)g->count,
			g->baselined ? "baseline" : "NEW", sw_op_name(g->op));
		sw_put_printable(f, g->comm, SIZE_MAX);
		fprintf(f, "%*s  ", (int)(16 - strlen(g->comm)), "");
		sw_put_printable(f, g->path[0] ? g->path : "(unknown file)", SIZE_MAX);
		if (killed)
			fprintf(f, "  [%llu killed]", (unsigned long long)killed);
		fputc('\n', f);
	}
	if (c->verify)
		fprintf(f, "splicewatch: ci: %llu unexplained change%s of bytes COMMAND's tree held "
			"or took (--verify)\n", (unsigned long long)c->changes_total,
			c->changes_total == 1 ? "" : "s");
	for (size_t i = 0; i < c->n_changes && i < 10; i++) {
		const struct sw_change_event *ev = c->changes[i].ev;

		fprintf(f, "  UNEXPLAINED CHANGE %lld+%llu of ", (long long)ev->offset,
			(unsigned long long)ev->len);
		sw_put_printable(f, c->changes[i].path, SIZE_MAX);
		fprintf(f, ", spliced by %u/", ev->splicer_pid);
		sw_put_printable(f, ev->splicer_comm, SW_TASK_COMM_LEN);
		fprintf(f, ", found at %s\n", sw_check_name(ev->point));
	}
	if (c->omitted)
		fprintf(f, "splicewatch: ci: %llu findings not kept for the report (memory)\n",
			(unsigned long long)c->omitted);
	if (r->lost)
		fprintf(f, "splicewatch: ci: %llu records LOST: the ring buffer was full and "
			"unsafe writes may be missing%s\n", (unsigned long long)r->lost,
			c->allow_lost ? " (--allow-lost: not a failure)"
				      : "; this fails the run (--allow-lost to accept it)");
	if (r->untracked) {
		char split[512];

		sw_untracked_split(split, sizeof(split), r->untracked_by_reason);
		fprintf(f, "splicewatch: ci: %llu pipe holds were NOT TRACKED%s: unsafe writes "
			"into them would be missed%s\n", (unsigned long long)r->untracked, split,
			c->allow_untracked ? " (--allow-untracked: not a failure)"
					   : "; this fails the run (--allow-untracked to accept it)");
		for (size_t i = 0; i < c->n_untracked && i < 10; i++) {
			const struct sw_event *ev = &c->untracked[i];

			fprintf(f, "  untracked: %s, pid %u uid %u comm ",
				sw_untracked_reason_name(ev->reason), ev->pid, ev->splicer_uid);
			sw_put_printable(f, ev->comm, SW_TASK_COMM_LEN);
			fprintf(f, ", file %u:%u:%llu, pipe %llu\n", sw_kdev_major(ev->dev),
				sw_kdev_minor(ev->dev), (unsigned long long)ev->ino,
				(unsigned long long)ev->pipe_ino);
		}
	}
	if (r->verify.lost)
		fprintf(f, "splicewatch: ci: %llu unexplained_change records LOST (--verify): "
			"their ring buffer was full%s\n", (unsigned long long)r->verify.lost,
			c->allow_lost ? " (--allow-lost: not a failure)"
				      : "; this fails the run (--allow-lost to accept it)");
	if (r->verify.not_fingerprinted)
		fprintf(f, "splicewatch: ci: %llu held ranges were NOT FINGERPRINTED (--verify: "
			"the table or the user's share was full): changes to them would be missed%s\n",
			(unsigned long long)r->verify.not_fingerprinted,
			c->allow_untracked ? " (--allow-untracked: not a failure)"
					   : "; this fails the run (--allow-untracked to accept it)");
	if (r->skipped_runs && r->backup_hooks)
		fprintf(f, "splicewatch: ci: note: the kernel skipped %llu runs of the programs "
			"(preempted programs block themselves per CPU on 6.14+); %s checked %llu "
			"writes in their stead\n", (unsigned long long)r->skipped_runs,
			strcmp(r->backend, "tracepoint") ? "backup hooks" : "backup syscall hooks",
			(unsigned long long)r->backup_checks);
	else if (r->skipped_runs)
		fprintf(f, "splicewatch: ci: warning: the kernel skipped %llu runs of the programs "
			"(preempted programs block themselves per CPU on 6.14+): unsafe writes in "
			"those syscalls would be missed\n", (unsigned long long)r->skipped_runs);
	if (r->exit_status == CI_EXIT_FINDINGS)
		fprintf(f, "splicewatch: ci: FAIL (exit 3): %s\n",
			c->n_new ? "new unsafe writes" : r->changes_fails ? "unexplained changes" :
			r->lost_fails ? "records lost" : "holds untracked");
	else
		fprintf(f, "splicewatch: ci: pass: no new unsafe writes (exit %d, COMMAND's status)\n",
			r->exit_status);
}
