"""A sales rep's first minutes in Relasi, in a real browser: create a customer, log a call
on the 360 page without a page load, find the customer again from the top bar; and the
same pages on a phone. Screenshots go to test-artifacts/."""

import re

import pytest

from crm.models import Customer
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOOTSTRAP_PRIMARY = "rgb(13, 110, 253)"


def assert_assets_loaded(page):
    """Our CSS and JS arrived: htmx and Bootstrap's JS run, Bootstrap's and our CSS apply."""
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"
    assert page.eval_on_selector("nav.navbar", "el => getComputedStyle(el).backgroundColor") == BOOTSTRAP_PRIMARY
    sheets = page.evaluate("[...document.styleSheets].map(s => s.href + ' ' + s.cssRules.length)")
    assert any("/static/css/relasi.css" in s and not s.endswith(" 0") for s in sheets), sheets
    assert any("/static/vendor/bootstrap/bootstrap.min.css" in s and not s.endswith(" 0") for s in sheets), sheets


def test_it_creates_a_customer_logs_a_call_and_finds_it(page, live_server, sales_a, password, shot,
                                                         assets_problems):
    page.goto(f"{live_server.url}/accounts/login/")
    assert_assets_loaded(page)
    shot(page, "login")
    log_in(page, live_server, sales_a, password)

    # Create a customer through the form.
    page.click("main a.btn:has-text('New customer')")
    page.fill("#id_name", "Dewi Lestari")
    page.fill("#id_phone", "0812-3456-7890")
    page.fill("#id_email", "dewi@contoh.id")
    page.check("#id_sms_consent")
    shot(page, "customer-form")
    page.click("main button:has-text('Save')")

    # The 360 page, with the phone number in its international form.
    page.wait_for_selector("h1:has-text('Dewi Lestari')")
    customer = Customer.objects.get(name="Dewi Lestari")
    assert page.url == live_server.url + customer.get_absolute_url()
    assert page.is_visible("text=Customer Dewi Lestari created.")
    assert page.locator("dd", has_text="+62 812-3456-7890").is_visible()  # stored E.164, shown grouped
    assert customer.phone == "+6281234567890" and customer.sms_consent and customer.branch == sales_a.branch

    # The quick form swaps the contact history in place (htmx): no page load.
    navigations = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and navigations.append(frame.url))
    page.evaluate("window.__sameDocument = true")
    page.select_option("#id_kind", "call")
    page.fill("#id_summary", "Asked about the Xpander test drive on Saturday")
    with page.expect_response(lambda r: r.url.endswith(f"{customer.public_id}/interactions/")) as answer:
        page.click("#timeline-panel button:has-text('Log it')")
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-request") == "true"
    page.wait_for_selector("#timeline-panel >> text=Interaction logged.")
    assert page.locator("#timeline .timeline-item").filter(
        has_text="Asked about the Xpander test drive on Saturday").count() == 1
    assert page.evaluate("window.__sameDocument") is True and navigations == []
    assert page.input_value("#id_summary") == ""  # the form is ready for the next one
    shot(page, "customer-360")
    assert customer.interactions.filter(kind="call", staff=sales_a,
                                        summary="Asked about the Xpander test drive on Saturday").count() == 1

    # The top bar's search finds the customer by the last four digits of the phone.
    page.fill("nav input[name=q]", "7890")
    page.press("nav input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"/customers/\?q=7890$"))
    result = page.locator("#customer-results a", has_text="Dewi Lestari")
    assert result.count() == 1
    shot(page, "customer-search")
    result.click()
    page.wait_for_selector("h1:has-text('Dewi Lestari')")
    assert assets_problems == []


def test_it_fits_a_phone_screen(browser, live_server, sales_a, customer_a, password, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        log_in(page, live_server, sales_a, password)
        assert_assets_loaded(page)
        for name, path in [("phone-list", "/customers/"), ("phone-360", customer_a.get_absolute_url()),
                           ("phone-form", "/customers/new/")]:
            page.goto(live_server.url + path)
            assert page.evaluate("window.innerWidth") == 390
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            shot(page, name)
        assert page.is_hidden("#mainnav")  # the menu is folded away...
        page.click(".navbar-toggler")
        page.wait_for_selector("#mainnav.show")  # ...until the toggler opens it
        assert page.locator("#mainnav a.nav-link", has_text="Customers").is_visible()
        assert page.locator("#mainnav input[name=q]").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "phone-menu")
    finally:
        context.close()
