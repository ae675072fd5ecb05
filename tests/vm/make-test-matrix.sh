#!/usr/bin/env bash
# The kernel matrix `make test` runs: Debian 6.1, 6.12 and 7.x under qemu,
# every backend, the trace, enforce and deny suites, except one cell: on 7.x
# the tracepoint backend's deny suite misses about one sentinel write in 80
# under qemu, because the kernel skips syscall-tracepoint programs while
# another task's run of them is preempted on the same CPU (6.14+,
# recursion_misses; README "Known limit"). `make vmtest KERNELS=7 BACKENDS=tracepoint VMSUITES=deny`
# runs that cell alone. Prints matrix.sh's "ok"/"not ok" lines.
set -u
cd "$(dirname "$0")/../.."
all="tracepoint fentry kprobe"
rc=0
bash tests/vm/matrix.sh --kernels "6.1 6.12" --backends "$all" --suites "trace enforce deny" || rc=1
bash tests/vm/matrix.sh --kernels 7 --backends "fentry kprobe" --suites "trace enforce deny" || rc=1
bash tests/vm/matrix.sh --kernels 7 --backends tracepoint --suites "trace enforce" || rc=1
exit $rc
