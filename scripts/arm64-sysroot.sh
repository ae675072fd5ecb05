#!/usr/bin/env bash
# The arm64 libraries that `make ARCH=arm64` links (libbpf statically, as the
# x86 build does; libelf, zlib, libyaml, and liburing for tests/build/swtest),
# and the busybox of the arm64 VM guests (tests/vm/run-in-vm.sh), unpacked
# from Debian's arm64 .debs into a sysroot; prints its path.
#
#   scripts/arm64-sysroot.sh [--refresh]
#
# Not multiarch: adding arm64 to dpkg here plans to remove dozens of amd64
# packages unless every version matches. A private apt configuration is used
# (the system's sources are never read or changed); the .debs are only
# unpacked (dpkg-deb -x), never installed. Cached under
# ${SW_ARM64_CACHE:-/var/cache/splicewatch-arm64}: apt/ (lists, archives) and
# sysroot/ (done when sysroot/.complete names the package set).
#
# libbpf 1.4 comes from bookworm-backports, as on the host (scripts/deps.sh).
# libelf comes from bookworm (0.188): the static libelf.a of
# bookworm-backports (0.192) fails to link (undefined eu_search_tree_init).
set -euo pipefail

CACHE=${SW_ARM64_CACHE:-/var/cache/splicewatch-arm64}
MIRROR=${SW_VM_MIRROR:-http://deb.debian.org/debian}
KEYRING=${SW_VM_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
# package[/suite]: the suite pins where it comes from (default: bookworm).
PKGS="libbpf-dev/bookworm-backports libbpf1/bookworm-backports libelf-dev libelf1
zlib1g-dev zlib1g libyaml-dev libyaml-0-2 liburing-dev liburing2 busybox-static"

die() { echo "arm64-sysroot.sh: error: $*" >&2; exit 1; }

# The runtime libraries' shlibs entries (their .debs' own, and the cross C
# library's with libc6:arm64 read as libc6), for dpkg-shlibdeps in the arm64
# package build (debian/rules: -L SYSROOT/shlibs): the sysroot is no dpkg
# database, so the libraries' packages are named from these.
RUNTIME_PKGS="libelf1 libyaml-0-2 zlib1g"
write_shlibs() { # SYSROOT ARCHIVES
	local p deb tmp
	tmp=$(mktemp "$1/shlibs.XXXXXX") || return
	{
		for p in $RUNTIME_PKGS; do
			deb=$(ls -t "$2/${p}_"*_arm64.deb | head -n1)
			dpkg-deb -I "$deb" shlibs | grep -v '^udeb:'
		done
		sed 's/:arm64 / /' /var/lib/dpkg/info/libc6-arm64-cross.shlibs
	} > "$tmp" && chmod 0644 "$tmp" && mv "$tmp" "$1/shlibs"
}

# Absolute symbolic links (zlib1g-dev's libz.so -> /lib/...) would name the
# build host's files: made relative, inside the sysroot (else -lz finds
# no libz.so there and links libz.a into the binary).
relink_absolute() { # SYSROOT
	local l t
	find "$1" -type l -lname '/*' -print0 | while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$1$t")" "$l" || return
	done
}

refresh=0
[ "${1:-}" = --refresh ] && refresh=1
root="$CACHE/sysroot"
want=$(echo $PKGS)
if [ "$refresh" = 0 ] && [ "$(cat "$root/.complete" 2>/dev/null)" = "$want" ]; then
	[ -s "$root/shlibs" ] || write_shlibs "$root" "$CACHE/apt/archives" || die "cannot write $root/shlibs"
	[ -z "$(find "$root" -type l -lname '/*' -print -quit)" ] || relink_absolute "$root" ||
		die "cannot make the links of $root relative"
	echo "$root"
	exit 0
fi

d="$CACHE/apt"
mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/log"
cat > "$d/sources.list" <<EOF
deb [arch=arm64 signed-by=$KEYRING] $MIRROR bookworm main
deb [arch=arm64 signed-by=$KEYRING] $MIRROR bookworm-updates main
deb [arch=arm64 signed-by=$KEYRING] $MIRROR bookworm-backports main
EOF
o=(-o "Dir::Etc::SourceList=$d/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
   -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null"
   -o "Dir::State::Lists=$d/lists" -o "Dir::State::status=/dev/null"
   -o "Dir::State::extended_states=$d/extended_states"
   -o "Dir::Cache=$d" -o "Dir::Cache::archives=$d/archives" -o "Dir::Log=$d/log"
   -o "APT::Architectures=arm64" -o "APT::Architecture=arm64"
   -o "Acquire::Languages=none" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
exec 9> "$CACHE/.lock"
flock 9
apt-get "${o[@]}" -q update >&2 || die "apt-get update failed"
rm -rf "$root.new"
mkdir -p "$root.new"
cd "$d/archives"
for p in $PKGS; do
	name=${p%%/*}
	suite=bookworm
	[ "$p" = "$name" ] || suite=${p#*/}
	apt-get "${o[@]}" -q -t "$suite" download "$name/$suite" >&2 || die "cannot download $name from $suite"
	deb=$(ls -t "${name}_"*_arm64.deb | head -n1)
	dpkg-deb -x "$deb" "$root.new"
done
relink_absolute "$root.new" || die "cannot make the sysroot's links relative"
write_shlibs "$root.new" "$d/archives" || die "cannot write the shlibs file"
echo "$want" > "$root.new/.complete"
rm -rf "$root"
mv "$root.new" "$root"
echo "$root"
