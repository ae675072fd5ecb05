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

