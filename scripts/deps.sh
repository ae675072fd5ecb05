#!/usr/bin/env bash
# Installs everything splicewatch needs to build, run and test on Debian 12 (bookworm).
# Idempotent; needs root. libbpf 1.4 and bpftool 7.5 come from bookworm-backports.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: run as root (it installs packages with apt-get)" >&2
	exit 2
fi
. /etc/os-release
codename=${VERSION_CODENAME:-bookworm}
if [ "$codename" = bookworm ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "deb http://deb.debian.org/debian bookworm-backports main" \
		> /etc/apt/sources.list.d/splicewatch-backports.list
fi
apt-get update -q
backports=()
[ "$codename" = bookworm ] && backports=(-t bookworm-backports)
apt-get install -y -q --no-install-recommends "${backports[@]}" libbpf-dev bpftool
apt-get install -y -q --no-install-recommends \
	make gcc clang llvm libelf-dev zlib1g-dev pkg-config libmicrohttpd-dev libyaml-dev liburing-dev \
	python3 python3-jsonschema curl prometheus util-linux libcap2-bin e2fsprogs stress-ng fio nginx valgrind cppcheck
# make deb and tests/suites/package.sh: Debian's packaging tools (the build
# needs no fakeroot: debian/control says Rules-Requires-Root: no).
apt-get install -y -q --no-install-recommends \
	build-essential dpkg-dev debhelper lintian
# tests/suites/containers.sh: real containers, podman on a Debian root file
# system (mmdebstrap, from tests/vm/deps.sh) with --network none. runc, not
# crun: Debian 12's crun refuses a cgroup v1/v2 hybrid host (containers.sh says
# why); naming runc makes apt take it for podman's "crun | runc".
apt-get install -y -q --no-install-recommends podman runc conmon
# The kernel matrix (tests/vm) boots Debian kernels under qemu.
bash "$(dirname "$0")/../tests/vm/deps.sh"
