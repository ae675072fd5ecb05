#!/usr/bin/env bash
# libbpf linked statically (issue 19; Makefile LIBBPF_STATIC, default 1): the
# binary names no libbpf among the libraries it needs, and runs - `features`,
# and a `trace` that reports one unsafe write - in a mount namespace where
# every libbpf.so* on the machine is an empty file (so a libbpf older than
# the one it was built with, or none at all, is no obstacle).
# Prints TAP; exits 1 if a test failed, 2 if it cannot run.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
ROOT=$PWD
SW=$ROOT/splicewatch
WL=$ROOT/tests/build/reliability_workload
BG_SIGNAL=KILL
suite_setup linking tests/build/reliability_workload

# without_libbpf CMD...: CMD in a new mount namespace where an empty file is
# bind-mounted over every libbpf.so* file of the machine (found by name under
# the library directories and in the ld.so cache). Written as a script to
# $tmp/without-libbpf so it can be run in the background.
cat >"$tmp/without-libbpf" <<'EOF'
#!/bin/sh
# $0 CMD...: CMD with every libbpf.so* hidden (run inside unshare -m).
set -e
: >"${0%/*}/empty"
for f in $( { find /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib -name 'libbpf.so*' 2>/dev/null
	ldconfig -p | sed -n 's/^[[:space:]]*libbpf\.so.* => //p'; } | sort -u); do
	mount --bind "${0%/*}/empty" "$(readlink -f "$f")"
done
exec "$@"
EOF
chmod 755 "$tmp/without-libbpf"
HIDE=(unshare -m --propagation private "$tmp/without-libbpf")

# The ELF's own list (readelf -d NEEDED) and what the loader resolves (ldd).
test_needed() {
	local needed
	needed=$(readelf -d "$SW" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
	[ -n "$needed" ] || fail "readelf -d lists no NEEDED entry" || return
	case $needed in *libbpf*) fail "NEEDED: $needed" || return ;; esac
	ldd "$SW" >"$d/ldd" 2>&1 || fail "ldd: $(cat "$d/ldd")" || return
	! grep -q libbpf "$d/ldd" || fail "ldd: $(grep libbpf "$d/ldd")" || return
	# Only what the Makefile's link line names (libbpf's own libelf and zlib,
	# libyaml) and libc.
	for lib in $needed; do
		case $lib in
		libc.so.6 | libelf.so.1 | libz.so.1 | libyaml-0.so.2) ;;
		*) fail "unexpected NEEDED $lib (all: $needed)" || return ;;
		esac
	done
}

# The hiding is real (a control: libbpf.so.1 no longer loads in there) and
# features runs in it and names the backend.
test_features_without_libbpf() {
	"$PY" -c 'import ctypes; ctypes.CDLL("libbpf.so.1")' 2>"$d/ctl0" ||
		fail "control: libbpf.so.1 does not load even outside: $(tail -1 "$d/ctl0")" || return
	if "${HIDE[@]}" "$PY" -c 'import ctypes; ctypes.CDLL("libbpf.so.1")' 2>"$d/ctl"; then
		fail "control: libbpf.so.1 still loads with the files hidden"
		return
	fi
	grep -q 'libbpf.so.1' "$d/ctl" || fail "control: $(tail -1 "$d/ctl")" || return
	"${HIDE[@]}" "$SW" features >"$d/out" 2>"$d/err"
	local rc=$?
	[ "$rc" = 0 ] || fail "features exit $rc: $(head -3 "$d/err")" || return
	grep -qi 'backend' "$d/out" || fail "features printed no backend: $(head -3 "$d/out")"
}

# trace, libbpf hidden, reports exactly the one unsafe write made.
test_trace_without_libbpf() {
	printf '#!/bin/sh\nexec %s "$@"\n' "${HIDE[*]} $SW" >"$d/sw"
	chmod 755 "$d/sw"
	SWBIN=$d/sw spawn_sw trace trace --json || return
	"$WL" unsafe "$d/data" 1 >/dev/null 2>"$d/wl.err" || fail "workload: $(cat "$d/wl.err")" || return
	sleep 0.5
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "trace exit $src: $(tail -2 "$d/trace.err")" || return
	[ "$(grep -c "\"path\":\"$d/data\"" "$d/trace.out")" = 1 ] ||
		fail "events for $d/data: $(grep -c "\"path\":\"$d/data\"" "$d/trace.out") (want 1)"
}

T static_libbpf_not_needed test_needed
T features_runs_without_libbpf_so test_features_without_libbpf
T trace_reports_write_without_libbpf_so test_trace_without_libbpf
run_tests
