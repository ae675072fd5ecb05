// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch features: what this kernel offers and what splicewatch will use. */
#include <getopt.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "sw.h"

/* Tracepoints the tracepoint backend attaches to, as tp_btf (btf_trace_* in BTF);
 * the compat programs (before 5.17) use writeback_dirty_page for
 * writeback_dirty_folio and add io_uring_submit_sqe. */
static const char *const tracepoints[] = {
	"sys_enter", "sys_exit", "writeback_dirty_folio", "writeback_dirty_page",
	"mm_filemap_delete_from_page_cache", "writeback_mark_inode_dirty", "sched_process_fork",
	"io_uring_complete", "io_uring_submit_sqe",
};

/* Kernel functions the fentry/kprobe backends would attach to. */
static const char *const functions[] = {
	"copy_page_to_iter_pipe", "filemap_splice_read", "splice_folio_into_pipe",
	"generic_file_splice_read", "shmem_file_splice_read", "page_cache_pipe_buf_release",
	"generic_perform_write", "iomap_file_buffered_write", "free_pipe_info",
	"filemap_dirty_folio", "bpf_lsm_file_permission", "bpf_lsm_file_truncate",
	"bpf_lsm_path_truncate", "do_tee", "do_splice", "__x64_sys_vmsplice", "pipe_fcntl", "vfs_truncate",
	"vfs_fallocate", "do_ftruncate", "do_sys_ftruncate",
};

static const struct {
	const char *path;
	const char *coverage;
} write_paths[] = {
	{ "write, pwrite64, writev, pwritev, pwritev2", "covered at syscall entry (before the bytes land)" },
	{ "copy_file_range, splice and sendfile into a file", "covered at syscall entry" },
	{ "fallocate punch/zero/collapse/insert range", "covered at syscall entry (completes even if killed)" },
	{ "ftruncate", "covered at syscall entry (completes even if killed)" },
	{ "truncate(path)", "covered where pages leave the cache or the inode is dirtied; "
			    "tmpfs partial-page cuts not observable" },
	{ "mmap stores", "first store to a clean page only (writeback_dirty_folio); "
			 "tmpfs and already-dirty pages not observable" },
	{ "io_uring, AIO, in-kernel writers", "fentry/kprobe backends: generic_perform_write and "
					       "iomap_file_buffered_write (op write_iter); "
					       "tracepoint backend: not observable" },
};

int cmd_features(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json_out = false, btf_ok, kprobes, lsm, fentry, faultable, skippable, redundant, forced;
	const char *preempt, *preempt_source;
	enum sw_sharing share_shm, share_disk;
	int has_loop;
	const char *backend;
	struct btf *btf;
	struct utsname u;
	struct json j;
	size_t i;
	int opt;

	while ((opt = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json_out = true;
			break;
		case 'h':
			printf("Usage: splicewatch features [--json]\n\n"
			       "Print what the running kernel offers (BTF, kprobes, BPF LSM, the\n"
			       "tracepoints and functions splicewatch can hook), the backend that\n"
			       "will be used, and which write paths it covers. Needs no root.\n");
			return 0;
		default:
			sw_unknown_option("features");
			return SW_EXIT_USAGE;
		}
	}
	if (sw_no_operands("features", argc, argv))
		return SW_EXIT_USAGE;
	uname(&u);
	libbpf_set_print(NULL);
	btf = btf__load_vmlinux_btf();
	btf_ok = btf != NULL;
	kprobes = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;
	lsm = sw_lsm_bpf_active();
	fentry = geteuid() == 0 && sw_fentry_loads(btf);
	backend = fentry ? "fentry" : kprobes ? "kprobe" : "tracepoint";
	has_loop = sw_kernel_has_bpf_loop(btf);
	faultable = sw_syscall_tp_faultable(btf);
	preempt = sw_preempt_model(&preempt_source);
	skippable = faultable && sw_preempts_kernel_code(preempt);
	/* As sw_session_open decides. */
	redundant = sw_redundant_wanted(skippable, &forced);
	share_shm = sw_probe_sharing(NULL);
	share_disk = sw_probe_sharing(SW_SHARING_DISK_DIR);

	if (json_out) {
		json_init(&j, stdout, true);
		json_obj_begin(&j, NULL);
		json_str(&j, "kernel", u.release);
		json_bool(&j, "btf", btf_ok);
		if (has_loop >= 0)
			json_bool(&j, "bpf_loop", has_loop);
		else
			json_str(&j, "bpf_loop", NULL);
		json_str(&j, "programs", has_loop < 0 ? NULL : has_loop ? "main" : "compat");
		json_bool(&j, "kprobes", kprobes);
		json_bool(&j, "fentry", fentry);
		json_bool(&j, "fentry_probed", geteuid() == 0);
		json_bool(&j, "bpf_lsm", lsm);
		json_bool(&j, "ring_buffer", true);
		json_str(&j, "backend", btf_ok ? backend : NULL);
		json_str(&j, "deny", lsm ? "bpf_lsm" : "falls back to kill");
		json_bool(&j, "syscall_tracepoints_faultable", faultable);
		json_str(&j, "preemption", preempt);
		json_str(&j, "preemption_source", preempt_source);
		json_bool(&j, "syscall_runs_skippable", skippable);
		json_bool(&j, "second_sources", btf_ok && redundant);
		json_bool(&j, "second_sources_forced", forced);
		json_obj_begin(&j, "splice_pages");
		json_str(&j, "tmpfs", sw_sharing_name(share_shm));
		json_str(&j, SW_SHARING_DISK_DIR, sw_sharing_name(share_disk));
		json_obj_end(&j);
		json_obj_begin(&j, "tracepoints");
		for (i = 0; i < sizeof(tracepoints) / sizeof(tracepoints[0]); i++)
			json_bool(&j, tracepoints[i], sw_kernel_has_tracepoint(btf, tracepoints[i]));
		json_obj_end(&j);
		json_obj_begin(&j, "functions");
		for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
			json_bool(&j, functions[i], sw_kernel_has_function(btf, functions[i]));
		json_obj_end(&j);
		json_obj_begin(&j, "write_paths");
		for (i = 0; i < sizeof(write_paths) / sizeof(write_paths[0]); i++)
			json_str(&j, write_paths[i].path, write_paths[i].coverage);
		json_obj_end(&j);
		json_obj_end(&j);
	} else {
		printf("kernel:       %s\n", u.release);
		printf("btf:          %s\n", btf_ok ? "yes (/sys/kernel/btf/vmlinux)" : "NO: splicewatch cannot run");
		printf("bpf_loop:     %s\n", has_loop > 0 ? "yes" : has_loop == 0 ?
		       "no (Linux before 5.17)" : "unknown (no BTF)");
		printf("programs:     %s\n", has_loop > 0 ? "main" : has_loop == 0 ?
		       "compat: built for Linux 5.10-5.16 (no bpf_loop)" : "none");
		printf("kprobes:      %s\n", kprobes ? "yes" : "no");
		printf("fentry:       %s\n", geteuid() ? "unknown (probing needs root)" :
		       fentry ? "yes" : "no (a probe program was refused)");
		printf("bpf lsm:      %s\n", lsm ? "active: enforce --action deny refuses writes"
					      : "not active: --action deny falls back to kill");
		printf("ring buffer:  yes\n");
		printf("splice pages: tmpfs: %s, %s: %s (probed: shared means later writes "
		       "change what pipes hold)\n", sw_sharing_name(share_shm),
		       SW_SHARING_DISK_DIR, sw_sharing_name(share_disk));
		printf("backend:      %s (auto: fentry, else kprobe, else tracepoint)\n", backend);
		printf("syscall tps:  %s\n", faultable ?
		       "faultable (6.14+): their programs run with preemption on" :
		       "not faultable: their programs run with preemption off");
		printf("preemption:   %s (%s): %s\n", preempt ? preempt : "unknown", preempt_source,
		       !faultable ? "programs on syscall tracepoints are not preempted" :
		       skippable ? "the kernel can skip syscall hook runs" :
		       "kernel code is not preempted: no syscall hook run is skipped");
		printf("second hooks: %s%s\n", !btf_ok ? "no" : !redundant ? "off: not needed" :
		       strcmp(backend, "tracepoint") ?
		       "on: writes sys_enter did not check are checked in write_iter (deny: "
		       "file_permission), fallocate and ftruncate in vfs_fallocate and do_ftruncate "
		       "(do_sys_ftruncate where there is none), "
		       "tee, vmsplice, pipe-to-pipe splice and F_SETPIPE_SZ learnt in kernel functions" :
		       "on: a twin of sys_enter and of sys_exit runs where the kernel skipped the first "
		       "(deny: file_permission checks a write both sys_enter runs missed)",
		       forced ? " (SPLICEWATCH_REDUNDANT)" : "");
		printf("\ntracepoints (tp_btf):\n");
		for (i = 0; i < sizeof(tracepoints) / sizeof(tracepoints[0]); i++)
			printf("  %-36s %s\n", tracepoints[i],
			       sw_kernel_has_tracepoint(btf, tracepoints[i]) ? "found" : "missing");
		printf("\nkernel functions in BTF (fentry/kprobe/LSM hooks):\n");
		for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
			printf("  %-36s %s\n", functions[i],
			       sw_kernel_has_function(btf, functions[i]) ? "found" : "missing");
		printf("\nwrite paths:\n");
		for (i = 0; i < sizeof(write_paths) / sizeof(write_paths[0]); i++)
			printf("  %-48s %s\n", write_paths[i].path, write_paths[i].coverage);
	}
	btf__free(btf);
	return btf_ok ? 0 : 1;
}
