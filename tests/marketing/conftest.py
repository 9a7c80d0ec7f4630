"""The local Twilio-compatible gateway, reached through the real twilio client."""

import json
import threading
import urllib.request

import pytest

from marketing.gateway import make_server

SID, TOKEN = "ACtest0000000000000000000000000000", "test-auth-token"


class Gateway:
    def __init__(self):
        self.server = make_server("127.0.0.1", 0, SID, TOKEN)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _call(self, path, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        with urllib.request.urlopen(urllib.request.Request(self.url + path, data=data), timeout=5) as r:
            return json.loads(r.read() or b"{}")

    def configure(self, **config):
        return self._call("/_gateway/config", config)

    def stats(self, detail=False):
        """Counters; with ``detail``, also "statuses" {sid: status} and "final" {to: [[sid, status], ...]}."""
        return self._call("/_gateway/stats?detail=1" if detail else "/_gateway/stats")

    def reset(self):
        self._call("/_gateway/reset", {})


@pytest.fixture(scope="session")
def _gateway_server():
    gateway = Gateway()
    yield gateway
    gateway.server.shutdown()


@pytest.fixture
def gateway(_gateway_server, settings):
    _gateway_server.reset()
    _gateway_server.configure(callbacks=False)
    settings.SMS_BACKEND = "marketing.backends.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = SID, TOKEN
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_API_BASE_URL = _gateway_server.url
    settings.TWILIO_STATUS_CALLBACK_URL = ""
    settings.SMS_QUIET_HOURS = "0-0"  # no quiet hours unless a test sets them
    settings.SMS_RATE_PER_SECOND = 0
    return _gateway_server
