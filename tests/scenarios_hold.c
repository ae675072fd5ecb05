// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Scenarios: releases (after these nothing may be reported) and every way
 * pages get into pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <liburing.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "swtest.h"
#include "scenario_lib.h"

/* ---- releases: after these nothing may be reported ----------------------- */

int setup_drained_by_read(struct tctx *t)
{
	char buf[PAGE];

	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	if (read(t->pr, buf, PAGE) != PAGE)
		return fail(t, "read pipe");
	expect_safe(t);
	expect_file(t, 0, W8, NULL);
	return 0;
}

int setup_drained_by_splice(struct tctx *t)
{
	int null = open("/dev/null", O_WRONLY);

	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	if (splice(t->pr, NULL, null, NULL, PAGE, 0) != PAGE)
		return fail(t, "splice to /dev/null");
	close(null);
	expect_safe(t);
	expect_file(t, 0, W8, NULL);
	return 0;
}

int setup_pipe_closed(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	close(t->pr);
	close(t->pw);
	t->pr = t->pw = -1;
	expect_safe(t);
	expect_file(t, 0, W8, NULL);
	return 0;
}

int setup_splicer_exited(struct tctx *t)
{
	pid_t pid;
	int status;

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int p[2];

		if (pipe(p) || splice(t->fd, &(loff_t){ 0 }, p[1], NULL, PAGE, 0) != PAGE)
			_exit(1);
		_exit(0);	/* the pipe dies with us */
	}
	waitpid(pid, &status, 0);
	if (status)
		return fail(t, "splicer child failed");
	expect_safe(t);
	expect_file(t, 0, W8, NULL);
	return 0;
}

/* A pipe freed while nothing is held goes unseen (GC forgets it later); a
 * pipe made at once takes its address, and its ring the old ring's (the
 * old inode is freed only after an RCU grace period). Its hold must be
 * learnt as a new pipe's, not passed for the old pipe's drained positions:
 * under syscall attach none only the splice read sees it. */
int setup_new_pipe_at_freed_pipes_address(struct tctx *t)
{
	pid_t pid;
	int status, p[2];

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char buf[PAGE];

		if (pipe(p) || splice(t->fd, &(loff_t){ 0 }, p[1], NULL, PAGE, 0) != PAGE ||
		    read(p[0], buf, PAGE) != PAGE)
			_exit(1);
		/* Past the GC interval (200 ms): nothing held when the pipe dies. */
		usleep(500 * 1000);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (status)
		return fail(t, "child failed");
	if (held_in_new_pipe(t, 0, PAGE))
		return -1;
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	return 0;
}

int setup_partially_read(struct tctx *t)
{
	char buf[1000];

	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	if (read(t->pr, buf, sizeof(buf)) != sizeof(buf))
		return fail(t, "read pipe");
	return 0;
}

int setup_partial_read_consumed_bytes(struct tctx *t)
{
	if (setup_partially_read(t))
		return -1;
	expect_safe(t);
	expect_pipe(t, t->pr, A8, A8);
	expect_file(t, 500, W8, NULL);
	return 0;
}

int do_write_500(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 500), 8, "pwrite");
}

int setup_partial_read_remaining_bytes(struct tctx *t)
{
	if (setup_partially_read(t))
		return -1;
	expect_report(t, "pwrite64", 1000, 8, 1000, PAGE - 1000, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 1000, W8, A8);
	return 0;
}

int do_write_1000(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 1000), 8, "pwrite");
}

/* ---- how pages get into pipes ------------------------------------------- */

/* Does sendfile into a pipe hand it the file's page (5.12 on), or a copy
 * (before: through the task's own splice pipe, then written into this one)?
 * Asked as src/kernel.c asks of splice: a store through a shared mapping
 * into a page already dirty, which no watcher reports. 1 shares, 0 copies. */
static int sendfile_to_pipe_shares(struct tctx *t)
{
	char path[600], got;
	off_t off = 0;
	int fd, p[2], shares = -1;
	char *map;

	fd = make_file(t, path, "sendfile-probe", PAGE, 'A');
	if (fd < 0)
		return -1;
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map != MAP_FAILED && !pipe(p)) {
		if (sendfile(p[1], fd, &off, PAGE) == PAGE) {
			map[0] = 'B';
			if (read(p[0], &got, 1) == 1)
				shares = got == 'B';
		}
		close(p[0]);
		close(p[1]);
	}
	if (map != MAP_FAILED)
		munmap(map, PAGE);
	close(fd);
	unlink(path);
	return shares < 0 ? fail(t, "probing sendfile to a pipe") : shares;
}

/* Reported where sendfile shares the page; where it copies, the write is safe
 * and the pipe keeps its bytes. */
int setup_sendfile_to_pipe(struct tctx *t)
{
	int shares = sendfile_to_pipe_shares(t);
	off_t off = 0;

	if (shares < 0)
		return -1;
	if (new_file_and_pipe(t))
		return -1;
	if (sendfile(t->pw, t->fd, &off, PAGE) != PAGE)
		return fail(t, "sendfile to pipe");
	if (!shares) {
		expect_safe(t);
		expect_pipe(t, t->pr, A8, A8);
		expect_file(t, 0, W8, NULL);
		return 0;
	}
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

int setup_vmsplice(struct tctx *t)
{
	struct iovec iov;

	if (new_file_and_pipe(t))
		return -1;
	t->map_len = 4 * PAGE;
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		return fail(t, "mmap");
	}
	iov.iov_base = t->map;
	iov.iov_len = PAGE;
	if (vmsplice(t->pw, &iov, 1, 0) != PAGE)
		return fail(t, "vmsplice");
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

struct uring_req {
	int op;			/* IORING_OP_SPLICE, _TEE, _WRITE or _OPENAT */
	int fd_in, fd_out;
	int64_t off_in, off_out;
	const void *buf;
	unsigned int len;
	const char *path;	/* _OPENAT */
	int flags;
};

/* Runs one io_uring request and waits for it: its result, or -errno. */
static int uring_one(const struct uring_req *r)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret < 0)
		return ret;
	sqe = io_uring_get_sqe(&ring);
	if (r->op == IORING_OP_TEE)
		io_uring_prep_tee(sqe, r->fd_in, r->fd_out, r->len, 0);
	else if (r->op == IORING_OP_SPLICE)
		io_uring_prep_splice(sqe, r->fd_in, r->off_in, r->fd_out, r->off_out, r->len, 0);
	else if (r->op == IORING_OP_OPENAT)
		io_uring_prep_openat(sqe, AT_FDCWD, r->path, r->flags, 0);
	else
		io_uring_prep_write(sqe, r->fd_out, r->buf, r->len, r->off_out);
	ret = io_uring_submit(&ring);
	if (ret == 1)
		ret = io_uring_wait_cqe(&ring, &cqe);
	if (!ret) {
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return ret;
}

static int uring_splice(struct tctx *t, const struct uring_req *r)
{
	int ret = uring_one(r);

	if (ret != (int)r->len) {
		errno = ret < 0 ? -ret : 0;
		return fail(t, "io_uring op %d returned %d, want %u", r->op, ret, r->len);
	}
	return 0;
}

/* io_uring runs splice and tee in an io-wq worker thread of the submitter. */
static void expect_io_wq_splicer(struct tctx *t)
{
	snprintf(t->e->splicer_comm, sizeof(t->e->splicer_comm), "iou-wrk-*");
}

/* No syscall of the splice family runs: the kernel's io-wq worker splices. */
int setup_io_uring_splice(struct tctx *t)
{
	if (new_file_and_pipe(t))
		return -1;
	if (uring_splice(t, &(struct uring_req){ .op = IORING_OP_SPLICE, .fd_in = t->fd,
						 .fd_out = t->pw, .off_out = -1, .len = PAGE }))
		return -1;
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	expect_io_wq_splicer(t);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

/* A second pipe tees the first's page (tee(2) or io_uring), then the first is
 * read: the first lets go, the second still holds. */
static int held_by_tee_only(struct tctx *t, bool uring)
{
	char buf[PAGE];
	int p[2];

	if (held(t, 4 * PAGE, 0, PAGE) || pipe(p))
		return -1;
	t->pr2 = p[0];
	t->pw2 = p[1];
	if (uring) {
		if (uring_splice(t, &(struct uring_req){ .op = IORING_OP_TEE, .fd_in = t->pr,
							 .fd_out = t->pw2, .len = PAGE }))
			return -1;
	} else if (tee(t->pr, t->pw2, PAGE, 0) != PAGE) {
		return fail(t, "tee");
	}
	if (read(t->pr, buf, PAGE) != PAGE)
		return fail(t, "read");
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr2);
	expect_pipe(t, t->pr2, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

int setup_tee(struct tctx *t)
{
	return held_by_tee_only(t, false);
}

int setup_io_uring_tee(struct tctx *t)
{
	if (held_by_tee_only(t, true))
		return -1;
	expect_io_wq_splicer(t);
	return 0;
}

/* io_uring writes make no write syscall: the kernel's buffered write path is
 * hooked (fentry/kprobe). Inline or in an io-wq worker: the thread varies. */
int setup_io_uring_write(struct tctx *t)
{
	if (setup_head_held(t))
		return -1;
	expect_report(t, "write_iter", 0, 8, 0, PAGE, t->pr);
	t->e->tid = -1;
	return 0;
}

int do_io_uring_write(struct tctx *t)
{
	int ret = uring_one(&(struct uring_req){ .op = IORING_OP_WRITE, .fd_out = t->fd,
						 .buf = W8, .len = 8 });

	if (ret < 0)
		errno = -ret;
	return child_ok(t, ret, 8, "io_uring write");
}

/* io_uring's openat with O_TRUNC: no open syscall, the kernel's cut says it. */
int setup_io_uring_open_trunc(struct tctx *t)
{
	if (setup_open_trunc(t))
		return -1;
	t->e->tid = -1;
	return 0;
}

int do_io_uring_open_trunc(struct tctx *t)
{
	int ret = uring_one(&(struct uring_req){ .op = IORING_OP_OPENAT, .path = t->path,
						 .flags = O_WRONLY | O_TRUNC });

	if (ret < 0)
		errno = -ret;
	return child_ok(t, ret < 0 ? -1 : 0, 0, "io_uring openat(O_TRUNC)");
}

int setup_splice_at_file_position(struct tctx *t)
{
	if (new_file_and_pipe(t))
		return -1;
	lseek(t->fd, 2 * PAGE + 16, SEEK_SET);
	if (splice(t->fd, NULL, t->pw, NULL, 100, 0) != 100)
		return fail(t, "splice at f_pos");
	expect_report(t, "pwrite64", 2 * PAGE + 16, 8, 2 * PAGE + 16, 100, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 2 * PAGE + 16, W8, A8);
	return 0;
}

int do_write_at_2_pages_16(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 2 * PAGE + 16), 8, "pwrite");
}

int setup_resized_pipe(struct tctx *t)
{
	int p[2];

	t->fd = make_file(t, t->path, "data", 2 << 20, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	if (fcntl(t->pw, F_SETPIPE_SZ, 1 << 20) < (1 << 20))
		return fail(t, "F_SETPIPE_SZ");
	if (splice_in(t, t->fd, 0, 1 << 20, t->pw))
		return -1;
	expect_report(t, "pwrite64", 900 * 1024, 8, 900 * 1024, PAGE, t->pr);
	expect_pipe_at(t, t->pr, 900 * 1024, W8, A8);
	expect_file(t, 900 * 1024, W8, A8);
	return 0;
}

int do_write_at_900k(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 900 * 1024), 8, "pwrite");
}

int setup_resize_after_splice(struct tctx *t)
{
	if (held(t, 16 * PAGE, 0, 8 * PAGE))
		return -1;
	if (fcntl(t->pw, F_SETPIPE_SZ, 1 << 20) < (1 << 20))	/* copies and renumbers the ring */
		return fail(t, "F_SETPIPE_SZ");
	expect_report(t, "pwrite64", 5 * PAGE, 8, 5 * PAGE, PAGE, t->pr);
	expect_pipe_at(t, t->pr, 5 * PAGE, W8, A8);
	expect_file(t, 5 * PAGE, W8, A8);
	return 0;
}

int do_write_page_5(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 5 * PAGE), 8, "pwrite");
}

int setup_forked_splicer(struct tctx *t)
{
	int status;
	pid_t pid;

	if (new_file_and_pipe(t))
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, "sw-splicer");
		_exit(splice(t->fd, &(loff_t){ 0 }, t->pw, NULL, PAGE, 0) == PAGE ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (status)
		return fail(t, "child splice failed");
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	t->e->splicer_pid = pid;
	strcpy(t->e->splicer_comm, "sw-splicer");
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	return 0;
}

/* Lazy indexing: a splice's pages are indexed when something first looks,
 * but reports name who put them there and when, batch by batch. */

/* The runner splices pages 0-1 and reads page 0; a child then splices page 64
 * (another chunk) into the same pipe. */
static int two_splicers_one_pipe(struct tctx *t)
{
	char buf[PAGE];
	int p[2], status;
	pid_t pid;

	t->fd = make_file(t, t->path, "data", 66 * PAGE, 'A');
	if (t->fd < 0 || pipe(p))
		return -1;
	t->pr = p[0];
	t->pw = p[1];
	if (splice_in(t, t->fd, 0, 2 * PAGE, t->pw))
		return -1;
	if (read(t->pr, buf, PAGE) != PAGE)
		return fail(t, "read pipe");
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, "sw-splicer2");
		_exit(splice(t->fd, &(loff_t){ 64 * PAGE }, t->pw, NULL, PAGE, 0) == PAGE ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (status)
		return fail(t, "child splice failed");
	return pid;
}

int setup_second_splicer(struct tctx *t)
{
	int pid = two_splicers_one_pipe(t);

	if (pid < 0)
		return -1;
	expect_report(t, "pwrite64", 64 * PAGE, 8, 64 * PAGE, PAGE, t->pr);
	t->e->splicer_pid = pid;
	strcpy(t->e->splicer_comm, "sw-splicer2");
	/* the pipe: page 1 (the runner's, page 0 read out), then page 64 */
	expect_pipe_at(t, t->pr, PAGE, W8, A8);
	expect_file(t, 64 * PAGE, W8, A8);
	return 0;
}

int do_pwrite_page_64(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 64 * PAGE), 8, "pwrite");
}

int setup_first_splicer_after_second(struct tctx *t)
{
	if (two_splicers_one_pipe(t) < 0)
		return -1;
	expect_report(t, "pwrite64", PAGE, 8, PAGE, PAGE, t->pr);
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, PAGE, W8, A8);
	return 0;
}

int do_pwrite_page_1(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, PAGE), 8, "pwrite");
}

/* enforce --on-untracked (swtest passes kill, deny with --deny): a helper's
 * pipes hold page 1 in every holder slot of the file's first chunk; the
 * splicer's own hold of page 0 is then untracked (chunk_holders_full) and
 * only its mark covers page 0. The write there is stopped all the same, told
 * with the reason and the chunk's 64 pages as the held range. */
int setup_untracked_hold(struct tctx *t)
{
	int ready[2], p[2], sync_fd;
	char c, sync_path[512];

	t->fd = make_file(t, t->path, "data", 4 * PAGE, 'A');
	if (t->fd < 0)
		return -1;
	if (pipe(ready))
		return fail(t, "pipe");
	t->helper = fork();
	if (t->helper == 0) {
		for (int i = 0; i < 4; i++)	/* SW_HOLDERS_PER_CHUNK */
			if (pipe(p) || splice(t->fd, &(loff_t){ PAGE }, p[1], NULL, PAGE, 0) != PAGE)
				_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		return fail(t, "the helper's holds of page 1");
	close(ready[0]);
	/* A write check indexes every pending batch: the helper's first. */
	sync_fd = make_file(t, sync_path, "sync", PAGE, 'S');
	if (sync_fd < 0 || pwrite(sync_fd, "s", 1, 0) != 1)
		return fail(t, "write to index the helper's holds");
	close(sync_fd);
	if (held_in_new_pipe(t, 0, PAGE))
		return -1;
	expect_report(t, "pwrite64", 0, 8, 0, 64 * PAGE, t->pr);
	snprintf(t->e->untracked_reason, sizeof(t->e->untracked_reason), "chunk_holders_full");
	expect_pipe(t, t->pr, W8, A8);
	expect_file(t, 0, W8, A8);
	untracked_expected++;
	return 0;
}

/* held_ns counts from the splice, not from when the hold was first looked at. */
int setup_held_for_a_while(struct tctx *t)
{
	if (setup_pwrite64(t))
		return -1;
	usleep(100 * 1000);
	t->e->min_held_ns = 100 * 1000 * 1000;
	return 0;
}

/* A splice read out of the pipe before any write: the batch is dropped, and a
 * later splice of other bytes into the same pipe is the only hold. */
int setup_drained_then_spliced_again(struct tctx *t)
{
	if (setup_drained_by_splice(t))
		return -1;
	if (splice_in(t, t->fd, 2 * PAGE, PAGE, t->pw))
		return -1;
	expect_pipe(t, t->pr, A8, A8);	/* page 2 */
	return 0;
}

static void *thread_pwrite(void *arg)
{
	struct tctx *t = arg;

	t->e->tid = syscall(SYS_gettid);
	child_ok(t, pwrite(t->fd, W8, 8, 0), 8, "thread pwrite");
	return NULL;
}

int do_pwrite_from_thread(struct tctx *t)
{
	pthread_t th;

	if (pthread_create(&th, NULL, thread_pwrite, t))
		return 1;
	pthread_join(th, NULL);
	return 0;
}

int setup_hard_link(struct tctx *t)
{
	char link_path[600];

	if (setup_head_held(t))
		return -1;
	snprintf(link_path, sizeof(link_path), "%s/hardlink", t->dir);
	if (link(t->path, link_path))
		return fail(t, "link");
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	snprintf(t->e->path, sizeof(t->e->path), "%s", link_path);
	return 0;
}

int do_pwrite_via_e_path(struct tctx *t)
{
	int fd = open(t->e->path, O_WRONLY);

	return child_ok(t, pwrite(fd, W8, 8, 0), 8, "pwrite");
}

int setup_bind_mount(struct tctx *t)
{
	char bind[600];

	if (setup_head_held(t))
		return -1;
	snprintf(bind, sizeof(bind), "%s/bind", t->dir);
	if (mkdir(bind, 0755) || mount(t->dir, bind, NULL, MS_BIND, NULL))
		return fail(t, "bind mount");
	snprintf(t->mount, sizeof(t->mount), "%s", bind);
	expect_report(t, "pwrite64", 0, 8, 0, PAGE, t->pr);
	snprintf(t->e->path, sizeof(t->e->path), "%s/bind/data", t->dir);
	return 0;
}

/* Large folios: the page is found by its index inside the folio. */
int setup_page_inside_large_folio(struct tctx *t)
{
	if (held(t, 4 << 20, 5 * PAGE, PAGE))
		return -1;
	expect_report(t, "pwrite64", 5 * PAGE + 10, 8, 5 * PAGE, PAGE, t->pr);
	expect_pipe_at(t, t->pr, 10, W8, A8);
	expect_file(t, 5 * PAGE + 10, W8, A8);
	return 0;
}

int do_write_page_5_plus_10(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 5 * PAGE + 10), 8, "pwrite");
}

int setup_other_page_of_large_folio(struct tctx *t)
{
	if (held(t, 4 << 20, 5 * PAGE, PAGE))
		return -1;
	expect_safe(t);
	expect_pipe(t, t->pr, A8, A8);
	expect_file(t, 6 * PAGE, W8, NULL);
	return 0;
}

int do_write_page_6(struct tctx *t)
{
	return child_ok(t, pwrite(t->fd, W8, 8, 6 * PAGE), 8, "pwrite");
}

/* A store through a shared mapping to a clean page (first clean->dirty). */
int setup_mmap_store(struct tctx *t)
{
	if (held(t, 4 * PAGE, 0, PAGE))
		return -1;
	if (fsync(t->fd))
		return fail(t, "fsync");
	expect_report(t, "mmap", 0, PAGE, 0, PAGE, t->pr);
	expect_pipe(t, t->pr, "W", "A");
	expect_file(t, 0, "W", "A");
	return 0;
}

int do_mmap_store(struct tctx *t)
{
	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);

	if (m == MAP_FAILED)
		return fail(t, "mmap"), 1;
	m[0] = 'W';
	munmap(m, PAGE);
	return 0;
}
