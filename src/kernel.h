/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the running kernel offers (kernel.c). btf NULL reads as "no BTF"
 * everywhere except sw_kernel_has_helper and sw_kernel_has_bpf_loop, which
 * then load their own. */
#ifndef SW_KERNEL_H
#define SW_KERNEL_H

#include <stdbool.h>

struct btf;

bool sw_kernel_has_function(const struct btf *btf, const char *name);
/* Must hash maps a raw_tp program uses be preallocated? Before 6.1 (no
 * struct bpf_mem_alloc) the verifier accepts run-time allocated ones but
 * WARNs, which taints the kernel ("trace type BPF program uses run-time
 * allocation"). */
bool sw_kernel_has_task_storage(void);
bool sw_raw_tp_maps_need_prealloc(const struct btf *btf);
bool sw_kernel_has_tracepoint(const struct btf *btf, const char *name);	/* tp_btf */
/* Does enum bpf_func_id have NAME ("BPF_FUNC_loop")? 1 yes, 0 no, -1 no BTF. */
int sw_kernel_has_helper(const struct btf *btf, const char *name);
int sw_kernel_has_bpf_loop(const struct btf *btf);	/* 1 yes, 0 no, -1 no BTF */
bool sw_kernel_has_kprobes(void);
bool sw_lsm_bpf_active(void);
/* Can an fentry program load here? Needs CAP_BPF and CAP_PERFMON; false otherwise. */
bool sw_fentry_loads(const struct btf *btf);
/* Can a BPF LSM program attach (bpf active in the LSM list assumed)? Probed on
 * arm64 only (needs CAP_BPF and CAP_PERFMON), where it may not; true on x86-64. */
bool sw_lsm_attaches(const struct btf *btf);

/* Are syscall tracepoints faultable (6.14+: struct tracepoint_ext.faultable)?
 * Their BPF programs then run preemptible and the kernel can skip them. */
bool sw_syscall_tp_faultable(const struct btf *btf);
/* The preemption model: "none", "voluntary", "full", "lazy", "rt", "none or
 * voluntary", or NULL when unknown; *source says where it was read. */
const char *sw_preempt_model(const char **source);
/* Does that model preempt kernel code (full, lazy, rt; unknown: assume so)? */
bool sw_preempts_kernel_code(const char *model);

/*
 * Can the kernel skip runs of the syscall hooks here, and so are the backup
 * hooks wanted? Decided here once for the session and for `features`.
 * fentry and kprobe back the syscall hooks up with kernel functions, the
 * tracepoint backend with a backup copy of each syscall hook (hooks.c).
 */
struct sw_skips {
	bool faultable;			/* sw_syscall_tp_faultable */
	const char *preempt;		/* sw_preempt_model */
	const char *preempt_source;
	bool skippable;			/* faultable, and the model preempts kernel code */
	bool backup;			/* SPLICEWATCH_BACKUP_HOOKS (0 or 1) if set, else skippable */
	bool backup_forced;		/* by SPLICEWATCH_BACKUP_HOOKS */
};
void sw_probe_skips(const struct btf *btf, struct sw_skips *k);

/* Does splice(file -> pipe) share page-cache pages, or copy them? */
enum sw_sharing { SW_SHARING_UNKNOWN, SW_SHARING_SHARED, SW_SHARING_COPIED };
/* Probes a scratch file in dir (NULL: a memfd, i.e. tmpfs). */
enum sw_sharing sw_probe_sharing(const char *dir);
const char *sw_sharing_name(enum sw_sharing s);
#define SW_SHARING_DISK_DIR "/var/tmp"

#endif
