#!/usr/bin/env bash
# The edge under load, one command: bench/edge.sh BUILD_DIR [LABEL]
#
# 64 keep-alive clients post batches of 100 findings (bench_ingest) to a fresh
# srebot with its default 2 HTTP threads for SECONDS_PER_RUN (default 10) s.
# While they run, one client measures GET /healthz on the API listener and, when
# the build has one (--ops-listen), on the operations listener. Reported: POST
# p50/p99, /healthz p50/p99 on each listener, and the group-commit batch size
# (srebot_store_writes_total / srebot_store_commits_total over the run).
# Then (unless SKIP_SEARCH=1) a second fresh srebot is filled with SEARCH_INCIDENTS
# (150000) incidents and 4 clients run `q=` searches for SECONDS_PER_RUN s, a rare
# term (matches 11 incidents) and then a common one (matches all), while one
# client measures GET /healthz on the API listener. Reported: search p50/p99 and
# requests/s, /healthz p50/p99.
# Everything listens on 127.0.0.1 ports picked here; the data dir is removed.
set -euo pipefail
build=${1:-build}
label=${2:-$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo build)}
bin="$build/srebot"
gen=${GEN:-$build/bench/bench_ingest} # GEN: a newer generator (getfor mode)
[ -x "$bin" ] && [ -x "$gen" ] || { echo "bench: build first ($bin, $gen)" >&2; exit 2; }
secs=${SECONDS_PER_RUN:-10}
clients=${CLIENTS:-64}
tok="bench-token-$(date +%s)-0123456789abcdef"
work=$(mktemp -d /tmp/srebot-edge.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
field() { python3 -c 'import json,sys;print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
metric() { curl -fs "$1/metrics" | awk -v m="$2" '$1==m{print $2}'; }

port=$(free_port); ops=$(free_port)
url="http://127.0.0.1:$port"; ops_url="http://127.0.0.1:$ops"
IF_SRE_DATA_DIR="$work/d" IF_SRE_ADMIN_TOKEN="$tok" IF_SRE_LISTEN="127.0.0.1:$port" \
  IF_SRE_OPS_LISTEN="127.0.0.1:$ops" IF_SRE_LOG_LEVEL=warn "$bin" serve >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
has_ops=0; curl -fs "$ops_url/healthz" >/dev/null 2>&1 && has_ops=1
w0=$(metric "$url" srebot_store_writes_total); c0=$(metric "$url" srebot_store_commits_total)

"$gen" srebot "$url" "$tok" "$clients" "$secs" 100 >"$work/post.json" &
load=$!
sleep 2 # the load is up
# /healthz requests spread over the rest of the run, one client, one at a time
n=$(( (secs - 4) * 20 ))
api=$("$gen" get "$url" - 1 "$n" /healthz)
opsr='{"p50_ms":"-","p99_ms":"-"}'
[ "$has_ops" = 1 ] && opsr=$("$gen" get "$ops_url" - 1 "$n" /healthz)
wait "$load"
post=$(cat "$work/post.json")
w1=$(metric "$url" srebot_store_writes_total); c1=$(metric "$url" srebot_store_commits_total)
batch=$(python3 -c "print('%.1f' % (($w1-$w0)/max(1,$c1-$c0)))")

printf '%-10s | %-9s %-9s %-9s | %-18s | %-18s | %s\n' build "f/s" post_p50 post_p99 \
  "healthz api p50/p99" "healthz ops p50/p99" "writes/commit"
printf '%-10s | %-9s %-9s %-9s | %-18s | %-18s | %s\n' "$label" "$(field "$post" items_per_s)" \
  "$(field "$post" p50_ms)" "$(field "$post" p99_ms)" \
  "$(field "$api" p50_ms) / $(field "$api" p99_ms)" "$(field "$opsr" p50_ms) / $(field "$opsr" p99_ms)" \
  "$batch"

[ -n "${SKIP_SEARCH:-}" ] && exit 0
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
nsearch=${SEARCH_INCIDENTS:-150000}
IF_SRE_DATA_DIR="$work/s" IF_SRE_ADMIN_TOKEN="$tok" IF_SRE_LISTEN="127.0.0.1:$port" \
  IF_SRE_LOG_LEVEL=warn "$bin" serve >"$work/log2" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
f=$("$gen" fill "$url" "$tok" 8 "$nsearch" "$nsearch")
echo "search: filled $(field "$f" items) findings over $nsearch keys ($(field "$f" errors) errors)"
printf '%-10s | %-24s | %-9s %-9s %-9s | %s\n' build "q (4 clients)" "req/s" p50_ms p99_ms \
  "healthz api p50/p99"
for q in k14999 finding; do
  "$gen" getfor "$url" "$tok" 4 "$secs" "/api/v1/incidents?q=$q" >"$work/search.json" &
  load=$!
  sleep 1
  h=$("$gen" getfor "$url" - 1 "$((secs - 2))" /healthz)
  wait "$load"
  sr=$(cat "$work/search.json")
  printf '%-10s | %-24s | %-9s %-9s %-9s | %s\n' "$label" "q=$q" "$(field "$sr" items_per_s)" \
    "$(field "$sr" p50_ms)" "$(field "$sr" p99_ms)" "$(field "$h" p50_ms) / $(field "$h" p99_ms)"
done
