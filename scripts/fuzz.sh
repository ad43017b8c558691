#!/usr/bin/env bash
# Runs every built fuzz target for a few seconds each, with its seed corpus.
set -euo pipefail
dir=$1; secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
for t in "$dir"/fuzz_*; do
  name=$(basename "$t")
  corpus=$(mktemp -d)
  seeds="$root/tests/fuzz/corpus/${name#fuzz_}"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
  echo "fuzz: $name for ${secs}s"
  "$t" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 "$corpus" 2>&1 | tail -n 3
  rm -rf "$corpus"
done
