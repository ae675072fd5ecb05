#!/usr/bin/env bash
# tests/vm/run-in-vm.sh - run a command inside a qemu VM booting a Debian kernel.
#
#   run-in-vm.sh [options] -- GUEST_COMMAND...
#
# Options:
#   --kernel NAME        kernel from kernels.sh (5.10 6.1 6.12 7, arm64/6.1
#                        arm64/6.12 arm64/7); default ${SW_VM_KERNEL:-6.12};
#                        fetched on first use. arm64 kernels boot under
#                        qemu-system-aarch64 -M virt with the arm64 busybox of
#                        scripts/arm64-sysroot.sh; ELF files then get their
#                        libraries from that sysroot and the cross toolchain
#   --timeout SECS       wall-clock limit for the whole VM run (default 600)
#   --file HOST[:GUEST]  copy a file or directory into the guest, default
#                        GUEST path /sw/<basename>; ELF executables and shared
#                        objects get their shared libraries (ldd) + loader
#   --out HOSTDIR        after the command, the guest's /out directory is
#                        copied back into HOSTDIR (created if needed)
#   --mem MB             guest memory (default 1024)
#   --smp N              guest CPUs (default 1)
#   --disk-size MB       size of the ext4 disk mounted at /mnt/ext4 (default 256)
#   --append ARGS        extra kernel command line arguments
#   --console FILE       write the kernel console log (ttyS0, escape codes
#                        stripped) to FILE, whatever the status
#   --keep               keep the temporary directory (printed on stderr)
#   -v, --verbose        progress + the kernel console log on stderr
#   -q, --quiet          never print the kernel console log (even on failure)
#
# GUEST_COMMAND's words are joined with spaces (like ssh) and run by busybox
# `sh -c` as root with cwd /, stdin /dev/null; its stdout+stderr stream to a
# dedicated serial port (ttyS1) and are printed on this script's stdout,
# unmixed with kernel messages (those go to ttyS0, the console).
# In the guest: PATH=/sw:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin,
# SW_VM_KERNEL=<name>, `ulimit -l unlimited`; mounted: proc, sysfs, devtmpfs,
# devpts, securityfs, tracefs (/sys/kernel/tracing), debugfs (/sys/kernel/debug),
# bpffs (/sys/fs/bpf), cgroup2 (/sys/fs/cgroup), tmpfs (/tmp, /dev/shm, /out),
# ramfs (/mnt/ramfs), ext4 (/dev/vda at /var/tmp, mode 1777, rw; /mnt/ext4 is a
# bind mount of it).
#
# Exit status: the guest command's status; 124 on timeout; 125 when no exit
# marker was seen (kernel panic, boot failure, ...) or on a harness error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KERNEL=${SW_VM_KERNEL:-6.12}
TIMEOUT=${SW_VM_TIMEOUT:-600}
MEM=${SW_VM_MEM:-1024}
SMP=${SW_VM_SMP:-1}
DISK_MB=256
APPEND=""
KEEP=0
VERBOSE=${SW_VM_VERBOSE:-0}
QUIET=0
OUTDIR=""
CONSOLE_COPY=""
FILES=()
BUSYBOX=${SW_VM_BUSYBOX:-}
QEMU=${SW_VM_QEMU:-}

say() { echo "run-in-vm: $*" >&2; }
log() { if [ "$VERBOSE" = 1 ]; then say "$@"; fi; }
die() { say "error: $*"; exit 125; }
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }

while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) KERNEL=${2:?}; shift 2 ;;
        --kernel=*) KERNEL=${1#*=}; shift ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --timeout=*) TIMEOUT=${1#*=}; shift ;;
        --file) FILES+=("${2:?}"); shift 2 ;;
        --file=*) FILES+=("${1#*=}"); shift ;;
        --out) OUTDIR=${2:?}; shift 2 ;;
        --out=*) OUTDIR=${1#*=}; shift ;;
        --mem) MEM=${2:?}; shift 2 ;;
        --smp) SMP=${2:?}; shift 2 ;;
        --disk-size) DISK_MB=${2:?}; shift 2 ;;
        --append) APPEND="$APPEND ${2:?}"; shift 2 ;;
        --console) CONSOLE_COPY=${2:?}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -q|--quiet) QUIET=1; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        *) die "unknown argument '$1' (see --help; the command goes after --)" ;;
    esac
done
[ $# -gt 0 ] || die "missing GUEST_COMMAND (see --help)"
GUEST_CMD="$*"
case "$TIMEOUT" in ''|*[!0-9]*) die "--timeout needs a number of seconds" ;; esac

# ---------------------------------------------------------------- kernel
kv=""; [ "$VERBOSE" = 1 ] && kv="-v"
if ! KDIR=$("$HERE/kernels.sh" path "$KERNEL" 2>/dev/null); then
    say "kernel '$KERNEL' not cached, fetching it"
    "$HERE/kernels.sh" $kv fetch "$KERNEL" >&2 || die "cannot fetch kernel '$KERNEL'"
    KDIR=$("$HERE/kernels.sh" path "$KERNEL") || die "kernel '$KERNEL' unavailable"
fi
KVER=$(cat "$KDIR/kver")
KARCH=$(cat "$KDIR/arch" 2>/dev/null || echo amd64)
# The architecture's machine: qemu, its CPU and console, the guest's busybox
# (the host's for amd64; arm64's from the sysroot, listed by the host's own:
# the same Debian version), where ELF files find their libraries.
SYSROOT=""
if [ "$KARCH" = arm64 ]; then
    SYSROOT=$("$HERE/../../scripts/arm64-sysroot.sh") || die "no arm64 sysroot (scripts/arm64-sysroot.sh)"
    QEMU=${QEMU:-qemu-system-aarch64}
    # pauth-impdef: QEMU's cheap pointer authentication (TCG boots twice as fast)
    MACHINE=(-M virt -cpu max,pauth-impdef=on)
    TTY=ttyAMA0
    BUSYBOX=${BUSYBOX:-$SYSROOT/bin/busybox}
else
    QEMU=${QEMU:-qemu-system-x86_64}
    MACHINE=(-cpu max)
    TTY=ttyS0
    BUSYBOX=${BUSYBOX:-/bin/busybox}
fi
command -v "$QEMU" >/dev/null || die "$QEMU not found (run tests/vm/deps.sh)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (run tests/vm/deps.sh)"

# ---------------------------------------------------------------- temp dir
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sw-vm.XXXXXXXX")
QPID=""
TAILPID=""
cleanup() {
    [ -n "$QPID" ] && kill "$QPID" 2>/dev/null || true
    [ -n "$TAILPID" ] && kill "$TAILPID" 2>/dev/null || true
    if [ "$KEEP" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ROOT=$TMP/root
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc/sw,proc,sys,dev,tmp,run,root,out,sw,mnt/ramfs,mnt/ext4}
chmod 1777 "$ROOT/tmp"

# ---------------------------------------------------------------- busybox
cp "$BUSYBOX" "$ROOT/bin/busybox"
for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$ROOT/bin/$a"
done

# ---------------------------------------------------------------- modules
cp -a "$KDIR/lib" "$ROOT/"
cp "$KDIR/modules.load" "$ROOT/etc/sw/modules.load"

# ---------------------------------------------------------------- files
is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' \n')" = '177ELF' ]; }
declare -A COPIED_LIBS=()
# arm64 ELF files: their DT_NEEDED libraries, recursively, from the sysroot or
# the cross toolchain's libc (ldd cannot run them), into /lib/aarch64-linux-gnu
# (the loader into /lib).
copy_libs_arm64() { # elf
    local n lib d
    for n in $(readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [ -n "${COPIED_LIBS[$n]:-}" ] && continue
        COPIED_LIBS[$n]=1
        lib=""
        for d in "$SYSROOT/usr/lib/aarch64-linux-gnu" "$SYSROOT/lib/aarch64-linux-gnu" /usr/aarch64-linux-gnu/lib; do
            [ -e "$d/$n" ] && { lib=$d/$n; break; }
        done
        [ -n "$lib" ] || { say "warning: $1: $n not found"; continue; }
        mkdir -p "$ROOT/lib/aarch64-linux-gnu"
        cp -L "$lib" "$ROOT/lib/aarch64-linux-gnu/$n"
        case "$n" in ld-linux-*) cp -L "$lib" "$ROOT/lib/$n" ;; esac
        log "  lib $lib"
        copy_libs_arm64 "$lib"
    done
}
copy_libs() { # elf
    if [ "$KARCH" = arm64 ]; then copy_libs_arm64 "$1"; return; fi
    local line lib
    # ldd prints "name => /path (addr)" and "/path/ld-linux... (addr)"
    while read -r line; do
        case "$line" in
            *"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
            /*) lib=${line%% (*} ;;
            *"not found"*) say "warning: $1: $line"; continue ;;
            *) continue ;;
        esac
        [ -n "${COPIED_LIBS[$lib]:-}" ] && continue
        COPIED_LIBS[$lib]=1
        mkdir -p "$ROOT$(dirname "$lib")"
        cp -L "$lib" "$ROOT$lib"
        log "  lib $lib"
    done < <(ldd "$1" 2>/dev/null || true)
}
for spec in ${FILES[@]+"${FILES[@]}"}; do
    host=${spec%%:*}
    if [ "$host" = "$spec" ]; then guest="/sw/$(basename "$host")"; else guest=${spec#*:}; fi
    case "$guest" in /*) ;; *) die "--file $spec: guest path must be absolute" ;; esac
    [ -e "$host" ] || die "--file $spec: $host does not exist"
    mkdir -p "$ROOT$(dirname "$guest")"
    cp -aL "$host" "$ROOT$guest"
    log "file $host -> $guest"
    while IFS= read -r -d '' f; do
        is_elf "$f" && copy_libs "$f"
    done < <(find "$ROOT$guest" -type f -print0)
done

# ---------------------------------------------------------------- /etc, /init
NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
MARK="@@SW-EXIT-$NONCE@@"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOT/etc/group"
echo "sw-vm" > "$ROOT/etc/hostname"
printf '%s\n' "$GUEST_CMD" > "$ROOT/etc/sw/cmd"
printf '%s\n' "$KERNEL" > "$ROOT/etc/sw/kernel"
printf '%s\n' "$MARK" > "$ROOT/etc/sw/marker"
[ -n "$OUTDIR" ] && touch "$ROOT/etc/sw/want-out"
[ "$KARCH" = arm64 ] && touch "$ROOT/etc/sw/hvc"
cat > "$ROOT/init" <<'EOF'
#!/bin/sh
# splicewatch VM init (generated by tests/vm/run-in-vm.sh)
export PATH=/sw:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb
err() { echo "sw-init: $*" > /dev/console; echo "sw-init: $*" >> $OUT; }
mnt() { # type dev dir [opts]
    mkdir -p "$3"
    mount -t "$1" ${4:+-o "$4"} "$2" "$3" 2>/dev/null || err "cannot mount $1 on $3"
}
OUT=/dev/console
mnt proc proc /proc
mnt sysfs sysfs /sys
mnt devtmpfs devtmpfs /dev
# the command's output goes to the second serial port, away from kernel messages
# (arm64: the virtio console, the machine's one UART being the kernel's)
[ -c /dev/ttyS1 ] && OUT=/dev/ttyS1
stty -F $OUT raw -echo 2>/dev/null
mnt devpts devpts /dev/pts
mnt tmpfs tmpfs /dev/shm mode=1777
mnt securityfs securityfs /sys/kernel/security
mnt tracefs tracefs /sys/kernel/tracing
mnt debugfs debugfs /sys/kernel/debug
mnt bpf bpf /sys/fs/bpf
mnt cgroup2 cgroup2 /sys/fs/cgroup
mnt tmpfs tmpfs /tmp mode=1777
mnt tmpfs tmpfs /out
mnt ramfs ramfs /mnt/ramfs
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
hostname -F /etc/hostname
ip link set lo up 2>/dev/null
while read -r m; do
    insmod "/$m" 2>/dev/null || err "insmod $m failed"
done < /etc/sw/modules.load
if [ -e /etc/sw/hvc ]; then
    i=0
    while [ ! -c /dev/hvc0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    [ -c /dev/hvc0 ] && OUT=/dev/hvc0 || err "no /dev/hvc0"
    stty -F $OUT raw -echo 2>/dev/null
fi
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
# The ext4 disk's first mount is /var/tmp (tests make their ext4 dirs there, and
# splicewatch resolves filesystem-relative paths through the first mount of a
# device in mountinfo); /mnt/ext4 is a bind mount of the same root.
mnt ext4 /dev/vda /var/tmp rw
chmod 1777 /var/tmp
mkdir -p /mnt/ext4
mount -o bind /var/tmp /mnt/ext4 2>/dev/null || err "cannot bind-mount /var/tmp on /mnt/ext4"
ulimit -l unlimited 2>/dev/null
export SW_VM_KERNEL="$(cat /etc/sw/kernel)"
read -r MARK < /etc/sw/marker
echo "sw-init: running command at uptime $(cut -d' ' -f1 /proc/uptime)s" > /dev/console
cd /
sh -c "$(cat /etc/sw/cmd)" < /dev/null > $OUT 2>&1
rc=$?
echo "sw-init: command exited with $rc" > /dev/console
if [ -e /etc/sw/want-out ]; then
    tar -cf /dev/vdb -C /out . 2>/dev/null || err "cannot copy /out back to the host"
fi
sync
umount /mnt/ext4 2>/dev/null
umount /var/tmp 2>/dev/null
# the marker is written last (the host accepts it anywhere in a line);
# stty (tcsetattr TCSADRAIN) and the last close wait for the UART to drain
printf '%s %d\n' "$MARK" "$rc" > $OUT
stty -F $OUT raw -echo 2>/dev/null
printf '\n%s %d\n' "$MARK" "$rc" > /dev/console
poweroff -f
EOF
chmod 755 "$ROOT/init"

# ---------------------------------------------------------------- initramfs
INITRD=$TMP/initrd.gz
(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) \
    | gzip -1 > "$INITRD"
log "initramfs $(du -h "$INITRD" | cut -f1), kernel $KERNEL ($KVER)"

# ---------------------------------------------------------------- disks
DISK=$TMP/ext4.img
truncate -s "${DISK_MB}M" "$DISK"
# -O encrypt: fscrypt, for the verify suite's fscrypt_read workload.
mkfs.ext4 -q -F -L swext4 -O encrypt "$DISK" >/dev/null 2>&1 || die "mkfs.ext4 failed"
DRIVES=(-drive "file=$DISK,if=virtio,format=raw,cache=unsafe")
if [ -n "$OUTDIR" ]; then
    truncate -s 256M "$TMP/out.img"
    DRIVES+=(-drive "file=$TMP/out.img,if=virtio,format=raw,cache=unsafe")
fi

# ---------------------------------------------------------------- qemu
CMDLINE="console=$TTY panic=-1 oops=panic quiet loglevel=4 mitigations=off tsc=reliable $(cat "$KDIR/cmdline" 2>/dev/null || true)$APPEND"
CONSOLE=$TMP/console.log
OUTLOG=$TMP/output.log
: > "$OUTLOG"
log "cmdline: $CMDLINE"
start=$(date +%s.%N)
if [ "$KARCH" = arm64 ]; then
    OUTPORT=(-serial "file:$CONSOLE" -device virtio-serial-pci -chardev "file,id=swout,path=$OUTLOG"
             -device virtconsole,chardev=swout)
else
    OUTPORT=(-serial "file:$CONSOLE" -serial "file:$OUTLOG")
fi
"$QEMU" -accel tcg "${MACHINE[@]}" -m "$MEM" -smp "$SMP" -nographic -monitor none -no-reboot \
    -kernel "$KDIR/vmlinuz" -initrd "$INITRD" -append "$CMDLINE" \
    "${DRIVES[@]}" \
    "${OUTPORT[@]}" \
    -net none </dev/null >"$TMP/qemu.log" 2>&1 &
QPID=$!

# stream the guest output while it runs (marker line removed)
filter() { sed -u -e "s/\r\$//" -e "/$MARK [0-9]*\$/{s/$MARK [0-9]*\$//;/^\$/d}"; }
tail -n +1 -s 0.2 --pid="$QPID" -f "$OUTLOG" 2>/dev/null | filter &
TAILPID=$!

status=""
deadline=$(( $(date +%s) + TIMEOUT ))
while kill -0 "$QPID" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        status=124
        kill "$QPID" 2>/dev/null || true
        sleep 0.5; kill -9 "$QPID" 2>/dev/null || true
        break
    fi
    sleep 0.2
done
qrc=0; wait "$QPID" 2>/dev/null || qrc=$?
QPID=""
wait "$TAILPID" 2>/dev/null || true
TAILPID=""
end=$(date +%s.%N)

if [ -z "$status" ]; then
    m=$(grep -a -o "$MARK [0-9]*" "$OUTLOG" | tail -n1 || true)
    if [ -n "$m" ]; then status=${m##* }; else status=125; fi
fi

strip_console() { # escape sequences (firmware), CRs and other control chars
    sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][0-9A-Za-z]//g' -e 's/\x1bc//g' \
        -e 's/\r//g' -e 's/[\x00-\x08\x0b-\x1f\x7f]//g' "$1"
}

[ -n "$CONSOLE_COPY" ] && { strip_console "$CONSOLE" > "$CONSOLE_COPY" 2>/dev/null || say "warning: cannot write $CONSOLE_COPY"; }

boot=$(sed -n 's/.*sw-init: running command at uptime \([0-9.]*\)s.*/\1/p' "$CONSOLE" 2>/dev/null | tr -d '\r' | head -n1)
log "kernel $KERNEL: guest uptime at command start ${boot:-?}s, total $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')s, status $status"
if [ "$VERBOSE" = 1 ] || { [ "$QUIET" = 0 ] && { [ "$status" = 124 ] || [ "$status" = 125 ]; }; }; then
    case "$status" in
        124) say "TIMEOUT after ${TIMEOUT}s (kernel $KERNEL)" ;;
        125) say "no exit marker from the guest (kernel $KERNEL, qemu status $qrc)" ;;
    esac
    echo "----- kernel console ($KERNEL) -----" >&2
    if [ "$VERBOSE" = 1 ]; then strip_console "$CONSOLE" >&2; else strip_console "$CONSOLE" | tail -n 60 >&2; fi
    if [ -s "$TMP/qemu.log" ]; then echo "----- qemu -----" >&2; cat "$TMP/qemu.log" >&2; fi
    echo "-----" >&2
fi

if [ -n "$OUTDIR" ] && [ "$status" != 124 ] && [ "$status" != 125 ]; then
    mkdir -p "$OUTDIR"
    tar -xf "$TMP/out.img" -C "$OUTDIR" 2>/dev/null || say "warning: could not extract /out"
fi
exit "$status"
