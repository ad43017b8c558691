#!/usr/bin/env bash
# Builds the release tarball: srebot-<version>-<arch>.tar.gz with the binary,
# the systemd unit, an example environment file, the docs and install.sh.
#   scripts/package.sh BINARY OUT_DIR      (make package: build/srebot -> build/dist)
# Prints the tarball's path. See docs/operations.md#tarball-and-systemd.
set -euo pipefail
bin=${1:?usage: package.sh BINARY OUT_DIR}
out=${2:?usage: package.sh BINARY OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)

version=$("$bin" version | awk '{print $NF}')
case "$version" in [0-9]*.[0-9]*) ;; *) echo "package: cannot read the version from $bin version" >&2; exit 1 ;; esac
arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
name="srebot-$version-$arch"

stage=$(mktemp -d "${TMPDIR:-/tmp}/srebot-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
top="$stage/$name"
install -d "$top/bin" "$top/systemd" "$top/doc"
install -m 0755 "$bin" "$top/bin/srebot"
install -m 0644 "$root/deploy/systemd/srebot.service" "$top/systemd/srebot.service"
install -m 0644 "$root/deploy/systemd/srebot.env.example" "$top/systemd/srebot.env.example"
install -m 0755 "$root/deploy/systemd/install.sh" "$top/install.sh"
install -m 0644 "$root/README.md" "$top/README.md"
install -m 0644 "$root"/docs/*.md "$top/doc/"
install -d "$top/prometheus" "$top/grafana"
for f in "$root"/deploy/prometheus/*.yml; do [ -e "$f" ] && install -m 0644 "$f" "$top/prometheus/"; done
for f in "$root"/deploy/grafana/*.json; do [ -e "$f" ] && install -m 0644 "$f" "$top/grafana/"; done

mkdir -p "$out"
tarball="$(cd "$out" && pwd)/$name.tar.gz"
# Owned by root, stable order and times: the same inputs give the same archive.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' \
    -C "$stage" -czf "$tarball" "$name"
echo "$tarball"
