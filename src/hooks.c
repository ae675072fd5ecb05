// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The hook table and the backends (hooks.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "splicewatch.h"
#include "arch.h"
#include "caps.h"
#include "common.h"
#include "hooks.h"
#include "syscall_attach.h"
#include "kernel.h"
#include "splicewatch.skel.h"

const enum sw_backend sw_backend_auto_order[SW_BACKEND__COUNT] = {
	SW_BACKEND_FENTRY, SW_BACKEND_KPROBE, SW_BACKEND_TRACEPOINT,
};

static const char *const backend_names[SW_BACKEND__COUNT] = {
	[SW_BACKEND_TRACEPOINT] = "tracepoint",
	[SW_BACKEND_KPROBE] = "kprobe",
	[SW_BACKEND_FENTRY] = "fentry",
};

const char *sw_backend_name(enum sw_backend b)
{
	return b < SW_BACKEND__COUNT ? backend_names[b] : "any";
}

int sw_backend_parse(const char *name, enum sw_backend *b)
{
	for (int i = 0; i < SW_BACKEND__COUNT; i++)
		if (!strcmp(name, backend_names[i])) {
			*b = i;
			return 0;
		}
	return -1;
}

int sw_backend_precheck(enum sw_backend b, const struct btf *btf)
{
	switch (b) {
	case SW_BACKEND_KPROBE:
		return sw_kernel_has_kprobes() ? 0 : -ENOENT;
	case SW_BACKEND_FENTRY:
		return sw_caps_can_load() && sw_fentry_loads(btf) ? 0 : -EPERM;
	default:
		return 0;
	}
}

enum sw_backend sw_backend_auto(const struct btf *btf)
{
	for (int i = 0; i < SW_BACKEND__COUNT; i++)
		if (!sw_backend_precheck(sw_backend_auto_order[i], btf))
			return sw_backend_auto_order[i];
	return SW_BACKEND_TRACEPOINT;
}

/* The kernel functions that take every duty of sys_enter and sys_exit over
 * (bpf/detect/call_end.bpf.h; docs/syscall-attach.md), one of each group. */
static const char *const none_needs[][2] = {
	{ "rw_verify_area" },				/* writes */
	{ "vfs_fallocate" },
	{ "do_ftruncate", "do_sys_ftruncate" },
	{ "vfs_truncate" },
	{ "security_path_truncate" },			/* truncate(path)'s check */
	{ "filemap_splice_read", "generic_file_splice_read" },	/* file -> pipe */
	{ "do_splice" },				/* pipe -> pipe, a splice's end */
	{ "do_tee" },
	{ SW_SYS_PREFIX "vmsplice" },
	{ "pipe_fcntl" },				/* F_SETPIPE_SZ; the live check */
	{ "free_pipe_info" },
};

enum sw_syscall_attach sw_syscall_attach_of(enum sw_backend b, const struct btf *btf)
{
	const char *env = getenv("SPLICEWATCH_SYSCALL_ATTACH");
	static bool said;

	if (env && strcmp(env, "raw") && strcmp(env, "none") && !said) {
		sw_info("SPLICEWATCH_SYSCALL_ATTACH=%s: neither raw nor none, ignored", env);
		said = true;
	}

	/* The tracepoint backend keeps raw although the per-syscall tracepoints
	 * exist (6.18, 7.x): measured, the whole set it would need costs more
	 * than the raw pair on the syscalls it watches, and their programs share
	 * the kernel's per-CPU recursion guard (bpf_prog_active), so a backup
	 * copy on the same tracepoint is skipped with the first (bench/results.md,
	 * docs/design.md "Syscall attach"). */
	if (b == SW_BACKEND_TRACEPOINT || !btf)
		return SW_SYSCALL_ATTACH_RAW;
	/* The compat programs (5.10-5.16) learn where a task's registers are
	 * from sys_enter (no bpf_task_pt_regs). */
	if (sw_kernel_has_bpf_loop(btf) != 1)
		return SW_SYSCALL_ATTACH_RAW;
	/* The default where the kernel has every function below;
	 * SPLICEWATCH_SYSCALL_ATTACH=raw keeps the syscall tracepoints
	 * (docs/syscall-attach.md). */
	if (env && !strcmp(env, "raw"))
		return SW_SYSCALL_ATTACH_RAW;
	for (size_t i = 0; i < sizeof(none_needs) / sizeof(none_needs[0]); i++)
		if (!sw_kernel_has_function(btf, none_needs[i][0]) &&
		    !(none_needs[i][1] && sw_kernel_has_function(btf, none_needs[i][1])))
			return SW_SYSCALL_ATTACH_RAW;
	return SW_SYSCALL_ATTACH_NONE;
}

/* Why a program is there; roles other than SYSCALL and PAGE_CACHE say when it loads. */
enum sw_role {
	SW_ROLE_SYSCALL,	/* decodes syscalls: checks writes, learns holds, sees drains */
	SW_ROLE_PAGE_CACHE,	/* writes seen in the page cache: mmap stores */
	SW_ROLE_TRUNCATE_PAGES,	/* truncate(path) where the kernel reaches the inode, where the
				 * syscall attach is raw */
	SW_ROLE_HOLDS,		/* learns pages entering pipes outside the syscall hooks */
	SW_ROLE_PIPE_FREE,	/* forgets a pipe the moment it is freed */
	SW_ROLE_OPEN_TRUNC,	/* checks open(O_TRUNC) where the kernel cuts the file,
				 * however the open came (io_uring's openat too) */
	SW_ROLE_WRITE_ITER,	/* checks writes no syscall hook sees (io_uring, AIO, nfsd),
				 * where the syscall attach is raw */
	SW_ROLE_SCOPE,		/* ci: adds each new task of the watched tree; with scope */
	SW_ROLE_BACKUP,		/* backs up skipped syscall hook runs; with backup hooks on,
				 * and in their stead where the syscall attach is none */
	SW_ROLE_WRITE_BACKUP,	/* backs up skipped write checks of sys_enter; with backup
				 * hooks on, where the syscall attach is raw */
	SW_ROLE_NONE_CHECK,	/* checks what sys_enter did, where the syscall attach is none:
				 * every VFS write, truncate(path) */
	SW_ROLE_CALL_END,	/* ends what a syscall left, where the syscall attach is none */
	SW_ROLE_DENY,		/* refuses the write (BPF LSM); with --action deny */
	SW_ROLE_KERNEL_WRITER,	/* checks the kernel's own in-place writers (crypto
				 * requests); the programs of
				 * sw_kernel_writers_backend() */
	SW_ROLE_KERNEL_WRITER_BACKUP, /* backs up skipped runs of the fentry kernel
				 * writer hooks; with backup hooks on, where
				 * there are no kprobes to hook them with */
	SW_ROLE_SOFTIRQ,	/* tells a softirq's writes from its task's: with the
				 * kernel writer hooks, under enforce only (they run
				 * on every softirq; only acting needs them) */
};

enum sw_build { SW_BUILD_BOTH, SW_BUILD_MAIN, SW_BUILD_COMPAT };

/* Loaded only where the kernel has the hook (else the load fails without it). */
#define IF_PRESENT		(1U << 0)
/* Pipes learnt there carry no inode to tell a freed pipe by: loaded only
 * where the free_pipe_info hook forgets them. */
#define NEEDS_PIPE_FREE		(1U << 1)

struct sw_hook {
	size_t prog;			/* offset of the program in struct splicewatch_bpf */
	enum sw_backend backend;
	enum sw_hook_kind kind;
	const char *hook;		/* kernel function or tracepoint */
	enum sw_role role;
	enum sw_build build;
	unsigned flags;
	const char *unless;		/* not loaded where this kernel function exists */
};

#define PROG(name)	offsetof(struct splicewatch_bpf, progs.name)
#define ROW(name, backend_, kind_, hook_, role_, build_, flags_)		\
	.prog = PROG(name), .backend = SW_BACKEND_##backend_, .kind = kind_,	\
	.hook = hook_, .role = SW_ROLE_##role_, .build = build_, .flags = flags_
#define TP(name, backend, tp, role, build, flags) \
	{ ROW(name, backend, SW_HOOK_TRACEPOINT, tp, role, build, flags) }
#define FN(name, backend, fn, role, build, flags) \
	{ ROW(name, backend, SW_HOOK_FUNCTION, fn, role, build, flags) }
#define FN_UNLESS(name, backend, fn, role, build, flags, unless_) \
	{ ROW(name, backend, SW_HOOK_FUNCTION, fn, role, build, flags), .unless = unless_ }
/* The two programs of ENTRY_HOOKS (bpf/splicewatch.bpf.c): sw_fentry_NAME and
 * sw_kprobe_NAME, on function fn's entry. */
#define ENTRY(name, fn, role, flags) \
	FN(sw_fentry_##name, FENTRY, fn, role, SW_BUILD_BOTH, flags), \
	FN(sw_kprobe_##name, KPROBE, fn, role, SW_BUILD_BOTH, flags)
/* KERNEL_WRITER_HOOKS and HANDOFF_HOOKS: ENTRY's two and sw_fentry_NAME_backup. */
#define KERNEL_WRITER(name, fn) \
	ENTRY(name, fn, KERNEL_WRITER, IF_PRESENT), \
	FN(sw_fentry_##name##_backup, FENTRY, fn, KERNEL_WRITER_BACKUP, SW_BUILD_BOTH, IF_PRESENT)

/* In the order `features` lists the hooks. */
static const struct sw_hook hooks[] = {
	TP(sw_sys_enter, ANY, "sys_enter", SYSCALL, SW_BUILD_BOTH, 0),
	TP(sw_sys_enter_backup, TRACEPOINT, "sys_enter", BACKUP, SW_BUILD_BOTH, 0),
	TP(sw_sys_exit, ANY, "sys_exit", SYSCALL, SW_BUILD_BOTH, 0),
	TP(sw_sys_exit_backup, TRACEPOINT, "sys_exit", BACKUP, SW_BUILD_BOTH, 0),
	/* One program: the compat build's section names the page tracepoint. */
	TP(sw_dirty_folio, ANY, "writeback_dirty_folio", PAGE_CACHE, SW_BUILD_MAIN, 0),
	TP(sw_dirty_folio, ANY, "writeback_dirty_page", PAGE_CACHE, SW_BUILD_COMPAT, 0),
	TP(sw_page_cache_delete, ANY, "mm_filemap_delete_from_page_cache", TRUNCATE_PAGES,
	   SW_BUILD_BOTH, 0),
	TP(sw_inode_dirty, ANY, "writeback_mark_inode_dirty", TRUNCATE_PAGES, SW_BUILD_BOTH, 0),
	TP(sw_fork, ANY, "sched_process_fork", SCOPE, SW_BUILD_BOTH, 0),
	/* Kernels built without io_uring have no such tracepoints. */
	TP(sw_io_uring_complete, ANY, "io_uring_complete", HOLDS, SW_BUILD_BOTH, IF_PRESENT),
	/* io_uring_complete does not carry the request's pipe before 5.17: the
	 * compat programs learn it at submission. */
	TP(sw_io_uring_submit, ANY, "io_uring_submit_sqe", HOLDS, SW_BUILD_COMPAT, IF_PRESENT),

	/* The splice reads: pages entering pipes, whoever calls them. */
	FN(sw_fexit_filemap_splice_read, FENTRY, "filemap_splice_read", HOLDS, SW_BUILD_BOTH,
	   IF_PRESENT | NEEDS_PIPE_FREE),
	FN(sw_kprobe_filemap_splice_read, KPROBE, "filemap_splice_read", HOLDS, SW_BUILD_BOTH,
	   IF_PRESENT | NEEDS_PIPE_FREE),
	FN(sw_kretprobe_filemap_splice_read, KPROBE, "filemap_splice_read", HOLDS, SW_BUILD_BOTH,
	   IF_PRESENT | NEEDS_PIPE_FREE),
	FN(sw_fexit_generic_file_splice_read, FENTRY, "generic_file_splice_read", HOLDS,
	   SW_BUILD_BOTH, IF_PRESENT | NEEDS_PIPE_FREE),
	FN(sw_kprobe_generic_file_splice_read, KPROBE, "generic_file_splice_read", HOLDS,
	   SW_BUILD_BOTH, IF_PRESENT | NEEDS_PIPE_FREE),
	FN(sw_kretprobe_generic_file_splice_read, KPROBE, "generic_file_splice_read", HOLDS,
	   SW_BUILD_BOTH, IF_PRESENT | NEEDS_PIPE_FREE),
	FN(sw_fexit_shmem_file_splice_read, FENTRY, "shmem_file_splice_read", HOLDS,
	   SW_BUILD_BOTH, IF_PRESENT | NEEDS_PIPE_FREE),
	FN(sw_kprobe_shmem_file_splice_read, KPROBE, "shmem_file_splice_read", HOLDS,
	   SW_BUILD_BOTH, IF_PRESENT | NEEDS_PIPE_FREE),
	FN(sw_kretprobe_shmem_file_splice_read, KPROBE, "shmem_file_splice_read", HOLDS,
	   SW_BUILD_BOTH, IF_PRESENT | NEEDS_PIPE_FREE),
	ENTRY(perform_write, "generic_perform_write", WRITE_ITER, IF_PRESENT),
	ENTRY(iomap_write, "iomap_file_buffered_write", WRITE_ITER, IF_PRESENT),
	ENTRY(free_pipe, "free_pipe_info", PIPE_FREE, IF_PRESENT),
	ENTRY(open_trunc, "do_truncate", OPEN_TRUNC, IF_PRESENT),
	KERNEL_WRITER(aead_encrypt, "crypto_aead_encrypt"),
	KERNEL_WRITER(aead_decrypt, "crypto_aead_decrypt"),
	KERNEL_WRITER(skcipher_encrypt, "crypto_skcipher_encrypt"),
	KERNEL_WRITER(skcipher_decrypt, "crypto_skcipher_decrypt"),
	/* 6.5 on; generic_splice_sendpage before. */
	KERNEL_WRITER(handoff, "splice_to_socket"),
	KERNEL_WRITER(handoff_sendpage, "generic_splice_sendpage"),
	TP(sw_softirq_entry, ANY, "softirq_entry", SOFTIRQ, SW_BUILD_BOTH, 0),
	TP(sw_softirq_exit, ANY, "softirq_exit", SOFTIRQ, SW_BUILD_BOTH, 0),

	FN(sw_lsm_file_permission, ANY, "bpf_lsm_file_permission", DENY, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_lsm_file_truncate, ANY, "bpf_lsm_file_truncate", DENY, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_lsm_path_truncate, ANY, "bpf_lsm_path_truncate", DENY, SW_BUILD_BOTH, IF_PRESENT),

	/* Backup hooks of hold learning (they sync pipes through their file,
	 * inode known, so they need no free_pipe_info) ... */
	FN(sw_fexit_do_tee, FENTRY, "do_tee", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kprobe_do_tee, KPROBE, "do_tee", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kretprobe_do_tee, KPROBE, "do_tee", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_fexit_do_splice, FENTRY, "do_splice", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kprobe_do_splice, KPROBE, "do_splice", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kretprobe_do_splice, KPROBE, "do_splice", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_fexit_vmsplice, FENTRY, SW_SYS_PREFIX "vmsplice", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kprobe_vmsplice, KPROBE, SW_SYS_PREFIX "vmsplice", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kretprobe_vmsplice, KPROBE, SW_SYS_PREFIX "vmsplice", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_fexit_vmsplice_ia32, FENTRY, SW_IA32_SYS_PREFIX "vmsplice", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kprobe_vmsplice_ia32, KPROBE, SW_IA32_SYS_PREFIX "vmsplice", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kretprobe_vmsplice_ia32, KPROBE, SW_IA32_SYS_PREFIX "vmsplice", BACKUP, SW_BUILD_BOTH,
	   IF_PRESENT),
	FN(sw_fexit_pipe_fcntl, FENTRY, "pipe_fcntl", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kprobe_pipe_fcntl, KPROBE, "pipe_fcntl", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kretprobe_pipe_fcntl, KPROBE, "pipe_fcntl", BACKUP, SW_BUILD_BOTH, IF_PRESENT),
	/* ... and of the checks with no write_iter call behind them. */
	ENTRY(vfs_truncate, "vfs_truncate", BACKUP, IF_PRESENT),
	ENTRY(vfs_fallocate, "vfs_fallocate", BACKUP, IF_PRESENT),
	ENTRY(do_ftruncate, "do_ftruncate", BACKUP, IF_PRESENT),
	/* ftruncate's body, only where it has no do_ftruncate to call. */
	FN_UNLESS(sw_fentry_do_sys_ftruncate, FENTRY, "do_sys_ftruncate", BACKUP, SW_BUILD_BOTH,
		  IF_PRESENT, "do_ftruncate"),
	FN_UNLESS(sw_kprobe_do_sys_ftruncate, KPROBE, "do_sys_ftruncate", BACKUP, SW_BUILD_BOTH,
		  IF_PRESENT, "do_ftruncate"),
	/* Write syscalls checked at their permission check, from the syscall's
	 * registers: what sys_enter checked, on every file system, direct I/O
	 * included (no write_iter call backs that up). */
	ENTRY(file_permission, "security_file_permission", WRITE_BACKUP, IF_PRESENT),
	/* Syscall attach none: every write the VFS verifies, with the kernel's
	 * file, position and length; the permission check and the write_iter
	 * hooks in one. */
	ENTRY(write_area, "rw_verify_area", NONE_CHECK, IF_PRESENT),
	/* Syscall attach none: truncate(path) after its permission checks,
	 * instead of the page-cache tracepoints every write and eviction runs. */
	ENTRY(path_truncate, "security_path_truncate", NONE_CHECK, IF_PRESENT),
	/* Syscall attach none: what sys_exit ended, ended at the function's return. */
	FN(sw_fexit_vfs_fallocate, FENTRY, "vfs_fallocate", CALL_END, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kretprobe_vfs_fallocate, KPROBE, "vfs_fallocate", CALL_END, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_fexit_do_ftruncate, FENTRY, "do_ftruncate", CALL_END, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kretprobe_do_ftruncate, KPROBE, "do_ftruncate", CALL_END, SW_BUILD_BOTH, IF_PRESENT),
	FN_UNLESS(sw_fexit_do_sys_ftruncate, FENTRY, "do_sys_ftruncate", CALL_END, SW_BUILD_BOTH,
		  IF_PRESENT, "do_ftruncate"),
	FN_UNLESS(sw_kretprobe_do_sys_ftruncate, KPROBE, "do_sys_ftruncate", CALL_END,
		  SW_BUILD_BOTH, IF_PRESENT, "do_ftruncate"),
	FN(sw_fexit_vfs_truncate, FENTRY, "vfs_truncate", CALL_END, SW_BUILD_BOTH, IF_PRESENT),
	FN(sw_kretprobe_vfs_truncate, KPROBE, "vfs_truncate", CALL_END, SW_BUILD_BOTH, IF_PRESENT),
};

static bool hook_present(const struct sw_hook *h, const struct btf *btf)
{
	return h->kind == SW_HOOK_TRACEPOINT ? sw_kernel_has_tracepoint(btf, h->hook)
					     : sw_kernel_has_function(btf, h->hook);
}

enum sw_backend sw_kernel_writers_backend(const struct sw_hook_choice *c)
{
	switch (c->backend) {
	case SW_BACKEND_FENTRY:
		return c->backup && c->kprobes ? SW_BACKEND_KPROBE : SW_BACKEND_FENTRY;
	case SW_BACKEND_KPROBE:
		return SW_BACKEND_KPROBE;
	default:
		return SW_BACKEND__COUNT;
	}
}

static bool hook_wanted(const struct sw_hook *h, const struct sw_hook_choice *c,
			const struct btf *btf, bool pipe_free_seen)
{
	if (h->role == SW_ROLE_KERNEL_WRITER) {
		if (h->backend != sw_kernel_writers_backend(c))
			return false;
	} else if (h->backend != SW_BACKEND_ANY && h->backend != c->backend) {
		return false;
	}
	if ((h->flags & IF_PRESENT) && !hook_present(h, btf))
		return false;
	if (h->unless && sw_kernel_has_function(btf, h->unless))
		return false;
	if ((h->flags & NEEDS_PIPE_FREE) && !pipe_free_seen)
		return false;
	switch (h->role) {
	case SW_ROLE_SYSCALL:
	case SW_ROLE_WRITE_ITER:
	case SW_ROLE_TRUNCATE_PAGES:
		return !c->no_syscall_hooks;
	case SW_ROLE_NONE_CHECK:
	case SW_ROLE_CALL_END:
		return c->no_syscall_hooks;
	case SW_ROLE_SCOPE:
		return c->scope;
	case SW_ROLE_BACKUP:
		return c->backup || c->no_syscall_hooks;
	case SW_ROLE_WRITE_BACKUP:
		return c->backup && !c->no_syscall_hooks;
	case SW_ROLE_DENY:
		return c->deny;
	case SW_ROLE_KERNEL_WRITER_BACKUP:
		return c->backup && sw_kernel_writers_backend(c) == SW_BACKEND_FENTRY;
	case SW_ROLE_SOFTIRQ:
		return c->backend != SW_BACKEND_TRACEPOINT && c->enforce;
	default:
		return true;
	}
}

void sw_hooks_select(struct splicewatch_bpf *skel, const struct sw_hook_choice *c,
		     const struct btf *btf)
{
	bool pipe_free_seen = c->backend != SW_BACKEND_TRACEPOINT &&
			      sw_kernel_has_function(btf, "free_pipe_info");

	enum sw_build other = c->compat ? SW_BUILD_MAIN : SW_BUILD_COMPAT;

	/* Rows of the other build first: a program with a row for each build
	 * is then decided by the row of this one. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
			const struct sw_hook *h = &hooks[i];
			struct bpf_program *prog = *(struct bpf_program **)((char *)skel + h->prog);

			if ((h->build == other) != !pass)
				continue;
			bpf_program__set_autoload(prog, h->build != other &&
						  hook_wanted(h, c, btf, pipe_free_seen));
		}
}

size_t sw_hook_names(enum sw_hook_kind kind, const char **names, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		bool seen = false;

		if (hooks[i].kind != kind)
			continue;
		for (size_t k = 0; k < n && k < cap && !seen; k++)
			seen = !strcmp(names[k], hooks[i].hook);
		if (seen)
			continue;
		if (n < cap)
			names[n] = hooks[i].hook;
		n++;
	}
	return n;
}
