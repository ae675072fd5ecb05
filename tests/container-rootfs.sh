#!/usr/bin/env bash
# tests/container-rootfs.sh - a Debian root file system for the real-container
# tests (tests/suites/containers.sh, `podman run --rootfs`): built once with
# mmdebstrap from Debian's packages, cached as a directory. No image registry.
#
#   container-rootfs.sh [--rebuild]    prints the directory's path
#
# Cache: ${SW_CONTAINER_CACHE:-/var/cache/splicewatch-containers}/rootfs/<hash>/tree,
# <hash> the sha256 of this script (the recipe): an edit here builds a new
# tree, an unchanged script reuses the cached one. Concurrent builds are
# serialised with flock. Variant essential (smaller than minbase: no apt),
# bookworm: sh, sleep and dd are Debian's own; the test workload is
# bind-mounted from the host (same glibc: the host is bookworm too). About
# 30 s to build (~80 MB), once.
#
# The tree is never written by a container: containers.sh mounts it with
# `--rootfs DIR:O` (an overlay podman throws away with the container).
set -euo pipefail

CACHE=${SW_CONTAINER_CACHE:-/var/cache/splicewatch-containers}
MIRROR=${SW_VM_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
REBUILD=0

for a in "$@"; do
	case "$a" in
	--rebuild) REBUILD=1 ;;
	*) echo "usage: $0 [--rebuild]" >&2; exit 2 ;;
	esac
done

say() { echo "container-rootfs: $*" >&2; }
die() { say "error: $*"; exit 1; }

hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
dir=$CACHE/rootfs/$hash
tree=$dir/tree
mkdir -p "$CACHE/rootfs"
exec 9>"$CACHE/rootfs/.lock"
flock 9
# .done: written last, so a build that died half-way is never reused.
if [ -e "$dir/.done" ] && [ "$REBUILD" = 0 ]; then
	echo "$tree"
	exit 0
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (scripts/deps.sh installs it)"
[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap's root mode)"

say "building a $SUITE root file system into $dir (once)"
rm -rf "$dir"
mkdir -p "$dir"
log=$dir/build.log
start=$(date +%s)
if ! mmdebstrap --variant=essential --mode=root --format=directory \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--customize-hook='echo sw-container > "$1/etc/hostname"' \
	"$SUITE" "$tree" "$MIRROR" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "mmdebstrap failed (log: $log)"
fi
rm -rf "$tree/var/cache/apt/archives"/*.deb "$tree/var/lib/apt/lists"/*_Packages 2>/dev/null || true
: >"$dir/.done"
say "built $tree ($(du -sm "$tree" | cut -f1) MB) in $(($(date +%s) - start)) s"
echo "$tree"
