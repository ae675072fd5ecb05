/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the scenario files share: the helpers that set up holds and state
 * expectations (scenario_lib.c), and every scenario's setup and write
 * functions, which the table in scenarios.c names. */
#ifndef SW_TEST_SCENARIO_LIB_H
#define SW_TEST_SCENARIO_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "swtest.h"

#define PAGE 4096
#define W8 "WWWWWWWW"
#define A8 "AAAAAAAA"
#define Z8 "\0\0\0\0\0\0\0\0"

/* scenario_lib.c */
int make_file(struct tctx *t, char *path, const char *name, size_t size, char fill);
int splice_in(struct tctx *t, int fd, loff_t off, size_t len, int pw);
int held(struct tctx *t, size_t size, loff_t off, size_t len);
/* t->fd's [off, off+len) spliced into a new pipe, t->pr/t->pw. */
int held_in_new_pipe(struct tctx *t, loff_t off, size_t len);
/* A new file of 4 pages of 'A' (t->fd) and an empty pipe (t->pr, t->pw). */
int new_file_and_pipe(struct tctx *t);
uint64_t fd_ino(int fd);
void expect_report(struct tctx *t, const char *op, int64_t woff, int64_t wlen,
			  int64_t hoff, int64_t hlen, int pr);
void expect_pipe_at(struct tctx *t, int pr, int64_t skip, const char *landed,
			   const char *original);
void expect_pipe(struct tctx *t, int pr, const char *landed, const char *original);
void expect_file_bytes(struct tctx *t, const char *path, int64_t off, int len,
			      const char *landed, const char *original);
void expect_file(struct tctx *t, int64_t off, const char *landed, const char *original);
void expect_size(struct tctx *t, int64_t landed, int64_t original);
void expect_safe(struct tctx *t);
int child_ok(struct tctx *t, ssize_t got, ssize_t want, const char *what);

/* scenarios_write.c: the write paths and byte precision */
int setup_head_held(struct tctx *t);
int setup_pwrite64(struct tctx *t);
int do_pwrite64(struct tctx *t);
int setup_pwrite64_twice(struct tctx *t);
int do_pwrite64_twice(struct tctx *t);
int do_pwrite64_twice_as_nobody(struct tctx *t);
int do_pwrite64_fd_high_half_set(struct tctx *t);
int setup_direct_pwrite(struct tctx *t);
int do_direct_pwrite(struct tctx *t);
int setup_write(struct tctx *t);
int do_write(struct tctx *t);
int setup_writev(struct tctx *t);
int do_writev(struct tctx *t);
int setup_pwritev(struct tctx *t);
int do_pwritev(struct tctx *t);
int setup_pwritev2(struct tctx *t);
int do_pwritev2_at_file_position(struct tctx *t);
int setup_copy_file_range(struct tctx *t);
int do_copy_file_range(struct tctx *t);
int setup_splice_into_file(struct tctx *t);
int do_splice_into_file(struct tctx *t);
int setup_sendfile_into_file(struct tctx *t);
int do_sendfile_into_file(struct tctx *t);
int setup_fallocate(struct tctx *t, const char *op_unused);
int setup_punch_hole(struct tctx *t);
int do_punch_hole(struct tctx *t);
int setup_zero_range(struct tctx *t);
int do_zero_range(struct tctx *t);
int setup_collapse_range(struct tctx *t);
int setup_insert_range(struct tctx *t);
int do_collapse_range(struct tctx *t);
int do_insert_range(struct tctx *t);
int setup_ftruncate(struct tctx *t);
int do_ftruncate(struct tctx *t);
int setup_truncate_path(struct tctx *t, int64_t length);
int setup_truncate_into_page(struct tctx *t);
int do_truncate_100(struct tctx *t);
int setup_truncate_to_zero(struct tctx *t);
int do_truncate_0(struct tctx *t);
int setup_open_trunc(struct tctx *t);
int do_open_trunc(struct tctx *t);
int do_openat2_trunc(struct tctx *t);
int do_open_trunc_as_nobody(struct tctx *t);
int setup_io_uring_open_trunc(struct tctx *t);
int do_io_uring_open_trunc(struct tctx *t);
int setup_one_byte_into_range(struct tctx *t);
int do_one_byte_at_199(struct tctx *t);
int setup_first_100_bytes_held(struct tctx *t);
int do_write_bytes_100_to_300(struct tctx *t);
int setup_safe_head_held(struct tctx *t);
int setup_another_page(struct tctx *t);
int setup_another_file(struct tctx *t);
int setup_write_into_pipe(struct tctx *t);
int setup_copy_out(struct tctx *t);
int do_write_another_page(struct tctx *t);
int do_write_another_file(struct tctx *t);
int do_write_into_a_pipe(struct tctx *t);
int do_copy_file_range_without_pipe(struct tctx *t);
int setup_append(struct tctx *t);
int do_append(struct tctx *t);

/* scenarios_race.c: a second thread changes the write after sys_enter */
int setup_race(struct tctx *t);
int do_race_dup2(struct tctx *t);
int do_race_iov(struct tctx *t);

/* scenarios_hold.c: releases and how pages get into pipes */
int setup_drained_by_read(struct tctx *t);
int setup_drained_by_splice(struct tctx *t);
int setup_pipe_closed(struct tctx *t);
int setup_splicer_exited(struct tctx *t);
int setup_new_pipe_at_freed_pipes_address(struct tctx *t);
int setup_partially_read(struct tctx *t);
int setup_partial_read_consumed_bytes(struct tctx *t);
int do_write_500(struct tctx *t);
int setup_partial_read_remaining_bytes(struct tctx *t);
int do_write_1000(struct tctx *t);
int setup_sendfile_to_pipe(struct tctx *t);
int setup_vmsplice(struct tctx *t);
int setup_io_uring_splice(struct tctx *t);
int setup_tee(struct tctx *t);
int setup_io_uring_tee(struct tctx *t);
int setup_io_uring_write(struct tctx *t);
int do_io_uring_write(struct tctx *t);
int setup_splice_at_file_position(struct tctx *t);
int do_write_at_2_pages_16(struct tctx *t);
int setup_resized_pipe(struct tctx *t);
int do_write_at_900k(struct tctx *t);
int setup_resize_after_splice(struct tctx *t);
int do_write_page_5(struct tctx *t);
int setup_forked_splicer(struct tctx *t);
int setup_second_splicer(struct tctx *t);
int do_pwrite_page_64(struct tctx *t);
int setup_first_splicer_after_second(struct tctx *t);
int do_pwrite_page_1(struct tctx *t);
int setup_held_for_a_while(struct tctx *t);
int setup_untracked_hold(struct tctx *t);
int setup_drained_then_spliced_again(struct tctx *t);
int do_pwrite_from_thread(struct tctx *t);
int setup_hard_link(struct tctx *t);
int do_pwrite_via_e_path(struct tctx *t);
int setup_bind_mount(struct tctx *t);
int setup_page_inside_large_folio(struct tctx *t);
int do_write_page_5_plus_10(struct tctx *t);
int setup_other_page_of_large_folio(struct tctx *t);
int do_write_page_6(struct tctx *t);
int setup_mmap_store(struct tctx *t);
int do_mmap_store(struct tctx *t);

/* scenarios_ia32.c (amd64) */
#if defined(__x86_64__)
int do_ia32_pwrite64_as_nobody(struct tctx *t);
int do_ia32_writev(struct tctx *t);
int do_ia32_ftruncate64(struct tctx *t);
int setup_ia32_splice_hold(struct tctx *t);
int setup_ia32_vmsplice_hold(struct tctx *t);
#endif

#endif
