"""A sales rep's first minutes in Relasi, in a real browser."""

import pytest

from crm.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, email, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/customers/")


def test_it_creates_a_customer_logs_a_call_and_finds_it(page, live_server, sales_a, password, shot):
    _login(page, live_server, sales_a.email, password)
    assert page.evaluate("typeof window.htmx") == "object"  # vendored assets are served
    page.click("text=New customer")
    page.fill("#id_name", "Dewi Lestari")
    page.fill("#id_phone", "0812-3456-7890")
    page.fill("#id_email", "dewi@contoh.id")
    page.check("#id_sms_consent")
    shot(page, "customer-form")
    page.click("button:has-text('Save')")
    page.wait_for_selector("h1:has-text('Dewi Lestari')")
    assert "+6281234567890" in page.content()
    assert page.is_visible("text=Customer Dewi Lestari created.")

    # The quick form swaps the contact history in place (htmx), without a page load.
    page.evaluate("window.__sameDocument = true")
    page.select_option("#id_kind", "call")
    page.fill("#id_summary", "Asked about the Xpander test drive on Saturday")
    page.click("button:has-text('Log it')")
    page.wait_for_selector("#timeline >> text=Asked about the Xpander test drive on Saturday")
    assert page.evaluate("window.__sameDocument") is True
    assert page.is_visible("text=Interaction logged.")
    shot(page, "customer-360")
    customer = Customer.objects.get(name="Dewi Lestari")
    assert customer.interactions.filter(kind="call", staff=sales_a).count() == 1

    # The top bar's search finds the customer by the last four digits of the phone.
    page.fill("nav input[name=q]", "7890")
    page.press("nav input[name=q]", "Enter")
    page.wait_for_selector("table >> text=Dewi Lestari")
    shot(page, "customer-search")


def test_it_fits_a_phone_screen(browser, live_server, sales_a, customer_a, password, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    _login(page, live_server, sales_a.email, password)
    for url in ["/customers/", customer_a.get_absolute_url()]:
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
    shot(page, "phone-360")
    page.click(".navbar-toggler")
    page.wait_for_selector("#mainnav.show")
    assert page.is_visible("nav >> text=Customers")
    context.close()
