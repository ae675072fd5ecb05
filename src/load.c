// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What loading either BPF object needs (load.h): the checks and messages
 * around a load, the compat build, GC driven from here, run statistics. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "caps.h"
#include "common.h"
#include "splicewatch.h"
#include "load.h"

/* libbpf's messages: warnings and info with -v, debug with -vv. */
int sw_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && sw_verbose < 2)
		return 0;
	if ((level == LIBBPF_INFO || level == LIBBPF_WARN) && sw_verbose < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Without bpf_loop (before 5.17) the programs are the compat build
 * (bpf/lib/compat.bpf.h), opened through the main skeleton s, made by its
 * __create_skeleton: both have the same maps, programs and global data, which
 * the skeleton binds by name (checked at build time). */
int sw_open_compat(struct bpf_object_skeleton *s, const void *elf, size_t size)
{
	s->data = (void *)elf;
	s->data_sz = size;
	return bpf_object__open_skeleton(s, NULL);
}

int sw_run_program(int prog_fd)
{
	struct bpf_test_run_opts opts = { .sz = sizeof(opts) };

	return bpf_prog_test_run_opts(prog_fd, &opts) ? -1 : 0;
}

/* GC of the compat programs (no bpf_for_each_map_elem before 5.13): runs prog
 * once per entry of map, ctx = { what, key } (keys of one or two u64), the
 * keys read first: the sweep deletes entries, which would restart a walk. */
int sw_gc_by_key(int prog_fd, struct bpf_map *map, uint64_t what)
{
	size_t key_size = bpf_map__key_size(map), n = 0, max = bpf_map__max_entries(map);
	uint64_t *keys = calloc(max, 2 * sizeof(uint64_t)), ctx[3], key[2], next[2];
	struct bpf_test_run_opts opts = { .sz = sizeof(opts), .ctx_in = ctx,
					  .ctx_size_in = sizeof(ctx) };
	void *prev = NULL;
	int err = 0;

	if (!keys || key_size > sizeof(key)) {
		free(keys);
		return -1;
	}
	while (n < max && !bpf_map__get_next_key(map, prev, next, key_size)) {
		memcpy(key, next, key_size);
		memcpy(&keys[2 * n++], next, key_size);
		prev = key;
	}
	for (size_t i = 0; i < n && !err; i++) {
		ctx[0] = what;
		ctx[1] = keys[2 * i];
		ctx[2] = keys[2 * i + 1];
		err = bpf_prog_test_run_opts(prog_fd, &opts);
	}
	free(keys);
	return err;
}

/* One clear reason instead of a verifier log when the machine cannot run us. */
int sw_check_environment(const struct sw_caps_req *req)
{
	if (sw_caps_prepare(req))
		return -1;
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		sw_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): "
		       "splicewatch needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	return 0;
}

/* "none integrity [confidentiality]": the bracketed mode is in force. Only
 * confidentiality forbids what the programs need (reading kernel memory);
 * integrity forbids bpf_probe_write_user, which they never call. */
static bool kernel_locked_down(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "[confidentiality]");
}

const char *sw_load_hint(int err)
{
	if (kernel_locked_down())
		return "the kernel is locked down for confidentiality "
		       "(/sys/kernel/security/lockdown), which forbids the BPF programs "
		       "splicewatch needs";
	switch (err) {
	case EACCES:
		/* With the capabilities a load needs, EACCES is the verifier's:
		 * it rejects most unsafe programs so (a stack too deep, a bad
		 * memory access). */
		if (sw_caps_can_load())
			return "the kernel's verifier rejected a program (run with -vv for its log)";
		/* fall through */
	case EPERM:
		return "the kernel refused to load BPF programs (missing capability, "
		       "kernel lockdown, or kernel.unprivileged_bpf_disabled)";
	case EINVAL:
		return "the kernel's verifier rejected a program (run with -vv for its log)";
	case ENOENT:
	case ESRCH:
		return "a hook point is missing on this kernel (run `splicewatch features`)";
	default:
		return strerror(err);
	}
}

uint32_t sw_test_drop(const char *drop)
{
	return drop ? (strstr(drop, "enter") ? SW_DROP_ENTER : 0) |
		      (strstr(drop, "exit") ? SW_DROP_EXIT : 0) |
		      (strstr(drop, "kernel_writers") ? SW_DROP_KERNEL_WRITERS : 0) : 0;
}

static uint64_t skipped_runs_of(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(prog);

	return fd >= 0 && !bpf_prog_get_info_by_fd(fd, &info, &len) ? info.recursion_misses : 0;
}

uint64_t sw_skipped_runs(const struct bpf_object *obj)
{
	struct bpf_program *prog;
	uint64_t n = 0;

	bpf_object__for_each_program(prog, obj)
		n += skipped_runs_of(prog);
	return n;
}

void sw_print_skipped_runs(const struct bpf_object *obj, FILE *f)
{
	struct bpf_program *prog;
	uint64_t n;

	bpf_object__for_each_program(prog, obj)
		if ((n = skipped_runs_of(prog)))
			fprintf(f, "splicewatch: skipped runs: %s %llu\n", bpf_program__name(prog),
				(unsigned long long)n);
}

/* ---- SPLICEWATCH_VERIFIER_STATS=1 -----------------------------------------
 *
 * Ask the verifier for its statistics on every program that loads (log level
 * 4, BPF_LOG_STATS, known since 5.2) and print one line per program after the
 * load:
 *   splicewatch: verifier: PROGRAM INSNS insns
 * INSNS is the verifier's "processed N insns", the figure its limit applies
 * to. For measuring a change to the programs on every kernel; off by default
 * because every program then needs its own log buffer.
 */

/* The stats themselves are about 200 bytes, yet a buffer of 4 or 64 KiB failed
 * the load of sw_sys_enter with ENOSPC on 6.18 and 128 KiB did not: twice that. */
#define STATS_LOG_SIZE (256 << 10)
static bool wanted(void)
{
	const char *env = getenv("SPLICEWATCH_VERIFIER_STATS");

	return env && !strcmp(env, "1");
}

static void verifier_stats_request(struct bpf_object *obj)
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

static void verifier_stats_print(struct bpf_object *obj)
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

int sw_load_skeleton(struct bpf_object_skeleton *s)
{
	struct bpf_object *obj = *s->obj;
	int err;

	verifier_stats_request(obj);
	err = bpf_object__load_skeleton(s);
	if (!err)
		verifier_stats_print(obj);
	return err;
}
