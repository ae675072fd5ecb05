#!/bin/bash
# bench/run.sh: the cost of watching, measured side by side (`make bench`).
#
# Every workload runs without splicewatch (O), under `splicewatch trace --json
# >/dev/null` (T), under `splicewatch enforce --json >/dev/null` (E) and under
# `splicewatch trace --verify --json >/dev/null` (V, the content checks), in
# ONE run, alternating O T O E O V O T ... O. A batch runs all the workloads once;
# each T, E or V batch is judged against the mean of the O batches on either side
# of it, so slow drift of the machine cancels. Results are ratios (with/without):
# the median over the repetitions and the spread (min..max).
#
# Then: the floor (empty BPF programs where splicewatch attaches, and where it
# could attach instead), the event storm, the scale test, per-program BPF run
# time (kernel.bpf_stats_enabled=1, restored afterwards), frontend RSS and BPF
# map memory. The table goes to standard output and to bench/results.md.
#
# After the floor, the syscall loops once more, A/B inside one process
# (swbench ab): the programs switched on and off between phases of 13-40 ms.
#
# Knobs (environment): BENCH_REPS (5), BENCH_FLOOR_REPS (5), BENCH_AB_ROUNDS
# (40), BENCH_N (1000000), BENCH_TMPFS (/dev/shm), BENCH_EXT4 (/var/tmp),
# BENCH_STORM_SECS (1.5), BENCH_FIO_RUNTIME (700ms).
set -u
cd "$(dirname "$0")/.." || exit 2

SW=./splicewatch
SWB=bench/build/swbench
LOADER=bench/build/empty_loader
EMPTY_OBJ=bench/build/empty.bpf.o
RESULTS=bench/results.md

REPS=${BENCH_REPS:-5}
FLOOR_REPS=${BENCH_FLOOR_REPS:-5}
N=${BENCH_N:-1000000}
TMPFS=${BENCH_TMPFS:-/dev/shm}
EXT4=${BENCH_EXT4:-/var/tmp}
STORM_SECS=${BENCH_STORM_SECS:-1.5}
FIO_RUNTIME=${BENCH_FIO_RUNTIME:-700ms}
FIO_FILE=$EXT4/swbench.$$.fio

WORK=$(mktemp -d /tmp/swbench-run.XXXXXX)
RAW=$WORK/raw.tsv		# seq cond workload value(ns per op, lower is better)
FLOOR=$WORK/floor.tsv
NOTES=$WORK/notes.txt
STATS=$WORK/progstats.tsv
T_START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

for f in "$SW" "$SWB" "$LOADER" "$EMPTY_OBJ"; do
	[ -e "$f" ] || { echo "bench: $f missing (run 'make bench')" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 2; }

SWPID=
LPID=
MOUNTED_TRACEFS=
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	[ -n "$SWPID" ] && kill -INT "$SWPID" 2>/dev/null && wait "$SWPID" 2>/dev/null
	[ -n "$LPID" ] && kill -INT "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD" >/dev/null 2>&1
	[ -n "$MOUNTED_TRACEFS" ] && umount /sys/kernel/tracing 2>/dev/null
	rm -f "$FIO_FILE" "$TMPFS"/swbench-storm.$$.json
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%3ds] %s\n' $(($(date +%s) - T_START)) "$*" >&2; }
note() { echo "$*" >>"$NOTES"; }

# ---- splicewatch and loader sessions --------------------------------------

# Tracing programs (tp_btf, raw_tp, tracepoint, kprobe, ...) loaded by anyone but
# this script: another splicewatch (a test suite, a colleague's `stats`) taxes
# both sides of every comparison. Prints how many.
foreign_sw() {
	local own
	own=$(for p in $SWPID $LPID; do cat /proc/"$p"/fdinfo/* 2>/dev/null; done |
		awk '$1 == "prog_id:" {printf "%s%s", sep, $2; sep = ","}')
	bpftool prog show --json 2>/dev/null |
		jq --argjson own "[${own}]" '[.[] | select(.type | test("tracing|tracepoint|kprobe|perf_event|lsm"))
			| select(.id as $i | $own | index($i) | not)] | length' 2>/dev/null || echo 0
}

# Wait (at most 15 s here, BENCH_WAIT_BUDGET s in all) for other splicewatch
# instances to go; prints how many are still loaded.
WAIT_BUDGET=${BENCH_WAIT_BUDGET:-30}
WAITED=0
wait_clean() {
	local n t=0
	n=$(foreign_sw)
	while ((n > 0 && WAITED < WAIT_BUDGET && t < 15)); do
		sleep 1
		WAITED=$((WAITED + 1))
		t=$((t + 1))
		n=$(foreign_sw)
	done
	echo "$n"
}

# sw_try_start trace|enforce [extra options]: start and wait until attached;
# 1 if it did not start (its stderr in $SWERR).
sw_try_start() {
	local mode=$1 i
	shift
	SWERR=$WORK/sw.err
	: >"$SWERR"
	# Standard output to /dev/null: -o takes only a regular file or a FIFO.
	"$SW" "$mode" --json ${SWOUT:+-o "$SWOUT"} "$@" >/dev/null 2>"$SWERR" &
	SWPID=$!
	for ((i = 0; i < 600; i++)); do
		grep -q 'Ctrl-C to stop' "$SWERR" && return 0
		kill -0 "$SWPID" 2>/dev/null || break
		sleep 0.02
	done
	kill "$SWPID" 2>/dev/null
	wait "$SWPID" 2>/dev/null
	SWPID=
	return 1
}

# sw_start trace|enforce [extra options]: start and wait until attached, or exit.
sw_start() {
	sw_try_start "$@" && return 0
	echo "bench: splicewatch $1 did not start:" >&2
	cat "$SWERR" >&2
	exit 1
}

# Frontend memory (kB) before stopping: VmHWM VmRSS.
sw_mem() { awk '/^VmHWM:/{h=$2} /^VmRSS:/{r=$2} END{print h, r}' "/proc/$SWPID/status"; }

sw_ids() { # prog|map ids held open by the frontend
	cat /proc/"$SWPID"/fdinfo/* 2>/dev/null | awk -v k="$1_id:" '$1 == k {print $2}' | sort -un
}

sw_stop() {
	kill -INT "$SWPID"
	wait "$SWPID"
	SWPID=
	SUMMARY=$(grep 'unsafe writes detected' "$SWERR" | tail -1)
}

loader_start() {
	local i
	: >"$WORK/loader.err"
	"$LOADER" "$EMPTY_OBJ" "$@" 2>"$WORK/loader.err" &
	LPID=$!
	for ((i = 0; i < 500; i++)); do
		grep -q attached "$WORK/loader.err" && return 0
		kill -0 "$LPID" 2>/dev/null || break
		sleep 0.02
	done
	wait "$LPID" 2>/dev/null
	LPID=
	return 1
}

loader_stop() {
	kill -INT "$LPID"
	wait "$LPID"
	LPID=
}

# ---- workloads -------------------------------------------------------------
# Each prints ns per operation (lower is better).

# best_ns (fastest tenth of the loop x 10) when the workload reports it, else ns.
per_op() { awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
	printf "%.3f\n", (v["best_ns"] != "" ? v["best_ns"] : v["ns"]) / v["ops"]}'; }

fio_ns() { # fio_ns JOBARGS...: ns per I/O from fio's IOPS
	fio --output-format=json --time_based --runtime="$FIO_RUNTIME" --filename="$FIO_FILE" \
		--size=64M --randrepeat=1 "$@" 2>/dev/null |
		jq -r '.jobs[0] | (.read.iops + .write.iops) | if . > 0 then 1e9 / . else "nan" end'
}

wl_run() {
	case $1 in
	w1a) "$SWB" pwrite "$TMPFS" "$N" | per_op ;;
	w1b) "$SWB" pwrite-held "$TMPFS" "$N" | per_op ;;
	w2w) fio_ns --name=randwrite --rw=randwrite --bs=4k --ioengine=sync ;;
	w2s) fio_ns --name=splice --rw=read --bs=64k --ioengine=splice ;;
	w3) "$SWB" splice "$TMPFS" 4096 | per_op ;;
	w4) "$SWB" samefile "$TMPFS" "$N" | per_op ;;
	w5) "$SWB" getppid "$N" | per_op ;;
	esac
}
WORKLOADS="w1a w1b w2w w2s w3 w4 w5"

wl_title() {
	case $1 in
	w1a) echo "1a pwrite 16 B tmpfs, nothing held" ;;
	w1b) echo "1b pwrite 16 B tmpfs, other file held" ;;
	w2w) echo "2 fio sync 4k randwrite ext4" ;;
	w2s) echo "2 fio splice engine read 64k" ;;
	w3) echo "3 splice file->pipe->/dev/null 64k" ;;
	w4) echo "4 pwrite, same file held elsewhere" ;;
	w5) echo "5 getppid loop" ;;
	w6) echo "6 event storm (trace --json -o FILE)" ;;
	w7) echo "7 scale: 256k held vs 1 held, per write, over the same without splicewatch" ;;
	w7p) echo "7' scale: 256k held vs 2 held (same path), over the same without" ;;
	w7s) echo "7 setup: splice 1000 x 1 MiB into pipes" ;;
	mem) echo "frontend peak RSS (VmHWM)" ;;
	esac
}

# ---- statistics ------------------------------------------------------------

# ratios FILE: for every non-O row (seq cond workload value clean), value / mean
# of the O values of seq-1 and seq+1. A ratio is clean when all three batches
# ran with no other splicewatch loaded; with 3 or more clean ratios only those
# count. Prints: cond workload median min max n_used n_all used(clean|all)
ratios() {
	awk '
	{ v[$1 "," $3] = $4; cl[$1] = ($5 == "" ? 1 : $5); c[$1] = $2; w[$3] = 1; if ($1 > max) max = $1 }
	END {
		for (s = 1; s <= max; s++) {
			if (c[s] == "O") continue
			for (k in w) {
				a = v[(s - 1) "," k]; b = v[(s + 1) "," k]; x = v[s "," k]
				if (a == "" || b == "" || x == "" || a + b <= 0 || x == "nan") continue
				key = c[s] " " k; x = x / ((a + b) / 2)
				n[key]++; r[key, n[key]] = x
				if (cl[s - 1] && cl[s] && cl[s + 1]) { nc[key]++; rc[key, nc[key]] = x }
			}
		}
		for (key in n) {
			use = (nc[key] >= 3) ? "clean" : "all"
			m = (use == "clean") ? nc[key] : n[key]
			for (i = 1; i <= m; i++) t[i] = (use == "clean") ? rc[key, i] : r[key, i]
			for (i = 2; i <= m; i++) { y = t[i]; for (j = i - 1; j >= 1 && t[j] > y; j--) t[j + 1] = t[j]; t[j + 1] = y }
			med = (m % 2) ? t[(m + 1) / 2] : (t[m / 2] + t[m / 2 + 1]) / 2
			printf "%s %.4f %.4f %.4f %d %d %s\n", key, med, t[1], t[m], m, n[key], use
		}
	}' "$1"
}

# median of the numbers on stdin (one per line), and min, max
med_min_max() {
	sort -g | awk '{t[NR] = $1} END { if (!NR) { print "nan nan nan"; exit }
		m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; print m, t[1], t[NR] }'
}

verdict() { # verdict VALUE OP LIMIT -> PASS|MISS
	awk -v x="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (x == "nan" || x == "") { print "n/a"; exit }
		ok = (op == "<=") ? (x <= l) : (op == ">=") ? (x >= l) : (x >= 1 - l && x <= 1 + l)
		print ok ? "PASS" : "MISS" }'
}

# ---- 0. setup ----------------------------------------------------------------

log "setup: $(nproc) CPUs, kernel $(uname -r), reps=$REPS, N=$N"
n=$(foreign_sw)
for ((i = 0; i < 15 && n > 0; i++)); do
	((i == 0)) && log "$n tracing BPF programs of someone else are loaded; waiting up to 15 s for them to go"
	sleep 1
	n=$(foreign_sw)
done
((n > 0)) && note "- Someone else's tracing BPF programs (another splicewatch?) were loaded when the run started: they tax both sides of every comparison."
if ! mountpoint -q /sys/kernel/tracing && mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
	MOUNTED_TRACEFS=1	# libbpf reads tracepoint ids from tracefs
fi
# fio lays its file out once, outside the timed runs.
fio --name=layout --filename="$FIO_FILE" --size=64M --rw=write --bs=1M --ioengine=sync \
	--output-format=terse >/dev/null 2>&1 || { echo "bench: fio failed" >&2; exit 1; }
# Warm the workload binary and the page cache.
wl_run w1a >/dev/null

# ---- 1. the main alternation: O T O E O V ... O ---------------------------------

seq=0
contaminated=0
SESSION_MEM=$WORK/mem.tsv
batch() { # batch COND
	local cond=$1 w v f0 clean=1
	f0=$(wait_clean)
	for w in $WORKLOADS; do
		v=$(wl_run "$w")
		echo "$seq $cond $w ${v:-nan}" >>"$RAW.tmp"
	done
	if ((f0 > 0 || $(foreign_sw) > 0)); then
		clean=0
		contaminated=$((contaminated + 1))
	fi
	sed "s/\$/ $clean/" "$RAW.tmp" >>"$RAW"
	rm -f "$RAW.tmp"
	seq=$((seq + 1))
}
log "main: $((6 * REPS + 1)) batches of [$WORKLOADS], O T O E O V ... O"
batch O
for ((r = 0; r < REPS; r++)); do
	for mode in T E V; do
		case $mode in
		T) sw_start trace ;;
		E) sw_start enforce ;;
		V) sw_start trace --verify ;;
		esac
		batch $mode
		echo "$mode $(sw_mem)" >>"$SESSION_MEM"
		if [ $mode = T ] && [ $r = 0 ]; then
			MAP_IDS_DEFAULT=$(sw_ids map)
			MAPS_DEFAULT=$(for id in $MAP_IDS_DEFAULT; do bpftool map show id "$id" --json; done |
				jq -rs '.[] | [.name, .type, .max_entries, .bytes_memlock] | @tsv')
		fi
		sw_stop
		batch O
	done
	log "main: rep $((r + 1))/$REPS done"
done
((contaminated > 0)) && note "- Main: $contaminated of $seq batches ran while someone else's tracing BPF programs (another splicewatch, a test suite) were loaded; they tax both sides. Ratios use only clean O-X-O triples when there are 3 or more (see the n column)."
ratios "$RAW" >"$WORK/ratios.txt"

# ---- 2. the floor: empty programs ------------------------------------------------

# F1 tp_btf/sys_enter empty, F2 tp_btf sys_enter+sys_exit empty, F3 the
# early-exit gate alone (what sw_sys_enter does with nothing held),
# F4 tracepoint/syscalls/sys_enter_pwrite64 empty, F5 fentry/__x64_sys_pwrite64,
# F6 the per-syscall tracepoints the tracepoint backend would need (every
# syscall it checks or learns from, getppid included: start-up and heartbeat),
# F7 the same without getppid (had the handshake moved to another syscall).
PS_PROGS=$(readelf -sW "$EMPTY_OBJ" | awk '$4 == "FUNC" && $8 ~ /^ps_/ {print $8}' | sort | tr '\n' ' ')
floor_progs() {
	case $1 in
	F1) echo empty_enter ;;
	F2) echo empty_enter empty_exit ;;
	F3) echo gate_enter ;;
	F4) echo tp_pwrite_enter ;;
	F5) echo fentry_pwrite ;;
	F6) echo "$PS_PROGS" ;;
	F7) echo "$PS_PROGS" | tr ' ' '\n' | grep -v getppid | tr '\n' ' ' ;;
	esac
}
floor_title() {
	case $1 in
	F1) echo "empty tp_btf/sys_enter" ;;
	F2) echo "empty tp_btf/sys_enter + tp_btf/sys_exit" ;;
	F3) echo "tp_btf/sys_enter gate (load global, return)" ;;
	F4) echo "empty tracepoint/syscalls/sys_enter_pwrite64" ;;
	F5) echo "empty fentry/__x64_sys_pwrite64" ;;
	F6) echo "empty per-syscall tracepoints, the tracepoint backend's set ($(wc -w <<<"$PS_PROGS") programs)" ;;
	F7) echo "the same without getppid's ($(($(wc -w <<<"$PS_PROGS") - 2)) programs)" ;;
	esac
}
FCONDS=""
FLOOR_WORKLOADS="w1a w3 w5"
for c in F1 F2 F3 F4 F5 F6 F7; do
	# shellcheck disable=SC2046
	if loader_start $(floor_progs $c); then
		loader_stop
		FCONDS="$FCONDS $c"
	else
		note "- Floor $(floor_title $c): could not load/attach here ($(tail -1 "$WORK/loader.err"))."
	fi
done
log "floor: conditions$FCONDS, $FLOOR_REPS reps, workloads $FLOOR_WORKLOADS"
fseq=0
fcontaminated=0
fbatch() {
	local w v f0 clean=1
	f0=$(wait_clean)
	for w in $FLOOR_WORKLOADS; do
		v=$(wl_run "$w")
		echo "$fseq $1 $w ${v:-nan}" >>"$FLOOR.tmp"
	done
	if ((f0 > 0 || $(foreign_sw) > 0)); then
		clean=0
		fcontaminated=$((fcontaminated + 1))
	fi
	sed "s/\$/ $clean/" "$FLOOR.tmp" >>"$FLOOR"
	rm -f "$FLOOR.tmp"
	fseq=$((fseq + 1))
}
fbatch O
for ((r = 0; r < FLOOR_REPS; r++)); do
	for c in $FCONDS; do
		# shellcheck disable=SC2046
		loader_start $(floor_progs $c) || continue
		fbatch "$c"
		loader_stop
		fbatch O
	done
done
((fcontaminated > 0)) && note "- Floor: $fcontaminated of $fseq batches ran while someone else's tracing BPF programs were loaded."
ratios "$FLOOR" >"$WORK/floor_ratios.txt"

# ---- 2b. A/B inside one process ------------------------------------------------------

# The same loop's speed moves by up to 30% from one process to the next here
# (memory placement, most likely), which the cross-process alternation above
# reads as spread. swbench ab keeps one process and switches the programs on
# and off between phases of 13-40 ms (SPLICEWATCH_BENCH_TOGGLE, empty_loader):
# T, E, and F2 (the floor of this host's attach points) for the syscall loops;
# TT, trace with the backup syscall hooks forced on (SPLICEWATCH_BACKUP_HOOKS=1),
# for what they cost where the kernel needs them (7.x).
AB_ROUNDS=${BENCH_AB_ROUNDS:-40}
AB_WORKLOADS="w1a w1b w3 w4 w5"
AB_BACKUP_WORKLOADS="w1a w1b w3"
ab_load() { case $1 in w1a) echo pwrite ;; w1b) echo pwrite-held ;; w3) echo splice ;; w4) echo samefile ;; w5) echo getppid ;; esac; }
ab_ops() { case $1 in w3) echo $((N / 200)) ;; *) echo $((N / 10)) ;; esac; }
ab_pass() { # ab_pass COND PID WORKLOAD...: cond workload ratio min max p25 p75 ns_per_op_without
	local cond=$1 pid=$2 w
	shift 2
	for w in "$@"; do
		"$SWB" ab "$pid" "$(ab_load "$w")" "$TMPFS" "$(ab_ops "$w")" "$AB_ROUNDS" |
			awk -v c="$cond" -v w="$w" '{for (i = 2; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
				print c, w, v["ratio"], v["min"], v["max"], v["p25"], v["p75"], v["without_ns_per_op"]}' >>"$WORK/ab.tsv"
	done
}
log "ab: $AB_ROUNDS rounds of phases with/without inside one process: T E F2 x [$AB_WORKLOADS], TT x [$AB_BACKUP_WORKLOADS]"
: >"$WORK/ab.tsv"
(($(wait_clean) > 0)) && note "- A/B: someone else's tracing BPF programs were loaded when it started."
export SPLICEWATCH_BENCH_TOGGLE=1
for mode in trace enforce; do
	sw_start $mode
	# shellcheck disable=SC2086
	ab_pass "$(echo $mode | cut -c1 | tr te TE)" "$SWPID" $AB_WORKLOADS
	sw_stop
done
export SPLICEWATCH_BACKUP_HOOKS=1
sw_start trace
# shellcheck disable=SC2086
ab_pass TT "$SWPID" $AB_BACKUP_WORKLOADS
sw_stop
unset SPLICEWATCH_BENCH_TOGGLE SPLICEWATCH_BACKUP_HOOKS
# The floor of each syscall attach: raw (F2), per-syscall (F6, F7), none
# (F5, fentry on one syscall: where it loads).
for c in F2 F6 F7 F5; do
	# shellcheck disable=SC2046
	loader_start $(floor_progs "$c") || continue
	# shellcheck disable=SC2086
	ab_pass "$c" "$LPID" $FLOOR_WORKLOADS
	loader_stop
done

# ---- 3. event storm ------------------------------------------------------------------

log "storm: 3 x ${STORM_SECS}s of pwrite into a held page, trace --json -o FILE"
STORM_OUT=$TMPFS/swbench-storm.$$.json
: >"$WORK/storm.tsv"
(($(wait_clean) > 0)) && note "- Storm: someone else's tracing BPF programs were loaded when it started."
for ((r = 0; r < 3; r++)); do
	rm -f "$STORM_OUT"
	SWOUT=$STORM_OUT sw_start trace
	line=$("$SWB" storm "$TMPFS" "$STORM_SECS")
	lines_at_end=$(wc -l <"$STORM_OUT")
	mem=$(sw_mem)
	RING=$(for id in $(sw_ids map); do bpftool map show id "$id" --json; done |
		jq -r 'select(.type == "ringbuf") | .max_entries')
	sw_stop
	echo "S $mem" >>"$SESSION_MEM"
	lines_total=$(wc -l <"$STORM_OUT")
	ns=$(echo "$line" | sed -n 's/.*ns=\([0-9]*\).*/\1/p')
	writes=$(echo "$line" | sed -n 's/.*ops=\([0-9]*\).*/\1/p')
	detected=$(echo "$SUMMARY" | sed -n 's/.*: \([0-9]*\) unsafe writes detected.*/\1/p')
	shown=$(echo "$SUMMARY" | sed -n 's/.*, \([0-9]*\) shown.*/\1/p')
	lost=$(echo "$SUMMARY" | sed -n 's/.*, \([0-9]*\) lost records.*/\1/p')
	echo "$ns $writes $lines_at_end $lines_total $detected $shown $lost" >>"$WORK/storm.tsv"
done
rm -f "$STORM_OUT"

# ---- 4. scale ------------------------------------------------------------------

SCALE_N=$((N / 5))
log "scale: 1000 pipes x 1 MiB held (--max-holds 300000), $SCALE_N pwrites per round, O T O"
scale_run() { "$SWB" scale "$TMPFS" "$SCALE_N" 5 1000; }
(($(wait_clean) > 0)) && note "- Scale: someone else's tracing BPF programs were loaded when it started."
scale_run >"$WORK/scale_O1.txt"
sw_start trace --max-holds 300000
BSS_ID=$(for id in $(sw_ids map); do bpftool map show id "$id" --json; done |
	jq -r 'select(.name | endswith(".bss")) | .id')
(	# sample the held-pages counter while the scale test runs
	while :; do
		bpftool map dump id "$BSS_ID" --json 2>/dev/null |
			jq -r '.[0].formatted.value[".bss"][0].counters[0] // empty'
		sleep 0.1
	done
) >"$WORK/held_samples.txt" 2>/dev/null &
SAMPLER=$!
scale_run >"$WORK/scale_T.txt"
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
MAPS_SCALE=$(for id in $(sw_ids map); do bpftool map show id "$id" --json; done |
	jq -rs 'map(.bytes_memlock) | add')
echo "7 $(sw_mem)" >>"$SESSION_MEM"
sw_stop
SCALE_SUMMARY=$SUMMARY
scale_run >"$WORK/scale_O2.txt"
HELD_MAX=$(sort -n "$WORK/held_samples.txt" | tail -1)

# Frontend RSS with a small ring: how much of it is the ring buffer mapping.
sw_start trace --ringbuf-kib 1024
echo "R $(sw_mem)" >>"$SESSION_MEM"
RSS_DETAIL=$(awk '/^Rss(Anon|File|Shmem):/ {printf "%s %s kB  ", $1, $2}' /proc/"$SWPID"/status)
sw_stop

# ---- 5. per-program cost (bpf_stats) ------------------------------------------------

log "bpf_stats: per-program run count and time, one pass per workload (trace)"
sysctl -q -w kernel.bpf_stats_enabled=1
prog_snap() { # prog_snap IDS...: name run_cnt run_time_ns
	local id
	for id in "$@"; do
		bpftool prog show id "$id" --json | jq -r '[.name, (.run_cnt // 0), (.run_time_ns // 0)] | @tsv'
	done
}
stat_pass() { # stat_pass LABEL CMD...
	local label=$1
	shift
	prog_snap $PIDS >"$WORK/snap0"
	"$@" >/dev/null
	prog_snap $PIDS >"$WORK/snap1"
	paste "$WORK/snap0" "$WORK/snap1" | awk -v l="$label" -F'\t' \
		'{ c = $5 - $2; t = $6 - $3; printf "%s\t%s\t%d\t%.0f\t%.1f\n", l, $1, c, c ? t / c : 0, t / 1e6 }' >>"$STATS"
}
sw_start trace --max-holds 300000
PIDS=$(sw_ids prog)
for w in $WORKLOADS; do
	stat_pass "$w" wl_run "$w"
done
stat_pass w6 "$SWB" storm "$TMPFS" 0.5
stat_pass w7 "$SWB" scale "$TMPFS" "$((N / 10))" 1 1000
sw_stop
# The same accounting around empty programs: what bpf_stats itself adds.
if loader_start empty_enter empty_exit; then
	PIDS=$(cat /proc/"$LPID"/fdinfo/* | awk '$1 == "prog_id:" {print $2}' | sort -un)
	stat_pass floor wl_run w1a
	loader_stop
fi
sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD"

# ---- 5b. unrelated syscalls: program runs per 1,000,000 getppid ---------------------

# Per backend this host runs: every attached program's run_cnt before and after
# one loop of RUNS_N getppid (other tasks' syscalls meanwhile count too), then
# the same loop A/B inside one process. Floors of each syscall attach: ab.tsv.
RUNS_N=1000000
log "runs: per backend, $RUNS_N getppid with bpf_stats on, then A/B"
: >"$WORK/runs.tsv"	# backend attach program before after
: >"$WORK/runs_ab.tsv"	# backend attach ratio min max p25 p75
: >"$WORK/runs_na.tsv"	# backend why
sysctl -q -w kernel.bpf_stats_enabled=1
export SPLICEWATCH_BENCH_TOGGLE=1
for b in fentry kprobe tracepoint; do
	if ! sw_try_start trace --backend "$b"; then
		printf '%s\t%s\n' "$b" "$(grep -v '^$' "$SWERR" | tail -1)" >>"$WORK/runs_na.tsv"
		continue
	fi
	attach=$("$SW" features --json 2>/dev/null | jq -r --arg b "$b" '.syscall_attach[$b] // "?"')
	PIDS=$(sw_ids prog)
	# shellcheck disable=SC2086
	prog_snap $PIDS >"$WORK/runs0"
	"$SWB" getppid "$RUNS_N" >/dev/null
	# shellcheck disable=SC2086
	prog_snap $PIDS >"$WORK/runs1"
	paste "$WORK/runs0" "$WORK/runs1" | awk -v b="$b" -v a="$attach" -F'\t' \
		'{printf "%s\t%s\t%s\t%d\t%d\n", b, a, $1, $2, $5}' >>"$WORK/runs.tsv"
	# The A/B without bpf_stats' two clock reads per run, as the other A/B rows.
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD"
	"$SWB" ab "$SWPID" getppid "$TMPFS" "$((N / 10))" "$AB_ROUNDS" |
		awk -v b="$b" -v a="$attach" '{for (i = 2; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
			print b, a, v["ratio"], v["min"], v["max"], v["p25"], v["p75"]}' >>"$WORK/runs_ab.tsv"
	sw_stop
	sysctl -q -w kernel.bpf_stats_enabled=1
done
unset SPLICEWATCH_BENCH_TOGGLE
sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD"

# ---- 6. report -----------------------------------------------------------------------

ratio_of() { awk -v c="$1" -v w="$2" '$1 == c && $2 == w {print $3, $4, $5, $6, $7, $8}' "$3"; }
fmt_row() { # fmt_row WORKLOAD MODE "med min max [n_used n_all clean|all]" TARGET_TEXT OP LIMIT
	local med lo hi nu na use extra=""
	read -r med lo hi nu na use <<<"$3"
	[ -n "$use" ] && extra=" (n=$nu$([ "$use" = all ] && echo ", contaminated" || { [ "$nu" != "$na" ] && echo " clean of $na"; }))"
	printf '| %s | %s | %s | %s..%s%s | %s | %s | %s |\n' "$(wl_title "$1")" "$2" \
		"$(printf '%.3fx' "${med:-nan}")" "$(printf '%.3f' "${lo:-nan}")" "$(printf '%.3f' "${hi:-nan}")" "$extra" \
		"$(floor_of "$1")" "$4" "$(if [ "$5" = - ]; then echo -; else verdict "$med" "$5" "$6"; fi)"
}
# The head of a table with a column per floor workload: FIRST column's title,
# and what follows each workload's.
floor_table_head() {
	printf '| %s |' "$1"
	for w in $FLOOR_WORKLOADS; do printf ' %s%s |' "$(wl_title "$w" | cut -d' ' -f1-2)" "$2"; done
	printf '\n|---|'
	for w in $FLOOR_WORKLOADS; do printf -- '---|'; done
	echo
}

# The floor of a workload: its ratio with empty programs where this host's
# splicewatch attaches (F2: tp_btf/sys_enter + sys_exit), in the same run.
floor_of() {
	local f
	case " $FLOOR_WORKLOADS " in *" $1 "*) ;; *) echo -; return ;; esac
	f=$(ratio_of F2 "$1" "$WORK/floor_ratios.txt")
	if [ -n "$f" ]; then awk '{printf "%.3fx", $1}' <<<"$f"; else echo -; fi
}
target_of() {
	case $1 in
	w1a) echo "<= 1.15" ;;
	w1b) echo "<= 1.4" ;;
	w2w | w2s) echo "<= 1.03" ;;
	w3) echo "<= 1.10" ;;
	*) echo "-" ;;
	esac
}

{
	echo "# splicewatch benchmark results"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, splicewatch $($SW --version 2>/dev/null | awk '{print $2}'), git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet -- bpf src include 2>/dev/null || echo '+dirty')."
	echo "Ratios are (time per operation with splicewatch) / (without), from $REPS"
	echo "alternations O T O E O V ... O in one run; each T/E/V batch is compared with the mean of"
	echo "the O batches on either side. T = \`trace --json >/dev/null\`, E = \`enforce --json >/dev/null\`,"
	echo "V = \`trace --verify --json >/dev/null\` (content checks: docs/content-checks.md)."
	echo "Targets are figures to compare against, not tests. Load average at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "(the machine is shared; other work shows up as spread, and the alternation cancels slow drift)."
	echo
	echo "| Workload | Mode | Ratio (median) | min..max (n) | Floor: empty hooks | Target | Verdict |"
	echo "|---|---|---|---|---|---|---|"
	for w in $WORKLOADS; do
		t=$(target_of "$w")
		lim=${t#* }
		op=${t% *}
		for c in T E V; do
			case $c in
			T) mode=trace ;;
			E) mode=enforce ;;
			V) mode="trace --verify" ;;
			esac
			# The targets are trace's and enforce's; V's cost is a figure.
			if [ $c = V ]; then
				fmt_row "$w" "$mode" "$(ratio_of "$c" "$w" "$WORK/ratios.txt")" - - -
			else
				fmt_row "$w" "$mode" "$(ratio_of "$c" "$w" "$WORK/ratios.txt")" "$t" "$op" "$lim"
			fi
		done
	done
	# storm
	rates=$(awk '{printf "%.0f\n", $3 / ($1 / 1e9)}' "$WORK/storm.tsv" | med_min_max)
	read -r smed slo shi <<<"$rates"
	exact=$(awk '{ if ($5 != $6 + $7 || $2 != $5 || $4 != $6) bad++ } END { print bad ? "no" : "yes" }' "$WORK/storm.tsv")
	lost_tot=$(awk '{s += $7} END {print s + 0}' "$WORK/storm.tsv")
	sv=$(verdict "$smed" ">=" 200000)
	[ "$exact" = yes ] || sv=MISS
	printf '| %s | trace | %s ev/s | %s..%s ev/s | - | >= 200000 ev/s, lost exact | %s (lost %s, exact: %s) |\n' \
		"$(wl_title w6)" "$smed" "$slo" "$shi" "$sv" "$lost_tot" "$exact"
	# scale
	# big/small and big/pair per round under trace, each divided by the median of
	# the same quotient without splicewatch (rounds O1 and O2): the workload's own
	# shape (page-cache state after a round of 1000 holds) is not splicewatch's cost.
	scale_quotients() { # FILE PREFIX: PREFIX_small, PREFIX_pair, one quotient a line
		awk -v out="$WORK/$2" '/^round=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			print v["big_best"] / v["small_best"] > (out "_small"); print v["big_best"] / v["pair_best"] > (out "_pair") }' "$1"
	}
	cat "$WORK/scale_O1.txt" "$WORK/scale_O2.txt" >"$WORK/scale_O.txt"
	scale_quotients "$WORK/scale_O.txt" o
	scale_quotients "$WORK/scale_T.txt" t
	for k in small pair; do
		read -r omed _ <<<"$(med_min_max <"$WORK/o_$k")"
		awk -v o="$omed" '{print $1 / o}' "$WORK/t_$k" >"$WORK/s_$k"
	done
	fmt_row w7 trace "$(med_min_max <"$WORK/s_small")" "within 10%" "~" 0.10
	fmt_row w7p trace "$(med_min_max <"$WORK/s_pair")" "within 10%" "~" 0.10
	setup_o=$(cat "$WORK/scale_O1.txt" "$WORK/scale_O2.txt" | sed -n 's/.*hold_setup_ns=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s / NR}')
	setup_t=$(sed -n 's/.*hold_setup_ns=\([0-9]*\).*/\1/p' "$WORK/scale_T.txt")
	printf '| %s | trace | %.2fx | (1 run, mean of 5 rounds) | - | - | - |\n' "$(wl_title w7s)" \
		"$(awk -v a="$setup_t" -v b="$setup_o" 'BEGIN {print a / b}')"
	hwm=$(awk '$1 != "R" {if ($2 > m) m = $2} END {print m}' "$SESSION_MEM")
	printf '| %s | all | %.1f MiB | idle %s..%s MiB | - | <= 16 MiB | %s |\n' "$(wl_title mem)" "$(awk -v k="$hwm" 'BEGIN {print k / 1024}')" \
		"$(awk '$1 == "T" || $1 == "E" {print $2}' "$SESSION_MEM" | sort -n | head -1 | awk '{printf "%.1f", $1 / 1024}')" \
		"$(awk '$1 == "T" || $1 == "E" {print $2}' "$SESSION_MEM" | sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}')" \
		"$(verdict "$hwm" "<=" 16384)"
	echo
	echo "## A/B inside one process (the steadier figure for the syscall loops)"
	echo
	echo "One swbench process per row times N operations with the programs attached, then"
	echo "detached (or the reverse: ABBA), $AB_ROUNDS rounds; splicewatch switches its programs"
	echo "on and off between phases (SPLICEWATCH_BENCH_TOGGLE=1, bench only). Ratio = median"
	echo "over rounds of (with / without); the floor is the same for empty tp_btf/sys_enter +"
	echo "sys_exit programs (empty_loader). \"trace, backup hooks on\": the tracepoint backend's backup"
	echo "syscall hooks forced on (SPLICEWATCH_BACKUP_HOOKS=1), as on kernels that can skip their runs."
	echo
	echo "| Workload | Mode | Ratio (median) | p25..p75 | min..max | Floor: empty hooks | Target | Verdict |"
	echo "|---|---|---|---|---|---|---|---|"
	for w in $AB_WORKLOADS; do
		t=$(target_of "$w")
		f=$(awk -v w="$w" '$1 == "F2" && $2 == w {printf "%.3fx", $3}' "$WORK/ab.tsv")
		for c in T E TT; do
			# The targets are for what runs here by default; backup hooks are off here.
			ct=$t
			case $c in T) mode=trace ;; E) mode=enforce ;; TT) mode="trace, backup hooks on" ct=- ;; esac
			awk -v c="$c" -v w="$w" '$1 == c && $2 == w' "$WORK/ab.tsv" | while read -r _ _ med lo hi q1 q3 _; do
				printf '| %s | %s | %.3fx | %.3f..%.3f | %.3f..%.3f | %s | %s | %s |\n' "$(wl_title "$w")" "$mode" \
					"$med" "$q1" "$q3" "$lo" "$hi" "${f:--}" "$ct" \
					"$(if [ "$ct" = - ]; then echo -; else verdict "$med" "${ct% *}" "${ct#* }"; fi)"
			done
		done
	done
	echo
	printf 'Without the programs (median phase), ns per operation:'
	awk '$1 == "T" {printf " %s %.1f", $2, $8}' "$WORK/ab.tsv"
	echo "."
	echo
	echo "### The floor of each syscall attach, A/B inside one process"
	echo
	echo "Empty programs (empty_loader), the same $AB_ROUNDS rounds; ratio median (p25..p75, min..max)."
	echo
	floor_table_head 'Syscall attach: empty programs' ''
	for c in F2 F6 F7 F5; do
		grep -q "^$c " "$WORK/ab.tsv" || continue
		case $c in F2) a=raw ;; F6 | F7) a=per-syscall ;; F5) a=none ;; esac
		printf '| %s: %s |' "$a" "$(floor_title "$c")"
		for w in $FLOOR_WORKLOADS; do
			awk -v c="$c" -v w="$w" '$1 == c && $2 == w {printf " %.3fx (%.3f..%.3f, %.3f..%.3f) |", $3, $6, $7, $4, $5; f = 1}
				END {if (!f) printf " - |"}' "$WORK/ab.tsv"
		done
		echo
	done
	echo
	echo "## Floor: empty BPF programs (no splicewatch)"
	echo
	echo "Same alternation (O X O Y ... O), $FLOOR_REPS reps; ratio to no program attached."
	echo
	floor_table_head 'Program(s) attached' ' ratio (min..max)'
	for c in $FCONDS; do
		printf '| %s |' "$(floor_title $c)"
		for w in $FLOOR_WORKLOADS; do
			r=$(ratio_of "$c" "$w" "$WORK/floor_ratios.txt")
			if [ -n "$r" ]; then
				awk '{printf " %.3fx (%.3f..%.3f, n=%d%s) |", $1, $2, $3, $4, $6 == "all" ? " contaminated" : ""}' <<<"$r"
			else
				printf ' - |'
			fi
		done
		echo
	done
	echo
	printf 'Baseline (median of O batches, for scale only), ns per operation:'
	for w in $FLOOR_WORKLOADS; do
		printf ' %s %s' "$(wl_title "$w" | cut -d' ' -f1-2)" \
			"$(awk -v w="$w" '$2 == "O" && $3 == w {print $4}' "$FLOOR" | med_min_max | awk '{print $1}')"
	done
	echo "."
	echo
	echo "## Unrelated syscalls: program runs per 1,000,000 getppid"
	echo
	echo "Per backend this host runs (\`trace --backend B\`), kernel.bpf_stats_enabled=1 (restored"
	echo "afterwards): run_cnt of every attached program before and after one loop of $RUNS_N"
	echo "getppid in one process (other tasks' syscalls meanwhile count too). Then the same loop"
	echo "A/B inside one process ($AB_ROUNDS rounds), beside the floor of each syscall attach (empty"
	echo "programs, A/B, the table above)."
	echo
	echo "| Backend | Syscall attach | Program | run_cnt before | run_cnt after | runs |"
	echo "|---|---|---|---|---|---|"
	awk -F'\t' '{printf "| %s | %s | %s | %d | %d | %d |\n", $1, $2, $3, $4, $5, $5 - $4}' "$WORK/runs.tsv"
	awk -F'\t' '{printf "| %s | - | not available here: %s | - | - | - |\n", $1, $2}' "$WORK/runs_na.tsv"
	echo
	echo "| Backend | Syscall attach | getppid A/B ratio (median) | p25..p75 | min..max | Floor: raw | Floor: per-syscall (all / without getppid) | Floor: none |"
	echo "|---|---|---|---|---|---|---|---|"
	fl() { awk -v c="$1" '$1 == c && $2 == "w5" {printf "%.3fx", $3; f = 1} END {if (!f) printf "-"}' "$WORK/ab.tsv"; }
	while read -r b a med lo hi q1 q3; do
		printf '| %s | %s | %.3fx | %.3f..%.3f | %.3f..%.3f | %s | %s / %s | %s |\n' "$b" "$a" "$med" "$q1" "$q3" "$lo" "$hi" \
			"$(fl F2)" "$(fl F6)" "$(fl F7)" "$(fl F5)"
	done <"$WORK/runs_ab.tsv"
	echo
	echo "## Where the time goes: BPF programs (kernel.bpf_stats_enabled=1, one run each under trace)"
	echo
	echo "Enabling bpf_stats adds two clock reads per program run; the \"floor\" rows show what it"
	echo "reports for empty programs. Programs with no runs in a workload are left out."
	echo
	echo "| Workload | Program | run_cnt | avg ns | total ms |"
	echo "|---|---|---|---|---|"
	awk -F'\t' '$3 > 0 {printf "| %s | %s | %d | %d | %.1f |\n", $1, $2, $3, $4, $5}' "$STATS"
	echo
	echo "## Event storm (workload 6)"
	echo
	echo "Writer: one process pwrite()s 16 bytes into a page its own pipe holds, as fast as it can,"
	echo "for ${STORM_SECS}s; \`trace --json -o FILE\` (tmpfs), default ring buffer: $((RING / 1024 / 1024)) MiB."
	echo "Delivered = lines in FILE when the writer stops; exact = (writes = detected = shown + lost)."
	echo
	echo "| Run | writes/s | delivered ev/s | lines at stop | lines after drain | detected | shown | lost |"
	echo "|---|---|---|---|---|---|---|---|"
	awk '{printf "| %d | %.0f | %.0f | %d | %d | %d | %d | %d |\n", NR, $2 / ($1 / 1e9), $3 / ($1 / 1e9), $3, $4, $5, $6, $7}' "$WORK/storm.tsv"
	echo
	echo "## Scale (workload 7)"
	echo
	echo "One file of 1000 x (1 MiB + 4 KiB) on tmpfs; 1000 pipes (F_SETPIPE_SZ 1 MiB) each hold"
	echo "1 MiB; 16-byte pwrites go to the unheld page after pipe 500's range. Rounds alternate"
	echo "1 page held (target outside the file's held range: early exit), 256k held, and 2 pages"
	echo "held at both ends (target inside the range: the same per-page lookup as 256k)."
	echo "Max held pages sampled from the .bss counter: ${HELD_MAX:-?}. Summary: ${SCALE_SUMMARY#splicewatch: }"
	echo
	echo '```'
	echo "without splicewatch:"
	cat "$WORK/scale_O1.txt"
	echo "with trace --max-holds 300000:"
	cat "$WORK/scale_T.txt"
	echo '```'
	echo
	echo "## Memory"
	echo
	echo "Frontend VmHWM/VmRSS (kB) per session type (T trace, E enforce, S storm, 7 scale with"
	echo "--max-holds 300000, R trace with --ringbuf-kib 1024). The ring buffer's data pages are"
	echo "mapped twice into the frontend (libbpf maps them back to back so records never wrap) and"
	echo "count as RssFile; with --ringbuf-kib 1024: $RSS_DETAIL"
	echo
	echo '```'
	sort -u -k1,1 "$SESSION_MEM" | awk '{printf "%s VmHWM %s kB VmRSS %s kB\n", $1, $2, $3}'
	echo '```'
	echo
	echo "BPF maps of one default session (bytes_memlock); ring buffer in use: $((RING / 1024 / 1024)) MiB:"
	echo
	echo "| Map | Type | max_entries | bytes_memlock |"
	echo "|---|---|---|---|"
	echo "$MAPS_DEFAULT" | awk -F'\t' 'NF {printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4; s += $4} END {printf "| total | | | %d (%.1f MiB) |\n", s, s / 1048576}'
	echo
	echo "With --max-holds 300000: $(awk -v b="$MAPS_SCALE" 'BEGIN {printf "%.1f MiB", b / 1048576}') of BPF map memory."
	if [ -s "$NOTES" ]; then
		echo
		echo "## Notes"
		echo
		cat "$NOTES"
	fi
	echo
	echo "Total bench time: $(($(date +%s) - T_START)) s."
} >"$WORK/results.md"

cp "$WORK/results.md" "$RESULTS"
cat "$RESULTS"
