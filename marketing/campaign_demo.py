"""Demo data of segments and campaigns (seed_demo's "campaigns" step, registered in apps.py).

Two segments of the first branch, and one finished SMS campaign to at most 2,000 of their
customers: its send and messages are written by one INSERT ... SELECT each (demo history, as
crm's step writes its interactions), a tenth held out, then its statistics stored. Fast at a
million customers (the LIMIT bounds the work) and safe to run again (made once by name).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Branch

from .models import Campaign, CampaignBranch, Segment, Send

SEGMENT_SERVICE = "Servis jatuh tempo 60 hari"
SEGMENT_BIRTHDAY = "Ulang tahun bulan ini (setuju SMS)"
CAMPAIGN = "Promo servis berkala"
SIZE = 2000


def run(context) -> None:
    branch = Branch.objects.filter(is_head_office=False).order_by("id").first()
    if branch is None or Campaign.objects.filter(name=CAMPAIGN).exists():
        return
    by = next((u for (code, _dept), u in sorted(context.staff.items(), key=lambda kv: kv[0])
               if code == branch.code), None)
    now = timezone.now()
    with transaction.atomic():
        segment = Segment.objects.create(
            name=SEGMENT_SERVICE, branch=branch, created_by=by,
            definition={"groups": [[{"key": "service_due", "value": "60"}, {"key": "consent", "value": "sms"}]]})
        Segment.objects.create(
            name=SEGMENT_BIRTHDAY, branch=branch, created_by=by,
            definition={"groups": [[{"key": "birthday_month", "value": str(now.month)},
                                    {"key": "consent", "value": "sms"}]]})
        started = now - dt.timedelta(days=3)
        campaign = Campaign.objects.create(
            name=CAMPAIGN, segment=segment, channel=Send.Channel.SMS, branch=branch, created_by=by,
            body="Yth. {{ first_name }}, servis berkala {{ vehicle_plate }} diskon 20% di {{ branch_name }}.",
            body_en="Dear {{ first_name }}, 20% off the periodic service of {{ vehicle_plate }} at {{ branch_name }}.",
            holdout_percent=10, status=Campaign.Status.DONE, submitted_at=started, approved_at=started,
            started_at=started, finished_at=started + dt.timedelta(hours=2))
        send = Send.objects.create(
            idempotency_key=f"campaign:{campaign.public_id}:{branch.pk}", channel=Send.Channel.SMS,
            name=f"{CAMPAIGN} · {branch.name}", body=campaign.body, body_en=campaign.body_en,
            department="marketing", branch=branch, created_by=by, status=Send.Status.DONE)
        with connection.cursor() as cursor:
            cursor.execute(
                """CREATE TEMP TABLE demo_campaign_audience ON COMMIT DROP AS
                   SELECT id, phone, row_number() OVER (ORDER BY id) AS n FROM crm_customer
                   WHERE branch_id = %s AND phone <> '' ORDER BY id LIMIT %s""", [branch.pk, SIZE])
            cursor.execute(
                "INSERT INTO marketing_campaignholdout (campaign_id, customer_id) "
                "SELECT %s, id FROM demo_campaign_audience WHERE n %% 10 = 0", [campaign.pk])
            holdout = cursor.rowcount
            # Mostly delivered; some undelivered (30003 unreachable, 30005 unknown) and failed (21211).
            cursor.execute(
                """INSERT INTO marketing_message (public_id, created_at, updated_at, send_id, customer_id, channel,
                       "to", body, segments, status, attempts, error_code, error_message, sent_at, provider_sid)
                   SELECT gen_random_uuid(), %s, %s, %s, id, 'sms', phone, '', 1,
                          CASE WHEN n %% 17 = 0 THEN 'undelivered' WHEN n %% 29 = 0 THEN 'failed' ELSE 'delivered' END,
                          1, CASE WHEN n %% 17 = 0 THEN (CASE WHEN n %% 2 = 0 THEN '30003' ELSE '30005' END)
                                  WHEN n %% 29 = 0 THEN '21211' ELSE '' END, '', %s, 'SMdemo' || md5(%s || id::text)
                   FROM demo_campaign_audience WHERE n %% 10 <> 0""",
                [started, started, send.pk, started, str(campaign.public_id)])
            send.recipients = cursor.rowcount
        send.save(update_fields=["recipients"])
        CampaignBranch.objects.create(campaign=campaign, branch=branch, due_at=started, send=send,
                                      holdout=holdout, started_at=started)
    from .campaigns import campaign_stats_store

    campaign_stats_store(campaign=campaign, final=False)
    context.say(f"campaigns: 2 segments, 1 finished campaign to {send.recipients} customers ({holdout} held out)")
