#!/usr/bin/env bash
# tests/vm/matrix.sh - run the project's test suite (tests/build/swtest, trace and
# enforce) inside a VM for every kernel x backend, as one test suite.
#
#   tests/vm/matrix.sh [-v] [-j N] [--kernels "5.10 6.1 6.12 7 arm64/6.12"] [--backends "tracepoint"]
#                      [--suites "trace enforce"] [--suites-of CELL "SUITES"]...
#                      [--filter GLOB] [--logs DIR]
#                      [--splicewatch PATH] [--swtest PATH] [--arm64-splicewatch PATH]
#                      [--arm64-swtest PATH]
#                      [--smp N] [--mem MB] [--timeout SECS] [--disk-size MB]
#                      [--env NAME=VALUE]... [--label TEXT] [--no-plan]
#   tests/vm/matrix.sh [options] -- GUEST_COMMAND...   (any command on each kernel)
#
# Defaults: kernels ${SW_VM_KERNELS:-5.10 6.1 6.12 7} (fetched when missing),
# backends ${SW_VM_BACKENDS:-tracepoint}, suites ${SW_VM_SUITES:-trace enforce}
# (of trace, enforce, deny, ci, runcount, trace-noenter, deny-noenter,
# deny-refused: tests/vm/guest-swtest.sh); --suites-of CELL "SUITES" gives a
# cell its own list instead, CELL a backend (its cells on every kernel) or
# KERNEL/BACKEND (7/fentry, arm64/7/kprobe), the latter first (a matrix whose
# costly cells run less: make-test-matrix.sh),
# -j ${SW_VM_JOBS:-2} VMs at a time, --smp ${SW_VM_SMP:-1}, --mem ${SW_VM_MEM:-1024},
# --timeout ${SW_VM_TIMEOUT:-1200} per VM, --env NAME=VALUE exported to the
# suites in the guest (e.g. SPLICEWATCH_SYSCALL_ATTACH=none), --label TEXT
# appended to the backend in the test names (vm/6.12/fentry+TEXT/...: a run
# with --env apart from the same cell without), --filter ${SWTEST_FILTER:-} (swtest's
# scenario-name glob, e.g. '*held_range*'), binaries ./splicewatch,
# ./tests/build/swtest, ./tests/build/ci_workload and, for the verify suite,
# ./tests/build/verify_workload, and on amd64 this host's nginx,
# ./tests/build/http_load and tests/nginx-load.sh (copied once at start, so a
# rebuild during the run does not mix builds). The verify suite on the amd64
# kernels of KMOD_KERNELS also gets the test module, built against that
# kernel's headers with its own compiler (tests/vm/kmod.sh: this host's
# gcc-12 for 6.1, a trixie build root's gcc-14 for 6.12 and 7.x; a failed
# build fails the module's tests, with why).
# Kernels named arm64/... (kernels.sh) are arm64 guests (qemu-system-aarch64):
# they run ./build/arm64/splicewatch, ./tests/build/arm64/swtest,
# ./tests/build/arm64/ci_workload and verify_workload (make ARCH=arm64 all arm64-tests); their
# lines read vm/arm64/<kernel>/<backend>/..., the table has a row per
# architecture and kernel.
#
# One VM per kernel x backend runs `splicewatch features`, then
# `swtest --splicewatch /sw/splicewatch --backend B [GLOB]` and the same with
# --enforce or --deny, for "ci" tests/vm/guest-ci.sh, for "runcount"
# tests/vm/guest-runcount.sh (the program runs of 1,000,000 unrelated syscalls,
# ./tests/build/runcount; its figures as "# ... runcount: " comments)
# (tests/vm/guest-swtest.sh;
# "trace-noenter" and "deny-noenter" drop every run of the first sys_enter,
# for the backup hooks of 7.x: kernel functions with fentry or kprobe, the
# backup sys_enter with tracepoint).
# Output, on stdout:
#   ok vm/<kernel>/<backend>/<test>            (enforce tests: .../enforce/<test>)
#   not ok vm/<kernel>/<backend>/<test>: why
#   not ok vm/<kernel>/<backend>/load: why     programs do not load (suites skipped)
#   ok vm/<kernel>/<backend>/<suite>           the suite ran to its end and its
#                                              own account agrees with the lines
#                                              parsed: one plan, that many lines,
#                                              its "N passed, N failed", its exit
#                                              status (1 iff a line failed); a
#                                              -noenter suite also proved its
#                                              sys_enter runs were dropped
#   not ok vm/<kernel>/<backend>/<suite>: why  else (the VM or swtest died, ...)
#   ok vm/<kernel>/<backend>/vm                the guest reached its end, exit
#                                              status 0, and the kernel neither
#                                              warned nor oopsed: its console
#                                              (loglevel 5: warnings) has no
#                                              WARNING/BUG/Oops/stall/KASAN/...
#                                              line and /proc/sys/kernel/tainted
#                                              no B, D, L, M or W
#   not ok vm/<kernel>/<backend>/vm: why       the first offending console line
# then "# " comment lines (features, the verifier log of a load failure), a
# kernel x backend table of passed/failed, the TAP plan "1..N" (N: the lines
# above; --no-plan: none, for make-test-matrix.sh, which sums two runs) and
# finally "N passed, N failed".
# Exit status 0 only if nothing failed; 2 if it cannot run (no binaries, qemu).
# Per-VM logs: DIR/<kernel>-<backend>.{log,err} (default DIR: a temp dir, kept
# and printed when something failed). -v also prints each VM's full output.
#
# With "-- GUEST_COMMAND" it instead runs that command once per kernel (no
# backends) and counts a kernel as passed when the command exits 0.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOTDIR=$(cd "$HERE/../.." && pwd)
KERNELS=${SW_VM_KERNELS:-5.10 6.1 6.12 7}
BACKENDS=${SW_VM_BACKENDS:-tracepoint}
SUITES=${SW_VM_SUITES:-trace enforce}
JOBS=${SW_VM_JOBS:-2}
SMP=${SW_VM_SMP:-1}
MEM=${SW_VM_MEM:-1024}
VMTIMEOUT=${SW_VM_TIMEOUT:-1200}
DISK=${SW_VM_DISK_MB:-512}
FILTER=${SWTEST_FILTER:-}
SWBIN=$ROOTDIR/splicewatch
SWTEST=$ROOTDIR/tests/build/swtest
CIWL=$ROOTDIR/tests/build/ci_workload
SWBIN_ARM64=$ROOTDIR/build/arm64/splicewatch
SWTEST_ARM64=$ROOTDIR/tests/build/arm64/swtest
CIWL_ARM64=$ROOTDIR/tests/build/arm64/ci_workload
LOGS=""
VERBOSE=0
PLAN=1
PASS=()
declare -A SUITES_OF=()   # backend or kernel/backend -> its own suites (--suites-of)
GUESTENV=""
LABEL=""

die2() { echo "matrix.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        -v) VERBOSE=1; shift ;;
        -j) JOBS=${2:?}; shift 2 ;;
        -j*) JOBS=${1#-j}; shift ;;
        --kernels) KERNELS=${2?}; shift 2 ;;
        --backends) BACKENDS=${2?}; shift 2 ;;
        --suites) SUITES=${2?}; shift 2 ;;
        --suites-of) [ -n "${2:-}" ] && [ -n "${3:-}" ] || die2 "--suites-of needs CELL and SUITES"
                     SUITES_OF[$2]=$3; shift 3 ;;
        --filter) FILTER=${2?}; shift 2 ;;
        --logs) LOGS=${2:?}; shift 2 ;;
        --splicewatch) SWBIN=${2:?}; shift 2 ;;
        --swtest) SWTEST=${2:?}; shift 2 ;;
        --arm64-splicewatch) SWBIN_ARM64=${2:?}; shift 2 ;;
        --arm64-swtest) SWTEST_ARM64=${2:?}; shift 2 ;;
        --smp) SMP=${2:?}; shift 2 ;;
        --mem) MEM=${2:?}; shift 2 ;;
        --timeout) VMTIMEOUT=${2:?}; shift 2 ;;
        --disk-size) DISK=${2:?}; shift 2 ;;
        --no-plan) PLAN=0; shift ;;
        --env) [[ "${2:-}" =~ ^[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_.,:/-]*$ ]] ||
                   die2 "--env needs NAME=VALUE (letters, digits and _ . , : / - in the value)"
               GUESTENV="$GUESTENV export $2;"; shift 2 ;;
        --label) [[ "${2:-}" =~ ^[A-Za-z0-9_.-]+$ ]] || die2 "--label needs letters, digits and _ . -"
                 LABEL="+$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --) break ;;
        --keep|-q|--quiet) PASS+=("$1"); shift ;;
        --append|--file) PASS+=("$1" "${2:?missing value for $1}"); shift 2 ;;
        *) die2 "unknown option '$1' (see --help)" ;;
    esac
done
GENERIC=0
if [ "${1:-}" = "--" ]; then
    shift
    [ $# -gt 0 ] || die2 "missing GUEST_COMMAND after --"
    GENERIC=1
fi
[ -n "${KERNELS// /}" ] || die2 "no kernels"
# suites_of KERNEL BACKEND: the suites that cell runs
suites_of() { echo "${SUITES_OF[$1/$2]:-${SUITES_OF[$2]:-$SUITES}}"; }
for c in "${!SUITES_OF[@]}"; do
    found=0
    for k in $KERNELS; do for b in $BACKENDS; do
        [ "$c" = "$b" ] || [ "$c" = "$k/$b" ] && found=1
    done; done
    [ "$found" = 1 ] || die2 "--suites-of $c: no such cell (kernels $KERNELS; backends $BACKENDS)"
done
# every suite some cell runs (what the binaries must provide for)
ALL_SUITES="$SUITES ${SUITES_OF[*]}"
case "$JOBS" in ''|*[!0-9]*|0) die2 "-j needs a positive number" ;; esac
[ "$(id -u)" = 0 ] || die2 "the VMs need root (mkfs, /var/cache/splicewatch-vm)"
# The architectures asked for: amd64 and/or arm64 (kernels named arm64/...).
ARCHES=""
for k in $KERNELS; do
    case "$k" in arm64/*) a=arm64 ;; *) a=amd64 ;; esac
    case " $ARCHES " in *" $a "*) ;; *) ARCHES="$ARCHES $a" ;; esac
done
for a in $ARCHES; do
    q=qemu-system-x86_64; [ "$a" = arm64 ] && q=qemu-system-aarch64
    command -v "${SW_VM_QEMU:-$q}" >/dev/null || die2 "$q not found (run tests/vm/deps.sh)"
done
# A kernel name as a file name (arm64/6.12: arm64-6.12).
flat() { echo "${1//\//-}"; }

CLEAN=""
if [ -z "$LOGS" ]; then LOGS=$(mktemp -d "${TMPDIR:-/tmp}/sw-matrix.XXXXXXXX"); CLEAN=$LOGS; fi
mkdir -p "$LOGS" || die2 "cannot create $LOGS"

declare -A GUESTFILES=()   # architecture -> the --file options of its VMs
if [ "$GENERIC" = 0 ]; then
    [ -n "${BACKENDS// /}" ] || die2 "no backends"
    # one snapshot of the binaries for every VM (the tree may be rebuilt meanwhile)
    for a in $ARCHES; do
        if [ "$a" = arm64 ]; then
            sw=$SWBIN_ARM64 st=$SWTEST_ARM64 wl=$CIWL_ARM64 how="make ARCH=arm64 all arm64-tests"
            rcb=$ROOTDIR/tests/build/arm64/runcount vwl=$ROOTDIR/tests/build/arm64/verify_workload
        else
            sw=$SWBIN st=$SWTEST wl=$CIWL how="make all tests/build/swtest tests/build/ci_workload"
            rcb=$ROOTDIR/tests/build/runcount vwl=$ROOTDIR/tests/build/verify_workload
        fi
        [ -x "$sw" ] || die2 "$sw missing ($how)"
        [ -x "$st" ] || die2 "$st missing ($how)"
        case " $ALL_SUITES " in *" ci "*) [ -x "$wl" ] || die2 "$wl missing ($how)" ;; esac
        case " $ALL_SUITES " in *" runcount "*) [ -x "$rcb" ] || die2 "$rcb missing (make $rcb)" ;; esac
        case " $ALL_SUITES " in *" verify "*) [ -x "$vwl" ] || die2 "$vwl missing ($how)" ;; esac
        d=$LOGS/bin/$a
        mkdir -p "$d"
        cp "$sw" "$d/splicewatch" && cp "$st" "$d/swtest" \
            && cp "$HERE/guest-swtest.sh" "$HERE/guest-ci.sh" "$d/" || die2 "cannot copy the binaries"
        f="--file $d/splicewatch:/sw/splicewatch --file $d/swtest:/sw/swtest"
        f="$f --file $d/guest-swtest.sh:/sw/guest-swtest.sh --file $d/guest-ci.sh:/sw/guest-ci.sh"
        if [ -x "$wl" ]; then
            cp "$wl" "$d/ci_workload" || die2 "cannot copy $wl"
            f="$f --file $d/ci_workload:/sw/ci_workload"
        fi
        case " $ALL_SUITES " in *" runcount "*)
            cp "$rcb" "$d/runcount" && cp "$HERE/guest-runcount.sh" "$HERE/guest-lib.sh" "$d/" ||
                die2 "cannot copy $rcb"
            f="$f --file $d/runcount:/sw/runcount --file $d/guest-runcount.sh:/sw/guest-runcount.sh"
            f="$f --file $d/guest-lib.sh:/sw/guest-lib.sh" ;;
        esac
        case " $ALL_SUITES " in *" verify "*)
            cp "$vwl" "$d/verify_workload" && cp "$HERE/guest-verify.sh" "$d/" || die2 "cannot copy $vwl"
            f="$f --file $d/verify_workload:/sw/verify_workload --file $d/guest-verify.sh:/sw/guest-verify.sh"
            # nginx under load (amd64: this host's nginx and its libraries)
            if [ "$a" = amd64 ]; then
                ng=$(command -v nginx || echo /usr/sbin/nginx)
                [ -x "$ng" ] || die2 "nginx missing (apt-get install nginx; scripts/deps.sh)"
                [ -x "$ROOTDIR/tests/build/http_load" ] || die2 "tests/build/http_load missing (make tests/build/http_load)"
                cp "$ng" "$d/nginx" && cp "$ROOTDIR/tests/build/http_load" "$ROOTDIR/tests/nginx-load.sh" "$d/" ||
                    die2 "cannot copy nginx"
                f="$f --file $d/nginx:/sw/nginx --file $d/http_load:/sw/http_load --file $d/nginx-load.sh:/sw/nginx-load.sh"
            fi ;;
        esac
        GUESTFILES[$a]=$f
    done
fi

# fetch serially first (quiet when cached); a kernel that cannot be fetched is a
# failure of its own, not the end of the run
declare -A NOKERNEL=()
for k in $KERNELS; do
    "$HERE/kernels.sh" fetch "$k" >"$LOGS/fetch-$(flat "$k").log" 2>&1 || NOKERNEL[$k]=1
done

# The test module (tests/kmod) where a cell of these kernels runs the verify
# suite: DIR/kmod/<kernel>, /sw/kmod in the guest. 5.10 runs no verify suite;
# arm64 has no cross build of it.
KMOD_KERNELS="6.1 6.12 7"
declare -A KMODFILES=()
for k in $KERNELS; do
    case " $KMOD_KERNELS " in *" $k "*) ;; *) continue ;; esac
    [ -z "${NOKERNEL[$k]:-}" ] || continue
    for b in $BACKENDS; do
        case " $(suites_of "$k" "$b") " in *" verify "*) ;; *) continue ;; esac
        "$HERE/kmod.sh" "$k" "$LOGS/kmod/$(flat "$k")" >"$LOGS/kmod-$(flat "$k").log" 2>&1
        KMODFILES[$k]="--file $LOGS/kmod/$(flat "$k"):/sw/kmod"
        break
    done
done

START=$(date +%s)
run_vm() { # tag kernel command...
    local tag=$1 k=$2 rc=0 t0 t1
    shift 2
    t0=$(date +%s)
    "$HERE/run-in-vm.sh" --kernel "$k" --timeout "$VMTIMEOUT" --smp "$SMP" --mem "$MEM" \
        --disk-size "$DISK" ${PASS[@]+"${PASS[@]}"} "$@" > "$LOGS/$tag.log" 2> "$LOGS/$tag.err" || rc=$?
    t1=$(date +%s)
    echo "$rc $((t1 - t0))" > "$LOGS/$tag.rc"
}

JOBLIST=()   # "tag kernel backend"
for k in $KERNELS; do
    if [ "$GENERIC" = 1 ]; then JOBLIST+=("$(flat "$k") $k -"); continue; fi
    for b in $BACKENDS; do JOBLIST+=("$(flat "$k")-$b $k $b"); done
done

running=0
for j in "${JOBLIST[@]}"; do
    read -r tag k b <<< "$j"
    [ -n "${NOKERNEL[$k]:-}" ] && continue
    if [ "$GENERIC" = 1 ]; then
        run_vm "$tag" "$k" -- "$@" &
    else
        # loglevel 5: warnings (WARN_ON's "WARNING:") reach the console too
        case "$k" in arm64/*) a=arm64 ;; *) a=amd64 ;; esac
        # shellcheck disable=SC2086 # the paths are ours, without spaces
        run_vm "$tag" "$k" ${GUESTFILES[$a]} ${KMODFILES[$k]:-} --append loglevel=5 --console "$LOGS/$tag.console" \
            -- "$GUESTENV sh /sw/guest-swtest.sh '$b' '$(suites_of "$k" "$b")' '$FILTER'" &
    fi
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
WALL=$(( $(date +%s) - START ))

# ------------------------------------------------------------- generic mode
if [ "$GENERIC" = 1 ]; then
    passed=0; failed=0
    for k in $KERNELS; do
        if [ -n "${NOKERNEL[$k]:-}" ]; then
            failed=$((failed + 1)); echo "FAIL kernel $k: cannot fetch it"; sed 's/^/    /' "$LOGS/fetch-$(flat "$k").log"; continue
        fi
        t=$(flat "$k")
        read -r rc secs < "$LOGS/$t.rc" || { rc=125; secs=0; }
        if [ "$rc" = 0 ]; then
            passed=$((passed + 1)); echo "PASS kernel $k (${secs}s)"
            [ "$VERBOSE" = 1 ] && sed 's/^/    /' "$LOGS/$t.log"
        else
            failed=$((failed + 1)); echo "FAIL kernel $k: status $rc (${secs}s), logs $LOGS/$t.{log,err}"
            sed 's/^/    /' "$LOGS/$t.log" "$LOGS/$t.err"
        fi
    done
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ] && [ -n "$CLEAN" ] && rm -rf "$CLEAN"
    [ "$failed" = 0 ]
    exit
fi

# ------------------------------------------------------------- suite mode
status_text() {
    case "$1" in
        124) echo "VM timed out after ${VMTIMEOUT}s" ;;
        125) echo "VM died or did not boot (no exit marker; kernel console in the .err log)" ;;
        *) echo "VM status $1" ;;
    esac
}

# kernel_trouble CONSOLE LOG: WARN/BUG/Oops/stall lines, taint flags
. "$HERE/kernel-trouble.sh"

# parse one VM's log: prints the prefixed ok/not ok lines, and "# " comments
parse_vm() { # kernel backend log rc secs console
    local k=$1 b=$2 log=$3 rc=$4 secs=$5 pre="vm/$1/$2$LABEL"
    awk -v pre="$pre" -v suites="$(suites_of "$k" "$b")" -v vmrc="$rc" -v vmwhy="$(status_text "$rc")" -v secs="$secs" \
        -v ktrouble="$(kernel_trouble "$6" "$log")" '
        function emit(ok, name, why) {
            if (ok) print "ok " pre "/" name
            else print "not ok " pre "/" name (why != "" ? ": " why : "")
        }
        function add(why) { problems = problems (problems != "" ? "; " : "") why }
        BEGIN { nsuites = split(suites, want, " ") }
        /^@@ features$/ { sect = "features"; nfeat = 0; next }
        /^@@ uname / { uname = $3; cpus = $5; sect = ""; next }
        /^@@ suite / {
            sect = "suite"; suite = $3; started[suite]++; nlines[suite] = 0; nok[suite] = 0; nnot[suite] = 0
            next
        }
        /^@@ status / {
            s = $3; status[s] = $4; dur[s] = ($6 != "" ? sprintf("%.0f", $7 - $6) : "?"); sect = ""; next
        }
        /^@@ vv / { sect = "vv"; vvsuite = $3; next }
        /^@@ vvlog$/ { sect = "vvlog"; next }
        /^@@ taint / { sect = ""; next }
        /^@@ end$/ { ended = 1; sect = ""; next }
        sect == "features" { if (nfeat++ < 6) feat = feat "\n# " pre " features: " $0; next }
        sect == "vv" {
            if ($0 ~ /BEGIN PROG LOAD LOG|END PROG LOAD LOG/) next
            if ($0 ~ /program load failed/ && vvprog == "") { vvprog = $0; sub(/^libbpf: /, "", vvprog) }
            vvtext = vvtext "\n# " pre " -vv: " $0; next
        }
        sect == "vvlog" {
            if ($0 ~ /BEGIN PROG LOAD LOG|END PROG LOAD LOG/) next
            if ($0 !~ /^processed [0-9]+ insns/ && $0 != "") lastv = $0
            vvlog = vvlog "\n# " pre " verifier: " $0; next
        }
        sect == "suite" {
            line = $0
            if (line ~ /^1\.\.[0-9]+$/) { nplan[suite]++; plan[suite] = substr(line, 4) + 0; next }
            if (line ~ /^not ok start-up/) { startup[suite] = 1; next }
            if (line ~ /^#   splicewatch: /) { sub(/^#   splicewatch: /, "", line); startwhy[suite] = line; next }
            if (line ~ /^ok / || line ~ /^not ok /) {
                ok = (line ~ /^ok /)
                sub(/^(not )?ok /, "", line)
                why = ""
                if (!ok && (i = index(line, ": ")) > 0) { why = substr(line, i + 2); line = substr(line, 1, i - 1) }
                if (ok && line ~ /dropped_sys_enter_runs_were_checked_by_backup_hooks$/) proof[suite] = 1
                # syscall attach none: no sys_enter to drop, said so
                if (ok && line ~ /no_sys_enter_attached_kernel_functions_checked_every_write$/) proof[suite] = 1
                # swtest names deny and enforce scenarios "deny/...": one prefix, the suite
                base = suite; sub(/-noenter$/, "", base)
                if (base != "trace" && index(line, base "/") == 1) line = substr(line, length(base) + 2)
                if (suite != "trace") line = suite "/" line
                emit(ok, line, why); nlines[suite]++
                if (ok) nok[suite]++; else nnot[suite]++
                next
            }
            if (line ~ /^# (trace|enforce|deny|ci|verify|deny-refused|runcount): [0-9]+ passed, [0-9]+ failed$/) {
                summary[suite] = 1; spass[suite] = $3 + 0; sfail[suite] = $5 + 0; next
            }
            if (line ~ /^# splicewatch: / && ++nsw[suite] <= 8) comments = comments "\n# " pre " " suite ": " line
            if (line ~ /^# runcount: / && line !~ / passed, [0-9]+ failed$/) { sub(/^# /, "", line); comments = comments "\n# " pre " " line }
            next
        }
        END {
            for (i = 1; i <= nsuites; i++) {
                s = want[i]
                if (startup[s]) {
                    why = startwhy[s] != "" ? startwhy[s] : "splicewatch did not start"
                    if (vvprog != "") why = why "; " vvprog
                    if (lastv != "") why = why "; verifier: " lastv
                    emit(0, (s == "trace" ? "load" : s "/load"), why)
                    break   # the guest skips the remaining suites
                }
                if (!started[s]) {
                    emit(0, s, "suite did not run (" vmwhy ")")
                    continue
                }
                if (!summary[s]) {
                    emit(0, s, "swtest did not finish (" (status[s] != "" ? "swtest status " status[s] : vmwhy) ")")
                    continue
                }
                # the suite own account against the lines parsed for it
                problems = ""
                if (started[s] != 1) add("ran " started[s] " times")
                if (nplan[s] != 1) add(nplan[s] + 0 " plan lines, want 1")
                else if (plan[s] != nlines[s]) add("planned " plan[s] " tests, " nlines[s] " test lines")
                if (spass[s] != nok[s] || sfail[s] != nnot[s])
                    add("its summary says " spass[s] " passed, " sfail[s] " failed; " nok[s] " ok and " nnot[s] " not ok lines")
                if (status[s] == "") add("no exit status")
                else if (status[s] != (nnot[s] > 0 ? 1 : 0))
                    add("exit status " status[s] " with " nnot[s] " failed")
                if (s ~ /-noenter$/ && !proof[s])
                    add("no ok dropped_sys_enter_runs_were_checked_by_backup_hooks (or, syscall attach none, no_sys_enter_attached_kernel_functions_checked_every_write) line: the drop is unproven")
                emit(problems == "", s, problems)
            }
            # the VM: the guest reached its end, exit 0, a kernel with nothing to say
            problems = ""
            if (vmrc != 0) add(vmwhy)
            if (!ended) add("the guest did not reach its end (@@ end)")
            if (ktrouble != "") add(ktrouble)
            emit(problems == "", "vm", problems)
            if (feat != "") print substr(feat, 2)
            if (comments != "") print substr(comments, 2)
            if (vvtext != "") print substr(vvtext, 2)
            if (vvlog != "") print substr(vvlog, 2)
            timing = "# " pre ": kernel " (uname != "" ? uname : "?") ", " (cpus != "" ? cpus : "?") " vCPU, VM " secs "s"
            for (i = 1; i <= nsuites; i++) if (want[i] in dur) timing = timing ", " want[i] " " dur[want[i]] "s"
            print timing
        }
    ' "$log"
}

OUT=$LOGS/results
: > "$OUT"
declare -A CELL=()
for j in "${JOBLIST[@]}"; do
    read -r tag k b <<< "$j"
    if [ -n "${NOKERNEL[$k]:-}" ]; then
        why=$(grep -v '^$' "$LOGS/fetch-$(flat "$k").log" | tail -n1)
        echo "not ok vm/$k/$b$LABEL/load: cannot fetch kernel $k: ${why:-see $LOGS/fetch-$(flat "$k").log}" | tee -a "$OUT"
        CELL[$k/$b]="0/1 (no kernel)"
        continue
    fi
    read -r rc secs < "$LOGS/$tag.rc" 2>/dev/null || { rc=125; secs=0; }
    parse_vm "$k" "$b" "$LOGS/$tag.log" "$rc" "$secs" "$LOGS/$tag.console" > "$LOGS/$tag.results"
    grep -E '^(not )?ok ' "$LOGS/$tag.results" | tee -a "$OUT"
    p=$(grep -c '^ok ' "$LOGS/$tag.results")
    f=$(grep -c '^not ok ' "$LOGS/$tag.results")
    note=""
    grep -q "^not ok vm/$k/$b$LABEL/load" "$LOGS/$tag.results" && note=" (no load)"
    CELL[$k/$b]="$p/$f$note ${secs}s"
    [ "$VERBOSE" = 1 ] && sed 's/^/# | /' "$LOGS/$tag.log"
done
# comments after the test lines: features, verifier logs, timings
for j in "${JOBLIST[@]}"; do
    read -r tag k b <<< "$j"
    [ -f "$LOGS/$tag.results" ] && grep '^# ' "$LOGS/$tag.results"
done

passed=$(grep -c '^ok ' "$OUT")
failed=$(grep -c '^not ok ' "$OUT")
echo
own=""
for c in $(printf '%s\n' "${!SUITES_OF[@]}" | sort); do own="$own; $c: ${SUITES_OF[$c]}"; done
echo "kernel x backend: passed/failed, VM wall time (suites: $SUITES$own${FILTER:+, filter '$FILTER'}; -j $JOBS, --smp $SMP, --mem $MEM)"
{
    printf 'kernel'; for b in $BACKENDS; do printf '\t%s' "$b$LABEL"; done; printf '\n'
    for k in $KERNELS; do
        printf '%s' "$k"; for b in $BACKENDS; do printf '\t%s' "${CELL[$k/$b]:-?}"; done; printf '\n'
    done
} | { if command -v column >/dev/null; then column -t -s $'\t'; else cat; fi; } | sed 's/^/  /'
echo "wall time ${WALL}s; logs: $LOGS$([ "$failed" = 0 ] && [ -n "$CLEAN" ] && echo ' (removed)')"
[ "$PLAN" = 1 ] && echo "1..$((passed + failed))"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ -n "$CLEAN" ] && rm -rf "$CLEAN"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
