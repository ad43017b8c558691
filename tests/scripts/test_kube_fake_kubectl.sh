#!/usr/bin/env bash
# Keeps the fake Kubernetes API honest: the real kubectl (Debian
# kubernetes-client) drives it with get, get --watch, patch, scale, delete and a
# server-side dry run, and sees RBAC refusals and 410 Gone the way it would
# from a real API server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v kubectl >/dev/null || { echo "kubectl is required (Debian package kubernetes-client)"; exit 1; }
. "$root/tests/fakes/start_fake_kube.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/srebot-kubectl.XXXXXX")
FAKE_KUBE_PID=; wpid=
cleanup() {
  [ -n "$wpid" ] && kill "$wpid" 2>/dev/null || true
  [ -n "$FAKE_KUBE_PID" ] && kill "$FAKE_KUBE_PID" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fake_kube_start "$work"
U=$FAKE_KUBE_URL
cat >"$work/kubeconfig" <<YAML
apiVersion: v1
kind: Config
current-context: fake
contexts:
- name: fake
  context: {cluster: fake, user: bot, namespace: shop}
clusters:
- name: fake
  cluster: {server: "$U"}
users:
- name: bot
  user: {}
YAML
export KUBECONFIG=$work/kubeconfig HOME=$work
k() { kubectl --request-timeout=10s "$@"; }
put() { curl -fsS -XPOST "$U/_fake/objects" -d "$1" >/dev/null; }
fail() { echo "FAIL: $*"; exit 1; }

put '{"kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":3,"template":{"metadata":{}}},"status":{"replicas":3}}'
put '{"kind":"Pod","metadata":{"name":"done-1","namespace":"shop"},"status":{"phase":"Succeeded"}}'
put '{"kind":"Pod","metadata":{"name":"api-1","namespace":"shop"},"status":{"phase":"Running"}}'
put '{"kind":"Node","metadata":{"name":"n1"},"spec":{},"status":{"conditions":[{"type":"Ready","status":"True"}]}}'

# get (list), get one, field selector
[ "$(k get pods -o name | sort | tr '\n' ' ')" = "pod/api-1 pod/done-1 " ] || fail "get pods"
k get pods --field-selector=status.phase=Succeeded -o name | grep -qx pod/done-1 || fail "field selector"
[ "$(k get pods --field-selector=status.phase=Succeeded -o name | wc -l)" = 1 ] || fail "field selector filters"
k get node n1 -o jsonpath='{.status.conditions[0].type}' | grep -qx Ready || fail "get node"

# get --watch: sees an object added after it started
k get pods --watch -o name >"$work/watch.out" 2>&1 & wpid=$!
sleep 1.5
put '{"kind":"Pod","metadata":{"name":"late-1","namespace":"shop"},"status":{"phase":"Running"}}'
for _ in $(seq 1 100); do grep -q late-1 "$work/watch.out" && break; sleep 0.1; done
grep -q pod/late-1 "$work/watch.out" || { cat "$work/watch.out"; fail "watch did not show late-1"; }
kill "$wpid"; wpid=

# patch (strategic, as kubectl sends it), rollout restart, scale
k patch deployment web -p '{"spec":{"template":{"metadata":{"annotations":{"team":"shop"}}}}}' >/dev/null
k rollout restart deployment/web >/dev/null
k get deployment web -o jsonpath='{.spec.template.metadata.annotations.team}' | grep -qx shop || fail "patch"
k get deployment web -o jsonpath='{.spec.template.metadata.annotations}' | grep -q 'kubectl.kubernetes.io/restartedAt' || fail "rollout restart annotation"
k scale deployment/web --replicas=0 >/dev/null
[ "$(k get deployment web -o jsonpath='{.spec.replicas}')" = 0 ] || fail "scale"

# server-side dry run changes nothing. kubectl before 1.21 (Debian 12 ships
# 1.20) asks the server's protobuf OpenAPI document whether a kind supports
# dry run, which the fake does not serve: there the same requests go by curl.
minor=$(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1)
if [ "${minor:-0}" -ge 21 ]; then
  k patch node n1 -p '{"spec":{"unschedulable":true}}' --dry-run=server >/dev/null
  k delete pod done-1 --dry-run=server >/dev/null
else
  curl -fsS -XPATCH -H 'Content-Type: application/strategic-merge-patch+json' \
    "$U/api/v1/nodes/n1?dryRun=All" -d '{"spec":{"unschedulable":true}}' >/dev/null
  curl -fsS -XDELETE "$U/api/v1/namespaces/shop/pods/done-1?dryRun=All" >/dev/null
fi
[ -z "$(k get node n1 -o jsonpath='{.spec.unschedulable}')" ] || fail "dry run changed the node"
k get pod done-1 -o name | grep -qx pod/done-1 || fail "dry run deleted the pod"

# delete (kubectl waits for the object to go)
k delete pod done-1 >/dev/null
! k get pod done-1 -o name 2>/dev/null || fail "delete"
out=$(k get pod done-1 2>&1) && fail "a deleted pod is still there"
echo "$out" | grep -q 'NotFound' || fail "no NotFound for a deleted pod: $out"

# RBAC-style refusal
curl -fsS -XPOST "$U/_fake/forbid" -d '{"verb":"delete","resource":"pods","namespace":"shop"}' >/dev/null
out=$(k delete pod api-1 2>&1) && fail "a forbidden delete succeeded"
echo "$out" | grep -q 'forbidden' || fail "403 not reported as forbidden: $out"

# 410 Gone for a compacted resourceVersion
curl -fsS -XPOST "$U/_fake/compact" >/dev/null
code=$(curl -s -o "$work/gone.json" -w '%{http_code}' "$U/api/v1/namespaces/shop/pods?watch=1&resourceVersion=101")
[ "$code" = 410 ] || fail "an old resourceVersion answered $code"
grep -q '"reason": "Expired"' "$work/gone.json" || fail "410 without an Expired Status"
# the plain manifests carry the chart's ClusterRole rules verbatim
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" - "$root" <<'PY' || fail "deploy/kubernetes/srebot.yaml's ClusterRole rules differ from the chart's"
import json, sys
root = sys.argv[1]
chart = json.load(open(root + "/deploy/helm/srebot/files/rbac-rules.json"))
text = open(root + "/deploy/kubernetes/srebot.yaml").read()
block = text.split("kind: ClusterRole\n", 1)[1].split("rules:\n", 1)[1].split("---", 1)[0]
sys.exit(0 if json.loads(block) == chart else 1)
PY
echo "kubectl against the fake API: ok"
