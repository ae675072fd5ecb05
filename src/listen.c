// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The HTTP listener of --prometheus: stats, top, trace and enforce. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "common.h"
#include "listen.h"

struct sw_http {
	struct MHD_Daemon *daemon;
	sw_http_fn fn;
	void *ctx;
};

/*
 * libmicrohttpd is opened only when --prometheus asks for it: linked, it brings
 * GnuTLS, p11-kit, nettle and their constructors into every run of every
 * sub-command, 2.5 MB of resident memory that runs without it never use.
 */
static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;

static int mhd_open(void)
{
	static const char *const libs[] = { "libmicrohttpd.so.12", "libmicrohttpd.so" };
	void *h = NULL;

	if (mhd.start_daemon)
		return 0;
	for (size_t i = 0; !h && i < sizeof(libs) / sizeof(libs[0]); i++)
		h = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		sw_err("--prometheus needs libmicrohttpd: %s", dlerror());
		return -1;
	}
#define MHD_SYM(name) (mhd.name = (__typeof__(mhd.name))dlsym(h, "MHD_" #name))
	if (!MHD_SYM(stop_daemon) || !MHD_SYM(get_daemon_info) ||
	    !MHD_SYM(create_response_from_buffer) || !MHD_SYM(add_response_header) ||
	    !MHD_SYM(queue_response) || !MHD_SYM(destroy_response) || !MHD_SYM(start_daemon)) {
#undef MHD_SYM
		sw_err("--prometheus: libmicrohttpd lacks a function splicewatch needs");
		mhd.start_daemon = NULL;
		dlclose(h);
		return -1;
	}
	return 0;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned int status,
				 const char *ctype, char *body, size_t len, bool owned)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = mhd.create_response_from_buffer(len, body ? body : "",
					       owned && body ? MHD_RESPMEM_MUST_FREE
							     : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = mhd.queue_response(conn, status, resp);
	mhd.destroy_response(resp);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	static char bad_method[] = "only GET and HEAD\n";
	struct sw_http *h = cls;
	char *body = NULL;
	size_t len = 0;
	unsigned int status;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
				 strlen(bad_method), false);
	status = h->fn(h->ctx, url, &body, &len);
	if (!status) {
		free(body);
		return MHD_NO;
	}
	return send_text(conn, status,
			 status == MHD_HTTP_OK && !strcmp(url, "/metrics") ? SW_PROM_CTYPE
									   : "text/plain; charset=utf-8",
			 body, len, true);
}

/* "127.0.0.1:9100", "[::1]:9100", "localhost:9100": one address, numeric port. */
static int parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *res;
	char host[256];
	const char *colon, *port;
	uint64_t v;
	int err;

	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');

		if (!end || end[1] != ':' || (size_t)(end - arg - 1) >= sizeof(host))
			return -1;
		memcpy(host, arg + 1, end - arg - 1);
		host[end - arg - 1] = 0;
		port = end + 2;
	} else {
		colon = strrchr(arg, ':');
		if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(host) ||
		    memchr(arg, ':', colon - arg))
			return -1;
		memcpy(host, arg, colon - arg);
		host[colon - arg] = 0;
		port = colon + 1;
	}
	if (!parse_u64(port, &v) || v > 65535)
		return -1;
	err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		sw_err("--prometheus: cannot resolve '%s': %s", host, gai_strerror(err));
		return -2;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

struct sw_http *sw_http_start(const char *addr, sw_http_fn fn, void *ctx)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sslen;
	struct sw_http *h;
	sigset_t block, old;
	const union MHD_DaemonInfo *info;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	int r;

	r = parse_addr(addr, &ss, &sslen);
	if (r) {
		if (r == -1)
			sw_err("--prometheus: '%s' is not ADDR:PORT (IPv6: [ADDR]:PORT)", addr);
		return NULL;
	}
	if (mhd_open())
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fn = fn;
	h->ctx = ctx;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (sw_verbose)
		flags |= MHD_USE_ERROR_LOG;
	/* The server thread must not take SIGINT/SIGTERM/SIGHUP from the main loop. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	errno = 0;
	/* One client address cannot take every connection, and a connection
	 * that sends no complete request is closed after the deadline: idle
	 * connections from one address do not lock a scraper out. */
	h->daemon = mhd.start_daemon(flags, 0, NULL, NULL, handler, h,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				     MHD_OPTION_CONNECTION_LIMIT, SW_HTTP_MAX_CONNS,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, SW_HTTP_PER_IP,
				     MHD_OPTION_CONNECTION_TIMEOUT, SW_HTTP_DEADLINE_S,
				     MHD_OPTION_END);
	r = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->daemon) {
		sw_err("--prometheus: cannot listen on %s: %s", addr,
		       r ? strerror(r) : "the HTTP server did not start");
		free(h);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
	info = mhd.get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	sw_info("serving metrics at http://%s%s%s:%u/metrics", ss.ss_family == AF_INET6 ? "[" : "",
		host, ss.ss_family == AF_INET6 ? "]" : "", info ? info->port : 0);
	if (!is_loopback(&ss))
		sw_info("warning: --prometheus %s is not a loopback address: the metrics "
			"(and what they tell of this host's work) can be read from other "
			"hosts; there is no authentication", addr);
	return h;
}

void sw_http_stop(struct sw_http *h)
{
	if (!h)
		return;
	mhd.stop_daemon(h->daemon);
	free(h);
}
