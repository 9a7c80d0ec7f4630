"""Sending an SMS from the 360 page, delivered through the gateway and a real worker."""

import pytest
from django.urls import reverse

from tests.marketing.conftest import _gateway_server, gateway  # noqa: F401 (fixtures)
from tests.marketing.workers import redis_server, worker  # noqa: F401 (fixtures)

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
    for _ in range(50):  # the worker sends, the gateway calls back: sent, then delivered
        page.reload()
        if page.locator("#timeline .message-status", has_text="Delivered").count():
            break
        page.wait_for_timeout(200)
    entry = page.locator("#timeline .timeline-item", has_text="Halo Budi, mobil Anda sudah siap diambil.")
    assert entry.locator(".message-status").inner_text() == "Delivered"
    shot(page, "sms-delivered")
    assert gateway.stats()["accepted"] == {"+6281234567890": 1}
