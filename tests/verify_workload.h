/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What verify_workload.c (the ways of changing held bytes) and
 * verify_crypto.c (the kernel's crypto on a file's pages) share. */
#ifndef SW_TEST_VERIFY_WORKLOAD_H
#define SW_TEST_VERIFY_WORKLOAD_H

#include <sys/stat.h>

#define PAGE	4096

extern long AT;			/* the byte a way changes */

/* perror(what), then exit 2. */
int die(const char *what) __attribute__((noreturn));
/* FILE made a dirty page of 'A's: its fd, open for writing; st, when given,
 * its stat. */
int page_file(const char *path, struct stat *st);
/* got's byte AT: "changed" or "original". */
const char *what(const char *got);

/* verify_crypto.c: each prints "ino=N pid=N got=G"; exit status 0 when the
 * kernel's crypto ran. */
int ktls(const char *way, const char *path);
int fscrypt_read(const char *path);
int dmcrypt_direct(const char *path);

#endif
