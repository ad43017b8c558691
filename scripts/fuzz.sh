#!/usr/bin/env bash
# Runs every built fuzz target for a few seconds each, starting from its seed corpus.
# A crash fails the run and prints the fuzzer's report (the reproducer is saved as crash-*).
set -euo pipefail
dir=$1; secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
# Inputs up to the real limits of what each parser accepts: 1 MiB findings and
# request bodies, 512 KiB policies, 4 MiB detector rules; 64 KiB elsewhere.
max_len_for() {
  case "$1" in
    fuzz_findings|fuzz_alertmanager|fuzz_json_body) echo 1048576 ;;
    fuzz_policy) echo 524288 ;;
    fuzz_logrules) echo 4194304 ;;
    *) echo 65536 ;;
  esac
}
for t in "$dir"/fuzz_*; do
  name=$(basename "$t")
  max_len=$(max_len_for "$name")
  corpus=$(mktemp -d)
  out=$(mktemp)
  seeds="$root/tests/fuzz/corpus/${name#fuzz_}"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
  echo "fuzz: $name for ${secs}s (inputs up to $max_len bytes)"
  if ! "$t" -max_total_time="$secs" -max_len="$max_len" -print_final_stats=1 "$corpus" >"$out" 2>&1; then
    tail -n 60 "$out"
    rm -rf "$corpus" "$out"
    echo "fuzz: $name FAILED" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units)' "$out" || tail -n 2 "$out"
  rm -rf "$corpus" "$out"
done
