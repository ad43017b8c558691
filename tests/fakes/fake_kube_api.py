#!/usr/bin/env python3
"""A fake Kubernetes API server for tests, built to the documented wire format
(reference: the Kubernetes API concepts page; summary in docs/kubernetes.md).

Serves discovery, list (limit/continue, fieldSelector), get, watch (chunked
newline-delimited JSON events, BOOKMARK events, 410 Gone for a compacted
resourceVersion), merge and strategic-merge patch, delete, the scale
subresource, ?dryRun=All, bearer-token auth (401) and RBAC-style 403s. A
control API under /_fake/ lets a test script the cluster:

  (Requests with the header X-Fake-Test: 1 are a test's own: not recorded, not authorized.)
  POST /_fake/objects      body: an object (apiVersion, kind, metadata) -> upsert (ADDED/MODIFIED)
  POST /_fake/delete       body: {"kind":..,"namespace":..,"name":..} -> DELETED
  POST /_fake/compact      every resourceVersion seen so far becomes too old (410)
  POST /_fake/break        open watch streams are cut (the connection closes mid-stream)
  POST /_fake/forbid       body: {"verb":"patch","resource":"deployments","namespace":"x"} -> 403
  GET  /_fake/requests     the requests served (method, path, query, content_type, body)
  GET  /_fake/state        every stored object
  GET  /_fake/rbac         with --rbac: {"denied": [...], "unused": [...]} (see below)

With --rbac FILE (a JSON list of ClusterRole rules: apiGroups, resources,
verbs), every API request is checked against the rules as an API server's
authorizer would (discovery is allowed to everyone): a request they do not
allow is answered 403 and recorded in "denied"; "unused" lists every
(group, resource, verb) the rules grant that no request used.

Strategic merge patch is applied as a JSON merge patch, which is what it is
for the maps it is used on here (annotations, replicas, suspend); list merge
keys are not implemented. Usage: fake_kube_api.py --port-file F [--token T]
"""
import argparse
import copy
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# resource -> (group, version, kind, namespaced)
RESOURCES = {
    "nodes": ("", "v1", "Node", False),
    "namespaces": ("", "v1", "Namespace", False),
    "pods": ("", "v1", "Pod", True),
    "events": ("", "v1", "Event", True),
    "configmaps": ("", "v1", "ConfigMap", True),
    "deployments": ("apps", "v1", "Deployment", True),
    "statefulsets": ("apps", "v1", "StatefulSet", True),
    "cronjobs": ("batch", "v1", "CronJob", True),
    "jobs": ("batch", "v1", "Job", True),
}
KIND_TO_RES = {v[2]: k for k, v in RESOURCES.items()}
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
SCALABLE = ("deployments", "statefulsets")
SHORT = {"nodes": ["no"], "namespaces": ["ns"], "pods": ["po"], "events": ["ev"],
         "configmaps": ["cm"], "deployments": ["deploy"], "statefulsets": ["sts"],
         "cronjobs": ["cj"]}


def status(code, reason, message, details=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
          "message": message, "reason": reason, "code": code}
    if details:
        st["details"] = details
    return st


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if k.startswith("$"):
            continue  # strategic-merge directives: not needed for maps
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def field_value(obj, dotted):
    cur = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def selector_matches(obj, sel):
    if not sel:
        return True
    for term in sel.split(","):
        neg = "!=" in term
        k, v = term.split("!=" if neg else "=", 1)
        k = k.rstrip("=")
        val = field_value(obj, k)
        val = "" if val is None else str(val)
        if (val == v) == neg:
            return False
    return True


class Cluster:
    def __init__(self):
        self.lock = threading.Condition()
        self.rv = 100
        self.compacted = 0          # watches from an rv at or below this get 410
        self.objects = {}           # (res, ns, name) -> obj
        self.log = []               # (rv, res, type, obj)
        self.generation = 0         # bumped by /_fake/break
        self.forbidden = []
        self.requests = []
        self.rbac = None            # [(group, resource, verb)] granted, or None: no RBAC
        self.rbac_used = set()
        self.rbac_denied = []

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def put(self, res, obj, dry=False):
        md = obj.setdefault("metadata", {})
        key = (res, md.get("namespace", "") if RESOURCES[res][3] else "", md["name"])
        old = self.objects.get(key)
        md.setdefault("uid", "uid-%s-%s" % (res, md["name"]))
        md.setdefault("creationTimestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        g, v, kind, _ = RESOURCES[res]
        obj["apiVersion"] = (g + "/" + v) if g else v
        obj["kind"] = kind
        if dry:
            md["resourceVersion"] = old["metadata"]["resourceVersion"] if old else "0"
            return obj
        md["resourceVersion"] = self.next_rv()
        self.objects[key] = obj
        self.log.append((self.rv, res, "MODIFIED" if old else "ADDED", copy.deepcopy(obj)))
        del self.log[:-10000]
        self.lock.notify_all()
        return obj

    def delete(self, res, ns, name, dry=False):
        key = (res, ns if RESOURCES[res][3] else "", name)
        obj = self.objects.get(key)
        if obj is None or dry:
            return obj
        del self.objects[key]
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = self.next_rv()
        self.log.append((self.rv, res, "DELETED", copy.deepcopy(obj)))
        self.lock.notify_all()
        return obj

    def listing(self, res, ns, sel):
        items = [copy.deepcopy(o) for (r, n, _), o in sorted(self.objects.items())
                 if r == res and (ns is None or n == ns) and selector_matches(o, sel)]
        return items


CLUSTER = Cluster()
TOKEN = None


def discovery(group, version):
    res = []
    for name, (g, v, kind, nsd) in RESOURCES.items():
        if g != group or v != version:
            continue
        verbs = VERBS if name != "events" else ["get", "list", "watch"]
        res.append({"name": name, "singularName": kind.lower(), "namespaced": nsd,
                    "kind": kind, "verbs": verbs, "shortNames": SHORT.get(name, [])})
        if name in SCALABLE:
            res.append({"name": name + "/scale", "singularName": "", "namespaced": True,
                        "group": "autoscaling", "version": "v1", "kind": "Scale",
                        "verbs": ["get", "patch", "update"]})
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": (group + "/" + version) if group else version, "resources": res}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, code, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def fail(self, code, reason, message, details=None):
        self.send_json(code, status(code, reason, message, details))

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # ---- routing ----
    def handle_any(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        body = self.read_body() if method in ("POST", "PUT", "PATCH", "DELETE") else b""
        parts = [p for p in u.path.split("/") if p]
        if parts[:1] == ["_fake"]:
            return self.control(method, parts[1:], body)
        # a test's own reads (X-Fake-Test) are neither recorded nor authorized
        test = self.headers.get("X-Fake-Test") == "1"
        if not test:
            with CLUSTER.lock:
                CLUSTER.requests.append({"method": method, "path": u.path, "query": q,
                                         "content_type": self.headers.get("Content-Type", ""),
                                         "body": body.decode("utf-8", "replace")})
                del CLUSTER.requests[:-2000]
        if TOKEN is not None and self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.fail(401, "Unauthorized", "Unauthorized")
        if u.path == "/version":
            return self.send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-fake",
                                        "platform": "linux/amd64"})
        if u.path == "/api":
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"]})
        if u.path == "/apis":
            groups = []
            for g in ("apps", "batch"):
                gv = {"groupVersion": g + "/v1", "version": "v1"}
                groups.append({"name": g, "versions": [gv], "preferredVersion": gv})
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                        "groups": groups})
        if parts[:1] == ["api"] and len(parts) == 2:
            return self.send_json(200, discovery("", parts[1]))
        if parts[:1] == ["apis"] and len(parts) == 3:
            return self.send_json(200, discovery(parts[1], parts[2]))
        # /api/v1/... or /apis/g/v/...
        rest = parts[2:] if parts[:1] == ["api"] else parts[3:]
        group = "" if parts[:1] == ["api"] else (parts[1] if len(parts) > 1 else "")
        ns = None
        if len(rest) >= 2 and rest[0] == "namespaces" and rest[1] and len(rest) > 2:
            ns, rest = rest[1], rest[2:]
        if not rest or rest[0] not in RESOURCES or RESOURCES[rest[0]][0] != group:
            return self.fail(404, "NotFound", "the server could not find the requested resource")
        res = rest[0]
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        verb = {"GET": "get" if name else ("watch" if q.get("watch") in ("1", "true") else "list"),
                "PATCH": "patch", "DELETE": "delete", "PUT": "update", "POST": "create"}[method]
        if CLUSTER.rbac is not None and not test:
            want = (group, res + ("/" + sub if sub else ""), verb)
            with CLUSTER.lock:
                if want in CLUSTER.rbac:
                    CLUSTER.rbac_used.add(want)
                else:
                    CLUSTER.rbac_denied.append(list(want))
                    return self.fail(403, "Forbidden", '%s "%s" is forbidden: the ClusterRole does '
                                     'not allow %s on %s in API group "%s"' % (
                                         want[1], name or "", verb, want[1], group))
        for f in CLUSTER.forbidden:
            if f.get("verb") == verb and f.get("resource") == (res + ("/" + sub if sub else "")) \
                    and f.get("namespace", ns) == ns:
                return self.fail(403, "Forbidden",
                                 '%s "%s" is forbidden: User "system:serviceaccount:srebot:srebot" '
                                 'cannot %s resource "%s" in API group "%s"%s' % (
                                     res, name or "", verb, res, group,
                                     ' in the namespace "%s"' % ns if ns else " at the cluster scope"))
        if RESOURCES[res][3] is False and ns is not None:
            return self.fail(404, "NotFound", "cluster-scoped resource")
        dry = q.get("dryRun") == "All"
        if method == "DELETE" and body:
            # kubectl sends a delete's dry run in the DeleteOptions body
            try:
                dry = dry or "All" in (json.loads(body).get("dryRun") or [])
            except (ValueError, AttributeError):
                return self.fail(400, "BadRequest", "DeleteOptions is not a JSON object")
        if dry and method == "GET":
            return self.fail(400, "BadRequest", "dryRun is not allowed on reads")
        if q.get("dryRun") not in (None, "All"):
            return self.fail(400, "BadRequest", "dryRun must be All")
        if verb == "list":
            return self.do_list(res, ns, q)
        if verb == "watch":
            return self.do_watch(res, ns, q)
        if name is None:
            return self.fail(405, "MethodNotAllowed", "not supported here")
        nskey = ns or ""
        with CLUSTER.lock:
            obj = CLUSTER.objects.get((res, nskey if RESOURCES[res][3] else "", name))
            if obj is None:
                g = RESOURCES[res][0]
                return self.fail(404, "NotFound", '%s%s "%s" not found' % (
                    res, "." + g if g else "", name), {"name": name, "kind": res})
            if sub == "scale":
                if res not in SCALABLE:
                    return self.fail(404, "NotFound", "no scale subresource")
                return self.do_scale(method, res, obj, body, dry, q)
            if sub is not None:
                return self.fail(404, "NotFound", "unknown subresource")
            if method == "GET":
                return self.send_json(200, obj)
            if method == "DELETE":
                return self.send_json(200, CLUSTER.delete(res, nskey, name, dry))
            if method == "PATCH":
                patched = self.apply_patch(obj, body)
                if patched is None:
                    return
                return self.send_json(200, CLUSTER.put(res, patched, dry))
            if method == "PUT":
                try:
                    new = json.loads(body)
                except ValueError:
                    return self.fail(400, "BadRequest", "body is not JSON")
                rv = new.get("metadata", {}).get("resourceVersion")
                if rv and rv != obj["metadata"]["resourceVersion"]:
                    return self.fail(409, "Conflict", "the object has been modified")
                return self.send_json(200, CLUSTER.put(res, new, dry))
        return self.fail(405, "MethodNotAllowed", "not supported here")

    def apply_patch(self, obj, body):
        ct = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ct not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            self.fail(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                      "format - accepted media types include: application/merge-patch+json, "
                      "application/strategic-merge-patch+json")
            return None
        try:
            patch = json.loads(body)
        except ValueError:
            self.fail(400, "BadRequest", "the patch is not JSON")
            return None
        if not isinstance(patch, dict):
            self.fail(400, "BadRequest", "the patch must be an object")
            return None
        return merge_patch(copy.deepcopy(obj), patch)

    def do_scale(self, method, res, obj, body, dry, q):
        md = obj["metadata"]

        def scale_of(o):
            return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                    "metadata": {"name": md["name"], "namespace": md.get("namespace", ""),
                                 "resourceVersion": o["metadata"]["resourceVersion"]},
                    "spec": {"replicas": o.get("spec", {}).get("replicas", 1)},
                    "status": {"replicas": o.get("status", {}).get("replicas", 0)}}
        if method == "GET":
            return self.send_json(200, scale_of(obj))
        if method == "PATCH":
            new = self.apply_patch(scale_of(obj), body)
            if new is None:
                return
        elif method == "PUT":
            new = json.loads(body or b"{}")
        else:
            return self.fail(405, "MethodNotAllowed", "not supported here")
        replicas = new.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            return self.fail(422, "Invalid", "spec.replicas: Invalid value")
        o = copy.deepcopy(obj)
        o.setdefault("spec", {})["replicas"] = replicas
        return self.send_json(200, scale_of(CLUSTER.put(res, o, dry)))

    def do_list(self, res, ns, q):
        with CLUSTER.lock:
            items = CLUSTER.listing(res, ns, q.get("fieldSelector"))
            rv = str(CLUSTER.rv)
        limit = int(q.get("limit") or 0)
        start = int(q.get("continue") or 0)
        md = {"resourceVersion": rv}
        if limit and start + limit < len(items):
            md["continue"] = str(start + limit)
        page = items[start:start + limit] if limit else items[start:]
        g, v, kind, _ = RESOURCES[res]
        self.send_json(200, {"kind": kind + "List", "apiVersion": (g + "/" + v) if g else v,
                             "metadata": md, "items": page})

    def do_watch(self, res, ns, q):
        since = int(q.get("resourceVersion") or 0)
        timeout = float(q.get("timeoutSeconds") or 1800)
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        sel = q.get("fieldSelector")
        with CLUSTER.lock:
            if since and since <= CLUSTER.compacted:
                return self.fail(410, "Expired", "too old resource version: %d (%d)" % (
                    since, CLUSTER.compacted + 1))
            gen = CLUSTER.generation
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        end = time.time() + timeout
        last_bookmark = time.time()
        pos = since
        try:
            while time.time() < end:
                with CLUSTER.lock:
                    if CLUSTER.generation != gen:
                        # cut: no closing chunk, the connection just ends
                        self.close_connection = True
                        return
                    batch = [e for e in CLUSTER.log if e[0] > pos and e[1] == res and
                             (ns is None or e[3]["metadata"].get("namespace") == ns) and
                             selector_matches(e[3], sel)]
                    # the version this batch is complete up to, taken with it: a
                    # bookmark must never pass an event added while we wait below
                    newest = CLUSTER.rv
                    if not batch:
                        CLUSTER.lock.wait(0.2)
                for rv, _, typ, obj in batch:
                    self.chunk(json.dumps({"type": typ, "object": obj}) + "\n")
                    pos = rv
                if not batch and bookmarks and time.time() - last_bookmark >= BOOKMARK_SECONDS:
                    g, v, kind, _ = RESOURCES[res]
                    self.chunk(json.dumps({"type": "BOOKMARK", "object": {
                        "kind": kind, "apiVersion": (g + "/" + v) if g else v,
                        "metadata": {"resourceVersion": str(newest)}}}) + "\n")
                    last_bookmark = time.time()
                    pos = max(pos, newest)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def control(self, method, parts, body):
        what = parts[0] if parts else ""
        data = json.loads(body) if body else {}
        with CLUSTER.lock:
            if what == "objects" and method == "POST":
                res = KIND_TO_RES.get(data.get("kind"))
                if not res:
                    return self.fail(400, "BadRequest", "unknown kind")
                return self.send_json(200, CLUSTER.put(res, copy.deepcopy(data)))
            if what == "delete" and method == "POST":
                res = KIND_TO_RES.get(data.get("kind"))
                obj = CLUSTER.delete(res, data.get("namespace", ""), data.get("name"))
                return self.send_json(200 if obj else 404, obj or {})
            if what == "compact":
                CLUSTER.compacted = CLUSTER.rv
                CLUSTER.log = []
                return self.send_json(200, {"compacted": CLUSTER.compacted})
            if what == "break":
                CLUSTER.generation += 1
                CLUSTER.lock.notify_all()
                return self.send_json(200, {})
            if what == "forbid":
                CLUSTER.forbidden.append(data)
                return self.send_json(200, {})
            if what == "requests":
                return self.send_json(200, {"items": CLUSTER.requests})
            if what == "rbac":
                unused = sorted(set(CLUSTER.rbac or []) - CLUSTER.rbac_used)
                return self.send_json(200, {"denied": CLUSTER.rbac_denied,
                                            "unused": [list(u) for u in unused]})
            if what == "state":
                return self.send_json(200, {"items": [o for o in CLUSTER.objects.values()]})
        return self.fail(404, "NotFound", "no such control call")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


BOOKMARK_SECONDS = 1.0


def main():
    global TOKEN, BOOKMARK_SECONDS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token")
    ap.add_argument("--bookmark-seconds", type=float, default=1.0)
    ap.add_argument("--rbac", help="JSON list of ClusterRole rules to enforce")
    a = ap.parse_args()
    if a.rbac:
        with open(a.rbac) as f:
            CLUSTER.rbac = [(g, r, v) for rule in json.load(f) for g in rule["apiGroups"]
                            for r in rule["resources"] for v in rule["verbs"]]
    TOKEN = a.token
    BOOKMARK_SECONDS = a.bookmark_seconds
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # a test that dies half-way must not leave the fake behind: exit with the parent
    import os
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch_parent, daemon=True).start()
    srv.daemon_threads = True
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
