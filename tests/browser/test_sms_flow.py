"""Sending an SMS from the 360 page, delivered through the gateway and a real worker."""

import pytest
from django.urls import reverse

from tests.marketing.conftest import _gateway_server, gateway  # noqa: F401 (fixtures)
from tests.marketing.workers import redis_server, wait_until, worker  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_env(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url  # what the live server checks signatures against
    return {"TWILIO_STATUS_CALLBACK_URL": live_server.url + reverse("marketing:twilio_status")}


def test_it_sends_an_sms_and_shows_it_delivered(page, live_server, gateway, worker, sales_a, customer_a,  # noqa: F811
                                               password, shot):
    gateway.configure(callbacks=True, delivery_delay_ms=100)
    customer_a.sms_consent = True
    customer_a.save()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", sales_a.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.goto(live_server.url + customer_a.get_absolute_url())
    page.fill("#id_body", "Halo {{ first_name }}, mobil Anda sudah siap diambil.")
    page.click("button:has-text('Send SMS')")
    assert page.is_visible("text=SMS queued.")
    # The worker sends, the gateway calls back: sent, then delivered. Fails at once if the
    # worker died, and after 30 s at most.
    def delivered():
        page.reload()
        return page.locator("#timeline .message-status", has_text="Delivered").count() > 0

    wait_until(delivered, timeout=30, interval=0.2, procs=[worker], what="the SMS shown as delivered on the 360 page")
    entry = page.locator("#timeline .timeline-item", has_text="Halo Budi, mobil Anda sudah siap diambil.")
    assert entry.locator(".message-status").inner_text() == "Delivered"
    shot(page, "sms-delivered")
    assert gateway.stats()["accepted"] == {"+6281234567890": 1}
