/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What swtest reads of splicewatch: its JSON event lines (swtest_event.c) and
 * its counters in the BPF programs' .bss map (swtest_counters.c). */
#ifndef SW_TEST_SWTEST_SW_H
#define SW_TEST_SWTEST_SW_H

#include <stdbool.h>
#include <sys/types.h>

/* Room for every key of docs/events.schema.json's unsafe_write. */
#define MAX_FIELDS 64

struct event {
	int n;
	char key[MAX_FIELDS][32];
	char val[MAX_FIELDS][600];
	bool is_str[MAX_FIELDS];
};

/* In a function taking (char *why, size_t whylen): unless cond, says why
 * and returns false. */
#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		snprintf(why, whylen, __VA_ARGS__);			\
		return false;						\
	}								\
} while (0)

/* One flat JSON object (strings, numbers, null, booleans); false when malformed. */
bool parse_event(const char *line, struct event *ev);
const char *ev_get(const struct event *ev, const char *key);	/* NULL: no such key */
long long ev_num(const struct event *ev, const char *key);

/* Does ev report what e expects of writer, with action? false with why. */
struct expect;
bool check_event(const struct event *ev, const struct expect *e, pid_t writer,
		 const char *action, char *why, size_t whylen);

/* Counter idx (SW_CNT_*) of the splicewatch process pid, or -1 when it cannot
 * be read. The map is found once: one splicewatch per swtest run. */
long long sw_counter(pid_t pid, int idx);

/* Runs of the splicewatch process pid's programs the kernel skipped (their
 * recursion_misses), per program and all told. */
#define SW_SKIPS_MAX 128
struct sw_skips {
	int nprogs;
	long long total;
	struct {
		unsigned id;
		long long misses;
		char name[16];
	} progs[SW_SKIPS_MAX];
};
int sw_skips_read(pid_t pid, struct sw_skips *sk);
void sw_skips_grown(const struct sw_skips *before, const struct sw_skips *after, char *buf,
		    size_t len);

/* swtest_check.c: a scenario's outcome. Each false with why. */
struct tctx;
/* Does a write syscall's sys_enter check write op op? */
bool checked_at_sys_enter(const char *op);
/* After its skip, the pipe delivers the expected bytes (never blocks). */
bool check_pipe(struct tctx *t, char *why, size_t whylen);
/* The file holds the expected bytes. */
bool check_file(struct tctx *t, char *why, size_t whylen);
/* Is ev inside the window of one of e's landed race writes? */
bool race_event(const struct expect *e, const struct event *ev);
/* Every landed race write has one of evs (nevs of the writer's total). */
bool check_race(const struct expect *e, struct event *evs, int nevs, int total, char *why,
		size_t whylen);

#endif
