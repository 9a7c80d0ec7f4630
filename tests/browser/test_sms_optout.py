"""End to end in Chromium: a marketing SMS on the Outbox page carries its opt-out link; the
customer opens it on their phone and stops SMS; the next campaign skips them as opted out."""

import re

import pytest
from django.urls import reverse

from crm.models import Customer, Interaction
from crm.services import customer_update
from marketing import services
from marketing.models import Message
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
# Collects the policy's complaints before any script of the page runs.
CSP_LISTENER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _campaign(key, customer, by):
    """A marketing SMS campaign, sent through the development backend as a worker would."""
    send = services.send_create(idempotency_key=key, channel="sms", name=key, body="Promo servis {{ first_name }}",
                                customers=[customer.pk], by=by)
    while services.send_process_chunk(send_id=send.pk):
        pass
    send.refresh_from_db()
    return send


def test_a_customer_stops_marketing_sms_from_the_link_in_their_sms(browser, page, live_server, settings, sales_a,
                                                                   customer_a, password, shot):
    settings.SMS_BACKEND = "marketing.backends.DevelopmentBackend"
    settings.SMS_QUIET_HOURS, settings.SMS_RATE_PER_SECOND = "0-0", 0
    settings.PUBLIC_BASE_URL = live_server.url
    customer_update(customer=customer_a, by=sales_a, consents={"sms": True})
    first = _campaign("promo-1", customer_a, sales_a)
    assert first.recipients == 1

    # Staff see the message, its link included, on the Outbox page.
    log_in(page, live_server, sales_a, password)
    page.goto(live_server.url + reverse("marketing:outbox"))
    cell = page.locator("table.table-outbox tr", has_text=customer_a.name).locator(".cell-message")
    found = re.search(r"https?://\S+/p/s/[A-Za-z0-9_-]{12}", cell.inner_text())
    assert found, cell.inner_text()
    link = found.group(0)
    message = Message.objects.get(send=first)
    assert link == services.optout_link(message.optout_code)
    shot(page, "optout-outbox")

    # The customer opens it on their phone: one button, and nothing has changed yet.
    phone = browser.new_context(**PHONE)
    phone.add_init_script(CSP_LISTENER)
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    response = mobile.goto(link)
    assert response.status == 200 and "Content-Security-Policy" in {k.title() for k in response.headers}
    assert mobile.locator("#public-company").inner_text() == settings.COMPANY_NAME
    assert mobile.locator("#mainnav").count() == 0  # no staff navigation
    assert Customer.objects.get(pk=customer_a.pk).sms_consent is True
    shot(mobile, "optout-page")
    mobile.click("#optout-stop")
    mobile.wait_for_selector("#optout-done")
    assert "7890" in mobile.locator("#optout-done").inner_text()
    shot(mobile, "optout-done")
    assert mobile.evaluate("window.__csp") == []
    phone.close()

    customer = Customer.objects.get(pk=customer_a.pk)
    assert customer.sms_consent is False and customer.sms_consent_source == "link"
    assert customer.sms_consent_at is not None
    assert Interaction.objects.filter(customer=customer, summary__contains="(link)",
                                      occurred_at=customer.sms_consent_at).count() == 1

    # The next campaign skips them, counted as opted out; nothing new in the Outbox for them.
    second = _campaign("promo-2", customer, sales_a)
    assert (second.recipients, second.skipped) == (0, {"opted_out": 1})
    assert Message.objects.filter(customer=customer).count() == 1
