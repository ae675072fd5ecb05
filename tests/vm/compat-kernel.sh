#!/usr/bin/env bash
# Debian's 5.10 (bullseye) lacks bpf_loop: splicewatch runs the compat programs
# there (the matrix runs every suite on them). What only that build changes:
# `features` names it, and `stats`, whose programs have no compat build,
# refuses in one clear line and exits 2. Prints "ok NAME" / "not ok NAME: why".
set -u
cd "$(dirname "$0")/../.."
kernel=${SW_VM_OLD_KERNEL:-5.10}
if ! out=$(bash tests/vm/kernels.sh fetch "$kernel" 2>&1); then
	echo "not ok vm/$kernel/fetch: $(echo "$out" | tail -n1)"
	exit 1
fi
out=$(bash tests/vm/run-in-vm.sh --kernel "$kernel" --timeout 300 --file ./splicewatch -- \
	'/sw/splicewatch features; echo "features-rc=$?"; /sw/splicewatch features --json | grep -o "\"programs\": *\"[a-z]*\""; /sw/splicewatch stats --count 1 --interval 0.1; echo "stats-rc=$?"' 2>&1)
check() { # NAME PATTERN
	if grep -qE -- "$2" <<<"$out"; then
		echo "ok vm/$kernel/$1"
	else
		echo "not ok vm/$kernel/$1: output lacks /$2/: $(echo "$out" | tail -n3 | tr '\n' ' ')"
	fi
}
check features_describes_kernel "^kernel: +$kernel\."
check features_says_bpf_loop_is_missing '^bpf_loop: +no'
check features_names_compat_programs '^programs: +compat: built for Linux 5\.10-5\.16'
check features_json_names_compat_programs '"programs": *"compat"'
check features_exits_0 '^features-rc=0$'
check stats_refuses_kernel_without_bpf_loop_clearly 'splicewatch: this kernel lacks the bpf_loop helper, which the statistics programs need'
check stats_exits_2_on_kernel_without_bpf_loop '^stats-rc=2$'
