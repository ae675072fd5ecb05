// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the `splicewatch ci` baseline parser (run with
 * -close_fd_mask=2: the parser reports every bad line on stderr). Its functions are
 * static, so this file #includes src/ci.c (hygiene.mk links the rest of the
 * frontend, main.c with its main() renamed). Two properties:
 *
 *  1. load_baseline() on arbitrary bytes returns 0 or -1, never crashes, leaks or
 *     reads out of bounds (ASan/UBSan/LSan), and every rule it accepts has
 *     non-empty patterns and a known op.
 *  2. Round trip: a finding (comm, op, path) made from the input, written by
 *     write_baseline() and read back by load_baseline(), is covered by the
 *     baseline (baselined() is true): --write-baseline output always covers the
 *     findings it was written from.
 */
#include "../src/ci.c"

#include <sys/mman.h>

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

static void free_rules(struct ci *c)
{
	for (int i = 0; i < c->n_rules; i++) {
		free(c->rules[i].comm);
		free(c->rules[i].path);
	}
	free(c->rules);
	c->rules = NULL;
	c->n_rules = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ci c;
	struct ci_group g = { 0 };
	char *buf = NULL;
	size_t len = 0, cl, i;
	FILE *f;
	int rc;

	/* 1. Arbitrary bytes as a baseline file. */
	put_file(data, size);
	rc = load_baseline(&c, memfd_path);
	CHECK(rc == 0 || rc == -1);
	for (int k = 0; k < c.n_rules; k++) {
		CHECK(c.rules[k].comm[0] && c.rules[k].path[0]);
		CHECK(c.rules[k].op == -1 || (c.rules[k].op > 0 && c.rules[k].op < SW_OP__COUNT));
	}
	free_rules(&c);

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
	struct ci w = { .groups = &gp, .n_groups = 1 };

	f = open_memstream(&buf, &len);
	CHECK(f);
	write_baseline(f, &w);
	CHECK(!fclose(f));
	put_file(buf, len);
	rc = load_baseline(&c, memfd_path);
	if (rc || c.n_rules != 1 || !baselined(&c, &g)) {
		printf("round trip failed: rc %d, %d rules, comm '%s' path '%s', baseline:\n%s\n",
			rc, c.n_rules, g.comm, g.path, buf);
		abort();
	}
	free_rules(&c);
	free(buf);
	free(g.path);
	return 0;
}
