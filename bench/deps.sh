#!/bin/bash
# Tools `make bench` needs beyond the build: fio (workload 2), jq (bpftool JSON),
# taskset/util-linux. Installs what is missing with apt-get; idempotent.
set -eu
missing=()
command -v fio >/dev/null || missing+=(fio)
command -v jq >/dev/null || missing+=(jq)
command -v bpftool >/dev/null || missing+=(bpftool)
if ((${#missing[@]})); then
	echo "bench/deps.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi
fio --version >/dev/null
jq --version >/dev/null
