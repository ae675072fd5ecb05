// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Identity of the writer and of the holder, from what the kernel told at the
 * write and the splice (pid, cgroup id, start): the executable (/proc/PID/exe
 * of that very process, never of a process that reused its pid), the cgroup
 * v2 path (open_by_handle_at on the cgroup2 mount; without the capability a
 * scan of it), and the container the path names (one table of the runtimes'
 * layouts). Caches are direct-mapped arrays: a flood of new pids or cgroups
 * overwrites entries, it cannot grow them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "common.h"
#include "identity.h"
#include "splicewatch.h"

/* ---- executables ----------------------------------------------------------- */

#define EXE_SLOTS	256
#define USER_HZ_NS	10000000ULL	/* /proc/PID/stat's starttime: USER_HZ (100) ticks */

struct exe_entry {
	uint32_t pid;		/* 0: free */
	uint64_t start;		/* starttime, in ticks since boot */
	char *exe;		/* NULL: not readable */
};

static struct exe_entry exes[EXE_SLOTS];

/* Field 22 of /proc/PID/stat: when the process started (ticks since boot). */
static bool proc_start(uint32_t pid, uint64_t *start)
{
	char p[64], buf[1024], *s;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%u/stat", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	s = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	if (!s)
		return false;
	return sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %" SCNu64,
		      start) == 1;
}

/* The entry of the process pid is now, filled if it was not (the exe read
 * between two looks at its start: the same process throughout); or, the
 * process gone, the one the cache last saw with that pid. */
static struct exe_entry *exe_lookup(uint32_t pid)
{
	struct exe_entry *e = &exes[pid % EXE_SLOTS];
	char p[64], buf[SW_PATH_MAX];
	uint64_t start, again;
	ssize_t n;

	if (!pid)
		return NULL;
	if (!proc_start(pid, &start))
		return e->pid == pid ? e : NULL;
	if (e->pid == pid && e->start == start)
		return e;
	snprintf(p, sizeof(p), "/proc/%u/exe", pid);
	n = readlink(p, buf, sizeof(buf) - 1);
	if (!proc_start(pid, &again) || again != start)
		return NULL;	/* exited (and maybe reused) meanwhile */
	free(e->exe);
	e->pid = pid;
	e->start = start;
	e->exe = n > 0 ? strndup(buf, n) : NULL;
	return e;
}

/* CLOCK_BOOTTIME - CLOCK_MONOTONIC: /proc's start times count suspend. */
static int64_t boot_minus_mono(void)
{
	struct timespec b, m;

	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)b.tv_sec - m.tv_sec) * 1000000000LL + (b.tv_nsec - m.tv_nsec);
}

/* The writer: the process that started when the kernel says it did. */
static const char *writer_exe(const struct sw_event *ev)
{
	struct exe_entry *e = exe_lookup(ev->pid);

	if (!e || !ev->start_boottime || e->start != ev->start_boottime / USER_HZ_NS)
		return NULL;
	return e->exe;
}

/* The splicer: a process with its pid that had started by the splice
 * (a pid reused after it is a later process). To the tick: one started in
 * the tick of the splice, after the splicer exited, is not told apart. */
static const char *splicer_exe(const struct sw_event *ev)
{
	int64_t hold_boot = (int64_t)(ev->ts_ns - ev->held_ns) + boot_minus_mono();
	struct exe_entry *e = exe_lookup(ev->splicer_pid);

	if (!e || hold_boot < 0 || e->start > (uint64_t)hold_boot / USER_HZ_NS)
		return NULL;
	return e->exe;
}

/* ---- cgroup paths ------------------------------------------------------------ */

#define CGROUP_SLOTS	512
#define SCAN_DEPTH	32
#define FILEID_KERNFS	0xfe

struct cg_entry {
	uint64_t id;		/* 0: free */
	char *path;		/* NULL: the cgroup is gone (ids are never reused) */
	struct sw_container c;
	bool is_container;
};

static struct cg_entry cgroups[CGROUP_SLOTS];
static char cg_mnt[SW_PATH_MAX];	/* the cgroup2 mount point; "": none */
static int cg_mnt_fd = -2;		/* -2: not looked for; -1: none */
static bool cg_by_handle = true;	/* open_by_handle_at works (CAP_DAC_READ_SEARCH) */

static void cg_init(void)
{
	char line[8192], root[SW_PATH_MAX], mnt[SW_PATH_MAX], fstype[64];
	FILE *f;

	if (cg_mnt_fd != -2)
		return;
	cg_mnt_fd = -1;
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2") ||
		    sscanf(line, "%*u %*u %*u:%*u %4095s %4095s", root, mnt) != 2 || strcmp(root, "/"))
			continue;	/* paths are from the root of the hierarchy */
		snprintf(cg_mnt, sizeof(cg_mnt), "%s", mnt);
		/* Not O_PATH: open_by_handle_at() wants an open directory. */
		cg_mnt_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	}
	if (f)
		fclose(f);
	if (getenv("SPLICEWATCH_TEST_CGROUP_SCAN"))
		cg_by_handle = false;
}

/* Is path (from the hierarchy's root) the directory of cgroup id now? */
static bool cg_is(const char *path, uint64_t id)
{
	char full[2 * SW_PATH_MAX];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", cg_mnt, path);
	return !stat(full, &st) && S_ISDIR(st.st_mode) && st.st_ino == id;
}

/* The kernel names the directory: a kernfs file handle is the cgroup id. */
static char *cg_path_by_handle(uint64_t id, bool *unsupported)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS }, .id = id };
	char link[64], buf[SW_PATH_MAX];
	size_t ml = strlen(cg_mnt);
	ssize_t n;
	int fd;

	fd = open_by_handle_at(cg_mnt_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		/* ESTALE: the cgroup is gone. Anything else: not this way. */
		*unsupported = errno != ESTALE && errno != ENOENT;
		return NULL;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || (size_t)n < ml || memcmp(buf, cg_mnt, ml))
		return NULL;
	buf[n] = 0;
	/* The root is the mount point itself; " (deleted)" and a rename since
	 * are caught by looking at the path. */
	if (!buf[ml])
		return strdup("/");
	return cg_is(buf + ml, id) ? strdup(buf + ml) : NULL;
}

/* Without the capability: walk the hierarchy for the directory whose inode
 * number is the id. Bounded depth; what the walk passes is not cached (a
 * flood of cgroups would only churn the cache). */
static bool cg_scan(char *path, size_t len, size_t cap, uint64_t id, int depth)
{
	char full[2 * SW_PATH_MAX];
	struct dirent *d;
	struct stat st;
	bool found = false;
	DIR *dir;

	snprintf(full, sizeof(full), "%s%s", cg_mnt, path);
	dir = opendir(full);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		size_t nl = strlen(d->d_name);

		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ||
		    len + 1 + nl >= cap)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, d->d_name, nl + 1);
		if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (st.st_ino == id)
			found = true;
		else if (depth < SCAN_DEPTH)
			found = cg_scan(path, len + 1 + nl, cap, id, depth + 1);
	}
	closedir(dir);
	if (!found)
		path[len] = 0;
	return found;
}

static char *cg_path_of(uint64_t id)
{
	char buf[SW_PATH_MAX];
	bool unsupported = false;
	char *p;

	if (cg_mnt_fd < 0)
		return NULL;
	if (cg_by_handle) {
		p = cg_path_by_handle(id, &unsupported);
		if (p || !unsupported)
			return p;
		cg_by_handle = false;
	}
	buf[0] = 0;
	if (cg_is("/", id))
		return strdup("/");
	return cg_scan(buf, 0, sizeof(buf), id, 0) ? strdup(buf) : NULL;
}

/* Owner of the directory path[0, len) of the hierarchy, for the claim. */
static int64_t cg_owner(const char *path, size_t len)
{
	char full[2 * SW_PATH_MAX];
	struct stat st;

	snprintf(full, sizeof(full), "%s%.*s", cg_mnt, (int)len, path);
	return stat(full, &st) ? -1 : (int64_t)st.st_uid;
}

/* The cache entry of cgroup id, resolved again when it no longer names it. */
static struct cg_entry *cg_lookup(uint64_t id)
{
	struct cg_entry *e = &cgroups[id % CGROUP_SLOTS];

	if (!id)
		return NULL;
	cg_init();
	if (e->id == id && (!e->path || cg_is(e->path, id)))
		return e;	/* a gone cgroup stays gone: its id is never reused */
	free(e->path);
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->path = cg_path_of(id);
	e->c.claimed_by_uid = -1;
	if (e->path)
		e->is_container = sw_container_of(e->path, cg_owner, &e->c);
	return e;
}

/* ---- containers --------------------------------------------------------------- */

/* How a runtime names the cgroup of a container: one path component
 * prefix + ID + suffix, where the component before it (parent, NULL: any)
 * is as given. The deepest component that matches is the container
 * (podman puts its payload in a "container" child of its scope). */
#define ID_HEX64	1	/* the id is 64 hex digits */
#define ID_NAME		2	/* the id is a name (systemd-escaped in units) */

static const struct layout {
	const char *runtime;
	const char *parent;
	const char *prefix;
	const char *suffix;
	int id;
} layouts[] = {
	/* systemd cgroup driver: docker, and kubelet's pods under kubepods.slice */
	{ "docker", NULL, "docker-", ".scope", ID_HEX64 },
	{ "containerd", NULL, "cri-containerd-", ".scope", ID_HEX64 },
	{ "cri-o", NULL, "crio-", ".scope", ID_HEX64 },
	{ "podman", NULL, "libpod-", ".scope", ID_HEX64 },
	/* cgroupfs drivers */
	{ "docker", "docker", "", "", ID_HEX64 },
	{ "podman", "libpod_parent", "libpod-", "", ID_HEX64 },
	{ "cri", "pod*", "", "", ID_HEX64 },	/* /kubepods/[qos/]pod<uid>/<id> */
	{ "systemd-nspawn", "machine.slice", "systemd-nspawn@", ".service", ID_NAME },
	{ "systemd-nspawn", "machine.slice", "machine-", ".scope", ID_NAME },
	{ "lxc", NULL, "lxc.payload.", "", ID_NAME },
};

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* "\x2d" -> "-": systemd escapes unit name characters that way. */
static void unit_unescape(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	unsigned v;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && sscanf(s + i + 2, "%2x", &v) == 1) {
			out[o++] = v ? (char)v : '?';
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = 0;
}

static bool comp_is(const char *comp, size_t n, const char *want)
{
	size_t wl = strlen(want);

	if (want[wl - 1] == '*')
		return n >= wl - 1 && !memcmp(comp, want, wl - 1);
	return n == wl && !memcmp(comp, want, wl);
}

/* Does component comp (n bytes), after parent, name a container by layout l? */
static bool layout_match(const struct layout *l, const char *parent, size_t pn, const char *comp,
			 size_t n, struct sw_container *c)
{
	size_t pl = strlen(l->prefix), sl = strlen(l->suffix), il;
	const char *id = comp + pl;

	if (l->parent && (!parent || !comp_is(parent, pn, l->parent)))
		return false;
	if (n <= pl + sl || memcmp(comp, l->prefix, pl) || memcmp(comp + n - sl, l->suffix, sl))
		return false;
	il = n - pl - sl;
	if (l->id == ID_HEX64) {
		if (il != 64 || !all_hex(id, il))
			return false;
		memcpy(c->id, id, il);
		c->id[il] = 0;
	} else {
		unit_unescape(c->id, sizeof(c->id), id, il);
	}
	c->runtime = l->runtime;
	return true;
}

/* A Kubernetes pod component: kubepods-<qos>-pod<uid>.slice (systemd
 * driver, '_' for '-'), kubepods-pod<uid>.slice (Guaranteed), pod<uid>. */
static bool pod_of(const char *comp, size_t n, char *uid)
{
	const char *p = NULL;
	size_t ul;

	if (n > 9 + 6 && !memcmp(comp, "kubepods-", 9) && !memcmp(comp + n - 6, ".slice", 6)) {
		p = memmem(comp + 8, n - 6 - 8, "pod", 3);	/* after "kubepods" */
		n -= 6;
	} else if (n > 3 && !memcmp(comp, "pod", 3)) {
		p = comp;
	}
	if (!p)
		return false;
	p += 3;
	ul = comp + n - p;
	if (ul != 36)
		return false;
	for (size_t i = 0; i < ul; i++) {
		char ch = p[i] == '_' ? '-' : p[i];

		if (!(isxdigit((unsigned char)ch) || ch == '-'))
			return false;
		uid[i] = ch;
	}
	uid[ul] = 0;
	return true;
}

bool sw_container_of(const char *path, int64_t (*owner)(const char *path, size_t len),
		     struct sw_container *c)
{
	const char *comp[SW_PATH_DEPTH + 1];
	size_t len[SW_PATH_DEPTH + 1];
	int n = 0, found = -1, outer, pod = -1;
	bool kube;

	memset(c, 0, sizeof(*c));
	c->claimed_by_uid = -1;
	for (const char *s = path; *s && n <= SW_PATH_DEPTH;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		comp[n] = s;
		s += strcspn(s, "/");
		len[n] = s - comp[n];
		n++;
	}
	kube = n && (comp_is(comp[0], len[0], "kubepods") || comp_is(comp[0], len[0], "kubepods.slice"));
	for (int i = n - 1; found < 0 && i >= 0; i--)
		for (size_t k = 0; k < sizeof(layouts) / sizeof(layouts[0]); k++) {
			const struct layout *l = &layouts[k];

			if (!strcmp(l->runtime, "cri") && !kube)
				continue;
			if (layout_match(l, i ? comp[i - 1] : NULL, i ? len[i - 1] : 0, comp[i], len[i], c)) {
				found = i;
				break;
			}
		}
	if (found < 0)
		return false;
	for (int i = 0; kube && i < found; i++)
		if (pod_of(comp[i], len[i], c->pod_uid)) {
			pod = i;
			break;
		}
	/* The claim: whoever owns a directory from the one the outermost
	 * named component was made in down to the container's could have
	 * named them. Root's alone: a runtime's (or root's) layout. */
	outer = pod >= 0 ? pod : found;
	for (int i = outer - 1; owner && i <= found; i++) {
		size_t l = i < 0 ? 0 : (size_t)(comp[i] + len[i] - path);
		int64_t uid = owner(path, l);

		if (uid > 0) {
			c->claimed_by_uid = uid;
			break;
		}
	}
	return true;
}

/* ---- the JSON keys -------------------------------------------------------------- */

static void key(char *out, size_t cap, const char *prefix, const char *name)
{
	snprintf(out, cap, "%s%s", prefix, name);
}

static void cgroup_json(struct json *j, const char *prefix, uint64_t id)
{
	struct cg_entry *e = cg_lookup(id);
	char k[64];

	key(k, sizeof(k), prefix, "cgroup");
	if (!e || !e->path) {
		json_null(j, k);
		return;
	}
	json_str(j, k, e->path);
	if (!e->is_container)
		return;
	key(k, sizeof(k), prefix, "container_runtime");
	json_str(j, k, e->c.runtime);
	key(k, sizeof(k), prefix, "container_id");
	json_str(j, k, e->c.id);
	if (e->c.pod_uid[0]) {
		key(k, sizeof(k), prefix, "pod_uid");
		json_str(j, k, e->c.pod_uid);
	}
	if (e->c.claimed_by_uid >= 0) {
		key(k, sizeof(k), prefix, "container_claimed_by_uid");
		json_u64(j, k, (uint64_t)e->c.claimed_by_uid);
	}
}

static void exe_json(struct json *j, const char *k, const char *exe)
{
	if (exe)
		json_str(j, k, exe);
	else
		json_null(j, k);
}

void sw_identity_note(const struct sw_event *ev)
{
	exe_lookup(ev->pid);
	exe_lookup(ev->splicer_pid);
	cg_lookup(ev->cgroup_id);
	cg_lookup(ev->splicer_cgroup_id);
}

void sw_identity_writer_json(struct json *j, const struct sw_event *ev)
{
	json_u64(j, "ppid", ev->ppid);
	if (ev->loginuid != SW_LOGINUID_UNSET)
		json_u64(j, "loginuid", ev->loginuid);
	exe_json(j, "exe", writer_exe(ev));
	cgroup_json(j, "", ev->cgroup_id);
}

void sw_identity_splicer_json(struct json *j, const struct sw_event *ev)
{
	if (ev)
		json_u64(j, "splicer_cgroup_id", ev->splicer_cgroup_id);
	else
		json_null(j, "splicer_cgroup_id");
	exe_json(j, "splicer_exe", ev ? splicer_exe(ev) : NULL);
	cgroup_json(j, "splicer_", ev ? ev->splicer_cgroup_id : 0);
}
