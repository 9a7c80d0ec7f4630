"""Two batches of touches for the same customers at once (two workers recording the SMS each
accepted, a bulk import beside a send) must both land: moving ``last_contact_at`` locks the
customers in one order, so the batches wait for each other instead of deadlocking."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from crm import services
from crm.models import Customer, Interaction
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_batches_in_opposite_orders_both_land(branch_a):
    customers = [CustomerFactory(branch=branch_a) for _ in range(60)]
    Interaction.objects.all().delete()
    Customer.objects.update(last_contact_at=None)
    at = timezone.now().replace(microsecond=0)
    rounds = 4
    barrier, errors = threading.Barrier(2), []

    def batch(ordered, offset):
        try:
            for n in range(rounds):
                with transaction.atomic():
                    barrier.wait(timeout=20)
                    services.interactions_record_bulk([
                        dict(customer=c, kind="sms", channel="sms", direction="out", summary=f"round {n}",
                             occurred_at=at + dt.timedelta(seconds=n * 10 + offset))
                        for c in ordered])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=batch, args=(customers, 0)),
               threading.Thread(target=batch, args=(customers[::-1], 1))]
    [t.start() for t in threads]
    [t.join() for t in threads]

    assert errors == []
    assert Interaction.objects.count() == 2 * rounds * len(customers)
    # Every customer's last contact is the latest touch of either batch.
    latest = at + dt.timedelta(seconds=(rounds - 1) * 10 + 1)
    assert set(Customer.objects.values_list("last_contact_at", flat=True)) == {latest}
