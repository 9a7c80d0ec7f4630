"""Campaigns: writing, approval (self refused, concurrent once), scheduling across WIB/WITA/WIT,
the hold-out split, the counters and the statistics against a known set of messages (issue 12)."""

import datetime as dt
import threading
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Branch, Department, Notification
from crm.models import Customer
from marketing import campaigns
from marketing.models import Campaign, CampaignBranch, CampaignHoldout, Message, Send, SendCounter
from tests.factories import BranchFactory, CampaignFactory, CustomerFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing_a(branch_a):
    return UserFactory(email="marketing.a@relasi.test", branch=branch_a, department=Department.MARKETING,
                       phone="+6281311112222")


@pytest.fixture
def audience(branch_a):
    """Twenty customers of branch A consenting to SMS, and two who do not."""
    people = [CustomerFactory(branch=branch_a, name=f"Pelanggan Uji {i}") for i in range(22)]
    Customer.objects.filter(pk__in=[c.pk for c in people[:20]]).update(sms_consent=True)
    return people


def _campaign(author, segment, **fields):
    campaign = Campaign(name="Promo", segment=segment, channel="sms", body="Halo {{ first_name }}!", **fields)
    return campaigns.campaign_save(campaign=campaign, by=author)


def _approved(author, approver, segment, **fields):
    campaign = _campaign(author, segment, **fields)
    campaigns.campaign_submit(campaign=campaign, by=author)
    return campaigns.campaign_approve(campaign=campaign, by=approver)


def _counts(send_ids, codes=False) -> dict:
    """The counter rows of these sends: by status, or (``codes``) failed ones by error code."""
    rows = dict(SendCounter.objects.filter(send_id__in=send_ids, n__gt=0).values_list("status").order_by()
                .annotate(t=__import__("django.db.models", fromlist=["Sum"]).Sum("n")).values_list("status", "t"))
    return {k[5:]: v for k, v in rows.items() if k.startswith("code:")} if codes else \
        {k: v for k, v in rows.items() if not k.startswith("code:")}


# --- writing -------------------------------------------------------------------------------------
def test_it_refuses_an_unknown_placeholder_at_the_field(marketing_a, branch_a):
    segment = SegmentFactory(branch=branch_a)
    with pytest.raises(ValidationError) as exc:
        campaigns.campaign_save(campaign=Campaign(name="x", segment=segment, channel="sms",
                                                  body="Halo {{ nama_depan }}", body_en="{% if x %}"),
                                by=marketing_a)
    assert "Unknown placeholder" in exc.value.message_dict["body"][0]
    assert "Template tags" in exc.value.message_dict["body_en"][0]
    assert not Campaign.objects.exists()


def test_it_refuses_a_schedule_already_past_in_a_branch_zone(marketing_a, branch_a):
    segment = SegmentFactory(branch=branch_a)
    past = timezone.localtime() - dt.timedelta(minutes=5)
    with pytest.raises(ValidationError) as exc:
        _campaign(marketing_a, segment, send_at_local=past)
    assert "already passed" in exc.value.message_dict["send_at_local"][0]


def test_it_refuses_to_change_a_campaign_that_is_sending(marketing_a, manager_a, branch_a, audience):
    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a))
    campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    campaign.body = "Ganti"
    with pytest.raises(ValidationError, match="no longer be changed"):
        campaigns.campaign_save(campaign=campaign, by=marketing_a)
    assert Campaign.objects.get(pk=campaign.pk).body == "Halo {{ first_name }}!"


def test_it_previews_for_a_recipient_in_their_language_with_the_cost(marketing_a, branch_a, settings):
    settings.SMS_COST_PER_SEGMENT_IDR = 400
    customer = CustomerFactory(branch=branch_a, name="Rina Wati")
    Customer.objects.filter(pk=customer.pk).update(language="en")
    customer.refresh_from_db()
    campaign = _campaign(marketing_a, SegmentFactory(branch=branch_a), body_en="Hi {{ first_name }}!",
                         holdout_percent=10)
    preview = campaigns.campaign_preview(campaign, customer)
    assert preview["text"].startswith("Hi Rina!\n") and "/p/s/" in preview["text"]  # with its opt-out link
    assert preview["length"].segments == 1
    estimate = campaigns.cost_estimate(campaign=campaign, count=1000, length=preview["length"])
    assert estimate == {"recipients": 900, "segments": 900, "cost": 360_000}


def test_it_test_sends_to_the_authors_phone_once_per_30_seconds(marketing_a, branch_a, settings, mailoutbox):
    from django.core.cache import cache

    settings.SMS_BACKEND = "marketing.backends.DevelopmentBackend"
    campaign = _campaign(marketing_a, SegmentFactory(branch=branch_a))
    cache.delete(f"campaign-test:{campaign.pk}:{marketing_a.pk}")
    assert campaigns.campaign_test_send(campaign=campaign, by=marketing_a) == "+6281311112222"
    with pytest.raises(ValidationError, match="30 seconds"):
        campaigns.campaign_test_send(campaign=campaign, by=marketing_a)
    marketing_a.phone = ""
    cache.delete(f"campaign-test:{campaign.pk}:{marketing_a.pk}")
    with pytest.raises(ValidationError, match="no phone number"):
        campaigns.campaign_test_send(campaign=campaign, by=marketing_a)
    assert not Message.objects.exists()  # a test is not a customer message


# --- approval ------------------------------------------------------------------------------------
def test_it_tells_the_branch_manager_and_refuses_self_approval(manager_a, branch_a):
    author = UserFactory(branch=branch_a, department=Department.BRANCH_MANAGEMENT)
    campaign = _campaign(author, SegmentFactory(branch=branch_a))
    campaigns.campaign_submit(campaign=campaign, by=author)
    assert Notification.objects.filter(recipient=manager_a, verb=campaigns.NOTIFY_SUBMITTED).count() == 1
    with pytest.raises(ValidationError, match="another manager"):
        campaigns.campaign_approve(campaign=campaign, by=author)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SUBMITTED
    campaigns.campaign_approve(campaign=campaign, by=manager_a)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by) == (Campaign.Status.APPROVED, manager_a)


def test_it_refuses_to_approve_a_cancelled_or_draft_campaign(marketing_a, manager_a, branch_a):
    campaign = _campaign(marketing_a, SegmentFactory(branch=branch_a))
    with pytest.raises(ValidationError, match="only a campaign waiting for approval"):
        campaigns.campaign_approve(campaign=campaign, by=manager_a)
    campaigns.campaign_cancel(campaign=campaign, by=marketing_a)
    with pytest.raises(ValidationError, match="Cancelled"):
        campaigns.campaign_approve(campaign=campaign, by=manager_a)


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_approve_once(branch_a):
    author = UserFactory(branch=branch_a, department=Department.MARKETING)
    managers = [UserFactory(branch=branch_a, department=Department.BRANCH_MANAGEMENT) for _ in range(4)]
    campaign = _campaign(author, SegmentFactory(branch=branch_a))
    campaigns.campaign_submit(campaign=campaign, by=author)
    barrier = threading.Barrier(len(managers))
    results = []

    def approve(manager):
        try:
            barrier.wait()
            campaigns.campaign_approve(campaign=Campaign.objects.get(pk=campaign.pk), by=manager)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=approve, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused", "refused", "refused"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.APPROVED and campaign.approved_by in managers
    assert Notification.objects.filter(verb=campaigns.NOTIFY_APPROVED).count() == 1


# --- sending, scheduling ------------------------------------------------------------------------
def test_send_now_gives_one_send_per_branch_exactly_once(marketing_a, manager_a, branch_a, audience,
                                                         django_capture_on_commit_callbacks):
    everyone = {"groups": [[{"key": "city", "value": "Bandung"}]]}  # the two without consent too
    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a, definition=everyone))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    assert len(callbacks) == 1  # the tick is enqueued when the transaction commits
    assert campaigns.campaigns_tick()["started"] == 1
    assert campaigns.campaigns_tick()["started"] == 0  # again: nothing more
    run = CampaignBranch.objects.get(campaign=campaign)
    assert run.send.recipients == 20 and run.send.skipped == {"no_consent": 2}
    assert run.send.purpose == Send.Purpose.MARKETING
    with pytest.raises(ValidationError):
        campaigns.campaign_send_now(campaign=campaign, by=manager_a)


def test_it_schedules_at_the_local_time_of_each_branch_zone(marketing_a):
    head_office = BranchFactory(code="pusat", is_head_office=True, time_zone=Branch.TimeZone.WIB)
    wib = BranchFactory(code="bdg", time_zone=Branch.TimeZone.WIB)
    wita = BranchFactory(code="mks", time_zone=Branch.TimeZone.WITA)
    wit = BranchFactory(code="jyp", time_zone=Branch.TimeZone.WIT)
    for branch in (wib, wita, wit):
        customer = CustomerFactory(branch=branch)
        Customer.objects.filter(pk=customer.pk).update(sms_consent=True)
    author = UserFactory(branch=head_office, department=Department.HEAD_OFFICE)
    approver = UserFactory(branch=head_office, department=Department.HEAD_OFFICE)
    tomorrow = timezone.localdate() + dt.timedelta(days=2)
    nine = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(9, 0)))  # 09:00 as typed
    campaign = _approved(author, approver, SegmentFactory(branch=None), send_at_local=nine)
    assert campaign.status == Campaign.Status.SCHEDULED
    due = {run.branch.code: run.due_at for run in CampaignBranch.objects.filter(campaign=campaign)}
    utc = zoneinfo.ZoneInfo("UTC")
    assert due["bdg"].astimezone(utc).time() == dt.time(2, 0)  # 09:00 WIB = 02:00 UTC
    assert due["mks"].astimezone(utc).time() == dt.time(1, 0)  # 09:00 WITA = 01:00 UTC
    assert due["jyp"].astimezone(utc).time() == dt.time(0, 0)  # 09:00 WIT = 00:00 UTC
    campaigns.campaigns_tick(now=due["jyp"] - dt.timedelta(minutes=1))
    assert not CampaignBranch.objects.filter(campaign=campaign, send__isnull=False).exists()
    campaigns.campaigns_tick(now=due["mks"] + dt.timedelta(minutes=1))
    started = set(CampaignBranch.objects.filter(campaign=campaign, send__isnull=False)
                  .values_list("branch__code", flat=True))
    assert started == {"jyp", "mks"}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    campaigns.campaigns_tick(now=due["bdg"])
    assert CampaignBranch.objects.filter(campaign=campaign, send__isnull=False).count() == 4  # head office too
    assert Message.objects.filter(send__campaign_run__campaign=campaign).count() == 3


def test_pause_resume_and_cancel_map_onto_the_sends(marketing_a, manager_a, branch_a, audience):
    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a))
    campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    campaigns.campaigns_tick()
    send = CampaignBranch.objects.get(campaign=campaign).send
    campaigns.campaign_pause(campaign=campaign, by=manager_a)
    send.refresh_from_db()
    assert send.status == Send.Status.PAUSED
    campaigns.campaign_resume(campaign=campaign, by=manager_a)
    send.refresh_from_db()
    assert send.status == Send.Status.RUNNING
    campaigns.campaign_cancel(campaign=campaign, by=manager_a)
    send.refresh_from_db()
    assert send.status == Send.Status.CANCELLED
    assert set(Message.objects.filter(send=send).values_list("status", flat=True)) == {"cancelled"}
    assert _counts([send.pk]) == {"cancelled": 20}


def test_a_paused_scheduled_campaign_does_not_start(marketing_a, manager_a, branch_a, audience):
    later = timezone.localtime() + dt.timedelta(hours=1)
    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a), send_at_local=later)
    campaigns.campaign_pause(campaign=campaign, by=manager_a)
    assert campaigns.campaigns_tick(now=timezone.now() + dt.timedelta(hours=3))["started"] == 0
    campaigns.campaign_resume(campaign=campaign, by=manager_a)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SCHEDULED
    assert campaigns.campaigns_tick(now=timezone.now() + dt.timedelta(hours=3))["started"] == 1


# --- hold-out ------------------------------------------------------------------------------------
def test_the_holdout_is_deterministic_excluded_and_counted(marketing_a, manager_a, branch_a, audience):
    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a), holdout_percent=30)
    consenting = [c for c in audience[:20]]
    expected = {c.pk for c in consenting if campaigns.holdout_bucket(campaign, c.pk) < 30}
    assert 0 < len(expected) < 20  # this split of 20 customers has both groups
    # The database computes the very same buckets.
    with connection.cursor() as cursor:
        sql = campaigns._BUCKET_SQL
        cursor.execute(f"SELECT c.id, {sql} FROM crm_customer c WHERE c.id = ANY(%s)",
                       [str(campaign.public_id), [c.pk for c in consenting]])
        assert {pk: b for pk, b in cursor.fetchall()} == {c.pk: campaigns.holdout_bucket(campaign, c.pk)
                                                          for c in consenting}
    campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    campaigns.campaigns_tick()
    held = set(CampaignHoldout.objects.filter(campaign=campaign).values_list("customer_id", flat=True))
    assert held == expected  # the two without consent are never in it
    sent_to = set(Message.objects.filter(send__campaign_run__campaign=campaign).values_list("customer_id", flat=True))
    assert sent_to == {c.pk for c in consenting} - expected
    progress = campaigns.campaign_progress(campaign)
    assert progress["holdout"] == len(expected) and progress["total"] == 20 - len(expected)


# --- counters and statistics -------------------------------------------------------------------
def test_the_counters_follow_every_status_change(marketing_a, manager_a, branch_a, audience):
    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a))
    campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    campaigns.campaigns_tick()
    send = CampaignBranch.objects.get(campaign=campaign).send
    ids = list(Message.objects.filter(send=send).order_by("id").values_list("id", flat=True))
    Message.objects.filter(pk__in=ids[:8]).update(status="sending")
    Message.objects.filter(pk__in=ids[:5]).update(status="delivered")
    Message.objects.filter(pk__in=ids[5:7]).update(status="undelivered", error_code="30003")
    Message.objects.filter(pk__in=ids[7:8]).update(status="failed", error_code="21211")
    Message.objects.filter(pk__in=ids[:3]).update(body="same status: no change")
    Message.objects.filter(pk=ids[-1]).delete()
    actual = dict(Message.objects.filter(send=send).values_list("status").order_by().annotate(
        n=__import__("django.db.models", fromlist=["Count"]).Count("id")).values_list("status", "n"))
    assert _counts([send.pk]) == actual == {"delivered": 5, "undelivered": 2, "failed": 1, "queued": 11}
    assert _counts([send.pk], codes=True) == {"30003": 2, "21211": 1}
    Message.objects.filter(pk=ids[5]).update(error_code="30005")  # a code corrected, same status
    Message.objects.filter(pk=ids[7]).delete()
    assert _counts([send.pk], codes=True) == {"30003": 1, "30005": 1}
    assert campaigns.campaign_progress(campaign)["failures"] == [["30003", 1], ["30005", 1]]


def test_the_statistics_of_a_known_set_of_messages(marketing_a, manager_a, branch_a, audience, sales_a):
    from sales.models import Lead
    from tests.sales.factories import LeadFactory

    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a), holdout_percent=30,
                         cost_idr=100_000)
    campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    campaigns.campaigns_tick()
    send = CampaignBranch.objects.get(campaign=campaign).send
    messages = list(Message.objects.filter(send=send).order_by("id"))
    n = len(messages)
    ids = [m.pk for m in messages]
    Message.objects.filter(pk__in=ids[:n - 3]).update(status="delivered", segments=2, sent_at=timezone.now())
    Message.objects.filter(pk__in=ids[n - 3:n - 1]).update(status="undelivered", error_code="30003", segments=1)
    Message.objects.filter(pk__in=ids[n - 1:]).update(status="failed", error_code="21211")
    # One recipient opts out by the link; one recipient and one held-out customer become leads.
    Customer.objects.filter(pk=messages[0].customer_id).update(
        sms_consent=False, sms_consent_source="link", sms_consent_at=timezone.now())
    held = CampaignHoldout.objects.filter(campaign=campaign).first()
    for customer_id in (messages[1].customer_id, held.customer_id):
        lead = LeadFactory(branch=branch_a)
        Lead.objects.filter(pk=lead.pk).update(customer_id=customer_id)
    # And one recipient orders (the ROI's revenue): an order of 1,110,000 (1,000,000 + 11% tax).
    from sales.models import SalesOrder
    from tests.sales.factories_orders import SalesOrderFactory, ensure_tax_rates

    ensure_tax_rates()
    order = SalesOrderFactory(branch=branch_a)
    SalesOrder.objects.filter(pk=order.pk).update(customer_id=messages[2].customer_id)
    order.refresh_from_db()
    assert campaigns.campaigns_finish() == 0  # the send is still running
    send.status = Send.Status.DONE
    send.save()
    assert campaigns.campaigns_finish() == 1
    campaign.refresh_from_db()
    stats = campaign.stats
    holdout_n = CampaignHoldout.objects.filter(campaign=campaign).count()
    assert campaign.status == Campaign.Status.DONE and campaign.finished_at
    assert stats["by_status"] == {"delivered": n - 3, "undelivered": 2, "failed": 1}
    assert stats["delivered"] == n - 3 and stats["reached"] == n - 3
    assert stats["delivery_rate"] == round(100 * (n - 3) / n, 1)
    assert stats["failures"] == [["30003", 2], ["21211", 1]]
    assert stats["segments"] == 2 * (n - 3) + 2
    assert stats["optouts"] == 1 and stats["replies"] == 0 and stats["holdout"] == holdout_n
    leads = next(c for c in stats["conversions"] if c["key"] == "sales.lead")
    assert (leads["recipients"], leads["holdout"]) == (1, 1)
    assert leads["rate"] == round(100 / (n - 3), 2) and leads["holdout_rate"] == round(100 / holdout_n, 2)
    assert leads["lift"] == round(leads["rate"] - leads["holdout_rate"], 2)
    assert stats["cost"] == "100000" and stats["cost_per_conversion"] == "50000"  # a lead and an order
    assert stats["revenue"] == str(order.total)
    assert stats["roi"] == round(float((order.total - 100_000) / 100_000) * 100, 1)
    assert stats["incremental_revenue"] == str(order.total)  # the hold-out bought nothing
    orders = next(c for c in stats["conversions"] if c["key"] == "sales.order")
    assert (orders["recipients"], orders["holdout"]) == (1, 0)
    assert not campaign.stats_final
    campaigns.campaigns_tick(now=campaign.started_at + dt.timedelta(days=campaign.conversion_days, minutes=1))
    campaign.refresh_from_db()
    assert campaign.stats_final


def test_the_csv_rows_list_every_recipient_and_the_holdout(marketing_a, manager_a, branch_a, audience):
    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a), holdout_percent=30)
    campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    campaigns.campaigns_tick()
    rows = list(campaigns.campaign_recipients_rows(campaign))
    assert len(rows) == 20
    assert sum(1 for r in rows if r[4] == "holdout") == CampaignHoldout.objects.filter(campaign=campaign).count()


def test_the_campaign_factory_makes_a_draft(branch_a):
    campaign = CampaignFactory(branch=branch_a)
    assert campaign.status == Campaign.Status.DRAFT and campaign.segment.branch == branch_a


def test_the_demo_step_makes_segments_and_a_finished_campaign_once(branch_a, marketing_a):
    from crm.registry import DemoContext, demo_steps
    from marketing import campaign_demo

    people = [CustomerFactory(branch=branch_a) for _ in range(25)]
    assert demo_steps.get("campaigns").run is campaign_demo.run
    context = DemoContext(customers=25, branches=[branch_a], staff={(branch_a.code, "marketing"): marketing_a})
    campaign_demo.run(context)
    campaign_demo.run(context)  # again: nothing more
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.DONE and campaign.segment.branch == branch_a
    held = CampaignHoldout.objects.filter(campaign=campaign).count()
    assert held == 2 and campaign.stats["total"] == len(people) - held
    assert campaign.stats["by_status"]["delivered"] > 0 and campaign.stats["failures"]
    assert _counts([campaign.branch_runs.get().send_id]) == campaign.stats["by_status"]


def test_an_email_campaign_needs_a_subject_and_sends_to_addresses(marketing_a, manager_a, branch_a):
    people = [CustomerFactory(branch=branch_a) for _ in range(3)]
    Customer.objects.filter(pk__in=[c.pk for c in people[:2]]).update(email_consent=True)
    segment = SegmentFactory(branch=branch_a, definition={"groups": [[{"key": "city", "value": "Bandung"}]]})
    with pytest.raises(ValidationError) as exc:
        campaigns.campaign_save(campaign=Campaign(name="Surel", segment=segment, channel="email", body="Halo"),
                                by=marketing_a)
    assert "subject" in exc.value.message_dict
    campaign = campaigns.campaign_save(campaign=Campaign(name="Surel", segment=segment, channel="email",
                                                         subject="Promo {{ first_name }}", body="Halo"),
                                       by=marketing_a)
    campaigns.campaign_submit(campaign=campaign, by=marketing_a)
    campaigns.campaign_approve(campaign=campaign, by=manager_a)
    campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    campaigns.campaigns_tick()
    send = CampaignBranch.objects.get(campaign=campaign).send
    assert send.channel == "email" and send.recipients == 2 and send.skipped == {"no_consent": 1}
    assert set(Message.objects.filter(send=send).values_list("to", flat=True)) == {p.email for p in people[:2]}


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_start_each_branch_once(branch_a, monkeypatch):
    author = UserFactory(branch=branch_a, department=Department.MARKETING)
    approver = UserFactory(branch=branch_a, department=Department.BRANCH_MANAGEMENT)
    people = [CustomerFactory(branch=branch_a) for _ in range(10)]
    Customer.objects.filter(pk__in=[c.pk for c in people]).update(sms_consent=True)
    campaign = _approved(author, approver, SegmentFactory(branch=branch_a), holdout_percent=20)
    monkeypatch.setattr(campaigns, "_tick_on_commit", lambda: None)  # no broker here: the threads are the ticks
    campaigns.campaign_send_now(campaign=campaign, by=approver)
    barrier = threading.Barrier(4)
    started = []

    def tick():
        try:
            barrier.wait()
            started.append(campaigns.campaigns_tick()["started"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(started) == [0, 0, 0, 1]
    assert Send.objects.count() == 1
    held = CampaignHoldout.objects.filter(campaign=campaign).count()
    assert Message.objects.count() == 10 - held


def test_the_beat_tick_starts_each_branch_in_its_own_task(marketing_a, manager_a, branch_a, audience, monkeypatch):
    from marketing import tasks

    campaign = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a))
    campaigns.campaign_send_now(campaign=campaign, by=manager_a)
    run = CampaignBranch.objects.get(campaign=campaign)
    enqueued = []
    monkeypatch.setattr(tasks.campaign_branch_start_task, "apply_async",
                        lambda args, **kwargs: enqueued.append(args))
    assert campaigns.campaigns_tick(fan_out=True)["started"] == 0
    assert enqueued == [(run.pk,)] and not Send.objects.exists()
    assert tasks.campaign_branch_start_task(run.pk) == CampaignBranch.objects.get(pk=run.pk).send_id
    assert tasks.campaign_branch_start_task(run.pk) is None  # delivered twice: started once

    def broker_down(args, **kwargs):
        raise ConnectionError("broker down")

    other = _approved(marketing_a, manager_a, SegmentFactory(branch=branch_a))
    campaigns.campaign_send_now(campaign=other, by=manager_a)
    monkeypatch.setattr(tasks.campaign_branch_start_task, "apply_async", broker_down)
    assert campaigns.campaigns_tick(fan_out=True)["started"] == 1  # started here instead
