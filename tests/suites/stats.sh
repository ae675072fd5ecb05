#!/usr/bin/env bash
# splicewatch stats / top / --prometheus: run known copy-path workloads and check
# that the counts (JSON snapshots and the /metrics page) match them exactly.
# Prints "ok NAME" / "not ok NAME" per test; exits 2 if it cannot run at all.
set -u
cd "$(dirname "$0")/../.."
SW=./splicewatch
WL=tests/build/stats_workload

[ "$(id -u)" = 0 ] || { echo "stats.sh loads BPF programs: run it as root" >&2; exit 2; }
for t in python3 curl; do
	command -v "$t" >/dev/null || { echo "stats.sh needs $t" >&2; exit 2; }
done
[ -x "$SW" ] || { echo "build splicewatch first (make)" >&2; exit 2; }
if [ ! -x "$WL" ] || [ tests/stats_workload.c -nt "$WL" ]; then
	make -s "$WL" >&2 || { echo "cannot build $WL" >&2; exit 2; }
fi

tmp=$(mktemp -d /var/tmp/swstats.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
	rm -f "${shm_copy:-/nonexistent}"
}
trap cleanup EXIT

ok() { echo "ok $1"; }
notok() { echo "not ok $1${2:+ # $2}"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

# The checker: a strict Prometheus text-format parser and the comparisons.
cat > "$tmp/check.py" <<'PYEOF'
#!/usr/bin/env python3
"""Checks for tests/suites/stats.sh: a strict Prometheus text-format (0.0.4) parser
and the comparison of splicewatch's counts with what the workloads did.

  stats_check.py promparse FILE                 exit 0 if FILE is valid exposition text
  stats_check.py compare JSONL WORKLOADS METRICS    prints "ok NAME" / "not ok NAME" lines
"""
import json
import math
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
FLOAT = re.compile(r'^[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


class ParseError(Exception):
    pass


def parse_float(s, where):
    if not FLOAT.match(s):
        raise ParseError(f'{where}: bad number {s!r}')
    return float(s.replace('Inf', 'inf').replace('NaN', 'nan'))


def parse_labels(s, i, where):
    """s[i] == '{'; returns (labels dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i] == '}':
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise ParseError(f'{where}: bad label name at {s[i:]!r}')
        name = m.group(0)
        if name.startswith('__'):
            raise ParseError(f'{where}: reserved label name {name}')
        if name in labels:
            raise ParseError(f'{where}: duplicate label {name}')
        i = m.end()
        if s[i:i + 2] != '="':
            raise ParseError(f'{where}: expected =" after {name}')
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise ParseError(f'{where}: unterminated label value')
            c = s[i]
            if c == '\\':
                nxt = s[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise ParseError(f'{where}: bad escape \\{nxt}')
                val.append('\n' if nxt == 'n' else nxt)
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == '\n':
                raise ParseError(f'{where}: newline in label value')
            val.append(c)
            i += 1
        labels[name] = ''.join(val)
        if s[i] == ',':
            i += 1
            if s[i] == '}':
                return labels, i + 1
        elif s[i] != '}':
            raise ParseError(f'{where}: expected , or }} at {s[i:]!r}')


def family_of(sample, types):
    for suffix in ('_bucket', '_sum', '_count'):
        if sample.endswith(suffix):
            base = sample[:-len(suffix)]
            if types.get(base) in ('histogram', 'summary'):
                return base
    return sample


def parse(text):
    """Returns {family: {'type':..., 'help':..., 'samples': [(name, labels, value)]}}."""
    if not text.endswith('\n'):
        raise ParseError('does not end with a newline')
    fams, types, seen_series, done = {}, {}, set(), set()
    current = None
    for n, line in enumerate(text.split('\n')[:-1], 1):
        where = f'line {n}'
        if line == '':
            continue
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ParseError(f'{where}: bad metric name {name!r}')
                fam = fams.setdefault(name, {'type': None, 'help': None, 'samples': []})
                if parts[1] == 'TYPE':
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ParseError(f'{where}: bad TYPE line')
                    if fam['type'] or fam['samples']:
                        raise ParseError(f'{where}: TYPE after samples or twice for {name}')
                    fam['type'] = types[name] = parts[3]
                else:
                    if fam['help'] is not None:
                        raise ParseError(f'{where}: HELP twice for {name}')
                    doc = parts[3] if len(parts) == 4 else ''
                    if re.search(r'\\[^\\n]', doc) or doc.endswith('\\') and not doc.endswith('\\\\'):
                        raise ParseError(f'{where}: bad escape in HELP')
                    fam['help'] = doc
                if current != name:
                    if name in done:
                        raise ParseError(f'{where}: family {name} is not contiguous')
                    if current:
                        done.add(current)
                    current = name
            continue
        m = NAME.match(line)
        if not m:
            raise ParseError(f'{where}: bad sample line {line!r}')
        sample = m.group(0)
        i = m.end()
        labels = {}
        if i < len(line) and line[i] == '{':
            labels, i = parse_labels(line, i, where)
        if i >= len(line) or line[i] != ' ':
            raise ParseError(f'{where}: expected a space before the value')
        rest = line[i + 1:].split(' ')
        if len(rest) not in (1, 2) or rest[0] == '':
            raise ParseError(f'{where}: bad value/timestamp {line[i:]!r}')
        value = parse_float(rest[0], where)
        if len(rest) == 2 and not re.fullmatch(r'-?\d+', rest[1]):
            raise ParseError(f'{where}: bad timestamp')
        fam_name = family_of(sample, types)
        if fam_name != current:
            if fam_name in done:
                raise ParseError(f'{where}: family {fam_name} is not contiguous')
            if current:
                done.add(current)
            current = fam_name
        fam = fams.setdefault(fam_name, {'type': None, 'help': None, 'samples': []})
        ftype = fam['type'] or 'untyped'
        if ftype == 'counter' and sample != fam_name:
            raise ParseError(f'{where}: counter sample {sample} of family {fam_name}')
        if ftype == 'counter' and (value < 0 or math.isnan(value)):
            raise ParseError(f'{where}: negative counter')
        if ftype == 'histogram':
            if sample == fam_name:
                raise ParseError(f'{where}: histogram sample without suffix')
            if (sample.endswith('_bucket')) != ('le' in labels):
                raise ParseError(f'{where}: le label only on _bucket')
        key = (sample, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ParseError(f'{where}: duplicate series {key}')
        seen_series.add(key)
        fam['samples'].append((sample, labels, value))
    # histogram consistency
    for name, fam in fams.items():
        if fam['type'] != 'histogram':
            continue
        groups = {}
        for sample, labels, value in fam['samples']:
            rest = tuple(sorted((k, v) for k, v in labels.items() if k != 'le'))
            g = groups.setdefault(rest, {'buckets': [], 'sum': None, 'count': None})
            if sample.endswith('_bucket'):
                g['buckets'].append((parse_float(labels['le'], name), value))
            elif sample.endswith('_sum'):
                g['sum'] = value
            else:
                g['count'] = value
        for rest, g in groups.items():
            les = [b[0] for b in g['buckets']]
            if not les or les[-1] != math.inf:
                raise ParseError(f'{name}{rest}: no +Inf bucket')
            if les != sorted(les) or len(set(les)) != len(les):
                raise ParseError(f'{name}{rest}: buckets not increasing')
            counts = [b[1] for b in g['buckets']]
            if counts != sorted(counts):
                raise ParseError(f'{name}{rest}: bucket counts decrease')
            if g['count'] is None or g['sum'] is None or g['count'] != counts[-1]:
                raise ParseError(f'{name}{rest}: _count/_sum missing or _count != +Inf bucket')
    for name, fam in fams.items():
        if fam['type'] is None and fam['samples']:
            raise ParseError(f'{name}: samples without TYPE')
    return fams


def metric(fams, name, **labels):
    fam = fams.get(name)
    if not fam:
        return None
    for sample, l, v in fam['samples']:
        if sample == name and l == labels:
            return v
    return None


RESULTS = []


def check(name, cond, detail=''):
    RESULTS.append(name)
    if cond:
        print(f'ok {name}')
    else:
        print(f'not ok {name}' + (f' # {detail}' if detail else ''))


def compare(jsonl, workloads, metrics_file, prefix):
    snaps = [json.loads(l) for l in open(jsonl) if l.strip()]
    check(f'{prefix}json_lines_parse', len(snaps) >= 1)
    if not snaps:
        return
    last = snaps[-1]
    check(f'{prefix}json_final_snapshot', last.get('final') is True and last.get('type') == 'stats')
    done = [json.loads(l) for l in open(workloads) if l.strip()]
    fams = None
    try:
        fams = parse(open(metrics_file).read())
        check(f'{prefix}metrics_strict_parse', True)
    except ParseError as e:
        check(f'{prefix}metrics_strict_parse', False, str(e))
    comm_of = {}
    for w in done:
        if 'comm' in w:
            comm_of[w['pid']] = w['comm']
    for w in done:
        if 'calls' not in w:
            continue
        comm = comm_of.get(w['pid'])
        rows = [r for r in last['rows'] if r['pid'] == w['pid'] and r['op'] == w['op']]
        base = re.sub(r'\d+$', '', comm or '')
        tag = f'{prefix}{base}_{w["op"]}'
        calls = sum(r['calls'] for r in rows)
        nbytes = sum(r['bytes'] for r in rows)
        errors = sum(r['errors'] for r in rows)
        check(f'{tag}_json_counts',
              rows and all(r['comm'] == comm for r in rows) and
              (calls, nbytes, errors) == (w['calls'], w['bytes'], w['errors']),
              f'splicewatch {calls} calls {nbytes} bytes {errors} errors, '
              f'workload {w["calls"]} calls {w["bytes"]} bytes {w["errors"]} errors')
        hist = sum(b['count'] for r in rows for b in r['latency_hist'])
        check(f'{tag}_json_histogram', hist == calls, f'histogram {hist}, calls {calls}')
        if fams is not None:
            mc = metric(fams, 'splicewatch_splice_calls_total', op=w['op'], comm=comm)
            mb = metric(fams, 'splicewatch_splice_bytes_total', op=w['op'], comm=comm)
            me = metric(fams, 'splicewatch_splice_errors_total', op=w['op'], comm=comm)
            check(f'{tag}_metrics', (mc, mb, me) == (w['calls'], w['bytes'], w['errors']),
                  f'/metrics {mc} calls {mb} bytes {me} errors')
        # how the bytes entered pipes
        pc = sum(r['pagecache_bytes'] for r in rows)
        an = sum(r['anon_bytes'] for r in rows)
        if w['op'] in ('splice_file_to_pipe', 'tee'):
            check(f'{tag}_pagecache_bytes', (pc, an) == (w['bytes'], 0), f'pagecache {pc} anon {an}')
        elif w['op'] == 'vmsplice':
            check(f'{tag}_anon_bytes', (pc, an) == (0, w['bytes']), f'pagecache {pc} anon {an}')
        elif w['op'] in ('splice_pipe_to_file', 'sendfile', 'copy_file_range'):
            check(f'{tag}_no_pipe_bytes', (pc, an) == (0, 0), f'pagecache {pc} anon {an}')
        if w['op'] == 'copy_file_range':
            cfr = {}
            for r in rows:
                for k, v in r.get('copy_file_range', {}).items():
                    cfr[k] = cfr.get(k, 0) + v
            want = w.get('expect_cfr')
            if want:
                got = {k: cfr.get(k, 0) for k in want}
                check(f'{tag}_outcome', got == want, f'got {cfr}, want {want}')
                if fams is not None:
                    mgot = {k: metric(fams, 'splicewatch_copy_file_range_calls_total',
                                      result=k, comm=comm) for k in want}
                    check(f'{tag}_outcome_metrics', mgot == want, f'/metrics {mgot}')
        if w.get('file'):
            check(f'{tag}_file', all(r['file'] == w['file'] for r in rows),
                  f'files {[r["file"] for r in rows]}, want {w["file"]}')


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'promparse':
        try:
            parse(open(sys.argv[2]).read())
        except ParseError as e:
            print(e, file=sys.stderr)
            return 1
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == 'families':
        fams = parse(open(sys.argv[2]).read())
        json.dump({n: [[s, l, v] for s, l, v in f['samples']] for n, f in fams.items()},
                  sys.stdout)
        return 0
    if len(sys.argv) in (5, 6) and sys.argv[1] == 'compare':
        compare(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) == 6 else '')
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
PYEOF

# Waits until FILE contains PATTERN (up to 30 s).
wait_for() {
	local i
	for i in $(seq 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- help and usage --------------------------------------------------------
out=$($SW stats --help); rc=$?
check stats_help bash -c '[ '$rc' = 0 ] && for o in --json --rows --interval --count --prometheus --prometheus-top --help; do grep -q -- "$o" <<<"$1" || exit 1; done' _ "$out"
out=$($SW top --help); rc=$?
check top_help bash -c '[ '$rc' = 0 ] && for o in --sort --rows --interval --count --prometheus --prometheus-top --help bytes calls errors latency; do grep -q -- "$o" <<<"$1" || exit 1; done' _ "$out"
$SW --help | grep -q '^  stats ' && $SW --help | grep -q '^  top '
check commands_listed [ $? = 0 ]
$SW stats --interval 0 >/dev/null 2>&1; check usage_bad_interval [ $? = 2 ]
$SW top --sort nope >/dev/null 2>&1; check usage_bad_sort [ $? = 2 ]
$SW stats --count 1 -i 0.1 --prometheus nonsense >/dev/null 2>&1; check usage_bad_prometheus_addr [ $? = 2 ]
$SW stats extra >/dev/null 2>&1; check usage_extra_argument [ $? = 2 ]
if command -v setpriv >/dev/null; then
	msg=$(setpriv --reuid=65534 --regid=65534 --clear-groups $SW stats --count 1 2>&1); rc=$?
	check not_root_exit_2 bash -c '[ '$rc' = 2 ] && grep -q "needs root" <<<"$1"' _ "$msg"
fi

# ---- the workloads, counted by stats --json and served at /metrics -----------
f="$tmp/data"
size=$((4 * 1024 * 1024 + 12345))		# not a multiple of the page size
head -c "$size" /dev/urandom > "$f"
cat "$f" > /dev/null				# in the page cache: splices reference it

$SW stats --json -i 0.5 --prometheus 127.0.0.1:0 --prometheus-top 1000 \
	> "$tmp/stats.jsonl" 2> "$tmp/stats.err" &
swpid=$!; pids+=("$swpid")
$SW stats --json -i 0.5 --prometheus 127.0.0.1:0 --prometheus-top 2 \
	> "$tmp/stats2.jsonl" 2> "$tmp/stats2.err" &
sw2pid=$!; pids+=("$sw2pid")
if ! wait_for "$tmp/stats.err" 'Ctrl-C to stop' || ! wait_for "$tmp/stats2.err" 'Ctrl-C to stop'; then
	notok stats_starts "$(cat "$tmp/stats.err" "$tmp/stats2.err")"
	exit 1
fi
ok stats_starts
port=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/stats.err" | head -1 | sed 's/.*://')
port2=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/stats2.err" | head -1 | sed 's/.*://')

# Listening on 127.0.0.1 only (0100007F in /proc/net/tcp), never on a wildcard.
hexport=$(printf '%04X' "$port")
listen=$(awk -v p=":$hexport" '$4 == "0A" && $2 ~ p"$" {print $2}' /proc/net/tcp /proc/net/tcp6)
check prometheus_binds_given_address_only [ "$listen" = "0100007F:$hexport" ]

u=$$
wl="$tmp/workloads.jsonl"
$WL splice "$f" "swsp$u" >> "$wl"
$WL sendfile "$f" "swsf$u" >> "$wl"
$WL tee "$f" "swtee$u" >> "$wl"
$WL cfr "$f" "$tmp/copy" "swcfr$u" >> "$wl"
$WL vmsplice 100000 "swvm$u" >> "$wl"
$WL fail "swfail$u" >> "$wl"
shm_copy=
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$tmp")" ]; then
	shm_copy=/dev/shm/swstats.$u
	$WL cfr "$f" "$shm_copy" "swxfs$u" >> "$wl"	# EXDEV (fallback) or cross_fs
fi
check workloads_ran [ "$(grep -c '"calls"' "$wl")" -ge 10 ]

# A pipe that holds 4 page-cache pages of the file for a while.
$WL hold "$f" 4 4 "swhold$u" > "$tmp/hold.jsonl" &
holdpid=$!; pids+=("$holdpid")
wait_for "$tmp/hold.jsonl" calls
sleep 1.2
curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/held.prom"
check metrics_held_strict_parse python3 "$tmp/check.py" promparse "$tmp/held.prom"
held=$(grep -F "splicewatch_pipe_held_pages{file=\"$f\"}" "$tmp/held.prom" | awk '{print $2}')
check held_pages_gauge [ "$held" = 4 ]
age=$(grep -F "splicewatch_pipe_held_oldest_seconds{file=\"$f\"}" "$tmp/held.prom" | awk '{print $2}')
check held_oldest_age python3 -c "import sys; a=float(sys.argv[1]); sys.exit(not 1.0 <= a < 60)" "${age:-nan}"
wait "$holdpid"
sleep 0.5
curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/released.prom"
check held_pages_released bash -c '! grep -qF "splicewatch_pipe_held_pages{file=\"$1\"}" "$2"' _ "$f" "$tmp/released.prom"
cat "$tmp/hold.jsonl" >> "$wl"
# The kernel's skipped program runs (6.14+, a kernel that preempts kernel
# code): counted, in JSON and at /metrics.
check skipped_program_runs_reported bash -c 'grep -q "\"skipped_program_runs\":[0-9]" "$1" &&
	grep -q "^splicewatch_not_counted_total{what=\"skipped_program_runs\"} [0-9]" "$2"' \
	_ "$tmp/stats.jsonl" "$tmp/released.prom"

sleep 0.5
curl -sf -D "$tmp/headers" "http://127.0.0.1:$port/metrics" > "$tmp/metrics.prom"
check metrics_http_200 grep -q '^HTTP/1.1 200' "$tmp/headers"
check metrics_content_type grep -qi '^Content-Type: text/plain; version=0.0.4' "$tmp/headers"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")
check metrics_other_path_404 [ "$code" = 404 ]
if command -v promtool >/dev/null; then
	# promtool lints too; a lint message is printed but only parse errors fail.
	promtool check metrics < "$tmp/metrics.prom" > "$tmp/promtool.out" 2>&1
	check promtool_parses bash -c '! grep -qi "error" "$1"' _ "$tmp/promtool.out"
fi
curl -sf "http://127.0.0.1:$port2/metrics" > "$tmp/metrics2.prom"
check metrics_top2_strict_parse python3 "$tmp/check.py" promparse "$tmp/metrics2.prom"
comms=$(grep -o 'comm="[^"]*"' "$tmp/metrics2.prom" | sort -u | wc -l)
check metrics_label_cardinality_bounded [ "$comms" -le 3 ]
check metrics_other_label grep -q 'comm="other"' "$tmp/metrics2.prom"

kill -INT "$swpid" "$sw2pid"
wait "$swpid"; rc=$?
check stats_sigint_exit_0 [ "$rc" = 0 ]
python3 "$tmp/check.py" compare "$tmp/stats.jsonl" "$wl" "$tmp/metrics.prom"

# ---- stats text output ------------------------------------------------------
$SW stats -i 0.5 --count 2 > "$tmp/stats.txt" 2> "$tmp/stats_txt.err" &
p=$!; pids+=("$p")
wait_for "$tmp/stats_txt.err" 'Ctrl-C to stop'
$WL splice "$f" "swtxt$u" > /dev/null
wait "$p"; rc=$?
check stats_text_count_exit_0 [ "$rc" = 0 ]
check stats_text_two_snapshots [ "$(grep -c '^splicewatch stats ' "$tmp/stats.txt")" = 2 ]
check stats_text_row grep -q "swtxt$u .*splice_file_to_pipe .* $size .*$f" "$tmp/stats.txt"
check stats_text_histogram grep -q 'nsecs *: count *distribution' "$tmp/stats.txt"

# ---- top ------------------------------------------------------------------------
$SW top -i 0.5 --count 3 -n 5 --sort calls > "$tmp/top.txt" 2> "$tmp/top.err" &
p=$!; pids+=("$p")
wait_for "$tmp/top.err" 'Ctrl-C to stop'
$WL splice "$f" "swtop$u" > /dev/null
wait "$p"; rc=$?
check top_count_exit_0 [ "$rc" = 0 ]
check top_plain_snapshots [ "$(grep -c '^splicewatch top ' "$tmp/top.txt")" = 3 ]
check top_no_escape_codes_when_not_tty bash -c '! grep -q $'"'"'\e'"'"' "$1"' _ "$tmp/top.txt"
check top_blank_line_between [ "$(grep -c '^$' "$tmp/top.txt")" -ge 2 ]
check top_row grep -q "swtop$u .*splice_file_to_pipe" "$tmp/top.txt"
check top_sorted_by_calls grep -q 'sorted by calls' "$tmp/top.txt"
rows=$(awk '/^ *PID COMM/{n=0; inrows=1; next} /^$/{if (inrows && n > max) max=n; inrows=0} inrows{n++} END{if (inrows && n > max) max=n; print max+0}' "$tmp/top.txt")
check top_rows_limited [ "$rows" -le 5 ]
if command -v script >/dev/null; then
	script -qfec "$SW top -i 0.3 --count 2" /dev/null > "$tmp/top_tty.txt" 2>&1
	check top_clears_screen_on_tty grep -q $'\e\[H\e\[2J' "$tmp/top_tty.txt"
fi
exit 0
