// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* An unsafe-write event as the frontend reports it: its path and its JSON
 * object (the keys of `trace --json`, also the findings of a ci report). */
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "event.h"
#include "identity.h"
#include "names.h"
#include "aggregate.h"
#include "verify_event.h"

/* Mount point of the filesystem with kernel dev_t `kdev`, from mountinfo. */
static bool fs_mountpoint(uint32_t kdev, char *out, size_t cap)
{
	unsigned maj, min;
	char root[4096], mnt[4096], line[8192];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, mnt) != 4)
			continue;
		if (maj == sw_kdev_major(kdev) && min == sw_kdev_minor(kdev) && !strcmp(root, "/")) {
			snprintf(out, cap, "%s", strcmp(mnt, "/") ? mnt : "");
			found = true;
		}
	}
	fclose(f);
	return found;
}

bool sw_path_of(uint32_t kdev, bool fs_relative, const char *path, size_t len, char *buf,
		size_t cap)
{
	char mnt[4096];

	mnt[0] = 0;
	if (fs_relative && !fs_mountpoint(kdev, mnt, sizeof(mnt))) {
		snprintf(buf, cap, "%.*s", (int)len, path);
		return false;
	}
	snprintf(buf, cap, "%s%.*s", mnt, (int)len, path);
	return true;
}

/* The event's path, made absolute when the kernel could only give it relative to
 * its filesystem (stores through a mapping). Returns false if it stays relative. */
bool sw_event_path(const struct sw_event *ev, char *buf, size_t cap)
{
	return sw_path_of(ev->dev, ev->flags & SW_EVF_PATH_FS_RELATIVE, ev->path, ev->path_len,
			  buf, cap);
}

void sw_json_stamp(struct json *j, int64_t real_ns)
{
	json_time(j, "time", real_ns);
	json_str(j, "node", sw_node());
}

/* The hold a record is of, as unsafe_write and unexplained_change both
 * write it: these keys, in this order. */
struct hold_view {
	int64_t offset;
	uint64_t len;
	uint64_t pipe_ino;
	uint32_t splicer_pid;
	uint32_t splicer_uid;
	const char *splicer_comm;	/* SW_TASK_COMM_LEN bytes */
};

/* key with h's value, or null where no hold is known (h NULL). */
#define HOLD_KEY(j, h, key, write, ...) ((h) ? write(j, key, __VA_ARGS__) : json_null(j, key))

static void hold_view_json(struct json *j, const struct hold_view *h)
{
	HOLD_KEY(j, h, "held_offset", json_i64, h->offset);
	HOLD_KEY(j, h, "held_len", json_u64, h->len);
	HOLD_KEY(j, h, "pipe_ino", json_u64, h->pipe_ino);
	HOLD_KEY(j, h, "splicer_pid", json_u64, h->splicer_pid);
	HOLD_KEY(j, h, "splicer_comm", json_strn, h->splicer_comm,
		 sw_comm_len(h->splicer_comm));
	HOLD_KEY(j, h, "splicer_uid", json_u64, h->splicer_uid);
}

/* An unsafe_write's hold, its holder's identity and the pipe's owner; each
 * null for a write of which no hold is known (SW_EVF_HOLD_UNKNOWN). */
static void hold_json(struct json *j, const struct sw_event *ev)
{
	const struct sw_event *held = ev->flags & SW_EVF_HOLD_UNKNOWN ? NULL : ev;
	struct hold_view h = {
		.offset = ev->held_offset, .len = ev->held_len, .pipe_ino = ev->pipe_ino,
		.splicer_pid = ev->splicer_pid, .splicer_uid = ev->splicer_uid,
		.splicer_comm = ev->splicer_comm,
	};

	hold_view_json(j, held ? &h : NULL);
	sw_identity_splicer_json(j, held);
	HOLD_KEY(j, held, "pipe_uid", json_u64, held->pipe_uid);
}

void sw_event_json(struct json *j, const struct sw_event *ev, const int64_t *mono_to_real_ns)
{
	sw_event_json_agg(j, ev, mono_to_real_ns, NULL);
}

/* An aggregate line's keys (--aggregate): the records it stands for (the
 * fields before are the last one's); lines that are no aggregate have no
 * count. */
static void agg_json(struct json *j, const struct sw_agg_info *agg, const int64_t *mono_to_real_ns)
{
	json_u64(j, "count", agg->count);
	if (mono_to_real_ns) {
		json_time(j, "first_time", (int64_t)agg->first_ts_ns + *mono_to_real_ns);
		json_time(j, "last_time", (int64_t)agg->last_ts_ns + *mono_to_real_ns);
	}
	json_u64(j, "first_ts_ns", agg->first_ts_ns);
	json_u64(j, "last_ts_ns", agg->last_ts_ns);
}

void sw_event_json_agg(struct json *j, const struct sw_event *ev, const int64_t *mono_to_real_ns,
		       const struct sw_agg_info *agg)
{
	char buf[2 * SW_PATH_MAX], dev[SW_DEV_STR_MAX];
	const char *path = ev->path;
	size_t path_len = strnlen(ev->path, ev->path_len);
	bool absolute = true;

	/* Only a store through a mapping needs its mount point looked up; other
	 * paths go out from the event itself, not through a copy. */
	if (ev->flags & SW_EVF_PATH_FS_RELATIVE) {
		absolute = sw_event_path(ev, buf, sizeof(buf));
		path = buf;
		path_len = strlen(buf);
	}

	json_obj_begin(j, NULL);
	json_u64(j, "ts_ns", ev->ts_ns);
	if (mono_to_real_ns)
		json_i64(j, "time_ns", (int64_t)ev->ts_ns + *mono_to_real_ns);
	sw_json_stamp(j, (int64_t)ev->ts_ns + (mono_to_real_ns ? *mono_to_real_ns : sw_mono_to_real_now()));
	json_str(j, "event", "unsafe_write");
	json_str(j, "op", sw_op_name(ev->op));
	json_u64(j, "pid", ev->pid);
	json_u64(j, "tid", ev->tid);
	json_strn(j, "comm", ev->comm, sw_comm_len(ev->comm));
	json_u64(j, "uid", ev->uid);
	json_u64(j, "cgroup_id", ev->cgroup_id);
	sw_identity_writer_json(j, ev);
	sw_kdev_str(dev, sizeof(dev), ev->dev);
	json_str(j, "dev", dev);
	json_u64(j, "ino", ev->ino);
	json_strn(j, "path", path, path_len);
	json_i64(j, "write_offset", ev->write_offset);
	if (ev->write_len)
		json_u64(j, "write_len", ev->write_len);
	else
		json_null(j, "write_len");	/* to end of file */
	hold_json(j, ev);
	json_bool(j, "holder_trusted", ev->flags & SW_EVF_HOLDER_TRUSTED);
	if (ev->flags & SW_EVF_HOLD_UNKNOWN)
		json_null(j, "held_ns");
	else
		json_u64(j, "held_ns", ev->held_ns);
	json_str(j, "action", sw_action_name(ev->action));
	if (ev->signal)
		json_str(j, "signal", signal_name(ev->signal));
	if (ev->flags & SW_EVF_RANGE_PAGE)
		json_bool(j, "range_page_granular", true);
	if (ev->flags & SW_EVF_LEN_UNKNOWN)
		json_bool(j, "len_unknown", true);
	if (ev->flags & SW_EVF_PATH_TRUNCATED)
		json_bool(j, "path_truncated", true);
	if (ev->flags & SW_EVF_IN_SOFTIRQ)
		json_bool(j, "in_softirq", true);
	if (ev->flags & SW_EVF_HANDED_OFF)
		json_bool(j, "handed_off", true);
	if (ev->flags & SW_EVF_HOLD_UNKNOWN)
		json_bool(j, "hold_unknown", true);
	/* enforce --on-untracked: the hold is a mark of untracked holds, its
	 * range the pages they were of. */
	if (ev->flags & SW_EVF_HOLD_UNTRACKED)
		json_str(j, "untracked_reason", sw_untracked_reason_name(ev->reason));
	if (!absolute)
		json_bool(j, "path_fs_relative", true);
	if (agg)
		agg_json(j, agg, mono_to_real_ns);
	json_obj_end(j);
}

void sw_untracked_json(struct json *j, const struct sw_event *ev, const int64_t *mono_to_real_ns)
{
	char dev[SW_DEV_STR_MAX];

	json_obj_begin(j, NULL);
	json_u64(j, "ts_ns", ev->ts_ns);
	if (mono_to_real_ns)
		json_i64(j, "time_ns", (int64_t)ev->ts_ns + *mono_to_real_ns);
	sw_json_stamp(j, (int64_t)ev->ts_ns + (mono_to_real_ns ? *mono_to_real_ns : sw_mono_to_real_now()));
	json_str(j, "event", "untracked_hold");
	json_str(j, "reason", sw_untracked_reason_name(ev->reason));
	json_u64(j, "splicer_pid", ev->pid);
	json_u64(j, "splicer_uid", ev->splicer_uid);
	json_strn(j, "splicer_comm", ev->comm, sw_comm_len(ev->comm));
	/* The file: known where a page of it was looked at (dev null and ino 0
	 * for ring_too_large, and pipes_full on a ring too long to look through). */
	sw_kdev_str(dev, sizeof(dev), ev->dev);
	json_str(j, "dev", ev->ino ? dev : NULL);
	json_u64(j, "ino", ev->ino);
	json_u64(j, "pipe_ino", ev->pipe_ino);
	json_obj_end(j);
}

static const char *const check_names[SW_CHECK__COUNT] = {
	[SW_CHECK_DRAIN] = "drain",
	[SW_CHECK_RELEASE] = "release",
	[SW_CHECK_SWEEP] = "sweep",
};

const char *sw_check_name(uint32_t point)
{
	return point < SW_CHECK__COUNT ? check_names[point] : "unknown";
}

static const char *const untrusted_names[SW_UNTRUSTED__COUNT] = {
	[SW_UNTRUSTED_NONE] = "none",
	[SW_UNTRUSTED_OWNER] = "owner",
	[SW_UNTRUSTED_WRITABLE] = "group_or_other_writable",
	[SW_UNTRUSTED_FUSE] = "fuse",
	[SW_UNTRUSTED_USERNS] = "user_namespace_mount",
};

const char *sw_untrusted_file_name(uint32_t why)
{
	return why < SW_UNTRUSTED__COUNT ? untrusted_names[why] : "unknown";
}

static void hex64(char *buf, uint64_t v)
{
	snprintf(buf, 17, "%016llx", (unsigned long long)v);
}

void sw_change_json(struct json *j, const struct sw_change_event *c, const char *path,
		    bool absolute, int64_t mono_to_real_ns, const struct sw_agg_info *agg)
{
	char dev[SW_DEV_STR_MAX], before[17], after[17];

	json_obj_begin(j, NULL);
	json_u64(j, "ts_ns", c->ts_ns);
	json_i64(j, "time_ns", (int64_t)c->ts_ns + mono_to_real_ns);
	sw_json_stamp(j, (int64_t)c->ts_ns + mono_to_real_ns);
	json_str(j, "event", "unexplained_change");
	json_str(j, "check", sw_check_name(c->point));
	sw_kdev_str(dev, sizeof(dev), c->dev);
	json_str(j, "dev", dev);
	json_u64(j, "ino", c->ino);
	json_str(j, "path", path);
	if (!absolute)
		json_bool(j, "path_fs_relative", true);
	if (c->flags & SW_EVF_PATH_TRUNCATED)
		json_bool(j, "path_truncated", true);
	hold_view_json(j, &(struct hold_view){
		.offset = c->offset, .len = c->len, .pipe_ino = c->pipe_ino,
		.splicer_pid = c->splicer_pid, .splicer_uid = c->splicer_uid,
		.splicer_comm = c->splicer_comm,
	});
	json_u64(j, "held_ns", c->held_ns);
	/* Who was taking the bytes out (drain) or closing the pipe (release);
	 * the sweep has none. */
	if (c->point == SW_CHECK_SWEEP) {
		json_null(j, "pid");
		json_null(j, "tid");
		json_null(j, "comm");
		json_null(j, "uid");
	} else {
		json_u64(j, "pid", c->pid);
		json_u64(j, "tid", c->tid);
		json_strn(j, "comm", c->comm, sw_comm_len(c->comm));
		json_u64(j, "uid", c->uid);
	}
	hex64(before, c->before);
	hex64(after, c->after);
	json_str(j, "fingerprint_before", before);
	json_str(j, "fingerprint_after", after);
	json_str(j, "action", sw_action_name(c->action));
	if (c->signal)
		json_str(j, "signal", signal_name(c->signal));
	if (c->untrusted)
		json_str(j, "untrusted_file", sw_untrusted_file_name(c->untrusted));
	if (agg)
		agg_json(j, agg, &mono_to_real_ns);
	json_obj_end(j);
}
