"""Sends through the real twilio client to the local gateway; exactly once per customer."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.models import Customer, Interaction
from marketing import services
from marketing.models import Message, Send
from marketing.tasks import send_dispatch_task
from tests.factories import AssetFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def audience(branch_a, sales_a):
    people = [CustomerFactory(name=f"Pelanggan Satu{i}", phone=f"+62812000000{i:02d}", branch=branch_a,
                              consents={"sms": True}) for i in range(5)]
    AssetFactory(customer=people[0], plate_number="D 1111 AA")
    CustomerFactory(name="Tanpa Izin", phone="+6281200000099", branch=branch_a, consents={"sms": False})
    CustomerFactory(name="Telepon Rumah", phone="+62215551234", branch=branch_a, consents={"sms": True})
    return Customer.objects.filter(branch=branch_a)


def _drain(send, rounds=20):
    """Run the dispatch task in-process until the send is finished, letting back-off time pass."""
    for _ in range(rounds):
        send_dispatch_task.run(send.pk)
        Message.objects.filter(send=send, status="queued").update(next_attempt_at=timezone.now())
        send.refresh_from_db()
        if send.status == Send.Status.DONE:
            return
    raise AssertionError(f"send not finished: {list(send.messages.values_list('status', flat=True))}")


def test_it_sends_each_consenting_mobile_customer_exactly_once(gateway, audience, sales_a,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        send = services.send_create(idempotency_key="promo-1", channel="sms", name="Promo",
                                    body="Halo {{ first_name }} {{ vehicle_plate }}", customers=audience, by=sales_a)
    assert len(callbacks) == 1  # the dispatch task is enqueued after commit
    assert send.recipients == 5
    assert send.skipped == {"no_consent": 1, "not_mobile": 1}
    _drain(send)
    assert gateway.stats()["accepted"] == {f"+62812000000{i:02d}": 1 for i in range(5)}
    first = Message.objects.get(send=send, to="+6281200000000")
    # A marketing SMS ends with its opt-out link (tests/public/test_sms_optout.py).
    text = "Halo Pelanggan D 1111 AA" + services.optout_suffix(first.optout_code, first.customer.language)
    assert first.body == text and first.segments == 1
    assert first.provider_sid.startswith("SM") and first.status == Message.Status.SENT
    timeline = Interaction.objects.get(customer=first.customer, kind="campaign_message")
    assert timeline.summary == text and timeline.source == first


def test_it_sends_once_when_started_twice(gateway, audience, sales_a):
    one = services.send_create(idempotency_key="dbl", channel="sms", name="P", body="Hi", customers=audience,
                               by=sales_a)
    two = services.send_create(idempotency_key="dbl", channel="sms", name="P", body="Hi", customers=audience,
                               by=sales_a)
    assert one.pk == two.pk and Message.objects.count() == 5
    _drain(one)
    _drain(two)
    assert sum(gateway.stats()["accepted"].values()) == 5


def test_it_records_permanent_errors_and_does_not_retry_them(gateway, audience, sales_a):
    gateway.configure(numbers={"+6281200000001": 21211, "+6281200000002": 21610})
    send = services.send_create(idempotency_key="perm", channel="sms", name="P", body="Hi", customers=audience,
                                by=sales_a)
    _drain(send)
    failed = {m.to: m.error_code for m in Message.objects.filter(send=send, status="failed")}
    assert failed == {"+6281200000001": "21211", "+6281200000002": "21610"}
    assert gateway.stats()["requests"] == 5  # one request each, no retries
    unsubscribed = Customer.objects.get(phone="+6281200000002")
    assert unsubscribed.sms_consent is False and unsubscribed.sms_consent_source == "twilio-21610"


def test_it_retries_429_until_everything_is_sent(gateway, audience, sales_a, settings):
    settings.SMS_MAX_ATTEMPTS = 30
    gateway.configure(fail_share=0.5, fail_with=[429])
    send = services.send_create(idempotency_key="flaky", channel="sms", name="P", body="Hi", customers=audience,
                                by=sales_a)
    _drain(send, rounds=40)
    assert gateway.stats()["failed"] > 0
    assert gateway.stats()["accepted"] == {f"+62812000000{i:02d}": 1 for i in range(5)}
    assert set(Message.objects.filter(send=send).values_list("status", flat=True)) == {"sent"}


def test_it_holds_marketing_sms_in_quiet_hours_but_not_service_messages(gateway, audience, sales_a, settings):
    settings.SMS_QUIET_HOURS = "0-24"  # quiet all day everywhere
    promo = services.send_create(idempotency_key="q1", channel="sms", name="P", body="Promo", customers=audience,
                                 by=sales_a)
    send_dispatch_task.run(promo.pk)
    assert set(promo.messages.values_list("status", flat=True)) == {"queued"}  # deferred, not dropped
    ready = services.send_create(idempotency_key="q2", channel="sms", name="Ready", body="Mobil siap",
                                 customers=audience, by=sales_a, purpose=Send.Purpose.TRANSACTIONAL)
    _drain(ready)
    settings.SMS_QUIET_HOURS = "0-0"
    _drain(promo)
    assert set(promo.messages.values_list("status", flat=True)) == {"sent"}


def test_it_knows_which_branch_time_zones_are_quiet(settings):
    settings.SMS_QUIET_HOURS = "21-8"
    at = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.timezone.utc)  # 20:30 WIB, 21:30 WITA, 22:30 WIT
    assert services.quiet_time_zones(at) == ["Asia/Makassar", "Asia/Jayapura"]


def test_it_pauses_resumes_and_cancels(gateway, audience, sales_a, settings):
    settings.SMS_CHUNK = 2
    send = services.send_create(idempotency_key="p", channel="sms", name="P", body="Hi", customers=audience,
                                by=sales_a)
    services.send_pause(send=send)
    assert services.send_process_chunk(send_id=send.pk) == 0
    services.send_resume(send=send)
    assert services.send_process_chunk(send_id=send.pk) == 2
    assert services.send_cancel(send=send) == 3
    assert sum(gateway.stats()["accepted"].values()) == 2


def test_it_reconciles_a_row_stuck_in_sending_without_resending(gateway, audience, sales_a, settings):
    send = services.send_create(idempotency_key="crash", channel="sms", name="P", body="Hi", customers=audience,
                                by=sales_a)
    _drain(send)
    # As if a worker died after Twilio accepted the message but before the SID was saved.
    stuck = Message.objects.filter(send=send).first()
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    Message.objects.filter(pk=stuck.pk).update(status="sending", provider_sid=None, claimed_at=long_ago,
                                              request_started_at=long_ago)
    # And one that never reached the gateway.
    never = Message.objects.create(send=send, customer=Customer.objects.get(name="Tanpa Izin"), channel="sms",
                                   to="+6281200000099", status="sending", claimed_at=long_ago,
                                   request_started_at=long_ago, attempts=1)
    recent = Message.objects.create(send=send, customer=Customer.objects.get(name="Telepon Rumah"), channel="sms",
                                    to="+62215551234", status="sending", claimed_at=timezone.now(),
                                    request_started_at=timezone.now())
    services.messages_reconcile_stuck()
    recent.refresh_from_db()
    assert recent.status == "sending"  # may still be in flight at a live worker: left alone
    stuck.refresh_from_db()
    never.refresh_from_db()
    assert stuck.status == "delivered" and stuck.provider_sid  # the provider's own status
    assert never.status == "queued"
    assert gateway.stats()["accepted"]["+62812000000" + stuck.to[-2:]] == 1


def test_it_does_not_take_another_messages_sid_when_reconciling(gateway, audience, sales_a):
    promo = services.send_create(idempotency_key="b", channel="sms", name="B", body="Promo akhir tahun",
                                 customers=audience, by=sales_a)
    _drain(promo)
    # Later, a service message to the same people: now the newest message to each number.
    ready = services.send_create(idempotency_key="a", channel="sms", name="A", body="Servis selesai", by=sales_a,
                                 customers=audience, purpose=Send.Purpose.TRANSACTIONAL)
    _drain(ready)
    # A promo row whose worker died after Twilio accepted it, before its SID was saved.
    stuck = Message.objects.filter(send=promo).first()
    promo_sid = stuck.provider_sid
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    Message.objects.filter(pk=stuck.pk).update(status="sending", provider_sid=None, claimed_at=long_ago,
                                              request_started_at=long_ago)
    services.messages_reconcile_stuck()
    stuck.refresh_from_db()
    assert (stuck.status, stuck.provider_sid) == ("delivered", promo_sid)
    assert gateway.stats()["accepted"][stuck.to] == 2  # reconciled, not resent


def test_a_dispatch_task_for_a_send_that_no_longer_exists_does_nothing():
    from marketing.tasks import send_dispatch_task

    assert send_dispatch_task.run(987654321) == 0  # it used to raise Send.DoesNotExist in the worker log
