"""The opt-out link in every marketing SMS, and the public page behind it (/p/s/<code>)."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from crm.models import Customer, Interaction
from crm.public import is_public_code, public_code_new
from marketing import backends, services
from marketing.forms import SmsForm, counter_text
from marketing.models import Message, Send
from marketing.public_views import OPTOUT_RATE_PER_CODE, OPTOUT_RATE_PER_IP
from tests.factories import CustomerFactory

from .conftest import send_and_deliver

pytestmark = pytest.mark.django_db


def _url(code):
    return reverse("marketing_public:sms_optout", args=[code])


def _withdrawals(customer):
    return Interaction.objects.filter(customer=customer, summary__contains="SMS consent withdrawn (link)")


# --- the link in the message --------------------------------------------------------------------
def test_every_marketing_sms_ends_with_its_own_opt_out_link(campaign):
    assert is_public_code(campaign.optout_code)
    link = f"https://relasi.example.id/p/s/{campaign.optout_code}"
    assert services.optout_link(campaign.optout_code) == link
    # Introduced in the language of the text: without an English text, the Indonesian one.
    with translation.override(settings.LANGUAGE_CODE):
        intro = gettext("Stop SMS: %(link)s") % {"link": link}
    assert campaign.body == f"Promo servis Budi\n{intro}"
    assert campaign.status == Message.Status.DELIVERED  # the development backend delivers at once


def test_the_link_is_introduced_in_the_language_of_the_text(sms_settings, manager_a, branch_a):
    customer = CustomerFactory(branch=branch_a, consents={"sms": True})
    assert customer.language == "id"  # the default
    send_and_deliver(key="id", customers=[customer.pk], by=manager_a, body="Promo")
    message = Message.objects.get(customer=customer)
    with translation.override("id"):
        intro = gettext("Stop SMS: %(link)s") % {"link": services.optout_link(message.optout_code)}
    assert message.body == "Promo\n" + intro


def test_the_link_counts_in_the_segments(sms_settings, manager_a, branch_a):
    customer = CustomerFactory(branch=branch_a, consents={"sms": True})
    body = "a" * 150  # one SMS alone; with the link, two
    send_and_deliver(key="long", customers=[customer.pk], by=manager_a, body=body)
    message = Message.objects.get(customer=customer)
    assert len(message.body) > 160 and message.segments == 2
    service = send_and_deliver(key="svc", customers=[customer.pk], by=manager_a, body=body,
                               purpose=Send.Purpose.TRANSACTIONAL)
    assert Message.objects.get(send=service).segments == 1


def test_service_sms_and_email_carry_no_link(sms_settings, manager_a, branch_a):
    customer = CustomerFactory(branch=branch_a, consents={"sms": True, "email": True})
    service = send_and_deliver(key="svc", customers=[customer.pk], by=manager_a, body="Mobil siap",
                               purpose=Send.Purpose.TRANSACTIONAL)
    email = send_and_deliver(key="mail", customers=[customer.pk], by=manager_a, body="Promo",
                             channel=Send.Channel.EMAIL)
    for send in (service, email):
        message = Message.objects.get(send=send)
        assert message.optout_code is None and "/p/s/" not in message.body


def test_each_message_gets_a_different_code_in_the_one_insert(sms_settings, manager_a, branch_a):
    def create(n, key):
        people = [CustomerFactory(branch=branch_a, consents={"sms": True}) for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            send = services.send_create(idempotency_key=key, channel="sms", name=key, body="Promo",
                                        customers=[p.pk for p in people], by=manager_a)
        inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO marketing_message" in q["sql"]]
        return send, len(queries.captured_queries), inserts

    small, small_count, small_inserts = create(3, "three")
    big, big_count, big_inserts = create(30, "thirty")
    # One statement writes every row and its code, whatever the audience size.
    assert len(small_inserts) == len(big_inserts) == 1 and small_count == big_count
    codes = list(Message.objects.values_list("optout_code", flat=True))
    assert len(codes) == 33 and len(set(codes)) == 33 and all(is_public_code(c) for c in codes)


def test_reconciling_an_unknown_outcome_matches_the_text_with_its_link(campaign, manager_a, branch_a):
    """The sweeper finds a message at the provider by its text: the link must be part of it."""
    customer = CustomerFactory(branch=branch_a, consents={"sms": True})
    send = services.send_create(idempotency_key="stuck", channel="sms", name="stuck", body="Halo {{ first_name }}",
                                customers=[customer.pk], by=manager_a)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Message.objects.filter(send=send).update(status=Message.Status.UNKNOWN, request_started_at=long_ago,
                                             claimed_at=long_ago, attempts=1)
    message = Message.objects.get(send=send)
    suffix = services.optout_suffix(message.optout_code, settings.LANGUAGE_CODE)  # the language of the text
    expected = f"Halo {customer.name.split()[0]}{suffix}"
    seen = []

    class Provider:
        def find_sent(self, *, to, after, body):
            seen.append(body)
            return [backends.Accepted(sid="SMfound", status="delivered")] if body == expected else []

    assert services.messages_reconcile_stuck(backend=Provider()) == 1
    message.refresh_from_db()
    assert seen == [expected] and (message.provider_sid, message.body) == ("SMfound", expected)


# --- the send form's counter --------------------------------------------------------------------
@translation.override("en")
def test_the_counter_of_a_marketing_sms_counts_the_link(sms_settings):
    suffix = services.optout_suffix_longest()
    assert suffix.startswith("\n") and "https://relasi.example.id/p/s/" in suffix
    # The longest of every language's (Indonesian's "Berhenti SMS" is longer than "Stop SMS").
    assert len(suffix) == max(len(services.optout_suffix(public_code_new(), lang)) for lang in ("id", "en"))
    form = SmsForm(optout_link=True)
    config = form.counter_config()
    assert config["suffix"] == suffix
    assert config["suffix_note"] == f"including the opt-out link ({len(suffix)} characters)"
    assert counter_text("Halo", suffix=suffix) == (
        f"{4 + len(suffix)} characters · 1 SMS · including the opt-out link ({len(suffix)} characters)")
    assert counter_text("a" * (161 - len(suffix)), suffix=suffix).split(" · ")[1] == "2 SMS"
    # A service SMS (the 360 page's box) has no link to count.
    assert SmsForm().counter_config()["suffix"] == "" and SmsForm().counter_text() == "0 characters · 0 SMS"


# --- the page ---------------------------------------------------------------------------------------
def test_opening_the_link_shows_one_button_and_changes_nothing(client, campaign):
    response = client.get(_url(campaign.optout_code))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Stop SMS from Dealer Contoh" in html and 'id="optout-stop"' in html
    assert "ending in 7890" in html and "3456" not in html  # the number's end only
    assert '<html lang="en">' in html
    campaign.customer.refresh_from_db()
    assert campaign.customer.sms_consent is True and not _withdrawals(campaign.customer).exists()


def test_the_page_speaks_the_customers_language(client, campaign):
    Customer.objects.filter(pk=campaign.customer_id).update(language="id")
    html = client.get(_url(campaign.optout_code), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("id"):
        heading = gettext("Stop SMS from %(company)s") % {"company": "Dealer Contoh"}
    assert '<html lang="id">' in html and f"<h1 class=\"h3 mb-3\">{heading}</h1>" in html


def test_pressing_stop_opts_the_customer_out_with_time_source_and_timeline(csrf_client, campaign):
    page = csrf_client.get(_url(campaign.optout_code)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    before = timezone.now()
    response = csrf_client.post(_url(campaign.optout_code), {"csrfmiddlewaretoken": token, "website": ""})
    assert response.status_code == 200 and 'id="optout-done"' in response.content.decode()
    customer = Customer.objects.get(pk=campaign.customer_id)
    assert customer.sms_consent is False and customer.sms_consent_source == "link"
    assert customer.sms_consent_at >= before
    entry = _withdrawals(customer).get()
    assert entry.staff is None and entry.occurred_at == customer.sms_consent_at
    # Opening the link again says so, with no button.
    again = csrf_client.get(_url(campaign.optout_code)).content.decode()
    assert 'id="optout-state"' in again and 'id="optout-stop"' not in again


def test_pressing_stop_again_is_harmless(client, campaign):
    client.post(_url(campaign.optout_code))
    first = Customer.objects.get(pk=campaign.customer_id).sms_consent_at
    response = client.post(_url(campaign.optout_code))
    assert response.status_code == 200 and 'id="optout-done"' in response.content.decode()
    customer = Customer.objects.get(pk=campaign.customer_id)
    assert customer.sms_consent_at == first and _withdrawals(customer).count() == 1


def test_the_next_campaign_counts_the_customer_as_opted_out(client, campaign, manager_a):
    client.post(_url(campaign.optout_code))
    send = send_and_deliver(key="promo-2", customers=[campaign.customer_id], by=manager_a)
    assert (send.recipients, send.skipped) == (0, {"opted_out": 1})
    assert "link" in services.OPT_OUT_SOURCES


def test_a_filled_honeypot_gets_the_same_answer_and_saves_nothing(client, campaign):
    response = client.post(_url(campaign.optout_code), {"website": "https://spam.example"})
    assert response.status_code == 200 and 'id="optout-done"' in response.content.decode()
    customer = Customer.objects.get(pk=campaign.customer_id)
    assert customer.sms_consent is True and not _withdrawals(customer).exists()


def test_a_post_without_the_pages_csrf_token_changes_nothing(csrf_client, campaign):
    assert csrf_client.post(_url(campaign.optout_code)).status_code == 403
    assert Customer.objects.get(pk=campaign.customer_id).sms_consent is True


@pytest.mark.parametrize("code", ["AAAAAAAAAAAA", "x", "a" * 40, "abc%20def"])
def test_a_code_no_message_carries_is_a_link_not_valid_page(client, campaign, code):
    for method in ("get", "post"):
        response = getattr(client, method)(f"/p/s/{code}")
        html = response.content.decode()
        assert response.status_code == 404
        assert "This link is not valid" in html and 'class="public-site"' in html
    assert Customer.objects.get(pk=campaign.customer_id).sms_consent is True


def test_other_methods_are_refused(client, campaign):
    assert client.put(_url(campaign.optout_code)).status_code == 405
    assert client.delete(_url(campaign.optout_code)).status_code == 405


def test_it_needs_no_login_and_staff_are_not_sent_away_either(client, campaign, sales_a):
    assert client.get(_url(campaign.optout_code)).status_code == 200
    client.force_login(sales_a)
    response = client.get(_url(campaign.optout_code))
    assert response.status_code == 200 and "mainnav" not in response.content.decode()


def test_it_is_rate_limited_per_address(client, campaign):
    limit = int(OPTOUT_RATE_PER_IP.split("/")[0])
    # A different (unknown) code each time, so only the per-address limit counts.
    statuses = {client.get(_url(public_code_new())).status_code for _ in range(limit)}
    assert statuses == {404}
    limited = client.get(_url(campaign.optout_code))
    assert limited.status_code == 429 and "Too many requests" in limited.content.decode()
    assert client.get(_url(campaign.optout_code), REMOTE_ADDR="192.0.2.1").status_code == 200


def test_it_is_rate_limited_per_code(client, campaign):
    limit = int(OPTOUT_RATE_PER_CODE.split("/")[0])
    assert {client.get(_url(campaign.optout_code), REMOTE_ADDR=f"192.0.2.{i}").status_code
            for i in range(limit)} == {200}
    assert client.post(_url(campaign.optout_code), REMOTE_ADDR="192.0.2.250").status_code == 429
    assert Customer.objects.get(pk=campaign.customer_id).sms_consent is True  # a limited POST does nothing


def test_the_outbox_shows_the_message_with_its_link(client, campaign, sales_a):
    client.force_login(sales_a)
    html = client.get(reverse("marketing:outbox")).content.decode()
    assert f"https://relasi.example.id/p/s/{campaign.optout_code}" in html


def test_stop_holds_for_every_customer_record_on_that_number(client, campaign, branch_b):
    # The same mobile number registered again (another branch, a company of the same owner).
    twin = CustomerFactory(name="CV Santoso Jaya", phone=campaign.to, branch=branch_b, consents={"sms": True})
    other = CustomerFactory(name="Orang Lain", branch=branch_b, phone_alt=campaign.to, consents={"sms": True})
    client.post(_url(campaign.optout_code))
    twin.refresh_from_db()
    other.refresh_from_db()
    assert (twin.sms_consent, twin.sms_consent_source) == (False, "link") and _withdrawals(twin).count() == 1
    # SMS go to a customer's main phone only: a record with it as its other phone keeps consent.
    assert other.sms_consent is True
