"""Editing a vehicle or a contact person from the 360 page, and the author's correction of
an interaction they logged (issue 7)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import services
from crm.models import Interaction
from tests.crm.pages import field_error, flash_messages, post_form
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(customer_a, sales_a):
    return AssetFactory(customer=customer_a, plate_number="D 1234 ABC", by=sales_a)


@pytest.fixture
def person(customer_a, sales_a):
    return services.contact_person_create(customer=customer_a, by=sales_a, name="Pak Joko", role="Driver")


@pytest.fixture
def logged(customer_a, sales_a):
    return services.interaction_record(customer=customer_a, kind="call", channel="phone", direction="out",
                                       staff=sales_a, summary="Asked about the servis booking")


def asset_url(asset):
    return f"/customers/{asset.customer.public_id}/assets/{asset.public_id}/edit/"


def person_url(person):
    return f"/customers/{person.customer.public_id}/contacts/{person.public_id}/edit/"


def correct_url(interaction):
    return f"/customers/{interaction.customer.public_id}/interactions/{interaction.public_id}/correct/"


def summaries(customer):
    return list(customer.interactions.values_list("summary", flat=True))


def test_it_updates_a_vehicle_through_its_edit_page(browser_client, sales_a, customer_a, asset):
    browser_client.force_login(sales_a)
    detail = browser_client.get(customer_a.get_absolute_url()).content.decode()
    assert f'href="{asset_url(asset)}"' in detail  # the Edit link on the 360 page
    page = browser_client.get(asset_url(asset))
    assert page.status_code == 200 and "Edit vehicle Toyota Avanza (D 1234 ABC)" in page.content.decode()
    form = post_form(page).fill(odometer_km="42000", next_service_due="2031-03-01")
    response = form.submit(browser_client, url=asset_url(asset), follow=True)

    assert response.redirect_chain == [(customer_a.get_absolute_url(), 302)]
    assert flash_messages(response) == ["Vehicle updated."]
    asset.refresh_from_db()
    assert (asset.odometer_km, asset.next_service_due, asset.plate_number) == (42000, dt.date(2031, 3, 1),
                                                                               "D 1234 ABC")
    note = "Vehicle Toyota Avanza (D 1234 ABC) updated: odometer (km), next service due."
    assert note in summaries(customer_a)
    assert note in response.content.decode()  # on the timeline


def test_it_updates_a_contact_person_through_its_edit_page(browser_client, sales_a, customer_a, person):
    browser_client.force_login(sales_a)
    assert f'href="{person_url(person)}"' in browser_client.get(customer_a.get_absolute_url()).content.decode()
    page = browser_client.get(person_url(person))
    assert page.status_code == 200 and "Edit contact person Pak Joko" in page.content.decode()
    response = post_form(page).fill(role="Fleet manager", phone="0811-222-3333").submit(
        browser_client, url=person_url(person), follow=True)

    assert flash_messages(response) == ["Contact person updated."]
    person.refresh_from_db()
    assert (person.role, person.phone) == ("Fleet manager", "+628112223333")
    assert "Contact person Pak Joko updated: role, phone." in summaries(customer_a)


@pytest.mark.parametrize("field,value,message", [
    ("odometer_km", "-5", "Ensure this value is greater than or equal to 0."),
    ("vin", "SHORT", "A VIN has 17 characters."),
    ("next_service_due", "31-31-2030", "Enter a valid date."),
])
def test_it_shows_a_bad_vehicle_value_at_the_field_and_saves_nothing(browser_client, sales_a, customer_a, asset,
                                                                     field, value, message):
    browser_client.force_login(sales_a)
    before = summaries(customer_a)
    form = post_form(browser_client.get(asset_url(asset))).fill(**{field: value})
    response = form.submit(browser_client, url=asset_url(asset))
    assert response.status_code == 200
    assert field_error(response, field) == message
    asset.refresh_from_db()
    assert (asset.odometer_km, asset.vin, asset.next_service_due) == (None, "", None)
    assert summaries(customer_a) == before


def test_it_shows_a_bad_contact_person_value_at_the_field_and_saves_nothing(browser_client, sales_a, person):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(person_url(person))).fill(name="", email="joko@")
    response = form.submit(browser_client, url=person_url(person))
    assert response.status_code == 200
    assert field_error(response, "email") == "Enter a valid email address."
    assert field_error(response, "name") == "This field is required."
    person.refresh_from_db()
    assert (person.name, person.email) == ("Pak Joko", "")


@pytest.mark.parametrize("kind", ["asset", "person", "logged"])
def test_it_sends_anonymous_visitors_to_log_in(client, request, kind):
    url = {"asset": asset_url, "person": person_url, "logged": correct_url}[kind](request.getfixturevalue(kind))
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("kind", ["asset", "person", "logged"])
def test_it_hides_another_branchs_children(client, request, staff_b, kind):
    obj = request.getfixturevalue(kind)
    url = {"asset": asset_url, "person": person_url, "logged": correct_url}[kind](obj)
    client.force_login(staff_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"make": "Honda", "model": "Jazz", "name": "X", "summary": "X"}).status_code == 404


def test_it_finds_no_child_of_another_customer(client, sales_a, customer_a, branch_a, asset):
    # A vehicle is reached only through its own customer.
    other = services.customer_create(by=sales_a, branch=branch_a, name="Dewi")
    client.force_login(sales_a)
    assert client.get(f"/customers/{other.public_id}/assets/{asset.public_id}/edit/").status_code == 404


@pytest.mark.parametrize("kind", ["asset", "person"])
def test_it_refuses_editing_to_a_read_only_role(client, request, readonly_a, customer_a, kind):
    obj = request.getfixturevalue(kind)
    url = {"asset": asset_url, "person": person_url}[kind](obj)
    client.force_login(readonly_a)
    assert client.get(url).status_code == 403
    assert client.post(url, {"make": "Honda", "model": "Jazz", "name": "Pak Budi"}).status_code == 403
    obj.refresh_from_db()
    assert "Honda" not in str(obj) and "Budi" not in str(obj)
    assert url not in client.get(customer_a.get_absolute_url()).content.decode()  # no Edit link


def test_it_lets_the_author_correct_an_interaction_keeping_the_original(browser_client, sales_a, customer_a,
                                                                        logged):
    browser_client.force_login(sales_a)
    assert f'href="{correct_url(logged)}"' in browser_client.get(customer_a.get_absolute_url()).content.decode()
    page = browser_client.get(correct_url(logged))
    assert page.status_code == 200 and "Asked about the servis booking" in page.content.decode()
    response = post_form(page).fill(summary=" Asked about the service booking ").submit(
        browser_client, url=correct_url(logged), follow=True)

    assert response.redirect_chain == [(customer_a.get_absolute_url(), 302)]
    assert flash_messages(response) == ["Interaction corrected."]
    logged.refresh_from_db()
    assert logged.summary == "Asked about the service booking"
    assert logged.original_summary == "Asked about the servis booking"
    assert logged.corrected_at is not None
    body = response.content.decode()
    assert "(corrected)" in body and 'title="Originally: Asked about the servis booking"' in body

    # A second correction keeps the very first wording.
    services.interaction_correct(interaction=logged, by=sales_a, summary="Booked the 40,000 km service")
    logged.refresh_from_db()
    assert (logged.summary, logged.original_summary) == ("Booked the 40,000 km service",
                                                         "Asked about the servis booking")


@pytest.mark.parametrize("summary,message", [("   ", "This field is required."),
                                             ("x" * 2001, "Keep the summary under 2000 characters.")])
def test_it_shows_a_bad_correction_at_the_field_and_saves_nothing(browser_client, sales_a, logged, summary,
                                                                  message):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(correct_url(logged))).fill(summary=summary)
    response = form.submit(browser_client, url=correct_url(logged))
    assert response.status_code == 200 and field_error(response, "summary") == message
    logged.refresh_from_db()
    assert (logged.summary, logged.original_summary, logged.corrected_at) == (
        "Asked about the servis booking", "", None)


def test_it_refuses_a_correction_by_someone_else(client, manager_a, customer_a, logged):
    client.force_login(manager_a)
    assert f'href="{correct_url(logged)}"' not in client.get(customer_a.get_absolute_url()).content.decode()
    assert client.get(correct_url(logged)).status_code == 403
    response = client.post(correct_url(logged), {"summary": "Rewritten"})
    assert response.status_code == 403
    assert "Only the person who logged this interaction can correct it." in response.content.decode()
    logged.refresh_from_db()
    assert logged.summary == "Asked about the servis booking"
    with pytest.raises(ValidationError):
        services.interaction_correct(interaction=logged, by=manager_a, summary="Rewritten")


def test_it_refuses_a_correction_after_the_window(client, settings, sales_a, customer_a, logged):
    settings.INTERACTION_CORRECTION_MINUTES = 30
    # The window runs from when it was logged, not from the time it says it happened.
    Interaction.objects.filter(pk=logged.pk).update(created_at=timezone.now() - dt.timedelta(minutes=31))
    client.force_login(sales_a)
    assert f'href="{correct_url(logged)}"' not in client.get(customer_a.get_absolute_url()).content.decode()
    assert client.get(correct_url(logged)).status_code == 403
    response = client.post(correct_url(logged), {"summary": "Too late"})
    assert response.status_code == 403
    assert "within 30 minutes" in response.content.decode()
    logged.refresh_from_db()
    assert logged.summary == "Asked about the servis booking"


def test_it_refuses_correcting_what_the_system_recorded(client, sales_a, customer_a, asset):
    note = customer_a.interactions.get(summary__startswith="Vehicle added")  # written by asset_create
    client.force_login(sales_a)
    assert client.get(correct_url(note)).status_code == 403
    with pytest.raises(ValidationError, match="recorded by the system"):
        services.interaction_correct(interaction=note, by=sales_a, summary="Anything")


def test_it_lets_quality_control_correct_what_they_logged(client, readonly_a, customer_a):
    # Whoever may log may fix their own entry: a read-only role logs too.
    own = services.interaction_record(customer=customer_a, kind="visit", channel="in_person", direction="in",
                                      staff=readonly_a, summary="Checked the paint")
    client.force_login(readonly_a)
    assert client.post(correct_url(own), {"summary": "Checked the paint and the seals"}).status_code == 302
    own.refresh_from_db()
    assert own.summary == "Checked the paint and the seals"


def test_it_answers_405_to_other_methods(client, sales_a, logged, asset):
    client.force_login(sales_a)
    for url in (correct_url(logged), asset_url(asset)):
        assert client.put(url).status_code == 405
