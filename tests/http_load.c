// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The load of tests/nginx-load.sh: HTTP clients that fetch files from a
 * server on 127.0.0.1 and compare every body with the file's bytes.
 *
 *   http_load PORT SECONDS CLIENTS FILE...
 *
 * CLIENTS processes each keep one HTTP/1.1 connection (a new one when the
 * server closes it) and ask for the FILEs in turn, FILE served as
 * "/<basename>", for SECONDS. Prints
 * "requests=N bytes=N mismatches=N errors=N"; exit 0 when there were
 * requests and every response was a 200 whose body is the file's bytes,
 * 1 otherwise (the first error of each client on stderr), 2 on bad use.
 * Any test of a server's sendfile wants the bytes checked: a change of
 * page-cache bytes before they leave is what splicewatch is about.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strcasestr */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct file {
	const char *name;	/* the URL path */
	char *bytes;
	size_t len;
};

struct tally {
	long requests, bytes, mismatches, errors;
};

static struct file *files;
static int nfiles;
static int port;

static bool load(struct file *f, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st))
		return false;
	f->len = st.st_size;
	f->bytes = malloc(f->len + 1);
	while (f->bytes && got < f->len && (n = read(fd, f->bytes + got, f->len - got)) > 0)
		got += n;
	close(fd);
	f->name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	return f->bytes && got == f->len;
}

static int connect_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 20 };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

/* One request for f on s; 0 when the body was f's bytes, 1 on a mismatch,
 * -1 on an error (why set). *closing: the server ends the connection. */
static int fetch(int s, const struct file *f, bool *closing, const char **why)
{
	char req[512], head[4096], *end, *cl;
	size_t have = 0, body = 0, len;
	bool same = true;
	ssize_t n;

	n = snprintf(req, sizeof(req), "GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n", f->name);
	if (send(s, req, n, MSG_NOSIGNAL) != n)
		return *why = "send", -1;
	for (;;) {
		n = recv(s, head + have, sizeof(head) - 1 - have, 0);
		if (n <= 0)
			return *why = n ? "recv of the header" : "closed in the header", -1;
		have += n;
		head[have] = 0;
		end = strstr(head, "\r\n\r\n");
		if (end)
			break;
		if (have == sizeof(head) - 1)
			return *why = "header too long", -1;
	}
	*end = 0;
	if (strncmp(head, "HTTP/1.1 200 ", 13))
		return *why = "status not 200", -1;
	cl = strcasestr(head, "\r\nContent-Length:");
	if (!cl || strtoul(cl + 17, NULL, 10) != f->len)
		return *why = "Content-Length not the file's size", -1;
	*closing = strcasestr(head, "\r\nConnection: close") != NULL;
	end += 4;
	len = head + have - end;
	if (len > f->len)
		return *why = "more bytes than the body", -1;
	same = !memcmp(end, f->bytes, len);
	body = len;
	while (body < f->len) {
		char buf[65536];
		size_t want = f->len - body < sizeof(buf) ? f->len - body : sizeof(buf);

		n = recv(s, buf, want, 0);
		if (n <= 0)
			return *why = n ? "recv of the body" : "closed in the body", -1;
		same = same && !memcmp(buf, f->bytes + body, n);
		body += n;
	}
	return same ? 0 : 1;
}

static void client(struct tally *t, int seed, double until)
{
	const char *why = NULL, *of = "";
	bool closing = true;
	int s = -1, i = seed, r;
	struct timespec now;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec + now.tv_nsec / 1e9 >= until)
			break;
		if (closing) {
			if (s >= 0)
				close(s);
			s = connect_server();
			if (s < 0) {
				why = "connect";
				t->errors++;
				break;
			}
			closing = false;
		}
		of = files[i % nfiles].name;
		r = fetch(s, &files[i % nfiles], &closing, &why);
		if (r < 0) {
			t->errors++;
			break;
		}
		t->requests++;
		t->bytes += files[i % nfiles].len;
		if (r && !t->mismatches++)
			fprintf(stderr, "http_load: client %d: a body that is not the file's bytes (%s)\n", seed, of);
		i++;
	}
	if (why)
		fprintf(stderr, "http_load: client %d: %s (%s)\n", seed, why, of);
	if (s >= 0)
		close(s);
}

int main(int argc, char **argv)
{
	struct tally *t, sum = { 0 };
	int seconds, clients, i;
	struct timespec now;
	double until;

	if (argc < 5 || (port = atoi(argv[1])) <= 0 || port > 65535 || (seconds = atoi(argv[2])) <= 0 ||
	    (clients = atoi(argv[3])) <= 0 || clients > 64) {
		fprintf(stderr, "usage: http_load PORT SECONDS CLIENTS(1-64) FILE...\n");
		return 2;
	}
	nfiles = argc - 4;
	files = calloc(nfiles, sizeof(*files));
	for (i = 0; files && i < nfiles; i++)
		if (!load(&files[i], argv[4 + i])) {
			fprintf(stderr, "http_load: cannot read %s: %s\n", argv[4 + i], strerror(errno));
			return 2;
		}
	t = mmap(NULL, clients * sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!files || t == MAP_FAILED) {
		perror("http_load");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	until = now.tv_sec + now.tv_nsec / 1e9 + seconds;
	for (i = 0; i < clients; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("http_load: fork");
			return 2;
		}
		if (!pid) {
			client(&t[i], i, until);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	for (i = 0; i < clients; i++) {
		sum.requests += t[i].requests;
		sum.bytes += t[i].bytes;
		sum.mismatches += t[i].mismatches;
		sum.errors += t[i].errors;
	}
	printf("requests=%ld bytes=%ld mismatches=%ld errors=%ld\n", sum.requests, sum.bytes, sum.mismatches,
	       sum.errors);
	return sum.requests && !sum.mismatches && !sum.errors ? 0 : 1;
}
