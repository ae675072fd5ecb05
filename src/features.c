// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * splicewatch features: what this kernel offers and what splicewatch will use.
 * Everything is probed first (struct facts); then each item is printed by one
 * function that writes its text line or its JSON keys.
 */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "sw.h"
#include "caps.h"
#include "hooks.h"
#include "kernel.h"
#include "page_addr.h"
#include "syscall_attach.h"

/* Coverage per write path, as the man page and README state it. */
static const struct {
	const char *path;
	const char *coverage;
} write_paths[] = {
	{ "write, pwrite64, writev, pwritev, pwritev2", "covered at syscall entry (before the bytes land)" },
	{ "copy_file_range, splice and sendfile into a file", "covered at syscall entry" },
	{ "fallocate punch/zero/collapse/insert range", "covered at syscall entry (completes even if killed)" },
	{ "ftruncate", "covered at syscall entry (completes even if killed)" },
	{ "truncate(path)", "covered where pages leave the cache or the inode is dirtied; "
			    "tmpfs partial-page cuts not observable (syscall attach none: "
			    "covered at security_path_truncate)" },
	{ "open with O_TRUNC", "tracepoint backend: as truncate(path) to 0; fentry/kprobe "
			       "backends: where the kernel cuts the file (do_truncate), "
			       "io_uring's openat too (completes even if killed)" },
	{ "mmap stores", "first store to a clean page only (writeback_dirty_folio); "
			 "tmpfs and already-dirty pages not observable" },
	{ "io_uring, AIO, in-kernel writers", "fentry/kprobe backends: rw_verify_area (syscall "
					       "attach none), else generic_perform_write and "
					       "iomap_file_buffered_write (op write_iter); "
					       "tracepoint backend: not observable" },
};

struct facts {
	struct utsname u;
	struct btf *btf;
	bool btf_ok;
	bool can_load;		/* fentry is probed only with CAP_BPF and CAP_PERFMON */
	int has_loop;		/* sw_kernel_has_bpf_loop */
	bool kprobes;
	bool lsm;
	bool lsm_refused;	/* active, but its programs do not attach (arm64 6.1) */
	enum sw_backend backend;	/* what auto picks */
	struct sw_skips skips;
	enum sw_sharing share_shm, share_disk;
	struct sw_page_addr page;	/* probed when can_load */
	int page_rc;
};

static void probe(struct facts *k)
{
	uname(&k->u);
	k->btf = btf__load_vmlinux_btf();
	k->btf_ok = k->btf != NULL;
	k->can_load = sw_caps_can_load();
	k->kprobes = sw_kernel_has_kprobes();
	k->lsm = sw_lsm_bpf_active();
	if (k->lsm && k->can_load && !sw_lsm_attaches(k->btf))
		k->lsm = false, k->lsm_refused = true;
	k->backend = sw_backend_auto(k->btf);
	k->has_loop = sw_kernel_has_bpf_loop(k->btf);
	sw_probe_skips(k->btf, &k->skips);
	k->share_shm = sw_probe_sharing(NULL);
	k->share_disk = sw_probe_sharing(SW_SHARING_DISK_DIR);
	if (k->can_load && k->btf_ok)
		k->page_rc = sw_page_addr_find(&k->page);
}

struct out {
	bool json;
	struct json j;
};

/* One text line: the label in a column, then the value. */
static void __attribute__((format(printf, 2, 3))) line(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-14s", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void item_kernel(struct out *o, const struct facts *k)
{
	if (o->json)
		json_str(&o->j, "kernel", k->u.release);
	else
		line("kernel:", "%s", k->u.release);
}

static void item_btf(struct out *o, const struct facts *k)
{
	if (o->json)
		json_bool(&o->j, "btf", k->btf_ok);
	else
		line("btf:", "%s", k->btf_ok ? "yes (/sys/kernel/btf/vmlinux)" :
		     "NO: splicewatch cannot run");
}

static void item_bpf_loop(struct out *o, const struct facts *k)
{
	if (o->json && k->has_loop >= 0)
		json_bool(&o->j, "bpf_loop", k->has_loop);
	else if (o->json)
		json_str(&o->j, "bpf_loop", NULL);
	else
		line("bpf_loop:", "%s", k->has_loop > 0 ? "yes" : k->has_loop == 0 ?
		     "no (Linux before 5.17)" : "unknown (no BTF)");
}

static void item_programs(struct out *o, const struct facts *k)
{
	if (o->json)
		json_str(&o->j, "programs", k->has_loop < 0 ? NULL : k->has_loop ? "main" : "compat");
	else
		line("programs:", "%s", k->has_loop > 0 ? "main" : k->has_loop == 0 ?
		     "compat: built for Linux 5.10-5.16 (no bpf_loop)" : "none");
}

static void item_kprobes(struct out *o, const struct facts *k)
{
	if (o->json)
		json_bool(&o->j, "kprobes", k->kprobes);
	else
		line("kprobes:", "%s", k->kprobes ? "yes" : "no");
}

static void item_fentry(struct out *o, const struct facts *k)
{
	bool fentry = k->backend == SW_BACKEND_FENTRY;	/* auto tries it first */

	if (o->json) {
		json_bool(&o->j, "fentry", fentry);
		json_bool(&o->j, "fentry_probed", k->can_load);
	} else {
		line("fentry:", "%s", !k->can_load ? "unknown (probing needs CAP_BPF and CAP_PERFMON)" :
		     fentry ? "yes" : "no (a probe program was refused)");
	}
}

static void item_lsm(struct out *o, const struct facts *k)
{
	if (o->json)
		json_bool(&o->j, "bpf_lsm", k->lsm);
	else
		line("bpf lsm:", "%s", k->lsm ? "active: enforce --action deny refuses writes"
				     : k->lsm_refused ? "active, but its programs do not attach (no BPF "
						"trampolines): enforce --action deny refuses to start "
						"unless --fallback"
				     : "not active: enforce --action deny refuses to start "
				       "(boot with lsm=...,bpf) unless --fallback");
}

static void item_ring_buffer(struct out *o, const struct facts *k)
{
	(void)k;
	if (o->json)
		json_bool(&o->j, "ring_buffer", true);
	else
		line("ring buffer:", "yes");
}

static void item_splice_pages(struct out *o, const struct facts *k)
{
	if (o->json) {
		json_obj_begin(&o->j, "splice_pages");
		json_str(&o->j, "tmpfs", sw_sharing_name(k->share_shm));
		json_str(&o->j, SW_SHARING_DISK_DIR, sw_sharing_name(k->share_disk));
		json_obj_end(&o->j);
	} else {
		line("splice pages:", "tmpfs: %s, %s: %s (probed: shared means later writes "
		     "change what pipes hold)", sw_sharing_name(k->share_shm),
		     SW_SHARING_DISK_DIR, sw_sharing_name(k->share_disk));
	}
}

static void item_backend(struct out *o, const struct facts *k)
{
	char order[64] = "";

	if (o->json) {
		json_str(&o->j, "backend", k->btf_ok ? sw_backend_name(k->backend) : NULL);
		return;
	}
	for (int i = 0; i < SW_BACKEND__COUNT; i++)
		snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s%s",
			 i ? ", else " : "", sw_backend_name(sw_backend_auto_order[i]));
	line("backend:", "%s (auto: %s)", sw_backend_name(k->backend), order);
}

/* Per backend, in the auto order: how it hooks syscall entry and exit. */
static void item_syscall_attach(struct out *o, const struct facts *k)
{
	char text[160] = "";
	bool seen[SW_SYSCALL_ATTACH__COUNT] = {};

	(void)k;
	if (o->json)
		json_obj_begin(&o->j, "syscall_attach");
	for (int i = 0; i < SW_BACKEND__COUNT; i++) {
		enum sw_backend b = sw_backend_auto_order[i];
		enum sw_syscall_attach a = sw_syscall_attach_of(b, k->btf_ok ? k->btf : NULL);

		if (o->json)
			json_str(&o->j, sw_backend_name(b), sw_syscall_attach_name(a));
		else
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s: %s",
				 i ? ", " : "", sw_backend_name(b), sw_syscall_attach_name(a));
		seen[a] = true;
	}
	if (o->json) {
		json_obj_end(&o->j);
		return;
	}
	/* The label is wider than the column: one space after it. */
	line("syscall attach:", " %s", text);
	for (int a = 0; a < SW_SYSCALL_ATTACH__COUNT; a++)
		if (seen[a])
			line("", "  %s: %s", sw_syscall_attach_name(a), sw_syscall_attach_what(a));
}

/* Text: part of the bpf lsm line. */
static void item_deny(struct out *o, const struct facts *k)
{
	if (o->json)
		json_str(&o->j, "deny", k->lsm ? "bpf_lsm" :
			 k->lsm_refused ? "no BPF trampolines: needs --fallback" :
			 "needs lsm=...,bpf or --fallback");
}

static void item_faultable(struct out *o, const struct facts *k)
{
	if (o->json)
		json_bool(&o->j, "syscall_tracepoints_faultable", k->skips.faultable);
	else
		line("syscall tps:", "%s", k->skips.faultable ?
		     "faultable (6.14+): their programs run with preemption on" :
		     "not faultable: their programs run with preemption off");
}

static void item_preemption(struct out *o, const struct facts *k)
{
	const struct sw_skips *s = &k->skips;

	if (o->json) {
		json_str(&o->j, "preemption", s->preempt);
		json_str(&o->j, "preemption_source", s->preempt_source);
		json_bool(&o->j, "syscall_runs_skippable", s->skippable);
	} else {
		line("preemption:", "%s (%s): %s", s->preempt ? s->preempt : "unknown",
		     s->preempt_source,
		     !s->faultable ? "programs on syscall tracepoints are not preempted" :
		     s->skippable ? "the kernel can skip syscall hook runs" :
		     "kernel code is not preempted: no syscall hook run is skipped");
	}
}

static void item_backup(struct out *o, const struct facts *k)
{
	const struct sw_skips *s = &k->skips;
	struct sw_hook_choice fentry = { .backend = SW_BACKEND_FENTRY, .backup = s->backup,
					 .kprobes = k->kprobes };

	if (o->json) {
		json_bool(&o->j, "backup_hooks", k->btf_ok && s->backup);
		json_bool(&o->j, "backup_hooks_forced", s->backup_forced);
		return;
	}
	line("backup hooks:", "%s%s%s", !k->btf_ok ? "no" : !s->backup ? "off: not needed" :
	     k->backend != SW_BACKEND_TRACEPOINT ?
	     "on: writes sys_enter did not check are checked in write_iter (deny: "
	     "file_permission), fallocate and ftruncate in vfs_fallocate and do_ftruncate "
	     "(do_sys_ftruncate where there is none), "
	     "tee, vmsplice, pipe-to-pipe splice and F_SETPIPE_SZ learnt in kernel functions" :
	     "on: a backup copy of sys_enter and of sys_exit runs where the kernel skipped the first "
	     "(deny: file_permission checks a write both sys_enter runs missed)",
	     !k->btf_ok || !s->backup || k->backend != SW_BACKEND_FENTRY ? "" :
	     sw_kernel_writers_backend(&fentry) == SW_BACKEND_KPROBE ? "; the kernel-writer hooks (crypto requests, pipes handed to a socket) "
	     "are kprobes, which run with preemption off" :
	     "; a backup copy of each kernel-writer hook (crypto requests, pipes handed to a "
	     "socket) runs where the kernel skipped the first",
	     s->backup_forced ? " (SPLICEWATCH_BACKUP_HOOKS)" : "");
}

/* Where a held page's bytes are, for the content checks (src/page_addr.c). */
static void item_page_address(struct out *o, const struct facts *k)
{
	const struct sw_page_addr *p = &k->page;
	bool known = k->can_load && k->btf_ok && !k->page_rc;

	if (o->json) {
		json_obj_begin(&o->j, "page_address");
		json_str(&o->j, "way", known ? sw_page_way_name(p->way) : NULL);
		json_str(&o->j, "detail", k->can_load && k->btf_ok ? p->detail :
			 "probing needs CAP_BPF, CAP_PERFMON and BTF");
		json_obj_end(&o->j);
		return;
	}
	if (!k->can_load || !k->btf_ok)
		line("page address:", "unknown (probing needs CAP_BPF, CAP_PERFMON and BTF)");
	else if (!known)
		line("page address:", "unknown: %s", p->detail);
	else if (p->way == SW_PAGE_WAY_NONE)
		line("page address:", "none: %s", p->detail);
	else
		line("page address:", "%s: %s (checked on nonce pages)", sw_page_way_name(p->way),
		     p->detail);
}

/* The hooks of one kind in the hook table, each found or missing in the BTF. */
static void hook_list(struct out *o, const struct facts *k, enum sw_hook_kind kind,
		      const char *key, const char *title)
{
	const char *names[64];
	size_t n = sw_hook_names(kind, names, 64);

	if (o->json)
		json_obj_begin(&o->j, key);
	else
		printf("\n%s:\n", title);
	for (size_t i = 0; i < n && i < 64; i++) {
		bool found = kind == SW_HOOK_TRACEPOINT ? sw_kernel_has_tracepoint(k->btf, names[i])
							: sw_kernel_has_function(k->btf, names[i]);

		if (o->json)
			json_bool(&o->j, names[i], found);
		else
			printf("  %-36s %s\n", names[i], found ? "found" : "missing");
	}
	if (o->json)
		json_obj_end(&o->j);
}

static void item_tracepoints(struct out *o, const struct facts *k)
{
	hook_list(o, k, SW_HOOK_TRACEPOINT, "tracepoints", "tracepoints (tp_btf)");
}

static void item_functions(struct out *o, const struct facts *k)
{
	hook_list(o, k, SW_HOOK_FUNCTION, "functions",
		  "kernel functions in BTF (fentry/kprobe/LSM hooks)");
}

static void item_write_paths(struct out *o, const struct facts *k)
{
	(void)k;
	if (o->json)
		json_obj_begin(&o->j, "write_paths");
	else
		printf("\nwrite paths:\n");
	for (size_t i = 0; i < sizeof(write_paths) / sizeof(write_paths[0]); i++) {
		if (o->json)
			json_str(&o->j, write_paths[i].path, write_paths[i].coverage);
		else
			printf("  %-48s %s\n", write_paths[i].path, write_paths[i].coverage);
	}
	if (o->json)
		json_obj_end(&o->j);
}

/* The capability table (src/caps.c): each present, missing (needed here and
 * absent) or not needed (absent; needed only as its commands say). */
static void item_capabilities(struct out *o, const struct facts *k)
{
	struct sw_caps_item it[16];
	size_t n = sw_caps_items(it, 16);

	if (o->json) {
		json_bool(&o->j, "can_load", k->can_load);
		json_obj_begin(&o->j, "capabilities");
	} else {
		printf("\ncapabilities (PRIVILEGES in splicewatch(8)):\n");
	}
	for (size_t i = 0; i < n; i++) {
		const char *state = it[i].present ? "present" : it[i].needed_here ? "missing"
										 : "not_needed";

		if (o->json)
			json_str(&o->j, it[i].name, state);
		else
			printf("  %-22s %-11s %s\n", it[i].name, it[i].present ? "present" :
			       it[i].needed_here ? "MISSING" : "not needed", it[i].who);
	}
	if (o->json)
		json_obj_end(&o->j);
}

#define TEXT	1U
#define JSON	2U

/* The order of the output. splice pages stands at a different place in the
 * text and in the JSON: both orders are output that scripts read. */
static const struct {
	void (*fn)(struct out *o, const struct facts *k);
	unsigned in;
} items[] = {
	{ item_kernel, TEXT | JSON },
	{ item_btf, TEXT | JSON },
	{ item_bpf_loop, TEXT | JSON },
	{ item_programs, TEXT | JSON },
	{ item_kprobes, TEXT | JSON },
	{ item_fentry, TEXT | JSON },
	{ item_lsm, TEXT | JSON },
	{ item_ring_buffer, TEXT | JSON },
	{ item_splice_pages, TEXT },
	{ item_backend, TEXT | JSON },
	{ item_syscall_attach, TEXT | JSON },
	{ item_deny, JSON },
	{ item_faultable, TEXT | JSON },
	{ item_preemption, TEXT | JSON },
	{ item_backup, TEXT | JSON },
	{ item_splice_pages, JSON },
	{ item_page_address, TEXT | JSON },
	{ item_tracepoints, TEXT | JSON },
	{ item_functions, TEXT | JSON },
	{ item_write_paths, TEXT | JSON },
	{ item_capabilities, TEXT | JSON },
};

static void features_usage(FILE *f)
{
	fprintf(f, "Usage: splicewatch features [--json]\n\n"
		"Print what the running kernel offers (BTF, kprobes, BPF LSM, the\n"
		"tracepoints and functions splicewatch can hook), the backend that\n"
		"will be used, which write paths it covers, how the bytes of a page a\n"
		"pipe holds can be read (page address), and which of the capabilities\n"
		"splicewatch needs this process has. Needs no privileges, but probing\n"
		"whether fentry programs load and finding the page address need CAP_BPF\n"
		"and CAP_PERFMON (the learnt page address CAP_SYS_ADMIN too).\n");
}

static int features_option(void *ctx, int opt, const char *arg)
{
	struct out *o = ctx;

	(void)arg;
	if (opt != 'j')
		return 0;
	o->json = true;
	return 1;
}

int cmd_features(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct out o = { 0 };
	struct facts k;
	int r;

	r = sw_parse_options("features", argc, argv, "+jh", longopts, features_usage,
			     features_option, &o, false);
	if (r)
		return r > 0 ? 0 : SW_EXIT_USAGE;
	libbpf_set_print(NULL);
	probe(&k);
	if (o.json) {
		json_init(&o.j, stdout, true);
		json_obj_begin(&o.j, NULL);
		json_str(&o.j, "type", "features");
		sw_json_stamp(&o.j, (int64_t)sw_mono_ns() + sw_mono_to_real_now());
	}
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (items[i].in & (o.json ? JSON : TEXT))
			items[i].fn(&o, &k);
	if (o.json)
		json_obj_end(&o.j);
	btf__free(k.btf);
	return k.btf_ok ? 0 : 1;
}
