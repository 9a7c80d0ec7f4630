"""The anonymous walk: every URL pattern of the project, asked with GET and POST by someone
not logged in, sends them to log in or refuses; only the way in is public.

The patterns come from the resolver (tests/accounts/urlwalk.py), so a URL added anywhere,
in any app or the admin, is walked without editing this file.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

import accounts.urls
import crm.customer_urls

from .urlwalk import concrete_url, walk

pytestmark = pytest.mark.django_db

# The way in needs no login. Each entry: why it is public, and the statuses GET and POST
# may answer for someone not logged in (exactly these; a change is a decision to review).
PUBLIC = {
    "login": ("the login page itself", {200}, {200}),
    "logout": ("logging out needs no session; GET is refused, POST goes to the login page", {405}, {302}),
    "password_reset": ("asking for a reset link", {200}, {200}),
    "password_reset_done": ("after asking for a link", {200}, {405}),
    "password_reset_confirm": ("the link from the email (here an invalid one)", {200}, {200}),
    "password_reset_complete": ("after setting the new password", {200}, {405}),
    "admin:login": ("the back office's login page", {200}, {200}),
    # Django's admin sends a visitor who is not logged in from its logout to its index,
    # which asks them to log in.
    "admin:logout": ("the back office's logout", {302}, {302}),
    # Head office's sync endpoints: branch instances call them with a branch credential
    # (Authorization: Bearer ...) instead of a session; without one they answer 401.
    "sync:push": ("a branch instance's push, credential instead of login", {405}, {401}),
    "sync:pull": ("a branch instance's pull, credential instead of login", {405}, {401}),
    "sync:snapshot": ("a branch instance's first copy, credential instead of login", {405}, {401}),
}
# Patterns no URL can be built for (none today). Name or route -> reason.
UNBUILDABLE = {}
REFUSED = {403, 404, 405}


def is_login_redirect(response, url, login_url) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response["Location"])
    return location.path == login_url and parse_qs(location.query).get("next") == [url]


def test_it_finds_every_url_pattern_of_the_project():
    patterns = walk()
    names = {p.name for p in patterns}
    # Not vacuous: every page of ours and every back-office page of every registered model is walked.
    assert {f"crm:{p.name}" for p in crm.customer_urls.urlpatterns} <= names
    assert {p.name for p in accounts.urls.urlpatterns} <= names
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert {f"{info}_{view}" for view in ("changelist", "add", "change", "delete", "history")} <= names
    assert {"admin:index", "admin:app_list", "admin:view_on_site"} <= names
    assert "admin/(?P<url>.*)$" in {p.route for p in patterns}  # the admin's catch-all
    assert len(patterns) >= 100
    assert set(PUBLIC) <= names, "a public page in the list above no longer exists"


def test_it_builds_a_url_for_every_pattern():
    unbuilt = {p.name or p.route for p in walk() if concrete_url(p) is None}
    assert unbuilt == set(UNBUILDABLE), sorted(unbuilt)


def test_it_sends_anonymous_visitors_to_log_in_everywhere_but_the_way_in():
    client = Client(raise_request_exception=False)  # a server error is a finding, not a crash of the walk
    walked, problems = 0, []
    for pattern in walk():
        url = concrete_url(pattern)
        if url is None:
            assert (pattern.name or pattern.route) in UNBUILDABLE
            continue
        login_url = reverse("admin:login") if pattern.namespace == "admin" else reverse("login")
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            walked += 1
            status = response.status_code
            if pattern.name in PUBLIC:
                allowed = PUBLIC[pattern.name][1 if method == "get" else 2]
                ok = status in allowed
            elif (pattern.namespace or "").endswith("_public"):
                # The public site: every app's public_urls (namespace "<app>_public"), all under
                # /p/ and nowhere else; they answer without a login (an unknown code is a 404,
                # an empty form a 400, a POST-only page's GET a 405).
                ok = url.startswith("/p/") and status in (
                    {200, 404, 405} if method == "get" else {200, 302, 400, 403, 404, 405, 429})
            else:
                ok = is_login_redirect(response, url, login_url) or status in REFUSED
            if not ok:
                problems.append(f"{method.upper()} {url} [{pattern}] -> {status} {response.get('Location', '')}")
            assert "_auth_user_id" not in client.session
    assert problems == [], "\n".join(problems)
    assert walked == 2 * len(walk()) - 2 * len(UNBUILDABLE)


def test_it_redirects_to_the_login_page_with_the_page_to_come_back_to(client, customer_a):
    url = customer_a.get_absolute_url()
    assert client.get(url)["Location"] == f"/accounts/login/?next={url}"
    assert client.get("/admin/crm/customer/")["Location"] == "/admin/login/?next=/admin/crm/customer/"


def test_it_shows_public_pages_without_a_login(client):
    for name in ("login", "password_reset"):
        response = client.get(reverse(name))
        assert response.status_code == 200 and 'name="csrfmiddlewaretoken"' in response.content.decode()
