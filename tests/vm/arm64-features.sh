#!/usr/bin/env bash
# `features` tells the truth on arm64 (issue 24): Debian's 6.1 arm64 kernel
# loads fentry and BPF LSM programs but cannot attach them (no BPF
# trampolines: 524), so there fentry is "no", bpf_lsm false and deny needs
# --fallback, and `--backend fentry` refuses to start; 6.12 attaches both. A
# probe that only loaded (as on x86-64) says fentry yes on 6.1 and fails here.
# Needs build/arm64/splicewatch (make ARCH=arm64). Prints a TAP plan
# ("1..N"), "ok NAME" / "not ok NAME: why", then "N passed, N failed"; exit
# status 1 when anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
SW=${SW_ARM64_SPLICEWATCH:-build/arm64/splicewatch}
[ -x "$SW" ] || { printf '1..1\nnot ok vm/arm64/features/build: %s missing (make ARCH=arm64)\n' "$SW"; exit 1; }
pass=0 fail=0 lines=()
check() { # name condition-result why
	if [ "$2" = 0 ]; then lines+=("ok $1"); pass=$((pass + 1))
	else lines+=("not ok $1: $3"); fail=$((fail + 1)); fi
}
# shellcheck disable=SC2016 # expanded by the guest's shell
guest='
/sw/splicewatch features --json > /tmp/f.json; echo "features-rc=$?"
grep -o "\"\(fentry\|bpf_lsm\|deny\|backend\)\": *[^,]*" /tmp/f.json
/sw/splicewatch ci --backend fentry -- true > /dev/null 2>&1; echo "fentry-rc=$?"
'
for k in arm64/6.1 arm64/6.12; do
	out=$(bash tests/vm/run-in-vm.sh --kernel "$k" --timeout 300 --file "$SW:/sw/splicewatch" -- "$guest" 2>&1)
	rc=$?
	check "vm/$k/features/vm" "$rc" "VM status $rc: $(echo "$out" | tail -n1)"
	has() { echo "$out" | grep -qx "$1"; }
	check "vm/$k/features/runs" "$(has 'features-rc=0'; echo $?)" "features did not exit 0"
	if [ "$k" = arm64/6.1 ]; then
		check "vm/$k/features/fentry_is_no" "$(has '"fentry": false'; echo $?)" "$(echo "$out" | grep '"fentry"')"
		check "vm/$k/features/bpf_lsm_is_false" "$(has '"bpf_lsm": false'; echo $?)" "$(echo "$out" | grep '"bpf_lsm"')"
		check "vm/$k/features/deny_needs_fallback" "$(has '"deny": "no BPF trampolines: needs --fallback"'; echo $?)" \
			"$(echo "$out" | grep '"deny"')"
		check "vm/$k/features/auto_is_kprobe" "$(has '"backend": "kprobe"'; echo $?)" "$(echo "$out" | grep '"backend"')"
		check "vm/$k/features/forced_fentry_refused" "$(has 'fentry-rc=2'; echo $?)" "$(echo "$out" | grep 'fentry-rc')"
	else
		check "vm/$k/features/fentry_is_yes" "$(has '"fentry": true'; echo $?)" "$(echo "$out" | grep '"fentry"')"
		check "vm/$k/features/bpf_lsm_is_true" "$(has '"bpf_lsm": true'; echo $?)" "$(echo "$out" | grep '"bpf_lsm"')"
		check "vm/$k/features/auto_is_fentry" "$(has '"backend": "fentry"'; echo $?)" "$(echo "$out" | grep '"backend"')"
		check "vm/$k/features/forced_fentry_runs" "$(has 'fentry-rc=0'; echo $?)" "$(echo "$out" | grep 'fentry-rc')"
	fi
done
echo "1..$((pass + fail))"
printf '%s\n' "${lines[@]}"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
