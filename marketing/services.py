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
import uuid
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from psycopg2.extras import execute_values

from accounts.models import Branch, User
from crm.models import Channel as ConsentChannel
from crm.models import Asset, Customer, Interaction
from crm.phone import is_sms_capable, sms_capable_sql, sms_undecided_sql
from crm.public import PUBLIC_CODE_LENGTH, PUBLIC_CODE_SQL
from crm.services import interaction_record, interactions_record_bulk, staff_department

from . import backends
from .models import EarlyStatus, Message, Send
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
# Rows that keep their send running; every other status is final (UNRESOLVED included).
OPEN_STATUSES = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.UNKNOWN)
FINAL_FAILED = (Message.Status.UNDELIVERED, Message.Status.FAILED)


class Skipped:
    """Why a customer of the audience got no message: the keys of ``Send.skipped``."""

    NO_CONSENT = "no_consent"  # never gave consent for the channel
    OPTED_OUT = "opted_out"  # withdrew it themselves (an SMS STOP, or the carrier says unsubscribed)
    NOT_MOBILE = "not_mobile"  # SMS: no number that can receive SMS (none, or a landline)
    NO_EMAIL = "no_email"  # email: no address


# Send.extra_values["attachments"]: [[provider key, ref], ...], documents another app renders
# at send time (crm.registry.AttachmentProvider); email only. Every other key is a language.
ATTACHMENTS = "attachments"


def placeholder_names(extra_values: dict | None) -> list[str]:
    """The extra placeholders a send's ``extra_values`` define, in any language."""
    return sorted({name for key, values in (extra_values or {}).items() if key != ATTACHMENTS for name in values})


def _attachments_check(channel: str, extra_values: dict | None) -> None:
    from crm.registry import attachment_providers

    wanted = (extra_values or {}).get(ATTACHMENTS) or []
    if wanted and channel != Send.Channel.EMAIL:
        raise ValueError("Only an email can carry attachments.")
    for key, _ref in wanted:
        if key not in attachment_providers:
            raise ValueError(f"No attachment provider {key!r} is registered.")


def _attachments_render(send: Send) -> list[tuple[str, bytes, str]]:
    """The send's attachments as its provider renders them now (the same for every recipient)."""
    from crm.registry import attachment_providers

    return [attachment_providers.get(key).render(ref) for key, ref in send.extra_values.get(ATTACHMENTS) or []]


# --- creating a send ---------------------------------------------------------------------
def send_create(*, idempotency_key: str, channel: str, name: str, body: str, customers, by: User | None,
                purpose: str = Send.Purpose.MARKETING, subject: str = "", department: str | None = None,
                asset: Asset | None = None, body_en: str = "", subject_en: str = "",
                extra_values: dict | None = None) -> Send:
    """One template to many customers as one send. Same key again = the same send, unchanged.

    ``body`` (and ``subject``) are the Indonesian text; ``body_en``/``subject_en`` the same
    message in English, for customers whose language is English. Without ``body_en`` every
    customer gets the Indonesian text (see SendTexts).

    ``customers`` is a Customer queryset or an iterable of customer ids (ints). An empty
    audience gives a finished send (done) with no recipients. ``asset``: the vehicle the
    vehicle placeholders speak of for its owner (see message_send_one); for everyone else,
    and without it, their first vehicle. ``extra_values``: more placeholders, by language
    (``{"id": {"amount_due": "Rp 5.000.000"}, "en": {...}}``), e.g. a reminder's record."""
    audience = _audience(customers)  # refuse a wrong audience before anything is written
    extra = placeholder_names(extra_values)
    _attachments_check(channel, extra_values)
    compile_template(body, extra)  # and a bad template, in either language
    for text in (subject, body_en, subject_en):
        if text:
            compile_template(text, extra)
    existing = Send.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        return existing
    with transaction.atomic():
        send, created = Send.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={"channel": channel, "purpose": purpose, "name": name, "body": body, "subject": subject,
                      "body_en": body_en, "subject_en": subject_en,
                      "department": department or staff_department(by),
                      "branch": by.branch if by else None, "created_by": by, "asset": asset,
                      "extra_values": extra_values or {}},
        )
        if not created:  # two requests at once: the other one made it
            return send
        send.recipients, send.skipped = _create_messages(send, audience.order_by().values("id"))
        # Nothing to send (an empty audience, or everyone skipped): finished at once.
        send.status = Send.Status.RUNNING if send.recipients else Send.Status.DONE
        send.save(update_fields=["recipients", "skipped", "status", "updated_at"])
    if send.recipients:
        _dispatch_on_commit(send)
    return send


def _audience(customers) -> QuerySet:
    """The audience as a Customer queryset; anything else is refused (its ids are not customer ids)."""
    if isinstance(customers, QuerySet):
        if not issubclass(customers.model, Customer):
            raise TypeError(f"send_create needs customers: a Customer queryset or customer ids, "
                            f"not a {customers.model.__name__} queryset (its ids are not customer ids).")
        return customers
    if isinstance(customers, (str, bytes, dict)) or not isinstance(customers, Iterable):
        raise TypeError(f"send_create needs customers: a Customer queryset or an iterable of customer ids, "
                        f"not {type(customers).__name__}.")
    ids = list(customers)
    wrong = next((x for x in ids if not isinstance(x, int) or isinstance(x, bool)), None)
    if wrong is not None:
        raise TypeError(f"send_create needs customer ids as ints (or a Customer queryset), got {wrong!r}.")
    return Customer.objects.filter(pk__in=ids)


def _dispatch_on_commit(send: Send) -> None:
    """Several dispatch tasks share a send (SKIP LOCKED keeps them off each other's rows),
    so one worker with a thread pool keeps several requests to the provider in flight."""
    from .tasks import send_dispatch_task

    parallel = max(1, min(settings.SMS_DISPATCH_PARALLEL, -(-send.recipients // _claim_size())))

    def enqueue():
        try:
            for _ in range(parallel):
                send_dispatch_task.delay(send.pk)
        except Exception:  # broker down: the send is saved; the periodic sweep wakes it
            log.warning("Could not enqueue dispatch for send %s; the sweeper will", send.pk, exc_info=True)

    transaction.on_commit(enqueue)


def _create_messages(send: Send, audience_ids) -> tuple[int, dict]:
    """Insert one QUEUED row per eligible customer in one statement; count the rest by reason."""
    try:
        ids_sql, ids_params = audience_ids.query.sql_with_params()
    except EmptyResultSet:  # Django knows the audience is empty (none(), pk__in=[]): no SQL to run
        return 0, {}
    channel = ConsentChannel(send.channel).value
    consent, source = f"c.{channel}_consent", f"c.{channel}_consent_source"
    # Each marketing SMS gets its opt-out link's code here, in the same statement (a constant
    # SQL expression, not a parameter: made per row by the database). Codes are unique; two
    # equal ones (72 bits: about 1 in 10^8 for a million-row send among 100 million earlier
    # codes) fail the whole statement, and the same send asked again simply draws new ones.
    optout_code = PUBLIC_CODE_SQL if _has_optout_link(send) else "NULL"
    with connection.cursor() as cursor:
        if send.channel == Send.Channel.SMS:
            address, unreachable_reason = "c.phone", Skipped.NOT_MOBILE
            # The database decides home-country numbers; the few others are checked here.
            undecided, undecided_params = sms_undecided_sql("c.phone")
            cursor.execute(f"SELECT DISTINCT c.phone FROM crm_customer c "
                           f"WHERE c.id IN ({ids_sql}) AND {consent} AND {undecided}", [*ids_params, *undecided_params])
            reachable, reachable_params = sms_capable_sql(
                "c.phone", also=[phone for (phone,) in cursor.fetchall() if is_sms_capable(phone)])
        else:
            address, unreachable_reason = "c.email", Skipped.NO_EMAIL
            reachable, reachable_params = "c.email <> ''", []
        # One statement, so the counts and the rows come from the same snapshot of consents.
        cursor.execute(
            f"""
            WITH audience AS MATERIALIZED (
                SELECT c.id, {address} AS address, {consent} AS consent,
                       {source} = ANY(%s) AS opted_out, ({consent} AND {reachable}) AS sendable
                FROM crm_customer c WHERE c.id IN ({ids_sql})
            ), created AS (
                INSERT INTO marketing_message (public_id, created_at, updated_at, send_id, customer_id, channel,
                                               "to", body, segments, status, attempts, error_code, error_message,
                                               optout_code)
                SELECT gen_random_uuid(), now(), now(), %s, a.id, %s, a.address, '', 0, 'queued', 0, '', '',
                       {optout_code}
                FROM audience a WHERE a.sendable
                ON CONFLICT (send_id, customer_id) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM created),
                   count(*) FILTER (WHERE NOT consent AND NOT opted_out),
                   count(*) FILTER (WHERE NOT consent AND opted_out),
                   count(*) FILTER (WHERE consent AND NOT sendable)
            FROM audience
            """,
            [list(OPT_OUT_SOURCES), *reachable_params, *ids_params, send.pk, send.channel],
        )
        created, no_consent, opted_out, unreachable = cursor.fetchone()
    counts = {Skipped.NO_CONSENT: no_consent, Skipped.OPTED_OUT: opted_out, unreachable_reason: unreachable}
    return created, {k: v for k, v in counts.items() if v}


def message_send_one(*, customer: Customer, channel: str, body: str, by: User | None, key: str,
                     purpose: str = Send.Purpose.TRANSACTIONAL, subject: str = "",
                     asset: Asset | None = None, body_en: str = "", subject_en: str = "",
                     attachments: list[tuple[str, str]] | None = None) -> Send:
    """One message to one customer: a send of one, with the same guarantees.

    ``asset``: which of the customer's vehicles ``{{ vehicle_plate }}`` and the other vehicle
    placeholders speak of (default: their first vehicle). ``attachments`` (email): ``(provider
    key, ref)`` pairs, rendered when the email is sent (crm.registry.AttachmentProvider)."""
    if asset is not None and asset.customer_id != customer.pk:
        raise ValidationError(_("That vehicle is not this customer's."))
    extra_values = {ATTACHMENTS: [[key, str(ref)] for key, ref in attachments]} if attachments else None
    return send_create(idempotency_key=key, channel=channel, name=body[:60], body=body, subject=subject,
                       customers=[customer.pk], by=by, purpose=purpose, asset=asset, body_en=body_en,
                       subject_en=subject_en, extra_values=extra_values)


# --- pausing -------------------------------------------------------------------------------
def _unsent_claims(send: Send):
    """Rows a worker holds but has not requested yet: its compare-and-set will fail on them."""
    return Message.objects.filter(send=send, status=Message.Status.SENDING, request_started_at__isnull=True)


def send_pause(*, send: Send) -> None:
    with transaction.atomic():
        if Send.objects.filter(pk=send.pk, status=Send.Status.RUNNING).update(status=Send.Status.PAUSED):
            _unsent_claims(send).update(status=Message.Status.QUEUED, claim_token=None, lease_until=None,
                                        updated_at=timezone.now())


def send_resume(*, send: Send) -> None:
    """Running again, and its dispatch tasks enqueued when that commits (both or neither)."""
    with transaction.atomic():
        if Send.objects.filter(pk=send.pk, status=Send.Status.PAUSED).update(status=Send.Status.RUNNING):
            send.refresh_from_db()
            _dispatch_on_commit(send)


def send_cancel(*, send: Send) -> int:
    """Stop a send: rows not yet requested are cancelled; requests already out finish."""
    with transaction.atomic():
        Send.objects.filter(pk=send.pk).exclude(status=Send.Status.DONE).update(status=Send.Status.CANCELLED)
        now = timezone.now()
        return Message.objects.filter(send=send, status=Message.Status.QUEUED).update(
            status=Message.Status.CANCELLED, updated_at=now) + _unsent_claims(send).update(
            status=Message.Status.CANCELLED, claim_token=None, updated_at=now)


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


def _lease_seconds() -> int:
    return settings.SMS_STUCK_AFTER_SECONDS


def _claim_size() -> int:
    """Rows one dispatch task claims at a time: no more than it can send in half a lease at
    the shared rate (at 1 msg/s a 200-row chunk would take 200 s), so a claim is rarely
    extended; the compare-and-set before each send keeps it safe when it is."""
    rate = settings.SMS_RATE_PER_SECOND
    if rate <= 0:
        return settings.SMS_CHUNK
    share = rate * _lease_seconds() / 2 / max(1, settings.SMS_DISPATCH_PARALLEL)
    return max(1, min(settings.SMS_CHUNK, int(share)))


def _claim(send: Send, limit: int, token: uuid.UUID) -> list[int]:
    """Move up to ``limit`` due rows QUEUED → SENDING under ``token``, committed before
    anything is sent.

    SKIP LOCKED lets several workers share a send without waiting on or double-claiming
    each other's rows. The pick is a MATERIALIZED CTE: as an ``IN (subquery)`` the planner
    may rescan it and claim more than ``limit`` rows. Nothing is sent on the strength of
    the claim alone: each row is stamped by ``_attempt_start`` (a compare-and-set on the
    token) right before its request.
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
            SET status = 'sending', claim_token = %s, claimed_at = clock_timestamp(),
                lease_until = clock_timestamp() + make_interval(secs => %s),
                request_started_at = NULL, updated_at = now()
            FROM picked WHERE t.id = picked.id AND t.status = 'queued'
            RETURNING t.id
            """,
            [send.pk, quiet, limit, token, _lease_seconds()],
        )
        return [row[0] for row in cursor.fetchall()]


def _lease_extend(token: uuid.UUID) -> None:
    """Keep this task's not-yet-sent rows claimed a while longer."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE marketing_message SET lease_until = clock_timestamp() + make_interval(secs => %s),
                      updated_at = now()
               WHERE claim_token = %s AND status = 'sending' AND request_started_at IS NULL""",
            [_lease_seconds(), token])


def _attempt_start(message_id: int, token: uuid.UUID) -> int | None:
    """Compare-and-set right before the provider is called: the row must still be ours
    (same token, not yet requested) and its send still running. Committed at once
    (autocommit), so from here on the sweeper treats the row as a request in flight.
    Returns the attempt number, or None when the claim was taken back (lease expired and
    swept, send paused or cancelled): then this row must not be sent by us. Tasks run in
    autocommit; never call this inside a transaction that outlives the request."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE marketing_message m
            SET request_started_at = clock_timestamp(), attempts = m.attempts + 1, updated_at = now()
            WHERE m.id = %s AND m.claim_token = %s AND m.status = 'sending' AND m.request_started_at IS NULL
              AND EXISTS (SELECT 1 FROM marketing_send s WHERE s.id = m.send_id AND s.status = 'running')
            RETURNING m.attempts
            """,
            [message_id, token])
        row = cursor.fetchone()
    return row[0] if row else None


# Next free send slot, shared by every worker: slots are 1/rate apart on Redis's clock
# (one clock for all machines), so no second, wherever it starts, holds more than `rate`.
_NEXT_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[1])), 'PX', 60000)
return tostring(slot - now)
"""


def _throttle() -> None:
    """A rate limit shared by every worker (Celery's rate_limit is per worker).

    Redis down (a broker outage) is waited out rather than raised: the rows this task
    holds stay claimed under their lease, and sending resumes where it stopped."""
    rate = settings.SMS_RATE_PER_SECOND
    if rate <= 0:
        return
    deadline = time.monotonic() + _lease_seconds()
    while True:
        try:
            client = cache._cache.get_client(write=True)
            wait = float(client.eval(_NEXT_SLOT, 1, cache.make_key("sms-rate:next-slot"), repr(1 / rate)))
        except Exception:
            if time.monotonic() > deadline:
                raise
            log.warning("Rate limiter unreachable (Redis down?); waiting")
            time.sleep(1)
            continue
        if wait > 0:
            time.sleep(wait)
        return


def _has_optout_link(send: Send) -> bool:
    """Marketing SMS carry an opt-out link (Indonesian numbers cannot reply STOP to a sender
    ID); service messages and email do not."""
    return send.channel == Send.Channel.SMS and send.purpose == Send.Purpose.MARKETING


def optout_link(code: str) -> str:
    """``{PUBLIC_BASE_URL}/p/s/<code>``: the page where the customer stops marketing SMS."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("marketing_public:sms_optout", args=[code])


def optout_suffix(code: str, language: str) -> str:
    """What follows the text of a marketing SMS: its opt-out link, introduced in ``language``
    (the language of the text). Counted in the message's segments like the rest."""
    with translation.override(language):
        return "\n" + _("Stop SMS: %(link)s") % {"link": optout_link(code)}


def optout_suffix_longest() -> str:
    """The longest suffix any customer gets (with a code of the real length): what the send
    form's counter adds to the text typed."""
    sample = "x" * PUBLIC_CODE_LENGTH
    return max((optout_suffix(sample, code) for code, _name in settings.LANGUAGES), key=len)


def message_text(message: Message, rendered: str, language: str | None = None) -> str:
    """A message's text as sent: the rendered template, and the opt-out link if it has one
    (introduced in ``language``, the language of the text; default the customer's).
    Also used to find a message at the provider, so it must give the same text every time."""
    if message.optout_code:
        return rendered + optout_suffix(message.optout_code, language or message.customer.language)
    return rendered


class SendTexts:
    """A send's templates, compiled once per batch: each customer gets the text in their
    language (Customer.language) when the send has one, else the Indonesian text."""

    def __init__(self, send: Send):
        self.send = send
        extra = placeholder_names(send.extra_values)
        indonesian = (compile_template(send.body, extra),
                      compile_template(send.subject, extra) if send.subject else None)
        self.by_language = {settings.LANGUAGE_CODE: indonesian}
        if send.body_en:
            subject_en = send.subject_en or send.subject
            self.by_language["en"] = (compile_template(send.body_en, extra),
                                      compile_template(subject_en, extra) if subject_en else None)

    def language_for(self, customer: Customer) -> str:
        return customer.language if customer.language in self.by_language else settings.LANGUAGE_CODE

    def render(self, message: Message) -> tuple[str, str]:
        """``(text, subject)`` of ``message`` as its customer gets them, the same on every call
        (placeholders, dates and the opt-out link in the language of the text)."""
        language = self.language_for(message.customer)
        body, subject = self.by_language[language]
        values = _values(message.customer, self.send.asset_id, language=language)
        extra = self.send.extra_values
        values.update(extra.get(language) or extra.get(settings.LANGUAGE_CODE) or {})
        return message_text(message, render(body, values), language), render(subject, values) if subject else ""


def _values(customer: Customer, asset_id: int | None = None, *, language: str | None = None) -> dict[str, str]:
    """The placeholders' values for ``customer``; the vehicle ones from their asset ``asset_id``
    (the one chosen for the send), else from their first vehicle. Uses prefetched assets.
    Dates are written in ``language`` (default Indonesian): "17 Agu 2026" / "17 Aug 2026"."""
    vehicles = list(customer.assets.all())
    vehicle = next((a for a in vehicles if a.pk == asset_id), None) if asset_id else None
    vehicle = vehicle or next(iter(vehicles), None)
    return {
        "first_name": customer.name.split(" ")[0] if customer.kind == Customer.Kind.PERSON else customer.name,
        "name": customer.name,
        "branch_name": customer.branch.name,
        "vehicle_plate": vehicle.plate_number if vehicle else "",
        "vehicle_model": f"{vehicle.make} {vehicle.model}" if vehicle else "",
        "next_service_due": _date_in(vehicle.next_service_due, language) if vehicle else "",
        "stnk_due": _date_in(vehicle.stnk_due, language) if vehicle else "",
        "insurance_end": _date_in(vehicle.insurance_end, language) if vehicle else "",
        "warranty_end": _date_in(vehicle.warranty_end, language) if vehicle else "",
    }


def _date_in(day, language: str | None) -> str:
    if not day:
        return ""
    with translation.override(language or settings.LANGUAGE_CODE):
        return date_format(day)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(600, 2 ** attempts))


def send_process_chunk(*, send_id: int, backend=None) -> int:
    """Claim and send one batch of a send. Returns how many rows were claimed (0 = nothing due).

    A task for a send that no longer exists (deleted, or queued by another database's run
    on a shared broker, e.g. the test suite's before ``make run``) has nothing to do."""
    send = Send.objects.filter(pk=send_id).first()
    if send is None:
        log.info("Send %s does not exist (any more): nothing to dispatch", send_id)
        return 0
    if send.status != Send.Status.RUNNING:
        return 0
    token = uuid.uuid4()
    ids = _claim(send, _claim_size(), token)
    if not ids:
        _finish_if_done(send)
        return 0
    backend = backend or (backends.get_sms_backend() if send.channel == Send.Channel.SMS else None)
    texts = SendTexts(send)
    messages = Message.objects.filter(pk__in=ids).select_related("customer__branch").prefetch_related(
        "customer__assets").order_by("id")
    renewed = time.monotonic()
    recorder = _AcceptedRecorder(send, token)
    try:
        for message in messages:
            _send_one(send, message, texts, token, backend, recorder)
            if time.monotonic() - renewed > _lease_seconds() / 3:
                _lease_extend(token)
                renewed = time.monotonic()
    finally:
        recorder.flush()
    return len(ids)


class _AcceptedRecorder:
    """What the provider accepted, written a few at a time: one UPDATE of the rows and one
    INSERT of their timeline entries per flush, instead of a transaction per message.

    Flushed every SMS_RECORD_EVERY messages or SMS_RECORD_SECONDS, far inside the time
    after which the sweeper would look at a request (it then finds the message at the
    provider and records it itself: a crash between acceptance and flush loses nothing).
    Rows this task no longer owns fall back to ``_record_accepted`` (the late-answer path).
    """

    def __init__(self, send: Send, token: uuid.UUID):
        self.send, self.token = send, token
        self.pending: list[tuple[Message, str, backends.Accepted]] = []
        self.since = time.monotonic()

    def add(self, message: Message, text: str, accepted: backends.Accepted) -> None:
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append((message, text, accepted))
        if len(self.pending) >= settings.SMS_RECORD_EVERY or \
                time.monotonic() - self.since >= settings.SMS_RECORD_SECONDS:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        send, sms = self.send, self.send.channel == Send.Channel.SMS
        rows = []
        for message, text, accepted in pending:
            status = PROVIDER_STATUS.get(accepted.status, Message.Status.SENT)
            rows.append((message.pk, accepted.sid, status, text, sms_length(text).segments if sms else 0,
                         accepted.error_code[:16] if status in FINAL_FAILED else "", self.token))
        with transaction.atomic():
            with connection.cursor() as cursor:
                updated = execute_values(cursor, """
                    UPDATE marketing_message AS m
                    SET status = v.status, provider_sid = v.sid, body = v.body, segments = v.segments,
                        error_code = v.error_code, error_message = '', sent_at = now(), next_attempt_at = NULL,
                        updated_at = now()
                    FROM (VALUES %s) AS v(id, sid, status, body, segments, error_code, token)
                    WHERE m.id = v.id AND m.claim_token = v.token AND m.status IN ('sending', 'unknown')
                    RETURNING m.id""", rows, template="(%s::bigint, %s, %s, %s, %s::int, %s, %s::uuid)",
                                         page_size=len(rows), fetch=True)
                mine = {row[0] for row in updated}
            kind, channel = _timeline_kind(send)
            interactions_record_bulk(
                dict(customer=message.customer, kind=kind, channel=channel, direction=Interaction.Direction.OUTBOUND,
                     department=send.department, staff=send.created_by, summary=text, source=message)
                for message, text, _accepted in pending if message.pk in mine)
        for message, text, accepted in pending:
            if message.pk not in mine:  # taken over while its request was out
                _record_accepted(send, message, text, accepted, token=self.token, apply_early=False)
        _apply_early_statuses([accepted.sid for _m, _t, accepted in pending])  # after commit


def _send_one(send, message, texts: SendTexts, token, backend, recorder: _AcceptedRecorder) -> None:
    """One row of a claimed batch: stamp the attempt, call the provider, record the outcome."""
    text, subject = texts.render(message)
    if send.channel == Send.Channel.SMS:
        _throttle()
    attachments = []
    if send.extra_values.get(ATTACHMENTS):
        try:  # before the attempt: a document that cannot be made fails the row, nothing half-sent
            attachments = _attachments_render(send)
        except Exception as exc:  # noqa: BLE001 - its record is gone or its renderer broke: never sendable
            log.warning("Attachments of send %s could not be made", send.pk, exc_info=True)
            _record_failed(message, token, "attachment", f"The attachment could not be made: {exc}")
            return
    attempt = _attempt_start(message.pk, token)
    if attempt is None:
        return  # another owner has it now (or the send stopped): not ours to send
    message.attempts = attempt
    try:
        if send.channel == Send.Channel.SMS:
            accepted = backend.send_sms(to=message.to, body=text)
        else:
            accepted = backends.send_email(to=message.to, subject=subject, body=text, attachments=attachments)
    except backends.TransientError as exc:
        _record_transient(message, token, exc)
    except backends.PermanentError as exc:
        _record_failed(message, token, exc.code, exc.message)
        if exc.code == "21610":
            # The carrier says this number unsubscribed (a STOP we never saw): honour it.
            from crm.services import customer_update

            customer_update(customer=message.customer, by=None, consents={ConsentChannel.SMS.value: False},
                            consent_source=OPT_OUT_CARRIER)
    except backends.UnknownOutcome as exc:
        Message.objects.filter(pk=message.pk, claim_token=token, status=Message.Status.SENDING).update(
            status=Message.Status.UNKNOWN, error_message=str(exc)[:300], updated_at=timezone.now())
    else:
        recorder.add(message, text, accepted)


def _timeline_kind(send: Send) -> tuple[str, str]:
    """How a sent message appears on the customer's timeline."""
    sms = send.channel == Send.Channel.SMS
    if send.purpose == Send.Purpose.MARKETING:
        kind = Interaction.Kind.CAMPAIGN_MESSAGE
    else:
        kind = Interaction.Kind.SMS if sms else Interaction.Kind.EMAIL
    return kind, Interaction.Channel.SMS if sms else Interaction.Channel.EMAIL


def _record_accepted(send: Send, message: Message, text: str, accepted: backends.Accepted, *,
                     token: uuid.UUID | None, claim: Q | None = None, apply_early: bool = True) -> bool:
    """The provider has the message: store its SID and status, write the timeline entry.

    Only the claim's owner may do so (``token``, or the sweeper's ``claim``); anything
    else means another owner took the row over, which is handled as a late answer."""
    status = PROVIDER_STATUS.get(accepted.status, Message.Status.SENT)
    segments = sms_length(text).segments if send.channel == Send.Channel.SMS else 0
    fields = dict(status=status, provider_sid=accepted.sid, body=text, segments=segments, sent_at=timezone.now(),
                  error_code=accepted.error_code[:16] if status in FINAL_FAILED else "", error_message="",
                  next_attempt_at=None, updated_at=timezone.now())
    mine = claim if claim is not None else Q(claim_token=token)
    with transaction.atomic():
        updated = Message.objects.filter(mine, pk=message.pk,
                                         status__in=[Message.Status.SENDING, Message.Status.UNKNOWN]).update(**fields)
        if not updated:
            # A late answer: the row was taken back while the request was out. If no one has
            # sent it again yet, keep this SID and stop the resend; otherwise it is too late.
            updated = Message.objects.filter(
                Q(status=Message.Status.QUEUED) | Q(status=Message.Status.SENDING, request_started_at__isnull=True),
                pk=message.pk, provider_sid__isnull=True).update(**fields, claim_token=None)
            log.warning("Late provider answer for message %s (SID %s): %s", message.pk, accepted.sid,
                        "kept" if updated else "the row was already resent or finished")
        if updated:
            kind, channel = _timeline_kind(send)
            interaction_record(customer=message.customer, kind=kind, channel=channel,
                               direction=Interaction.Direction.OUTBOUND, department=send.department,
                               staff=send.created_by, summary=text, source=message)
    if updated and apply_early:
        _apply_early_statuses([accepted.sid])  # after commit: see message_status_update
    return bool(updated)


def _record_transient(message: Message, token: uuid.UUID, exc: backends.TransientError) -> None:
    if message.attempts >= settings.SMS_MAX_ATTEMPTS:
        _record_failed(message, token, exc.code, f"Gave up after {message.attempts} attempts: {exc.message}")
        return
    Message.objects.filter(pk=message.pk, claim_token=token, status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED, claim_token=None, next_attempt_at=timezone.now() + _backoff(message.attempts),
        error_code=exc.code, error_message=exc.message[:300], updated_at=timezone.now())


def _record_failed(message: Message, token: uuid.UUID, code: str, text: str) -> None:
    Message.objects.filter(pk=message.pk, claim_token=token, status=Message.Status.SENDING).update(
        status=Message.Status.FAILED, error_code=code, error_message=text[:300], updated_at=timezone.now())


def _finish_if_done(send: Send) -> None:
    if not Message.objects.filter(send=send, status__in=OPEN_STATUSES).exists():
        Send.objects.filter(pk=send.pk, status=Send.Status.RUNNING).update(status=Send.Status.DONE)


# --- the sweeper ------------------------------------------------------------------------------
def _in_flight_cutoff_seconds() -> float:
    """No request can still be waiting for its answer after this long (the client's read
    timeout bounds each request), so the provider's list is then the whole truth."""
    return max(settings.SMS_STUCK_AFTER_SECONDS, 2 * settings.TWILIO_TIMEOUT_SECONDS)


def messages_release_expired_claims() -> int:
    """Claims whose lease ran out before their request was made go back to the queue.

    One statement; its WHERE is re-checked on each locked row, so a row whose owner
    stamped its attempt a moment ago is not taken (and that owner's own stamp fails on a
    row taken here)."""
    return Message.objects.filter(status=Message.Status.SENDING, request_started_at__isnull=True,
                                  lease_until__lt=Now()).update(
        status=Message.Status.QUEUED, claim_token=None, lease_until=None, updated_at=timezone.now())


def messages_reconcile_stuck(*, backend=None) -> int:
    """Requests with no known outcome (worker killed mid-request, read timeout, dropped
    connection, 5xx): ask the provider.

    Found there: record its SID and status (it was sent). Not found: back to QUEUED for a
    new attempt (or failed, when out of attempts). Only requests started longer ago than
    any request can take are touched, and every write compares the claim that was read.
    """
    backend = backend or backends.get_sms_backend()
    cutoff = timezone.now() - dt.timedelta(seconds=_in_flight_cutoff_seconds())
    stuck = Message.objects.filter(status__in=[Message.Status.SENDING, Message.Status.UNKNOWN],
                                   request_started_at__lt=cutoff, channel="sms") \
        .select_related("send", "customer__branch").prefetch_related("customer__assets").order_by("request_started_at")
    templates = {}
    fixed = 0
    for message in stuck.iterator(chunk_size=500):
        if message.send_id not in templates:
            templates[message.send_id] = SendTexts(message.send)
        text, _subject = templates[message.send_id].render(message)
        claim = Q(status=message.status, claim_token=message.claim_token,
                  request_started_at=message.request_started_at)
        # Match on number *and* text, and never take a SID another row already holds: the
        # customer may have had another message from us in the same minutes. The window
        # starts before the first request (clock skew between us and the provider).
        try:
            candidates = backend.find_sent(to=message.to, body=text,
                                           after=(message.claimed_at or message.request_started_at)
                                           - dt.timedelta(seconds=60))
        except Exception:  # the provider's API is down: this row waits for the next sweep
            log.warning("Could not ask the provider about message %s; will retry", message.pk, exc_info=True)
            continue
        taken = set(Message.objects.filter(provider_sid__in=[c.sid for c in candidates])
                    .values_list("provider_sid", flat=True))
        found = next((c for c in candidates if c.sid not in taken), None)
        if found:
            _record_accepted(message.send, message, text, found, token=None, claim=claim)
        elif message.attempts >= settings.SMS_MAX_ATTEMPTS:
            Message.objects.filter(claim, pk=message.pk).update(
                status=Message.Status.FAILED, error_code=message.error_code or "unknown",
                error_message=f"Gave up after {message.attempts} attempts; the provider has no such message",
                updated_at=timezone.now())
        else:
            Message.objects.filter(claim, pk=message.pk).update(
                status=Message.Status.QUEUED, claim_token=None, request_started_at=None,
                next_attempt_at=timezone.now() + _backoff(message.attempts), updated_at=timezone.now())
        fixed += 1
    return fixed


def messages_email_unresolved() -> int:
    """Email requests with no known outcome (the worker died or hung mid-request) get an end.

    Django's email backends keep no record to ask, so unlike an SMS such a row cannot be
    reconciled, and resending it blindly could deliver it twice. Once no request can still
    be in flight it becomes UNRESOLVED, a final state shown as such (its send can finish);
    staff may send it again with ``message_retry``."""
    cutoff = timezone.now() - dt.timedelta(seconds=_in_flight_cutoff_seconds())
    return Message.objects.filter(channel=Send.Channel.EMAIL, request_started_at__lt=cutoff,
                                  status__in=[Message.Status.SENDING, Message.Status.UNKNOWN]).update(
        status=Message.Status.UNRESOLVED, claim_token=None, lease_until=None, updated_at=timezone.now())


def message_retry(*, message: Message, by: User | None) -> Message:
    """Staff decided to send a message whose outcome is unknown again (it may arrive twice).

    The row goes back to the queue and its send runs again; a late answer of the first
    request, if one still comes, is kept instead of the resend (see _record_accepted)."""
    with transaction.atomic():
        send = Send.objects.select_for_update().get(pk=message.send_id)
        if send.status == Send.Status.CANCELLED:
            raise ValidationError(_("This send was cancelled: its messages are not sent again."), code="cancelled")
        now = timezone.now()
        if not Message.objects.filter(pk=message.pk, status=Message.Status.UNRESOLVED).update(
                status=Message.Status.QUEUED, claim_token=None, claimed_at=None, lease_until=None,
                request_started_at=None, next_attempt_at=None, updated_at=now):
            raise ValidationError(_("Only a message whose outcome is unknown can be sent again."),
                                  code="not_unresolved")
        if send.status == Send.Status.DONE:
            Send.objects.filter(pk=send.pk).update(status=Send.Status.RUNNING, updated_at=now)
            send.status = Send.Status.RUNNING
        log.info("Message %s (outcome unknown) requeued by %s", message.pk, by.email if by else "the system")
        if send.status == Send.Status.RUNNING:
            _dispatch_on_commit(send)
    message.refresh_from_db()
    return message


def messages_refresh_status(*, backend=None, limit: int = 500) -> int:
    """Messages that stay "sent" for long with no final status: fetch it from the provider
    (a missed callback is never retried by Twilio). Each row is asked again at most every
    SMS_STATUS_CHECK_AFTER_SECONDS, and only during the first two days."""
    every = dt.timedelta(seconds=settings.SMS_STATUS_CHECK_AFTER_SECONDS)
    now = timezone.now()
    rows = list(Message.objects.filter(status=Message.Status.SENT, channel="sms", sent_at__lt=now - every,
                                       sent_at__gt=now - dt.timedelta(days=2))
                .filter(Q(status_checked_at__isnull=True) | Q(status_checked_at__lt=now - every))
                .order_by("sent_at").values_list("pk", "provider_sid")[:limit])
    if not rows:
        return 0
    backend = backend or backends.get_sms_backend()
    Message.objects.filter(pk__in=[pk for pk, _ in rows]).update(status_checked_at=now)
    changed = 0
    for _pk, sid in rows:
        try:
            found = backend.fetch_status(sid=sid)
        except Exception:  # the provider's API is down: asked again after the next interval
            log.warning("Could not fetch the status of %s", sid, exc_info=True)
            continue
        if found and PROVIDER_STATUS.get(found.status) not in (None, Message.Status.SENT):
            changed += message_status_update(sid=sid, provider_status=found.status, error_code=found.error_code)
    return changed


SWEEP_LOCK = 0x52454C53  # "RELS": one sweep at a time across every worker


def sweep_once(*, backend=None) -> dict | None:
    """The periodic job: release expired claims, reconcile unknown outcomes, fetch missing
    final statuses, drop old early callbacks, wake sends with due rows. Returns None when
    another sweep holds the lock (beat fired twice, or queued sweeps arrive together)."""
    from .tasks import send_dispatch_task

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SWEEP_LOCK])
        if not cursor.fetchone()[0]:
            return None
    try:
        released = messages_release_expired_claims()
        reconciled = messages_reconcile_stuck(backend=backend)
        messages_email_unresolved()  # before sends_finish: an email with no answer must not keep its send open
        refreshed = messages_refresh_status(backend=backend)
        EarlyStatus.objects.filter(received_at__lt=timezone.now() - dt.timedelta(days=2)).delete()
        sends_finish()
        woken = 0
        for send_id, busy in sends_due():
            for _ in range(max(0, settings.SMS_DISPATCH_PARALLEL - busy)):
                try:
                    send_dispatch_task.apply_async((send_id,), expires=settings.SMS_SWEEP_SECONDS)
                except Exception:  # broker down: the next sweep wakes it
                    log.warning("Could not enqueue a dispatch task for send %s", send_id)
                    break
                woken += 1
        return {"released": released, "reconciled": reconciled, "refreshed": refreshed, "woken": woken}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SWEEP_LOCK])


def sends_finish() -> int:
    """Running sends with no open row left are done (their last dispatch task may have
    been lost with the broker before it could say so)."""
    still_open = Message.objects.filter(send=OuterRef("pk"), status__in=OPEN_STATUSES)
    return Send.objects.filter(status=Send.Status.RUNNING).exclude(Exists(still_open)).update(
        status=Send.Status.DONE, updated_at=timezone.now())


def sends_due() -> list[tuple[int, int]]:
    """Running sends with rows due now, and how many claims they have in hand."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.id,
                   (SELECT count(DISTINCT m.claim_token) FROM marketing_message m
                    WHERE m.send_id = s.id AND m.status = 'sending' AND m.request_started_at IS NULL)
            FROM marketing_send s
            WHERE s.status = 'running' AND EXISTS (
                SELECT 1 FROM marketing_message m WHERE m.send_id = s.id AND m.status = 'queued'
                  AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now()))
            """)
        return cursor.fetchall()


# --- provider callbacks ----------------------------------------------------------------------
def _apply_status(sid: str, status: str, error_code: str) -> int:
    lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    fields = {"status": status, "updated_at": timezone.now()}
    if error_code:
        fields["error_code"] = error_code[:16]
    return Message.objects.filter(provider_sid=sid, status__in=lower).update(**fields)


def message_status_update(*, sid: str, provider_status: str, error_code: str = "") -> bool:
    """Apply a status callback; never moves a message backwards.

    A callback for a SID we have not saved yet (the provider called back before our
    worker had the create answer, or the answer was lost and the row awaits
    reconciliation) is kept as an EarlyStatus and applied when the SID is recorded.
    Both sides write first and read second (this side: keep, then look for the SID; the
    worker: commit the SID, then look for kept callbacks), so one of them always sees
    the other. Returns False for a SID no message has (yet)."""
    status = PROVIDER_STATUS.get(provider_status)
    if status is None:
        return Message.objects.filter(provider_sid=sid).exists()
    if _apply_status(sid, status, error_code) or Message.objects.filter(provider_sid=sid).exists():
        return True
    EarlyStatus.objects.create(sid=sid, status=provider_status[:16], error_code=error_code[:16])
    if Message.objects.filter(provider_sid=sid).exists():
        _apply_early_statuses([sid])
        return True
    log.info("Status callback for a SID not recorded yet, kept: %s (%s)", sid, provider_status)
    return False


def _apply_early_statuses(sids: list[str]) -> None:
    """Apply (and drop) the callbacks kept for these just-recorded SIDs: one statement for
    a whole batch on the hot path. Should the process die between taking and applying
    them, the message stays "sent" until messages_refresh_status asks the provider."""
    if not sids:
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM marketing_earlystatus WHERE sid = ANY(%s) RETURNING sid, status, error_code",
                       [list(sids)])
        kept = cursor.fetchall()
    for sid, provider_status, error_code in kept:
        status = PROVIDER_STATUS.get(provider_status)
        if status:
            _apply_status(sid, status, error_code)


STOP_WORDS = {"STOP", "BERHENTI", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "MULAI"}


def _keyword_source(word: str) -> str:
    return f"sms-{word.lower()}"


# The consent sources written when customers withdraw consent themselves: an SMS STOP, the
# opt-out link in a marketing SMS, or the carrier telling us the number unsubscribed. A
# consent that is off with one of these as its source was withdrawn. Off with any other
# source it counts as not given: the consent stamp (``<channel>_consent_at``) is written
# for a first "no" too, so a withdrawal that staff recorded by unticking the box looks the
# same as a refusal.
OPT_OUT_CARRIER = "twilio-21610"
OPT_OUT_LINK = "link"
OPT_OUT_SOURCES = frozenset({*(_keyword_source(w) for w in STOP_WORDS), OPT_OUT_CARRIER, OPT_OUT_LINK})


def sms_inbound(*, from_number: str, body: str) -> str:
    """An SMS from a customer: opt-out/in keywords change consent, anything else is logged."""
    from crm.services import customer_update

    customers = list(Customer.objects.filter(Q(phone=from_number) | Q(phone_alt=from_number)))
    word = body.strip().upper()
    if word in STOP_WORDS or word in START_WORDS:
        for customer in customers:
            customer_update(customer=customer, by=None, consents={ConsentChannel.SMS.value: word in START_WORDS},
                            consent_source=_keyword_source(word))
        return "opt-in" if word in START_WORDS else "opt-out"
    for customer in customers:
        interaction_record(customer=customer, kind=Interaction.Kind.SMS, channel=Interaction.Channel.SMS,
                           direction=Interaction.Direction.INBOUND, department="marketing", summary=body[:2000])
    return "logged" if customers else "unknown-sender"


def optout_message_get(code: str) -> Message | None:
    """The message whose opt-out link carries ``code`` (with its customer), or None."""
    from crm.public import is_public_code

    if not is_public_code(code):
        return None
    return Message.objects.select_related("customer").filter(optout_code=code).first()


def sms_opt_out_by_link(*, message: Message) -> list[Customer]:
    """The customer pressed "stop" on the page of ``message``'s opt-out link: SMS consent off,
    with time and source "link", and a timeline entry (crm's consent service). The next
    marketing send counts them as opted out. Pressing it again changes nothing.

    The page promises the *number* no more SMS: every other customer record whose SMS go to
    that number (a duplicate, a company registered on the owner's phone) is opted out too,
    as an SMS STOP from it would (sms_inbound)."""
    from crm.services import customer_update

    customers = [message.customer, *Customer.objects.filter(phone=message.to).exclude(pk=message.customer_id)
                 .order_by("pk")] if message.to else [message.customer]
    with transaction.atomic():
        return [customer_update(customer=customer, by=None, consents={ConsentChannel.SMS.value: False},
                                consent_source=OPT_OUT_LINK) for customer in customers]
