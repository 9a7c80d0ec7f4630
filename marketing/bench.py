"""Campaigns at the scale of issue 12 for ``make bench`` (crm/benchmarks/departments.py).

At 1,000,000 customers: a finished head-office SMS campaign with a message to every customer
(1,000,000 rows, statuses and Twilio error codes as a real send ends), its statistics
aggregated once, and a campaign caught while sending (two branches started, part of their
messages still queued, the other branches not yet due). Loaded with one INSERT ... SELECT per
branch, topped up only: a second run adds nothing.

The sending campaign's sends are *paused* and its branches not yet started are due in a
year, so a worker or beat that happens to run against the bench database never sends them.

The cases: the segment editor's live count (the real htmx GET, count + sample of 10) of the
three-criteria segments the issue worries about, as a branch marketer and as head office;
the campaign page and its progress poll while sending; the finished campaign's statistics.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Branch, User
from crm.benchmarks.departments import scaled
from crm.benchmarks.inputs import Typed
from crm.benchmarks.measure import Case

from .models import Campaign, CampaignBranch, Message, Segment, Send

MARKETER, HEAD_OFFICE = "marketing.jks@relasi.test", "pusat@relasi.test"
TARGETS = {"live count": 300, "sending": 60, "statistics": 300}  # p95 ms (issue 12)
FINISHED, SENDING = "Bench: promo servis (selesai)", "Bench: promo ban (sedang terkirim)"
SENDING_BRANCHES = ("jks", "bdg")
BODY = "Halo {nama}, servis berkala diskon 20% bulan ini di {cabang}. Balas STOP untuk berhenti."
# A finished send's end: delivered, undelivered or failed, with the Twilio codes seen most.
FINAL_STATUS = ("CASE WHEN c.id %% 100 < 91 THEN 'delivered' WHEN c.id %% 100 < 95 THEN 'undelivered' "
                "ELSE 'failed' END")
SENDING_STATUS = ("CASE WHEN c.id %% 100 < 55 THEN 'delivered' WHEN c.id %% 100 < 58 THEN 'failed' "
                  "ELSE 'queued' END")
ERROR_CODE = ("CASE WHEN c.id %% 100 >= {from_} THEN (ARRAY['30003','30005','30006','21610'])[c.id %% 4 + 1] "
              "ELSE '' END")


def _segment(by) -> Segment:
    segment = Segment.objects.filter(name="Bench: semua pelanggan", branch=None).first()
    return segment or Segment.objects.create(
        name="Bench: semua pelanggan", branch=None, created_by=by, kind=Segment.Kind.RULES,
        definition={"groups": [[{"key": "consent", "value": "sms"}]]})


def _campaign(name: str, status: str, segment: Segment, by, started: dt.datetime) -> Campaign:
    campaign = Campaign.objects.filter(name=name, branch=None).first()
    if campaign is None:
        campaign = Campaign.objects.create(
            name=name, segment=segment, channel=Send.Channel.SMS, body=BODY, status=status, created_by=by,
            approved_by=by, approved_at=started, started_at=started, conversion_days=14,
            finished_at=started + dt.timedelta(hours=3) if status == Campaign.Status.DONE else None)
    return campaign


def _messages(campaign: Campaign, branch: Branch, *, status_sql: str, error_from: int, send_status: str,
              started: dt.datetime, limit: int) -> int:
    """The branch's send and its messages (one INSERT ... SELECT); 0 when already there."""
    run, _ = CampaignBranch.objects.get_or_create(campaign=campaign, branch=branch,
                                                  defaults={"due_at": started, "started_at": started})
    if run.send_id and Message.objects.filter(send_id=run.send_id).exists():
        return 0
    with transaction.atomic():
        send = run.send or Send.objects.create(
            idempotency_key=f"bench-campaign:{campaign.public_id}:{branch.pk}", channel=Send.Channel.SMS,
            name=f"{campaign.name} · {branch.name}"[:200], body=BODY, department="marketing", branch=branch,
            created_by=campaign.created_by, status=send_status)
        with connection.cursor() as cursor:
            # The counters (marketing_sendcounter) follow through the message triggers (0010).
            cursor.execute(
                f"""INSERT INTO marketing_message (created_at, updated_at, public_id, send_id, customer_id, channel,
                        "to", body, segments, status, attempts, sent_at, error_code, error_message)
                    SELECT %s, %s, gen_random_uuid(), %s, c.id, 'sms', c.phone, %s, 1, {status_sql},
                           CASE WHEN {status_sql} = 'queued' THEN 0 ELSE 1 END,
                           CASE WHEN {status_sql} = 'queued' THEN NULL
                                ELSE %s + (c.id %% 10800) * interval '1 second' END,
                           {ERROR_CODE.format(from_=error_from)}, ''
                    FROM crm_customer c WHERE c.branch_id = %s ORDER BY c.id LIMIT %s
                    ON CONFLICT DO NOTHING""",
                [started, started, send.pk, BODY.replace("{nama}", "Pelanggan").replace("{cabang}", branch.name),
                 started, branch.pk, limit])
            added = cursor.rowcount
        Send.objects.filter(pk=send.pk).update(recipients=added, status=send_status)
        CampaignBranch.objects.filter(pk=run.pk).update(send=send, started_at=started)
    return added


def seed(*, fraction: float, stdout) -> None:
    by = User.objects.filter(email=HEAD_OFFICE).first()
    if by is None:
        return
    now = timezone.now()
    segment = _segment(by)
    per_branch = scaled(1_000_000, fraction)  # every customer of the branch, at most
    branches = list(Branch.objects.order_by("id"))

    finished = _campaign(FINISHED, Campaign.Status.DONE, segment, by, now - dt.timedelta(days=20))
    added = sum(_messages(finished, b, status_sql=FINAL_STATUS, error_from=91, send_status=Send.Status.DONE,
                          started=finished.started_at, limit=per_branch) for b in branches)
    if added:
        stdout.write(f"marketing: {added:,} messages of a finished campaign added")
    if added or not finished.stats:
        from .campaigns import campaign_stats_store

        campaign_stats_store(campaign=finished, final=True)  # aggregated once, as campaigns_finish does

    sending = _campaign(SENDING, Campaign.Status.SENDING, segment, by, now - dt.timedelta(minutes=20))
    added = 0
    for branch in branches:
        if branch.code in SENDING_BRANCHES:
            added += _messages(sending, branch, status_sql=SENDING_STATUS, error_from=55,
                               send_status=Send.Status.PAUSED, started=sending.started_at, limit=per_branch)
        else:  # not due yet: a beat running against this database must not start it
            CampaignBranch.objects.get_or_create(campaign=sending, branch=branch,
                                                 defaults={"due_at": now + dt.timedelta(days=365)})
    if added:
        stdout.write(f"marketing: {added:,} messages of a sending campaign added")
    # VACUUM (the visibility map the index-only scans of the live count rely on) cannot run
    # in a transaction (a test's): ANALYZE then.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for table in ("marketing_message", "marketing_sendcounter", "crm_customer", "crm_asset"):
            cursor.execute(f"{command} {table}")


# --- the cases -------------------------------------------------------------------------------------
def _preview_url(rows: list[tuple[str, str]]) -> str:
    query = {}
    for n, (key, value) in enumerate(rows):
        query[f"c-0-{n}-key"], query[f"c-0-{n}-value"] = key, value
    return f"{reverse('marketing:segment_preview')}?{urlencode(query)}"


def live_count_inputs(branch_id: int) -> dict[str, list[tuple[Typed, str]]]:
    """Each segment with its values varied (the editor's typing), as (input, url)."""
    ages = [(25, 35), (30, 45), (40, 60), (18, 30), (50, 70)]
    makes = ["Toyota", "Daihatsu", "Honda", "Mitsubishi", "Suzuki", "Wuling"]
    cities = ["Surabaya", "Jakarta Selatan", "Bandung", "Makassar", "Denpasar", "Depok"]
    tags = ["VIP", "Loyal", "Prospect", "Fleet", "Corporate"]
    before = ["2025-01-01", "2025-06-01", "2025-12-01", "2026-06-01"]
    out = {"branch + age range + vehicle make": [], "city + birthday month + consent": [],
           "last contact before + tag + open opportunity": [], "vehicle make + warranty ends + service due": []}
    for n in range(30):
        low, high = ages[n % len(ages)]
        make = makes[n % len(makes)]
        out["branch + age range + vehicle make"].append((
            Typed(f"{low}-{high} {make}", "age range and make"),
            _preview_url([("branch", str(branch_id)), ("age_min", str(low)), ("age_max", str(high)),
                          ("vehicle_make", make)])))
        city, month = cities[n % len(cities)], n % 12 + 1
        channel = "sms" if n % 2 else "email"
        out["city + birthday month + consent"].append((
            Typed(f"{city} {month} {channel}", "city, month, channel"),
            _preview_url([("city", city), ("birthday_month", str(month)), ("consent", channel)])))
        day, tag = before[n % len(before)], tags[n % len(tags)]
        out["last contact before + tag + open opportunity"].append((
            Typed(f"{day} {tag}", "date and tag"),
            _preview_url([("last_contact_before", day), ("tag", tag), ("sales.open_opportunity", "yes")])))
        out["vehicle make + warranty ends + service due"].append((
            Typed(f"{make} {30 * (n % 12 + 1)}d", "make and window"),
            _preview_url([("vehicle_make", make), ("warranty_ending", str(30 * (n % 12 + 1))),
                          ("service_due", str(15 * (n % 6 + 1)))])))
    return out


def cases(*, runs: int) -> list[Case]:
    out = []
    jks = Branch.objects.filter(code="jks").first()
    if jks is None:
        return out
    for who, label in ((MARKETER, "marketing JKS"), (HEAD_OFFICE, "head office")):
        for name, urls in live_count_inputs(jks.pk).items():
            out.append(Case(f"marketing: segment live count, {name} ({label})", who, urls[:max(runs, 10)],
                            TARGETS["live count"], group="departments"))
    same = Typed("-", "same page")
    sending = Campaign.objects.filter(name=SENDING, branch=None).first()
    if sending:
        out += [
            Case("marketing: campaign page while sending (head office)", HEAD_OFFICE,
                 [(same, sending.get_absolute_url())] * runs, TARGETS["sending"], group="departments"),
            Case("marketing: campaign progress poll while sending (head office)", HEAD_OFFICE,
                 [(same, reverse("marketing:campaign_progress", args=[sending.public_id]))] * runs,
                 TARGETS["sending"], group="departments"),
        ]
    finished = Campaign.objects.filter(name=FINISHED, branch=None).first()
    if finished:
        out.append(Case("marketing: statistics of a finished 1,000,000-recipient campaign (head office)",
                        HEAD_OFFICE, [(same, finished.get_absolute_url())] * runs, TARGETS["statistics"],
                        group="departments"))
    return out
