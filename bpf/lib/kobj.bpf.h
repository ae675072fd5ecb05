/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel object access shared by both objects: the file behind an fd, the
 * pipe behind an inode (and whether a remembered one is still that pipe),
 * the folio, mapping and file index of a page, the dentry of a mapping.
 * Page decoding is written once here: every walk that meets a pipe buffer's
 * page goes through it.
 */
#ifndef SW_KOBJ_BPF_H
#define SW_KOBJ_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "core_fixes.bpf.h"
#include "kernel_defs.bpf.h"

static __always_inline struct file *fd_to_file(long fd_reg)
{
	/* The kernel takes an fd as an int or unsigned int (fdget(unsigned
	 * int)): the register's high half is ignored, and so must it be here,
	 * or an fd with it set would name no file to us and a file to the
	 * kernel (a write nobody checks). */
	u32 fd = (u32)fd_reg;
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

	if (fd >= max_fds)
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

/* The pipe behind file, or NULL; *inode: file's inode (file not NULL). */
static __always_inline struct pipe_inode_info *file_pipe_of(struct file *file,
							    struct inode **inode)
{
	if (!file)
		return NULL;
	*inode = BPF_CORE_READ(file, f_inode);
	return inode_pipe(*inode);
}

/* file as a plain number: callers pass it on to global functions, which take
 * no typed pointers. */
static __always_inline bool file_is_pipe(u64 file)
{
	return inode_pipe(BPF_CORE_READ((struct file *)file, f_inode)) != NULL;
}

/* Is inode still the pipe (address pipe, inode number ino) it was when
 * remembered? A freed pipe's inode is reused or no longer a FIFO. */
static __always_inline bool pipe_inode_current(struct inode *inode, u64 pipe, u64 ino)
{
	return (u64)BPF_CORE_READ(inode, i_pipe) == pipe &&
	       BPF_CORE_READ(inode, i_ino) == ino &&
	       (BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFIFO;
}

/* The folio of a page whose compound word (compound_head, 7.x compound_info)
 * is info: tail pages encode their head, as a pointer or (7.x, power-of-2
 * struct page) as a mask. */
static __always_inline struct folio *folio_of_compound(struct page *page, unsigned long info)
{
	unsigned long mask;

	if (!(info & 1))
		return (struct folio *)page;
	mask = info & ~1UL;
	/* A mask is ~(2^k - 1); a head pointer practically never is. */
	if (!(~mask & (~mask + 1)))
		return (struct folio *)((unsigned long)page & mask);
	return (struct folio *)mask;
}

/* The folio a page belongs to. */
static __always_inline struct folio *page_folio_of(struct page *page)
{
	unsigned long info;

	if (bpf_core_field_exists(struct page___info, compound_info))
		info = BPF_CORE_READ((struct page___info *)page, compound_info);
	else
		info = BPF_CORE_READ((struct page___head *)page, compound_head);
	return folio_of_compound(page, info);
}

/* The address_space of a page-cache folio; 0 for anonymous, KSM, movable or no mapping. */
static __always_inline u64 folio_file_mapping(struct folio *folio)
{
	u64 mapping = (u64)BPF_CORE_READ(folio, mapping);

	if (mapping & PAGE_MAPPING_FLAGS)
		return 0;
	return mapping;
}

/* Pages between a folio's head and this page. struct page is 64 bytes on
 * every kernel splicewatch runs on: a shift, where a 64-bit division per
 * buffer is a measurable part of a sync. */
static __always_inline u64 page_offset_in_folio(struct page *page, struct folio *folio)
{
	u64 diff = (u64)page - (u64)folio;

	if (bpf_core_type_size(struct page) == 64)
		return diff >> 6;
	return diff / bpf_core_type_size(struct page);
}

/* The first bytes of a struct page (or folio): its compound word, and a
 * folio's mapping and index, in one probe read. */
#define PAGE_WINDOW	64

struct page_window {
	u64 w[PAGE_WINDOW / 8];
};

/* The folio of the last page looked up, with its file mapping (0: not a
 * page-cache folio) and index: large folios span many pipe buffers. */
struct folio_memo {
	struct folio *folio;
	u64 mapping;
	u64 index;
};

static __always_inline u64 window_word(struct page_window *pw, u32 off)
{
	return pw->w[(off / 8) % (PAGE_WINDOW / 8)];
}

static __always_inline u32 compound_off(void)
{
	if (bpf_core_field_exists(struct page___info, compound_info))
		return bpf_core_field_offset(struct page___info, compound_info);
	return bpf_core_field_offset(struct page___head, compound_head);
}

/* Sets m to this page's folio, mapping and index through the window pw;
 * false if the kernel's layout does not fit the window (then the caller
 * reads field by field, folio_memo_fields). */
static __always_inline bool folio_memo_window(struct folio_memo *m, struct page_window *pw,
					      struct page *page)
{
	u32 ch = compound_off(), moff = bpf_core_field_offset(struct folio, mapping),
	    ioff = bpf_core_field_offset(struct folio, index);
	struct folio *folio;
	unsigned long info;
	u64 mapping;

	if (ch % 8 || moff % 8 || ioff % 8 || ch >= PAGE_WINDOW || moff >= PAGE_WINDOW ||
	    ioff >= PAGE_WINDOW)
		return false;
	if (bpf_probe_read_kernel(pw, sizeof(*pw), page))
		goto none;
	info = window_word(pw, ch);
	if (info & 1) {
		/* A tail page: its folio's fields are elsewhere. */
		folio = folio_of_compound(page, info);
		if (folio == m->folio)
			return true;
		if (bpf_probe_read_kernel(pw, sizeof(*pw), folio))
			goto none;
	} else {
		folio = (struct folio *)page;
		if (folio == m->folio)
			return true;
	}
	m->folio = folio;
	mapping = window_word(pw, moff);
	m->mapping = mapping & PAGE_MAPPING_FLAGS ? 0 : mapping;
	m->index = m->mapping ? window_word(pw, ioff) : 0;
	return true;
none:
	m->folio = NULL;
	m->mapping = 0;
	return true;
}

/* The same, field by field. */
static __always_inline void folio_memo_fields(struct folio_memo *m, struct page *page)
{
	struct folio *folio = page_folio_of(page);

	if (folio != m->folio) {
		m->folio = folio;
		m->mapping = folio_file_mapping(folio);
		m->index = m->mapping ? BPF_CORE_READ(folio, index) : 0;
	}
}

/* A dentry of the inode behind mapping (its first alias), or NULL. */
static __always_inline struct dentry *mapping_dentry(u64 mapping)
{
	struct address_space *as = (struct address_space *)mapping;
	struct hlist_node *alias = BPF_CORE_READ(as, host, i_dentry.first);
	u32 off;

	if (!alias)
		return NULL;
	if (bpf_core_field_exists(struct dentry___anon_alias, d_alias))
		off = bpf_core_field_offset(struct dentry___anon_alias, d_alias);
	else
		off = bpf_core_field_offset(struct dentry___d_u, d_u.d_alias);
	return (struct dentry *)((void *)alias - off);
}

/* ci --scope cgroup: is the current task in cgroup id (at level in the
 * hierarchy) or below it? Its default-hierarchy cgroup's ancestor at level
 * (from the task, not a helper: bpf_get_current_ancestor_cgroup_id is not
 * offered to tracing programs before 6.1). A pid reused by an outside process, or a
 * process of the tree that re-parented itself, cannot change the answer:
 * only a move to another cgroup can (which takes write access to both). */
static __always_inline bool task_in_cgroup(u64 id, u64 level)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp), *anc = NULL;
	u64 got = 0;

	if (!cg || level > 1024 || BPF_CORE_READ(cg, level) < (int)level)
		return false;
	if (bpf_core_field_exists(cg->ancestors)) {
		bpf_probe_read_kernel(&anc, sizeof(anc),
				      (void *)cg + bpf_core_field_offset(struct cgroup, ancestors) +
					      level * sizeof(anc));
		got = BPF_CORE_READ(anc, kn, id);
	} else {
		bpf_probe_read_kernel(&got, sizeof(got),
				      (void *)cg + bpf_core_field_offset(struct cgroup___ids,
									 ancestor_ids) +
					      level * sizeof(got));
	}
	return got == id;
}

#endif /* SW_KOBJ_BPF_H */
