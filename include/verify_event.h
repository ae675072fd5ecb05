/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Content checks (--verify): what the verify object (bpf/verify.bpf.c) and
 * the frontend (src/verify.c) share.
 */
#ifndef SW_VERIFY_EVENT_H
#define SW_VERIFY_EVENT_H

#include "splicewatch.h"

/* Held buffers fingerprinted at once; more are counted, not checked. */
#define SW_VERIFY_MAX_HOLDS	65536

/* Where a held range was checked (unexplained_change's "check"). */
enum sw_check_point {
	SW_CHECK_DRAIN,		/* before a read, splice or tee took bytes out of the pipe
				 * (io_uring: as the request was submitted) */
	SW_CHECK_RELEASE,	/* as the pipe's open file is let go of (close, exit, ...) */
	SW_CHECK_SWEEP,		/* the periodic sweep of every held range */
	SW_CHECK__COUNT
};

enum sw_verify_counter {
	SW_VCNT_FINGERPRINTED,	/* held ranges fingerprinted (new or after a partial read) */
	SW_VCNT_CHECKED,	/* held ranges checked */
	SW_VCNT_CHANGED,	/* checks that found other bytes (events; ci: COMMAND's only) */
	SW_VCNT_UNREADABLE,	/* fingerprints or checks whose read faulted */
	SW_VCNT_FULL,		/* held ranges not fingerprinted: the table was full */
	SW_VCNT_LOST,		/* change events the ring buffer had no room for */
	SW_VCNT__COUNT
};

/* enforce --verify: why the reader of changed bytes was not acted on
 * (unexplained_change's "untrusted_file"). Anyone who can change a file's
 * bytes could otherwise get every reader of it killed; a change to a file
 * only root and the reader's own user can write is theirs or the kernel's. */
enum sw_untrusted_file {
	SW_UNTRUSTED_NONE,
	SW_UNTRUSTED_OWNER,	/* owned by neither root nor the reader */
	SW_UNTRUSTED_WRITABLE,	/* group or other may write it (an ACL's named entries need
				 * the group class's write bit) */
	SW_UNTRUSTED_FUSE,	/* a FUSE file: its server writes the page cache */
	SW_UNTRUSTED_USERNS,	/* on a filesystem a user namespace mounted */
	SW_UNTRUSTED__COUNT
};

/* sw_change_event flags, beside SW_EVF_PATH_* */
#define SW_CHANGE_LANDED	(1U << 28)	/* a noted write that landed there explains it */

struct sw_change_event {
	u64 ts_ns;		/* CLOCK_MONOTONIC */
	u64 fingerprint_ns;	/* when the bytes were fingerprinted */
	u64 held_ns;		/* how long the pipe has held them */
	u64 before, after;	/* the fingerprints */
	u64 ino;
	s64 offset;		/* file offset of the held range */
	u64 len;
	u64 pipe_ino;
	u32 point;		/* enum sw_check_point */
	u32 dev;		/* kernel dev_t */
	u32 pid, tid, uid;	/* who was taking the bytes (drain, release); 0: the sweep */
	u32 splicer_pid, splicer_uid;
	u32 flags;		/* SW_EVF_PATH_*, SW_CHANGE_* */
	u32 action;		/* SW_ACT_*: what enforce did to the reader (REPORTED: nothing) */
	u32 untrusted;		/* enum sw_untrusted_file: why it did nothing */
	u32 signal;		/* the signal sent (KILLED, SIGNALLED) */
	char comm[SW_TASK_COMM_LEN];
	char splicer_comm[SW_TASK_COMM_LEN];
	u32 path_off;		/* the path is buf[path_off, path_off + path_len) */
	u32 path_len;
	/* The path is built backwards, a name of up to 255 bytes at a time
	 * stored at an offset below SW_PATH_MAX: room for the last one. */
	char buf[SW_PATH_MAX + 256];
};

#endif
