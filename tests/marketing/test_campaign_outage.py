"""A campaign started with the production worker and two beats, while Redis (broker and cache)
goes down in the middle of the send and comes back: every recipient gets exactly one message
at the gateway, and the campaign's counters (kept by triggers, never a count per poll) equal
the messages (issue 12)."""

import time

import pytest
from django.db import connection, transaction
from django.db.models import Count

from marketing import campaigns
from marketing.models import Campaign, Message

from .test_reminders_worker import _duplicates, _people
from .workers import (accepted_total, production, redis_server, wait_until, worker_env,  # noqa: F401 (fixtures)
                      )

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
RECIPIENTS = 300


def test_a_campaign_sent_through_a_redis_outage_reaches_everyone_once(gateway, production, redis_server, worker_env,
                                                                      branch_a, manager_a):
    from accounts.models import Department
    from tests.factories import SegmentFactory, UserFactory

    # Small chunks and short dispatch slices: a dispatch task hands over to a fresh one every
    # second, through the broker, so an outage stops the send until the sweeper wakes it.
    worker_env.update(CAMPAIGNS_TICK_SECONDS="1", SMS_CHUNK="10", SMS_DISPATCH_SLICE_SECONDS="1")
    gateway.configure(latency_ms=40)  # a send that lasts a few seconds, so Redis can fail in the middle of it
    people = _people(branch_a, RECIPIENTS, "Kampanye", numbers="+628157")
    author = UserFactory(email="marketing.outage@relasi.test", branch=branch_a, department=Department.MARKETING)
    segment = SegmentFactory(branch=branch_a, name="Setuju SMS")
    campaign = campaigns.campaign_save(campaign=Campaign(name="Promo", segment=segment, channel="sms",
                                                         body="Halo {{ first_name }}, promo servis!"), by=author)
    campaigns.campaign_submit(campaign=campaign, by=author)
    campaigns.campaign_approve(campaign=campaign, by=manager_a)

    production.start()
    campaigns.campaign_send_now(campaign=campaign, by=author)  # enqueues the tick; beat would start it anyway
    procs = [production.worker, *production.beats]
    wait_until(lambda: accepted_total(gateway) >= RECIPIENTS // 5, timeout=45, interval=0.05, procs=procs,
               what=lambda: f"{RECIPIENTS // 5} accepted before the outage, have {accepted_total(gateway)}")

    redis_server.stop()
    at_outage = accepted_total(gateway)
    time.sleep(5)  # beats' ticks and sweeps fail; claimed chunks finish from the database alone
    at_restart = accepted_total(gateway)
    redis_server.start()

    def finished():
        campaign.refresh_from_db()
        return campaign.status == Campaign.Status.DONE

    wait_until(finished, timeout=60, interval=0.5, procs=[production.worker],
               what=lambda: f"the campaign done; {accepted_total(gateway)} accepted, status {campaign.status}")
    time.sleep(1)

    # Part of the send was left for after the outage (the next chunks need the broker).
    assert at_outage <= at_restart < RECIPIENTS, (at_outage, at_restart)
    accepted = gateway.stats(detail=True)["accepted"]
    expected = {p.phone for p in people}
    assert _duplicates(gateway) == {}
    assert expected - set(accepted) == set()  # nobody missing
    assert accepted_total(gateway) == RECIPIENTS
    # Status checks go on turning "sent" into "delivered": read the messages and the counters
    # in one snapshot.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        messages = Message.objects.filter(send__campaign_run__campaign=campaign)
        assert messages.count() == RECIPIENTS
        actual = dict(messages.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        progress = campaigns.campaign_progress(campaign)
    assert progress["by_status"] == actual
    assert progress["total"] == RECIPIENTS and progress["percent"] == 100
    assert campaign.stats["total"] == RECIPIENTS  # the statistics stored at the finish
