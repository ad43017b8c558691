# Sourced by tests: starts the fake Kubernetes API (tests/fakes/fake_kube_api.py)
# on a free loopback port and sets FAKE_KUBE_PID, FAKE_KUBE_URL. Args: work dir,
# then options for the fake (--token T ...). The caller kills FAKE_KUBE_PID.
fake_kube_start() {
  local work=$1; shift
  local py=/usr/bin/python3
  [ -x "$py" ] || py=$(command -v python3)
  rm -f "$work/fake-kube.port"
  "$py" "$(dirname "${BASH_SOURCE[0]}")/fake_kube_api.py" --port-file "$work/fake-kube.port" "$@" \
    >"$work/fake-kube.log" 2>&1 &
  FAKE_KUBE_PID=$!
  for _ in $(seq 1 200); do [ -s "$work/fake-kube.port" ] && break; sleep 0.05; done
  [ -s "$work/fake-kube.port" ] || { echo "the fake Kubernetes API did not start"; cat "$work/fake-kube.log"; return 1; }
  FAKE_KUBE_URL="http://127.0.0.1:$(cat "$work/fake-kube.port")"
}
