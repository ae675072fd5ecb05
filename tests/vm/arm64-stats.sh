#!/usr/bin/env bash
# `stats` on arm64 (issue 24): its programs read syscall numbers and
# arguments per architecture (bpf/lib/syscalls.bpf.h), so each copy path is
# counted in an arm64 guest, 6.1 and 6.12, against what the workload says it
# did (tests/stats_workload.c, cross-built): splice in and out, sendfile,
# tee, copy_file_range, vmsplice, a failing splice; calls, bytes and errors
# exactly, per process and operation. Needs build/arm64/splicewatch and
# tests/build/arm64/stats_workload (make ARCH=arm64 all arm64-tests).
# Prints a TAP plan ("1..N"), "ok NAME" / "not ok NAME: why"; exit status 1
# when anything failed. The VM is a test too: exit status 0, and a console
# and taint flags without a kernel warning (kernel-trouble.sh).
set -u
cd "$(dirname "$0")/../.." || exit 2
SW=${SW_ARM64_SPLICEWATCH:-build/arm64/splicewatch}
WL=tests/build/arm64/stats_workload
for f in "$SW" "$WL"; do
	[ -x "$f" ] || { printf '1..1\nnot ok vm/arm64/stats/build: %s missing (make ARCH=arm64 all arm64-tests)\n' "$f"; exit 1; }
done
. tests/vm/kernel-trouble.sh
# The workloads run one after the other while stats counts; each prints what
# it did (JSON lines, "@@ wl" before them); then stats' last snapshot.
# shellcheck disable=SC2016 # expanded by the guest's shell
guest='
dd if=/dev/urandom of=/var/tmp/f bs=65536 count=16 2>/dev/null
/sw/splicewatch stats --json -i 0.5 > /tmp/s.json 2> /tmp/s.err & p=$!
i=0; while kill -0 $p 2>/dev/null && ! grep -q "Ctrl-C to stop" /tmp/s.err && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
{
/sw/stats_workload splice /var/tmp/f swsp
/sw/stats_workload sendfile /var/tmp/f swsf
/sw/stats_workload tee /var/tmp/f swtee
/sw/stats_workload cfr /var/tmp/f /var/tmp/copy swcfr
/sw/stats_workload vmsplice 100000 swvm
/sw/stats_workload fail swfail
} > /tmp/wl.json
sleep 1
kill -INT $p; wait $p; echo "stats-rc=$?"
echo "@@ wl"; cat /tmp/wl.json
echo "@@ snapshot"; tail -n 1 /tmp/s.json
echo "@@ taint $(cat /proc/sys/kernel/tainted)"
'
# compare OUT PREFIX: one TAP line per workload line (comm, op): the rows of
# its pid and op in the final snapshot sum to its calls, bytes and errors.
compare() {
	python3 - "$1" "$2" <<-'EOF'
	import json, sys
	out, pre = sys.argv[1], sys.argv[2]
	sect, wl, snap = '', [], {}
	for line in out.split('\n'):
	    if line.startswith('@@ '):
	        sect = line.split()[1]
	        continue
	    try:
	        o = json.loads(line)
	    except ValueError:
	        continue
	    if sect == 'wl' and isinstance(o, dict) and 'calls' in o:
	        wl.append(o)
	    elif sect == 'snapshot' and isinstance(o, dict):
	        snap = o
	rows = snap.get('rows') if isinstance(snap.get('rows'), list) else []
	want = ['swsp:splice_file_to_pipe', 'swsp:splice_pipe_to_file', 'swsf:sendfile',
	        'swtee:splice_file_to_pipe', 'swtee:tee', 'swtee:splice_pipe_to_file',
	        'swcfr:copy_file_range', 'swvm:vmsplice', 'swfail:splice_pipe_to_pipe']
	print(f'{"ok" if snap.get("final") is True else "not ok"} {pre}final_snapshot'
	      + ('' if snap.get('final') is True else f': last line {str(snap)[:120]!r}'))
	bad = 0 if snap.get('final') is True else 1
	for key in want:
	    comm, op = key.split(':')
	    ws = [w for w in wl if w.get('comm') == comm and w.get('op') == op]
	    name = f'{pre}{comm}_{op}_counted_exactly'
	    if len(ws) != 1:
	        print(f'not ok {name}: {len(ws)} workload lines, want 1'); bad += 1
	        continue
	    w = ws[0]
	    rs = [r for r in rows if isinstance(r, dict) and r.get('pid') == w['pid'] and r.get('op') == op]
	    got = tuple(sum(r.get(k, 0) for r in rs) for k in ('calls', 'bytes', 'errors'))
	    exp = (w['calls'], w['bytes'], w['errors'])
	    if rs and got == exp and all(r.get('comm') == comm for r in rs):
	        print(f'ok {name}')
	    else:
	        print(f'not ok {name}: {len(rs)} rows, splicewatch {got} (calls, bytes, errors), workload {exp}'); bad += 1
	sys.exit(1 if bad else 0)
	EOF
}
lines=() fail=0
for k in arm64/6.1 arm64/6.12; do
	console=$(mktemp) || exit 2
	vmrc=0
	out=$(bash tests/vm/run-in-vm.sh --kernel "$k" --timeout 300 --append loglevel=5 --console "$console" \
		--file "$SW:/sw/splicewatch" --file "$WL:/sw/stats_workload" -- "$guest" 2>&1) || vmrc=$?
	if grep -qx 'stats-rc=0' <<<"$out"; then lines+=("ok vm/$k/stats/exits_0_on_sigint")
	else lines+=("not ok vm/$k/stats/exits_0_on_sigint: $(grep -E 'stats-rc|splicewatch:' <<<"$out" | head -n 2 | tr '\n' ' ')"); fail=1; fi
	c=$(compare "$out" "vm/$k/stats/") || fail=1
	mapfile -t -O "${#lines[@]}" lines <<<"$c"
	v=$(vm_verdict "vm/$k/stats/vm" "$vmrc" "$console" "$out") || fail=1
	lines+=("$v")
	rm -f "$console"
done
echo "1..${#lines[@]}"
printf '%s\n' "${lines[@]}"
[ "$fail" = 0 ]
