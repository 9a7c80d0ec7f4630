"""Writes for staff accounts, and the staff notifications every app sends."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import smtplib
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification, NotificationPreference, User
from .notifications import notification_kind, notification_kinds
from .roles import DEPARTMENT_GROUP


@transaction.atomic
def staff_sync_role(*, user: User) -> None:
    """Put the user in their department's role group and out of the other department groups."""
    role_groups = Group.objects.filter(name__in=DEPARTMENT_GROUP.values())
    user.groups.remove(*[g for g in role_groups if g.name != DEPARTMENT_GROUP.get(user.department)])
    if user.department in DEPARTMENT_GROUP:
        user.groups.add(Group.objects.get(name=DEPARTMENT_GROUP[user.department]))


@transaction.atomic
def staff_create(*, email: str, password: str | None, branch, department: str, **fields) -> User:
    user = User.objects.create_user(email=email, password=password, branch=branch, department=department, **fields)
    staff_sync_role(user=user)
    return user


def staff_language_set(*, user: User, language: str) -> User:
    """The language every page is shown to ``user`` in, from their next request on."""
    user.language = language
    user.save(update_fields=["language", "updated_at"])
    return user


# --- Staff notifications (accounts.models.Notification; kinds in accounts.notifications).

log = logging.getLogger(__name__)

# What a failed email send may be worth trying again: the mail server is down or slow.
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, OSError)
PRUNE_BATCH_SIZE = 5000
# An email copy still queued or sending this long after its notification has lost its task:
# longer than all the task's tries (after 1, 2, 4, 8 and 16 minutes) take.
EMAIL_STUCK_AFTER = dt.timedelta(hours=1)
_TEXT_MAX = Notification._meta.get_field("text").max_length
_URL_MAX = Notification._meta.get_field("target_url").max_length


@transaction.atomic
def notification_send(*, to: User | Iterable[User | None] | None, verb: str, target: models.Model,
                      by: User | None = None) -> list[Notification]:
    """Tell ``to`` (a member of staff, or several) that ``by`` did ``verb`` to ``target``.

    The one way every app notifies staff. ``verb`` is a kind declared in
    ``accounts.notifications``. Nobody is told what they did themselves (``by`` is left
    out of ``to``), nor are deactivated accounts; ``None`` among ``to`` is skipped, so
    ``to=customer.owner`` needs no check. A recipient who asked for email copies of this
    kind gets one, enqueued only once the transaction commits: a send inside a transaction
    that rolls back leaves neither a row nor an email.
    """
    if notification_kind(verb) is None:
        raise LookupError(f"Unknown notification kind {verb!r}: declare it with notification_kind_register().")
    if target is None or target.pk is None:
        raise ValueError("A notification needs a saved target.")
    recipients: dict[int, User] = {}
    for user in [to] if to is None or isinstance(to, User) else to:
        if user is None or not user.is_active or (by is not None and user.pk == by.pk):
            continue
        recipients.setdefault(user.pk, user)
    if not recipients:
        return []
    wants_email = set(
        NotificationPreference.objects.filter(user__in=list(recipients), kind=verb, email=True)
        .values_list("user_id", flat=True)
    )
    url = target.get_absolute_url() if hasattr(target, "get_absolute_url") else ""
    text = " ".join(str(target).split())  # one line, whatever the target's name holds
    common = {
        "verb": verb,
        "actor": by,
        "target_type": ContentType.objects.get_for_model(target),
        "target_id": target.pk,
        "target_url": url if len(url) <= _URL_MAX else "",  # a cut-off link would lead nowhere
        "text": text[:_TEXT_MAX - 1] + "…" if len(text) > _TEXT_MAX else text,
        "created_at": timezone.now(),
    }
    queued, none = Notification.EmailStatus.QUEUED, Notification.EmailStatus.NONE
    notifications = Notification.objects.bulk_create([
        Notification(recipient=user, **common, email_status=queued if pk in wants_email else none)
        for pk, user in recipients.items()
    ])
    to_email = [n.pk for n in notifications if n.email_status == queued]
    if to_email:
        transaction.on_commit(functools.partial(_enqueue_emails, to_email))
    return notifications


def _enqueue_emails(notification_ids: list[int]) -> None:
    from .tasks import notification_email_task

    try:
        for pk in notification_ids:
            notification_email_task.delay(pk)
    except Exception:
        # Broker down: the notifications are saved and shown; the email copies stay "queued"
        # until notification_emails_sweep enqueues them again.
        log.warning("Could not enqueue the email copy of notifications %s", notification_ids, exc_info=True)


def notification_email_render(notification: Notification) -> tuple[str, str]:
    """Subject and body of the email copy, in the recipient's language."""
    with translation.override(notification.recipient.language or settings.LANGUAGE_CODE):
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        kind = notification.kind_label
        subject = _("[Relasi] %(kind)s: %(text)s") % {"kind": kind, "text": notification.text}
        body = render_to_string("accounts/notifications_email.txt", {
            "notification": notification,
            "kind": kind,
            "link": f"{base}{notification.target_url}" if notification.target_url else "",
            "settings_link": f"{base}{reverse('notifications:settings')}",
        })
    return " ".join(subject.split()), body


def notification_email_send(*, notification_id: int) -> bool:
    """Send the email copy of one notification, once; False if there is none to send.

    The row is claimed (queued -> sending) before the mail server is called, so a task
    delivered twice sends once. A worker that dies mid-send leaves the row "sending": the
    copy may be lost, never doubled (the notification itself is in the list either way);
    notification_emails_sweep ends it as "failed".
    """
    queued = Notification.EmailStatus.QUEUED
    if not Notification.objects.filter(pk=notification_id, email_status=queued).update(
            email_status=Notification.EmailStatus.SENDING):
        return False  # sent already, not wanted, pruned, or another worker got there first
    notification = Notification.objects.select_related("recipient", "actor").filter(pk=notification_id).first()
    if notification is None:
        return False  # the recipient was deleted meanwhile
    try:
        subject, body = notification_email_render(notification)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
    except TRANSIENT_EMAIL_ERRORS:
        # Not sent: back in the queue for the task's next try.
        Notification.objects.filter(pk=notification_id).update(email_status=queued)
        raise
    except Exception:
        Notification.objects.filter(pk=notification_id).update(email_status=Notification.EmailStatus.FAILED)
        raise
    Notification.objects.filter(pk=notification_id).update(email_status=Notification.EmailStatus.SENT,
                                                           emailed_at=timezone.now())
    return True


def notification_emails_sweep(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Give every email copy an end: (enqueued again, given up).

    A copy still "queued" ``EMAIL_STUCK_AFTER`` after its notification lost its task (the
    broker was down, or the message was lost): it is enqueued again, and the claim makes a
    second task harmless. One still "sending" that long had its worker die mid-send: it may
    have left, so it is never resent blindly but ends "failed", visibly.
    """
    stuck = Notification.objects.filter(created_at__lt=(now or timezone.now()) - EMAIL_STUCK_AFTER)
    given_up = stuck.filter(email_status=Notification.EmailStatus.SENDING).update(
        email_status=Notification.EmailStatus.FAILED)
    lost = list(stuck.filter(email_status=Notification.EmailStatus.QUEUED).values_list("pk", flat=True))
    if lost:
        _enqueue_emails(lost)
    return len(lost), given_up


def notification_email_give_up(*, notification_id: int) -> None:
    """The mail server kept failing: the copy stays unsent, visibly (status "failed")."""
    Notification.objects.filter(pk=notification_id, email_status=Notification.EmailStatus.QUEUED).update(
        email_status=Notification.EmailStatus.FAILED)


def notification_mark_read(*, notification: Notification) -> bool:
    """Mark one notification read; False if it already was. One UPDATE: atomic by itself."""
    now = timezone.now()
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    if updated:
        notification.read_at = now
    return bool(updated)


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; how many were. One UPDATE."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, user: User, email_kinds: Iterable[str]) -> None:
    """``user`` wants an email copy of exactly these kinds (of those declared now)."""
    declared = [kind.code for kind in notification_kinds()]
    wanted = set(email_kinds)
    unknown = wanted - set(declared)
    if unknown:
        raise ValueError(f"Unknown notification kinds: {', '.join(sorted(unknown))}")
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=user, kind=code, email=code in wanted) for code in declared],
        update_conflicts=True, unique_fields=["user", "kind"], update_fields=["email"],
    )


def notifications_prune(*, older_than: dt.timedelta | None = None, batch_size: int = PRUNE_BATCH_SIZE) -> int:
    """Delete notifications older than ``older_than`` (NOTIFICATION_MAX_AGE_DAYS by default);
    how many were deleted.

    In batches of ``batch_size`` rows, each its own short statement and transaction (this
    is deliberately not atomic): a million old rows never sit under one long lock, and a
    run that stops half way has still done its part. Safe to run twice at once: the second
    finds fewer rows, or none.
    """
    if older_than is None:
        older_than = dt.timedelta(days=settings.NOTIFICATION_MAX_AGE_DAYS)
    cutoff = timezone.now() - older_than
    total = 0
    while True:
        batch = Notification.objects.filter(created_at__lt=cutoff).order_by().values("pk")[:batch_size]
        # DELETE ... WHERE id IN (SELECT id ... LIMIT n): nothing refers to a notification,
        # so Django deletes without loading the rows.
        deleted, _by_model = Notification.objects.filter(pk__in=batch).delete()
        total += deleted
        if deleted < batch_size:
            return total
