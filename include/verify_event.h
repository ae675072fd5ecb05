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
	SW_CHECK_DRAIN,		/* before a read, splice or tee took bytes out of the pipe */
	SW_CHECK_RELEASE,	/* at a close of the pipe */
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
	u32 flags;		/* SW_EVF_PATH_* */
	char comm[SW_TASK_COMM_LEN];
	char splicer_comm[SW_TASK_COMM_LEN];
	u32 path_off;		/* the path is buf[path_off, path_off + path_len) */
	u32 path_len;
	/* The path is built backwards, a name of up to 255 bytes at a time
	 * stored at an offset below SW_PATH_MAX: room for the last one. */
	char buf[SW_PATH_MAX + 256];
};

#endif
