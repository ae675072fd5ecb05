// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The address of a held page's bytes: the bases of bpf/lib/page_addr.bpf.h,
 * found one way or another and trusted only after a check on pages whose
 * bytes only this process knows.
 *
 * The check: two anonymous pages start with SW_NONCE_BYTES from getrandom,
 * written there and nowhere else; vmsplice puts the pages themselves (not a
 * copy) in a pipe of ours, where sw_page_find reads their struct page
 * pointers. A way's bases pass when sw_page_check, reading at each page's
 * computed address, gets a keyed digest of both nonces: a wrong base reads
 * another page, or faults.
 *
 * The ways, in order (docs/content-checks.md has the sources):
 *  - ksym: x86-64 randomizes page_offset_base and vmemmap_base (KASLR);
 *    kallsyms lists them where the kernel has CONFIG_KALLSYMS_ALL.
 *  - constants: arm64's linear map and vmemmap start at addresses fixed by
 *    the build's VA size and the kernel's layout (changed in 6.9); every
 *    layout is tried.
 *  - learnt: the nonce page's PFN (/proc/self/pagemap: CAP_SYS_ADMIN) gives
 *    the struct page array's origin exactly. The linear map's start is
 *    aligned to 1 GiB and below the pipe_inode_info (slab memory: linear
 *    map), at most the span of physical memory below it: one candidate per
 *    GiB. Every address a candidate reads lies within that span of the true
 *    base: RAM in the linear map or the unmapped room around it (x86-64
 *    keeps at least 10 TiB for the linear map; arm64 a half of the kernel's
 *    address space), never device memory.
 * Nothing is read outside [map_base, map_base + max_pfn pages) of struct
 * page (page_linear_address).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "load.h"
#include "page_addr.h"
#include "page_nonce.h"
#include "page_addr.skel.h"

#define GiB	(1ULL << 30)

static const char *const way_names[SW_PAGE_WAY__COUNT] = {
	[SW_PAGE_WAY_NONE] = "none",
	[SW_PAGE_WAY_KSYM] = "ksym",
	[SW_PAGE_WAY_CONSTANTS] = "constants",
	[SW_PAGE_WAY_LEARNT] = "learnt",
};

const char *sw_page_way_name(enum sw_page_way way)
{
	return (unsigned)way < SW_PAGE_WAY__COUNT ? way_names[way] : "none";
}

/* arm64, 4 KiB pages: vmemmap's start and PAGE_OFFSET
 * (arch/arm64/include/asm/memory.h). */
static const struct {
	uint64_t map_base, linear_base;
	const char *what;
} arm64_layouts[] = {
	{ 0xfffffc0000000000ULL, 0xffff000000000000ULL, "48-bit VA, before 6.9" },
	{ 0xfffffdffc0000000ULL, 0xffff000000000000ULL, "48-bit VA, 6.9 on" },
	{ 0xffffc1ffc0000000ULL, 0xfff0000000000000ULL, "52-bit VA, 6.9 on" },
	{ 0xffffc00000000000ULL, 0xfff0000000000000ULL, "52-bit VA, before 6.9" },
};

struct probe {
	struct page_addr_bpf *skel;
	int find_fd, check_fd;
	void *pages;		/* SW_NONCE_PAGES, page-aligned */
	uint64_t digest[SW_NONCE_PAGES];
	uint64_t pfn[SW_NONCE_PAGES];
	int64_t skew;		/* SPLICEWATCH_TEST_PAGE_ADDR_SKEW: read the page this many frames on */
};

/* Both nonces read through these bases? */
static bool check(struct probe *p, uint64_t map_base, uint64_t linear_base)
{
	struct page_addr_bpf__bss *b = p->skel->bss;

	b->map_base = map_base - (uint64_t)p->skew * b->page_struct_size;
	b->linear_base = linear_base;
	if (sw_run_program(p->check_fd))
		return false;
	for (int i = 0; i < SW_NONCE_PAGES; i++)
		if (b->held_read_err[i] || (uint64_t)b->held_digest[i] != p->digest[i])
			return false;
	return true;
}

/* The highest page frame of RAM, from /proc/iomem (root reads its
 * addresses); else twice the RAM's, room for holes below 4 GiB. */
static uint64_t max_pfn(void)
{
	uint64_t top = 0, start, end;
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");

	while (f && fgets(line, sizeof(line), f))
		if (line[0] != ' ' && strstr(line, ": System RAM") &&
		    sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2 && end + 1 > top)
			top = end + 1;
	if (f)
		fclose(f);
	if (!top)
		top = 2 * (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE) + 4 * GiB;
	return top / (uint64_t)sysconf(_SC_PAGESIZE);
}

/* The nonce pages' PFNs; 0 where pagemap hides them (no CAP_SYS_ADMIN). */
static void read_pfns(struct probe *p)
{
	long psz = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	for (int i = 0; i < SW_NONCE_PAGES; i++) {
		uint64_t e = 0;
		uintptr_t va = (uintptr_t)p->pages + (uintptr_t)i * psz;

		p->pfn[i] = 0;
		if (fd >= 0 && pread(fd, &e, 8, (off_t)(va / psz * 8)) == 8 && (e >> 63))
			p->pfn[i] = e & ((1ULL << 55) - 1);
	}
	if (fd >= 0)
		close(fd);
}

static bool try_ksym(struct probe *p, struct sw_page_addr *pa)
{
	struct page_addr_bpf__bss *b = p->skel->bss;

	if (!b->ksym_linear_base || !b->ksym_map_base) {
		snprintf(pa->detail, sizeof(pa->detail), "ksym: page_offset_base and vmemmap_base "
			 "not in kallsyms");
		return false;
	}
	if (!check(p, b->ksym_map_base, b->ksym_linear_base)) {
		snprintf(pa->detail, sizeof(pa->detail), "ksym: the nonce check failed");
		return false;
	}
	pa->map_base = b->ksym_map_base;
	pa->linear_base = b->ksym_linear_base;
	snprintf(pa->detail, sizeof(pa->detail), "page_offset_base and vmemmap_base");
	return true;
}

static bool try_constants(struct probe *p, struct sw_page_addr *pa)
{
#if defined(__aarch64__)
	for (size_t i = 0; i < sizeof(arm64_layouts) / sizeof(arm64_layouts[0]); i++) {
		if (!check(p, arm64_layouts[i].map_base, arm64_layouts[i].linear_base))
			continue;
		pa->map_base = arm64_layouts[i].map_base;
		pa->linear_base = arm64_layouts[i].linear_base;
		snprintf(pa->detail, sizeof(pa->detail), "arm64, %s", arm64_layouts[i].what);
		return true;
	}
	snprintf(pa->detail, sizeof(pa->detail), "constants: no arm64 layout passed the nonce check");
#else
	(void)p;
	(void)arm64_layouts;
	snprintf(pa->detail, sizeof(pa->detail), "constants: none for this architecture");
#endif
	return false;
}

static bool try_learnt(struct probe *p, struct sw_page_addr *pa)
{
	struct page_addr_bpf__bss *b = p->skel->bss;
	uint64_t size = b->page_struct_size, map_base, top;

	read_pfns(p);
	if (!p->pfn[0] || !p->pfn[1]) {
		snprintf(pa->detail, sizeof(pa->detail), "learnt: /proc/self/pagemap gives no PFN "
			 "(needs CAP_SYS_ADMIN)");
		return false;
	}
	map_base = b->held_page[0] - p->pfn[0] * size;
	if (b->held_page[1] - p->pfn[1] * size != map_base || !b->pipe_addr) {
		snprintf(pa->detail, sizeof(pa->detail), "learnt: the nonce pages disagree on "
			 "the struct page array");
		return false;
	}
	top = b->pipe_addr & ~(GiB - 1);
	for (uint64_t k = 0; k * GiB <= pa->max_pfn * (uint64_t)sysconf(_SC_PAGESIZE) + GiB &&
	     k * GiB <= top; k++) {
		if (!check(p, map_base, top - k * GiB))
			continue;
		pa->map_base = map_base;
		pa->linear_base = top - k * GiB;
		snprintf(pa->detail, sizeof(pa->detail), "from a nonce page's PFN and struct page");
		return true;
	}
	snprintf(pa->detail, sizeof(pa->detail), "learnt: no linear map base passed the nonce check");
	return false;
}

static int prepare(struct probe *p, struct sw_page_addr *pa, int pipefd[2])
{
	long psz = sysconf(_SC_PAGESIZE);
	struct iovec iov[SW_NONCE_PAGES];
	const char *skew = getenv("SPLICEWATCH_TEST_PAGE_ADDR_SKEW");
	uint64_t key;

	p->skew = skew ? strtoll(skew, NULL, 10) : 0;
	p->skel = page_addr_bpf__open_and_load();
	if (!p->skel) {
		snprintf(pa->detail, sizeof(pa->detail), "its programs did not load: %s",
			 strerror(errno));
		return -1;
	}
	p->find_fd = bpf_program__fd(p->skel->progs.sw_page_find);
	p->check_fd = bpf_program__fd(p->skel->progs.sw_page_check);
	p->pages = mmap(NULL, SW_NONCE_PAGES * psz, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->pages == MAP_FAILED) {
		p->pages = NULL;
		snprintf(pa->detail, sizeof(pa->detail), "mmap: %s", strerror(errno));
		return -1;
	}
	/* Best effort: the pipe's reference keeps the pages where they are. */
	mlock(p->pages, SW_NONCE_PAGES * psz);
	if (getrandom(&key, sizeof(key), 0) != sizeof(key)) {
		snprintf(pa->detail, sizeof(pa->detail), "getrandom: %s", strerror(errno));
		return -1;
	}
	p->skel->bss->digest_key = key;
	for (int i = 0; i < SW_NONCE_PAGES; i++) {
		uint64_t *w = (uint64_t *)((char *)p->pages + i * psz);

		if (getrandom(w, SW_NONCE_BYTES, 0) != SW_NONCE_BYTES) {
			snprintf(pa->detail, sizeof(pa->detail), "getrandom: %s", strerror(errno));
			return -1;
		}
		p->digest[i] = sw_nonce_digest((const unsigned long long *)w, key);
		iov[i] = (struct iovec){ .iov_base = w, .iov_len = psz };
	}
	if (pipe2(pipefd, O_CLOEXEC) ||
	    vmsplice(pipefd[1], iov, SW_NONCE_PAGES, 0) != SW_NONCE_PAGES * psz) {
		snprintf(pa->detail, sizeof(pa->detail), "pipe, vmsplice: %s", strerror(errno));
		return -1;
	}
	p->skel->data->pipe_fd = pipefd[0];
	p->skel->bss->max_pfn = pa->max_pfn;
	if (sw_run_program(p->find_fd) || !p->skel->bss->held_page[0] || !p->skel->bss->held_page[1] ||
	    p->skel->bss->held_offset[0] || p->skel->bss->held_offset[1]) {
		snprintf(pa->detail, sizeof(pa->detail), "the nonce pages were not found in the pipe");
		return -1;
	}
	pa->page_struct_size = p->skel->bss->page_struct_size;
	return 0;
}

int sw_page_addr_find(struct sw_page_addr *pa)
{
	static bool (*const ways[SW_PAGE_WAY__COUNT])(struct probe *, struct sw_page_addr *) = {
		[SW_PAGE_WAY_KSYM] = try_ksym,
		[SW_PAGE_WAY_CONSTANTS] = try_constants,
		[SW_PAGE_WAY_LEARNT] = try_learnt,
	};
	const char *force = getenv("SPLICEWATCH_PAGE_ADDR");
	char tried[SW_PAGE_WAY__COUNT][160] = { { 0 } };
	struct probe p = { 0 };
	int pipefd[2] = { -1, -1 }, rc = -1;
	long psz = sysconf(_SC_PAGESIZE);

	memset(pa, 0, sizeof(*pa));
	pa->max_pfn = max_pfn();
	if (force) {
		int w;

		for (w = 1; w < SW_PAGE_WAY__COUNT && strcmp(force, way_names[w]); w++)
			;
		if (w == SW_PAGE_WAY__COUNT) {
			snprintf(pa->detail, sizeof(pa->detail), "SPLICEWATCH_PAGE_ADDR=%s: not "
				 "ksym, constants or learnt", force);
			return -1;
		}
	}
	if (prepare(&p, pa, pipefd))
		goto out;
	rc = 0;
	for (int w = 1; w < SW_PAGE_WAY__COUNT; w++) {
		if (force && strcmp(force, way_names[w]))
			continue;
		if (ways[w](&p, pa)) {
			pa->way = w;
			goto out;
		}
		memcpy(tried[w], pa->detail, sizeof(tried[w]));
	}
	/* Why each way tried failed, in order. */
	pa->detail[0] = '\0';
	for (int w = 1; w < SW_PAGE_WAY__COUNT; w++)
		if (tried[w][0])
			snprintf(pa->detail + strlen(pa->detail), sizeof(pa->detail) - strlen(pa->detail),
				 "%s%s", pa->detail[0] ? "; " : "", tried[w]);
out:
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	if (p.pages)
		munmap(p.pages, SW_NONCE_PAGES * psz);
	page_addr_bpf__destroy(p.skel);
	return rc;
}
