"""The messaging pipeline: the one interface every app sends through.

    send = send_create(idempotency_key=..., channel="sms", name=..., body="Halo {{ first_name }}",
                       customers=queryset_or_ids, by=user)

returns at once; Celery does the sending. Exactly-once comes from the database: one
row per (send, customer), claimed by a conditional UPDATE before the provider is called,
and a SID recorded after. A row left in SENDING by a crashed worker is reconciled with
the provider's records, never blindly resent.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Branch, User
from crm.models import Customer, Interaction
from crm.services import interaction_record

from . import backends
from .models import Message, Send
from .text import compile_template, render, sms_length

log = logging.getLogger(__name__)

# Status callbacks arrive duplicated and out of order: a status only moves up this ladder.
STATUS_RANK = {
    Message.Status.QUEUED: 0, Message.Status.SENDING: 1, Message.Status.UNKNOWN: 1, Message.Status.SENT: 2,
    Message.Status.DELIVERED: 3, Message.Status.UNDELIVERED: 3, Message.Status.FAILED: 3,
}
PROVIDER_STATUS = {"accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
                   "delivered": "delivered", "read": "delivered", "undelivered": "undelivered",
                   "failed": "failed", "canceled": "failed"}
OPEN_STATUSES = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.UNKNOWN)


# --- creating a send ---------------------------------------------------------------------
def send_create(*, idempotency_key: str, channel: str, name: str, body: str, customers, by: User | None,
                purpose: str = Send.Purpose.MARKETING, subject: str = "", department: str | None = None) -> Send:
    """One template to many customers as one send. Same key again = the same send, unchanged."""
    compile_template(body)  # refuse a bad template before anything is written
    if subject:
        compile_template(subject)
    existing = Send.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        return existing
    with transaction.atomic():
        send, created = Send.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={"channel": channel, "purpose": purpose, "name": name, "body": body, "subject": subject,
                      "department": department or (by.department if by and by.department else "marketing"),
                      "branch": by.branch if by else None, "created_by": by},
        )
        if not created:  # two requests at once: the other one made it
            return send
        audience = customers if hasattr(customers, "query") else Customer.objects.filter(pk__in=list(customers))
        send.recipients, send.skipped = _create_messages(send, audience.order_by().values("id"))
        send.status = Send.Status.RUNNING
        send.save(update_fields=["recipients", "skipped", "status", "updated_at"])
    _dispatch_on_commit(send)
    return send


def _dispatch_on_commit(send: Send) -> None:
    """Several dispatch tasks share a send (SKIP LOCKED keeps them off each other's rows),
    so one worker with a thread pool keeps several requests to the provider in flight."""
    from .tasks import send_dispatch_task

    parallel = max(1, min(settings.SMS_DISPATCH_PARALLEL, -(-send.recipients // settings.SMS_CHUNK)))
    transaction.on_commit(lambda: [send_dispatch_task.delay(send.pk) for _ in range(parallel)])


def _create_messages(send: Send, audience_ids) -> tuple[int, dict]:
    """Insert one QUEUED row per eligible customer in one statement; count the rest by reason."""
    ids_sql, ids_params = audience_ids.query.sql_with_params()
    if send.channel == Send.Channel.SMS:
        address, consent = "c.phone", "c.sms_consent"
        # Indonesian mobiles are +628…; fixed lines cannot take SMS (Twilio 21614).
        reachable = "c.phone LIKE '+628%%'"
    else:
        address, consent, reachable = "c.email", "c.email_consent", "c.email <> ''"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FILTER (WHERE NOT {consent}),
                   count(*) FILTER (WHERE {consent} AND NOT ({reachable}))
            FROM crm_customer c WHERE c.id IN ({ids_sql})
            """,
            ids_params,
        )
        no_consent, unreachable = cursor.fetchone()
        cursor.execute(
            f"""
            INSERT INTO marketing_message (public_id, created_at, updated_at, send_id, customer_id, channel, "to",
                                           body, segments, status, attempts, error_code, error_message)
            SELECT gen_random_uuid(), now(), now(), %s, c.id, %s, {address}, '', 0, 'queued', 0, '', ''
            FROM crm_customer c
            WHERE c.id IN ({ids_sql}) AND {consent} AND {reachable}
            ON CONFLICT (send_id, customer_id) DO NOTHING
            """,
            [send.pk, send.channel, *ids_params],
        )
        created = cursor.rowcount
    skipped = {k: v for k, v in {"no_consent": no_consent, "unreachable": unreachable}.items() if v}
    return created, skipped


def message_send_one(*, customer: Customer, channel: str, body: str, by: User | None, key: str,
                     purpose: str = Send.Purpose.TRANSACTIONAL, subject: str = "") -> Send:
    """One message to one customer: a send of one, with the same guarantees."""
    return send_create(idempotency_key=key, channel=channel, name=body[:60], body=body, subject=subject,
                       customers=[customer.pk], by=by, purpose=purpose)


# --- pausing -------------------------------------------------------------------------------
def send_pause(*, send: Send) -> None:
    Send.objects.filter(pk=send.pk, status=Send.Status.RUNNING).update(status=Send.Status.PAUSED)


def send_resume(*, send: Send) -> None:
    if Send.objects.filter(pk=send.pk, status=Send.Status.PAUSED).update(status=Send.Status.RUNNING):
        send.refresh_from_db()
        _dispatch_on_commit(send)


def send_cancel(*, send: Send) -> int:
    """Stop a send: rows not yet claimed are cancelled; ones in flight finish."""
    with transaction.atomic():
        Send.objects.filter(pk=send.pk).exclude(status=Send.Status.DONE).update(status=Send.Status.CANCELLED)
        return Message.objects.filter(send=send, status=Message.Status.QUEUED).update(
            status=Message.Status.CANCELLED, updated_at=timezone.now())


# --- sending -------------------------------------------------------------------------------
def quiet_time_zones(now: dt.datetime | None = None) -> list[str]:
    """The branch time zones where it is now inside SMS_QUIET_HOURS (e.g. "21-8")."""
    start, end = (int(x) for x in settings.SMS_QUIET_HOURS.split("-"))
    now = now or timezone.now()
    quiet = []
    for tz in Branch.TimeZone.values:
        hour = now.astimezone(zoneinfo.ZoneInfo(tz)).hour
        if (start <= hour or hour < end) if start > end else (start <= hour < end):
            quiet.append(tz)
    return quiet


def _claim(send: Send, limit: int) -> list[int]:
    """Move up to ``limit`` due rows QUEUED → SENDING, committed before anything is sent.

    SKIP LOCKED lets several workers share a send without waiting on or double-claiming
    each other's rows. The pick is a MATERIALIZED CTE: as an ``IN (subquery)`` the planner
    may rescan it and claim more than ``limit`` rows.
    """
    quiet = quiet_time_zones() if send.purpose == Send.Purpose.MARKETING and send.channel == "sms" else []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH picked AS MATERIALIZED (
                SELECT m.id FROM marketing_message m
                JOIN crm_customer c ON c.id = m.customer_id
                JOIN accounts_branch b ON b.id = c.branch_id
                WHERE m.send_id = %s AND m.status = 'queued'
                  AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= clock_timestamp())
                  AND NOT (b.time_zone = ANY(%s))
                ORDER BY m.id LIMIT %s
                FOR UPDATE OF m SKIP LOCKED
            )
            UPDATE marketing_message AS t
            SET status = 'sending', claimed_at = clock_timestamp(), attempts = t.attempts + 1, updated_at = now()
            FROM picked WHERE t.id = picked.id AND t.status = 'queued'
            RETURNING t.id
            """,
            [send.pk, quiet, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _throttle() -> None:
    """A token bucket shared by every worker (Celery's rate_limit is per worker)."""
    rate = settings.SMS_RATE_PER_SECOND
    if rate <= 0:
        return
    while True:
        second = int(time.time())
        key = f"sms-rate:{second}"
        cache.add(key, 0, timeout=5)
        if cache.incr(key) <= rate:
            return
        time.sleep(max(0.0, second + 1 - time.time()))


def _values(customer: Customer) -> dict[str, str]:
    vehicle = next(iter(customer.assets.all()), None)
    return {
        "first_name": customer.name.split(" ")[0] if customer.kind == Customer.Kind.PERSON else customer.name,
        "name": customer.name,
        "branch_name": customer.branch.name,
        "vehicle_plate": vehicle.plate_number if vehicle else "",
        "vehicle_model": f"{vehicle.make} {vehicle.model}" if vehicle else "",
        "next_service_due": date_format(vehicle.next_service_due) if vehicle and vehicle.next_service_due else "",
    }


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(600, 2 ** attempts))


def send_process_chunk(*, send_id: int, backend=None) -> int:
    """Claim and send one chunk of a send. Returns how many rows were claimed (0 = nothing due)."""
    send = Send.objects.get(pk=send_id)
    if send.status != Send.Status.RUNNING:
        return 0
    ids = _claim(send, settings.SMS_CHUNK)
    if not ids:
        _finish_if_done(send)
        return 0
    backend = backend or backends.get_sms_backend()
    template = compile_template(send.body)
    subject = compile_template(send.subject) if send.subject else None
    messages = Message.objects.filter(pk__in=ids).select_related("customer__branch").prefetch_related(
        "customer__assets").order_by("id")
    for message in messages:
        values = _values(message.customer)
        text = render(template, values)
        if send.channel == Send.Channel.SMS:
            _throttle()
        try:
            if send.channel == Send.Channel.SMS:
                accepted = backend.send_sms(to=message.to, body=text)
            else:
                accepted = backends.send_email(to=message.to, subject=render(subject, values) if subject else "",
                                               body=text)
        except backends.TransientError as exc:
            _record_transient(message, exc)
        except backends.PermanentError as exc:
            _record_failed(message, exc.code, exc.message)
            if exc.code == "21610":
                # The carrier says this number unsubscribed (a STOP we never saw): honour it.
                from crm.services import customer_update

                customer_update(customer=message.customer, by=None, consents={"sms": False},
                                consent_source="twilio-21610")
        except backends.UnknownOutcome as exc:
            Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
                status=Message.Status.UNKNOWN, error_message=str(exc)[:300], updated_at=timezone.now())
        else:
            _record_accepted(send, message, text, accepted)
    return len(ids)


def _record_accepted(send: Send, message: Message, text: str, accepted: backends.Accepted) -> None:
    status = PROVIDER_STATUS.get(accepted.status, Message.Status.SENT)
    segments = sms_length(text).segments if send.channel == Send.Channel.SMS else 0
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status__in=[Message.Status.SENDING, Message.Status.UNKNOWN]) \
            .update(status=status, provider_sid=accepted.sid, body=text, segments=segments, sent_at=timezone.now(),
                    error_code="", error_message="", updated_at=timezone.now())
        if updated:
            interaction_record(
                customer=message.customer,
                kind=Interaction.Kind.CAMPAIGN_MESSAGE if send.purpose == Send.Purpose.MARKETING
                else (Interaction.Kind.SMS if send.channel == "sms" else Interaction.Kind.EMAIL),
                channel=Interaction.Channel.SMS if send.channel == "sms" else Interaction.Channel.EMAIL,
                direction=Interaction.Direction.OUTBOUND, department=send.department, staff=send.created_by,
                summary=text, source=message,
            )


def _record_transient(message: Message, exc: backends.TransientError) -> None:
    if message.attempts >= settings.SMS_MAX_ATTEMPTS:
        _record_failed(message, exc.code, f"Gave up after {message.attempts} attempts: {exc.message}")
        return
    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED, next_attempt_at=timezone.now() + _backoff(message.attempts),
        error_code=exc.code, error_message=exc.message[:300], updated_at=timezone.now())


def _record_failed(message: Message, code: str, text: str) -> None:
    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
        status=Message.Status.FAILED, error_code=code, error_message=text[:300], updated_at=timezone.now())


def _finish_if_done(send: Send) -> None:
    if not Message.objects.filter(send=send, status__in=OPEN_STATUSES).exists():
        Send.objects.filter(pk=send.pk, status=Send.Status.RUNNING).update(status=Send.Status.DONE)


def messages_reconcile_stuck(*, backend=None) -> int:
    """Rows left SENDING/UNKNOWN by a crashed worker or a timeout: ask the provider.

    Found there: record the SID (it was sent). Not found: back to QUEUED for a new attempt.
    Only rows claimed longer ago than any request can take are touched, so a live worker's
    in-flight request is never mistaken for a lost one.
    """
    backend = backend or backends.get_sms_backend()
    seconds = max(settings.SMS_STUCK_AFTER_SECONDS, 2 * settings.TWILIO_TIMEOUT_SECONDS)
    cutoff = timezone.now() - dt.timedelta(seconds=seconds)
    fixed = 0
    stuck = Message.objects.filter(status__in=[Message.Status.SENDING, Message.Status.UNKNOWN],
                                   claimed_at__lt=cutoff, channel="sms") \
        .select_related("send", "customer__branch").prefetch_related("customer__assets")
    templates = {}
    for message in stuck.iterator(chunk_size=500):
        if message.send_id not in templates:
            templates[message.send_id] = compile_template(message.send.body)
        text = render(templates[message.send_id], _values(message.customer))
        # Match on number *and* text, and never take a SID another row already holds: the
        # customer may have had another message from us in the same minutes.
        candidates = backend.find_sent(to=message.to, after=message.claimed_at - dt.timedelta(seconds=5), body=text)
        taken = set(Message.objects.filter(provider_sid__in=candidates).values_list("provider_sid", flat=True))
        sid = next((c for c in candidates if c not in taken), None)
        if sid:
            _record_accepted(message.send, message, text, backends.Accepted(sid=sid, status="sent"))
        else:
            Message.objects.filter(pk=message.pk, status=message.status).update(
                status=Message.Status.QUEUED, updated_at=timezone.now())
        fixed += 1
    return fixed


# --- provider callbacks ----------------------------------------------------------------------
def message_status_update(*, sid: str, provider_status: str, error_code: str = "") -> bool:
    """Apply a status callback; never moves a message backwards. False for unknown SIDs."""
    status = PROVIDER_STATUS.get(provider_status)
    if status is None:
        return Message.objects.filter(provider_sid=sid).exists()
    lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    fields = {"status": status, "updated_at": timezone.now()}
    if error_code:
        fields["error_code"] = error_code[:16]
    if Message.objects.filter(provider_sid=sid, status__in=lower).update(**fields):
        return True
    known = Message.objects.filter(provider_sid=sid).exists()
    if not known:
        log.info("Status callback for unknown message SID %s (%s)", sid, provider_status)
    return known


STOP_WORDS = {"STOP", "BERHENTI", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "MULAI"}


def sms_inbound(*, from_number: str, body: str) -> str:
    """An SMS from a customer: opt-out/in keywords change consent, anything else is logged."""
    from crm.services import customer_update

    customers = list(Customer.objects.filter(Q(phone=from_number) | Q(phone_alt=from_number)))
    word = body.strip().upper()
    if word in STOP_WORDS or word in START_WORDS:
        for customer in customers:
            customer_update(customer=customer, by=None, consents={"sms": word in START_WORDS},
                            consent_source=f"sms-{word.lower()}")
        return "opt-in" if word in START_WORDS else "opt-out"
    for customer in customers:
        interaction_record(customer=customer, kind=Interaction.Kind.SMS, channel=Interaction.Channel.SMS,
                           direction=Interaction.Direction.INBOUND, department="marketing", summary=body[:2000])
    return "logged" if customers else "unknown-sender"
