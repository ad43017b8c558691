#!/usr/bin/env bash
# Runs every built fuzz target for a few seconds each, starting from its seed corpus.
# A crash fails the run and prints the fuzzer's report (the reproducer is saved as crash-*).
set -euo pipefail
dir=$1; secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
for t in "$dir"/fuzz_*; do
  name=$(basename "$t")
  corpus=$(mktemp -d)
  out=$(mktemp)
  seeds="$root/tests/fuzz/corpus/${name#fuzz_}"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
  echo "fuzz: $name for ${secs}s"
  if ! "$t" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 "$corpus" >"$out" 2>&1; then
    tail -n 60 "$out"
    rm -rf "$corpus" "$out"
    echo "fuzz: $name FAILED" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units)' "$out" || tail -n 2 "$out"
  rm -rf "$corpus" "$out"
done
