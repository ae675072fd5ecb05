// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * swtest: runs every scenario against a real `splicewatch trace` (or `enforce`)
 * process on the running kernel and asserts on the JSON events it prints, the
 * writer's exit status, the file's bytes and what the pipe delivers.
 *
 * Each scenario's writer is a forked child with its own pid. After it exits, a
 * sentinel process makes one known unsafe write; its event marks the point by
 * which every event of the scenario has been delivered (one ring buffer, FIFO),
 * so "no event" is asserted without sleeping.
 *
 * Usage: swtest [--enforce | --deny] [--splicewatch PATH] [--backend NAME] [FILTER]
 */
#include <ctype.h>
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
#include "swtest.h"

#define SENTINEL_COMM "sw-sentinel"
#define MAX_FIELDS 40
/* Ready to first detected sentinel: tens of ms; generous for TCG under load. */
#define FIRST_SENTINEL_BOUND_MS 5000

struct event {
	int n;
	char key[MAX_FIELDS][32];
	char val[MAX_FIELDS][600];
	bool is_str[MAX_FIELDS];
};

static const char *sw_bin = "./splicewatch";
static const char *backend;
static bool enforce_mode;
static bool deny_mode;		/* enforce --action deny */
static pid_t sw_pid;
static char events_path[256], stderr_path[256];
static FILE *events_f;
static char linebuf[1 << 16];
static size_t linelen;
static int passed, failed;
/* How long splicewatch may take to report ready (load and verification). */
static int startup_timeout_s = 600;
static char fs_dirs[FS__COUNT][256];
static const char *fs_names[FS__COUNT] = { "ext4", "tmpfs", "hugetmpfs" };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

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

static bool parse_event(const char *line, struct event *ev)
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

static const char *ev_get(const struct event *ev, const char *key)
{
	for (int i = 0; i < ev->n; i++)
		if (!strcmp(ev->key[i], key))
			return ev->val[i];
	return NULL;
}

static long long ev_num(const struct event *ev, const char *key)
{
	const char *v = ev_get(ev, key);

	return v ? strtoll(v, NULL, 10) : -999999;
}

/* ---- the splicewatch process ---------------------------------------------- */

static int read_events(struct event *out, int max, int *n)
{
	int c;

	while ((c = fgetc(events_f)) != EOF) {
		if (c != '\n') {
			if (linelen + 1 < sizeof(linebuf))
				linebuf[linelen++] = c;
			continue;
		}
		linebuf[linelen] = 0;
		linelen = 0;
		if (*n < max && !parse_event(linebuf, &out[*n])) {
			printf("# unparseable event line: %s\n", linebuf);
			return -1;
		}
		if (*n < max)
			(*n)++;
	}
	clearerr(events_f);
	return 0;
}

static bool file_contains(const char *path, const char *needle)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return strstr(buf, needle) != NULL;
}

/* splicewatch's stderr, each line behind a TAP comment prefix. */
static void show_log(const char *path, const char *prefix)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("%s%s%s", prefix, line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

/* The backend splicewatch chose, from its "(backend: NAME)" start-up line. */
static char active_backend[32] = "unknown";

static void read_backend(void)
{
	char line[512], *p;
	FILE *f = fopen(stderr_path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if ((p = strstr(line, "(backend: ")) && sscanf(p, "(backend: %31[a-z]", active_backend) == 1)
			break;
	fclose(f);
	printf("# backend: %s\n", active_backend);
}

static int start_splicewatch(void)
{
	char *argv[16];
	int argc = 0;
	uint64_t t0, deadline;

	snprintf(events_path, sizeof(events_path), "/tmp/swtest-events.%d", getpid());
	snprintf(stderr_path, sizeof(stderr_path), "/tmp/swtest-stderr.%d", getpid());
	argv[argc++] = (char *)sw_bin;
	argv[argc++] = enforce_mode ? "enforce" : "trace";
	argv[argc++] = "--json";
	argv[argc++] = "-o";
	argv[argc++] = events_path;
	if (deny_mode) {
		argv[argc++] = "--action";
		argv[argc++] = "deny";
	}
	if (enforce_mode) {
		argv[argc++] = "--allow-comm";
		argv[argc++] = SENTINEL_COMM;
	}
	if (backend) {
		argv[argc++] = "--backend";
		argv[argc++] = (char *)backend;
	}
	argv[argc] = NULL;

	sw_pid = fork();
	if (sw_pid == 0) {
		int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		execv(argv[0], argv);
		perror("exec splicewatch");
		_exit(127);
	}
	/* Loading verifies the programs, which under qemu TCG takes minutes on
	 * some kernels (7.x: about a minute and a half). Scenarios run before
	 * "ready" would be missed, so never go on without it. */
	t0 = now_ms();
	deadline = t0 + startup_timeout_s * 1000ULL;
	while (!file_contains(stderr_path, "Ctrl-C to stop")) {
		int status;

		if (waitpid(sw_pid, &status, WNOHANG) == sw_pid) {
			printf("# splicewatch exited during start-up (status %d):\n", status);
			show_log(stderr_path, "#   ");
			return -1;
		}
		if (now_ms() >= deadline) {
			printf("# splicewatch not ready after %d s (SWTEST_STARTUP_TIMEOUT):\n",
			       startup_timeout_s);
			system("sed 's/^/#   /' /tmp/swtest-stderr.*");
			kill(sw_pid, SIGKILL);
			waitpid(sw_pid, NULL, 0);
			return -1;
		}
		usleep(20000);
	}
	printf("# splicewatch ready %llu ms after start\n", (unsigned long long)(now_ms() - t0));
	read_backend();
	events_f = fopen(events_path, "r");
	if (!events_f) {
		printf("# no events file %s\n", events_path);
		return -1;
	}
	return 0;
}

static int stop_splicewatch(void)
{
	int status = -1;

	kill(sw_pid, SIGINT);
	waitpid(sw_pid, &status, 0);
	return status;
}

/* ---- sentinel: one known unsafe write marks the end of a scenario --------- */

static pid_t run_sentinel(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		char path[300], buf[4096];
		int fd, p[2];

		prctl(PR_SET_NAME, SENTINEL_COMM);
		snprintf(path, sizeof(path), "%s/sentinel.%d", fs_dirs[FS_EXT4], getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		memset(buf, 's', sizeof(buf));
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) || pipe(p))
			_exit(1);
		if (splice(fd, &(loff_t){ 0 }, p[1], NULL, 4096, 0) != 4096)
			_exit(1);
		pwrite(fd, "S", 1, 0);
		unlink(path);
		/* 3: the pipe got a copy, not the page: nothing to report. */
		_exit(read(p[0], buf, 1) == 1 && buf[0] == 's' ? 3 : 0);
	}
	return pid;
}

/* Collects the events of `writer` up to the sentinel's. */
static int collect(pid_t writer, struct event *evs, int max, int *nevs, char *why, size_t whylen)
{
	static struct event buf[256];
	pid_t sentinel = run_sentinel();
	uint64_t deadline = now_ms() + 15000;
	bool seen = false;
	int n = 0, status;

	*nevs = 0;
	waitpid(sentinel, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		printf("# the kernel copied the sentinel's page into the pipe instead of sharing it\n");
	while (!seen && now_ms() < deadline) {
		int before = n;

		if (read_events(buf, 256, &n)) {
			snprintf(why, whylen, "splicewatch printed invalid JSON");
			return -1;
		}
		for (int i = before; i < n; i++) {
			if (ev_num(&buf[i], "pid") == sentinel) {
				seen = true;
				break;
			}
			if (ev_num(&buf[i], "pid") == writer && *nevs < max)
				evs[(*nevs)++] = buf[i];
		}
		if (n >= 250)
			n = 0;	/* older events are not ours: recycle the buffer */
		if (!seen)
			usleep(5000);
	}
	if (!seen) {
		snprintf(why, whylen, "sentinel event never arrived (is splicewatch running?)");
		return -1;
	}
	return 0;
}

/* ---- assertions ------------------------------------------------------------ */

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		snprintf(why, whylen, __VA_ARGS__);			\
		return false;						\
	}								\
} while (0)

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

static bool check_event(const struct event *ev, const struct expect *e, pid_t writer,
			char *why, size_t whylen)
{
	static const char *required[] = { "ts_ns", "event", "op", "pid", "tid", "comm",
		"cgroup_id", "dev", "ino", "path", "write_offset", "write_len", "held_offset",
		"held_len", "pipe_ino", "splicer_pid", "splicer_comm", "held_ns", "action" };

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		CHECK(ev_get(ev, required[i]), "key '%s' missing", required[i]);
	if (!check_str(ev, "event", "unsafe_write", why, whylen) ||
	    !check_str(ev, "op", e->op, why, whylen) ||
	    !check_num(ev, "pid", writer, why, whylen) ||
	    (e->tid >= 0 && !check_num(ev, "tid", e->tid ? e->tid : writer, why, whylen)) ||
	    !check_num(ev, "dev", e->dev, why, whylen) ||
	    !check_num(ev, "ino", e->ino, why, whylen) ||
	    !check_str(ev, "path", e->path, why, whylen) ||
	    !check_num(ev, "write_offset", e->write_offset, why, whylen) ||
	    !check_num(ev, "held_offset", e->held_offset, why, whylen) ||
	    !check_num(ev, "held_len", e->held_len, why, whylen) ||
	    !check_num(ev, "pipe_ino", e->pipe_ino, why, whylen) ||
	    !check_num(ev, "splicer_pid", e->splicer_pid, why, whylen) ||
	    !check_glob(ev, "splicer_comm", e->splicer_comm, why, whylen) ||
	    !check_str(ev, "action", enforce_mode ? e->action : "reported", why, whylen))
		return false;
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

/* ---- running one scenario ------------------------------------------------- */

static void close_all(struct tctx *t)
{
	int *fds[] = { &t->fd, &t->fd2, &t->pr, &t->pw, &t->pr2, &t->pw2 };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	if (t->map)
		munmap(t->map, t->map_len);
	if (t->mount[0])
		umount2(t->mount, MNT_DETACH);
	if (t->helper > 0) {
		kill(t->helper, SIGKILL);
		waitpid(t->helper, NULL, 0);
	}
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

static void report(bool ok, const char *name, const char *why)
{
	if (ok) {
		printf("ok %s\n", name);
		passed++;
	} else {
		printf("not ok %s: %s\n", name, why);
		failed++;
	}
	fflush(stdout);
}

static void run_one(const struct scenario *sc, enum fs_kind fs)
{
	char name[200], dir[400], why[512] = "";
	struct event evs[MAX_EVENTS_PER_TEST];
	struct tctx t = { .fs = fs, .fd = -1, .fd2 = -1, .pr = -1, .pw = -1, .pr2 = -1, .pw2 = -1 };
	struct expect *e;
	int nevs = 0, status = 0;
	bool ok = false;
	pid_t writer;

	snprintf(name, sizeof(name), "%s%s[%s]", deny_mode ? "deny/" : enforce_mode ? "enforce/" : "",
		 sc->name, fs_names[fs]);
	snprintf(dir, sizeof(dir), "%s/%s", fs_dirs[fs], sc->name);
	if (mkdir(dir, 0755)) {
		snprintf(why, sizeof(why), "mkdir %s: %s", dir, strerror(errno));
		report(false, name, why);
		return;
	}
	e = mmap(NULL, sizeof(*e), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(e, 0, sizeof(*e));
	e->pipe_fd = -1;
	strcpy(e->action, "killed");
	e->prevented = true;
	t.dir = dir;
	t.enforce = enforce_mode;
	t.deny = deny_mode;
	t.e = e;

	if (sc->setup && sc->setup(&t)) {
		snprintf(why, sizeof(why), "setup failed: %s", e->failure);
		goto out;
	}
	/* BPF LSM refuses every path before a byte changes, truncation included. */
	if (deny_mode && e->reports && strcmp(e->op, "mmap")) {
		strcpy(e->action, "denied");
		e->prevented = true;
	}
	writer = fork();
	if (writer == 0)
		_exit(sc->write(&t));
	waitpid(writer, &status, 0);
	if (e->failure[0]) {
		snprintf(why, sizeof(why), "scenario failed: %s", e->failure);
		goto out;
	}
	if (collect(writer, evs, MAX_EVENTS_PER_TEST, &nevs, why, sizeof(why)))
		goto out;
	if (nevs != e->reports) {
		snprintf(why, sizeof(why), "%d events from the writer, want %d%s%s", nevs, e->reports,
			 nevs ? ": first op=" : "", nevs ? ev_get(&evs[0], "op") : "");
		goto out;
	}
	if (nevs && !check_event(&evs[0], e, writer, why, sizeof(why)))
		goto out;

	if (deny_mode && e->reports && !strcmp(e->action, "denied") && !e->denied_seen) {
		snprintf(why, sizeof(why), "the write did not fail with EPERM");
		goto out;
	}
	if (enforce_mode && e->reports && strncmp(e->action, "killed", 6) == 0) {
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			snprintf(why, sizeof(why), "writer was not killed by SIGKILL (status 0x%x)", status);
			goto out;
		}
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, sizeof(why), "writer did not exit cleanly (status 0x%x)", status);
		goto out;
	}
	if (e->pipe_fd >= 0 && e->pipe_bytes_len) {
		char buf[64];
		ssize_t n = read(e->pipe_fd, buf, e->pipe_bytes_len);

		if (n != e->pipe_bytes_len || memcmp(buf, e->pipe_bytes, n)) {
			snprintf(why, sizeof(why), "the pipe delivered %zd bytes '%.*s', want '%.*s'",
				 n, (int)(n > 0 ? n : 0), buf, e->pipe_bytes_len, e->pipe_bytes);
			goto out;
		}
	}
	ok = true;
out:
	report(ok, name, why);
	close_all(&t);
	munmap(e, sizeof(*e));
	rm_rf(dir);
}

/* ---- set-up of the filesystems -------------------------------------------- */

static int setup_fs(void)
{
	snprintf(fs_dirs[FS_EXT4], sizeof(fs_dirs[0]), "/var/tmp/swtest.XXXXXX");
	snprintf(fs_dirs[FS_TMPFS], sizeof(fs_dirs[0]), "/tmp/swtest-tmpfs.XXXXXX");
	snprintf(fs_dirs[FS_HUGE_TMPFS], sizeof(fs_dirs[0]), "/tmp/swtest-huge.XXXXXX");
	for (int i = 0; i < FS__COUNT; i++)
		if (!mkdtemp(fs_dirs[i])) {
			perror("mkdtemp");
			return -1;
		}
	if (mount("swtest", fs_dirs[FS_TMPFS], "tmpfs", 0, "size=256m") ||
	    mount("swtest", fs_dirs[FS_HUGE_TMPFS], "tmpfs", 0, "size=256m,huge=always")) {
		perror("mount tmpfs");
		return -1;
	}
	return 0;
}

static void cleanup_fs(void)
{
	umount2(fs_dirs[FS_TMPFS], MNT_DETACH);
	umount2(fs_dirs[FS_HUGE_TMPFS], MNT_DETACH);
	for (int i = 0; i < FS__COUNT; i++)
		rm_rf(fs_dirs[i]);
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int status;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--enforce"))
			enforce_mode = true;
		else if (!strcmp(argv[i], "--deny"))
			enforce_mode = deny_mode = true;
		else if (!strcmp(argv[i], "--splicewatch") && i + 1 < argc)
			sw_bin = argv[++i];
		else if (!strcmp(argv[i], "--backend") && i + 1 < argc)
			backend = argv[++i];
		else if (argv[i][0] != '-')
			filter = argv[i];
		else {
			fprintf(stderr, "usage: swtest [--enforce | --deny] [--splicewatch PATH] [--backend NAME] [GLOB]\n");
			return 2;
		}
	}
	if (getenv("SWTEST_STARTUP_TIMEOUT") && atoi(getenv("SWTEST_STARTUP_TIMEOUT")) > 0)
		startup_timeout_s = atoi(getenv("SWTEST_STARTUP_TIMEOUT"));
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup_fs() || start_splicewatch()) {
		printf("not ok start-up: could not start splicewatch or mount the test filesystems\n");
		cleanup_fs();
		return 1;
	}
	/* Detection works from "ready" on: the first sentinel must be seen at
	 * once. A miss here means a start-up gap, which would make the first
	 * scenarios fail for a reason of their own: say so loudly. */
	{
		struct event ev[1];
		char why[256], name[64];
		uint64_t t0 = now_ms(), ms;
		int n;
		bool seen = !collect(-1, ev, 1, &n, why, sizeof(why));

		ms = now_ms() - t0;
		snprintf(name, sizeof(name), "%sdetects_from_ready",
			 deny_mode ? "deny/" : enforce_mode ? "enforce/" : "");
		snprintf(why, sizeof(why), "first sentinel %s %llu ms after ready (bound %d ms)",
			 seen ? "seen" : "not seen", (unsigned long long)ms, FIRST_SENTINEL_BOUND_MS);
		printf("# first sentinel seen %llu ms after ready\n", (unsigned long long)ms);
		report(seen && ms <= FIRST_SENTINEL_BOUND_MS, name, why);
	}
	for (int i = 0; i < n_scenarios; i++) {
		const struct scenario *sc = &scenarios[i];

		if ((enforce_mode && sc->trace_only) || (!enforce_mode && sc->enforce_only))
			continue;
		if (filter && fnmatch(filter, sc->name, 0))
			continue;
		if (sc->kernel_hooks_only && !strcmp(active_backend, "tracepoint")) {
			printf("# %s: not run, needs the fentry or kprobe backend\n", sc->name);
			continue;
		}
		for (int fs = 0; fs < FS__COUNT; fs++)
			if (sc->fs_mask & (1u << fs))
				run_one(sc, fs);
	}
	status = stop_splicewatch();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    !file_contains(stderr_path, "lost records")) {
		printf("not ok splicewatch_exits_cleanly_on_sigint_with_summary: status 0x%x\n", status);
		failed++;
	} else {
		printf("ok splicewatch_exits_cleanly_on_sigint_with_summary\n");
		passed++;
	}
	if (failed)
		show_log(stderr_path, "# splicewatch: ");
	unlink(events_path);
	unlink(stderr_path);
	cleanup_fs();
	printf("# %s: %d passed, %d failed\n", deny_mode ? "deny" : enforce_mode ? "enforce" : "trace",
	       passed, failed);
	return failed ? 1 : 0;
}
