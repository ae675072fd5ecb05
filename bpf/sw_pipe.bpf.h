/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Small kernel-object helpers for reading files and pipe rings from BPF,
 * shared by splicewatch.bpf.c and stats.bpf.c.
 */
#ifndef SW_PIPE_BPF_H
#define SW_PIPE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "sw_compat.bpf.h"

#ifndef S_IFMT
#define S_IFMT		00170000
#define S_IFIFO		0010000
#define S_IFSOCK	0140000
#endif
#define MAPPING_FLAGS	3UL	/* anon / movable / KSM tag bits of page->mapping */
#define MAX_RING	(1U << 16)

static __always_inline struct file *fd_to_file(long fd)
{
	struct task_struct *task = sw_current_task();
#ifdef SW_COMPAT
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	unsigned int max_fds = BPF_CORE_READ(fdt, max_fds);
#else
	struct fdtable *fdt = task->files->fdt;
	struct file **fds = fdt->fd;
	unsigned int max_fds = fdt->max_fds;
#endif
	struct file *file = NULL;

	if (fd < 0 || fd >= max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline struct pipe_inode_info *inode_pipe(struct inode *inode)
{
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFIFO)
		return NULL;
	return BPF_CORE_READ(inode, i_pipe);
}

/* 7.x renamed page->compound_head to compound_info; with a power-of-2 struct
 * page it may hold a mask (head = page & mask) instead of the head pointer. */
struct page___info {
	unsigned long compound_info;
} __attribute__((preserve_access_index));

struct page___head {
	unsigned long compound_head;
} __attribute__((preserve_access_index));

/* The folio a page belongs to: tail pages of a large folio encode their head. */
static __always_inline struct folio *page_folio_of(struct page *page)
{
	unsigned long info, mask;

	if (bpf_core_field_exists(struct page___info, compound_info))
		info = BPF_CORE_READ((struct page___info *)page, compound_info);
	else
		info = BPF_CORE_READ((struct page___head *)page, compound_head);
	if (!(info & 1))
		return (struct folio *)page;
	mask = info & ~1UL;
	/* A mask is ~(2^k - 1); a head pointer practically never is. */
	if (!(~mask & (~mask + 1)))
		return (struct folio *)((unsigned long)page & mask);
	return (struct folio *)mask;
}

/* The address_space of a page-cache folio; 0 for anonymous, KSM, movable or no mapping. */
static __always_inline u64 folio_file_mapping(struct folio *folio)
{
	u64 mapping = (u64)BPF_CORE_READ(folio, mapping);

	if (mapping & MAPPING_FLAGS)
		return 0;
	return mapping;
}

struct pipe_ring {
	struct pipe_buffer *bufs;
	u32 head;
	u32 tail;
	u32 mask;
};

static __always_inline int read_ring(struct pipe_inode_info *pipe, struct pipe_ring *r)
{
	u32 size;

	r->bufs = BPF_CORE_READ(pipe, bufs);
	r->head = BPF_CORE_READ(pipe, head);
	r->tail = BPF_CORE_READ(pipe, tail);
	size = BPF_CORE_READ(pipe, ring_size);
	if (!r->bufs || !size || (size & (size - 1)) || r->head - r->tail > size)
		return -1;
	r->mask = size - 1;
	return 0;
}

static __always_inline int read_buf(struct pipe_ring *r, u32 seq, struct pipe_buffer *buf)
{
	return bpf_probe_read_kernel(buf, sizeof(*buf), &r->bufs[seq & r->mask]);
}

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
 * between steps (compat programs, bpf/sw_compat.bpf.h): buf is where
 * saved->buf pointed, stored pointers reading back as numbers. 1: stop. */
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

#endif /* SW_PIPE_BPF_H */
