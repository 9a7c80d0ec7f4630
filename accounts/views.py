"""Login with the "this is a shared computer" choice; the other auth pages are Django's own
views in Relasi's templates (templates/registration/)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.selectors import parse_page

from . import selectors as notification_selectors
from .access import staff_view
from .forms import EmailAuthenticationForm, ProfileForm
from .middleware import IDLE_LIMIT_KEY
from .notification_forms import NotificationSettingsForm
from .services import notification_mark_read as notification_mark_read_service
from .services import notification_preferences_set, notifications_mark_all_read, staff_language_set


class LoginView(auth_views.LoginView):
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)  # logs in: a new session key from here on
        session = self.request.session
        if form.cleaned_data.get("shared_computer"):
            # Ends when the browser closes, and after a shorter spell without activity.
            session.set_expiry(0)
            session[IDLE_LIMIT_KEY] = settings.SESSION_SHARED_IDLE_SECONDS
        return response


@require_http_methods(["GET", "POST"])
@staff_view()
def profile(request):
    """The staff member's own settings: the language of every page they see.

    The user menu's one-click switch posts here too, with ``next``: the page it came from.
    """
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = staff_language_set(user=request.user, language=form.cleaned_data["language"])
        translation.activate(user.language)  # the confirmation already in the new language
        messages.success(request, _("Language changed to %(language)s.")
                         % {"language": user.get_language_display()})
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
            next_url = "profile"
        response = redirect(next_url)
        # After logging out, this browser's login page stays in the same language.
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=settings.LANGUAGE_COOKIE_AGE,
                            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response
    return render(request, "accounts/profile.html", {"form": form})


# --- Staff notifications (URLs in accounts/notification_urls.py, under /notifications/).
# Every member of staff may read and dismiss their own notifications: login is the only
# permission, and someone else's notification is a 404 (selectors.notification_get_for_user).


def _notification_list_url(page) -> str:
    page = parse_page(page)
    url = reverse("notifications:list")
    return f"{url}?page={page}" if page > 1 else url


@require_GET
@staff_view()
def notification_list(request):
    page = notification_selectors.notification_list(user=request.user, page=parse_page(request.GET.get("page")))
    return render(request, "accounts/notifications.html", {"page": page})


@require_GET
@never_cache
def notification_bell(request):
    """The unread count in the top bar, fetched by htmx when a page loads and every minute."""
    if request.htmx and not request.user.is_authenticated:
        # The session ended while the page sat open (logged out when idle): reload the page,
        # which shows the login page, instead of putting the login page inside the bell.
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return _notification_bell(request)


@staff_view()
def _notification_bell(request):
    unread = notification_selectors.notifications_unread_count(request.user)
    return render(request, "accounts/partials/notifications_bell.html",
                  {"unread": unread, "unread_cap": notification_selectors.UNREAD_COUNT_CAP})


@require_POST
@staff_view()
def notification_mark_read(request, notification_id):
    notification = notification_selectors.notification_get_for_user(request.user, notification_id)
    notification_mark_read_service(notification=notification)
    if request.htmx:
        # The row swaps in place; the bell hears "notifications-changed" and counts again.
        response = render(request, "accounts/partials/notifications_row.html",
                          {"n": notification, "page_number": parse_page(request.POST.get("page"))})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect(_notification_list_url(request.POST.get("page")))


@require_POST
@staff_view()
def notification_mark_all_read(request):
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, ngettext("%(count)d notification marked as read.",
                                           "%(count)d notifications marked as read.", count) % {"count": count})
    else:
        messages.info(request, _("You have no unread notifications."))
    return redirect("notifications:list")


@require_http_methods(["GET", "POST"])
@staff_view()
def notification_settings(request):
    # Not ``request.POST or None``: unticking every box posts no field at all.
    form = NotificationSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"email_kinds": sorted(notification_selectors.notification_email_kinds(request.user))},
    )
    if request.method == "POST" and form.is_valid():
        notification_preferences_set(user=request.user, email_kinds=form.cleaned_data["email_kinds"])
        messages.success(request, _("Notification settings saved."))
        return redirect("notifications:settings")
    return render(request, "accounts/notifications_settings.html", {"form": form})
