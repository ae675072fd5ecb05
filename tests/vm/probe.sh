#!/usr/bin/env bash
# tests/vm/probe.sh - boot every cached kernel (or the NAMEs given) and report
# what the splicewatch design depends on:
#   uname -r, /sys/kernel/security/lsm, /sys/kernel/btf/vmlinux, kprobes
#   (kprobe_events + a test kprobe), mounted filesystems, and per function:
#   present in BTF (FUNC), in /proc/kallsyms, in available_filter_functions;
#   struct pipe_inode_info fields, struct folio; and (when clang is on the
#   host) whether kprobe / fentry / tp_btf / lsm programs load + attach
#   (bpftool prog loadall ... autoattach).
#
#   tests/vm/probe.sh [-v] [--no-progs] [NAME...]
#
# BTF and kallsyms are copied out of the guest and analysed with the host's
# bpftool (Debian ships only a stub System.map, so kallsyms is used instead).
# "BTF" means vmlinux BTF only (functions of modules such as ext4 are in
# /sys/kernel/btf/<module>); kallsyms shows "yes[module]" for module symbols;
# "ftrace" = listed in available_filter_functions (needed for fentry/fexit).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERBOSE=0
PROGS=1
NAMES=()
while [ $# -gt 0 ]; do
    case "$1" in
        -v) VERBOSE=1 ;;
        --no-progs) PROGS=0 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "probe.sh: unknown option $1" >&2; exit 2 ;;
        *) NAMES+=("$1") ;;
    esac
    shift
done
if [ ${#NAMES[@]} -eq 0 ]; then
    mapfile -t NAMES < <("$HERE/kernels.sh" list | awk '{print $1}')
    [ ${#NAMES[@]} -gt 0 ] || { echo "probe.sh: no cached kernels (run tests/vm/kernels.sh fetch)" >&2; exit 1; }
fi

FUNCS="copy_page_to_iter_pipe filemap_splice_read splice_folio_into_pipe generic_file_splice_read
shmem_file_splice_read page_cache_pipe_buf_release generic_perform_write iomap_file_buffered_write
filemap_dirty_folio folio_mark_dirty __set_page_dirty_nobuffers do_page_mkwrite vfs_fallocate
do_truncate bpf_lsm_file_permission bpf_lsm_file_truncate"

BPFTOOL=$(command -v bpftool || true)
[ -n "$BPFTOOL" ] || { echo "probe.sh: bpftool not found on the host" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sw-probe.XXXXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---- tiny BPF object: one program of each kind we care about
FILES=(--file "$TMP/guest-probe.sh:/sw/guest-probe.sh")
if [ "$PROGS" = 1 ] && command -v clang >/dev/null; then
    cat > "$TMP/progs.bpf.c" <<'EOF'
#define SEC(n) __attribute__((section(n), used))
char LICENSE[] SEC("license") = "GPL";
SEC("kprobe/vfs_read") int k_vfs_read(void *ctx) { return 0; }
SEC("fentry/vfs_read") int f_vfs_read(void *ctx) { return 0; }
SEC("tp_btf/sched_process_exec") int t_exec(void *ctx) { return 0; }
SEC("lsm/file_permission") int l_file_permission(void *ctx) { return 0; }
EOF
    if clang -O2 -g -target bpf -c "$TMP/progs.bpf.c" -o "$TMP/progs.bpf.o" 2>"$TMP/clang.log"; then
        # one object per program, so one failure does not hide the others
        for p in k_vfs_read f_vfs_read t_exec l_file_permission; do
            sed -n "/^#define/p;/^char/p;/ $p(/p" "$TMP/progs.bpf.c" > "$TMP/$p.bpf.c"
            clang -O2 -g -target bpf -c "$TMP/$p.bpf.c" -o "$TMP/$p.bpf.o"
            FILES+=(--file "$TMP/$p.bpf.o:/sw/progs/$p.bpf.o")
        done
        FILES+=(--file "$BPFTOOL:/sw/bpftool")
    else
        [ "$VERBOSE" = 1 ] && cat "$TMP/clang.log" >&2
        echo "probe.sh: clang cannot build BPF objects; skipping program loads" >&2
    fi
fi

cat > "$TMP/guest-probe.sh" <<'EOF'
#!/bin/sh
echo "uname: $(uname -r)"
echo "lsm: $(cat /sys/kernel/security/lsm 2>/dev/null || echo '?')"
if [ -e /sys/kernel/btf/vmlinux ]; then echo "btf: yes"; else echo "btf: no"; fi
if [ -e /sys/kernel/tracing/kprobe_events ]; then
    if echo 'p:sw_probe_test vfs_read' >> /sys/kernel/tracing/kprobe_events 2>/dev/null; then
        echo "kprobes: yes (kprobe_events, test kprobe on vfs_read ok)"
        echo '-:sw_probe_test' >> /sys/kernel/tracing/kprobe_events
    else
        echo "kprobes: kprobe_events exists, but a test kprobe on vfs_read failed"
    fi
else
    echo "kprobes: no (no /sys/kernel/tracing/kprobe_events)"
fi
echo "mounts:"
sed 's/^/    /' /proc/mounts
if [ -d /sw/progs ]; then
    for o in /sw/progs/*.bpf.o; do
        n=$(basename "$o" .bpf.o)
        if out=$(bpftool prog loadall "$o" /sys/fs/bpf/$n autoattach 2>&1); then
            echo "prog $n: loaded+attached"
        elif out2=$(bpftool prog loadall "$o" /sys/fs/bpf/${n}_noattach 2>&1); then
            case "$out" in
                *"failed to pin"*) echo "prog $n: loaded+attached (link not pinnable: perf-event kprobe link before 5.15)" ;;
                *) echo "prog $n: loaded, attach FAILED: $(echo "$out" | grep -i -m1 -E 'error|fail' )" ;;
            esac
        else
            echo "prog $n: load FAILED: $(echo "$out2" | grep -i -m1 -E 'error|fail|invalid')"
        fi
    done
fi
cp /sys/kernel/btf/vmlinux /out/btf 2>/dev/null
cut -d' ' -f2- /proc/kallsyms > /out/kallsyms
cp /sys/kernel/tracing/available_filter_functions /out/ftrace 2>/dev/null
true
EOF
chmod +x "$TMP/guest-probe.sh"

# member names of a struct/union in a bpftool "format c" dump; members of
# inline anonymous structs/unions and of anonymous members of a named type
# (e.g. 7.x "union pipe_index;" inside struct pipe_inode_info) are included.
struct_fields() { # "struct NAME" header-file
    local line t
    awk -v hdr="$1 {" '$0==hdr{on=1; next} on&&/^};/{exit} on' "$2" \
        | sed -E 's/^[[:space:]]+//' | while IFS= read -r line; do
            case "$line" in
                "struct {"*|"union {"*|"};"*) ;;
                struct\ *\;|union\ *\;)
                    t=${line%;}
                    case "$t" in *" "*" "*) ;; *) struct_fields "$t" "$2"; continue ;; esac ;;
            esac
            case "$line" in
                *"{"|"};"*) ;;
                "}"*) ;;
                *) line=${line%%;*}; line=${line%%:*}; line=${line##* }; line=${line##\*}
                   line=${line%%[[]*}; echo "${line%% *}" ;;
            esac
        done
}

probe_one() {
    local name=$1 out="$TMP/out-$1" rc=0 v="" t0 t1
    [ "$VERBOSE" = 1 ] && v=-v
    echo "=== kernel $name ($("$HERE/kernels.sh" list | awk -v n="$name" '$1==n{print $2}'))"
    t0=$(date +%s.%N)
    "$HERE/run-in-vm.sh" $v --kernel "$name" --timeout 300 --out "$out" "${FILES[@]}" \
        -- /sw/guest-probe.sh 2>"$TMP/err-$name" || rc=$?
    t1=$(date +%s.%N)
    [ "$VERBOSE" = 1 ] && cat "$TMP/err-$name" >&2
    echo "vm run: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')s, status $rc"
    if [ $rc -ne 0 ]; then cat "$TMP/err-$name" >&2; return 1; fi

    printf '%-30s %-4s %-9s %s\n' function BTF kallsyms ftrace
    local btfraw="$TMP/btf-$name.raw" btfc="$TMP/btf-$name.h" f b k t
    if [ -s "$out/btf" ]; then
        "$BPFTOOL" btf dump file "$out/btf" format raw > "$btfraw"
        "$BPFTOOL" btf dump file "$out/btf" format c > "$btfc"
    else
        : > "$btfraw"; : > "$btfc"
    fi
    for f in $FUNCS; do
        b=no; k=no; t=no
        grep -q "FUNC '$f' " "$btfraw" && b=yes
        # local symbols may carry a compiler suffix (.isra.0, .constprop.0, ...)
        # module symbols carry "[module]"
        k=$(awk -v f="$f" '{n=$2; m=($3 != "") ? $3 : ""; if (n==f && !exact) {exact=1; em=m}
                s=n; sub(/\..*/, "", s); if (s==f && alt=="") alt=n (m != "" ? m : "")}
                END {if (exact) print "yes" em; else if (alt!="") print alt}' "$out/kallsyms")
        [ -n "$k" ] || k=no
        if [ -s "$out/ftrace" ]; then
            awk -v f="$f" '$1==f{found=1} END{exit !found}' "$out/ftrace" && t=yes
        else t="?"; fi
        printf '%-30s %-4s %-9s %s\n' "$f" "$b" "$k" "$t"
    done
    local fields
    fields=$(struct_fields "struct pipe_inode_info" "$btfc" | tr '\n' ' ')
    echo "struct pipe_inode_info: $fields"
    local anon
    anon=$(awk '/^struct pipe_inode_info \{/{on=1; next} on&&/^\};/{exit} on' "$btfc" \
        | sed -nE 's/^[[:space:]]+((struct|union) [A-Za-z0-9_]+);$/\1/p' | tr '\n' ' ')
    [ -z "$anon" ] || echo "  (anonymous members of named type, e.g. head/tail may live there: $anon)"
    local want have=""
    for want in head tail ring_size bufs nrbufs curbuf buffers max_usage; do
        case " $fields " in *" $want "*) have="$have $want=yes" ;; *) have="$have $want=no" ;; esac
    done
    echo "pipe_inode_info fields:$have"
    if grep -q '^struct folio {' "$btfc"; then echo "struct folio: yes"; else echo "struct folio: no"; fi
    echo
}

rc=0
for n in "${NAMES[@]}"; do
    probe_one "$n" || rc=1
done
exit $rc
