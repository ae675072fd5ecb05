/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The record of a change the content checks found (report), and what
 * enforce --verify does to the task about to take the changed bytes out
 * (act_on_reader; file_untrusted: whether anyone but root and the reader
 * can write the file). Included by verify.bpf.c after struct fp, the
 * settings it reads (reader_action, reader_signal, self_tgid, the ci scope)
 * and the change_events ring buffer.
 */
#ifndef SW_VERIFY_REPORT_BPF_H
#define SW_VERIFY_REPORT_BPF_H

SW_PATH_WALKER(change_path, SW_PATH_MAX - 1, 1, void, NULL)

/* report()'s how: REPORT_LANDED, the action taken on the reader (SW_ACT_*)
 * << REPORT_ACTION and why none (enum sw_untrusted_file) << REPORT_UNTRUSTED. */
#define REPORT_LANDED		1	/* a landed write explains the change */
#define REPORT_ACTION		8
#define REPORT_UNTRUSTED	16

/* Why the reader of f's file is not to be acted on (enum sw_untrusted_file):
 * anyone who could change the bytes could otherwise get the reader killed. */
static __always_inline u32 file_untrusted(const struct fp *f, u32 reader_uid)
{
	/* Locals first: inside BPF_CORE_READ, f->mapping would be relocated. */
	struct address_space *as = (struct address_space *)f->mapping;
	struct inode *host = BPF_CORE_READ(as, host);
	struct super_block *sb = BPF_CORE_READ(host, i_sb);
	u32 owner = BPF_CORE_READ(host, i_uid.val);
	u16 mode = BPF_CORE_READ(host, i_mode);

	if (owner && owner != reader_uid)
		return SW_UNTRUSTED_OWNER;
	if (mode & (SW_S_IWGRP | SW_S_IWOTH))
		return SW_UNTRUSTED_WRITABLE;
	if (BPF_CORE_READ(sb, s_magic) == FUSE_SUPER_MAGIC)
		return SW_UNTRUSTED_FUSE;
	if (BPF_CORE_READ(sb, s_user_ns, level))
		return SW_UNTRUSTED_USERNS;
	return SW_UNTRUSTED_NONE;
}

/* enforce --verify: acts on the task about to take f's changed bytes out of
 * the pipe, before they move (the signal is pending when the splice looks);
 * report()'s how: the action taken and why none. */
static __noinline u32 act_on_reader(const struct fp *f)
{
	struct task_struct *task = bpf_get_current_task_btf();
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 cgroup = bpf_get_current_cgroup_id();
	char comm[SW_TASK_COMM_LEN];
	u32 untrusted, action;

	untrusted = file_untrusted(f, (u32)bpf_get_current_uid_gid());
	bpf_get_current_comm(comm, sizeof(comm));
	if (untrusted)
		action = SW_ACT_REPORTED;
	/* As for writers: never pid 1, kernel threads, ourselves, the allowlists. */
	else if (pid <= 1 || pid == self_tgid || (task->flags & PF_KTHREAD) ||
		 allowlisted(&pid, &cgroup, comm))
		action = SW_ACT_ALLOWED;
	else if (reader_action == SW_ACT_WOULD_KILL)
		action = SW_ACT_WOULD_KILL;
	else {
		bpf_send_signal(reader_signal);
		action = reader_signal == SIGKILL ? SW_ACT_KILLED : SW_ACT_SIGNALLED;
	}
	return action << REPORT_ACTION | untrusted << REPORT_UNTRUSTED;
}

/* Reports f's bytes changed from before_digest to now_digest, found at
 * point. The action was decided before, in a frame of its own (512 bytes of
 * stack in all). */
static __noinline void report(const struct fp *f, u64 before_digest, u64 now_digest, u32 point,
			      u32 how)
{
	struct sw_change_event *ev;
	struct address_space *as;
	struct sw_path_walk p;
	struct inode *host;
	struct dentry *dentry;
	bool truncated;
	u64 tgid_pid;
	u32 action = (how >> REPORT_ACTION) & 0xff;

	if (scope_cgroup_id && !f->splicer_in_scope &&
	    (point == SW_CHECK_SWEEP || !task_in_cgroup(scope_cgroup_id, scope_cgroup_level)))
		return;		/* not COMMAND's: neither counted nor sent */
	vcount(SW_VCNT_CHANGED);
	ev = bpf_ringbuf_reserve(&change_events, sizeof(*ev), 0);
	if (!ev) {
		vcount(SW_VCNT_LOST);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->fingerprint_ns = f->fingerprint_ns;
	ev->held_ns = ev->ts_ns - f->held_since_ns;
	ev->before = before_digest;
	ev->after = now_digest;
	/* A local first: inside BPF_CORE_READ, f->mapping would be relocated too. */
	as = (struct address_space *)f->mapping;
	host = BPF_CORE_READ(as, host);
	ev->ino = BPF_CORE_READ(host, i_ino);
	ev->dev = BPF_CORE_READ(host, i_sb, s_dev);
	ev->offset = (s64)(f->index << SW_PAGE_SHIFT) + f->offset;
	ev->len = f->len;
	ev->pipe_ino = f->pipe_ino;
	ev->point = point;
	if (point == SW_CHECK_SWEEP) {
		ev->pid = ev->tid = ev->uid = 0;
		ev->comm[0] = 0;
	} else {
		tgid_pid = bpf_get_current_pid_tgid();
		ev->pid = tgid_pid >> 32;
		ev->tid = (u32)tgid_pid;
		ev->uid = (u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	}
	ev->splicer_pid = f->splicer_pid;
	ev->splicer_uid = f->splicer_uid;
	__builtin_memcpy(ev->splicer_comm, f->splicer_comm, sizeof(ev->splicer_comm));
	/* The path within the file's filesystem: a held page has no struct
	 * file, hence no mount. */
	ev->flags = SW_EVF_PATH_FS_RELATIVE | (how & REPORT_LANDED ? SW_CHANGE_LANDED : 0);
	ev->action = action;
	ev->untrusted = (how >> REPORT_UNTRUSTED) & 0xff;
	ev->signal = action == SW_ACT_KILLED || action == SW_ACT_SIGNALLED ? reader_signal : 0;
	dentry = mapping_dentry(f->mapping);
	ev->path_off = SW_PATH_MAX - 1;
	ev->path_len = 0;
	if (dentry) {
		sw_path_start(&p, ev->buf, SW_PATH_MAX - 1, dentry, NULL);
		SW_PATH_RUN(change_path, &p, NULL, SW_PATH_DEPTH);
		sw_path_finish(&p, &truncated);
		if (truncated)
			ev->flags |= SW_EVF_PATH_TRUNCATED;
		ev->path_off = p.off & (SW_PATH_MAX - 1);
		ev->path_len = SW_PATH_MAX - 1 - ev->path_off;
	}
	bpf_ringbuf_submit(ev, 0);
}

#endif /* SW_VERIFY_REPORT_BPF_H */
