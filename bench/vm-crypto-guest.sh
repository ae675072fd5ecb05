#!/bin/sh
# bench/vm-crypto-guest.sh - runs inside a VM (busybox sh), for
# bench/vm-crypto.sh:
#
#   vm-crypto-guest.sh N ROUNDS BACKENDS
#
# Loads the test module (/sw/kmod), then ROUNDS times, for each mode (none;
# `splicewatch trace --backend B` for each of BACKENDS; the same with
# /sw/splicewatch-old where it exists): the module's "bench N" and
# "bench_file FD N" (a file this shell has open for writing). One line each:
#   vm-crypto MODE own|file NS_PER_REQUEST [PROG_NS_PER_RUN]
# PROG_NS_PER_RUN, with /sw/bpftool: the skcipher hook's own time a run
# (kernel.bpf_stats_enabled), the program alone without the trampoline or
# kprobe around it.
N=$1
ROUNDS=$2
BACKENDS=$3
. /sw/guest-lib.sh
while read -r m; do
	insmod "/sw/kmod/$m" 2>/tmp/insmod.err || { echo "vm-crypto error: insmod $m: $(cat /tmp/insmod.err)"; exit 1; }
done </sw/kmod/modules.load
head -c 4096 /dev/zero >/var/tmp/bench
exec 3<>/var/tmp/bench
modes=none
for b in $BACKENDS; do
	modes="$modes $b"
	[ ! -x /sw/splicewatch-old ] || modes="$modes old-$b"
done
[ ! -x /sw/bpftool ] || echo 1 >/proc/sys/kernel/bpf_stats_enabled
# progstat: "RUN_TIME_NS RUN_CNT" of the skcipher hooks loaded now.
progstat() {
	[ -x /sw/bpftool ] || return 0
	/sw/bpftool prog show | awk '/name [a-z_]*skcip/ { on = 1 } on && /run_time_ns/ {
		for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t += $(i + 1); if ($i == "run_cnt") c += $(i + 1) }
		on = 0 } END { print t + 0, c + 0 }'
}
# one MODE WHAT COMMAND: the module's figure for COMMAND.
one() {
	dmesg -c >/dev/null
	s0=$(progstat)
	echo "$3" >/proc/sw_kwriter || { echo "vm-crypto error: $3"; return 1; }
	s1=$(progstat)
	per=$(echo "$s0 $s1" | awk 'NF == 4 && $4 > $2 { printf "%d", ($3 - $1) / ($4 - $2) }')
	echo "vm-crypto $1 $2 $(dmesg | sed -n 's/.*sw_kwriter: bench [0-9]* ns\/request \([0-9]*\).*/\1/p' | tail -n 1) $per"
}
r=0
while [ $r -lt "$ROUNDS" ]; do
	for m in $modes; do
		pid=""
		if [ "$m" != none ]; then
			sw=/sw/splicewatch
			case "$m" in old-*) sw=/sw/splicewatch-old ;; esac
			# The last mode's "Ctrl-C to stop" must not pass for this one's.
			rm -f /tmp/sw.err
			"$sw" trace --backend "${m#old-}" --json >/dev/null 2>/tmp/sw.err &
			pid=$!
			sw_wait_for "Ctrl-C to stop" /tmp/sw.err "$pid" ||
				{ echo "vm-crypto error: $m did not start: $(tail -n 2 /tmp/sw.err)"; exit 1; }
		fi
		one "$m" own "bench $N"
		one "$m" file "bench_file 3 $N"
		if [ -n "$pid" ]; then
			kill -INT "$pid"
			wait "$pid"
		fi
	done
	r=$((r + 1))
done
