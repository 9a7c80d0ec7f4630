"""Twilio's status callbacks and inbound SMS: signed, monotonic, opt-out by keyword."""

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from crm.models import Customer
from marketing import services
from marketing.models import Message
from marketing.tasks import send_dispatch_task
from tests.factories import CustomerFactory
from tests.crm.pages import sms_panel_form

from .conftest import TOKEN

pytestmark = pytest.mark.django_db
STATUS_URL = reverse("marketing:twilio_status")
INBOUND_URL = reverse("marketing:twilio_inbound")


def _post(client, settings, path, params, signature=None):
    url = settings.PUBLIC_BASE_URL.rstrip("/") + path
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(url, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def sent(gateway, customer_a, sales_a):
    customer_a.sms_consent = True
    customer_a.save()
    send = services.send_create(idempotency_key="wh", channel="sms", name="x", body="Halo", customers=[customer_a.pk],
                                by=sales_a)
    send_dispatch_task.run(send.pk)
    return Message.objects.get(send=send)


def test_it_refuses_a_missing_or_wrong_signature(client, settings, sent):
    params = {"MessageSid": sent.provider_sid, "MessageStatus": "delivered"}
    assert client.post(STATUS_URL, params).status_code == 403
    assert _post(client, settings, STATUS_URL, params, signature="bm9wZQ==").status_code == 403
    assert _post(client, settings, STATUS_URL, {**params, "MessageStatus": "failed"},
                 signature=RequestValidator(TOKEN).compute_signature("http://evil/", params)).status_code == 403
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_it_moves_status_forward_only(client, settings, sent):
    params = {"MessageSid": sent.provider_sid, "AccountSid": "AC1", "SomeNewField": "ok"}
    assert _post(client, settings, STATUS_URL, {**params, "MessageStatus": "delivered"}).status_code == 204
    # A late "sent" arrives after "delivered": ignored.
    assert _post(client, settings, STATUS_URL, {**params, "MessageStatus": "sent"}).status_code == 204
    sent.refresh_from_db()
    assert sent.status == "delivered"


def test_it_records_the_carriers_error_code(client, settings, sent):
    _post(client, settings, STATUS_URL, {"MessageSid": sent.provider_sid, "MessageStatus": "undelivered",
                                         "ErrorCode": "30003"})
    sent.refresh_from_db()
    assert (sent.status, sent.error_code) == ("undelivered", "30003")


def test_it_accepts_callbacks_for_unknown_messages(client, settings, db, gateway):
    assert _post(client, settings, STATUS_URL, {"MessageSid": "SMnope", "MessageStatus": "sent"}).status_code == 204


@pytest.mark.parametrize("word", ["STOP", "stop", "  Berhenti ", "UNSUBSCRIBE", "stopall", "Cancel", "END", "quit"])
def test_it_opts_out_on_every_stop_keyword(client, settings, gateway, branch_a, word):
    customer = CustomerFactory(phone="+6281255556666", branch=branch_a, consents={"sms": True})
    response = _post(client, settings, INBOUND_URL, {"From": "+6281255556666", "Body": word, "MessageSid": "SMin"})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.sms_consent is False
    assert customer.sms_consent_source == f"sms-{word.strip().lower()}"
    assert customer.sms_consent_at is not None


@pytest.mark.parametrize("word", ["START", "mulai"])
def test_it_opts_back_in(client, settings, gateway, branch_a, word):
    customer = CustomerFactory(phone="+6281255556666", branch=branch_a, consents={"sms": False})
    _post(client, settings, INBOUND_URL, {"From": "+6281255556666", "Body": word})
    customer.refresh_from_db()
    assert customer.sms_consent is True


def test_it_puts_other_replies_on_the_timeline(client, settings, gateway, customer_a):
    _post(client, settings, INBOUND_URL, {"From": customer_a.phone, "Body": "Jam berapa bengkel buka?"})
    assert customer_a.interactions.filter(direction="in", kind="sms", summary="Jam berapa bengkel buka?").exists()
    assert client.post(INBOUND_URL, {"From": customer_a.phone, "Body": "STOP"}).status_code == 403
    assert Customer.objects.get(pk=customer_a.pk).sms_consent is False  # unchanged from before


def test_it_shows_the_outbox_only_for_the_users_branch(client, sent, sales_a, staff_b):
    from crm.phone import format_phone_grouped

    shown = format_phone_grouped(sent.to)  # the Outbox shows numbers grouped
    client.force_login(sales_a)
    assert shown in client.get(reverse("marketing:outbox")).content.decode()
    client.force_login(staff_b)
    assert shown not in client.get(reverse("marketing:outbox")).content.decode()


def test_it_sends_an_sms_from_the_360_page_once_per_click(client, gateway, customer_a, sales_a,
                                                         django_capture_on_commit_callbacks):
    customer_a.sms_consent = True
    customer_a.save()
    client.force_login(sales_a)
    page = client.get(customer_a.get_absolute_url())
    key = sms_panel_form(page)["key"].value()
    url = reverse("marketing:customer_sms_send", args=[customer_a.public_id])
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(2):  # a double click posts the same key
            response = client.post(url, {"body": "Mobil {{ first_name }} siap", "key": key}, follow=True)
    assert "SMS queued." in response.content.decode()
    assert Message.objects.filter(customer=customer_a).count() == 1
    bad = client.post(url, {"body": "{{ secret }}", "key": key}, follow=True)
    assert "Unknown placeholder" in bad.content.decode()


def test_it_scopes_the_forms_key_to_the_customer(client, gateway, customer_a, customer_b, head_office_user):
    for customer in (customer_a, customer_b):
        customer.sms_consent = True
        customer.save()
    client.force_login(head_office_user)
    key = "0b7f4c1e-2a57-4c4f-9a55-8d1a3c1f0e11"
    for customer in (customer_a, customer_b):
        url = reverse("marketing:customer_sms_send", args=[customer.public_id])
        response = client.post(url, {"body": "Halo", "key": key}, follow=True)
        assert "SMS queued." in response.content.decode()
    assert sorted(Message.objects.values_list("to", flat=True)) == sorted([customer_a.phone, customer_b.phone])
