// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The watch session: configure the detection object, load it with the
 * programs the hook table picks (hooks.c), attach, poll events, run GC. */
#define _GNU_SOURCE	/* pipe2, F_GETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "sw.h"
#include "caps.h"
#include "hooks.h"
#include "syscall_attach.h"
#include "kernel.h"
#include "load.h"
#include "session_lists.h"
#include "splicewatch.skel.h"
#include "splicewatch_compat.skel.h"

SW_DEFINE_OPEN_PROGRAMS(open_programs, splicewatch_bpf, splicewatch_compat_bpf)

#define GC_INTERVAL_NS	(200 * 1000 * 1000ULL)

struct sw_session {
	struct splicewatch_bpf *skel;
	struct ring_buffer *rb;
	sw_event_fn fn;
	void *ctx;
	int (*tick)(void *ctx);
	void *tick_ctx;
	int64_t mono_to_real_ns;
	uint64_t last_gc_ns;
	const char *backend;
	bool deny;
	bool dry_run;
	bool backup_hooks;
	bool compat;		/* the programs built for 5.10-5.16 */
	/* The heartbeat (sw_session_alive): the last time the programs were
	 * seen counting the loop's getppid, and the count then. */
	uint64_t beat_ns;	/* __atomic: read by the listener's thread */
	uint64_t beat_seen;
	uint64_t beat_sent_ns;
	bool running;		/* __atomic: in sw_session_run, programs attached */
};

void sw_config_defaults(struct sw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = SW_MODE_TRACE;
	cfg->signal = SIGKILL;
	cfg->max_holds = 262144;
	cfg->user_share = 25;
	cfg->ringbuf_kib = 4 * 1024;
	cfg->backend = "auto";
	/* enforce's default; trace and ci keep no marks (load_backend). */
	cfg->on_untracked = SW_ON_UNTRACKED_REPORT;
}

static int64_t realtime_offset(void)
{
	struct timespec rt, mo;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	return (rt.tv_sec - mo.tv_sec) * 1000000000LL + (rt.tv_nsec - mo.tv_nsec);
}

static int ringbuf_cb(void *ctx, void *data, size_t len)
{
	struct sw_session *s = ctx;

	if (len < sizeof(struct sw_event))
		return 0;
	return s->fn ? s->fn(s->ctx, data, len) : 0;
}

/* The scratch maps (bpf/lib/maps.bpf.h) as another map type where task
 * storage cannot serve: per-CPU arrays of one entry for the compat programs
 * where tracing programs have no task storage (5.10); per-thread LRU hashes
 * where syscall tracepoint programs run preemptible (6.14+ with a preempting
 * model), whose runs task storage's per-CPU lock refuses while another task's
 * preempted run holds it (settings.bpf.h). */
static int scratch_maps_as(struct splicewatch_bpf *skel, enum bpf_map_type type,
			   uint32_t max_entries, const char *why)
{
	struct bpf_map *maps[] = { skel->maps.scratch, skel->maps.sync_scratch,
				   skel->maps.check_scratch, skel->maps.regs_scratch };
	int err = 0;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && !err; i++)
		err = bpf_map__set_type(maps[i], type) ?:
		      bpf_map__set_map_flags(maps[i], 0) ?:
		      bpf_map__set_max_entries(maps[i], max_entries);
	if (!err && sw_verbose)
		sw_info("%s", why);
	return err;
}

/* The entries of a map of capacity entries one non-root uid may have at
 * share percent: at least 1; 0 (no limit) at 100. */
static uint32_t user_quota(uint32_t capacity, uint32_t share)
{
	uint64_t q = (uint64_t)capacity * share / 100;

	if (share >= 100)
		return 0;
	return q ? q : 1;
}

/* The per-CPU softirq count (bpf/detect/kernel_writers.bpf.h) is right only
 * if softirq_exit runs from before softirq_entry does: a softirq that began
 * and ended between the two attaches would leave its CPU counted in a softirq
 * for the whole session (the exit's guard takes care of the other order).
 * So softirq_entry is attached on its own, after the skeleton's other links. */
static int attach_softirq_entry(struct splicewatch_bpf *skel)
{
	struct bpf_program *prog = skel->progs.sw_softirq_entry;
	struct bpf_link *link;

	if (!bpf_program__autoload(prog) || skel->links.sw_softirq_entry)
		return 0;
	link = bpf_program__attach(prog);
	if (!link)
		return -errno;
	skel->links.sw_softirq_entry = link;
	return 0;
}

/* Opens, configures, loads and attaches the programs of one backend. Frees
 * *btf once the programs are chosen: libbpf parses its own copy of the kernel's
 * BTF to load, and two 5.5 MB copies at once were most of the peak RSS. */
static int load_backend(struct sw_session *s, const struct sw_config *cfg, enum sw_backend b,
			bool lsm, bool compat, struct btf **btf)
{
	struct splicewatch_bpf *skel;
	uint32_t ring_bytes, chunks, pipes;
	const char *drop = getenv("SPLICEWATCH_TEST_DROP");
	/* Tests: "enter", "exit", "kernel_writers", comma separated. */
	uint32_t test_drop = sw_test_drop(drop);
	struct sw_hook_choice choice = { .backend = b, .compat = compat, .deny = lsm,
					 .scope = cfg->scope && !cfg->scope_cgroup_id,
					 .enforce = cfg->mode == SW_MODE_ENFORCE };
	struct sw_skips skips;
	int err;

	skel = open_programs(compat);
	if (!skel)
		return -errno;
	skel->rodata->self_tgid = getpid();
	skel->rodata->sw_mode = cfg->mode;
	skel->rodata->kill_signal = cfg->signal;
	skel->rodata->signal_thread = cfg->signal_thread;
	skel->rodata->dry_run = cfg->dry_run;
	skel->rodata->deny_mode = lsm && cfg->deny;
	skel->rodata->on_untracked = cfg->mode == SW_MODE_ENFORCE ? cfg->on_untracked : 0;
	skel->rodata->scope_enabled = cfg->scope;
	skel->rodata->protect_enabled = cfg->n_protect_uids || cfg->n_protect_cgroups ||
					 cfg->lists_reloadable;
	skel->rodata->scope_cgroup_id = cfg->scope_cgroup_id;
	skel->rodata->scope_cgroup_level = cfg->scope_cgroup_level;
	sw_probe_skips(*btf, &skips);
	choice.backup = skips.backup;
	/* kernel_writers keeps those hooks on fentry, with their backup copies,
	 * to test the copies. */
	choice.kprobes = sw_kernel_has_kprobes() && !(test_drop & SW_DROP_KERNEL_WRITERS);
	skel->rodata->backup_hooks = skips.backup;
	skel->rodata->backup_syscall_hooks = skips.backup && b == SW_BACKEND_TRACEPOINT;
	skel->rodata->write_iter_hooks = b != SW_BACKEND_TRACEPOINT;
	choice.no_syscall_hooks = sw_syscall_attach_of(b, *btf) == SW_SYSCALL_ATTACH_NONE;
	skel->rodata->no_syscall_hooks = choice.no_syscall_hooks;
	if (test_drop & (SW_DROP_ENTER | SW_DROP_EXIT) && choice.no_syscall_hooks) {
		test_drop &= ~(SW_DROP_ENTER | SW_DROP_EXIT);
		sw_info("SPLICEWATCH_TEST_DROP=%s: nothing to drop, syscall attach "
			"none: kernel functions check every write (tests only)", drop);
	}
	skel->rodata->test_drop = test_drop;
	if (test_drop)
		sw_info("SPLICEWATCH_TEST_DROP=%s: acting as if the kernel skipped those "
			"hook runs (tests only)", drop);
	/* A chunk entry covers 64 file pages; held pages are usually runs. */
	chunks = cfg->max_holds / 4 < 64 ? 64 : cfg->max_holds / 4;
	skel->rodata->chunk_capacity = chunks;
	/* A policy SIGHUP reads again may add path rules: the check must be in. */
	skel->rodata->n_allow_paths = cfg->lists_reloadable ? SW_ALLOW_PATHS_MAX : cfg->n_allow_paths;
	skel->rodata->allow_ns_init = cfg->allow_ns_init;
	/* Pipes and files with held pages: one per 16 held pages (16384 at the
	 * default), at least 1024. */
	pipes = cfg->max_holds / 16 < 1024 ? 1024 : cfg->max_holds / 16;
	skel->rodata->mapping_capacity = pipes;
	/* One non-root user may fill --user-share percent of each map (a
	 * quarter by default): a flood leaves room for root's holds. */
	skel->rodata->user_quota[SW_INDEX_PIPES] = user_quota(pipes, cfg->user_share);
	skel->rodata->user_quota[SW_INDEX_CHUNKS] = user_quota(chunks, cfg->user_share);
	skel->rodata->user_quota[SW_INDEX_MAPPINGS] = user_quota(pipes, cfg->user_share);
	/* Ring buffer size must be a power of two multiple of the page size. */
	ring_bytes = 4096;
	while (ring_bytes < cfg->ringbuf_kib * 1024ULL && ring_bytes < (1U << 30))
		ring_bytes <<= 1;
	err = bpf_map__set_max_entries(skel->maps.events, ring_bytes);
	err = err ?: bpf_map__set_max_entries(skel->maps.chunks, chunks);
	err = err ?: bpf_map__set_max_entries(skel->maps.pipes, pipes);
	err = err ?: bpf_map__set_max_entries(skel->maps.mappings, pipes);
	err = err ?: bpf_map__set_max_entries(skel->maps.scope_pids, cfg->scope && !cfg->scope_cgroup_id ? 65536 : 1);
	if (err)
		goto fail;
	if (!compat)
		err = bpf_map__set_max_entries(skel->maps.uring_files, 1);
	skel->rodata->scratch_per_cpu = compat && !sw_kernel_has_task_storage();
	skel->rodata->scratch_per_thread = !compat && skips.skippable;
	if (!err && skel->rodata->scratch_per_cpu)
		err = scratch_maps_as(skel, BPF_MAP_TYPE_PERCPU_ARRAY, 1,
				      "no task storage for tracing programs: per-CPU scratch");
	if (!err && skel->rodata->scratch_per_thread)
		err = scratch_maps_as(skel, BPF_MAP_TYPE_LRU_HASH, 4096,
				      "preemptible syscall tracepoints: per-thread scratch");
	if (err)
		goto fail;
	bpf_program__set_autoattach(skel->progs.sw_gc, false);
	sw_hooks_select(skel, &choice, *btf);
	bpf_program__set_autoattach(skel->progs.sw_softirq_entry, false);
	btf__free(*btf);
	*btf = NULL;

	err = sw_load_skeleton(skel->skeleton);
	if (err)
		goto fail;
	s->skel = skel;
	if (sw_lists_fill(s->skel, cfg)) {
		err = -errno;
		s->skel = NULL;
		goto fail;
	}
	err = splicewatch_bpf__attach(skel);
	if (!err)
		err = attach_softirq_entry(skel);
	if (err) {
		s->skel = NULL;
		goto fail;
	}
	s->backend = sw_backend_name(b);
	s->deny = lsm;
	s->dry_run = cfg->dry_run;
	s->backup_hooks = skips.backup;
	s->compat = compat;
	if (sw_verbose)
		sw_info("backup hooks for skipped syscall hook runs: %s%s",
			skips.backup ? "on" : "off",
			skips.backup_forced ? " (SPLICEWATCH_BACKUP_HOOKS)" : "");
	return 0;
fail:
	splicewatch_bpf__destroy(skel);
	return err < 0 ? err : -EINVAL;
}

#define HOOKS_LIVE_TIMEOUT_S 120

/* What the programs count as the frontend being seen: its getppid at
 * sys_enter and sys_exit, or where there are none (syscall attach none) a
 * pipe size fcntl on a pipe of its own, which only pipe_fcntl sees. */
static void live_ping(void)
{
	static int fds[2] = { -1, -1 };

	getppid();
	if (fds[0] < 0 && pipe2(fds, O_CLOEXEC))
		return;
	fcntl(fds[0], F_GETPIPE_SZ);
}

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
		live_ping();
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

/* The boot parameter BPF LSM needs, for the messages below. */
#define LSM_BOOT_HINT	"boot with lsm=...,bpf (the kernel's LSM list with bpf added)"

/* Denying needs BPF LSM: --action deny, --on-untracked deny. */
static bool needs_lsm(const struct sw_config *c)
{
	return c->deny || (c->mode == SW_MODE_ENFORCE && c->on_untracked == SW_ON_UNTRACKED_DENY);
}

/* c as --fallback says, for a session without BPF LSM: nothing denied. */
static void fallback_config(struct sw_config *c)
{
	c->deny = false;
	if (c->on_untracked == SW_ON_UNTRACKED_DENY)
		c->on_untracked = SW_ON_UNTRACKED_KILL;
	if (c->fallback == SW_FALLBACK_DRY_RUN)
		c->dry_run = true;
}

/* The kernel has BPF LSM active but cannot attach its programs: 524
 * (ENOTSUPP, kernel-internal) where it has no BPF trampolines, as Debian's
 * 6.1 arm64 kernel (no DYNAMIC_FTRACE_WITH_DIRECT_CALLS). */
#define NO_TRAMPOLINE_HINT "deny needs a kernel with BPF trampolines " \
			   "(`splicewatch features`: fentry yes)"

/* --action deny cannot be honoured (why): with --fallback, c is set to act
 * the way it says, and stderr says which; without, says how to get deny
 * (hint) and returns -1. */
static int deny_fallback(struct sw_config *c, const char *why, const char *hint)
{
	const char *opt = c->deny ? "--action deny" : "--on-untracked deny";

	if (c->fallback == SW_FALLBACK_NONE) {
		sw_err("%s needs BPF LSM: %s; %s, or pass --fallback kill|dry-run; "
		       "nothing was loaded", opt, why, hint);
		return -1;
	}
	fallback_config(c);
	sw_info("%s: %s; --fallback %s: %s", opt, why,
		c->fallback == SW_FALLBACK_KILL ? "kill" : "dry-run",
		c->dry_run ? "acting on nobody (\"would_kill\")" : "killing instead (\"killed\")");
	return 0;
}

/* Why BPF LSM is not there, or NULL when it is active. */
static const char *lsm_missing(void)
{
	if (access("/sys/kernel/security/lsm", R_OK))
		return "cannot read /sys/kernel/security/lsm (securityfs not mounted?)";
	if (!sw_lsm_bpf_active())
		return "bpf is not in /sys/kernel/security/lsm";
	return NULL;
}

struct sw_session *sw_session_open(const struct sw_config *config)
{
	/* A copy: the deny fallback changes deny and dry_run. */
	struct sw_config c = *config;
	const struct sw_config *cfg = &c;
	struct sw_session *s;
	struct btf *btf;
	enum sw_backend forced = SW_BACKEND_TRACEPOINT;
	bool is_auto = !strcmp(cfg->backend, "auto"), compat;
	const char *no_lsm;
	char why[128];
	int err = -EINVAL;

	if (!is_auto && sw_backend_parse(cfg->backend, &forced)) {
		sw_err("unknown backend '%s' (have: auto, fentry, kprobe, tracepoint)", cfg->backend);
		return NULL;
	}
	if (sw_check_environment(&(struct sw_caps_req){
		    .command = cfg->scope ? "ci" : cfg->mode == SW_MODE_ENFORCE ? "enforce" : "trace",
		    .cgroup = cfg->scope_cgroup_id != 0 }))
		return NULL;
	libbpf_set_print(sw_libbpf_log);
	if (needs_lsm(&c) && (no_lsm = lsm_missing()) &&
	    deny_fallback(&c, no_lsm, LSM_BOOT_HINT))
		return NULL;
	warn_if_splice_copies();
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	btf = btf__load_vmlinux_btf();
	compat = sw_kernel_has_bpf_loop(btf) == 0;
	if (compat && sw_verbose)
		sw_info("no bpf_loop helper (Linux before 5.17): using the compat programs");
	for (size_t i = 0; i < SW_BACKEND__COUNT; i++) {
		enum sw_backend b = is_auto ? sw_backend_auto_order[i] : forced;

		/* Parsed again only when a load failed and another is tried. */
		if (!btf)
			btf = btf__load_vmlinux_btf();
		err = sw_backend_precheck(b, btf);
		if (!err) {
			err = load_backend(s, cfg, b, needs_lsm(&c), compat, &btf);
			if (err && needs_lsm(&c)) {
				/* LSM programs can be refused where fentry is not: is
				 * it them? Then what --fallback says, or nothing. */
				struct sw_config t = c;

				fallback_config(&t);
				btf = btf ?: btf__load_vmlinux_btf();
				if (!load_backend(s, &t, b, false, compat, &btf)) {
					bool no_tramp = err == -524;

					if (no_tramp)
						snprintf(why, sizeof(why), "the kernel loads the BPF LSM "
							 "programs but cannot attach them (error 524: "
							 "no BPF trampolines)");
					else
						snprintf(why, sizeof(why), "the kernel refused the BPF "
							 "LSM programs (%s)", strerror(-err));
					if (deny_fallback(&c, why, no_tramp ? NO_TRAMPOLINE_HINT
									: LSM_BOOT_HINT)) {
						splicewatch_bpf__destroy(s->skel);
						btf__free(btf);
						free(s);
						return NULL;
					}
					err = 0;
				}
			}
		}
		if (!err)
			break;
		if (sw_verbose)
			sw_info("backend %s unavailable: %s", sw_backend_name(b), strerror(-err));
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

bool sw_session_dry_run(const struct sw_session *s)
{
	return s->dry_run;
}

bool sw_session_backup_hooks(const struct sw_session *s)
{
	return s->backup_hooks;
}

bool sw_session_compat(const struct sw_session *s)
{
	return s->compat;
}

int sw_session_map_fd(const struct sw_session *s, const char *name)
{
	int fd = bpf_object__find_map_fd_by_name(s->skel->obj, name);

	return fd < 0 ? -ENOENT : fd;
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
	const volatile u64 *k = s->skel->bss->counters;
	int fd = bpf_program__fd(s->skel->progs.sw_gc), err;

	s->last_gc_ns = sw_mono_ns();
	if (!s->compat) {
		err = sw_run_program(fd);
	} else {
		/* The programs' own sweep, over the keys walked from here. */
		uint32_t want;

		err = sw_gc_by_key(fd, s->skel->maps.pipes, SW_GC_PIPE);
		/* As sw_gc's sweep_due(): crowded, or a uid near its share (read
		 * after the pipes: dropping dead ones may have just asked). */
		want = __atomic_exchange_n(&s->skel->bss->sweep_wanted, 0, __ATOMIC_RELAXED);
		if (!err && (want & (1U << SW_INDEX_CHUNKS) ||
			     k[SW_CNT_CHUNKS] > bpf_map__max_entries(s->skel->maps.chunks) / 2))
			err = sw_gc_by_key(fd, s->skel->maps.chunks, SW_GC_CHUNK);
		if (!err && (want & (1U << SW_INDEX_MAPPINGS) ||
			     k[SW_CNT_MAPPING_TOMBS] > bpf_map__max_entries(s->skel->maps.mappings) / 2))
			err = sw_gc_by_key(fd, s->skel->maps.mappings, SW_GC_MAPPING);
		if (!err && s->skel->bss->untracked_marks)
			err = sw_gc_by_key(fd, s->skel->maps.untracked_holds, SW_GC_UNTRACKED);
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
	else if (splicewatch_bpf__attach(s->skel) || attach_softirq_entry(s->skel))
		sw_err("bench: re-attaching failed: %s", strerror(errno));
	if (toggle_from > 0)
		kill(toggle_from, SIGUSR1);
}

/* Every half second: was the last getppid seen by the programs? Then the
 * hooks and this loop are both alive now. Then one more getppid. */
static void heartbeat(struct sw_session *s)
{
	uint64_t now = sw_mono_ns(), n;

	if (now - s->beat_sent_ns < 500000000ULL)
		return;
	n = ((const volatile u64 *)s->skel->bss->counters)[SW_CNT_LIVE_EXIT];
	if (n != s->beat_seen) {
		s->beat_seen = n;
		__atomic_store_n(&s->beat_ns, now, __ATOMIC_RELEASE);
	}
	s->beat_sent_ns = now;
	live_ping();
}

bool sw_session_alive(const struct sw_session *s)
{
	uint64_t beat = __atomic_load_n(&s->beat_ns, __ATOMIC_ACQUIRE);

	return __atomic_load_n(&s->running, __ATOMIC_ACQUIRE) && beat &&
	       sw_mono_ns() - beat < SW_ALIVE_NS;
}

void sw_session_metrics(const struct sw_session *s, struct sw_metrics *m)
{
	const volatile u64 *k = s->skel->bss->counters;
	const volatile u64 *u = s->skel->bss->unsafe_writes;
	const struct bpf_object_skeleton *sk = s->skel->skeleton;
	uint64_t key, next, *prev = NULL;
	int fd = bpf_map__fd(s->skel->maps.pipes);

	memset(m, 0, sizeof(*m));
	for (int op = 0; op < SW_OP__COUNT; op++)
		for (int a = 0; a < SW_ACT__COUNT; a++)
			m->unsafe[op][a] = u[op * SW_ACT__COUNT + a];
	m->lost = k[SW_CNT_LOST];
	for (int r = 0; r < SW_UNTR__COUNT; r++)
		m->untracked[r] = ((const volatile u64 *)s->skel->bss->untracked)[r];
	m->held_pages = k[SW_CNT_HELD_SLOTS];
	m->signals = k[SW_CNT_SIGNALS];
	m->skipped_runs = sw_skipped_runs(s->skel->obj);
	/* Bounded by the map's capacity (--max-holds / 16). */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		m->pipes++;
		key = next;
		prev = &key;
	}
	if (__atomic_load_n(&s->running, __ATOMIC_ACQUIRE))
		for (int i = 0; i < sk->prog_cnt; i++)
			if (*sk->progs[i].link)
				m->programs_attached++;
}

int sw_session_run(struct sw_session *s, sw_event_fn fn, void *ctx,
		   bool (*done)(void *ctx), void *done_ctx)
{
	int err = 0;

	s->fn = fn;
	s->ctx = ctx;
	bench_toggle_setup();
	__atomic_store_n(&s->running, true, __ATOMIC_RELEASE);
	while (!sw_stop) {
		heartbeat(s);
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
		if (s->tick && (err = s->tick(s->tick_ctx)))
			break;
		if (sw_mono_ns() - s->last_gc_ns > GC_INTERVAL_NS)
			run_gc(s);
	}
	/* Stop producing before the last drain, so every event detected is
	 * either shown or counted as lost. */
	__atomic_store_n(&s->running, false, __ATOMIC_RELEASE);
	splicewatch_bpf__detach(s->skel);
	sw_session_drain(s);
	return err;
}

void sw_session_set_tick(struct sw_session *s, int (*tick)(void *ctx), void *ctx)
{
	s->tick = tick;
	s->tick_ctx = ctx;
}

void sw_session_print_skipped_runs(const struct sw_session *s, FILE *f)
{
	sw_print_skipped_runs(s->skel->obj, f);
}

uint64_t sw_session_lost(const struct sw_session *s)
{
	return ((const volatile u64 *)s->skel->bss->counters)[SW_CNT_LOST];
}

int sw_session_update_lists(struct sw_session *s, const struct sw_config *old,
			    const struct sw_config *new)
{
	return sw_lists_replace(s->skel, old, new);
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
	for (int r = 0; r < SW_UNTR__COUNT; r++)
		c->untracked_by_reason[r] = s->skel->bss->untracked[r];
	c->signals = k[SW_CNT_SIGNALS];
	c->stale_dropped = k[SW_CNT_STALE_DROPPED];
	c->backup_checks = k[SW_CNT_BACKUP_CHECKS];
	c->backup_pipe_syncs = k[SW_CNT_BACKUP_PIPE_SYNCS];
	c->skipped_runs = sw_skipped_runs(s->skel->obj);
}

void sw_session_close(struct sw_session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	splicewatch_bpf__destroy(s->skel);
	free(s);
}
