#!/usr/bin/env bash
# Browser tests of the admin console against the real daemon: starts
# $SREBOT_BIN serve on a free loopback port with a temporary data dir and an
# admin token, runs tests/e2e/run.mjs (playwright-core driving Debian's
# chromium, headless), stops the daemon. Screenshots go to
# $SREBOT_BUILD_DIR/e2e-artifacts/. Fails on a sanitizer report from the daemon.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${SREBOT_BIN:?SREBOT_BIN is required}"
build=${SREBOT_BUILD_DIR:-$root/build}
command -v node >/dev/null || { echo "node is required (Debian package nodejs)"; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "chromium is required (Debian package chromium)"; exit 1; }
bash "$root/scripts/web-deps.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/srebot-e2e.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

token="e2e-admin-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$work/data"
# Viewer and ingest tokens, for the role tests (written to the store before the daemon starts).
viewer=$(IF_SRE_DATA_DIR="$work/data" IF_SRE_LOG_LEVEL=warn "$SREBOT_BIN" token create --name e2e-viewer --role viewer 2>"$work/token.log") ||
  { echo "srebot token create failed:"; cat "$work/token.log"; exit 1; }
ingest=$(IF_SRE_DATA_DIR="$work/data" IF_SRE_LOG_LEVEL=warn "$SREBOT_BIN" token create --name e2e-ingest --role ingest 2>"$work/token.log") ||
  { echo "srebot token create failed:"; cat "$work/token.log"; exit 1; }
# Port 0: the kernel picks a free port as the daemon binds it (a port picked
# here and bound later could be taken meanwhile by a test running in parallel,
# whose daemon would then answer ours). The daemon logs the port at info level.
# setpriv --pdeathsig: the daemon dies with this script even when the script
# itself is killed (ctest's timeout), so no `srebot serve` is left running.
IF_SRE_LISTEN="127.0.0.1:0" IF_SRE_DATA_DIR="$work/data" IF_SRE_ADMIN_TOKEN="$token" \
IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true IF_SRE_LOG_LEVEL=info \
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1} \
  setpriv --pdeathsig KILL "$SREBOT_BIN" serve >"$work/stdout.log" 2>"$work/stderr.log" &
pid=$!

# Up to 60 s: an ASan build on a loaded 2-core machine can take seconds.
port=
for i in $(seq 1 1200); do
  [ -n "$port" ] || port=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/stderr.log" 2>/dev/null | head -n1 | sed 's/.*://' || true)
  if [ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "srebot exited during start-up:"; cat "$work/stderr.log"; exit 1; fi
  sleep 0.05
  [ "$i" = 1200 ] && { echo "srebot did not become healthy"; cat "$work/stderr.log"; exit 1; }
done

art="$build/e2e-artifacts"
rm -rf "$art"
mkdir -p "$art"
rc=0
# TMPDIR: the browser profile lands in $work, removed on exit whatever happens.
# node dies with this script too (chromium follows it: its pipe closes).
SREBOT_URL="http://127.0.0.1:$port" SREBOT_TOKEN="$token" SREBOT_VIEWER_TOKEN="$viewer" SREBOT_INGEST_TOKEN="$ingest" E2E_ARTIFACTS="$art" \
  TMPDIR="$work" setpriv --pdeathsig KILL node "$root/tests/e2e/run.mjs" || rc=$?

kill -TERM "$pid"
wait "$pid" || { code=$?; [ "$code" -ne 0 ] && { echo "srebot exited with $code"; rc=1; }; }
pid=
cp "$work/stderr.log" "$art/srebot-stderr.log"
if grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$work/stderr.log"; then
  echo "sanitizer report in the daemon's stderr:"; grep -A20 -E "Sanitizer|runtime error:" "$work/stderr.log" | head -60
  rc=1
fi
exit $rc
