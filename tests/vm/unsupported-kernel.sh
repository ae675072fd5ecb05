#!/usr/bin/env bash
# Debian's 5.10 (bullseye) lacks bpf_loop: splicewatch must refuse it with one
# clear message and exit 2 rather than dump a verifier log, while `features`
# still describes the kernel. Prints "ok NAME" / "not ok NAME: why".
set -u
cd "$(dirname "$0")/../.."
kernel=${SW_VM_OLD_KERNEL:-5.10}
if ! out=$(bash tests/vm/kernels.sh fetch "$kernel" 2>&1); then
	echo "not ok vm/$kernel/fetch: $(echo "$out" | tail -n1)"
	exit 1
fi
out=$(bash tests/vm/run-in-vm.sh --kernel "$kernel" --timeout 300 --file ./splicewatch -- \
	'/sw/splicewatch trace; echo "trace-rc=$?"; /sw/splicewatch features; echo "features-rc=$?"' 2>&1)
check() { # NAME PATTERN
	if grep -qE -- "$2" <<<"$out"; then
		echo "ok vm/$kernel/$1"
	else
		echo "not ok vm/$kernel/$1: output lacks /$2/: $(echo "$out" | tail -n3 | tr '\n' ' ')"
	fi
}
check trace_refuses_kernel_without_bpf_loop_clearly 'splicewatch: this kernel lacks the bpf_loop helper'
check trace_exits_2_on_kernel_without_bpf_loop '^trace-rc=2$'
check features_still_describes_kernel "^kernel: +$kernel\."
check features_says_bpf_loop_is_missing '^bpf_loop: +NO'
check features_exits_0 '^features-rc=0$'
