#!/usr/bin/env bash
# bench/scan.sh: how fast the log signatures scan, next to grep -E and cat.
#
#   bash bench/scan.sh
#
# Builds a release srebot and generates (once, then reuses) two logs with 200
# signatures each (the built-in rules plus generated operator rules):
#   mix    the project's log mix, SREBOT_BENCH_MB megabytes (default 600): about
#          1 line in 400 matches, signatures keyed on rare literals;
#   dense  SREBOT_BENCH_DENSE_MB megabytes (default 300) where about 5% of the
#          lines match, signatures with character classes keyed on text that
#          is common in the log (bench_scan_gen dense / dense-rules).
# Then times, on the same file in the same run, from the page cache:
#   cat FILE > /dev/null                       the memory-bandwidth ceiling
#   srebot scan --count, cold cache            whole process, rules compiled
#   srebot scan --count, warm cache            whole process, rule set from the cache
#   srebot scan | cat > /dev/null, warm        every match printed as JSON, into a pipe
#   LC_ALL=C grep -cE -f PATTERNS FILE | cat   the same patterns; into a pipe, as
#                                              grep stops early on /dev/null
# Each is run SREBOT_BENCH_RUNS times (default 3; grep on the dense log
# SREBOT_BENCH_GREP_RUNS, default 1: it is slow there); the median is
# reported, with MB/s (10^6 bytes). srebot's matched-line count must equal
# grep's: same patterns, same answer. SREBOT_BENCH_THREADS sets --threads.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SREBOT_BENCH_BUILD:-$root/build/release}
data=${SREBOT_BENCH_DATA:-/tmp/srebot-bench-scan}
mb=${SREBOT_BENCH_MB:-600}
dense_mb=${SREBOT_BENCH_DENSE_MB:-300}
nsig=${SREBOT_BENCH_SIGNATURES:-200}
runs=${SREBOT_BENCH_RUNS:-3}
grep_runs=${SREBOT_BENCH_GREP_RUNS:-1}
threads=${SREBOT_BENCH_THREADS:+--threads $SREBOT_BENCH_THREADS}

if [ -z "${SREBOT_BENCH_NOBUILD:-}" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target srebot bench_scan_gen >/dev/null
fi
gen=$build/bench/bench_scan_gen
srebot=$build/srebot
# An older srebot (SREBOT_BENCH_BIN, for a before/after) may lack --cache.
[ -n "${SREBOT_BENCH_BIN:-}" ] && srebot=$SREBOT_BENCH_BIN
cache_opt() { "$srebot" scan --help | grep -q -- --cache && echo "--cache $1" || true; }

mkdir -p "$data/mix" "$data/dense"
[ -s "$data/mix-${mb}MB.log" ] || "$gen" log "$data/mix-${mb}MB.log" "$mb"
[ -s "$data/dense-${dense_mb}MB.log" ] || "$gen" dense "$data/dense-${dense_mb}MB.log" "$dense_mb"
"$gen" rules "$data/mix" "$nsig" 2>/dev/null
"$gen" dense-rules "$data/dense" "$nsig" 2>/dev/null
out=$(mktemp)
tfile=$(mktemp)
cache=$(mktemp -d)
trap 'rm -rf "$out" "$tfile" "$cache"' EXIT

# measure NAME RUNS CMD...: runs CMD under /usr/bin/time; sets wall_NAME and
# cpu_NAME (user + sys) to the medians. CPU time is reported because this
# machine is shared: wall time includes waiting for a core.
measure() {
  local name=$1 n=$2 walls=() cpus=()
  shift 2
  for _ in $(seq "$n"); do
    /usr/bin/time -f "%e %U %S" -o "$tfile" "$@" || true
    read -r w u s < <(tail -n 1 "$tfile")
    walls+=("$w")
    cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
  done
  printf -v "wall_$name" '%s' "$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  printf -v "cpu_$name" '%s' "$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
}

row() { # name wall cpu
  awk -v n="$1" -v s="$2" -v c="$3" -v b="$bytes" 'BEGIN {
    if (s <= 0) s = 0.01
    if (c <= 0) c = 0.01
    printf "%-44s %7.2f s %7.0f MB/s   CPU %6.2f s %7.0f MB/s\n", n, s, b / 1e6 / s, c, b / 1e6 / c }'
}

bench_one() { # label log rulesdir grep_runs
  local label=$1 log=$2 dir=$3 gruns=$4
  bytes=$(stat -c %s "$log")
  local lines; lines=$(wc -l < "$log")
  cat "$log" > /dev/null # into the page cache
  local copt; copt=$(cache_opt "$cache/c")
  measure cat "$runs" sh -c "cat '$log' > /dev/null"
  measure cold "$runs" sh -c "rm -rf '$cache/c'; '$srebot' scan $threads --count $copt --rules '$dir/rules.json' '$log' > '$out'"
  measure warm "$runs" sh -c "'$srebot' scan $threads --count $copt --rules '$dir/rules.json' '$log' > '$out'"
  local srebot_lines; srebot_lines=$(sed -n 's/.*"matched_lines":\([0-9]*\).*/\1/p' "$out")
  measure print "$runs" sh -c "'$srebot' scan $threads $copt --rules '$dir/rules.json' '$log' | cat > /dev/null"
  measure grep "$gruns" sh -c "LC_ALL=C grep -cE -f '$dir/patterns.txt' '$log' | cat > '$out'"
  local grep_lines; grep_lines=$(cat "$out")
  echo "== $label: $log ($((bytes / 1000000)) MB, $lines lines, $srebot_lines matching); $nsig signatures; median of $runs runs (grep: $gruns)"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
  row "cat > /dev/null" "$wall_cat" "$cpu_cat"
  row "srebot scan --count (cold cache: compiles)" "$wall_cold" "$cpu_cold"
  row "srebot scan --count (warm cache)" "$wall_warm" "$cpu_warm"
  row "srebot scan, JSON out | cat (warm cache)" "$wall_print" "$cpu_print"
  row "LC_ALL=C grep -cE | cat" "$wall_grep" "$cpu_grep"
  awk -v g="$wall_grep" -v w="$wall_warm" -v c="$wall_cold" -v gc="$cpu_grep" -v wc="$cpu_warm" \
    'BEGIN { printf "srebot vs grep (wall): %.1fx warm, %.1fx cold; CPU %.1fx warm\n", g / w, g / c, gc / (wc > 0 ? wc : 0.01) }'
  echo "matched lines: srebot $srebot_lines, grep $grep_lines"
  if [ "$srebot_lines" != "$grep_lines" ]; then
    echo "MISMATCH: srebot and grep disagree on the matched lines" >&2
    exit 1
  fi
}

bench_one "project log mix" "$data/mix-${mb}MB.log" "$data/mix" "$runs"
bench_one "dense log (5% of lines match)" "$data/dense-${dense_mb}MB.log" "$data/dense" "$grep_runs"
