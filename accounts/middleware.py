"""Per-request middleware for staff: their branch's time zone, their language, and sessions that
end when idle.

All go after ``AuthenticationMiddleware`` in ``settings.MIDDLEWARE``.
"""

from __future__ import annotations

import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone, translation
from django.utils.translation import gettext as _

# Session keys (underscore: Django's own convention for internal session data).
LAST_SEEN_KEY = "_relasi_last_seen"
IDLE_LIMIT_KEY = "_relasi_idle_seconds"
# The last-seen time is written at most this often, so a page that loads ten htmx
# fragments does not write the session row ten times.
TOUCH_EVERY_SECONDS = 60
# Sent by requests a page makes on its own, not the user (templates/base.html: the bell's poll).
BACKGROUND_HEADER = "X-Relasi-Background"


def user_time_zone(user) -> zoneinfo.ZoneInfo | None:
    """The zone a member of staff works in: their branch's (head office staff: head office's).

    ``None`` for anonymous users and staff without a branch: the default ``TIME_ZONE`` applies.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    branch = getattr(user, "branch", None)
    name = getattr(branch, "time_zone", "") if branch is not None else ""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # A zone name typed into the back office that this machine does not know.
        return None


class UserTimezoneMiddleware:
    """Each request runs in the user's branch time zone: forms read the times typed in it
    (a ``datetime-local`` input is local time), templates show times in it, and
    ``timezone.localtime()``/``localdate()`` mean the user's "today"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = user_time_zone(request.user)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            # The worker thread serves the next request for someone else.
            timezone.deactivate()


def mark_login_time(sender, request, user, **kwargs):
    """Receiver of ``user_logged_in`` (connected in accounts/models.py): every way in (our
    login page, the back office's, ``Client.force_login``) starts the idle clock at once."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN_KEY] = int(time.time())


def idle_limit_seconds(request) -> int:
    """How long this session may sit unused before it ends."""
    return int(request.session.get(IDLE_LIMIT_KEY) or settings.SESSION_IDLE_SECONDS)


class IdleSessionMiddleware:
    """Logs a user out after a spell without any request (a working day by default; less on a
    computer marked as shared at login), and keeps the session alive while it is used.

    The cookie's and the stored session's lifetime is ``SESSION_COOKIE_AGE`` (the idle limit)
    from the last time the session was saved; the last-seen time here is saved at most once a
    minute, which also pushes both expiries forward. The check below covers sessions whose
    own idle limit is shorter than ``SESSION_COOKIE_AGE`` (shared computers).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if "_auth_user_id" in session:  # logged in; checked without loading the user
            now = int(time.time())
            last_seen = session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - int(last_seen) > idle_limit_seconds(request):
                logout(request)  # flushes the session: a fresh, anonymous one from here on
                messages.info(request, _("You were logged out after a period without activity. "
                                         "Please log in again."))
            elif request.headers.get(BACKGROUND_HEADER) != "true" and (
                    last_seen is None or now - int(last_seen) >= TOUCH_EVERY_SECONDS):
                # A request the page makes by itself (the notification bell's poll says so
                # with this header) is not the user at work: it must not keep a page left
                # open on a shared computer logged in. It still ends an idle session.
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)


def user_language(user) -> str | None:
    """The language a member of staff picked on their profile (``User.language``), if we offer it."""
    if not getattr(user, "is_authenticated", False):
        return None
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else None


class UserLanguageMiddleware:
    """A logged-in staff member sees every page (the back office too) in the language of their
    profile, from the first page after login; anyone else gets what ``LocaleMiddleware`` chose
    from the browser's Accept-Language, Indonesian when it names nothing we offer.

    After ``AuthenticationMiddleware``; the language stays active until the response leaves
    ``LocaleMiddleware``, which names it in the Content-Language header (and activates the
    next request's language itself, so nothing leaks to the next user of the thread).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = user_language(request.user)
        if language is not None:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
