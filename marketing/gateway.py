"""A local Twilio-compatible SMS gateway, for tests, benchmarks and `make run`.

It speaks the Messages resource of Twilio's 2010-04-01 API (HTTP basic auth with the
account SID and token, form-encoded bodies, Twilio-shaped JSON and error bodies):

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` creates a message (answer 201,
  status "queued");
- ``GET  /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json`` fetches one
  (``client.messages(sid).fetch()``), or answers 404 with Twilio error 20404;
- ``GET  /2010-04-01/Accounts/{AccountSid}/Messages.json`` lists them newest first, filtered
  by ``To`` and ``DateSent>`` (``client.messages.list(to=..., date_sent_after=...)``), one
  page of ``PageSize`` (default 50). A per-recipient index keeps it fast at 100,000+ messages.

Each message's final outcome is decided when it is accepted and written into its record
at once: "delivered", or "undelivered"/"failed" with an ErrorCode for the numbers
configured with a carrier error (30003, 30005, 30006: undelivered; 30007: failed). The
record is the truth a client can fetch; status callbacks only report it. When the message
has a StatusCallback the gateway POSTs it, with a valid X-Twilio-Signature, "sent" and then
the final status (failed callback POSTs are ignored, as Twilio does not retry them either).

Faults and features are set through ``POST /_gateway/config`` (JSON; keys not given keep
their value; ``POST /_gateway/reset`` restores these defaults and forgets every message):

    {"numbers": {},                     # {"+6281...": code}: answer this number with an error
                                        #   code of ERRORS or an HTTP status (not accepted), or
                                        #   accept it and report a DELIVERY_ERRORS code later
     "fail_share": 0.0,                 # this share of requests fails, NOT accepted, with
     "fail_with": [500],                #   one of these HTTP statuses (429 → code 20429)
     "latency_ms": 0,                   # sleep before handling each Messages POST ...
     "jitter_ms": 0,                    #   ... latency_ms ± uniform jitter_ms, never below 0
     "drop_share": 0.0,                 # accepted, then the connection is closed without a
     "drop_mode": "mixed",              #   byte of answer: "close" (FIN), "reset" (RST) or
                                        #   "mixed" (either, by the seeded rng)
     "slow_share": 0.0,                 # accepted, then the answer is held back slow_ms (longer
     "slow_ms": 5000,                   #   than the client's timeout: it reads a timeout)
     "error_after_accept_share": 0.0,   # accepted, but answered with one of these HTTP
     "error_after_accept_with": [500],  #   statuses and a Twilio error body
     "callbacks": true,                 # POST status callbacks at all
     "delivery_delay_ms": 50,           # before each callback (in a background thread)
     "callback_duplicate_share": 0.0,   # this share of messages gets every callback twice
     "callback_reorder": false,         # the final status callback comes before "sent"
     "early_callbacks": false}          # POST the callbacks synchronously, without the delay,
                                        #   BEFORE answering the create request

The after-accept faults are drawn in this order, each only when its share is set:
drop, slow, error_after_accept; at most one applies to a request.

``GET /_gateway/stats`` returns {"accepted": {to: count}, "requests": n, "failed": n,
"dropped": n, "slow": n, "error_after_accept": n}; ``GET /_gateway/stats?detail=1`` adds
"statuses": {sid: status}, "final": {to: [[sid, status], ...]} (each accepted message's status,
per recipient, in acceptance order) and "times": [t, ...] (when each accepted message's
request arrived, before any simulated latency, in seconds since the epoch; in acceptance
order), which shows how many requests a client really sent per second. ``accepted`` counts every accepted message, including
the dropped, slow and error-after-accept ones; ``failed`` counts only refused requests.
Run it with ``manage.py twilio_gateway``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import random
import re
import socket
import struct
import sys
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
DELIVERY_ERROR_MESSAGES = {30003: "Unreachable destination handset", 30005: "Unknown destination handset",
                           30006: "Landline or unreachable carrier", 30007: "Message filtered"}

DEFAULTS = {
    "numbers": {}, "fail_share": 0.0, "fail_with": [500], "latency_ms": 0, "jitter_ms": 0,
    "drop_share": 0.0, "drop_mode": "mixed", "slow_share": 0.0, "slow_ms": 5000,
    "error_after_accept_share": 0.0, "error_after_accept_with": [500],
    "callbacks": True, "delivery_delay_ms": 50, "callback_duplicate_share": 0.0,
    "callback_reorder": False, "early_callbacks": False,
}

# A client that went away while we answer: not the gateway's problem.
DISCONNECTED = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)

MESSAGE_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json$")


def _twilio_date(when: dt.datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _public(message: dict) -> dict:
    return {k: v for k, v in message.items() if not k.startswith("_")}


class GatewayState:
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.config = copy.deepcopy(DEFAULTS)
            self.accepted: dict[str, int] = {}
            self.messages: list[dict] = []  # in acceptance order (so also by "_created")
            self.by_sid: dict[str, dict] = {}
            self.by_to: dict[str, list[dict]] = {}
            self.requests = 0
            self.failed = 0
            self.dropped = 0
            self.slow = 0
            self.error_after_accept = 0
            self.rng = random.Random(1)

    def final_by_to(self) -> dict[str, list[list[str]]]:
        """[[sid, status], ...] of each recipient's accepted messages, in acceptance order.
        Call with the lock held."""
        return {to: [[m["sid"], m["status"]] for m in found] for to, found in self.by_to.items()}

    def chance(self, share) -> bool:
        """A seeded draw; no draw at all when the share is off (keeps the sequence stable)."""
        return bool(share) and self.rng.random() < float(share)


class Handler(BaseHTTPRequestHandler):
    server_version = "RelasiTwilioGateway/1.0"
    state: GatewayState

    def log_message(self, *args):  # quiet
        pass

    def handle(self):
        try:
            super().handle()
        except DISCONNECTED:
            self.close_connection = True

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

    def _not_found(self):
        self._error(404, 20404, "The requested resource was not found")

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

    def _drop(self, reset: bool):
        """Close the connection without a byte of answer: a FIN, or an RST when ``reset``."""
        self.close_connection = True
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # drops the makefile reference, so close() really closes the fd
            self.connection.close()
        # Otherwise the server shuts the socket down (FIN) and closes it after we return.

    # --- routes
    def do_GET(self):
        parsed = urllib.parse.urlparse(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        if parsed.path == "/_gateway/stats":
            return self._stats(detail=query.get("detail", "") not in ("", "0", "false"))
        if parsed.path == f"/2010-04-01/Accounts/{self.state.account_sid}/Messages.json":
            return self._authorised() and self._list(parsed.path, query)
        match = MESSAGE_PATH.match(parsed.path)
        if match:
            if not self._authorised():
                return
            with self.state.lock:
                message = self.state.by_sid.get(match[2]) if match[1] == self.state.account_sid else None
                found = _public(message) if message else None
            return self._json(200, found) if found else self._not_found()
        self._not_found()

    def _stats(self, detail: bool):
        state = self.state
        with state.lock:
            payload = {"accepted": dict(state.accepted), "requests": state.requests, "failed": state.failed,
                       "dropped": state.dropped, "slow": state.slow, "error_after_accept": state.error_after_accept}
            if detail:
                payload["statuses"] = {m["sid"]: m["status"] for m in state.messages}
                payload["final"] = state.final_by_to()
                payload["times"] = [m["_arrived"] for m in state.messages]
        self._json(200, payload)

    def _list(self, path: str, query: dict):
        after = query.get("DateSent>")
        try:
            size = max(1, min(int(query.get("PageSize", 50)), 1000))
        except ValueError:
            return self._error(400, 20001, "Invalid PageSize")
        to = query.get("To")
        records = []
        with self.state.lock:
            candidates = self.state.by_to.get(to, ()) if to is not None else self.state.messages
            for message in reversed(candidates):  # newest first; "_created" only grows
                if after and message["_created"] < after:
                    break
                records.append(_public(message))
                if len(records) >= size:
                    break
        self._json(200, {"messages": records, "end": max(len(records) - 1, 0), "first_page_uri": path,
                         "next_page_uri": None, "page": 0, "page_size": size, "previous_page_uri": None,
                         "start": 0, "uri": path})

    def do_POST(self):
        parsed = urllib.parse.urlparse(self.path)
        if parsed.path == "/_gateway/config":
            length = int(self.headers.get("Content-Length") or 0)
            with self.state.lock:
                self.state.config.update(json.loads(self.rfile.read(length) or b"{}"))
                config = dict(self.state.config)
            return self._json(200, config)
        if parsed.path == "/_gateway/reset":
            self.state.reset()
            return self._json(200, {})
        if parsed.path != f"/2010-04-01/Accounts/{self.state.account_sid}/Messages.json":
            return self._not_found()
        if not self._authorised():
            return
        self._create()

    def _create(self):
        arrived = time.time()
        state = self.state
        form = self._form()
        config = state.config
        latency, jitter = float(config.get("latency_ms") or 0), float(config.get("jitter_ms") or 0)
        if jitter:
            with state.lock:
                latency += state.rng.uniform(-jitter, jitter)
        if latency > 0:
            time.sleep(latency / 1000)
        to = form.get("To", "")
        with state.lock:
            state.requests += 1
            fault = config["numbers"].get(to)
            if fault is None and state.chance(config.get("fail_share")):
                fault = state.rng.choice(config["fail_with"])
        if not to or not form.get("Body") or not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21604, "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required.")
        if fault in ERRORS or (isinstance(fault, int) and 400 <= fault < 600):
            with state.lock:
                state.failed += 1
            if fault in ERRORS:
                status, message = ERRORS[fault]
                return self._error(status, fault, message.format(to=to))
            return self._error(fault, 20429 if fault == 429 else 20500, "Simulated failure")

        # Accepted: the record gets its final outcome now; callbacks only report it.
        outcome = DELIVERY_ERRORS.get(fault) if isinstance(fault, int) else None
        error_code = fault if outcome else None
        final = outcome or "delivered"
        sid = "SM" + uuid.uuid4().hex
        with state.lock:
            now = dt.datetime.now(dt.timezone.utc)  # under the lock: "_created" grows with the list
            message = {
                "sid": sid, "account_sid": state.account_sid, "to": to,
                "from": form.get("From") or None, "messaging_service_sid": form.get("MessagingServiceSid") or None,
                "body": form["Body"], "status": "queued", "num_segments": "1", "direction": "outbound-api",
                "date_created": _twilio_date(now), "date_sent": None, "date_updated": _twilio_date(now),
                "error_code": None, "error_message": None, "price": None, "price_unit": "USD",
                "api_version": "2010-04-01", "uri": f"/2010-04-01/Accounts/{state.account_sid}/Messages/{sid}.json",
                "_created": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "_arrived": arrived,
            }
            answer = _public(message)  # what create answers: "queued"
            message.update(status=final, error_code=error_code,
                           error_message=DELIVERY_ERROR_MESSAGES.get(error_code) if error_code else None,
                           date_sent=_twilio_date(now) if final != "failed" else None)
            state.accepted[to] = state.accepted.get(to, 0) + 1
            state.messages.append(message)
            state.by_sid[sid] = message
            state.by_to.setdefault(to, []).append(message)
            after = reset = None
            if state.chance(config.get("drop_share")):
                after, state.dropped = "drop", state.dropped + 1
                mode = config.get("drop_mode", "mixed")
                reset = mode == "reset" or (mode != "close" and state.rng.random() < 0.5)
            elif state.chance(config.get("slow_share")):
                after, state.slow = "slow", state.slow + 1
            elif state.chance(config.get("error_after_accept_share")):
                after, state.error_after_accept = "error", state.error_after_accept + 1
                http_status = state.rng.choice(config.get("error_after_accept_with") or [500])
            duplicate = state.chance(config.get("callback_duplicate_share"))

        callback = form.get("StatusCallback")
        steps = []
        if callback and config.get("callbacks", True):
            steps = [("sent", None), (final, error_code)]
            if config.get("callback_reorder"):
                steps.reverse()
            if duplicate:
                steps = [step for step in steps for _ in (1, 2)]
            if config.get("early_callbacks"):
                self._callbacks(callback, message, steps, delay=False)
                steps = []

        def start_callbacks():
            if steps:
                threading.Thread(target=self._callbacks, args=(callback, message, steps), daemon=True).start()

        if after == "drop":
            start_callbacks()
            return self._drop(reset)
        if after == "slow":
            start_callbacks()  # the provider works on while the client waits
            time.sleep(float(config.get("slow_ms", 5000)) / 1000)
            return self._json(201, answer)
        try:
            if after == "error":
                self._error(http_status, 20429 if http_status == 429 else 20500, "Simulated failure after accept")
            else:
                self._json(201, answer)
        finally:
            start_callbacks()

    def _callbacks(self, url: str, message: dict, steps: list, delay: bool = True):
        validator = RequestValidator(self.state.auth_token)
        for status, error_code in steps:
            if delay:
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


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], DISCONNECTED):
            return  # the client went away: nothing to report
        super().handle_error(request, client_address)


def make_server(host: str, port: int, account_sid: str, auth_token: str) -> ThreadingHTTPServer:
    state = GatewayState(account_sid, auth_token)
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = GatewayServer((host, port), handler)
    server.state = state
    return server
