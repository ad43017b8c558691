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
cat <<MSG

  SRE Smart Bot is starting.
  Console:   http://$listen/
  Sign in with the admin token in $token_file
             (cat $token_file; create more with: $bin token create --name NAME --role viewer)
  Health:    http://$listen/healthz    Metrics: http://$listen/metrics
  Stop:      Ctrl-C (drains pending writes, then exits)

MSG
export IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=${IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS:-true}
exec "$bin" serve --data-dir "$data" --listen "$listen" "$@"
