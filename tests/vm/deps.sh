#!/usr/bin/env bash
# tests/vm/deps.sh - install the host packages the VM test harness needs
# (idempotent; only calls apt-get when something is missing).
#
#   tests/vm/deps.sh [-v]
#
# Can also be sourced: it then defines sw_vm_install_deps.
set -euo pipefail

SW_VM_DEB_PACKAGES="qemu-system-x86 qemu-utils busybox-static e2fsprogs cpio gzip xz-utils zstd kmod file ca-certificates debian-archive-keyring"

sw_vm_install_deps() {
    local verbose=${1:-0} missing=() p
    for p in $SW_VM_DEB_PACKAGES; do
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
    v=0; [ "${1:-}" = "-v" ] && v=1
    sw_vm_install_deps "$v"
fi
