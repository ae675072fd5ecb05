/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The detection object's allowlist and protect maps (session.c's). */
#ifndef SW_SESSION_LISTS_H
#define SW_SESSION_LISTS_H

#include "sw.h"

struct splicewatch_bpf;

/* The maps get cfg's entries (before the programs attach): 0 or -errno. */
int sw_lists_fill(struct splicewatch_bpf *skel, const struct sw_config *cfg);
/* The maps hold to's entries instead of from's, with the programs
 * attached: adds first, then deletes, so that an entry in both is never
 * missing for a moment. 0, or -errno with from's entries in force again. */
int sw_lists_replace(struct splicewatch_bpf *skel, const struct sw_config *from,
		     const struct sw_config *to);

#endif
