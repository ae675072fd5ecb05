/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers every part of the frontend uses: messages, command-line errors,
 * number and signal parsing, the stop signals, time, and the small
 * conversions of kernel data (comm, dev_t, bytes to print). Depends on libc
 * only, so that the fuzz targets can link it as it is.
 */
#ifndef SW_COMMON_H
#define SW_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SW_EXIT_USAGE	2

extern int sw_verbose;
extern volatile sig_atomic_t sw_stop;	/* set by SIGINT/SIGTERM */
extern volatile sig_atomic_t sw_stop_signal;

/* "splicewatch: " and the message on stderr. */
void sw_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sw_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct option;
/*
 * The option loop of sub-command CMD (getopt_long over argv from optind):
 * -h/--help prints usage(stdout); every other option goes to fn(ctx, opt,
 * optarg), which returns 1 (handled), 0 (not an option of CMD) or -1 (a bad
 * value, said). Operands are refused unless `operands`. Returns 0 when the
 * options are read (optind: the first operand), 1 after --help, -1 after an
 * error (an unknown option gets "Try 'splicewatch CMD --help'.").
 */
int sw_parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
		     const struct option *longopts, void (*usage)(FILE *f),
		     int (*fn)(void *ctx, int opt, const char *arg), void *ctx, bool operands);
/* SIGINT/SIGTERM set sw_stop; SIGPIPE is ignored (a closed reader is an output error). */
int sw_install_stop_handlers(void);

bool parse_u64(const char *s, uint64_t *out);
/* "KILL", "SIGKILL", "kill" or "9"; -1 if not a signal we may send. */
int parse_signal(const char *name);
const char *signal_name(int sig);

uint64_t sw_mono_ns(void);	/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns */
/* CLOCK_REALTIME minus CLOCK_MONOTONIC now: a monotonic time plus it is a
 * wall-clock time in ns since the epoch. */
int64_t sw_mono_to_real_now(void);

/*
 * The node name every JSON record carries ("node"): --node NAME, else the
 * policy file's node:, else gethostname(). A name is 1 to SW_NODE_MAX
 * printable ASCII characters, no spaces (a host name, an FQDN, a label).
 */
#define SW_NODE_MAX	253
/* NULL when name is a valid node name, else why it is not. */
const char *sw_node_invalid(const char *name);
/* Sets the node name (checked: -1 after saying why, what: the option or key). */
int sw_node_set(const char *name, const char *what);
const char *sw_node(void);

/* A kernel comm: up to SW_TASK_COMM_LEN bytes, NUL-terminated only when shorter. */
size_t sw_comm_len(const char *comm);
/* Bytes from the kernel (comm, path) for text output: control characters as
 * \xNN; stops at a NUL or after len bytes. */
void sw_put_printable(FILE *f, const char *s, size_t len);
/* The same, then spaces up to width columns (none when it is wider). */
void sw_put_printable_pad(FILE *f, const char *s, size_t len, int width);

/* The kernel's internal dev_t (what BPF reads from a superblock): 12 bits of
 * major above 20 of minor, unlike the one stat(2) reports. */
static inline unsigned sw_kdev_major(uint32_t kdev)
{
	return kdev >> 20;
}

static inline unsigned sw_kdev_minor(uint32_t kdev)
{
	return kdev & 0xfffff;
}

static inline uint32_t sw_kdev(unsigned major, unsigned minor)
{
	return major << 20 | (minor & 0xfffff);
}

/* The one dev encoding of every JSON record: "MAJOR:MINOR" (as mountinfo and
 * lsblk print it) of a kernel dev_t. */
#define SW_DEV_STR_MAX	24
static inline void sw_kdev_str(char *buf, size_t cap, uint32_t kdev)
{
	snprintf(buf, cap, "%u:%u", sw_kdev_major(kdev), sw_kdev_minor(kdev));
}


#endif
