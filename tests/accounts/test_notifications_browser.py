"""The bell in a real browser: htmx fills in the unread count, marking read updates the row
and the bell without a page load, and the bell stays in sight on a phone."""

import pytest

from accounts.models import Notification
from crm import services as crm_services
from tests.browser.conftest import assets_problems, browser, log_in, page, shot, wait_for_js  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_rings_the_bell_and_marks_read_without_a_page_load(page, live_server, sales_a, manager_a, branch_a,  # noqa: F811
                                                              password, shot, assets_problems):  # noqa: F811
    for name in ("Rudi Hartono", "Sari Dewi"):
        crm_services.customer_create(by=manager_a, branch=branch_a, name=name, owner=sales_a)
    log_in(page, live_server, sales_a, password)

    badge = page.locator("#notification-bell-count .badge")
    badge.wait_for()
    assert badge.inner_text().startswith("2")
    page.set_viewport_size({"width": 390, "height": 800})
    shot(page, "notifications-bell-unread-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#notification-bell")
    page.wait_for_url(f"{live_server.url}/notifications/")
    assert page.locator(".notification-unread").count() == 2
    shot(page, "notifications-list")

    page.evaluate("window.__same_page = true")  # gone if the page reloads
    newest = Notification.objects.filter(recipient=sales_a).latest("id")
    page.click(f"#notification-{newest.public_id} button:has-text('Mark as read')")
    page.locator(".notification-unread").nth(1).wait_for(state="detached")
    assert page.locator(f"#notification-{newest.public_id}.notification-unread").count() == 0
    wait_for_js(page, "document.querySelector('#notification-bell-count').innerText.trim().startsWith('1')")
    assert page.evaluate("window.__same_page") is True
    assert Notification.objects.filter(recipient=sales_a, read_at__isnull=True).count() == 1

    page.click("button:has-text('Mark all as read')")
    page.wait_for_selector("text=1 notification marked as read.")
    wait_for_js(page, "document.querySelector('#notification-bell-count').innerText.trim() === ''")
    assert page.locator(".notification-unread").count() == 0

    # On a phone the menu folds away; the bell does not.
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/customers/")
    assert page.locator("#notification-bell").is_visible()
    assert not page.locator("#mainnav").is_visible()
    shot(page, "notifications-bell-phone")
    assert assets_problems == []
