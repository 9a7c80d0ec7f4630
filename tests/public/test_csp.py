"""The Content-Security-Policy (django-csp 4): on every page, and nothing in our templates
that it would block. tests/browser/test_csp.py checks the pages in Chromium."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tests.accounts.urlwalk import concrete_url, walk

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "frame-ancestors": "'none'", "form-action": "'self'",
}


def _directives(header: str) -> dict:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def _walk_statuses(client) -> tuple[int, list]:
    walked, missing = 0, []
    for pattern in walk():
        url = concrete_url(pattern)
        if url is None:
            continue
        response = client.get(url)
        walked += 1
        header = response.get("Content-Security-Policy")
        if header is None or {k: v for k, v in _directives(header).items() if k in EXPECTED} != EXPECTED:
            missing.append(f"GET {url} [{pattern}] -> {response.status_code}: {header!r}")
    return walked, missing


def test_every_page_of_the_url_walk_carries_the_policy_for_visitors():
    walked, missing = _walk_statuses(Client(raise_request_exception=False))
    assert walked >= 100 and missing == [], "\n".join(missing)


def test_every_page_of_the_url_walk_carries_the_policy_for_a_superuser(head_office):
    admin = User.objects.create_superuser(email="root@relasi.test", password="x", branch=head_office)
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    walked, missing = _walk_statuses(client)
    assert walked >= 100 and missing == [], "\n".join(missing)


def test_the_policy_allows_nothing_inline():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert all("'unsafe-inline'" not in v and "'unsafe-eval'" not in v for v in directives.values())


def _our_templates():
    found = list((ROOT / "templates").rglob("*.html"))
    for app in ROOT.iterdir():
        if app.is_dir() and not app.name.startswith(".") and (app / "templates").is_dir():
            found += list((app / "templates").rglob("*.html"))
    return found


# What script-src 'self' / style-src 'self' would block: a <script> with no src (json_script's
# <script type="application/json"> is data and is made at render time), on*="" handlers,
# javascript: URLs, <style> blocks and style="" attributes.
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "on*= handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"<style[\s>]", re.I), "<style> block"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "style= attribute"),
]


def test_no_template_of_ours_has_inline_script_or_style():
    # "*_pdf.html" templates are read by WeasyPrint on the server to make a PDF (sales/pdf.py),
    # never sent to a browser: the page policy does not apply to them.
    templates = [p for p in _our_templates() if not p.name.endswith("_pdf.html")]
    assert len(templates) > 20 and any(p.name == "base.html" for p in templates)
    problems = []
    for path in templates:
        text = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S)
        for regex, what in INLINE:
            for match in regex.finditer(text):
                problems.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)[:80]}")
    assert problems == [], "\n".join(problems)


def test_the_check_above_would_see_an_inline_script():
    for sample, what in [("<script>alert(1)</script>", "inline <script>"), ('<a onclick="x()">', "on*= handler"),
                         ('<div style="color:red">', "style= attribute")]:
        assert [w for regex, w in INLINE if regex.search(sample)] == [what]
    assert not any(regex.search('<script src="/static/js/nav.js" defer></script>') for regex, _w in INLINE)
