// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The watch session: check privileges, load and attach the programs, poll events. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sw.h"
#include "splicewatch.skel.h"

#define GC_INTERVAL_NS	(200 * 1000 * 1000ULL)

struct sw_session {
	struct splicewatch_bpf *skel;
	struct ring_buffer *rb;
	sw_event_fn fn;
	void *ctx;
	int64_t mono_to_real_ns;
	uint64_t last_gc_ns;
	const char *backend;
};

int sw_verbose;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && sw_verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && sw_verbose < 1)
		return 0;
	if (level == LIBBPF_WARN && sw_verbose < 1)
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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int64_t realtime_offset(void)
{
	struct timespec rt, mo;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	return (rt.tv_sec - mo.tv_sec) * 1000000000LL + (rt.tv_nsec - mo.tv_nsec);
}

/* One clear reason instead of a verifier log when the machine cannot run us. */
static int check_environment(void)
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

static const char *load_hint(int err)
{
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

struct sw_session *sw_session_open(const struct sw_config *cfg)
{
	struct sw_session *s;
	struct splicewatch_bpf *skel;
	uint32_t ring_bytes, chunks;
	int err;

	if (strcmp(cfg->backend, "auto") && strcmp(cfg->backend, "tracepoint")) {
		sw_err("backend '%s' is not available in this build (have: auto, tracepoint)",
		       cfg->backend);
		return NULL;
	}
	if (check_environment())
		return NULL;
	libbpf_set_print(libbpf_log);

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->backend = "tracepoint";
	skel = splicewatch_bpf__open();
	if (!skel) {
		sw_err("cannot open the BPF object: %s", strerror(errno));
		free(s);
		return NULL;
	}
	s->skel = skel;
	skel->rodata->self_tgid = getpid();
	skel->rodata->sw_mode = cfg->mode;
	skel->rodata->kill_signal = cfg->signal;
	skel->rodata->signal_thread = cfg->signal_thread;
	skel->rodata->dry_run = cfg->dry_run;
	skel->rodata->scope_enabled = cfg->scope;
	skel->rodata->chunk_capacity = cfg->max_holds / 4 < 64 ? 64 : cfg->max_holds / 4;
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
	/* A chunk entry covers 64 file pages; held pages are usually runs. */
	chunks = cfg->max_holds / 4 < 64 ? 64 : cfg->max_holds / 4;
	if (bpf_map__set_max_entries(skel->maps.events, ring_bytes) ||
	    bpf_map__set_max_entries(skel->maps.chunks, chunks) ||
	    bpf_map__set_max_entries(skel->maps.scope_pids, cfg->scope ? 65536 : 1)) {
		sw_err("cannot size the maps");
		goto fail;
	}
	bpf_program__set_autoload(skel->progs.sw_fork, cfg->scope);
	bpf_program__set_autoattach(skel->progs.sw_gc, false);

	err = splicewatch_bpf__load(skel);
	if (err) {
		sw_err("cannot load the BPF programs: %s", load_hint(-err));
		goto fail;
	}
	if (populate_allowlists(s, cfg)) {
		sw_err("cannot fill the allowlist maps: %s", strerror(errno));
		goto fail;
	}
	err = splicewatch_bpf__attach(skel);
	if (err) {
		sw_err("cannot attach the BPF programs: %s", load_hint(-err));
		goto fail;
	}
	s->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), ringbuf_cb, s, NULL);
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
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	s->last_gc_ns = mono_ns();
	if (bpf_prog_test_run_opts(bpf_program__fd(s->skel->progs.sw_gc), &opts) && sw_verbose)
		sw_err("garbage collection failed: %s", strerror(errno));
}

int sw_session_run(struct sw_session *s, sw_event_fn fn, void *ctx,
		   bool (*done)(void *ctx), void *done_ctx)
{
	int err = 0;

	s->fn = fn;
	s->ctx = ctx;
	while (!sw_stop) {
		if (done && done(done_ctx))
			break;
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
		if (mono_ns() - s->last_gc_ns > GC_INTERVAL_NS)
			run_gc(s);
	}
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
}

void sw_session_close(struct sw_session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	splicewatch_bpf__destroy(s->skel);
	free(s);
}
