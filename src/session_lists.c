// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The allowlist and protect maps of the detection object: filled at start,
 * replaced on a policy reload with the programs attached. The verify object
 * shares the allowlist maps (verify.c), so both see the same entries. */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "session_lists.h"
#include "splicewatch.skel.h"

/* One map and its entries in a config. */
struct list_map {
	struct bpf_map *map;
	const void *keys;
	int n;
	size_t size;
};

static void list_maps(struct splicewatch_bpf *skel, const struct sw_config *c,
		      struct list_map *m)
{
	struct list_map l[SW_LIST__COUNT] = {
		{ skel->maps.allow_pids, c->allow_pids, c->n_allow_pids, sizeof(uint32_t) },
		{ skel->maps.allow_cgroups, c->allow_cgroups, c->n_allow_cgroups, sizeof(uint64_t) },
		{ skel->maps.allow_comms, c->allow_comms, c->n_allow_comms, SW_TASK_COMM_LEN },
		{ skel->maps.allow_inodes, c->allow_paths, c->n_allow_paths,
		  sizeof(struct sw_allow_inode) },
		{ skel->maps.protect_uids, c->protect_uids, c->n_protect_uids, sizeof(uint32_t) },
		{ skel->maps.protect_cgroups, c->protect_cgroups, c->n_protect_cgroups,
		  sizeof(uint64_t) },
	};

	memcpy(m, l, sizeof(l));
}

static bool list_has(const struct list_map *l, const void *key)
{
	for (int i = 0; i < l->n; i++)
		if (!memcmp((const char *)l->keys + i * l->size, key, l->size))
			return true;
	return false;
}

static int lists_move(struct splicewatch_bpf *skel, const struct sw_config *from,
		      const struct sw_config *to)
{
	struct list_map a[SW_LIST__COUNT], b[SW_LIST__COUNT];
	uint8_t one = 1;

	list_maps(skel, from, a);
	list_maps(skel, to, b);
	for (int m = 0; m < SW_LIST__COUNT; m++)
		for (int i = 0; i < b[m].n; i++)
			if (bpf_map__update_elem(b[m].map, (const char *)b[m].keys + i * b[m].size,
						 b[m].size, &one, 1, BPF_ANY))
				return -errno;
	for (int m = 0; m < SW_LIST__COUNT; m++)
		for (int i = 0; i < a[m].n; i++) {
			const void *k = (const char *)a[m].keys + i * a[m].size;

			if (!list_has(&b[m], k))
				bpf_map__delete_elem(a[m].map, k, a[m].size, 0);
		}
	return 0;
}

int sw_lists_fill(struct splicewatch_bpf *skel, const struct sw_config *cfg)
{
	static const struct sw_config none;

	return lists_move(skel, &none, cfg);
}

int sw_lists_replace(struct splicewatch_bpf *skel, const struct sw_config *from,
		     const struct sw_config *to)
{
	int err = lists_move(skel, from, to);

	if (err)
		lists_move(skel, to, from);	/* back to what was in force */
	return err;
}
