// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/suites/verify.sh's workload: one way of changing bytes a pipe holds
 * per command, none of them a write splicewatch sees (but pwrite, which it
 * does, and clean, which changes nothing).
 *
 *   verify_workload WAY FILE [hold SECONDS | LET_GO | partial AT | repeat N]
 *
 * FILE gets a page of 'A's, dirty in the page cache (not written back: the
 * first store through a mapping dirties nothing new). A page of it is
 * spliced into a pipe, WAY changes byte 100 to 'X' (clean: nothing), then
 * the pipe is read. Prints "ino=N pid=N drain=NS got=changed|original"
 * (drain: CLOCK_MONOTONIC as the read, or VW_DRAIN's drain, began; got: what
 * the reader of the pipe got); exit 0 when WAY did what it should. With "hold
 * SECONDS" the pipe is read that much later; with LET_GO it is let go of
 * unread by a child of this process (its pid=; got=none), and once that
 * child has been reaped a second line "gone=NS" (CLOCK_MONOTONIC, the
 * records' ts_ns: the pipe was let go of by then): "close"
 * (close(2) of both ends), "exit" (the process exits with both open),
 * "exit_threads" (the same from a process of four running threads),
 * "dup2" (/dev/null dup2(2)'d over both), "close_range" (close_range(2)
 * over both), "exec" (both close-on-exec, then exec of /bin/true, the
 * same pid), "uring_close" (io_uring close requests) or "uring_close_fixed"
 * (both registered with a ring, closed, then the ring's two fixed files
 * closed by io_uring close requests); with "partial AT" its first 200 bytes
 * are read before WAY changes byte AT, the rest after (got: of the rest);
 * with "repeat N" all of it N times over, FILE made again each time (got: of
 * the last).
 *
 * enforce --verify (the reader is acted on) takes these from the
 * environment:
 *   VW_DRAIN=splice:OUT  the pipe is drained by splice(2) into OUT (made
 *                        empty first) rather than read; got: what OUT has
 *   VW_DRAIN=tee:OUT     tee(2) into a second pipe first, which is drained
 *   VW_DRAIN=uring_splice:OUT, uring_tee:OUT  the same by io_uring splice
 *                        and tee requests
 *   VW_DRAIN=socket      the pipe is spliced into an AF_UNIX stream socket
 *                        before WAY (kernel_aead then encrypts the page the
 *                        socket has queued), and the socket is read
 *   VW_HANDOFF_AS=UID    with VW_DRAIN=socket: that splice made by a child
 *                        of that uid (and gid)
 *   VW_HANDOFF_TWICE=1   with VW_HANDOFF_AS: the child, still root, splices
 *                        the page into the socket, then into the pipe again
 *                        from FILE, then takes UID and splices it into the
 *                        socket again (one task, pipe and range; two users)
 *   VW_HANDOFF_WAIT=PATH with VW_DRAIN=socket: after that splice, "handed_off"
 *                        on stdout, then WAY once PATH exists (the test
 *                        starts splicewatch in between)
 *   VW_NO_WRITERS=1      FILE's writable fd closed once it is spliced (it
 *                        stays open read-only): nobody has it open for writing
 *   VW_AS=UID            FILE is made, spliced and changed by a child of
 *                        that uid (and gid); this process drains the pipe
 *   VW_MODE=MODE         FILE's mode (octal), set after it is made
 *   VW_IA32=1            (amd64) the splice into the pipe and the read of
 *                        it are IA-32 syscalls (int $0x80)
 *   VW_URING_FILL=1      the splice into the pipe is an io_uring request
 *   VW_URING_PARTIAL=1   with "partial": the first bytes are taken by an
 *                        io_uring splice request into /dev/null
 *   VW_URING_FIXED=1     the io_uring requests name their files by index in
 *                        the ring's table of fixed files, not by fd (a
 *                        drain's input registered before WAY)
 * and WAY pwrite_child: a pwrite by a child named vw_writer.
 *
 * The kernel's own writers, played by the test module tests/kmod/sw_kwriter
 * (loaded in the VMs, tests/vm/guest-verify.sh), through /proc/sw_kwriter:
 * kernel_write (byte 100 of the held bytes set to 'X' through the kernel's
 * mapping of the page), kernel_aead (the held bytes encrypted in place,
 * AES-GCM; the reader gets ciphertext), kernel_skcipher (AES-CTR in place,
 * a skcipher request), kernel_aead_resplice (kernel_aead, the pipe read,
 * the page spliced in again, kernel_aead again: the bytes come back, one
 * key and IV), kernel_aead_bh (kernel_aead from a
 * softirq that interrupts this process) and kernel_own_page (both into a
 * page of the module's own: the held bytes stay as they were).
 *
 * And the kernel's own crypto on a file's pages where nothing may be
 * reported: ktls_sendfile, ktls_recv, fscrypt_read and dmcrypt_direct
 * (tests/verify_crypto.c says what each does).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <liburing.h>
#include <linux/dm-ioctl.h>
#include <linux/fscrypt.h>
#include <linux/loop.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
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
#include "ia32_syscall.h"
#include "verify_workload.h"

#define FIRST	200	/* bytes read before the change with "partial" */

long AT = 100;		/* the byte changed */
static int held_pipe = -1;	/* the pipe's read end (for the kernel ways) */
static int held_pipe_in = -1;	/* its write end (kernel_aead_resplice) */
static int held_socket = -1;	/* VW_DRAIN=socket: the end the pages wait at */

int die(const char *what)
{
	perror(what);
	exit(2);
}

/* A child with FILE mapped shared, stopped (for ptrace) or waiting. */
static pid_t mapped_child(int fd, char **map_out, bool traced)
{
	char *map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pid_t pid;

	if (map == MAP_FAILED)
		die("mmap");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		if (traced && ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(2);
		raise(SIGSTOP);
		pause();
		_exit(0);
	}
	waitpid(pid, NULL, WUNTRACED);
	*map_out = map;	/* the same address in the child (fork) */
	return pid;
}

static void end_child(pid_t pid, bool traced)
{
	if (traced)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void change(const char *way, int fd, const char *path)
{
	char x = 'X', *map;
	pid_t child;
	int status;

	if (!strcmp(way, "clean"))
		return;
	if (!strcmp(way, "pwrite")) {
		if (pwrite(fd, &x, 1, AT) != 1)
			die("pwrite");
		return;
	}
	if (!strcmp(way, "pwrite_child")) {
		child = fork();
		if (child < 0)
			die("fork");
		if (!child) {
			prctl(PR_SET_NAME, "vw_writer");
			_exit(pwrite(fd, &x, 1, AT) == 1 ? 0 : 2);
		}
		if (waitpid(child, &status, 0) != child || status)
			die("pwrite_child");
		return;
	}
	if (!strcmp(way, "store")) {
		map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			die("mmap");
		map[AT] = x;
		munmap(map, PAGE);
		return;
	}
	if (!strcmp(way, "read_into_mapping")) {
		int src;
		char tmp[] = "/tmp/sw-verify-src.XXXXXX";

		map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		src = mkstemp(tmp);
		if (map == MAP_FAILED || src < 0 || pwrite(src, &x, 1, 0) != 1)
			die("read_into_mapping setup");
		unlink(tmp);
		if (pread(src, map + AT, 1, 0) != 1)
			die("pread into the mapping");
		close(src);
		munmap(map, PAGE);
		return;
	}
	if (!strcmp(way, "process_vm_writev")) {
		struct iovec local = { &x, 1 }, remote;

		child = mapped_child(fd, &map, false);
		remote = (struct iovec){ map + AT, 1 };
		if (process_vm_writev(child, &local, 1, &remote, 1, 0) != 1)
			die("process_vm_writev");
		end_child(child, false);
		return;
	}
	if (!strcmp(way, "ptrace_pokedata")) {
		long word;

		child = mapped_child(fd, &map, true);
		word = ptrace(PTRACE_PEEKDATA, child, map + AT - AT % 8, NULL);
		((char *)&word)[AT % 8] = x;
		if (ptrace(PTRACE_POKEDATA, child, map + AT - AT % 8, (void *)word))
			die("PTRACE_POKEDATA");
		end_child(child, true);
		return;
	}
	if (!strcmp(way, "io_uring_read")) {
		struct io_uring ring;
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;
		int src;
		char tmp[] = "/tmp/sw-verify-src.XXXXXX";

		map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		src = mkstemp(tmp);
		if (map == MAP_FAILED || src < 0 || pwrite(src, &x, 1, 0) != 1 ||
		    io_uring_queue_init(4, &ring, 0))
			die("io_uring_read setup");
		unlink(tmp);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, src, map + AT, 1, 0);
		io_uring_submit(&ring);
		if (io_uring_wait_cqe(&ring, &cqe) || cqe->res != 1)
			die("io_uring read into the mapping");
		io_uring_cqe_seen(&ring, cqe);
		io_uring_queue_exit(&ring);
		close(src);
		munmap(map, PAGE);
		return;
	}
	if (!strncmp(way, "kernel_", 7)) {
		int k = open("/proc/sw_kwriter", O_WRONLY), n = -1;

		if (k < 0)
			die("open /proc/sw_kwriter (the test module)");
		if (!strcmp(way, "kernel_write"))
			n = dprintf(k, "write %d %ld", held_pipe, AT);
		else if (!strcmp(way, "kernel_aead") && held_socket >= 0)
			n = dprintf(k, "aead_sock %d", held_socket);
		else if (!strcmp(way, "kernel_aead"))
			n = dprintf(k, "aead %d", held_pipe);
		else if (!strcmp(way, "kernel_aead_resplice")) {
			char page[PAGE];
			loff_t off = 0;

			/* The same thread, the same file range and pipe, a new
			 * hold: the pipe read, the page spliced in again. */
			if (dprintf(k, "aead %d", held_pipe) < 0 ||
			    read(held_pipe, page, PAGE) != PAGE ||
			    splice(fd, &off, held_pipe_in, NULL, PAGE, 0) != PAGE)
				die("kernel_aead_resplice");
			n = dprintf(k, "aead %d", held_pipe);
		} else if (!strcmp(way, "kernel_skcipher"))
			n = dprintf(k, "skcipher %d", held_pipe);
		else if (!strcmp(way, "kernel_aead_bh"))
			n = dprintf(k, "aead_bh %d", held_pipe);
		else if (!strcmp(way, "kernel_own_page"))
			n = dprintf(k, "own");
		else
			errno = EINVAL;
		if (n < 0)
			die(way);
		close(k);
		return;
	}
	fprintf(stderr, "unknown way %s (%s)\n", way, path);
	exit(2);
}

/* What the reader got: changed bytes, or the file's 'A's. */
const char *what(const char *got)
{
	return got[AT] != 'A' ? "changed" : "original";
}

/* The ways that leave the held bytes as they were (kernel_aead_resplice:
 * AES-GCM's CTR twice, one key and IV, gives them back). */
static bool changes_nothing(const char *way)
{
	return !strcmp(way, "clean") || !strcmp(way, "kernel_own_page") ||
	       !strcmp(way, "kernel_aead_resplice");
}

/* FILE made a dirty page of 'A's: its fd, open for writing; st, when
 * given, its stat. */
int page_file(const char *path, struct stat *st)
{
	char page[PAGE];
	int fd;

	memset(page, 'A', sizeof(page));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pwrite(fd, page, PAGE, 0) != PAGE || (st && fstat(fd, st)))
		die("setup");
	return fd;
}

/* VW_URING_FIXED with an io_uring drain: a ring with the pipe's read end
 * registered (index 0), made before WAY changes the bytes. Registering files
 * can take milliseconds (in a VM under TCG, more), which a change made before
 * it would give the sweep to find first, before the drain does. */
static struct io_uring drain_ring;
static int drain_ring_in = -1;

static void uring_register_drain(int in)
{
	if (io_uring_queue_init(4, &drain_ring, 0) || io_uring_register_files(&drain_ring, &in, 1))
		die("io_uring_register_files of the pipe");
	drain_ring_in = in;
}

/* One io_uring splice (off_in -1: a pipe's) or tee request, waited for:
 * what it moved. VW_URING_FIXED: the input named by its index in the ring's
 * table of fixed files (SPLICE_F_FD_IN_FIXED), and so is the output
 * (IOSQE_FIXED_FILE) unless the input was registered before WAY. */
static int uring_move(bool tee, int in, int64_t off_in, int out, unsigned int len)
{
	bool fixed = getenv("VW_URING_FIXED");
	unsigned int flags = fixed ? SPLICE_F_FD_IN_FIXED : 0;
	int files[2] = { in, out };
	struct io_uring own, *ring = &own;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int res;

	if (fixed && in == drain_ring_in) {
		ring = &drain_ring;
		in = 0;
	} else {
		if (io_uring_queue_init(4, ring, 0))
			die("io_uring_queue_init");
		if (fixed && io_uring_register_files(ring, files, 2))
			die("io_uring_register_files");
		if (fixed) {
			in = 0;
			out = 1;
		}
	}
	sqe = io_uring_get_sqe(ring);
	if (tee)
		io_uring_prep_tee(sqe, in, out, len, flags);
	else
		io_uring_prep_splice(sqe, in, off_in, out, -1, len, flags);
	if (fixed && ring == &own)
		sqe->flags |= IOSQE_FIXED_FILE;
	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		die("io_uring splice");
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	io_uring_queue_exit(ring);
	if (ring == &drain_ring)
		drain_ring_in = -1;
	return res;
}

/* FILE made a dirty page of 'A's (mode: VW_MODE), a page of it spliced
 * into the pipe (VW_URING_FILL: by an io_uring splice request). */
static int fill(const char *path, int pipe_in)
{
	const char *mode = getenv("VW_MODE");
	loff_t off = 0;
	int fd = page_file(path, NULL);

	if (mode && fchmod(fd, strtoul(mode, NULL, 8)))
		die("setup");
#if defined(__x86_64__)
	if (getenv("VW_IA32")) {
		int64_t *low_off = ia32_low_page();

		if (!low_off)
			die("mmap(MAP_32BIT)");
		*low_off = 0;
		if (ia32_syscall(IA32_NR_splice, fd, (long)low_off, pipe_in, 0, PAGE, 0) != PAGE)
			die("IA-32 splice");
		return fd;
	}
#endif
	if (getenv("VW_URING_FILL")) {
		if (uring_move(false, fd, 0, pipe_in, PAGE) != PAGE)
			die("io_uring splice into the pipe");
		return fd;
	}
	if (splice(fd, &off, pipe_in, NULL, PAGE, 0) != PAGE)
		die("splice");
	return fd;
}

/* read(2) of the pipe, or with VW_IA32 an IA-32 read (into memory below
 * 4 GiB). */
static ssize_t read_pipe(int fd, char *buf, size_t len)
{
#if defined(__x86_64__)
	if (getenv("VW_IA32")) {
		char *low = ia32_low_page();
		ssize_t n;

		if (!low)
			die("mmap(MAP_32BIT)");
		n = ia32_syscall(IA32_NR_read, fd, (long)low, (long)len, 0, 0, 0);
		if (n > 0)
			memcpy(buf, low, (size_t)n);
		return n;
	}
#endif
	return read(fd, buf, len);
}

/* VW_AS: FILE made, spliced and changed by a child of another user. */
static void fill_and_change_as(const char *uid, const char *way, const char *path, int pipe_in)
{
	pid_t child = fork();
	int status;

	if (child < 0)
		die("fork");
	if (!child) {
		if (setgid(atoi(uid)) || setuid(atoi(uid)))
			die("setuid");
		change(way, fill(path, pipe_in), path);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || status)
		die("the child of VW_AS");
}

/* VW_DRAIN: the pipe drained into OUT by splice (after a tee into a second
 * pipe: tee:OUT); uring_splice:OUT, uring_tee:OUT: by io_uring requests.
 * Returns what OUT got. */
static const char *drain_to(const char *how, int pipe_out)
{
	const char *out = strchr(how, ':');
	bool uring = !strncmp(how, "uring_", 6);
	const char *op = uring ? how + 6 : how;
	int fd, q[2];
	char got[PAGE];

	if (!out || (strncmp(op, "splice:", 7) && strncmp(op, "tee:", 4))) {
		fprintf(stderr, "VW_DRAIN: [uring_]splice:OUT or [uring_]tee:OUT\n");
		exit(2);
	}
	fd = open(out + 1, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open OUT");
	if (!strncmp(op, "tee:", 4)) {
		if (pipe(q) || (uring ? uring_move(true, pipe_out, -1, q[1], PAGE)
				      : tee(pipe_out, q[1], PAGE, 0)) != PAGE)
			die("tee");
		pipe_out = q[0];
	}
	if ((uring ? uring_move(false, pipe_out, -1, fd, PAGE)
		   : splice(pipe_out, NULL, fd, NULL, PAGE, 0)) != PAGE ||
	    pread(fd, got, PAGE, 0) != PAGE)
		die("splice out");
	return what(got);
}

/* VW_DRAIN=socket: the pipe spliced into a socket, WAY, the socket read.
 * Returns what the reader got. */
static const char *through_socket(const char *way, int fd, const char *path, int pipe_out)
{
	const char *as = getenv("VW_HANDOFF_AS");
	char got[PAGE];
	int sv[2], status;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	if (as) {
		child = fork();
		if (child < 0)
			die("fork");
		if (!child) {
			loff_t off = 0;

			if (getenv("VW_HANDOFF_TWICE") &&
			    (splice(pipe_out, NULL, sv[0], NULL, PAGE, 0) != PAGE ||
			     splice(fd, &off, held_pipe_in, NULL, PAGE, 0) != PAGE))
				_exit(3);
			if (setgid(atoi(as)) || setuid(atoi(as)))
				die("setuid");
			_exit(splice(pipe_out, NULL, sv[0], NULL, PAGE, 0) == PAGE ? 0 : 2);
		}
		if (waitpid(child, &status, 0) != child || status)
			die("the child of VW_HANDOFF_AS");
	} else if (splice(pipe_out, NULL, sv[0], NULL, PAGE, 0) != PAGE) {
		die("splice into a socket");
	}
	held_socket = sv[1];
	if (getenv("VW_HANDOFF_WAIT")) {
		printf(" handed_off");
		fflush(stdout);
		while (access(getenv("VW_HANDOFF_WAIT"), F_OK))
			usleep(10000);
	}
	change(way, fd, path);
	if (recv(sv[1], got, PAGE, MSG_WAITALL) != PAGE)
		die("recv");
	return what(got);
}

static void *spin(void *unused)
{
	(void)unused;
	for (;;)
		;
	return NULL;
}

/* io_uring close requests of both ends of the pipe p, waited for; fixed:
 * the ends registered with the ring first and closed (the ring's table then
 * holds their last references), the requests naming their slots. */
static void uring_close(int p[2], bool fixed)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;

	if (io_uring_queue_init(4, &ring, 0) ||
	    (fixed && (io_uring_register_files(&ring, p, 2) || close(p[0]) || close(p[1]))))
		die("io_uring setup for the close");
	for (int i = 0; i < 2; i++) {
		sqe = io_uring_get_sqe(&ring);
		if (fixed)
			io_uring_prep_close_direct(sqe, i);
		else
			io_uring_prep_close(sqe, p[i]);
	}
	if (io_uring_submit_and_wait(&ring, 2) != 2)
		die("io_uring close");
	for (int i = 0; i < 2; i++) {
		if (io_uring_wait_cqe(&ring, &cqe) || cqe->res)
			die("io_uring close of an end of the pipe");
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
}

/* Lets go of the pipe p unread, the LET_GO way how (see the top): "exit",
 * "exit_threads" and "exec" do not return. */
static void let_go(const char *how, int p[2])
{
	int null;

	if (!strcmp(how, "close")) {
		if (close(p[0]) || close(p[1]))
			die("close");
	} else if (!strcmp(how, "exit")) {
		fflush(stdout);
		_exit(0);
	} else if (!strcmp(how, "exit_threads")) {
		/* Threads running on every CPU as the group exits: several of
		 * them at the exit tracepoint at once, each seeing the
		 * others' references to the fd table. */
		pthread_t t;

		for (int i = 0; i < 3; i++)
			if (pthread_create(&t, NULL, spin, NULL))
				die("pthread_create");
		fflush(stdout);
		exit(0);
	} else if (!strcmp(how, "dup2")) {
		null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, p[0]) < 0 || dup2(null, p[1]) < 0)
			die("dup2");
	} else if (!strcmp(how, "close_range")) {
		if (syscall(SYS_close_range, p[0] < p[1] ? p[0] : p[1], p[0] < p[1] ? p[1] : p[0], 0))
			die("close_range");
	} else if (!strcmp(how, "uring_close") || !strcmp(how, "uring_close_fixed")) {
		uring_close(p, !strcmp(how, "uring_close_fixed"));
	} else if (!strcmp(how, "exec")) {
		if (fcntl(p[0], F_SETFD, FD_CLOEXEC) || fcntl(p[1], F_SETFD, FD_CLOEXEC))
			die("FD_CLOEXEC");
		fflush(stdout);
		execl("/bin/true", "true", (char *)NULL);
		die("exec");
	}
}

/* CLOCK_MONOTONIC in ns: the records' ts_ns. */
static unsigned long long mono_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec;
}

/* With LET_GO: the rest of main runs in a child, which makes the pipe and
 * lets go of it; this process prints "gone=NS" once the child is reaped
 * (its fd table is gone before it can be: exit_files precedes exit_notify)
 * and exits with its status. A sweep dated before gone= may have found the
 * change before the release did (an exit tears down the address space
 * before the fd table); one dated after it found a change the release
 * missed. */
static void reap_then_say_gone(void)
{
	pid_t child;
	int status;

	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		return;
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	printf("gone=%llu\n", mono_ns());
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int main(int argc, char **argv)
{
	char got[PAGE];
	const char *as = getenv("VW_AS"), *drain = getenv("VW_DRAIN"), *what_got;
	unsigned long long drain_at;
	int fd = -1, p[2];
	struct stat st;

	bool hold = argc == 5 && !strcmp(argv[3], "hold");
	bool partial = argc == 5 && !strcmp(argv[3], "partial");
	long repeat = argc == 5 && !strcmp(argv[3], "repeat") ? atol(argv[4]) : 1;
	size_t first = 0;

	static const char *const ways_to_let_go[] = { "close", "exit", "exit_threads", "dup2",
						      "close_range", "exec", "uring_close",
						      "uring_close_fixed" };
	bool letting_go = false;

	for (size_t i = 0; argc == 4 && i < sizeof(ways_to_let_go) / sizeof(*ways_to_let_go); i++)
		letting_go |= !strcmp(argv[3], ways_to_let_go[i]);
	if (argc != 3 && !hold && !partial && !letting_go && !(argc == 5 && repeat > 1)) {
		fprintf(stderr, "usage: verify_workload WAY FILE "
			"[hold SECONDS | close | exit | exit_threads | dup2 | close_range | exec | "
			"uring_close | uring_close_fixed | "
			"partial AT | repeat N]\n");
		return 2;
	}
	if (!strncmp(argv[1], "ktls_", 5))
		return ktls(argv[1], argv[2]);
	if (!strcmp(argv[1], "fscrypt_read"))
		return fscrypt_read(argv[2]);
	if (!strcmp(argv[1], "dmcrypt_direct"))
		return dmcrypt_direct(argv[2]);
	if (partial)
		AT = atol(argv[4]);
	if (letting_go)
		reap_then_say_gone();
	if (pipe(p))
		die("pipe");
	held_pipe = p[0];
	held_pipe_in = p[1];
	for (long i = 1; i < repeat; i++) {
		fd = fill(argv[2], p[1]);
		change(argv[1], fd, argv[2]);
		if (read(p[0], got, PAGE) != PAGE || close(fd))
			die("read");
	}
	if (as) {
		fill_and_change_as(as, argv[1], argv[2], p[1]);
		if (stat(argv[2], &st))
			die("stat");
	} else {
		fd = fill(argv[2], p[1]);
		if (fstat(fd, &st))
			die("fstat");
		if (getenv("VW_NO_WRITERS")) {
			int ro = open(argv[2], O_RDONLY);

			if (ro < 0 || close(fd))
				die("VW_NO_WRITERS");
			fd = ro;
		}
	}
	if (drain && !strcmp(drain, "socket") && !as) {
		printf("ino=%llu pid=%d", (unsigned long long)st.st_ino, getpid());
		fflush(stdout);
		printf(" got=%s\n", through_socket(argv[1], fd, argv[2], p[0]));
		return 0;
	}
	if (drain) {
		if (getenv("VW_URING_FIXED") && !strncmp(drain, "uring_", 6))
			uring_register_drain(p[0]);
		if (!as)
			change(argv[1], fd, argv[2]);
		printf("ino=%llu pid=%d", (unsigned long long)st.st_ino, getpid());
		fflush(stdout);
		drain_at = mono_ns();
		what_got = drain_to(drain, p[0]);
		printf(" drain=%llu got=%s\n", drain_at, what_got);
		return 0;
	}
	if (partial) {
		first = FIRST;
		if (getenv("VW_URING_PARTIAL")) {
			int null = open("/dev/null", O_WRONLY);

			if (null < 0 || uring_move(false, p[0], -1, null, first) != (int)first)
				die("io_uring splice of the first bytes");
			close(null);
		} else if (read(p[0], got, first) != (ssize_t)first) {
			die("read");
		}
	}
	change(argv[1], fd, argv[2]);
	if (letting_go) {
		printf("ino=%llu pid=%d got=none\n", (unsigned long long)st.st_ino, getpid());
		let_go(argv[3], p);
		return 0;
	}
	if (hold)
		usleep((useconds_t)(atof(argv[4]) * 1e6));
	drain_at = mono_ns();
	if (read_pipe(p[0], got + first, PAGE - first) != (ssize_t)(PAGE - first))
		die("read");
	printf("ino=%llu pid=%d drain=%llu got=%s\n", (unsigned long long)st.st_ino, getpid(),
	       drain_at, (size_t)AT < first ? "read-before" : what(got));
	if ((size_t)AT < first)
		return 0;
	return (got[AT] != 'A') == !changes_nothing(argv[1]) ? 0 : 1;
}
