"""The 360 page's SMS box: counter, placeholder hint, and the vehicle the message is about."""

import json
import re

import pytest
from django.urls import reverse

from crm.models import Asset
from marketing import services
from marketing.forms import SmsForm, counter_text
from marketing.models import Message, Send
from marketing.text import PLACEHOLDERS, sms_length
from tests.browser.conftest import assets_problems, browser, page  # noqa: F401 (fixtures)
from tests.factories import AssetFactory, CustomerFactory
from tests.crm.pages import sms_panel_form

from .test_pipeline import _drain

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cars(customer_a):
    customer_a.sms_consent = True
    customer_a.save()
    return (AssetFactory(customer=customer_a, make="Toyota", model="Avanza", plate_number="D 1111 AA"),
            AssetFactory(customer=customer_a, make="Honda", model="Jazz", plate_number="D 2222 BB"))


def _key(client, customer):
    return sms_panel_form(client.get(customer.get_absolute_url()))["key"].value()


def _send(client, customer, **data):
    url = reverse("marketing:customer_sms_send", args=[customer.public_id])
    return client.post(url, {"key": _key(client, customer), **data}, follow=True)


def test_the_360_page_shows_the_counter_and_the_placeholders(client, sales_a, customer_a):
    customer_a.sms_consent = True  # the box is offered to a customer who can receive SMS
    customer_a.save()
    client.force_login(sales_a)
    html = client.get(customer_a.get_absolute_url()).content.decode()
    counter = re.search(r'<div[^>]*id="sms-counter"[^>]*data-sms-counter-for="id_body"[^>]*>([^<]*)</div>', html)
    assert counter and counter.group(1) == "0 characters · 0 SMS"  # rendered on the server for the empty box
    for name in PLACEHOLDERS:
        assert f'data-sms-insert="{{{{ {name} }}}}"' in html
    assert "js/sms-counter.js" in html
    config = json.loads(re.search(r'<script id="sms-counter-config" type="application/json">(.*?)</script>',
                                  html, re.S).group(1))
    assert config["parts"] == {"GSM-7": [160, 153], "UCS-2": [70, 67]}
    assert "\r" in config["basic"] and "€" in config["extended"]
    assert 'name="vehicle"' not in html  # no vehicle, or one: nothing to choose


def test_the_counter_text_follows_sms_length():
    assert counter_text("a" * 160) == "160 characters · 1 SMS"
    assert counter_text("a" * 161) == "161 characters · 2 SMS"
    assert counter_text("€") == "2 characters · 1 SMS"  # an extension character counts two
    assert counter_text("x") == "1 character · 1 SMS"
    assert counter_text("é" * 70) == "70 characters · 1 SMS"  # é is in the GSM alphabet
    assert counter_text("ê" * 71) == "71 characters · 2 SMS · Unicode: 70 characters per SMS, 67 per part"
    assert sms_length("ê" * 71).segments == 2


def test_the_form_keeps_one_line_break_per_line(customer_a):
    form = SmsForm({"body": "Halo\r\nBudi", "key": "0b7f4c1e-2a57-4c4f-9a55-8d1a3c1f0e11"}, customer=customer_a)
    assert form.is_valid() and form.cleaned_data["body"] == "Halo\nBudi"


def test_with_two_vehicles_the_page_asks_which_one(client, sales_a, customer_a, two_cars):
    client.force_login(sales_a)
    html = client.get(customer_a.get_absolute_url()).content.decode()
    select = re.search(r'<select[^>]*name="vehicle"[^>]*required[^>]*>(.*?)</select>', html, re.S).group(1)
    assert set(re.findall(r'<option value="([^"]+)"', select)) == {str(a.public_id) for a in two_cars}


def test_with_two_vehicles_a_choice_is_required(client, sales_a, customer_a, two_cars,
                                                django_capture_on_commit_callbacks):
    client.force_login(sales_a)
    with django_capture_on_commit_callbacks(execute=False):
        response = _send(client, customer_a, body="Servis {{ vehicle_plate }}")
    assert "Choose the vehicle this SMS is about." in response.content.decode()
    assert not Send.objects.exists() and not Message.objects.exists()


def test_the_sms_speaks_of_the_chosen_vehicle(client, gateway, sales_a, customer_a, two_cars,
                                              django_capture_on_commit_callbacks):
    avanza, jazz = two_cars
    client.force_login(sales_a)
    with django_capture_on_commit_callbacks(execute=False):
        response = _send(client, customer_a, body="Servis {{ vehicle_model }} {{ vehicle_plate }} selesai",
                         vehicle=str(jazz.public_id))
    assert "SMS queued." in response.content.decode()
    send = Send.objects.get()
    assert send.asset == jazz
    _drain(send)
    message = Message.objects.get(send=send)
    assert message.body == "Servis Honda Jazz D 2222 BB selesai"
    assert gateway.stats()["accepted"] == {customer_a.phone: 1}

    # The other car, in another SMS: the same customer, the other plate.
    with django_capture_on_commit_callbacks(execute=False):
        _send(client, customer_a, body="Servis {{ vehicle_plate }}", vehicle=str(avanza.public_id))
    other = Send.objects.exclude(pk=send.pk).get()
    _drain(other)
    assert Message.objects.get(send=other).body == "Servis D 1111 AA"


def test_another_customers_vehicle_is_refused_and_nothing_is_queued(client, gateway, sales_a, customer_a, two_cars,
                                                                   branch_a, django_capture_on_commit_callbacks):
    stranger = AssetFactory(customer=CustomerFactory(branch=branch_a), plate_number="B 9999 ZZ")
    client.force_login(sales_a)
    with django_capture_on_commit_callbacks(execute=False):
        for vehicle in (str(stranger.public_id), str(stranger.pk), "not-a-uuid"):
            response = _send(client, customer_a, body="Servis {{ vehicle_plate }}", vehicle=vehicle)
            assert "Choose one of this customer&#x27;s vehicles." in response.content.decode(), (vehicle, re.findall(r"alert-danger[^>]*>\s*([^<]*)", response.content.decode()))
    assert not Send.objects.exists() and not Message.objects.exists()


def test_the_service_refuses_another_customers_vehicle(customer_a, customer_b, sales_a):
    theirs = AssetFactory(customer=customer_b)
    with pytest.raises(Exception, match="not this customer"):
        services.message_send_one(customer=customer_a, channel="sms", body="Hi", by=sales_a, key="k",
                                  asset=theirs)
    assert not Send.objects.exists()


def test_with_one_vehicle_it_is_used(client, gateway, sales_a, customer_a, django_capture_on_commit_callbacks):
    customer_a.sms_consent = True
    customer_a.save()
    only = AssetFactory(customer=customer_a, plate_number="D 3333 CC")
    client.force_login(sales_a)
    with django_capture_on_commit_callbacks(execute=False):
        response = _send(client, customer_a, body="Servis {{ vehicle_plate }}")
    assert "SMS queued." in response.content.decode()
    send = Send.objects.get()
    assert send.asset == only
    _drain(send)
    assert Message.objects.get(send=send).body == "Servis D 3333 CC"


def test_with_no_vehicle_the_vehicle_placeholders_are_empty(client, gateway, sales_a, customer_a,
                                                            django_capture_on_commit_callbacks):
    customer_a.sms_consent = True
    customer_a.save()
    client.force_login(sales_a)
    with django_capture_on_commit_callbacks(execute=False):
        _send(client, customer_a, body="Halo {{ first_name }}[{{ vehicle_plate }}]")
    send = Send.objects.get()
    assert send.asset is None
    _drain(send)
    assert Message.objects.get(send=send).body == "Halo Budi[]"


def test_a_deleted_chosen_vehicle_falls_back_to_the_first(customer_a, sales_a, gateway, two_cars,
                                                          django_capture_on_commit_callbacks):
    avanza, jazz = two_cars
    with django_capture_on_commit_callbacks(execute=False):
        send = services.message_send_one(customer=customer_a, channel="sms", body="{{ vehicle_plate }}",
                                         by=sales_a, key="gone", asset=jazz)
    Asset.objects.filter(pk=jazz.pk).delete()
    send.refresh_from_db()
    assert send.asset is None
    _drain(send)
    assert Message.objects.get(send=send).body == "D 1111 AA"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_counter_counts_as_the_server_does_in_the_browser(page, assets_problems, live_server, sales_a,  # noqa: F811
                                                              customer_a, password):
    from tests.browser.conftest import log_in

    customer_a.sms_consent = True
    customer_a.save()
    log_in(page, live_server, sales_a, password)
    page.goto(live_server.url + customer_a.get_absolute_url())
    counter = page.locator("#sms-counter")
    assert counter.inner_text() == "0 characters · 0 SMS"
    page.fill("#id_body", "a" * 160)
    assert counter.inner_text() == "160 characters · 1 SMS"
    page.fill("#id_body", "a" * 161)
    assert counter.inner_text() == counter_text("a" * 161) == "161 characters · 2 SMS"
    for text in ("€" * 81, "Halo 😀", "ê" * 71, "a\nb{}[]~|^\\"):
        page.fill("#id_body", text)
        assert counter.inner_text() == counter_text(text.replace("\r\n", "\n")), text
    page.fill("#id_body", "Halo ")
    page.click("button[data-sms-insert='{{ first_name }}']")
    assert page.input_value("#id_body") == "Halo {{ first_name }}"
    assert counter.inner_text() == counter_text("Halo {{ first_name }}")
    assert not assets_problems
