// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trace --verify: the content checks of bpf/verify.bpf.c beside the
 * detection session. A change the programs report is shown as an
 * unexplained_change unless an unsafe write the session reported explains
 * it: same file, overlapping bytes, made after the bytes were fingerprinted.
 *
 * A write's event is submitted at its syscall's entry, before its bytes
 * land, so before any check can see them: draining the session's ring
 * buffer before deciding on a change always finds the write that made it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "sw.h"
#include "aggregate.h"
#include "event.h"
#include "kernel.h"
#include "load.h"
#include "outfile.h"
#include "page_addr.h"
#include "systemd.h"
#include "verify.h"
#include "verify_event.h"
#include "verify.skel.h"

/* The unsafe writes remembered to explain changes: the last this many. */
#define RECENT_WRITES		4096
#define SWEEP_INTERVAL_NS	1000000000ULL

struct recent_write {
	uint64_t ts_ns, ino;
	uint32_t dev;
	int64_t off;
	uint64_t end;		/* UINT64_MAX: to the end of the file */
};

struct sw_verify {
	struct verify_bpf *skel;
	struct ring_buffer *rb;
	struct sw_session *session;
	struct sw_verify_target to;
	struct sw_page_addr page;
	uint64_t last_sweep_ns;
	struct recent_write recent[RECENT_WRITES];
	uint64_t n_recent;
	struct sw_agg agg;		/* --aggregate: repeats of a change folded */
	uint64_t shown, explained;
	/* Changes shown, by check and by what was done to the reader;
	 * __atomic: --prometheus reads them from its own thread. */
	uint64_t shown_by[SW_CHECK__COUNT][SW_ACT__COUNT];
	uint64_t untrusted;		/* of them: not acted on, the file others can write */
};

/* Changes shown whose reader got action, at any check. */
static uint64_t acted(const struct sw_verify *v, uint32_t action)
{
	uint64_t n = 0;

	for (int point = 0; point < SW_CHECK__COUNT; point++)
		n += v->shown_by[point][action];
	return n;
}

void sw_verify_note_write(struct sw_verify *v, const struct sw_event *ev)
{
	struct recent_write *w;

	if (!v || !sw_action_lands(ev->action))
		return;
	w = &v->recent[v->n_recent++ % RECENT_WRITES];
	w->ts_ns = ev->ts_ns;
	w->dev = ev->dev;
	w->ino = ev->ino;
	w->off = ev->write_offset;
	w->end = ev->write_len ? (uint64_t)ev->write_offset + ev->write_len : UINT64_MAX;
}

static bool explained(const struct sw_verify *v, const struct sw_change_event *c)
{
	/* enforce: as the programs decided, acting or not. */
	if (v->to.reader_action != SW_ACT_REPORTED)
		return (c->flags & SW_CHANGE_LANDED) && c->action == SW_ACT_REPORTED;
	uint64_t n = v->n_recent < RECENT_WRITES ? v->n_recent : RECENT_WRITES;

	for (uint64_t i = 0; i < n; i++) {
		const struct recent_write *w = &v->recent[i];

		if (w->dev == c->dev && w->ino == c->ino && w->ts_ns >= c->fingerprint_ns &&
		    w->off < c->offset + (int64_t)c->len && w->end > (uint64_t)c->offset)
			return true;
	}
	return false;
}

/* One line to f; path and comms escaped as in the table (another user
 * names them). */
static void change_text(struct sw_verify *v, FILE *f, const struct sw_change_event *c,
			const char *path, const struct sw_agg_info *agg)
{
	sw_text_time(f, sw_session_realtime(v->session, c->ts_ns));
	fprintf(f, " UNEXPLAINED CHANGE of held bytes %lld+%llu of ", (long long)c->offset,
		(unsigned long long)c->len);
	sw_put_printable(f, path, strlen(path));
	fprintf(f, " (%u:%u:%llu) in pipe %llu, spliced by %u/", sw_kdev_major(c->dev),
		sw_kdev_minor(c->dev), (unsigned long long)c->ino, (unsigned long long)c->pipe_ino,
		c->splicer_pid);
	sw_put_printable(f, c->splicer_comm, SW_TASK_COMM_LEN);
	fprintf(f, " %.2fs before; checked at %s by ", c->held_ns / 1e9,
		sw_check_name(c->point));
	if (c->point == SW_CHECK_SWEEP) {
		fputs("the sweep", f);
	} else {
		fprintf(f, "%u/", c->pid);
		sw_put_printable(f, c->comm, SW_TASK_COMM_LEN);
	}
	fprintf(f, ": fingerprint %016llx, now %016llx", (unsigned long long)c->before,
		(unsigned long long)c->after);
	if (c->action != SW_ACT_REPORTED)
		fprintf(f, "; reader %s", sw_action_name(c->action));
	else if (c->untrusted)
		fprintf(f, "; reader not acted on: file %s", sw_untrusted_file_name(c->untrusted));
	if (agg)
		fprintf(f, "; the last of %llu such changes in %.1fs",
			(unsigned long long)agg->count,
			(agg->last_ts_ns - agg->first_ts_ns) / 1e9);
	fputc('\n', f);
}

/* --journal: MESSAGE the text line (the JSON object with --json), the JSON
 * fields as SPLICEWATCH_* fields (systemd.c). */
static void journal_change(struct sw_verify *v, const struct sw_change_event *c,
			   const char *path, bool absolute, const struct sw_agg_info *agg)
{
	int64_t off = sw_session_realtime(v->session, 0);
	char *buf = NULL;
	size_t len = 0;
	struct json j;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	if (v->to.out->json) {
		json_init(&j, m, false);
		sw_change_json(&j, c, path, absolute, off, agg);
	} else {
		change_text(v, m, c, path, agg);
	}
	if (!fclose(m))
		sw_journal_change(c, path, absolute, off, agg, buf, len);
	free(buf);
}

/* The path of c's file, as the table shows paths. */
static bool change_path(const struct sw_change_event *c, char *path, size_t size)
{
	return sw_path_of(c->dev, c->flags & SW_EVF_PATH_FS_RELATIVE, c->buf + c->path_off,
			  strnlen(c->buf + c->path_off, c->path_len), path, size);
}

/* Writes one change, or with agg the aggregate line of folded ones. */
static void show_change(void *ctx, const void *rec, const struct sw_agg_info *agg)
{
	struct sw_verify *v = ctx;
	const struct sw_change_event *c = rec;
	char path[2 * SW_PATH_MAX];
	bool absolute = change_path(c, path, sizeof(path));

	if (v->to.out->journal) {
		journal_change(v, c, path, absolute, agg);
	} else if (v->to.out->json) {
		struct json j;

		json_init(&j, v->to.out->f, false);
		sw_change_json(&j, c, path, absolute, sw_session_realtime(v->session, 0), agg);
	} else {
		change_text(v, v->to.out->f, c, path, agg);
	}
	if (v->to.out->file)
		sw_outfile_mark(v->to.out->file, false);
}

static int on_change(void *ctx, void *data, size_t len)
{
	struct sw_verify *v = ctx;
	const struct sw_change_event *c = data;

	if (len < sizeof(*c) || c->path_off >= SW_PATH_MAX ||
	    c->path_len > SW_PATH_MAX - c->path_off)
		return 0;	/* malformed: never read past it */
	/* Every write that could explain it is in the session's ring by now. */
	sw_session_drain(v->session);
	if (explained(v, c)) {
		v->explained++;
		return 0;
	}
	v->shown++;
	if (c->point < SW_CHECK__COUNT && c->action < SW_ACT__COUNT)
		__atomic_add_fetch(&v->shown_by[c->point][c->action], 1, __ATOMIC_RELAXED);
	if (c->untrusted)
		v->untrusted++;
	if (v->to.fn) {
		char path[2 * SW_PATH_MAX];
		bool absolute = change_path(c, path, sizeof(path));

		v->to.fn(v->to.ctx, c, path, absolute);
		return 0;
	}
	/* Repeats fold on the holder's user, the reader and its user (none
	 * for the sweep), the file, the check and what was done to the
	 * reader: each reader acted on has a line of its own. The window is
	 * the output's, which the run sets once started and a policy reload
	 * may change. */
	v->agg.window_ns = v->to.out->agg.window_ns;
	if (sw_agg_fold(&v->agg, &(struct sw_agg_key){ .uid = c->splicer_uid, .pid = c->pid,
						       .pid_uid = c->uid, .dev = c->dev,
						       .ino = c->ino, .kind = c->point,
						       .action = c->action },
			c->ts_ns, c, sizeof(*c), show_change, v))
		return 0;
	show_change(v, c, NULL);
	return 0;
}

static void sweep(struct sw_verify *v)
{
	v->last_sweep_ns = sw_mono_ns();
	if (sw_run_program(bpf_program__fd(v->skel->progs.sw_verify_sweep)))
		sw_err("--verify: the sweep failed: %s", strerror(errno));
}

void sw_verify_tick(struct sw_verify *v)
{
	if (!v)
		return;
	if (sw_mono_ns() - v->last_sweep_ns >= SWEEP_INTERVAL_NS)
		sweep(v);
	ring_buffer__consume(v->rb);
	sw_agg_expire(&v->agg, sw_mono_ns(), false, show_change, v);
}

static int share_map(struct sw_session *s, struct bpf_map *m)
{
	int fd = sw_session_map_fd(s, bpf_map__name(m));

	if (fd < 0 || bpf_map__reuse_fd(m, fd)) {
		sw_err("--verify: cannot share the map %s: %s", bpf_map__name(m),
		       strerror(fd < 0 ? -fd : errno));
		return -1;
	}
	return 0;
}

/* The io_uring programs, on the tracepoints this kernel has (none without
 * io_uring): the submission's is io_uring_submit_sqe before 6.4. The BTF is
 * parsed again (7-16 ms here): the session frees its copy before its
 * programs load, which keeps two copies from being held at once. */
static int autoload_uring(struct verify_bpf *skel)
{
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf) {
		sw_err("--verify: the kernel's BTF: %s", strerror(errno));
		return -1;
	}
	bpf_program__set_autoload(skel->progs.sw_verify_uring_submit,
				  sw_kernel_has_tracepoint(btf, "io_uring_submit_req"));
	bpf_program__set_autoload(skel->progs.sw_verify_uring_submit_sqe,
				  sw_kernel_has_tracepoint(btf, "io_uring_submit_sqe"));
	bpf_program__set_autoload(skel->progs.sw_verify_uring_complete,
				  sw_kernel_has_tracepoint(btf, "io_uring_complete"));
	btf__free(btf);
	return 0;
}

struct sw_verify *sw_verify_start(struct sw_session *s, const struct sw_verify_target *t)
{
	struct sw_verify *v = calloc(1, sizeof(*v));
	const char *test_max;
	uint32_t max_holds;
	uint64_t key[2];

	if (!v)
		return NULL;
	v->session = s;
	v->to = *t;
	/* The session found out: its programs are the compat build there. */
	if (sw_session_compat(s)) {
		sw_err("--verify: needs Linux 5.17 or later (bpf_loop)");
		goto fail;
	}
	if (sw_page_addr_find(&v->page) || v->page.way == SW_PAGE_WAY_NONE) {
		sw_err("--verify: the bytes of held pages cannot be read here: %s "
		       "(splicewatch features: page address)", v->page.detail);
		goto fail;
	}
	if (getrandom(key, sizeof(key), 0) != sizeof(key)) {
		sw_err("--verify: getrandom: %s", strerror(errno));
		goto fail;
	}
	v->skel = verify_bpf__open();
	if (!v->skel) {
		sw_err("--verify: cannot open its programs: %s", strerror(errno));
		goto fail;
	}
	v->skel->rodata->map_base = v->page.map_base;
	v->skel->rodata->linear_base = v->page.linear_base;
	v->skel->rodata->max_pfn = v->page.max_pfn;
	v->skel->rodata->key0 = key[0];
	v->skel->rodata->key1 = key[1];
	/* Tests shrink the table to fill it (SPLICEWATCH_TEST_VERIFY_MAX_HOLDS). */
	test_max = getenv("SPLICEWATCH_TEST_VERIFY_MAX_HOLDS");
	if (test_max && (max_holds = strtoul(test_max, NULL, 10)) >= 16 && max_holds <= SW_VERIFY_MAX_HOLDS &&
	    bpf_map__set_max_entries(v->skel->maps.fingerprints, max_holds)) {
		sw_err("--verify: SPLICEWATCH_TEST_VERIFY_MAX_HOLDS: %s", strerror(errno));
		goto fail;
	}
	max_holds = bpf_map__max_entries(v->skel->maps.fingerprints);
	/* One non-root user may fill --user-share percent (a quarter by
	 * default), as of the hold index: at least 1, no limit at 100. */
	if (t->user_share < 100)
		v->skel->rodata->user_max = (uint64_t)max_holds * t->user_share / 100 ?: 1;
	v->skel->rodata->scope_cgroup_id = t->scope_cgroup_id;
	v->skel->rodata->scope_cgroup_level = t->scope_cgroup_level;
	v->skel->rodata->reader_action = t->reader_action;
	v->skel->rodata->reader_signal = t->reader_signal;
	v->skel->rodata->self_tgid = getpid();
	/* Where the kernel can skip runs, as the detection's backup hooks. */
	v->skel->rodata->backup_copies = sw_session_backup_hooks(s);
	bpf_program__set_autoload(v->skel->progs.sw_verify_enter_backup, sw_session_backup_hooks(s));
	bpf_program__set_autoload(v->skel->progs.sw_verify_exit_backup, sw_session_backup_hooks(s));
	if (autoload_uring(v->skel))
		goto fail;
	/* Its syscall programs are syscall tracepoints whatever the backend. */
	v->skel->rodata->test_drop = sw_test_drop(getenv("SPLICEWATCH_TEST_DROP"));
	/* The detection's maps: the writes that landed explain changes, its
	 * allowlists spare readers (a policy reload updates them in place). */
	if (share_map(s, v->skel->maps.landed_writes) || share_map(s, v->skel->maps.allow_pids) ||
	    share_map(s, v->skel->maps.allow_cgroups) || share_map(s, v->skel->maps.allow_comms))
		goto fail;
	if (verify_bpf__load(v->skel) || verify_bpf__attach(v->skel)) {
		sw_err("--verify: its programs did not load: %s", strerror(errno));
		goto fail;
	}
	v->rb = ring_buffer__new(bpf_map__fd(v->skel->maps.change_events), on_change, v, NULL);
	if (!v->rb) {
		sw_err("--verify: ring buffer: %s", strerror(errno));
		goto fail;
	}
	v->last_sweep_ns = sw_mono_ns();
	if (!t->quiet)
		sw_info("--verify: held bytes checked (page address: %s)",
			sw_page_way_name(v->page.way));
	return v;
fail:
	sw_verify_close(v);
	return NULL;
}

void sw_verify_counts(const struct sw_verify *v, struct sw_verify_counts *n)
{
	volatile uint64_t *c = (volatile uint64_t *)v->skel->bss->verify_counters;

	n->fingerprinted = c[SW_VCNT_FINGERPRINTED];
	n->checks = c[SW_VCNT_CHECKED];
	n->changes = c[SW_VCNT_CHANGED];
	n->unexplained = v->shown;
	n->explained = v->explained;
	n->unreadable = c[SW_VCNT_UNREADABLE];
	n->not_fingerprinted = c[SW_VCNT_FULL];
	n->lost = c[SW_VCNT_LOST];
	n->skipped_runs = sw_skipped_runs(v->skel->obj);
}

void sw_verify_metrics(const struct sw_verify *v, struct sw_verify_metrics *m)
{
	volatile uint64_t *c = (volatile uint64_t *)v->skel->bss->verify_counters;

	for (int point = 0; point < SW_CHECK__COUNT; point++)
		for (int a = 0; a < SW_ACT__COUNT; a++)
			m->shown[point][a] = __atomic_load_n(&v->shown_by[point][a],
							     __ATOMIC_RELAXED);
	m->folded = __atomic_load_n(&v->agg.folded, __ATOMIC_RELAXED);
	m->not_fingerprinted = c[SW_VCNT_FULL];
	m->lost = c[SW_VCNT_LOST];
}

void sw_verify_stop(struct sw_verify *v, FILE *summary)
{
	struct sw_verify_counts n;

	if (!v)
		return;
	verify_bpf__detach(v->skel);
	sweep(v);
	ring_buffer__consume(v->rb);
	sw_agg_expire(&v->agg, sw_mono_ns(), true, show_change, v);
	if (!summary)
		return;
	sw_verify_counts(v, &n);
	fprintf(summary, "splicewatch: verify: %llu held ranges fingerprinted, %llu checks, "
		"%llu changes found: %llu unexplained (shown), %llu explained by unsafe writes; "
		"%llu unreadable, %llu not fingerprinted (table or the user's share full), %llu lost\n",
		(unsigned long long)n.fingerprinted, (unsigned long long)n.checks,
		(unsigned long long)n.changes, (unsigned long long)n.unexplained,
		(unsigned long long)n.explained, (unsigned long long)n.unreadable,
		(unsigned long long)n.not_fingerprinted, (unsigned long long)n.lost);
	if (!v->to.fn && v->to.out->agg.window_ns)
		fprintf(summary, "splicewatch: verify: aggregate: %llu changes folded into %llu "
			"aggregate lines, %llu shown unaggregated (table of %d keys full)\n",
			(unsigned long long)v->agg.folded, (unsigned long long)v->agg.lines,
			(unsigned long long)v->agg.unaggregated, SW_AGG_KEYS);
	if (n.skipped_runs && sw_session_backup_hooks(v->session))
		fprintf(summary, "splicewatch: verify: note: the kernel skipped %llu runs of the "
			"verify programs (a program preempted on a CPU blocks it there for other "
			"tasks, 6.14+); their backup copies ran in their stead (a syscall whose "
			"two runs were both skipped was not checked)\n",
			(unsigned long long)n.skipped_runs);
	else if (n.skipped_runs)
		fprintf(summary, "splicewatch: verify: warning: the kernel skipped %llu runs of the "
			"verify programs (a program preempted on a CPU blocks it there for other "
			"tasks, 6.14+): a pipe filled or drained in such a syscall was not "
			"fingerprinted or checked there\n", (unsigned long long)n.skipped_runs);
	if (sw_verbose)
		sw_print_skipped_runs(v->skel->obj, summary);
	if (v->to.reader_action != SW_ACT_REPORTED)
		fprintf(summary, "splicewatch: verify: readers of changed bytes: %llu killed, "
			"%llu signalled, %llu would_kill, %llu allowed; %llu not acted on (a file "
			"others than root and the reader can write)\n",
			(unsigned long long)acted(v, SW_ACT_KILLED),
			(unsigned long long)acted(v, SW_ACT_SIGNALLED),
			(unsigned long long)acted(v, SW_ACT_WOULD_KILL),
			(unsigned long long)acted(v, SW_ACT_ALLOWED), (unsigned long long)v->untrusted);
}

void sw_verify_close(struct sw_verify *v)
{
	if (!v)
		return;
	ring_buffer__free(v->rb);
	verify_bpf__destroy(v->skel);
	free(v);
}
