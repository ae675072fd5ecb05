// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The watch session: check privileges, load and attach the programs, poll events. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "sw.h"
#include "splicewatch.skel.h"
#include "splicewatch_compat.skel.h"

#define GC_INTERVAL_NS	(200 * 1000 * 1000ULL)

struct sw_session {
	struct splicewatch_bpf *skel;
	struct ring_buffer *rb;
	sw_event_fn fn;
	void *ctx;
	int64_t mono_to_real_ns;
	uint64_t last_gc_ns;
	const char *backend;
	bool deny;
	bool redundant;
	bool compat;		/* the programs built for 5.10-5.16 */
};

/* libbpf's messages: warnings and info with -v, debug with -vv. */
int sw_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && sw_verbose < 2)
		return 0;
	if ((level == LIBBPF_INFO || level == LIBBPF_WARN) && sw_verbose < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void sw_config_defaults(struct sw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = SW_MODE_TRACE;
	cfg->signal = SIGKILL;
	cfg->max_holds = 262144;
	cfg->ringbuf_kib = 4 * 1024;
	cfg->backend = "auto";
}

static int64_t realtime_offset(void)
{
	struct timespec rt, mo;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	return (rt.tv_sec - mo.tv_sec) * 1000000000LL + (rt.tv_nsec - mo.tv_nsec);
}

/* Does the kernel know the bpf_loop helper (5.17+)? Read from its BTF (enum
 * bpf_func_id), which needs no root and loads nothing. btf NULL: the running
 * kernel's, loaded here. 1 yes, 0 no, -1 no BTF. */
int sw_kernel_has_bpf_loop(const struct btf *btf)
{
	struct btf *own = NULL;
	int found = 0, id;

	if (!btf)
		btf = own = btf__load_vmlinux_btf();
	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "bpf_func_id", BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e = btf_enum(t);

		for (int i = 0; i < btf_vlen(t) && !found; i++)
			found = !strcmp(btf__name_by_offset(btf, e[i].name_off), "BPF_FUNC_loop");
	}
	btf__free(own);
	return found;
}

/* Without bpf_loop (before 5.17) the programs are the compat build
 * (bpf/sw_compat.bpf.h), opened through the main skeleton s, made by its
 * __create_skeleton: both have the same maps, programs and global data, which
 * the skeleton binds by name (checked at build time). */
int sw_open_compat(struct bpf_object_skeleton *s, const void *elf, size_t size)
{
	s->data = (void *)elf;
	s->data_sz = size;
	return bpf_object__open_skeleton(s, NULL);
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

static struct splicewatch_bpf *open_programs(bool compat)
{
	struct splicewatch_bpf *skel;
	const void *elf;
	size_t size;
	int err;

	if (!compat)
		return splicewatch_bpf__open();
	skel = calloc(1, sizeof(*skel));
	if (!skel)
		return NULL;
	err = splicewatch_bpf__create_skeleton(skel);
	elf = splicewatch_compat_bpf__elf_bytes(&size);
	if (!err)
		err = sw_open_compat(skel->skeleton, elf, size);
	if (err) {
		splicewatch_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

/* One clear reason instead of a verifier log when the machine cannot run us. */
int sw_check_environment(void)
{
	if (geteuid() != 0) {
		sw_err("needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE) to load BPF programs");
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		sw_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): "
		       "splicewatch needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	return 0;
}

/* "none [integrity] confidentiality": the bracketed mode is in force. */
static bool kernel_locked_down(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "[integrity]") || strstr(buf, "[confidentiality]");
}

const char *sw_load_hint(int err)
{
	if (kernel_locked_down())
		return "the kernel is locked down (/sys/kernel/security/lockdown), which "
		       "forbids the BPF programs splicewatch needs";
	switch (err) {
	case EPERM:
	case EACCES:
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

static int populate_allowlists(struct sw_session *s, const struct sw_config *cfg)
{
	uint8_t one = 1;
	int i;

	for (i = 0; i < cfg->n_allow_pids; i++)
		if (bpf_map__update_elem(s->skel->maps.allow_pids, &cfg->allow_pids[i],
					 sizeof(uint32_t), &one, 1, BPF_ANY))
			return -1;
	for (i = 0; i < cfg->n_allow_cgroups; i++)
		if (bpf_map__update_elem(s->skel->maps.allow_cgroups, &cfg->allow_cgroups[i],
					 sizeof(uint64_t), &one, 1, BPF_ANY))
			return -1;
	for (i = 0; i < cfg->n_allow_comms; i++)
		if (bpf_map__update_elem(s->skel->maps.allow_comms, cfg->allow_comms[i],
					 SW_TASK_COMM_LEN, &one, 1, BPF_ANY))
			return -1;
	return 0;
}

static int ringbuf_cb(void *ctx, void *data, size_t len)
{
	struct sw_session *s = ctx;

	if (len < sizeof(struct sw_event))
		return 0;
	return s->fn ? s->fn(s->ctx, data, len) : 0;
}

enum backend {
	BACKEND_TRACEPOINT,
	BACKEND_KPROBE,
	BACKEND_FENTRY,
};

static const char *const backend_names[] = {
	[BACKEND_TRACEPOINT] = "tracepoint",
	[BACKEND_KPROBE] = "kprobe",
	[BACKEND_FENTRY] = "fentry",
};

bool sw_kernel_has_function(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

bool sw_kernel_has_tracepoint(const struct btf *btf, const char *name)
{
	char full[128];

	snprintf(full, sizeof(full), "btf_trace_%s", name);
	return btf && btf__find_by_name_kind(btf, full, BTF_KIND_TYPEDEF) > 0;
}

bool sw_lsm_bpf_active(void)
{
	char buf[512] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	bool found = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (char *tok = strtok(buf, ",\n"); tok; tok = strtok(NULL, ",\n"))
			found |= !strcmp(tok, "bpf");
	fclose(f);
	return found;
}

bool sw_syscall_tp_faultable(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_member *m;
	int id;

	id = btf ? btf__find_by_name_kind(btf, "tracepoint_ext", BTF_KIND_STRUCT) : -1;
	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), "faultable"))
			return true;
	return false;
}

static const char *preempt_model_named(const char *name, size_t len)
{
	static const char *const models[] = { "none", "voluntary", "full", "lazy" };

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (strlen(models[i]) == len && !strncmp(name, models[i], len))
			return models[i];
	return NULL;
}

/* The boot model a PREEMPT_DYNAMIC kernel was configured with. gzopen reads
 * the plain /boot file as well as /proc/config.gz. */
static const char *kconfig_preempt_model(const char *release)
{
	static const struct { const char *line, *model; } choices[] = {
		{ "CONFIG_PREEMPT_NONE=y\n", "none" },
		{ "CONFIG_PREEMPT_VOLUNTARY=y\n", "voluntary" },
		{ "CONFIG_PREEMPT=y\n", "full" },
		{ "CONFIG_PREEMPT_LAZY=y\n", "lazy" },
	};
	char path[256], line[256];
	const char *model = NULL;
	gzFile f;

	snprintf(path, sizeof(path), "/boot/config-%s", release);
	f = gzopen(path, "rb");
	if (!f)
		f = gzopen("/proc/config.gz", "rb");
	if (!f)
		return NULL;
	while (!model && gzgets(f, line, sizeof(line)))
		for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
			if (!strcmp(line, choices[i].line))
				model = choices[i].model;
	gzclose(f);
	return model;
}

const char *sw_preempt_model(const char **source)
{
	char buf[4096] = "", *p, *q;
	struct utsname u;
	FILE *f;

	/* "none voluntary (full) lazy": the running model in parentheses. */
	f = fopen("/sys/kernel/debug/sched/preempt", "re");
	if (f) {
		p = fgets(buf, sizeof(buf), f) ? strchr(buf, '(') : NULL;
		q = p ? strchr(p, ')') : NULL;
		fclose(f);
		if (q && preempt_model_named(p + 1, q - p - 1)) {
			*source = "debugfs";
			return preempt_model_named(p + 1, q - p - 1);
		}
	}
	*source = "uname";
	if (uname(&u))
		return NULL;
	if (strstr(u.version, "PREEMPT_RT"))
		return "rt";
	if (!strstr(u.version, "PREEMPT_DYNAMIC"))
		return strstr(u.version, "PREEMPT_LAZY") ? "lazy" :
		       strstr(u.version, "PREEMPT ") ? "full" : "none or voluntary";
	f = fopen("/proc/cmdline", "re");
	p = f && fgets(buf, sizeof(buf), f) ? strstr(buf, "preempt=") : NULL;
	if (f)
		fclose(f);
	if (p && (p == buf || p[-1] == ' ')) {
		*source = "preempt= on the kernel command line";
		p += strlen("preempt=");
		return preempt_model_named(p, strcspn(p, " \n"));
	}
	*source = "kernel config";
	return kconfig_preempt_model(u.release);
}

bool sw_preempts_kernel_code(const char *model)
{
	return !model || !strcmp(model, "full") || !strcmp(model, "lazy") || !strcmp(model, "rt");
}

bool sw_syscall_runs_skippable(const struct btf *btf)
{
	const char *source;

	return sw_syscall_tp_faultable(btf) && sw_preempts_kernel_code(sw_preempt_model(&source));
}

bool sw_redundant_wanted(bool skippable, bool *forced)
{
	const char *env = getenv("SPLICEWATCH_REDUNDANT");

	*forced = env && (!strcmp(env, "0") || !strcmp(env, "1"));
	if (*forced)
		return !strcmp(env, "1");
	return skippable;
}

/* Programs of a backend, each attached only where its kernel function exists.
 * The second sources only when redundant. */
static void select_programs(struct splicewatch_bpf *skel, enum backend b, bool deny,
			    bool redundant, const struct btf *btf)
{
	/* learns_pipes: pipes learnt there carry no inode to tell a freed pipe by,
	 * so they rely on the free_pipe_info hook to forget them. */
	const struct {
		struct bpf_program *prog;
		enum backend backend;
		const char *func;
		bool learns_pipes;
	} fn_progs[] = {
		{ skel->progs.sw_fentry_free_pipe, BACKEND_FENTRY, "free_pipe_info", false },
		{ skel->progs.sw_fexit_filemap_splice_read, BACKEND_FENTRY, "filemap_splice_read", true },
		{ skel->progs.sw_fexit_shmem_file_splice_read, BACKEND_FENTRY, "shmem_file_splice_read", true },
		{ skel->progs.sw_fexit_generic_file_splice_read, BACKEND_FENTRY, "generic_file_splice_read", true },
		{ skel->progs.sw_fentry_perform_write, BACKEND_FENTRY, "generic_perform_write", false },
		{ skel->progs.sw_fentry_iomap_write, BACKEND_FENTRY, "iomap_file_buffered_write", false },
		{ skel->progs.sw_kprobe_free_pipe, BACKEND_KPROBE, "free_pipe_info", false },
		{ skel->progs.sw_kprobe_filemap_splice_read, BACKEND_KPROBE, "filemap_splice_read", true },
		{ skel->progs.sw_kretprobe_filemap_splice_read, BACKEND_KPROBE, "filemap_splice_read", true },
		{ skel->progs.sw_kprobe_shmem_file_splice_read, BACKEND_KPROBE, "shmem_file_splice_read", true },
		{ skel->progs.sw_kretprobe_shmem_file_splice_read, BACKEND_KPROBE, "shmem_file_splice_read", true },
		{ skel->progs.sw_kprobe_generic_file_splice_read, BACKEND_KPROBE, "generic_file_splice_read", true },
		{ skel->progs.sw_kretprobe_generic_file_splice_read, BACKEND_KPROBE, "generic_file_splice_read", true },
		{ skel->progs.sw_kprobe_perform_write, BACKEND_KPROBE, "generic_perform_write", false },
		{ skel->progs.sw_kprobe_iomap_write, BACKEND_KPROBE, "iomap_file_buffered_write", false },
	};
	/* Second sources of hold learning (they sync pipes through their file,
	 * inode known, so they need no free_pipe_info) and of the checks with
	 * no write_iter call behind them: truncate, fallocate, ftruncate. */
	const struct {
		struct bpf_program *prog;
		enum backend backend;
		const char *func;
	} backup_progs[] = {
		{ skel->progs.sw_fexit_do_tee, BACKEND_FENTRY, "do_tee" },
		{ skel->progs.sw_fexit_do_splice, BACKEND_FENTRY, "do_splice" },
		{ skel->progs.sw_fexit_vmsplice, BACKEND_FENTRY, "__x64_sys_vmsplice" },
		{ skel->progs.sw_fexit_pipe_fcntl, BACKEND_FENTRY, "pipe_fcntl" },
		{ skel->progs.sw_fentry_vfs_truncate, BACKEND_FENTRY, "vfs_truncate" },
		{ skel->progs.sw_kprobe_vfs_truncate, BACKEND_KPROBE, "vfs_truncate" },
		{ skel->progs.sw_fentry_vfs_fallocate, BACKEND_FENTRY, "vfs_fallocate" },
		{ skel->progs.sw_kprobe_vfs_fallocate, BACKEND_KPROBE, "vfs_fallocate" },
		{ skel->progs.sw_fentry_do_ftruncate, BACKEND_FENTRY, "do_ftruncate" },
		{ skel->progs.sw_kprobe_do_ftruncate, BACKEND_KPROBE, "do_ftruncate" },
		{ skel->progs.sw_fentry_do_sys_ftruncate, BACKEND_FENTRY, "do_sys_ftruncate" },
		{ skel->progs.sw_kprobe_do_sys_ftruncate, BACKEND_KPROBE, "do_sys_ftruncate" },
		{ skel->progs.sw_kprobe_do_tee, BACKEND_KPROBE, "do_tee" },
		{ skel->progs.sw_kretprobe_do_tee, BACKEND_KPROBE, "do_tee" },
		{ skel->progs.sw_kprobe_do_splice, BACKEND_KPROBE, "do_splice" },
		{ skel->progs.sw_kretprobe_do_splice, BACKEND_KPROBE, "do_splice" },
		{ skel->progs.sw_kprobe_vmsplice, BACKEND_KPROBE, "__x64_sys_vmsplice" },
		{ skel->progs.sw_kretprobe_vmsplice, BACKEND_KPROBE, "__x64_sys_vmsplice" },
		{ skel->progs.sw_kprobe_pipe_fcntl, BACKEND_KPROBE, "pipe_fcntl" },
		{ skel->progs.sw_kretprobe_pipe_fcntl, BACKEND_KPROBE, "pipe_fcntl" },
	};
	const struct {
		struct bpf_program *prog;
		const char *hook;
	} lsm_progs[] = {
		{ skel->progs.sw_lsm_file_permission, "bpf_lsm_file_permission" },
		{ skel->progs.sw_lsm_file_truncate, "bpf_lsm_file_truncate" },
		{ skel->progs.sw_lsm_path_truncate, "bpf_lsm_path_truncate" },
	};

	bool pipe_free_seen = b != BACKEND_TRACEPOINT && sw_kernel_has_function(btf, "free_pipe_info");

	bpf_program__set_autoload(skel->progs.sw_sys_enter_twin, skel->rodata->twins);
	bpf_program__set_autoload(skel->progs.sw_sys_exit_twin, skel->rodata->twins);

	for (size_t i = 0; i < sizeof(fn_progs) / sizeof(fn_progs[0]); i++)
		bpf_program__set_autoload(fn_progs[i].prog, fn_progs[i].backend == b &&
					  sw_kernel_has_function(btf, fn_progs[i].func) &&
					  (pipe_free_seen || !fn_progs[i].learns_pipes));
	for (size_t i = 0; i < sizeof(backup_progs) / sizeof(backup_progs[0]); i++)
		bpf_program__set_autoload(backup_progs[i].prog, redundant &&
					  backup_progs[i].backend == b &&
					  sw_kernel_has_function(btf, backup_progs[i].func));
	/* ftruncate's body, only where it has no do_ftruncate to call. */
	if (sw_kernel_has_function(btf, "do_ftruncate")) {
		bpf_program__set_autoload(skel->progs.sw_fentry_do_sys_ftruncate, false);
		bpf_program__set_autoload(skel->progs.sw_kprobe_do_sys_ftruncate, false);
	}
	for (size_t i = 0; i < sizeof(lsm_progs) / sizeof(lsm_progs[0]); i++)
		bpf_program__set_autoload(lsm_progs[i].prog,
					  deny && sw_kernel_has_function(btf, lsm_progs[i].hook));
}

/* Can an fentry program load here? A tiny probe answers in microseconds where
 * a failed load of the whole object takes seconds of verification. */
bool sw_fentry_loads(const struct btf *btf)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_load_opts opts = {
		.sz = sizeof(opts),
		.expected_attach_type = BPF_TRACE_FENTRY,
	};
	int id, fd;

	id = btf ? btf__find_by_name_kind(btf, "free_pipe_info", BTF_KIND_FUNC) : -1;
	if (id <= 0)
		return false;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "sw_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Opens, configures, loads and attaches the programs of one backend. Frees
 * *btf once the programs are chosen: libbpf parses its own copy of the kernel's
 * BTF to load, and two 5.5 MB copies at once were most of the peak RSS. */
static int load_backend(struct sw_session *s, const struct sw_config *cfg, enum backend b,
			bool deny, bool compat, struct btf **btf)
{
	struct splicewatch_bpf *skel;
	uint32_t ring_bytes, chunks;
	const char *drop = getenv("SPLICEWATCH_TEST_DROP");
	bool redundant, forced = false;
	int err;

	skel = open_programs(compat);
	if (!skel)
		return -errno;
	skel->rodata->self_tgid = getpid();
	skel->rodata->sw_mode = cfg->mode;
	skel->rodata->kill_signal = cfg->signal;
	skel->rodata->signal_thread = cfg->signal_thread;
	skel->rodata->dry_run = cfg->dry_run;
	skel->rodata->deny_mode = deny;
	skel->rodata->scope_enabled = cfg->scope;
	redundant = sw_redundant_wanted(sw_syscall_runs_skippable(*btf), &forced);
	skel->rodata->redundant = redundant;
	skel->rodata->twins = redundant && b == BACKEND_TRACEPOINT;
	/* Tests: "enter", "exit" or both, comma separated. */
	if (drop && *drop) {
		skel->rodata->test_drop = (strstr(drop, "enter") ? SW_DROP_ENTER : 0) |
					  (strstr(drop, "exit") ? SW_DROP_EXIT : 0);
		sw_info("SPLICEWATCH_TEST_DROP=%s: acting as if the kernel skipped those "
			"syscall hook runs (tests only)", drop);
	}
	/* A chunk entry covers 64 file pages; held pages are usually runs. */
	chunks = cfg->max_holds / 4 < 64 ? 64 : cfg->max_holds / 4;
	skel->rodata->chunk_capacity = chunks;
	for (int i = 0; i < cfg->n_allow_paths && i < SW_ALLOW_PATHS_MAX; i++) {
		size_t len = strnlen(cfg->allow_paths[i], SW_ALLOW_PATH_LEN);

		if (len >= SW_ALLOW_PATH_LEN)
			continue;	/* the option parser rejects these */
		skel->rodata->allow_paths[i].len = len;
		memcpy(skel->rodata->allow_paths[i].prefix, cfg->allow_paths[i], len);
	}
	/* Ring buffer size must be a power of two multiple of the page size. */
	ring_bytes = 4096;
	while (ring_bytes < cfg->ringbuf_kib * 1024ULL && ring_bytes < (1U << 30))
		ring_bytes <<= 1;
	err = bpf_map__set_max_entries(skel->maps.events, ring_bytes);
	err = err ?: bpf_map__set_max_entries(skel->maps.chunks, chunks);
	err = err ?: bpf_map__set_max_entries(skel->maps.scope_pids, cfg->scope ? 65536 : 1);
	if (err)
		goto fail;
	bpf_program__set_autoload(skel->progs.sw_fork, cfg->scope);
	/* Kernels built without io_uring have no such tracepoints. The compat
	 * programs learn requests' files at submission. */
	bpf_program__set_autoload(skel->progs.sw_io_uring_complete,
				  sw_kernel_has_tracepoint(*btf, "io_uring_complete"));
	bpf_program__set_autoload(skel->progs.sw_io_uring_submit, compat &&
				  sw_kernel_has_tracepoint(*btf, "io_uring_submit_sqe"));
	if (!compat)
		err = bpf_map__set_max_entries(skel->maps.uring_files, 1) ?:
		      bpf_map__set_max_entries(skel->maps.regs_scratch, 1);
	if (err)
		goto fail;
	bpf_program__set_autoattach(skel->progs.sw_gc, false);
	select_programs(skel, b, deny, redundant, *btf);
	btf__free(*btf);
	*btf = NULL;

	sw_verifier_stats_request(skel->obj);
	err = splicewatch_bpf__load(skel);
	if (err)
		goto fail;
	sw_verifier_stats_print(skel->obj);
	s->skel = skel;
	if (populate_allowlists(s, cfg)) {
		err = -errno;
		s->skel = NULL;
		goto fail;
	}
	err = splicewatch_bpf__attach(skel);
	if (err) {
		s->skel = NULL;
		goto fail;
	}
	s->backend = backend_names[b];
	s->deny = deny;
	s->redundant = redundant;
	s->compat = compat;
	if (sw_verbose)
		sw_info("second sources for skipped syscall hook runs: %s%s", redundant ? "on" : "off",
			forced ? " (SPLICEWATCH_REDUNDANT)" : "");
	return 0;
fail:
	splicewatch_bpf__destroy(skel);
	return err < 0 ? err : -EINVAL;
}

static int parse_backend(const char *name, enum backend *b)
{
	for (size_t i = 0; i < sizeof(backend_names) / sizeof(backend_names[0]); i++)
		if (!strcmp(name, backend_names[i])) {
			*b = i;
			return 0;
		}
	return -1;
}

#define HOOKS_LIVE_TIMEOUT_S 120

/* "Ready" must mean watching: check that the programs really run rather than
 * trust that an attach is effective at once (syscall tracepoints became
 * faultable in 6.14). Make a syscall the hooks recognise until both saw it. */
static int wait_hooks_live(struct sw_session *s)
{
	const volatile u64 *k = s->skel->bss->counters;
	uint64_t start = sw_mono_ns();
	bool told = false;

	while (!k[SW_CNT_LIVE_ENTER] || !k[SW_CNT_LIVE_EXIT]) {
		if (sw_mono_ns() - start > HOOKS_LIVE_TIMEOUT_S * 1000000000ULL)
			return -1;
		if (!told && sw_mono_ns() - start > 1000000000ULL) {
			sw_info("waiting for the kernel to start running the programs...");
			told = true;
		}
		getppid();
		usleep(5000);
	}
	if (sw_verbose)
		sw_info("hooks live after %.1f ms", (sw_mono_ns() - start) / 1e6);
	return 0;
}

/* A kernel (or filesystem) that copies on splice leaves nothing to catch. */
static void warn_if_splice_copies(void)
{
	enum sw_sharing shm = sw_probe_sharing(NULL);
	enum sw_sharing disk = sw_probe_sharing(SW_SHARING_DISK_DIR);

	if (shm == SW_SHARING_COPIED || disk == SW_SHARING_COPIED)
		sw_info("note: splice copied page-cache pages into the pipe instead of sharing "
			"them (tmpfs: %s, %s: %s): writes to such files cannot change data "
			"already in a pipe, so they are never reported",
			sw_sharing_name(shm), SW_SHARING_DISK_DIR, sw_sharing_name(disk));
	else if (sw_verbose)
		sw_info("splice shares page-cache pages (tmpfs: %s, %s: %s)",
			sw_sharing_name(shm), SW_SHARING_DISK_DIR, sw_sharing_name(disk));
}

struct sw_session *sw_session_open(const struct sw_config *cfg)
{
	static const enum backend auto_order[] = { BACKEND_FENTRY, BACKEND_KPROBE, BACKEND_TRACEPOINT };
	struct sw_session *s;
	struct btf *btf;
	enum backend forced = BACKEND_TRACEPOINT;
	bool deny = cfg->deny, is_auto = !strcmp(cfg->backend, "auto"), compat;
	int err = -EINVAL;

	if (!is_auto && parse_backend(cfg->backend, &forced)) {
		sw_err("unknown backend '%s' (have: auto, fentry, kprobe, tracepoint)", cfg->backend);
		return NULL;
	}
	if (sw_check_environment())
		return NULL;
	libbpf_set_print(sw_libbpf_log);
	if (deny && !sw_lsm_bpf_active()) {
		sw_info("--action deny needs BPF LSM, which this kernel does not have active "
			"(bpf not in /sys/kernel/security/lsm); falling back to kill");
		deny = false;
	}
	warn_if_splice_copies();
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	btf = btf__load_vmlinux_btf();
	compat = sw_kernel_has_bpf_loop(btf) == 0;
	if (compat && sw_verbose)
		sw_info("no bpf_loop helper (Linux before 5.17): using the compat programs");
	for (size_t i = 0; i < 3; i++) {
		enum backend b = is_auto ? auto_order[i] : forced;

		/* Parsed again only when a load failed and another is tried. */
		if (!btf)
			btf = btf__load_vmlinux_btf();
		if (b == BACKEND_KPROBE && access("/sys/bus/event_source/devices/kprobe", F_OK)) {
			err = -ENOENT;
		} else if (b == BACKEND_FENTRY && !sw_fentry_loads(btf)) {
			err = -EPERM;
		} else {
			err = load_backend(s, cfg, b, deny, compat, &btf);
			if (err && deny) {
				/* LSM programs can be refused where fentry is not. */
				int lsm_err;

				btf = btf ?: btf__load_vmlinux_btf();
				lsm_err = load_backend(s, cfg, b, false, compat, &btf);

				if (!lsm_err) {
					sw_info("--action deny: the kernel refused the BPF LSM programs "
						"(%s); falling back to kill", strerror(-err));
					err = 0;
				}
			}
		}
		if (!err)
			break;
		if (sw_verbose)
			sw_info("backend %s unavailable: %s", backend_names[b], strerror(-err));
		if (!is_auto)
			break;
	}
	btf__free(btf);
	/* Give the load's transient memory (BTF, ELF, verifier logs) back. */
	malloc_trim(0);
	if (err) {
		if (is_auto)
			sw_err("cannot load the BPF programs: %s", sw_load_hint(-err));
		else
			sw_err("backend '%s' cannot be used on this kernel: %s", cfg->backend,
			       sw_load_hint(-err));
		free(s);
		return NULL;
	}
	if (wait_hooks_live(s)) {
		sw_err("the kernel did not start running the attached programs within %d s",
		       HOOKS_LIVE_TIMEOUT_S);
		goto fail;
	}
	if (s->compat && sw_verbose)
		sw_info("compat programs: syscall registers %llu bytes into the kernel stack "
			"(learnt at sys_enter)", (unsigned long long)s->skel->bss->regs_offset);
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), ringbuf_cb, s, NULL);
	if (!s->rb) {
		sw_err("cannot open the ring buffer: %s", strerror(errno));
		goto fail;
	}
	s->mono_to_real_ns = realtime_offset();
	return s;
fail:
	sw_session_close(s);
	return NULL;
}

bool sw_session_denies(const struct sw_session *s)
{
	return s->deny;
}

bool sw_session_redundant(const struct sw_session *s)
{
	return s->redundant;
}

const char *sw_session_backend(const struct sw_session *s)
{
	return s->backend;
}

int sw_session_scope_add(struct sw_session *s, uint32_t tgid)
{
	uint8_t one = 1;

	return bpf_map__update_elem(s->skel->maps.scope_pids, &tgid, sizeof(tgid), &one, 1, BPF_ANY);
}

int64_t sw_session_realtime(const struct sw_session *s, uint64_t mono)
{
	return (int64_t)mono + s->mono_to_real_ns;
}

/* Forget holds whose pipe is gone (closed, its owner exited) and pipes that
 * stayed empty: the programs see drains, but a pipe's last close happens
 * where no tracepoint looks. */
static void run_gc(struct sw_session *s)
{
	struct bpf_test_run_opts opts = { .sz = sizeof(opts) };
	const volatile u64 *k = s->skel->bss->counters;
	int fd = bpf_program__fd(s->skel->progs.sw_gc), err;

	s->last_gc_ns = sw_mono_ns();
	if (!s->compat) {
		err = bpf_prog_test_run_opts(fd, &opts);
	} else {
		/* The programs' own sweep, over the keys walked from here. */
		err = sw_gc_by_key(fd, s->skel->maps.pipes, SW_GC_PIPE);
		if (!err && k[SW_CNT_CHUNKS] > bpf_map__max_entries(s->skel->maps.chunks) / 2)
			err = sw_gc_by_key(fd, s->skel->maps.chunks, SW_GC_CHUNK);
		if (!err && k[SW_CNT_MAPPING_TOMBS] > bpf_map__max_entries(s->skel->maps.mappings) / 2)
			err = sw_gc_by_key(fd, s->skel->maps.mappings, SW_GC_MAPPING);
	}
	if (err && sw_verbose)
		sw_err("garbage collection failed: %s", strerror(errno));
}

/* Benchmarks only (SPLICEWATCH_BENCH_TOGGLE=1): SIGUSR1 detaches the programs,
 * SIGUSR2 attaches them again, and the sender gets SIGUSR1 back once done. So
 * one process can time its loop with and without the programs in alternating
 * phases of milliseconds: the speed of a loop moves by up to 30% from one
 * process to the next on these machines (memory placement, most likely),
 * which separate processes with and without splicewatch cannot tell from its
 * cost. */
static volatile sig_atomic_t toggle_want;	/* 0 none, 1 detach, 2 attach */
static volatile sig_atomic_t toggle_from;

static void on_toggle(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	toggle_want = sig == SIGUSR1 ? 1 : 2;
	toggle_from = si->si_pid;
}

static void bench_toggle_setup(void)
{
	struct sigaction sa = { .sa_sigaction = on_toggle, .sa_flags = SA_SIGINFO };
	const char *on = getenv("SPLICEWATCH_BENCH_TOGGLE");

	if (!on || strcmp(on, "1"))
		return;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

static void bench_toggle(struct sw_session *s)
{
	int want = toggle_want;

	toggle_want = 0;
	if (want == 1)
		splicewatch_bpf__detach(s->skel);
	else if (splicewatch_bpf__attach(s->skel))
		sw_err("bench: re-attaching failed: %s", strerror(errno));
	if (toggle_from > 0)
		kill(toggle_from, SIGUSR1);
}

int sw_session_run(struct sw_session *s, sw_event_fn fn, void *ctx,
		   bool (*done)(void *ctx), void *done_ctx)
{
	int err = 0;

	s->fn = fn;
	s->ctx = ctx;
	bench_toggle_setup();
	while (!sw_stop) {
		if (done && done(done_ctx))
			break;
		if (toggle_want)
			bench_toggle(s);
		err = ring_buffer__poll(s->rb, 100);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0) {
			sw_err("polling the ring buffer failed: %s", strerror(-err));
			break;
		}
		/* One flush per batch, not per event: readers see events within a
		 * poll interval, and a storm is not one write(2) per event. */
		if (err > 0)
			fflush(NULL);
		err = 0;
		if (sw_mono_ns() - s->last_gc_ns > GC_INTERVAL_NS)
			run_gc(s);
	}
	/* Stop producing before the last drain, so every event detected is
	 * either shown or counted as lost. */
	splicewatch_bpf__detach(s->skel);
	sw_session_drain(s);
	return err;
}

void sw_session_drain(struct sw_session *s)
{
	if (s->rb)
		ring_buffer__consume(s->rb);
	fflush(NULL);
}

void sw_session_counters(struct sw_session *s, struct sw_counters *c)
{
	const u64 *k = s->skel->bss->counters;

	run_gc(s);
	c->held = k[SW_CNT_HELD_SLOTS];
	c->events = k[SW_CNT_EVENTS];
	c->lost = k[SW_CNT_LOST];
	c->untracked = k[SW_CNT_UNTRACKED];
	c->signals = k[SW_CNT_SIGNALS];
	c->stale_dropped = k[SW_CNT_STALE_DROPPED];
	c->backup_checks = k[SW_CNT_BACKUP_CHECKS];
	c->skipped_runs = sw_skipped_runs(s->skel->obj);
}

uint64_t sw_skipped_runs(const struct bpf_object *obj)
{
	struct bpf_program *prog;
	uint64_t n = 0;

	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_prog_get_info_by_fd(fd, &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

void sw_session_close(struct sw_session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	splicewatch_bpf__destroy(s->skel);
	free(s);
}
