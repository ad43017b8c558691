#!/usr/bin/env python3
"""Fake Slack Web API and Telegram Bot API for srebot's tests (no provider is
reachable from the test machines). Built from the providers' documented wire
formats (docs/channels.md; Slack: chat.postMessage, chat.update,
chat.postEphemeral, Block Kit, incoming webhooks, interactivity and request
signing v0; Telegram Bot API: sendMessage, editMessageText,
answerCallbackQuery, getUpdates, setWebhook's secret_token).

It checks what srebot sends (auth, content type, the shape of blocks and
inline keyboards), records every request for the tests' assertions, can
answer 429 with Retry-After / retry_after, and sends callbacks the way the
providers do (signed with Slack's v0 algorithm; Telegram's secret-token
header). Standard library only.

  fake_chat.py --port-file F [--port N] --slack-token xoxb-.. --telegram-token 123:abc

Provider endpoints:
  POST /api/<method>                 Slack Web API (Bearer token)
  POST /services/<T>/<B>/<secret>    Slack incoming webhook
  POST /bot<token>/<method>          Telegram Bot API
  POST /workflows/<id>               Teams Workflows webhook (Adaptive Card)
Control (tests only):
  GET  /_control/requests            every request recorded, oldest first
  GET  /_control/violations          wire-format violations seen (must stay empty)
  GET  /_control/messages            the messages as they stand (after edits), posting order
  POST /_control/fail                {"api","method"?,"status","retry_after","count"}
  POST /_control/reset               forget requests, failures and violations
  POST /_control/slack/interaction   {"url","signing_secret","user_id","action","value",
                                      "channel","message_ts","timestamp"?,"forge"?}
  POST /_control/slack/command       {"url","signing_secret","user_id","channel","text"}
  POST /_control/telegram/callback   {"url"?,"secret_token"?,"from_id","data","chat_id",
                                      "message_id"} -> webhook POST, or queued for getUpdates
"""
import argparse
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COND = threading.Condition(LOCK)
STATE = {
    "requests": [],
    "violations": [],
    "fail": [],          # [{"api","method","status","retry_after","count"}]
    "messages": {},      # Slack: "channel/ts" -> message; Telegram: "chat/id" -> message
    "updates": [],       # Telegram updates waiting for getUpdates
    "next_update": 1000,
    "next_ts": 1,
    "next_message": 100,
}
ARGS = None

SLACK_BLOCK_TYPES = {"section", "context", "actions", "header", "divider"}


def violation(text):
    STATE["violations"].append(text)


def check_text_object(obj, where, plain_only=False, max_len=3000):
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        violation(f"{where}: not a text object")
        return
    if plain_only and obj["type"] != "plain_text":
        violation(f"{where}: must be plain_text")
    if not isinstance(obj.get("text"), str) or len(obj["text"]) > max_len:
        violation(f"{where}: text missing or longer than {max_len}")


def check_blocks(blocks, where):
    """Block Kit as documented: <= 50 blocks; buttons with action_id <= 255,
    value <= 2000, plain_text <= 75, style primary|danger, <= 25 per block."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        violation(f"{where}: blocks must be a list of <= 50")
        return
    action_ids = set()
    for i, b in enumerate(blocks):
        w = f"{where}[{i}]"
        if not isinstance(b, dict) or b.get("type") not in SLACK_BLOCK_TYPES:
            violation(f"{w}: unknown block type {b.get('type') if isinstance(b, dict) else b}")
            continue
        if "block_id" in b and (not isinstance(b["block_id"], str) or len(b["block_id"]) > 255):
            violation(f"{w}.block_id: bad")
        if b["type"] == "section":
            check_text_object(b.get("text"), w + ".text")
        elif b["type"] == "context":
            els = b.get("elements")
            if not isinstance(els, list) or not 1 <= len(els) <= 10:
                violation(f"{w}.elements: 1..10 required")
            else:
                for j, e in enumerate(els):
                    check_text_object(e, f"{w}.elements[{j}]")
        elif b["type"] == "actions":
            els = b.get("elements")
            if not isinstance(els, list) or not 1 <= len(els) <= 25:
                violation(f"{w}.elements: 1..25 required")
                continue
            for j, e in enumerate(els):
                ew = f"{w}.elements[{j}]"
                if e.get("type") != "button":
                    violation(f"{ew}: only buttons are expected")
                    continue
                aid = e.get("action_id")
                if not isinstance(aid, str) or not 0 < len(aid) <= 255 or aid in action_ids:
                    violation(f"{ew}.action_id: missing, too long or not unique")
                action_ids.add(aid)
                if not isinstance(e.get("value"), str) or len(e["value"]) > 2000:
                    violation(f"{ew}.value: missing or > 2000")
                check_text_object(e.get("text"), ew + ".text", plain_only=True, max_len=75)
                if "style" in e and e["style"] not in ("primary", "danger"):
                    violation(f"{ew}.style: primary|danger")
                if "confirm" in e:
                    c = e["confirm"]
                    for k in ("title", "text", "confirm", "deny"):
                        check_text_object(c.get(k), f"{ew}.confirm.{k}", plain_only=True)


def check_keyboard(markup, where):
    """Telegram InlineKeyboardMarkup: rows of buttons, each with text and exactly
    one action field; callback_data 1..64 bytes."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        violation(f"{where}: inline_keyboard must be a list of rows")
        return
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            violation(f"{where}[{i}]: a row must be a list")
            continue
        for j, b in enumerate(row):
            w = f"{where}[{i}][{j}]"
            if not isinstance(b.get("text"), str) or not b["text"]:
                violation(f"{w}.text: required")
            actions = [k for k in ("url", "callback_data", "switch_inline_query") if k in b]
            if len(actions) != 1:
                violation(f"{w}: exactly one action field")
            if "callback_data" in b:
                n = len(b["callback_data"].encode())
                if not 1 <= n <= 64:
                    violation(f"{w}.callback_data: 1..64 bytes, got {n}")


def take_failure(api, method):
    for f in STATE["fail"]:
        if f["api"] == api and f.get("method") in (None, method) and f["count"] > 0:
            f["count"] -= 1
            return f
    return None


def next_ts():
    STATE["next_ts"] += 1
    return "%d.%06d" % (1714412345 + STATE["next_ts"], STATE["next_ts"])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the tests read /_control/requests
        pass

    def reply(self, status, body, headers=None, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a long poll cancelled at shutdown)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def record(self, api, method, raw):
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
            violation(f"{api} {method}: the body is not JSON")
        entry = {"api": api, "method": method, "path": self.path if api != "telegram" else
                 "/bot<token>/" + method, "authorization": self.headers.get("Authorization"),
                 "content_type": self.headers.get("Content-Type"), "body": doc,
                 "at": time.time()}
        STATE["requests"].append(entry)
        return doc

    # ---- GET ----
    def do_GET(self):
        with LOCK:
            if self.path == "/_control/requests":
                return self.reply(200, STATE["requests"])
            if self.path == "/_control/violations":
                return self.reply(200, STATE["violations"])
            if self.path == "/_control/messages":
                return self.reply(200, list(STATE["messages"].values()))
        self.reply(404, {"error": "no such path"})

    # ---- POST ----
    def do_POST(self):
        raw = self.body()
        path = self.path
        if path.startswith("/_control/"):
            return self.control(path[len("/_control/"):], json.loads(raw or b"{}"))
        if path.startswith("/api/"):
            return self.slack_api(path[len("/api/"):], raw)
        if path.startswith("/services/"):
            return self.slack_webhook(raw)
        if path.startswith("/bot"):
            token, _, method = path[4:].partition("/")
            return self.telegram(token, method, raw)
        if path.startswith("/workflows/"):
            return self.teams(raw)
        self.reply(404, {"error": "no such path"})

    def slack_api(self, method, raw):
        if method == "chat.postMessage" or method == "chat.update" or method == "chat.postEphemeral":
            pass
        else:
            return self.reply(404, {"ok": False, "error": "unknown_method"})
        retry = None
        with LOCK:
            doc = self.record("slack", method, raw)
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                violation(f"slack {method}: Content-Type must be application/json")
            if self.headers.get("Authorization") != "Bearer " + ARGS.slack_token:
                return self.reply(200, {"ok": False, "error": "invalid_auth"})
            f = take_failure("slack", method)
            if f:
                retry = f
            elif not isinstance(doc, dict) or not isinstance(doc.get("channel"), str):
                return self.reply(200, {"ok": False, "error": "channel_not_found"})
            else:
                return self.slack_method(method, doc)
        headers = {"Retry-After": str(retry["retry_after"])} if retry.get("retry_after") else {}
        if retry["status"] == 200:
            return self.reply(200, {"ok": False, "error": retry.get("error", "ratelimited")})
        self.reply(retry["status"], {"ok": False, "error": "ratelimited"}, headers)

    def slack_method(self, method, doc):  # under LOCK
        if not isinstance(doc.get("text"), str) or not doc["text"]:
            violation(f"slack {method}: text (the fallback) must always be sent")
        if "blocks" in doc:
            check_blocks(doc["blocks"], f"slack {method} blocks")
        channel = doc["channel"]
        if not channel.startswith(("C", "G", "D")):
            channel = "C0FAKE0001"  # a name ("#ops") resolves to the channel's id
        if method == "chat.postEphemeral":
            if not isinstance(doc.get("user"), str):
                violation("slack chat.postEphemeral: user required")
            return self.reply(200, {"ok": True, "message_ts": next_ts()})
        if method == "chat.update":
            key = f"{channel}/{doc.get('ts')}"
            if key not in STATE["messages"]:
                return self.reply(200, {"ok": False, "error": "message_not_found"})
            STATE["messages"][key].update(text=doc.get("text"), blocks=doc.get("blocks"),
                                          edits=STATE["messages"][key]["edits"] + 1)
            return self.reply(200, {"ok": True, "channel": channel, "ts": doc["ts"],
                                    "text": doc.get("text")})
        thread = doc.get("thread_ts")
        if thread is not None and f"{channel}/{thread}" not in STATE["messages"]:
            violation(f"slack chat.postMessage: thread_ts {thread} is no message of {channel}")
        ts = next_ts()
        msg = {"channel": channel, "ts": ts, "thread_ts": thread, "text": doc.get("text"),
               "blocks": doc.get("blocks"), "edits": 0}
        STATE["messages"][f"{channel}/{ts}"] = msg
        return self.reply(200, {"ok": True, "channel": channel, "ts": ts,
                                "message": {"type": "message", "ts": ts, "text": doc.get("text")}})

    def slack_webhook(self, raw):
        with LOCK:
            doc = self.record("slack-webhook", "webhook", raw)
            f = take_failure("slack-webhook", "webhook")
            if f:
                return self.reply(f["status"], b"rate_limited",
                                  {"Retry-After": str(f.get("retry_after", 1))}, "text/plain")
            if not isinstance(doc, dict) or not doc.get("text"):
                return self.reply(400, b"no_text", content_type="text/plain")
            if "blocks" in doc:
                check_blocks(doc["blocks"], "slack webhook blocks")
        self.reply(200, b"ok", content_type="text/plain")

    def teams(self, raw):
        with LOCK:
            doc = self.record("teams", "workflow", raw)
            att = (doc or {}).get("attachments") or [{}]
            card = att[0].get("content") or {}
            if doc.get("type") != "message" or \
                    att[0].get("contentType") != "application/vnd.microsoft.card.adaptive" or \
                    card.get("type") != "AdaptiveCard":
                violation("teams: not a message with an Adaptive Card attachment")
        self.reply(202, b"", content_type="text/plain")

    def telegram(self, token, method, raw):
        with LOCK:
            doc = self.record("telegram", method, raw)
            if token != ARGS.telegram_token:
                return self.reply(401, {"ok": False, "error_code": 401,
                                        "description": "Unauthorized"})
            f = take_failure("telegram", method)
            if f:
                ra = f.get("retry_after", 1)
                return self.reply(f["status"], {
                    "ok": False, "error_code": f["status"],
                    "description": f"Too Many Requests: retry after {ra}",
                    "parameters": {"retry_after": ra}})
            if method != "getUpdates":
                return self.telegram_method(method, doc or {})
        return self.get_updates(doc or {})

    def telegram_method(self, method, doc):  # under LOCK
        def bad(desc):
            return self.reply(400, {"ok": False, "error_code": 400,
                                    "description": "Bad Request: " + desc})
        if method == "answerCallbackQuery":
            if not isinstance(doc.get("callback_query_id"), str):
                return bad("query id required")
            if len(doc.get("text", "")) > 200:
                violation("telegram answerCallbackQuery: text > 200")
            return self.reply(200, {"ok": True, "result": True})
        if method not in ("sendMessage", "editMessageText"):
            return bad("unknown method")
        text = doc.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 4096:
            violation(f"telegram {method}: text must be 1..4096 characters")
            return bad("message text is empty")
        if "reply_markup" in doc:
            check_keyboard(doc["reply_markup"], f"telegram {method} reply_markup")
        chat = doc.get("chat_id")
        if method == "editMessageText":
            key = f"{chat}/{doc.get('message_id')}"
            msg = STATE["messages"].get(key)
            if not msg:
                return bad("message to edit not found")
            if msg["text"] == text and msg.get("reply_markup") == doc.get("reply_markup"):
                return bad("message is not modified: specified new message content and "
                           "reply markup are exactly the same")
            msg.update(text=text, reply_markup=doc.get("reply_markup"), edits=msg["edits"] + 1)
            return self.reply(200, {"ok": True, "result": {"message_id": msg["message_id"],
                                                            "chat": {"id": chat}, "text": text}})
        reply_to = (doc.get("reply_parameters") or {}).get("message_id")
        if reply_to is not None and f"{chat}/{reply_to}" not in STATE["messages"]:
            violation(f"telegram sendMessage: reply to unknown message {reply_to}")
        STATE["next_message"] += 1
        mid = STATE["next_message"]
        STATE["messages"][f"{chat}/{mid}"] = {"message_id": mid, "chat": chat, "text": text,
                                              "reply_to": reply_to,
                                              "reply_markup": doc.get("reply_markup"),
                                              "edits": 0}
        return self.reply(200, {"ok": True, "result": {
            "message_id": mid, "chat": {"id": chat, "type": "supergroup"},
            "date": int(time.time()), "text": text}})

    def get_updates(self, doc):
        offset = doc.get("offset", 0)
        timeout = min(int(doc.get("timeout", 0)), 50)
        deadline = time.time() + timeout
        with COND:
            while True:
                STATE["updates"] = [u for u in STATE["updates"] if u["update_id"] >= offset]
                if STATE["updates"] or time.time() >= deadline:
                    batch = STATE["updates"][: int(doc.get("limit", 100))]
                    break
                COND.wait(min(0.2, max(0.0, deadline - time.time())))
        self.reply(200, {"ok": True, "result": batch})

    # ---- control ----
    def control(self, what, doc):
        if what == "reset":
            with LOCK:
                STATE["requests"].clear()
                STATE["violations"].clear()
                STATE["fail"].clear()
            return self.reply(200, {"ok": True})
        if what == "fail":
            with LOCK:
                STATE["fail"].append({"api": doc["api"], "method": doc.get("method"),
                                      "status": doc.get("status", 429),
                                      "retry_after": doc.get("retry_after", 1),
                                      "error": doc.get("error"),
                                      "count": doc.get("count", 1)})
            return self.reply(200, {"ok": True})
        if what == "slack/interaction":
            return self.send_slack(doc, interaction=True)
        if what == "slack/command":
            return self.send_slack(doc, interaction=False)
        if what == "telegram/callback":
            return self.send_telegram(doc)
        self.reply(404, {"error": "no such control"})

    def send_slack(self, doc, interaction):
        """A callback exactly as Slack sends one: form-encoded, signed (v0)."""
        if interaction:
            payload = {
                "type": "block_actions",
                "user": {"id": doc["user_id"], "username": doc.get("user_name", "someone"),
                         "name": doc.get("user_name", "someone"), "team_id": "T0FAKE"},
                "api_app_id": "A0FAKE", "token": "legacy-verification-token",
                "container": {"type": "message", "message_ts": doc.get("message_ts", "1.1"),
                              "channel_id": doc.get("channel", "C0FAKE0001"),
                              "is_ephemeral": False},
                "trigger_id": "1.2.3", "team": {"id": "T0FAKE", "domain": "fake"},
                "channel": {"id": doc.get("channel", "C0FAKE0001"), "name": "ops"},
                "message": {"type": "message", "ts": doc.get("message_ts", "1.1"), "text": ".."},
                "response_url": "https://hooks.slack.com/actions/T0FAKE/1/x",
                "actions": [{"type": "button", "action_id": doc["action"],
                             "block_id": "approval-" + str(doc["value"]),
                             "value": str(doc["value"]),
                             "text": {"type": "plain_text", "text": doc["action"].title()},
                             "action_ts": "%.6f" % time.time()}],
                "state": {"values": {}},
            }
            body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        else:
            body = urllib.parse.urlencode({
                "token": "legacy", "team_id": "T0FAKE", "team_domain": "fake",
                "channel_id": doc.get("channel", "C0FAKE0001"), "channel_name": "ops",
                "user_id": doc["user_id"], "user_name": doc.get("user_name", "someone"),
                "command": "/srebot", "text": doc.get("text", ""),
                "response_url": "https://hooks.slack.com/commands/T0FAKE/1/x",
                "trigger_id": "1.2.3", "api_app_id": "A0FAKE"})
        ts = str(doc.get("timestamp", int(time.time())))
        secret = doc["signing_secret"]
        if doc.get("forge"):
            secret = secret + "-not"
        sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(),
                               hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
        if doc.get("unsigned"):
            headers.pop("X-Slack-Signature")
        status, answer = post(doc["url"], body.encode(), headers)
        times = doc.get("times", 1)
        for _ in range(times - 1):  # the same signed request again (a replay)
            status, answer = post(doc["url"], body.encode(), headers)
        self.reply(200, {"status": status, "body": answer})

    def send_telegram(self, doc):
        with LOCK:
            STATE["next_update"] += 1
            update = {"update_id": STATE["next_update"], "callback_query": {
                "id": "cq%d" % STATE["next_update"],
                "from": {"id": int(doc["from_id"]), "is_bot": False,
                         "first_name": doc.get("first_name", "Ana")},
                "message": {"message_id": int(doc.get("message_id", 1)),
                            "chat": {"id": int(doc.get("chat_id", -1001)), "type": "supergroup"},
                            "date": int(time.time()), "text": ".."},
                "chat_instance": "-6458743210987", "data": doc["data"]}}
            if not doc.get("url"):
                STATE["updates"].append(update)
                COND.notify_all()
                return self.reply(200, {"queued": update["update_id"]})
        headers = {"Content-Type": "application/json"}
        if doc.get("secret_token") is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = doc["secret_token"]
        body = json.dumps(update).encode()
        status, answer = post(doc["url"], body, headers)
        for _ in range(doc.get("times", 1) - 1):
            status, answer = post(doc["url"], body, headers)
        self.reply(200, {"status": status, "body": answer, "update_id": update["update_id"]})


def post(url, body, headers):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--slack-token", default="xoxb-fake")
    p.add_argument("--telegram-token", default="123456:fake")
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
