"""Adding a vehicle or a contact person to a customer, from the buttons on the 360 page."""

import pytest

from crm.models import Asset, ContactPerson
from tests.crm.pages import field_error, flash_messages, post_form

pytestmark = pytest.mark.django_db


def asset_url(customer):
    return f"/customers/{customer.public_id}/assets/new/"


def contact_url(customer):
    return f"/customers/{customer.public_id}/contacts/new/"


def search(client, query):
    return [c.pk for c in client.get("/customers/", {"q": query}).context["page"].items]


def test_it_adds_a_vehicle_that_the_360_page_shows_and_search_finds(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    assert search(browser_client, "d1234xyz") == []
    page = browser_client.get(asset_url(customer_a))
    assert page.status_code == 200 and "Add a vehicle" in page.content.decode()
    form = post_form(page).fill(make="Toyota", model="Avanza", year="2022", plate_number="  d 1234   xyz ",
                                vin="mhfab8gs0n0123456", odometer_km="15000", next_service_due="2030-01-31")
    response = form.submit(browser_client, url=asset_url(customer_a), follow=True)

    assert response.redirect_chain == [(customer_a.get_absolute_url(), 302)]
    assert flash_messages(response) == ["Vehicle added."]
    body = response.content.decode()
    assert "Toyota Avanza" in body and "D 1234 XYZ" in body and "VIN MHFAB8GS0N0123456" in body
    assert "31 Jan 2030" in body and "15000 km" in body
    asset = customer_a.assets.get()
    assert (asset.plate_number, asset.vin, asset.year) == ("D 1234 XYZ", "MHFAB8GS0N0123456", 2022)
    # The search text is refreshed: the plate is found with or without spaces, in any case.
    for query in ["D 1234", "d 1234 xyz", "d1234xyz", "D1234XYZ"]:
        assert search(browser_client, query) == [customer_a.pk], query


@pytest.mark.parametrize("field,value,message", [
    ("vin", "SHORT", "A VIN has 17 characters."),
    ("vin", "MHFAB8GS0N01234567", "Ensure this value has at most 17 characters (it has 18)."),
    ("year", "1949", "Enter a model year between 1950 and next year."),
    ("year", "2999", "Enter a model year between 1950 and next year."),
    ("year", "new", "Enter a whole number."),
    ("make", "", "This field is required."),
    ("odometer_km", "-5", "Ensure this value is greater than or equal to 0."),
    ("purchase_date", "31-31-2020", "Enter a valid date."),
])
def test_it_shows_a_bad_vehicle_at_the_field_and_saves_nothing(browser_client, sales_a, customer_a, field, value,
                                                               message):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(asset_url(customer_a))).fill(make="Toyota", model="Avanza")
    response = form.fill(**{field: value}).submit(browser_client, url=asset_url(customer_a))
    assert response.status_code == 200
    assert field_error(response, field) == message
    assert not Asset.objects.exists()


def test_it_adds_a_contact_person_to_a_company(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    page = browser_client.get(contact_url(customer_a))
    assert page.status_code == 200 and "Add a contact person" in page.content.decode()
    form = post_form(page).fill(name="Pak Joko", role="Fleet manager", phone="0811-222-3333",
                                email="Joko@MajuJaya.co.id")
    response = form.submit(browser_client, url=contact_url(customer_a), follow=True)
    assert flash_messages(response) == ["Contact person added."]
    assert "Pak Joko" in response.content.decode() and "+62 811-2223-333" in response.content.decode()  # shown grouped
    person = customer_a.contact_persons.get()
    assert (person.phone, person.email) == ("+628112223333", "joko@majujaya.co.id")


@pytest.mark.parametrize("field,value,message", [
    ("phone", "0811", "“0811” is not a valid phone number (example: 0812-3456-7890)."),
    ("email", "joko@", "Enter a valid email address."),
    ("name", "", "This field is required."),
])
def test_it_shows_a_bad_contact_person_at_the_field_and_saves_nothing(browser_client, sales_a, customer_a, field,
                                                                      value, message):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(contact_url(customer_a))).fill(**{"name": "Pak Joko", field: value})
    response = form.submit(browser_client, url=contact_url(customer_a))
    assert response.status_code == 200
    assert field_error(response, field) == message
    assert not ContactPerson.objects.exists()


@pytest.mark.parametrize("url", [asset_url, contact_url], ids=["vehicle", "contact person"])
def test_it_refuses_adding_to_a_read_only_role(client, readonly_a, customer_a, url):
    client.force_login(readonly_a)
    assert client.get(url(customer_a)).status_code == 403
    response = client.post(url(customer_a), {"make": "Toyota", "model": "Avanza", "name": "Pak Joko"})
    assert response.status_code == 403
    assert not Asset.objects.exists() and not ContactPerson.objects.exists()
    # No "Add" buttons on the 360 page either.
    body = client.get(customer_a.get_absolute_url()).content.decode()
    assert url(customer_a) not in body


@pytest.mark.parametrize("url", [asset_url, contact_url], ids=["vehicle", "contact person"])
def test_it_sends_anonymous_visitors_to_log_in_from_the_add_pages(client, customer_a, url):
    response = client.get(url(customer_a))
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url(customer_a)}"
