// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SPLICEWATCH_VERIFIER_STATS=1: ask the verifier for its statistics on every
 * program that loads (log level 4, BPF_LOG_STATS, known since 5.2) and print
 * one line per program after the load:
 *   splicewatch: verifier: PROGRAM INSNS insns
 * INSNS is the verifier's "processed N insns", the figure its limit applies
 * to. For measuring a change to the programs on every kernel; off by default
 * because every program then needs its own log buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "sw.h"

#define STATS_LOG_SIZE 4096

static bool wanted(void)
{
	const char *env = getenv("SPLICEWATCH_VERIFIER_STATS");

	return env && !strcmp(env, "1");
}

void sw_verifier_stats_request(struct bpf_object *obj)
{
	struct bpf_program *prog;

	if (!wanted())
		return;
	bpf_object__for_each_program(prog, obj) {
		char *buf;

		if (!bpf_program__autoload(prog))
			continue;
		buf = calloc(1, STATS_LOG_SIZE);
		if (!buf)
			continue;
		bpf_program__set_log_buf(prog, buf, STATS_LOG_SIZE);
		bpf_program__set_log_level(prog, 4);
	}
}

void sw_verifier_stats_print(struct bpf_object *obj)
{
	struct bpf_program *prog;

	if (!wanted())
		return;
	bpf_object__for_each_program(prog, obj) {
		size_t size;
		const char *log = bpf_program__log_buf(prog, &size);
		const char *p = log ? strstr(log, "processed ") : NULL;
		unsigned long insns;

		if (!bpf_program__autoload(prog))
			continue;
		if (p && sscanf(p, "processed %lu insns", &insns) == 1)
			fprintf(stderr, "splicewatch: verifier: %s %lu insns\n",
				bpf_program__name(prog), insns);
		else
			fprintf(stderr, "splicewatch: verifier: %s ? insns\n",
				bpf_program__name(prog));
	}
}
