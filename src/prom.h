/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The Prometheus exporter of stats and top (prom.c): over the counting session. */
#ifndef SW_PROM_H
#define SW_PROM_H

#include "stats_core.h"

struct st_prom;
/* Serves GET /metrics at addr (ADDR:PORT) through the listener (listen.h). */
/* no_paths: the held-page gauges without a file label (one series for all). */
struct st_prom *st_prom_start(struct st_session *s, const char *addr, uint32_t top, bool no_paths);
void st_prom_stop(struct st_prom *p);
/* Writes the exposition text of a snapshot. */
void st_prom_render(FILE *f, const struct st_snap *snap, uint32_t top, bool no_paths);

#endif
