// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Scenarios: each puts page-cache pages into a pipe in setup() (run by the test
 * process, which is the splicer) and makes one write in write() (run by a forked
 * writer). Each states what splicewatch must report and what the pipe must then
 * deliver. Names say what they prove.
 */
#include "scenario_lib.h"

#define E4 FS_EXT4_ONLY
#define LARGE ((1u << FS_EXT4) | (1u << FS_HUGE_TMPFS))

const struct scenario scenarios[] = {
	/* every write path, into held bytes */
	{ "pwrite64_into_held_range_is_reported", FS_ALL, setup_pwrite64, do_pwrite64 },
	{ "write_at_file_position_into_held_range_is_reported", FS_ALL, setup_write, do_write },
	{ "writev_into_held_range_is_reported", FS_ALL, setup_writev, do_writev },
	{ "pwritev_into_held_range_is_reported", FS_ALL, setup_pwritev, do_pwritev },
	{ "pwritev2_at_file_position_into_held_range_is_reported", FS_ALL, setup_pwritev2,
	  do_pwritev2_at_file_position },
	{ "copy_file_range_into_held_range_is_reported", FS_ALL, setup_copy_file_range,
	  do_copy_file_range },
	{ "splice_from_pipe_into_held_range_is_reported", FS_ALL, setup_splice_into_file,
	  do_splice_into_file },
	{ "sendfile_into_held_range_is_reported", FS_ALL, setup_sendfile_into_file,
	  do_sendfile_into_file },
	{ "fallocate_punch_hole_over_held_range_is_reported", FS_ALL, setup_punch_hole, do_punch_hole },
	{ "fallocate_zero_range_over_held_range_is_reported", E4, setup_zero_range, do_zero_range },
	{ "fallocate_collapse_range_before_held_range_is_reported", E4, setup_collapse_range,
	  do_collapse_range },
	{ "fallocate_insert_range_before_held_range_is_reported", E4, setup_insert_range,
	  do_insert_range },
	{ "ftruncate_into_held_range_is_reported", FS_ALL, setup_ftruncate, do_ftruncate },
	/* tmpfs zeroes a partly cut page with no tracepoint on the way: see README */
	{ "truncate_path_into_held_page_is_reported", E4, setup_truncate_into_page,
	  do_truncate_100 },
	{ "truncate_path_to_zero_is_reported", FS_ALL, setup_truncate_to_zero, do_truncate_0 },
	{ "open_o_trunc_of_held_file_is_reported", FS_ALL, setup_open_trunc, do_open_trunc },
	{ "openat2_o_trunc_of_held_file_is_reported", FS_ALL, setup_open_trunc, do_openat2_trunc },
	{ "open_o_trunc_by_unprivileged_user_is_reported", FS_ALL, setup_open_trunc,
	  do_open_trunc_as_nobody },
	{ "pwrite64_repeated_into_held_range_is_checked_each_time", FS_ALL, setup_pwrite64_twice,
	  do_pwrite64_twice },
	{ "pwrite64_repeated_by_unprivileged_user_is_checked_each_time", FS_ALL,
	  setup_pwrite64_twice, do_pwrite64_twice_as_nobody },
	{ "pwrite64_fd_with_high_half_set_is_reported", FS_ALL, setup_pwrite64,
	  do_pwrite64_fd_high_half_set },
#if defined(__x86_64__)
	/* IA-32 syscalls (int $0x80), which any program can make */
	{ "ia32_pwrite64_by_unprivileged_user_is_reported", FS_ALL, setup_pwrite64,
	  do_ia32_pwrite64_as_nobody },
	{ "ia32_writev_into_held_range_is_reported", FS_ALL, setup_writev, do_ia32_writev },
	{ "ia32_ftruncate64_into_held_range_is_reported", FS_ALL, setup_ftruncate,
	  do_ia32_ftruncate64 },
	{ "ia32_splice_hold_is_reported", FS_ALL, setup_ia32_splice_hold, do_pwrite64 },
	{ "ia32_vmsplice_of_shared_file_mapping_is_reported", FS_ALL, setup_ia32_vmsplice_hold,
	  do_pwrite64 },
#endif
	{ "direct_io_pwrite_into_held_range_is_reported", E4, setup_direct_pwrite,
	  do_direct_pwrite, .trace_only = true },
	{ "mmap_store_to_clean_held_page_is_reported", E4, setup_mmap_store, do_mmap_store,
	  .trace_only = true },
	/* check-then-use: a second thread changes the write after sys_enter */
	{ "fd_swapped_by_dup2_after_entry_is_reported", FS_ALL, setup_race, do_race_dup2,
	  .trace_only = true, .kernel_hooks_only = true, .two_cpus = true },
	{ "iovec_grown_after_entry_is_reported", FS_ALL, setup_race, do_race_iov,
	  .trace_only = true, .kernel_hooks_only = true, .two_cpus = true },
	/* byte precision */
	{ "one_byte_into_held_range_is_reported", FS_ALL, setup_one_byte_into_range,
	  do_one_byte_at_199 },
	{ "write_beside_held_bytes_in_same_page_is_not_reported", FS_ALL,
	  setup_first_100_bytes_held, do_write_bytes_100_to_300 },
	{ "write_to_another_page_is_not_reported", FS_ALL, setup_another_page,
	  do_write_another_page },
	{ "write_to_another_file_is_not_reported", FS_ALL, setup_another_file,
	  do_write_another_file },
	{ "write_into_a_pipe_is_not_reported", FS_ALL, setup_write_into_pipe, do_write_into_a_pipe },
	{ "copy_file_range_out_of_held_file_is_not_reported", FS_ALL, setup_copy_out,
	  do_copy_file_range_without_pipe },
	{ "o_append_write_past_held_bytes_is_not_reported", FS_ALL, setup_append, do_append },
	/* releases */
	{ "write_after_pipe_drained_by_read_is_not_reported", FS_ALL, setup_drained_by_read,
	  do_pwrite64 },
	{ "write_after_pipe_drained_by_splice_is_not_reported", FS_ALL, setup_drained_by_splice,
	  do_pwrite64 },
	{ "write_after_pipe_closed_is_not_reported", FS_ALL, setup_pipe_closed, do_pwrite64 },
	{ "write_after_splicer_exited_is_not_reported", FS_ALL, setup_splicer_exited, do_pwrite64 },
	{ "pwrite64_into_new_pipe_at_freed_pipes_address_is_reported", FS_ALL,
	  setup_new_pipe_at_freed_pipes_address, do_pwrite64 },
	{ "write_into_consumed_part_of_partly_read_buffer_is_not_reported", FS_ALL,
	  setup_partial_read_consumed_bytes, do_write_500 },
	{ "write_into_unread_part_of_partly_read_buffer_is_reported", FS_ALL,
	  setup_partial_read_remaining_bytes, do_write_1000 },
	/* sources of holds */
	{ "sendfile_to_pipe_is_reported_where_it_shares_pages", FS_ALL, setup_sendfile_to_pipe, do_pwrite64 },
	{ "tee_keeps_page_held_after_first_pipe_drained", FS_ALL, setup_tee, do_pwrite64 },
	{ "io_uring_splice_hold_is_reported", FS_ALL, setup_io_uring_splice, do_pwrite64 },
	{ "io_uring_write_into_held_range_is_reported", FS_ALL, setup_io_uring_write,
	  do_io_uring_write, .trace_only = true, .kernel_hooks_only = true },
	{ "io_uring_openat_o_trunc_of_held_file_is_reported", FS_ALL, setup_io_uring_open_trunc,
	  do_io_uring_open_trunc, .trace_only = true, .kernel_hooks_only = true },
	{ "io_uring_tee_keeps_page_held_after_first_pipe_drained", FS_ALL, setup_io_uring_tee,
	  do_pwrite64 },
	{ "vmsplice_of_shared_file_mapping_is_reported", FS_ALL, setup_vmsplice, do_pwrite64 },
	{ "splice_from_file_position_is_reported", FS_ALL, setup_splice_at_file_position,
	  do_write_at_2_pages_16 },
	{ "megabyte_pipe_holds_are_tracked", FS_ALL, setup_resized_pipe, do_write_at_900k },
	{ "holds_survive_pipe_resize", FS_ALL, setup_resize_after_splice, do_write_page_5 },
	{ "hold_by_forked_child_names_child_as_splicer", FS_ALL, setup_forked_splicer, do_pwrite64 },
	{ "second_splicer_into_a_pipe_is_named_for_its_pages", FS_ALL, setup_second_splicer,
	  do_pwrite_page_64 },
	{ "first_splicer_keeps_its_pages_after_another_splices_in", FS_ALL,
	  setup_first_splicer_after_second, do_pwrite_page_1 },
	{ "held_ns_counts_from_the_splice", FS_ALL, setup_held_for_a_while, do_pwrite64 },
	{ "write_into_untracked_hold_is_stopped_by_on_untracked", FS_ALL, setup_untracked_hold,
	  do_pwrite64, .enforce_only = true },
	{ "write_to_bytes_read_out_before_the_next_splice_is_not_reported", FS_ALL,
	  setup_drained_then_spliced_again, do_pwrite64 },
	{ "write_from_second_thread_is_reported_with_its_tid", FS_ALL, setup_pwrite64,
	  do_pwrite_from_thread },
	{ "write_through_hard_link_is_reported", FS_ALL, setup_hard_link, do_pwrite_via_e_path },
	{ "write_through_bind_mount_is_reported", E4, setup_bind_mount, do_pwrite_via_e_path },
	{ "page_inside_large_folio_is_matched_by_index", LARGE, setup_page_inside_large_folio,
	  do_write_page_5_plus_10 },
	{ "other_page_of_large_folio_is_not_reported", LARGE, setup_other_page_of_large_folio,
	  do_write_page_6 },
};

const int n_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);
