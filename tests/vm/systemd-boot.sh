#!/usr/bin/env bash
# tests/vm/systemd-boot.sh - splicewatch.service under a real systemd: boots
# a Debian kernel (6.12, cached by kernels.sh) under qemu TCG with 1 vCPU on
# the Debian root file system of systemd-rootfs.sh (built once, cached),
# systemd as init; copies in the Debian package of this tree (make deb's
# script) and runs tests/vm/guest-systemd.sh as a unit of that systemd,
# which installs it with dpkg -i and tests the service. Prints its TAP (one
# plan); exit status 1 when a test failed (or the VM died: a "not ok
# systemd/vm" line then).
#
#   systemd-boot.sh [--kernel NAME] [--timeout SECS] [-v] [--console FILE]
#
# Needs ./splicewatch and tests/build/reliability_workload built (make, make
# tests/build/reliability_workload), root (the rootfs build), the BPF lock
# held by the caller (tests/run-all.sh runs suites one at a time).
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=$PWD/tests/vm
KERNEL=6.12
TIMEOUT=420
VERBOSE=0
CONSOLE_COPY=""
QEMU=${SW_VM_QEMU:-qemu-system-x86_64}
BUSYBOX=${SW_VM_BUSYBOX:-/bin/busybox}
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) KERNEL=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --console) CONSOLE_COPY=$2; shift 2 ;;
        -v) VERBOSE=1; shift ;;
        *) echo "usage: $0 [--kernel NAME] [--timeout SECS] [-v] [--console FILE]" >&2; exit 2 ;;
    esac
done

# Anything that keeps the VM from running is one failed test, not silence.
die() { echo "1..1"; echo "not ok systemd/vm: $*"; exit 1; }
[ -x ./splicewatch ] || die "build splicewatch first (make)"
if [ ! -x tests/build/reliability_workload ] || [ tests/reliability_workload.c -nt tests/build/reliability_workload ]; then
    make -s tests/build/reliability_workload >&2 || die "cannot build tests/build/reliability_workload"
fi
IMG=$("$HERE/systemd-rootfs.sh") || die "cannot build the systemd root file system (systemd-rootfs.sh)"
if ! KDIR=$("$HERE/kernels.sh" path "$KERNEL" 2>/dev/null); then
    "$HERE/kernels.sh" fetch "$KERNEL" >&2 || die "cannot fetch kernel $KERNEL"
    KDIR=$("$HERE/kernels.sh" path "$KERNEL")
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sw-sd.XXXXXXXX")
QPID=""
cleanup() { [ -n "$QPID" ] && kill "$QPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
R=$TMP/initrd
mkdir -p "$R"/{bin,proc,sys,dev,newroot,etc/sw,payload}
cp "$BUSYBOX" "$R/bin/busybox"
for a in sh mount umount mkdir cp insmod switch_root sleep cat chmod ln; do ln -s busybox "$R/bin/$a"; done
cp -a "$KDIR/lib" "$R/"
cp "$KDIR/modules.load" "$R/etc/sw/modules.load"

# The payload: the Debian package of this tree (scripts/make-deb.sh), which
# the guest installs with dpkg -i (its libraries are the root file system's
# own Debian packages; libbpf is linked in), and the test.
P=$R/payload
mkdir -p "$P/sw" "$P/etc/systemd/system/multi-user.target.wants"
deb=$(scripts/make-deb.sh "$TMP/deb" | tail -n1) && [ -f "$deb" ] ||
    die "cannot build the package (scripts/make-deb.sh; log: $TMP/deb/build.log)"
cp "$deb" "$P/sw/splicewatch.deb"
cp tests/vm/guest-systemd.sh "$P/sw/guest-systemd.sh"
cp tests/build/reliability_workload "$P/sw/reliability_workload"
NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
MARK="@@SW-EXIT-$NONCE@@"
echo "$MARK" >"$P/sw/marker"
# The test itself: a unit of the guest's systemd, started once it is up.
cat >"$P/etc/systemd/system/sw-test.service" <<'UNIT'
[Unit]
Description=splicewatch service test (tests/vm/guest-systemd.sh)
After=basic.target
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'exec /bin/bash /sw/guest-systemd.sh >/dev/ttyS1 2>&1'
UNIT
ln -s /etc/systemd/system/sw-test.service "$P/etc/systemd/system/multi-user.target.wants/sw-test.service"

cat >"$R/init" <<'INIT'
#!/bin/sh
# Modules for the root disk, then the payload into it, then systemd.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/$m" 2>/dev/null; done < /etc/sw/modules.load
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mount -t ext4 -o rw /dev/vda /newroot || { echo "sw-init: cannot mount the root disk" > /dev/console; poweroff -f; }
cp -a /payload/. /newroot/
mkdir -p /newroot/usr/lib/modules
cp -a /lib/modules/. /newroot/usr/lib/modules/
umount /proc /sys
umount /dev
exec switch_root /newroot /sbin/init
INIT
chmod 755 "$R/init"
(cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$TMP/initrd.gz"

CONSOLE=$TMP/console.log
OUT=$TMP/output.log
: >"$OUT"
"$QEMU" -accel tcg -cpu max -m 1024 -smp 1 -nographic -monitor none -no-reboot \
    -kernel "$KDIR/vmlinuz" -initrd "$TMP/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet loglevel=4 mitigations=off tsc=reliable systemd.show_status=0 $(cat "$KDIR/cmdline" 2>/dev/null || true)" \
    -drive "file=$IMG,if=virtio,format=raw,snapshot=on,cache=unsafe" \
    -serial "file:$CONSOLE" -serial "file:$OUT" -net none </dev/null >"$TMP/qemu.log" 2>&1 &
QPID=$!
start=$(date +%s)
tail -n +1 -s 0.2 --pid="$QPID" -f "$OUT" 2>/dev/null | sed -u -e 's/\r$//' -e "/$MARK/d" &
status=""
while kill -0 "$QPID" 2>/dev/null; do
    grep -aq "$MARK" "$OUT" && { sleep 0.5; break; }
    if [ $(($(date +%s) - start)) -ge "$TIMEOUT" ]; then status=timeout; break; fi
    sleep 0.5
done
kill "$QPID" 2>/dev/null || true
wait "$QPID" 2>/dev/null || true
QPID=""
sleep 0.3
[ -n "$CONSOLE_COPY" ] && cp "$CONSOLE" "$CONSOLE_COPY"
[ "$VERBOSE" = 1 ] && sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$CONSOLE" >&2
m=$(grep -a -o "$MARK [0-9]*" "$OUT" | tail -n1 || true)
planned=$(grep -a -c '^1\.\.[0-9]' "$OUT" || true)
if [ -z "$m" ]; then
    echo "# kernel console (last 40 lines):"
    sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/^/# /' "$CONSOLE" | tail -n 40
    # The guest's TAP is incomplete: one more line says why, and the plan
    # is made to count it when the guest printed one.
    if [ "$planned" = 0 ]; then echo "1..1"; fi
    echo "not ok systemd/vm: ${status:-the VM died} after $(($(date +%s) - start)) s (no exit marker)"
    exit 1
fi
echo "# systemd VM: $(($(date +%s) - start)) s"
exit "${m##* }"
