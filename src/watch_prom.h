/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* trace and enforce --prometheus (watch_prom.c): the detection's metrics and
 * /healthz, through the listener (listen.h). */
#ifndef SW_WATCH_PROM_H
#define SW_WATCH_PROM_H

#include <stdio.h>
#include "sw.h"

struct sw_watch_prom;
/* Listens on addr before anything is loaded (a port in use is an error
 * before watching): until sw_watch_prom_attach, /metrics and /healthz
 * answer 503. NULL after saying why. */
struct sw_watch_prom *sw_watch_prom_start(const char *addr);
/* The session to serve from on (its programs attached). */
void sw_watch_prom_attach(struct sw_watch_prom *p, struct sw_session *s);
/* The --aggregate counters to serve (read atomically): before attach. */
void sw_watch_prom_agg(struct sw_watch_prom *p, const struct sw_agg *agg);
/* --verify's counters to serve too (NULL: none): before attach. */
struct sw_verify;
void sw_watch_prom_verify(struct sw_watch_prom *p, const struct sw_verify *v);
/* Stops listening: before the session and the verifier are closed. */
void sw_watch_prom_stop(struct sw_watch_prom *p);
/* The exposition text of m, and of vm (--verify) unless NULL. Labels: op,
 * action, reason, check, and the build's version, backend and kernel: no
 * paths, no comms, no pids (a bounded set of series). */
struct sw_verify_metrics;
void sw_metrics_render(FILE *f, const struct sw_metrics *m, const struct sw_verify_metrics *vm,
		       const char *backend, const char *kernel);

#endif
