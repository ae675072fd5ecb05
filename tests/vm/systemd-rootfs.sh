#!/usr/bin/env bash
# tests/vm/systemd-rootfs.sh - a Debian root file system with systemd as init,
# for the service test (systemd-boot.sh): built once with mmdebstrap from
# Debian's packages and cached as an ext4 image.
#
#   systemd-rootfs.sh [-v] [--rebuild]    prints the image's path
#
# Cache: ${SW_VM_CACHE:-/var/cache/splicewatch-vm}/rootfs/<hash>/rootfs.img,
# <hash> the sha256 of this script (the recipe): an edit here builds a new
# image, an unchanged script reuses the cached one. Concurrent builds are
# serialised with flock. About 1-2 minutes to build (bookworm, minbase plus
# systemd, bpftool and what they need; ~250 MB).
#
# The image is never written by a VM: systemd-boot.sh boots it with
# qemu's snapshot=on, so every boot starts from the same clean state.
set -euo pipefail

CACHE=${SW_VM_CACHE:-/var/cache/splicewatch-vm}
MIRROR=${SW_VM_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# systemd-sysv: /sbin/init is systemd. bpftool: the programs, maps and links
# loaded (the test's "nothing left" checks). jq: journalctl -o json. procps: pgrep/ps.
# kmod: modprobe.
PACKAGES="systemd,systemd-sysv,bpftool,jq,procps,kmod,libelf1,zlib1g,libyaml-0-2,libzstd1"
VERBOSE=0
REBUILD=0

for a in "$@"; do
    case "$a" in
        -v) VERBOSE=1 ;;
        --rebuild) REBUILD=1 ;;
        *) echo "usage: $0 [-v] [--rebuild]" >&2; exit 2 ;;
    esac
done

say() { echo "systemd-rootfs: $*" >&2; }
die() { say "error: $*"; exit 1; }

hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
dir=$CACHE/rootfs/$hash
img=$dir/rootfs.img
mkdir -p "$CACHE/rootfs"
exec 9>"$CACHE/rootfs/.lock"
flock 9
if [ -s "$img" ] && [ "$REBUILD" = 0 ]; then
    echo "$img"
    exit 0
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (tests/vm/deps.sh installs it)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found"
[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap's root mode, mkfs.ext4 -d)"

say "building a $SUITE root file system with systemd into $dir (once)"
rm -rf "$dir"
mkdir -p "$dir"
tree=$dir/tree
log=$dir/build.log
start=$(date +%s)
# --customize-hook: runs with the tree as $1.
#  - no login prompts, no timers, no waiting for hardware that is not there:
#    the guest boots straight to multi-user.target and the test unit;
#  - an empty machine-id is made at first boot (snapshot: every boot);
#  - the journal kept in memory (Storage=volatile): nothing to flush.
if ! mmdebstrap --variant=minbase --mode=root --format=directory \
        --include="$PACKAGES" \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --customize-hook='echo sw-systemd > "$1/etc/hostname"' \
        --customize-hook=': > "$1/etc/machine-id"' \
        --customize-hook='printf "[Journal]\nStorage=volatile\n" > "$1/etc/systemd/journald.conf.d/sw.conf" 2>/dev/null || { mkdir -p "$1/etc/systemd/journald.conf.d"; printf "[Journal]\nStorage=volatile\n" > "$1/etc/systemd/journald.conf.d/sw.conf"; }' \
        --customize-hook='for u in getty@.service serial-getty@.service console-getty.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service; do ln -sf /dev/null "$1/etc/systemd/system/$u"; done' \
        --customize-hook='printf "/dev/vda / ext4 rw,relatime 0 1\n" > "$1/etc/fstab"' \
        --customize-hook='sed -i "s/^root:[^:]*:/root::/" "$1/etc/shadow"' \
        "$SUITE" "$tree" "$MIRROR" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "mmdebstrap failed (log: $log)"
fi
rm -rf "$tree/var/cache/apt/archives"/*.deb "$tree/var/lib/apt/lists"/*_Packages 2>/dev/null || true
size=$(( $(du -sm "$tree" | cut -f1) + 256 ))
if ! mkfs.ext4 -q -F -L swroot -d "$tree" "$img.tmp" "${size}M" >>"$log" 2>&1; then
    rm -f "$img.tmp"
    die "mkfs.ext4 -d failed (log: $log)"
fi
rm -rf "$tree"
mv "$img.tmp" "$img"
say "built $img (${size} MB) in $(( $(date +%s) - start )) s"
echo "$img"
