#!/usr/bin/env bash
# Installs srebot from the unpacked tarball (as root):
#   sudo ./install.sh            binary, unit, docs; /etc/srebot/srebot.env when missing
#   sudo systemctl enable --now srebot
# The unit runs as a dynamic user with its data in /var/lib/srebot (StateDirectory).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
prefix=${PREFIX:-/usr}
install -m 0755 "$here/bin/srebot" "$prefix/bin/srebot"
install -m 0644 "$here/systemd/srebot.service" /etc/systemd/system/srebot.service
install -d -m 0755 /etc/srebot "$prefix/share/doc/srebot"
# Never overwrite a configured environment file (it may hold the admin token).
[ -e /etc/srebot/srebot.env ] || install -m 0600 "$here/systemd/srebot.env.example" /etc/srebot/srebot.env
install -m 0644 "$here"/doc/*.md "$prefix/share/doc/srebot/"
if [ "$prefix" != /usr ]; then
  sed -i "s#/usr/bin/srebot#$prefix/bin/srebot#" /etc/systemd/system/srebot.service
fi
systemctl daemon-reload 2>/dev/null || true
echo "installed; edit /etc/srebot/srebot.env, then: systemctl enable --now srebot"
