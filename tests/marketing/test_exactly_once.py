"""The rules behind "exactly once", in-process against the local gateway: a claim only its
owner can use, lost answers reconciled (never resent blindly), early callbacks kept, final
statuses fetched, one sweep at a time. The same faults with a real worker, beat and Redis
are in test_worker_faults.py."""

import datetime as dt
import socket
import uuid

import psycopg2
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from crm.models import Customer
from marketing import backends, services
from marketing.models import EarlyStatus, Message, Send
from tests.factories import CustomerFactory

from .conftest import TOKEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def audience(branch_a):
    for i in range(5):
        CustomerFactory(name=f"Pelanggan {i}", phone=f"+62812000001{i:02d}", branch=branch_a, consents={"sms": True})
    return Customer.objects.filter(branch=branch_a)


def _send(audience, sales_a, key="k", body="Halo"):
    return services.send_create(idempotency_key=key, channel="sms", name=key, body=body, customers=audience,
                                by=sales_a)


def _backdate_requests(send, minutes=10):
    long_ago = timezone.now() - dt.timedelta(minutes=minutes)
    Message.objects.filter(send=send).exclude(request_started_at=None).update(request_started_at=long_ago,
                                                                              claimed_at=long_ago)


def _provider_sids(to):
    return [m.sid for m in backends.TwilioBackend().client.messages.list(to=to)]


# --- the claim ------------------------------------------------------------------------------
def test_it_never_sends_a_row_whose_claim_was_taken_back(gateway, audience, sales_a, settings):
    """The first task's lease lapses while it sends (a slow provider); the sweeper takes its
    unsent rows back and a second task sends them. The first task must skip them."""
    send = _send(audience, sales_a)
    real = backends.TwilioBackend()
    state = {"calls": 0}

    class SlowThenSwept:
        def send_sms(self, *, to, body):
            state["calls"] += 1
            if state["calls"] == 1:
                Message.objects.filter(send=send, status="sending").update(
                    lease_until=timezone.now() - dt.timedelta(seconds=1))
                assert services.messages_release_expired_claims() == 4  # the 4 not yet requested
                assert services.send_process_chunk(send_id=send.pk) == 4  # another task sends them
            return real.send_sms(to=to, body=body)

    assert services.send_process_chunk(send_id=send.pk, backend=SlowThenSwept()) == 5
    assert gateway.stats()["accepted"] == {f"+62812000001{i:02d}": 1 for i in range(5)}
    assert set(send.messages.values_list("status", flat=True)) == {"sent"}
    assert list(send.messages.values_list("attempts", flat=True)) == [1] * 5


def test_it_claims_no_more_than_it_can_send_within_half_a_lease(settings):
    settings.SMS_CHUNK, settings.SMS_STUCK_AFTER_SECONDS, settings.SMS_DISPATCH_PARALLEL = 200, 120, 4
    settings.SMS_RATE_PER_SECOND = 1  # a single long code
    assert services._claim_size() == 15  # 1/s x 60 s / 4 tasks
    settings.SMS_RATE_PER_SECOND = 100
    assert services._claim_size() == 200
    settings.SMS_RATE_PER_SECOND = 0  # unlimited: the chunk setting
    assert services._claim_size() == 200


def test_pausing_releases_rows_claimed_but_not_yet_sent(gateway, audience, sales_a):
    send = _send(audience, sales_a)
    token = uuid.uuid4()
    assert len(services._claim(send, 5, token)) == 5
    services.send_pause(send=send)
    assert set(send.messages.values_list("status", flat=True)) == {"queued"}
    first = send.messages.order_by("id").first()
    assert services._attempt_start(first.pk, token) is None  # the old owner cannot send it
    services.send_resume(send=send)
    assert services.send_process_chunk(send_id=send.pk) == 5
    assert sum(gateway.stats()["accepted"].values()) == 5


def test_cancelling_stops_rows_claimed_but_not_yet_sent(gateway, audience, sales_a):
    send = _send(audience, sales_a)
    token = uuid.uuid4()
    services._claim(send, 3, token)
    assert services.send_cancel(send=send) == 5
    assert services.send_process_chunk(send_id=send.pk) == 0
    assert gateway.stats()["requests"] == 0


# --- which errors may be retried -------------------------------------------------------------
def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_is_retried_blindly(gateway, settings):
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(backends.TransientError):
        backends.TwilioBackend().send_sms(to="+6281200000100", body="Halo")


@pytest.mark.parametrize("fault", [{"drop_share": 1.0}, {"error_after_accept_share": 1.0},
                                   {"fail_share": 1.0, "fail_with": [500]}, {"slow_share": 1.0, "slow_ms": 1500}])
def test_an_answer_that_may_hide_an_accepted_message_is_an_unknown_outcome(gateway, settings, fault):
    settings.TWILIO_TIMEOUT_SECONDS = 1
    gateway.configure(**fault)
    with pytest.raises(backends.UnknownOutcome):
        backends.TwilioBackend().send_sms(to="+6281200000100", body="Halo")


def test_a_429_is_retried(gateway):
    gateway.configure(fail_share=1.0, fail_with=[429])
    with pytest.raises(backends.TransientError):
        backends.TwilioBackend().send_sms(to="+6281200000100", body="Halo")


# --- lost answers --------------------------------------------------------------------------
def test_a_dropped_answer_is_reconciled_to_the_providers_sid_not_resent(gateway, audience, sales_a):
    gateway.configure(drop_share=1.0)
    send = _send(audience, sales_a)
    services.send_process_chunk(send_id=send.pk)
    assert set(send.messages.values_list("status", flat=True)) == {"unknown"}
    services.messages_reconcile_stuck()  # too early: a request may still be in flight
    assert set(send.messages.values_list("status", flat=True)) == {"unknown"}
    gateway.configure(drop_share=0.0)
    _backdate_requests(send)
    assert services.messages_reconcile_stuck() == 5
    for message in send.messages.all():
        assert message.status == "delivered" and [message.provider_sid] == _provider_sids(message.to)
    assert services.send_process_chunk(send_id=send.pk) == 0
    assert gateway.stats()["accepted"] == {f"+62812000001{i:02d}": 1 for i in range(5)}


def test_a_500_is_resent_only_when_the_provider_does_not_have_the_message(gateway, audience, sales_a):
    gateway.configure(error_after_accept_share=1.0)
    accepted_then_500 = _send(audience, sales_a, key="a")
    services.send_process_chunk(send_id=accepted_then_500.pk)
    gateway.configure(error_after_accept_share=0.0, fail_share=1.0, fail_with=[500])
    refused_with_500 = _send(audience, sales_a, key="b", body="Promo")
    services.send_process_chunk(send_id=refused_with_500.pk)
    gateway.configure(fail_share=0.0)
    _backdate_requests(accepted_then_500)
    _backdate_requests(refused_with_500)
    services.messages_reconcile_stuck()
    assert set(accepted_then_500.messages.values_list("status", flat=True)) == {"delivered"}
    assert set(refused_with_500.messages.values_list("status", flat=True)) == {"queued"}
    Message.objects.filter(send=refused_with_500).update(next_attempt_at=None)
    services.send_process_chunk(send_id=refused_with_500.pk)
    assert set(refused_with_500.messages.values_list("status", flat=True)) == {"sent"}
    # Each customer got each text once: "Halo" (kept after the 500) and "Promo" (resent).
    assert gateway.stats()["accepted"] == {f"+62812000001{i:02d}": 2 for i in range(5)}


def test_reconciling_takes_the_providers_status_not_just_sent(gateway, audience, sales_a):
    gateway.configure(drop_share=1.0, numbers={"+6281200000101": 30003})
    send = _send(audience, sales_a)
    services.send_process_chunk(send_id=send.pk)
    gateway.configure(drop_share=0.0)
    _backdate_requests(send)
    services.messages_reconcile_stuck()
    statuses = dict(send.messages.values_list("to", "status"))
    assert statuses.pop("+6281200000101") == "undelivered"
    assert set(statuses.values()) == {"delivered"}


def test_it_gives_up_when_out_of_attempts_and_the_provider_has_nothing(gateway, audience, sales_a, settings):
    settings.SMS_MAX_ATTEMPTS = 1
    gateway.configure(fail_share=1.0, fail_with=[500])
    send = _send(audience, sales_a)
    services.send_process_chunk(send_id=send.pk)
    _backdate_requests(send)
    services.messages_reconcile_stuck()
    failed = send.messages.first()
    assert failed.status == "failed" and "Gave up after 1 attempts" in failed.error_message
    assert gateway.stats()["accepted"] == {}


def test_a_live_request_is_never_reconciled(gateway, audience, sales_a):
    send = _send(audience, sales_a)
    token = uuid.uuid4()
    services._claim(send, 5, token)
    first = send.messages.order_by("id").first()
    services._attempt_start(first.pk, token)  # its request is out right now
    Message.objects.filter(send=send).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert services.messages_release_expired_claims() == 4
    assert services.messages_reconcile_stuck() == 0
    first.refresh_from_db()
    assert first.status == "sending" and first.claim_token == token


# --- callbacks -----------------------------------------------------------------------------
def _callback(client, settings, sid, status, **extra):
    path = reverse("marketing:twilio_status")
    params = {"MessageSid": sid, "MessageStatus": status, **extra}
    signature = RequestValidator(TOKEN).compute_signature(settings.PUBLIC_BASE_URL.rstrip("/") + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_callback_before_the_sid_is_kept_and_applied_when_the_sid_is_recorded(client, gateway, audience,
                                                                               sales_a, settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    gateway.configure(drop_share=1.0)
    send = _send(audience, sales_a)
    services.send_process_chunk(send_id=send.pk)
    gateway.configure(drop_share=0.0)
    message = send.messages.get(to="+6281200000103")
    sid = _provider_sids(message.to)[0]
    # The provider reports delivery while our row still waits for reconciliation.
    assert _callback(client, settings, sid, "sent").status_code == 204
    assert _callback(client, settings, sid, "delivered").status_code == 204
    assert EarlyStatus.objects.filter(sid=sid).count() == 2
    _backdate_requests(send)
    services.messages_reconcile_stuck()
    message.refresh_from_db()
    assert (message.provider_sid, message.status) == (sid, "delivered")
    assert not EarlyStatus.objects.filter(sid=sid).exists()


def test_a_callback_that_beats_the_create_answer_is_applied(client, gateway, audience, sales_a, settings):
    """The provider calls back (delivered, or undelivered with its code) before our worker
    has read the create answer and saved the SID."""
    gateway.configure(numbers={"+6281200000102": 30005})
    real = backends.TwilioBackend()
    send = _send(audience, sales_a)

    class CallsBackFirst:
        def send_sms(self, *, to, body):
            accepted = real.send_sms(to=to, body=body)
            final = real.fetch_status(sid=accepted.sid)
            assert _callback(client, settings, accepted.sid, "sent").status_code == 204
            assert _callback(client, settings, accepted.sid, final.status,
                             **({"ErrorCode": final.error_code} if final.error_code else {})).status_code == 204
            return accepted  # answers "queued", as Twilio's create does

    services.send_process_chunk(send_id=send.pk, backend=CallsBackFirst())
    statuses = {m.to: (m.status, m.error_code) for m in send.messages.all()}
    assert statuses.pop("+6281200000102") == ("undelivered", "30005")
    assert set(statuses.values()) == {("delivered", "")}
    assert not EarlyStatus.objects.exists()


def test_it_fetches_the_final_status_of_messages_that_stay_sent(gateway, audience, sales_a):
    gateway.configure(numbers={"+6281200000104": 30003})  # accepted, then undeliverable
    send = _send(audience, sales_a)
    services.send_process_chunk(send_id=send.pk)
    assert set(send.messages.values_list("status", flat=True)) == {"sent"}  # callbacks are off
    assert services.messages_refresh_status() == 0  # too soon to ask
    Message.objects.filter(send=send).update(sent_at=timezone.now() - dt.timedelta(minutes=30))
    assert services.messages_refresh_status() == 5
    statuses = dict(send.messages.values_list("to", "status"))
    assert statuses.pop("+6281200000104") == "undelivered"
    assert set(statuses.values()) == {"delivered"}
    assert services.messages_refresh_status() == 0  # nothing left "sent"


# --- the sweeper ---------------------------------------------------------------------------
def test_only_one_sweep_runs_at_a_time(gateway, settings):
    db = connection.settings_dict
    other = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [services.SWEEP_LOCK])  # a sweep elsewhere
        assert services.sweep_once() is None
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [services.SWEEP_LOCK])
        assert services.sweep_once() == {"released": 0, "reconciled": 0, "refreshed": 0, "woken": 0}
    finally:
        other.close()


def test_the_sweep_wakes_a_send_whose_dispatch_tasks_were_lost(gateway, audience, sales_a, settings,
                                                               django_capture_on_commit_callbacks):
    settings.SMS_DISPATCH_PARALLEL = 3
    send = _send(audience, sales_a)  # its dispatch tasks "lost with Redis": never run
    assert services.sends_due() == [(send.pk, 0)]
    services._claim(send, 2, uuid.uuid4())  # one live claim = one task at work
    assert services.sends_due() == [(send.pk, 1)]
    Send.objects.filter(pk=send.pk).update(status=Send.Status.PAUSED)
    assert services.sends_due() == []


def test_the_sweep_finishes_a_send_whose_last_dispatch_task_was_lost(gateway, audience, sales_a):
    send = _send(audience, sales_a)
    token = uuid.uuid4()
    services._claim(send, 5, token)
    for message in send.messages.all():  # sent by a task that died before it could say "done"
        services._attempt_start(message.pk, token)
        Message.objects.filter(pk=message.pk).update(status="delivered", provider_sid=f"SM{message.pk}")
    other = _send(audience, sales_a, key="other")  # still has queued rows: stays running
    services.sweep_once()
    send.refresh_from_db()
    other.refresh_from_db()
    assert (send.status, other.status) == (Send.Status.DONE, Send.Status.RUNNING)


def test_a_sweep_while_the_provider_api_is_down_skips_lookups_and_still_finishes_sends(gateway, audience, sales_a,
                                                                                     settings):
    gateway.configure(drop_share=1.0)
    unknown = _send(audience, sales_a, key="unknown")
    services.send_process_chunk(send_id=unknown.pk)
    _backdate_requests(unknown)
    done = _send(audience, sales_a, key="done", body="Selesai")
    for message in done.messages.all():  # all sent by a task lost before it could say so
        Message.objects.filter(pk=message.pk).update(status="delivered", provider_sid=f"SMx{message.pk}")
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{_closed_port()}"  # the API is unreachable
    result = services.sweep_once()
    assert result["reconciled"] == 0
    assert set(unknown.messages.values_list("status", flat=True)) == {"unknown"}  # asked again next time
    done.refresh_from_db()
    assert done.status == Send.Status.DONE
