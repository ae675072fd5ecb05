/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The hook table (hooks.c): every program of the detection object that
 * attaches to the kernel, with its backend, the kernel function or tracepoint
 * it attaches to, its role and when it is loaded. Program selection
 * (sw_hooks_select) and `features` (sw_hook_names) both read it; a new hook
 * is one row there and one program in bpf/.
 */
#ifndef SW_HOOKS_H
#define SW_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

struct btf;
struct splicewatch_bpf;

enum sw_backend {
	SW_BACKEND_TRACEPOINT,
	SW_BACKEND_KPROBE,
	SW_BACKEND_FENTRY,
	SW_BACKEND__COUNT,
	SW_BACKEND_ANY = SW_BACKEND__COUNT,	/* a hook every backend loads */
};

/* What --backend auto tries, in order: the first that loads is used. */
extern const enum sw_backend sw_backend_auto_order[SW_BACKEND__COUNT];

const char *sw_backend_name(enum sw_backend b);
int sw_backend_parse(const char *name, enum sw_backend *b);	/* 0, or -1 if unknown */
/* 0 if backend b is worth loading here, else a negative errno: kprobe needs
 * the kernel's kprobe PMU, fentry a probe program that loads (root only). */
int sw_backend_precheck(enum sw_backend b, const struct btf *btf);
/* What auto would pick when every load succeeds: the first of
 * sw_backend_auto_order that passes its precheck. */
enum sw_backend sw_backend_auto(const struct btf *btf);

enum sw_hook_kind {
	SW_HOOK_TRACEPOINT,	/* tp_btf/NAME: btf_trace_NAME in the kernel's BTF */
	SW_HOOK_FUNCTION,	/* fentry, fexit, kprobe, kretprobe, lsm: a BTF function */
};

/* What decides the programs of one session. */
struct sw_hook_choice {
	enum sw_backend backend;
	bool compat;		/* the programs built for 5.10-5.16 */
	bool deny;		/* --action deny with BPF LSM */
	bool backup;		/* backup hooks on (struct sw_skips.backup) */
	bool scope;		/* ci --scope pids: the fork hook follows the pids */
	bool no_syscall_hooks;	/* syscall attach "none": kernel functions only */
	bool enforce;		/* enforce: the programs act on writers */
	bool kprobes;		/* the kernel has kprobes */
};

/* The backend whose programs hook the kernel's in-place writers (crypto
 * requests, hand-offs to sockets): none on tracepoint. Where fentry runs
 * can be skipped (backup hooks on), fentry takes kprobe's, which run with
 * preemption off, where there are kprobes; else fentry's own with backup
 * copies. SW_BACKEND__COUNT: none. */
enum sw_backend sw_kernel_writers_backend(const struct sw_hook_choice *c);

/* Sets which programs of skel load (autoload), from the table. */
void sw_hooks_select(struct splicewatch_bpf *skel, const struct sw_hook_choice *c,
		     const struct btf *btf);
/* The distinct hook names of one kind, in table order; returns how many
 * (at most cap are stored). */
size_t sw_hook_names(enum sw_hook_kind kind, const char **names, size_t cap);

#endif
