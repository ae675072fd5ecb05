// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ci baseline format (ci.h): one accepted finding per line, three fields
 * separated by one TAB, COMM<TAB>OP<TAB>PATH; COMM and PATH are fnmatch(3)
 * patterns, OP a write op name or *. Pids and times are not matched: a
 * baseline must hold across runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include "ci.h"
#include "common.h"
#include "names.h"

static bool pattern_ok(const char *p)
{
	size_t n = 0;

	/* fnmatch never matches a pattern ending in an unquoted backslash. */
	for (size_t i = strlen(p); i > 0 && p[i - 1] == '\\'; i--)
		n++;
	return n % 2 == 0;
}

int ci_baseline_load(struct ci_baseline *c, const char *file)
{
	FILE *f = fopen(file, "re");
	char *line = NULL, *fields[3];
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int rc = -1;

	if (!f) {
		sw_err("%s: cannot open the baseline: %s", file, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct ci_rule *r;
		char *p, *tab;
		int n = 0;

		lineno++;
		if ((size_t)len != strlen(line)) {
			sw_err("%s:%u: NUL byte in line", file, lineno);
			goto out;
		}
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (len && line[len - 1] == '\r')
			line[--len] = 0;
		if (line[0] == '#' || !line[strspn(line, " \t")])
			continue;
		for (p = line; n < 3; p = tab + 1) {
			fields[n++] = p;
			tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = 0;
		}
		if (n != 3 || tab) {
			sw_err("%s:%u: expected 3 fields separated by TABs (COMM, OP, PATH), found %s",
			       file, lineno, tab ? "more" : n == 1 ? "1" : "2");
			goto out;
		}
		if (!fields[0][0] || !fields[1][0] || !fields[2][0]) {
			sw_err("%s:%u: empty %s field", file, lineno,
			       !fields[0][0] ? "COMM" : !fields[1][0] ? "OP" : "PATH");
			goto out;
		}
		if (strcmp(fields[1], "*") && sw_op_from_name(fields[1]) < 0) {
			sw_err("%s:%u: unknown op '%s' (%s or *)", file, lineno, fields[1],
			       sw_op_list());
			goto out;
		}
		if (!pattern_ok(fields[0]) || !pattern_ok(fields[2])) {
			sw_err("%s:%u: %s pattern ends with a lone backslash", file, lineno,
			       pattern_ok(fields[0]) ? "PATH" : "COMM");
			goto out;
		}
		r = realloc(c->rules, (c->n_rules + 1) * sizeof(*r));
		if (!r)
			goto oom;
		c->rules = r;
		r += c->n_rules;
		r->comm = strdup(fields[0]);
		r->path = strdup(fields[2]);
		r->op = strcmp(fields[1], "*") ? sw_op_from_name(fields[1]) : -1;
		if (!r->comm || !r->path) {
			free(r->comm);
			free(r->path);
			goto oom;
		}
		c->n_rules++;
	}
	if (ferror(f)) {
		sw_err("%s: cannot read the baseline: %s", file, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
oom:
	sw_err("%s: out of memory", file);
out:
	free(line);
	fclose(f);
	return rc;
}

bool ci_baseline_covers(const struct ci_baseline *b, const char *comm, uint32_t op,
			const char *path)
{
	for (int i = 0; i < b->n_rules; i++) {
		const struct ci_rule *r = &b->rules[i];

		if ((r->op < 0 || (uint32_t)r->op == op) &&
		    !fnmatch(r->comm, comm, 0) && !fnmatch(r->path, path, 0))
			return true;
	}
	return false;
}

/* A pattern that matches exactly s: glob characters quoted; control characters
 * (which the line format cannot hold) matched by '?'. */
static void put_glob(FILE *f, const char *s, bool first_field)
{
	if (!*s) {
		fputc('*', f);	/* an empty field cannot be written */
		return;
	}
	if (first_field && *s == '#')
		fputc('\\', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch < 0x20 || ch == 0x7f)
			fputc('?', f);
		else if (ch == '*' || ch == '?' || ch == '[' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else
			fputc(ch, f);
	}
}

void ci_baseline_write(FILE *f, struct ci_group *const *groups, size_t n)
{
	fputs("# splicewatch ci baseline: known unsafe writes, one per line.\n"
	      "# COMM<TAB>OP<TAB>PATH; COMM and PATH are fnmatch(3) patterns, OP an op name or *.\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const struct ci_group *g = groups[i];

		put_glob(f, g->comm, true);
		fprintf(f, "\t%s\t", sw_op_name(g->op));
		put_glob(f, g->path, false);
		fputc('\n', f);
	}
}

void ci_baseline_free(struct ci_baseline *b)
{
	for (int i = 0; i < b->n_rules; i++) {
		free(b->rules[i].comm);
		free(b->rules[i].path);
	}
	free(b->rules);
	b->rules = NULL;
	b->n_rules = 0;
}
