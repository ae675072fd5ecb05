/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every kernel type whose layout differs between the kernels splicewatch runs
 * on (5.10 to 7.x), as libbpf CO-RE "___" variants: each names the kernel
 * change that needs it. Code picks a variant with bpf_core_field_exists();
 * relocation makes each one's field offsets those of the running kernel.
 */
#ifndef SW_CORE_FIXES_BPF_H
#define SW_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

#ifdef SW_COMPAT
/* struct folio appeared in 5.16 (compat builds run before 5.17): a folio is
 * its head page there, whose mapping and index sit where a folio's do. */
struct page___folio {
	struct address_space *mapping;
	unsigned long index;
} __attribute__((preserve_access_index));
#define folio page___folio
#endif

#ifdef SW_COMPAT
/* Idmapped mounts (5.12) gave a vfsmount its user namespace and put one
 * first in do_truncate's arguments: the field tells the kernels that do. */
struct vfsmount___userns {
	struct user_namespace *mnt_userns;
} __attribute__((preserve_access_index));
#endif

/* 6.13 replaced file->f_count (the count of references) with f_ref, a
 * file_ref_t that holds the count less one. */
struct file___f_count {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

struct file_ref___sw {
	atomic_long_t refcnt;
} __attribute__((preserve_access_index));

struct file___f_ref {
	struct file_ref___sw f_ref;
} __attribute__((preserve_access_index));

/* 7.x renamed page->compound_head to compound_info; with a power-of-2 struct
 * page it may hold a mask (head = page & mask) instead of the head pointer. */
struct page___info {
	unsigned long compound_info;
} __attribute__((preserve_access_index));

struct page___head {
	unsigned long compound_head;
} __attribute__((preserve_access_index));

/* task_struct->loginuid exists only with CONFIG_AUDIT (CONFIG_AUDITSYSCALL
 * before 5.x): a kernel without it has no login uid to tell. */
struct task_struct___audit {
	kuid_t loginuid;
} __attribute__((preserve_access_index));

/* dentry->d_u.d_alias became an anonymous union member in 7.x. */
struct dentry___anon_alias {
	struct hlist_node d_alias;
} __attribute__((preserve_access_index));

struct dentry___d_u {
	union {
		struct hlist_node d_alias;
	} d_u;
} __attribute__((preserve_access_index));

/* user_data moved into req->cqe in 5.19. */
struct io_kiocb___user_data {
	u64 user_data;
} __attribute__((preserve_access_index));

/* An io_uring ring's fixed files: an array of tagged file pointers, bounded
 * by ctx->nr_user_files, until 6.13 made each a resource node (data.nodes,
 * bounded by data.nr). Either way the pointer's low bits are flags. */
struct io_fixed_file___ptr {
	unsigned long file_ptr;
} __attribute__((preserve_access_index));

struct io_file_table___files {
	struct io_fixed_file___ptr *files;
} __attribute__((preserve_access_index));

struct io_ring_ctx___files {
	struct io_file_table___files file_table;
	unsigned int nr_user_files;
} __attribute__((preserve_access_index));

struct io_rsrc_node___file {
	unsigned long file_ptr;
} __attribute__((preserve_access_index));

struct io_rsrc_data___nodes {
	unsigned int nr;
	struct io_rsrc_node___file **nodes;
} __attribute__((preserve_access_index));

struct io_file_table___nodes {
	struct io_rsrc_data___nodes data;
} __attribute__((preserve_access_index));

struct io_ring_ctx___nodes {
	struct io_file_table___nodes file_table;
} __attribute__((preserve_access_index));

/* Before 6.1 a cgroup kept its ancestors' ids (cgroup->ancestor_ids[level]),
 * since then pointers to them (cgroup->ancestors[level]). */
struct cgroup___ids {
	u64 ancestor_ids[0];
} __attribute__((preserve_access_index));

/* The crypto requests' scatterlists (include/crypto/aead.h, skcipher.h; not in every
 * vmlinux.h the programs are built with: crypto may be modules there). */
struct aead_request___sw {
	struct scatterlist *src;
	struct scatterlist *dst;
} __attribute__((preserve_access_index));

struct skcipher_request___sw {
	struct scatterlist *src;
	struct scatterlist *dst;
} __attribute__((preserve_access_index));

#endif /* SW_CORE_FIXES_BPF_H */
