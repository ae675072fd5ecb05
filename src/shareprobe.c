// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Does splice(file -> pipe) hand the pipe the page-cache page itself, or a
 * copy? Upstream has discussed making filemap_splice_read copy; a filesystem
 * may copy already (copy_splice_read). Asked of the running kernel, not
 * guessed from its version: splice a page of a scratch file into a pipe,
 * change the file, read the pipe. New bytes mean the page is shared.
 *
 * The change is a store through a shared mapping into a page already dirty
 * (or of tmpfs): another splicewatch watching this machine sees no unsafe
 * write in that, so probing never gets this process reported or killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "sw.h"

#define PROBE_LEN 4096

static enum sw_sharing probe_fd(int fd)
{
	char page[PROBE_LEN], got[PROBE_LEN];
	enum sw_sharing res = SW_SHARING_UNKNOWN;
	loff_t off = 0;
	char *map;
	int p[2];

	memset(page, 'A', sizeof(page));
	if (pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page))
		return SW_SHARING_UNKNOWN;
	map = mmap(NULL, PROBE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return SW_SHARING_UNKNOWN;
	if (!pipe2(p, O_CLOEXEC)) {
		if (splice(fd, &off, p[1], NULL, PROBE_LEN, SPLICE_F_NONBLOCK) == PROBE_LEN) {
			map[0] = 'B';
			if (read(p[0], got, sizeof(got)) == (ssize_t)sizeof(got))
				res = got[0] == 'B' ? SW_SHARING_SHARED : SW_SHARING_COPIED;
		}
		close(p[0]);
		close(p[1]);
	}
	munmap(map, PROBE_LEN);
	return res;
}

enum sw_sharing sw_probe_sharing(const char *dir)
{
	enum sw_sharing res;
	int fd;

	if (dir)
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	else
		fd = memfd_create("splicewatch-probe", MFD_CLOEXEC);
	if (fd < 0)
		return SW_SHARING_UNKNOWN;
	res = probe_fd(fd);
	close(fd);
	return res;
}

const char *sw_sharing_name(enum sw_sharing s)
{
	switch (s) {
	case SW_SHARING_SHARED:
		return "shared";
	case SW_SHARING_COPIED:
		return "copied";
	default:
		return "unknown";
	}
}
