#!/bin/sh
# bench/vm-ab-guest.sh - runs inside a VM (busybox sh), for bench/vm-ab.sh:
#
#   vm-ab-guest.sh BACKEND ATTACH N ROUNDS [LOADS]
#
# `splicewatch trace --backend BACKEND` with SPLICEWATCH_SYSCALL_ATTACH=ATTACH
# (raw or none) and SPLICEWATCH_BENCH_TOGGLE=1; then /sw/swbench ab times the
# LOADS (default: the getppid, 16 B pwrite (nothing held) and splice
# loops; also sendfile and sendfile-held, 64 KiB to an AF_UNIX socket) with its programs
# attached and detached in alternating phases inside one process. ATTACH
# floor: instead of splicewatch, /sw/empty_loader with empty programs where
# syscall attach none runs them for these loops (bench/empty.bpf.c), the
# floor of none on BACKEND. Prints the syscall attach `features` names (or
# the empty programs), and one line per loop:
#   vm-ab BACKEND ATTACH LOAD ratio=R min=... max=... p25=... p75=... without_ns_per_op=...
B=$1
ATTACH=$2
N=$3
ROUNDS=$4
LOADS=${5:-getppid pwrite splice}
SW=/sw/splicewatch
. /sw/guest-lib.sh
if [ "$ATTACH" = floor ]; then
    # The splice read this kernel has (6.5+: filemap_splice_read).
    read_fn=generic_file_splice_read
    grep -q ' filemap_splice_read$' /proc/kallsyms && read_fn=filemap_splice_read
    case "$B" in
    fentry) progs="none_fentry_rw_verify_area none_fexit_${read_fn} none_fexit_do_splice" ;;
    *) progs="none_kprobe_rw_verify_area none_kprobe_${read_fn} none_kretprobe_${read_fn}
              none_kprobe_do_splice none_kretprobe_do_splice" ;;
    esac
    echo "vm-ab $B $ATTACH programs=$(echo $progs | tr ' ' ',')"
    # shellcheck disable=SC2086 # one word per program
    /sw/empty_loader /sw/empty.bpf.o $progs 2> /tmp/ab.err &
    ready="empty_loader: attached"
else
    said=$(SPLICEWATCH_SYSCALL_ATTACH=$ATTACH "$SW" features | sed -n 's/^syscall attach: *//p' |
        tr ',' '\n' | awk -v b="$B" '{ sub(/:$/, "", $1) } $1 == b { print $2 }')
    echo "vm-ab $B $ATTACH features=${said:-unknown}"
    SPLICEWATCH_SYSCALL_ATTACH=$ATTACH SPLICEWATCH_BENCH_TOGGLE=1 \
        "$SW" trace --backend "$B" --json > /dev/null 2> /tmp/ab.err &
    ready="Ctrl-C to stop"
fi
swpid=$!
if ! sw_wait_for "$ready" /tmp/ab.err "$swpid"; then
    echo "vm-ab $B $ATTACH error: did not start: $(tail -n 2 /tmp/ab.err)"
    exit 1
fi
rc=0
for load in $LOADS; do
    n=$N
    case "$load" in splice|sendfile*) n=$((N / 20)) ;; esac
    out=$(/sw/swbench ab "$swpid" "$load" /var/tmp "$n" "$ROUNDS" 2>&1) || rc=1
    echo "vm-ab $B $ATTACH $load ${out#ab load=$load }"
done
kill -INT "$swpid"
wait "$swpid" || rc=1
exit $rc
