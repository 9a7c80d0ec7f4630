"""Every URL of the project needs login (but the public ones), and branch scoping holds on
every customer URL. Both lists come from the URL resolver, so new URLs are covered."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# Logging in, resetting a password and logging out need no login.
PUBLIC = {"login", "admin:login", "admin:logout", "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete"}
SAMPLE = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "slug": "x", "path": "x"}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else None, p


def _concrete(route: str) -> str:
    """A URL for a route; regex routes (the admin's) get sample values per group."""
    import re

    route = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: SAMPLE[m.group(1) or "str"], route)
    route = re.sub(r"\(\?P<app_label>[^)]*\)", "crm", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + route


def all_urls():
    return [(name, _concrete(route)) for route, name, _ in _walk(get_resolver().url_patterns)]


def test_it_needs_login_everywhere_but_the_public_pages(client):
    urls = all_urls()
    names = {name for name, _ in urls}
    assert {"crm:customer_list", "crm:customer_detail", "crm:interaction_create", "admin:index"} <= names
    assert len(urls) > 40
    leaks = []
    for name, url in urls:
        if name in PUBLIC:
            assert client.get(url).status_code in (200, 302), url
            continue
        for method in (client.get, client.post):
            response = method(url)
            location = response.get("Location", "")
            ok = (response.status_code == 302 and ("/login/" in location)) or response.status_code in (403, 404, 405)
            if not ok:
                leaks.append((name, url, method.__name__, response.status_code, location))
    assert leaks == [], "\n".join(map(str, leaks))


def customer_urls():
    return [(name, route) for route, name, _ in _walk(get_resolver().url_patterns)
            if name and name.startswith("crm:") and "<uuid:public_id>" in route]


def test_it_404s_another_branchs_customer_on_every_customer_url(client, staff_b, sales_a, head_office_user,
                                                                 customer_a):
    urls = customer_urls()
    assert len(urls) >= 6
    for name, _ in urls:
        url = reverse(name, args=[customer_a.public_id])
        client.force_login(staff_b)
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"summary": "x"}).status_code in (404, 405), url
        for user in (sales_a, head_office_user):
            client.force_login(user)
            assert client.get(url).status_code in (200, 405), (url, user)
    assert customer_a.interactions.count() == 1  # staff_b's posts changed nothing


def test_it_answers_bad_requests_without_a_server_error(client, sales_a):
    big = "x" * (3 * 1024 * 1024)
    assert client.post(reverse("login"), {"username": "a@b.c", "password": big}).status_code == 400
    client.force_login(sales_a)
    assert client.get("/customers/", {"q": "y" * 10_000}).status_code == 200
    assert client.get("/customers/12345/").status_code == 404
