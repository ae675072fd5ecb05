// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `ci --scope cgroup` (ci.h): COMMAND runs in a cgroup v2 of its own, which
 * splicewatch creates under the root of the cgroup v2 hierarchy before the
 * programs load (they compare the writer's cgroup ancestry with its id) and
 * removes after COMMAND exited, killing what COMMAND left running in it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "caps.h"
#include "ci.h"
#include "sw.h"

/* The kernfs id (and inode) of a cgroup hierarchy's root. */
#define CGROUP_ROOT_ID	1

/* The first cgroup2 mount of the hierarchy's root, into mnt; -1 (said) if none. */
static int find_root_mount(char *mnt, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	struct stat st;
	const char *other = NULL;
	char other_dir[256] = "";
	int rc = -1;

	if (!f) {
		sw_err("ci: cannot read /proc/self/mounts: %s", strerror(errno));
		return -1;
	}
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		if (stat(m->mnt_dir, &st) || st.st_ino != CGROUP_ROOT_ID) {
			snprintf(other_dir, sizeof(other_dir), "%s", m->mnt_dir);
			other = other_dir;
			continue;
		}
		if (strlen(m->mnt_dir) < len) {
			strcpy(mnt, m->mnt_dir);
			rc = 0;
			break;
		}
	}
	endmntent(f);
	if (!rc)
		return 0;
	if (other)
		sw_err("ci: the cgroup v2 mount %s is not the hierarchy's root (a cgroup "
		       "namespace?): --scope cgroup needs the root; --scope pids follows pids "
		       "instead (unsafe: see docs/ci.md)", other);
	else
		sw_err("ci: no cgroup v2 hierarchy is mounted (none in /proc/self/mounts): "
		       "mount one (mount -t cgroup2 none /sys/fs/cgroup) for --scope cgroup, "
		       "or pass --scope pids to follow pids (unsafe: see docs/ci.md)");
	return -1;
}

int ci_cgroup_create(struct ci_cgroup *cg)
{
	char mnt[sizeof(cg->path) - 64];
	struct stat st;

	memset(cg, 0, sizeof(*cg));
	if (find_root_mount(mnt, sizeof(mnt)))
		return -1;
	snprintf(cg->path, sizeof(cg->path), "%s/splicewatch-ci.%d", mnt, (int)getpid());
	/* A directory of an earlier run with our pid: empty, or rmdir fails. */
	sw_caps_cgroup_begin();
	if (mkdir(cg->path, 0755) && (errno != EEXIST || rmdir(cg->path) || mkdir(cg->path, 0755))) {
		sw_caps_cgroup_end();
		sw_err("ci: cannot create the cgroup %s: %s", cg->path, strerror(errno));
		cg->path[0] = 0;
		return -1;
	}
	sw_caps_cgroup_end();
	if (stat(cg->path, &st)) {
		sw_err("ci: cannot stat the cgroup %s: %s", cg->path, strerror(errno));
		sw_caps_cgroup_begin();
		rmdir(cg->path);
		sw_caps_cgroup_end();
		cg->path[0] = 0;
		return -1;
	}
	cg->id = st.st_ino;
	cg->level = 1;	/* a child of the root */
	return 0;
}

/* Writes s into the cgroup's file name; 0 or -1 (errno). */
static int cg_write(const struct ci_cgroup *cg, const char *name, const char *s)
{
	char p[sizeof(cg->path) + 32];
	int fd, r;

	snprintf(p, sizeof(p), "%s/%s", cg->path, name);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	if (close(fd))
		r = -1;
	return r;
}

int ci_cgroup_enter(const struct ci_cgroup *cg, pid_t pid)
{
	char s[24];
	int r;

	snprintf(s, sizeof(s), "%d\n", (int)pid);
	/* Moving a process needs write access to cgroup.procs of the common
	 * ancestor: the root's. */
	sw_caps_cgroup_begin();
	r = cg_write(cg, "cgroup.procs", s);
	sw_caps_cgroup_end();
	return r;
}

/* The processes in cgroup dir and the cgroups below it (COMMAND may have made
 * some), SIGKILLed when kill_them is set; with rm, the cgroups below are
 * removed, deepest first (a cgroup with children cannot be). */
static unsigned cg_walk(const char *dir, bool kill_them, bool rm, int depth)
{
	char p[4096];
	unsigned n = 0;
	struct dirent *e;
	FILE *f;
	DIR *d;
	int pid;

	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	f = fopen(p, "re");
	if (f) {
		while (fscanf(f, "%d", &pid) == 1) {
			n++;
			if (kill_them)
				kill(pid, SIGKILL);
		}
		fclose(f);
	}
	d = depth < 64 ? opendir(dir) : NULL;
	if (!d)
		return n;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p))
			continue;
		n += cg_walk(p, kill_them, rm, depth + 1);
		if (rm)
			rmdir(p);
	}
	closedir(d);
	return n;
}

int ci_cgroup_remove(struct ci_cgroup *cg, bool quiet)
{
	unsigned left;
	int i;

	if (!cg->path[0])
		return 0;
	sw_caps_cgroup_begin();	/* rmdir in the root's directory */
	left = cg_walk(cg->path, false, false, 0);
	if (left) {
		/* cgroup.kill (5.14+) kills the subtree, those forking included. */
		if (cg_write(cg, "cgroup.kill", "1"))
			cg_walk(cg->path, true, false, 0);
		if (!quiet)
			sw_info("ci: killed %u process%s COMMAND left running in its cgroup",
				left, left == 1 ? "" : "es");
	}
	/* Killed tasks leave the cgroup as they exit: rmdir is EBUSY until then. */
	for (i = 0; i < 500; i++) {
		cg_walk(cg->path, i % 50 == 49, true, 0);
		if (!rmdir(cg->path) || errno == ENOENT) {
			sw_caps_cgroup_end();
			cg->path[0] = 0;
			return left;
		}
		if (errno != EBUSY && errno != ENOTEMPTY)
			break;
		usleep(10000);
	}
	sw_caps_cgroup_end();
	sw_err("ci: cannot remove the cgroup %s: %s", cg->path, strerror(errno));
	return left;
}
