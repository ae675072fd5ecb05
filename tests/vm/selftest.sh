#!/usr/bin/env bash
# tests/vm/selftest.sh - checks of the VM harness itself (run-in-vm.sh).
#
#   tests/vm/selftest.sh [-v] [KERNEL...]     (default kernel: 6.12)
#
# Per kernel: exit status propagation, exact output (also without a final
# newline), required mounts (ext4 rw, tmpfs, ramfs, bpffs, tracefs,
# securityfs, debugfs), dynamically linked --file binaries, --out; and on the
# first kernel only: timeout -> 124, kernel panic -> 125.
# Ends with "N passed, N failed".
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=$HERE/run-in-vm.sh
V=""
[ "${1:-}" = "-v" ] && { V=-v; shift; }
KERNELS=("$@")
[ ${#KERNELS[@]} -gt 0 ] || KERNELS=(6.12)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sw-selftest.XXXXXXXX")
trap 'rm -rf "$TMP"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # description expected-status expected-output-file -- run args
    local d=$1 es=$2 eo=$3 rc=0; shift 4
    "$RUN" $V -q "$@" > "$TMP/out" 2>"$TMP/err" || rc=$?
    if [ "$rc" != "$es" ]; then bad "$d: status $rc, expected $es"; sed 's/^/     /' "$TMP/out" "$TMP/err"; return; fi
    if [ -n "$eo" ] && ! cmp -s "$eo" "$TMP/out"; then
        bad "$d: unexpected output"; diff "$eo" "$TMP/out" | head -n 20 | sed 's/^/     /'; return
    fi
    ok "$d"
}

first=1
for k in "${KERNELS[@]}"; do
    printf 'line 1\n\tline 2\nlast line without newline\n' > "$TMP/exp1"
    check "$k: status 7 and exact output" 7 "$TMP/exp1" -- --kernel "$k" -- \
        "printf 'line 1\n\tline 2\n'; printf 'last line without newline'; exit 7"

    mounts='set -e
        grep -q " /mnt/ext4 ext4 rw" /proc/mounts
        grep -q " /tmp tmpfs " /proc/mounts
        grep -q " /mnt/ramfs ramfs " /proc/mounts
        grep -q " /sys/fs/bpf bpf " /proc/mounts
        grep -q " /sys/kernel/tracing tracefs " /proc/mounts
        grep -q " /sys/kernel/security securityfs " /proc/mounts
        grep -q " /sys/kernel/debug debugfs " /proc/mounts
        for d in /mnt/ext4 /tmp /mnt/ramfs; do echo data > $d/f; [ "$(cat $d/f)" = data ]; done
        [ -c /dev/null ] && [ -e /sys/kernel/btf/vmlinux ]
        echo mounts-ok'
    echo mounts-ok > "$TMP/exp2"
    check "$k: filesystems mounted and writable" 0 "$TMP/exp2" -- --kernel "$k" -- "$mounts"

    rm -rf "$TMP/outdir"
    bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
    if [ -x "$bpftool" ]; then
        check "$k: dynamic binary via --file, /out copied back" 0 "" -- --kernel "$k" \
            --file "$bpftool:/usr/local/bin/bpftool" --out "$TMP/outdir" -- \
            'bpftool btf dump file /sys/kernel/btf/vmlinux format raw | grep -c "FUNC .vfs_read. " > /out/n'
        if [ "$(cat "$TMP/outdir/n" 2>/dev/null)" = 1 ]; then ok "$k: /out content"; else bad "$k: /out content"; fi
    fi

    if [ "$first" = 1 ]; then
        first=0
        check "$k: timeout gives 124" 124 "" -- --kernel "$k" --timeout 20 -- 'sleep 1000'
        check "$k: kernel panic gives 125" 125 "" -- --kernel "$k" -- 'echo c > /proc/sysrq-trigger'
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
