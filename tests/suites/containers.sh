#!/usr/bin/env bash
# REAL container runtime tests: writers and holders inside containers that
# Debian's podman starts (`podman run --rootfs`, a Debian root file system
# built once by tests/container-rootfs.sh, no image registry), under
# `splicewatch trace` and `enforce`. The events must name the container each
# side runs in: container_runtime "podman" and podman's own 64-hex id
# (`podman inspect`), and cgroup the path the kernel shows in
# /proc/PID/cgroup. (The other runtimes' cgroup layouts - docker,
# containerd/cri-o under kubepods, systemd-nspawn - are tested elsewhere by
# making those cgroup paths and moving a writer into them: those are layouts,
# these are a real runtime.) Prints TAP; exits 1 if a test failed.
#
# Why runc and not crun: Debian 12's crun (1.8) refuses a cgroup v1/v2 hybrid
# host whose cgroup v2 has a controller ("cgroups in hybrid mode not
# supported"); runc runs on hybrid and pure v2 alike. Without systemd as
# PID 1 podman's cgroup manager is cgroupfs, and the container's cgroup is
# /libpod_parent/libpod-<id> (/machine.slice/libpod-<id>.scope under
# systemd): the test takes whatever the kernel says.
#
# Nothing skips: podman missing is a failure (scripts/deps.sh installs it).
# Every container carries the label splicewatch-test=<our pid> and is removed
# after its test and again at exit, pass or fail.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
# shellcheck disable=SC2154 # $d (suite-lib) and ${NAME}_id/_pid/_cg/_cgid (ctr's printf -v)
# shellcheck disable=SC2034 # swpid: suite-lib's
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
SW=./splicewatch
WL=tests/build/enforce_workload
suite_setup containers "$WL"
SW=$(realpath "$SW")
WL=$(realpath "$WL")
LABEL=splicewatch-test=$$
rootfs=""
swpid=""	# start_sw's, read by stop_sw (set -u)

# Our containers, gone: -t 0 kills at once (a writer still waiting on its go
# file has nothing to finish).
remove_containers() {
	command -v podman >/dev/null || return 0
	podman ps -aq --filter "label=$LABEL" | xargs -r podman rm -f -t 0 >/dev/null 2>&1
}
suite_on_exit() { remove_containers; }
after_each() {
	stop_sw
	remove_containers
}

# ctr NAME ARGS...: `podman run -d` of ARGS (a command in the root file
# system) as container NAME (ours: sw$$-NAME); $d is /data in it, the
# enforce workload /sw/wl. Sets ${NAME}_id (podman's id, 64 hex),
# ${NAME}_pid (its first process, as the host sees it) and ${NAME}_cg (that
# process's cgroup v2 path, the "0::" line of /proc/PID/cgroup) and
# ${NAME}_cgid (that cgroup's id, its directory's inode: read now, as runc
# removes the directory when the container ends).
# The limits: podman as root asks for nofile 1048576 and nproc 32768, more than
# a build host with lower hard limits lets even root set (no
# CAP_SYS_RESOURCE: runc fails with "error setting rlimit"): small ones that
# any host allows (lowering is), plenty for a process or two.
ctr() {
	local name=$1 id pid cg cgid
	shift
	[ -n "$rootfs" ] || fail "no root file system (the rootfs test failed)" || return
	id=$(podman run -d --name "sw$$-$name" --label "$LABEL" --runtime runc --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		-v "$d:/data" -v "$WL:/sw/wl:ro" --rootfs "$rootfs:O" "$@" 2>"$d/$name.podman") ||
		fail "podman run $name: $(tail -2 "$d/$name.podman")" || return
	pid=$(podman inspect --format '{{.State.Pid}}' "$id") ||
		fail "podman inspect $name failed" || return
	[ "${pid:-0}" -gt 0 ] || fail "container $name has no process (exited already?): $(podman logs "$id" 2>&1 | tail -2)" || return
	cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	[ -n "$cg" ] || fail "no cgroup v2 line in /proc/$pid/cgroup" || return
	cgid=$(stat -c %i "$cg2$cg") || fail "no cgroup directory $cg2$cg" || return
	printf -v "${name}_id" %s "$id"
	printf -v "${name}_pid" %s "$pid"
	printf -v "${name}_cg" %s "$cg"
	printf -v "${name}_cgid" %s "$cgid"
}

# exit_code NAME: the container's exit status, once it has ended (podman wait).
exit_code() { podman wait "sw$$-$1" 2>/dev/null; }

# The scene: $d/f two pages of 'A'; $d/w the 8 bytes a writer writes.
files() {
	head -c 8192 /dev/zero | tr '\0' A >"$d/f"
	printf WWWWWWWW >"$d/w"
}
# In a container, the writer is Debian's dd from the root file system, exec'd
# by sh (so it is the container's first process, the pid podman reports)
# once /data/go exists: its write(2) of "WWWWWWWW" at offset 0 of /data/f.
WRITER=(sh -c 'until [ -e /data/go ]; do sleep 0.05; done; exec dd if=/data/w of=/data/f bs=8 count=1 conv=notrunc status=none')
# In a container, the holder: splices /data/f's first page into a pipe,
# creates /data/held, and once /data/done exists puts what the pipe delivers
# in /data/pipe.
HOLDER=(/sw/wl hold /data/f /data/held /data/done /data/pipe)

# host_hold: the same holder on the host (its pid in $hpid).
host_hold() {
	"$WL" hold "$d/f" "$d/held" "$d/done" "$d/pipe" 2>"$d/hold.err" &
	hpid=$!
	bg+=("$hpid")
	wait_for "$d/held" || fail "host holder never held: $(cat "$d/hold.err")"
}
# held_wait HOLDER: $d/held exists (the container HOLDER spliced).
held_wait() {
	wait_for "$d/held" 30 || fail "holder container never held: $(podman logs "sw$$-$1" 2>&1 | tail -2)"
}
# release: the holder reads its pipe into $d/pipe and ends.
release() {
	touch "$d/done"
	wait_for "$d/pipe" 30 || fail "the holder wrote no $d/pipe"
}
bytes() { head -c 8 "$1"; }

# ev EXPR: a Python expression over the unsafe_write events on $d/f (list
# `e`), read after splicewatch stopped.
ev() {
	"$PY" - "$d/ev" "$(stat -c %i "$d/f")" "$1" <<-'EOF'
	import json, sys
	e = []
	for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
	    line = line.strip("\0\n ")
	    if not line:
	        continue
	    o = json.loads(line)
	    if o.get("event") == "unsafe_write" and str(o.get("ino")) == sys.argv[2]:
	        e.append(o)
	print(eval(sys.argv[3]))
	EOF
}
evt() { [ "$(ev "$1" 2>&1)" = True ]; }
evshow() { ev '[{k: x.get(k) for k in ("pid", "action", "cgroup_id", "cgroup", "container_runtime", "container_id", "splicer_pid", "splicer_cgroup_id", "splicer_cgroup", "splicer_container_runtime", "splicer_container_id")} for x in e]'; }

# is_podman_cgroup NAME: the harness itself, before any claim on splicewatch:
# podman put container NAME's process in a cgroup whose path names its id.
is_podman_cgroup() {
	local id=${1}_id cg=${1}_cg
	case ${!cg} in
	*libpod-"${!id}"*) ;;
	*) fail "container $1's cgroup ${!cg} does not name its id ${!id}" ;;
	esac
}

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

# ---- tests -----------------------------------------------------------------------

# The root file system (built once, cached) and podman able to run a
# container in it: the process in it is in a cgroup of its own, named for
# podman's id.
test_podman_runs_a_debian_rootfs() {
	command -v podman >/dev/null || fail "podman not found: scripts/deps.sh installs it" || return
	command -v runc >/dev/null || fail "runc not found: scripts/deps.sh installs it" || return
	[ -n "$cg2" ] || fail "no cgroup2 file system mounted" || return
	rootfs=$(bash tests/container-rootfs.sh 2>"$d/rootfs.err") ||
		{ rootfs=""; fail "tests/container-rootfs.sh: $(tail -3 "$d/rootfs.err")"; return 1; }
	files
	ctr w sh -c 'sleep 30' || return
	[ ${#w_id} = 64 ] && [ -z "${w_id//[0-9a-f]/}" ] || fail "podman id '$w_id' is not 64 hex digits" || return
	is_podman_cgroup w || return
	[ -d "$cg2$w_cg" ] || fail "no cgroup directory $cg2$w_cg"
}

# (a) A REAL podman container writes into bytes a pipe on the host holds.
test_writer_in_podman_container_is_named() {
	files
	ctr w "${WRITER[@]}" || return
	start_sw trace || return
	host_hold || return
	touch "$d/go"
	[ "$(exit_code w)" = 0 ] || fail "writer container exited $(exit_code w): $(podman logs "sw$$-w" 2>&1 | tail -2)" || return
	release || return
	stop_sw
	[ "$(bytes "$d/pipe")" = WWWWWWWW ] || fail "pipe delivered $(bytes "$d/pipe"): the write did not land" || return
	evt 'len([x for x in e if x["pid"] == '"$w_pid"']) == 1' || fail "want one event from the container's pid $w_pid: $(evshow)" || return
	evt '[x for x in e if x["pid"] == '"$w_pid"'][0]["cgroup_id"] == '"$w_cgid" ||
		fail "cgroup_id is not the container's cgroup $w_cg: $(evshow)" || return
	evt '[x for x in e if x["pid"] == '"$w_pid"'][0].get("cgroup") == "'"$w_cg"'"' ||
		fail "cgroup: want $w_cg: $(evshow)" || return
	evt '[x for x in e if x["pid"] == '"$w_pid"'][0].get("container_runtime") == "podman"' ||
		fail "container_runtime: want podman: $(evshow)" || return
	evt '[x for x in e if x["pid"] == '"$w_pid"'][0].get("container_id") == "'"$w_id"'"' ||
		fail "container_id: want $w_id: $(evshow)"
}

# (b) The holder in a REAL podman container, the writer on the host.
test_holder_in_podman_container_is_named() {
	files
	start_sw trace || return
	ctr h "${HOLDER[@]}" || return
	held_wait h || return
	dd if="$d/w" of="$d/f" bs=8 count=1 conv=notrunc status=none || fail "host dd failed" || return
	release || return
	[ "$(exit_code h)" = 0 ] || fail "holder container exited $(exit_code h)" || return
	stop_sw
	[ "$(bytes "$d/pipe")" = WWWWWWWW ] || fail "pipe delivered $(bytes "$d/pipe"): the write did not land" || return
	evt 'len(e) == 1 and e[0]["splicer_pid"] == '"$h_pid" || fail "want one event, held by the container's pid $h_pid: $(evshow)" || return
	evt 'e[0].get("container_runtime") is None and e[0].get("container_id") is None' ||
		fail "the host writer is named as a container: $(evshow)" || return
	evt 'e[0].get("splicer_cgroup_id") == '"$h_cgid" ||
		fail "splicer_cgroup_id is not the container's cgroup $h_cg: $(evshow)" || return
	evt 'e[0].get("splicer_cgroup") == "'"$h_cg"'"' || fail "splicer_cgroup: want $h_cg: $(evshow)" || return
	evt 'e[0].get("splicer_container_runtime") == "podman"' ||
		fail "splicer_container_runtime: want podman: $(evshow)" || return
	evt 'e[0].get("splicer_container_id") == "'"$h_id"'"' ||
		fail "splicer_container_id: want $h_id: $(evshow)"
}

# (c) Writer and holder in two REAL podman containers: each named as its own.
test_two_podman_containers_each_named() {
	files
	start_sw trace || return
	ctr h "${HOLDER[@]}" || return
	held_wait h || return
	ctr w "${WRITER[@]}" || return
	[ "$h_id" != "$w_id" ] || fail "two containers, one id $h_id" || return
	touch "$d/go"
	[ "$(exit_code w)" = 0 ] || fail "writer container exited $(exit_code w)" || return
	release || return
	stop_sw
	[ "$(bytes "$d/pipe")" = WWWWWWWW ] || fail "pipe delivered $(bytes "$d/pipe"): the write did not land" || return
	evt 'len(e) == 1 and e[0]["pid"] == '"$w_pid"' and e[0]["splicer_pid"] == '"$h_pid" ||
		fail "want one event, writer pid $w_pid, holder pid $h_pid: $(evshow)" || return
	evt 'e[0]["cgroup_id"] == '"$w_cgid" || fail "cgroup_id is not the writer container's cgroup $w_cg: $(evshow)" || return
	evt 'e[0].get("container_runtime") == "podman" and e[0].get("container_id") == "'"$w_id"'" and e[0].get("cgroup") == "'"$w_cg"'"' ||
		fail "writer: want podman $w_id in $w_cg: $(evshow)" || return
	evt 'e[0].get("splicer_container_runtime") == "podman" and e[0].get("splicer_container_id") == "'"$h_id"'" and e[0].get("splicer_cgroup") == "'"$h_cg"'"' ||
		fail "holder: want podman $h_id in $h_cg: $(evshow)"
}

# (d) enforce kills the writer in a REAL podman container at its write: the
# container's process dies of SIGKILL (podman: exit 137), the file and what
# the pipe delivers keep the original bytes, and the kill names the container.
test_enforce_kills_writer_in_podman_container() {
	files
	ctr w "${WRITER[@]}" || return
	start_sw enforce || return
	host_hold || return
	touch "$d/go"
	[ "$(exit_code w)" = 137 ] || fail "writer container exited $(exit_code w), want 137 (SIGKILL)" || return
	release || return
	stop_sw
	[ "$(bytes "$d/f")" = AAAAAAAA ] || fail "file has $(bytes "$d/f"): the write landed" || return
	[ "$(bytes "$d/pipe")" = AAAAAAAA ] || fail "pipe delivered $(bytes "$d/pipe"), want the original" || return
	evt 'len(e) == 1 and e[0]["pid"] == '"$w_pid"' and e[0]["action"] == "killed"' ||
		fail "want one 'killed' of the container's pid $w_pid: $(evshow)" || return
	evt 'e[0]["cgroup_id"] == '"$w_cgid" || fail "cgroup_id is not the container's cgroup $w_cg: $(evshow)" || return
	evt 'e[0].get("container_runtime") == "podman" and e[0].get("container_id") == "'"$w_id"'"' ||
		fail "the kill does not name container $w_id: $(evshow)"
}

T podman_runs_a_debian_rootfs test_podman_runs_a_debian_rootfs
T writer_in_podman_container_is_named test_writer_in_podman_container_is_named
T holder_in_podman_container_is_named test_holder_in_podman_container_is_named
T two_podman_containers_each_named test_two_podman_containers_each_named
T enforce_kills_writer_in_podman_container test_enforce_kills_writer_in_podman_container
run_tests
