"""The customer's 360 page: profile, vehicles, contact persons, and the paged contact history."""

import datetime as dt

import pytest
from django.utils import timezone

from crm import services
from crm.models import Interaction
from tests.crm.pages import field_error, flash_messages, post_form, timeline_entries
from tests.factories import AssetFactory, TagFactory

pytestmark = pytest.mark.django_db


def log_url(customer):
    return f"/customers/{customer.public_id}/interactions/"


def timeline_url(customer, page):
    return f"/customers/{customer.public_id}/timeline/?page={page}"


def test_it_shows_the_profile_vehicles_and_contact_persons(client, sales_a, branch_a):
    company = services.customer_create(
        by=sales_a, branch=branch_a, kind="company", name="PT Maju Jaya", phone="+6281311112222",
        phone_alt="+62215551234", email="fleet@majujaya.co.id", birth_date=dt.date(1990, 5, 17),
        address="Jl. Asia Afrika 8", city="Bandung", province="Jawa Barat", owner=sales_a,
        tags=[TagFactory(name="Fleet")], consents={"sms": True, "email": False, "phone": True},
    )
    AssetFactory(customer=company, make="Toyota", model="Hilux", year=2023, plate_number="D 8123 MJ",
                 vin="MHFAB8GS0N0123456")
    services.contact_person_create(customer=company, by=sales_a, name="Pak Joko", role="Fleet manager",
                                   phone="+628112223333", email="joko@majujaya.co.id")
    client.force_login(sales_a)
    response = client.get(company.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    for shown in ["PT Maju Jaya", "Company", "Fleet", "Cabang Bandung", str(sales_a), "+62 813-1111-2222",
                  "+62 21 5551234", "fleet@majujaya.co.id", "17 May 1990", "Jl. Asia Afrika 8", "Bandung, Jawa Barat",
                  "SMS ✓", "Email ✗", "Phone ✓",
                  "Toyota Hilux", "(2023)", "D 8123 MJ", "VIN MHFAB8GS0N0123456",
                  "Pak Joko", "Fleet manager", "+62 811-2223-333", "joko@majujaya.co.id"]:
        assert shown in body, shown
    # Sales may edit and add; the buttons are there.
    assert f'href="/customers/{company.public_id}/edit/"' in body
    assert f'href="/customers/{company.public_id}/assets/new/"' in body
    assert f'href="/customers/{company.public_id}/contacts/new/"' in body


def test_it_says_so_when_nothing_is_recorded_yet(client, sales_a, customer_a):
    client.force_login(sales_a)
    body = client.get(customer_a.get_absolute_url()).content.decode()
    assert "No vehicles recorded." in body
    # A person without contact persons has no contact-person card at all.
    assert "Contact persons" not in body


def test_it_shows_the_newest_twenty_touches_and_pages_to_older_ones(client, sales_a, customer_a, settings):
    assert settings.TIMELINE_PAGE_SIZE == 20
    start = customer_a.created_at - dt.timedelta(days=2)
    for i in range(25):  # all older than "Customer record created."
        services.interaction_record(customer=customer_a, kind="call", channel="phone", direction="out",
                                    department="sales", staff=sales_a, summary=f"Call {i:02d}",
                                    occurred_at=start + dt.timedelta(hours=i))
    client.force_login(sales_a)
    response = client.get(customer_a.get_absolute_url())
    first = [e["summary"] for e in timeline_entries(response)]
    assert first == ["Customer record created."] + [f"Call {i:02d}" for i in range(24, 5, -1)]
    older = timeline_url(customer_a, 2)
    assert f'href="{older}"' in response.content.decode() and ">Older</a>" in response.content.decode()

    # htmx loads the next page in place: only the entries, no page around them.
    partial = client.get(older, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert [e["summary"] for e in timeline_entries(partial)] == [f"Call {i:02d}" for i in range(5, -1, -1)]
    assert "Older" not in partial.content.decode()  # nothing after page 2

    # Without JavaScript the same link opens a full page.
    full = client.get(older)
    assert full.status_code == 200 and "<html" in full.content.decode()
    assert "Contact history" in full.content.decode()
    assert [e["summary"] for e in timeline_entries(full)] == [f"Call {i:02d}" for i in range(5, -1, -1)]


def test_it_answers_a_timeline_page_past_the_end_with_an_empty_history(client, sales_a, customer_a):
    client.force_login(sales_a)
    response = client.get(timeline_url(customer_a, 99), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert timeline_entries(response) == [] and "No contact yet." in response.content.decode()


def test_it_logs_an_interaction_from_the_quick_form(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    page = browser_client.get(customer_a.get_absolute_url())
    form = post_form(page, action=log_url(customer_a))
    # The form opens as "outbound phone call".
    assert (form.fields["kind"], form.fields["channel"], form.fields["direction"]) == (["call"], ["phone"], ["out"])
    form.fill(kind="visit", channel="in_person", direction="in", summary="  Came to see the new Rush  ")
    response = form.submit(browser_client, url=log_url(customer_a), follow=True)

    assert response.redirect_chain == [(customer_a.get_absolute_url(), 302)]
    assert flash_messages(response) == ["Interaction logged."]
    newest = timeline_entries(response)[0]
    assert newest["summary"] == "Came to see the new Rush"
    assert "Visit" in newest["header"] and "In person" in newest["header"] and "Inbound" in newest["header"]
    assert "Sales" in newest["header"] and str(sales_a) in newest["header"]
    logged = customer_a.interactions.get(kind="visit")
    assert logged.staff == sales_a and logged.department == "sales"
    assert timezone.now() - logged.occurred_at < dt.timedelta(minutes=1)


def test_it_logs_with_htmx_and_swaps_in_the_panel_with_the_new_entry_on_top(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(customer_a.get_absolute_url()), action=log_url(customer_a))
    form.fill(summary="Asked about the service voucher")
    response = form.submit(browser_client, url=log_url(customer_a), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<div id="timeline-panel">')
    assert "Interaction logged." in body
    assert [e["summary"] for e in timeline_entries(response)] == [
        "Asked about the service voucher", "Customer record created."]
    # The form comes back empty, ready for the next one.
    assert post_form(response).fields["summary"] == [""]
    assert customer_a.interactions.count() == 2


def test_it_keeps_a_back_dated_interaction_in_time_order_at_the_time_typed(client, sales_a, customer_a):
    client.force_login(sales_a)
    when = timezone.localtime() - dt.timedelta(days=3)
    client.post(log_url(customer_a), {"kind": "call", "channel": "phone", "direction": "in",
                                      "summary": "Called last week", "occurred_at": when.strftime("%Y-%m-%dT%H:%M")})
    client.post(log_url(customer_a), {"kind": "note", "channel": "in_person", "direction": "internal",
                                      "summary": "Just now"})
    entries = timeline_entries(client.get(customer_a.get_absolute_url()))
    assert [e["summary"] for e in entries] == ["Just now", "Customer record created.", "Called last week"]
    # Shown in the branch's local time, exactly as typed.
    assert entries[2]["header"].startswith(when.strftime("%-d %b %Y %H:%M"))


def test_it_lets_a_read_only_role_log_an_interaction_under_its_department(client, readonly_a, customer_a):
    client.force_login(readonly_a)
    response = client.post(log_url(customer_a), {"kind": "call", "channel": "phone", "direction": "in",
                                                 "summary": "Rattling door panel"}, follow=True)
    assert response.status_code == 200
    newest = timeline_entries(response)[0]
    assert newest["summary"] == "Rattling door panel" and "Quality Control" in newest["header"]


@pytest.mark.parametrize("change,field,error", [
    ({"summary": ""}, "summary", "This field is required."),
    ({"summary": "   "}, "summary", "This field is required."),
    ({"summary": "x" * 3000}, "summary", "Keep the summary under 2000 characters."),
    ({"summary": "x" * 2001}, "summary", "Keep the summary under 2000 characters."),
    ({"occurred_at": "2999-01-01T10:00"}, "occurred_at",
     "An interaction that already happened cannot be in the future."),
    ({"occurred_at": "yesterday-ish"}, "occurred_at", "Enter a valid date/time."),
    ({"kind": "telepathy"}, "kind", "Select a valid choice. telepathy is not one of the available choices."),
    ({"channel": "pigeon"}, "channel", "Select a valid choice. pigeon is not one of the available choices."),
    ({"direction": ""}, "direction", "This field is required."),
])
def test_it_shows_a_bad_interaction_at_the_field_and_saves_nothing(client, sales_a, customer_a, change, field, error):
    client.force_login(sales_a)
    data = {"kind": "call", "channel": "phone", "direction": "out", "summary": "ok", **change}
    # Posted as a plain form: the whole 360 page comes back with the error.
    response = client.post(log_url(customer_a), data)
    assert response.status_code == 400
    assert field_error(response, field) == error
    assert "<html" in response.content.decode() and "Budi Santoso" in response.content.decode()
    # Posted by htmx: the panel comes back (htmx swaps only 2xx answers) with the error.
    response = client.post(log_url(customer_a), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert field_error(response, field) == error
    assert "<html" not in response.content.decode() and "Interaction logged." not in response.content.decode()
    assert customer_a.interactions.count() == 1  # only "Customer record created."


def test_it_accepts_a_summary_of_exactly_2000_characters(client, sales_a, customer_a):
    client.force_login(sales_a)
    response = client.post(log_url(customer_a), {"kind": "note", "channel": "in_person", "direction": "internal",
                                                 "summary": "y" * 2000})
    assert response.status_code == 302
    assert len(customer_a.interactions.get(kind="note", summary__startswith="y").summary) == 2000


def test_it_only_accepts_posts_on_the_log_url(client, sales_a, customer_a):
    client.force_login(sales_a)
    assert client.get(log_url(customer_a)).status_code == 405
    assert Interaction.objects.filter(customer=customer_a).count() == 1


def test_it_sends_anonymous_visitors_to_log_in_from_the_360_page(client, customer_a):
    response = client.get(customer_a.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={customer_a.get_absolute_url()}"
    response = client.post(log_url(customer_a), {"kind": "call", "channel": "phone", "direction": "out",
                                                 "summary": "sneaky"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert customer_a.interactions.count() == 1
