#!/usr/bin/env bash
# tests/vm/kernels.sh - fetch and cache Debian distribution kernels for VM tests.
#
#   kernels.sh [-v] fetch [--refresh] [NAME...]   download + extract kernels (default: all)
#   kernels.sh list                               print "NAME VERSION PATH" of cached kernels
#   kernels.sh names                              print the known kernel names
#   kernels.sh path NAME                          print the cache directory of NAME
#   kernels.sh headers NAME                       download + extract NAME's headers
#                                                 (cached), print the directory to
#                                                 build a module in (make -C DIR M=...)
#   kernels.sh buildroot NAME COMPILER            a Debian root of NAME's release with
#                                                 COMPILER (cached), for its modules
#                                                 when this host lacks COMPILER
#   kernels.sh modules NAME DIR MODULE...         copy MODULEs of NAME, with what they
#                                                 depend on, into DIR (decompressed);
#                                                 DIR/modules.load lists them in order
#
# NAMES: 5.10 (bullseye), 6.1 (bookworm), 6.12 (trixie), 7 (newest 7.x from
# trixie-backports or sid): amd64 kernels; arm64/6.1, arm64/6.12, arm64/7:
# Debian's arm64 kernels of the same suites (booted by qemu-system-aarch64).
#
# A private apt configuration is used (the system's sources are never read or
# modified).  Everything lives under ${SW_VM_CACHE:-/var/cache/splicewatch-vm}:
#   apt/<NAME>/             private sources.list, package lists, apt cache
#   debs/                   downloaded .deb files
#   headers/<NAME>/         the extracted headers packages (kernels.sh headers)
#   buildroot/<REL>-<CC>/   a Debian root with compiler CC (kernels.sh buildroot)
#   kernels/<NAME>/         vmlinuz, config, System.map, abi, kver, version,
#                           lib/modules/<kver>/... (needed modules, decompressed)
#                           modules.load (ordered list of .ko to insmod)
# A second "fetch" of a cached kernel downloads nothing (use --refresh to
# re-resolve the newest version of the suite).
#
# Modules copied into the cache: ${SW_VM_MODULES} (space separated; default
# below); built-in modules are skipped, missing optional ones (prefix "?")
# are ignored.
set -euo pipefail

CACHE=${SW_VM_CACHE:-/var/cache/splicewatch-vm}
MIRROR=${SW_VM_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${SW_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=${SW_VM_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
DEFAULT_MODULES="virtio_pci virtio_blk ext4 ?crc32c_generic ?crc32c_intel ?crc32c-intel ?crc32c_cpu"
# arm64 guests (qemu -M virt) have one UART: the command's output goes to a
# virtio console (hvc0) instead of a second serial port.
ARM64_MODULES="$DEFAULT_MODULES ?virtio_console"
ALL_NAMES="5.10 6.1 6.12 7 arm64/6.1 arm64/6.12 arm64/7"
VERBOSE=${SW_VM_VERBOSE:-0}

log() { [ "$VERBOSE" = 1 ] && echo "kernels.sh: $*" >&2 || true; }
info() { echo "kernels.sh: $*" >&2; }
die() { echo "kernels.sh: error: $*" >&2; exit 1; }

# The Debian architecture of a kernel name (arm64/6.12: arm64; 6.12: amd64).
arch_of() { case "$1" in arm64/*) echo arm64 ;; *) echo amd64 ;; esac; }
# A name as one path component (locks, temporary directories).
flat() { echo "${1//\//-}"; }

# suites + version pattern for each name
suites_for() {
    case "${1#arm64/}" in
        5.10) echo "bullseye bullseye-updates bullseye-security" ;;
        6.1)  echo "bookworm bookworm-updates bookworm-security" ;;
        6.12) echo "trixie trixie-updates trixie-security" ;;
        7)    echo "trixie-backports sid" ;;
        *) return 1 ;;
    esac
}
version_prefix_for() {
    case "${1#arm64/}" in
        5.10) echo "5.10." ;; 6.1) echo "6.1." ;; 6.12) echo "6.12." ;; 7) echo "7." ;;
        *) return 1 ;;
    esac
}
extra_cmdline_for() {
    case "${1#arm64/}" in
        5.10) echo "lsm=lockdown,yama,apparmor,bpf" ;;
        *) echo "" ;;
    esac
}

apt_opts() {   # $1 = name
    local d="$CACHE/apt/$1"
    printf '%s\n' \
        -o "Dir::Etc::SourceList=$d/sources.list" \
        -o "Dir::Etc::SourceParts=/dev/null" \
        -o "Dir::Etc::Preferences=/dev/null" \
        -o "Dir::Etc::PreferencesParts=/dev/null" \
        -o "Dir::State::Lists=$d/lists" \
        -o "Dir::State::status=/dev/null" \
        -o "Dir::State::extended_states=$d/extended_states" \
        -o "Dir::Cache=$d/cache" \
        -o "Dir::Cache::archives=$d/cache/archives" \
        -o "Dir::Log=$d/log" \
        -o "APT::Architectures=$(arch_of "$1")" \
        -o "APT::Architecture=$(arch_of "$1")" \
        -o "Acquire::Languages=none" \
        -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false" \
        -o "Debug::NoLocking=1" \
        -o "APT::Sandbox::User=root"
}

setup_apt() {  # $1 = name
    local name=$1 d="$CACHE/apt/$1" s
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/log"
    : > "$d/sources.list.new"
    for s in $(suites_for "$name"); do
        case "$s" in
            *-security) echo "deb [signed-by=$KEYRING] $SECMIRROR $s main" ;;
            *) echo "deb [signed-by=$KEYRING] $MIRROR $s main" ;;
        esac >> "$d/sources.list.new"
    done
    mv "$d/sources.list.new" "$d/sources.list"
}

aptc() { # name, apt-cache args...
    local name=$1; shift
    local -a o; mapfile -t o < <(apt_opts "$name")
    apt-cache "${o[@]}" "$@"
}
aptg() {
    local name=$1; shift
    local -a o; mapfile -t o < <(apt_opts "$name")
    apt-get "${o[@]}" "$@"
}

apt_update() { # name
    local name=$1 out
    log "$name: apt-get update ($(suites_for "$name"))"
    if ! out=$(aptg "$name" -q update 2>&1); then
        echo "$out" >&2; die "$name: apt-get update failed"
    fi
    [ "$VERBOSE" = 1 ] && echo "$out" >&2
    # a missing suite (e.g. bullseye-updates gone) only warns; fine.
    return 0
}

# newest version of $2 whose version starts with prefix $3
newest_version() { # name pkg prefix
    local best="" v
    while read -r v; do
        case "$v" in "$3"*) ;; *) continue ;; esac
        if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
    done < <(aptc "$1" madison "$2" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -u)
    echo "$best"
}

pkg_exists() { # name pkg version
    aptc "$1" madison "$2" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$3"
}

# the ABI name (e.g. 6.1.0-31-amd64) from the Depends of linux-image-amd64
# (linux-image-arm64 for arm64 names)
image_abi() { # name version
    aptc "$1" show "linux-image-$(arch_of "$1")=$2" 2>/dev/null \
        | sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n' \
        | sed -n 's/^ *linux-image-\([0-9][^ ]*\) .*/\1/p' | head -n1
}

# prints the ordered (dependencies first) list of module files (relative to
# lib/modules/<kver>) for the wanted module names.
resolve_modules() { # moddir wanted...
    local moddir=$1; shift
    awk -v wanted="$*" '
        function norm(s) { gsub(/-/, "_", s); return s }
        function base(p,   n) { n = p; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n); return norm(n) }
        FILENAME ~ /modules\.builtin$/ { builtin[base($1)] = 1; next }
        FILENAME ~ /modules\.dep$/ {
            p = $1; sub(/:$/, "", p); b = base(p); path[b] = p
            deps[b] = ""
            for (i = 2; i <= NF; i++) deps[b] = deps[b] " " base($i)
            next
        }
        function visit(m,   n, a, i) {
            if (m in done) return
            done[m] = 1
            if (m in builtin) return
            if (!(m in path)) { missing = missing " " m; return }
            n = split(deps[m], a, " ")
            for (i = n; i >= 1; i--) visit(a[i])
            print path[m]
        }
        END {
            n = split(wanted, w, " ")
            for (i = 1; i <= n; i++) {
                m = w[i]; opt = 0
                if (substr(m, 1, 1) == "?") { opt = 1; m = substr(m, 2) }
                m = norm(m)
                if (!opt || (m in path)) visit(m)
            }
            if (missing != "") { print "missing modules:" missing > "/dev/stderr"; exit 1 }
        }
    ' "$moddir/modules.builtin" "$moddir/modules.dep"
}

# prints the path of package pkg=ver's .deb in $CACHE/debs, downloaded (in
# tmp) when it is not there: of NAME's architecture, or "all".
cached_deb() { # name pkg ver tmp
    local name=$1 p=$2 ver=$3 tmp=$4 debdir="$CACHE/debs" deb
    mkdir -p "$debdir"
    deb=$(ls "$debdir/${p}_"*"_$(arch_of "$name").deb" "$debdir/${p}_"*_all.deb 2>/dev/null | while read -r f; do
              [ "$(dpkg-deb -f "$f" Version)" = "$ver" ] && echo "$f"; done | head -n1 || true)
    if [ -z "$deb" ]; then
        info "$name: downloading $p=$ver"
        (cd "$tmp" && aptg "$name" -q download "$p=$ver" >"$tmp/dl.log" 2>&1) \
            || { cat "$tmp/dl.log" >&2; die "$name: download of $p=$ver failed"; }
        deb=$(ls "$tmp/${p}_"*.deb)
        mv "$deb" "$debdir/"
        deb="$debdir/$(basename "$deb")"
    fi
    echo "$deb"
}

# copies module files (paths within moddir) to dir/prefix..., decompressed
# (busybox insmod cannot, the kernel may not), listed in dir/modules.load.
copy_modules() { # moddir dir prefix module-file...
    local moddir=$1 dir=$2 prefix=$3 m out
    shift 3
    : > "$dir/modules.load"
    for m in "$@"; do
        out="$dir/$prefix${m%.ko*}.ko"
        mkdir -p "$(dirname "$out")"
        case "$m" in
            *.ko.xz)  xz -dc "$moddir/$m" > "$out" ;;
            *.ko.zst) zstd -qdc "$moddir/$m" > "$out" ;;
            *.ko.gz)  gzip -dc "$moddir/$m" > "$out" ;;
            *)        cp "$moddir/$m" "$out" ;;
        esac
        echo "${out#"$dir/"}" >> "$dir/modules.load"
    done
}

fetch_one() { # name refresh
    local name=$1 refresh=$2 kdir="$CACHE/kernels/$1"
    suites_for "$name" >/dev/null || die "unknown kernel name '$name' (known: $ALL_NAMES)"
    mkdir -p "$CACHE"
    # serialise concurrent fetches of the same kernel (parallel VM runs)
    exec 9>"$CACHE/.lock-$(flat "$name")"
    flock 9
    if [ "$refresh" = 0 ] && [ -s "$kdir/vmlinuz" ] && [ -s "$kdir/modules.load" ]; then
        log "$name: cached ($(cat "$kdir/version")), nothing to do"
        return 0
    fi
    setup_apt "$name"
    apt_update "$name"
    local prefix ver abi darch meta
    prefix=$(version_prefix_for "$name")
    darch=$(arch_of "$name")
    meta=linux-image-$darch
    ver=$(newest_version "$name" "$meta" "$prefix")
    [ -n "$ver" ] || die "$name: no $meta with version $prefix* in $(suites_for "$name")"
    abi=$(image_abi "$name" "$ver")
    [ -n "$abi" ] || die "$name: cannot find the image package in Depends of $meta=$ver"
    log "$name: $meta $ver -> abi $abi"
    if [ "$refresh" = 1 ] && [ -s "$kdir/version" ] && [ "$(cat "$kdir/version")" = "$ver" ] \
        && [ "$(cat "$kdir/abi" 2>/dev/null)" = "$abi" ] && [ -s "$kdir/modules.load" ]; then
        log "$name: $ver already cached"
        return 0
    fi

    # Which packages carry the image, the config and the modules?
    #  <= 6.x: linux-image-<abi>-unsigned (or linux-image-<abi>) holds everything.
    #  >= 7.x: linux-binary-unsigned-<abi> (vmlinuz, System.map), linux-base-<abi>
    #          (config), linux-modules-<abi> (modules).
    local -a pkgs=() p
    if pkg_exists "$name" "linux-image-$abi-unsigned" "$ver"; then
        pkgs=("linux-image-$abi-unsigned")
    elif pkg_exists "$name" "linux-binary-unsigned-$abi" "$ver"; then
        pkgs=("linux-binary-unsigned-$abi")
    elif pkg_exists "$name" "linux-binary-$abi" "$ver"; then
        pkgs=("linux-binary-$abi")
    else
        pkgs=("linux-image-$abi")
    fi
    for p in "linux-base-$abi" "linux-modules-$abi"; do
        if pkg_exists "$name" "$p" "$ver"; then pkgs+=("$p"); fi
    done
    log "$name: packages: ${pkgs[*]}"

    local debdir="$CACHE/debs" tmp deb
    mkdir -p "$debdir"
    tmp=$(mktemp -d "$CACHE/.extract-$(flat "$name").XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    for p in "${pkgs[@]}"; do
        deb=$(cached_deb "$name" "$p" "$ver" "$tmp") || exit 1
        log "$name: extracting $(basename "$deb")"
        dpkg-deb -x "$deb" "$tmp/root"
    done

    # <= 6.x: /boot/{vmlinuz,config,System.map}-<kver>, /lib/modules/<kver>
    # >= 7.x: /usr/lib/modules/<kver>/{vmlinuz[.unsigned],config,System.map}
    local r="$tmp/root" vmlinuz kver moddir config sysmap
    vmlinuz=$(ls "$r"/boot/vmlinuz-* "$r"/usr/lib/modules/*/vmlinuz* "$r"/lib/modules/*/vmlinuz* 2>/dev/null | head -n1 || true)
    [ -n "$vmlinuz" ] || die "$name: no vmlinuz in ${pkgs[*]}"
    case "$vmlinuz" in
        */boot/vmlinuz-*) kver=${vmlinuz##*/vmlinuz-} ;;
        *) kver=$(basename "$(dirname "$vmlinuz")") ;;
    esac
    moddir="$r/lib/modules/$kver"
    [ -d "$moddir" ] || moddir="$r/usr/lib/modules/$kver"
    [ -d "$moddir/kernel" ] || die "$name: no modules for $kver"
    config="$r/boot/config-$kver"; [ -f "$config" ] || config="$moddir/config"
    [ -f "$config" ] || die "$name: no config for $kver"
    sysmap="$r/boot/System.map-$kver"; [ -f "$sysmap" ] || sysmap="$moddir/System.map"
    if [ ! -s "$moddir/modules.dep" ]; then
        log "$name: running depmod"
        depmod -b "${moddir%/lib/modules/$kver}" "$kver"
    fi

    local new="$tmp/kernel" list m
    mkdir -p "$new/lib/modules/$kver"
    cp "$vmlinuz" "$new/vmlinuz"
    cp "$config" "$new/config"
    if [ -f "$sysmap" ]; then cp "$sysmap" "$new/System.map"; fi
    cp "$moddir/modules.builtin" "$moddir/modules.dep" "$new/lib/modules/$kver/"
    local modules=$DEFAULT_MODULES
    [ "$darch" = arm64 ] && modules=$ARM64_MODULES
    # shellcheck disable=SC2086
    list=$(resolve_modules "$moddir" ${SW_VM_MODULES:-$modules}) || die "$name: module resolution failed"
    copy_modules "$moddir" "$new" "lib/modules/$kver/" $list
    echo "$kver" > "$new/kver"
    echo "$ver" > "$new/version"
    echo "$abi" > "$new/abi"
    echo "${pkgs[*]}" > "$new/packages"
    echo "$darch" > "$new/arch"
    extra_cmdline_for "$name" > "$new/cmdline"

    mkdir -p "$(dirname "$kdir")"
    rm -rf "$kdir.old"
    [ -d "$kdir" ] && mv "$kdir" "$kdir.old"
    mv "$new" "$kdir"
    rm -rf "$kdir.old" "$tmp"
    trap - EXIT
    # drop .debs of other versions of these packages
    for p in "${pkgs[@]}"; do
        for deb in "$debdir/${p}_"*.deb; do
            [ -e "$deb" ] || continue
            [ "$(dpkg-deb -f "$deb" Version)" = "$ver" ] || rm -f "$deb"
        done
    done
    info "$name: $kver ($ver) -> $kdir"
}

cmd_fetch() {
    local refresh=0 names=() n rc=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --refresh) refresh=1 ;;
            -v) VERBOSE=1 ;;
            -*) die "fetch: unknown option $1" ;;
            *) names+=("$1") ;;
        esac
        shift
    done
    [ ${#names[@]} -gt 0 ] || read -r -a names <<< "$ALL_NAMES"
    for n in "${names[@]}"; do
        ( fetch_one "$n" "$refresh" ) || { info "$n: FAILED"; rc=1; }
    done
    return $rc
}

# The headers packages of a cached kernel (linux-headers-<abi> and the
# linux-headers-*/linux-kbuild-* it depends on), extracted into
# $CACHE/headers/NAME; prints the directory to build a module in. Their
# Makefile includes the -common one by its absolute /usr/src path: pointed
# at the extracted copy.
cmd_headers() { # name
    local name=$1 kdir="$CACHE/kernels/$1" hdir="$CACHE/headers/$1" abi ver tmp deb p dep
    [ -s "$kdir/abi" ] || die "kernel '$name' is not cached (run: $0 fetch $name)"
    abi=$(cat "$kdir/abi") ver=$(cat "$kdir/version")
    exec 9>"$CACHE/.lock-headers-$(flat "$name")"
    flock 9
    if [ -s "$hdir/build-dir" ] && [ "$(cat "$hdir/version")" = "$ver" ]; then
        cat "$hdir/build-dir"; return 0
    fi
    setup_apt "$name"
    apt_update "$name"
    local -a pkgs=("linux-headers-$abi")
    for dep in $(aptc "$name" show "linux-headers-$abi=$ver" 2>/dev/null | sed -n 's/^Depends: //p' \
                 | head -n1 | tr ',' '\n' | sed -n 's/^ *\(linux-\(headers\|kbuild\)-[^ ]*\).*/\1/p'); do
        pkgs+=("$dep")
    done
    tmp=$(mktemp -d "$CACHE/.headers-$(flat "$name").XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    for p in "${pkgs[@]}"; do
        deb=$(cached_deb "$name" "$p" "$ver" "$tmp") || exit 1
        dpkg-deb -x "$deb" "$tmp/root"
    done
    [ -f "$tmp/root/usr/src/linux-headers-$abi/Makefile" ] || die "$name: no Makefile in linux-headers-$abi"
    sed -i "s|/usr/src/|$hdir/root/usr/src/|g" "$tmp/root/usr/src/linux-headers-$abi/Makefile"
    echo "$hdir/root/usr/src/linux-headers-$abi" > "$tmp/build-dir"
    echo "$ver" > "$tmp/version"
    rm -f "$tmp/dl.log"
    rm -rf "$hdir"
    mkdir -p "$(dirname "$hdir")"
    mv "$tmp" "$hdir"
    trap - EXIT
    cat "$hdir/build-dir"
}

# A build root for modules of NAME whose compiler (COMPILER, gcc-14 for
# trixie's kernels) this host lacks: the Debian release NAME was built for,
# made by mmdebstrap with COMPILER, make, libc6-dev and dwarves (pahole:
# the modules' BTF) in $CACHE/buildroot/RELEASE-COMPILER; prints it.
# Cached.
cmd_buildroot() { # name compiler
    local name=$1 cc=$2 kdir="$CACHE/kernels/$1" rel root tmp
    case "$cc" in gcc-[0-9]*) ;; *) die "buildroot: '$cc' is no gcc-N" ;; esac
    [ -s "$kdir/abi" ] || die "kernel '$name' is not cached (run: $0 fetch $name)"
    command -v mmdebstrap >/dev/null || die "buildroot: mmdebstrap not found (run tests/vm/deps.sh)"
    # The release the kernel was built for: its ABI's +debNN, else the
    # first of its suites.
    case "$(cat "$kdir/abi")" in
        *+deb11-*) rel=bullseye ;; *+deb12-*) rel=bookworm ;;
        *+deb13-*) rel=trixie ;; *+deb14-*) rel=forky ;;
        *) rel=$(suites_for "$name" | cut -d' ' -f1 | sed 's/-\(updates\|security\|backports\)$//') ;;
    esac
    root="$CACHE/buildroot/$rel-$cc"
    exec 9>"$CACHE/.lock-buildroot-$rel-$cc"
    flock 9
    if [ ! -x "$root/usr/bin/$cc" ]; then
        info "$name: making a $rel build root with $cc (mmdebstrap, about a minute)"
        mkdir -p "$CACHE/buildroot"
        tmp=$(mktemp -d "$CACHE/.buildroot-$rel.XXXXXX")
        # shellcheck disable=SC2064
        trap "rm -rf '$tmp'" EXIT
        mmdebstrap --variant=minbase --keyring="$KEYRING" --include="$cc,make,libc6-dev,dwarves" \
            "$rel" "$tmp/root" "$MIRROR" >"$tmp/log" 2>&1 ||
            die "$name: mmdebstrap $rel: $(grep -m1 -E '^E:' "$tmp/log" || tail -n 1 "$tmp/log")"
        rm -rf "$root"
        mv "$tmp/root" "$root"
        rm -rf "$tmp"
        trap - EXIT
    fi
    echo "$root"
}

# MODULEs of a cached kernel and what they depend on, from its packages,
# copied into DIR (modules.load: their order).
cmd_modules() { # name dir module...
    local name=$1 dir=$2 kdir="$CACHE/kernels/$1" tmp p deb moddir kver list
    shift 2
    [ -s "$kdir/packages" ] || die "kernel '$name' is not cached (run: $0 fetch $name)"
    kver=$(cat "$kdir/kver")
    tmp=$(mktemp -d "$CACHE/.modules-$(flat "$name").XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    for p in $(cat "$kdir/packages"); do
        deb=$(cached_deb "$name" "$p" "$(cat "$kdir/version")" "$tmp") || exit 1
        dpkg-deb -x "$deb" "$tmp/root"
    done
    moddir="$tmp/root/lib/modules/$kver"
    [ -d "$moddir" ] || moddir="$tmp/root/usr/lib/modules/$kver"
    [ -s "$moddir/modules.dep" ] || depmod -b "${moddir%/lib/modules/$kver}" "$kver"
    list=$(resolve_modules "$moddir" "$@") || die "$name: module resolution failed"
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    copy_modules "$moddir" "$dir" "" $list
    rm -rf "$tmp"
    trap - EXIT
}

cmd_list() {
    local n d
    for n in $ALL_NAMES; do
        d="$CACHE/kernels/$n"
        [ -s "$d/vmlinuz" ] && [ -s "$d/modules.load" ] || continue
        echo "$n $(cat "$d/version") $d"
    done
}

main() {
    while [ $# -gt 0 ]; do
        case "$1" in
            -v) VERBOSE=1; shift ;;
            -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
            *) break ;;
        esac
    done
    local cmd=${1:-}; shift || true
    case "$cmd" in
        fetch) cmd_fetch "$@" ;;
        list) cmd_list ;;
        names) echo "$ALL_NAMES" | tr ' ' '\n' ;;
        path) [ $# -eq 1 ] || die "usage: path NAME"; d="$CACHE/kernels/$1"
              [ -s "$d/vmlinuz" ] || die "kernel '$1' is not cached (run: $0 fetch $1)"; echo "$d" ;;
        headers) [ $# -eq 1 ] || die "usage: headers NAME"; cmd_headers "$1" ;;
        buildroot) [ $# -eq 2 ] || die "usage: buildroot NAME COMPILER"; cmd_buildroot "$1" "$2" ;;
        modules) [ $# -ge 3 ] || die "usage: modules NAME DIR MODULE..."; cmd_modules "$@" ;;
        *) die "usage: $0 [-v] {fetch [--refresh] [NAME...]|list|names|path NAME|headers NAME|buildroot NAME COMPILER|modules NAME DIR MODULE...}" ;;
    esac
}
main "$@"
