// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * swbench: the workloads of `make bench`. Each sub-command sets up what it
 * needs (files, pipes holding page-cache pages), then times only its loop with
 * CLOCK_MONOTONIC and prints one line of key=value pairs, always with ns=
 * (elapsed nanoseconds of the timed part) and ops= (iterations timed), and for
 * the loops best_ns= (fastest tenth of the loop, times ten: see CHUNKS).
 * Running with or without splicewatch is the driver's business (bench/run.sh).
 *
 *   swbench pwrite    DIR N        16-byte pwrites to a file, nothing held (1a)
 *   swbench pwrite-held DIR N      same, while a pipe holds 64 KiB of ANOTHER file (1b)
 *   swbench samefile  DIR N        16-byte pwrites to pages of a file whose first and
 *                                  last pages a pipe holds: lookups that find nothing (4)
 *   swbench getppid   N            an unrelated syscall (5)
 *   swbench splice    DIR MIB      file -> pipe -> /dev/null, 64 KiB chunks (3)
 *   swbench storm     DIR SECONDS  pwrite into a held page as fast as possible (6)
 *   swbench scale     DIR N REPS NPIPES   per-write cost, 1 page held vs NPIPES x 1 MiB (7)
 *   swbench ab PID LOAD DIR N ROUNDS      N ops of LOAD (pwrite, pwrite-held, samefile,
 *                                  getppid, splice, sendfile: 64 KiB of a file to an
 *                                  AF_UNIX socket, read out; sendfile-held: the same
 *                                  while a pipe holds 64 KiB of another file, so the
 *                                  hand-off hook records the 16 pages) per phase, PID's programs attached
 *                                  and detached in turn (see cmd_ab)
 *
 * SWBENCH_CPU=n pins the process to CPU n (the driver pins it away from the
 * splicewatch frontend).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define PAGE		4096ULL
#define CHUNK		(64 * KIB)

static void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fputs("swbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void pin(void)
{
	const char *s = getenv("SWBENCH_CPU");
	cpu_set_t set;

	if (!s || !*s)
		return;
	CPU_ZERO(&set);
	CPU_SET(atoi(s), &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%s)", s);
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/swbench.%d.%s", dir, getpid(), name) < 0)
		die("asprintf");
	return p;
}

/* A file of `size` bytes of real data (no holes: tmpfs splices holes as the
 * zero page, which no index would track). Unlinked at once: it lives as long
 * as the fd. */
static int make_file(const char *dir, const char *name, uint64_t size)
{
	static char buf[1 << 20];
	char *p = path_in(dir, name);
	uint64_t done = 0;
	int fd;

	fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open %s", p);
	unlink(p);
	free(p);
	memset(buf, 'x', sizeof(buf));
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		ssize_t r = pwrite(fd, buf, n, done);

		if (r <= 0)
			die("writing %s", name);
		done += r;
	}
	return fd;
}

struct hold {
	int rd, wr;
};

/* A pipe (of pipe_size bytes, 0: default) holding [off, off+len) of fd. */
static struct hold hold_range(int fd, uint64_t off, uint64_t len, int pipe_size)
{
	struct hold h;
	int p[2];
	loff_t o = off;

	if (pipe2(p, O_CLOEXEC))
		die("pipe2");
	if (pipe_size && fcntl(p[1], F_SETPIPE_SZ, pipe_size) < pipe_size)
		die("F_SETPIPE_SZ %d", pipe_size);
	while (len) {
		ssize_t r = splice(fd, &o, p[1], NULL, len, SPLICE_F_NONBLOCK);

		if (r <= 0)
			die("splice into the holding pipe");
		len -= r;
	}
	h.rd = p[0];
	h.wr = p[1];
	return h;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Drain a holding pipe into /dev/null (splice(2), which splicewatch sees) and close it. */
static void release(struct hold *h)
{
	static int null = -1;

	if (null < 0 && (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		die("open /dev/null");
	set_nonblock(h->rd);
	while (splice(h->rd, NULL, null, NULL, 1 << 20, SPLICE_F_NONBLOCK) > 0)
		;
	close(h->rd);
	close(h->wr);
	h->rd = h->wr = -1;
}

/*
 * Timed loops run in CHUNKS equal chunks; besides the total they report best_ns,
 * the fastest chunk times CHUNKS: what the loop costs when nothing else (another
 * process, an interrupt storm) takes the CPU away. The driver compares best_ns.
 */
#define CHUNKS	10
static uint64_t best_ns;

struct chunker {
	uint64_t t0, tc, best, n, per, next;
};

static void chunk_start(struct chunker *c, uint64_t n)
{
	c->n = n;
	c->per = n / CHUNKS ? n / CHUNKS : 1;
	c->next = c->per;
	c->best = UINT64_MAX;
	c->t0 = c->tc = now_ns();
}

/* Call after op i (0-based) completed. */
static inline void chunk_tick(struct chunker *c, uint64_t i)
{
	if (i + 1 == c->next) {
		uint64_t t = now_ns();

		if (t - c->tc < c->best)
			c->best = t - c->tc;
		c->tc = t;
		c->next += c->per;
	}
}

static uint64_t chunk_end(struct chunker *c)
{
	uint64_t total = now_ns() - c->t0;

	best_ns = c->best == UINT64_MAX ? total : c->best * c->n / c->per;
	return total;
}

/* n 16-byte pwrites cycling over pages [first, first+npages) of fd. */
static uint64_t pwrite_loop(int fd, uint64_t n, uint64_t first, uint64_t npages)
{
	struct chunker c;
	char buf[16];
	uint64_t i, pg = 0;

	memset(buf, 'y', sizeof(buf));
	chunk_start(&c, n);
	for (i = 0; i < n; i++) {
		if (pwrite(fd, buf, sizeof(buf), (first + pg) * PAGE + (i & 15) * 16) != sizeof(buf))
			die("pwrite");
		if (++pg == npages)
			pg = 0;
		chunk_tick(&c, i);
	}
	return chunk_end(&c);
}

static void warmup_pwrite(int fd, uint64_t n, uint64_t first, uint64_t npages)
{
	pwrite_loop(fd, n / 20 + 1, first, npages);
}

static int cmd_pwrite(const char *dir, uint64_t n, bool held_other)
{
	struct hold h = { -1, -1 };
	int fd, other;
	uint64_t ns;

	fd = make_file(dir, "target", 64 * KIB);
	if (held_other) {
		other = make_file(dir, "other", 64 * KIB);
		h = hold_range(other, 0, 64 * KIB, 0);
	}
	warmup_pwrite(fd, n, 0, 1);
	ns = pwrite_loop(fd, n, 0, 1);
	printf("ns=%llu ops=%llu best_ns=%llu\n", (unsigned long long)ns, (unsigned long long)n,
	       (unsigned long long)best_ns);
	if (held_other)
		release(&h);
	return 0;
}

/* Workload 4: the file has held pages (first 64 KiB and the last page), the
 * writes go to the 238 pages between them, so every write runs the per-page
 * lookup and finds nothing. */
static int cmd_samefile(const char *dir, uint64_t n)
{
	const uint64_t pages = 256;
	struct hold a, b;
	uint64_t ns;
	int fd;

	fd = make_file(dir, "samefile", pages * PAGE);
	a = hold_range(fd, 0, 64 * KIB, 0);
	b = hold_range(fd, (pages - 1) * PAGE, PAGE, 0);
	warmup_pwrite(fd, n, 16, pages - 17);
	ns = pwrite_loop(fd, n, 16, pages - 17);
	printf("ns=%llu ops=%llu best_ns=%llu\n", (unsigned long long)ns, (unsigned long long)n,
	       (unsigned long long)best_ns);
	release(&a);
	release(&b);
	return 0;
}

static int cmd_getppid(uint64_t n)
{
	struct chunker c;
	uint64_t i, ns;

	for (i = 0; i < n / 20; i++)
		syscall(SYS_getppid);
	chunk_start(&c, n);
	for (i = 0; i < n; i++) {
		syscall(SYS_getppid);
		chunk_tick(&c, i);
	}
	ns = chunk_end(&c);
	printf("ns=%llu ops=%llu best_ns=%llu\n", (unsigned long long)ns, (unsigned long long)n,
	       (unsigned long long)best_ns);
	return 0;
}

/* One 64 KiB chunk of fd at *off (wrapping at fsize) into pipe p, then drained
 * into null: the splice loop's iteration. Returns the bytes moved. */
static ssize_t splice_through(int fd, loff_t *off, uint64_t fsize, const int p[2], int null)
{
	ssize_t r, w;

	if (*off >= (loff_t)fsize)
		*off = 0;
	r = splice(fd, off, p[1], NULL, CHUNK, 0);
	if (r <= 0)
		die("splice file -> pipe");
	for (w = 0; w < r;) {
		ssize_t k = splice(p[0], NULL, null, NULL, r - w, 0);

		if (k <= 0)
			die("splice pipe -> /dev/null");
		w += k;
	}
	return r;
}

/* sendfile(2) of a chunk of a page-cached file to an AF_UNIX stream socket
 * (the kernel's own pipe hands the pages on to it), read out of the other
 * end. */
static ssize_t sendfile_through(int fd, loff_t *off, uint64_t fsize, const int s[2])
{
	static char buf[CHUNK];
	ssize_t r, got, k;

	if (*off >= (loff_t)fsize)
		*off = 0;
	r = sendfile(s[0], fd, off, CHUNK);
	if (r <= 0)
		die("sendfile file -> socket");
	for (got = 0; got < r; got += k) {
		k = recv(s[1], buf, r - got, 0);
		if (k <= 0)
			die("recv");
	}
	return r;
}

/* Workload 3: MIB mebibytes from a page-cached file through a pipe to /dev/null. */
static int cmd_splice(const char *dir, uint64_t mib)
{
	const uint64_t fsize = 64 * MIB;
	uint64_t total = mib * MIB, moved = 0, ns = 0;
	int fd, null, p[2];
	loff_t off = 0;

	fd = make_file(dir, "splice", fsize);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0 || pipe2(p, O_CLOEXEC))
		die("setup");
	for (int warm = 1; warm >= 0; warm--) {
		uint64_t goal = (warm ? total / 20 : total) / CHUNK, i;
		struct chunker c;

		moved = 0;
		chunk_start(&c, goal);
		for (i = 0; i < goal; i++) {
			moved += splice_through(fd, &off, fsize, p, null);
			chunk_tick(&c, i);
		}
		ns = chunk_end(&c);
	}
	printf("ns=%llu ops=%llu bytes=%llu best_ns=%llu\n", (unsigned long long)ns,
	       (unsigned long long)(total / CHUNK), (unsigned long long)moved,
	       (unsigned long long)best_ns);
	return 0;
}

/* Workload 6: every pwrite lands in a page a pipe holds: one event each. */
static int cmd_storm(const char *dir, double secs)
{
	uint64_t t0, t, end, n = 0;
	char buf[16];
	struct hold h;
	int fd;

	memset(buf, 'z', sizeof(buf));
	fd = make_file(dir, "storm", PAGE);
	h = hold_range(fd, 0, PAGE, 0);
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	do {
		for (int i = 0; i < 256; i++)
			if (pwrite(fd, buf, sizeof(buf), (n++ & 255) * 16) != sizeof(buf))
				die("pwrite");
		t = now_ns();
	} while (t < end);
	printf("ns=%llu ops=%llu\n", (unsigned long long)(t - t0), (unsigned long long)n);
	release(&h);
	return 0;
}

/*
 * Workload 7: one file of NPIPES x (1 MiB + 1 page). Pipe i holds the i-th 1 MiB;
 * the page after it is never held. The writes go to the unheld page in the
 * middle, so they sit inside the file's held index range either way.
 *   small: one pipe holds page 0 (the target lies outside [lo, hi]: early exit)
 *   pair:  one page at each end of the file (target inside [lo, hi], 2 pages held)
 *   big:   NPIPES pipes x 1 MiB (256 pages each)
 * Rounds alternate small, big, pair, big, ... and print each timing.
 */
static int cmd_scale(const char *dir, uint64_t n, int reps, int npipes)
{
	const uint64_t stride = MIB + PAGE;
	uint64_t fsize = npipes * stride, target = (npipes / 2) * stride + MIB;
	struct hold *h = calloc(npipes, sizeof(*h)), s1, s2;
	struct rlimit rl = { 4 * npipes + 64, 4 * npipes + 64 };
	uint64_t t0, setup_ns = 0, release_ns = 0;
	int fd;

	if (!h)
		die("calloc");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	fd = make_file(dir, "scale", fsize);
	target /= PAGE;
	warmup_pwrite(fd, n, target, 1);
	printf("scale file_mib=%llu npipes=%d target_page=%llu\n",
	       (unsigned long long)(fsize / MIB), npipes, (unsigned long long)target);
	for (int r = 0; r < reps; r++) {
		uint64_t ns_small, ns_pair, ns_big, b_small, b_pair, b_big;

		s1 = hold_range(fd, 0, PAGE, 0);
		warmup_pwrite(fd, n, target, 1);
		ns_small = pwrite_loop(fd, n, target, 1);
		b_small = best_ns;
		release(&s1);

		t0 = now_ns();
		for (int i = 0; i < npipes; i++) {
			h[i] = hold_range(fd, i * stride, MIB, MIB);
		}
		setup_ns += now_ns() - t0;
		warmup_pwrite(fd, n, target, 1);
		ns_big = pwrite_loop(fd, n, target, 1);
		b_big = best_ns;
		t0 = now_ns();
		for (int i = 0; i < npipes; i++)
			release(&h[i]);
		release_ns += now_ns() - t0;

		s1 = hold_range(fd, 0, PAGE, 0);
		s2 = hold_range(fd, fsize - PAGE, PAGE, 0);
		warmup_pwrite(fd, n, target, 1);
		ns_pair = pwrite_loop(fd, n, target, 1);
		b_pair = best_ns;
		release(&s1);
		release(&s2);
		printf("round=%d ops=%llu small_ns=%llu big_ns=%llu pair_ns=%llu "
		       "small_best=%llu big_best=%llu pair_best=%llu\n", r,
		       (unsigned long long)n, (unsigned long long)ns_small,
		       (unsigned long long)ns_big, (unsigned long long)ns_pair,
		       (unsigned long long)b_small, (unsigned long long)b_big,
		       (unsigned long long)b_pair);
		fflush(stdout);
	}
	printf("hold_setup_ns=%llu release_ns=%llu held_pages=%llu\n",
	       (unsigned long long)(setup_ns / reps), (unsigned long long)(release_ns / reps),
	       (unsigned long long)npipes * (MIB / PAGE));
	return 0;
}

/*
 * ab: one process times its loop in alternating phases, the watcher's programs
 * attached (B) and detached (A), over ROUNDS rounds (ABBA order, so a steady
 * drift cancels). PID is a splicewatch started with SPLICEWATCH_BENCH_TOGGLE=1,
 * or empty_loader: SIGUSR1 asks it to detach, SIGUSR2 to attach, and it
 * answers with SIGUSR1. The speed of the same loop differs by up to 30% from
 * one process to the next here (memory placement, most likely), so ratios of
 * separate processes carry that; phases inside one process do not.
 */
struct ab_load {
	int fd, null, p[2], sock[2];
	uint64_t first, npages;
	loff_t off;
};

static void ab_ops(struct ab_load *w, uint64_t n)
{
	if (w->sock[0] >= 0) {
		for (uint64_t i = 0; i < n; i++)
			sendfile_through(w->fd, &w->off, 64 * MIB, w->sock);
		return;
	}
	if (w->fd >= 0 && w->null < 0) {
		pwrite_loop(w->fd, n, w->first, w->npages);
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (w->null >= 0)
			splice_through(w->fd, &w->off, 64 * MIB, w->p, w->null);
		else
			syscall(SYS_getppid);
	}
}

static void ab_set(pid_t pid, bool attached)
{
	struct timespec limit = { 10, 0 };
	sigset_t ack;

	sigemptyset(&ack);
	sigaddset(&ack, SIGUSR1);
	if (kill(pid, attached ? SIGUSR2 : SIGUSR1))
		die("kill %d", (int)pid);
	if (sigtimedwait(&ack, NULL, &limit) != SIGUSR1)
		die("no answer from %d within 10 s", (int)pid);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_ab(pid_t pid, const char *load, const char *dir, uint64_t n, int rounds)
{
	struct ab_load w = { .fd = -1, .null = -1, .sock = { -1, -1 } };
	double *ratio = calloc(rounds, sizeof(double)), *a_op = calloc(rounds, sizeof(double));
	struct hold h1 = { -1, -1 }, h2 = { -1, -1 };
	sigset_t ack;

	/* kill(0, ...) would signal our own process group. */
	if (pid <= 0 || rounds < 1 || n < 1) {
		fprintf(stderr, "swbench ab: PID, N and ROUNDS must be positive\n");
		return 2;
	}
	if (!ratio || !a_op)
		die("calloc");
	sigemptyset(&ack);
	sigaddset(&ack, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ack, NULL);
	/* Set up while attached: the watcher must see the holds made here. */
	if (!strcmp(load, "pwrite") || !strcmp(load, "pwrite-held")) {
		w.fd = make_file(dir, "ab", 64 * KIB);
		w.npages = 1;
		if (!strcmp(load, "pwrite-held"))
			h1 = hold_range(make_file(dir, "ab-other", 64 * KIB), 0, 64 * KIB, 0);
	} else if (!strcmp(load, "samefile")) {
		w.fd = make_file(dir, "ab-same", 256 * PAGE);
		h1 = hold_range(w.fd, 0, 64 * KIB, 0);
		h2 = hold_range(w.fd, 255 * PAGE, PAGE, 0);
		w.first = 16;
		w.npages = 256 - 17;
	} else if (!strcmp(load, "splice")) {
		w.fd = make_file(dir, "ab-splice", 64 * MIB);
		w.null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (w.null < 0 || pipe2(w.p, O_CLOEXEC))
			die("setup");
	} else if (!strcmp(load, "sendfile") || !strcmp(load, "sendfile-held")) {
		w.fd = make_file(dir, "ab-sendfile", 64 * MIB);
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, w.sock))
			die("socketpair");
		/* Something held: the hand-off hook records the pages it sees. */
		if (!strcmp(load, "sendfile-held"))
			h1 = hold_range(make_file(dir, "ab-other", 64 * KIB), 0, 64 * KIB, 0);
	} else if (strcmp(load, "getppid")) {
		fprintf(stderr, "swbench ab: unknown load '%s'\n", load);
		return 2;
	}
	ab_ops(&w, n);
	for (int r = 0; r < rounds; r++) {
		uint64_t t[2];

		for (int k = 0; k < 2; k++) {
			bool attached = (k == 0) == (r & 1);
			uint64_t t0;

			ab_set(pid, attached);
			ab_ops(&w, n / 8 + 1);	/* caches after the switch */
			t0 = now_ns();
			ab_ops(&w, n);
			t[attached] = now_ns() - t0;
		}
		ratio[r] = (double)t[1] / t[0];
		a_op[r] = (double)t[0] / n;
	}
	ab_set(pid, true);
	qsort(ratio, rounds, sizeof(double), cmp_double);
	qsort(a_op, rounds, sizeof(double), cmp_double);
	printf("ab load=%s ops=%llu rounds=%d ratio=%.4f min=%.4f max=%.4f p25=%.4f p75=%.4f "
	       "without_ns_per_op=%.1f\n", load, (unsigned long long)n, rounds, ratio[rounds / 2],
	       ratio[0], ratio[rounds - 1], ratio[rounds / 4], ratio[(3 * rounds) / 4],
	       a_op[rounds / 2]);
	if (h1.rd >= 0)
		release(&h1);
	if (h2.rd >= 0)
		release(&h2);
	return 0;
}

static uint64_t num(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		die("bad number '%s'", s);
	return (uint64_t)v;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	pin();
	if (!strcmp(cmd, "pwrite") && argc == 4)
		return cmd_pwrite(argv[2], num(argv[3]), false);
	if (!strcmp(cmd, "pwrite-held") && argc == 4)
		return cmd_pwrite(argv[2], num(argv[3]), true);
	if (!strcmp(cmd, "samefile") && argc == 4)
		return cmd_samefile(argv[2], num(argv[3]));
	if (!strcmp(cmd, "getppid") && argc == 3)
		return cmd_getppid(num(argv[2]));
	if (!strcmp(cmd, "splice") && argc == 4)
		return cmd_splice(argv[2], num(argv[3]));
	if (!strcmp(cmd, "storm") && argc == 4)
		return cmd_storm(argv[2], strtod(argv[3], NULL));
	if (!strcmp(cmd, "ab") && argc == 7)
		return cmd_ab((pid_t)num(argv[2]), argv[3], argv[4], num(argv[5]), (int)num(argv[6]));
	if (!strcmp(cmd, "scale") && argc == 6)
		return cmd_scale(argv[2], num(argv[3]), (int)num(argv[4]), (int)num(argv[5]));
	fprintf(stderr, "usage: swbench pwrite|pwrite-held|samefile DIR N | getppid N | "
		"splice DIR MIB | storm DIR SECONDS | scale DIR N REPS NPIPES | "
		"ab PID LOAD DIR N ROUNDS\n");
	return 2;
}
