// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * runcount: what an unrelated syscall costs in BPF program runs (issue 21).
 *
 *   runcount [N [FILE]]      (default 1000000 getppid, FILE /tmp/runcount.dat)
 *
 * Turns kernel.bpf_stats_enabled on (restored afterwards), reads every loaded
 * program's run_cnt, makes N getppid calls, reads them again and prints one
 * line per program whose count moved, then the sum:
 *
 *   prog ID NAME RUNS
 *   total RUNS
 *
 * Then the positive control, the same for 1000 one-byte pwrites to FILE (a
 * watched syscall: the instrument sees programs run when they do):
 *
 *   control ID NAME RUNS
 *
 * getppid is what splicewatch watches nowhere: whatever runs for it is the tax
 * on every syscall. Programs are read by id through the bpf syscall, without
 * libbpf or bpftool (the VM guests have neither). Other activity in the window
 * (splicewatch's own loop) counts too: the guest is otherwise idle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#define MAX_PROGS 512
#define STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

struct prog {
	uint32_t id;
	char name[BPF_OBJ_NAME_LEN];
	uint64_t runs;
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Every program's run count, by id; the number read, or -1. */
static int snapshot(struct prog *p, int cap)
{
	uint32_t id = 0;
	int n = 0;

	for (;;) {
		union bpf_attr a;
		struct bpf_prog_info info;
		int fd;

		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (sys_bpf(BPF_PROG_GET_NEXT_ID, &a))
			return errno == ENOENT ? n : -1;
		id = a.next_id;
		memset(&a, 0, sizeof(a));
		a.prog_id = id;
		fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;	/* unloaded meanwhile */
		memset(&info, 0, sizeof(info));
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = fd;
		a.info.info_len = sizeof(info);
		a.info.info = (uint64_t)(uintptr_t)&info;
		if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) && n < cap) {
			p[n].id = id;
			memcpy(p[n].name, info.name, sizeof(p[n].name));
			p[n].name[sizeof(p[n].name) - 1] = 0;
			p[n].runs = info.run_cnt;
			n++;
		}
		close(fd);
	}
}

static int sysctl_rw(const char *val, char *old, size_t oldsz)
{
	int fd = open(STATS_SYSCTL, O_RDWR);
	ssize_t r;

	if (fd < 0)
		return -1;
	if (old) {
		r = read(fd, old, oldsz - 1);
		old[r > 0 ? r : 0] = 0;
		lseek(fd, 0, SEEK_SET);
	}
	r = write(fd, val, strlen(val));
	close(fd);
	return r == (ssize_t)strlen(val) ? 0 : -1;
}

/* The programs whose count moved from b to a, as "TAG ID NAME RUNS"; the sum. */
static uint64_t print_delta(const char *tag, const struct prog *b, int nb,
			    const struct prog *a, int na)
{
	uint64_t total = 0;

	for (int i = 0; i < na; i++) {
		uint64_t base = 0;

		for (int k = 0; k < nb; k++)
			if (b[k].id == a[i].id)
				base = b[k].runs;
		if (a[i].runs == base)
			continue;
		printf("%s %u %s %llu\n", tag, a[i].id, a[i].name,
		       (unsigned long long)(a[i].runs - base));
		total += a[i].runs - base;
	}
	return total;
}

int main(int argc, char **argv)
{
	static struct prog before[MAX_PROGS], after[MAX_PROGS], control[MAX_PROGS];
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/runcount.dat";
	char old[16] = "0";
	int nb, na, nc, fd;

	if (n <= 0) {
		fprintf(stderr, "usage: runcount [N [FILE]]\n");
		return 2;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		fprintf(stderr, "runcount: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (sysctl_rw("1", old, sizeof(old))) {
		fprintf(stderr, "runcount: cannot enable %s: %s\n", STATS_SYSCTL, strerror(errno));
		return 2;
	}
	nb = snapshot(before, MAX_PROGS);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	na = snapshot(after, MAX_PROGS);
	for (int i = 0; i < 1000; i++)
		if (pwrite(fd, "x", 1, i) != 1)
			break;
	nc = snapshot(control, MAX_PROGS);
	old[strcspn(old, "\n")] = 0;
	sysctl_rw(old[0] ? old : "0", NULL, 0);
	close(fd);
	unlink(path);
	if (nb < 0 || na < 0 || nc < 0) {
		fprintf(stderr, "runcount: cannot list programs: %s\n", strerror(errno));
		return 2;
	}
	printf("getppid %ld\n", n);
	printf("total %llu\n", (unsigned long long)print_delta("prog", before, nb, after, na));
	print_delta("control", after, na, control, nc);
	return 0;
}
