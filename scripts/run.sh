#!/usr/bin/env bash
# `make run`: start `srebot serve` on the embedded defaults, after making sure there
# is an admin token to sign in with (created once, kept in the data dir, mode 0600).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/srebot
data=${IF_SRE_DATA_DIR:-./var}
listen=${IF_SRE_LISTEN:-127.0.0.1:8080}
mkdir -p "$data" logs
token_file="$data/admin.token"
"$bin" migrate --data-dir "$data" >/dev/null
if [ ! -s "$token_file" ]; then
  umask 077
  "$bin" token create --data-dir "$data" --name console-admin --role admin > "$token_file"
fi
echo "srebot: starting (data in $data; the console address is printed when it is ready)"
exec "$bin" serve --data-dir "$data" --listen "$listen" "$@"
