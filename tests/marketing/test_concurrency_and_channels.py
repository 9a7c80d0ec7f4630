"""Two requests at once, the shared rate limit, and email through Django's backends."""

import bisect
import threading
import time

import pytest
from django.db import connection

from crm.models import Interaction
from marketing import backends, services
from marketing.models import Message, Send
from marketing.tasks import send_dispatch_task
from tests.factories import CustomerFactory


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_send_when_two_requests_race(gateway, branch_a, sales_a):
    customers = [CustomerFactory(phone=f"+62813222000{i:02d}", branch=branch_a, consents={"sms": True})
                 for i in range(20)]
    barrier, results = threading.Barrier(2), []

    def click():
        try:
            barrier.wait()
            send = services.send_create(idempotency_key="race", channel="sms", name="Race", body="Hi",
                                        customers=[c.pk for c in customers], by=sales_a)
            results.append(send.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(results) == 2 and results[0] == results[1]
    assert Send.objects.count() == 1 and Message.objects.count() == 20


def busiest_window(times: list[float], seconds: float = 1.0) -> int:
    """The most requests that arrived within any ``seconds`` long window [t, t + seconds)
    (a busiest window can always be slid to start at an arrival)."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times)), default=0)


def test_busiest_window_slides():
    assert busiest_window([]) == 0
    assert busiest_window([0.0, 0.5, 0.99, 1.0, 1.5]) == 3  # [0, 1) and [0.5, 1.5) hold three
    assert busiest_window([0.9, 0.95, 1.05, 1.1]) == 4  # across a whole-second boundary
    assert busiest_window([0.0, 0.5, 0.9], seconds=0.8) == 2


@pytest.mark.django_db
def test_it_never_exceeds_the_rate_limit(gateway, branch_a, sales_a, settings):
    rate = settings.SMS_RATE_PER_SECOND = 4
    people = [CustomerFactory(phone=f"+62813333000{i:02d}", branch=branch_a, consents={"sms": True})
              for i in range(10)]
    send = services.send_create(idempotency_key="rate", channel="sms", name="Rate", body="Hi",
                                customers=[p.pk for p in people], by=sales_a)
    # One request first, so the twilio client's first-use imports do not delay one request
    # of the measured ones (arrivals then vary by milliseconds only).
    backends.get_sms_backend().send_sms(to="+6281333399999", body="warm-up")
    # Start mid-second: a limiter that counts per clock second would let four through now
    # and four more at the next full second, half a second later. It must not.
    time.sleep(1 + (0.5 - time.time() % 1) % 1)
    send_dispatch_task.run(send.pk)
    times = gateway.stats(detail=True)["times"][1:]  # when each accepted request reached the gateway
    assert len(times) == 10
    # At most four requests in any one second, wherever that second starts (the window is
    # 0.9 s: arrivals at the gateway vary a little by how long each request takes to get
    # there, which no limiter controls).
    assert busiest_window(times, 0.9) <= rate, sorted(round(t - min(times), 3) for t in times)


@pytest.mark.django_db
def test_it_sends_email_with_consent_and_logs_it(gateway, branch_a, sales_a, mailoutbox):
    yes = CustomerFactory(name="Ayu Lestari", email="ayu@contoh.id", branch=branch_a, consents={"email": True})
    no = CustomerFactory(name="Tono", email="tono@contoh.id", branch=branch_a, consents={"email": False})
    send = services.send_create(idempotency_key="mail", channel="email", name="Newsletter",
                                subject="Promo untuk {{ first_name }}", body="Halo {{ first_name }}!",
                                customers=[yes.pk, no.pk], by=sales_a)
    assert send.skipped == {"no_consent": 1}
    send_dispatch_task.run(send.pk)
    assert [(m.to, m.subject, m.body) for m in mailoutbox] == [(["ayu@contoh.id"], "Promo untuk Ayu", "Halo Ayu!")]
    assert Interaction.objects.filter(customer=yes, channel="email", summary="Halo Ayu!").exists()
    assert not Interaction.objects.filter(customer=no, channel="email").exists()
