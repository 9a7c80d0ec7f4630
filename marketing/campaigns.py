"""Campaigns (issue 12): a message to a segment, approved, then sent through the pipeline.

    draft → submitted → approved → scheduled / sending → done;  paused, cancelled on the way

A campaign never sends anything itself. When a branch's time comes, ``campaigns_tick`` (beat,
every CAMPAIGNS_TICK_SECONDS) gives it ONE ``send_create`` of the segment's customers of that
branch, minus the hold-out: exactly once per (campaign, branch) through the send's idempotency
key and a row lock. Consent, quiet hours, opt-out links, retries and receipts are the
pipeline's (marketing.services). Pause, resume and cancel map onto those sends.

Progress comes from ``SendCounter`` rows that database triggers keep as messages change status
(migration 0010): never a count over all messages per poll. The statistics of a finished
campaign are aggregated once and stored in ``Campaign.stats`` (and once more when its
conversion window has closed).

The hold-out: each customer's bucket is ``md5("<campaign public id>:<customer id>")`` → 0..99,
the same in SQL and Python; those under ``holdout_percent`` who could have been sent to (consent
and an address) are written to ``CampaignHoldout`` when the branch's send starts. Stored rather
than recomputed: a segment is live, so the same formula later would give a different group.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import get_for_user_or_404
from accounts.models import Branch
from crm.models import Customer, Interaction
from crm.public import PUBLIC_CODE_LENGTH
from crm.registry import conversion_sources

from . import backends, services
from .models import Campaign, CampaignBranch, CampaignHoldout, Message, Send, SendCounter
from .segments import definition_compile, segment_customers
from .text import PLACEHOLDERS, check_template, compile_template, render, sms_length

log = logging.getLogger(__name__)

NOTIFY_SUBMITTED = "marketing.campaign_submitted"
NOTIFY_APPROVED = "marketing.campaign_approved"
FINAL = ("sent", "delivered", "undelivered", "failed", "cancelled", "unresolved")  # past the queue
REACHED = ("sent", "delivered")
STATUS_LABELS = dict(Message.Status.choices)
SKIPPED_LABELS = {
    services.Skipped.NO_CONSENT: gettext_lazy("no consent"),
    services.Skipped.OPTED_OUT: gettext_lazy("opted out"),
    services.Skipped.NOT_MOBILE: gettext_lazy("no mobile number"),
    services.Skipped.NO_EMAIL: gettext_lazy("no email address"),
}


def campaign_get_for_user(user, campaign_id, *, write: bool = False, perm: str | None = None) -> Campaign:
    """The campaign if ``user`` may see it (404 otherwise, another branch's whatever the role),
    then 403 without ``perm`` (or the change permission with ``write``)."""
    return get_for_user_or_404(Campaign.objects.select_related("segment", "created_by", "approved_by"), user,
                               write_perm="marketing.change_campaign" if write else perm, public_id=campaign_id)


def campaigns_for_user(user):
    return Campaign.objects.visible_to(user).select_related("segment").order_by("-id")


# --- the hold-out --------------------------------------------------------------------------------
def holdout_bucket(campaign: Campaign, customer_id: int) -> int:
    """0..99, the same as ``_BUCKET_SQL`` in the database."""
    digest = hashlib.md5(f"{campaign.public_id}:{customer_id}".encode()).hexdigest()
    return int(digest[:7], 16) % 100


_BUCKET_SQL = "(('x' || substr(md5(%s || ':' || c.id::text), 1, 7))::bit(28)::int %% 100)"


# --- text --------------------------------------------------------------------------------------
def campaign_texts_check(*, channel: str, body: str, body_en: str, subject: str, subject_en: str) -> dict:
    """Field errors of the texts: unknown placeholders, template tags, an email without a subject."""
    errors = {}
    for name, text in (("body", body), ("body_en", body_en), ("subject", subject), ("subject_en", subject_en)):
        if text:
            try:
                check_template(text)
            except ValidationError as exc:
                errors[name] = exc.messages
    if channel == Send.Channel.EMAIL and not subject:
        errors["subject"] = [_("An email needs a subject.")]
    return errors


def campaign_preview(campaign: Campaign, customer: Customer | None) -> dict:
    """The message as ``customer`` gets it (sample values without one), its SMS length and
    the cost estimate of the whole campaign at the segment's current size."""
    language = customer.language if customer and campaign.body_en and customer.language == "en" else \
        settings.LANGUAGE_CODE
    body = campaign.body_en if language == "en" else campaign.body
    subject = (campaign.subject_en or campaign.subject) if language == "en" else campaign.subject
    values = services._values(customer, None, language=language) if customer else dict(PLACEHOLDERS)
    text = render(compile_template(body), values) if body else ""
    subject_text = render(compile_template(subject), values) if subject else ""
    length = None
    if campaign.channel == Send.Channel.SMS:
        # Marketing SMS carry the opt-out link: count it in, at its real length.
        text += services.optout_suffix("x" * PUBLIC_CODE_LENGTH, language)
        length = sms_length(text)
    return {"text": text, "subject": subject_text, "language": language, "length": length}


def cost_estimate(*, campaign: Campaign, count: int, length) -> dict:
    """At most: everyone of the segment but the hold-out, each as long as the preview."""
    recipients = count - count * campaign.holdout_percent // 100
    segments = recipients * (length.segments if length else 0)
    return {"recipients": recipients, "segments": segments,
            "cost": Decimal(segments * settings.SMS_COST_PER_SEGMENT_IDR)}


# --- writes ------------------------------------------------------------------------------------
def _branches_of(campaign: Campaign) -> list[Branch]:
    if campaign.segment.branch_id:
        return [campaign.segment.branch]
    return list(Branch.objects.order_by("id"))


def wall_clock(when: dt.datetime) -> dt.datetime:
    """``send_at_local`` is a wall-clock time kept in the server's zone: that time, naive."""
    return timezone.localtime(when).replace(tzinfo=None) if timezone.is_aware(when) else when


def schedule_check(campaign: Campaign, when: dt.datetime | None) -> None:
    """A local send time already past in one of the campaign's branch zones is refused."""
    if when is None:
        return
    naive = wall_clock(when)
    now = timezone.now()
    zones = {b.time_zone for b in _branches_of(campaign)} or {settings.TIME_ZONE}
    late = sorted(z for z in zones if timezone.make_aware(naive, zoneinfo.ZoneInfo(z)) <= now)
    if late:
        raise ValidationError({"send_at_local": _("That time has already passed (in %(zones)s). Choose a later one.")
                               % {"zones": ", ".join(late)}})


def campaign_save(*, campaign: Campaign, by) -> Campaign:
    """Create or change a campaign; only a draft or a campaign waiting for approval can be
    changed (a change sends it back to draft: it must be approved as it will go out)."""
    if campaign.pk:
        current = Campaign.objects.only("status").get(pk=campaign.pk)
        if current.status not in (Campaign.Status.DRAFT, Campaign.Status.SUBMITTED):
            raise ValidationError(_("This campaign is %(status)s: it can no longer be changed.")
                                  % {"status": current.get_status_display()}, code="not_editable")
    errors = campaign_texts_check(channel=campaign.channel, body=campaign.body, body_en=campaign.body_en,
                                  subject=campaign.subject, subject_en=campaign.subject_en)
    if errors:
        raise ValidationError(errors)
    schedule_check(campaign, campaign.send_at_local)
    if campaign.pk is None:
        campaign.created_by = by
        campaign.branch = campaign.segment.branch
    campaign.status = Campaign.Status.DRAFT
    campaign.submitted_at = None
    campaign.save()
    return campaign


def campaign_submit(*, campaign: Campaign, by) -> Campaign:
    from accounts.models import User
    from accounts.services import notification_send

    if not Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.SUBMITTED, submitted_at=timezone.now()):
        raise ValidationError(_("Only a draft can be submitted for approval."), code="state")
    campaign.refresh_from_db()
    approvers = User.objects.filter(is_active=True).filter(
        Q(groups__permissions__codename="approve_campaign") | Q(user_permissions__codename="approve_campaign"))
    approvers = approvers.filter(Q(branch=campaign.branch) if campaign.branch_id else Q(branch__is_head_office=True))
    notification_send(to=list(approvers.exclude(pk=by.pk).distinct()[:20]), verb=NOTIFY_SUBMITTED,
                      target=campaign, by=by)
    return campaign


def campaign_approve(*, campaign: Campaign, by) -> Campaign:
    """One conditional UPDATE: of two approvals at once exactly one wins; the author never
    approves their own campaign. A scheduled campaign gets its branch runs at once."""
    from accounts.services import notification_send

    if campaign.created_by_id == by.pk:
        raise ValidationError(_("You wrote this campaign: another manager must approve it."), code="self")
    with transaction.atomic():
        won = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SUBMITTED) \
            .exclude(created_by=by).update(status=Campaign.Status.APPROVED, approved_by=by,
                                           approved_at=timezone.now(), updated_at=timezone.now())
        if not won:
            campaign.refresh_from_db()
            raise ValidationError(_("This campaign is %(status)s: only a campaign waiting for approval can be "
                                    "approved.") % {"status": campaign.get_status_display()}, code="state")
        campaign.refresh_from_db()
        if campaign.send_at_local:
            _runs_create(campaign, campaign.send_at_local)
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SCHEDULED)
            campaign.status = Campaign.Status.SCHEDULED
    notification_send(to=campaign.created_by, verb=NOTIFY_APPROVED, target=campaign, by=by)
    return campaign


def campaign_send_now(*, campaign: Campaign, by) -> Campaign:
    """An approved campaign without a time: every branch is due now; the tick starts it at once."""
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.APPROVED).update(
                status=Campaign.Status.SENDING, started_at=timezone.now()):
            campaign.refresh_from_db()
            raise ValidationError(_("This campaign is %(status)s: only an approved campaign can be sent.")
                                  % {"status": campaign.get_status_display()}, code="state")
        campaign.refresh_from_db()
        _runs_create(campaign, None)
        _tick_on_commit()
    return campaign


def _runs_create(campaign: Campaign, local: dt.datetime | None) -> None:
    now = timezone.now()
    runs = []
    for branch in _branches_of(campaign):
        due = now if local is None else timezone.make_aware(wall_clock(local), zoneinfo.ZoneInfo(branch.time_zone))
        runs.append(CampaignBranch(campaign=campaign, branch=branch, due_at=due))
    CampaignBranch.objects.bulk_create(runs, ignore_conflicts=True)


def _tick_on_commit() -> None:
    from .tasks import campaigns_tick_task

    def enqueue():
        try:
            campaigns_tick_task.delay()
        except Exception:  # broker down: the beat entry starts it
            log.warning("Could not enqueue the campaigns tick; beat will", exc_info=True)

    transaction.on_commit(enqueue)


def _sends_of(campaign: Campaign) -> list[Send]:
    return list(Send.objects.filter(campaign_run__campaign=campaign))


def campaign_pause(*, campaign: Campaign, by) -> Campaign:
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status__in=[Campaign.Status.SENDING,
                                                                   Campaign.Status.SCHEDULED]) \
                .update(status=Campaign.Status.PAUSED):
            raise ValidationError(_("Only a scheduled or sending campaign can be paused."), code="state")
        for send in _sends_of(campaign):
            services.send_pause(send=send)
    campaign.refresh_from_db()
    return campaign


def campaign_resume(*, campaign: Campaign, by) -> Campaign:
    with transaction.atomic():
        started = CampaignBranch.objects.filter(campaign=campaign, send__isnull=False).exists()
        if not Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.PAUSED).update(
                status=Campaign.Status.SENDING if started else Campaign.Status.SCHEDULED):
            raise ValidationError(_("Only a paused campaign can be resumed."), code="state")
        for send in _sends_of(campaign):
            services.send_resume(send=send)
        _tick_on_commit()
    campaign.refresh_from_db()
    return campaign


def campaign_cancel(*, campaign: Campaign, by) -> Campaign:
    """Branches not started never start; messages not yet requested are cancelled."""
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk).exclude(
                status__in=[Campaign.Status.DONE, Campaign.Status.CANCELLED]).update(
                status=Campaign.Status.CANCELLED, finished_at=timezone.now()):
            raise ValidationError(_("This campaign has already ended."), code="state")
        for send in _sends_of(campaign):
            services.send_cancel(send=send)
    campaign.refresh_from_db()
    return campaign


def campaign_test_send(*, campaign: Campaign, by) -> str:
    """The message to the author's own phone (SMS) or address (email), rendered with sample
    values. Not a customer message, so it does not go through a Send (whose rows are
    customers'); it goes through the same provider adapter, once per 30 s per person."""
    to = by.phone if campaign.channel == Send.Channel.SMS else by.email
    if not to:
        raise ValidationError(_("Your profile has no phone number: add one to receive a test SMS."), code="no_phone")
    if not cache.add(f"campaign-test:{campaign.pk}:{by.pk}", 1, timeout=30):
        raise ValidationError(_("A test was sent less than 30 seconds ago."), code="too_soon")
    preview = campaign_preview(campaign, None)
    with translation.override(preview["language"]):
        if campaign.channel == Send.Channel.SMS:
            backends.get_sms_backend().send_sms(to=to, body=preview["text"])
        else:
            backends.send_email(to=to, subject="[TEST] " + preview["subject"], body=preview["text"])
    return to


# --- the beat task -----------------------------------------------------------------------------
def campaigns_tick(now: dt.datetime | None = None, *, fan_out: bool = False) -> dict:
    """Start every branch run that is due, finish campaigns whose sends are done, and store
    their statistics. Safe to run twice at once: each run is taken under SKIP LOCKED and
    its send has an idempotency key.

    ``fan_out`` (the beat task): each due branch starts in its own task, so a campaign to a
    million customers fills its branches' queues in parallel on several worker threads
    instead of one after the other; a run whose task is lost is simply due at the next tick."""
    from .tasks import campaign_branch_start_task

    now = now or timezone.now()
    started = 0
    due = list(CampaignBranch.objects.filter(
        send__isnull=True, due_at__lte=now,
        campaign__status__in=[Campaign.Status.SCHEDULED, Campaign.Status.SENDING]).values_list("pk", flat=True))
    for run_id in due:
        if fan_out:
            try:
                campaign_branch_start_task.apply_async((run_id,), expires=settings.CAMPAIGNS_TICK_SECONDS * 10)
                continue
            except Exception:  # broker down: start it here
                log.warning("Could not enqueue the start of campaign run %s; starting it inline", run_id)
        started += bool(branch_run_start(run_id=run_id))
    # Statistics take a while at a million messages: one tick at a time aggregates them
    # (ticks queued during an outage, or a second beat, skip this part).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [STATS_LOCK])
        if not cursor.fetchone()[0]:
            return {"started": started, "finished": 0, "final": 0}
    try:
        finished = campaigns_finish()
        final = 0
        for campaign in Campaign.objects.filter(status=Campaign.Status.DONE, stats_final=False):
            if campaign.started_at and now >= campaign.started_at + dt.timedelta(days=campaign.conversion_days):
                campaign_stats_store(campaign=campaign, final=True)
                final += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [STATS_LOCK])
    return {"started": started, "finished": finished, "final": final}


STATS_LOCK = 0x43414D50  # "CAMP": one campaigns statistics pass at a time


def branch_run_start(*, run_id: int) -> Send | None:
    """One branch's send: the hold-out recorded, the rest handed to ``send_create``, in one
    transaction (a crash leaves neither). None when another tick has it or it is done."""
    with transaction.atomic():
        run = CampaignBranch.objects.select_for_update(skip_locked=True, of=("self",)) \
            .select_related("campaign__segment__branch", "campaign__created_by", "branch") \
            .filter(pk=run_id, send__isnull=True).first()
        if run is None:
            return None
        campaign = run.campaign
        if campaign.status not in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING):
            return None
        audience = segment_customers(campaign.segment).filter(branch=run.branch)
        if campaign.holdout_percent:
            run.holdout = _holdout_record(campaign, audience)
        held = CampaignHoldout.objects.filter(campaign=campaign, customer=OuterRef("pk"))
        send = services.send_create(
            idempotency_key=f"campaign:{campaign.public_id}:{run.branch_id}", channel=campaign.channel,
            name=f"{campaign.name} · {run.branch.name}"[:200], body=campaign.body, body_en=campaign.body_en,
            subject=campaign.subject, subject_en=campaign.subject_en,
            customers=audience.exclude(Exists(held)), by=campaign.created_by, purpose=Send.Purpose.MARKETING,
            department="marketing")
        run.send, run.started_at = send, timezone.now()
        run.save(update_fields=["send", "started_at", "holdout"])
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(
            status=Campaign.Status.SENDING)
        Campaign.objects.filter(pk=campaign.pk, started_at__isnull=True).update(started_at=run.started_at)
    return send


def _holdout_record(campaign: Campaign, audience) -> int:
    channel = campaign.channel
    address = "phone" if channel == Send.Channel.SMS else "email"
    # Only customers the send could have reached make a fair comparison group.
    eligible = audience.filter(**{f"{channel}_consent": True}).exclude(**{address: ""}).order_by().values("id")
    ids_sql, params = eligible.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO marketing_campaignholdout (campaign_id, customer_id) "
            f"SELECT %s, c.id FROM crm_customer c WHERE c.id IN ({ids_sql}) AND {_BUCKET_SQL} < %s "
            f"ON CONFLICT DO NOTHING",
            [campaign.pk, *params, str(campaign.public_id), campaign.holdout_percent])
        return cursor.rowcount


def campaigns_finish() -> int:
    """Sending campaigns whose every branch has started and whose sends are all over."""
    runs = CampaignBranch.objects.filter(campaign=OuterRef("pk"))
    not_started = runs.filter(send__isnull=True)
    running = runs.filter(send__status__in=[Send.Status.PREPARING, Send.Status.RUNNING, Send.Status.PAUSED])
    done = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.SENDING).filter(
            Exists(runs), ~Exists(not_started), ~Exists(running)):
        if Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
                status=Campaign.Status.DONE, finished_at=timezone.now()):
            campaign.status = Campaign.Status.DONE
            campaign_stats_store(campaign=campaign, final=False)
            done += 1
    return done


def to_approve_card(user) -> list:
    """The home card of a manager: campaigns of their branches waiting for their approval
    (not their own), oldest first. One query."""
    return list(Campaign.objects.visible_to(user).filter(status=Campaign.Status.SUBMITTED)
                .exclude(created_by=user).select_related("segment").order_by("submitted_at", "id")[:5])


# --- progress and statistics -------------------------------------------------------------------
def campaign_progress(campaign: Campaign) -> dict:
    """For the progress bar: two queries (the branch runs with their sends, the counters)."""
    runs = list(CampaignBranch.objects.filter(campaign=campaign).select_related("branch", "send")
                .order_by("branch__name"))
    counted = dict(SendCounter.objects.filter(send__campaign_run__campaign=campaign)
                   .values_list("status").annotate(total=Sum("n")).values_list("status", "total"))
    by_status = {k: v for k, v in counted.items() if v and not k.startswith("code:")}
    # Failed and undelivered messages by Twilio error code, from the same counter rows.
    failures = sorted(([k[5:] or "—", v] for k, v in counted.items() if v and k.startswith("code:")),
                      key=lambda item: (-item[1], item[0]))
    total = sum(r.send.recipients for r in runs if r.send)
    past = sum(by_status.get(s, 0) for s in FINAL)
    attempted = sum(by_status.get(s, 0) for s in ("sent", "delivered", "undelivered", "failed"))
    skipped: dict[str, int] = {}
    for run in runs:
        for reason, n in (run.send.skipped if run.send else {}).items():
            skipped[reason] = skipped.get(reason, 0) + n
    return {
        "runs": runs, "by_status": by_status, "total": total, "past": past, "failures": failures[:20],
        "statuses": [(STATUS_LABELS.get(k, k), n) for k, n in sorted(by_status.items())],
        "skipped_labelled": [(SKIPPED_LABELS.get(k, k), n) for k, n in sorted(skipped.items())],
        "percent": int(100 * past / total) if total else (100 if runs and all(r.send for r in runs) else 0),
        "delivered": by_status.get("delivered", 0),
        "delivery_rate": round(100 * by_status.get("delivered", 0) / attempted, 1) if attempted else None,
        "holdout": sum(r.holdout for r in runs), "skipped": skipped,
        "started": sum(1 for r in runs if r.send_id), "branches": len(runs),
    }


def campaign_stats(campaign: Campaign) -> dict:
    """Everything the statistics show, aggregated now (a few queries over the campaign's
    messages, its hold-out and the conversion sources); stored by ``campaign_stats_store``."""
    progress = campaign_progress(campaign)
    send_ids = [r.send_id for r in progress["runs"] if r.send_id]
    messages = Message.objects.filter(send_id__in=send_ids)
    segments = messages.aggregate(n=Sum("segments"))["n"] or 0
    reached = messages.filter(status__in=REACHED).values("customer_id")
    since = campaign.started_at or timezone.now()
    until = since + dt.timedelta(days=campaign.conversion_days)
    replies = Interaction.objects.filter(direction=Interaction.Direction.INBOUND, occurred_at__gte=since,
                                         channel=campaign.channel, customer_id__in=reached).count()
    channel = campaign.channel
    optouts = Customer.objects.filter(**{f"{channel}_consent": False, f"{channel}_consent_at__gte": since,
                                         f"{channel}_consent_source__in": list(services.OPT_OUT_SOURCES)},
                                      id__in=reached).count()
    reached_n = sum(progress["by_status"].get(s, 0) for s in REACHED)
    holdout_ids = CampaignHoldout.objects.filter(campaign=campaign).values("customer_id")
    holdout_n = progress["holdout"]
    conversions = []
    for source in conversion_sources:
        converted = source.customers(since, until)
        got = Customer.objects.filter(id__in=reached).filter(id__in=converted).count()
        held = Customer.objects.filter(id__in=holdout_ids).filter(id__in=converted).count() if holdout_n else 0
        rate = round(100 * got / reached_n, 2) if reached_n else None
        held_rate = round(100 * held / holdout_n, 2) if holdout_n else None
        conversions.append({"key": source.key, "label": str(source.label), "recipients": got, "rate": rate,
                            "holdout": held, "holdout_rate": held_rate,
                            "lift": round(rate - held_rate, 2) if rate is not None and held_rate is not None
                            else None})
    total_conversions = sum(c["recipients"] for c in conversions)
    cost = campaign.cost_idr if campaign.cost_idr is not None else \
        Decimal(segments * settings.SMS_COST_PER_SEGMENT_IDR if channel == Send.Channel.SMS else 0)
    # Revenue of the recipients' records in the window (an order's total), for the ROI; the
    # hold-out's, scaled to the recipients' number, is what they would have bought anyway.
    revenue = Decimal(sum(Decimal(s.revenue(since, until, reached)) for s in conversion_sources if s.revenue))
    held_revenue = Decimal(sum(Decimal(s.revenue(since, until, holdout_ids)) for s in conversion_sources
                               if s.revenue)) if holdout_n else None
    incremental = revenue - held_revenue * reached_n / holdout_n if held_revenue is not None else None
    return {
        "by_status": progress["by_status"], "total": progress["total"], "delivered": progress["delivered"],
        "delivery_rate": progress["delivery_rate"], "skipped": progress["skipped"], "holdout": holdout_n,
        "reached": reached_n, "failures": progress["failures"],
        "segments": segments, "replies": replies, "optouts": optouts, "conversions": conversions,
        "cost": str(cost), "cost_entered": campaign.cost_idr is not None,
        "revenue": str(revenue.quantize(Decimal("1"))),
        "roi": round(float((revenue - cost) / cost) * 100, 1) if cost else None,
        "incremental_revenue": str(incremental.quantize(Decimal("1"))) if incremental is not None else None,
        "cost_per_conversion": str((cost / total_conversions).quantize(Decimal("1"))) if total_conversions else None,
        "since": since.isoformat(), "until": until.isoformat(), "computed_at": timezone.now().isoformat(),
    }


def campaign_stats_store(*, campaign: Campaign, final: bool) -> dict:
    stats = campaign_stats(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(stats=stats, stats_final=final, updated_at=timezone.now())
    campaign.stats, campaign.stats_final = stats, final
    return stats


def campaign_recipients_rows(campaign: Campaign):
    """Per-recipient rows for the CSV, streamed: every message, then the hold-out."""
    send_ids = list(CampaignBranch.objects.filter(campaign=campaign, send__isnull=False)
                    .values_list("send_id", flat=True))
    yield from Message.objects.filter(send_id__in=send_ids).order_by("id").values_list(
        "customer__public_id", "customer__name", "customer__branch__name", "to", "status", "error_code",
        "segments", "sent_at").iterator(chunk_size=2000)
    for public_id, name, branch in CampaignHoldout.objects.filter(campaign=campaign).order_by("id").values_list(
            "customer__public_id", "customer__name", "customer__branch__name").iterator(chunk_size=2000):
        yield public_id, name, branch, "", "holdout", "", 0, None


def definition_ok(campaign: Campaign) -> bool:
    try:
        if campaign.segment.kind == campaign.segment.Kind.RULES:
            definition_compile(campaign.segment.definition)
        return True
    except ValidationError:
        return False
