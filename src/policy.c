// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* enforce policy: allowlist entries and the YAML policy file (docs/enforce.md). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <yaml.h>
#include "policy.h"
#include "aggregate.h"

/* Messages quote what the file said: never let it put control bytes on a terminal. */
static void sanitise(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void __attribute__((format(printf, 3, 4)))
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	sanitise(err);
}

/* Absolute, and no empty, "." or ".." component (a trailing '/' is fine). */
static bool normalised(const char *s)
{
	const char *p = s + 1, *q;
	size_t l;

	while (*p) {
		q = strchrnul(p, '/');
		l = q - p;
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!*q)
			break;
		p = q + 1;
	}
	return true;
}

static void *grow(void *p, size_t n, size_t size)
{
	return realloc(p, (n + 1) * size);
}

/* The identity of an --allow-path rule: its inode and its filesystem's dev_t
 * in the kernel's encoding (what BPF reads from the superblock). Symlinks are
 * followed. Refused on filesystems where (superblock, inode number) does not
 * name one file: btrfs and bcachefs subvolumes and snapshots share one
 * superblock and repeat inode numbers, and overlayfs inode numbers come from
 * several layers; a rule there could exempt a file a user made to match. */
static int rule_inode(const char *path, struct sw_allow_inode *key, char *err, size_t errlen)
{
	static const struct {
		long magic;
		const char *name;
	} shared_ino[] = {
		{ BTRFS_SUPER_MAGIC, "btrfs" },
		{ 0xca451a4e, "bcachefs" },	/* BCACHEFS_SUPER_MAGIC, not in older headers */
		{ OVERLAYFS_SUPER_MAGIC, "overlayfs" },
	};
	struct statfs sfs;
	struct stat st;

	if (stat(path, &st) || statfs(path, &sfs)) {
		errf(err, errlen, "'%s': %s (a path rule must name an existing file or directory)",
		     path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(shared_ino) / sizeof(shared_ino[0]); i++)
		if ((unsigned long)sfs.f_type == (unsigned long)shared_ino[i].magic) {
			errf(err, errlen, "'%s' is on %s, where inode numbers do not name one file: "
			     "path rules there are not supported", path, shared_ino[i].name);
			return -1;
		}
	memset(key, 0, sizeof(*key));
	key->dev = sw_kdev(major(st.st_dev), minor(st.st_dev));
	key->ino = st.st_ino;
	return 0;
}

int policy_on_untracked_parse(const char *s, uint32_t *how)
{
	if (!strcmp(s, "report"))
		*how = SW_ON_UNTRACKED_REPORT;
	else if (!strcmp(s, "deny"))
		*how = SW_ON_UNTRACKED_DENY;
	else if (!strcmp(s, "kill"))
		*how = SW_ON_UNTRACKED_KILL;
	else
		return -1;
	return 0;
}

int policy_fallback_parse(const char *s, enum sw_fallback *f)
{
	if (!strcmp(s, "kill"))
		*f = SW_FALLBACK_KILL;
	else if (!strcmp(s, "dry-run"))
		*f = SW_FALLBACK_DRY_RUN;
	else
		return -1;
	return 0;
}

int policy_allow_add(struct sw_config *cfg, enum policy_allow kind, const char *value,
		     char *err, size_t errlen)
{
	struct sw_allow_inode key;
	uint64_t v;
	struct stat st;
	struct statfs sfs;
	size_t n = strlen(value);
	void *p;

	switch (kind) {
	case POLICY_ALLOW_PID:
		if (!parse_u64(value, &v) || !v || v > 0x7fffffff) {
			errf(err, errlen, "'%s' is not a process id (1 to 2147483647)", value);
			return -1;
		}
		p = grow(cfg->allow_pids, cfg->n_allow_pids, sizeof(uint32_t));
		if (!p)
			goto oom;
		cfg->allow_pids = p;
		cfg->allow_pids[cfg->n_allow_pids++] = v;
		return 0;
	case POLICY_ALLOW_COMM:
		if (!n || n >= SW_TASK_COMM_LEN) {
			errf(err, errlen, "'%s' is not a comm: 1 to %d bytes", value, SW_TASK_COMM_LEN - 1);
			return -1;
		}
		p = grow(cfg->allow_comms, cfg->n_allow_comms, SW_TASK_COMM_LEN);
		if (!p)
			goto oom;
		cfg->allow_comms = p;
		memset(cfg->allow_comms[cfg->n_allow_comms], 0, SW_TASK_COMM_LEN);
		memcpy(cfg->allow_comms[cfg->n_allow_comms++], value, n);
		return 0;
	case POLICY_PROTECT_UID: {
		struct passwd *pw = getpwnam(value);

		if (pw)
			v = pw->pw_uid;
		else if (!parse_u64(value, &v) || v >= 0xffffffffULL) {
			errf(err, errlen, "'%s' is neither a user name nor a uid (0 to 4294967294)",
			     value);
			return -1;
		}
		p = grow(cfg->protect_uids, cfg->n_protect_uids, sizeof(uint32_t));
		if (!p)
			goto oom;
		cfg->protect_uids = p;
		cfg->protect_uids[cfg->n_protect_uids++] = v;
		return 0;
	}
	case POLICY_ALLOW_CGROUP:
	case POLICY_PROTECT_CGROUP:
		if (stat(value, &st)) {
			errf(err, errlen, "cgroup '%s': %s", value, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode) || statfs(value, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
			errf(err, errlen, "'%s' is not a cgroup v2 directory", value);
			return -1;
		}
		if (kind == POLICY_PROTECT_CGROUP) {
			p = grow(cfg->protect_cgroups, cfg->n_protect_cgroups, sizeof(uint64_t));
			if (!p)
				goto oom;
			cfg->protect_cgroups = p;
			cfg->protect_cgroups[cfg->n_protect_cgroups++] = st.st_ino;
			return 0;
		}
		p = grow(cfg->allow_cgroups, cfg->n_allow_cgroups, sizeof(uint64_t));
		if (!p)
			goto oom;
		cfg->allow_cgroups = p;
		cfg->allow_cgroups[cfg->n_allow_cgroups++] = st.st_ino;
		return 0;
	case POLICY_ALLOW_PATH:
		if (value[0] != '/') {
			errf(err, errlen, "'%s' is not an absolute path", value);
			return -1;
		}
		if (!normalised(value)) {
			errf(err, errlen, "'%s' is not a normalised path (no '//', '.' or '..' components)",
			     value);
			return -1;
		}
		if (cfg->n_allow_paths >= SW_ALLOW_PATHS_MAX) {
			errf(err, errlen, "too many path rules: at most %d in all (file and command line)",
			     SW_ALLOW_PATHS_MAX);
			return -1;
		}
		/* The rule is the file's identity now: what BPF compares. */
		if (rule_inode(value, &key, err, errlen))
			return -1;
		p = grow(cfg->allow_paths, cfg->n_allow_paths, sizeof(key));
		if (!p)
			goto oom;
		cfg->allow_paths = p;
		cfg->allow_paths[cfg->n_allow_paths++] = key;
		return 0;
	}
	errf(err, errlen, "internal error: unknown allowlist %d", (int)kind);
	return -1;
oom:
	errf(err, errlen, "out of memory");
	return -1;
}

void policy_free(struct sw_config *cfg)
{
	free(cfg->allow_pids);
	free(cfg->allow_comms);
	free(cfg->allow_cgroups);
	free(cfg->allow_paths);
	free(cfg->protect_uids);
	free(cfg->protect_cgroups);
	cfg->protect_uids = NULL;
	cfg->protect_cgroups = NULL;
	cfg->n_protect_uids = cfg->n_protect_cgroups = 0;
	cfg->allow_pids = NULL;
	cfg->allow_comms = NULL;
	cfg->allow_cgroups = NULL;
	cfg->allow_paths = NULL;
	cfg->n_allow_pids = cfg->n_allow_comms = cfg->n_allow_cgroups = cfg->n_allow_paths = 0;
}

/* ---- the policy file ------------------------------------------------------- */

struct pctx {
	yaml_document_t *doc;
	const char *name;
	struct sw_config *cfg;
	struct policy_info *info;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errf(c->err, c->errlen, "%s:%zu: %s", c->name, n ? n->start_mark.line + 1 : 1, msg);
	return -1;
}

static yaml_node_t *node(struct pctx *c, yaml_node_item_t i)
{
	return yaml_document_get_node(c->doc, i);
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* An empty value, ~ or null (YAML's null), not quoted. */
static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return is_plain(n) && (!v[0] || !strcmp(v, "~") || !strcmp(v, "null") ||
			       !strcmp(v, "Null") || !strcmp(v, "NULL"));
}

/* The scalar's text, or NULL (after fail()) if n is not a string without NULs. */
static const char *scalar(struct pctx *c, const yaml_node_t *n, const char *key, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail(c, n, "%s: expected %s, not %s", key, what, node_kind(n));
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		fail(c, n, "%s: a NUL byte in a value", key);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int get_bool(struct pctx *c, const yaml_node_t *n, const char *key, bool *out)
{
	const char *v = scalar(c, n, key, "true or false");

	if (!v)
		return -1;
	if (is_plain(n) && (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))) {
		*out = true;
		return 0;
	}
	if (is_plain(n) && (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))) {
		*out = false;
		return 0;
	}
	return fail(c, n, "%s: expected true or false, not '%s'", key, v);
}

/* The sections of lists: allow (writers left alone), protect (consumers
 * whose holds are acted on for any writer). */
struct list_key {
	const char *name;
	enum policy_allow kind;
	const char *what;	/* what an item is, for messages */
};

struct list_section {
	const char *name;
	const struct list_key *keys;
	unsigned n;
	const char *known;	/* the keys, for messages */
};

static const struct list_key allow_keys[] = {
	{ "pids", POLICY_ALLOW_PID, "a process id" },
	{ "comms", POLICY_ALLOW_COMM, "a string" },
	{ "cgroups", POLICY_ALLOW_CGROUP, "a string" },
	{ "paths", POLICY_ALLOW_PATH, "a string" },
};

static const struct list_key protect_keys[] = {
	{ "uids", POLICY_PROTECT_UID, "a user name or uid" },
	{ "cgroups", POLICY_PROTECT_CGROUP, "a string" },
};

static const struct list_section allow_section = { "allow", allow_keys, 4, "pids, comms, cgroups, paths" };
static const struct list_section protect_section = { "protect", protect_keys, 2, "uids, cgroups" };

static int parse_list(struct pctx *c, const yaml_node_t *n, const struct list_section *sec,
		      const struct list_key *key)
{
	char full[32], reason[384];
	yaml_node_item_t *it;

	snprintf(full, sizeof(full), "%s.%s", sec->name, key->name);
	if (n->type == YAML_SCALAR_NODE && is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: expected a list, not %s", full, node_kind(n));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const yaml_node_t *item = node(c, *it);
		const char *v;

		if (!item)
			return fail(c, n, "%s: broken list", full);
		v = scalar(c, item, full, key->what);
		if (!v)
			return -1;
		if ((key->kind == POLICY_ALLOW_CGROUP || key->kind == POLICY_PROTECT_CGROUP) &&
		    v[0] != '/')
			return fail(c, item, "%s: '%s' is not an absolute path", full, v);
		if (policy_allow_add(c->cfg, key->kind, v, reason, sizeof(reason)))
			return fail(c, item, "%s: %s", full, reason);
	}
	return 0;
}

static int parse_lists(struct pctx *c, const yaml_node_t *n, const struct list_section *sec)
{
	const char *s = sec->name;
	unsigned seen = 0;
	yaml_node_pair_t *pair;

	if (n->type == YAML_SCALAR_NODE && is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a mapping (%s), not %s", s, sec->known, node_kind(n));
	for (pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = node(c, pair->key), *v = node(c, pair->value);
		const char *name;
		unsigned i;

		if (!k || !v)
			return fail(c, n, "%s: broken mapping", s);
		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, "%s: keys must be names, not %s", s, node_kind(k));
		name = (const char *)k->data.scalar.value;
		for (i = 0; i < sec->n; i++)
			if (!strcmp(name, sec->keys[i].name))
				break;
		if (i == sec->n)
			return fail(c, k, "%s: unknown key '%s' (known: %s)", s, name, sec->known);
		if (seen & (1U << i))
			return fail(c, k, "%s: duplicate key '%s'", s, name);
		seen |= 1U << i;
		if (parse_list(c, v, sec, &sec->keys[i]))
			return -1;
	}
	return 0;
}

enum { K_VERSION, K_ACTION, K_SIGNAL, K_THREAD, K_DRY_RUN, K_ALLOW, K_ALLOW_NS_INIT, K_PROTECT,
       K_FALLBACK, K_ON_UNTRACKED, K_OUTPUT, K_FORMAT, K_NODE, K_AGGREGATE, K_VERIFY, K__COUNT };
static const char *const top_keys[K__COUNT] = {
	[K_VERSION] = "version", [K_ACTION] = "action", [K_SIGNAL] = "signal",
	[K_THREAD] = "thread", [K_DRY_RUN] = "dry_run", [K_ALLOW] = "allow",
	[K_ALLOW_NS_INIT] = "allow_ns_init", [K_PROTECT] = "protect", [K_FALLBACK] = "fallback",
	[K_ON_UNTRACKED] = "on_untracked", [K_OUTPUT] = "output", [K_FORMAT] = "format",
	[K_NODE] = "node",
	[K_AGGREGATE] = "aggregate", [K_VERIFY] = "verify",
};

static int parse_top(struct pctx *c, int key, const yaml_node_t *v)
{
	const char *s;
	int sig;
	bool b;

	switch (key) {
	case K_VERSION:
		s = scalar(c, v, "version", "1");
		if (!s)
			return -1;
		if (!is_plain(v) || strcmp(s, "1"))
			return fail(c, v, "version: this splicewatch reads policy version 1, not '%s'", s);
		return 0;
	case K_ACTION:
		s = scalar(c, v, "action", "kill or deny");
		if (!s)
			return -1;
		if (strcmp(s, "kill") && strcmp(s, "deny"))
			return fail(c, v, "action: '%s' is not kill or deny", s);
		if (c->info) {
			c->info->action_deny = !strcmp(s, "deny");
			c->info->set |= POLICY_SET_ACTION;
		}
		return 0;
	case K_SIGNAL:
		s = scalar(c, v, "signal", "a signal name or number");
		if (!s)
			return -1;
		sig = parse_signal(s);
		if (sig < 0)
			return fail(c, v, "signal: unknown signal '%s' (a name such as KILL, SIGUSR1, "
				    "or a number from 1 to 64)", s);
		c->cfg->signal = sig;
		if (c->info)
			c->info->set |= POLICY_SET_SIGNAL;
		return 0;
	case K_THREAD:
		if (get_bool(c, v, "thread", &b))
			return -1;
		c->cfg->signal_thread = b;
		if (c->info)
			c->info->set |= POLICY_SET_THREAD;
		return 0;
	case K_DRY_RUN:
		if (get_bool(c, v, "dry_run", &b))
			return -1;
		c->cfg->dry_run = b;
		if (c->info)
			c->info->set |= POLICY_SET_DRY_RUN;
		return 0;
	case K_ALLOW:
		return parse_lists(c, v, &allow_section);
	case K_PROTECT:
		return parse_lists(c, v, &protect_section);
	case K_ALLOW_NS_INIT:
		if (get_bool(c, v, "allow_ns_init", &b))
			return -1;
		c->cfg->allow_ns_init = b;
		return 0;
	case K_VERIFY:
		if (get_bool(c, v, "verify", &b))
			return -1;
		c->cfg->verify = b;
		return 0;
	case K_FALLBACK:
		s = scalar(c, v, "fallback", "kill or dry-run");
		if (!s)
			return -1;
		if (policy_fallback_parse(s, &c->cfg->fallback))
			return fail(c, v, "fallback: '%s' is not kill or dry-run", s);
		if (c->info)
			c->info->set |= POLICY_SET_FALLBACK;
		return 0;
	case K_ON_UNTRACKED:
		s = scalar(c, v, "on_untracked", "report, deny or kill");
		if (!s)
			return -1;
		if (policy_on_untracked_parse(s, &c->cfg->on_untracked))
			return fail(c, v, "on_untracked: '%s' is not report, deny or kill", s);
		return 0;
	case K_OUTPUT:
		s = scalar(c, v, "output", "journal, - or an absolute path");
		if (!s)
			return -1;
		if (strcmp(s, "journal") && strcmp(s, "-") && s[0] != '/')
			return fail(c, v, "output: '%s' is not journal, - (standard output) or an "
				    "absolute path", s);
		if (strlen(s) >= POLICY_OUTPUT_MAX)
			return fail(c, v, "output: longer than %d bytes", POLICY_OUTPUT_MAX - 1);
		if (c->info) {
			strcpy(c->info->output, s);
			c->info->set |= POLICY_SET_OUTPUT;
		}
		return 0;
	case K_FORMAT:
		s = scalar(c, v, "format", "text or json");
		if (!s)
			return -1;
		if (strcmp(s, "text") && strcmp(s, "json"))
			return fail(c, v, "format: '%s' is not text or json", s);
		if (c->info) {
			c->info->json = !strcmp(s, "json");
			c->info->set |= POLICY_SET_FORMAT;
		}
		return 0;
	case K_NODE: {
		const char *why;

		s = scalar(c, v, "node", "a node name");
		if (!s)
			return -1;
		why = sw_node_invalid(s);
		if (why)
			return fail(c, v, "node: not a node name: %s", why);
		if (c->info) {
			strcpy(c->info->node, s);
			c->info->set |= POLICY_SET_NODE;
		}
		return 0;
	}
	case K_AGGREGATE: {
		uint64_t ns;

		s = scalar(c, v, "aggregate", "a window (10s, 500ms, 2m) or off");
		if (!s)
			return -1;
		if (sw_agg_parse(s, &ns))
			return fail(c, v, "aggregate: '%s' is not a window (10s, 500ms, 2m, up to 1h; "
				    "0 or off)", s);
		if (c->info) {
			c->info->aggregate_ns = ns;
			c->info->set |= POLICY_SET_AGGREGATE;
		}
		return 0;
	}
	}
	return -1;
}

static int parse_root(struct pctx *c, const yaml_node_t *root)
{
	unsigned seen = 0;
	yaml_node_pair_t *pair;

	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root, "a policy is a mapping (keys such as action, signal, allow), not %s",
			    node_kind(root));
	for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = node(c, pair->key), *v = node(c, pair->value);
		const char *name;
		int i;

		if (!k || !v)
			return fail(c, root, "broken mapping");
		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, "keys must be names, not %s", node_kind(k));
		name = (const char *)k->data.scalar.value;
		for (i = 0; i < K__COUNT; i++)
			if (!strcmp(name, top_keys[i]))
				break;
		if (i == K__COUNT)
			return fail(c, k, "unknown key '%s' (known: version, action, signal, thread, "
				    "dry_run, fallback, allow, allow_ns_init, protect, on_untracked, output, "
				    "format, node, aggregate, verify)", name);
		if (seen & (1U << i))
			return fail(c, k, "duplicate key '%s'", name);
		seen |= 1U << i;
		if (parse_top(c, i, v))
			return -1;
	}
	return 0;
}

/* "NAME:LINE: reason" for a document libyaml could not load. */
static int yaml_failure(struct pctx *c, const yaml_parser_t *p, const char *buf, size_t len)
{
	size_t line = p->problem_mark.line + 1;
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		errf(c->err, c->errlen, "%s: out of memory", c->name);
		return -1;
	case YAML_READER_ERROR:
		/* The reader reports a byte offset, not a mark. */
		line = 1;
		for (size_t i = 0; i < len && i < p->problem_offset; i++)
			line += buf[i] == '\n';
		errf(c->err, c->errlen, "%s:%zu: not a UTF-8 text file: %s", c->name, line, problem);
		return -1;
	default:
		break;
	}
	if (p->context)
		errf(c->err, c->errlen, "%s:%zu: YAML syntax error: %s (%s started at line %zu)",
		     c->name, line, problem, p->context, p->context_mark.line + 1);
	else
		errf(c->err, c->errlen, "%s:%zu: YAML syntax error: %s", c->name, line, problem);
	return -1;
}

int policy_parse(const char *buf, size_t len, const char *name, struct sw_config *cfg,
		 struct policy_info *info, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	struct pctx c = {
		.doc = &doc, .name = name ? name : "policy", .cfg = cfg, .info = info,
		.err = err, .errlen = errlen,
	};
	int r = -1;

	if (info)
		memset(info, 0, sizeof(*info));
	if (!yaml_parser_initialize(&parser)) {
		errf(err, errlen, "%s: out of memory", c.name);
		return -1;
	}
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_failure(&c, &parser, buf, len);
		goto out_parser;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		errf(err, errlen, "%s:1: empty policy (expected keys such as action, signal, allow)",
		     c.name);
		goto out_doc;
	}
	if (parse_root(&c, root))
		goto out_doc;
	/* One document: a second one would be silently ignored otherwise. */
	if (!yaml_parser_load(&parser, &extra)) {
		yaml_failure(&c, &parser, buf, len);
		goto out_doc;
	}
	if (yaml_document_get_root_node(&extra)) {
		errf(err, errlen, "%s:%zu: a policy file holds one YAML document, this is a second one",
		     c.name, extra.start_mark.line + 1);
		yaml_document_delete(&extra);
		goto out_doc;
	}
	yaml_document_delete(&extra);
	r = 0;
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return r;
}

int policy_load(const char *path, struct sw_config *cfg, struct policy_info *info,
		char *err, size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *p;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(cap);
	if (!buf) {
		errf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			cap *= 2;
			p = realloc(buf, cap);
			if (!p) {
				errf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			goto fail;
		}
		if (!n)
			break;
		len += n;
		if (len > POLICY_MAX_BYTES) {
			errf(err, errlen, "%s: larger than %d bytes: not a policy file", path,
			     POLICY_MAX_BYTES);
			goto fail;
		}
	}
	close(fd);
	r = policy_parse(buf, len, path, cfg, info, err, errlen);
	free(buf);
	return r;
fail:
	close(fd);
	free(buf);
	return -1;
}
