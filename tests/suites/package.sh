#!/usr/bin/env bash
# The Debian package (issue 19; docs/operations.md, "Install from the
# package"): `make deb` (scripts/make-deb.sh) builds it with debhelper,
# lintian finds no error or warning, it holds exactly the expected files,
# installs on this machine with dpkg, the installed binary runs (features,
# enforce with the installed policy), an upgrade keeps a conffile the admin
# changed, and a purge leaves no file under /usr, /etc, /var/lib/dpkg/info or
# /var/lib/systemd that was not there before. The arm64 package (issue 24)
# cross-builds lintian clean with the same files, and its binary runs in an
# arm64 guest. The machine is left as found:
# the package is purged at exit whatever happened.
# Prints TAP; exits 1 if a test failed, 2 if it cannot run.
# shellcheck disable=SC2317 # the test functions run through T and run_tests
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/suite-lib.sh
suite_start=$SECONDS
suite_setup package tests/build/reliability_workload
chmod 755 "$tmp"
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null || { echo "package.sh needs $tool (bash scripts/deps.sh)" >&2; exit 2; }
done
# Never touch an installation this suite did not make.
if dpkg-query -W -f '${db:Status-Status}' splicewatch 2>/dev/null | grep -qv not-installed; then
	echo "package.sh: a splicewatch package is already installed here (dpkg -l splicewatch): purge it first" >&2
	exit 2
fi
installed_by_us=0
suite_on_exit() {
	[ "$installed_by_us" = 0 ] || dpkg --purge splicewatch >/dev/null 2>&1
	echo "# package suite: $((SECONDS - suite_start)) s"
}

DEBDIR=$tmp/deb
deb=""
CONF=/etc/splicewatch/splicewatch.yaml

# Every file and directory where a package puts or leaves things.
snapshot() {
	find /usr /etc /var/lib/dpkg/info /var/lib/systemd 2>/dev/null | LC_ALL=C sort
}
snapshot >"$tmp/before"

# make deb's script, into $DEBDIR; the .deb's path is its last line.
test_build() {
	scripts/make-deb.sh "$DEBDIR" >"$d/out" 2>"$d/err" || fail "make-deb.sh: $(tail -3 "$d/err")" || return
	deb=$(tail -1 "$d/out")
	[ -f "$deb" ] || fail "no .deb: $(tail -1 "$d/out")" || return
	[ "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" = "splicewatch $(sed -n 's/^VERSION *:= *//p' Makefile)" ] ||
		fail "package $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
}

# lintian over the .changes (the .deb, its -dbgsym, the .buildinfo), as an
# unprivileged user, every tag shown (--pedantic --display-info): no error,
# no warning. Info and pedantic tags are printed as comments.
lintian_clean() { # DEB: its .changes
	setpriv --reuid 65534 --regid 65534 --clear-groups env HOME="$d" \
		lintian --pedantic --display-info --fail-on error,warning "${1%.deb}.changes" >"$d/out" 2>"$d/err"
	local rc=$?
	sed 's/^/# lintian: /' "$d/out"
	grep -q '^[EW]: ' "$d/out" && { fail "$(grep -m3 '^[EW]: ' "$d/out" | tr '\n' ' ')"; return; }
	[ "$rc" = 0 ] || fail "lintian exit $rc: $(tail -2 "$d/err")" || return
	# lintian read the package at all: it names it in what it checked
	grep -q . "$d/err" && sed 's/^/# lintian stderr: /' "$d/err"
	return 0
}
test_lintian() {
	[ -n "$deb" ] || fail "no package built" || return
	lintian_clean "$deb"
}

# The files, their modes, the conffile, the relations, the unit and the
# completion as built.
test_contents() {
	[ -n "$deb" ] || fail "no package built" || return
	dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $1, $2, $6 }' | LC_ALL=C sort >"$d/files"
	LC_ALL=C sort >"$d/want" <<-'EOF'
	-rw-r--r-- root/root /etc/splicewatch/splicewatch.yaml
	-rw-r--r-- root/root /lib/systemd/system/splicewatch.service
	-rwxr-xr-x root/root /usr/sbin/splicewatch
	-rw-r--r-- root/root /usr/share/bash-completion/completions/splicewatch
	-rw-r--r-- root/root /usr/share/doc/splicewatch/changelog.gz
	-rw-r--r-- root/root /usr/share/doc/splicewatch/copyright
	-rw-r--r-- root/root /usr/share/man/man8/splicewatch.8.gz
	EOF
	diff -u "$d/want" "$d/files" >"$d/diff" || fail "files: $(grep '^[-+][^-+]' "$d/diff" | tr '\n' ' ')" || return
	mkdir "$d/x" "$d/ctl"
	dpkg-deb -x "$deb" "$d/x" && dpkg-deb -e "$deb" "$d/ctl" || fail "dpkg-deb -x/-e" || return
	[ "$(cat "$d/ctl/conffiles")" = "$CONF" ] || fail "conffiles: $(tr '\n' ' ' <"$d/ctl/conffiles")" || return
	cmp -s "$d/x$CONF" dist/splicewatch.yaml || fail "$CONF is not dist/splicewatch.yaml" || return
	local dep rec bu
	dep=$(dpkg-deb -f "$deb" Depends) rec=$(dpkg-deb -f "$deb" Recommends) bu=$(dpkg-deb -f "$deb" Built-Using)
	case $dep in *libbpf*) fail "Depends names libbpf: $dep" || return ;; esac
	for p in libc6 libelf1 zlib1g libyaml-0-2; do
		[[ $dep == *"$p"* ]] || fail "Depends lacks $p: $dep" || return
	done
	[[ $rec == *libmicrohttpd12* && $rec == *libsystemd0* ]] || fail "Recommends: $rec" || return
	[[ $bu == "libbpf (= "* ]] || fail "Built-Using: $bu" || return
	grep -qx 'ExecStart=/usr/sbin/splicewatch enforce --policy /etc/splicewatch/splicewatch.yaml' "$d/x/lib/systemd/system/splicewatch.service" ||
		fail "unit: $(grep Exec "$d/x/lib/systemd/system/splicewatch.service")" || return
	# The completion works: `splicewatch enforce --pol<TAB>`, `--action <TAB>`.
	# shellcheck disable=SC2016
	bash -c '. "$1"
		COMP_WORDS=(splicewatch enforce --pol); COMP_CWORD=2; _splicewatch; echo "${COMPREPLY[*]}"
		COMP_WORDS=(splicewatch enforce --action ""); COMP_CWORD=3; _splicewatch; echo "${COMPREPLY[*]}"
		COMP_WORDS=(splicewatch st); COMP_CWORD=1; _splicewatch; echo "${COMPREPLY[*]}"' _ \
		"$d/x/usr/share/bash-completion/completions/splicewatch" >"$d/compl" 2>&1
	[ "$(tr '\n' '|' <"$d/compl")" = "--policy|kill deny|stats|" ] || fail "completion: $(tr '\n' '|' <"$d/compl")"
}

# make install puts what the package holds (but its doc files) under DESTDIR
# and PREFIX: the same files with the package's PREFIX and UNITDIR; with
# another PREFIX the unit starts that binary; a config already there is
# kept.
test_make_install() {
	[ -f "$d/../deb_contents_conffile_relations_completion/files" ] || fail "no package contents listed" || return
	make -s install DESTDIR="$d/pkgroot" PREFIX=/usr UNITDIR=/lib/systemd/system >"$d/out" 2>&1 ||
		fail "make install: $(tail -2 "$d/out")" || return
	(cd "$d/pkgroot" && find . ! -type d -printf '%M %u/%g %P\n' | sed 's|^\([^ ]* [^ ]*\) |\1 /|') | LC_ALL=C sort >"$d/files"
	grep -v ' /usr/share/doc/' "$d/../deb_contents_conffile_relations_completion/files" |
		sed 's|\(/usr/share/man/man8/splicewatch.8\).gz$|\1|' >"$d/want"
	diff -u "$d/want" "$d/files" >"$d/diff" || fail "make install vs the package: $(grep '^[-+][^-+]' "$d/diff" | tr '\n' ' ')" || return
	make -s install DESTDIR="$d/opt" PREFIX=/opt/sw >"$d/out" 2>&1 || fail "make install PREFIX=/opt/sw: $(tail -2 "$d/out")" || return
	[ -x "$d/opt/opt/sw/sbin/splicewatch" ] && [ -f "$d/opt/opt/sw/share/bash-completion/completions/splicewatch" ] &&
		[ -f "$d/opt/opt/sw/share/man/man8/splicewatch.8" ] && [ -f "$d/opt$CONF" ] ||
		fail "PREFIX=/opt/sw: $(cd "$d/opt" && find . -type f | tr '\n' ' ')" || return
	grep -qx 'ExecStart=/opt/sw/sbin/splicewatch enforce --policy /etc/splicewatch/splicewatch.yaml' "$d/opt/opt/sw/lib/systemd/system/splicewatch.service" ||
		fail "unit under /opt/sw: $(grep ExecStart "$d/opt/opt/sw/lib/systemd/system/splicewatch.service")" || return
	echo "# mine" >>"$d/opt$CONF"
	make -s install DESTDIR="$d/opt" PREFIX=/opt/sw >"$d/out" 2>&1 || fail "make install again: $(tail -2 "$d/out")" || return
	[ "$(tail -1 "$d/opt$CONF")" = "# mine" ] || fail "a second make install replaced the config"
}

# dpkg -i on this machine: installed, the files where they belong.
test_install() {
	[ -n "$deb" ] || fail "no package built" || return
	installed_by_us=1
	dpkg -i "$deb" >"$d/out" 2>&1 || fail "dpkg -i: $(tail -3 "$d/out")" || return
	[ "$(dpkg-query -W -f '${db:Status-Abbrev}${Version}' splicewatch)" = "ii 0.1.0" ] ||
		fail "status: $(dpkg-query -W -f '${db:Status-Abbrev}${Version}' splicewatch)" || return
	for f in /usr/sbin/splicewatch $CONF /lib/systemd/system/splicewatch.service \
		/usr/share/man/man8/splicewatch.8.gz /usr/share/bash-completion/completions/splicewatch; do
		[ -f "$f" ] || fail "$f missing" || return
	done
	# Installed, not enabled (--no-enable): no symlink in multi-user.target.wants.
	[ ! -e /etc/systemd/system/multi-user.target.wants/splicewatch.service ] || fail "the unit was enabled"
}

# The installed binary: its version, features, and enforce accepting the
# installed policy, as shipped and with every setting uncommented (what the
# comments say are the defaults are values it takes).
test_installed_runs() {
	local rc
	[ -x /usr/sbin/splicewatch ] || fail "not installed" || return
	[ "$(/usr/sbin/splicewatch --version)" = "splicewatch 0.1.0" ] || fail "version: $(/usr/sbin/splicewatch --version)" || return
	/usr/sbin/splicewatch features >"$d/f.out" 2>"$d/f.err"
	rc=$?
	[ "$rc" = 0 ] && grep -qi backend "$d/f.out" || fail "features exit $rc: $(head -2 "$d/f.err")" || return
	SWBIN=/usr/sbin/splicewatch spawn_sw shipped enforce --dry-run --policy "$CONF" || return
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "enforce --policy $CONF: exit $src: $(tail -1 "$d/shipped.err")" || return
	sed -E 's/^# ?(allow:|protect:|aggregate:)/\1/; s/^#( +[a-z]+:)/\1/' "$CONF" >"$d/all.yaml"
	[ "$(grep -cE '^ *[a-z_]+:' "$d/all.yaml")" -ge 9 ] || fail "uncommenting found too few settings: $(grep -cE '^ *[a-z_]+:' "$d/all.yaml")" || return
	# the example paths and cgroups must exist for enforce to resolve them
	sed -i -E '/^ +(cgroups|paths):/d' "$d/all.yaml"
	SWBIN=/usr/sbin/splicewatch spawn_sw all enforce --dry-run --policy "$d/all.yaml" || return
	end_sw "$swpid"
	[ "$src" = 0 ] || fail "enforce with every setting uncommented: exit $src: $(tail -1 "$d/all.err")"
}

# A repacked copy of the package, version 0.1.0+1, whose conffile changed
# too: upgrading over an admin's edit keeps the edit (new version beside it,
# .dpkg-dist); the package is the new version.
test_upgrade() {
	[ -f "$CONF" ] || fail "not installed" || return
	echo "# an admin's edit" >>"$CONF"
	dpkg-deb -R "$deb" "$d/pkg" || fail "dpkg-deb -R" || return
	sed -i 's/^Version: .*/Version: 0.1.0+1/' "$d/pkg/DEBIAN/control"
	echo "# changed in 0.1.0+1" >>"$d/pkg$CONF"
	dpkg-deb --root-owner-group -b "$d/pkg" "$d/new.deb" >/dev/null || fail "dpkg-deb -b" || return
	dpkg -i --force-confdef --force-confold "$d/new.deb" >"$d/out" 2>&1 </dev/null || fail "dpkg -i (upgrade): $(tail -3 "$d/out")" || return
	[ "$(dpkg-query -W -f '${db:Status-Abbrev}${Version}' splicewatch)" = "ii 0.1.0+1" ] ||
		fail "status: $(dpkg-query -W -f '${db:Status-Abbrev}${Version}' splicewatch)" || return
	[ "$(tail -1 "$CONF")" = "# an admin's edit" ] || fail "the edited conffile was replaced: $(tail -1 "$CONF")" || return
	[ "$(tail -1 "$CONF.dpkg-dist" 2>/dev/null)" = "# changed in 0.1.0+1" ] || fail "no $CONF.dpkg-dist with the new version" || return
	[ -x /usr/sbin/splicewatch ] || fail "binary gone after the upgrade"
}

# dpkg --purge: no package left, and the same files as before the suite.
test_purge() {
	[ "$installed_by_us" = 1 ] || fail "never installed" || return
	dpkg --purge splicewatch >"$d/out" 2>&1 || fail "dpkg --purge: $(tail -3 "$d/out")" || return
	installed_by_us=0
	if dpkg -l splicewatch >"$d/l" 2>&1; then
		fail "dpkg -l still lists it: $(tail -1 "$d/l")"
		return
	fi
	snapshot >"$d/after"
	diff "$tmp/before" "$d/after" >"$d/diff" || fail "left or removed: $(grep '^[<>]' "$d/diff" | head -5 | tr '\n' ' ')"
}

# The arm64 package (`make deb ARCH=arm64`, cross-built): lintian clean, the
# same files and modes as the amd64 one, an aarch64 binary with no library
# built in (libz linked shared, as on amd64), the same relations.
arm64_deb=""
test_arm64_build() {
	scripts/make-deb.sh --arch arm64 "$DEBDIR/arm64" >"$d/out" 2>"$d/err" || fail "make-deb.sh --arch arm64: $(tail -3 "$d/err")" || return
	arm64_deb=$(tail -1 "$d/out")
	[ "$(dpkg-deb -f "$arm64_deb" Architecture)" = arm64 ] || fail "Architecture: $(dpkg-deb -f "$arm64_deb" Architecture)" || return
	lintian_clean "$arm64_deb" || return
	dpkg-deb -c "$arm64_deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $1, $2, $6 }' | LC_ALL=C sort >"$d/files"
	diff -u "$d/../deb_contents_conffile_relations_completion/files" "$d/files" >"$d/diff" ||
		fail "files unlike the amd64 package's: $(grep '^[-+][^-+]' "$d/diff" | tr '\n' ' ')" || return
	mkdir "$d/x" && dpkg-deb -x "$arm64_deb" "$d/x" || fail "dpkg-deb -x" || return
	LC_ALL=C readelf -h "$d/x/usr/sbin/splicewatch" | grep -q 'Machine: *AArch64' ||
		fail "not an aarch64 binary: $(file -b "$d/x/usr/sbin/splicewatch")" || return
	LC_ALL=C readelf -d "$d/x/usr/sbin/splicewatch" | grep -q 'NEEDED.*\[libz\.so\.1\]' ||
		fail "libz not linked shared: $(readelf -d "$d/x/usr/sbin/splicewatch" | grep NEEDED | tr -s ' ' | tr '\n' ' ')" || return
	local dep
	dep=$(dpkg-deb -f "$arm64_deb" Depends)
	case $dep in *libbpf*) fail "Depends names libbpf: $dep" || return ;; esac
	for p in libc6 libelf1 zlib1g libyaml-0-2; do
		[[ $dep == *"$p"* ]] || fail "Depends lacks $p: $dep" || return
	done
	[ "$(dpkg-deb -f "$arm64_deb" Recommends)" = "$(dpkg-deb -f "$deb" Recommends)" ] ||
		fail "Recommends: $(dpkg-deb -f "$arm64_deb" Recommends)"
}

# The packaged arm64 binary (stripped, built with Debian's hardening flags,
# unlike the matrix's) in an arm64 guest: features, and trace's exit summary.
test_arm64_runs() {
	[ "${SW_VMTEST:-1}" != 0 ] || { why="SW_VMTEST=0: no VM"; return 77; }
	[ -n "$arm64_deb" ] || fail "no arm64 package built" || return
	dpkg-deb -x "$arm64_deb" "$d/x" || fail "dpkg-deb -x" || return
	# shellcheck disable=SC2016 # the guest's shell expands them
	bash tests/vm/run-in-vm.sh -q --kernel arm64/6.12 --timeout 300 --file "$d/x/usr/sbin/splicewatch:/sw/splicewatch" -- \
		'/sw/splicewatch --version; /sw/splicewatch features --json > /tmp/f; echo "features-rc=$?"; grep -o "\"backend\": *\"[a-z]*\"" /tmp/f
		 /sw/splicewatch trace -d 1 > /dev/null 2> /tmp/t; echo "trace-rc=$?"; tail -n 1 /tmp/t' >"$d/out" 2>&1
	local rc=$?
	[ "$rc" = 0 ] || fail "VM status $rc: $(tail -n 2 "$d/out" | tr '\n' ' ')" || return
	grep -qx 'splicewatch 0.1.0' "$d/out" && grep -qx 'features-rc=0' "$d/out" && grep -qx '"backend": "fentry"' "$d/out" &&
		grep -qx 'trace-rc=0' "$d/out" && grep -q 'unsafe writes detected' "$d/out" ||
		fail "$(tr '\n' '|' <"$d/out" | tail -c 300)"
}

T deb_builds_with_debhelper test_build
T lintian_no_errors_or_warnings test_lintian
T deb_contents_conffile_relations_completion test_contents
T make_install_same_files_destdir_prefix test_make_install
T arm64_deb_cross_builds_lintian_clean_same_files test_arm64_build
T arm64_deb_binary_runs_in_arm64_guest test_arm64_runs
T dpkg_installs test_install
T installed_binary_runs_installed_policy_accepted test_installed_runs
T upgrade_keeps_edited_conffile test_upgrade
T purge_leaves_nothing_behind test_purge
run_tests
