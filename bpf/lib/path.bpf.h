/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A file's path from its dentry and mount, for both objects: the buffer, its
 * size and how many components to walk are the caller's (the detection
 * object's report, stats' file names).
 *
 *   SW_PATH_WALKER(path, mask, floor, struct scratch, lookup)
 *	defines path_cb, the bpf_loop step (and, compat, path_step, a global
 *	function that resumes the walk kept in lookup's ->walk over ->tmp);
 *   sw_path_start(&p, buf, end, dentry, vfsmnt), then
 *   SW_PATH_RUN(path, &p, &scratch->walk, depth) walks;
 *   sw_path_finish(&p, &truncated) gives the mount it ended in and whether
 *   it stopped short of the root.
 */
#ifndef SW_PATH_BPF_H
#define SW_PATH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"

/* A file's path, built backwards name by name into buf[off..], crossing mount
 * points up to the namespace root (with no vfsmnt: up to its filesystem's). */
struct sw_path_walk {
	char *buf;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	u32 off;
	bool truncated;
};

/* One bpf_loop step. mask (buffer size - 1, a power of 2) and floor (the
 * lowest offset the path may reach) must be constants: they bound the stores. */
static __always_inline long sw_path_step(struct sw_path_walk *p, u32 mask, u32 floor)
{
	struct dentry *dentry = p->dentry, *parent;
	struct vfsmount *vfsmnt = p->vfsmnt;
	struct mount *mnt = p->mnt;
	struct qstr name;
	u32 len;

	if (vfsmnt && dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		struct mount *parent_mnt = BPF_CORE_READ(mnt, mnt_parent);

		if (parent_mnt == mnt)
			return 1;	/* reached the namespace root */
		p->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		p->mnt = parent_mnt;
		p->vfsmnt = &parent_mnt->mnt;
		return 0;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (parent == dentry)
		return 1;
	name = BPF_CORE_READ(dentry, d_name);
	len = name.len;
	if (len > 255)
		len = 255;
	if (p->off < len + 1 + floor) {
		p->truncated = true;
		return 1;
	}
	p->off -= len;
	bpf_probe_read_kernel(&p->buf[p->off & mask], len & 255, name.name);
	p->off -= 1;
	p->buf[p->off & mask] = '/';
	p->dentry = parent;
	return 0;
}

#ifdef SW_COMPAT
/* step (the bpf_loop callback) on a walk whose state is kept in map memory
 * between steps (compat programs, compat.bpf.h): buf is where saved->buf
 * pointed, stored pointers reading back as numbers. 1: stop. */
static __always_inline int sw_path_resume(struct sw_path_walk *saved, char *buf,
					  long (*step)(u64 i, void *data))
{
	struct sw_path_walk p = *saved;
	long stop;

	p.buf = buf;
	stop = step(0, &p);
	*saved = p;
	return stop ? 1 : 0;
}
#endif

/* A walk of dentry under vfsmnt (NULL: up to its filesystem's root) into buf,
 * the path ending at buf[end] (its NUL). */
static __always_inline void sw_path_start(struct sw_path_walk *p, char *buf, u32 end,
					  struct dentry *dentry, struct vfsmount *vfsmnt)
{
	p->buf = buf;
	p->off = end;
	p->dentry = dentry;
	p->vfsmnt = vfsmnt;
	p->mnt = container_of(vfsmnt, struct mount, mnt);
	p->truncated = false;
	buf[end] = 0;
}

/* After a walk: the mount it ended in (NULL: it had none), read once, and
 * *truncated: it stopped short of the root (too deep for the walk, too long
 * for the buffer). Callers test the mount returned, not p->vfsmnt again: a
 * second read after the walk is a new unknown to the verifier, which then
 * explores combinations that cannot happen. A local also keeps
 * BPF_CORE_READ from relocating p->vfsmnt (sw_path_walk is no kernel type). */
static __always_inline struct vfsmount *sw_path_finish(struct sw_path_walk *p, bool *truncated)
{
	struct vfsmount *vfsmnt = p->vfsmnt;

	*truncated = p->truncated || (vfsmnt && p->dentry != BPF_CORE_READ(vfsmnt, mnt_root));
	return vfsmnt;
}

/* mask: buffer size - 1 (a power of 2); floor: the lowest offset the path may
 * reach; type and lookup: the scratch (with walk and tmp) of a compat walk. */
#ifdef SW_COMPAT
#define SW_PATH_WALKER(name, mask, floor, type, lookup)			\
static long name##_cb(u64 i, void *data)					\
{										\
	return sw_path_step(data, mask, floor);					\
}										\
/* One step of this walk, verified once. */					\
__noinline int name##_step(u32 i)						\
{										\
	type *s = lookup;							\
										\
	return s ? sw_path_resume(&s->walk, s->tmp, name##_cb) : 1;		\
}

/* Walks up to depth components; saved: where the walk is kept between steps. */
#define SW_PATH_RUN(name, p, saved, depth)					\
	do {									\
		*(saved) = *(p);						\
		for (u32 __i = 0; __i < (depth); __i++)				\
			if (name##_step(__i))					\
				break;						\
		*(p) = *(saved);						\
	} while (0)
#else
#define SW_PATH_WALKER(name, mask, floor, type, lookup)			\
static long name##_cb(u64 i, void *data)					\
{										\
	return sw_path_step(data, mask, floor);					\
}

#define SW_PATH_RUN(name, p, saved, depth)	bpf_loop(depth, name##_cb, p, 0)
#endif

#endif /* SW_PATH_BPF_H */
