#!/usr/bin/env bash
# The Prometheus side against the real daemon: the open-incident gauges
# (srebot_incidents_open{state,severity}, srebot_incidents_open_by_class{class})
# follow an incident from opened to resolved, and every metric that
# deploy/prometheus/srebot-alerts.yml and deploy/grafana/srebot-dashboard.json
# query exists on /metrics. The rule file is checked with `promtool check rules`
# when promtool is installed (Debian's prometheus package, ~96 MB, is not a
# test dependency), else parsed as YAML and checked for the rule-file shape.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${SREBOT_BIN:?SREBOT_BIN is required}"
work=$(mktemp -d "${TMPDIR:-/tmp}/srebot-prom.XXXXXX")
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
fail() {
  echo "FAIL: $*" >&2
  [ -z "${base:-}" ] || curl -fsS "$base/metrics" | grep '^srebot_incidents_open' | grep -v ' 0$' >&2 || true
  exit 1
}

token="prom-admin-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$work/data"
IF_SRE_LISTEN="127.0.0.1:0" IF_SRE_DATA_DIR="$work/data" IF_SRE_ADMIN_TOKEN="$token" \
IF_SRE_LOG_LEVEL=info ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1} \
  setpriv --pdeathsig KILL "$SREBOT_BIN" serve >"$work/stdout.log" 2>"$work/stderr.log" &
pid=$!
port=
for i in $(seq 1 1200); do
  [ -n "$port" ] || port=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/stderr.log" 2>/dev/null | head -n1 | sed 's/.*://' || true)
  if [ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$work/stderr.log"; fail "srebot exited during start-up"; }
  sleep 0.05
  [ "$i" = 1200 ] && { cat "$work/stderr.log"; fail "srebot did not become healthy"; }
done
base="http://127.0.0.1:$port"
api() { curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
metric() { curl -fsS "$base/metrics" | awk -v k="$1" '$1 == k {print $2}'; }

# Nothing open: every series is there, at 0.
[ "$(metric 'srebot_incidents_open{state="observed",severity="critical"}')" = 0 ] || fail "open gauge not 0 at start"
[ "$(metric 'srebot_incidents_open_by_class{class="infrastructure.node_disk_pressure"}')" = 0 ] || fail "class gauge missing"

api -X POST "$base/api/v1/findings" -d '[
 {"id":"p1","source":"probe","class":"runtime_services.runtime_dependency_outage","correlation_key":"db-1","severity":"critical","status":"firing","summary":"db down"},
 {"id":"p2","source":"probe","class":"runtime_services.runtime_dependency_outage","correlation_key":"db-2","severity":"warning","status":"firing","summary":"db slow"}]' > "$work/ingest.json"
inc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["incident_id"])' "$work/ingest.json")
# Summed over states: the remediation worker may move the incidents on (escalated...).
sev_sum() { curl -fsS "$base/metrics" | awk -v s="severity=\"$1\"" 'index($1, "srebot_incidents_open{") == 1 && index($1, s) {n += $2} END {print n + 0}'; }
[ "$(sev_sum critical)" = 1 ] || fail "critical incident not counted"
[ "$(sev_sum warning)" = 1 ] || fail "warning incident not counted"
[ "$(metric 'srebot_incidents_open_by_class{class="runtime_services.runtime_dependency_outage"}')" = 2 ] || fail "class count"
# The series of the incident's state (as the API shows it) holds it.
for _ in 1 2 3; do
  state=$(api "$base/api/v1/incidents/$inc" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  [ "$(metric "srebot_incidents_open{state=\"$state\",severity=\"critical\"}")" = 1 ] && break
  sleep 0.5 # it moved between the two reads: look again
done
[ "$(metric "srebot_incidents_open{state=\"$state\",severity=\"critical\"}")" = 1 ] || fail "not counted in its state $state"
api -X POST "$base/api/v1/incidents/$inc/transitions" -d '{"to":"resolved","reason":"fixed"}' >/dev/null
[ "$(sev_sum critical)" = 0 ] || fail "a resolved incident still counted"
[ "$(metric 'srebot_incidents_open_by_class{class="runtime_services.runtime_dependency_outage"}')" = 1 ] || fail "class count after resolve"
# Bounded: one series per open state x severity and per class (+ "other").
n=$(curl -fsS "$base/metrics" | grep -c '^srebot_incidents_open{')
[ "$n" = 24 ] || fail "expected 6 open states x 4 severities = 24 series, got $n"

curl -fsS "$base/metrics" > "$work/metrics.txt"
if command -v promtool >/dev/null; then
  promtool check rules "$root/deploy/prometheus/srebot-alerts.yml"
fi
python3 - "$work/metrics.txt" "$root/deploy/prometheus/srebot-alerts.yml" "$root/deploy/grafana/srebot-dashboard.json" <<'PY'
import json, re, sys, yaml
metrics_file, rules_file, dash_file = sys.argv[1:]
exposed = set()
for line in open(metrics_file):
    if line.startswith("# TYPE "):
        name, kind = line.split()[2:4]
        exposed.add(name)
        if kind == "histogram":
            exposed |= {name + s for s in ("_bucket", "_sum", "_count")}
# Series Prometheus adds itself when it scrapes.
exposed |= {"up", "scrape_duration_seconds"}
FUNCS = {"sum", "rate", "increase", "deriv", "histogram_quantile", "topk", "by", "and", "or",
         "unless", "label_values", "avg", "max", "min", "count", "irate", "without", "on",
         "humanizePercentage", "le", "offset", "bool"}
def names(expr):
    body = re.sub(r'"[^"]*"', '""', expr)
    body = re.sub(r"\{[^}]*\}", "", body)          # label matchers
    body = re.sub(r"\[[^\]]*\]", "", body)        # ranges
    body = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", body)
    body = re.sub(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)", r"\1", body)
    return set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", body)) - FUNCS
def check_expr(where, expr):
    assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), f"{where}: unbalanced: {expr}"
    missing = {n for n in names(expr) if n not in exposed}
    assert not missing, f"{where}: queries {sorted(missing)}, not on /metrics"

doc = yaml.safe_load(open(rules_file))
assert isinstance(doc.get("groups"), list) and doc["groups"], "rules: no groups"
alerts = []
for g in doc["groups"]:
    assert isinstance(g.get("name"), str) and isinstance(g.get("rules"), list), "rules: group shape"
    for r in g["rules"]:
        assert set(r) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, r
        assert isinstance(r.get("alert"), str) and isinstance(r.get("expr"), str), r
        assert r.get("labels", {}).get("severity") in ("critical", "warning", "info"), r["alert"]
        if "for" in r:
            assert re.fullmatch(r"\d+[smhd]", r["for"]), r["for"]
        check_expr("rule " + r["alert"], r["expr"])
        alerts.append(r["alert"])
for want in ("SrebotDown", "SrebotWriterQueueSaturated", "SrebotOutboxBacklogGrowing", "SrebotCriticalIncidentsOpen"):
    assert want in alerts, f"rules: no {want}"

dash = json.load(open(dash_file))
assert dash.get("title") and isinstance(dash.get("panels"), list), "dashboard shape"
ids, exprs = set(), 0
for p in dash["panels"]:
    assert p["id"] not in ids, f"panel id {p['id']} twice"
    ids.add(p["id"])
    assert p.get("targets"), f"panel {p['title']} has no query"
    for t in p["targets"]:
        check_expr("panel " + p["title"], t["expr"])
        exprs += 1
for v in dash.get("templating", {}).get("list", []):
    check_expr("variable " + v["name"], v["query"])
titles = " ".join(p["title"].lower() for p in dash["panels"])
for want in ("ingest", "by state", "latency", "queue", "backlog"):
    assert want in titles, f"dashboard: no panel about {want}"
print(f"prometheus: {len(alerts)} rules, {len(dash['panels'])} panels, {exprs} queries; every metric on /metrics")
PY
kill -TERM "$pid"; wait "$pid" || fail "srebot exited with $?"
pid=
! grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer' "$work/stderr.log" || { cat "$work/stderr.log"; fail "sanitizer report"; }
echo "prometheus: ok"
