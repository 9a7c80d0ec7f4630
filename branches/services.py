"""Writes of the branch calendar. Views, the admin and demo data call these."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import Branch

from .models import Closure, OpeningHours, Weekday
from .selectors import closures_overlapping, overlapping_ranges

log = logging.getLogger(__name__)


def _lock(branch: Branch) -> None:
    # Two managers saving the same branch's calendar at once: one after the other, so the
    # overlap checks below see what the other one saved.
    Branch.objects.select_for_update().filter(pk=branch.pk).values_list("pk").first()


def opening_hours_validate(ranges: list[tuple[int, dt.time, dt.time]]) -> None:
    """Raise ValidationError if a range ends before it starts or two ranges of a day overlap."""
    errors = []
    for weekday, opens, closes in ranges:
        if weekday not in Weekday.values:
            errors.append(ValidationError(_("%(day)s is not a day of the week.") % {"day": weekday}))
        elif closes <= opens:
            errors.append(ValidationError(_("%(day)s: %(opens)s–%(closes)s closes before it opens.") % {
                "day": Weekday(weekday).label, "opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}"}))
    for i, j in overlapping_ranges(ranges):
        (day, opens_i, closes_i), (_day, opens_j, closes_j) = ranges[i], ranges[j]
        errors.append(ValidationError(_("%(day)s: %(a)s overlaps %(b)s.") % {
            "day": Weekday(day).label, "a": f"{opens_j:%H:%M}–{closes_j:%H:%M}", "b": f"{opens_i:%H:%M}–{closes_i:%H:%M}"}))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def opening_hours_replace(*, branch: Branch, ranges: Iterable[tuple[int, dt.time, dt.time]], by=None
                          ) -> list[OpeningHours]:
    """Make ``ranges`` ((weekday, opens, closes) each) the branch's weekly opening hours.

    An empty list is refused: a branch with no hours of its own would silently fall back to
    the default hours. To close a branch for a while, add a closure; to go back to the
    default hours, call ``opening_hours_reset``.
    """
    ranges = sorted(set(ranges))
    if not ranges:
        raise ValidationError(_("Enter at least one opening range. To close the branch for a while, add a closure."))
    opening_hours_validate(ranges)
    _lock(branch)
    OpeningHours.objects.filter(branch=branch).delete()
    rows = OpeningHours.objects.bulk_create(
        OpeningHours(branch=branch, weekday=weekday, opens=opens, closes=closes) for weekday, opens, closes in ranges
    )
    log.info("opening hours of branch %s replaced by %s: %d ranges", branch.code, by, len(rows))
    return rows


@transaction.atomic
def opening_hours_reset(*, branch: Branch, by=None) -> int:
    """Drop the branch's own hours: it opens on the default hours (branches.selectors.DEFAULT_HOURS)."""
    _lock(branch)
    deleted, _counts = OpeningHours.objects.filter(branch=branch).delete()
    log.info("opening hours of branch %s reset to the default by %s", branch.code, by)
    return deleted


def _date(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


@transaction.atomic
def closure_create(*, branch: Branch, starts_on: dt.date, ends_on: dt.date, reason: str, by=None) -> Closure:
    """Close the branch from ``starts_on`` to ``ends_on`` (both included)."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Say why the branch is closed.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The last day closed is before the first day.")
    if errors:
        raise ValidationError(errors)
    _lock(branch)
    clash = closures_overlapping(branch, starts_on, ends_on)
    if clash:
        other = clash[0]
        raise ValidationError({"starts_on": _("Overlaps the closure “%(reason)s” (%(first)s – %(last)s).") % {
            "reason": other.reason, "first": _date(other.starts_on), "last": _date(other.ends_on)}})
    closure = Closure.objects.create(branch=branch, starts_on=starts_on, ends_on=ends_on, reason=reason)
    log.info("closure %s of branch %s created by %s", closure.public_id, branch.code, by)
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure, by=None) -> None:
    log.info("closure %s of branch %s deleted by %s", closure.public_id, closure.branch_id, by)
    closure.delete()


# --- branch sync: head office's watch (issue 16) --------------------------------------------------
def sync_watch(*, now=None) -> int:
    """Notify head office once about each branch silent longer than SYNC_SILENT_HOURS (again
    after it synchronised and fell silent again), and prune the change log. Returns how many
    branches were newly reported silent."""
    import datetime as dt

    from django.conf import settings
    from django.db.models import F, Q
    from django.utils import timezone

    from accounts.models import Department, User
    from accounts.services import notification_send

    from .models import BranchLink
    from .sync import prune_hq

    now = now or timezone.now()
    limit = now - dt.timedelta(hours=settings.SYNC_SILENT_HOURS)
    silent = (BranchLink.objects.select_related("branch")
              .filter(branch__sync_credentials__revoked_at__isnull=True)
              .filter(Q(last_success_at__lt=limit) | Q(last_success_at__isnull=True, branch__sync_credentials__created_at__lt=limit))
              # Once per silence: not again until it has synchronised since the last notice.
              .filter(Q(silent_notified_at__isnull=True) | Q(silent_notified_at__lt=F("last_success_at")))
              .distinct())
    told = 0
    head_office = list(User.objects.filter(is_active=True, department=Department.HEAD_OFFICE))
    for link in silent:
        notification_send(to=head_office, verb="branches.sync_silent", target=link.branch)
        BranchLink.objects.filter(pk=link.pk).update(silent_notified_at=now)
        told += 1
    prune_hq()
    return told



def conflict_resolve(*, conflict, by, take_other: bool) -> None:
    """A person reviewed a sync conflict: keep the value that won, or take the other one.

    Taking the other value is an ordinary edit at head office: the triggers log and stamp it,
    and the branch receives it on its next sync, so both sides agree again.
    """
    from django.apps import apps
    from django.core.exceptions import ValidationError
    from django.db import DataError, IntegrityError, transaction
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .models import Conflict
    from .wire import KeyMap, from_json

    with transaction.atomic():
        conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.resolved_at is not None:
            raise ValidationError(_("This conflict was already reviewed."))
        if take_other:
            if conflict.reason == Conflict.Reason.REJECTED or not conflict.field:
                raise ValidationError(_("A record that could not be applied has no other value to take."))
            model = apps.get_model(conflict.model)
            obj = model._base_manager.filter(public_id=conflict.record_id).first()
            if obj is None:
                raise ValidationError(_("The record no longer exists."))
            field = model._meta.get_field(conflict.field)
            other = conflict.branch_value if conflict.winner == Conflict.Winner.HQ else conflict.hq_value
            keymap = KeyMap()
            if field.many_to_many:
                keys = [tuple(k) if isinstance(k, list) else k for k in other or []]
                found = keymap.pks(field.related_model, set(keys))
                getattr(obj, field.name).set([found[k] for k in keys if k in found])
            else:
                if field.is_relation:
                    key = tuple(other) if isinstance(other, list) else other
                    value = keymap.pks(field.related_model, {key}).get(key) if other is not None else None
                else:
                    value = from_json(field, other)
                setattr(obj, field.attname, value)
                try:
                    with transaction.atomic():
                        obj.save(update_fields=[field.attname])
                except (IntegrityError, DataError) as e:
                    # e.g. the other phone number now belongs to another customer: say so, change nothing
                    raise ValidationError(_("The other value cannot be stored: %(reason)s")
                                          % {"reason": str(e).splitlines()[0]})
        conflict.resolved_at = timezone.now()
        conflict.resolved_by = by
        conflict.resolution = Conflict.Resolution.TOOK_OTHER if take_other else Conflict.Resolution.KEPT
        conflict.save(update_fields=["resolved_at", "resolved_by", "resolution"])


def sync_now_request() -> None:
    """"Sync now" at a branch instance: the sync runs in the worker; the page follows its progress.
    If the task cannot be queued (the broker is down), the page says so instead of waiting."""
    import logging

    from django.utils.translation import gettext as _

    from .models import SyncState
    from .tasks import sync_now_task

    SyncState.objects.get_or_create(pk=1)
    from django.utils import timezone

    SyncState.objects.filter(pk=1).update(progress={"running": True, "phase": "queued",
                                                    "queued": timezone.now().isoformat()})
    try:
        sync_now_task.delay()
    except Exception:  # noqa: BLE001 - kombu's errors vary by transport; the page must not 500
        logging.getLogger(__name__).warning("Sync now could not be queued", exc_info=True)
        message = _("The sync could not be started (the task queue is unreachable). Try again in a moment.")
        SyncState.objects.filter(pk=1).update(progress={"running": False, "phase": "failed", "error": message},
                                              last_error=message)
