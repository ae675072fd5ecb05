#!/usr/bin/env bash
# Debian's 5.10 (bullseye) lacks bpf_loop: splicewatch runs the compat programs
# there, and the matrix runs the trace, enforce, deny and ci suites on them.
# This checks the rest: `features` names the build, and `stats` (its own
# compat programs) counts a known splice workload exactly and shows a hold.
# Prints a TAP plan ("1..N"), "ok NAME" / "not ok NAME: why"; exit status 1
# when anything failed. The VM itself is a test: it must end with exit status 0
# and a kernel that neither warned nor oopsed (console at loglevel 5, taint).
set -u
cd "$(dirname "$0")/../.." || exit 2
kernel=${SW_VM_OLD_KERNEL:-5.10}
WL=tests/build/stats_workload
if [ ! -x "$WL" ] || [ tests/stats_workload.c -nt "$WL" ]; then
	make -s "$WL" >&2 || { printf '1..1\nnot ok vm/%s/build: cannot build %s\n' "$kernel" "$WL"; exit 1; }
fi
if ! out=$(bash tests/vm/kernels.sh fetch "$kernel" 2>&1); then
	printf '1..1\nnot ok vm/%s/fetch: %s\n' "$kernel" "$(echo "$out" | tail -n1)"
	exit 1
fi
# shellcheck disable=SC2016 # expanded by the guest's shell
guest='
/sw/splicewatch features; echo "features-rc=$?"
/sw/splicewatch features --json | grep -o "\"programs\": *\"[a-z]*\""
/sw/splicewatch -v ci -- true 2>&1 | grep "compat programs"
dd if=/dev/zero of=/var/tmp/f bs=65536 count=16 2>/dev/null
/sw/splicewatch stats --json -i 0.5 > /tmp/s.json 2> /tmp/s.err & p=$!
i=0; while kill -0 $p 2>/dev/null && ! grep -q "Ctrl-C to stop" /tmp/s.err && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
/sw/stats_workload splice /var/tmp/f swsplice
/sw/stats_workload hold /var/tmp/f 4 5 swhold &
sleep 2
kill -INT $p; wait $p; echo "stats-rc=$?"
cat /tmp/s.err; tail -n 1 /tmp/s.json
echo "@@ taint $(cat /proc/sys/kernel/tainted)"
'
console=$(mktemp) || exit 2
trap 'rm -f "$console"' EXIT
vmrc=0
out=$(bash tests/vm/run-in-vm.sh --kernel "$kernel" --timeout 400 --append loglevel=5 \
	--console "$console" --file ./splicewatch --file "$WL:/sw/stats_workload" -- "$guest" 2>&1) || vmrc=$?
echo "1..11"
failed=0
check() { # NAME PATTERN
	if grep -qE -- "$2" <<<"$out"; then
		echo "ok vm/$kernel/$1"
	else
		echo "not ok vm/$kernel/$1: output lacks /$2/: $(echo "$out" | tail -n3 | cut -c1-300 | tr '\n' ' ')"
		failed=$((failed + 1))
	fi
}
check features_describes_kernel "^kernel: +$kernel\."
check features_says_bpf_loop_is_missing '^bpf_loop: +no'
check features_names_compat_programs '^programs: +compat: built for Linux 5\.10-5\.16'
check features_json_names_compat_programs '"programs": *"compat"'
check features_exits_0 '^features-rc=0$'
# x86-64 without KASAN: the top of a 16 KiB stack, less struct pt_regs (168).
check compat_learns_where_syscall_registers_are 'syscall registers 16216 bytes into the kernel stack'
check stats_exits_0_on_sigint '^stats-rc=0$'
check stats_counts_splice_calls_and_bytes_exactly \
	'"comm":"swsplice","op":"splice_file_to_pipe","file":"/var/tmp/f","file_kind":"file","dev":"[0-9:]+","ino":[0-9]+,"calls":16,"bytes":1048576,"errors":0'
check stats_counts_spliced_bytes_as_page_cache \
	'"comm":"swsplice","op":"splice_file_to_pipe",[^}]*"pagecache_bytes":1048576,"anon_bytes":0'
check stats_shows_held_pages_of_file \
	'"held":\[\{"file":"/var/tmp/f","dev":"[0-9:]+","ino":[0-9]+,"pages":4,"bytes":16384'
# the VM: exit 0, and the kernel's console and taint flags as matrix.sh reads them
. tests/vm/kernel-trouble.sh
printf '%s\n' "$out" > "$console.log"
trouble=$(kernel_trouble "$console" "$console.log")
rm -f "$console.log"
if [ "$vmrc" != 0 ]; then
	echo "not ok vm/$kernel/vm: VM status $vmrc (124: timeout, 125: no exit marker)${trouble:+; $trouble}"
	failed=$((failed + 1))
elif [ -n "$trouble" ]; then
	echo "not ok vm/$kernel/vm: $trouble"
	failed=$((failed + 1))
else
	echo "ok vm/$kernel/vm"
fi
[ "$failed" = 0 ]
