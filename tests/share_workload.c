// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The per-user share check of tests/vm/compat-kernel.sh, where the guest has
 * no python3 or setpriv (tests/adversary/actor.py's hold_spread, in C):
 *
 *   share_workload DIR FIRST N UID
 *
 * As UID (0: stay root), one byte of page 0 of each of DIR/fFIRST ..
 * DIR/f(FIRST+N-1) into pipes of 4 (SW_PIPE_EXTENTS files a pipe), each
 * kept; prints "ready" and sleeps until killed.
 */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int first, n, uid, p[2] = { -1, -1 }, fd, i;
	char path[PATH_MAX];
	loff_t off;

	if (argc != 5) {
		fprintf(stderr, "usage: share_workload DIR FIRST N UID\n");
		return 2;
	}
	first = atoi(argv[2]);
	n = atoi(argv[3]);
	uid = atoi(argv[4]);
	if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid))) {
		perror("setuid");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (i % 4 == 0 && pipe(p)) {
			perror("pipe");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/f%d", argv[1], first + i);
		fd = open(path, O_RDONLY);
		off = 0;
		if (fd < 0 || splice(fd, &off, p[1], NULL, 1, 0) != 1) {
			perror(path);
			return 1;
		}
		close(fd);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
