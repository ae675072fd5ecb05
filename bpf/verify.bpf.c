// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Content checks (trace --verify): a keyed fingerprint of the bytes of every
 * page-cache buffer a pipe takes in, checked again before the bytes leave
 * the pipe (read, splice, tee, vmsplice), as the pipe is let go of (close,
 * dup2, close_range, exec, exit) and by the frontend's periodic sweep. A
 * difference is reported whatever changed the bytes; the frontend leaves
 * out the ones an unsafe write it saw explains.
 * enforce --verify acts on the reader at the drain (signal at sys_enter, so
 * a splice out of the pipe moves nothing), decided here: a change no landed
 * write explains (lib/landed_writes.bpf.h), of a file nobody but root and
 * the reader can write.
 *
 * Bytes are read at the page's linear-map address (lib/page_addr.bpf.h),
 * whose bases the frontend checked on nonce pages (src/page_addr.c). Only
 * the main build: bpf_loop (5.17+) walks rings and words.
 *
 * Every program runs in a tracepoint (the syscalls', sched_process_exit),
 * preemptible on 6.14+: nothing
 * here keeps state in per-CPU memory but the backup gates
 * (lib/backup_gate.bpf.h: the frontend loads the backup copies where the
 * kernel can skip runs), whose worst case is work done twice.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "verify_event.h"
#include "lib/allowlists.bpf.h"
#include "lib/backup_gate.bpf.h"
#include "lib/kobj.bpf.h"
#include "lib/kernel_defs.bpf.h"
#include "lib/landed_writes.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/page_addr.bpf.h"
#include "lib/path.bpf.h"
#include "lib/pipe_ring.bpf.h"
#include "lib/siphash.bpf.h"
#include "lib/syscall_abi.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load. key: the fingerprints' SipHash key, random per run, so
 * that a writer cannot choose bytes that keep a fingerprint. */
const volatile u64 map_base, linear_base, max_pfn;
const volatile u64 key0, key1;
/* ci --verify: only changes of bytes COMMAND's tree held or takes out (the
 * writer is unknown); 0: every change. */
const volatile u64 scope_cgroup_id;
const volatile u32 scope_cgroup_level;

/* enforce --verify: what a drain of changed bytes does to its reader:
 * SW_ACT_REPORTED (trace, ci: nothing), SW_ACT_KILLED (reader_signal) or
 * SW_ACT_WOULD_KILL (--dry-run). */
const volatile u32 reader_action;
const volatile u32 reader_signal;
const volatile u32 self_tgid;
/* Set before load: the backup copies are loaded (the first copies then
 * name their thread in the gate); tests: SW_DROP_* runs of the first
 * copies dropped, as if the kernel had skipped them. */
const volatile bool backup_copies;
const volatile u32 test_drop;

#define FUSE_SUPER_MAGIC	0x65735546
#define SW_S_IWGRP		00020
#define SW_S_IWOTH		00002
#define SW_FMODE_READ		0x1

u64 verify_counters[SW_VCNT__COUNT];

/* A held buffer: pipe and ring position. */
struct fp_key {
	u64 pipe;
	u32 seq;
	u32 pad;
};

struct fp {
	u64 page;		/* struct page * */
	u64 pipe_inode;		/* the pipe's inode and its number: a pipe */
	u64 pipe_ino;		/* freed and made again is another pipe */
	u64 mapping;
	u64 index;		/* file page */
	u64 digest;
	u64 held_since_ns;	/* the splice */
	u64 fingerprint_ns;
	u32 offset, len;	/* the bytes fingerprinted, within the page */
	u32 splicer_pid, splicer_uid;
	u32 splicer_in_scope;	/* ci --verify: the splicer was in COMMAND's tree */
	u32 changed;		/* changed since the splice, no landed write explaining it:
				 * enforce acts on every reader (a tee's target inherits it) */
	char splicer_comm[SW_TASK_COMM_LEN];
};

SW_MAP(fingerprints, BPF_MAP_TYPE_HASH, SW_VERIFY_MAX_HOLDS, struct fp_key, struct fp);

/* --user-share: held ranges each non-root splicer uid may have fingerprinted
 * (0: no limit). Root's are not counted: a user filling the table leaves
 * room for the holds of root and of other users. A uid this map cannot take
 * is refused. */
const volatile u32 user_max;
SW_MAP(fp_per_user, BPF_MAP_TYPE_HASH, 4096, u32, u32);

/* Charges uid one entry; false if it has its share already. The add comes
 * first, so two CPUs taking the last entry at once may both be refused,
 * never both let in. */
static __always_inline bool user_take(u32 uid)
{
	u32 zero = 0, *n;

	if (!uid || !user_max)
		return true;
	n = bpf_map_lookup_elem(&fp_per_user, &uid);
	if (!n) {
		bpf_map_update_elem(&fp_per_user, &uid, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&fp_per_user, &uid);
		if (!n)
			return false;
	}
	__sync_fetch_and_add(n, 1);
	if (*(volatile u32 *)n <= user_max)
		return true;
	__sync_fetch_and_add(n, -1);
	return false;
}

/* Gives an entry's charge back. */
static __always_inline void user_give(u32 uid)
{
	u32 *n;

	if (!uid || !user_max)
		return;
	n = bpf_map_lookup_elem(&fp_per_user, &uid);
	if (n && *(volatile u32 *)n)
		__sync_fetch_and_add(n, -1);
}

/* Deletes the entry at k, which uid was charged for; only the delete that
 * removed it gives the charge back. */
static __always_inline void fp_delete(void *map, struct fp_key *k, u32 uid)
{
	if (!bpf_map_delete_elem(map, k))
		user_give(uid);
}

/* A drain between its sys_enter check and its sys_exit: the ring positions
 * its check saw (the buffers it took are forgotten at exit). */
struct drain {
	u64 pipe;
	u32 tail, head;
	u32 changed;		/* it took changed bytes: a tee's or splice's target holds them */
	u32 pad;
};

SW_THREAD_MAP(drains, 4096, struct drain);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} change_events SEC(".maps");

static __always_inline void vcount(enum sw_verify_counter c)
{
	__sync_fetch_and_add(&verify_counters[c], 1);
}

/* The fingerprint of len bytes (at most a page) at kernel address at, keyed
 * per run; -1 if a read faulted. */
static __always_inline int fingerprint(u64 at, u32 len, u64 *out)
{
	return siphash_kernel_bytes(key0, key1, at, len, out);
}

/* ---- a pipe's buffers ----------------------------------------------------- */

struct walk {
	struct pipe_ring r;
	u64 pipe;
	u64 inode;
	u64 ino;
	u8 point;		/* enum sw_check_point; learn: SW_CHECK__COUNT */
	u8 readable;		/* the fd is the pipe's read end (FMODE_READ) */
	u8 act;			/* check: enforce acts on the current task (a drain
				 * that takes bytes out, not a tee) */
	u8 changed;		/* check: a changed range seen; learn: new ranges
				 * inherit it (a tee's or splice's target) */
};

/* The file page behind a buffer's page: mapping (0: none) and index. */
static __always_inline u64 file_page(struct page *page, u64 *index)
{
	struct folio_memo m = {};

	folio_memo_fields(&m, page);
	if (!m.mapping)
		return 0;
	*index = m.index + page_offset_in_folio(page, m.folio);
	return m.mapping;
}

static __always_inline u64 page_bytes(u64 page)
{
	return page_linear_address(page, map_base, linear_base, max_pfn);
}

#include "verify/report.bpf.h"

/* What learn_one found of a buffer, for store_fp. */
struct found {
	u64 mapping, index, digest;
};

/* The entry for the buffer at k, in a frame of its own: kept off the call
 * chain of the fingerprint's (512 bytes of stack in all). */
static __noinline void store_fp(struct walk *w, struct fp_key *k, struct pipe_buffer *buf,
				struct found *found)
{
	struct fp *old = bpf_map_lookup_elem(&fingerprints, k), n = {};
	u64 tgid_pid;
	u32 old_uid;
	bool charge;

	n.page = (u64)buf->page;
	n.pipe_inode = w->inode;
	n.pipe_ino = w->ino;
	n.mapping = found->mapping;
	n.index = found->index;
	n.digest = found->digest;
	n.offset = buf->offset;
	n.len = buf->len;
	n.fingerprint_ns = bpf_ktime_get_ns();
	if (old && old->page == n.page && old->pipe_ino == w->ino) {
		/* The rest of a partly read buffer: still the splicer's hold. */
		n.held_since_ns = old->held_since_ns;
		n.splicer_pid = old->splicer_pid;
		n.splicer_uid = old->splicer_uid;
		n.splicer_in_scope = old->splicer_in_scope;
		n.changed = old->changed;
		__builtin_memcpy(n.splicer_comm, old->splicer_comm, sizeof(n.splicer_comm));
	} else {
		n.changed = w->changed;
		tgid_pid = bpf_get_current_pid_tgid();
		n.held_since_ns = n.fingerprint_ns;
		n.splicer_pid = tgid_pid >> 32;
		n.splicer_uid = (u32)bpf_get_current_uid_gid();
		n.splicer_in_scope = scope_cgroup_id &&
				     task_in_cgroup(scope_cgroup_id, scope_cgroup_level);
		bpf_get_current_comm(n.splicer_comm, sizeof(n.splicer_comm));
	}
	/* Read before the update: the old element's memory may be reused. */
	old_uid = old ? old->splicer_uid : 0;
	charge = !old || old_uid != n.splicer_uid;
	if (charge && !user_take(n.splicer_uid)) {
		vcount(SW_VCNT_FULL);
		return;
	}
	if (bpf_map_update_elem(&fingerprints, k, &n, BPF_ANY)) {
		if (charge)
			user_give(n.splicer_uid);
		vcount(SW_VCNT_FULL);
		return;
	}
	if (charge && old)
		user_give(old_uid);
	vcount(SW_VCNT_FINGERPRINTED);
}

/* Learn: a buffer not fingerprinted as it is now gets its fingerprint (a
 * partly read one: of what is left). */
static long learn_one(u64 i, void *data)
{
	struct walk *w = data;
	struct fp_key k = { .pipe = w->pipe, .seq = w->r.tail + (u32)i };
	struct pipe_buffer buf;
	struct found found = {};
	struct fp *old;
	u64 at;

	if (read_buf(&w->r, k.seq, &buf) || !buf.page || buf.len > SW_PAGE_SIZE ||
	    buf.offset >= SW_PAGE_SIZE)
		return 0;
	old = bpf_map_lookup_elem(&fingerprints, &k);
	if (old && old->page == (u64)buf.page && old->pipe_ino == w->ino &&
	    old->offset == buf.offset && old->len == buf.len)
		return 0;
	found.mapping = file_page(buf.page, &found.index);
	at = page_bytes((u64)buf.page);
	if (!found.mapping || !at) {
		if (old)
			fp_delete(&fingerprints, &k, old->splicer_uid);
		return 0;
	}
	if (fingerprint(at + buf.offset, buf.len, &found.digest)) {
		vcount(SW_VCNT_UNREADABLE);
		return 0;
	}
	store_fp(w, &k, &buf, &found);
	return 0;
}

/* Compares one held range's bytes now with its fingerprint; reports a
 * difference once (the new fingerprint is kept). 0: checked or nothing to
 * check; -1: f no longer describes what the pipe holds at that position. */
static __always_inline int check_fp(struct fp *f, struct pipe_buffer *buf, u64 ino, u32 point,
				    u32 act)
{
	u64 at, now, before, index = 0;
	bool landed;
	u32 how;

	if (f->page != (u64)buf->page || f->pipe_ino != ino)
		return -1;
	/* The page left the file (truncated) or moved: not the bytes held for it. */
	if (file_page(buf->page, &index) != f->mapping || index != f->index)
		return 0;
	at = page_bytes(f->page);
	if (!at || buf->offset >= SW_PAGE_SIZE || buf->len > SW_PAGE_SIZE)
		return 0;
	/* Partly read since, and not fingerprinted again (a run the kernel
	 * skipped): the bytes left are fingerprinted, not compared; the read
	 * ones are no longer held, and may change. */
	if (buf->offset != f->offset || buf->len != f->len) {
		if (!fingerprint(at + buf->offset, buf->len, &now)) {
			f->offset = buf->offset;
			f->len = buf->len;
			f->digest = now;
			f->fingerprint_ns = bpf_ktime_get_ns();
		}
		return 0;
	}
	if (fingerprint(at + f->offset, f->len, &now)) {
		vcount(SW_VCNT_UNREADABLE);
		return 0;
	}
	vcount(SW_VCNT_CHECKED);
	before = f->digest;
	if (now != before) {
		/* A write whose bytes land is noted at its syscall's entry,
		 * before they do: one that made this change is in the map by now. */
		landed = landed_since(f->mapping, (s64)(f->index << SW_PAGE_SHIFT) + f->offset,
				      f->len, f->fingerprint_ns);
		if (!landed)
			f->changed = 1;
		/* Another check of this range at once (the sweep beside a
		 * release; the programs are preemptible on 6.14+) finds the
		 * change too: the one that swaps in the new fingerprint reports it. */
		if (__sync_val_compare_and_swap(&f->digest, before, now) == before) {
			how = landed ? REPORT_LANDED : 0;
			if (act && f->changed && reader_action)
				how |= act_on_reader(f);
			report(f, before, now, point, how);
			f->fingerprint_ns = bpf_ktime_get_ns();
			return 0;
		}
	}
	/* Changed before (the sweep, a tee's source, a check at once): each
	 * reader acted on. */
	if (act && f->changed && reader_action)
		report(f, now, now, point, act_on_reader(f));
	return 0;
}

static long check_one(u64 i, void *data)
{
	struct walk *w = data;
	struct fp_key k = { .pipe = w->pipe, .seq = w->r.tail + (u32)i };
	struct pipe_buffer buf;
	struct fp *f;

	f = bpf_map_lookup_elem(&fingerprints, &k);
	if (!f || read_buf(&w->r, k.seq, &buf))
		return 0;
	if (check_fp(f, &buf, w->ino, w->point, w->act))
		fp_delete(&fingerprints, &k, f->splicer_uid);
	else if (f->changed)
		w->changed = 1;
	return 0;
}

static long forget_one(u64 i, void *data)
{
	struct drain *d = data;
	struct fp_key k = { .pipe = d->pipe, .seq = d->tail + (u32)i };
	struct fp *f = bpf_map_lookup_elem(&fingerprints, &k);

	if (f)
		fp_delete(&fingerprints, &k, f->splicer_uid);
	return 0;
}

/* Whether file has no reference but the one being let go of: a close of a
 * copy (dup, fork) releases nothing, and the copy left reads the bytes. */
static __always_inline bool last_reference(struct file *file)
{
	if (bpf_core_field_exists(struct file___f_count, f_count))
		return BPF_CORE_READ((struct file___f_count *)file, f_count.counter) == 1;
	return BPF_CORE_READ((struct file___f_ref *)file, f_ref.refcnt.counter) == 0; /* FILE_REF_ONEREF */
}

/* The pipe behind file, its inode and number; 0 if file is no pipe (for a
 * release: or not its last reference). small_stack: the ring read field by
 * field, not in one probe read onto 128 bytes of stack (the release scan's
 * nested loops cannot spare them). */
static __always_inline int open_walk_file(struct walk *w, struct file *file, u32 point,
					  bool small_stack)
{
	struct pipe_inode_info *pipe;
	struct inode *inode = NULL;

	pipe = file_pipe_of(file, &inode);
	if (!pipe || (point == SW_CHECK_RELEASE && !last_reference(file)) ||
	    (small_stack ? read_ring(pipe, &w->r) : read_ring_once(pipe, &w->r)))
		return -1;
	w->pipe = (u64)pipe;
	w->inode = (u64)inode;
	w->ino = BPF_CORE_READ(inode, i_ino);
	w->point = point;
	w->readable = BPF_CORE_READ(file, f_mode) & SW_FMODE_READ ? 1 : 0;
	w->act = 0;
	w->changed = 0;
	return 0;
}

static __always_inline int open_walk(struct walk *w, long fd, u32 point)
{
	return open_walk_file(w, fd_to_file(fd), point, false);
}

static __always_inline u32 ring_len(struct walk *w)
{
	u32 n = w->r.head - w->r.tail;

	return n > MAX_RING ? 0 : n;
}

/* A drain's check of the ring w opened: every held range, and in d what the
 * drain's end needs (the ring's span, whether it held changed bytes). act:
 * enforce acts on a drain of changed bytes; vmsplice names either end of a
 * pipe, and only a reader takes bytes out. */
static __always_inline void check_ring(struct walk *w, u32 act, struct drain *d)
{
	w->act = act && w->readable;
	bpf_loop(ring_len(w), check_one, w, 0);
	*d = (struct drain){ .pipe = w->pipe, .tail = w->r.tail, .head = w->r.head,
			     .changed = w->changed };
}

/* A drain's end, the ring w opened again: the buffers the drain took (those
 * gone saw, up to the tail now) forgotten, a partly taken one fingerprinted
 * again for what is left. */
static __always_inline void relearn(struct walk *w, struct drain *gone)
{
	if (w->r.tail - gone->tail <= gone->head - gone->tail)
		bpf_loop(w->r.tail - gone->tail, forget_one, gone, 0);
	bpf_loop(ring_len(w), learn_one, w, 0);
}

/* After a syscall that may have added buffers to the pipe at fd; changed:
 * they came from a pipe holding changed bytes. */
static __always_inline void learn(long fd, u32 changed)
{
	struct walk w;

	if (open_walk(&w, fd, SW_CHECK__COUNT))
		return;
	w.changed = changed;
	bpf_loop(ring_len(&w), learn_one, &w, 0);
}

/* Before a syscall that takes bytes out of the pipe at fd (drain): every
 * held range checked, and what it saw remembered for its exit. act: enforce
 * acts on a drain of changed bytes (not a tee: it moves them whatever is
 * pending, to a pipe whose reader is acted on). */
static __always_inline void check_drain(long fd, u32 act)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct drain d;
	struct walk w;

	if (open_walk(&w, fd, SW_CHECK_DRAIN))
		return;
	check_ring(&w, act, &d);
	bpf_map_update_elem(&drains, &tid, &d, BPF_ANY);
}

/* Before file is let go of (release): every held range of its pipe checked.
 * The reference may be the pipe's last: nothing reads what it holds then. */
static __always_inline void check_release_file(struct file *file)
{
	struct walk w;

	if (open_walk_file(&w, file, SW_CHECK_RELEASE, true))
		return;
	bpf_loop(ring_len(&w), check_one, &w, 0);
}

/* Before fd is closed. */
static __always_inline void check_release(long fd)
{
	check_release_file(fd_to_file(fd));
}

/* ---- pipes let go of without close(2) ------------------------------------ */

#define SW_CLOSE_RANGE_CLOEXEC	(1U << 2)	/* marks close-on-exec, closes nothing */
#define SW_MAX_LOOPS		(1U << 23)	/* bpf_loop's limit (BPF_MAX_LOOPS) */

/* The fds first..last of the current task's table whose bit is set in one of
 * its bitmaps (open_fds; close_on_exec for an exec): each checked as a
 * close(2) of it is. Zero words are skipped (a table can have 2^20 fds). */
struct fd_scan {
	u64 bitmap;		/* unsigned long *, one bit an fd */
	u64 word;		/* the word being scanned */
	u32 first, last;
	u32 word_base;		/* the fd of its bit 0 */
	u32 pad;
};

static long release_bit(u64 i, void *data)
{
	struct fd_scan *s = data;
	u32 fd = s->word_base + (u32)i;

	if ((s->word >> i & 1) && fd >= s->first && fd <= s->last)
		check_release(fd);
	return 0;
}

static long release_word(u64 i, void *data)
{
	struct fd_scan *s = data;
	u32 w = s->first / 64 + (u32)i;

	if (bpf_probe_read_kernel(&s->word, sizeof(s->word), (void *)(s->bitmap + w * 8ULL)))
		return 1;
	if (s->word) {
		s->word_base = w * 64;
		bpf_loop(64, release_bit, s, 0);
	}
	return 0;
}

static __always_inline void release_fds(u64 first, u64 last, bool close_on_exec)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	u32 max = BPF_CORE_READ(fdt, max_fds);
	struct fd_scan s = {};
	u32 words;

	if (!fdt || first >= max || first > last)
		return;
	s.first = first;
	s.last = last >= max ? max - 1 : last;
	s.bitmap = close_on_exec ? (u64)BPF_CORE_READ(fdt, close_on_exec) :
				   (u64)BPF_CORE_READ(fdt, open_fds);
	words = s.last / 64 - s.first / 64 + 1;
	/* bpf_loop runs nothing past its limit: the first 2^29 fds at least. */
	bpf_loop(words < SW_MAX_LOOPS ? words : SW_MAX_LOOPS, release_word, &s, 0);
}

/* After a drain: the buffers it took are forgotten, a partly read one
 * fingerprinted again for what is left. Whether it took changed bytes. */
static __always_inline u32 drained(long fd)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct drain *d = bpf_map_lookup_elem(&drains, &tid);
	struct drain gone;
	struct walk w;

	if (!d)
		return 0;
	gone = *d;
	bpf_map_delete_elem(&drains, &tid);
	if (!open_walk(&w, fd, SW_CHECK__COUNT) && w.pipe == gone.pipe)
		relearn(&w, &gone);
	return gone.changed;
}

/* The syscalls whose entry checks a pipe: the common case leaves at once. */
static __always_inline bool checked_at_entry(long id)
{
	return id == SW_NR_read || id == SW_NR_readv || id == SW_NR_vmsplice || id == SW_NR_tee ||
	       id == SW_NR_splice || id == SW_NR_close;
}

/* id: the native number (ia32: an IA-32 syscall's registers). */
static __always_inline void on_enter(struct pt_regs *regs, long id, bool ia32)
{
	switch (id) {
	case SW_NR_read:
	case SW_NR_readv:
	case SW_NR_vmsplice:
		check_drain(SW_SYS_ARG1(regs, ia32), 1);
		return;
	case SW_NR_tee:			/* in 1 */
		check_drain(SW_SYS_ARG1(regs, ia32), 0);
		return;
	case SW_NR_splice:		/* in 1, off_in 2 */
		if (!SW_SYS_ARG2(regs, ia32))
			check_drain(SW_SYS_ARG1(regs, ia32), 1);
		return;
	case SW_NR_close:
		check_release(SW_SYS_ARG1(regs, ia32));
		return;
	}
}

/* The syscalls but close(2) that close fds: a program of their own, whose
 * nested loops (release_fds) would not fit beside sw_verify_enter's frame
 * (512 bytes of stack in all). */
SEC("tp_btf/sys_enter")
int BPF_PROG(sw_verify_release, struct pt_regs *regs, long id)
{
	bool ia32;

	switch (sw_syscall(id, &ia32)) {
	case SW_NR_dup2:		/* old 1, new 2: closed first */
	case SW_NR_dup3:
		if ((u32)SW_SYS_ARG1(regs, ia32) != (u32)SW_SYS_ARG2(regs, ia32))
			check_release(SW_SYS_ARG2(regs, ia32));
		return 0;
	case SW_NR_close_range:		/* first 1, last 2, flags 3 */
		if (!(SW_SYS_ARG3(regs, ia32) & SW_CLOSE_RANGE_CLOEXEC))
			release_fds((u32)SW_SYS_ARG1(regs, ia32), (u32)SW_SYS_ARG2(regs, ia32), false);
		return 0;
	case SW_NR_execve:		/* closes the close-on-exec fds */
	case SW_NR_execveat:
		release_fds(0, ~0U, true);
		return 0;
	}
	return 0;
}

/* No fd: fds are 32 bits. */
#define NO_FD	(~0ULL)

/* The syscalls whose exit learns or forgets what a pipe holds. */
static __always_inline bool learnt_at_exit(long id)
{
	return id == SW_NR_read || id == SW_NR_readv || id == SW_NR_vmsplice || id == SW_NR_tee ||
	       id == SW_NR_splice || id == SW_NR_sendfile;
}

/* id: the native number (ia32: an IA-32 syscall's registers). The pipe to
 * learn is read before the drain: only it stays live across the drain's
 * calls (the stack beside learn's loops is 512 bytes in all). */
static __always_inline void on_exit(struct pt_regs *regs, long id, bool ia32, long ret)
{
	u64 fill;			/* the fd of the pipe filled, or NO_FD */
	u32 changed;

	switch (id) {
	case SW_NR_read:
	case SW_NR_readv:
		drained(SW_SYS_ARG1(regs, ia32));
		return;
	case SW_NR_vmsplice:		/* fd 1: filled, or read from */
		fill = ret > 0 ? SW_SYS_ARG1(regs, ia32) : NO_FD;
		drained(SW_SYS_ARG1(regs, ia32));
		if (fill != NO_FD)
			learn(fill, 0);
		return;
	case SW_NR_tee:			/* in 1, out 2 */
		fill = ret > 0 ? SW_SYS_ARG2(regs, ia32) : NO_FD;
		changed = drained(SW_SYS_ARG1(regs, ia32));
		if (fill != NO_FD)
			learn(fill, changed);
		return;
	case SW_NR_splice:		/* in 1, off_in 2, out 3, off_out 4 */
		fill = ret > 0 && !SW_SYS_ARG4(regs, ia32) ? SW_SYS_ARG3(regs, ia32) : NO_FD;
		changed = SW_SYS_ARG2(regs, ia32) ? 0 : drained(SW_SYS_ARG1(regs, ia32));
		if (fill != NO_FD)
			learn(fill, changed);
		return;
	case SW_NR_sendfile:		/* out 1 */
		if (ret > 0)
			learn(SW_SYS_ARG1(regs, ia32), 0);
		return;
	}
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sw_verify_enter, struct pt_regs *regs, long id)
{
	bool ia32;

	id = sw_syscall(id, &ia32);
	if (!checked_at_entry(id) || (test_drop & SW_DROP_ENTER))
		return 0;
	if (backup_copies)
		first_runs(GATE_ENTER);
	on_enter(regs, id, ia32);
	return 0;
}

/* Runs where the kernel skipped sw_verify_enter (loaded with backup_copies). */
SEC("tp_btf/sys_enter")
int BPF_PROG(sw_verify_enter_backup, struct pt_regs *regs, long id)
{
	bool ia32;

	id = sw_syscall(id, &ia32);
	if (!checked_at_entry(id) || first_ran(GATE_ENTER))
		return 0;
	on_enter(regs, id, ia32);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sw_verify_exit, struct pt_regs *regs, long ret)
{
	bool ia32;
	long id = sw_syscall(SW_SYSCALL_NR(regs), &ia32);

	if (!learnt_at_exit(id) || (test_drop & SW_DROP_EXIT))
		return 0;
	if (backup_copies)
		first_runs(GATE_EXIT);
	on_exit(regs, id, ia32, ret);
	return 0;
}

/* Runs where the kernel skipped sw_verify_exit (loaded with backup_copies). */
SEC("tp_btf/sys_exit")
int BPF_PROG(sw_verify_exit_backup, struct pt_regs *regs, long ret)
{
	bool ia32;
	long id = sw_syscall(SW_SYSCALL_NR(regs), &ia32);

	if (!learnt_at_exit(id) || first_ran(GATE_EXIT))
		return 0;
	on_exit(regs, id, ia32, ret);
	return 0;
}

/* A task exits: exit_files() drops its fd table after this tracepoint, and
 * closes the fds if it held the last reference. A thread whose table others
 * share lets go of nothing, but the last thread of its group checks all the
 * same: threads exiting at once each see the others' references, which
 * their own exit_files() drops after (signal->live is counted down before
 * this tracepoint). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sw_verify_task_exit, struct task_struct *task)
{
	if (BPF_CORE_READ(task, files, count.counter) == 1 ||
	    !BPF_CORE_READ(task, signal, live.counter))
		release_fds(0, ~0U, false);
	return 0;
}

#include "verify/uring.bpf.h"

/* ---- the sweep (the frontend runs it every second) ----------------------- */

static long sweep_one(struct bpf_map *map, struct fp_key *k, struct fp *f, void *ctx)
{
	struct pipe_buffer buf;
	struct pipe_ring r;

	/* A pipe freed since: its inode is another's or no FIFO. */
	if (!pipe_inode_current((struct inode *)f->pipe_inode, k->pipe, f->pipe_ino) ||
	    read_ring_once((struct pipe_inode_info *)k->pipe, &r) ||
	    k->seq - r.tail >= r.head - r.tail || read_buf(&r, k->seq, &buf) ||
	    check_fp(f, &buf, f->pipe_ino, SW_CHECK_SWEEP, 0))
		fp_delete(map, k, f->splicer_uid);
	return 0;
}

SEC("raw_tp")
int sw_verify_sweep(void *ctx)
{
	bpf_for_each_map_elem(&fingerprints, sweep_one, NULL, 0);
	return 0;
}
