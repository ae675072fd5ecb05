// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the running kernel offers, asked of the kernel itself (its BTF, sysfs,
 * a probe program, a probe splice) rather than guessed from its version:
 * what the session loads and what `features` prints both come from here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kernel.h"

/* Does the kernel know the bpf_loop helper (5.17+)? Read from its BTF (enum
 * bpf_func_id), which needs no root and loads nothing. btf NULL: the running
 * kernel's, loaded here. 1 yes, 0 no, -1 no BTF. */
int sw_kernel_has_helper(const struct btf *btf, const char *name)
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
			found = !strcmp(btf__name_by_offset(btf, e[i].name_off), name);
	}
	btf__free(own);
	return found;
}

int sw_kernel_has_bpf_loop(const struct btf *btf)
{
	return sw_kernel_has_helper(btf, "BPF_FUNC_loop");
}

bool sw_kernel_has_function(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

/* Can tracing programs keep per-thread memory in task storage (5.12+)? Asked
 * of the kernel with a probe program (needs CAP_BPF): the scratch maps are
 * per-CPU arrays without it (bpf/lib/maps.bpf.h). */
bool sw_kernel_has_task_storage(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) > 0 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_storage_get, NULL) > 0;
}

bool sw_raw_tp_maps_need_prealloc(const struct btf *btf)
{
	return btf && btf__find_by_name_kind(btf, "bpf_mem_alloc", BTF_KIND_STRUCT) <= 0;
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

/* Does a tiny program of type/attach type load on kernel function fn (and, on
 * arm64, attach)? Microseconds, where a failed load of the whole object takes
 * seconds of verification. */
static bool probe_loads(const struct btf *btf, const char *fn, enum bpf_prog_type type,
			enum bpf_attach_type attach)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_load_opts opts = {
		.sz = sizeof(opts),
		.expected_attach_type = attach,
	};
	int id, fd;

	id = btf ? btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) : -1;
	if (id <= 0)
		return false;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(type, "sw_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return false;
#ifdef __aarch64__
	/* arm64 loads them everywhere but attaches only where the kernel has
	 * BPF trampolines (DYNAMIC_FTRACE_WITH_DIRECT_CALLS; Debian's 6.1 has
	 * not: 524, ENOTSUPP): attach it for a moment to know. */
	int link = bpf_link_create(fd, 0, attach, NULL);

	if (link < 0) {
		close(fd);
		return false;
	}
	close(link);
#endif
	close(fd);
	return true;
}

bool sw_fentry_loads(const struct btf *btf)
{
	return probe_loads(btf, "free_pipe_info", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY);
}

bool sw_lsm_attaches(const struct btf *btf)
{
#ifdef __aarch64__
	return probe_loads(btf, "bpf_lsm_file_permission", BPF_PROG_TYPE_LSM, BPF_LSM_MAC);
#else
	/* x86-64 has had BPF trampolines since 5.5: active is enough. */
	(void)btf;
	return true;
#endif
}

bool sw_kernel_has_kprobes(void)
{
	return access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;
}

void sw_probe_skips(const struct btf *btf, struct sw_skips *k)
{
	const char *env = getenv("SPLICEWATCH_BACKUP_HOOKS");

	k->faultable = sw_syscall_tp_faultable(btf);
	k->preempt = sw_preempt_model(&k->preempt_source);
	k->skippable = k->faultable && sw_preempts_kernel_code(k->preempt);
	k->backup_forced = env && (!strcmp(env, "0") || !strcmp(env, "1"));
	k->backup = k->backup_forced ? !strcmp(env, "1") : k->skippable;
}

/* ---- does splice share page-cache pages? ----------------------------------
 *
 * Upstream has discussed making filemap_splice_read copy; a filesystem may
 * copy already (copy_splice_read). Splice a page of a scratch file into a
 * pipe, change the file, read the pipe: new bytes mean the page is shared.
 *
 * The change is a store through a shared mapping into a page already dirty
 * (or of tmpfs): another splicewatch watching this machine sees no unsafe
 * write in that, so probing never gets this process reported or killed.
 */

#define PROBE_LEN 4096
static enum sw_sharing probe_fd(int fd)
{
	char page[PROBE_LEN], got[PROBE_LEN];
	enum sw_sharing res = SW_SHARING_UNKNOWN;
	loff_t off = 0;
	char *map;
	int p[2];

	memset(page, 'A', sizeof(page));
	if (pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page))
		return SW_SHARING_UNKNOWN;
	map = mmap(NULL, PROBE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return SW_SHARING_UNKNOWN;
	if (!pipe2(p, O_CLOEXEC)) {
		if (splice(fd, &off, p[1], NULL, PROBE_LEN, SPLICE_F_NONBLOCK) == PROBE_LEN) {
			map[0] = 'B';
			if (read(p[0], got, sizeof(got)) == (ssize_t)sizeof(got))
				res = got[0] == 'B' ? SW_SHARING_SHARED : SW_SHARING_COPIED;
		}
		close(p[0]);
		close(p[1]);
	}
	munmap(map, PROBE_LEN);
	return res;
}

enum sw_sharing sw_probe_sharing(const char *dir)
{
	enum sw_sharing res;
	int fd;

	if (dir)
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	else
		fd = memfd_create("splicewatch-probe", MFD_CLOEXEC);
	if (fd < 0)
		return SW_SHARING_UNKNOWN;
	res = probe_fd(fd);
	close(fd);
	return res;
}

const char *sw_sharing_name(enum sw_sharing s)
{
	switch (s) {
	case SW_SHARING_SHARED:
		return "shared";
	case SW_SHARING_COPIED:
		return "copied";
	default:
		return "unknown";
	}
}
