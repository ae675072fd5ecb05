#!/bin/bash
# tests/vm/guest-systemd.sh - runs inside the systemd VM of systemd-boot.sh,
# as the unit sw-test.service of the guest's systemd (PID 1), with
# splicewatch's Debian package to install (/sw/splicewatch.deb). TAP on stdout; the last
# line is the host's exit marker, then the VM powers off.
#
# Tests: the package installs (dpkg -i) with the unit disabled and stopped;
# the unit verifies clean; `systemctl start` returns only once the
# programs are attached (an unsafe write right after it is in the journal);
# that event's SPLICEWATCH_* fields are exactly its JSON; the service runs
# with the capability bounding set of the unit and nothing more; `systemctl
# reload` keeps the programs (same ids, same pid) and a changed config takes
# effect; `systemctl stop` leaves no program, map or link; the exposure of
# `systemd-analyze security` (printed).
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/sw
stty -F /dev/ttyS1 raw -echo 2>/dev/null
MARK=$(cat /sw/marker)
WL=/sw/reliability_workload
UNIT=splicewatch.service
CONF=/etc/splicewatch/splicewatch.yaml
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n systemd/$1${2:+ # $2}"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n systemd/$1: $2"; }
# check NAME WHY COMMAND...: ok when COMMAND succeeds, else not ok with WHY.
finish() {
	echo "1..$n"
	echo "$MARK $([ "$failed" = 0 ] && echo 0 || echo 1)"
	sync
	systemctl poweroff --force --force
}
trap finish EXIT

# ids TYPE PID: the BPF object ids (prog, map, link) PID holds, sorted.
ids() {
	grep -h "^$1_id:" /proc/"$2"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -nu | tr '\n' ' '
}
mainpid() { systemctl show -P MainPID "$UNIT"; }
# journal_events: the splicewatch unsafe-write records, one JSON per line.
journal_events() {
	journalctl -q -u "$UNIT" -o json SPLICEWATCH_EVENT=unsafe_write 2>/dev/null
}
# wait_events N: until the journal holds N such records (30 s).
wait_events() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(journal_events | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

echo "# kernel $(uname -r), $(systemctl --version | head -1), booted in $(cut -d' ' -f1 /proc/uptime) s"

# 0. The package, as an operator installs it: not enabled, not started.
out=$(dpkg -i /sw/splicewatch.deb 2>&1); rc=$?
if [ "$rc" != 0 ]; then nok package_installs "dpkg -i: status $rc: $(echo "$out" | tail -3 | tr '\n' ' ')"; exit 1
elif [ "$(systemctl is-enabled "$UNIT" 2>&1)" != disabled ] || systemctl -q is-active "$UNIT"; then
	nok package_installs "after dpkg -i the unit is $(systemctl is-enabled "$UNIT" 2>&1), $(systemctl is-active "$UNIT" 2>&1)"
else ok package_installs "$(dpkg-query -W -f='${Package} ${Version}' splicewatch)"; fi

# 1. The unit as systemd reads it: nothing to say. --man=no: the guest has no
# man-db to look the Documentation= page up with (the package installs it).
out=$(systemd-analyze verify --man=no "/lib/systemd/system/$UNIT" 2>&1); rc=$?
if [ "$rc" = 0 ] && [ -z "$out" ]; then ok unit_verifies_clean
else nok unit_verifies_clean "systemd-analyze verify: status $rc: $(echo "$out" | head -3 | tr '\n' ' ')"; fi

# 2. start returns once READY=1 came: the programs are attached and running
# when it returns (an unsafe write at once is reported).
t0=$(date +%s.%N)
systemctl start "$UNIT"; rc=$?
t1=$(date +%s.%N)
pid=$(mainpid)
progs=$(ids prog "$pid")
"$WL" unsafe /var/tmp/sw-file 1 >/dev/null 2>/tmp/wl.err &
wlpid=$!
wait "$wlpid"; wlrc=$?
state=$(systemctl show -P ActiveState "$UNIT")
if [ "$rc" = 0 ] && [ "$state" = active ] && [ -n "$progs" ] && [ "$wlrc" = 0 ] && wait_events 1; then
	ok start_returns_once_every_program_is_attached "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s to ready, $(echo $progs | wc -w) programs"
else
	nok start_returns_once_every_program_is_attached "start status $rc, state $state, programs [$progs], writer $wlrc, events $(journal_events | wc -l); $(journalctl -q -u "$UNIT" | tail -3 | tr '\n' ' ')"
fi
# Settled: the programs held at start's return were all of them.
sleep 1
if [ -n "$progs" ] && [ "$(ids prog "$pid")" = "$progs" ]; then ok no_program_attached_after_start_returned
else nok no_program_attached_after_start_returned "at start [$progs], later [$(ids prog "$pid")]"; fi

# 3. The event in the journal: its fields exactly its JSON (MESSAGE, format
# json), the write's own values, priority warning (dry run: reported only).
ev=$(journal_events | head -1)
# Numbers quoted before jq parses MESSAGE: jq 1.6 reads them as doubles
# (time_ns has 19 digits).
want=$(jq -c '.MESSAGE | gsub(":(?<n>-?[0-9]+)(?<e>[,}])"; ":\"\(.n)\"\(.e)") | fromjson | with_entries(.key |= "SPLICEWATCH_" + ascii_upcase | .value |= (if type == "string" then . else tojson end))' <<<"$ev" 2>&1)
got=$(jq -c 'with_entries(select(.key | startswith("SPLICEWATCH_")))' <<<"$ev" 2>&1)
if [ -n "$ev" ] && [ "$(jq -S . <<<"$want")" = "$(jq -S . <<<"$got")" ] &&
	[ "$(jq -r .SPLICEWATCH_PID <<<"$ev")" = "$wlpid" ] &&
	[ "$(jq -r .SPLICEWATCH_PATH <<<"$ev")" = /var/tmp/sw-file ] &&
	[ "$(jq -r .SPLICEWATCH_OP <<<"$ev")" = pwrite64 ] &&
	[ "$(jq -r .SPLICEWATCH_ACTION <<<"$ev")" = would_kill ] &&
	[ "$(jq -r .PRIORITY <<<"$ev")" = 4 ] &&
	[ "$(jq -r ._PID <<<"$ev")" = "$pid" ]; then
	ok unsafe_write_in_the_journal_with_its_fields "$(jq -r .SPLICEWATCH_PATH <<<"$ev") pid $wlpid $(jq -r .SPLICEWATCH_ACTION <<<"$ev")"
else
	nok unsafe_write_in_the_journal_with_its_fields "event $(head -c 600 <<<"$ev"); want $want; got $got"
fi

# 4. The service holds the capabilities its unit names and no other (and,
# test 2 showed, they are enough to load, attach and report).
bnd=$(awk '/^CapBnd:/ {print $2}' /proc/"$pid"/status)
eff=$(awk '/^CapEff:/ {print $2}' /proc/"$pid"/status)
names=$(systemctl show -P CapabilityBoundingSet "$UNIT")
mask=0
for c in $names; do
	case $c in
	cap_dac_read_search) b=2 ;; cap_sys_resource) b=24 ;; cap_sys_admin) b=21 ;;
	cap_mac_admin) b=33 ;; cap_perfmon) b=38 ;; cap_bpf) b=39 ;; *) b=63 ;;
	esac
	mask=$((mask | (1 << b)))
done
if [ -n "$names" ] && [ -n "$bnd" ] && [ -n "$eff" ] && [ "$((16#$bnd))" = "$mask" ] && [ "$((16#$eff))" = "$mask" ]; then
	ok service_runs_with_the_unit_capabilities_only "CapEff $eff: $names"
else
	nok service_runs_with_the_unit_capabilities_only "CapBnd $bnd CapEff $eff, unit: $names ($(printf %016x "$mask"))"
fi

# 5. reload: the same process, the same programs; the changed config in force
# (a comm allowed: its unsafe write is "allowed", not "would_kill").
maps=$(ids map "$pid")
links=$(ids link "$pid")
cp "$CONF" /tmp/conf.orig
printf 'allow:\n  comms: [swallowed]\n' >>"$CONF"
systemctl reload "$UNIT"; rc=$?
# systemd 252 (bookworm) does not wait for the reload's READY=1 (Type=notify
# with ExecReload; notify-reload is 253+): the journal says when it is done.
for ((i = 0; i < 100; i++)); do
	journalctl -q -u "$UNIT" | grep -q "SIGHUP: policy" && break
	sleep 0.1
done
"$WL" unsafe /var/tmp/sw-file2 1 swallowed >/dev/null 2>/tmp/wl.err
wait_events 2
ev2=$(journal_events | sed -n 2p)
if [ "$rc" = 0 ] && [ "$(mainpid)" = "$pid" ] && [ "$(ids prog "$pid")" = "$progs" ] &&
	[ "$(ids link "$pid")" = "$links" ] && [ "$(systemctl show -P ActiveState "$UNIT")" = active ] &&
	journalctl -q -u "$UNIT" | grep -q "SIGHUP: policy '$CONF' reloaded: 0 pids, 1 comms" &&
	[ "$(jq -r .SPLICEWATCH_ACTION <<<"$ev2")" = allowed ] &&
	[ "$(jq -r .SPLICEWATCH_COMM <<<"$ev2")" = swallowed ]; then
	ok reload_keeps_the_programs_and_applies_the_config "prog ids $progs"
else
	nok reload_keeps_the_programs_and_applies_the_config "reload status $rc, pid $pid -> $(mainpid), progs [$progs] -> [$(ids prog "$pid")], event $(head -c 300 <<<"$ev2"); $(journalctl -q -u "$UNIT" | grep SIGHUP | tail -2 | tr '\n' ' ')"
fi

# 6. stop: no program, map or link of splicewatch's left in the kernel.
systemctl stop "$UNIT"; rc=$?
left=""
for ((i = 0; i < 100; i++)); do
	left=""
	for id in $progs; do bpftool prog show id "$id" >/dev/null 2>&1 && left+=" prog $id"; done
	for id in $maps; do bpftool map show id "$id" >/dev/null 2>&1 && left+=" map $id"; done
	for id in $links; do bpftool link show id "$id" >/dev/null 2>&1 && left+=" link $id"; done
	[ -z "$left" ] && break
	sleep 0.1
done
result=$(systemctl show -P Result "$UNIT")
if [ "$rc" = 0 ] && [ -n "$progs" ] && [ -n "$maps" ] && [ -z "$left" ] && [ "$result" = success ] &&
	[ "$(systemctl show -P ActiveState "$UNIT")" = inactive ] &&
	journalctl -q -u "$UNIT" | grep -q 'unsafe writes detected, 2 shown'; then
	ok stop_leaves_no_program_map_or_link "$(echo $progs | wc -w) programs, $(echo $maps | wc -w) maps, $(echo $links | wc -w) links gone"
else
	nok stop_leaves_no_program_map_or_link "stop status $rc, result $result, left:$left; $(journalctl -q -u "$UNIT" | tail -2 | tr '\n' ' ')"
fi

# 7. The exposure systemd-analyze gives the unit (printed into docs/operations.md).
sec=$(systemd-analyze security "$UNIT" 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: *\([0-9.]*\) \(.*\)/\1 \2/p' <<<"$sec" | sed 's/\x1b\[[0-9;]*m//g')
echo "$sec" | sed 's/\x1b\[[0-9;]*m//g; s/^/# /'
if [ -n "$exposure" ] && awk -v e="${exposure%% *}" 'BEGIN { exit !(e + 0 <= 3.0) }'; then
	ok security_exposure "exposure $exposure"
else
	nok security_exposure "exposure '${exposure:-none}' (want 3.0 or less)"
fi
