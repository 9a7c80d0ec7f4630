"""Each customer is written to in their language (Customer.language): a send holds its text in
Indonesian and, optionally, in English; without an English text everyone gets the Indonesian."""

import datetime as dt

import pytest
from django.urls import reverse

from crm.models import Interaction
from marketing import services
from marketing.models import Message, Send
from tests.crm.pages import post_form
from tests.factories import AssetFactory, CustomerFactory
from tests.marketing.test_pipeline import _drain

pytestmark = pytest.mark.django_db

BODY_ID = "Halo {{ first_name }}, servis {{ vehicle_plate }} jatuh tempo {{ next_service_due }}."
BODY_EN = "Hi {{ first_name }}, {{ vehicle_plate }} is due for service on {{ next_service_due }}."


@pytest.fixture
def budi(branch_a):
    customer = CustomerFactory(name="Budi Santoso", phone="+6281200000001", branch=branch_a, consents={"sms": True})
    AssetFactory(customer=customer, plate_number="D 1111 AA", next_service_due=dt.date(2026, 8, 17))
    return customer  # language: Indonesian, the default


@pytest.fixture
def jane(branch_a):
    customer = CustomerFactory(name="Jane Miller", phone="+6281200000002", branch=branch_a, consents={"sms": True},
                               language="en")
    AssetFactory(customer=customer, plate_number="D 2222 BB", next_service_due=dt.date(2026, 8, 17))
    return customer


def sent_to(send, customer) -> Message:
    return Message.objects.select_related("customer").get(send=send, customer=customer)


def test_a_send_reaches_each_customer_in_their_language(gateway, budi, jane, sales_a):
    assert budi.language == "id" and jane.language == "en"
    send = services.send_create(idempotency_key="service-due", channel="sms", name="Servis", body=BODY_ID,
                                body_en=BODY_EN, customers=[budi.pk, jane.pk], by=sales_a)
    _drain(send)

    to_budi, to_jane = sent_to(send, budi), sent_to(send, jane)
    # The text, its dates and the opt-out line each in the customer's language.
    assert to_budi.body == ("Halo Budi, servis D 1111 AA jatuh tempo 17 Agu 2026.\n"
                            f"Berhenti SMS: {services.optout_link(to_budi.optout_code)}")
    assert to_jane.body == ("Hi Jane, D 2222 BB is due for service on 17 Aug 2026.\n"
                            f"Stop SMS: {services.optout_link(to_jane.optout_code)}")
    assert gateway.stats()["accepted"] == {"+6281200000001": 1, "+6281200000002": 1}
    # The contact history keeps what each one was sent; rendering again (as the sweeper does
    # to find a message at the provider) gives the very same text.
    assert Interaction.objects.get(customer=jane, kind="campaign_message").summary == to_jane.body
    texts = services.SendTexts(send)
    assert [texts.render(m)[0] for m in (to_budi, to_jane)] == [to_budi.body, to_jane.body]


def test_without_an_english_text_everyone_gets_the_indonesian_one(gateway, budi, jane, sales_a):
    send = services.send_create(idempotency_key="promo", channel="sms", name="Promo", body="Promo akhir tahun!",
                                customers=[budi.pk, jane.pk], by=sales_a)
    _drain(send)
    to_jane = sent_to(send, jane)
    # One language per message: the opt-out line follows the text, not the customer.
    assert to_jane.body == f"Promo akhir tahun!\nBerhenti SMS: {services.optout_link(to_jane.optout_code)}"


def test_an_email_subject_follows_the_language_of_its_text(budi, jane, sales_a, mailoutbox, settings):
    settings.SMS_QUIET_HOURS = "0-0"
    for customer, address in ((budi, "budi@contoh.id"), (jane, "jane@example.com")):
        customer.email, customer.email_consent = address, True
        customer.save()
    send = services.send_create(idempotency_key="mail", channel="email", name="Mail", body=BODY_ID,
                                subject="Servis {{ vehicle_plate }}", body_en=BODY_EN,
                                subject_en="Service for {{ vehicle_plate }}", customers=[budi.pk, jane.pk],
                                by=sales_a, purpose=Send.Purpose.TRANSACTIONAL)
    _drain(send)
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects == {"budi@contoh.id": "Servis D 1111 AA", "jane@example.com": "Service for D 2222 BB"}


def test_the_sms_box_sends_its_english_text_to_an_english_customer(browser_client, gateway, jane, sales_a):
    browser_client.force_login(sales_a)
    url = reverse("marketing:customer_sms_send", args=[jane.public_id])
    form = post_form(browser_client.get(jane.get_absolute_url()), action=url)
    form.fields["body"] = ["Mobil Anda sudah siap diambil."]
    form.fields["body_en"] = ["Your car is ready for pickup."]  # the optional English text (SmsForm.body_en)
    assert form.submit(browser_client, url=url).status_code == 302
    send = Send.objects.get(created_by=sales_a)
    assert (send.body, send.body_en) == ("Mobil Anda sudah siap diambil.", "Your car is ready for pickup.")
    _drain(send)
    assert sent_to(send, jane).body == "Your car is ready for pickup."  # a service message: no opt-out line


def test_a_bad_english_template_is_refused_before_anything_is_sent(budi, sales_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.send_create(idempotency_key="bad", channel="sms", name="Bad", body="Halo", body_en="Hi {{ nope }}",
                             customers=[budi.pk], by=sales_a)
    assert not Send.objects.exists()


def test_the_customer_form_records_the_customers_language(browser_client, sales_a):
    browser_client.force_login(sales_a)
    page = browser_client.get(reverse("crm:customer_create"))
    form = post_form(page)
    assert form.fields["language"] == ["id"]  # Indonesian unless the customer asks otherwise
    form.fill(name="Jane Miller", phone="0812-0000-0003", language="en")
    assert form.submit(browser_client, url=reverse("crm:customer_create")).status_code == 302
    assert sales_a.branch.customers.get(name="Jane Miller").language == "en"
