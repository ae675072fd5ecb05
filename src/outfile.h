/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The files splicewatch writes, usually as root: every output path (trace and
 * enforce -o, ci --report, --junit and --write-baseline, and standard output
 * for stats and top) goes through here, so that each gets the same rules
 * (docs/operations.md, Output files):
 *
 *  - "-" (or no path) is standard output, taken as it is.
 *  - The path is walked one component at a time without the kernel following
 *    symbolic links: a link is followed only where it lies in a directory no
 *    user but root (and the user running splicewatch) can change; the last
 *    component is never followed. So a link planted by another user, in a
 *    directory they own, cannot point a root write at another file.
 *  - Only a regular file with one link, or a FIFO that has a reader when it
 *    is opened (else refused at once: never a hang), is written; directories,
 *    devices, sockets and symbolic links are refused with the reason.
 *  - New files are created with O_EXCL, mode 0600.
 *  - SW_OUT_APPEND (event logs): an existing file is appended to, never
 *    truncated; sw_outfile_reopen() opens the path again (after a rotation).
 *    SW_OUT_REPLACE (reports): written to a new temporary file in the same
 *    directory, renamed over the path by sw_outfile_commit(); a FIFO is
 *    written directly.
 *
 * Writes are counted in records (an event, a snapshot): the stream buffers
 * them in memory, sw_outfile_flush() writes them with write(2) and counts a
 * record delivered only once all its bytes are written. The first write
 * error (its errno, not a later one) ends the file: later flushes fail at once.
 */
#ifndef SW_OUTFILE_H
#define SW_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum sw_out_mode {
	SW_OUT_APPEND,
	SW_OUT_REPLACE,
};

struct sw_outfile {
	bool open;		/* from sw_outfile_open to sw_outfile_abort */
	FILE *f;		/* write here; NULL when not open */
	const char *path;	/* NULL: standard output */
	enum sw_out_mode mode;
	int fd;
	int dirfd;		/* SW_OUT_REPLACE: the directory of path */
	char tmp[64];		/* SW_OUT_REPLACE: the temporary file's name in it */
	char *buf;		/* written to f, not yet to fd */
	size_t len, cap;
	size_t counted_end;	/* end of the last record counted in buf */
	size_t *ends;		/* ends of counted records in buf */
	uint64_t *weights;	/* what each counts for in delivered */
	size_t nends, capends;
	uint64_t delivered;	/* counted records written in full (by weight) */
	int err;		/* errno of the first failed write; 0: none */
	bool fifo;		/* fd is a FIFO or a pipe */
	bool tty;		/* fd is standard output on a terminal */
};

/*
 * Opens path (NULL or "-": standard output) as the rules above say. Returns
 * 0, or -1 after saying why ("cannot write to 'PATH': reason").
 */
int sw_outfile_open(struct sw_outfile *o, const char *path, enum sw_out_mode mode);
/* The bytes written to o->f since the last mark form one record; counted:
 * it counts in o->delivered once written (an event shown). */
void sw_outfile_mark(struct sw_outfile *o, bool counted);
/* The same for a record that counts n times (an --aggregate line: the
 * writes it stands for); 0: not counted. */
void sw_outfile_mark_n(struct sw_outfile *o, uint64_t n);
/* Writes what o->f holds. Returns 0, or -1 with o->err set (the first
 * failure's errno; every later call fails the same way). */
int sw_outfile_flush(struct sw_outfile *o);
/* Has the reader of a pipe or FIFO gone (it would fail with EPIPE), or the
 * terminal hung up (EIO)? Sets o->err then. Never true for files. */
bool sw_outfile_reader_gone(struct sw_outfile *o);
/* Flushes, then opens the path again (standard output: nothing to do);
 * -1 after saying why, and the old file stays in use. SW_OUT_APPEND only. */
int sw_outfile_reopen(struct sw_outfile *o);
/* Flushes and closes; SW_OUT_REPLACE: renames the temporary file over the
 * path, or removes it when anything failed. Returns 0, or -1 after saying
 * why (what: "the JSON report", "events"). */
int sw_outfile_commit(struct sw_outfile *o, const char *what);
/* Closes without committing: a temporary file is removed. Nothing for a
 * zeroed struct never opened. */
void sw_outfile_abort(struct sw_outfile *o);

#endif
