#!/usr/bin/env bash
# tests/vm/kmod.sh - the test module (tests/kmod/sw_kwriter.c) for a VM kernel,
# built against that kernel's own headers packages, with the crypto modules
# its AES-GCM needs, the tls module, fscrypt's ciphers and dm-crypt
# (tests/vm/guest-verify.sh loads them; docs/testing.md).
#
#   kmod.sh NAME DIR
#
# NAME is a kernel of tests/vm/kernels.sh (fetched). DIR gets modules.load
# (the .ko files in load order, sw_kwriter.ko last, paths within DIR) and
# status: "ok", or "failed: why" (also on stderr, exit 1), so that the
# guest's tests say why they have no module.
#
# Debian's headers name the compiler their kernel was built with (gcc-12
# for bookworm's 6.1, gcc-14 for trixie's 6.12 and 7.x). One this host
# lacks is taken from a build root of the kernel's release (kernels.sh
# buildroot), the module built there in a mount namespace of its own with
# the headers and the source at the same paths (objtool reads /proc).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ $# = 2 ] || { echo "usage: $0 NAME DIR" >&2; exit 2; }
NAME=$1 DIR=$2
# What the tests need loaded beside the module: gcm(aes) and ctr(aes) for its
# requests, tls for the kTLS workloads (verify_workload ktls_*), xts(ecb(aes)),
# cts(cbc(aes)) and hmac(sha512) for fscrypt (verify_workload fscrypt_read),
# loop and dm-crypt for verify_workload dmcrypt_direct. 7.x builds ghash
# and sha512 into the kernel's crypto library: optional ("?").
NEEDED="gcm ctr ?ghash_generic tls xts ecb cts ?sha512_generic loop dm_mod dm_crypt"

failed() {
    mkdir -p "$DIR"
    echo "failed: $*" > "$DIR/status"
    echo "kmod.sh: $NAME: $*" >&2
    exit 1
}

rm -rf "$DIR"
mkdir -p "$DIR"
build=$("$HERE/kernels.sh" headers "$NAME" 2>"$DIR/headers.log") ||
    failed "kernels.sh headers: $(tail -n 1 "$DIR/headers.log")"
cc=$(sed -n 's/^CC = .*)\(gcc[-0-9]*\)$/\1/p' "$build/.kernelvariables" 2>/dev/null || true)
root=""
if ! command -v "${cc:-gcc}" >/dev/null; then
    root=$("$HERE/kernels.sh" buildroot "$NAME" "${cc:-gcc}" 2>"$DIR/buildroot.log") ||
        failed "the kernel's compiler ${cc:-gcc}: kernels.sh buildroot: $(tail -n 1 "$DIR/buildroot.log")"
fi
"$HERE/kernels.sh" modules "$NAME" "$DIR" $NEEDED 2>"$DIR/modules.log" ||
    failed "kernels.sh modules: $(tail -n 1 "$DIR/modules.log")"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cp "$HERE/../kmod/sw_kwriter.c" "$HERE/../kmod/Kbuild" "$src/"
if [ -z "$root" ]; then
    make -C "$build" M="$src" modules
else
    # $build is $CACHE/headers/NAME/root/usr/src/linux-headers-ABI, whose
    # Makefile names the -common headers beside it by absolute path; the
    # source is /sw_kwriter there (the namespace is this build's alone).
    hdir=$(cd "$build/../../../.." && pwd)
    # shellcheck disable=SC2016 # expanded by the inner sh, from its arguments
    unshare -m sh -euc 'mkdir -p "$1$2" "$1/sw_kwriter" && mount --bind "$2" "$1$2" &&
        mount --bind "$3" "$1/sw_kwriter" && mount -t proc proc "$1/proc" &&
        exec chroot "$1" make -C "$4" M=/sw_kwriter modules' sh "$root" "$hdir" "$src" "$build"
fi >"$DIR/build.log" 2>&1 ||
    failed "the build: $(grep -m1 -E 'error|Error' "$DIR/build.log" || tail -n 1 "$DIR/build.log")"
cp "$src/sw_kwriter.ko" "$DIR/"
echo sw_kwriter.ko >> "$DIR/modules.load"
echo ok > "$DIR/status"
