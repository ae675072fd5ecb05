// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* swtest: splicewatch's counters, read from its BPF programs' .bss map. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <sys/syscall.h>
#include "splicewatch.h"
#include "swtest.h"
#include "swtest_sw.h"

/* ---- splicewatch's counters, read from its .bss map ------------------------ */

/* The BPF programs count in `u64 counters[SW_CNT__COUNT]` (.bss). Found as
 * bpftool would: the map ids behind splicewatch's fds (/proc/PID/fdinfo), the
 * map whose BTF value (DATASEC) has a variable "counters"; read by lookup. */
static int bss_fd = -1;
static uint32_t bss_size, counters_off;

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* Bytes after a struct btf_type of this kind and vlen; -1 unknown kind. */
static long btf_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case 1: case 14: case 17: return 4;		/* INT, VAR, DECL_TAG */
	case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18:
		return 0;
	case 3: return sizeof(struct btf_array);
	case 4: case 5: return vlen * sizeof(struct btf_member);
	case 6: return vlen * sizeof(struct btf_enum);
	case 13: return vlen * sizeof(struct btf_param);
	case 15: return vlen * sizeof(struct btf_var_secinfo);
	case 19: return vlen * 12;			/* btf_enum64 */
	}
	return -1;
}

/* The offset of variable `name` in DATASEC `sec_id` of the BTF object btf_id. */
static int btf_var_offset(uint32_t btf_id, uint32_t sec_id, const char *name, uint32_t *off)
{
	union bpf_attr attr = {};
	struct bpf_btf_info info = {};
	const struct btf_header *h;
	const char *types, *strs;
	uint32_t *at = NULL, n = 0;
	char *buf = NULL;
	int fd, ret = -1;

	attr.btf_id = btf_id;
	fd = sys_bpf(BPF_BTF_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) || !info.btf_size)
		goto out;
	buf = malloc(info.btf_size);
	if (!buf)
		goto out;
	{
		uint32_t size = info.btf_size;

		memset(&info, 0, sizeof(info));
		info.btf = (uintptr_t)buf;
		info.btf_size = size;
		attr.info.info_len = sizeof(info);
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
			goto out;
	}
	h = (const void *)buf;
	if (h->magic != BTF_MAGIC)
		goto out;
	types = buf + h->hdr_len + h->type_off;
	strs = buf + h->hdr_len + h->str_off;
	/* index the types: at[id] is the offset of type id (ids from 1) */
	at = calloc(h->type_len / sizeof(struct btf_type) + 2, sizeof(*at));
	if (!at)
		goto out;
	for (uint32_t o = 0; o + sizeof(struct btf_type) <= h->type_len;) {
		const struct btf_type *t = (const void *)(types + o);
		long extra = btf_extra(BTF_INFO_KIND(t->info), BTF_INFO_VLEN(t->info));

		if (extra < 0)
			goto out;
		at[++n] = o;
		o += sizeof(*t) + extra;
	}
	if (sec_id == 0 || sec_id > n)
		goto out;
	{
		const struct btf_type *sec = (const void *)(types + at[sec_id]);
		const struct btf_var_secinfo *vs = (const void *)(sec + 1);

		if (BTF_INFO_KIND(sec->info) != BTF_KIND_DATASEC)
			goto out;
		for (uint32_t i = 0; i < BTF_INFO_VLEN(sec->info); i++) {
			const struct btf_type *v;

			if (vs[i].type == 0 || vs[i].type > n)
				continue;
			v = (const void *)(types + at[vs[i].type]);
			if (BTF_INFO_KIND(v->info) == BTF_KIND_VAR && v->name_off < h->str_len &&
			    !strcmp(strs + v->name_off, name) &&
			    vs[i].size == SW_CNT__COUNT * sizeof(uint64_t)) {
				*off = vs[i].offset;
				ret = 0;
				break;
			}
		}
	}
out:
	free(at);
	free(buf);
	close(fd);
	return ret;
}

/* The id after "KEY: " in the fdinfo file path (a BPF map's map_id, a
 * program's or link's prog_id), 0 when it has none. */
static unsigned fdinfo_id(const char *path, const char *key)
{
	char line[256], fmt[32];
	unsigned id = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	snprintf(fmt, sizeof(fmt), "%s: %%u", key);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &id) == 1)
			break;
	fclose(f);
	return id;
}

static int find_counters(pid_t pid)
{
	char dir[64], path[400];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while (bss_fd < 0 && (de = readdir(d))) {
		unsigned map_id;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		map_id = fdinfo_id(path, "map_id");
		if (map_id) {
			union bpf_attr attr = {};
			struct bpf_map_info info = {};
			size_t nl;
			int fd;

			attr.map_id = map_id;
			fd = sys_bpf(BPF_MAP_GET_FD_BY_ID, &attr);
			if (fd < 0)
				continue;
			memset(&attr, 0, sizeof(attr));
			attr.info.bpf_fd = fd;
			attr.info.info_len = sizeof(info);
			attr.info.info = (uintptr_t)&info;
			nl = 0;
			if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
				nl = strnlen(info.name, sizeof(info.name));
			if (nl >= 4 && !strcmp(info.name + nl - 4, ".bss") && info.btf_id &&
			    !btf_var_offset(info.btf_id, info.btf_value_type_id, "counters",
					    &counters_off) &&
			    counters_off + SW_CNT__COUNT * sizeof(uint64_t) <= info.value_size) {
				bss_fd = fd;
				bss_size = info.value_size;
			} else {
				close(fd);
			}
		}
	}
	closedir(d);
	return bss_fd < 0 ? -1 : 0;
}

/* splicewatch's counter `idx` (SW_CNT_*), or -1 when it cannot be read. */
long long sw_counter(pid_t pid, int idx)
{
	union bpf_attr attr = {};
	uint32_t key = 0;
	uint64_t v;
	char *val;

	if (bss_fd < 0 && find_counters(pid))
		return -1;
	val = calloc(1, bss_size);
	if (!val)
		return -1;
	attr.map_fd = bss_fd;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)val;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr)) {
		free(val);
		return -1;
	}
	memcpy(&v, val + counters_off + idx * sizeof(uint64_t), sizeof(v));
	free(val);
	return (long long)v;
}

/* The runs of the splicewatch process pid's BPF programs the kernel skipped
 * (prog info recursion_misses), per program: a program behind several fds (its
 * own and its links') is counted once. 0, or -1 when they cannot be read. */
int sw_skips_read(pid_t pid, struct sw_skips *sk)
{
	char dir[64], path[400];
	struct dirent *de;
	DIR *d;

	memset(sk, 0, sizeof(*sk));
	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		struct bpf_prog_info info = {};
		union bpf_attr attr = {};
		unsigned prog_id;
		int fd, i;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		prog_id = fdinfo_id(path, "prog_id");
		if (!prog_id)
			continue;
		for (i = 0; i < sk->nprogs && sk->progs[i].id != prog_id; i++)
			;
		if (i < sk->nprogs || i == SW_SKIPS_MAX)
			continue;
		attr.prog_id = prog_id;
		fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue;
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (uintptr_t)&info;
		if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr)) {
			sk->progs[i].id = prog_id;
			sk->progs[i].misses = (long long)info.recursion_misses;
			memcpy(sk->progs[i].name, info.name, sizeof(sk->progs[i].name) - 1);
			sk->total += sk->progs[i].misses;
			sk->nprogs++;
		}
		close(fd);
	}
	closedir(d);
	return 0;
}

/* The programs whose skipped runs grew from before to after, as
 * "name +N, ..." in buf. */
void sw_skips_grown(const struct sw_skips *before, const struct sw_skips *after, char *buf,
		    size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < after->nprogs && off < len; i++) {
		long long was = 0;

		for (int j = 0; j < before->nprogs; j++)
			if (before->progs[j].id == after->progs[i].id)
				was = before->progs[j].misses;
		if (after->progs[i].misses > was)
			off += snprintf(buf + off, len - off, "%s%s +%lld", off ? ", " : "",
					after->progs[i].name, after->progs[i].misses - was);
	}
}
