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
# Only kernels built by this host's compiler: Debian's headers name theirs
# (gcc-12 for bookworm's 6.1), and their kbuild tools are built for their
# own Debian release.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ $# = 2 ] || { echo "usage: $0 NAME DIR" >&2; exit 2; }
NAME=$1 DIR=$2
# What the tests need loaded beside the module: gcm(aes) and ctr(aes) for its
# requests, tls for the kTLS workloads (verify_workload ktls_*), xts(ecb(aes)),
# cts(cbc(aes)) and hmac(sha512) for fscrypt (verify_workload fscrypt_read),
# loop and dm-crypt for verify_workload dmcrypt_direct.
NEEDED="gcm ctr ghash_generic tls xts ecb cts sha512_generic loop dm_mod dm_crypt"

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
command -v "${cc:-gcc}" >/dev/null || failed "the kernel's compiler ${cc:-gcc} is not installed"
"$HERE/kernels.sh" modules "$NAME" "$DIR" $NEEDED 2>"$DIR/modules.log" ||
    failed "kernels.sh modules: $(tail -n 1 "$DIR/modules.log")"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cp "$HERE/../kmod/sw_kwriter.c" "$HERE/../kmod/Kbuild" "$src/"
make -C "$build" M="$src" modules >"$DIR/build.log" 2>&1 ||
    failed "the build: $(grep -m1 -E 'error|Error' "$DIR/build.log" || tail -n 1 "$DIR/build.log")"
cp "$src/sw_kwriter.ko" "$DIR/"
echo sw_kwriter.ko >> "$DIR/modules.load"
echo ok > "$DIR/status"
