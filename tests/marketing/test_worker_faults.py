"""Exactly once with a real Celery worker process, a real Redis and the local gateway,
while the worker is SIGKILLed or Redis is restarted in the middle of a batch."""

import time

import pytest

from crm.models import Customer
from marketing import services
from marketing.models import Message, Send
from marketing.tasks import sends_sweep_task

from .workers import redis_server, worker, worker_env  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
BATCH = 2000


@pytest.fixture
def batch(branch_a, sales_a):
    """BATCH consenting customers with unique mobiles, loaded in bulk."""
    from crm.services import customer_search_text

    Customer.objects.bulk_create([
        Customer(name=f"Massal {i}", phone=f"+6281300{i:06d}", branch=branch_a, sms_consent=True,
                 search_text=customer_search_text(name=f"Massal {i}"))
        for i in range(BATCH)
    ])
    return Customer.objects.filter(branch=branch_a, name__startswith="Massal")


def _wait(send, *, timeout=120, sweep=True, during=None):
    """Wait for the send to finish, running the beat sweeper as beat would (every 2 s here)."""
    deadline, last_sweep = time.monotonic() + timeout, 0.0
    while time.monotonic() < deadline:
        if during:
            during()
        send.refresh_from_db()
        if send.status == Send.Status.DONE:
            return
        if sweep and time.monotonic() - last_sweep > 2:
            try:
                sends_sweep_task.delay()
            except Exception:  # broker down right now: beat would simply try again
                pass
            last_sweep = time.monotonic()
        time.sleep(0.2)
    counts = {s: Message.objects.filter(send=send, status=s).count() for s in Message.Status.values}
    raise AssertionError(f"send not done in time: {counts}")


def _assert_exactly_once(gateway, send):
    accepted = gateway.stats()["accepted"]
    expected = set(send.messages.values_list("to", flat=True))
    assert len(expected) == BATCH
    duplicates = {to: n for to, n in accepted.items() if n > 1}
    missing = expected - set(accepted)
    assert (duplicates, missing) == ({}, set())
    assert send.messages.exclude(status=Message.Status.SENT).count() == 0


def test_it_sends_exactly_once_when_the_worker_is_killed_mid_batch(gateway, worker, batch, sales_a):
    gateway.configure(latency_ms=2)
    send = services.send_create(idempotency_key="kill", channel="sms", name="Kill", body="Halo {{ first_name }}",
                                customers=batch, by=sales_a)
    while sum(gateway.stats()["accepted"].values()) < BATCH // 4:
        time.sleep(0.05)
    worker.kill()
    assert 0 < sum(gateway.stats()["accepted"].values()) < BATCH
    worker.start()
    _wait(send)
    _assert_exactly_once(gateway, send)


def test_it_sends_exactly_once_when_redis_restarts_mid_batch(gateway, worker, redis_server, batch, sales_a):
    gateway.configure(latency_ms=2)
    send = services.send_create(idempotency_key="redis", channel="sms", name="Redis", body="Halo",
                                customers=batch, by=sales_a)
    while sum(gateway.stats()["accepted"].values()) < BATCH // 4:
        time.sleep(0.05)
    redis_server.stop()  # queued tasks are lost with it (no persistence)
    time.sleep(1)
    redis_server.start()
    _wait(send)
    _assert_exactly_once(gateway, send)


def test_it_sends_everything_when_a_fifth_of_requests_fail(gateway, worker, batch, sales_a, settings):
    gateway.configure(fail_share=0.2, fail_with=[429, 500], numbers={"+6281300000007": 21211})
    send = services.send_create(idempotency_key="flaky", channel="sms", name="Flaky", body="Halo",
                                customers=batch, by=sales_a)
    _wait(send, timeout=180)
    stats = gateway.stats()
    assert stats["failed"] > BATCH * 0.1
    failed = Message.objects.get(send=send, status=Message.Status.FAILED)
    assert (failed.to, failed.error_code) == ("+6281300000007", "21211")
    accepted = stats["accepted"]
    assert len(accepted) == BATCH - 1 and set(accepted.values()) == {1}
