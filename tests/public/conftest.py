"""Fixtures for the public site: marketing SMS sent through the development backend."""

import pytest
from django.test import Client

from marketing import services
from marketing.models import Message, Send


@pytest.fixture
def client(db):
    """A visitor whose browser asks for English (the source strings; the Indonesian ones
    change as translators work). Pages about a customer speak that customer's language."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def sms_settings(settings):
    """The development backend (nothing leaves the machine), no quiet hours, no pacing."""
    settings.SMS_BACKEND = "marketing.backends.DevelopmentBackend"
    settings.SMS_QUIET_HOURS = "0-0"
    settings.SMS_RATE_PER_SECOND = 0
    settings.PUBLIC_BASE_URL = "https://relasi.example.id"
    settings.COMPANY_NAME = "Dealer Contoh"
    return settings


def send_and_deliver(*, key, customers, by, body="Promo servis {{ first_name }}", purpose=Send.Purpose.MARKETING,
                     channel=Send.Channel.SMS) -> Send:
    """A send, processed in this process as a worker would until nothing is left."""
    send = services.send_create(idempotency_key=key, channel=channel, name=key, body=body, customers=customers,
                                by=by, purpose=purpose)
    while services.send_process_chunk(send_id=send.pk):
        pass
    send.refresh_from_db()
    return send


@pytest.fixture
def campaign(sms_settings, customer_a, manager_a):
    """customer_a (SMS consent given) got one marketing SMS: its Message, with its opt-out code."""
    from crm.services import customer_update

    customer_update(customer=customer_a, by=manager_a, consents={"sms": True}, language="en")
    send = send_and_deliver(key="promo-1", customers=[customer_a.pk], by=manager_a)
    return Message.objects.select_related("customer").get(send=send)


@pytest.fixture
def csrf_client(db):
    """Checks CSRF like the real site: a form only posts with the token its page gave."""
    return Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
