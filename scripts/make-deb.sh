#!/usr/bin/env bash
# scripts/make-deb.sh [--arch arm64] [OUTDIR] - `make deb`: builds the Debian package with
# Debian's own tooling (debhelper, dpkg-buildpackage -us -uc -b) in a
# temporary copy of this tree, and moves the .deb, .buildinfo and .changes
# (and the -dbgsym .deb) into OUTDIR (default build/deb); the build's log is OUTDIR/build.log.
# Needs dpkg-dev, debhelper and the build dependencies (debian/control;
# scripts/deps.sh installs them all). Prints the .deb's path last.
# --arch arm64 (`make deb ARCH=arm64`) cross-builds the arm64 package
# (dpkg-buildpackage -a arm64; debian/rules builds with the Makefile's
# ARCH=arm64, against the sysroot of scripts/arm64-sysroot.sh, whose
# libraries stand for the arm64 build dependencies: those are checked for
# the build machine only).
set -euo pipefail
cd "$(dirname "$0")/.."
cross=()
if [ "${1:-}" = --arch ]; then
	case "${2:-}" in
	arm64) cross=(-a arm64 -d); export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} nocheck" ;;
	*) echo "make-deb.sh: --arch: arm64 (the build machine's own architecture needs none)" >&2; exit 2 ;;
	esac
	shift 2
fi
out=$(realpath -m "${1:-build/deb}")

version=$(sed -n 's/^VERSION *:= *//p' Makefile)
debversion=$(dpkg-parsechangelog -S Version)
if [ "$version" != "$debversion" ]; then
	echo "make-deb.sh: Makefile VERSION is $version, debian/changelog says $debversion: add a changelog entry (dch -v $version)" >&2
	exit 1
fi
dpkg-checkbuilddeps || { echo "make-deb.sh: build dependencies missing (bash scripts/deps.sh)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/swdeb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/splicewatch-$version
mkdir "$src"
# The tree's files as they are now (edits not committed included), without
# build products: git's list where there is one, else everything but them.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -c -o --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -C "$src" -xf -
else
	tar --exclude=./.git --exclude=./build --exclude=./build-asan --exclude=./tests/build \
		--exclude=./fuzz/build --exclude=./bench/build --exclude=./splicewatch -cf - . |
		tar -C "$src" -xf -
fi

mkdir -p "$out"
start=$SECONDS
if ! (cd "$src" && dpkg-buildpackage "${cross[@]}" -us -uc -b) >"$out/build.log" 2>&1; then
	tail -20 "$out/build.log" >&2
	echo "make-deb.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
arch=$(dpkg-architecture "${cross[@]:0:2}" -qDEB_HOST_ARCH 2>/dev/null)
base=splicewatch_${version}_$arch
dbg=splicewatch-dbgsym_${version}_$arch.deb
rm -f "$out/$base".* "$out/$dbg"
mv "$work/$base.deb" "$work/$base.buildinfo" "$work/$base.changes" "$out/"
# The detached debug symbols (dh_strip), when the build made them.
[ ! -e "$work/$dbg" ] || mv "$work/$dbg" "$out/"
echo "make-deb.sh: built in $((SECONDS - start)) s" >&2
echo "$out/$base.deb"
