"""A local Twilio-compatible SMS gateway, for tests, benchmarks and `make run`.

It speaks the Messages resource of Twilio's 2010-04-01 API (HTTP basic auth with the
account SID and token, form-encoded bodies, Twilio-shaped JSON and error bodies), calls
each message's StatusCallback with a valid X-Twilio-Signature (queued → sent → delivered,
or undelivered/failed with an ErrorCode), and counts what it accepted per recipient so
tests can prove exactly-once. Faults are set through ``POST /_gateway/config`` (JSON):

    {"numbers": {"+6281...": 21211},          # answer this number with an error code or HTTP status
     "fail_share": 0.2, "fail_with": [429, 500],  # this share of requests fails with one of these
     "latency_ms": 0, "callbacks": true}

``GET /_gateway/stats`` returns {"accepted": {to: count}, "requests": n, "failed": n}.
Run it with ``manage.py twilio_gateway``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.request_validator import RequestValidator

ERRORS = {
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    20429: (429, "Too Many Requests"),
}
# Accepted at create, then reported undeliverable by the "carrier".
DELIVERY_ERRORS = {30003: "undelivered", 30005: "undelivered", 30006: "undelivered", 30007: "failed"}


class GatewayState:
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.config = {"numbers": {}, "fail_share": 0.0, "fail_with": [500], "latency_ms": 0,
                           "callbacks": True, "delivery_delay_ms": 50}
            self.accepted: dict[str, int] = {}
            self.messages: list[dict] = []
            self.requests = 0
            self.failed = 0
            self.rng = random.Random(1)


class Handler(BaseHTTPRequestHandler):
    server_version = "RelasiTwilioGateway/1.0"
    state: GatewayState

    def log_message(self, *args):  # quiet
        pass

    # --- helpers
    def _json(self, status: int, payload: dict):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: int, message: str):
        self._json(status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                            "status": status})

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.state.account_sid}:{self.state.auth_token}".encode()).decode()
        if header != f"Basic {expected}":
            self._error(401, 20003, "Authenticate")
            return False
        return True

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        return {k: v[-1] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    # --- routes
    def do_GET(self):
        parsed = urllib.parse.urlparse(self.path)
        if parsed.path == "/_gateway/stats":
            with self.state.lock:
                return self._json(200, {"accepted": dict(self.state.accepted), "requests": self.state.requests,
                                        "failed": self.state.failed})
        if parsed.path.endswith("/Messages.json") and self._authorised():
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
            after = query.get("DateSent>")
            with self.state.lock:
                found = [m for m in self.state.messages if m["to"] == query.get("To", m["to"])
                         and (not after or m["_created"] >= after)]
            size = int(query.get("PageSize", 50))
            records = [{k: v for k, v in m.items() if not k.startswith("_")} for m in found[-size:]][::-1]
            return self._json(200, {"messages": records, "end": len(records), "first_page_uri": parsed.path,
                                    "next_page_uri": None, "page": 0, "page_size": size, "previous_page_uri": None,
                                    "start": 0, "uri": parsed.path})
        if not parsed.path.endswith("/Messages.json"):
            self._error(404, 20404, "The requested resource was not found")

    def do_POST(self):
        parsed = urllib.parse.urlparse(self.path)
        if parsed.path == "/_gateway/config":
            length = int(self.headers.get("Content-Length") or 0)
            with self.state.lock:
                self.state.config.update(json.loads(self.rfile.read(length) or b"{}"))
            return self._json(200, self.state.config)
        if parsed.path == "/_gateway/reset":
            self.state.reset()
            return self._json(200, {})
        if not parsed.path.startswith(f"/2010-04-01/Accounts/{self.state.account_sid}/Messages.json"):
            return self._error(404, 20404, "The requested resource was not found")
        if not self._authorised():
            return
        form = self._form()
        config = self.state.config
        if config.get("latency_ms"):
            time.sleep(config["latency_ms"] / 1000)
        to = form.get("To", "")
        with self.state.lock:
            self.state.requests += 1
            fault = config["numbers"].get(to)
            if fault is None and config.get("fail_share") and self.state.rng.random() < config["fail_share"]:
                fault = self.state.rng.choice(config["fail_with"])
        if not to or not form.get("Body") or not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21604, "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required.")
        if fault in ERRORS or (isinstance(fault, int) and 400 <= fault < 600):
            with self.state.lock:
                self.state.failed += 1
            if fault in ERRORS:
                status, message = ERRORS[fault]
                return self._error(status, fault, message.format(to=to))
            return self._error(fault, 20429 if fault == 429 else 20500, "Simulated failure")
        now = dt.datetime.now(dt.timezone.utc)
        message = {
            "sid": "SM" + uuid.uuid4().hex, "account_sid": self.state.account_sid, "to": to,
            "from": form.get("From") or None, "messaging_service_sid": form.get("MessagingServiceSid") or None,
            "body": form["Body"], "status": "queued", "num_segments": "1", "direction": "outbound-api",
            "date_created": now.strftime("%a, %d %b %Y %H:%M:%S +0000"), "date_sent": None,
            "date_updated": now.strftime("%a, %d %b %Y %H:%M:%S +0000"), "error_code": None, "error_message": None,
            "price": None, "price_unit": "USD", "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.state.account_sid}/Messages/{uuid.uuid4().hex}.json",
            "_created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        with self.state.lock:
            self.state.accepted[to] = self.state.accepted.get(to, 0) + 1
            self.state.messages.append(message)
        self._json(201, {k: v for k, v in message.items() if not k.startswith("_")})
        callback = form.get("StatusCallback")
        if callback and config.get("callbacks", True):
            outcome = DELIVERY_ERRORS.get(fault) if isinstance(fault, int) else None
            threading.Thread(target=self._callbacks, args=(callback, message, outcome, fault), daemon=True).start()

    def _callbacks(self, url: str, message: dict, outcome: str | None, code):
        validator = RequestValidator(self.state.auth_token)
        steps = [("sent", None), (outcome, code)] if outcome else [("sent", None), ("delivered", None)]
        for status, error_code in steps:
            time.sleep(self.state.config.get("delivery_delay_ms", 50) / 1000)
            params = {"MessageSid": message["sid"], "SmsSid": message["sid"], "MessageStatus": status,
                      "SmsStatus": status, "To": message["to"], "AccountSid": self.state.account_sid,
                      "ApiVersion": "2010-04-01"}
            if error_code:
                params["ErrorCode"] = str(error_code)
            data = urllib.parse.urlencode(params).encode()
            request = urllib.request.Request(url, data=data, headers={
                "X-Twilio-Signature": validator.compute_signature(url, params),
                "Content-Type": "application/x-www-form-urlencoded"})
            try:
                urllib.request.urlopen(request, timeout=10).read()
            except Exception:  # Twilio does not retry a failed callback either
                pass


def make_server(host: str, port: int, account_sid: str, auth_token: str) -> ThreadingHTTPServer:
    state = GatewayState(account_sid, auth_token)
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.state = state
    return server
