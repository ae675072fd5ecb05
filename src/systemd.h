/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * systemd integration (dist/splicewatch.service, docs/operations.md): the
 * service manager's notifications and the journal output. libsystemd is
 * dlopen'ed (libsystemd.so.0) when first needed, so the binary has no hard
 * dependency on it.
 */
#ifndef SW_SYSTEMD_H
#define SW_SYSTEMD_H

#include <stddef.h>
#include "sw.h"

/*
 * sd_notify(3) STATE ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..."):
 * nothing at all without $NOTIFY_SOCKET (not started by systemd with
 * Type=notify); said once on stderr when it is set but libsystemd cannot be
 * loaded.
 */
void sw_notify(const char *state);
/* RELOADING=1 with MONOTONIC_USEC (as systemd 253+ wants it), before a reload. */
void sw_notify_reloading(void);

/*
 * One unsafe-write event to the journal (sd_journal_sendv): MESSAGE= the text
 * line, SPLICEWATCH_<KEY>= each field of its JSON object (key upper-cased),
 * PRIORITY= warning when reported, err when killed, killed_late or denied,
 * SYSLOG_IDENTIFIER=splicewatch. Where the journal cannot take it (no
 * libsystemd, no journal socket) the text line goes to syslog(3) instead
 * (LOG_DAEMON, same priority), said once on stderr. Returns 0 (syslog(3)
 * says nothing of a failure).
 */
int sw_journal_event(const struct sw_event *ev, const int64_t *mono_to_real_ns,
		     const char *text, size_t text_len);
/* An --aggregate line the same way, with its count and times as fields. */
struct sw_agg_info;
int sw_journal_event_agg(const struct sw_event *ev, const int64_t *mono_to_real_ns,
			 const struct sw_agg_info *agg, const char *text, size_t text_len);
/* An untracked hold (a capacity event) the same way, at warning. */
int sw_journal_untracked(const struct sw_event *ev, const int64_t *mono_to_real_ns,
			 const char *text, size_t text_len);

/* An unexplained change (--verify) the same way: err when its reader was
 * acted on (killed, signalled), warning otherwise. */
struct sw_change_event;
int sw_journal_change(const struct sw_change_event *c, const char *path, bool absolute,
		      int64_t mono_to_real_ns, const struct sw_agg_info *agg,
		      const char *text, size_t text_len);

#endif
