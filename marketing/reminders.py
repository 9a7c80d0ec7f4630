"""Scheduled reminders: birthday greetings and vehicle due dates, as automated messages.

They live in marketing because they *are* messages: each goes out through the one pipeline
(``send_create``: consent, opt-out, quiet hours, the customer's language, exactly once per
(send, customer)), and lands on the customer's timeline when it is sent, like any other.

How "exactly once, never skipped" holds:

* A tick (every few minutes, from a django-celery-beat entry stored in the database) looks,
  for each active rule and each branch it covers, at the branch-local days from
  ``REMINDER_CATCH_UP_DAYS`` ago to today whose local send time has passed.
* For one (rule, branch, day) it inserts one ``ReminderOccurrence`` per candidate with
  ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` (unique on rule, customer,
  vehicle, occasion date), and in the *same transaction* creates the sends for exactly the
  rows it inserted. A second beat or a repeated/retried tick inserts nothing and so sends
  nothing (it waits on the first one's uncommitted rows, then finds them); a run killed
  mid-way rolls back both the rows and the sends, so the next tick does the work.
* Sends: a birthday is one ``Send`` per (rule, branch, occasion, batch) with an idempotency
  key made from the batch's first occurrence id (one dispatch for thousands of greetings);
  a vehicle reminder is one send per occurrence (``message_send_one`` with the vehicle),
  because a send names one vehicle per customer and a customer may have two cars due the
  same day.

Catch-up, per kind (the run log counts what was skipped as "stale"):

* birthday: only on the day; a missed day is recorded as stale, never greeted late.
* vehicle dates (service, STNK, warranty, insurance): a missed day is still sent within
  the catch-up window, unless it is a "before" reminder whose date has already passed.
* days before the rule was created are never caught up.

A (rule, branch, day) whose send time falls inside SMS_QUIET_HOURS waits: nothing is
recorded until the quiet hours end (for a birthday that may mean it goes stale).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import traceback
import zoneinfo
from collections import Counter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Branch, User
from crm.models import Asset, Customer, Interaction

from .models import ReminderOccurrence, ReminderRule, ReminderRun, Send

log = logging.getLogger(__name__)

Kind = ReminderRule.Kind
Outcome = ReminderOccurrence.Outcome

# The vehicle date each vehicle kind looks at.
ASSET_FIELD = {
    Kind.SERVICE_DUE: "next_service_due",
    Kind.WARRANTY_END: "warranty_end",
    Kind.INSURANCE_END: "insurance_end",
    Kind.STNK_DUE: "stnk_due",
}


def registered_kind(rule: ReminderRule):
    """The ReminderKind another app registered for this rule's kind, or None for marketing's
    own (birthday, the vehicle dates)."""
    from crm.registry import reminder_kinds

    return None if rule.kind in Kind.values else reminder_kinds.get(rule.kind)


def placeholders_for(kind: str) -> dict[str, str]:
    """Placeholders a rule of ``kind`` may use beyond the customer's and vehicle's own."""
    from crm.registry import reminder_kinds

    registered = None if kind in Kind.values else reminder_kinds.get(kind)
    return dict(registered.placeholders) if registered else {}


TICK_LOCK = 0x52454D44  # "REMD": one tick at a time (the unique constraint is the guarantee)

NOTIFY_CALL = "marketing.reminder_call"
NOTIFY_RUN_FAILED = "marketing.reminder_run_failed"


# --- dates ---------------------------------------------------------------------------------
def occasion_for(rule: ReminderRule, day: dt.date) -> dt.date:
    """The date a reminder sent on ``day`` speaks of: ``lead_days`` after it."""
    return day + dt.timedelta(days=rule.lead_days)


def birthday_q(occasion: dt.date) -> Q:
    """Customers whose birthday falls on ``occasion``; 29 February birthdays on 28 February
    in other years. Written as month/day lookups so customer_birth_md_idx answers it."""
    q = Q(birth_date__month=occasion.month, birth_date__day=occasion.day)
    if occasion.month == 2 and occasion.day == 28 and not calendar.isleap(occasion.year):
        q |= Q(birth_date__month=2, birth_date__day=29)
    return q


def branch_today(branch: Branch, now: dt.datetime) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(branch.time_zone)).date()


def send_moment(rule: ReminderRule, branch: Branch, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, rule.send_time, tzinfo=zoneinfo.ZoneInfo(branch.time_zone))


def in_quiet_hours(branch: Branch, now: dt.datetime) -> bool:
    from .services import quiet_time_zones

    return branch.time_zone in quiet_time_zones(now)


def is_stale(rule: ReminderRule, day: dt.date, today: dt.date) -> bool:
    """Is a reminder due on ``day`` (before today) no longer worth sending today?"""
    if day >= today:
        return False
    if rule.kind == Kind.BIRTHDAY:
        return True  # a greeting days late is worse than none
    return rule.lead_days > 0 and occasion_for(rule, day) < today  # "before" a date already past


def rule_branches(rule: ReminderRule) -> list[Branch]:
    if rule.branch_id:
        return [rule.branch]
    return list(Branch.objects.order_by("id"))


# --- selection -------------------------------------------------------------------------------
def candidates(rule: ReminderRule, branch_id: int, occasion: dt.date):
    """The queryset of (customer_id, asset_id-or-customer) rows a rule selects for one branch
    and one occasion date: an index lookup (birth month/day, or the vehicle date), never a
    scan of the customer table."""
    if rule.kind == Kind.BIRTHDAY:
        return Customer.objects.filter(birthday_q(occasion), branch_id=branch_id, kind=Customer.Kind.PERSON)
    registered = registered_kind(rule)
    if registered is not None:  # values_list(customer id, record id)
        return registered.candidates(branch_id, occasion)
    field = ASSET_FIELD.get(rule.kind)
    if field is None:
        return Asset.objects.none()
    return Asset.objects.filter(**{field: occasion}, customer__branch_id=branch_id)


def _candidate_sql(rule: ReminderRule, branch_id: int, occasion: dt.date) -> tuple[str, list, bool]:
    """``SELECT customer_id, asset_id`` of the candidates, as SQL; False when there are none."""
    from django.core.exceptions import EmptyResultSet

    qs = candidates(rule, branch_id, occasion).order_by()
    if rule.kind == Kind.BIRTHDAY:
        qs = qs.values_list("id")
    elif registered_kind(rule) is None:
        qs = qs.values_list("customer_id", "id")
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return "", [], False
    return sql, list(params), True


def _insert_occurrences(rule, branch_id, occasion, day, run, *, stale: bool) -> list[tuple]:
    """Record every candidate not recorded yet; return the rows this call inserted:
    ``(id, customer_id, asset_id, outcome, subject_id)``. Rows another tick recorded first are not
    returned (ON CONFLICT DO NOTHING waits for that tick's transaction, then skips them)."""
    from .services import OPT_OUT_SOURCES

    sql, params, any_rows = _candidate_sql(rule, branch_id, occasion)
    if not any_rows:
        return []
    channel = rule.channel  # "sms" / "email": the consent columns of crm_customer
    if channel not in Send.Channel.values:  # it becomes part of the SQL text below
        raise ValueError(f"Unknown channel {channel!r}")
    birthday, registered = rule.kind == Kind.BIRTHDAY, registered_kind(rule) is not None
    asset = "NULL::bigint" if birthday or registered else "cand.asset_id"
    subject = "cand.subject_id" if registered else "NULL::bigint"
    columns = ("cand(customer_id)" if birthday else "cand(customer_id, subject_id)" if registered
               else "cand(customer_id, asset_id)")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO marketing_reminderoccurrence
                (rule_id, customer_id, asset_id, subject_id, occasion, due_on, outcome, run_id, created_at)
            SELECT %s, cand.customer_id, {asset}, {subject}, %s, %s,
                   CASE WHEN %s THEN 'stale'
                        WHEN c.{channel}_consent THEN 'queued'
                        WHEN c.{channel}_consent_source = ANY(%s) THEN 'opted_out'
                        WHEN %s THEN 'call_task'
                        ELSE 'no_consent' END,
                   %s, now()
            FROM ({sql}) AS {columns}
            JOIN crm_customer c ON c.id = cand.customer_id
            ON CONFLICT ON CONSTRAINT reminder_once_per_occasion DO NOTHING
            RETURNING id, customer_id, asset_id, outcome, subject_id
            """,
            [rule.pk, occasion, day, stale, list(OPT_OUT_SOURCES), rule.no_consent == ReminderRule.NoConsent.CALL,
             run.pk if run else None, *params],
        )
        return cursor.fetchall()


# --- acting on the rows inserted ---------------------------------------------------------------
def _send_texts(rule: ReminderRule) -> dict:
    return {"channel": rule.channel, "body": rule.body, "subject": rule.subject, "body_en": rule.body_en,
            "subject_en": rule.subject_en}


def _purpose(rule: ReminderRule) -> str:
    # A birthday greeting is marketing (opt-out link, quiet hours); a due date is a service message.
    return Send.Purpose.MARKETING if rule.kind == Kind.BIRTHDAY else Send.Purpose.TRANSACTIONAL


def _queue_bulk(rule: ReminderRule, branch_id: int, occasion: dt.date, ids: list[int]) -> int:
    """One send for these occurrences (one customer each). Its key comes from the rows, which
    no other tick can have inserted: the same rows again would be the same send."""
    from .services import send_create

    audience = Customer.objects.filter(pk__in=ReminderOccurrence.objects.filter(pk__in=ids).values("customer_id"))
    send = send_create(idempotency_key=f"reminder:{rule.pk}:{branch_id}:{occasion}:{min(ids)}",
                       name=f"{rule.name} {occasion:%d/%m/%Y}"[:200], customers=audience, by=None,
                       purpose=_purpose(rule), department="marketing", **_send_texts(rule))
    ReminderOccurrence.objects.filter(pk__in=ids).update(send=send)
    return send.recipients


def _queue(rule: ReminderRule, branch_id: int, occasion: dt.date, run, rows: list[tuple]) -> int:
    """Create the sends for the inserted rows with outcome "queued"; returns messages created."""
    from .services import send_create

    queued = [r for r in rows if r[3] == Outcome.QUEUED]
    if not queued:
        return 0
    created = 0
    if rule.kind == Kind.BIRTHDAY:
        return _queue_bulk(rule, branch_id, occasion, [r[0] for r in queued])
    registered = registered_kind(rule)
    if registered is not None:
        return _queue_records(rule, registered, occasion, queued)
    # A customer with one vehicle: its vehicle placeholders speak of that one (a send's
    # default is the customer's first vehicle), so they share one bulk send. A customer
    # with several gets one send per due vehicle, naming it.
    customer_ids = {r[1] for r in queued}
    single = set(Asset.objects.filter(customer_id__in=customer_ids).values("customer_id")
                 .annotate(n=Count("id")).filter(n=1).values_list("customer_id", flat=True))
    bulk = [r[0] for r in queued if r[1] in single]
    if bulk:
        created += _queue_bulk(rule, branch_id, occasion, bulk)
    queued = [r for r in queued if r[1] not in single]
    assets = Asset.objects.only("id", "customer_id").in_bulk([r[2] for r in queued])
    for occ_id, customer_id, asset_id, _outcome, _subject in queued:
        send = send_create(idempotency_key=f"reminder-occurrence:{occ_id}",
                           name=f"{rule.name} {occasion:%d/%m/%Y}"[:200], customers=[customer_id], by=None,
                           purpose=_purpose(rule), department="marketing", asset=assets.get(asset_id),
                           **_send_texts(rule))
        ReminderOccurrence.objects.filter(pk=occ_id).update(send=send)
        created += send.recipients
    return created


def _record_values(registered, subject_ids: list[int]) -> dict[int, dict[str, dict[str, str]]]:
    """{record id: {language: placeholder values}} for every language a message may be in."""
    out: dict[int, dict[str, dict[str, str]]] = {pk: {} for pk in subject_ids}
    for language, _name in settings.LANGUAGES:
        for pk, values in registered.values(subject_ids, language).items():
            out.setdefault(pk, {})[language] = values
    return out


def _queue_records(rule: ReminderRule, registered, occasion: dt.date, queued: list[tuple]) -> int:
    """One send per occurrence of a registered kind, carrying what it says about its record
    (the amount and number of a payment due...), its key made from the occurrence."""
    from .services import send_create

    values = _record_values(registered, [r[4] for r in queued])
    created = 0
    for occ_id, customer_id, _asset, _outcome, subject_id in queued:
        send = send_create(idempotency_key=f"reminder-occurrence:{occ_id}",
                           name=f"{rule.name} {occasion:%d/%m/%Y}"[:200], customers=[customer_id], by=None,
                           purpose=_purpose(rule), department="marketing", extra_values=values.get(subject_id, {}),
                           **_send_texts(rule))
        ReminderOccurrence.objects.filter(pk=occ_id).update(send=send)
        created += send.recipients
    return created


def _call_tasks(rule: ReminderRule, occasion: dt.date, rows: list[tuple]) -> None:
    """No consent, and the rule says "call": a note on the timeline and a notification to the
    customer's owner, so a person can phone instead."""
    from accounts.services import notification_send
    from crm.services import interactions_record_bulk

    calls = [r for r in rows if r[3] == Outcome.CALL_TASK]
    if not calls:
        return
    customers = Customer.objects.select_related("owner").in_bulk([r[1] for r in calls])
    occurrences = ReminderOccurrence.objects.in_bulk([r[0] for r in calls])
    summary = _("Reminder \"%(rule)s\" (%(date)s) not sent: no consent. Please call the customer.")
    interactions_record_bulk([
        dict(customer=customers[customer_id], kind=Interaction.Kind.NOTE, channel=Interaction.Channel.SYSTEM,
             direction=Interaction.Direction.INTERNAL, department="marketing",
             summary=summary % {"rule": rule.name, "date": occasion.strftime("%d/%m/%Y")},
             source=occurrences[occ_id])
        for occ_id, customer_id, _a, _o, _s in calls])
    for _occ_id, customer_id, _a, _o, _s in calls:
        customer = customers[customer_id]
        if customer.owner_id:
            notification_send(to=customer.owner, verb=NOTIFY_CALL, target=customer)


def rule_day_process(*, rule: ReminderRule, branch: Branch, day: dt.date, run: ReminderRun | None,
                     stale: bool = False) -> Counter:
    """Record and act on one (rule, branch, day) in one transaction: all or nothing."""
    occasion = occasion_for(rule, day)
    counts = Counter()
    with transaction.atomic():
        rows = _insert_occurrences(rule, branch.pk, occasion, day, run, stale=stale)
        counts["selected"] += len(rows)
        for r in rows:
            if r[3] != Outcome.QUEUED:
                counts[f"skipped:{r[3]}"] += 1
        counts["sent"] += _queue(rule, branch.pk, occasion, run, rows)
        _call_tasks(rule, occasion, rows)
    return counts


# --- the job ---------------------------------------------------------------------------------
def _days_due(rule: ReminderRule, branch: Branch, now: dt.datetime) -> list[tuple[dt.date, bool]]:
    """(day, stale) for each branch-local day in the catch-up window whose send time has passed."""
    today = branch_today(branch, now)
    created = branch_today(branch, rule.created_at) if rule.created_at else today
    days = []
    for back in range(settings.REMINDER_CATCH_UP_DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        if day < created or send_moment(rule, branch, day) > now:
            continue
        days.append((day, is_stale(rule, day, today)))
    return days


def rule_tick(*, rule: ReminderRule, now: dt.datetime, run: ReminderRun | None) -> Counter:
    counts = Counter()
    for branch in rule_branches(rule):
        quiet = in_quiet_hours(branch, now)
        for day, stale in _days_due(rule, branch, now):
            if quiet and not stale:
                counts["waiting:quiet_hours"] += 1  # recorded (and sent) once the quiet hours end
                continue
            counts += rule_day_process(rule=rule, branch=branch, day=day, run=run, stale=stale)
    return counts


def runs_close_interrupted(now: dt.datetime) -> int:
    """Runs left "running" by a killed worker: closed as failed (their work rolled back)."""
    return ReminderRun.objects.filter(status=ReminderRun.Status.RUNNING,
                                      started_at__lt=now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)) \
        .update(status=ReminderRun.Status.FAILED, finished_at=now,
                error="Interrupted (worker stopped); the next run did its work.")


def reminders_tick(*, now: dt.datetime | None = None) -> ReminderRun | None:
    """The periodic job. Returns its run, or None when another tick is running right now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [TICK_LOCK])
        if not cursor.fetchone()[0]:
            return None
    try:
        return _tick(now or timezone.now())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [TICK_LOCK])


def _tick(now: dt.datetime) -> ReminderRun:
    runs_close_interrupted(timezone.now())
    run = ReminderRun.objects.create(started_at=timezone.now())
    totals, errors, failed = Counter(), [], 0
    for rule in ReminderRule.objects.filter(active=True).select_related("branch").order_by("id"):
        try:
            totals += rule_tick(rule=rule, now=now, run=run)
        except Exception:  # one broken rule must not stop the others; its rows rolled back
            log.exception("Reminder rule %s failed", rule.pk)
            failed += 1
            errors.append(f"{rule.name}: {traceback.format_exc(limit=3)}")
    run.selected = totals.pop("selected", 0)
    run.sent = totals.pop("sent", 0)
    run.skipped = {k.split(":", 1)[1]: v for k, v in sorted(totals.items()) if k.startswith(("skipped:", "waiting:"))}
    run.failed = failed
    run.error = "\n".join(errors)[:10000]
    run.status = ReminderRun.Status.FAILED if failed else ReminderRun.Status.DONE
    run.finished_at = timezone.now()
    run.save()
    if failed:
        _notify_admins(run)
    return run


def _notify_admins(run: ReminderRun) -> None:
    from accounts.services import notification_send

    admins = User.objects.filter(is_superuser=True, is_active=True)
    notification_send(to=list(admins), verb=NOTIFY_RUN_FAILED, target=run)


# --- reads: the home card and the preview ------------------------------------------------------
CARD_ROWS = 8


def today_card(user, *, now: dt.datetime | None = None) -> list[dict] | None:
    """Today's birthdays and vehicle due dates in the user's branch (its local "today"), so
    staff can also call. One query per kind, each an index lookup."""
    branch = user.branch
    if branch is None:
        return None
    today = branch_today(branch, now or timezone.now())
    rows = [{"customer": c, "what": _("Birthday"), "asset": None}
            for c in Customer.objects.filter(birthday_q(today), branch=branch, kind=Customer.Kind.PERSON)
            .only("public_id", "name").order_by("name")[:CARD_ROWS]]
    for kind, field in ASSET_FIELD.items():
        for asset in (Asset.objects.filter(**{field: today}, customer__branch=branch).select_related("customer")
                      .only("plate_number", "make", "model", "customer__public_id", "customer__name")
                      .order_by("id")[:CARD_ROWS]):
            rows.append({"customer": asset.customer, "what": Kind(kind).label, "asset": asset,
                         "book_url": _booking_url(asset.customer) if kind == Kind.SERVICE_DUE else ""})
    return rows


def _booking_url(customer) -> str:
    """The workshop's booking page for this customer, when the service app is installed."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("service:book", args=[customer.public_id])
    except NoReverseMatch:
        return ""


def _render_for(rule: ReminderRule, customer: Customer, asset_id: int | None,
                extra: dict | None = None) -> tuple[str, str]:
    """(language, text) the customer would get, as the pipeline renders it (no opt-out link);
    ``extra``: a registered kind's record values by language (_record_values)."""
    from .services import _values
    from .text import compile_template, render

    language = "en" if rule.body_en and customer.language == "en" else settings.LANGUAGE_CODE
    body = rule.body_en if language == "en" else rule.body
    values = _values(customer, asset_id, language=language)
    values.update((extra or {}).get(language) or {})
    return language, render(compile_template(body, placeholders_for(rule.kind)), values)


def _would(rule: ReminderRule, customer: Customer) -> str:
    from .services import OPT_OUT_SOURCES

    if getattr(customer, f"{rule.channel}_consent"):
        return Outcome.QUEUED
    if getattr(customer, f"{rule.channel}_consent_source") in OPT_OUT_SOURCES:
        return Outcome.OPTED_OUT
    return Outcome.CALL_TASK if rule.no_consent == ReminderRule.NoConsent.CALL else Outcome.NO_CONSENT


def rule_preview(rule: ReminderRule, user, *, now: dt.datetime | None = None, days: int = 14,
                 sample: int = 5) -> dict:
    """Who would get what over the next ``days`` branch-local days (counts per day and the
    first few recipients with their text), and a dry run of today: what the next tick would
    do right now. Reads only; the same selection as the job. Queries: per (day, branch) a
    count and a sample, so a fixed number for any number of customers."""
    now = now or timezone.now()
    branches = [b for b in rule_branches(rule) if user.sees_all_branches or b.pk == user.branch_id]
    by_day = []
    for offset in range(days):
        total, people = 0, []
        for branch in branches:
            day = branch_today(branch, now) + dt.timedelta(days=offset)
            occasion = occasion_for(rule, day)
            qs = candidates(rule, branch.pk, occasion)
            total += qs.count()
            if len(people) < sample:
                people += _sample(rule, qs, branch, sample - len(people))
        by_day.append({"offset": offset, "day": (timezone.localdate(now) + dt.timedelta(days=offset)),
                       "occasion": occasion_for(rule, timezone.localdate(now) + dt.timedelta(days=offset)),
                       "count": total, "people": people})
    return {"days": by_day, "today": _dry_run(rule, branches, now)}


def _sample(rule, qs, branch, limit) -> list[dict]:
    registered = registered_kind(rule)
    if registered is not None:  # (customer id, record id) pairs
        pairs = list(qs.order_by()[:limit])
        customers = (Customer.objects.select_related("branch").prefetch_related("assets")
                     .in_bulk([customer_id for customer_id, _record in pairs]))
        values = _record_values(registered, [record for _customer, record in pairs])
        out = []
        for customer_id, record in pairs:
            customer = customers[customer_id]
            language, text = _render_for(rule, customer, None, values.get(record))
            out.append({"customer": customer, "asset": None, "branch": branch, "language": language, "text": text,
                        "outcome": Outcome(_would(rule, customer)).label})
        return out
    if rule.kind == Kind.BIRTHDAY:
        customers = list(qs.select_related("branch").prefetch_related("assets").order_by("id")[:limit])
        pairs = [(c, None) for c in customers]
    else:
        assets = list(qs.select_related("customer__branch").prefetch_related("customer__assets").order_by("id")[:limit])
        pairs = [(a.customer, a) for a in assets]
    out = []
    for customer, asset in pairs:
        language, text = _render_for(rule, customer, asset.pk if asset else None)
        out.append({"customer": customer, "asset": asset, "branch": branch, "language": language, "text": text,
                    "outcome": Outcome(_would(rule, customer)).label})
    return out


def _dry_run(rule: ReminderRule, branches: list[Branch], now: dt.datetime) -> list[dict]:
    """Per branch: its local time, and for each day the tick would look at, what it would do."""
    rows = []
    for branch in branches:
        quiet = in_quiet_hours(branch, now)
        today = branch_today(branch, now)
        moment = send_moment(rule, branch, today)
        days = []
        for day, stale in _days_due(rule, branch, now):
            occasion = occasion_for(rule, day)
            qs = candidates(rule, branch.pk, occasion)
            recorded = ReminderOccurrence.objects.filter(rule=rule, occasion=occasion, customer__branch=branch)
            selected, done = qs.count(), recorded.count()
            days.append({"day": day, "occasion": occasion, "selected": selected, "recorded": done,
                         "pending": max(0, selected - done), "stale": stale, "waiting": quiet and not stale})
        rows.append({"branch": branch, "local_now": now.astimezone(zoneinfo.ZoneInfo(branch.time_zone)),
                     "send_at": moment, "before_send_time": moment > now, "quiet": quiet, "days": days})
    return rows


# --- writes: rules ---------------------------------------------------------------------------
def reminder_rule_save(*, rule: ReminderRule, by: User) -> ReminderRule:
    """Create or change a rule (the form has checked it). A change applies from the next tick;
    what was already recorded stays recorded (exactly once holds across edits of the text)."""
    if rule.pk is None:
        rule.created_by = by
    rule.full_clean()
    rule.save()
    log.info("Reminder rule %s saved by %s", rule.pk, by.email)
    return rule


def reminder_rule_toggle(*, rule: ReminderRule, by: User) -> ReminderRule:
    ReminderRule.objects.filter(pk=rule.pk).update(active=not rule.active)
    rule.refresh_from_db()
    log.info("Reminder rule %s %s by %s", rule.pk, "activated" if rule.active else "paused", by.email)
    return rule


def reminder_rule_get_for_user(user, reminder_rule_id, *, write: bool = False) -> ReminderRule:
    """A rule the user may see (its branch's, or every branch's); 404 otherwise. Writing a
    rule for every branch is head office's; a branch may change only its own rules."""
    from django.core.exceptions import PermissionDenied

    from accounts.access import get_for_user_or_404

    rule = get_for_user_or_404(ReminderRule.objects.select_related("branch"), user,
                               write_perm="marketing.change_reminderrule" if write else None,
                               public_id=reminder_rule_id)
    if not user.has_perm("marketing.view_reminderrule"):
        raise PermissionDenied
    if write and rule.branch_id is None and not user.sees_all_branches:
        raise PermissionDenied
    return rule


def rule_writable_by(rule: ReminderRule, user) -> bool:
    return user.has_perm("marketing.change_reminderrule") and (rule.branch_id is not None or user.sees_all_branches)


def rules_for_user(user) -> list[ReminderRule]:
    return list(ReminderRule.objects.visible_to(user).select_related("branch").order_by("kind", "lead_days", "id"))


def runs_recent(limit: int = 20) -> list[ReminderRun]:
    return list(ReminderRun.objects.order_by("-id")[:limit])
