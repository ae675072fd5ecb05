#!/usr/bin/env bash
# The tracepoint backend's twins (README "Known limit"): where the kernel can
# skip syscall tracepoint programs, a second copy of sys_enter and of sys_exit
# runs where the first was skipped. Here the first copy of one hook is dropped
# on every run, as if the kernel had skipped it (SPLICEWATCH_TEST_DROP), and
# the trace and enforce scenarios must pass on the twin alone; the other hook's
# two copies both run, so each scenario's exact event count also proves that a
# syscall both copies saw is reported once. The twins are forced on
# (SPLICEWATCH_REDUNDANT=1): this kernel's preemption model may not need them.
# Prints swtest's lines as "ok twins/drop-<hook>/NAME"; exits 2 if it cannot run.
set -u
cd "$(dirname "$0")/../.." || exit 2
if [ ! -x splicewatch ] || [ ! -x tests/build/swtest ]; then
	echo "not ok twins: build splicewatch and tests/build/swtest first"
	exit 2
fi
rc=0
for drop in enter exit; do
	for flag in "" --enforce; do
		# shellcheck disable=SC2086
		SPLICEWATCH_REDUNDANT=1 SPLICEWATCH_TEST_DROP=$drop \
			tests/build/swtest $flag --splicewatch ./splicewatch --backend tracepoint |
			sed -e "s|^ok |ok twins/drop-$drop/|" -e "s|^not ok |not ok twins/drop-$drop/|"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	done
done
exit "$rc"
