// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the `splicewatch ci` baseline format, src/ci_baseline.c
 * (run with -close_fd_mask=2: the parser reports every bad line on stderr).
 * hygiene.mk links it with the files it needs (common.c, names.c). Two properties:
 *
 *  1. ci_baseline_load() on arbitrary bytes returns 0 or -1, never crashes, leaks
 *     or reads out of bounds (ASan/UBSan/LSan), and every rule it accepts has
 *     non-empty patterns and a known op.
 *  2. Round trip: a finding (comm, op, path) made from the input, written by
 *     ci_baseline_write() and read back by ci_baseline_load(), is covered by the
 *     baseline (ci_baseline_covers() is true): --write-baseline output always
 *     covers the findings it was written from.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "ci.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_ci_baseline: check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static int memfd = -1;
static char memfd_path[64];

static void put_file(const void *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("baseline", 0);
		CHECK(memfd >= 0);
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	}
	CHECK(!ftruncate(memfd, 0));
	CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ci_baseline c;
	struct ci_group g = { 0 };
	char *buf = NULL;
	size_t len = 0, cl, i;
	FILE *f;
	int rc;

	/* 1. Arbitrary bytes as a baseline file. */
	put_file(data, size);
	rc = ci_baseline_load(&c, memfd_path);
	CHECK(rc == 0 || rc == -1);
	for (int k = 0; k < c.n_rules; k++) {
		CHECK(c.rules[k].comm[0] && c.rules[k].path[0]);
		CHECK(c.rules[k].op == -1 || (c.rules[k].op > 0 && c.rules[k].op < SW_OP__COUNT));
	}
	ci_baseline_free(&c);

	/* 2. Round trip: comm = up to 15 non-NUL bytes, op from a byte, path = the rest. */
	if (size < 2)
		return 0;
	g.op = 1 + data[0] % (SW_OP__COUNT - 1);
	for (cl = 0, i = 1; i < size && cl < SW_TASK_COMM_LEN - 1 && data[i] != '|'; i++)
		if (data[i])
			g.comm[cl++] = data[i];
	g.comm[cl] = 0;
	g.path = calloc(1, size + 1);
	CHECK(g.path);
	for (cl = 0, i++; i < size; i++)
		if (data[i])
			g.path[cl++] = data[i];
	struct ci_group *gp = &g;

	f = open_memstream(&buf, &len);
	CHECK(f);
	ci_baseline_write(f, &gp, 1);
	CHECK(!fclose(f));
	put_file(buf, len);
	rc = ci_baseline_load(&c, memfd_path);
	if (rc || c.n_rules != 1 || !ci_baseline_covers(&c, g.comm, g.op, g.path)) {
		printf("round trip failed: rc %d, %d rules, comm '%s' path '%s', baseline:\n%s\n",
			rc, c.n_rules, g.comm, g.path, buf);
		abort();
	}
	ci_baseline_free(&c);
	free(buf);
	free(g.path);
	return 0;
}
