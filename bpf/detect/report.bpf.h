/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Verdict and report: the event for an unsafe write (writer, file and path,
 * the held range, the splicer), what enforce does about it (decide), and the
 * refusal BPF LSM applies for a write decided at syscall entry.
 */
#ifndef SW_DETECT_REPORT_BPF_H
#define SW_DETECT_REPORT_BPF_H

#include "overlap.bpf.h"
#include "../lib/allowlists.bpf.h"
#include "../lib/landed_writes.bpf.h"

SW_MAP(scope_pids, BPF_MAP_TYPE_HASH, 65536, u32, u8);

/* enforce --action deny: the write a thread is about to make (decided at
 * syscall entry), refused by the LSM hook the kernel reaches next. */
struct deny_entry {
	u64 file;		/* struct file * to refuse MAY_WRITE on */
	u64 dentry;		/* for path_truncate (ftruncate before 6.2) */
};

SW_MAP(deny_pending, BPF_MAP_TYPE_HASH, 4096, u32, struct deny_entry);

/* One byte is left for the leading '/' of the root. */
SW_PATH_WALKER(path, SW_PATH_MAX - 1, 1, struct event_scratch, scratch_of(&scratch, false))

/* Absolute path of dentry under vfsmnt; with no vfsmnt (a store through a
 * mapping has no struct file), the path within its filesystem. */
static __always_inline u32 resolve_path(struct event_scratch *s, struct dentry *dentry,
					struct vfsmount *vfsmnt, u32 *flags)
{
	struct sw_path_walk p;
	struct sw_event *ev = (struct sw_event *)s->ev;
	bool truncated;
	u32 len;

	sw_path_start(&p, s->tmp, SW_PATH_MAX - 1, dentry, vfsmnt);
	SW_PATH_RUN(path, &p, &s->walk, SW_PATH_DEPTH);
	vfsmnt = sw_path_finish(&p, &truncated);
	if (truncated)
		*flags |= SW_EVF_PATH_TRUNCATED;
	if (!vfsmnt)
		*flags |= SW_EVF_PATH_FS_RELATIVE;
	if (p.off == SW_PATH_MAX - 1) {
		ev->path[0] = '/';
		return 1;
	}
	len = SW_PATH_MAX - 1 - p.off;
	if (len > SW_PATH_MAX - 1)
		return 0;
	bpf_probe_read_kernel(ev->path, len & (SW_PATH_MAX - 1), &s->tmp[p.off & (SW_PATH_MAX - 1)]);
	return len;
}

static __always_inline bool in_scope(u32 tgid)
{
	if (!scope_enabled)
		return true;
	if (scope_cgroup_id)
		return task_in_cgroup(scope_cgroup_id, scope_cgroup_level);
	return bpf_map_lookup_elem(&scope_pids, &tgid) != NULL;
}

/* --allow-path rules: identities of files and directories (the frontend
 * stat()s each rule at start), not path strings, which bind mounts, hard
 * links and truncation make say what the writer wants. */
SW_MAP(allow_inodes, BPF_MAP_TYPE_HASH, SW_ALLOW_PATHS_MAX, struct sw_allow_inode, u8);

/* A walk up a dentry's d_parent chain: d_parent never leaves the filesystem
 * (bind mounts and mount points do not change it), so an ancestor is where
 * the file really is, whatever path the writer opened it by. */
struct allow_walk {
	u64 dentry;		/* looked at: its parent, next */
	u32 dev;		/* kernel dev_t of the dentry's filesystem */
	bool found;
};

static long allow_walk_cb(u64 i, void *data)
{
	struct allow_walk *w = data;
	struct dentry *d = (struct dentry *)w->dentry;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	struct sw_allow_inode k = { .dev = w->dev };

	if (!parent || parent == d)
		return 1;	/* d is the filesystem's root, looked at already */
	k.ino = BPF_CORE_READ(parent, d_inode, i_ino);
	if (bpf_map_lookup_elem(&allow_inodes, &k)) {
		w->found = true;
		return 1;
	}
	w->dentry = (u64)parent;
	return 0;
}

/* Is an ancestor directory of dentry (SW_PATH_DEPTH levels up at most: deeper
 * rules do not match) a rule? */
#ifdef SW_COMPAT
/* A global function: verified once, not at every report site. */
__noinline int allow_walk_run(u64 dentry, u32 dev)
{
	struct allow_walk w = { .dentry = dentry, .dev = dev };

	for (u32 i = 0; i < SW_PATH_DEPTH; i++)
		if (allow_walk_cb(i, &w))
			break;
	return w.found;
}
#else
static __always_inline int allow_walk_run(u64 dentry, u32 dev)
{
	struct allow_walk w = { .dentry = dentry, .dev = dev };

	bpf_loop(SW_PATH_DEPTH, allow_walk_cb, &w, 0);
	return w.found;
}
#endif

/* Is the written file (host; dentry: a name of it, or NULL) covered by a
 * --allow-path rule? A rule naming the file covers it; a rule naming a
 * directory covers the files below it in its own filesystem that have no
 * other name (i_nlink 1): a hard link put under an allowed directory is
 * not exempted by it. */
static __always_inline bool path_allowed(struct sw_event *ev, struct inode *host,
					 struct dentry *dentry)
{
	struct sw_allow_inode k = { .dev = ev->dev, .ino = ev->ino };

	if (!n_allow_paths)
		return false;
	if (bpf_map_lookup_elem(&allow_inodes, &k))
		return true;
	if (!dentry || BPF_CORE_READ(host, i_nlink) != 1)
		return false;
	return allow_walk_run((u64)dentry, BPF_CORE_READ(dentry, d_sb, s_dev));
}

/* --allow-pid and --allow-comm are conveniences, not boundaries: pids are
 * reused and any process names itself (prctl PR_SET_NAME). */
static __always_inline bool allowed(struct sw_event *ev, struct inode *host, struct dentry *dentry)
{
	return allowlisted(&ev->pid, &ev->cgroup_id, ev->comm) || path_allowed(ev, host, dentry);
}

/* Is the task pid 1 of its own pid namespace? */
static __always_inline bool ns_init(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level & 31]);
	return up.nr == 1;
}

/* How a decision can stop the write: not at all but by a signal, by the LSM
 * hook the syscall reaches next (file recorded now), or right now (we are in
 * that LSM hook). */
enum deny_how {
	DENY_NO,
	DENY_AT_LSM,
	DENY_NOW,
};

/* A write that changes held bytes, as the hook that saw it describes it. */
struct write_desc {
	struct file *file;	/* NULL: truncate(path), a store through a mapping */
	s64 pos;		/* first byte changed */
	u64 len;		/* bytes changed; 0: every byte from pos on (the
				 * checks take LEN_TO_EOF for that) */
	u32 op;			/* SW_OP_*: the path it takes */
	u32 flags;		/* SW_EVF_* the decoding knows (length unknown, page-granular) */
	u32 deny_how;		/* enum deny_how */
	bool late;		/* completes even if the writer is killed at once
				 * (fallocate, ftruncate, truncate) */
};

/* Act on the writer, before its bytes land. */
static __always_inline u32 decide(struct sw_event *ev, bool late, u32 deny_how,
				  struct file *file, struct inode *host, struct dentry *dentry)
{
	struct task_struct *task = sw_current_task();
	struct deny_entry d = {};
	bool deny = deny_mode;
	u32 tid;

	if (sw_mode != SW_MODE_ENFORCE)
		return SW_ACT_REPORTED;
	/* Another user's hold: reported, never acted on (trust.bpf.h). */
	if (!(ev->flags & SW_EVF_HOLDER_TRUSTED))
		return SW_ACT_REPORTED;
	/* A kernel writer in a softirq: the task it interrupted did not ask. */
	if (ev->flags & SW_EVF_IN_SOFTIRQ)
		return SW_ACT_REPORTED;
	if (allowed(ev, host, dentry))
		return SW_ACT_ALLOWED;
	/* Never the global pid 1, kernel threads or ourselves. The init of
	 * another pid namespace only with --allow-ns-init: anyone can make one
	 * (unshare -Urpf). */
	if (ev->pid <= 1 || ev->pid == self_tgid || (BPF_CORE_READ(task, flags) & PF_KTHREAD) ||
	    (allow_ns_init && ns_init(task)))
		return SW_ACT_ALLOWED;
	/* A hold the index could not track: as --on-untracked says. */
	if (ev->flags & SW_EVF_HOLD_UNTRACKED) {
		if (on_untracked == SW_ON_UNTRACKED_REPORT)
			return SW_ACT_REPORTED;
		deny = on_untracked == SW_ON_UNTRACKED_DENY;
	}
	if (dry_run)
		return SW_ACT_WOULD_KILL;
	if (deny && deny_how == DENY_NOW)
		return SW_ACT_DENIED;
	if (deny && deny_how == DENY_AT_LSM && file) {
		tid = ev->tid;
		d.file = (u64)file;
		d.dentry = (u64)BPF_CORE_READ(file, f_path.dentry);
		if (!bpf_map_update_elem(&deny_pending, &tid, &d, BPF_ANY))
			return SW_ACT_DENIED;
	}
	if (signal_thread)
		bpf_send_signal_thread(kill_signal);
	else
		bpf_send_signal(kill_signal);
	count(SW_CNT_SIGNALS, 1);
	ev->signal = kill_signal;
	if (kill_signal != SIGKILL)
		return SW_ACT_SIGNALLED;
	return late ? SW_ACT_KILLED_LATE : SW_ACT_KILLED;
}

/* Who the writer is, as it must be known at the write: its parent, login
 * uid and start (its exe is found in user space for this process only).
 * Read only when a report is made: nothing on the common path. */
static __always_inline void writer_identity(struct sw_event *ev)
{
	struct task_struct *task = sw_current_task();

	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->start_boottime = BPF_CORE_READ(task, group_leader, start_boottime);
	ev->loginuid = SW_LOGINUID_UNSET;
	if (bpf_core_field_exists(struct task_struct___audit, loginuid))
		ev->loginuid = BPF_CORE_READ((struct task_struct___audit *)task, loginuid.val);
}

/* One more unsafe write of op, acted on by action (unsafe_writes[]). */
static __always_inline void count_unsafe(u32 op, u32 action)
{
	u32 i;

	if (op >= SW_OP__COUNT || action >= SW_ACT__COUNT)
		return;
	i = op * SW_ACT__COUNT + action;
	barrier_var(i);
	if (i < SW_OP__COUNT * SW_ACT__COUNT)
		__sync_fetch_and_add(&unsafe_writes[i], 1);
}

static __always_inline u32 emit_report(struct check_ctx *c, u32 op, struct file *file, s64 pos,
				       u64 len, u32 flags, bool late, u32 deny_how)
{
	u32 path_len;
	struct event_scratch *s;
	struct dentry *dentry;
	struct address_space *as;
	struct inode *host;
	struct sw_event *ev;
	u64 id = bpf_get_current_pid_tgid();

	if (!in_scope(id >> 32))
		return SW_ACT_REPORTED;
	s = scratch_of(&scratch, true);
	if (!s)
		return SW_ACT_REPORTED;
	ev = (struct sw_event *)s->ev;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = SW_EV_UNSAFE_WRITE;
	ev->op = op;
	ev->flags = flags;
	ev->pid = id >> 32;
	ev->tid = (u32)id;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	/* From the inode itself: an index entry may outlive a freed inode whose
	 * address_space was reused. */
	as = (struct address_space *)c->mapping;
	host = BPF_CORE_READ(as, host);
	ev->dev = BPF_CORE_READ(host, i_sb, s_dev);
	ev->ino = BPF_CORE_READ(host, i_ino);
	ev->write_offset = pos;
	ev->write_len = len;
	ev->held_offset = c->held_offset;
	ev->held_len = c->held_len;
	ev->pipe_ino = c->pipe_ino;
	ev->splicer_pid = c->splicer_pid;
	ev->uid = c->writer_uid;
	ev->splicer_uid = c->splicer_uid;
	ev->splicer_cgroup_id = c->splicer_cgroup_id;
	writer_identity(ev);
	ev->pipe_uid = c->pipe_uid;
	if (c->trusted)
		ev->flags |= SW_EVF_HOLDER_TRUSTED;
	if (c->untracked_reason) {
		ev->flags |= SW_EVF_HOLD_UNTRACKED;
		ev->reason = c->untracked_reason;
	}
	__builtin_memcpy(ev->splicer_comm, c->splicer_comm, sizeof(ev->splicer_comm));
	ev->held_ns = ev->ts_ns - c->hold_ts_ns;
	path_len = 0;
	dentry = file ? BPF_CORE_READ(file, f_path.dentry) : mapping_dentry(c->mapping);
	if (file)
		path_len = resolve_path(s, dentry, BPF_CORE_READ(file, f_path.mnt), &ev->flags);
	else if (dentry)
		path_len = resolve_path(s, dentry, NULL, &ev->flags);
	ev->path_len = path_len & (SW_PATH_MAX - 1);
	ev->path[ev->path_len & (SW_PATH_MAX - 1)] = 0;
	ev->action = decide(ev, late, deny_how, file, host, dentry);
	/* Its bytes land: it explains the change a content check will find. */
	if (sw_action_lands(ev->action))
		landed_note(c->mapping, pos, len);
	count(SW_CNT_EVENTS, 1);
	count_unsafe(op, ev->action);
	if (bpf_ringbuf_output(&events, ev, (sizeof(*ev) + ev->path_len + 1) & (2 * SW_PATH_MAX - 1), 0))
		count(SW_CNT_LOST, 1);
	return ev->action;
}

/* Reports write w, found to change the held bytes c describes, and acts on
 * its writer: the action taken (SW_ACT_*). */
static __always_inline u32 report(struct check_ctx *c, const struct write_desc *w)
{
	return emit_report(c, w->op, w->file, w->pos, w->len, w->flags, w->late, w->deny_how);
}

static __always_inline int refuse_pending(u64 file, u64 dentry)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct deny_entry *d = bpf_map_lookup_elem(&deny_pending, &tid);

	if (!d)
		return 0;
	if ((file && d->file == file) || (dentry && d->dentry == dentry)) {
		bpf_map_delete_elem(&deny_pending, &tid);
		return -EPERM;
	}
	return 0;
}

#endif /* SW_DETECT_REPORT_BPF_H */
