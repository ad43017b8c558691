#!/usr/bin/env bash
# The ingest benchmark, one command: `make bench` (or bench/run.sh BUILD_DIR).
#
# 1. srebot vs Prometheus Alertmanager, side by side, at 1, 8 and 64 concurrent
#    clients: batches of 100, half the items repeating hot keys, half new.
#    srebot answers only when the findings are durable (fsync'd WAL commit);
#    Alertmanager keeps alerts in memory. Prints findings/s, p50/p99 and the ratio.
# 2. Scale: fills a fresh srebot with 1M findings over 100k incidents, then reports
#    its RSS and the p50/p99 of GET /api/v1/incidents.
# Before them: start-to-healthy and idle RSS (bench/start.sh) and the log scan
# vs grep -E vs cat on two logs (bench/scan.sh); SKIP_START=1, SKIP_SCAN=1.
#
# 3. The acknowledgement latency at a fixed offered rate (PACED_RATE, 10000
#    findings/s, for PACED_SECONDS, 20): p50/p99 from when each batch was due.
# Knobs (environment): SECONDS_PER_RUN (default 5), CLIENTS ("1 8 64"), HTTP_THREADS (16),
# FILL_FINDINGS (1000000), FILL_KEYS (100000), SKIP_SCALE=1, SKIP_AM=1, SKIP_PACED=1.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin="$build/srebot"
gen="$build/bench/bench_ingest"
[ -x "$bin" ] && [ -x "$gen" ] || { echo "bench: build first ($bin, $gen)" >&2; exit 2; }
secs=${SECONDS_PER_RUN:-5}
clients=${CLIENTS:-"1 8 64"}
# Ingest requests wait for their commit with their connection suspended (no
# thread each), so HTTP threads only parse; 16 is kept for comparison with
# earlier runs.
http_threads=${HTTP_THREADS:-16}
tok="bench-token-$(date +%s)-0123456789abcdef"
work=$(mktemp -d /tmp/srebot-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "bench: $1 not up" >&2; return 1; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }
field() { python3 -c 'import json,sys;print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

start_srebot() { # data dir -> sets SRB_PID SRB_URL
  local port; port=$(free_port)
  mkdir -p "$1"
  IF_SRE_DATA_DIR="$1" IF_SRE_ADMIN_TOKEN="$tok" IF_SRE_LISTEN="127.0.0.1:$port" \
    IF_SRE_LOG_LEVEL=warn IF_SRE_HTTP_THREADS="$http_threads" "$bin" serve >"$1/log" 2>&1 &
  SRB_PID=$!; pids+=("$SRB_PID"); SRB_URL="http://127.0.0.1:$port"
  wait_http "$SRB_URL/readyz"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

start_am() { # sets AM_PID AM_URL
  local port; port=$(free_port)
  mkdir -p "$work/am"
  printf 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n' >"$work/am/am.yml"
  /usr/bin/prometheus-alertmanager --config.file="$work/am/am.yml" \
    --storage.path="$work/am/data" --web.listen-address="127.0.0.1:$port" \
    --cluster.listen-address= --log.level=warn >"$work/am/log" 2>&1 &
  AM_PID=$!; pids+=("$AM_PID"); AM_URL="http://127.0.0.1:$port"
  wait_http "$AM_URL/-/ready"
}

if [ -z "${SKIP_START:-}" ]; then
  echo "== start and idle: bench/start.sh"
  SREBOT_BENCH_NOBUILD=1 bash bench/start.sh "$build"
fi
if [ -z "${SKIP_SCAN:-}" ]; then
  echo "== log scan: bench/scan.sh"
  SREBOT_BENCH_NOBUILD=1 SREBOT_BENCH_BUILD="$build" bash bench/scan.sh
fi

echo "== ingest: srebot (durable, $http_threads HTTP threads) vs Alertmanager (memory), batches of 100, 50% repeated keys, ${secs}s per run"
printf '%-8s | %-12s %-9s %-9s %-9s | %-12s %-9s %-9s %-9s | %s\n' clients "srebot f/s" p50_ms p99_ms rss_MB \
  "AM alerts/s" p50_ms p99_ms rss_MB ratio
for c in $clients; do
  start_srebot "$work/srebot-$c"
  s=$("$gen" srebot "$SRB_URL" "$tok" "$c" "$secs" 100)
  s_rss=$(( $(hwm_kb "$SRB_PID") / 1024 )); stop "$SRB_PID"
  if [ -z "${SKIP_AM:-}" ]; then
    start_am
    a=$("$gen" alertmanager "$AM_URL" - "$c" "$secs" 100)
    a_rss=$(( $(hwm_kb "$AM_PID") / 1024 )); stop "$AM_PID"; rm -rf "$work/am"
    ratio=$(python3 -c "print('%.1fx' % ($(field "$s" items_per_s)/max(1,$(field "$a" items_per_s))))")
  else
    a='{"items_per_s":0,"p50_ms":0,"p99_ms":0}'; a_rss=0; ratio=-
  fi
  printf '%-8s | %-12s %-9s %-9s %-9s | %-12s %-9s %-9s %-9s | %s\n' "$c" \
    "$(field "$s" items_per_s)" "$(field "$s" p50_ms)" "$(field "$s" p99_ms)" "$s_rss" \
    "$(field "$a" items_per_s)" "$(field "$a" p50_ms)" "$(field "$a" p99_ms)" "$a_rss" "$ratio"
  rm -rf "$work/srebot-$c"
done

if [ -z "${SKIP_PACED:-}" ]; then
  rate=${PACED_RATE:-10000}
  echo "== acknowledgement latency at an offered $rate findings/s (16 clients, batches of 100, ${PACED_SECONDS:-20}s)"
  start_srebot "$work/paced"
  p=$("$gen" paced "$SRB_URL" "$tok" 16 "${PACED_SECONDS:-20}" "$rate" 100)
  echo "srebot: $(field "$p" items_per_s) findings/s acknowledged, p50 $(field "$p" p50_ms) ms, p99 $(field "$p" p99_ms) ms ($(field "$p" errors) errors)"
  stop "$SRB_PID"; rm -rf "$work/paced"
fi

[ -n "${SKIP_SCALE:-}" ] && exit 0
total=${FILL_FINDINGS:-1000000}; keys=${FILL_KEYS:-100000}
echo "== scale: $total findings over $keys incidents"
start_srebot "$work/scale"
f=$("$gen" fill "$SRB_URL" "$tok" 8 "$total" "$keys")
echo "fill: $(field "$f" items_per_s) findings/s ($(field "$f" items) findings, $(field "$f" errors) errors)"
echo "srebot RSS with $keys open incidents: $(( $(rss_kb "$SRB_PID") / 1024 )) MB (peak $(( $(hwm_kb "$SRB_PID") / 1024 )) MB)"
for path in "/api/v1/incidents" "/api/v1/incidents?limit=500" "/api/v1/incidents?state=observed&severity=warning" \
            "/api/v1/incidents/counts"; do
  g=$("$gen" get "$SRB_URL" "$tok" 4 2000 "$path")
  echo "GET $path: p50 $(field "$g" p50_ms) ms, p99 $(field "$g" p99_ms) ms ($(field "$g" items_per_s) req/s)"
done
stop "$SRB_PID"
