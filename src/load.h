/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What loading either BPF object needs: the watch session (session.c) and the
 * counting session (stats_core.c) both go through these (load.c). */
#ifndef SW_LOAD_H
#define SW_LOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

struct sw_caps_req;
/* Capabilities (caps.h: checked, the others dropped) and BTF: one clear
 * message and -1 when the machine cannot run req's command. */
int sw_check_environment(const struct sw_caps_req *req);
/* libbpf's messages, by -v level (libbpf_set_print). */
int sw_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap);
/* Why a BPF load or attach failed, in words (err is a positive errno). */
const char *sw_load_hint(int err);

/* Opens the compat ELF through the main object's skeleton s. */
int sw_open_compat(struct bpf_object_skeleton *s, const void *elf, size_t size);
/*
 * Defines `static struct OBJ *FN(bool compat)`: OBJ's programs opened (not
 * loaded), from the compat build COMPAT_OBJ when compat. Kernels before 5.17
 * (no bpf_loop) get the compat build, opened through the main skeleton: both
 * have the same maps, programs and global data, which the skeleton binds by
 * name (the build checks it). One definition for both objects.
 */
#define SW_DEFINE_OPEN_PROGRAMS(FN, OBJ, COMPAT_OBJ)				\
static struct OBJ *FN(bool compat)						\
{										\
	struct OBJ *skel;							\
	const void *elf;							\
	size_t size;								\
	int err;								\
										\
	if (!compat)								\
		return OBJ##__open();						\
	skel = calloc(1, sizeof(*skel));					\
	if (!skel)								\
		return NULL;							\
	err = OBJ##__create_skeleton(skel);					\
	elf = COMPAT_OBJ##__elf_bytes(&size);					\
	if (!err)								\
		err = sw_open_compat(skel->skeleton, elf, size);		\
	if (err) {								\
		OBJ##__destroy(skel);						\
		errno = -err;							\
		return NULL;							\
	}									\
	return skel;								\
}

/* Runs the raw_tp program prog_fd once, in this task, without a context
 * (BPF_PROG_TEST_RUN): the sweeps and probes the frontend drives. 0, or -1
 * with errno set. */
int sw_run_program(int prog_fd);
/* GC of the compat programs: runs prog_fd once per key of map. */
int sw_gc_by_key(int prog_fd, struct bpf_map *map, uint64_t what);
/* Runs of obj's programs the kernel skipped (recursion_misses), all told. */
uint64_t sw_skipped_runs(const struct bpf_object *obj);
/* SPLICEWATCH_TEST_DROP (tests): "enter", "exit", "kernel_writers", comma
 * separated, as SW_DROP_* bits. */
uint32_t sw_test_drop(const char *drop);
/* -v: one line per program the kernel skipped runs of, to f. */
void sw_print_skipped_runs(const struct bpf_object *obj, FILE *f);

/* Loads the programs of skeleton s (libbpf's X__load); with
 * SPLICEWATCH_VERIFIER_STATS=1 prints the verifier's instruction count of each. */
int sw_load_skeleton(struct bpf_object_skeleton *s);

#endif
