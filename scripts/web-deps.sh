#!/usr/bin/env bash
# Installs the browser-test packages from the lock file (npm ci), once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/tests/e2e" 2>/dev/null || exit 0
[ -f package-lock.json ] || exit 0
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
