/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The HTTP listener of --prometheus (listen.c), shared by stats, top, trace
 * and enforce: libmicrohttpd (opened only when asked for) on a thread of its
 * own, with limits a local client cannot exhaust. */
#ifndef SW_LISTEN_H
#define SW_LISTEN_H

#include <stddef.h>

/* Connections one client address may have open at once; all clients; the
 * seconds a connection may stay idle (no complete request) before it is
 * closed. */
#define SW_HTTP_PER_IP		8U
#define SW_HTTP_MAX_CONNS	64U
#define SW_HTTP_DEADLINE_S	5U

/* Answers GET (or HEAD) url: the status, with *body (malloc'd, or NULL for
 * an empty one) of *len bytes; 0 drops the connection. */
typedef unsigned int (*sw_http_fn)(void *ctx, const char *url, char **body, size_t *len);

struct sw_http;
/* Listens on addr (ADDR:PORT, [ADDR]:PORT) and serves fn from a thread of its
 * own; says why and returns NULL when it cannot (bad address, port in use,
 * no libmicrohttpd). Warns on stderr when addr is not a loopback address. */
struct sw_http *sw_http_start(const char *addr, sw_http_fn fn, void *ctx);
/* Stops listening and waits for a request being answered. */
void sw_http_stop(struct sw_http *h);

/* Content type of the exposition text. */
#define SW_PROM_CTYPE	"text/plain; version=0.0.4; charset=utf-8"

#endif
