#!/usr/bin/env bash
# The address of a held page's bytes (docs/content-checks.md), per kernel:
# `features` finds it the way that kernel offers and checks it on nonce
# pages: ksym (page_offset_base, vmemmap_base) on Debian's x86-64 kernels,
# the arm64 layout constants (48-bit VA on 6.1; 52-bit VA, 6.9's layout, on
# 6.12 and 7.x), and learnt (a nonce page's PFN) everywhere when it is the
# only way tried; a base that reads the next page frame passes no way. On
# 5.10 (compat programs, no bpf_loop) trace --verify refuses to start, says
# why, and leaves no output file.
# Needs ./splicewatch and build/arm64/splicewatch (make ARCH=arm64). Prints a
# TAP plan ("1..N"), "ok NAME" / "not ok NAME: why", then "N passed, N
# failed"; exit status 1 when anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
pass=0 fail=0 lines=()
check() { # name condition-result why
	if [ "$2" = 0 ]; then lines+=("ok $1"); pass=$((pass + 1))
	else lines+=("not ok $1: $3"); fail=$((fail + 1)); fi
}
# shellcheck disable=SC2016 # expanded by the guest's shell
guest='
echo "default=$(/sw/splicewatch features | grep "^page address:")"
echo "learnt=$(SPLICEWATCH_PAGE_ADDR=learnt /sw/splicewatch features | grep "^page address:")"
echo "skew=$(SPLICEWATCH_TEST_PAGE_ADDR_SKEW=1 /sw/splicewatch features | grep "^page address:")"
'
checked='(checked on nonce pages)'
for k in 5.10 6.1 6.12 7 arm64/6.1 arm64/6.12 arm64/7; do
	sw=./splicewatch
	case $k in
	arm64/6.1) sw=${SW_ARM64_SPLICEWATCH:-build/arm64/splicewatch}
		want="constants: arm64, 48-bit VA, before 6.9 $checked" ;;
	arm64/*) sw=${SW_ARM64_SPLICEWATCH:-build/arm64/splicewatch}
		want="constants: arm64, 52-bit VA, 6.9 on $checked" ;;
	*) want="ksym: page_offset_base and vmemmap_base $checked" ;;
	esac
	t="vm/$k/page_address"
	if [ ! -x "$sw" ]; then
		check "$t/build" 1 "$sw missing"
		continue
	fi
	g=$guest
	# shellcheck disable=SC2016 # expanded by the guest's shell
	[ "$k" = 5.10 ] && g+='
/sw/splicewatch trace --verify -o /tmp/v 2>/tmp/v.err; echo "verify=$? $(test -e /tmp/v && echo file) $(cat /tmp/v.err)"
'
	out=$(bash tests/vm/run-in-vm.sh --kernel "$k" --timeout 300 --file "$sw:/sw/splicewatch" -- "$g" 2>&1)
	rc=$?
	check "$t/vm" "$rc" "VM status $rc: $(echo "$out" | tail -n1)"
	got() { echo "$out" | sed -n "s/^$1=page address: *//p"; }
	check "$t/default_way" "$([ "$(got default)" = "$want" ]; echo $?)" "got '$(got default)', want '$want'"
	check "$t/learnt_way" "$([ "$(got learnt)" = "learnt: from a nonce page's PFN and struct page $checked" ]; echo $?)" \
		"got '$(got learnt)'"
	check "$t/next_frame_refused" "$(got skew | grep -q '^none: .*nonce check'; echo $?)" "got '$(got skew)'"
	if [ "$k" = 5.10 ]; then
		v=$(echo "$out" | sed -n 's/^verify=//p')
		check "vm/$k/verify_refused_no_bpf_loop" \
			"$([ "$v" = "2  splicewatch: --verify: needs Linux 5.17 or later (bpf_loop)" ]; echo $?)" "got '$v'"
	fi
done
echo "1..$((pass + fail))"
printf '%s\n' "${lines[@]}"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
