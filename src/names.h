/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The names splicewatch prints for the enums it shares with the BPF programs:
 * one table each (names.c), whatever prints them (text, JSON, JUnit,
 * Prometheus labels, baselines). */
#ifndef SW_NAMES_H
#define SW_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Detection events (splicewatch.h): "unknown" outside the enum. */
const char *sw_op_name(uint32_t op);		/* enum sw_op */
const char *sw_action_name(uint32_t action);	/* enum sw_action */
int sw_op_from_name(const char *name);
/* enum sw_untracked_reason: the JSON name ("chunk_holders_full"), and the
 * limit in words for text output. */
const char *sw_untracked_reason_name(uint32_t reason);
const char *sw_untracked_reason_text(uint32_t reason);
/* " (chunk_holders_full 3, pipes_full 1)": counts by reason (SW_UNTR__COUNT
 * of them) as the summaries print them; "" if all are 0. */
void sw_untracked_split(char *buf, size_t cap, const uint64_t *by_reason);		/* a known op other than unknown, else -1 */
/* "write, pwrite64, ..., write_iter": every op sw_op_from_name knows. */
const char *sw_op_list(void);

/* Copy-path counters (stats.h). */
const char *st_op_name(uint32_t op);		/* enum sw_stat_op */
const char *st_cfr_name(uint32_t r);		/* enum sw_cfr_result */
const char *st_kind_name(uint32_t kind);	/* enum sw_file_kind */
const char *st_counter_name(uint32_t counter);	/* enum sw_stat_counter */

#endif
