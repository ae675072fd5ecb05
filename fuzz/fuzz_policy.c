// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the enforce policy parser, policy_parse() (src/policy.c).
 * On arbitrary bytes it must return 0 or -1 without crashing, leaking or reading
 * out of bounds (ASan/UBSan/LSan). On -1 the message is non-empty, terminated and
 * free of control bytes; on 0 every entry it stored passes the validation that
 * src/policy.h promises, and policy_free() releases everything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_policy: check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_config cfg;
	struct policy_info info;
	/* The first byte picks a (sometimes tiny) message buffer size. */
	size_t errlen = size ? 1 + data[0] % 300 : 256;
	char *err = malloc(errlen);
	int r;

	CHECK(err);
	memset(&cfg, 0, sizeof(cfg));
	cfg.signal = 9;
	memset(err, 0, errlen);
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);
	CHECK(buf);
	memcpy(buf, data, size);
	r = policy_parse(buf, size, "fuzz.yaml", &cfg, &info, err, errlen);
	CHECK(r == 0 || r == -1);
	if (r) {
		size_t n = strnlen(err, errlen);

		CHECK(n < errlen);
		CHECK(n > 0 || errlen == 1);
		for (size_t i = 0; i < n; i++)
			CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
	} else {
		CHECK(cfg.signal >= 1 && cfg.signal <= 64);
		for (int i = 0; i < cfg.n_allow_pids; i++)
			CHECK(cfg.allow_pids[i] >= 1 && cfg.allow_pids[i] <= 0x7fffffff);
		for (int i = 0; i < cfg.n_allow_comms; i++) {
			size_t l = strnlen(cfg.allow_comms[i], SW_TASK_COMM_LEN);

			CHECK(l >= 1 && l < SW_TASK_COMM_LEN);
		}
		CHECK(cfg.n_allow_paths <= SW_ALLOW_PATHS_MAX);
	}
	policy_free(&cfg);
	CHECK(!cfg.allow_pids && !cfg.allow_comms && !cfg.allow_cgroups && !cfg.allow_paths);
	free(buf);
	free(err);
	return 0;
}
