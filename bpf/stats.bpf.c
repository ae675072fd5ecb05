// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * splicewatch stats / top: count the copy-path system calls (splice, sendfile,
 * tee, vmsplice, copy_file_range) per process and file: calls, bytes, errors,
 * latency histograms, and how the bytes entered pipes (page-cache references or
 * anonymous pages). Everything is counted in maps that the frontend reads; no
 * per-call records are sent to user space.
 *
 * Held page-cache pages are counted per pipe buffer (holds: the hold gauge) so
 * the frontend can show what pipes hold of each file right now. It answers
 * "how much, of which file, since when", not "does this write overlap", and
 * is kept apart from the detection object's hold index (bpf/detect/), which
 * stats does not load. Kernel access, ring reading, the path walk and the
 * compat block walk are bpf/lib/'s.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "stats.h"
#include "lib/syscalls.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/kobj.bpf.h"
#include "lib/pipe_ring.bpf.h"
#include "lib/path.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* File names: built backwards in a NAME_BUF-byte buffer, at most
 * SW_STATS_PATH - 1 bytes kept below its end (the rest is the floor no name
 * may cross), NAME_DEPTH components at most. */
#define NAME_BUF	512
#define NAME_FLOOR	(NAME_BUF - SW_STATS_PATH)
#define NAME_DEPTH	32

/* Ring positions a compat walk covers: the state's positions and pipes of up
 * to 4 MiB. */
#define COMPAT_RING	1024

/* Set by the frontend before load. */
const volatile u32 self_tgid;

u64 stat_counters[SW_SC__COUNT];

/* Initial values of new rows (too large for the BPF stack). */
const struct sw_stat_val zero_val;
const struct sw_stat_hist zero_hist;

SW_MAP_FLAGS(rows, BPF_MAP_TYPE_PERCPU_HASH, BPF_F_NO_PREALLOC, 16384, struct sw_stat_key, struct sw_stat_val);

SW_MAP_FLAGS(hists, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 16384, struct sw_stat_key, struct sw_stat_hist);

SW_MAP_FLAGS(files, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 16384, struct sw_file_key, struct sw_file_info);

SW_MAP_FLAGS(holds, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 262144, struct sw_hold_key, struct sw_hold);

struct hpipe {
	u64 inode;		/* struct inode * of the pipe, to tell it is still alive */
	u64 ino;
	u64 bufs;		/* pipe->bufs: F_SETPIPE_SZ renumbers the ring */
	u32 lo_seq;		/* oldest ring position that may be indexed */
	u32 hi_seq;		/* one past the newest indexed position */
	u32 nslots;
	u32 pad;
};

SW_MAP(hpipes, BPF_MAP_TYPE_HASH, 16384, u64, struct hpipe);

/* A call between sys_enter and sys_exit. */
struct call {
	u64 ts;
	u32 op;
	u32 out_head;		/* out_pipe->head at entry */
	u64 out_pipe;		/* pipe that may gain buffers */
	u64 out_inode;
	u64 in_pipe;		/* pipe that may lose buffers */
	u64 in_sb;		/* copy_file_range: superblocks of both files */
	u64 out_sb;
	struct sw_file_key file;
	u32 kind;
	u32 pad;
};

/* LRU: a thread that dies inside a call never reaches sys_exit. */
SW_THREAD_MAP(inflight, 16384, struct call);

/* The hold gauge of one pipe being brought in line with its ring
 * (pipe_filled, drop_range). */
struct gauge_sync {
	u64 pipe;
	struct pipe_ring ring;
	struct hpipe *ps;
	u32 start;
	u32 new_from;		/* first position to index (>= tail) */
	u64 pagecache;		/* bytes seen in page-cache buffers */
	u64 anon;		/* bytes seen in other buffers */
	u64 now;
};

struct path_scratch {
	char tmp[NAME_BUF + 256];	/* built backwards into tmp[off..NAME_BUF - 1]; slack for the mask */
	struct sw_file_info info;
	/* compat (lib/compat.bpf.h): the state of a walk between its steps;
	 * the sync as bytes: a struct with a pointer to struct hpipe in a map
	 * value made clang declare hpipe only, and the hpipes map unloadable */
	struct sw_path_walk walk;
	char sync[sizeof(struct gauge_sync)];
};

SW_MAP(pscratch, BPF_MAP_TYPE_PERCPU_ARRAY, 1, u32, struct path_scratch);

static __always_inline void count(enum sw_stat_counter c, s64 n)
{
	__sync_fetch_and_add(&stat_counters[c], n);
}

static __always_inline u32 log2_u32(u32 v)
{
	u32 r, shift;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline u32 lat_slot(u64 ns)
{
	u32 hi = ns >> 32, s;

	s = hi ? log2_u32(hi) + 32 : log2_u32(ns);
	return s >= SW_LAT_SLOTS ? SW_LAT_SLOTS - 1 : s;
}

static __always_inline u32 file_kind(struct file *file)
{
	u32 mode;

	if (!file)
		return SW_FK_NONE;
	mode = BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;
	if (mode == S_IFIFO)
		return SW_FK_PIPE;
	if (mode == S_IFSOCK)
		return SW_FK_SOCK;
	return SW_FK_FILE;
}

/* ---- file names ---------------------------------------------------------- */

static __always_inline struct path_scratch *this_cpu_scratch(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&pscratch, &zero);
}

SW_PATH_WALKER(path, NAME_BUF - 1, NAME_FLOOR, struct path_scratch, this_cpu_scratch())

/* Remember the path of a file the first time a row names it. */
static __always_inline void note_file(struct file *file, struct sw_file_key *fk, u32 kind)
{
	struct sw_path_walk p;
	struct path_scratch *s;
	struct sw_file_info *info;
	u32 len;

	if (kind != SW_FK_FILE || bpf_map_lookup_elem(&files, fk))
		return;
	s = this_cpu_scratch();
	if (!s)
		return;
	info = &s->info;
	info->kind = kind;
	info->flags = 0;
	info->path[0] = 0;
	sw_path_start(&p, s->tmp, NAME_BUF - 1, BPF_CORE_READ(file, f_path.dentry),
		      BPF_CORE_READ(file, f_path.mnt));
	SW_PATH_RUN(path, &p, &s->walk, NAME_DEPTH);
	if (sw_path_truncated(&p))
		info->flags |= SW_FILEF_TRUNCATED;
	if (p.off >= NAME_BUF - 1) {
		info->path[0] = '/';
		info->path[1] = 0;
	} else {
		len = NAME_BUF - 1 - p.off + 1;	/* with the NUL */
		bpf_probe_read_kernel(info->path, len & (SW_STATS_PATH - 1),
				      &s->tmp[p.off & (NAME_BUF - 1)]);
		info->path[SW_STATS_PATH - 1] = 0;
	}
	bpf_map_update_elem(&files, fk, info, BPF_NOEXIST);
}

static __always_inline void file_key(struct file *file, struct sw_file_key *fk)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	fk->ino = BPF_CORE_READ(inode, i_ino);
	fk->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	fk->pad = 0;
}

/* ---- the hold index: page-cache pages pipe buffers reference ------------- */

static long drop_cb(u64 i, void *data)
{
	struct gauge_sync *c = data;
	struct sw_hold_key hk = { .pipe = c->pipe, .seq = c->start + (u32)i };

	if (!bpf_map_delete_elem(&holds, &hk)) {
		if (c->ps->nslots)
			c->ps->nslots--;
		count(SW_SC_HOLDS, -1);
	}
	return 0;
}

#ifdef SW_COMPAT
/* cb(i, c) for the sync kept in this CPU's scratch between compat steps (its
 * hpipe pointer, stored in a map value, reads back as a number: looked up
 * again). pipe is the sync's, checked: clang passes nothing for an argument
 * the callee ignores, and the verifier refuses such a call. need_ps: stop
 * when the pipe has no state. */
static __always_inline int gauge_step(u64 pipe, u32 i, long (*cb)(u64 i, void *data),
				      bool need_ps)
{
	struct path_scratch *s = this_cpu_scratch();
	struct gauge_sync c;
	long stop;

	if (!s)
		return 1;
	__builtin_memcpy(&c, s->sync, sizeof(c));
	if (c.pipe != pipe)
		return 1;
	c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
	if (need_ps && !c.ps)
		return 1;
	stop = cb(i, &c);
	__builtin_memcpy(s->sync, &c, sizeof(c));
	return stop ? 1 : 0;
}

/* drop_cb, one ring position of this CPU's sync, verified once. */
__noinline int drop_step(u64 pipe, u32 i)
{
	return gauge_step(pipe, i, drop_cb, true);
}

SW_STEP_BLOCKS(drop_step)

/* The walk of c over n positions by step, in blocks (lib/compat.bpf.h), with
 * c in this CPU's scratch meanwhile. */
#define gauge_walk(c, n, step)							\
	do {									\
		struct path_scratch *__s = this_cpu_scratch();			\
										\
		if (!__s)							\
			break;							\
		__builtin_memcpy(__s->sync, c, sizeof(*(c)));			\
		sw_steps(COMPAT_RING, n, step, (c)->pipe);			\
		__builtin_memcpy(c, __s->sync, sizeof(*(c)));			\
		(c)->ps = bpf_map_lookup_elem(&hpipes, &(c)->pipe);		\
	} while (0)
#endif

static __always_inline void drop_range(struct gauge_sync *c, u32 from, u32 to)
{
	u32 n = to - from;

	if (!n || n > MAX_RING)
		return;
	c->start = from;
#ifdef SW_COMPAT
	gauge_walk(c, n, drop_step);
#else
	bpf_loop(n, drop_cb, c, 0);
#endif
}

/* Forget buffers the pipe's reader consumed; start over if the ring was resized. */
static __always_inline void drop_consumed(struct gauge_sync *c)
{
	struct hpipe *ps = c->ps;

	if (ps->bufs != (u64)c->ring.bufs) {
		u32 before = ps->nslots;

		drop_range(c, ps->lo_seq, ps->hi_seq);
		if (before > ps->nslots)
			count(SW_SC_STALE, before - ps->nslots);
		ps->bufs = (u64)c->ring.bufs;
		ps->lo_seq = c->ring.tail;
		ps->hi_seq = c->ring.tail;
		return;
	}
	if ((s32)(c->ring.tail - ps->lo_seq) > 0) {
		u32 to = (s32)(c->ring.tail - ps->hi_seq) > 0 ? ps->hi_seq : c->ring.tail;

		drop_range(c, ps->lo_seq, to);
		ps->lo_seq = c->ring.tail;
	}
	if ((s32)(ps->hi_seq - ps->lo_seq) < 0)
		ps->hi_seq = ps->lo_seq;
}

/* A pipe with nothing indexed needs no state (a pipe of anonymous buffers
 * would otherwise keep one until it is closed). */
static __always_inline void pipe_forget(struct gauge_sync *c)
{
	if (!c->ps->nslots)
		bpf_map_delete_elem(&hpipes, &c->pipe);
}

/* A pipe lost buffers (its reader ran): drop their holds. */
static __always_inline void pipe_drained(u64 pipe)
{
	struct gauge_sync c = { .pipe = pipe };

	c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
	if (!c.ps || read_ring((struct pipe_inode_info *)pipe, &c.ring))
		return;
	drop_consumed(&c);
	pipe_forget(&c);
}

static long add_cb(u64 i, void *data)
{
	struct gauge_sync *c = data;
	struct pipe_buffer buf;
	struct sw_hold_key hk = { .pipe = c->pipe, .seq = c->start + (u32)i };
	struct sw_hold h = {};
	struct address_space *as;
	struct folio *folio;
	u64 mapping;

	if (read_buf(&c->ring, hk.seq, &buf))
		return 1;
	if (!buf.page || !buf.len)
		return 0;
	folio = page_folio_of(buf.page);
	mapping = folio_file_mapping(folio);
	if (!mapping) {
		c->anon += buf.len;
		return 0;
	}
	c->pagecache += buf.len;
	if (!c->ps || (s32)(hk.seq - c->new_from) < 0)
		return 0;	/* already consumed by a concurrent reader */
	as = (struct address_space *)mapping;
	h.ino = BPF_CORE_READ(as, host, i_ino);
	h.dev = BPF_CORE_READ(as, host, i_sb, s_dev);
	h.len = buf.len;
	h.ts_ns = c->now;
	if (bpf_map_update_elem(&holds, &hk, &h, BPF_NOEXIST)) {
		if (!bpf_map_lookup_elem(&holds, &hk))
			count(SW_SC_HOLDS_DROPPED, 1);
		return 0;
	}
	c->ps->nslots++;
	if ((s32)(hk.seq + 1 - c->ps->hi_seq) > 0)
		c->ps->hi_seq = hk.seq + 1;
	count(SW_SC_HOLDS, 1);
	return 0;
}

#ifdef SW_COMPAT
/* add_cb, one ring position of this CPU's sync, verified once. */
__noinline int add_step(u64 pipe, u32 i)
{
	return gauge_step(pipe, i, add_cb, false);
}

SW_STEP_BLOCKS(add_step)
#endif

/* A call added buffers [from, head) to a pipe: classify their bytes, index
 * the page-cache ones. */
static __always_inline void pipe_filled(u64 pipe, u64 inode, u32 from,
					u64 *pagecache, u64 *anon)
{
	struct gauge_sync c = { .pipe = pipe };
	struct hpipe new_ps = {};
	u32 n;

	if (read_ring((struct pipe_inode_info *)pipe, &c.ring))
		return;
	n = c.ring.head - from;
	if (!n || n > c.ring.mask + 1)
		return;
	c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
	if (!c.ps) {
		new_ps.inode = inode;
		new_ps.ino = BPF_CORE_READ((struct inode *)inode, i_ino);
		new_ps.bufs = (u64)c.ring.bufs;
		new_ps.lo_seq = c.ring.tail;
		new_ps.hi_seq = c.ring.tail;
		bpf_map_update_elem(&hpipes, &pipe, &new_ps, BPF_NOEXIST);
		c.ps = bpf_map_lookup_elem(&hpipes, &pipe);
	}
	if (c.ps)
		drop_consumed(&c);
	c.new_from = (s32)(from - c.ring.tail) > 0 ? from : c.ring.tail;
	c.now = bpf_ktime_get_ns();
	c.start = from;
#ifdef SW_COMPAT
	if (!this_cpu_scratch())
		return;
	gauge_walk(&c, n, add_step);
#else
	bpf_loop(n, add_cb, &c, 0);
#endif
	*pagecache += c.pagecache;
	*anon += c.anon;
	if (c.ps)
		pipe_forget(&c);
}

/* ---- syscall entry: remember what the call is about ----------------------- */

static __always_inline u64 file_pipe(struct file *file, u64 *inode_out)
{
	struct inode *inode;
	struct pipe_inode_info *pipe = file_pipe_of(file, &inode);

	if (pipe && inode_out)
		*inode_out = (u64)inode;
	return (u64)pipe;
}

static __always_inline u32 splice_op(u32 in, u32 out)
{
	if (in == SW_FK_PIPE) {
		if (out == SW_FK_PIPE)
			return SW_STAT_SPLICE_PIPE_PIPE;
		if (out == SW_FK_SOCK)
			return SW_STAT_SPLICE_PIPE_SOCK;
		if (out == SW_FK_FILE)
			return SW_STAT_SPLICE_PIPE_FILE;
		return SW_STAT_SPLICE_OTHER;
	}
	if (out == SW_FK_PIPE) {
		if (in == SW_FK_SOCK)
			return SW_STAT_SPLICE_SOCK_PIPE;
		if (in == SW_FK_FILE)
			return SW_STAT_SPLICE_FILE_PIPE;
	}
	return SW_STAT_SPLICE_OTHER;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(st_sys_enter, struct pt_regs *regs, long id)
{
	struct file *in = NULL, *out = NULL, *row;
	struct call c = {};
	u32 in_kind, out_kind, tid;
	u64 pid_tgid;

	switch (id) {
	case SW_NR_splice:		/* fd_in di, fd_out dx */
		in = fd_to_file(regs->di);
		out = fd_to_file(regs->dx);
		in_kind = file_kind(in);
		out_kind = file_kind(out);
		c.op = splice_op(in_kind, out_kind);
		/* The row names the non-pipe end; pipe to pipe: the source pipe. */
		row = in_kind == SW_FK_PIPE && out_kind != SW_FK_PIPE && out ? out : in;
		break;
	case SW_NR_tee:			/* fd_in di, fd_out si */
		in = fd_to_file(regs->di);
		out = fd_to_file(regs->si);
		c.op = SW_STAT_TEE;
		row = in;
		break;
	case SW_NR_vmsplice:		/* fd di: fills or drains that pipe */
		in = out = fd_to_file(regs->di);
		c.op = SW_STAT_VMSPLICE;
		row = in;
		break;
	case SW_NR_sendfile:		/* out_fd di, in_fd si */
		out = fd_to_file(regs->di);
		in = fd_to_file(regs->si);
		c.op = SW_STAT_SENDFILE;
		row = in;
		break;
	case SW_NR_copy_file_range:	/* fd_in di, fd_out dx */
		in = fd_to_file(regs->di);
		out = fd_to_file(regs->dx);
		c.op = SW_STAT_COPY_FILE_RANGE;
		row = in;
		if (in)
			c.in_sb = (u64)BPF_CORE_READ(in, f_inode, i_sb);
		if (out)
			c.out_sb = (u64)BPF_CORE_READ(out, f_inode, i_sb);
		in = out = NULL;	/* no pipes involved */
		break;
	default:
		return 0;
	}
	pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == self_tgid)
		return 0;

	if (row) {
		c.kind = file_kind(row);
		file_key(row, &c.file);
		note_file(row, &c.file, c.kind);
	}
	if (id != SW_NR_tee)
		c.in_pipe = file_pipe(in, NULL);
	c.out_pipe = file_pipe(out, &c.out_inode);
	if (c.out_pipe) {
		struct pipe_inode_info *op = (struct pipe_inode_info *)c.out_pipe;

		c.out_head = BPF_CORE_READ(op, head);
	}
	c.ts = bpf_ktime_get_ns();
	tid = (u32)pid_tgid;
	if (bpf_map_update_elem(&inflight, &tid, &c, BPF_ANY))
		count(SW_SC_INFLIGHT_DROPPED, 1);
	return 0;
}

/* ---- syscall exit: count ------------------------------------------------- */

static __always_inline void account(struct call *c, long ret, u64 lat, u64 pagecache, u64 anon)
{
	struct sw_stat_key key = {};
	struct sw_stat_val *v;
	struct sw_stat_hist *h;
	u64 id = bpf_get_current_pid_tgid();
	u64 slot;

	key.tgid = id >> 32;
	key.op = c->op;
	key.ino = c->file.ino;
	key.dev = c->file.dev;
	key.kind = c->kind;
	bpf_get_current_comm(key.comm, sizeof(key.comm));

	v = bpf_map_lookup_elem(&rows, &key);
	if (!v) {
		bpf_map_update_elem(&rows, &key, &zero_val, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&rows, &key);
		if (!v) {
			count(SW_SC_ROWS_DROPPED, 1);
			return;
		}
	}
	/* Per-CPU value: no other writer on this CPU while we run. */
	v->calls++;
	if (ret > 0)
		v->bytes += ret;
	else if (ret < 0)
		v->errors++;
	v->lat_ns += lat;
	if (lat > v->lat_max_ns)
		v->lat_max_ns = lat;
	v->pagecache_bytes += pagecache;
	v->anon_bytes += anon;
	if (c->op == SW_STAT_COPY_FILE_RANGE) {
		u32 r;

		if (ret >= 0)
			r = c->in_sb == c->out_sb ? SW_CFR_SAME_FS : SW_CFR_CROSS_FS;
		else if (ret == -EXDEV || ret == -EOPNOTSUPP || ret == -ENOSYS || ret == -EINVAL)
			r = SW_CFR_FALLBACK;
		else
			r = SW_CFR_ERROR;
		if (r < SW_CFR__COUNT)
			v->cfr[r]++;
	}

	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h)
			return;
	}
	slot = lat_slot(lat);
	/* A 64-bit test clang cannot drop: 5.10's verifier loses the upper
	 * bits of lat_slot's 32-bit ORs. */
	barrier_var(slot);
	if (slot < SW_LAT_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(st_sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;
	u64 now, pagecache = 0, anon = 0;
	struct call *cp, c;
	u32 tid;

	switch (id) {
	case SW_NR_splice:
	case SW_NR_tee:
	case SW_NR_vmsplice:
	case SW_NR_sendfile:
	case SW_NR_copy_file_range:
		break;
	case SW_NR_read:
	case SW_NR_readv:
		/* A reader drained a pipe: forget the holds it consumed. */
		if (ret > 0 && stat_counters[SW_SC_HOLDS])
			pipe_drained(file_pipe(fd_to_file(regs->di), NULL));
		return 0;
	default:
		return 0;
	}
	now = bpf_ktime_get_ns();
	tid = (u32)bpf_get_current_pid_tgid();
	cp = bpf_map_lookup_elem(&inflight, &tid);
	if (!cp)
		return 0;
	c = *cp;
	bpf_map_delete_elem(&inflight, &tid);

	if (ret > 0 && c.in_pipe && stat_counters[SW_SC_HOLDS])
		pipe_drained(c.in_pipe);
	if (ret > 0 && c.out_pipe)
		pipe_filled(c.out_pipe, c.out_inode, c.out_head, &pagecache, &anon);
	account(&c, ret, now - c.ts, pagecache, anon);
	return 0;
}

/* ---- garbage collection, run by the frontend with BPF_PROG_TEST_RUN ------ */

static long gc_pipe_cb(struct bpf_map *map, u64 *pipe, struct hpipe *ps, void *data)
{
	struct gauge_sync c = { .pipe = *pipe, .ps = ps };

	if (!pipe_inode_current((struct inode *)ps->inode, *pipe, ps->ino) ||
	    read_ring((struct pipe_inode_info *)*pipe, &c.ring)) {
		u32 before = ps->nslots;

		drop_range(&c, ps->lo_seq, ps->hi_seq);
		if (before > ps->nslots)
			count(SW_SC_STALE, before - ps->nslots);
		bpf_map_delete_elem(&hpipes, pipe);
		return 0;
	}
	/* Consumed through a path we do not hook (io_uring, pread of /proc...). */
	drop_consumed(&c);
	pipe_forget(&c);
	return 0;
}

#ifdef SW_COMPAT
/* No bpf_for_each_map_elem before 5.13: the frontend walks the pipes and runs
 * this per entry, ctx = { SW_GC_PIPE, pipe } (as splicewatch.bpf.c's sw_gc). */
SEC("raw_tp")
int st_gc(u64 *ctx)
{
	u64 pipe = ctx[1];
	struct hpipe *ps = bpf_map_lookup_elem(&hpipes, &pipe);

	if (ps)
		gc_pipe_cb((struct bpf_map *)&hpipes, &pipe, ps, NULL);
	return 0;
}
#else
SEC("raw_tp")
int st_gc(void *ctx)
{
	bpf_for_each_map_elem(&hpipes, gc_pipe_cb, NULL, 0);
	return 0;
}
#endif
