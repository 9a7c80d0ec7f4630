"""The Content-Security-Policy in Chromium: the main pages (staff, back office, public) load and
work under it with no violation, and the policy really blocks what it should."""

import pytest
from django.urls import reverse

from accounts.models import User
from crm.services import customer_update
from marketing import services
from marketing.models import Message
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Added to every page before its own scripts run.
CSP_LISTENER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page, assets_problems):
    """``page`` with every CSP violation event and console error (which includes Chromium's
    "Refused to ... because it violates the following Content Security Policy") collected."""
    page.context.add_init_script(CSP_LISTENER)
    return page, assets_problems


def _visit(page, url, problems, seen):
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    header = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in header and "unsafe-inline" not in header, (url, header)
    page.wait_for_load_state("load")
    seen[url] = page.evaluate("window.__csp") + [p for p in problems if "Content Security Policy" in p]


def test_the_main_pages_run_under_the_policy_without_a_violation(watched, live_server, settings, sales_a,
                                                               customer_a, head_office, password, shot):
    page, problems = watched
    seen = {}
    # Anonymous: our login page and the back office's.
    _visit(page, live_server.url + reverse("login"), problems, seen)
    _visit(page, live_server.url + reverse("admin:login"), problems, seen)

    # Staff: the customer list (and its htmx search), the 360 page (the SMS box's counter), the Outbox.
    log_in(page, live_server, sales_a, password)
    _visit(page, live_server.url + reverse("crm:customer_list"), problems, seen)
    page.fill("#id_q", "Budi")
    with page.expect_response(lambda r: "/customers/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.press("#id_q", "Enter")
    _visit(page, live_server.url + customer_a.get_absolute_url(), problems, seen)
    if page.locator("#id_body").count():
        page.fill("#id_body", "Halo {{ first_name }}")
    _visit(page, live_server.url + reverse("marketing:outbox"), problems, seen)
    shot(page, "csp-outbox")

    # The back office: index and a changelist, as a superuser.
    admin = User.objects.create_superuser(email="root@relasi.test", password=password, branch=head_office)
    page.context.clear_cookies()
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("input[name=username]", admin.email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + reverse("admin:index"))
    _visit(page, live_server.url + reverse("admin:crm_customer_changelist"), problems, seen)
    _visit(page, live_server.url + reverse("admin:crm_customer_change", args=[customer_a.pk]), problems, seen)

    # The public site: the opt-out page of a marketing SMS.
    settings.SMS_BACKEND, settings.SMS_QUIET_HOURS, settings.SMS_RATE_PER_SECOND = \
        "marketing.backends.DevelopmentBackend", "0-0", 0
    customer_update(customer=customer_a, by=sales_a, consents={"sms": True})
    send = services.send_create(idempotency_key="csp", channel="sms", name="csp", body="Promo",
                                customers=[customer_a.pk], by=sales_a)
    code = Message.objects.get(send=send).optout_code
    _visit(page, live_server.url + reverse("marketing_public:sms_optout", args=[code]), problems, seen)

    assert len(seen) == 8
    assert {url: found for url, found in seen.items() if found} == {}
    assert [p for p in problems if "Content Security Policy" in p] == []


def test_the_policy_blocks_inline_script_and_style_and_the_listener_sees_it(watched, live_server):
    """Without this, a test above that finds no violation could be one that cannot fail."""
    page, problems = watched
    _visit(page, live_server.url + reverse("login"), problems, {})
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__ran = true";
        document.body.appendChild(script);
        document.body.setAttribute("style", "background: red");
    }""")
    # Polled from here: wait_for_function evaluates a string in the page, which the policy forbids.
    for _ in range(50):
        if len(page.evaluate("window.__csp")) >= 2:
            break
        page.wait_for_timeout(20)
    assert page.evaluate("window.__ran") is None  # the inline script never ran
    directives = {v.split()[0] for v in page.evaluate("window.__csp")}
    assert {"script-src-elem", "style-src-attr"} <= directives, directives
    # A <script type="application/json"> (json_script) is data: no violation, readable.
    before = len(page.evaluate("window.__csp"))
    page.evaluate("""() => {
        const data = document.createElement("script");
        data.type = "application/json"; data.id = "d"; data.textContent = '{"ok": 1}';
        document.body.appendChild(data);
    }""")
    assert page.evaluate("JSON.parse(document.getElementById('d').textContent).ok") == 1
    page.wait_for_timeout(200)  # a violation event would have been queued by now
    assert len(page.evaluate("window.__csp")) == before
