// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* swtest: splicewatch's JSON event lines, parsed strictly. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <sys/syscall.h>
#include "splicewatch.h"
#include "swtest.h"
#include "swtest_sw.h"

/* ---- a strict little parser for splicewatch's flat JSON objects ---------- */

static const char *parse_string(const char *p, char *out, size_t cap)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		char c = *p++;

		if (c == '\\') {
			c = *p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '"': case '\\': case '/': break;
			case 'u': {
				unsigned cp;

				if (sscanf(p, "%4x", &cp) != 1)
					return NULL;
				p += 4;
				if (cp < 0x80) {
					c = cp;
				} else {	/* keep non-ASCII escapes visible as UTF-8 */
					if (n + 3 < cap) {
						if (cp < 0x800) {
							out[n++] = 0xc0 | (cp >> 6);
							c = 0x80 | (cp & 0x3f);
						} else {
							out[n++] = 0xe0 | (cp >> 12);
							out[n++] = 0x80 | ((cp >> 6) & 0x3f);
							c = 0x80 | (cp & 0x3f);
						}
					}
				}
				break;
			}
			default:
				return NULL;
			}
		} else if ((unsigned char)c < 0x20) {
			return NULL;	/* raw control characters are invalid JSON */
		}
		if (n + 1 < cap)
			out[n++] = c;
	}
	if (*p != '"')
		return NULL;
	out[n] = 0;
	return p + 1;
}

bool parse_event(const char *line, struct event *ev)
{
	const char *p = line;

	memset(ev, 0, sizeof(*ev));
	if (*p++ != '{')
		return false;
	while (*p && *p != '}') {
		int i = ev->n;

		if (i >= MAX_FIELDS)
			return false;
		p = parse_string(p, ev->key[i], sizeof(ev->key[i]));
		if (!p || *p++ != ':')
			return false;
		if (*p == '"') {
			p = parse_string(p, ev->val[i], sizeof(ev->val[i]));
			if (!p)
				return false;
			ev->is_str[i] = true;
		} else {
			size_t n = strcspn(p, ",}");

			if (!n || n >= sizeof(ev->val[i]))
				return false;
			memcpy(ev->val[i], p, n);
			ev->val[i][n] = 0;
			p += n;
		}
		ev->n++;
		if (*p == ',')
			p++;
	}
	return *p == '}';
}

const char *ev_get(const struct event *ev, const char *key)
{
	for (int i = 0; i < ev->n; i++)
		if (!strcmp(ev->key[i], key))
			return ev->val[i];
	return NULL;
}

long long ev_num(const struct event *ev, const char *key)
{
	const char *v = ev_get(ev, key);

	return v ? strtoll(v, NULL, 10) : -999999;
}

/* ---- assertions on an event ---------------------------------------------- */

static bool check_str(const struct event *ev, const char *key, const char *want,
		      char *why, size_t whylen)
{
	const char *v = ev_get(ev, key);

	CHECK(v && !strcmp(v, want), "%s is '%s', want '%s'", key, v ? v : "(missing)", want);
	return true;
}

static bool check_glob(const struct event *ev, const char *key, const char *pattern,
		       char *why, size_t whylen)
{
	const char *v = ev_get(ev, key);

	CHECK(v && !fnmatch(pattern, v, 0), "%s is '%s', want '%s'", key, v ? v : "(missing)",
	      pattern);
	return true;
}

static bool check_num(const struct event *ev, const char *key, long long want,
		      char *why, size_t whylen)
{
	const char *v = ev_get(ev, key);

	CHECK(v && strtoll(v, NULL, 10) == want, "%s is %s, want %lld", key, v ? v : "(missing)", want);
	return true;
}

bool check_event(const struct event *ev, const struct expect *e, pid_t writer,
		 const char *action, char *why, size_t whylen)
{
	static const char *required[] = { "ts_ns", "event", "op", "pid", "tid", "comm",
		"cgroup_id", "dev", "ino", "path", "write_offset", "write_len", "held_offset",
		"held_len", "pipe_ino", "splicer_pid", "splicer_comm", "held_ns", "action", "uid",
		"splicer_uid", "pipe_uid", "holder_trusted", "time", "node" };
	char dev[32];

	/* dev: "MAJOR:MINOR" of the file's st_dev. */
	snprintf(dev, sizeof(dev), "%u:%u", major(e->dev), minor(e->dev));
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		CHECK(ev_get(ev, required[i]), "key '%s' missing", required[i]);
	if (!check_str(ev, "event", "unsafe_write", why, whylen) ||
	    !check_str(ev, "op", e->op, why, whylen) ||
	    !check_num(ev, "pid", writer, why, whylen) ||
	    (e->tid >= 0 && !check_num(ev, "tid", e->tid ? e->tid : writer, why, whylen)) ||
	    !check_str(ev, "dev", dev, why, whylen) ||
	    !check_num(ev, "ino", e->ino, why, whylen) ||
	    !check_str(ev, "path", e->path, why, whylen) ||
	    !check_num(ev, "write_offset", e->write_offset, why, whylen) ||
	    !check_num(ev, "held_offset", e->held_offset, why, whylen) ||
	    !check_num(ev, "held_len", e->held_len, why, whylen) ||
	    !check_num(ev, "pipe_ino", e->pipe_ino, why, whylen) ||
	    !check_num(ev, "splicer_pid", e->splicer_pid, why, whylen) ||
	    !check_glob(ev, "splicer_comm", e->splicer_comm, why, whylen) ||
	    !check_str(ev, "action", action, why, whylen))
		return false;
	/* The scenarios' splicer and writer are one user: a trusted holder. */
	CHECK(!strcmp(ev_get(ev, "holder_trusted"), "true"), "holder_trusted is %s, want true",
	      ev_get(ev, "holder_trusted"));
	if (e->untracked_reason[0] && !check_str(ev, "untracked_reason", e->untracked_reason, why, whylen))
		return false;
	CHECK(e->untracked_reason[0] || !ev_get(ev, "untracked_reason"),
	      "untracked_reason is %s, want none", ev_get(ev, "untracked_reason"));
	if (e->write_len < 0)
		CHECK(!strcmp(ev_get(ev, "write_len"), "null"), "write_len is %s, want null",
		      ev_get(ev, "write_len"));
	else if (!check_num(ev, "write_len", e->write_len, why, whylen))
		return false;
	CHECK(ev_num(ev, "held_ns") > 0, "held_ns is not positive");
	CHECK(ev_num(ev, "held_ns") >= e->min_held_ns, "held_ns is %lld, want >= %lld",
	      (long long)ev_num(ev, "held_ns"), (long long)e->min_held_ns);
	CHECK(ev_num(ev, "cgroup_id") > 0, "cgroup_id is not positive");
	return true;
}
