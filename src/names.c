// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The names of the enums the frontend shares with the BPF programs (names.h). */
#include <stdio.h>
#include <string.h>
#include "names.h"
#include "splicewatch.h"
#include "stats.h"

static const char *const op_names[SW_OP__COUNT] = {
	[SW_OP_UNKNOWN] = "unknown",
	[SW_OP_WRITE] = "write",
	[SW_OP_PWRITE64] = "pwrite64",
	[SW_OP_WRITEV] = "writev",
	[SW_OP_PWRITEV] = "pwritev",
	[SW_OP_PWRITEV2] = "pwritev2",
	[SW_OP_COPY_FILE_RANGE] = "copy_file_range",
	[SW_OP_SPLICE] = "splice",
	[SW_OP_SENDFILE] = "sendfile",
	[SW_OP_FALLOCATE] = "fallocate",
	[SW_OP_TRUNCATE] = "truncate",
	[SW_OP_FTRUNCATE] = "ftruncate",
	[SW_OP_MMAP] = "mmap",
	[SW_OP_WRITE_ITER] = "write_iter",
	[SW_OP_OPEN_TRUNC] = "open_trunc",
	[SW_OP_AEAD_ENCRYPT] = "crypto_aead_encrypt",
	[SW_OP_AEAD_DECRYPT] = "crypto_aead_decrypt",
	[SW_OP_SKCIPHER_ENCRYPT] = "crypto_skcipher_encrypt",
	[SW_OP_SKCIPHER_DECRYPT] = "crypto_skcipher_decrypt",
};

static const char *const action_names[SW_ACT__COUNT] = {
	[SW_ACT_REPORTED] = "reported",
	[SW_ACT_KILLED] = "killed",
	[SW_ACT_DENIED] = "denied",
	[SW_ACT_SIGNALLED] = "signalled",
	[SW_ACT_WOULD_KILL] = "would_kill",
	[SW_ACT_ALLOWED] = "allowed",
	[SW_ACT_KILLED_LATE] = "killed_late",
};

/* An untracked hold's reason: its JSON value, and what the text says. */
static const char *const untracked_names[SW_UNTR__COUNT] = {
	[SW_UNTR_UNKNOWN] = "unknown",
	[SW_UNTR_CHUNK_HOLDERS] = "chunk_holders_full",
	[SW_UNTR_CHUNKS] = "chunks_full",
	[SW_UNTR_PIPES] = "pipes_full",
	[SW_UNTR_MAPPINGS] = "mappings_full",
	[SW_UNTR_PIPE_EXTENTS] = "pipe_extents_full",
	[SW_UNTR_RING_SIZE] = "ring_too_large",
	[SW_UNTR_CHUNK_EVICTED] = "chunk_holder_evicted",
	[SW_UNTR_USER_QUOTA] = "user_quota",
};

static const char *const untracked_texts[SW_UNTR__COUNT] = {
	[SW_UNTR_UNKNOWN] = "an unknown limit",
	[SW_UNTR_CHUNK_HOLDERS] = "4 other pipes hold pages of the same 64-page chunk of the file",
	[SW_UNTR_CHUNKS] = "the chunk index is full (--max-holds)",
	[SW_UNTR_PIPES] = "the pipe index is full (--max-holds)",
	[SW_UNTR_MAPPINGS] = "the file index is full (--max-holds)",
	[SW_UNTR_PIPE_EXTENTS] = "the pipe holds pages of 4 other files",
	[SW_UNTR_RING_SIZE] = "the pipe holds more than 1024 buffers",
	[SW_UNTR_CHUNK_EVICTED] = "its slot of the 64-page chunk went to another user's hold "
				  "(this user had 2 or more of the 4)",
	[SW_UNTR_USER_QUOTA] = "the holder's user has its share of the pipe, chunk or "
			       "file index (--user-share)",
};

static const char *const stat_op_names[SW_STAT__COUNT] = {
	[SW_STAT_SPLICE_FILE_PIPE] = "splice_file_to_pipe",
	[SW_STAT_SPLICE_PIPE_FILE] = "splice_pipe_to_file",
	[SW_STAT_SPLICE_PIPE_SOCK] = "splice_pipe_to_socket",
	[SW_STAT_SPLICE_SOCK_PIPE] = "splice_socket_to_pipe",
	[SW_STAT_SPLICE_PIPE_PIPE] = "splice_pipe_to_pipe",
	[SW_STAT_SPLICE_OTHER] = "splice_other",
	[SW_STAT_SENDFILE] = "sendfile",
	[SW_STAT_TEE] = "tee",
	[SW_STAT_VMSPLICE] = "vmsplice",
	[SW_STAT_COPY_FILE_RANGE] = "copy_file_range",
};

static const char *const cfr_names[SW_CFR__COUNT] = {
	[SW_CFR_SAME_FS] = "same_fs",
	[SW_CFR_CROSS_FS] = "cross_fs",
	[SW_CFR_FALLBACK] = "fallback",
	[SW_CFR_ERROR] = "error",
};

static const char *const counter_names[SW_SC__COUNT] = {
	[SW_SC_HOLDS] = "held_pages",
	[SW_SC_ROWS_DROPPED] = "calls_not_counted",
	[SW_SC_HOLDS_DROPPED] = "holds_not_indexed",
	[SW_SC_INFLIGHT_DROPPED] = "calls_not_timed",
	[SW_SC_STALE] = "holds_dropped_stale",
};

const char *sw_op_name(uint32_t op)
{
	return op < SW_OP__COUNT ? op_names[op] : "unknown";
}

const char *sw_action_name(uint32_t action)
{
	return action < SW_ACT__COUNT ? action_names[action] : "unknown";
}

const char *sw_untracked_reason_name(uint32_t reason)
{
	return reason < SW_UNTR__COUNT ? untracked_names[reason] : "unknown";
}

const char *sw_untracked_reason_text(uint32_t reason)
{
	return reason < SW_UNTR__COUNT ? untracked_texts[reason] : untracked_texts[0];
}

/* " (chunk_holders_full 3, pipes_full 1)": untracked holds by reason, "" if none. */
void sw_untracked_split(char *buf, size_t cap, const uint64_t *by_reason)
{
	size_t n = 0;

	buf[0] = 0;
	for (int r = 0; r < SW_UNTR__COUNT && n < cap; r++)
		if (by_reason[r])
			n += snprintf(buf + n, cap - n, "%s%s %llu", n ? ", " : " (",
				      sw_untracked_reason_name(r), (unsigned long long)by_reason[r]);
	if (n && n < cap)
		snprintf(buf + n, cap - n, ")");
}

const char *sw_op_list(void)
{
	static char list[256];

	if (!list[0])
		for (int op = SW_OP_UNKNOWN + 1; op < SW_OP__COUNT; op++) {
			size_t n = strlen(list);

			snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", op_names[op]);
		}
	return list;
}

int sw_op_from_name(const char *name)
{
	for (int op = 1; op < SW_OP__COUNT; op++)
		if (!strcmp(name, op_names[op]))
			return op;
	return -1;
}

const char *st_op_name(uint32_t op)
{
	return op < SW_STAT__COUNT ? stat_op_names[op] : "unknown";
}

const char *st_cfr_name(uint32_t r)
{
	return r < SW_CFR__COUNT ? cfr_names[r] : "unknown";
}

const char *st_counter_name(uint32_t counter)
{
	return counter < SW_SC__COUNT ? counter_names[counter] : "unknown";
}

const char *st_kind_name(uint32_t kind)
{
	switch (kind) {
	case SW_FK_FILE: return "file";
	case SW_FK_PIPE: return "pipe";
	case SW_FK_SOCK: return "socket";
	}
	return "none";
}
