#!/usr/bin/env bash
# The kernel matrix `make test` runs: Debian 6.1 and 6.12 under qemu, every
# backend, the trace, enforce, deny and ci suites. 7.x passes the same suites
# (`make vmtest KERNELS=7`), but there syscall tracepoint programs run
# preemptible (6.14+) and the kernel skips a program for other tasks on a CPU
# while one task's run is preempted (recursion_misses; README "Known limit"):
# with one vCPU about one write in a few hundred goes unchecked, so a 7.x run
# fails now and then and is kept out of the suite that gates a change.
# Prints matrix.sh's "ok"/"not ok" lines.
set -u
cd "$(dirname "$0")/../.."
exec bash tests/vm/matrix.sh --kernels "6.1 6.12" --backends "tracepoint fentry kprobe" \
	--suites "trace enforce deny ci"
