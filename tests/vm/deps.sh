#!/usr/bin/env bash
# tests/vm/deps.sh - install the host packages the VM test harness needs
# (idempotent; only calls apt-get when something is missing).
#
#   tests/vm/deps.sh [-v] [--probe]
#
# --probe also installs what probe.sh uses (bpftool, clang).
#
# Can also be sourced: it then defines sw_vm_install_deps.
set -euo pipefail

# qemu-system-arm and the cross toolchain: the arm64 guests (kernels arm64/...)
SW_VM_DEB_PACKAGES="qemu-system-x86 qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross busybox-static e2fsprogs cpio gzip xz-utils zstd kmod util-linux coreutils debian-archive-keyring mmdebstrap"
SW_VM_PROBE_PACKAGES="bpftool clang"

sw_vm_install_deps() { # [verbose 0|1] [probe 0|1]
    local verbose=${1:-0} probe=${2:-0} missing=() p pkgs=$SW_VM_DEB_PACKAGES
    [ "$probe" = 1 ] && pkgs="$pkgs $SW_VM_PROBE_PACKAGES"
    for p in $pkgs; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "deps.sh: installing ${missing[*]}" >&2
    if [ "$verbose" = 1 ]; then
        $sudo apt-get update || true
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
    else
        local log; log=$(mktemp)
        if ! { $sudo apt-get -q update && DEBIAN_FRONTEND=noninteractive \
               $sudo apt-get -q install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
            cat "$log" >&2; rm -f "$log"; echo "deps.sh: apt-get failed" >&2; return 1
        fi
        rm -f "$log"
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    v=0; probe=0
    for a in "$@"; do
        case "$a" in
            -v) v=1 ;; --probe) probe=1 ;;
            *) echo "usage: $0 [-v] [--probe]" >&2; exit 2 ;;
        esac
    done
    sw_vm_install_deps "$v" "$probe"
fi
