"""Headless Debian Chromium through Playwright, against pytest-django's live server.

Static files: pytest-django's live server wraps the app in staticfiles' StaticFilesHandler
(``django.contrib.staticfiles`` is installed), which serves /static/ through the finders,
so static/vendor/ and static/css/ load without collectstatic. ``assets_problems`` lets a
test check that they really did.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        # While Playwright's sync API is running, its event loop counts as running in this thread
        # and Django refuses sync ORM calls from the test. Allowed only while the browser is open,
        # so the flag does not reach tests that run without it.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                        args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def assets_problems(page):
    """Console errors and failed requests (a missing CSS or JS file shows here) of ``page``."""
    problems = []

    def console(msg):
        url = msg.location.get("url", "")
        # Our pages link their icon (static/favicon.svg, in base.html). Chromium's own
        # fallback request for /favicon.ico, made for pages without such a link (the Django
        # admin's), is the browser's, not a page asset.
        if msg.type == "error" and not url.endswith("/favicon.ico"):
            problems.append(f"console: {msg.text} at {url}")

    page.on("console", console)
    # Every asset is ours: nothing may come from a CDN or anywhere off this machine.
    page.on("request", lambda req: urlsplit(req.url).scheme in ("http", "https")
            and urlsplit(req.url).hostname not in ("localhost", "127.0.0.1") and problems.append(f"off-site: {req.url}"))
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    # A request the browser itself cancelled (net::ERR_ABORTED: the notification bell's poll or
    # the icon of a page being left for the next one or for a download) is not a missing asset;
    # a missing one answers 404 and is caught by the response check below.
    page.on("requestfailed", lambda req: "ERR_ABORTED" in (req.failure or "")
            or problems.append(f"failed: {req.url} {req.failure}"))
    page.on("response", lambda resp: resp.status >= 400 and problems.append(f"{resp.status}: {resp.url}"))
    return problems


@pytest.fixture
def shot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


def log_in(page, live_server, user, password):
    """Log in through the real login page, as a user would."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/customers/")


def wait_for_js(page, expression: str, *, timeout_ms: int = 10_000) -> None:
    """Wait until ``expression`` is true in the page, polled from here.

    Not ``page.wait_for_function``: when its first check fails it polls with a function made
    from the string inside the page, which our Content-Security-Policy (no 'unsafe-eval')
    refuses, so it passes or errors depending on timing."""
    step = 50
    for _ in range(max(1, timeout_ms // step)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(step)
    raise AssertionError(f"Still false after {timeout_ms} ms: {expression}")
