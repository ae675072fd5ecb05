// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * verify_workload's ways with the kernel's own crypto on a file's pages,
 * where nothing may be reported (kTLS, TLS 1.2 AES-GCM over a loopback TCP
 * connection; the tls module): ktls_sendfile (FILE, open read-only, sent by sendfile(2) on a
 * kTLS socket: its page-cache pages are the request's source; got=encrypted
 * when the peer read ciphertext) and ktls_recv (a record received into a
 * MAP_SHARED mapping of FILE, open for writing: the kernel decrypts into its
 * page-cache page; got=changed), and fscrypt_read (FILE made in its
 * directory under a new fscrypt policy, AES-256-XTS, written back, dropped
 * from the page cache, then read: ext4 decrypts each page in place while
 * it is not yet up to date; got=original when the reader got the bytes
 * written) and dmcrypt_direct (an O_DIRECT read of a dm-crypt device,
 * aes-xts-plain64 over a loop device, into a MAP_SHARED mapping of FILE,
 * open for writing: dm-crypt decrypts in place into FILE's page-cache page;
 * got=changed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/dm-ioctl.h>
#include <linux/fscrypt.h>
#include <linux/loop.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "verify_workload.h"

#ifndef SOL_TLS
#define SOL_TLS	282
#endif
#ifndef TCP_ULP
#define TCP_ULP	31
#endif

/* A TCP connection over loopback: *c connected, *s accepted. */
static void tcp_pair(int *c, int *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		die("listen");
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	*s = accept(l, NULL, NULL);
	if (*s < 0)
		die("accept");
	close(l);
}

/* kTLS on fd, direction dir (TLS_TX, TLS_RX): TLS 1.2, AES-GCM-128, one
 * fixed key, so the two ends agree. */
static void ktls_on(int fd, int dir)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info = { .version = TLS_1_2_VERSION, .cipher_type = TLS_CIPHER_AES_GCM_128 },
	};

	memset(ci.key, 'k', sizeof(ci.key));
	memset(ci.iv, 'i', sizeof(ci.iv));
	memset(ci.salt, 's', sizeof(ci.salt));
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) ||
	    setsockopt(fd, SOL_TLS, dir, &ci, sizeof(ci)))
		die("kTLS (the tls module)");
}

/* ktls_sendfile, ktls_recv: prints "ino=N pid=N got=G"; exit 0 when the
 * kernel's crypto ran. */
int ktls(const char *way, const char *path)
{
	char page[PAGE], rec[5 + 8 + PAGE + 16], *map;
	bool sending = !strcmp(way, "ktls_sendfile");
	const char *got;
	loff_t off = 0;
	struct stat st;
	int fd, c, s;

	memset(page, 'A', sizeof(page));	/* FILE's bytes, to compare */
	fd = page_file(path, &st);
	tcp_pair(&c, &s);
	ktls_on(c, TLS_TX);
	if (sending) {
		/* Nobody has the file open for writing while it is sent. */
		close(fd);
		fd = open(path, O_RDONLY);
		if (fd < 0 || sendfile(c, fd, &off, PAGE) != PAGE)
			die("sendfile into a kTLS socket");
		/* One record: header, explicit nonce, the bytes, the tag. */
		if (recv(s, rec, sizeof(rec), MSG_WAITALL) != (ssize_t)sizeof(rec))
			die("recv the record");
		got = memcmp(rec + 13, page, PAGE) ? "encrypted" : "plain";
	} else {
		map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			die("mmap");
		ktls_on(s, TLS_RX);
		memset(page, 'B', sizeof(page));
		if (send(c, page, PAGE, 0) != PAGE || recv(s, map, PAGE, MSG_WAITALL) != PAGE)
			die("a record into the mapping");
		got = what(map);
	}
	printf("ino=%llu pid=%d got=%s\n", (unsigned long long)st.st_ino, getpid(), got);
	return !strcmp(got, sending ? "encrypted" : "changed") ? 0 : 1;
}

/* fscrypt_read: prints "ino=N pid=N got=G"; exit 0 when the file is
 * encrypted, none of its pages was in the page cache before the read, and
 * the reader got the bytes written. */
int fscrypt_read(const char *path)
{
	static const size_t len = 4 * PAGE;
	char dir[4096], buf[4 * PAGE], want[4 * PAGE], *map, *slash;
	struct {
		struct fscrypt_add_key_arg arg;
		__u8 raw[FSCRYPT_MAX_KEY_SIZE];
	} key = { .arg = { .key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER,
			   .raw_size = FSCRYPT_MAX_KEY_SIZE } };
	struct fscrypt_policy_v2 policy = {
		.version = FSCRYPT_POLICY_V2,
		.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS,
		.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS,
		.flags = FSCRYPT_POLICY_FLAGS_PAD_32,
	};
	unsigned char resident[4];
	struct stat st;
	bool changed;
	int dfd, fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		die("fscrypt_read: FILE needs a directory to make");
	*slash = '\0';
	memset(key.raw, 'K', sizeof(key.raw));
	if (mkdir(dir, 0755) || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		die("mkdir");
	if (ioctl(dfd, FS_IOC_ADD_ENCRYPTION_KEY, &key))
		die("FS_IOC_ADD_ENCRYPTION_KEY (ext4's encrypt feature, xts/cts/sha512)");
	memcpy(policy.master_key_identifier, key.arg.key_spec.u.identifier,
	       sizeof(policy.master_key_identifier));
	if (ioctl(dfd, FS_IOC_SET_ENCRYPTION_POLICY, &policy))
		die("FS_IOC_SET_ENCRYPTION_POLICY");
	/* Written back while open for writing; then nobody has it so. */
	memset(want, 'A', sizeof(want));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, want, len) != (ssize_t)len || fsync(fd) || close(fd))
		die("write the encrypted file");
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		die("drop the file's pages");
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED || mincore(map, len, resident))
		die("mincore");
	for (size_t i = 0; i < sizeof(resident); i++)
		if (resident[i] & 1)
			die("a page stayed in the page cache");
	if (pread(fd, buf, len, 0) != (ssize_t)len)
		die("read the encrypted file");
	changed = memcmp(buf, want, len) != 0;
	printf("ino=%llu pid=%d got=%s\n", (unsigned long long)st.st_ino, getpid(),
	       changed ? "changed" : "original");
	return changed;
}

/* A dm ioctl with a table of one target (DM_TABLE_LOAD) when type is set. */
static int dm_ioctl_call(int ctl, unsigned long cmd, const char *name, const char *type,
			 const char *params, unsigned long long sectors, dev_t *dev)
{
	struct {
		struct dm_ioctl io;
		struct dm_target_spec spec;
		char params[512];
	} req = { .io = { .version = { DM_VERSION_MAJOR, 0, 0 }, .data_size = sizeof(req),
			  .data_start = sizeof(struct dm_ioctl) } };

	snprintf(req.io.name, sizeof(req.io.name), "%s", name);
	if (type) {
		req.io.target_count = 1;
		req.spec.length = sectors;
		snprintf(req.spec.target_type, sizeof(req.spec.target_type), "%s", type);
		snprintf(req.params, sizeof(req.params), "%s", params);
	}
	if (ioctl(ctl, cmd, &req))
		return -1;
	if (dev)
		*dev = (dev_t)req.io.dev;
	return 0;
}

/* dmcrypt_direct: prints "ino=N pid=N got=G"; exit 0 when the read put
 * the device's decrypted bytes into the mapping. */
int dmcrypt_direct(const char *path)
{
	static const char name[] = "swverify";
	char img[4200], node[4200], table[256], loopdev[32], *map;
	const char *got;
	int ctl, lctl, loop, back, dm, fd, n, rc;
	struct stat lst, st;
	dev_t dev;

	snprintf(img, sizeof(img), "%s.img", path);
	snprintf(node, sizeof(node), "%s.dm", path);
	back = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (back < 0 || ftruncate(back, 1 << 20))
		die("the loop device's file");
	lctl = open("/dev/loop-control", O_RDWR);
	n = lctl < 0 ? -1 : ioctl(lctl, LOOP_CTL_GET_FREE);
	snprintf(loopdev, sizeof(loopdev), "/dev/loop%d", n);
	if (n < 0 || (loop = open(loopdev, O_RDWR)) < 0 || ioctl(loop, LOOP_SET_FD, back) ||
	    fstat(loop, &lst))
		die("a loop device (the loop module)");
	/* 512-bit key: aes-256 twice, for xts. */
	snprintf(table, sizeof(table), "aes-xts-plain64 %0128d 0 %u:%u 0", 0,
		 major(lst.st_rdev), minor(lst.st_rdev));
	ctl = open("/dev/mapper/control", O_RDWR);
	if (ctl < 0 || dm_ioctl_call(ctl, DM_DEV_CREATE, name, NULL, NULL, 0, NULL) ||
	    dm_ioctl_call(ctl, DM_TABLE_LOAD, name, "crypt", table, (1 << 20) / 512, NULL) ||
	    dm_ioctl_call(ctl, DM_DEV_SUSPEND, name, NULL, NULL, 0, &dev))
		die("a dm-crypt device (dm_mod, dm_crypt, xts)");
	if ((mknod(node, S_IFBLK | 0600, dev) && errno != EEXIST) ||
	    (dm = open(node, O_RDONLY | O_DIRECT)) < 0)
		die("open the dm-crypt device");
	fd = page_file(path, &st);
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	if (read(dm, map, PAGE) != PAGE)
		die("an O_DIRECT read into the mapping");
	got = what(map);
	printf("ino=%llu pid=%d got=%s\n", (unsigned long long)st.st_ino, getpid(), got);
	rc = strcmp(got, "changed") ? 1 : 0;
	close(dm);
	unlink(node);
	if (dm_ioctl_call(ctl, DM_DEV_REMOVE, name, NULL, NULL, 0, NULL) || ioctl(loop, LOOP_CLR_FD))
		die("remove the devices");
	unlink(img);
	return rc;
}
