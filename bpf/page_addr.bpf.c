// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where a held page's bytes are: the two programs the frontend runs (with
 * BPF_PROG_TEST_RUN, in its own task) to find and check the bases of
 * bpf/lib/page_addr.bpf.h on pages it vmspliced into a pipe of its own.
 * src/page_addr.c says which ways are tried and why each is safe.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "page_nonce.h"
#include "lib/kobj.bpf.h"
#include "lib/page_addr.bpf.h"
#include "lib/pipe_ring.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* x86-64's KASLR bases, where kallsyms lists data symbols (KALLSYMS_ALL). */
extern const void page_offset_base __ksym __weak;
extern const void vmemmap_base __ksym __weak;

/* In. */
int pipe_fd = -1;
__u64 map_base, linear_base, max_pfn, digest_key;

/* Out: sw_page_find. (__u64: the skeleton names these types.) */
__u64 held_page[SW_NONCE_PAGES];
__u32 held_offset[SW_NONCE_PAGES];
__u64 pipe_addr;
__u64 ksym_linear_base, ksym_map_base;
__u32 page_struct_size;
/* Out: sw_page_check. */
__u64 held_digest[SW_NONCE_PAGES];
int held_read_err[SW_NONCE_PAGES];

/* The struct page of each of the first buffers of the pipe at pipe_fd. The
 * task's fd table through CO-RE reads (kobj.bpf.h's fd_to_file takes BTF
 * pointers in this build, which 5.10 cannot give), the pipe and its ring
 * through bpf/lib's. */
SEC("raw_tp")
int sw_page_find(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct pipe_inode_info *pipe;
	struct inode *inode;
	struct file *file = NULL;
	struct pipe_buffer buf;
	struct pipe_ring r;

	page_struct_size = bpf_core_type_size(struct page);
	if (bpf_ksym_exists(&page_offset_base))
		bpf_probe_read_kernel(&ksym_linear_base, 8, &page_offset_base);
	if (bpf_ksym_exists(&vmemmap_base))
		bpf_probe_read_kernel(&ksym_map_base, 8, &vmemmap_base);
	if (pipe_fd < 0 || (u32)pipe_fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &BPF_CORE_READ(fdt, fd)[pipe_fd]);
	pipe = file_pipe_of(file, &inode);
	if (!pipe || read_ring(pipe, &r))
		return 0;
	pipe_addr = (u64)pipe;
	for (u32 i = 0; i < SW_NONCE_PAGES; i++) {
		if (read_buf(&r, r.tail + i, &buf))
			return 0;
		held_page[i] = (u64)buf.page;
		held_offset[i] = buf.offset;
	}
	return 0;
}

/* The digest of the nonce bytes at each held page's address under the bases
 * given. A read that faults is an error, never a digest. */
SEC("raw_tp")
int sw_page_check(void *ctx)
{
	for (u32 i = 0; i < SW_NONCE_PAGES; i++) {
		u64 w[SW_NONCE_WORDS];
		u64 va = page_linear_address(held_page[i], map_base, linear_base, max_pfn);

		held_digest[i] = 0;
		held_read_err[i] = va ? bpf_probe_read_kernel(w, sizeof(w), (void *)va) : -34 /* ERANGE: outside the page array */;
		if (!held_read_err[i])
			held_digest[i] = sw_nonce_digest(w, digest_key);
	}
	return 0;
}
