"""Exactly once with a real Celery worker process, a real Redis and the local gateway,
while the worker is SIGKILLed or Redis is restarted in the middle of a batch."""

import time

import pytest

from crm.models import Customer
from marketing import services
from marketing.models import Message, Send
from marketing.tasks import sends_sweep_task

from .workers import accepted_total, redis_server, wait_until, worker, worker_env  # noqa: F401 (fixtures)

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


def _counts(send):
    return {s: Message.objects.filter(send=send, status=s).count() for s in Message.Status.values}


def _wait(send, worker, *, timeout=120, sweep=True, during=None):
    """Wait for the send to finish, running the beat sweeper as beat would (every 2 s here).
    Fails at once if the worker has died."""
    last_sweep = 0.0

    def done():
        nonlocal last_sweep
        if during:
            during()
        send.refresh_from_db()
        if send.status == Send.Status.DONE:
            return True
        if sweep and time.monotonic() - last_sweep > 2:
            try:
                sends_sweep_task.delay()
            except Exception:  # broker down right now: beat would simply try again
                pass
            last_sweep = time.monotonic()
        return False

    wait_until(done, timeout=timeout, interval=0.2, procs=[worker],
               what=lambda: f"send done; messages by status: {_counts(send)}")


def _wait_accepted(gateway, n, worker, *, timeout=30):
    """Until the gateway has accepted at least ``n`` messages (fails at once if the worker died)."""
    wait_until(lambda: accepted_total(gateway) >= n, timeout=timeout, interval=0.05, procs=[worker],
               what=lambda: f"{n} messages accepted by the gateway (only {accepted_total(gateway)})")


def _assert_exactly_once(gateway, send):
    accepted = gateway.stats()["accepted"]
    expected = set(send.messages.values_list("to", flat=True))
    assert len(expected) == BATCH
    duplicates = {to: n for to, n in accepted.items() if n > 1}
    missing = expected - set(accepted)
    assert (duplicates, missing) == ({}, set())
    assert send.messages.exclude(status__in=[Message.Status.SENT, Message.Status.DELIVERED]).count() == 0


def test_it_sends_exactly_once_when_the_worker_is_killed_mid_batch(gateway, worker, batch, sales_a):
    gateway.configure(latency_ms=2)
    send = services.send_create(idempotency_key="kill", channel="sms", name="Kill", body="Halo {{ first_name }}",
                                customers=batch, by=sales_a)
    _wait_accepted(gateway, BATCH // 4, worker)
    worker.kill()
    assert 0 < sum(gateway.stats()["accepted"].values()) < BATCH
    worker.start()
    _wait(send, worker)
    _assert_exactly_once(gateway, send)


def test_it_sends_exactly_once_when_redis_restarts_mid_batch(gateway, worker, redis_server, batch, sales_a):
    gateway.configure(latency_ms=2)
    send = services.send_create(idempotency_key="redis", channel="sms", name="Redis", body="Halo",
                                customers=batch, by=sales_a)
    _wait_accepted(gateway, BATCH // 4, worker)
    redis_server.stop()  # queued tasks are lost with it (no persistence)
    time.sleep(1)
    redis_server.start()
    _wait(send, worker)
    _assert_exactly_once(gateway, send)


def test_it_sends_everything_when_a_fifth_of_requests_fail(gateway, worker, batch, sales_a, settings):
    gateway.configure(fail_share=0.2, fail_with=[429, 500], numbers={"+6281300000007": 21211})
    send = services.send_create(idempotency_key="flaky", channel="sms", name="Flaky", body="Halo",
                                customers=batch, by=sales_a)
    _wait(send, worker, timeout=180)
    stats = gateway.stats()
    assert stats["failed"] > BATCH * 0.1
    failed = Message.objects.get(send=send, status=Message.Status.FAILED)
    assert (failed.to, failed.error_code) == ("+6281300000007", "21211")
    accepted = stats["accepted"]
    assert len(accepted) == BATCH - 1 and set(accepted.values()) == {1}


# --- the production shape: thread-pool worker, several dispatch tasks, two beats ---------
from django.urls import reverse  # noqa: E402

from .workers import production  # noqa: E402,F401 (fixture)


def _audience(branch, n, prefix="+6281400"):
    from crm.services import customer_search_text

    Customer.objects.bulk_create([
        Customer(name=f"Prod {i}", phone=f"{prefix}{i:06d}", branch=branch, sms_consent=True,
                 search_text=customer_search_text(name=f"Prod {i}"))
        for i in range(n)
    ])
    return Customer.objects.filter(branch=branch, name__startswith="Prod ")


def _wait_settled(send, production, *, timeout, final=("delivered", "undelivered", "failed")):
    """Until the send is done and every message has a final status (callbacks applied).
    Fails at once if the worker has died."""

    def settled():
        send.refresh_from_db()
        return send.status == Send.Status.DONE and not send.messages.exclude(status__in=final).exists()

    wait_until(settled, timeout=timeout, interval=0.5, procs=[production.worker],
               what=lambda: f"send settled; send {send.status}, messages by status: {_counts(send)}")


def _assert_matches_provider(gateway, send, n):
    """Exactly once at the provider, and every row holds the provider's SID and final status."""
    stats = gateway.stats(detail=True)
    accepted = stats["accepted"]
    expected = set(send.messages.values_list("to", flat=True))
    assert len(expected) == n
    duplicates = {to: c for to, c in accepted.items() if c > 1}
    missing = expected - set(accepted)
    assert (duplicates, missing) == ({}, set())
    wrong = []
    for message in send.messages.all():
        [(sid, status)] = stats["final"][message.to]
        if (message.provider_sid, message.status) != (sid, status):
            wrong.append((message.to, message.provider_sid, message.status, sid, status))
    assert wrong == []


@pytest.fixture
def callbacks_to_us(live_server, settings, worker_env):
    """Status callbacks from the gateway reach this test's live server, signed as Twilio would."""
    settings.PUBLIC_BASE_URL = live_server.url
    worker_env["TWILIO_STATUS_CALLBACK_URL"] = live_server.url + reverse("marketing:twilio_status")


def test_latency_and_a_low_rate_limit_send_no_duplicates(gateway, production, worker_env, branch_a, sales_a,
                                                          callbacks_to_us):
    # 4 messages a second against a 3 s lease: the whole send takes ~75 s, 25 leases, and
    # spans more than one sweep even at the old 60 s beat interval (which sent 117 of 360
    # recipients twice before the claim was made owner-only).
    worker_env.update(SMS_RATE_PER_SECOND="4", SMS_STUCK_AFTER_SECONDS="3", SMS_CHUNK="200")
    gateway.configure(latency_ms=150, jitter_ms=50, callbacks=True, delivery_delay_ms=20)
    production.start()
    audience = _audience(branch_a, 300)
    send = services.send_create(idempotency_key="slow", channel="sms", name="Slow", body="Halo {{ first_name }}",
                                customers=audience, by=sales_a)
    _wait_settled(send, production, timeout=240)
    _assert_matches_provider(gateway, send, 300)
    assert production.worker.alive()


def test_lost_answers_errors_and_messy_callbacks_end_exactly_once(gateway, production, branch_a, sales_a,
                                                                   callbacks_to_us):
    gateway.configure(latency_ms=20, jitter_ms=15, drop_share=0.05, fail_share=0.15, fail_with=[429, 429, 500],
                      error_after_accept_share=0.02, callbacks=True, delivery_delay_ms=30,
                      callback_duplicate_share=0.3, callback_reorder=True,
                      numbers={"+6281400000007": 30003})
    production.start()
    audience = _audience(branch_a, 400)
    send = services.send_create(idempotency_key="lossy", channel="sms", name="Lossy", body="Halo {{ first_name }}",
                                customers=audience, by=sales_a)
    _wait_settled(send, production, timeout=180)
    stats = gateway.stats()
    assert stats["dropped"] > 5 and stats["error_after_accept"] > 0  # the faults really happened
    _assert_matches_provider(gateway, send, 400)
    assert Message.objects.get(to="+6281400000007").status == "undelivered"


def test_callbacks_before_the_sid_still_give_the_right_final_status(gateway, production, branch_a, sales_a,
                                                                    callbacks_to_us):
    gateway.configure(early_callbacks=True, callbacks=True, numbers={"+6281400000003": 30005})
    production.start()
    audience = _audience(branch_a, 150)
    send = services.send_create(idempotency_key="early", channel="sms", name="Early", body="Halo",
                                customers=audience, by=sales_a)
    _wait_settled(send, production, timeout=120)
    _assert_matches_provider(gateway, send, 150)


def test_the_same_worker_rides_out_a_30s_redis_outage(gateway, production, redis_server, worker_env, branch_a,
                                                      sales_a, callbacks_to_us):
    # The shared rate limiter lives in Redis too, so the send cannot finish during the outage.
    worker_env.update(SMS_RATE_PER_SECOND="40")
    gateway.configure(latency_ms=20, callbacks=True, drop_share=0.02)
    production.start()
    audience = _audience(branch_a, 1200)
    send = services.send_create(idempotency_key="outage", channel="sms", name="Outage", body="Halo",
                                customers=audience, by=sales_a)
    _wait_accepted(gateway, 400, production.worker)
    pid = production.worker.proc.pid
    redis_server.stop()
    time.sleep(30)
    assert production.worker.alive(), production.log()[-3000:]
    redis_server.start()
    _wait_settled(send, production, timeout=180)
    assert production.worker.alive() and production.worker.proc.pid == pid, production.log()[-3000:]
    _assert_matches_provider(gateway, send, 1200)


def test_sigkill_of_the_thread_pool_worker_loses_and_repeats_nothing(gateway, production, branch_a, sales_a,
                                                                      callbacks_to_us):
    gateway.configure(latency_ms=5, callbacks=True)
    production.start()
    audience = _audience(branch_a, 1500)
    send = services.send_create(idempotency_key="kill8", channel="sms", name="Kill", body="Halo",
                                customers=audience, by=sales_a)
    _wait_accepted(gateway, 500, production.worker)
    production.worker.kill()
    assert sum(gateway.stats()["accepted"].values()) < 1500
    production.worker.start()
    _wait_settled(send, production, timeout=180)
    _assert_matches_provider(gateway, send, 1500)
