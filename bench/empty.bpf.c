// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of `make bench`: programs that do nothing, attached where
 * splicewatch attaches (tp_btf/sys_enter, tp_btf/sys_exit) and where it could
 * attach instead (one syscall's tracepoint, or fentry on the syscall itself).
 * bench/empty_loader attaches the ones named on its command line.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

u64 counter;

/* Every syscall of every task, like sw_sys_enter. */
SEC("tp_btf/sys_enter")
int BPF_PROG(empty_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

/* What sw_sys_enter does when nothing is held: one load of a global and out. */
SEC("tp_btf/sys_enter")
int BPF_PROG(gate_enter, struct pt_regs *regs, long id)
{
	if (!counter)
		return 0;
	return 1;
}

/* Per-syscall tracepoint: the program runs for pwrite64 only, but enabling any
 * syscall tracepoint still sends every syscall through the tracing slow path. */
SEC("tracepoint/syscalls/sys_enter_pwrite64")
int tp_pwrite_enter(void *ctx)
{
	return 0;
}

/*
 * The whole set the tracepoint backend would need with per-syscall tracepoints
 * (the floor of "syscall attach: per-syscall"): an enter program on every
 * syscall sw_sys_enter checks (and getppid, the start-up handshake), an exit
 * program on every syscall sys_exit() acts on (hold learning, drains, marks,
 * deny_pending, the heartbeat). Names as in tracefs on x86-64 (sendfile is
 * sendfile64 there).
 */
#define EMPTY_TP(dir, sc)						\
SEC("tracepoint/syscalls/sys_" #dir "_" #sc)				\
int ps_##dir##_##sc(void *ctx)						\
{									\
	return 0;							\
}
#define EMPTY_TP_BOTH(sc) EMPTY_TP(enter, sc) EMPTY_TP(exit, sc)
/* checked at entry, marks cleared at exit */
EMPTY_TP_BOTH(write)
EMPTY_TP_BOTH(pwrite64)
EMPTY_TP_BOTH(writev)
EMPTY_TP_BOTH(pwritev)
EMPTY_TP_BOTH(pwritev2)
EMPTY_TP_BOTH(copy_file_range)
EMPTY_TP_BOTH(splice)
EMPTY_TP_BOTH(sendfile64)
EMPTY_TP_BOTH(fallocate)
EMPTY_TP_BOTH(ftruncate)
EMPTY_TP_BOTH(truncate)
EMPTY_TP_BOTH(getppid)
/* exit only: pipes gaining or losing buffers */
EMPTY_TP(exit, tee)
EMPTY_TP(exit, vmsplice)
EMPTY_TP(exit, read)
EMPTY_TP(exit, readv)
EMPTY_TP(exit, preadv2)
EMPTY_TP(exit, fcntl)

/* fentry on the syscall's own entry point: no syscall-wide work at all. */
SEC("fentry/__x64_sys_pwrite64")
int BPF_PROG(fentry_pwrite, struct pt_regs *regs)
{
	return 0;
}

/*
 * The floor of "syscall attach: none" on the fentry and kprobe backends
 * (bench/vm-ab.sh --attach floor): empty programs where splicewatch's run
 * for the A/B loops there: rw_verify_area (every read and write; a pwrite
 * runs it alone), the splice read (file -> pipe: 6.5+ filemap_splice_read,
 * before generic_file_splice_read) and do_splice's return. The kprobe
 * backend takes the splice read and do_splice with a kprobe and a
 * kretprobe each.
 */
#define EMPTY_FN(kind, fn)						\
SEC(#kind "/" #fn)							\
int none_##kind##_##fn(void *ctx)					\
{									\
	return 0;							\
}
EMPTY_FN(fentry, rw_verify_area)
EMPTY_FN(fexit, filemap_splice_read)
EMPTY_FN(fexit, generic_file_splice_read)
EMPTY_FN(fexit, do_splice)
EMPTY_FN(kprobe, rw_verify_area)
EMPTY_FN(kprobe, filemap_splice_read)
EMPTY_FN(kretprobe, filemap_splice_read)
EMPTY_FN(kprobe, generic_file_splice_read)
EMPTY_FN(kretprobe, generic_file_splice_read)
EMPTY_FN(kprobe, do_splice)
EMPTY_FN(kretprobe, do_splice)
