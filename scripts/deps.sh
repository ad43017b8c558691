#!/usr/bin/env bash
# Installs the Debian packages a target needs. Idempotent: a no-op when all are present.
#   scripts/deps.sh run    -> what `make run` needs (build + runtime)
#   scripts/deps.sh test   -> plus what `make test` needs (servers, browser, fuzzing)
set -euo pipefail

build_pkgs=(build-essential cmake ninja-build pkg-config
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev
  libvectorscan-dev libyaml-dev libpq-dev)
test_pkgs=(libcmocka-dev clang libclang-rt-14-dev cppcheck curl sqlite3 python3
  openssl chromium python3-yaml exim4-daemon-light)
bench_pkgs=(prometheus-alertmanager)

want=("${build_pkgs[@]}")
case "${1:-run}" in
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
esac
# kubectl (drives the fake Kubernetes API in a test): Debian's kubernetes-client,
# unless a kubectl is already installed (another package providing it would conflict).
if [ "${1:-run}" != run ] && ! command -v kubectl >/dev/null 2>&1; then want+=(kubernetes-client); fi
# Node.js may come from Debian (nodejs + npm) or already be present with npm bundled.
if [ "${1:-run}" != run ] && ! command -v npm >/dev/null 2>&1; then want+=(nodejs npm); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
