#!/usr/bin/env bash
# splicewatch trace: who wrote and who held (docs/identity.md). The writer's
# ppid, loginuid, exe and cgroup, the holder's cgroup (its id taken at the
# splice) and exe, and the container a cgroup path names. Prints TAP; exits 1
# if a test failed, 2 if it cannot run.
#
# The container tests are CGROUP LAYOUTS, NOT REAL RUNTIMES: each makes the
# cgroup path a runtime would make (docker, containerd, cri-o, podman,
# systemd-nspawn, lxc) under the cgroup2 mount and moves a real writer
# process into it; no runtime runs. A real podman container is
# tests/suites/containers.sh's.
#
# The hostile user is uid 65534 (setpriv), given a delegated cgroup the way
# systemd gives user@UID.service one: it may name cgroups there as it likes.
# shellcheck disable=SC2317,SC2086 # the test functions run through T and run_tests; the layouts are fixed words
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=./splicewatch
suite_setup identity "$SW"
SW=$(realpath "$SW")
command -v setpriv >/dev/null || { echo "identity.sh needs setpriv" >&2; exit 2; }
root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$root" ] || { echo "identity.sh needs a cgroup2 mount" >&2; exit 2; }

# Named copies of the workload binaries: their exe tells them apart.
bin=$tmp/bin
mkdir -p "$bin"
chmod 755 "$tmp" "$bin"
cp "$(realpath /usr/bin/python3)" "$bin/sw-id-holder"
cp "$(realpath /usr/bin/python3)" "$bin/sw-id-writer"
cp "$(realpath "$(command -v dd)")" "$bin/sw-id-dd"
cp "$(realpath "$(command -v sleep)")" "$bin/sw-id-reuser"
cat >"$bin/hold.py" <<'EOF'
# hold.py FILE [fork]: one page of FILE into a pipe, kept; "ready" when held.
# fork: a child keeps the pipe and this process (the splicer) exits.
import os, sys, time
f = os.open(sys.argv[1], os.O_RDONLY)
r, w = os.pipe()
os.splice(f, w, 4096, offset_src=0)
if len(sys.argv) > 2 and os.fork():
    os._exit(0)
print(os.getpid(), flush=True)
time.sleep(3600)
EOF
cat >"$bin/write.py" <<'EOF'
# write.py FILE: byte 0 of FILE written; "done" and stays (its exe is read
# while it runs: the exe of a process gone before splicewatch read the
# event is not known).
import os, sys, time
f = os.open(sys.argv[1], os.O_WRONLY)
os.pwrite(f, b"W", 0)
print("done", flush=True)
time.sleep(3600)
EOF

cgroups=()	# made by the tests, removed deepest first at exit
suite_on_exit() {
	local i
	for ((i = ${#cgroups[@]} - 1; i >= 0; i--)); do rmcg "${cgroups[i]}"; done
}
swpid=""
after_each() {
	stop_sw
	local p
	for p in "${bg[@]}"; do [ "$p" = "$swpid" ] || kill "$p" 2>/dev/null; done
}

# mkcg PATH: cgroup PATH (from the hierarchy's root) and its parents.
mkcg() {
	local p="" c
	local IFS=/
	for c in $1; do
		[ -n "$c" ] || continue
		p+=/$c
		[ -d "$root$p" ] && continue
		mkdir "$root$p" || fail "cannot create cgroup $p" || return
		cgroups+=("$root$p")
	done
}

# file: a file of 8 KiB in $d/f, its page cache filled.
mkfile() {
	head -c 8192 /dev/zero | tr '\0' A >"$d/f"
	chmod 666 "$d/f"
	cat "$d/f" >/dev/null
}

# sw_on: `splicewatch trace` running (start_sw), before any hold is made:
# holds made before it started are not known to it.
sw_on() { [ -n "$swpid" ] || start_sw trace; }

# hold CGROUP [ARGS...]: hold.py (as sw-id-holder) in CGROUP, holding page 0
# of $d/f; its pid in $holder. Starts splicewatch first.
hold() {
	local cg=$1
	shift
	sw_on || return
	sh -c 'echo 0 >"$1/cgroup.procs" && shift && exec "$@"' sh "$root$cg" \
		"$@" "$bin/sw-id-holder" "$bin/hold.py" "$d/f" >"$d/holder" 2>"$d/holder.err" &
	bg+=("$!")
	wait_for_line "$d/holder" || fail "holder did not start: $(cat "$d/holder.err")" || return
	holder=$(head -1 "$d/holder")
}

wait_for_line() { # FILE: until it has a line (10 s)
	local i
	for ((i = 0; i < 500; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# write_in CGROUP [ARGS...]: sw-id-dd (dd) writes byte 0 of $d/f from
# CGROUP (ARGS: a command prefix, e.g. setpriv); its pid in $writer.
write_in() {
	local cg=$1
	shift
	sh -c 'echo 0 >"$1/cgroup.procs" && echo $$ >"$2" && shift 2 && exec "$@"' sh "$root$cg" "$d/wpid" \
		"$@" "$bin/sw-id-dd" of="$d/f" if=/dev/zero bs=1 count=1 conv=notrunc status=none ||
		fail "writer in $cg failed" || return
	writer=$(cat "$d/wpid")
}

# write_linger CGROUP [ARGS...]: as write_in, by write.py (as sw-id-writer,
# or $WEXE), which stays after its write.
write_linger() {
	local cg=$1
	shift
	rm -f "$d/wdone"
	sh -c 'echo 0 >"$1/cgroup.procs" && shift && exec "$@"' sh "$root$cg" \
		"$@" "${WEXE:-$bin/sw-id-writer}" "$bin/write.py" "$d/f" >"$d/wdone" 2>"$d/wdone.err" &
	writer=$!
	bg+=("$writer")
	wait_for_line "$d/wdone" || fail "writer in $cg failed: $(cat "$d/wdone.err")"
}

# ev EXPR: true if the unsafe_write of pid $writer (e, a dict) makes the Python
# expression EXPR true; the event is in $why otherwise. Stops splicewatch
# first: its output is complete once it has exited.
ev() {
	local out
	stop_sw
	out=$("$PY" - "$d/ev" "$writer" "$1" 2>&1 <<'EOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
e = [x for x in evs if x.get("event") == "unsafe_write" and x["pid"] == int(sys.argv[2])]
if not e:
    print("no event of pid " + sys.argv[2]); sys.exit(1)
e = e[0]
if not eval(" ".join(sys.argv[3].split("\n"))):  # the expression may span lines
    print(json.dumps(e)); sys.exit(1)
EOF
	) && return 0
	fail "want $1: $out"
}

# rmcg DIR: rmdir, while its last task is still being released (EBUSY).
rmcg() {
	local i
	for ((i = 0; i < 100; i++)); do
		rmdir "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

cgid() { stat -c %i "$root$1"; }

hex64() { printf '%064x' "$1"; }

# ---- writer and holder -----------------------------------------------------------

test_writer_ppid_exe_cgroup() {
	local cg=/sw-identity.$$/plain.service
	mkfile
	mkcg "$cg" || return
	hold "$cg" || return
	sw_on || return
	write_linger "$cg" || return
	# write_linger's sh became the writer: its parent is this shell.
	ev "e['ppid'] == $$ and e['exe'] == '$bin/sw-id-writer' and e['cgroup'] == '$cg'
	    and e['cgroup_id'] == $(cgid "$cg") and 'container_runtime' not in e" || return
	ev "e['splicer_pid'] == $holder and e['splicer_exe'] == '$bin/sw-id-holder'
	    and e['splicer_cgroup'] == '$cg' and e['splicer_cgroup_id'] == $(cgid "$cg")"
}

# The holder's cgroup is the one it spliced from, not where it is now.
test_holder_cgroup_at_splice() {
	mkfile
	mkcg /sw-identity.$$/a.scope || return
	mkcg /sw-identity.$$/b.scope || return
	hold /sw-identity.$$/a.scope || return
	echo "$holder" >"$root/sw-identity.$$/b.scope/cgroup.procs"
	sw_on || return
	write_in /sw-identity.$$/b.scope || return
	ev "e['splicer_cgroup_id'] == $(cgid /sw-identity.$$/a.scope) and e['splicer_cgroup'] == '/sw-identity.$$/a.scope'"
}

test_loginuid() {
	local cg=/sw-identity.$$/login.scope w_set="" w_unset=""
	mkfile
	mkcg "$cg" || return
	hold "$cg" || return
	# Both writes first: ev stops splicewatch.
	if sh -c 'echo 4242 >/proc/self/loginuid' 2>/dev/null; then
		write_in "$cg" sh -c 'echo 4242 >/proc/self/loginuid && exec "$@"' sh || return
		w_set=$writer
	fi
	if [ "$(cat /proc/self/loginuid)" = 4294967295 ]; then
		write_in "$cg" || return
		w_unset=$writer
	fi
	[ -n "$w_set$w_unset" ] || { why="loginuid neither settable nor unset here"; return 77; }
	if [ -n "$w_set" ]; then
		writer=$w_set
		ev "e.get('loginuid') == 4242" || return
	fi
	[ -z "$w_unset" ] || { writer=$w_unset && ev "'loginuid' not in e"; }
}

# A cgroup removed and made again at the same path is a new cgroup (new id):
# each event has its own id, and the path of that id.
recreated() {
	local cg=/sw-identity.$$/again.scope id1 w1
	mkfile
	mkcg "$cg" || return
	hold /sw-identity.$$ || return
	sw_on || return
	write_in "$cg" || return
	w1=$writer
	id1=$(cgid "$cg")
	# Once splicewatch has told it (the path of a removed cgroup is not known).
	sleep 0.5
	rmcg "$root$cg" && mkdir "$root$cg" || fail "cannot make $cg again" || return
	[ "$(cgid "$cg")" != "$id1" ] || fail "the new $cg has the old id" || return
	write_in "$cg" || return
	ev "e['cgroup_id'] == $(cgid "$cg") and e['cgroup'] == '$cg'" || return
	writer=$w1
	ev "e['cgroup_id'] == $id1 and e['cgroup'] == '$cg'"
}
test_recreated_cgroup() { recreated; }
test_recreated_cgroup_by_scan() { SPLICEWATCH_TEST_CGROUP_SCAN=1 recreated; }

# A removed cgroup has no path: null, not another's.
test_removed_cgroup_null() {
	local cg=/sw-identity.$$/gone.scope
	mkfile
	mkcg "$cg" || return
	hold "$cg" || return
	echo "$holder" >"$root/sw-identity.$$/cgroup.procs"
	rmcg "$root$cg" || fail "cannot remove $cg" || return
	sw_on || return
	write_in /sw-identity.$$ || return
	ev "e['splicer_cgroup'] is None and e['splicer_cgroup_id'] > 0 and e['cgroup'] == '/sw-identity.$$'"
}

# ---- container layouts (cgroup paths, no runtime) ------------------------------------

# layout PATH RUNTIME ID [POD_UID]: a writer in cgroup PATH is told as a
# container of RUNTIME with ID (and POD_UID), every directory root's.
layout() {
	local cg=$1 rt=$2 id=$3 pod=${4:-}
	mkfile
	mkcg "$cg" || return
	mkcg /sw-identity.$$ || return
	hold /sw-identity.$$ || return
	sw_on || return
	write_in "$cg" || return
	if [ -n "$pod" ]; then
		ev "e.get('pod_uid') == '$pod'" || return
	else
		ev "'pod_uid' not in e" || return
	fi
	ev "e['cgroup'] == r'$cg' and e.get('container_runtime') == '$rt' and e.get('container_id') == '$id'
	    and 'container_claimed_by_uid' not in e and 'splicer_container_runtime' not in e"
}

ID=$(hex64 0xd0c4e5)
UID_=0f3c1b2a-5d6e-4f70-8a9b-0c1d2e3f4a5b
test_layout_docker_systemd() { layout /system.slice/docker-$ID.scope docker "$ID"; }
test_layout_docker_cgroupfs() { layout /docker/$ID docker "$ID"; }
test_layout_containerd_kubepods_burstable() {
	layout /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_//-/_}.slice/cri-containerd-$ID.scope \
		containerd "$ID" "$UID_"
}
test_layout_crio_kubepods_guaranteed() {
	layout /kubepods.slice/kubepods-pod${UID_//-/_}.slice/crio-$ID.scope cri-o "$ID" "$UID_"
}
test_layout_docker_kubepods_besteffort() {
	layout /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_//-/_}.slice/docker-$ID.scope \
		docker "$ID" "$UID_"
}
test_layout_kubepods_cgroupfs() { layout /kubepods/besteffort/pod$UID_/$ID cri "$ID" "$UID_"; }
test_layout_kubepods_cgroupfs_guaranteed() { layout /kubepods/pod$UID_/$ID cri "$ID" "$UID_"; }
test_layout_podman_systemd() { layout /machine.slice/libpod-$ID.scope podman "$ID"; }
test_layout_podman_container_child() { layout /machine.slice/libpod-$ID.scope/container podman "$ID"; }
test_layout_podman_cgroupfs() { layout /libpod_parent/libpod-$ID podman "$ID"; }
test_layout_nspawn_service() { layout '/machine.slice/systemd-nspawn@sw\x2did.service' systemd-nspawn sw-id; }
test_layout_nspawn_machine_scope() { layout '/machine.slice/machine-sw\x2did.scope' systemd-nspawn sw-id; }
test_layout_lxc() { layout /lxc.payload.swid lxc swid; }
# Not a container: conmon's scope, a short id.
test_layout_not_conmon() {
	mkfile
	mkcg /machine.slice/libpod-conmon-$ID.scope || return
	mkcg /system.slice/docker-abc.scope || return
	hold /machine.slice/libpod-conmon-$ID.scope || return
	sw_on || return
	write_in /system.slice/docker-abc.scope || return
	ev "'container_runtime' not in e and 'splicer_container_runtime' not in e"
}

# The holder in a container layout: the splicer_ keys.
test_layout_holder_podman() {
	mkfile
	mkcg /machine.slice/libpod-$ID.scope/container || return
	mkcg /sw-identity.$$ || return
	hold /machine.slice/libpod-$ID.scope/container || return
	sw_on || return
	write_in /sw-identity.$$ || return
	ev "e.get('splicer_container_runtime') == 'podman' and e.get('splicer_container_id') == '$ID'
	    and 'container_runtime' not in e"
}

# ---- uid 65534 -----------------------------------------------------------------------

NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups)

# deleg: a cgroup delegated to uid 65534 (as systemd does for user@UID.service).
deleg() {
	dg=/sw-identity.$$/user@65534.service
	mkcg "$dg" || return
	chown 65534 "$root$dg" "$root$dg/cgroup.procs" "$root$dg/cgroup.subtree_control" || fail "chown $dg" || return
}

# uid 65534 names a cgroup of its own docker-<id>.scope: the identity is told
# as its claim (container_claimed_by_uid), unlike a root-owned docker layout.
test_nobody_claim_is_marked() {
	mkfile
	deleg || return
	hold "$dg" || return
	sw_on || return
	write_in "$dg" "${NOBODY[@]}" sh -c 'mkdir "$0" && echo 0 >"$0/cgroup.procs" && exec "$@"' "$root$dg/docker-$ID.scope" || return
	cgroups+=("$root$dg/docker-$ID.scope")
	ev "e['uid'] == 65534 and e.get('container_runtime') == 'docker' and e.get('container_claimed_by_uid') == 65534
	    and e['cgroup'] == '$dg/docker-$ID.scope'"
}

# Cgroup names and exe paths with quotes, backslashes and control characters
# come out as JSON strings that decode to the very bytes.
test_nobody_names_escaped() {
	local name exe
	name=$(printf 'q"b\\\033t\t.scope')
	exe=$(printf '%s/sw-id\n"w\\\033' "$bin")
	mkfile
	deleg || return
	cp "$bin/sw-id-writer" "$exe"
	hold "$dg" || return
	sw_on || return
	WEXE=$exe write_linger "$dg" "${NOBODY[@]}" sh -c 'mkdir "$0" && echo 0 >"$0/cgroup.procs" && exec "$@"' "$root$dg/$name"
	cgroups+=("$root$dg/$name")
	[ -z "$why" ] || return 1
	printf '%s' "$dg/$name" >"$d/want_cg"
	printf '%s' "$exe" >"$d/want_exe"
	ev "e['cgroup'] == open('$d/want_cg').read() and e['exe'] == open('$d/want_exe').read()" || return
	# One line per event: nothing raw went out.
	[ "$(wc -l <"$d/ev")" = "$(grep -c '^{' "$d/ev")" ] || fail "an event spans lines"
}

# A splicer that exited and whose pid went to another process (of uid 65534,
# another exe): splicer_exe is null, never the newcomer's exe.
test_nobody_pid_reuse_no_stale_exe() {
	local old i j got=""
	mkfile
	mkcg /sw-identity.$$ || return
	sw_on || return
	# The splicer forks a keeper of the pipe and exits.
	"${NOBODY[@]}" "$bin/sw-id-holder" "$bin/hold.py" "$d/f" fork >"$d/keeper" 2>&1 &
	old=$!
	wait "$old"
	wait_for_line "$d/keeper" || fail "keeper did not start" || return
	bg+=("$(head -1 "$d/keeper")")
	sw_on || return
	# The frontend tells processes apart to the tick (10 ms, /proc's start
	# times): one started in the tick of the splice is not a later one.
	sleep 0.05
	# The pid of the exited splicer to a new process (the kernel's next pid
	# is ns_last_pid + 1): a few tries, other processes take pids too.
	for ((i = 0; i < 20; i++)); do
		echo $((old - 1)) >/proc/sys/kernel/ns_last_pid
		"${NOBODY[@]}" "$bin/sw-id-reuser" 60 &
		if [ $! = "$old" ]; then
			got=$!
			for ((j = 0; j < 100; j++)); do
				[ "$(readlink /proc/"$got"/exe)" = "$bin/sw-id-reuser" ] && break
				sleep 0.02
			done
			break
		fi
		kill $! 2>/dev/null
	done
	[ -n "$got" ] || { why="pid $old not reusable here (busy machine)"; return 77; }
	bg+=("$got")
	[ "$(readlink /proc/"$got"/exe)" = "$bin/sw-id-reuser" ] || fail "pid $old is not the reuser" || return
	write_in /sw-identity.$$ || return
	ev "e['splicer_pid'] == $old and e['splicer_exe'] is None"
}

# A flood of new cgroups (more than the cache's 512 slots) by uid 65534: every
# event still has its own cgroup's path.
test_nobody_cgroup_flood() {
	mkfile
	deleg || return
	hold "$dg" || return
	sw_on || return
	sh -c 'echo 0 >"$1/cgroup.procs" && exec setpriv --reuid 65534 --regid 65534 --clear-groups sh -c '\''
		for i in $(seq 1 600); do
			mkdir "$0/f$i" && (echo 0 >"$0/f$i/cgroup.procs" && exec "$1" of="$2" if=/dev/zero bs=1 count=1 conv=notrunc status=none)
		done'\'' "$1" "$2" "$3"' sh "$root$dg" "$bin/sw-id-dd" "$d/f" || fail "flood failed" || return
	for ((i = 1; i <= 600; i++)); do cgroups+=("$root$dg/f$i"); done
	stop_sw
	"$PY" - "$d/ev" "$dg" <<'EOF' || fail "$(cat "$d/flood")"
import json, os, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if '"unsafe_write"' in l]
mine = [e for e in evs if e["uid"] == 65534]
# Each writer ran in a cgroup of its own: 600 ids, each told with its path.
ids = {}
for e in mine:
    ids.setdefault(e["cgroup_id"], set()).add(e["cgroup"])
ok = {e["cgroup"] for e in mine if e["cgroup"] and e["cgroup"].startswith(sys.argv[2] + "/f")}
bad = [i for i, p in ids.items() if len(p) != 1 or None in p]
if len(ok) < 600 or bad:
    open(os.path.dirname(sys.argv[1]) + "/flood", "w").write("%d cgroups told, %d wrong" % (len(ok), len(bad)))
    sys.exit(1)
EOF
}

T writer_ppid_exe_cgroup test_writer_ppid_exe_cgroup
T holder_cgroup_at_splice test_holder_cgroup_at_splice
T loginuid test_loginuid
T recreated_cgroup test_recreated_cgroup
T recreated_cgroup_by_scan test_recreated_cgroup_by_scan
T removed_cgroup_null test_removed_cgroup_null
T layout_docker_systemd test_layout_docker_systemd
T layout_docker_cgroupfs test_layout_docker_cgroupfs
T layout_containerd_kubepods_burstable test_layout_containerd_kubepods_burstable
T layout_crio_kubepods_guaranteed test_layout_crio_kubepods_guaranteed
T layout_docker_kubepods_besteffort test_layout_docker_kubepods_besteffort
T layout_kubepods_cgroupfs test_layout_kubepods_cgroupfs
T layout_kubepods_cgroupfs_guaranteed test_layout_kubepods_cgroupfs_guaranteed
T layout_podman_systemd test_layout_podman_systemd
T layout_podman_container_child test_layout_podman_container_child
T layout_podman_cgroupfs test_layout_podman_cgroupfs
T layout_nspawn_service test_layout_nspawn_service
T layout_nspawn_machine_scope test_layout_nspawn_machine_scope
T layout_lxc test_layout_lxc
T layout_not_conmon test_layout_not_conmon
T layout_holder_podman test_layout_holder_podman
T nobody_claim_is_marked test_nobody_claim_is_marked
T nobody_names_escaped test_nobody_names_escaped
T nobody_pid_reuse_no_stale_exe test_nobody_pid_reuse_no_stale_exe
T nobody_cgroup_flood test_nobody_cgroup_flood
run_tests
