"""The local Twilio-compatible gateway's faults and features, through the real twilio client."""

import base64
import datetime as dt
import socket
import struct
import threading
import time
import urllib.parse
from http.client import RemoteDisconnected
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from urllib3.exceptions import ProtocolError

from marketing.backends import TwilioBackend
from marketing.gateway import DEFAULTS

from .conftest import TOKEN

FROM = "+15005550006"


def client():
    return TwilioBackend().client  # the real twilio client, pointed at the gateway by settings


def create(to, body="Halo", **kwargs):
    return client().messages.create(to=to, from_=FROM, body=body, **kwargs)


class Receiver:
    """A StatusCallback endpoint: records (arrival time, status, error code, signature ok)."""

    def __init__(self):
        self.calls, self.lock = [], threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                arrived = time.monotonic()
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                params = {k: v[-1] for k, v in urllib.parse.parse_qs(raw).items()}
                valid = RequestValidator(TOKEN).validate(receiver.url, params,
                                                         self.headers.get("X-Twilio-Signature", ""))
                with receiver.lock:
                    receiver.calls.append((arrived, params["MessageStatus"], params.get("ErrorCode"), valid))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/status/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def statuses(self):
        with self.lock:
            return [status for _, status, _, _ in self.calls]

    def wait_for(self, count, seconds=5):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(self.statuses()) < count:
            time.sleep(0.01)
        return self.statuses()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


# --- accepted, then the answer is lost


@pytest.mark.parametrize("mode, cause", [("close", RemoteDisconnected), ("reset", ConnectionResetError)])
def test_it_drops_the_connection_after_accepting_the_message(gateway, mode, cause):
    gateway.configure(drop_share=1, drop_mode=mode)
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        create("+6281200000001")
    protocol_error = caught.value.args[0]
    assert isinstance(protocol_error, ProtocolError)
    assert protocol_error.args[0] == "Connection aborted."
    assert type(protocol_error.args[1]) is cause  # not isinstance: RemoteDisconnected is a ConnectionResetError
    assert not isinstance(caught.value, requests.exceptions.Timeout)
    stats = gateway.stats()
    assert stats["accepted"] == {"+6281200000001": 1}
    assert stats["dropped"] == 1 and stats["failed"] == 0
    # The provider has it: the client can find it by number.
    found = client().messages.list(to="+6281200000001", limit=5)
    assert [m.status for m in found] == ["delivered"]


def test_it_mixes_clean_closes_and_resets_when_dropping(gateway):
    gateway.configure(drop_share=1)  # drop_mode "mixed", by the seeded rng
    causes = set()
    for i in range(12):
        with pytest.raises(requests.exceptions.ConnectionError) as caught:
            create(f"+62812000001{i:02d}")
        causes.add(type(caught.value.args[0].args[1]))
    assert causes == {RemoteDisconnected, ConnectionResetError}
    assert gateway.stats()["dropped"] == 12
    assert sum(gateway.stats()["accepted"].values()) == 12


def test_it_answers_after_the_client_timed_out_but_keeps_the_message(gateway, settings):
    settings.TWILIO_TIMEOUT_SECONDS = 1
    gateway.configure(slow_share=1, slow_ms=1500)
    start = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        create("+6281200000002")
    assert time.monotonic() - start >= 1
    stats = gateway.stats()
    assert stats["accepted"] == {"+6281200000002": 1}
    assert stats["slow"] == 1 and stats["failed"] == 0


def test_it_answers_an_error_after_accepting_the_message(gateway):
    gateway.configure(error_after_accept_share=1)
    with pytest.raises(TwilioRestException) as caught:
        create("+6281200000003")
    assert caught.value.status == 500 and caught.value.code == 20500
    stats = gateway.stats()
    assert stats["accepted"] == {"+6281200000003": 1}
    assert stats["error_after_accept"] == 1 and stats["failed"] == 0


def test_it_answers_the_configured_error_after_accepting(gateway):
    gateway.configure(error_after_accept_share=1, error_after_accept_with=[429])
    with pytest.raises(TwilioRestException) as caught:
        create("+6281200000004")
    assert caught.value.status == 429 and caught.value.code == 20429
    assert gateway.stats()["accepted"] == {"+6281200000004": 1}


def test_it_does_not_accept_what_fail_share_refuses(gateway):
    gateway.configure(fail_share=1, fail_with=[500])
    with pytest.raises(TwilioRestException) as caught:
        create("+6281200000005")
    assert caught.value.status == 500
    stats = gateway.stats()
    assert stats["accepted"] == {} and stats["failed"] == 1 and stats["error_after_accept"] == 0


# --- the record is the truth


def test_it_fetches_the_final_status_of_a_message(gateway):
    gateway.configure(numbers={"+6281200000007": 30003, "+6281200000008": 30007})
    delivered, undelivered, failed = (create(f"+628120000000{i}") for i in (6, 7, 8))
    assert delivered.status == undelivered.status == "queued"  # what create answers
    fetched = client().messages(delivered.sid).fetch()
    assert (fetched.sid, fetched.status, fetched.to, fetched.body) == (delivered.sid, "delivered", "+6281200000006",
                                                                       "Halo")
    assert fetched.error_code is None
    fetched = client().messages(undelivered.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    fetched = client().messages(failed.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 30007)


def test_it_answers_404_for_an_unknown_message(gateway):
    with pytest.raises(TwilioRestException) as caught:
        client().messages("SM" + "0" * 32).fetch()
    assert caught.value.status == 404 and caught.value.code == 20404


def test_it_fetches_a_message_whose_answer_was_dropped(gateway):
    gateway.configure(drop_share=1, numbers={"+6281200000009": 30003})
    with pytest.raises(requests.exceptions.ConnectionError):
        create("+6281200000009")
    sid = gateway.server.state.messages[-1]["sid"]
    assert client().messages(sid).fetch().status == "undelivered"


def test_it_lists_by_recipient_newest_first(gateway):
    mine = [create("+6281200000010", body=f"#{i}").sid for i in range(4)]
    create("+6281200000011", body="other")
    listed = client().messages.list(to="+6281200000010")
    assert [m.sid for m in listed] == mine[::-1]
    assert [m.sid for m in client().messages.list(to="+6281200000010", limit=2)] == mine[:1:-1]
    assert [m.body for m in client().messages.list(to="+6281200000011")] == ["other"]
    assert client().messages.list(to="+6281200000099") == []
    assert len(client().messages.list()) == 5


def test_it_filters_the_list_by_date_sent_after(gateway):
    sid = create("+6281200000012").sid
    hour = dt.timedelta(hours=1)
    now = dt.datetime.now(dt.timezone.utc)
    assert [m.sid for m in client().messages.list(to="+6281200000012", date_sent_after=now - hour)] == [sid]
    assert client().messages.list(to="+6281200000012", date_sent_after=now + hour) == []


def test_it_reports_statuses_only_in_detailed_stats(gateway):
    gateway.configure(numbers={"+6281200000014": 30005})
    first = create("+6281200000013").sid
    second = create("+6281200000013").sid
    third = create("+6281200000014").sid
    stats = gateway.stats()
    assert set(stats) == {"accepted", "requests", "failed", "dropped", "slow", "error_after_accept"}
    assert stats["requests"] == 3
    detail = gateway.stats(detail=True)
    assert detail["statuses"] == {first: "delivered", second: "delivered", third: "undelivered"}
    assert detail["final"] == {"+6281200000013": [[first, "delivered"], [second, "delivered"]],
                               "+6281200000014": [[third, "undelivered"]]}


def test_it_restores_every_default_on_reset(gateway):
    gateway.configure(drop_share=1, jitter_ms=5, early_callbacks=True, numbers={"+6281200000015": 21211})
    with pytest.raises(requests.exceptions.ConnectionError):
        create("+6281200000016")
    gateway.reset()
    assert gateway.configure() == DEFAULTS
    assert gateway.stats() == {"accepted": {}, "requests": 0, "failed": 0, "dropped": 0, "slow": 0,
                               "error_after_accept": 0}


# --- latency


def test_it_delays_each_request_by_latency_with_jitter(gateway):
    gateway.configure(latency_ms=120, jitter_ms=60)
    for i in range(6):
        start = time.monotonic()
        create(f"+62812000001{i:02d}")
        assert time.monotonic() - start >= 0.060


def test_it_jitters_around_a_small_latency_without_sleeping_a_negative_time(gateway):
    gateway.configure(latency_ms=5, jitter_ms=300)  # about half the draws go below zero
    took = []
    for i in range(8):
        start = time.monotonic()
        assert create(f"+62812000002{i:02d}").status == "queued"  # a negative sleep would break the request
        took.append(time.monotonic() - start)
    assert sum(gateway.stats()["accepted"].values()) == 8
    assert max(took) >= 0.1  # some draws went well above the 5 ms latency: the jitter is applied


# --- callbacks


def test_it_calls_back_before_answering_with_early_callbacks(gateway, receiver):
    gateway.configure(callbacks=True, early_callbacks=True, delivery_delay_ms=200)
    message = create("+6281200000020", status_callback=receiver.url)
    returned = time.monotonic()
    with receiver.lock:
        calls = list(receiver.calls)
    assert [status for _, status, _, _ in calls] == ["sent", "delivered"]
    assert all(arrived < returned for arrived, _, _, _ in calls)
    assert all(valid for _, _, _, valid in calls)
    assert message.status == "queued"


def test_it_calls_back_after_answering_by_default(gateway, receiver):
    gateway.configure(callbacks=True, delivery_delay_ms=100)
    create("+6281200000021", status_callback=receiver.url)
    returned = time.monotonic()
    assert receiver.statuses() == []
    assert receiver.wait_for(2) == ["sent", "delivered"]
    with receiver.lock:
        assert all(arrived > returned for arrived, _, _, _ in receiver.calls)


def test_it_reports_the_carrier_error_in_the_final_callback(gateway, receiver):
    gateway.configure(callbacks=True, early_callbacks=True, numbers={"+6281200000022": 30003})
    create("+6281200000022", status_callback=receiver.url)
    with receiver.lock:
        assert [(status, code) for _, status, code, _ in receiver.calls] == [("sent", None), ("undelivered", "30003")]


def test_it_sends_the_final_status_before_sent_when_reordering(gateway, receiver):
    gateway.configure(callbacks=True, delivery_delay_ms=10, callback_reorder=True)
    create("+6281200000023", status_callback=receiver.url)
    assert receiver.wait_for(2) == ["delivered", "sent"]


def test_it_sends_each_callback_twice_when_duplicating(gateway, receiver):
    gateway.configure(callbacks=True, delivery_delay_ms=10, callback_duplicate_share=1)
    create("+6281200000024", status_callback=receiver.url)
    assert receiver.wait_for(4) == ["sent", "sent", "delivered", "delivered"]


def test_it_calls_back_even_when_the_answer_is_dropped(gateway, receiver):
    gateway.configure(callbacks=True, early_callbacks=True, drop_share=1, callback_reorder=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        create("+6281200000025", status_callback=receiver.url)
    assert receiver.statuses() == ["delivered", "sent"]


# --- robustness


def test_it_stays_quiet_when_the_client_goes_away_before_the_answer(gateway, capfd):
    gateway.configure(slow_share=1, slow_ms=300)
    port = int(gateway.url.rsplit(":", 1)[1])
    path = "/2010-04-01/Accounts/ACtest0000000000000000000000000000/Messages.json"
    body = urllib.parse.urlencode({"To": "+6281200000026", "From": FROM, "Body": "Halo"})
    auth = base64.b64encode(f"ACtest0000000000000000000000000000:{TOKEN}".encode()).decode()
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                      f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n{body}")
                     .encode())
        time.sleep(0.05)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST: the gateway's answer meets a dead socket
    time.sleep(0.6)
    gateway.configure(slow_share=0)
    assert create("+6281200000027").status == "queued"  # still serving
    assert gateway.stats()["accepted"]["+6281200000026"] == 3
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err
