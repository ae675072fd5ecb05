/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syscall attach "none" (fentry and kprobe backends, issue 21): no
 * sys_enter or sys_exit program, so a syscall splicewatch does not watch runs
 * no program. What sys_enter did is done by the kernel functions of each path
 * (rw_verify_area, vfs_fallocate, do_ftruncate, vfs_truncate and
 * security_path_truncate, the splice reads, do_splice, do_tee, vmsplice,
 * pipe_fcntl: mostly the backup hooks, loaded for good). What sys_exit did at the end of a syscall is done here,
 * at the return of the kernel function the syscall called (docs/syscall-attach.md):
 *
 * - the write mark ends (clear_mark): splice, fallocate and ftruncate leave
 *   the task's write count alone, so a mark of one call would stand for the
 *   next call on the same file;
 * - a refusal the LSM hook never reached (deny_pending) ends;
 * - truncate(path)'s noted length ends.
 *
 * And the frontend's live check and heartbeat (sys_enter and sys_exit saw
 * its getppid): fcntl(F_GETPIPE_SZ) on a pipe of its own, in pipe_fcntl,
 * which nothing but the pipe size fcntls reaches.
 * Included from splicewatch.bpf.c after the programs it builds on.
 */
#ifndef SW_DETECT_CALL_END_BPF_H
#define SW_DETECT_CALL_END_BPF_H

static __always_inline void call_ends(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (marks_on())
		clear_mark();
	if (deny_mode && bpf_map_lookup_elem(&deny_pending, &tid))
		bpf_map_delete_elem(&deny_pending, &tid);
}

/* The frontend's pipe size fcntl: the programs run (wait_hooks_live) and
 * still run (the heartbeat). */
static __always_inline void live_seen(void)
{
	if (bpf_get_current_pid_tgid() >> 32 != self_tgid)
		return;
	counters[SW_CNT_LIVE_ENTER] = 1;
	count(SW_CNT_LIVE_EXIT, 1);
}

#define CALL_END_HOOKS(fn, extra)						\
SEC("fexit/" #fn)								\
int sw_fexit_##fn(u64 *ctx)							\
{										\
	call_ends();								\
	extra;									\
	return 0;								\
}										\
SEC("kretprobe/" #fn)								\
int BPF_KRETPROBE(sw_kretprobe_##fn)						\
{										\
	call_ends();								\
	extra;									\
	return 0;								\
}

CALL_END_HOOKS(vfs_fallocate, )
CALL_END_HOOKS(do_ftruncate, )
CALL_END_HOOKS(do_sys_ftruncate, )
CALL_END_HOOKS(vfs_truncate, forget_cut())

#endif /* SW_DETECT_CALL_END_BPF_H */
