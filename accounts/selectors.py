"""Reads of staff notifications, shaped for the pages that show them.

Each member of staff sees only their own notifications (``Notification.objects.visible_to``):
someone else's is a 404, whatever their branch or role.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.expressions import RawSQL

from crm.selectors import Page, page_of

from .access import get_for_user_or_404
from .models import Notification, NotificationPreference, User

# The bell counts at most this many unread (and shows "99+"): its query costs the same for
# someone who never reads their notifications as for everyone else.
UNREAD_COUNT_CAP = 100

# What the list, the bell and the home page show of a notification: no target is loaded.
_LIST_FIELDS = ("public_id", "verb", "text", "target_url", "created_at", "read_at",
                "actor__first_name", "actor__last_name", "actor__email")


def notification_get_for_user(user: User, notification_id) -> Notification:
    """The user's own notification with this public id; 404 for anyone else's."""
    return get_for_user_or_404(Notification.objects.select_related("actor"), user, public_id=notification_id)


def _mine(user: User):
    return Notification.objects.visible_to(user)


def notification_list(*, user: User, page: int = 1) -> Page:
    """The user's notifications, newest first, read and unread, a page at a time."""
    qs = _mine(user).select_related("actor").only(*_LIST_FIELDS).order_by("-created_at", "-id")
    return page_of(qs, page, settings.NOTIFICATION_PAGE_SIZE)


def notifications_unread_count(user: User) -> int:
    """How many unread notifications the user has, counted up to UNREAD_COUNT_CAP."""
    return _mine(user).filter(read_at__isnull=True).order_by()[:UNREAD_COUNT_CAP].count()


def notifications_unread_for(user: User, *, limit: int = 5) -> tuple[list[Notification], int]:
    """The user's ``limit`` newest unread notifications and how many are unread (up to
    UNREAD_COUNT_CAP), for the home page, in one query: the count rides along on every row
    (an uncorrelated subquery, which PostgreSQL runs once)."""
    count = RawSQL(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {Notification._meta.db_table} "
        "WHERE recipient_id = %s AND read_at IS NULL LIMIT %s) AS unread",
        (user.pk, UNREAD_COUNT_CAP),
    )
    rows = list(_mine(user).filter(read_at__isnull=True).select_related("actor").only(*_LIST_FIELDS)
                .annotate(unread_count=count).order_by("-created_at", "-id")[:limit])
    return rows, rows[0].unread_count if rows else 0


def notification_email_kinds(user: User) -> set[str]:
    """The kinds of notification the user wants an email copy of."""
    return set(NotificationPreference.objects.filter(user=user, email=True).values_list("kind", flat=True))
