#!/usr/bin/env bash
# bench/scan.sh: how fast the log signatures scan, next to grep -E and cat.
#
#   bash bench/scan.sh
#
# Builds a release srebot, generates (once, then reuses) a realistic log mix
# of SREBOT_BENCH_MB megabytes (default 600) and SREBOT_BENCH_SIGNATURES
# signatures (default 200: the built-in rules plus generated operator rules),
# then times, on the same file in the same run, from the page cache:
#   cat FILE > /dev/null                       the memory-bandwidth ceiling
#   srebot scan --count --rules R FILE         our engine, whole process
#   LC_ALL=C grep -cE -f PATTERNS FILE | cat   the same patterns; into a pipe, as
#                                              grep stops early on /dev/null
# Each is run SREBOT_BENCH_RUNS times (default 3); the median is reported,
# with MB/s (10^6 bytes) and lines/s. srebot's matched-line count must equal
# grep's: same patterns, same answer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SREBOT_BENCH_BUILD:-$root/build/release}
data=${SREBOT_BENCH_DATA:-/tmp/srebot-bench-scan}
mb=${SREBOT_BENCH_MB:-600}
nsig=${SREBOT_BENCH_SIGNATURES:-200}
runs=${SREBOT_BENCH_RUNS:-3}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target srebot bench_scan_gen >/dev/null

mkdir -p "$data"
log=$data/mix-${mb}MB.log
[ -s "$log" ] || "$build/bench/bench_scan_gen" log "$log" "$mb"
"$build/bench/bench_scan_gen" rules "$data" "$nsig" 2>/dev/null
bytes=$(stat -c %s "$log")
lines=$(wc -l < "$log")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cat "$log" > /dev/null # into the page cache

# measure NAME CMD...: runs CMD $runs times under /usr/bin/time; sets
# wall_NAME and cpu_NAME (user + sys) to the medians. CPU time is reported
# because this machine is shared: wall time includes waiting for a core.
tfile=$(mktemp)
measure() {
  local name=$1 walls=() cpus=()
  shift
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S" -o "$tfile" "$@" || true
    read -r w u s < <(tail -n 1 "$tfile")
    walls+=("$w")
    cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
  done
  printf -v "wall_$name" '%s' "$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  printf -v "cpu_$name" '%s' "$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
}

measure cat sh -c "cat '$log' > /dev/null"
measure srebot sh -c "'$build/srebot' scan --count --rules '$data/rules.json' '$log' > '$out'"
scan_only=$(sed -n 's/.*"seconds":\([0-9.e-]*\).*/\1/p' "$out")
srebot_lines=$(sed -n 's/.*"matched_lines":\([0-9]*\).*/\1/p' "$out")
measure grep sh -c "LC_ALL=C grep -cE -f '$data/patterns.txt' '$log' | cat > '$out'"
grep_lines=$(cat "$out")
rm -f "$tfile"

row() { # name seconds
  awk -v n="$1" -v s="$2" -v b="$bytes" -v l="$lines" 'BEGIN {
    if (s <= 0) s = 0.01
    printf "%-40s %7.2f s %8.0f MB/s %7.2f M lines/s\n", n, s, b / 1e6 / s, l / 1e6 / s }'
}
echo "file: $log ($((bytes / 1000000)) MB, $lines lines); $nsig signatures; median of $runs runs"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "-- wall clock"
row "cat > /dev/null" "$wall_cat"
row "srebot scan (process, incl. compile)" "$wall_srebot"
row "srebot scan (scan loop, last run)" "$scan_only"
row "LC_ALL=C grep -cE | cat" "$wall_grep"
echo "-- CPU time (user + sys)"
row "cat > /dev/null" "$cpu_cat"
row "srebot scan (process, incl. compile)" "$cpu_srebot"
row "LC_ALL=C grep -cE | cat" "$cpu_grep"
awk -v gw="$wall_grep" -v sw="$wall_srebot" -v gc="$cpu_grep" -v sc="$cpu_srebot" \
  'BEGIN { printf "srebot vs grep: %.1fx wall, %.1fx CPU\n", gw / sw, gc / (sc > 0 ? sc : 0.01) }'
echo "matched lines: srebot $srebot_lines, grep $grep_lines"
if [ "$srebot_lines" != "$grep_lines" ]; then
  echo "MISMATCH: srebot and grep disagree on the matched lines" >&2
  exit 1
fi
