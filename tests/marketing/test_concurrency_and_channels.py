"""Two requests at once, the shared rate limit, and email through Django's backends."""

import threading

import pytest
from django.db import connection

from crm.models import Interaction
from marketing import services
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


@pytest.mark.django_db
def test_it_never_exceeds_the_rate_limit(gateway, branch_a, sales_a, settings):
    settings.SMS_RATE_PER_SECOND = 4
    people = [CustomerFactory(phone=f"+62813333000{i:02d}", branch=branch_a, consents={"sms": True})
              for i in range(10)]
    send = services.send_create(idempotency_key="rate", channel="sms", name="Rate", body="Hi",
                                customers=[p.pk for p in people], by=sales_a)
    send_dispatch_task.run(send.pk)
    per_second = {}
    for message in gateway.server.state.messages:
        per_second[message["_created"]] = per_second.get(message["_created"], 0) + 1
    assert sum(per_second.values()) == 10
    # Unthrottled, ten messages reach the gateway within a few milliseconds; at four a
    # second they arrive over at least three different seconds.
    assert len(per_second) >= 3


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
