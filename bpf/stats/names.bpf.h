/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stats: file kinds and names; a file's path noted the first time a row
 * names it (the lib's path walker over a per-CPU buffer).
 */
#ifndef SW_STATS_NAMES_BPF_H
#define SW_STATS_NAMES_BPF_H

#include "maps.bpf.h"
#include "../lib/kobj.bpf.h"

static __always_inline u32 file_kind(struct file *file)
{
	u32 mode;

	if (!file)
		return SW_FK_NONE;
	mode = BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;
	if (mode == S_IFIFO)
		return SW_FK_PIPE;
	if (mode == S_IFSOCK)
		return SW_FK_SOCK;
	return SW_FK_FILE;
}

static __always_inline struct path_scratch *this_cpu_scratch(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&pscratch, &zero);
}

SW_PATH_WALKER(path, NAME_BUF - 1, NAME_FLOOR, struct path_scratch, this_cpu_scratch())

/* Remember the path of a file the first time a row names it. */
static __always_inline void note_file(struct file *file, struct sw_file_key *fk, u32 kind)
{
	struct sw_path_walk p;
	struct path_scratch *s;
	struct sw_file_info *info;
	bool truncated;
	u32 len;

	if (kind != SW_FK_FILE || bpf_map_lookup_elem(&files, fk))
		return;
	s = this_cpu_scratch();
	if (!s)
		return;
	info = &s->info;
	info->kind = kind;
	info->flags = 0;
	info->path[0] = 0;
	sw_path_start(&p, s->tmp, NAME_BUF - 1, BPF_CORE_READ(file, f_path.dentry),
		      BPF_CORE_READ(file, f_path.mnt));
	SW_PATH_RUN(path, &p, &s->walk, NAME_DEPTH);
	sw_path_finish(&p, &truncated);
	if (truncated)
		info->flags |= SW_FILEF_TRUNCATED;
	if (p.off >= NAME_BUF - 1) {
		info->path[0] = '/';
		info->path[1] = 0;
	} else {
		len = NAME_BUF - 1 - p.off + 1;	/* with the NUL */
		bpf_probe_read_kernel(info->path, len & (SW_STATS_PATH - 1),
				      &s->tmp[p.off & (NAME_BUF - 1)]);
		info->path[SW_STATS_PATH - 1] = 0;
	}
	bpf_map_update_elem(&files, fk, info, BPF_NOEXIST);
}

static __always_inline void file_key(struct file *file, struct sw_file_key *fk)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	fk->ino = BPF_CORE_READ(inode, i_ino);
	fk->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	fk->pad = 0;
}

#endif /* SW_STATS_NAMES_BPF_H */
