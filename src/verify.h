/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SW_SRC_VERIFY_H
#define SW_SRC_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sw_session;
struct sw_output;
struct sw_event;
struct sw_verify;

/* trace --verify: loads and attaches the content checks beside session s,
 * their changes written to o. NULL when they cannot run here (said). */
struct sw_verify *sw_verify_start(struct sw_session *s, struct sw_output *o);
/* From the poll loop: the sweep when due, then the changes found. */
void sw_verify_tick(struct sw_verify *v);
/* An unsafe write the session reported: a change it explains is not one. */
void sw_verify_note_write(struct sw_verify *v, const struct sw_event *ev);
/* Detaches; the last changes; the summary line. */
void sw_verify_stop(struct sw_verify *v, FILE *summary);
void sw_verify_close(struct sw_verify *v);

#endif
