/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An unsafe-write event as the frontend reports it (event.c). */
#ifndef SW_EVENT_H
#define SW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "json.h"
#include "splicewatch.h"

/* The event's path, made absolute when the kernel could only give it relative
 * to its filesystem (stores through a mapping). Returns false if it stays relative. */
bool sw_event_path(const struct sw_event *ev, char *buf, size_t cap);
/* The same for a path of len bytes on the filesystem kdev (fs_relative: the
 * path within it). */
bool sw_path_of(uint32_t kdev, bool fs_relative, const char *path, size_t len, char *buf,
		size_t cap);
/* The keys every JSON record of every command carries: "time" (real_ns as
 * RFC 3339 UTC with nanoseconds) and "node" (sw_node()). */
void sw_json_stamp(struct json *j, int64_t real_ns);

/* The event as one JSON object; mono_to_real_ns (NULL: no "time_ns", and
 * "time" from the clocks' offset now) turns its CLOCK_MONOTONIC time into
 * wall-clock time. */
void sw_event_json(struct json *j, const struct sw_event *ev, const int64_t *mono_to_real_ns);
/* The same with the keys of an aggregate line (agg NULL: none). */
struct sw_agg_info;
void sw_event_json_agg(struct json *j, const struct sw_event *ev, const int64_t *mono_to_real_ns,
		       const struct sw_agg_info *agg);

/* An untracked hold (SW_EV_CAPACITY) as one JSON object: why (reason), whose
 * (splicer_pid, splicer_uid, splicer_comm), which file (dev, ino; null and 0: not known)
 * and pipe (pipe_ino). */
void sw_untracked_json(struct json *j, const struct sw_event *ev, const int64_t *mono_to_real_ns);

struct sw_change_event;
/* Where a content check found a change: "drain", "release", "sweep". */
const char *sw_check_name(uint32_t point);
/* enforce --verify: why a reader was not acted on (enum sw_untrusted_file). */
const char *sw_untrusted_file_name(uint32_t why);
/* An unexplained change as one JSON object (trace --verify's record, an
 * element of ci --verify's report): path resolved by sw_path_of, absolute
 * when made absolute with its mount point. With agg, the aggregate line of
 * folded changes (--aggregate): count and the first and last change's
 * times, as an unsafe write's. */
void sw_change_json(struct json *j, const struct sw_change_event *c, const char *path,
		    bool absolute, int64_t mono_to_real_ns, const struct sw_agg_info *agg);

#endif
